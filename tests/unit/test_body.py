"""The review body: each group under its true reason, and never over GitHub's limit."""

from __future__ import annotations

from graph.contracts import ApprovedComment, Severity, Side
from services import body


def item(i: int, reason: str, severity: str = "high", words: int = 30) -> ApprovedComment:
    return ApprovedComment(
        id=f"c-{i}",
        path=f"pkg/module_{i % 7}.py",
        start_line=i,
        end_line=i,
        side=Side.RIGHT,
        severity=Severity(severity),
        category="sql-injection",
        title="SQL built from a string",
        specialists=["security"],
        body=" ".join(["Bind the parameter instead."] * words),
        text="SQL built from a string.",
        in_body=reason,  # type: ignore[arg-type]
    )


def test_each_group_says_why_its_comments_are_in_the_body() -> None:
    text = body.review_body(
        "Summary.", [item(1, "off_diff"), item(2, "over_cap")], [], cap=25
    )
    off, cap = text.index("**Not on lines of this diff**"), text.index("**Over the limit of 25")
    assert off < text.index("`pkg/module_1.py:1`") < cap < text.index("`pkg/module_2.py:2`")
    assert "not on lines of this diff" not in text[cap:]


def test_a_body_past_githubs_limit_is_summarised_by_severity_and_file() -> None:
    many = [item(i, "over_cap", "high" if i % 3 else "low") for i in range(1, 1200)]
    text = body.review_body("Summary.", many, [], cap=25, full_list="`review-panel show t1 --json`")
    assert len(text) <= body.BUDGET < body.LIMIT
    listed = text.count("\n- **")
    left = len(many) - listed
    assert listed > 0 and left > 0
    summary = text[text.index(f"**{left} more finding(s) are not listed here**") :]
    highs = sum(1 for c in many[listed:] if c.severity == Severity.HIGH)
    assert f"By severity: {highs} high, {left - highs} low." in summary
    assert "By file: `pkg/module_" in summary and "`review-panel show t1 --json`" in summary


def test_the_refused_inline_comments_are_added_within_the_limit() -> None:
    start = body.review_body("Summary.", [item(i, "off_diff") for i in range(300)], [])
    refused = [item(i, "refused") for i in range(300, 900)]
    text = body.add_group(start, refused, "`review-panel show t1 --json`")
    assert text.startswith(start) and len(text) <= body.BUDGET
    assert "**Inline comments GitHub refused**" in text or "more finding(s)" in text


def test_a_comment_on_the_code_shown_around_a_hunk_is_grouped_as_context() -> None:
    from graph.contracts import Perspective, ReviewComment

    def drafted(line: int) -> ReviewComment:
        view = Perspective(specialist="security", severity=Severity.HIGH, title="t", rationale="r")
        return ReviewComment(
            id=f"c-{line}", path="a.py", start_line=line, end_line=line, side=Side.RIGHT,
            severity=Severity.HIGH, category="c", title="t", body="b", perspectives=[view],
            in_body="off_diff",
        )  # fmt: skip

    around = {"a.py": {"40": "    if user.is_admin:"}}
    assert body.on_context(drafted(40), around).in_body == "context"
    assert body.on_context(drafted(90), around).in_body == "off_diff"
    text = body.review_body("S.", [item(1, "context"), item(2, "off_diff")], [])
    assert "**Not on lines of this diff**" in text and "**On the code around the change**" in text
