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
from graph.contracts import Chunk, ChunkReport, Finding, Source, SpecialistAnswer
from graph.errors import ModelError
from graph.state import SpecialistTask
from services import secrets
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
        report = await _review_chunk(prompt, chunk, source, context)
        return {"reports": [report.model_dump(mode="json")]}

    review.__name__ = name
    return review


async def _review_chunk(
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
    try:
        answer, usage = await call_structured(
            context, choice, SpecialistAnswer, prompt.system, user
        )
    except ModelError as exc:
        return ChunkReport(**base, status="failed", error=str(exc))
    findings: list[Finding] = []
    notes: list[str] = []
    for f in answer.findings:
        if f.path not in chunk.paths:
            notes.append(f"dropped a finding on {f.path!r}, which is not in the reviewed files")
            continue
        findings.append(Finding(**f.model_dump(), specialist=prompt.name))
    return ChunkReport(**base, status="ok", findings=findings, notes=notes, usage=usage)
