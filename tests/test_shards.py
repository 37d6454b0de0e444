"""``generate --shard I/N``: many machines, one dataset, file for file the single-machine one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.dataset import DatasetError, open_dataset
from breachbench.generator.api import generate_dataset, merge_shards
from breachbench.generator.block import BLOCK_ROWS
from breachbench.generator.options import GenerateOptions, OptionError, Shard, parse_shard
from breachbench.generator.output.target import OutputError
from click.testing import CliRunner
from support.files import file_digests

from breachbench.cli import main

ROWS = 3 * BLOCK_ROWS + 1_000  # four parts of BLOCK_ROWS, the last one short
PART = str(BLOCK_ROWS)


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset one machine writes."""
    out = tmp_path_factory.mktemp("single") / "parts"
    generate_dataset(out, GenerateOptions(rows=ROWS, seed=5), progress=False, part_rows=BLOCK_ROWS)
    return out


def test_parse_shard_reads_i_of_n_and_refuses_the_rest() -> None:
    assert parse_shard("3/16") == Shard(3, 16)
    assert parse_shard(" 0/1 ") == Shard(0, 1)
    for bad in ("16/16", "1/0", "-1/4", "a/4", "3", "3/4/5", ""):
        with pytest.raises(OptionError, match="shard must be I/N"):
            parse_shard(bad)


@pytest.mark.parametrize("total", [0, 1, 3, 4, 17])
@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_shards_cut_the_parts_into_contiguous_disjoint_slices(total: int, count: int) -> None:
    slices = [Shard(index, count).parts(total) for index in range(count)]
    assert [k for part in slices for k in part] == list(range(total))
    sizes = [len(part) for part in slices]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize(
    "count",
    [
        2,
        # 6 shards for 4 parts: two are empty. 3 shards cut the 4 parts 2-1-1, an uneven
        # cut that test_shards_cut_the_parts_into_contiguous_disjoint_slices checks with
        # every other one: the real files in pytest -m slow.
        pytest.param(3, marks=pytest.mark.slow),
        6,
    ],
)
def test_shards_in_one_directory_make_the_single_machine_dataset(
    tmp_path: Path, single: Path, count: int
) -> None:
    out = tmp_path / "parts"
    options = GenerateOptions(rows=ROWS, seed=5)
    summaries = []
    for index in reversed(range(count)):  # any order: the last one in merges
        if summaries:  # some shards are whole, not all: readers refuse the fraction
            with pytest.raises(DatasetError, match=rf"still being written \({len(summaries)} of"):
                open_dataset(out)
        summaries.append(
            generate_dataset(
                out, options, progress=False, part_rows=BLOCK_ROWS, shard=Shard(index, count)
            )
        )
    assert all(s.merged is not None for s in summaries)
    assert [s.merged.complete for s in summaries] == [False] * (count - 1) + [True]
    assert sum(s.rows for s in summaries) == ROWS
    assert file_digests(out) == file_digests(single)  # parts, manifest.json, card, Croissant
    assert len(list(out.glob("manifest.shard-*-of-*.json"))) == count
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    shards = pq.read_table(sorted(out.glob("part-*.parquet")))
    assert shards.equals(pq.read_table(sorted(single.glob("part-*.parquet"))))
    assert shards.num_rows == ROWS
    assert open_dataset(out).info.rows == ROWS


def test_shards_on_separate_disks_are_merged_once_copied_together(
    tmp_path: Path, single: Path
) -> None:
    runner = CliRunner()
    common = ["generate", "--rows", str(ROWS), "--seed", "5", "--part-rows", PART]
    for index in range(3):
        result = runner.invoke(
            main, [*common, "--shard", f"{index}/3", "--out", str(tmp_path / f"m{index}") + "/"]
        )
        assert result.exit_code == 0, result.output
        assert "still missing" in result.stdout
    merged = tmp_path / "merged"
    merged.mkdir()
    for index in (0, 2):
        for path in (tmp_path / f"m{index}").iterdir():
            shutil.copy(path, merged / path.name)
    missing = runner.invoke(main, ["generate", "--merge-manifests", str(merged)])
    assert missing.exit_code == 2
    assert "1 of 3 shards missing (1)" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert not (merged / "manifest.json").exists()
    for path in (tmp_path / "m1").iterdir():
        shutil.copy(path, merged / path.name)
    result = runner.invoke(main, ["generate", "--merge-manifests", str(merged)])
    assert result.exit_code == 0, result.output
    assert f"All 3 shards are in: wrote {merged / 'manifest.json'}" in result.stdout
    assert file_digests(merged) == file_digests(single)


def test_a_missing_part_file_stops_the_merge(tmp_path: Path) -> None:
    out = tmp_path / "parts"
    options = GenerateOptions(rows=ROWS, seed=5)
    generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS, shard=Shard(0, 2))
    (out / "part-00000.parquet").unlink()
    with pytest.raises(OutputError, match="shard 1/2 is written, but the shards cannot merge"):
        generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS, shard=Shard(1, 2))
    assert (out / "manifest.shard-00001-of-00002.json").is_file()
    assert not (out / "manifest.json").exists()
    result = CliRunner().invoke(main, ["generate", "--merge-manifests", str(out)])
    assert result.exit_code == 2
    assert "part-00000.parquet is missing" in result.stderr


def test_a_shard_of_another_dataset_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "parts"
    generate_dataset(out, GenerateOptions(rows=ROWS, seed=5), progress=False, shard=Shard(0, 2))
    before = sorted(p.name for p in out.iterdir())
    common = ["generate", "--rows", str(ROWS), "--out", str(out)]
    for extra in (["--seed", "6", "--shard", "1/2"], ["--seed", "5", "--shard", "1/3"]):
        result = CliRunner().invoke(main, [*common, *extra])
        assert result.exit_code == 2, result.output
        assert "shard of another dataset" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_shard_run_again_needs_resume_or_overwrite(tmp_path: Path) -> None:
    out = str(tmp_path / "parts") + "/"
    command = ["generate", "--rows", "1000", "--shard", "0/2", "--out", out]
    runner = CliRunner()
    assert runner.invoke(main, command).exit_code == 0
    again = runner.invoke(main, command)
    assert again.exit_code == 2
    assert "--resume skips it" in again.stderr
    resumed = runner.invoke(main, [*command, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "Nothing to do: shard 0/2 is already whole" in resumed.stdout
    assert runner.invoke(main, [*command, "--overwrite"]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "2/2", "--out", "d/"], "shard must be I/N with 0 <= I < N"),
        (["--shard", "half", "--out", "d/"], "shard must be I/N, like 0/4"),
        (["--shard", "0/2", "--out", "x.parquet"], "--shard writes part files"),
        (["--resume", "--out", "x.csv"], "--resume writes part files"),
        (["--scheduler", "tcp://127.0.0.1:1", "--out", "d/"], "--scheduler needs --engine dask"),
    ],
)
def test_bad_shard_and_resume_options_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["generate", "--rows", "10", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_merging_a_directory_without_shards_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "--merge-manifests", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds no shard manifest" in result.stderr


def test_merge_is_idempotent(tmp_path: Path, single: Path) -> None:
    out = tmp_path / "parts"
    options = GenerateOptions(rows=ROWS, seed=5)
    for index in range(2):
        generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS, shard=Shard(index, 2))
    first = file_digests(out)
    again = merge_shards(out)
    assert again.complete and again.rows == ROWS
    assert file_digests(out) == first == file_digests(single)
