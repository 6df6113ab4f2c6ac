"""How many bytes one review leaves in the CLI's SQLite checkpoint database.

    .venv/bin/python -m bench.checkpoint_size [--kib 1000] [--pr] [--real] [--no-compression]

Reviews a generated diff of about ``--kib`` KiB (``--real``: real Python code instead; ``--pr``:
as a pull request on the loopback GitHub server), approves it, and prints the database's size
against the diff plus the findings, with where the bytes are: checkpoint blobs and pending
writes, per channel. ``--no-compression`` stores checkpoints as LangGraph does by default, to
see what the state's design saves on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from bench import harness
from bench.prs import large_pr, real_code_pr

BYTES_PER_LINE = 74  # of the generated diff, measured: sizes a diff by its changed lines


@dataclass
class Size:
    diff: int
    findings: int
    db: int
    blobs: int  # checkpoints.checkpoint, as stored
    writes: dict[str, int]  # writes.value by channel, as stored

    @property
    def ratio(self) -> float:
        return self.db / (self.diff + self.findings)


def stored(db: Path) -> tuple[int, dict[str, int]]:
    con = sqlite3.connect(db)
    try:
        (blobs,) = con.execute("SELECT COALESCE(SUM(LENGTH(checkpoint)), 0) FROM checkpoints")
        writes: dict[str, int] = defaultdict(int)
        for channel, size in con.execute(
            "SELECT channel, SUM(LENGTH(value)) FROM writes GROUP BY channel"
        ):
            writes[channel] += int(size or 0)
    finally:
        con.close()
    return int(blobs[0]), dict(writes)


async def measure(kib: int = 1000, pr: bool = False, real: bool = False) -> Size:
    """Review and approve a diff of about ``kib`` KiB; measure the database."""
    if real:
        text = real_code_pr(kib)
    else:
        text = large_pr(files=200, changed_lines=max(300, kib * 1024 // BYTES_PER_LINE))
    with harness.servers(0.0) as (_, github), tempfile.TemporaryDirectory() as tmp:
        target = text
        if pr:
            github.add_pull("octo", "big", 1, text, title="A large change")
            target = "octo/big#1"
        db = Path(tmp) / "reviews.sqlite"
        run = await harness.review(target, db)
        blobs, writes = stored(db)
        return Size(len(text.encode()), run.findings_bytes(), run.db_bytes, blobs, writes)


def report(size: Size, label: str) -> str:
    top = sorted(size.writes.items(), key=lambda kv: -kv[1])[:4]
    writes = ", ".join(f"{ch} {n / 1024:.0f} KiB" for ch, n in top)
    return (
        f"{label}: diff {size.diff / 1024:.0f} KiB + findings {size.findings / 1024:.0f} KiB; "
        f"database {size.db / 1024:.0f} KiB = {size.ratio:.2f}x "
        f"(checkpoint blobs {size.blobs / 1024:.0f} KiB; writes: {writes})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kib", type=int, default=1000, help="size of the diff (KiB)")
    parser.add_argument("--pr", action="store_true", help="review it as a pull request")
    parser.add_argument("--real", action="store_true", help="real Python code, not generated")
    parser.add_argument(
        "--no-compression", action="store_true", help="LangGraph's default encoding"
    )
    args = parser.parse_args()
    if args.no_compression:
        import graph.serde

        graph.serde.compressed = lambda inner=None: inner or JsonPlusSerializer()
    size = asyncio.run(measure(args.kib, args.pr, args.real))
    what = ("real code" if args.real else "generated") + (" pull request" if args.pr else " diff")
    print(report(size, what + (", uncompressed" if args.no_compression else "")))


if __name__ == "__main__":
    main()
