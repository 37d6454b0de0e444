"""Without its extra, a third-party detector says how to install it, in one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.parametrize(
    ("module", "detector", "extra"),
    [("presidio_analyzer", "presidio", "presidio"), ("edsnlp", "edsnlp", "edsnlp")],
)
def test_missing_extra_names_the_install_line(module: str, detector: str, extra: str):
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules[{module!r}] = None  # as if the extra were not installed
        from breachbench.benchmarks.adapters import load_detector
        from breachbench.benchmarks.protocol import DetectorLoadError
        try:
            load_detector({detector!r})
        except DetectorLoadError as error:
            print(error)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(f"pip install 'breachbench[{extra}]'")
