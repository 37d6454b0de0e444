"""Residence units (commune or municipal arrondissement) x postcode, and departments.

Why arrondissements: a Parisian's address, NIR-adjacent records and postcodes are
written per arrondissement (75014, "Paris 14e Arrondissement"), so Paris, Lyon and
Marseille are replaced by their 45 ``arrondissement-municipal`` rows.

Population split: a commune with several postcodes gets its population divided equally
between them (largest-remainder rounding, first postcodes first), because the source has
no population per postcode. Communes without a postcode (the uninhabited TAAF districts)
are dropped; communes without a population keep 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

#: The three communes replaced by their municipal arrondissements.
PLM_PARENTS = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}

COMMUNES_SCHEMA = pa.schema(
    [
        ("insee_code", pa.string()),
        ("name", pa.string()),
        ("city", pa.string()),
        ("postcode", pa.string()),
        ("department", pa.string()),
        ("region", pa.string()),
        ("population", pa.int64()),
        ("zone", pa.string()),
    ]
)


def split_population(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` near-equal integers that sum to ``total``."""
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def build_communes(data_dir: Path) -> pa.Table:
    """One row per residence unit x postcode, sorted by (insee_code, postcode)."""
    raw = json.loads((data_dir / "communes.json").read_text(encoding="utf-8"))
    rows: list[dict] = []
    for c in raw:
        kind = c["type"]
        if kind == "commune-actuelle" and c["code"] in PLM_PARENTS:
            continue
        if kind == "arrondissement-municipal":
            city = PLM_PARENTS[c["commune"]]
        elif kind == "commune-actuelle":
            city = c["nom"]
        else:
            continue
        postcodes = sorted(set(c.get("codesPostaux", [])))
        if not postcodes:
            continue
        shares = split_population(int(c.get("population", 0)), len(postcodes))
        for postcode, pop in zip(postcodes, shares, strict=True):
            rows.append(
                {
                    "insee_code": c["code"],
                    "name": c["nom"],
                    "city": city,
                    "postcode": postcode,
                    "department": c["departement"],
                    "region": c["region"],
                    "population": pop,
                    "zone": c["zone"],
                }
            )
    rows.sort(key=lambda r: (r["insee_code"], r["postcode"]))
    return pa.Table.from_pylist(rows, schema=COMMUNES_SCHEMA)


def build_departments(data_dir: Path) -> list[dict[str, str]]:
    """Rows ``code, name, region, region_name``, sorted by code."""
    deps = json.loads((data_dir / "departements.json").read_text(encoding="utf-8"))
    regs = json.loads((data_dir / "regions.json").read_text(encoding="utf-8"))
    region_name = {r["code"]: r["nom"] for r in regs}
    rows = [
        {
            "code": d["code"],
            "name": d["nom"],
            "region": d["region"],
            "region_name": region_name[d["region"]],
        }
        for d in deps
    ]
    return sorted(rows, key=lambda r: r["code"])
