"""fetch: turn the target into a diff, decide who reads which file, and start every specialist.

Every specialist node runs next, in one superstep, reading the diff from state and reviewing
each of its chunks as a durable task (see ``nodes/specialist.py``). Nothing large goes into a
``Send``: its payload is stored twice (as this node's writes and in the next checkpoint), so
a chunk per payload would store the diff about twice per specialist.

What fetch records is small: the PR's metadata, the settings every specialist chunks with
(``Plan``), and for each file no specialist reads, or some do not, who skipped it and why.
A pull request's diff is kept in state once; a local diff already is the target.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from graph import settings
from graph.context import Context
from graph.contracts import Source
from graph.errors import ConfigError, GitHubError, InputError
from graph.state import Around, Plan, ReviewState
from graph.steps import FanOut
from services import diff as diffs
from services import guidelines, injection, model, widen
from services.model import ModelChoice
from services.prompts import load_roster
from services.pullref import parse_pull_ref


def make_fetch(roster: Sequence[str], prompts_dir: Path | None) -> FanOut:
    """A fetch node that starts the specialists named in ``roster``."""

    async def fetch(state: ReviewState, runtime: Runtime[Context]) -> Command[Any]:
        context = settings.thread_context(state, runtime)
        config = get_config()
        _check_run_concurrency(config, len(roster))
        # The model client is built meanwhile, in a worker thread (see services.model.warm).
        warming = asyncio.ensure_future(
            model.warm(context, ModelChoice(context.model, context.temperature))
        )
        warming.add_done_callback(lambda t: t.cancelled() or t.exception())  # never unread
        target = state.get("target", "")
        ref = parse_pull_ref(target)
        if ref is not None:
            from services.github import fetch_pull  # imported only when a PR is reviewed

            source, text = await fetch_pull(ref, context)
            if state.get("since"):
                narrowed, posted = await _incremental(source, str(state["since"]))
                text = narrowed or text
        else:
            label = (config.get("metadata") or {}).get("target") or "local diff"
            source, text = Source(kind="local", label=str(label)), target
        if not text.strip():
            raise InputError("the target is empty: give a unified diff or owner/repo#123")
        # The CPU work (reading the prompt files, parsing, scanning, rendering) runs off the
        # event loop, which LangGraph's server shares with other runs: in one hop, since on
        # a busy server each trip through the thread pool waits its turn.
        plan, warnings, skipped = await asyncio.to_thread(
            _plan_and_prepare, text, source, roster, prompts_dir, context.chunk_tokens
        )
        source.warnings.extend(warnings)
        # parse() keeps the last parses: this is the diff _prepare just parsed.
        around = await beyond_the_hunk(source, diffs.parse(text), context.repo)
        update: dict[str, Any] = {
            "settings": settings.snapshot(context),  # fixed for the thread from here on
            "source": source.model_dump(mode="json"),
            "plan": plan,
            "skipped": {**who_skipped(skipped), **source.not_reviewed},
            "around": around,
        }
        if ref is not None:
            update["diff"] = text
            if state.get("since"):
                update["posted"] = posted
        with contextlib.suppress(Exception):  # a client that cannot be built fails its calls
            await warming
        return Command(update=update, goto=list(roster))

    return fetch


async def _incremental(source: Source, since: str) -> tuple[str | None, list[dict[str, str]]]:
    """The diff since the earlier posted head (None: review it all), and what was posted."""
    from services import incremental

    diff, note = await incremental.since(source, since)
    if diff is not None:
        source.compared_to = since
    source.warnings.append(note)
    return diff, await incremental.posted(source)


def _plan_and_prepare(
    text: str, source: Source, roster: Sequence[str], prompts_dir: Path | None, chunk_tokens: int
) -> tuple[Plan, list[str], dict[str, dict[str, str]]]:
    """The plan every specialist chunks with (its files' filters from its prompt file), and
    ``_prepare``'s warnings and skipped files."""
    prompts = {p.name: p for p in load_roster(prompts_dir)}
    plan = Plan(
        chunk_tokens=chunk_tokens,
        chunk_files=diffs.FILES_PER_CHUNK,
        filters={
            name: {
                "include": list(prompts[name].include) if name in prompts else [],
                "exclude": list(prompts[name].exclude) if name in prompts else [],
            }
            for name in roster
        },
    )
    return (plan, *_prepare(text, source, plan))


def _prepare(text: str, source: Source, plan: Plan) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Parse the diff, scan it for injection, and render what the specialists will read.

    Returns the approver's warnings and, per specialist, the files it skips and why. Every
    file some specialist reads is rendered here, once (``services.diff`` keeps it with the
    parsed file), so the specialists, which start together next, only group files into
    chunks and all send their first calls at once instead of one after another.
    """
    files = diffs.parse(text)
    warnings = injection.scan(files, source.title, source.body)
    skipped: dict[str, dict[str, str]] = {}
    read: dict[str, diffs.FileChange] = {}
    for name, f in plan["filters"].items():
        chosen, skipped[name] = diffs.select(files, f["include"], f["exclude"])
        read.update((c.path, c) for c in chosen)
    diffs.prerender(read.values(), plan["chunk_tokens"])
    return warnings, skipped


async def beyond_the_hunk(
    source: Source, files: list[diffs.FileChange], repo: str | None
) -> Around:
    """The code around each hunk at the head, and the repository's guidelines at the base
    (into ``source.guidelines``). Neither is worth failing a review for: a read that fails
    is a note."""
    lines: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    try:
        if source.kind == "github":
            # Both at once: one round trip to GitHub before the specialists start, not two.
            (lines, notes), (source.guidelines, more) = await asyncio.gather(
                widen.gather(source, files, repo), guidelines.read(source, files, repo)
            )
        else:
            lines, notes = await widen.gather(source, files, repo)
            more = []
            # A local diff without --repo: the working tree here is the repository only if
            # its files matched the diff.
            if repo or lines:
                source.guidelines, more = await guidelines.read(source, files, repo)
        notes += more
    except (GitHubError, OSError) as exc:
        notes.append(f"the code around the hunks or the guidelines could not be read: {exc}")
    return Around(lines=lines, notes=notes)


def who_skipped(skipped: dict[str, dict[str, str]]) -> dict[str, str]:
    """path -> why, for every file at least one specialist does not read.

    A file nobody reads keeps its reason as it is ("binary file"); a file some read says who
    did not, so the coverage never leaves a gap unexplained.
    """
    names = list(skipped)
    paths = dict.fromkeys(p for by_one in skipped.values() for p in by_one)
    out: dict[str, str] = {}
    for path in paths:
        reasons = {n: skipped[n][path] for n in names if path in skipped[n]}
        distinct = set(reasons.values())
        if len(reasons) == len(names) and len(distinct) == 1:
            out[path] = distinct.pop()
            continue
        by_reason: dict[str, list[str]] = {}
        for name, why in reasons.items():
            by_reason.setdefault(why, []).append(name)
        parts = [f"not reviewed by {', '.join(who)}: {why}" for why, who in by_reason.items()]
        readers = [n for n in names if n not in reasons]
        tail = f" (reviewed by {', '.join(readers)})" if readers else ""
        out[path] = "; ".join(parts) + tail
    return out


def _check_run_concurrency(config: RunnableConfig, specialists: int) -> None:
    """Refuse a run-config ``max_concurrency`` that would stall the specialists.

    LangGraph counts a specialist node as one of those tasks for as long as its chunk calls
    run, and the calls need slots too: with ``max_concurrency`` <= the number of specialists
    no call could ever start. Our own limit is the context's ``max_concurrency``.
    """
    limit = config.get("max_concurrency")
    if limit is not None and limit <= specialists:
        raise ConfigError(
            f"the run config's max_concurrency={limit} would stall the {specialists} "
            "specialists (each holds a slot while its calls wait for one): leave it unset "
            "and set the context's max_concurrency (REVIEW_PANEL_MAX_CONCURRENCY) instead"
        )
