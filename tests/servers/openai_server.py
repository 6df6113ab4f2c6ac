"""A scripted, OpenAI-compatible Chat Completions server on loopback.

Why: the reviewer reaches its models through the real langchain-openai client, so tests
exercise the real HTTP path (payloads, structured-output parsing, retries, timeouts, SSE)
by pointing ``ChatOpenAI(base_url=server.base_url, api_key="test-key")`` here and scripting
what the "model" answers per call. Standard library only: no new dependencies.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Literal

from tests.servers.connections import Connections, TrackedHandler

_ids = itertools.count(1)  # next() on a count is atomic under the GIL: ids stay unique


def _text(content: Any) -> str:
    """Plain text of a message ``content``: a string or a list of typed parts."""
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return content if isinstance(content, str) else ""


def _error_body(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
    """The envelope the OpenAI SDK turns into ``APIStatusError.body`` and its message."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@dataclass
class ChatRequest:
    """One recorded ``POST /v1/chat/completions`` call, with the views tests assert on."""

    body: dict[str, Any]
    headers: dict[str, str]  # names lower-cased: HTTP header names are case-insensitive

    def _joined(self, *roles: str) -> str:
        messages = self.body.get("messages") or []
        return "\n".join(_text(m.get("content")) for m in messages if m.get("role") in roles)

    def forced_tool(self) -> dict[str, Any] | None:
        """The function ``tool_choice`` forces (None if the model may answer in text)."""
        tools = [t.get("function") or {} for t in self.body.get("tools") or []]
        choice = self.body.get("tool_choice")
        if not tools or choice in (None, "auto", "none"):
            return None
        if isinstance(choice, dict):
            name = (choice.get("function") or {}).get("name")
            return next((t for t in tools if t.get("name") == name), {"name": name})
        return tools[0]  # "required": the first tool stands in for the schema

    @property
    def method(self) -> Literal["json_schema", "function_calling", "json_mode", "text"]:
        """Which ``with_structured_output`` method produced this request."""
        kind = (self.body.get("response_format") or {}).get("type")
        if kind in ("json_schema", "json_object"):
            return "json_schema" if kind == "json_schema" else "json_mode"
        return "function_calling" if self.forced_tool() else "text"

    @property
    def system(self) -> str:
        return self._joined("system", "developer")

    @property
    def user(self) -> str:
        return self._joined("user")

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    def _target(self) -> dict[str, Any]:
        """``{"name", "schema"}`` of the requested output format, empty if there is none."""
        if self.method == "json_schema":
            spec = self.body["response_format"].get("json_schema") or {}
            return {"name": spec.get("name"), "schema": spec.get("schema")}
        tool = self.forced_tool() or {}
        return {"name": tool.get("name"), "schema": tool.get("parameters")}

    @property
    def schema_name(self) -> str | None:
        return self._target().get("name")

    @property
    def schema(self) -> dict[str, Any] | None:
        return self._target().get("schema")

    @property
    def prompt_text(self) -> str:
        """All message text: the base of the default ``prompt_tokens`` estimate."""
        return "".join(_text(m.get("content")) for m in self.body.get("messages") or [])


@dataclass
class Reply:
    """What the server answers to one call."""

    status: int = 200
    content: str | None = None  # raw assistant content, sent verbatim
    structured: Any = None  # delivered in the shape the request's method expects
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    error_body: dict[str, Any] | None = None
    delay: float = 0.0  # seconds, after the call is recorded: latency and timeouts
    prompt_tokens: int | None = None  # default: len(all message text) // 4
    completion_tokens: int | None = None  # default: len(produced text) // 4
    drop_connection: bool = False  # close the socket without any HTTP response

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls(structured=obj, **kw)

    @classmethod
    def text(cls, text: str, **kw: Any) -> Reply:
        return cls(content=text, **kw)

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "scripted error",
        *,
        headers: dict[str, str] | None = None,
        type_: str = "server_error",
        code: str | None = None,
        **kw: Any,
    ) -> Reply:
        """An HTTP error with OpenAI's body, so the SDK raises its matching exception."""
        body = _error_body(message, type_, code)
        return cls(status=status, headers=dict(headers or {}), error_body=body, **kw)

    @classmethod
    def truncated(cls, partial: str = '{"findings": [') -> Reply:
        """Output cut off by the token limit."""
        return cls(content=partial, finish_reason="length")


