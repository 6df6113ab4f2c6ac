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
_ROW = re.compile(r"^(?P<new>[ \d]{6}) (?P<old>[ \d]{6}) (?P<marker>[+\- \\:]) ?(?P<code>.*)$")


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
    shown = Shown()
    path: str | None = None
    for row in text.splitlines():
        around = _CONTEXT.match(row)
        if around:
            path = json.loads(around.group(1))
            continue
        header = _FILE.match(row)
        if header:
            path = json.loads(header.group(1))
            if header["status"] == "added":
                shown.new_files.add(path)
            continue
        m = _ROW.match(row)
        if not m or path is None:
            continue
        new, old = m["new"].strip(), m["old"].strip()
        if new:
            shown.right.setdefault(path, set()).add(int(new))
        if old:
            shown.left.setdefault(path, set()).add(int(old))
        if m["marker"] == "+" and new:
            shown.added.setdefault(path, {})[int(new)] = m["code"]
    return shown
