"""The blind test of issue 9: can a reader tell generated notes from hand-written ones?

``make_kit`` draws notes from both sources into a numbered sheet and its key;
``score_kit`` scores a reader's filled form against that key.
"""

from .make import BlindError, BlindKit, make_kit
from .notes import NORMALISATION, normalise
from .report import score_html, score_rows, verdict_line
from .score import BAR, score_kit

__all__ = [
    "BAR",
    "NORMALISATION",
    "BlindError",
    "BlindKit",
    "make_kit",
    "normalise",
    "score_html",
    "score_kit",
    "score_rows",
    "verdict_line",
]
