"""Built-in ``keywords`` detector: a French lexicon over the 14 sensitive categories.

The lexicon (``corpora/detectors/keywords_fr.yaml``) was written independently of the
generator's lexicons and templates, by hand, from general knowledge of how French GPs
write administrative notes: abbreviations (VIH, HSH, TS, OH, IVG, ALD, SDF...), drugs that
reveal a condition (Subutex, Truvada, lithium...), services (CMP, CSAPA, CeGIDD...) and
lay words. It must never be copied from the generator: the benchmark would score itself.

How it matches, and why:

- one Aho-Corasick automaton (pyahocorasick) over the whole batch joined by NUL, so the
  cost is one C-level scan per batch rather than a loop of regexes per text;
- on accent-folded, lower-cased text made by a length-preserving fold, so every offset
  found on the folded text is an exact offset into the original;
- whole words only (the characters around a match must not be letters or digits);
- ``exact`` terms (abbreviations, words that are also surnames) must match case too;
- a capitalised term right after a title ("M. Gay", "Mme Chrétien") is a surname: skipped;
- leftmost-longest, non-overlapping; ``ignore`` phrases ("rue de la Santé") take part in
  that choice and then produce nothing, shadowing the terms inside them;
- the medicine names of ``corpora/reference/drugs.csv`` (908 brands and generics, from
  edsnlp's ATC table, by the category their use reveals) are terms too, below the
  lexicon: a name the lexicon already lists, as a term or an ``ignore``, keeps the
  lexicon's entry. That table is an outside source, not the generator's lexicons.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ahocorasick

from .data import drug_names, keyword_lexicon
from .fold import fold, strip_accents

__all__ = ["KeywordDetector"]

Span = tuple[int, int, str]
_TITLE_BEFORE = re.compile(
    r"(?:\bM\.|\bMr\.?|\bMme|\bMmes|\bMlle|\bMelle|\bDr\.?|\bDocteur|\bPr\.?|\bMe)\s+$"
)
_SEPARATOR = "\x00"


def _variants(term: str) -> set[str]:
    """Spellings a writer may use for one term: hyphen or space, "œ" or "oe"."""
    forms = {term.strip()}
    for form in list(forms):
        if "-" in form:
            forms.add(form.replace("-", " "))
        if " " in form:
            forms.add(form.replace(" ", "-"))
    for form in list(forms):
        if "œ" in form or "Œ" in form:
            forms.add(form.replace("œ", "oe").replace("Œ", "Oe"))
    return forms


def _build_automaton(
    lexicon: Mapping[str, Any], drugs: Mapping[str, Sequence[str]] | None = None
) -> ahocorasick.Automaton:
    """One automaton over folded keys; each key holds every entry that folds to it.

    A value is ``(length, ((category or None for ignore, exact form or None), ...))``.
    ``drugs`` (category -> names) adds loose terms for keys the lexicon does not have.
    """
    entries: dict[str, dict[tuple[str | None, str | None], None]] = {}

    def add(term: str, category: str | None, exact: bool) -> None:
        for form in _variants(term):
            key = fold(form)
            entries.setdefault(key, {})[(category, strip_accents(form) if exact else None)] = None

    for category, terms in (lexicon.get("terms") or {}).items():
        for term in terms:
            add(str(term), category, exact=False)
    for category, terms in (lexicon.get("exact") or {}).items():
        for term in terms:
            add(str(term), category, exact=True)
    for term in lexicon.get("ignore") or []:
        add(str(term), None, exact=False)
    listed = set(entries)
    for category, names in (drugs or {}).items():
        for name in names:
            if not {fold(form) for form in _variants(name)} & listed:
                add(name, category, exact=False)

    automaton = ahocorasick.Automaton()
    for key, found in entries.items():
        loose = {cat for cat, exact in found if exact is None}
        if len(loose) > 1:
            raise ValueError(f"lexicon term {key!r} is listed under several categories: {loose}")
        # Loose entries (any case) are tried before exact ones; ignore wins among loose.
        ordered = sorted(found, key=lambda item: (item[1] is not None, item[0] is not None))
        automaton.add_word(key, (len(key), tuple(ordered)))
    automaton.make_automaton()
    return automaton


class KeywordDetector:
    """French lexicon detector; batch ``__call__(texts) -> list[list[(start, end, category)]]``."""

    name = "keywords"
    mode = "spans"

    def __init__(
        self,
        lexicon: Mapping[str, Any] | None = None,
        drugs: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``drugs`` defaults to the medicine table with the default lexicon, and to none
        with a lexicon of one's own (pass ``drug_names()`` to have both)."""
        if drugs is None and lexicon is None:
            drugs = drug_names()
        lexicon = keyword_lexicon() if lexicon is None else lexicon
        n_drugs = sum(len(names) for names in (drugs or {}).values())
        self.version = f"lexicon-{lexicon.get('version', 'unversioned')}" + (
            f"+drugs-{n_drugs}" if n_drugs else ""
        )
        self._automaton = _build_automaton(lexicon, drugs)

    def _candidates(self, original: str, plain: str, folded: str) -> Iterable[Span]:
        """Every whole-word match on the folded text, category ``""`` for ignore phrases."""
        n = len(folded)
        for last, (length, found) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            if (start > 0 and folded[start - 1].isalnum() and folded[start].isalnum()) or (
                end < n and folded[end].isalnum() and folded[last].isalnum()
            ):
                continue
            for category, exact in found:
                if exact is not None and plain[start:end] != exact:
                    continue
                if (
                    category is not None
                    and original[start].isupper()
                    and original[start + 1 : end].islower()
                    and _TITLE_BEFORE.search(original, max(0, start - 12), start)
                ):
                    break  # a surname after a title: "M. Gay"
                yield start, end, category or ""
                break

    def __call__(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans per text, offsets into each text, labels are taxonomy categories."""
        results: list[list[Span]] = [[] for _ in texts]
        if not texts:
            return results
        joined = _SEPARATOR.join(texts)
        plain = strip_accents(joined)
        folded = fold(joined)
        starts: list[int] = []
        offset = 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1

        last_end = -1
        for start, end, category in sorted(
            self._candidates(joined, plain, folded), key=lambda s: (s[0], s[0] - s[1])
        ):
            if start < last_end:
                continue
            last_end = end
            if category:
                record = bisect_right(starts, start) - 1
                base = starts[record]
                results[record].append((start - base, end - base, category))
        return results

    def close(self) -> None:
        """Nothing to release; present so the detector fits the class protocol."""
