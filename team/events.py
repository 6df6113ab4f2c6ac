"""One GitHub event (its name and payload) in, one action out: review, command, or ignore.

Both deployments call ``decide``: the webhook (``web/webhook.py``) under LangGraph's server and
``review-panel github-event`` in GitHub Actions. It does no I/O and trusts nothing in the
payload beyond its shape: a payload that does not fit is ignored with the reason, never an
exception. What needs GitHub (the PR's head for a comment, the repository's settings, the
commenter's permission) is the handler's work (``team/handler.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

REVIEW_ACTIONS = ("opened", "reopened", "ready_for_review", "synchronize")
PREFIX = "/review-panel"
SUBCOMMANDS = ("review", "approve", "reject", "retry")
Subcommand = Literal["review", "approve", "reject", "retry"]


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str
    installation_id: int | None = None  # the GitHub App installation that sent the event

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class PullHead:
    """A pull request at one head commit, as a ``pull_request`` event describes it."""

    repo: Repo
    number: int
    head_sha: str
    base_sha: str
    author: str
    draft: bool

    @property
    def label(self) -> str:
        return f"{self.repo.full_name}#{self.number}"


@dataclass(frozen=True)
class Ping:
    """GitHub's hello when a webhook is created: answered 200, nothing else."""


@dataclass(frozen=True)
class Ignore:
    reason: str


@dataclass(frozen=True)
class StartReview:
    pull: PullHead
    action: str  # the pull_request action that asked for it


@dataclass(frozen=True)
class Command:
    """``/review-panel SUB [ARG]`` in a newly created comment on a PR's conversation."""

    repo: Repo
    number: int
    comment_id: int
    login: str
    subcommand: Subcommand
    argument: str  # the reason of a reject; empty otherwise


Action = Ping | Ignore | StartReview | Command


def decide(event: str, payload: Any) -> Action:
    """What to do about one delivery."""
    if event == "ping":
        return Ping()
    if not isinstance(payload, dict):
        return Ignore("the payload is not a JSON object")
    if event == "pull_request":
        return _pull_request(payload)
    if event == "issue_comment":
        return _issue_comment(payload)
    return Ignore(f"event {event or '(none)'!r} is not handled")


def _repo(payload: dict[str, Any]) -> Repo | None:
    repo = payload.get("repository")
    if not isinstance(repo, dict):
        return None
    owner = (repo.get("owner") or {}).get("login") if isinstance(repo.get("owner"), dict) else None
    name = repo.get("name")
    if not isinstance(owner, str) or not isinstance(name, str) or not owner or not name:
        return None
    installation = payload.get("installation")
    iid = installation.get("id") if isinstance(installation, dict) else None
    return Repo(owner, name, iid if isinstance(iid, int) else None)


def _pull_request(payload: dict[str, Any]) -> Action:
    action = payload.get("action")
    if action not in REVIEW_ACTIONS:
        return Ignore(f"pull_request action {action!r} starts no review")
    repo, pr = _repo(payload), payload.get("pull_request")
    if repo is None or not isinstance(pr, dict):
        return Ignore("pull_request payload without repository or pull_request")
    try:
        pull = PullHead(
            repo=repo,
            number=int(pr["number"]),
            head_sha=str(pr["head"]["sha"]),
            base_sha=str(pr["base"]["sha"]),
            author=str((pr.get("user") or {}).get("login") or ""),
            draft=bool(pr.get("draft", False)),
        )
    except (KeyError, TypeError, ValueError):
        return Ignore("pull_request payload without number, head or base")
    if pr.get("state") == "closed":
        return Ignore(f"{pull.label} is closed")
    return StartReview(pull, str(action))


def parse_command(body: str) -> tuple[Subcommand, str] | None:
    """The subcommand and its argument, from the comment's first line; None if it is none."""
    first = body.strip().splitlines()[0].strip() if body.strip() else ""
    head, _, rest = first.partition(" ")
    if head != PREFIX:
        return None
    sub, _, argument = rest.strip().partition(" ")
    if sub not in SUBCOMMANDS:
        return None
    return sub, argument.strip()  # type: ignore[return-value]


def _issue_comment(payload: dict[str, Any]) -> Action:
    if payload.get("action") != "created":
        return Ignore(f"issue_comment action {payload.get('action')!r} is not a new comment")
    issue, comment, repo = payload.get("issue"), payload.get("comment"), _repo(payload)
    if not isinstance(issue, dict) or not isinstance(comment, dict) or repo is None:
        return Ignore("issue_comment payload without issue, comment or repository")
    if "pull_request" not in issue:
        return Ignore("a comment on an issue, not on a pull request")
    raw_user = comment.get("user")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    login = str(user.get("login") or "")
    if user.get("type") == "Bot" or login.endswith("[bot]"):
        return Ignore(f"comment by the bot {login}")
    parsed = parse_command(str(comment.get("body") or ""))
    if parsed is None:
        return Ignore("not a /review-panel command")
    try:
        number, comment_id = int(issue["number"]), int(comment["id"])
    except (KeyError, TypeError, ValueError):
        return Ignore("issue_comment payload without issue number or comment id")
    return Command(repo, number, comment_id, login, parsed[0], parsed[1])
