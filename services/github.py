"""GitHub through PyGithub: read a pull request and its diff, publish a review exactly once.

Every request goes through ``services.github_client`` (a client kept per worker thread, a
retry for reads only, rate limits waited out within a bound, errors translated to ours). A
review POST whose answer was lost is never sent again blindly: ``_publish`` first looks for
the review it may have posted.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import TYPE_CHECKING, Any, cast

from graph.contracts import ApprovedReview, PostResult, Source
from graph.errors import GitHubError, GitHubNetworkError, GitHubNotFoundError, GitHubPostError
from services import body as bodies
from services import render
from services.github_client import call, client
from services.pullref import PullRef

if TYPE_CHECKING:
    from github import Github
    from github.PullRequest import PullRequest

    from graph.context import Context
    from services.at_commit import Key

CONTENTS_MAX_BYTES = 1024 * 1024  # the contents API's own limit for a file's text

DIFF_MEDIA_TYPE = "application/vnd.github.v3.diff"
MAX_FILES = 3000  # GitHub lists at most this many files of a PR
READS_AT_ONCE = 8  # contents requests in flight for one read_files (GitHub allows 100)


# --- fetch ----------------------------------------------------------------------------------


async def fetch_pull(ref: PullRef, context: Context) -> tuple[Source, str]:
    """The PR's metadata and unified diff (rebuilt from the file list if GitHub refuses it)."""
    return await asyncio.to_thread(_fetch_pull, ref, ref.api_url(context.github_api_url))


def _fetch_pull(ref: PullRef, api_url: str) -> tuple[Source, str]:
    # Lazy: the pull request's own read says whether the repository exists (404 for both),
    # so reading the repository first would cost a request and decide nothing. The pull
    # request is completed inside ``call``, so GitHub's answer (a 404, a bad token) meets
    # the error mapping, not the first attribute read.
    with client(api_url, f"{ref.owner}/{ref.repo}", lazy=True) as g:
        repo = g.get_repo(f"{ref.owner}/{ref.repo}")
        pr = call(ref.label, lambda: repo.get_pull(ref.number).complete())
        source = Source(
            kind="github",
            label=ref.label,
            owner=ref.owner,
            repo=ref.repo,
            number=ref.number,
            api_url=api_url,
            html_url=pr.html_url,
            title=pr.title or "",
            body=pr.body or "",
            author=pr.user.login if pr.user else None,
            state="merged" if pr.merged else pr.state,
            base_sha=pr.base.sha,
            head_sha=pr.head.sha,
        )
        if source.state != "open":
            source.warnings.append(f"{ref.label} is {source.state}; reviewing it anyway")
        text, not_reviewed = _diff(g, pr, ref.label)
        source.not_reviewed = not_reviewed
        return source, text


def _diff(g: Github, pr: PullRequest, label: str) -> tuple[str, dict[str, str]]:
    from github import GithubException

    def get() -> str | None:
        try:
            _, data = g.requester.requestJsonAndCheck(
                "GET", pr.url, headers={"Accept": DIFF_MEDIA_TYPE}
            )
        except GithubException as exc:
            if exc.status == 406:  # too large for the diff media type
                return None
            raise
        return str(data["data"])

    text = call(f"{label} diff", get)
    if text is None:
        return _diff_from_files(pr, label)
    return text, {}


def _diff_from_files(pr: PullRequest, label: str) -> tuple[str, dict[str, str]]:
    """Rebuild a unified diff from ``/files`` (100 a page), for PRs too large for the diff."""
    parts: list[str] = []
    not_reviewed: dict[str, str] = {}

    def collect() -> None:
        for i, f in enumerate(pr.get_files()):
            if i >= MAX_FILES:
                break
            patch = getattr(f, "patch", None)
            if not patch:
                reason = "no patch from GitHub (binary, too large, or rename only)"
                not_reviewed[f.filename] = reason
                continue
            old = f.previous_filename or f.filename
            source = "/dev/null" if f.status == "added" else f"a/{old}"
            target = "/dev/null" if f.status == "removed" else f"b/{f.filename}"
            body = patch if patch.endswith("\n") else patch + "\n"
            mode = {"added": "new file mode 100644\n", "removed": "deleted file mode 100644\n"}
            parts.append(
                f"diff --git a/{old} b/{f.filename}\n{mode.get(f.status, '')}"
                f"--- {source}\n+++ {target}\n{body}"
            )

    call(f"{label} files", collect)
    if pr.changed_files and pr.changed_files > MAX_FILES:
        not_reviewed["(more files)"] = f"GitHub lists only the first {MAX_FILES} files"
    return "".join(parts), not_reviewed


