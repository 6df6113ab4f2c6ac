"""Threads in a checkpointer of this process: the GitHub Actions path.

A job runs the graph in-process with the checkpointer from ``REVIEW_PANEL_DB`` (Postgres, so
a paused draft outlives the job, and a later job, started by a comment, approves it). Every
run holds ``graph.checkpointer.thread_lease``, so two jobs deciding on one thread at once
take turns: the second is told ``Busy`` and changes nothing. A run that fails (GitHub or the
model down) leaves its error in the checkpoint, where ``get`` finds it.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.types import Command

from graph.context import Context
from graph.errors import ReviewPanelError, ThreadError
from team.threads import Busy, ThreadView, view

log = logging.getLogger("review_panel.team")


class LocalThreads:
    def __init__(self, app: Any, checkpointer: Any, db: str) -> None:
        self.app, self.checkpointer, self.db = app, checkpointer, db

    def _config(self, thread_id: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
        if metadata:
            config["metadata"] = metadata
        return config

    async def get(self, thread_id: str) -> ThreadView | None:
        snapshot = await self.app.aget_state(self._config(thread_id))
        if not snapshot.created_at and not snapshot.values:
            return None
        interrupts = [i.value for t in snapshot.tasks for i in t.interrupts]
        error = next((str(t.error) for t in snapshot.tasks if t.error), None)
        if error is None and snapshot.next and not interrupts:
            error = "the run stopped before the draft was ready"
        head = (snapshot.metadata or {}).get("head")
        return view(thread_id, snapshot.values, interrupts, False, error, head and str(head))

    async def _run(
        self,
        thread_id: str,
        payload: Any,
        metadata: dict[str, str] | None,
        *,
        decision: bool = False,
    ) -> None:
        from graph.checkpointer import thread_lease

        try:
            async with thread_lease(self.db, thread_id):
                if decision:  # judged under the lease: another job may have decided meanwhile
                    now = await self.get(thread_id)
                    if now is None or now.status not in ("paused", "question"):
                        raise Busy(f"thread {thread_id} is no longer waiting for a decision")
                await self.app.ainvoke(
                    payload,
                    self._config(thread_id, metadata),
                    context=Context(),
                    durability="sync",
                )
        except ThreadError:
            raise Busy(f"thread {thread_id} is busy in another process") from None
        except ReviewPanelError as exc:  # kept in the checkpoint; the status reports it
            log.warning("review-panel: thread %s failed: %s", thread_id, exc)

    async def start(
        self, thread_id: str, review_input: dict[str, Any], metadata: dict[str, str]
    ) -> bool:
        if await self.get(thread_id) is not None:
            return False
        try:
            await self._run(thread_id, review_input, metadata)
        except Busy:
            return False
        return True

    async def resume(self, thread_id: str, response: dict[str, Any]) -> ThreadView:
        current = await self.get(thread_id)
        metadata = await self._metadata(thread_id)
        if current is None or current.status not in ("paused", "question"):
            raise Busy(f"thread {thread_id} is not waiting for a decision")
        await self._run(thread_id, Command(resume=response), metadata, decision=True)
        found = await self.get(thread_id)
        assert found is not None
        return found

    async def retry_failed(self, thread_id: str) -> ThreadView:
        await self._run(thread_id, None, await self._metadata(thread_id))
        found = await self.get(thread_id)
        assert found is not None
        return found

    async def wait(self, thread_id: str, pull_key: str) -> list[ThreadView]:
        return await self.of_pull(pull_key)  # runs here end before the call that made them

    async def mark_superseded(self, thread_id: str, by: str) -> None:
        metadata = await self._metadata(thread_id)
        await self.app.aupdate_state(self._config(thread_id, metadata), {"superseded_by": by})
        try:
            await self._run(thread_id, None, metadata)  # approve pauses again, marked
        except Busy:
            log.info("review-panel: thread %s is busy; it stays as it is", thread_id)

    async def _metadata(self, thread_id: str) -> dict[str, str]:
        snapshot = await self.app.aget_state(self._config(thread_id))
        meta = snapshot.metadata or {}
        return {k: str(meta[k]) for k in ("target", "pull", "head") if k in meta}

    async def of_pull(self, pull_key: str) -> list[ThreadView]:
        first_seen: dict[str, str] = {}
        async for checkpoint in self.checkpointer.alist(None, filter={"pull": pull_key}):
            tid = checkpoint.config["configurable"]["thread_id"]
            first_seen[tid] = min(first_seen.get(tid, "~"), checkpoint.checkpoint.get("ts", ""))
        ordered = sorted(first_seen, key=lambda t: first_seen[t])
        views = [await self.get(t) for t in ordered]
        return [v for v in views if v is not None]
