"""GitHub through PyGithub: read a pull request and its diff, publish a review exactly once.

PyGithub is synchronous, so every call runs in a worker thread (LangGraph's server rejects
blocking calls inside async nodes). Its default retry is replaced: it would re-send a review
POST whose response was lost (posting twice) and wait out rate limits without a cap. The
client gets a urllib3 ``Retry`` that repeats a read once after a 5xx or a dropped connection;
rate limits are waited out here within a bounded wait that honours ``retry-after`` and
``x-ratelimit-reset``; a write is only repeated after checking that it did not land.

The token is read from ``GITHUB_TOKEN`` at the moment of the call, or is a GitHub App's
installation token for the repository (``services/github_app.py``); it never enters state,
and no message built here contains it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from urllib3.util.retry import Retry

from graph.contracts import ApprovedReview, PostResult, Source
from graph.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNetworkError,
    GitHubNotFoundError,
    GitHubPostError,
    GitHubRateLimitError,
)
from services import body as bodies
from services import render
from services.pullref import PullRef

if TYPE_CHECKING:
    from github import Github
    from github.PullRequest import PullRequest

    from graph.context import Context
    from services.at_commit import Key

T = TypeVar("T")
CONTENTS_MAX_BYTES = 1024 * 1024  # the contents API's own limit for a file's text

DIFF_MEDIA_TYPE = "application/vnd.github.v3.diff"
MAX_FILES = 3000  # GitHub lists at most this many files of a PR


def _token() -> str:
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise GitHubAuthError(
            "GITHUB_TOKEN is not set: create a token that can read pull requests and write "
            "reviews, and export it"
        )
    return token


@contextlib.contextmanager
def _client(api_url: str, repo: str | None = None, *, lazy: bool = False) -> Iterator[Github]:
    """A client for calls about ``repo`` (owner/name): a GitHub App's installation token for
    it when an app is configured (``services/github_app.py``), else ``GITHUB_TOKEN``.

    Clients are kept per worker thread, one per (API URL, token, laziness), so the next call
    from that thread reuses the open connection instead of a TCP and TLS handshake with
    GitHub each time (and a new connection pool, a millisecond of CPU even on loopback). Per
    thread, because a PyGithub connection holds the request it is sending: two threads on
    one client would mix their requests. A new token (an installation's hourly one) gets a
    new client; the oldest beyond ``_KEPT`` is closed. Tokens stay in this process's memory.

    ``lazy``: objects it hands out fetch nothing until a field is read, so
    ``get_repo(name).get_contents(...)`` is one request, not two. Only for calls whose result
    comes from a request of their own (file contents), or that complete the object inside
    ``_call``: a lazy pull request would otherwise fetch its fields outside it, where a
    failure is not translated."""
    from github import Auth, Github

    from services.github_app import app_configured, auth_for

    auth = auth_for(api_url, repo) if app_configured() else Auth.Token(_token())
    kept: dict[tuple[str, str, bool], Github] = _per_thread.__dict__.setdefault("clients", {})
    key = (api_url.rstrip("/"), auth.token, lazy)
    client = kept.pop(key, None)
    if client is None:
        client = Github(
            base_url=key[0],
            auth=auth,
            retry=_TRANSIENT,
            per_page=100,
            timeout=30,
            # Rate limits are handled by _call (retry-after, reset), not by sleeping. PyGithub
            # would also space a client's writes a second apart: a kept client's second status.
            seconds_between_requests=0,
            seconds_between_writes=0,
            lazy=lazy,
        )
    try:
        yield client
    except BaseException:
        client.close()  # its connection may be mid-answer: never hand it out again
        raise
    kept[key] = client  # the most recently used last
    while len(kept) > _KEPT:
        kept.pop(next(iter(kept))).close()


_per_thread = threading.local()
_KEPT = 4  # clients kept per worker thread: a few repositories' installations, or a token


def _transient_retry() -> Retry:
    """One more try for a read that met a 5xx or a dropped connection; never for a write.

    Rate limits are not retried by urllib3: it would wait out any ``retry-after`` with no
    bound. ``_call`` waits for them within ``REVIEW_PANEL_GITHUB_MAX_WAIT`` instead.
    """
    return Retry(
        total=1,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),  # a POST may have landed: never resent
        respect_retry_after_header=False,
        raise_on_status=False,  # the last answer reaches PyGithub, which names its status
    )


_TRANSIENT = _transient_retry()


def _max_wait() -> float:
    # Validated like every setting: a value that does not parse is an error, never ignored.
    from graph.context import github_max_wait

    return github_max_wait()


def _retry_after(exc: Any) -> float | None:
    """Seconds GitHub asks us to wait, from ``retry-after`` or ``x-ratelimit-reset``."""
    headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return None
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
        except ValueError:
            return None
    return None


def _call(what: str, fn: Callable[[], T], *, retry: bool = True) -> T:
    """Run one PyGithub call, translating its failures into our errors.

    Reads (``retry=True``) are retried on rate limits within the bounded wait; a 5xx or a
    dropped connection on a read was already retried once by the client (``_TRANSIENT``).
    Writes are never retried.
    """
    import requests
    from github import (
        BadCredentialsException,
        GithubException,
        RateLimitExceededException,
        UnknownObjectException,
    )

    deadline = time.monotonic() + _max_wait()
    while True:
        try:
            return fn()
        except BadCredentialsException:
            raise GitHubAuthError(
                "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN"
            ) from None
        except UnknownObjectException:
            raise GitHubNotFoundError(
                f"{what}: not found (404): check the name, or that GITHUB_TOKEN can see it"
            ) from None
        except (RateLimitExceededException, GithubException) as exc:
            status = getattr(exc, "status", 0)
            limited = isinstance(exc, RateLimitExceededException) or status == 429
            if limited:
                wait = _retry_after(exc)
                wait = 60.0 if wait is None else wait
                if retry and time.monotonic() + wait <= deadline:
                    time.sleep(wait)
                    continue
                retry_at = time.time() + wait
                raise GitHubRateLimitError(
                    f"{what}: GitHub rate limit; try again after "
                    f"{time.strftime('%H:%M:%S', time.localtime(retry_at))} "
                    f"(in {int(wait)}s)",
                    retry_at=retry_at,
                ) from None
            raise _status_error(what, exc) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise GitHubNetworkError(
                f"{what}: cannot reach GitHub ({type(exc).__name__}); check the network "
                "and GITHUB_API_URL"
            ) from None


def _status_error(what: str, exc: Any) -> GitHubError:
    data = getattr(exc, "data", None) or {}
    message = data.get("message", "") if isinstance(data, dict) else str(data)
    errors = data.get("errors") if isinstance(data, dict) else None
    detail = f" ({'; '.join(map(str, errors))})" if errors else ""
    return GitHubError(f"{what}: GitHub answered {exc.status}: {message}{detail}", exc.status)


# --- fetch ----------------------------------------------------------------------------------


async def fetch_pull(ref: PullRef, context: Context) -> tuple[Source, str]:
    """The PR's metadata and unified diff (rebuilt from the file list if GitHub refuses it)."""
    return await asyncio.to_thread(_fetch_pull, ref, ref.api_url(context.github_api_url))


def _fetch_pull(ref: PullRef, api_url: str) -> tuple[Source, str]:
    # Lazy: the pull request's own read says whether the repository exists (404 for both),
    # so reading the repository first would cost a request and decide nothing. The pull
    # request is completed inside ``_call``, so GitHub's answer (a 404, a bad token) meets
    # the error mapping, not the first attribute read.
    with _client(api_url, f"{ref.owner}/{ref.repo}", lazy=True) as g:
        repo = g.get_repo(f"{ref.owner}/{ref.repo}")
        pr = _call(ref.label, lambda: repo.get_pull(ref.number).complete())
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

    text = _call(f"{label} diff", get)
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

    _call(f"{label} files", collect)
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
        with _client(str(source.api_url), f"{source.owner}/{source.repo}") as g:
            repo = _call(source.label, lambda: g.get_repo(f"{source.owner}/{source.repo}"))
            return str(_call(source.label, lambda: repo.get_pull(int(source.number or 0))).head.sha)

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
    """The text of each of ``paths`` at commit ``ref``: one contents request per file.

    A file that is missing, a directory, larger than ``max_bytes`` or not UTF-8 maps to None.
    Used to show the code around a hunk (at the PR's head) to the specialists, and for the
    guidelines at the base. Files at a commit SHA are read once per process
    (``services.at_commit``): PRs on the same base share their guidelines' reads.
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

    def read() -> None:
        with _client(str(source.api_url), f"{source.owner}/{source.repo}", lazy=True) as g:
            repo = _call(source.label, lambda: g.get_repo(f"{source.owner}/{source.repo}"))
            for path in missing:
                out[path] = _read_one(source, repo, path, ref, max_bytes, keys[path])

    if missing:
        await asyncio.to_thread(read)
    return {p: out[p] for p in paths}


def _read_one(
    source: Source, repo: Any, path: str, ref: str, max_bytes: int, key: Key | None
) -> str | None:
    """One file for ``read_files``; a missing file, a directory or a text is remembered at a
    SHA (``key``), a file too large or not UTF-8 is not (another caller may allow more)."""
    from services.at_commit import files

    get = functools.partial(repo.get_contents, path, ref)
    try:
        found = _call(f"{source.label} {path}", get)
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
    with _client(str(source.api_url), f"{source.owner}/{source.repo}") as g:
        repo = _call(source.label, lambda: g.get_repo(f"{source.owner}/{source.repo}"))
        pr = _call(source.label, lambda: repo.get_pull(int(source.number or 0)))
        me = _call("the authenticated user", lambda: g.get_user().login)
        digest = approved.digest
        found = _call(f"{source.label} reviews", lambda: _existing(pr, thread_id, digest, me))
        if found is not None:
            return PostResult(
                destination="github",
                url=found.html_url,
                review_id=found.id,
                markdown="",
                already_posted=True,
                notes=["this thread's review was already on GitHub; nothing posted again"],
            )
        commit = _call(source.label, lambda: repo.get_commit(str(source.head_sha)))
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
            review = _call(f"{source.label} review", lambda: create(comments, body), retry=False)
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
                    review = _call(f"{source.label} review", lambda: create([], text), retry=False)
                except GitHubError as again:
                    raise GitHubPostError(str(again), again.status) from None
            elif isinstance(exc, GitHubNetworkError) or (status or 0) >= 500:
                # The POST may have landed with its response lost: look before sending again.
                landed = _call(
                    f"{source.label} reviews", lambda: _existing(pr, thread_id, digest, me)
                )
                if landed is None:
                    review = _call(
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
    with _client(api_url) as g:
        core = _call("GitHub", g.get_rate_limit, retry=False).resources.core
        reset = time.strftime("%H:%M", time.localtime(core.reset.timestamp()))
        return int(core.remaining), int(core.limit), reset
