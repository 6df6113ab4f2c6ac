"""What the inbox tests share: a loopback model and GitHub, reviews made by the real CLI, and
``review-panel inbox`` running as a subprocess with both sign-in modes on.

The model stands in for the panel (``tests/servers/panel_model.py``); for the file
``hostile.py`` its security finding carries markup and a markdown link, as a model that was
talked into it by a diff would write, and the first security call on ``flaky.py`` fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from tests.conftest import GITHUB_TOKEN, MODEL_KEY, ROOT
from tests.integration.conftest import free_port, server_env
from tests.integration.conftest import stop_group as stop
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, findings_for, which

INBOX_TOKEN = "inbox-token-for-tests-0123456789"
CLIENT_ID, CLIENT_SECRET = "Iv1.inboxtests", "oauth-secret-for-tests"
SCRIPT = "<script>document.title='pwned'</script>"
LINK = "[click me](javascript:document.title='pwned')"
IMG = "<img src=x onerror=\"document.title='pwned'\">"

PR_DIFF = (ROOT / "examples" / "sql_injection.diff").read_text()
HOSTILE_DIFF = """\
diff --git a/hostile.py b/hostile.py
new file mode 100644
--- /dev/null
+++ b/hostile.py
@@ -0,0 +1,3 @@
+def find(db, name):
+    query = f"SELECT * FROM users WHERE name = '{name}'"
+    return db.execute(query)
"""


FLAKY_DIFF = HOSTILE_DIFF.replace("hostile.py", "flaky.py")
_failed_once: set[str] = set()


def hostile_answer(request: ChatRequest) -> Reply:
    if which(request) == "security" and "flaky.py" in request.user:
        key = hashlib.sha1(request.user.encode()).hexdigest()
        if key not in _failed_once:  # the first security call on flaky.py fails
            _failed_once.add(key)
            return Reply.error(500, "the model server is overloaded")
    if which(request) == "security" and "hostile.py" in request.user:
        findings = findings_for("security", request.user)
        for f in findings:
            f["title"] = f"SQL injection {SCRIPT}"
            f["rationale"] = f"See {LINK} and {IMG} for details."
        return Reply.json({"findings": findings})
    return answer(request)


@dataclass
class Inbox:
    url: str  # http://127.0.0.1:PORT
    sign_in_link: str
    process: subprocess.Popen[str]
    env: dict[str, str]
    stderr: list[str] = field(default_factory=list)

    def http(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, follow_redirects=False, **kwargs)

    def bearer(self) -> httpx.Client:
        return self.http(headers={"Authorization": f"Bearer {INBOX_TOKEN}"})

    def state(self, thread_id: str) -> dict[str, Any]:
        with self.bearer() as client:
            answer = client.get(f"/inbox/{thread_id}")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data


@dataclass
class World:
    github: GitHubServer
    model: ModelServer
    env: dict[str, str]
    inbox: Inbox
    next_number: list[int] = field(default_factory=lambda: [100])

    def local(self, name: str) -> str:
        """A review of ``examples/<name>``, named as a person in the repo would type it."""
        path = ROOT / "examples" / name
        return self.review(os.path.relpath(path) if Path.cwd() == ROOT else str(path))

    def review(self, target: str) -> str:
        """A review made by the CLI's own code, paused for approval; its thread id.

        In this process rather than as ``review-panel review``: the same code and database,
        without a Python start-up per review (the CLI as a process is tested elsewhere).
        """
        from cli import session

        out = io.StringIO()
        with mock.patch.dict(os.environ, self.env, clear=True), redirect_stdout(out):
            asyncio.run(session.review(target, None, as_json=True))
        return str(json.loads(out.getvalue())["thread_id"])

    def pull(self, diff: str = PR_DIFF, owner: str = "octo", repo: str = "app") -> tuple[str, int]:
        """A new pull request on the loopback GitHub, reviewed: (thread id, number)."""
        number = self.next_number[0]
        self.next_number[0] += 1
        head = hashlib.sha1(f"{owner}/{repo}#{number}".encode()).hexdigest()
        self.github.add_pull(owner, repo, number, diff, head_sha=head)
        return self.review(f"{owner}/{repo}#{number}"), number


def start_inbox(env: dict[str, str], port: int, timeout: float = 30.0) -> Inbox:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "inbox", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = ""
    while not line.startswith("sign in: "):
        ready, _, _ = select.select([process.stdout], [], [], max(deadline - time.monotonic(), 0))
        if not ready or process.poll() is not None:
            stop(process)
            pytest.fail(f"review-panel inbox did not print its link: {process.stderr.read()}")
        line = process.stdout.readline()
    return Inbox(f"http://127.0.0.1:{port}", line.removeprefix("sign in: ").strip(), process, env)


def world(tmp: Path) -> Iterator[World]:
    with (
        ModelServer(hostile_answer) as model,
        GitHubServer(token=GITHUB_TOKEN) as github,
    ):
        port = free_port()
        github.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"http://127.0.0.1:{port}/inbox/")
        env = server_env(
            {
                "OPENAI_BASE_URL": model.base_url,
                "OPENAI_API_KEY": MODEL_KEY,
                "REVIEW_PANEL_MAX_RETRIES": "0",
                "REVIEW_PANEL_DB": str(tmp / "reviews.sqlite"),
                "GITHUB_API_URL": github.base_url,
                "GITHUB_TOKEN": GITHUB_TOKEN,
            }
        )
        inbox_env = env | {
            "REVIEW_PANEL_INBOX_TOKEN": INBOX_TOKEN,
            "GITHUB_OAUTH_CLIENT_ID": CLIENT_ID,
            "GITHUB_OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        }
        inbox = start_inbox(inbox_env, port)
        try:
            yield World(github, model, env, inbox)
        finally:
            stop(inbox.process)
