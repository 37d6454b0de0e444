"""The per-record files of a run, written as the run goes: predictions.jsonl and errors.jsonl.

Both are streamed batch by batch, so a run over millions of records never holds them in
memory, and a run stopped by a detector fault still leaves every line it had scored.

``predictions.jsonl`` holds what the detector said, with its own labels, one line per
record it was asked about (records without a comment are never sent, so have no line),
and, when a detector fault stopped the run, a last line ``{"partial": true, "fault",
"fault_record_id"}`` (in errors.jsonl too):
``{"id", "spans": [{"start", "end", "label"[, "score"]}]}``, or ``{"id", "categories"}`` /
``{"id", "sensitive"}`` for record-level detectors.

``errors.jsonl`` holds, for each record with at least one error, its text, its false
negatives (gold spans the detector did not find exactly) and false positives (predicted
spans that match no gold span exactly), after label mapping. Each error has a ``kind`` that
says what went wrong, so the file can be filtered with ``jq``: ``missed`` / ``spurious``
(nothing overlaps), ``boundary`` (an overlapping span of the same category), ``label`` (an
overlapping span of another category only). Record-level detectors get missed and spurious
categories, or a wrong sensitive flag, instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.benchmarks.protocol import Answer

__all__ = ["ERRORS_FILE", "PREDICTIONS_FILE", "RunFiles", "record_errors"]

PREDICTIONS_FILE = "predictions.jsonl"
ERRORS_FILE = "errors.jsonl"

GoldSpan = tuple[int, int, str, str, str]
"""(start, end, category, subject, assertion)"""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""One encoder for every line: ``json.dumps`` with options builds a new one per call."""


def _dumps(payload: dict[str, Any]) -> str:
    return _ENCODER.encode(payload) + "\n"


def prediction_line(record_id: str, answer: Answer) -> dict[str, Any]:
    """One predictions.jsonl object: the detector's raw answer for a record."""
    if answer.spans is not None:
        spans = []
        for s in answer.spans:
            item: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label}
            if s.score is not None:
                item["score"] = s.score
            spans.append(item)
        return {"id": record_id, "spans": spans}
    if answer.categories is not None:
        return {"id": record_id, "categories": sorted(answer.categories)}
    return {"id": record_id, "sensitive": bool(answer.sensitive)}


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _kind(span: tuple[int, int, str], others: Sequence[tuple[int, int, str]], alone: str) -> str:
    """Why an unmatched span is unmatched, judged against the other side's spans."""
    overlapping = [o for o in others if _overlaps(span[:2], o[:2])]
    if any(o[2] == span[2] for o in overlapping):
        return "boundary"
    return "label" if overlapping else alone


def record_errors(
    text: str, gold: Sequence[GoldSpan], answer: Answer, *, gold_categories: Sequence[str] = ()
) -> dict[str, Any] | None:
    """False negatives and positives of one record under exact matching, or None if none.

    ``answer`` must already carry taxonomy categories (label mapping applied).
    """
    if answer.spans is not None:
        pred = [(s.start, s.end, s.label) for s in answer.spans]
        gold3 = [(g[0], g[1], g[2]) for g in gold]
        gold_keys, pred_keys = set(gold3), set(pred)
        fn = [
            {
                "start": g[0],
                "end": g[1],
                "category": g[2],
                "subject": g[3],
                "assertion": g[4],
                "text": text[g[0] : g[1]],
                "kind": _kind(g[:3], pred, "missed"),
            }
            for g in gold
            if g[:3] not in pred_keys
        ]
        fp = [
            {
                "start": p[0],
                "end": p[1],
                "category": p[2],
                "text": text[p[0] : p[1]],
                "kind": _kind(p, gold3, "spurious"),
            }
            for p in pred
            if p not in gold_keys
        ]
        if not fn and not fp:
            return None
        return {"text": text, "false_negatives": fn, "false_positives": fp}
    if answer.categories is not None:
        want, got = set(gold_categories), set(answer.categories)
        if want == got:
            return None
        return {
            "text": text,
            "missed_categories": sorted(want - got),
            "spurious_categories": sorted(got - want),
        }
    return None  # bool answers: compared with the gold flag by the caller


