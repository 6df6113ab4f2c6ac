"""The label categories of the eval set, and which comment categories answer each one.

Labels (``evals/expected.yaml``) use the canonical names of ``ALIASES``, named as in the
specialists' category lists (``categories:`` in ``prompts/*.yaml``) wherever a list has the
problem. A comment's category is mapped in one of two ways, both defined here:

- **a category from a specialist's list** (what the panel answers with) maps to itself, or
  through ``LIST_TO_LABEL`` where a list names a label's problem differently. A list category
  that no label uses (``inefficient-query``, ``xss``, ``other``) maps to nothing: it can only
  be a false positive. Never a guess: ``code-injection`` is not ``sql-injection``.
- **free text** (a reviewer with no list, such as an older prompt or another tool) is slugged
  ("SQL Injection" -> "sql-injection", "N+1 query" -> "n-plus-1-query") and its words are
  matched against each canonical name's aliases in order; the first hit wins. Aliases match
  whole words only, so "inefficient-query" is not "quadratic" and "filename" is not
  "naming". A generic family name ("injection", "bug") answers any label of its family.

A category that maps to nothing keeps its slug: it can only ever be a false positive.
"""

from __future__ import annotations

import re
from pathlib import Path

# canonical label category -> (family, aliases). An alias is a hyphenated word sequence
# that must appear as whole words in the comment's slugged category.
ALIASES: dict[str, tuple[str, tuple[str, ...]]] = {
    # security
    "prompt-injection": ("injection", ("prompt-injection", "prompt")),
    "sql-injection": ("injection", ("sql-injection", "sqli", "sql")),
    "command-injection": (
        "injection",
        ("command-injection", "shell-injection", "os-command", "shell", "rce"),
    ),
    "path-traversal": ("injection", ("path-traversal", "directory-traversal", "traversal")),
    "unsafe-deserialization": (
        "injection",
        ("deserialization", "deserialisation", "unsafe-deserialization", "pickle", "yaml-load"),
    ),
    "hardcoded-secret": (
        "secret",
        ("secret", "secrets", "credential", "credentials", "api-key", "hardcoded-password"),
    ),
    "missing-authorization": (
        "access-control",
        ("authorization", "authorisation", "access-control", "idor", "missing-auth"),
    ),
    # performance
    "n-plus-one": (
        "performance",
        ("n-plus-one", "n-plus-1", "n-1-query", "query-in-loop", "queries-in-loop", "chatty"),
    ),
    "quadratic": (
        "performance",
        ("quadratic", "o-n-2", "o-n2", "nested-loop", "algorithmic-complexity"),
    ),
    "resource-leak": (
        "performance",
        ("resource-leak", "leak", "unclosed", "not-closed", "connection-leak", "file-leak"),
    ),
    # correctness
    "logic-error": (
        "bug",
        ("logic-error", "logic", "off-by-one", "boundary", "wrong-condition", "incorrect-logic"),
    ),
    "null-handling": (
        "bug",
        ("null-handling", "none-handling", "null", "none", "nil", "undefined", "null-pointer"),
    ),
    "error-handling": (
        "bug",
        ("error-handling", "exception-handling", "swallowed-error", "unhandled-error"),
    ),
    "race-condition": ("bug", ("race-condition", "race", "concurrency", "data-race", "toctou")),
    "broken-contract": (
        "bug",
        ("broken-contract", "api-contract", "contract", "breaking-change", "caller"),
    ),
    # style
    "naming": ("style", ("naming", "name", "names", "misleading-name", "unclear-name")),
    "duplication": ("style", ("duplication", "duplicate", "duplicated-code", "dry", "copy-paste")),
    "dead-code": ("style", ("dead-code", "commented-out-code", "unused-code", "unused")),
    "magic-number": ("style", ("magic-number", "magic-value", "magic")),
}

# Family names a comment may use for any member, and the words that say them.
FAMILIES: dict[str, tuple[str, ...]] = {
    "injection": ("injection",),
    "bug": ("bug", "correctness"),
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("+", "-plus-")).strip("-")


def _has(words: str, alias: str) -> bool:
    return f"-{alias}-" in f"-{words}-"


# A specialist's list category -> the label category it answers, where the names differ.
# Correctness names boundaries apart (off-by-one, edge-case); the labels call them logic errors.
LIST_TO_LABEL: dict[str, str] = {"off-by-one": "logic-error", "edge-case": "logic-error"}

_declared: frozenset[str] | None = None


def declare(prompts_dir: Path | None = None) -> frozenset[str]:
    """Read the category lists of the roster in ``prompts_dir`` (default: the panel's),
    plus ``other``; from then on those names map as lists say, not as free text."""
    from graph.contracts import OTHER
    from services.prompts import load_roster

    global _declared
    names = {c for p in load_roster(prompts_dir) for c in (p.category_list or ())}
    _declared = frozenset(names | {OTHER})
    return _declared


def declared() -> frozenset[str]:
    """The categories the specialists' lists declare (read from the panel's prompts once)."""
    return _declared if _declared is not None else declare()


def canonical(category: str) -> str:
    """The canonical name of a comment's category: a label category, a family name, or
    its own slug when nothing applies."""
    s = slug(category)
    if s in declared():
        return LIST_TO_LABEL.get(s, s)
    for name, (_, aliases) in ALIASES.items():
        if any(_has(s, a) for a in aliases):
            return name
    for family, words in FAMILIES.items():
        if any(_has(s, w) for w in words):
            return family
    return s or "other"


def family(category: str) -> str | None:
    """The family of a canonical label category (None if it is not one)."""
    entry = ALIASES.get(category)
    return entry[0] if entry else None


def same(found: str, expected: str) -> bool:
    """Whether a found (canonical) category answers an expected one: equal, or the family
    name ("injection", "bug") of the expected one, when that family may be named whole."""
    return found == expected or (found in FAMILIES and found == family(expected))
