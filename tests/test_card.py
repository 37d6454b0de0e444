"""The dataset card: written with every dataset, atomically, with the real counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from string import Template

import breachbench.generator.output.documents
import pyarrow.parquet as pq
import pytest
import yaml
from breachbench.generator.api import generate_dataset
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.data import corpora
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.card import (
    CARD_TEMPLATE,
    card_fields,
    card_text,
    front_matter,
    size_category,
)
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.manifest import taxonomy_version
from support.scan import scan_dataset

ROWS = 3_000
SEED = 5


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("card") / "ds"
    generate_dataset(f"{out}/", GenerateOptions(rows=ROWS, seed=SEED), progress=False)
    return out


def test_directory_output_has_card_beside_parts(directory: Path) -> None:
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["README.md", "croissant.json", "manifest.json", "part-00000.parquet"]


def test_front_matter(directory: Path) -> None:
    meta = _front_matter((directory / "README.md").read_text(encoding="utf-8"))
    assert meta["language"] == ["fr"] and meta["license"] == "mit"
    assert meta["size_categories"] == ["1K<n<10K"]
    assert set(meta["task_categories"]) == {"token-classification", "text-classification"}
    assert "named-entity-recognition" in meta["task_ids"]
    assert meta["configs"][0]["data_files"] == [{"split": "test", "path": "part-*.parquet"}]
    assert meta["pretty_name"]


def test_counts_are_those_of_the_data(directory: Path) -> None:
    table = pq.read_table(directory / "part-00000.parquet")
    rows = table.to_pylist()
    spans = Counter(s["category"] for r in rows for s in r["spans"])
    stats = scan_dataset(directory / "part-00000.parquet")
    assert stats.rows == ROWS
    assert stats.sensitive_rows == sum(r["sensitive"] for r in rows)
    assert stats.comment_rows == sum(bool(r["admin_comment"]) for r in rows)
    assert stats.spans_by_category == dict(sorted(spans.items()))
    assert stats.rows_by_value["categories"] == dict(
        sorted(Counter(c for r in rows for c in r["categories"]).items())
    )
    text = (directory / "README.md").read_text(encoding="utf-8")
    assert f"| rows | {ROWS} |" in text
    assert f"| rows with a sensitive span | {stats.sensitive_rows} (" in text
    for category, count in spans.items():
        assert f"| `{category}` |" in text and f"| {count} |" in text


def test_datasheet_sections_and_synthetic_statement(directory: Path) -> None:
    text = (directory / "README.md").read_text(encoding="utf-8")
    for section in (
        "## Motivation",
        "## Composition",
        "## Collection process",
        "## Preprocessing and labelling",
        "## Uses",
        "## Distribution",
        "## Maintenance",
    ):
        assert section in text
    assert "Every value in this dataset is synthetic" in text
    assert "RFC 2606" in text and "fiction" in text and "RPPS" in text
    assert f"taxonomy version {taxonomy_version()}" in text
    assert f"seed: {SEED}" in text
    assert "--rows 3000 --seed 5" in text  # the command that rebuilds it
    assert "code points" in text and "half-open" in text
    for column in RECORD_SCHEMA.names:  # columns come from the schema, new ones included
        assert f"| `{column}` |" in text


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_single_file_sidecars_and_same_counts(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"patients.{fmt}"
    generate_dataset(out, GenerateOptions(rows=500, seed=SEED, format=fmt), progress=False)
    card = tmp_path / f"patients.{fmt}.card.md"
    assert card.is_file() and (tmp_path / f"patients.{fmt}.croissant.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    meta = _front_matter(card.read_text(encoding="utf-8"))
    assert meta["configs"][0]["data_files"][0]["path"] == f"patients.{fmt}"
    assert meta["size_categories"] == ["n<1K"]
    stats = scan_dataset(out)
    reference = GenerateOptions(rows=500, seed=SEED)
    parquet = tmp_path / "reference.parquet"
    generate_dataset(parquet, reference, progress=False)
    assert stats == scan_dataset(parquet)


def test_failed_metadata_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(breachbench.generator.output.documents, "write_croissant", boom)
    with pytest.raises(RuntimeError):
        generate_dataset(tmp_path / "x.jsonl", GenerateOptions(rows=10, format="jsonl"))
    with pytest.raises(RuntimeError):
        generate_dataset(f"{tmp_path}/d/", GenerateOptions(rows=10))
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_sidecars(tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    generate_dataset(out, GenerateOptions(rows=100, seed=1), progress=False)
    generate_dataset(out, GenerateOptions(rows=200, seed=2), overwrite=True, progress=False)
    assert "| rows | 200 |" in (tmp_path / "p.parquet.card.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p.parquet",
        "p.parquet.card.md",
        "p.parquet.croissant.json",
    ]


def test_empty_dataset(tmp_path: Path) -> None:
    generate_dataset(f"{tmp_path}/empty/", GenerateOptions(rows=0), progress=False)
    text = (tmp_path / "empty" / "README.md").read_text(encoding="utf-8")
    assert "| rows | 0 |" in text and "n<1K" in text


@pytest.mark.parametrize(
    ("rows", "label"),
    [(0, "n<1K"), (999, "n<1K"), (1_000, "1K<n<10K"), (10**6, "1M<n<10M"), (10**11, "n>10B")],
)
def test_size_category(rows: int, label: str) -> None:
    assert size_category(rows) == label


def test_front_matter_of_parts_uses_a_glob() -> None:
    meta = front_matter(10, ["part-00000.jsonl", "part-00001.jsonl"], "jsonl")
    assert meta["configs"][0]["data_files"][0]["path"] == "part-*.jsonl"


def test_card_parses_as_a_hugging_face_card(directory: Path) -> None:
    huggingface_hub = pytest.importorskip("huggingface_hub")
    card = huggingface_hub.DatasetCard.load(directory / "README.md")
    assert card.data.license == "mit"
    assert card.data.size_categories == ["1K<n<10K"]


def test_card_text_is_deterministic(directory: Path) -> None:
    stats = scan_dataset(directory / "part-00000.parquet")
    options = GenerateOptions(rows=ROWS, seed=SEED)
    files = [("part-00000.parquet", "0" * 64)]
    assert card_text(options, stats, RECORD_SCHEMA, files) == card_text(
        options, stats, RECORD_SCHEMA, files
    )


def test_template_placeholders_are_the_fields_the_code_fills() -> None:
    """The card's text is data (corpora/cards/): a placeholder the code does not fill
    would fail every card, and a field the template no longer names would drop a figure
    from it without an error."""
    template = corpora.read_text(CARD_TEMPLATE)
    named = {m["named"] or m["braced"] for m in Template.pattern.finditer(template)} - {None}
    fields = card_fields(GenerateOptions(rows=0), DatasetStats(), RECORD_SCHEMA, [("x", "0")])
    assert named == set(fields)
