"""The README's detector table: every detector on the same sample of the default dataset.

    python benchmarks/perf/detector_table.py --sample 2000 --out breachbench-output/table
    python benchmarks/perf/detector_table.py --detectors keywords identifiers   # no extras

Runs ``breachbench bench`` once per detector (as a user would, in its own process, so
memory and load time are the detector's), then prints a Markdown table from the
``results.json`` files: sensitive-record F1, strict span F1 of each group (micro over the
group's categories, from the per-category counts), both leak rates, comments/s, load
time and peak memory. Detectors whose extra is not installed are skipped, said so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from breachbench.generator.contract.taxonomy import load_taxonomy

DETECTORS = ("keywords", "identifiers", "keywords+identifiers", "presidio", "edsnlp")


def group_f1(per_category: dict[str, dict], categories: set[str]) -> float:
    """Strict micro F1 over some categories: COR against actual and possible, summed."""
    correct = sum(c["cor"] for name, c in per_category.items() if name in categories)
    actual = sum(c["actual"] for name, c in per_category.items() if name in categories)
    possible = sum(c["possible"] for name, c in per_category.items() if name in categories)
    precision = correct / actual if actual else 0.0
    recall = correct / possible if possible else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run(detector: str, out: Path, sample: int, seed: int) -> Path | None:
    command = [sys.executable, "-m", "breachbench", "bench", "--detector", detector]
    command += ["--sample", str(sample), "--seed", str(seed), "--out", str(out)]
    command += ["--overwrite", "--no-progress"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"skipped {detector}: {last}", file=sys.stderr)
        return None
    return out / "results.json"


def row(results: dict) -> list[str]:
    metrics, speed = results["metrics"], results["throughput"]
    taxonomy = load_taxonomy()
    per_category = metrics["span_level"]["strict"]["per_category"]
    headline = metrics["headline"]

    def percent(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:.1f}"

    def headline_value(key: str) -> float | None:
        entry = headline.get(key)
        return None if entry is None else entry["value"]

    memory = speed.get("peak_memory_bytes")
    return [
        results["detector"]["name"],
        percent(headline_value("record_sensitive_f1")),
        percent(group_f1(per_category, set(taxonomy.sensitive))),
        percent(group_f1(per_category, set(taxonomy.identifiers))),
        percent(headline_value("leak_rate_sensitive")),
        percent(headline_value("leak_rate_identifier")),
        f"{speed['comments_per_second']:,.0f}",
        f"{speed['load_seconds']:.1f}",
        "–" if memory is None else f"{memory / 2**20:,.0f}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("breachbench-output/table"))
    args = parser.parse_args(argv)
    header = [
        "detector",
        "sensitive records F1",
        "sensitive spans F1",
        "identifier spans F1",
        "leak rate, sensitive",
        "leak rate, identifiers",
        "comments/s",
        "load s",
        "peak MB",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for detector in args.detectors:
        path = run(detector, args.out / detector.replace("+", "_"), args.sample, args.seed)
        if path is not None:
            lines.append("| " + " | ".join(row(json.loads(path.read_text()))) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
