"""The team service under a burst: 30 deliveries for 30 pull requests within one second.

Starts ``langgraph dev`` with the repo's ``langgraph.json`` (the webhook mounted through
``http.app``) against the loopback GitHub server and the loopback model (every call answered
after a fixed latency L), sends 30 signed ``pull_request`` deliveries spread over one second,
and prints:

- the webhook's answer time, p50 and p99 (target: p99 under 1 s; GitHub gives up at 10 s);
- the time from the first delivery until all 30 drafts exist (their pending "draft ready"
  status is on GitHub), against the model-bound ideal: each review is two model rounds (the
  specialists in parallel, then the orchestrator), and the server runs ``--jobs`` reviews at
  once, so ideal = ceil(30 / jobs) x 2 x L; and against the same plus the time the
  deliveries took to send (the last PR cannot have its draft earlier).

- each review's time cut where the work changes hands (``Spans``): the handler, the server's
  queue, the fetch, the model's two rounds and the rest, and the time to all drafts against
  the latest of each review's delivery plus its own queue wait plus 2 x L (what the
  deliveries, the queue and the model allow; the rest is ours).

The loopback model keeps connections alive, as hosted and local model servers do.
Before the burst, ``--warm`` reviews (1) run one at a time, so the burst meets a server that
has imported the graph and built its clients, as a running service has; the first one's time
is printed too (``--warm 0`` measures the burst on a cold server).

    .venv/bin/python -m bench.webhook            # --latency 1.0 --jobs 30
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.integration.conftest import free_port, hermetic_config, server_env, stop_group
from tests.servers import github_events as events
from tests.servers.github_server import GitHubServer, PullRecord, RecordedRequest
from tests.servers.openai_server import ChatRequest, ModelServer, Reply
from tests.servers.panel_model import answer, which

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"
TOKEN = "ghp_BenchTokenNotASecret0123456789abcd"
DIFF = (ROOT / "examples" / "sql_injection.diff").read_text()
START_TIMEOUT = 90.0  # seconds for langgraph dev to answer GET /ok (about 2 s when quiet)


def cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by every process of the server's group."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])
    return total / tick


def start_server(
    env: dict[str, str],
    jobs: int,
    workdir: Path,
    allow_blocking: bool = False,
    config_file: Path = ROOT / "langgraph.json",
) -> tuple[subprocess.Popen[bytes], str]:
    config = hermetic_config(config_file, workdir)
    port = free_port()
    log = open(workdir / "server.log", "wb")  # noqa: SIM115  (closed with the process)
    command = [
        str(Path(sys.executable).with_name("langgraph")),
        "dev",
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-browser",
        "--no-reload",
        *(["--allow-blocking"] if allow_blocking else []),
        "--n-jobs-per-worker",
        str(jobs),
    ]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=server_env(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise SystemExit(
                f"langgraph dev exited with code {process.returncode} before it answered:\n"
                f"{tail(workdir / 'server.log')}"
            )
        try:
            if httpx.get(url + "/ok", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_group(process, timeout=30)
    log.close()
    raise SystemExit(
        f"langgraph dev did not answer GET /ok within {START_TIMEOUT:.0f} s:\n"
        f"{tail(workdir / 'server.log')}"
    )


def tail(path: Path, lines: int = 40) -> str:
    """The end of the server's log, kept for the message (its folder is removed after)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output captured)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


async def burst(url: str, bodies: list[bytes]) -> list[tuple[float, float]]:
    """Send the deliveries spread evenly over one second; when each was sent, and its
    answer time."""
    spacing = 1.0 / len(bodies)

    async def one(i: int, client: httpx.AsyncClient) -> tuple[float, float]:
        await asyncio.sleep(i * spacing)
        headers = events.signed_headers(SECRET, bodies[i], "pull_request")
        began = time.perf_counter()
        answer_ = await client.post(url + "/github/webhook", content=bodies[i], headers=headers)
        took = time.perf_counter() - began
        assert answer_.status_code == 202, answer_.text
        return began, took

    async with httpx.AsyncClient(timeout=30) as client:
        return list(await asyncio.gather(*(one(i, client) for i in range(len(bodies)))))


def warm_up(url: str, github: GitHubServer, pr: PullRecord) -> float:
    """One review on its own, delivery to draft: the server's first imports and clients."""
    body = events.body_of(events.pull_request(pr, "opened", github.base_url))
    began = time.perf_counter()
    headers = events.signed_headers(SECRET, body, "pull_request")
    assert httpx.post(url + "/github/webhook", content=body, headers=headers).status_code == 202
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        statuses = github.statuses(pr.owner, pr.repo, pr.head_sha)
        if any(s["description"].startswith("draft ready") for s in statuses):
            return time.perf_counter() - began
        time.sleep(0.02)
    raise SystemExit(f"the warm-up review of {pr.owner}/{pr.repo}#{pr.number} never paused")


_UNDER_REVIEW = re.compile(r"Change under review: bench/burst#(\d+)")


