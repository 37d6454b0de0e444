"""The learned span tagger: a linear-chain CRF over French token features, all 20 categories.

Why a CRF: it is small (a few MB), trains on 100,000 comments in minutes on two cores,
tags thousands of comments a second on one, needs no GPU, no download and no torch, and
its features (:mod:`.tokens`) are readable. Tags are BILOU over tokens with exact offsets
(BIO before format 2: on 30,000 training comments, BILOU raised sensitive-span strict F1
on family-held-out comments from 65.3 to 67.7 (realistic) and 68.2 to 69.2 (hard), and
on the hand-written development notes from 53.4 to 58.6: spans stop extending over words
the tagger never saw; it doubles the labels, so training and tagging take longer).

We drive python-crfsuite directly rather than through sklearn-crfsuite's estimator: its
trainer reports each L-BFGS iteration (the progress bar reads them), and features passed
as lists of strings skip the dict conversion sklearn-crfsuite does on every token.
Training streams the examples into crfsuite's own memory, so no Python feature list of
the whole dataset is ever held.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from breachbench.benchmarks.detectors import builtin
from breachbench.generator.contract.taxonomy import load_taxonomy

from .data import Example
from .tokens import Token, bilou, bio_tags, features, spans_from_tags, tokenize

__all__ = ["CRF_FILE", "CRF_FORMAT", "TRIM_BELOW", "CrfSpanTagger", "train_crf", "trim_to_hints"]

CRF_FILE = "crf.crfsuite"
# Stochastic gradient descent with L2: ten epochs reach the held-out F1 of 40 L-BFGS
# iterations (0.62 vs 0.60 sensitive-span F1 on 20k comments) in a third of the time,
# which is what keeps 100,000 comments under five minutes.
# c2 chosen on family-held-out data of the dev split (a ``--split dev`` dataset, 30,000
# comments; never the test split), 30,000 training comments: 0.01, 0.05, 0.1 and 0.2
# gave sensitive-span strict F1 79.2, 80.1, 79.5 and 79.3.
DEFAULT_PARAMS: dict[str, Any] = {
    "algorithm": "l2sgd",
    "c2": 0.05,
    "max_iterations": 10,
    "feature.possible_transitions": True,
}


# What a model's tags and features are, recorded in model.json as ``crf_format``:
# 1 = BIO tags (no ``crf_format`` key), 2 = BILOU tags, 3 = hint-boundary features
# (:func:`.tokens.features`: hint ends here or not, hint with shape and with the left
# word; 30k training comments: held-out 67.7 -> 67.9 realistic, 69.2 -> 69.3 hard,
# hand-written dev 58.6 -> 60.1 sensitive-span strict F1). Older models still load and tag
# as they did (:func:`.tokens.spans_from_tags` reads both schemes; crfsuite ignores
# features a model never saw); a model of a newer format refuses to load. 4 = lexicon
# stems on words no hint covers (:mod:`.lexicon`), and spans trimmed to the hint where
# the tagger doubts the words after it (:func:`trim_to_hints`); with c2 0.05, 30k
# training comments, sensitive-span strict F1 on family-held-out test comments 77.7 ->
# 79.1, on dev-split comments 79.2 -> 80.3, on the hand-written development notes
# 64.5 -> 69.3. 5 = the patient's sex as the note's cue words say it, joined to each
# word (:mod:`.sexcue`), for the partner exception of sexual orientation.
CRF_FORMAT = 5
# Format 4 tags with :func:`trim_to_hints` at this marginal, chosen on the same dev-split
# data from 0.5 to 0.9 (sensitive-span strict F1 79.9 untrimmed, 79.9 at 0.5, 80.3 at
# 0.7, 80.2 at 0.8, 79.9 at 0.9; cutting the words before the hint as well: 80.0 at 0.7).
TRIM_BELOW = 0.7
CHUNK = 2048
Span = tuple[int, int, str]
HINTS = "keywords+identifiers"


def _pycrfsuite() -> Any:
    import pycrfsuite  # the ml extra; callers turn ImportError into the install line

    return pycrfsuite


class Featurizer:
    """Tokens, features and hints of a batch of texts, with the built-in detectors' hints or not.

    The hints are the spans of ``keywords+identifiers``: a lexicon written independently
    of the generator and regular expressions. They are what lets a tagger trained on some
    wording families recognise a diagnosis it never saw in training. ``stems`` adds the
    lexicon-stem features of format 4 (models of format 3 or older never saw them), ``sex``
    the note-level sex cue of format 5.
    """

    def __init__(self, hints: bool, *, stems: bool = True, sex: bool = True) -> None:
        self.hints = hints
        self.stems = hints and stems
        self.sex = sex
        self._detector = builtin(HINTS) if hints else None

    def batch(self, texts: Sequence[str]) -> list[tuple[list[Token], list[list[str]], list[Span]]]:
        hinted = self._detector(list(texts)) if self._detector else [[]] * len(texts)
        out = []
        for text, hints in zip(texts, hinted, strict=True):
            tokens = tokenize(text)
            feats = features(text, tokens, hints, stems=self.stems, sex=self.sex) if tokens else []
            out.append((tokens, feats, list(hints)))
        return out


def trim_to_hints(
    spans: Sequence[Span],
    tokens: Sequence[Token],
    tags: Sequence[str],
    hints: Sequence[Span],
    confidence: Callable[[str, int], float],
    below: float,
    labels: Collection[str],
) -> list[Span]:
    """Spans cut back to the lexicon hint inside them where the tagger doubts the rest.

    The tagger learns from generated notes to run a span on over a qualifier ("violence
    verbale", "IVG x2"), and on new wording it runs on over words that are not part of
    the fact ("curatelle renforcée", "IVG médicamenteuse", "grossesse 12 SA"). When a
    sensitive span holds a hint of its category and goes on to the right of it, the
    tokens after the hint keep their tag only if the tagger's marginal probability of
    each is at least ``below``; otherwise the span ends where the hint ends, the
    lexicon's minimal boundary. ``confidence(tag, position)`` is the tagger's marginal;
    only spans of ``labels`` (the sensitive categories) are trimmed.
    """
    out: list[Span] = []
    for start, end, label in spans:
        inner = [h[1] for h in hints if h[2] == label and start <= h[0] and h[1] <= end]
        if label in labels and inner and max(inner) < end:
            stop = max(inner)
            rest = [i for i, (s, e) in enumerate(tokens) if s >= stop and e <= end]
            if rest and min(confidence(tags[i], i) for i in rest) < below:
                end = stop
        out.append((start, end, label))
    return out


def _seed_libc(seed: int) -> None:
    """Seed the C library's ``rand()``, which crfsuite's SGD shuffles and calibrates with.

    Without it a second training in the same process continues the first one's sequence
    and gives another model: the seed makes training a function of (data, parameters).
    """
    import contextlib
    import ctypes

    # No libc symbol table (not glibc, musl or macOS): training stays unseeded.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).srand(ctypes.c_uint(seed))


def train_crf(
    examples: Iterable[Example],
    directory: Path,
    *,
    params: dict[str, Any] | None = None,
    on_example: Callable[[], None] | None = None,
    on_iteration: Callable[[int, int], None] | None = None,
    hints: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Train on ``examples`` and write ``crf.crfsuite`` into ``directory``.

    ``on_example()`` is called per example appended, ``on_iteration(done, total)`` per
    optimiser iteration. Returns the parameters used and counts.
    """
    pycrfsuite = _pycrfsuite()
    chosen = {**DEFAULT_PARAMS, **(params or {})}
    total = int(chosen["max_iterations"])

    class _Trainer(pycrfsuite.Trainer):  # type: ignore[misc, name-defined]
        """Silent, but reports each iteration (crfsuite only calls back when verbose)."""

        def on_iteration(self, log: str, info: dict[str, Any]) -> None:
            if on_iteration is not None:
                on_iteration(int(info.get("num", 0)), total)

        def on_start(self, log: str) -> None: ...
        def on_featgen_progress(self, log: str, percent: int) -> None: ...
        def on_featgen_end(self, log: str) -> None: ...
        def on_prepared(self, log: str) -> None: ...
        def on_prepare_error(self, log: str) -> None: ...
        def on_optimization_end(self, log: str) -> None: ...
        def on_end(self, log: str) -> None: ...

    algorithm = chosen.pop("algorithm", "lbfgs")
    if algorithm != "lbfgs":
        chosen.pop("c1", None)  # L1 is an L-BFGS (OWL-QN) option only
    trainer = _Trainer(algorithm=algorithm, verbose=True)
    trainer.set_params(chosen)
    chosen["algorithm"] = algorithm
    featurizer = Featurizer(hints)
    comments = tokens = 0
    stream = iter(examples)
    while chunk := list(itertools.islice(stream, CHUNK)):
        for example, (toks, feats, _hints) in zip(
            chunk, featurizer.batch([e.text for e in chunk]), strict=True
        ):
            if on_example is not None:
                on_example()
            if not toks:
                continue
            trainer.append(feats, bilou(bio_tags(toks, example.spans)))
            comments += 1
            tokens += len(toks)
    _seed_libc(seed)
    trainer.train(str(directory / CRF_FILE))
    iterations = len(trainer.logparser.iterations)
    return {
        "params": chosen,
        "seed": seed,
        "crf_format": CRF_FORMAT,
        "trim_below": TRIM_BELOW if hints else None,
        "hints": HINTS if hints else None,
        "comments": comments,
        "tokens": tokens,
        "iterations": iterations,
    }


class CrfSpanTagger:
    """``learned:DIR`` for a CRF model: a batch detector answering spans.

    ``crf_format`` is the model's (``model.json``): a model of format 3 or older gets the
    features and spans it was made with, without the lexicon stems or the trim.
    """

    mode = "spans"

    def __init__(
        self,
        directory: str | Path,
        *,
        hints: bool = True,
        name: str = "crf",
        version: str | None = None,
        crf_format: int = CRF_FORMAT,
        trim_below: float | None = TRIM_BELOW,
    ) -> None:
        pycrfsuite = _pycrfsuite()
        self.name = name
        self.version = version
        self._featurizer = Featurizer(hints, stems=crf_format >= 4, sex=crf_format >= 5)
        self._trim = trim_below if hints and crf_format >= 4 else None
        self._sensitive = frozenset(load_taxonomy().sensitive)
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(Path(directory) / CRF_FILE))

    def __call__(self, texts: list[str]) -> list[list[Span]]:
        out: list[list[Span]] = []
        tagger = self._tagger
        for tokens, feats, hints in self._featurizer.batch([t or "" for t in texts]):
            if not tokens:
                out.append([])
                continue
            tags = tagger.tag(feats)
            spans = spans_from_tags(tokens, tags)
            if self._trim is not None and hints:
                spans = trim_to_hints(
                    spans, tokens, tags, hints, tagger.marginal, self._trim, self._sensitive
                )
            out.append(spans)
        return out

    def close(self) -> None:
        self._tagger.close()
