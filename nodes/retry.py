"""retry: re-run only the specialist calls that failed, then merge again.

Reached when the person answers the approval pause with ``{"type": "retry"}`` (or runs
``review-panel resume`` on a paused thread whose draft has failures). Reports of calls that
succeeded stay as they are, so nothing is paid for twice; each retried report replaces the
failed one (see ``graph.state.merge_reports``) and ``orchestrate`` writes a new draft. The
calls take the specialists' own path (``services.review.review_one_chunk``): durable tasks
under the run's shared limiter.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from langgraph.runtime import Runtime

from graph.context import Context
from graph.contracts import Chunk, Source
from graph.settings import thread_context
from graph.state import ReviewState, failed_tasks
from graph.steps import Node
from services import limits
from services.prompts import load_specialist
from services.review import review_one_chunk, verifier_for


def make_retry(prompts_dir: Path | None) -> Node:
    async def retry(state: ReviewState, runtime: Runtime[Context]) -> ReviewState:
        # The specialists' own path: each call is a durable task (a crash during the retry
        # repeats only the calls that had not returned) under the run's shared limiter
        # (REVIEW_PANEL_MAX_CONCURRENCY and REVIEW_PANEL_MAX_RPS hold for retries too).
        context = thread_context(state, runtime)
        info = runtime.execution_info
        limiter = limits.shared(
            info.checkpoint_id if info else None, context.max_concurrency, context.max_rps
        )
        failed = failed_tasks(state)
        names = list(dict.fromkeys(r.specialist for r in failed))
        loaded = await asyncio.gather(
            *(asyncio.to_thread(load_specialist, n, prompts_dir) for n in names)
        )
        prompts = dict(zip(names, loaded, strict=True))
        verifier = await verifier_for(context, prompts_dir)
        calls = []
        for report in failed:
            assert report.task is not None
            chunk = Chunk.model_validate(report.task["chunk"])
            source = Source.model_validate(report.task["source"])
            prompt = prompts[report.specialist]
            calls.append(review_one_chunk(prompt, chunk, source, context, limiter, verifier))
        return {"reports": list(await asyncio.gather(*calls))}

    return retry
