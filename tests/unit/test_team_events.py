"""The team service's pure parts: what an event asks for, signatures, ids, status texts."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from team.deliveries import Deliveries
from team.events import Command, Ignore, Ping, StartReview, decide, parse_command
from team.status import describe
from team.threads import ThreadView, thread_id
from web.webhook import signature_ok


def pr_payload(action: str = "opened", **pr: Any) -> dict[str, Any]:
    body = {
        "number": 7,
        "state": "open",
        "draft": False,
        "user": {"login": "alice"},
        "head": {"sha": "h" * 40},
        "base": {"sha": "b" * 40},
    } | pr
    return {
        "action": action,
        "pull_request": body,
        "repository": {"name": "demo", "owner": {"login": "octo"}},
        "installation": {"id": 99},
    }


def comment_payload(body: str, *, action: str = "created", user: str = "bob", **kw: Any) -> Any:
    issue: dict[str, Any] = {"number": 7}
    if kw.pop("on_pull", True):  # GitHub marks a PR's conversation with this key
        issue["pull_request"] = {"url": "x"}
    return {
        "action": action,
        "issue": issue,
        "comment": {"id": 5, "body": body, "user": {"login": user, "type": kw.pop("type", "User")}},
        "repository": {"name": "demo", "owner": {"login": "octo"}},
    }


@pytest.mark.parametrize("action", ["opened", "reopened", "ready_for_review", "synchronize"])
def test_these_pull_request_actions_start_a_review(action: str) -> None:
    found = decide("pull_request", pr_payload(action))
    assert isinstance(found, StartReview)
    assert found.pull.label == "octo/demo#7"
    assert (found.pull.head_sha, found.pull.author) == ("h" * 40, "alice")
    assert found.pull.repo.installation_id == 99


@pytest.mark.parametrize("action", ["closed", "labeled", "edited", "assigned"])
def test_other_pull_request_actions_are_ignored(action: str) -> None:
    assert isinstance(decide("pull_request", pr_payload(action)), Ignore)


def test_a_closed_pull_request_is_ignored_and_a_draft_is_flagged() -> None:
    assert isinstance(decide("pull_request", pr_payload("synchronize", state="closed")), Ignore)
    found = decide("pull_request", pr_payload(draft=True))
    assert isinstance(found, StartReview) and found.pull.draft


def test_ping_unknown_events_and_malformed_payloads() -> None:
    assert isinstance(decide("ping", {}), Ping)
    assert isinstance(decide("push", {}), Ignore)
    assert isinstance(decide("pull_request", []), Ignore)
    assert isinstance(decide("pull_request", {"action": "opened"}), Ignore)
    broken = pr_payload()
    del broken["pull_request"]["head"]
    assert isinstance(decide("pull_request", broken), Ignore)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/review-panel review", ("review", "")),
        ("/review-panel approve\nthanks", ("approve", "")),
        ("  /review-panel reject too noisy here  ", ("reject", "too noisy here")),
        ("/review-panel retry", ("retry", "")),
        ("/review-panel merge", None),
        ("/review-panelapprove", None),
        ("please /review-panel approve", None),
        ("", None),
    ],
)
def test_commands_are_read_from_the_first_line(body: str, expected: Any) -> None:
    assert parse_command(body) == expected


def test_a_command_comment_becomes_a_command() -> None:
    found = decide("issue_comment", comment_payload("/review-panel reject no"))
    assert found == Command(
        found.repo,
        7,
        5,
        "bob",
        "reject",
        "no",  # type: ignore[union-attr]
    )


@pytest.mark.parametrize(
    "payload",
    [
        comment_payload("/review-panel approve", action="edited"),
        comment_payload("/review-panel approve", action="deleted"),
        comment_payload("/review-panel approve", user="review-panel[bot]"),
        comment_payload("/review-panel approve", type="Bot"),
        comment_payload("/review-panel approve", on_pull=False),
        comment_payload("/review-panel unknown"),
        comment_payload("just a comment"),
    ],
)
def test_edited_bot_issue_and_unknown_comments_are_ignored(payload: dict[str, Any]) -> None:
    assert isinstance(decide("issue_comment", payload), Ignore)


def test_the_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"a": 1}'
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature_ok("s3cret", body, good)
    assert not signature_ok("s3cret", body + b" ", good)
    assert not signature_ok("other", body, good)
    assert not signature_ok("s3cret", body, None)
    assert not signature_ok("s3cret", body, good.replace("sha256=", "sha1="))


def test_one_thread_id_per_pull_request_head() -> None:
    a = thread_id("https://api.github.com", "Octo", "Demo", 7, "A" * 40)
    assert a == thread_id("https://api.github.com/", "octo", "demo", 7, "a" * 40)
    assert a != thread_id("https://ghe.example/api/v3", "octo", "demo", 7, "a" * 40)
    assert a != thread_id("https://api.github.com", "octo", "demo", 8, "a" * 40)
    assert a != thread_id("https://api.github.com", "octo", "demo", 7, "b" * 40)
    assert a != thread_id("https://api.github.com", "octo", "demo", 7, "a" * 40, generation=1)


def test_a_redelivery_is_taken_once() -> None:
    seen = Deliveries(size=2)
    assert seen.first_time("d1") and not seen.first_time("d1")
    assert seen.first_time("d2") and seen.first_time("d3")
    assert seen.first_time("d1")  # forgotten: the oldest beyond the bound


def draft_view(**values: Any) -> ThreadView:
    draft = {
        "verdict": "REQUEST_CHANGES",
        "comments": [{"title": "SQL injection in find_user", "body": "secret finding"}] * 3,
    }
    return ThreadView("t1", "paused", {"draft": draft} | values, {"draft": draft})


def test_status_texts_say_where_the_review_stands_and_never_a_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEW_PANEL_PUBLIC_URL", "https://rp.example/")
    paused = describe(draft_view())
    assert (paused.state, paused.description) == (
        "pending",
        "draft ready: 3 comments, REQUEST_CHANGES, waiting for approval",
    )
    assert paused.target_url == "https://rp.example/inbox/t1"
    assert "injection" not in paused.description
    posted = describe(ThreadView("t1", "posted", {"result": {"url": "https://gh/r/1"}}))
    assert (posted.state, posted.description, posted.target_url) == (
        "success",
        "review posted",
        "https://gh/r/1",
    )
    assert describe(ThreadView("t1", "rejected"), "carol").description == (
        "draft rejected by @carol"
    )
    failed = describe(ThreadView("t1", "failed", error="GitHubAuthError: bad token " + "x" * 200))
    assert failed.state == "error" and failed.description.startswith("review failed: ")
    assert len(failed.description) <= 140
    # LangGraph's server reports a task's error as a repr: the status shows the message.
    refused = (
        "GitHubError('octo/app#1: GitHub answered 403: Resource not accessible by integration')"
    )
    assert describe(ThreadView("t1", "failed", error=refused)).description == (
        "review failed: octo/app#1: GitHub answered 403: Resource not accessible by integration"
    )
    superseded = describe(draft_view(superseded_by="t2"))
    assert "superseded" in superseded.description


def test_without_a_public_url_the_status_links_to_the_thread_in_studio() -> None:
    assert describe(draft_view()).target_url.startswith(  # type: ignore[union-attr]
        "https://smith.langchain.com/studio/thread/t1?baseUrl="
    )