Handler = Callable[[ChatRequest], Reply]


def _no_reply_scripted(request: ChatRequest) -> Reply:
    """Default handler: a forgotten ``script()`` must fail loudly, not answer blank."""
    return Reply.error(500, f"no reply scripted (model={request.model!r})", type_="test_fixture")


def _render(req: ChatRequest, reply: Reply) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The completion as one JSON body, and as the SSE chunk payloads of a stream."""
    content, finish = reply.content, reply.finish_reason
    call: dict[str, Any] | None = None
    if reply.structured is not None and req.method == "function_calling":
        arguments = json.dumps(reply.structured)
        function = {"name": (req.forced_tool() or {}).get("name"), "arguments": arguments}
        call = {"id": f"call_{next(_ids)}", "type": "function", "function": function}
        finish = "tool_calls" if finish == "stop" else finish
    elif reply.structured is not None:
        content = json.dumps(reply.structured)
    produced = (content or "") + (call["function"]["arguments"] if call else "")
    prompt, completion = reply.prompt_tokens, reply.completion_tokens
    prompt = len(req.prompt_text) // 4 if prompt is None else prompt
    completion = len(produced) // 4 if completion is None else completion
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    usage["total_tokens"] = prompt + completion
    head = {"id": f"chatcmpl-{next(_ids)}", "created": int(time.time()), "model": req.model}
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    message |= {"tool_calls": [call]} if call else {}
    choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
    whole = {**head, "object": "chat.completion", "choices": [choice], "usage": usage}

    head["object"] = "chat.completion.chunk"
    with_usage = bool((req.body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choices = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        return {**head, "choices": choices} | ({"usage": None} if with_usage else {})

    chunks = [chunk({"role": "assistant", "content": None if call else "", "refusal": None})]
    chunks += [chunk({"content": piece}) for piece in _pieces(content or "")]
    if call:
        opening = {**call, "index": 0, "function": {**call["function"], "arguments": ""}}
        chunks.append(chunk({"tool_calls": [opening]}))
        for piece in _pieces(call["function"]["arguments"]):
            chunks.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, finish))
    if with_usage:
        chunks.append({**head, "choices": [], "usage": usage})
    return whole, chunks


def _pieces(text: str, parts: int = 4) -> list[str]:
    """Split ``text`` into a few deltas, so clients really have to reassemble a stream."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins the handler threads: stop() is clean
    request_queue_size = 128  # the default backlog of 5 refuses bursts of concurrent calls
    owner: ModelServer
    tracked: Connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (timeouts, stop()); other errors stay loud."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _RequestHandler(TrackedHandler):
    # HTTP/1.0 (the default): one connection per call, closed after the answer, so stop()
    # never waits on keep-alive sockets the client's pool holds open, and a stream simply
    # ends when the connection closes.
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: tests read ``ModelServer.requests`` instead."""

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in ({"x-request-id": f"req_{next(_ids)}"} | headers).items():
            self.send_header(name, value)
        self.end_headers()

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        kind = {"content-type": "application/json", "content-length": str(len(data))}
        self._start(status, kind | {k.lower(): v for k, v in (headers or {}).items()})
        self.wfile.write(data)

    def _not_found(self) -> None:
        self._send_json(404, _error_body(f"unknown path {self.path}", "invalid_request_error"))

    def do_GET(self) -> None:
        if self.path.split("?")[0].rstrip("/") != "/v1/models":
            return self._not_found()
        models = [{"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "test"}]
        self._send_json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            return self._not_found()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return self._send_json(400, _error_body(f"bad JSON: {exc}", "invalid_request_error"))
        owner = self.server.owner
        request = ChatRequest(body, {k.lower(): v for k, v in self.headers.items()})
        reply = owner._arrive(request)  # recorded before any delay: tests see it arrived
        try:
            self._answer(owner, request, reply)
        except OSError:  # the client gave up (timeout): nobody is left to answer
            pass
        finally:
            owner._leave()

    def _answer(self, owner: ModelServer, request: ChatRequest, reply: Reply) -> None:
        if owner._stopping.wait(owner.latency + reply.delay) or reply.drop_connection:
            self.close_connection = True
            return  # the connection closes with no HTTP response at all
        if reply.status >= 400:
            error = reply.error_body or _error_body(f"HTTP {reply.status}", "server_error")
            return self._send_json(reply.status, error, reply.headers)
        whole, chunks = _render(request, reply)
        if not request.stream:
            return self._send_json(reply.status, whole, reply.headers)
        # A stream ends when its connection closes, also on a keep-alive server.
        self.close_connection = True
        sse = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "connection": "close",
        }
        self._start(reply.status, sse | {k.lower(): v for k, v in reply.headers.items()})
        for event in [*(json.dumps(c) for c in chunks), "[DONE]"]:
            self.wfile.write(f"data: {event}\n\n".encode())


class _KeepAliveHandler(_RequestHandler):
    """HTTP/1.1 with keep-alive, as hosted and local model servers answer: a client's pool
    reuses its connections instead of opening one per call (for benchmarks, where a new
    connection per call would be charged to the reviewer). ``stop()`` cuts the connections
    clients keep open, so no handler thread outlives the server."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK wait
    timeout = 30


