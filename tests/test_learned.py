"""Learned detectors: tokens and BIO tags, model directories, the honest-protocol warning,
and (with the ``ml`` extra) training and benchmarking ``learned:DIR`` end to end."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.dataset import open_dataset
from breachbench.benchmarks.learned.artifacts import protocol_warnings
from breachbench.benchmarks.learned.crf import trim_to_hints
from breachbench.benchmarks.learned.data import examples
from breachbench.benchmarks.learned.lexicon import lexicon_categories, stem_index
from breachbench.benchmarks.learned.sexcue import note_sex
from breachbench.benchmarks.learned.tokens import (
    bilou,
    bio_tags,
    features,
    spans_from_tags,
    tokenize,
)
from breachbench.generator.api import generate_dataset
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.options import GenerateOptions
from click.testing import CliRunner

from breachbench.cli import main

HAS_ML = all(importlib.util.find_spec(m) for m in ("sklearn", "pycrfsuite", "joblib"))
needs_ml = pytest.mark.skipif(not HAS_ML, reason="needs the ml extra: pip install '.[ml]'")


def _dataset(directory: Path, name: str, **options: object) -> Path:
    path = directory / f"{name}.parquet"
    if not path.exists():
        generate_dataset(path, GenerateOptions(**options), progress=False)  # type: ignore[arg-type]
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A train split, the same rows again, another seed of it, and a test split."""
    root = tmp_path_factory.mktemp("learned")
    return {
        "train": _dataset(root, "train", rows=6000, seed=1, split="train", comment_rate=1.0),
        "same": _dataset(root, "same", rows=1500, seed=1, split="train"),
        "other": _dataset(root, "other", rows=3000, seed=2, split="train"),
        "test": _dataset(root, "test", rows=3000, seed=3, split="test"),
    }


# ---------------------------------------------------------------- tokens, no extra needed


def test_tokens_keep_exact_offsets() -> None:
    text = "VIH+ ; tél fille 06 39 98 12 34, l'alcool"
    tokens = tokenize(text)
    assert [text[s:e] for s, e in tokens][:3] == ["VIH", "+", ";"]
    assert "".join(text[s:e] for s, e in tokens) == text.replace(" ", "")


def test_bio_tags_round_trip_on_generated_spans(data: dict[str, Path]) -> None:
    """Gold spans survive tags -> spans for (nearly) every comment: token boundaries follow
    the guidelines' span boundaries."""
    total = kept = 0
    for example in examples(open_dataset(data["other"])):
        tokens = tokenize(example.text)
        back = spans_from_tags(tokens, bio_tags(tokens, example.spans))
        total += 1
        kept += back == example.spans
    assert total > 500
    assert kept / total > 0.98, kept / total


def test_features_carry_word_shape_neighbours_and_hints() -> None:
    text = "Mme Dupont VIH+"
    tokens = tokenize(text)
    rows = features(text, tokens, [(11, 15, "serology")])
    assert "w=dupont" in rows[1] and "sh=Xx" in rows[1] and "-1w=mme" in rows[1]
    assert "BOS" in rows[0] and "EOS" in rows[-1]
    assert "h=B-serology" in rows[2] and "h=I-serology" in rows[3]
    assert "hM=serology" in rows[2] and "hL=serology" in rows[3]
    assert "h|sh=serology|X" in rows[2] and "h|-1w=serology|dupont" in rows[2]
    assert not any(f.startswith("h=") for f in rows[0])
    assert "w=<2d>" in features("06", tokenize("06"))[0]


def test_bilou_marks_last_and_single_tokens_and_decodes_like_bio() -> None:
    """The tagger learns BILOU; BIO models (format 1) decode to the same spans."""
    bio = ["O", "B-violence", "I-violence", "I-violence", "O", "B-date", "B-person", "I-person"]
    assert bilou(bio) == [
        "O", "B-violence", "I-violence", "L-violence", "O", "U-date", "B-person", "L-person",
    ]  # fmt: skip
    tokens = [(i, i + 1) for i in range(len(bio))]
    assert spans_from_tags(tokens, bilou(bio)) == spans_from_tags(tokens, bio)
    assert spans_from_tags(tokens, bio) == [(1, 4, "violence"), (5, 6, "date"), (6, 8, "person")]
    # A closed span does not swallow a following I- of its label: it opens a new one.
    assert spans_from_tags(tokens[:3], ["U-date", "I-date", "L-date"]) == [
        (0, 1, "date"),
        (1, 3, "date"),
    ]


