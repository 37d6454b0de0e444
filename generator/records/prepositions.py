"""Place names after "à" and "de" as French writes them: "à Dax", "au Havre", "d'Auch",
"au Maroc", and "route du Havre" in the street pools.

The comments' ``{town}`` slot writes a commune (or a birth country) without postcode or
street. The guidelines do not label a bare city (TAXONOMY.md, "Not labelled"), and
hand-written notes name towns all the time ("suivi à ...", "le fils vit à ...",
"pharmacie de ..."): a tagger that only ever saw communes inside labelled addresses
takes every bare town for an address or a person. The slot's qualifiers ``a`` and ``de``
put the preposition in the value, contracted and elided as French wants
(``formats/prepositions.yaml``), since a template cannot elide "de" before a name it
does not know.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.data import corpora

PREPOSITIONS_FILE = "formats/prepositions.yaml"
FORMS: tuple[str, ...] = ("a", "de")  # the {town} qualifiers, and the forms written here


@dataclass(frozen=True)
class Prepositions:
    """``formats/prepositions.yaml``: articles that contract, the default prepositions,
    the letters "de" elides before, and the birth countries' forms written out."""

    articles: dict[str, dict[str, str]]
    default: dict[str, str]
    elide_before: str
    countries: pa.Array  # country names
    country_forms: dict[str, pa.Array]  # form -> the countries' written forms, same order

    def apply(self, names: pa.Array, form: str | None) -> pa.Array:
        """``names`` with the preposition ``form`` ("a", "de") before each, or unchanged."""
        if form is None or not len(names):
            return names
        names = names.cast(pa.string())
        out = pc.binary_join_element_wise(
            pa.array(np.full(len(names), self.default[form])), names, ""
        )
        if form == "de":
            vowel = pc.match_substring_regex(names, f"^[{self.elide_before}]")
            out = pc.if_else(vowel, pc.binary_join_element_wise("d'", names, ""), out)
        for article, forms in self.articles.items():
            starts = pc.starts_with(names, article)
            if pc.any(starts).as_py():
                rest = pc.utf8_slice_codeunits(names, len(article))
                out = pc.if_else(starts, pc.binary_join_element_wise(forms[form], rest, ""), out)
        country = pc.index_in(names, value_set=self.countries)
        if country.null_count < len(country):
            written = self.country_forms[form].take(country)
            out = pc.if_else(pc.is_valid(country), written, out)
        return out

    def one(self, name: str, form: str | None) -> str:
        """:meth:`apply` for one name, without Arrow (for the Hypothesis strategies)."""
        if form is None:
            return name
        countries = self.countries.to_pylist()
        if name in countries:
            return self.country_forms[form][countries.index(name)].as_py()
        for article, forms in self.articles.items():
            if name.startswith(article):
                return forms[form] + name[len(article) :]
        if form == "de" and name[:1] in self.elide_before:
            return "d'" + name
        return self.default[form] + name


@functools.cache
def load_prepositions() -> Prepositions:
    raw = corpora.read_yaml(PREPOSITIONS_FILE)
    countries = raw["countries"]
    for name, forms in countries.items():
        if not (isinstance(forms, list) and len(forms) == len(FORMS)):
            raise ValueError(f"{PREPOSITIONS_FILE}: countries.{name}: expected [à form, de form]")
    for article, forms in raw["articles"].items():
        if set(forms) != set(FORMS):
            raise ValueError(f"{PREPOSITIONS_FILE}: articles.{article!r}: expected a and de")
    return Prepositions(
        articles={str(k): dict(v) for k, v in raw["articles"].items()},
        default=dict(raw["default"]),
        elide_before=str(raw["elide_before"]),
        countries=pa.array(list(countries), pa.string()),
        country_forms={
            form: pa.array([forms[i] for forms in countries.values()], pa.string())
            for i, form in enumerate(FORMS)
        },
    )
