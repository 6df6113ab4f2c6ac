"""``services.model.call_structured`` itself, through the real langchain-openai client against
the loopback model server (no patched call site): an answer that does not validate gets one
repair request that says what was wrong, and a second bad answer is a ``ModelError``."""

from __future__ import annotations

import json

import pytest

from graph.context import Context
from graph.contracts import SpecialistAnswer
from graph.errors import ModelError
from services.model import ModelChoice, call_structured
from tests.servers.openai_server import ModelServer, Reply

FINDING = {
    "path": "app.py",
    "start_line": 3,
    "end_line": 3,
    "side": "RIGHT",
    "severity": "high",
    "category": "sql-injection",
    "title": "SQL built from an f-string",
    "rationale": "Use a bound parameter.",
    "suggestion": None,
    "confidence": 0.9,
}


def context_for(server: ModelServer, method: str) -> Context:
    return Context(base_url=server.base_url, structured_output=method, max_retries=0)


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_an_answer_that_does_not_validate_is_repaired_once(
    model_server: ModelServer, method: str
) -> None:
    model_server.script(
        Reply.json({"findings": [{"path": "app.py"}]}),  # the schema's other keys missing
        Reply.json({"findings": [FINDING]}),
    )
    answer, usage = await call_structured(
        context_for(model_server, method),
        ModelChoice("m", 0.0),
        SpecialistAnswer,
        "You are the security reviewer.",
        "Review this.",
    )
    assert [f.title for f in answer.findings] == ["SQL built from an f-string"]
    first, second = model_server.requests
    assert second.body["messages"][: len(first.body["messages"])] == first.body["messages"]
    repair = second.body["messages"][-1]["content"]
    assert "Your previous answer could not be used" in repair and "follows" in repair
    assert usage.prompt_tokens > 0


async def test_a_second_unusable_answer_is_a_model_error(model_server: ModelServer) -> None:
    model_server.script(Reply.text("not json at all"), Reply.truncated())
    with pytest.raises(ModelError, match="unusable answer twice"):
        await call_structured(
            context_for(model_server, "json_mode"),
            ModelChoice("m", 0.0),
            SpecialistAnswer,
            "You are the security reviewer.",
            "Review this.",
        )
    assert len(model_server.requests) == 2
    assert json.dumps(model_server.requests[1].body).count("could not be used") == 1
