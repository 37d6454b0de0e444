"""Re-identification figures: uniqueness and k-anonymity on quasi-identifier sets.

Removing names does not anonymise a table: Sweeney (2000) estimated that 87% of the US
population is unique on (5-digit ZIP code, sex, full birth date). That figure is quoted as
context only; every figure here is computed from the dataset at hand.

For a set of columns, records are grouped by equal values; a record in a group of size k
is *k-anonymous* (k = 1: unique, re-identifiable by anyone who knows those attributes).
Generalisation coarsens the columns (birth date -> month -> year -> 5-year band; postcode
-> department -> region) and the figures show what each step buys. Finally, the direct
identifiers still readable in the comments (names, phones, e-mails, addresses, NIR of a
labelled or redacted dataset with residual labels) are added as one more attribute: a
redaction that leaves them leaves records unique whatever the structured columns say.

The dataset is read column by column in batches into compact integer codes (a few bytes
per record), and every grouping is one ``pyarrow`` ``group_by`` over integer columns.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
import pyarrow.parquet as pq

__all__ = [
    "DATE_LEVELS",
    "K_BINS",
    "PLACE_LEVELS",
    "QI_SETS",
    "Quasi",
    "ReidError",
    "class_sizes",
    "load_quasi",
    "reid_figures",
]

DATE_LEVELS: tuple[str, ...] = ("date", "month", "year", "5 years", "none")
PLACE_LEVELS: tuple[str, ...] = ("postcode", "department", "region", "none")
QI_SETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sex + birth date + postcode", ("sex", "date", "postcode")),
    ("sex + birth date + department", ("sex", "date", "department")),
    ("birth date + postcode", ("date", "postcode")),
    ("sex + birth month + postcode", ("sex", "month", "postcode")),
    ("sex + birth year + postcode", ("sex", "year", "postcode")),
    ("sex + birth year + department", ("sex", "year", "department")),
    ("sex + 5-year band + region", ("sex", "5 years", "region")),
)
"""Named quasi-identifier sets, most to least precise."""
K_BINS: tuple[tuple[str, int, int], ...] = (
    ("k = 1 (unique)", 1, 1),
    ("k = 2", 2, 2),
    ("k = 3-4", 3, 4),
    ("k = 5-9", 5, 9),
    ("k = 10-99", 10, 99),
    ("k ≥ 100", 100, 2**62),
)
LINKING = ("person", "phone", "email", "address", "nir")
"""Identifier categories that, readable in a comment, point at one person (not dates)."""
COLUMNS = ("sex", "birth_date", "postcode", "insee_code")


class ReidError(ValueError):
    """The dataset cannot be analysed (missing columns, unreadable); one line."""


@cache
def _regions() -> dict[str, int]:
    table = pa.csv.read_csv(
        resources.files("breachbench.corpora") / "reference" / "departments.csv",
        convert_options=pa.csv.ConvertOptions(column_types={"code": pa.string()}),
    )
    return dict(
        zip(table["code"].to_pylist(), (int(r) for r in table["region"].to_pylist()), strict=True)
    )


@dataclass
class Quasi:
    """Compact quasi-identifier codes of every record (int32/int64 numpy arrays)."""

    sex: np.ndarray
    date: np.ndarray  # days since 1970
    postcode: np.ndarray
    department: np.ndarray
    region: np.ndarray
    comment_key: np.ndarray | None  # uint64 hash of readable identifiers; 0 when none
    comment_ids: np.ndarray | None  # bool: at least one identifier readable in the comment

    def __len__(self) -> int:
        return len(self.sex)

    def column(self, name: str) -> np.ndarray:
        """A quasi-identifier at a generalisation level, as integer codes."""
        if name in ("sex", "date", "postcode", "department", "region"):
            return getattr(self, name)
        days = self.date.astype("datetime64[D]")
        if name == "month":
            return days.astype("datetime64[M]").astype(np.int64)
        year = days.astype("datetime64[Y]").astype(np.int64) + 1970
        if name == "year":
            return year
        if name == "5 years":
            return year // 5
        if name == "comment":
            assert self.comment_key is not None
            return self.comment_key.view(np.int64)
        raise KeyError(name)


def _department(insee: pa.Array) -> pa.Array:
    """INSEE department of a commune code: 2 characters, 3 overseas (97x)."""
    two = pc.utf8_slice_codeunits(insee, 0, 2)
    three = pc.utf8_slice_codeunits(insee, 0, 3)
    return pc.if_else(pc.equal(two, "97"), three, two)


def _dept_code(dept: str) -> int:
    return {"2A": 201, "2B": 202}.get(dept, int(dept) if dept.isdigit() else -1)


def _readable(surface: str) -> str:
    """The characters an attacker can still read: letters and digits outside tags/masks."""
    return "".join(ch for ch in re.sub(r"\[[^\]]*\]", "", surface).lower() if ch.isalnum())


def _readable_key(batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray]:
    """Per record: a hash of the identifiers still readable in its comment, and a flag."""
    texts = batch.column("admin_comment").to_pylist()
    spans = batch.column("spans").to_pylist()
    keys = np.zeros(batch.num_rows, dtype=np.uint64)
    for i, (text, record) in enumerate(zip(texts, spans, strict=True)):
        if not text or not record:
            continue
        # What is left readable of each identifier: tags and mask characters removed.
        found = sorted(
            surface
            for s in record
            if s["category"] in LINKING and (surface := _readable(text[s["start"] : s["end"]]))
        )
        if found:
            digest = hashlib.blake2b("|".join(found).encode(), digest_size=8).digest()
            keys[i] = int.from_bytes(digest, "big") or 1
    return keys, keys != 0


def _batches(path: Path, columns: list[str], batch_size: int) -> Iterator[pa.RecordBatch]:
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    if not files or (not path.is_dir() and path.suffix != ".parquet"):
        raise ReidError(f"{path}: not a Parquet file or a directory of part-*.parquet")
    for file in files:
        try:
            reader = pq.ParquetFile(file)
        except (OSError, pa.ArrowInvalid) as error:
            raise ReidError(f"cannot read {file}: {' '.join(str(error).split())}") from None
        missing = [c for c in COLUMNS if c not in reader.schema_arrow.names]
        if missing:
            raise ReidError(f"{file} lacks the column(s) {', '.join(missing)}")
        yield from reader.iter_batches(batch_size=batch_size, columns=columns)


def load_quasi(path: Path, *, batch_size: int = 131_072, limit: int | None = None) -> Quasi:
    """Read the quasi-identifiers (and readable comment identifiers, when labelled)."""
    first = next(_batches(path, list(COLUMNS), 1), None)
    if first is None:
        raise ReidError(f"{path} holds no rows")
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    names = pq.ParquetFile(files[0]).schema_arrow.names
    labelled = "spans" in names and "admin_comment" in names
    columns = list(COLUMNS) + (["admin_comment", "spans"] if labelled else [])
    regions = _regions()
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("sex", "date", "postcode", "department", "region", "key", "ids")
    }
    seen = 0
    for batch in _batches(path, columns, batch_size):
        if limit is not None:
            if seen >= limit:
                break
            batch = batch.slice(0, limit - seen)
        seen += batch.num_rows
        sex = batch.column("sex")
        parts["sex"].append(np.asarray(pc.equal(sex, "F").fill_null(False)).astype(np.int8))
        days = pc.cast(batch.column("birth_date"), pa.int32())
        parts["date"].append(np.asarray(days.fill_null(-(2**31))).astype(np.int32))
        post = pc.cast(pc.fill_null(batch.column("postcode"), "0"), pa.int32(), safe=False)
        parts["postcode"].append(np.asarray(post))
        dept = _department(batch.column("insee_code"))
        encoded = dept.dictionary_encode()
        values = encoded.dictionary.to_pylist()
        codes = np.asarray(encoded.indices)
        parts["department"].append(np.array([_dept_code(v) for v in values], np.int32)[codes])
        parts["region"].append(np.array([regions.get(v, -1) for v in values], np.int32)[codes])
        if labelled:
            key, ids = _readable_key(batch)
            parts["key"].append(key)
            parts["ids"].append(ids)

    def cat(name: str, dtype: Any) -> np.ndarray:
        return np.concatenate(parts[name]) if parts[name] else np.zeros(0, dtype)

    return Quasi(
        sex=cat("sex", np.int8),
        date=cat("date", np.int32),
        postcode=cat("postcode", np.int32),
        department=cat("department", np.int32),
        region=cat("region", np.int32),
        comment_key=cat("key", np.uint64) if labelled else None,
        comment_ids=cat("ids", bool) if labelled else None,
    )


def class_sizes(quasi: Quasi, columns: tuple[str, ...]) -> np.ndarray:
    """Size of every equivalence class on ``columns`` (one ``pyarrow`` group_by)."""
    if not columns:
        return np.array([len(quasi)], dtype=np.int64) if len(quasi) else np.zeros(0, np.int64)
    table = pa.table({f"c{i}": quasi.column(c) for i, c in enumerate(columns)})
    grouped = table.group_by([f"c{i}" for i in range(len(columns))]).aggregate([("c0", "count")])
    return np.asarray(grouped["c0_count"], dtype=np.int64)


def _distribution(sizes: np.ndarray, n: int) -> dict[str, Any]:
    """Uniqueness and the k-anonymity distribution of records, from class sizes."""
    records_per_k = np.bincount(sizes, weights=sizes).astype(np.int64) if len(sizes) else []
    bins = {}
    for label, lo, hi in K_BINS:
        count = int(np.sum(records_per_k[lo : hi + 1])) if len(sizes) else 0
        bins[label] = {"records": count, "share": count / n if n else None}
    unique = int(np.sum(sizes == 1))
    return {
        "classes": len(sizes),
        "unique_records": unique,
        "unique_share": unique / n if n else None,
        "k_min": int(sizes.min()) if len(sizes) else None,
        "k_median_record": (
            float(np.median(np.repeat(sizes, sizes))) if 0 < n <= 5_000_000 else None
        ),
        "share_k_below_5": (int(np.sum(sizes[sizes < 5])) / n) if n else None,
        "k_distribution": bins,
    }


def reid_figures(quasi: Quasi) -> dict[str, Any]:
    """Every figure of the reid report, as a JSON-friendly dict."""
    n = len(quasi)
    sets = [
        {"name": name, "columns": list(cols), **_distribution(class_sizes(quasi, cols), n)}
        for name, cols in QI_SETS
    ]
    grid = []
    for date in DATE_LEVELS:
        row = []
        for place in PLACE_LEVELS:
            cols = ("sex", *tuple(c for c in (date, place) if c != "none"))
            sizes = class_sizes(quasi, cols)
            row.append(
                {
                    "date": date,
                    "place": place,
                    "unique_share": float(np.sum(sizes == 1)) / n if n else None,
                    "share_k_below_5": float(np.sum(sizes[sizes < 5])) / n if n else None,
                }
            )
        grid.append(row)
    comments = None
    if quasi.comment_key is not None and quasi.comment_ids is not None:
        comments = {
            "records_with_readable_identifiers": int(quasi.comment_ids.sum()),
            "share_with_readable_identifiers": float(quasi.comment_ids.mean()) if n else None,
            "identifier_categories": list(LINKING),
            "sets": [],
        }
        for name, cols in QI_SETS:
            if name not in ("sex + birth year + department", "sex + 5-year band + region"):
                continue
            before = _distribution(class_sizes(quasi, cols), n)
            after = _distribution(class_sizes(quasi, (*cols, "comment")), n)
            comments["sets"].append(
                {
                    "name": name,
                    "unique_share_without": before["unique_share"],
                    "unique_share_with": after["unique_share"],
                    "unique_with": after["unique_records"],
                    "share_k_below_5_with": after["share_k_below_5"],
                }
            )
        only = _distribution(class_sizes(quasi, ("comment",)), n)
        # Records whose comment alone (readable identifiers only) sets them apart.
        alone = class_sizes_masked(quasi)
        comments["unique_on_comment_identifiers_alone"] = alone
        comments["classes_on_comment_identifiers"] = only["classes"]
    return {
        "schema": "breachbench.reid/1",
        "records": n,
        "context": (
            "Sweeney (2000) estimated that 87% of the US population is unique on 5-digit ZIP"
            " code, sex and date of birth; quoted as context, not computed here."
        ),
        "quasi_identifier_sets": sets,
        "generalisation": {
            "date_levels": list(DATE_LEVELS),
            "place_levels": list(PLACE_LEVELS),
            "grid": grid,
        },
        "comments": comments,
    }


def class_sizes_masked(quasi: Quasi) -> int:
    """Records unique on their readable comment identifiers alone (those with none excluded)."""
    if quasi.comment_key is None:
        return 0
    keys = quasi.comment_key[quasi.comment_ids]
    if len(keys) == 0:
        return 0
    table = pa.table({"k": keys})
    sizes = np.asarray(table.group_by("k").aggregate([("k", "count")])["k_count"])
    return int(np.sum(sizes == 1))
