"""A throwaway PostgreSQL cluster for tests: a real server on loopback, gone afterwards.

Why a real server: what the Postgres code relies on -- langgraph-checkpoint-postgres's
migrations, advisory locks held by a session and freed when its process dies, the error a
client gets for an unreachable or refusing server -- is server behaviour no fake has.

``postgres_cluster`` (one per test session) runs ``initdb`` into a temporary folder and
starts the server on a free 127.0.0.1 port, with its unix socket in that folder and password
authentication over TCP, so URLs in tests carry a real password. ``postgres_url`` gives each
test a fresh, empty database on it. Postgres refuses to run as root: under root (CI
containers) the cluster runs as the ``postgres`` user that Debian's package creates, or
``nobody``. Without the binaries the tests are skipped -- except under ``CI=true``, where
that is a failure: CI must run them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

SUPERUSER = "review_panel"
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
_SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin")
# Durability is worthless for a cluster deleted after the run; turning it off keeps it fast.
_SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=100 -c log_min_messages=warning"
)


def find_bindir() -> Path | None:
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``: PATH first, then known places.

    A symlink on PATH is followed to its real folder, where ``pg_ctl`` finds ``postgres``.
    """
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    for pattern in _SEARCH:
        root = Path("/")
        matches = sorted(root.glob(pattern.lstrip("/")), key=_version_key, reverse=True)
        candidates.extend(matches)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _version_key(path: Path) -> tuple[int, str]:
    """Newest major version first: /usr/lib/postgresql/16/bin before .../15/bin."""
    digits = "".join(c for c in path.parent.name if c.isdigit())
    return (int(digits) if digits else 0, str(path))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Who runs the server when we are root: Postgres exits at once if started as root."""
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return None


@dataclass
class PostgresCluster:
    """A running cluster; ``url(db)`` is how the code under test reaches it."""

    bindir: Path
    root: Path  # holds data/, the socket, the password file and the log
    port: int
    password: str
    user: pwd.struct_passwd | None  # None: run as ourselves (not root)
    started_in: float = 0.0  # seconds for initdb plus start, until it accepted connections
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = START_TIMEOUT + 30) -> None:
        """Run a server binary as the cluster's user; fail the test with its output if it fails."""
        command = [str(self.bindir / args[0]), *args[1:]]
        user = {} if self.user is None else {"user": self.user.pw_uid, "group": self.user.pw_gid}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "HOME": str(self.root),
        }
        proc = subprocess.run(
            command,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            extra_groups=[] if self.user is not None else None,
            **user,  # type: ignore[arg-type]
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}\n"
                f"--- server log ---\n{self.log_tail()}"
            )

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def init(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        self._chown(pwfile)
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} {_SERVER_OPTIONS}"
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", str(START_TIMEOUT), "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            # FILE_COPY: copying template1's files beats WAL-logging it block by block.
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        return self.url(name)

    def _chown(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)


def _missing(reason: str) -> NoReturn:
    """Skip, except in CI, where a missing PostgreSQL must fail the run, not hide tests."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}; .ci/run installs Debian's postgresql package")
    pytest.skip(reason)


def start_cluster() -> PostgresCluster:
    """initdb and start a cluster; the caller stops it (``stop()``) and removes ``root``."""
    bindir = find_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")
    user = _unprivileged_user() if os.geteuid() == 0 else None
    if os.geteuid() == 0 and user is None:
        _missing("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")
    # Not under pytest's tmp folder: that is private to us (0700), the server user must enter.
    root = Path(tempfile.mkdtemp(prefix="review-panel-pg-"))
    began = time.monotonic()
    for attempt in itertools.count(1):
        cluster = PostgresCluster(bindir, root, free_port(), secrets.token_hex(12), user)
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        try:
            cluster.init()
            cluster.start()
        except RuntimeError:
            cluster.stop()
            shutil.rmtree(root / "data", ignore_errors=True)
            if attempt < 3 and "already in use" in cluster.log_tail():
                continue  # someone took the free port between our check and the bind
            shutil.rmtree(root, ignore_errors=True)
            raise
        cluster.started_in = time.monotonic() - began
        return cluster
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the whole session, stopped and deleted at its end."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """``postgresql://user:password@127.0.0.1:PORT/db`` for a fresh, empty database."""
    return postgres_cluster.create_database()
