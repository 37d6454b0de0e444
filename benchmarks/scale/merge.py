"""``breachbench merge``: shards (or any disjoint runs) of one benchmark into one result.

Counts are sums and the bootstrap weights depend only on (seed, record id), so the
counts of disjoint record sets add up to the counts of their union, intervals included:
the merged results.json has the single run's counts, metrics and intervals. The shards'
predictions.jsonl and errors.jsonl, concatenated in shard order, are the single run's files
(shards are consecutive chunks by position, see :mod:`.chunks`).

Runs are refused, with one line, when they could not be parts of one run: another
dataset (fingerprint), another detector (name, version, spec or command), another option
(anything but the shard: batch and chunk sizes, selection, bootstrap, labels, severity),
shards of different counts or overlapping, or a partial run (a fault stopped it: rerun
that shard). Throughput figures cannot be merged exactly: seconds and comments are summed,
per-run latency percentiles are left out (each run's own results keep them).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from breachbench.benchmarks.outputs import ERRORS_FILE, PREDICTIONS_FILE
from breachbench.benchmarks.reports import render_html, render_markdown
from breachbench.benchmarks.results import RESULTS_FILE, ResultsError, load_results, write_json
from breachbench.benchmarks.run import THROUGHPUT_NOTE
from breachbench.benchmarks.scoring import Counts, metrics_report
from breachbench.benchmarks.suite import BenchError, check_out
from breachbench.generator.contract.version import __version__
from breachbench.generator.output.target import OutputTarget, Staging

__all__ = ["MergeError", "merge_runs"]

_DETECTOR_FIELDS = ("name", "version", "spec", "command")


class MergeError(ValueError):
    """Runs that cannot be parts of one run, or unreadable; the message is one line."""


def _shard(results: dict[str, Any]) -> tuple[list[int], int]:
    block = results.get("shard")
    if block is None:
        return [1], 1
    return [int(i) for i in block["indices"]], int(block["count"])


def _check_same(a: Path, ra: dict[str, Any], b: Path, rb: dict[str, Any]) -> None:
    fa, fb = ra["dataset"]["fingerprint"], rb["dataset"]["fingerprint"]
    if fa != fb:
        raise MergeError(
            f"cannot merge {a} and {b}: they are runs on different datasets ({fa[:19]}…"
            f" and {fb[:19]}…)"
        )
    for name in _DETECTOR_FIELDS:
        va, vb = ra["detector"].get(name), rb["detector"].get(name)
        if va != vb:
            raise MergeError(
                f"cannot merge {a} and {b}: they ran different detectors ({name} {va!r} and {vb!r})"
            )
    ma, mb = ra["detector"].get("mode"), rb["detector"].get("mode")
    if ma is not None and mb is not None and ma != mb:
        raise MergeError(f"cannot merge {a} and {b}: the detector answered in {ma} and {mb} mode")
    oa = {k: v for k, v in ra["options"].items() if k != "shard"}
    ob = {k: v for k, v in rb["options"].items() if k != "shard"}
    for name in sorted({*oa, *ob}):
        if oa.get(name) != ob.get(name):
            raise MergeError(
                f"cannot merge {a} and {b}: option {name} differs"
                f" ({oa.get(name)!r} and {ob.get(name)!r})"
            )
    if ra.get("severity_weights") != rb.get("severity_weights"):
        raise MergeError(f"cannot merge {a} and {b}: their severity weights differ")


def _load(directory: Path) -> dict[str, Any]:
    try:
        results = load_results(directory / RESULTS_FILE)
    except ResultsError as error:
        raise MergeError(str(error)) from None
    if results["status"]["partial"]:
        raise MergeError(
            f"cannot merge {directory}: it is partial ({results['status']['fault']});"
            " rerun that shard"
        )
    for name in (PREDICTIONS_FILE, ERRORS_FILE):
        if not (directory / name).is_file():
            raise MergeError(f"cannot merge {directory}: it has no {name}")
    return results


def _sum_labels(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for kind in ("unmapped", "ignored"):
        total: Counter[str] = Counter()
        for results in runs:
            total.update(results["labels"].get(kind, {}))
        out[kind] = dict(total.most_common())
    return out


def _throughput(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Sums where sums mean something; latency percentiles left out (not mergeable)."""
    ts = [r["throughput"] for r in runs]

    def total(name: str) -> float:
        return float(sum(t.get(name) or 0 for t in ts))

    steady_seconds, steady_comments = total("steady_seconds"), total("steady_comments")
    detection, scoring, wall = (
        total("detection_wall_seconds"),
        total("scoring_seconds"),
        total("wall_seconds"),
    )
    peaks = [t["peak_memory_bytes"] for t in ts if t.get("peak_memory_bytes") is not None]
    maxima = [t["latency_ms"]["max"] for t in ts if t["latency_ms"].get("max") is not None]
    comments = int(total("comments"))
    return {
        "comments": comments,
        "chars": int(total("chars")),
        "batches": int(total("batches")),
        "warmup_excluded": any(t.get("warmup_excluded") for t in ts),
        "warmup_calls": int(total("warmup_calls")),
        "warmup_seconds": total("warmup_seconds"),
        "comments_per_second": (steady_comments / steady_seconds if steady_seconds > 0 else None),
        "chars_per_second": total("steady_chars") / steady_seconds if steady_seconds > 0 else None,
        "wall_comments_per_second": comments / detection if detection > 0 else None,
        "steady_comments": int(steady_comments),
        "steady_chars": int(total("steady_chars")),
        "steady_seconds": steady_seconds,
        "latency_ms": {"p50": None, "p95": None, "p99": None, "max": max(maxima, default=None)},
        "load_seconds": total("load_seconds"),
        "detector_seconds": total("detector_seconds"),
        "detection_wall_seconds": detection,
        "reading_seconds": total("reading_seconds"),
        "scoring_seconds": scoring,
        "scoring_records_per_second": (
            sum(r["records"]["scored"] for r in runs) / scoring if scoring > 0 else None
        ),
        "writing_seconds": total("writing_seconds"),
        "wall_seconds": wall,
        "scoring_share": scoring / wall if wall > 0 else None,
        "peak_memory_bytes": max(peaks, default=None),
        "peak_memory_bytes_total": None,
        "memory_scope": ts[0]["memory_scope"],
        "copies": max(int(t.get("copies") or 1) for t in ts),
        "engine": "+".join(sorted({str(t.get("engine") or "local") for t in ts})),
        "sessions": int(total("sessions")),
        "note": THROUGHPUT_NOTE
        + f" Merged from {len(ts)} runs: seconds are summed over the runs (which may have run"
        " side by side), peak memory is the largest run's; latency percentiles cannot be"
        " merged: each run's results.json has its own.",
    }


