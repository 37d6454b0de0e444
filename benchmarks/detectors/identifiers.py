"""Built-in ``identifiers`` detector: direct identifiers found by pattern.

Phones (every French format), emails, NIR (social security numbers, key checked), dates,
person names after a title or a family word, and postal addresses. One compiled
alternation with named groups runs once over the whole batch joined by NUL (which no
pattern crosses), so the per-text cost is a slice, not a regex call.

Choices, documented because they decide the scores:

- a NIR with a key is kept only if the key is right (97 - first 13 digits mod 97, with 2A
  read as 19 and 2B as 18); 13 digits with no key are kept if the sex, month and
  department fields are plausible;
- a person span covers the name, not the title: "Dr Martin" -> "Martin"; titles typed in
  capitals count ("MME DIALLO"). With no title, a name needs a cue before it: a family
  word or a contact role, with or without its determiner, a colon or a bracket ("sa
  fille Julie", "Fils Karim", "kiné : MARTIN Paul", "son frère (Youssef)"), a verb of
  calling ("rappeler Léa") or "prénom" ("au prénom Maël"); such a bare name is one or two
  capitalised words, never a word of the keyword lexicon ("sa mère (Truvada)") nor one of
  the non-names of ``corpora/detectors/identifiers_fr.yaml``; a name ends before an acronym
  the keyword lexicon knows ("Mme Asseline UDAF" -> "Asseline"): "Mme Marie DUPONT" and
  "Mme Asseline UDAF" have one shape, and only a list of acronyms tells them apart;
- a lone year is a date only after "en", "depuis", "année", "arrivée"... ("TS en 2019")
  or in brackets ("(2015, 2018)"), never a bare four-digit number ("Cancer 2019" is
  missed: "prend 2000 mg" has the same shape); a month alone only after a word that
  places it ("fin mars", "mi-mars" whole); day and month alone ("le 14/03") count, with a
  two-digit month ("TA 13/8" is a blood pressure);
- a line break ends an address: a street and "postcode City" on two lines are two spans;
- a street without a house number counts only with a safe street type (rue, avenue,
  boulevard, impasse, allée, chemin, quai, square) and a capitalised name; "5-digit
  postcode + City" is an address on its own.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import cache

from .data import identifier_lexicon, keyword_lexicon

__all__ = ["IdentifierDetector", "nir_is_valid", "nir_key"]

Span = tuple[int, int, str]

_UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
_LOW = "a-zàâäçéèêëîïôöùûüÿæœ"
_CAP_WORD = rf"[{_UP}][{_LOW}]+(?:[-'’][{_UP}]?[{_LOW}]+)*|[{_UP}]{{2,}}(?:-[{_UP}]{{2,}})*"
_PARTICLE = r"(?:de\s|du\s|des\s|d'|d’|[Ll]e\s|[Ll]a\s|[Vv]an\s|[Vv]on\s|[Dd]a\s|[Dd]i\s|[Dd]el\s)"
_NAME = rf"{_PARTICLE}?(?:{_CAP_WORD})(?:[ \-]{_PARTICLE}?(?:{_CAP_WORD}))?"
_SEP = r"[ \u00a0\u202f.\-]?"
_MONTHS = (
    r"janvier|janv\.?|f[ée]vrier|f[ée]vr?\.?|mars|avril|avr\.?|mai|juin|juillet|juil\.?"
    r"|ao[uû]t|septembre|sept\.?|octobre|oct\.?|novembre|nov\.?|d[ée]cembre|d[ée]c\.?"
)
_STREET_TYPES = (
    r"rue|avenue|av\.|bd|boulevard|bld|place|pl\.|chemin|ch\.|impasse|all[ée]e|route|rte"
    r"|quai|cours|square|r[ée]sidence|lotissement|lieu-dit|passage|faubourg|fg|chauss[ée]e"
    r"|sentier|hameau|cit[ée]|voie|rond-point|esplanade|promenade|parvis|villa|domaine"
    r"|mont[ée]e|traverse|ruelle|venelle|clos|carrefour|parc"
)
_SAFE_STREET_TYPES = r"rue|avenue|boulevard|impasse|all[ée]e|chemin|quai|square"
_PART = r"(?:(?:des|de|du|les|la|le|aux|au|à|sur|sous|en|et|lès|l[èe]s)[ \-]+|[lLdD]['’])"
_STREET_NAME = rf"{_PART}*(?:{_CAP_WORD}|\d+)(?:[ \-]{_PART}*(?:{_CAP_WORD}|\d+))*"
# Without a house number, the name must hold a capitalised word ("rue du 8 Mai 1945"), not
# only numbers ("à la rue en 1973").
_NAMED_STREET = rf"{_PART}*(?:\d+[ \-]+)*(?:{_CAP_WORD})(?:[ \-]{_PART}*(?:{_CAP_WORD}|\d+))*"
_CITY = rf"(?:{_CAP_WORD})(?:[ \-]{_PART}*(?:{_CAP_WORD}))*(?:\s+CEDEX(?:\s\d{{1,2}})?)?"
_KIN = (
    r"fille|fils|m[èe]re|p[èe]re|femme|mari|[ée]pouse|[ée]poux|fr[èe]re|s(?:œ|oe)ur|copine"
    r"|copain|compagne|compagnon|conjointe?|concubine?|partenaire|tante|oncle|neveu|ni[èe]ce"
    r"|cousine?|grand-m[èe]re|grand-p[èe]re|petite?-fille|petit-fils|belle-fille|beau-fils"
    r"|belle-m[èe]re|beau-p[èe]re|voisine?|amie?|tuteur|tutrice|curateur|curatrice|aidante?"
    r"|fianc[ée]e?|ex-(?:compagne|compagnon|mari|[ée]pouse|conjointe?|copine|copain)"
    # the roles a contact line names before the person
    r"|enfants?|contact|kin[ée]|infirmi[èe]re|employeur|personne\s(?:[àa]\spr[ée]venir|de"
    r"\sconfiance)|aide\s[àa]\sdomicile|auxiliaire\sde\svie|assistante\ssociale|PAP"
)
# A family word or a contact role, with or without its determiner and in any case ("sa
# fille Julie", "Fils Mehdi", "Épouse : Fatima", "son frère (Moussa)", "kiné : LAURENT
# Enzo"): notes drop determiners and open lines with the relation.
_FAMILY = rf"(?i:(?:(?:sa|son|ses|leur|la|le)\s+)?(?:{_KIN}|ex))(?![\w\-])"
_TITLE = (
    r"(?:M\.|Mr\.?|MR\.?|Mme|MME|Mmes|Mlle|MLLE|Melle|Dr\.?|DR\.?|Docteur|Pr\.?|Professeur"
    r"|Me|Ma[iî]tre|Monsieur|MONSIEUR|Madame|MADAME)"
)
_TITLE_WORD = r"(?:M|Mr|Mme|Mmes|Mlle|Melle|Dr|Docteur|Pr|Professeur|Me|Ma[iî]tre|Monsieur|Madame)"
# A capitalised word that can be a first name (not a title: "sa mère Mme Kaya" leaves the
# name to the title's pattern).
_FIRST = rf"(?!{_TITLE_WORD}\b)[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?"
# A first name is announced by a verb of calling ("appeler Clara") or by "prénom" ("au
# prénom Inès", "sous le prénom de Tomas", "prénom d'usage : Sacha").
_NAME_CUE = (
    r"(?i:(?:r?appeler|pr[ée]venir|joindre)[ \t]+"
    r"|pr[ée]nom(?:[ \t]+d['’]usage)?(?:[ \t]*:[ \t]*|[ \t]+de[ \t]+|[ \t]+))"
)
_YEAR_CUE = (
    r"(?:en|depuis|ann[ée]e|d[ée]but|fin|mi-|[ée]t[ée]|hiver|printemps|automne"
    r"|arriv[ée]e?s?|obtenue?s?|et\snon)"
)
_FULL_MONTHS = (
    r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre"
    r"|d[ée]cembre"
)
# A month alone is a date after a word that places it in time ("fin mars", "en juin",
# "avant mars"); "mi-mars" is one word, so its prefix is part of the span.
_MONTH_CUE = r"(?:en|fin|d[ée]but|courant|avant|apr[èe]s|depuis|d['’]ici|jusqu['’]en|jusqu['’]à)"

_PATTERN = re.compile(
    rf"""
    (?<![\w])(?:  # every identifier starts a word: one check rejects positions inside words
    (?P<email>(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{{2,}}\b)
  | (?P<nir>(?<![\w])[12]{_SEP}\d\d{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}
        (?:\d\d|2[ABab]){_SEP}\d{_SEP}?\d\d{_SEP}\d{{3}}(?:{_SEP}\d\d)?(?![\w]))
  | (?P<phone>(?<![\w+])(?:(?:\+|00)33{_SEP}(?:\(0\){_SEP})?|0)[1-9](?:{_SEP}\d\d){{4}}(?!\d))
  | (?P<address>(?<![\w])\d{{1,4}}(?:\s?(?:bis|ter|[ABab])\b)?,?\s+(?i:{_STREET_TYPES})\s+
        {_STREET_NAME}(?:,?[ \t]+\d{{5}}[ \t]+{_CITY})?
      | (?<![\w])(?:{_SAFE_STREET_TYPES})\s+{_NAMED_STREET}(?:,?[ \t]+\d{{5}}[ \t]+{_CITY})?
      | (?<![\w])\d{{5}}\s+{_CITY})
  | (?P<date>(?<![\w/])(?:0?[1-9]|[12]\d|3[01])(?P<dsep>[/.\-])(?:0?[1-9]|1[0-2])(?P=dsep)
        (?:\d{{4}}|\d\d)(?![\w/])
      | (?<![\w])(?:(?:1er|0?[1-9]|[12]\d|3[01])\s+)?(?i:{_MONTHS})\s+(?:19|20)\d\d(?!\d)
      | (?<![\w])(?:1er|0?[1-9]|[12]\d|3[01])\s+(?i:{_MONTHS})(?![\w])
      | (?<![\w/])(?:0?[1-9]|1[0-2])/(?:19|20)\d\d(?![\w/])
      | (?<![\w/.,])(?:0?[1-9]|[12]\d|3[01])/(?:0[1-9]|1[0-2])(?![\w/]|[.,]\d)
      | (?<![\w/.,])(?:0[1-9]|1[0-2])/(?:[0-3]\d|[5-9]\d)(?![\w/]|[.,]\d)
      | (?<![\w])mi-(?i:{_FULL_MONTHS})(?![\w]))
  | (?<![\w])(?i:{_MONTH_CUE})\s(?P<month>(?i:{_FULL_MONTHS}))(?![\w]|\s+(?:19|20)\d\d)
  | (?<=[(])(?P<byear>(?:19|20)\d\d)(?=[),])
  | (?<=[(]\d{{4}},\s)(?P<byear2>(?:19|20)\d\d)(?=[),])
  | (?<![\w])(?i:{_YEAR_CUE})\s(?P<year>(?:19|20)\d\d)(?![\w])
  | (?P<title>(?<![\w]){_TITLE}\s+)(?P<person>{_NAME})
  | (?P<family>{_FAMILY}[ \t]*[,:]?[ \t]*\(?)
        (?P<relative>{_FIRST}(?:[ ](?:{_FIRST}|[{_UP}]{{2,}}))?|[{_UP}]{{2,}}[ ]{_FIRST})(?![\w])
  | (?P<cue>{_NAME_CUE})(?P<called>{_FIRST})(?![\w])
    )""",
    re.VERBOSE,
)

# Which named group of a match holds the span, and its category, where it is not the match.
_SUBGROUPS = {
    "person": "person",
    "relative": "person",
    "called": "person",
    "year": "date",
    "byear": "date",
    "byear2": "date",
    "month": "date",
}


@cache
def _not_names() -> frozenset[str]:
    """Capitalised words a name pattern can reach that are never names (data file)."""
    return frozenset(identifier_lexicon()["not_names"])


def _name_end(name: str, start: int, bare: bool) -> int:
    """End of a person span ``name`` found at ``start`` (``start`` if it is no name): a
    second word that is no name is dropped, and so is a trailing known acronym. A ``bare``
    name (no title before it) is also no name if it is shorter than 3 letters or a word of
    the keyword lexicon: "sa mère (Truvada)" names a drug, "sa mère (Ag HBs +)" a test."""
    words = name.split()
    if not words or name in _not_names():
        return start
    if bare and (
        words[0] in _not_names() or len(words[0]) < 3 or words[0].casefold() in _lexicon_words()
    ):
        return start
    if len(words) > 1 and words[-1] in _not_names():
        name = name[: name.rindex(words[-1])].rstrip()
    return start + _trim_acronym(name)


@cache
def _lexicon_entries() -> tuple[str, ...]:
    """Every entry of the keyword lexicon (drugs, conditions, services, acronyms)."""
    lexicon = keyword_lexicon()
    return tuple(
        entry
        for section in ("terms", "exact")
        for words in lexicon[section].values()
        for entry in words
    )


@cache
def _lexicon_words() -> frozenset[str]:
    """Single words of the keyword lexicon, case-folded: never a bare name."""
    return frozenset(e.casefold() for e in _lexicon_entries() if re.fullmatch(r"\w[\w\-]*", e))


@cache
def _known_acronyms() -> frozenset[str]:
    """All-capital single words of the keyword lexicon (UDAF, VIH, SPIP): never a name."""
    return frozenset(e for e in _lexicon_entries() if re.fullmatch(r"[A-Z][A-Z0-9]+", e))


def _trim_acronym(name: str) -> int:
    """Length of ``name`` without a trailing known acronym (0 if the name is one)."""
    head, _, last = name.rpartition(" ")
    if last in _known_acronyms():
        return len(head.rstrip(" -"))
    return len(name)


def nir_key(first13: str) -> int:
    """The NIR key of its first 13 characters: 97 - (number mod 97), 2A as 19, 2B as 18."""
    digits = first13.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(digits) % 97


def nir_is_valid(nir: str) -> bool:
    """A spaced or solid NIR whose 2-digit key matches its first 13 characters."""
    compact = re.sub(r"[\s.\-]", "", nir)
    if len(compact) != 15 or not compact[13:].isdigit():
        return False
    try:
        return nir_key(compact[:13]) == int(compact[13:])
    except ValueError:
        return False


def _nir_span_ok(candidate: str) -> bool:
    """A NIR candidate is kept if its key is right, or if it has no key and a real month.

    Months 20-42 are the pseudo-months given to people born with no known month.
    """
    compact = re.sub(r"[\s.\u00a0\u202f\-]", "", candidate)
    if len(compact) == 15:
        return nir_is_valid(compact)
    if len(compact) == 13:
        month = int(compact[3:5])
        return 1 <= month <= 12 or 20 <= month <= 42
    return False


class IdentifierDetector:
    """Pattern detector of direct identifiers; labels are taxonomy identifier categories."""

    name = "identifiers"
    version = "1.2"
    mode = "spans"

    def __call__(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans per text: ``(start, end, category)`` with category in the identifier group."""
        results: list[list[Span]] = [[] for _ in texts]
        if not texts:
            return results
        joined = "\x00".join(texts)
        starts: list[int] = []
        offset = 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1
        record = 0
        for match in _PATTERN.finditer(joined):
            kind = match.lastgroup
            if kind in _SUBGROUPS:
                start, end = match.span(kind)
                if _SUBGROUPS[kind] == "person":
                    end = _name_end(match.group(kind), start, kind != "person")
                    if end == start:
                        continue
                kind = _SUBGROUPS[kind]
            else:
                start, end = match.span()
                if kind == "nir" and not _nir_span_ok(match.group()):
                    continue
            if start >= starts[record] + len(texts[record]) + 1 or start < starts[record]:
                record = bisect_right(starts, start) - 1
            base = starts[record]
            results[record].append((start - base, end - base, kind))
        return results

    def close(self) -> None:
        """Nothing to release; present so the detector fits the class protocol."""
