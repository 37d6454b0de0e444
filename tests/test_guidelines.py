"""Generated spans follow the annotation guidelines of ``corpora/taxonomy/TAXONOMY.md`` v1.1.

A span tagger trained on generated comments is judged on hand-labelled notes, so the
generator must draw spans the way their annotators do: minimal boundaries, partners as
relatives, a drug or service labelled with what it implies, assertions read from the words
around the span. Each rule below is checked mechanically on generated rows, at every
difficulty, so a lexicon edit that breaks one fails here with an example.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from breachbench.generator.block import make_block
from breachbench.generator.data.corpora import load_yaml_text
from breachbench.generator.options import DIFFICULTIES, GenerateOptions

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
IDENTIFIERS = {"person", "phone", "email", "address", "date", "nir"}


def fold(text: str) -> str:
    """Lower case, no accents: noise may capitalise a comment or drop its accents."""
    text = text.replace("œ", "oe").replace("Œ", "OE")
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Words a span never starts with: determiners, titles, kinship nouns, and the verbs and
# frames that only carry the fact ("sous Truvada" gives "Truvada").
_LEADING = (
    r"le|la|les|un|une|des|du|de|son|sa|ses|mon|ma|mes|leur|"
    r"pere|mere|frere|soeur|fils|fille|mari|epouse|conjointe?|compagnon|compagne|oncle|tante|"
    r"grand-pere|grand-mere|beau-pere|belle-mere|ex|"
    r"ex-(?:mari|femme|epoux|epouse|conjointe?|compagnon|compagne)|"
    r"sous|suivi|suivie|atcd|antecedents?|suspicion|notion|pas|jamais|nie|pec|consultation"
)
_TITLES = r"m\.|mme|mr|mlle|dr|pr|madame|monsieur"
LEADING_WORD = re.compile(rf"^(?:(?:{_LEADING})(?:\s|$)|(?:{_TITLES})\s|[dl]')")
# Nouns made of a kinship or frame word that are the fact itself, not a frame around it.
FIXED_COMPOUNDS = {
    "mere porteuse",  # surrogacy, about the patient
    "soeur religieuse",  # a nun
    "fils de harki",  # the patient's origin
    "compagne de sa mere",  # the mother's same-sex partner: sexual orientation of a relative
    "pas de mutuelle",  # the lack is the fact (social precarity), not a negation
    "pas d'adresse fixe",
    "suivi socio-judiciaire",  # the name of a sentence
    "consultation jeunes consommateurs",  # the name of a service
    "antecedents judiciaires",  # a criminal record
    "antecedent judiciaire",
    "ordonnance de protection",  # a protection order, not a prescription
}
# The guidelines' one exception: the partner's noun phrase is the sexual-orientation span.
PARTNER_PHRASE = re.compile(
    r"^(?:son|sa|ses|un|une|le|la)\s|^l'|^(?:ex-)?(?:mari|epouse|femme|compagnon|compagne|conjointe?)$"
)
# ... and only that noun phrase: "vit avec sa compagne" gives "sa compagne", "PACS avec son
# compagnon" gives "son compagnon" (the verb or the PACS before it only carries the fact).
PARTNER_INSIDE = re.compile(
    r"\s(?:(?:son|sa)\s(?:compagnon|compagne|copain|copine|conjointe?|mari|femme|amie?|epoux|epouse)"
    r"|(?:un|une)\s(?:compagnon|compagne|copain|copine))$"
)
YEAR = re.compile(r"\b(?:19[4-9]\d|20[0-4]\d)\b")
FULL_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b")
TITLE = re.compile(rf"^(?:{_TITLES})\s")
PARTNER_BEFORE = re.compile(
    r"(?:^|[\s(,;.:-])(?:compagnon|compagne|ex-?mari|ex-?femme|ex-?conjoint|ex-?compagnon|"
    r"ex-?compagne|ex|mari|epouse|conjointe?|partenaire)\s*(?::\s*|sous\s+|suivie?\s+pour\s+)?$"
)
NEGATION_BEFORE = re.compile(r"(?:^|[\s(])(?:pas\s+de|pas\s+d'|absence\s+de|jamais\s+de)\s*$")
HISTORY_BEFORE = re.compile(r"(?:^|[\s(])(?:atcd\s+(?:de\s+|d'|:\s*)|antecedent\s+de\s+)$")
DOUBT_BEFORE = re.compile(r"(?:^|[\s(])(?:suspicion\s+(?:de\s+|d')|doute\s+sur\s+)$")

# What a drug, a service or a procedure implies (guidelines: "labelled by its name alone,
# with the category of what it implies").
IMPLIED = {
    "addiction": {"csapa", "methadone", "subutex", "buprenorphine", "suboxone", "tso"},
    "mental_health": {"cmp", "cmpp", "lithium", "haldol", "xeroquel", "neuroleptiques"},
    "health_condition": {"mdph", "aah", "esat", "ime"},
    "social_precarity": {"ame", "css", "rsa", "curatelle", "tutelle", "curatelle renforcee"},
    "ethnic_origin": {"titre de sejour", "ofpra", "demande d'asile", "oqtf"},
    "serology": {"truvada", "prep", "biktarvy", "arv", "descovy", "triumeq", "dovato"},
}
IMPLIED_BY_NAME = {name: category for category, names in IMPLIED.items() for name in names}


def spans_of(table) -> Iterator[tuple[str, dict, str, str]]:
    """(comment, span, folded span text, folded text of the clause before it)."""
    for text, spans in zip(
        table.column("admin_comment").to_pylist(), table.column("spans").to_pylist(), strict=True
    ):
        for span in spans or []:
            surface = fold(text[span["start"] : span["end"]])
            head = re.split(r"[.;\n]| - ", text[: span["start"]])[-1]
            yield text, span, surface, fold(head)


def _same_start(surface: str, compound: str) -> bool:
    """``surface`` is ``compound`` up to noise after its first word and a half."""
    a, b = surface.split(), compound.split()
    return len(a) >= 2 and a[0] == b[0] and a[1][:4] == b[1][:4]


def violations(table) -> dict[str, list[str]]:
    """Every guideline rule broken in ``table``, with the comments that break it."""
    found: dict[str, list[str]] = {}

    def add(rule: str, text: str, span: dict) -> None:
        found.setdefault(rule, []).append(f"{text!r} [{span['start']}:{span['end']}] {span}")

    for text, span, surface, before in spans_of(table):
        category = span["category"]
        if category in IDENTIFIERS:
            if category == "person" and TITLE.match(surface):
                add("person span holds a title", text, span)
            continue
        # Noise may cut or slip in a compound's later words ("consultation jeunes conso.").
        compound = any(_same_start(surface, c) for c in FIXED_COMPOUNDS)
        exception = category == "sexual_orientation" and PARTNER_PHRASE.match(surface)
        if LEADING_WORD.match(surface) and not compound and not exception:
            add("span starts with a determiner, title, kinship noun or frame", text, span)
        if category == "sexual_orientation" and PARTNER_INSIDE.search(surface):
            add("partner's noun inside a longer span", text, span)
        if YEAR.search(surface) or FULL_DATE.search(surface):
            add("date inside a sensitive span", text, span)
        if PARTNER_BEFORE.search(before) and span["subject"] == "third_party":
            add("partner is not a relative", text, span)
        if surface in IMPLIED_BY_NAME and IMPLIED_BY_NAME[surface] != category:
            add("drug or service not labelled with what it implies", text, span)
        if NEGATION_BEFORE.search(before) and span["assertion"] != "negated":
            add("'pas de X' not negated", text, span)
        history = HISTORY_BEFORE.search(before) and not before.endswith("pas d'atcd de ")
        if history and span["assertion"] not in ("historical", "negated"):
            add("'ATCD de X' not historical", text, span)
        if DOUBT_BEFORE.search(before) and span["assertion"] != "hypothetical":
            add("'suspicion de X' not hypothetical", text, span)
    return found


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_generated_spans_follow_the_guidelines(difficulty: str) -> None:
    options = GenerateOptions(seed=11, difficulty=difficulty, comment_rate=1.0, sensitive_rate=0.9)
    table = make_block(options, 0, 6000)
    assert sum(1 for _ in spans_of(table)) > 5000  # enough spans for the rules to bite
    found = violations(table)
    assert not found, {rule: (len(rows), rows[:3]) for rule, rows in found.items()}


def test_the_rules_catch_what_they_are_about() -> None:
    """Each rule fires on the kind of span the guidelines forbid (no test that cannot fail)."""
    import pyarrow as pa

    def table(text: str, start: int, end: int, category: str, subject: str = "patient"):
        span = dict(start=start, end=end, category=category, subject=subject, assertion="affirmed")
        return pa.table({"admin_comment": [text], "spans": [[span]]})

    cases = {
        "span starts with a determiner, title, kinship noun or frame": table(
            "patient sous Truvada", 8, 20, "serology"
        ),
        "person span holds a title": table("voir Mme Durand", 5, 15, "person"),
        "date inside a sensitive span": table("TS en 2019", 0, 10, "mental_health"),
        "partner is not a relative": table("compagnon VIH+", 10, 14, "serology", "third_party"),
        "drug or service not labelled with what it implies": table(
            "suivi au CSAPA", 9, 14, "mental_health"
        ),
        "partner's noun inside a longer span": table(
            "vit avec sa compagne", 0, 20, "sexual_orientation"
        ),
        "'pas de X' not negated": table("pas de TS", 7, 9, "mental_health"),
        "'ATCD de X' not historical": table("ATCD de dépression", 8, 18, "mental_health"),
        "'suspicion de X' not hypothetical": table(
            "suspicion de diabète", 13, 20, "health_condition"
        ),
    }
    for rule, case in cases.items():
        assert rule in violations(case), rule
    fine = table("vit avec sa compagne", 9, 20, "sexual_orientation")
    assert not violations(fine)


def test_taxonomy_version_follows_the_guidelines() -> None:
    """The data records the guidelines' version: TAXONOMY.md's title names it."""
    document = yaml.safe_load((CORPORA / "taxonomy/taxonomy.yaml").read_text(encoding="utf-8"))
    title = (CORPORA / "taxonomy/TAXONOMY.md").read_text(encoding="utf-8").splitlines()[0]
    assert document["version"] == "1.1"
    assert f"v{document['version']}" in title


# ------------------------------------------------------------------ eligibility annotations

SENSITIVE_FILES = sorted((CORPORA / "comments/sensitive").glob("*.yaml"))


@functools.cache
def _entries() -> tuple[tuple[str, str, dict], ...]:
    """(where, text, entry) of every annotated lexicon entry, read once for the tests below
    with the generator's own YAML reader (libyaml: the lexicons are tens of thousands of
    lines, which the pure-Python parser takes most of a second to read)."""
    found = []
    for path in SENSITIVE_FILES:
        document = load_yaml_text(path.read_text(encoding="utf-8"))
        for key in ("cores", "states", "phrases"):
            for index, entry in enumerate(document.get(key) or []):
                if isinstance(entry, dict):
                    found.append(
                        (
                            f"{path.name}:{key}[{index}]",
                            " ".join(str(entry.get(k, "")) for k in ("text", "m", "f")),
                            entry,
                        )
                    )
    return tuple(found)


def _surfaces(entry_text: str) -> list[str]:
    """The labelled words of an entry's text: its bracketed parts, or the whole text."""
    parts = re.findall(r"\[([^\]|]+)(?:\|[^\]]*)?\]", entry_text)
    return parts or [entry_text]


