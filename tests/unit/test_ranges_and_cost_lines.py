"""Small things a reader notices: a range past the end of a file, a cost line about nothing."""

from __future__ import annotations

from graph.contracts import CostEstimate, CostLine, Finding, Severity, Side
from services import cost, merge
from services import diff as diffs
from tests.conftest import EXAMPLES

SQL = (EXAMPLES / "sql_injection.diff").read_text()  # app/users.py: its last hunk ends the file

# git's three lines of context after the change: the file goes on past line 5.
GOES_ON = """\
--- a/m.py
+++ b/m.py
@@ -1,4 +1,5 @@
 a = 1
+b = 2
 c = 3
 d = 4
 e = 5
"""


def finding(path: str, start: int, end: int) -> Finding:
    return Finding(
        path=path,
        start_line=start,
        end_line=end,
        severity=Severity.HIGH,
        category="sql-injection",
        title="t",
        rationale="r",
        specialist="security",
    )


def test_a_range_past_the_end_of_the_file_is_cut_to_its_last_line() -> None:
    anchors = diffs.Anchors(diffs.parse(SQL))
    (comment,) = merge.merge([finding("app/users.py", 1, 20)], anchors)
    assert (comment.start_line, comment.end_line) == (1, 18)
    assert comment.anchor is not None and comment.anchor.line == 18  # the posted range


def test_a_range_wholly_past_the_end_is_not_moved_onto_the_last_line() -> None:
    anchors = diffs.Anchors(diffs.parse(SQL))
    assert anchors.clamp("app/users.py", Side.RIGHT, 25, 26) == (25, 26)


def test_a_range_in_a_file_that_goes_on_past_the_diff_is_left_alone() -> None:
    anchors = diffs.Anchors(diffs.parse(GOES_ON))
    assert anchors.clamp("m.py", Side.RIGHT, 4, 9) == (4, 9)
    assert anchors.clamp("m.py", Side.RIGHT, 0, 2) == (1, 2)


def test_no_dollar_figure_for_the_rest_when_nothing_was_priced() -> None:
    estimate = CostEstimate(
        lines={"security": CostLine(model="local-model", prompt_tokens=10, completion_tokens=5)},
        total_usd=None,
        priced_usd=0.0,
        unpriced=["local-model"],
    )
    (_, total) = cost.summary_lines(estimate)
    assert total == (
        "total: 10 in / 5 out tokens, unknown (no price for local-model; set REVIEW_PANEL_PRICES)"
    )


def test_the_priced_part_is_still_given_when_some_models_have_a_price() -> None:
    estimate = CostEstimate(
        lines={
            "security": CostLine(model="gpt-4o-mini", prompt_tokens=10, usd=0.5),
            "style": CostLine(model="local-model", prompt_tokens=10),
        },
        total_usd=None,
        priced_usd=0.5,
        unpriced=["local-model"],
    )
    assert "$0.5000 for the rest" in cost.summary_lines(estimate)[-1]
