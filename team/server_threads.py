"""Threads on LangGraph's server, through langgraph_sdk: the server's queue, workers and
persistence carry the reviews; this module only creates threads and runs and reads them.

Inside the server ``get_client()`` with no URL talks to the same server in-process. A thread's
creation is the lock that makes a review start once: ``threads.create(if_exists="raise")``
succeeds for exactly one of two concurrent deliveries. A resume is created with
``multitask_strategy="reject"``, so a second decision while one is being carried out is
refused (``Busy``) instead of queued.
"""

from __future__ import annotations

import contextlib
from typing import Any

from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import ConflictError, NotFoundError
from langgraph_sdk.schema import Thread

from team.threads import Busy, ThreadView, view

GRAPH_ID = "review_panel"
IN_FLIGHT = ("pending", "running")


class ServerThreads:
    def __init__(self, client: LangGraphClient | None = None) -> None:
        self._client = client
        # The run each ``start`` of this process created, by thread: ``wait`` joins it
        # directly instead of listing the thread's runs before and after (two requests a
        # review, each through the server's whole middleware stack).
        self._started: dict[str, str] = {}

    @property
    def client(self) -> LangGraphClient:
        if self._client is None:  # made lazily: the in-process transport needs the server up
            self._client = get_client(url=None, api_key=None)
        return self._client

    async def get(self, thread_id: str) -> ThreadView | None:
        try:
            thread = await self.client.threads.get(thread_id)
        except NotFoundError:
            return None
        return await self._view(thread)

    async def _view(self, thread: Thread) -> ThreadView:
        """The view of a thread as the server returned it (by ``get`` or ``search``)."""
        thread_id = str(thread["thread_id"])
        interrupts = [
            i.get("value")
            for group in (thread.get("interrupts") or {}).values()
            for i in group
            if isinstance(i, dict)
        ]
        error = None
        if thread["status"] == "error":
            state = await self.client.threads.get_state(thread_id)
            error = next((str(t["error"]) for t in state["tasks"] if t.get("error")), None)
            error = error or "the run failed"
        busy = thread["status"] == "busy"
        values = thread.get("values") if isinstance(thread.get("values"), dict) else {}
        head = (thread.get("metadata") or {}).get("head")
        return view(thread_id, values, interrupts, busy, error, str(head) if head else None)

    async def start(
        self, thread_id: str, review_input: dict[str, Any], metadata: dict[str, str]
    ) -> bool:
        try:
            await self.client.threads.create(
                thread_id=thread_id, if_exists="raise", metadata=metadata
            )
        except ConflictError:
            return False
        run = await self.client.runs.create(
            thread_id,
            GRAPH_ID,
            input=review_input,
            metadata={"target": metadata["target"]},
            multitask_strategy="reject",
        )
        self._started[thread_id] = str(run["run_id"])
        return True

    async def resume(self, thread_id: str, response: dict[str, Any]) -> ThreadView:
        return await self._run(thread_id, command={"resume": response})

    async def _run(self, thread_id: str, **kwargs: Any) -> ThreadView:
        try:
            run = await self.client.runs.create(
                thread_id, GRAPH_ID, multitask_strategy="reject", **kwargs
            )
        except ConflictError:
            raise Busy(f"thread {thread_id} is busy") from None
        await self.client.runs.join(thread_id, run["run_id"])
        found = await self.get(thread_id)
        assert found is not None
        return found

    async def wait(self, thread_id: str, pull_key: str) -> list[ThreadView]:
        run_id = self._started.pop(thread_id, None)
        if run_id is not None:  # the common case: the run this process started
            await self.client.runs.join(thread_id, run_id)
            threads = await self.of_pull(pull_key)
            mine = next((t for t in threads if t.thread_id == thread_id), None)
            if mine is not None and mine.status != "running":
                return threads
        while True:  # another run may have followed (a decision, a superseded draft)
            runs = await self.client.runs.list(thread_id, limit=5)
            live = [r for r in runs if r["status"] in IN_FLIGHT]
            if not live:
                break
            for run in live:
                await self.client.runs.join(thread_id, run["run_id"])
        return await self.of_pull(pull_key)

    async def mark_superseded(self, thread_id: str, by: str) -> None:
        await self.client.threads.update_state(thread_id, {"superseded_by": by})
        # The update ends the open interrupt; running on lets ``approve`` pause again, now
        # showing that the draft is superseded.
        with contextlib.suppress(Busy):  # a run in flight will pause it again itself
            await self._run(thread_id, input=None)

    async def retry_failed(self, thread_id: str) -> ThreadView:
        """Continue a thread whose run failed (GitHub or the model down), from its checkpoint."""
        return await self._run(thread_id, input=None)

    async def of_pull(self, pull_key: str) -> list[ThreadView]:
        """Every thread of one pull request, oldest first."""
        found = await self.client.threads.search(
            metadata={"pull": pull_key}, limit=100, sort_by="created_at", sort_order="asc"
        )
        # A search answers with whole threads (status, values, interrupts): no get per thread.
        return [await self._view(t) for t in found]
