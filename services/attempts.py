"""One model request, retried here rather than inside the OpenAI SDK, so that it is never silent.

The SDK retries quietly: a call against a slow server could wait, time out and retry for
minutes with nothing on the screen. Here every attempt runs through the server's gate
(``services.throttle``), a long wait is reported while it lasts, and each retry is announced
with its count and reason before its back-off (which honours ``retry-after``). A timeout while
other calls to the same server were in flight lowers the concurrency toward that server and
says which setting to change; that first crowded timeout of a call does not use up a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, TypeVar

from services import throttle
from services.progress import emit

if TYPE_CHECKING:
    from graph.context import Context

T = TypeVar("T")

BACKOFF_START = 0.5  # seconds, doubled per retry, like the SDK's own
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0  # a longer retry-after is not waited out by an interactive tool


def _retryable(exc: BaseException) -> str:
    """Why ``exc`` is worth another attempt ('' if it is not): the SDK's own rules."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, openai.APIStatusError):
        forced = exc.response.headers.get("x-should-retry")
        if forced in ("true", "false"):
            return f"answered {exc.status_code}" if forced == "true" else ""
        if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
            return f"answered {exc.status_code}"
    return ""


def _retry_after(exc: BaseException) -> float | None:
    import openai

    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    with contextlib.suppress(TypeError, ValueError):
        if headers.get("retry-after-ms") is not None:
            return float(headers["retry-after-ms"]) / 1000
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        with contextlib.suppress(TypeError, ValueError):
            return parsedate_to_datetime(raw).timestamp() - time.time()
    return None


def backoff(retry: int, exc: BaseException) -> float:
    """Seconds before retry number ``retry`` (1-based)."""
    asked = _retry_after(exc)
    if asked is not None and 0 <= asked <= RETRY_AFTER_MAX:
        return asked
    base: float = min(BACKOFF_START * 2.0 ** (retry - 1), BACKOFF_MAX)
    return base * (1 - 0.25 * random.random())  # noqa: S311  jitter, not cryptography


def heartbeat_every(timeout: float) -> float:
    """How often a call still waiting is reported: often enough to never look stuck."""
    return max(0.2, min(15.0, timeout / 4))


@contextlib.asynccontextmanager
async def _reporting_wait(label: str, context: Context, attempt: int) -> AsyncIterator[None]:
    """While the block runs, say every so often how long this attempt has waited."""
    every = heartbeat_every(context.timeout)
    started = time.monotonic()

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            waited = time.monotonic() - started
            emit(
                "waiting",
                f"{label}: still waiting for the model, {waited:.0f}s of "
                f"{context.timeout:g}s (attempt {attempt + 1} of {context.max_retries + 1})",
                label=label,
                waited=waited,
            )

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def attempt(call: Callable[[], Awaitable[T]], context: Context, label: str) -> T:
    """``call()`` with up to ``context.max_retries`` retries, every wait and retry reported."""
    import openai

    server = context.base_url or "the OpenAI API"
    gate = throttle.gate(server)
    configured = context.max_concurrency
    retries = 0
    excused = False  # one crowded timeout per call is the server's fault, not the call's
    number = 0
    while True:
        async with gate.slot(), _reporting_wait(label, context, number):
            try:
                return await call()
            except Exception as exc:
                reason = _retryable(exc)
                if not reason:
                    raise
                others = gate.in_flight - 1
                failed = exc
        number += 1
        crowded = isinstance(failed, openai.APITimeoutError) and others > 0
        lowered = gate.crowded_timeout(others, configured) if crowded else None
        if lowered is not None:
            emit(
                "slow_server",
                f"{server} timed out with {others} other call(s) in flight: it seems to "
                f"answer one request at a time; now sending it at most {lowered} at once. "
                f"Set REVIEW_PANEL_MAX_CONCURRENCY={lowered} (and a larger "
                "REVIEW_PANEL_TIMEOUT) for this server",
                server=server,
                limit=lowered,
            )
        counted = not (crowded and not excused and context.max_retries > 0)
        if not counted:
            excused = True
        elif retries < context.max_retries:
            retries += 1
        else:
            raise failed
        delay = backoff(max(retries, 1), failed)
        which = (
            f"retry {retries} of {context.max_retries}"
            if counted
            else "retry not counted (the server was busy with other calls)"
        )
        emit(
            "retry",
            f"{label}: {reason}; {which}, in {delay:.1f}s",
            label=label,
            retry=retries,
            reason=reason,
        )
        await asyncio.sleep(delay)
