"""Faults of ``breachbench bench`` and ``describe`` (issue 11): each gets one clean outcome.

Real files, real child processes: detectors are small modules written into the test's
working directory and imported by name, as a user would.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.dataset import DatasetError, open_dataset
from breachbench.benchmarks.reports.markdown import render_leaderboard_markdown
from breachbench.benchmarks.results import load_results
from click.testing import CliRunner

from breachbench.cli import main

RUN_FILES = ("results.json", "results.md", "report.html", "predictions.jsonl", "errors.jsonl")
N = 30

DETECTORS = '''
import os, time

def find_spans(texts):
    """Finds "VIH" wherever it is."""
    return [[(t.index("VIH"), t.index("VIH") + 3, "serology")] if "VIH" in t else [] for t in texts]

def hang(texts):
    if any("2017" in t for t in texts):
        time.sleep(3600)
    return [[] for _ in texts]

def crash(texts):
    if any("2017" in t for t in texts):
        os._exit(7)
    return [[] for _ in texts]

class BadClose:
    def __call__(self, texts):
        return [[] for _ in texts]

    def close(self):
        raise RuntimeError("cannot flush the model cache")

class Hog:
    """Holds 120 MB for its whole life, as a model would."""
    def __init__(self):
        self.model = bytearray(120 * 2**20)
        self.model[:: 4096] = b"x" * len(self.model[:: 4096])

    def __call__(self, texts):
        return [[] for _ in texts]

class Named:
    name = "<b>bold</b> | pipe\\nnewline [link](http://example.org) *em* _u_ `code`"

    def __call__(self, texts):
        return [[(0, 2, "<script>x</script>|label")] if t else [] for t in texts]
'''


def record(i: int, **overrides) -> dict:
    text = f"Patient VIH+ depuis {2000 + i}"
    row = {
        "patient_id": f"P{i:03d}",
        "admin_comment": text,
        "sensitive": True,
        "categories": ["serology"],
        "spans": [
            {
                "start": 8,
                "end": 11,
                "category": "serology",
                "subject": "patient",
                "assertion": "affirmed",
            }
        ],
    }
    row.update(overrides)
    return row


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding ``mydetectors.py`` and ``data.jsonl``, and a clean
    import state: the module is imported by name from here, as a user would."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BREACHBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "mydetectors", raising=False)
    (tmp_path / "mydetectors.py").write_text(DETECTORS, encoding="utf-8")
    write_jsonl(tmp_path / "data.jsonl", [record(i) for i in range(N)])
    return tmp_path


def bench(*args: str):
    return CliRunner().invoke(main, ["bench", *args, "--bootstrap", "20", "--no-progress"])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- 1. all or nothing ----------------------------------------------------------------


def test_a_failed_rerun_leaves_the_previous_output_whole(here: Path) -> None:
    first = bench("data.jsonl", "-d", "keywords", "-o", "run")
    assert first.exit_code == 0, first.output
    before = snapshot(here / "run")
    assert set(before) == set(RUN_FILES)
    rows = [record(i) for i in range(N)]
    rows[20]["spans"][0]["end"] = 119  # past the end of a 24-character comment, mid-run
    write_jsonl(here / "bad.jsonl", rows)
    again = bench("bad.jsonl", "-d", "keywords", "-o", "run", "--overwrite")
    assert again.exit_code == 2
    assert "P020" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert snapshot(here / "run") == before  # not truncated, not mixed
    assert sorted(p.name for p in here.iterdir() if p.name.startswith(".")) == []


def test_the_default_output_is_kept_whole_when_a_rerun_fails(here: Path) -> None:
    assert bench("data.jsonl", "-d", "none").exit_code == 0
    out = here / "breachbench-output" / "bench"
    before = snapshot(out)
    rows = [record(i) for i in range(N)]
    rows[25]["spans"][0]["start"] = -4
    write_jsonl(here / "bad.jsonl", rows)
    assert bench("bad.jsonl", "-d", "none").exit_code == 2
    assert snapshot(out) == before


def test_a_full_disk_keeps_the_previous_output_whole(here: Path) -> None:
    disk = here / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        small = bench("data.jsonl", "-d", "none", "-o", str(disk / "run"))
        assert small.exit_code == 0, small.output
        before = snapshot(disk / "run")
        long = "x" * 2000
        rows = [record(i, admin_comment=f"Patient VIH+ {long} {i}") for i in range(200)]
        write_jsonl(here / "big.jsonl", rows)
        full = bench("big.jsonl", "-d", "none", "-o", str(disk / "run"), "--overwrite")
        assert full.exit_code == 1
        assert "No space left" in full.stderr and len(full.stderr.strip().splitlines()) == 1
        assert snapshot(disk / "run") == before
        assert [p.name for p in disk.iterdir()] == ["run"]
    finally:
        gone = subprocess.run(["umount", str(disk)], capture_output=True, text=True)
        if gone.returncode:  # a descriptor still open on it: a leak of the failed run
            subprocess.run(["umount", "-l", str(disk)], check=False)
        assert gone.returncode == 0, gone.stderr


@pytest.mark.parametrize("out", [".", "./", "..", "/"])
def test_the_working_directory_or_above_is_refused_as_out(here: Path, out: str) -> None:
    result = bench("data.jsonl", "-d", "none", "-o", out, "--overwrite")
    assert result.exit_code == 2 and "working directory" in result.stderr
    assert sorted(p.name for p in here.iterdir()) == ["data.jsonl", "mydetectors.py"]


def test_an_out_holding_other_files_is_not_replaced(here: Path) -> None:
    mine = here / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    result = bench("data.jsonl", "-d", "none", "-o", "mine", "--overwrite")
    assert result.exit_code == 2 and "did not write" in result.stderr
    assert (mine / "notes.txt").read_text() == "precious"


# -- 4. gold spans --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "why"),
    [((13, 119), "ends past its comment of 24 characters"), ((11, 8), "inverted")],
)
def test_gold_spans_out_of_the_text_are_refused_naming_the_record(
    here: Path, span: tuple[int, int], why: str
) -> None:
    rows = [record(i) for i in range(N)]
    rows[7]["spans"][0].update(start=span[0], end=span[1])
    write_jsonl(here / "bad.jsonl", rows)
    with pytest.raises(DatasetError, match=f"record 'P007'.*{why}"):
        for _ in open_dataset(here / "bad.jsonl").batches():
            pass
    result = bench("bad.jsonl", "-d", "none", "-o", "run")
    assert result.exit_code == 2 and "P007" in result.stderr
    assert not (here / "run").exists()


# -- 5. one line, not a traceback -----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--detector-cmd", ""], "--detector-cmd is empty"),
        (["--detector-cmd", "   "], "--detector-cmd is empty"),
        (["--detector-cmd", "'unclosed"], "cannot parse detector command"),
        (["-d", "none", "--timeout", "inf"], "timeout must be"),
        (["-d", "none", "--timeout", "1e12"], "timeout must be"),
        (["-d", "none", "--timeout", "nan"], "timeout must be"),
        (["-d", "none", "--sample", "31"], "--sample 31 is larger than the 30 rows"),
        (["-d", "none", "--limit", "5", "--sample", "6"], "larger than the first 5"),
    ],
)
def test_bad_options_are_one_line_exit_2(here: Path, args: list[str], message: str) -> None:
    result = bench("data.jsonl", "-o", "run", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (here / "run").exists()


@pytest.mark.parametrize("isolate", ["--isolate", "--no-isolate"])
def test_a_close_that_raises_keeps_the_results(here: Path, isolate: str) -> None:
    result = bench("data.jsonl", "-d", "mydetectors:BadClose", "-o", "run", isolate)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "close()" in lines[0] and "cannot flush" in lines[0]
    results = load_results(here / "run" / "results.json")
    assert results["records"]["scored"] == N
    assert results["status"]["partial"] is True
    assert set(snapshot(here / "run")) == set(RUN_FILES)


def test_a_detector_whose_import_raises_is_one_line(here: Path) -> None:
    (here / "broken.py").write_text("raise RuntimeError('model file missing')\n")
    result = bench("data.jsonl", "-d", "broken:detect", "-o", "run", "--no-isolate")
    assert result.exit_code == 2
    assert "model file missing" in result.stderr and "Traceback" not in result.output


# -- 6. --isolate: timeout and crash of a Python detector ------------------------------


@pytest.mark.parametrize(
    ("spec", "reason"),
    [("hang", "no answer within 2s"), ("crash", "exited with code 7")],
)
def test_a_python_detector_that_hangs_or_crashes_is_a_fault(
    here: Path, spec: str, reason: str
) -> None:
    started = time.monotonic()
    result = bench(
        "data.jsonl", "-d", f"mydetectors:{spec}", "-o", "run", "--timeout", "2",
        "--batch-size", "4",
    )  # fmt: skip
    assert time.monotonic() - started < 30
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0]
    assert "'P016'" in lines[0]  # the batch of P016-P019 holds the year 2017
    results = load_results(here / "run" / "results.json")
    assert results["status"]["fault_record_id"] == "P016"
    assert results["records"]["scored"] == 16
    assert results["options"]["isolate"] is True  # the default for a module:callable


def test_isolated_and_in_process_runs_score_alike(here: Path) -> None:
    runs = {}
    for flag in ("--isolate", "--no-isolate"):
        result = bench(
            "data.jsonl", "-d", "mydetectors:find_spans", "-o", flag, "--batch-size", "7"
        )
        assert result.exit_code == 0, result.output
        runs[flag] = load_results(here / flag / "results.json")
        assert (here / flag / "predictions.jsonl").read_text().count("VIH") == 0
    assert runs["--isolate"]["metrics"] == runs["--no-isolate"]["metrics"]
    assert runs["--isolate"]["metrics"]["headline"]["span_strict_recall"]["value"] == 1.0
    assert runs["--isolate"]["throughput"]["memory_scope"] == "detector process (isolated)"
    a = (here / "--isolate" / "predictions.jsonl").read_text()
    assert a == (here / "--no-isolate" / "predictions.jsonl").read_text()


# -- 7. the detector's own memory -----------------------------------------------------


def test_memory_is_the_detectors_own(here: Path) -> None:
    figures = {}
    for spec, flag in [
        ("none", "--no-isolate"),
        ("mydetectors:Hog", "--no-isolate"),
        ("mydetectors:Hog", "--isolate"),
    ]:
        out = f"{spec}{flag}"
        result = bench("data.jsonl", "-d", spec, "-o", out, flag)
        assert result.exit_code == 0, result.output
        throughput = load_results(here / out / "results.json")["throughput"]
        figures[out] = (throughput["peak_memory_bytes"], throughput["memory_scope"])
    none, scope = figures["none--no-isolate"]
    assert scope == "in process: added above the harness's baseline"
    assert none is not None and none < 16 * 2**20  # it does nothing; the harness is ~150 MB
    hog, _ = figures["mydetectors:Hog--no-isolate"]
    assert 110 * 2**20 < hog < 200 * 2**20
    child, scope = figures["mydetectors:Hog--isolate"]
    assert scope == "detector process (isolated)" and child > 120 * 2**20


# -- 8. the working directory is on the import path ------------------------------------


def test_module_in_the_working_directory_is_found_by_the_installed_script(here: Path) -> None:
    script = Path(sys.executable).parent / "breachbench"
    if not script.exists():
        pytest.skip("no breachbench script beside this Python")
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}  # this checkout's code, not another copy
    for flag in ("--no-isolate", "--isolate"):
        done = subprocess.run(
            [str(script), "bench", "data.jsonl", "-d", "mydetectors:find_spans", flag,
             "-o", f"run{flag}", "--bootstrap", "10", "--no-progress"],
            cwd=here, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


# -- 9. Markdown escaping -------------------------------------------------------------


def test_markdown_escapes_names_labels_and_paths(here: Path) -> None:
    odd = here / "a|b <i>x<i> *y*.jsonl"
    odd.write_bytes((here / "data.jsonl").read_bytes())
    result = bench(str(odd), "-d", "mydetectors:Named", "-o", "run", "--no-isolate")
    assert result.exit_code == 0, result.output
    md = (here / "run" / "results.md").read_text()
    for raw in ("<b>", "<i>", "<script>", "[link](http", "`code`"):
        assert raw not in md, raw
    assert "&lt;b&gt;bold&lt;/b&gt;" in md
    blocks: list[list[int]] = [[]]
    for line in md.splitlines():  # every row of a table has as many cells as its header
        if line.startswith("|"):
            blocks[-1].append(line.replace("\\|", "").count("|"))
        elif blocks[-1]:
            blocks.append([])
    assert len(blocks) > 3
    for widths in blocks:
        assert len(set(widths)) <= 1, widths


# -- 10. every format generate writes --------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    runner = CliRunner()
    for out, fmt in [
        ("d.parquet", "parquet"),
        ("d.csv", "csv"),
        ("d.jsonl", "jsonl"),
        ("parts-jsonl/", "jsonl"),
        ("parts-csv/", "csv"),
    ]:
        result = runner.invoke(
            main,
            [
                "generate",
                "--rows",
                "600",
                "--seed",
                "4",
                "--out",
                str(root / out),
                "--format",
                fmt,
                "--no-progress",
            ],
        )
        assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "parts-jsonl", "parts-csv"])
def test_bench_and_describe_read_every_format_generate_writes(
    generated: Path, tmp_path: Path, name: str
) -> None:
    runner = CliRunner()
    reference = runner.invoke(main, ["describe", str(generated / "d.parquet"), "--json"])
    described = runner.invoke(main, ["describe", str(generated / name), "--json"])
    assert described.exit_code == 0, described.output
    assert json.loads(described.stdout)["rows"] == json.loads(reference.stdout)["rows"] == 600
    outs = {}
    for data in ("d.parquet", name):
        out = tmp_path / data
        result = runner.invoke(
            main,
            [
                "bench",
                str(generated / data),
                "-d",
                "keywords",
                "-o",
                str(out),
                "--bootstrap",
                "10",
                "--no-progress",
            ],
        )
        assert result.exit_code == 0, result.output
        outs[data] = load_results(out / "results.json")
    assert outs[name]["metrics"] == outs["d.parquet"]["metrics"]
    ours = (tmp_path / name / "predictions.jsonl").read_text()
    assert ours == (tmp_path / "d.parquet" / "predictions.jsonl").read_text()


def test_csv_null_comment_and_empty_comment_stay_apart(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text(
        "patient_id,admin_comment,sensitive,categories,spans\n"
        'A,,false,"[]","[]"\n'
        'B,"",false,"[]","[]"\n'
        'C,"Patient VIH+, ""dit-il""\nsuite",true,"[""serology""]",'
        '"[{""start"":8,""end"":11,""category"":""serology"",""subject"":""patient"",'
        '""assertion"":""affirmed""}]"\n',
        encoding="utf-8",
    )
    rows = [r for b in open_dataset(data).batches() for r in b.to_pylist()]
    assert [r["admin_comment"] for r in rows] == [None, "", 'Patient VIH+, "dit-il"\nsuite']
    assert rows[2]["spans"][0]["category"] == "serology"


# -- 11. smaller ones -----------------------------------------------------------------


def test_results_json_has_the_mode_of_the_other_files(here: Path) -> None:
    assert bench("data.jsonl", "-d", "none", "-o", "run").exit_code == 0
    modes = {name: stat.S_IMODE((here / "run" / name).stat().st_mode) for name in RUN_FILES}
    assert len(set(modes.values())) == 1, modes


def test_leaderboard_explains_abbreviations_and_prints_small_p_alike(here: Path) -> None:
    result = bench("data.jsonl", "-d", "mydetectors:find_spans", "-d", "none", "-o", "lb")
    assert result.exit_code == 0, result.output
    for words in ("sens F1", "sensitive-record F1", "leak id", "MB"):
        assert words in result.stdout
    md = (here / "lb" / "leaderboard.md").read_text()
    assert "0.000" not in md
    if "p<.001" in result.stdout:
        assert "<0.001" in md or "&lt;0.001" in md


def test_small_p_values_are_written_as_a_bound() -> None:
    from breachbench.benchmarks.compare import Comparison

    item = Comparison(
        "a", "b", {"record_sensitive_f1": {"diff": 0.1, "ci_low": 0.05, "ci_high": 0.2,
                                          "p_value": 0.0}},
    )  # fmt: skip
    md = render_leaderboard_markdown([], [item])
    assert "0.000" not in md and "&lt;0.001" in md


def test_generated_parquet_passes_the_span_check(tmp_path: Path) -> None:
    """The span check reads Parquet too: a generated file passes it whole."""
    out = tmp_path / "g.parquet"
    result = CliRunner().invoke(main, ["generate", "--rows", "300", "--out", str(out)])
    assert result.exit_code == 0
    assert sum(b.num_rows for b in open_dataset(out).batches(64)) == 300
    assert pq.ParquetFile(out).metadata.num_rows == 300


# -- 3. SIGTERM and SIGHUP mid-bench ----------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _bench_stuck_in_a_hung_detector(here: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """A real ``bench`` process whose isolated detector is stuck on a batch, and its children."""
    repo = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "breachbench", "bench", "data.jsonl", "-d", "mydetectors:hang",
         "--timeout", "600", "--batch-size", "4", "-o", "run", "--no-progress"],
        cwd=here, env={**os.environ, "PYTHONPATH": str(repo)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    children: list[int] = []
    while not children or not any(p.name.startswith(".run.tmp-") for p in here.iterdir()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.1)
        children = _children(process.pid)
    time.sleep(1.5)  # the isolated detector is now stuck on the batch holding 2017
    return process, children


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_bench_leaves_no_folder_and_no_detector(here: Path, signum: int) -> None:
    process, children = _bench_stuck_in_a_hung_detector(here)
    started = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - started < 4  # the hung child is killed, not waited for
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and "Aborted" in stderr
    assert not (here / "run").exists()
    assert [p.name for p in here.iterdir() if p.name.startswith(".")] == []
    assert all(_gone(child) for child in children)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_hung_isolated_detector_does_not_outlive_a_killed_bench(here: Path) -> None:
    """``kill -9`` gives the harness no chance to stop its child: the child notices it was
    orphaned and exits on its own, even stuck in the detector's call."""
    process, children = _bench_stuck_in_a_hung_detector(here)
    process.kill()
    process.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while not all(_gone(child) for child in children):
        assert time.monotonic() < deadline, "the isolated detector outlived the harness"
        time.sleep(0.1)


def test_csv_with_line_breaks_across_read_blocks(tmp_path: Path) -> None:
    """Line breaks inside quoted comments, in a file larger than one read block."""
    data = tmp_path / "big.csv"
    row = 'P{:06d},"Patient VIH+\nrappeler\r\nle {:06d}",true,"[""serology""]","[]"\n'
    body = "".join(row.format(i, i) for i in range(150_000))
    data.write_text("patient_id,admin_comment,sensitive,categories,spans\n" + body, "utf-8")
    assert data.stat().st_size > 8 * 2**20
    dataset = open_dataset(data)
    assert dataset.info.rows == 150_000
    texts = [t for b in dataset.batches(7_000) for t in b.column("admin_comment").to_pylist()]
    assert len(texts) == 150_000 and texts[-1] == "Patient VIH+\nrappeler\r\nle 149999"
