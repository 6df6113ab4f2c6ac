"""Bad input: a one-line error naming the problem, a non-zero exit, other threads untouched.

And the inputs that look bad but are not: CRLF files keep their line numbers, and a
50,000-line diff is reviewed, not refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, run_cli
from tests.servers.openai_server import ModelServer


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env


@pytest.fixture
def existing(env: dict[str, str]) -> list[dict]:
    """A paused thread that no bad input may disturb."""
    proc = run_cli("review", "examples/naming.diff", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(run_cli("threads", "--json", env=env).stdout)


BINARY_ONLY = (
    "diff --git a/a.png b/a.png\nindex 1..2 100644\nBinary files a/a.png and b/a.png differ\n"
)
DELETIONS_ONLY = (
    "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
    "@@ -1,2 +0,0 @@\n-a = 1\n-b = 2\n"
)
TRUNCATED = (EXAMPLES / "sql_injection.diff").read_text().rsplit("\n", 6)[0] + "\n"


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", 3, "the diff is empty: nothing to review"),
        (BINARY_ONLY.encode(), 3, "nothing to review: the diff only has binary files"),
        (DELETIONS_ONLY.encode(), 3, "nothing to review: the diff only has deleted files"),
        (TRUNCATED.encode(), 3, "the diff is malformed or truncated"),
        (b"just some text\n", 3, "not a unified diff"),
        (
            (EXAMPLES / "naming.diff").read_bytes().replace(b"tmp2", b"tm\xff2"),
            3,
            "is not UTF-8 (byte",
        ),
    ],
    ids=["empty", "binary-only", "deletions-only", "truncated", "not-a-diff", "non-utf8"],
)
def test_unusable_diff_is_refused_with_one_line(
    env: dict[str, str],
    existing: list[dict],
    tmp_path: Path,
    content: bytes,
    code: int,
    message: str,
) -> None:
    path = tmp_path / "input.diff"
    path.write_bytes(content)
    proc = run_cli("review", str(path), env=env)
    assert proc.returncode == code
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert json.loads(run_cli("threads", "--json", env=env).stdout) == existing


def test_prompt_file_with_a_typo_is_named(
    env: dict[str, str], existing: list[dict], tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    security = prompts / "security.yaml"
    security.write_text(security.read_text().replace("\nsystem:", "\nsytem:"))
    env["REVIEW_PANEL_PROMPTS"] = str(prompts)
    proc = run_cli("review", "examples/naming.diff", env=env)
    assert proc.returncode == 2
    assert f"{security}: missing key 'system'; unknown key 'sytem'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    env.pop("REVIEW_PANEL_PROMPTS")
    assert json.loads(run_cli("threads", "--json", env=env).stdout) == existing


def test_bad_setting_is_named(env: dict[str, str]) -> None:
    env["REVIEW_PANEL_STRUCTURED_OUTPUT"] = "xml"
    proc = run_cli("review", "examples/naming.diff", env=env)
    assert proc.returncode == 2
    assert "structured output method 'xml' is not one of" in proc.stderr
    env["REVIEW_PANEL_STRUCTURED_OUTPUT"] = "json_schema"
    env["REVIEW_PANEL_MAX_CONCURRENCY"] = "many"
    proc = run_cli("review", "examples/naming.diff", env=env)
    assert (
        proc.returncode == 2 and "REVIEW_PANEL_MAX_CONCURRENCY='many' is not valid" in proc.stderr
    )


def test_crlf_diff_keeps_line_numbers(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "crlf.diff"
    path.write_bytes((EXAMPLES / "sql_injection.diff").read_bytes().replace(b"\n", b"\r\n"))
    proc = run_cli("review", str(path), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = {
        (c["category"], c["anchor"]["line"]) for c in json.loads(proc.stdout)["draft"]["comments"]
    }
    assert lines >= {("sql-injection", 10), ("hardcoded-secret", 14), ("n-plus-one", 18)}


def test_fifty_thousand_line_diff_is_reviewed_not_refused(
    env: dict[str, str], tmp_path: Path, model_server: ModelServer
) -> None:
    parts = []
    for i in range(50):
        body = "".join(f"+value_{j} = compute({j})\n" for j in range(998))
        body += f'+query = f"SELECT * FROM t{i} WHERE id = {{uid}}"\n+done = True\n'
        parts.append(
            f"diff --git a/m{i}.py b/m{i}.py\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/m{i}.py\n@@ -0,0 +1,1000 @@\n{body}"
        )
    path = tmp_path / "huge.diff"
    path.write_text("".join(parts))
    env["REVIEW_PANEL_MAX_CONCURRENCY"] = "16"
    proc = run_cli("review", str(path), "--json", env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    draft = json.loads(proc.stdout)["draft"]
    injections = {c["path"] for c in draft["comments"] if c["category"] == "sql-injection"}
    assert injections == {f"m{i}.py" for i in range(50)}  # the last line of every file was read
    assert draft["coverage"]["reviewed"]["security"]["lines"] == 50_000
