"""The speed benchmarks share the tests' support code (``tests/support``), not installed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
