"""Count the labels of written data files, to check the counts a dataset card reports.

The card's counts are summed as rows are written (``generator.output.counts``); this reads
the files back with the harness's one dataset reader
(:func:`breachbench.benchmarks.dataset.open_dataset`), in any layout ``generate`` writes,
and counts again. So the figures a card states are checked against the rows a benchmark
will actually read, and the tests keep no second reader to drift from the harness's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
from breachbench.benchmarks.dataset import open_dataset
from breachbench.generator.output.counts import DatasetStats, count_table


def scan_dataset(path: Path, *, taxonomy_categories: Sequence[str] = ()) -> DatasetStats:
    """Count the figures of :class:`DatasetStats` in the dataset at ``path`` (a file or a
    directory of parts), a batch at a time. Categories of ``taxonomy_categories`` with no
    span are reported with a zero."""
    total = DatasetStats()
    for batch in open_dataset(path).batches():
        total = total.merged(count_table(pa.Table.from_batches([batch])))
    return total.with_categories(taxonomy_categories)
