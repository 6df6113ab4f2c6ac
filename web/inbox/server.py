"""The inbox's back end on LangGraph's server, through langgraph_sdk.

Inside the server ``get_client()`` with no URL talks to the same server in-process, so the
pages read threads and resume them with the server's own API: its queue, workers and
persistence carry the run. ``multitask_strategy="reject"`` makes the server refuse a second
run on a thread that is still running the first answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graph.threads import from_parts
from web.inbox.threads import Busy, Stale, ThreadView

GRAPH_ID = "review_panel"
PAGE = 100


class ServerThreads:
    def __init__(self, client: Any = None) -> None:
        self._client = client
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            from langgraph_sdk import get_client

            self._client = get_client()
        return self._client

    async def paused(self) -> list[ThreadView]:
        views: list[ThreadView] = []
        offset = 0
        while True:
            found = await self.client.threads.search(
                status="interrupted", limit=PAGE, offset=offset
            )
            for thread in found:
                view = await self.get(str(thread["thread_id"]))
                if view is not None and view.paused:
                    views.append(view)
            if len(found) < PAGE:
                return views
            offset += PAGE

    async def get(self, thread_id: str) -> ThreadView | None:
        from langgraph_sdk.errors import NotFoundError

        try:
            thread = await self.client.threads.get(thread_id)
            state = await self.client.threads.get_state(thread_id)
        except NotFoundError:
            return None
        return _view(thread_id, thread, state)

    async def resume(self, thread_id: str, checkpoint_id: str, value: Any) -> ThreadView:
        from langgraph_sdk.errors import ConflictError

        lock = self._locks.setdefault(thread_id, asyncio.Lock())
        if lock.locked():
            raise Busy(f"thread {thread_id} is being answered right now")
        async with lock:
            view = await self.get(thread_id)
            if view is None or not view.paused or view.checkpoint_id != checkpoint_id:
                raise Stale(f"thread {thread_id} was answered already")
            try:
                await self.client.runs.wait(
                    thread_id,
                    GRAPH_ID,
                    command={"resume": value},
                    multitask_strategy="reject",
                    raise_error=False,
                )
            except ConflictError:
                raise Busy(f"thread {thread_id} is being answered right now") from None
        after = await self.get(thread_id)
        assert after is not None
        return after


def _view(thread_id: str, thread: dict[str, Any], state: dict[str, Any]) -> ThreadView:
    tasks = state.get("tasks") or []
    interrupts = [i.get("value") for t in tasks for i in (t.get("interrupts") or [])]
    error = next((str(t["error"]) for t in tasks if t.get("error")), None)
    info = from_parts(
        thread_id,
        values=dict(state.get("values") or {}),
        interrupts=interrupts,
        next_nodes=tuple(str(t.get("name")) for t in tasks),  # see graph.threads.describe
        error=error,
        metadata=dict(state.get("metadata") or {}) | dict(thread.get("metadata") or {}),
        created=str(thread.get("created_at") or ""),
    )
    checkpoint = str((state.get("checkpoint") or {}).get("checkpoint_id") or "")
    metadata = dict(thread.get("metadata") or {})
    return ThreadView(info, checkpoint, str(state.get("created_at") or ""), metadata)
