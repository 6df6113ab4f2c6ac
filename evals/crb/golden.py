"""The benchmark's golden comments: ``data/*.json``, one list of pull requests per codebase."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


class GoldenError(ValueError):
    """The golden set does not load; the message names the file and the entry."""


@dataclass(frozen=True)
class GoldenComment:
    text: str
    severity: str


@dataclass(frozen=True)
class GoldenPR:
    """One pull request of the set: where to fetch it, and the issues a reviewer should find."""

    url: str
    title: str
    source: str  # the file it came from, e.g. "sentry.json"
    comments: tuple[GoldenComment, ...]


def load_golden(root: Path = DATA) -> list[GoldenPR]:
    """Every PR of every ``*.json`` in ``root``, files in name order, entries in file order."""
    files = sorted(root.glob("*.json"))
    if not files:
        raise GoldenError(f"{root}: no golden comment files (*.json)")
    prs: list[GoldenPR] = []
    for path in files:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise GoldenError(f"{path}: cannot read it ({exc})") from None
        if not isinstance(entries, list):
            raise GoldenError(f"{path}: expected a list of pull requests")
        for i, entry in enumerate(entries):
            try:
                comments = tuple(
                    GoldenComment(str(c["comment"]), str(c.get("severity", "")))
                    for c in entry["comments"]
                )
                prs.append(
                    GoldenPR(str(entry["url"]), str(entry.get("pr_title", "")), path.name, comments)
                )
            except (KeyError, TypeError, AttributeError):
                raise GoldenError(
                    f"{path}: entry {i}: needs url and comments: [{{comment, severity}}]"
                ) from None
    return prs
