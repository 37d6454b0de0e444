"""The one library call that makes a dataset: :func:`generate_dataset`.

It checks the output location before any work, generates in a temporary place beside it,
and renames on success, so the final name only ever holds a complete dataset. Errors are
raised (``OptionError``, ``OutputError``, ``OSError``...); this module never exits.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from generator import memory
from generator.card import scan_dataset, write_card
from generator.croissant import DataFile, croissant, write_croissant
from generator.manifest import FileEntry, provenance_json, sha256_file, write_manifest
from generator.options import GenerateOptions
from generator.progress import Advance, row_progress, wants_progress
from generator.runner import DEFAULT_PART_ROWS, generate_tables, write_parts
from generator.schema import RECORD_SCHEMA
from generator.target import MANIFEST_NAME, OutputTarget, Staging, check_target, resolve_target
from generator.taxonomy import load_taxonomy
from generator.writers import open_sink

__all__ = ["GenerationSummary", "generate_dataset"]


@dataclass(frozen=True)
class GenerationSummary:
    """What a run wrote, and how fast."""

    path: Path
    format: str
    is_directory: bool
    rows: int
    files: tuple[Path, ...]
    bytes: int
    seconds: float
    rows_per_second: float
    peak_rss_bytes: int
    sensitive_rows: int
    comment_rows: int

    @property
    def sensitive_share(self) -> float:
        """Share of rows whose comment holds a sensitive span."""
        return self.sensitive_rows / self.rows if self.rows else 0.0

    @property
    def comment_share(self) -> float:
        """Share of rows with a non-empty comment."""
        return self.comment_rows / self.rows if self.rows else 0.0


def generate_dataset(
    out: str | os.PathLike[str],
    options: GenerateOptions,
    *,
    overwrite: bool = False,
    progress: bool | None = None,
    part_rows: int = DEFAULT_PART_ROWS,
) -> GenerationSummary:
    """Generate ``options.rows`` records into ``out`` and return a summary.

    ``out`` is a single file, or a directory of ``part-NNNNN`` files plus ``manifest.json``
    when it ends with a separator, is an existing directory or has no suffix. ``part_rows``
    (rounded up to whole blocks) sizes the parts of a directory output. ``progress=None``
    shows a bar only when stderr is a terminal.

    Raises ``OutputError`` before any work if ``out`` exists (without ``overwrite``), is
    not writable, or has the suffix of another format.
    """
    target = resolve_target(out, options.format)
    check_target(target, overwrite=overwrite)
    started = time.perf_counter()
    memory.reset_worker_peak()
    with (
        Staging(target, overwrite=overwrite) as staging,
        row_progress(options.rows, enabled=wants_progress(progress)) as advance,
    ):
        if target.is_directory:
            entries = []
            parts = write_parts(
                options, staging.path, part_rows=part_rows, metadata_json=provenance_json(options)
            )
            with contextlib.closing(parts):
                for entry in parts:
                    entries.append(entry)
                    advance(entry.rows)
            write_manifest(staging.path / MANIFEST_NAME, options, entries)
        else:
            entries = [_write_single(options, staging, advance)]
        _write_metadata(options, staging, entries)
        staging.commit()
    seconds = time.perf_counter() - started
    return _summary(target, entries, seconds)


def _write_single(options: GenerateOptions, staging: Staging, advance: Advance) -> FileEntry:
    """Stream every row into the staged file; the parent writes, workers generate."""
    tables = generate_tables(options)
    with (
        contextlib.closing(tables),
        open_sink(
            options.format,
            staging.path,
            batch_size=options.batch_size,
            metadata_json=provenance_json(options),
        ) as sink,
    ):
        for table in tables:
            sink.write(table)
            advance(table.num_rows)
    stats = sink.close()
    entry = FileEntry(
        name=staging.target.path.name,
        rows=stats.rows,
        bytes=staging.path.stat().st_size,
        sha256=sha256_file(staging.path) if staging.sidecar else "",
        sensitive_rows=stats.sensitive_rows,
        comment_rows=stats.comment_rows,
    )
    if staging.sidecar is not None:
        write_manifest(staging.sidecar, options, [entry])
    return entry


def _write_metadata(options: GenerateOptions, staging: Staging, entries: list[FileEntry]) -> None:
    """Stage the dataset card and the Croissant description with the data they describe.

    Their counts come from a pass over the staged files, so they describe what was written.
    """
    target = staging.target
    staged = [staging.path / e.name for e in entries] if target.is_directory else [staging.path]
    files = [
        DataFile(entry.name, entry.sha256 or sha256_file(path), entry.bytes)
        for entry, path in zip(entries, staged, strict=True)
    ]
    stats = scan_dataset(
        staged, options.format, RECORD_SCHEMA, taxonomy_categories=load_taxonomy().categories
    )
    write_card(
        staging.metadata_path("card"),
        options,
        stats,
        RECORD_SCHEMA,
        [(f.name, f.sha256) for f in files],
        croissant_name=target.metadata_path("croissant").name,
    )
    document = croissant(options, files, RECORD_SCHEMA, rows=stats.rows)
    write_croissant(staging.metadata_path("croissant"), document)


def _summary(target: OutputTarget, entries: list[FileEntry], seconds: float) -> GenerationSummary:
    rows = sum(entry.rows for entry in entries)
    if target.is_directory:
        files = tuple(target.path / entry.name for entry in entries)
    else:
        files = (target.path,)
    return GenerationSummary(
        path=target.path,
        format=target.format,
        is_directory=target.is_directory,
        rows=rows,
        files=files,
        bytes=sum(entry.bytes for entry in entries),
        seconds=seconds,
        rows_per_second=rows / seconds if seconds > 0 else 0.0,
        peak_rss_bytes=memory.peak_rss_bytes(),
        sensitive_rows=sum(entry.sensitive_rows for entry in entries),
        comment_rows=sum(entry.comment_rows for entry in entries),
    )
