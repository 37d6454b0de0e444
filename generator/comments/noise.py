"""Writing noise (typos, shorthand, truncations, capitals, missing accents) with exact labels.

Real administrative comments are typed fast; a benchmark of clean sentences flatters every
detector. Noise here is applied to a whole *piece* of a template (a literal, labelled or
not) and never across a piece boundary, so the engine's span offsets, computed from the
lengths of the pieces really written, stay exact. Each transform is a small pure function
of ``(text, rng)`` that keeps a non-empty text non-empty and never adds or removes a
leading or trailing space, which is what a labelled piece needs.

People slip locally: one misspelt word, one missing accent, one word cut short, or a
shorthand habit of their own. Whole notes in capitals, accents dropped across a note and
random double spaces read as machine-made (shared/REALISM.md, tell 3): the engine gives a
sloppy note one slip on one piece (``pieces`` rates of a level) and a shorthand habit to
some writers (``sms_row``); the row-wide transforms stay available at rate 0 by default.

Because templates have only a few thousand distinct literals, every noisy variant of every
literal is computed once when the engine loads (:func:`variant_pool`); per record the
engine then only picks an index, which keeps generation vectorised.

Reads ``corpora/noise/transforms.yaml`` and ``corpora/noise/levels.yaml``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from breachbench.generator.data import corpora

__all__ = [
    "EDITS",
    "SHORT_PIECE",
    "TYPO_TRIES",
    "NoiseLevel",
    "NoiseModel",
    "VariantPool",
    "load_noise",
    "variant_pool",
]

# Piece edits, in pool order; "none" first. Row-level transforms (capitals, accents)
# combine with any of them. New edits go last: a variant's index is its edit's position.
EDITS: tuple[str, ...] = ("none", "typo", "sms", "truncated", "doubled_space", "accent")
# The difficulty tag an edit shows as, when it is not the edit's own name.
EDIT_TAGS: dict[str, str] = {"accent": "no_accents"}

# The letters of one word: a typo never lands on an apostrophe or a hyphen ("d''alcool").
_LETTERS = re.compile(r"[^\W\d_]+")
# A piece this short (an acronym, "TS", "OH", "VIH+") is all evidence: no edit rewrites it.
SHORT_PIECE = 4
# Draws of a typo before giving up on one that does not read as another word.
TYPO_TRIES = 4


@dataclass(frozen=True)
class NoiseLevel:
    """Rates of one difficulty level (see ``corpora/noise/levels.yaml``)."""

    noisy_row: float  # share of notes with one slip
    pieces: dict[str, float]  # edit -> probability of it for the one piece that slips
    upper_row: float
    no_accents_row: float
    tag_weights: dict[str, float]
    sms_row: float = 0.0  # share of notes whose writer uses shorthand throughout


@dataclass(frozen=True)
class NoiseModel:
    """The transforms' data, loaded once."""

    accents: dict[str, str]
    neighbours: dict[str, str]
    typo_kinds: tuple[str, ...]
    typo_weights: tuple[float, ...]
    typo_min_letters: int
    typo_protected: frozenset[str]  # lower-case names a typo never touches
    sms: dict[str, str]  # lower-case word or phrase -> short form
    abbreviations: dict[str, str]  # lower-case word -> how notes cut it ("hospit")
    truncate_dot_rate: float
    accent_min_letters: int
    difficulty_tags: tuple[str, ...]
    levels: dict[str, NoiseLevel]
    # Ordinary French words (lower case, no accents) a slip must never write: a reader
    # takes "patente" for what it says, not for "patiente" (``typo_real_words``).
    real_words: frozenset[str] = frozenset()

    @functools.cached_property
    def _accent_table(self) -> dict[int, str]:
        return str.maketrans(self.accents)

    @functools.cached_property
    def _abbreviation_re(self) -> re.Pattern[str]:
        keys = sorted(self.abbreviations, key=len, reverse=True)
        alternatives = "|".join(re.escape(k) for k in keys)
        return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.IGNORECASE)

    @functools.cached_property
    def _sms_re(self) -> re.Pattern[str]:
        keys = sorted(self.sms, key=len, reverse=True)
        alternatives = "|".join(re.escape(k) for k in keys)
        return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.IGNORECASE)

    # ------------------------------------------------------------------ transforms
    def strip_accents(self, text: str) -> str:
        """Accented letters typed plain ("dépression" -> "depression")."""
        return text.translate(self._accent_table)

    def upper(self, text: str) -> str:
        """Capitals; a few letters ("ß") grow, which is fine: the piece is measured after."""
        return text.upper()

    def typo(self, text: str, rng: np.random.Generator, avoid: frozenset[str] = frozenset()) -> str:
        """One typing slip inside one long lower-case word, never on its first letter.

        Acronyms, capitalised names (drugs, places), short words and the protected drug
        names are never hit: a slip there leaves a reader nothing to recognise. A slip
        whose result (accents aside) is in ``avoid`` is drawn again, up to
        :data:`TYPO_TRIES` times, then none is made: given the words of the notes and
        their beginnings, a slip never writes another word ("violet" for "violent") nor
        one cut short ("sympathis" for "sympathies" reads as "sympathis(ant)").
        """
        words = [
            m
            for m in _LETTERS.finditer(text)
            if len(m.group()) >= self.typo_min_letters
            and m.group().islower()
            and m.group() not in self.typo_protected
        ]
        if not words:
            return text
        for _ in range(TYPO_TRIES):
            match = words[rng.integers(len(words))]
            new = self._slip(match.group(), rng)
            if self.plain(new) not in avoid:
                return text[: match.start()] + new + text[match.end() :]
        return text

    def _slip(self, word: str, rng: np.random.Generator) -> str:
        i = int(rng.integers(1, len(word) - 1))
        kind = self.typo_kinds[_draw(rng, self.typo_weights)]
        if kind == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if kind == "delete":
            return word[:i] + word[i + 1 :]
        if kind == "double":
            return word[:i] + word[i] + word[i:]
        options = self.neighbours.get(word[i].lower(), "")
        if not options:
            return word[:i] + word[i + 1 :]
        letter = options[rng.integers(len(options))]
        return word[:i] + (letter.upper() if word[i].isupper() else letter) + word[i + 1 :]

    def plain(self, word: str) -> str:
        """Lower case without accents: how a slip is compared with the notes' words."""
        return self.strip_accents(word).lower()

    def readings(self, texts: Iterable[str]) -> frozenset[str]:
        """What a slip must not write, given the texts of the notes: their words, every
        beginning of three letters or more of a word (a cut word to a reader), and the
        ordinary words of ``typo_real_words`` ("patente" from "patiente")."""
        words = {self.plain(m.group()) for text in texts for m in _LETTERS.finditer(text)}
        return frozenset(w[:k] for w in words for k in range(3, len(w) + 1)) | self.real_words

    def sms_style(self, text: str, rng: np.random.Generator | None = None) -> str:
        """Words replaced by the shorthand of a hurried secretary ("rendez-vous" -> "rdv")."""

        def replace(match: re.Match[str]) -> str:
            short = self.sms[match.group().lower()]
            return short.upper() if match.group().isupper() and len(match.group()) > 1 else short

        return self._sms_re.sub(replace, text)

    def truncate(self, text: str, rng: np.random.Generator) -> str:
        """One word cut the way French notes cut it ("hospitalisation" -> "hospit.").

        Only words of the ``truncation.words`` table: a cut anywhere else ("Depako.",
        "milit") destroys the evidence a labelled span carries.
        """
        matches = list(self._abbreviation_re.finditer(text))
        if not matches:
            return text
        match = matches[rng.integers(len(matches))]
        word = match.group()
        cut = self.abbreviations[word.lower()]
        if word.isupper() and len(word) > 1:
            cut = cut.upper()
        elif word[0].isupper():
            cut = cut[0].upper() + cut[1:]
        dot = rng.random() < self.truncate_dot_rate and not text[match.end() :].startswith(".")
        return text[: match.start()] + cut + ("." if dot else "") + text[match.end() :]

    def accent(self, text: str, rng: np.random.Generator) -> str:
        """One accented letter of one lower-case word typed plain ("hopital"): the local
        slip people make, where a note stripped of every accent looks machine-made.

        Only letters whose plain form is one letter ("é", never "œ"), and the same words
        a typo may hit, so a protected drug name or an acronym keeps its accents.
        """
        words = [
            m
            for m in _LETTERS.finditer(text)
            if len(m.group()) >= self.accent_min_letters
            and m.group().islower()
            and m.group() not in self.typo_protected
            and any(len(self.accents.get(c, "")) == 1 for c in m.group())
        ]
        if not words:
            return text
        match = words[rng.integers(len(words))]
        word = match.group()
        at = [i for i, c in enumerate(word) if len(self.accents.get(c, "")) == 1]
        i = at[rng.integers(len(at))]
        new = word[:i] + self.accents[word[i]] + word[i + 1 :]
        return text[: match.start()] + new + text[match.end() :]

    def doubled_space(self, text: str, rng: np.random.Generator) -> str:
        """One space typed twice."""
        spaces = [i for i, c in enumerate(text) if c == " "]
        if not spaces:
            return text
        i = spaces[rng.integers(len(spaces))]
        return text[:i] + " " + text[i:]

    def edit(
        self, name: str, avoid: frozenset[str] = frozenset()
    ) -> Callable[[str, np.random.Generator], str]:
        """The transform of an edit name in :data:`EDITS` (``avoid``: see :meth:`typo`).

        A piece of at most :data:`SHORT_PIECE` characters keeps its words: only a doubled
        space may touch it (it has none to double, or it is an unlabelled separator).
        """
        transform = {
            "none": lambda text, rng: text,
            "typo": lambda text, rng: self.typo(text, rng, avoid),
            "sms": self.sms_style,
            "truncated": self.truncate,
            "doubled_space": self.doubled_space,
            "accent": self.accent,
        }[name]
        if name not in ("typo", "sms", "truncated", "accent"):
            return transform

        def unless_short(text: str, rng: np.random.Generator) -> str:
            return text if len(text.strip()) <= SHORT_PIECE else transform(text, rng)

        return unless_short


