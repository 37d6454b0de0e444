"""``breachbench train``'s library call: fit a built-in learned detector, write its directory.

Two models, by name: ``crf`` (span tagger, all 20 categories) and ``tfidf-lr`` (record
classifier, the 14 sensitive categories). A model directory holds the parameters, its
``model.json`` (versions, training data fingerprint, seed and split, parameters, time)
and a short ``MODEL_CARD.md``: what someone reading a score needs to judge it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from breachbench.benchmarks.dataset import open_dataset

from .artifacts import MODEL_CARD, training_data, write_model_json
from .data import examples
from .extra import require_ml

__all__ = ["MODELS", "TrainError", "TrainSummary", "train_model"]

MODELS: dict[str, str] = {
    "crf": "span tagger: linear-chain CRF over French token features, 20 categories",
    "tfidf-lr": "record classifier: char n-gram TF-IDF + one-vs-rest logistic regression,"
    " 14 sensitive categories",
}


class TrainError(ValueError):
    """A training request that cannot run (unknown model, existing output...); one line."""


@dataclass(frozen=True)
class TrainSummary:
    """What a training run wrote."""

    directory: Path
    model: str
    comments: int
    seconds: float
    document: dict[str, Any]


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def train_model(
    dataset: str | Path,
    model: str,
    out: str | Path,
    *,
    limit: int | None = None,
    hints: bool = True,
    params: dict[str, Any] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    seed: int = 0,
) -> TrainSummary:
    """Train ``model`` on the comments of ``dataset`` into the directory ``out``."""
    if model not in MODELS:
        raise TrainError(f"unknown model {model!r}: choose one of {', '.join(MODELS)}")
    require_ml()
    directory = Path(out)
    if (directory / "model.json").exists() and not overwrite:
        raise TrainError(f"{directory / 'model.json'} already exists; pass --overwrite")
    data = open_dataset(dataset)
    directory.mkdir(parents=True, exist_ok=True)
    # model.json is written last: until then the directory is not a model, so a failed or
    # interrupted training never leaves one that describes other parameters.
    for stale in ("model.json", MODEL_CARD, "crf.crfsuite", "classifier.joblib"):
        (directory / stale).unlink(missing_ok=True)
    report = progress or (lambda phase, done, total: None)
    total = data.selected_rows(limit=limit)
    read = 0

    def rows_read(rows: int) -> None:
        nonlocal read
        read += rows
        report("reading rows", read, total)

    started = time.perf_counter()
    stream = examples(data, limit=limit, on_rows=rows_read)
    spans = 0

    def counted_spans() -> Iterator[Any]:
        nonlocal spans
        for example in stream:
            spans += len(example.spans)
            yield example

    if model == "crf":
        from .crf import train_crf

        stats = train_crf(
            counted_spans(),
            directory,
            params=params,
            hints=hints,
            seed=seed,
            on_iteration=lambda done, of: report("training (epochs)", done, of),
        )
    else:
        from .classifier import train_classifier

        steps = ("vectorising", "fitting")
        stats = train_classifier(
            counted_spans(),
            directory,
            params={"seed": seed, **(params or {})},
            hints=hints,
            on_step=lambda step: report("training (steps)", steps.index(step), len(steps)),
        )
        report("training (steps)", len(steps), len(steps))
    seconds = time.perf_counter() - started
    document = write_model_json(
        directory,
        {
            "model": model,
            "description": MODELS[model],
            "mode": "spans" if model == "crf" else "categories",
            "training_data": training_data(data.info, comments=stats["comments"], spans=spans),
            "training_seconds": round(seconds, 1),
            "limit": limit,
            **stats,
            "seed": seed,
        },
    )
    (directory / MODEL_CARD).write_text(model_card(document), encoding="utf-8")
    return TrainSummary(directory, model, stats["comments"], seconds, document)


def model_card(document: dict[str, Any]) -> str:
    """A short Markdown card: what the model is, what it was trained on, how to judge it."""
    data = document["training_data"]
    split = data.get("split") or "none (every wording family)"
    hints = document.get("hints")
    lines = [
        f"# breachbench learned detector `{document['model']}`",
        "",
        f"{document['description']}. Trained by breachbench {document['breachbench_version']}"
        f" (taxonomy {document['taxonomy_version']}) in {document['training_seconds']} s.",
        "",
        *(
            [f"Tags: BILOU over tokens (crf format {document['crf_format']}).", ""]
            if document.get("crf_format")
            else []
        ),
        "## Training data",
        "",
        f"- dataset: `{data['path']}` ({data['rows']} rows, {data['comments']} comments,"
        f" {data['spans']} spans)",
        f"- fingerprint: `{data['fingerprint']}`",
        f"- generator seed: {data.get('seed')}; split: {split}"
        + (f" (fractions {data['split_fraction']})" if data.get("split_fraction") else ""),
        "",
        "## Inputs",
        "",
        "Comment text only. "
        + (
            f"It also reads the spans of the built-in `{hints}` detector as features"
            " (a lexicon written independently of the generator, and patterns)."
            if hints
            else "No hint from any other detector."
        ),
        "",
        "## How to evaluate it honestly",
        "",
        "Benchmark on a dataset of another seed, and on `--split test`: its wording"
        " families were never seen in training. `breachbench bench --detector learned:DIR`"
        " warns when the dataset's seed and split match the training data's.",
        "",
        "## Limits",
        "",
        "Trained on synthetic comments: real notes hold wordings no template has. Scores on"
        " generated data are an upper bound of what to expect on real notes.",
        "",
    ]
    return "\n".join(lines)


def load_learned(directory: str | Path) -> Any:
    """The detector of a model directory (``bench --detector learned:DIR``)."""
    from .artifacts import ModelDirError, read_model_json

    document = read_model_json(directory)
    require_ml()
    name = f"learned:{document['model']}"
    version = document.get("breachbench_version")
    hints = bool(document.get("hints"))
    if document["model"] == "crf":
        from .crf import CRF_FORMAT, TRIM_BELOW, CrfSpanTagger

        made = document.get("crf_format", 1)
        if made > CRF_FORMAT:
            raise ModelDirError(
                f"{directory}: crf format {made} is newer than this breachbench reads"
                f" ({CRF_FORMAT}); upgrade breachbench or retrain the model"
            )
        return CrfSpanTagger(
            directory,
            hints=hints,
            name=name,
            version=version,
            crf_format=made,
            trim_below=document.get("trim_below", TRIM_BELOW),
        )
    if document["model"] == "tfidf-lr":
        from .classifier import RecordClassifier

        return RecordClassifier(directory, name=name, version=version)
    raise TrainError(f"{directory}: unknown model {document['model']!r}")
