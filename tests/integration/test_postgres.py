"""The CLI on Postgres: each step in a NEW process, as workers on several machines would run it.

The CLI contract itself runs on both back ends in tests/integration/test_cli.py
(``any_db_env``); this file has what only Postgres has, against a real throwaway cluster
(tests/pg.py) and, for pull requests, the loopback GitHub server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import psycopg
import pytest

from tests.conftest import EXAMPLES, GITHUB_TOKEN, ROOT, run_cli
from tests.pg import PostgresCluster, free_port
from tests.servers.github_server import GitHubServer

pytestmark = pytest.mark.server

MODEL_KEY = "sk-test-model-key-123456"


@pytest.fixture
def env(cli_env: dict[str, str], postgres_url: str) -> dict[str, str]:
    return {**cli_env, "REVIEW_PANEL_DB": postgres_url}


@pytest.fixture
def github_env(env: dict[str, str], github_server: GitHubServer) -> dict[str, str]:
    diff = (EXAMPLES / "sql_injection.diff").read_text()
    github_server.add_pull("octo", "demo", 7, diff, title="Add user lookup")
    return {
        **env,
        "GITHUB_API_URL": github_server.base_url,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "REVIEW_PANEL_GITHUB_MAX_WAIT": "5",
    }


def cli_json(*args: str, env: dict[str, str]) -> Any:
    proc = run_cli(*args, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def stored_bytes(url: str) -> bytes:
    """Everything the checkpointer wrote to Postgres: checkpoints, metadata, blobs, writes."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT convert_to(checkpoint::text || metadata::text, 'UTF8') FROM checkpoints "
            "UNION ALL SELECT blob FROM checkpoint_blobs WHERE blob IS NOT NULL "
            "UNION ALL SELECT blob FROM checkpoint_writes"
        ).fetchall()
    return b"\n".join(bytes(r[0]) for r in rows)


def stored_threads(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}


def test_pull_request_flow_posts_exactly_one_review(
    github_env: dict[str, str], github_server: GitHubServer
) -> None:
    started = cli_json("review", "octo/demo#7", env=github_env)
    thread = started["thread_id"]
    done = cli_json("approve", thread, env=github_env)
    again = run_cli("approve", thread, env=github_env)
    (posted,) = github_server.reviews("octo", "demo", 7)
    assert done["status"] == "posted"
    assert done["result"]["review_id"] == posted["id"]
    assert posted["event"] == started["draft"]["verdict"]
    assert started["draft"]["summary"] in posted["body"]
    assert f"review-panel:thread={thread} " in posted["body"]
    assert again.returncode == 4 and "already posted" in again.stderr


def test_threads_lists_the_threads_in_postgres(env: dict[str, str]) -> None:
    first = cli_json("review", "examples/sql_injection.diff", env=env)["thread_id"]
    second = cli_json("review", "examples/naming.diff", env=env)["thread_id"]
    cli_json("approve", first, env=env)
    listed = cli_json("threads", env=env)
    assert {t["thread_id"]: (t["status"], t["target"]) for t in listed} == {
        first: ("written", "examples/sql_injection.diff"),
        second: ("awaiting approval", "examples/naming.diff"),
    }
    assert stored_threads(env["REVIEW_PANEL_DB"]) == {first, second}


def test_secrets_never_reach_the_postgres_checkpoints(
    github_env: dict[str, str], github_server: GitHubServer
) -> None:
    thread = cli_json("review", "octo/demo#7", env=github_env)["thread_id"]
    cli_json("approve", thread, env=github_env)
    stored = stored_bytes(github_env["REVIEW_PANEL_DB"])
    assert b"Add user lookup" in stored  # the query does see what was written ...
    assert GITHUB_TOKEN.encode() not in stored and MODEL_KEY.encode() not in stored


def test_workers_starting_together_on_a_fresh_database_all_succeed(env: dict[str, str]) -> None:
    # Each creates the checkpoint tables if missing; at once, they must take turns.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "threads", "--json"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [(code, json.loads(out)) for code, out, _ in results] == [(0, [])] * 4, results


@pytest.mark.parametrize("fault", ["refused", "wrong password"])
def test_unusable_database_is_one_line_without_the_password(
    env: dict[str, str], postgres_cluster: PostgresCluster, fault: str
) -> None:
    password = "pw-MustNotLeak-4711"
    port = free_port() if fault == "refused" else postgres_cluster.port
    url = f"postgresql://review_panel:{password}@127.0.0.1:{port}/postgres"
    for args in (["threads"], ["review", "examples/sql_injection.diff"], ["approve", "abc"]):
        proc = run_cli(*args, env={**env, "REVIEW_PANEL_DB": url})
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith(
            f"review-panel: error: cannot use the Postgres database 127.0.0.1:{port}/postgres "
            "(REVIEW_PANEL_DB / --db): "
        )
        expected = "Connection refused" if fault == "refused" else "password authentication failed"
        assert expected in proc.stderr
        assert password not in proc.stderr + proc.stdout
        assert url not in proc.stderr + proc.stdout
