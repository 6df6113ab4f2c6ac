"""The scripted model server speaks OpenAI well enough for the real langchain-openai client.

Every test drives ``ChatOpenAI`` over real HTTP on loopback, so a passing suite means the
reviewer's model calls (structured output, streaming, errors, timeouts) can be tested
against ``ModelServer`` without mocks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pydantic
import pytest
from langchain_core.exceptions import OutputParserException
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from tests.servers.openai_server import ChatRequest, ModelServer, Reply

METHODS = ("json_schema", "function_calling", "json_mode")


class Report(BaseModel):
    findings: list[str]
    score: int


REPORT = {"findings": ["unchecked index", "leaked file handle"], "score": 4}


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as srv:
        yield srv


def chat(server: ModelServer, **kw: Any) -> ChatOpenAI:
    """The real client, pointed at the fixture (explicit key and URL: the env is clean)."""
    return ChatOpenAI(model="gpt-4o-mini", base_url=server.base_url, api_key="test-key", **kw)


@pytest.mark.parametrize("method", METHODS)
def test_structured_output_round_trips_for_each_method(server: ModelServer, method: str) -> None:
    server.script(Reply.json(REPORT))
    structured = chat(server).with_structured_output(Report, method=method)

    result = structured.invoke([("system", "You review code."), ("user", "Reply in json.")])

    assert result == Report(**REPORT)
    (request,) = server.requests
    assert request.method == method
    assert (request.system, request.user) == ("You review code.", "Reply in json.")
    assert request.headers["authorization"] == "Bearer test-key"
    if method == "json_mode":
        assert (request.schema_name, request.schema) == (None, None)
    else:
        assert request.schema_name == "Report"
        assert request.schema is not None
        assert set(request.schema["properties"]) == {"findings", "score"}


def test_streamed_function_calling_is_reassembled_from_tool_call_deltas(
    server: ModelServer,
) -> None:
    server.script(Reply.json(REPORT))
    structured = chat(server, streaming=True).with_structured_output(
        Report, method="function_calling"
    )

    assert structured.invoke("review this") == Report(**REPORT)
    assert server.requests[0].stream


def test_streamed_text_invoke_returns_the_whole_content(server: ModelServer) -> None:
    server.script(Reply.text("looks good to me"))

    message = chat(server, streaming=True).invoke("hi")

    assert message.content == "looks good to me"
    assert server.requests[0].stream


def test_stream_yields_content_in_several_chunks(server: ModelServer) -> None:
    server.script(Reply.text("one finding: the loop never ends"))

    pieces = [chunk.content for chunk in chat(server).stream("hi")]

    assert len([p for p in pieces if p]) > 1
    assert "".join(map(str, pieces)) == "one finding: the loop never ends"


def test_stream_usage_chunk_is_sent_when_include_usage_is_requested(server: ModelServer) -> None:
    server.script(Reply.text("fine", prompt_tokens=12, completion_tokens=3))

    chunks = list(chat(server, stream_usage=True).stream("hi"))

    assert server.requests[0].body["stream_options"] == {"include_usage": True}
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert [(u["input_tokens"], u["output_tokens"], u["total_tokens"]) for u in usage] == [
        (12, 3, 15)
    ]


def test_streamed_json_schema_works_but_langchain_emits_a_pydantic_warning(
    server: ModelServer,
) -> None:
    """langchain-openai 1.7.4 model_dump()s the SDK's parsed stream events: a UserWarning.

    Under this repo's ``filterwarnings = error`` that warning is an exception, so code that
    streams ``method="json_schema"`` under pytest must expect it. If this test starts failing,
    langchain fixed it and the expectation can go.
    """
    server.script(Reply.json(REPORT))
    structured = chat(server, streaming=True).with_structured_output(Report, method="json_schema")

    with pytest.warns(UserWarning, match="Pydantic serializer warnings"):
        result = structured.invoke("review this")

    assert result == Report(**REPORT)


def test_rate_limit_reply_raises_rate_limit_error_with_headers(server: ModelServer) -> None:
    server.script(Reply.error(429, "slow down", type_="requests", headers={"retry-after": "0"}))

    with pytest.raises(openai.RateLimitError) as caught:
        chat(server, max_retries=0).invoke("hi")

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "0"
    assert caught.value.body == {
        "message": "slow down",
        "type": "requests",
        "param": None,
        "code": None,
    }


def test_server_error_reply_raises_internal_server_error(server: ModelServer) -> None:
    server.script(Reply.error(500, "boom"))

    with pytest.raises(openai.InternalServerError, match="boom"):
        chat(server, max_retries=0).invoke("hi")


def test_client_retries_errors_and_each_attempt_is_recorded(server: ModelServer) -> None:
    # "retry-after: 0" is ignored by the SDK (it wants 0 < s <= 60): ask for 1 ms instead.
    server.script(Reply.error(503, headers={"retry-after-ms": "1"}), Reply.text("second try"))

    assert chat(server, max_retries=1).invoke("hi").content == "second try"
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


def test_delay_beyond_client_timeout_raises_api_timeout_error(server: ModelServer) -> None:
    server.script(Reply.json(REPORT, delay=5))

    with pytest.raises(openai.APITimeoutError):
        chat(server, max_retries=0, timeout=0.2).invoke("hi")

    assert len(server.requests) == 1  # recorded on arrival, before the delay


def test_dropped_connection_raises_api_connection_error(server: ModelServer) -> None:
    server.script(Reply(drop_connection=True))

    with pytest.raises(openai.APIConnectionError):
        chat(server, max_retries=0).invoke("hi")


def test_invalid_json_with_json_schema_method_raises(server: ModelServer) -> None:
    server.script(Reply.text("not json"))
    structured = chat(server).with_structured_output(Report, method="json_schema")

    with pytest.raises((pydantic.ValidationError, OutputParserException)):
        structured.invoke("review")


def test_text_answer_with_function_calling_method_yields_none(server: ModelServer) -> None:
    """No tool call in the answer: PydanticToolsParser(first_tool_only=True) returns None."""
    server.script(Reply.text("not json"))
    structured = chat(server).with_structured_output(Report, method="function_calling")

    assert structured.invoke("review") is None


def test_truncated_json_schema_answer_raises_length_finish_reason_error(
    server: ModelServer,
) -> None:
    server.script(Reply.truncated())
    structured = chat(server).with_structured_output(Report, method="json_schema")

    with pytest.raises(openai.LengthFinishReasonError):
        structured.invoke("review")


async def test_concurrent_calls_are_served_concurrently() -> None:
    barrier = threading.Barrier(3, timeout=5)  # only passes if all three are in flight at once

    def handler(request: ChatRequest) -> Reply:
        barrier.wait()
        return Reply.json(REPORT)

    with ModelServer(handler, latency=0.3) as srv:
        structured = chat(srv).with_structured_output(Report, method="json_schema")
        results = await asyncio.gather(*(structured.ainvoke(f"file {i}") for i in range(3)))

    assert results == [Report(**REPORT)] * 3
    assert srv.max_in_flight == 3


def test_scripted_replies_are_fifo_then_handler_answers(server: ModelServer) -> None:
    server.script(Reply.text("first"), Reply.text("second"))
    server.handler = lambda request: Reply.text(f"handler saw {request.user}")
    llm = chat(server)

    answers = [llm.invoke(prompt).content for prompt in ("a", "b", "c", "d")]

    assert answers == ["first", "second", "handler saw c", "handler saw d"]
    assert [r.user for r in server.requests] == ["a", "b", "c", "d"]


def test_unscripted_call_fails_loudly(server: ModelServer) -> None:
    with pytest.raises(openai.InternalServerError, match="no reply scripted"):
        chat(server, max_retries=0).invoke("hi")


def test_usage_numbers_reach_token_usage_and_usage_metadata(server: ModelServer) -> None:
    server.script(Reply.text("ok", prompt_tokens=120, completion_tokens=30))

    message = chat(server).invoke("hi")

    usage = message.response_metadata["token_usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (
        120,
        30,
        150,
    )
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 120
    assert message.usage_metadata["output_tokens"] == 30


def test_default_usage_is_estimated_from_text_length(server: ModelServer) -> None:
    server.script(Reply.text("x" * 40))

    message = chat(server).invoke("y" * 80)

    assert message.usage_metadata is not None
    assert (message.usage_metadata["input_tokens"], message.usage_metadata["output_tokens"]) == (
        20,
        10,
    )


def test_models_endpoint_lists_models_and_unknown_paths_are_404(server: ModelServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        models = client.get("/models")
        missing = client.post("/embeddings", json={})

    assert models.status_code == 200
    assert "gpt-4o-mini" in [m["id"] for m in models.json()["data"]]
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "invalid_request_error"
