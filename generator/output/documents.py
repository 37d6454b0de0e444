"""The metadata documents written beside the data: the dataset card and the Croissant
description, from the manifest entries and counts of the files they describe.

One function for every way a dataset is finished (one run, or the merge of shards made on
several machines), so that the same rows always get the same documents, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.card import write_card
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.croissant import DataFile, croissant, write_croissant
from breachbench.generator.output.manifest import FileEntry


def write_documents(
    options: GenerateOptions,
    entries: Sequence[FileEntry],
    counts: DatasetStats,
    *,
    card_path: Path,
    croissant_path: Path,
    croissant_name: str,
) -> None:
    """Write the card to ``card_path`` and the Croissant JSON-LD to ``croissant_path``.

    ``counts`` are those of the rows the sinks wrote (summed over ``entries``), so the
    documents describe what was written; ``croissant_name`` is the Croissant file's final
    name, which the card links to.
    """
    data_files = [DataFile(entry.name, entry.sha256, entry.bytes) for entry in entries]
    counts = counts.with_categories(load_taxonomy().categories)
    write_card(
        card_path,
        options,
        counts,
        RECORD_SCHEMA,
        [(f.name, f.sha256) for f in data_files],
        croissant_name=croissant_name,
    )
    document = croissant(options, data_files, RECORD_SCHEMA, rows=counts.rows)
    write_croissant(croissant_path, document)
