"""Faults of ``breachbench generate`` (issue 11): huge --rows, SIGTERM/SIGHUP, leftovers of
dead runs, too many workers, a mount point as output, plain ``breachbench``."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from breachbench.generator.output.target import pid_alive, remove_dead_leftovers
from breachbench.generator.run.runner import (
    BLOCK_ROWS,
    iter_spans,
    ordered_map,
    part_name,
    part_width,
)
from click.testing import CliRunner

from breachbench.cli import main

REPO = Path(__file__).resolve().parents[1]


def env(**extra: str) -> dict[str, str]:
    """The environment of a child ``python -m breachbench`` that imports this checkout's
    code whatever its working directory (an installed copy elsewhere must not win)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def _double(value: int) -> int:
    return 2 * value


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not pid_alive(process.pid)
    return process.pid


def test_spans_of_an_astronomical_row_count_are_planned_lazily() -> None:
    started = time.monotonic()
    spans = iter_spans(0, 10**15, BLOCK_ROWS)
    assert next(spans) == (0, BLOCK_ROWS)
    assert time.monotonic() - started < 1.0
    with pytest.raises(ValueError):
        iter_spans(1, 10, 4096)  # checked at once, not at the first next()


@pytest.mark.parametrize("workers", [1, 2])
def test_ordered_map_pulls_items_only_as_far_as_its_look_ahead(workers: int) -> None:
    pulled: list[int] = []

    def endless():
        for i in itertools.count():
            pulled.append(i)
            yield i

    results = ordered_map(_double, endless(), workers=workers, in_flight=3)
    assert [next(results) for _ in range(5)] == [0, 2, 4, 6, 8]
    results.close()
    assert len(pulled) <= 5 + 3 + workers


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize(
    ("signum", "out", "workers", "watch"),
    [
        (signal.SIGINT, "big.parquet", 2, 0),
        (signal.SIGTERM, "big/", 1, 0),
        (signal.SIGHUP, "big.jsonl", 1, 0),
        pytest.param(signal.SIGINT, "big.parquet", 2, 10, marks=pytest.mark.slow),
        pytest.param(signal.SIGTERM, "big/", 2, 10, marks=pytest.mark.slow),
        pytest.param(signal.SIGHUP, "big.jsonl", 2, 10, marks=pytest.mark.slow),
    ],
)
def test_a_signal_mid_run_of_huge_rows_leaves_nothing(
    tmp_path: Path, signum: int, out: str, workers: int, watch: int
) -> None:
    """10**13 rows: the first bytes are written within seconds in flat memory; Ctrl-C,
    SIGTERM or SIGHUP then cleans up and exits 128 + signal.

    The real processes of the suite's signal tests: each signal and each output layout
    once (the cleanup depends on the layout, not on the signal, which the CLI turns into
    the same KeyboardInterrupt). Each gets its signal once the first bytes are written
    (batches of 4,096 rows: with the default 131,072, the Parquet case's two workers made
    about half a million rows, four CPU-seconds, before its first row group);
    in ``pytest -m slow``, each also goes on for ``watch`` tenths of a second first,
    memory watched (the single Parquet file's footer grows with the run): three busy
    processes for a second cost three CPU-seconds per case. By default, only the Parquet
    case starts worker processes (the pool's teardown does not depend on the layout,
    and starting it costs about as much as the rest of a case)."""
    command = [sys.executable, "-m", "breachbench", "generate", "--rows", str(10**13)]
    command += ["--workers", str(workers), "--out", out]
    command += ["--part-rows", "4096", "--batch-size", "4096"]
    scratch = tmp_path.parent / f"{tmp_path.name}-tmp"  # TMPDIR: must stay empty too
    scratch.mkdir()
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env(TMPDIR=str(scratch)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, to kill with its workers
    )
    deadline = time.monotonic() + 30
    peak = 0

    def written() -> int:
        total = 0
        for path in tmp_path.rglob("*"):
            if path.is_file():
                total += path.stat().st_size
        return total

    try:
        while written() == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no row written within 30 s"
            peak = max(peak, _rss_bytes(process.pid))
            time.sleep(0.05)
        for _ in range(watch):  # keep going: memory must stay flat
            peak = max(peak, _rss_bytes(process.pid))
            time.sleep(0.1)
    finally:
        process.send_signal(signum)
        try:
            _, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # The signal was missed: left alone, the run would write until the disk is full.
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    assert peak < 1024 * 2**20, f"parent RSS reached {peak / 2**20:.0f} MB"
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "Aborted" in stderr
    assert list(tmp_path.iterdir()) == []
    assert list(scratch.iterdir()) == []


def test_a_later_run_removes_the_leftovers_of_dead_runs(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getppid()
    leftovers = [
        tmp_path / f".x.parquet.tmp-{dead}",
        tmp_path / f".x.parquet.card.md.tmp-{dead}",
        tmp_path / f".x.parquet.croissant.json.tmp-{dead}",
    ]
    for path in leftovers:
        path.write_bytes(b"half a file")
    parts = tmp_path / f".x.parquet.old-{dead}"
    parts.mkdir()
    (parts / "part-00000.parquet").write_bytes(b"x")
    kept = [
        tmp_path / f".x.parquet.tmp-{alive}",  # a concurrent run: never touched
        tmp_path / f".y.parquet.tmp-{dead}",  # another output's: its own run removes it
        tmp_path / f".x.parquetz.tmp-{dead}",
    ]
    for path in kept:
        path.write_bytes(b"keep")
    result = CliRunner().invoke(
        main, ["generate", "--rows", "10", "--out", str(tmp_path / "x.parquet")]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not any(p.exists() for p in [*leftovers, parts])
    assert all(p.exists() for p in kept)
    assert "x.parquet" in names


def test_directory_leftovers_of_a_dead_run_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    staged = tmp_path / f".parts.tmp-{dead}"
    staged.mkdir()
    (staged / "part-00000.parquet").write_bytes(b"x")
    assert remove_dead_leftovers(tmp_path, "parts") == [staged]
    assert not staged.exists()


def test_too_many_workers_are_capped_with_a_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["generate", "--rows", "10", "--workers", "1000", "--out", str(tmp_path / "a.csv")]
    )
    assert result.exit_code == 0, result.output
    cap = 2 * (os.cpu_count() or 1)
    assert f"--workers 1000 capped at {cap}" in result.stderr


def test_a_mount_point_as_output_is_refused_before_any_work(tmp_path: Path) -> None:
    mount = tmp_path / "mnt"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        result = CliRunner().invoke(main, ["generate", "--rows", "10", "--out", f"{mount}/"])
        assert result.exit_code == 2, result.output
        assert "is a mount point" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert list(tmp_path.iterdir()) == [mount]
        assert list(mount.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_plain_breachbench_prints_the_normal_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "breachbench"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(),
        cwd=REPO.parent,
    )
    assert result.returncode == 2
    assert "Error:" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Usage:") and "breachbench" in lines[0]
    assert "Commands:" in lines
    assert any(line.strip().startswith("generate") for line in lines)


def test_the_signal_handlers_are_the_hosts_again_after_a_command(tmp_path: Path) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    CliRunner().invoke(main, ["generate", "--rows", "5", "--out", str(tmp_path / "x.csv")])
    assert {s: signal.getsignal(s) for s in before} == before


def test_part_names_of_a_huge_run_still_sort_in_row_order() -> None:
    assert part_width(10**6, 4096) == 5  # the names every existing dataset has
    width = part_width(10**13, 1_048_576)
    names = [part_name(i, "parquet", width) for i in (99_999, 100_000, 9_536_742)]
    assert names == sorted(names) and width == 7
