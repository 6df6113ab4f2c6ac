"""A specialist: one narrow reviewer (security, performance, style, or any YAML-defined one).

Each task is one chunk of the diff. The prompt file is read anew for every run, so editing
it changes the next review. Model failures do not sink the review: the task reports
``failed`` with the reason, and the draft says which files that specialist could not review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context, resolve
from graph.contracts import Chunk, ChunkReport, Finding, Severity, Source, SpecialistAnswer
from graph.errors import ModelError
from graph.state import SpecialistTask
from services import citations, secrets
from services.model import ModelChoice, call_structured
from services.prompts import SpecialistPrompt, as_data, load_specialist


def context_block(source: Source) -> str:
    """What the models learn about the PR: its label, title and body, as untrusted data."""
    lines = [f"Change under review: {source.label}"]
    if source.title or source.body:
        lines.append(as_data("pr_description", f"Title: {source.title}\n\n{source.body}"))
    return "\n".join(lines)


def make_specialist(name: str, prompts_dir: Path | None) -> Any:
    """The node for the specialist ``name``, defined by ``prompts/<file>.yaml``."""

    async def review(task: SpecialistTask, runtime: Runtime[Context]) -> dict[str, Any]:
        context = resolve(runtime.context)
        chunk = Chunk.model_validate(task["chunk"])
        source = Source.model_validate(task["source"])
        base = {"specialist": name, "chunk": chunk.index, "paths": chunk.paths}
        if not chunk.paths:
            report = ChunkReport(
                **base,
                changed_lines=0,
                status="skipped",
                notes=["no file in this diff is for this reviewer"],
            )
            return {"reports": [report.model_dump(mode="json")]}
        prompt = load_specialist(name, prompts_dir)
        report = await review_chunk(prompt, chunk, source, context)
        return {"reports": [report.model_dump(mode="json")]}

    review.__name__ = name
    return review


async def review_chunk(
    prompt: SpecialistPrompt, chunk: Chunk, source: Source, context: Context
) -> ChunkReport:
    text = secrets.mask(chunk.text) if context.mask_secrets else chunk.text
    user = prompt.render_user(context=context_block(source), diff=as_data("diff", text))
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
    shown = citations.read(chunk.text)

    def check(answer: SpecialistAnswer) -> str:
        problems = [p for p in (shown.problem(f) for f in answer.findings) if p]
        return "; ".join(problems[:5])

    try:
        answer, usage = await call_structured(
            context, choice, SpecialistAnswer, prompt.system, user, check=check
        )
    except ModelError as exc:
        return ChunkReport(**base, status="failed", error=str(exc), task=_task(chunk, source))
    findings: list[Finding] = []
    notes: list[str] = []
    for f in answer.findings:
        if f.path not in chunk.paths:
            notes.append(f"dropped a finding on {f.path!r}, which is not in the reviewed files")
            continue
        findings.append(Finding(**f.model_dump(), specialist=prompt.name))
    if prompt.report_secrets:
        findings += _secret_findings(prompt.name, shown)
    return ChunkReport(**base, status="ok", findings=findings, notes=notes, usage=usage)


def _task(chunk: Chunk, source: Source) -> dict[str, Any]:
    """Kept on a failed report so a retry re-runs just this call."""
    return {"chunk": chunk.model_dump(mode="json"), "source": source.model_dump(mode="json")}


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
