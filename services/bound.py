"""Keeping a draft (and the review it becomes) a size a person can read and GitHub accepts.

A very wide change (tens of thousands of files) can yield thousands of comments and failed
calls. Past ``MAX_COMMENTS`` the lower-ranked comments leave the draft and are summarised by
file and severity (``left_out``), and past ``MAX_FAILURES`` failed calls are summarised by
specialist; the draft and the published body show those summaries instead. Every comment
kept is one a person can read and edit by id, and the body stays under GitHub's 65,536
characters.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from graph.contracts import ReviewComment, Severity

MAX_COMMENTS = 100  # comments kept in a draft, most severe first
MAX_FAILURES = 20  # failed-call lines kept in a draft
MAX_FILES_LISTED = 30  # files named in the summary of what was left out


def comments(ranked: Sequence[ReviewComment]) -> tuple[list[ReviewComment], list[str]]:
    """The first ``MAX_COMMENTS`` of ``ranked``, and the rest summarised by file and severity.

    Inline comments are kept before body ones of the same severity, since they are the ones
    a reader meets on the code.
    """
    if len(ranked) <= MAX_COMMENTS:
        return list(ranked), []
    order = sorted(
        range(len(ranked)),
        key=lambda i: (-ranked[i].severity.rank, ranked[i].anchor is None, i),
    )
    keep = set(order[:MAX_COMMENTS])
    kept = [c for i, c in enumerate(ranked) if i in keep]
    rest = [c for i, c in enumerate(ranked) if i not in keep]
    return kept, summary(rest)


def summary(rest: Sequence[ReviewComment]) -> list[str]:
    """Lines for the comments left out: one overall, then one per file (most first)."""
    by_file: dict[str, Counter[Severity]] = defaultdict(Counter)
    for c in rest:
        by_file[c.path][c.severity] += 1
    overall: Counter[Severity] = Counter(c.severity for c in rest)
    lines = [f"{len(rest)} more comment(s) in {len(by_file)} file(s): {_counts(overall)}"]
    busiest = sorted(by_file.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    for path, counts in busiest[:MAX_FILES_LISTED]:
        lines.append(f"{path}: {_counts(counts)}")
    if len(busiest) > MAX_FILES_LISTED:
        lines.append(f"... and {len(busiest) - MAX_FILES_LISTED} more file(s)")
    return lines


def failures(lines: Sequence[str], failed_paths: Sequence[str]) -> list[str]:
    """At most ``MAX_FAILURES`` failure lines, the rest counted (with how many files)."""
    if len(lines) <= MAX_FAILURES:
        return list(lines)
    more = len(lines) - MAX_FAILURES
    return [
        *lines[:MAX_FAILURES],
        f"... and {more} more failed call(s); {len(set(failed_paths))} file(s) in all were not "
        "fully reviewed",
    ]


def _counts(counts: Counter[Severity]) -> str:
    ordered = sorted(counts.items(), key=lambda kv: -kv[0].rank)
    return ", ".join(f"{n} {severity.value}" for severity, n in ordered)
