"""`review-panel doctor`: one line per check, with the fix, against the loopback servers."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.servers.github_server import GitHubServer
from tests.servers.llamacpp import OneSlot
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer


def test_all_checks_pass_with_working_settings(
    github_env: dict[str, str], model_server: ModelServer, github_server: GitHubServer
) -> None:
    proc = run_cli("doctor", env=github_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ok", "ok", "ok", "ok"], proc.stdout
    assert "(1 model(s) listed)" in lines[0]
    assert "'gpt-4o-mini' is served" in lines[1]
    assert "json_schema: one structured answer parsed" in lines[2]
    assert "token accepted" in lines[3] and "requests left" in lines[3]


def test_a_server_that_refuses_json_schema_is_told_which_method_to_use(
    cli_env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.handler = OneSlot(answer)
    env = {k: v for k, v in cli_env.items() if k != "REVIEW_PANEL_MODEL"}
    proc = run_cli("doctor", env=env)
    assert proc.returncode == 6
    by_name = {line.split()[0] + " " + line.split()[1]: line for line in proc.stdout.splitlines()}
    assert by_name["warn model"].endswith(
        "'gpt-4o-mini' is the OpenAI default and REVIEW_PANEL_MODEL is not set: set it to "
        "the name your server serves"
    )
    structured = by_name["FAIL structured"]
    assert "REVIEW_PANEL_STRUCTURED_OUTPUT=function_calling" in structured
    assert "warn  github" in proc.stdout and "GITHUB_TOKEN is not set" in proc.stdout
    (error,) = proc.stderr.strip().splitlines()
    assert error.startswith("review-panel: error: 1 check(s) failed; first: structured output:")


def test_an_unreachable_endpoint_and_a_bad_token_are_each_one_line_with_the_fix(
    cli_env: dict[str, str], github_server: GitHubServer
) -> None:
    env = {
        **cli_env,
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "GITHUB_API_URL": github_server.base_url,
        "GITHUB_TOKEN": "ghp_wrong",
    }
    proc = run_cli("doctor", env=env)
    assert proc.returncode == 6, proc.stdout + proc.stderr
    endpoint, github = proc.stdout.splitlines()
    assert endpoint.startswith("FAIL  endpoint")
    assert endpoint.endswith("start the server, or fix OPENAI_BASE_URL (it includes /v1)")
    assert github.startswith("FAIL  github") and "check GITHUB_TOKEN" in github
    assert "ghp_wrong" not in proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
