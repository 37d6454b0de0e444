"""What a contract dataset is made of: shares, label counts, lengths, surface forms, diversity.

A benchmark score means little without knowing what the data held: how many comments,
how sensitive, which categories, how noisy, how varied. :func:`describe_dataset` streams any
dataset :func:`breachbench.benchmarks.dataset.open_dataset` reads (the generator's Parquet, a part
directory, a hand-labelled JSON-lines file) and returns plain counts, so the CLI can print
them or dump them as JSON.

The diversity figure is the number of distinct word n-grams (lower-cased) per 1,000
comments, measured on the first :data:`DIVERSITY_COMMENTS` comments so that datasets of
different sizes compare; template-clean generators score low, real notes high.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from breachbench.benchmarks.dataset import TAGS_COLUMN, open_dataset

__all__ = ["DIVERSITY_COMMENTS", "describe_dataset", "diversity", "format_description"]

DIVERSITY_COMMENTS = 10_000
TOP_FORMS = 10
LENGTH_BINS = (1, 3, 6, 11, 21, 41, 61)
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def diversity(comments: Iterable[str], n_values: tuple[int, ...] = (1, 2, 3)) -> dict[str, float]:
    """Distinct word n-grams per 1,000 comments, for each ``n``."""
    seen: dict[int, set[tuple[str, ...]]] = {n: set() for n in n_values}
    count = 0
    for text in comments:
        count += 1
        words = _TOKEN.findall(text.lower())
        for n in n_values:
            seen[n].update(zip(*(words[i:] for i in range(n)), strict=False))
    scale = 1000.0 / count if count else 0.0
    return {f"{n}-grams": round(len(seen[n]) * scale, 1) for n in n_values}


def describe_dataset(path: str | Path, *, limit: int | None = None) -> dict[str, Any]:
    """Counts describing the dataset at ``path`` (first ``limit`` rows if given)."""
    dataset = open_dataset(path)
    rows = commented = sensitive = 0
    categories: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    assertions: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    lengths: list[int] = []
    sample: list[str] = []
    for batch in dataset.batches(limit=limit):
        data = batch.to_pydict()
        rows += batch.num_rows
        sensitive += sum(bool(s) for s in data["sensitive"])
        row_tags = data.get(TAGS_COLUMN) or [[]] * batch.num_rows
        for text, spans, tag_list in zip(
            data["admin_comment"], data["spans"], row_tags, strict=True
        ):
            tags.update(tag_list or ())
            if not text:
                continue
            commented += 1
            lengths.append(len(text.split()))
            if len(sample) < DIVERSITY_COMMENTS:
                sample.append(text)
            for span in spans or ():
                category = span["category"]
                categories[category] += 1
                subjects[span["subject"]] += 1
                assertions[span["assertion"]] += 1
                surface = text[span["start"] : span["end"]].lower()
                forms.setdefault(category, Counter())[surface] += 1
    words = np.array(lengths) if lengths else np.zeros(1, dtype=np.int64)
    histogram = np.histogram(words, bins=[*LENGTH_BINS, 10**9])[0]
    labels = [
        f"{lo}-{hi - 1}"
        for lo, hi in zip(LENGTH_BINS, [*LENGTH_BINS[1:], None], strict=False)
        if hi
    ] + [f"{LENGTH_BINS[-1]}+"]
    return {
        "path": str(path),
        "split": _split(dataset.info.provenance),
        "rows": rows,
        "comments": commented,
        "comment_share": round(commented / rows, 4) if rows else 0.0,
        "sensitive_share": round(sensitive / rows, 4) if rows else 0.0,
        "sensitive_share_of_comments": round(sensitive / commented, 4) if commented else 0.0,
        "categories": dict(categories.most_common()),
        "subjects": dict(subjects.most_common()),
        "assertions": dict(assertions.most_common()),
        "difficulty_tags": dict(tags.most_common()),
        "length_words": {
            "min": int(words.min()),
            "p10": float(np.percentile(words, 10)),
            "median": float(np.median(words)),
            "mean": round(float(words.mean()), 2),
            "p90": float(np.percentile(words, 90)),
            "max": int(words.max()),
            "histogram": dict(zip(labels, (int(h) for h in histogram), strict=True)),
        },
        "distinct_forms": {c: len(f) for c, f in sorted(forms.items())},
        "top_forms": {
            c: [[form, count] for form, count in f.most_common(TOP_FORMS)]
            for c, f in sorted(forms.items())
        },
        "diversity_per_1000_comments": diversity(sample),
        "diversity_sample": len(sample),
    }


def _split(provenance: dict[str, Any] | None) -> dict[str, Any] | None:
    """The family-disjoint split a generated dataset was drawn from, as its metadata says."""
    provenance = provenance or {}
    options = provenance.get("options") or {}
    if not options.get("split"):
        return None
    return {
        "seed": provenance.get("seed"),
        **(provenance.get("split") or {}),
        **{"split": options["split"], "split_fraction": options.get("split_fraction")},
    }


def _table(title: str, counts: dict[str, Any]) -> list[str]:
    lines = [title]
    lines += [f"  {key:<28} {value:>10,}" for key, value in counts.items()]
    return lines


def format_description(info: dict[str, Any]) -> str:
    """The description as aligned text for a terminal."""
    lines = [
        f"{info['path']}: {info['rows']:,} rows, {info['comments']:,} comments "
        f"({info['comment_share']:.1%}), sensitive {info['sensitive_share']:.1%} of rows, "
        f"{info['sensitive_share_of_comments']:.1%} of comments",
    ]
    split = info.get("split")
    if split:
        lines.append(
            f"Split: {split['split']} (family shares train,dev,test {split['split_fraction']};"
            f" {split.get('families', '?')} of {split.get('families_total', '?')} wording"
            f" families, sha256 {str(split.get('families_sha256', '?'))[:16]}),"
            f" seed {split['seed']}"
        )
    for key in ("categories", "subjects", "assertions", "difficulty_tags"):
        lines += _table(
            key.replace("_", " ").capitalize() + " (spans)"
            if key != "difficulty_tags"
            else "Difficulty tags (records)",
            info[key],
        )
    length = info["length_words"]
    lines.append(
        "Length (words): "
        + ", ".join(f"{k} {length[k]}" for k in ("min", "p10", "median", "mean", "p90", "max"))
    )
    lines += _table("Length histogram (words)", length["histogram"])
    lines.append("Top surface forms per category (distinct forms):")
    for category, forms in info["top_forms"].items():
        shown = ", ".join(f"{form} ({count})" for form, count in forms)
        lines.append(f"  {category} ({info['distinct_forms'][category]}): {shown}")
    figures = ", ".join(f"{k} {v:,}" for k, v in info["diversity_per_1000_comments"].items())
    lines.append(
        f"Diversity: distinct word {figures} per 1,000 comments "
        f"(first {info['diversity_sample']:,} comments)"
    )
    return "\n".join(lines)
