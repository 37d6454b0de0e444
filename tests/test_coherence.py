"""A comment agrees with its own row: the contradiction classes of issue 9, each a check
that fails when the engine writes about someone else.

Rows come from ``make_block`` (the generator's own path) at difficulty ``easy`` so that
no writing noise hides a name or a date; eligibility and the household are checked on
the engine's draws directly.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import unicodedata

import numpy as np
import pytest
from breachbench.generator.block import make_block
from breachbench.generator.comments.births import load_birth_groups
from breachbench.generator.comments.engine import CommentContext, CommentEngine, load_engine
from breachbench.generator.comments.homes import load_residence_groups
from breachbench.generator.comments.slots import SlotFiller
from breachbench.generator.comments.splits import template_families
from breachbench.generator.comments.templates import (
    MAX_AGE,
    TemplateError,
    kinship,
    load_templates,
    parse_markup,
)
from breachbench.generator.options import GenerateOptions
from breachbench.generator.records.dates import desk_days, future_days
from breachbench.generator.records.nir import nir_key
from breachbench.generator.records.people import FEMALE, MALE
from breachbench.generator.records.places import CAPITAL, CITY, load_places
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support.contexts import people_context

ROWS = 30_000


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    options = GenerateOptions(seed=424242, comment_rate=1.0, sensitive_rate=0.5, difficulty="easy")
    return [r for r in make_block(options, 0, ROWS).to_pylist() if r["admin_comment"]]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _age(row: dict) -> int:
    """The patient's age on the note's date (``updated_at``), as the note reads it: whole
    years, a birthday counted on the day (days * 400 // 146,097 is a day short on some
    birthdays: a girl whose note falls on her 14th read as 13)."""
    note, birth = row["updated_at"].date(), row["birth_date"]
    return note.year - birth.year - ((note.month, note.day) < (birth.month, birth.day))


def _spans(row: dict, category: str, subject: str | None = None):
    for span in row["spans"]:
        if span["category"] == category and subject in (None, span["subject"]):
            yield span, row["admin_comment"][span["start"] : span["end"]]


def _clause_before(row: dict, span: dict) -> str:
    """The text of the span's clause before it (back to the previous separator)."""
    head = row["admin_comment"][: span["start"]]
    return re.split(r"(?:\. |\n| - | ; | / | // | \| | -- |, )", head)[-1]


def test_a_title_before_the_patients_name_fits_the_patients_sex(rows):
    wrong = []
    for row in rows:
        for span, _ in _spans(row, "person", "patient"):
            # the title as a word of its own: "CPAM. Fatou Jimenez" has no "M. " title
            before = row["admin_comment"][: span["start"]]
            if re.search(r"(?:^|[\s(])(?:Mme|Madame|Mlle) $", before) and row["sex"] != "F":
                wrong.append(row["admin_comment"])
            if re.search(r"(?:^|[\s(])(?:M\.|Monsieur|Mr) $", before) and row["sex"] != "M":
                wrong.append(row["admin_comment"])
    assert not wrong, wrong[:5]


def test_names_labelled_as_the_patients_are_the_rows(rows):
    wrong = []
    for row in rows:
        own = {_fold(row[k]) for k in ("first_name", "last_name", "birth_name")}
        for span, text in _spans(row, "person", "patient"):
            if "2e prenom" in _fold(_clause_before(row, span)):
                continue
            # Whole names, longest first: "Louna Dos Santos" is a first name and a
            # surname of two words.
            rest = _fold(text)
            for name in sorted(own, key=len, reverse=True):
                rest = rest.replace(name, " ")
            if rest.split():
                wrong.append((text, own, row["admin_comment"]))
    assert not wrong, wrong[:5]


def _digits(text: str | None) -> str:
    digits = re.sub(r"\D", "", text or "")
    return "0" + digits[2:] if digits.startswith("33") else digits


def test_phones_and_emails_labelled_as_the_patients_are_the_rows_unless_another(rows):
    other = ("ancien", "travail", "ne plus utiliser", "pro", "vacances")
    wrong = []
    checked = 0
    for row in rows:
        own_phones = {_digits(row["phone_mobile"]), _digits(row["phone_home"])} - {""}
        for category, own in (("phone", own_phones), ("email", {row["email"]})):
            for span, text in _spans(row, category, "patient"):
                value = _digits(text) if category == "phone" else text
                if any(w in _clause_before(row, span).lower() for w in other):
                    continue
                checked += 1
                if value not in own:
                    wrong.append((text, own, row["admin_comment"]))
    assert checked > 500
    assert not wrong, wrong[:5]


