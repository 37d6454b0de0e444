"""``edsnlp`` detector: AP-HP's EDS-NLP rule-based pipes, mapped to the taxonomy.

Optional: needs ``pip install 'breachbench[edsnlp]'``. Only the rule-based pipes run, on
``edsnlp.blank("eds")``: no model, no torch, nothing downloaded.

What it does, and why:

- the pipes listed in ``corpora/detectors/edsnlp_map.yaml`` (disorders, behaviours,
  suicide attempts, drugs, dates, then the qualifiers) run with ``nlp.pipe`` over the
  batch; empty texts are skipped;
- a span's category comes from its EDS-NLP label, or for a drug from its ATC code
  (longest configured prefix: an HIV antiviral reveals a serology, buprenorphine an
  addiction, lithium a mental-health condition); spans with no category (tobacco, a
  paracetamol) are dropped and counted in ``dropped``, so a report can say so;
- the qualifiers become the taxonomy's span attributes: ``assertion`` (negated,
  hypothetical, historical, affirmed) and ``subject`` (relative for the family
  qualifier, else patient); each span is a dict ``{start, end, label, assertion,
  subject, source}`` whose ``label`` is the category, which the harness reads like a
  tuple's label and may use the extra fields;
- overlapping spans (a drug inside a disorder mention) are resolved by keeping the
  longest, then the earliest; losers are counted in ``overlapped``.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr
from typing import Any

from breachbench.benchmarks.protocol import DetectorLoadError

from .data import _load_yaml, taxonomy_categories
from .edsnlp_compat import ensure_spacy_factories

__all__ = ["EdsNlpDetector", "edsnlp_config"]

INSTALL_LINE = "pip install 'breachbench[edsnlp]'"
SpanDict = dict[str, Any]


def edsnlp_config() -> dict[str, Any]:
    """The detector's configuration, ``corpora/detectors/edsnlp_map.yaml``."""
    return _load_yaml("detectors", "edsnlp_map.yaml")


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """Hide the tqdm bar eds.drugs draws on stderr while it compiles its ~2,000 terms.

    edsnlp asks for the bar unconditionally, and tqdm reads ``TQDM_DISABLE`` only when it
    is first imported, so the bar's output is captured instead; errors still raise.
    """
    with redirect_stderr(io.StringIO()):
        yield


def _check_categories(config: Mapping[str, Any]) -> None:
    """Refuse a map that names a category the taxonomy does not know."""
    known = {c for group in taxonomy_categories().values() for c in group}
    used = {c for c in (config.get("labels") or {}).values() if c is not None}
    used |= set((config.get("atc") or {}).values())
    unknown = sorted(used - known)
    if unknown:
        raise ValueError(f"edsnlp_map.yaml maps to categories not in the taxonomy: {unknown}")


def _resolve_longest(spans: list[SpanDict]) -> tuple[list[SpanDict], list[SpanDict]]:
    """Non-overlapping spans, longest first then earliest; returns (kept, lost)."""
    kept: list[SpanDict] = []
    lost: list[SpanDict] = []
    for span in sorted(spans, key=lambda s: (s["start"] - s["end"], s["start"])):
        if all(span["end"] <= o["start"] or o["end"] <= span["start"] for o in kept):
            kept.append(span)
        else:
            lost.append(span)
    kept.sort(key=lambda s: s["start"])
    return kept, lost


class EdsNlpDetector:
    """EDS-NLP rule-based pipes; ``__call__(texts) -> list[list[span dict]]``."""

    name = "edsnlp"
    mode = "spans"

    def __init__(self, config: Mapping[str, Any] | None = None, batch_size: int = 128) -> None:
        config = edsnlp_config() if config is None else config
        try:
            import edsnlp
        except ImportError as error:
            raise DetectorLoadError(
                f"detector 'edsnlp' needs edsnlp ({error}): {INSTALL_LINE}"
            ) from None
        ensure_spacy_factories()  # importing edsnlp leaves spaCy's own unregistered
        _check_categories(config)

        self._labels: dict[str, str | None] = dict(config.get("labels") or {})
        self._atc = sorted((config.get("atc") or {}).items(), key=lambda kv: -len(kv[0]))
        self._span_groups = list(config.get("span_groups") or [])
        self._assertion = [(r["attribute"], r["value"]) for r in config.get("assertion") or []]
        self._subject = [(r["attribute"], r["value"]) for r in config.get("subject") or []]
        self._default_assertion = str(config.get("default_assertion", "affirmed"))
        self._default_subject = str(config.get("default_subject", "patient"))
        self._batch_size = batch_size
        self.dropped: Counter[str] = Counter()
        self.overlapped: Counter[str] = Counter()

        nlp = edsnlp.blank("eds")
        with _quiet_progress():
            for pipe in config["pipes"]:
                nlp.add_pipe(str(pipe["factory"]), config=dict(pipe.get("config") or {}))
        self._nlp = nlp
        self.version = f"edsnlp-{edsnlp.__version__}+map-{config.get('version', '?')}"

    def _category(self, span: Any) -> tuple[str | None, str]:
        """The taxonomy category of one EDS-NLP span (None: dropped), and its source."""
        label = span.label_
        if label == "drug":
            code = span.kb_id_ or ""
            for prefix, category in self._atc:
                if code.startswith(prefix):
                    return category, f"drug:{code}"
            return None, f"drug:{code[:4] or '?'}"
        return self._labels.get(label), label

    def _attribute(self, span: Any, rules: list[tuple[str, str]], default: str) -> str:
        extensions = span._
        for attribute, value in rules:
            if extensions.has(attribute) and extensions.get(attribute):
                return value
        return default

    def _spans(self, doc: Any) -> list[SpanDict]:
        """Every mapped span of one document, with its attributes, overlaps resolved."""
        found: list[SpanDict] = []
        seen: set[tuple[int, int, str]] = set()
        candidates = list(doc.ents)
        for group in self._span_groups:
            candidates.extend(doc.spans.get(group, ()))
        for span in candidates:
            category, source = self._category(span)
            if category is None:
                self.dropped[source] += 1
                continue
            key = (span.start_char, span.end_char, category)
            if key in seen:
                continue
            seen.add(key)
            found.append(
                {
                    "start": span.start_char,
                    "end": span.end_char,
                    "label": category,
                    "assertion": self._attribute(span, self._assertion, self._default_assertion),
                    "subject": self._attribute(span, self._subject, self._default_subject),
                    "source": source,
                }
            )
        kept, lost = _resolve_longest(found)
        self.overlapped.update(s["label"] for s in lost)
        return kept

    def __call__(self, texts: Sequence[str]) -> list[list[SpanDict]]:
        """Span dicts per text; ``label`` is a taxonomy category."""
        out: list[list[SpanDict]] = [[] for _ in texts]
        todo = [i for i, text in enumerate(texts) if text and not text.isspace()]
        if not todo:
            return out
        docs = self._nlp.pipe([texts[i] for i in todo], batch_size=self._batch_size)
        for i, doc in zip(todo, docs, strict=True):
            out[i] = self._spans(doc)
        return out

    def close(self) -> None:
        """Nothing to release; present so the detector fits the class protocol."""
