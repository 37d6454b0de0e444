"""The learned record classifier: which of the 14 sensitive categories a comment holds.

Character n-grams (2 to 5, within word boundaries, on lower-cased accent-folded text)
weighted by TF-IDF, and one logistic regression per category (one-vs-rest), fitted by
stochastic gradient descent: on 20,000 comments it fits in 6 s where L-BFGS takes 85 s
and liblinear 126 s, with the same held-out F1 (0.878, 0.869, 0.857). Character
n-grams survive the typos, missing accents and abbreviations of real notes better than
words do. Like the span tagger, it can also read the built-in detectors' hints: the
categories ``keywords`` finds in the comment, as extra binary columns, and the categories
whose lexicon words share a stem with a word the lexicon does not match
(:mod:`.lexicon`). A category is answered when its probability reaches the threshold,
or, when none does, the likeliest one if the chance that any is there reaches it.
Against the hints alone, on 30,000 training comments, the stems and that rule raised
record-level sensitive F1 on a ``--split dev`` dataset from 88.5 to 89.1 and on the
hand-written development notes from 95.3 to 96.6 (SGD seed 0; seeds 1 and 2 move the
dev-split figure by up to 0.8). A record-level detector: it answers a set of
categories, scored at record level only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from breachbench.benchmarks.detectors import builtin
from breachbench.benchmarks.detectors.fold import strip_accents
from breachbench.generator.contract.taxonomy import load_taxonomy

from .data import Example
from .lexicon import lexicon_categories, uncovered
from .tokens import tokenize

__all__ = ["CLASSIFIER_FILE", "RecordClassifier", "train_classifier"]

CLASSIFIER_FILE = "classifier.joblib"
DEFAULT_PARAMS: dict[str, Any] = {
    "ngram_range": (2, 5),
    "min_df": 2,
    "max_features": 300_000,
    "alpha": 2e-6,  # L2 strength of SGD's log loss
    "epochs": 15,
    "threshold": 0.5,
    "seed": 0,
}
HINTS = "keywords"


def _normalise(text: str) -> str:
    return strip_accents(text.lower())


class _Hints:
    """The sensitive categories the keyword lexicon finds, as a sparse 0/1 matrix.

    With ``stems``, as many columns again: the categories whose lexicon words share the
    stem of a word no hint covers (:mod:`.lexicon`).
    """

    def __init__(self, categories: Sequence[str], *, stems: bool = False) -> None:
        self.categories = list(categories)
        self.index = {c: i for i, c in enumerate(self.categories)}
        self.stems = stems
        self.detector = builtin(HINTS)

    def matrix(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import csr_matrix

        n = len(self.categories)
        rows, cols = [], []
        for row, (text, spans) in enumerate(zip(texts, self.detector(list(texts)), strict=True)):
            found = {self.index[s[2]] for s in spans if s[2] in self.index}
            if self.stems:
                tokens = tokenize(text)
                for (start, end), free in zip(tokens, uncovered(tokens, spans), strict=True):
                    if free:
                        found.update(n + self.index[c] for c in lexicon_categories(text[start:end]))
            for col in sorted(found):
                rows.append(row)
                cols.append(col)
        width = 2 * n if self.stems else n
        return csr_matrix(([1.0] * len(rows), (rows, cols)), shape=(len(texts), width))


class _Model:
    """What is pickled: vectorizer, per-category regressions, hints, threshold.

    ``stems`` and ``any_of`` came later: a model pickled before them has neither (read
    as ``False``) and answers as it did.
    """

    def __init__(
        self, vectorizer: Any, classifier: Any, hints: bool, threshold: float, *, stems: bool
    ):
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.hints = hints
        self.threshold = threshold
        self.categories = list(load_taxonomy().sensitive)
        self.stems = stems
        self.any_of = True

    def design(self, texts: Sequence[str], hints: _Hints | None) -> Any:
        from scipy.sparse import hstack

        x = self.vectorizer.transform([_normalise(t) for t in texts])
        if hints is None:
            return x
        return hstack([x, hints.matrix(texts)], format="csr")


def train_classifier(
    examples: Iterable[Example],
    directory: Path,
    *,
    params: dict[str, Any] | None = None,
    hints: bool = True,
    on_step: Callable[[str], None] | None = None,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Fit on ``examples`` and write ``classifier.joblib`` into ``directory``."""
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    chosen = {**DEFAULT_PARAMS, **(params or {})}
    categories = list(load_taxonomy().sensitive)
    texts: list[str] = []
    labels: list[list[str]] = []
    for example in examples:
        texts.append(example.text)
        labels.append([c for c in example.categories if c in categories])
    step = on_step or (lambda _: None)
    step("vectorising")
    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(chosen["ngram_range"]),
        min_df=chosen["min_df"],
        max_features=chosen["max_features"],
        sublinear_tf=True,
        lowercase=False,
        dtype=__import__("numpy").float32,
    )
    vectorizer.fit([_normalise(t) for t in texts])
    model = _Model(vectorizer, None, hints, float(chosen["threshold"]), stems=hints)
    x = model.design(texts, _Hints(categories, stems=hints) if hints else None)
    y = MultiLabelBinarizer(classes=categories).fit_transform(labels)
    step("fitting")
    regression = SGDClassifier(
        loss="log_loss",
        alpha=chosen["alpha"],
        max_iter=chosen["epochs"],
        tol=None,
        random_state=chosen["seed"],
    )
    model.classifier = OneVsRestClassifier(regression, n_jobs=n_jobs).fit(x, y)
    joblib.dump(model, directory / CLASSIFIER_FILE, compress=3)
    return {
        "params": {**chosen, "ngram_range": list(chosen["ngram_range"])},
        "hints": HINTS if hints else None,
        "comments": len(texts),
        "features": int(x.shape[1]),
    }


class RecordClassifier:
    """``learned:DIR`` for a classifier: a batch detector answering sets of categories."""

    mode = "categories"

    def __init__(
        self, directory: str | Path, *, name: str = "tfidf-lr", version: str | None = None
    ):
        import joblib

        self.name = name
        self.version = version
        self._model: _Model = joblib.load(Path(directory) / CLASSIFIER_FILE)
        stems = getattr(self._model, "stems", False)
        self._hints = _Hints(self._model.categories, stems=stems) if self._model.hints else None
        self._any_of = getattr(self._model, "any_of", False)

    def __call__(self, texts: list[str]) -> list[set[str]]:
        out: list[set[str]] = [set() for _ in texts]
        present = [i for i, t in enumerate(texts) if t]
        if not present:
            return out
        x = self._model.design([texts[i] for i in present], self._hints)
        probability = self._model.classifier.predict_proba(x)
        threshold = self._model.threshold
        categories = self._model.categories
        # A comment whose categories are each below the threshold can still hold one of
        # them: with ``any_of``, when the chance that at least one is there (1 - the
        # product of each one's absence, as if independent) reaches the threshold, the
        # likeliest category is answered.
        anyone = 1.0 - (1.0 - probability).prod(axis=1)
        for row, i in enumerate(present):
            chosen = {categories[j] for j in (probability[row] >= threshold).nonzero()[0]}
            if not chosen and self._any_of and anyone[row] >= threshold:
                chosen = {categories[int(probability[row].argmax())]}
            out[i] = chosen
        return out

    def close(self) -> None:
        """Nothing to release."""
