"""The repository's own review guidelines, read where a pull request cannot rewrite them.

Teams write down how their code should look and what reviewers should watch for:
``AGENTS.md``, ``CONTRIBUTING.md``, ``.github/copilot-instructions.md``, and the
``instructions:`` key of ``.review-panel.yaml``. The specialists get them, bounded in size,
as a delimited data block (``services.prompts.context_block``).

For a pull request they are read at its **base** commit, so a PR cannot change the rules
its own review follows. For a local diff they are read from the repository folder (``--repo
PATH``, else the git working tree around the current directory), except any file the diff
itself changes, for the same reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import yaml

from graph.contracts import Source
from services import widen
from services.diff import FileChange
from services.noise import REPO_FILE

FILES = ("AGENTS.md", "CONTRIBUTING.md", ".github/copilot-instructions.md")
MAX_PER_FILE = 4_000  # characters
MAX_TOTAL = 8_000


async def read(
    source: Source, files: Sequence[FileChange], repo: str | None
) -> tuple[str, list[str]]:
    """The guidelines as one bounded text ('' when there are none), and notes."""
    names = [*FILES, REPO_FILE]
    notes: list[str] = []
    if source.kind == "github":
        if not source.base_sha:
            return "", notes
        from services.github import read_files

        texts = await read_files(source, names, source.base_sha, widen.MAX_FILE_BYTES)
        where = f"the base commit {source.base_sha[:12]}"
    else:
        root = await asyncio.to_thread(widen.local_root, repo)
        if root is None:
            return "", notes
        changed = {f.path for f in files}
        for name in names:
            if name in changed:
                notes.append(f"{name} is changed by this diff: its guidelines were not used")
        readable = [n for n in names if n not in changed]
        texts = await asyncio.to_thread(widen.read_local, root, readable)
        where = str(root)
    texts[REPO_FILE] = _instructions(texts.get(REPO_FILE))
    return combine(texts, names), [*notes, *(_note(texts, where) if any(texts.values()) else [])]


def _instructions(settings: str | None) -> str | None:
    if not settings:
        return None
    try:
        data = yaml.safe_load(settings)
    except yaml.YAMLError:
        return None
    value = data.get("instructions") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def combine(texts: dict[str, str | None], order: Sequence[str]) -> str:
    """The found texts, each under its name, each and all bounded."""
    parts: list[str] = []
    total = 0
    for name in order:
        text = (texts.get(name) or "").strip()
        if not text:
            continue
        if len(text) > MAX_PER_FILE:
            text = text[:MAX_PER_FILE] + "\n[... cut here: too long]"
        label = f"instructions in {REPO_FILE}" if name == REPO_FILE else name
        part = f"== {label} ==\n{text}"
        if total + len(part) > MAX_TOTAL:
            parts.append(f"== {label} == [left out: the guidelines are limited to {MAX_TOTAL}]")
            continue
        parts.append(part)
        total += len(part)
    return "\n\n".join(parts)


def _note(texts: dict[str, str | None], where: str) -> list[str]:
    found = [n for n, t in texts.items() if t]
    return [f"repository guidelines from {where}: {', '.join(found)}"]

