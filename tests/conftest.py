"""Shared fixtures: a clean environment for every test, and the loopback model server."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import postgres_cluster, postgres_url  # noqa: F401  (fixtures)
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_PREFIXES = (
    "OPENAI_",
    "REVIEW_PANEL_",
    "GITHUB_",
    "AZURE_OPENAI_",
    "LANGSMITH_",
    "LANGCHAIN_",
    "PG",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's keys or settings; monkeypatch restores them after."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    with ModelServer(answer) as server:
        yield server


@pytest.fixture
def model_env(model_server: ModelServer, monkeypatch: pytest.MonkeyPatch) -> ModelServer:
    """Point langchain-openai at the loopback model server for this test."""
    monkeypatch.setenv("OPENAI_BASE_URL", model_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-model-key-123456")
    monkeypatch.setenv("REVIEW_PANEL_MAX_RETRIES", "0")
    return model_server


MODEL_KEY = "sk-test-model-key-123456"


@pytest.fixture
def cli_env(model_server: ModelServer, tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI process: the loopback model and a fresh SQLite file."""
    # The test process's environment is already clean (see clean_env).
    return {
        **os.environ,
        "OPENAI_BASE_URL": model_server.base_url,
        "OPENAI_API_KEY": MODEL_KEY,
        "REVIEW_PANEL_MODEL": "gpt-4o-mini",  # the one the loopback server lists
        "REVIEW_PANEL_DB": str(tmp_path / "reviews.sqlite"),
    }


@pytest.fixture
def github_env(cli_env: dict[str, str], github_server: GitHubServer) -> dict[str, str]:
    """``cli_env`` plus the loopback GitHub server and its token."""
    return {**cli_env, "GITHUB_API_URL": github_server.base_url, "GITHUB_TOKEN": GITHUB_TOKEN}


def stored_bytes(db: Path) -> bytes:
    """Every byte the SQLite checkpoint files hold, compressed values also inflated.

    Checkpoints are zlib-compressed (graph/serde.py), so a search of the raw file alone would
    never find a secret even if one were stored.
    """
    found = [p.read_bytes() for p in db.parent.glob(db.name + "*")]
    conn = sqlite3.connect(db)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        with contextlib.suppress(zlib.error):
                            found.append(zlib.decompress(value))
    finally:
        conn.close()
    return b"".join(found)


def run_cli(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``review-panel`` in a NEW process, as a person would."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    with GitHubServer(token=GITHUB_TOKEN) as server:
        yield server


GITHUB_TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"
