"""A loopback GitHub REST API for driving PyGithub-based code over real HTTP.

Why a server and not mocks: what breaks a PR reviewer in production is wire behaviour that
mocks paper over -- PyGithub following ``url`` fields, ``Link`` pagination, the diff media
type and its 406, GitHub's all-or-nothing 422 on review comments, rate-limit 403/429s and
responses lost after the write was applied. This reproduces them, as measured on github.com,
on 127.0.0.1 under both the plain and the Enterprise (``/api/v3``) prefix.
"""

from __future__ import annotations

import base64
import codecs
import copy
import hashlib
import io
import itertools
import json
import re
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from unidiff import PatchSet

from tests.servers.connections import Connections, TrackedHandler
from tests.servers.github_oauth import OAuthEndpoints
from tests.servers.github_team import TEAM_ROUTES, TeamEndpoints

DOCS = "https://docs.github.com/rest"
REVIEW_DOCS = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
RATE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
NOT_IN_DIFF = "Pull request review thread line must be part of the diff"
NOT_BEFORE = "Pull request review thread start line must precede the end line"
EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
RATE_LIMIT = 5000
Response = tuple[int, dict[str, str], Any]  # status, extra headers, JSON value or raw bytes


def _sha1(text: str | bytes) -> str:
    return hashlib.sha1(text.encode() if isinstance(text, str) else text).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ApiError(Exception):
    """A GitHub error answer; raising it lets one bad comment abort the whole review."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Any] | None = None,
        docs: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        body: dict[str, Any] = {"message": message, "documentation_url": docs}
        body |= {"errors": errors} if errors is not None else {}
        self.response: Response = (status, headers or {}, body | {"status": str(status)})


MAX_BODY = 65_536  # characters GitHub takes in a review body


def _unprocessable(error: str) -> ApiError:
    return ApiError(422, "Unprocessable Entity", [error], REVIEW_DOCS)


def _invalid(prop: str, value: Any, problem: str) -> ApiError:
    """GitHub's JSON-schema wording; schema errors come before any diff check."""
    message = f"Invalid request.\n\nFor 'properties/{prop}', {json.dumps(value)} {problem}."
    return ApiError(422, message, docs=REVIEW_DOCS)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as it arrived, so tests assert on what the client really sent."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float = field(default_factory=time.perf_counter, compare=False)  # when it arrived


@dataclass
class PullRecord:
    """A pull request; ``diffs`` keeps every pushed head so older commits stay reviewable."""

    owner: str
    repo: str
    number: int
    title: str
    body: str
    author: str
    state: str
    merged: bool
    draft: bool
    head_sha: str
    base_sha: str
    diffs: dict[str, bytes]
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = field(default_factory=_now)
    parsed: dict[str, Any] = field(default_factory=dict, repr=False)  # sha -> _parse_diff()

    @property
    def diff(self) -> bytes:
        return self.diffs[self.head_sha]


@dataclass
class _File:
    """One file of a diff, indexed the way GitHub validates review-comment anchors."""

    item: dict[str, Any]  # the /files entry, minus URLs
    binary: bool
    headers: list[int]  # diff line number of each hunk header
    index: dict[tuple[str, int], tuple[int, int]]  # (side, line) -> (hunk, diff line number)


def _unquote(path: str) -> str:
    if len(path) >= 2 and path[0] == path[-1] == '"':
        return bytes(codecs.escape_decode(path[1:-1].encode())[0]).decode("utf-8", "replace")
    return path


