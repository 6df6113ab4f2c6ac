"""review-panel as a team service on LangGraph's server: GitHub deliveries in, reviews out.

One ``langgraph dev`` with the repo's ``langgraph.json`` (its ``http.app`` mounts the webhook)
serves the whole module, against the loopback GitHub and model servers. Deliveries are signed
and sent over HTTP as GitHub sends them; reviews run as runs of the ``review_panel`` graph on
that server; what the PR sees is read back from the loopback GitHub (statuses, reactions,
reviews), and threads from the server through langgraph_sdk.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from team.threads import thread_id
from tests.integration.conftest import ROOT, DevServer, StartServer
from tests.servers import github_events as events
from tests.servers.github_server import GitHubServer, PullRecord
from tests.servers.openai_server import ModelServer, Reply
from tests.servers.panel_model import answer

pytestmark = pytest.mark.server

SECRET = "webhook-secret-for-tests-0123456789"
TOKEN = "ghp_TeamServiceTokenThatMustNeverLeak01"
PUBLIC = "https://review.example.test"
DIFF = (ROOT / "examples" / "sql_injection.diff").read_text()
WAIT = 90.0  # seconds: the most any background review here may take


@pytest.fixture(scope="module")
def model() -> Iterator[ModelServer]:
    with ModelServer(answer) as server:
        yield server


@pytest.fixture(scope="module")
def github() -> Iterator[GitHubServer]:
    with GitHubServer(token=TOKEN) as server:
        yield server


def service_env(model: ModelServer, github: GitHubServer, **identity: str) -> dict[str, str]:
    """The team service's environment against the loopback servers; ``identity`` is how it
    acts on GitHub: ``GITHUB_TOKEN``, or ``GITHUB_APP_ID`` and ``GITHUB_APP_PRIVATE_KEY``."""
    return {
        "OPENAI_BASE_URL": model.base_url,
        "OPENAI_API_KEY": "test-key",
        "REVIEW_PANEL_MAX_RETRIES": "0",
        "GITHUB_API_URL": github.base_url,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "REVIEW_PANEL_PUBLIC_URL": PUBLIC,
        **identity,
    }


@pytest.fixture(scope="module")
def service(langgraph_dev: StartServer, model: ModelServer, github: GitHubServer) -> DevServer:
    server = langgraph_dev(service_env(model, github, GITHUB_TOKEN=TOKEN))
    yield server
    server.stop()  # before the loopback GitHub and model go away


class Deliverer:
    """Sends deliveries to the service as GitHub does, and remembers how long answers took."""

    def __init__(self, service: DevServer, github: GitHubServer) -> None:
        self.url = service.url + "/github/webhook"
        self.github = github
        self.http = httpx.Client(timeout=10)

    def send(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        delivery: str | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = events.body_of(payload)
        sent = events.signed_headers(secret, body, event, delivery) | (headers or {})
        return self.http.post(self.url, content=body, headers=sent)

    def opened(self, pr: PullRecord, action: str = "opened", **kw: Any) -> httpx.Response:
        return self.send(
            "pull_request", events.pull_request(pr, action, self.github.base_url), **kw
        )

    def comment(
        self, pr: PullRecord, body: str, user: str, **kw: Any
    ) -> tuple[dict[str, Any], httpx.Response]:
        comment = self.github.add_issue_comment(pr.owner, pr.repo, pr.number, body, user)
        payload = events.issue_comment(pr, comment, self.github.base_url)
        return comment, self.send("issue_comment", payload, **kw)


@pytest.fixture(scope="module")
def deliver(service: DevServer, github: GitHubServer) -> Iterator[Deliverer]:
    d = Deliverer(service, github)
    yield d
    d.http.close()


def wait_for(what: str, found: Callable[[], Any], server: DevServer) -> Any:
    """Poll state the loopback servers recorded until ``found()`` is truthy."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}\n{server.explain(ROOT)}")


def latest_status(
    github: GitHubServer, pr: PullRecord, sha: str | None = None
) -> dict[str, Any] | None:
    rows = [
        s
        for s in github.statuses(pr.owner, pr.repo, sha or pr.head_sha)
        if s["context"] == "review-panel"
    ]
    return rows[0] if rows else None


