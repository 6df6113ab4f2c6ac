"""Who is asking, and may they see this draft.

Two ways in, either or both configured (``config.InboxSettings``):

- **Token mode** (``REVIEW_PANEL_INBOX_TOKEN``): the person who holds the token sees every
  draft, local diffs included. A browser signs in once (the link ``review-panel inbox``
  prints, or the token pasted into the sign-in form) and then carries a session cookie; a
  script sends ``Authorization: Bearer <token>`` on each request and needs no CSRF token,
  since no cookie is involved.
- **GitHub mode** (an OAuth app): a person sees and answers only drafts of repositories where
  GitHub says they have write permission. The answer is cached for at most a minute, so a
  revoked permission stops working within that minute. Local-diff threads are never shown
  in this mode: no repository vouches for them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from graph.contracts import Source
from graph.errors import GitHubError
from web.inbox import sessions
from web.inbox.config import PERMISSION_TTL, InboxSettings

Kind = Literal["token", "github"]


@dataclass(frozen=True)
class Who:
    kind: Kind
    login: str  # "token holder" in token mode
    bearer: bool  # authenticated by a header, not a cookie: no CSRF token needed

    @property
    def label(self) -> str:
        return "signed in with the inbox token" if self.kind == "token" else f"@{self.login}"


class Access:
    """The sign-in checks and the permission cache of one app."""

    def __init__(self, settings: InboxSettings) -> None:
        self.settings = settings
        self._permissions: dict[tuple[str, str, str, str], tuple[float, bool]] = {}
        self._bearers: dict[str, tuple[float, str | None]] = {}

    def token_matches(self, sent: str) -> bool:
        token = self.settings.token
        return bool(token and sent) and hmac.compare_digest(sent.encode(), str(token).encode())

    def code_matches(self, sent: str) -> bool:
        code = self.settings.login_code
        return bool(code and sent) and hmac.compare_digest(sent.encode(), str(code).encode())

    async def identify(self, request: Request) -> tuple[Who | None, bool]:
        """(who, whether the request tried a bearer token): a cookie or a header."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            return await self._bearer(credential.strip()), True
        session = sessions.read(request, self.settings)
        if session is None or not session.signed_in:
            return None, False
        if session.subject == "token" and self.settings.token_mode:
            return Who("token", "token holder", bearer=False), False
        if session.subject.startswith("github:") and self.settings.github_mode:
            return Who("github", session.subject.removeprefix("github:"), bearer=False), False
        return None, False  # a mode that has been switched off since

    async def _bearer(self, credential: str) -> Who | None:
        if self.token_matches(credential):
            return Who("token", "token holder", bearer=True)
        if not self.settings.github_mode:
            return None
        key = hashlib.sha256(credential.encode()).hexdigest()
        cached = self._bearers.get(key)
        if cached and time.monotonic() - cached[0] < PERMISSION_TTL:
            login = cached[1]
        else:
            from services.github_people import login_from_token

            try:
                login = await login_from_token(self.settings.github_api_url, credential)
            except GitHubError:
                login = None
            self._bearers[key] = (time.monotonic(), login)
        return Who("github", login, bearer=True) if login else None

    async def may_see(self, who: Who, source: Source | None) -> bool:
        """Token holders see everything; GitHub users drafts of repos they may write to."""
        if who.kind == "token":
            return True
        if source is None or source.kind != "github" or not (source.owner and source.repo):
            return False
        api = source.api_url or self.settings.github_api_url
        key = (api, source.owner.lower(), source.repo.lower(), who.login.lower())
        cached = self._permissions.get(key)
        if cached and time.monotonic() - cached[0] < PERMISSION_TTL:
            return cached[1]
        from services.conversation import DECIDERS, permission

        try:
            allowed = await permission(api, f"{source.owner}/{source.repo}", who.login) in DECIDERS
        except GitHubError:
            return False  # not cached: GitHub may answer next time
        self._permissions[key] = (time.monotonic(), allowed)
        return allowed
