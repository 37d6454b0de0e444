"""``breachbench generate``: defaults, output rules and one-line errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from breachbench.generator.block import BLOCK_ROWS
from click.testing import CliRunner

from breachbench.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI inside an empty working directory."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args))

    return invoke


def test_no_options_writes_the_default_dataset(run, tmp_path: Path) -> None:
    result = run("generate")
    assert result.exit_code == 0, result.output
    out = tmp_path / "breachbench-output" / "patients.parquet"
    assert pq.ParquetFile(out).metadata.num_rows == 100_000
    assert "breachbench-output/patients.parquet" in result.stdout
    assert "100,000 rows" in result.stdout and "rows/s" in result.stdout
    assert "sensitive" in result.stdout
    assert result.stderr == ""  # no progress bar when not on a terminal


def test_suffix_sets_the_format_and_overwrite_replaces(run, tmp_path: Path) -> None:
    assert run("generate", "-n", "10", "-o", "x.jsonl").exit_code == 0
    assert len((tmp_path / "x.jsonl").read_text().splitlines()) == 10
    again = run("generate", "-n", "20", "-o", "x.jsonl", "--overwrite")
    assert again.exit_code == 0, again.output
    assert len((tmp_path / "x.jsonl").read_text().splitlines()) == 20


def test_the_default_output_is_replaced_by_a_rerun(run, tmp_path: Path) -> None:
    assert run("generate", "-n", "10").exit_code == 0
    again = run("generate", "-n", "20")
    assert again.exit_code == 0, again.output
    out = tmp_path / "breachbench-output" / "patients.parquet"
    assert pq.ParquetFile(out).metadata.num_rows == 20
    # A location the user chose is kept unless told otherwise.
    assert run("generate", "-n", "10", "-o", "mine.parquet").exit_code == 0
    assert run("generate", "-n", "10", "-o", "mine.parquet").exit_code == 2


def test_format_alone_changes_the_default_name(run, tmp_path: Path) -> None:
    assert run("generate", "-n", "10", "--format", "csv").exit_code == 0
    assert (tmp_path / "breachbench-output" / "patients.csv").exists()


def test_directory_output(run, tmp_path: Path) -> None:
    rows = 2 * BLOCK_ROWS + 5
    result = run("generate", "-n", str(rows), "--out", "data/", "--part-rows", str(BLOCK_ROWS))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert len(manifest["files"]) == 3 and manifest["rows"] == rows
    assert "3 files" in result.stdout


def test_help_documents_the_output_rule(run) -> None:
    result = run("generate", "--help")
    assert result.exit_code == 0
    assert "manifest.json" in result.stdout and "--overwrite" in result.stdout


def _existing(tmp_path: Path) -> None:
    (tmp_path / "taken.parquet").write_bytes(b"precious")


def _file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")


def _foreign_dir(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")


BAD_INPUTS = [
    (["--bogus"], None, "No such option"),
    (["--rows", "-5"], None, "rows must be >= 0"),
    (["--rows", "many"], None, "not a valid integer"),
    (["--comment-rate", "1.5"], None, "comment-rate must be within [0, 1]"),
    (["--sensitive-rate", "-0.1"], None, "sensitive-rate must be within [0, 1]"),
    (["--format", "xml"], None, "'xml' is not one of"),
    (["--workers", "0"], None, "workers must be >= 1"),
    (["--batch-size", "0"], None, "batch-size must be >= 1"),
    (["--part-rows", "0", "-o", "d/"], None, "part-rows must be >= 1"),
    (["-o", "x.csv", "--format", "parquet"], None, "suffix of csv"),
    (["-o", "taken.parquet"], _existing, "already exists (use --overwrite)"),
    (["-o", "afile/x.parquet"], _file_in_the_way, "not a directory"),
    (["-o", "home", "--overwrite"], _foreign_dir, "did not make it"),
]


@pytest.mark.parametrize(("args", "setup", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    run, tmp_path: Path, args: list[str], setup, message: str
) -> None:
    if setup is not None:
        setup(tmp_path)
    before = {p: p.read_bytes() if p.is_file() else None for p in tmp_path.rglob("*")}
    result = run("generate", "-n", "10", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() if p.is_file() else None for p in tmp_path.rglob("*")}
    assert after == before


def test_unwritable_location_in_a_real_process(tmp_path: Path) -> None:
    """A real process: the exit code and stderr are what a shell user sees."""
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "blocker").write_text("a file, not a directory")
    command = [sys.executable, "-m", "breachbench", "generate", "-n", "10"]
    command += ["--out", "ro/blocker/sub/x.parquet"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "cannot write" in done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in (tmp_path / "ro").iterdir()) == ["blocker"]