def _draw(rng: np.random.Generator, weights: Sequence[float]) -> int:
    p = np.asarray(weights, dtype=np.float64)
    return int(np.searchsorted(np.cumsum(p) / p.sum(), rng.random(), side="right"))


def _level(raw: dict) -> NoiseLevel:
    pieces = {edit: float(raw["pieces"].get(edit, 0.0)) for edit in EDITS[1:]}
    sms_row = float(raw.get("sms_row", 0.0))
    rates = [raw["noisy_row"], raw["upper_row"], raw["no_accents_row"], sms_row, *pieces.values()]
    if any(not 0.0 <= float(r) <= 1.0 for r in rates) or sum(pieces.values()) > 1.0:
        raise ValueError("noise/levels.yaml: rates must lie in [0, 1] and piece rates sum <= 1")
    return NoiseLevel(
        noisy_row=float(raw["noisy_row"]),
        pieces=pieces,
        upper_row=float(raw["upper_row"]),
        no_accents_row=float(raw["no_accents_row"]),
        tag_weights={k: float(v) for k, v in (raw.get("tag_weights") or {}).items()},
        sms_row=sms_row,
    )


@functools.cache
def load_noise() -> NoiseModel:
    """Read the noise data files once per process."""
    spec = corpora.read_yaml("noise/transforms.yaml")
    levels = corpora.read_yaml("noise/levels.yaml")
    typos = spec["typos"]
    truncation = spec["truncation"]
    accents = {str(k): str(v) for k, v in spec["accents"].items()}
    plain = str.maketrans(accents)
    return NoiseModel(
        accents=accents,
        neighbours={str(k): str(v) for k, v in spec["keyboard_neighbours"].items()},
        typo_kinds=tuple(typos),
        typo_weights=tuple(float(w) for w in typos.values()),
        typo_min_letters=max(3, int(spec["typo_min_letters"])),
        typo_protected=frozenset(
            str(w)
            for key in ("typo_protected", "typo_protected_context")
            for w in spec.get(key) or ()
        ),
        sms={str(k).lower(): str(v) for k, v in spec["sms"].items() if str(v)},
        abbreviations={str(k).lower(): str(v) for k, v in truncation["words"].items() if str(v)},
        truncate_dot_rate=float(truncation["dot_rate"]),
        accent_min_letters=max(2, int(spec.get("accent_min_letters", 4))),
        difficulty_tags=tuple(levels["difficulty_tags"]),
        levels={name: _level(raw) for name, raw in levels["levels"].items()},
        real_words=frozenset(
            str(w).translate(plain).lower() for w in spec.get("typo_real_words") or ()
        ),
    )


