"""fetch: turn the target into a diff, then send every specialist the chunks it applies to.

The fan-out happens here (a ``Command`` of ``Send``s) because only after reading the diff do we
know how many chunks each specialist gets. Each specialist always receives at least one task,
even if it is told there is nothing for it, so the join before ``orchestrate`` always fires.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import Command, Send

from graph.context import Context, resolve
from graph.contracts import Chunk, Source
from graph.errors import InputError
from graph.state import ReviewState, SpecialistTask
from services import diff as diffs
from services import injection
from services.prompts import load_roster
from services.pullref import parse_pull_ref


def make_fetch(roster: Sequence[str], prompts_dir: Path | None) -> Any:
    """A fetch node that fans out to the specialists named in ``roster``."""

    async def fetch(
        state: ReviewState, config: RunnableConfig, runtime: Runtime[Context]
    ) -> Command[Any]:
        context = resolve(runtime.context)
        target = state.get("target", "")
        ref = parse_pull_ref(target)
        if ref is not None:
            from services.github import fetch_pull  # imported only when a PR is reviewed

            source, text = await fetch_pull(ref, context)
        else:
            label = (config.get("metadata") or {}).get("target") or "local diff"
            source, text = Source(kind="local", label=str(label)), target
        if not text.strip():
            raise InputError("the target is empty: give a unified diff or owner/repo#123")
        files = diffs.parse(text)
        source.warnings.extend(injection.scan(files, source.title, source.body))
        prompts = {p.name: p for p in load_roster(prompts_dir)}
        sends: list[Send] = []
        skipped_by_all: dict[str, str] | None = None
        for name in roster:
            prompt = prompts.get(name)
            include = prompt.include if prompt else []
            exclude = prompt.exclude if prompt else []
            chosen, skipped = diffs.select(files, include, exclude)
            chunks = diffs.chunk(chosen, context.chunk_tokens) or [
                Chunk(index=0, paths=[], changed_lines=0, text="")
            ]
            for c in chunks:
                task = SpecialistTask(
                    chunk=c.model_dump(mode="json"), source=source.model_dump(mode="json")
                )
                sends.append(Send(name, task))
            if skipped_by_all is None:
                skipped_by_all = dict(skipped)
            else:
                skipped_by_all = {p: r for p, r in skipped_by_all.items() if p in skipped}
        update = {
            "source": source.model_dump(mode="json"),
            "diff": text,
            "skipped": {**(skipped_by_all or {}), **source.not_reviewed},
        }
        return Command(update=update, goto=sends)

    return fetch
