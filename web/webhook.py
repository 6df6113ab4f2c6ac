"""``POST /github/webhook``: GitHub's deliveries in, an answer within a second, work after.

Checks, in order, before anything starts: the body is at most GitHub's 25 MB cap (413); the
``X-Hub-Signature-256`` HMAC-SHA256 of the raw body with ``GITHUB_WEBHOOK_SECRET`` matches,
compared in constant time (401 otherwise; 503 while no secret is configured); the body is
JSON (400). Then ``team.events.decide`` says what it is: ``ping`` gets 200, an event that
asks for nothing 202 with the reason, a redelivery (same ``X-GitHub-Delivery``) 202 and
nothing new. Anything else is accepted (202) and carried out in the background by
``team.handler.Handler``, whose reviews are runs on LangGraph's server, with the thread pool
``web.process`` gives the server's loop at start-up for the blocking PyGithub calls that work
makes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from team.deliveries import Deliveries
from team.events import Ignore, Ping, decide
from team.handler import Handler

SECRET_ENV = "GITHUB_WEBHOOK_SECRET"  # noqa: S105  (the variable's name)
MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
PATH = "/github/webhook"
log = logging.getLogger("review_panel.webhook")


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<hex HMAC-SHA256 of body with secret>``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip())


class Webhook:
    """The endpoint and its background work; ``handler`` is made on first use."""

    def __init__(self, make_handler: Callable[[], Handler] | None = None) -> None:
        self._make_handler = make_handler or _server_handler
        self._handler: Handler | None = None
        self.deliveries = Deliveries()
        self.tasks: set[asyncio.Task[str]] = set()

    @property
    def handler(self) -> Handler:
        if self._handler is None:
            self._handler = self._make_handler()
        return self._handler

    async def endpoint(self, request: Request) -> JSONResponse:
        secret = os.environ.get(SECRET_ENV, "")
        if not secret:
            return _answer(503, f"the webhook secret is not configured ({SECRET_ENV})")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return _answer(413, "payload larger than 25 MB")
        body = await _read_capped(request)
        if body is None:
            return _answer(413, "payload larger than 25 MB")
        if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            return _answer(401, "missing or wrong X-Hub-Signature-256")
        try:
            payload = json.loads(body)
        except ValueError:
            return _answer(400, "the body is not JSON")
        event = request.headers.get("x-github-event", "")
        action = decide(event, payload)
        if isinstance(action, Ping):
            return _answer(200, "pong")
        if isinstance(action, Ignore):
            return _answer(202, f"ignored: {action.reason}")
        delivery = request.headers.get("x-github-delivery", "")
        if not self.deliveries.first_time(delivery):
            return _answer(202, f"ignored: delivery {delivery} was already taken")
        task = asyncio.create_task(self._carry_out(action, delivery))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return _answer(202, "accepted")

    async def _carry_out(self, action: object, delivery: str) -> str:
        try:
            outcome = await self.handler.handle(action)  # type: ignore[arg-type]
        except Exception as exc:  # a bug or an outage must not kill the server's loop
            from services.secrets import scrub

            outcome = f"failed: {type(exc).__name__}: {scrub(str(exc))}"
            log.exception("review-panel webhook delivery %s failed", delivery)
        log.info("review-panel webhook delivery %s: %s", delivery, outcome)
        return outcome


async def _read_capped(request: Request) -> bytes | None:
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)


def _answer(code: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=code)


def _server_handler() -> Handler:
    from team.server_threads import ServerThreads

    return Handler(ServerThreads())


webhook = Webhook()
routes = [Route(PATH, webhook.endpoint, methods=["POST"])]
