"""Reviewing a pull request again after a review was posted: only what changed, nothing twice.

When a review was posted for an earlier head of the same PR, the new draft covers the changes
since that head: GitHub's compare API (``base...head``) says whether the old head is still an
ancestor ("ahead"); if so its diff is what gets reviewed, otherwise (a force-push rewrote the
branch) the whole PR is. Comments review-panel already posted on the PR are read back, and a
new finding with the same file, the same code line text and the same category is not posted
again; the draft counts those as earlier findings that still apply.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from graph.contracts import ReviewComment, Source
from services.github import DIFF_MEDIA_TYPE
from services.github_client import call, client

OURS = "<sub>review-panel · "  # the footer of every inline comment review-panel writes
_CATEGORY = re.compile(r"^\*\*[A-Z]+ · (?P<category>.+?)\*\*")
PostedKey = dict[str, str]  # {"path", "line", "category"}


def _key(path: str, line: str, category: str) -> tuple[str, str, str]:
    return path, line.strip(), category.strip().lower()


async def since(source: Source, earlier: str) -> tuple[str | None, str]:
    """The diff from ``earlier`` to the PR's head, or None (and why) for a full review."""

    def read() -> tuple[str | None, str]:
        repo = f"{source.owner}/{source.repo}"
        with client(str(source.api_url), repo) as g:
            if earlier == source.head_sha:
                return None, f"this head ({earlier[:12]}) was reviewed before: full review"
            url = f"/repos/{repo}/compare/{earlier}...{source.head_sha}"
            _, data = call(f"{repo} compare", lambda: g.requester.requestJsonAndCheck("GET", url))
            status = data.get("status")
            if status != "ahead":
                return None, (
                    f"the earlier reviewed head {earlier[:12]} is not an ancestor of "
                    f"{str(source.head_sha)[:12]} ({status}, a force-push?): full review"
                )
            _, diff = call(
                f"{repo} compare diff",
                lambda: g.requester.requestJsonAndCheck(
                    "GET", url, headers={"Accept": DIFF_MEDIA_TYPE}
                ),
            )
            return str(diff["data"]), (
                f"incremental review: only the changes since {earlier[:12]}, which was reviewed "
                "before"
            )

    return await asyncio.to_thread(read)


async def posted(source: Source) -> list[PostedKey]:
    """What review-panel already posted inline on this PR: file, code line and category."""

    def read() -> list[PostedKey]:
        repo = f"{source.owner}/{source.repo}"
        with client(str(source.api_url), repo) as g:
            r = call(repo, lambda: g.get_repo(repo))
            pr = call(source.label, lambda: r.get_pull(int(source.number or 0)))
            return call(
                f"{source.label} comments", lambda: [_posted_key(c) for c in pr.get_comments()]
            )

    return [k for k in await asyncio.to_thread(read) if k]


def _posted_key(comment: Any) -> PostedKey:
    body = comment.body or ""
    found = _CATEGORY.match(body)
    hunk = (comment.diff_hunk or "").splitlines()
    if OURS not in body or not found or not hunk:
        return {}
    return {"path": comment.path, "line": hunk[-1][1:], "category": found["category"]}


def drop_repeats(
    comments: list[ReviewComment],
    already: Iterable[PostedKey],
    code: dict[tuple[str, str, int], str],
) -> tuple[list[ReviewComment], int]:
    """The comments not posted before, and how many were."""
    seen = {_key(k["path"], k["line"], k["category"]) for k in already}
    if not seen:
        return comments, 0
    kept = []
    for c in comments:
        line = c.anchor.line if c.anchor else c.end_line
        categories = {c.category} | {p.category for p in c.perspectives if p.category}
        text = code.get((c.path, str(c.side), line), "")
        if any(_key(c.path, text, cat) in seen for cat in categories):
            continue
        kept.append(c)
    return kept, len(comments) - len(kept)
