"""The library calls that make a dataset: :func:`generate_dataset`, :func:`merge_shards`
and :func:`to_dask_dataframe`.

:func:`generate_dataset` checks the output location before any work, generates in a
temporary place beside it, and renames on success, so the final name only ever holds a
complete dataset. A directory output may also be written by shards on many machines
(:mod:`~generator.output.shards`), continued after an interruption (``resume``, see
:mod:`~generator.output.journal`), and have its parts written by Dask tasks
(``engine="dask"``): the rows and bytes are the same every way. Errors are raised
(``OptionError``, ``OutputError``, ``OSError``...); this module never exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from breachbench.generator.options import GenerateOptions, OptionError, Shard
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.documents import write_documents
from breachbench.generator.output.journal import (
    DonePart,
    Journal,
    PartPlan,
    ResumableStaging,
    discard_interrupted,
)
from breachbench.generator.output.manifest import (
    provenance,
    provenance_json,
    read_manifest,
    write_manifest,
)
from breachbench.generator.output.shards import (
    MergeResult,
    ShardStaging,
    check_shard_target,
    merge_shards,
    shard_manifest_name,
)
from breachbench.generator.output.target import (
    MANIFEST_NAME,
    OutputError,
    OutputTarget,
    Staging,
    check_target,
    resolve_target,
)
from breachbench.generator.output.writers import open_sink
from breachbench.generator.run import memory
from breachbench.generator.run.dask_engine import require_dask, to_dask_dataframe
from breachbench.generator.run.progress import Advance, row_progress, wants_progress
from breachbench.generator.run.runner import (
    DEFAULT_PART_ROWS,
    PartJob,
    WrittenFile,
    align_up,
    effective_workers,
    encoded_task_rows,
    generate_encoded,
    generate_tables,
    ordered_map,
    part_count,
    part_jobs,
    write_part,
)

Engine = Literal["local", "dask"]
ENGINES: tuple[str, ...] = ("local", "dask")

__all__ = [
    "ENGINES",
    "GenerationSummary",
    "MergeResult",
    "generate_dataset",
    "merge_shards",
    "to_dask_dataframe",
]


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
    #: Rows of parts an interrupted run had finished, kept rather than made again.
    resumed_rows: int = 0
    #: Why nothing was written (the output, or this shard, was already whole), or None.
    nothing_to_do: str | None = None
    #: For a shard: the merge of all shards, when this one completed the set.
    merged: MergeResult | None = None

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
    shard: Shard | None = None,
    resume: bool = False,
    engine: Engine = "local",
    scheduler: str | None = None,
) -> GenerationSummary:
    """Generate ``options.rows`` records into ``out`` and return a summary.

    ``out`` is a single file, or a directory of ``part-NNNNN`` files plus ``manifest.json``
    when it ends with a separator, is an existing directory or has no suffix. ``part_rows``
    (rounded up to whole blocks) sizes the parts of a directory output. ``progress=None``
    shows a bar only when stderr is a terminal.

    For a directory output only: ``shard`` writes only that shard's parts (and merges the
    shards when it finds them all, see :mod:`~generator.output.shards`); ``resume`` keeps
    the finished parts when the run is interrupted and continues an interrupted run from
    them; ``engine="dask"`` writes the parts as Dask tasks, on the scheduler at
    ``scheduler`` or on a local cluster of ``options.workers`` processes.

    Raises ``OutputError`` before any work if ``out`` exists (without ``overwrite``), is
    not writable, or has the suffix of another format; ``OptionError`` for a combination
    of options that cannot be honoured.
    """
    target = resolve_target(out, options.format)
    _check_modes(target, shard=shard, resume=resume, engine=engine, scheduler=scheduler)
    started = time.perf_counter()
    memory.reset_worker_peak()
    if not target.is_directory:
        check_target(target, overwrite=overwrite)
        with (
            Staging(target, overwrite=overwrite) as staging,
            row_progress(options.rows, enabled=wants_progress(progress)) as advance,
        ):
            files = [_write_single(options, staging, advance)]
            _write_metadata(options, staging, files)
            staging.commit()
        return _summary(target, files, time.perf_counter() - started)
    plan = PartPlan(
        provenance=provenance(options),
        part_rows=align_up(part_rows),
        parts=part_count(options.rows, part_rows),
        shard=None if shard is None else str(shard),
    )
    run = _PartsRun(options, plan, progress, engine, scheduler)
    if shard is not None:
        return run.shard(target, shard, resume=resume, overwrite=overwrite, started=started)
    if resume:
        whole = _already_whole(target, plan)
        if whole is not None:
            return whole
        check_target(target, overwrite=overwrite)
        staging: Staging = ResumableStaging(target, plan, overwrite=overwrite, resume=True)
    else:
        check_target(target, overwrite=overwrite)
        staging = Staging(target, overwrite=overwrite)
    with staging:
        journal = staging.journal if isinstance(staging, ResumableStaging) else None
        files = run.write(staging.path, range(plan.parts), journal)
        write_manifest(staging.path / MANIFEST_NAME, options, [f.entry for f in files])
        _write_metadata(options, staging, files)
        staging.commit()
    if journal is None:  # an interrupted --resume run of what this one replaced
        discard_interrupted(target.path.with_name(f".{target.path.name}.partial"), target.path)
    kept = sum(part.entry.rows for part in _journal_kept(journal))
    return _summary(target, files, time.perf_counter() - started, resumed_rows=kept)


def _journal_kept(journal: Journal | None) -> list[DonePart]:
    """The parts a resumed run found finished (recorded before this run wrote any)."""
    return [] if journal is None else journal.kept


def _check_modes(
    target: OutputTarget,
    *,
    shard: Shard | None,
    resume: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Refuse the combinations that cannot be honoured, before any work."""
    if engine not in ENGINES:
        raise OptionError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if scheduler and engine != "dask":
        raise OptionError("--scheduler needs --engine dask")
    if target.is_directory:
        if engine == "dask":
            require_dask()
        return
    for given, what in (
        (shard is not None, "--shard"),
        (resume, "--resume"),
        (engine == "dask", "--engine dask"),
    ):
        if given:
            raise OptionError(
                f"{what} writes part files: give a directory as --out (e.g."
                f" {target.path.with_suffix('')}/), not the single file {target.path}"
            )


