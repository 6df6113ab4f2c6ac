"""The CLI's async work: compile the graph with a checkpointer and drive one thread.

Runs use ``durability="sync"``: every step is on disk before the next begins, so a process
killed at any point leaves a thread that ``resume`` or ``approve`` finishes without repeating
completed model calls.
"""

from __future__ import annotations

import gc
import json
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from graph import settings
from graph.context import Context, require_model_config
from graph.errors import (
    ConfigError,
    DecisionError,
    GitHubPostError,
    ModelError,
    PartlyReviewedError,
    ThreadError,
)
from graph.threads import CRASHED, FAILED, PAUSED, STARTED_WITH, WRITTEN, ThreadInfo


@dataclass
class Session:
    app: Any
    checkpointer: Any
    db: str


@asynccontextmanager
async def open_session(db_flag: str | None) -> AsyncIterator[Session]:
    """The compiled graph on the thread store that ``db_flag`` (or the environment) names.

    The imports here (LangGraph, LangChain, pydantic models by the hundred) leave some
    300,000 long-lived objects, and the cyclic collector would walk the growing heap again
    and again while they load: a fifth of start-up. It is off while they load; then they
    are frozen out of its sight (``gc.freeze``), so no later collection walks them either.
    """
    gc.disable()
    try:
        from graph.checkpointer import db_setting, open_checkpointer
        from graph.workflow import build_graph

        db = db_setting(db_flag)
        graph = build_graph()
    finally:
        gc.freeze()
        gc.enable()
    async with open_checkpointer(db) as saver:
        yield Session(graph.compile(checkpointer=saver), saver, db)


def run_config(
    thread_id: str, target: str | None = None, context: Context | None = None
) -> dict[str, Any]:
    """The run config of one thread; a new thread also records its label and settings.

    The settings go into the run's metadata (a JSON string: metadata keeps only plain
    values) so that a thread stopped before ``fetch`` fixed them in state still resumes with
    them. No LangGraph ``max_concurrency`` here: the specialist nodes would hold its slots
    while their chunk calls wait for one; the context's ``max_concurrency`` limits the calls.
    """
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
    if target is not None:
        config["metadata"] = {"target": target}
    if context is not None:
        config.setdefault("metadata", {})[STARTED_WITH] = json.dumps(settings.snapshot(context))
    return config


def _thread_settings(info: ThreadInfo, **overrides: Any) -> tuple[Context, dict[str, Any]]:
    """The settings the thread runs with, and the state update that records ``overrides``
    (explicit options of the resuming command; empty when none changes anything)."""
    saved = info.values.get("settings") or info.started_with or None
    if saved is None:  # a thread from before settings were kept: this process's settings
        return Context.from_overrides(**overrides), {}
    new, changes = settings.change(saved, overrides)
    if changes:
        _err(f"settings changed for this thread: {'; '.join(changes)}")
    update = {"settings": new, "settings_changes": changes} if changes else {}
    return settings.restore(new), update


def _err(message: str) -> None:
    typer.echo(message, err=True)


async def _drive(session: Session, payload: Any, config: dict[str, Any], context: Context) -> None:
    """Run the graph, reporting each step on stderr as it finishes (``cli.progress``)."""
    from cli import progress

    async for mode, chunk in session.app.astream(
        payload, config, context=context, stream_mode=["updates", "custom"], durability="sync"
    ):
        if mode == "custom":  # waits, retries, a slow server: as they happen
            progress.event(chunk)
            continue
        for node, value in chunk.items():
            progress.step(node, value)


async def _info(session: Session, thread_id: str) -> ThreadInfo:
    from graph.threads import describe

    config = {"configurable": {"thread_id": thread_id}}
    snapshot = await session.app.aget_state(config)
    return describe(thread_id, snapshot)


def _print_info(info: ThreadInfo, as_json: bool) -> None:
    draft = info.values.get("draft")
    if as_json:
        data = info.as_json(full=True)
        data["cost"] = (draft or {}).get("cost")  # tokens and estimated USD per participant
        data["settings"] = info.values.get("settings") or info.started_with or None
        data["settings_changes"] = info.values.get("settings_changes", [])
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        return
    typer.echo(f"thread {info.thread_id}: {info.status} ({info.target})")
    if info.interrupt is not None:
        typer.echo("")
        typer.echo(info.interrupt.get("markdown", ""))
        if info.interrupt.get("error"):
            typer.echo(f"(last answer not accepted: {info.interrupt['error']})")
        if _moved_head_question(info):
            typer.echo(f"post:     review-panel approve {info.thread_id} --moved-head post")
            typer.echo(f"cancel:   review-panel approve {info.thread_id} --moved-head cancel")
            return
        typer.echo(f"approve:  review-panel approve {info.thread_id} [--edit FILE]")
        typer.echo(f"reject:   review-panel reject {info.thread_id} --reason TEXT")
        if _retryable(info):
            typer.echo(f"retry:    review-panel resume {info.thread_id}  (re-runs failed calls)")
    elif info.values.get("result"):
        result = info.values["result"]
        if result.get("url"):
            typer.echo(f"review: {result['url']}")
        typer.echo("")
        typer.echo(result.get("markdown", ""))
    elif info.values.get("rejection"):
        typer.echo(f"rejected: {info.values['rejection']}")
    elif info.status in (CRASHED, FAILED):
        if info.error:
            typer.echo(f"error: {info.error}")
        typer.echo(f"continue with: review-panel resume {info.thread_id}")
    if draft and "draft" not in (info.interrupt or {}):  # the approval pause shows it already
        _print_cost(draft)
    _print_settings(info)


