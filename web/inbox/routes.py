"""The inbox's HTTP surface, mounted at ``/inbox``.

Every request is identified first (``auth``): without a sign-in a browser is redirected to
the sign-in page and a script (a bearer token, or asking for JSON) gets 401, and neither sees
any draft text. A signed-in person who may not write to the draft's repository gets 403.
Every form carries the session's CSRF token; a cookie-authenticated POST without it is 403.
``POST /inbox/{thread_id}/decision`` is the one way a decision is made.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from graph.errors import DecisionError, GitHubError
from web.inbox import decisions, sessions, status, view
from web.inbox.auth import Access, Who
from web.inbox.config import InboxSettings
from web.inbox.pages import ROOT, STYLESHEET, page, secured
from web.inbox.threads import Busy, Stale, Threads, ThreadView

MAX_BODY = 1_000_000  # bytes of a decision: far more than any edited draft needs


@dataclass
class Inbox:
    """One app's inbox: where its threads live and who may see them."""

    threads: Threads
    settings: InboxSettings
    access: Access

    @classmethod
    def create(cls, threads: Threads, settings: InboxSettings) -> Inbox:
        return cls(threads, settings, Access(settings))


_default: Inbox | None = None


def inbox_of(request: Request) -> Inbox:
    """The app's inbox; inside LangGraph's server, one on its own API built on first use."""
    global _default
    found = getattr(request.app.state, "inbox", None)
    if isinstance(found, Inbox):
        return found
    if _default is None:
        from web.inbox.server import ServerThreads

        _default = Inbox.create(ServerThreads(), InboxSettings.from_env())
    return _default


# --- identity --------------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    content = request.headers.get("content-type", "")
    return ("application/json" in accept and "text/html" not in accept) or content.startswith(
        "application/json"
    )


def _unauthorized(request: Request, tried_bearer: bool) -> Response:
    if tried_bearer or _wants_json(request):
        return secured(
            JSONResponse(
                {"error": "sign in first: Authorization: Bearer <REVIEW_PANEL_INBOX_TOKEN>"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="review-panel inbox"'},
            )
        )
    target = request.url.path if request.method == "GET" else ROOT
    return secured(RedirectResponse(f"{ROOT}/login?next={quote(target)}", status_code=303))


async def _who(request: Request) -> tuple[Who | None, Response | None]:
    who, tried_bearer = await inbox_of(request).access.identify(request)
    return (who, None) if who else (None, _unauthorized(request, tried_bearer))


def _csrf(request: Request, who: Who) -> str:
    session = sessions.read(request, inbox_of(request).settings)
    return session.csrf if session and not who.bearer else ""


def _forbidden(request: Request, who: Who, message: str) -> Response:
    if _wants_json(request) or who.bearer:
        return secured(JSONResponse({"error": message}, status_code=403))
    return page("message.html", 403, heading="Not allowed", message=message, who=who)


# --- sign-in ---------------------------------------------------------------------------------


def _signed_in(request: Request, subject: str) -> Response:
    nxt = request.query_params.get("next", "")
    safe = nxt if nxt.startswith(ROOT + "/") and "//" not in nxt and "\\" not in nxt else ROOT
    response = secured(RedirectResponse(safe, status_code=303))
    sessions.write(response, sessions.new_session(subject), inbox_of(request).settings)
    return response


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    inbox = inbox_of(request)
    session = sessions.read(request, inbox.settings) or sessions.new_session()
    response = page(
        "login.html",
        status,
        csrf=session.csrf,
        error=error,
        token_mode=inbox.settings.token_mode,
        github_mode=inbox.settings.github_mode,
    )
    sessions.write(response, session, inbox.settings)
    return response


async def login(request: Request) -> Response:
    inbox = inbox_of(request)
    if request.method == "GET":
        code = request.query_params.get("code")
        if code is None:
            return _login_page(request)
        if inbox.access.code_matches(code):
            return _signed_in(request, "token")
        return _login_page(
            request,
            403,
            "that sign-in link is not valid (it works only as "
            "long as the `review-panel inbox` that printed it runs)",
        )
    form = await _form(request)
    session = sessions.read(request, inbox.settings)
    if not sessions.csrf_ok(session, _field(form, "csrf")):
        return _login_page(request, 403, "the form expired: sign in again")
    if inbox.access.token_matches(_field(form, "token")):
        return _signed_in(request, "token")
    return _login_page(request, 403, "that is not the inbox token")


async def login_github(request: Request) -> Response:
    inbox = inbox_of(request)
    settings = inbox.settings
    if not settings.github_mode:
        return _login_page(request, 404, "GitHub sign-in is not configured")
    from services.github_people import authorize_url

    state = secrets.token_urlsafe(24)
    session = sessions.read(request, settings) or sessions.new_session()
    session = sessions.Session(session.csrf, "", session.issued, state)
    url = authorize_url(
        settings.github_api_url, str(settings.client_id), _callback_url(request), state
    )
    response = secured(RedirectResponse(url, status_code=303))
    sessions.write(response, session, settings)
    return response


def _callback_url(request: Request) -> str:
    base = inbox_of(request).settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}{ROOT}/oauth/callback"


