"""A pull request's conversation, for commands: who may command, and the answer to a comment.

Permission comes from the collaborator-permission API (``author_association`` in a webhook
payload is not a permission check). The legacy ``permission`` field is admin, write, read or
none, with maintain shown as write and triage as read, so write or admin is what lets a person
decide on a review.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from services.github_client import call, client

DECIDERS = ("admin", "write")
Reaction = Literal["+1", "-1", "eyes"]


@dataclass(frozen=True)
class PullNow:
    """A pull request as it is now (a comment event does not say which head it is about)."""

    head_sha: str
    base_sha: str
    author: str
    draft: bool
    state: str


async def pull_now(api_url: str, repo: str, number: int) -> PullNow:
    def read() -> PullNow:
        with client(api_url, repo) as g:
            r = call(repo, lambda: g.get_repo(repo))
            pr = call(f"{repo}#{number}", lambda: r.get_pull(number))
            return PullNow(
                head_sha=pr.head.sha,
                base_sha=pr.base.sha,
                author=pr.user.login if pr.user else "",
                draft=bool(pr.draft),
                state="merged" if pr.merged else str(pr.state),
            )

    return await asyncio.to_thread(read)


async def permission(api_url: str, repo: str, login: str) -> str:
    """admin, write, read or none: ``login``'s permission on ``repo``."""

    def read() -> str:
        with client(api_url, repo) as g:
            _, data = call(
                f"{repo} permission of {login}",
                lambda: g.requester.requestJsonAndCheck(
                    "GET", f"/repos/{repo}/collaborators/{login}/permission"
                ),
            )
            return str(data.get("permission") or "none")

    return await asyncio.to_thread(read)


async def react(api_url: str, repo: str, comment_id: int, content: Reaction) -> None:
    """Leave a reaction on a PR conversation comment."""

    def post() -> None:
        with client(api_url, repo) as g:
            call(
                f"{repo} reaction",
                lambda: g.requester.requestJsonAndCheck(
                    "POST",
                    f"/repos/{repo}/issues/comments/{comment_id}/reactions",
                    input={"content": content},
                ),
                retry=False,
            )

    await asyncio.to_thread(post)