def test_the_note_says_the_patients_sex_to_every_word() -> None:
    """Cue words over the whole note (a title with its dot, pronouns, agreed participles)
    join the sex they point to to each word, so "compagne" five words after "elle" is
    another feature than in a man's note; "M" with no dot, the negation "ne" and a note
    with no cue, or as many of each, say nothing."""
    text = "Elle vient toujours avec sa compagne"
    rows = features(text, tokenize(text), [], sex=True)
    assert "sx|w=F|compagne" in rows[-1] and "sx=F" in rows[0]
    assert "sx|partner=same" in rows[-1] and not any("partner" in f for f in rows[-2])
    man = "il vient avec son épouse"
    assert "sx|partner=other" in features(man, tokenize(man), [], sex=True)[-1]
    assert not any(f.startswith("sx") for f in features(text, tokenize(text), [])[-1])
    shout = "M. Roux : NE RIEN DIRE À SA FEMME, IL PASSERA"
    assert note_sex(shout, tokenize(shout)) == "M"
    for silent in ("ne pas appeler sa femme", "RDV à 9 M sa compagne", "il et elle", ""):
        assert note_sex(silent, tokenize(silent)) is None, silent
        assert not any(
            f.startswith("sx")
            for row in features(silent, tokenize(silent), [], sex=True)
            for f in row
        )
    assert (
        note_sex("venue avec son mari, née en 1980", tokenize("venue avec son mari, née en 1980"))
        == "F"
    )


def test_lexicon_stems_mark_uncovered_neighbours_of_lexicon_words() -> None:
    """A word near a lexicon term gets its categories; a hinted word and a short one do not."""
    assert "reproductive_health" in lexicon_categories("Vasectomisé")
    assert lexicon_categories("vasectomie") == lexicon_categories("VASECTOMIE")
    assert lexicon_categories("néo") == ()
    assert all(len(categories) <= 2 for categories in stem_index().values())
    text = "vasectomie puis vasectomisé"
    tokens = tokenize(text)
    rows = features(text, tokens, [(0, 10, "reproductive_health")], stems=True)
    assert "lx=reproductive_health" in rows[2]
    assert not any(f.startswith("lx=") for f in rows[0] + rows[1])
    assert not any(f.startswith("lx=") for f in features(text, tokens, [])[2])


def test_trim_cuts_a_doubted_tail_back_to_the_hint() -> None:
    """Only a sensitive span that holds a hint of its label and goes on past it, when the
    tagger's marginal for a word after the hint is under the threshold."""
    text = "curatelle renforcée depuis 2019"
    tokens = tokenize(text)
    tags = ["B-social_precarity", "L-social_precarity", "O", "U-date"]
    spans = [(0, 19, "social_precarity"), (27, 31, "date")]
    hints = [(0, 9, "social_precarity")]

    def sure(level: float):  # the marginal the tagger gives every tag
        return lambda tag, position: level

    labels = {"social_precarity"}
    trimmed = trim_to_hints(spans, tokens, tags, hints, sure(0.4), 0.7, labels)
    assert trimmed == [(0, 9, "social_precarity"), (27, 31, "date")]
    assert trim_to_hints(spans, tokens, tags, hints, sure(0.9), 0.7, labels) == spans
    assert trim_to_hints(spans, tokens, tags, hints, sure(0.4), 0.7, set()) == spans
    other = [(0, 9, "religion")]
    assert trim_to_hints(spans, tokens, tags, other, sure(0.4), 0.7, labels) == spans


# ---------------------------------------------------------------- honest protocol


def _model_dir(directory: Path, dataset: Path) -> Path:
    """A model directory whose model.json says it was trained on ``dataset``."""
    info = open_dataset(dataset).info
    provenance = info.provenance or {}
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "schema": "breachbench.model/1",
        "model": "crf",
        "training_data": {
            "fingerprint": info.fingerprint,
            "seed": provenance.get("seed"),
            "split": (provenance.get("options") or {}).get("split"),
        },
    }
    (directory / "model.json").write_text(json.dumps(document), encoding="utf-8")
    return directory


