"""bench --workers, --shard and `breachbench merge` (issue 13): never a different result.

Real worker processes, real subprocess and isolated detectors, written into the test's
working directory and imported by name as a user would.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from breachbench.benchmarks.scale.chunks import Shard, parse_shard, shard_chunks
from click.testing import CliRunner

from breachbench.cli import main

DETECTORS = Path(__file__).parent / "detectors"
N_RECORDS = 300
BOOM = 203
BOOM_CALL = "P200"
"""First record of the call holding BOOM (chunks of 40 rows, calls of 8 comments)."""

MODULE = '''
import os

def find(texts):
    """Spans of "VIH" and of the year."""
    out = []
    for t in texts:
        spans = [(t.index("VIH"), t.index("VIH") + 3, "serology")] if "VIH" in t else []
        out.append(spans)
    return out

def late_categories(texts):
    """Record level, and finds something only in P150-P159: the copies that did not answer
    those calls never learn the mode, and answer bare empty lists."""
    return [["serology"] if "VIH" in t and 2150 <= int(t[-4:]) < 2160 else [] for t in texts]

def boom(texts):
    if any("BOOM" in t for t in texts):
        raise RuntimeError("cannot parse")
    return find(texts)

def crash(texts):
    if any("BOOM" in t for t in texts):
        os._exit(9)
    return find(texts)
'''


def record(i: int) -> dict:
    """Every 5th record has no comment; one says BOOM."""
    if i % 5 == 2:
        return {
            "patient_id": f"P{i:03d}",
            "admin_comment": None,
            "sensitive": False,
            "categories": [],
            "spans": [],
        }
    text = f"Patient VIH+ suivi, vu en {2000 + i}" if i % 3 else f"RAS, vu en {2000 + i}"
    if i == BOOM:
        text = "BOOM " + text
    spans = []
    if "VIH" in text:
        start = text.index("VIH")
        spans = [
            {
                "start": start,
                "end": start + 4,
                "category": "serology",
                "subject": "patient",
                "assertion": "affirmed",
            }
        ]
    return {
        "patient_id": f"P{i:03d}",
        "admin_comment": text,
        "sensitive": bool(spans),
        "categories": ["serology"] if spans else [],
        "spans": spans,
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "contract.jsonl"
    path.write_text("".join(json.dumps(record(i)) + "\n" for i in range(N_RECORDS)), "utf-8")
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BREACHBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "scaledet.py").write_text(MODULE, encoding="utf-8")

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args))

    return invoke


SMALL = ("--chunk-rows", "40", "--batch-size", "8", "--bootstrap", "200")
# For the tests of sharding and merging: the detector in the harness's own process, not in
# a child process per run (isolation has its own tests above).
IN_PROCESS = ("--no-isolate",)


def results(out: str) -> dict:
    return json.loads((Path(out) / "results.json").read_text("utf-8"))


def same_run(a: str, b: str) -> None:
    """Same counts, metrics (intervals included) and per-record files."""
    ra, rb = results(a), results(b)
    assert ra["counts"] == rb["counts"]
    assert ra["metrics"] == rb["metrics"]
    assert ra["records"] == rb["records"]
    assert ra["status"] == rb["status"]
    for name in ("predictions.jsonl", "errors.jsonl"):
        assert (Path(a) / name).read_bytes() == (Path(b) / name).read_bytes(), name


@pytest.mark.parametrize(
    "detector",
    [
        ("--detector", "scaledet:find"),  # isolated: worker -> child process
        ("--detector", "scaledet:find", "--no-isolate"),  # in each worker's process
        ("--detector", "keywords+identifiers"),
        ("--detector-cmd", shlex.join([sys.executable, str(DETECTORS / "echo_detector.py")])),
    ],
    ids=["isolated", "in-worker", "builtin", "command"],
)
def test_workers_give_the_single_process_result(cli, dataset: Path, detector) -> None:
    one = cli("bench", str(dataset), *detector, *SMALL, "--out", "one")
    assert one.exit_code == 0, one.output
    three = cli("bench", str(dataset), *detector, *SMALL, "--out", "three", "--workers", "3")
    assert three.exit_code == 0, three.output
    same_run("one", "three")
    throughput = results("three")["throughput"]
    assert throughput["copies"] == 3
    assert throughput["warmup_calls"] == 3  # each copy's first call
    assert throughput["wall_comments_per_second"] > 0
    assert "wall seconds" in throughput["note"]


def test_record_level_detector_undecided_copies_take_the_run_mode(cli, dataset: Path) -> None:
    args = ("--detector", "scaledet:late_categories", *SMALL)
    assert cli("bench", str(dataset), *args, "--out", "one").exit_code == 0
    assert cli("bench", str(dataset), *args, "--out", "three", "--workers", "3").exit_code == 0
    same_run("one", "three")
    lines = Path("three/predictions.jsonl").read_text("utf-8").splitlines()
    assert '"spans":[]' in lines[0]  # before anything was found, the mode was not known
    assert all('"categories"' in line for line in lines[130:])


@pytest.mark.parametrize(
    ("spec", "reason", "workers"),
    [
        (("scaledet:boom",), "RuntimeError", "1"),
        (("scaledet:boom",), "RuntimeError", "2"),
        # In process without workers, os._exit would take the harness with it.
        (("scaledet:crash", "--no-isolate"), "died", "2"),
    ],
    ids=["raises", "raises-workers", "crashes-in-a-worker"],
)
def test_a_fault_names_its_record_with_workers(cli, dataset: Path, spec, reason, workers) -> None:
    result = cli("bench", str(dataset), "--detector", *spec, *SMALL, "--workers", workers)
    assert result.exit_code == 1, result.output
    assert f"record '{BOOM_CALL}'" in result.output
    assert reason in result.output
    out = results("breachbench-output/bench")
    assert out["status"]["partial"] and out["status"]["fault_record_id"] == BOOM_CALL
    # The records before the failing call are scored, whatever the number of workers.
    assert out["records"]["scored"] == 200
    last = Path("breachbench-output/bench/predictions.jsonl").read_text("utf-8").splitlines()[-1]
    assert json.loads(last)["partial"] is True


def test_a_load_error_in_workers_is_one_line(cli, dataset: Path) -> None:
    result = cli("bench", str(dataset), "--detector", "scaledet:missing", "--workers", "2")
    assert result.exit_code == 2
    assert "missing" in result.output and "Traceback" not in result.output


def test_shards_cover_the_chunks_once() -> None:
    for chunks in (0, 1, 7, 100):
        for count in (1, 3, 8):
            parts = [shard_chunks(chunks, Shard(i, count)) for i in range(1, count + 1)]
            assert [c for part in parts for c in part] == list(range(chunks))
    assert parse_shard("2/8") == Shard(2, 8)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_merged_shards_are_the_single_run(cli, dataset: Path) -> None:
    args = (str(dataset), "--detector", "scaledet:find", *IN_PROCESS, *SMALL)
    assert cli("bench", *args, "--out", "whole").exit_code == 0
    for i in (1, 2, 3):
        shard = cli("bench", *args, "--out", f"s{i}", "--shard", f"{i}/3")
        assert shard.exit_code == 0, shard.output
        assert results(f"s{i}")["shard"] == {"indices": [i], "count": 3}
    merged = cli("merge", "s3", "s1", "s2", "--out", "merged")
    assert merged.exit_code == 0, merged.output
    same_run("whole", "merged")
    whole, out = results("whole"), results("merged")
    assert out["shard"] is None and out["options"] == whole["options"]
    headline = whole["metrics"]["headline"]
    assert out["metrics"]["headline"] == headline  # figures and intervals
    assert out["throughput"]["comments"] == whole["throughput"]["comments"]
    # A partial merge can be merged again with the rest.
    assert cli("merge", "s1", "s2", "--out", "first-two").exit_code == 0
    assert results("first-two")["shard"] == {"indices": [1, 2], "count": 3}
    assert cli("merge", "first-two", "s3", "--out", "again").exit_code == 0
    same_run("whole", "again")


def test_merge_refuses_runs_that_are_not_parts_of_one(cli, dataset: Path, tmp_path: Path) -> None:
    find = ("--detector", "scaledet:find", *IN_PROCESS)
    args = (str(dataset), *find, *SMALL)
    assert cli("bench", *args, "--out", "a", "--shard", "1/2").exit_code == 0
    assert cli("bench", *args, "--out", "b", "--shard", "2/2").exit_code == 0
    other = tmp_path / "other.jsonl"
    other.write_text(dataset.read_text("utf-8").replace("suivi", "revu"), "utf-8")
    runs = {
        "dataset": (str(other), *find, *SMALL, "--shard", "2/2"),
        "detector": (str(dataset), "--detector", "keywords", *SMALL, "--shard", "2/2"),
        "option": (*args, "--seed", "0", "--batch-size", "9", "--shard", "2/2"),
        "count": (*args, "--shard", "2/3"),
    }
    for name, run in runs.items():
        assert cli("bench", *run, "--out", name).exit_code == 0, name
    expected = {
        "dataset": "different datasets",
        "detector": "different detectors",
        "option": "option batch_size differs",
        "count": "different counts",
    }
    for name, message in expected.items():
        result = cli("merge", "a", name, "--out", "m")
        assert result.exit_code == 2, name
        assert message in result.output and len(result.output.strip().splitlines()) == 1
    overlap = cli("merge", "a", "b", "a", "--out", "m")
    assert overlap.exit_code == 2 and "shard 1/2 is in both" in overlap.output
    assert not Path("m").exists()
    boom = cli(
        "bench", str(dataset), "--detector", "scaledet:boom", *IN_PROCESS, *SMALL, "--out", "p"
    )
    assert boom.exit_code == 1
    partial = cli("merge", "a", "p", "--out", "m")
    assert partial.exit_code == 2 and "partial" in partial.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workers", "0"), "--workers must be >= 1"),
        (("--scheduler", "tcp://x:1"), "--scheduler needs --engine dask"),
        (("--shard", "3/2"), "--shard 3/2"),
        (("--shard", "half"), "expected I/N"),
        (("--chunk-rows", "0"), "read-batch-size must be >= 1"),
    ],
)
def test_bad_scale_options_exit_2(cli, dataset: Path, args, message) -> None:
    result = cli("bench", str(dataset), "--detector", "none", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
