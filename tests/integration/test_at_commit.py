"""A file at a commit SHA is read from GitHub once per process; at a branch name, every time.

Through PyGithub against the loopback GitHub server, which records every request it answers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graph.contracts import Source
from services import at_commit
from services.github import read_file, read_files
from tests.integration.conftest import pr_source
from tests.servers.github_server import GitHubServer

BASE = hashlib.sha1(b"base").hexdigest()
DIFF = (Path(__file__).resolve().parents[2] / "examples" / "sql_injection.diff").read_text()


@pytest.fixture
def source(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> Source:
    from tests.conftest import GITHUB_TOKEN

    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setattr(at_commit, "files", at_commit.CommitFiles())  # this test's own
    github_server.add_pull("octo", "demo", 1, DIFF)
    github_server.add_file("octo", "demo", BASE, ".review-panel.yaml", "auto_review: false\n")
    github_server.add_file("octo", "demo", "main", ".review-panel.yaml", "min_severity: low\n")
    return pr_source(github_server)


def contents_requests(github: GitHubServer, path: str) -> int:
    return sum(1 for r in github.requests if r.path.endswith(f"/contents/{path}"))


async def test_a_file_at_a_commit_is_read_once_and_a_missing_one_too(
    source: Source, github_server: GitHubServer
) -> None:
    for _ in range(3):
        assert await read_file(source, ".review-panel.yaml", BASE) == "auto_review: false\n"
        assert await read_file(source, "AGENTS.md", BASE) is None
    assert contents_requests(github_server, ".review-panel.yaml") == 1
    assert contents_requests(github_server, "AGENTS.md") == 1


async def test_a_branch_name_is_read_every_time_and_another_repository_apart(
    source: Source, github_server: GitHubServer
) -> None:
    for _ in range(2):
        assert await read_file(source, ".review-panel.yaml", "main") == "min_severity: low\n"
    assert contents_requests(github_server, ".review-panel.yaml") == 2
    github_server.add_pull("octo", "other", 1, DIFF)
    github_server.add_file("octo", "other", BASE, ".review-panel.yaml", "review_drafts: true\n")
    other = source.model_copy(update={"repo": "other", "label": "octo/other#1"})
    assert await read_file(other, ".review-panel.yaml", BASE) == "review_drafts: true\n"
    assert await read_file(source, ".review-panel.yaml", BASE) == "auto_review: false\n"


async def test_read_files_shares_the_reads_and_keeps_no_verdict_that_depends_on_the_caller(
    source: Source, github_server: GitHubServer
) -> None:
    github_server.add_file("octo", "demo", BASE, "AGENTS.md", "Prefer small functions.\n")
    github_server.add_file("octo", "demo", BASE, "big.txt", "x" * 500)
    names = ["AGENTS.md", ".review-panel.yaml", "CONTRIBUTING.md", "big.txt"]
    first = await read_files(source, names, BASE, 100)
    assert first == {
        "AGENTS.md": "Prefer small functions.\n",
        ".review-panel.yaml": "auto_review: false\n",
        "CONTRIBUTING.md": None,
        "big.txt": None,  # over this caller's limit
    }
    assert await read_file(source, ".review-panel.yaml", BASE) == "auto_review: false\n"
    again = await read_files(source, names, BASE, 1000)
    assert again == first | {"big.txt": "x" * 500}  # the limit is the caller's, not cached
    assert [contents_requests(github_server, n) for n in names] == [1, 1, 1, 2]


async def test_a_settings_file_that_is_not_utf8_reads_as_none_not_as_a_crash(
    source: Source, github_server: GitHubServer
) -> None:
    github_server.add_file("octo", "demo", BASE, "latin1.yaml", b"caf\xe9: true\n")
    assert await read_file(source, "latin1.yaml", BASE) is None


async def test_the_files_of_one_read_are_asked_for_at_once(
    source: Source, github_server: GitHubServer
) -> None:
    # Against GitHub each request is a round trip: a large PR's 40 files of context one after
    # another were 40 round trips before any specialist started. The server answers none of
    # these until four are in flight, which requests sent one at a time never are.
    paths = [f"src/m{i}.py" for i in range(4)]
    for i, path in enumerate(paths):
        github_server.add_file("octo", "demo", BASE, path, f"x = {i}\n")
    github_server.hold_until, github_server.hold_for = 4, 3.0
    texts = await read_files(source, paths, BASE, 1000)
    assert texts == {path: f"x = {i}\n" for i, path in enumerate(paths)}
    assert github_server.max_in_flight == 4
