"""bench --engine dask (issue 13) on a real LocalCluster: the local result, on Dask workers.

Skipped, with the install line, when the ``dask`` extra is missing.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachbench.cli import main

pytest.importorskip(
    "distributed", reason="dask extra not installed (pip install 'breachbench[dask]')"
)

from distributed import Client, LocalCluster

DETECTORS = Path(__file__).parent / "detectors"
N_RECORDS = 200
BOOM = 101
SMALL = ("--chunk-rows", "40", "--batch-size", "8", "--bootstrap", "200")


def record(i: int) -> dict:
    text = (
        f"Patient VIH+ suivi, vu en {2000 + i}" if i % 3 else f"RAS, tél 06 12 34 56 {i % 100:02d}"
    )
    if i == BOOM:
        text += " BOOM"
    return {
        "patient_id": f"P{i:03d}",
        "admin_comment": text if i % 5 != 2 else None,
        "sensitive": False,
        "categories": [],
        "spans": [],
    }


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "contract.jsonl"
    path.write_text("".join(json.dumps(record(i)) + "\n" for i in range(N_RECORDS)), "utf-8")
    return path


@pytest.fixture(scope="module")
def cluster():
    """One running cluster for the --scheduler tests: as a user's would be, it outlives runs."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as running:
        yield running


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BREACHBENCH_CACHE", str(tmp_path / "cache"))
    return lambda *args: CliRunner().invoke(main, list(args))


def same_run(a: str, b: str) -> None:
    ra, rb = (json.loads((Path(d) / "results.json").read_text("utf-8")) for d in (a, b))
    assert ra["counts"] == rb["counts"] and ra["metrics"] == rb["metrics"]
    assert ra["status"] == rb["status"] and ra["records"] == rb["records"]
    for name in ("predictions.jsonl", "errors.jsonl"):
        assert (Path(a) / name).read_bytes() == (Path(b) / name).read_bytes(), name


def test_a_local_cluster_gives_the_local_result(cli, dataset: Path) -> None:
    args = (str(dataset), "--detector", "keywords+identifiers", *SMALL)
    assert cli("bench", *args, "--out", "local").exit_code == 0
    result = cli("bench", *args, "--out", "dask", "--engine", "dask", "--workers", "2")
    assert result.exit_code == 0, result.output
    same_run("local", "dask")
    throughput = json.loads(Path("dask/results.json").read_text("utf-8"))["throughput"]
    assert throughput["engine"] == "dask" and throughput["copies"] == 2


def test_a_running_scheduler_is_used_and_left_running(cli, dataset: Path, cluster) -> None:
    command = shlex.join([sys.executable, str(DETECTORS / "echo_detector.py")])
    args = (str(dataset), "--detector-cmd", command, *SMALL)
    assert cli("bench", *args, "--out", "local").exit_code == 0
    address = cluster.scheduler_address
    result = cli("bench", *args, "--out", "dask", "--engine", "dask", "--scheduler", address)
    assert result.exit_code == 0, result.output
    same_run("local", "dask")
    with Client(address, set_as_default=False) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
        assert all("breachbench-detector" not in names for names in plugins.values())


def test_a_fault_on_a_dask_worker_names_its_record(cli, dataset: Path, cluster) -> None:
    command = shlex.join([sys.executable, str(DETECTORS / "exits_detector.py")])
    args = (str(dataset), "--detector-cmd", command, *SMALL)
    local = cli("bench", *args, "--out", "local")
    dask = cli(
        "bench",
        *args,
        "--out",
        "dask",
        "--engine",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
    )
    assert local.exit_code == dask.exit_code == 1
    assert f"record 'P{BOOM}'" in dask.output
    same_run("local", "dask")


def test_a_detector_that_cannot_load_is_one_line(cli, dataset: Path, cluster) -> None:
    result = cli(
        "bench",
        str(dataset),
        "--detector",
        "no_such_module:find",
        "--engine",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
    )
    assert result.exit_code == 2, result.output
    assert "no_such_module" in result.output and "Traceback" not in result.output


def test_an_unreachable_scheduler_is_one_line(cli, dataset: Path) -> None:
    result = cli(
        "bench",
        str(dataset),
        "--detector",
        "none",
        "--engine",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler" in result.output
