"""The retry decision re-runs failed calls on the specialists' own task path: through the
run's shared limiter (concurrency and requests per second) and as durable LangGraph tasks, so
a crash during a retry repeats no call that had completed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph.context import Context
from graph.workflow import build_graph
from services import limits
from tests.conftest import EXAMPLES
from tests.servers.panel_model import SPECIALIST_MARKERS
from tests.unit.fakes import FakeModel

SQL = (EXAMPLES / "sql_injection.diff").read_text()
RETRY = Command(resume={"decisions": [{"type": "retry"}]})


async def started_with_failures(
    saver: InMemorySaver, fake: FakeModel, failing: set[str], context: Context
) -> tuple[Any, dict[str, Any]]:
    app = build_graph().compile(checkpointer=saver)
    config: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}
    fake.fail = set(failing)
    await app.ainvoke({"target": SQL}, config, context=context, durability="sync")
    fake.fail = set()
    fake.calls.clear()
    return app, config


async def test_retried_calls_go_through_the_runs_shared_limiter(
    monkeypatch: pytest.MonkeyPatch, fake_model: FakeModel
) -> None:
    context = Context(max_concurrency=2, max_rps=7.5, base_url="http://127.0.0.1:9/v1")
    app, config = await started_with_failures(
        InMemorySaver(), fake_model, {"security", "performance", "style"}, context
    )
    entered: list[tuple[int, float]] = []
    real_enter = limits.Limiter.__aenter__

    async def counting(self: limits.Limiter) -> limits.Limiter:
        entered.append((self.concurrency, self.rps))
        return await real_enter(self)

    monkeypatch.setattr(limits.Limiter, "__aenter__", counting)
    await app.ainvoke(RETRY, config, context=Context(), durability="sync")
    assert sorted(fake_model.who_called()) == ["orchestrator", "performance", "security", "style"]
    assert entered == [(2, 7.5)] * 3  # the thread's settings, one entry per retried call


async def test_a_crash_during_a_retry_repeats_no_call_that_had_completed(
    monkeypatch: pytest.MonkeyPatch, fake_model: FakeModel
) -> None:
    saver = InMemorySaver()
    app, config = await started_with_failures(
        saver, fake_model, {"performance", "style"}, Context()
    )
    thread = config["configurable"]["thread_id"]

    def saved_task_results() -> int:
        return sum(
            1
            for (tid, _, _), writes in saver.writes.items()
            if tid == thread
            for _, channel, _, _ in writes.values()
            if channel == "__return__"
        )

    before = saved_task_results()

    async def style_crashes_once_performance_is_saved(
        context: Any, choice: Any, schema: Any, system: str, user: str, **kwargs: Any
    ) -> Any:
        answer = await fake_model(context, choice, schema, system, user, **kwargs)
        if SPECIALIST_MARKERS["style"] in system:
            for _ in range(500):  # wait for the checkpoint row, not for a guessed time
                if saved_task_results() > before:
                    raise RuntimeError("the process died")
                await asyncio.sleep(0.01)
            raise AssertionError("performance's retried result was never saved")
        return answer

    monkeypatch.setattr("services.review.call_structured", style_crashes_once_performance_is_saved)
    with pytest.raises(RuntimeError, match="the process died"):
        await app.ainvoke(RETRY, config, context=Context(), durability="sync")
    assert sorted(fake_model.who_called()) == ["performance", "style"]

    monkeypatch.setattr("services.review.call_structured", fake_model)
    fake_model.calls.clear()
    await app.ainvoke(None, config, context=Context(), durability="sync")
    assert fake_model.who_called() == ["style", "orchestrator"]
    draft = (await app.aget_state(config)).values["draft"]
    assert draft["failures"] == []
