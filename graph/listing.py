"""Listing threads from what the listing shows: ids, creation time, status, target.

``threads`` used to load every checkpoint of every thread and then each thread's whole state
(a 60,000-file review is megabytes of diff and draft per checkpoint). In SQLite and in
Postgres the answer is in small columns: thread ids and checkpoint ids (uuid6, so they carry
their creation time), the run's metadata (the target), and the *names* of the channels the
last steps wrote. Only one small value is ever decoded: a finished thread's ``result``, to
tell posted (GitHub) from published (local), or a failed thread's error.

The status rules are those of ``graph.threads.describe``, read off the writes:
  - the last checkpoint has an ``__interrupt__`` write: paused for approval;
  - it has an ``__error__`` write: failed (that write, decoded, is the error shown);
  - the step that made it wrote ``result`` / ``rejection``: posted or written / rejected;
  - that step routed somewhere (``branch:to:*``, ``join:*``), or it is the input: crashed;
  - otherwise done.
tests/integration/test_listing.py checks them against ``describe`` on real threads.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from graph.threads import CRASHED, FAILED, PAUSED, WRITTEN, ThreadInfo

_GREGORIAN_TO_UNIX = 0x01B21DD213814000  # 100-ns intervals from 1582-10-15 to 1970-01-01


def created_at(checkpoint_id: str) -> str:
    """The ISO time a uuid6 checkpoint id was made (LangGraph's ids are uuid6)."""
    value = uuid.UUID(checkpoint_id).int
    ticks = ((value >> 96) << 28) | (((value >> 80) & 0xFFFF) << 12) | ((value >> 64) & 0x0FFF)
    return datetime.fromtimestamp((ticks - _GREGORIAN_TO_UNIX) / 1e7, tz=UTC).isoformat()


class _Store:
    """The few reads the listing makes, in SQLite's or Postgres's spelling of the same tables.

    Both savers keep ``checkpoints`` (with ``metadata`` as JSON text or JSONB) and the pending
    writes (SQLite: ``writes.value``; Postgres: ``checkpoint_writes.blob``).
    """

    def __init__(self, saver: Any) -> None:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        self.saver = saver
        self.postgres = isinstance(saver, AsyncPostgresSaver)
        self.writes = "checkpoint_writes" if self.postgres else "writes"
        self.value = "blob" if self.postgres else "value"

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        sql = sql.format(writes=self.writes, value=self.value)
        if not self.postgres:
            cursor = await self.saver.conn.execute(sql, params)
            return [tuple(row) for row in await cursor.fetchall()]
        async with self.saver._cursor() as cur:  # the saver's own connection handling
            await cur.execute(sql.replace("?", "%s"), params)
            return [tuple(row.values()) for row in await cur.fetchall()]


async def stored_threads(saver: Any) -> list[ThreadInfo]:
    """Every thread in the database of a saver from ``graph.checkpointer.open_checkpointer``
    (SQLite or Postgres, the only two it makes), newest first."""
    await saver.setup()
    store = _Store(saver)
    rows = await store.rows(
        "SELECT thread_id, MIN(checkpoint_id), MAX(checkpoint_id) FROM checkpoints "
        "WHERE checkpoint_ns = '' GROUP BY thread_id"
    )
    infos = [await _thread(store, tid, first, last) for tid, first, last in rows]
    infos.sort(key=lambda i: i.created, reverse=True)
    return infos


async def _channels(store: _Store, thread_id: str, checkpoint_id: str | None) -> set[str]:
    if checkpoint_id is None:
        return set()
    rows = await store.rows(
        "SELECT DISTINCT channel FROM {writes} WHERE thread_id = ? AND checkpoint_ns = '' "
        "AND checkpoint_id = ?",
        (thread_id, checkpoint_id),
    )
    return {row[0] for row in rows}


async def _thread(store: _Store, thread_id: str, first: str, last: str) -> ThreadInfo:
    found = await store.rows(
        "SELECT parent_checkpoint_id, metadata FROM checkpoints WHERE thread_id = ? "
        "AND checkpoint_ns = '' AND checkpoint_id IN (?, ?) ORDER BY checkpoint_id",
        (thread_id, first, last),
    )
    target = _target(found[0][1]) if found else "?"
    parent = found[-1][0] if found else None
    here = await _channels(store, thread_id, last)
    before = await _channels(store, thread_id, parent)
    status = await _status(store, thread_id, parent, here, before, is_input=last == first)
    error = None
    if status == FAILED:
        error = str(await _value(store, thread_id, last, "__error__"))
    return ThreadInfo(
        thread_id=thread_id,
        status=status,
        target=target,
        created=created_at(first),
        values={},
        interrupt=None,
        next=(),
        error=error,
    )


def _target(metadata: Any) -> str:
    if isinstance(metadata, dict):  # Postgres: JSONB comes back decoded
        return str(metadata.get("target") or "?")
    try:
        data = json.loads(metadata) if metadata else {}
    except (TypeError, ValueError):
        return "?"
    return str(data.get("target") or "?") if isinstance(data, dict) else "?"


async def _status(
    store: _Store,
    thread_id: str,
    parent: str | None,
    here: set[str],
    before: set[str],
    *,
    is_input: bool,
) -> str:
    if "__interrupt__" in here:
        return PAUSED
    if "__error__" in here:
        return FAILED
    if "result" in before:
        result = await _value(store, thread_id, parent, "result")
        posted = isinstance(result, dict) and result.get("destination") == "github"
        return "posted" if posted else WRITTEN
    if "rejection" in before:
        return "rejected"
    if is_input or any(c.startswith(("branch:to:", "join:")) for c in before):
        return CRASHED
    return "done"


async def _value(store: _Store, thread_id: str, checkpoint_id: str | None, channel: str) -> Any:
    """One pending write's value, decoded (the only value the listing ever decodes)."""
    rows = await store.rows(
        "SELECT type, {value} FROM {writes} WHERE thread_id = ? AND checkpoint_ns = '' "
        "AND checkpoint_id = ? AND channel = ? LIMIT 1",
        (thread_id, checkpoint_id, channel),
    )
    return store.saver.serde.loads_typed((rows[0][0], bytes(rows[0][1]))) if rows else None
