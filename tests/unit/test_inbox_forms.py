"""The inbox's form-to-decision rules and its signed sessions, without a server."""

from __future__ import annotations

import pytest

from graph.contracts import DraftReview, Perspective, ReviewComment, Severity, Side, Verdict
from graph.errors import DecisionError
from web.inbox import decisions, sessions


def comment(cid: str, body: str) -> ReviewComment:
    view = Perspective(specialist="security", severity=Severity.HIGH, title="t", rationale="r")
    return ReviewComment(
        id=cid,
        path="a.py",
        start_line=1,
        end_line=1,
        side=Side.RIGHT,
        severity=Severity.HIGH,
        category="x",
        title="t",
        body=body,
        perspectives=[view],
    )


DRAFT = DraftReview(
    summary="Summary.",
    verdict=Verdict.REQUEST_CHANGES,
    verdict_reason="high",
    comments=[comment("c-1", "first\nbody"), comment("c-2", "second")],
)


def test_an_untouched_form_is_a_plain_approve() -> None:
    form = {"action": "approve", "summary": "Summary.", "verdict": "REQUEST_CHANGES"}
    assert decisions.from_form(form, DRAFT) == {"type": "approve"}


def test_a_changed_verdict_alone_is_an_approve_with_that_verdict() -> None:
    form = {"action": "approve", "verdict": "APPROVE"}
    assert decisions.from_form(form, DRAFT) == {"type": "approve", "verdict": "APPROVE"}


def test_edits_and_drops_become_one_edit_decision() -> None:
    form = {
        "action": "approve",
        "action.c-1": "edit",
        "body.c-1": "new\r\ntext",  # browsers send CRLF
        "action.c-2": "drop",
        "summary": "Better summary.",
    }
    assert decisions.from_form(form, DRAFT) == {
        "type": "edit",
        "comments": {"c-1": "new\ntext", "c-2": None},
        "summary": "Better summary.",
    }


def test_changed_text_marked_keep_is_refused_not_guessed() -> None:
    form = {"action": "approve", "action.c-1": "keep", "body.c-1": "changed"}
    with pytest.raises(DecisionError, match=r"c-1.*'keep'"):
        decisions.from_form(form, DRAFT)


def test_crlf_alone_is_not_a_change() -> None:
    form = {"action": "approve", "action.c-1": "keep", "body.c-1": "first\r\nbody"}
    assert decisions.from_form(form, DRAFT) == {"type": "approve"}


def test_an_empty_edit_and_an_unknown_choice_are_refused() -> None:
    with pytest.raises(DecisionError, match="empty"):
        decisions.from_form({"action": "approve", "action.c-1": "edit", "body.c-1": " "}, DRAFT)
    with pytest.raises(DecisionError, match="not keep, edit or drop"):
        decisions.from_form({"action": "approve", "action.c-1": "burn"}, DRAFT)
    with pytest.raises(DecisionError, match="not a verdict"):
        decisions.from_form({"action": "approve", "verdict": "MERGE"}, DRAFT)


def test_reject_needs_a_reason_and_retry_needs_failures() -> None:
    reject = {"decisions": [decisions.from_form({"action": "reject", "reason": " "}, DRAFT)]}
    with pytest.raises(DecisionError, match="reason"):
        decisions.check(reject, DRAFT, "approval", retryable=False)
    retry = {"decisions": [decisions.from_form({"action": "retry"}, DRAFT)]}
    with pytest.raises(DecisionError, match="nothing to retry"):
        decisions.check(retry, DRAFT, "approval", retryable=False)
    assert decisions.check(retry, DRAFT, "approval", retryable=True) == retry


def test_an_edit_naming_an_unknown_comment_is_refused() -> None:
    value = {"decisions": [{"type": "edit", "comments": {"c-9": None}}]}
    with pytest.raises(DecisionError, match="c-9"):
        decisions.check(value, DRAFT, "approval", retryable=False)


def test_the_moved_head_question_takes_post_or_cancel() -> None:
    assert decisions.check({"moved_head": "post"}, DRAFT, "head_moved", False)
    with pytest.raises(DecisionError):
        decisions.check({"decisions": [{"type": "approve"}]}, DRAFT, "head_moved", False)


def test_a_session_cookie_round_trips_and_any_change_voids_it() -> None:
    key = b"k" * 32
    session = sessions.new_session("github:alice")
    cookie = sessions.encode(session, key)
    assert sessions.decode(cookie, key) == session
    payload, _, signature = cookie.partition(".")
    assert sessions.decode(cookie, b"other key" * 4) is None
    other = "A" if signature[-1] != "A" else "B"
    assert sessions.decode(payload + "." + signature[:-1] + other, key) is None
    assert sessions.decode(payload[:-1] + "." + signature, key) is None
    assert sessions.decode("garbage", key) is None


def test_a_session_expires() -> None:
    key = b"k" * 32
    session = sessions.new_session("token")
    cookie = sessions.encode(session, key)
    assert sessions.decode(cookie, key, now=session.issued + 13 * 3600) is None


def test_csrf_tokens_are_compared_with_the_sessions_own() -> None:
    session = sessions.new_session("token")
    assert sessions.csrf_ok(session, session.csrf)
    assert not sessions.csrf_ok(session, "")
    assert not sessions.csrf_ok(session, session.csrf[:-1])
    assert not sessions.csrf_ok(None, session.csrf)
