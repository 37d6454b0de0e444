"""End-to-end speed and peak memory of ``generate_dataset``.

    python benchmarks/perf/generate_perf.py --rows 10000000 --workers 2
    python benchmarks/perf/generate_perf.py --rows 10000000 --workers 2 --directory

Prints a readable line, then the same figures as one line of JSON. Peak memory is the
high-water mark (``VmHWM``) of the parent and of the largest worker, as the summary reports
it. CPU seconds (this process and its workers, user + system) and rows per CPU-second are
printed too: on a shared machine, where other jobs stretch the wall time, they are the
figures that stay put (the README's cost model is built on them). ``--baseline`` also
times the row-by-row way, Faker's ``fr_FR`` provider filling the same kind of columns, in
this same run, and prints the ratio. ``--startup`` also times ``breachbench generate
--rows 1000`` in a fresh process: what a CI job asking for a small fixture waits, and the
fixed cost inside every figure above. Output goes to a temporary directory removed
afterwards, unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from breachbench.generator.api import generate_dataset
from breachbench.generator.options import FORMATS, GenerateOptions
from breachbench.generator.run.runner import DEFAULT_PART_ROWS


def faker_rows_per_second(rows: int = 3_000) -> float:
    """Rows/s of a per-row Faker generator for comparable columns (no comments, no labels)."""
    from faker import Faker

    fake = Faker("fr_FR")
    Faker.seed(0)
    started = time.perf_counter()
    for _ in range(rows):
        {
            "last_name": fake.last_name(),
            "first_name": fake.first_name(),
            "birth_date": fake.date_of_birth(),
            "birth_place": fake.city(),
            "nir": fake.ssn(),
            "phone_mobile": fake.phone_number(),
            "email": fake.email(),
            "address": fake.street_address(),
            "postcode": fake.postcode(),
            "city": fake.city(),
            "doctor_name": fake.name(),
            "created_at": fake.date_time_this_decade(),
            "admin_comment": fake.sentence(),
        }
    return rows / (time.perf_counter() - started)


def startup_seconds(rows: int = 1_000) -> float:
    """Wall time of a small ``breachbench generate`` in a fresh process (imports included)."""
    command = shutil.which("breachbench")
    argv = [command] if command else [sys.executable, "-m", "breachbench"]
    with tempfile.TemporaryDirectory(prefix="breachbench-perf-") as scratch:
        out = Path(scratch) / "small.parquet"
        started = time.perf_counter()
        subprocess.run(
            [*argv, "generate", "--rows", str(rows), "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def measure(
    rows: int, workers: int, *, fmt: str, directory: bool, out: Path | None, part_rows: int
) -> dict:
    """Run one generation and return its figures."""
    options = GenerateOptions(rows=rows, workers=workers, format=fmt)  # type: ignore[arg-type]
    cpu_before = cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="breachbench-perf-") as scratch:
        target = out or Path(scratch) / ("parts" if directory else f"patients.{fmt}")
        summary = generate_dataset(
            target, options, overwrite=True, progress=False, part_rows=part_rows
        )
    cpu = cpu_seconds() - cpu_before
    return {
        "rows": summary.rows,
        "workers": workers,
        "format": fmt,
        "output": "directory" if summary.is_directory else "file",
        "files": len(summary.files),
        "bytes": summary.bytes,
        "seconds": round(summary.seconds, 3),
        "rows_per_second": round(summary.rows_per_second),
        "peak_rss_mb": round(summary.peak_rss_bytes / 2**20, 1),
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(summary.rows / cpu) if cpu > 0 else None,
        "bytes_per_row": round(summary.bytes / summary.rows, 1) if summary.rows else None,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its workers (once they have ended)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--format", choices=FORMATS, default="parquet")
    parser.add_argument("--directory", action="store_true", help="part files, written by workers")
    parser.add_argument("--part-rows", type=int, default=DEFAULT_PART_ROWS)
    parser.add_argument("--out", type=Path, default=None, help="keep the output here")
    parser.add_argument("--baseline", action="store_true", help="also time row-wise Faker")
    parser.add_argument("--startup", action="store_true", help="also time a 1,000-row run")
    args = parser.parse_args(argv)
    if args.startup:
        # First, so that the big run's output is not in the page cache's way.
        startup = startup_seconds()
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
        f"{figures['seconds']} s: {figures['rows_per_second']:,} rows/s; "
        f"{figures['cpu_seconds']} CPU s, {figures['rows_per_cpu_second']:,} rows per CPU-second; "
        f"peak RSS of the largest process {figures['peak_rss_mb']} MB"
    )
    if args.baseline:
        baseline = faker_rows_per_second()
        figures["faker_rows_per_second"] = round(baseline)
        figures["ratio_to_faker"] = round(figures["rows_per_second"] / baseline, 1)
        print(
            f"row-wise Faker, same run: {baseline:,.0f} rows/s; "
            f"breachbench is {figures['ratio_to_faker']}x faster"
        )
    if args.startup:
        figures["startup_seconds"] = round(startup, 2)
        print(f"breachbench generate --rows 1000, fresh process: {startup:.2f} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
