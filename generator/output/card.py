"""The dataset card (``README.md``) written beside every dataset.

Why: a dataset travels without its generator. The card is what a reader, the Hugging Face
Hub (through its YAML front matter) or a reviewer sees first, so it states that every value
is synthetic and answers the questions of "Datasheets for Datasets" (Gebru et al., 2021)
with this dataset's own options and counts. The counts are those of the tables actually
written (:mod:`generator.output.counts`), never derived from the options, so the card cannot
disagree with the data.

The words are data, as every text of breachbench: ``corpora/cards/dataset_card.md`` is the
card with ``${name}`` placeholders, ``corpora/cards/dataset_card.yaml`` the title, table
headers and the sentences that depend on the options. This module computes what fills them
(:func:`card_fields`), so a wording change needs no code; a placeholder nobody fills stops
the card with a ``KeyError``, and ``tests/test_card.py`` checks that the template names
every field, so no figure is dropped silently.

Columns are described from the Arrow schema, so a new column appears without touching
this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from string import Template
from typing import Any

import pyarrow as pa
import yaml
from breachbench.generator.comments.splits import split_sentence
from breachbench.generator.contract.schema import CONTRACT_COLUMNS
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.contract.version import __version__
from breachbench.generator.data import corpora
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.manifest import taxonomy_version

__all__ = [
    "CARD_NAME",
    "CARD_STRINGS",
    "CARD_TEMPLATE",
    "card_fields",
    "card_text",
    "front_matter",
    "size_category",
    "write_card",
]

CARD_NAME = "README.md"
#: The card's text and its words, relative to ``corpora/``.
CARD_TEMPLATE = "cards/dataset_card.md"
CARD_STRINGS = "cards/dataset_card.yaml"
SPLIT = "test"
PART_PREFIX = "part-"
_SIZE_BOUNDS: tuple[tuple[int, str], ...] = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
)
_HF_BUILDERS = {"parquet": "parquet", "jsonl": "json", "csv": "csv"}  # datasets' loader names


def _strings() -> dict[str, Any]:
    return corpora.read_yaml(CARD_STRINGS)


# --------------------------------------------------------------------------- front matter


def size_category(rows: int) -> str:
    """The Hugging Face ``size_categories`` bucket of ``rows`` (``1K<n<10K``...)."""
    for bound, label in _SIZE_BOUNDS:
        if rows < bound:
            return label
    return "n>10B"


def _data_path(data_files: Sequence[str]) -> str:
    """The single file, or a glob over the ``part-*`` files of a directory output."""
    if len(data_files) == 1 and not data_files[0].startswith(PART_PREFIX):
        return data_files[0]
    return f"{PART_PREFIX}*{Path(data_files[0]).suffix}"


def front_matter(
    rows: int, data_files: Sequence[str], fmt: str, split: str | None = None
) -> dict[str, Any]:
    """The YAML metadata the Hugging Face Hub reads; ``configs`` points at ``data_files``."""
    path = _data_path(data_files)
    return {
        "pretty_name": _strings()["pretty_name"],
        "language": ["fr"],
        "language_creators": ["machine-generated"],
        "annotations_creators": ["machine-generated"],
        "multilinguality": ["monolingual"],
        "source_datasets": ["original"],
        "license": "mit",
        "size_categories": [size_category(rows)],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition", "multi-label-classification"],
        "tags": [
            "synthetic",
            "pii",
            "privacy",
            "gdpr",
            "medical",
            "french",
            "data-loss-prevention",
            "benchmark",
            "breachbench",
        ],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": split or SPLIT, "path": path}],
                "default": True,
            }
        ],
    }


# --------------------------------------------------------------------------- body


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %"


def _count_and_share(stats: DatasetStats, count: int) -> str:
    return f"{count} ({_percent(stats.share(count))})"


def _type_name(dtype: pa.DataType) -> str:
    return str(dtype).replace("<item: ", "<").replace("<element: ", "<")


def _regenerate_command(options: GenerateOptions, out: str) -> str:
    """The ``breachbench generate`` line that rebuilds the same rows."""
    parts = ["breachbench", "generate", "--out", out, "--format", options.format]
    for name, value in options.content_options().items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if value:
                parts.append(flag)
        else:
            parts += [flag, str(value)]
    return " ".join(parts)


def _sources() -> list[dict[str, str]]:
    try:
        return list(corpora.read_json("reference/SOURCES.json").get("sources", []))
    except (OSError, ValueError):  # a trimmed corpora tree: say nothing rather than fail
        return []


def _source_lines(strings: dict[str, Any]) -> str:
    line = Template(strings["source"])
    return "\n".join(
        line.substitute(
            name=s.get("name", "?"),
            version=s.get("version", ""),
            registry=s.get("registry", ""),
            licence=s.get("licence", ""),
        )
        for s in _sources()
    ) or str(strings["no_sources"])


def _composition(stats: DatasetStats, schema: pa.Schema, strings: dict[str, Any]) -> dict[str, str]:
    """The tables of the Composition section, and the lists only some datasets have."""
    taxonomy = load_taxonomy()
    headers, labels = strings["headers"], strings["figures"]
    category_rows = stats.rows_by_value.get("categories", {})
    figures = _table(
        headers["figures"],
        [
            (labels["rows"], stats.rows),
            (labels["comment_rows"], _count_and_share(stats, stats.comment_rows)),
            (labels["sensitive_rows"], _count_and_share(stats, stats.sensitive_rows)),
            (labels["spans"], stats.spans),
        ],
    )
    per_category = _table(
        headers["categories"],
        (
            (
                f"`{category}`",
                taxonomy.group_of.get(category, "?"),
                count,
                category_rows.get(category, 0),
                _percent(stats.share(category_rows.get(category, 0))),
            )
            for category, count in stats.spans_by_category.items()
        ),
    )
    attributes = _table(
        headers["attributes"],
        [("subject", f"`{k}`", v) for k, v in stats.spans_by_subject.items()]
        + [("assertion", f"`{k}`", v) for k, v in stats.spans_by_assertion.items()],
    )
    # Each list ends with the blank line that separates it from the next paragraph, so
    # that a dataset without such lists leaves no gap in the template.
    other_lists = "".join(
        Template(strings["rows_per_value"]).substitute(name=name)
        + "\n\n"
        + _table(headers["rows_per_value"], ((f"`{k}`", v) for k, v in counts.items()))
        + "\n\n"
        for name, counts in stats.rows_by_value.items()
        if name != "categories" and counts
    )
    columns = _table(
        headers["columns"],
        (
            (
                f"`{f.name}`",
                f"`{_type_name(f.type)}`",
                strings["nullable"][int(f.nullable)],
                (f.metadata or {}).get(b"description", b"").decode("utf-8"),
            )
            for f in schema
        ),
    )
    return {
        "figures_table": figures,
        "categories_table": per_category,
        "attributes_table": attributes,
        "rows_per_value": other_lists,
        "contract_columns": ", ".join(f"`{c}`" for c in CONTRACT_COLUMNS),
        "columns_table": columns,
    }


def card_fields(
    options: GenerateOptions,
    stats: DatasetStats,
    schema: pa.Schema,
    data_files: Sequence[tuple[str, str]],
    *,
    croissant_name: str = "croissant.json",
) -> dict[str, str]:
    """What fills each placeholder of ``corpora/cards/dataset_card.md``; arguments as for
    :func:`card_text`."""
    strings = _strings()
    names = [name for name, _ in data_files]
    meta = yaml.safe_dump(
        front_matter(stats.rows, names, options.format, options.split),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    real_domains = bool(options.content_options().get("real_email_domains"))
    return {
        "front_matter": meta,
        "pretty_name": strings["pretty_name"],
        "real_email_domains": strings["real_email_domains"] if real_domains else "",
        "rows": str(stats.rows),
        "version": __version__,
        "seed": str(options.seed),
        "taxonomy_version": taxonomy_version(),
        "split": (
            Template(strings["whole_split"]).substitute(split=SPLIT)
            if options.split is None
            else split_sentence(options.split, options.split_fraction)
        ),
        "files_table": _table(
            strings["headers"]["files"], ((f"`{n}`", f"`{h}`") for n, h in data_files)
        ),
        **_composition(stats, schema, strings),
        "options_json": json.dumps(options.content_options(), sort_keys=True),
        "sources": _source_lines(strings),
        "file_names": ", ".join(f"`{n}`" for n in names),
        "format": options.format,
        "croissant_name": croissant_name,
        "hf_builder": _HF_BUILDERS[options.format],
        "data_path": _data_path(names),
        "regenerate_command": _regenerate_command(options, "<out>"),
    }


def card_text(
    options: GenerateOptions,
    stats: DatasetStats,
    schema: pa.Schema,
    data_files: Sequence[tuple[str, str]],
    *,
    croissant_name: str = "croissant.json",
) -> str:
    """The whole card: front matter, then the datasheet. ``data_files`` are (name, sha256),
    ``croissant_name`` is the name of the Croissant file beside them."""
    fields = card_fields(options, stats, schema, data_files, croissant_name=croissant_name)
    return Template(corpora.read_text(CARD_TEMPLATE)).substitute(fields)


def write_card(
    path: Path,
    options: GenerateOptions,
    stats: DatasetStats,
    schema: pa.Schema,
    data_files: Sequence[tuple[str, str]],
    *,
    croissant_name: str = "croissant.json",
) -> None:
    """Write :func:`card_text` to ``path`` as UTF-8."""
    text = card_text(options, stats, schema, data_files, croissant_name=croissant_name)
    Path(path).write_text(text, encoding="utf-8")
