"""Files at a commit never change: remember the few a review reads more than once.

One review reads the repository's ``.review-panel.yaml`` at the PR's base up to three times
(the team service's ``auto_review`` check, the guidelines' ``instructions:``, noise control),
each a GitHub request. A commit SHA names immutable content, so a file read once at a SHA is
that file every time; a branch or tag name is not immutable and is never kept. The cache is
per process and bounded (entries, and characters per file). Its key holds the API host and the
repository, and a process reads a repository with one identity (the token, or that
repository's installation), so a file is never handed to an identity that did not read it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

MAX_ENTRIES = 256
MAX_CHARS = 64 * 1024
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")

Key = tuple[str, str, str, str]  # (API URL, owner/repo lower-cased, path, commit SHA)


class CommitFiles:
    """An LRU of file texts (None: no such file) at full commit SHAs; thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict[Key, str | None] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    @staticmethod
    def key(api_url: str, repo: str, path: str, ref: str) -> Key | None:
        """The key for ``path`` at ``ref``, or None when ``ref`` is not a full commit SHA."""
        if not _SHA.match(ref):
            return None
        return (api_url.rstrip("/"), repo.lower(), path, ref.lower())

    def get(self, key: Key | None) -> tuple[bool, str | None]:
        """(found, text): ``found`` tells a known missing file (None) from an unknown one.
        A None key (a ref that is not a commit SHA) is never found."""
        if key is None:
            return False, None
        with self._lock:
            if key not in self._items:
                return False, None
            self._items.move_to_end(key)
            return True, self._items[key]

    def put(self, key: Key | None, text: str | None) -> None:
        """Remember ``text`` (None: no such file) at ``key``; a None key is not kept."""
        if key is None or (text is not None and len(text) > MAX_CHARS):
            return
        with self._lock:
            self._items[key] = text
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


files = CommitFiles()
