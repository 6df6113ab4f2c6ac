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

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, get_args

from graph.contracts import Severity
from graph.errors import ConfigError

StructuredOutputMethod = Literal["json_schema", "function_calling", "json_mode"]
STRUCTURED_OUTPUT_METHODS: tuple[str, ...] = get_args(StructuredOutputMethod)

DEFAULT_GITHUB_API_URL = "https://api.github.com"

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


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


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
        default_factory=_env("REVIEW_PANEL_TEMPERATURE", float, 0.0),
        metadata={"description": "Sampling temperature for every model call."},
    )
    timeout: float = field(
        default_factory=_env("REVIEW_PANEL_TIMEOUT", float, 120.0),
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
    min_severity: Severity = field(
        default_factory=_env("REVIEW_PANEL_MIN_SEVERITY", Severity, Severity.LOW),
        metadata={"description": "Findings below this severity are left out of the draft."},
    )
    max_inline_comments: int = field(
        default_factory=_env("REVIEW_PANEL_MAX_COMMENTS", int, 25),
        metadata={
            "description": "Most inline comments a review posts; the rest are listed "
            "in the review body."
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
        self.min_severity = Severity(self.min_severity)
        for name in ("max_concurrency", "chunk_tokens", "max_output_tokens"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.max_retries < 0 or self.timeout <= 0:
            raise ConfigError("max_retries must be >= 0 and timeout > 0")
        if not self.base_url:
            self.base_url = None

    @classmethod
    def from_overrides(cls, **overrides: Any) -> Context:
        """Environment defaults with the given non-None values on top (CLI flags)."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**{k: v for k, v in overrides.items() if v is not None})


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
