"""Fuzzing the harness's two doors (issue 11): the dataset reader and the detector protocol.

Whatever comes in (bad JSON, wrong types, huge and negative offsets, missing fields,
invalid UTF-8, empty files), the outcome is one of the documented ones: a
:class:`DatasetError` or :class:`DetectorFault` in the library; through the CLI, exit 0, 1
or 2 with one line on stderr, never a traceback, and an output folder that is either
absent or whole (every run file there, results.json valid), with nothing hidden left
behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from breachbench.benchmarks.dataset import DatasetError, open_dataset
from breachbench.benchmarks.protocol import AnswerNormaliser, DetectorFault
from breachbench.benchmarks.results import load_results
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from breachbench.cli import main

RUN_FILES = {"results.json", "results.md", "report.html", "predictions.jsonl", "errors.jsonl"}
REPLAY = Path(__file__).parent / "detectors" / "replay_detector.py"
FIELDS = ("patient_id", "admin_comment", "sensitive", "categories", "spans")

offsets = st.one_of(
    st.integers(-3, 40),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)
labels = st.one_of(st.sampled_from(["serology", "person", "address", "nope", ""]), st.integers())
span_dicts = st.fixed_dictionaries(
    {
        "start": offsets,
        "end": offsets,
        "category": labels,
        "subject": st.sampled_from(["patient", "relative", None, 3]),
        "assertion": st.sampled_from(["affirmed", "negated", None, 1.5]),
    }
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A contract record, most fields right, any of them possibly wrong or missing."""
    text = draw(st.one_of(st.text(max_size=30), st.none(), st.integers()))
    row: dict[str, Any] = {
        "patient_id": draw(st.one_of(st.text(min_size=1, max_size=6), st.none(), st.integers())),
        "admin_comment": text,
        "sensitive": draw(st.one_of(st.booleans(), st.none(), st.text(max_size=4))),
        "categories": draw(st.one_of(st.lists(labels, max_size=2), st.none(), st.text(max_size=4))),
        "spans": draw(st.one_of(st.lists(span_dicts, max_size=3), st.none(), st.integers())),
    }
    for name in draw(st.sets(st.sampled_from(FIELDS), max_size=2)):
        del row[name]
    return row


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A fresh empty working directory for one example (fixtures are per test, not per
    example)."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="breachbench-fuzz-") as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(previous)


def corrupt(data: bytes, cut: int, junk: bytes) -> bytes:
    """``data`` with invalid or arbitrary bytes spliced in at ``cut``."""
    cut = min(cut, len(data))
    return data[:cut] + junk + data[cut:]


@st.composite
def dataset_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, content) of a file handed to the reader."""
    rows = draw(st.lists(records(), max_size=6))
    kind = draw(st.sampled_from(["jsonl", "jsonl", "csv", "parquet", "bytes", "empty"]))
    if kind == "empty":
        return draw(st.sampled_from([".jsonl", ".csv", ".parquet"])), b""
    if kind == "bytes":
        return draw(st.sampled_from([".jsonl", ".csv", ".parquet"])), draw(st.binary(max_size=80))
    if kind == "parquet":
        try:
            table = pa.Table.from_pylist(rows) if rows else pa.table({"patient_id": []})
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            assume(False)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return ".parquet", sink.getvalue().to_pybytes()
    if kind == "csv":
        header = draw(st.permutations(FIELDS))[: draw(st.sampled_from([5, 5, 5, 4, 3]))]
        lines = [",".join(header)]
        for row in rows:
            cells = []
            for name in header:
                value = row.get(name)
                text = "" if value is None else json.dumps(value, ensure_ascii=False)
                if name in ("patient_id", "admin_comment") and isinstance(value, str):
                    text = value
                cells.append('"' + text.replace('"', '""') + '"' if text else "")
            lines.append(",".join(cells))
        data = ("\n".join(lines) + "\n").encode("utf-8")
    else:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if draw(st.booleans()):
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"{", b"}\n", b"\n\n", b'"', b"\x00"]))
        data = corrupt(data, draw(st.integers(0, 200)), junk)
    return f".{kind}", data


EXAMPLES = int(os.environ.get("BREACHBENCH_FUZZ_EXAMPLES", "60"))
"""Examples per fuzz test; raise it for a longer hunt (the CLI ones run half as many)."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FUZZ
@given(dataset_files())
def test_the_reader_gives_rows_or_one_dataset_error(file: tuple[str, bytes]) -> None:
    suffix, data = file
    with scratch():
        path = Path("data" + suffix)
        path.write_bytes(data)
        try:
            dataset = open_dataset(path)
            rows = sum(batch.num_rows for batch in dataset.batches(3))
        except DatasetError as error:
            assert "\n" not in str(error)
            return
        assert rows == dataset.info.rows


