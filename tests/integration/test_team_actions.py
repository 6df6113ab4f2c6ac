"""The GitHub Actions path: ``review-panel github-event`` with the job's event file.

Each step runs the installed ``review-panel`` in a new process, as a workflow job does, with
``GITHUB_EVENT_NAME`` and ``GITHUB_EVENT_PATH`` pointing at a payload file in GitHub's shape,
threads in a real PostgreSQL (``tests/pg.py``), against the loopback GitHub and model servers.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from team.threads import thread_id
from tests.integration.test_team_server import FULL_AFTER, INCREMENT
from tests.servers import github_events as events
from tests.servers.github_server import GitHubServer, PullRecord
from tests.servers.github_team import app_key_pair
from tests.servers.openai_server import ModelServer, Reply

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("review-panel")
TOKEN = "ghp_ActionsTokenThatMustNeverLeak0123456"
PUBLIC = "https://review.example.test"
DIFF = (ROOT / "examples" / "sql_injection.diff").read_text()


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def job_env(model_server: ModelServer, github: GitHubServer, postgres_url: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "OPENAI_BASE_URL": model_server.base_url,
        "OPENAI_API_KEY": "sk-test-model-key-123456",
        "REVIEW_PANEL_MAX_RETRIES": "0",
        "REVIEW_PANEL_DB": postgres_url,
        "REVIEW_PANEL_PUBLIC_URL": PUBLIC,
        "GITHUB_API_URL": github.base_url,
        "GITHUB_TOKEN": TOKEN,
    }


class Job:
    """One workflow job: an event file and ``review-panel github-event`` in a new process."""

    def __init__(self, env: dict[str, str], github: GitHubServer, folder: Path) -> None:
        self.env, self.github, self.folder = env, github, folder
        self.count = 0

    def run(
        self,
        event: str,
        payload: dict[str, Any],
        cwd: Path = ROOT,
        *,
        new_process: bool = False,
        **env: str,
    ) -> subprocess.CompletedProcess[str]:
        """Run the command: in a new process, or (faster, same code) in this one."""
        self.count += 1
        path = self.folder / f"event-{self.count}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        environment = self.env | {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path)}
        if new_process:
            return subprocess.run(
                [str(CLI), "github-event"],
                env=environment | env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        from typer.testing import CliRunner

        from cli.app import app

        result = CliRunner().invoke(app, ["github-event"], env=environment | env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return subprocess.CompletedProcess(
            ["review-panel", "github-event"], result.exit_code, result.stdout, result.stderr
        )

    def pull(self, pr: PullRecord, action: str = "opened", **kw: Any) -> str:
        done = self.run("pull_request", events.pull_request(pr, action, self.github.base_url), **kw)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def comment(self, pr: PullRecord, body: str, user: str) -> tuple[dict[str, Any], str]:
        comment = self.github.add_issue_comment(pr.owner, pr.repo, pr.number, body, user)
        done = self.run("issue_comment", events.issue_comment(pr, comment, self.github.base_url))
        assert done.returncode == 0, done.stderr
        return comment, done.stdout


@pytest.fixture
def job(job_env: dict[str, str], github: GitHubServer, tmp_path: Path) -> Job:
    return Job(job_env, github, tmp_path)


def new_pull(github: GitHubServer, number: int = 1, diff: str = DIFF, **kw: Any) -> PullRecord:
    pr = github.add_pull(
        "octo",
        "act",
        number,
        diff,
        author="alice",
        head_sha=hashlib.sha1(f"actions head {number}".encode()).hexdigest(),
        **kw,
    )
    github.set_permission("octo", "act", "maintainer", "admin")
    github.set_permission("octo", "act", "reader", "triage")
    github.set_permission("octo", "act", "alice", "write")
    return pr


def status(github: GitHubServer, pr: PullRecord, sha: str | None = None) -> dict[str, Any]:
    rows = github.statuses(pr.owner, pr.repo, sha or pr.head_sha)
    assert rows, "no status was set"
    return rows[0]


def stored(url: str) -> bytes:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT convert_to(checkpoint::text || metadata::text, 'UTF8') FROM checkpoints "
            "UNION ALL SELECT blob FROM checkpoint_blobs WHERE blob IS NOT NULL "
            "UNION ALL SELECT blob FROM checkpoint_writes"
        ).fetchall()
    return b"\n".join(bytes(r[0]) for r in rows)


def test_a_pull_request_is_reviewed_decided_by_command_and_reviewed_again_incrementally(
    job: Job, github: GitHubServer, model_server: ModelServer
) -> None:
    pr = new_pull(github)
    out = job.pull(pr)
    thread = thread_id(github.base_url, "octo", "act", 1, pr.head_sha)
    assert f"started: thread {thread}" in out
    pending = status(github, pr)
    assert pending["state"] == "pending"
    assert pending["description"].startswith("draft ready: ")
    assert pending["target_url"] == f"{PUBLIC}/inbox/{thread}"

    calls = len(model_server.requests)
    assert "exists" in job.pull(pr)  # the same head again: the thread is there, no new run
    assert len(model_server.requests) == calls

    reader, out = job.comment(pr, "/review-panel approve", "reader")
    assert "refused" in out and "triage" not in out  # legacy permission: read
    author, out = job.comment(pr, "/review-panel approve", "alice")
    assert "refused" in out and "wrote this pull request" in out
    assert github.reactions(reader["id"])[0]["content"] == "-1"
    assert github.reactions(author["id"])[0]["content"] == "-1"
    assert github.reviews("octo", "act", 1) == []

    accepted, out = job.comment(pr, "/review-panel approve", "maintainer")
    assert "approved" in out
    (review,) = github.reviews("octo", "act", 1)
    assert [r["content"] for r in github.reactions(accepted["id"])] == ["+1"]
    posted = status(github, pr)
    assert (posted["state"], posted["description"]) == ("success", "review posted")
    assert posted["target_url"] == review["html_url"]

    second = hashlib.sha1(b"actions second head").hexdigest()
    github.push("octo", "act", 1, second, FULL_AFTER, increment=INCREMENT)
    seen = len(model_server.requests)
    job.pull(pr, "synchronize")
    shown = "".join(r.prompt_text for r in model_server.requests[seen:])
    assert "find_order" in shown and "all_orders" not in shown
    assert status(github, pr, second)["description"] == (
        "draft ready: 1 comment, REQUEST_CHANGES, waiting for approval"
    )


def test_two_approval_jobs_at_once_post_one_review(job: Job, github: GitHubServer) -> None:
    pr = new_pull(github)
    job.pull(pr)
    comments = [
        github.add_issue_comment("octo", "act", 1, "/review-panel approve", "maintainer")
        for _ in range(2)
    ]
    payloads = [events.issue_comment(pr, c, github.base_url) for c in comments]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda p: job.run("issue_comment", p, new_process=True), payloads))
    assert [d.returncode for d in done] == [0, 0], [d.stderr for d in done]
    assert len(github.reviews("octo", "act", 1)) == 1
    reactions = sorted(github.reactions(c["id"])[0]["content"] for c in comments)
    assert reactions == ["+1", "-1"]


def test_a_model_outage_gives_an_error_status(
    job: Job, github: GitHubServer, model_server: ModelServer
) -> None:
    pr = new_pull(github)
    model_server.script(*[Reply.error(503, "model overloaded") for _ in range(4)])
    job.pull(pr)
    failed = status(github, pr)
    assert failed["state"] == "error"
    assert failed["description"].startswith("review failed: 3 of 3 model calls failed")


def test_bad_event_input_is_one_line_and_exit_3(job: Job, tmp_path: Path) -> None:
    done = job.run(
        "pull_request", {}, new_process=True, GITHUB_EVENT_PATH=str(tmp_path / "missing.json")
    )
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "cannot read the event payload" in done.stderr
    (tmp_path / "bad.json").write_text("{not json")
    done = job.run("pull_request", {}, GITHUB_EVENT_PATH=str(tmp_path / "bad.json"))
    assert done.returncode == 3 and "not JSON" in done.stderr


def test_as_a_github_app_it_acts_as_its_bot_and_keeps_key_and_tokens_out_of_everything(
    job: Job, github: GitHubServer, postgres_url: str
) -> None:
    pr = new_pull(github)
    private, public = app_key_pair()
    github.register_app(4242, public, {"octo/act": 77}, slug="review-panel")
    app_env = {"GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": private, "GITHUB_TOKEN": ""}
    done = job.run("pull_request", events.pull_request(pr, "opened", github.base_url), **app_env)
    assert done.returncode == 0, done.stderr
    comment = github.add_issue_comment("octo", "act", 1, "/review-panel approve", "maintainer")
    payload = events.issue_comment(pr, comment, github.base_url, installation=77)
    decided = job.run("issue_comment", payload, **app_env)
    assert decided.returncode == 0, decided.stderr

    (review,) = github.reviews("octo", "act", 1)
    assert status(github, pr)["creator"]["login"] == "review-panel[bot]"
    tokens = github.app_tokens()
    assert tokens  # installation tokens were issued and used instead of GITHUB_TOKEN
    used = {r.headers.get("authorization", "") for r in github.requests}
    assert f"token {TOKEN}" not in used and f"Bearer {TOKEN}" not in used
    everything = stored(postgres_url) + (done.stdout + done.stderr + decided.stdout).encode()
    secret_lines = [line for line in private.splitlines() if "PRIVATE KEY" not in line]
    for secret in [*tokens, *secret_lines]:
        assert secret.encode() not in everything
    assert review["body"]


def test_nothing_from_the_pull_request_is_run_or_imported(
    job: Job, github: GitHubServer, tmp_path: Path, model_server: ModelServer
) -> None:
    """``pull_request_target`` runs with secrets: a PR's files must never run. Even a job whose
    working directory holds the PR's files (which our workflow never checks out) imports and
    reads none of them."""
    checkout = tmp_path / "pr-checkout"
    marker = tmp_path / "pwned"
    hostile = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for name in (
        "sitecustomize.py",
        "usercustomize.py",
        "conftest.py",
        "cli/__init__.py",
        "graph/__init__.py",
        "services/__init__.py",
        "team/__init__.py",
        "nodes/__init__.py",
        "langgraph.json",
    ):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(hostile)
    (checkout / "prompts").mkdir()
    (checkout / "prompts" / "security.yaml").write_text("kind: specialist\nname: pwned\n")
    (checkout / ".review-panel.yaml").write_text("auto_review: false\n")
    (checkout / ".env").write_text("GITHUB_API_URL=http://198.51.100.1\n")
    pr = new_pull(github, diff=DIFF + _hostile_file(marker))
    out = job.pull(pr, cwd=checkout, new_process=True)
    assert "started" in out  # the checkout's .review-panel.yaml (auto_review: false) was not read
    assert not marker.exists(), marker.read_text()
    systems = {r.system for r in model_server.requests}
    assert any("security reviewer" in s for s in systems)  # the package's own prompts


def _hostile_file(marker: Path) -> str:
    line = f"+open({str(marker)!r}, 'w').write('ran')\n"
    return (
        "diff --git a/setup.py b/setup.py\nnew file mode 100644\n--- /dev/null\n+++ b/setup.py\n"
        f"@@ -0,0 +1 @@\n{line}"
    )


def test_drafts_wait_for_review_drafts_and_auto_review_false_leaves_the_command(
    job: Job, github: GitHubServer, model_server: ModelServer
) -> None:
    draft = new_pull(github, 1, draft=True)
    assert "is a draft" in job.pull(draft)
    # A maintainer commits the setting to the base branch: a new base commit holds it (the
    # file at the old base stays missing, as files at a commit do).
    draft.base_sha = hashlib.sha1(b"base with review_drafts").hexdigest()
    github.add_file("octo", "act", draft.base_sha, ".review-panel.yaml", "review_drafts: true\n")
    assert "started" in job.pull(draft, "ready_for_review")

    quiet = github.add_pull(
        "octo", "quiet", 2, DIFF, author="alice", head_sha=hashlib.sha1(b"quiet").hexdigest()
    )
    github.add_file("octo", "quiet", quiet.base_sha, ".review-panel.yaml", "auto_review: false\n")
    github.set_permission("octo", "quiet", "maintainer", "write")
    calls = len(model_server.requests)
    assert "auto_review: false" in job.pull(quiet)
    assert (
        len(model_server.requests) == calls
        and github.statuses("octo", "quiet", quiet.head_sha) == []
    )
    comment, out = job.comment(quiet, "/review-panel review", "maintainer")
    assert "started" in out
    assert github.statuses("octo", "quiet", quiet.head_sha)[0]["description"].startswith(
        "draft ready"
    )
    assert [r["content"] for r in github.reactions(comment["id"])] == ["+1"]


def test_the_author_may_decide_when_the_repository_allows_it(
    job: Job, github: GitHubServer
) -> None:
    pr = new_pull(github)
    github.add_file(
        "octo", "act", pr.base_sha, ".review-panel.yaml", "allow_author_decisions: true\n"
    )
    job.pull(pr)
    _, out = job.comment(pr, "/review-panel approve", "alice")
    assert "approved" in out
    assert len(github.reviews("octo", "act", 1)) == 1


def test_retry_after_an_outage_and_review_again_after_a_rejection(
    job: Job, github: GitHubServer, model_server: ModelServer
) -> None:
    pr = new_pull(github)
    model_server.script(*[Reply.error(503, "model overloaded") for _ in range(4)])
    job.pull(pr)
    assert status(github, pr)["state"] == "error"
    _, out = job.comment(pr, "/review-panel retry", "maintainer")
    assert "retried" in out
    assert status(github, pr)["description"].startswith("draft ready")

    _, out = job.comment(pr, "/review-panel reject not now", "maintainer")
    assert status(github, pr)["description"] == "draft rejected by @maintainer"
    _, out = job.comment(pr, "/review-panel review", "maintainer")
    assert "started" in out  # a fresh thread for the same head
    assert thread_id(github.base_url, "octo", "act", 1, pr.head_sha, 1) in out
    assert status(github, pr)["description"].startswith("draft ready")
    unknown, out = job.comment(pr, "/review-panel retry", "maintainer")
    assert "nothing to retry" in out
    assert [r["content"] for r in github.reactions(unknown["id"])] == ["-1"]


def test_a_token_that_may_not_read_the_pull_request_gives_an_error_status_saying_so(
    job: Job, github: GitHubServer
) -> None:
    """A fine-grained token made without "Pull requests: read": the status is allowed, the
    pull request is not. The run fails and the PR's status says why; the job itself ends
    well (it did its part: the PR was told)."""
    pr = new_pull(github)
    github.restrict_token({"statuses": "write", "contents": "read", "issues": "write"})
    done = job.run("pull_request", events.pull_request(pr, "opened", github.base_url))
    assert done.returncode == 0, done.stderr
    failed = status(github, pr)
    assert failed["state"] == "error"
    assert failed["description"] == (
        "review failed: octo/act#1: GitHub answered 403: "
        "Resource not accessible by personal access token"
    )
    assert TOKEN not in done.stdout + done.stderr + json.dumps(failed)


def test_a_token_github_refuses_outright_is_one_line_and_exit_11(
    job: Job, github: GitHubServer
) -> None:
    """No status can be set with a token GitHub refuses (401): the job fails instead, with
    one line on stderr and exit 11, which fails the workflow run."""
    pr = new_pull(github)
    payload = events.pull_request(pr, "opened", github.base_url)
    done = job.run("pull_request", payload, new_process=True, GITHUB_TOKEN="ghp_revoked0123456789")
    assert done.returncode == 11
    assert done.stderr.count("\n") == 1 and "401 Bad credentials" in done.stderr
    assert "Traceback" not in done.stderr and "ghp_revoked0123456789" not in done.stderr
    assert github.statuses("octo", "act", pr.head_sha) == []
