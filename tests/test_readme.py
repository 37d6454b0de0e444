"""The README's promises, checked: its set-up commands, its protocol example, its CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from breachbench.cli import COMMANDS, main
from breachbench.lazy import LazyGroup

README = Path(__file__).resolve().parents[1] / "README.md"


def _between(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"<!-- {marker} -->")
    end = text.find(f"<!-- /{marker} -->", start)
    return text[start : end if end > 0 else None]


def test_first_screen_holds_exactly_two_set_up_commands():
    block = _between("setup-commands")
    commands = [line for line in block.splitlines() if line.startswith("pip ")]
    assert commands == [
        "pip install . && breachbench bench",
        "pip install '.[test]' && pytest",
    ]
    assert README.read_text(encoding="utf-8").index("<!-- setup-commands -->") < 2000


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_has_help(name: str):
    command = COMMANDS[name].load()
    assert command.name == name
    assert command.help and command.help.strip()
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            assert parameter.help, f"{command.name} {parameter.opts}"
    # The group lists commands without importing them: its line must be the command's own.
    assert COMMANDS[name].short_help == command.get_short_help_str(limit=1000)
    assert main.list_commands(click.Context(main)) == sorted(COMMANDS)


def test_group_help_lists_every_command_without_importing_one():
    code = (
        "import sys; from click.testing import CliRunner; from breachbench.cli import main; "
        "out = CliRunner().invoke(main, ['--help']).output; "
        "print(sorted(m for m in sys.modules if m.startswith(('benchmarks', 'generator', "
        "'breachbench.commands.')))); print(out)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loaded, _, help_text = result.stdout.partition("\n")
    assert loaded == "[]", result.stderr
    for name, lazy in COMMANDS.items():
        assert re.search(rf"^  {name} +{re.escape(lazy.short_help[:30])}", help_text, re.M)


@pytest.mark.parametrize("width", [50, 80, 120])
def test_group_help_reads_as_clicks_own(width: int):
    lazy = LazyGroup("breachbench", lazy_subcommands=COMMANDS)  # nothing imported yet
    eager = click.Group("breachbench", commands=[command.load() for command in COMMANDS.values()])
    listings = []
    for group in (lazy, eager):
        formatter = click.HelpFormatter(width=width)
        group.format_commands(click.Context(group), formatter)
        listings.append(formatter.getvalue())
    assert listings[0] == listings[1]
    assert all(name in listings[0] for name in COMMANDS)
    assert not lazy.commands  # listing imported none


def test_generate_never_imports_the_benchmark_harness():
    code = (
        "import sys; from click.testing import CliRunner; from breachbench.cli import main; "
        "CliRunner().invoke(main, ['generate', '--help'], catch_exceptions=False); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'benchmarks'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_readme_protocol_example_runs_as_a_detector(tmp_path: Path):
    code = re.search(r"```js\n(.*?)```", _between("protocol-example"), re.S).group(1)
    (tmp_path / "detector.js").write_text(code, encoding="utf-8")
    dataset = tmp_path / "records.jsonl"
    records = [
        {
            "patient_id": "a",
            "admin_comment": "VIH+ sous trithérapie",
            "sensitive": True,
            "categories": ["serology"],
            "spans": [
                {
                    "start": 0,
                    "end": 4,
                    "category": "serology",
                    "subject": "patient",
                    "assertion": "affirmed",
                }
            ],
        },
        {
            "patient_id": "b",
            "admin_comment": "RDV le matin",
            "sensitive": False,
            "categories": [],
            "spans": [],
        },
    ]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "breachbench",
            "bench",
            str(dataset),
            "--detector-cmd",
            "node detector.js",
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    predictions = [json.loads(line) for line in (out / "predictions.jsonl").open()]
    assert predictions[0]["spans"] == [{"start": 0, "end": 3, "label": "serology"}]
