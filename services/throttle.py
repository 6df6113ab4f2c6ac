"""Calls in flight to one model server, lowered when the server shows it cannot keep up.

A local server often computes one request at a time (llama.cpp's server has one slot by
default). With several calls in flight the others queue *on the server* while the client's
timeout runs, so they time out, and retrying them at once adds requests behind the ones the
server is still computing for nobody. The sign is a timeout while other calls to the same
server were in flight: each such timeout halves what this process sends that server at once
(down to one), for the rest of the process. Retries then wait for a free place like any call.

This sits beside ``services.limits`` (the run's budget across specialists,
``REVIEW_PANEL_MAX_CONCURRENCY``), at the level of single HTTP attempts, and is keyed by base
URL: two runs against one server share what was learned about it. Until a server has shown
that it cannot keep up, the gate holds nothing back: each run's own budget is the limit, so a
process that runs many reviews at once (LangGraph's server) is not capped at one review's
budget in total (that cap made 30 reviews at once queue their calls eight at a time).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Gate]] = (
    weakref.WeakKeyDictionary()
)


class Gate:
    """Attempts in flight to one server: any number, or at most the learned limit once the
    server timed out under load."""

    def __init__(self) -> None:
        self.learned: int | None = None  # set once the server timed out under load
        self.in_flight = 0
        self._changed = asyncio.Condition()

    def limit(self, configured: int) -> int:
        return configured if self.learned is None else min(configured, self.learned)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.learned is None or self.in_flight < self.learned
            )
            self.in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def crowded_timeout(self, others: int, configured: int) -> int | None:
        """A call timed out with ``others`` in flight: the new, lower limit, or None."""
        current = self.limit(configured)
        if others < 1 or current <= 1:
            return None
        self.learned = max(1, min(current, others + 1) // 2)
        return self.learned


def gate(server: str) -> Gate:
    """The gate of ``server`` (a base URL) in the running event loop."""
    per_loop = _gates.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(server)
    if found is None:
        found = per_loop[server] = Gate()
    return found
