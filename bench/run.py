"""The benchmark: one command, loopback servers, a table of figures against their targets.

    .venv/bin/python -m bench.run [--latency 1.0] [--repeat 3]

The model is the rule-based test model (tests/servers/panel_model.py) behind the loopback
OpenAI-compatible server, answering every call after a fixed latency L; pull requests come
from the loopback GitHub server. Reviews run the way the CLI runs them (SQLite checkpoints,
``durability="sync"``, the default concurrency of 8), in this process, except the start-up
and memory figures, which are measured on ``review-panel`` processes. Nothing here asserts:
it prints, and says which targets were missed.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import harness, reference
from bench.prs import large_pr, real_code_pr, small_pr
from graph.context import Context
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, numbered_lines, which

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    measure: str
    panel: str
    reference: str
    target: str
    missed: bool = False


def _specialist_lines(requests: list[ChatRequest]) -> set[tuple[str, str, int]]:
    return {
        (name, line.path, line.new)
        for r in requests
        if (name := which(r)) not in ("orchestrator", "unknown")
        for line in numbered_lines(r.user)
        if line.marker == "+" and line.new is not None
    }


async def _pr_review(number: int, tmp: Path) -> float:
    """Seconds until the draft of PR ``number`` waits for approval."""
    run = await harness.review(f"octo/bench#{number}", tmp / f"pr{number}.sqlite", approve=False)
    return run.to_draft


async def small_and_large(latency: float, repeat: int) -> list[Row]:
    rows: list[Row] = []
    concurrency = Context().max_concurrency
    small, large = small_pr(), large_pr(files=200, changed_lines=10_000)
    with harness.servers(latency) as (model, github), tempfile.TemporaryDirectory() as tmp:
        github.add_pull("octo", "bench", 1, small, title="Small change")
        github.add_pull("octo", "bench", 2, large, title="Large change")
        await _pr_review(1, Path(tmp))  # warm-up: imports and first connections
        await reference.review(small)
        walls = [await _pr_review(1, Path(tmp)) for _ in range(repeat)]
        refs = [await reference.review(small) for _ in range(repeat)]
        wall, ref = statistics.median(walls), statistics.median(refs)
        rows.append(
            Row(
                "small PR (3 files): wall time / (2 x L)",
                f"{wall / (2 * latency):.3f} ({wall:.2f} s)",
                f"{ref / (2 * latency):.3f} ({ref:.2f} s)",
                "<= 1.10",
                wall / (2 * latency) > 1.10,
            )
        )
        model.requests.clear()
        wall = await _pr_review(2, Path(tmp))
        requests = list(model.requests)
        calls = sum(1 for r in requests if which(r) not in ("orchestrator", "unknown"))
        ideal = math.ceil(calls / concurrency) * latency + latency
        ref = await reference.review(large)
        rows.append(
            Row(
                "large PR (200 files, 10,000 lines): wall / (ceil(calls/conc) x L + L)",
                f"{wall / ideal:.3f} ({wall:.2f} s; {calls} calls, ideal {ideal:.1f} s)",
                f"{ref:.2f} s (4 calls)",
                "<= 1.15",
                wall / ideal > 1.15,
            )
        )
        wanted = {
            (name, path, line)
            for name, lines in reference.reviewable(large).items()
            for path, line in lines
        }
        seen = _specialist_lines(requests) & wanted
        rows.append(
            Row(
                "large PR: changed-line coverage (specialist x reviewable line)",
                f"{100 * len(seen) / len(wanted):.1f}% of {len(wanted):,}",
                f"{100 * reference.prefix_coverage(large):.1f}%",
                "100%",
                len(seen) < len(wanted),
            )
        )
        tokens = sum(len(r.prompt_text) // 4 for r in requests)
        rows.append(
            Row(
                "large PR: prompt tokens sent per changed line",
                f"{tokens / 10_000:.1f} ({tokens:,} tokens)",
                "",
                "",
            )
        )
    return rows


async def overhead(repeat: int) -> list[Row]:
    """Milliseconds per review with L = 0: the graph, the client and SQLite, nothing else."""
    small = small_pr()
    with harness.servers(0.0), tempfile.TemporaryDirectory() as tmp:
        await harness.review(small, Path(tmp) / "warm.sqlite")  # imports, first connections
        runs = [await harness.review(small, Path(tmp) / f"r{i}.sqlite") for i in range(repeat)]
    draft = statistics.median(r.to_draft for r in runs) * 1000
    total = statistics.median(r.total for r in runs) * 1000
    return [
        Row(
            "overhead, L = 0, small PR: ms per review (to draft; + approve and publish)",
            f"{draft:.0f} ms; {total:.0f} ms",
            "",
            "",
        )
    ]


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("review-panel")
    return subprocess.Popen(
        [str(exe), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


PACKAGES = ("cli", "graph", "nodes", "services", "team", "web")


def byte_compile(root: Path = ROOT) -> None:
    """Write the bytecode of the code under ``root``, as a user's install has it.

    pip compiles an installed package, and an editable one writes its bytecode on the first
    import. Machines that set ``PYTHONDONTWRITEBYTECODE`` (some CI images) never do, and then
    every process compiles the whole package again: 0.2 to 0.4 s of start-up that no user
    pays. The processes below are started without that variable, too.
    """
    for package in PACKAGES:
        if (root / package).is_dir():
            compileall.compile_dir(root / package, quiet=1)


def _cli_env(model: ModelServer, db: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(harness._SETTINGS) and k != "PYTHONDONTWRITEBYTECODE"
    }
    return {
        **keep,
        "OPENAI_BASE_URL": model.base_url,
        "OPENAI_API_KEY": "sk-bench-not-a-key",
        "REVIEW_PANEL_MAX_RETRIES": "0",
        "REVIEW_PANEL_DB": str(db),
    }


def _first_request_timer(model: ModelServer) -> Callable[[], float | None]:
    first: list[float] = []

    def handler(request: ChatRequest) -> Reply:
        if not first:
            first.append(time.monotonic())
        return answer(request)

    model.handler = handler
    return lambda: first[0] if first else None


def startup(repeat: int) -> list[Row]:
    rows: list[Row] = []
    firsts, helps = [], []
    byte_compile()
    with ModelServer(answer, keep_alive=True) as model, tempfile.TemporaryDirectory() as tmp:
        env = _cli_env(model, Path(tmp) / "r.sqlite")
        for _ in range(repeat):
            first = _first_request_timer(model)
            started = time.monotonic()
            proc = _cli(["review", "examples/sql_injection.diff"], env)
            proc.wait(timeout=60)
            at = first()
            if at is not None:
                firsts.append(at - started)
            started = time.monotonic()
            _cli(["--help"], env).wait(timeout=60)
            helps.append(time.monotonic() - started)
    to_first = statistics.median(firsts) if firsts else float("inf")
    help_time = statistics.median(helps)
    rows.append(
        Row(
            "start-up: process start to first model request (small local diff)",
            f"{to_first:.2f} s",
            "",
            "<= 2 s",
            to_first > 2,
        )
    )
    help_row = Row("start-up: `review-panel --help`", f"{help_time:.2f} s", "", "<= 0.5 s")
    help_row.missed = help_time > 0.5
    rows.append(help_row)
    return rows


def memory() -> list[Row]:
    """Peak resident memory of a ``review-panel review`` process, small and large diff.

    Measured by GNU time around the process: ``wait4`` on a child of this (large) process
    would count the pages it shares with us between fork and exec.
    """
    timer = Path("/usr/bin/time")
    if not timer.exists():
        return [Row("peak memory of the CLI process", "not measured: no /usr/bin/time", "", "")]
    peaks = {}
    with ModelServer(answer, keep_alive=True) as model, tempfile.TemporaryDirectory() as tmp:
        env = _cli_env(model, Path(tmp) / "r.sqlite")
        exe = Path(sys.executable).with_name("review-panel")
        for name, text in (("small", small_pr()), ("large", large_pr())):
            path = Path(tmp) / f"{name}.diff"
            path.write_text(text, encoding="utf-8")
            proc = subprocess.run(
                [str(timer), "-f", "maxrss=%M", str(exe), "review", str(path)],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            line = [x for x in proc.stderr.splitlines() if x.startswith("maxrss=")][-1]
            peaks[name] = int(line.removeprefix("maxrss=")) / 1024  # KiB -> MiB
    return [
        Row(
            "peak memory (RSS) of the CLI process, L = 0: small PR; large PR",
            f"{peaks['small']:.0f} MiB; {peaks['large']:.0f} MiB",
            "",
            "",
        )
    ]


async def storage() -> list[Row]:
    rows = []
    cases = (
        ("small PR", small_pr()),
        ("large PR (generated, 10,000 lines)", large_pr()),
        ("1 MB of real code (new files)", real_code_pr(1000)),
    )
    for label, text in cases:
        with harness.servers(0.0), tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "r.sqlite"
            run = await harness.review(text, db)
        diff = len(text.encode())
        ratio = run.db_bytes / (diff + run.findings_bytes())
        small = diff < 100 * 1024  # SQLite's empty tables and indexes alone are 20 KiB
        rows.append(
            Row(
                f"checkpoint bytes per review: {label}, diff {diff / 1024:.0f} KiB",
                f"{run.db_bytes / 1024:.0f} KiB = {ratio:.2f}x (diff + findings)",
                "",
                "n/a (fixed size dominates)" if small else "<= 2x",
                ratio > 2 and not small,
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    head = "| measure | review-panel | reference (6,000-char prefix) | target |"
    lines = [head, "| --- | --- | --- | --- |"]
    for r in rows:
        flag = " **missed**" if r.missed else ""
        lines.append(f"| {r.measure} | {r.panel}{flag} | {r.reference} | {r.target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="review-panel benchmark")
    parser.add_argument("--latency", type=float, default=1.0, help="model latency L (s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per small measurement")
    args = parser.parse_args()
    started = time.monotonic()
    rows = asyncio.run(small_and_large(args.latency, args.repeat))
    rows += asyncio.run(overhead(max(5, 3 * args.repeat)))
    rows += memory()
    rows += asyncio.run(storage())
    rows += startup(args.repeat)
    print(f"L = {args.latency:g} s per model call; concurrency {Context().max_concurrency}")
    print(table(rows))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"({time.monotonic() - started:.0f} s in all; this process peaked at {peak} MiB)")


if __name__ == "__main__":
    main()
