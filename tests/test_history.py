"""A note's history fits the record's own life at this practice (issue 9): a visit here
falls on or after the record's opening, and a note that says the patient is new is
written in the record's first year."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.check import (
    PIVOT_AHEAD,
    Record,
    check_dataset,
    fold,
    load_desk,
    load_opening,
    parse_date_span,
    rule_desk_before_opening,
    rule_new_after_opening,
)
from breachbench.generator.comments.templates import (
    HERE,
    HERE_ROOM_YEARS,
    TemplateError,
    load_templates,
    parse_markup,
)
from test_templates import _append, _copy_corpora

_DATES = ("date", "month_year", "year")


def _text(template) -> str:
    return "".join(p.text if p.slot is None else "{" + str(p.slot) + "}" for p in template.pieces)


@pytest.fixture(scope="module")
def templates():
    return [t for family in load_templates().values() for t in family]


def test_a_visit_here_takes_the_here_qualifier(templates):
    """ "Revu en {month_year}, puis perdu de vue jusqu'au {date}" put its first visit
    before the record's opening in 144 of 275 notes (a reading of issue 9): every date
    the check reads as a visit here (desk.yaml ``here``) is a patient's date qualified
    'here', and its template wants a record open for the windows it writes."""
    here = load_desk().here
    visits = 0
    for t in templates:
        before = ""
        for p in t.pieces:
            if p.slot in _DATES and here.search(fold(before)):
                visits += 1
                assert HERE in p.role.split(":"), t.source
                assert p.subject == "patient", t.source
                if set(p.role.split(":")) & {"early", "middle"}:
                    assert t.min_open >= HERE_ROOM_YEARS, t.source
            before = before + p.text if p.slot is None else before + "12/03/2019"
    assert visits >= 2


def test_a_new_patients_note_is_written_in_the_records_first_year(templates):
    """ "nouveau patient de 27 ans" in a record opened five years before the note (460 of
    557 new patients' notes at main, 300,000 realistic rows): a template the check reads
    as a new patient's (opening.yaml ``new``) fits only a record open less than
    ``years``."""
    years, new = load_opening()
    named = [t for t in templates if new.search(fold(_text(t)))]
    assert len(named) >= 10
    assert [t.source for t in named if t.max_open >= years] == []


@pytest.mark.parametrize(
    "markup",
    [
        "revu le {date|patient:desk:here}",
        "RDV le {date|patient:future:here}",
        "né le {date|patient:birth:here}",
        "arrivé au cabinet en {year|patient:created:here}",
        "revu en {month_year|third_party:here}",
        "tél {phone|patient:here}",
        "revu en {month_year|patient:here:here}",
    ],
)
def test_here_fits_a_patients_date_of_the_past_only(markup):
    with pytest.raises(TemplateError):
        parse_markup(markup)


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ('{text: "nouveau", min_open: 2, max_open: 1}', "min_open"),
        ('{text: "nouveau", max_open: -1}', "max_open"),
        ('{text: "nouveau", min_open: "un an"}', "min_open"),
        ('{text: "revu en {month_year|patient:middle:here}", max_open: 2}', "open longer"),
    ],
)
def test_years_open_are_validated(tmp_path, entry, needle):
    root = _copy_corpora(tmp_path, sensitive=[])
    _append(root / "comments" / "routine.yaml", "entries", entry)
    with pytest.raises(TemplateError, match=needle):
        load_templates(root)


def test_a_visit_here_in_the_middle_window_wants_a_record_open_for_years(tmp_path):
    root = _copy_corpora(tmp_path, sensitive=[])
    _append(
        root / "comments" / "routine.yaml",
        "entries",
        '{text: "revu en {month_year|patient:middle:here}, puis perdu de vue"}',
    )
    loaded = [t for t in load_templates(root)["routine"] if "perdu de vue" in _text(t)]
    assert [t.min_open for t in loaded] == [HERE_ROOM_YEARS]


@pytest.mark.parametrize(
    ("text", "created", "found"),
    [
        ("2002 : violences. Revu en avril 2018, puis perdu de vue jusqu'au 16/07/2023", 2019, 1),
        ("2002 : violences. Revu en avril 2018, puis perdu de vue jusqu'au 16/07/2023", 2017, 0),
        ("2002 : violences. Revue en 04/2020, puis perdue de vue jusqu'au 16/07/2023", 2024, 2),
        ("suivi en 2018 à Lyon", 2019, 0),  # the patient's history may be older
    ],
)
def test_check_counts_a_visit_here_before_the_opening(text, created, found):
    record = Record("P", text, _dates(text), created_at=dt.date(created, 6, 1))
    assert len(rule_desk_before_opening(record)) == found


def _dates(text: str) -> list:
    pattern = r"\d{2}/\d{4}|\d{2}/\d{2}/\d{4}|(?:avril|mars) \d{4}|\b\d{4}\b"
    return [(m.start(), m.end(), "date", "patient", "affirmed") for m in re.finditer(pattern, text)]


@pytest.mark.parametrize(
    ("text", "created", "updated", "found"),
    [
        ("Nouveau patient de 27 ans, dossier à récupérer", "2016-03-16", "2021-04-29", 1),
        ("Nouveau patient de 27 ans, dossier à récupérer", "2021-03-16", "2021-04-29", 0),
        ("nouvelle patiente", "2020-05-02", "2021-05-01", 0),  # a day short of a year
        ("nouvelle patiente", "2020-05-02", "2021-05-02", 1),
        ("jeune femme de 24 ans, 1re consultation au cabinet", "2015-01-10", "2020-01-10", 1),
        ("VIH/VHB/VHC à faire au bilan d'arrivée", "2015-01-10", "2020-01-10", 1),
        ("MT déclaré en ligne le jour de la première consultation", "2010-01-10", "2020-01-10", 0),
        ("1re consultation le 10/01/2010", "2010-01-10", "2020-01-10", 0),
    ],
)
def test_check_counts_a_new_patients_note_years_after_the_opening(text, created, updated, found):
    record = Record(
        "P",
        text,
        [],
        created_at=dt.date.fromisoformat(created),
        updated_at=dt.date.fromisoformat(updated),
    )
    assert len(rule_new_after_opening(record)) == found


def test_generated_visits_here_fall_between_the_opening_and_the_note(tmp_path: Path) -> None:
    """On 30,000 generated rows of each of two difficulties, every visit here is dated on
    or after the record's opening and on or before the note's date, and no note says the
    patient is new a year after the opening; check counts neither."""
    from breachbench.benchmarks.check import _records, _visit_here
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions

    rules = ("desk_before_opening", "new_after_opening")
    visits = 0
    for difficulty in ("realistic", "hard"):
        out = tmp_path / f"{difficulty}.parquet"
        generate_dataset(
            out, GenerateOptions(rows=30_000, seed=31, difficulty=difficulty), progress=False
        )
        found = {r["id"]: r["contradictions"] for r in check_dataset(out, rules=rules)["rules"]}
        assert found == dict.fromkeys(rules, 0)
        table = pq.read_table(out)
        table = table.filter(pa.compute.is_valid(table["admin_comment"]))
        for batch in table.to_batches():
            for record in _records(batch, {"created_at", "updated_at", "birth_date"}):
                for start, end, category, _, _ in record.spans:
                    if category != "date" or not _visit_here(record, start):
                        continue
                    day = parse_date_span(record.text[start:end], record.pivot(PIVOT_AHEAD))
                    if day is None:
                        continue
                    visits += 1
                    assert day[1] >= record.created_at, record.text
                    assert day[0] <= record.updated_at, record.text
    assert visits > 10, visits