@dataclass
class Spans:
    """One review's time from its delivery to its draft, cut where the work changes hands.

    From the loopback servers' records: the "running" status (set once the run is created),
    the run's first read of its PR (fetch began), the model calls and the "draft ready"
    status. ``queue`` is the server's (run created, not yet taken by a worker); the model's
    two rounds are ``2 L``; the rest is ours.
    """

    handler: float  # delivery to run created (the webhook's handler)
    queue: float  # run created to fetch's first read of the PR (the server's queue)
    fetch: float  # to the first specialist call
    between: float  # the last specialist answer to the orchestrator call
    tail: float  # the orchestrator's answer to the draft's status
    total: float
    delivered: float  # when its delivery was sent (perf_counter)

    @property
    def ours(self) -> float:
        return self.handler + self.fetch + self.between + self.tail

    @classmethod
    def of(
        cls,
        pr: PullRecord,
        delivered: float,
        requests: list[RecordedRequest],
        calls: list[tuple[float, str, int]],
        latency: float,
    ) -> Spans | None:
        statuses = [
            r for r in requests if r.method == "POST" and r.path.endswith("/" + pr.head_sha)
        ]
        created = next((r.at for r in statuses if b"draft ready" not in r.body), None)
        draft = next((r.at for r in statuses if b"draft ready" in r.body), None)
        own = f"/repos/{pr.owner}/{pr.repo}/pulls/{pr.number}"
        read = next((r.at for r in requests if r.method == "GET" and r.path == own), None)
        special = [t for t, who, n in calls if n == pr.number and who != "orchestrator"]
        orchestrator = [t for t, who, n in calls if n == pr.number and who == "orchestrator"]
        if None in (created, draft, read) or not special or not orchestrator:
            return None
        assert created is not None and draft is not None and read is not None
        return cls(
            handler=created - delivered,
            queue=read - created,
            fetch=min(special) - read,
            between=orchestrator[0] - (max(special) + latency),
            tail=draft - (orchestrator[-1] + latency),
            total=draft - delivered,
            delivered=delivered,
        )


def median_max(name: str, values: list[float]) -> str:
    """``name median/max`` in seconds, for the per-review (or per-run) line."""
    return f"{name} {statistics.median(values):.2f}/{max(values):.2f}"


def bound(spans: list[Spans], latency: float, began: float) -> float:
    """What the deliveries, the server's queue and the model allow: the latest of each
    review's delivery plus its queue wait, plus 2 L (seconds after ``began``)."""
    return max(s.delivered - began + s.queue for s in spans) + 2 * latency


def print_spans(spans: list[Spans], latency: float, all_ready: float, began: float) -> None:
    """Where each review's time went, median and worst over the burst, and the bound: the
    latest of each review's delivery plus its queue wait plus 2 L (``began``: the burst's
    start, from which ``all_ready`` counts)."""
    print(
        "per review, median/max seconds: "
        + "; ".join(
            median_max(name, [getattr(s, name) for s in spans])
            for name in ("total", "handler", "queue", "fetch", "between", "tail")
        )
        + f"; model 2 x L = {2 * latency:.2f}"
    )
    ours = [s.ours for s in spans]
    limit = bound(spans, latency, began)
    print(
        f"ours (handler + fetch + between + tail): median {statistics.median(ours):.2f} s, "
        f"max {max(ours):.2f} s against the model's {2 * latency:.2f} s; all drafts "
        f"{all_ready:.2f} s against the latest of each review's delivery plus its queue wait "
        f"plus 2 L, {limit:.2f} s: {all_ready / limit:.2f}x"
    )


@dataclass
class Burst:
    """What one burst measured (``run``); ``report`` prints it."""

    prs: int
    latency: float
    jobs: int
    warm_times: list[float]
    sent: float  # seconds the deliveries took to send
    answers: list[float]  # the webhook's answer time, per delivery
    done: int  # drafts ready
    all_ready: float  # the first delivery to the last draft's status on GitHub
    cpu: float  # the server's CPU seconds, the burst's first delivery to its last draft
    model_calls: int
    most_in_flight: int
    calls: list[tuple[float, str, int]]  # (arrival - began, who, PR number)
    spans: list[Spans]
    began: float


