"""Python-callable detectors in every shape, entry points, built-ins, and load errors."""

from importlib import metadata
from pathlib import Path

import breachbench.benchmarks.adapters.python as python_adapter
import pytest
from breachbench.benchmarks.adapters import PythonDetector, load_detector, open_detector
from breachbench.benchmarks.protocol import (
    Detector,
    DetectorFault,
    DetectorLoadError,
    PredictedSpan,
)

HERE = Path(__file__).parent / "detectors"
IDS = ["r0", "r1", "r2"]
TEXTS = ["Patient VIH+", "", "RAS"]


@pytest.fixture(autouse=True)
def plugin_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))


def test_function_returning_tuples():
    with load_detector("plugin:tuples") as detector:
        answers = detector(IDS, TEXTS)
        assert isinstance(detector, Detector)
        assert answers[0].spans == [PredictedSpan(8, 11, "serology")]
        assert detector.mode == "spans"
        assert detector.name == "plugin:tuples"
        assert detector.peak_memory_bytes() is None or detector.peak_memory_bytes() > 0


def test_function_returning_dicts_and_objects():
    dicts = load_detector("plugin:dicts")(IDS, TEXTS)
    assert dicts[0].spans == [PredictedSpan(0, 12, "PERSON", 0.5)]
    objects = load_detector("plugin:objects")(IDS, TEXTS)
    assert objects[2].spans == [PredictedSpan(0, 1, "phone")]


def test_function_returning_categories_or_bools():
    cats = load_detector("plugin:categories")
    assert [a.categories for a in cats(IDS, TEXTS)] == [
        frozenset({"serology"}),
        frozenset(),
        frozenset(),
    ]
    assert cats.mode == "categories"
    flags = load_detector("plugin:flags")
    assert [a.sensitive for a in flags(IDS, TEXTS)] == [True, False, False]
    assert flags.mode == "bool"


def test_class_is_instantiated_and_closed():
    import plugin

    before = plugin.WithClose.closed
    with load_detector("plugin:WithClose") as detector:
        assert detector.name == "with-close" and detector.version == "2.0"
        detector(IDS, TEXTS)
    assert plugin.WithClose.closed == before + 1


@pytest.mark.parametrize(
    ("spec", "culprit", "words"),
    [
        ("plugin:too_few", "r2", "2 answers for a batch of 3"),
        ("plugin:inverted", "r0", "inverted"),
        ("plugin:float_offsets", "r0", "float"),
        ("plugin:raises", "r0", "ValueError: model not loaded"),
    ],
)
def test_python_faults_name_the_record(spec, culprit, words):
    with pytest.raises(DetectorFault) as caught:
        load_detector(spec)(IDS, TEXTS)
    assert caught.value.record_id == culprit
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("no_such_module_xyz:detect", "cannot import module 'no_such_module_xyz'"),
        ("plugin:no_such_name", "has no attribute 'no_such_name'"),
        ("plugin:NeedsArgs", "cannot be instantiated without arguments"),
        ("nonsense", "unknown detector 'nonsense'"),
        ("plugin:", "must be of the form"),
    ],
)
def test_load_errors_are_one_line(spec, words):
    with pytest.raises(DetectorLoadError) as caught:
        load_detector(spec)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["keywords", "identifiers", "keywords+identifiers", "none", "all"])
def test_builtins_by_name(name):
    with load_detector(name) as detector:
        answers = detector(IDS, TEXTS)
        assert detector.name == name and detector.version
        assert len(answers) == 3
    assert load_detector("none").mode == "spans"
    assert load_detector("all").mode == "categories"


def test_entry_point(monkeypatch):
    entry = metadata.EntryPoint(name="my-vih", value="plugin:tuples", group="breachbench.detectors")
    monkeypatch.setattr(
        python_adapter.metadata,
        "entry_points",
        lambda group: [entry] if group == "breachbench.detectors" else [],
    )
    detector = load_detector("my-vih")
    assert detector.name == "my-vih"
    assert detector(IDS, TEXTS)[0].spans == [PredictedSpan(8, 11, "serology")]


def test_wrapping_a_lambda_directly():
    detector = PythonDetector(lambda texts: [[] for _ in texts], name="lambda")
    assert detector(["a"], ["x"])[0].spans == []
    assert detector.mode is None


def test_open_detector_needs_exactly_one_source():
    with pytest.raises(DetectorLoadError):
        open_detector()
    with pytest.raises(DetectorLoadError):
        open_detector("none", command="cat")
    assert open_detector("none").name == "none"
