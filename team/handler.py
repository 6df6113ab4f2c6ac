"""Carry out what ``team.events.decide`` chose: start a review, answer a command, report.

The same code runs under LangGraph's server (threads through langgraph_sdk) and in a GitHub
Actions job (threads in Postgres through a checkpointer); only the ``Threads`` differ.

Rules kept here:
- One thread per PR head (``team.threads.thread_id``): a redelivered event finds its thread
  and starts nothing. A newer head's draft supersedes a paused older one.
- A later review of a PR with a posted review covers only the changes since that head.
- Commands come from people with write, maintain or admin permission (the API, not the
  payload's ``author_association``); the PR's author may not approve or reject the review of
  their own PR unless the repository's ``.review-panel.yaml`` says
  ``allow_author_decisions: true``. Accepted: +1 on the comment; refused: -1, nothing changes.
- Decisions on one thread are taken one at a time in this process, and the thread back end
  refuses a second run in flight, so two approvals at once post one review.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import defaultdict
from typing import Any

from graph.context import DEFAULT_GITHUB_API_URL
from graph.contracts import Source
from graph.errors import GitHubError
from services import conversation
from services.noise import REPO_FILE, RepoSettings, parse_repo_settings
from services.secrets import scrub
from team import status
from team.events import Action, Command, Ignore, Ping, Repo, StartReview
from team.threads import MAX_GENERATIONS, Busy, Threads, ThreadView, pull_key, thread_id

log = logging.getLogger("review_panel.team")
OPEN = ("paused", "running", "question")


def api_url() -> str:
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/")


class Handler:
    def __init__(self, threads: Threads, github_api_url: str | None = None) -> None:
        self.threads = threads
        self.api_url = github_api_url or api_url()
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, action: Action, *, raise_errors: bool = False) -> str:
        """Carry out ``action``; returns one line saying what happened (for logs and the CLI).

        A GitHub failure is that line too, unless ``raise_errors`` (the CLI: an exit code)."""
        try:
            if isinstance(action, Ping):
                return "pong"
            if isinstance(action, Ignore):
                return f"ignored: {action.reason}"
            if isinstance(action, StartReview):
                return await self._on_pull(action)
            return await self._on_command(action)
        except GitHubError as exc:
            if raise_errors:
                raise
            message = scrub(str(exc))
            log.warning("review-panel: %s", message)
            return f"failed: {message}"

    # --- reviews -------------------------------------------------------------------------

    async def _on_pull(self, action: StartReview) -> str:
        pull = action.pull
        settings = await self.repo_settings(pull.repo, pull.number, pull.base_sha)
        if settings.auto_review is False:
            return f"ignored: {REPO_FILE} of {pull.repo.full_name} says auto_review: false"
        if pull.draft and not settings.review_drafts:
            return f"ignored: {pull.label} is a draft (review_drafts: true reviews drafts)"
        outcome, started = await self.review(
            pull.repo, pull.number, pull.head_sha, again=False, opened=action.action == "opened"
        )
        if started:
            await self.follow(started, pull.repo, pull.number, pull.head_sha)
        return outcome

    async def review(
        self, repo: Repo, number: int, head: str, *, again: bool, opened: bool = False
    ) -> tuple[str, str | None]:
        """Start the review of ``head`` (once) and supersede older drafts.

        ``opened``: the PR was just opened, so it has no earlier thread to find (nor a posted
        review to review incrementally) and no older draft to supersede: its first head is
        the oldest, and a later head's thread supersedes this one when it starts or when this
        one pauses. Two reads of the PR's threads fewer for the most common review. A
        redelivery still starts nothing: the thread's creation is refused.

        Returns what happened and the id of the thread started (None if none was)."""
        key = pull_key(self.api_url, repo.owner, repo.name, number)
        earlier = [] if opened else await self.threads.of_pull(key)
        tid, current, generation = await self.latest(repo, number, head, earlier)
        label = f"{repo.full_name}#{number}"
        if current is not None:
            if not again or current.status in OPEN:
                return f"exists: thread {current.thread_id} ({current.status})", None
            tid = thread_id(self.api_url, repo.owner, repo.name, number, head, generation + 1)
        review_input: dict[str, Any] = {"target": label}
        posted = [t for t in earlier if t.status == "posted"]
        if posted:
            review_input["since"] = str((posted[-1].values.get("source") or {}).get("head_sha"))
        metadata = {"target": label, "pull": key, "head": head}
        if not await self.threads.start(tid, review_input, metadata):
            return f"exists: thread {tid}", None
        running = ThreadView(tid, "running")
        await status.report(running, self.api_url, repo.full_name, head)
        if not opened:
            await self.supersede_stale(repo, number)
        return f"started: thread {tid} for {label} at {head[:12]}", tid

    async def follow(self, tid: str, repo: Repo, number: int, head: str) -> ThreadView:
        """Wait for the thread's run to end, then set the status it deserves.

        A newer head may have been pushed while this draft was being written: it is
        superseded as soon as it pauses (``supersede_stale``)."""
        key = pull_key(self.api_url, repo.owner, repo.name, number)
        threads = await self.threads.wait(tid, key)
        done = next((t for t in threads if t.thread_id == tid), None)
        done = done or await self.threads.get(tid)
        assert done is not None  # the thread was started: it exists
        if done.status == "paused" and not done.superseded_by:
            seen = await self.supersede_stale(repo, number, threads)
            done = seen.get(tid) or await self.threads.get(tid) or done
            if done.superseded_by:
                return done  # supersede_stale reported it
        await status.report(done, self.api_url, repo.full_name, head)
        return done

    async def supersede_stale(
        self, repo: Repo, number: int, threads: list[ThreadView] | None = None
    ) -> dict[str, ThreadView]:
        """Mark every paused draft of a head that is no longer the PR's head superseded by
        the thread of the PR's head, once that thread exists.

        Called after a thread starts and after a draft pauses, so whichever of the two
        happens last sees both: deliveries handled concurrently or out of order (GitHub
        does not promise order) end the same way, and a late event for an old head never
        supersedes the newer head's draft. The PR's head is read from GitHub, not from the
        order the threads were created in. Best effort: if GitHub cannot say, the next
        start or pause tries again, and commands act only on the PR's head's thread anyway.

        A draft is superseded only by another thread of the same PR: with fewer than two
        threads, or none of them a paused draft, GitHub is not asked (the first review of a
        PR, the common case, costs no extra requests here).

        ``threads``: every thread of the PR, just read (``Threads.wait`` reads them); read
        here otherwise. Returns them, by id, when none was superseded: ``follow`` needs no
        second read of its own thread then."""
        if threads is None:
            key = pull_key(self.api_url, repo.owner, repo.name, number)
            threads = await self.threads.of_pull(key)
        seen = {t.thread_id: t for t in threads}
        waiting = [t for t in threads if t.status == "paused" and not t.superseded_by]
        if len(threads) < 2 or not waiting:
            return seen
        try:
            pr = await conversation.pull_now(self.api_url, repo.full_name, number)
        except GitHubError as exc:
            log.warning(
                "review-panel: could not read %s#%s's head: %s",
                repo.full_name,
                number,
                scrub(str(exc)),
            )
            return seen
        newest_tid, newest, _ = await self.latest(repo, number, pr.head_sha, threads)
        if newest is None:
            return seen  # its delivery has not started it yet; that start calls this again
        superseded = False
        for older in waiting:
            if older.head is not None and older.head != pr.head_sha:
                await self.threads.mark_superseded(older.thread_id, newest_tid)
                await self._report(older)
                superseded = True
        return {} if superseded else seen

    async def latest(
        self, repo: Repo, number: int, head: str, known: list[ThreadView] | None = None
    ) -> tuple[str, ThreadView | None, int]:
        """The newest thread of this head, and its generation (``/review-panel review`` after
        a finished review makes another).

        ``known``: every thread of the PR, just read (``of_pull``); then no thread is read
        again one by one."""
        by_id = {t.thread_id: t for t in known} if known is not None else None
        tid = thread_id(self.api_url, repo.owner, repo.name, number, head)
        found, newest = None, 0
        for generation in range(MAX_GENERATIONS):
            candidate = thread_id(self.api_url, repo.owner, repo.name, number, head, generation)
            seen = by_id.get(candidate) if by_id is not None else await self.threads.get(candidate)
            if seen is None:
                break
            tid, found, newest = candidate, seen, generation
        return tid, found, newest

    async def repo_settings(self, repo: Repo, number: int, base_sha: str) -> RepoSettings:
        """The repository's ``.review-panel.yaml`` at the PR's base (never the PR's own)."""
        from services.github import read_file

        source = Source(
            kind="github",
            label=f"{repo.full_name}#{number}",
            owner=repo.owner,
            repo=repo.name,
            number=number,
            api_url=self.api_url,
        )
        text = await read_file(source, REPO_FILE, base_sha)
        parsed, _ = parse_repo_settings(text, REPO_FILE) if text is not None else (None, "")
        return parsed or RepoSettings()

    async def _report(self, thread: ThreadView, decided_by: str | None = None) -> None:
        fresh = await self.threads.get(thread.thread_id) or thread
        await status.report(fresh, self.api_url, decided_by=decided_by)

    # --- commands ------------------------------------------------------------------------

    async def _on_command(self, cmd: Command) -> str:
        repo = cmd.repo.full_name
        refusal = await self._refusal(cmd)
        if isinstance(refusal, str):
            await conversation.react(self.api_url, repo, cmd.comment_id, "-1")
            return f"refused: {refusal}"
        head, tid = refusal
        async with self._locks[tid or head]:
            outcome, started = await self._carry_out(cmd, head, tid)
        refused = outcome.startswith("refused")
        await conversation.react(self.api_url, repo, cmd.comment_id, "-1" if refused else "+1")
        if started:
            await self.follow(started, cmd.repo, cmd.number, head)
        return outcome

    async def _refusal(self, cmd: Command) -> str | tuple[str, str | None]:
        """Why the command is refused, or the PR's head and its newest thread id."""
        repo = cmd.repo.full_name
        pr = await conversation.pull_now(self.api_url, repo, cmd.number)
        if pr.state != "open":
            return f"{repo}#{cmd.number} is {pr.state}"
        perm = await conversation.permission(self.api_url, repo, cmd.login)
        if perm not in conversation.DECIDERS:
            return f"@{cmd.login} has {perm} permission on {repo}; write is needed"
        if cmd.subcommand in ("approve", "reject") and cmd.login.lower() == pr.author.lower():
            settings = await self.repo_settings(cmd.repo, cmd.number, pr.base_sha)
            if not settings.allow_author_decisions:
                return (
                    f"@{cmd.login} wrote this pull request and may not decide on its review "
                    f"({REPO_FILE}: allow_author_decisions)"
                )
        if cmd.subcommand == "reject" and not cmd.argument:
            return "a rejection needs a reason: /review-panel reject <reason>"
        tid, found, _ = await self.latest(cmd.repo, cmd.number, pr.head_sha)
        return pr.head_sha, (tid if found is not None else None)

    async def _carry_out(self, cmd: Command, head: str, tid: str | None) -> tuple[str, str | None]:
        if cmd.subcommand == "review":
            return await self.review(cmd.repo, cmd.number, head, again=True)
        return await self._decide(cmd, head, tid), None

    async def _decide(self, cmd: Command, head: str, tid: str | None) -> str:
        current = await self.threads.get(tid) if tid else None
        if current is None:
            return f"refused: no review of the head {head[:12]} to {cmd.subcommand}"
        if cmd.subcommand == "retry":
            return await self._retry(cmd, current)
        if current.status != "paused":
            return f"refused: thread {current.thread_id} is {current.status}, not waiting"
        if current.superseded_by:
            return f"refused: thread {current.thread_id} is superseded by a newer head"
        decision: dict[str, Any] = (
            {"type": "approve"}
            if cmd.subcommand == "approve"
            else {"type": "reject", "message": f"{cmd.argument} (@{cmd.login})"}
        )
        try:
            done = await self.threads.resume(current.thread_id, {"decisions": [decision]})
        except Busy:
            return f"refused: thread {current.thread_id} is already being decided"
        await status.report(done, self.api_url, cmd.repo.full_name, head, decided_by=cmd.login)
        return f"{cmd.subcommand}d: thread {current.thread_id} is {done.status}"

    async def _retry(self, cmd: Command, current: ThreadView) -> str:
        try:
            if current.status == "failed":
                done = await self.threads.retry_failed(current.thread_id)
            elif current.status == "paused" and "retry" in _allowed(current):
                done = await self.threads.resume(
                    current.thread_id, {"decisions": [{"type": "retry"}]}
                )
            else:
                return f"refused: thread {current.thread_id} has nothing to retry"
        except Busy:
            return f"refused: thread {current.thread_id} is busy"
        await status.report(done, self.api_url, cmd.repo.full_name)
        return f"retried: thread {current.thread_id} is {done.status}"


def _allowed(view: ThreadView) -> list[str]:
    configs = (view.interrupt or {}).get("review_configs") or [{}]
    return list(configs[0].get("allowed_decisions", []))
