"""The workflow behind LangGraph's own server, as LangGraph Studio drives it.

Starts ``langgraph dev`` (the Studio backend) as a subprocess on loopback with the repo's
``langgraph.json`` (run from a scratch directory, see ``conftest.py``), points the model at
the loopback model server, and drives reviews through the server's HTTP API with
``langgraph_sdk``: run, pause at the approval interrupt, answer it (edit, bad answers, reject,
retry, approve), read the published result. Nothing here reaches the internet: analytics,
version checks and tracing are switched off (see ``conftest.py``).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from graph.context import Context
from tests.integration.conftest import ROOT, DevServer, StartServer, server_env
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ModelServer, Reply
from tests.servers.panel_model import answer

pytestmark = pytest.mark.server

GRAPH_ID = "review_panel"
DIFF = (ROOT / "examples" / "sql_injection.diff").read_bytes().decode()
NODES = {"fetch", "security", "performance", "style", "orchestrate", "approve", "post"}
PAYLOAD_KEYS = {"action_requests", "review_configs", "markdown", "draft", "how_to_answer"}
DEFAULT_MODEL = "gpt-4o-mini"  # Context.model when REVIEW_PANEL_MODEL is not set
NEW_SUMMARY = "Edited in Studio: fix the injection before merging."


@pytest.fixture(scope="module")
def model() -> Iterator[ModelServer]:
    """The loopback model, shared by the module's server (its requests accumulate)."""
    with ModelServer(answer) as server:
        yield server


@pytest.fixture(scope="module")
def studio(langgraph_dev: StartServer, model: ModelServer) -> DevServer:
    server = langgraph_dev(
        {
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "test-key",
            "REVIEW_PANEL_MAX_RETRIES": "0",
        }
    )
    print(f"langgraph dev answered GET /ok after {server.started_in:.2f} s")
    return server


@pytest.fixture
async def client(studio: DevServer) -> AsyncIterator[LangGraphClient]:
    # api_key=None: never send a LangSmith key from the environment to a test server.
    async with get_client(url=studio.url, api_key=None, timeout=60) as client:
        yield client


# --- helpers -------------------------------------------------------------------------------


async def run(
    client: LangGraphClient, server: DevServer, thread_id: str, **kwargs: Any
) -> dict[str, Any]:
    """``runs.wait`` that fails with the server's output when the run itself failed."""
    result = await client.runs.wait(thread_id, GRAPH_ID, raise_error=False, **kwargs)
    assert isinstance(result, dict), result
    if "__error__" in result:
        pytest.fail(f"the run failed on the server: {result['__error__']}\n{server.explain(ROOT)}")
    return result


def paused_payload(result: dict[str, Any]) -> dict[str, Any]:
    """The approval request of a run that stopped at the interrupt."""
    interrupts = result.get("__interrupt__")
    assert interrupts, f"the run did not pause for approval: {sorted(result)}"
    assert len(interrupts) == 1
    payload = interrupts[0]["value"]
    assert set(payload) >= PAYLOAD_KEYS, sorted(payload)
    return dict(payload)


async def assert_paused(client: LangGraphClient, thread_id: str) -> dict[str, Any]:
    """The thread waits at ``approve`` with one open interrupt; returns that interrupt."""
    thread = await client.threads.get(thread_id)
    assert thread["status"] == "interrupted"
    state = await client.threads.get_state(thread_id)
    assert state["next"] == ["approve"]
    (task,) = state["tasks"]
    assert task["name"] == "approve"
    assert task["error"] is None
    (interrupt,) = task["interrupts"]
    assert [i["id"] for i in state["interrupts"]] == [interrupt["id"]]
    return dict(interrupt)


def requests_since(model: ModelServer, start: int) -> list[str]:
    return [r.model for r in model.requests[start:]]


# --- tests ---------------------------------------------------------------------------------


async def test_studio_sees_the_graph_and_its_run_settings(client: LangGraphClient) -> None:
    (assistant,) = await client.assistants.search(graph_id=GRAPH_ID)
    assistant_id = assistant["assistant_id"]

    drawn = await client.assistants.get_graph(assistant_id)
    assert {n["id"] for n in drawn["nodes"]} >= NODES | {"__start__", "__end__"}
    edges = {(e["source"], e["target"]) for e in drawn["edges"]}
    for specialist in ("security", "performance", "style"):
        assert ("fetch", specialist) in edges
        assert (specialist, "orchestrate") in edges
    assert {("orchestrate", "approve"), ("approve", "post"), ("approve", "__end__")} <= edges

    # The run settings form: every Context field, described as in graph/context.py.
    schemas = await client.assistants.get_schemas(assistant_id)
    context_schema = schemas["context_schema"]
    assert context_schema["title"] == "Context"
    properties = context_schema["properties"]
    assert set(properties) == {f.name for f in dataclasses.fields(Context)}
    for f in dataclasses.fields(Context):
        assert f.metadata["description"], f.name
        assert properties[f.name]["description"] == f.metadata["description"], f.name
    assert properties["structured_output"]["enum"] == [
        "json_schema",
        "function_calling",
        "json_mode",
    ]
    # Secrets are never run settings.
    assert not {"api_key", "openai_api_key", "github_token", "token"} & set(properties)


