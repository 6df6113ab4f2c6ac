"""Run configuration: a typed context passed to every node through LangGraph's runtime.

LangGraph Studio renders these fields as a form (with the descriptions below), the CLI fills
them from flags and the environment, and every field takes effect per run. Defaults come from
the environment at the moment a context is made, so a server started with
``REVIEW_PANEL_MODEL=...`` uses it without anyone touching the form.

Secrets are deliberately NOT fields: the model key (``OPENAI_API_KEY``) and the GitHub token
(``GITHUB_TOKEN``) are read from the environment at the moment of the call, so they never
enter state, checkpoints, Studio's run metadata or logs.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, get_args

from graph.contracts import Severity
from graph.errors import ConfigError

StructuredOutputMethod = Literal["json_schema", "function_calling", "json_mode"]
STRUCTURED_OUTPUT_METHODS: tuple[str, ...] = get_args(StructuredOutputMethod)

DEFAULT_GITHUB_API_URL = "https://api.github.com"
GITHUB_MAX_WAIT_ENV = "REVIEW_PANEL_GITHUB_MAX_WAIT"
MIN_RPS = 0.1  # slower than one request per 10 s is no review at all: refused, not waited out
MAX_TEMPERATURE = 2.0  # the OpenAI API's range; other servers accept no more

T = TypeVar("T")


def _env(name: str, convert: Callable[[str], T], default: T) -> Callable[[], T]:
    """A default factory that reads ``name`` and explains a value that does not convert."""

    def read() -> T:
        raw = os.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return convert(raw.strip())
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from None

    return read


def _number(raw: str) -> float:
    """A finite float: ``nan`` and ``inf`` parse as floats but are never a usable setting."""
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def url_problem(url: str, *, credentials_allowed: bool) -> str:
    """What is wrong with an http(s) endpoint URL ('' when nothing is); never echoes it whole.

    The URL itself is left out of the message: it may carry a password.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        return f"must be an http:// or https:// URL (scheme: {shown})"
    if not parts.hostname:
        return "must name a host, as in https://HOST/..."
    if port == 0:
        return "has port 0"
    if not credentials_allowed and (parts.username or parts.password):
        return "must not contain a user name or password (the token goes in GITHUB_TOKEN)"
    return ""


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


_NO_PRICES: dict[str, Any] = {}


def _json_object(raw: str) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def _check_prices(prices: dict[str, Any]) -> None:
    """Prices are {model: {"input": USD per 1M tokens, "output": USD per 1M tokens}}."""
    for model, price in prices.items():
        ok = isinstance(price, dict) and set(price) == {"input", "output"}
        ok = ok and all(_finite(v) and v >= 0 for v in price.values())
        if not ok:
            raise ConfigError(
                f"price of {model!r} must be {{\"input\": N, \"output\": N}} in USD per "
                "million tokens, N >= 0 (REVIEW_PANEL_PRICES)"
            )


def _base_url() -> str | None:
    # langchain-openai reads OPENAI_API_BASE before OPENAI_BASE_URL; we honour both, newest first.
    return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or None


