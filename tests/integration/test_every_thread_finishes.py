"""Every thread can finish: a kill at any moment, a second process, a failure that stays behind.

The CLI runs in new processes against one SQLite file, the loopback model server and the
loopback GitHub server. Kills are SIGKILLs at points chosen by a seeded random generator and
triggered by what the model server sees (the n-th call arriving, or its answer leaving).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading

import pytest

from tests.conftest import ROOT, run_cli
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which

KILLS = 6  # bounded: each kill costs two CLI processes
SEED = 20261201
CALLS = 4  # security, performance, style, orchestrator for examples/sql_injection.diff


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "REVIEW_PANEL_MAX_RETRIES": "0", "REVIEW_PANEL_TIMEOUT": "30"}


def _review(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "review", "examples/sql_injection.diff"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _thread_of(stderr: str) -> str:
    first = stderr.splitlines()[0]  # "thread ID: reviewing TARGET"
    return first.split()[1].rstrip(":")


def test_a_kill_at_random_points_always_leaves_a_thread_resume_finishes(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    rng = random.Random(SEED)
    for _ in range(KILLS):
        nth = rng.choice([1, 2, 3, CALLS, CALLS, CALLS])  # the orchestrator's answer: oftener
        before_answer = rng.random() < 0.3
        jitter = rng.uniform(0.0, 0.05)  # after the answer: while the CLI saves and moves on
        seen = 0
        lock = threading.Lock()
        proc = _review(env)

        def kill() -> None:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)

        def handler(request: ChatRequest, proc: subprocess.Popen[str] = proc) -> Reply:
            nonlocal seen
            with lock:
                seen += 1
                now = seen
            if now == nth:
                if before_answer:
                    kill()
                    return Reply.error(500, "the client is gone")
                threading.Timer(jitter, kill).start()
            return answer(request)

        model_server.handler = handler
        _, stderr = proc.communicate(timeout=60)
        model_server.handler = answer
        thread = _thread_of(stderr)
        point = f"kill at call {nth} ({'before' if before_answer else 'after'} its answer)"
        resumed = run_cli("resume", thread, "--json", env=env)
        if resumed.returncode == 4:  # the kill came after the pause was reached
            assert "is waiting for approval" in resumed.stderr, (point, resumed.stderr)
        else:
            assert resumed.returncode == 0, (point, resumed.stderr)
            assert json.loads(resumed.stdout)["status"] == "awaiting approval", point


def test_resume_while_the_review_still_runs_is_refused_and_no_call_is_made_twice(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    arrived = threading.Event()
    release = threading.Event()

    def handler(request: ChatRequest) -> Reply:
        if which(request) == "performance":
            arrived.set()
            release.wait(30)
        return answer(request)

    model_server.handler = handler
    proc = _review(env)
    assert proc.stderr is not None
    thread = _thread_of(proc.stderr.readline())
    assert arrived.wait(30)
    refused = run_cli("resume", thread, env=env)
    release.set()
    _, err = proc.communicate(timeout=60)
    assert refused.returncode == 4, refused.stderr
    assert refused.stderr.startswith(
        f"review-panel: error: thread {thread} is being run by another process (pid {proc.pid}"
    )
    assert proc.returncode == 0, err
    assert sorted(which(r) for r in model_server.requests) == [
        "orchestrator",
        "performance",
        "security",
        "style",
    ]


def test_a_failed_thread_is_listed_apart_and_forget_drops_it(
    github_env: dict[str, str], github_server: GitHubServer
) -> None:
    env = github_env
    paused = json.loads(run_cli("review", "examples/naming.diff", "--json", env=env).stdout)
    missing = run_cli("review", "octo/demo#404", env=env)
    assert missing.returncode == 12
    failed = _thread_of(missing.stderr)

    listed = run_cli("threads", env=env).stdout
    ours, _, apart = listed.partition("\nfailed ")
    assert paused["thread_id"] in ours and failed not in ours
    assert failed in apart and "not found (404)" in apart

    refused = run_cli("forget", paused["thread_id"], env=env)
    assert refused.returncode == 4
    assert "waiting for approval" in refused.stderr

    forgot = run_cli("forget", failed, env=env)
    assert forgot.returncode == 0, forgot.stderr
    gone = run_cli("show", failed, env=env)
    assert gone.returncode == 4 and "no thread" in gone.stderr
