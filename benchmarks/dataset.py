"""Read any dataset that follows the contract as a stream of Arrow batches.

The contract is ``corpora/taxonomy/TAXONOMY.md``.

Every layout ``breachbench generate`` writes is accepted, whoever made it: one Parquet,
JSON-lines or CSV file, or a directory of ``part-*.parquet``, ``part-*.jsonl`` or
``part-*.csv`` files (``manifest.json`` beside them is read for provenance only). In CSV
the nested columns (categories, spans, tags) are JSON strings, as the generator writes
them. Only the contract columns are read (plus ``difficulty_tags`` when present),
cast to the contract types, so a hand-labelled file with exactly those five fields works as
well as the generator's 22-column output, and memory stays one batch whatever the size.
A caller that needs more of the row (``breachbench check`` compares a comment with its own
row) names those columns and their types in ``open_dataset(path, extra_columns=...)``: the
ones the dataset has are read and cast too, the others are simply absent from the batches.

``--limit N`` keeps the first N rows. ``--sample N`` draws N rows uniformly without
replacement, streaming: the number taken from each aligned block of rows is a
hypergeometric draw given what is still needed, then the rows inside the block are chosen
at random. Every draw depends only on the seed and the row position, never on how the
reader happens to batch the rows, so the same seed gives the same records.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from breachbench.benchmarks.protocol import one_line
from breachbench.generator.contract.schema import CONTRACT_COLUMNS, SPAN_TYPE
from breachbench.generator.output.manifest import METADATA_KEY, sha256_file
from breachbench.generator.output.shards import unfinished_shards

__all__ = [
    "CONTRACT_SCHEMA",
    "TAGS_COLUMN",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "open_dataset",
]

TAGS_COLUMN = "difficulty_tags"
PART_GLOB = "part-*.parquet"
PART_GLOBS: dict[str, str] = {
    "parquet": "part-*.parquet",
    "jsonl": "part-*.jsonl",
    "csv": "part-*.csv",
}
"""Part files of a directory output, by format (the generator writes one format a folder)."""
MANIFEST_NAME = "manifest.json"
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)
CSV_PARSE = pa_csv.ParseOptions(newlines_in_values=True)
"""Comments may hold line breaks (quoted, as RFC 4180 allows)."""
NESTED_COLUMNS = ("categories", "spans", TAGS_COLUMN)
"""List columns, JSON strings in CSV."""
SAMPLE_BLOCK = 4096
"""Rows per sampling block: draws are made per aligned block, independent of batching."""

CONTRACT_SCHEMA = pa.schema(
    [
        pa.field("patient_id", pa.string()),
        pa.field("admin_comment", pa.string()),
        pa.field("sensitive", pa.bool_()),
        pa.field("categories", pa.list_(pa.string())),
        pa.field("spans", pa.list_(SPAN_TYPE)),
    ]
)
"""The contract columns and types; every batch the reader yields has this schema (+ tags)."""
_TAGS_FIELD = pa.field(TAGS_COLUMN, pa.list_(pa.string()))


class DatasetError(ValueError):
    """The dataset cannot be read or does not follow the contract; the message is one line."""


@dataclass(frozen=True)
class DatasetInfo:
    """What identifies a dataset: where, which layout, how many rows, and its fingerprint.

    ``fingerprint`` is ``sha256:<hex>``; two runs with the same fingerprint were scored on
    the same rows. For generated data it hashes the provenance recorded by the generator
    (which determines the rows byte for byte) and the row count, so no data is re-read;
    otherwise it is the sha256 of the file(s). ``provenance`` holds the generator and
    taxonomy versions, seed and options when the dataset recorded them.
    """

    path: str
    layout: str
    rows: int
    fingerprint: str
    fingerprint_source: str
    has_tags: bool
    provenance: dict[str, Any] | None = None
    files: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The ``dataset`` block of results.json."""
        prov = self.provenance or {}
        return {
            "path": self.path,
            "layout": self.layout,
            "rows": self.rows,
            "fingerprint": self.fingerprint,
            "fingerprint_source": self.fingerprint_source,
            "generator_version": prov.get("generator_version"),
            "taxonomy_version": prov.get("taxonomy_version"),
            "seed": prov.get("seed"),
            "generator_options": prov.get("options"),
            "difficulty_tags": self.has_tags,
        }


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_columns(names: list[str], where: str) -> bool:
    """Raise on a missing contract column; True when difficulty tags are present."""
    missing = [c for c in CONTRACT_COLUMNS if c not in names]
    if missing:
        raise DatasetError(f"{where} lacks contract column(s): {', '.join(missing)}")
    return TAGS_COLUMN in names


