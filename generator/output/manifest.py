"""Provenance of a dataset: what made it, from which options, and what it contains.

The same provenance dictionary goes into each Parquet file's key-value metadata (under the
``breachbench`` key, as JSON), into a directory output's ``manifest.json`` and into the
sidecar of a single JSON-lines or CSV file. It holds no timestamp or host name, so the same
(version, options) always gives byte-identical outputs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from breachbench.generator.comments.splits import split_record
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.contract.version import __version__
from breachbench.generator.data import corpora
from breachbench.generator.options import GenerateOptions

METADATA_KEY = "breachbench"
MANIFEST_VERSION = 1


def taxonomy_version() -> str:
    """The ``version`` of the taxonomy shipped in ``corpora/taxonomy/taxonomy.yaml``."""
    return load_taxonomy().version


def provenance(options: GenerateOptions) -> dict[str, Any]:
    """Everything the rows depend on, plus the format: enough to regenerate the dataset."""
    record = {
        "generator": "breachbench",
        "generator_version": __version__,
        "taxonomy_version": taxonomy_version(),
        "corpora_sha256": corpora.corpora_digest(),
        "seed": options.seed,
        "format": options.format,
        "options": options.content_options(),
    }
    split = split_record(options.split, options.split_fraction)
    if split is not None:
        record["split"] = split
    return record


def provenance_json(options: GenerateOptions) -> str:
    """:func:`provenance` as compact, key-sorted JSON (stable bytes)."""
    return json.dumps(provenance(options), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class FileEntry:
    """One data file of an output, as listed in a manifest."""

    name: str
    rows: int
    bytes: int
    sha256: str
    sensitive_rows: int
    comment_rows: int


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks so memory stays flat."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def manifest(options: GenerateOptions, files: list[FileEntry]) -> dict[str, Any]:
    """The ``manifest.json`` document of a directory output (or a single file's sidecar)."""
    return {
        "manifest_version": MANIFEST_VERSION,
        **provenance(options),
        "rows": sum(entry.rows for entry in files),
        "sensitive_rows": sum(entry.sensitive_rows for entry in files),
        "comment_rows": sum(entry.comment_rows for entry in files),
        "files": [asdict(entry) for entry in files],
    }


def write_manifest(path: Path, options: GenerateOptions, files: list[FileEntry]) -> None:
    """Write :func:`manifest` as indented JSON, keys in a stable order."""
    text = json.dumps(manifest(options, files), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def read_manifest(path: Path) -> dict[str, Any]:
    """Load a ``manifest.json`` (or a sidecar) written by :func:`write_manifest`."""
    return json.loads(path.read_text(encoding="utf-8"))
