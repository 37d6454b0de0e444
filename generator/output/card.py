"""The dataset card (``README.md``) written beside every dataset.

Why: a dataset travels without its generator. The card is what a reader, the Hugging Face
Hub (through its YAML front matter) or a reviewer sees first, so it states that every value
is synthetic and answers the questions of "Datasheets for Datasets" (Gebru et al., 2021)
with this dataset's own options and counts. The counts are those of the tables actually
written (:mod:`generator.output.counts`), never derived from the options, so the card cannot
disagree with the data.

Columns are described from the Arrow schema, so a new column appears without touching
this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
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
    "card_text",
    "front_matter",
    "size_category",
    "write_card",
]

CARD_NAME = "README.md"
PRETTY_NAME = "breachbench: synthetic French patient records with labelled comments"
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
        "pretty_name": PRETTY_NAME,
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


def _composition(stats: DatasetStats, schema: pa.Schema) -> str:
    taxonomy = load_taxonomy()
    category_rows = stats.rows_by_value.get("categories", {})
    per_category = _table(
        ("category", "group", "spans", "records holding it", "share of records"),
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
        ("attribute", "value", "spans"),
        [("subject", f"`{k}`", v) for k, v in stats.spans_by_subject.items()]
        + [("assertion", f"`{k}`", v) for k, v in stats.spans_by_assertion.items()],
    )
    other_lists = [
        f"Rows per value of `{name}`:\n\n"
        + _table(("value", "rows"), ((f"`{k}`", v) for k, v in counts.items()))
        for name, counts in stats.rows_by_value.items()
        if name != "categories" and counts
    ]
    columns = _table(
        ("column", "Arrow type", "nullable", "description"),
        (
            (
                f"`{f.name}`",
                f"`{_type_name(f.type)}`",
                "yes" if f.nullable else "no",
                (f.metadata or {}).get(b"description", b"").decode("utf-8"),
            )
            for f in schema
        ),
    )
    return "\n\n".join(
        [
            "## Composition",
            "Each row is one fictitious patient of a French general practice, as a GP "
            "software would file it, with an optional free-text administrative comment.",
            _table(
                ("figure", "value"),
                [
                    ("rows", stats.rows),
                    ("rows with a comment", _count_and_share(stats, stats.comment_rows)),
                    ("rows with a sensitive span", _count_and_share(stats, stats.sensitive_rows)),
                    ("labelled spans", stats.spans),
                ],
            ),
            "Spans per category (group `sensitive`: GDPR art. 9 and 10 and the contextual "
            "categories; group `identifier`: direct identifiers written in the comment):",
            per_category,
            "Spans per attribute:",
            attributes,
            *other_lists,
            "Columns (" + ", ".join(f"`{c}`" for c in CONTRACT_COLUMNS) + " are the dataset "
            "contract that any benchmark of breachbench reads):",
            columns,
        ]
    )


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
    version = __version__
    names = [name for name, _ in data_files]
    meta = yaml.safe_dump(
        front_matter(stats.rows, names, options.format, options.split),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    options_json = json.dumps(options.content_options(), sort_keys=True)
    sources = _sources()
    source_lines = (
        "\n".join(
            f"- `{s.get('name', '?')}` {s.get('version', '')} ({s.get('registry', '')}): "
            f"{s.get('licence', '')}"
            for s in sources
        )
        or "- see `corpora/reference/LICENSES.md` in the breachbench source"
    )
    files_table = _table(("file", "sha256"), ((f"`{n}`", f"`{h}`") for n, h in data_files))
    one_file = _data_path(names)
    sections = [
        f"---\n{meta}---",
        f"# {PRETTY_NAME}",
        "> **Every value in this dataset is synthetic.** No row describes, or points at, a "
        "real person: names are drawn from aggregate INSEE frequencies and combined at "
        "random; phone numbers lie only in the ARCEP blocks reserved for fiction (06 39 98, "
        "and the regional fixed-line fiction blocks); e-mail domains are the ones RFC 2606 "
        "reserves (example.com, example.org, example.net)"
        + (
            " (this run used real-looking domains, option `real_email_domains`)"
            if options.content_options().get("real_email_domains")
            else ""
        )
        + "; RPPS numbers of doctors lie outside the range the ANS assigns; NIR (social "
        "security numbers) are well-formed and consistent with the fictitious sex, birth "
        "date and place, so one may equal a real number by chance, but never with that "
        "person's name, address or history. Any resemblance to a real person is a "
        "coincidence.",
        "## Dataset summary",
        f"{stats.rows} synthetic French GP patient records, generated by breachbench "
        f"{version} with seed {options.seed}, labelled with taxonomy version "
        f"{taxonomy_version()}. The free-text `admin_comment` carries labelled spans of "
        "sensitive content (health, sexuality, violence, religion, justice...) and direct "
        "identifiers, to benchmark detectors of what would leak if such comments escaped "
        "a practice. "
        + (
            f"Split: `{SPLIT}` (the whole dataset is an evaluation set)."
            if options.split is None
            else split_sentence(options.split, options.split_fraction)
        ),
        files_table,
        "## Motivation",
        "- **Why**: free-text comments in GP software hold the most sensitive facts of a "
        "patient file (HIV status, domestic violence, psychiatric history...), written "
        "in abbreviations no pattern-based DLP tool was designed for. Real comments "
        "cannot be shared to measure detectors; these synthetic ones can.\n"
        "- **By whom**: the breachbench contributors, as an open-source project.\n"
        "- **Funding**: none specific.",
        _composition(stats, schema),
        "## Collection process",
        "Nothing was collected: every row is generated. Identities, places and contacts are "
        "sampled as arrays from public aggregate tables; comments are drawn from "
        "hand-written templates (routine notes, identifier notes, hard negatives and "
        "sensitive facts crossed with frames), then optionally degraded by realistic noise.",
        f"- generator: breachbench {version}\n"
        f"- seed: {options.seed}\n"
        f"- options: `{options_json}`\n"
        f"- taxonomy version: {taxonomy_version()}\n"
        "- determinism: the same version, seed and options give the same rows, whatever "
        "the number of workers or the batch size; Parquet files also carry this "
        "provenance in their key-value metadata (key `breachbench`).",
        "Sources of the reference tables, and their licences:",
        source_lines,
        "## Preprocessing and labelling",
        "Labels are produced with the text, by construction, never by annotation:",
        "- `spans` holds `{start, end, category, subject, assertion}`; offsets are Python "
        "`str` indices (Unicode code points, not bytes), half-open: "
        "`admin_comment[start:end]` is the labelled surface.\n"
        "- spans are sorted by `start` and never overlap; every category comes from the "
        "taxonomy of the given version.\n"
        "- `subject` says whom a span is about (`patient`, `relative`, `third_party`): "
        '"père alcoolique" is `addiction` about a `relative`.\n'
        '- `assertion` (`affirmed`, `negated`, `hypothetical`, `historical`): "VIH '
        'négatif" is still `serology` (a test was done), `negated`. Identifier spans are '
        "always `affirmed`.\n"
        "- `sensitive` is true when a span of group `sensitive` is present; `categories` "
        "lists the categories of all spans, sorted and unique.\n"
        "- comments without labels are written too: routine notes and hard negatives "
        '(surnames such as "Gay", streets such as "rue de la Santé").',
        "## Uses",
        "- **Intended**: benchmarking and property-testing detectors of personal and "
        "sensitive data in French free text (regexes, NER models, DLP products, LLM "
        "prompts); teaching; load-testing pipelines with realistic data.\n"
        "- **Out of scope / misuse**: this is not clinical data and says nothing about "
        "the prevalence of any condition; do not fit epidemiological, diagnostic or "
        "insurance models on it, nor use it to infer anything about real people or "
        "groups. Scores measured here are on the generator's templates: a detector "
        "trained on this data will look better on it than on real comments.\n"
        "- **Biases**: French metropolitan and overseas communes only; template coverage "
        "reflects what the authors wrote, not the true distribution of real comments.",
        "## Distribution",
        f"- licence: MIT (the breachbench licence), for the data as for the code.\n"
        f"- files: {', '.join(f'`{n}`' for n in names)} ({options.format}); a Croissant "
        f"description (`{croissant_name}`) lists them with their SHA-256.\n"
        f'- load with 🤗 datasets: `load_dataset("{_HF_BUILDERS[options.format]}", '
        f'data_files="{one_file}")`, or `load_dataset(<this directory>)` when this card '
        "is the `README.md` of the directory that holds the data.",
        "## Maintenance",
        "The dataset is regenerated, not edited: to rebuild exactly these rows, install "
        f"breachbench {version} and run\n\n```\n{_regenerate_command(options, '<out>')}\n```\n\n"
        "Report issues with the generator or the taxonomy on the breachbench repository; "
        "a new taxonomy version changes the taxonomy version written here.",
        "## Citation",
        "See `CITATION.cff` in the breachbench repository (cff-version 1.2.0).",
    ]
    return "\n\n".join(sections) + "\n"


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
