"""Bare towns as hand-written notes name them (issue 9): "suivi à Dax", "pharmacie
d'Auch", "né au Maroc". The guidelines do not label a bare city; these tests fail if the
engine labels one, writes a name that is no commune, or joins a preposition wrongly."""

from __future__ import annotations

import csv
import functools
import re

import numpy as np
import pyarrow as pa
import pytest
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.templates import load_templates
from breachbench.generator.data import corpora
from breachbench.generator.records.places import load_places
from breachbench.generator.records.prepositions import load_prepositions
from hypothesis import given, settings
from hypothesis import strategies as st
from support.contexts import people_context


@pytest.mark.parametrize(
    ("name", "a", "de"),
    [
        ("Dax", "à Dax", "de Dax"),
        ("Auch", "à Auch", "d'Auch"),
        ("Écouen", "à Écouen", "d'Écouen"),
        ("Le Havre", "au Havre", "du Havre"),
        ("Les Sables-d'Olonne", "aux Sables-d'Olonne", "des Sables-d'Olonne"),
        ("La Rochelle", "à La Rochelle", "de La Rochelle"),
        ("Maroc", "au Maroc", "du Maroc"),
        ("Algérie", "en Algérie", "d'Algérie"),
        ("États-Unis", "aux États-Unis", "des États-Unis"),
    ],
)
def test_a_place_takes_its_preposition(name, a, de):
    prepositions = load_prepositions()
    names = pa.array([name])
    assert prepositions.apply(names, "a").to_pylist() == [a]
    assert prepositions.apply(names, "de").to_pylist() == [de]
    assert prepositions.apply(names, None).to_pylist() == [name]


_NAMES = st.deferred(
    lambda: st.sampled_from(
        [*load_places().city.to_pylist()[:3000], "Le Havre", "Les Ulis", "Auch", "Maroc", "Haïti"]
    )
)


@given(st.lists(_NAMES))
def test_one_name_and_a_column_of_names_take_the_same_preposition(names):
    prepositions = load_prepositions()
    for form in (None, "a", "de"):
        column = prepositions.apply(pa.array(names, pa.string()), form).to_pylist()
        assert column == [prepositions.one(name, form) for name in names]


def test_every_birth_country_has_its_written_forms():
    with corpora.path("reference/birth_countries.csv").open(encoding="utf-8") as f:
        countries = {row["name"] for row in csv.DictReader(f)}
    assert countries == set(load_prepositions().countries.to_pylist())


def test_town_slots_are_never_labelled():
    towns = [
        piece
        for group in load_templates().values()
        for template in group
        for piece in template.pieces
        if piece.slot == "town"
    ]
    assert len(towns) > 40
    assert all(piece.category is None for piece in towns)


@functools.cache
def _town_engine():
    """The engine restricted to the templates that write a town."""
    engine = load_engine()
    keep = np.array([any(p.slot == "town" for p in t.pieces) for t in engine.templates], dtype=bool)
    return engine.restricted(keep)


@functools.cache
def _communes_by_department() -> dict[int, frozenset[str]]:
    """The communes of each department, gathered once: a test that looked them up among all
    the communes for each note spent most of its time there."""
    places = load_places()
    communes: dict[int, set[str]] = {}
    for name, department in zip(
        places.city.to_pylist(), places.department_index.tolist(), strict=True
    ):
        communes.setdefault(department, set()).add(name)
    return {department: frozenset(names) for department, names in communes.items()}


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_notes_name_real_towns_outside_every_span(seed):
    """Every town a note writes is a commune of the patient's department, their own
    commune or their birth place, and no labelled span covers it; spans still slice."""
    engine = _town_engine()
    ctx = people_context(300, seed, age=45, year=2021, residence=True)
    comments = engine.generate(
        np.random.default_rng(seed), ctx, comment_rate=1.0, sensitive_rate=0.0, difficulty="easy"
    )
    communes = _communes_by_department()
    texts = comments.text.to_pylist()
    spans = comments.spans.to_pylist()
    prepositions = re.compile(r"(?:^|[\s(])(?:à|au|aux|de|d'|du|des|en)\s?$", re.IGNORECASE)
    service = re.compile(r"(?<!\w)[A-Z]{2,} $")
    for row, (text, labels) in enumerate(zip(texts, spans, strict=True)):
        end = 0
        for span in labels:
            assert end <= span["start"] < span["end"] <= len(text)
            end = span["end"]
        hidden = list(text)
        for span in labels:
            hidden[span["start"] : span["end"]] = "\0" * (span["end"] - span["start"])
        free = "".join(hidden)
        own = {ctx.city[row].as_py(), ctx.birth_place[row].as_py()}
        local = communes[int(ctx.department_index[row])]
        # "Le Havre" is written "au Havre", "Les Ardillats" "des Ardillats".
        forms = own | local | {re.sub(r"^Les? ", "", name) for name in own | local}
        lowered = free.lower()  # a name absent from the note needs no pattern of its own
        found = [
            name
            for name in forms
            if len(name) >= 2  # "Bû" and "Eu" are communes; "Y" would match anywhere
            and name.lower() in lowered
            for m in re.finditer(
                r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", free, re.IGNORECASE
            )
            if prepositions.search(free[: m.start()])
            or free[: m.start()].endswith((": ", "depuis ", "et ", "("))
            or service.search(free[: m.start()])  # "PMI Sarcelles", "CPAM Bobigny"
        ]
        assert found, text
