"""Learned baseline detectors: train them on breachbench data, benchmark them honestly.

``breachbench train DATASET --model crf|tfidf-lr --out DIR`` fits a span tagger or a
record classifier (:mod:`.train`); ``bench --detector learned:DIR`` runs it; and
:func:`.artifacts.protocol_warnings` says when it is benchmarked on its own training
data. The heavy dependencies are the ``ml`` extra (:mod:`.extra`), imported lazily: this
package imports without them.
"""

from __future__ import annotations

from .artifacts import LEARNED_PREFIX, ModelDirError, protocol_warnings, read_model_json
from .extra import INSTALL_LINE, MissingExtra, require_ml
from .train import MODELS, TrainError, TrainSummary, load_learned, train_model

__all__ = [
    "INSTALL_LINE",
    "LEARNED_PREFIX",
    "MODELS",
    "MissingExtra",
    "ModelDirError",
    "TrainError",
    "TrainSummary",
    "load_learned",
    "protocol_warnings",
    "read_model_json",
    "require_ml",
    "train_model",
]