_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")


def test_the_patients_dates_fall_within_their_life(rows):
    """Past events between birth and the note's date; nothing before birth."""
    wrong = []
    checked = 0
    for row in rows:
        birth, created = row["birth_date"], row["created_at"].date()
        for _, text in _spans(row, "date", "patient"):
            year = re.search(r"\b(19|20)\d{2}\b", text)
            if year:
                checked += 1
                if int(year.group()) < birth.year:
                    wrong.append((text, birth, created, row["admin_comment"]))
            match = _DATE.match(text)
            if match and len(match.group(3)) == 4:
                day = dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
                if day < birth:
                    wrong.append((text, birth, created, row["admin_comment"]))
    assert checked > 1000
    assert not wrong, wrong[:5]


# What the desk still has to act on is dated in the eight weeks before the desk's weeks
# that end on the note's date ('lately'), and a file taken over is taken over when the
# record is opened.
_ACTED_ON = re.compile(r"(?:bilan du) (\d{1,2})/(\d{1,2})/(\d{4})")
# The desk's own entries on the record: in the weeks before the note's date, never before
# the record's opening.
_DESK_ENTRY = re.compile(
    r"(?:copie du dossier médical reçue le|envoyé au nouveau médecin le"
    r"|patiente? décédée? le) (\d{1,2})/(\d{1,2})/(\d{4})"
)
_TAKEN_OVER = re.compile(r"dossier repris en (\d{4}) quand")


def test_what_the_desk_still_acts_on_is_weeks_old_not_years(rows):
    """ "bilan du 06/10/2014 : ..., à rappeler pour le lui dire" in a note of 2016 read
    as a result left two years unsaid: such dates fall in the eight weeks before the
    desk's weeks; and the desk's own entries ("dossier envoyé au nouveau médecin le") in
    these weeks, before the note's date and never before the record existed."""
    wrong, checked = [], 0
    desk = dt.timedelta(days=desk_days())
    for row in rows:
        created, text = row["created_at"].date(), row["admin_comment"]
        note = row["updated_at"].date()
        weeks = max(created, note - desk)
        for pattern, first in ((_ACTED_ON, weeks - dt.timedelta(weeks=8)), (_DESK_ENTRY, weeks)):
            for m in pattern.finditer(text):
                checked += 1
                day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                if not first <= day <= note:
                    wrong.append((m.group(), created, note))
        for m in _TAKEN_OVER.finditer(text):
            checked += 1
            if int(m.group(1)) != created.year:
                wrong.append((m.group(), created))
    assert checked > 10
    assert not wrong, wrong[:5]


def test_birth_dates_written_for_the_patient_are_the_rows(rows):
    checked = 0
    for row in rows:
        for span, text in _spans(row, "date", "patient"):
            before = _fold(_clause_before(row, span))
            match = _DATE.match(text)
            if match and re.search(r"(^| )(nee?|ddn) (le )?:? ?$", before):
                checked += 1
                assert (int(match.group(1)), int(match.group(2))) == (
                    row["birth_date"].day,
                    row["birth_date"].month,
                ), row["admin_comment"]
    assert checked > 20


def test_a_written_birth_date_carries_its_year(rows):
    """ "DDN 12/02" or "né le 3 mars" says too little to be written: a birth date, the
    patient's or a child's, always has its year (formats/dates.yaml ``birth``), where
    other dates of a note may go without ("RDV du 12/02")."""
    births = 0
    for row in rows:
        for span in row["spans"]:
            if span["category"] != "date":
                continue
            before = _fold(row["admin_comment"][: span["start"]])
            # "naissance" then the date in the same clause: "vérifier la date de naissance,
            # CNI vue le 17 février" dates the identity card, not the birth, and so does
            # "vérifier la date de naissance - certificat sport fait le 14 décembre".
            if re.search(
                r"(^|[ (])(nee?|ddn|naissance(?:(?! - )[^.;,]){0,24}) (le )?:? ?$", before
            ):
                births += 1
                text = row["admin_comment"][span["start"] : span["end"]]
                assert re.search(r"\d{4}$|/\d{2}$|\.\d{4}$|-\d{4}$", text), row["admin_comment"]
    assert births > 100


