"""Signed cookie sessions and CSRF tokens, with nothing but the standard library.

A session is a small JSON object (who signed in, when, and the CSRF token of that session)
signed with HMAC-SHA256. It holds no secret: a GitHub user's OAuth token is dropped as soon
as it has told us the login. The cookie is HttpOnly (no script reads it), SameSite=Lax (no
other site's form sends it) and Secure when the inbox is served over https.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web.inbox.config import SESSION_HOURS, InboxSettings

COOKIE = "review_panel_inbox"


@dataclass(frozen=True)
class Session:
    """What the cookie says: ``subject`` is ``token`` or ``github:<login>``, or "" before."""

    csrf: str
    subject: str = ""
    issued: float = 0.0
    oauth_state: str = ""  # the state sent to GitHub's authorize page, until it comes back

    @property
    def signed_in(self) -> bool:
        return bool(self.subject)

    def to_json(self) -> dict[str, Any]:
        return {"c": self.csrf, "s": self.subject, "t": self.issued, "o": self.oauth_state}


def new_session(subject: str = "", oauth_state: str = "") -> Session:
    return Session(secrets.token_urlsafe(24), subject, time.time(), oauth_state)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(session: Session, key: bytes) -> str:
    payload = _b64(json.dumps(session.to_json(), separators=(",", ":")).encode())
    signature = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def decode(cookie: str, key: bytes, now: float | None = None) -> Session | None:
    """The session a cookie carries, or None if it is forged, malformed or expired."""
    payload, _, signature = cookie.partition(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        data = json.loads(_unb64(payload))
        session = Session(str(data["c"]), str(data["s"]), float(data["t"]), str(data["o"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if (now or time.time()) - session.issued > SESSION_HOURS * 3600:
        return None
    return session


def read(request: Request, settings: InboxSettings) -> Session | None:
    cookie = request.cookies.get(COOKIE)
    return decode(cookie, settings.session_key) if cookie else None


def write(response: Response, session: Session, settings: InboxSettings) -> None:
    response.set_cookie(
        COOKIE,
        encode(session, settings.session_key),
        max_age=SESSION_HOURS * 3600,
        path="/inbox",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear(response: Response, settings: InboxSettings) -> None:
    response.delete_cookie(
        COOKIE, path="/inbox", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def csrf_ok(session: Session | None, sent: str | None) -> bool:
    """The form's token matches its session's (compared in constant time)."""
    return bool(session and sent and hmac.compare_digest(session.csrf, sent))
