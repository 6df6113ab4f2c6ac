"""Pull requests in and reviews out through PyGithub, against the loopback GitHub server.

Every step runs the CLI in a new process, as a person would: review, then approve.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, GITHUB_TOKEN, ROOT, run_cli, stored_bytes
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer

SQL = (EXAMPLES / "sql_injection.diff").read_text()
PR = "octo/demo#7"


@pytest.fixture
def env(github_env: dict[str, str], github_server: GitHubServer) -> dict[str, str]:
    github_server.add_pull(
        "octo", "demo", 7, SQL, title="Add user lookup", body="Looks up users by name."
    )
    return {**github_env, "REVIEW_PANEL_GITHUB_MAX_WAIT": "5"}


def review(env: dict[str, str], target: str = PR) -> dict[str, Any]:
    proc = run_cli("review", target, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def approve(env: dict[str, str], thread: str, *extra: str) -> dict[str, Any]:
    proc = run_cli("approve", thread, "--json", *extra, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_review_and_approve_posts_one_review_with_inline_comments(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    started = review(env)
    draft = started["draft"]
    assert started["target"] == PR
    done = approve(env, started["thread_id"])
    (posted,) = github_server.reviews("octo", "demo", 7)
    assert posted["event"] == "REQUEST_CHANGES"
    assert draft["summary"] in posted["body"]
    assert f"review-panel:thread={started['thread_id']} " in posted["body"]
    lines = sorted((c["path"], c["line"], c["side"]) for c in posted["comments"])
    assert lines == [
        ("app/users.py", 10, "RIGHT"),
        ("app/users.py", 14, "RIGHT"),
        ("app/users.py", 18, "RIGHT"),
    ]
    for comment in posted["comments"]:
        assert comment["body"] in {c["body"] for c in draft["comments"]}
    assert done["status"] == "posted"
    assert done["result"]["url"] == posted["html_url"]
    assert done["result"]["review_id"] == posted["id"]


def test_pr_text_reaches_the_specialists_as_untrusted_data(
    env: dict[str, str], model_server: ModelServer
) -> None:
    review(env)
    security = next(r for r in model_server.requests if "security reviewer" in r.system)
    assert "<untrusted_pr_description>\nTitle: Add user lookup" in security.user
    assert "Looks up users by name." in security.user


def test_edited_approval_posts_the_edit(
    env: dict[str, str], github_server: GitHubServer, tmp_path: Path
) -> None:
    started = review(env)
    first, second, _ = started["draft"]["comments"]
    edit = tmp_path / "edit.yaml"
    edit.write_text(
        yaml.safe_dump(
            {
                "summary": "Edited by a human.",
                "verdict": "COMMENT",
                "comments": {first["id"]: None, second["id"]: "Rewritten."},
            }
        )
    )
    approve(env, started["thread_id"], "--edit", str(edit))
    (posted,) = github_server.reviews("octo", "demo", 7)
    assert posted["event"] == "COMMENT"
    assert posted["body"].startswith("Edited by a human.")
    bodies = [c["body"] for c in posted["comments"]]
    assert len(bodies) == 2 and "Rewritten." in bodies and first["body"] not in bodies


def _with_extra_finding(finding: dict[str, Any]) -> Any:
    def handler(request: ChatRequest) -> Reply:
        reply = answer(request)
        if "security reviewer" in request.system:
            reply.structured["findings"].append(finding)
        return reply

    return handler


def test_finding_off_the_diff_goes_into_the_body_not_an_inline_comment(
    env: dict[str, str], github_server: GitHubServer, model_server: ModelServer
) -> None:
    model_server.handler = _with_extra_finding(
        {
            "path": "app/users.py",
            "start_line": 25,
            "end_line": 26,
            "side": "RIGHT",
            "severity": "medium",
            "category": "auth",
            "title": "Missing authorisation check",
            "rationale": "Anyone can call this.",
            "suggestion": None,
            "confidence": 0.8,
        }
    )
    started = review(env)
    off = [c for c in started["draft"]["comments"] if c["anchor"] is None]
    assert [c["title"] for c in off] == ["Missing authorisation check"]
    approve(env, started["thread_id"])
    (posted,) = github_server.reviews("octo", "demo", 7)
    assert "`app/users.py:25-26`: Missing authorisation check" in posted["body"]
    assert all(c["line"] != 26 for c in posted["comments"])


def test_suggestion_becomes_a_github_suggestion_block(
    env: dict[str, str], github_server: GitHubServer, model_server: ModelServer
) -> None:
    model_server.handler = _with_extra_finding(
        {
            "path": "app/users.py",
            "start_line": 3,
            "end_line": 3,
            "side": "RIGHT",
            "severity": "low",
            "category": "style",
            "title": "Blank line",
            "rationale": "x",
            "suggestion": "import os",
            "confidence": 0.5,
        }
    )
    approve(env, review(env)["thread_id"])
    (posted,) = github_server.reviews("octo", "demo", 7)
    (suggested,) = [c for c in posted["comments"] if c["line"] == 3]
    assert "```suggestion\nimport os\n```" in suggested["body"]


@pytest.mark.parametrize("form", ["url", "enterprise"])
def test_pull_request_urls_are_accepted(
    env: dict[str, str], github_server: GitHubServer, form: str
) -> None:
    if form == "url":
        target = "https://github.com/octo/demo/pull/7"
    else:
        env["GITHUB_API_URL"] = github_server.enterprise_base_url
        target = f"{github_server.base_url}/octo/demo/pull/7/files"
    started = review(env, target)
    approve(env, started["thread_id"])
    assert len(github_server.reviews("octo", "demo", 7)) == 1
    if form == "enterprise":
        assert any(r.path.startswith("/api/v3/") for r in github_server.requests)


def test_too_large_diff_falls_back_to_the_file_list(
    model_server: ModelServer, tmp_path: Path, env: dict[str, str]
) -> None:
    big = SQL + (
        "diff --git a/logo.png b/logo.png\nindex 1..2 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
        "@@ -1,2 +0,0 @@\n-a = 1\n-b = 2\n"
        "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n"
        "@@ -0,0 +1 @@\n+data = pickle.loads(blob)\n"
    )
    with GitHubServer(token=GITHUB_TOKEN, max_diff_files=1) as gh:
        gh.add_pull("octo", "demo", 7, big)
        env["GITHUB_API_URL"] = gh.base_url
        started = review(env)
        assert any(r.path.endswith("/pulls/7/files") for r in gh.requests)
        coverage = started["draft"]["coverage"]
        assert coverage["skipped"]["logo.png"].startswith("no patch from GitHub")
        assert "deleted" in coverage["skipped"]["old.py"]
        categories = {(c["path"], c["category"]) for c in started["draft"]["comments"]}
        assert ("new.py", "unsafe-deserialization") in categories
        assert {c["category"] for c in started["draft"]["comments"]} >= {"sql-injection"}
        approve(env, started["thread_id"])
        (posted,) = gh.reviews("octo", "demo", 7)
        assert {(c["path"], c["line"]) for c in posted["comments"]} == {
            ("app/users.py", 10),
            ("app/users.py", 14),
            ("app/users.py", 18),
            ("new.py", 1),
        }


def test_closed_pull_request_is_reviewed_with_a_warning(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    github_server.add_pull("octo", "demo", 8, SQL, state="closed", merged=True)
    started = review(env, "octo/demo#8")
    assert "octo/demo#8 is merged; reviewing it anyway" in started["draft"]["notes"]


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("bad_token", 11, "GitHub rejected the token (401 Bad credentials)"),
        ("no_token", 11, "GITHUB_TOKEN is not set"),
        ("missing_pr", 12, "octo/demo#99: not found (404)"),
        ("rate_limited", 13, "GitHub rate limit; try again after"),
        ("unreachable", 14, "cannot reach GitHub"),
    ],
)
def test_github_errors_have_clear_messages_and_distinct_codes(
    env: dict[str, str], github_server: GitHubServer, setup: str, code: int, message: str
) -> None:
    target = PR
    if setup == "bad_token":
        env["GITHUB_TOKEN"] = "ghp_wrong"
    elif setup == "no_token":
        del env["GITHUB_TOKEN"]
    elif setup == "missing_pr":
        target = "octo/demo#99"
    elif setup == "rate_limited":
        github_server.rate_limit("primary", count=5, reset_in=600)
    elif setup == "unreachable":
        env["GITHUB_API_URL"] = "http://127.0.0.1:9"
    proc = run_cli("review", target, env=env)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 2  # "thread ...: reviewing" + the error
    assert GITHUB_TOKEN not in proc.stderr + proc.stdout


def test_short_rate_limit_is_waited_out(env: dict[str, str], github_server: GitHubServer) -> None:
    github_server.rate_limit("secondary", count=1, reset_in=1)
    started = review(env)
    assert started["status"] == "awaiting approval"


@pytest.mark.parametrize("fault", ["fail_after_apply", "drop_after_apply"])
def test_lost_answer_to_the_post_does_not_post_twice(
    env: dict[str, str], github_server: GitHubServer, fault: str
) -> None:
    thread = review(env)["thread_id"]
    if fault == "fail_after_apply":
        github_server.fail_next("POST", r"/pulls/7/reviews$", status=502, after_apply=True)
    else:
        github_server.drop_next("POST", r"/pulls/7/reviews$", after_apply=True)
    done = approve(env, thread)
    assert len(github_server.reviews("octo", "demo", 7)) == 1
    assert done["status"] == "posted"


@pytest.mark.parametrize("finish", ["resume", "approve"])  # the README offers both
def test_crash_after_post_before_checkpoint_then_resume_posts_nothing_new(
    env: dict[str, str], github_server: GitHubServer, finish: str
) -> None:
    thread = review(env)["thread_id"]
    github_server.hang_next("POST", r"/pulls/7/reviews$", seconds=8)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "approve", thread],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not github_server.reviews("octo", "demo", 7) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(github_server.reviews("octo", "demo", 7)) == 1  # GitHub has it ...
    proc.send_signal(signal.SIGKILL)  # ... and the process dies before it hears so
    proc.communicate()
    shown = json.loads(run_cli("show", thread, "--json", env=env).stdout)
    assert shown["status"] == "crashed" and shown["next"] == ["post"]
    resumed = run_cli(finish, thread, "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert len(github_server.reviews("octo", "demo", 7)) == 1
    assert json.loads(resumed.stdout)["status"] == "posted"
    result = json.loads(resumed.stdout)["result"]
    assert result["already_posted"] is True
    assert result["url"] == github_server.reviews("octo", "demo", 7)[0]["html_url"]


def test_approving_a_posted_thread_again_posts_nothing(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = review(env)["thread_id"]
    approve(env, thread)
    again = run_cli("approve", thread, env=env)
    assert again.returncode == 4 and "already posted" in again.stderr
    assert len(github_server.reviews("octo", "demo", 7)) == 1


def test_github_422_posts_the_comments_in_the_body_and_says_so(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = review(env)["thread_id"]
    github_server.fail_next("POST", r"/pulls/7/reviews$", status=422)
    done = approve(env, thread)
    (posted,) = github_server.reviews("octo", "demo", 7)
    assert posted["comments"] == []
    assert "**Inline comments GitHub refused**" in posted["body"]
    assert done["result"]["moved_to_body"] == [
        "app/users.py:14",
        "app/users.py:10",
        "app/users.py:18",
    ]


@pytest.mark.parametrize("choice", ["post", "cancel"])
def test_moved_head_asks_the_person(
    env: dict[str, str], github_server: GitHubServer, choice: str
) -> None:
    started = review(env)
    github_server.move_head("octo", "demo", 7, "f" * 40)
    first = run_cli("approve", started["thread_id"], env=env)
    assert first.returncode == 4
    assert "moved from" in first.stderr and "--moved-head post" in first.stderr
    assert github_server.reviews("octo", "demo", 7) == []
    shown = run_cli("show", started["thread_id"], env=env).stdout
    assert "moved from" in shown and f"approve {started['thread_id']} --moved-head post" in shown
    second = run_cli("approve", started["thread_id"], "--moved-head", choice, "--json", env=env)
    assert second.returncode == 0, second.stderr
    posted = github_server.reviews("octo", "demo", 7)
    if choice == "post":
        assert len(posted) == 1 and posted[0]["commit_id"] != "f" * 40
    else:
        assert posted == []
        assert json.loads(second.stdout)["status"] == "rejected"


def test_the_moved_head_answer_refers_to_the_head_the_question_named(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    started = review(env)
    github_server.move_head("octo", "demo", 7, "f" * 40)
    asked = run_cli("approve", started["thread_id"], env=env)
    assert asked.returncode == 4 and "to ffffffffffff" in asked.stderr
    github_server.move_head("octo", "demo", 7, "e" * 40)  # it moves again before the answer
    answered = approve(env, started["thread_id"], "--moved-head", "post")
    (posted,) = github_server.reviews("octo", "demo", 7)
    assert posted["commit_id"] not in ("f" * 40, "e" * 40)  # the reviewed commit
    (note,) = [n for n in answered["result"]["notes"] if "as asked" in n]
    assert "had moved to ffffffffffff" in note


def test_token_never_reaches_the_database_logs_or_output(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    first = run_cli("review", PR, "--json", env=env)
    thread = json.loads(first.stdout)["thread_id"]
    second = run_cli("approve", thread, env=env)
    third = run_cli("show", thread, "--json", env=env)
    printed = "".join(p.stdout + p.stderr for p in (first, second, third))
    assert GITHUB_TOKEN not in printed
    db = Path(env["REVIEW_PANEL_DB"])
    stored = stored_bytes(db)
    assert b"Looks up users by name." in stored  # the search does see inside checkpoints
    assert GITHUB_TOKEN.encode() not in stored
    assert any(
        r.headers.get("authorization", "").endswith(GITHUB_TOKEN) for r in github_server.requests
    )  # it was used, just never kept


def _big_pr(files: int = 220) -> str:
    """Three findings per file, enough for a review body far past GitHub's 65,536 characters."""
    parts = []
    for i in range(files):
        path = f"services/generated/long_module_name_number_{i:04d}.py"
        parts.append(
            f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
            "@@ -0,0 +1,3 @@\n+def f(x):\n"
            '+    q = f"SELECT * FROM t WHERE id = {x}"\n+    return pickle.loads(x)\n'
        )
    return "".join(parts)


