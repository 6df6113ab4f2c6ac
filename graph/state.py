"""The review's state: what a caller supplies, and what the nodes write as the review moves on.

Values are JSON (the ``graph.contracts`` models dumped with ``mode="json"``) so that every
checkpointer can store them and LangGraph Studio can show them as they are. The field comments
name the contract each value follows.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

JSON = dict[str, Any]


def merge_reports(current: list[JSON], new: list[JSON]) -> list[JSON]:
    """Collect reports from parallel tasks; a retried task's report replaces its failed one."""
    keyed = {(r["specialist"], r["chunk"]): r for r in current}
    for report in new:
        keyed[(report["specialist"], report["chunk"])] = report
    return list(keyed.values())


class InputState(TypedDict):
    """All a caller supplies: a unified diff, or a pull request (``owner/repo#123`` or its URL)."""

    target: str


class SpecialistTask(TypedDict):
    """What ``fetch`` sends to one specialist for one chunk of the diff (a LangGraph ``Send``)."""

    chunk: JSON  # contracts.Chunk
    source: JSON  # contracts.Source


class ReviewState(InputState, total=False):
    """Everything the workflow knows about one review."""

    source: JSON  # contracts.Source: where the diff came from (local, or a PR's metadata)
    diff: str  # the unified diff exactly as fetched (CRLF kept, so line numbers match GitHub)
    skipped: dict[str, str]  # path -> why no specialist reviewed it
    reports: Annotated[list[JSON], merge_reports]  # contracts.ChunkReport, one per task
    draft: JSON  # contracts.DraftReview, written by orchestrate
    approved: JSON  # contracts.ApprovedReview, written by approve after a person said yes
    rejection: str  # the reason, when a person rejected the draft
    result: JSON  # contracts.PostResult, written by post
