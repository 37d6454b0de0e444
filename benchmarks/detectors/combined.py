"""Union of several span detectors, with overlaps resolved so the answer is a clean labelling.

Gold spans never overlap, so neither should a built-in's answer. Overlaps are resolved
longest-first (a longer span usually carries more context: "rue de la Santé" as an
address beats nothing; "OH chronique" beats "OH"), ties going to the detector listed first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["UnionDetector", "resolve_overlaps"]

Span = tuple[int, int, str]


def resolve_overlaps(spans: list[tuple[int, int, str, int]]) -> list[Span]:
    """Keep the longest spans that do not overlap; the last field is a tie-break rank."""
    kept: list[tuple[int, int, str, int]] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[3], s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    kept.sort()
    return [(s, e, label) for s, e, label, _ in kept]


class UnionDetector:
    """Runs each detector on the batch and merges their spans per text."""

    mode = "spans"

    def __init__(self, name: str, parts: Sequence[Callable[[Sequence[str]], list[list[Span]]]]):
        self.name = name
        self.version = "+".join(f"{p.name}-{p.version}" for p in parts)  # type: ignore[attr-defined]
        self._parts = list(parts)

    def __call__(self, texts: Sequence[str]) -> list[list[Span]]:
        """The union of every part's spans, per text, without overlaps."""
        answers = [part(texts) for part in self._parts]
        merged: list[list[Span]] = []
        for per_text in zip(*answers, strict=True):
            if sum(1 for spans in per_text if spans) <= 1:
                merged.append(next((list(s) for s in per_text if s), []))
                continue
            tagged = [
                (s, e, label, rank) for rank, spans in enumerate(per_text) for s, e, label in spans
            ]
            merged.append(resolve_overlaps(tagged))
        return merged

    def close(self) -> None:
        """Close every part."""
        for part in self._parts:
            close = getattr(part, "close", None)
            if close is not None:
                close()
