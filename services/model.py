"""Structured calls to any OpenAI-compatible endpoint through langchain-openai.

Servers differ in which structured-output method they accept (llama.cpp's rejects
``json_schema``), so the method is a setting. Whatever the method, a call ends in one of two
ways: a validated pydantic object with its token usage, or a ``ModelError`` that says what
went wrong. Output that does not parse or validate gets one repair attempt first.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel

from graph.contracts import Usage
from graph.errors import AnswerCutOff, ModelError
from services import attempts
from services.secrets import mask, without_urls
from services.structured import Structured

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_openai import ChatOpenAI

    from graph.context import Context

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class ModelChoice:
    """Which model answers a call, and how hot; a prompt file may override the run's."""

    name: str
    temperature: float


_CUT_OFF = "the answer was cut off at the output limit"


@dataclass(frozen=True)
class _ClientSettings:
    """What a client is built from: the run's settings and the key in the environment now."""

    base_url: str | None
    api_key: str
    timeout: float
    max_retries: int
    max_output_tokens: int


def _client_settings(context: Context) -> _ClientSettings:
    return _ClientSettings(
        context.base_url,
        os.environ.get("OPENAI_API_KEY") or "not-needed",
        context.timeout,
        context.max_retries,
        context.max_output_tokens,
    )


@functools.lru_cache(maxsize=16)
def _structured_model(
    settings: _ClientSettings, choice: ModelChoice, schema: type[BaseModel], method: str
) -> Structured:
    """The structured-output call for these settings, made once and shared by every call
    (``services.structured`` says why it is not ``with_structured_output``)."""
    return Structured(_chat_model(settings, choice), schema, method)


_CLIENTS: dict[tuple[_ClientSettings, ModelChoice], ChatOpenAI] = {}
_CLIENTS_LOCK = threading.Lock()
_KEPT_CLIENTS = 8


def _chat_model(settings: _ClientSettings, choice: ModelChoice) -> ChatOpenAI:
    """One ``ChatOpenAI`` per settings and model, shared by every specialist's calls.

    Building one builds OpenAI clients and, the first time, HTTP clients with a TLS context
    (loading the CA bundle): tens of milliseconds, which ``warm`` moves off the path to the
    first request. The key is part of the cache key, so a changed ``OPENAI_API_KEY`` gets
    a new client; it is never stored anywhere else. The ``_KEPT_CLIENTS`` last built are kept.
    """
    key = (settings, choice)
    found = _CLIENTS.get(key)
    if found is None:
        built = _build_chat_model(settings, choice)
        with _CLIENTS_LOCK:  # built in worker threads, possibly two at once
            found = _CLIENTS.setdefault(key, built)
            while len(_CLIENTS) > _KEPT_CLIENTS:  # the oldest first (insertion order)
                del _CLIENTS[next(iter(_CLIENTS))]
    return found


def _build_chat_model(settings: _ClientSettings, choice: ModelChoice) -> ChatOpenAI:
    from langchain_openai import ChatOpenAI  # imported when needed: keeps `--help` fast

    kwargs: dict[str, Any] = {}
    if settings.base_url:
        # Local servers (llama.cpp, some vLLM builds) ignore max_completion_tokens, which is
        # what langchain-openai sends for max_tokens; send the classic field as-is instead.
        kwargs["extra_body"] = {"max_tokens": settings.max_output_tokens}
    else:
        kwargs["max_tokens"] = settings.max_output_tokens
    return ChatOpenAI(
        model=choice.name,
        base_url=settings.base_url,
        api_key=settings.api_key,
        temperature=choice.temperature,
        timeout=settings.timeout,
        max_retries=0,  # services.attempts retries, reporting every wait and retry
        # A structured answer is only useful whole; streaming it (as LangGraph's server would
        # for "messages" streams) only adds a parse path that warns on json_schema.
        disable_streaming=True,
        **kwargs,
    )


async def warm(context: Context, choice: ModelChoice) -> None:
    """Build the client for ``choice`` in a worker thread, before the first call needs it.

    A client already built costs no thread: on a server every review warms the same client,
    and a hop through the thread pool is not free when the loop is busy."""
    settings = _client_settings(context)
    if (settings, choice) not in _CLIENTS:
        await asyncio.to_thread(_chat_model, settings, choice)


def _json_mode_instructions(schema: type[BaseModel]) -> str:
    # json_mode sends no schema, so the prompt has to carry it (generated, never hand-written),
    # and OpenAI insists the prompt mention JSON.
    return (
        "\n\nAnswer with a single JSON object that validates against this JSON schema:\n"
        + json.dumps(schema.model_json_schema())
    )


