"""What a hostile PR carries never reaches the model, and our own endpoints never reach print.

Every secret format in the table (tests/unit/test_secrets.py) is put in a pull request (the
diff, the title, the body) and looked for in every request the loopback model server
recorded. A model endpoint URL with a password in it fails, and the failure is published
without the URL, the host or the password, and stored nowhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, MODEL_KEY, run_cli, stored_bytes
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which
from tests.unit.test_secrets import EXAMPLES as SECRET_EXAMPLES
from tests.unit.test_secrets import PEM_BODY, PGP_BODY

TITLE_TOKEN = "ghp_" + "T1tleT0ken" * 4
BODY_TOKEN = "xoxb-2222222222-bodytokenbodytoken"
KEY_LINES = [
    "KEY = '''",
    "-----BEGIN RSA PRIVATE KEY-----",
    *PEM_BODY,
    "-----END RSA PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    *PGP_BODY,
    "-----END PGP PRIVATE KEY BLOCK-----",
    "'''",
]


def _diff() -> str:
    added = [line for _, line, _ in SECRET_EXAMPLES] + KEY_LINES
    body = "".join(f"+{line}\n" for line in added)
    return (
        "diff --git a/config/settings.py b/config/settings.py\nnew file mode 100644\n"
        f"--- /dev/null\n+++ b/config/settings.py\n@@ -0,0 +1,{len(added)} @@\n{body}"
    )


def test_no_secret_of_the_table_reaches_any_model_request(
    github_env: dict[str, str], github_server: GitHubServer, model_server: ModelServer
) -> None:
    github_server.add_pull(
        "octo",
        "leaky",
        3,
        _diff(),
        title=f"Rotate {TITLE_TOKEN}",
        body=f"Slack bot: {BODY_TOKEN}\nwebhook https://hooks.slack.com/services/T1/B2/abcdefgh",
    )
    proc = run_cli("review", "octo/leaky#3", "--json", env=github_env)
    assert proc.returncode == 0, proc.stderr
    requests = model_server.requests
    assert {which(r) for r in requests} >= {"security", "orchestrator"}
    sent = "\n".join(r.prompt_text for r in requests)
    secret_values = [value for _, _, value in SECRET_EXAMPLES] + [TITLE_TOKEN, BODY_TOKEN]
    secret_values += [line for line in PEM_BODY + PGP_BODY if len(line) > 6]
    secret_values += ["hooks.slack.com/services/T1/B2/abcdefgh"]
    leaked = [v for v in secret_values if "BEGIN" not in v and v in sent]
    assert leaked == []
    for kind in {k for k, _, _ in SECRET_EXAMPLES}:
        assert f"[REDACTED {kind}]" in sent
    orchestrator = [r for r in requests if which(r) == "orchestrator"]
    assert "[REDACTED GitHub token]" in orchestrator[0].user  # the PR title, masked there too
    # The security reviewer still reports them, by location, whatever the model saw.
    draft = json.loads(proc.stdout)["draft"]
    flagged = [c for c in draft["comments"] if c["category"] == "hardcoded-secret"]
    secret_lines = {c["start_line"] for c in flagged}
    assert len(secret_lines) >= len(SECRET_EXAMPLES) - 2


PASSWORD = "hunter2-model-proxy"


def _failing_security(request: ChatRequest) -> Reply:
    if which(request) == "security":
        return Reply.error(500, "upstream http://10.9.8.7:9000/internal/generate is down")
    return answer(request)


@pytest.fixture
def failing_model() -> Iterator[ModelServer]:
    with ModelServer(_failing_security) as server:
        yield server


def test_model_endpoint_with_credentials_is_never_published_nor_stored(
    github_env: dict[str, str],
    github_server: GitHubServer,
    failing_model: ModelServer,
    tmp_path: Path,
) -> None:
    host_and_path = failing_model.base_url.removeprefix("http://")
    env = {
        **github_env,
        "OPENAI_BASE_URL": f"http://proxyuser:{PASSWORD}@{host_and_path}",
        "REVIEW_PANEL_MAX_RETRIES": "0",
        "REVIEW_PANEL_DB": str(tmp_path / "endpoint.sqlite"),
    }
    github_server.add_pull("octo", "demo", 4, (EXAMPLES / "sql_injection.diff").read_text())
    review = run_cli("review", "octo/demo#4", "--json", env=env)
    assert review.returncode == 0, review.stderr
    draft = json.loads(review.stdout)["draft"]
    failures = "\n".join(draft["failures"])
    assert "security could not review" in failures and "answered 500" in failures
    approve = run_cli("approve", json.loads(review.stdout)["thread_id"], env=env)
    assert approve.returncode == 0, approve.stderr
    (posted,) = github_server.reviews("octo", "demo", 4)
    assert "answered 500" in posted["body"]
    everything = review.stdout + review.stderr + approve.stdout + approve.stderr + posted["body"]
    for secret in (PASSWORD, "proxyuser", MODEL_KEY):
        assert secret not in everything
    # The endpoint itself may show in the thread's own settings (`show --json`), never in
    # what a review says.
    public = json.dumps(draft) + json.loads(review.stdout)["markdown"] + posted["body"]
    for endpoint in (host_and_path, "10.9.8.7"):
        assert endpoint not in public
    stored = stored_bytes(tmp_path / "endpoint.sqlite")
    assert PASSWORD.encode() not in stored
    assert b"10.9.8.7" not in stored
