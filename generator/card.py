"""The dataset card (``README.md``) written beside every dataset.

Why: a dataset travels without its generator. The card is what a reader, the Hugging Face
Hub (through its YAML front matter) or a reviewer sees first, so it states that every value
is synthetic and answers the questions of "Datasheets for Datasets" (Gebru et al., 2021)
with this dataset's own options and counts. The counts are computed from the files actually
written (one cheap pass over the few label columns, :func:`scan_dataset`), never from the
options, so the card cannot disagree with the data.

Columns are described from the Arrow schema, so a new column appears without touching
this module.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import yaml

import breachbench
from generator import corpora
from generator.manifest import taxonomy_version
from generator.options import GenerateOptions
from generator.schema import CONTRACT_COLUMNS
from generator.taxonomy import load_taxonomy

__all__ = [
    "CARD_NAME",
    "DatasetStats",
    "card_text",
    "front_matter",
    "scan_dataset",
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
_SCAN_BATCH_ROWS = 16_384
_HF_BUILDERS = {"parquet": "parquet", "jsonl": "json", "csv": "csv"}  # datasets' loader names


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class DatasetStats:
    """What the written files hold: the figures the card reports."""

    rows: int = 0
    comment_rows: int = 0
    sensitive_rows: int = 0
    spans: int = 0
    spans_by_category: dict[str, int] = field(default_factory=dict)
    spans_by_subject: dict[str, int] = field(default_factory=dict)
    spans_by_assertion: dict[str, int] = field(default_factory=dict)
    #: For every ``list<string>`` column (``categories``, ``difficulty_tags``...): how many
    #: rows hold each value.
    rows_by_value: dict[str, dict[str, int]] = field(default_factory=dict)

    def share(self, count: int) -> float:
        """``count`` as a share of the rows (0 for an empty dataset)."""
        return count / self.rows if self.rows else 0.0


def _string_list_columns(schema: pa.Schema) -> list[str]:
    return [
        f.name for f in schema if pa.types.is_list(f.type) and pa.types.is_string(f.type.value_type)
    ]


def _decode_json_column(texts: pa.ChunkedArray | pa.Array, dtype: pa.DataType) -> pa.Array:
    """Parse a column of JSON strings (CSV's nested columns) with Arrow's JSON reader."""
    texts = pc.fill_null(texts, "null")
    lines = pc.binary_join_element_wise('{"v":', texts, "}", "")
    payload = "\n".join(lines.to_pylist()).encode("utf-8") + b"\n"
    options = pajson.ParseOptions(explicit_schema=pa.schema([("v", dtype)]))
    return pajson.read_json(pa.py_buffer(payload), parse_options=options)["v"]


def _batches(path: Path, fmt: str, schema: pa.Schema) -> Iterator[pa.Table]:
    """The label columns of one data file, a batch at a time (memory stays flat)."""
    if fmt == "parquet":
        # No pre-buffering nor parallel column reads: they hold whole row groups of every
        # column at once, which made the scan the peak of a 10M-row run.
        parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        for batch in parquet.iter_batches(
            batch_size=_SCAN_BATCH_ROWS, columns=schema.names, use_threads=False
        ):
            yield pa.Table.from_batches([batch])
    elif fmt == "jsonl":
        if path.stat().st_size == 0:  # zero rows: Arrow's reader refuses an empty stream
            return
        options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        reader = pajson.open_json(path, parse_options=options)
        for batch in reader:
            yield pa.Table.from_batches([batch])
    elif fmt == "csv":
        nested = [f for f in schema if pa.types.is_nested(f.type)]
        types = {f.name: (pa.string() if f in nested else f.type) for f in schema}
        convert = pacsv.ConvertOptions(include_columns=schema.names, column_types=types)
        parse = pacsv.ParseOptions(newlines_in_values=True)  # comments hold line breaks
        for batch in pacsv.open_csv(path, parse_options=parse, convert_options=convert):
            table = pa.Table.from_batches([batch])
            for f in nested:
                index = table.schema.get_field_index(f.name)
                decoded = _decode_json_column(table[f.name], f.type)
                # The JSON reader drops "not null" on children: keep the type it gives.
                table = table.set_column(index, f.with_type(decoded.type), decoded)
            yield table
    else:
        raise ValueError(f"unknown format {fmt!r}")


def scan_dataset(
    paths: Iterable[Path], fmt: str, schema: pa.Schema, *, taxonomy_categories: Sequence[str] = ()
) -> DatasetStats:
    """Count rows, comments, sensitive rows and spans per category in written data files.

    Reads only ``sensitive``, ``admin_comment``, ``spans`` and the ``list<string>`` columns
    of ``schema``, in batches, so a multi-million-row dataset costs seconds. Categories of
    ``taxonomy_categories`` with no span are reported with a zero.
    """
    lists = _string_list_columns(schema)
    wanted = ["admin_comment", "sensitive", "spans", *lists]
    sub_schema = pa.schema([schema.field(name) for name in wanted if name in schema.names])
    rows = comments = sensitive = spans = 0
    by: dict[str, Counter[str]] = {key: Counter() for key in ("category", "subject", "assertion")}
    values: dict[str, Counter[str]] = {name: Counter() for name in lists}
    for path in paths:
        for table in _batches(path, fmt, sub_schema):
            rows += table.num_rows
            comments += pc.sum(pc.greater(pc.utf8_length(table["admin_comment"]), 0)).as_py() or 0
            sensitive += pc.sum(table["sensitive"]).as_py() or 0
            flat = pc.list_flatten(table["spans"])
            spans += len(flat)
            for key, counter in by.items():
                _add_counts(counter, pc.struct_field(flat, key))
            for name in lists:
                _add_counts(values[name], pc.list_flatten(table[name]))
    by_category = {category: 0 for category in taxonomy_categories}
    by_category.update(by["category"])
    return DatasetStats(
        rows=rows,
        comment_rows=int(comments),
        sensitive_rows=int(sensitive),
        spans=spans,
        spans_by_category=dict(sorted(by_category.items())),
        spans_by_subject=dict(sorted(by["subject"].items())),
        spans_by_assertion=dict(sorted(by["assertion"].items())),
        rows_by_value={name: dict(sorted(values[name].items())) for name in lists},
    )


def _add_counts(counter: Counter[str], array: pa.Array | pa.ChunkedArray) -> None:
    if len(array) == 0:
        return
    for item in pc.value_counts(array).to_pylist():
        if item["values"] is not None:
            counter[item["values"]] += item["counts"]


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


def front_matter(rows: int, data_files: Sequence[str], fmt: str) -> dict[str, Any]:
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
                "data_files": [{"split": SPLIT, "path": path}],
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
    version = breachbench.__version__
    names = [name for name, _ in data_files]
    meta = yaml.safe_dump(
        front_matter(stats.rows, names, options.format),
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
        f"a practice. Split: `{SPLIT}` (the whole dataset is an evaluation set).",
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
