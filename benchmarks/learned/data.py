"""The training examples of a contract dataset: comment texts with their gold labels.

Any dataset the harness reads can train a model (the generator's Parquet, a part
directory, a hand-labelled JSON-lines file); records without a comment teach nothing and
are skipped. Streamed batch by batch, so features can be built as rows arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from breachbench.benchmarks.dataset import Dataset

__all__ = ["Example", "examples"]


@dataclass(frozen=True)
class Example:
    """One comment and its labels: spans as ``(start, end, category)``, sorted."""

    text: str
    spans: list[tuple[int, int, str]]
    categories: frozenset[str]


def examples(
    dataset: Dataset,
    *,
    limit: int | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[Example]:
    """Every non-empty comment of ``dataset`` (first ``limit`` rows if given).

    ``on_rows(n)`` is called with the number of rows of each batch once it is read.
    """
    for batch in dataset.batches(limit=limit, batch_size=4096):
        if on_rows is not None:
            on_rows(batch.num_rows)
        data = batch.to_pydict()
        for text, spans, categories in zip(
            data["admin_comment"], data["spans"], data["categories"], strict=True
        ):
            if not text:
                continue
            yield Example(
                text=text,
                spans=sorted((s["start"], s["end"], s["category"]) for s in spans or ()),
                categories=frozenset(categories or ()),
            )
