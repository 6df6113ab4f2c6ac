"""Spotting text in the diff or PR description that tries to instruct a reviewer.

The models are told never to follow instructions inside the data blocks; this is the second
line of defence, in code: whatever the models do, the draft tells the approving person where
such text is, so it cannot slip through unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


def scan(files: Iterable[FileChange], title: str = "", body: str = "") -> list[str]:
    """Notes for the approver, one per place where instruction-like text appears."""
    notes: list[str] = []
    for where, text in (("the PR title", title), ("the PR description", body)):
        match = _PATTERNS.search(text)
        if match:
            notes.append(f"possible prompt injection in {where}: «{_snippet(match.group(0))}»")
    for change in files:
        for hunk in change.patched:
            for line in hunk:
                if line.is_added and _PATTERNS.search(line.value):
                    name = change.path.replace("\n", "\\n")
                    notes.append(
                        f"possible prompt injection in {name}:{line.target_line_no}: "
                        f"«{_snippet(line.value)}»"
                    )
    if len(notes) > MAX_NOTES:
        notes = [*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more such places"]
    return notes
