"""``generate --resume``: an interrupted directory run continues from its finished parts and
ends with the very files an uninterrupted run writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from breachbench.generator import api
from breachbench.generator.api import generate_dataset
from breachbench.generator.block import BLOCK_ROWS
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.journal import JOURNAL_NAME, read_journal
from breachbench.generator.output.target import OutputError
from click.testing import CliRunner
from support.files import file_digests

from breachbench.cli import main

REPO = Path(__file__).resolve().parents[1]
PARTS = 5  # a run killed once two parts are done is still midway
ROWS = PARTS * BLOCK_ROWS - 5_000


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files of the uninterrupted run."""
    out = tmp_path_factory.mktemp("whole") / "parts"
    options = GenerateOptions(rows=ROWS, seed=9, workers=2)
    generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS)
    return file_digests(out)


def _journal_parts(partial: Path) -> int:
    try:
        return len((partial / JOURNAL_NAME).read_text().splitlines()) - 1
    except OSError:
        return 0


@pytest.mark.parametrize(
    "signum",
    [
        # kill -9 leaves what a run failing midway leaves, which the tests below make in
        # process (finished parts, a torn journal line): the real process in pytest -m slow.
        pytest.param(signal.SIGKILL, marks=pytest.mark.slow),
        signal.SIGTERM,
    ],
)
def test_a_run_killed_midway_resumes_to_the_same_files(
    tmp_path: Path, whole: dict[str, str], signum: int
) -> None:
    command = [sys.executable, "-m", "breachbench", "generate", "--rows", str(ROWS)]
    command += ["--seed", "9", "--part-rows", str(BLOCK_ROWS), "--out", "parts/", "--resume"]
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [*command, "--workers", "1"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    partial = tmp_path / ".parts.partial"
    deadline = time.monotonic() + 120
    try:
        while _journal_parts(partial) < 2:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no part finished within 120 s"
            time.sleep(0.02)
    finally:
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode in (-signum, 128 + signum), stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "parts").exists()  # nothing under the final name
    _, done = read_journal(partial)
    assert 2 <= len(done) < PARTS, "the run ended before it could be interrupted"
    if signum == signal.SIGTERM:
        assert "the same command with --resume continues" in stderr
    result = CliRunner().invoke(
        main, [*command[3:-3], "--out", str(tmp_path / "parts") + "/", "--resume"]
    )
    assert result.exit_code == 0, result.output
    assert f"{sum(p.entry.rows for p in done):,} of them kept" in result.stdout
    assert file_digests(tmp_path / "parts") == whole
    assert not partial.exists()


def _interrupted_run(out: Path, monkeypatch: pytest.MonkeyPatch, parts: int) -> Path:
    """A ``--resume`` run whose part ``parts`` fails: ``parts`` parts stay finished."""
    real = api.write_part
    calls = {"n": 0}

    def failing(job):
        calls["n"] += 1
        if calls["n"] > parts:
            raise RuntimeError("disk on fire")
        return real(job)

    monkeypatch.setattr(api, "write_part", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_dataset(
            out,
            GenerateOptions(rows=ROWS, seed=9),
            progress=False,
            part_rows=BLOCK_ROWS,
            resume=True,
        )
    monkeypatch.setattr(api, "write_part", real)
    return out.with_name(f".{out.name}.partial")


def test_a_damaged_part_or_a_torn_journal_line_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole: dict[str, str]
) -> None:
    out = tmp_path / "parts"
    partial = _interrupted_run(out, monkeypatch, parts=3)
    assert sorted(p.name for p in partial.iterdir() if p.suffix == ".parquet") == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    damaged = partial / "part-00001.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")  # same size, other bytes
    with (partial / JOURNAL_NAME).open("a") as journal:
        journal.write('{"name": "part-00003.parq')  # a crash mid-line
    (partial / "part-00003.parquet").write_bytes(b"PAR1 torn")
    made: list[str] = []
    real = api.write_part

    def watched(job):
        made.append(job.name)
        return real(job)

    monkeypatch.setattr(api, "write_part", watched)
    summary = generate_dataset(
        out,
        GenerateOptions(rows=ROWS, seed=9),
        progress=False,
        part_rows=BLOCK_ROWS,
        resume=True,
    )
    assert "part-00001.parquet" in made and "part-00000.parquet" not in made
    assert summary.resumed_rows == 2 * BLOCK_ROWS
    assert file_digests(out) == whole


def test_resuming_with_other_options_is_refused_and_keeps_the_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "parts"
    partial = _interrupted_run(out, monkeypatch, parts=1)
    before = file_digests(partial)
    with pytest.raises(OutputError, match="interrupted run with other options"):
        generate_dataset(
            out,
            GenerateOptions(rows=ROWS, seed=10),
            progress=False,
            part_rows=BLOCK_ROWS,
            resume=True,
        )
    assert file_digests(partial) == before
    # Without --resume, the run starts over, and the stale parts go once it succeeds.
    generate_dataset(out, GenerateOptions(rows=1_000, seed=10), progress=False)
    assert not partial.exists()
    assert (out / "manifest.json").is_file()


def test_a_resume_run_that_fails_before_any_part_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "deep" / "parts"
    _interrupted_run(out, monkeypatch, parts=0)
    assert list(tmp_path.iterdir()) == []


def test_resume_of_a_whole_output_does_nothing(tmp_path: Path) -> None:
    out = tmp_path / "parts"
    options = GenerateOptions(rows=1_000, seed=9)
    generate_dataset(out, options, progress=False, resume=True)
    stamp = (out / "manifest.json").stat().st_mtime_ns
    again = generate_dataset(out, options, progress=False, resume=True)
    assert again.nothing_to_do is not None and again.rows == 0
    assert (out / "manifest.json").stat().st_mtime_ns == stamp
    # Other options: an existing output, refused as without --resume.
    with pytest.raises(OutputError, match="already exists"):
        generate_dataset(out, GenerateOptions(rows=1_000, seed=8), progress=False, resume=True)


def test_a_fresh_resume_run_writes_what_a_plain_run_writes(tmp_path: Path) -> None:
    options = GenerateOptions(rows=2 * BLOCK_ROWS + 7, seed=1)
    generate_dataset(tmp_path / "plain", options, progress=False, part_rows=BLOCK_ROWS)
    generate_dataset(
        tmp_path / "resumable", options, progress=False, part_rows=BLOCK_ROWS, resume=True
    )
    assert file_digests(tmp_path / "resumable") == file_digests(tmp_path / "plain")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "resumable"]


def test_a_second_run_on_an_output_being_written_is_refused_and_harms_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole: dict[str, str]
) -> None:
    """Another live process holds the staging lock (as a concurrent ``--resume`` run of
    the same command does): this run stops with one line and leaves that run's parts; once
    the other process is gone, the same command resumes to the uninterrupted result."""
    out = tmp_path / "parts"
    partial = _interrupted_run(out, monkeypatch, parts=2)
    before = file_digests(partial)
    lock = partial.with_name(partial.name + ".lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'a');"
            " fcntl.lockf(f.fileno(), fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        options = GenerateOptions(rows=ROWS, seed=9, workers=2)
        with pytest.raises(OutputError, match=r"another breachbench run is writing .*parts"):
            generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS, resume=True)
        assert file_digests(partial) == before and not out.exists()
    finally:
        holder.communicate("")
    generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS, resume=True)
    assert file_digests(out) == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]
