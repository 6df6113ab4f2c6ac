"""A structured-output call that costs one bound model call per request, nothing more.

``ChatOpenAI.with_structured_output(..., include_raw=True)`` wraps every call in a chain of
runnables (a map, a passthrough with a fallback, a refusal check, a parser), each setting up
its own callbacks, and for ``json_schema`` with a pydantic class it has the OpenAI SDK turn
the class into a strict JSON schema again on every request. Measured on the loopback model,
that was 8.7 ms of event-loop CPU per call against 3.7 ms for the bound model alone
(``bench/speed.py``): at sixteen calls in flight whose answers arrive together, the last of
the next sixteen requests waited ~80 ms for the others' parsing, every round.

Here the request is built once per (client, schema, method), with the SDK's own conversion
for ``json_schema`` (so what reaches the server is unchanged: the same strict schema), and
the answer is validated with pydantic directly. The ``response_format`` goes in the request's
``extra_body``, which the SDK sends as it is: given as a parameter, it makes langchain-openai
take the SDK's ``parse()`` path, which walks the whole schema to "transform" it and builds
typed ``ParsedChatCompletion`` objects, on every request, for an answer parsed here anyway.

The result has ``include_raw=True``'s shape, ``{"raw": AIMessage, "parsed": model | None,
"parsing_error": Exception | None}``, so the caller's repair and cut-off handling
(``services.model``) reads it as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable
    from langchain_openai import ChatOpenAI

METHODS = ("json_schema", "function_calling", "json_mode")


class Structured:
    """``schema`` answers from ``chat`` by ``method`` (one of ``METHODS``)."""

    def __init__(self, chat: ChatOpenAI, schema: type[BaseModel], method: str) -> None:
        self.schema = schema
        self.method = method
        self.bound: Runnable[Any, Any]
        if method == "json_schema":
            from openai.lib._parsing._completions import type_to_response_format_param

            # What the SDK's ``parse()`` would send for the class: {"type": "json_schema",
            # "json_schema": {"name", "schema" (strict), "strict": true}}, built once.
            self.bound = _with_response_format(chat, type_to_response_format_param(schema))
        elif method == "json_mode":
            self.bound = _with_response_format(chat, {"type": "json_object"})
        elif method == "function_calling":
            from langchain_core.utils.function_calling import convert_to_openai_tool

            tool = convert_to_openai_tool(schema)
            self.tool = tool["function"]["name"]
            self.bound = chat.bind_tools([tool], tool_choice=self.tool, parallel_tool_calls=False)
        else:
            raise ValueError(f"unknown structured-output method {method!r}")

    async def ainvoke(self, messages: list[BaseMessage]) -> dict[str, Any]:
        raw = await self.bound.ainvoke(messages)
        try:
            parsed = self.parse(raw)
        except (ValidationError, ValueError) as exc:  # JSON errors are ValueErrors
            return {"raw": raw, "parsed": None, "parsing_error": exc}
        return {"raw": raw, "parsed": parsed, "parsing_error": None}

    def parse(self, raw: AIMessage) -> BaseModel | None:
        """The answer as ``schema``; None when there is none (cut off, or empty)."""
        from langchain_core.utils.json import parse_json_markdown

        if (raw.response_metadata or {}).get("finish_reason") == "length":
            return None  # whatever came is a fragment; the caller says "cut off"
        refusal = (raw.additional_kwargs or {}).get("refusal")
        if refusal:
            raise ValueError(f"the model refused: {refusal}")
        if self.method == "function_calling":
            calls = [c for c in raw.tool_calls if c.get("name") == self.tool]
            if calls:
                return self.schema.model_validate(calls[0]["args"])
            bad = raw.invalid_tool_calls
            if bad:
                raise ValueError(f"the tool call's arguments are not JSON: {bad[0].get('error')}")
            return None
        text = raw.text if isinstance(raw.text, str) else str(raw.content)
        if not text.strip():
            return None
        # Local servers sometimes fence the JSON in markdown, even with a schema.
        return self.schema.model_validate(parse_json_markdown(text))


def _with_response_format(chat: ChatOpenAI, response_format: Any) -> Runnable[Any, Any]:
    """``chat`` sending ``response_format`` verbatim, beside the client's own extra fields."""
    return chat.bind(extra_body={**(chat.extra_body or {}), "response_format": response_format})
