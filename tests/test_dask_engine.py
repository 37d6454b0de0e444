"""``generate --engine dask`` and ``to_dask_dataframe``, on a real ``LocalCluster``.

Skipped without the ``dask`` extra (CI installs it); the test that the missing extra is
one line runs either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from breachbench.generator import block
from breachbench.generator.api import generate_dataset
from breachbench.generator.block import BLOCK_ROWS
from breachbench.generator.options import GenerateOptions, Shard
from support.files import file_digests

ROWS = 3 * BLOCK_ROWS + 123


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A 2-worker LocalCluster of processes for the whole module; its scheduler address."""
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def local_parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "parts"
    generate_dataset(out, GenerateOptions(rows=ROWS, seed=4), progress=False, part_rows=BLOCK_ROWS)
    return out


def test_dask_tasks_write_the_files_the_local_engine_writes(
    tmp_path: Path, cluster: str, local_parts: Path
) -> None:
    out = tmp_path / "parts"
    summary = generate_dataset(
        out,
        GenerateOptions(rows=ROWS, seed=4),
        progress=False,
        part_rows=BLOCK_ROWS,
        engine="dask",
        scheduler=cluster,
    )
    assert summary.rows == ROWS and len(summary.files) == 4
    assert file_digests(out) == file_digests(local_parts)


def test_dask_shards_merge_into_the_local_dataset(
    tmp_path: Path, cluster: str, local_parts: Path
) -> None:
    out = tmp_path / "parts"
    for index in range(2):
        generate_dataset(
            out,
            GenerateOptions(rows=ROWS, seed=4),
            progress=False,
            part_rows=BLOCK_ROWS,
            shard=Shard(index, 2),
            engine="dask",
            scheduler=cluster,
        )
    assert file_digests(out) == file_digests(local_parts)


def test_without_a_scheduler_a_local_cluster_is_started_and_stopped(
    tmp_path: Path, local_parts: Path
) -> None:
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "parts"
    options = GenerateOptions(rows=ROWS, seed=4, workers=2)
    generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS, engine="dask")
    assert file_digests(out) == file_digests(local_parts)
    with pytest.raises(ValueError, match="No global client found"):
        distributed.get_client()  # the client (and its cluster) went with the run


def test_to_dask_dataframe_holds_the_rows_generate_writes(cluster: str) -> None:
    import distributed
    from breachbench.generator.api import to_dask_dataframe

    options = GenerateOptions(rows=ROWS, seed=4)
    frame = to_dask_dataframe(options, partition_rows=2 * BLOCK_ROWS)
    assert frame.npartitions == 2
    assert frame.divisions == (0, 2 * BLOCK_ROWS, ROWS - 1)
    with distributed.Client(cluster):
        computed = frame.compute()
        sensitive = int(frame["sensitive"].sum().compute())
        one = frame.loc[BLOCK_ROWS + 5].compute()
    expected = block.make_block(options, 0, ROWS)
    table = pa.Table.from_pandas(computed, preserve_index=False).cast(expected.schema)
    assert table.equals(expected)
    assert list(computed.index) == list(range(ROWS))
    assert sensitive == pc.sum(expected["sensitive"]).as_py()
    assert one["patient_id"].iloc[0] == expected["patient_id"][BLOCK_ROWS + 5].as_py()


def test_the_dask_dataframe_of_no_row_is_empty_with_the_schema() -> None:
    pytest.importorskip("dask.dataframe")
    from breachbench.generator.api import to_dask_dataframe

    frame = to_dask_dataframe(GenerateOptions(rows=0))
    assert list(frame.columns) == block.make_block(GenerateOptions(rows=1), 0, 1).column_names
    assert len(frame.compute(scheduler="synchronous")) == 0


def test_the_dask_engine_refuses_a_single_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from breachbench.cli import main

    out = tmp_path / "x.parquet"
    result = CliRunner().invoke(main, ["generate", "--engine", "dask", "--out", str(out)])
    assert result.exit_code == 2
    assert "--engine dask writes part files: give a directory" in result.stderr
    assert not out.exists()


def test_without_the_extra_the_dask_engine_names_the_install_line(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["distributed"] = None  # as if the extra were not installed
        from breachbench.cli import main
        main(["generate", "--rows", "10", "--engine", "dask", "--out", sys.argv[1]])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "d") + "/"], capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == ["Error: the dask engine needs the dask extra: pip install 'breachbench[dask]'"]
    assert list(tmp_path.iterdir()) == []


def test_the_progress_bar_shows_speed_and_time_left_for_both_engines(
    tmp_path: Path, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    options = GenerateOptions(rows=ROWS, seed=4)
    for engine in ("local", "dask"):
        generate_dataset(
            tmp_path / engine,
            options,
            progress=True,
            part_rows=BLOCK_ROWS,
            engine=engine,  # type: ignore[arg-type]
            scheduler=cluster if engine == "dask" else None,
        )
        err = capsys.readouterr().err
        assert f"{ROWS}/{ROWS}" in err, err
        assert "rows/s" in err and "left" in err
    assert file_digests(tmp_path / "dask") == file_digests(tmp_path / "local")


def test_a_local_cluster_leaves_the_environment_and_malloc_alone() -> None:
    """distributed's workers would trim memory at every large free (a third more CPU),
    and its variables would stay in this process's environment for later subprocesses."""
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from breachbench.generator.run.dask_engine import local_cluster

    before = dict(os.environ)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        trims = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert dict(os.environ) == before
    assert list(trims.values()) == [before.get("MALLOC_TRIM_THRESHOLD_")]
