"""review-panel as a GitHub App on LangGraph's server: every call made as the installation.

A ``langgraph dev`` of its own, configured with ``GITHUB_APP_ID`` and ``GITHUB_APP_PRIVATE_KEY``
and no ``GITHUB_TOKEN`` (``test_team_server.py`` covers the token), against the loopback
GitHub, which issues installation tokens and records which credential made each request:

- ``octo/bot`` is installed with what a reviewer needs: the draft, its status, the reaction
  and the posted review are all made with that installation's token, as its bot;
- ``octo/nopr`` is installed with statuses and contents but not pull requests (an app, or a
  fine-grained token, set up too narrowly): GitHub refuses to show the PR, the run fails, and
  the PR says why in an ``error`` status; once the permission is granted, ``/review-panel
  retry`` continues the failed run to its draft.

Neither the private key nor any token reaches the server's log or a status.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator

import pytest
from langgraph_sdk.client import LangGraphClient

from tests.integration.conftest import DevServer, StartServer
from tests.integration.test_team_server import (
    DIFF,
    SECRET,
    Deliverer,
    draft_ready,
    latest_status,
    reactions,
    service_env,
    status_is,
    tid,
    wait_for,
)
from tests.servers import github_events as events
from tests.servers.github_server import GitHubServer, PullRecord
from tests.servers.github_team import app_key_pair
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer

pytestmark = pytest.mark.server

APP_ID, SLUG = 4242, "review-panel"
BOT = f"{SLUG}[bot]"
INSTALLED, NO_PULLS = 77, 78
UNUSED_TOKEN = "ghp_NotGivenToTheServerAtAll0123456789"
NARROW = {"statuses": "write", "contents": "read", "issues": "write"}  # no pull requests


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    """A fresh RSA key: (private PEM for the server, public PEM for the loopback GitHub)."""
    return app_key_pair()


@pytest.fixture(scope="module")
def model() -> Iterator[ModelServer]:
    with ModelServer(answer) as server:
        yield server


@pytest.fixture(scope="module")
def github(app_key: tuple[str, str]) -> Iterator[GitHubServer]:
    with GitHubServer(token=UNUSED_TOKEN) as server:
        server.register_app(
            APP_ID,
            app_key[1],
            {"octo/bot": INSTALLED, "octo/nopr": NO_PULLS},
            slug=SLUG,
            permissions={NO_PULLS: NARROW},
        )
        yield server


@pytest.fixture(scope="module")
def service(
    langgraph_dev: StartServer, model: ModelServer, github: GitHubServer, app_key: tuple[str, str]
) -> Iterator[DevServer]:
    server = langgraph_dev(
        service_env(
            model, github, GITHUB_APP_ID=str(APP_ID), GITHUB_APP_PRIVATE_KEY=app_key[0]
        )
    )
    yield server
    server.stop()  # before the loopback GitHub and model go away


@pytest.fixture(scope="module")
def deliver(service: DevServer, github: GitHubServer) -> Iterator[Deliverer]:
    d = Deliverer(service, github)
    yield d
    d.http.close()


def pull(github: GitHubServer, repo: str) -> PullRecord:
    head = hashlib.sha1(f"app head of {repo}".encode()).hexdigest()
    pr = github.add_pull("octo", repo, 1, DIFF, author="alice", head_sha=head)
    github.set_permission("octo", repo, "maintainer", "write")
    return pr


def credentials_used(github: GitHubServer, repo: str) -> set[str]:
    """The Authorization header of every request about ``octo/{repo}``, except the app's own
    question (with its JWT) of which installation that repository belongs to."""
    where = f"/repos/octo/{repo}"
    return {
        r.headers.get("authorization", "")
        for r in github.requests
        if (r.path == where or r.path.startswith(where + "/")) and r.path != where + "/installation"
    }


def jwts(github: GitHubServer) -> list[str]:
    """The JSON web tokens the app signed with its key (as secret as the key for 10 minutes)."""
    return [
        r.headers["authorization"].removeprefix("Bearer ")
        for r in github.requests
        if r.path.endswith("/installation") or r.path.endswith("/access_tokens")
    ]


async def test_the_draft_status_reaction_and_review_are_made_as_the_installation(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    pr = pull(github, "bot")
    sent = events.pull_request(pr, "opened", github.base_url, installation=INSTALLED)
    assert deliver.send("pull_request", sent).status_code == 202
    status = await asyncio.to_thread(draft_ready, service, github, pr)
    assert status["creator"]["login"] == BOT
    assert (await sdk.threads.get_state(tid(github, pr)))["next"] == ["approve"]

    comment = github.add_issue_comment("octo", "bot", 1, "/review-panel approve", "maintainer")
    payload = events.issue_comment(pr, comment, github.base_url, installation=INSTALLED)
    assert deliver.send("issue_comment", payload).status_code == 202
    posted = await asyncio.to_thread(
        wait_for, "the posted review", status_is(github, pr, "review posted"), service
    )
    (review,) = github.reviews("octo", "bot", 1)
    assert review["author"] == BOT
    assert posted["creator"]["login"] == BOT and posted["target_url"] == review["html_url"]
    await asyncio.to_thread(wait_for, "+1", lambda: reactions(github, comment), service)
    assert [r["user"]["login"] for r in github.reactions(comment["id"])] == [BOT]

    # Every request about the repository carried an installation token, never anything else.
    issued = github.app_tokens()
    used = credentials_used(github, "bot")
    assert used and used <= {f"token {t}" for t in issued} | {f"Bearer {t}" for t in issued}
    assert not any(UNUSED_TOKEN in header for header in used)


async def test_an_installation_that_may_not_read_pull_requests_gets_an_error_status_then_retry(
    deliver: Deliverer, github: GitHubServer, service: DevServer, sdk: LangGraphClient
) -> None:
    pr = pull(github, "nopr")
    sent = events.pull_request(pr, "opened", github.base_url, installation=NO_PULLS)
    assert deliver.send("pull_request", sent).status_code == 202
    status = await asyncio.to_thread(
        wait_for, "the error status", status_is(github, pr, "review failed"), service
    )
    assert status["state"] == "error"
    assert status["creator"]["login"] == BOT  # statuses are allowed; pull requests are not
    assert status["description"] == (
        "review failed: octo/nopr#1: GitHub answered 403: Resource not accessible by integration"
    )
    assert len(status["description"]) <= 140
    assert latest_status(github, pr) == status
    assert github.reviews("octo", "nopr", 1) == []

    # The owner grants the missing permission; /review-panel retry continues the failed run.
    github.grant(NO_PULLS, {**NARROW, "pull_requests": "write"})
    comment = github.add_issue_comment("octo", "nopr", 1, "/review-panel retry", "maintainer")
    payload = events.issue_comment(pr, comment, github.base_url, installation=NO_PULLS)
    assert deliver.send("issue_comment", payload).status_code == 202
    ready = await asyncio.to_thread(draft_ready, service, github, pr)
    assert ready["state"] == "pending" and ready["creator"]["login"] == BOT
    await asyncio.to_thread(wait_for, "+1", lambda: reactions(github, comment), service)
    assert reactions(github, comment) == ["+1"]
    state = await sdk.threads.get_state(tid(github, pr))
    assert state["next"] == ["approve"] and state["values"]["draft"]["comments"]


def test_neither_the_key_nor_any_token_reaches_the_log_or_a_status(
    service: DevServer, github: GitHubServer, app_key: tuple[str, str]
) -> None:
    """Runs last in this module: everything above has been logged and posted by now."""
    log = service.output(tail=10_000_000)
    assert "review-panel webhook delivery" in log
    key_lines = [line for line in app_key[0].splitlines() if "PRIVATE KEY" not in line]
    secrets = [*github.app_tokens(), *jwts(github), *key_lines, SECRET]
    assert github.app_tokens() and jwts(github)
    assert not [s for s in secrets if s in log]
    texts = [
        json.dumps(s)
        for repo in ("bot", "nopr")
        for s in github.statuses(
            "octo", repo, hashlib.sha1(f"app head of {repo}".encode()).hexdigest()
        )
    ]
    assert texts and not [s for s in secrets if any(s in t for t in texts)]