def test_a_review_past_githubs_body_limit_is_posted_within_it(
    env: dict[str, str], github_server: GitHubServer, tmp_path: Path
) -> None:
    github_server.add_pull("octo", "demo", 8, _big_pr(), title="Generated", body="Many files.")
    env = {**env, "REVIEW_PANEL_CHUNK_TOKENS": "500"}  # at most 20 findings per call
    started = review(env, "octo/demo#8")
    thread = started["thread_id"]
    in_body = [c for c in started["draft"]["comments"] if c["anchor"] is None]
    assert len(in_body) >= 70  # over the cap of 25 inline comments
    # The person's words make each body item long: together far past 65,536 characters.
    words = "Bind the parameter; never format SQL. " * 25
    edit = tmp_path / "edit.yaml"
    edit.write_text(json.dumps({"comments": {c["id"]: words for c in in_body}}))
    approve(env, thread, "--edit", str(edit))
    (posted,) = github_server.reviews("octo", "demo", 8)
    assert len(posted["comments"]) == 25
    text = posted["body"]
    assert len(words) * len(in_body) > 65_536 >= len(text)
    assert "**Over the limit of 25 inline comments**" in text
    assert "**Not on lines of this diff**" not in text  # no comment here is off the diff
    assert "more finding(s) are not listed here" in text and "By severity: " in text
    assert f"`review-panel show {thread} --json`" in text


