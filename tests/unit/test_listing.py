"""``threads`` reads only what it shows, and says what reading whole states would say."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from graph.checkpointer import open_checkpointer
from graph.context import Context
from graph.listing import created_at, stored_threads
from graph.threads import CRASHED, FAILED, PAUSED, WRITTEN, describe
from graph.workflow import build_graph
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeModel

SQL = (EXAMPLES / "sql_injection.diff").read_text()


class Died(BaseException):
    """A process killed mid-step: nothing after it runs, nothing records it."""


async def _die(*args: Any, **kwargs: Any) -> Any:
    raise Died


def _config(label: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": uuid.uuid4().hex[:12]}, "metadata": {"target": label}}


async def _start(app: Any, label: str, text: str = SQL) -> dict[str, Any]:
    config = _config(label)
    with contextlib.suppress(Exception):  # a failing step: the thread keeps its error
        await app.ainvoke({"target": text}, config, context=Context(), durability="sync")
    return config


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "t.sqlite")
    return str(request.getfixturevalue("postgres_url"))


async def test_listing_agrees_with_the_whole_state_for_every_status(
    db: str, fake_model: FakeModel
) -> None:
    async with open_checkpointer(db) as saver:
        app = build_graph().compile(checkpointer=saver)
        paused = await _start(app, "paused.diff")
        written = await _start(app, "written.diff")
        await app.ainvoke(Command(resume={"decisions": [{"type": "approve"}]}), written)
        rejected = await _start(app, "rejected.diff")
        reject = {"decisions": [{"type": "reject", "message": "no"}]}
        await app.ainvoke(Command(resume=reject), rejected)
        failed = await _start(app, "failed.diff", text="not a diff")
        crashed = _config("crashed.diff")
        with pytest.MonkeyPatch.context() as patch:  # the process dies in orchestrate
            patch.setattr("nodes.orchestrate.call_structured", _die)
            with pytest.raises(Died):
                await app.ainvoke({"target": SQL}, crashed, context=Context(), durability="sync")
        listed = {i.thread_id: i for i in await stored_threads(saver)}
        whole = {}
        for config in (paused, written, rejected, failed, crashed):
            tid = config["configurable"]["thread_id"]
            whole[tid] = describe(tid, await app.aget_state(config))
    statuses = {tid: info.status for tid, info in listed.items()}
    assert statuses == {tid: info.status for tid, info in whole.items()}
    assert sorted(statuses.values()) == sorted([PAUSED, WRITTEN, "rejected", FAILED, CRASHED])
    for tid, info in listed.items():
        assert info.target == whole[tid].target
        assert info.created[:19] == whole[tid].created[:19] or info.created <= whole[tid].created
    failed_id = failed["configurable"]["thread_id"]
    assert listed[failed_id].error and listed[failed_id].error == whole[failed_id].error
    order = [i.created for i in await _listed(db)]
    assert order == sorted(order, reverse=True)


async def _listed(db: str) -> list[Any]:
    async with open_checkpointer(db) as saver:
        return await stored_threads(saver)


def test_a_checkpoint_id_tells_when_it_was_made() -> None:
    from langgraph.checkpoint.base.id import uuid6

    made = uuid6(clock_seq=0)
    assert created_at(str(made))[:4] >= "2024"
