"""Validate and normalise the hand-written build inputs of this folder.

These tables have no downloadable source (see ``shared/DATA.md``), so they are written
by hand with their provenance in a ``#`` header; the build strips the header, checks the
invariants the generator relies on and writes the clean table to ``corpora/reference``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import yaml

BUILD_DIR = Path(__file__).resolve().parent
MAX_AGE = 105


class InputError(ValueError):
    """A hand-written input breaks one of its documented invariants."""


def read_commented_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV whose leading ``#`` lines are provenance comments."""
    text = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def age_pyramid(path: Path = BUILD_DIR / "age_pyramid.csv") -> list[dict[str, int]]:
    """Rows ``age, male, female`` for ages 0..105 (105 = 105 and over)."""
    rows = [{k: int(v) for k, v in r.items()} for r in read_commented_csv(path)]
    if [r["age"] for r in rows] != list(range(MAX_AGE + 1)):
        raise InputError("age pyramid must list ages 0..105 in order")
    if any(r["male"] <= 0 or r["female"] <= 0 for r in rows):
        raise InputError("age pyramid counts must be positive")
    total = sum(r["male"] + r["female"] for r in rows)
    if not 60e6 < total < 75e6:
        raise InputError(f"age pyramid total {total} is not a French population")
    return rows


def birth_countries(path: Path = BUILD_DIR / "birth_countries.csv") -> list[dict]:
    """Rows ``insee_code, name, weight`` with weights renormalised to sum to 1."""
    rows = read_commented_csv(path)
    codes = [r["insee_code"] for r in rows]
    if len(set(codes)) != len(codes) or not all(re.fullmatch(r"99\d{3}", c) for c in codes):
        raise InputError("birth country codes must be unique '99ddd' INSEE codes")
    if "99100" in codes:
        raise InputError("99100 is France, not a foreign country of birth")
    shares = [float(r["share_percent"]) for r in rows]
    total = sum(shares)
    return [
        {"insee_code": r["insee_code"], "name": r["name"], "weight": round(s / total, 6)}
        for r, s in zip(rows, shares, strict=True)
    ]


def streets(path: Path = BUILD_DIR / "streets.yaml") -> str:
    """The streets YAML text, after checking its structure (copied verbatim)."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for key in ("types", "names"):
        items = data.get(key) or []
        if not items or any(float(i["weight"]) <= 0 for i in items):
            raise InputError(f"streets.{key} must be a non-empty list with positive weights")
        names = [i["name"] for i in items]
        if len(set(names)) != len(names):
            raise InputError(f"streets.{key} has duplicate names")
    if not all(i.get("abbreviation") for i in data["types"]):
        raise InputError("every street type needs an abbreviation")
    if not 0 <= float(data["route_de_neighbour_weight"]) < 1:
        raise InputError("route_de_neighbour_weight must be a share in [0, 1)")
    comp = data["complements"]
    if not 0 <= float(comp["rate"]) < 1 or not comp["items"]:
        raise InputError("complements need a rate in [0, 1) and items")
    return text