def test_no_partner_or_orientation_for_children(rows):
    partner_words = re.compile(r"\b(mari|épouse|compagnon|compagne|conjointe?)\b")
    for row in rows:
        if _age(row) < 14:
            assert not list(_spans(row, "sexual_orientation", "patient")), row["admin_comment"]
            assert (
                not partner_words.search(row["admin_comment"]) or "(mère)" in row["admin_comment"]
            ), (_age(row), row["admin_comment"])


def test_same_sex_partner_nouns_are_orientation_spans_about_the_patient(rows):
    same = {
        "F": re.compile(r"\b(sa compagne|sa conjointe|épouse|compagne|conjointe)\b"),
        "M": re.compile(
            r"\b(son compagnon|son mari|son conjoint|compagnon|mari|conjoint)\b(?! du D)"
        ),
    }
    found = 0
    missed = []
    for row in rows:
        covered = [(s["start"], s["end"]) for s, _ in _spans(row, "sexual_orientation", "patient")]
        # "compagne de sa mère" is the mother's partner: a relative's orientation span.
        theirs = [(s["start"], s["end"]) for s, _ in _spans(row, "sexual_orientation", "relative")]
        emails = [(s["start"], s["end"]) for s in row["spans"] if s["category"] == "email"]
        for match in same[row["sex"]].finditer(row["admin_comment"]):
            if any(s <= match.start() < e for s, e in emails):  # "mari.guichard@..."
                continue
            if "ex-" in row["admin_comment"][max(0, match.start() - 3) : match.start()].lower():
                continue
            if any(s <= match.start() and match.end() <= e for s, e in theirs):
                continue
            if any(s <= match.start() and match.end() <= e for s, e in covered):
                found += 1
            else:
                missed.append((row["sex"], row["admin_comment"]))
    assert found > 5
    assert not missed, missed[:5]


def test_no_repeated_clause_nor_two_mutuelles_and_clean_joins(rows):
    for row in rows:
        text = row["admin_comment"]
        assert "  " not in text and "?." not in text and "!." not in text, text
        assert not re.search(r"(?<!\.)\.\.(?!\.)", text), text
        assert len(re.findall(r"\bmutuelle (MGEN|Harmonie|MAAF|AG2R|Alan|Apicil)\b", text)) <= 1
        assert not ("préfère les RDV le matin" in text and "préfère les RDV l'après-midi" in text)
        card = r"carte Vitale (?:à mettre|perdue|volée|non mise|bloquée|illisible)|oublié sa carte"
        assert len(re.findall(card, text, flags=re.IGNORECASE)) <= 1, text


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31), difficulty=st.sampled_from(["easy", "realistic", "hard"]))
def test_clauses_join_as_people_type_them_whatever_the_noise(seed, difficulty):
    """No double space, "?.", "..", ",," in any note: noise may end a clause with a cut
    word's dot ("méd."), and the separator after it then drops its own."""
    from breachbench.benchmarks.check import JOIN_PATTERNS

    options = GenerateOptions(seed=seed, comment_rate=1.0, difficulty=difficulty)
    texts = make_block(options, 0, 3000).column("admin_comment").to_pylist()
    joined = re.compile("|".join(f"(?:{p})" for p in JOIN_PATTERNS.values()))
    bad = [t for t in texts if joined.search(t)]
    assert not bad, bad[:5]


# ------------------------------------------------------------------ eligibility


def _draws(engine: CommentEngine, ctx: CommentContext, seed: int) -> tuple[np.ndarray, ...]:
    """The templates the engine draws for ``ctx`` (its clause rows and partner states)."""
    captured = {}

    def capture(rng, ctx, n, has, clause_row, position, template, *rest):
        captured.update(template=template, row=clause_row, partner=rest[-1])
        raise StopIteration

    engine = copy.copy(engine)
    engine._assemble = capture  # type: ignore[method-assign]
    with pytest.raises(StopIteration):
        engine.generate(np.random.default_rng(seed), ctx, comment_rate=1.0, sensitive_rate=0.7)
    return captured["template"], captured["row"], captured["partner"]