async def oauth_callback(request: Request) -> Response:
    import hmac

    settings = inbox_of(request).settings
    session = sessions.read(request, settings)
    state = request.query_params.get("state", "")
    code = request.query_params.get("code", "")
    if not (settings.github_mode and session and session.oauth_state and code) or not (
        hmac.compare_digest(session.oauth_state, state)
    ):
        return _login_page(request, 403, "the GitHub sign-in expired or did not come from here")
    from services.github_people import login_from_code

    try:
        login_name = await login_from_code(
            settings.github_api_url, str(settings.client_id), str(settings.client_secret), code
        )
    except GitHubError as exc:
        return _login_page(request, 403, f"GitHub sign-in failed: {exc}")
    return _signed_in(request, f"github:{login_name}")


async def logout(request: Request) -> Response:
    settings = inbox_of(request).settings
    form = await _form(request)
    if not sessions.csrf_ok(sessions.read(request, settings), _field(form, "csrf")):
        return page("message.html", 403, heading="Not allowed", message="the form expired")
    response = secured(RedirectResponse(f"{ROOT}/login", status_code=303))
    sessions.clear(response, settings)
    return response


async def stylesheet(request: Request) -> Response:
    return secured(
        Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=300"})
    )


# --- the pages -------------------------------------------------------------------------------


async def inbox_list(request: Request) -> Response:
    who, denied = await _who(request)
    if who is None:
        return denied or _unauthorized(request, False)
    inbox = inbox_of(request)
    rows = []
    for v in await inbox.threads.paused():
        if await inbox.access.may_see(who, view.source_of(v)):
            rows.append(view.row(v))
    rows.sort(key=lambda r: r.updated, reverse=True)
    if _wants_json(request) or who.bearer:
        return secured(JSONResponse({"paused": [r.__dict__ for r in rows]}))
    return page("list.html", rows=rows, who=who, csrf=_csrf(request, who))


async def _visible(request: Request, who: Who) -> tuple[ThreadView | None, Response | None]:
    inbox = inbox_of(request)
    thread_id = request.path_params["thread_id"]
    found = await inbox.threads.get(thread_id)
    if found is None:
        message = f"there is no thread {thread_id!r}"
        if _wants_json(request) or who.bearer:
            return None, secured(JSONResponse({"error": message}, status_code=404))
        return None, page("message.html", 404, heading="Not found", message=message, who=who)
    if not await inbox.access.may_see(who, view.source_of(found)):
        return None, _forbidden(
            request, who, "you need write permission on this repository to see its drafts"
        )
    return found, None


