"""Scoring: which comments found which planted problems, and the figures that follow.

A comment *matches* an expected finding when it is on the same file, its lines overlap the
expected window, and one of its categories (the lead one or any merged specialist's view) is
the expected category. Then, over a set of cases:

- recall = expected findings matched by some comment / expected findings;
- precision = comments that match some expected finding / comments (on a clean case every
  comment is a false positive);
- comments per PR = comments / cases.

Per category K, a comment counts once for each category it carries: recall_K is over the
expected findings of K, precision_K over the comments carrying K (correct when they match an
expected finding of K), comments per PR over the comments carrying K.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.cases import Case, Expected
from evals.categories import canonical, same


@dataclass(frozen=True)
class Comment:
    """One comment of a draft, reduced to what scoring needs."""

    file: str
    start: int
    end: int
    categories: tuple[str, ...]  # canonical, lead first
    side: str = "RIGHT"  # LEFT: old-file lines, which no expected window refers to

    @classmethod
    def of(
        cls, file: str, start: int, end: int, categories: list[str], side: str = "RIGHT"
    ) -> Comment:
        cats = tuple(dict.fromkeys(canonical(c) for c in categories if c))
        return cls(file, start, end, cats, side)


def located(c: Comment, e: Expected) -> bool:
    """Same file, and the comment's lines overlap the expected window."""
    return c.side == "RIGHT" and c.file == e.file and c.start <= e.end and e.start <= c.end


def matches(c: Comment, e: Expected) -> bool:
    return located(c, e) and any(same(k, e.category) for k in c.categories)


@dataclass
class CaseResult:
    """What one reviewer made of one case."""

    case: str
    expected: list[Expected]
    comments: list[Comment]
    failures: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float | None = 0.0

    @property
    def found(self) -> list[bool]:
        """For each expected finding: did some comment match it?"""
        return [any(matches(c, e) for c in self.comments) for e in self.expected]

    @property
    def correct(self) -> list[bool]:
        """For each comment: does it match some expected finding?"""
        return [any(matches(c, e) for e in self.expected) for c in self.comments]


@dataclass
class Score:
    cases: int = 0
    expected: int = 0
    found: int = 0
    comments: int = 0
    correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.expected if self.expected else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.comments if self.comments else None

    @property
    def comments_per_pr(self) -> float | None:
        return self.comments / self.cases if self.cases else None

    def as_json(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "expected": self.expected,
            "found": self.found,
            "comments": self.comments,
            "correct": self.correct,
            "recall": self.recall,
            "precision": self.precision,
            "comments_per_pr": self.comments_per_pr,
        }


def overall(results: list[CaseResult]) -> Score:
    s = Score(cases=len(results))
    for r in results:
        s.expected += len(r.expected)
        s.found += sum(r.found)
        s.comments += len(r.comments)
        s.correct += sum(r.correct)
    return s


def by_category(results: list[CaseResult]) -> dict[str, Score]:
    scores: dict[str, Score] = {}

    def score(k: str) -> Score:
        return scores.setdefault(k, Score(cases=len(results)))

    for r in results:
        for e in r.expected:
            score(e.category).expected += 1
            score(e.category).found += any(matches(c, e) for c in r.comments)
        for c in r.comments:
            for k in c.categories:
                score(k).comments += 1
                score(k).correct += any(located(c, e) and same(k, e.category) for e in r.expected)
    return dict(sorted(scores.items()))


def score_case(case: Case, comments: list[Comment], **extra: object) -> CaseResult:
    return CaseResult(case.name, list(case.expected), comments, **extra)  # type: ignore[arg-type]