@dataclass(kw_only=True)
class Context:
    """Settings for one review run."""

    model: str = field(
        default_factory=_env("REVIEW_PANEL_MODEL", str, "gpt-4o-mini"),
        metadata={
            "description": "Model name sent to the OpenAI-compatible endpoint "
            "(REVIEW_PANEL_MODEL). A specialist's YAML may override it."
        },
    )
    base_url: str | None = field(
        default_factory=_base_url,
        metadata={
            "description": "OpenAI-compatible base URL including /v1 (OPENAI_BASE_URL); "
            "empty means OpenAI itself. Works with Azure, vLLM, Ollama, llama.cpp."
        },
    )
    structured_output: StructuredOutputMethod = field(
        default_factory=_env("REVIEW_PANEL_STRUCTURED_OUTPUT", str, "json_schema"),  # type: ignore[arg-type]
        metadata={
            "description": "How findings are requested: json_schema (OpenAI, vLLM), "
            "function_calling (llama.cpp, most local servers) or json_mode."
        },
    )
    temperature: float = field(
        default_factory=_env("REVIEW_PANEL_TEMPERATURE", _number, 0.0),
        metadata={"description": "Sampling temperature for every model call."},
    )
    timeout: float = field(
        default_factory=_env("REVIEW_PANEL_TIMEOUT", _number, 120.0),
        metadata={"description": "Seconds before one model request is abandoned."},
    )
    max_retries: int = field(
        default_factory=_env("REVIEW_PANEL_MAX_RETRIES", int, 2),
        metadata={
            "description": "Retries of a failed model request (429, 5xx, timeouts), "
            "with backoff that honours retry-after."
        },
    )
    max_output_tokens: int = field(
        default_factory=_env("REVIEW_PANEL_MAX_OUTPUT_TOKENS", int, 4096),
        metadata={"description": "Cap on the tokens one model answer may use."},
    )
    max_concurrency: int = field(
        default_factory=_env("REVIEW_PANEL_MAX_CONCURRENCY", int, 8),
        metadata={"description": "Model calls in flight at once across all specialists."},
    )
    verify: bool = field(
        default_factory=_env("REVIEW_PANEL_VERIFY", _bool, False),
        metadata={
            "description": "Verification pass (REVIEW_PANEL_VERIFY): one more model call per "
            "reviewed chunk with findings checks each against the code shown and drops the "
            "ones it refutes, with the reason in the draft's notes. Off by default."
        },
    )
    max_rps: float = field(
        default_factory=_env("REVIEW_PANEL_MAX_RPS", _number, 0.0),
        metadata={
            "description": "Most specialist model requests started per second, across all "
            "specialists of a review (REVIEW_PANEL_MAX_RPS); 0 means no limit."
        },
    )
    chunk_tokens: int = field(
        default_factory=_env("REVIEW_PANEL_CHUNK_TOKENS", int, 12000),
        metadata={
            "description": "Token budget of the diff shown in one specialist call; "
            "larger diffs are split per file and hunk, never truncated."
        },
    )
    mask_secrets: bool = field(
        default_factory=_env("REVIEW_PANEL_MASK_SECRETS", _bool, True),
        metadata={
            "description": "Mask well-known token formats in the diff before any text "
            "is sent to the model (the security reviewer still reports where they are)."
        },
    )
    # Noise control. Empty (None) means "not set for this run": the reviewed repository's
    # .review-panel.yaml decides, else the built-in default (services/noise.py).
    min_severity: Severity | None = field(
        default_factory=_env("REVIEW_PANEL_MIN_SEVERITY", Severity, None),
        metadata={
            "description": "Findings below this severity are left out of the draft "
            "(REVIEW_PANEL_MIN_SEVERITY). Empty: the repository's .review-panel.yaml, else low."
        },
    )
    min_confidence: float | None = field(
        default_factory=_env("REVIEW_PANEL_MIN_CONFIDENCE", _number, None),
        metadata={
            "description": "Findings the specialist is less sure of than this (0..1) are left "
            "out of the draft (REVIEW_PANEL_MIN_CONFIDENCE). Empty: the repository's "
            ".review-panel.yaml, else 0.5."
        },
    )
    max_inline_comments: int | None = field(
        default_factory=_env("REVIEW_PANEL_MAX_COMMENTS", int, None),
        metadata={
            "description": "Most inline comments a review posts; the rest are listed in the "
            "review body (REVIEW_PANEL_MAX_COMMENTS). Empty: the repository's "
            ".review-panel.yaml, else 25."
        },
    )
    prices: dict[str, dict[str, float]] = field(
        default_factory=_env("REVIEW_PANEL_PRICES", _json_object, _NO_PRICES),
        metadata={
            "description": "Model prices in USD per million tokens, e.g. "
            '{"my-model": {"input": 0.5, "output": 1.5}} (REVIEW_PANEL_PRICES, JSON); they '
            "add to the built-in OpenAI table, which applies only when base_url is empty."
        },
    )
    github_max_wait: float = field(
        default_factory=_env(GITHUB_MAX_WAIT_ENV, _number, 60.0),
        metadata={
            "description": "Longest wait, in seconds, for a GitHub rate limit before giving "
            "up with the time to retry (REVIEW_PANEL_GITHUB_MAX_WAIT)."
        },
    )
    repo: str | None = field(
        default_factory=_env("REVIEW_PANEL_REPO", str, None),
        metadata={
            "description": "For a local diff: the repository folder at the reviewed head, "
            "whose files widen each hunk to its enclosing function and give the guidelines "
            "(REVIEW_PANEL_REPO, --repo). Empty: the git working tree around the current "
            "directory, when its files match the diff."
        },
    )
    github_api_url: str = field(
        default_factory=_env("GITHUB_API_URL", str, DEFAULT_GITHUB_API_URL),
        metadata={
            "description": "GitHub REST API base (GITHUB_API_URL); for GitHub Enterprise "
            "https://HOST/api/v3."
        },
    )

    def __post_init__(self) -> None:
        if self.structured_output not in STRUCTURED_OUTPUT_METHODS:
            raise ConfigError(
                f"structured output method {self.structured_output!r} is not one of "
                f"{', '.join(STRUCTURED_OUTPUT_METHODS)} (REVIEW_PANEL_STRUCTURED_OUTPUT)"
            )
        if self.min_severity is not None:
            try:
                self.min_severity = Severity(self.min_severity)
            except ValueError:
                raise ConfigError(
                    f"min_severity {self.min_severity!r} is not one of "
                    f"{', '.join(s.value for s in Severity)} (REVIEW_PANEL_MIN_SEVERITY)"
                ) from None
        if self.min_confidence is not None and not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(
                "min_confidence must be between 0 and 1 (REVIEW_PANEL_MIN_CONFIDENCE)"
            )
        if self.max_inline_comments is not None and self.max_inline_comments < 0:
            raise ConfigError("max_inline_comments must be >= 0 (REVIEW_PANEL_MAX_COMMENTS)")
        _check_prices(self.prices)
        self.prices = dict(self.prices)  # never the shared empty default
        self._check_numbers()
        if not self.base_url:
            self.base_url = None
        problem = url_problem(self.base_url, credentials_allowed=True) if self.base_url else ""
        if problem:
            raise ConfigError(f"OPENAI_BASE_URL (base_url) {problem}")
        problem = url_problem(self.github_api_url, credentials_allowed=False)
        if problem:
            raise ConfigError(f"GITHUB_API_URL (github_api_url) {problem}")

    def _check_numbers(self) -> None:
        """Every number is finite and in range; the message names the setting."""
        for name, env in (
            ("max_concurrency", "REVIEW_PANEL_MAX_CONCURRENCY"),
            ("chunk_tokens", "REVIEW_PANEL_CHUNK_TOKENS"),
            ("max_output_tokens", "REVIEW_PANEL_MAX_OUTPUT_TOKENS"),
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1 ({env})")
        if self.max_retries < 0:
            raise ConfigError("max_retries must be 0 or more (REVIEW_PANEL_MAX_RETRIES)")
        if not _finite(self.timeout) or self.timeout <= 0:
            raise ConfigError(
                "timeout must be a finite number of seconds > 0 (REVIEW_PANEL_TIMEOUT)"
            )
        if not _finite(self.temperature) or not 0 <= self.temperature <= MAX_TEMPERATURE:
            raise ConfigError(
                f"temperature must be a number from 0 to {MAX_TEMPERATURE:g} "
                "(REVIEW_PANEL_TEMPERATURE)"
            )
        if not _finite(self.max_rps) or (self.max_rps != 0 and self.max_rps < MIN_RPS):
            raise ConfigError(
                f"max_rps must be 0 (no limit) or at least {MIN_RPS:g} requests per second "
                "(REVIEW_PANEL_MAX_RPS)"
            )
        if not _finite(self.github_max_wait) or self.github_max_wait < 0:
            raise ConfigError(
                f"github_max_wait must be a finite number of seconds >= 0 ({GITHUB_MAX_WAIT_ENV})"
            )

    @classmethod
    def from_overrides(cls, **overrides: Any) -> Context:
        """Environment defaults with the given non-None values on top (CLI flags)."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**{k: v for k, v in overrides.items() if v is not None})


def github_max_wait() -> float:
    """``REVIEW_PANEL_GITHUB_MAX_WAIT`` as validated for a context (for code without one)."""
    wait = float(_env(GITHUB_MAX_WAIT_ENV, _number, 60.0)())
    if wait < 0:
        raise ConfigError(f"{GITHUB_MAX_WAIT_ENV} must be a number of seconds >= 0")
    return wait


def resolve(context: Context | dict[str, Any] | None) -> Context:
    """The context a node should use: what the run was given, or environment defaults."""
    if isinstance(context, Context):
        return context
    if isinstance(context, dict):
        return Context.from_overrides(**context)
    return Context()


def require_model_config(context: Context) -> None:
    """Fail early, with what to set, when no model endpoint is configured at all."""
    if not os.environ.get("OPENAI_API_KEY") and not context.base_url:
        raise ConfigError(
            "no model configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL "
            "(e.g. http://localhost:8080/v1) for another OpenAI-compatible server"
        )
