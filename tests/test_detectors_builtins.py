"""Baselines, the union detector, and a throughput floor for the built-ins."""

import time

from breachbench.benchmarks.detectors import BUILTINS, builtin
from breachbench.benchmarks.detectors.combined import resolve_overlaps
from breachbench.benchmarks.detectors.data import taxonomy_categories


def test_builtin_names():
    assert set(BUILTINS) == {
        "keywords",
        "identifiers",
        "keywords+identifiers",
        "none",
        "all",
        "presidio",
        "edsnlp",
    }


def test_none_and_all():
    texts = ["VIH+", ""]
    assert builtin("none")(texts) == [[], []]
    everything = {c for group in taxonomy_categories().values() for c in group}
    assert builtin("all")(texts) == [everything, set()]
    assert builtin("all").mode == "categories"


def test_union_merges_without_overlap():
    detector = builtin("keywords+identifiers")
    text = "M. Gay, 12 rue de la Santé 75014 Paris, VIH+, TS en 2019, sa fille Julie"
    spans = detector([text])[0]
    got = [(text[s:e], label) for s, e, label in spans]
    assert got == [
        ("Gay", "person"),
        ("12 rue de la Santé 75014 Paris", "address"),
        ("VIH+", "serology"),
        ("TS", "mental_health"),
        ("2019", "date"),
        ("Julie", "person"),
    ]
    assert detector.name == "keywords+identifiers"


def test_resolve_overlaps_prefers_longer_then_earlier_detector():
    spans = [(0, 2, "a", 0), (0, 5, "b", 1), (4, 8, "c", 0), (6, 8, "d", 1)]
    assert resolve_overlaps(spans) == [(0, 5, "b"), (6, 8, "d")]
    assert resolve_overlaps([(0, 3, "x", 1), (0, 3, "y", 0)]) == [(0, 3, "y")]


def _comments(n):
    parts = [
        "Patiente vue pour renouvellement",
        "VIH+ sous Truvada",
        "suivi CMP",
        "appeler sa fille Julie au 06 39 98 12 34",
        "mail: j.dupont@example.org",
        "habite 12 rue de la République, 69003 Lyon",
        "TS en 2019",
        "tiers payant",
        "M. Gay ne souhaite pas être appelé",
        "IVG le 12/03/2019",
        "ALD 30 pour diabète",
    ]
    return [" ; ".join(parts[(i + k) % len(parts)] for k in range(i % 4)) for i in range(n)]


def test_throughput_floor():
    """A loose floor (CI machines vary); the measured rates are in the closing note."""
    texts = _comments(20_000)
    for name, floor in (("keywords", 10_000), ("identifiers", 5_000)):
        detector = builtin(name)
        detector(texts[:500])
        start = time.perf_counter()
        for i in range(0, len(texts), 1000):
            detector(texts[i : i + 1000])
        rate = len(texts) / (time.perf_counter() - start)
        assert rate > floor, f"{name}: {rate:.0f} comments/s"