def _print_settings(info: ThreadInfo) -> None:
    saved = info.values.get("settings") or info.started_with
    if not saved:
        return
    typer.echo(
        "settings (fixed when the review started; `review-panel resume "
        f"{info.thread_id} --OPTION VALUE` changes one): {', '.join(settings.describe(saved))}"
    )
    for change in info.values.get("settings_changes", []):
        typer.echo(f"  changed by a resuming command: {change}")


def _print_cost(draft: dict[str, Any]) -> None:
    from graph.contracts import CostEstimate
    from services.cost import summary_lines

    cost = CostEstimate.model_validate(draft.get("cost") or {})
    if cost.lines:
        typer.echo("usage and estimated cost:")
        for line in summary_lines(cost):
            typer.echo(f"  {line}")


def _check_outcome(info: ThreadInfo, strict: bool) -> None:
    """Exit 6 when nothing was reviewed; with ``strict``, exit 7 when part of it was not."""
    draft = info.values.get("draft") or {}
    if info.interrupt is None or "draft" not in info.interrupt:
        return  # not at the approval pause: nothing was drafted just now
    outcome = draft.get("outcome", "complete")
    retry = f"fix the cause, then `review-panel resume {info.thread_id}` re-runs the failed calls"
    failures = draft.get("failures") or []
    first = f" (first: {failures[0]})" if failures else ""
    if outcome == "failed":
        raise ModelError(f"no specialist produced a usable answer{first}; {retry}")
    if outcome == "partial" and strict:
        raise PartlyReviewedError(
            f"only part of the change was reviewed: {len(failures)} model call(s) failed"
            f"{first}; {retry}"
        )


async def review(
    target: str, db: str | None, *, as_json: bool, strict: bool = False, **overrides: Any
) -> None:
    from cli.inputs import read_target
    from cli.progress import default_model_warning
    from graph.checkpointer import thread_lease

    context = Context.from_overrides(**overrides)
    require_model_config(context)
    if warning := default_model_warning(context, overrides.get("model")):
        _err(warning)
    label, text = read_target(target, context.github_api_url)
    thread_id = uuid.uuid4().hex[:12]
    async with open_session(db) as session:
        _err(f"thread {thread_id}: reviewing {label}")
        # The same lease `resume` and `approve` take: a `resume` started while this review
        # still runs is refused, instead of making every model call a second time.
        async with thread_lease(session.db, thread_id):
            config = run_config(thread_id, label, context)
            await _drive(session, {"target": text}, config, context)
        info = await _info(session, thread_id)
    _print_info(info, as_json)
    _check_outcome(info, strict)


async def show(thread_id: str, db: str | None, *, as_json: bool) -> None:
    async with open_session(db) as session:
        info = await _info(session, thread_id)
    _print_info(info, as_json)


async def list_threads(db: str | None, *, as_json: bool) -> None:
    from graph.checkpointer import db_setting, open_checkpointer
    from graph.listing import stored_threads

    async with open_checkpointer(db_setting(db)) as saver:  # reads only what it shows
        infos = await stored_threads(saver)
    if as_json:
        sys.stdout.write(json.dumps([i.as_json() for i in infos], indent=2) + "\n")
        return
    if not infos:
        typer.echo("no reviews yet: start one with `review-panel review TARGET`")
    failed = [i for i in infos if i.status == FAILED]
    for i in infos:
        if i.status != FAILED:
            typer.echo(f"{i.thread_id}  {i.created[:19]:19}  {i.status:18}  {i.target}")
    if failed:
        typer.echo("")
        typer.echo("failed (`review-panel show THREAD` says why; `review-panel forget THREAD`):")
        for i in failed:
            typer.echo(f"{i.thread_id}  {i.created[:19]:19}  {(i.error or '')[:60]:60}  {i.target}")


def _require_paused(info: ThreadInfo) -> None:
    if info.status == PAUSED:
        return
    if info.status in ("posted", WRITTEN):
        url = (info.values.get("result") or {}).get("url")
        raise ThreadError(
            f"thread {info.thread_id} is already {info.status}" + (f": {url}" if url else "")
        )
    if info.status == "rejected":
        raise ThreadError(f"thread {info.thread_id} was rejected; start a new review")
    raise ThreadError(
        f"thread {info.thread_id} is not waiting for approval ({info.status}); "
        f"run `review-panel resume {info.thread_id}` first"
    )


def _approved_not_published(info: ThreadInfo) -> bool:
    """Approved, then stopped (a crash, or GitHub refusing) before the result was saved."""
    return info.status in (CRASHED, FAILED) and "approved" in info.values and bool(info.next)


