"""Family-disjoint splits: no wording family in two splits, few shared surface forms,
recorded in every piece of metadata, deterministic per (seed, split, row)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.describe import describe_dataset, format_description
from breachbench.generator.api import generate_dataset
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.splits import (
    DEFAULT_FRACTIONS,
    SPLITS,
    assign_families,
    family_group,
    split_engine,
    split_mask,
    template_families,
)
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.options import GenerateOptions, OptionError
from breachbench.generator.records.people import FEMALE, MALE
from click.testing import CliRunner

from breachbench.cli import main


@pytest.fixture(scope="module")
def sources() -> list[str]:
    return [t.source for t in load_engine().templates]


def test_template_families_cut_entry_and_frame() -> None:
    assert template_families("sensitive/serology.yaml:states[4]+frames.state[2]:f") == (
        "sensitive/serology.yaml:states[4]",
        "frames.state[2]",
    )
    assert template_families("sensitive/serology.yaml:states[4]+frames.state[2]:w1:f") == (
        "sensitive/serology.yaml:states[4]",
        "frames.state[2]",
    )
    assert template_families("sensitive/serology.yaml:cores[1]+frames.noun[9]:w3") == (
        "sensitive/serology.yaml:cores[1]",
        "frames.noun[9]",
    )
    assert template_families("routine.yaml:entries[7]") == ("routine.yaml:entries[7]",)
    assert family_group("frames.noun[12]") == "frames.noun"


def test_splits_share_no_family(sources: list[str]) -> None:
    """Every family id used by a template of one split is used by no other split."""
    used: dict[str, set[str]] = {}
    for split in SPLITS:
        mask = split_mask(sources, split)
        assert mask.any()
        used[split] = {
            f for s, keep in zip(sources, mask, strict=True) if keep for f in template_families(s)
        }
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            assert not used[a] & used[b], (a, b, sorted(used[a] & used[b])[:5])
    # And a template is drawn by at most one split.
    masks = np.stack([split_mask(sources, s) for s in SPLITS])
    assert masks.sum(axis=0).max() == 1


def test_every_group_is_cut_by_the_fractions(sources: list[str]) -> None:
    families = {f for s in sources for f in template_families(s)}
    assignment = assign_families(families)
    assert set(assignment.split_of) == families
    groups: dict[str, list[str]] = {}
    for family, split in assignment.split_of.items():
        groups.setdefault(family_group(family), []).append(split)
    for group, splits in groups.items():
        assert set(splits) == set(SPLITS), group  # every split gets some of every kind
        if len(splits) >= 40:
            share = splits.count("train") / len(splits)
            assert abs(share - DEFAULT_FRACTIONS[0]) < 0.05, (group, share)


def test_assignment_is_stable_and_order_free(sources: list[str]) -> None:
    families = sorted({f for s in sources for f in template_families(s)})
    shuffled = families[:]
    random.Random(3).shuffle(shuffled)
    assert assign_families(families).split_of == assign_families(shuffled).split_of
    other = assign_families(families, (0.5, 0.25, 0.25)).split_of
    assert other != assign_families(families).split_of


def _drawn(engine, sex: int) -> set[str]:
    """The sensitive categories ``engine`` draws a fact of for patients of ``sex``."""
    dist = engine.category_dist[sex]
    mass = dist.probability.copy()
    np.add.at(mass, dist.alias, 1.0 - dist.probability)
    return {c for c, m in zip(load_taxonomy().sensitive, mass, strict=True) if m > 1e-12}


def test_each_split_still_draws_every_category() -> None:
    """A split keeps every sensitive category the whole engine draws, for both sexes."""
    whole = load_engine()
    for split in SPLITS:
        engine = split_engine(False, split, DEFAULT_FRACTIONS)
        for sex in (MALE, FEMALE):
            assert _drawn(engine, sex) == _drawn(whole, sex), (split, sex)
        assert len(_drawn(engine, FEMALE)) == len(load_taxonomy().sensitive)


def test_options_validate_and_record_the_split() -> None:
    with pytest.raises(OptionError, match="split-fraction"):
        GenerateOptions(split="test", split_fraction="0.7,0.3")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="split-fraction"):
        GenerateOptions(split="test", split_fraction="0.7,0.3,0.3")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="fraction of 0"):
        GenerateOptions(split="dev", split_fraction="0.8,0,0.2")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="split must be"):
        GenerateOptions(split="valid")  # type: ignore[arg-type]
    assert "split" not in GenerateOptions().content_options()
    options = GenerateOptions(split="train", split_fraction=(0.8, 0.1, 0.1))
    assert options.content_options()["split_fraction"] == "0.8,0.1,0.1"


def _sensitive_texts(path: Path) -> set[str]:
    sensitive = set(load_taxonomy().sensitive)
    table = pq.read_table(path, columns=["admin_comment", "spans"]).to_pylist()
    return {
        row["admin_comment"][s["start"] : s["end"]]
        for row in table
        for s in row["spans"] or ()
        if s["category"] in sensitive
    }


def test_metadata_card_croissant_and_describe_record_the_split(tmp_path: Path) -> None:
    out = tmp_path / "test.parquet"
    generate_dataset(out, GenerateOptions(rows=2000, seed=4, split="test"), progress=False)
    meta = json.loads(pq.read_schema(out).metadata[b"breachbench"])
    assert meta["options"]["split"] == "test"
    assert meta["options"]["split_fraction"] == "0.7,0.15,0.15"
    assert meta["split"]["fraction"] == {"train": 0.7, "dev": 0.15, "test": 0.15}
    assert 0 < meta["split"]["families"] < meta["split"]["families_total"]
    card = out.with_name("test.parquet.card.md").read_text(encoding="utf-8")
    assert "Split: `test` of a family-disjoint" in card
    assert "--split test --split-fraction 0.7,0.15,0.15" in card
    assert "split: test" in card  # Hugging Face front matter
    croissant = json.loads(out.with_name("test.parquet.croissant.json").read_text("utf-8"))
    assert "Split: `test`" in croissant["description"]
    info = describe_dataset(out)
    assert info["split"]["split"] == "test"
    assert info["split"]["families_sha256"] == meta["split"]["families_sha256"]
    assert "Split: test" in format_description(info)


def test_rows_are_deterministic_per_seed_split_and_row(tmp_path: Path) -> None:
    def table(name: str, **kw: object):
        path = tmp_path / f"{name}.parquet"
        generate_dataset(path, GenerateOptions(rows=1500, **kw), progress=False)  # type: ignore[arg-type]
        return pq.read_table(path, columns=["admin_comment", "spans"])

    a = table("a", seed=3, split="dev")
    b = table("b", seed=3, split="dev", workers=2, batch_size=500)
    assert a.equals(b)
    assert not a.equals(table("c", seed=3, split="test"))
    assert not a.equals(table("d", seed=4, split="dev"))


def test_cli_generate_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "generate",
            "-n",
            "500",
            "--split",
            "train",
            "--split-fraction",
            "0.8,0.1,0.1",
            "--out",
            "x.parquet",
        ],
    )
    assert result.exit_code == 0, result.output
    meta = json.loads(pq.read_schema(tmp_path / "x.parquet").metadata[b"breachbench"])
    assert meta["options"]["split_fraction"] == "0.8,0.1,0.1"
    bad = runner.invoke(main, ["generate", "-n", "5", "--split", "test", "--split-fraction", "1"])
    assert bad.exit_code == 2 and "split-fraction" in bad.output


@pytest.mark.slow
def test_test_split_shares_few_surface_forms_with_train(tmp_path: Path) -> None:
    """Under a quarter of a test split's distinct sensitive-span texts occur in a train
    split, and under half the share two train splits of different seeds have in common."""

    def texts(split: str, seed: int) -> set[str]:
        path = tmp_path / f"{split}{seed}.parquet"
        generate_dataset(path, GenerateOptions(rows=20_000, seed=seed, split=split), progress=False)  # type: ignore[arg-type]
        return _sensitive_texts(path)

    train_a, train_b, test = texts("train", 1), texts("train", 2), texts("test", 3)
    train_overlap = len(train_b & train_a) / len(train_b)
    test_overlap = len(test & train_a) / len(test)
    assert len(test) > 300
    assert test_overlap < 0.25, test_overlap
    assert test_overlap < train_overlap / 2, (test_overlap, train_overlap)