def _parse_diff(data: bytes, max_patch_lines: int) -> tuple[list[str], dict[str, _File]]:
    """Index a diff; ``patch`` is sliced from the raw text so CRLF stays byte-exact."""
    text = data.decode("utf-8", errors="replace")
    raw = io.StringIO(text).readlines()  # splits on "\n" only and numbers lines like unidiff
    files = {}
    for pf in PatchSet(text):
        path = _unquote(pf.path)  # GitHub names files as they are, not as git quotes them
        headers: list[int] = []
        index: dict[tuple[str, int], tuple[int, int]] = {}
        end = 0
        for hunk in pf:
            lines = [ln for ln in hunk if ln.diff_line_no]
            headers += [lines[0].diff_line_no - 1] if lines else []
            for ln in lines:
                end = ln.diff_line_no
                for side, number in (("LEFT", ln.source_line_no), ("RIGHT", ln.target_line_no)):
                    if number is not None:
                        index[(side, number)] = (len(headers) - 1, end)
        while end and end < len(raw) and raw[end].startswith("\\"):
            end += 1  # "\ No newline at end of file" after the last hunk
        status = "added" if pf.is_added_file else "removed" if pf.is_removed_file else "modified"
        status = "renamed" if pf.is_rename and status == "modified" else status
        item = {"filename": path, "status": status, "additions": pf.added}
        item |= {"deletions": pf.removed, "changes": pf.added + pf.removed}
        if headers and not pf.is_binary_file and end - headers[0] < max_patch_lines:
            item["patch"] = "".join(raw[headers[0] - 1 : end]).removesuffix("\n")
        if status == "renamed":
            item["previous_filename"] = pf.source_file.removeprefix("a/")
        files[path] = _File(item, pf.is_binary_file, headers, index)
    return raw, files


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    count: int
    after_apply: bool
    status: int | None  # None: drop the connection
    hang: float = 0.0  # seconds to stall before answering (after applying the request)
    release: threading.Event | None = None  # set by the test to end the stall early


class _Handler(TrackedHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.github.com
    timeout = 30
    disable_nagle_algorithm = True  # else each small answer waits ~40 ms on loopback
    server: _HTTPServer

    def do_any(self) -> None:
        self.server.app._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_any

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read ``GitHubServer.requests`` instead."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: GitHubServer) -> None:
        self.app = app
        self.tracked = app._tracked
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (or stop() cutting them off) is normal; real bugs still print."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


@dataclass
class _Ctx:
    """One routed request: where it came in (plain or /api/v3) and what it names."""

    request: RecordedRequest
    base: str  # API base the client used; every URL in the answer is built on it
    web: str  # html_url root
    args: dict[str, str]
    found: PullRecord | None  # the named PR; for repo-level routes, any PR of that repo
    caller: str = ""  # the login the credentials belong to (a bot for an app's token)

    @property
    def pr(self) -> PullRecord:
        assert self.found is not None, "route has no owner/repo"
        return self.found


_REPO = r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)"
_PULL = _REPO + r"/pulls/(?P<n>\d+)"
_ROUTES = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("GET", r"/user", "_get_user"),
        ("GET", r"/rate_limit", "_get_rate_limit"),
        ("GET", _REPO, "_get_repo"),
        ("GET", _REPO + r"/commits/(?P<sha>[^/]+)", "_get_commit"),
        ("GET", _PULL, "_get_pull"),
        ("GET", _PULL + "/files", "_get_files"),
        ("GET", _PULL + "/reviews", "_get_reviews"),
        ("POST", _PULL + "/reviews", "_post_review"),
        ("GET", _PULL + r"/reviews/(?P<rid>\d+)", "_get_review"),
        ("GET", _PULL + r"/reviews/(?P<rid>\d+)/comments", "_get_comments"),
        ("GET", _PULL + "/comments", "_get_comments"),
        ("GET", _REPO + r"/contents/(?P<path>.+)", "_get_contents"),
        *TEAM_ROUTES,
    ]
]


