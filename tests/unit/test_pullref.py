"""Which API a PR reference sends the token to."""

from __future__ import annotations

import pytest

from graph.errors import ConfigError
from services.pullref import parse_pull_ref

CONFIGURED = "https://api.github.com"


def _api(target: str, configured: str = CONFIGURED) -> str:
    ref = parse_pull_ref(target)
    assert ref is not None
    return ref.api_url(configured)


def test_short_form_and_github_com_links_use_the_configured_api() -> None:
    assert _api("octo/demo#7") == CONFIGURED
    assert _api("https://github.com/octo/demo/pull/7") == CONFIGURED


def test_a_link_on_the_configured_enterprise_host_uses_it() -> None:
    configured = "https://ghe.example:8443/api/v3"
    assert _api("https://ghe.example:8443/octo/demo/pull/7/files", configured) == configured


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/octo/demo/pull/7",
        "https://ghe.example:9999/octo/demo/pull/7",  # the allowed host, another port
        "http://ghe.example/octo/demo/pull/7",  # port 80, not the allowed 443
    ],
)
def test_any_other_host_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.setenv("REVIEW_PANEL_GITHUB_HOSTS", "ghe.example")
    with pytest.raises(ConfigError, match="REVIEW_PANEL_GITHUB_HOSTS"):
        _api(target)


def test_an_allowed_host_keeps_its_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_PANEL_GITHUB_HOSTS", "ghe.example:8443 other.example")
    assert _api("https://ghe.example:8443/octo/demo/pull/7") == "https://ghe.example:8443/api/v3"
    assert _api("https://other.example/octo/demo/pull/7") == "https://other.example/api/v3"


def test_a_malformed_allow_list_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_PANEL_GITHUB_HOSTS", "ghe.example:port")
    with pytest.raises(ConfigError, match="REVIEW_PANEL_GITHUB_HOSTS"):
        _api("https://ghe.example/octo/demo/pull/7")
