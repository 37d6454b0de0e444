"""Reports rendered from a real results.json: Markdown, self-contained HTML, terminal."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from breachbench.benchmarks.adapters import open_detector
from breachbench.benchmarks.compare import leaderboard
from breachbench.benchmarks.dataset import open_dataset
from breachbench.benchmarks.reports import leaderboard_table, render_html, render_markdown
from breachbench.benchmarks.results import ResultsError, build_results, validate_results
from breachbench.benchmarks.run import RunOptions, run_detector
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from rich.console import Console


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("data") / "d.parquet"
    generate_dataset(path, GenerateOptions(rows=2000, seed=3))
    dataset = open_dataset(path)
    options = RunOptions(bootstrap=100)
    outcome = run_detector(dataset, lambda: open_detector("keywords+identifiers"), options=options)
    return build_results(dataset=dataset.info, outcome=outcome, options=options, spec="k+i")


def test_results_validate_and_refuse_other_versions(results: dict) -> None:
    assert validate_results(results) is results
    broken = copy.deepcopy(results)
    broken["schema"] = "breachbench.results/0"
    with pytest.raises(ResultsError, match="schema"):
        validate_results(broken)
    missing = copy.deepcopy(results)
    del missing["metrics"]
    with pytest.raises(ResultsError, match="metrics"):
        validate_results(missing)


def test_markdown_has_every_section(results: dict) -> None:
    text = render_markdown(results)
    for heading in (
        "Headline",
        "Sensitive records",
        "Per category",
        "Span schemes",
        "Leak rate",
        "By subject",
        "By assertion",
        "Throughput",
    ):
        assert f"## {heading}" in text, heading
    assert "Partial" not in text
    assert re.search(r"Sensitive record F1 \| \d+\.\d% \[", text)


def test_html_is_self_contained_with_charts(results: dict) -> None:
    html = render_html(results)
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 4  # + exposure
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"(src|href)\s*=", html)
    assert not re.search(r"https?://", html)


def test_partial_results_are_flagged(results: dict) -> None:
    partial = copy.deepcopy(results)
    partial["status"] = {
        "partial": True,
        "fault": "detector fault at record 'X': boom",
        "fault_record_id": "X",
    }
    assert "Partial results" in render_markdown(partial)
    assert "Partial results" in render_html(partial)


def test_terminal_table(results: dict) -> None:
    console = Console(width=120, record=True)
    console.print(leaderboard_table(leaderboard([("a", results)])))
    text = console.export_text()
    assert "keywords+identifiers" in text and "±" in text


def test_reports_do_not_need_a_path(results: dict, tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text(render_html(results))
    assert (tmp_path / "report.html").stat().st_size > 5_000
