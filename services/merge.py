"""Deterministic merging: drop what cannot stand, cluster overlaps, rank, and pick a verdict.

Everything here is code, not judgement, so it is exact and testable: findings on the same
lines are clustered into one comment that keeps every specialist's perspective; the
orchestrator's model call only writes the summary and settles the disagreements.
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
    """Group findings whose line ranges overlap on the same file and side."""
    ordered = sorted(findings, key=lambda f: (f.path, f.side, f.start_line, f.end_line))
    groups: list[list[Finding]] = []
    end = -1
    for f in ordered:
        if (
            groups
            and (groups[-1][0].path, groups[-1][0].side) == (f.path, f.side)
            and (f.start_line <= end)
        ):
            groups[-1].append(f)
            end = max(end, f.end_line)
        else:
            groups.append([f])
            end = f.end_line
    return groups


def to_comment(group: Sequence[Finding], anchors: Anchors) -> ReviewComment:
    lead = max(group, key=lambda f: (f.severity.rank, f.confidence))
    start = min(f.start_line for f in group)
    end = max(f.end_line for f in group)
    side = Side(lead.side)
    ident = hashlib.sha256(f"{lead.path}|{side}|{start}|{end}".encode()).hexdigest()[:8]
    suggestion = lead.suggestion if len(group) == 1 else None
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
            for f in sorted(group, key=lambda f: -f.severity.rank)
        ],
        suggestion=suggestion,
        anchor=anchors.anchor(lead.path, side, start, end),
    )


def rank(comments: Iterable[ReviewComment]) -> list[ReviewComment]:
    """Most severe first; then by file and line, so the order is stable between runs."""
    return sorted(comments, key=lambda c: (-c.severity.rank, c.path, c.start_line, c.id))


def one_view_each(group: Sequence[Finding]) -> list[Finding]:
    """Within one cluster, one finding per specialist and category: the most severe, then the
    most confident. (A specialist's model and its secret patterns both flagging the same
    token are one problem, not two views.)"""

    def view(f: Finding) -> tuple[str, str]:
        return f.specialist, " ".join(f.category.lower().split())

    best: dict[tuple[str, str], Finding] = {}
    for f in group:
        held = best.get(view(f))
        if held is None or (f.severity.rank, f.confidence) > (held.severity.rank, held.confidence):
            best[view(f)] = f
    return [f for f in group if best[view(f)] is f]


def merge(findings: Sequence[Finding], anchors: Anchors) -> list[ReviewComment]:
    return rank(to_comment(one_view_each(g), anchors) for g in cluster(dedupe(findings)))


def verdict(comments: Sequence[ReviewComment]) -> tuple[Verdict, str]:
    """The stated rule: request changes when any comment is high or critical."""
    blocking = [c for c in comments if c.severity.rank >= BLOCKING.rank]
    rule = f"REQUEST_CHANGES when any comment is {BLOCKING} or worse, otherwise COMMENT"
    if blocking:
        return (
            Verdict.REQUEST_CHANGES,
            f"{len(blocking)} comment(s) at {BLOCKING} or worse ({rule})",
        )
    return Verdict.COMMENT, f"no comment at {BLOCKING} or worse ({rule})"
