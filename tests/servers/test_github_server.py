"""The loopback GitHub server, exercised through real PyGithub over HTTP.

Each test pins one GitHub behaviour the reviewer relies on, so a drift in the fixture (or in
PyGithub) shows up here rather than as a confusing failure in a reviewer test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import github
import pytest
import requests
from github import Auth, Github

from tests.servers.github_server import GitHubServer

TOKEN = "ghp_testtoken"
DIFF_ACCEPT = {"Accept": "application/vnd.github.v3.diff"}
DIFF = (
    "diff --git a/src/app.py b/src/app.py\n"
    "index 1111111..2222222 100644\n"
    "--- a/src/app.py\n"
    "+++ b/src/app.py\n"
    "@@ -1,4 +1,5 @@\n"
    " import os\n"
    "-import sys\n"
    "+import sys  # noqa\n"
    "+import json\n"
    " \n"
    " def main():\n"
    "@@ -20,4 +21,5 @@ def helper():\n"
    "     a = 1\n"
    "-    b = 2\n"
    "+    b = 3\n"
    "+    c = 4\n"
    "     d = 5\n"
    "     return a\n"
    "diff --git a/docs/new.md b/docs/new.md\n"
    "new file mode 100644\n"
    "index 0000000..3333333\n"
    "--- /dev/null\n"
    "+++ b/docs/new.md\n"
    "@@ -0,0 +1,2 @@\n"
    "+# New\n"
    "+text\n"
    "diff --git a/old/legacy.py b/old/legacy.py\n"
    "deleted file mode 100644\n"
    "index 4444444..0000000\n"
    "--- a/old/legacy.py\n"
    "+++ /dev/null\n"
    "@@ -1,2 +0,0 @@\n"
    "-x = 1\n"
    "-y = 2\n"
    "diff --git a/assets/logo.png b/assets/logo.png\n"
    "index 5555555..6666666 100644\n"
    "Binary files a/assets/logo.png and b/assets/logo.png differ\n"
    "diff --git a/win/notes.txt b/win/notes.txt\n"
    "index 7777777..8888888 100644\n"
    "--- a/win/notes.txt\n"
    "+++ b/win/notes.txt\n"
    "@@ -1,3 +1,3 @@\n"
    " first\r\n"
    "-second\r\n"
    "+SECOND\r\n"
    " third\r\n"
)
APP_PATCH = DIFF[DIFF.index("@@ -1,4") : DIFF.index("diff --git a/docs")].removesuffix("\n")
GithubFactory = Callable[..., Github]


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer() as srv:
        srv.add_pull("acme", "widgets", 7, DIFF, title="Add json", body="Please review")
        yield srv


def _github(base_url: str, **kwargs: Any) -> Github:
    """No retries and no throttling by default, so each call is exactly one HTTP request."""
    options: dict[str, Any] = {"base_url": base_url, "auth": Auth.Token(TOKEN), "retry": None}
    options |= {"seconds_between_requests": 0, "seconds_between_writes": 0}
    return Github(**options | kwargs)


@pytest.fixture
def make_github(server: GitHubServer) -> Iterator[GithubFactory]:
    """PyGithub clients on the loopback server, all closed at teardown (no leaked sockets)."""
    clients: list[Github] = []

    def make(**kwargs: Any) -> Github:
        clients.append(_github(kwargs.pop("base_url", server.base_url), **kwargs))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def _pull(make_github: GithubFactory, **kwargs: Any) -> Any:
    return make_github(**kwargs).get_repo("acme/widgets").get_pull(7)


def _comment(path: str, line: Any, **extra: Any) -> dict[str, Any]:
    return {"path": path, "line": line, "body": "note", **extra}


def test_repo_and_pull_attributes(server: GitHubServer, make_github: GithubFactory) -> None:
    repo = make_github().get_repo("acme/widgets")
    pr = repo.get_pull(7)
    assert (repo.full_name, repo.private, repo.default_branch) == ("acme/widgets", True, "main")
    assert repo.url == f"{server.base_url}/repos/acme/widgets"
    assert (pr.number, pr.title, pr.body, pr.state, pr.merged, pr.draft) == (
        7,
        "Add json",
        "Please review",
        "open",
        False,
        False,
    )
    assert pr.user.login == "octocat"
    assert pr.url == f"{server.base_url}/repos/acme/widgets/pulls/7"
    assert pr.head.sha == hashlib.sha1(DIFF.encode()).hexdigest()  # the default head_sha
    assert (pr.changed_files, pr.additions, pr.deletions) == (5, 7, 5)
    assert pr.base.ref == "main" and pr.head.repo.full_name == "acme/widgets"


def test_diff_media_type_returns_exact_text(make_github: GithubFactory) -> None:
    g = make_github()
    pr = g.get_repo("acme/widgets").get_pull(7)
    headers, data = g.requester.requestJsonAndCheck("GET", pr.url, headers=DIFF_ACCEPT)
    # PyGithub wraps a non-JSON body as {"data": text} and adds the URL it fetched.
    assert data == {"data": DIFF, "url": pr.url}
    assert "\r\n" in data["data"]
    assert headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("limits", [{"max_diff_lines": 10}, {"max_diff_files": 4}])
def test_diff_too_large_is_406(limits: dict[str, int]) -> None:
    with GitHubServer(**limits) as srv:
        srv.add_pull("acme", "widgets", 7, DIFF)
        g = _github(srv.base_url)
        try:
            pr = g.get_repo("acme/widgets").get_pull(7)
            with pytest.raises(github.GithubException) as info:
                g.requester.requestJsonAndCheck("GET", pr.url, headers=DIFF_ACCEPT)
            assert len(list(pr.get_files())) == 5  # the files API still works
        finally:
            g.close()
    assert info.value.status == 406
    assert info.value.data["errors"] == [
        {"resource": "PullRequest", "field": "diff", "code": "too_large"}
    ]
    assert info.value.data["message"].startswith("Sorry, the diff exceeded the maximum number")


def test_files_paginate_with_hunk_only_patches(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    files = list(_pull(make_github, per_page=2).get_files())
    pages = [r.query for r in server.requests if r.path.endswith("/pulls/7/files")]
    assert pages == [
        {"per_page": "2"},
        {"page": "2", "per_page": "2"},
        {"page": "3", "per_page": "2"},
    ]
    headers, _ = make_github().requester.requestJsonAndCheck(
        "GET", f"{server.base_url}/repos/acme/widgets/pulls/7/files", {"per_page": 2}
    )
    assert headers["link"] == (
        f'<{server.base_url}/repos/acme/widgets/pulls/7/files?per_page=2&page=2>; rel="next", '
        f'<{server.base_url}/repos/acme/widgets/pulls/7/files?per_page=2&page=3>; rel="last"'
    )
    by_name = {f.filename: f for f in files}
    assert [f.filename for f in files] == [
        "src/app.py",
        "docs/new.md",
        "old/legacy.py",
        "assets/logo.png",
        "win/notes.txt",
    ]
    assert [f.status for f in files] == ["modified", "added", "removed", "modified", "modified"]
    assert by_name["src/app.py"].patch == APP_PATCH
    assert (
        by_name["win/notes.txt"].patch == "@@ -1,3 +1,3 @@\n first\r\n-second\r\n"
        "+SECOND\r\n third\r"
    )
    assert by_name["assets/logo.png"].patch is None
    assert all(f.patch.startswith("@@") for f in files if f.patch is not None)
    assert by_name["src/app.py"].blob_url.startswith(server.base_url)


def test_oversized_file_patch_and_renames_have_no_patch() -> None:
    rename = "diff --git a/a.py b/b.py\nsimilarity index 100%\nrename from a.py\nrename to b.py\n"
    with GitHubServer(max_patch_lines=5) as srv:
        srv.add_pull("acme", "widgets", 7, DIFF + rename)
        g = _github(srv.base_url)
        try:
            files = {f.filename: f for f in g.get_repo("acme/widgets").get_pull(7).get_files()}
        finally:
            g.close()
    assert files["src/app.py"].patch is None  # 14 lines > 5
    assert files["docs/new.md"].patch == "@@ -0,0 +1,2 @@\n+# New\n+text"
    assert (files["b.py"].status, files["b.py"].previous_filename, files["b.py"].patch) == (
        "renamed",
        "a.py",
        None,
    )


def test_create_review_with_valid_comments_is_stored(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    g = make_github()
    repo = g.get_repo("acme/widgets")
    pr = repo.get_pull(7)
    comments = [
        _comment("src/app.py", 3, side="RIGHT"),
        _comment("src/app.py", 2, side="LEFT"),
        _comment("src/app.py", 24, start_line=21, side="RIGHT", start_side="RIGHT"),
        _comment("docs/new.md", 1),
        _comment("old/legacy.py", 2, side="LEFT"),
        _comment("win/notes.txt", 2),
    ]
    review = pr.create_review(
        commit=repo.get_commit(pr.head.sha),
        body="Looks fine",
        event="REQUEST_CHANGES",
        comments=comments,
    )
    assert (review.state, review.body, review.commit_id) == (
        "CHANGES_REQUESTED",
        "Looks fine",
        pr.head.sha,
    )
    assert review.user.login == "reviewer-bot"
    assert review.html_url.startswith(server.base_url)
    [stored] = server.reviews("acme", "widgets", 7)
    assert (stored["id"], stored["event"], stored["comments"]) == (
        review.id,
        "REQUEST_CHANGES",
        comments,
    )
    listed = list(pr.get_review_comments())
    assert [(c.path, c.line, c.side, c.start_line) for c in listed] == [
        ("src/app.py", 3, "RIGHT", None),
        ("src/app.py", 2, "LEFT", None),
        ("src/app.py", 24, "RIGHT", 21),
        ("docs/new.md", 1, "RIGHT", None),
        ("old/legacy.py", 2, "LEFT", None),
        ("win/notes.txt", 2, "RIGHT", None),
    ]
    assert all(c.pull_request_review_id == review.id for c in listed)
    assert [r.id for r in pr.get_reviews()] == [review.id]
    assert len(list(pr.get_single_review_comments(review.id))) == 6


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (_comment("nope.py", 1), "Pull request review thread path is invalid"),
        (_comment("assets/logo.png", 1), "Pull request review thread path is invalid"),
        (_comment("src/app.py", 10), "Pull request review thread line must be part of the diff"),
        (
            _comment("src/app.py", 24, side="LEFT"),
            "Pull request review thread line must be part of the diff",
        ),
        (
            _comment("old/legacy.py", 1, side="RIGHT"),
            "Pull request review thread line must be part of the diff",
        ),
        (
            _comment("src/app.py", 22, start_line=22),
            "Pull request review thread start line must precede the end line",
        ),
        (
            _comment("src/app.py", 22, start_line=3),
            "Pull request review thread line must be part of the diff",
        ),
    ],
)
def test_invalid_comment_rejects_whole_review(
    server: GitHubServer, make_github: GithubFactory, comment: dict[str, Any], message: str
) -> None:
    pr = _pull(make_github)
    with pytest.raises(github.GithubException) as info:
        pr.create_review(body="x", event="COMMENT", comments=[_comment("src/app.py", 3), comment])
    assert info.value.status == 422
    assert info.value.data == {
        "message": "Unprocessable Entity",
        "errors": [message],
        "status": "422",
        "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
    }
    assert server.reviews("acme", "widgets", 7) == []
    assert list(pr.get_review_comments()) == []


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (_comment("src/app.py", "12"), "For 'properties/line', \"12\" is not an integer."),
        (
            _comment("src/app.py", 3, side="right"),
            'For \'properties/side\', "right" is not a member of ["LEFT", "RIGHT"].',
        ),
    ],
)
def test_schema_errors_are_422(
    server: GitHubServer, make_github: GithubFactory, comment: dict[str, Any], message: str
) -> None:
    with pytest.raises(github.GithubException) as info:
        _pull(make_github).create_review(body="x", event="COMMENT", comments=[comment])
    assert (info.value.status, info.value.data["message"]) == (
        422,
        "Invalid request.\n\n" + message,
    )
    assert server.reviews("acme", "widgets", 7) == []


def test_review_needs_a_body_or_comments(server: GitHubServer, make_github: GithubFactory) -> None:
    with pytest.raises(github.GithubException) as info:
        _pull(make_github).create_review(body="", event="REQUEST_CHANGES")
    assert info.value.status == 422 and info.value.data["message"] == "Unprocessable Entity"


def test_commits_older_heads_and_unknown_shas(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    repo = make_github().get_repo("acme/widgets")
    pr = repo.get_pull(7)
    old_head, only_docs = (
        pr.head.sha,
        DIFF[DIFF.index("diff --git a/docs") : DIFF.index("diff --git a/old")],
    )
    server.move_head("acme", "widgets", 7, "f" * 40, new_diff=only_docs)
    assert repo.get_pull(7).head.sha == "f" * 40
    # Reviewing the previous head is allowed, and is validated against that commit's diff.
    review = pr.create_review(
        commit=repo.get_commit(old_head),
        body="late",
        event="COMMENT",
        comments=[_comment("src/app.py", 3)],
    )
    assert review.commit_id == old_head
    with pytest.raises(github.GithubException) as info:
        pr.create_review(
            commit=repo.get_commit("f" * 40),
            body="now",
            event="COMMENT",
            comments=[_comment("src/app.py", 3)],
        )
    assert info.value.data["errors"] == ["Pull request review thread path is invalid"]
    with pytest.raises(github.GithubException) as info:
        repo.get_commit("0" * 40)
    assert (info.value.status, info.value.data["message"]) == (
        422,
        "No commit found for SHA: " + "0" * 40,
    )
    assert [r["commit_id"] for r in server.reviews("acme", "widgets", 7)] == [old_head]


def test_bad_token_is_bad_credentials(server: GitHubServer, make_github: GithubFactory) -> None:
    g = make_github(auth=Auth.Token("ghp_wrong"))
    with pytest.raises(github.BadCredentialsException) as info:
        g.get_repo("acme/widgets")
    assert info.value.status == 401 and info.value.data["message"] == "Bad credentials"


def test_unknown_pull_and_hidden_repo_are_404(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    server.add_pull("acme", "secret", 1, DIFF, private_to_token=False)
    g = make_github()
    with pytest.raises(github.UnknownObjectException):
        g.get_repo("acme/widgets").get_pull(8)
    with pytest.raises(github.UnknownObjectException):
        g.get_repo("acme/secret")


@pytest.mark.parametrize(
    ("kind", "status", "exception"),
    [
        ("primary", 403, github.RateLimitExceededException),
        ("secondary", 403, github.RateLimitExceededException),
        ("429", 429, github.GithubException),
    ],
)
def test_rate_limits_surface_without_retry(
    server: GitHubServer, make_github: GithubFactory, kind: Any, status: int, exception: type
) -> None:
    g = make_github()
    server.rate_limit(kind=kind, count=1, reset_in=30)
    with pytest.raises(exception) as info:
        g.get_repo("acme/widgets")
    assert info.value.status == status
    if kind == "primary":
        assert info.value.headers["x-ratelimit-remaining"] == "0"
    else:
        assert info.value.headers["retry-after"] == "30"
    assert g.get_repo("acme/widgets").name == "widgets"  # only `count` requests are limited
    assert int(g.rate_limiting[0]) < 5000


def test_every_response_has_rate_limit_headers(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    headers, _ = make_github().requester.requestJsonAndCheck("GET", "/user")
    assert {
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
        "x-ratelimit-resource",
        "x-github-request-id",
    } <= set(headers)


def test_fail_after_apply_stores_review_but_client_sees_error(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    pr = _pull(make_github)
    server.fail_next("POST", r"/pulls/7/reviews$", status=502, after_apply=True)
    with pytest.raises(github.GithubException) as info:
        pr.create_review(body="lost", event="COMMENT")
    assert info.value.status == 502
    assert [r["body"] for r in server.reviews("acme", "widgets", 7)] == ["lost"]


def test_fail_before_apply_and_drop(server: GitHubServer, make_github: GithubFactory) -> None:
    pr = _pull(make_github)
    server.fail_next("POST", r"/reviews$", status=500)
    with pytest.raises(github.GithubException):
        pr.create_review(body="a", event="COMMENT")
    server.drop_next("POST", r"/reviews$", after_apply=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        pr.create_review(body="b", event="COMMENT")
    assert [r["body"] for r in server.reviews("acme", "widgets", 7)] == ["b"]


def test_default_retry_reposts_after_lost_response(
    server: GitHubServer, make_github: GithubFactory
) -> None:
    """PyGithub's default GithubRetry retries POST on 5xx: a lost response means a duplicate."""
    pr = _pull(make_github, retry=github.GithubRetry())
    server.fail_next("POST", r"/reviews$", status=502, after_apply=True)
    pr.create_review(body="twice", event="COMMENT")
    assert [r["body"] for r in server.reviews("acme", "widgets", 7)] == ["twice", "twice"]


def test_enterprise_base_url(server: GitHubServer, make_github: GithubFactory) -> None:
    g = make_github(base_url=server.enterprise_base_url)
    pr = g.get_repo("acme/widgets").get_pull(7)
    assert pr.url == f"{server.enterprise_base_url}/repos/acme/widgets/pulls/7"
    assert len(list(pr.get_files())) == 5
    pr.create_review(body="ghe", event="APPROVE")
    assert server.reviews("acme", "widgets", 7)[0]["state"] == "APPROVED"
    assert all(r.path.startswith("/api/v3/") for r in server.requests)
