"""Listing threads from what the listing shows: ids, creation time, status, target.

``threads`` used to load every checkpoint of every thread and then each thread's whole state
(a 60,000-file review is megabytes of diff and draft per checkpoint). In SQLite the answer is
in small columns: thread ids and checkpoint ids (uuid6, so they carry their creation time),
the run's metadata (the target), and the *names* of the channels the last steps wrote. Only
one small value is ever decoded: a finished thread's ``result``, to tell posted (GitHub)
from published (local).

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


async def sqlite_threads(saver: Any) -> list[ThreadInfo] | None:
    """Every thread in an ``AsyncSqliteSaver``'s database, newest first; None for others."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if not isinstance(saver, AsyncSqliteSaver):
        return None
    await saver.setup()
    conn = saver.conn
    rows = await (
        await conn.execute(
            "SELECT thread_id, MIN(checkpoint_id), MAX(checkpoint_id) FROM checkpoints "
            "WHERE checkpoint_ns = '' GROUP BY thread_id"
        )
    ).fetchall()
    infos = [await _thread(saver, tid, first, last) for tid, first, last in rows]
    infos.sort(key=lambda i: i.created, reverse=True)
    return infos


async def _channels(conn: Any, thread_id: str, checkpoint_id: str | None) -> set[str]:
    if checkpoint_id is None:
        return set()
    cursor = await conn.execute(
        "SELECT DISTINCT channel FROM writes WHERE thread_id = ? AND checkpoint_ns = '' "
        "AND checkpoint_id = ?",
        (thread_id, checkpoint_id),
    )
    return {row[0] for row in await cursor.fetchall()}


async def _thread(saver: Any, thread_id: str, first: str, last: str) -> ThreadInfo:
    conn = saver.conn
    cursor = await conn.execute(
        "SELECT parent_checkpoint_id, metadata FROM checkpoints WHERE thread_id = ? "
        "AND checkpoint_ns = '' AND checkpoint_id IN (?, ?) ORDER BY checkpoint_id",
        (thread_id, first, last),
    )
    found = await cursor.fetchall()
    target = _target(found[0][1]) if found else "?"
    parent = found[-1][0] if found else None
    here = await _channels(conn, thread_id, last)
    before = await _channels(conn, thread_id, parent)
    status = await _status(saver, thread_id, parent, here, before, is_input=last == first)
    error = None
    if status == FAILED:
        error = str(await _value(saver, thread_id, last, "__error__"))
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
    try:
        data = json.loads(metadata) if metadata else {}
    except (TypeError, ValueError):
        return "?"
    return str(data.get("target") or "?") if isinstance(data, dict) else "?"


async def _status(
    saver: Any,
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
        result = await _value(saver, thread_id, parent, "result")
        posted = isinstance(result, dict) and result.get("destination") == "github"
        return "posted" if posted else WRITTEN
    if "rejection" in before:
        return "rejected"
    if is_input or any(c.startswith(("branch:to:", "join:")) for c in before):
        return CRASHED
    return "done"


async def _value(saver: Any, thread_id: str, checkpoint_id: str | None, channel: str) -> Any:
    """One pending write's value, decoded (the only value the listing ever decodes)."""
    cursor = await saver.conn.execute(
        "SELECT type, value FROM writes WHERE thread_id = ? AND checkpoint_ns = '' "
        "AND checkpoint_id = ? AND channel = ? LIMIT 1",
        (thread_id, checkpoint_id, channel),
    )
    row = await cursor.fetchone()
    return None if row is None else saver.serde.loads_typed((row[0], row[1]))
