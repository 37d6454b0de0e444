"""The hand-written sets (notes: the test proxy; dev, dev2 and dev3: the development sets)
follow the contract, hold only fictional identifiers, and the harness runs on them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from breachbench.generator.contract.taxonomy import load_taxonomy
from click.testing import CliRunner

from breachbench.cli import main

HERE = Path(__file__).resolve().parents[1] / "benchmarks" / "perf" / "handwritten"
# set -> patient_id prefix (build_notes.py)
SETS = {"notes": "HW", "dev": "HD", "dev2": "HE", "dev3": "HF"}
# The shortest note of each set, in words: dev2 imitates a desk where "Ordo renouvelée." is a
# whole note.
MIN_WORDS = {"notes": 3, "dev": 3, "dev2": 2, "dev3": 3}
PHONES = Path(__file__).resolve().parents[1] / "corpora" / "formats" / "phones.yaml"
# RFC 2606: the second-level names and top-level domains reserved for examples.
RESERVED_DOMAINS = ("example.org", "example.com", "example.net")
RESERVED_TLDS = (".example", ".test", ".invalid", ".localhost")


@pytest.fixture(scope="module", params=list(SETS))
def hand_set(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def records(hand_set: str) -> list[dict]:
    path = HERE / f"{hand_set}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("hand_set", list(SETS))
def test_the_file_is_what_the_source_builds(hand_set: str) -> None:
    command = [sys.executable, str(HERE / "build_notes.py"), "--check", hand_set]
    done = subprocess.run(command, check=False)
    assert done.returncode == 0, f"{hand_set}.jsonl is stale: run build_notes.py"


def test_the_ids_name_their_set(hand_set: str, records: list[dict]) -> None:
    assert all(r["patient_id"].startswith(SETS[hand_set]) for r in records)


def test_every_record_follows_the_contract(hand_set: str, records: list[dict]) -> None:
    taxonomy = load_taxonomy()
    assert len(records) == 150
    assert len({r["patient_id"] for r in records}) == 150
    for record in records:
        text, spans = record["admin_comment"], record["spans"]
        assert text and text == text.strip(), record["patient_id"]
        assert MIN_WORDS[hand_set] <= len(text.split()) <= 80, record["patient_id"]
        assert record["sex"] in ("M", "F")
        previous_end = 0
        for span in spans:
            assert previous_end <= span["start"] < span["end"] <= len(text), span
            previous_end = span["end"]
            piece = text[span["start"] : span["end"]]
            assert piece == piece.strip() and piece, (record["patient_id"], piece)
            assert span["category"] in taxonomy.categories
            assert span["subject"] in taxonomy.subjects
            assert span["assertion"] in taxonomy.assertions
            if taxonomy.group_of[span["category"]] == "identifier":
                assert span["assertion"] == "affirmed", (record["patient_id"], piece)
        categories = sorted({s["category"] for s in spans})
        assert record["categories"] == categories
        assert record["sensitive"] == any(taxonomy.group_of[c] == "sensitive" for c in categories)


def test_every_occurrence_of_a_labelled_text_is_labelled(records: list[dict]) -> None:
    """A name labelled once is labelled wherever the note repeats it."""
    for record in records:
        text, spans = record["admin_comment"], record["spans"]
        for span in spans:
            piece = text[span["start"] : span["end"]]
            for m in re.finditer(r"(?<!\w)" + re.escape(piece) + r"(?!\w)", text):
                covered = any(o["start"] <= m.start() and m.end() <= o["end"] for o in spans)
                assert covered, (record["patient_id"], piece, m.start())


def _pieces(records: list[dict], category: str) -> list[tuple[dict, str, str]]:
    """(record, span text, subject) of every span of ``category``."""
    return [
        (r, r["admin_comment"][s["start"] : s["end"]], s["subject"])
        for r in records
        for s in r["spans"]
        if s["category"] == category
    ]


def test_phones_and_emails_are_fictional(records: list[dict]) -> None:
    """No note may ring or mail a real person: phones sit in the ARCEP fiction blocks the
    generator uses, emails on domains RFC 2606 reserves."""
    blocks = yaml.safe_load(PHONES.read_text(encoding="utf-8"))["fiction_blocks"]
    prefixes = (blocks["mobile"], *blocks["zones"].values())
    for record, piece, _ in _pieces(records, "phone"):
        digits = re.sub(r"\D", "", piece)
        national = "0" + digits[2:] if piece.startswith("+33") else digits
        assert len(national) == 10 and national.startswith(prefixes), record["patient_id"]
    for record, piece, _ in _pieces(records, "email"):
        domain = piece.rpartition("@")[2].lower()
        fictional = domain.endswith(RESERVED_TLDS) or any(
            domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS
        )
        assert fictional, record["patient_id"]


def test_nir_keys_hold_and_the_patient_s_agrees_with_the_row(records: list[dict]) -> None:
    """A NIR's key is 97 minus its first 13 digits mod 97 (Corsica's 2A/2B read as 19/18);
    the patient's own NIR starts with the row's sex digit and birth year and month."""
    for record, piece, subject in _pieces(records, "nir"):
        body = re.sub(r"[\s.]", "", piece).upper()
        assert re.fullmatch(r"[12]\d{4}(\d{2}|2A|2B)\d{8}", body), record["patient_id"]
        first13 = int(body[:13].replace("2A", "19").replace("2B", "18"))
        assert int(body[13:]) == 97 - first13 % 97, record["patient_id"]
        if subject == "patient":
            year, month = record["birth_date"][2:4], record["birth_date"][5:7]
            expected = ("1" if record["sex"] == "M" else "2") + year + month
            assert body[:5] == expected, record["patient_id"]


def test_the_set_covers_what_it_claims(records: list[dict]) -> None:
    taxonomy = load_taxonomy()
    notes_per_category = {c: 0 for c in taxonomy.categories}
    for record in records:
        for category in record["categories"]:
            notes_per_category[category] += 1
    assert min(notes_per_category[c] for c in taxonomy.sensitive) >= 6, notes_per_category
    assert min(notes_per_category[c] for c in taxonomy.identifiers) >= 4, notes_per_category
    assert sum(not r["spans"] for r in records) >= 10  # routine notes with no label
    dates = [
        r["admin_comment"][s["start"] : s["end"]]
        for r in records
        for s in r["spans"]
        if s["category"] == "date"
    ]
    assert any(len(d) == 5 and d[2] == "/" for d in dates)  # "12/02"
    assert any(len(d) == 7 and d[2] == "/" for d in dates)  # "09/2024"
    assert any(d.isdigit() and len(d) == 4 for d in dates)  # "2014"


def test_bench_runs_on_the_notes(hand_set: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "bench",
            str(HERE / f"{hand_set}.jsonl"),
            "--detector",
            "keywords+identifiers",
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    assert results["dataset"]["rows"] == 150


def test_group_f1_sums_the_counts_of_each_group() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("group_f1", HERE / "group_f1.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    zero = {"cor": 0, "inc": 0, "par": 0, "mis": 0, "spu": 0}
    strict = {
        "serology": {**zero, "cor": 3, "mis": 1},  # P 1, R 3/4
        "violence": {**zero, "cor": 1, "spu": 2},  # P 1/3, R 1
        "date": {**zero, "cor": 2, "par": 2},
    }
    partial = {"date": {**zero, "cor": 2, "par": 2}, "serology": zero}
    results = {"metrics": {"span_level": {"strict": {"per_category": strict},
                                          "partial": {"per_category": partial}}}}  # fmt: skip
    figures = module.group_f1(results)
    # sensitive: 4 correct of 6 predicted and 5 gold -> F1 = 8/11
    assert figures["sensitive"]["strict"] == round(8 / 11, 3)
    assert figures["sensitive"]["overlap"] == 0.0
    # identifier, strict: 2 of 4 both ways; overlap: (2 + 1) of 4 both ways
    assert figures["identifier"] == {"strict": 0.5, "overlap": 0.75}