def status_is(
    github: GitHubServer, pr: PullRecord, prefix: str, sha: str | None = None
) -> Callable[[], Any]:
    def check() -> Any:
        status = latest_status(github, pr, sha)
        return status if status and status["description"].startswith(prefix) else None

    return check


def tid(github: GitHubServer, pr: PullRecord, sha: str | None = None) -> str:
    return thread_id(github.base_url, pr.owner, pr.repo, pr.number, sha or pr.head_sha)


def reactions(github: GitHubServer, comment: dict[str, Any]) -> list[str]:
    return [r["content"] for r in github.reactions(comment["id"])]


def new_pull(github: GitHubServer, number: int, **kw: Any) -> PullRecord:
    kw.setdefault("author", "alice")
    kw.setdefault("head_sha", hashlib.sha1(f"head of {number}".encode()).hexdigest())
    pr = github.add_pull("octo", "team", number, kw.pop("diff", DIFF), **kw)
    github.set_permission("octo", "team", "maintainer", "maintain")
    github.set_permission("octo", "team", "reader", "read")
    github.set_permission("octo", "team", "alice", "write")
    return pr


def draft_ready(service: DevServer, github: GitHubServer, pr: PullRecord) -> dict[str, Any]:
    return wait_for("the draft's pending status", status_is(github, pr, "draft ready"), service)


# --- the webhook's answers ----------------------------------------------------------------


