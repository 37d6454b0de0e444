"""``breachbench reid``: uniqueness and k-anonymity, by hand and against a plain Counter."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.reid import class_sizes, load_quasi, reid_figures
from breachbench.benchmarks.reid.core import K_BINS, QI_SETS
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from click.testing import CliRunner

from breachbench.cli import main

SPAN = pa.struct(
    [
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("category", pa.string()),
        ("subject", pa.string()),
        ("assertion", pa.string()),
    ]
)


def _write(path: Path, rows: list[dict]) -> Path:
    table = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("sex", pa.string()),
                ("birth_date", pa.date32()),
                ("postcode", pa.string()),
                ("insee_code", pa.string()),
                ("admin_comment", pa.string()),
                ("spans", pa.list_(SPAN)),
            ]
        ),
    )
    pq.write_table(table, path)
    return path


def test_hand_computed(tmp_path: Path) -> None:
    d = dt.date
    person = [{"start": 4, "end": 10, "category": "person", "subject": "patient",
               "assertion": "affirmed"}]  # fmt: skip
    rows = [
        # Two women born the same day in the same postcode: a class of 2.
        {"sex": "F", "birth_date": d(1980, 1, 2), "postcode": "75011", "insee_code": "75111",
         "admin_comment": "voir Manson", "spans": person},
        {"sex": "F", "birth_date": d(1980, 1, 2), "postcode": "75011", "insee_code": "75111",
         "admin_comment": "RAS", "spans": []},
        # A man alone on his date, but with the same year and department as the next one.
        {"sex": "M", "birth_date": d(1980, 5, 6), "postcode": "75012", "insee_code": "75112",
         "admin_comment": "voir [NOM]", "spans": []},
        {"sex": "M", "birth_date": d(1980, 7, 8), "postcode": "75013", "insee_code": "75113",
         "admin_comment": None, "spans": []},
    ]  # fmt: skip
    quasi = load_quasi(_write(tmp_path / "q.parquet", rows))
    figures = reid_figures(quasi)
    by_name = {s["name"]: s for s in figures["quasi_identifier_sets"]}
    first = by_name["sex + birth date + postcode"]
    assert (first["classes"], first["unique_records"], first["unique_share"]) == (3, 2, 0.5)
    assert first["k_distribution"]["k = 1 (unique)"]["records"] == 2
    assert first["k_distribution"]["k = 2"]["records"] == 2
    year = by_name["sex + birth year + department"]
    assert (year["classes"], year["unique_records"]) == (2, 0)
    assert year["share_k_below_5"] == 1.0
    # "Manson" readable in record 0 splits the two women on (sex, year, department): both
    # become unique (the one with a name, and the one without).
    comments = figures["comments"]
    assert comments["records_with_readable_identifiers"] == 1
    with_ids = {s["name"]: s for s in comments["sets"]}["sex + birth year + department"]
    assert with_ids["unique_share_without"] == 0.0
    assert with_ids["unique_share_with"] == 0.5
    grid = figures["generalisation"]["grid"]
    assert grid[0][0]["unique_share"] == 0.5  # date × postcode
    assert grid[-1][-1]["unique_share"] == 0.0  # sex only


def test_against_a_plain_counter(tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    generate_dataset(out, GenerateOptions(rows=3000, seed=5), progress=False)
    quasi = load_quasi(out)
    rows = pq.read_table(out, columns=["sex", "birth_date", "postcode", "insee_code"]).to_pylist()
    keys = {
        "sex": lambda r: r["sex"],
        "date": lambda r: r["birth_date"],
        "month": lambda r: (r["birth_date"].year, r["birth_date"].month),
        "year": lambda r: r["birth_date"].year,
        "5 years": lambda r: r["birth_date"].year // 5,
        "postcode": lambda r: r["postcode"],
        "department": lambda r: r["insee_code"][: 3 if r["insee_code"].startswith("97") else 2],
    }
    for name, cols in QI_SETS:
        if "region" in cols:
            continue
        counter = Counter(tuple(keys[c](r) for c in cols) for r in rows)
        assert sorted(counter.values()) == sorted(class_sizes(quasi, cols).tolist()), name
        unique = sum(1 for v in counter.values() if v == 1)
        figure = {s["name"]: s for s in reid_figures(quasi)["quasi_identifier_sets"]}[name]
        assert figure["unique_records"] == unique
        shares = [figure["k_distribution"][label]["share"] for label, _, _ in K_BINS]
        assert sum(shares) == pytest.approx(1.0)


def test_reid_command(tmp_path: Path) -> None:
    data = tmp_path / "p.parquet"
    generate_dataset(data, GenerateOptions(rows=800, seed=2), progress=False)
    out = tmp_path / "reid"
    result = CliRunner().invoke(main, ["reid", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "unique on sex + birth date + postcode" in result.output
    html = (out / "reid.html").read_text()
    assert html.count("<svg") >= 4 and "http" not in html.replace("http-equiv", "")
    figures = json.loads((out / "reid.json").read_text())
    assert figures["records"] == 800
    assert np.isclose(
        figures["quasi_identifier_sets"][0]["unique_share"],
        figures["generalisation"]["grid"][0][0]["unique_share"],
    )
    bad = CliRunner().invoke(main, ["reid", str(tmp_path), "-o", str(out)])
    assert bad.exit_code == 2 and "part-*.parquet" in bad.stderr