async def call_structured(
    context: Context,
    choice: ModelChoice,
    schema: type[T],
    system: str,
    user: str,
    check: Callable[[T], str] | None = None,
    partial: bool = False,
    split_cut_off: bool = False,
    label: str = "model call",
) -> tuple[T, Usage]:
    """One structured call, with one repair attempt when the answer does not validate.

    ``check`` adds the caller's own validation (say, line numbers the model was never shown):
    it returns what is wrong, or '' when the answer is usable. With ``partial``, an answer
    that follows the schema but still fails ``check`` after the repair is returned anyway
    (the latest such answer), for the caller to keep what is valid in it: one bad citation
    must not cost the call's other findings.
    With ``split_cut_off``, an answer cut off at the output limit raises ``AnswerCutOff`` at
    once, for a caller that will ask for less per call (half the diff) rather than for
    shorter findings. ``label`` names the call in progress lines (waits and retries).
    """
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    if context.mask_secrets:
        # Every model call's text, whatever part of it came from the PR: the diff, its title
        # and body, and findings quoting them.
        user = mask(user)
    method = context.structured_output
    if method == "json_mode":
        system += _json_mode_instructions(schema)
    messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
    llm = _structured_model(_client_settings(context), choice, schema, method)
    usage = Usage()
    problem = ""
    checked: T | None = None  # the latest answer that followed the schema but failed check
    for attempt in range(2):
        try:
            # An answer that does not parse is not an exception here: ``Structured`` returns
            # it as ``parsing_error``, so whatever is raised is the endpoint's failure.
            result = await attempts.attempt(lambda: llm.ainvoke(messages), context, label)
        except Exception as exc:
            raise _api_error(exc, choice.name, context) from None
        raw = result.get("raw")
        usage = usage + _usage(raw)
        parsed = result.get("parsed")
        problem = _check_parsed(parsed, result.get("parsing_error"), schema, raw)
        if not problem and check is not None:
            problem = check(cast(T, parsed))
            if problem and partial:
                checked = cast(T, parsed)
        if not problem:
            assert isinstance(parsed, schema)
            return parsed, usage
        if split_cut_off and problem == _CUT_OFF:
            raise AnswerCutOff(f"model {choice.name!r}: {problem}")
        if attempt == 0:
            if isinstance(raw, AIMessage) and raw.content:
                said = str(raw.content)
                messages.append(AIMessage(mask(said) if context.mask_secrets else said))
            messages.append(HumanMessage(_repair_request(problem)))
    if checked is not None:
        return checked, usage
    raise ModelError(f"model {choice.name!r} gave an unusable answer twice: {problem}")


def _usage(raw: Any) -> Usage:
    meta = getattr(raw, "usage_metadata", None) or {}
    return Usage(
        prompt_tokens=int(meta.get("input_tokens", 0)),
        completion_tokens=int(meta.get("output_tokens", 0)),
    )


def _check_parsed(parsed: Any, error: Any, schema: type[BaseModel], raw: Any) -> str:
    if error is not None:
        return f"the answer did not parse ({_short(error)})"
    if parsed is None:
        finish = (getattr(raw, "response_metadata", None) or {}).get("finish_reason")
        if finish == "length":
            return _CUT_OFF
        return "the answer contained no structured output"
    if not isinstance(parsed, schema):
        return f"the answer was a {type(parsed).__name__}, not {schema.__name__}"
    return ""


def _repair_request(problem: str) -> str:
    advice = (
        "Report fewer findings and keep each rationale short."
        if "cut off" in problem
        else "Answer again with output that follows the required schema exactly."
    )
    return f"Your previous answer could not be used: {problem}. {advice}"


def _short(exc: Any, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    # Drafts and posted reviews carry this text: it names the failure, never an endpoint.
    return without_urls(text[:limit] + ("..." if len(text) > limit else ""))


# What a server says when it refuses a structured-output method, and the method to try instead.
_REFUSALS = {
    "json_schema": (("json_schema", "response_format"), "function_calling"),
    "json_mode": (("json_object", "response_format"), "function_calling"),
    "function_calling": (("tool_choice", "tools", "function"), "json_mode"),
}


def _method_hint(exc: Any, method: str) -> str:
    """For a server that refused the structured-output method: the value to use instead."""
    words, instead = _REFUSALS.get(method, ((), ""))
    said = str(exc).lower()
    if exc.status_code not in (400, 422, 500) or not any(w in said for w in words):
        return ""
    return (
        f"; this server refuses structured output method {method}: set "
        f"REVIEW_PANEL_STRUCTURED_OUTPUT={instead}"
    )


def _api_error(exc: Exception, model: str, context: Context) -> ModelError:
    import openai

    # Not the URL: these messages reach drafts and posted reviews, and a base URL may name an
    # internal host or carry a password.
    where = "the model server (OPENAI_BASE_URL)" if context.base_url else "the OpenAI API"
    if isinstance(exc, openai.AuthenticationError):
        return ModelError(f"{where} rejected the API key (401): check OPENAI_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        return ModelError(f"{where} has no model {model!r} (404): check REVIEW_PANEL_MODEL")
    if isinstance(exc, openai.APITimeoutError):
        return ModelError(
            f"{where} did not answer within {context.timeout:g}s "
            f"({context.max_retries} retries): raise REVIEW_PANEL_TIMEOUT, or lower "
            f"REVIEW_PANEL_MAX_CONCURRENCY (now {context.max_concurrency}) for a server that "
            "answers one request at a time"
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelError(f"cannot connect to {where}: is the server running? ({_short(exc)})")
    if isinstance(exc, openai.RateLimitError):
        return ModelError(
            f"{where} is rate limiting (429) after {context.max_retries} retries: try later"
        )
    if isinstance(exc, openai.APIStatusError):
        hint = _method_hint(exc, context.structured_output)
        return ModelError(f"{where} answered {exc.status_code}: {_short(exc)}{hint}")
    return ModelError(f"model call failed: {type(exc).__name__}: {_short(exc)}")
