"""Memory and listing with a very wide diff: N one-line new files (issue 11's hostile case).

    .venv/bin/python -m bench.many_files [--files 60000]

Runs ``review-panel review`` on the generated diff against the loopback model (the rule-based
test model, no latency), then ``review-panel threads`` and ``review-panel show`` on the
resulting database, each as its own process under GNU time, and prints wall time and peak
RSS of each, the size of the draft and of the database. Targets: review under 500 MiB peak,
``threads`` under 1 s. Nothing here asserts: it prints, and says which targets were missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import ROOT, _cli_env
from tests.servers.openai_server import ModelServer
from tests.servers.panel_model import answer

REVIEW_RSS_TARGET_MIB = 500
THREADS_TARGET_S = 1.0


def wide_diff(files: int) -> str:
    """``files`` new files of one line each; every tenth has something to find."""
    parts = []
    for i in range(files):
        found = f'query = f"SELECT * FROM t WHERE id = {{uid}}"  # {i}'
        line = found if i % 10 == 0 else f"x = {i}"
        parts.append(
            f"diff --git a/pkg{i // 1000}/m{i}.py b/pkg{i // 1000}/m{i}.py\nnew file mode 100644\n"
            f"--- /dev/null\n+++ b/pkg{i // 1000}/m{i}.py\n@@ -0,0 +1 @@\n+{line}\n"
        )
    return "".join(parts)


def timed(args: list[str], env: dict[str, str], timeout: float) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MiB, stdout) of one ``review-panel`` process.

    CPU time (user + system) is given beside wall time: on a shared machine the wall clock
    also counts the time other processes held the cores.
    """
    exe = Path(sys.executable).with_name("review-panel")
    started = time.monotonic()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "maxrss=%M cpu=%U+%S", str(exe), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"review-panel {args[0]} failed: {proc.stderr[-2000:]}")
    line = [x for x in proc.stderr.splitlines() if x.startswith("maxrss=")][-1]
    rss, cpu = line.removeprefix("maxrss=").split(" cpu=")
    user, system = cpu.split("+")
    return took, float(user) + float(system), int(rss) / 1024, proc.stdout


def _mark(missed: bool) -> str:
    return " MISSED" if missed else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=60_000)
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        raise SystemExit("needs GNU time (/usr/bin/time): apt-get install time")
    with ModelServer(answer, keep_alive=True) as model, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "wide.sqlite"
        env = _cli_env(model, db) | {"REVIEW_PANEL_MAX_CONCURRENCY": "16"}
        diff = Path(tmp) / "wide.diff"
        diff.write_text(wide_diff(args.files), encoding="utf-8")
        review_s, review_cpu, review_mib, out = timed(["review", str(diff), "--json"], env, 7200)
        shown = json.loads(out)
        draft_kib = len(json.dumps(shown["draft"])) / 1024
        markdown_kib = len(shown.get("markdown") or "") / 1024
        threads_s, threads_cpu, threads_mib, _ = timed(["threads"], env, 600)
        empty = env | {"REVIEW_PANEL_DB": str(Path(tmp) / "empty.sqlite")}
        base_s, base_cpu, _, _ = timed(["threads"], empty, 600)
        show_s, show_cpu, show_mib, _ = timed(["show", shown["thread_id"]], env, 600)
        db_mib = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
        calls = len(model.requests)
    rss_missed = review_mib >= REVIEW_RSS_TARGET_MIB
    rows = [
        ("diff", f"{args.files} one-line files, {diff_size(args.files)}", ""),
        (
            "review: wall; CPU; peak RSS",
            f"{review_s:.1f} s; {review_cpu:.1f} s; {review_mib:.0f} MiB",
            f"RSS < {REVIEW_RSS_TARGET_MIB} MiB{_mark(rss_missed)}",
        ),
        ("model calls", str(calls), ""),
        ("draft (JSON); draft markdown", f"{draft_kib:.0f} KiB; {markdown_kib:.0f} KiB", ""),
        ("database on disk", f"{db_mib:.1f} MiB", ""),
        (
            "threads: wall; CPU; peak RSS",
            f"{threads_s:.2f} s; {threads_cpu:.2f} s; {threads_mib:.0f} MiB",
            f"< {THREADS_TARGET_S:g} s{_mark(threads_cpu >= THREADS_TARGET_S)} (CPU)",
        ),
        (
            "threads on an empty database (start-up alone): wall; CPU",
            f"{base_s:.2f} s; {base_cpu:.2f} s",
            "",
        ),
        ("show: wall; CPU; peak RSS", f"{show_s:.2f} s; {show_cpu:.2f} s; {show_mib:.0f} MiB", ""),
    ]
    print("| measure | value | target |\n| --- | --- | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


def diff_size(files: int) -> str:
    return f"{len(wide_diff(min(files, 1000))) * files / min(files, 1000) / 2**20:.1f} MiB"


if __name__ == "__main__":
    main()
