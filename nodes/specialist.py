"""A specialist: one narrow reviewer (security, performance, style, or any YAML-defined one).

The node reads the diff from state, splits the files it applies to into chunks (with the
settings ``fetch`` fixed in ``plan``) and reviews every chunk concurrently, each as a LangGraph
task (``services.review.review_one_chunk``): a task's result is saved as soon as it returns,
so a run that crashes mid-review resumes with only the unfinished calls. All specialists'
calls share one limiter (``services.limits``).
The prompt file is read anew for every run, so editing it changes the next review. Model
failures do not sink the review: the chunk reports ``failed`` with the reason, and the draft
says which files that specialist could not review.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from langgraph.runtime import Runtime

from graph.context import Context
from graph.contracts import Chunk, ChunkReport, Source
from graph.settings import thread_context
from graph.state import ReviewState, diff_text
from graph.steps import Node
from services import diff as diffs
from services import limits, widen
from services.prompts import SpecialistPrompt, load_specialist
from services.review import review_one_chunk, verifier_for


def make_specialist(name: str, prompts_dir: Path | None) -> Node:
    """The node for the specialist ``name``, defined by ``prompts/<file>.yaml``."""

    async def review(state: ReviewState, runtime: Runtime[Context]) -> ReviewState:
        context = thread_context(state, runtime)
        source = Source.model_validate(state["source"])
        # Off the event loop, in one hop: the other specialists' calls keep going out
        # meanwhile, and on a busy server each trip through the thread pool waits its turn.
        work = await asyncio.to_thread(_chunks_and_prompt, name, state, prompts_dir)
        if work is None:
            report = ChunkReport(
                specialist=name,
                chunk=0,
                paths=[],
                changed_lines=0,
                status="skipped",
                notes=["no file in this diff is for this reviewer"],
            )
            return {"reports": [report.model_dump(mode="json")]}
        chunks, prompt = work
        info = runtime.execution_info
        limiter = limits.shared(
            info.checkpoint_id if info else None, context.max_concurrency, context.max_rps
        )
        verifier = await verifier_for(context, prompts_dir)
        calls = [review_one_chunk(prompt, c, source, context, limiter, verifier) for c in chunks]
        return {"reports": list(await asyncio.gather(*calls))}

    review.__name__ = name
    return review


def _chunks_and_prompt(
    name: str, state: ReviewState, prompts_dir: Path | None
) -> tuple[list[Chunk], SpecialistPrompt] | None:
    """The chunks this specialist reviews and its prompt file; None if it has no chunk."""
    chunks = _chunks(name, state)
    return (chunks, load_specialist(name, prompts_dir)) if chunks else None


def _chunks(name: str, state: ReviewState) -> list[Chunk]:
    plan = state["plan"]
    filters = plan["filters"].get(name, {})
    files = diffs.parse(diff_text(state))
    chosen, _ = diffs.select(files, filters.get("include", []), filters.get("exclude", []))
    files_per_chunk = plan.get("chunk_files", 10**6)  # threads begun before the bound had none
    around = state.get("around") or {"lines": {}, "notes": []}
    return widen.annotate(
        diffs.chunk(chosen, plan["chunk_tokens"], files_per_chunk), around["lines"]
    )
