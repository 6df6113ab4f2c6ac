"""What a specialist was shown, line by line, so its citations can be checked.

A model may only cite lines it saw. This reads the numbered view ``services.diff.chunk``
renders (file headers, then ``new old marker code`` rows) back into, per file and side, the
line numbers shown and the added lines' text; ``tests/unit/test_citations.py`` round-trips
the renderer so the two cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from graph.contracts import ModelFinding, Side

_FILE = re.compile(r'^### file (".*") \((?P<status>added|modified|renamed|deleted|binary)\)')
_CONTEXT = re.compile(r'^### context (".*?") \(')  # services.widen: code around the hunks
NEARBY = 20  # lines around a hunk a model may plausibly cite (a signature just above, say)


@dataclass
class Shown:
    """The lines of one chunk a specialist saw."""

    right: dict[str, set[int]] = field(default_factory=dict)
    left: dict[str, set[int]] = field(default_factory=dict)
    added: dict[str, dict[int, str]] = field(default_factory=dict)  # path -> line -> code
    new_files: set[str] = field(default_factory=set)  # shown whole: no line exists beyond

    def lines(self, path: str, side: Side) -> set[int]:
        return (self.right if side == Side.RIGHT else self.left).get(path, set())

    def problem(self, finding: ModelFinding) -> str:
        """Why a finding's citation cannot be right, or '' if it may be.

        Lines near what was shown may exist (the model sees hunk headers and context), and a
        comment on them goes into the review body; lines far from anything shown, before line
        1, or past the end of a file shown whole, are outside the file as far as the model
        could know: a hallucination worth one repair attempt.
        """
        shown = self.lines(finding.path, finding.side)
        if not shown:
            return ""  # an unknown path is dropped with a note elsewhere, not repaired
        slack = 0 if finding.path in self.new_files else NEARBY
        cited = range(finding.start_line, finding.last_line + 1)
        near = any(n + d in shown for n in cited for d in range(-slack, slack + 1))
        if finding.start_line < 1 or not near:
            low, high = min(shown), max(shown)
            return (
                f"{finding.path} lines {finding.start_line}-{finding.last_line} ({finding.side}) "
                f"were not shown; cite lines between {low} and {high} from the "
                f"{'new' if finding.side == Side.RIGHT else 'old'} column"
            )
        return ""

    def keep_shown(
        self, specialist: str, findings: Sequence[ModelFinding]
    ) -> tuple[list[ModelFinding], list[str]]:
        """The findings whose citations may be right, and a note naming each one dropped."""
        kept: list[ModelFinding] = []
        notes: list[str] = []
        for f in findings:
            problem = self.problem(f)
            if problem:
                notes.append(
                    f"{specialist}: dropped the finding {f.title[:80]!r}, which cites lines "
                    f"it was never shown ({problem.split(';')[0]})"
                )
            else:
                kept.append(f)
        return kept, notes


def read(text: str) -> Shown:
    """What ``text`` (a rendered chunk) showed, per file and side.

    Rows are split where the renderer joined them, at newlines only: a line of the diff
    that holds another line break (U+2028, a lone carriage return) stays one row, so the
    diff's own text can neither add lines that were never shown nor fail the reading. Rows
    are read by their fixed columns (``tests/unit/test_citations.py`` holds this against
    the regular expression it replaced, on random text).
    """
    shown = Shown()
    path: str | None = None
    for row in text.split("\n"):  # the renderer's rows; a row's code may hold U+2028 or \r
        if row.startswith("### "):
            header = _CONTEXT.match(row) or _FILE.match(row)
            if header:
                path = json.loads(header.group(1))
                if header.re is _FILE and header["status"] == "added":
                    shown.new_files.add(path)
            continue
        cells = _cells(row) if path is not None else None
        if cells is None:
            continue
        new, old, marker, code = cells
        if new:
            shown.right.setdefault(path, set()).add(int(new))  # type: ignore[arg-type]
        if old:
            shown.left.setdefault(path, set()).add(int(old))  # type: ignore[arg-type]
        if marker == "+" and new:
            shown.added.setdefault(path, {})[int(new)] = code  # type: ignore[arg-type]
    return shown


_MARKERS = frozenset("+- \\:")


def _cells(row: str) -> tuple[str, str, str, str] | None:
    """A row ``NNNNNN OOOOOO M code`` (line numbers in six columns) as its new and old line
    numbers ('' where blank), marker and code; None for anything else."""
    if len(row) < 15 or row[6] != " " or row[13] != " " or row[14] not in _MARKERS:
        return None
    new, old = row[:6].strip(" "), row[7:13].strip(" ")
    if (new and not new.isdecimal()) or (old and not old.isdecimal()):
        return None  # not digits, or digits with a space between: no number of ours
    return new, old, row[14], row[16:] if row[15:16] == " " else row[15:]
