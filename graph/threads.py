"""Reading a thread's checkpointed state as a person asks about it: status, draft, result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graph.errors import ThreadError

if TYPE_CHECKING:  # langgraph.types costs a second to import: `threads` never needs it
    from langgraph.types import StateSnapshot

PAUSED = "awaiting approval"  # the one word for a thread paused at the approval interrupt
CRASHED = "crashed"  # the process stopped mid-run (a kill, a crash, Ctrl-C): `resume` finishes it
WRITTEN = "written"  # a local diff's approved review: kept in the thread and printed, not posted
STARTED_WITH = "settings"  # the run-metadata key of the settings a thread started with
FAILED = "failed"  # a step raised (a PR that 404s, say): `resume` retries it, `forget` drops it


@dataclass
class ThreadInfo:
    thread_id: str
    status: str
    target: str
    created: str
    values: dict[str, Any]
    interrupt: dict[str, Any] | None
    next: tuple[str, ...]
    error: str | None
    started_with: dict[str, Any] = field(default_factory=dict)  # settings in the run metadata

    def as_json(self, full: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "thread_id": self.thread_id,
            "status": self.status,
            "target": self.target,
            "created": self.created,
        }
        if full:
            data["draft"] = self.values.get("draft")
            data["approved"] = self.values.get("approved")
            data["result"] = self.values.get("result")
            data["rejection"] = self.values.get("rejection")
            data["next"] = list(self.next)
            data["error"] = self.error
            if self.interrupt is not None:
                data["markdown"] = self.interrupt.get("markdown")
        return data


def describe(thread_id: str, snapshot: StateSnapshot, created: str | None = None) -> ThreadInfo:
    if not snapshot.created_at and not snapshot.values:
        raise ThreadError(f"no thread {thread_id!r} in this database: see `review-panel threads`")
    interrupts = [intr.value for task in snapshot.tasks for intr in task.interrupts]
    error = next((str(t.error) for t in snapshot.tasks if t.error), None)
    # What is left to run: every task of the next step, including those whose writes were
    # saved before the process died. ``snapshot.next`` leaves those out, so a kill just
    # after a node's writes and before the next checkpoint would look finished.
    pending = tuple(t.name for t in snapshot.tasks)
    return from_parts(
        thread_id,
        values=dict(snapshot.values or {}),
        interrupts=interrupts,
        next_nodes=pending,
        error=error,
        metadata=dict(snapshot.metadata or {}),
        created=created or str(snapshot.created_at or ""),
    )


def from_parts(
    thread_id: str,
    *,
    values: dict[str, Any],
    interrupts: list[Any],
    next_nodes: tuple[str, ...],
    error: str | None,
    metadata: dict[str, Any],
    created: str,
) -> ThreadInfo:
    """A thread's status from the parts of its state, however they were read.

    The CLI reads a ``StateSnapshot`` from its checkpointer; the inbox on LangGraph's server
    reads the same parts as JSON through langgraph_sdk. Both judge status by these rules.
    """
    interrupt = None
    for value in interrupts:
        interrupt = value if isinstance(value, dict) else {"value": value}
    if interrupt is not None:
        status = PAUSED
    elif "result" in values:
        status = "posted" if values["result"].get("destination") == "github" else WRITTEN
    elif "rejection" in values:
        status = "rejected"
    elif next_nodes:
        status = FAILED if error else CRASHED
    else:
        status = "done"
    target = str(metadata.get("target") or (values.get("source") or {}).get("label") or "?")
    return ThreadInfo(
        thread_id=thread_id,
        status=status,
        target=target,
        created=created,
        values=values,
        interrupt=interrupt,
        next=next_nodes,
        error=error,
        started_with=_started_with(metadata),
    )


def _started_with(metadata: dict[str, Any]) -> dict[str, Any]:
    """The settings a CLI run recorded in its metadata (``cli.session.run_config``)."""
    try:
        value = json.loads(str(metadata.get(STARTED_WITH) or "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