async def test_studio_gets_an_input_form(client: LangGraphClient) -> None:
    (assistant,) = await client.assistants.search(graph_id=GRAPH_ID)
    schemas = await client.assistants.get_schemas(assistant["assistant_id"])
    if schemas["input_schema"] is None:
        # The server logs a warning and sends null when the graph cannot describe its input.
        from graph.workflow import graph

        try:
            graph.get_input_jsonschema()
        except Exception as exc:
            pytest.xfail(
                "graph/state.py imports TypedDict from typing; pydantic needs "
                f"typing_extensions.TypedDict on Python < 3.12 ({type(exc).__name__})"
            )
        pytest.fail("the server sent no input schema although the graph has one")
    assert schemas["input_schema"]["required"] == ["target"]
    assert set(schemas["input_schema"]["properties"]) == {"target", "since"}


async def test_review_pauses_and_an_edit_is_published(
    client: LangGraphClient, studio: DevServer, model: ModelServer
) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    seen = len(model.requests)

    # Run settings travel with the run (Studio's "context" form does the same).
    result = await run(
        client, studio, thread_id, input={"target": DIFF}, context={"model": "studio-model"}
    )
    payload = paused_payload(result)
    calls = requests_since(model, seen)
    assert len(calls) == 4  # three specialists and the orchestrator
    assert set(calls) == {"studio-model"}

    interrupt = await assert_paused(client, thread_id)
    assert interrupt["value"]["draft"] == payload["draft"]
    config, _per_comment = payload["review_configs"]  # the review first, then comments
    assert config["action_name"] == "post_review"
    assert set(config["allowed_decisions"]) >= {"approve", "edit", "reject"}
    draft = payload["draft"]
    assert draft["summary"] in payload["markdown"]
    comments = draft["comments"]
    assert len(comments) >= 2, payload["markdown"]
    drop, keep = comments[0], comments[1]
    assert drop["title"] != keep["title"]

    edit = {
        "type": "edit",
        "summary": NEW_SUMMARY,
        "verdict": "COMMENT",
        "comments": {drop["id"]: None},
    }
    seen = len(model.requests)
    final = await run(client, studio, thread_id, command={"resume": {"decisions": [edit]}})

    assert "__interrupt__" not in final
    assert requests_since(model, seen) == []  # resuming re-runs approve only, not the panel
    assert final["approved"]["decision"] == "edit"
    assert final["approved"]["event"] == "COMMENT"
    result_value = final["result"]
    assert result_value["destination"] == "local"
    markdown = result_value["markdown"]
    assert NEW_SUMMARY in markdown
    assert draft["summary"] not in markdown
    assert "**Verdict: COMMENT**" in markdown
    assert drop["title"] not in markdown
    assert drop["body"] not in markdown
    assert keep["title"] in markdown

    thread = await client.threads.get(thread_id)
    assert thread["status"] == "idle"
    assert thread["values"]["result"] == result_value


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param({"decisions": [{"type": "maybe"}]}, "maybe", id="unknown-decision"),
        pytest.param(
            {"decisions": [{"type": "edit", "comments": {"c-0000000": None}}]},
            "c-0000000",
            id="unknown-comment-id",
        ),
        pytest.param({"decisions": []}, "at least 1", id="no-decision"),
        pytest.param("yes", "valid dictionary", id="not-an-object"),
    ],
)
async def test_a_bad_answer_keeps_the_review_paused(
    client: LangGraphClient,
    studio: DevServer,
    model: ModelServer,
    bad: Any,
    reason: str,
) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    seen = len(model.requests)
    payload = paused_payload(await run(client, studio, thread_id, input={"target": DIFF}))
    # No context given: the run uses the server's defaults, not the last run's settings.
    assert set(requests_since(model, seen)) == {DEFAULT_MODEL}
    first = await assert_paused(client, thread_id)

    # A bad answer is not an error: the run ends paused again, at a new interrupt that
    # carries the same draft and says what was wrong.
    again = await run(client, studio, thread_id, command={"resume": bad})
    repeated = paused_payload(again)
    assert repeated["draft"] == payload["draft"]
    assert "answer not accepted" in repeated["error"]
    assert reason in repeated["error"]
    second = await assert_paused(client, thread_id)
    assert second["id"] != first["id"]
    assert second["value"]["error"] == repeated["error"]
    assert "error" not in first["value"]
    runs = await client.runs.list(thread_id)
    assert [r["status"] for r in runs] == ["success", "success"]

    # ... and a good answer afterwards is taken as if the bad one had never been sent.
    final = await run(
        client, studio, thread_id, command={"resume": {"decisions": [{"type": "approve"}]}}
    )
    assert "__interrupt__" not in final
    assert final["approved"]["decision"] == "approve"
    assert payload["draft"]["summary"] in final["result"]["markdown"]
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_a_rejection_ends_the_review_without_publishing(
    client: LangGraphClient, studio: DevServer
) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    paused_payload(await run(client, studio, thread_id, input={"target": DIFF}))
    reject = {"decisions": [{"type": "reject", "message": "Not this week."}]}
    final = await run(client, studio, thread_id, command={"resume": reject})
    assert final["rejection"] == "Not this week."
    assert "result" not in final and "approved" not in final
    state = await client.threads.get_state(thread_id)
    assert state["next"] == []
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_a_failed_model_call_is_retried_from_the_pause(
    client: LangGraphClient, studio: DevServer, model: ModelServer
) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    model.script(Reply.error(500, "overloaded"))  # the run's first model call fails, for good
    seen = len(model.requests)
    payload = paused_payload(await run(client, studio, thread_id, input={"target": DIFF}))
    assert len(model.requests) - seen == 4
    assert len(payload["draft"]["failures"]) == 1, payload["draft"]["failures"]
    config, _per_comment = payload["review_configs"]  # the review first, then comments
    if "retry" not in config["allowed_decisions"]:
        pytest.skip("this version's approval step offers no retry")

    seen = len(model.requests)
    retry = {"resume": {"decisions": [{"type": "retry"}]}}
    again = paused_payload(await run(client, studio, thread_id, command=retry))
    assert len(model.requests) - seen == 2  # the failed call again, then the orchestrator
    assert again["draft"]["failures"] == []
    assert len(again["draft"]["comments"]) >= len(payload["draft"]["comments"])
    assert "retry" not in again["review_configs"][0]["allowed_decisions"]
    await assert_paused(client, thread_id)

    approve = {"resume": {"decisions": [{"type": "approve"}]}}
    final = await run(client, studio, thread_id, command=approve)
    assert again["draft"]["summary"] in final["result"]["markdown"]


