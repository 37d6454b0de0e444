"""bench --resume (issue 13): a real run killed midway, resumed, equals an uninterrupted one.

Runs save a checkpoint after every chunk (``$BREACHBENCH_CHECKPOINT_SECONDS`` 0), and the
detector hangs at a known record until a gate file exists: the kill always lands mid-run,
past a checkpoint, whatever the machine's speed. It lands once the detector says it hangs,
while the harness only waits for its answer. (A signal that lands in a finaliser, where
CPython drops what the handler raises, is sent again by the CLI: ``test_signals.py``.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from breachbench.benchmarks.scale.checkpoint import SAVE_SECONDS_ENV
from click.testing import CliRunner

from breachbench.cli import main

N_RECORDS = 300

MODULE = """
import os, time
from pathlib import Path

GATE = Path(os.environ["RESUME_GATE"])

def find(texts):
    if not GATE.exists() and any(t.endswith("2220") for t in texts):
        GATE.with_name("hanging").touch()
        time.sleep(3600)  # hangs here until killed
    return [[(t.index("VIH"), t.index("VIH") + 3, "serology")] if "VIH" in t else [] for t in texts]
"""


def record(i: int) -> dict:
    text = f"Patient VIH+ suivi, vu en {2000 + i}" if i % 3 else f"RAS, vu en {2000 + i}"
    spans = []
    if "VIH" in text:
        spans = [
            {
                "start": 8,
                "end": 12,
                "category": "serology",
                "subject": "patient",
                "assertion": "affirmed",
            }
        ]
    return {
        "patient_id": f"P{i:03d}",
        "admin_comment": text if i % 5 != 2 else None,
        "sensitive": bool(spans) and i % 5 != 2,
        "categories": ["serology"] if spans and i % 5 != 2 else [],
        "spans": spans if i % 5 != 2 else [],
    }


ARGS = ("--chunk-rows", "40", "--batch-size", "8", "--bootstrap", "200", "--no-progress")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BREACHBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RESUME_GATE", str(tmp_path / "gate"))
    monkeypatch.setenv(SAVE_SECONDS_ENV, "0")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "slowdet.py").write_text(MODULE, encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(record(i)) + "\n" for i in range(N_RECORDS)), "utf-8")
    return tmp_path


def _start(*extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "breachbench",
            "bench",
            "data.jsonl",
            "--detector",
            "slowdet:find",
            *ARGS,
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, f"no {path.name} within two minutes"
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes], sig: int, workdir: Path) -> tuple[int, str]:
    """Send ``sig`` once the detector hangs (the harness waits for its answer, past the
    checkpoint), and return the exit code and stderr."""
    _wait_for(workdir / "hanging", process)
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, stderr.decode("utf-8", "replace")


def _processes_in(directory: Path) -> list[int]:
    """Processes working in ``directory``: what this test started, and nothing else."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if Path(os.readlink(entry / "cwd")) == directory:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _results(out: str) -> dict:
    return json.loads((Path(out) / "results.json").read_text("utf-8"))


@pytest.mark.parametrize(
    ("sig", "code", "workers"),
    [
        # A real run killed and resumed takes seconds: one case in the default run, the
        # others with the slow tests.
        pytest.param(signal.SIGKILL, -9, "1", marks=pytest.mark.slow),
        (signal.SIGTERM, 143, "1"),
        pytest.param(signal.SIGKILL, -9, "2", marks=pytest.mark.slow),
        pytest.param(signal.SIGTERM, 143, "2", marks=pytest.mark.slow),
    ],
    ids=["kill-9", "sigterm", "kill-9-workers", "sigterm-workers"],
)
def test_a_killed_run_resumes_to_the_uninterrupted_result(
    workdir: Path, sig, code, workers
) -> None:
    process = _start("--out", "out", "--workers", workers)
    state = workdir / ".out.resume" / "state.json"
    _wait_for(state, process)
    saved = json.loads(state.read_text("utf-8"))
    assert not saved["done"] and 0 < saved["next_chunk"] < 8
    returncode, stderr = _stop(process, sig, workdir)
    assert returncode == code, stderr
    assert not (workdir / "out").exists()  # nothing half-written
    assert state.exists()  # ... but the checkpoint is kept

    (workdir / "gate").touch()  # the detector no longer hangs
    resumed = CliRunner().invoke(
        main,
        ["bench", "data.jsonl", "--detector", "slowdet:find", *ARGS, "--out", "out", "--resume"],
    )
    assert resumed.exit_code == 0, resumed.output
    whole = CliRunner().invoke(
        main, ["bench", "data.jsonl", "--detector", "slowdet:find", *ARGS, "--out", "whole"]
    )
    assert whole.exit_code == 0, whole.output

    a, b = _results("out"), _results("whole")
    assert a["counts"] == b["counts"] and a["metrics"] == b["metrics"]
    assert a["records"] == b["records"]
    assert a["throughput"]["sessions"] == 2  # it did continue, not start over
    assert a["throughput"]["comments"] == b["throughput"]["comments"]
    for name in ("predictions.jsonl", "errors.jsonl"):
        assert (workdir / "out" / name).read_bytes() == (workdir / "whole" / name).read_bytes()
    assert not (workdir / ".out.resume").exists()
    assert not [p for p in workdir.iterdir() if p.name.startswith(".out.tmp-")]
    if workers != "1":
        time.sleep(1.5)  # orphaned workers give up within a second
    leftovers = _processes_in(workdir)
    for pid in leftovers:  # kill -9 of a single process leaves its isolated child hanging
        os.kill(pid, signal.SIGKILL)
    if workers != "1":  # ... but workers see the harness go, and take their child along
        assert not leftovers


def test_resume_refuses_a_checkpoint_of_other_options(workdir: Path) -> None:
    process = _start("--out", "out")
    _wait_for(workdir / ".out.resume" / "state.json", process)
    returncode, stderr = _stop(process, signal.SIGTERM, workdir)
    assert returncode == 143, stderr
    (workdir / "gate").touch()
    other = CliRunner().invoke(
        main,
        [
            "bench",
            "data.jsonl",
            "--detector",
            "slowdet:find",
            *ARGS,
            "--seed",
            "0",
            "--batch-size",
            "16",
            "--out",
            "out",
            "--resume",
        ],
    )
    assert other.exit_code == 2
    assert "cannot resume" in other.output and "options" in other.output
    # Without --resume, the checkpoint is dropped and the run starts over.
    fresh = CliRunner().invoke(
        main, ["bench", "data.jsonl", "--detector", "slowdet:find", *ARGS, "--out", "out"]
    )
    assert fresh.exit_code == 0, fresh.output
    assert _results("out")["throughput"]["sessions"] == 1


def test_resume_with_nothing_to_resume_runs_whole(workdir: Path) -> None:
    (workdir / "gate").touch()
    result = CliRunner().invoke(
        main, ["bench", "data.jsonl", "--detector", "slowdet:find", *ARGS, "--out", "o", "--resume"]
    )
    assert result.exit_code == 0, result.output
    assert _results("o")["records"]["scored"] == N_RECORDS


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_checkpoint_interval_is_a_usage_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(SAVE_SECONDS_ENV, value)
    (workdir / "gate").touch()
    result = CliRunner().invoke(
        main, ["bench", "data.jsonl", "--detector", "slowdet:find", *ARGS, "--out", "o"]
    )
    assert result.exit_code == 2
    assert SAVE_SECONDS_ENV in result.output and "Traceback" not in result.output
    assert not (workdir / "o").exists() and not (workdir / ".o.resume").exists()
