"""Large PRs at the speed of the model: model time against the ideal, start-up, CPU, memory.

    .venv/bin/python -m bench.speed [--repeat 3] [--quick]

Measured on the real release diff ``../shared/data/diffs/flask-1.1.0..2.0.0.diff`` (read at
run time from the folder beside the repository; the rows say so when it is missing) and on
the generated 10,000-line PR of ``bench/prs.py``:

- **model time**: from the first model request to the last answer (the last request's
  arrival plus L), against the ideal ``ceil(specialist calls / C) x L + L``: what a review
  costs beyond waiting for the model. The real diff is reviewed three ways: as a local diff,
  as a pull request whose diff GitHub serves, and as one whose diff GitHub refuses (406, so
  the reviewer rebuilds it from the files API).
- **time to the first model request** from the start of a ``review-panel`` process, as
  installed (without the test-only trio, see ``_without_trio``) and in this environment.
- **CPU seconds per 1,000 changed lines** (added plus deleted) of a whole ``review-panel
  review`` process at L = 0, imports included.
- **peak RSS** of a ``review-panel review`` process on a 100,000-line diff.

Nothing here asserts; rows that miss their target say so.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness
from bench.prs import large_pr
from bench.run import ROOT, Row, _cli_env, byte_compile, table
from tests.servers.github_server import GitHubServer
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which

_REAL_NAME = Path("shared", "data", "diffs", "flask-1.1.0..2.0.0.diff")
# ../shared beside the repository (CI; /work/main), or beside a worktree's parent folder.
REAL_DIFF = next(
    (p / _REAL_NAME for p in ROOT.parents if (p / _REAL_NAME).is_file()),
    ROOT.parent / _REAL_NAME,
)
REAL_LABEL = "real release diff (flask 1.1.0..2.0.0)"
GENERATED_LABEL = "generated PR (200 files, 10,000 lines)"


def real_diff() -> str | None:
    """The real release diff, exactly as git wrote it (CRLF kept); None if it is not there."""
    try:
        return REAL_DIFF.read_bytes().decode("utf-8")
    except OSError:
        return None


def changed_lines(text: str) -> int:
    """Added plus deleted lines, as ``git diff --shortstat`` counts them."""
    count = 0
    in_header = True
    for line in text.splitlines():
        if line.startswith("diff --git"):
            in_header = True
        elif line.startswith("@@"):
            in_header = False
        elif not in_header and line[:1] in ("+", "-"):
            count += 1
    return count


@dataclass
class Timeline:
    """When each model request arrived, and whose it was; answers every call like the model."""

    arrivals: list[tuple[float, str]] = field(default_factory=list)
    pid: int | None = None  # the reviewer process, whose CPU time is read at each arrival
    cpu: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: ChatRequest) -> Reply:
        with self._lock:
            self.arrivals.append((time.monotonic(), which(request)))
            self.cpu.append(_cpu_seconds(self.pid))
        return answer(request)

    def cpu_between_requests(self) -> float:
        """CPU seconds the reviewer spent from its first model request to its last one."""
        return self.cpu[-1] - self.cpu[0] if self.cpu else 0.0

    def specialist_calls(self) -> int:
        return sum(1 for _, who in self.arrivals if who not in ("orchestrator", "unknown"))

    def model_time(self, latency: float) -> float:
        times = [t for t, _ in self.arrivals]
        return max(times) + latency - min(times)

    def first_by_specialist(self) -> dict[str, float]:
        start = min(t for t, _ in self.arrivals)
        out: dict[str, float] = {}
        for t, who in self.arrivals:
            out.setdefault(who, t - start)
        return out


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int | None) -> float:
    """User plus system CPU seconds of process ``pid`` so far (all its threads)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class ModelTime:
    label: str
    latency: float
    concurrency: int
    model_time: float
    calls: int
    starts: dict[str, float]
    cpu: float  # the reviewer's CPU seconds between its first and last model request

    @property
    def ideal(self) -> float:
        return math.ceil(self.calls / self.concurrency) * self.latency + self.latency

    @property
    def ratio(self) -> float:
        return self.model_time / self.ideal


def _serve(github: GitHubServer, how: str) -> None:
    """Make the loopback GitHub serve the diff (``pr``) or refuse it (``pr-refused``: 406)."""
    limit = 10**9 if how == "pr" else 1
    github.max_diff_lines = github.max_diff_files = limit


