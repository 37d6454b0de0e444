"""Speed and peak memory of ``redact`` and ``reid`` on a large dataset (default 1M rows).

Each command runs in its own process (``python -m breachbench ...``), so the peak resident
set size read from ``wait4`` is that command's alone, harness and detector included. The
budget is 500 MB per command on 1M rows: both stream the dataset in batches.

    python benchmarks/perf/lesson_perf.py                 # generates 1M rows once, cached
    python benchmarks/perf/lesson_perf.py --rows 200000 --modes mask
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_BYTES = 500 * 10**6


def run(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of ``python -m breachbench ARGS``."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "breachbench", *args], stdout=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    output = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"breachbench {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dataset", type=Path, default=None, help="Reuse this Parquet file.")
    parser.add_argument("--modes", default="mask,pseudonym", help="redact modes to time")
    parser.add_argument("--detector", default="keywords+identifiers")
    options = parser.parse_args()
    cache = Path(os.environ.get("BREACHBENCH_CACHE", Path.home() / ".cache" / "breachbench"))
    data = options.dataset or cache / f"lesson-perf-{options.rows}.parquet"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        seconds, _ = run(["generate", "-n", str(options.rows), "-s", "7", "-o", str(data)])
        print(f"generated {options.rows:,} rows in {seconds:.1f} s -> {data}")
    rows = options.rows
    lines = ["| command | rows/s | seconds | peak RSS | within 500 MB |", "|---|--:|--:|--:|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [
            (
                f"redact --mode {mode}",
                [
                    "redact",
                    str(data),
                    "-d",
                    options.detector,
                    "--mode",
                    mode,
                    "-o",
                    f"{tmp}/{mode}",
                    "--overwrite",
                ],
            )
            for mode in options.modes.split(",")
        ]
        jobs.append(("reid", ["reid", str(data), "-o", f"{tmp}/reid"]))
        first = options.modes.split(",")[0]
        redacted = f"{tmp}/{first}/redacted.parquet"
        jobs.append((f"reid ({first}-redacted)", ["reid", redacted, "-o", f"{tmp}/reid2"]))
        for name, args in jobs:
            seconds, peak = run(args)
            ok = "yes" if peak <= BUDGET_BYTES else "**no**"
            lines.append(
                f"| {name} | {rows / seconds:,.0f} | {seconds:.1f} | {peak / 1e6:,.0f} MB | {ok} |"
            )
            print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
