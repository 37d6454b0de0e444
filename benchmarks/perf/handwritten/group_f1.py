"""Span F1 per group (sensitive, identifier) from a ``results.json`` written by ``bench``.

python benchmarks/perf/handwritten/group_f1.py RUN/results.json

Issue 9 states its goals as sensitive-span and identifier-span F1, strict and overlap;
``bench`` reports micro F1 over all categories and per category, so this sums the
SemEval-2013 counts of each group's categories: strict F1 from the ``strict`` scheme,
overlap F1 from the ``partial`` scheme (a partial match counts one half).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from breachbench.generator.contract.taxonomy import load_taxonomy


def group_f1(results: dict) -> dict[str, dict[str, float]]:
    """``{group: {"strict": f1, "overlap": f1}}`` from a results.json document."""
    group_of = load_taxonomy().group_of
    spans = results["metrics"]["span_level"]
    out: dict[str, dict[str, float]] = {}
    for group in ("sensitive", "identifier"):
        out[group] = {}
        for name, scheme in (("strict", "strict"), ("overlap", "partial")):
            total = dict.fromkeys(("cor", "inc", "par", "mis", "spu"), 0)
            for category, counts in spans[scheme]["per_category"].items():
                if group_of.get(category) == group:
                    for key in total:
                        total[key] += counts[key]
            hit = total["cor"] + (0.5 * total["par"] if scheme == "partial" else 0.0)
            predicted = total["cor"] + total["inc"] + total["par"] + total["spu"]
            gold = total["cor"] + total["inc"] + total["par"] + total["mis"]
            precision = hit / predicted if predicted else 0.0
            recall = hit / gold if gold else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[group][name] = round(f1, 3)
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__.splitlines()[2].strip())
    results = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    for group, f1 in group_f1(results).items():
        print(f"{group:<11} span F1: strict {f1['strict']:.3f}, overlap {f1['overlap']:.3f}")


if __name__ == "__main__":
    main()
