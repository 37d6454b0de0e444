"""Redact a dataset with a detector, and measure what the redaction still leaks.

The library call behind ``breachbench redact``. A detector's spans become a redaction of
each comment (``mask``: every character replaced by one mask character, so offsets do not
move; ``tag``: ``[SÉROLOGIE]``, ``[NOM]``...; ``pseudonym``: names, phones, e-mails and
addresses replaced by coherent fakes, the rest by tags). The dataset is streamed batch by
batch into ``redacted.parquet`` (same columns; the comment redacted), and the same spans
are scored against the labels with the harness's exposure counts, so the residual-leak
summary (``residual.json``, ``residual.md``) is exactly what a breach of the redacted file
would reveal, with bootstrap intervals.

Labels are kept by default as *residual* labels: each gold span that stays at least partly
readable, moved to its place in the redacted text (a span wholly masked is gone), with
``sensitive`` and ``categories`` recomputed from them. Benchmarking a second detector on
the redacted file then measures what it finds of what the first one left.

Pseudonyms are keyed on (seed, record id, surface form): a patient called "Manson" three
times in a note is "Dubois" three times, and "M. MANSON" becomes "M. DUBOIS".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from breachbench.benchmarks.adapters import LabelMapping, open_detector
from breachbench.benchmarks.protocol import Answer, Detector
from breachbench.benchmarks.results import write_json
from breachbench.benchmarks.run import to_predictions
from breachbench.benchmarks.scoring import Counts, ScoringConfig, default_space, score_batch
from breachbench.benchmarks.scoring.report import metrics_report

__all__ = [
    "MODES",
    "RedactError",
    "RedactRequest",
    "RedactSummary",
    "Redactor",
    "iter_parquet",
    "redact_dataset",
]

MODES: tuple[str, ...] = ("mask", "tag", "pseudonym")
LABEL_COLUMNS: tuple[str, ...] = ("sensitive", "categories", "spans", "difficulty_tags")
OUTPUT_FILE = "redacted.parquet"
RESIDUAL_JSON = "residual.json"
RESIDUAL_MD = "residual.md"
METADATA_KEY = b"breachbench.redaction"

Span = tuple[int, int, str]
Region = tuple[int, int, int, int]
"""(old start, old end, new start, new end) of one replaced stretch of a comment."""


class RedactError(ValueError):
    """A redaction request that cannot run; the message is one line."""


@cache
def _settings() -> dict[str, Any]:
    import yaml

    text = (resources.files("breachbench.corpora") / "metrics" / "redaction.yaml").read_text(
        encoding="utf-8"
    )
    return yaml.safe_load(text)


@cache
def _names() -> tuple[list[str], list[str], frozenset[str]]:
    """First names and surnames of the generator's tables (real INSEE frequencies)."""
    from breachbench.generator.records.people import load_people

    people = load_people()
    first = people.first_names.to_pylist()
    last = people.surnames.to_pylist()
    return first, last, frozenset(n.lower() for n in first)


def _pick(key: str, n: int) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % n


def _case_like(fake: str, original: str) -> str:
    if len(original) > 1 and original.isupper():
        return fake.upper()
    if original.islower():
        return fake.lower()
    return fake


