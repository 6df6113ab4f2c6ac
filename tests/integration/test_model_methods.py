"""A full review through the real langchain-openai client over HTTP, per structured-output
method, against the loopback model server."""

from __future__ import annotations

import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph.context import Context
from graph.workflow import build_graph
from tests.conftest import EXAMPLES
from tests.servers.openai_server import ModelServer, Reply

SQL = (EXAMPLES / "sql_injection.diff").read_text()


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_full_review_through_langchain_openai(method: str, model_env: ModelServer) -> None:
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Context(structured_output=method, model="panel-test-model")  # type: ignore[arg-type]
    await app.ainvoke({"target": SQL}, config, context=context)
    state = await app.aget_state(config)
    draft = state.values["draft"]
    assert {c["category"] for c in draft["comments"]} == {
        "sql-injection",
        "hardcoded-secret",
        "n-plus-one",
    }
    assert draft["usage"]["security"]["prompt_tokens"] > 0
    requests = model_env.requests
    assert len(requests) == 4
    assert {r.method for r in requests} == {method}
    assert {r.model for r in requests} == {"panel-test-model"}
    assert all(r.body.get("max_tokens") == context.max_output_tokens for r in requests)
    if method == "json_mode":
        assert all("JSON schema" in r.system for r in requests)
    else:
        assert all("JSON schema" not in r.system for r in requests)
    result = await app.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=context
    )
    assert result["result"]["markdown"].count("review-panel · security") == 2


async def test_secrets_are_masked_before_the_model_sees_the_diff(model_env: ModelServer) -> None:
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "mask"}}
    await app.ainvoke({"target": SQL}, config, context=Context())
    texts = [r.user for r in model_env.requests]
    assert not any("ghp_abcdefghijklmnopqrstuvwxyz0123456789" in t for t in texts)
    assert any("[REDACTED GitHub token]" in t for t in texts)


async def test_unparseable_answer_gets_one_repair_then_the_call_fails(
    model_env: ModelServer,
) -> None:
    from tests.servers.panel_model import answer

    def handler(request):  # type: ignore[no-untyped-def]
        if "security reviewer" in request.system:
            return Reply.text("I think it is fine!")
        return answer(request)

    model_env.handler = handler
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "garbage"}}
    await app.ainvoke({"target": SQL}, config, context=Context())
    security_calls = [r for r in model_env.requests if "security reviewer" in r.system]
    assert len(security_calls) == 2  # the call and its one repair attempt
    assert "could not be used" in security_calls[1].user
    draft = (await app.aget_state(config)).values["draft"]
    assert any(f.startswith("security could not review") for f in draft["failures"])
    assert {c["category"] for c in draft["comments"]} == {"n-plus-one"}


async def test_repaired_answer_is_used(model_env: ModelServer) -> None:
    from tests.servers.panel_model import answer

    first = {"seen": False}

    def handler(request):  # type: ignore[no-untyped-def]
        if "style reviewer" in request.system and not first["seen"]:
            first["seen"] = True
            return Reply.text("{not json")
        return answer(request)

    model_env.handler = handler
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "repair"}}
    await app.ainvoke({"target": (EXAMPLES / "naming.diff").read_text()}, config, context=Context())
    draft = (await app.aget_state(config)).values["draft"]
    assert draft["failures"] == []
    assert "naming" in {c["category"] for c in draft["comments"]}


async def test_secret_is_reported_by_location_even_if_the_model_says_nothing(
    model_env: ModelServer,
) -> None:
    model_env.handler = lambda request: Reply.json(
        {"summary": "s", "resolutions": []}
        if "lead a code-review panel" in request.system
        else {"findings": []}
    )
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "secrets"}}
    await app.ainvoke({"target": SQL}, config, context=Context())
    (comment,) = (await app.aget_state(config)).values["draft"]["comments"]
    assert (comment["path"], comment["start_line"], comment["category"]) == (
        "app/users.py",
        14,
        "hardcoded-secret",
    )
    assert (
        comment["severity"] == "critical" and comment["perspectives"][0]["specialist"] == "security"
    )


async def test_model_errors_never_echo_the_key(model_env: ModelServer) -> None:
    key = "sk-test-model-key-123456"
    model_env.handler = lambda request: Reply.error(
        401, f"Incorrect API key provided: {key}", type_="invalid_request_error"
    )
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "badkey"}}
    await app.ainvoke({"target": SQL}, config, context=Context())
    draft = (await app.aget_state(config)).values["draft"]
    assert draft["failures"] and all(
        "rejected the API key (401)" in f or "orchestrator" in f for f in draft["failures"]
    )
    assert key not in str(draft)


async def test_findings_on_files_not_in_the_diff_are_dropped_with_a_note(
    model_env: ModelServer,
) -> None:
    from tests.servers.panel_model import answer

    def handler(request):  # type: ignore[no-untyped-def]
        reply = answer(request)
        if "style reviewer" in request.system:
            reply.structured["findings"].append(
                {
                    "path": "not/in/diff.py",
                    "start_line": 1,
                    "end_line": 1,
                    "side": "RIGHT",
                    "severity": "high",
                    "category": "naming",
                    "title": "Invented",
                    "rationale": "r",
                    "suggestion": None,
                    "confidence": 0.9,
                }
            )
        return reply

    model_env.handler = handler
    app = build_graph().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "elsewhere"}}
    await app.ainvoke({"target": SQL}, config, context=Context())
    draft = (await app.aget_state(config)).values["draft"]
    assert (
        "dropped a finding on 'not/in/diff.py', which is not in the reviewed files"
        in draft["notes"]
    )
    assert all(c["path"] == "app/users.py" for c in draft["comments"])


async def test_a_specialist_yaml_can_name_its_own_model(
    model_env: ModelServer, tmp_path: object
) -> None:
    import shutil
    from pathlib import Path

    from tests.conftest import ROOT

    prompts = Path(str(tmp_path)) / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    security = prompts / "security.yaml"
    security.write_text(security.read_text() + "model: security-tuned-model\n")
    app = build_graph(prompts).compile(checkpointer=InMemorySaver())
    await app.ainvoke(
        {"target": SQL}, {"configurable": {"thread_id": "m"}}, context=Context(model="base")
    )
    by_model = {(r.model, "security reviewer" in r.system) for r in model_env.requests}
    assert by_model == {("security-tuned-model", True), ("base", False)}