async def test_a_failed_run_carries_the_line_the_cli_prints(
    client: LangGraphClient, studio: DevServer, tmp_path: Path
) -> None:
    # The server has no GITHUB_TOKEN: a pull request cannot be fetched.
    thread_id = (await client.threads.create())["thread_id"]
    result = await client.runs.wait(
        thread_id, GRAPH_ID, input={"target": "octo/demo#7"}, raise_error=False
    )
    assert isinstance(result, dict)
    failure = result["__error__"]
    env = {**server_env({}), "OPENAI_API_KEY": "test-key", "REVIEW_PANEL_DB": str(tmp_path / "db")}
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "review", "octo/demo#7"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = cli.stderr.strip().splitlines()[-1]
    assert line.startswith("review-panel: error: GITHUB_TOKEN is not set")
    message = line.removeprefix("review-panel: error: ")
    assert failure == {"error": "GitHubAuthError", "message": message}


# --- a pull request, published to a loopback GitHub ---------------------------------------


async def test_pull_request_review_is_posted_once(langgraph_dev: StartServer) -> None:
    with ModelServer(answer) as model, GitHubServer() as github:
        github.add_pull("octo", "demo", 7, DIFF)
        server = langgraph_dev(
            {
                "OPENAI_BASE_URL": model.base_url,
                "OPENAI_API_KEY": "test-key",
                "REVIEW_PANEL_MAX_RETRIES": "0",
                "GITHUB_API_URL": github.base_url,
                "GITHUB_TOKEN": github.token,
            }
        )
        try:
            async with get_client(url=server.url, api_key=None, timeout=60) as client:
                thread_id = (await client.threads.create())["thread_id"]
                target = {"target": "octo/demo#7"}
                payload = paused_payload(await run(client, server, thread_id, input=target))
                assert github.reviews("octo", "demo", 7) == []  # nothing posted before approval
                comments = payload["draft"]["comments"]
                assert len(comments) >= 2, payload["markdown"]
                drop = comments[0]
                edit = {"type": "edit", "summary": NEW_SUMMARY, "comments": {drop["id"]: None}}
                resume = {"resume": {"decisions": [edit]}}
                final = await run(client, server, thread_id, command=resume)
        finally:
            server.stop()  # before the loopback GitHub and model go away

        result_value = final["result"]
        assert result_value["destination"] == "github"
        reviews = github.reviews("octo", "demo", 7)
        assert len(reviews) == 1, json.dumps(reviews, indent=2)[:2000]
        (review,) = reviews
        assert NEW_SUMMARY in review["body"]
        assert review["event"] == final["approved"]["event"]
        posted = [c["body"] for c in review["comments"]]
        assert len(posted) == len(final["approved"]["comments"]) == len(comments) - 1
        assert not any(drop["title"] in body for body in [review["body"], *posted])
        assert result_value["review_id"] == review["id"]
        assert result_value["url"]