def _context(n: int, age: int, year: int, seed: int) -> CommentContext:
    return people_context(n, seed, age=age, year=year)


@settings(max_examples=12, deadline=None)
@given(age=st.integers(0, 100), year=st.integers(2004, 2025), seed=st.integers(0, 2**16))
def test_every_drawn_template_fits_age_year_and_partner(age, year, seed):
    engine = load_engine()
    ctx = _context(400, age, year, seed)
    template, row, partner = _draws(engine, ctx, seed)
    c = engine.compiled
    assert (c.min_age[template] <= age).all() and (c.max_age[template] >= age).all()
    assert (c.since[template] <= year).all() and (year <= c.until[template]).all()
    assert (((c.partner[template] >> partner[row]) & 1) == 1).all()
    assert (((c.born[template] >> ctx.birth_class[row]) & 1) == 1).all()
    assert (((c.lives[template] >> ctx.home_class[row]) & 1) == 1).all()
    if age < kinship().partners["min_age"]:
        assert (partner == 0).all()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_clauses_that_ask_for_a_birth_country_are_written_for_people_born_there(seed):
    """ "ne parle que l'arabe", "sans-papiers", "arrivée d'Afghanistan": only for patients
    whose birth class (France, or the country of the row's birth place) the clause admits;
    with half the patients born abroad, such clauses are drawn, and born-abroad patients
    get ``born_abroad_facts`` more often than others."""
    engine = load_engine()
    ctx = _context(6000, 40, 2020, seed)
    rng = np.random.default_rng(seed)
    countries = len(load_birth_groups().countries)
    abroad = rng.random(6000) < 0.5
    classes = np.where(abroad, rng.integers(1, countries + 1, 6000), 0)
    ctx = dataclasses.replace(ctx, birth_classes=classes)
    template, row, _ = _draws(engine, ctx, seed)
    c = engine.compiled
    assert (((c.born[template] >> classes[row]) & 1) == 1).all()
    # Clauses that admit no one born in France go to patients born abroad (an origin,
    # "d'origine rom", admits France and the origin's countries).
    constrained = (c.born[template] != -1) & ((c.born[template] & 1) == 0)
    assert constrained.sum() > 50 and abroad[row[constrained]].all()
    key = np.full(len(c.piece_codes), -1)
    key[engine.items_template] = engine.items_group // 2
    ethnic = key[template] == engine.keys.index("ethnic_origin")
    assert ethnic[abroad[row]].mean() > 2 * ethnic[~abroad[row]].mean()


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_clauses_that_ask_for_a_department_are_written_for_people_living_there(seed):
    """ "frontalier, travaille à Genève" went to a man of Le Port (La Réunion): a clause
    with ``lives:`` is drawn only for patients whose department it admits, and the CPAM
    never for one of the overseas departments; with patients spread over the classes,
    such clauses are drawn."""
    engine = load_engine()
    groups = load_residence_groups()
    ctx = _context(6000, 40, 2020, seed)
    classes = np.random.default_rng(seed).integers(0, len(groups.names) + 1, 6000)
    ctx = dataclasses.replace(ctx, home_classes=classes)
    template, row, _ = _draws(engine, ctx, seed)
    c = engine.compiled
    assert (((c.lives[template] >> classes[row]) & 1) == 1).all()
    constrained = c.lives[template] != -1
    assert constrained.sum() > 20
    cpam = np.array(["CPAM" in "".join(p.text or "" for p in t.pieces) for t in engine.templates])
    overseas = np.isin(classes[row], [groups.class_of(d) for d in ("971", "974", "976")])
    assert cpam[template].any() and not (cpam[template] & overseas).any()


