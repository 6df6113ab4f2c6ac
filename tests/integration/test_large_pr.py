"""Large pull requests: every changed line is read, under one limit, and nothing is paid twice.

The graph runs in this process (or the CLI in a new one) and reaches the loopback model
server through the real langchain-openai client, so what is counted here is exactly what a
model would have been sent.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from bench.prs import large_pr
from graph.context import Context
from graph.errors import ConfigError
from graph.workflow import build_graph
from services import bound
from services import diff as diffs
from services.prompts import active_roster
from tests.conftest import ROOT, run_cli
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, numbered_lines, which

SPECIALISTS = ("security", "performance", "style")


async def review(text: str, **settings: Any) -> dict[str, Any]:
    """Run the panel on ``text`` until the approval pause; the state at the pause."""
    app = build_graph().compile(checkpointer=InMemorySaver())
    config: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Context.from_overrides(**settings)
    await app.ainvoke({"target": text}, config, context=context, durability="sync")
    state = await app.aget_state(config)
    assert state.next == ("approve",), state.tasks
    return dict(state.values)


def expected_chunks(text: str, chunk_tokens: int) -> dict[str, list[diffs.Chunk]]:
    files = diffs.parse(text)
    out = {}
    for p in active_roster(None):
        chosen, _ = diffs.select(files, p.include, p.exclude)
        out[p.name] = diffs.chunk(chosen, chunk_tokens)
    return out


def added_lines_sent(requests: list[ChatRequest]) -> dict[str, Counter[tuple[str, int]]]:
    """specialist -> how many times each added line (path, new line number) was sent to it."""
    sent: dict[str, Counter[tuple[str, int]]] = {name: Counter() for name in SPECIALISTS}
    for request in requests:
        name = which(request)
        if name in sent:
            sent[name].update(
                (line.path, line.new)
                for line in numbered_lines(request.user)
                if line.marker == "+" and line.new is not None
            )
    return sent


async def test_every_changed_line_reaches_every_specialist_it_applies_to_once(
    model_env: ModelServer,
) -> None:
    text = large_pr(files=200, changed_lines=10_000)
    files = diffs.parse(text)
    state = await review(text)
    sent = added_lines_sent(model_env.requests)
    coverage = state["draft"]["coverage"]
    for prompt in active_roster(None):
        chosen, skipped = diffs.select(files, prompt.include, prompt.exclude)
        expected = {
            (f.path, line.target_line_no)
            for f in chosen
            for hunk in f.patched
            for line in hunk
            if line.is_added
        }
        assert set(sent[prompt.name]) == expected, prompt.name
        assert max(sent[prompt.name].values()) == 1  # and none of them twice
        assert coverage["reviewed"][prompt.name] == {
            "files": len(chosen),
            "lines": len(expected),
            "failed_lines": 0,
        }
        for path in skipped:  # nothing skipped silently: the draft names who and why
            assert path in coverage["skipped"], path
    # 10,000 changed lines; what no one reads is only what everyone should skip.
    assert sum(f.changed_lines for f in files) == 10_000
    assert coverage["skipped"]["poetry.lock"] == (
        "excluded (lockfile, generated, minified or vendored)"
    )
    assert coverage["skipped"]["static/logo.png"] == "binary file"
    assert coverage["skipped"]["docs/page0.md"] == (
        "not reviewed by security, performance: in this reviewer's exclude patterns "
        "(reviewed by style)"
    )


async def test_a_file_split_over_several_chunks_counts_once_in_the_coverage(
    model_env: ModelServer,
) -> None:
    body = "".join(f"+value_{i} = compute({i})\n" for i in range(400))
    text = "diff --git a/big.py b/big.py\nnew file mode 100644\n--- /dev/null\n+++ b/big.py\n"
    text += f"@@ -0,0 +1,400 @@\n{body}"
    state = await review(text, chunk_tokens=500)
    reports = [r for r in state["reports"] if r["specialist"] == "security"]
    assert len(reports) > 3  # one hunk, split between lines
    assert state["draft"]["coverage"]["reviewed"]["security"] == {
        "files": 1,
        "lines": 400,
        "failed_lines": 0,
    }


async def test_calls_in_flight_never_exceed_the_concurrency_limit(
    model_env: ModelServer,
) -> None:
    text = large_pr(files=24, changed_lines=1_200)
    chunks = expected_chunks(text, 1000)
    calls = sum(len(c) for c in chunks.values())
    assert calls >= 12
    model_env.latency = 0.2  # calls overlap, so the limit is what holds them back
    await review(text, max_concurrency=4, chunk_tokens=1000)
    assert len(model_env.requests) == calls + 1  # and the orchestrator once
    assert model_env.max_in_flight == 4


async def test_a_run_config_limit_that_would_stall_the_specialists_is_refused(
    model_env: ModelServer,
) -> None:
    app = build_graph().compile(checkpointer=InMemorySaver())
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}, "max_concurrency": 3}
    with pytest.raises(ConfigError, match="max_concurrency=3 would stall"):
        await app.ainvoke({"target": large_pr(files=6, changed_lines=60)}, config)
    assert model_env.requests == []


def _many_findings(request: ChatRequest) -> Reply:
    """Security finds a medium problem on every added line, with a long rationale."""
    if which(request) != "security":
        return answer(request)
    findings = [
        {
            "path": line.path,
            "start_line": line.new,
            "end_line": line.new,
            "side": "RIGHT",
            "severity": "medium",
            "category": "missing-input-validation",
            "title": f"Unvalidated value on line {line.new}",
            "rationale": "This value reaches a sink without validation. " * 20,
            "suggestion": None,
            "confidence": 0.9,
        }
        for line in numbered_lines(request.user)
        if line.marker == "+"
    ]
    return Reply.json({"findings": findings})


async def test_the_orchestrator_prompt_stays_bounded_with_hundreds_of_findings(
    model_env: ModelServer,
) -> None:
    body = "".join(f"+value_{i} = read_input({i})\n" for i in range(500))
    text = "diff --git a/io.py b/io.py\nnew file mode 100644\n--- /dev/null\n+++ b/io.py\n"
    text += f"@@ -0,0 +1,500 @@\n{body}"
    model_env.handler = _many_findings
    state = await review(text)
    (request,) = [r for r in model_env.requests if which(r) == "orchestrator"]
    # Every finding is accounted for: the draft lists the first MAX_COMMENTS, counts the rest.
    assert len(state["draft"]["comments"]) == bound.MAX_COMMENTS
    left = 500 - bound.MAX_COMMENTS
    assert state["draft"]["left_out"][0] == f"{left} more comment(s) in 1 file(s): {left} medium"
    assert len(request.prompt_text) < 40_000  # ~10k tokens, whatever the number of findings
    assert "... and 460 more: medium/missing-input-validation: 460" in request.user


HANGING = "app/mod0.py"  # in the first chunk(s) of every specialist


def _hang_one_chunk_each(request: ChatRequest) -> Reply:
    """Calls that show HANGING never answer (until the server stops); the others answer."""
    if which(request) in SPECIALISTS and f'### file "{HANGING}"' in request.user:
        return Reply.json({"findings": []}, delay=120)
    return answer(request)


def _saved_results(db: Path) -> int:
    """How many chunk results (LangGraph task returns) the checkpoint database holds."""
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=5) as con:
        try:
            (count,) = con.execute(
                "SELECT COUNT(*) FROM writes WHERE channel = '__return__'"
            ).fetchone()
        except sqlite3.OperationalError:  # the tables are not there yet
            return 0
    return int(count)


def test_a_crash_during_the_specialists_repeats_no_completed_call(
    cli_env: dict[str, str], model_server: ModelServer, tmp_path: Path
) -> None:
    text = large_pr(files=30, changed_lines=1_500)
    chunks = expected_chunks(text, 1000)
    calls = sum(len(c) for c in chunks.values())
    hanging = Counter(n for n, cs in chunks.items() for c in cs if HANGING in c.paths)
    assert set(hanging) == set(SPECIALISTS) and sum(hanging.values()) < calls / 4
    path = tmp_path / "big.diff"
    path.write_text(text)
    db = Path(cli_env["REVIEW_PANEL_DB"])
    env = {**cli_env, "REVIEW_PANEL_CHUNK_TOKENS": "1000"}
    model_server.handler = _hang_one_chunk_each
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "review", str(path), "--json"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        thread = proc.stderr.readline().split()[1].rstrip(":")  # "thread <id>: reviewing ..."
        deadline = time.monotonic() + 60
        while _saved_results(db) < calls - sum(hanging.values()):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the answered calls were never saved"
            time.sleep(0.05)
        assert len(model_server.requests) == calls  # the hanging calls still wait
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the crash: no clean-up of any kind
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    model_server.handler = answer
    before = len(model_server.requests)
    # Another chunk size on resume must not matter: the thread keeps the chunks it started with.
    resumed = run_cli("resume", thread, "--json", env={**env, "REVIEW_PANEL_CHUNK_TOKENS": "4000"})
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert out["status"] == "awaiting approval"
    again = model_server.requests[before:]
    assert Counter(which(r) for r in again) == {**hanging, "orchestrator": 1}
    assert all(f'### file "{HANGING}"' in r.user for r in again if which(r) in SPECIALISTS)
    reviewed = out["draft"]["coverage"]["reviewed"]
    for name, planned in chunks.items():
        assert reviewed[name]["lines"] == sum(c.changed_lines for c in planned)
