"""The benchmark's arithmetic, as its own scorer does it, and the published figures.

Per pull request (``step3_judge_comments.py`` at the pinned commit): every golden comment is
judged against every candidate comment. Going through the golden comments in order, and for
each the candidates in order, a verdict of *match* whose confidence beats the best one so far
for that golden comment marks both the golden comment and the candidate as matched. Then

- TP = golden comments matched; FN = golden comments not matched;
- FP = candidates never marked matched (a second candidate on an already matched issue, with
  no better confidence, is a false positive);

and over the whole set (``benchmark_dashboard.py``): precision = TP / (TP + FP), recall =
TP / (TP + FN), F1 their harmonic mean, each 0 when its denominator is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """The judge's answer for one (golden, candidate) pair; ``error`` set: no answer."""

    match: bool
    confidence: float
    reasoning: str = ""
    error: str | None = None


@dataclass(frozen=True)
class PRScore:
    tp: int
    fp: int
    fn: int
    matched: tuple[tuple[int, int], ...] = ()  # (golden, candidate) pairs that count


def score_pr(golden: int, candidates: int, verdicts: dict[tuple[int, int], Verdict]) -> PRScore:
    """``verdicts[(g, c)]`` for golden comment g and candidate c (missing: no match)."""
    best = [0.0] * golden
    golden_hit = [False] * golden
    candidate_hit = [False] * candidates
    chosen: dict[int, int] = {}
    for g in range(golden):
        for c in range(candidates):
            v = verdicts.get((g, c))
            if v is None or v.error is not None or not v.match:
                continue
            if v.confidence > best[g]:
                best[g] = v.confidence
                golden_hit[g] = candidate_hit[c] = True
                chosen[g] = c
    tp = sum(golden_hit)
    return PRScore(
        tp=tp,
        fp=candidates - sum(candidate_hit),
        fn=golden - tp,
        matched=tuple(sorted(chosen.items())),
    )


@dataclass(frozen=True)
class Totals:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def totals(scores: Iterable[PRScore]) -> Totals:
    listed = list(scores)
    return Totals(
        tp=sum(s.tp for s in listed), fp=sum(s.fp for s in listed), fn=sum(s.fn for s in listed)
    )


# Published results on the same 50 PRs (benchmark_dashboard.json at commit 012d682, judge
# anthropic_claude-opus-4-5-20251101): tool -> (precision, recall, F1, TP, FP, FN).
PUBLISHED_JUDGE = "anthropic_claude-opus-4-5-20251101"
PUBLISHED: dict[str, tuple[float, float, float, int, int, int]] = {
    "augment (best F1)": (0.470, 0.628, 0.538, 86, 97, 51),
    "bugbot": (0.462, 0.438, 0.449, 60, 70, 77),
    "greptile": (0.384, 0.387, 0.385, 53, 85, 84),
    "copilot": (0.266, 0.533, 0.355, 73, 201, 64),
    "claude": (0.331, 0.358, 0.344, 49, 99, 88),
    "coderabbit": (0.239, 0.394, 0.298, 54, 172, 83),
}
