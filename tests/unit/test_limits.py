"""The run-wide model-call limiter: calls in flight, starts per second, one per run."""

from __future__ import annotations

import asyncio
import gc
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.workflow import build_graph
from services import limits
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeModel

SQL = (EXAMPLES / "sql_injection.diff").read_text()


class Clock:
    """Virtual time: ``sleep`` waits for the clock, which jumps to the next wake-up when
    everything else is blocked. Pacing is checked exactly, with no real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._timers, (self.now + max(0.0, seconds), self._seq, future))
        await future

    async def run(self, *coros: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if not self._timers and not all(t.done() for t in tasks):
                for t in tasks:
                    t.cancel()
                raise AssertionError("stuck: every task waits and no timer is due")
            if self._timers:
                when, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                if not future.done():  # a cancelled sleeper's timer just expires
                    future.set_result(None)
        await asyncio.gather(*tasks)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(limits, "_now", fake.monotonic)
    monkeypatch.setattr(limits, "_sleep", fake.sleep)
    return fake


async def test_no_more_than_the_limit_run_at_once() -> None:
    limiter = limits.Limiter(concurrency=3)
    running = peak = 0
    release = asyncio.Event()

    async def call() -> None:
        nonlocal running, peak
        async with limiter:
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1

    tasks = [asyncio.create_task(call()) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert running == 3  # the other seven wait for a slot
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 3


async def test_starts_are_spaced_by_the_requests_per_second_limit(clock: Clock) -> None:
    limiter = limits.Limiter(concurrency=10, rps=4.0)
    starts: list[float] = []

    async def call() -> None:
        async with limiter:
            starts.append(clock.now)

    await clock.run(*(call() for _ in range(6)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 6
    assert gaps == pytest.approx([0.25] * 5)


async def test_without_a_rate_limit_nothing_waits(clock: Clock) -> None:
    limiter = limits.Limiter(concurrency=10)
    before = clock.now

    async def calls() -> None:
        for _ in range(20):
            async with limiter:
                pass

    await clock.run(calls())
    assert clock.now == before


async def test_a_cancelled_wait_for_the_pace_gives_its_slot_back(clock: Clock) -> None:
    limiter = limits.Limiter(concurrency=1, rps=1.0)
    async with limiter:
        pass
    waiting = asyncio.create_task(limiter.__aenter__())  # must wait a second for its turn
    for _ in range(5):
        await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    async def again() -> None:
        async with limiter:  # the slot was given back: this gets it
            pass

    await clock.run(again())


def test_callers_with_one_key_share_a_limiter_while_it_is_in_use() -> None:
    first = limits.shared("checkpoint-1", 4, 0.0)
    assert limits.shared("checkpoint-1", 4, 0.0) is first
    assert limits.shared("checkpoint-2", 4, 0.0) is not first
    assert limits.shared(None, 4, 0.0) is not limits.shared(None, 4, 0.0)
    assert limits.shared("checkpoint-1", 2, 0.0) is not first  # other settings: a new one


def test_a_limiter_nobody_holds_is_forgotten() -> None:
    limiter = limits.shared("checkpoint-3", 4, 0.0)
    assert "checkpoint-3" in limits._live
    del limiter
    gc.collect()
    assert "checkpoint-3" not in limits._live


async def test_all_specialists_of_a_run_share_one_limiter_set_by_the_context(
    monkeypatch: pytest.MonkeyPatch, fake_model: FakeModel
) -> None:
    handed_out: list[tuple[str | None, limits.Limiter]] = []
    real_shared = limits.shared

    def spy(key: str | None, concurrency: int, rps: float = 0.0) -> limits.Limiter:
        limiter = real_shared(key, concurrency, rps)
        handed_out.append((key, limiter))
        return limiter

    monkeypatch.setattr(limits, "shared", spy)
    app = build_graph().compile(checkpointer=InMemorySaver())
    context = Context(max_concurrency=3, max_rps=7.5, base_url="http://127.0.0.1:9/v1")
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    await app.ainvoke({"target": SQL}, config, context=context)
    assert len(handed_out) == 3  # one per specialist node
    keys = {key for key, _ in handed_out}
    limiters = {id(limiter): limiter for _, limiter in handed_out}
    assert len(keys) == 1 and None not in keys
    (limiter,) = limiters.values()
    assert (limiter.concurrency, limiter.rps) == (3, 7.5)
    assert sorted(who for who in fake_model.who_called() if who != "orchestrator") == [
        "performance",
        "security",
        "style",
    ]