def _concatenate(sources: Sequence[Path], target: Path) -> None:
    with open(target, "wb") as out:
        for source in sources:
            with open(source, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)


def merge_runs(
    directories: Sequence[Path], out: Path, *, overwrite: bool = False
) -> dict[str, Any]:
    """Merge the runs in ``directories`` into ``out``; return the merged results.json.

    Raises :class:`MergeError` (one line) before writing anything when they cannot be merged.
    """
    if not directories:
        raise MergeError("give at least one run directory to merge")
    loaded = [(Path(d), _load(Path(d))) for d in directories]
    first_dir, first = loaded[0]
    for directory, results in loaded[1:]:
        _check_same(first_dir, first, directory, results)
    counts_of = {_shard(r)[1] for _, r in loaded}
    if len(counts_of) > 1:
        raise MergeError(
            "cannot merge shards of different counts ("
            + ", ".join(f"/{n}" for n in sorted(counts_of))
            + "): shard every run with the same N"
        )
    count = counts_of.pop()
    owner: dict[int, Path] = {}
    for directory, results in loaded:
        for index in _shard(results)[0]:
            if index in owner:
                raise MergeError(
                    f"cannot merge: shard {index}/{count} is in both {owner[index]} and {directory}"
                )
            owner[index] = directory
    ordered = sorted(loaded, key=lambda item: min(_shard(item[1])[0]))
    runs = [r for _, r in ordered]
    try:
        counts = Counts.merge(Counts.from_json(r["counts"]) for r in runs)
    except (KeyError, ValueError) as error:
        raise MergeError(f"cannot merge the counts: {error}") from None
    indices = sorted(owner)
    whole = indices == list(range(1, count + 1))
    merged = dict(first)
    merged["created"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    merged["breachbench_version"] = __version__
    merged["detector"] = {
        **first["detector"],
        "mode": next((r["detector"]["mode"] for r in runs if r["detector"]["mode"]), None),
    }
    shard_text = None if whole else ",".join(map(str, indices)) + f"/{count}"
    merged["options"] = {**first["options"], "shard": shard_text}
    merged["status"] = {"partial": False, "fault": None, "fault_record_id": None}
    merged["records"] = {
        key: sum(r["records"][key] for r in runs)
        for key in ("read", "scored", "comments", "error_records")
    }
    merged["throughput"] = _throughput(runs)
    merged["labels"] = _sum_labels(runs)
    merged["metrics"] = metrics_report(counts, severity=first.get("severity_weights"))
    merged["counts"] = counts.to_json()
    merged["shard"] = None if whole else {"indices": indices, "count": count}
    merged["warnings"] = list(dict.fromkeys(w for r in runs for w in r.get("warnings") or ()))
    merged["merged_from"] = [
        {
            "path": str(directory),
            "shard": results.get("shard"),
            "created": results.get("created"),
            "machine": results.get("machine"),
        }
        for directory, results in ordered
    ]
    try:
        check_out(out, overwrite)
    except BenchError as error:
        raise MergeError(str(error)) from None
    if any(out.resolve() == d.resolve() for d in map(Path, directories)):
        raise MergeError(f"--out {out} is one of the runs to merge; give a new folder")
    target = OutputTarget(path=out, is_directory=True, format="bench")
    with Staging(target, overwrite=True) as staging:
        sources = [d for d, _ in ordered]
        _concatenate([d / PREDICTIONS_FILE for d in sources], staging.path / PREDICTIONS_FILE)
        _concatenate([d / ERRORS_FILE for d in sources], staging.path / ERRORS_FILE)
        write_json(staging.path / RESULTS_FILE, merged)
        (staging.path / "results.md").write_text(render_markdown(merged), encoding="utf-8")
        (staging.path / "report.html").write_text(render_html(merged), encoding="utf-8")
        staging.commit()
    return merged
