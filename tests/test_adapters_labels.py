"""Label mapping: detector labels to taxonomy categories; unmapped labels are reported."""

import pytest
from breachbench.benchmarks.adapters import LabelMapping, LabelMappingError
from breachbench.benchmarks.protocol import Answer, PredictedSpan


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text(
        "labels:\n  PERSON: person\n  PHONE_NUMBER: phone\n  URL: null\n", encoding="utf-8"
    )
    return LabelMapping.from_yaml(path)


def test_maps_known_labels_keeps_categories_reports_unmapped(mapping):
    answer = Answer(
        spans=[
            PredictedSpan(0, 4, "PERSON"),
            PredictedSpan(5, 9, "serology"),
            PredictedSpan(10, 12, "Phone"),
            PredictedSpan(13, 20, "PHONE_NUMBER", 0.9),
            PredictedSpan(21, 25, "LOCATION"),
            PredictedSpan(26, 30, "LOCATION"),
            PredictedSpan(31, 35, "URL"),
        ],
        categories=None,
    )
    mapped = mapping.apply(answer)
    assert mapped.spans == [
        PredictedSpan(0, 4, "person"),
        PredictedSpan(5, 9, "serology"),
        PredictedSpan(10, 12, "phone"),
        PredictedSpan(13, 20, "phone", 0.9),
    ]
    assert mapping.unmapped == {"LOCATION": 2}
    assert mapping.ignored == {"URL": 1}
    assert mapping.report() == {"unmapped": {"LOCATION": 2}, "ignored": {"URL": 1}}


def test_categories_answers_are_mapped_too(mapping):
    mapped = mapping.apply(Answer(spans=None, categories=frozenset({"PERSON", "MISC"})))
    assert mapped.categories == frozenset({"person"})
    assert mapping.unmapped == {"MISC": 1}


def test_identity_mapping_without_a_file():
    mapping = LabelMapping()
    assert mapping.map_label("nir") == "nir"
    assert mapping.map_label("NIR") == "nir"
    assert mapping.map_label("FR_NIR") is None
    assert mapping.unmapped == {"FR_NIR": 1}


def test_mapping_to_an_unknown_category_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("PERSON: people\n", encoding="utf-8")
    with pytest.raises(LabelMappingError, match="not a taxonomy category"):
        LabelMapping.from_yaml(path)


def test_unreadable_mapping(tmp_path):
    with pytest.raises(LabelMappingError, match="cannot read"):
        LabelMapping.from_yaml(tmp_path / "missing.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- PERSON\n", encoding="utf-8")
    with pytest.raises(LabelMappingError, match="must map"):
        LabelMapping.from_yaml(path)
