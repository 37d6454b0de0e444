"""``breachbench compare`` and the leaderboard/paired-test library on real runs."""

from __future__ import annotations

import dataclasses
import io
import json
import shlex
import sys
from pathlib import Path

import pytest
from breachbench.benchmarks.compare import compare_files
from breachbench.benchmarks.reports.terminal import comparisons_table, leaderboard_table
from click.testing import CliRunner
from rich.console import Console
from test_bench_cli import DETECTORS, N_RECORDS, record

from breachbench.cli import main


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    data = root / "data.jsonl"
    data.write_text("".join(json.dumps(record(i)) + "\n" for i in range(N_RECORDS)), "utf-8")
    echo = shlex.join([sys.executable, str(DETECTORS / "echo_detector.py")])
    invocations = {
        "echo": ["--detector-cmd", echo],
        "none": ["-d", "none"],
        "limited": ["-d", "keywords", "--limit", "20"],
    }
    for name, args in invocations.items():
        result = CliRunner().invoke(
            main, ["bench", str(data), *args, "--out", str(root / name), "--bootstrap", "300"]
        )
        assert result.exit_code == 0, result.output
    return {name: root / name / "results.json" for name in invocations}


def test_leaderboard_and_paired_differences(runs: dict[str, Path]) -> None:
    rows, paired = compare_files([runs["none"], runs["echo"]])
    assert [row.value("record_sensitive_f1") for row in rows] == sorted(
        (row.value("record_sensitive_f1") for row in rows), reverse=True
    )
    (pair,) = paired
    diff = pair.differences["record_sensitive_f1"]
    assert diff["diff"] == pytest.approx(1.0)  # echo finds every sensitive record, none none
    assert diff["ci_low"] <= diff["diff"] <= diff["ci_high"]
    assert pair.differences["leak_rate_sensitive"]["diff"] == pytest.approx(0.0)


def test_runs_on_other_records_are_not_paired(runs: dict[str, Path]) -> None:
    rows, paired = compare_files([runs["echo"], runs["limited"]])
    assert len(rows) == 2 and paired == []


def test_compare_command(runs: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["compare", str(runs["echo"]), str(runs["none"])])
    assert result.exit_code == 0, result.output
    assert "none" in result.stdout and "paired differences" in result.stdout
    assert "+100.0" in result.stdout or "-100.0" in result.stdout


@pytest.mark.parametrize("width", [80, 120])
def test_long_detector_names_fold_and_never_squeeze_the_figures(
    runs: dict[str, Path], width: int
) -> None:
    """A --detector-cmd run is named by its command line, which can be as long as a path."""
    rows, paired = compare_files([runs["echo"], runs["none"]])
    long_name = "/opt/" + "/".join(["deeply-nested-runner-workspace"] * 6) + "/detector --jsonl"
    rows = [dataclasses.replace(row, name=long_name) if row.name != "none" else row for row in rows]
    paired = [dataclasses.replace(pair, a=long_name) for pair in paired]
    out = Console(width=width, record=True, file=io.StringIO())
    out.print(leaderboard_table(rows))
    out.print(comparisons_table(paired))
    text = out.export_text()
    assert "…" not in text
    assert "+100.0" in text or "-100.0" in text
    assert "100.0±" in text  # the echo run's sensitive F1, with its interval


def test_compare_rejects_foreign_files(tmp_path: Path, runs: dict[str, Path]) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something/9"}))
    result = CliRunner().invoke(main, ["compare", str(runs["echo"]), str(other)])
    assert result.exit_code == 2 and "schema" in result.stderr
