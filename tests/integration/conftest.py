"""Fixtures for tests that start real servers as subprocesses (``langgraph dev``).

Generic on purpose: ``langgraph_dev`` starts the LangGraph development server for any
``langgraph.json`` with the environment a test gives it, waits until it answers, and stops
it (its whole process group) when the test is done, keeping its output for failure messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from graph.contracts import Source
from tests.servers.github_server import GitHubServer

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0  # seconds for `langgraph dev` to answer GET /ok
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RAISED = re.compile(r"^[\w.]+(Error|Exception): ")  # the last line of a traceback

# What must never leak from the developer's shell into a server under test: model and
# GitHub credentials and settings, LangSmith tracing (which would phone home), proxies.
_SCRUBBED_PREFIXES = (
    "OPENAI_",
    "AZURE_OPENAI_",
    "REVIEW_PANEL_",
    "GITHUB_",
    "LANGSMITH_",
    "LANGCHAIN_",
    "LANGGRAPH_",
)
_SCRUBBED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}

# Keeps `langgraph dev` off the internet: no CLI analytics, no PyPI version check, no
# LangSmith tracing; loopback calls never go through a proxy.
OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "PYTHONUNBUFFERED": "1",
}


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the server is told to use exactly this one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The process environment minus secrets and settings, plus offline switches and ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED
    }
    return env | OFFLINE_ENV | dict(extra)


def hermetic_config(source: Path, workdir: Path) -> Path:
    """A copy of ``source`` (a langgraph.json) to run from ``workdir`` instead of the repo.

    ``langgraph dev`` resolves ``dependencies``, graph paths and ``env`` against its working
    directory, reads a ``.env`` there whose values BEAT the process environment, and saves
    its threads under ``.langgraph_api/`` there. Running from a scratch directory with the
    code paths made absolute keeps a developer's ``.env`` and Studio threads out of tests (and
    tests out of them), while everything else in the shipped file is used as it is.
    """
    config = json.loads(source.read_text(encoding="utf-8"))
    base = source.parent

    def absolute(path: str) -> str:
        return str((base / path).resolve()) if path.startswith(".") else path

    config["dependencies"] = [absolute(d) for d in config.get("dependencies", [])]
    graphs = {}
    for name, spec in config.get("graphs", {}).items():
        path, sep, attr = spec.rpartition(":")
        graphs[name] = f"{absolute(path)}{sep}{attr}" if sep else absolute(spec)
    config["graphs"] = graphs
    http = config.get("http")
    if isinstance(http, dict) and isinstance(http.get("app"), str):  # the mounted web app
        path, sep, attr = http["app"].rpartition(":")
        http["app"] = f"{absolute(path)}{sep}{attr}" if sep else absolute(http["app"])
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "langgraph.json"
    target.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target


@dataclass
class DevServer:
    """A running ``langgraph dev``: its URL, its process and everything it printed."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float = 0.0  # seconds from spawn until GET /ok answered
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def output(self, tail: int = 12_000) -> str:
        """The last ``tail`` characters the server printed, without colour codes."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output captured)"
        return _ANSI.sub("", text)[-tail:]

    def frames_under(self, root: Path) -> list[str]:
        """Traceback lines into ``root`` (not its site-packages) and the exceptions, in order."""
        marker = f'File "{root}{os.sep}'
        lines = self.output(tail=1_000_000).splitlines()
        found = []
        for i, line in enumerate(lines):
            if marker in line and "site-packages" not in line:
                source = lines[i + 1].strip() if i + 1 < len(lines) else ""
                found.append(f"{line.strip()}: {source}")
            elif _RAISED.match(line):
                found.append(line.strip())
        return list(dict.fromkeys(found))

    def explain(self, root: Path, tail: int = 4_000) -> str:
        """For failure messages: where the tracebacks point in ``root``, then the output."""
        frames = "\n".join(self.frames_under(root)) or "(no traceback into the project)"
        return (
            f"--- traceback lines in {root} ---\n{frames}\n"
            f"--- last {tail} characters of langgraph dev's output ---\n{self.output(tail)}"
        )

    def stop(self) -> None:
        """Stop the whole process group (``stop_group``), then close the log."""
        stop_group(self.process)
        if self._log_file is not None:
            self._log_file.close()


def stop_group(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the process group ``process`` leads (started with ``start_new_session``),
    SIGKILL if it has not exited within ``timeout``.

    Signals go only to a group whose leader (our child) is still alive and unreaped, so the
    group id cannot have been reused by anyone else's processes.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)


def _langgraph_executable() -> str:
    beside = Path(sys.executable).with_name("langgraph")
    found = str(beside) if beside.exists() else shutil.which("langgraph")
    if not found:
        pytest.skip("the `langgraph` CLI is not installed (pip install 'langgraph-cli[inmem]')")
    return found


def _wait_ready(server: DevServer, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    spawned = time.monotonic()
    while True:
        if server.process.poll() is not None:
            pytest.fail(
                f"langgraph dev exited with code {server.process.returncode} before it was "
                f"ready. Its output:\n{server.output()}"
            )
        if "is already in use" in server.output():
            # It silently moves to another port: whatever answers on ours is not it.
            pytest.fail(f"port {port} was taken before langgraph dev bound it:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.url}/ok", timeout=2) as response:
                if response.status == 200:
                    server.started_in = time.monotonic() - spawned
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(
                f"langgraph dev did not answer GET /ok within {timeout:.0f} s. "
                f"Its output:\n{server.output()}"
            )
        time.sleep(0.1)


StartServer = Callable[..., DevServer]


@pytest.fixture(scope="module")
def langgraph_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """A factory: ``start(env={...}, config=ROOT / "langgraph.json") -> DevServer``.

    The server runs ``--no-reload``: a reloader restarts it whenever any file under its
    directory changes, which would abort runs mid-test while others edit the repo.
    """
    servers: list[DevServer] = []

    def start(
        env: Mapping[str, str],
        config: Path = ROOT / "langgraph.json",
        *,
        timeout: float = READY_TIMEOUT,
        extra_args: tuple[str, ...] = (),
    ) -> DevServer:
        workdir = tmp_path_factory.mktemp("langgraph-dev")
        hermetic = hermetic_config(config, workdir)
        port = free_port()
        log_path = workdir / "server.log"
        log_file = open(log_path, "wb")  # noqa: SIM115  closed by DevServer.stop()
        command = [
            _langgraph_executable(),
            "dev",
            "--config",
            str(hermetic),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
            "--no-reload",
            *extra_args,
        ]
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=server_env(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches every child
        )
        server = DevServer(f"http://127.0.0.1:{port}", process, log_path, _log_file=log_file)
        servers.append(server)
        _wait_ready(server, port, timeout)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium (JavaScript off) for every browser test of the run."""
    from tests.browser import start_chromium

    yield from start_chromium(tmp_path_factory.mktemp("chromium-profile"))


@pytest.fixture
async def sdk(service: DevServer) -> AsyncIterator[LangGraphClient]:
    """langgraph_sdk's client on the module's ``service`` (a ``langgraph dev`` it starts)."""
    async with get_client(url=service.url, api_key=None, timeout=60) as client:
        yield client


def pr_source(
    github: GitHubServer, owner: str = "octo", repo: str = "demo", number: int = 1, **more: Any
) -> Source:
    """The ``Source`` fetch makes of ``owner/repo#number`` on the loopback GitHub server."""
    return Source(
        kind="github",
        label=f"{owner}/{repo}#{number}",
        owner=owner,
        repo=repo,
        number=number,
        api_url=github.base_url,
        **more,
    )
