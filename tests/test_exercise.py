"""``breachbench exercise``: a French kit for 3 groups, graded submissions of three
qualities and one malformed one."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from breachbench.cli import main

ROWS = 400


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kit") / "class"
    result = CliRunner().invoke(
        main,
        ["exercise", "create", str(root), "--lang", "fr", "--groups", "3", "--rows", str(ROWS)],
    )
    assert result.exit_code == 0, result.output
    return root


def test_kit_layout(kit: Path) -> None:
    seeds = json.loads((kit / "teacher" / "seeds.json").read_text())
    assert [g["seed"] for g in seeds["groups"]] == [2026, 2027, 2028]
    dumps = []
    for g in (1, 2, 3):
        student = kit / "students" / f"group-{g}"
        dump = pq.read_table(student / "leak.parquet")
        # The attacker's view: no label column, no provenance metadata giving the seed away.
        assert not {"sensitive", "categories", "spans", "difficulty_tags"} & set(dump.column_names)
        assert dump.schema.metadata is None and dump.num_rows == ROWS
        with (student / "leak.csv").open(encoding="utf-8") as handle:
            assert sum(1 for _ in csv.reader(handle)) == ROWS + 1
        handout = (student / "handout.md").read_text(encoding="utf-8")
        assert "11 à 15 millions" in handout and "février 2026" in handout
        assert "statut VIH" in handout and "patient_id,category" in handout
        assert "$" not in handout  # every placeholder filled
        html = (student / "handout.html").read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "<table" in html
        assert " src=" not in html and "<link" not in html  # self-contained
        solution = (kit / "teacher" / f"group-{g}" / "solution.md").read_text(encoding="utf-8")
        assert "Extrapolé à 15" in solution and "sexe + date de naissance + code postal" in solution
        # A French sheet speaks French: no English label of the re-id or baseline tables.
        assert "birth" not in solution and "Sensitive" not in solution
        dumps.append(dump["admin_comment"].to_pylist())
    assert dumps[0] != dumps[1] != dumps[2]  # groups cannot copy each other


def _submission(key: Path, path: Path, *, recall: float, noise: float, seed: int) -> Path:
    """A student's CSV: a share of the true (record, category) pairs plus wrong ones."""
    rng = random.Random(seed)
    table = pq.read_table(key, columns=["patient_id", "categories"]).to_pylist()
    lines = ["patient_id,category"]
    for row in table:
        for cat in row["categories"]:
            if rng.random() < recall:
                lines.append(f"{row['patient_id']},{cat}")
        if rng.random() < noise:
            lines.append(f"{row['patient_id']},religion")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_grade_ranks_and_rejects(kit: Path, tmp_path: Path) -> None:
    key = kit / "teacher" / "group-1" / "key.parquet"
    subs = tmp_path / "subs"
    subs.mkdir()
    good = _submission(key, subs / "alice.csv", recall=0.95, noise=0.01, seed=1)
    fair = _submission(key, subs / "bruno.csv", recall=0.6, noise=0.05, seed=2)
    poor = _submission(key, subs / "chloe.csv", recall=0.2, noise=0.2, seed=3)
    bad = subs / "dan.csv"
    lines = good.read_text(encoding="utf-8").splitlines()
    first_id = lines[1].split(",")[0]
    lines[4] = f"{first_id},vih"  # line 5 of the file: a category not in the list
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "grades"
    result = CliRunner().invoke(
        main, ["exercise", "grade", str(key), str(poor), str(bad), str(good), str(fair),
               "--out", str(out)],
    )  # fmt: skip
    # One rejected submission: exit 1, and the others are graded all the same.
    assert result.exit_code == 1
    assert "dan.csv line 5: unknown category 'vih'" in result.output
    with (out / "class.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ranked = [r["submission"] for r in rows if r["rank"]]
    assert ranked == ["alice", "bruno", "chloe"]
    f1 = [float(r["category_f1"]) for r in rows if r["rank"]]
    assert f1[0] > f1[1] > f1[2] and f1[0] > 0.9
    rejected = [r for r in rows if not r["rank"]]
    assert [r["submission"] for r in rejected] == ["dan"] and "line 5" in rejected[0]["error"]
    for name in ("alice", "bruno", "chloe", "dan"):
        assert (out / "students" / f"{name}.html").exists()
    assert "line 5" in (out / "students" / "dan.html").read_text(encoding="utf-8")
    assert "alice" in (out / "class.html").read_text(encoding="utf-8")


def test_grade_span_submissions_and_bad_lines(kit: Path, tmp_path: Path) -> None:
    key = kit / "teacher" / "group-2" / "key.parquet"
    table = pq.read_table(key, columns=["patient_id", "spans"]).to_pylist()
    perfect = tmp_path / "perfect.jsonl"
    with perfect.open("w", encoding="utf-8") as handle:
        for row in table:
            spans = [{"start": s["start"], "end": s["end"], "label": s["category"]}
                     for s in row["spans"]]  # fmt: skip
            handle.write(json.dumps({"id": row["patient_id"], "spans": spans}) + "\n")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "PAT0000000001", "spans": []}\n{"id": oops}\n', encoding="utf-8")
    semicolon = tmp_path / "tableur.csv"
    semicolon.write_text(f"patient_id;categories\n{table[0]['patient_id']};serology\n")
    out = tmp_path / "g"
    result = CliRunner().invoke(
        main, ["exercise", "grade", str(key), str(perfect), str(broken), str(semicolon),
               "-o", str(out)],
    )  # fmt: skip
    assert "broken.jsonl line 2: not JSON" in result.output
    with (out / "class.csv").open(encoding="utf-8") as handle:
        rows = {r["submission"]: r for r in csv.DictReader(handle)}
    assert rows["perfect"]["rank"] == "1" and float(rows["perfect"]["category_f1"]) == 1.0
    assert float(rows["perfect"]["linked_disclosure"] or 0) == 0.0
    assert float(rows["perfect"]["severity_leak"]) == 0.0
    assert rows["tableur"]["rank"] == "2"  # a ';' spreadsheet export is read too


def test_solution_labels_cover_every_quasi_identifier_set_in_both_languages() -> None:
    from breachbench.benchmarks.exercise.create import _strings
    from breachbench.benchmarks.reid import QI_SETS

    for lang in ("fr", "en"):
        labels = _strings()["solution"][lang]["quasi_identifiers"]
        assert set(labels) == {name for name, _ in QI_SETS}, lang
