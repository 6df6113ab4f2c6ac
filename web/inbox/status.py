"""Telling the pull request: after a decision in the inbox, the ``review-panel`` commit status.

Threads the team service started (their metadata names the pull request, ``pull``) carry a
pending status that links here; once a person decides in the inbox the status says so, as it
does after a command in the PR (``team.status``: "review posted", "draft rejected by
@login"). Threads a person started with ``review-panel review`` never had a status, and get
none. A status that cannot be set does not undo the decision: the draft page still shows it.
"""

from __future__ import annotations

import logging

from graph.errors import GitHubError
from web.inbox.auth import Who
from web.inbox.threads import ThreadView

log = logging.getLogger(__name__)


async def report(after: ThreadView, who: Who, api_url: str) -> None:
    if not after.metadata.get("pull") or after.paused:
        return
    source = after.info.values.get("source") or {}
    if source.get("kind") != "github":
        return
    from team import status, threads

    view = threads.view(
        after.info.thread_id,
        after.info.values,
        [],
        busy=False,
        error=after.info.error,
    )
    decided_by = who.login if who.kind == "github" else None
    try:
        await status.report(view, source.get("api_url") or api_url, decided_by=decided_by)
    except GitHubError as exc:
        log.warning("could not set the commit status of %s: %s", after.info.thread_id, exc)
