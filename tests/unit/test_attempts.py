"""Model requests are retried in the open: each wait and retry is reported as it happens, and a
server that times out under load gets fewer calls at once instead of a pile of retries."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import openai
import pytest

from graph.context import Context
from services import attempts, throttle

REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def timeout() -> openai.APITimeoutError:
    return openai.APITimeoutError(request=REQUEST)


def status(code: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx.Response(code, headers=headers or {}, request=REQUEST)
    return openai.APIStatusError(f"HTTP {code}", response=response, body=None)


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def record(kind: str, message: str, **fields: Any) -> None:
        seen.append({"kind": kind, "message": message, **fields})

    monkeypatch.setattr(attempts, "emit", record)
    monkeypatch.setattr(attempts, "backoff", lambda retry, exc: 0.0)
    return seen


def context(**kw: Any) -> Context:
    return Context(base_url=f"http://127.0.0.1:{id(kw) % 60000}/v1", **kw)


async def test_each_retry_is_announced_with_its_count_and_reason(
    events: list[dict[str, Any]],
) -> None:
    failures = [status(503), status(429)]

    async def call() -> str:
        if failures:
            raise failures.pop(0)
        return "answer"

    assert await attempts.attempt(call, context(max_retries=2), "style [chunk 1]") == "answer"
    assert [e["message"] for e in events] == [
        "style [chunk 1]: answered 503; retry 1 of 2, in 0.0s",
        "style [chunk 1]: answered 429; retry 2 of 2, in 0.0s",
    ]


async def test_the_last_failure_is_raised_once_the_retries_are_spent(
    events: list[dict[str, Any]],
) -> None:
    async def call() -> str:
        raise status(500)

    with pytest.raises(openai.APIStatusError):
        await attempts.attempt(call, context(max_retries=1), "security [chunk 1]")
    assert [e["retry"] for e in events if e["kind"] == "retry"] == [1]


async def test_a_client_error_is_not_retried(events: list[dict[str, Any]]) -> None:
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        raise status(404)

    with pytest.raises(openai.APIStatusError):
        await attempts.attempt(call, context(max_retries=2), "security [chunk 1]")
    assert calls == 1 and events == []


async def test_a_long_wait_is_reported_while_it_lasts(events: list[dict[str, Any]]) -> None:
    answered = asyncio.Event()

    async def call() -> str:
        while not any(e["kind"] == "waiting" for e in events):
            await asyncio.sleep(0.01)
        answered.set()
        return "late answer"

    ctx = context(timeout=0.8)  # reported every 0.2 s
    assert await attempts.attempt(call, ctx, "performance [chunk 2]") == "late answer"
    waiting = next(e for e in events if e["kind"] == "waiting")
    assert waiting["message"].startswith("performance [chunk 2]: still waiting for the model, ")
    assert waiting["message"].endswith("s of 0.8s (attempt 1 of 3)")


async def test_timeouts_under_load_lower_the_concurrency_and_are_not_all_retried_at_once(
    events: list[dict[str, Any]],
) -> None:
    ctx = context(max_retries=1, max_concurrency=8)
    gate = throttle.gate(str(ctx.base_url))
    first_round = asyncio.Barrier(8)
    attempts_in_flight: list[int] = []

    async def call() -> str:
        attempts_in_flight.append(gate.in_flight)
        if len(attempts_in_flight) <= 8:  # eight at once: the server queues and all time out
            await first_round.wait()
            raise timeout()
        return "answer"

    results = await asyncio.gather(
        *(attempts.attempt(call, ctx, f"style [chunk {i}]") for i in range(8))
    )
    assert results == ["answer"] * 8
    assert gate.limit(8) == 1
    assert max(attempts_in_flight[8:]) == 1  # the retries went one at a time
    slow = [e for e in events if e["kind"] == "slow_server"]
    assert slow and "REVIEW_PANEL_MAX_CONCURRENCY=" in slow[0]["message"]
    assert "REVIEW_PANEL_MAX_CONCURRENCY=1" in slow[-1]["message"]
    retries = [e for e in events if e["kind"] == "retry"]
    assert all("not counted" in e["message"] for e in retries)  # queueing was not their fault


async def test_many_reviews_at_once_are_not_capped_at_one_reviews_budget_in_total(
    events: list[dict[str, Any]],
) -> None:
    """REVIEW_PANEL_MAX_CONCURRENCY is each review's budget (services.limits). A server
    process running three reviews of eight calls each sends all 24 at once, until the model
    server shows it cannot keep up."""
    ctx = context(max_concurrency=8)
    everyone = asyncio.Barrier(24)  # passes only when all 24 calls are in flight together

    async def call() -> str:
        await asyncio.wait_for(everyone.wait(), timeout=10)
        return "answer"

    results = await asyncio.gather(*(attempts.attempt(call, ctx, f"c{i}") for i in range(24)))
    assert results == ["answer"] * 24
    assert throttle.gate(str(ctx.base_url)).learned is None