def test_ping_is_answered_and_unsigned_or_unknown_deliveries_start_nothing(
    deliver: Deliverer, github: GitHubServer, sdk: LangGraphClient
) -> None:
    assert (
        deliver.send("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}).status_code == 200
    )
    pr = new_pull(github, 1)
    before = len(github.requests)
    bad = deliver.opened(pr, secret="not-the-secret")
    assert bad.status_code == 401
    unsigned = deliver.opened(pr, headers={"x-hub-signature-256": ""})
    assert unsigned.status_code == 401
    assert deliver.send("deployment", {"action": "created"}).status_code == 202
    closed = events.pull_request(pr, "closed", github.base_url)
    assert deliver.send("pull_request", closed).status_code == 202
    labeled = events.pull_request(pr, "labeled", github.base_url)
    assert "ignored" in deliver.send("pull_request", labeled).json()["message"]
    assert github.requests[before:] == []  # nothing reached GitHub
    assert asyncio.run(_thread_exists(deliver, tid(github, pr))) is False


async def _thread_exists(deliver: Deliverer, thread: str) -> bool:
    async with get_client(url=deliver.url.rsplit("/github", 1)[0], api_key=None) as client:
        try:
            await client.threads.get(thread)
        except Exception:
            return False
        return True


def test_a_body_over_25_mb_is_refused(deliver: Deliverer) -> None:
    big = b"{" + b" " * (25 * 1024 * 1024) + b"}"
    headers = events.signed_headers(SECRET, big, "pull_request")
    assert deliver.http.post(deliver.url, content=big, headers=headers).status_code == 413


# --- a review per pull request --------------------------------------------------------------


async def test_a_signed_pull_request_gets_a_draft_and_a_pending_status_with_the_link(
    deliver: Deliverer,
    github: GitHubServer,
    service: DevServer,
    sdk: LangGraphClient,
    model: ModelServer,
) -> None:
    pr = new_pull(github, 2)
    # The model answers nothing until the delivery has been answered: an endpoint that waited
    # for the review would time out here (the answer time itself is bench/webhook.py's).
    answered, review = threading.Event(), model.handler
    model.handler = lambda request: (answered.wait(WAIT), review(request))[1]
    try:
        answer_ = deliver.opened(pr, delivery="delivery-2")
    finally:
        answered.set()
        model.handler = review
    assert answer_.status_code == 202
    status = await asyncio.to_thread(draft_ready, service, github, pr)
    thread = tid(github, pr)
    assert status["state"] == "pending"
    assert status["target_url"] == f"{PUBLIC}/inbox/{thread}"
    assert status["description"].endswith("waiting for approval")
    state = await sdk.threads.get_state(thread)
    assert state["next"] == ["approve"]
    draft = state["values"]["draft"]
    count = len(draft["comments"])
    assert status["description"] == (
        f"draft ready: {count} comments, {draft['verdict']}, waiting for approval"
    )
    assert github.reviews("octo", "team", 2) == []  # nothing posted before a person decides

    # A redelivery (same GUID), and the same head in another delivery, start nothing new.
    again = deliver.opened(pr, delivery="delivery-2")
    assert (again.status_code, again.json()["message"]) == (
        202,
        "ignored: delivery delivery-2 was already taken",
    )
    assert deliver.opened(pr, "reopened", delivery="delivery-2b").status_code == 202
    await asyncio.to_thread(
        wait_for,
        "the reopened delivery to be handled",
        lambda: f"delivery-2b: exists: thread {thread}" in service.output(tail=200_000),
        service,
    )
    runs = await sdk.runs.list(thread)
    assert len(runs) == 1


async def test_approve_from_a_write_user_posts_one_review_and_a_success_status(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    pr = new_pull(github, 3)
    deliver.opened(pr)
    await asyncio.to_thread(draft_ready, service, github, pr)

    refused_reader, _ = deliver.comment(pr, "/review-panel approve", "reader")
    refused_author, _ = deliver.comment(pr, "/review-panel approve", "alice")
    for comment in (refused_reader, refused_author):
        await asyncio.to_thread(
            wait_for, "a -1", lambda c=comment: reactions(github, c) == ["-1"], service
        )
    state = await sdk.threads.get_state(tid(github, pr))
    assert state["next"] == ["approve"]  # still paused
    assert github.reviews("octo", "team", 3) == []

    accepted, _ = deliver.comment(pr, "/review-panel approve", "maintainer")
    status = await asyncio.to_thread(
        wait_for, "success", status_is(github, pr, "review posted"), service
    )
    reviews = github.reviews("octo", "team", 3)
    assert len(reviews) == 1
    assert status["state"] == "success"
    assert status["target_url"] == reviews[0]["html_url"]
    await asyncio.to_thread(wait_for, "+1", lambda: reactions(github, accepted), service)
    assert reactions(github, accepted) == ["+1"]


async def test_two_approvals_at_once_post_one_review(
    deliver: Deliverer, github: GitHubServer, service: DevServer
) -> None:
    pr = new_pull(github, 4)
    deliver.opened(pr)
    await asyncio.to_thread(draft_ready, service, github, pr)
    first = github.add_issue_comment("octo", "team", 4, "/review-panel approve", "maintainer")
    second = github.add_issue_comment("octo", "team", 4, "/review-panel approve", "maintainer")
    payloads = [events.issue_comment(pr, c, github.base_url) for c in (first, second)]
    async with httpx.AsyncClient(timeout=10) as http:
        answers = await asyncio.gather(
            *[
                http.post(
                    deliver.url,
                    content=events.body_of(p),
                    headers=events.signed_headers(SECRET, events.body_of(p), "issue_comment"),
                )
                for p in payloads
            ]
        )
    assert [a.status_code for a in answers] == [202, 202]
    await asyncio.to_thread(
        wait_for,
        "both answered",
        lambda: reactions(github, first) and reactions(github, second),
        service,
    )
    assert sorted(reactions(github, first) + reactions(github, second)) == ["+1", "-1"]
    assert len(github.reviews("octo", "team", 4)) == 1


async def test_reject_by_command_says_who_rejected(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    pr = new_pull(github, 5)
    deliver.opened(pr)
    await asyncio.to_thread(draft_ready, service, github, pr)
    comment, _ = deliver.comment(pr, "/review-panel reject too noisy for this change", "maintainer")
    status = await asyncio.to_thread(
        wait_for, "rejected", status_is(github, pr, "draft rejected"), service
    )
    assert status["description"] == "draft rejected by @maintainer"
    assert status["state"] == "success"
    await asyncio.to_thread(wait_for, "+1", lambda: reactions(github, comment), service)
    assert reactions(github, comment) == ["+1"]
    values = (await sdk.threads.get(tid(github, pr)))["values"]
    assert "too noisy" in values["rejection"]
    assert github.reviews("octo", "team", 5) == []


async def test_a_model_outage_gives_an_error_status_and_retry_by_command_makes_the_draft(
    deliver: Deliverer,
    github: GitHubServer,
    service: DevServer,
    model: ModelServer,
    sdk: LangGraphClient,
) -> None:
    pr = new_pull(github, 6)
    # Exactly the three specialist calls fail (the orchestrator is not asked when nothing
    # was reviewed), so no scripted error is left over for the retry or a later test.
    model.script(*[Reply.error(503, "model overloaded") for _ in range(3)])
    deliver.opened(pr)
    status = await asyncio.to_thread(
        wait_for, "error status", status_is(github, pr, "review failed"), service
    )
    assert status["state"] == "error"
    assert "3 of 3 model calls failed" in status["description"]
    assert len(status["description"]) <= 140

    # The model is back. A reader may not retry; a writer may, and the draft is written.
    refused, _ = deliver.comment(pr, "/review-panel retry", "reader")
    await asyncio.to_thread(wait_for, "a -1", lambda: reactions(github, refused), service)
    assert reactions(github, refused) == ["-1"]
    assert latest_status(github, pr) == status
    seen = len(model.requests)
    accepted, _ = deliver.comment(pr, "/review-panel retry", "maintainer")
    ready = await asyncio.to_thread(draft_ready, service, github, pr)
    assert ready["state"] == "pending"
    await asyncio.to_thread(wait_for, "a +1", lambda: reactions(github, accepted), service)
    assert reactions(github, accepted) == ["+1"]
    state = await sdk.threads.get_state(tid(github, pr))
    assert state["next"] == ["approve"]
    assert [r["status"] for r in state["values"]["reports"]] == ["ok"] * 3
    assert state["values"]["draft"]["comments"]
    # Only the failed calls were made again (and the orchestrator once).
    assert len(model.requests) - seen == 4


async def test_review_by_command_where_auto_review_is_off_and_again_after_a_posted_review(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    head = hashlib.sha1(b"manual head").hexdigest()
    pr = github.add_pull("octo", "manual", 1, DIFF, author="alice", head_sha=head)
    github.add_file("octo", "manual", pr.base_sha, ".review-panel.yaml", "auto_review: false\n")
    github.set_permission("octo", "manual", "maintainer", "write")
    github.set_permission("octo", "manual", "reader", "read")
    deliver.opened(pr, delivery="manual-1")
    await asyncio.to_thread(
        wait_for,
        "the delivery to be ignored",
        lambda: (
            "manual-1: ignored: .review-panel.yaml of octo/manual says auto_review: false"
            in service.output(tail=200_000)
        ),
        service,
    )
    assert github.statuses("octo", "manual", head) == []
    first = tid(github, pr)

    refused, _ = deliver.comment(pr, "/review-panel review", "reader")
    await asyncio.to_thread(wait_for, "a -1", lambda: reactions(github, refused), service)
    assert reactions(github, refused) == ["-1"]
    assert not await _thread_exists(deliver, first)
    assert github.statuses("octo", "manual", head) == []

    accepted, _ = deliver.comment(pr, "/review-panel review", "maintainer")
    await asyncio.to_thread(draft_ready, service, github, pr)
    assert reactions(github, accepted) == ["+1"]
    assert (await sdk.threads.get_state(first))["next"] == ["approve"]

    # After the review is posted, the command asks for a fresh one of the same head: a new
    # generation of the thread, reviewing the whole PR again.
    deliver.comment(pr, "/review-panel approve", "maintainer")
    await asyncio.to_thread(wait_for, "posted", status_is(github, pr, "review posted"), service)
    again, _ = deliver.comment(pr, "/review-panel review", "maintainer")
    await asyncio.to_thread(draft_ready, service, github, pr)
    await asyncio.to_thread(wait_for, "a +1", lambda: reactions(github, again), service)
    assert reactions(github, again) == ["+1"]
    fresh = thread_id(github.base_url, "octo", "manual", 1, head, 1)
    state = await sdk.threads.get_state(fresh)
    assert state["next"] == ["approve"]
    # The whole head was read again, and what was already posted is not posted twice.
    warnings = state["values"]["source"]["warnings"]
    assert any("was reviewed before: full review" in w for w in warnings)
    draft = state["values"]["draft"]
    assert draft["comments"] == []
    assert any("earlier finding(s) still apply" in n for n in draft["notes"])
    assert (await sdk.threads.get(first))["values"]["result"]  # the first one stays posted
    assert len(github.reviews("octo", "manual", 1)) == 1


# --- newer heads: superseding and incremental reviews -------------------------------------

QUERY = "    query = f\"SELECT * FROM users WHERE name = '{name}'\""
MORE = (
    "diff --git a/app/more.py b/app/more.py\n"
    "new file mode 100644\n"
    "--- /dev/null\n"
    "+++ b/app/more.py\n"
    "@@ -0,0 +1,2 @@\n"
    "+def find_order(oid):\n"
    '+    return f"SELECT * FROM orders WHERE id = {oid}"\n'
)
# The second commit: a comment above the query (the query line is shown again as added) and
# a new file with a new finding.
INCREMENT = (
    "diff --git a/app/users.py b/app/users.py\n"
    "--- a/app/users.py\n"
    "+++ b/app/users.py\n"
    "@@ -8,4 +8,5 @@\n"
    " def find_user(name):\n"
    "     conn = get_connection()\n"
    f"-{QUERY}\n"
    "+    # look the user up by name\n"
    f"+{QUERY}\n"
    "     return conn.execute(query).fetchone()\n"
) + MORE
FULL_AFTER = (
    DIFF.replace("@@ -1,10 +1,18 @@", "@@ -1,10 +1,19 @@").replace(
        f"+{QUERY}\n", f"+    # look the user up by name\n+{QUERY}\n"
    )
    + MORE
)


def second_head(number: int) -> str:
    return hashlib.sha1(f"second head of {number}".encode()).hexdigest()


async def test_a_newer_head_supersedes_the_paused_draft_of_the_older_one(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    pr = new_pull(github, 8)
    first_sha, first_thread = pr.head_sha, tid(github, pr)
    deliver.opened(pr)
    await asyncio.to_thread(draft_ready, service, github, pr)
    github.push("octo", "team", 8, second_head(8), FULL_AFTER, increment=INCREMENT)
    deliver.opened(pr, "synchronize")
    await asyncio.to_thread(draft_ready, service, github, pr)
    await asyncio.to_thread(
        wait_for,
        "the older draft's status",
        status_is(github, pr, "draft superseded", first_sha),
        service,
    )
    older = await sdk.threads.get(first_thread)
    assert older["status"] == "interrupted"  # still there, still paused, but marked
    assert older["values"]["superseded_by"] == tid(github, pr)
    (payload,) = [i["value"] for group in older["interrupts"].values() for i in group]
    assert payload["superseded_by"] == tid(github, pr)
    assert "Superseded" in payload["markdown"]

    # A command acts on the newest head's draft; the superseded one is never posted.
    deliver.comment(pr, "/review-panel approve", "maintainer")
    await asyncio.to_thread(wait_for, "posted", status_is(github, pr, "review posted"), service)
    (review,) = github.reviews("octo", "team", 8)
    assert review["commit_id"] == second_head(8)
    assert (await sdk.threads.get_state(first_thread))["next"] == ["approve"]


async def test_a_push_after_a_posted_review_is_reviewed_incrementally_without_repeats(
    deliver: Deliverer,
    github: GitHubServer,
    service: DevServer,
    sdk: LangGraphClient,
    model: ModelServer,
) -> None:
    pr = new_pull(github, 9)
    deliver.opened(pr)
    await asyncio.to_thread(draft_ready, service, github, pr)
    deliver.comment(pr, "/review-panel approve", "maintainer")
    await asyncio.to_thread(wait_for, "posted", status_is(github, pr, "review posted"), service)
    (first,) = github.reviews("octo", "team", 9)
    assert any(
        "sql-injection" in c["body"] and c["path"] == "app/users.py" for c in first["comments"]
    )

    github.push("octo", "team", 9, second_head(9), FULL_AFTER, increment=INCREMENT)
    seen = len(model.requests)
    deliver.opened(pr, "synchronize")
    await asyncio.to_thread(draft_ready, service, github, pr)
    values = (await sdk.threads.get(tid(github, pr)))["values"]
    draft = values["draft"]
    assert values["source"]["compared_to"] == first["commit_id"]
    # Only the new commit was shown to the models ...
    shown = "".join(r.prompt_text for r in model.requests[seen:])
    assert "all_orders" not in shown and "API_TOKEN" not in shown
    assert "find_order" in shown
    # ... and the injection already posted on app/users.py is not repeated.
    assert [(c["path"], c["category"]) for c in draft["comments"]] == [
        ("app/more.py", "sql-injection")
    ]
    assert any("1 earlier finding(s) still apply" in n for n in draft["notes"])

    deliver.comment(pr, "/review-panel approve", "maintainer")
    await asyncio.to_thread(
        wait_for, "second review", lambda: len(github.reviews("octo", "team", 9)) == 2, service
    )
    second = github.reviews("octo", "team", 9)[1]
    assert [c["path"] for c in second["comments"]] == ["app/more.py"]


async def test_a_push_while_the_first_draft_is_written_supersedes_it_too(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    pr = new_pull(github, 10)
    first_sha, first_thread = pr.head_sha, tid(github, pr)
    deliver.opened(pr)
    github.push("octo", "team", 10, second_head(10), FULL_AFTER, increment=INCREMENT)
    deliver.opened(pr, "synchronize")  # before the first draft is (probably) ready
    await asyncio.to_thread(draft_ready, service, github, pr)
    await asyncio.to_thread(
        wait_for, "superseded", status_is(github, pr, "draft superseded", first_sha), service
    )
    older = await sdk.threads.get(first_thread)
    assert older["values"]["superseded_by"] == tid(github, pr)


async def test_a_late_event_for_an_older_head_never_supersedes_the_newer_draft(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    """GitHub does not promise order: the ``opened`` of the first head arrives after the
    ``synchronize`` of the second, whose draft is already waiting."""
    pr = new_pull(github, 11)
    first_sha, first_thread = pr.head_sha, tid(github, pr)
    stale = events.pull_request(pr, "opened", github.base_url)  # describes the first head
    github.push("octo", "team", 11, second_head(11), FULL_AFTER, increment=INCREMENT)
    deliver.opened(pr, "synchronize")
    await asyncio.to_thread(draft_ready, service, github, pr)
    assert deliver.send("pull_request", stale).status_code == 202
    await asyncio.to_thread(
        wait_for, "superseded", status_is(github, pr, "draft superseded", first_sha), service
    )
    assert (await sdk.threads.get(first_thread))["values"]["superseded_by"] == tid(github, pr)
    newer = await sdk.threads.get(tid(github, pr))
    assert not newer["values"].get("superseded_by")
    status = latest_status(github, pr)
    assert status is not None and status["description"].startswith("draft ready")


def test_no_token_or_webhook_secret_reaches_the_server_log_or_a_status(
    service: DevServer, github: GitHubServer
) -> None:
    """Runs last in this module: everything above has been logged and posted by now."""
    log = service.output(tail=10_000_000)
    assert "review-panel webhook delivery" in log  # the outcomes are logged ...
    assert TOKEN not in log and SECRET not in log  # ... the secrets are not
    texts = [
        json.dumps(s)
        for pr in github._pulls.values()
        for sha in pr.diffs
        for s in github.statuses(pr.owner, pr.repo, sha)
    ]
    assert texts and not any(TOKEN in t or SECRET in t for t in texts)
