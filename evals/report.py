"""Printing scores: one table per view (overall, per category, per case), text or JSON."""

from __future__ import annotations

from typing import Any

from evals.metrics import CaseResult, Score, by_category, overall


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _usd(results: list[CaseResult]) -> str:
    if any(r.usd is None for r in results):
        return "unknown"
    return f"${sum(r.usd or 0.0 for r in results):.4f}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def text(runs: dict[str, list[CaseResult]], model: str) -> str:
    """The report a person reads: reviewers side by side."""
    names = list(runs)
    first = runs[names[0]]
    clean = sum(1 for r in first if not r.expected)
    out = [
        f"review-panel evals: {len(first)} cases ({len(first) - clean} with planted problems, "
        f"{clean} clean), model {model}",
        "",
    ]
    rows = [
        [
            "reviewer",
            "precision",
            "recall",
            "comments/PR",
            "comments",
            "correct",
            "found",
            "expected",
            "failed",
            "tokens in",
            "tokens out",
            "cost",
        ]
    ]
    for name in names:
        results, s = runs[name], overall(runs[name])
        rows.append(
            [
                name,
                _ratio(s.precision),
                _ratio(s.recall),
                _ratio(s.comments_per_pr),
                str(s.comments),
                str(s.correct),
                str(s.found),
                str(s.expected),
                str(sum(1 for r in results if r.failures)),
                f"{sum(r.prompt_tokens for r in results):,}",
                f"{sum(r.completion_tokens for r in results):,}",
                _usd(results),
            ]
        )
    out += [*_table(rows), "", "per category (recall / precision / comments per PR):", ""]
    cats = {name: by_category(runs[name]) for name in names}
    keys = sorted({k for scores in cats.values() for k in scores})
    rows = [["category", "expected"] + [f"{n} R/P/C" for n in names]]
    for k in keys:
        expected = next((cats[n][k].expected for n in names if k in cats[n]), 0)
        rows.append([k, str(expected)] + [_triple(cats[n].get(k)) for n in names])
    out += [*_table(rows), "", "per case (found/expected, comments):", ""]
    rows = [["case", *names]]
    for i, r in enumerate(first):
        cells = []
        for n in names:
            c = runs[n][i]
            mark = " FAILED" if c.failures else ""
            cells.append(f"{sum(c.found)}/{len(c.expected)}, {len(c.comments)}{mark}")
        rows.append([r.case, *cells])
    out += _table(rows)
    failed = [(n, r) for n in names for r in runs[n] if r.failures]
    if failed:
        out += ["", "failures (these cases were not fully reviewed):"]
        out += [f"- {n} {r.case}: {r.failures[0]}" for n, r in failed]
    return "\n".join(out) + "\n"


def _triple(s: Score | None) -> str:
    if s is None:
        return "-"
    return f"{_ratio(s.recall)} / {_ratio(s.precision)} / {_ratio(s.comments_per_pr)}"


def as_json(runs: dict[str, list[CaseResult]], model: str) -> dict[str, Any]:
    """Everything the text says, and each case's comments, for tools and tests."""
    return {
        "model": model,
        "reviewers": {
            name: {
                "overall": overall(results).as_json(),
                "by_category": {k: s.as_json() for k, s in by_category(results).items()},
                "tokens": {
                    "prompt": sum(r.prompt_tokens for r in results),
                    "completion": sum(r.completion_tokens for r in results),
                },
                "usd": None
                if any(r.usd is None for r in results)
                else sum(r.usd or 0.0 for r in results),
                "cases": [_case_json(r) for r in results],
            }
            for name, results in runs.items()
        },
    }


def _case_json(r: CaseResult) -> dict[str, Any]:
    return {
        "case": r.case,
        "expected": [vars(e) for e in r.expected],
        "found": r.found,
        "comments": [
            {
                "file": c.file,
                "side": c.side,
                "lines": [c.start, c.end],
                "categories": list(c.categories),
            }
            for c in r.comments
        ],
        "correct": r.correct,
        "failures": r.failures,
    }
