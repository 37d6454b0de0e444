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

from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.card import write_card
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.croissant import DataFile, croissant, write_croissant
from breachbench.generator.output.manifest import provenance_json, write_manifest
from breachbench.generator.output.target import (
    MANIFEST_NAME,
    OutputTarget,
    Staging,
    check_target,
    resolve_target,
)
from breachbench.generator.output.writers import open_sink
from breachbench.generator.run import memory
from breachbench.generator.run.progress import Advance, row_progress, wants_progress
from breachbench.generator.run.runner import (
    DEFAULT_PART_ROWS,
    WrittenFile,
    encoded_task_rows,
    generate_encoded,
    generate_tables,
    write_parts,
)

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
            files = []
            parts = write_parts(
                options, staging.path, part_rows=part_rows, metadata_json=provenance_json(options)
            )
            with contextlib.closing(parts):
                for written in parts:
                    files.append(written)
                    advance(written.entry.rows)
            write_manifest(staging.path / MANIFEST_NAME, options, [f.entry for f in files])
        else:
            files = [_write_single(options, staging, advance)]
        _write_metadata(options, staging, files)
        staging.commit()
    seconds = time.perf_counter() - started
    return _summary(target, files, seconds)


def _write_single(options: GenerateOptions, staging: Staging, advance: Advance) -> WrittenFile:
    """Stream every row into the staged file: workers generate (and mostly encode), this
    process appends."""
    metadata_json = provenance_json(options)
    with open_sink(
        options.format, staging.path, batch_size=options.batch_size, metadata_json=metadata_json
    ) as sink:
        if encoded_task_rows(options) is not None:
            pieces = generate_encoded(options, metadata_json=metadata_json)
            with contextlib.closing(pieces):
                for rows in pieces:
                    sink.write_encoded(rows)
                    advance(rows.counts.rows)
        else:
            tables = generate_tables(options)
            with contextlib.closing(tables):
                for table in tables:
                    sink.write(table)
                    advance(table.num_rows)
    counts = sink.close()
    written = WrittenFile.of(staging.target.path.name, staging.path, sink.sha256, counts)
    if staging.sidecar is not None:
        write_manifest(staging.sidecar, options, [written.entry])
    return written


def _write_metadata(options: GenerateOptions, staging: Staging, files: list[WrittenFile]) -> None:
    """Stage the dataset card and the Croissant description with the data they describe.

    Their counts are those of the rows the sinks wrote, so they describe what was written.
    """
    entries = [written.entry for written in files]
    data_files = [DataFile(entry.name, entry.sha256, entry.bytes) for entry in entries]
    counts = DatasetStats()
    for written in files:
        counts = counts.merged(written.counts)
    counts = counts.with_categories(load_taxonomy().categories)
    write_card(
        staging.metadata_path("card"),
        options,
        counts,
        RECORD_SCHEMA,
        [(f.name, f.sha256) for f in data_files],
        croissant_name=staging.target.metadata_path("croissant").name,
    )
    document = croissant(options, data_files, RECORD_SCHEMA, rows=counts.rows)
    write_croissant(staging.metadata_path("croissant"), document)


def _summary(target: OutputTarget, files: list[WrittenFile], seconds: float) -> GenerationSummary:
    entries = [written.entry for written in files]
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
