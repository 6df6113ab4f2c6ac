"""orchestrate: merge every specialist's findings into one draft review.

Code does what must be exact (dropping, de-duplicating, clustering overlaps, ranking, anchoring
to diff lines, the verdict rule); one model call does what needs judgement (the summary, and
which view holds where specialists disagree). If that call fails, the person still gets the
merged findings, with the failure stated, rather than nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

from langgraph.runtime import Runtime

from graph.context import Context
from graph.contracts import (
    ChunkReport,
    Coverage,
    Disagreement,
    DraftReview,
    ReviewComment,
    Side,
    Source,
    SynthesisAnswer,
    Usage,
)
from graph.errors import ModelError
from graph.settings import thread_context
from graph.state import ReviewState, diff_text
from graph.steps import ORCHESTRATOR, Node
from services import body, bound, cost, incremental, merge, noise, render, scope, synthesis
from services import diff as diffs
from services.model import ModelChoice, call_structured
from services.prompts import (
    OrchestratorPrompt,
    SpecialistPrompt,
    as_data,
    context_block,
    load_orchestrator,
    load_roster,
)

FULL_FINDINGS = 40  # findings shown to the orchestrator in full; the rest are counted


def make_orchestrate(prompts_dir: Path | None) -> Node:
    async def orchestrate(state: ReviewState, runtime: Runtime[Context]) -> ReviewState:
        context = thread_context(state, runtime)
        source = Source.model_validate(state["source"])
        files = diffs.parse(diff_text(state))
        anchors = diffs.Anchors(files)
        reports = [ChunkReport.model_validate(r) for r in state.get("reports", [])]
        notes = list(source.warnings) + [n for r in reports for n in r.notes]
        notes += (state.get("around") or {"notes": []})["notes"]
        failures = [
            # Plain text, escaped where it is rendered (render.safe): paths are data here.
            f"{r.specialist} could not review {', '.join(r.paths)}: {r.error}"
            for r in reports
            if r.status == "failed"
        ]
        findings = [f for r in reports for f in r.findings]
        # Both prompt files in one hop through the thread pool (each waits its turn there).
        roster, prompt = await asyncio.to_thread(_prompt_files, prompts_dir)
        quiet, quiet_notes = await noise.settings(context, source)
        scales = {p.name: p.severities for p in roster if p.severities}
        cited = {f.path for f in findings}  # the text of cited lines only, not the whole diff
        code = noise.code_lines(f for f in files if f.path in cited)
        kept, dropped = noise.select(findings, quiet, code, scales)
        notes += quiet_notes + dropped
        comments = merge.merge(kept, anchors)
        if "posted" in state:  # a later review of a PR: what was posted is not repeated
            comments, repeated = incremental.drop_repeats(
                comments, state["posted"], noise.code_lines(files)
            )
            notes.append(
                f"{repeated} earlier finding(s) still apply: already posted on this pull "
                "request, not repeated"
            )
        around = state["around"]["lines"] if "around" in state else {}
        comments = [body.on_context(c, around) for c in comments]
        comments, capped = _cap_inline(comments, quiet.max_inline_comments)
        if capped:
            notes.append(
                f"{capped} lower-ranked comment(s) moved to the review body "
                f"(at most {quiet.max_inline_comments} inline)"
            )
        usage = _usage_by_specialist(reports)
        disputed = [c for c in comments if c.disagreement]
        summary = ""
        answer: SynthesisAnswer | None = None
        orchestrator_error: str | None = None
        # With nothing reviewed the orchestrator is not asked: its summary of no findings
        # would read like a clean review.
        nothing_reviewed = scope.outcome(reports) == "failed"
        if not nothing_reviewed:
            try:
                answer, used = await call_structured(
                    context,
                    ModelChoice(prompt.model or context.model, context.temperature),
                    SynthesisAnswer,
                    prompt.system,
                    prompt.render_user(
                        context=context_block(source),
                        findings=as_data("findings", _findings_text(comments)),
                        disagreements=as_data("disagreements", _findings_text(disputed) or "none"),
                        overlaps=as_data("overlaps", _overlaps_text(comments) or "none"),
                    ),
                    label="orchestrator",
                )
            except ModelError as exc:
                orchestrator_error = str(exc)
                failures.append(f"the orchestrator could not write a summary: {exc}")
        if answer is not None:
            usage[ORCHESTRATOR] = used
            summary = answer.summary.strip()
            comments, judged = synthesis.apply(comments, answer, anchors)
            notes += judged
        comments = merge.rank(comments)
        verdict, reason = merge.verdict(comments)  # on every comment, kept or summarised
        comments, left_out = bound.comments(comments)
        comments = [_with_body(c, anchors) for c in comments]
        said = scope.statement(reports)
        summary = summary or _fallback_summary(comments, orchestrator_error, nothing_reviewed)
        draft = DraftReview(
            summary=f"{said}\n\n{summary}" if said else summary,
            verdict=verdict,
            verdict_reason=reason,
            comments=comments,
            disagreements=[
                Disagreement(
                    comment_id=c.id,
                    positions={p.specialist: p.severity for p in c.perspectives},
                    resolution=c.resolution or "not resolved: the orchestrator did not answer",
                )
                for c in comments
                if c.disagreement
            ],
            failures=bound.failures(
                failures, [p for r in reports if r.status == "failed" for p in r.paths]
            ),
            notes=notes,
            left_out=left_out,
            coverage=_coverage(reports, state.get("skipped", {})),
            usage=usage,
            cost=cost.estimate(
                usage,
                cost.models_by_participant(
                    ((p.name, p.model) for p in roster), prompt.model, context.model
                ),
                context,
            ),
            noise=quiet,
            outcome=scope.outcome(reports, orchestrator_error is not None),
            orchestrator_error=orchestrator_error,
        )
        return {"draft": draft.model_dump(mode="json")}

    return orchestrate


def _prompt_files(
    prompts_dir: Path | None,
) -> tuple[list[SpecialistPrompt], OrchestratorPrompt]:
    return load_roster(prompts_dir), load_orchestrator(prompts_dir)


def _cap_inline(comments: list[ReviewComment], cap: int) -> tuple[list[ReviewComment], int]:
    out: list[ReviewComment] = []
    inline = moved = 0
    for c in comments:
        if c.anchor is not None:
            if inline >= cap:
                c = c.model_copy(update={"anchor": None, "in_body": "over_cap"})
                moved += 1
            else:
                inline += 1
        out.append(c)
    return out, moved


def _findings_text(comments: list[ReviewComment]) -> str:
    rows = [
        json.dumps(
            {
                "id": c.id,
                "file": c.path,
                "lines": [c.start_line, c.end_line],
                "views": [
                    {
                        "by": p.specialist,
                        "severity": p.severity,
                        "title": p.title,
                        "why": p.rationale[:400],
                    }
                    for p in c.perspectives
                ],
            }
        )
        for c in comments[:FULL_FINDINGS]
    ]
    rest = comments[FULL_FINDINGS:]
    if rest:
        counts: dict[str, int] = defaultdict(int)
        for c in rest:
            counts[f"{c.severity}/{c.category}"] += 1
        rows.append(
            f"... and {len(rest)} more: " + ", ".join(f"{k}: {v}" for k, v in counts.items())
        )
    return "\n".join(rows)


def _overlaps_text(comments: list[ReviewComment]) -> str:
    """Overlapping comments of different problems, one group per line, by id and category."""
    rows = []
    for group in synthesis.overlapping(comments[:FULL_FINDINGS]):
        rows.append(
            json.dumps(
                [
                    {"id": c.id, "file": c.path, "lines": [c.start_line, c.end_line]}
                    | {"category": c.category, "title": c.title}
                    for c in group
                ]
            )
        )
    return "\n".join(rows)


def _with_body(c: ReviewComment, anchors: diffs.Anchors) -> ReviewComment:
    # A suggestion block replaces exactly the anchored lines, so it is offered only when the
    # anchor covers the finding's whole range on the new side within one hunk.
    suggest = (
        c.anchor is not None
        and c.side == Side.RIGHT
        and (c.anchor.start_line or c.anchor.line) == c.start_line
        and c.anchor.line == c.end_line
        and anchors.single_hunk_right(c.path, c.start_line, c.end_line)
    )
    return c.model_copy(update={"body": render.comment_body(c, suggest)})


def _fallback_summary(
    comments: list[ReviewComment], orchestrator_error: str | None, nothing_reviewed: bool
) -> str:
    if nothing_reviewed:
        return (
            "Check the model settings (`review-panel doctor`), then re-run the failed calls "
            "(`review-panel resume THREAD`)."
        )
    if not comments:
        if orchestrator_error:
            return "The panel found nothing to comment on. (No synthesis was written.)"
        return "The panel found nothing to comment on in this change."
    counts: dict[str, int] = defaultdict(int)
    for c in comments:
        counts[str(c.severity)] += 1
    listed = ", ".join(f"{n} {s}" for s, n in counts.items())
    return f"The panel left {len(comments)} comment(s): {listed}. (No synthesis was written.)"


def _usage_by_specialist(reports: list[ChunkReport]) -> dict[str, Usage]:
    usage: dict[str, Usage] = {}
    for r in reports:
        usage[r.specialist] = usage.get(r.specialist, Usage()) + r.usage
    return usage


def _coverage(reports: list[ChunkReport], skipped: dict[str, str]) -> Coverage:
    """Files and changed lines each specialist read; a file split over chunks counts once.

    Every changed line is in exactly one chunk per specialist, so lines add up per chunk;
    files are counted as distinct paths (read: in at least one chunk that was reviewed).
    """
    reviewed: dict[str, dict[str, int]] = {}
    files: dict[str, dict[str, set[str]]] = {}
    for r in reports:
        entry = reviewed.setdefault(r.specialist, {"files": 0, "lines": 0, "failed_lines": 0})
        paths = files.setdefault(r.specialist, {"ok": set(), "failed": set()})
        if r.status == "ok":
            paths["ok"].update(r.paths)
            entry["lines"] += r.changed_lines
        elif r.status == "failed":
            paths["failed"].update(r.paths)
            entry["failed_lines"] += r.changed_lines
    for name, entry in reviewed.items():
        entry["files"] = len(files[name]["ok"])
        if files[name]["failed"]:
            entry["failed_files"] = len(files[name]["failed"])
    return Coverage(reviewed=reviewed, skipped=dict(skipped))
