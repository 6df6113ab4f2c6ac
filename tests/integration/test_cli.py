"""The CLI contract, each step in a NEW process, as people use it: against one SQLite file,
and the tests about what a later process finds in the database against Postgres too
(``any_db_env``; tests/integration/test_postgres.py keeps what only Postgres has)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, run_cli, stored_bytes


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.server)])
def any_db_env(request: pytest.FixtureRequest, cli_env: dict[str, str]) -> dict[str, str]:
    """``cli_env`` on each checkpoint back end: the SQLite file, or a Postgres database."""
    if request.param == "postgres":
        return {**cli_env, "REVIEW_PANEL_DB": request.getfixturevalue("postgres_url")}
    return cli_env


def start_review(env: dict[str, str], target: str = "examples/sql_injection.diff") -> dict:
    proc = run_cli("review", target, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_review_pauses_with_a_draft_and_shows_progress(env: dict[str, str]) -> None:
    proc = run_cli("review", "examples/sql_injection.diff", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "security [chunk 1]" in proc.stderr and "performance [chunk 1]" in proc.stderr
    assert "security: done, 3 finding(s) in 1 chunk(s)" in proc.stderr
    assert "awaiting approval" in proc.stdout
    assert "# Review draft: examples/sql_injection.diff" in proc.stdout
    assert "review-panel approve" in proc.stdout


def test_review_json_has_thread_status_and_draft(env: dict[str, str]) -> None:
    out = start_review(env)
    assert out["status"] == "awaiting approval"
    assert len(out["thread_id"]) == 12
    assert out["draft"]["verdict"] == "REQUEST_CHANGES"
    assert "# Review draft" in out["markdown"]


def test_review_from_stdin(env: dict[str, str]) -> None:
    text = (EXAMPLES / "naming.diff").read_text()
    proc = run_cli("review", "-", "--json", env=env, stdin=text)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["target"] == "stdin"
    assert "naming" in {c["category"] for c in out["draft"]["comments"]}


def test_approve_in_another_process_publishes_what_was_approved(
    any_db_env: dict[str, str], tmp_path: Path
) -> None:
    env = any_db_env
    started = start_review(env)
    draft, thread = started["draft"], started["thread_id"]
    out = tmp_path / "review.md"
    proc = run_cli("approve", thread, "--out", str(out), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["status"] == "written"
    markdown = out.read_text()
    assert markdown == shown["result"]["markdown"]
    assert draft["summary"] in markdown
    for comment in draft["comments"]:
        assert comment["body"] in markdown
    assert shown["approved"]["event"] == draft["verdict"]


def test_edited_approval_publishes_the_edit(any_db_env: dict[str, str], tmp_path: Path) -> None:
    env = any_db_env
    started = start_review(env)
    comments = started["draft"]["comments"]
    edit = tmp_path / "edit.yaml"
    edit.write_text(
        yaml.safe_dump(
            {
                "summary": "Please fix the injection first.",
                "verdict": "COMMENT",
                "comments": {comments[0]["id"]: None, comments[1]["id"]: "Use a bound parameter."},
            }
        )
    )
    proc = run_cli("approve", started["thread_id"], "--edit", str(edit), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    markdown = result["result"]["markdown"]
    assert "Please fix the injection first." in markdown
    assert "Use a bound parameter." in markdown
    assert comments[0]["body"] not in markdown
    assert result["approved"]["event"] == "COMMENT"


def test_reject_publishes_nothing_and_threads_lists_it(env: dict[str, str]) -> None:
    thread = start_review(env)["thread_id"]
    proc = run_cli("reject", thread, "--reason", "not useful", env=env)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(run_cli("threads", "--json", env=env).stdout)
    assert listed == [
        {
            "thread_id": thread,
            "status": "rejected",
            "target": "examples/sql_injection.diff",
            "created": listed[0]["created"],
        }
    ]
    shown = json.loads(run_cli("show", thread, "--json", env=env).stdout)
    assert shown["result"] is None and shown["rejection"] == "not useful"


def test_approving_twice_is_refused_and_posts_nothing_new(env: dict[str, str]) -> None:
    thread = start_review(env)["thread_id"]
    assert run_cli("approve", thread, env=env).returncode == 0
    again = run_cli("approve", thread, env=env)
    assert again.returncode == 4
    assert again.stderr.strip() == f"review-panel: error: thread {thread} is already written"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "nope"], 4, "no thread 'nope'"),
        (["approve", "nope"], 4, "no thread 'nope'"),
        (["review", "does/not/exist.diff"], 3, "cannot read does/not/exist.diff"),
        (["review", "pyproject.toml"], 3, "not a unified diff"),
    ],
)
def test_errors_exit_non_zero_with_one_line(
    env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    proc = run_cli(*args, env=env)
    assert proc.returncode == code
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""


def test_missing_model_configuration_is_reported(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
    proc = run_cli("review", "examples/naming.diff", env=env)
    assert proc.returncode == 2
    assert "no model configured: set OPENAI_API_KEY" in proc.stderr


def test_bad_edit_file_leaves_the_thread_paused(env: dict[str, str], tmp_path: Path) -> None:
    thread = start_review(env)["thread_id"]
    edit = tmp_path / "edit.yaml"
    edit.write_text("verdict: SHIP_IT\n")
    proc = run_cli("approve", thread, "--edit", str(edit), env=env)
    assert proc.returncode == 5
    assert "invalid decision: key 'edit.verdict': Input should be" in proc.stderr
    edit.write_text("comments: {c-unknown: text}\n")
    proc = run_cli("approve", thread, "--edit", str(edit), env=env)
    assert proc.returncode == 5
    assert "c-unknown" in proc.stderr
    shown = json.loads(run_cli("show", thread, "--json", env=env).stdout)
    assert shown["status"] == "awaiting approval"
    assert run_cli("approve", thread, env=env).returncode == 0


def test_model_key_never_reaches_the_database_or_output(env: dict[str, str]) -> None:
    thread = start_review(env)["thread_id"]
    proc = run_cli("approve", thread, env=env)
    key = env["OPENAI_API_KEY"].encode()
    db = Path(env["REVIEW_PANEL_DB"])
    stored = stored_bytes(db)
    assert b"SQL built from an f-string" in stored  # the search does see inside checkpoints
    assert key not in stored
    assert env["OPENAI_API_KEY"] not in proc.stdout + proc.stderr
