"""Every answer fits the output limit: findings per call are capped in the schema the model
fills, and an answer cut off anyway is reviewed again in halves instead of failing.

The model is the loopback server behind the real langchain-openai client, so what is
asserted is what a model would have been sent.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.workflow import build_graph
from services import diff as diffs
from tests.conftest import EXAMPLES, ROOT
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, numbered_lines, which

SQL = (EXAMPLES / "sql_injection.diff").read_text()


async def review(text: str, prompts_dir: Path | None = None, **settings: Any) -> dict[str, Any]:
    """Run the panel on ``text`` until the approval pause; the state at the pause."""
    app = build_graph(prompts_dir).compile(checkpointer=InMemorySaver())
    config: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}
    await app.ainvoke({"target": text}, config, context=Context.from_overrides(**settings))
    return dict((await app.aget_state(config)).values)


def _findings_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return dict(schema["properties"]["findings"])


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_the_schema_the_model_fills_caps_the_findings_per_call(
    method: str, model_env: ModelServer, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    path = prompts / "style.yaml"
    data = yaml.safe_load(path.read_text())
    data["max_findings"] = 7
    path.write_text(yaml.safe_dump(data))
    await review(SQL, prompts, structured_output=method)
    caps = {}
    for request in model_env.requests:
        name = which(request)
        if name == "orchestrator":
            continue
        if method == "json_mode":  # no schema in the request: the prompt carries it
            caps[name] = '"maxItems": 7' in request.system
        else:
            assert request.schema is not None
            caps[name] = _findings_schema(request.schema).get("maxItems")
    if method == "json_mode":
        assert caps == {"security": False, "performance": False, "style": True}
    else:  # the shipped default elsewhere
        assert caps == {"security": 20, "performance": 20, "style": 7}


def new_files(count: int) -> str:
    """A PR of ``count`` small new Python files, each with something to say about it."""
    out = []
    for i in range(count):
        path = f"pkg/mod_{i:03d}.py"
        body = [f"+def handler_{i}(request):", f"+    return process(request, {i})"]
        out.append(
            f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(body)} @@\n" + "\n".join(body) + "\n"
        )
    return "".join(out)


class AtLength:
    """A model that writes a long finding on every file it is shown, whatever the schema's
    cap, and is cut off (``finish_reason: length``) when that exceeds the request's
    ``max_tokens``, as a real server is."""

    def __init__(self) -> None:
        self.files_per_call: list[int] = []

    def __call__(self, request: ChatRequest) -> Reply:
        if which(request) == "orchestrator":
            return answer(request)
        first_added: dict[str, int] = {}
        for line in numbered_lines(request.user):
            if line.marker == "+" and line.new is not None:
                first_added.setdefault(line.path, line.new)
        self.files_per_call.append(len(first_added))
        findings = [
            {
                "path": path,
                "start_line": line,
                "end_line": None,
                "side": "RIGHT",
                "rationale": f"The handler in {path} passes the request on unchecked. " * 5,
                "title": "Request passed on unchecked",
                "category": "other",
                "severity": "medium",
                "suggestion": None,
                "confidence": 0.9,
            }
            for path, line in first_added.items()
        ]
        text = json.dumps({"findings": findings})
        limit = int(request.body.get("max_tokens") or 10**9)
        if len(text) // 4 > limit:
            return Reply.truncated(text[: limit * 4])
        return Reply.json({"findings": findings})


def findings_by_specialist(state: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for report in state["reports"]:
        found.setdefault(report["specialist"], set()).update(f["path"] for f in report["findings"])
    return found


async def test_a_pr_of_600_small_new_files_yields_a_finding_on_every_file(
    model_env: ModelServer,
) -> None:
    model = AtLength()
    model_env.handler = model
    state = await review(new_files(600))
    assert state["draft"]["failures"] == []
    paths = {f"pkg/mod_{i:03d}.py" for i in range(600)}
    assert findings_by_specialist(state) == {
        "security": paths,
        "performance": paths,
        "style": paths,
    }
    assert max(model.files_per_call) <= diffs.FILES_PER_CHUNK


async def test_an_answer_cut_off_at_the_output_limit_is_reviewed_again_in_halves(
    model_env: ModelServer,
) -> None:
    model = AtLength()
    model_env.handler = model
    # ~150 tokens a finding: 1,000 tokens hold 6, a chunk of 25 files needs two halvings.
    state = await review(new_files(50), max_output_tokens=1000)
    assert state["draft"]["failures"] == []
    paths = {f"pkg/mod_{i:03d}.py" for i in range(50)}
    assert findings_by_specialist(state) == {
        "security": paths,
        "performance": paths,
        "style": paths,
    }
    assert sorted(set(model.files_per_call)) == [6, 7, 12, 13, 25]
    assert any("reviewed in smaller parts" in n for n in state["draft"]["notes"])


async def test_halving_stops_at_a_bounded_depth_and_the_call_fails_with_its_reason(
    model_env: ModelServer, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    (prompts / "security.yaml").unlink()
    (prompts / "performance.yaml").unlink()
    model = AtLength()
    model_env.handler = model
    state = await review(new_files(8), prompts, max_output_tokens=10)  # not even one fits
    # 8 files -> 4 -> 2 -> 1 (three halvings); each single file is asked once more to repair.
    # The halves of a part are asked concurrently, so only the first call's place is fixed.
    assert model.files_per_call[0] == 8
    assert sorted(model.files_per_call, reverse=True) == [8, 4, 4, 2, 2, 2, 2] + [1] * 16
    assert len(state["draft"]["failures"]) == 1
    assert "cut off at the output limit" in state["draft"]["failures"][0]
