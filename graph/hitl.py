"""LangChain's human-in-the-loop shape for the approval interrupt: one action per comment.

The interrupt's ``action_requests`` hold one action for the review as a whole
(``post_review``: target, summary, verdict) and then one per comment, in the draft's order
(``review_comment``: id, path, line, severity, body), with ``review_configs`` naming the
decisions each allows. That is the shape LangChain's ``HumanInTheLoopMiddleware`` uses, so
generic interrupt UIs (Agent Chat UI, Agent Inbox) can show and answer a draft.

Such a UI answers with one decision per action, in the same order::

    {"decisions": [
        {"type": "approve"},                                   # the review: post it
        {"type": "edit", "edited_action": {"name": "review_comment",
                                           "args": {..., "body": "new words"}}},
        {"type": "reject", "message": "noise"},                # this comment: drop it
    ]}

On the review's action, ``edit`` changes ``summary`` and ``verdict`` and ``reject`` rejects
the whole review (the comments' decisions then do not matter). On a comment, ``approve``
keeps it, ``edit`` posts ``edited_action.args.body`` instead (nothing else of a comment can be
edited) and ``reject`` drops it. ``to_response`` turns that into today's single decision
(``ApprovalResponse``), which keeps working as it is; anything that does not fit the draft is
a ``DecisionError`` naming the action, so the thread stays paused with the reason.
"""

from __future__ import annotations

from typing import Any

from graph.contracts import DraftReview, Source
from graph.errors import DecisionError

REVIEW_ACTION = "post_review"
COMMENT_ACTION = "review_comment"
COMMENT_DECISIONS = ["approve", "edit", "reject"]  # keep, reword, drop
COMMENT_ARGS = ("id", "path", "line", "severity", "body")


def action_requests(
    draft: DraftReview, source: Source, markdown: str, allowed: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(action_requests, review_configs)``: the review first, then each comment."""
    actions: list[dict[str, Any]] = [
        {
            "name": REVIEW_ACTION,
            "args": {
                "target": source.label,
                "summary": draft.summary,
                "verdict": draft.verdict.value,
                "comments": len(draft.comments),
            },
            "description": markdown,
        }
    ]
    for c in draft.comments:
        lines = f"{c.start_line}" if c.start_line == c.end_line else f"{c.start_line}-{c.end_line}"
        actions.append(
            {
                "name": COMMENT_ACTION,
                "args": {
                    "id": c.id,
                    "path": c.path,
                    "line": c.end_line,
                    "severity": c.severity.value,
                    "body": c.body,
                },
                "description": f"{c.severity.value.upper()} {c.path}:{lines}: {c.title}",
            }
        )
    configs = [
        {"action_name": REVIEW_ACTION, "allowed_decisions": list(allowed)},
        {"action_name": COMMENT_ACTION, "allowed_decisions": list(COMMENT_DECISIONS)},
    ]
    return actions, configs


def is_per_action(answer: Any) -> bool:
    """Whether ``answer`` is LangChain's one-decision-per-action shape (not today's one)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("decisions"), list):
        return False
    decisions = answer["decisions"]
    return len(decisions) > 1 or any(
        isinstance(d, dict) and "edited_action" in d for d in decisions
    )


def to_response(answer: Any, draft: DraftReview) -> Any:
    """Today's ``{"decisions": [one]}`` for a per-action answer; any other value as it is."""
    if not is_per_action(answer):
        return answer
    decisions = answer["decisions"]
    expected = 1 + len(draft.comments)
    if len(decisions) != expected:
        raise DecisionError(
            f"expected {expected} decisions (one for the review, then one per comment in the "
            f"draft's order), got {len(decisions)}"
        )
    first = _decision(decisions[0], "the review")
    if first["type"] == "reject":
        return {"decisions": [{"type": "reject", "message": first.get("message") or ""}]}
    result: dict[str, Any] = {"type": "approve"}
    if first["type"] == "edit":
        args = _edited_args(first, REVIEW_ACTION, "the review")
        unknown = sorted(set(args) - {"target", "summary", "verdict", "comments"})
        if unknown:
            raise DecisionError(f"the review: {', '.join(unknown)} cannot be edited")
        if args.get("summary") not in (None, draft.summary):
            result["summary"] = args["summary"]
        if args.get("verdict") not in (None, draft.verdict.value):
            result["verdict"] = args["verdict"]
    elif first["type"] != "approve":
        raise DecisionError(f"the review: {first['type']!r} is not approve, edit or reject")
    comments: dict[str, str | None] = {}
    for c, raw in zip(draft.comments, decisions[1:], strict=True):
        d = _decision(raw, f"comment {c.id}")
        if d["type"] == "reject":
            comments[c.id] = None
        elif d["type"] == "edit":
            args = _edited_args(d, COMMENT_ACTION, f"comment {c.id}")
            original = {"id": c.id, "path": c.path, "line": c.end_line, "severity": c.severity}
            changed = [k for k, v in original.items() if k in args and args[k] != v]
            if changed:
                raise DecisionError(
                    f"comment {c.id}: only its body can be edited, not {', '.join(changed)}"
                )
            body = args.get("body")
            if not isinstance(body, str) or not body.strip():
                raise DecisionError(f"comment {c.id}: an edit needs a non-empty body")
            if body != c.body:
                comments[c.id] = body
        elif d["type"] != "approve":
            raise DecisionError(f"comment {c.id}: {d['type']!r} is not approve, edit or reject")
    if comments or "summary" in result:
        edit: dict[str, Any] = {"type": "edit", "comments": comments}
        edit |= {k: result[k] for k in ("summary", "verdict") if k in result}
        return {"decisions": [edit]}
    return {"decisions": [result]}


def _decision(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise DecisionError(f"{what}: a decision is an object with a 'type'")
    return raw


def _edited_args(decision: dict[str, Any], name: str, what: str) -> dict[str, Any]:
    action = decision.get("edited_action")
    if not isinstance(action, dict) or not isinstance(action.get("args"), dict):
        raise DecisionError(f"{what}: an edit carries edited_action with its args")
    if action.get("name", name) != name:
        raise DecisionError(f"{what}: the edited action must be {name!r}")
    args: dict[str, Any] = action["args"]
    return args
