"""Compare runs: a leaderboard of several results.json, and paired tests between runs.

A leaderboard row is read from each run's headline figures. Two runs on the same dataset
(same fingerprint) with the same bootstrap seed and replicate count resampled exactly the
same records in each replicate, so their difference is tested pairwise with
:func:`breachbench.benchmarks.scoring.paired_difference`: far tighter than comparing two intervals.
Runs on different datasets are listed but never tested against each other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from breachbench.benchmarks.results import load_results
from breachbench.benchmarks.scoring import paired_difference

__all__ = [
    "LEADERBOARD_COLUMNS",
    "PAIRED_METRICS",
    "Comparison",
    "LeaderboardRow",
    "compare_files",
    "comparisons",
    "leaderboard",
]

PAIRED_METRICS: tuple[str, ...] = (
    "record_sensitive_f1",
    "span_sensitive_f1",
    "span_identifier_f1",
    "leak_rate_sensitive",
    "leak_rate_identifier",
    "linked_disclosure",
    "severity_leak",
)
LEADERBOARD_COLUMNS: tuple[str, ...] = (
    "record_sensitive_f1",
    "span_sensitive_f1",
    "span_identifier_f1",
    "leak_rate_sensitive",
    "leak_rate_identifier",
    "linked_disclosure",
    "severity_leak",
)
"""Span F1 is given per group: one F1 over both groups lets easy identifiers hide the
sensitive spans a detector misses."""


@dataclass(frozen=True)
class LeaderboardRow:
    """One run, as a leaderboard shows it."""

    name: str
    source: str
    dataset: str
    records: int
    partial: bool
    headline: dict[str, dict[str, float | None]]
    comments_per_second: float | None
    peak_memory_bytes: int | None
    memory_scope: str | None = None

    def value(self, metric: str) -> float | None:
        """Point value of a headline metric, or None when it does not apply."""
        return self.headline.get(metric, {}).get("value")


@dataclass(frozen=True)
class Comparison:
    """Paired differences ``a - b`` of the :data:`PAIRED_METRICS` between two runs."""

    a: str
    b: str
    differences: dict[str, dict[str, Any]]


def _row(results: dict[str, Any], source: str) -> LeaderboardRow:
    return LeaderboardRow(
        name=results["detector"]["name"],
        source=source,
        dataset=results["dataset"]["fingerprint"],
        records=results["records"]["scored"],
        partial=results["status"]["partial"],
        headline=results["metrics"]["headline"],
        comments_per_second=results["throughput"].get("comments_per_second"),
        peak_memory_bytes=results["throughput"].get("peak_memory_bytes"),
        memory_scope=results["throughput"].get("memory_scope"),
    )


def leaderboard(runs: list[tuple[str, dict[str, Any]]]) -> list[LeaderboardRow]:
    """Rows sorted best first: sensitive-record F1, then span F1 (undefined sorts last)."""

    def key(row: LeaderboardRow) -> tuple[float, float]:
        f1, span = row.value("record_sensitive_f1"), row.value("span_strict_f1")
        return (-(f1 if f1 is not None else -1.0), -(span if span is not None else -1.0))

    return sorted((_row(results, source) for source, results in runs), key=key)


def comparisons(
    runs: list[tuple[str, dict[str, Any]]], *, only_first: bool = False
) -> list[Comparison]:
    """Paired differences between runs on the same dataset and bootstrap.

    Every pair by default; with ``only_first``, the first run against each other one (the
    leaderboard's leader against the rest). Pairs that cannot be paired are skipped.
    """
    out: list[Comparison] = []
    pairs = (
        [(runs[0], other) for other in runs[1:]]
        if only_first
        else list(itertools.combinations(runs, 2))
    )
    for (name_a, a), (name_b, b) in pairs:
        if a["dataset"]["fingerprint"] != b["dataset"]["fingerprint"]:
            continue
        if not a["metrics"]["bootstrap"]["replicates"]:
            continue
        try:
            diffs = {
                m: paired_difference(a["metrics"], b["metrics"], metric=m)
                for m in PAIRED_METRICS
                if m in a["metrics"]["headline"] and m in b["metrics"]["headline"]
            }
        except ValueError:  # different record sets (limit/sample) or bootstrap settings
            continue
        out.append(Comparison(a=name_a, b=name_b, differences=diffs))
    return out


def _labels(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Detector names, made unique with the file name when two runs share one."""
    names = [results["detector"]["name"] for _, results in runs]
    return [
        name if names.count(name) == 1 else f"{name} ({source})"
        for name, (source, _) in zip(names, runs, strict=True)
    ]


def compare_files(paths: list[str | Path]) -> tuple[list[LeaderboardRow], list[Comparison]]:
    """Load results.json files, and return their leaderboard and pairwise comparisons.

    Pairs are taken in leaderboard order, so each difference reads "better-ranked minus
    worse-ranked".

    Raises :class:`breachbench.benchmarks.results.ResultsError` for an unreadable or foreign file.
    """
    loaded = [(str(path), load_results(path)) for path in paths]
    rows = leaderboard(loaded)
    label_of = dict(zip((source for source, _ in loaded), _labels(loaded), strict=True))
    by_source = dict(loaded)
    ranked = [(label_of[row.source], by_source[row.source]) for row in rows]
    return rows, comparisons(ranked)
