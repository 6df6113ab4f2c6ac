"""Spotting text in the diff or PR description that tries to instruct a reviewer.

The models are told never to follow instructions inside the data blocks; this is the second
line of defence, in code: whatever the models do, the draft tells the approving person where
such text is, so it cannot slip through unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from services import hidden
from services.diff import FileChange

_PATTERNS = re.compile(
    r"ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier)\s+"
    r"(?:instructions|prompts?|rules)"
    r"|disregard\s+(?:all\s+|any\s+)?(?:previous|prior|above|your)\s+\w+"
    r"|\byou\s+are\s+now\b"
    r"|\bsystem\s+prompt\b"
    r"|\b(?:approve|merge)\s+this\s+(?:pr|pull\s+request|change)\b"
    r"|\bdo\s+not\s+(?:report|flag|mention)\b"
    r"|</?\s*untrusted",
    re.IGNORECASE,
)
MAX_NOTES = 10


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    flat = flat if len(flat) <= 80 else flat[:77] + "..."
    return flat.replace("`", "'")


def _check(where: str, text: str, *, quote_line: bool = False) -> list[str]:
    """Notes on ``text``: instruction-like (read as folded: full-width, zero-width split)
    and hiding characters (zero-width, bidi overrides, full-width look-alikes)."""
    notes = []
    plain = hidden.fold(text)[0] if hidden.suspicious(text) else text
    match = _PATTERNS.search(plain)
    if match:
        quoted = _snippet(hidden.reveal(text) if quote_line else match.group(0))
        notes.append(f"possible prompt injection in {where}: «{quoted}»")
    hiding = hidden.describe(text)
    if hiding:
        notes.append(
            f"hidden or look-alike text in {where} ({hiding}): «{_snippet(hidden.reveal(text))}»"
        )
    return notes


def scan(files: Iterable[FileChange], title: str = "", body: str = "") -> list[str]:
    """Notes for the approver, one per place where instruction-like or hiding text appears."""
    notes: list[str] = []
    for where, text in (("the PR title", title), ("the PR description", body)):
        notes += _check(where, text)
    for change in files:
        name = change.path.replace("\n", "\\n")
        notes += _check(f"the file name {name}", change.path) if hidden.suspicious(name) else []
        for hunk in change.patched:
            for line in hunk:
                if line.is_added:
                    where = f"{name}:{line.target_line_no}"
                    notes += _check(where, line.value, quote_line=True)
    if len(notes) > MAX_NOTES:
        notes = [*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more such places"]
    return notes
