"""Subprocess detectors over JSON lines: a well-behaved one, and one per kind of fault."""

import shlex
import sys
import time
from pathlib import Path

import pytest
from breachbench.benchmarks.adapters import CommandDetector, open_detector
from breachbench.benchmarks.protocol import (
    Detector,
    DetectorFault,
    DetectorLoadError,
    PredictedSpan,
)

HERE = Path(__file__).parent / "detectors"


def command(script, *args):
    return shlex.join([sys.executable, str(HERE / script), *args])


def test_echo_detector_spans():
    ids = ["p1", "p2", "p3"]
    texts = ["Patient VIH+, VIH connu", "", "RAS, é VIH"]
    with CommandDetector(command("echo_detector.py"), timeout=30) as detector:
        assert isinstance(detector, Detector)
        answers = detector(ids, texts)
        assert answers[0].spans == [
            PredictedSpan(8, 11, "serology"),
            PredictedSpan(14, 17, "serology"),
        ]
        assert answers[2].spans == [PredictedSpan(7, 10, "serology")]  # code-point offsets
        assert detector.mode == "spans"
        # the process is started once and reused
        pid = detector.pid
        assert detector(["p4"], ["VIH"])[0].spans == [PredictedSpan(0, 3, "serology")]
        assert detector.pid == pid
        peak = detector.peak_memory_bytes()
        if Path("/proc/self/status").exists():
            assert peak is not None and peak > 1_000_000
    assert detector.returncode == 0


def test_echo_detector_categories():
    with CommandDetector(command("echo_detector.py", "--categories")) as detector:
        answers = detector(["a", "b"], ["VIH+", "RAS"])
    assert [a.categories for a in answers] == [frozenset({"serology"}), frozenset()]
    assert detector.mode == "categories"


def test_large_batch_does_not_deadlock():
    texts = [("x" * 2000) + " VIH" for _ in range(3000)]  # ~6 MB, far past pipe buffers
    ids = [f"r{i}" for i in range(len(texts))]
    with CommandDetector(command("echo_detector.py"), timeout=60) as detector:
        answers = detector(ids, texts)
    assert len(answers) == 3000
    assert all(a.spans == [PredictedSpan(2001, 2004, "serology")] for a in answers)


def test_peak_memory_of_the_child():
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc")
    with CommandDetector(command("memory_hog_detector.py")) as detector:
        detector(["a"], ["x"])
        assert detector.peak_memory_bytes() > 60 * 1024 * 1024


def test_shell_command():
    with CommandDetector(command("echo_detector.py") + " | cat", shell=True) as detector:
        assert detector(["a"], ["VIH"])[0].spans == [PredictedSpan(0, 3, "serology")]


IDS = ["r0", "r1", "r2", "r3"]
TEXTS = ["RAS", "VIH+", "BOOM here", "RAS"]


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("raises_detector.py", "exited with code 1 before answering; stderr:"),
        ("exits_detector.py", "exited with code 3"),
        ("hangs_detector.py", "no answer within the 2s batch timeout"),
        ("skips_detector.py", "answer has id 'r3', expected 'r2'"),
        ("wrong_id_detector.py", "answer has id 'not-r2', expected 'r2'"),
        ("out_of_range_detector.py", "out of range"),
        ("inverted_detector.py", "empty or inverted"),
        ("not_json_detector.py", "invalid JSON on stdout: 'this is not json'"),
    ],
)
def test_each_fault_names_the_record(script, words):
    detector = CommandDetector(command(script), timeout=2)
    started = time.monotonic()
    with pytest.raises(DetectorFault) as caught:
        detector(IDS, TEXTS)
    message = str(caught.value)
    assert caught.value.record_id == "r2", message
    assert "record 'r2'" in message
    assert words in message
    assert "\n" not in message
    assert time.monotonic() - started < 15
    # the process is gone, and the adapter refuses further work
    assert detector._process.poll() is not None
    with pytest.raises(DetectorFault, match="already failed"):
        detector(["r9"], ["RAS"])
    detector.close()


def test_crash_message_carries_the_stderr_tail():
    detector = CommandDetector(command("raises_detector.py"), timeout=5)
    with pytest.raises(DetectorFault, match="RuntimeError: boom on r2"):
        detector(IDS, TEXTS)
    detector.close()


def test_missing_program_is_a_load_error():
    with pytest.raises(DetectorLoadError, match="cannot start detector command"):
        CommandDetector("no-such-program-breachbench --jsonl")


def test_open_detector_with_a_command():
    with open_detector(command=command("echo_detector.py"), timeout=10) as detector:
        assert detector(["a"], ["VIH"])[0].spans == [PredictedSpan(0, 3, "serology")]
