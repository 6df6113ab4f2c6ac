"""Reviewing one chunk: the prompt, the model call, and what is kept of the answer.

The specialist nodes and the retry node both review chunks, and must do it the same way:
each chunk is one LangGraph task (``review_one_chunk``), whose result is checkpointed as soon
as it returns, so a crash repeats only the calls that had not returned; every call waits for
the run's shared limiter (``services.limits``). A model failure is a ``failed`` report with
the reason and the task to retry, never an exception that sinks the review.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from langgraph.func import task

from graph.context import Context
from graph.contracts import (
    Chunk,
    ChunkReport,
    Finding,
    Severity,
    Source,
    SpecialistAnswer,
    Usage,
)
from graph.errors import AnswerCutOff, ModelError
from graph.state import SpecialistTask
from services import citations, limits, secrets, split, verify
from services import diff as diffs
from services.answers import specialist_answer
from services.model import ModelChoice, call_structured
from services.prompts import SpecialistPrompt, VerifierPrompt, as_data, context_block, load_verifier


@task  # streams its updates under its name, graph.steps.REVIEW_TASK
async def review_one_chunk(
    prompt: SpecialistPrompt,
    chunk: Chunk,
    source: Source,
    context: Context,
    limiter: limits.Limiter,
    verifier: VerifierPrompt | None = None,
) -> dict[str, Any]:
    """One chunk, as a LangGraph task: its result is checkpointed when it returns.

    Its arguments are not stored (only the result is), so the chunk text costs no space; on
    resume the node calls the tasks again in the same order and gets the saved results back.
    With a ``verifier`` (``REVIEW_PANEL_VERIFY``), the findings are checked by one more call
    inside the same task, so a resumed run repeats neither.
    """
    report = await review_chunk(prompt, chunk, source, context, limiter)
    if verifier is not None:
        report = await verify.verify(verifier, report, chunk, context, limiter)
    return report.model_dump(mode="json")


async def verifier_for(context: Context, prompts_dir: Path | None) -> VerifierPrompt | None:
    """The verifier's prompt when the verification pass is on, else None."""
    if not context.verify:
        return None
    return await asyncio.to_thread(load_verifier, prompts_dir)


async def review_chunk(
    prompt: SpecialistPrompt,
    chunk: Chunk,
    source: Source,
    context: Context,
    limiter: limits.Limiter | None = None,
    depth: int = 0,
) -> ChunkReport:
    """Review one chunk; an answer cut off at the output limit is asked for again in halves.

    Everything but the model call happens outside ``limiter``: the prompt is ready before a
    slot is taken, and the answer is checked after it is given back, so a free slot goes
    to the next request at once.
    """
    # Secrets are masked in call_structured, for every model call (PR text included).
    user = prompt.render_user(context=context_block(source), diff=as_data("diff", chunk.text))
    choice = ModelChoice(
        name=prompt.model or context.model,
        temperature=prompt.temperature if prompt.temperature is not None else context.temperature,
    )
    base = {
        "specialist": prompt.name,
        "chunk": chunk.index,
        "paths": chunk.paths,
        "changed_lines": chunk.changed_lines,
    }
    shown = _Shown(chunk.text)

    def check(answer: SpecialistAnswer) -> str:
        problems = [p for p in (shown().problem(f) for f in answer.findings) if p]
        return "; ".join(problems[:5])

    schema = specialist_answer(prompt.max_findings, prompt.category_list)
    try:
        async with limiter if limiter is not None else contextlib.nullcontext():
            answer, usage = await call_structured(
                context,
                choice,
                schema,
                prompt.system,
                user,
                check=check,
                partial=True,
                split_cut_off=depth < split.MAX_DEPTH,
                label=f"{prompt.name} [chunk {chunk.index + 1}]",
            )
    except AnswerCutOff as exc:
        parts = split.halves(chunk)
        if parts is None:
            return ChunkReport(**base, status="failed", error=str(exc), task=_task(chunk, source))
        reports = await asyncio.gather(
            *(review_chunk(prompt, p, source, context, limiter, depth + 1) for p in parts)
        )
        return _combined(chunk, source, list(reports), depth)
    except ModelError as exc:
        return ChunkReport(**base, status="failed", error=str(exc), task=_task(chunk, source))
    # After the repair attempt, a finding that still cites lines never shown is dropped and
    # named; the others stand. The call fails only when nothing usable is left.
    valid, notes = shown().keep_shown(prompt.name, answer.findings) if answer.findings else ([], [])
    if answer.findings and not valid:
        error = "every finding cited lines it was never shown: " + "; ".join(notes[:3])
        return ChunkReport(
            **base, status="failed", error=error, usage=usage, task=_task(chunk, source)
        )
    findings: list[Finding] = []
    for f in valid:
        if f.path not in chunk.paths:
            notes.append(f"dropped a finding on {f.path!r}, which is not in the reviewed files")
            continue
        findings.append(Finding(**f.model_dump(), specialist=prompt.name))
    if prompt.report_secrets and secrets.may_contain(chunk.text):
        findings += _secret_findings(prompt.name, shown())
    notes += diffs.cut_notes(chunk.text)
    return ChunkReport(**base, status="ok", findings=findings, notes=notes, usage=usage)


