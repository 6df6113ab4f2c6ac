"""``python -m evals.crb`` end to end, as CI runs it: two synthetic pull requests in the
benchmark's format, served by the loopback GitHub server and fetched through the product's
PyGithub client, reviewed by the rule-based panel model, judged by a scripted judge on the
loopback model server. The figures are computed here by hand from those rules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GITHUB_TOKEN, MODEL_KEY, ROOT
from tests.servers.github_server import GitHubServer
from tests.servers.judge_model import answer, pair
from tests.servers.openai_server import ModelServer

SHOP = """\
diff --git a/shop/users.py b/shop/users.py
new file mode 100644
--- /dev/null
+++ b/shop/users.py
@@ -0,0 +1,11 @@
+def find_user(conn, email):
+    sql = f"SELECT id, name FROM users WHERE email = '{email}'"
+    return conn.execute(sql).fetchone()
+
+
+def repeated(items):
+    seen = []
+    for item in items:
+        if items.count(item) > 1:
+            seen.append(item)
+    return seen
"""
WEB = """\
diff --git a/web/config.ts b/web/config.ts
new file mode 100644
--- /dev/null
+++ b/web/config.ts
@@ -0,0 +1,2 @@
+export const GITHUB_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
+export const VAT_RATE = 0.0725;
"""
GOLDEN = [
    {
        "pr_title": "Look users up by email",
        "url": "https://github.com/acme/shop/pull/1",
        "comments": [
            {
                "comment": "SQL injection: the email is put into the query by an f-string.",
                "severity": "Critical",
            },
            {
                "comment": "find_user returns None for an unknown email and callers do not check.",
                "severity": "Medium",
            },
        ],
    },
    {
        "pr_title": "Configuration constants",
        "url": "https://github.com/acme/web/pull/2",
        "comments": [
            {
                "comment": "A GitHub token is committed: a secret in source must be revoked.",
                "severity": "High",
            },
        ],
    },
]
GONE = {
    "pr_title": "A pull request GitHub does not know",
    "url": "https://github.com/acme/gone/pull/9",
    "comments": [{"comment": "Anything at all.", "severity": "Low"}],
}
# By the panel model's rules: shop#1 draws an sql-injection comment (line 2, matches the first
# golden comment) and a quadratic one (line 9, matches nothing): TP 1, FP 1, FN 1. web#2 draws
# a hardcoded-secret comment (matches) and a magic-number one (does not): TP 1, FP 1, FN 0.
# Whole set: TP 2, FP 2, FN 1: precision 2/4, recall 2/3, F1 2*(1/2)*(2/3)/(1/2+2/3) = 4/7.


@pytest.fixture(scope="module")
def servers() -> Any:
    with GitHubServer(token=GITHUB_TOKEN) as github, ModelServer(answer) as model:
        github.add_pull("acme", "shop", 1, SHOP, title="Look users up by email")
        github.add_pull("acme", "web", 2, WEB, title="Configuration constants")
        yield github, model


@pytest.fixture(scope="module")
def golden_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("golden")
    (root / "acme.json").write_text(json.dumps(GOLDEN), encoding="utf-8")
    (root / "zz-gone.json").write_text(json.dumps([GONE]), encoding="utf-8")  # read last
    return root


def crb(
    servers: tuple[GitHubServer, ModelServer], *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    github, model = servers
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "REVIEW_PANEL_", "GITHUB_"))
    }
    full = {
        **clean,
        "OPENAI_BASE_URL": model.base_url,
        "OPENAI_API_KEY": MODEL_KEY,
        "REVIEW_PANEL_MAX_RETRIES": "0",
        "GITHUB_API_URL": github.base_url,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "evals.crb", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def first_run(
    servers: tuple[GitHubServer, ModelServer],
    golden_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """One JSON run over both PRs with a fresh cache, and the requests each server saw."""
    cache = tmp_path_factory.mktemp("cache")
    github, model = servers
    proc = crb(
        servers,
        "--golden",
        str(golden_dir),
        "--cache",
        str(cache),
        "--json",
        "--judge-model",
        "judge-model-x",
    )
    assert proc.returncode == 0, proc.stderr
    return {
        "data": json.loads(proc.stdout),
        "cache": cache,
        "github": list(github.requests),
        "judged": [(r.model, pair(r)) for r in model.requests if pair(r) is not None],
        "panel_models": {r.model for r in model.requests if pair(r) is None},
    }


def test_the_figures_on_the_whole_set_are_the_hand_computed_ones(first_run: dict[str, Any]) -> None:
    data = first_run["data"]
    assert data["totals"] == {
        "tp": 2,
        "fp": 2,
        "fn": 1,
        "precision": pytest.approx(2 / 4),
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(4 / 7),
    }
    per_pr = {
        p["url"]: (p["tp"], p["fp"], p["fn"], len(p["comments"])) for p in data["pull_requests"]
    }
    assert per_pr == {
        "https://github.com/acme/shop/pull/1": (1, 1, 1, 2),
        "https://github.com/acme/web/pull/2": (1, 1, 0, 2),
        GONE["url"]: (None, None, None, 0),
    }
    shop = data["pull_requests"][0]
    assert shop["matched"] == [
        {
            "golden": 0,
            "comment": shop["comments"].index(next(c for c in shop["comments"] if "line 2:" in c)),
        }
    ]
    assert (data["scored_prs"], data["golden_comments"], data["judge_errors"]) == (2, 3, 0)


def test_a_pull_request_github_does_not_know_is_reported_and_left_out(
    first_run: dict[str, Any],
) -> None:
    data = first_run["data"]
    assert (data["prs"], data["scored_prs"]) == (3, 2)
    gone = data["pull_requests"][2]
    assert gone["url"] == GONE["url"] and gone["status"] == "not fetched"
    assert "not found" in gone["problem"] and gone["tp"] is None


def test_the_judge_sees_every_pair_with_its_own_model(first_run: dict[str, Any]) -> None:
    judged = first_run["judged"]
    assert {m for m, _ in judged} == {"judge-model-x"}
    assert first_run["panel_models"] == {"gpt-4o-mini"}  # the panel keeps its own model
    assert len(judged) == 2 * 2 + 1 * 2  # golden x comments, per PR
    goldens = {g for _, (g, _) in judged}
    assert goldens == {c["comment"] for pr in GOLDEN for c in pr["comments"]}  # type: ignore[union-attr]
    assert all(c.startswith(("shop/users.py line ", "web/config.ts line ")) for _, (_, c) in judged)


def test_each_diff_comes_from_github_through_the_product_client(first_run: dict[str, Any]) -> None:
    diffs = [
        r
        for r in first_run["github"]
        if r.method == "GET" and "application/vnd.github.v3.diff" in r.headers.get("accept", "")
    ]
    assert sorted(r.path for r in diffs) == ["/repos/acme/shop/pulls/1", "/repos/acme/web/pulls/2"]
    assert all(r.headers["authorization"] == f"token {GITHUB_TOKEN}" for r in diffs)
    cached = sorted(p.name for p in first_run["cache"].iterdir())
    assert cached == ["github.com__acme__shop__1.diff", "github.com__acme__web__2.diff"]
    assert (first_run["cache"] / cached[0]).read_text() == SHOP


def test_a_second_run_reads_the_cache_and_needs_no_token(
    servers: tuple[GitHubServer, ModelServer], golden_dir: Path, first_run: dict[str, Any]
) -> None:
    github, _ = servers
    before = len(github.requests)
    proc = crb(
        servers,
        "--golden",
        str(golden_dir),
        "--cache",
        str(first_run["cache"]),
        "--limit",
        "1",
        GITHUB_TOKEN="",
    )
    assert proc.returncode == 0, proc.stderr
    assert len(github.requests) == before
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Code Review Benchmark (offline set): 1 of 1 pull requests scored")
    # The judge's model is the panel's by default; the roster is the default one.
    assert lines[1] == (
        "panel model gpt-4o-mini (security, performance, style); judge model gpt-4o-mini"
    )
    row = next(line.split() for line in lines if line.startswith("review-panel "))
    assert row[1:] == ["0.500", "0.500", "0.500", "1", "1", "1"]  # shop#1 alone
    published = next(line.split() for line in lines if line.startswith("augment"))
    assert published[-6:] == ["0.470", "0.628", "0.538", "86", "97", "51"]


def test_no_token_and_nothing_cached_is_a_one_line_error(
    servers: tuple[GitHubServer, ModelServer], golden_dir: Path, tmp_path: Path
) -> None:
    proc = crb(servers, "--golden", str(golden_dir), "--cache", str(tmp_path), GITHUB_TOKEN="")
    assert proc.returncode == 11
    assert proc.stderr.splitlines()[-1].startswith("evals.crb: error: GITHUB_TOKEN is not set")
    assert "Traceback" not in proc.stderr
