"""Keeping secrets out of what leaves the process, and finding the ones a diff commits.

Two jobs, one place: ``scrub`` removes *our* secrets (the model key and GitHub token from
the environment, and credentials written into any URL) from text we print, log or store;
``locate`` and ``mask`` deal with secrets *in the reviewed text* (the diff, the PR's title
and body), which the security reviewer must report but the model need not see.

``PATTERNS`` is the one table of well-known secret formats; tests/unit/test_secrets.py holds
an example of each kind and checks them all, and every model call's text goes through
``mask`` (``services.model``). A key block (PEM or PGP) spans lines: ``mask`` also masks the
lines inside it, even when the text it sees starts or ends in the middle of the block.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SECRET_ENV_VARS = (
    "OPENAI_API_KEY",
    "GITHUB_TOKEN",
    "AZURE_OPENAI_API_KEY",
    "GITHUB_APP_PRIVATE_KEY",
    "GITHUB_WEBHOOK_SECRET",
)

# user:password@ (or user@) right after a scheme: the part of a URL that must never be shown.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s'\"<>)\]}]+")


def scrub(text: str) -> str:
    """``text`` without our secrets: environment keys and installation tokens become ``***``,
    URL credentials too."""
    from services.github_app import cached_tokens

    values = [os.environ.get(name) or "" for name in SECRET_ENV_VARS] + cached_tokens()
    for value in values:
        if len(value) >= 6:
            text = text.replace(value, "***")
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def without_urls(text: str) -> str:
    """``scrub``bed ``text`` with every URL replaced by ``<url>``.

    For error messages that end up in drafts and posted reviews: they name the failure, never
    an internal endpoint.
    """
    return _URL.sub("<url>", scrub(text))


def _token(first: str, rest: str) -> re.Pattern[str]:
    """A token that starts with ``first`` (a fixed-width regex) not glued to a letter or
    digit before it (``\\b`` would fail after ``_``: ``x_ghp_...``).

    The check sits after ``first``, not before it: a regex that starts with a look-behind is
    tried at every position of a text (about 1 ms per 50 KB chunk, for every model call),
    one that starts with a literal only where that literal occurs (30 times faster).
    tests/unit/test_secrets.py checks each against the plain look-behind-first form."""
    return re.compile(f"{first}(?<![A-Za-z0-9]{first}){rest}")


@dataclass(frozen=True)
class SecretPattern:
    """A well-known secret format. With a ``secret`` group, only that group is masked."""

    kind: str
    regex: re.Pattern[str]

    def sub(self, text: str) -> str:
        marker = f"[REDACTED {self.kind}]"
        if "secret" not in self.regex.groupindex:
            return self.regex.sub(marker, text)

        def keep_label(m: re.Match[str]) -> str:
            start, end = m.span("secret")
            return m.group(0)[: start - m.start()] + marker + m.group(0)[end - m.start() :]

        return self.regex.sub(keep_label, text)


# Well-known formats: specific enough that masking them never hides real code.
PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "GitHub token",
        _token("g", r"(?:h[pousr]_[A-Za-z0-9]{30,}|ithub_pat_[A-Za-z0-9_]{40,})"),
    ),
    SecretPattern(
        "AWS access key id", _token("A", r"(?:KIA|SIA)[0-9A-Z]{16}(?![A-Za-z0-9])")
    ),
    SecretPattern(
        "AWS secret access key",
        re.compile(
            r"(?i:aws_?secret(?:_?access)?_?key|secret_?access_?key)[\"']?\s*(?:[:=]|=>)\s*"
            r"[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
    ),
    SecretPattern("OpenAI API key", _token("sk-", r"(?:proj-)?[A-Za-z0-9_-]{20,}")),
    SecretPattern("Slack token", _token("x", r"(?:ox[abposr]|app)-[A-Za-z0-9-]{10,}")),
    SecretPattern(
        "Slack webhook URL",
        re.compile(r"(?i)https?://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]+"),
    ),
    SecretPattern("Google API key", _token("AIza", r"[0-9A-Za-z_-]{35}(?![0-9A-Za-z])")),
    SecretPattern("Stripe key", _token("[sr]", r"k_live_[0-9a-zA-Z]{20,}")),
    SecretPattern("PGP private key", re.compile(r"-----BEGIN PGP PRIVATE KEY BLOCK-----")),
    SecretPattern("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
)

# What every match of a kind contains, in lower case. Testing the lower-cased text for these
# substrings first skips a kind's regex on text without any: on a 50 KB chunk, the regex
# scans cost ~2.5 ms (the AWS secret key's, case-insensitive, most of it), the substring
# tests ~0.4. A kind not listed is always scanned.
_HINTS: dict[str, tuple[str, ...]] = {
    "GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "AWS access key id": ("akia", "asia"),
    "AWS secret access key": ("aws_secret", "awssecret", "secret_access", "secretaccess"),
    "OpenAI API key": ("sk-",),
    "Slack token": ("xox", "xapp-"),
    "Slack webhook URL": ("hooks.slack.com",),
    "Google API key": ("aiza",),
    "Stripe key": ("k_live_",),
    "PGP private key": ("private key",),
    "private key": ("private key",),
}


_EVERY_HINT = tuple(sorted({h for hints in _HINTS.values() for h in hints}))
_HINTED = tuple((p, frozenset(_HINTS[p.kind]) if p.kind in _HINTS else None) for p in PATTERNS)


def _candidates(lowered: str) -> list[SecretPattern]:
    """The patterns that may match a text, given that text in lower case.

    Each hint is looked for once per text (called for every added line of a chunk): a
    pattern is a candidate when it has no hints or one of its hints is present."""
    present = {h for h in _EVERY_HINT if h in lowered}
    return [p for p, hints in _HINTED if hints is None or not hints.isdisjoint(present)]


# --- key blocks: the lines between BEGIN and END ---------------------------------------------

_BLOCK_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_BLOCK_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# A line as a model sees it: a chunk's "new old marker " columns, a raw diff's +/-/space, or
# nothing (PR text). The rest is the content.
_PREFIX = re.compile(r"^(?:[ \d]{6} [ \d]{6} [+\- \\] |[+\- ])?")
_PAYLOAD = re.compile(
    r"^\s*[\"'`]?(?:[A-Za-z0-9+/]{2,}={0,2}|=[A-Za-z0-9+/]{4})(?:\\n)?[\"'`]?\s*[+,;]?\s*$"
    r"|^\s*(?:Version|Comment|Proc-Type|DEK-Info|Hash|Charset):.*$"
)
_BLOCK_LINE = "[REDACTED key material]"


def _payload(line: str) -> str | None:
    """The diff prefix of ``line`` when the rest looks like key material, else None."""
    prefix = _PREFIX.match(line)
    head = prefix.group(0) if prefix else ""
    rest = line[len(head) :].rstrip("\r")
    return head if rest.strip() and _PAYLOAD.match(rest) else None


def _mask_blocks(lines: list[str]) -> None:
    """Mask key material next to every BEGIN (after it) and every END (before it) line.

    Walking out from the markers, not between them, means a text that starts or ends
    mid-block is masked too, and code that merely mentions a BEGIN line is left alone: the
    walk stops at the first line that is not key material.
    """
    for i, line in enumerate(lines):
        if _BLOCK_BEGIN.search(line):
            step = 1
        elif _BLOCK_END.search(line):
            step = -1
        else:
            continue
        j = i + step
        while 0 <= j < len(lines) and not _BLOCK_BEGIN.search(lines[j]):
            if _BLOCK_END.search(lines[j]):
                break
            head = _payload(lines[j])
            if head is None:
                stripped = _PREFIX.sub("", lines[j]).strip()
                if stripped:  # an empty line may separate armor headers from the key
                    break
            else:
                lines[j] = head + _BLOCK_LINE
            j += step


def mask(text: str) -> str:
    """Replace well-known secrets with a marker that still tells the model what was there."""
    if "PRIVATE KEY" in text:
        lines = text.split("\n")
        _mask_blocks(lines)
        text = "\n".join(lines)
    for pattern in _candidates(text.lower()):
        text = pattern.sub(text)
    return text


def may_contain(text: str) -> bool:
    """False when no well-known secret can be in ``text`` (a cheap test: substrings only)."""
    return bool(_candidates(text.lower()))


def locate(added: dict[str, dict[int, str]]) -> list[tuple[str, int, str]]:
    """(path, line, kind) of every well-known secret on an added line."""
    found = []
    for path, lines in added.items():
        for number, code in sorted(lines.items()):
            for pattern in _candidates(code.lower()):
                if pattern.regex.search(code):
                    found.append((path, number, pattern.kind))
                    break
    return found
