"""The platform's own share of a burst: ``bench.webhook``'s 30 runs, minus all of our work.

Starts ``langgraph dev`` with ``bench/floor_graph.py`` (the panel's shape: three model calls
in one superstep, one more after them, then an ``interrupt``; nothing else), creates 30 runs
through langgraph_sdk spread over one second, as the webhook's handler does, and waits for
each to pause. It prints, per run, the server's queue and start (run created to its first
model call), the time between the first round's last answer and the second call, and the
tail (the second answer to the run's end seen by ``runs.join``), and the time to all pauses
against the latest of each run's first call plus 2 x L: the overhead of the server and the
model client alone at this burst, which ``bench.webhook``'s figure includes.

    .venv/bin/python -m bench.floor              # --latency 1.0 --runs 30 --jobs 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from langgraph_sdk import get_client

from bench.webhook import ROOT, cpu_seconds, median_max, start_server
from tests.integration.conftest import stop_group
from tests.servers.openai_server import ChatRequest, ModelServer, Reply

_CALL = re.compile(r"floor run (\d+) role (\w+)")


async def _runs(url: str, count: int, first: int) -> list[tuple[float, float]]:
    """Create ``count`` runs spread over one second; (created, ended) of each."""
    client = get_client(url=url, api_key=None)
    spacing = 1.0 / count

    async def one(i: int) -> tuple[float, float]:
        await asyncio.sleep(i * spacing)
        thread = await client.threads.create()
        created = time.perf_counter()
        run = await client.runs.create(thread["thread_id"], "floor", input={"n": first + i})
        await client.runs.join(thread["thread_id"], run["run_id"])
        return created, time.perf_counter()

    return list(await asyncio.gather(*(one(i) for i in range(count))))


@dataclass
class Floor:
    """What one floor burst measured (``run``); ``_print`` prints it."""

    spans: list[tuple[float, float]]  # (created, ended) of each run
    calls: dict[int, list[tuple[float, str]]]
    latency: float
    all_done: float  # the first run created to the last one paused
    began: float
    cpu: float


def run(latency: float, runs: int, jobs: int) -> Floor:
    """One floor burst on a fresh ``langgraph dev``: ``runs`` runs spread over a second."""
    calls: dict[int, list[tuple[float, str]]] = {}

    def record(request: ChatRequest) -> Reply:
        found = _CALL.search(request.user)
        if found:
            calls.setdefault(int(found[1]), []).append((time.perf_counter(), found[2]))
        return Reply.text("ok")

    with (
        ModelServer(record, latency=latency, keep_alive=True) as model,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = Path(tmp) / "floor.json"
        graph = f"{ROOT / 'bench' / 'floor_graph.py'}:graph"
        config.write_text(json.dumps({"dependencies": [str(ROOT)], "graphs": {"floor": graph}}))
        env = {"OPENAI_BASE_URL": model.base_url, "OPENAI_API_KEY": "bench-key"}
        process, url = start_server(env, jobs, Path(tmp) / "server", config_file=config)
        try:
            asyncio.run(_runs(url, 1, 0))  # warm: imports and clients, as in bench.webhook
            cpu_before = cpu_seconds(process.pid)
            began = time.perf_counter()
            spans = asyncio.run(_runs(url, runs, 1))
            all_done = time.perf_counter() - began
            cpu = cpu_seconds(process.pid) - cpu_before
        finally:
            stop_group(process, timeout=30)
    return Floor(spans, calls, latency, all_done, began, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.0, help="model latency L, seconds")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=30, help="langgraph dev jobs per worker")
    args = parser.parse_args()
    _print(run(args.latency, args.runs, args.jobs))


def _print(f: Floor) -> None:
    start, between, tail, firsts = [], [], [], []
    for n, (created, ended) in enumerate(f.spans, start=1):
        mine = sorted(f.calls.get(n, []))
        first_round = [t for t, role in mine if role != "orchestrator"]
        second = [t for t, role in mine if role == "orchestrator"]
        if not first_round or not second:
            continue
        start.append(min(first_round) - created)
        between.append(second[0] - (max(first_round) + f.latency))
        tail.append(ended - (second[0] + f.latency))
        firsts.append(min(first_round) - f.began)
    runs = len(f.spans)
    print(f"runs: {runs}, all paused {f.all_done:.2f} s after the first was created")
    print(f"server CPU: {f.cpu:.1f} s for {runs} runs ({f.cpu / runs * 1000:.0f} ms each)")

    print(
        "per run, median/max seconds: "
        + "; ".join(
            [
                median_max("queue and start", start),
                median_max("between", between),
                median_max("tail", tail),
            ]
        )
        + f"; model 2 x L = {2 * f.latency:.2f}"
    )
    bound = max(firsts) + 2 * f.latency
    print(
        f"all paused {f.all_done:.2f} s against the latest run's first call plus 2 L, "
        f"{bound:.2f} s: {f.all_done / bound:.2f}x (the platform alone)"
    )


if __name__ == "__main__":
    main()