class _PartsRun:
    """Writes part files of a directory output, by either engine, with progress, recording
    each finished part in a journal when there is one."""

    def __init__(
        self,
        options: GenerateOptions,
        plan: PartPlan,
        progress: bool | None,
        engine: str,
        scheduler: str | None,
    ) -> None:
        self.options = options
        self.plan = plan
        self.progress = progress
        self.engine = engine
        self.scheduler = scheduler

    def write(self, directory: Path, indices: range, journal: Journal | None) -> list[WrittenFile]:
        """Write the parts ``indices`` not yet in ``journal``; return all of ``indices``'
        parts in row order, those kept included."""
        options, plan = self.options, self.plan
        kept = {part.entry.name: part for part in _journal_kept(journal)}
        jobs = (
            job
            for job in part_jobs(
                options,
                directory,
                part_rows=plan.part_rows,
                metadata_json=provenance_json(options),
                indices=indices,
            )
            if job.name not in kept
        )
        step = plan.part_rows
        total = min(indices.stop * step, options.rows) - min(indices.start * step, options.rows)
        done_rows = sum(part.entry.rows for part in kept.values())
        files = [WrittenFile(part.entry, part.counts) for part in kept.values()]
        with (
            row_progress(
                total, enabled=wants_progress(self.progress), completed=done_rows
            ) as advance,
            contextlib.closing(self._execute(jobs)) as written,
        ):
            for item in written:
                if journal is not None:
                    journal.record(DonePart(item.entry, item.counts))
                files.append(item)
                advance(item.entry.rows)
        return sorted(files, key=lambda f: f.entry.name)

    def _execute(self, jobs: Iterator[PartJob]) -> Iterator[WrittenFile]:
        if self.engine == "dask":
            return _dask_parts(jobs, self.options.workers, self.scheduler)
        workers = effective_workers(self.options)
        return ordered_map(write_part, jobs, workers=workers)

    def shard(
        self,
        target: OutputTarget,
        shard: Shard,
        *,
        resume: bool,
        overwrite: bool,
        started: float,
    ) -> GenerationSummary:
        """Write one shard's parts into the directory ``target``; merge if it completes
        the set."""
        options, plan = self.options, self.plan
        why = check_shard_target(target, options, shard, plan)
        if why is not None:
            return _nothing_done(target, why)
        if (target.path / shard_manifest_name(shard)).is_file():
            if resume:  # a rerun of a finished job; merge in case it died just before
                why = f"shard {shard} is already whole in {target.path}"
                return _nothing_done(target, why, merged=merge_shards(target.path))
            if not overwrite:
                raise OptionError(
                    f"shard {shard} is already in {target.path}: --resume skips it,"
                    " --overwrite writes it again"
                )
        with ShardStaging(target, plan, shard, resume=resume) as staging:
            files = self.write(staging.path, shard.parts(plan.parts), staging.journal)
            staging.commit()
        try:
            merged = merge_shards(target.path)
        except OutputError as error:
            message = f"shard {shard} is written, but the shards cannot merge: {error}"
            raise OutputError(message) from None
        kept = sum(part.entry.rows for part in _journal_kept(staging.journal))
        summary = _summary(target, files, time.perf_counter() - started, resumed_rows=kept)
        return dataclasses.replace(summary, merged=merged)


