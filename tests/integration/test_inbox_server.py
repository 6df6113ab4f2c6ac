"""The inbox on LangGraph's server: the same pages, reading and resuming threads through the
server's own API (langgraph_sdk), under ``langgraph dev`` with the repo's ``langgraph.json``.

Threads come from Studio-style runs (``runs.wait`` with a local diff) and from the team
service (a signed ``pull_request`` delivery); the inbox answers them, and for a team thread
the PR's commit status follows the decision.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from team.threads import thread_id
from tests.integration.conftest import ROOT, DevServer, StartServer
from tests.servers import github_events as events
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer

pytestmark = pytest.mark.server

INBOX_TOKEN = "inbox-token-on-the-server-0123456789"
SECRET = "webhook-secret-for-inbox-tests-012345"
TOKEN = "ghp_InboxServerTokenThatMustNeverLeak01"
DIFF = (ROOT / "examples" / "sql_injection.diff").read_text()
GRAPH_ID = "review_panel"
WAIT = 90.0


@pytest.fixture(scope="module")
def model() -> Iterator[ModelServer]:
    with ModelServer(answer) as server:
        yield server


@pytest.fixture(scope="module")
def github() -> Iterator[GitHubServer]:
    with GitHubServer(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def service(langgraph_dev: StartServer, model: ModelServer, github: GitHubServer) -> DevServer:
    server = langgraph_dev(
        {
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "test-key",
            "REVIEW_PANEL_MAX_RETRIES": "0",
            "GITHUB_API_URL": github.base_url,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "REVIEW_PANEL_INBOX_TOKEN": INBOX_TOKEN,
        }
    )
    yield server
    server.stop()


def bearer(service: DevServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {INBOX_TOKEN}"}
    return httpx.Client(base_url=service.url, headers=headers, timeout=60)


async def paused_local_thread(sdk: LangGraphClient) -> str:
    thread = (await sdk.threads.create())["thread_id"]
    result = await sdk.runs.wait(thread, GRAPH_ID, input={"target": DIFF})
    assert isinstance(result, dict) and result.get("__interrupt__"), result
    return str(thread)


def wait_for(what: str, found: Callable[[], Any], server: DevServer) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}\n{server.explain(ROOT)}")


async def test_the_server_inbox_lists_shows_and_answers_a_thread_by_form(
    service: DevServer, sdk: LangGraphClient
) -> None:
    thread = await paused_local_thread(sdk)
    with httpx.Client(base_url=service.url, timeout=60) as anonymous:
        answer_ = anonymous.get(f"/inbox/{thread}", headers={"Accept": "text/html"})
        assert answer_.status_code == 303 and "/inbox/login" in answer_.headers["location"]
    with bearer(service) as client:
        listed = [row["thread_id"] for row in client.get("/inbox").json()["paused"]]
        assert thread in listed
    with signed_in(service) as browser:
        page = browser.get(f"/inbox/{thread}").text
        draft = (await sdk.threads.get_state(thread))["values"]["draft"]
        assert draft["summary"] in page
        first = draft["comments"][0]["id"]
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
        decided = browser.post(
            f"/inbox/{thread}/decision",
            data={
                "csrf": fields["csrf"],
                "checkpoint": fields["checkpoint"],
                "action": "approve",
                f"action.{first}": "edit",
                f"body.{first}": "Reworded in the inbox.",
            },
        )
        assert decided.status_code == 303, decided.text[:2000]
        outcome = browser.get(decided.headers["location"]).text
    state = await sdk.threads.get_state(thread)
    assert state["values"]["approved"]["decision"] == "edit"
    assert "Reworded in the inbox." in state["values"]["result"]["markdown"]
    assert "Reworded in the inbox." in outcome


async def test_a_team_draft_approved_in_the_inbox_posts_once_and_the_status_says_so(
    service: DevServer, github: GitHubServer
) -> None:
    head = hashlib.sha1(b"inbox team head").hexdigest()
    pr = github.add_pull("octo", "team", 7, DIFF, author="alice", head_sha=head)
    body = events.body_of(events.pull_request(pr, "opened", github.base_url))
    headers = events.signed_headers(SECRET, body, "pull_request", None)
    assert httpx.post(f"{service.url}/github/webhook", content=body, headers=headers).is_success

    def status() -> dict[str, Any] | None:
        rows = [s for s in github.statuses("octo", "team", head) if s["context"] == "review-panel"]
        return rows[0] if rows else None

    wait_for(
        "the pending status",
        lambda: (
            (status() or {}).get("state") == "pending" and "draft ready" in status()["description"]
        ),
        service,
    )  # type: ignore[index]
    thread = thread_id(github.base_url, "octo", "team", 7, head)
    with bearer(service) as client:
        decided = client.post(
            f"/inbox/{thread}/decision", json={"decisions": [{"type": "approve"}]}
        )
        assert decided.status_code == 200, decided.text
        again = client.post(f"/inbox/{thread}/decision", json={"decisions": [{"type": "approve"}]})
    assert again.status_code == 409
    (review,) = github.reviews("octo", "team", 7)
    assert decided.json()["url"] == review["html_url"]
    final = status()
    assert final is not None
    assert (final["state"], final["description"]) == ("success", "review posted")


@contextmanager
def signed_in(service: DevServer) -> Iterator[httpx.Client]:
    """A browser-like client signed in with the token form (no link is printed on a server)."""
    with httpx.Client(base_url=service.url, timeout=60) as client:
        login = client.get("/inbox/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login)
        assert csrf, login
        signed = client.post("/inbox/login", data={"csrf": csrf[1], "token": INBOX_TOKEN})
        assert signed.status_code == 303, signed.text
        yield client


async def test_a_superseded_draft_says_so_in_the_list_and_on_its_page(
    service: DevServer, sdk: LangGraphClient
) -> None:
    older = await paused_local_thread(sdk)
    newer = await paused_local_thread(sdk)
    await sdk.threads.update_state(older, {"superseded_by": newer})
    with bearer(service) as client:
        rows = {row["thread_id"]: row for row in client.get("/inbox").json()["paused"]}
    assert rows[older]["superseded_by"] == newer
    assert rows[newer]["superseded_by"] is None
    with signed_in(service) as browser:
        listing = browser.get("/inbox").text
        page = browser.get(f"/inbox/{older}").text
    assert "superseded" in listing
    assert "Superseded" in page and f'href="/inbox/{newer}"' in page
    # Marking it superseded wrote a checkpoint after the pause: it is still answerable here.
    with bearer(service) as client:
        decided = client.post(
            f"/inbox/{older}/decision",
            json={"decisions": [{"type": "reject", "message": "superseded"}]},
        )
    assert decided.status_code == 200, decided.text
    assert (await sdk.threads.get_state(older))["values"]["rejection"] == "superseded"


# --- the interrupt's per-comment actions, answered through langgraph_sdk ---------------------


async def paused_payload(sdk: LangGraphClient) -> tuple[str, dict[str, Any]]:
    thread = (await sdk.threads.create())["thread_id"]
    result = await sdk.runs.wait(thread, GRAPH_ID, input={"target": DIFF})
    assert isinstance(result, dict)
    (interrupt,) = result["__interrupt__"]
    return str(thread), dict(interrupt["value"])


async def test_the_interrupt_holds_one_action_per_comment_plus_one_for_the_review(
    sdk: LangGraphClient,
) -> None:
    _, payload = await paused_payload(sdk)
    comments = payload["draft"]["comments"]
    actions = payload["action_requests"]
    assert len(actions) == 1 + len(comments)
    review, *per_comment = actions
    assert review["name"] == "post_review"
    assert {"summary", "verdict"} <= set(review["args"])
    for action, c in zip(per_comment, comments, strict=True):
        assert action["name"] == "review_comment"
        assert action["args"] == {
            "id": c["id"],
            "path": c["path"],
            "line": c["end_line"],
            "severity": c["severity"],
            "body": c["body"],
        }
    names = [config["action_name"] for config in payload["review_configs"]]
    assert names == ["post_review", "review_comment"]


async def test_langchains_hitl_answer_keeps_edits_and_drops_per_comment(
    sdk: LangGraphClient,
) -> None:
    thread, payload = await paused_payload(sdk)
    per_comment = payload["action_requests"][1:]
    assert len(per_comment) >= 2
    edited = {"name": "review_comment", "args": {**per_comment[0]["args"], "body": "Bind it."}}
    decisions = [{"type": "approve"}, {"type": "edit", "edited_action": edited}]
    decisions += [{"type": "reject", "message": "noise"}]
    decisions += [{"type": "approve"}] * (len(per_comment) - 2)
    final = await sdk.runs.wait(thread, GRAPH_ID, command={"resume": {"decisions": decisions}})
    assert isinstance(final, dict) and "__interrupt__" not in final, final
    markdown = final["result"]["markdown"]
    assert "Bind it." in markdown
    assert per_comment[1]["args"]["body"] not in markdown
    assert final["approved"]["decision"] == "edit"


async def test_todays_answer_shape_still_works_beside_it(sdk: LangGraphClient) -> None:
    thread, payload = await paused_payload(sdk)
    drop = payload["draft"]["comments"][0]
    edit = {"type": "edit", "comments": {drop["id"]: None}, "summary": "Short."}
    final = await sdk.runs.wait(thread, GRAPH_ID, command={"resume": {"decisions": [edit]}})
    assert isinstance(final, dict) and final["approved"]["summary"] == "Short."
    assert drop["body"] not in final["result"]["markdown"]


async def test_a_hitl_answer_that_does_not_fit_leaves_the_thread_paused_with_the_reason(
    sdk: LangGraphClient, service: DevServer
) -> None:
    thread, payload = await paused_payload(sdk)
    short = {"decisions": [{"type": "approve"}, {"type": "reject"}]}  # too few decisions
    result = await sdk.runs.wait(thread, GRAPH_ID, command={"resume": short})
    assert isinstance(result, dict)
    (interrupt,) = result["__interrupt__"]
    assert "expected" in interrupt["value"]["error"]
    # The inbox takes the same shape from a script, and refuses the same way.
    with bearer(service) as client:
        answer = client.post(f"/inbox/{thread}/decision", json=short)
        assert answer.status_code == 422 and "expected" in answer.json()["error"]
        n = len(payload["action_requests"])
        ok = client.post(f"/inbox/{thread}/decision", json={"decisions": [{"type": "approve"}] * n})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "written"
