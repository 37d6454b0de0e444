"""``breachbench bench`` end to end with real subprocess detectors (tests/detectors/*.py)."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest
from breachbench.benchmarks.results import RESULTS_SCHEMA, load_results
from breachbench.benchmarks.suite import DEFAULT_DETECTORS
from click.testing import CliRunner

from breachbench.cli import main

DETECTORS = Path(__file__).parent / "detectors"
RUN_FILES = ("results.json", "results.md", "report.html", "predictions.jsonl", "errors.jsonl")
BOOM_INDEX = 25
N_RECORDS = 40


def script(name: str, *args: str) -> str:
    return shlex.join([sys.executable, str(DETECTORS / name), *args])


def record(i: int) -> dict:
    """Contract fields only; every 7th record has no comment, one says BOOM."""
    if i % 7 == 3:
        return {
            "patient_id": f"P{i:03d}",
            "admin_comment": None,
            "sensitive": False,
            "categories": [],
            "spans": [],
        }
    text = f"Patient sous trithérapie, VIH+ depuis {2000 + i}"
    if i == BOOM_INDEX:
        text += " BOOM"
    start = text.index("VIH")
    spans = [
        {
            "start": start - 15,
            "end": start - 2,
            "category": "serology",
            "subject": "patient",
            "assertion": "affirmed",
        },
        {
            "start": start,
            "end": start + 4,
            "category": "serology",
            "subject": "patient",
            "assertion": "affirmed",
        },
    ]
    return {
        "patient_id": f"P{i:03d}",
        "admin_comment": text,
        "sensitive": True,
        "categories": ["serology"],
        "spans": spans,
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "contract.jsonl"
    path.write_text("".join(json.dumps(record(i)) + "\n" for i in range(N_RECORDS)), "utf-8")
    return path


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BREACHBENCH_CACHE", str(tmp_path / "cache"))

    def invoke(*args: str):
        return CliRunner().invoke(main, ["bench", *args])

    return invoke


def test_detector_cmd_end_to_end(bench, dataset: Path, tmp_path: Path) -> None:
    result = bench(
        str(dataset),
        "--detector-cmd",
        script("echo_detector.py"),
        "--out",
        "run",
        "--batch-size",
        "8",
        "--bootstrap",
        "200",
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "run"
    assert all((out / name).is_file() for name in RUN_FILES)
    results = load_results(out / "results.json")  # validates against the schema version
    assert results["schema"] == RESULTS_SCHEMA
    assert results["status"] == {"partial": False, "fault": None, "fault_record_id": None}
    assert results["dataset"]["layout"] == "jsonl" and results["dataset"]["rows"] == N_RECORDS
    assert results["detector"]["command"] and results["detector"]["mode"] == "spans"
    assert results["machine"]["cpu_count"] and results["machine"]["python"]
    comments = N_RECORDS - sum(1 for i in range(N_RECORDS) if i % 7 == 3)
    assert results["records"] == {
        "read": N_RECORDS,
        "scored": N_RECORDS,
        "comments": comments,
        "error_records": comments,
    }
    headline = results["metrics"]["headline"]
    assert headline["record_sensitive_recall"]["value"] == 1.0
    assert headline["span_strict_recall"]["value"] == pytest.approx(0.0)  # "VIH" vs "VIH+"
    assert headline["leak_rate_sensitive"]["value"] == 1.0  # "trithérapie" never found
    assert headline["record_sensitive_f1"]["ci_low"] is not None
    t = results["throughput"]
    assert t["comments_per_second"] > 0 and t["warmup_excluded"] is True
    assert t["latency_ms"]["p50"] <= t["latency_ms"]["p99"]
    assert t["memory_scope"] == "detector process tree"
    if Path("/proc/self/status").exists():
        assert t["peak_memory_bytes"] > 1_000_000

    predictions = [json.loads(line) for line in (out / "predictions.jsonl").open()]
    assert len(predictions) == comments
    assert predictions[0]["spans"][0]["label"] == "serology"
    errors = [json.loads(line) for line in (out / "errors.jsonl").open()]
    kinds = {e["kind"] for r in errors for e in r["false_negatives"] + r["false_positives"]}
    assert kinds == {"missed", "boundary"}
    assert errors[0]["text"].startswith("Patient")

    html = (out / "report.html").read_text()
    assert "<svg" in html and "<script" not in html
    assert not re.search(r"https?://", html), "report.html must not load anything"
    assert "Leak rate" in (out / "results.md").read_text()
    assert "Report: run/report.html" in result.stdout


@pytest.mark.parametrize(
    "name",
    [
        "raises_detector.py",
        "exits_detector.py",
        "hangs_detector.py",
        "skips_detector.py",
        "wrong_id_detector.py",
        "not_json_detector.py",
        "out_of_range_detector.py",
        "inverted_detector.py",
    ],
)
def test_misbehaving_detector_keeps_partial_results(
    bench, dataset: Path, tmp_path: Path, name: str
) -> None:
    result = bench(
        str(dataset),
        "--detector-cmd",
        script(name),
        "--out",
        "run",
        "--batch-size",
        "4",
        "--timeout",
        "2",
        "--bootstrap",
        "50",
    )
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert f"P{BOOM_INDEX:03d}" in lines[0]
    results = load_results(tmp_path / "run" / "results.json")
    status = results["status"]
    assert status["partial"] is True and status["fault_record_id"] == f"P{BOOM_INDEX:03d}"
    assert 0 < results["records"]["scored"] <= BOOM_INDEX
    assert results["metrics"]["records"]["total"] == results["records"]["scored"]
    *answered, trailer = (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()
    assert len(answered) == results["records"]["comments"]
    for name in ("predictions.jsonl", "errors.jsonl"):  # partial, said in every file
        last = json.loads((tmp_path / "run" / name).read_text().splitlines()[-1])
        assert last == json.loads(trailer)
        assert last["partial"] is True and last["fault_record_id"] == f"P{BOOM_INDEX:03d}"
    assert "Partial results" in (tmp_path / "run" / "report.html").read_text()
    assert "Partial results" in (tmp_path / "run" / "results.md").read_text()


def test_labels_are_never_sent(bench, dataset: Path, tmp_path: Path) -> None:
    seen = tmp_path / "seen.jsonl"
    command = shlex.join(
        ["sh", "-c", f"tee {shlex.quote(str(seen))} | {script('echo_detector.py')}"]
    )
    result = bench(str(dataset), "--detector-cmd", command, "--out", "run")
    assert result.exit_code == 0, result.output
    sent = [json.loads(line) for line in seen.read_text().splitlines()]
    assert sent and all(set(item) == {"id", "text"} for item in sent)
    assert "serology" not in seen.read_text()


def test_limit_and_seeded_sample(bench, dataset: Path, tmp_path: Path) -> None:
    def run(out: str, *args: str) -> dict:
        result = bench(str(dataset), "-d", "keywords", "--out", out, *args)
        assert result.exit_code == 0, result.output
        return load_results(tmp_path / out / "results.json")

    def ids(out: str) -> list[str]:
        return [json.loads(x)["id"] for x in (tmp_path / out / "predictions.jsonl").open()]

    limited = run("limit", "--limit", "10")
    assert limited["records"]["scored"] == 10 and limited["options"]["limit"] == 10
    assert ids("limit") == [f"P{i:03d}" for i in range(10) if i % 7 != 3]
    first = run("s1", "--sample", "12", "--seed", "4")
    assert first["records"]["scored"] == 12 and first["options"]["sample"] == 12
    assert ids("s1") == (run("s2", "--sample", "12", "--seed", "4") and ids("s2"))
    run("s3", "--sample", "12", "--seed", "5")
    assert ids("s3") != ids("s1")


def test_existing_output_needs_overwrite(bench, dataset: Path) -> None:
    assert bench(str(dataset), "-d", "none", "--out", "run").exit_code == 0
    again = bench(str(dataset), "-d", "none", "--out", "run")
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert bench(str(dataset), "-d", "none", "--out", "run", "--overwrite").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "no_such_module:thing"], "cannot import module"),
        (["-d", "nonsense"], "unknown detector"),
        (["--batch-size", "0"], "batch-size must be >= 1"),
    ],
)
def test_usage_errors_exit_2(bench, dataset: Path, args: list[str], message: str) -> None:
    result = bench(str(dataset), *args, "--out", "run")
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_dataset_exits_2(bench) -> None:
    result = bench("nowhere.parquet", "-d", "none")
    assert result.exit_code == 2 and "does not exist" in result.stderr


@pytest.mark.slow
def test_default_run_generates_caches_and_ranks_the_builtins(bench, tmp_path: Path) -> None:
    result = bench("--out", "bench", "--bootstrap", "100")
    assert result.exit_code == 0, result.output
    assert "(generated and cached)" in result.stdout
    out = tmp_path / "bench"
    for name in DEFAULT_DETECTORS:
        assert (out / name / "report.html").is_file(), name
        assert name in result.stdout
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["leaderboard"][0]["name"] == "keywords+identifiers"
    assert board["comparisons"] and "Paired differences" in (out / "leaderboard.md").read_text()
    cached = list((tmp_path / "cache").glob("default-*.parquet"))
    assert len(cached) == 1
    again = bench("-d", "none", "--out", "again")
    assert again.exit_code == 0 and "generated" not in again.stdout
