"""A review whose model calls failed never looks like a clean one: exit code, summary, progress.

Each test runs the CLI in a new process against the loopback model server, made to fail the
way a wrong model name or an overloaded server does.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "REVIEW_PANEL_MAX_RETRIES": "0"}


def _fail(server: ModelServer, *who: str, reply: Reply | None = None) -> None:
    def handler(request: ChatRequest) -> Reply:
        if not who or which(request) in who:
            return reply or Reply.error(503, "overloaded")
        return answer(request)

    server.handler = handler


def test_every_call_failing_exits_6_and_the_draft_says_nothing_was_reviewed(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    missing = Reply.error(404, "The model `gpt-4o-mini` does not exist", code="model_not_found")
    _fail(model_server, reply=missing)
    proc = run_cli("review", "examples/sql_injection.diff", env=env)
    assert proc.returncode == 6, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("review-panel: error: no specialist produced a usable answer")
    assert "review-panel resume" in last
    assert "Not reviewed:" in proc.stdout
    assert "found nothing to comment on" not in proc.stdout
    assert "awaiting approval" in proc.stdout  # the thread is kept: resume re-runs the calls
    assert "security: FAILED, 0 finding(s)" in proc.stderr
    assert ": done," not in proc.stderr
    assert "orchestrator merged" not in proc.stderr
    assert "orchestrator" not in {which(r) for r in model_server.requests}


def test_every_call_failing_with_json_still_prints_the_thread_then_exits_6(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    _fail(model_server)
    proc = run_cli("review", "examples/naming.diff", "--json", env=env)
    assert proc.returncode == 6
    out = json.loads(proc.stdout)
    assert out["draft"]["outcome"] == "failed"
    assert out["draft"]["summary"].startswith("**Not reviewed:**")


def test_some_calls_failing_says_what_was_not_reviewed_and_strict_exits_7(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    _fail(model_server, "style")
    relaxed = run_cli("review", "examples/naming.diff", "--json", env=env)
    assert relaxed.returncode == 0, relaxed.stderr
    draft = json.loads(relaxed.stdout)["draft"]
    assert draft["outcome"] == "partial"
    assert draft["summary"].startswith(
        "**Only partly reviewed:** style did not review 1 file(s) (model calls failed). "
        "Reviewed in full by performance and security."
    )
    assert "style: FAILED, 0 finding(s)" in relaxed.stderr
    assert "security: done" in relaxed.stderr

    strict = run_cli("review", "examples/naming.diff", "--strict", env=env)
    assert strict.returncode == 7
    last = strict.stderr.strip().splitlines()[-1]
    assert last.startswith("review-panel: error: only part of the change was reviewed")


def test_a_failed_orchestrator_is_reported_as_failed_not_merged(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    _fail(model_server, "orchestrator")
    proc = run_cli("review", "examples/sql_injection.diff", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "orchestrator FAILED:" in proc.stderr
    assert "orchestrator merged" not in proc.stderr
    assert json.loads(proc.stdout)["draft"]["outcome"] == "partial"
    assert run_cli("review", "examples/sql_injection.diff", "--strict", env=env).returncode == 7
