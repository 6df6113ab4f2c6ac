"""post: publish the approved review, exactly once.

For a pull request the review goes to GitHub with its inline comments (``services.github``
finds a review it already posted for this thread by its marker, so a retry or a crash after
the request never posts twice). For a local diff the final review is kept in state as
markdown; the CLI prints it and writes ``--out``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from graph.context import Context, resolve
from graph.contracts import ApprovedReview, PostResult, Source
from graph.state import ReviewState
from services import render


async def post(
    state: ReviewState, config: RunnableConfig, runtime: Runtime[Context]
) -> dict[str, Any]:
    approved = ApprovedReview.model_validate(state["approved"])
    source = Source.model_validate(state["source"])
    markdown = render.final_markdown(approved, source)
    if source.kind == "local":
        result = PostResult(destination="local", markdown=markdown)
    else:
        from services.github import publish_review

        thread_id = str(config.get("configurable", {}).get("thread_id", "unknown"))
        result = await publish_review(source, approved, thread_id, resolve(runtime.context))
        result = result.model_copy(update={"markdown": markdown})
    return {"result": result.model_dump(mode="json")}
