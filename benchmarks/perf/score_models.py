"""Score span taggers saved by ``heldout_spans.py`` on a contract dataset, without training.

    python benchmarks/perf/score_models.py benchmarks/perf/handwritten/dev2.jsonl \
        OUT_SEED1 OUT_SEED2 OUT_SEED3

Each ``OUT`` is a ``heldout_spans.py --out`` folder (its ``crf`` model is loaded). Prints
each model's per-category table, then the mean of the models' micro figures: one training
per seed serves every hand-written set, including one scored once at the end.
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from pathlib import Path

from breachbench.benchmarks.dataset import open_dataset
from breachbench.benchmarks.learned import load_learned
from breachbench.benchmarks.learned.data import examples
from breachbench.generator.contract.taxonomy import load_taxonomy
from heldout_spans import micro_f1, score, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("runs", type=Path, nargs="+", help="heldout_spans.py --out folders")
    args = parser.parse_args(argv)
    data = list(examples(open_dataset(args.dataset)))
    taxonomy = load_taxonomy()
    groups = {"sensitive": taxonomy.sensitive, "identifiers": taxonomy.identifiers}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in groups}
    for run in args.runs:
        tagger = load_learned(run / "crf")
        counts = score([e.spans for e in data], tagger([e.text for e in data]))
        print(f"\n{run} on {args.dataset.name}, {len(data)} comments")
        table(counts)
        for name, members in groups.items():
            total: Counter = Counter()
            for category in members:
                total.update(counts.get(category, Counter()))
            figures[name].append(micro_f1(total))
    means = "; ".join(
        f"{name} strict {100 * statistics.mean(s for s, _ in values):.1f}"
        f" overlap {100 * statistics.mean(o for _, o in values):.1f}"
        for name, values in figures.items()
    )
    print(f"\nmean of {len(args.runs)}: {means}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
