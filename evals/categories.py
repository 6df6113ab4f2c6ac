"""The label categories of the eval set, and which comment categories answer each one.

Labels (``evals/expected.yaml``) use the canonical names below. A comment answers a label
when its category maps to the label's category, or to the label's *family* name ("injection",
"bug"), which a reviewer may use for any member. Everything else is a miss.

The mapping is this module's table ``ALIASES`` and nothing else: a model's free text
("SQL Injection", "N+1 query") is slugged ("sql-injection", "n-plus-1-query") and its
words are matched against each canonical name's aliases in order; the first hit wins. An
alias matches whole words of the slug only, so "inefficient-query" is not "quadratic" and
"filename" is not "naming". A category that maps to nothing keeps its slug: it can only ever
be a false positive.
"""

from __future__ import annotations

import re

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


def canonical(category: str) -> str:
    """The canonical name of a comment's category: a label category, a family name, or
    its own slug when nothing applies."""
    s = slug(category)
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
