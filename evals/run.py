"""``python -m evals.run``: score the panel, and a single generalist reviewer, on the labelled set.

Both reviewers run through the real workflow (``build_graph(prompts_dir)`` compiled with an
in-memory checkpointer), against whatever model the environment configures
(``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``REVIEW_PANEL_MODEL``, ...), and every draft is
auto-approved so the whole path runs. The noise thresholds are the run's if set (flags of
``review`` do not apply here; the ``REVIEW_PANEL_*`` variables do), else the built-in defaults:
a ``.review-panel.yaml`` in the current directory is deliberately not consulted, so results
do not depend on where the command is started.

    python -m evals.run                      # panel and generalist, text report
    python -m evals.run --reviewer panel     # only one of them
    python -m evals.run --only injection     # the cases whose name contains "injection"
    python -m evals.run --json               # everything, per case, as JSON
    python -m evals.run --json-file out.json # the text report, and the JSON in a file

Exit codes: 0 done (even if some calls failed: the report says which), 2 configuration,
3 the labelled set does not load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from evals import report
from evals.cases import HERE, Case, CaseError, load_cases
from evals.categories import declare
from evals.drafts import compile_reviewer, review_diff
from evals.metrics import CaseResult, Comment
from graph.context import Context, require_model_config
from graph.errors import ReviewPanelError

REVIEWERS = ("panel", "generalist")
GENERALIST = HERE / "generalist" / "generalist.yaml"


def eval_context() -> Context:
    """The run's settings from the environment, with noise thresholds pinned to the defaults
    where the environment leaves them unset (so no repository file is read)."""
    from services.noise import DEFAULTS, SETTINGS

    context = Context()
    for name in SETTINGS:
        if getattr(context, name) is None:
            setattr(context, name, getattr(DEFAULTS, name))
    return context


def generalist_prompts(panel_dir: Path, into: Path) -> Path:
    """A prompts folder with the generalist as the only specialist, beside the panel's
    orchestrator (which writes the summary; one reviewer has nothing to merge).

    The generalist answers from every category the panel's specialists declare (their
    lists, merged in roster order), so both reviewers name problems from the same list.
    """
    from services.prompts import load_roster

    spec = yaml.safe_load(GENERALIST.read_text(encoding="utf-8"))
    merged = [c for p in load_roster(panel_dir) for c in (p.categories or ())]
    if merged:
        spec["categories"] = list(dict.fromkeys(merged))
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    (into / GENERALIST.name).write_text(text, encoding="utf-8")
    shutil.copy(panel_dir / "orchestrator.yaml", into / "orchestrator.yaml")
    return into


async def review_case(app: Any, case: Case, context: Context, reviewer: str) -> CaseResult:
    """One case through the graph, auto-approved; its draft's comments reduced for scoring.

    Only the diff reaches the model (see ``evals/drafts.py``): never the case's name, file
    name, description or labels.
    """
    try:
        draft = await review_diff(app, case.diff, f"{reviewer}-{case.name}", context)
    except ReviewPanelError as exc:
        return CaseResult(case.name, list(case.expected), [], failures=[str(exc)], usd=None)
    comments = [
        Comment.of(
            c.path,
            c.start_line,
            c.end_line,
            [c.category, *(p.category for p in c.perspectives)],
            side=str(c.side),
        )
        for c in draft.comments
    ]
    lines = draft.cost.lines.values()
    return CaseResult(
        case.name,
        list(case.expected),
        comments,
        failures=list(draft.failures),
        prompt_tokens=sum(line.prompt_tokens for line in lines),
        completion_tokens=sum(line.completion_tokens for line in lines),
        usd=draft.cost.total_usd,
    )


async def evaluate(
    reviewer: str, prompts_dir: Path, cases: Sequence[Case], context: Context, jobs: int
) -> list[CaseResult]:
    """Every case reviewed by the roster in ``prompts_dir``, ``jobs`` cases at a time."""
    # The generalist is the only specialist of its folder, whatever roster the panel runs.
    app = compile_reviewer(prompts_dir, "generalist" if reviewer == "generalist" else None)
    gate = asyncio.Semaphore(jobs)

    async def one(case: Case) -> CaseResult:
        async with gate:
            result = await review_case(app, case, context, reviewer)
        status = f" FAILED: {result.failures[0]}" if result.failures else ""
        print(
            f"{reviewer} {case.name}: found {sum(result.found)}/{len(result.expected)}, "
            f"{len(result.comments)} comment(s){status}",
            file=sys.stderr,
        )
        return result

    return list(await asyncio.gather(*(one(c) for c in cases)))


async def run(args: argparse.Namespace) -> dict[str, list[CaseResult]]:
    from services.prompts import default_prompts_dir

    context = eval_context()
    require_model_config(context)
    cases = load_cases(args.cases, args.only)
    panel_dir = args.prompts or default_prompts_dir()
    declare(panel_dir)  # comment categories map as this roster's lists say
    wanted = REVIEWERS if args.reviewer == "both" else (args.reviewer,)
    runs: dict[str, list[CaseResult]] = {}
    with tempfile.TemporaryDirectory(prefix="review-panel-evals-") as scratch:
        dirs = {"panel": panel_dir, "generalist": generalist_prompts(panel_dir, Path(scratch))}
        for name in wanted:
            runs[name] = await evaluate(name, dirs[name], cases, context, args.jobs)
    return runs


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals.run", description=__doc__.split("\n")[0])
    parser.add_argument("--reviewer", choices=[*REVIEWERS, "both"], default="both")
    parser.add_argument("--only", help="only the cases whose name contains this text")
    parser.add_argument("--jobs", type=int, default=4, help="cases reviewed at once (4)")
    parser.add_argument("--cases", type=Path, default=HERE, help="folder with expected.yaml")
    parser.add_argument("--prompts", type=Path, help="the panel's prompts folder")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--json-file", type=Path, help="also write the JSON report to this file")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        runs = asyncio.run(run(args))
    except CaseError as exc:
        print(f"evals: error: {exc}", file=sys.stderr)
        return 3
    except ReviewPanelError as exc:
        print(f"evals: error: {exc}", file=sys.stderr)
        return exc.exit_code
    model = eval_context().model
    data = json.dumps(report.as_json(runs, model), indent=2) + "\n"
    if args.json_file:
        args.json_file.write_text(data, encoding="utf-8")
    if args.json:
        sys.stdout.write(data)
    else:
        sys.stdout.write(report.text(runs, model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