def test_same_sex_partners_are_a_small_realistic_share():
    engine = load_engine()
    ctx = _context(60_000, 40, 2020, 3)
    partner = engine.partner_states(np.random.default_rng(0), ctx)
    has = partner > 0
    same = (partner[has] - 1) == ctx.sex[has]
    assert 0.025 < same.mean() < 0.05
    assert 0.6 < has.mean() < 0.8


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_a_clause_naming_the_partner_sets_its_sex_for_whoever_has_one(seed):
    """ "vit avec son compagnon Marc" drawn for a man who has a partner makes that partner
    a man (the clause is kept, not redrawn); who has a partner never changes, and a record
    with no such clause keeps the partner it was drawn with."""
    engine = load_engine()
    rng = np.random.default_rng(seed)
    named_by = engine._partner_named_by
    assert (named_by == 1).any() and (named_by == 2).any()
    rows = 300
    partner = rng.integers(0, 3, rows)
    row = np.sort(rng.integers(0, rows, 2000))
    template = rng.integers(0, len(named_by), len(row))
    out = engine._named_partners(partner, template, row)
    assert ((out > 0) == (partner > 0)).all()
    named = named_by[template]
    last = np.zeros(rows, dtype=np.int64)
    last[row[named > 0]] = named[named > 0]  # the last clause naming one wins
    has = partner > 0
    assert (out[has & (last > 0)] == last[has & (last > 0)]).all()
    assert (out[last == 0] == partner[last == 0]).all()


def test_same_sex_partner_phrases_are_written_for_patients_with_a_partner():
    """The partner phrases of sexual_orientation.yaml ("pacsé avec son compagnon {name}")
    reach the notes of men and women who have a partner, not only the 3.5% drawn with a
    same-sex one: the clause sets the partner's sex before fitting."""
    engine = load_engine()
    ctx = _context(20_000, 40, 2020, 11)
    template, row, partner = _draws(engine, ctx, 11)
    c = engine.compiled
    same_named = engine._partner_named_by[template] == ctx.sex[row] + 1
    assert same_named.sum() >= 20
    rows = np.unique(row[same_named])
    assert (partner[rows] == ctx.sex[rows] + 1).all()
    has = partner > 0
    assert ((partner[has] - 1) == ctx.sex[has]).mean() < 0.1  # still a small share
    assert (((c.partner[template] >> partner[row]) & 1) == 1).all()


def test_eligibility_is_loaded_merged_and_implied_by_roles():
    templates = [t for ts in load_templates().values() for t in ts]
    by_source = {t.source: t for t in templates}
    assert by_source["routine.yaml:entries[78]"].since >= 2013 or any(
        "Doctolib" in "".join(p.text for p in t.pieces) and t.since >= 2013 for t in templates
    )
    for t in templates:
        text = "".join(p.text for p in t.pieces)
        roles = {p.role.split(":")[0] for p in t.pieces if p.subject == "relative" and p.slot}
        for role in roles & set(kinship().roles):
            assert t.min_age >= kinship().roles[role]["min_patient_age"], t.source
        if "Doctolib" in text:
            assert t.since >= 2013, t.source
        if "téléconsultation" in text:
            assert t.since >= 2018, t.source
        if "crèche" in text:
            assert t.max_age <= 3, t.source
        if any(p.slot == "partner" for p in t.pieces):
            assert t.partner & 1 == 0, t.source
        # A template no patient fits (partner 0: "épouse : bloqueurs de puberté", a
        # partner of a child) is never drawn, whatever its merged age range says.
        assert t.partner == 0 or 0 <= t.min_age <= t.max_age <= MAX_AGE


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ('{text: "ok", min_age: 30, max_age: 20}', "min_age"),
        ('{text: "ok", since: 1800}', "since"),
        ('{text: "ok", since: 2010, until: 2005}', "until"),
        ('{text: "ok", partner: X}', "partner"),
        ('{text: "ok", born: Atlantide}', "Atlantide"),
        ('{text: "ok", born: []}', "born"),
        ('{text: "tél : {phone|relative:cousin}"}', "cousin"),
        ('{text: "{partner:amant} : ok"}', "partner form"),
        ('{text: "Mme {surname}", sex: M}', "contradicts"),
    ],
)
def test_invalid_eligibility_raises_one_line_errors(tmp_path, entry, needle):
    import shutil

    import yaml
    from breachbench.generator.data import corpora

    root = tmp_path / "corpora"
    shutil.copytree(corpora.corpora_root() / "comments", root / "comments")
    shutil.copytree(corpora.corpora_root() / "taxonomy", root / "taxonomy")
    path = root / "comments" / "routine.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["entries"].append(yaml.safe_load(entry))
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        load_templates(root)
    assert needle in str(error.value) and "\n" not in str(error.value)


