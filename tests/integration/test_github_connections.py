"""GitHub calls from one worker thread share a connection (``services.github_client.client``).

Against api.github.com every new connection is a TCP and a TLS handshake; a team service
makes several calls a review (statuses, the pull request, files). The loopback GitHub server
keeps connections alive as GitHub does and counts the ones clients open.
"""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graph.contracts import Source
from graph.errors import GitHubError
from services import at_commit
from services.github import read_file
from services.statuses import set_status
from tests.conftest import GITHUB_TOKEN
from tests.integration.conftest import pr_source
from tests.servers.github_server import GitHubServer

DIFF = (Path(__file__).resolve().parents[2] / "examples" / "sql_injection.diff").read_text()
HEAD = hashlib.sha1(b"head").hexdigest()


@pytest.fixture
def source(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> Source:
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setattr(at_commit, "files", at_commit.CommitFiles())
    github_server.add_pull("octo", "demo", 1, DIFF, head_sha=HEAD)
    github_server.add_file("octo", "demo", "main", "AGENTS.md", "Be brief.\n")
    return pr_source(github_server)


def one_thread() -> ThreadPoolExecutor:
    """A single worker thread for every ``asyncio.to_thread`` of the test from now on."""
    pool = ThreadPoolExecutor(1)
    asyncio.get_running_loop().set_default_executor(pool)  # shut down with the test's loop
    return pool


async def status(source: Source, description: str) -> None:
    await set_status(source.api_url or "", "octo/demo", HEAD, "pending", description, None)


async def test_calls_from_one_thread_share_a_connection_and_another_thread_has_its_own(
    source: Source, github_server: GitHubServer
) -> None:
    one_thread()
    for n in range(3):
        await status(source, f"draft {n}")
    assert len(github_server.statuses("octo", "demo", HEAD)) == 3
    assert github_server.connections == 1  # three requests, one handshake
    for _ in range(3):  # a branch, not a SHA: read every time, by a lazy client of its own
        assert await read_file(source, "AGENTS.md", "main") == "Be brief.\n"
    await status(source, "posted")
    assert github_server.connections == 2

    one_thread()
    await status(source, "from another thread")
    assert github_server.connections == 3  # a PyGithub connection is never shared by threads


async def test_a_kept_client_never_waits_between_writes(
    source: Source, github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyGithub spaces one client's writes a second apart unless told not to: a kept client
    would make a thread's second status wait. Rate limits are ``_call``'s to honour."""
    import github.Requester

    waits: list[float] = []
    sleep = github.Requester.time.sleep  # the time module's: patched for every caller

    def recorded(seconds: float) -> None:
        if seconds >= 0.5:  # PyGithub's spacing; other threads' short polls go on as ever
            waits.append(seconds)
        else:
            sleep(seconds)

    monkeypatch.setattr(github.Requester.time, "sleep", recorded)
    one_thread()
    for n in range(3):
        await status(source, f"draft {n}")
    assert github_server.connections == 1
    assert waits == []


async def test_a_client_whose_call_failed_is_not_used_again(
    source: Source, github_server: GitHubServer
) -> None:
    one_thread()
    await status(source, "first")
    github_server.fail_next("POST", r"/statuses/", status=422)
    with pytest.raises(GitHubError):
        await status(source, "refused")
    await status(source, "after")
    # The failed call's client (and its connection, maybe mid-answer) went with the error.
    assert github_server.connections == 2
    posted = [s["description"] for s in github_server.statuses("octo", "demo", HEAD)]
    assert posted == ["after", "first"]  # newest first, as GitHub lists them
