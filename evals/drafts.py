"""One diff through the real workflow, auto-approved: what both eval runners review with.

The graph is ``build_graph(prompts_dir)`` compiled with an in-memory checkpointer. The diff
goes in as a local target and nothing else does: no label, no file name, no description, so
the model sees what it would see for any user's diff ("Change under review: local diff").
No run-config ``max_concurrency`` is set: the context's limit bounds the model calls, and a
run-config one at or below the roster's size would stall every specialist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.context import Context
from graph.contracts import DraftReview


def compile_reviewer(prompts_dir: Path, specialists: str | None = None) -> Any:
    """The workflow for the roster in ``prompts_dir``, with an in-memory checkpointer.

    ``specialists`` names the roster (default: ``$REVIEW_PANEL_SPECIALISTS``, else every
    specialist file not marked optional)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from graph.workflow import build_graph

    return build_graph(prompts_dir, specialists).compile(checkpointer=InMemorySaver())


async def review_diff(app: Any, diff: str, thread_id: str, context: Context) -> DraftReview:
    """The draft for ``diff``, after approving it so the whole path runs.

    Raises ``ReviewPanelError`` when the review cannot be made at all.
    """
    from langgraph.types import Command

    config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
    await app.ainvoke({"target": diff}, config, context=context)
    approve: Command[Any] = Command(resume={"decisions": [{"type": "approve"}]})
    await app.ainvoke(approve, config, context=context)
    return DraftReview.model_validate((await app.aget_state(config)).values["draft"])
