"""SIGKILL at each point of a review, then `resume`: nothing paid for twice, nothing lost.

The model server holds one chosen call open; the test kills the CLI while it waits, then
resumes the thread in a new process and counts the model calls each step made.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "REVIEW_PANEL_TIMEOUT": "30", "REVIEW_PANEL_MAX_RETRIES": "0"}


def _calls(server: ModelServer) -> Counter[str]:
    return Counter(which(r) for r in server.requests)


def _wait_for_saved_results(db: Path, count: int, deadline: float) -> None:
    """Until ``count`` model calls' task results are rows of the checkpoint database."""
    while time.monotonic() < deadline:
        try:
            with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
                (saved,) = conn.execute(
                    "SELECT count(*) FROM writes WHERE channel = '__return__'"
                ).fetchone()
        except sqlite3.OperationalError:  # the file or table is not there yet
            saved = 0
        if saved >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} task results were saved in {db}")


def _kill_while(server: ModelServer, env: dict[str, str], stuck: str) -> str:
    """Start a review, hold ``stuck``'s call open until the others are done, SIGKILL it."""
    release = threading.Event()

    def handler(request: ChatRequest) -> Reply:
        if which(request) == stuck:
            release.wait(20)
            return Reply.error(500, "the process was killed; nobody reads this")
        return answer(request)

    server.handler = handler
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "review", "examples/sql_injection.diff"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    thread = proc.stderr.readline().split()[1].rstrip(":")
    others = {"security", "performance", "style"} - {stuck}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        calls = _calls(server)
        if calls[stuck] >= 1 and all(calls[o] >= 1 for o in others):
            break
        time.sleep(0.02)
    _wait_for_saved_results(Path(env["REVIEW_PANEL_DB"]), len(others), deadline)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    release.set()
    server.handler = answer
    return thread


@pytest.mark.parametrize("stuck", ["performance", "orchestrator"])
def test_kill_then_resume_repeats_no_completed_model_call(
    model_server: ModelServer, env: dict[str, str], stuck: str
) -> None:
    thread = _kill_while(model_server, env, stuck)
    before = _calls(model_server)
    shown = json.loads(run_cli("show", thread, "--json", env=env).stdout)
    assert shown["status"] == "crashed"
    resumed = run_cli("resume", thread, "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    after = _calls(model_server)
    assert after - before == Counter(
        {stuck: 1} if stuck == "orchestrator" else {stuck: 1, "orchestrator": 1}
    )
    result = json.loads(resumed.stdout)
    assert result["status"] == "awaiting approval"
    assert {c["category"] for c in result["draft"]["comments"]} >= {"sql-injection", "n-plus-one"}
    done = run_cli("approve", thread, env=env)
    assert done.returncode == 0, done.stderr


def test_failed_specialist_is_retried_alone_with_resume(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    def handler(request: ChatRequest) -> Reply:
        if which(request) == "style":
            return Reply.error(503, "overloaded")
        return answer(request)

    model_server.handler = handler
    started = run_cli("review", "examples/naming.diff", "--json", env=env)
    assert started.returncode == 0, started.stderr
    out = json.loads(started.stdout)
    assert any(
        f.startswith("style could not review") and "503" in f for f in out["draft"]["failures"]
    )
    model_server.handler = answer
    before = _calls(model_server)
    resumed = run_cli("resume", out["thread_id"], "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert _calls(model_server) - before == Counter({"style": 1, "orchestrator": 1})
    draft = json.loads(resumed.stdout)["draft"]
    assert draft["failures"] == [] and "naming" in {c["category"] for c in draft["comments"]}


def test_rate_limited_call_is_retried_with_backoff(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    env["REVIEW_PANEL_MAX_RETRIES"] = "2"
    model_server.script(Reply.error(429, "slow down", headers={"retry-after-ms": "50"}))
    started = run_cli("review", "examples/naming.diff", "--json", env=env)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["draft"]["failures"] == []
    assert len(model_server.requests) == 5  # one 429, then every call once


def test_model_timeout_is_reported_as_that_calls_failure(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    env["REVIEW_PANEL_TIMEOUT"] = "0.5"

    def handler(request: ChatRequest) -> Reply:
        if which(request) == "security":
            return Reply.json({"findings": []}, delay=3)
        return answer(request)

    model_server.handler = handler
    started = run_cli("review", "examples/naming.diff", "--json", env=env)
    assert started.returncode == 0, started.stderr
    (failure,) = json.loads(started.stdout)["draft"]["failures"]
    assert "security could not review" in failure and "did not answer within 0.5s" in failure
