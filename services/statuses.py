"""The commit status that tells a pull request where its AI review stands.

One context, ``review-panel``, on the reviewed head: a team can make it a required check, so
a PR cannot merge before a person has decided on the review. The description is capped at
GitHub's 140 characters and is built only from counts, the verdict, a login and an error
reason: never from a finding.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from services.github_client import call, client
from services.secrets import without_urls

CONTEXT = "review-panel"
MAX_DESCRIPTION = 140
State = Literal["error", "failure", "pending", "success"]


def fit(description: str) -> str:
    """One line of at most 140 characters, with no secret and no URL in it."""
    flat = " ".join(without_urls(description).split())
    return flat if len(flat) <= MAX_DESCRIPTION else flat[: MAX_DESCRIPTION - 1] + "…"


async def set_status(
    api_url: str,
    repo: str,
    sha: str,
    state: State,
    description: str,
    target_url: str | None,
) -> None:
    """Set the ``review-panel`` status of ``sha`` in ``repo`` (owner/name)."""

    def post() -> None:
        with client(api_url, repo) as g:
            body: dict[str, str] = {
                "state": state,
                "description": fit(description),
                "context": CONTEXT,
            }
            if target_url:
                body["target_url"] = target_url
            call(
                f"{repo} status",
                lambda: g.requester.requestJsonAndCheck(
                    "POST", f"/repos/{repo}/statuses/{sha}", input=body
                ),
            )

    await asyncio.to_thread(post)
