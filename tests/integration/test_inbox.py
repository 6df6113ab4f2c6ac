"""The inbox over HTTP, served by ``review-panel inbox`` on the CLI's SQLite checkpoints.

Reviews are made by the real CLI against the loopback model and GitHub; the inbox runs as a
subprocess with both sign-in modes on; requests go over real HTTP (httpx). What a browser
does with the pages is in ``test_inbox_browser.py``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.integration.conftest import free_port
from tests.integration.inbox_env import (
    FLAKY_DIFF,
    INBOX_TOKEN,
    World,
    start_inbox,
    stop,
    world,
)

pytestmark = pytest.mark.server

CSP_NO_SCRIPT = "default-src 'none'"


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world(tmp_path_factory.mktemp("inbox"))


@contextmanager
def signed_in(w: World) -> Iterator[httpx.Client]:
    """A cookie session, made by following the link ``review-panel inbox`` printed."""
    with w.inbox.http() as client:
        answer = client.get(w.inbox.sign_in_link.removeprefix(w.inbox.url))
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/inbox"
        yield client


def form_fields(html: str, action: str = "approve") -> dict[str, str]:
    """The hidden fields of the page's first form (csrf and checkpoint)."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert fields.get("csrf") and fields.get("checkpoint"), html[:2000]
    return {k: fields[k] for k in ("csrf", "checkpoint")} | {"action": action}


def comment_ids(html: str) -> list[str]:
    return re.findall(r'name="action\.(c-[0-9a-f]+)"', html)


# --- who may see ---------------------------------------------------------------------------


def test_without_sign_in_a_browser_is_redirected_and_sees_no_draft_text(w: World) -> None:
    thread_id, _ = w.pull()
    draft = w.inbox.state(thread_id)["draft"]
    with w.inbox.http() as anonymous:
        for path in ("/inbox", f"/inbox/{thread_id}"):
            answer = anonymous.get(path, headers={"Accept": "text/html"})
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/inbox/login?next=")
            assert draft["summary"] not in answer.text
            assert draft["comments"][0]["title"] not in answer.text
        answer = anonymous.post(f"/inbox/{thread_id}/decision", data={"action": "approve"})
        assert answer.status_code == 303
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"


def test_a_script_without_a_valid_bearer_token_gets_401(w: World) -> None:
    thread_id, _ = w.pull()
    with w.inbox.http(headers={"Authorization": "Bearer wrong-token"}) as client:
        for method, path in (("GET", "/inbox"), ("GET", f"/inbox/{thread_id}")):
            answer = client.request(method, path)
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "draft" not in answer.json()
        answer = client.post(
            f"/inbox/{thread_id}/decision", json={"decisions": [{"type": "approve"}]}
        )
        assert answer.status_code == 401
    with w.inbox.http() as client:  # no credentials, asking for JSON
        assert client.get("/inbox", headers={"Accept": "application/json"}).status_code == 401
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"