class Redactor:
    """Turns a comment and its spans into the redacted comment, in one of :data:`MODES`."""

    def __init__(self, mode: str = "mask", *, lang: str = "fr", seed: int = 0) -> None:
        if mode not in MODES:
            raise RedactError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        settings = _settings()
        if lang not in settings["tags"]:
            raise RedactError(f"lang must be one of {', '.join(settings['tags'])}, got {lang!r}")
        self.mode, self.lang, self.seed = mode, lang, seed
        self.tags: dict[str, str] = settings["tags"][lang]
        self.mask_char: str = settings["mask_char"]
        self.streets: list[str] = settings["streets"]

    def tag(self, category: str) -> str:
        """``[SÉROLOGIE]``: the replacement of a span in tag mode."""
        return f"[{self.tags.get(category, category.upper())}]"

    def _fake(self, category: str, surface: str, key: str, memo: dict[str, str]) -> str:
        """A coherent fake for an identifier; a tag for what cannot be faked."""
        if category == "person":
            first, last, first_set = _names()

            def word(match: re.Match[str]) -> str:
                token = match.group(0)
                lower = token.lower()
                if lower not in memo:
                    table = first if lower in first_set else last
                    memo[lower] = table[_pick(f"{key}|{lower}", len(table))]
                return _case_like(memo[lower], token)

            return re.sub(r"\w[\w']*", word, surface)
        memo_key = category + "|" + re.sub(r"\W", "", surface).lower()
        if memo_key in memo:
            return memo[memo_key]
        h = _pick(f"{key}|{memo_key}", 10**6)
        if category == "phone":
            fake = f"06 39 98 {h % 100:02d} {h // 100 % 100:02d}"
        elif category == "email":
            fake = f"contact{h % 1000}@example.org"
        elif category == "address":
            fake = f"{h % 120 + 1} {self.streets[h % len(self.streets)]}"
        else:
            fake = self.tag(category)
        memo[memo_key] = fake
        return fake

    def redact(self, text: str, spans: list[Span], *, key: str = "") -> tuple[str, list[Region]]:
        """The redacted text and the replaced regions, in order.

        Overlapping spans are merged first (the first span's category names the merged
        stretch): a redaction masks characters once.
        """
        merged: list[list[Any]] = []
        for start, end, category in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end, category])
        out: list[str] = []
        regions: list[Region] = []
        memo: dict[str, str] = {}
        pos = new = 0
        for start, end, category in merged:
            out.append(text[pos:start])
            new += start - pos
            if self.mode == "mask":
                piece = self.mask_char * (end - start)
            elif self.mode == "tag":
                piece = self.tag(category)
            else:
                piece = self._fake(category, text[start:end], f"{self.seed}|{key}", memo)
            out.append(piece)
            regions.append((start, end, new, new + len(piece)))
            new += len(piece)
            pos = end
        out.append(text[pos:])
        return "".join(out), regions


def remap_span(start: int, end: int, regions: list[Region]) -> tuple[int, int] | None:
    """Where a gold span lands in the redacted text; None when it is wholly masked.

    A boundary inside a replaced region snaps to the region's replacement, so a partly
    masked span keeps its readable part and the replacement in between.
    """
    masked = sum(max(0, min(end, b) - max(start, a)) for a, b, _, _ in regions)
    if masked >= end - start:
        return None
    shift = 0
    new_start = new_end = None
    for a, b, na, nb in regions:
        if new_start is None and start < b:
            new_start = na if start >= a else start + shift
        if new_end is None and end <= b:
            new_end = nb if end > a else end + shift
        shift = nb - b
    new_start = start + shift if new_start is None else new_start
    new_end = end + shift if new_end is None else new_end
    return new_start, new_end


