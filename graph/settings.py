"""Run settings, fixed per thread: what a review started with is what its resumes run with.

LangGraph's run context is per run and not checkpointed: a ``resume``, an approval or a
retry would otherwise run with whatever the resuming process's environment (or Studio's form)
says, and a review started with ``--min-severity critical`` would come back from a retry at
``low``. So ``fetch`` writes the effective ``Context`` into state (``settings``), as it fixes
the chunking in ``plan``, and every later node reads it back from there (``thread_context``).

A resuming command changes a setting only when asked to explicitly: the CLI sends the new
values as a state update with its resume (``change``), and the change is recorded in
``settings_changes`` so that ``show`` can say which values are not the ones the thread
started with, and why.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from graph.context import Context, resolve
from graph.errors import ConfigError

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from graph.state import ReviewState

JSON = dict[str, Any]


def snapshot(context: Context) -> JSON:
    """The settings as JSON, to keep in the thread's state (no secret is a setting).

    A base URL may carry a user name and password (a proxy's basic auth): they are left out,
    like the API key, and ``restore`` takes them from the environment again.
    """
    data = {k: v.value if isinstance(v, Enum) else v for k, v in asdict(context).items()}
    if data.get("base_url"):
        data["base_url"] = _without_credentials(str(data["base_url"]))
    return data


def restore(saved: JSON | None) -> Context:
    """The settings a thread was fixed with; one added since it started takes its default."""
    if not saved:
        return Context()
    known = {f.name for f in fields(Context)}
    values = {k: v for k, v in saved.items() if k in known}
    if values.get("base_url"):
        values["base_url"] = _with_credentials(str(values["base_url"]))
    return Context(**values)


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _with_credentials(url: str) -> str:
    """``url`` with the environment's credentials when the environment names that endpoint."""
    from graph.context import _base_url

    configured = _base_url()
    if configured and _without_credentials(configured) == url:
        return configured
    return url


def thread_context(state: ReviewState, runtime: Runtime[Context]) -> Context:
    """What a node runs with: the thread's fixed settings, or (before ``fetch`` fixed them)
    the settings of the run that is starting it."""
    saved = state.get("settings")
    return restore(saved) if saved else resolve(runtime.context)


def change(saved: JSON | None, overrides: dict[str, Any]) -> tuple[JSON, list[str]]:
    """``saved`` with the explicitly given (non-None) ``overrides`` applied, validated, and
    one line per value that changed ("min_severity: critical -> low")."""
    known = {f.name for f in fields(Context)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(unknown)}")
    before = snapshot(restore(saved))
    given = {k: v for k, v in overrides.items() if v is not None}
    after = snapshot(Context(**{**before, **given}))  # validates the new values
    lines = [f"{k}: {before[k]} -> {after[k]}" for k in given if before[k] != after[k]]
    return after, lines


def describe(saved: JSON | None) -> list[str]:
    """``name=value`` for each setting, for a person (``show``)."""
    return [f"{k}={v}" for k, v in snapshot(restore(saved)).items()]
