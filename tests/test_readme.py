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


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_and_option_has_help(command: click.Command):
    assert command.help and command.help.strip()
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            assert parameter.help, f"{command.name} {parameter.opts}"
    assert set(main.commands) == {c.name for c in COMMANDS}


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
