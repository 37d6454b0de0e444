"""Speed-up of ``bench --workers N`` and the cost of 1M comments per detector (issue 13).

    python benchmarks/perf/workers_perf.py --detector presidio --sample 4000
    python benchmarks/perf/workers_perf.py --cost keywords identifiers presidio edsnlp

The first form runs ``breachbench bench`` on the same seeded sample of the default dataset
with ``--workers 1`` and ``--workers N`` (each in its own process, as a user would) and
prints the ratio of their wall speeds: comments answered per wall second from the end of
loading to the last answer (``wall_comments_per_second``), measured in the same run of
this script, so the machine's load is shared by both. Loading is left out: N copies load
side by side, and a real run of hours amortises it. The issue's bar: >= 1.7 on 2 cores for
presidio.

The second form measures each detector's steady comments/s with one copy on the sample
and *extrapolates* the time 1,000,000 comments would take on one copy and on N copies
(N times the one-copy speed, at most one copy per core, times the measured 2-worker
efficiency when given); nothing is run on a million comments.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

BATCH_SIZE = 32
"""Calls of 32 texts: enough calls that each copy's first (warm-up) call does not decide
the split of a sample of about a thousand comments."""


def bench(detector: str, workers: int, out: Path, sample: int, seed: int) -> dict | None:
    """One ``bench`` run in its own process; its results.json, or None if it failed."""
    command = [sys.executable, "-m", "breachbench", "bench", "--detector", detector]
    command += ["--sample", str(sample), "--seed", str(seed), "--out", str(out)]
    command += ["--batch-size", str(BATCH_SIZE)]
    command += ["--workers", str(workers), "--overwrite", "--no-progress", "--bootstrap", "0"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"{detector}: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def hours(comments_per_second: float) -> str:
    seconds = 1_000_000 / comments_per_second
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--detector", default="presidio")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cost", nargs="*", default=None, metavar="DETECTOR")
    parser.add_argument(
        "--efficiency", type=float, default=None, help="measured N-worker ratio / N"
    )
    parser.add_argument("--out", type=Path, default=Path("breachbench-output/perf-workers"))
    args = parser.parse_args()
    if args.cost is not None:
        cores = os.cpu_count() or 1
        print(
            f"| detector | comments/s, 1 copy | 1M comments, 1 copy | 1M comments, {cores} copies |"
        )
        print("|---|---|---|---|")
        for detector in args.cost:
            results = bench(
                detector, 1, args.out / detector.replace(":", "-"), args.sample, args.seed
            )
            if results is None:
                continue
            speed = results["throughput"]["comments_per_second"]
            parallel = speed * cores * (args.efficiency or 1.0)
            print(f"| {detector} | {speed:,.0f} | {hours(speed)} | {hours(parallel)} |")
        return
    runs = {}
    before = os.getloadavg()[0]
    for workers in (1, args.workers):
        runs[workers] = bench(
            args.detector, workers, args.out / f"w{workers}", args.sample, args.seed
        )
        if runs[workers] is None:
            sys.exit(1)
    one, many = runs[1], runs[args.workers]
    assert one["counts"] == many["counts"], "workers changed the counts"
    speeds = {w: r["throughput"]["wall_comments_per_second"] for w, r in runs.items()}
    comments = one["throughput"]["comments"]
    print(
        f"{args.detector}, {comments:,} comments, {os.cpu_count()} CPUs: --workers 1"
        f" {speeds[1]:,.0f} comments/s, --workers {args.workers} {speeds[args.workers]:,.0f}"
        f" comments/s (wall, loading excluded); ratio {speeds[args.workers] / speeds[1]:.2f}"
        f" (load average {before:.1f} before, {os.getloadavg()[0]:.1f} after: other"
        " processes on the same cores lower the ratio)"
    )


if __name__ == "__main__":
    main()