def test_partner_nouns_are_the_whole_span_in_the_lexicons() -> None:
    """The guidelines' exception, on every orientation entry rather than on a sample of
    rows: "vit avec [sa compagne]", "PACS avec [son compagnon]", not the whole phrase."""
    wrong = [
        (where, surface)
        for where, _, entry in _entries()
        if where.startswith("sexual_orientation.yaml")
        for form in (entry.get(k) for k in ("text", "m", "f"))
        if isinstance(form, str)
        for surface in _surfaces(form)
        if PARTNER_INSIDE.search(fold(surface))
    ]
    assert not wrong, wrong


def test_eligibility_annotations_are_well_formed() -> None:
    """Issue 9 item 2: ``sex``, ``min_age``, ``max_age``, ``since`` on the lexicons, in the
    form the loader validates: ages in years, a year a drug or benefit existed in France."""
    seen = 0
    for where, _, entry in _entries():
        low, high = entry.get("min_age", 0), entry.get("max_age", 120)
        assert isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= 120, where
        since = entry.get("since", 1900)
        assert isinstance(since, int) and 1900 <= since <= 2026, where
        assert entry.get("sex", "any") in ("any", "M", "F"), where
        seen += any(k in entry for k in ("min_age", "max_age", "since"))
    assert seen > 1000


@pytest.mark.parametrize(
    ("word", "field", "value"),
    [
        ("Biktarvy", "since", 2018),
        ("CSS", "since", 2019),
        ("PrEP", "since", 2016),
        ("Dovato", "since", 2019),
        ("IVG", "sex", "F"),
        ("curatelle", "min_age", 18),
    ],
)
def test_dated_and_restricted_forms_carry_their_annotation(word: str, field: str, value) -> None:
    """Every core or state naming these carries the field: no "CSS depuis 2004"."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    matching = [
        (where, entry)
        for where, text, entry in _entries()
        if ":phrases[" not in where and pattern.search(text)
    ]
    assert matching
    for where, entry in matching:
        if field in ("since", "min_age"):
            assert entry.get(field, 0) >= value, where
        else:
            assert entry.get(field) == value, where
