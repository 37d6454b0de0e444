"""Print the family-held-out figures and the diversity figure of the comment engine.

python benchmarks/perf/heldout_eval.py [--train N] [--test N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from breachbench.benchmarks.describe import describe_dataset
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from support.heldout import evaluate_heldout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=30_000)
    parser.add_argument("--test", type=int, default=6_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", default="realistic")
    args = parser.parse_args()
    result = evaluate_heldout(
        train=args.train, test=args.test, seed=args.seed, difficulty=args.difficulty
    )
    print(f"templates: train {result.train_templates:,}, held-out {result.test_templates:,}")
    print(f"binary macro-F1 (sensitive vs not), held-out families: {result.binary_macro_f1:.3f}")
    print(f"14-category macro-F1, held-out families: {result.category_macro_f1:.3f}")
    for category, f1 in result.per_category_f1.items():
        print(f"  {category:<22} {f1:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "d.parquet"
        options = GenerateOptions(rows=40_000, seed=args.seed, comment_rate=1.0)
        generate_dataset(out, options, progress=False)
        info = describe_dataset(out)
    figures = ", ".join(f"{k} {v:,}" for k, v in info["diversity_per_1000_comments"].items())
    print(f"diversity: distinct word {figures} per 1,000 comments")
    print("distinct surface forms per category:", info["distinct_forms"])


if __name__ == "__main__":
    main()
