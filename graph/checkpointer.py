"""Where paused reviews live: SQLite on one machine, Postgres when several share threads.

``REVIEW_PANEL_DB`` (or ``--db``) takes a file path or a ``postgresql://`` URL. LangGraph's own
server does not use this module: it brings its own persistence (see the README).

A thread must be resumed by one process at a time. ``thread_lease`` enforces that across
processes (and machines, with Postgres): a second process trying to resume the same thread
is told so at once instead of racing the first to GitHub.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from graph.errors import ConfigError, ThreadError

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

DB_ENV = "REVIEW_PANEL_DB"
DEFAULT_DB = ".review-panel/checkpoints.sqlite"


def db_setting(flag: str | None = None) -> str:
    return flag or os.environ.get(DB_ENV) or DEFAULT_DB


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


@asynccontextmanager
async def open_checkpointer(db: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async checkpointer for ``db``, set up and ready, closed on exit."""
    if is_postgres(db):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        try:
            async with AsyncPostgresSaver.from_conn_string(db) as saver:
                await saver.setup()
                yield saver
        except OSError as exc:
            raise ConfigError(f"cannot reach the Postgres database in {DB_ENV}: {exc}") from None
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder for {db}: {exc.strerror}") from None
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        yield saver


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # cannot tell: trust the lease's age instead
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


LEASE_TTL = 3600.0  # a lease older than this is taken over even if its owner looks alive


@asynccontextmanager
async def thread_lease(db: str, thread_id: str) -> AsyncIterator[None]:
    """Hold the right to resume ``thread_id`` for the duration of the block."""
    if is_postgres(db):
        async with _postgres_lease(db, thread_id):
            yield
        return
    await asyncio.to_thread(_sqlite_acquire, db, thread_id)
    try:
        yield
    finally:
        await asyncio.to_thread(_sqlite_release, db, thread_id)


def _sqlite_connect(db: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS review_panel_leases "
        "(thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, acquired REAL NOT NULL)"
    )
    return conn


def _sqlite_acquire(db: str, thread_id: str) -> None:
    conn = _sqlite_connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT owner, acquired FROM review_panel_leases WHERE thread_id = ?", (thread_id,)
        ).fetchone()
        if row and _alive(row[0]) and time.time() - row[1] < LEASE_TTL:
            conn.execute("ROLLBACK")
            raise ThreadError(
                f"thread {thread_id} is being resumed by another process ({row[0]}): "
                "wait for it to finish, then check `review-panel show`"
            )
        conn.execute(
            "INSERT OR REPLACE INTO review_panel_leases VALUES (?, ?, ?)",
            (thread_id, _owner(), time.time()),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _sqlite_release(db: str, thread_id: str) -> None:
    conn = _sqlite_connect(db)
    try:
        conn.execute(
            "DELETE FROM review_panel_leases WHERE thread_id = ? AND owner = ?",
            (thread_id, _owner()),
        )
    finally:
        conn.close()


@asynccontextmanager
async def _postgres_lease(db: str, thread_id: str) -> AsyncIterator[None]:
    # A session-level advisory lock: released by Postgres itself if this process dies.
    import psycopg

    key = zlib.crc32(f"review-panel:{thread_id}".encode())
    async with await psycopg.AsyncConnection.connect(db, autocommit=True) as conn:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cur.fetchone()
        if not row or not row[0]:
            raise ThreadError(
                f"thread {thread_id} is being resumed by another process: "
                "wait for it to finish, then check `review-panel show`"
            )
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
