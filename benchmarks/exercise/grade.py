"""Grade students' submissions against an exercise's answer key, with the harness's metrics.

A submission is either a CSV a student can make in a spreadsheet (``patient_id,category``,
one line per pair, or ``patient_id,categories`` with ``;`` between categories), scored at
record level (per-category and sensitive-note precision, recall, F1), or a JSON-lines file
of spans (``{"id", "spans": [{"start", "end", "label"}]}``), scored on every metric,
exposure included. A malformed file is rejected with one message naming the line and what
is wrong; the other submissions are still graded.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from breachbench.benchmarks.dataset import open_dataset
from breachbench.benchmarks.reports.fmt import pct
from breachbench.benchmarks.scoring import Counts, ScoringConfig, default_space, score_batch
from breachbench.benchmarks.scoring.predictions import (
    LEVEL_CATEGORIES,
    LEVEL_SPANS,
    Predictions,
)
from breachbench.benchmarks.scoring.report import metrics_report

__all__ = [
    "Grade",
    "SubmissionError",
    "grade_submissions",
    "parse_submission",
    "read_text_file",
    "score_key",
]


class SubmissionError(ValueError):
    """A malformed submission: ``file line N: what is wrong``."""


@dataclass
class Grade:
    """One submission's result (``error`` set when it could not be graded)."""

    name: str
    path: Path
    kind: str = "?"
    error: str | None = None
    metrics: dict[str, Any] | None = None
    rank: int | None = None
    missed: list[tuple[str, str]] = field(default_factory=list)

    def value(self, key: str) -> float | None:
        """A figure used by the class table (None when not applicable)."""
        if self.metrics is None:
            return None
        m = self.metrics
        cats = m["record_level"]["categories"]
        table = {
            "category_f1": cats["micro"]["f1"] if cats else None,
            "category_precision": cats["micro"]["precision"] if cats else None,
            "category_recall": cats["micro"]["recall"] if cats else None,
            "category_macro_f1": cats["macro"]["f1"] if cats else None,
            "sensitive_f1": m["record_level"]["sensitive"]["f1"],
            "sensitive_recall": m["record_level"]["sensitive"]["recall"],
            "sensitive_precision": m["record_level"]["sensitive"]["precision"],
        }
        if key in table:
            return table[key]
        return m["headline"].get(key, {}).get("value")


def _key_ids(key: Path) -> tuple[list[str], dict[str, str]]:
    """Record ids of the key, in order, and their comments (for offset checks)."""
    dataset = open_dataset(key)
    ids: list[str] = []
    texts: dict[str, str] = {}
    for batch in dataset.batches(65_536):
        batch_ids = batch.column("patient_id").to_pylist()
        ids += batch_ids
        for i, t in zip(batch_ids, batch.column("admin_comment").to_pylist(), strict=True):
            texts[i] = t or ""
    return ids, texts


def read_text_file(path: Path) -> str:
    """A file a person saved (a spreadsheet export...) as text; a byte-order mark dropped.

    Raises :class:`SubmissionError`: ``name: cannot read`` or ``name line N: not UTF-8``.
    """
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"{name}: cannot read: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SubmissionError(f"{name} line {line}: not UTF-8 (save the file as UTF-8)") from None


