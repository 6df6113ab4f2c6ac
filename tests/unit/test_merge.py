"""Deterministic merging: duplicates, overlapping findings, ranking and the verdict rule."""

from __future__ import annotations

from graph.contracts import Finding, Severity, Side, Verdict
from services import diff as diffs
from services import merge

DIFF = """\
--- a/app.py
+++ b/app.py
@@ -1,2 +1,8 @@
 a = 1
+b = 2
+c = 3
+d = 4
+e = 5
+f = 6
+g = 7
 h = 8
"""
ANCHORS = diffs.Anchors(diffs.parse(DIFF))


def finding(specialist: str, start: int, end: int, severity: str, title: str = "t") -> Finding:
    return Finding(
        path="app.py",
        start_line=start,
        end_line=end,
        severity=Severity(severity),
        category="c",
        title=title,
        rationale=f"{specialist} says {title}",
        specialist=specialist,
    )


def test_exact_duplicates_from_one_specialist_collapse_to_the_most_severe() -> None:
    out = merge.dedupe([finding("security", 2, 2, "low"), finding("security", 2, 2, "high")])
    assert [f.severity for f in out] == [Severity.HIGH]


def test_overlapping_findings_of_two_specialists_become_one_comment_with_both_views() -> None:
    (comment,) = merge.merge(
        [finding("security", 2, 3, "critical", "injection"), finding("style", 3, 4, "low", "name")],
        ANCHORS,
    )
    assert [p.specialist for p in comment.perspectives] == ["security", "style"]
    assert comment.severity == Severity.CRITICAL
    assert (comment.start_line, comment.end_line) == (2, 4)
    assert comment.disagreement
    assert comment.anchor is not None and (comment.anchor.start_line, comment.anchor.line) == (2, 4)


def test_separate_lines_stay_separate_and_are_ranked_by_severity() -> None:
    comments = merge.merge(
        [
            finding("style", 2, 2, "low"),
            finding("security", 6, 6, "high"),
            finding("performance", 4, 4, "medium"),
        ],
        ANCHORS,
    )
    assert [c.severity for c in comments] == [Severity.HIGH, Severity.MEDIUM, Severity.LOW]
    assert len({c.id for c in comments}) == 3


def test_finding_off_the_diff_has_no_anchor() -> None:
    (comment,) = merge.merge([finding("security", 40, 41, "high")], ANCHORS)
    assert comment.anchor is None


def test_verdict_rule_requests_changes_only_for_high_or_worse() -> None:
    low = merge.merge([finding("style", 2, 2, "medium")], ANCHORS)
    high = merge.merge([finding("security", 2, 2, "high")], ANCHORS)
    assert merge.verdict(low)[0] == Verdict.COMMENT
    verdict, reason = merge.verdict(high)
    assert verdict == Verdict.REQUEST_CHANGES
    assert "high or worse" in reason


def test_comment_ids_are_stable_across_runs() -> None:
    first = merge.merge([finding("security", 2, 2, "high")], ANCHORS)
    again = merge.merge([finding("security", 2, 2, "high")], ANCHORS)
    assert first[0].id == again[0].id
    assert first[0].side == Side.RIGHT