class GitHubServer(OAuthEndpoints, TeamEndpoints):
    """The GitHub REST endpoints a PR reviewer uses, plus fault injection."""

    def __init__(
        self,
        *,
        token: str = "ghp_testtoken",
        login: str = "reviewer-bot",
        max_diff_files: int = 300,
        max_diff_lines: int = 20000,
        max_patch_lines: int = 5000,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token, self.login, self.host, self.port = token, login, host, port
        self.max_diff_files, self.max_diff_lines = max_diff_files, max_diff_lines
        self.max_patch_lines = max_patch_lines
        self.requests: list[RecordedRequest] = []  # appended under the lock
        self._lock = threading.RLock()
        self._pulls: dict[tuple[str, str, int], PullRecord] = {}
        self._visible: dict[tuple[str, str], bool] = {}
        self._faults: list[_Fault] = []
        self._contents: dict[tuple[str, str, str, str], bytes] = {}  # (o, r, ref, path) -> data
        self._limit: tuple[str, int, int] = ("primary", 0, 0)  # kind, count, reset_in
        self._used, self._reset = 0, int(time.time()) + 3600
        self._ids = itertools.count(1001)
        self._tracked = Connections()
        # Like a remote API: each answer waits ``latency`` seconds (0: at once), and with
        # ``hold_until`` set, until that many requests have been in flight at once (``hold_for``
        # at most); with ``hold_paths`` set too, only requests whose path it matches are held.
        self.latency = 0.0
        self.hold_until, self.hold_for = 0, 5.0
        self.hold_paths: re.Pattern[str] | None = None
        self._held_until = 0  # the hold_until already reached
        self.in_flight = self.max_in_flight = 0
        self._flight = threading.Condition()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._init_team()
        self._init_oauth()

    def start(self) -> GitHubServer:
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        serve = self._httpd.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut keep-alive connections so no handler outlives the test."""
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        for fault in self._faults:  # a held answer ends with the server
            if fault.release is not None:
                fault.release.set()
        self._tracked.cut()
        deadline = time.monotonic() + 5
        while len(self._tracked) and time.monotonic() < deadline:
            time.sleep(0.01)
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("GitHubServer is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def enterprise_base_url(self) -> str:
        return self.base_url + "/api/v3"

    def add_pull(
        self,
        owner: str,
        repo: str,
        number: int,
        diff: str | bytes,
        *,
        title: str = "A change",
        body: str = "",
        author: str = "octocat",
        state: str = "open",
        merged: bool = False,
        draft: bool = False,
        head_sha: str | None = None,
        base_sha: str | None = None,
        private_to_token: bool = True,
    ) -> PullRecord:
        """Register a PR; ``private_to_token=False`` hides its whole repo from the token (404)."""
        data = diff.encode() if isinstance(diff, str) else diff
        head, base = head_sha or _sha1(data), base_sha or _sha1(f"{owner}/{repo}#{number}")
        args = (title, body, author, state, merged, draft, head, base, {head: data})
        pr = PullRecord(owner, repo, number, *args)
        self._diff(pr, head)  # fail fast on a diff unidiff cannot parse
        with self._lock:
            self._visible[(owner.lower(), repo.lower())] = private_to_token
            self._pulls[(owner.lower(), repo.lower(), number)] = pr
        return pr

    def move_head(
        self, owner: str, repo: str, number: int, new_sha: str, new_diff: str | bytes | None = None
    ) -> None:
        """Simulate a push after a review: a new head sha and, optionally, a new diff."""
        with self._lock:
            pr = self._pulls[(owner.lower(), repo.lower(), number)]
            data = new_diff.encode() if isinstance(new_diff, str) else new_diff
            pr.diffs[new_sha] = pr.diff if data is None else data
            self._diff(pr, new_sha)
            pr.head_sha = new_sha

    def add_file(self, owner: str, repo: str, ref: str, path: str, content: str | bytes) -> None:
        """A file of the repository at commit ``ref``, served by ``GET .../contents/{path}``."""
        data = content.encode() if isinstance(content, str) else content
        with self._lock:
            self._contents[(owner.lower(), repo.lower(), ref, path)] = data

    def add_review(
        self, owner: str, repo: str, number: int, body: str, *, author: str = "mallory"
    ) -> None:
        """A COMMENT review someone else (``author``, not the token's user) left on the PR."""
        with self._lock:
            pr = self._pulls[(owner.lower(), repo.lower(), number)]
            review_id = next(self._ids)
            html = f"{self.base_url}/{pr.owner}/{pr.repo}/pull/{number}#pullrequestreview-"
            pr.reviews.append(
                {
                    "id": review_id,
                    "body": body,
                    "event": "COMMENT",
                    "state": "COMMENTED",
                    "commit_id": pr.head_sha,
                    "comments": [],
                    "html_url": f"{html}{review_id}",
                    "submitted_at": _now(),
                    "author": author,
                }
            )

    def reviews(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        """Stored reviews (deep copies), each with the comment dicts exactly as posted."""
        with self._lock:
            return copy.deepcopy(self._pulls[(owner.lower(), repo.lower(), number)].reviews)

    def rate_limit(
        self,
        kind: Literal["primary", "secondary", "429"] = "primary",
        count: int = 1,
        reset_in: int = 60,
    ) -> None:
        """Answer the next ``count`` requests as GitHub does when that rate limit trips."""
        with self._lock:
            self._limit = (kind, count, reset_in)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 502,
        count: int = 1,
        after_apply: bool = False,
    ) -> None:
        """Answer matching requests (method or "*", ``re.search`` on the path) with ``status``.

        ``after_apply`` carries the request out first: the write happened, the answer is lost.
        """
        with self._lock:
            pattern = re.compile(path_regex)
            self._faults.append(_Fault(method.upper(), pattern, count, after_apply, status))

    def drop_next(
        self, method: str, path_regex: str, count: int = 1, after_apply: bool = False
    ) -> None:
        """Close the connection without any answer (optionally after carrying it out)."""
        with self._lock:
            pattern = re.compile(path_regex)
            self._faults.append(_Fault(method.upper(), pattern, count, after_apply, None))

    def hang_next(self, method: str, path_regex: str, seconds: float) -> threading.Event:
        """Carry out the next matching request, then stall before answering: ``seconds`` at
        most, or until the test sets the returned event (to hold a client mid-request for
        exactly as long as the test needs, whatever the machine's load)."""
        release = threading.Event()
        with self._lock:
            pattern = re.compile(path_regex)
            self._faults.append(
                _Fault(method.upper(), pattern, 1, True, 200, hang=seconds, release=release)
            )
        return release

    @property
    def connections(self) -> int:
        """Connections clients have opened, all told (keep-alive reuse shows here)."""
        return self._tracked.opened

    def _take_fault(self, request: RecordedRequest) -> _Fault | None:
        for fault in self._faults:
            method_matches = fault.method in ("*", request.method)
            if fault.count > 0 and method_matches and fault.pattern.search(request.path):
                fault.count -= 1
                return fault
        return None

    def _serve(self, h: _Handler) -> None:
        with self._flight:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._flight.notify_all()
            held = self.hold_paths is None or self.hold_paths.search(h.path)
            if self.hold_until and held:
                # Once that many are in flight, every held request goes on: waiting for the
                # count itself would miss it when the last one in is answered and gone first.
                if self.in_flight >= self.hold_until:
                    self._held_until = self.hold_until
                self._flight.wait_for(lambda: self._held_until == self.hold_until, self.hold_for)
        try:
            if self.latency:
                time.sleep(self.latency)  # the network and GitHub's own time, per request
            self._answer(h)
        finally:
            with self._flight:
                self.in_flight -= 1

    def _answer(self, h: _Handler) -> None:
        url = urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        body = h.rfile.read(int(headers.get("content-length") or 0))
        request = RecordedRequest(h.command, url.path, dict(parse_qsl(url.query)), headers, body)
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request)
            if fault is None or fault.after_apply:
                status, extra, payload = self._respond(request)
        if fault is not None and fault.hang:
            # The request was carried out; the answer is held back, so a test can kill the
            # client in the window between "GitHub has it" and "the client knows it".
            assert fault.release is not None
            fault.release.wait(fault.hang)
            fault = None
        if fault is not None and fault.status is None:
            h.close_connection = True  # no status line at all: the client sees a hang-up
            return
        if fault is not None and fault.status is not None:
            status, extra, payload = ApiError(
                fault.status, HTTPStatus(fault.status).phrase
            ).response
        raw = isinstance(payload, bytes)
        data = payload if raw else json.dumps(payload).encode()
        headers = {
            "Content-Type": f"{'text/plain' if raw else 'application/json'}; charset=utf-8",
            "Content-Length": str(len(data)),
            "x-github-media-type": "github.v3; param=diff" if raw else "github.v3; format=json",
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_LIMIT - self._used, 0)),
            "x-ratelimit-reset": str(self._reset),
            "x-ratelimit-used": str(self._used),
            "x-ratelimit-resource": "core",
            "x-github-request-id": uuid.uuid4().hex[:20].upper(),
        }
        try:
            h.send_response(status)
            for name, value in (headers | extra).items():
                h.send_header(name, value)
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            h.close_connection = True

    def _respond(self, request: RecordedRequest) -> Response:
        """Rate limit, authenticate, route; runs under the lock so handlers see one state."""
        path = request.path.rstrip("/") or "/"
        prefix = "/api/v3" if path.startswith("/api/v3/") else ""
        try:
            kind, count, reset_in = self._limit
            if count > 0:
                self._limit = (kind, count - 1, reset_in)
                raise self._rate_limited(kind, reset_in)
            if path.startswith("/login/oauth/"):  # the web host's OAuth flow: no API token
                return self._oauth(request, path)
            route, args = "", {}
            for method, pattern, name in _ROUTES:
                match = pattern.fullmatch(path.removeprefix(prefix))
                if match and method == request.method:
                    route = name
                    args = {k: unquote(v) for k, v in match.groupdict().items() if v}
                    break
            caller = self._authenticate(route, request, args)
            if path != prefix + "/rate_limit":  # like GitHub, checking the quota is free
                self._used += 1
            if not route:
                raise ApiError(404, "Not Found")
            found = self._find(args)
            self._permit(route, request)  # a restricted token's 403, after the 404s
            ctx = _Ctx(request, self.base_url + prefix, self.base_url, args, found, caller)
            result: Response = getattr(self, route)(ctx)
            return result
        except ApiError as error:
            return error.response
        except Exception as error:  # a fixture bug: surface it to the client, not as a hang-up
            traceback.print_exc()
            return ApiError(500, f"GitHubServer bug: {error!r}").response

    def _rate_limited(self, kind: str, reset_in: int) -> ApiError:
        if kind != "primary":
            retry = {"retry-after": str(reset_in)}
            return ApiError(429 if kind == "429" else 403, SECONDARY, None, RATE_DOCS, retry)
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-used": str(RATE_LIMIT)}
        headers["x-ratelimit-reset"] = str(int(time.time()) + reset_in)
        return ApiError(403, "API rate limit exceeded for user ID 1.", None, RATE_DOCS, headers)

    def _find(self, args: dict[str, str]) -> PullRecord | None:
        """Unknown, or invisible to the token, is the same 404 on GitHub."""
        if "o" not in args:
            return None
        repo = (args["o"].lower(), args["r"].lower())
        prs = [p for (o, r, n), p in self._pulls.items() if (o, r) == repo]
        prs = [p for p in prs if "n" not in args or p.number == int(args["n"])]
        if not prs or not self._visible[repo]:
            raise ApiError(404, "Not Found")
        return prs[0]

    def _diff(self, pr: PullRecord, sha: str) -> tuple[list[str], dict[str, _File]]:
        if sha not in pr.parsed:
            pr.parsed[sha] = _parse_diff(pr.diffs[sha], self.max_patch_lines)
        parsed: tuple[list[str], dict[str, _File]] = pr.parsed[sha]
        return parsed

    def _page(self, ctx: _Ctx, items: list[Any]) -> Response:
        """Slice a listing and emit GitHub's ``Link`` header, on the base the client used."""
        query = ctx.request.query
        per_page = min(max(_int(query.get("per_page"), 30), 1), 100)
        page, last = max(_int(query.get("page"), 1), 1), max(-(-len(items) // per_page), 1)
        url = ctx.base + ctx.request.path.removeprefix("/api/v3")

        def link(number: int, rel: str) -> str:
            return (
                f'<{url}?{urlencode(query | {"page": number, "per_page": per_page})}>; rel="{rel}"'
            )

        links = [link(page - 1, "prev"), link(1, "first")] if page > 1 else []
        links += [link(page + 1, "next"), link(last, "last")] if page < last else []
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, items[(page - 1) * per_page : page * per_page]

    def _user(self, ctx: _Ctx, login: str) -> dict[str, Any]:
        url = f"{ctx.base}/users/{login}"
        return {"login": login, "id": int(_sha1(login)[:6], 16), "type": "User", "url": url}

    def _repo_json(self, ctx: _Ctx) -> dict[str, Any]:
        pr, url = ctx.pr, f"{ctx.base}/repos/{ctx.pr.owner}/{ctx.pr.repo}"
        return {
            "id": int(_sha1(url)[:6], 16),
            "name": pr.repo,
            "full_name": f"{pr.owner}/{pr.repo}",
            "owner": self._user(ctx, pr.owner),
            "private": True,
            "default_branch": "main",
            "url": url,
            "html_url": f"{ctx.web}/{pr.owner}/{pr.repo}",
            "pulls_url": url + "/pulls{/number}",
            "commits_url": url + "/commits{/sha}",
        }

    def _pull_url(self, ctx: _Ctx) -> str:
        return f"{ctx.base}/repos/{ctx.pr.owner}/{ctx.pr.repo}/pulls/{ctx.pr.number}"

    def _review_json(self, ctx: _Ctx, review: dict[str, Any]) -> dict[str, Any]:
        url = self._pull_url(ctx)
        shown = {k: v for k, v in review.items() if k not in ("event", "comments", "author")}
        return shown | {
            "node_id": f"PRR_{review['id']}",
            "user": self._user(ctx, review.get("author") or self.login),
            "pull_request_url": url,
            "_links": {"html": {"href": review["html_url"]}, "pull_request": {"href": url}},
        }

    def _get_user(self, ctx: _Ctx) -> Response:
        return 200, {}, self._user(ctx, ctx.caller or self.login)

    def _get_rate_limit(self, ctx: _Ctx) -> Response:
        core = {"limit": RATE_LIMIT, "used": self._used, "reset": self._reset}
        core["remaining"] = max(RATE_LIMIT - self._used, 0)
        return 200, {}, {"resources": {"core": core, "search": core, "graphql": core}, "rate": core}

    def _get_repo(self, ctx: _Ctx) -> Response:
        return 200, {}, self._repo_json(ctx)

    def _get_contents(self, ctx: _Ctx) -> Response:
        """A file's content (base64), at ``?ref=`` or the default branch's newest added."""
        owner, repo, path = ctx.pr.owner.lower(), ctx.pr.repo.lower(), ctx.args["path"]
        ref = ctx.request.query.get("ref")
        found = [
            (r, data)
            for (o, n, r, p), data in self._contents.items()
            if (o, n, p) == (owner, repo, path) and (ref is None or r == ref)
        ]
        if not found:
            raise ApiError(404, "Not Found")
        _, data = found[-1]
        url = f"{ctx.base}/repos/{ctx.pr.owner}/{ctx.pr.repo}/contents/{path}"
        return (
            200,
            {},
            {
                "type": "file",
                "encoding": "base64",
                "size": len(data),
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "content": base64.b64encode(data).decode(),
                "sha": _sha1(data),
                "url": url + (f"?ref={ref}" if ref else ""),
            },
        )

    def _get_commit(self, ctx: _Ctx) -> Response:
        sha, repo = ctx.args["sha"], (ctx.pr.owner, ctx.pr.repo)
        prs = [p for p in self._pulls.values() if (p.owner, p.repo) == repo]
        pr = next((p for p in prs if sha in p.diffs or sha == p.base_sha), None)
        if pr is None:
            raise ApiError(422, f"No commit found for SHA: {sha}")
        url = f"{ctx.base}/repos/{pr.owner}/{pr.repo}/commits/{sha}"
        person = {"name": pr.author, "email": f"{pr.author}@example.com", "date": pr.created_at}
        parent = {"sha": pr.base_sha, "url": url.replace(sha, pr.base_sha)}
        commit = {"message": pr.title, "author": person, "committer": person}
        parents = [] if sha == pr.base_sha else [parent]
        return 200, {}, {"sha": sha, "url": url, "commit": commit, "parents": parents}

    def _get_pull(self, ctx: _Ctx) -> Response:
        pr = ctx.pr
        raw, files = self._diff(pr, pr.head_sha)
        if "diff" in ctx.request.headers.get("accept", ""):
            if len(files) > self.max_diff_files or len(raw) > self.max_diff_lines:
                what, limit = ("files", self.max_diff_files), ("lines", self.max_diff_lines)
                what, limit = what if len(files) > self.max_diff_files else limit
                errors = [{"resource": "PullRequest", "field": "diff", "code": "too_large"}]
                message = f"Sorry, the diff exceeded the maximum number of {what} ({limit})"
                raise ApiError(406, message, errors, DOCS + "/pulls/pulls#get-a-pull-request")
            return 200, {}, pr.diff
        url, html = self._pull_url(ctx), f"{ctx.web}/{pr.owner}/{pr.repo}/pull/{pr.number}"
        repo = self._repo_json(ctx)
        return (
            200,
            {},
            {
                "url": url,
                "id": int(_sha1(url)[:6], 16),
                "number": pr.number,
                "html_url": html,
                "diff_url": html + ".diff",
                "commits_url": url + "/commits",
                "review_comments_url": url + "/comments",
                "issue_url": f"{repo['url']}/issues/{pr.number}",
                "state": pr.state,
                "title": pr.title,
                "body": pr.body,
                "user": self._user(ctx, pr.author),
                "draft": pr.draft,
                "merged": pr.merged,
                "created_at": pr.created_at,
                "head": {"ref": f"pr-{pr.number}", "sha": pr.head_sha, "repo": repo},
                "base": {"ref": "main", "sha": pr.base_sha, "repo": repo},
                "commits": len(pr.diffs),
                "changed_files": len(files),
                "additions": sum(f.item["additions"] for f in files.values()),
                "deletions": sum(f.item["deletions"] for f in files.values()),
                "review_comments": len(pr.comments),
            },
        )

    def _get_files(self, ctx: _Ctx) -> Response:
        pr, head = ctx.pr, ctx.pr.head_sha
        web, api = f"{ctx.web}/{pr.owner}/{pr.repo}", f"{ctx.base}/repos/{pr.owner}/{pr.repo}"
        items = []
        for f in list(self._diff(pr, head)[1].values())[:3000]:  # GitHub lists at most 3000
            path = f.item["filename"]
            urls = {"blob_url": f"{web}/blob/{head}/{path}", "raw_url": f"{web}/raw/{head}/{path}"}
            urls["contents_url"] = f"{api}/contents/{path}?ref={head}"
            items.append({"sha": _sha1(f"{head}:{path}")} | f.item | urls)
        return self._page(ctx, items)

    def _get_reviews(self, ctx: _Ctx) -> Response:
        return self._page(ctx, [self._review_json(ctx, review) for review in ctx.pr.reviews])

    def _get_review(self, ctx: _Ctx) -> Response:
        review = next((r for r in ctx.pr.reviews if r["id"] == int(ctx.args["rid"])), None)
        if review is None:
            raise ApiError(404, "Not Found")
        return 200, {}, self._review_json(ctx, review)

    def _get_comments(self, ctx: _Ctx) -> Response:
        """All review comments of the PR, or (with ``rid``) those of one review."""
        rows = ctx.pr.comments
        if "rid" in ctx.args:
            self._get_review(ctx)
            rows = [c for c in rows if c["pull_request_review_id"] == int(ctx.args["rid"])]
        user, url = self._user(ctx, self.login), self._pull_url(ctx)
        urls = {"user": user, "pull_request_url": url}
        return self._page(ctx, [c | urls | {"url": f"{url}/comments/{c['id']}"} for c in rows])

    def _post_review(self, ctx: _Ctx) -> Response:
        """Validate everything before storing anything: GitHub's review POST is all-or-nothing."""
        pr = ctx.pr
        try:
            data = json.loads(ctx.request.body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON", docs=REVIEW_DOCS)
        event, body, comments = data.get("event"), data.get("body") or "", data.get("comments")
        if event is not None and event not in EVENTS:
            raise _invalid("event", event, f"is not a member of {json.dumps(list(EVENTS))}")
        if not isinstance(body, str):
            raise _invalid("body", body, "is not a string")
        if len(body) > MAX_BODY:
            raise _unprocessable(f"Body is too long (maximum is {MAX_BODY} characters)")
        if not isinstance(comments or [], list):
            raise _invalid("comments", comments, "is not an array")
        comments = comments or []
        for comment in comments:
            _check_schema(comment)
        commit_id = data.get("commit_id") or pr.head_sha
        if commit_id not in pr.diffs:
            raise _unprocessable(f"No commit found for SHA: {commit_id}")
        if event in ("REQUEST_CHANGES", "COMMENT") and not body and not comments:
            raise _unprocessable(f"Body is required when using {event} event")
        if pr.author.lower() == self.login.lower() and event in ("APPROVE", "REQUEST_CHANGES"):
            verb = "approve" if event == "APPROVE" else "request changes on"
            raise _unprocessable(f"Can not {verb} your own pull request")
        if event is None and any(review["state"] == "PENDING" for review in pr.reviews):
            raise _unprocessable("User can only have one pending review per pull request")
        raw, files = self._diff(pr, commit_id)
        anchors = [_anchor(raw, files, comment) for comment in comments]
        review_id, now = next(self._ids), _now()
        html = f"{ctx.web}/{pr.owner}/{pr.repo}/pull/{pr.number}#pullrequestreview-{review_id}"
        review = {
            "id": review_id,
            "body": body,
            "event": event,
            "state": EVENTS.get(event or "", "PENDING"),
            "commit_id": commit_id,
            "comments": copy.deepcopy(comments),
            "html_url": html,
            "submitted_at": now if event else None,
        }
        if ctx.caller and ctx.caller != self.login:  # an app's bot, not the token's user
            review["author"] = ctx.caller
        pr.reviews.append(review)
        for comment, anchor in zip(comments, anchors, strict=True):
            row = {"id": next(self._ids), "pull_request_review_id": review_id, **anchor}
            pr.comments.append(
                row | {"commit_id": commit_id, "body": comment["body"], "created_at": now}
            )
        return 200, {}, self._review_json(ctx, review)


def _int(text: str | None, default: int) -> int:
    """Lenient integer parsing: GitHub ignores a malformed ``page`` rather than failing."""
    try:
        return int(text or "")
    except ValueError:
        return default


def _check_schema(c: Any) -> None:
    """Type errors are reported, like GitHub's schema check, before any line is looked at."""
    if not isinstance(c, dict):
        raise _invalid("comments", c, "is not an object")
    for key in ("path", "body"):
        if not isinstance(c.get(key), str):
            raise _invalid(key, c.get(key), "is not a string")
    for key in ("line", "start_line"):
        if c.get(key) is not None and type(c[key]) is not int:
            raise _invalid(key, c[key], "is not an integer")
    for key in ("side", "start_side"):
        if c.get(key) is not None and c[key] not in ("LEFT", "RIGHT"):
            raise _invalid(key, c[key], 'is not a member of ["LEFT", "RIGHT"]')


def _anchor(raw: list[str], files: dict[str, _File], c: dict[str, Any]) -> dict[str, Any]:
    """Place a comment in the diff, or raise GitHub's 422 (which never names the comment)."""
    f = files.get(c["path"])
    if f is None or f.binary:
        raise _unprocessable("Pull request review thread path is invalid")
    side, line, start_line = c.get("side") or "RIGHT", c.get("line"), c.get("start_line")
    end = f.index.get((side, line or 0))
    if end is None:
        raise _unprocessable(NOT_IN_DIFF)
    start_side = (c.get("start_side") or side) if start_line is not None else None
    if start_line is not None:
        start = f.index.get((start_side or side, start_line))
        if (start_side == side and start_line >= line) or (start and start[1] >= end[1]):
            raise _unprocessable(NOT_BEFORE)
        if start is None or start[0] != end[0]:
            raise _unprocessable(NOT_IN_DIFF)
    hunk = "".join(raw[f.headers[end[0]] - 1 : end[1]]).removesuffix("\n")
    anchor = {"path": c["path"], "line": line, "side": side, "start_line": start_line}
    return anchor | {"start_side": start_side, "position": end[1] - f.headers[0], "diff_hunk": hunk}
