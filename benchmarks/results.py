"""results.json: one versioned document per run, from which every report is rendered.

The document says what was measured (dataset fingerprint and the generator and taxonomy
versions it records), with what (detector name, version, spec; options; machine), how it
went (partial flag and fault message, labels that could not be mapped), and every figure:
``metrics`` is :func:`benchmarks.scoring.metrics_report` verbatim, ``counts`` the mergeable
counts behind it (so partial runs can be combined later), ``throughput`` the timings.

Readers check ``schema`` before anything else: a change of layout bumps
:data:`RESULTS_SCHEMA`, and :func:`validate_results` refuses what it does not know.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from breachbench.benchmarks.dataset import DatasetInfo
from breachbench.benchmarks.run import RunOptions, RunOutcome
from breachbench.benchmarks.scoring import metrics_report
from breachbench.generator.contract.version import __version__

__all__ = [
    "RESULTS_FILE",
    "RESULTS_SCHEMA",
    "ResultsError",
    "build_results",
    "load_results",
    "machine_info",
    "validate_results",
    "write_json",
]

RESULTS_SCHEMA = "breachbench.results/1"
RESULTS_FILE = "results.json"

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema": str,
    "created": str,
    "breachbench_version": str,
    "dataset": dict,
    "detector": dict,
    "options": dict,
    "machine": dict,
    "status": dict,
    "records": dict,
    "throughput": dict,
    "labels": dict,
    "metrics": dict,
    "counts": dict,
}
_NESTED: dict[str, tuple[str, ...]] = {
    "dataset": ("path", "layout", "rows", "fingerprint", "fingerprint_source"),
    "detector": ("name", "version", "spec", "command", "mode"),
    "options": ("batch_size", "limit", "sample", "seed", "bootstrap", "bootstrap_seed"),
    "machine": ("platform", "python", "cpu_count"),
    "status": ("partial", "fault", "fault_record_id"),
    "records": ("read", "scored", "comments", "error_records"),
    "throughput": ("comments_per_second", "chars_per_second", "latency_ms", "scoring_seconds"),
    "labels": ("unmapped", "ignored"),
    "metrics": ("schema", "headline", "record_level", "span_level", "leak", "bootstrap"),
}


class ResultsError(ValueError):
    """A results.json is unreadable, of another schema version, or lacks a field."""


def machine_info() -> dict[str, Any]:
    """Where the run happened: enough to judge whether two throughputs are comparable."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "cpu_count": os.cpu_count(),
    }


def build_results(
    *,
    dataset: DatasetInfo,
    outcome: RunOutcome,
    options: RunOptions,
    spec: str | None = None,
    command: str | None = None,
    labels_file: str | None = None,
    severity: dict[str, float] | None = None,
    severity_file: str | None = None,
) -> dict[str, Any]:
    """The results.json document of one run (``severity``: weights of the severity leak)."""
    fault = outcome.fault
    throughput = outcome.throughput.to_json()
    return {
        "schema": RESULTS_SCHEMA,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "breachbench_version": __version__,
        "dataset": dataset.to_json(),
        "detector": {
            "name": outcome.detector_name,
            "version": outcome.detector_version,
            "spec": spec,
            "command": command,
            "mode": outcome.mode,
        },
        "options": {**options.to_json(), "labels": labels_file, "severity": severity_file},
        "machine": machine_info(),
        "status": {
            "partial": fault is not None,
            "fault": str(fault) if fault is not None else None,
            "fault_record_id": fault.record_id if fault is not None else None,
        },
        "records": {
            "read": outcome.records_read,
            "scored": outcome.records_scored,
            "comments": throughput["comments"],
            "error_records": outcome.error_records,
        },
        "throughput": throughput,
        "labels": outcome.labels,
        "metrics": metrics_report(outcome.counts, severity=severity),
        "counts": outcome.counts.to_json(),
        # Which shards of how many (None: every row selected), and the weights the severity
        # leak was computed with: what `breachbench merge` needs to rebuild the report.
        "shard": None if options.shard is None else options.shard.to_json(),
        "severity_weights": severity,
    }


def validate_results(data: Any, *, source: str = "results") -> dict[str, Any]:
    """Check ``data`` against :data:`RESULTS_SCHEMA`; return it, or raise :class:`ResultsError`."""
    if not isinstance(data, dict):
        raise ResultsError(f"{source}: not a JSON object")
    if data.get("schema") != RESULTS_SCHEMA:
        raise ResultsError(
            f"{source}: schema {data.get('schema')!r} is not {RESULTS_SCHEMA!r}"
            " (written by another breachbench version?)"
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise ResultsError(f"{source}: field {key!r} is missing or not a {kind.__name__}")
    for block, keys in _NESTED.items():
        missing = [k for k in keys if k not in data[block]]
        if missing:
            raise ResultsError(f"{source}: {block} lacks {', '.join(missing)}")
    if not isinstance(data["status"]["partial"], bool):
        raise ResultsError(f"{source}: status.partial is not a bool")
    return data


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and validate a results.json."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise ResultsError(f"{path} is not valid JSON: {error}") from None
    return validate_results(data, source=str(path))


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a reader never sees half a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")  # mode per umask, like the others
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