def test_a_script_with_the_token_answers_with_the_cli_json_and_no_csrf(w: World) -> None:
    thread_id, number = w.pull()
    with w.inbox.bearer() as client:
        listed = client.get("/inbox").json()["paused"]
        assert thread_id in [row["thread_id"] for row in listed]
        answer = client.post(
            f"/inbox/{thread_id}/decision",
            json={"decisions": [{"type": "reject", "message": "too noisy"}]},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "rejected"
    assert answer.json()["rejection"] == "too noisy"
    assert w.github.reviews("octo", "app", number) == []


def test_the_sign_in_link_carries_a_code_not_the_inbox_token(w: World) -> None:
    assert INBOX_TOKEN not in w.inbox.sign_in_link
    with w.inbox.http() as client:
        answer = client.get("/inbox/login", params={"code": "guessed"})
        assert answer.status_code == 403
        assert client.get("/inbox", headers={"Accept": "text/html"}).status_code == 303


def test_the_session_cookie_is_signed_httponly_and_samesite(w: World) -> None:
    with w.inbox.http() as client:
        answer = client.get(w.inbox.sign_in_link.removeprefix(w.inbox.url))
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        value = client.cookies["review_panel_inbox"]
        payload, _, signature = value.partition(".")
        forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    with w.inbox.http(cookies={"review_panel_inbox": forged}) as client:
        assert client.get("/inbox", headers={"Accept": "text/html"}).status_code == 303


def test_every_answer_carries_a_csp_without_inline_script(w: World) -> None:
    thread_id, _ = w.pull()
    with signed_in(w) as client:
        answers = [
            client.get("/inbox/login"),
            client.get("/inbox"),
            client.get(f"/inbox/{thread_id}"),
            client.post(f"/inbox/{thread_id}/decision", data={"action": "approve"}),
        ]
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert CSP_NO_SCRIPT in csp and "unsafe-inline" not in csp and "script-src" not in csp
        assert "<script" not in answer.text


def test_a_github_sign_in_that_did_not_start_here_is_refused(w: World) -> None:
    w.github.sign_in_browser("alice")
    with w.inbox.http() as client:
        # A code and state made for someone else's session (login CSRF): no session results.
        answer = client.get("/inbox/oauth/callback", params={"code": "abc", "state": "forged"})
        assert answer.status_code == 403
        assert client.get("/inbox", headers={"Accept": "text/html"}).status_code == 303
        # Started here, GitHub sends the state back and the person is signed in.
        start = client.get("/inbox/login/github")
        assert start.status_code == 303 and "/login/oauth/authorize" in start.headers["location"]
        back = httpx.get(start.headers["location"], follow_redirects=False)
        assert back.status_code == 302
        callback = back.headers["location"].removeprefix(w.inbox.url)
        assert client.get(callback).status_code == 303
        assert client.get("/inbox", headers={"Accept": "text/html"}).status_code == 200


# --- one decision --------------------------------------------------------------------------


def test_a_cookie_post_without_the_csrf_token_is_403_and_changes_nothing(w: World) -> None:
    thread_id, number = w.pull()
    with signed_in(w) as client:
        fields = form_fields(client.get(f"/inbox/{thread_id}").text)
        del fields["csrf"]
        answer = client.post(f"/inbox/{thread_id}/decision", data=fields)
        assert answer.status_code == 403
        answer = client.post(
            f"/inbox/{thread_id}/decision", json={"decisions": [{"type": "approve"}]}
        )
        assert answer.status_code == 403
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"
    assert w.github.reviews("octo", "app", number) == []


def test_an_answer_that_does_not_fit_shows_the_draft_again_and_the_thread_stays_paused(
    w: World,
) -> None:
    thread_id, number = w.pull()
    with signed_in(w) as client:
        html = client.get(f"/inbox/{thread_id}").text
        first = comment_ids(html)[0]
        fields = form_fields(html) | {
            f"action.{first}": "keep",
            f"body.{first}": "My own words, <b>kept</b>",
        }
        answer = client.post(f"/inbox/{thread_id}/decision", data=fields)
    assert answer.status_code == 422
    assert "choose &#39;edit&#39; to post your text" in answer.text
    assert "My own words, &lt;b&gt;kept&lt;/b&gt;" in answer.text  # nothing typed is lost
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"
    with w.inbox.bearer() as client:
        answer = client.post(
            f"/inbox/{thread_id}/decision",
            json={"decisions": [{"type": "edit", "comments": {"c-nope": None}}]},
        )
    assert answer.status_code == 422
    assert "c-nope" in answer.json()["error"]
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"
    assert w.github.reviews("octo", "app", number) == []


def test_a_double_submit_posts_one_review(w: World) -> None:
    thread_id, number = w.pull()
    with signed_in(w) as client:
        fields = form_fields(client.get(f"/inbox/{thread_id}").text)
        answers: list[httpx.Response] = []

        def submit() -> None:
            with w.inbox.http(cookies=client.cookies) as other:
                answers.append(other.post(f"/inbox/{thread_id}/decision", data=fields))

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        again = client.post(f"/inbox/{thread_id}/decision", data=fields)  # the back button
    assert sorted(a.status_code for a in answers) == [303, 409], [a.text[:300] for a in answers]
    assert again.status_code == 409
    assert len(w.github.reviews("octo", "app", number)) == 1
    state = w.inbox.state(thread_id)
    assert state["status"] == "posted"
    assert state["url"] and state["url"] in again.text


def test_a_local_diff_answer_page_shows_the_final_markdown(w: World) -> None:
    thread_id = w.local("sql_injection.diff")
    with signed_in(w) as client:
        fields = form_fields(client.get(f"/inbox/{thread_id}").text)
        answer = client.post(f"/inbox/{thread_id}/decision", data=fields)
        assert answer.status_code == 303
        page = client.get(answer.headers["location"]).text
    state = w.inbox.state(thread_id)
    assert state["status"] == "written"
    assert "# Review: " in page and "nothing was posted anywhere" in page


def test_a_github_user_sees_only_drafts_of_repositories_they_may_write(w: World) -> None:
    thread_id, _ = w.pull()
    local = w.local("n_plus_one.diff")
    w.github.set_permission("octo", "app", "carol", "maintain")
    token = w.github.user_token("carol")
    with w.inbox.http(headers={"Authorization": f"Bearer {token}"}) as client:
        listed = [row["thread_id"] for row in client.get("/inbox").json()["paused"]]
        assert thread_id in listed and local not in listed
        assert client.get(f"/inbox/{thread_id}").status_code == 200
        assert client.get(f"/inbox/{local}").status_code == 403
    w.github.set_permission("octo", "app", "dave", "triage")
    token = w.github.user_token("dave")
    with w.inbox.http(headers={"Authorization": f"Bearer {token}"}) as client:
        assert thread_id not in [row["thread_id"] for row in client.get("/inbox").json()["paused"]]
        answer = client.post(
            f"/inbox/{thread_id}/decision", json={"decisions": [{"type": "approve"}]}
        )
        assert answer.status_code == 403
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"


def test_retry_is_offered_where_calls_failed_and_re_runs_them(w: World) -> None:
    thread_id, _ = w.pull(FLAKY_DIFF)
    with signed_in(w) as client:
        html = client.get(f"/inbox/{thread_id}").text
        assert "Not fully reviewed" in html and 'value="retry"' in html
        answer = client.post(f"/inbox/{thread_id}/decision", data=form_fields(html, "retry"))
        assert answer.status_code == 303, answer.text[:2000]
        html = client.get(f"/inbox/{thread_id}").text
    state = w.inbox.state(thread_id)
    assert state["status"] == "awaiting approval"
    assert state["draft"]["failures"] == []
    assert 'value="retry"' not in html


def test_a_moved_head_is_listed_and_answered_on_the_page(w: World) -> None:
    thread_id, number = w.pull()
    with signed_in(w) as client:
        fields = form_fields(client.get(f"/inbox/{thread_id}").text)
        w.github.move_head("octo", "app", number, "f" * 40)
        answer = client.post(f"/inbox/{thread_id}/decision", data=fields)
        assert answer.status_code == 303, answer.text[:2000]
        listing = client.get("/inbox").text
        page = client.get(f"/inbox/{thread_id}").text
        assert "head moved" in listing
        assert "moved since the review" in page and 'value="post"' in page
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
        answer = client.post(
            f"/inbox/{thread_id}/decision",
            data={"csrf": hidden["csrf"], "checkpoint": hidden["checkpoint"], "moved_head": "post"},
        )
        assert answer.status_code == 303, answer.text[:2000]
    (review,) = w.github.reviews("octo", "app", number)
    assert review["commit_id"] != "f" * 40  # posted on the commit that was reviewed
    assert w.inbox.state(thread_id)["status"] == "posted"


def test_review_panel_inbox_serves_threads_kept_in_postgres(w: World, postgres_url: str) -> None:
    pg = World(w.github, w.model, w.env | {"REVIEW_PANEL_DB": postgres_url}, w.inbox)
    pg.next_number = [900]
    thread_id, number = pg.pull()
    inbox = start_inbox(w.inbox.env | {"REVIEW_PANEL_DB": postgres_url}, free_port())
    try:
        with inbox.bearer() as client:
            listed = [row["thread_id"] for row in client.get("/inbox").json()["paused"]]
            assert listed == [thread_id]
            answer = client.post(
                f"/inbox/{thread_id}/decision", json={"decisions": [{"type": "approve"}]}
            )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "posted"
    finally:
        stop(inbox.process)
    assert len(w.github.reviews("octo", "app", number)) == 1
