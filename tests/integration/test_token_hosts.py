"""Where the GitHub token goes: only to the configured API host or an allowed Enterprise host.

And the marker that stops a second post is believed only when the authenticated user wrote it
about exactly the approved review.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from graph.contracts import ApprovalResponse, DraftReview
from nodes.approve import apply_decision
from services import render
from tests.conftest import EXAMPLES, GITHUB_TOKEN, run_cli
from tests.servers.github_server import GitHubServer

SQL = (EXAMPLES / "sql_injection.diff").read_text()


@pytest.fixture
def other_host() -> Iterator[GitHubServer]:
    """A second GitHub-like server: a host nobody configured."""
    with GitHubServer(token=GITHUB_TOKEN) as server:
        server.add_pull("octo", "demo", 7, SQL)
        yield server


def test_a_pull_request_url_on_another_host_gets_no_token(
    github_env: dict[str, str], other_host: GitHubServer
) -> None:
    proc = run_cli("review", f"{other_host.base_url}/octo/demo/pull/7", env=github_env)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "REVIEW_PANEL_GITHUB_HOSTS" in line and "GITHUB_API_URL" in line
    assert other_host.requests == []  # not one request, so no token
    assert "no reviews yet" in run_cli("threads", env=github_env).stdout  # no thread either


def test_an_allowed_enterprise_host_is_used_with_its_port(
    github_env: dict[str, str], github_server: GitHubServer, other_host: GitHubServer
) -> None:
    env = {**github_env, "REVIEW_PANEL_GITHUB_HOSTS": f"ghe.example, 127.0.0.1:{other_host.port}"}
    proc = run_cli("review", f"{other_host.base_url}/octo/demo/pull/7", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert other_host.requests and all(r.path.startswith("/api/v3/") for r in other_host.requests)
    assert github_server.requests == []
    done = run_cli("approve", json.loads(proc.stdout)["thread_id"], env=env)
    assert done.returncode == 0, done.stderr
    assert len(other_host.reviews("octo", "demo", 7)) == 1


def _approved_digest(started: dict) -> str:
    draft = DraftReview.model_validate(started["draft"])
    decision = ApprovalResponse.model_validate({"decisions": [{"type": "approve"}]}).decision
    return apply_decision(draft, decision).digest


@pytest.mark.parametrize("forged", ["exact marker", "wrong digest"])
def test_a_marker_someone_else_wrote_does_not_stop_the_post(
    github_env: dict[str, str], github_server: GitHubServer, forged: str
) -> None:
    github_server.add_pull("octo", "demo", 7, SQL)
    proc = run_cli("review", "octo/demo#7", "--json", env=github_env)
    assert proc.returncode == 0, proc.stderr
    started = json.loads(proc.stdout)
    thread = started["thread_id"]
    digest = _approved_digest(started) if forged == "exact marker" else "0" * 16
    github_server.add_review(
        "octo", "demo", 7, f"LGTM\n\n{render.marker(thread, digest)}", author="mallory"
    )
    done = run_cli("approve", thread, "--json", env=github_env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert not result.get("already_posted")
    reviews = github_server.reviews("octo", "demo", 7)
    assert len(reviews) == 2
    assert reviews[1]["event"] == "REQUEST_CHANGES"
    assert render.marker(thread, _approved_digest(started)) in reviews[1]["body"]
