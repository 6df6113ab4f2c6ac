"""GitHub's answers become our errors everywhere, the head check included, with the status."""

from __future__ import annotations

import pytest

from graph.errors import GitHubNotFoundError, GitHubPostError
from services import github
from tests.conftest import GITHUB_TOKEN
from tests.integration.conftest import pr_source
from tests.servers.github_server import GitHubServer


async def test_the_head_check_on_a_repository_that_is_gone_is_a_not_found_error(
    github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    source = pr_source(github_server, repo="gone", head_sha="a" * 40)
    with pytest.raises(GitHubNotFoundError, match="octo/gone#1: not found"):
        await github.head_now(source)


def test_a_body_over_githubs_limit_is_refused_before_sending_with_its_status() -> None:
    with pytest.raises(GitHubPostError, match="at most 65,536") as refused:
        github._checked("x" * 65_537)
    assert refused.value.status == 422
