"""Family-held-out check of the comment engine: does training on it generalise to new forms?

A classifier trained on generated comments is only useful on real notes if the generator's
variety carries over to wordings it never produced. We imitate that the way
presidio-evaluator splits by template: whole lexicon entries and frames (the ``source`` of
each template, e.g. ``sensitive/serology.yaml:cores[3]+frames.noun[2]``) are held out; a
plain TF-IDF + logistic regression learns from comments built only from the other
families and is scored on comments built only from held-out ones. If lexicons shrink or
frames collapse into a few patterns, these figures fall: ``tests/test_heldout.py`` keeps a
floor. scikit-learn is a test extra, imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from breachbench.generator.comments.engine import CommentContext, CommentEngine, load_engine
from breachbench.generator.comments.splits import template_families
from breachbench.generator.records.doctors import assign
from breachbench.generator.records.nir import person_nir
from breachbench.generator.records.people import load_people
from breachbench.generator.records.places import load_places

__all__ = ["HeldoutResult", "evaluate_heldout", "split_families"]


def _entry(source: str) -> str:
    return template_families(source)[0]


def _frame(source: str) -> str | None:
    # A frame's family, not one of its wordings or agreements ("frames.state[2]:w1:f"):
    # a frame is held out whole, or its other wordings would teach the test's.
    families = template_families(source)
    return families[1] if len(families) > 1 else None


def split_families(
    engine: CommentEngine, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Masks over ``engine.templates``: (train, test). Test = a held-out entry or frame."""
    rng = np.random.default_rng(seed)
    sources = [t.source for t in engine.templates]
    keys = [t.category or t.family for t in engine.templates]
    held_entries: set[str] = set()
    for key in sorted(set(keys)):
        entries = sorted({_entry(s) for s, k in zip(sources, keys, strict=True) if k == key})
        count = min(len(entries) - 1, max(1, round(fraction * len(entries))))
        held_entries.update(rng.choice(entries, count, replace=False).tolist())
    frames = sorted({f for s in sources if (f := _frame(s))})
    held_frames = set(rng.choice(frames, round(fraction * len(frames)), replace=False).tolist())
    test = np.array(
        [_entry(s) in held_entries or _frame(s) in held_frames for s in sources], dtype=bool
    )
    return ~test, test


def _comments(
    engine: CommentEngine, n: int, seed: int, difficulty: str
) -> tuple[list[str], np.ndarray, list[list[str]]]:
    """``n`` comments (every record commented, half sensitive) from ``engine``."""
    rng = np.random.default_rng(seed)
    people = load_people().draw(rng, n)
    places = load_places()
    practice = assign(seed, np.arange(n, dtype=np.int64))
    unit = places.draw_units(rng, practice.department_index)
    birth = places.birth_place(rng, people.age, unit)
    nir = person_nir(people, birth, rng.integers(1, 1000, n))
    ctx = CommentContext.for_people(people, nir, unit, places)
    out = engine.generate(rng, ctx, comment_rate=1.0, sensitive_rate=0.5, difficulty=difficulty)
    sensitive = set(engine.taxonomy.sensitive)
    categories = [[c for c in row if c in sensitive] for row in out.categories.to_pylist()]
    return out.text.to_pylist(), out.sensitive.to_numpy(zero_copy_only=False), categories


@dataclass(frozen=True)
class HeldoutResult:
    binary_macro_f1: float
    category_macro_f1: float
    per_category_f1: dict[str, float]
    train_templates: int
    test_templates: int
    train_comments: int
    test_comments: int


def evaluate_heldout(
    *,
    train: int = 30_000,
    test: int = 6_000,
    fraction: float = 0.25,
    seed: int = 0,
    difficulty: str = "realistic",
) -> HeldoutResult:
    """Train TF-IDF + logistic regression on kept families, score on held-out families."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    engine = load_engine()
    keep_train, keep_test = split_families(engine, fraction, seed)
    train_text, train_y, train_cats = _comments(
        engine.restricted(keep_train), train, seed + 1, difficulty
    )
    test_text, test_y, test_cats = _comments(
        engine.restricted(keep_test), test, seed + 2, difficulty
    )
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, lowercase=True
    )
    x_train = vectorizer.fit_transform(train_text)
    x_test = vectorizer.transform(test_text)

    binary = LogisticRegression(C=4.0, max_iter=2000).fit(x_train, train_y)
    binary_f1 = f1_score(test_y, binary.predict(x_test), average="macro")

    labels = list(engine.taxonomy.sensitive)
    binarizer = MultiLabelBinarizer(classes=labels)
    y_train = binarizer.fit_transform(train_cats)
    y_test = binarizer.transform(test_cats)
    multi = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced"))
    predicted = multi.fit(x_train, y_train).predict(x_test)
    per_category = f1_score(y_test, predicted, average=None, zero_division=0.0)
    return HeldoutResult(
        binary_macro_f1=round(float(binary_f1), 4),
        category_macro_f1=round(float(np.mean(per_category)), 4),
        per_category_f1={c: round(float(f), 4) for c, f in zip(labels, per_category, strict=True)},
        train_templates=int(keep_train.sum()),
        test_templates=int(keep_test.sum()),
        train_comments=train,
        test_comments=test,
    )
