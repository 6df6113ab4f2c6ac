"""Run one review the way the CLI does, against loopback servers, and measure it.

The graph is compiled and driven exactly as ``cli.session`` does (same checkpointer, same run
config, ``durability="sync"``), but in this process, so a benchmark can time it, read the
model server's request log and measure the checkpoint file afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import github_server
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer

GITHUB_TOKEN = "ghp_BenchTokenNotASecret0123456789abcd"
_SETTINGS = ("OPENAI_", "REVIEW_PANEL_", "GITHUB_", "LANGSMITH_", "LANGCHAIN_")


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Only ``values`` among the settings the reviewer reads; the old environment after."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith(_SETTINGS)]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _no_nagle() -> Iterator[None]:
    """Answer GitHub requests without Nagle's delay, as production servers do.

    The loopback GitHub server writes headers and body separately on keep-alive connections,
    so each answer waits ~40 ms for the client's delayed ACK: an artefact of the test server
    (api.github.com sets TCP_NODELAY) that would be charged to the reviewer here.
    """
    handler = github_server._Handler
    before = handler.disable_nagle_algorithm
    handler.disable_nagle_algorithm = True
    try:
        yield
    finally:
        handler.disable_nagle_algorithm = before


@contextlib.contextmanager
def servers(latency: float) -> Iterator[tuple[ModelServer, GitHubServer]]:
    """The rule-based model with ``latency`` seconds per call, and a GitHub server."""
    with (
        _no_nagle(),
        ModelServer(answer, latency=latency, keep_alive=True) as model,
        GitHubServer(token=GITHUB_TOKEN) as github,
        environment(
            {
                "OPENAI_BASE_URL": model.base_url,
                "OPENAI_API_KEY": "sk-bench-not-a-key",
                "REVIEW_PANEL_MAX_RETRIES": "0",
                "GITHUB_API_URL": github.base_url,
                "GITHUB_TOKEN": GITHUB_TOKEN,
                "LANGSMITH_TRACING": "false",
            }
        ),
    ):
        yield model, github


@dataclass
class Run:
    """One review: how long it took and what it left behind."""

    to_draft: float  # seconds from start until the draft waits for approval
    total: float  # ... until the approved review was published
    values: dict[str, Any]
    db_bytes: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def draft(self) -> dict[str, Any]:
        return dict(self.values.get("draft") or {})

    def findings_bytes(self) -> int:
        findings = [f for r in self.values.get("reports", []) for f in r.get("findings", [])]
        return len(json.dumps(findings).encode())


def db_bytes(path: Path) -> int:
    """The checkpoint database on disk: the file plus any WAL and shared-memory files."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


async def review(target: str, db: Path, approve: bool = True, **overrides: Any) -> Run:
    """Review ``target`` as ``review-panel review`` would, then approve it as drafted."""
    from langgraph.types import Command

    from cli.session import open_session, run_config
    from graph.context import Context

    context = Context.from_overrides(**overrides)
    thread = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    async with open_session(str(db)) as session:
        config = run_config(thread, "bench", context)
        async for _ in session.app.astream(
            {"target": target}, config, context=context, durability="sync"
        ):
            pass
        to_draft = time.perf_counter() - started
        if approve:
            resume: Command[Any] = Command(resume={"decisions": [{"type": "approve"}]})
            async for _ in session.app.astream(
                resume, run_config(thread), context=context, durability="sync"
            ):
                pass
        total = time.perf_counter() - started
        snapshot = await session.app.aget_state({"configurable": {"thread_id": thread}})
    return Run(to_draft, total, dict(snapshot.values), db_bytes(db))
