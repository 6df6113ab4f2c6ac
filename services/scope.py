"""What a review actually covered: the difference between "found nothing" and "saw nothing".

A draft whose model calls all failed must never read like a clean review. ``outcome`` classes
a review as ``complete`` (every call answered), ``partial`` (some specialist call, or the
orchestrator, failed) or ``failed`` (no specialist produced a usable answer: nothing in the
draft comes from reading the change). ``statement`` says in one sentence what was and was not
reviewed, for the top of the summary, where a person and the PR's author both read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from graph.contracts import ChunkReport

Outcome = Literal["complete", "partial", "failed"]


def outcome(reports: Sequence[ChunkReport], orchestrator_failed: bool = False) -> Outcome:
    answered = [r for r in reports if r.status == "ok"]
    failed = [r for r in reports if r.status == "failed"]
    if failed and not answered:
        return "failed"
    if failed or orchestrator_failed:
        return "partial"
    return "complete"


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def statement(reports: Sequence[ChunkReport]) -> str:
    """One plain sentence on what was not reviewed; '' when every call answered."""
    failed: dict[str, set[str]] = {}
    complete: list[str] = []
    for r in reports:
        if r.status == "failed":
            failed.setdefault(r.specialist, set()).update(r.paths)
    for r in reports:
        if r.status == "ok" and r.specialist not in failed and r.specialist not in complete:
            complete.append(r.specialist)
    if not failed:
        return ""
    if outcome(reports) == "failed":
        return (
            "**Not reviewed:** no specialist produced a usable answer (every model call "
            "failed), so this draft says nothing about the change."
        )
    gaps = "; ".join(
        f"{name} did not review {len(failed[name])} file(s)" for name in sorted(failed)
    )
    done = f" Reviewed in full by {_names(sorted(complete))}." if complete else ""
    return f"**Only partly reviewed:** {gaps} (model calls failed).{done}"