def model_time(
    label: str, text: str, latency: float, concurrency: int, how: str = "local"
) -> ModelTime:
    """Review ``text`` (``how``: local, pr, or pr-refused) with ``review-panel review``.

    The reviewer runs as its own process, as it does for a user: the loopback servers'
    threads (which parse every request to answer it) stay in this one and never hold the
    reviewer's interpreter lock.
    """
    timeline = Timeline()
    with (
        harness._no_nagle(),
        ModelServer(timeline, latency=latency, keep_alive=True) as model,
        GitHubServer(token=harness.GITHUB_TOKEN) as github,
        tempfile.TemporaryDirectory() as tmp,
    ):
        _serve(github, how)
        github.add_pull("octo", "bench", 1, text, title=label)
        env = _cli_env(model, Path(tmp) / "r.sqlite")
        env |= {
            "GITHUB_API_URL": github.base_url,
            "GITHUB_TOKEN": harness.GITHUB_TOKEN,
            "REVIEW_PANEL_MAX_CONCURRENCY": str(concurrency),
        }
        target = "octo/bench#1"
        if how == "local":
            target = str(Path(tmp) / "change.diff")
            Path(target).write_bytes(text.encode("utf-8"))
        proc = subprocess.Popen(
            reviewer("review", target),
            env=code_env(env),
            cwd=CODE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        timeline.pid = proc.pid
        proc.wait(timeout=600)
    return ModelTime(
        label,
        latency,
        concurrency,
        timeline.model_time(latency),
        timeline.specialist_calls(),
        timeline.first_by_specialist(),
        timeline.cpu_between_requests(),
    )


def _model_time_row(m: ModelTime, how: str, target: float) -> Row:
    starts = ", ".join(f"{who} {t:.2f}" for who, t in m.starts.items() if who != "orchestrator")
    return Row(
        f"model time / ideal, L = {m.latency:g} s, C = {m.concurrency}: {m.label}, {how}",
        f"{m.ratio:.3f} ({m.model_time:.2f} s; {m.calls} calls, ideal {m.ideal:.1f} s; "
        f"first requests at {starts} s; reviewer CPU from first to last request "
        f"{m.cpu:.2f} s)",
        "",
        f"<= {target:.2f}",
        m.ratio > target,
    )


# The code under test: this checkout, or another one (``--code DIR``) to compare before and
# after a change with the same servers, diffs and load. ``python -m cli`` is the same
# program as the ``review-panel`` script.
CODE = ROOT


def reviewer(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def code_env(env: dict[str, str], first_on_path: Path | None = None) -> dict[str, str]:
    path = [str(first_on_path)] if first_on_path is not None else []
    return {**env, "PYTHONPATH": os.pathsep.join([*path, str(CODE)])}


HOW = {
    "local": "local diff",
    "pr": "PR, diff served",
    "pr-refused": "PR, diff refused (files API)",
}


def model_times(repeat: int, quick: bool) -> list[Row]:
    real = real_diff()
    cases: list[tuple[str, str | None, str]] = [
        (REAL_LABEL, real, "local"),
        (REAL_LABEL, real, "pr"),
        (REAL_LABEL, real, "pr-refused"),
        (GENERATED_LABEL, large_pr(), "pr"),
    ]
    settings = [(0.5, 16, 1.10)] + ([] if quick else [(2.0, 8, 1.05)])
    rows = []
    for latency, concurrency, target in settings:
        for label, text, how in cases:
            if text is None:
                rows.append(Row(f"{label}: {HOW[how]}", f"not measured: no {REAL_DIFF}", "", ""))
                continue
            if latency > 1 and how == "pr":
                continue  # the slow setting: the local diff and the refused PR suffice
            runs = [
                model_time(label, text, latency, concurrency, how)
                for _ in range(repeat if latency < 1 else 1)
            ]
            runs.sort(key=lambda m: m.ratio)
            best = runs[(len(runs) - 1) // 2]  # the median run (the lower of two)
            rows.append(_model_time_row(best, HOW[how], target))
    return rows


def _first_request(
    args: list[str], env: dict[str, str], model: ModelServer, first_on_path: Path | None = None
) -> float | None:
    first: list[float] = []

    def handler(request: ChatRequest) -> Reply:
        if not first:
            first.append(time.monotonic())
        return answer(request)

    model.handler = handler
    started = time.monotonic()
    subprocess.run(
        reviewer(*args),
        env=code_env(env, first_on_path),
        cwd=CODE,
        capture_output=True,
        timeout=300,
        check=False,
    )
    return first[0] - started if first else None


def startup(repeat: int) -> list[Row]:
    """Process start to the first model request, on the real diff: local, and as a PR."""
    real = real_diff()
    if real is None:
        return [Row("start-up on the real diff", f"not measured: no {REAL_DIFF}", "", "")]
    byte_compile(CODE)
    rows = []
    with (
        harness._no_nagle(),
        ModelServer(answer, keep_alive=True) as model,
        GitHubServer(token=harness.GITHUB_TOKEN) as github,
        tempfile.TemporaryDirectory() as tmp,
    ):
        _serve(github, "pr-refused")
        github.add_pull("pallets", "flask", 1, real, title="2.0.0")
        env = _cli_env(model, Path(tmp) / "r.sqlite")
        env |= {"GITHUB_API_URL": github.base_url, "GITHUB_TOKEN": harness.GITHUB_TOKEN}
        local = Path(tmp) / "flask.diff"
        local.write_bytes(real.encode("utf-8"))
        without_trio = _without_trio(Path(tmp))
        for args, what, target in (
            (["review", str(local)], "local diff", 1.5),
            (["review", "pallets/flask#1"], "PR whose diff is refused (files API)", 2.5),
        ):
            value = _median_first(args, env, model, repeat)
            installed = _median_first(args, env, model, repeat, without_trio)
            rows.append(
                Row(
                    f"start-up: process start to first model request, real diff as a {what}",
                    f"{installed:.2f} s as installed; {value:.2f} s with the test-only trio",
                    "",
                    f"<= {target:g} s",
                    installed > target,
                )
            )
        # GitHub is not on loopback: each request a round trip. The PR's reads (the pull
        # request, its files, up to 40 files of context at the head, the guidelines) as a
        # user's machine meets them.
        github.latency = GITHUB_LATENCY
        far = _median_first(["review", "pallets/flask#1"], env, model, repeat, without_trio)
        github.latency = 0.0
        rows.append(
            Row(
                "start-up: real diff as a PR whose diff is refused, GitHub answering each "
                f"request in {GITHUB_LATENCY * 1000:.0f} ms",
                f"{far:.2f} s as installed",
                "",
                "reported",
            )
        )
        floor = _import_floor(env, repeat, without_trio)
        rows.append(
            Row(
                "start-up floor: a process that only imports what a first model request needs "
                "(LangGraph, langchain-openai, the SQLite saver; collector off, as installed)",
                f"{floor:.2f} s",
                "",
                "reported",
            )
        )
    return rows


GITHUB_LATENCY = 0.1  # seconds a request to api.github.com takes from a user's machine, or more

# The third-party imports no review can start a model call without (graph.workflow needs
# LangGraph; the first call, langchain-openai and with it the OpenAI SDK; the CLI's threads,
# the SQLite saver), loaded as open_session loads them: with the cyclic collector off.
_FLOOR = (
    "import gc; gc.disable(); "
    "import langgraph.graph, langchain_openai, langgraph.checkpoint.sqlite.aio"
)


def _import_floor(env: dict[str, str], repeat: int, first_on_path: Path) -> float:
    """Wall time of a process that does nothing but ``_FLOOR``: what start-up cannot go below
    while the review is a LangGraph run calling the model through langchain-openai."""
    runs = []
    for _ in range(repeat):
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-c", _FLOOR],
            env=code_env(env, first_on_path),
            cwd=CODE,
            check=True,
        )
        runs.append(time.monotonic() - started)
    return statistics.median(runs)


def _median_first(
    args: list[str], env: dict[str, str], model: ModelServer, n: int, path: Path | None = None
) -> float:
    times = [_first_request(args, env, model, path) for _ in range(n)]
    done = [t for t in times if t is not None]
    return statistics.median(done) if done else float("inf")


def _without_trio(tmp: Path) -> Path:
    """The environment of an install without the test extras, as far as start-up can tell.

    This environment has trio because selenium (the browser tests) needs it, and the HTTP
    library under the OpenAI SDK imports trio whenever it is installed: 0.15 to 0.2 s of
    start-up that a user's install (``pip install review-panel``: no trio) never pays. A
    folder first on ``PYTHONPATH`` whose ``trio`` cannot be imported makes it behave so."""
    stub = tmp / "without-trio" / "trio"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('raise ImportError("trio comes only with selenium")\n')
    return stub.parent


def _child_usage(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """CPU seconds (user + system) of one ``review-panel`` process, and its exit code."""
    proc = subprocess.Popen(
        reviewer(*args),
        env=code_env(env),
        cwd=CODE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, proc.returncode


# What any review imports before it reads a line: charged to start-up, not to the diff.
_IMPORTS = (
    "import cli.app, cli.session, graph.workflow, langchain_openai, "
    "langgraph.checkpoint.sqlite.aio, unidiff, yaml"
)


def _import_cpu(env: dict[str, str], repeat: int) -> float:
    exe = Path(sys.executable)
    runs = []
    for _ in range(repeat):
        proc = subprocess.Popen([str(exe), "-c", _IMPORTS], env=code_env(env), cwd=CODE)
        _, _, usage = os.wait4(proc.pid, 0)
        runs.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(runs)


def cpu(repeat: int) -> list[Row]:
    """CPU seconds per 1,000 changed lines of a whole review (L = 0), per diff."""
    cases = [(REAL_LABEL, real_diff()), (GENERATED_LABEL, large_pr())]
    byte_compile(CODE)
    rows = []
    with ModelServer(answer, keep_alive=True) as model, tempfile.TemporaryDirectory() as tmp:
        env = _cli_env(model, Path(tmp) / "r.sqlite")
        imports = _import_cpu(env, repeat)
        for label, text in cases:
            if text is None:
                rows.append(Row(f"CPU: {label}", f"not measured: no {REAL_DIFF}", "", ""))
                continue
            path = Path(tmp) / "d.diff"
            path.write_bytes(text.encode("utf-8"))
            seconds = statistics.median(
                _child_usage(["review", str(path)], env)[0] for _ in range(repeat)
            )
            lines = changed_lines(text)
            rows.append(
                Row(
                    f"CPU seconds per 1,000 changed lines, L = 0, whole process: {label}",
                    f"{1000 * seconds / lines:.3f} ({seconds:.2f} s for {lines:,} lines; "
                    f"without the {imports:.2f} s of imports: "
                    f"{1000 * (seconds - imports) / lines:.3f})",
                    "",
                    "as low as the profile allows",
                )
            )
    return rows


def memory() -> list[Row]:
    """Peak RSS of a ``review-panel review`` process on a 100,000-line diff (GNU time)."""
    timer = Path("/usr/bin/time")
    if not timer.exists():
        return [Row("peak RSS, 100,000-line diff", "not measured: no /usr/bin/time", "", "")]
    text = large_pr(files=1000, changed_lines=100_000)
    with ModelServer(answer, keep_alive=True) as model, tempfile.TemporaryDirectory() as tmp:
        env = _cli_env(model, Path(tmp) / "r.sqlite")
        path = Path(tmp) / "huge.diff"
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run(
            [str(timer), "-f", "maxrss=%M", *reviewer("review", str(path))],
            env=code_env(env),
            cwd=CODE,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    line = [x for x in proc.stderr.splitlines() if x.startswith("maxrss=")][-1]
    peak = int(line.removeprefix("maxrss=")) / 1024
    return [
        Row(
            "peak RSS of the CLI process, L = 0, 100,000-line diff "
            f"(1,000 files, {len(text) / 2**20:.1f} MiB)",
            f"{peak:.0f} MiB" + ("" if proc.returncode == 0 else f" (exit {proc.returncode})"),
            "",
            "<= 300 MiB",
            peak > 300,
        )
    ]


MEASURES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "model-time": lambda a: model_times(a.repeat, a.quick),
    "startup": lambda a: startup(a.repeat),
    "cpu": lambda a: cpu(a.repeat),
    "memory": lambda a: memory(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description="review-panel: large PRs at model speed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--quick", action="store_true", help="only L = 0.5 s for model time")
    parser.add_argument("--only", choices=sorted(MEASURES), action="append", help="a measure")
    parser.add_argument("--code", type=Path, help="review with the code in DIR (a checkout)")
    args = parser.parse_args()
    global CODE
    CODE = (args.code or ROOT).resolve()
    started = time.monotonic()
    rows: list[Row] = []
    for name in args.only or list(MEASURES):
        rows += MEASURES[name](args)
    print(table(rows))
    print(f"({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
