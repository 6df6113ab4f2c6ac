"""``review-panel doctor``: check the settings against the real endpoint and GitHub, one line each.

Each check prints ``ok``, ``warn`` or ``FAIL`` with what it saw and, when something is wrong,
the setting to change. The checks are the ones a first review would otherwise fail on, in the
order it would meet them: the model endpoint answers, it serves the model name, it accepts the
structured-output method (one tiny structured call), and GitHub takes the token. If a check
fails, the command ends through the CLI's one error path with the first failure's exit code.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import typer
from pydantic import BaseModel

from graph.context import DEFAULT_GITHUB_API_URL, Context
from graph.errors import ConfigError, ReviewPanelError

PROBE_TIMEOUT = 15.0  # seconds for the endpoint and GitHub probes (not the structured call)


@dataclass
class Check:
    name: str
    state: str  # ok | warn | FAIL
    said: str
    error: ReviewPanelError | None = None

    def line(self) -> str:
        return f"{self.state:4}  {self.name:17} {self.said}"


class Ping(BaseModel):
    """The tiny answer the structured-output check asks for."""

    ok: bool


async def _models(context: Context) -> list[str]:
    import openai

    client = openai.AsyncOpenAI(
        base_url=context.base_url,
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        timeout=min(context.timeout, PROBE_TIMEOUT),
        max_retries=0,
    )
    try:
        return [m.id async for m in client.models.list()]
    finally:
        await client.close()


def _shown(url: str) -> str:
    """The URL without any user or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


async def check_endpoint(context: Context) -> tuple[Check, list[str] | None]:
    import openai

    from graph.errors import ModelError

    where = _shown(context.base_url) if context.base_url else "the OpenAI API"
    if not context.base_url and not os.environ.get("OPENAI_API_KEY"):
        return Check(
            "endpoint",
            "FAIL",
            "no model configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL "
            "(e.g. http://localhost:8080/v1) for another server",
            ConfigError("no model endpoint configured"),
        ), None
    try:
        models = await _models(context)
    except openai.AuthenticationError:
        error = ModelError(f"{where} rejected the API key (401)")
        return Check("endpoint", "FAIL", f"{error}: fix OPENAI_API_KEY", error), None
    except openai.APIConnectionError as exc:
        error = ModelError(f"cannot connect to {where} ({type(exc).__name__})")
        fix = "start the server, or fix OPENAI_BASE_URL (it includes /v1)"
        return Check("endpoint", "FAIL", f"{error}: {fix}", error), None
    except openai.APIStatusError as exc:
        # Some servers have no model list; the structured call below still tells.
        said = f"{where} answers, but not GET /models ({exc.status_code})"
        return Check("endpoint", "warn", said), None
    return Check("endpoint", "ok", f"{where} answers ({len(models)} model(s) listed)"), models


def check_model(context: Context, models: list[str] | None) -> Check:
    from graph.errors import ModelError

    name = context.model
    chosen = "REVIEW_PANEL_MODEL" in os.environ
    if models is not None and models and name not in models:
        listed = ", ".join(models[:5]) + (", ..." if len(models) > 5 else "")
        error = ModelError(f"model {name!r} is not served here")
        return Check(
            "model",
            "FAIL",
            f"{error} (it serves: {listed}): set REVIEW_PANEL_MODEL={models[0]}",
            error,
        )
    if context.base_url and not chosen:
        return Check(
            "model",
            "warn",
            f"{name!r} is the OpenAI default and REVIEW_PANEL_MODEL is not set: set it to "
            "the name your server serves",
        )
    return Check("model", "ok", f"{name!r}" + (" is served" if models else ""))


async def check_structured_output(context: Context) -> Check:
    from graph.errors import ModelError
    from services.model import ModelChoice, call_structured

    method = context.structured_output
    try:
        await call_structured(
            context,
            ModelChoice(context.model, 0.0),
            Ping,
            "You check that structured output works. Set ok to true.",
            "Answer with ok = true.",
            label="doctor",
        )
    except ModelError as exc:
        return Check("structured output", "FAIL", f"{method}: {exc}", exc)
    return Check("structured output", "ok", f"{method}: one structured answer parsed")


async def check_github(context: Context) -> Check:
    from services.github import rate_limit

    api = context.github_api_url
    if not os.environ.get("GITHUB_TOKEN", "").strip():
        return Check(
            "github",
            "warn",
            "GITHUB_TOKEN is not set: needed only to review pull requests (local diffs work)",
        )
    try:
        remaining, limit, reset = await asyncio.wait_for(rate_limit(context), PROBE_TIMEOUT)
    except ReviewPanelError as exc:
        fix = "" if api == DEFAULT_GITHUB_API_URL else " (GitHub Enterprise: https://HOST/api/v3)"
        return Check("github", "FAIL", f"{api}: {exc}{fix}", exc)
    except TimeoutError:
        error = ConfigError(f"{api} did not answer within {PROBE_TIMEOUT:g}s")
        return Check("github", "FAIL", f"{error}: check GITHUB_API_URL", error)
    if remaining == 0:
        return Check("github", "warn", f"{api}: token accepted, rate limited until {reset}")
    return Check("github", "ok", f"{api}: token accepted, {remaining} of {limit} requests left")


async def doctor() -> None:
    context = Context()
    endpoint, models = await check_endpoint(context)
    checks = [endpoint]
    typer.echo(endpoint.line())
    if endpoint.state != "FAIL":
        for check in (check_model(context, models), await check_structured_output(context)):
            checks.append(check)
            typer.echo(check.line())
    github = await check_github(context)
    checks.append(github)
    typer.echo(github.line())
    failed = [c for c in checks if c.error is not None]
    if failed:
        first = failed[0]
        assert first.error is not None
        error = type(first.error)(
            f"{len(failed)} check(s) failed; first: {first.name}: {first.error}"
        )
        raise error
