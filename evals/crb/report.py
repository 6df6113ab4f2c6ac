"""What ``python -m evals.crb`` prints: the figures on the whole set beside the published
ones, then one line per pull request. The text is made from the JSON, so both agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evals.crb.score import PUBLISHED, PUBLISHED_JUDGE, totals

if TYPE_CHECKING:
    from evals.crb.run import PRResult


def as_json(
    results: list[PRResult], model: str, judge_model: str, specialists: list[str]
) -> dict[str, Any]:
    scored = [r for r in results if r.score is not None]
    t = totals(r.score for r in scored if r.score is not None)
    return {
        "benchmark": "Code Review Benchmark, offline set (withmartian/code-review-benchmark)",
        "model": model,
        "specialists": specialists,
        "judge_model": judge_model,
        "prs": len(results),
        "scored_prs": len(scored),
        "golden_comments": sum(len(r.pr.comments) for r in scored),
        "comments": sum(len(r.candidates) for r in scored),
        "totals": {
            "tp": t.tp,
            "fp": t.fp,
            "fn": t.fn,
            "precision": t.precision,
            "recall": t.recall,
            "f1": t.f1,
        },
        "judge_errors": sum(r.judge_errors for r in results),
        "published": {
            "judge_model": PUBLISHED_JUDGE,
            "tools": {
                name: dict(zip(("precision", "recall", "f1", "tp", "fp", "fn"), row, strict=True))
                for name, row in PUBLISHED.items()
            },
        },
        "pull_requests": [_pr(r) for r in results],
    }


def _pr(r: PRResult) -> dict[str, Any]:
    s = r.score
    return {
        "url": r.pr.url,
        "title": r.pr.title,
        "status": r.status,
        "problem": r.problem,
        "golden": [{"comment": c.text, "severity": c.severity} for c in r.pr.comments],
        "comments": r.candidates,
        "tp": s.tp if s else None,
        "fp": s.fp if s else None,
        "fn": s.fn if s else None,
        "matched": [{"golden": g, "comment": c} for g, c in s.matched] if s else [],
        "judge_errors": r.judge_errors,
    }


def _row(name: str, p: float, r: float, f1: float, tp: int, fp: int, fn: int) -> list[str]:
    return [name, f"{p:.3f}", f"{r:.3f}", f"{f1:.3f}", str(tp), str(fp), str(fn)]


def _table(rows: list[list[str]], left: tuple[int, ...] = (0,)) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i in left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def text(data: dict[str, Any]) -> str:
    t = data["totals"]
    prs = data["pull_requests"]
    left_out = [p for p in prs if p["status"] == "not fetched"]
    failed = [p for p in prs if p["status"] == "review failed"]
    out = [
        f"Code Review Benchmark (offline set): {data['scored_prs']} of {data['prs']} pull "
        f"requests scored, {data['golden_comments']} golden comments, "
        f"{data['comments']} review comments",
        f"panel model {data['model']} ({', '.join(data['specialists'])}); "
        f"judge model {data['judge_model']}",
        "",
    ]
    rows = [["", "precision", "recall", "F1", "TP", "FP", "FN"]]
    rows.append(
        _row("review-panel", t["precision"], t["recall"], t["f1"], t["tp"], t["fp"], t["fn"])
    )
    published = data["published"]["tools"]
    rows += [
        _row(name, *(v[k] for k in ("precision", "recall", "f1", "tp", "fp", "fn")))
        for name, v in published.items()
    ]
    table = _table(rows)
    out += [
        table[0],
        table[1],
        f"published on the same set (judge {data['published']['judge_model']}):",
    ]
    out += table[2:]
    out += ["", "per pull request (golden, comments, TP FP FN):", ""]
    rows = [["pull request", "golden", "comments", "TP", "FP", "FN", "status"]]
    for p in prs:
        figures = [str(p[k]) if p[k] is not None else "-" for k in ("tp", "fp", "fn")]
        status = p["status"] + (f": {p['problem']}" if p["problem"] else "")
        rows.append([p["url"], str(len(p["golden"])), str(len(p["comments"])), *figures, status])
    out += _table(rows, left=(0, 6))
    notes = []
    if left_out:
        notes.append(f"{len(left_out)} pull request(s) could not be fetched and are left out.")
    if failed:
        notes.append(f"{len(failed)} review(s) failed and count as reviews with no comments.")
    if data["judge_errors"]:
        notes.append(f"{data['judge_errors']} judge call(s) failed and count as no match.")
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"
