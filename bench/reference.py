"""The reference design, for comparison: each specialist reads the first 6,000 characters.

It makes one call per specialist on ``diff[:6000]`` (concurrently), then one orchestrator
call: the fastest a panel can be, and what most of a large PR costs it in coverage. The calls
go through the same client, prompts and server as the real reviewer's.
"""

from __future__ import annotations

import asyncio
import time

from graph.context import Context
from graph.contracts import SpecialistAnswer, SynthesisAnswer
from services import diff as diffs
from services.model import ModelChoice, call_structured
from services.prompts import active_roster, as_data, load_orchestrator

PREFIX = 6000


async def review(diff: str) -> float:
    """Seconds for the reference design to review ``diff``."""
    context = Context()
    choice = ModelChoice(context.model, context.temperature)
    started = time.perf_counter()
    data = as_data("diff", diff[:PREFIX])
    calls = [
        call_structured(
            context,
            choice,
            SpecialistAnswer,
            p.system,
            p.render_user(context="Change under review: bench", diff=data),
        )
        for p in active_roster(None)
    ]
    answers = await asyncio.gather(*calls)
    findings = "\n".join(f.model_dump_json() for answer, _ in answers for f in answer.findings)
    orchestrator = load_orchestrator(None)
    await call_structured(
        context,
        choice,
        SynthesisAnswer,
        orchestrator.system,
        orchestrator.render_user(
            context="Change under review: bench",
            findings=as_data("findings", findings or "none"),
            disagreements=as_data("disagreements", "none"),
            overlaps=as_data("overlaps", "none"),
        ),
    )
    return time.perf_counter() - started


def reviewable(diff: str) -> dict[str, set[tuple[str, int]]]:
    """specialist -> the added lines (path, new line) it applies to, as the panel selects."""
    files = diffs.parse(diff)
    out: dict[str, set[tuple[str, int]]] = {}
    for p in active_roster(None):
        chosen, _ = diffs.select(files, p.include, p.exclude)
        out[p.name] = {
            (f.path, line.target_line_no)
            for f in chosen
            for hunk in f.patched
            for line in hunk
            if line.is_added and line.target_line_no is not None
        }
    return out


def prefix_coverage(diff: str) -> float:
    """Share of (specialist, reviewable added line) pairs whose line is inside the prefix."""
    complete = diff[:PREFIX].count("\n")  # lines of the diff shown whole
    seen = {
        (f.path, line.target_line_no)
        for f in diffs.parse(diff)
        for hunk in f.patched
        for line in hunk
        if line.is_added and (line.diff_line_no or complete + 1) <= complete
    }
    wanted = reviewable(diff)
    total = sum(len(lines) for lines in wanted.values())
    return sum(len(lines & seen) for lines in wanted.values()) / total if total else 1.0