def test_slot_qualifiers_parse():
    (piece,) = parse_markup("{date|relative:son:birth}")
    assert (piece.slot, piece.subject, piece.role) == ("date", "relative", "son:birth")
    (piece,) = parse_markup("{partner:son_compagnon}")
    assert (piece.slot, piece.role, piece.category) == ("partner", "son_compagnon", None)
    with pytest.raises(TemplateError):
        parse_markup("{phone|third_party:other}")
    (piece,) = parse_markup("{phone|third_party:home}")  # an office's landline
    assert (piece.slot, piece.subject, piece.role) == ("phone", "third_party", "home")


def test_a_third_partys_phone_kind_is_the_one_asked():
    """A pharmacy or a probation office answers on a landline ("pharmacie : 0639987383"
    was a mobile, a reading of seed 3031)."""
    engine = load_engine()
    filler = SlotFiller(engine, _context(2000, 50, 2020, 5), np.random.default_rng(2))
    rows = np.arange(2000)
    digits = [re.sub(r"\D", "", p) for p in filler.fill("phone|third_party:home", rows).to_pylist()]
    assert not [d for d in digits if re.match(r"(33)?0?[67]", d)]
    digits = [re.sub(r"\D", "", p) for p in filler.fill("phone|third_party", rows).to_pylist()]
    assert 0.5 < sum(bool(re.match(r"(33)?0?[67]", d)) for d in digits) / len(digits) < 0.9


@settings(max_examples=20, deadline=None)
@given(open_years=st.integers(0, 20), seed=st.integers(0, 2**16))
def test_a_note_s_timeline_ends_on_its_last_edit(open_years, seed):
    """A note is written as of ``note_days`` (``updated_at``): the desk's entries in the
    ``desk_days`` before it and never before the record's opening, the past before
    them (or from its first possible day, when that falls inside them: a fact from 10
    for a girl who turned 10 last week), plans after it, the opening where it is meant."""
    rng = np.random.default_rng(seed)
    ctx = _context(500, 40, 2024, seed)
    note = ctx.created_days + open_years * 365 + rng.integers(0, 365, 500)
    ctx = dataclasses.replace(ctx, note_days=note)
    filler = SlotFiller(load_engine(), ctx, rng)
    rows = np.arange(500)
    desk = np.maximum(ctx.created_days, note - desk_days())
    low = note - rng.integers(0, 30 * 365, 500)
    for timing in ("desk", "lately", "recent", "middle", "early", "future", "created"):
        days = filler._timeline(rows, low, note, (timing,))
        if timing == "desk":
            assert ((desk <= days) & (days <= note)).all()
        elif timing == "future":
            assert (days > note).all()
        elif timing == "created":
            assert (days == ctx.created_days).all()
        else:
            assert (days >= np.minimum(low, note)).all()
            assert (days <= np.maximum(desk, np.minimum(low, note))).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_plans_fall_in_the_desk_s_weeks_unless_they_wait_months(seed):
    """A desk books weeks ahead: 'RDV le {date|patient:future}' falls within future_days'
    soon; what waits months says so ('terme prévu le {date|patient:future:far}') and
    falls within far, never the ten months one window gave ('transfert prévu le' 300 days
    after the note, a reading of seed 8181)."""
    rng = np.random.default_rng(seed)
    ctx = _context(500, 40, 2024, seed)
    filler = SlotFiller(load_engine(), ctx, rng)
    rows, note = np.arange(500), ctx.note_days
    low = note - 10 * 365
    windows = future_days()
    soon = filler._timeline(rows, low, note, ("future",))
    far = filler._timeline(rows, low, note, ("future", "far"))
    assert ((soon > note) & (soon <= note + windows["soon"])).all()
    assert ((far > note) & (far <= note + windows["far"])).all()
    assert windows["soon"] <= 90 and windows["far"] < 280  # a term: under nine months ahead


def test_far_is_a_plan_s_horizon_only():
    (piece,) = parse_markup("{month_year|patient:future:far}")
    assert piece.role == "future:far"
    for markup in ("{date|patient:far}", "{date|patient:recent:far}", "{phone|patient:far}"):
        with pytest.raises(TemplateError):
            parse_markup(markup)


# ------------------------------------------------------------------ the household


