"""Who a person is on GitHub, and whether they may write to a repository.

The inbox signs people in with GitHub's OAuth web flow (an OAuth app: client id and secret)
and asks for no scope: the user's token is used once, to learn the login, and then dropped.
What a person may see is decided with the service's own token (``GITHUB_TOKEN``, the one
that posts reviews) through the collaborator-permission API, which gives GitHub's legacy
permission: ``admin`` and ``write`` (maintain shows as write) may decide on a review.
"""

from __future__ import annotations

import asyncio

from graph.errors import GitHubAuthError, GitHubNotFoundError
from services.github import _call, _client

WRITE = ("admin", "write")


def authorize_url(api_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """GitHub's authorize page for this OAuth app (the web host of ``api_url``)."""
    from github import Github

    app = Github(base_url=api_url.rstrip("/")).get_oauth_application(client_id, "")
    return str(app.get_login_url(redirect_uri=redirect_uri, state=state))


async def login_from_code(api_url: str, client_id: str, client_secret: str, code: str) -> str:
    """Exchange an authorization code for a token, and the token for the user's login."""

    def exchange() -> str:
        from github import Github, GithubException

        app = Github(base_url=api_url.rstrip("/"), retry=None).get_oauth_application(
            client_id, client_secret
        )
        try:
            token = app.get_access_token(code)
        except GithubException as exc:
            raise GitHubAuthError(f"GitHub refused the sign-in code ({exc.status})") from None
        if not token.token:
            raise GitHubAuthError("GitHub refused the sign-in code")
        return _login(api_url, token.token)

    return await asyncio.to_thread(exchange)


async def login_from_token(api_url: str, token: str) -> str:
    """The login a GitHub token belongs to (a script's ``Authorization: Bearer``)."""
    return await asyncio.to_thread(_login, api_url, token)


def _login(api_url: str, token: str) -> str:
    from github import Auth, Github

    g = Github(base_url=api_url.rstrip("/"), auth=Auth.Token(token), retry=None, timeout=30)
    try:
        return str(_call("who is signing in", lambda: g.get_user().login))
    except GitHubAuthError:
        raise GitHubAuthError("GitHub did not accept that sign-in token") from None


async def permission(api_url: str, owner: str, repo: str, login: str) -> str:
    """``login``'s permission on ``owner/repo``: admin, write, read or none."""

    def read() -> str:
        g = _client(api_url)
        try:
            repository = _call(f"{owner}/{repo}", lambda: g.get_repo(f"{owner}/{repo}"))
            return str(
                _call(
                    f"permission of {login} on {owner}/{repo}",
                    lambda: repository.get_collaborator_permission(login),
                )
            )
        except GitHubNotFoundError:
            return "none"

    return await asyncio.to_thread(read)