def _parquet_provenance(schema: pa.Schema) -> dict[str, Any] | None:
    raw = (schema.metadata or {}).get(METADATA_KEY.encode())
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise DatasetError(f"cannot read Parquet file {path}: {error}") from None


class Dataset:
    """A contract dataset on disk; :meth:`batches` streams it.

    Use :func:`open_dataset` to build one: it checks the layout and columns up front, so a
    wrong file fails before any detector is started.
    """

    def __init__(
        self, info: DatasetInfo, files: list[Path], extra: tuple[pa.Field, ...] = ()
    ) -> None:
        self.info = info
        self._files = files
        self.extra_fields = extra
        """The requested extra columns the dataset has, in the order asked for."""

    @property
    def columns(self) -> list[str]:
        """The columns every batch carries."""
        tags = [TAGS_COLUMN] if self.info.has_tags else []
        return [*CONTRACT_COLUMNS, *tags, *(f.name for f in self.extra_fields)]

    @property
    def schema(self) -> pa.Schema:
        """The schema every batch is cast to."""
        schema = CONTRACT_SCHEMA.append(_TAGS_FIELD) if self.info.has_tags else CONTRACT_SCHEMA
        for extra in self.extra_fields:
            schema = schema.append(extra)
        return schema

    def selected_rows(self, *, limit: int | None = None, sample: int | None = None) -> int:
        """How many rows :meth:`batches` yields with these options."""
        rows = self.info.rows if limit is None else min(limit, self.info.rows)
        return rows if sample is None else min(sample, rows)

    @property
    def file_format(self) -> str:
        """``parquet``, ``jsonl`` or ``csv``: the format of every file of the dataset."""
        return self.info.layout.removesuffix("-dir")

    def _raw_batches(self, batch_size: int) -> Iterator[pa.RecordBatch]:
        fmt = self.file_format
        for path in self._files:
            if fmt == "jsonl":
                yield from self._jsonl_batches(path, batch_size)
            elif fmt == "csv":
                yield from _csv_batches(path, batch_size, self.schema)
            else:
                reader = _open_parquet(path)
                try:
                    yield from reader.iter_batches(batch_size=batch_size, columns=self.columns)
                except (OSError, pa.ArrowException) as error:
                    raise DatasetError(f"cannot read {path}: {error}") from None

    def _jsonl_batches(self, path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
        # JSON has no date type: extra temporal columns are parsed as text, then cast.
        schema = pa.schema(
            pa.field(f.name, pa.string()) if pa.types.is_temporal(f.type) else f
            for f in self.schema
        )
        options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        # pyarrow's JSON reader batches by bytes; ~300 bytes a row is typical of the data.
        read = pa_json.ReadOptions(block_size=max(1 << 20, batch_size * 512))
        try:
            reader = pa_json.open_json(path, read_options=read, parse_options=options)
            for batch in reader:
                for offset in range(0, batch.num_rows, batch_size):
                    yield batch.slice(offset, batch_size)
        except (OSError, pa.ArrowException) as error:
            raise DatasetError(f"cannot read JSON lines {path}: {error}") from None

    def batches(
        self,
        batch_size: int = 16_384,
        *,
        limit: int | None = None,
        sample: int | None = None,
        seed: int = 0,
    ) -> Iterator[pa.RecordBatch]:
        """Stream the (selected) rows as record batches of at most ``batch_size`` rows.

        ``limit`` keeps the first rows; ``sample`` then draws that many of them uniformly
        without replacement (seeded, order kept). Raises :class:`DatasetError` on a row that
        does not have the contract types.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        if sample is not None and sample < 0:
            raise ValueError(f"sample must be >= 0, got {sample}")
        total = self.selected_rows(limit=limit)
        sampler = _BlockSampler(total, sample, seed) if sample is not None else None
        schema = self.schema
        seen = 0
        for raw in self._raw_batches(batch_size):
            if seen >= total:
                break
            batch = raw.slice(0, total - seen) if seen + raw.num_rows > total else raw
            offset, seen = seen, seen + batch.num_rows
            if sampler is not None:
                keep = sampler.take(offset, batch.num_rows)
                if not len(keep):
                    continue
                batch = batch.take(pa.array(keep))
            batch = _cast(batch, schema)
            _check_rows(batch)
            yield batch


def _check_rows(batch: pa.RecordBatch) -> None:
    """Refuse rows the scorer would misread: no id, or a gold span that is empty, inverted,
    negative or past the end of its comment (it would silently count as a miss)."""
    ids = batch.column("patient_id")
    if ids.null_count:
        row = pc.index(pc.is_null(ids), True).as_py()
        raise DatasetError(f"a row has no patient_id (row {row} of a batch)")
    spans = batch.column("spans")
    flat = pc.list_flatten(spans)
    if not len(flat):
        return
    parents = pc.list_parent_indices(spans)
    start = pc.fill_null(pc.struct_field(flat, "start"), -1)
    end = pc.fill_null(pc.struct_field(flat, "end"), -1)
    lengths = pc.fill_null(pc.utf8_length(batch.column("admin_comment")), 0)
    length = pc.take(lengths, parents)
    bad = pc.or_(pc.or_(pc.less(start, 0), pc.less_equal(end, start)), pc.greater(end, length))
    if not pc.any(bad).as_py():
        return
    i = pc.index(bad, True).as_py()
    lo, hi, n = start[i].as_py(), end[i].as_py(), length[i].as_py()
    record = ids[parents[i].as_py()].as_py()
    if lo < 0 or hi <= lo:
        why = "is empty, inverted, negative or null"
    else:
        why = f"ends past its comment of {n} characters"
    raise DatasetError(f"record {record!r}: gold span [{lo}, {hi}) {why}")


def _csv_batches(path: Path, batch_size: int, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """CSV rows as contract batches: the nested columns' JSON strings parsed back to lists.

    An unquoted empty field is null (a record without a comment); a quoted one, ``""``, is
    an empty string, as the generator writes them.
    """
    columns = schema.names
    types = {f.name: f.type for f in schema}
    convert = pa_csv.ConvertOptions(
        include_columns=columns,
        column_types={c: pa.string() if c in NESTED_COLUMNS else types[c] for c in columns},
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["true", "True", "1"],
        false_values=["false", "False", "0"],
    )
    read = pa_csv.ReadOptions(block_size=max(1 << 20, batch_size * 512))
    try:
        reader = pa_csv.open_csv(
            path, read_options=read, parse_options=CSV_PARSE, convert_options=convert
        )
        for raw in reader:
            arrays = [
                _json_column(raw.column(c), types[c], path, c)
                if c in NESTED_COLUMNS
                else raw.column(c)
                for c in columns
            ]
            batch = pa.RecordBatch.from_arrays(arrays, names=columns)
            for offset in range(0, batch.num_rows, batch_size):
                yield batch.slice(offset, batch_size)
    except (OSError, pa.ArrowException) as error:
        raise DatasetError(f"cannot read CSV {path}: {one_line(str(error))}") from None


def _json_column(strings: pa.Array, kind: pa.DataType, path: Path, name: str) -> pa.Array:
    """A CSV column of JSON strings as the list column it encodes.

    Arrow's JSON reader parses them, one ``{"v": ...}`` line per value: ``json.loads``
    value by value made this the slowest step of reading a CSV. Null and empty cells are
    null; a line break between JSON tokens is whitespace.
    """
    if not len(strings):
        return pa.array([], type=kind)
    text = pc.if_else(pc.equal(pc.fill_null(strings, ""), ""), "null", strings)
    text = pc.replace_substring_regex(text, r"[\r\n]", " ")
    wrapped = pc.binary_join_element_wise('{"v":', text, "}", "")
    data = "\n".join(wrapped.to_pylist()).encode("utf-8")
    options = pa_json.ParseOptions(
        explicit_schema=pa.schema([pa.field("v", kind)]), unexpected_field_behavior="error"
    )
    try:
        table = pa_json.read_json(pa.BufferReader(data), parse_options=options)
    except pa.ArrowException as error:
        raise DatasetError(
            f"{path}: column {name} holds a value that is not JSON of the contract type:"
            f" {one_line(str(error))}"
        ) from None
    if table.num_rows != len(strings):
        raise DatasetError(f"{path}: column {name} holds a value that is not one JSON value")
    return table.column("v").combine_chunks()


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch with the contract types (int64 offsets, large strings... are accepted)."""
    if batch.schema.equals(schema):
        return batch
    try:
        columns = [batch.column(f.name).cast(f.type) for f in schema]
    except (pa.ArrowException, KeyError) as error:
        raise DatasetError(f"dataset column types do not follow the contract: {error}") from None
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class _BlockSampler:
    """Exact uniform sample of ``want`` of ``total`` rows, decided block by aligned block."""

    def __init__(self, total: int, want: int, seed: int) -> None:
        self._rng = np.random.default_rng([seed, 0x5A4D])
        self._total = total
        self._need = min(want, total)
        self._left = total
        self._block = -1
        self._picks = np.zeros(0, dtype=np.int64)

    def _enter(self, block: int) -> None:
        """Draw how many rows of ``block`` are taken, then which ones."""
        start = block * SAMPLE_BLOCK
        size = max(0, min(SAMPLE_BLOCK, self._total - start))
        rest = self._left - size
        if rest == 0:
            k = self._need
        elif self._need and size:
            k = int(self._rng.hypergeometric(size, rest, self._need))
        else:
            k = 0
        picks = self._rng.choice(size, size=k, replace=False) if k else np.zeros(0)
        self._picks = np.sort(picks).astype(np.int64) + start
        self._need -= k
        self._left = rest
        self._block = block

    def take(self, offset: int, length: int) -> np.ndarray:
        """Indices, relative to the batch, of the sampled rows in ``[offset, offset+length)``."""
        out = [np.zeros(0, dtype=np.int64)]
        for block in range(offset // SAMPLE_BLOCK, (offset + length - 1) // SAMPLE_BLOCK + 1):
            if block > self._block:
                self._enter(block)
            picks = self._picks
            out.append(picks[(picks >= offset) & (picks < offset + length)] - offset)
        return np.concatenate(out)


def _count_lines(path: Path) -> tuple[int, dict[str, Any] | None]:
    """Non-blank lines of a JSON-lines file, and its first record."""
    rows, first = 0, None
    try:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    if first is None:
                        try:
                            first = json.loads(line)
                        except ValueError:
                            raise DatasetError(
                                f"{path} line {rows + 1} is not valid JSON"
                            ) from None
                    rows += 1
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror or error}") from None
    return rows, first if isinstance(first, dict) else None


def _sidecar_provenance(path: Path) -> dict[str, Any] | None:
    """The ``<file>.manifest.json`` a single JSON-lines or CSV file carries, if readable."""
    sidecar = path.with_name(path.name + ".manifest.json")
    if not sidecar.is_file():
        return None
    try:
        value = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _csv_header(path: Path) -> list[str]:
    """Column names of a CSV file: its first line."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"cannot read the header of CSV {path}: {error}") from None
    if not header:
        raise DatasetError(f"{path} is empty: not even a header line")
    return [name.strip() for name in header]


def _count_csv_rows(path: Path) -> int:
    """Rows of a CSV file (a full parse: quoted comments may hold newlines)."""
    convert = pa_csv.ConvertOptions(include_columns=["patient_id"])
    rows = 0
    try:
        for batch in pa_csv.open_csv(path, convert_options=convert, parse_options=CSV_PARSE):
            rows += batch.num_rows
    except (OSError, pa.ArrowException) as error:
        raise DatasetError(f"cannot read CSV {path}: {one_line(str(error))}") from None
    return rows


def _present(wanted: Mapping[str, pa.DataType], names: Iterable[str]) -> tuple[pa.Field, ...]:
    """The requested extra columns found among ``names``, as fields of the requested type."""
    names = set(names)
    return tuple(
        pa.field(n, t) for n, t in wanted.items() if n in names and n not in CONTRACT_SCHEMA.names
    )


def _open_text_files(
    path: Path,
    files: list[Path],
    fmt: str,
    layout: str,
    extra_columns: Mapping[str, pa.DataType],
) -> Dataset:
    """JSON-lines or CSV: one file, or the parts of a directory."""
    rows, has_tags = 0, True
    extra: tuple[pa.Field, ...] | None = None
    for file in files:
        if fmt == "jsonl":
            count, first = _count_lines(file)
            if count and first is None:
                raise DatasetError(f"{file}: the first line is not a JSON object")
            names = list(first or {})
            if count:
                has_tags = _check_columns(names, str(file)) and has_tags
        else:
            names = _csv_header(file)
            has_tags = _check_columns(names, str(file)) and has_tags
            count = _count_csv_rows(file)
        found = _present(extra_columns, names)
        extra = found if extra is None else tuple(f for f in extra if f in found)
        rows += count
    if fmt == "jsonl" and not rows:
        has_tags = False
    if layout.endswith("-dir"):
        provenance, source, fingerprint = _directory_fingerprint(path, files, rows)
    else:
        provenance = _sidecar_provenance(path)
        source, fingerprint = "file", "sha256:" + sha256_file(path)
    info = DatasetInfo(
        path=str(path),
        layout=layout,
        rows=rows,
        fingerprint=fingerprint,
        fingerprint_source=source,
        has_tags=has_tags,
        provenance=provenance,
        files=tuple(f.name for f in files),
    )
    return Dataset(info, files, extra or ())


def _directory_fingerprint(
    path: Path, files: list[Path], rows: int
) -> tuple[dict[str, Any] | None, str, str]:
    """(provenance, source, fingerprint) of a directory: from its manifest, else its files."""
    manifest = path / MANIFEST_NAME
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DatasetError(f"cannot read {manifest}: {one_line(str(error))}") from None
        if isinstance(data, dict):
            fingerprint = _digest(
                {"provenance": data.get("options"), "files": data.get("files"), "rows": rows}
            )
            return data, "manifest", fingerprint
    return None, "file", _digest([[f.name, sha256_file(f)] for f in files])


def _open_parquet_files(
    path: Path, files: list[Path], layout: str, extra_columns: Mapping[str, pa.DataType]
) -> Dataset:
    rows = 0
    extra: tuple[pa.Field, ...] = ()
    has_tags = False
    provenance: dict[str, Any] | None = None
    for file in files:
        reader = _open_parquet(file)
        schema = reader.schema_arrow
        has_tags = _check_columns(schema.names, str(file)) if file == files[0] else has_tags
        if file != files[0]:
            _check_columns(schema.names, str(file))
            has_tags = has_tags and TAGS_COLUMN in schema.names
        rows += reader.metadata.num_rows
        if file == files[0]:
            provenance = _parquet_provenance(schema)
            extra = _present(extra_columns, schema.names)
        else:
            extra = tuple(f for f in extra if f.name in schema.names)
    manifest = path / MANIFEST_NAME if layout == "parquet-dir" else None
    if manifest is not None and manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DatasetError(f"cannot read {manifest}: {error}") from None
        provenance = provenance or data
        source = "manifest"
        fingerprint = _digest(
            {"provenance": data.get("options"), "files": data.get("files"), "rows": rows}
        )
    elif provenance is not None:
        source = "metadata"
        fingerprint = _digest({"provenance": provenance, "rows": rows, "files": len(files)})
    else:
        source = "file"
        if len(files) == 1:
            fingerprint = "sha256:" + sha256_file(files[0])
        else:
            fingerprint = _digest([[f.name, sha256_file(f)] for f in files])
    info = DatasetInfo(
        path=str(path),
        layout=layout,
        rows=rows,
        fingerprint=fingerprint,
        fingerprint_source=source,
        has_tags=has_tags,
        provenance=provenance,
        files=tuple(f.name for f in files),
    )
    return Dataset(info, files, extra)


def open_dataset(
    path: str | Path, *, extra_columns: Mapping[str, pa.DataType] | None = None
) -> Dataset:
    """Open any layout ``breachbench generate`` writes (see the module docstring).

    Checks that the contract columns are present and computes the fingerprint; raises
    :class:`DatasetError` with a one-line message otherwise. ``extra_columns`` maps more
    row columns to read to their type; those the dataset lacks are left out
    (:attr:`Dataset.extra_fields` says which were found).
    """
    path = Path(path)
    extra_columns = extra_columns or {}
    if path.is_dir():
        if (unfinished := unfinished_shards(path)) is not None:
            raise DatasetError(unfinished)
        found = {fmt: sorted(path.glob(glob)) for fmt, glob in PART_GLOBS.items()}
        formats = [fmt for fmt, files in found.items() if files]
        if not formats:
            globs = ", ".join(PART_GLOBS.values())
            raise DatasetError(f"directory {path} holds no part file ({globs})")
        if len(formats) > 1:
            raise DatasetError(
                f"directory {path} mixes part files of several formats ({', '.join(formats)})"
            )
        fmt = formats[0]
        if fmt == "parquet":
            return _open_parquet_files(path, found[fmt], "parquet-dir", extra_columns)
        return _open_text_files(path, found[fmt], fmt, f"{fmt}-dir", extra_columns)
    if not path.exists():
        raise DatasetError(f"dataset {path} does not exist")
    if not path.is_file():
        raise DatasetError(f"dataset {path} is not a file or a directory")
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return _open_text_files(path, [path], "jsonl", "jsonl", extra_columns)
    if suffix in CSV_SUFFIXES:
        return _open_text_files(path, [path], "csv", "csv", extra_columns)
    if suffix in (".parquet", ".pq"):
        return _open_parquet_files(path, [path], "parquet", extra_columns)
    raise DatasetError(
        f"dataset {path}: unsupported format (expected .parquet, .jsonl, .csv or a directory"
        " of part files)"
    )
