"""The inbox's settings, read from the environment once per app.

Sign-in is either a shared token (``REVIEW_PANEL_INBOX_TOKEN``, one person or a script) or
GitHub OAuth (``GITHUB_OAUTH_CLIENT_ID`` / ``GITHUB_OAUTH_CLIENT_SECRET``), or both. With
neither, nobody can sign in: the inbox never falls open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field

from graph.context import DEFAULT_GITHUB_API_URL

TOKEN_ENV = "REVIEW_PANEL_INBOX_TOKEN"  # noqa: S105  (a variable name)
SECRET_ENV = "REVIEW_PANEL_INBOX_SECRET"  # noqa: S105
PUBLIC_URL_ENV = "REVIEW_PANEL_PUBLIC_URL"
CLIENT_ID_ENV = "GITHUB_OAUTH_CLIENT_ID"
CLIENT_SECRET_ENV = "GITHUB_OAUTH_CLIENT_SECRET"  # noqa: S105
SESSION_HOURS = 12
PERMISSION_TTL = 60.0  # seconds a write-permission answer may be reused (the bound)


@dataclass(frozen=True)
class InboxSettings:
    """Everything the pages need to know about sign-in; secrets are never rendered."""

    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    github_api_url: str = DEFAULT_GITHUB_API_URL
    public_url: str | None = None
    session_key: bytes = field(default=b"", repr=False)
    login_code: str | None = field(default=None, repr=False)  # the printed link's one secret

    @property
    def token_mode(self) -> bool:
        return bool(self.token)

    @property
    def github_mode(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))

    @classmethod
    def from_env(cls, *, token: str | None = None, login_code: str | None = None) -> InboxSettings:
        """Settings from the environment; ``token`` stands in when the variable is unset."""
        token = (os.environ.get(TOKEN_ENV) or "").strip() or token
        client_id = (os.environ.get(CLIENT_ID_ENV) or "").strip() or None
        client_secret = (os.environ.get(CLIENT_SECRET_ENV) or "").strip() or None
        public = (os.environ.get(PUBLIC_URL_ENV) or "").strip().rstrip("/") or None
        api = (os.environ.get("GITHUB_API_URL") or "").strip() or DEFAULT_GITHUB_API_URL
        return cls(
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            github_api_url=api.rstrip("/"),
            public_url=public,
            session_key=_session_key(token, client_secret),
            login_code=login_code,
        )


def _session_key(token: str | None, client_secret: str | None) -> bytes:
    """The key that signs session cookies.

    ``REVIEW_PANEL_INBOX_SECRET`` if set; else derived from the sign-in secrets, so every
    worker of a server (and a restarted one) accepts the same cookies, and changing the token
    signs everybody out; else random, for this process only.
    """
    explicit = (os.environ.get(SECRET_ENV) or "").strip()
    material = explicit or "\0".join(s for s in (token, client_secret) if s)
    if not material:
        return secrets.token_bytes(32)
    return hmac.new(material.encode(), b"review-panel inbox session", hashlib.sha256).digest()
