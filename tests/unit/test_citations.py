"""The numbered view read back: what a specialist saw, for checking its citations."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_line_break_inside_a_diff_line_neither_adds_lines_nor_fails_the_reading() -> None:
    # U+2028 splits a line for str.splitlines(): what follows it would be read as a row of
    # its own, here one whose number columns have a space between digits.
    forged = "\u2028  1 2     1 2 3 + forged"
    text = TWO_HUNKS.replace("+x = 2", "+x = 2" + forged)
    files = diffs.parse(text)
    (chunk,) = diffs.chunk(files, 10_000)
    shown = citations.read(chunk.text)
    assert shown.right["app.py"] == set(files[0].right)
    assert shown.added["app.py"][2] == "x = 2" + forged


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


# --- the column reader against the regular expression it replaced ---------------------------

_ROW = re.compile(r"^(?P<new>[ \d]{6}) (?P<old>[ \d]{6}) (?P<marker>[+\- \\:]) ?(?P<code>.*)$")


def _read_by_regex(text: str) -> citations.Shown:
    """``citations.read`` as it was: a regular expression per row (the oracle)."""
    shown = citations.Shown()
    path: str | None = None
    for row in text.split("\n"):
        around = citations._CONTEXT.match(row)
        if around:
            path = json.loads(around.group(1))
            continue
        header = citations._FILE.match(row)
        if header:
            path = json.loads(header.group(1))
            if header["status"] == "added":
                shown.new_files.add(path)
            continue
        m = _ROW.match(row)
        if not m or path is None:
            continue
        new, old = m["new"].strip(), m["old"].strip()
        if " " in new or " " in old:
            continue  # the regex read these too, and then int() raised: the new reader skips
        if new:
            shown.right.setdefault(path, set()).add(int(new))
        if old:
            shown.left.setdefault(path, set()).add(int(old))
        if m["marker"] == "+" and new:
            shown.added.setdefault(path, {})[int(new)] = m["code"]
    return shown


_cell = st.one_of(
    st.integers(0, 999_999).map(lambda n: f"{n:>6}"),
    st.just(" " * 6),
    st.text(alphabet=" 0123456789٣x\t", min_size=5, max_size=7),
)
_rows = st.one_of(
    st.tuples(_cell, _cell, st.sampled_from("+- \\:#x"), st.sampled_from(["", " "]), st.text()).map(
        lambda r: f"{r[0]} {r[1]} {r[2]}{r[3]}{r[4]}"
    ),
    st.sampled_from(
        [
            '### file "a.py" (modified)',
            '### file "new.py" (added)',
            '### context "a.py" (lines 1-9 at the head)',
            "### file unquoted (added)",
            "",
        ]
    ),
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_rows, max_size=30))
def test_the_column_reader_reads_what_the_regular_expression_read(rows: list[str]) -> None:
    text = "\n".join(rows)
    assert citations.read(text) == _read_by_regex(text)
