"""Where paused reviews live: SQLite on one machine, Postgres when several share threads.

``REVIEW_PANEL_DB`` (or ``--db``) takes a file path or a ``postgresql://`` URL. LangGraph's own
server does not use this module: it brings its own persistence (see docs/deploy.md).

A thread must be resumed by one process at a time. ``thread_lease`` enforces that across
processes (and machines, with Postgres): a second process trying to resume the same thread
is told so at once instead of racing the first to GitHub. With Postgres the lease is a
session advisory lock, which the server drops by itself when the holder's connection ends
(a crash, a kill, a lost machine). With SQLite it is a row naming the holder's host, pid and
process start time; a row whose holder is gone is taken over.

A Postgres URL holds a password: messages name only host, port and database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from graph.errors import ConfigError, StoreError, ThreadError

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg import AsyncConnection
    from psycopg.rows import DictRow

DB_ENV = "REVIEW_PANEL_DB"
DEFAULT_DB = ".review-panel/checkpoints.sqlite"
CONNECT_TIMEOUT = 10  # seconds; psycopg would wait 130 s by default: too long at a terminal
SETUP_WAIT = 60.0  # seconds to wait for another process creating the checkpoint tables
LEASE_TTL = 3600.0  # a SQLite lease older than this is taken over even if its owner looks alive


def db_setting(flag: str | None = None) -> str:
    return flag or os.environ.get(DB_ENV) or DEFAULT_DB


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


@asynccontextmanager
async def open_checkpointer(db: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async checkpointer for ``db``, set up and ready, closed on exit."""
    if is_postgres(db):
        async with _postgres_saver(db) as saver:
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(db)
    if path.is_dir():
        raise StoreError(f"{db} is a directory, not a checkpoint file ({DB_ENV} / --db)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for {db}: {exc.strerror}") from None
    from graph.serde import compressed

    try:
        _probe(str(path))  # a corrupt or unopenable file fails here, before any thread work
        async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
            saver.serde = compressed(saver.serde)  # SQLite stores each checkpoint whole
            yield saver
    except sqlite3.Error as exc:  # also from the leases, which share the file
        raise _sqlite_unusable(db, exc) from None


def _probe(db: str) -> None:
    """Open the file and read its header (fast, synchronous): SQLite only reads it lazily."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    finally:
        conn.close()


def _sqlite_unusable(db: str, exc: sqlite3.Error) -> StoreError:
    """What a person can do about a SQLite file that fails: it is named, with the reason."""
    reason = str(exc) or type(exc).__name__
    if "not a database" in reason or "malformed" in reason:
        advice = "it is corrupted or not a review-panel database: move it away or use another"
    elif "readonly" in reason or "unable to open" in reason:
        advice = "check that its folder exists and can be written"
    else:
        advice = "check the file and that no other program holds it"
    return StoreError(
        f"cannot use the checkpoint database {db} ({reason}): {advice} ({DB_ENV} / --db)"
    )


@asynccontextmanager
async def thread_lease(db: str, thread_id: str) -> AsyncIterator[None]:
    """Hold the right to resume ``thread_id`` for the duration of the block."""
    if is_postgres(db):
        async with _postgres_lease(db, thread_id):
            yield
        return
    import asyncio

    await asyncio.to_thread(_sqlite_acquire, db, thread_id)
    try:
        yield
    finally:
        await asyncio.to_thread(_sqlite_release, db, thread_id)


def _busy(thread_id: str, holder: str = "") -> ThreadError:
    return ThreadError(
        f"thread {thread_id} is being run by another process{holder}: wait for it to "
        f"finish, then check `review-panel show {thread_id}`"
    )


# --- Postgres -------------------------------------------------------------------------------


def _where(db: str) -> str:
    """The database as ``host:port/name``: enough to find the server, nothing secret."""
    try:
        parts = urlsplit(db)
        host = parts.hostname or "(local socket)"
        return f"the Postgres database {host}:{parts.port or 5432}{parts.path or '/'}"
    except ValueError:
        return "the Postgres database"


def _reason(exc: BaseException, db: str) -> str:
    """The driver's first line, with the URL's password cut out wherever it shows up."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    with contextlib.suppress(ValueError):
        password = urlsplit(db).password
        for secret in {password, unquote(password or "")} - {None, ""}:
            text = text.replace(str(secret), "***")
    return text


