"""The team service's burst against the platform's floor, in pairs: is it bounded by the model?

``bench.webhook`` times 30 real reviews, delivered within a second, from the first delivery to
the last draft's status on GitHub. ``bench.floor`` times 30 runs of a graph of the panel's
shape that makes the same model calls at the same latency and does nothing else, on the same
server (``langgraph dev``), from the first run created to the last one paused. The floor is
what the model and the platform allow for that burst (its queue, for one, takes new runs every
half second, so runs start in batches); the panel's time against it is what our work adds.

This machine's speed moves by a third within an hour, so the two run alternately, ``--pairs``
times, each on a fresh server, and the figure is the median of the pairs' ratios. Each pair
also prints bench.webhook's own bound (the latest of each review's delivery plus its queue
wait plus 2 L), and each side's server CPU.

    .venv/bin/python -m bench.against_floor         # --pairs 5 --latency 1.0 --prs 30
"""

from __future__ import annotations

import argparse
import statistics

from bench import floor, webhook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=1.0, help="model latency L, seconds")
    parser.add_argument("--prs", type=int, default=30, help="reviews (and floor runs) a burst")
    args = parser.parse_args()
    ratios, bounds = [], []
    for n in range(1, args.pairs + 1):
        panel = webhook.run(args.latency, args.prs, args.prs, allow_blocking=False, warm=1)
        alone = floor.run(args.latency, args.prs, args.prs)
        if panel.done < args.prs:
            raise SystemExit(f"pair {n}: only {panel.done} of {args.prs} drafts")
        ratio = panel.all_ready / alone.all_done
        bound = panel.all_ready / webhook.bound(panel.spans, args.latency, panel.began)
        ratios.append(ratio)
        bounds.append(bound)
        print(
            f"pair {n}: all {args.prs} drafts {panel.all_ready:.2f} s "
            f"({panel.cpu / args.prs * 1000:.0f} ms server CPU a review); the floor's "
            f"{args.prs} pauses {alone.all_done:.2f} s ({alone.cpu / args.prs * 1000:.0f} ms a "
            f"run): {ratio:.2f}x the floor; {bound:.2f}x bench.webhook's bound",
            flush=True,
        )
    print(
        f"median over {args.pairs} pairs: {statistics.median(ratios):.2f}x the floor "
        f"({min(ratios):.2f} to {max(ratios):.2f}); {statistics.median(bounds):.2f}x "
        f"bench.webhook's bound ({min(bounds):.2f} to {max(bounds):.2f}); L = {args.latency} s"
    )


if __name__ == "__main__":
    main()