class RunFiles:
    """predictions.jsonl and errors.jsonl of one run, open for appending batch by batch."""

    def __init__(self, out_dir: Path, *, resume_at: tuple[int, int] | None = None) -> None:
        """Start both files, or, with ``resume_at`` (their byte lengths at a checkpoint),
        cut them back to those lengths and append: what followed the checkpoint is
        written again by the resumed run."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self.predictions_path = out_dir / PREDICTIONS_FILE
        self.errors_path = out_dir / ERRORS_FILE
        if resume_at is not None:
            for path, size in zip(
                (self.predictions_path, self.errors_path), resume_at, strict=True
            ):
                if not path.exists() or path.stat().st_size < size:
                    raise OSError(f"{path} is shorter than its checkpoint: cannot resume")
                os.truncate(path, size)
        mode = "w" if resume_at is None else "a"
        self._predictions: IO[str] = self.predictions_path.open(mode, encoding="utf-8")
        self._errors: IO[str] = self.errors_path.open(mode, encoding="utf-8")
        self.error_records = 0

    def sync(self) -> tuple[int, int]:
        """Flush both files to disk; their byte lengths, for a checkpoint."""
        sizes = []
        for handle in (self._predictions, self._errors):
            handle.flush()
            os.fsync(handle.fileno())
            sizes.append(os.fstat(handle.fileno()).st_size)
        return sizes[0], sizes[1]

    def write(
        self,
        batch: pa.RecordBatch,
        positions: Sequence[int],
        ids: Sequence[str],
        texts: Sequence[str],
        raw: Sequence[Answer],
        mapped: Sequence[Answer],
    ) -> None:
        """Append the lines of the records at ``positions`` of ``batch``.

        ``raw`` answers go to predictions.jsonl; ``mapped`` ones are compared with the gold
        labels of the batch for errors.jsonl.
        """
        self._predictions.write(
            "".join(_dumps(prediction_line(i, a)) for i, a in zip(ids, raw, strict=True))
        )
        gold = _gold_spans(batch)
        cats = batch.column("categories").to_pylist() if _has_categories(mapped) else None
        flags = batch.column("sensitive").to_pylist() if _has_flags(mapped) else None
        lines = []
        for k, pos in enumerate(positions):
            answer = mapped[k]
            if answer.spans is None and answer.categories is None:
                expected = bool(flags[pos]) if flags is not None else False
                if bool(answer.sensitive) == expected:
                    continue
                error: dict[str, Any] | None = {
                    "text": texts[k],
                    "sensitive": expected,
                    "predicted_sensitive": bool(answer.sensitive),
                }
            elif answer.spans is not None and not answer.spans and pos not in gold:
                continue  # the common case: nothing to find, nothing found
            else:
                error = record_errors(
                    texts[k],
                    gold.get(pos, ()),
                    answer,
                    gold_categories=(cats[pos] or []) if cats is not None else (),
                )
            if error is not None:
                lines.append(_dumps({"id": ids[k], **error}))
        self.error_records += len(lines)
        self._errors.write("".join(lines))

    def mark_partial(self, fault: str, record_id: str | None) -> None:
        """End both files with a line saying the run stopped early, and why.

        The line has no ``id``: ``{"partial": true, "fault": "...", "fault_record_id": ...}``,
        so a reader can never mistake a cut-short file for a whole run.
        """
        line = _dumps({"partial": True, "fault": fault, "fault_record_id": record_id})
        self._predictions.write(line)
        self._errors.write(line)

    def close(self) -> None:
        """Flush and close both files; both are closed even when flushing one fails (a
        full disk), so that no descriptor outlives the run."""
        try:
            self._predictions.close()
        finally:
            self._errors.close()

    def __enter__(self) -> RunFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has_categories(answers: Sequence[Answer]) -> bool:
    return any(a.spans is None and a.categories is not None for a in answers)


def _has_flags(answers: Sequence[Answer]) -> bool:
    return any(a.spans is None and a.categories is None for a in answers)


def _gold_spans(batch: pa.RecordBatch) -> dict[int, list[GoldSpan]]:
    """Gold spans of the batch by row position, read column-wise (no per-row Arrow access)."""
    column = batch.column("spans")
    flat = pc.list_flatten(column)
    if len(flat) == 0:
        return {}
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
    ends = np.cumsum(lengths).tolist()
    fields = list(zip(*(flat.field(name).to_pylist() for name in SPAN_FIELDS), strict=True))
    return {
        row: fields[end - n : end]
        for row, (n, end) in enumerate(zip(lengths.tolist(), ends, strict=True))
        if n
    }


SPAN_FIELDS = ("start", "end", "category", "subject", "assertion")
