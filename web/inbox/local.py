"""The inbox's back end for the CLI's checkpoints (SQLite or Postgres): ``review-panel inbox``.

Answers go through the same lease as ``review-panel approve`` (``graph.checkpointer``), so a
browser and a terminal answering one thread at once resume it once; inside this process a
lock per thread does the same for two requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.types import Command

from graph.context import Context
from graph.errors import ThreadError
from graph.threads import describe
from web.inbox.threads import Busy, Stale, ThreadView


class CheckpointerThreads:
    def __init__(self, db: str, app: Any, checkpointer: Any) -> None:
        self.db, self.app, self.checkpointer = db, app, checkpointer
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    @asynccontextmanager
    async def open(cls, db: str) -> AsyncIterator[CheckpointerThreads]:
        from graph.checkpointer import open_checkpointer
        from graph.workflow import build_graph

        async with open_checkpointer(db) as saver:
            yield cls(db, build_graph().compile(checkpointer=saver), saver)

    async def paused(self) -> list[ThreadView]:
        seen: list[str] = []
        async for checkpoint in self.checkpointer.alist(None):
            tid = checkpoint.config["configurable"]["thread_id"]
            if tid not in seen:
                seen.append(tid)
        views = [await self.get(tid) for tid in seen]
        return [v for v in views if v is not None and v.paused]

    async def get(self, thread_id: str) -> ThreadView | None:
        config = {"configurable": {"thread_id": thread_id}}
        snapshot = await self.app.aget_state(config)
        try:
            info = describe(thread_id, snapshot)
        except ThreadError:
            return None
        checkpoint = str((snapshot.config or {}).get("configurable", {}).get("checkpoint_id", ""))
        metadata = dict(snapshot.metadata or {})
        return ThreadView(info, checkpoint, str(snapshot.created_at or ""), metadata)

    async def resume(self, thread_id: str, checkpoint_id: str, value: Any) -> ThreadView:
        from graph.checkpointer import thread_lease

        lock = self._locks.setdefault(thread_id, asyncio.Lock())
        if lock.locked():
            raise Busy(f"thread {thread_id} is being answered right now")
        async with lock:
            try:
                async with thread_lease(self.db, thread_id):
                    view = await self.get(thread_id)
                    if view is None or not view.paused or view.checkpoint_id != checkpoint_id:
                        raise Stale(f"thread {thread_id} was answered already")
                    config = {"configurable": {"thread_id": thread_id}}
                    await self.app.ainvoke(
                        Command(resume=value), config, context=Context(), durability="sync"
                    )
            except (Busy, Stale):
                raise
            except ThreadError as exc:  # the lease: another process holds it
                raise Busy(str(exc)) from None
        after = await self.get(thread_id)
        assert after is not None
        return after
