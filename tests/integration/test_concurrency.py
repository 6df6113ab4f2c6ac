"""One winner: processes resuming the same paused thread never both run it.

Each test runs on SQLite (a lease row) and on Postgres (an advisory lock). The loopback GitHub
server holds back its answer to the review POST, so the first process is still inside its
lease, with the review already on GitHub, when the second arrives.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, ROOT, run_cli
from tests.servers.github_server import GitHubServer

pytestmark = pytest.mark.server

POST = r"/pulls/7/reviews$"
BUSY = "is being run by another process"


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "reviews.sqlite")


@pytest.fixture
def env(github_env: dict[str, str], github_server: GitHubServer, db: str) -> dict[str, str]:
    diff = (EXAMPLES / "sql_injection.diff").read_text()
    github_server.add_pull("octo", "demo", 7, diff, title="Add user lookup")
    return {**github_env, "REVIEW_PANEL_DB": db, "REVIEW_PANEL_GITHUB_MAX_WAIT": "5"}


def paused_thread(env: dict[str, str]) -> str:
    proc = run_cli("review", "octo/demo#7", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    started = json.loads(proc.stdout)
    assert started["status"] == "awaiting approval"
    return str(started["thread_id"])


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def spawn_together(env: dict[str, str], *args: str, count: int = 2) -> list[Any]:
    """Start ``count`` identical processes released by one barrier, as close as we can."""
    barrier = threading.Barrier(count)
    procs: list[Any] = [None] * count

    def start(i: int) -> None:
        barrier.wait()
        procs[i] = spawn(env, *args)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return procs


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def wait_for_review(github_server: GitHubServer, timeout: float = 60) -> None:
    """Until the review is on GitHub, i.e. its poster is inside the held-back POST."""
    deadline = time.monotonic() + timeout
    while not github_server.reviews("octo", "demo", 7):
        assert time.monotonic() < deadline, "the review never reached GitHub"
        time.sleep(0.05)


def test_two_approvals_at_once_post_one_review_and_the_loser_is_told(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = paused_thread(env)
    github_server.hang_next("POST", POST, seconds=2)
    results = sorted(finish(p) for p in spawn_together(env, "approve", thread, "--json"))
    (won, won_out, won_err), (lost, _, lost_err) = results
    assert (won, lost) == (0, 4), results
    assert json.loads(won_out)["status"] == "posted", won_err
    (line,) = lost_err.strip().splitlines()
    (posted,) = github_server.reviews("octo", "demo", 7)
    busy = line.startswith(f"review-panel: error: thread {thread} {BUSY}")
    late = line == f"review-panel: error: thread {thread} is already posted: {posted['html_url']}"
    assert busy or late, line


def test_approval_while_another_process_posts_is_refused_at_once(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = paused_thread(env)
    released = github_server.hang_next("POST", POST, seconds=120)
    first = spawn(env, "approve", thread, "--json")
    wait_for_review(github_server)  # the first is mid-post, inside its lease
    late = [spawn(env, "approve", thread), spawn(env, "resume", thread)]
    refused = [finish(p) for p in late]  # while the first still waits for GitHub's answer
    released.set()
    code, out, err = finish(first)
    assert code == 0, err
    assert json.loads(out)["status"] == "posted"
    for late_code, _, late_err in refused:
        assert late_code == 4, late_err
        (line,) = late_err.strip().splitlines()
        assert line.startswith(f"review-panel: error: thread {thread} {BUSY}")
        assert line.endswith(f"wait for it to finish, then check `review-panel show {thread}`")
    assert len(github_server.reviews("octo", "demo", 7)) == 1


def sqlite_leases(db: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT thread_id, owner FROM review_panel_leases").fetchall()


def test_lease_of_a_killed_process_does_not_block_the_thread(
    env: dict[str, str], github_server: GitHubServer, db: str
) -> None:
    thread = paused_thread(env)
    github_server.hang_next("POST", POST, seconds=3)  # killed well within it
    holder = spawn(env, "approve", thread)
    wait_for_review(github_server)
    if not db.startswith("postgresql://"):
        ((leased, owner),) = sqlite_leases(db)
        assert leased == thread and f":{holder.pid}:" in owner
    holder.send_signal(signal.SIGKILL)  # dies holding the lease, before hearing from GitHub
    holder.communicate()
    resumed = run_cli("resume", thread, "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)["result"]
    assert result["already_posted"] is True
    assert len(github_server.reviews("octo", "demo", 7)) == 1
    if not db.startswith("postgresql://"):
        assert sqlite_leases(db) == []


def start_ticks(pid: int) -> str:
    """Process start time as Linux records it (field 22 of /proc/PID/stat)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_lease_of_a_live_process_holds_and_of_a_reused_pid_does_not(
    env: dict[str, str], github_server: GitHubServer, db: str
) -> None:
    thread = paused_thread(env)
    host, pid = socket.gethostname(), os.getpid()  # this test's process: alive
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS review_panel_leases "
            "(thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, acquired REAL NOT NULL)"
        )
        conn.execute(
            "INSERT INTO review_panel_leases VALUES (?, ?, ?)",
            (thread, f"{host}:{pid}:{start_ticks(pid)}", time.time()),
        )
    held = run_cli("approve", thread, env=env)
    assert held.returncode == 4
    assert f"{BUSY} (pid {pid} on {host})" in held.stderr
    with sqlite3.connect(db) as conn:  # the holder died and a newer process got its pid
        conn.execute("UPDATE review_panel_leases SET owner = ?", (f"{host}:{pid}:1",))
    taken_over = run_cli("approve", thread, env=env)
    assert taken_over.returncode == 0, taken_over.stderr
    assert len(github_server.reviews("octo", "demo", 7)) == 1
