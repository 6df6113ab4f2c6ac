"""Deterministic merging: drop what cannot stand, cluster overlaps, rank, and pick a verdict.

Everything here is code, not judgement, so it is exact and testable: findings on overlapping
lines that concern the same problem (``services.problems``) are clustered into one comment
that keeps every specialist's perspective; different problems stay separate comments. The
orchestrator's model call writes the summary, explains disagreements and may judge two
overlapping comments one problem; it never lowers a finding nor sets the verdict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from graph.contracts import (
    Finding,
    Perspective,
    ReviewComment,
    Severity,
    Side,
    Verdict,
)
from services import problems
from services.diff import Anchors

BLOCKING = Severity.HIGH


def _key(f: Finding) -> tuple[str, str, int, int, str]:
    return (f.path, f.side, f.start_line, f.end_line, " ".join(f.title.lower().split()))


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Drop exact duplicates (same specialist, place and title), keeping the most severe."""
    best: dict[tuple[str, tuple[str, str, int, int, str]], Finding] = {}
    for f in findings:
        k = (f.specialist, _key(f))
        if k not in best or f.severity.rank > best[k].severity.rank:
            best[k] = f
    return list(best.values())


def cluster(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Group findings that overlap on the same file and side AND concern the same problem.

    Different problems on overlapping lines (an injection inside a slow loop inside a long
    function) stay apart: each keeps its own comment, severity and suggestion.
    """
    ordered = sorted(findings, key=lambda f: (f.path, f.side, f.start_line, f.end_line))
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            b = ordered[j]
            if (b.path, b.side) != (a.path, a.side) or b.start_line > a.end_line:
                break  # sorted by start: nothing further overlaps a
            if problems.same_problem(a, b):
                parent[root(j)] = root(i)
    groups: dict[int, list[Finding]] = {}
    for i, f in enumerate(ordered):
        groups.setdefault(root(i), []).append(f)
    return list(groups.values())


def to_comment(group: Sequence[Finding], anchors: Anchors) -> ReviewComment:
    lead = max(group, key=lambda f: (f.severity.rank, f.confidence))
    side = Side(lead.side)
    start, end = anchors.clamp(
        lead.path, side, min(f.start_line for f in group), max(f.end_line for f in group)
    )
    # Separate problems may share a range, so the lead finding is part of the id.
    key = f"{lead.path}|{side}|{start}|{end}|{lead.id}"
    ident = hashlib.sha256(key.encode()).hexdigest()[:8]
    # One problem: the lead's fix, else any reviewer's; a suggestion is never dropped.
    suggestion = lead.suggestion or next((f.suggestion for f in group if f.suggestion), None)
    anchor = anchors.anchor(lead.path, side, start, end)
    return ReviewComment(
        id=f"c-{ident}",
        path=lead.path,
        start_line=start,
        end_line=end,
        side=side,
        severity=lead.severity,
        category=lead.category,
        title=lead.title,
        body="",
        perspectives=[
            Perspective(
                specialist=f.specialist,
                severity=f.severity,
                title=f.title,
                rationale=f.rationale,
                confidence=f.confidence,
                category=f.category,
            )
            # The lead first: the comment's title and its first rationale are one view's.
            for f in sorted(group, key=lambda f: (f is not lead, -f.severity.rank))
        ],
        suggestion=suggestion,
        anchor=anchor,
        in_body=None if anchor is not None else "off_diff",
    )


def worst(c: ReviewComment) -> Severity:
    """The most severe view of a comment."""
    return max((p.severity for p in c.perspectives), key=lambda s: s.rank, default=c.severity)


def rank(comments: Iterable[ReviewComment]) -> list[ReviewComment]:
    """Most severe first; then by file and line, so the order is stable between runs."""
    return sorted(comments, key=lambda c: (-c.severity.rank, c.path, c.start_line, c.id))


def one_view_each(group: Sequence[Finding]) -> list[Finding]:
    """Within one cluster, one finding per specialist: the most severe, then the most
    confident. A cluster holds findings about one problem (``cluster``), so two from one
    specialist (its model and its secret patterns flagging the same token, under different
    category names) are one view, not two, and never a "disagreement" of one reviewer."""

    def view(f: Finding) -> str:
        return f.specialist

    best: dict[str, Finding] = {}
    for f in group:
        held = best.get(view(f))
        if held is None or (f.severity.rank, f.confidence) > (held.severity.rank, held.confidence):
            best[view(f)] = f
    return [f for f in group if best[view(f)] is f]


def merge(findings: Sequence[Finding], anchors: Anchors) -> list[ReviewComment]:
    return rank(to_comment(one_view_each(g), anchors) for g in cluster(dedupe(findings)))


def verdict(comments: Sequence[ReviewComment]) -> tuple[Verdict, str]:
    """The stated rule: request changes when any comment is high or critical.

    Computed from what the reviewers said (each comment's most severe view), never from a
    severity the orchestrator wrote: it did not see the code, and only a person may change
    the verdict.
    """
    blocking = [c for c in comments if worst(c).rank >= BLOCKING.rank]
    rule = f"REQUEST_CHANGES when any comment is {BLOCKING} or worse, otherwise COMMENT"
    if blocking:
        return (
            Verdict.REQUEST_CHANGES,
            f"{len(blocking)} comment(s) at {BLOCKING} or worse ({rule})",
        )
    return Verdict.COMMENT, f"no comment at {BLOCKING} or worse ({rule})"