class ModelServer:
    """The server tests start; calls are answered by ``script()`` replies, then ``handler``.

    ``keep_alive``: HTTP/1.1 connections the client may reuse (benchmarks); by default one
    connection per call (HTTP/1.0), which tests rely on to see every call arrive anew."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_alive: bool = False,
    ) -> None:
        self.handler: Handler = handler or _no_reply_scripted
        self.keep_alive = keep_alive
        self._tracked = Connections()
        self.latency = latency  # added to every reply, e.g. a fixed per-call benchmark cost
        self.requests: list[ChatRequest] = []
        self.max_in_flight = 0  # proves calls overlapped, without timing assertions
        self._in_flight = 0
        self._address = (host, port)
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, what ``ChatOpenAI(base_url=...)`` expects."""
        if self._url is None:
            raise RuntimeError("ModelServer is not started")
        return self._url

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next calls, in order, ahead of the handler."""
        with self._lock:
            self._queue.extend(replies)

    def start(self) -> ModelServer:
        self._stopping.clear()
        handler = _KeepAliveHandler if self.keep_alive else _RequestHandler
        self._httpd = _HTTPServer(self._address, handler)
        self._httpd.owner = self
        self._httpd.tracked = self._tracked
        host, port = self._httpd.server_address[:2]
        self._url = f"http://{host!s}:{port}/v1"
        serve = self._httpd.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut short delayed calls, and wait for every handler thread."""
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()  # wakes handlers sleeping on a delay: they answer nobody
        self._httpd.shutdown()
        self._tracked.cut()  # idle keep-alive connections: their handlers wait on a read
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    @property
    def connections(self) -> int:
        """Connections accepted so far."""
        return self._tracked.opened

    @property
    def open_connections(self) -> int:
        """Connections open now (kept alive by a client's pool, or in a call)."""
        return len(self._tracked)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _arrive(self, request: ChatRequest) -> Reply:
        """Record a call and pick its reply; one lock keeps arrival order and FIFO aligned."""
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            scripted = self._queue.popleft() if self._queue else None
        if scripted is not None:
            return scripted
        try:
            return self.handler(request)
        except Exception as exc:  # a broken test handler must surface in the test
            return Reply.error(500, f"test handler raised {exc!r}", type_="test_fixture")

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