def _draft_page(
    request: Request,
    who: Who,
    found: ThreadView,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    d = view.draft_view(found)
    url = d.source.html_url or ""
    pr_url = url if url.startswith(("https://", "http://")) else ""
    error = error or (found.info.interrupt or {}).get("error") if found.paused else error
    return page(
        "draft.html",
        status,
        d=d,
        who=who,
        csrf=_csrf(request, who),
        error=error,
        notice=notice,
        form=form or {},
        pr_url=pr_url,
    )


async def draft_page(request: Request) -> Response:
    who, denied = await _who(request)
    if who is None:
        return denied or _unauthorized(request, False)
    found, refused = await _visible(request, who)
    if found is None:
        return refused or _unauthorized(request, False)
    if _wants_json(request) or who.bearer:
        return secured(JSONResponse(_outcome(found) | {"draft": found.info.values.get("draft")}))
    return _draft_page(request, who, found)


# --- the decision ----------------------------------------------------------------------------


def _field(form: dict[str, str], name: str) -> str:
    return form.get(name, "")


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form (all the pages send); the last value of a repeated name wins."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _outcome(found: ThreadView) -> dict[str, Any]:
    values = found.info.values
    result = values.get("result") or {}
    return {
        "thread_id": found.info.thread_id,
        "status": found.info.status,
        "checkpoint": found.checkpoint_id,
        "url": result.get("url"),
        "markdown": result.get("markdown"),
        "rejection": values.get("rejection"),
        "error": (found.info.interrupt or {}).get("error") if found.paused else None,
    }


async def decide(request: Request) -> Response:
    who, denied = await _who(request)
    if who is None:
        return denied or _unauthorized(request, False)
    as_json = request.headers.get("content-type", "").startswith("application/json")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return secured(JSONResponse({"error": "the answer is too large"}, status_code=413))
    form: dict[str, str] = {}
    if not as_json:
        form = await _form(request)
    if not who.bearer:
        session = sessions.read(request, inbox_of(request).settings)
        sent = request.headers.get("x-csrf-token") if as_json else form.get("csrf")
        if not sessions.csrf_ok(session, sent):
            return _forbidden(
                request,
                who,
                "the form's CSRF token is missing or out of date: reload the page and answer again",
            )
    found, refused = await _visible(request, who)
    if found is None:
        return refused or _unauthorized(request, False)
    reply = _reply(request, who, found, as_json or who.bearer)
    if not found.paused:
        return reply(409, "this thread is not waiting for a decision (answered already?)", form)
    draft = view.draft_of(found)
    checkpoint = form.get("checkpoint") or request.query_params.get("checkpoint")
    try:
        if as_json:
            value = json.loads(raw)
        elif found.question == "head_moved":
            value = {"moved_head": form.get("moved_head", "")}
        else:
            if draft is None:
                raise DecisionError("this thread has no draft to answer")
            value = {"decisions": [decisions.from_form(form, draft)]}
        value = decisions.check(value, draft, found.question, view.draft_view(found).retryable)
    except (ValueError, DecisionError) as exc:
        return reply(422, str(exc) if isinstance(exc, DecisionError) else "not JSON", form)
    try:
        after = await inbox_of(request).threads.resume(
            found.info.thread_id, checkpoint or found.checkpoint_id, value
        )
    except (Busy, Stale) as exc:
        latest = await inbox_of(request).threads.get(found.info.thread_id) or found
        return _reply(request, who, latest, as_json or who.bearer)(409, str(exc), form)
    refusal = (after.info.interrupt or {}).get("error") if after.paused else None
    if refusal:
        # The graph itself refused the answer: still paused, shown again with its reason.
        return _reply(request, who, after, as_json or who.bearer)(422, str(refusal), form)
    await status.report(after, who, inbox_of(request).settings.github_api_url)
    if as_json or who.bearer:
        return secured(JSONResponse(_outcome(after)))
    return secured(RedirectResponse(f"{ROOT}/{quote(after.info.thread_id)}", status_code=303))


Reply = Callable[[int, str, dict[str, str]], Response]


def _reply(request: Request, who: Who, found: ThreadView, as_json: bool) -> Reply:
    def send(status: int, message: str, form: dict[str, str]) -> Response:
        if as_json:
            body = _outcome(found) | {"error": message}
            return secured(JSONResponse(body, status_code=status))
        return _draft_page(request, who, found, status, error=message, form=form)

    return send


routes: list[BaseRoute] = [
    Route(ROOT, inbox_list, methods=["GET"]),
    Route(f"{ROOT}/static/inbox.css", stylesheet, methods=["GET"]),
    Route(f"{ROOT}/login", login, methods=["GET", "POST"]),
    Route(f"{ROOT}/login/github", login_github, methods=["GET"]),
    Route(f"{ROOT}/oauth/callback", oauth_callback, methods=["GET"]),
    Route(f"{ROOT}/logout", logout, methods=["POST"]),
    Route(ROOT + "/{thread_id}", draft_page, methods=["GET"]),
    Route(ROOT + "/{thread_id}/decision", decide, methods=["POST"]),
]
