"""The README's local-model recipes, against the loopback model server made to behave like a
local llama.cpp-style server (one slot, ``json_schema`` refused: tests/servers/llamacpp.py).

The llama.cpp recipe is read from the README itself, so the documented values are the ones
tested.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.servers.llamacpp import OneSlot
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer, which

RECIPE = re.compile(r"<!-- recipe: llama\.cpp[^>]*-->\s*```sh\n(?P<body>.*?)```", re.S)


def readme_recipe() -> dict[str, str]:
    """The llama.cpp block of the README as variables (comments stripped)."""
    found = RECIPE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README has no llama.cpp recipe block"
    values = {}
    for line in found["body"].splitlines():
        m = re.match(r"export (\w+)=(\S+)", line.strip())
        if m:
            values[m[1]] = m[2]
    return values


@pytest.fixture
def llama(model_server: ModelServer) -> OneSlot:
    server = OneSlot(answer, compute=0.05)
    model_server.handler = server
    return server


def _bare_env(cli_env: dict[str, str]) -> dict[str, str]:
    """No model settings at all: what a new user has before reading the recipe."""
    return {k: v for k, v in cli_env.items() if not k.startswith("REVIEW_PANEL_MODEL")}


def test_the_readme_llama_cpp_recipe_reviews_against_a_one_slot_server(
    cli_env: dict[str, str], model_server: ModelServer, llama: OneSlot
) -> None:
    recipe = readme_recipe()
    assert set(recipe) == {
        "OPENAI_BASE_URL",
        "REVIEW_PANEL_MODEL",
        "REVIEW_PANEL_STRUCTURED_OUTPUT",
        "REVIEW_PANEL_MAX_CONCURRENCY",
        "REVIEW_PANEL_TIMEOUT",
        "REVIEW_PANEL_MAX_OUTPUT_TOKENS",
    }
    env = {**_bare_env(cli_env), **recipe, "OPENAI_BASE_URL": model_server.base_url}
    proc = run_cli("review", "examples/sql_injection.diff", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    draft = json.loads(proc.stdout)["draft"]
    assert draft["outcome"] == "complete" and draft["failures"] == []
    assert {c["category"] for c in draft["comments"]} >= {"sql-injection"}
    assert {r.method for r in model_server.requests} == {"function_calling"}
    assert model_server.max_in_flight == 1  # never a queue on the one slot
    assert {r.model for r in model_server.requests} == {recipe["REVIEW_PANEL_MODEL"]}
    assert all(r.body.get("max_tokens") == 512 for r in model_server.requests)


def test_the_defaults_against_llama_cpp_say_which_method_and_model_to_set(
    cli_env: dict[str, str], model_server: ModelServer, llama: OneSlot
) -> None:
    proc = run_cli("review", "examples/naming.diff", env=_bare_env(cli_env))
    assert proc.returncode == 6
    lines = proc.stderr.strip().splitlines()
    warning = next(i for i, line in enumerate(lines) if "warning" in line)
    assert lines[warning].startswith(
        "review-panel: warning: OPENAI_BASE_URL is not OpenAI's and no model is set"
    )
    assert warning < next(i for i, line in enumerate(lines) if line.startswith("fetched"))
    assert "REVIEW_PANEL_STRUCTURED_OUTPUT=function_calling" in lines[-1]
    assert lines[-1].startswith("review-panel: error: no specialist produced a usable answer")


def test_a_slow_one_slot_server_gets_fewer_calls_at_once_and_the_setting_is_named(
    cli_env: dict[str, str], model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.handler = OneSlot(answer, compute=0.25)
    files = "".join(
        f"diff --git a/m{i}.py b/m{i}.py\n--- a/m{i}.py\n+++ b/m{i}.py\n@@ -1,1 +1,2 @@\n"
        f" x = {i}\n+def f(): return {i}\n"
        for i in range(4)
    )
    diff = tmp_path / "four.diff"
    diff.write_text(files)
    env = {
        **cli_env,
        "REVIEW_PANEL_STRUCTURED_OUTPUT": "function_calling",
        "REVIEW_PANEL_TIMEOUT": "1",
        "REVIEW_PANEL_MAX_RETRIES": "2",
        "REVIEW_PANEL_CHUNK_TOKENS": "60",  # a chunk per file: 12 specialist calls
    }
    proc = run_cli("review", str(diff), "--json", env=env)
    calls = sum(which(r) != "orchestrator" for r in model_server.requests)
    assert "seems to answer one request at a time" in proc.stderr, proc.stderr
    assert "Set REVIEW_PANEL_MAX_CONCURRENCY=" in proc.stderr
    assert re.search(r"still waiting for the model, \ds of 1s", proc.stderr) or (
        "timed out; retry" in proc.stderr
    )
    assert calls <= 2 * 12  # at most one more request per call: no pile of retries
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["draft"]["failures"] == []
