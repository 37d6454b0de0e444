"""Span-level family-held-out evaluation of the CRF tagger, per category.

    python benchmarks/perf/heldout_spans.py --out breachbench-output/heldout-spans
    python benchmarks/perf/heldout_spans.py --no-hints       # the CRF on its own features
    python benchmarks/perf/heldout_spans.py --train-rows 30000 \
        --handwritten benchmarks/perf/handwritten/notes.jsonl    # and on hand-written notes

Trains the ``crf`` model on a ``--split train`` dataset and tags a ``--split test`` dataset
of another seed (``--seed``: read a change over several, the figures move by a few points):
every test comment is worded from lexicon entries, frames, routine notes, hard negatives
and identifier layouts the tagger never saw. Prints, per category
and for the sensitive and identifier groups (micro), the *strict* span F1 (same start,
end and category) and the *overlap* F1 (a predicted span counts if it overlaps a gold
span of its category; a gold span is found if a predicted span of its category overlaps
it): the gap between the two is boundary error, the rest is missed or invented facts.

``--handwritten`` also tags the hand-written proxy notes with the same model (trained on
generated comments only): one training gives both the held-out-family figures and the
transfer to wording written by hand (issue 9's naturalness targets), in a few minutes
with ``--train-rows 30000``. Never tune on those notes (their README says why).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from breachbench.benchmarks.dataset import open_dataset
from breachbench.benchmarks.learned import load_learned, train_model
from breachbench.benchmarks.learned.data import examples
from breachbench.generator.api import generate_dataset
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.options import GenerateOptions
from reuse import fresh_or_reused, run_key

Span = tuple[int, int, str]


def _f1(correct_p: int, predicted: int, correct_g: int, possible: int) -> float:
    precision = correct_p / predicted if predicted else 0.0
    recall = correct_g / possible if possible else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(truth: list[list[Span]], guess: list[list[Span]]) -> dict[str, Counter]:
    """Per category: strict matches, overlap matches (predicted side and gold side), totals."""
    counts: dict[str, Counter] = {}
    for gold, pred in zip(truth, guess, strict=True):
        exact = set(gold) & set(pred)
        for start, end, label in pred:
            c = counts.setdefault(label, Counter())
            c["predicted"] += 1
            c["strict"] += (start, end, label) in exact
            c["overlap_p"] += any(g[2] == label and g[0] < end and start < g[1] for g in gold)
        for start, end, label in gold:
            c = counts.setdefault(label, Counter())
            c["possible"] += 1
            c["overlap_g"] += any(p[2] == label and p[0] < end and start < p[1] for p in pred)
    return counts


def micro_f1(c: Counter) -> tuple[float, float]:
    """Strict and overlap F1 of one category's (or a group's summed) counts."""
    strict = _f1(c["strict"], c["predicted"], c["strict"], c["possible"])
    overlap = _f1(c["overlap_p"], c["predicted"], c["overlap_g"], c["possible"])
    return strict, overlap


def row(name: str, c: Counter) -> str:
    strict, overlap = micro_f1(c)
    return f"| {name} | {c['possible']} | {100 * strict:.1f} | {100 * overlap:.1f} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("breachbench-output/heldout-spans"))
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--test-rows", type=int, default=30_000)
    parser.add_argument("--no-hints", action="store_true")
    parser.add_argument("--handwritten", type=Path, help="also score these contract notes")
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the training rows; the test rows take seed + 2"
    )
    args = parser.parse_args(argv)
    key = run_key(f"seed={args.seed}", f"rows={args.train_rows}/{args.test_rows}")
    fresh_or_reused(args.out, key, _MADE_HERE)
    train = args.out / "train.parquet"
    test = args.out / "test.parquet"
    if not train.exists():
        options = GenerateOptions(
            rows=args.train_rows, seed=args.seed, split="train", comment_rate=1.0
        )
        generate_dataset(train, options, progress=False)
    if not test.exists():
        options = GenerateOptions(rows=args.test_rows, seed=args.seed + 2, split="test")
        generate_dataset(test, options)
    model = args.out / ("crf-nohints" if args.no_hints else "crf")
    if not (model / "model.json").exists():
        started = time.perf_counter()
        train_model(train, "crf", model, hints=not args.no_hints, overwrite=True)
        print(f"trained in {time.perf_counter() - started:.0f} s")
    tagger = load_learned(model)
    sets = [("family-held-out test", test)]
    if args.handwritten is not None:
        sets.append((f"hand-written ({args.handwritten.name})", args.handwritten))
    for title, path in sets:
        data = list(examples(open_dataset(path)))
        counts = score([e.spans for e in data], tagger([e.text for e in data]))
        print(f"\n{title}, {len(data)} comments")
        table(counts)
    return 0


_MADE_HERE = ("train.parquet*", "test.parquet*", "crf", "crf-nohints", "key.txt")


def table(counts: dict[str, Counter]) -> None:
    """Per category, then micro over each group."""
    taxonomy = load_taxonomy()
    print("| category | gold spans | strict F1 | overlap F1 |\n|---|---|---|---|")
    for group, members in (("sensitive", taxonomy.sensitive), ("identifier", taxonomy.identifiers)):
        total: Counter = Counter()
        for category in members:
            c = counts.get(category, Counter())
            total.update(c)
            print(row(category, c))
        print(row(f"**{group} (micro)**", total))


if __name__ == "__main__":
    raise SystemExit(main())
