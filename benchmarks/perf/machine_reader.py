"""A machine blind test: how well a character n-gram classifier tells generated comments
from hand-written ones, across authors, and which n-grams give generated ones away.

python benchmarks/perf/machine_reader.py [--samples 5] [--seed 0]

The human blind test of issue 9 needs a reader outside the project (``breachbench``
cannot run it for us). This is the cheap proxy the team can run at every change: a
TF-IDF (character 2-5-grams) + logistic regression reader, trained on one hand-written
set against generated comments, tested on the *other* author's set against other
generated comments (so it cannot win by learning one author's habits), both ways. The
generated side is drawn with the hand-written side's share of sensitive notes, so the
reader cannot win on content either. It prints accuracy and ROC AUC (mean and spread over
``--samples`` generated draws), the n-grams that weigh most towards each side, and how
often simple surface habits occur on each side (the tells of ``shared/REALISM.md``).

A reader at 50% cannot tell; the first run (December 2026) was at 73-75%. Never tune
wording to this figure: use its n-grams to find a habit real notes do not have, then
check that habit by reading notes next to their rows. ``notes.jsonl`` (the held-out test
proxy) is never read here. Needs the ``ml`` extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

HANDWRITTEN = Path(__file__).resolve().parent / "handwritten"
AUTHORS = ("dev", "dev2")  # two authors, neither of whom read the generator's wording

# Surface habits, as a reader notices them: the share of notes showing each.
HABITS = {
    "ends with a full stop": r"\.\s*$",
    "sentence inside (. X)": r"\.\s+\S",
    "comma": r", ",
    "parenthesis": r"\(",
    "semicolon": r" ?; ",
    "line break": r"\n",
    "dash join ( - )": r" - ",
    "slash join ( / )": r" / ",
    "arrow": r"→|->",
    "Mme / M. / Mr": r"\b(?:Mme|M\.|Mr)\s",
    "mère / père": r"\b(?:mère|père)\b",
    "day/month date": r"\b\d\d/\d\d\b",
    "word in capitals": r"\b[A-ZÉÈ]{4,}\b",
}


def _hand(name: str) -> list[dict]:
    with (HANDWRITTEN / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _generated(seed: int, rows: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "g.parquet"
        generate_dataset(out, GenerateOptions(rows=rows, seed=seed), progress=False)
        table = pq.read_table(out, columns=["admin_comment", "sensitive"]).to_pylist()
    return [r for r in table if r["admin_comment"]]


def _matched(hand: list[dict], pools: dict[bool, list[str]]) -> list[str]:
    """One generated comment per hand-written one, of the same sensitivity; drawn
    without replacement from ``pools`` (consumed)."""
    return [pools[bool(r["sensitive"])].pop() for r in hand]


def _read(train_hand, train_gen, test_hand, test_gen):
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                 sublinear_tf=True)  # fmt: skip
    x = vectoriser.fit_transform([r["admin_comment"] for r in train_hand] + train_gen)
    y = [1] * len(train_hand) + [0] * len(train_gen)
    reader = LogisticRegression(max_iter=2000).fit(x, y)
    x_test = vectoriser.transform([r["admin_comment"] for r in test_hand] + test_gen)
    y_test = [1] * len(test_hand) + [0] * len(test_gen)
    p = reader.predict_proba(x_test)[:, 1]
    weights = dict(zip(vectoriser.get_feature_names_out(), reader.coef_[0], strict=True))
    return accuracy_score(y_test, p > 0.5), roc_auc_score(y_test, p), weights


def _share(texts: list[str], pattern: str) -> float:
    return sum(bool(re.search(pattern, t)) for t in texts) / len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5, help="generated draws")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=20_000, help="rows generated per draw")
    parser.add_argument("--top", type=int, default=25, help="n-grams shown per side")
    args = parser.parse_args(argv)
    hand = {name: _hand(name) for name in AUTHORS}
    scores: dict[str, list[tuple[float, float]]] = {}
    summed: dict[str, float] = {}
    generated_texts: list[str] = []
    for sample in range(args.samples):
        rows = _generated(args.seed + sample, args.rows)
        random.Random(args.seed + sample).shuffle(rows)
        pools = {s: [r["admin_comment"] for r in rows if bool(r["sensitive"]) is s]
                 for s in (True, False)}  # fmt: skip
        gen = {name: _matched(hand[name], pools) for name in AUTHORS}
        generated_texts += gen[AUTHORS[0]] + gen[AUTHORS[1]]
        for a, b in (AUTHORS, AUTHORS[::-1]):
            accuracy, auc, weights = _read(hand[a], gen[a], hand[b], gen[b])
            scores.setdefault(f"trained on {a}, tested on {b}", []).append((accuracy, auc))
            for gram, w in weights.items():
                summed[gram] = summed.get(gram, 0.0) + w
    print(f"machine reader, {args.samples} generated draws of default options, "
          f"sensitive share matched to each hand-written set")  # fmt: skip
    for name, runs in scores.items():
        acc = [a for a, _ in runs]
        auc = [u for _, u in runs]
        print(
            f"  {name:<30} accuracy {statistics.mean(acc):.3f} ({min(acc):.3f}-{max(acc):.3f})"
            f"   AUC {statistics.mean(auc):.3f} ({min(auc):.3f}-{max(auc):.3f})"
        )
    ranked = sorted(summed, key=summed.get)
    print(f"\nn-grams that say 'generated': {[g for g in ranked[: args.top]]}")
    print(f"n-grams that say 'hand-written': {[g for g in ranked[::-1][: args.top]]}")
    texts = {name: [r["admin_comment"] for r in hand[name]] for name in AUTHORS}
    texts["generated"] = generated_texts
    print(f"\nshare of notes showing each habit{'':<6}" + "".join(f"{k:>11}" for k in texts))
    for habit, pattern in HABITS.items():
        print(f"  {habit:<38}" + "".join(f"{_share(v, pattern):>11.2f}" for v in texts.values()))
    lengths = "".join(f"{np.median([len(t) for t in v]):>11.0f}" for v in texts.values())
    print(f"  {'median length (characters)':<38}{lengths}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
