"""The loopback GitHub server's team-service endpoints, through real PyGithub over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import github
import pytest
from github import Auth, Github, GithubIntegration

from tests.servers.github_server import GitHubServer
from tests.servers.github_team import app_key_pair

TOKEN = "ghp_testtoken"
DIFF = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,2 @@\n x = 1\n+y = 2\n"
INCREMENT = (
    "diff --git a/b.py b/b.py\nnew file mode 100644\n--- /dev/null\n+++ b/b.py\n"
    "@@ -0,0 +1 @@\n+z = 3\n"
)
DIFF2 = DIFF + INCREMENT


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer(token=TOKEN) as s:
        s.add_pull("octo", "demo", 1, DIFF, author="alice", head_sha="a" * 40)
        yield s


def client(server: GitHubServer, token: str = TOKEN) -> Github:
    return Github(base_url=server.base_url, auth=Auth.Token(token), retry=None)


def test_collaborator_permission_maps_roles_to_legacy_permissions(server: GitHubServer) -> None:
    repo = client(server).get_repo("octo/demo")
    for role, legacy in [
        ("admin", "admin"),
        ("maintain", "write"),
        ("write", "write"),
        ("triage", "read"),
        ("read", "read"),
    ]:
        server.set_permission("octo", "demo", f"user-{role}", role)
        assert repo.get_collaborator_permission(f"user-{role}") == legacy
        assert repo.get_collaborator_role_name(f"user-{role}") == role
    assert repo.get_collaborator_permission("stranger") == "none"


def test_a_status_is_stored_and_listed_newest_first(server: GitHubServer) -> None:
    commit = client(server).get_repo("octo/demo").get_commit("a" * 40)
    commit.create_status("pending", "http://x/1", "draft ready", "review-panel")
    commit.create_status("success", "http://x/2", "review posted", "review-panel")
    states = [s.state for s in commit.get_statuses()]
    assert states == ["success", "pending"]
    assert commit.get_combined_status().state == "success"
    assert [s["description"] for s in server.statuses("octo", "demo", "a" * 40)] == [
        "review posted",
        "draft ready",
    ]


@pytest.mark.parametrize(
    ("state", "description", "message"),
    [("done", "x", "state is not included"), ("pending", "x" * 141, "too long")],
)
def test_a_bad_status_is_refused_like_github(
    server: GitHubServer, state: str, description: str, message: str
) -> None:
    commit = client(server).get_repo("octo/demo").get_commit("a" * 40)
    with pytest.raises(github.GithubException) as caught:
        commit.create_status(state, description=description, context="review-panel")
    assert caught.value.status == 422
    assert message in str(caught.value.data)
    assert server.statuses("octo", "demo", "a" * 40) == []


def test_a_status_on_an_unknown_commit_is_422(server: GitHubServer) -> None:
    g = client(server)
    with pytest.raises(github.GithubException) as caught:
        g.requester.requestJsonAndCheck(
            "POST", "/repos/octo/demo/statuses/" + "f" * 40, input={"state": "pending"}
        )
    assert caught.value.status == 422


def test_reactions_on_a_conversation_comment(server: GitHubServer) -> None:
    comment = server.add_issue_comment("octo", "demo", 1, "/review-panel approve", "bob")
    repo = client(server).get_repo("octo/demo")
    issue_comment = repo.get_issue(1).get_comment(comment["id"])
    assert issue_comment.body == "/review-panel approve"
    issue_comment.create_reaction("+1")
    issue_comment.create_reaction("+1")  # the same user again: still one
    assert [r["content"] for r in server.reactions(comment["id"])] == ["+1"]
    with pytest.raises(github.GithubException) as caught:
        issue_comment.create_reaction("thumbsup")
    assert caught.value.status == 422
    with pytest.raises(github.UnknownObjectException):
        repo.get_issue(1).get_comment(999999)


def test_compare_tells_a_fast_forward_from_a_force_push(server: GitHubServer) -> None:
    server.push("octo", "demo", 1, "b" * 40, DIFF2, increment=INCREMENT)
    repo = client(server).get_repo("octo/demo")
    ahead = repo.compare("a" * 40, "b" * 40)
    assert (ahead.status, ahead.ahead_by) == ("ahead", 1)
    g = client(server)
    _, data = g.requester.requestJsonAndCheck(
        "GET",
        f"{server.base_url}/repos/octo/demo/compare/{'a' * 40}...{'b' * 40}",
        headers={"Accept": "application/vnd.github.v3.diff"},
    )
    assert data["data"] == INCREMENT
    server.push("octo", "demo", 1, "c" * 40, DIFF, force=True)
    assert repo.compare("b" * 40, "c" * 40).status == "diverged"


def test_an_app_gets_an_installation_token_that_opens_only_its_repositories(
    server: GitHubServer,
) -> None:
    server.add_pull("other", "repo", 2, DIFF)
    private, public = app_key_pair()
    server.register_app(42, public, {"octo/demo": 7, "other/repo": 8})
    gi = GithubIntegration(auth=Auth.AppAuth(42, private), base_url=server.base_url)
    installation = gi.get_repo_installation("octo", "demo")
    assert installation.id == 7
    token = gi.get_access_token(7).token
    assert token.startswith("ghs_")
    assert client(server, token).get_repo("octo/demo").get_pull(1).number == 1
    with pytest.raises(github.UnknownObjectException):
        client(server, token).get_repo("other/repo")
    # A JWT signed with another key is refused.
    wrong, _ = app_key_pair()
    bad = GithubIntegration(auth=Auth.AppAuth(42, wrong), base_url=server.base_url)
    with pytest.raises(github.GithubException) as caught:
        bad.get_repo_installation("octo", "demo")
    assert caught.value.status == 401
    with pytest.raises(github.BadCredentialsException):
        client(server, "ghs_forged").get_repo("octo/demo")


def test_an_installation_without_pull_requests_read_gets_githubs_403(
    server: GitHubServer,
) -> None:
    private, public = app_key_pair()
    only = {"statuses": "write", "contents": "read"}
    server.register_app(42, public, {"octo/demo": 7}, permissions={7: only})
    gi = GithubIntegration(auth=Auth.AppAuth(42, private), base_url=server.base_url)
    access = gi.get_access_token(7)
    assert access.permissions == {"metadata": "read", **only}
    repo = client(server, access.token).get_repo("octo/demo")  # metadata: always readable
    with pytest.raises(github.GithubException) as caught:
        repo.get_pull(1)
    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by integration"
    assert caught.value.headers["x-accepted-github-permissions"] == "pull_requests=read"
    repo.get_commit("a" * 40).create_status("pending", description="allowed")
    assert server.statuses("octo", "demo", "a" * 40)[0]["description"] == "allowed"


def test_a_fine_grained_token_can_do_only_what_it_was_granted(server: GitHubServer) -> None:
    server.restrict_token({"statuses": "write", "contents": "read"})
    repo = client(server).get_repo("octo/demo")
    with pytest.raises(github.GithubException) as caught:
        repo.get_pull(1)
    assert (caught.value.status, caught.value.data["message"]) == (
        403,
        "Resource not accessible by personal access token",
    )
    repo.get_commit("a" * 40).create_status("success")
    server.restrict_token({"statuses": "write", "contents": "read", "pull_requests": "read"})
    assert repo.get_pull(1).number == 1
