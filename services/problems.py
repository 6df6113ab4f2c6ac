"""When two findings are the same problem: the category families.

Findings on overlapping lines are one comment only when they describe one problem. Two
reviewers rarely name a shared problem identically (security's ``missing-input-validation``
is correctness's ``null-handling``), so categories are grouped into families; anything not
listed is a family of its own. ``other`` says nothing about the problem, so an ``other``
finding is the same problem as another only when their titles are the same words. When
the families differ the orchestrator may still judge two overlapping comments one problem
(``nodes/orchestrate.py``); nothing else merges them.
"""

from __future__ import annotations

import re

from graph.contracts import OTHER, Finding, category_slug

FAMILIES: dict[str, frozenset[str]] = {
    "injection": frozenset({"sql-injection", "command-injection", "code-injection", "xss"}),
    "input-handling": frozenset({"missing-input-validation", "null-handling", "edge-case"}),
    "resources": frozenset({"resource-leak", "unbounded-growth", "excessive-memory"}),
    "queries": frozenset({"n-plus-one", "inefficient-query"}),
    "concurrency": frozenset({"race-condition", "blocking-call"}),
    "secrets": frozenset({"hardcoded-secret", "sensitive-data-exposure"}),
}
_FAMILY_OF = {member: name for name, members in FAMILIES.items() for member in members}


def family(category: str) -> str:
    """The family of a category (its own slug when it belongs to none)."""
    slug = category_slug(category) or OTHER
    return _FAMILY_OF.get(slug, slug)


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


def same_problem(a: Finding, b: Finding) -> bool:
    """Whether two findings (assumed to overlap) describe the same problem."""
    fa, fb = family(a.category), family(b.category)
    if OTHER in (fa, fb):
        return _words(a.title) == _words(b.title)
    return fa == fb
