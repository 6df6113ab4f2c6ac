"""The PyGithub client every GitHub call goes through, and the translation of its errors.

PyGithub is synchronous, so every call runs in a worker thread (LangGraph's server rejects
blocking calls inside async nodes). Its default retry is replaced: it would re-send a review
POST whose response was lost (posting twice) and wait out rate limits without a cap. The
client gets a urllib3 ``Retry`` that repeats a read once after a 5xx or a dropped connection;
rate limits are waited out by ``call`` within a bounded wait that honours ``retry-after`` and
``x-ratelimit-reset``; a write is never repeated here (``services.github`` checks whether a
review landed before it posts again).

The token is read from ``GITHUB_TOKEN`` at the moment of the call, or is a GitHub App's
installation token for the repository (``services/github_app.py``); it never enters state,
and no message built here contains it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from urllib3.util.retry import Retry

from graph.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNetworkError,
    GitHubNotFoundError,
    GitHubRateLimitError,
)

if TYPE_CHECKING:
    from github import Github

T = TypeVar("T")


def _token() -> str:
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise GitHubAuthError(
            "GITHUB_TOKEN is not set: create a token that can read pull requests and write "
            "reviews, and export it"
        )
    return token


@contextlib.contextmanager
def client(api_url: str, repo: str | None = None, *, lazy: bool = False) -> Iterator[Github]:
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
    ``call``: a lazy pull request would otherwise fetch its fields outside it, where a
    failure is not translated."""
    from github import Auth, Github

    from services.github_app import app_configured, auth_for

    auth = auth_for(api_url, repo) if app_configured() else Auth.Token(_token())
    kept: dict[tuple[str, str, bool], Github] = _per_thread.__dict__.setdefault("clients", {})
    key = (api_url.rstrip("/"), auth.token, lazy)
    g = kept.pop(key, None)
    if g is None:
        g = Github(
            base_url=key[0],
            auth=auth,
            retry=_TRANSIENT,
            per_page=100,
            timeout=30,
            # Rate limits are handled by call (retry-after, reset), not by sleeping. PyGithub
            # would also space a client's writes a second apart: a kept client's second status.
            seconds_between_requests=0,
            seconds_between_writes=0,
            lazy=lazy,
        )
    try:
        yield g
    except BaseException:
        g.close()  # its connection may be mid-answer: never hand it out again
        raise
    kept[key] = g  # the most recently used last
    while len(kept) > _KEPT:
        kept.pop(next(iter(kept))).close()


_per_thread = threading.local()
_KEPT = 4  # clients kept per worker thread: a few repositories' installations, or a token


def _transient_retry() -> Retry:
    """One more try for a read that met a 5xx or a dropped connection; never for a write.

    Rate limits are not retried by urllib3: it would wait out any ``retry-after`` with no
    bound. ``call`` waits for them within ``REVIEW_PANEL_GITHUB_MAX_WAIT`` instead.
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


def call(what: str, fn: Callable[[], T], *, retry: bool = True) -> T:
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
