"""The wheel installs one import name, ``breachbench``, and everything the rooms hold.

The repository keeps ``generator/``, ``benchmarks/`` and ``corpora/`` at the top, and
``pyproject.toml`` maps them under ``breachbench`` (``package-dir``). A room added without
its line in ``packages``, or a mapping that leaks a generic top-level name such as
``benchmarks`` into other people's environments, fails here.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = {"breachbench": "breachbench", "generator": "breachbench/generator",
         "benchmarks": "breachbench/benchmarks", "corpora": "breachbench/corpora"}  # fmt: skip
NOT_SHIPPED = ("benchmarks/perf/",)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("breachbench-*.whl")
    return zipfile.ZipFile(built)


def _tracked(*suffixes: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", *ROOMS], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [name for name in listed if name.endswith(suffixes) and not name.startswith(NOT_SHIPPED)]


def _installed_name(tracked: str) -> str:
    room, _, rest = tracked.partition("/")
    return f"{ROOMS[room]}/{rest}"


@pytest.mark.slow
def test_the_wheel_installs_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    assert wheel.read(top_level).decode().split() == ["breachbench"]
    assert {n.split("/", 1)[0] for n in names if ".dist-info/" not in n} == {"breachbench"}


@pytest.mark.slow
def test_every_module_and_data_file_of_the_rooms_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    wanted = _tracked(".py", ".yaml", ".csv", ".parquet", ".json", ".md")
    # Markdown outside corpora/ is documentation of the repository, not package data.
    wanted = [n for n in wanted if not (n.endswith(".md") and not n.startswith("corpora/"))]
    missing = sorted(n for n in wanted if _installed_name(n) not in names)
    assert not missing, f"not in the wheel: {missing[:10]}"
    assert "breachbench/corpora/taxonomy/TAXONOMY.md" in names
    assert not [n for n in names if n.startswith(("tests/", "breachbench/benchmarks/perf"))]