def test_protocol_warns_on_training_rows_only(data: dict[str, Path], tmp_path: Path) -> None:
    model = _model_dir(tmp_path / "m", data["train"])
    spec = f"learned:{model}"
    own = protocol_warnings(spec, open_dataset(data["train"]).info)
    assert len(own) == 1 and "own training dataset" in own[0]
    same_seed = protocol_warnings(spec, open_dataset(data["same"]).info)
    assert len(same_seed) == 1 and "same seed (1) and split (train)" in same_seed[0]
    assert protocol_warnings(spec, open_dataset(data["other"]).info) == []
    assert protocol_warnings(spec, open_dataset(data["test"]).info) == []
    assert protocol_warnings("keywords", open_dataset(data["train"]).info) == []


def test_missing_extra_names_the_install_line(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys, json, pathlib
        sys.modules["pycrfsuite"] = None  # as if the extra were not installed
        d = pathlib.Path({str(tmp_path)!r})
        (d / "model.json").write_text(json.dumps({{"schema": "breachbench.model/1",
                                                   "model": "crf"}}))
        from breachbench.benchmarks.adapters import load_detector
        from breachbench.benchmarks.protocol import DetectorLoadError
        try:
            load_detector("learned:" + str(d))
        except DetectorLoadError as error:
            print(error)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("pip install 'breachbench[ml]'"), out


def test_not_a_model_directory_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "--detector", f"learned:{tmp_path}"])
    assert result.exit_code == 2 and "not a model directory" in result.output


