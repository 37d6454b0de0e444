"""The one place that opens data files under ``corpora/``.

Every other module asks this loader for a table or a document by its path relative to the
``corpora`` package, so the data can move, be swapped for tests, or be checksummed for
provenance without hunting for ``open()`` calls across the code base.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import pyarrow as pa


@functools.cache
def corpora_root() -> Path:
    """Directory of the installed ``corpora`` package (a real directory: we ship it unzipped)."""
    return Path(str(files("breachbench.corpora")))


def path(relative: str) -> Path:
    return corpora_root() / relative


@functools.cache
def read_table(relative: str) -> pa.Table:
    """A Parquet or CSV table, read once per process and shared by every caller.

    pyarrow is imported here, not with the module: the processes that read only YAML
    documents (a detector's isolated child reads the taxonomy) start without it.
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    target = path(relative)
    if target.suffix == ".parquet":
        return pq.read_table(target)
    if target.suffix == ".csv":
        # Codes such as INSEE "01001" or department "01" must stay strings.
        convert = pacsv.ConvertOptions(strings_can_be_null=False, auto_dict_encode=False)
        table = pacsv.read_csv(target, convert_options=convert)
        return table
    raise ValueError(f"unsupported table format: {relative}")


# libyaml's parser is an order of magnitude faster than the pure-Python one, and the
# lexicons are tens of thousands of lines; fall back when PyYAML was built without it.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_text(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)


def load_yaml_file(file: Path) -> Any:
    """A YAML file anywhere (a corpora root of one's own), parsed as the installed ones are;
    a parse error names the file."""
    with file.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_YAML_LOADER)


@functools.cache
def read_yaml(relative: str) -> Any:
    return load_yaml_text(path(relative).read_text(encoding="utf-8"))


@functools.cache
def read_text(relative: str) -> str:
    """A text file (a Markdown template...), read once per process."""
    return path(relative).read_text(encoding="utf-8")


@functools.cache
def read_json(relative: str) -> Any:
    with path(relative).open(encoding="utf-8") as handle:
        return json.load(handle)


def checksums() -> dict[str, str]:
    """sha256 of every data file, for provenance metadata: what a dataset was built from."""
    root = corpora_root()
    digests = {}
    for file in sorted(root.rglob("*")):
        if file.is_file() and file.suffix in {".yaml", ".csv", ".parquet", ".json"}:
            digests[file.relative_to(root).as_posix()] = hashlib.sha256(
                file.read_bytes()
            ).hexdigest()
    return digests


@functools.cache
def corpora_digest() -> str:
    """One SHA-256 over every data file of ``corpora/``: the lexicons and tables used."""
    digest = hashlib.sha256()
    for name, file_digest in sorted(checksums().items()):
        digest.update(f"{name}\0{file_digest}\n".encode())
    return digest.hexdigest()
