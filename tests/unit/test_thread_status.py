"""A thread's status comes from what the graph has left to run, not from which fields are set.

A process can die after a node's writes are saved and before the next checkpoint is: LangGraph
then reports no ``next`` node although the step's tasks still have to be applied and the graph
run on. Such a thread must read as crashed, and resuming it must reach the approval pause.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.threads import CRASHED, PAUSED, describe
from graph.workflow import build_graph
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeModel


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, nothing catches it."""


class DiesAfterOrchestrate(InMemorySaver):
    """Saves the orchestrator's writes, then dies before the checkpoint that follows them."""

    died = False

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        if "draft" in checkpoint["channel_values"] and not self.died:
            self.died = True
            raise Killed
        return await super().aput(config, checkpoint, metadata, new_versions)


async def test_a_kill_between_the_orchestrators_writes_and_the_next_checkpoint_is_a_crash(
    fake_model: FakeModel,
) -> None:
    saver = DiesAfterOrchestrate()
    app = build_graph().compile(checkpointer=saver)
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    target = (EXAMPLES / "sql_injection.diff").read_text()
    with pytest.raises(Killed):
        await app.ainvoke({"target": target}, config, context=Context(), durability="sync")
    assert saver.died
    snapshot = await app.aget_state(config)
    assert snapshot.next == ()  # what LangGraph says; the thread is not finished all the same
    info = describe("t", snapshot)
    assert info.status == CRASHED
    assert info.next == ("orchestrate",)

    await app.ainvoke(None, config, context=Context(), durability="sync")
    assert describe("t", await app.aget_state(config)).status == PAUSED
    assert fake_model.who_called().count("orchestrator") == 1  # its saved answer was kept
