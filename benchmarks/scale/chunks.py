"""The fixed cut of the selected rows that workers, shards and checkpoints share.

The selected rows (after ``--limit`` and ``--sample``) are numbered 0..T-1 and cut into
chunks of ``chunk_rows`` rows by position: chunk k holds rows [k*C, (k+1)*C). A chunk is the
unit of scoring, of the files' lines and of checkpoints; inside it, the rows that have a
comment are sent to the detector in calls of ``batch_size`` texts. Nothing in that cut
depends on the number of workers, the engine, the machine or an interruption, which is
why their results are identical.

``--shard I/N`` takes the I-th of N runs of consecutive chunks: chunks
[floor((I-1)K/N), floor(IK/N)) of the K chunks. By position, not by id hash, so that the
shards' predictions.jsonl, concatenated in shard order, are the single run's file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
from breachbench.benchmarks.dataset import Dataset

__all__ = ["Chunk", "Shard", "chunk_count", "iter_chunks", "parse_shard", "shard_chunks"]


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ValueError(f"--shard {self.index}/{self.count}: expected I/N with 1 <= I <= N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def to_json(self) -> dict[str, object]:
        """The ``shard`` block of results.json: which shards of how many it covers."""
        return {"indices": [self.index], "count": self.count}


def parse_shard(text: str) -> Shard:
    """``"2/8"`` -> Shard(2, 8); ValueError with a one-line message otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise ValueError(f"--shard {text!r}: expected I/N, such as 2/8")
    return Shard(int(match[1]), int(match[2]))


def chunk_count(rows: int, chunk_rows: int) -> int:
    """Number of chunks of ``chunk_rows`` rows covering ``rows`` rows."""
    return -(-rows // chunk_rows)


def shard_chunks(n_chunks: int, shard: Shard | None) -> range:
    """The chunk indices of ``shard`` (all of them without one)."""
    if shard is None:
        return range(n_chunks)
    return range((shard.index - 1) * n_chunks // shard.count, shard.index * n_chunks // shard.count)


@dataclass
class Chunk:
    """Chunk ``index`` of the selected rows, with the columns the run loop reads."""

    index: int
    batch: pa.RecordBatch
    ids: list[str]
    texts: list[str | None]
    positions: list[int]
    """Rows of the chunk with a comment: the only ones the detector is asked about."""

    @property
    def comments(self) -> int:
        """How many of its rows go to the detector."""
        return len(self.positions)


def _combine(pieces: list[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatch:
    if len(pieces) == 1:
        return pieces[0]
    table = pa.Table.from_batches(pieces, schema=schema).combine_chunks()
    batches = table.to_batches()
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=schema)


def _chunk(index: int, batch: pa.RecordBatch) -> Chunk:
    ids = batch.column("patient_id").to_pylist()
    texts = batch.column("admin_comment").to_pylist()
    return Chunk(index, batch, ids, texts, [i for i, text in enumerate(texts) if text])


def iter_chunks(
    dataset: Dataset,
    chunk_rows: int,
    chunks: range,
    *,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> Iterator[Chunk]:
    """The chunks of ``chunks`` (a contiguous range), in order.

    The dataset is streamed from its start (a sample's draws depend on every row before),
    and rows before the first wanted chunk are read and dropped: reading is cheap next to
    any detector worth sharding.
    """
    if not len(chunks):
        return
    first, stop = chunks.start * chunk_rows, chunks.stop * chunk_rows
    schema = dataset.schema
    pieces: list[pa.RecordBatch] = []
    held = 0
    index = chunks.start
    seen = 0
    for batch in dataset.batches(chunk_rows, limit=limit, sample=sample, seed=seed):
        lo, hi = seen, seen + batch.num_rows
        seen = hi
        if hi <= first:
            continue
        if lo >= stop:
            break
        batch = batch.slice(max(0, first - lo), min(hi, stop) - max(lo, first))
        while batch.num_rows:
            take = min(chunk_rows - held, batch.num_rows)
            pieces.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == chunk_rows:
                yield _chunk(index, _combine(pieces, schema))
                index, pieces, held = index + 1, [], 0
    if held:
        yield _chunk(index, _combine(pieces, schema))