# --- post -----------------------------------------------------------------------------------


async def publish_review(source: Source, approved: ApprovedReview, thread_id: str) -> PostResult:
    """Publish ``approved`` on the reviewed commit, unless this thread already did."""
    return await asyncio.to_thread(_publish, source, approved, thread_id)


async def head_now(source: Source) -> str:
    """The PR's head commit now (to tell a person when it moved since the review)."""

    def read() -> str:
        with client(str(source.api_url), f"{source.owner}/{source.repo}") as g:
            repo = call(source.label, lambda: g.get_repo(f"{source.owner}/{source.repo}"))
            return str(call(source.label, lambda: repo.get_pull(int(source.number or 0))).head.sha)

    return await asyncio.to_thread(read)


async def read_file(source: Source, path: str, ref: str) -> str | None:
    """The text of ``path`` at commit ``ref`` of the PR's repository; None if there is none
    (or it is a directory, or not UTF-8: ``read_files``'s rules, without its size bound).

    Used for the repository's own settings (``.review-panel.yaml``), read at the PR's base so
    that a pull request cannot change how its own review is filtered.
    """
    return (await read_files(source, [path], ref, CONTENTS_MAX_BYTES))[path]


async def read_files(
    source: Source, paths: list[str], ref: str, max_bytes: int
) -> dict[str, str | None]:
    """The text of each of ``paths`` at commit ``ref``: one contents request per file,
    ``READS_AT_ONCE`` of them in flight (each in a worker thread with its own client).

    A file that is missing, a directory, larger than ``max_bytes`` or not UTF-8 maps to None.
    Used to show the code around a hunk (at the PR's head) to the specialists, and for the
    guidelines at the base. Files at a commit SHA are read once per process
    (``services.at_commit``): PRs on the same base share their guidelines' reads. One after
    another, the up to 40 files of a large PR's context cost 40 round trips to GitHub (4 to
    10 s) before any specialist starts.
    """
    from services.at_commit import CommitFiles, files

    out: dict[str, str | None] = {}
    keys = {
        p: CommitFiles.key(str(source.api_url), f"{source.owner}/{source.repo}", p, ref)
        for p in paths
    }
    for path, key in keys.items():
        known, text = files.get(key)
        if known:
            out[path] = text if text is None or len(text.encode()) <= max_bytes else None
    missing = [p for p in paths if p not in out]

    def read(path: str) -> str | None:
        with client(str(source.api_url), f"{source.owner}/{source.repo}", lazy=True) as g:
            repo = call(source.label, lambda: g.get_repo(f"{source.owner}/{source.repo}"))
            return _read_one(source, repo, path, ref, max_bytes, keys[path])

    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def one(path: str) -> None:
        async with gate:
            out[path] = await asyncio.to_thread(read, path)

    await asyncio.gather(*(one(p) for p in missing))
    return {p: out[p] for p in paths}


def _read_one(
    source: Source, repo: Any, path: str, ref: str, max_bytes: int, key: Key | None
) -> str | None:
    """One file for ``read_files``; a missing file, a directory or a text is remembered at a
    SHA (``key``), a file too large or not UTF-8 is not (another caller may allow more)."""
    from services.at_commit import files

    get = functools.partial(repo.get_contents, path, ref)
    try:
        found = call(f"{source.label} {path}", get)
    except GitHubNotFoundError:
        found = None
    if found is None or isinstance(found, list):  # no such file, or a directory
        files.put(key, None)
        return None
    if found.size > max_bytes:
        return None
    try:
        text = bytes(found.decoded_content).decode("utf-8")
    except UnicodeDecodeError:
        return None
    files.put(key, text)
    return text


def _existing(pr: PullRequest, thread_id: str, digest: str, me: str) -> Any:
    """This thread's review of exactly this approved content, posted by us; else None.

    Anyone can write a marker into a review body: one counts only when the review's author
    is the authenticated user and its digest is the digest of what was approved.
    """
    tag = render.marker(thread_id, digest)
    for review in pr.get_reviews():
        author = review.user.login if review.user else None
        if author == me and tag in (review.body or ""):
            return review
    return None


