"""Canonical finding categories, and how a model's free-text category maps onto them.

Models name categories their own way ("SQL Injection", "sqli", "n+1-query"), so scoring
compares canonical names. The patterns are tried in order; the first that matches wins.
A category that matches none keeps its own slug and can only ever be a false positive.
"""

from __future__ import annotations

import re

CANONICAL: list[tuple[str, re.Pattern[str]]] = [
    ("prompt-injection", re.compile(r"prompt")),
    ("sql-injection", re.compile(r"sql|sqli")),
    ("command-injection", re.compile(r"command|shell|os-?system|subprocess|\brce\b")),
    ("path-traversal", re.compile(r"path|traversal|directory")),
    ("unsafe-deserialization", re.compile(r"deserial|pickle|yaml|marshal")),
    ("hardcoded-secret", re.compile(r"secret|credential|token|password|api-?key|hard-?coded")),
    ("n-plus-one", re.compile(r"\bn-?plus-?(one|1)\b|\bn-?1\b|quer(y|ies)-in-(a-)?loop|chatty")),
    ("quadratic", re.compile(r"quadratic|o-?n-?2|nested-loop|complexity|membership|inefficien")),
    ("resource-leak", re.compile(r"leak|unclosed|not-closed|resource|handle|cleanup")),
    ("duplication", re.compile(r"duplicat|repeat|\bdry\b|copy|copied")),
    ("naming", re.compile(r"nam")),
    ("dead-code", re.compile(r"dead|commented|unused")),
    ("magic-number", re.compile(r"magic|constant")),
]
FAMILY = {"sql-injection": "injection", "command-injection": "injection"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("+", "-plus-")).strip("-")


def canonical(category: str) -> str:
    """The canonical name of a model's category (its slug if none applies)."""
    s = slug(category)
    for name, pattern in CANONICAL:
        if pattern.search(s):
            return name
    return s or "other"


def same(found: str, expected: str) -> bool:
    """Whether a found (canonical) category answers an expected one: equal, or the generic
    family name ("injection") for one of its members."""
    return found == expected or found == FAMILY.get(expected)
