"""What the optional verification pass (REVIEW_PANEL_VERIFY) costs: round trips and tokens.

Reviews the same pull requests with the pass off and on, against the loopback servers (the
rule-based model, whose verifier keeps every finding, so the two reviews differ only by the
verification calls), and prints model round trips, prompt and completion tokens per review,
and the wall time to the draft at a fixed model latency.

    .venv/bin/python -m bench.verify             # --latency 0.2 by default
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench import harness
from bench.prs import large_pr, small_pr
from tests.servers.panel_model import which


async def measure(latency: float) -> list[tuple[str, str, int, int, int, float]]:
    rows = []
    with harness.servers(latency) as (model, github), tempfile.TemporaryDirectory() as tmp:
        github.add_pull("octo", "bench", 1, small_pr(), title="Small change")
        github.add_pull("octo", "bench", 2, large_pr(files=40, changed_lines=2_000))
        # Warm-up (imports, first connections), not measured.
        await harness.review("octo/bench#1", Path(tmp) / "warm.sqlite", approve=False)
        for number, name in ((1, "small PR (3 files)"), (2, "PR of 40 files, 2,000 lines")):
            for verify in (False, True):
                before = len(model.requests)
                run = await harness.review(
                    f"octo/bench#{number}",
                    Path(tmp) / f"{number}-{verify}.sqlite",
                    approve=False,
                    verify=verify,
                )
                calls = model.requests[before:]
                usage = run.draft.get("usage", {})
                prompt = sum(u.get("prompt_tokens", 0) for u in usage.values())
                completion = sum(u.get("completion_tokens", 0) for u in usage.values())
                checks = sum(1 for r in calls if which(r) == "verifier")
                label = f"verify {'on' if verify else 'off'}"
                rows.append((name, label, len(calls), checks, prompt + completion, run.to_draft))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per model call")
    args = parser.parse_args()
    rows = asyncio.run(measure(args.latency))
    print(f"L = {args.latency:g} s per model call; the rule-based model on loopback")
    print()
    print("| review | pass | model round trips | of which verification | tokens | to draft |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, label, calls, checks, tokens, wall in rows:
        print(f"| {name} | {label} | {calls} | {checks} | {tokens:,} | {wall:.2f} s |")


if __name__ == "__main__":
    main()
