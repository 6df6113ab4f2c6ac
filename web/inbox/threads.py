"""Where the inbox finds paused reviews: a small interface with two back ends.

``Threads`` is all the pages need: list the threads waiting for a person, read one, and
resume one with exactly one answer. ``local.CheckpointerThreads`` reads the CLI's SQLite or
Postgres checkpoints; ``server.ServerThreads`` talks to LangGraph's server through
langgraph_sdk. Both describe a thread with ``graph.threads.ThreadInfo``, so status means the
same everywhere, plus the checkpoint it was read at: a form carries that id back, and an
answer to a draft that has moved on since the page was drawn (a double submit, a second tab)
is refused instead of resuming the thread again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from graph.errors import ThreadError
from graph.threads import PAUSED, ThreadInfo


@dataclass
class ThreadView:
    info: ThreadInfo
    checkpoint_id: str
    updated: str  # when the current checkpoint was written (ISO 8601)
    metadata: dict[str, Any] = field(default_factory=dict)  # the thread's (team: "pull")

    @property
    def paused(self) -> bool:
        return self.info.status == PAUSED or self.approval_pending

    @property
    def approval_pending(self) -> bool:
        """Waiting at ``approve`` although no interrupt is recorded.

        Writing to a paused thread's state (the team service marks a draft superseded with
        ``update_state``) makes a checkpoint after the interrupt: the thread still stops
        before ``approve`` with its draft, and ``approve`` asks again when it is resumed, so
        a resume value reaches it. For the person it is the same paused draft.
        """
        info = self.info
        return (
            info.interrupt is None
            and info.next == ("approve",)
            and "draft" in info.values
            and not info.error
        )

    @property
    def question(self) -> str:
        """What the open interrupt asks: ``approval`` or ``head_moved`` ("" when none)."""
        if self.info.interrupt is None:
            return "approval" if self.approval_pending else ""
        return str(self.info.interrupt.get("question") or "approval")


class Busy(ThreadError):
    """Another request or process is answering this thread right now."""


class Stale(ThreadError):
    """The answer was for a checkpoint the thread has left: it was answered already."""


class Threads(Protocol):
    async def paused(self) -> list[ThreadView]:
        """Threads waiting for a person, any order."""
        ...

    async def get(self, thread_id: str) -> ThreadView | None:
        """One thread, or None if there is no such thread."""
        ...

    async def resume(self, thread_id: str, checkpoint_id: str, value: Any) -> ThreadView:
        """Resume a paused thread with ``value`` if it is still at ``checkpoint_id``.

        Raises ``Busy`` when another answer is in flight and ``Stale`` when the thread has
        moved on; either way nothing is resumed. Returns the thread as the run left it.
        """
        ...
