"""Who a person is on GitHub: the OAuth web flow the inbox signs people in with.

An OAuth app (client id and secret) and no scope: the user's token is used once, to learn
the login, and then dropped. What that person may see is decided with the service's own
credentials through the collaborator-permission API (``services.conversation.permission``,
the same check the PR commands use).
"""

from __future__ import annotations

import asyncio

from graph.errors import GitHubAuthError
from services.github_client import call


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
        return str(call("who is signing in", lambda: g.get_user().login))
    except GitHubAuthError:
        raise GitHubAuthError("GitHub did not accept that sign-in token") from None
