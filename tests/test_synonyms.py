"""comments/synonyms.yaml: a note states a patient's fact once, whatever its words
("VIF. Violences intrafamiliales" read as two lexicon lines pasted; issue 9)."""

from __future__ import annotations

import re
import unicodedata

from breachbench.generator.block import make_block
from breachbench.generator.comments.compiled import (
    SYNONYMS_FILE,
    fact_names,
    load_compiled,
    ordered_templates,
    synonym_names,
)
from breachbench.generator.comments.templates import Template, load_templates
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.data import corpora
from breachbench.generator.options import GenerateOptions
from hypothesis import given, settings
from hypothesis import strategies as st


def _ordered() -> list[Template]:
    """The templates in compiled order, from the disk cache (see ``test_compiled``)."""
    return ordered_templates(load_templates(), load_compiled().keys)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _patient_spans(t: Template) -> list[str]:
    return [p.text for p in t.pieces if p.slot is None and p.category and p.subject == "patient"]


def test_two_names_of_one_fact_share_a_fact_id():
    """ "VIF" and "violences intrafamiliales" (comments/synonyms.yaml) name one fact."""
    names = synonym_names(corpora.read_yaml(SYNONYMS_FILE))
    sensitive = frozenset(load_taxonomy().sensitive)
    by_span: dict[str, set[str]] = {}
    for t in _ordered():
        if t.category == "violence" and len(t.pieces) == 1:
            by_span.setdefault(t.pieces[0].text, set()).update(fact_names(t, sensitive, names))
    assert by_span["VIF"] == by_span["violences intrafamiliales"] == {"fact violence vif"}


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31), difficulty=st.sampled_from(["easy", "realistic", "hard"]))
def test_no_note_names_a_patients_fact_twice(seed, difficulty):
    """Notes of 4,000 rows (all commented): no two spans about the patient of one
    category name one fact, whatever the words ("VIF. Violences intrafamiliales")."""
    names = synonym_names(corpora.read_yaml(SYNONYMS_FILE))
    options = GenerateOptions(seed=seed, comment_rate=1.0, difficulty=difficulty)
    table = make_block(options, 0, 4_000)
    sensitive = set(load_taxonomy().sensitive)
    twice = []
    for text, spans in zip(
        table.column("admin_comment").to_pylist(), table.column("spans").to_pylist(), strict=True
    ):
        facts = [
            (s["category"], names.get(f"{s['category']} {_words(text[s['start'] : s['end']])}"))
            for s in spans or ()
            if s["category"] in sensitive and s["subject"] == "patient"
        ]
        named = [f for f in facts if f[1] is not None]
        if len(named) != len(set(named)):
            twice.append(text)
    assert not twice, twice[:5]


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", _fold(text)).split())


def test_fact_names_read_only_the_patients_spans():
    names = synonym_names({"violence": [["VIF", "violences intrafamiliales"]]})
    sensitive = frozenset(load_taxonomy().sensitive)
    relative = [t for t in _ordered() if t.category == "violence"
                and any(p.category == "violence" and p.subject == "relative" for p in t.pieces)
                and not _patient_spans(t)]  # fmt: skip
    assert relative and not any(fact_names(t, sensitive, names) for t in relative[:200])
    assert all(isinstance(k, str) for k in names)
