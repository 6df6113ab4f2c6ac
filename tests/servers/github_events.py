"""Webhook deliveries as GitHub sends them: payloads in GitHub's shapes, signed and sent.

The payloads keep the fields GitHub documents for ``pull_request`` and ``issue_comment``
events (trimmed of URLs nobody reads); ``signed_headers`` makes the headers of a delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

from tests.servers.github_server import PullRecord


def repository(owner: str, repo: str, api: str) -> dict[str, Any]:
    return {
        "id": 1296269,
        "name": repo,
        "full_name": f"{owner}/{repo}",
        "private": True,
        "owner": {"login": owner, "id": 1, "type": "Organization"},
        "url": f"{api}/repos/{owner}/{repo}",
        "default_branch": "main",
    }


def pull_request(
    pr: PullRecord, action: str, api: str, *, installation: int | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": action,
        "number": pr.number,
        "pull_request": {
            "url": f"{api}/repos/{pr.owner}/{pr.repo}/pulls/{pr.number}",
            "id": 1000 + pr.number,
            "number": pr.number,
            "state": pr.state,
            "locked": False,
            "title": pr.title,
            "user": {"login": pr.author, "id": 2, "type": "User"},
            "body": pr.body,
            "draft": pr.draft,
            "merged": pr.merged,
            "head": {"label": f"{pr.owner}:feature", "ref": "feature", "sha": pr.head_sha},
            "base": {"label": f"{pr.owner}:main", "ref": "main", "sha": pr.base_sha},
            "author_association": "CONTRIBUTOR",
        },
        "repository": repository(pr.owner, pr.repo, api),
        "sender": {"login": pr.author, "id": 2, "type": "User"},
    }
    if action == "synchronize":
        payload["before"], payload["after"] = "0" * 40, pr.head_sha
    if installation is not None:
        payload["installation"] = {"id": installation}
    return payload


def issue_comment(
    pr: PullRecord,
    comment: dict[str, Any],
    api: str,
    *,
    action: str = "created",
    installation: int | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": action,
        "issue": {
            "number": pr.number,
            "title": pr.title,
            "user": {"login": pr.author, "type": "User"},
            "state": pr.state,
            "pull_request": {"url": f"{api}/repos/{pr.owner}/{pr.repo}/pulls/{pr.number}"},
        },
        "comment": {
            "id": comment["id"],
            "body": comment["body"],
            "user": comment["user"],
            "author_association": "MEMBER",  # not a permission: never trusted
            "created_at": comment["created_at"],
        },
        "repository": repository(pr.owner, pr.repo, api),
        "sender": comment["user"],
    }
    if action == "edited":
        payload["changes"] = {"body": {"from": "before"}}
    if installation is not None:
        payload["installation"] = {"id": installation}
    return payload


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def signed_headers(
    secret: str, body: bytes, event: str, delivery: str | None = None
) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/abc123",
        "x-github-event": event,
        "x-github-delivery": delivery or str(uuid.uuid4()),
        "x-hub-signature-256": f"sha256={digest}",
    }
