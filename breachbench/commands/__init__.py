"""One module per ``breachbench`` sub-command; ``breachbench.cli`` registers them."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` under a temporary name, then rename: a reader (or a
    Ctrl-C) never meets half a report."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
