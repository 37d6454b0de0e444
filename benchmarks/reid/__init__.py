"""``breachbench reid``: the re-identification lesson on a dataset (see ``core.py``)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from breachbench.benchmarks.results import write_json

from .core import QI_SETS, Quasi, ReidError, class_sizes, load_quasi, reid_figures
from .report import render_reid_html, render_reid_markdown

__all__ = [
    "QI_SETS",
    "Quasi",
    "ReidError",
    "ReidSummary",
    "class_sizes",
    "load_quasi",
    "reid_figures",
    "run_reid",
]


@dataclass(frozen=True)
class ReidSummary:
    """Where the reports are, the figures, and how fast."""

    out: Path
    figures: dict[str, Any]
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Records analysed per second of wall time."""
        return self.figures["records"] / self.seconds if self.seconds else 0.0


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_reid(dataset: Path, out: Path, *, limit: int | None = None) -> ReidSummary:
    """Analyse ``dataset`` and write reid.json, reid.md and reid.html into ``out``."""
    started = time.perf_counter()
    figures = reid_figures(load_quasi(Path(dataset), limit=limit))
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "reid.json", figures)
    _write(out / "reid.md", render_reid_markdown(figures, source=str(dataset)))
    _write(out / "reid.html", render_reid_html(figures, source=str(dataset)))
    return ReidSummary(out=out, figures=figures, seconds=time.perf_counter() - started)
