"""``breachbench describe`` on every contract layout."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from breachbench.benchmarks.describe import describe_dataset, diversity
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from click.testing import CliRunner

from breachbench.cli import main


def test_diversity_counts_distinct_ngrams() -> None:
    assert diversity(["a b a b"] * 2, (1, 2)) == {"1-grams": 1000.0, "2-grams": 1000.0}


def test_describe_parquet_jsonl_and_parts(tmp_path: Path) -> None:
    out = tmp_path / "d.parquet"
    generate_dataset(out, GenerateOptions(rows=3000, seed=2), progress=False)
    info = describe_dataset(out)
    table = pq.read_table(out)
    assert info["rows"] == 3000
    assert info["comments"] == sum(bool(t) for t in table.column("admin_comment").to_pylist())
    spans = sum(len(s) for s in table.column("spans").to_pylist())
    assert sum(info["categories"].values()) == spans == sum(info["subjects"].values())
    assert info["difficulty_tags"]
    # A hand-written JSON-lines file with only the contract columns.
    lines = tmp_path / "hand.jsonl"
    rows = [
        {
            "patient_id": "1",
            "admin_comment": "VIH+ ; fille Julie",
            "sensitive": True,
            "categories": ["person", "serology"],
            "spans": [
                {
                    "start": 0,
                    "end": 4,
                    "category": "serology",
                    "subject": "patient",
                    "assertion": "affirmed",
                },
                {
                    "start": 13,
                    "end": 18,
                    "category": "person",
                    "subject": "relative",
                    "assertion": "affirmed",
                },
            ],
        },
        {
            "patient_id": "2",
            "admin_comment": None,
            "sensitive": False,
            "categories": [],
            "spans": [],
        },
    ]
    lines.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    info = describe_dataset(lines)
    assert info["rows"] == 2 and info["comments"] == 1
    assert info["top_forms"]["serology"] == [["vih+", 1]]
    parts = tmp_path / "parts"
    generate_dataset(parts, GenerateOptions(rows=2000, seed=2), progress=False, part_rows=1000)
    assert describe_dataset(parts)["rows"] == 2000


def test_cli_text_and_json(tmp_path: Path) -> None:
    out = tmp_path / "d.parquet"
    generate_dataset(out, GenerateOptions(rows=1000, seed=1), progress=False)
    runner = CliRunner()
    text = runner.invoke(main, ["describe", str(out)], standalone_mode=False)
    assert text.exit_code == 0, text.output
    assert "Diversity" in text.output
    result = runner.invoke(main, ["describe", str(out), "--json"], standalone_mode=False)
    assert json.loads(result.output)["rows"] == 1000
    missing = CliRunner().invoke(main, ["describe", str(tmp_path / "nope.parquet")])
    assert missing.exit_code == 2
