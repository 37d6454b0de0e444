"""The evaluation scripts keep an earlier run's datasets and models only when the code,
corpora and options that made them are this run's (benchmarks/perf/reuse.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "perf"))
from reuse import file_digest, fresh_or_reused, run_key


def test_a_run_of_other_options_removes_what_the_script_made_and_nothing_else(
    tmp_path: Path,
) -> None:
    made = ("train.parquet*", "crf")
    fresh_or_reused(tmp_path, run_key("seed=1"), made)
    (tmp_path / "train.parquet").write_text("rows")
    (tmp_path / "crf").mkdir()
    (tmp_path / "crf" / "model.json").write_text("{}")
    (tmp_path / "notes.md").write_text("mine")

    fresh_or_reused(tmp_path, run_key("seed=1"), made)  # same stamp: everything kept
    assert (tmp_path / "train.parquet").exists() and (tmp_path / "crf" / "model.json").exists()

    fresh_or_reused(tmp_path, run_key("seed=2"), made)  # another seed: made files go
    assert not (tmp_path / "train.parquet").exists() and not (tmp_path / "crf").exists()
    assert (tmp_path / "notes.md").read_text() == "mine"
    assert (tmp_path / "key.txt").read_text("utf-8") == run_key("seed=2")


def test_the_key_names_the_hand_written_file_s_bytes(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"a": 1}\n')
    before = file_digest(notes)
    notes.write_text('{"a": 2}\n')
    assert file_digest(notes) != before and file_digest(None) == "none"