def _dask_parts(
    jobs: Iterator[PartJob], workers: int, scheduler: str | None
) -> Iterator[WrittenFile]:
    """Part files written by Dask tasks, as they finish; the cluster lives as long as this
    generator (a local one is shut down when it ends, however it ends)."""
    from breachbench.generator.run import dask_engine

    with dask_engine.dask_client(scheduler, workers) as client:
        written = dask_engine.write_parts(jobs, client)
        with contextlib.closing(written):
            yield from written


def _already_whole(target: OutputTarget, plan: PartPlan) -> GenerationSummary | None:
    """For ``resume``: the summary of an output that is already whole, with the rows of
    these options and cut (a rerun of a job that had finished), else None."""
    manifest = target.path / MANIFEST_NAME
    if not manifest.is_file():
        return None
    try:
        document = read_manifest(manifest)
    except (OSError, ValueError):
        return None
    record = plan.provenance
    same = all(document.get(key) == value for key, value in record.items())
    if not same or len(document.get("files", ())) != plan.parts:
        return None
    return _nothing_done(target, f"{target.path} is already whole")


def _nothing_done(
    target: OutputTarget, why: str, *, merged: MergeResult | None = None
) -> GenerationSummary:
    return GenerationSummary(
        path=target.path,
        format=target.format,
        is_directory=True,
        rows=0,
        files=(),
        bytes=0,
        seconds=0.0,
        rows_per_second=0.0,
        peak_rss_bytes=memory.peak_rss_bytes(),
        sensitive_rows=0,
        comment_rows=0,
        nothing_to_do=why,
        merged=merged,
    )


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
    counts = DatasetStats()
    for written in files:
        counts = counts.merged(written.counts)
    write_documents(
        options,
        [written.entry for written in files],
        counts,
        card_path=staging.metadata_path("card"),
        croissant_path=staging.metadata_path("croissant"),
        croissant_name=staging.target.metadata_path("croissant").name,
    )


def _summary(
    target: OutputTarget, files: list[WrittenFile], seconds: float, *, resumed_rows: int = 0
) -> GenerationSummary:
    """What was written; the speed counts only the rows this run made."""
    entries = [written.entry for written in files]
    rows = sum(entry.rows for entry in entries)
    made = rows - resumed_rows
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
        rows_per_second=made / seconds if seconds > 0 else 0.0,
        peak_rss_bytes=memory.peak_rss_bytes(),
        sensitive_rows=sum(entry.sensitive_rows for entry in entries),
        comment_rows=sum(entry.comment_rows for entry in entries),
        resumed_rows=resumed_rows,
    )
