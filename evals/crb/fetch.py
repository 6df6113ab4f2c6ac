"""Each PR's diff, through the product's own GitHub client, kept in a cache folder.

``services.github.fetch_pull`` is what ``review-panel review URL`` uses: PyGithub with the
diff media type, the ``/files`` fallback for large PRs, bounded rate-limit waits, and
``GITHUB_TOKEN`` read at the moment of the call. A cached diff is read back byte for byte
(CRLF included), so a second run needs neither the network nor a token.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from graph.context import Context
from graph.errors import InputError
from services.pullref import PullRef, parse_pull_ref


def pull_ref(url: str) -> PullRef:
    ref = parse_pull_ref(url)
    if ref is None:
        raise InputError(f"{url!r} is not a pull request URL")
    return ref


def cache_path(cache: Path, ref: PullRef) -> Path:
    name = f"{ref.host or 'github'}__{ref.owner}__{ref.repo}__{ref.number}.diff"
    return cache / re.sub(r"[^A-Za-z0-9_.-]", "_", name)


async def pull_diff(url: str, context: Context, cache: Path | None, refresh: bool) -> str:
    """The PR's unified diff: from ``cache`` if there, else from GitHub (then cached)."""
    from services.github import fetch_pull

    ref = pull_ref(url)
    path = cache_path(cache, ref) if cache is not None else None
    if path is not None and path.exists() and not refresh:
        return await asyncio.to_thread(_read, path)
    _, text = await fetch_pull(ref, context)
    if path is not None:
        await asyncio.to_thread(_write, path, text)
    return text


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    partial.replace(path)  # a run killed mid-write never leaves half a diff in the cache
