"""What the webhook's handler reads of a PR's threads before and after starting a review.

Under LangGraph's server every read is a request through the server's whole API stack, and
in a burst of deliveries those requests are most of what the handler costs. A PR just opened
has no thread to find and no older draft to supersede, so its review starts with no read of
the PR's threads, and waits with one. A later head (``synchronize``) still reads them: it may
review incrementally and supersede an older draft. Threads are kept in memory here
(``Recorded``); GitHub is the loopback server, through PyGithub.
"""

from __future__ import annotations

from typing import Any

import pytest

from team.events import PullHead, Repo, StartReview
from team.handler import Handler
from team.threads import ThreadView
from tests.conftest import GITHUB_TOKEN
from tests.servers.github_server import GitHubServer

DRAFT = {"comments": [{"id": "c-1"}], "verdict": "COMMENT"}


class Recorded:
    """Threads in memory: each one pauses with a draft as soon as it is started."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.threads: dict[str, ThreadView] = {}

    async def get(self, thread_id: str) -> ThreadView | None:
        self.calls.append("get")
        return self.threads.get(thread_id)

    async def start(
        self, thread_id: str, review_input: dict[str, Any], metadata: dict[str, str]
    ) -> bool:
        self.calls.append("start")
        if thread_id in self.threads:
            return False
        values = {"target": review_input["target"], "draft": DRAFT}
        interrupt = {"action_requests": [], "draft": DRAFT}
        self.threads[thread_id] = ThreadView(
            thread_id, "paused", values, interrupt, head=metadata["head"]
        )
        return True

    async def of_pull(self, pull_key: str) -> list[ThreadView]:
        self.calls.append("of_pull")
        return list(self.threads.values())

    async def wait(self, thread_id: str, pull_key: str) -> list[ThreadView]:
        self.calls.append("wait")
        return list(self.threads.values())

    async def resume(self, thread_id: str, response: dict[str, Any]) -> ThreadView:
        raise AssertionError("no decision here")

    async def retry_failed(self, thread_id: str) -> ThreadView:
        raise AssertionError("no retry here")

    async def mark_superseded(self, thread_id: str, by: str) -> None:
        raise AssertionError("nothing is superseded here")


def pull(github: GitHubServer, head: str) -> PullHead:
    github.add_pull("octo", "demo", 7, "", head_sha=head, base_sha="b" * 40)
    return PullHead(Repo("octo", "demo"), 7, head, "b" * 40, "author", draft=False)


def statuses(github: GitHubServer, head: str) -> list[str]:
    """The head's statuses, oldest first."""
    return [s["description"] for s in reversed(github.statuses("octo", "demo", head))]


@pytest.fixture
def threads() -> Recorded:
    return Recorded()


@pytest.fixture
def handler(
    threads: Recorded, github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> Handler:
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    return Handler(threads, github_server.base_url)


async def test_an_opened_pull_request_is_reviewed_without_reading_its_threads_first(
    handler: Handler, threads: Recorded, github_server: GitHubServer
) -> None:
    head = "a" * 40

    outcome = await handler.handle(StartReview(pull(github_server, head), "opened"))

    assert outcome.startswith("started: thread")
    assert threads.calls == ["start", "wait"]  # the wait's one read serves the pause check
    assert statuses(github_server, head) == [
        "review running",
        "draft ready: 1 comment, COMMENT, waiting for approval",
    ]
    # The same head again (another delivery): the thread's creation is refused, nothing runs.
    again = await handler.handle(StartReview(pull(github_server, head), "opened"))
    assert again.startswith("exists: thread")
    assert len(threads.threads) == 1


async def test_a_new_head_reads_the_threads_before_and_after_it_starts(
    handler: Handler, threads: Recorded, github_server: GitHubServer
) -> None:
    outcome = await handler.handle(StartReview(pull(github_server, "c" * 40), "synchronize"))

    assert outcome.startswith("started: thread")
    # Before: an earlier head's posted review (incremental) or its thread; after: an older
    # draft that paused meanwhile is superseded. Then the wait, whose read checks the pause.
    assert threads.calls == ["of_pull", "start", "of_pull", "wait"]
    assert statuses(github_server, "c" * 40)[-1].startswith("draft ready: 1 comment")
