"""``breachbench blind make``: a blind test a reader can take, and its key.

N hand-written notes and N generated ones (from a dataset, or generated here with the
generator's default options, as in the reading of ``shared/REALISM.md``), shuffled by the
seed into one numbered sheet. The kit directory holds ``sheet.html`` (to print on A4),
``sheet.md``, ``answers.csv`` (the blank form) and, for the organiser only, ``key.json``.
The same options, seed and input files give the same kit byte for byte. The kit is
written in a hidden folder beside ``DIR`` and renamed when complete.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from breachbench.benchmarks.dataset import DatasetError, open_dataset
from breachbench.generator.contract.version import __version__
from breachbench.generator.output.target import OutputTarget, Staging

from .notes import NORMALISATION, Note, Pool, draw, read_pool, words
from .sheet import LANGS, answer_form, sheet_digest, sheet_html, sheet_id, sheet_markdown

__all__ = ["KEY_NAME", "SOURCES", "BlindError", "BlindKit", "make_kit"]

KEY_NAME = "key.json"
KEY_KIND = "breachbench-blind-key"
SOURCES = ("generated", "handwritten")
DEFAULT_ROWS = 2000
"""Records generated when no dataset is given: about 600 non-empty comments."""
_STREAMS = {"handwritten": 1, "generated": 2, "shuffle": 3}
"""One random stream per use, so that adding an option to one never moves the others."""


class BlindError(ValueError):
    """A request that cannot be made into a kit, or a kit that cannot be scored; one line."""


@dataclass(frozen=True)
class BlindKit:
    """Where a kit was written, its sheet digest and what each number is."""

    root: Path
    digest: str
    notes: list[Note]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _pool(path: Path, what: str) -> tuple[Pool, dict[str, Any]]:
    """The non-empty notes of a contract dataset, and what identifies it for the key."""
    try:
        info = open_dataset(path).info
        pool = read_pool(path)
    except DatasetError as error:
        raise BlindError(f"{what}: {error}") from None
    fingerprint = _sha256(path) if path.is_file() else info.fingerprint
    return pool, {"path": str(path), "rows": info.rows, "fingerprint": fingerprint}


def _generated_pool(rows: int, seed: int, difficulty: str) -> tuple[Pool, dict[str, Any]]:
    """Comments generated here with default options but ``rows``, ``seed``, ``difficulty``."""
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions, OptionError

    try:
        options = GenerateOptions(rows=rows, seed=seed, difficulty=difficulty)  # type: ignore[arg-type]
    except OptionError as error:
        raise BlindError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="breachbench-blind-") as tmp:
        path = Path(tmp) / "generated.parquet"
        generate_dataset(path, options, progress=False)
        pool = read_pool(path)
    return pool, {"path": None, "rows": rows, "generate": options.content_options()}


def _draw(
    pool: Pool, n: int, seed: int, source: str, seen: set[str], lengths: list[int] | None
) -> list[Note]:
    rng = np.random.default_rng([seed, _STREAMS[source]])
    try:
        return draw(pool, n, rng, source=source, avoid=seen, lengths=lengths)
    except ValueError as error:
        where = "generated" if source == "generated" else "hand-written"
        raise BlindError(f"too few {where} notes: {error}") from None


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BlindError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise BlindError(f"{out} already exists and is not empty (use --overwrite)")
        if not (out / KEY_NAME).is_file():
            raise BlindError(f"refusing to replace {out}: it has no {KEY_NAME}, so no kit")


def make_kit(
    handwritten: Path,
    out: Path,
    *,
    generated: Path | None = None,
    rows: int = DEFAULT_ROWS,
    difficulty: str = "realistic",
    notes: int = 40,
    seed: int = 7,
    lang: str = "fr",
    match_length: bool = False,
    overwrite: bool = False,
) -> BlindKit:
    """Draw, shuffle and write a kit into ``out`` (see the module docstring).

    Raises :class:`BlindError` (one line) on a request that cannot be met: a file that is
    not a contract dataset, fewer than ``notes`` distinct non-empty notes on a side, an
    output that exists.
    """
    if lang not in LANGS:
        raise BlindError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if notes < 1:
        raise BlindError(f"notes must be >= 1, got {notes}")
    if seed < 0:
        raise BlindError(f"seed must be >= 0, got {seed}")
    _check_out(out, overwrite)
    hand_pool, hand_info = _pool(handwritten, "hand-written notes")
    seen: set[str] = set()
    hand = _draw(hand_pool, notes, seed, "handwritten", seen, None)  # before generating
    if generated is not None:
        gen_pool, gen_info = _pool(generated, "generated notes")
    else:
        gen_pool, gen_info = _generated_pool(rows, seed, difficulty)
    targets = [words(n.text) for n in hand] if match_length else None
    gen = _draw(gen_pool, notes, seed, "generated", seen, targets)
    order = np.random.default_rng([seed, _STREAMS["shuffle"]]).permutation(2 * notes)
    pooled = hand + gen
    sheet = [pooled[i] for i in order]
    texts = [n.text for n in sheet]
    digest = sheet_digest(texts)
    counts = {"generated": notes, "handwritten": notes}
    files = {
        "sheet.html": sheet_html(texts, lang=lang, digest=digest, counts=counts),
        "sheet.md": sheet_markdown(texts, lang=lang, digest=digest, counts=counts),
        "answers.csv": answer_form(len(texts), digest),
    }
    key = {
        "kind": KEY_KIND,
        "breachbench_version": __version__,
        "seed": seed,
        "notes_per_source": notes,
        "lang": lang,
        "options": {"match_length": match_length, "distinct_texts": True},
        "normalisation": NORMALISATION,
        "handwritten": hand_info,
        "generated": gen_info,
        "sheet_digest": digest,
        "sheet_id": sheet_id(digest),
        "files": {name: _text_digest(text) for name, text in files.items()},
        "items": [
            {"number": i, "source": n.source, "id": n.id, "words": words(n.text)}
            for i, n in enumerate(sheet, start=1)
        ],
    }
    files[KEY_NAME] = json.dumps(key, ensure_ascii=False, indent=1) + "\n"
    with Staging(OutputTarget(path=out, is_directory=True, format="blind"), overwrite=True) as st:
        for name, text in files.items():
            (st.path / name).write_text(text, encoding="utf-8")
        st.commit()
    return BlindKit(root=out, digest=digest, notes=sheet)


def _text_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
