"""Byte-stable writers: running the build twice must give identical files.

Parquet is written with fixed options (zstd level, no statistics, one row group, a
fixed ``created_by``-free metadata set, no pandas metadata); CSV with ``\\n`` line
endings; YAML with sorted-free insertion order and ``allow_unicode``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` deterministically (same table -> same bytes)."""
    pq.write_table(
        table.replace_schema_metadata(None),
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=False,
        row_group_size=max(len(table), 1),
        data_page_version="1.0",
        version="2.6",
        store_schema=False,
    )


def write_csv(rows: list[dict], fields: list[str], path: Path) -> None:
    """Plain UTF-8 CSV with a header and ``\\n`` line endings."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_yaml(data: dict, path: Path, header: str = "") -> None:
    """YAML in insertion order, UTF-8 kept readable."""
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")
