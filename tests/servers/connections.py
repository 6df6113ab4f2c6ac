"""The connections a loopback server has open: counted, and cut when the server stops.

Both loopback servers keep connections alive as the real services do (GitHub always, the
model server on request): a kept-alive connection's handler thread waits on a read, so
``stop()`` cuts it, and tests count connections to see a client reuse them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any


class Connections:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.opened = 0  # connections clients have opened, all told

    def opening(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.add(conn)
            self.opened += 1

    def closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)

    def cut(self) -> None:
        """Shut every open connection down: their handlers' reads end at once."""
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)


class TrackedHandler(BaseHTTPRequestHandler):
    """A handler whose connection is in its server's ``tracked`` while it is open."""

    server: Any  # an HTTP server with ``tracked: Connections``

    def setup(self) -> None:
        super().setup()
        self.server.tracked.opening(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.tracked.closed(self.connection)
