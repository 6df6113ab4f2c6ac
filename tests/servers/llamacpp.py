"""Make the loopback model server behave like a local llama.cpp-style server.

What was measured against a real one (shared field notes): it has ONE slot, so concurrent
requests queue on the server and are computed one after another, including requests whose
client already gave up; and it refuses ``response_format`` ``json_schema`` with a 500 whose
message is the pydantic validation error below. ``function_calling`` works.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tests.servers.openai_server import ChatRequest, Handler, Reply

# The validation error llama-cpp-python's server answers for response_format json_schema.
JSON_SCHEMA_REFUSAL = (
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}]"
)


@dataclass
class OneSlot:
    """A handler wrapper: one request computed at a time, ``compute`` seconds each."""

    inner: Handler
    compute: float = 0.0
    computed: int = 0  # requests the server finished computing, read or not
    _slot: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: ChatRequest) -> Reply:
        if request.method == "json_schema":
            return Reply.error(500, JSON_SCHEMA_REFUSAL, type_="internal_server_error")
        with self._slot:  # the one slot: everyone else queues here, on the server
            time.sleep(self.compute)  # emulated compute time of a small CPU model
            self.computed += 1
            return self.inner(request)
