"""The patient's sex as a note says it: a note-level feature for the partner exception.

"sa compagne" is a ``sexual_orientation`` span in a woman's note and no span in a man's
(TAXONOMY.md, the partner exception): the label depends on a word a sentence away ("elle
vit avec sa compagne", "Mme Roux ... sa femme l'accompagne", "venu avec son mari"), out
of the CRF's reach of two words either side. So the tagger counts the words that say the
patient's sex over the whole note (``corpora/detectors/sex_cues_fr.yaml``: titles,
pronouns, agreed participles) and gives each token the sex with most cues, joined to the
token's word: the model learns which words change meaning with it, and nothing where a
note says neither or both equally. Cues about a relative ("sa fille ... elle passera")
count too: the weights say how far the count can be trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from breachbench.benchmarks.detectors.data import sex_cue_lexicon
from breachbench.benchmarks.detectors.fold import strip_accents

__all__ = ["note_sex", "partner_match", "sex_cues"]

Token = tuple[int, int]


@cache
def sex_cues() -> dict[str, str]:
    """Lower-case cue word -> ``F`` or ``M``, from the cue lexicon."""
    data = sex_cue_lexicon()
    return {word: sex for sex, key in (("F", "female"), ("M", "male")) for word in data[key]}


@cache
def _partners() -> dict[str, str]:
    """Folded partner noun -> the partner's sex (``F`` or ``M``)."""
    data = sex_cue_lexicon()["partners"]
    return {strip_accents(word): sex for sex, words in data.items() for word in words}


def partner_match(word: str, said: str) -> str | None:
    """``same`` or ``other`` when ``word`` (folded, lower case) is a partner's noun: whether
    the partner's sex is the one the note says the patient has, the partner exception."""
    sex = _partners().get(word)
    if sex is None:
        return None
    return "same" if sex == said else "other"


def note_sex(text: str, tokens: Sequence[Token]) -> str | None:
    """``F`` or ``M`` when the note's cue words lean one way, else None.

    Words are compared in lower case with their accents; "M" counts only as the title,
    a capital followed by a full stop ("m." in the lexicon).
    """
    cues = sex_cues()
    score = 0
    for i, (start, end) in enumerate(tokens):
        word = text[start:end]
        if word == "M":
            titled = i + 1 < len(tokens) and tokens[i + 1][0] == end and text[end] == "."
            if not titled:
                continue
            word = "m."
        sex = cues.get(word.lower())
        if sex is not None:
            score += 1 if sex == "F" else -1
    if score > 0:
        return "F"
    if score < 0:
        return "M"
    return None
