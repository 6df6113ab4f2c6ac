"""post: publish the approved review, exactly once.

For a pull request the review goes to GitHub with its inline comments; ``services.github``
finds a review this thread already posted by its marker, so a retry, or a crash after the
request and before the checkpoint, never posts twice. If the PR's head moved since the review,
the node asks the person (an interrupt, before anything is written) whether to post on the
reviewed commit or cancel. A review GitHub refuses (a 422, a body over its limit) does not
fail the thread: it goes back to the approval pause with the reason, to be edited or
rejected. The check reads GitHub before that interrupt, and the node runs
again from its top when the person answers, so the read is a LangGraph task (``head_seen``):
its answer is checkpointed, and the resumed node gets back the head the question named, not
whatever GitHub says a second time. For a local diff the final review is kept in state as
markdown; the CLI prints it and writes ``--out``.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.config import get_config
from langgraph.func import task
from langgraph.types import Command, interrupt

from graph.contracts import ApprovedReview, PostResult, Source
from graph.state import ReviewState
from services import render

MOVED_HEAD_CHOICES = ("post", "cancel")


async def post(state: ReviewState) -> Command[Literal["approve", "__end__"]]:
    """Publish; a review GitHub refuses goes back to the approval pause with the reason."""
    from graph.errors import GitHubPostError

    try:
        update = await _publish(state)
    except GitHubPostError as exc:
        return Command(update={"refused": str(exc)}, goto="approve")  # graph.steps.APPROVE
    return Command(update=update, goto="__end__")


async def _publish(state: ReviewState) -> ReviewState:
    approved = ApprovedReview.model_validate(state["approved"])
    source = Source.model_validate(state["source"])
    markdown = render.final_markdown(approved, source)
    if source.kind == "local":
        result = PostResult(destination="local", markdown=markdown)
        return {"result": result.model_dump(mode="json")}

    from services.github import publish_review

    head = await head_seen(source)
    notes: list[str] = []
    if head != source.head_sha:
        if not _confirmed(source, head):
            return {"rejection": f"cancelled: {source.label} moved to {head[:12]} after the review"}
        notes.append(
            f"posted on the reviewed commit {str(source.head_sha)[:12]}, as asked, although "
            f"{source.label} had moved to {head[:12]}"
        )
    thread_id = str(get_config().get("configurable", {}).get("thread_id", "unknown"))
    result = await publish_review(source, approved, thread_id)
    result = result.model_copy(update={"markdown": markdown, "notes": notes + result.notes})
    return {"result": result.model_dump(mode="json")}


@task
async def head_seen(source: Source) -> str:
    """The PR's head as the moved-head check saw it; saved, so a resume asks nothing new."""
    from services.github import head_now

    return await head_now(source)


def _confirmed(source: Source, head: str) -> bool:
    """Ask whether to post on the reviewed commit although the PR has moved on."""
    message = (
        f"{source.label} moved from {str(source.head_sha)[:12]} to {head[:12]} since it was "
        "reviewed. Post the review on the reviewed commit, or cancel (and start a new review)?"
    )
    payload: dict[str, Any] = {
        "question": "head_moved",
        "markdown": message,
        "reviewed_sha": source.head_sha,
        "head_sha": head,
        "allowed_decisions": list(MOVED_HEAD_CHOICES),
        "how_to_answer": {c: {"moved_head": c} for c in MOVED_HEAD_CHOICES},
    }
    while True:
        answer = interrupt(payload)
        choice = answer.get("moved_head") if isinstance(answer, dict) else None
        if choice in MOVED_HEAD_CHOICES:
            return bool(choice == "post")
        payload = {
            **payload,
            "error": f"answer not accepted: expected {{'moved_head': "
            f"'post' | 'cancel'}}, got {answer!r}"[:300],
        }
