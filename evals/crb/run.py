"""``python -m evals.crb``: review-panel on the Code Review Benchmark's offline set.

For each pull request of the golden set (``evals/crb/data``): fetch its diff through the
product's GitHub client (``GITHUB_TOKEN``; cached in ``--cache``), review it with the panel
through the real workflow (as a local diff, auto-approved: the PR's title and description
are not shown), and ask the LLM judge, for every (golden comment, review comment) pair,
whether both describe the same underlying issue. Then print precision, recall and F1 over the
whole set beside the published figures (``evals/crb/score.py`` says how they are counted).

    python -m evals.crb                        # all 50 PRs
    python -m evals.crb --limit 5              # the first 5
    python -m evals.crb --judge-model gpt-4.1  # the judge's model (default: the panel's)
    python -m evals.crb --json                 # every PR, comment and matched pair

The model settings are the panel's (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``REVIEW_PANEL_MODEL``, ...); the judge takes ``--judge-model`` / ``REVIEW_PANEL_JUDGE_MODEL``
and ``--judge-base-url`` / ``REVIEW_PANEL_JUDGE_BASE_URL``, else the panel's.

Exit codes: 0 done (PRs that could not be fetched or reviewed are reported, not fatal),
2 configuration, 3 the golden set does not load, 11/13/14 GitHub token, rate limit, network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.crb import report
from evals.crb.fetch import pull_diff
from evals.crb.golden import DATA, GoldenError, GoldenPR, load_golden
from evals.crb.judge import judge, judge_context
from evals.crb.score import PRScore, Verdict, score_pr
from evals.drafts import compile_reviewer, review_diff
from evals.run import eval_context
from graph.context import Context, require_model_config
from graph.contracts import ReviewComment
from graph.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNetworkError,
    GitHubRateLimitError,
    ReviewPanelError,
)

DEFAULT_CACHE = Path(".review-panel") / "crb-cache"


@dataclass
class PRResult:
    """One pull request: what was found, how it was judged, and what went wrong."""

    pr: GoldenPR
    status: str = "reviewed"  # reviewed | review failed | not fetched
    problem: str = ""
    candidates: list[str] = field(default_factory=list)
    verdicts: dict[tuple[int, int], Verdict] = field(default_factory=dict)
    score: PRScore | None = None  # None: not fetched, left out of the figures

    @property
    def judge_errors(self) -> int:
        return sum(1 for v in self.verdicts.values() if v.error is not None)


def candidate_text(c: ReviewComment) -> str:
    """A comment as the judge sees it: where it is, and what it says."""
    lines = f"{c.start_line}" if c.start_line == c.end_line else f"{c.start_line}-{c.end_line}"
    return f"{c.path} line {lines}: {c.body}"


class Runner:
    def __init__(self, args: argparse.Namespace, context: Context, judge_ctx: Context) -> None:
        from services.prompts import active_roster, default_prompts_dir

        self.args, self.context, self.judge_ctx = args, context, judge_ctx
        prompts = args.prompts or default_prompts_dir()
        self.roster = [p.name for p in active_roster(prompts)]
        self.app = compile_reviewer(prompts)
        self.calls = asyncio.Semaphore(max(1, context.max_concurrency))
        self.prs = asyncio.Semaphore(args.jobs)

    async def one(self, i: int, pr: GoldenPR) -> PRResult:
        async with self.prs:
            result = await self._one(i, pr)
        s = result.score
        figures = f"TP {s.tp} FP {s.fp} FN {s.fn}" if s else "left out"
        tail = f" ({result.status}: {result.problem})" if result.problem else ""
        print(
            f"crb {pr.url}: {len(result.candidates)} comment(s), {figures}{tail}", file=sys.stderr
        )
        return result

    async def _one(self, i: int, pr: GoldenPR) -> PRResult:
        result = PRResult(pr)
        cache = None if self.args.no_cache else self.args.cache
        try:
            diff = await pull_diff(pr.url, self.context, cache, self.args.refresh)
        except (GitHubAuthError, GitHubRateLimitError, GitHubNetworkError):
            raise  # every other PR would fail the same way
        except (GitHubError, ReviewPanelError) as exc:
            result.status, result.problem = "not fetched", str(exc)
            return result
        try:
            draft = await review_diff(self.app, diff, f"crb-{i}", self.context)
        except ReviewPanelError as exc:
            result.status, result.problem = "review failed", str(exc)
            result.score = score_pr(len(pr.comments), 0, {})
            return result
        if draft.failures:
            result.problem = f"{len(draft.failures)} model call(s) failed: {draft.failures[0]}"
        result.candidates = [candidate_text(c) for c in draft.comments]
        pairs = [(g, c) for g in range(len(pr.comments)) for c in range(len(result.candidates))]
        verdicts = await asyncio.gather(
            *(self._judge(pr.comments[g].text, result.candidates[c]) for g, c in pairs)
        )
        result.verdicts = dict(zip(pairs, verdicts, strict=True))
        result.score = score_pr(len(pr.comments), len(result.candidates), result.verdicts)
        return result

    async def _judge(self, golden: str, candidate: str) -> Verdict:
        async with self.calls:
            return await judge(self.judge_ctx, golden, candidate)


async def run(args: argparse.Namespace) -> tuple[list[PRResult], Context, Context, list[str]]:
    context = eval_context()
    require_model_config(context)
    judge_ctx = judge_context(context, args.judge_model, args.judge_base_url)
    prs = load_golden(args.golden)
    if args.limit is not None:
        prs = prs[: args.limit]
    runner = Runner(args, context, judge_ctx)
    results = await asyncio.gather(*(runner.one(i, pr) for i, pr in enumerate(prs)))
    return list(results), context, judge_ctx, runner.roster


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals.crb", description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="only the first N pull requests")
    parser.add_argument("--golden", type=Path, default=DATA, help="folder of golden *.json")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"fetched diffs ({DEFAULT_CACHE})"
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write diffs")
    parser.add_argument("--refresh", action="store_true", help="fetch again, replacing the cache")
    parser.add_argument("--prompts", type=Path, help="the panel's prompts folder")
    parser.add_argument(
        "--judge-model",
        default=os.environ.get("REVIEW_PANEL_JUDGE_MODEL") or None,
        help="the judge's model (REVIEW_PANEL_JUDGE_MODEL; default: the panel's)",
    )
    parser.add_argument(
        "--judge-base-url",
        default=os.environ.get("REVIEW_PANEL_JUDGE_BASE_URL") or None,
        help="the judge's OpenAI-compatible base URL (REVIEW_PANEL_JUDGE_BASE_URL)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="pull requests reviewed at once (2)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        results, context, judge_ctx, roster = asyncio.run(run(args))
    except GoldenError as exc:
        print(f"evals.crb: error: {exc}", file=sys.stderr)
        return 3
    except ReviewPanelError as exc:
        print(f"evals.crb: error: {exc}", file=sys.stderr)
        return exc.exit_code
    data: dict[str, Any] = report.as_json(results, context.model, judge_ctx.model, roster)
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(report.text(data))
    return 0
