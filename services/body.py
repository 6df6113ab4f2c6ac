"""The review body GitHub is sent: grouped by why each comment is there, and always bounded.

GitHub refuses a review body over 65,536 characters (422), and a large pull request's review
easily has that much: every finding that cannot be an inline comment is a list item here. So
the body is built against a budget below the limit (room for the marker and a margin), and
what does not fit is summarised by severity and file, with where the full list is.

Each group says its true reason: a comment is in the body because no line of it is on the
diff, because it is on the context lines shown around a hunk (``services.widen``), because
it is over the run's cap on inline comments, or (the fallback after GitHub refused the inline
comments) because GitHub would not take it inline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from graph.contracts import ApprovedComment, ReviewComment, Side
from services.render import body_line, code_span, safe

LIMIT = 65_536  # GitHub: "Body is too long (maximum is 65536 characters)"
BUDGET = LIMIT - 2_048  # what the text may use: room for the marker and a margin
SUMMARY_SHARE = 16_000  # most characters of the summary kept, so findings still fit
FAILURES_SHARE = 8_000  # most characters of the "not fully reviewed" list
OVERFLOW_RESERVE = 4_000  # kept free for the summary of what did not fit
FILES_NAMED = 15  # files named in the overflow summary; the rest are counted

HEADINGS = {
    "off_diff": "**Not on lines of this diff** (GitHub takes inline comments only on lines "
    "the diff shows):",
    "context": "**On the code around the change** (context lines the reviewers were shown; "
    "GitHub takes inline comments only on lines the diff shows):",
    "over_cap": "**Over the limit of {cap} inline comments** (ranked lower than those posted "
    "inline):",
    "refused": "**Inline comments GitHub refused** (it rejected them as inline comments):",
}


def review_body(
    summary: str,
    comments: Sequence[ApprovedComment],
    failures: Sequence[str],
    *,
    cap: int | None = None,
    full_list: str = "`review-panel show THREAD --json`",
    budget: int = BUDGET,
    left_out: Sequence[str] = (),
) -> str:
    """Summary, the not-fully-reviewed list, then each group of ``comments`` under its
    reason, all within ``budget`` characters; the overflow is summarised, never cut mid-item.

    ``comments`` are the approved comments that are not inline (``in_body`` says why);
    ``full_list`` names where every finding can be read when some do not fit; ``left_out``
    is the summary of the comments a very large draft left out (``DraftReview.left_out``).
    """
    out = [_bounded(summary.strip(), SUMMARY_SHARE, "the summary")]
    if failures:
        out += ["", "**Not fully reviewed:**", ""]
        out += _items([f"- {safe(f)}" for f in failures], FAILURES_SHARE, "more gap(s)")
    if left_out:  # a very large draft's comments summarised (services/bound.py)
        out += ["", f"**Not listed here:** {safe(left_out[0])}", ""]
        out += _items([f"- {safe(line)}" for line in left_out[1:]], FAILURES_SHARE, "more file(s)")
    room = budget - _size(out) - OVERFLOW_RESERVE
    overflow = _fill(out, comments, room, cap)
    if overflow:
        out += ["", overflow_summary(overflow, full_list)]
    return "\n".join(out)


def add_group(
    text: str, comments: Sequence[ApprovedComment], full_list: str, budget: int = BUDGET
) -> str:
    """``text`` (a body built by ``review_body``) with ``comments`` added under their reason,
    still within ``budget``: the fallback that lists the inline comments GitHub refused."""
    out = [text]
    overflow = _fill(out, comments, budget - len(text) - OVERFLOW_RESERVE, None)
    if overflow:
        out += ["", overflow_summary(overflow, full_list)]
    return "\n".join(out)


def _fill(
    out: list[str], comments: Sequence[ApprovedComment], room: int, cap: int | None
) -> list[ApprovedComment]:
    """Append each reason's heading and items to ``out`` while ``room`` lasts; the rest."""
    groups: dict[str, list[ApprovedComment]] = {}
    for c in comments:
        groups.setdefault(c.in_body or "off_diff", []).append(c)
    overflow: list[ApprovedComment] = []
    for reason in HEADINGS:
        items = groups.get(reason, [])
        if not items:
            continue
        heading = HEADINGS[reason].format(cap=cap if cap is not None else "the run's")
        if overflow or room < len(heading) + 200:
            overflow += items
            continue
        out += ["", heading, ""]
        room -= len(heading) + 3
        for i, c in enumerate(items):
            line = body_line(c)
            if len(line) + 1 > room:
                overflow += items[i:]
                break
            out.append(line)
            room -= len(line) + 1
    return overflow


def on_context(c: ReviewComment, around: dict[str, dict[str, str]]) -> ReviewComment:
    """``c`` marked as on context lines when it is not inline and cites lines of the code
    shown around a hunk (``services.widen``'s lines: path -> {line number: text})."""
    shown = around.get(c.path, {})
    if c.anchor is not None or c.side != Side.RIGHT or not shown:
        return c
    if any(str(n) in shown for n in range(c.start_line, c.end_line + 1)):
        return c.model_copy(update={"in_body": "context"})
    return c


def overflow_summary(left: Sequence[ApprovedComment], full_list: str) -> str:
    """What did not fit, by severity and by file, and where to read all of it."""
    severities = Counter(c.severity for c in left)
    by_severity = ", ".join(
        f"{severities[s]} {s.value}" for s in sorted(severities, key=lambda s: -s.rank)
    )
    files = Counter(c.path for c in left).most_common()
    named = ", ".join(f"{code_span(p)} ({n})" for p, n in files[:FILES_NAMED])
    more = f", and {len(files) - FILES_NAMED} more file(s)" if len(files) > FILES_NAMED else ""
    return (
        f"**{len(left)} more finding(s) are not listed here**: a review body is limited to "
        f"{LIMIT:,} characters. By severity: {by_severity}. By file: {named}{more}. Every "
        f"finding is in {full_list} (and in the JSON and SARIF files `review-panel approve "
        "--out FILE --format json|sarif` writes)."
    )


def _bounded(text: str, share: int, what: str) -> str:
    if len(text) <= share:
        return text
    return text[:share].rstrip() + f"\n\n*({what} is cut here: {len(text):,} characters)*"


def _items(lines: list[str], share: int, what: str) -> list[str]:
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > share:
            return [*kept, f"- ... and {len(lines) - i} {what}"]
        kept.append(line)
        used += len(line) + 1
    return kept


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)

