"""Scoring: which comments found which labelled problems, and the figures that follow.

A comment *can answer* a label when all of these hold:

- same file, on new-file lines (side RIGHT);
- it cites a line within ``TOLERANCE`` (3) lines of the labelled lines: its range
  ``start..end`` overlaps ``label.start - 3 .. label.end + 3``;
- it is not much wider than the label: at most ``SLACK`` (10) lines more than the labelled
  range, so a comment on a whole file or function locates nothing;
- one of its categories (its own, or a merged specialist's view) maps to the label's
  category (``evals/categories.py``), or to one of the label's ``also`` categories where a
  problem fairly has two names (an unawaited permission check is a logic error and a
  missing authorisation).

Then comments are paired with labels one to one: each label is answered by at most one
comment view, each view answers at most one label, and the pairing found is a largest one
(so the figures do not depend on the order comments come in). A second comment on a label
already answered is a false positive. A comment that merges two specialists' views on one
line may answer two labels there (one per view).

Over a set of cases:

- recall = labels answered / labels;
- precision = comments that answer some label / comments (on a clean case every comment is
  a false positive);
- comments per PR = comments / cases.

Per category K, a comment counts once for each category it carries: recall_K is over the
labels of K, precision_K over the comments carrying K (correct when that view answers a
label), comments per PR over the comments carrying K.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evals.cases import Expected
from evals.categories import canonical, same

TOLERANCE = 3  # lines either side of the labelled lines a comment may cite
SLACK = 10  # lines a comment may span beyond the labelled range


@dataclass(frozen=True)
class Comment:
    """One comment of a draft, reduced to what scoring needs."""

    file: str
    start: int
    end: int
    categories: tuple[str, ...]  # canonical, lead first
    side: str = "RIGHT"  # LEFT: old-file lines, which no label refers to

    @classmethod
    def of(
        cls, file: str, start: int, end: int, categories: list[str], side: str = "RIGHT"
    ) -> Comment:
        cats = tuple(dict.fromkeys(canonical(c) for c in categories if c))
        return cls(file, start, end, cats, side)


def located(c: Comment, e: Expected) -> bool:
    """Same file, new-file lines, within the tolerance and not much wider than the label."""
    return (
        c.side == "RIGHT"
        and c.file == e.file
        and c.start <= e.end + TOLERANCE
        and e.start - TOLERANCE <= c.end
        and (c.end - c.start) <= (e.end - e.start) + SLACK
    )


def answers(c: Comment, view: str, e: Expected) -> bool:
    """Whether the comment's ``view`` (one of its categories) can answer the label."""
    return located(c, e) and any(same(view, k) for k in e.categories)


def pairing(expected: list[Expected], comments: list[Comment]) -> dict[int, tuple[int, str]]:
    """A largest one-to-one pairing: label index -> (comment index, view that answers it).

    Augmenting paths (Kuhn's algorithm), trying labels and views in their order: the sets
    are a handful of items, and the result is deterministic.
    """
    views = [(j, k) for j, c in enumerate(comments) for k in c.categories]
    edges = [[v for v, (j, k) in enumerate(views) if answers(comments[j], k, e)] for e in expected]
    owner: dict[int, int] = {}  # view -> label

    def place(i: int, seen: set[int]) -> bool:
        for v in edges[i]:
            if v in seen:
                continue
            seen.add(v)
            if v not in owner or place(owner[v], seen):
                owner[v] = i
                return True
        return False

    for i in range(len(expected)):
        place(i, set())
    return {i: views[v] for v, i in owner.items()}


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
    def pairs(self) -> dict[int, tuple[int, str]]:
        """label index -> (comment index, the comment's category that answered it)."""
        return pairing(self.expected, self.comments)

    @property
    def found(self) -> list[bool]:
        """For each label: did a comment answer it?"""
        pairs = self.pairs
        return [i in pairs for i in range(len(self.expected))]

    @property
    def correct(self) -> list[bool]:
        """For each comment: did it answer a label?"""
        used = {j for j, _ in self.pairs.values()}
        return [j in used for j in range(len(self.comments))]


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
        pairs = r.pairs
        used = set(pairs.values())
        for i, e in enumerate(r.expected):
            score(e.category).expected += 1
            score(e.category).found += i in pairs
        for j, c in enumerate(r.comments):
            for k in c.categories:
                score(k).comments += 1
                score(k).correct += (j, k) in used
    return dict(sorted(scores.items()))

