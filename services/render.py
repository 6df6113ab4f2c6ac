"""Markdown for people: the draft a person approves and the review that gets published.

The approver sees the same text that will be posted: comment bodies are rendered once, here,
before the approval pause, and ``post`` sends them as they are.
"""

from __future__ import annotations

import re
from typing import Protocol

from graph.contracts import (
    ApprovedComment,
    ApprovedReview,
    DraftReview,
    NoiseControl,
    ReviewComment,
    Side,
    Source,
)
from services import cost

MARKER_PREFIX = "<!-- review-panel:"

# Characters that start markdown syntax anywhere in a line: code, links and images, HTML
# (comments too: a forged posting marker), and the backslash that escapes the rest.
_INLINE_SYNTAX = re.compile(r"([\\`\[\]<>])")
# What starts a block at the beginning of a line: headings, quotes, lists, tables, rules.
_LINE_START = re.compile(r"^([ \t]*\d*)([#>|=+*.)-])", re.MULTILINE)


def safe(text: str, *, code: bool = False, multiline: bool = False) -> str:
    """Untrusted text as inert markdown: the one escaping for every name, path, title, label
    and piece of model text that goes into a draft or a published review.

    ``code=True`` gives a code span (file names, paths: shown exactly); otherwise the text is
    escaped so that it renders as the same characters and starts nothing: no link, image,
    HTML (nor a forged marker comment), code span, heading, quote or list. One-line text
    (the default) shows line breaks as ``\\n``, so a name cannot start a line of its own;
    ``multiline`` keeps them (model prose) and escapes what each line starts with.
    """
    if code:
        return code_span(text)
    if not multiline:
        text = text.replace("\r", "\\r").replace("\n", "\\n")
    text = _INLINE_SYNTAX.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def code_span(text: str) -> str:
    """Inline code that a hostile file name (backticks, newlines, markdown) cannot escape."""
    flat = text.replace("\r", "\\r").replace("\n", "\\n")
    ticks = "`" * (_longest_backticks(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def line_range(start: int | None, end: int) -> str:
    """``12`` or ``12-14``: the one way a range of lines is written (markdown, SARIF, GitHub)."""
    return f"{end}" if start is None or start == end else f"{start}-{end}"


def place(path: str, start: int | None, end: int, side: Side = Side.RIGHT) -> str:
    """``path:12-14`` as inline code that the file name cannot escape, with the old side said."""
    old = "" if side == Side.RIGHT else " (old side)"
    return f"{code_span(f'{path}:{line_range(start, end)}')}{old}"


class _Located(Protocol):
    path: str
    start_line: int
    end_line: int
    side: Side


def _where(c: _Located) -> str:
    return place(c.path, c.start_line, c.end_line, c.side)


def _fence(text: str) -> str:
    # A fence longer than any backtick run inside, so hostile content cannot close it.
    return "`" * max(3, _longest_backticks(text) + 1)


def _longest_backticks(text: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        best = max(best, run)
    return best


def comment_body(c: ReviewComment, suggest: bool) -> str:
    """The markdown of one inline comment, with every specialist's view and any resolution."""
    lead = c.perspectives[0]
    parts = [
        f"**{c.severity.upper()} · {safe(c.category)}** — {safe(c.title)}",
        "",
        safe(lead.rationale, multiline=True),
    ]
    others = c.perspectives[1:]
    if others:
        parts += ["", "Other views on these lines:"]
        parts += [
            f"- **{safe(p.specialist)}** ({p.severity}): {safe(p.title)}. {safe(p.rationale)}"
            for p in others
        ]
    if c.resolution:
        views = ", ".join(f"{safe(p.specialist)}: {p.severity}" for p in c.perspectives)
        parts += ["", f"> **Reviewers disagree** ({views}). {safe(c.resolution)}"]
    if c.suggestion and suggest:
        fence = _fence(c.suggestion)
        parts += ["", f"{fence}suggestion", c.suggestion.rstrip("\n"), fence]
    elif c.suggestion:
        fence = _fence(c.suggestion)
        parts += ["", "Suggested replacement:", f"{fence}", c.suggestion.rstrip("\n"), fence]
    specialists = ", ".join(dict.fromkeys(safe(p.specialist) for p in c.perspectives))
    parts += ["", f"<sub>review-panel · {specialists}</sub>"]
    return "\n".join(parts)


def draft_markdown(draft: DraftReview, source: Source) -> str:
    """The draft as a person reads it before deciding: every comment with its id."""
    inline = [c for c in draft.comments if c.anchor is not None]
    body_only = [c for c in draft.comments if c.anchor is None]
    out = [
        f"# Review draft: {safe(source.label)}",
        "",
        f"**Recommended verdict: {draft.verdict}** ({safe(draft.verdict_reason)})",
        "",
        "## Summary",
        "",
        safe(draft.summary, multiline=True),
    ]
    if draft.failures:
        out += ["", "## Not fully reviewed", ""] + [f"- {safe(f)}" for f in draft.failures]
    out += ["", f"## Inline comments ({len(inline)})", ""]
    for c in inline:
        out += [f"### [{c.id}] {c.severity.upper()} {_where(c)}", "", c.body, ""]
    if body_only:
        out += [f"## In the review body, not on a diff line ({len(body_only)})", ""]
        for c in body_only:
            out += [f"### [{c.id}] {c.severity.upper()} {_where(c)}", "", c.body, ""]
    if draft.left_out:
        out += [f"## Left out of this draft: {safe(draft.left_out[0])}", ""]
        out += [f"- {safe(line)}" for line in draft.left_out[1:]] + [""]
    if draft.disagreements:
        out += ["## Disagreements between reviewers", ""]
        for d in draft.disagreements:
            views = ", ".join(f"{safe(k)}: {v}" for k, v in d.positions.items())
            out.append(f"- \\[{safe(d.comment_id)}\\] {views}: {safe(d.resolution)}")
        out.append("")
    if draft.notes:
        out += ["## Notes", ""] + [f"- {safe(n)}" for n in draft.notes] + [""]
    if draft.coverage.reviewed or draft.coverage.skipped:
        out += ["## Coverage", ""]
        for name, counts in draft.coverage.reviewed.items():
            out.append(
                f"- {safe(name)}: {counts.get('files', 0)} file(s), "
                f"{counts.get('lines', 0)} changed line(s)"
            )
        for path, why in draft.coverage.skipped.items():
            out.append(f"- skipped {code_span(path)}: {safe(why)}")
        out.append("")
    if draft.noise is not None:
        out += ["## Noise control", "", f"- {noise_line(draft.noise)}", ""]
    if draft.cost.lines:
        out += ["## Usage and estimated cost", ""]
        out += [f"- {line}" for line in cost.summary_lines(draft.cost)]
    return "\n".join(out).rstrip() + "\n"


def noise_line(noise: NoiseControl) -> str:
    """The thresholds a draft was filtered with, and where each came from."""
    where = noise.sources
    return (
        f"min severity {noise.min_severity} ({where.get('min_severity', 'default')}), "
        f"min confidence {noise.min_confidence:g} ({where.get('min_confidence', 'default')}), "
        f"at most {noise.max_inline_comments} inline comment(s) "
        f"({where.get('max_inline_comments', 'default')})"
    )


def plain_text(c: ReviewComment) -> str:
    """A draft comment in one paragraph of plain words: title, the lead rationale, and the
    resolution where reviewers disagreed (the body's list item and SARIF's message)."""
    text = f"{c.title}. {c.perspectives[0].rationale}"
    if c.resolution:
        text += f" Reviewers disagreed; resolution: {c.resolution}"
    return text


def body_line(c: ApprovedComment) -> str:
    """How a comment that is not inline appears in the review body (one list item)."""
    return f"- **{c.severity.upper()}** {_where(c)}: {c.body.strip()}"


def marker(thread_id: str, digest: str) -> str:
    """An invisible tag that lets ``post`` recognise a review it already published."""
    return f"{marker_for_thread(thread_id)} digest={digest} -->"


def marker_for_thread(thread_id: str) -> str:
    """The part of the marker that identifies the thread, whatever was approved."""
    return f"{MARKER_PREFIX}thread={thread_id}"


def final_markdown(review: ApprovedReview, source: Source) -> str:
    """The approved review as a document (what a local diff's review produces)."""
    out = [f"# Review: {safe(source.label)}", "", f"**Verdict: {review.event}**", "", review.body]
    out += [""]
    for c in review.inline:
        assert c.anchor is not None
        where = place(c.path, c.anchor.start_line, c.anchor.line, c.anchor.side)
        out += [f"## {where}", "", c.body, ""]
    return "\n".join(out).rstrip() + "\n"