def test_a_review_github_refuses_leaves_the_thread_answerable(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = review(env)["thread_id"]
    github_server.fail_next("POST", r"/pulls/7/reviews$", status=422, count=2)
    refused = run_cli("approve", thread, env=env)
    assert refused.returncode == 15, refused.stderr
    assert "GitHub refused the review" in refused.stderr and "--edit FILE" in refused.stderr
    assert github_server.reviews("octo", "demo", 7) == []
    shown = json.loads(run_cli("show", thread, "--json", env=env).stdout)
    assert shown["status"] == "awaiting approval"
    approve(env, thread)
    assert len(github_server.reviews("octo", "demo", 7)) == 1


def test_a_read_that_meets_a_5xx_is_tried_once_more_by_the_client(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    github_server.fail_next("GET", r"/pulls/7$", status=502)
    drafted = review(env)
    assert drafted["status"] == "awaiting approval"
    reads = [r for r in github_server.requests if r.method == "GET" and r.path.endswith("/7")]
    assert len(reads) >= 2  # the 502, then the same read again


def test_a_read_that_fails_twice_is_one_line_naming_the_status(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    github_server.fail_next("GET", r"/pulls/7$", status=502, count=2)
    failed = run_cli("review", PR, env=env)
    assert failed.returncode == 10, failed.stderr
    (line,) = [x for x in failed.stderr.splitlines() if x.startswith("review-panel:")]
    assert line == "review-panel: error: octo/demo#7: GitHub answered 502: Bad Gateway"
    assert "Traceback" not in failed.stderr


def test_a_review_post_that_meets_a_5xx_is_never_resent_blindly(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = review(env)["thread_id"]
    github_server.fail_next("POST", r"/pulls/7/reviews$", status=502)  # refused, not applied
    done = approve(env, thread)
    posts = [r for r in github_server.requests if r.method == "POST"]
    assert len(github_server.reviews("octo", "demo", 7)) == 1
    assert done["status"] == "posted"
    # the client did not resend it on its own: the product checked, then posted once more
    assert len(posts) == 2


def test_a_review_reads_the_pull_request_without_reading_the_repository_first(
    env: dict[str, str], github_server: GitHubServer
) -> None:
    github_server.add_pull("octo", "demo", 9, SQL)
    started = review(env, "octo/demo#9")
    assert started["draft"]["comments"]
    reads = [r.path for r in github_server.requests if r.method == "GET"]
    assert "/repos/octo/demo/pulls/9" in reads
    # The pull request's own read answers for the repository (a 404 for either): a
    # repository read first would cost every review a request and decide nothing.
    assert "/repos/octo/demo" not in reads