@pytest.mark.parametrize("role", ["daughter", "son", "mother", "father", "partner", "grandson"])
def test_relatives_fit_their_role(role):
    engine = load_engine()
    ctx = _context(3000, 70, 2020, 5)
    partner = engine.partner_states(np.random.default_rng(1), ctx)
    filler = SlotFiller(engine, ctx, np.random.default_rng(2), partner)
    m = filler._member(role)
    spec = kinship().roles[role]
    if spec["sex"] in ("M", "F"):
        assert (m.sex == (FEMALE if spec["sex"] == "F" else MALE)).all()
    if role == "partner":
        has = partner[m.rows] > 0
        assert (m.sex[has] == partner[m.rows][has] - 1).all()
    low, high = spec["years"]
    gap = (m.birth_days - ctx.birth_days) / 365.2425
    assert (gap >= min(low, low / 2) - 1).all() and (gap <= high + 1).all()
    assert (m.birth_days < ctx.note_days).all()
    # A relative's NIR: their own sex digit, birth year, and a valid key.
    nir = filler._member_nir(m, np.arange(len(m.rows)), m.rows)
    digits = nir.astype(np.int64) - ord("0")
    assert (digits[:, 0] == m.sex + 1).all()
    assert (digits[:, 1] * 10 + digits[:, 2] == m.birth_year % 100).all()
    first13 = nir[:, :13].tobytes().decode().replace("2A", "19").replace("2B", "18")
    numbers = np.array([int(first13[i * 13 : i * 13 + 13]) for i in range(len(nir))])
    assert (nir_key(numbers) == digits[:, 13] * 10 + digits[:, 14]).all()
    if spec["surname"] == "birth" and spec["shared"] == 1.0:
        assert (m.last == ctx.birth_name_index[m.rows]).all()


# ------------------------------------------------------------------ structured columns


def test_city_addresses_have_city_street_types(rows):
    places = load_places()
    size = dict(zip(places.insee_code.to_pylist(), places.size_class.tolist(), strict=True))
    rural = re.compile(r"^\d+(?: bis| ter)? (route|lieu-dit|hameau|sentier) ")
    cities = [r for r in rows if size[r["insee_code"]] >= CITY]
    assert len(cities) > 1000
    assert not [r["address"] for r in cities if rural.match(r["address"])][:5]


def test_an_arrondissement_has_the_size_of_its_whole_commune():
    """Paris 1er has 15,000 people, but the streets of Paris: its size class is the
    capital's, as Lyon's and Marseille's arrondissements are cities."""
    places = load_places()
    size = dict(zip(places.insee_code.to_pylist(), places.size_class.tolist(), strict=True))
    assert {size[f"751{n:02d}"] for n in range(1, 21)} == {CAPITAL}
    assert {size[f"6938{n}"] for n in range(1, 10)} == {CITY}
    assert {size[f"132{n:02d}"] for n in range(1, 17)} == {CITY}


def test_paris_addresses_have_paris_street_types(rows):
    """No chemin, lotissement, montée or "route de Paris" in Paris (it had them in its
    small arrondissements, which were sized as towns)."""
    types = "route|lieu-dit|hameau|sentier|chemin|lotissement|montée|ruelle"
    rural = re.compile(rf"(^\d+(?: bis| ter)? ({types}) )|Lotissement")
    paris = [r for r in rows if r["city"] == "Paris"]
    assert len(paris) > 100
    assert not [r["address"] for r in paris if rural.search(r["address"])][:5]


def test_a_practices_patients_live_near_it(rows):
    """Most of a GP's patients share the postal area (first three postcode digits)."""
    from collections import Counter, defaultdict

    areas: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        areas[row["doctor_rpps"]][row["postcode"][:3]] += 1
    big = [c for c in areas.values() if sum(c.values()) >= 200]
    assert len(big) >= 5
    for counts in big:
        assert counts.most_common(1)[0][1] / sum(counts.values()) > 0.8


