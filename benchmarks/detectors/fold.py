"""Length-preserving text folding, so matches found on folded text keep exact offsets.

``unicodedata.normalize`` and ``str.lower`` may change a string's length (``"İ".lower()``
is two code points); a detector that matches on folded text and reports offsets into the
original must never let that happen. Both folds here map each code point to exactly one.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "strip_accents"]


def _accent_table() -> dict[int, str]:
    """Latin letters with diacritics to their base letter; typographic look-alikes to ASCII."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            table[code] = base
    for look_alike, ascii_char in {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }.items():
        table[ord(look_alike)] = ascii_char
    return table


_ACCENTS = _accent_table()


def strip_accents(text: str) -> str:
    """Drop diacritics and normalise quotes, dashes and spaces; case and length kept."""
    return text.translate(_ACCENTS)


def _lower_same_length(text: str) -> str:
    """Lower-case ``text`` without ever changing its length."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def fold(text: str) -> str:
    """Accent-stripped, lower-cased ``text``, with ``len(fold(text)) == len(text)``."""
    return _lower_same_length(strip_accents(text))
