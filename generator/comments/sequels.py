"""What a note's next clause is, given the clause before it: the step at the desk.

Clauses drawn one by one read as facts pasted side by side ("TP ok. Curatelle
renforcée."), the main tell left in issue 9; a desk writes one matter per note: a fact
and what to do about it, a missed appointment and the call that follows
(``shared/REALISM.md``). ``corpora/comments/sequels.yaml`` says which clauses *lead*
(by sensitive category, group, tag or the slots they write) and, per lead, the rate at
which the clause after it is its *step* and the weights of its step groups.

The engine draws a note's clauses as before, sorts them by topic (``glue.py``), then
redraws the later non-fact clauses that follow a lead as one of its steps, in whole-batch
array operations (two grouped draws per clause, one uniform for the rate); a step that
does not fit the record or repeats a clause of the note is drawn again, and after a few
rounds the clause drawn first stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from breachbench.generator.arrays.sampling import GroupedCategorical
from breachbench.generator.comments.compiled import (
    NON_SENSITIVE_FAMILIES,
    SLOT,
    CompiledTemplates,
    PieceCodes,
)
from breachbench.generator.data import corpora

__all__ = ["Sequels", "load_sequels"]

SEQUELS_FILE = "comments/sequels.yaml"
STEP_PREFIX = "step_"  # groups of notes only written as a step, never alone


@dataclass(frozen=True)
class Sequels:
    """Per template its lead (-1: none); per lead a rate and a step-group sampler; per
    (step group, sex) a template sampler."""

    lead: np.ndarray  # (templates,) int64: index into ``lead_names``, -1 for none
    told: np.ndarray  # (templates,) bool: a story, which already says its step
    step: np.ndarray  # (templates,) bool: of a ``step_*`` group: only ever drawn after its lead
    rate: np.ndarray  # (leads,) float64
    lead_names: tuple[str, ...]
    step_of_lead: GroupedCategorical  # lead -> step group index
    step_template: GroupedCategorical  # step group * 2 + sex -> template
    step_names: tuple[str, ...]

    # The share of a lead's rate at which a step, or a story (which says its own step),
    # is followed by a further step of its lead.
    chain: float

    def draw(self, rng: np.random.Generator, lead: np.ndarray, sex: np.ndarray) -> np.ndarray:
        """A step template of each lead (indices into ``lead_names``) for the sex, or -1
        where a restricted engine has none."""
        group = self.step_of_lead.sample(rng, lead) % len(self.step_names) * 2 + sex
        out = np.full(len(group), -1, dtype=np.int64)  # -1: a group a restriction emptied
        some = self.step_template.group_total[group] > 0
        out[some] = self.step_template.sample(rng, group[some])
        return out


def load_sequels(
    compiled: CompiledTemplates,
    family: np.ndarray,
    sensitive_keys: Sequence[str],
    document: Mapping | None = None,
    *,
    items_weight: np.ndarray | None = None,
) -> Sequels:
    """The :class:`Sequels` of the compiled templates; ``family`` is each template's key
    index (non-sensitive families, then ``sensitive_keys``, the sensitive categories).

    ``items_weight`` (the sampler items' weights; the compiled ones when None) restricts
    the steps to the templates an engine may draw (held-out splits): a step group left
    with no note for a sex is then not drawn for it, where the full corpora raise.
    """
    item_weight = compiled.items_weight if items_weight is None else items_weight
    if document is None:
        document = corpora.read_yaml(SEQUELS_FILE)
    c = compiled
    n_templates = len(c.piece_codes)
    tags = list(c.tag_vocabulary)

    def columns(names: Sequence[str], where: str) -> np.ndarray:
        """The tag columns of ``names``, or one line naming the unknown ones."""
        unknown = sorted(set(names) - set(tags))
        if unknown:
            raise ValueError(f"{SEQUELS_FILE}: {where} names unknown tags {unknown}")
        return c.template_tags[:, [tags.index(t) for t in names]]

    def tagged(names: Sequence[str], where: str) -> np.ndarray:
        return columns(names, where).any(axis=1)

    unlinked_tags = list(document.get("unlinked_tags", ()))
    told = tagged(document.get("told_tags", ()), "told_tags")

    leads = list(document["leads"])
    names = tuple(str(lead["name"]) for lead in leads)
    steps = tuple(dict.fromkeys(g for lead in leads for g in lead["then"]))
    group_names = list(c.group_names)
    missing = [g for g in steps if g not in group_names]
    if missing:
        raise ValueError(f"{SEQUELS_FILE}: no routine note of step groups {missing}")
    first_sensitive = int(family.max()) + 1 - len(sensitive_keys)

    kind, value, *_ = PieceCodes.unpack(c.piece_codes)
    slots = np.where(kind == SLOT, value, len(c.slot_names))  # the slots each writes
    lead_of = np.full(n_templates, -1, dtype=np.int64)
    for index in range(len(leads) - 1, -1, -1):  # the first lead listed wins
        lead = leads[index]
        match = np.zeros(n_templates, dtype=bool)
        for category in lead.get("categories", ()):
            if category not in sensitive_keys:
                raise ValueError(f"{SEQUELS_FILE}: {names[index]}: unknown category {category}")
            match |= family == first_sensitive + list(sensitive_keys).index(category)
        for group in lead.get("groups", ()):
            if group not in group_names:
                raise ValueError(f"{SEQUELS_FILE}: {names[index]}: unknown group {group}")
            match |= c.group == group_names.index(group)
        match |= tagged(lead.get("tags", ()), names[index])
        if lead.get("slots"):
            match |= _writes_slots(c, slots, lead["slots"], names[index])
        if lead.get("families"):
            match &= np.isin(family, [_family_index(f, names[index]) for f in lead["families"]])
        allowed = set(lead.get("allows", ()))
        match &= ~tagged([t for t in unlinked_tags if t not in allowed], "unlinked_tags")
        if lead.get("needs"):
            match &= columns(lead["needs"], f"{names[index]}: needs").all(axis=1)
        lead_of[match] = index
    step_group = np.array([group_names.index(g) for g in steps], dtype=np.int64)
    only_steps = [group_names.index(g) for g in steps if g.startswith(STEP_PREFIX)]
    is_step = np.isin(c.group, only_steps)
    lead_of[is_step] = -1
    in_steps = np.isin(c.group, step_group)

    rate = np.array([float(lead["rate"]) for lead in leads], dtype=np.float64)
    if ((rate < 0) | (rate > 1)).any():
        raise ValueError(f"{SEQUELS_FILE}: a lead's rate is a share, between 0 and 1")
    weights = np.zeros((len(leads), len(steps)), dtype=np.float64)
    for index, lead in enumerate(leads):
        for group, weight in lead["then"].items():
            weights[index, steps.index(group)] = float(weight)
    step_of_lead = GroupedCategorical.from_groups(
        np.repeat(np.arange(len(leads)), len(steps)), weights.ravel(), len(leads)
    )
    # Sampler items are (template, sex) pairs; a step group's are drawn by their weight.
    # A restriction may keep none: one weightless item then leaves every group empty.
    at = np.flatnonzero(in_steps[c.items_template] & (item_weight > 0))
    order = np.argsort(step_group)
    step_index = order[np.searchsorted(step_group[order], c.group[c.items_template[at]])]
    sex = c.items_group[at] % 2
    key, weight = step_index * 2 + sex, item_weight[at]
    if not len(at):
        at, key, weight = np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1)
    step_template = GroupedCategorical.from_groups(key, weight, 2 * len(steps))
    empty = [
        f"{steps[s]} ({'MF'[x]})"
        for s in range(len(steps))
        for x in (0, 1)
        if step_template.group_total[s * 2 + x] <= 0
    ]
    if empty and items_weight is None:
        raise ValueError(f"{SEQUELS_FILE}: step groups with no note for a sex: {empty}")
    step_template = _templates_of(step_template, c.items_template[at])
    chain = float(document.get("chain", 0.0))
    if not 0 <= chain <= 1:
        raise ValueError(f"{SEQUELS_FILE}: chain is a share, between 0 and 1")
    return Sequels(lead_of, told, is_step, rate, names, step_of_lead, step_template, steps, chain)


def _family_index(name: str, lead: str) -> int:
    if name not in NON_SENSITIVE_FAMILIES:
        known = ", ".join(NON_SENSITIVE_FAMILIES)
        raise ValueError(f"{SEQUELS_FILE}: {lead}: families are among {known}, got {name}")
    return NON_SENSITIVE_FAMILIES.index(name)


def _writes_slots(
    c: CompiledTemplates, slots: np.ndarray, patterns: Sequence[str], lead: str
) -> np.ndarray:
    """Per template (its ``slots``, padded with ``len(c.slot_names)``): whether it writes
    one of the slots ``patterns`` names: a slot key ("phone|relative:daughter"), or one
    ending ":*" for the key with any qualifiers ("phone|relative:*": every relative's
    phone)."""
    wanted = np.zeros(len(c.slot_names) + 1, dtype=bool)  # last: no slot
    for pattern in patterns:
        stem = pattern[:-2] if pattern.endswith(":*") else None
        hits = [
            i
            for i, key in enumerate(c.slot_names)
            if key == pattern or (stem is not None and (key == stem or key.startswith(stem + ":")))
        ]
        if not hits:
            raise ValueError(f"{SEQUELS_FILE}: {lead}: no template writes slot {pattern}")
        wanted[hits] = True
    return wanted[slots].any(axis=1)


def _templates_of(sampler: GroupedCategorical, templates: np.ndarray) -> GroupedCategorical:
    """``sampler`` drawing the templates its items stand for instead of item indices."""
    return GroupedCategorical(
        sampler.probability,
        sampler.alias,
        sampler.group_start,
        sampler.group_size,
        sampler.group_total,
        templates[sampler.item_order],
    )
