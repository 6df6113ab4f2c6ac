"""The loopback GitHub server's OAuth web flow, through PyGithub's OAuth application client."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import github
import pytest
from github import Auth, Github

from tests.servers.github_server import GitHubServer

CALLBACK = "http://127.0.0.1:9/inbox/oauth/callback"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer(token="ghp_service") as s:
        s.add_oauth_app("client-1", "secret-1", CALLBACK)
        yield s


def authorize(server: GitHubServer, client_id: str = "client-1") -> urllib.error.HTTPError:
    app = Github(base_url=server.base_url).get_oauth_application(client_id, "")
    url = app.get_login_url(redirect_uri=CALLBACK, state="xyz")
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(url)
    return caught.value


def test_authorize_redirects_with_a_code_and_the_state(server: GitHubServer) -> None:
    server.sign_in_browser("alice")
    answer = authorize(server)
    assert answer.code == 302
    location = urlsplit(answer.headers["Location"])
    assert location._replace(query="").geturl() == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert query["code"][0]


def test_a_code_is_exchanged_once_for_a_token_of_that_user(server: GitHubServer) -> None:
    server.sign_in_browser("alice")
    code = parse_qs(urlsplit(authorize(server).headers["Location"]).query)["code"][0]
    app = Github(base_url=server.base_url, retry=None).get_oauth_application("client-1", "secret-1")
    token = app.get_access_token(code)
    user = Github(base_url=server.base_url, auth=Auth.Token(token.token), retry=None).get_user()
    assert user.login == "alice"
    with pytest.raises(github.GithubException):  # GitHub's 200 {"error": ...} for a used code
        app.get_access_token(code)


def test_a_wrong_client_secret_gets_no_token(server: GitHubServer) -> None:
    server.sign_in_browser("alice")
    code = parse_qs(urlsplit(authorize(server).headers["Location"]).query)["code"][0]
    app = Github(base_url=server.base_url, retry=None).get_oauth_application("client-1", "nope")
    with pytest.raises(github.GithubException):
        app.get_access_token(code)


def test_an_unknown_app_gets_no_code(server: GitHubServer) -> None:
    assert authorize(server, "someone-else").code == 404
