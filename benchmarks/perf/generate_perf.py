"""End-to-end speed and peak memory of ``generate_dataset``.

    python benchmarks/perf/generate_perf.py --rows 10000000 --workers 2
    python benchmarks/perf/generate_perf.py --rows 10000000 --workers 2 --directory

Prints a readable line, then the same figures as one line of JSON. Peak memory is the
largest resident set of this process (``RUSAGE_SELF``) and of the largest finished worker
(``RUSAGE_CHILDREN``); their sum bounds what the run held at once. Output goes to a
temporary directory removed afterwards, unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

from generator.api import generate_dataset
from generator.options import FORMATS, GenerateOptions
from generator.runner import DEFAULT_PART_ROWS

_RSS_SCALE = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux


def peak_rss() -> tuple[int, int]:
    """(parent, largest child) peak resident set sizes, in bytes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_SCALE
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * _RSS_SCALE
    return own, children


def measure(
    rows: int, workers: int, *, fmt: str, directory: bool, out: Path | None, part_rows: int
) -> dict:
    """Run one generation and return its figures."""
    options = GenerateOptions(rows=rows, workers=workers, format=fmt)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="breachbench-perf-") as scratch:
        target = out or Path(scratch) / ("parts" if directory else f"patients.{fmt}")
        summary = generate_dataset(
            target, options, overwrite=True, progress=False, part_rows=part_rows
        )
    parent, child = peak_rss()
    return {
        "rows": summary.rows,
        "workers": workers,
        "format": fmt,
        "output": "directory" if summary.is_directory else "file",
        "files": len(summary.files),
        "bytes": summary.bytes,
        "seconds": round(summary.seconds, 3),
        "rows_per_second": round(summary.rows_per_second),
        "peak_rss_parent_mb": round(parent / 2**20, 1),
        "peak_rss_largest_child_mb": round(child / 2**20, 1),
        "peak_rss_mb": round(max(parent, child) / 2**20, 1),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--format", choices=FORMATS, default="parquet")
    parser.add_argument("--directory", action="store_true", help="part files, written by workers")
    parser.add_argument("--part-rows", type=int, default=DEFAULT_PART_ROWS)
    parser.add_argument("--out", type=Path, default=None, help="keep the output here")
    args = parser.parse_args(argv)
    figures = measure(
        args.rows,
        args.workers,
        fmt=args.format,
        directory=args.directory,
        out=args.out,
        part_rows=args.part_rows,
    )
    print(
        f"{figures['rows']:,} rows ({figures['output']}, {figures['workers']} workers) in "
        f"{figures['seconds']} s: {figures['rows_per_second']:,} rows/s; peak RSS parent "
        f"{figures['peak_rss_parent_mb']} MB, "
        f"largest worker {figures['peak_rss_largest_child_mb']} MB"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
