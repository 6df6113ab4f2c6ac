"""Every setting is checked when a context is made: a bad value is one error naming it."""

from __future__ import annotations

import pytest

from graph.context import Context, github_max_wait
from graph.errors import ConfigError

BAD_ENVIRONMENT = [
    ("REVIEW_PANEL_TIMEOUT", "nan", "REVIEW_PANEL_TIMEOUT"),
    ("REVIEW_PANEL_TIMEOUT", "inf", "REVIEW_PANEL_TIMEOUT"),
    ("REVIEW_PANEL_TIMEOUT", "0", "REVIEW_PANEL_TIMEOUT"),
    ("REVIEW_PANEL_TEMPERATURE", "nan", "REVIEW_PANEL_TEMPERATURE"),
    ("REVIEW_PANEL_TEMPERATURE", "-3", "REVIEW_PANEL_TEMPERATURE"),
    ("REVIEW_PANEL_TEMPERATURE", "9", "REVIEW_PANEL_TEMPERATURE"),
    ("REVIEW_PANEL_MAX_RPS", "1e-9", "REVIEW_PANEL_MAX_RPS"),
    ("REVIEW_PANEL_MAX_RPS", "-1", "REVIEW_PANEL_MAX_RPS"),
    ("REVIEW_PANEL_MAX_RPS", "inf", "REVIEW_PANEL_MAX_RPS"),
    ("REVIEW_PANEL_GITHUB_MAX_WAIT", "abc", "REVIEW_PANEL_GITHUB_MAX_WAIT"),
    ("REVIEW_PANEL_GITHUB_MAX_WAIT", "-1", "REVIEW_PANEL_GITHUB_MAX_WAIT"),
    ("REVIEW_PANEL_GITHUB_MAX_WAIT", "nan", "REVIEW_PANEL_GITHUB_MAX_WAIT"),
    ("REVIEW_PANEL_MIN_CONFIDENCE", "nan", "REVIEW_PANEL_MIN_CONFIDENCE"),
    ("REVIEW_PANEL_MAX_RETRIES", "-1", "REVIEW_PANEL_MAX_RETRIES"),
    ("REVIEW_PANEL_CHUNK_TOKENS", "0", "REVIEW_PANEL_CHUNK_TOKENS"),
    ("REVIEW_PANEL_PRICES", '{"m": {"input": Infinity, "output": 1}}', "REVIEW_PANEL_PRICES"),
    ("GITHUB_API_URL", "notaurl", "GITHUB_API_URL"),
    ("GITHUB_API_URL", "ftp://ghe.example/api/v3", "GITHUB_API_URL"),
    ("GITHUB_API_URL", "https://ghe.example:99999/api/v3", "GITHUB_API_URL"),
    ("GITHUB_API_URL", "https://ghe.example:port/api/v3", "GITHUB_API_URL"),
    ("GITHUB_API_URL", "https://bot:hunter2@ghe.example/api/v3", "GITHUB_API_URL"),
    ("OPENAI_BASE_URL", "localhost:8080/v1", "OPENAI_BASE_URL"),
    ("OPENAI_BASE_URL", "http://localhost:70000/v1", "OPENAI_BASE_URL"),
]


@pytest.mark.parametrize(("name", "value", "named"), BAD_ENVIRONMENT)
def test_a_bad_setting_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        Context()
    message = str(raised.value)
    assert named in message
    assert "\n" not in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("timeout", float("nan"), "REVIEW_PANEL_TIMEOUT"),
        ("temperature", float("nan"), "REVIEW_PANEL_TEMPERATURE"),
        ("max_rps", 1e-9, "REVIEW_PANEL_MAX_RPS"),
        ("github_max_wait", float("inf"), "REVIEW_PANEL_GITHUB_MAX_WAIT"),
        ("github_api_url", "ftp://x", "GITHUB_API_URL"),
    ],
)
def test_a_bad_run_setting_from_studio_is_refused_naming_it(
    field: str, value: object, named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        Context.from_overrides(**{field: value})


def test_good_settings_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_PANEL_MAX_RPS", "0.5")
    monkeypatch.setenv("REVIEW_PANEL_GITHUB_MAX_WAIT", "5")
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example:8443/api/v3")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:pw@127.0.0.1:8080/v1")
    context = Context()
    assert (context.max_rps, context.github_max_wait) == (0.5, 5.0)
    assert context.github_api_url == "https://ghe.example:8443/api/v3"
    assert github_max_wait() == 5.0


def test_the_github_wait_read_outside_a_context_is_validated_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEW_PANEL_GITHUB_MAX_WAIT", "abc")
    with pytest.raises(ConfigError, match="REVIEW_PANEL_GITHUB_MAX_WAIT"):
        github_max_wait()
