"""``breachbench exercise create``: everything a class needs for a three-hour practical.

For each of K groups (``--groups K``; each its own seed, so groups cannot copy answers):

- ``students/group-k/``: the leaked dump as an attacker has it (``leak.csv`` and
  ``leak.parquet``, no label columns and no generator metadata, which would give away the
  seed), the handout (``handout.md`` and a self-contained ``handout.html``) and a
  submission template;
- ``teacher/group-k/``: the answer key (``key.parquet``, every label), the solution sheet
  (``solution.md``: expected figures per category with extrapolations to 11 and 15 million
  patients, re-identification figures, and a reference detector graded as a submission);
- ``teacher/seeds.json`` and ``README.md`` saying what is where.

Texts (handouts, category descriptions, solution headings) are data files in
``corpora/exercise/``, one per language. The kit is built in a temporary directory beside
``DIR`` and renamed when complete.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from breachbench.benchmarks.reports.fmt import pct

from .html import markdown_page

__all__ = ["LABEL_COLUMNS", "ExerciseError", "ExerciseKit", "create_exercise"]

LABEL_COLUMNS = ("sensitive", "categories", "spans", "difficulty_tags")
BREACH_SIZES = (11_000_000, 15_000_000)
"""Patients affected as publicly reported (February 2026): 11 to 15 million."""
LANGS = ("fr", "en")


class ExerciseError(ValueError):
    """A request that cannot be made into a kit; one line."""


@dataclass(frozen=True)
class ExerciseKit:
    """Where a kit was written and what it holds."""

    root: Path
    groups: list[dict[str, Any]]


@cache
def _text(name: str) -> str:
    return (resources.files("breachbench.corpora") / "exercise" / name).read_text(encoding="utf-8")


@cache
def _strings() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(_text("strings.yaml"))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion: honest for small counts, unlike p ± 2σ."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _n(value: int, lang: str) -> str:
    """12345 -> '12,345' in English, '12 345' (narrow no-break space) in French."""
    return f"{value:,}".replace(",", "\u202f") if lang == "fr" else f"{value:,}"


def _p(value: float, lang: str) -> str:
    """0.123 -> '12.3%' in English, '12,3 %' in French."""
    text = pct(value)
    return text.replace(".", ",").replace("%", "\u202f%") if lang == "fr" else text


def _millions(value: float, lang: str) -> str:
    text = f"{value / 1e6:.2f}"
    return (text.replace(".", ",") + " M") if lang == "fr" else f"{text} M"


def _handout(lang: str, group: int, rows: int, columns: list[str], example_id: str) -> str:
    strings = _strings()
    cats = strings["categories"][lang]
    listing = "\n".join(f"- `{cat}` : {text}" if lang == "fr" else f"- `{cat}`: {text}"
                        for cat, text in cats.items())  # fmt: skip
    return Template(_text(f"handout.{lang}.md")).substitute(
        title_group=Template(strings["group"][lang]).substitute(group=group),
        rows=f"{rows:,}".replace(",", "\u202f" if lang == "fr" else ","),
        columns=", ".join(f"`{c}`" for c in columns),
        categories=listing,
        example_id=example_id,
    )


def _solution(
    lang: str, group: int, seed: int, key: Path, reid: dict[str, Any], baseline: dict[str, Any]
) -> str:
    s = _strings()["solution"][lang]
    title_group = Template(_strings()["group"][lang]).substitute(group=group)
    table = pq.read_table(key, columns=["admin_comment", "sensitive", "categories", "spans"])
    n = table.num_rows
    comments = sum(1 for t in table["admin_comment"].to_pylist() if t)
    sensitive = sum(table["sensitive"].to_pylist())
    per_cat: dict[str, list[int]] = {}
    for spans in table["spans"].to_pylist():
        seen, about = set(), set()
        for span in spans or []:
            seen.add(span["category"])
            if span["subject"] == "patient":
                about.add(span["category"])
        for cat in seen:
            per_cat.setdefault(cat, [0, 0])[0] += 1
        for cat in about:
            per_cat.setdefault(cat, [0, 0])[1] += 1
    order = [*_strings()["categories"][lang], "person", "phone", "email", "address", "nir"]
    lines = [
        f"# {Template(s['title']).substitute(group=title_group, seed=seed)}",
        "",
        s["intro"],
        "",
        f"## {s['data']}",
        "",
        f"- {_n(n, lang)} {s['rows']} ; {_n(comments, lang)} {s['comments']}"
        f" ({_p(comments / n, lang)}) ; {_n(sensitive, lang)} {s['sensitive']}"
        f" ({_p(sensitive / n, lang)}).".replace(" ;", ";" if lang == "en" else " ;"),
        "",
        f"## {s['per_category']}",
        "",
        f"| {s['category']} | {s['records']} | {s['about_patient']} | {s['share']} |"
        + "".join(f" {s['at']} {_millions(m, lang)} |" for m in BREACH_SIZES),
        "|---|--:|--:|--:|" + "--:|" * len(BREACH_SIZES),
    ]
    for cat in order:
        k, about = per_cat.get(cat, [0, 0])
        lo, hi = wilson_interval(k, n)
        cells = [
            f" {_millions(m * k / n, lang)}"
            f" [{_millions(m * lo, lang)}, {_millions(m * hi, lang)}] |"
            for m in BREACH_SIZES
        ]
        lines.append(
            f"| `{cat}` | {_n(k, lang)} | {_n(about, lang)} | {_p(k / n, lang)} |" + "".join(cells)
        )
    lines += ["", s["ci_note"], "", f"## {s['reid']}", ""]
    lines += [f"| {s['qi']} | {s['unique']} | k < 5 |", "|---|--:|--:|"]
    for item in reid["quasi_identifier_sets"]:
        lines.append(
            f"| {s['quasi_identifiers'][item['name']]} | {_p(item['unique_share'], lang)}"
            f" | {_p(item['share_k_below_5'], lang)} |"
        )
    lines += ["", f"## {s['baseline']}", "", "| | |", "|---|--:|"]
    for metric, value in baseline.items():
        lines.append(f"| {s['baseline_labels'][metric]} | {_p(value, lang)} |")
    lines += ["", Template(s["key"]).substitute(key_path=f"teacher/group-{group}/key.parquet")]
    return "\n".join(lines) + "\n"


def _baseline(key: Path) -> dict[str, float | None]:
    """The built-in keywords+identifiers detector graded like a span submission."""
    from breachbench.benchmarks.adapters import open_detector
    from breachbench.benchmarks.dataset import open_dataset

    from .grade import Grade, score_key

    detector = open_detector("keywords+identifiers")
    found: dict[str, list[tuple[int, int, str]]] = {}
    try:
        for batch in open_dataset(key).batches(65_536):
            ids = batch.column("patient_id").to_pylist()
            texts = batch.column("admin_comment").to_pylist()
            pos = [i for i, t in enumerate(texts) if t]
            for lo in range(0, len(pos), 256):
                chunk = pos[lo : lo + 256]
                answers = detector([ids[i] for i in chunk], [texts[i] for i in chunk])
                for i, answer in zip(chunk, answers, strict=True):
                    found[ids[i]] = [(sp.start, sp.end, sp.label) for sp in answer.spans or []]
    finally:
        detector.close()
    from breachbench.benchmarks.scoring.report import metrics_report

    grade = Grade(name="keywords+identifiers", path=key, kind="spans")
    grade.metrics = metrics_report(score_key(key, "spans", found, bootstrap=0))
    metrics = (
        "category_f1",
        "sensitive_f1",
        "span_sensitive_f1",
        "span_identifier_f1",
        "linked_disclosure",
        "severity_leak",
    )
    return {metric: grade.value(metric) for metric in metrics}


def _write_dump(key: Path, folder: Path) -> tuple[list[str], str]:
    """leak.parquet and leak.csv: the key without labels and without provenance metadata."""
    table = pq.read_table(key)
    keep = [c for c in table.column_names if c not in LABEL_COLUMNS]
    dump = table.select(keep).replace_schema_metadata(None)
    dump = pa.table(
        {f.name: dump.column(f.name) for f in dump.schema},
        schema=pa.schema([pa.field(f.name, f.type) for f in dump.schema]),
    )
    pq.write_table(dump, folder / "leak.parquet")
    pa_csv.write_csv(dump, folder / "leak.csv")
    ids = dump["patient_id"].to_pylist()
    texts = dump["admin_comment"].to_pylist()
    example = next((i for i, t in zip(ids, texts, strict=True) if t), ids[0])
    return keep, example


def create_exercise(
    root: Path,
    *,
    lang: str = "fr",
    groups: int = 1,
    rows: int = 2000,
    seed: int = 2026,
    overwrite: bool = False,
) -> ExerciseKit:
    """Build the kit into ``root`` (see the module docstring)."""
    from breachbench.benchmarks.reid import load_quasi, reid_figures
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions

    if lang not in LANGS:
        raise ExerciseError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if not 1 <= groups <= 100:
        raise ExerciseError(f"groups must be within 1..100, got {groups}")
    if rows < 50:
        raise ExerciseError(f"rows must be >= 50 for meaningful figures, got {rows}")
    root = Path(root)
    if root.exists() and any(root.iterdir()) and not overwrite:
        raise ExerciseError(f"{root} exists and is not empty; pass --overwrite to replace it")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    made: list[dict[str, Any]] = []
    try:
        for g in range(1, groups + 1):
            group_seed = seed + g - 1
            teacher = staging / "teacher" / f"group-{g}"
            student = staging / "students" / f"group-{g}"
            teacher.mkdir(parents=True)
            student.mkdir(parents=True)
            key = teacher / "key.parquet"
            generate_dataset(key, GenerateOptions(rows=rows, seed=group_seed), progress=False)
            for extra in teacher.glob("key.parquet.*"):  # card and croissant: teacher only
                extra.rename(teacher / extra.name.replace("key.parquet.", "key."))
            columns, example = _write_dump(key, student)
            handout = _handout(lang, g, rows, columns, example)
            (student / "handout.md").write_text(handout, encoding="utf-8")
            (student / "handout.html").write_text(
                markdown_page(handout, lang=lang), encoding="utf-8"
            )
            (student / "submission_template.csv").write_text(
                f"patient_id,category\n{example},serology\n", encoding="utf-8"
            )
            reid = reid_figures(load_quasi(student / "leak.parquet"))
            solution = _solution(lang, g, group_seed, key, reid, _baseline(key))
            (teacher / "solution.md").write_text(solution, encoding="utf-8")
            (teacher / "solution.html").write_text(
                markdown_page(solution, lang=lang), encoding="utf-8"
            )
            made.append({"group": g, "seed": group_seed, "rows": rows})
        from breachbench.generator.contract.version import __version__

        (staging / "teacher" / "seeds.json").write_text(
            json.dumps({"breachbench_version": __version__, "lang": lang, "groups": made}, indent=1)
            + "\n",
            encoding="utf-8",
        )
        (staging / "README.md").write_text(_readme(groups, lang), encoding="utf-8")
        if root.exists():
            shutil.rmtree(root)
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExerciseKit(root=root, groups=made)


def _readme(groups: int, lang: str) -> str:
    return (
        "# Breach lesson kit\n\n"
        f"{groups} group(s), handouts in {'French' if lang == 'fr' else 'English'}.\n\n"
        "- `students/group-K/`: hand this folder to group K (leak.csv, leak.parquet,"
        " handout.md, handout.html, submission_template.csv). No labels inside.\n"
        "- `teacher/group-K/key.parquet`: the answer key (keep it away from students).\n"
        "- `teacher/group-K/solution.md` (and .html): expected figures.\n"
        "- `teacher/seeds.json`: the seed of each group; `breachbench exercise create` with"
        " the same options rebuilds the same kit.\n\n"
        "Grade: `breachbench exercise grade teacher/group-1/key.parquet submissions/*.csv"
        " --out grades/` writes class.html, class.md, class.csv and one HTML per student.\n"
    )