def run(latency: float, prs: int, jobs: int, allow_blocking: bool, warm: int) -> Burst:
    """One burst on a fresh ``langgraph dev``: ``prs`` deliveries spread over a second."""
    calls: list[tuple[float, str, int]] = []  # (arrival, who, PR number) of every model call

    def timed(request: ChatRequest) -> Reply:
        number = _UNDER_REVIEW.search(request.user)
        calls.append((time.perf_counter(), which(request), int(number[1]) if number else 0))
        return answer(request)

    model_server = ModelServer(timed, latency=latency, keep_alive=True)
    with model_server as model, GitHubServer(token=TOKEN) as github:
        pulls, warming = [], []
        for n in range(1, prs + 1):
            head = hashlib.sha1(f"bench {n}".encode()).hexdigest()
            pulls.append(github.add_pull("bench", "burst", n, DIFF, head_sha=head))
        for n in range(1, warm + 1):
            head = hashlib.sha1(f"warm {n}".encode()).hexdigest()
            warming.append(github.add_pull("bench", "warm", n, DIFF, head_sha=head))
        env = {
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "bench-key",
            "REVIEW_PANEL_MAX_RETRIES": "0",
            "GITHUB_API_URL": github.base_url,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_WEBHOOK_SECRET": SECRET,
        }
        with tempfile.TemporaryDirectory() as tmp:
            process, url = start_server(env, jobs, Path(tmp), allow_blocking)
            try:
                warm_times = [warm_up(url, github, pr) for pr in warming]
                bodies = [
                    events.body_of(events.pull_request(pr, "opened", github.base_url))
                    for pr in pulls
                ]
                calls.clear()
                before_burst = len(model.requests)
                model.max_in_flight = 0
                cpu_before = cpu_seconds(process.pid)
                began = time.perf_counter()
                sent_at = asyncio.run(burst(url, bodies))
                sent = time.perf_counter() - began

                heads = {pr.head_sha for pr in pulls}

                def drafts() -> list[float]:
                    """When each PR's "draft ready" status reached GitHub, of those that did."""
                    return [
                        r.at
                        for r in github.requests
                        if r.method == "POST"
                        and r.path.rsplit("/", 1)[-1] in heads
                        and b"draft ready" in r.body
                    ]

                deadline = time.monotonic() + 600
                while len(drafts()) < len(pulls) and time.monotonic() < deadline:
                    time.sleep(0.05)  # polls the record; the times come from the record itself
                cpu = cpu_seconds(process.pid) - cpu_before
                ready = drafts()
                if len(ready) < len(pulls):
                    ends = tail(Path(tmp) / "server.log")
                    print(f"only {len(ready)} drafts; the server's log ends:\n{ends}")
            finally:
                stop_group(process, timeout=30)
        spans = [
            span
            for pr, (delivered, _) in zip(pulls, sent_at, strict=True)
            if (span := Spans.of(pr, delivered, github.requests, calls, latency)) is not None
        ]
    return Burst(
        prs=prs,
        latency=latency,
        jobs=jobs,
        warm_times=warm_times,
        sent=sent,
        answers=sorted(took for _, took in sent_at),
        done=len(ready),
        all_ready=(max(ready) - began) if ready else float("inf"),
        cpu=cpu,
        model_calls=len(model.requests) - before_burst,
        most_in_flight=model.max_in_flight,
        calls=[(t - began, who, n) for t, who, n in calls],
        spans=spans,
        began=began,
    )


def report(b: Burst) -> None:
    answers = b.answers
    p99 = answers[min(len(answers) - 1, math.ceil(0.99 * len(answers)) - 1)]
    ideal = math.ceil(b.prs / b.jobs) * 2 * b.latency
    if b.warm_times:
        print(
            f"before the burst, {len(b.warm_times)} review(s) one at a time: the first on the "
            f"fresh server took {b.warm_times[0]:.2f} s from delivery to draft"
            + (f", the next {min(b.warm_times[1:]):.2f} s" if len(b.warm_times) > 1 else "")
        )
    print(f"deliveries: {len(answers)} for {b.prs} PRs, sent within {b.sent:.2f} s")
    print(
        f"webhook answer time: p50 {statistics.median(answers) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {answers[-1] * 1000:.0f} ms (target p99 < 1000 ms)"
    )
    print(
        f"drafts ready: {b.done}/{b.prs}; all of them {b.all_ready:.2f} s after the first "
        f"delivery; model-bound ideal {ideal:.1f} s (L = {b.latency} s, {b.jobs} "
        f"jobs at once)" + (f" -> {b.all_ready / ideal:.2f}x" if ideal else "")
    )
    if ideal:
        last = b.sent + ideal  # the last delivery's draft, were the model all it waited for
        print(
            f"  against the last delivery plus the ideal, {last:.2f} s: {b.all_ready / last:.2f}x"
        )
    print(f"model calls: {b.model_calls}; most in flight at once: {b.most_in_flight}")
    print(
        f"server CPU: {b.cpu:.1f} s for {b.prs} reviews ({b.cpu / b.prs * 1000:.0f} ms each, "
        f"webhook to draft); load average while measured: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    first = [t for t, who, _ in b.calls if who != "orchestrator"]
    last_calls = [t for t, who, _ in b.calls if who == "orchestrator"]
    if first and last_calls:
        print(
            f"specialist calls arrived {min(first):.2f}..{max(first):.2f} s; orchestrator "
            f"calls {min(last_calls):.2f}..{max(last_calls):.2f} s after the first delivery"
        )
    if b.spans:
        print_spans(b.spans, b.latency, b.all_ready, b.began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.0, help="model latency L, seconds")
    parser.add_argument("--prs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=30, help="langgraph dev jobs per worker")
    parser.add_argument(
        "--allow-blocking",
        action="store_true",
        help="without langgraph dev's blocking-call detection (which production does not run)",
    )
    parser.add_argument(
        "--warm",
        type=int,
        default=1,
        help="reviews before the burst, one at a time (0: measure the burst on a cold server)",
    )
    args = parser.parse_args()
    report(run(args.latency, args.prs, args.jobs, args.allow_blocking, args.warm))


if __name__ == "__main__":
    main()