@dataclass(frozen=True)
class VariantPool:
    """Every noisy variant of every literal, flattened.

    Variant ``v = (edit * 2 + no_accents) * 2 + upper`` of literal ``i`` sits at
    ``v * n_literals + i``; ``changed[v, i, k]`` says whether edit / accents / capitals
    (k = 0, 1, 2) really changed the text, so a tag is reported only when it shows.
    """

    texts: list[str]
    n_literals: int
    changed: np.ndarray  # (variants, literals, 3) bool

    @staticmethod
    def variant(edit: np.ndarray, no_accents: np.ndarray, upper: np.ndarray) -> np.ndarray:
        return (edit * 2 + no_accents) * 2 + upper


def variant_pool(model: NoiseModel, literals: Sequence[str], seed: int = 0) -> VariantPool:
    """All variants of ``literals``; deterministic for a given literal list and seed.

    Each edit, accent stripping and capitalisation runs once per literal (the edits draw
    from ``rng`` in pool order, literal after literal); the four row-level combinations
    and their change flags are assembled from those columns.
    """
    rng = np.random.default_rng(seed)
    n = len(literals)
    texts: list[str] = []
    changed = np.zeros((len(EDITS) * 4, n, 3), dtype=bool)
    avoid = model.readings(literals)
    edited = [[model.edit(e, avoid)(text, rng) for text in literals] for e in EDITS]
    for e, column in enumerate(edited):
        edit_changed = [a != b for a, b in zip(column, literals, strict=True)]
        stripped = [model.strip_accents(text) for text in column]
        for strip, bases in ((0, column), (1, stripped)):
            uppers = [model.upper(text) for text in bases]
            strip_changed = [a != b for a, b in zip(bases, column, strict=True)] if strip else False
            for up, outs in ((0, bases), (1, uppers)):
                v = (e * 2 + strip) * 2 + up
                texts.extend(outs)
                changed[v, :, 0] = edit_changed
                changed[v, :, 1] = strip_changed
                if up:
                    changed[v, :, 2] = [a != b for a, b in zip(outs, bases, strict=True)]
    return VariantPool(texts=texts, n_literals=n, changed=changed)
