"""What an evaluation script may keep from an earlier run in its ``--out`` folder.

The scripts of this folder (``heldout_spans.py``, ``learned_table.py``) take minutes to
generate and train; they keep their datasets and models between runs, but figures of
another seed or of older code must never pass for this run's: what they keep is stamped
with a key naming the generator and corpora, the harness's code (the learned models and
the built-in detectors whose spans they read as hints) and the options.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

import breachbench.benchmarks
from breachbench.generator.data.derived import code_digest, derived_key


def run_key(*options: object) -> str:
    """The stamp of a run: generator and corpora, the harness's code, the options. The
    whole ``benchmarks`` package, not only ``learned``: a tagger trained on the hints of
    an older ``identifiers`` detector is another tagger."""
    harness = Path(breachbench.benchmarks.__file__).parent
    return " ".join([derived_key(), code_digest(harness), *map(str, options)])


def file_digest(path: Path | None) -> str:
    """A short digest of an input file's bytes ("none" without one): a fixed label in a
    hand-written set changes its scores."""
    if path is None:
        return "none"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def fresh_or_reused(out: Path, key: str, made_here: Iterable[str]) -> None:
    """Keep what ``out`` holds only if the stamp in ``out/key.txt`` is ``key``; otherwise
    remove the files this script writes (the globs ``made_here``: ``out`` may hold
    others) and stamp the folder anew."""
    stamp = out / "key.txt"
    if stamp.exists() and stamp.read_text("utf-8") == key:
        print(f"reusing the datasets and models in {out} (same code, corpora and options)")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name in made_here:
        for path in out.glob(name):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    stamp.write_text(key, "utf-8")
