"""The numbered view read back: what a specialist saw, for checking its citations."""

from __future__ import annotations

from graph.contracts import ModelFinding, Severity, Side
from services import citations
from services import diff as diffs
from tests.unit.test_diff import TWO_HUNKS


def test_reads_back_exactly_what_the_renderer_showed() -> None:
    files = diffs.parse(TWO_HUNKS)
    (chunk,) = diffs.chunk(files, 10_000)
    shown = citations.read(chunk.text)
    assert shown.right["app.py"] == set(files[0].right)
    assert shown.left["app.py"] == set(files[0].left)
    assert shown.added["app.py"] == {2: "x = 2", 3: "y = 3", 22: "    b = 2"}


def test_hostile_file_name_is_read_back_intact() -> None:
    text = TWO_HUNKS.replace("app.py", "we`ird [x](y).py")
    (chunk,) = diffs.chunk(diffs.parse(text), 10_000)
    assert set(citations.read(chunk.text).right) == {"we`ird [x](y).py"}


def _finding(start: int, end: int, side: Side = Side.RIGHT) -> ModelFinding:
    return ModelFinding(
        path="app.py",
        start_line=start,
        end_line=end,
        side=side,
        severity=Severity.LOW,
        category="c",
        title="t",
        rationale="r",
    )


def test_citation_of_lines_never_shown_is_a_problem() -> None:
    (chunk,) = diffs.chunk(diffs.parse(TWO_HUNKS), 10_000)
    shown = citations.read(chunk.text)
    assert shown.problem(_finding(2, 3)) == ""
    assert shown.problem(_finding(4, 30)) == ""  # overlaps shown lines
    assert shown.problem(_finding(40, 41)) == ""  # near a hunk: may exist, goes to the body
    assert "were not shown" in shown.problem(_finding(900, 901))
    assert "were not shown" in shown.problem(_finding(0, 0))
    assert "old column" in shown.problem(_finding(80, 80, Side.LEFT))


def test_a_new_file_has_no_lines_beyond_what_was_shown() -> None:
    text = "--- /dev/null\n+++ b/app.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n"
    (chunk,) = diffs.chunk(diffs.parse(text), 10_000)
    shown = citations.read(chunk.text)
    assert shown.problem(_finding(2, 2)) == ""
    assert "were not shown" in shown.problem(_finding(3, 3))