def _combined(chunk: Chunk, source: Source, parts: list[ChunkReport], depth: int) -> ChunkReport:
    """One report for a chunk reviewed in parts: every part's findings, and what failed.

    If a part failed for good, the report is ``failed`` for that part's files and lines (its
    error and retry task say so) and still carries the other parts' findings.
    """
    failed = [r for r in parts if r.status == "failed"]
    notes = [n for r in parts for n in r.notes]
    if depth == 0:
        notes.insert(
            0,
            f"{parts[0].specialist}: an answer on {len(chunk.paths)} file(s) did not fit the "
            "output limit, so they were reviewed in smaller parts",
        )
    usage = Usage()
    for r in parts:
        usage = usage + r.usage
    common: dict[str, Any] = {
        "specialist": parts[0].specialist,
        "chunk": chunk.index,
        "findings": [f for r in parts for f in r.findings],
        "notes": notes,
        "usage": usage,
    }
    if not failed:
        return ChunkReport(
            **common, paths=chunk.paths, changed_lines=chunk.changed_lines, status="ok"
        )
    return ChunkReport(
        **common,
        paths=list(dict.fromkeys(p for r in failed for p in r.paths)),
        changed_lines=sum(r.changed_lines for r in failed),
        status="failed",
        error=failed[0].error,
        task=_task(chunk, source),
    )


class _Shown:
    """What a chunk showed the model, read from its text only if an answer needs it.

    Most answers have no findings to check and most chunks no secret, so most calls never
    pay for reading the chunk back (~1 ms per 50 KB).
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._shown: citations.Shown | None = None

    def __call__(self) -> citations.Shown:
        if self._shown is None:
            self._shown = citations.read(self._text)
        return self._shown


def _task(chunk: Chunk, source: Source) -> SpecialistTask:
    """Kept on a failed report so a retry re-runs just this call."""
    return SpecialistTask(
        chunk=chunk.model_dump(mode="json"), source=source.model_dump(mode="json")
    )


def _secret_findings(specialist: str, shown: citations.Shown) -> list[Finding]:
    """Secrets found by pattern: reported by location whatever the model said."""
    return [
        Finding(
            path=path,
            start_line=line,
            end_line=line,
            severity=Severity.CRITICAL,
            category="hardcoded-secret",
            title=f"{kind} committed to the repository",
            rationale=(
                f"Line {line} contains what looks like a {kind}. Revoke it, remove it from "
                "the history, and load it from the environment or a secret store instead."
            ),
            confidence=0.95,
            specialist=specialist,
        )
        for path, line, kind in secrets.locate(shown.added)
    ]
