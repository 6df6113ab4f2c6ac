"""Run settings are fixed per thread: resume, retry and approve run with what the review
started with, whatever the resuming process's environment says; only an explicit option of
the resuming command changes one, and ``show`` says so. Each step is a new CLI process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "REVIEW_PANEL_MAX_RETRIES": "0"}


def _style_fails(request: ChatRequest) -> Reply:
    if which(request) == "style":
        return Reply.error(503, "overloaded")
    return answer(request)


def cli(env: dict[str, str], *args: str) -> Any:
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if "--json" in args else proc


def severities(out: dict[str, Any]) -> set[str]:
    return {c["severity"] for c in out["draft"]["comments"]}


def test_a_retry_runs_with_the_settings_the_review_started_with(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    model_server.handler = _style_fails
    started = cli(
        env, "review", "examples/sql_injection.diff", "--json",
        "--min-severity", "critical", "--model", "model-at-start",
    )  # fmt: skip
    thread = started["thread_id"]
    assert severities(started) == {"critical"} and started["draft"]["failures"]

    model_server.handler = answer
    seen = len(model_server.requests)
    elsewhere = {**env, "REVIEW_PANEL_MIN_SEVERITY": "low", "REVIEW_PANEL_MODEL": "model-in-env"}
    retried = cli(elsewhere, "resume", thread, "--json")
    assert retried["draft"]["failures"] == []
    assert severities(retried) == {"critical"}
    assert retried["draft"]["noise"]["min_severity"] == "critical"
    assert {r.model for r in model_server.requests[seen:]} == {"model-at-start"}
    assert retried["settings"]["model"] == "model-at-start"
    assert retried["settings_changes"] == []


def test_only_an_explicit_option_changes_a_setting_and_show_says_so(
    model_server: ModelServer, env: dict[str, str]
) -> None:
    model_server.handler = _style_fails
    flags = ("--min-severity", "critical")
    started = cli(env, "review", "examples/sql_injection.diff", "--json", *flags)
    thread = started["thread_id"]

    model_server.handler = answer
    changed = run_cli("resume", thread, "--json", "--min-severity", "low", env=env)
    assert changed.returncode == 0, changed.stderr
    assert "settings changed for this thread: min_severity: critical -> low" in changed.stderr
    out = json.loads(changed.stdout)
    assert "critical" in severities(out) and len(severities(out)) > 1
    assert out["settings"]["min_severity"] == "low"

    shown = cli(env, "show", thread).stdout
    assert "settings (fixed when the review started;" in shown and "min_severity=low" in shown
    assert "changed by a resuming command: min_severity: critical -> low" in shown
