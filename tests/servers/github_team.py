"""What a team service needs from GitHub, on the loopback server: statuses, permissions,
conversation comments and their reactions, compare, and GitHub App installation tokens.

A mixin of ``GitHubServer`` (``tests/servers/github_server.py``), kept apart so that file stays
about pull requests and reviews. Shapes and errors follow GitHub's REST documentation:

- ``POST /repos/{o}/{r}/statuses/{sha}``: ``state`` one of error, failure, pending, success;
  ``description`` at most 140 characters; an unknown sha is a 422. Listed newest first.
- ``GET /repos/{o}/{r}/collaborators/{login}/permission``: the legacy ``permission`` (admin,
  write, read, none: maintain shows as write, triage as read) and the exact ``role_name``.
- ``POST /repos/{o}/{r}/issues/comments/{id}/reactions``: 201 for a new reaction, 200 when
  this user already left the same one, 422 for content outside GitHub's eight.
- ``GET /repos/{o}/{r}/compare/{base}...{head}``: ``status`` ahead / behind / diverged /
  identical from the commit graph; the diff media type gives the diff between the two.
- A GitHub App signs a JWT (RS256, ``iss`` = app id, at most 10 minutes long) to call
  ``GET /repos/{o}/{r}/installation`` and ``POST /app/installations/{id}/access_tokens``;
  the token it gets (an hour long) opens only that installation's repositories.
- An installation token, or a fine-grained personal access token (``restrict_token``), can do
  only what its permissions allow: anything else is GitHub's 403 "Resource not accessible by
  integration" (or "... by personal access token"), with the ``x-accepted-github-permissions``
  header naming what would have been needed. ``metadata: read`` is always granted.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.servers.github_server import PullRecord, RecordedRequest, Response, _Ctx

STATES = ("error", "failure", "pending", "success")
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
ROLES = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}
STATUS_DOCS = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
APP_DOCS = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
DOCS_BY_ROUTE = {
    "_get_pull": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request",
    "_post_review": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
    "_post_status": "https://docs.github.com/rest/commits/statuses#create-a-commit-status",
}
_R = r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)"
TEAM_ROUTES = [
    ("POST", _R + r"/statuses/(?P<sha>[^/]+)", "_post_status"),
    ("GET", _R + r"/commits/(?P<sha>[^/]+)/statuses", "_get_statuses"),
    ("GET", _R + r"/statuses/(?P<sha>[^/]+)", "_get_statuses"),  # the older path PyGithub uses
    ("GET", _R + r"/commits/(?P<sha>[^/]+)/status", "_get_combined_status"),
    ("GET", _R + r"/collaborators/(?P<login>[^/]+)/permission", "_get_permission"),
    ("GET", _R + r"/issues/(?P<n>\d+)", "_get_issue"),
    ("GET", _R + r"/issues/(?P<n>\d+)/comments", "_get_issue_comments"),
    ("POST", _R + r"/issues/(?P<n>\d+)/comments", "_post_issue_comment"),
    ("GET", _R + r"/issues/comments/(?P<cid>\d+)", "_get_issue_comment"),
    ("GET", _R + r"/issues/comments/(?P<cid>\d+)/reactions", "_get_reactions"),
    ("POST", _R + r"/issues/comments/(?P<cid>\d+)/reactions", "_post_reaction"),
    ("GET", _R + r"/compare/(?P<base>[^/]+?)\.\.\.(?P<head>[^/]+)", "_get_compare"),
    ("GET", _R + r"/installation", "_get_installation"),
    ("POST", r"/app/installations/(?P<iid>\d+)/access_tokens", "_post_access_token"),
]
JWT_ROUTES = {"_get_installation", "_post_access_token"}
FULL = {"pull_requests": "write", "statuses": "write", "contents": "read", "issues": "write"}
PR, ISSUE, CONTENTS = ("pull_requests",), ("issues", "pull_requests"), ("contents",)
# What each route needs from a restricted credential: any one of these permissions, at least
# at this level (GitHub's "fine-grained access tokens" table of each endpoint).
NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "_get_commit": (CONTENTS, "read"),
    "_get_contents": (CONTENTS, "read"),
    "_get_compare": (CONTENTS, "read"),
    "_get_pull": (PR, "read"),
    "_get_files": (PR, "read"),
    "_get_reviews": (PR, "read"),
    "_get_review": (PR, "read"),
    "_get_comments": (PR, "read"),
    "_post_review": (PR, "write"),
    "_post_status": (("statuses",), "write"),
    "_get_statuses": (("statuses",), "read"),
    "_get_combined_status": (("statuses",), "read"),
    "_get_issue": (ISSUE, "read"),
    "_get_issue_comments": (ISSUE, "read"),
    "_get_issue_comment": (ISSUE, "read"),
    "_get_reactions": (ISSUE, "read"),
    "_post_issue_comment": (ISSUE, "write"),
    "_post_reaction": (ISSUE, "write"),
}
LEVELS = {"read": 1, "write": 2, "admin": 3}


@dataclass
class App:
    """A registered GitHub App: its id, public key and where it is installed."""

    app_id: int
    public_key: str  # PEM
    slug: str
    installations: dict[tuple[str, str], int]  # (owner, repo) lower-cased -> installation id
    permissions: dict[int, dict[str, str]]  # installation id -> what its tokens may do
    tokens: dict[str, tuple[int, float]] = field(default_factory=dict)  # token -> (iid, expiry)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class TeamEndpoints:
    """State and handlers for the endpoints above; mixed into ``GitHubServer``."""

    # Provided by GitHubServer.
    token: str
    login: str
    _lock: Any
    _ids: Any
    _pulls: dict[tuple[str, str, int], PullRecord]

    def _init_team(self) -> None:
        self._permissions: dict[tuple[str, str, str], str] = {}
        self._statuses: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._issue_comments: list[dict[str, Any]] = []
        self._reactions: dict[int, list[dict[str, Any]]] = {}
        self._parents: dict[str, str | None] = {}  # commit sha -> parent sha
        self._compare_diffs: dict[tuple[str, str], bytes] = {}
        self._app: App | None = None
        self._token_permissions: dict[str, str] | None = None  # None: a classic token

    # --- what tests set up and read ------------------------------------------------------

    def set_permission(self, owner: str, repo: str, login: str, role: str) -> None:
        """``role``: admin, maintain, write, triage, read or none."""
        with self._lock:
            self._permissions[(owner.lower(), repo.lower(), login.lower())] = role

    def add_issue_comment(
        self, owner: str, repo: str, number: int, body: str, user: str, *, bot: bool = False
    ) -> dict[str, Any]:
        """A comment on the PR's conversation, as ``issue_comment`` webhooks carry it."""
        with self._lock:
            return self._new_comment(owner, repo, number, body, user, bot=bot)

    def statuses(self, owner: str, repo: str, sha: str) -> list[dict[str, Any]]:
        """Every status set on ``sha``, newest first (as GitHub lists them)."""
        with self._lock:
            rows = self._statuses.get((owner.lower(), repo.lower()), [])
            return [dict(s) for s in reversed(rows) if s["sha"] == sha]

    def reactions(self, comment_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._reactions.get(comment_id, [])]

    def issue_comments(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(c)
                for c in self._issue_comments
                if (c["o"], c["r"], c["n"]) == (owner.lower(), repo.lower(), number)
            ]

    def push(
        self,
        owner: str,
        repo: str,
        number: int,
        new_sha: str,
        full_diff: str | bytes,
        *,
        increment: str | bytes | None = None,
        force: bool = False,
    ) -> None:
        """A push to the PR: ``full_diff`` is base...new head; ``increment`` old...new head.

        With ``force`` the old head is no longer an ancestor of the new one (a rewrite).
        """
        pr = self._pulls[(owner.lower(), repo.lower(), number)]
        old = pr.head_sha
        move = getattr(self, "move_head")
        move(owner, repo, number, new_sha, full_diff)
        with self._lock:
            self._parents[new_sha] = pr.base_sha if force else old
            if increment is not None:
                data = increment.encode() if isinstance(increment, str) else increment
                self._compare_diffs[(old, new_sha)] = data

    def register_app(
        self,
        app_id: int,
        public_key_pem: str,
        installations: dict[str, int],
        slug: str = "rp",
        permissions: dict[int, dict[str, str]] | None = None,
    ) -> App:
        """A GitHub App, installed on ``{"owner/repo": installation id}``; an installation
        not in ``permissions`` may do everything a reviewer needs (``FULL``)."""
        keyed = {tuple(k.lower().split("/", 1)): v for k, v in installations.items()}
        granted = {iid: dict((permissions or {}).get(iid, FULL)) for iid in keyed.values()}
        with self._lock:
            self._app = App(app_id, public_key_pem, slug, keyed, granted)  # type: ignore[arg-type]
            return self._app

    def grant(self, installation: int, permissions: dict[str, str]) -> None:
        """Change what an installation's tokens may do (an owner accepting new permissions);
        tokens already issued follow at once, as on GitHub."""
        with self._lock:
            assert self._app is not None
            self._app.permissions[installation] = dict(permissions)

    def restrict_token(self, permissions: dict[str, str]) -> None:
        """Make ``token`` a fine-grained personal access token with these repository
        permissions (``{"statuses": "write", ...}``; ``metadata: read`` is implied)."""
        with self._lock:
            self._token_permissions = dict(permissions)

    def app_tokens(self) -> list[str]:
        with self._lock:
            return list(self._app.tokens) if self._app else []

    # --- authentication ------------------------------------------------------------------

    def _authenticate(self, route: str, request: RecordedRequest, args: dict[str, str]) -> str:
        """Who is calling (a login), or GitHub's 401/404; app routes need the app's JWT."""
        from tests.servers.github_server import ApiError

        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        credential = credential.strip()
        if route in JWT_ROUTES:
            if scheme.lower() != "bearer":
                raise ApiError(401, "A JSON web token could not be decoded", docs=APP_DOCS)
            self._check_jwt(credential)
            assert self._app is not None
            return f"{self._app.slug}[bot]"
        if scheme.lower() not in ("token", "bearer"):
            raise ApiError(401, "Requires authentication")
        if credential == self.token:
            return self.login
        app = self._app
        grant = app.tokens.get(credential) if app else None
        if app is None or grant is None or grant[1] < time.time():
            raise ApiError(401, "Bad credentials")
        if "o" in args:
            where = (args["o"].lower(), args["r"].lower())
            if app.installations.get(where) != grant[0]:  # another installation's repository
                raise ApiError(404, "Not Found")
        return f"{app.slug}[bot]"

    def _permit(self, route: str, request: RecordedRequest) -> None:
        """GitHub's 403 when a restricted credential lacks the permission ``route`` needs."""
        from tests.servers.github_server import ApiError

        need = NEEDS.get(route)
        if need is None:
            return
        credential = request.headers.get("authorization", "").partition(" ")[2].strip()
        if credential == self.token:
            granted, whose = self._token_permissions, "personal access token"
        else:
            grant = self._app.tokens.get(credential) if self._app else None
            if grant is None or self._app is None:
                return
            granted, whose = self._app.permissions[grant[0]], "integration"
        if granted is None:
            return
        names, level = need
        if any(LEVELS.get(granted.get(n, ""), 0) >= LEVELS[level] for n in names):
            return
        accepted = ", ".join(f"{n}={level}" for n in names)
        raise ApiError(
            403,
            f"Resource not accessible by {whose}",
            docs=DOCS_BY_ROUTE.get(route, "https://docs.github.com/rest"),
            headers={"x-accepted-github-permissions": accepted},
        )

    def _check_jwt(self, token: str) -> None:
        import jwt

        from tests.servers.github_server import ApiError

        app = self._app
        if app is None:
            raise ApiError(401, "A JSON web token could not be decoded", docs=APP_DOCS)
        try:
            claims = jwt.decode(
                token,
                app.public_key,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"], "verify_iss": False},
                leeway=60,
            )
        except jwt.ExpiredSignatureError:
            raise ApiError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value "
                "representing the future time at which the assertion expires",
                docs=APP_DOCS,
            ) from None
        except jwt.PyJWTError:
            raise ApiError(401, "A JSON web token could not be decoded", docs=APP_DOCS) from None
        if str(claims["iss"]) != str(app.app_id):
            raise ApiError(401, "Integration not found", docs=APP_DOCS)
        if claims["exp"] - time.time() > 600 + 60:
            raise ApiError(
                401, "'Expiration time' claim ('exp') is too far in the future", docs=APP_DOCS
            )

    # --- statuses ------------------------------------------------------------------------

    def _known_sha(self, ctx: _Ctx, sha: str) -> bool:
        repo = (ctx.pr.owner, ctx.pr.repo)
        prs = [p for p in self._pulls.values() if (p.owner, p.repo) == repo]
        return any(sha in p.diffs or sha == p.base_sha for p in prs)

    def _post_status(self, ctx: _Ctx) -> Response:
        from tests.servers.github_server import ApiError

        data = _json(ctx)
        sha, state = ctx.args["sha"], data.get("state")
        if state not in STATES:
            raise ApiError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "Status",
                        "field": "state",
                        "code": "custom",
                        "message": "state is not included in the list",
                    }
                ],
                STATUS_DOCS,
            )
        description = data.get("description")
        if description is not None and len(str(description)) > 140:
            raise ApiError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "Status",
                        "field": "description",
                        "code": "custom",
                        "message": "description is too long (maximum is 140 characters)",
                    }
                ],
                STATUS_DOCS,
            )
        if not self._known_sha(ctx, sha):
            raise ApiError(422, f"No commit found for SHA: {sha}", docs=STATUS_DOCS)
        sid, now = next(self._ids), _now()
        user = ctx.caller or self.login
        status = {
            "url": f"{ctx.base}/repos/{ctx.pr.owner}/{ctx.pr.repo}/statuses/{sha}",
            "id": sid,
            "node_id": f"SC_{sid}",
            "state": state,
            "description": description,
            "target_url": data.get("target_url"),
            "context": data.get("context") or "default",
            "created_at": now,
            "updated_at": now,
            "creator": {"login": user, "type": "Bot" if user.endswith("[bot]") else "User"},
        }
        key = (ctx.pr.owner.lower(), ctx.pr.repo.lower())
        self._statuses.setdefault(key, []).append(status | {"sha": sha})
        return 201, {}, status

    def _get_statuses(self, ctx: _Ctx) -> Response:
        rows = self.statuses(ctx.pr.owner, ctx.pr.repo, ctx.args["sha"])
        return 200, {}, [{k: v for k, v in s.items() if k != "sha"} for s in rows]

    def _get_combined_status(self, ctx: _Ctx) -> Response:
        latest: dict[str, dict[str, Any]] = {}
        for s in self.statuses(ctx.pr.owner, ctx.pr.repo, ctx.args["sha"]):
            latest.setdefault(s["context"], {k: v for k, v in s.items() if k != "sha"})
        states = {s["state"] for s in latest.values()}
        state = (
            "failure"
            if states & {"error", "failure"}
            else ("pending" if "pending" in states or not states else "success")
        )
        return (
            200,
            {},
            {
                "state": state,
                "sha": ctx.args["sha"],
                "statuses": list(latest.values()),
                "total_count": len(latest),
            },
        )

    # --- permissions ---------------------------------------------------------------------

    def _get_permission(self, ctx: _Ctx) -> Response:
        login = ctx.args["login"]
        role = self._permissions.get((ctx.pr.owner.lower(), ctx.pr.repo.lower(), login.lower()))
        if role is None and login.lower() == self.login.lower():
            role = "admin"
        role = role or "none"
        legacy = ROLES.get(role, "none")
        user = {"login": login, "id": _uid(login), "type": "User"}
        return 200, {}, {"permission": legacy, "role_name": role, "user": user}

    # --- conversation comments and reactions ---------------------------------------------

    def _new_comment(
        self, owner: str, repo: str, number: int, body: str, user: str, *, bot: bool
    ) -> dict[str, Any]:
        cid, now = next(self._ids), _now()
        row = {
            "id": cid,
            "o": owner.lower(),
            "r": repo.lower(),
            "n": number,
            "body": body,
            "user": {
                "login": user,
                "id": _uid(user),
                "type": "Bot" if bot else "User",
            },
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE",
        }
        self._issue_comments.append(row)
        return self._comment_json(row, "http://127.0.0.1")

    def _comment_json(self, row: dict[str, Any], base: str) -> dict[str, Any]:
        repo_url = f"{base}/repos/{row['o']}/{row['r']}"
        shown = {k: v for k, v in row.items() if k not in ("o", "r", "n")}
        return shown | {
            "url": f"{repo_url}/issues/comments/{row['id']}",
            "issue_url": f"{repo_url}/issues/{row['n']}",
            "html_url": f"{base}/{row['o']}/{row['r']}/pull/{row['n']}#issuecomment-{row['id']}",
        }

    def _comment(self, ctx: _Ctx) -> dict[str, Any]:
        from tests.servers.github_server import ApiError

        where = (ctx.pr.owner.lower(), ctx.pr.repo.lower())
        for row in self._issue_comments:
            if row["id"] == int(ctx.args["cid"]) and (row["o"], row["r"]) == where:
                return row
        raise ApiError(404, "Not Found")

    def _get_issue(self, ctx: _Ctx) -> Response:
        """A pull request seen as an issue (its conversation), with the ``pull_request`` key."""
        pr = ctx.pr
        url = f"{ctx.base}/repos/{pr.owner}/{pr.repo}/issues/{pr.number}"
        pull = f"{ctx.base}/repos/{pr.owner}/{pr.repo}/pulls/{pr.number}"
        return (
            200,
            {},
            {
                "url": url,
                "id": pr.number,
                "number": pr.number,
                "title": pr.title,
                "body": pr.body,
                "state": pr.state,
                "user": {"login": pr.author, "type": "User"},
                "comments_url": url + "/comments",
                "html_url": f"{ctx.web}/{pr.owner}/{pr.repo}/pull/{pr.number}",
                "pull_request": {"url": pull},
            },
        )

    def _get_issue_comment(self, ctx: _Ctx) -> Response:
        return 200, {}, self._comment_json(self._comment(ctx), ctx.base)

    def _get_issue_comments(self, ctx: _Ctx) -> Response:
        rows = self.issue_comments(ctx.pr.owner, ctx.pr.repo, int(ctx.args["n"]))
        page = getattr(self, "_page")
        result: Response = page(ctx, [self._comment_json(r, ctx.base) for r in rows])
        return result

    def _post_issue_comment(self, ctx: _Ctx) -> Response:
        from tests.servers.github_server import ApiError

        body = _json(ctx).get("body")
        if not isinstance(body, str) or not body:
            raise ApiError(
                422,
                "Validation Failed",
                [{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
            )
        if len(body) > 65536:
            raise ApiError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
            )
        row = self._new_comment(
            ctx.pr.owner, ctx.pr.repo, int(ctx.args["n"]), body, self.login, bot=True
        )
        return 201, {}, row

    def _get_reactions(self, ctx: _Ctx) -> Response:
        self._comment(ctx)
        return 200, {}, self._reactions.get(int(ctx.args["cid"]), [])

    def _post_reaction(self, ctx: _Ctx) -> Response:
        from tests.servers.github_server import ApiError

        row = self._comment(ctx)
        content = _json(ctx).get("content")
        if content not in REACTIONS:
            raise ApiError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": "Reaction",
                        "code": "custom",
                        "field": "content",
                        "message": f"content is not included in the list {list(REACTIONS)}",
                    }
                ],
            )
        user = ctx.caller or self.login
        existing = self._reactions.setdefault(row["id"], [])
        for reaction in existing:
            if reaction["content"] == content and reaction["user"]["login"] == user:
                return 200, {}, reaction
        rid = next(self._ids)
        reaction = {
            "id": rid,
            "node_id": f"REA_{rid}",
            "content": content,
            "user": {"login": user},
            "created_at": _now(),
        }
        existing.append(reaction)
        return 201, {}, reaction

    # --- compare -------------------------------------------------------------------------

    def _ancestors(self, sha: str) -> list[str]:
        chain, seen = [], set()
        current: str | None = sha
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self._parents.get(current)
        return chain

    def _get_compare(self, ctx: _Ctx) -> Response:
        from tests.servers.github_server import ApiError

        base, head = ctx.args["base"], ctx.args["head"]
        if not (self._known_sha(ctx, base) and self._known_sha(ctx, head)):
            raise ApiError(404, "Not Found")
        head_line, base_line = self._ancestors(head), self._ancestors(base)
        if base == head:
            status, ahead, behind = "identical", 0, 0
        elif base in head_line:
            status, ahead, behind = "ahead", head_line.index(base), 0
        elif head in base_line:
            status, ahead, behind = "behind", 0, base_line.index(head)
        else:
            status = "diverged"
            common = next((s for s in head_line if s in base_line), None)
            ahead = head_line.index(common) if common else len(head_line)
            behind = base_line.index(common) if common else len(base_line)
        diff = self._compare_diffs.get((base, head), b"")
        if "diff" in ctx.request.headers.get("accept", ""):
            return 200, {}, diff
        url = f"{ctx.base}/repos/{ctx.pr.owner}/{ctx.pr.repo}/compare/{base}...{head}"
        return (
            200,
            {},
            {
                "url": url,
                "html_url": f"{ctx.web}/{ctx.pr.owner}/{ctx.pr.repo}/compare/{base}...{head}",
                "status": status,
                "ahead_by": ahead,
                "behind_by": behind,
                "total_commits": ahead,
                "base_commit": {"sha": base},
                "merge_base_commit": {"sha": base if status == "ahead" else ctx.pr.base_sha},
                "commits": [{"sha": s} for s in head_line[:ahead]][::-1],
                "files": [],
            },
        )

    # --- GitHub App ----------------------------------------------------------------------

    def _get_installation(self, ctx: _Ctx) -> Response:
        from tests.servers.github_server import ApiError

        assert self._app is not None
        iid = self._app.installations.get((ctx.args["o"].lower(), ctx.args["r"].lower()))
        if iid is None:
            raise ApiError(404, "Not Found")
        return (
            200,
            {},
            {
                "id": iid,
                "app_id": self._app.app_id,
                "app_slug": self._app.slug,
                "account": {"login": ctx.args["o"], "type": "Organization"},
                "target_type": "Organization",
                "repository_selection": "selected",
                "access_tokens_url": f"{ctx.base}/app/installations/{iid}/access_tokens",
                "permissions": {"metadata": "read", **self._app.permissions[iid]},
            },
        )

    def _post_access_token(self, ctx: _Ctx) -> Response:
        from tests.servers.github_server import ApiError

        assert self._app is not None
        iid = int(ctx.args["iid"])
        if iid not in self._app.installations.values():
            raise ApiError(404, "Not Found")
        token, expiry = "ghs_" + secrets.token_hex(18), time.time() + 3600
        self._app.tokens[token] = (iid, expiry)
        expires_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))
        return (
            201,
            {},
            {
                "token": token,
                "expires_at": expires_at,
                "permissions": {"metadata": "read", **self._app.permissions[iid]},
                "repository_selection": "selected",
            },
        )


def _uid(login: str) -> int:
    return int(hashlib.sha1(login.encode()).hexdigest()[:6], 16)


def _json(ctx: _Ctx) -> dict[str, Any]:
    from tests.servers.github_server import ApiError

    try:
        data = json.loads(ctx.request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "Problems parsing JSON")
    return data


def app_key_pair() -> tuple[str, str]:
    """A fresh RSA key for a GitHub App: (private PEM, as the service is given it; public PEM,
    for ``register_app``, which checks the app's JWTs with it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