def test_train_rejects_unknown_model(data: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["train", str(data["same"]), "--model", "bert", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2 and "bert" in result.output


# ---------------------------------------------------------------- with the ml extra


def _bench(dataset: Path, model: Path, out: Path) -> tuple[dict, str]:
    result = CliRunner().invoke(
        main,
        [
            "bench",
            str(dataset),
            "--detector",
            f"learned:{model}",
            "--out",
            str(out),
            "--bootstrap",
            "50",
            "--overwrite",
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text(encoding="utf-8")), result.output


@pytest.fixture(scope="module")
def crf(data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAS_ML:
        pytest.skip("needs the ml extra")
    out = tmp_path_factory.mktemp("models") / "crf"
    result = CliRunner().invoke(
        main, ["train", str(data["train"]), "--model", "crf", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Trained crf on 6,000 comments" in result.output
    return out


@needs_ml
def test_crf_model_directory_records_its_training(crf: Path, data: dict[str, Path]) -> None:
    document = json.loads((crf / "model.json").read_text(encoding="utf-8"))
    info = open_dataset(data["train"]).info
    assert document["model"] == "crf" and document["mode"] == "spans"
    assert document["taxonomy_version"] == load_taxonomy().version
    assert document["training_data"]["fingerprint"] == info.fingerprint
    assert document["training_data"]["seed"] == 1
    assert document["training_data"]["split"] == "train"
    assert document["training_data"]["comments"] == 6000
    assert document["training_seconds"] > 0
    assert (crf / "crf.crfsuite").stat().st_size > 10_000
    card = (crf / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert info.fingerprint in card and "split: train" in card


@needs_ml
def test_crf_model_of_a_newer_format_refuses_in_one_line(crf: Path, tmp_path: Path) -> None:
    import shutil

    from breachbench.benchmarks.learned import ModelDirError, load_learned
    from breachbench.benchmarks.learned.crf import CRF_FORMAT

    document = json.loads((crf / "model.json").read_text(encoding="utf-8"))
    assert document["crf_format"] == CRF_FORMAT and "BILOU" in (crf / "MODEL_CARD.md").read_text()
    newer = tmp_path / "newer"
    shutil.copytree(crf, newer)
    document["crf_format"] = CRF_FORMAT + 1
    (newer / "model.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelDirError, match="newer than this breachbench reads") as error:
        load_learned(newer)
    assert "\n" not in str(error.value)


@needs_ml
def test_crf_learns_and_warns_on_its_own_rows(
    crf: Path, data: dict[str, Path], tmp_path: Path
) -> None:
    results, output = _bench(data["other"], crf, tmp_path / "other")
    assert results["warnings"] == [] and "Warning" not in output
    headline = results["metrics"]["headline"]
    # Span F1 of all categories on another seed of the same families: well learned.
    span_f1 = results["metrics"]["span_level"]["strict"]["micro"]["f1"]
    assert span_f1 > 0.85, (span_f1, headline)
    results, output = _bench(data["same"], crf, tmp_path / "same")
    assert len(results["warnings"]) == 1 and "same seed (1)" in results["warnings"][0]
    assert "Warning:" in output


@needs_ml
def test_crf_predictions_are_deterministic(
    crf: Path, data: dict[str, Path], tmp_path: Path
) -> None:
    from breachbench.benchmarks.learned import load_learned, train_model

    again = train_model(data["train"], "crf", tmp_path / "again").directory
    texts = [e.text for e in examples(open_dataset(data["test"]))][:500]
    assert load_learned(crf)(texts) == load_learned(again)(texts)


@needs_ml
def test_classifier_trains_and_answers_categories(data: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "clf"
    result = CliRunner().invoke(
        main, ["train", str(data["train"]), "--model", "tfidf-lr", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "model.json").read_text("utf-8"))["mode"] == "categories"
    results, _ = _bench(data["other"], out, tmp_path / "bench")
    assert results["detector"]["mode"] == "categories"
    f1 = results["metrics"]["record_level"]["sensitive"]["f1"]
    assert f1 > 0.85, f1
    existing = CliRunner().invoke(
        main, ["train", str(data["train"]), "--model", "tfidf-lr", "--out", str(out)]
    )
    assert existing.exit_code == 2 and "--overwrite" in existing.output


@needs_ml
def test_classifier_answers_the_likeliest_category_when_any_is_likely(
    data: dict[str, Path], tmp_path: Path
) -> None:
    """Stem columns follow the hint columns; a comment whose categories are each under the
    threshold but whose chance of holding one reaches it gets the likeliest category,
    and a model pickled before that rule (no ``any_of``) answers as it did."""
    import joblib
    import numpy as np
    from breachbench.benchmarks.learned import load_learned, train_model
    from breachbench.benchmarks.learned.classifier import CLASSIFIER_FILE, _Hints

    categories = list(load_taxonomy().sensitive)
    matrix = _Hints(categories, stems=True).matrix(["vasectomisé", "vasectomie"]).toarray()
    n = len(categories)
    column = categories.index("reproductive_health")
    assert matrix.shape == (2, 2 * n)
    assert matrix[0, n + column] == 1 and matrix[0, :n].sum() == 0
    assert matrix[1, column] == 1 and matrix[1, n:].sum() == 0

    out = tmp_path / "clf"
    train_model(data["train"], "tfidf-lr", out, limit=2000)
    detector = load_learned(out)
    texts = [e.text for e in examples(open_dataset(data["test"]))][:400]
    model = detector._model
    probability = model.classifier.predict_proba(model.design(texts, detector._hints))
    anyone = 1 - (1 - probability).prod(axis=1)
    # A threshold between one comment's likeliest category and its chance of any.
    widest = int((anyone - probability.max(axis=1)).argmax())
    threshold = model.threshold = (anyone[widest] + probability[widest].max()) / 2
    rescued = np.flatnonzero((probability.max(axis=1) < threshold) & (anyone >= threshold))
    assert widest in rescued
    answers = detector(texts)
    for i in rescued:
        assert answers[i] == {categories[int(probability[i].argmax())]}
    del model.any_of
    joblib.dump(model, out / CLASSIFIER_FILE)
    assert all(not load_learned(out)(texts)[i] for i in rescued)


def test_parquet_fixture_is_a_train_split(data: dict[str, Path]) -> None:
    meta = json.loads(pq.read_schema(data["train"]).metadata[b"breachbench"])
    assert meta["options"]["split"] == "train"


def test_crf_hints_carry_the_drug_table():
    """The CRF's hint features come from ``keywords+identifiers``, so a medicine name of
    ``corpora/reference/drugs.csv`` reaches the tagger as a hint of its category (``h=``
    features), with no feature of its own."""
    from breachbench.benchmarks.learned.crf import Featurizer

    text = "sous Xeplion depuis mars"
    [(tokens, feats, hints)] = Featurizer(hints=True).batch([text])
    assert [(text[s:e], label) for s, e, label in hints] == [
        ("Xeplion", "mental_health"),
        ("mars", "date"),
    ]
    i = [text[s:e] for s, e in tokens].index("Xeplion")
    assert any("mental_health" in f for f in feats[i])
