"""Progress on stderr while a review runs: one line per step, in words that never hide a failure.

A specialist whose calls failed is reported as failed (not "done"), the orchestrator's line
says whether it merged, failed or was not asked, and events the model layer sends while a call
waits or is retried (``services.progress``) are printed as they happen, so a slow server is
never a silence.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import typer

from graph import steps
from graph.context import Context
from graph.contracts import ChunkReport, DraftReview
from services.progress import EVENT


def say(message: str) -> None:
    typer.echo(message, err=True)


def default_model_warning(context: Context, flag: str | None) -> str:
    """A warning, before the first call, when a non-OpenAI server gets OpenAI's model name."""
    if flag or os.environ.get("REVIEW_PANEL_MODEL") or not context.base_url:
        return ""
    host = urlsplit(context.base_url).hostname or ""
    if host == "api.openai.com" or host.endswith(".openai.azure.com"):
        return ""
    return (
        f"review-panel: warning: OPENAI_BASE_URL is not OpenAI's and no model is set, so "
        f"every call asks for {context.model!r} (the OpenAI default); set REVIEW_PANEL_MODEL "
        "or --model to a name your server serves (`review-panel doctor` lists them)"
    )


def step(node: str, value: Any) -> None:
    """Report one graph update (``stream_mode="updates"``) of ``node``."""
    if node == "__interrupt__" or not isinstance(value, dict):
        return
    if node == steps.FETCH:
        say("fetched the diff; specialists reviewing ...")
    elif node == steps.REVIEW_TASK:  # one model call's report, as soon as it is back
        report_line(ChunkReport.model_validate(value))
    elif node == steps.RETRY:  # each retried call had its line as its task returned
        reports = [ChunkReport.model_validate(r) for r in value.get("reports", [])]
        still = sum(r.status == "failed" for r in reports)
        say(f"  retried {len(reports)} call(s): {len(reports) - still} answered, {still} failed")
    elif node == steps.ORCHESTRATE and "draft" in value:
        say(orchestrator_line(DraftReview.model_validate(value["draft"])))
    elif node == steps.POST and value.get("result"):
        local = value["result"].get("destination") == "local"
        say("written (a local diff's review is printed, not posted)" if local else "posted")
    elif "reports" in value:  # a specialist node: all its chunks are done
        specialist_line(node, [ChunkReport.model_validate(r) for r in value["reports"]])


def event(chunk: Any) -> None:
    """An event from ``services.progress``: printed as it is, indented under its step."""
    if isinstance(chunk, dict) and EVENT in chunk:
        say(f"  {chunk.get('message', '')}")


def specialist_line(node: str, reports: list[ChunkReport]) -> None:
    if len(reports) == 1 and reports[0].status == "skipped":
        report_line(reports[0])
        return
    found = sum(len(r.findings) for r in reports)
    failed = sum(r.status == "failed" for r in reports)
    if failed == len(reports):
        state = "FAILED"
    elif failed:
        state = f"partly FAILED ({failed} of {len(reports)} call(s))"
    else:
        state = "done"
    say(f"  {node}: {state}, {found} finding(s) in {len(reports)} chunk(s)")


def orchestrator_line(draft: DraftReview) -> str:
    if draft.outcome == "failed":
        return "orchestrator not asked: no specialist produced a usable answer"
    if draft.orchestrator_error:
        return (
            f"orchestrator FAILED: {draft.orchestrator_error}; the draft has the merged "
            "findings without a summary"
        )
    return "orchestrator merged the findings"


def report_line(r: ChunkReport) -> None:
    what = {
        "ok": f"{len(r.findings)} finding(s)",
        "skipped": "nothing to review",
        "failed": f"FAILED: {r.error}",
    }[r.status]
    files = f"{len(r.paths)} file(s), {r.changed_lines} changed line(s)"
    say(f"  {r.specialist} [chunk {r.chunk + 1}] {files}: {what}")
