"""Past one machine: the rows as Dask tasks (the ``dask`` extra, imported only when used).

Rows depend only on (version, options, row index), so a Dask task needs nothing but its
row range: :func:`write_parts` has each task write one part file, exactly the file the
local engine writes for that range, and :func:`to_dask_dataframe` makes each partition a
block of rows in memory. Without a scheduler address, :func:`dask_client` starts a
``LocalCluster`` of one single-threaded process per worker (the generator holds the GIL
most of its time: threads would queue) and stops it afterwards.

The workers of a remote cluster must have the same breachbench installed, and write the
part files themselves: the output directory must be on a file system they share with this
process.

The harness may use :func:`dask_client` too: it knows nothing of rows.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from breachbench.generator import block
from breachbench.generator.options import GenerateOptions, OptionError
from breachbench.generator.run.runner import (
    DEFAULT_PART_ROWS,
    PartJob,
    WrittenFile,
    align_up,
    part_count,
    write_part,
)

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, Future, LocalCluster

__all__ = ["dask_client", "local_cluster", "require_dask", "to_dask_dataframe", "write_parts"]

INSTALL_HINT = "pip install 'breachbench[dask]'"


def require_dask(*modules: str) -> None:
    """Raise :class:`OptionError` (one line, with the install command) when the ``dask``
    extra is missing: a usage error, not a traceback."""
    import importlib

    for name in modules or ("dask", "distributed"):
        try:
            importlib.import_module(name)
        except ImportError:
            raise OptionError(f"the dask engine needs the dask extra: {INSTALL_HINT}") from None


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[LocalCluster]:
    """A ``LocalCluster`` of ``workers`` single-threaded processes, shut down on leaving.

    Two of distributed's defaults are undone. Its workers get ``MALLOC_TRIM_THRESHOLD_``
    set to 64 KB, which makes glibc hand memory back to the kernel at every large free:
    measured, a third more CPU for the same rows (4 million rows: 4 to 5 s more of system
    time). And it writes its workers' variables into this process's environment, where
    any later subprocess would inherit them; the environment is put back as it was.
    """
    require_dask("distributed")
    import dask
    from distributed import LocalCluster

    saved = dict(os.environ)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update(saved)
    try:
        yield cluster
    finally:
        cluster.close()


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A Dask client: of the scheduler at ``scheduler`` (``tcp://host:8786``, or a
    scheduler file's path), or of a :func:`local_cluster` of ``workers`` processes started
    here and shut down when the block ends, whatever ends it."""
    require_dask("distributed")
    from distributed import Client

    if scheduler:
        try:
            if scheduler.endswith(".json"):
                client = Client(scheduler_file=scheduler, timeout="30s")
            else:
                client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as error:
            raise OptionError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


def _write_part(job: PartJob) -> WrittenFile:
    """A task: one part file, as the local engine writes it."""
    return write_part(job)


def write_parts(
    jobs: Iterable[PartJob], client: Client, *, in_flight: int | None = None
) -> Iterator[WrittenFile]:
    """Write each job's part file as a Dask task; yield them as they finish (any order).

    At most ``in_flight`` tasks (default: two per worker thread) are submitted at a time,
    so an endless plan costs the scheduler no memory. Leaving early cancels what is left.
    """
    from distributed import as_completed

    source = iter(jobs)
    threads = sum(client.nthreads().values()) or 1
    limit = in_flight or 2 * threads
    pending = as_completed()
    submitted: set[Future] = set()

    def submit(job: PartJob) -> None:
        future = client.submit(_write_part, job, pure=False)  # a key of its own: never shared
        submitted.add(future)
        pending.add(future)

    try:
        for job in itertools.islice(source, limit):
            submit(job)
        for future in pending:
            written = future.result()
            submitted.discard(future)
            for job in itertools.islice(source, 1):
                submit(job)
            yield written
    finally:
        if submitted:
            client.cancel(list(submitted))


def _partition(span: tuple[int, int], options: GenerateOptions) -> pd.DataFrame:
    """A partition: rows [start, stop) as pandas, indexed by row number.

    Every column keeps its Arrow type (``pd.ArrowDtype``): dates stay dates and the
    nested ``spans`` stay lists of structs, where plain pandas would make them Python
    objects that Dask then turns into strings.
    """
    import pandas as pd

    start, stop = span
    frame = block.make_block(options, start, stop).to_pandas(types_mapper=pd.ArrowDtype)
    frame.index = pd.RangeIndex(start, stop)
    return frame


def to_dask_dataframe(
    options: GenerateOptions, *, partition_rows: int = DEFAULT_PART_ROWS
) -> dd.DataFrame:
    """The dataset of ``options`` as a lazy ``dask.dataframe``, nothing written.

    One partition per ``partition_rows`` rows (rounded up to whole blocks of
    ``BLOCK_ROWS``), indexed by row number with known divisions; the rows are those
    ``generate`` writes with the same options, whatever the partition size. Compute it
    on any scheduler; each partition builds its rows where it runs.
    """
    require_dask("dask", "dask.dataframe", "pandas")
    import dask.dataframe as dd

    step = align_up(partition_rows)
    count = part_count(options.rows, partition_rows)
    spans = [(k * step, min((k + 1) * step, options.rows)) for k in range(count)]
    meta = _partition((0, 0), options)
    # Known divisions (the first row of each partition, then the last row) let Dask
    # select rows by index without computing every partition.
    divisions = (*(lo for lo, _ in spans), options.rows - 1) if options.rows else (None, None)
    return dd.from_map(
        _partition,
        spans,
        options=options,
        meta=meta,
        divisions=divisions,
        label="breachbench",
        enforce_metadata=False,
    )
