"""The review's state: what a caller supplies, and what the nodes write as the review moves on.

Values are JSON (the ``graph.contracts`` models dumped with ``mode="json"``) so that every
checkpointer can store them and LangGraph Studio can show them as they are. The field comments
name the contract each value follows.

Size matters here, because a checkpointer stores state again at every step (SQLite stores
every channel's value in every checkpoint). The diff is the only large value, so it lives in
``DeltaChannel``s: the checkpoint keeps the write that set it (once) and LangGraph rebuilds the
value from that write when a node, ``get_state`` or a resume reads it, instead of copying the
megabytes into each of a review's checkpoints. Nothing else in state grows with the diff:
the specialists get their chunks by reading the diff, not as ``Send`` payloads (which are
stored twice: as the sender's writes and in the next checkpoint).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Annotated, Any, NotRequired

from langgraph.channels.delta import DeltaChannel
from typing_extensions import TypedDict  # pydantic (Studio's schemas) needs this one on 3.11

from graph.contracts import ChunkReport

JSON = dict[str, Any]


def merge_reports(current: list[JSON], new: list[JSON]) -> list[JSON]:
    """Collect reports from parallel tasks; a retried task's report replaces its failed one."""
    keyed = {(r["specialist"], r["chunk"]): r for r in current}
    for report in new:
        keyed[(report["specialist"], report["chunk"])] = report
    return list(keyed.values())


def latest(_: str, writes: Sequence[str]) -> str:
    """The reducer of a value that is set, not accumulated: the last write wins.

    Written as a ``DeltaChannel`` reducer (current value, batch of writes), which must give the
    same result however the writes are batched; taking the last one does.
    """
    return writes[-1]


class InputState(TypedDict):
    """All a caller supplies: a unified diff, or a pull request (``owner/repo#123`` or its URL).

    ``since`` (optional, pull requests only): a head of the PR whose review was posted; only
    what changed since it is reviewed, and findings already posted are not repeated.
    """

    target: str
    since: NotRequired[str]


class SpecialistTask(TypedDict):
    """One specialist call's input, kept on a failed report so a retry repeats just that call."""

    chunk: JSON  # contracts.Chunk
    source: JSON  # contracts.Source


class Plan(TypedDict):
    """How ``fetch`` divided the work, fixed for the whole thread.

    Each specialist chunks the diff itself with these settings, so a resumed run (even with
    edited prompt files or another ``REVIEW_PANEL_CHUNK_TOKENS``) makes exactly the chunks the
    interrupted run made, and LangGraph matches each to its saved result.
    """

    chunk_tokens: int
    filters: dict[str, dict[str, list[str]]]  # specialist -> {"include": [...], "exclude": [...]}
    # Most files per chunk (services.diff.FILES_PER_CHUNK); absent in threads begun before it.
    chunk_files: NotRequired[int]


class Around(TypedDict):
    """What ``fetch`` read beyond the diff (``services.widen``), bounded in size."""

    lines: dict[str, dict[str, str]]  # path -> {line number: text} around its hunks, at head
    notes: list[str]  # what could not be read, and where the guidelines came from


class ReviewState(TypedDict, total=False):
    """Everything the workflow knows about one review."""

    # The input: a diff, or a PR reference. Stored once, however many steps follow.
    target: Annotated[str, DeltaChannel(latest, str)]
    source: JSON  # contracts.Source: where the diff came from (local, or a PR's metadata)
    # A pull request's diff exactly as fetched (CRLF kept, so line numbers match GitHub);
    # empty for a local diff, which is ``target`` itself. Read it with ``diff_text``.
    diff: Annotated[str, DeltaChannel(latest, str)]
    plan: Plan  # written by fetch: how the specialists chunk the diff
    # The run settings (graph.context.Context as JSON), fixed by fetch when the thread starts
    # and read back by every later node (graph.settings); changed only by an explicit option
    # of a resuming command, each change recorded as "name: old -> new".
    settings: JSON
    settings_changes: Annotated[list[str], operator.add]
    skipped: dict[str, str]  # path -> which specialists did not review it, and why
    around: Around  # written by fetch: code around the hunks (bounded), for the specialists
    reports: Annotated[list[JSON], merge_reports]  # contracts.ChunkReport, one per chunk
    draft: JSON  # contracts.DraftReview, written by orchestrate
    approved: JSON  # contracts.ApprovedReview, written by approve after a person said yes
    # Why GitHub refused the approved review: post sends the thread back to the approval
    # pause with it, so the person can edit or reject instead of the thread failing.
    refused: str | None
    rejection: str  # the reason, when a person rejected the draft
    result: JSON  # contracts.PostResult, written by post
    # Incremental reviews (team service): the earlier posted head, and what was posted then.
    since: str
    posted: list[dict[str, str]]  # services.incremental.PostedKey, one per posted comment
    # The thread of a newer head of the same PR; set on a paused draft it replaces, which
    # then cannot be approved by command (team/handler.py).
    superseded_by: str | None


def diff_text(state: ReviewState) -> str:
    """The diff under review: the fetched PR diff, or the local diff given as the target."""
    return state.get("diff") or state.get("target", "")


def failed_tasks(state: ReviewState) -> list[ChunkReport]:
    """The reports of calls that failed and can be retried (they carry their task)."""
    reports = [ChunkReport.model_validate(r) for r in state.get("reports", [])]
    return [r for r in reports if r.status == "failed" and r.task is not None]
