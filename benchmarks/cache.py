"""The default dataset of ``breachbench bench``: generated once, then reused from a cache.

A fresh machine must get a meaningful benchmark from one command, so the harness makes its
own dataset (20,000 records, seed 0, default options) the first time and keeps it under
``$BREACHBENCH_CACHE`` (default ``~/.cache/breachbench``). The file name carries a hash of
the generator's provenance (generator and taxonomy versions, seed, every option), so a new
generator version or option set gets a new file and a stale one is never reused. The file
is generated under a temporary name and renamed, so concurrent runs and interrupted ones
never leave half a dataset under the final name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from breachbench.generator.api import generate_dataset
from breachbench.generator.data.cache import CACHE_ENV, cache_dir
from breachbench.generator.options import GenerateOptions, default_workers
from breachbench.generator.output.manifest import provenance_json

__all__ = ["CACHE_ENV", "DEFAULT_ROWS", "cache_dir", "default_dataset", "default_options"]

DEFAULT_ROWS = 20_000
DEFAULT_SEED = 0


def default_options(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> GenerateOptions:
    """Options of the default dataset: generator defaults, Parquet, the default workers."""
    return GenerateOptions(rows=rows, seed=seed, format="parquet", workers=default_workers())


def cached_path(options: GenerateOptions, directory: Path) -> Path:
    """Where the dataset of ``options`` lives in ``directory``: keyed by its provenance."""
    key = hashlib.sha256(provenance_json(options).encode("utf-8")).hexdigest()[:16]
    return directory / f"default-{options.rows}-seed{options.seed}-{key}.parquet"


def default_dataset(
    directory: Path | None = None,
    *,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    progress: bool | None = None,
) -> tuple[Path, bool]:
    """Path of the default dataset, generating it if absent; and whether it was generated.

    Raises ``OSError`` when the cache directory cannot be written.
    """
    directory = directory or cache_dir()
    options = default_options(rows, seed)
    path = cached_path(options, directory)
    if path.is_file():
        return path, False
    directory.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".generating-", dir=directory))
    try:
        staged = tmp_dir / path.name
        generate_dataset(staged, options, progress=progress)
        os.replace(staged, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path, True
