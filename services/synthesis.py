"""What the orchestrator's answer may change in the merged comments, and what it may not.

The orchestrator never sees the code, only the findings. So it may explain (a resolution
for each disagreement), and it may judge two overlapping comments of different categories
to be one problem (they are then one comment that keeps every view). It may not weaken
anything: a resolved severity is one of the views' severities, never below a high or
critical view, and the verdict is computed afterwards, in code, from the views themselves
(``services.merge.verdict``).
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.contracts import Perspective, ReviewComment, Severity, SynthesisAnswer
from services.diff import Anchors
from services.merge import BLOCKING, worst


def overlapping(comments: Sequence[ReviewComment]) -> list[list[ReviewComment]]:
    """Groups of comments on overlapping lines (same file and side), for the orchestrator
    to judge whether they are one problem; a comment alone is in no group."""
    ordered = sorted(comments, key=lambda c: (c.path, c.side, c.start_line, c.end_line))
    groups: list[list[ReviewComment]] = []
    end = -1
    for c in ordered:
        last = groups[-1] if groups else None
        if last and (last[0].path, last[0].side) == (c.path, c.side) and c.start_line <= end:
            last.append(c)
            end = max(end, c.end_line)
        else:
            groups.append([c])
            end = c.end_line
    return [g for g in groups if len(g) > 1]


def apply(
    comments: Sequence[ReviewComment], answer: SynthesisAnswer, anchors: Anchors
) -> tuple[list[ReviewComment], list[str]]:
    """The comments with the orchestrator's judgements applied, and notes on what it was
    not allowed to do."""
    notes: list[str] = []
    merged = _join_same_problems(list(comments), answer, anchors, notes)
    by_id = {r.comment_id: r for r in answer.resolutions}
    out = []
    for c in merged:
        r = by_id.get(c.id)
        if r is not None and c.disagreement:
            severity = allowed(c, r.severity)
            if severity != r.severity:
                notes.append(
                    f"the orchestrator rated [{c.id}] {r.severity}; kept at {severity}: "
                    "it may only pick among the reviewers' severities and never lower a "
                    f"{BLOCKING} or worse finding"
                )
            c = c.model_copy(update={"resolution": r.resolution.strip(), "severity": severity})
        out.append(c)
    return out, notes


def allowed(c: ReviewComment, wanted: Severity) -> Severity:
    """``wanted`` bounded to the views' range, and never below a high or critical view."""
    high = worst(c)
    low = min((p.severity for p in c.perspectives), key=lambda s: s.rank, default=high)
    if high.rank >= BLOCKING.rank:
        low = high
    rank = min(max(wanted.rank, low.rank), high.rank)
    return list(Severity)[rank]


def _join_same_problems(
    comments: list[ReviewComment],
    answer: SynthesisAnswer,
    anchors: Anchors,
    notes: list[str],
) -> list[ReviewComment]:
    # Only comments that overlap may be joined: comment id -> its overlap group's first id.
    candidates = {c.id: group[0].id for group in overlapping(comments) for c in group}
    by_id = {c.id: c for c in comments}
    gone: set[str] = set()
    replaced: dict[str, ReviewComment] = {}
    for judged in answer.same_problem:
        ids = [i for i in dict.fromkeys(judged.comment_ids) if i in candidates and i not in gone]
        if len(ids) < 2 or len({candidates[i] for i in ids}) != 1:
            continue  # unknown ids, or comments that do not overlap: not for it to join
        group = [replaced.get(i, by_id[i]) for i in ids]
        joined = _join(group, judged.reason.strip(), anchors)
        gone.update(i for i in ids if i != joined.id)
        replaced[joined.id] = joined
        notes.append(
            f"the orchestrator judged {', '.join(f'[{i}]' for i in ids)} one problem: "
            f"{judged.reason.strip()}"
        )
    return [replaced.get(c.id, c) for c in comments if c.id not in gone]


def _join(group: list[ReviewComment], reason: str, anchors: Anchors) -> ReviewComment:
    lead = max(group, key=lambda c: worst(c).rank)
    start = min(c.start_line for c in group)
    end = max(c.end_line for c in group)
    # One view per reviewer (its most severe, then most confident), the lead's own first:
    # the comment's title and first rationale then come from one view.
    best: dict[str, Perspective] = {}
    for p in (p for c in group for p in c.perspectives):
        held = best.get(p.specialist)
        if held is None or (p.severity.rank, p.confidence) > (held.severity.rank, held.confidence):
            best[p.specialist] = p
    first = lead.perspectives[0].specialist if lead.perspectives else ""
    views = sorted(best.values(), key=lambda p: (p.specialist != first, -p.severity.rank))
    suggestion = lead.suggestion or next((c.suggestion for c in group if c.suggestion), None)
    joined = lead.model_copy(
        update={
            "start_line": start,
            "end_line": end,
            "perspectives": views,
            "title": views[0].title if views else lead.title,
            "severity": worst(lead.model_copy(update={"perspectives": views})),
            "suggestion": suggestion,
            "anchor": anchors.anchor(lead.path, lead.side, start, end) if lead.anchor else None,
        }
    )
    if joined.disagreement:
        joined = joined.model_copy(update={"resolution": f"One problem: {reason}"})
    return joined