def test_second_address_lines_fit_the_commune_and_the_resident(rows):
    """No 9th floor in a village nor a hamlet in a city; no EHPAD or foyer logement for a
    resident younger than its ``min_age`` in reference/streets.yaml (at the note's date,
    when the note may copy the address)."""
    places = load_places()
    size = dict(zip(places.insee_code.to_pylist(), places.size_class.tolist(), strict=True))
    floor = re.compile(r", (\d+)(?:er|e) étage")
    highest = {0: 2, 1: 6, 2: 15, 3: 15}
    floors = {0: 0, 1: 0, 2: 0, 3: 0}
    wrong = []
    for row in rows:
        cls = size[row["insee_code"]]
        if m := floor.search(row["address"]):
            floors[cls] += 1
            if int(m.group(1)) > highest[cls]:
                wrong.append((cls, row["address"]))
        if cls >= CITY and "Hameau" in row["address"]:
            wrong.append((cls, row["address"]))
        if "EHPAD" in row["address"] and _age(row) < 70:
            wrong.append((_age(row), row["address"]))
        if "Foyer logement" in row["address"] and _age(row) < 60:
            wrong.append((_age(row), row["address"]))
    assert min(floors.values()) > 10, floors
    assert not wrong, wrong[:5]


# ------------------------------------------------------------------ repeated clauses


def test_clause_texts_read_as_a_reader_compares_clauses():
    from breachbench.generator.comments.compiled import clause_texts
    from breachbench.generator.comments.templates import Template

    def template(markup: str) -> Template:
        return Template("identifier", None, parse_markup(markup), "any", 1.0, (), "t")

    daughter = clause_texts(template("tél fille : {phone|relative:daughter}"))
    both = clause_texts(template("tél fille {phone|relative:daughter} / fils {phone|relative:son}"))
    assert daughter < both
    assert clause_texts(template("port. {phone}")) & clause_texts(
        template("{phone|patient:mobile}")
    )
    # A third party's name is drawn anew: two such clauses never read the same.
    assert not clause_texts(template("voir avec Dr {surname|third_party}"))


def test_a_clause_two_templates_write_is_said_once_per_comment():
    """Two routine entries write "attestation de droits à jour", and many frames end
    with "ne pas en parler devant la famille": the second of a comment is redrawn."""
    engine = load_engine()
    c = engine.compiled
    owner = np.searchsorted(c.shared_start, np.arange(len(c.shared_clause)), side="right") - 1
    clause = c.shared_clause[0]
    a, b = owner[c.shared_clause == clause][:2]
    assert a != b
    # Two comments: the first says the clause twice, the second once.
    repeated = engine._repeated(np.array([a, b, b]), np.array([0, 0, 1]))
    assert repeated.tolist() == [False, True, False]


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**31), difficulty=st.sampled_from(["easy", "realistic", "hard"]))
@example(seed=0, difficulty="easy")  # two "RDV honoré, RAS. ... se confie enfin" in one note
def test_no_comment_says_a_clause_twice(seed, difficulty):
    """Four random seeds of 5,000 notes each (a million rows per difficulty through
    ``check``, whose ``repeated_clause`` rule is this one, in ``pytest -m slow``)."""
    from breachbench.benchmarks.check import Record, rule_repeated_clause

    options = GenerateOptions(seed=seed, comment_rate=1.0, difficulty=difficulty)
    texts = make_block(options, 0, 5_000).column("admin_comment").to_pylist()
    twice = [t for t in texts if rule_repeated_clause(Record("P", t, []))]
    assert not twice, twice[:5]


def test_a_note_writes_one_wording_of_an_entry(rows):
    """An entry with several wordings (``text: [a, b]``) is one note written several
    ways: a comment holds one of them, never two ("ordonnance à déposer à la pharmacie du
    centre. Ordo à déposer à la pharmacie du centre")."""
    wordings: dict[str, list[str]] = {}
    for family in ("routine", "hard_negative"):
        for template in load_templates()[family]:
            if all(p.slot is None for p in template.pieces):
                text = _fold("".join(p.text for p in template.pieces))
                (family,) = template_families(template.source)
                wordings.setdefault(family, []).append(text)
    several = {s: texts for s, texts in wordings.items() if len(texts) > 1}
    assert several
    seen = 0
    for row in rows:
        note = _fold(row["admin_comment"])
        for texts in several.values():
            # ((a|)) writes a wording that may lie inside another ("... à prévenir" in
            # "... à prévenir pour le week-end"): only the longest one found counts.
            found = [t for t in texts if t in note]
            held = [t for t in found if not any(t != u and t in u for u in found)]
            seen += bool(held)
            assert len(held) <= 1, (held, row["admin_comment"])
    assert seen > 100  # the wordings are drawn
