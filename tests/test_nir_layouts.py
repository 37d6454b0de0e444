"""NIR layouts of hand-written notes (issue 9): spaced, solid, with dots, the key apart.
Every layout must write the person's fifteen characters, and the generator every layout."""

from __future__ import annotations

import re

import numpy as np
from breachbench.generator.block import make_block
from breachbench.generator.options import GenerateOptions
from breachbench.generator.records.nir import LAYOUTS, nir_matrix
from hypothesis import given
from hypothesis import strategies as st


@given(
    sex=st.integers(0, 1),
    year=st.integers(1900, 2025),
    month=st.integers(1, 12),
    department=st.integers(1, 95),
    commune=st.integers(1, 999),
    order=st.integers(1, 999),
)
def test_every_nir_layout_writes_the_same_fifteen_characters(
    sex, year, month, department, commune, order
):
    place = f"{department:02d}{commune:03d}"
    matrix = nir_matrix(
        sex=np.array([sex]),
        birth_year=np.array([year]),
        birth_month=np.array([month]),
        place_bytes=np.frombuffer(place.encode(), dtype=np.uint8).reshape(1, 5),
        place_value=np.array([int(place)]),
        order=np.array([order]),
    )
    solid = LAYOUTS["solid"](matrix).to_pylist()[0]
    assert len(solid) == 15 and (97 - int(solid[:13]) % 97) == int(solid[13:])
    for name, layout in LAYOUTS.items():
        written = layout(matrix).to_pylist()[0]
        assert re.sub(r"[ .]", "", written) == solid, name
    assert LAYOUTS["key_apart"](matrix).to_pylist()[0] == f"{solid[:13]} {solid[13:]}"
    assert LAYOUTS["dotted"](matrix).to_pylist()[0].count(".") == 6


def test_generated_nirs_use_every_layout():
    options = GenerateOptions(seed=11, comment_rate=1.0, sensitive_rate=0.0, difficulty="easy")
    seen = set()
    for row in make_block(options, 0, 20_000).select(["admin_comment", "spans"]).to_pylist():
        for span in row["spans"]:
            if span["category"] == "nir":
                value = row["admin_comment"][span["start"] : span["end"]]
                seen.add(
                    "dotted"
                    if "." in value
                    else "spaced"
                    if value.count(" ") == 6
                    else "key_apart"
                    if value.count(" ") == 1
                    else "solid"
                )
    assert seen == set(LAYOUTS)
