"""Halving a chunk whose answer did not fit: the same rendered diff, in two smaller calls.

A model's answer is cut off at the output limit when a chunk holds more findings than one
answer can carry (a finding per file of a few hundred new files, say). Rather than fail
the call, the specialist reviews each half of the chunk. Halves are cut from the rendered
text ``services.diff.chunk`` made (which is all a retried call keeps): between files when
the chunk has several, else between hunks, else between lines, repeating the file header so
every half stays citable (``services.citations`` reads it the same way).
"""

from __future__ import annotations

import json

from graph.contracts import Chunk

_FILE_SEP = "\n\n### file "
MAX_DEPTH = 3  # a chunk is split at most three times over: at most 8 calls instead of 1


def halves(chunk: Chunk) -> tuple[Chunk, Chunk] | None:
    """``chunk`` cut in two, each with about half its text; None if it cannot be cut."""
    pieces = chunk.text.split(_FILE_SEP)
    if len(pieces) > 1:
        pieces = [pieces[0]] + ["### file " + p for p in pieces[1:]]
        cut = _middle([len(p) for p in pieces])
        return _make(chunk, "\n\n".join(pieces[:cut])), _make(chunk, "\n\n".join(pieces[cut:]))
    lines = chunk.text.split("\n")
    if len(lines) < 4:  # a header, the column names and a line or two: nothing to halve
        return None
    header, rows = lines[:2], lines[2:]
    hunks = [i for i, row in enumerate(rows) if row.startswith("@@") and i > 0]
    if hunks:
        cut = min(hunks, key=lambda i: abs(i - len(rows) // 2))
        first, second = rows[:cut], rows[cut:]
    else:
        cut = len(rows) // 2
        again = [rows[0] + " (continued)"] if rows[0].startswith("@@") else []
        first, second = rows[:cut], [*again, *rows[cut:]]
    if not any(_added(r) for r in first) or not any(_added(r) for r in second):
        return None  # nothing to review in one of them: splitting would not help
    return (
        _make(chunk, "\n".join([*header, *first])),
        _make(chunk, "\n".join([*header, *second])),
    )


def _middle(sizes: list[int]) -> int:
    """The index that splits ``sizes`` into two runs of about equal total (both non-empty)."""
    total, running = sum(sizes), 0
    for i, size in enumerate(sizes[:-1]):
        running += size
        if running >= total / 2:
            return i + 1
    return len(sizes) - 1


def _added(row: str) -> bool:
    # A rendered row is "{new:>6} {old:>6} {marker} {code}": the marker is column 14.
    return len(row) > 14 and row[14] == "+" and row[:6].strip().isdigit()


def _make(parent: Chunk, text: str) -> Chunk:
    paths = [p for p in parent.paths if f"### file {_quoted(p)} " in text]
    return Chunk(
        index=parent.index,
        paths=paths or list(parent.paths),
        changed_lines=sum(1 for row in text.split("\n") if _added(row)),
        text=text,
    )


def _quoted(path: str) -> str:
    return json.dumps(path)  # as services.diff writes file headers