def _connect_args(db: str) -> dict[str, Any]:
    """Bound the connect wait, unless the URL or PGCONNECT_TIMEOUT already does."""
    if "connect_timeout" in db or os.environ.get("PGCONNECT_TIMEOUT"):
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT}


def _unreachable(db: str, exc: BaseException) -> ConfigError:
    return ConfigError(
        f"cannot use {_where(db)} ({DB_ENV} / --db): {_reason(exc, db)}; "
        "check the URL and that the server accepts connections"
    )


def _lock_key(name: str) -> int:
    """A 64-bit advisory-lock key (Postgres takes a signed bigint) for ``name``."""
    digest = hashlib.blake2b(f"review-panel:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def _postgres_saver(db: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row

    try:
        conn = await psycopg.AsyncConnection.connect(
            db, autocommit=True, prepare_threshold=0, row_factory=dict_row, **_connect_args(db)
        )
    except psycopg.Error as exc:
        raise _unreachable(db, exc) from None
    async with conn:
        saver = AsyncPostgresSaver(conn)
        try:
            await _setup(conn, saver)
        except psycopg.Error as exc:
            raise _unreachable(db, exc) from None
        try:
            yield saver
        except psycopg.OperationalError as exc:
            raise ConfigError(
                f"lost {_where(db)} mid-run: {_reason(exc, db)}; the "
                "thread keeps its last checkpoint: `review-panel show THREAD` once it is back"
            ) from None


async def _setup(conn: AsyncConnection[DictRow], saver: AsyncPostgresSaver) -> None:
    """Create or migrate the checkpoint tables, one process at a time.

    Workers starting at once on a fresh database would otherwise run the same migrations
    together and fail on duplicate version rows. The turn is taken by polling a try-lock:
    a session blocked in ``pg_advisory_lock`` holds a snapshot that the holder's
    ``CREATE INDEX CONCURRENTLY`` migrations wait for, which Postgres reports as a deadlock.
    """
    import asyncio

    key = _lock_key("setup")
    deadline = time.monotonic() + SETUP_WAIT
    while True:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS locked", (key,))
        row = await cur.fetchone()
        if row and row["locked"]:
            break
        if time.monotonic() > deadline:
            raise ConfigError(
                f"another process has been setting up the checkpoint tables for over "
                f"{SETUP_WAIT:.0f} s; try again, or check the database's activity"
            )
        await asyncio.sleep(0.05)
    try:
        await saver.setup()
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


@asynccontextmanager
async def _postgres_lease(db: str, thread_id: str) -> AsyncIterator[None]:
    # A session advisory lock on a connection of its own: held while this block runs, and
    # released by the server when the connection closes, however this process ends.
    import psycopg

    key = _lock_key(f"thread:{thread_id}")
    try:
        conn = await psycopg.AsyncConnection.connect(db, autocommit=True, **_connect_args(db))
    except psycopg.Error as exc:
        raise _unreachable(db, exc) from None
    async with conn:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cur.fetchone()
        if not row or not row[0]:
            raise _busy(thread_id)
        try:
            yield
        finally:
            with contextlib.suppress(psycopg.Error):  # a closed connection has let go anyway
                await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


# --- SQLite ---------------------------------------------------------------------------------


def _started(pid: int) -> str:
    """When process ``pid`` started (Linux clock ticks since boot), "" where unknown.

    With the pid it tells a live holder from a new process that reuses a dead holder's pid,
    as happens in containers, where the same few pids come round on every start.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""  # field 22 of proc(5); 3 is fields[0]


def _owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def _alive(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True  # cannot tell: trust the lease's age instead
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        pass  # alive, owned by another user
    return not started or _started(pid) in ("", started)


def _holder(owner: str) -> str:
    host, _, rest = owner.partition(":")
    return f" (pid {rest.partition(':')[0]} on {host})"


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
            raise _busy(thread_id, _holder(row[0]))
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
