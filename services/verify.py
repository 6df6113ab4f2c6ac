"""The optional verification pass: a second look that drops findings the code refutes.

Off by default (``REVIEW_PANEL_VERIFY``). When on, every chunk a specialist reviewed with
at least one finding gets one more model call (``prompts/verifier.yaml``), shown the same
numbered code and the findings, answering per finding whether the code shown supports it.
A finding is dropped only when the verifier says it does not hold, with its reason in the
draft's notes; a finding it does not mention stands, and a verification call that fails
keeps every finding (a note says so). Its cost, in round trips and tokens, is measured by
``python -m bench.verify``.
"""

from __future__ import annotations

import contextlib
import json

from graph.context import Context
from graph.contracts import Chunk, ChunkReport, VerificationAnswer
from graph.errors import ModelError
from services import limits
from services.model import ModelChoice, call_structured
from services.prompts import VerifierPrompt, as_data


def findings_text(report: ChunkReport) -> str:
    """The findings as numbered JSON lines (numbers from 1)."""
    return "\n".join(
        json.dumps(
            {
                "finding": i,
                "file": f.path,
                "lines": [f.start_line, f.end_line],
                "side": f.side,
                "title": f.title,
                "rationale": f.rationale,
            }
        )
        for i, f in enumerate(report.findings, start=1)
    )


async def verify(
    prompt: VerifierPrompt,
    report: ChunkReport,
    chunk: Chunk,
    context: Context,
    limiter: limits.Limiter | None = None,
) -> ChunkReport:
    """``report`` without the findings the verifier refutes, with a note for each."""
    if report.status != "ok" or not report.findings:
        return report
    user = prompt.render_user(
        findings=as_data("findings", findings_text(report)), diff=as_data("diff", chunk.text)
    )
    choice = ModelChoice(prompt.model or context.model, context.temperature)
    try:
        async with limiter if limiter is not None else contextlib.nullcontext():
            answer, usage = await call_structured(
                context, choice, VerificationAnswer, prompt.system, user
            )
    except ModelError as exc:
        note = f"{report.specialist}: verification could not run, all findings kept ({exc})"
        return report.model_copy(update={"notes": [*report.notes, note]})
    refuted = {c.finding: c.reason.strip() for c in answer.checks if not c.holds}
    kept = []
    notes = list(report.notes)
    for i, f in enumerate(report.findings, start=1):
        if i in refuted:
            lines = (
                f"{f.start_line}" if f.start_line == f.end_line else f"{f.start_line}-{f.end_line}"
            )
            notes.append(
                f"verification dropped {report.specialist}'s finding {f.title[:80]!r} "
                f"at {f.path}:{lines}: {refuted[i]}"
            )
        else:
            kept.append(f)
    return report.model_copy(
        update={"findings": kept, "notes": notes, "usage": report.usage + usage}
    )
