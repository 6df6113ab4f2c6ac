"""A very wide change's draft stays readable: past a size, comments are summarised."""

from __future__ import annotations

from graph.contracts import (
    Anchor,
    ApproveDecision,
    DraftReview,
    Perspective,
    ReviewComment,
    Severity,
    Side,
    Source,
    Verdict,
)
from nodes.approve import apply_decision
from services import bound, render


def _comment(i: int, severity: Severity) -> ReviewComment:
    view = Perspective(
        specialist="security", severity=severity, title="t", rationale="r", category="c"
    )
    return ReviewComment(
        id=f"c-{i:05d}",
        path=f"pkg/m{i % 700}.py",
        start_line=1,
        end_line=1,
        side=Side.RIGHT,
        severity=severity,
        category="c",
        title="A problem",
        body="body",
        perspectives=[view],
        anchor=Anchor(line=1, side=Side.RIGHT) if i % 2 else None,
    )


def test_past_the_bound_the_rest_is_summarised_by_file_and_severity() -> None:
    ranked = [_comment(i, Severity.HIGH) for i in range(50)]
    ranked += [_comment(i, Severity.LOW) for i in range(50, 6000)]
    kept, left_out = bound.comments(ranked)
    assert len(kept) == bound.MAX_COMMENTS
    assert all(c.severity == Severity.HIGH for c in kept[:50])  # the most severe stay
    assert left_out[0] == f"{6000 - bound.MAX_COMMENTS} more comment(s) in 700 file(s): 5900 low"
    assert len(left_out) == 1 + bound.MAX_FILES_LISTED + 1
    assert left_out[-1] == f"... and {700 - bound.MAX_FILES_LISTED} more file(s)"

    draft = DraftReview(
        summary="s",
        verdict=Verdict.REQUEST_CHANGES,
        verdict_reason="rule",
        comments=kept,
        left_out=left_out,
    )
    markdown = render.draft_markdown(draft, Source(kind="local", label="wide.diff"))
    assert "## Left out of this draft: 5900 more comment(s)" in markdown
    assert len(markdown) < 100_000
    body = apply_decision(draft, ApproveDecision(type="approve")).body
    assert "**Not listed here:** 5900 more comment(s) in 700 file(s)" in body
    assert len(body) < 65_536


def test_a_small_draft_is_left_as_it_is() -> None:
    ranked = [_comment(i, Severity.LOW) for i in range(30)]
    assert bound.comments(ranked) == (ranked, [])


def test_failed_calls_past_the_bound_are_counted() -> None:
    lines = [f"security could not review m{i}.py: timeout" for i in range(500)]
    kept = bound.failures(lines, [f"m{i}.py" for i in range(500)])
    assert len(kept) == bound.MAX_FAILURES + 1
    assert kept[-1].startswith(f"... and {500 - bound.MAX_FAILURES} more failed call(s); 500 file")
