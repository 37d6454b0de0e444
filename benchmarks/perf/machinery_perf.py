"""What the single-file machinery buys: each way of writing one Parquet file, timed in turn.

    python benchmarks/perf/machinery_perf.py --rows 2000000 --workers 2 --rounds 3

One Parquet file written by several processes can be made two ways, and this script
times each of them in the same minutes (rounds alternate, so a drift of the machine's
speed hits both alike), on the same rows:

- ``stitched``: the workers generate *and* encode whole row groups, send the bytes back
  through the pool's result pipe, and the writing process appends them and writes one
  footer (what ``generate_dataset`` does for a single file);
- ``parent-encodes``: the workers generate Arrow tables, the writing process encodes them
  with pyarrow's writer (no stitching).

It prints rows/s for each, and the ratio of ``stitched`` to ``parent-encodes``: the
stitcher is worth its code only while that ratio stays above 1.1 on 2 cores. (A third
way, handing the encoded bytes over through temporary files, measured x1.20 against
x1.25 for the pipe, and was removed.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.manifest import provenance_json
from breachbench.generator.output.writers import open_sink
from breachbench.generator.run import runner


def _stitched(options: GenerateOptions, out: Path) -> None:
    metadata = provenance_json(options)
    with open_sink("parquet", out, batch_size=options.batch_size, metadata_json=metadata) as sink:
        pieces = runner.generate_encoded(options, metadata_json=metadata)
        with contextlib.closing(pieces):
            for rows in pieces:
                sink.write_encoded(rows)


def _parent_encodes(options: GenerateOptions, out: Path) -> None:
    metadata = provenance_json(options)
    with open_sink("parquet", out, batch_size=options.batch_size, metadata_json=metadata) as sink:
        tables = runner.generate_tables(options)
        with contextlib.closing(tables):
            for table in tables:
                sink.write(table)


WAYS: dict[str, Callable[[GenerateOptions, Path], None]] = {
    "stitched": _stitched,
    "parent-encodes": _parent_encodes,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    options = GenerateOptions(rows=args.rows, seed=0, workers=args.workers)
    speeds: dict[str, list[float]] = {name: [] for name in WAYS}
    with tempfile.TemporaryDirectory(prefix="breachbench-machinery-") as scratch:
        for _ in range(args.rounds):
            for name, way in WAYS.items():
                out = Path(scratch) / f"{name}.parquet"
                started = time.perf_counter()
                way(options, out)
                speeds[name].append(args.rows / (time.perf_counter() - started))
                out.unlink()
    medians = {name: statistics.median(values) for name, values in speeds.items()}
    base = medians["parent-encodes"]
    for name, value in medians.items():
        runs = ", ".join(f"{v:,.0f}" for v in speeds[name])
        print(f"{name:<15} median {value:>9,.0f} rows/s ({runs}); x{value / base:.2f}")
    print(json.dumps({"rows": args.rows, "workers": args.workers, "rows_per_second": medians}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
