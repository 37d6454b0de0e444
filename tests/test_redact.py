"""``breachbench redact``: the redaction itself, residual labels, and the residual leak."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.redact import Redactor, remap_span
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from click.testing import CliRunner

from breachbench.cli import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("redact") / "p.parquet"
    generate_dataset(out, GenerateOptions(rows=600, seed=3), progress=False)
    return out


def test_modes() -> None:
    text = "M. Manson VIH+, tél 06 39 98 29 54, voir MANSON"
    spans = [(3, 9, "person"), (10, 14, "serology"), (20, 34, "phone"), (41, 47, "person")]
    masked, _ = Redactor("mask").redact(text, spans)
    assert len(masked) == len(text) and masked.count("█") == 6 + 4 + 14 + 6
    tagged, _ = Redactor("tag").redact(text, spans)
    assert tagged == "M. [NOM] [SÉROLOGIE], tél [TÉLÉPHONE], voir [NOM]"
    assert Redactor("tag", lang="en").redact(text, spans)[0].startswith("M. [NAME] [SEROLOGY]")
    fake, _ = Redactor("pseudonym", seed=1).redact(text, spans, key="P1")
    words = fake.split()
    # The same patient keeps one pseudonym across the note, in the note's own case.
    assert words[1] != "Manson" and words[-1] == words[1].upper()
    assert "[SÉROLOGIE]" in fake and "06 39 98" in fake and "29 54" not in fake
    assert fake == Redactor("pseudonym", seed=1).redact(text, spans, key="P1")[0]
    assert fake != Redactor("pseudonym", seed=2).redact(text, spans, key="P1")[0]
    # Overlapping spans are redacted once.
    assert Redactor("tag").redact("abcdef", [(0, 4, "date"), (2, 6, "nir")])[0] == "[DATE]"


def test_remap_span_against_brute_force() -> None:
    rng = np.random.default_rng(0)
    redactor = Redactor("tag")
    for _ in range(300):
        text = "".join(rng.choice(list("abcdefgh "), size=40))
        spans = []
        for start in sorted(rng.choice(38, size=rng.integers(0, 4), replace=False)):
            spans.append((int(start), int(start + rng.integers(1, 6)), "date"))
        new, regions = redactor.redact(text, spans)
        masked = {i for a, b, _ in spans for i in range(a, min(b, 40))}
        start = int(rng.integers(0, 39))
        end = int(rng.integers(start + 1, 41))
        where = remap_span(start, end, regions)
        if all(i in masked for i in range(start, end)):
            assert where is None
            continue
        assert where is not None
        # Every readable character of the span is still inside the moved span, in order.
        readable = "".join(text[i] for i in range(start, end) if i not in masked)
        inside = new[where[0] : where[1]].replace("[DATE]", "")
        assert inside == readable, (text, spans, start, end, new, where)


def test_redact_command(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["redact", str(dataset), "-o", str(out), "--mode", "mask"])
    assert result.exit_code == 0, result.output
    assert "linked disclosure" in result.output
    original = pq.read_table(dataset)
    redacted = pq.read_table(out / "redacted.parquet")
    assert redacted.column_names == original.column_names
    assert redacted.num_rows == original.num_rows
    report = json.loads((out / "residual.json").read_text())
    counts = report["metrics"]["exposure"]["counts"]
    # The residual labels are what the summary counts as readable.
    residual_sensitive = sum(redacted["sensitive"].to_pylist())
    assert residual_sensitive == counts["sensitive_records"] - counts["sensitive_protected"]
    for text, spans in zip(
        redacted["admin_comment"].to_pylist(), redacted["spans"].to_pylist(), strict=True
    ):
        for span in spans:
            assert set(text[span["start"] : span["end"]]) - {"█"}, "a residual span is readable"
    assert (out / "residual.md").read_text().startswith("# What the redaction leaves")

    again = CliRunner().invoke(main, ["redact", str(dataset), "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.stderr

    dropped = tmp_path / "d"
    result = CliRunner().invoke(
        main, ["redact", str(dataset), "-o", str(dropped), "--mode", "pseudonym", "--drop-labels"]
    )
    assert result.exit_code == 0, result.output
    names = pq.read_schema(dropped / "redacted.parquet").names
    assert "spans" not in names and "categories" not in names and "admin_comment" in names


def test_redact_refuses_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text("{}\n")
    result = CliRunner().invoke(main, ["redact", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "not a Parquet file" in result.stderr
