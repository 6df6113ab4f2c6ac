"""What the ``review-panel`` commit status says about a thread, and where it links.

Built from the thread's state only, so any process that moves a thread (the webhook, a
command, the Actions job, the inbox) reports the same thing by calling ``report``. The text
holds counts, the verdict, a login or an error reason: never a finding.

- running: pending, "review running"
- paused: pending, "draft ready: N comments, VERDICT, waiting for approval" (approval page)
- every model call failed, or the run failed: error, "review failed: <why>"
- posted: success, "review posted" (the review)
- rejected: success, "draft rejected by @login"
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import quote

from services.statuses import State, fit, set_status
from team.threads import ThreadView

PUBLIC_URL_ENV = "REVIEW_PANEL_PUBLIC_URL"
STUDIO = "https://smith.langchain.com/studio/thread/{thread}?baseUrl={base}"
SERVER_URL_ENV = "REVIEW_PANEL_SERVER_URL"  # what Studio should connect to, without the inbox


@dataclass(frozen=True)
class Status:
    state: State
    description: str
    target_url: str | None


def approval_url(thread_id: str) -> str:
    """The inbox page of the draft, or the thread in Studio until there is a public URL."""
    public = os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    if public:
        return f"{public}/inbox/{thread_id}"
    base = os.environ.get(SERVER_URL_ENV, "").strip() or "http://127.0.0.1:2024"
    return STUDIO.format(thread=thread_id, base=quote(base, safe=""))


def describe(view: ThreadView, decided_by: str | None = None) -> Status:
    """The status for ``view``: a description of at most 140 characters, never a secret."""
    found = _describe(view, decided_by)
    return Status(found.state, fit(found.description), found.target_url)


def _describe(view: ThreadView, decided_by: str | None) -> Status:
    link = approval_url(view.thread_id)
    values = view.values
    if view.status == "posted":
        return Status("success", "review posted", (values.get("result") or {}).get("url"))
    if view.status == "rejected":
        who = f" by @{decided_by}" if decided_by else ""
        return Status("success", f"draft rejected{who}", link)
    if view.status == "failed":
        return Status("error", f"review failed: {_reason(view.error)}", link)
    if view.status == "running":
        return Status("pending", "review running", link)
    if view.status == "question":
        return Status(
            "pending", "the head moved since the draft: answer on the approval page", link
        )
    superseded = view.superseded_by
    if superseded:
        return Status("pending", "draft superseded by the review of a newer head", link)
    failed = _all_failed(values)
    if failed:
        return Status("error", f"review failed: {failed}", link)
    draft = values.get("draft") or {}
    count = len(draft.get("comments") or [])
    verdict = draft.get("verdict", "COMMENT")
    noun = "comment" if count == 1 else "comments"
    return Status("pending", f"draft ready: {count} {noun}, {verdict}, waiting for approval", link)


# How LangGraph's server reports a task's error: ``GitHubError('octo/app#1: GitHub answered
# 403: ...')``; the person needs the message, not the repr around it.
_REPR = re.compile(r"""^[A-Za-z_][\w.]*\((?P<q>['"])(?P<message>.*)(?P=q)\)$""")


def _reason(error: str | None) -> str:
    """The last line of the error, without the exception's repr around its message."""
    if not error or not error.strip():
        return "unknown error"
    line = error.strip().splitlines()[-1].strip()
    found = _REPR.match(line)
    return found["message"] if found else line


def _all_failed(values: dict[str, object]) -> str | None:
    """Why no specialist could review anything (a model outage), or None if any call worked."""
    reports = [r for r in values.get("reports") or [] if isinstance(r, dict)]  # type: ignore[attr-defined]
    tried = [r for r in reports if r.get("status") != "skipped"]
    if not tried or any(r.get("status") == "ok" for r in tried):
        return None
    return f"{len(tried)} of {len(tried)} model calls failed ({tried[0].get('error') or 'error'})"


async def report(
    view: ThreadView,
    api_url: str,
    repo: str | None = None,
    sha: str | None = None,
    decided_by: str | None = None,
) -> Status | None:
    """Set the status on the head the thread reviewed (else ``sha`` in ``repo``, owner/name,
    for a thread that failed before it knew its PR); None when neither is known."""
    source = view.values.get("source") or {}
    if source.get("head_sha") and source.get("owner"):
        repo, sha = f"{source['owner']}/{source['repo']}", str(source["head_sha"])
    if view.superseded_by and view.head:
        # Only on the head its event named: if the PR had already moved when this review
        # fetched it, the newer head is the newer thread's, and its status stays that one's.
        sha = view.head
    if not (repo and sha):
        return None
    status = describe(view, decided_by)
    await set_status(api_url, repo, sha, status.state, status.description, status.target_url)
    return status
