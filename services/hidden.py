"""Text that hides itself: invisible characters, bidi overrides, full-width look-alikes.

A diff or PR text can say one thing to a person and another to a model or a parser: a
zero-width space splits ``</untrusted_diff>`` so that a check misses it, a U+202E override
shows code in an order it does not run in, full-width letters spell an instruction a plain
search misses. ``fold`` is the text as a check should read it, ``reveal`` makes the hidden
characters visible (``[U+202E]``), and ``describe`` names them for the approver's notes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

# Invisible but not format characters ("Cf"): Hangul fillers and the Mongolian separator.
_ALSO_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u180e")


def is_hidden(char: str) -> bool:
    """Zero-width, joiner, bidi control, BOM, soft hyphen ...: nothing a reader sees."""
    return unicodedata.category(char) == "Cf" or char in _ALSO_INVISIBLE


def is_lookalike(char: str) -> bool:
    """A full-width Latin letter or digit, or full-width < / >: ASCII in disguise."""
    code = ord(char)
    return (
        0xFF10 <= code <= 0xFF19
        or 0xFF21 <= code <= 0xFF3A
        or 0xFF41 <= code <= 0xFF5A
        or char in "\uff1c\uff0f\uff1e\ufe64\ufe65"
    )


def suspicious(text: str) -> bool:
    return any(is_hidden(c) or is_lookalike(c) for c in text) if not text.isascii() else False


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` as a check should read it (hidden characters gone, NFKC, lower case), and
    for each folded character the index of the original character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        if is_hidden(c):
            continue
        for f in unicodedata.normalize("NFKC", c).lower():
            chars.append(f)
            origin.append(i)
    return "".join(chars), origin


def reveal(text: str) -> str:
    """``text`` with every hidden character written out as ``[U+XXXX]``."""
    if text.isascii():
        return text
    return "".join(f"[U+{ord(c):04X}]" if is_hidden(c) else c for c in text)


def describe(text: str) -> str:
    """What hides in ``text``, for a note: ``U+202E RIGHT-TO-LEFT OVERRIDE, ...``; '' if none."""
    return ", ".join(dict.fromkeys(_names(text)))


def _names(text: str) -> Iterator[str]:
    if text.isascii():
        return
    looks = False
    for c in text:
        if is_hidden(c):
            yield f"U+{ord(c):04X} {unicodedata.name(c, 'invisible character')}"
        elif is_lookalike(c):
            looks = True
    if looks:
        yield "full-width look-alike characters"
