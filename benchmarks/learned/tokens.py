"""Tokens with exact character offsets, their French features, and BIO/BILOU tags both ways.

The span tagger labels tokens, the harness scores character spans: every token keeps its
``[start, end)`` in the original text, so a tag sequence turns back into spans whose
offsets are exact, whatever the noise in the text. Words are runs of ``\\w`` and every
other non-space character is a token of its own ("VIH+" is "VIH", "+"; a phone is five
pairs of digits), which is what the annotation guidelines' span boundaries follow.

Features are plain strings (python-crfsuite's cheapest form): the accent-folded lower
word (notes are often written without accents), its prefixes and suffixes (typos keep
them), its shape (``Xx``, ``dd``: names and numbers), capitals, and the same for its
neighbours, plus the word bigram on the left. Digits are replaced by their shape in the
word feature: the value of a phone digit pair says nothing, its layout does. Pure Python,
no dependency: tested without the ``ml`` extra.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from breachbench.benchmarks.detectors.fold import strip_accents

from .lexicon import lexicon_categories, uncovered
from .sexcue import note_sex, partner_match

__all__ = [
    "OUTSIDE",
    "Token",
    "bilou",
    "bio_tags",
    "features",
    "spans_from_tags",
    "tokenize",
]

OUTSIDE = "O"
_TOKEN = re.compile(r"\w+|[^\w\s]")
Token = tuple[int, int]  # [start, end) into the text


def tokenize(text: str) -> list[Token]:
    """The ``[start, end)`` of every token of ``text``, in order."""
    return [match.span() for match in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    """``Dupont`` -> ``Xx``, ``06`` -> ``d``, ``VIH`` -> ``X``: character classes, runs merged."""
    out: list[str] = []
    for char in word:
        if char.isdigit():
            kind = "d"
        elif char.isalpha():
            kind = "X" if char.isupper() else "x"
        else:
            kind = char
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


def _word(token: str) -> str:
    """The folded lower form used as the word feature; digit runs become their length."""
    if token.isdigit():
        return f"<{len(token)}d>"
    return strip_accents(token.lower())


def features(
    text: str,
    tokens: Sequence[Token],
    hints: Sequence[tuple[int, int, str]] = (),
    *,
    stems: bool = False,
    sex: bool = False,
) -> list[list[str]]:
    """One feature list per token of ``text``.

    ``hints`` are spans another detector found (the built-in lexicon and patterns): each
    token gets the BIO tag they give it, and its neighbours' labels, as features. The CRF
    learns how far to trust them, and where the guidelines draw the boundaries.

    A hinted token also says whether the hint ends there (``hL``) or goes on (``hM``),
    and the hint's label with the token's shape and with the word on its left: features
    that hold on wording never seen in training, so that where the words are unknown the
    tagger can follow the hint's boundary (the lexicon draws minimal spans) and judge the
    hint by its context rather than by the hinted word's identity.

    With ``stems``, a word no hint covers also gets the categories whose lexicon words
    share its stem (:mod:`.lexicon`): "vasectomisé" is near "vasectomie".

    With ``sex``, where the note's cue words say the patient's sex (:mod:`.sexcue`), every
    token gets that sex joined to its word: "compagne" in a woman's note is another
    feature than in a man's, which is what the partner exception turns on; a partner's
    noun also says whether the partner is of that sex, one feature for every such noun.
    """
    words = [text[s:e] for s, e in tokens]
    folded = [_word(w) for w in words]
    shapes = [_shape(w) for w in words]
    base: list[list[str]] = []
    for word, low, shape in zip(words, folded, shapes, strict=True):
        item = ["w=" + low, "sh=" + shape, "p3=" + low[:3], "s3=" + low[-3:], "s2=" + low[-2:]]
        if len(low) > 4:
            item.append("s4=" + low[-4:])
            item.append("p4=" + low[:4])
        if len(word) > 1 and word.isupper():
            item.append("up")
        elif word[:1].isupper():
            item.append("ti")
        item.append(f"len={min(len(word), 9)}")
        base.append(item)
    n = len(tokens)
    said = note_sex(text, tokens) if sex else None
    if said is not None:
        for low, item in zip(folded, base, strict=True):
            item += ("sx=" + said, "sx|w=" + said + "|" + low)
            match = partner_match(low, said)
            if match is not None:
                item.append("sx|partner=" + match)
    if stems:
        for i, free in enumerate(uncovered(tokens, hints)):
            if free:
                base[i] += ["lx=" + c for c in lexicon_categories(words[i])]
    if hints:
        hinted = bio_tags(tokens, hints)
        for i, tag in enumerate(hinted):
            if tag != OUTSIDE:
                label = tag[2:]
                ends = i + 1 == n or hinted[i + 1] != "I-" + label
                base[i] += ("h=" + tag, ("hL=" if ends else "hM=") + label)
                base[i].append("h|sh=" + label + "|" + shapes[i])
                if i > 0:
                    base[i].append("h|-1w=" + label + "|" + folded[i - 1])
            if i > 0 and hinted[i - 1] != OUTSIDE:
                base[i].append("h-1=" + hinted[i - 1][2:])
            if i + 1 < n and hinted[i + 1] != OUTSIDE:
                base[i].append("h+1=" + hinted[i + 1][2:])
    out: list[list[str]] = []
    for i in range(n):
        item = list(base[i])
        if i > 0:
            item += ("-1w=" + folded[i - 1], "-1sh=" + shapes[i - 1])
            item.append("-1|0=" + folded[i - 1] + "|" + folded[i])
            item.append("gap" if tokens[i][0] > tokens[i - 1][1] else "nogap")
        else:
            item.append("BOS")
        if i > 1:
            item.append("-2w=" + folded[i - 2])
        if i + 1 < n:
            item += ("+1w=" + folded[i + 1], "+1sh=" + shapes[i + 1])
        else:
            item.append("EOS")
        if i + 2 < n:
            item.append("+2w=" + folded[i + 2])
        out.append(item)
    return out


def bio_tags(tokens: Sequence[Token], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """BIO tags of ``tokens`` for gold ``spans`` (sorted, non-overlapping).

    A token belongs to the span its start lies in; the first such token is ``B-``.
    """
    tags = [OUTSIDE] * len(tokens)
    ordered = sorted(spans)
    j = 0
    for i, (start, _end) in enumerate(tokens):
        while j < len(ordered) and ordered[j][1] <= start:
            j += 1
        if j < len(ordered) and ordered[j][0] <= start < ordered[j][1]:
            label = ordered[j][2]
            inside = i > 0 and tags[i - 1][2:] == label and tokens[i - 1][0] >= ordered[j][0]
            tags[i] = ("I-" if inside else "B-") + label
    return tags


def bilou(tags: Sequence[str]) -> list[str]:
    """BIO tags rewritten as BILOU: a span's last token is ``L-``, a one-token span ``U-``.

    The tagger learns the BILOU form: with BIO, ending a span is only "the next token is
    not ``I-``", so a first-order CRF keeps extending a span over words it never saw (a
    preposition, a number, a name after "viol conjugal"). An explicit last tag has its own
    weights, so a span ends on the kind of word that ends spans in the training data.
    """
    out = list(tags)
    for i, tag in enumerate(tags):
        if tag != OUTSIDE and (i + 1 == len(tags) or tags[i + 1] != "I-" + tag[2:]):
            out[i] = ("U-" if tag[0] == "B" else "L-") + tag[2:]
    return out


def spans_from_tags(tokens: Sequence[Token], tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Character spans from BIO or BILOU tags (models of either scheme load).

    An ``I-`` or ``L-`` that does not continue its label opens a span; ``L-`` and ``U-``
    close the span they are in.
    """
    spans: list[tuple[int, int, str]] = []
    current: list = []  # [start, end, label] of the open span
    for (start, end), tag in zip(tokens, tags, strict=True):
        if tag == OUTSIDE:
            if current:
                spans.append(tuple(current))  # type: ignore[arg-type]
                current = []
            continue
        prefix, label = tag[:2], tag[2:]
        if prefix in ("I-", "L-") and current and current[2] == label:
            current[1] = end
        else:
            if current:
                spans.append(tuple(current))  # type: ignore[arg-type]
            current = [start, end, label]
        if prefix in ("L-", "U-"):
            spans.append(tuple(current))  # type: ignore[arg-type]
            current = []
    if current:
        spans.append(tuple(current))  # type: ignore[arg-type]
    return spans