def parse_submission(
    path: Path, *, ids: set[str], texts: dict[str, str], categories: tuple[str, ...]
) -> tuple[str, dict[str, Any]]:
    """``("categories", {id: set})`` or ``("spans", {id: [(start, end, label)]})``.

    Raises :class:`SubmissionError` naming the first bad line.
    """
    name = path.name
    text = read_text_file(path)
    known = set(categories)
    listing = ", ".join(categories)
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{name} line {n}"
            try:
                obj = json.loads(line)
            except ValueError as error:
                raise SubmissionError(f"{where}: not JSON ({error.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                raise SubmissionError(f'{where}: expected {{"id": "...", "spans": [...]}}')
            rid = obj["id"]
            if rid not in ids:
                raise SubmissionError(f"{where}: record id {rid!r} is not in the extract")
            items = obj.get("spans")
            if not isinstance(items, list):
                raise SubmissionError(f'{where}: "spans" must be a list')
            out = spans.setdefault(rid, [])
            for s in items:
                if not isinstance(s, dict) or not {"start", "end", "label"} <= set(s):
                    raise SubmissionError(f"{where}: a span needs start, end and label")
                start, end, label = s["start"], s["end"], s["label"]
                if label not in known:
                    raise SubmissionError(f"{where}: unknown category {label!r}")
                if not (isinstance(start, int) and isinstance(end, int)):
                    raise SubmissionError(f"{where}: start and end must be integers")
                if not 0 <= start < end <= len(texts.get(rid, "")):
                    raise SubmissionError(
                        f"{where}: span [{start}, {end}) is outside the comment"
                        f" ({len(texts.get(rid, ''))} characters)"
                    )
                out.append((start, end, label))
        return "spans", spans
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise SubmissionError(f"{name} line 1: the file is empty")
    delimiter_hint = ";" in header[0] and len(header) == 1
    if delimiter_hint:  # a spreadsheet saved with ';' as the separator
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
        header = next(reader)
    cols = [h.strip().lower() for h in header]
    if "patient_id" not in cols or not ({"category", "categories"} & set(cols)):
        raise SubmissionError(
            f"{name} line 1: the header must be 'patient_id,category'"
            f" (or 'patient_id,categories'), got {','.join(header)!r}"
        )
    id_col = cols.index("patient_id")
    cat_col = cols.index("category") if "category" in cols else cols.index("categories")
    found: dict[str, set[str]] = {}
    for n, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        where = f"{name} line {n}"
        if len(row) <= max(id_col, cat_col):
            raise SubmissionError(f"{where}: expected {len(cols)} columns, got {len(row)}")
        rid = row[id_col].strip()
        if rid not in ids:
            raise SubmissionError(f"{where}: record id {rid!r} is not in the extract")
        labels = [c.strip() for c in row[cat_col].replace(",", ";").split(";") if c.strip()]
        for label in labels:
            if label not in known:
                raise SubmissionError(
                    f"{where}: unknown category {label!r} (expected one of: {listing})"
                )
        found.setdefault(rid, set()).update(labels)
    return "categories", found


def _predictions(kind: str, found: dict[str, Any], batch_ids: list[str]) -> Predictions:
    space = default_space()
    index = {c: i for i, c in enumerate(space.categories)}
    n = len(batch_ids)
    rec: list[int] = []
    start: list[int] = []
    end: list[int] = []
    cat: list[int] = []
    for pos, rid in enumerate(batch_ids):
        if kind == "spans":
            for s, e, label in sorted(found.get(rid, [])):
                rec.append(pos)
                start.append(s)
                end.append(e)
                cat.append(index[label])
        else:
            for label in sorted(found.get(rid, ())):
                rec.append(pos)
                cat.append(index[label])
    empty = np.zeros(0, dtype=np.int32)
    records = np.asarray(rec, dtype=np.int32)
    cats = np.asarray(cat, dtype=np.int16)
    spans = kind == "spans"
    return Predictions(
        level=np.full(n, LEVEL_SPANS if spans else LEVEL_CATEGORIES, dtype=np.int8),
        span_record=records if spans else empty,
        span_start=np.asarray(start, dtype=np.int32),
        span_end=np.asarray(end, dtype=np.int32),
        span_category=cats if spans else empty.astype(np.int16),
        cat_record=empty if spans else records,
        cat_category=empty.astype(np.int16) if spans else cats,
        flag=np.zeros(n, dtype=bool),
    )


def score_key(key: Path, kind: str, found: dict[str, Any], *, bootstrap: int = 200) -> Counts:
    """Counts of one parsed submission against the key, batch by batch."""
    space = default_space()
    config = ScoringConfig(bootstrap_replicates=bootstrap)
    counts = Counts.empty(space=space, bootstrap_replicates=bootstrap)
    for batch in open_dataset(key).batches(65_536):
        preds = _predictions(kind, found, batch.column("patient_id").to_pylist())
        counts = counts + score_batch(batch, preds, space=space, config=config)
    return counts


def _missed(key: Path, kind: str, found: dict[str, Any], limit: int = 8) -> list[tuple[str, str]]:
    """A few (record id, category) pairs the submission missed, for the student's feedback."""
    out: list[tuple[str, str]] = []
    space = default_space()
    sensitive = {c for c, s in zip(space.categories, space.sensitive_mask, strict=True) if s}
    for batch in open_dataset(key).batches(65_536):
        table = pa.Table.from_batches([batch]).select(["patient_id", "categories"])
        for row in table.to_pylist():
            got = found.get(row["patient_id"], ())
            got_cats = {s[2] for s in got} if kind == "spans" else set(got)
            for cat in row["categories"] or []:
                if cat in sensitive and cat not in got_cats:
                    out.append((row["patient_id"], cat))
                    if len(out) >= limit:
                        return out
    return out


RANK_BY = "category_f1"
"""Class ranking: micro F1 over (record, category) pairs, the task every submission does."""


def grade_submissions(key: Path, submissions: list[Path], *, bootstrap: int = 200) -> list[Grade]:
    """Grade every submission; malformed ones get ``error`` and no rank."""
    ids_list, texts = _key_ids(key)
    ids = set(ids_list)
    categories = default_space().categories
    grades: list[Grade] = []
    for path in submissions:
        grade = Grade(name=path.stem, path=path)
        try:
            grade.kind, found = parse_submission(path, ids=ids, texts=texts, categories=categories)
        except SubmissionError as error:
            grade.error = str(error)
            grades.append(grade)
            continue
        grade.metrics = metrics_report(score_key(key, grade.kind, found, bootstrap=bootstrap))
        grade.missed = _missed(key, grade.kind, found)
        grades.append(grade)
    ranked = sorted(
        (g for g in grades if g.error is None),
        key=lambda g: -(g.value(RANK_BY) or 0.0),
    )
    for i, g in enumerate(ranked, start=1):
        g.rank = i
    return sorted(grades, key=lambda g: (g.rank is None, g.rank or 0, g.name))


COLUMNS: tuple[tuple[str, str], ...] = (
    ("category_f1", "Category F1"),
    ("category_precision", "Precision"),
    ("category_recall", "Recall"),
    ("category_macro_f1", "Macro F1"),
    ("sensitive_f1", "Sensitive-note F1"),
    ("linked_disclosure", "Linked disclosure"),
    ("severity_leak", "Severity leak"),
)


def class_rows(grades: list[Grade]) -> list[list[str]]:
    """The class table as text cells (rank, name, kind, figures, status)."""
    rows = []
    for g in grades:
        cells = [str(g.rank) if g.rank else "–", g.name, g.kind]
        cells += [pct(g.value(key)) for key, _ in COLUMNS]
        cells.append("ok" if g.error is None else g.error)
        rows.append(cells)
    return rows


CLASS_HEADERS = ("Rank", "Submission", "Kind", *(label for _, label in COLUMNS), "Status")

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:980px;color:#1d2733;padding:0 1rem}table{border-collapse:collapse;margin:.6rem 0}
td,th{padding:.25rem .6rem;border-bottom:1px solid #eef1f4;text-align:right}
td:first-child,th:first-child,td:nth-child(2){text-align:left}th{background:#f5f7f9}
.error{background:#fdecea;border-left:4px solid #b8423a;padding:.5rem 1rem}
.note{color:#5b6773;font-size:.92em}
"""


def html_table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def class_html(grades: list[Grade], key: Path) -> str:
    """class.html: every submission, ranked, with the reason of each rejection."""
    note = (
        f'<p class="note">Key: {escape(str(key))}. Ranked by micro F1 over (record, category)'
        " pairs; linked disclosure and severity leak only for span submissions (JSON lines).</p>"
    )
    return html_page("Class results", note + html_table(CLASS_HEADERS, class_rows(grades)))


def student_html(grade: Grade) -> str:
    """One student's report: their figures per category, a few misses, or the error."""
    if grade.error is not None:
        body = (
            f'<p class="error"><strong>Not graded.</strong> {escape(grade.error)}</p>'
            "<p>Fix that line and submit again: the header must be"
            " <code>patient_id,category</code>, ids as in the extract, categories from the"
            " handout's list.</p>"
        )
        return html_page(f"Submission {grade.name}", body)
    assert grade.metrics is not None
    summary = [
        [label, pct(grade.value(key))] for key, label in COLUMNS if grade.value(key) is not None
    ]
    cats = grade.metrics["record_level"]["categories"]
    per = [
        [cat, f"{b['support']:,}", f"{b['predicted']:,}", pct(b["precision"]), pct(b["recall"])]
        for cat, b in (cats["per_category"].items() if cats else [])
        if b["support"] or b["predicted"]
    ]
    missed = [[rid, cat] for rid, cat in grade.missed]
    body = (
        f"<p>Rank {grade.rank}. Submission read as {escape(grade.kind)}.</p>"
        + html_table(("Figure", "Value"), summary)
        + "<h2>Per category</h2>"
        + html_table(("Category", "In the key", "You flagged", "Precision", "Recall"), per)
        + "<h2>A few sensitive mentions you missed</h2>"
        + (html_table(("Record", "Category"), missed) if missed else "<p>None.</p>")
    )
    return html_page(f"Submission {grade.name}", body)


def class_markdown(grades: list[Grade]) -> str:
    """class.md: the class table in Markdown."""
    lines = ["| " + " | ".join(CLASS_HEADERS) + " |", "|" + "---|" * len(CLASS_HEADERS)]
    for row in class_rows(grades):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "# Class results\n\n" + "\n".join(lines) + "\n"


def class_csv(grades: list[Grade]) -> str:
    """class.csv: one line per submission, raw figures (0-1) for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "submission", "kind", *(k for k, _ in COLUMNS), "error"])
    for g in grades:
        values = [g.value(k) for k, _ in COLUMNS]
        writer.writerow(
            [
                g.rank or "",
                g.name,
                g.kind,
                *("" if v is None or math.isnan(v) else f"{v:.4f}" for v in values),
                g.error or "",
            ]
        )
    return buffer.getvalue()
