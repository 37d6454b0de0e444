"""Word stems of the keyword lexicon, as features for words the lexicon does not match.

The built-in ``keywords`` lexicon matches whole terms: "vasectomie" is found, and
"vasectomisé", "néoplasique" for "néoplasie" or "syndical" in "mandat syndical" are not.
On family-held-out data most of what the learned detectors miss are such neighbours of
a lexicon term, in wording they never saw in training. So each word of five letters or
more that no hint covers also says which categories' lexicon words share its first five
letters (``lexicon_categories``): the models learn how far to trust that, per category.
Stems shared by three categories or more ("contr": contraception, contrainte, contrôle
judiciaire) say nothing and are dropped.

Built once per process from ``corpora/detectors/keywords_fr.yaml`` (the lexicon written
independently of the generator), accent-folded and lower-cased like the hints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from breachbench.benchmarks.detectors.data import keyword_lexicon
from breachbench.benchmarks.detectors.fold import strip_accents

__all__ = ["STEM", "lexicon_categories", "stem_index", "uncovered"]

STEM = 5
"""Letters of a stem: against 6, the record classifier's F1 on a ``--split dev`` dataset
was 89.0 against 88.6 (30,000 training comments)."""
_MAX_CATEGORIES = 2
_WORD = re.compile(r"\w+")


@cache
def stem_index() -> dict[str, tuple[str, ...]]:
    """Stem -> the sensitive categories whose lexicon terms hold a word of that stem."""
    lexicon = keyword_lexicon()
    found: dict[str, set[str]] = {}
    for part in ("terms", "exact"):
        for category, terms in (lexicon.get(part) or {}).items():
            for term in terms:
                for word in _WORD.findall(strip_accents(str(term).lower())):
                    if len(word) >= STEM:
                        found.setdefault(word[:STEM], set()).add(category)
    return {
        stem: tuple(sorted(categories))
        for stem, categories in found.items()
        if len(categories) <= _MAX_CATEGORIES
    }


def lexicon_categories(word: str) -> tuple[str, ...]:
    """The categories whose lexicon words share ``word``'s stem (none under 5 letters)."""
    if len(word) < STEM:
        return ()
    return stem_index().get(strip_accents(word.lower())[:STEM], ())


def uncovered(
    tokens: Sequence[tuple[int, int]], hints: Sequence[tuple[int, int, str]]
) -> list[bool]:
    """Per token: whether no hint span covers it."""
    ordered = sorted((s, e) for s, e, _ in hints)
    out, j = [], 0
    for start, _end in tokens:
        while j < len(ordered) and ordered[j][1] <= start:
            j += 1
        out.append(not (j < len(ordered) and ordered[j][0] <= start))
    return out
