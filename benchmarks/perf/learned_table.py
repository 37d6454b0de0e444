"""The README's learned-detector table: in-distribution and family-held-out, with intervals.

    python benchmarks/perf/learned_table.py --out breachbench-output/learned --no-hints-too \
        --handwritten benchmarks/perf/handwritten/notes.jsonl

What it does, as a user would, each step a ``breachbench`` command in its own process:

1. ``generate --split train --seed 1`` (``--train-rows`` comments) to train on;
2. ``train`` the span tagger (``crf``) and the record classifier (``tfidf-lr``), with the
   built-in detectors' hints and, with ``--no-hints-too``, without them;
3. two test sets: *in-distribution* ``--split train --seed 2`` (same wording families,
   other rows) and *family-held-out* ``--split test --seed 3`` (wording never seen);
4. ``bench`` every detector, ``keywords+identifiers`` included, on both, and on the
   hand-written notes of ``--handwritten`` when given (never tuned on).

Then prints a Markdown table: record-level sensitive F1 (the harness's headline and its
95% interval) and strict span F1 of the sensitive and of the identifier group, micro over
the group's categories, with a 95% percentile interval from a Poisson bootstrap over
records (1,000 replicates, seed 0, computed here from ``predictions.jsonl`` and the gold
spans, as the harness reports no per-group interval), and comments/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from breachbench.benchmarks.dataset import open_dataset
from breachbench.generator.contract.taxonomy import load_taxonomy
from reuse import file_digest, fresh_or_reused, run_key

KEYWORDS = "keywords+identifiers"
# What this script writes in --out, removed when the code, corpora or options change.
_MADE_HERE = ("train.parquet*", "indist.parquet*", "heldout.parquet*", "crf*", "tfidf-lr*", "runs")


def breachbench(*args: str) -> None:
    """Run one ``breachbench`` command; stop with its last error line if it fails."""
    command = [sys.executable, "-m", "breachbench", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed: {result.stderr.strip()[-500:]}")
    print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "", file=sys.stderr)


def generate(path: Path, rows: int, seed: int, split: str, comment_rate: float) -> Path:
    if not path.exists():
        breachbench(
            "generate", "--rows", str(rows), "--seed", str(seed), "--split", split,
            "--comment-rate", str(comment_rate), "--out", str(path), "--no-progress",
        )  # fmt: skip
    return path


def gold(path: Path) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """Record ids and gold spans of any contract dataset (Parquet or JSON lines)."""
    ids: list[str] = []
    spans: list[list[tuple[int, int, str]]] = []
    for batch in open_dataset(path).batches():
        data = batch.to_pydict()
        ids += data["patient_id"]
        spans += [
            [(s["start"], s["end"], s["category"]) for s in row or ()] for row in data["spans"]
        ]
    return ids, spans


def predicted(run: Path) -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    with (run / "predictions.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out[row["id"]] = [(s["start"], s["end"], s["label"]) for s in row.get("spans") or ()]
    return out


def group_f1(
    ids: list[str],
    truth: list[list[tuple[int, int, str]]],
    guess: dict[str, list[tuple[int, int, str]]],
    group: set[str],
    *,
    replicates: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Strict micro F1 over ``group`` = 2 COR / (ACT + POS), and its bootstrap interval."""
    counts = np.zeros((len(ids), 3))
    for i, (record, spans) in enumerate(zip(ids, truth, strict=True)):
        g = {s for s in spans if s[2] in group}
        p = {s for s in guess.get(record, ()) if s[2] in group}
        counts[i] = (len(g & p), len(p), len(g))
    keep = counts.any(axis=1)
    counts = counts[keep]
    point = 2 * counts[:, 0].sum() / max(counts[:, 1].sum() + counts[:, 2].sum(), 1)
    weights = np.random.default_rng(seed).poisson(1.0, (replicates, len(counts)))
    sums = weights @ counts
    values = 2 * sums[:, 0] / np.maximum(sums[:, 1] + sums[:, 2], 1)
    low, high = np.percentile(values, [2.5, 97.5])
    return float(point), float(low), float(high)


def cell(value: float, low: float, high: float) -> str:
    return f"{100 * value:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("breachbench-output/learned"))
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--test-rows", type=int, default=30_000)
    parser.add_argument("--no-hints-too", action="store_true")
    parser.add_argument(
        "--handwritten",
        type=Path,
        default=None,
        help="Also score on hand-written notes (benchmarks/perf/handwritten/notes.jsonl).",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    key = run_key(
        f"rows={args.train_rows}/{args.test_rows}", f"handwritten={file_digest(args.handwritten)}"
    )
    fresh_or_reused(out, key, _MADE_HERE)
    taxonomy = load_taxonomy()
    sensitive, identifiers = set(taxonomy.sensitive), set(taxonomy.identifiers)

    train = generate(out / "train.parquet", args.train_rows, 1, "train", 1.0)
    tests = {
        "in-distribution": generate(out / "indist.parquet", args.test_rows, 2, "train", 0.3),
        "held-out": generate(out / "heldout.parquet", args.test_rows, 3, "test", 0.3),
    }
    if args.handwritten is not None:
        tests["hand-written"] = args.handwritten
    detectors = [KEYWORDS]
    for model in ("crf", "tfidf-lr"):
        variants = [("", "--hints")] + ([("-nohints", "--no-hints")] if args.no_hints_too else [])
        for suffix, flag in variants:
            directory = out / f"{model}{suffix}"
            if not (directory / "model.json").exists():
                started = time.perf_counter()
                breachbench("train", str(train), "--model", model, "--out", str(directory), flag,
                            "--no-progress", "--overwrite")  # fmt: skip
                print(f"trained {directory} in {time.perf_counter() - started:.0f} s",
                      file=sys.stderr)  # fmt: skip
            detectors.append(f"learned:{directory}")

    rows: dict[str, dict[str, dict]] = {}
    for test_name, path in tests.items():
        ids, truth = gold(path)
        for detector in detectors:
            run = out / "runs" / test_name / Path(detector.split(":")[-1]).name
            if not (run / "results.json").exists():
                breachbench("bench", str(path), "--detector", detector, "--out", str(run),
                            "--overwrite", "--no-progress")  # fmt: skip
            results = json.loads((run / "results.json").read_text(encoding="utf-8"))
            record = results["metrics"]["headline"]["record_sensitive_f1"]
            entry = {"record": (record["value"], record["ci_low"], record["ci_high"])}
            if results["detector"]["mode"] == "spans":
                guess = predicted(run)
                entry["sensitive"] = group_f1(ids, truth, guess, sensitive)
                entry["identifier"] = group_f1(ids, truth, guess, identifiers)
            entry["speed"] = results["throughput"]["comments_per_second"]
            rows.setdefault(detector, {})[test_name] = entry

    header = ["detector"]
    for figure in ("sensitive records F1", "sensitive spans F1", "identifier spans F1"):
        header += [f"{figure}, {test_name}" for test_name in tests]
    header.append("comments/s")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for detector, by_test in rows.items():
        name = detector.split(":")[0] + (
            ":" + Path(detector.split(":")[1]).name if ":" in detector else ""
        )
        cells = [name]
        for key in ("record", "sensitive", "identifier"):
            for test_name in tests:
                value = by_test[test_name].get(key)
                cells.append("–" if value is None else cell(*value))
        cells.append(f"{by_test['held-out']['speed']:,.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
