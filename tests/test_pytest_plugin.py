"""The pytest plugin, run the way a user's project runs it (``pytester``)."""

from __future__ import annotations

import importlib.metadata

import pyarrow.parquet  # noqa: F401  (imported before pytester snapshots sys.modules:
import pytest  # numpy, pyarrow and PyYAML's C loader cannot be imported twice in one process)
import yaml  # noqa: F401

from breachbench import pytest_plugin

pytest_plugins = ["pytester"]


def _plugin_args() -> list[str]:
    """Load the plugin explicitly unless its ``pytest11`` entry point already does."""
    installed = any(
        ep.value == "breachbench.pytest_plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )
    return [] if installed else ["-p", "breachbench.pytest_plugin"]


def test_fixtures_marker_and_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pyarrow.parquet as pq
        import pytest

        def test_default(breach_records, breach_seed):
            assert breach_seed == 0 and len(breach_records) == 1000
            assert {"patient_id", "admin_comment", "spans"} <= set(breach_records[0])

        @pytest.mark.breach_seed(7, rows=50)
        def test_marker(breach_records, breach_seed, breach_dataset):
            assert breach_seed == 7 and len(breach_records) == 50
            table = pq.read_table(breach_dataset)
            assert table.to_pylist() == breach_records
            assert b"breachbench" in pq.read_schema(breach_dataset).metadata

        def test_fresh_lists(breach_records):
            breach_records.clear()

        def test_still_full(breach_records):
            assert len(breach_records) == 1000
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=4)
    result = pytester.runpytest(*_plugin_args(), "--breach-seed", "3", "-k", "default")
    result.assert_outcomes(failed=1)  # the option changed the seed of unmarked tests


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*_plugin_args(), "--markers")
    result.stdout.fnmatch_lines(["*@pytest.mark.breach_seed(seed, rows=1000)*"])


def test_bad_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.breach_seed(-1)
        def test_bad(breach_records):
            pass
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*seed must be an int >= 0*"])


def test_records_are_deterministic_and_labelled() -> None:
    first = pytest_plugin._table(11, 200).to_pylist()
    pytest_plugin._table.cache_clear()
    assert pytest_plugin._table(11, 200).to_pylist() == first
    for record in first:
        text = record["admin_comment"] or ""
        for span in record["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(text)


def test_a_seed_asked_again_is_not_generated_again() -> None:
    """The rows of a (seed, rows) are made once per process and shared; what a new seed
    and a repeated one cost is measured in ``benchmarks/perf/test_plugin_perf.py``."""
    table = pytest_plugin._table(12345, 1000)
    assert pytest_plugin._table(12345, 1000) is table
    assert table.num_rows == 1000
