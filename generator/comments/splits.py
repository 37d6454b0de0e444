"""Train, dev and test splits that share no wording: every family of phrasing in one split.

A detector trained and tested on comments drawn from the same lexicon entries and frames
measures memory, not detection. So each *family* of wording (a sensitive ``cores``,
``states`` or ``phrases`` entry, a generic frame of ``frames.yaml``, a routine note, a
hard negative, an identifier layout of ``identifiers.yaml``) belongs to exactly one split,
and a template belongs to a split only when **all** its families do: a core of the test
split inside a frame of the train split is drawn by no split at all.

A family's id is the ``source`` of the templates built from it, cut at ``+`` (entry, then
frame) with the ``:m``/``:f`` agreement suffix and an entry's or a frame's ``:w2`` wording number
dropped, e.g.
``sensitive/serology.yaml:cores[3]`` and ``frames.noun[2]``. Families are grouped by kind
(``sensitive/serology.yaml:cores``, ``frames.noun``, ``routine.yaml:entries``...); within a
group they are ordered by a SHA-256 of their id (seed-independent, so a train split of
seed 1 and a test split of seed 2 stay disjoint) and cut by the split fractions, with at
least one family in each split when the group has enough. Cutting by rank rather than by
a hash threshold guarantees that every split of every group is non-empty (a threshold
would leave a small group without test families now and then); the price is that adding
an entry to a lexicon may move a family at a cut point, which a new corpora digest records.

Not split: the connectors (separators, openers), the noise models and the slot values
(names, phone and date layouts): they carry no sensitive wording. The held-out check of
``benchmarks/heldout.py`` had the same idea with random masks; this module is its stable,
recorded form.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_FRACTIONS",
    "SPLITS",
    "SplitAssignment",
    "assign_families",
    "family_group",
    "split_engine",
    "split_mask",
    "template_families",
]

SPLITS: tuple[str, ...] = ("train", "dev", "test")
DEFAULT_FRACTIONS: tuple[float, float, float] = (0.7, 0.15, 0.15)
_SALT = b"breachbench-split-v1\0"
# The suffixes of a template's source that name no family of their own: the agreement of
# a sexed text (":m", ":f"), and one of an entry's or a frame's wordings (":w2",
# templates._wordings, templates._frame_wordings), both on a state frame (":w1:f").
_AGREEMENT = re.compile(r"(?::(?:[mf]|w\d+))+$")


def template_families(source: str) -> tuple[str, ...]:
    """The family ids a template is built from: its entry, then its frame if any."""
    return tuple(_AGREEMENT.sub("", source).split("+"))


def family_group(family: str) -> str:
    """The kind of a family, within which fractions are applied: its id without the index."""
    return family.rsplit("[", 1)[0]


def _hash(family: str) -> bytes:
    return hashlib.sha256(_SALT + family.encode("utf-8")).digest()


@dataclass(frozen=True)
class SplitAssignment:
    """Every family id and the split it belongs to."""

    split_of: dict[str, str]

    def families(self, split: str) -> list[str]:
        """The family ids of ``split``, sorted."""
        return sorted(f for f, s in self.split_of.items() if s == split)

    def summary(self, split: str) -> dict[str, object]:
        """What metadata records of a split: family counts per kind and a digest of the ids."""
        chosen = self.families(split)
        per_group: dict[str, int] = defaultdict(int)
        for family in chosen:
            per_group[family_group(family)] += 1
        digest = hashlib.sha256("\n".join(chosen).encode("utf-8")).hexdigest()
        return {
            "split": split,
            "families": len(chosen),
            "families_total": len(self.split_of),
            "families_sha256": digest,
            "families_per_kind": dict(sorted(per_group.items())),
        }


def _cuts(n: int, fractions: Sequence[float]) -> list[int]:
    """How many of ``n`` ranked families go to each split (sums to ``n``).

    Rounded cumulative shares, then every split with a positive fraction gets at least one
    when ``n`` allows it, taken from the largest.
    """
    bounds = np.round(np.cumsum(fractions) / sum(fractions) * n).astype(int)
    counts = np.diff(np.concatenate([[0], bounds])).tolist()
    wanted = [i for i, f in enumerate(fractions) if f > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                donor = max(range(len(counts)), key=lambda j: counts[j])
                counts[donor] -= 1
                counts[i] += 1
    return counts


def assign_families(
    families: Iterable[str], fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> SplitAssignment:
    """Put each family in one of :data:`SPLITS`: by hash rank within its group."""
    groups: dict[str, list[str]] = defaultdict(list)
    for family in set(families):
        groups[family_group(family)].append(family)
    split_of: dict[str, str] = {}
    for members in groups.values():
        members.sort(key=_hash)
        start = 0
        for split, count in zip(SPLITS, _cuts(len(members), fractions), strict=True):
            for family in members[start : start + count]:
                split_of[family] = split
            start += count
    return SplitAssignment(split_of)


def assignment_of(sources: Sequence[str], fractions: Sequence[float]) -> SplitAssignment:
    """The assignment of every family the templates with these ``sources`` use."""
    return assign_families((f for s in sources for f in template_families(s)), fractions)


def split_mask(
    sources: Sequence[str], split: str, fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> np.ndarray:
    """Over templates (by ``source``): true where every family of the template is in ``split``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    split_of = assignment_of(sources, fractions).split_of
    return np.array(
        [all(split_of[f] == split for f in template_families(s)) for s in sources], dtype=bool
    )


@functools.cache
def _sources() -> tuple[str, ...]:
    from breachbench.generator.comments.engine import load_engine

    return tuple(t.source for t in load_engine().templates)


@functools.cache
def split_assignment(fractions: tuple[float, ...] = DEFAULT_FRACTIONS) -> SplitAssignment:
    """The assignment of the installed templates' families."""
    return assignment_of(_sources(), fractions)


@functools.cache
def split_engine(real_email_domains: bool, split: str | None, fractions: tuple[float, ...]):
    """The comment engine of a split (the whole engine when ``split`` is None), per process."""
    from breachbench.generator.comments.engine import load_engine

    engine = load_engine(real_email_domains)
    if split is None:
        return engine
    return engine.restricted(split_mask(_sources(), split, fractions))


def split_record(split: str | None, fractions: Sequence[float]) -> dict[str, object] | None:
    """What a dataset's metadata records of its split (None for a whole-corpus dataset)."""
    if split is None:
        return None
    return {
        "fraction": dict(zip(SPLITS, (float(f) for f in fractions), strict=True)),
        "rule": "a template is drawn only if its entry and its frame are both in the split",
        **split_assignment(tuple(float(f) for f in fractions)).summary(split),
    }


def split_sentence(split: str | None, fractions: Sequence[float]) -> str:
    """One sentence for a dataset card or a Croissant description."""
    if split is None:
        return "Split: none (every wording family of the generator is drawn)."
    shares = ", ".join(f"{name} {f:g}" for name, f in zip(SPLITS, fractions, strict=True))
    summary = split_assignment(tuple(float(f) for f in fractions)).summary(split)
    return (
        f"Split: `{split}` of a family-disjoint train/dev/test split (family shares {shares}):"
        f" its comments use only the {summary['families']} of {summary['families_total']}"
        " wording families (lexicon entries, frames, routine notes, hard negatives,"
        " identifier layouts) assigned to it, none of which appears in another split"
        f" (families sha256 {summary['families_sha256'][:16]})."
    )