def _moved_head_question(info: ThreadInfo) -> bool:
    return (info.interrupt or {}).get("question") == "head_moved"


async def decide(
    thread_id: str,
    db: str | None,
    decision: dict[str, Any],
    *,
    out: Path | None,
    as_json: bool,
    moved_head: str | None = None,
    fmt: str = "markdown",
) -> None:
    """Answer the paused thread: the approval decision, or what to do about a moved head."""
    from langgraph.types import Command
    from pydantic import ValidationError

    from graph.checkpointer import thread_lease
    from graph.contracts import ApprovalResponse

    response: dict[str, Any] = {"decisions": [decision]}
    try:
        ApprovalResponse.model_validate(response)
    except ValidationError as exc:
        raise DecisionError(f"invalid decision: {ApprovalResponse.problems(exc)}") from None
    async with open_session(db) as session:
        await _info(session, thread_id)  # an unknown thread fails here, before any lease
        # Status is judged under the lease: a thread another process is posting right now
        # looks "crashed", and the person must hear "busy", not "run resume".
        async with thread_lease(session.db, thread_id):
            info = await _info(session, thread_id)
            context, _ = _thread_settings(info)
            payload: Any
            if _approved_not_published(info):
                # The person already decided; the process stopped while publishing. Running
                # on from the last checkpoint publishes that decision (never twice: post
                # finds a review it already posted by its marker).
                if decision != {"type": "approve"}:
                    raise ThreadError(
                        f"thread {thread_id} was already approved when its process stopped; "
                        f"`review-panel approve {thread_id}` (no edit, verdict or reject) "
                        "publishes that approval"
                    )
                _err("publishing the approval given before the process stopped ...")
                payload = None
            else:
                _require_paused(info)
                if _moved_head_question(info):
                    if moved_head is None:
                        raise ThreadError(_moved_head_help(info))
                    response = {"moved_head": moved_head}
                payload = Command(resume=response)
            await _drive(session, payload, run_config(thread_id), context)
        info = await _info(session, thread_id)
    if info.status == PAUSED:
        refused = (info.interrupt or {}).get("refused")
        if refused:
            raise GitHubPostError(
                f"GitHub refused the review ({refused}); thread {thread_id} "
                "is waiting for approval again: `review-panel approve "
                f"{thread_id} --edit FILE` to change it, or `review-panel reject {thread_id}`"
            )
        if _moved_head_question(info) and "error" not in (info.interrupt or {}):
            raise ThreadError(_moved_head_help(info))
        reason = (info.interrupt or {}).get("error", "the decision was not accepted")
        raise DecisionError(f"{reason}; the thread is still waiting for approval")
    _finish(info, out, as_json, fmt)


def _moved_head_help(info: ThreadInfo) -> str:
    question = info.interrupt or {}
    return (
        f"{question.get('markdown', 'the pull request moved since the review')} Run "
        f"`review-panel approve {info.thread_id} --moved-head post` or `--moved-head cancel`"
    )


async def resume(
    thread_id: str, db: str | None, *, as_json: bool, strict: bool = False, **overrides: Any
) -> None:
    """Run a thread on, with the settings it started with and the ``overrides`` given."""
    from langgraph.types import Command

    from graph.checkpointer import thread_lease

    async with open_session(db) as session:
        await _info(session, thread_id)  # an unknown thread is reported before any lease
        async with thread_lease(session.db, thread_id):
            # Read under the lease: another process may have moved the thread on meanwhile.
            info = await _info(session, thread_id)
            context, changed = _thread_settings(info, **overrides)
            require_model_config(context)
            payload: Any = Command(update=changed) if changed else None  # on from where it was
            if info.status == PAUSED:
                if not _retryable(info):
                    raise ThreadError(
                        f"thread {thread_id} is waiting for approval: use `review-panel "
                        "approve` or `review-panel reject`"
                    )
                payload = Command(resume={"decisions": [{"type": "retry"}]}, update=changed)
                _err("re-running the specialist calls that failed ...")
            elif not info.next:
                raise ThreadError(
                    f"thread {thread_id} is finished ({info.status}): nothing to resume"
                )
            await _drive(session, payload, run_config(thread_id), context)
        info = await _info(session, thread_id)
    _print_info(info, as_json)
    _check_outcome(info, strict)


def _retryable(info: ThreadInfo) -> bool:
    configs = (info.interrupt or {}).get("review_configs") or [{}]
    return "retry" in configs[0].get("allowed_decisions", [])


def _finish(info: ThreadInfo, out: Path | None, as_json: bool, fmt: str = "markdown") -> None:
    from services.outputs import render_output

    result = info.values.get("result")
    if out is not None and result:
        try:
            out.write_text(render_output(fmt, info.values), encoding="utf-8")
        except OSError as exc:  # checked before publishing; this is a race with the disk
            raise ConfigError(
                f"the review was published, but --out {out} could not be written: "
                f"{exc.strerror or exc}; `review-panel show {info.thread_id}` prints it"
            ) from None
        _err(f"wrote {out} ({fmt})")
    _print_info(info, as_json)
