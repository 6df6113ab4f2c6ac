"""retry: re-run only the specialist calls that failed, then merge again.

Reached when the person answers the approval pause with ``{"type": "retry"}`` (or runs
``review-panel resume`` on a paused thread whose draft has failures). Reports of calls that
succeeded stay as they are, so nothing is paid for twice; each retried report replaces the
failed one (see ``graph.state.merge_reports``) and ``orchestrate`` writes a new draft.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.contracts import Chunk, ChunkReport, Source
from graph.settings import thread_context
from graph.state import ReviewState
from graph.steps import Node
from nodes.specialist import review_chunk
from services.prompts import load_specialist


def failed_tasks(state: ReviewState) -> list[ChunkReport]:
    reports = [ChunkReport.model_validate(r) for r in state.get("reports", [])]
    return [r for r in reports if r.status == "failed" and r.task is not None]


def make_retry(prompts_dir: Path | None) -> Node:
    async def retry(state: ReviewState, runtime: Runtime[Context]) -> ReviewState:
        context = thread_context(state, runtime)
        gate = asyncio.Semaphore(context.max_concurrency)

        async def again(report: ChunkReport) -> dict[str, Any]:
            assert report.task is not None
            async with gate:
                prompt = await asyncio.to_thread(load_specialist, report.specialist, prompts_dir)
                result = await review_chunk(
                    prompt,
                    Chunk.model_validate(report.task["chunk"]),
                    Source.model_validate(report.task["source"]),
                    context,
                )
            return result.model_dump(mode="json")

        return {"reports": list(await asyncio.gather(*map(again, failed_tasks(state))))}

    return retry
