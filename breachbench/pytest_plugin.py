"""pytest plugin: labelled breachbench records as fixtures, for any project's tests.

Why: a detector's CI needs realistic labelled French comments without shipping a dataset
or running the CLI. Installed with breachbench (entry point ``pytest11``), it gives:

- ``breach_records``: a fresh list of record dicts (every column of the dataset schema),
  deterministic from a seed;
- ``breach_dataset``: the same records written as a Parquet file in ``tmp_path``;

and the marker ``@pytest.mark.breach_seed(seed, rows=1000)`` (or the option
``--breach-seed``) that chooses them. Rows come from ``generator.block.make_block``, the
generator itself, and are cached per (seed, rows) for the test session. The first table
of a process costs about 0.5 s more than the others (the corpora arrays, a tenth of a
second from breachbench's disk cache, and the comment engine's first fit); then 1,000
rows of a new seed take about 0.15 s and a seed seen before under 10 ms
(``benchmarks/perf/test_plugin_perf.py``). The first run after installing also builds
the disk cache: about 6 s.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the generator loads only when a fixture is used: plugins load everywhere
    import pyarrow as pa

    from breachbench.generator.options import GenerateOptions

DEFAULT_SEED = 0
DEFAULT_ROWS = 1_000
MARKER = "breach_seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("breachbench")
    group.addoption(
        "--breach-seed",
        type=int,
        default=None,
        help=f"seed of the breach_records/breach_dataset fixtures (default {DEFAULT_SEED}; "
        f"a @pytest.mark.{MARKER} on a test wins)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(seed, rows={DEFAULT_ROWS}): seed (and size) of the breach_records and "
        "breach_dataset fixtures",
    )


def _options(seed: int, rows: int) -> GenerateOptions:
    from breachbench.generator.options import GenerateOptions

    return GenerateOptions(rows=rows, seed=seed)


@functools.cache
def _table(seed: int, rows: int) -> pa.Table:
    """Rows [0, rows) of the default dataset of ``seed``: the generator's own rows."""
    from breachbench.generator.block import make_block

    return make_block(_options(seed, rows), 0, rows)


def _choice(request: pytest.FixtureRequest) -> tuple[int, int]:
    """(seed, rows) from the closest ``breach_seed`` marker, else the option, else defaults."""
    marker = request.node.get_closest_marker(MARKER)
    option = request.config.getoption("--breach-seed", default=None)
    seed = DEFAULT_SEED if option is None else option
    rows = DEFAULT_ROWS
    if marker is not None:
        if marker.args:
            seed = marker.args[0]
        seed = marker.kwargs.get("seed", seed)
        rows = marker.kwargs.get("rows", rows)
    if not isinstance(seed, int) or seed < 0:
        raise pytest.UsageError(f"{MARKER}: seed must be an int >= 0, got {seed!r}")
    if not isinstance(rows, int) or rows < 0:
        raise pytest.UsageError(f"{MARKER}: rows must be an int >= 0, got {rows!r}")
    return seed, rows


@pytest.fixture
def breach_seed(request: pytest.FixtureRequest) -> int:
    """The seed the breach fixtures of this test use."""
    return _choice(request)[0]


@pytest.fixture
def breach_records(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Labelled records as dicts (a new list each time: tests may mutate it).

    Columns are those of ``generator.contract.schema.RECORD_SCHEMA``: ``admin_comment`` (None when
    the record has none), ``spans`` (dicts with ``start``, ``end``, ``category``,
    ``subject``, ``assertion``; code points, end exclusive), ``categories``,
    ``sensitive``... About 30 % of the rows have a comment, as in a default dataset.
    """
    seed, rows = _choice(request)
    return _table(seed, rows).to_pylist()


@pytest.fixture
def breach_dataset(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Path of a Parquet file in ``tmp_path`` holding the ``breach_records`` rows.

    Written by the generator's own Parquet sink, so it is byte-for-byte the file
    ``breachbench generate --rows N --seed S x.parquet`` makes (provenance metadata
    included), without its card and Croissant sidecars.
    """
    from breachbench.generator.output.manifest import provenance_json
    from breachbench.generator.output.writers import open_sink

    seed, rows = _choice(request)
    options = _options(seed, rows)
    path = tmp_path / f"breach-seed{seed}-{rows}.parquet"
    with open_sink(
        "parquet", path, batch_size=options.batch_size, metadata_json=provenance_json(options)
    ) as sink:
        sink.write(_table(seed, rows))
    return path
