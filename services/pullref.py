"""Recognising a pull request reference: ``owner/repo#123`` or a PR URL on any GitHub host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

_SHORT = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<number>\d+)$")
_PATH = re.compile(r"^/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/pull/(?P<number>\d+)(?:/.*)?$")


@dataclass(frozen=True)
class PullRef:
    owner: str
    repo: str
    number: int
    host: str | None = None  # the web host of a URL; None for the short form

    @property
    def label(self) -> str:
        return f"{self.owner}/{self.repo}#{self.number}"

    def api_url(self, configured: str) -> str:
        """The API base: the configured one, or ``https://HOST/api/v3`` for an Enterprise URL."""
        if self.host and self.host not in ("github.com", "www.github.com"):
            configured_host = urlparse(configured).hostname
            if configured_host != self.host:
                return f"https://{self.host}/api/v3"
        return configured


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
        if path and url.hostname:
            return PullRef(path["owner"], path["repo"], int(path["number"]), url.hostname)
    return None
