"""The labelled set: ``cases/*.diff`` and, in ``expected.yaml``, what each one must draw."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from evals.categories import ALIASES

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Expected:
    """A finding a good reviewer makes: a comment on ``file`` within ``start..end``."""

    file: str
    start: int
    end: int
    category: str  # a label category of evals/categories.py
    also: tuple[str, ...] = ()  # other categories that name the same problem fairly

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category, *self.also)


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    diff: str
    expected: tuple[Expected, ...]

    @property
    def clean(self) -> bool:
        return not self.expected


class CaseError(ValueError):
    """The labelled set does not load; the message names the file and the entry."""


def load_cases(root: Path = HERE, only: str | None = None) -> list[Case]:
    """Every case of ``root/expected.yaml`` with its diff (those whose name contains ``only``)."""
    index = root / "expected.yaml"
    try:
        entries = yaml.safe_load(index.read_text(encoding="utf-8"))["cases"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise CaseError(f"{index}: cannot read the case list ({exc})") from None
    diffs = {p.stem for p in (root / "cases").glob("*.diff")}
    listed = {e.get("name") for e in entries}
    unlisted = sorted(diffs - listed)
    if unlisted:
        raise CaseError(f"{index}: no entry for cases/{unlisted[0]}.diff")
    cases = []
    for entry in entries:
        name = str(entry.get("name"))
        if only and only not in name:
            continue
        path = root / "cases" / f"{name}.diff"
        try:
            # newline="": CRLF in a diff must reach the reviewer exactly as written.
            with path.open(encoding="utf-8", newline="") as fh:
                diff = fh.read()
        except OSError as exc:
            raise CaseError(f"{index}: case {name}: cannot read {path} ({exc.strerror})") from None
        cases.append(Case(name, str(entry.get("description", "")), diff, _expected(entry, index)))
    if not cases:
        raise CaseError(f"{index}: no case matches {only!r}")
    return cases


def _expected(entry: dict[str, object], index: Path) -> tuple[Expected, ...]:
    out = []
    for item in entry.get("expected") or []:  # type: ignore[attr-defined]
        try:
            start, end = item["lines"]
            named = item["category"]
            categories = [str(c) for c in (named if isinstance(named, list) else [named])]
            category, *also = categories
            out.append(Expected(str(item["file"]), int(start), int(end), category, tuple(also)))
        except (KeyError, TypeError, ValueError):
            raise CaseError(
                f"{index}: case {entry.get('name')}: each expected finding needs file, "
                "lines: [first, last] and category (a name, or a list of names)"
            ) from None
        unknown = [c for c in categories if c not in ALIASES]
        if unknown:
            raise CaseError(
                f"{index}: case {entry.get('name')}: unknown category {unknown[0]!r} "
                f"(one of: {', '.join(ALIASES)})"
            )
        if not 1 <= int(start) <= int(end):
            raise CaseError(f"{index}: case {entry.get('name')}: lines must be [first, last]")
    return tuple(out)
