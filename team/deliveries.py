"""Deliveries already taken, by ``X-GitHub-Delivery``: a redelivery starts nothing.

GitHub redelivers (by hand or through its API) with the same GUID and payload. This is the
first, cheap filter, in the memory of one process and bounded; what makes a review start once
everywhere is the thread per PR head (``team.threads``), which holds across processes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_SIZE = 10_000


class Deliveries:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, delivery: str) -> bool:
        """True the first time ``delivery`` is offered; False for a repeat."""
        if not delivery:
            return True  # no id to compare: the thread per head still keeps it idempotent
        with self._lock:
            if delivery in self._seen:
                self._seen.move_to_end(delivery)
                return False
            self._seen[delivery] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True