def _publish(source: Source, approved: ApprovedReview, thread_id: str) -> PostResult:
    with client(str(source.api_url), f"{source.owner}/{source.repo}") as g:
        repo = call(source.label, lambda: g.get_repo(f"{source.owner}/{source.repo}"))
        pr = call(source.label, lambda: repo.get_pull(int(source.number or 0)))
        me = call("the authenticated user", lambda: g.get_user().login)
        digest = approved.digest
        found = call(f"{source.label} reviews", lambda: _existing(pr, thread_id, digest, me))
        if found is not None:
            return PostResult(
                destination="github",
                url=found.html_url,
                review_id=found.id,
                markdown="",
                already_posted=True,
                notes=["this thread's review was already on GitHub; nothing posted again"],
            )
        commit = call(source.label, lambda: repo.get_commit(str(source.head_sha)))
        body = _checked(f"{approved.body}\n\n{render.marker(thread_id, approved.digest)}")
        comments = approved.github_comments()

        def create(with_comments: list[dict[str, Any]], text: str) -> Any:
            return pr.create_review(
                commit=commit,
                body=text,
                event=approved.event.value,
                comments=cast(Any, with_comments),  # PyGithub's TypedDict; same keys
            )

        moved: list[str] = []
        notes: list[str] = []
        try:
            review = call(f"{source.label} review", lambda: create(comments, body), retry=False)
        except GitHubError as exc:
            status = exc.status
            if status == 422 and comments and "too long" not in str(exc).lower():
                # GitHub rejects the whole review for one bad comment and does not say which:
                # publish everything, with the inline comments moved into the body.
                moved = [f"{c['path']}:{c['line']}" for c in comments]
                notes.append(f"GitHub refused the inline comments ({exc}); they are in the body")
                text = _checked(
                    f"{_with_comments_in_body(approved, thread_id)}\n\n"
                    f"{render.marker(thread_id, approved.digest)}"
                )
                try:
                    review = call(f"{source.label} review", lambda: create([], text), retry=False)
                except GitHubError as again:
                    raise GitHubPostError(str(again), again.status) from None
            elif isinstance(exc, GitHubNetworkError) or (status or 0) >= 500:
                # The POST may have landed with its response lost: look before sending again.
                landed = call(
                    f"{source.label} reviews", lambda: _existing(pr, thread_id, digest, me)
                )
                if landed is None:
                    review = call(
                        f"{source.label} review", lambda: create(comments, body), retry=False
                    )
                else:
                    review = landed
                    notes.append("GitHub's answer was lost, but the review had landed")
            else:
                raise GitHubPostError(str(exc), status) from None
        return PostResult(
            destination="github",
            url=review.html_url,
            review_id=review.id,
            markdown="",
            moved_to_body=moved,
            notes=notes,
        )


def _with_comments_in_body(approved: ApprovedReview, thread_id: str) -> str:
    """The approved body with the inline comments GitHub refused added as their own group,
    still within GitHub's limit."""
    refused = [
        c.model_copy(
            update={"in_body": "refused", "body": c.body if c.edited else render.safe(c.text)}
        )
        for c in approved.inline
    ]
    return bodies.add_group(approved.body, refused, f"`review-panel show {thread_id} --json`")


def _checked(text: str) -> str:
    """``text``, if GitHub will take it as a review body; else a refusal before sending."""
    if len(text) > bodies.LIMIT:
        raise GitHubPostError(
            f"the review body is {len(text):,} characters; GitHub takes at most "
            f"{bodies.LIMIT:,}: shorten the summary or drop comments (approve --edit)",
            422,
        )
    return text


# --- doctor -----------------------------------------------------------------------------------


async def rate_limit(context: Context) -> tuple[int, int, str]:
    """The token's core rate limit: requests remaining, the limit, and when it resets (HH:MM).

    Checking the quota costs none of it; a bad token or a wrong API URL fails here with the
    same errors a review would meet.
    """
    return await asyncio.to_thread(_rate_limit, context.github_api_url)


def _rate_limit(api_url: str) -> tuple[int, int, str]:
    with client(api_url) as g:
        core = call("GitHub", g.get_rate_limit, retry=False).resources.core
        reset = time.strftime("%H:%M", time.localtime(core.reset.timestamp()))
        return int(core.remaining), int(core.limit), reset
