"""A model directory: parameters, ``model.json`` and ``MODEL_CARD.md``, and the honesty check.

A learned detector is only as trustworthy as what is known of its training data. Each
model directory therefore says, next to its parameters, which breachbench and taxonomy
versions made it, the training dataset's fingerprint (the one the dataset reader computes,
so it compares with ``results.json``'s), the generator seed, split and options the data
was made with, and how long training took. :func:`protocol_warnings` reads that back when
the model is benchmarked: scoring a model on its own training rows (same fingerprint, or
same seed and split) measures memory, and says so in the terminal and in ``results.json``.

Plain JSON, no ML dependency: the harness reads it without the ``ml`` extra.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from breachbench.benchmarks.dataset import DatasetInfo
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.contract.version import __version__

__all__ = [
    "LEARNED_PREFIX",
    "MODEL_CARD",
    "MODEL_FILE",
    "MODEL_SCHEMA",
    "ModelDirError",
    "protocol_warnings",
    "read_model_json",
    "training_data",
    "write_model_json",
]

LEARNED_PREFIX = "learned:"
MODEL_FILE = "model.json"
MODEL_CARD = "MODEL_CARD.md"
MODEL_SCHEMA = "breachbench.model/1"


class ModelDirError(ValueError):
    """A model directory is missing, unreadable or of another schema; one line."""


def training_data(info: DatasetInfo, *, comments: int, spans: int) -> dict[str, Any]:
    """What ``model.json`` records of the training dataset."""
    provenance = info.provenance or {}
    options = provenance.get("options") or {}
    return {
        "path": str(info.path),
        "fingerprint": info.fingerprint,
        "fingerprint_source": info.fingerprint_source,
        "rows": info.rows,
        "comments": comments,
        "spans": spans,
        "generator_version": provenance.get("generator_version"),
        "seed": provenance.get("seed"),
        "split": options.get("split"),
        "split_fraction": options.get("split_fraction"),
        "split_families_sha256": (provenance.get("split") or {}).get("families_sha256"),
        "options": options or None,
    }


def write_model_json(directory: Path, document: dict[str, Any]) -> dict[str, Any]:
    """Write ``model.json`` with the versions added; return the whole document."""
    full = {
        "schema": MODEL_SCHEMA,
        "breachbench_version": __version__,
        "taxonomy_version": load_taxonomy().version,
        **document,
    }
    text = json.dumps(full, indent=1, ensure_ascii=False, sort_keys=False)
    (directory / MODEL_FILE).write_text(text + "\n", encoding="utf-8")
    return full


def read_model_json(directory: str | Path) -> dict[str, Any]:
    """The ``model.json`` of a model directory, checked for its schema."""
    path = Path(directory) / MODEL_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelDirError(f"{directory} is not a model directory (no {MODEL_FILE})") from None
    except (OSError, ValueError) as error:
        raise ModelDirError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict) or data.get("schema") != MODEL_SCHEMA:
        raise ModelDirError(f"{path}: schema is not {MODEL_SCHEMA!r}")
    return data


def _split_name(split: object) -> str:
    return str(split) if split else "none (every family)"


def protocol_warnings(spec: str | None, dataset: DatasetInfo) -> list[str]:
    """Warnings about benchmarking a learned detector on the data it was trained on.

    Empty for any detector that is not ``learned:DIR``, and when the evaluation dataset
    differs from the training one in fingerprint and in (seed, split).
    """
    if not spec or not spec.startswith(LEARNED_PREFIX):
        return []
    try:
        model = read_model_json(spec[len(LEARNED_PREFIX) :])
    except ModelDirError:
        return []
    trained = model.get("training_data") or {}
    provenance = dataset.provenance or {}
    options = provenance.get("options") or {}
    name = model.get("model", "learned model")
    if trained.get("fingerprint") == dataset.fingerprint:
        return [
            f"{name} is benchmarked on its own training dataset (fingerprint"
            f" {dataset.fingerprint[:19]}...): the scores measure memory, not detection."
            " Benchmark on another seed and on --split test."
        ]
    seed = provenance.get("seed")
    if (
        seed is not None
        and seed == trained.get("seed")
        and options.get("split") == trained.get("split")
    ):
        return [
            f"{name} was trained on data of the same seed ({seed}) and split"
            f" ({_split_name(trained.get('split'))}) as this dataset: it has seen these rows."
            " Benchmark on another seed and on --split test."
        ]
    return []