def check_outcome(result: Any, out: Path, allowed: set[int]) -> None:
    """One of the documented outcomes, and an output folder absent or whole."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in allowed, result.output
    assert "Traceback" not in result.output
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    if out.exists():
        assert {p.name for p in out.iterdir()} == RUN_FILES
        results = load_results(out / "results.json")
        assert results["status"]["partial"] is (result.exit_code == 1)
    else:
        assert result.exit_code != 0
    assert [p.name for p in Path().iterdir() if p.name.startswith(".")] == []


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(dataset_files())
def test_bench_on_a_malformed_dataset_never_half_writes(file: tuple[str, bytes]) -> None:
    suffix, data = file
    runner = CliRunner()
    with scratch():
        Path("data" + suffix).write_bytes(data)
        result = runner.invoke(
            main, ["bench", "data" + suffix, "-d", "none", "-o", "out", "--bootstrap", "5"]
        )
        check_outcome(result, Path("out"), {0, 2})


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=8),
)
raw_answers = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.frozensets(st.text(max_size=6), max_size=3),
        st.dictionaries(
            st.sampled_from(["spans", "categories", "sensitive", "start", "end", "label", "x"]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@FUZZ
@given(
    st.lists(st.text(max_size=20), min_size=1, max_size=3),
    st.lists(raw_answers, max_size=4),
    st.sampled_from([None, "spans", "categories", "bool"]),
)
@example(texts=[""], raw=[{"categories": None}], mode=None)  # found by this test
@example(texts=["abc"], raw=[[(0, 1, "x", 10**400)]], mode=None)
def test_the_normaliser_gives_valid_answers_or_one_fault(
    texts: list[str], raw: list[Any], mode: Any
) -> None:
    ids = [f"R{k}" for k in range(len(texts))]
    normaliser = AnswerNormaliser(mode)
    try:
        answers = normaliser.batch(ids, texts, raw)
    except DetectorFault as fault:
        assert "\n" not in str(fault)
        assert fault.record_id in (*ids, None)
        return
    assert len(answers) == len(texts)
    for text, answer in zip(texts, answers, strict=True):
        for span in answer.spans or []:
            assert 0 <= span.start < span.end <= len(text)
            assert isinstance(span.label, str) and span.label


def dataset_jsonl(path: Path) -> None:
    rows = []
    for i in range(6):
        text = f"VIH+ depuis {2000 + i}"
        spans = [
            {"start": 0, "end": 3, "category": "serology", "subject": "patient"}
            | {"assertion": "affirmed"}
        ]
        rows.append(
            {
                "patient_id": f"P{i}",
                "admin_comment": text,
                "sensitive": True,
                "categories": ["serology"],
                "spans": spans,
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


answer_lines = st.one_of(
    st.builds(
        lambda k, body: json.dumps({"id": f"P{k}", **body}).encode(),
        st.integers(0, 6),
        st.one_of(
            st.fixed_dictionaries(
                {"spans": st.lists(st.tuples(offsets, offsets, labels).map(list), max_size=2)}
            ),
            st.fixed_dictionaries({"categories": st.lists(labels, max_size=2)}),
            st.fixed_dictionaries({"sensitive": scalars}),
            st.dictionaries(st.sampled_from(["spans", "label", "x"]), scalars, max_size=2),
        ),
    ),
    st.binary(max_size=30).filter(lambda b: b"\n" not in b),
    st.sampled_from([b"\xff\xfe{", b"{}", b"[]", b"null", b'{"id": "P0", "spans": [[0, 1e400,']),
)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(st.lists(answer_lines, max_size=7), st.integers(1, 4))
def test_bench_with_a_detector_writing_anything_never_half_writes(
    lines: list[bytes], batch_size: int
) -> None:
    runner = CliRunner()
    with scratch():
        dataset_jsonl(Path("data.jsonl"))
        Path("answers.bin").write_bytes(b"\n".join(lines))
        command = shlex.join([sys.executable, str(REPLAY), "answers.bin"])
        result = runner.invoke(
            main,
            [
                *("bench", "data.jsonl", "--detector-cmd", command, "-o", "out"),
                *("--bootstrap", "5", "--timeout", "10", "--batch-size", str(batch_size)),
            ],
        )
        check_outcome(result, Path("out"), {0, 1})
        if result.exit_code == 1:
            trailer = Path("out/predictions.jsonl").read_text().splitlines()[-1]
            assert json.loads(trailer)["partial"] is True
