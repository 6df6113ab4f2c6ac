"""One budget of model calls for a whole review: calls in flight, and calls started per second.

The specialists run as parallel nodes, each reviewing its chunks concurrently, but a hosted
API limits the *account*, not the node: so every specialist of one run shares one ``Limiter``.
Nodes of one superstep share nothing but the run, so the limiter is found by the checkpoint
they all start from (``shared``). It lives only while a node holds it: a finished superstep
leaves nothing behind, and two reviews in one process (LangGraph's server) never share one.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from types import TracebackType

_live: weakref.WeakValueDictionary[str, Limiter] = weakref.WeakValueDictionary()
_now = time.monotonic  # the clock and the wait, as seams for tests in virtual time
_sleep = asyncio.sleep


class Limiter:
    """At most ``concurrency`` calls at once; with ``rps`` > 0, starts spaced 1/rps apart."""

    def __init__(self, concurrency: int, rps: float = 0.0) -> None:
        self.concurrency = concurrency
        self.rps = rps
        self._slots = asyncio.Semaphore(concurrency)
        self._pace = asyncio.Lock()
        self._next_start = 0.0  # _now() before which no call may start

    async def __aenter__(self) -> Limiter:
        await self._slots.acquire()
        try:
            await self._wait_turn()
        except BaseException:
            self._slots.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._slots.release()

    async def _wait_turn(self) -> None:
        if self.rps <= 0:
            return
        async with self._pace:  # one caller at a time claims the next start time
            now = _now()
            start = max(now, self._next_start)
            self._next_start = start + 1.0 / self.rps
        if start > now:
            await _sleep(start - now)


def shared(key: str | None, concurrency: int, rps: float = 0.0) -> Limiter:
    """The limiter every caller with this ``key`` shares (a new one without a key)."""
    if key is None:
        return Limiter(concurrency, rps)
    limiter = _live.get(key)
    if limiter is None or (limiter.concurrency, limiter.rps) != (concurrency, rps):
        limiter = Limiter(concurrency, rps)
        _live[key] = limiter
    return limiter
