"""Text that hides itself: invisible characters, bidi overrides, full-width look-alikes.

A diff or PR text can say one thing to a person and another to a model or a parser: a
zero-width space splits ``</untrusted_diff>`` so that a check misses it, a U+202E override
shows code in an order it does not run in, full-width letters spell an instruction a plain
search misses. ``fold`` is the text as a check should read it, ``reveal`` makes the hidden
characters visible (``[U+202E]``), and ``describe`` names them for the approver's notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

# Invisible but not format characters ("Cf"): Hangul fillers and the Mongolian separator.
_ALSO_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u180e")
# Code is mostly ASCII, where all of this is the identity (ASCII has no hidden characters
# and NFKC leaves it alone): the functions below walk ASCII in runs, in C, and look at
# non-ASCII characters one by one. A per-character loop over a 13,000-line diff cost ~3 s.
_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


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
    if text.isascii():
        return False
    return any(is_hidden(c) or is_lookalike(c) for c in _NON_ASCII.findall(text))


def fold(text: str) -> tuple[str, Sequence[int]]:
    """``text`` as a check should read it (hidden characters gone, NFKC, lower case), and
    for each folded character the index of the original character it came from (for ASCII
    text, where they are the same, a ``range``: no list of a chunk's length per call)."""
    if text.isascii():
        return text.lower(), range(len(text))
    chars: list[str] = []
    origin: list[int] = []
    for m in _RUNS.finditer(text):
        run, i = m.group(), m.start()
        if run.isascii():  # lower() keeps ASCII's length: one folded character per original
            chars.append(run.lower())
            origin.extend(range(i, i + len(run)))
        elif not is_hidden(run):
            folded = unicodedata.normalize("NFKC", run).lower()
            chars.append(folded)
            origin.extend([i] * len(folded))
    return "".join(chars), origin


def reveal(text: str) -> str:
    """``text`` with every hidden character written out as ``[U+XXXX]``."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _written_out(m.group()), text)


def _written_out(char: str) -> str:
    return f"[U+{ord(char):04X}]" if is_hidden(char) else char


def describe(text: str) -> str:
    """What hides in ``text``, for a note: ``U+202E RIGHT-TO-LEFT OVERRIDE, ...``; '' if none."""
    return ", ".join(dict.fromkeys(_names(text)))


def _names(text: str) -> Iterator[str]:
    if text.isascii():
        return
    looks = False
    for c in _NON_ASCII.findall(text):
        if is_hidden(c):
            yield f"U+{ord(c):04X} {unicodedata.name(c, 'invisible character')}"
        elif is_lookalike(c):
            looks = True
    if looks:
        yield "full-width look-alike characters"
