"""``generate --engine dask`` on a 2-worker LocalCluster against the local engine, same run.

    python benchmarks/perf/dask_perf.py --rows 10000000 --workers 2 --rounds 2

Each round runs ``breachbench generate`` into a directory three ways, in turn (so a drift
of the shared machine's speed hits all alike), each in a fresh process as a user runs it:
the local engine; ``--engine dask``, which starts and stops its own ``LocalCluster``
(start-up included); and ``--engine dask --scheduler`` on a cluster already up, which
isolates the per-task cost. Fresh processes matter: a process that runs a cluster's threads
can no longer fork its local workers from itself, and would bill the local engine a slower
start. Prints the median rows/s of each (wall time of the whole command) and its ratio to
the local engine (the target: >= 0.8 for the LocalCluster), then one line of JSON. The part
files are checked equal.

On a shared machine the wall times swing with the other jobs (two runs of the same command
minutes apart differ by 40%). So the CPU seconds of each command (its process, its
workers, its cluster; not measurable for the cluster already up, which outlives the
command) are printed too: their ratio is what the wall-time ratio tends to on an idle
machine where the workers keep every core busy.

Starting a LocalCluster (its processes spawn and import Dask, then breachbench) costs a few
seconds whatever the rows (``generate --rows 131072 --engine dask`` took 4.6 to 7.0 s more
than the local engine on the loaded 2-core machine): the ratio says little below a few
million rows, hence the 10 million of the default.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("part-*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _children_cpu() -> float:
    """User + system CPU seconds of the commands run so far, their own children included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--part-rows", type=int, default=524_288)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    from breachbench.generator.run.dask_engine import local_cluster

    # This interpreter's breachbench, not whichever comes first on the PATH.
    base = [sys.executable, "-m", "breachbench", "generate", "--rows", str(args.rows)]
    base += ["--workers", str(args.workers), "--part-rows", str(args.part_rows), "--no-progress"]
    speeds: dict[str, list[float]] = {"local": [], "dask": [], "dask, cluster up": []}
    cpu: dict[str, list[float]] = {name: [] for name in speeds}
    digests: set[str] = set()
    with (
        tempfile.TemporaryDirectory(prefix="breachbench-dask-perf-") as scratch,
        local_cluster(args.workers) as cluster,
    ):
        ways: dict[str, list[str]] = {
            "local": [],
            "dask": ["--engine", "dask"],
            "dask, cluster up": ["--engine", "dask", "--scheduler", cluster.scheduler_address],
        }
        for round_ in range(args.rounds):
            for name, extra in ways.items():
                out = Path(scratch) / f"{name.replace(' ', '-').replace(',', '')}-{round_}"
                cpu_before = _children_cpu()
                started = time.perf_counter()
                subprocess.run(
                    [*base, *extra, "--out", f"{out}/"], check=True, stdout=subprocess.DEVNULL
                )
                speeds[name].append(args.rows / (time.perf_counter() - started))
                cpu[name].append(_children_cpu() - cpu_before)
                digests.add(_digest(out))
                shutil.rmtree(out)
    assert len(digests) == 1, "the engines wrote different bytes"
    medians = {name: statistics.median(values) for name, values in speeds.items()}
    local = medians["local"]
    for name, value in medians.items():
        runs = ", ".join(f"{v:,.0f}" for v in speeds[name])
        print(f"{name:<17} median {value:>9,.0f} rows/s ({runs}); x{value / local:.2f}")
    ratios = {name: round(value / local, 3) for name, value in medians.items()}
    cpu_medians = {name: statistics.median(cpu[name]) for name in ("local", "dask")}
    cpu_ratio = cpu_medians["local"] / cpu_medians["dask"]
    print(
        f"CPU seconds: local {cpu_medians['local']:.1f}, dask {cpu_medians['dask']:.1f}"
        f" (LocalCluster included); CPU ratio x{cpu_ratio:.2f}"
    )
    figures = {"rows": args.rows, "workers": args.workers, "rows_per_second": medians}
    figures |= {"ratio_to_local": ratios, "cpu_seconds": cpu_medians, "cpu_ratio": cpu_ratio}
    print(json.dumps({**figures, "load": os.getloadavg()[0]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