def iter_parquet(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Every batch of a Parquet file or of a directory's part-*.parquet, all columns."""
    if path.is_dir():
        files = sorted(path.glob("part-*.parquet"))
        if not files:
            raise RedactError(f"{path} holds no part-*.parquet file")
    elif path.suffix == ".parquet" and path.is_file():
        files = [path]
    else:
        raise RedactError(
            f"{path}: not a Parquet file or a directory of part-*.parquet"
            " (redact and reid read the generator's Parquet output)"
        )
    for file in files:
        try:
            reader = pq.ParquetFile(file)
        except (OSError, pa.ArrowInvalid) as error:
            raise RedactError(f"cannot read {file}: {' '.join(str(error).split())}") from None
        yield from reader.iter_batches(batch_size=batch_size)


@dataclass(frozen=True)
class RedactRequest:
    """Everything ``breachbench redact`` was asked to do."""

    dataset: Path
    out: Path
    detector: str | None = "keywords+identifiers"
    command: str | None = None
    labels: str | None = None
    mode: str = "mask"
    keep_labels: bool = True
    lang: str = "fr"
    seed: int = 0
    batch_size: int = 256
    read_batch_size: int = 16_384
    """Rows read at a time: 16k rows keep the peak under 500 MB on 1M rows (perf script)."""
    bootstrap: int = 200
    limit: int | None = None
    overwrite: bool = False


@dataclass
class RedactSummary:
    """What a redaction wrote and what it still leaks."""

    out: Path
    rows: int = 0
    comments: int = 0
    spans_redacted: int = 0
    seconds: float = 0.0
    metrics: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        """Rows written per second of wall time."""
        return self.rows / self.seconds if self.seconds else 0.0


def _new_labels(batch: pa.RecordBatch, regions: dict[int, list[Region]]) -> dict[str, pa.Array]:
    """Residual labels: gold spans that stay readable, moved into the redacted text."""
    space = default_space()
    group = dict(zip(space.categories, space.groups, strict=True))
    spans_in = batch.column("spans").to_pylist()
    new_spans, sensitive, categories = [], [], []
    for i, spans in enumerate(spans_in):
        kept = []
        for s in spans or []:
            where = remap_span(s["start"], s["end"], regions.get(i, []))
            if where is not None:
                kept.append({**s, "start": where[0], "end": where[1]})
        new_spans.append(kept)
        sensitive.append(any(group[s["category"]] == 0 for s in kept))
        categories.append(sorted({s["category"] for s in kept}))
    schema = batch.schema
    return {
        "spans": pa.array(new_spans, type=schema.field("spans").type),
        "sensitive": pa.array(sensitive, type=schema.field("sensitive").type),
        "categories": pa.array(categories, type=schema.field("categories").type),
    }


def _output_schema(schema: pa.Schema, request: RedactRequest) -> pa.Schema:
    names = [f for f in schema if request.keep_labels or f.name not in LABEL_COLUMNS]
    note = {
        "mode": request.mode,
        "detector": request.detector or request.command,
        "labels": "residual" if request.keep_labels else "dropped",
        "seed": request.seed,
    }
    return pa.schema(names, metadata={METADATA_KEY: json.dumps(note).encode()})


def redact_dataset(
    request: RedactRequest,
    *,
    progress: Callable[[int], None] | None = None,
    open_fn: Callable[[], Detector] | None = None,
) -> RedactSummary:
    """Redact ``request.dataset`` into ``request.out``; see the module docstring.

    Raises :class:`RedactError` (or the adapters' load errors) before writing anything;
    the outputs appear under their final names only when complete.
    """
    started = time.perf_counter()
    redactor = Redactor(request.mode, lang=request.lang, seed=request.seed)
    out = request.out
    target = out / OUTPUT_FILE
    if target.exists() and not request.overwrite:
        raise RedactError(f"{target} already exists; pass --overwrite to replace it")
    batches = iter_parquet(request.dataset, request.read_batch_size)
    first = next(batches, None)
    if first is None:
        raise RedactError(f"{request.dataset} holds no rows")
    if "admin_comment" not in first.schema.names or "patient_id" not in first.schema.names:
        raise RedactError(f"{request.dataset} lacks the patient_id or admin_comment column")
    labelled = all(name in first.schema.names for name in ("sensitive", "categories", "spans"))
    mapping = LabelMapping.from_yaml(request.labels) if request.labels else LabelMapping()
    space = default_space()
    index = {name: i for i, name in enumerate(space.categories)}
    config = ScoringConfig(bootstrap_replicates=request.bootstrap)
    counts = Counts.empty(space=space, bootstrap_replicates=request.bootstrap)
    schema = _output_schema(first.schema, request)
    if not request.keep_labels or not labelled:
        schema = pa.schema([f for f in schema if f.name not in LABEL_COLUMNS], schema.metadata)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{OUTPUT_FILE}.{os.getpid()}.tmp"
    summary = RedactSummary(out=out)
    if open_fn is None:
        spec, command = request.detector, request.command
        if command is not None:
            spec = None
        open_fn = lambda: open_detector(spec, command=command)  # noqa: E731
    detector = open_fn()
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            remaining = request.limit

            def chain() -> Iterator[pa.RecordBatch]:
                yield first
                yield from batches

            for batch in chain():
                if remaining is not None:
                    if remaining <= 0:
                        break
                    batch = batch.slice(0, remaining)
                    remaining -= batch.num_rows
                ids = batch.column("patient_id").to_pylist()
                texts = batch.column("admin_comment").to_pylist()
                positions = [i for i, t in enumerate(texts) if t]
                answers: list[Answer] = []
                for lo in range(0, len(positions), request.batch_size):
                    chunk = positions[lo : lo + request.batch_size]
                    answers.extend(detector([ids[i] for i in chunk], [texts[i] for i in chunk]))
                if detector.mode not in (None, "spans"):
                    raise RedactError(
                        f"detector {detector.name} answers in {detector.mode} mode: it gives no"
                        " offsets, so it cannot redact"
                    )
                mapped = [mapping.apply(a) for a in answers]
                new_texts = list(texts)
                regions: dict[int, list[Region]] = {}
                for pos, answer in zip(positions, mapped, strict=True):
                    spans = [(s.start, s.end, s.label) for s in answer.spans or []]
                    if spans:
                        new_texts[pos], regions[pos] = redactor.redact(
                            texts[pos], spans, key=ids[pos]
                        )
                        summary.spans_redacted += len(spans)
                if labelled:
                    preds = to_predictions(batch.num_rows, positions, mapped, "spans", space, index)
                    counts = counts + score_batch(batch, preds, space=space, config=config)
                columns = {"admin_comment": pa.array(new_texts, type=pa.string())}
                if labelled and request.keep_labels:
                    columns.update(_new_labels(batch, regions))
                arrays = [columns.get(f.name, batch.column(f.name)) for f in schema]
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
                summary.rows += batch.num_rows
                summary.comments += len(positions)
                if progress is not None:
                    progress(batch.num_rows)
        os.replace(tmp, target)
    finally:
        detector.close()
        tmp.unlink(missing_ok=True)
    summary.files.append(target)
    summary.seconds = time.perf_counter() - started
    report = {
        "schema": "breachbench.redaction/1",
        "dataset": str(request.dataset),
        "detector": detector.name,
        "mode": request.mode,
        "labels": "residual" if (labelled and request.keep_labels) else "dropped",
        "rows": summary.rows,
        "comments": summary.comments,
        "spans_redacted": summary.spans_redacted,
        "unmapped_labels": mapping.report(),
        "seconds": summary.seconds,
        "metrics": metrics_report(counts) if labelled else None,
    }
    summary.metrics = report["metrics"]
    write_json(out / RESIDUAL_JSON, report)
    _write_text(out / RESIDUAL_MD, residual_markdown(report))
    summary.files += [out / RESIDUAL_JSON, out / RESIDUAL_MD]
    return summary


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


RESIDUAL_ROWS: tuple[tuple[str, str], ...] = (
    ("protection_identifier", "Records with every identifier masked"),
    ("protection_sensitive", "Records with every sensitive span masked"),
    ("linked_disclosure", "Linked disclosure (patient identifier + fact readable)"),
    ("char_leak_rate", "Character leak rate"),
    ("severity_leak", "Severity-weighted leak"),
    ("over_redaction", "Over-redaction"),
    ("leak_rate_sensitive", "Records with a sensitive span untouched"),
    ("leak_rate_identifier", "Records with an identifier untouched"),
    ("span_sensitive_recall", "Sensitive span recall (strict)"),
    ("span_identifier_recall", "Identifier span recall (strict)"),
)


def residual_markdown(report: dict[str, Any]) -> str:
    """residual.md: what the redacted file still leaks, figure by figure."""
    from breachbench.benchmarks.reports.fmt import ci, pct

    lines = [
        f"# What the redaction leaves: {report['detector']} ({report['mode']} mode)",
        "",
        f"- **Dataset:** {report['dataset']}: {report['rows']:,} rows,"
        f" {report['comments']:,} comments, {report['spans_redacted']:,} spans redacted",
        f"- **Labels in the redacted file:** {report['labels']}",
    ]
    metrics = report.get("metrics")
    if not metrics or not metrics.get("exposure"):
        lines += ["", "The dataset has no labels: the residual leak cannot be measured."]
        return "\n".join(lines) + "\n"
    headline = metrics["headline"]
    lines += ["", "| Figure | Value [95% CI] |", "|---|--:|"]
    lines += [f"| {label} | {ci(headline.get(name))} |" for name, label in RESIDUAL_ROWS]
    lines += ["", "## Spans still readable, by category", ""]
    lines += ["| Category | Weight | Gold spans | Readable | Share |", "|---|--:|--:|--:|--:|"]
    per = metrics["exposure"]["per_category"]
    for cat, b in sorted(per.items(), key=lambda kv: (-kv[1]["weight"], kv[0])):
        if b["spans"]:
            share = pct(b["leaked"] / b["spans"])
            lines.append(
                f"| {cat} | {b['weight']:g} | {b['spans']:,} | {b['leaked']:,} | {share} |"
            )
    lines += [
        "",
        "A span is readable when at least one of its characters escaped the redaction."
        ' Definitions: README, section "Exposure".',
    ]
    return "\n".join(lines) + "\n"
