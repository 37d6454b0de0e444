"""CPU of one block at several block sizes: what a block costs whatever its size.

    python benchmarks/perf/block_cost.py
    python benchmarks/perf/block_cost.py --sizes 16384 65536 131072 262144 --difficulty hard

Builds blocks of each size in this process (``_block`` with ``BLOCK_ROWS`` set for the
measurement; the rows are not the dataset's at other sizes) and prints the median CPU per
block and per 65,536 rows, then a least-squares line through the medians: its intercept
is the fixed cost of a block (passes per slot kind, template family and pattern, whatever
the rows), its slope the cost per row. ``BLOCK_ROWS`` is chosen so that the intercept is
a small share of a block. Generation only: encoding is per row group, not per block.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from breachbench.generator import block
from breachbench.generator.options import DIFFICULTIES, GenerateOptions


def block_cpu(options: GenerateOptions, size: int, blocks: int) -> float:
    """Median CPU seconds of ``blocks`` blocks of ``size`` rows, after one to warm up."""
    saved = block.BLOCK_ROWS
    block.BLOCK_ROWS = size
    try:
        block._block(options, 1)
        times = []
        for number in range(2, 2 + blocks):
            started = time.process_time()
            block._block(options, number)
            times.append(time.process_time() - started)
    finally:
        block.BLOCK_ROWS = saved
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8192, 32768, 65536, 131072])
    parser.add_argument("--rows", type=int, default=1 << 20, help="rows timed per size")
    parser.add_argument("--difficulty", choices=DIFFICULTIES, default="realistic")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    block.warm_up()
    options = GenerateOptions(rows=10**9, seed=args.seed, difficulty=args.difficulty)
    medians = []
    for size in args.sizes:
        seconds = block_cpu(options, size, max(4, args.rows // size))
        medians.append(seconds)
        per_65536 = seconds * 65536 / size * 1000
        print(f"{size:>9,} rows  {seconds * 1000:7.1f} ms  {per_65536:6.1f} ms per 65,536")
    if len(args.sizes) >= 2:
        slope, intercept = np.polyfit(np.array(args.sizes, float), np.array(medians), 1)
        print(f"fixed cost {intercept * 1000:.1f} ms per block, {slope * 1e6:.2f} us per row")
        print(
            f"BLOCK_ROWS = {block.BLOCK_ROWS:,}: the fixed cost is "
            f"{intercept / (intercept + slope * block.BLOCK_ROWS):.0%} of a block"
        )


if __name__ == "__main__":
    main()
