"""GitHub's OAuth web flow on the loopback server: what the inbox's GitHub sign-in talks to.

A mixin of ``GitHubServer``, like ``github_team.TeamEndpoints``. On the web host (not the
API prefix), as GitHub documents the flow for OAuth apps:

- ``GET /login/oauth/authorize?client_id&redirect_uri&state``: GitHub asks the person to sign
  in and authorize the app, then redirects (302) to ``redirect_uri?code=...&state=...``. Here
  the person signed in "in the browser" is whoever ``sign_in_browser`` named; with nobody,
  the page says so (200, no redirect). An unknown client id is a 404 page; a
  ``redirect_uri`` outside the app's callback URL is GitHub's ``redirect_uri_mismatch``.
- ``POST /login/oauth/access_token`` (form or JSON; ``Accept: application/json``): a code is
  good once, for 10 minutes, for the app it was issued to. Failures are answered 200 with an
  ``error`` field (``incorrect_client_credentials``, ``bad_verification_code``), as GitHub
  does. The token it returns authenticates API calls as that user (``GET /user``).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    from tests.servers.github_server import RecordedRequest, Response

OAUTH_DOCS = "https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
CODE_TTL = 600.0


class OAuthEndpoints:
    """State and handlers of the OAuth web flow; mixed into ``GitHubServer``."""

    _lock: Any

    def _init_oauth(self) -> None:
        self._oauth_apps: dict[str, tuple[str, str]] = {}  # client id -> (secret, callback)
        self._oauth_codes: dict[str, tuple[str, str, str, float]] = {}  # code -> grant
        self._user_tokens: dict[str, str] = {}  # token -> login
        self._browser_login: str | None = None

    # --- what tests set up -----------------------------------------------------------------

    def add_oauth_app(self, client_id: str, client_secret: str, callback_url: str) -> None:
        with self._lock:
            self._oauth_apps[client_id] = (client_secret, callback_url)

    def sign_in_browser(self, login: str | None) -> None:
        """Who is signed in to GitHub in "the browser" that visits the authorize page."""
        with self._lock:
            self._browser_login = login

    def user_token(self, login: str) -> str:
        """A personal token of ``login`` (as a script would send it)."""
        token = "gho_" + secrets.token_hex(18)
        with self._lock:
            self._user_tokens[token] = login
        return token

    # --- serving ---------------------------------------------------------------------------

    def _authenticate(self, route: str, request: RecordedRequest, args: dict[str, str]) -> str:
        """A user's OAuth or personal token is that user; anything else as before."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        login = self._user_tokens.get(credential.strip())
        if login is not None and scheme.lower() in ("token", "bearer"):
            return login
        caller: str = super()._authenticate(route, request, args)  # type: ignore[misc]
        return caller

    def _oauth(self, request: RecordedRequest, path: str) -> Response:
        if request.method == "GET" and path == "/login/oauth/authorize":
            return self._authorize(request.query)
        if request.method == "POST" and path == "/login/oauth/access_token":
            return self._access_token(request)
        return 404, {"Content-Type": "text/html"}, b"<h1>404</h1>"

    def _authorize(self, query: dict[str, str]) -> Response:
        app = self._oauth_apps.get(query.get("client_id", ""))
        if app is None:
            return 404, {}, b"Not Found"
        redirect = query.get("redirect_uri") or app[1]
        if not redirect.startswith(app[1]):
            target = app[1] + "?" + urlencode({"error": "redirect_uri_mismatch"})
            return 302, {"Location": target}, b""
        login = self._browser_login
        if login is None:
            return 200, {}, b"Sign in to GitHub to continue to the app."
        code = secrets.token_hex(10)
        self._oauth_codes[code] = (login, query["client_id"], redirect, time.time() + CODE_TTL)
        params = {"code": code} | ({"state": query["state"]} if "state" in query else {})
        return 302, {"Location": f"{redirect}?{urlencode(params)}"}, b""

    def _access_token(self, request: RecordedRequest) -> Response:
        try:
            form: dict[str, Any] = json.loads(request.body or b"{}")
        except ValueError:
            form = dict(parse_qsl(request.body.decode()))
        app = self._oauth_apps.get(str(form.get("client_id", "")))
        if app is None or not secrets.compare_digest(str(form.get("client_secret", "")), app[0]):
            return _error(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            )
        grant = self._oauth_codes.pop(str(form.get("code", "")), None)
        redirect = form.get("redirect_uri")
        if (
            grant is None
            or grant[1] != form.get("client_id")
            or grant[3] < time.time()
            or (redirect is not None and redirect != grant[2])
        ):
            return _error("bad_verification_code", "The code passed is incorrect or expired.")
        token = "gho_" + secrets.token_hex(18)
        self._user_tokens[token] = grant[0]
        return 200, {}, {"access_token": token, "token_type": "bearer", "scope": ""}


def _error(code: str, description: str) -> Response:
    return 200, {}, {"error": code, "error_description": description, "error_uri": OAUTH_DOCS}
