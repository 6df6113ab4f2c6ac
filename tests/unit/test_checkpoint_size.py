"""What one review leaves in the CLI's SQLite database: bounded by the diff, not a multiple.

A review of a ~1 MB diff, approved and published, through the CLI's own checkpointer. The
checkpoints must fit within 2x the diff plus the findings, and the diff must be stored as the
input only: in no later checkpoint and in no ``Send``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from langgraph.types import Command

from bench.prs import real_code_pr
from graph.checkpointer import open_checkpointer
from graph.context import Context
from graph.workflow import build_graph
from tests.unit.fakes import FakeModel

DIFF = real_code_pr(1000)  # ~1 MB of real Python as new files


def db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


async def review_and_approve(db: Path) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Review DIFF, approve it; the final state and every stored (where, value) of the thread."""
    config: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}
    async with open_checkpointer(str(db)) as saver:
        app = build_graph().compile(checkpointer=saver)
        context = Context(base_url="http://127.0.0.1:9/v1")
        await app.ainvoke({"target": DIFF}, config, context=context, durability="sync")
        approve = Command(resume={"decisions": [{"type": "approve"}]})
        await app.ainvoke(approve, config, context=context, durability="sync")
        state = (await app.aget_state(config)).values
        stored: list[tuple[str, Any]] = []
        async for item in saver.alist(config):
            step = item.metadata.get("step") if item.metadata else None
            for channel, value in item.checkpoint["channel_values"].items():
                stored.append((f"checkpoint {step}: {channel}", value))
            for _task, channel, value in item.pending_writes or []:
                stored.append((f"write before step {step}: {channel}", value))
    return dict(state), stored


def contains_diff(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > len(DIFF) // 2 and value in DIFF
    if isinstance(value, dict):
        return any(contains_diff(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_diff(v) for v in value)
    return contains_diff(vars(value)) if hasattr(value, "__dict__") else False


async def test_a_review_stores_less_than_twice_its_diff_plus_findings(
    tmp_path: Path, fake_model: FakeModel
) -> None:
    db = tmp_path / "reviews.sqlite"
    state, _ = await review_and_approve(db)
    assert state["result"]["destination"] == "local"  # reviewed, approved and published
    findings = [f for r in state["reports"] for f in r["findings"]]
    assert findings  # the budget includes them, so there must be some
    budget = len(DIFF.encode()) + sum(len(str(f).encode()) for f in findings)
    assert db_bytes(db) <= 2 * budget, f"{db_bytes(db)} bytes for a budget of {budget}"


async def test_the_diff_is_stored_with_the_input_and_nowhere_else(
    tmp_path: Path, fake_model: FakeModel
) -> None:
    state, stored = await review_and_approve(tmp_path / "reviews.sqlite")
    assert state["target"] == DIFF  # still readable: LangGraph rebuilds it from its write
    holders = sorted(where for where, value in stored if contains_diff(value))
    assert holders == ["checkpoint -1: __start__", "write before step -1: target"], holders
