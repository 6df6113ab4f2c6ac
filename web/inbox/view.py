"""What the templates show, computed from a thread's state: plain data, never markup.

Everything here is text taken from diffs, PR metadata and model output; the templates
autoescape all of it, and comment bodies are shown as text (not rendered as markdown), so a
finding that holds ``<script>`` or a markdown link shows exactly those characters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from graph.contracts import DraftReview, ReviewComment, Severity, Side, Source
from graph.errors import InputError
from graph.state import diff_text
from web.inbox.threads import ThreadView

SEVERITIES = sorted(Severity, key=lambda s: s.rank, reverse=True)


@dataclass
class CodeLine:
    number: str
    marker: str  # "+", "-" or " "
    text: str


@dataclass
class CommentView:
    comment: ReviewComment
    lines: str
    code: list[CodeLine]
    suggestion: list[CodeLine]
    specialists: list[str]

    @property
    def disagreement(self) -> bool:
        return self.comment.disagreement or bool(self.comment.resolution)


@dataclass
class Row:
    """One line of the inbox list."""

    thread_id: str
    target: str
    head_sha: str
    age: str
    updated: str
    verdict: str
    by_severity: list[tuple[str, int]]
    comments: int
    failures: int
    superseded_by: str | None
    head_moved: bool
    error: str | None = None


@dataclass
class DraftView:
    view: ThreadView
    source: Source
    draft: DraftReview | None
    comments: list[CommentView] = field(default_factory=list)
    retryable: bool = False

    @property
    def values(self) -> dict[str, Any]:
        return self.view.info.values

    @property
    def superseded_by(self) -> str | None:
        value = self.values.get("superseded_by")  # written by the team service, when present
        return str(value) if value else None


def source_of(view: ThreadView) -> Source | None:
    try:
        return Source.model_validate(view.info.values.get("source") or {})
    except ValidationError:
        return None


def draft_of(view: ThreadView) -> DraftReview | None:
    try:
        return DraftReview.model_validate(view.info.values.get("draft") or {})
    except ValidationError:
        return None


def age(iso: str, now: datetime | None = None) -> str:
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return "?"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def row(view: ThreadView) -> Row:
    source, draft = source_of(view), draft_of(view)
    counts = Counter(c.severity for c in draft.comments) if draft else Counter()
    return Row(
        thread_id=view.info.thread_id,
        target=source.label if source else view.info.target,
        head_sha=(source.head_sha or "")[:12] if source else "",
        age=age(view.updated),
        updated=view.updated,
        verdict=draft.verdict.value if draft else "?",
        by_severity=[(s.value, counts[s]) for s in SEVERITIES if counts[s]],
        comments=len(draft.comments) if draft else 0,
        failures=len(draft.failures) if draft else 0,
        superseded_by=(str(view.info.values.get("superseded_by") or "") or None),
        head_moved=view.question == "head_moved",
        error=(view.info.interrupt or {}).get("error"),
    )


def draft_view(view: ThreadView) -> DraftView:
    source = source_of(view) or Source(kind="local", label=view.info.target)
    draft = draft_of(view)
    configs = (view.info.interrupt or {}).get("review_configs") or [{}]
    retryable = "retry" in (configs[0].get("allowed_decisions") or [])
    if view.approval_pending and draft is not None:  # no interrupt to ask: the draft tells
        retryable = bool(draft.failures)
    out = DraftView(view, source, draft, retryable=retryable)
    if draft is None:
        return out
    files = _files(diff_text(view.info.values))  # type: ignore[arg-type]
    for c in draft.comments:
        code = _code(files.get(c.path), c)
        lines = f"{c.start_line}" if c.start_line == c.end_line else f"{c.start_line}-{c.end_line}"
        suggestion: list[CodeLine] = []
        if c.suggestion is not None:
            suggestion = [CodeLine(x.number, "-", x.text) for x in code if x.marker != "-"]
            suggestion += [CodeLine("", "+", t) for t in c.suggestion.rstrip("\n").split("\n")]
        specialists = list(dict.fromkeys(p.specialist for p in c.perspectives))
        out.comments.append(CommentView(c, lines, code, suggestion, specialists))
    return out


def _files(text: str) -> dict[str, Any]:
    from services.diff import parse

    try:
        return {f.path: f for f in parse(text)} if text else {}
    except InputError:
        return {}


def _code(change: Any, c: ReviewComment) -> list[CodeLine]:
    """The diff lines a comment is about: its range, on its side, as the diff shows them."""
    if change is None:
        return []
    out = []
    for hunk in change.patched:
        for line in hunk:
            number = line.target_line_no if c.side == Side.RIGHT else line.source_line_no
            if number is not None and c.start_line <= number <= c.end_line:
                marker = line.line_type if line.line_type in "+- " else " "
                text = line.value.rstrip("\n").rstrip("\r")
                out.append(CodeLine(str(number), marker, text))
    return out
