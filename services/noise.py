"""Noise control: only findings worth a person's time reach the draft.

What users of AI reviewers complain about most is noise, so every finding passes, in order:

1. the specialist's severity scale (``severities:`` in its YAML): a severity outside it is
   clamped to the nearest allowed one (the lower one on a tie, never inflating);
2. the minimum severity and the minimum confidence;
3. a restatement check: a finding with no suggestion whose title is the cited code itself, or
   whose rationale is mostly the code's own words, says nothing the diff does not.

Each drop is counted in the draft's notes, so the approver knows what was left out and why.

The thresholds (and the inline-comment cap) come, for each setting separately, from the first
of: the run (CLI flag, Studio form or environment variable), the reviewed repository's
``.review-panel.yaml``, the built-in default. For a pull request that file is read at the
PR's *base* commit, never its head, so a pull request cannot quieten its own review; for a
local diff it is the current directory's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph.context import Context
from graph.contracts import (
    Finding,
    NoiseControl,
    Severity,
    Side,
    Source,
    validation_summary,
)
from graph.errors import GitHubError
from services.diff import FileChange

REPO_FILE = ".review-panel.yaml"
DEFAULTS = NoiseControl()
SETTINGS = ("min_severity", "min_confidence", "max_inline_comments")


class RepoSettings(BaseModel):
    """The keys a repository's ``.review-panel.yaml`` may set; every one is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_severity: Severity | None = None
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    max_inline_comments: Annotated[int, Field(ge=0)] | None = None
    # For the team service (team/handler.py): when reviews start and who may decide.
    auto_review: bool | None = None  # false: only `/review-panel review` starts one
    review_drafts: bool | None = None  # true: draft PRs are reviewed too
    allow_author_decisions: bool | None = None  # true: a PR's author may approve/reject
    # Review guidelines for the specialists (services/guidelines.py), read at the base.
    instructions: str | None = None


def parse_repo_settings(text: str, where: str) -> tuple[RepoSettings | None, str]:
    """The settings in ``text``, or None and why the file is ignored (naming the key)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None, f"ignored {where}: not valid YAML"
    if data is None:
        return RepoSettings(), ""
    if not isinstance(data, dict):
        return None, f"ignored {where}: expected a mapping of {', '.join(SETTINGS)}"
    try:
        return RepoSettings.model_validate(data), ""
    except ValidationError as exc:
        allowed = list(RepoSettings.model_fields)
        return None, f"ignored {where}: {validation_summary(exc, allowed=allowed)}"


def effective(context: Context, repo: RepoSettings | None) -> NoiseControl:
    """Each threshold from the run if set there, else the repository file, else the default."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name in SETTINGS:
        run_value = getattr(context, name)
        repo_value = getattr(repo, name) if repo is not None else None
        if run_value is not None:
            values[name], sources[name] = run_value, "run"
        elif repo_value is not None:
            values[name], sources[name] = repo_value, "repository"
        else:
            values[name], sources[name] = getattr(DEFAULTS, name), "default"
    return NoiseControl.model_validate({**values, "sources": sources})


async def settings(context: Context, source: Source) -> tuple[NoiseControl, list[str]]:
    """The thresholds for this review, and notes on the repository file when it mattered."""
    text, where, notes = await _repo_file(source)
    repo = None
    if text is not None:
        repo, problem = parse_repo_settings(text, where)
        if problem:
            notes.append(problem + "; the run settings and defaults apply")
    return effective(context, repo), notes


async def _repo_file(source: Source) -> tuple[str | None, str, list[str]]:
    if source.kind == "github":
        if not source.base_sha:
            return None, "", []
        from services.github import read_file  # only needed for pull requests

        where = f"{REPO_FILE} at {source.base_sha[:12]} (the PR's base)"
        try:
            return await read_file(source, REPO_FILE, source.base_sha), where, []
        except (GitHubError, UnicodeDecodeError) as exc:
            return None, where, [f"could not read {where}: {exc}; run settings and defaults apply"]
    return await asyncio.to_thread(_local_file)


def _local_file() -> tuple[str | None, str, list[str]]:
    # In a worker thread: even os.getcwd() counts as blocking on LangGraph's server.
    path = Path.cwd() / REPO_FILE
    try:
        return path.read_text(encoding="utf-8"), str(path), []
    except FileNotFoundError:
        return None, "", []
    except (OSError, UnicodeDecodeError) as exc:
        return None, str(path), [f"could not read {path}: {exc}; run settings and defaults apply"]


# --- the filter -----------------------------------------------------------------------------


def clamp(severity: Severity, scale: Sequence[Severity]) -> Severity:
    """The allowed severity nearest to ``severity``; the lower one when two are as near."""
    if not scale or severity in scale:
        return severity
    return min(scale, key=lambda s: (abs(s.rank - severity.rank), s.rank))


_WORD = re.compile(r"[a-z_][a-z0-9_]*|\d+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def restates_code(finding: Finding, code: str) -> bool:
    """True when the finding only repeats the code it cites (deliberately conservative).

    A finding with a suggestion says what to change, so it is never treated as a
    restatement. Otherwise it restates the code when its title, as words, is exactly the
    code's words, or when at least 80% of its rationale's words are words of the code and
    the rationale is barely longer than the code.
    """
    if finding.suggestion:
        return False
    code_words = _words(code)
    if not code_words:
        return False
    if _words(finding.title) == code_words:
        return True
    said = _words(finding.rationale)
    if not said or len(said) > len(code_words) + 3:
        return False
    known = set(code_words)
    return sum(w in known for w in said) >= 0.8 * len(said)


CodeLines = dict[tuple[str, str, int], str]


def code_lines(files: Iterable[FileChange]) -> CodeLines:
    """(path, side, line number) -> the line's text, for every line the diff shows."""
    out: CodeLines = {}
    for f in files:
        for hunk in f.patched:
            for line in hunk:
                text = line.value.rstrip("\r\n")
                if line.target_line_no is not None:
                    out[(f.path, Side.RIGHT.value, line.target_line_no)] = text
                if line.source_line_no is not None:
                    out[(f.path, Side.LEFT.value, line.source_line_no)] = text
    return out


def _cited(f: Finding, code: CodeLines) -> str:
    lines = range(f.start_line, f.end_line + 1)
    return "\n".join(code.get((f.path, str(f.side), n), "") for n in lines)


def select(
    findings: Sequence[Finding],
    noise: NoiseControl,
    code: CodeLines,
    scales: Mapping[str, Sequence[Severity]],
) -> tuple[list[Finding], list[str]]:
    """The findings that pass noise control, and a note for each kind of drop."""
    notes: list[str] = []
    clamped = 0
    kept: list[Finding] = []
    low = unsure = restated = 0
    for f in findings:
        severity = clamp(f.severity, scales.get(f.specialist, ()))
        if severity != f.severity:
            clamped += 1
            f = f.model_copy(update={"severity": severity})
        if f.severity.rank < noise.min_severity.rank:
            low += 1
        elif f.confidence < noise.min_confidence:
            unsure += 1
        elif restates_code(f, _cited(f, code)):
            restated += 1
        else:
            kept.append(f)
    if clamped:
        notes.append(f"{clamped} finding(s) outside their specialist's severity scale clamped")
    if low:
        notes.append(f"{low} finding(s) below {noise.min_severity} left out")
    if unsure:
        notes.append(f"{unsure} finding(s) with confidence below {noise.min_confidence:g} left out")
    if restated:
        notes.append(f"{restated} finding(s) that only restated the code left out")
    return kept, notes
