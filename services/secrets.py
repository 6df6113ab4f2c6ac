"""Keeping secrets out of what leaves the process, and finding the ones a diff commits.

Two jobs, one place: ``scrub`` removes *our* secrets (the model key and GitHub token from
the environment) from any text we print, log or store; ``locate`` and ``mask`` deal with
secrets *in the diff*, which the security reviewer must report but the model need not see.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SECRET_ENV_VARS = ("OPENAI_API_KEY", "GITHUB_TOKEN", "AZURE_OPENAI_API_KEY")


def scrub(text: str) -> str:
    """``text`` with the value of every secret environment variable replaced by ``***``."""
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= 6:
            text = text.replace(value, "***")
    return text


@dataclass(frozen=True)
class SecretPattern:
    kind: str
    regex: re.Pattern[str]


# Well-known token formats: specific enough that masking them never hides real code.
PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")
    ),
    SecretPattern("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    SecretPattern("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    SecretPattern("Slack token", re.compile(r"\bxox[abpors]-[A-Za-z0-9-]{10,}")),
    SecretPattern("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    SecretPattern("Stripe key", re.compile(r"\b[sr]k_live_[0-9a-zA-Z]{20,}")),
    SecretPattern("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
)


def mask(text: str) -> str:
    """Replace well-known secrets with a marker that still tells the model what was there."""
    for pattern in PATTERNS:
        text = pattern.regex.sub(f"[REDACTED {pattern.kind}]", text)
    return text


def locate(added: dict[str, dict[int, str]]) -> list[tuple[str, int, str]]:
    """(path, line, kind) of every well-known secret on an added line."""
    found = []
    for path, lines in added.items():
        for number, code in sorted(lines.items()):
            for pattern in PATTERNS:
                if pattern.regex.search(code):
                    found.append((path, number, pattern.kind))
                    break
    return found
