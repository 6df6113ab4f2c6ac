"""Turning what a person submitted into exactly one resume value, or a reason it does not fit.

The page's form and a script's JSON end in the same value the CLI and Studio send
(``{"decisions": [...]}``, or ``{"moved_head": ...}`` for the moved-head question), checked
here against the draft before anything is resumed: an answer that does not fit is shown with
its reason and the thread stays paused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from graph import hitl
from graph.contracts import ApprovalResponse, DraftReview, Verdict
from graph.errors import DecisionError

MOVED_HEAD_CHOICES = ("post", "cancel")


def from_form(form: Mapping[str, str], draft: DraftReview) -> dict[str, Any]:
    """The decision a submitted draft form stands for.

    Per comment the form sends ``action.<id>`` (keep, edit or drop) and ``body.<id>``. A
    comment marked keep whose text was changed is refused rather than guessed at: the person
    sees the draft again, their text still in the box, and says which they meant.
    """
    action = form.get("action", "")
    if action == "reject":
        return {"type": "reject", "message": form.get("reason", "")}
    if action == "retry":
        return {"type": "retry"}
    if action != "approve":
        raise DecisionError(f"unknown action {action[:40]!r}: use approve, reject or retry")
    edits: dict[str, str | None] = {}
    for c in draft.comments:
        choice = form.get(f"action.{c.id}", "keep")
        text = _lines(form.get(f"body.{c.id}", c.body))
        changed = text.strip() != _lines(c.body).strip()
        if choice == "drop":
            edits[c.id] = None
        elif choice == "edit":
            if not text.strip():
                raise DecisionError(f"comment {c.id}: the edited text is empty (drop it instead)")
            if changed:
                edits[c.id] = text
        elif choice == "keep":
            if changed:
                raise DecisionError(
                    f"comment {c.id}: its text was changed but 'keep' is selected; choose "
                    "'edit' to post your text, or undo the change"
                )
        else:
            raise DecisionError(f"comment {c.id}: {choice[:20]!r} is not keep, edit or drop")
    summary = _lines(form.get("summary", draft.summary))
    verdict = form.get("verdict") or draft.verdict.value
    if verdict not in {v.value for v in Verdict}:
        raise DecisionError(f"{verdict[:40]!r} is not a verdict")
    if not edits and summary.strip() == _lines(draft.summary).strip():
        decision: dict[str, Any] = {"type": "approve"}
    else:
        decision = {"type": "edit", "comments": edits}
        if summary.strip() != _lines(draft.summary).strip():
            decision["summary"] = summary
    if verdict != draft.verdict.value:
        decision["verdict"] = verdict
    return decision


def _lines(text: str) -> str:
    """Browsers send textarea text with CRLF line ends; drafts use LF."""
    return text.replace("\r\n", "\n")


def check(value: Any, draft: DraftReview | None, question: str, retryable: bool) -> Any:
    """``value`` if it answers the open question of this draft; else ``DecisionError``.

    Today's single decision and LangChain's one decision per action (``graph.hitl``) are
    both accepted; the value is resumed as it came, and the approve node reads either.
    """
    if question == "head_moved":
        choice = value.get("moved_head") if isinstance(value, dict) else None
        if choice not in MOVED_HEAD_CHOICES:
            raise DecisionError("the pull request moved: answer {'moved_head': 'post' | 'cancel'}")
        return value
    try:
        canonical = hitl.to_response(value, draft) if draft is not None else value
        decision = ApprovalResponse.model_validate(canonical).decision
    except ValidationError as exc:
        raise DecisionError(ApprovalResponse.problems(exc)) from None
    if decision.type == "retry" and not retryable:
        raise DecisionError("there is nothing to retry: no specialist call failed")
    if decision.type == "edit" and draft is not None:
        unknown = sorted(set(decision.comments) - {c.id for c in draft.comments})
        if unknown:
            raise DecisionError(f"the edit names comment(s) not in the draft: {', '.join(unknown)}")
    return value
