"""Recognising a pull request reference: ``owner/repo#123`` or a PR URL on any GitHub host.

A PR URL also says where its API is, and the GitHub token is sent there: so a URL may only
name the configured ``GITHUB_API_URL`` host, github.com (which means the configured API), or
a host the operator listed in ``REVIEW_PANEL_GITHUB_HOSTS``. Anything else is refused before
any request, so a link pasted from anywhere cannot carry the token away.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlparse, urlsplit

from graph.errors import ConfigError

HOSTS_ENV = "REVIEW_PANEL_GITHUB_HOSTS"

_SHORT = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<number>\d+)$")
_PATH = re.compile(r"^/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/pull/(?P<number>\d+)(?:/.*)?$")


@dataclass(frozen=True)
class PullRef:
    owner: str
    repo: str
    number: int
    host: str | None = None  # the web host of a URL; None for the short form
    port: int | None = None  # the URL's port, when it names one
    scheme: str = "https"

    @property
    def label(self) -> str:
        return f"{self.owner}/{self.repo}#{self.number}"

    def api_url(self, configured: str) -> str:
        """The API base the token may be sent to for this PR; a ``ConfigError`` if none.

        The configured one, or ``SCHEME://HOST[:PORT]/api/v3`` for an Enterprise host listed
        in ``REVIEW_PANEL_GITHUB_HOSTS`` (the port of the URL is kept).
        """
        if not self.host or self.host in ("github.com", "www.github.com"):
            return configured
        where = _host_port(self.host, self.port, self.scheme)
        if where == _configured_host(configured):
            return configured
        if where in allowed_hosts():
            netloc = self.host if self.port is None else f"{self.host}:{self.port}"
            return f"{self.scheme}://{netloc}/api/v3"
        raise ConfigError(
            f"{self.label} is on {where}, which is not the GITHUB_API_URL host: GITHUB_TOKEN "
            f"is only sent there; to review pull requests on {where}, add it to {HOSTS_ENV}"
        )


def _host_port(host: str, port: int | None, scheme: str) -> str:
    """``host:port`` with the scheme's default port filled in, lower-cased."""
    return f"{host.lower()}:{port or (80 if scheme == 'http' else 443)}"


def _configured_host(url: str) -> str:
    parts = urlsplit(url)
    return _host_port(parts.hostname or "", parts.port, parts.scheme)


def allowed_hosts() -> set[str]:
    """``host:port`` of every host in ``REVIEW_PANEL_GITHUB_HOSTS`` (comma or space separated).

    Read from the environment at the moment of use, like the token it guards: it is the
    operator's setting, never a run setting.
    """
    hosts = set()
    for entry in re.split(r"[,\s]+", os.environ.get(HOSTS_ENV, "")):
        if not entry:
            continue
        parts = urlsplit(entry if "://" in entry else f"https://{entry}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"{HOSTS_ENV}: {entry!r} is not a host or host:port") from None
        if not parts.hostname:
            raise ConfigError(f"{HOSTS_ENV}: {entry!r} is not a host or host:port")
        hosts.add(_host_port(parts.hostname, port, parts.scheme))
    return hosts


def parse_pull_ref(target: str) -> PullRef | None:
    """The pull request ``target`` names, or None when it is not a PR reference at all."""
    text = target.strip()
    if "\n" in text or len(text) > 500:
        return None
    short = _SHORT.match(text)
    if short:
        return PullRef(short["owner"], short["repo"], int(short["number"]))
    if text.startswith(("https://", "http://")):
        url = urlparse(text)
        path = _PATH.match(url.path)
        try:
            port = url.port
        except ValueError:
            return None
        if path and url.hostname:
            number = int(path["number"])
            return PullRef(path["owner"], path["repo"], number, url.hostname, port, url.scheme)
    return None
