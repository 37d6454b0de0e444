"""The notes of a blind test: read from contract datasets, normalised alike, drawn by seed.

A reader must tell the sources apart by their wording only, so both sides go through the
same :func:`normalise`: files written by hand and text made by the generator differ in
things no reader should see (a ``\\r\\n``, a trailing space, an accent stored decomposed),
and those differences are removed; words, punctuation, inner spaces and line breaks are
kept as written, since they are what the reader judges.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from breachbench.benchmarks.dataset import open_dataset

__all__ = ["NORMALISATION", "Note", "Pool", "draw", "normalise", "read_pool", "words"]

NORMALISATION = (
    "Unicode NFC; a byte-order mark removed; \\r\\n, \\r, U+0085, U+2028 and U+2029 read as"
    " \\n; spaces and tabs at the end of each line removed; blank lines and spaces at the"
    " start and end of the note removed; nothing else changed"
)
"""What :func:`normalise` does, in words: recorded in ``key.json``."""

_BREAKS = re.compile("\r\n|[\r\u0085\u2028\u2029]")
_TRAILING = re.compile("[ \t]+$", re.M)


def normalise(text: str) -> str:
    """The note as the sheet shows it (see :data:`NORMALISATION`)."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    text = _TRAILING.sub("", _BREAKS.sub("\n", text))
    return text.strip(" \t\n")


def words(text: str) -> int:
    """Length of a note in words, the unit ``--match-length`` matches."""
    return len(text.split())


@dataclass(frozen=True)
class Note:
    """One drawn note: its source, its record id there, and its normalised text."""

    source: str
    id: str
    text: str


@dataclass(frozen=True)
class Pool:
    """Every non-empty note of a dataset, normalised, in file order."""

    ids: list[str]
    texts: list[str]

    def __len__(self) -> int:
        return len(self.ids)


def read_pool(path: Path) -> Pool:
    """The notes of a contract dataset whose normalised comment is not empty.

    Raises :class:`~breachbench.benchmarks.dataset.DatasetError` on a file that does not
    follow the contract.
    """
    ids: list[str] = []
    texts: list[str] = []
    for batch in open_dataset(path).batches(65_536):
        comments = batch.column("admin_comment").to_pylist()
        for rid, raw in zip(batch.column("patient_id").to_pylist(), comments, strict=True):
            text = normalise(raw or "")
            if text:
                ids.append(rid)
                texts.append(text)
    return Pool(ids=ids, texts=texts)


def draw(
    pool: Pool,
    n: int,
    rng: np.random.Generator,
    *,
    source: str,
    avoid: set[str],
    lengths: list[int] | None = None,
) -> list[Note]:
    """``n`` notes of ``pool`` with distinct texts, none of them in ``avoid`` (which grows).

    Rows are visited in a random order, so a wording is drawn as often as the dataset
    writes it, but never twice on one sheet: a note seen twice would give itself away.
    With ``lengths`` (one word count per note wanted), each note is the first unused one of
    that order whose length is closest to its target: the drawn notes then have the
    targets' length distribution. Raises ``ValueError`` when the pool runs out.
    """
    order = rng.permutation(len(pool))
    picked: list[int] = []
    if lengths is None:
        for i in order:
            if len(picked) == n:
                break
            if pool.texts[i] not in avoid:
                avoid.add(pool.texts[i])
                picked.append(int(i))
    else:
        sizes = np.array([words(pool.texts[i]) for i in order], dtype=np.int64)
        free = np.ones(len(order), dtype=bool)
        for target in lengths[:n]:
            distance = np.where(free, np.abs(sizes - target), np.iinfo(np.int64).max)
            for j in np.argsort(distance, kind="stable"):
                if not free[j]:
                    break
                free[j] = False
                if pool.texts[order[j]] not in avoid:
                    avoid.add(pool.texts[order[j]])
                    picked.append(int(order[j]))
                    break
    if len(picked) < n:
        raise ValueError(f"{len(picked)} distinct non-empty notes, {n} wanted")
    return [Note(source=source, id=pool.ids[i], text=pool.texts[i]) for i in picked]
