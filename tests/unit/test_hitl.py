"""LangChain's human-in-the-loop shape: one action per comment, one decision per action."""

from __future__ import annotations

import pytest

from graph import hitl
from graph.contracts import (
    ApprovalResponse,
    DraftReview,
    Perspective,
    ReviewComment,
    Severity,
    Side,
    Source,
    Verdict,
)
from graph.errors import DecisionError


def comment(cid: str, line: int) -> ReviewComment:
    view = Perspective(specialist="security", severity=Severity.HIGH, title="t", rationale="r")
    return ReviewComment(
        id=cid,
        path="app.py",
        start_line=line,
        end_line=line,
        side=Side.RIGHT,
        severity=Severity.HIGH,
        category="sql-injection",
        title=f"title {cid}",
        body=f"body {cid}",
        perspectives=[view],
    )


DRAFT = DraftReview(
    summary="Summary.",
    verdict=Verdict.REQUEST_CHANGES,
    verdict_reason="high",
    comments=[comment("c-1", 3), comment("c-2", 7)],
)
SOURCE = Source(kind="local", label="change.diff")


def edit_body(body: str, **args: object) -> dict[str, object]:
    return {
        "type": "edit",
        "edited_action": {"name": "review_comment", "args": {"body": body, **args}},
    }


def test_one_action_for_the_review_then_one_per_comment_in_order() -> None:
    actions, configs = hitl.action_requests(DRAFT, SOURCE, "md", ["approve", "edit", "reject"])
    assert [a["name"] for a in actions] == ["post_review", "review_comment", "review_comment"]
    assert actions[0]["args"]["summary"] == "Summary."
    assert actions[0]["args"]["verdict"] == "REQUEST_CHANGES"
    assert actions[1]["args"] == {
        "id": "c-1",
        "path": "app.py",
        "line": 3,
        "severity": "high",
        "body": "body c-1",
    }
    assert configs[0] == {
        "action_name": "post_review",
        "allowed_decisions": ["approve", "edit", "reject"],
    }
    assert configs[1]["allowed_decisions"] == ["approve", "edit", "reject"]


def test_todays_single_decision_passes_through_unchanged() -> None:
    for value in (
        {"decisions": [{"type": "approve"}]},
        {"decisions": [{"type": "edit", "comments": {"c-1": None}}]},
        {"decisions": [{"type": "retry"}]},
    ):
        assert hitl.to_response(value, DRAFT) is value


def test_approve_everything_is_an_approve() -> None:
    answer = {"decisions": [{"type": "approve"}] * 3}
    assert hitl.to_response(answer, DRAFT) == {"decisions": [{"type": "approve"}]}


def test_per_comment_edit_and_reject_become_one_edit() -> None:
    answer = {"decisions": [{"type": "approve"}, edit_body("reworded"), {"type": "reject"}]}
    response = hitl.to_response(answer, DRAFT)
    assert response == {
        "decisions": [{"type": "edit", "comments": {"c-1": "reworded", "c-2": None}}]
    }
    ApprovalResponse.model_validate(response)


def test_editing_the_review_sets_summary_and_verdict() -> None:
    review = {
        "type": "edit",
        "edited_action": {"name": "post_review", "args": {"summary": "New.", "verdict": "APPROVE"}},
    }
    answer = {"decisions": [review, {"type": "approve"}, {"type": "approve"}]}
    assert hitl.to_response(answer, DRAFT) == {
        "decisions": [{"type": "edit", "comments": {}, "summary": "New.", "verdict": "APPROVE"}]
    }


def test_rejecting_the_review_rejects_whatever_the_comments_say() -> None:
    answer = {
        "decisions": [{"type": "reject", "message": "noise"}, edit_body("x"), {"type": "approve"}]
    }
    assert hitl.to_response(answer, DRAFT) == {
        "decisions": [{"type": "reject", "message": "noise"}]
    }


@pytest.mark.parametrize(
    ("decisions", "reason"),
    [
        ([{"type": "approve"}, {"type": "approve"}], "expected 3 decisions"),
        ([{"type": "approve"}, edit_body("x", line=99), {"type": "approve"}], "only its body"),
        ([{"type": "approve"}, edit_body("  "), {"type": "approve"}], "non-empty body"),
        ([{"type": "approve"}, {"type": "edit"}, {"type": "approve"}], "edited_action"),
        ([{"type": "approve"}, {"type": "respond"}, {"type": "approve"}], "not approve, edit"),
        ([{"type": "approve"}, "yes", {"type": "approve"}], "an object"),
    ],
)
def test_an_answer_that_does_not_fit_names_the_action(decisions: list[object], reason: str) -> None:
    with pytest.raises(DecisionError, match=reason):
        hitl.to_response({"decisions": decisions}, DRAFT)
