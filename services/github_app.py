"""Who review-panel is on GitHub: a token (``GITHUB_TOKEN``) or a GitHub App installation.

A team service should act as a bot, per installation: with ``GITHUB_APP_ID`` and
``GITHUB_APP_PRIVATE_KEY`` set, every GitHub call for a repository uses that repository's
installation token, fetched through PyGithub's app auth (a JWT signed with the key, then
``POST /app/installations/{id}/access_tokens``) and kept in this process until shortly before
it expires. Otherwise ``GITHUB_TOKEN`` is used, as before.

Neither the key nor any token is ever returned in a message, stored in state or logged: they
live in this module's memory only, and ``services.secrets.scrub`` removes them from text.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from graph.errors import GitHubAuthError, GitHubError, GitHubNotFoundError

if TYPE_CHECKING:
    from github.Auth import Auth

APP_ID_ENV = "GITHUB_APP_ID"
APP_KEY_ENV = "GITHUB_APP_PRIVATE_KEY"
REFRESH_BEFORE = 300.0  # seconds before expiry a cached installation token is replaced

_lock = threading.Lock()
_tokens: dict[tuple[str, str], tuple[str, float]] = {}  # (api url, owner/repo) -> (token, expiry)


def app_configured() -> bool:
    return bool(os.environ.get(APP_ID_ENV, "").strip() and os.environ.get(APP_KEY_ENV, "").strip())


def _private_key() -> str:
    key = os.environ.get(APP_KEY_ENV, "").strip()
    if "\\n" in key and "\n" not in key:  # a key pasted into one line of an .env file
        key = key.replace("\\n", "\n")
    return key


def auth_for(api_url: str, repo: str | None) -> Auth:
    """PyGithub auth for calls about ``repo`` (``owner/name``): the app's, else the token."""
    from github import Auth

    if app_configured() and repo:
        return Auth.Token(installation_token(api_url, repo))
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise GitHubAuthError(
            "no GitHub identity: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY "
            "for a GitHub App"
        )
    return Auth.Token(token)


def installation_token(api_url: str, repo: str) -> str:
    """The installation token for ``repo``, from the cache or fetched now."""
    key = (api_url.rstrip("/"), repo.lower())
    with _lock:
        cached = _tokens.get(key)
        if cached and cached[1] - REFRESH_BEFORE > time.time():
            return cached[0]
    token, expiry = _fetch(api_url.rstrip("/"), repo)
    with _lock:
        _tokens[key] = (token, expiry)
    return token


def _fetch(api_url: str, repo: str) -> tuple[str, float]:
    from github import Auth, GithubException, GithubIntegration

    try:
        app_id = int(os.environ[APP_ID_ENV].strip())
    except ValueError:
        raise GitHubAuthError(f"{APP_ID_ENV} must be the app's numeric id") from None
    owner, _, name = repo.partition("/")
    try:
        gi = GithubIntegration(auth=Auth.AppAuth(app_id, _private_key()), base_url=api_url)
        installation = gi.get_repo_installation(owner, name)
        access = gi.get_access_token(installation.id)
    except GithubException as exc:
        if exc.status == 404:
            raise GitHubNotFoundError(
                f"the GitHub App {app_id} is not installed on {repo}"
            ) from None
        if exc.status == 401:
            raise GitHubAuthError(
                f"GitHub refused the app's JWT (401): check {APP_ID_ENV} and {APP_KEY_ENV}"
            ) from None
        raise GitHubError(f"GitHub App token for {repo}: GitHub answered {exc.status}") from None
    except (ValueError, TypeError):
        raise GitHubAuthError(f"{APP_KEY_ENV} is not a usable RSA private key (PEM)") from None
    expiry = access.expires_at.timestamp() if access.expires_at else time.time() + 3600
    return str(access.token), expiry


def forget_tokens() -> None:
    """Drop cached installation tokens (tests; a revoked installation)."""
    with _lock:
        _tokens.clear()


def cached_tokens() -> list[str]:
    """The installation tokens in memory, for secret scrubbing."""
    with _lock:
        return [token for token, _ in _tokens.values()]
