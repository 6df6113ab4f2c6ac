"""docs/quality.md: one specialist flagging one problem twice on the same lines is one view.

Its model and its secret patterns may name the same token under two categories of one family;
the comment keeps one security view (the most severe), its headline is that view's title and
rationale, and one reviewer is never a "disagreement".
"""

from __future__ import annotations

from graph.contracts import Finding, Perspective, ReviewComment, Severity, Side
from services import diff as diffs
from services import merge, render, synthesis

DIFF = """\
--- a/app.py
+++ b/app.py
@@ -1,1 +1,3 @@
 a = 1
+TOKEN = "ghp_0123456789abcdefghij0123456789abcdef"
+b = 2
"""
ANCHORS = diffs.Anchors(diffs.parse(DIFF))


def finding(specialist: str, category: str, severity: str, title: str, conf: float) -> Finding:
    return Finding(
        path="app.py",
        start_line=2,
        end_line=2,
        severity=Severity(severity),
        category=category,
        title=title,
        rationale=f"why: {title}",
        confidence=conf,
        specialist=specialist,
    )


def test_two_findings_of_one_specialist_on_one_problem_are_one_view() -> None:
    model = finding("security", "sensitive-data-exposure", "high", "Token in source", 0.99)
    pattern = finding("security", "hardcoded-secret", "critical", "GitHub token committed", 0.95)
    (comment,) = merge.merge([model, pattern], ANCHORS)
    assert [(p.specialist, p.title) for p in comment.perspectives] == [
        ("security", "GitHub token committed")
    ]
    assert not comment.disagreement
    body = render.comment_body(comment, suggest=False)
    assert "GitHub token committed" in body and "why: GitHub token committed" in body
    assert "Token in source" not in body


def test_the_headline_takes_title_and_rationale_from_the_same_view() -> None:
    # Same severity, different confidence: the lead is the more confident one.
    security = finding("security", "hardcoded-secret", "high", "Committed token", 0.6)
    style = finding("style", "hardcoded-secret", "high", "Constant holds a secret", 0.9)
    (comment,) = merge.merge([security, style], ANCHORS)
    assert comment.title == comment.perspectives[0].title == "Constant holds a secret"
    assert comment.perspectives[0].rationale == "why: Constant holds a secret"


def _comment(ident: str, views: list[Perspective]) -> ReviewComment:
    return ReviewComment(
        id=ident,
        path="app.py",
        start_line=2,
        end_line=2,
        side=Side.RIGHT,
        severity=views[0].severity,
        category="hardcoded-secret",
        title=views[0].title,
        body="",
        perspectives=views,
    )


def test_comments_joined_as_one_problem_keep_one_view_per_reviewer() -> None:
    high = Perspective(specialist="security", severity=Severity.HIGH, title="A", rationale="a")
    low = Perspective(specialist="security", severity=Severity.LOW, title="B", rationale="b")
    joined = synthesis._join([_comment("c-1", [low]), _comment("c-2", [high])], "same", ANCHORS)
    assert [(p.specialist, p.title) for p in joined.perspectives] == [("security", "A")]
    assert joined.title == "A" and not joined.disagreement and joined.resolution is None
