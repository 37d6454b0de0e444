"""Alias-method samplers: they must draw what their weights say, and only that."""

from __future__ import annotations

import numpy as np
from breachbench.generator.arrays.sampling import Categorical, GroupedCategorical
from hypothesis import given, settings
from hypothesis import strategies as st

weights_strategy = st.lists(
    st.one_of(st.just(0.0), st.floats(0.01, 100.0)), min_size=1, max_size=12
).filter(lambda w: sum(w) > 0)


@settings(max_examples=60, deadline=None)
@given(weights=weights_strategy, seed=st.integers(0, 2**32 - 1))
def test_categorical_frequencies_follow_weights(weights: list[float], seed: int) -> None:
    n = 200_000
    draws = Categorical.from_weights(weights).sample(np.random.default_rng(seed), n)
    observed = np.bincount(draws, minlength=len(weights)) / n
    expected = np.array(weights) / sum(weights)
    assert observed[expected == 0].sum() == 0
    # 6 standard deviations of a binomial share: fails only on a real bias.
    tolerance = 6 * np.sqrt(expected * (1 - expected) / n) + 1e-9
    assert (np.abs(observed - expected) <= tolerance).all()


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(st.integers(0, 3), min_size=1, max_size=20),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_grouped_draws_stay_in_their_group_and_follow_weights(
    groups: list[int], data: st.DataObject, seed: int
) -> None:
    weights = data.draw(
        st.lists(st.floats(0.01, 100.0), min_size=len(groups), max_size=len(groups))
    )
    group_of = np.array(groups)
    sampler = GroupedCategorical.from_groups(group_of, np.array(weights), n_groups=4)
    wanted = np.random.default_rng(seed).choice(np.unique(group_of), 100_000)

    items = sampler.sample(np.random.default_rng(seed + 1), wanted)

    assert (group_of[items] == wanted).all()
    for group in np.unique(wanted):
        members = np.flatnonzero(group_of == group)
        share = np.bincount(items[wanted == group], minlength=len(groups))[members]
        n = share.sum()
        expected = np.array(weights)[members] / np.array(weights)[members].sum()
        tolerance = 6 * np.sqrt(expected * (1 - expected) / n) + 1e-9
        assert (np.abs(share / n - expected) <= tolerance).all()


class _LargestUniform:
    """A generator whose every uniform number is the largest numpy draws, 1 - 2**-53."""

    def random(self, n: int) -> np.ndarray:
        return np.full(n, 1.0 - 2.0**-53)


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 5_000), min_size=1, max_size=6))
def test_the_largest_uniform_still_picks_a_column_of_its_group(sizes: list[int]) -> None:
    # The samplers read the whole part of ``u * size`` without clamping it to
    # ``size - 1``: that u * size < size for every u < 1 is what keeps a draw in its group.
    group_of = np.repeat(np.arange(len(sizes)), sizes)
    grouped = GroupedCategorical.from_groups(group_of, np.ones(len(group_of)), len(sizes))
    wanted = np.arange(len(sizes))

    items = grouped.sample(_LargestUniform(), wanted)  # type: ignore[arg-type]

    assert (group_of[items] == wanted).all()
    flat = Categorical.from_weights(np.ones(sizes[0])).sample(_LargestUniform(), 3)  # type: ignore[arg-type]
    assert ((flat >= 0) & (flat < sizes[0])).all()
