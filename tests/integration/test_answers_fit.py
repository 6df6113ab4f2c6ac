"""Every answer fits the output limit: findings per call are capped in the schema the model
fills, and an answer cut off anyway is reviewed again in halves instead of failing.

The model is the loopback server behind the real langchain-openai client, so what is
asserted is what a model would have been sent.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver

from graph.context import Context
from graph.workflow import build_graph
from tests.conftest import EXAMPLES, ROOT
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import which

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
