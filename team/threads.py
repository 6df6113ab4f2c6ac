"""One thread per pull-request head, and the two places threads live.

The id is derived, not stored: a uuid5 of (API host, owner, repo, number, head SHA), so every
event about that head (a redelivery, a command, a status update) finds the same thread with
no lookup table, on any replica. ``generation`` counts fresh reviews of the same head asked
for with ``/review-panel review`` after the first one finished.

``Threads`` is what the handler needs from wherever threads live: LangGraph's server through
langgraph_sdk (``team/server_threads.py``) or a checkpointer in this process
(``team/local_threads.py``, for GitHub Actions).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlparse

NAMESPACE = uuid.UUID("5f0c4f0e-7a3d-4b39-9d3e-2b7a1c1e9a51")
MAX_GENERATIONS = 50

Status = Literal["running", "paused", "posted", "rejected", "failed", "question"]


def thread_id(
    api_url: str, owner: str, repo: str, number: int, head_sha: str, generation: int = 0
) -> str:
    host = (urlparse(api_url).netloc or api_url).lower()
    key = f"{host}|{owner.lower()}|{repo.lower()}|{number}|{head_sha.lower()}"
    return str(uuid.uuid5(NAMESPACE, key if generation == 0 else f"{key}|{generation}"))


@dataclass
class ThreadView:
    """What the handler and the status need to know about a thread."""

    thread_id: str
    status: Status
    values: dict[str, Any] = field(default_factory=dict)
    interrupt: dict[str, Any] | None = None
    error: str | None = None
    head: str | None = None  # the head the event named (the review reads the PR's head then)

    @property
    def superseded_by(self) -> str | None:
        value = self.values.get("superseded_by")
        return str(value) if value else None


def view(
    thread_id: str,
    values: dict[str, Any] | None,
    interrupts: list[Any],
    busy: bool,
    error: str | None,
    head: str | None = None,
) -> ThreadView:
    """Classify a thread from its state: the same reading for both back ends."""
    values = dict(values or {})
    payload = next((i for i in interrupts if isinstance(i, dict)), None)
    if busy:
        status: Status = "running"
    elif payload is not None:
        status = "question" if payload.get("question") else "paused"
    elif "result" in values:
        status = "posted"
    elif "rejection" in values:
        status = "rejected"
    else:
        status = "failed" if error or values else "running"
    return ThreadView(thread_id, status, values, payload, error, head)


class Busy(Exception):
    """Another run of this thread is in flight: the caller's command changes nothing."""


class Threads(Protocol):
    async def get(self, thread_id: str) -> ThreadView | None:
        """The thread, or None if it was never started."""

    async def start(
        self, thread_id: str, review_input: dict[str, Any], metadata: dict[str, str]
    ) -> bool:
        """Start reviewing in a new thread; False if the thread already exists.

        ``metadata`` holds ``target`` (the PR's label) and ``pull`` (``pull_key``)."""

    async def resume(self, thread_id: str, response: dict[str, Any]) -> ThreadView:
        """Answer the paused thread and return it once that run is over; ``Busy`` if taken."""

    async def retry_failed(self, thread_id: str) -> ThreadView:
        """Continue a thread whose run failed, from its last checkpoint."""

    async def wait(self, thread_id: str, pull_key: str) -> list[ThreadView]:
        """Every thread of the pull request (``of_pull``), read once no run of ``thread_id``
        is in flight: what the handler checks next (is an older draft now stale?) comes with
        the thread itself, in one read."""

    async def mark_superseded(self, thread_id: str, by: str) -> None:
        """Record in the thread's state that a newer head's thread replaces it."""

    async def of_pull(self, pull_key: str) -> list[ThreadView]:
        """Every thread of one pull request (by ``pull_key``), oldest first."""


def pull_key(api_url: str, owner: str, repo: str, number: int) -> str:
    host = (urlparse(api_url).netloc or api_url).lower()
    return f"{host}/{owner.lower()}/{repo.lower()}#{number}"
