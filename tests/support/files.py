"""What a written output holds, file by file, to compare two ways of writing one dataset."""

from __future__ import annotations

import hashlib
from pathlib import Path

SHARD_MANIFEST_PREFIX = "manifest.shard-"


def file_digests(directory: Path) -> dict[str, str]:
    """SHA-256 of every file of a directory output, by name, but the shard manifests:
    they say which machine wrote what, which a single run's output never holds."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if not path.name.startswith(SHARD_MANIFEST_PREFIX)
    }
