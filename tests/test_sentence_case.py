"""Sentence case (issue 9): in a share of notes, the first word and the word after a full
stop or a line break take a capital, as people type. The tests fail if a capital lands
inside a word, changes a length (span offsets), or touches an identifier's value."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import capitalise_bytes
from breachbench.generator.block import make_block
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.options import GenerateOptions
from hypothesis import given
from hypothesis import strategies as st

_LOWER = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüœ"


@given(
    st.lists(st.text(alphabet=_LOWER + "ABC 1.,'-÷ßÿ", min_size=1, max_size=8), min_size=1),
    st.data(),
)
def test_capitalising_keeps_lengths_and_only_changes_first_letters(words, data):
    text = "".join(words)
    raw = text.encode()
    starts = np.cumsum([0] + [len(w.encode()) for w in words[:-1]])
    chosen = data.draw(st.lists(st.sampled_from(list(range(len(words)))), unique=True))
    at = starts[chosen] if chosen else np.empty(0, dtype=np.int64)
    out = capitalise_bytes(pa.py_buffer(raw), at).to_pybytes().decode()
    assert len(out) == len(text) and len(out.encode()) == len(raw)
    first_chars = {len(raw[:b].decode()) for b in at}
    for i, (before, after) in enumerate(zip(text, out, strict=True)):
        if i in first_chars and before in _LOWER:
            assert after == before.upper()
        else:
            assert after == before


def test_sentence_case_capitalises_sentence_starts_and_never_an_identifier():
    options = GenerateOptions(seed=5, comment_rate=1.0, sensitive_rate=0.4, difficulty="easy")
    rows = make_block(options, 0, 4000).to_pylist()
    assert load_engine().sentence_case_rate > 0
    starts = []
    for row in rows:
        text = row["admin_comment"]
        for span in row["spans"]:
            value = text[span["start"] : span["end"]]
            if span["category"] == "email":
                assert value == value.lower(), value
        starts += [m.group(1) for m in re.finditer(r"(?:^|\n|[.!?] )(\w)", text)]
    upper = sum(c.isupper() for c in starts) / len(starts)
    # A share of notes is in sentence case, and only those: neither none nor all.
    assert 0.3 < upper < 0.95
