"""comments/age_floors.yaml: per-category age floors under the lexicon entries (issue 9)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from breachbench.generator.comments.templates import TemplateError, load_templates

CORPORA = Path(__file__).resolve().parents[1] / "corpora"


def _corpora(tmp_path: Path, floors: str) -> Path:
    """The comments with addiction.yaml alone keeping entries, and the floors given."""
    root = tmp_path / "corpora"
    shutil.copytree(CORPORA / "comments", root / "comments")
    shutil.copytree(CORPORA / "taxonomy", root / "taxonomy")
    for path in (root / "comments" / "sensitive").glob("*.yaml"):
        if path.stem != "addiction":
            path.write_text(f"category: {path.stem}\n", encoding="utf-8")
    path = root / "comments/sensitive/addiction.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["cores"] = [
        {"text": "Zubsolv"},
        {"text": "sous [Zubdix]", "min_age": 2},
        {"text": "addiction aux écrans"},
    ]
    document["states"] = [{"m": "Zubsolvé", "f": "Zubsolvée"}]
    document["phrases"] = [{"text": "père [Zubsolv|addiction|relative]"}]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    (root / "comments/age_floors.yaml").write_text(floors, encoding="utf-8")
    _clash_facts_only(root, {"addiction"})
    return root


def _clash_facts_only(root: Path, kept: set[str]) -> None:
    """comments/clashes.yaml names facts by category: keep those of ``kept`` only (a side
    left with none reads nothing, so every other template keeps its sides)."""
    path = root / "comments/clashes.yaml"
    clashes = yaml.safe_load(path.read_text(encoding="utf-8"))
    for c in clashes["classes"]:
        for side in c["sides"]:
            if "facts" not in side:
                continue
            side["facts"] = {k: v for k, v in side["facts"].items() if k in kept}
            if not side["facts"]:
                del side["facts"]
                side.setdefault("spans", ["(?!)"])
    path.write_text(yaml.safe_dump(clashes, allow_unicode=True), encoding="utf-8")


def _ages(templates, source: str) -> set[int]:
    return {t.min_age for t in templates if source in t.source and "+frames" in t.source
            and all(p.subject == "patient" for p in t.pieces if p.category)}  # fmt: skip


FLOORS = "addiction: {default: 15, fits: {6: [addiction aux écrans], 3: [sous Zubdix]}}\n"


def test_default_floor_applies_to_entries_without_their_own(tmp_path):
    templates = load_templates(_corpora(tmp_path, FLOORS))["addiction"]
    assert min(_ages(templates, "cores[0]")) == 15  # floored by the default
    assert min(_ages(templates, "states[0]")) == 15
    assert min(_ages(templates, "cores[2]")) == 6  # listed: its lower floor
    # Its own min_age wins over a listing; the composition floor comes later (compile).
    assert min(_ages(templates, "cores[1]")) == 2
    # A phrase about a relative only is not floored by the patient's age.
    phrase = [t for t in templates if t.source.endswith("phrases[0]")]
    assert phrase and phrase[0].min_age == 0


def test_relative_fact_is_floored_at_the_relative_age(tmp_path):
    templates = load_templates(_corpora(tmp_path, FLOORS))["addiction"]
    sons = [t for t in templates if t.source.startswith("sensitive/addiction.yaml:cores[0]")
            and any(p.text.startswith("fils") for p in t.pieces if p.category is None)]  # fmt: skip
    assert sons and min(t.min_age for t in sons) > 15  # the son is 15, the patient older


def test_unknown_listed_text_is_a_one_line_error(tmp_path):
    floors = "addiction: {default: 15, fits: {6: [addiction aux écrans, Zubzub]}}\n"
    with pytest.raises(TemplateError) as error:
        load_templates(_corpora(tmp_path, floors))
    message = str(error.value)
    assert "\n" not in message and "age_floors.yaml" in message and "Zubzub" in message


def test_check_flags_a_fact_under_its_floor():
    from breachbench.benchmarks.check import lexicon_age_floors

    floors = lexicon_age_floors()
    assert floors[("mental_health", "spdre")] >= 16
    assert floors[("health_condition", "cancer du colon")] >= 18
    assert floors[("health_condition", "asthme severe")] == 0


def test_check_ceilings_are_of_facts_not_of_identifiers():
    """ "déménage à 94220 Charenton-le-Pont" at 71: the town is the one the hard negative
    "travaille à [94220 Charenton-le-Pont]" (max_age 70) holds, and was flagged as a fact
    over its age (1 in a million hard rows)."""
    from breachbench.benchmarks.check import lexicon_age_ceilings

    ceilings = lexicon_age_ceilings()
    assert ("political_union", "delegue syndical") in ceilings
    assert not [at for at in ceilings if at[0] == "address"]


def _said_to_last(templates, core: str) -> list[tuple]:
    """Templates that write ``core`` as an affirmed fact followed by "depuis" ("plus de
    Zubsolv depuis 2019" is historical: over since then)."""
    return [
        t.pieces
        for t in templates
        for fact, after in zip(t.pieces, t.pieces[1:], strict=False)
        if fact.text == core and fact.assertion == "affirmed" and after.text.startswith(" depuis")
    ]


def test_brief_facts_take_no_lasting_frame(tmp_path):
    """An event or a course of weeks listed `brief` takes no frame tagged `lasting`
    ("Zubsolv depuis {year}"), while the others still do; a listed text that names no
    entry stops the load."""
    lasting = load_templates(_corpora(tmp_path / "a", FLOORS))["addiction"]
    assert _said_to_last(lasting, "Zubsolv") and _said_to_last(lasting, "addiction aux écrans")
    brief = FLOORS.replace("default: 15,", "default: 15, brief: [Zubsolv],")
    templates = load_templates(_corpora(tmp_path / "b", brief))["addiction"]
    assert not _said_to_last(templates, "Zubsolv")
    assert _said_to_last(templates, "addiction aux écrans")
    assert len(templates) < len(lasting)
    with pytest.raises(TemplateError, match="Zubzub"):
        load_templates(_corpora(tmp_path / "c", brief.replace("[Zubsolv]", "[Zubzub]")))


def _said_to_be_over(templates, core: str) -> list[tuple]:
    """Templates that say the patient's ``core`` ended ("plus de Zubsolv depuis 2019",
    "Zubsolv (ancien)", "ancien Zubsolvé", "Zubsolvé jusqu'en 2010")."""
    return [
        t.pieces
        for t in templates
        for i, fact in enumerate(t.pieces)
        if fact.text == core
        and fact.subject == "patient"
        and (
            "".join(p.text for p in t.pieces[:i]).lower().endswith(("plus de ", "ancien "))
            or "".join(p.text for p in t.pieces[i + 1 :]).startswith((" (ancien", " jusqu'en"))
        )
    ]


def test_lifelong_facts_take_no_ended_frame(tmp_path):
    """A fact listed `lifelong` (HIV, type 1 diabetes) takes no frame tagged `ended`
    ("plus de {fact} depuis", "ancien {fact}"), while the others still do; a listed text
    that names no entry stops the load."""
    ended = load_templates(_corpora(tmp_path / "a", FLOORS))["addiction"]
    assert _said_to_be_over(ended, "Zubsolv") and _said_to_be_over(ended, "Zubsolvé")
    lifelong = FLOORS.replace("default: 15,", "default: 15, lifelong: [Zubsolv, Zubsolvé],")
    templates = load_templates(_corpora(tmp_path / "b", lifelong))["addiction"]
    assert not _said_to_be_over(templates, "Zubsolv")
    assert not _said_to_be_over(templates, "Zubsolvé")
    assert _said_to_be_over(templates, "addiction aux écrans")
    with pytest.raises(TemplateError, match="Zubzub"):
        load_templates(_corpora(tmp_path / "c", lifelong.replace("Zubsolvé]", "Zubzub]")))


def test_only_lethal_facts_take_death_frames(tmp_path):
    """A frame tagged `death` ("père décédé de {fact}") takes only the facts listed
    `lethal`; a listed text that names no entry stops the load."""

    def died(templates) -> set[str]:
        texts = {"".join(p.text for p in t.pieces) for t in templates}
        return {text for text in texts if text.startswith("père décédé")}

    assert not died(load_templates(_corpora(tmp_path / "a", FLOORS))["addiction"])
    lethal = FLOORS.replace("default: 15,", "default: 15, lethal: [Zubsolv],")
    assert died(load_templates(_corpora(tmp_path / "b", lethal))["addiction"]) == {
        "père décédé de Zubsolv"
    }
    with pytest.raises(TemplateError, match="Zubzub"):
        load_templates(_corpora(tmp_path / "c", lethal.replace("[Zubsolv]", "[Zubzub]")))


def _denied_ages(templates, source: str) -> tuple[set[int], set[int]]:
    """The min_ages of the patient's ``source`` entry in frames: denied, and not."""
    ages: tuple[set[int], set[int]] = (set(), set())
    for t in templates:
        if source in t.source and "+frames" in t.source:
            facts = [p for p in t.pieces if p.category]
            if all(p.subject == "patient" for p in facts):
                ages[0 if facts[0].assertion == "negated" else 1].add(t.min_age)
    return ages


def test_negated_floors_by_fact(tmp_path):
    """`negated` may list facts denied younger than the category's default ("pas
    d'allergie à l'œuf" for a toddler, no "jamais de lymphome" at 1): a listed fact's
    denial takes its own age, the others the default; an affirmed fact keeps its ages."""
    floors = FLOORS.replace(
        "default: 15,", "default: 15, negated: {default: 12, fits: {8: [addiction aux écrans]}},"
    )
    templates = load_templates(_corpora(tmp_path / "a", floors))["addiction"]
    denied, stated = _denied_ages(templates, "cores[1]")  # sous Zubdix, its own min_age 2
    assert min(denied) == 12 and min(stated) == 2
    denied, stated = _denied_ages(templates, "cores[2]")  # addiction aux écrans, fits 6
    assert min(denied) == 8 and min(stated) == 6
    # The plain age still floors every denial of the category.
    plain = FLOORS.replace("default: 15,", "default: 15, negated: 12,")
    templates = load_templates(_corpora(tmp_path / "b", plain))["addiction"]
    assert min(_denied_ages(templates, "cores[2]")[0]) == 12


@pytest.mark.parametrize("key", ["negated", "dated"])
@pytest.mark.parametrize(
    ("ages", "message"),
    [
        ("{default: 12, fits: {8: [Zubzub]}}", "{key}: Zubzub"),
        ("{default: 12, fit: {8: [Zubsolv]}}", "unknown keys ['fit']"),
        ("{default: 12, fits: {huit: [Zubsolv]}}", "keys must be ages"),
        ("{default: -1}", "must be an age"),
    ],
)
def test_ages_by_fact_are_validated(tmp_path, key, ages, message):
    """`negated` and `dated` are read by one parser: an age, or a default with facts."""
    floors = FLOORS.replace("default: 15,", f"default: 15, {key}: {ages},")
    with pytest.raises(TemplateError) as error:
        load_templates(_corpora(tmp_path, floors))
    assert message.format(key=key) in str(error.value) and "\n" not in str(error.value)


def _dates_patient(t) -> bool:
    return any(
        p.slot in ("date", "year", "month_year") and p.subject == "patient"
        and "birth" not in p.role.split(":")
        for p in t.pieces
    )  # fmt: skip


def _dated_ages(templates, source: str) -> tuple[set[int], set[int]]:
    """The min_ages of the patient's ``source`` entry in frames: dated, and not."""
    ages: tuple[set[int], set[int]] = (set(), set())
    for t in templates:
        facts = [p for p in t.pieces if p.category]
        if (
            source in t.source
            and "+frames" in t.source
            and all(p.subject == "patient" for p in facts)
        ):
            ages[0 if _dates_patient(t) else 1].add(t.min_age)
    return ages


def test_dated_floors_by_fact(tmp_path):
    """`dated` may list facts dated later than the category's default, as `negated`
    does: a listed fact's dated frames take its own age, the others the default; the
    undated frames keep the entry's floor."""
    floors = FLOORS.replace(
        "default: 15,", "default: 15, dated: {default: 16, fits: {9: [addiction aux écrans]}},"
    )
    templates = load_templates(_corpora(tmp_path / "a", floors))["addiction"]
    dated, undated = _dated_ages(templates, "cores[2]")  # addiction aux écrans, fits 6
    assert min(dated) == 9 and min(undated) == 6
    dated, undated = _dated_ages(templates, "cores[1]")  # sous Zubdix, its own min_age 2
    assert min(dated) == 16 and min(undated) == 2
    plain = FLOORS.replace("default: 15,", "default: 15, dated: 7,")
    templates = load_templates(_corpora(tmp_path / "b", plain))["addiction"]
    assert min(_dated_ages(templates, "cores[2]")[0]) == 7
