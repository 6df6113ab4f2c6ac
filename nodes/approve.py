"""approve: pause for a person, then turn their decision into the exact review to publish.

``interrupt()`` comes before anything of consequence: on resume LangGraph runs the node again
from the top, so nothing before it may have a side effect (nothing here has any at all; publishing
is ``post``'s job). The resume value is validated against ``ApprovalResponse`` and the draft;
a value of the wrong shape, or an edit naming a comment that does not exist, is answered with
a new interrupt carrying ``error``, so the thread stays paused and the person answers again.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.config import get_config
from langgraph.types import Command, interrupt
from pydantic import ValidationError

from graph import hitl
from graph.contracts import (
    ApprovalResponse,
    ApprovedComment,
    ApprovedReview,
    DraftReview,
    EditDecision,
    PublishDecision,
    RejectDecision,
    RetryDecision,
    ReviewComment,
    Source,
)
from graph.errors import DecisionError
from graph.state import ReviewState, failed_tasks
from services import body, render

ALLOWED_DECISIONS = ["approve", "edit", "reject"]


def approval_request(
    draft: DraftReview, source: Source, raw_draft: dict[str, Any], retryable: bool = False
) -> dict[str, Any]:
    """The interrupt payload: readable in Studio and the CLI, and following LangChain's HITL
    convention (``action_requests`` / ``review_configs``, one action per comment) so generic
    inbox UIs understand it and may answer one decision per action.

    It is kept small: LangGraph's server stores it, deep-copies it into its debug stream and
    returns it with every read of the thread, for every paused PR. ``how_to_answer`` shows
    each answer's shape; ``ApprovalResponse`` is the contract they are checked against."""
    markdown = render.draft_markdown(draft, source)
    allowed = ALLOWED_DECISIONS + (["retry"] if retryable else [])
    actions, configs = hitl.action_requests(draft, source, markdown, allowed)
    return {
        "action_requests": actions,  # the review, then one per comment (graph/hitl.py)
        "review_configs": configs,
        "markdown": markdown,
        "draft": raw_draft,
        "how_to_answer": {
            "approve": {"decisions": [{"type": "approve"}]},
            "edit": {
                "decisions": [
                    {
                        "type": "edit",
                        "summary": "new summary",
                        "verdict": "COMMENT",
                        "comments": {"<comment id>": "new text, or null to drop"},
                    }
                ]
            },
            "reject": {"decisions": [{"type": "reject", "message": "why"}]},
            "retry": {"decisions": [{"type": "retry"}]},
            "per_action": {
                "decisions": [
                    {"type": "approve"},
                    {
                        "type": "edit",
                        "edited_action": {
                            "name": hitl.COMMENT_ACTION,
                            "args": {"body": "new text"},
                        },
                    },
                    {"type": "reject", "message": "drops this comment"},
                ]
            },
        },
    }


async def approve(state: ReviewState) -> Command[Literal["post", "retry", "__end__"]]:
    draft = DraftReview.model_validate(state["draft"])
    source = Source.model_validate(state["source"])
    payload = approval_request(draft, source, state["draft"], retryable=bool(failed_tasks(state)))
    if state.get("superseded_by"):  # a newer head of the PR has its own draft
        payload["superseded_by"] = state["superseded_by"]
        payload["markdown"] = (
            f"> **Superseded**: the pull request has a newer head, reviewed in thread "
            f"{state['superseded_by']}. This draft can no longer be approved by command.\n\n"
            + payload["markdown"]
        )
    if state.get("refused"):  # post came back: GitHub would not take the approved review
        payload["refused"] = state["refused"]
        payload["error"] = (
            f"GitHub refused the approved review: {state['refused']}. Approve it again "
            "(with --edit to change it) or reject it"
        )
    thread_id = get_config().get("configurable", {}).get("thread_id")
    while True:
        # An answer that does not fit is not an exception: the node asks again, with the
        # reason, so the thread stays paused (in the CLI and in Studio) and nothing is lost.
        # On resume LangGraph replays earlier answers to earlier interrupts in order.
        answer = interrupt(payload)
        try:
            decision = ApprovalResponse.model_validate(hitl.to_response(answer, draft)).decision
            if isinstance(decision, RejectDecision):
                return Command(update={"rejection": decision.message}, goto="__end__")
            if isinstance(decision, RetryDecision):
                if not failed_tasks(state):
                    raise DecisionError("there is nothing to retry: no specialist call failed")
                return Command(goto="retry")
            approved = apply_decision(draft, decision, thread_id)
        except (ValidationError, DecisionError) as exc:
            payload = {**payload, "error": f"answer not accepted: {_reason(exc)}"}
            continue
        update = {"approved": approved.model_dump(mode="json"), "refused": None}
        return Command(update=update, goto="post")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return ApprovalResponse.problems(exc)
    return str(exc)


def apply_decision(
    draft: DraftReview, decision: PublishDecision, thread_id: str | None = None
) -> ApprovedReview:
    """The review to publish: the draft with the person's edits and verdict applied.

    Every kept comment keeps its id, place and anchor; its words are the person's where they
    edited it. The review body (summary, comments that are not inline, gaps) is rendered
    here, once, so what the digest covers is exactly what ``post`` sends.
    """
    edits: dict[str, str | None] = {}
    summary = draft.summary
    # The drafted summary is model text: escaped for the published markdown. A person's own
    # summary is published as they wrote it.
    summary_markdown = render.safe(summary, multiline=True)
    if isinstance(decision, EditDecision):
        known = {c.id for c in draft.comments}
        unknown = sorted(set(decision.comments) - known)
        if unknown:
            raise DecisionError(
                f"the edit names comment(s) {', '.join(unknown)} that are not in the draft; "
                f"known ids: {', '.join(sorted(known)) or 'none'}"
            )
        edits = decision.comments
        if decision.summary is not None:
            summary = summary_markdown = decision.summary
    comments = []
    for c in draft.comments:
        if c.id not in edits:
            comments.append(approved_comment(c))
            continue
        words = edits[c.id]
        if words is not None and words.strip():
            comments.append(approved_comment(c, words))
        # else: the person dropped it
    return ApprovedReview(
        event=decision.verdict or draft.verdict,
        summary=summary,
        body=body.review_body(
            summary_markdown,
            [c for c in comments if not c.inline],
            draft.failures,
            cap=draft.noise.max_inline_comments if draft.noise else None,
            full_list=f"`review-panel show {thread_id or 'THREAD'} --json`",
            left_out=draft.left_out,
        ),
        comments=comments,
        decision=decision.type,
    )


def approved_comment(c: ReviewComment, edit: str | None = None) -> ApprovedComment:
    """A draft comment as approved: drafted words, or the person's ``edit`` of them."""
    text = edit.strip() if edit is not None else render.plain_text(c)
    # Drafted words are model text: the body's list item escapes them (an inline comment's
    # body was rendered safe by orchestrate). A person's edit is published as they wrote it.
    drafted = c.body if c.anchor is not None else render.safe(text)
    body = edit if edit is not None else drafted
    return ApprovedComment(
        id=c.id,
        path=c.path,
        start_line=c.start_line,
        end_line=c.end_line,
        side=c.side,
        severity=c.severity,
        category=c.category,
        title=c.title,
        specialists=list(dict.fromkeys(p.specialist for p in c.perspectives)),
        body=body,
        text=text,
        edited=edit is not None,
        anchor=c.anchor,
        in_body=None if c.anchor is not None else (c.in_body or "off_diff"),
    )
