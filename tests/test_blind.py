"""``breachbench blind``: kits made from real files agree with their key and their sources,
forms of known answers score as they must, and every refusal is one line with exit 2."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import unicodedata
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from breachbench.benchmarks.blind import BlindError, make_kit, normalise, score_kit
from breachbench.benchmarks.blind.notes import words
from breachbench.benchmarks.blind.score import p_value
from breachbench.benchmarks.blind.sheet import sheet_digest
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breachbench.cli import main

DEV = Path(__file__).resolve().parents[1] / "benchmarks" / "perf" / "handwritten" / "dev.jsonl"
GENERATED_ROWS = 300


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated dataset (about 90 non-empty comments), made once for the module."""
    path = tmp_path_factory.mktemp("blind") / "generated.parquet"
    generate_dataset(path, GenerateOptions(rows=GENERATED_ROWS, seed=3), progress=False)
    return path


def _sources(*paths: Path) -> dict[str, str]:
    """Every record's raw comment by id, from contract files of any layout."""
    from breachbench.benchmarks.dataset import open_dataset

    found: dict[str, str] = {}
    for path in paths:
        for batch in open_dataset(path).batches():
            ids = batch.column("patient_id").to_pylist()
            texts = batch.column("admin_comment").to_pylist()
            found.update((i, t or "") for i, t in zip(ids, texts, strict=True))
    return found


class _Sheet(HTMLParser):
    """The numbers and texts of sheet.html, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: list[int] = []
        self.texts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class")
        if tag == "div" and cls in ("num", "text"):
            self._in = cls
            if cls == "text":
                self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "num":
            self.numbers.append(int(data))
        elif self._in == "text":
            self.texts[-1] += data


def _markdown_notes(text: str) -> list[tuple[int, str]]:
    """(number, text) of each note of sheet.md: the fenced block under its heading."""
    found = re.findall(r"^## \S+ (\d+)\n\n(~{3,})text\n(.*?)\n\2$", text, re.M | re.S)
    return [(int(number), body) for number, _, body in found]


def _check_kit(root: Path, sources: dict[str, str], notes: int) -> dict:
    """Everything a kit promises about itself; returns its key."""
    key = json.loads((root / "key.json").read_text(encoding="utf-8"))
    items = key["items"]
    assert [i["number"] for i in items] == list(range(1, 2 * notes + 1))
    assert sorted(i["source"] for i in items) == ["generated"] * notes + ["handwritten"] * notes
    expected = [normalise(sources[i["id"]]) for i in items]
    assert all(expected) and len(set(expected)) == len(expected)  # no empty note, none twice
    html = (root / "sheet.html").read_text(encoding="utf-8")
    sheet = _Sheet()
    sheet.feed(html)
    assert sheet.numbers == [i["number"] for i in items]
    assert sheet.texts == expected
    markdown = (root / "sheet.md").read_text(encoding="utf-8")
    assert _markdown_notes(markdown) == list(enumerate(expected, start=1))
    assert key["sheet_digest"] == sheet_digest(expected)
    short = key["sheet_id"]
    assert short in html and short in markdown
    form = list(csv.reader(io.StringIO((root / "answers.csv").read_text(encoding="utf-8"))))
    assert form[0] == ["sheet", short] and form[1] == ["number", "guess", "sure"]
    assert form[2:] == [[str(n), "", ""] for n in range(1, 2 * notes + 1)]
    for name, digest in key["files"].items():
        assert digest == "sha256:" + hashlib.sha256((root / name).read_bytes()).hexdigest()
    # Nothing but the wording tells the sources apart: no record id in the markup.
    markup = html
    for text in sheet.texts:
        markup = markup.replace(escape(text), "", 1)
    assert not any(i["id"] in markup for i in items)
    return key


def _write_jsonl(path: Path, texts: list[str | None]) -> Path:
    rows = [
        {
            "patient_id": f"HX{n:04d}",
            "admin_comment": text,
            "sensitive": False,
            "categories": [],
            "spans": [],
        }
        for n, text in enumerate(texts)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# Text as both kinds of files hold it: accents composed or not, \r\n, trailing spaces, tabs,
# line breaks of every kind, a byte-order mark, and what HTML and Markdown must escape.
PIECES = st.sampled_from(
    ["RDV", "é", "e\u0301", "à", "A\u0300", " ", "  ", "\t", "\n", "\r\n", "\r", "\u2028",
     "\ufeff", "<b>", "&amp;", "~~~", "```", "# ", "tiers payant", "06 39 98 01 02", "."]
)  # fmt: skip
NOTE_TEXT = st.lists(PIECES, max_size=12).map("".join)


@given(text=NOTE_TEXT)
def test_normalise_changes_no_word(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once == unicodedata.normalize("NFC", once) and "\r" not in once
    assert not any(line != line.rstrip(" \t") for line in once.split("\n"))
    assert once.split() == unicodedata.normalize("NFC", text.replace("\ufeff", "")).split()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(NOTE_TEXT, min_size=1, max_size=30),
    notes=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    lang=st.sampled_from(["fr", "en"]),
    match_length=st.booleans(),
)
def test_any_seed_gives_a_sheet_that_agrees_with_its_key_and_sources(
    generated: Path, texts: list[str], notes: int, seed: int, lang: str, match_length: bool
) -> None:
    distinct = {normalise(t) for t in texts} - {""}
    with tempfile.TemporaryDirectory() as tmp:
        hand = _write_jsonl(Path(tmp) / "hand.jsonl", [*texts, None, "  \r\n "])
        out = Path(tmp) / "kit"
        if len(distinct) < notes:
            with pytest.raises(BlindError, match="too few hand-written notes"):
                make_kit(hand, out, generated=generated, notes=notes, seed=seed)
            assert not out.exists()
            return
        make_kit(
            hand,
            out,
            generated=generated,
            notes=notes,
            seed=seed,
            lang=lang,
            match_length=match_length,
        )
        key = _check_kit(out, _sources(hand, generated), notes)
        assert key["seed"] == seed and key["lang"] == lang
        assert key["options"]["match_length"] == match_length


def test_the_order_does_not_follow_the_source(tmp_path: Path, generated: Path) -> None:
    """Over seeds, every place on the sheet holds a note of either source."""
    seen: list[set[str]] = [set() for _ in range(10)]
    for seed in range(20):
        kit = make_kit(DEV, tmp_path / str(seed), generated=generated, notes=5, seed=seed)
        for place, note in zip(seen, kit.notes, strict=True):
            place.add(note.source)
    assert all(place == {"generated", "handwritten"} for place in seen), seen


def test_kit_from_dev_notes_on_the_fly_is_the_same_twice(tmp_path: Path) -> None:
    """The command a reader's organiser runs; the same options give the same bytes."""
    kits = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = ["blind", "make", "--handwritten", str(DEV), "--rows", "300", "--notes", "12"]
        result = CliRunner().invoke(main, [*args, "--seed", "5", "--out", str(out)])
        assert result.exit_code == 0, result.output
        kits.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert kits[0] == kits[1] and sorted(kits[0]) == [
        "answers.csv",
        "key.json",
        "sheet.html",
        "sheet.md",
    ]
    key = json.loads(kits[0]["key.json"])
    assert key["generated"]["generate"]["rows"] == 300 and key["generated"]["path"] is None
    assert (
        key["handwritten"]["fingerprint"]
        == "sha256:" + hashlib.sha256(DEV.read_bytes()).hexdigest()
    )
    html = kits[0]["sheet.html"].decode()
    assert "généré" in html and "écrit à la main" in html and "pas sûr(e)" in html
    assert "@page{size:A4" in html and "<script" not in html


def test_match_length_follows_the_hand_written_lengths(tmp_path: Path, generated: Path) -> None:
    gaps = {}
    for match in (False, True):
        kit = make_kit(
            DEV, tmp_path / str(match), generated=generated, notes=20, seed=11, match_length=match
        )
        sizes = {s: sorted(words(n.text) for n in kit.notes if n.source == s) for s in
                 ("generated", "handwritten")}  # fmt: skip
        pairs = zip(sizes["generated"], sizes["handwritten"], strict=True)
        gaps[match] = sum(abs(g - h) for g, h in pairs) / 20
    assert gaps[True] < gaps[False] and gaps[True] <= 3, gaps


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Path:
    root = tmp_path_factory.mktemp("kit") / "kit"
    make_kit(DEV, root, generated=generated, notes=10, seed=2)
    return root


def _form(kit: Path, answer: dict[int, tuple[str, str]], *, sheet: str | None = None) -> str:
    key = json.loads((kit / "key.json").read_text(encoding="utf-8"))
    lines = [f"sheet,{sheet or key['sheet_id']}", "number,guess,sure"]
    lines += [f"{n},{g},{s}" for n, (g, s) in sorted(answer.items())]
    return "\n".join(lines) + "\n"


def _items(kit: Path) -> list[dict]:
    return json.loads((kit / "key.json").read_text(encoding="utf-8"))["items"]


WORD = {"generated": "Généré", "handwritten": "écrit à la main"}


def test_all_right_is_100_and_far_from_chance(kit: Path, tmp_path: Path) -> None:
    answers = tmp_path / "right.csv"
    answers.write_text(
        _form(kit, {i["number"]: (WORD[i["source"]], "oui") for i in _items(kit)}),
        encoding="utf-8",
    )
    score = score_kit(kit, answers)
    assert score["accuracy"]["value"] == 1.0 and score["answered"] == 20
    assert score["p_value"] == 2**-20
    assert score["verdict"] == "above"
    assert score["sure"]["correct"] == 20 and score["unsure"]["answered"] == 0
    assert score["on_generated"]["value"] == score["on_handwritten"]["value"] == 1.0
    assert score["accuracy"]["ci_low"] == pytest.approx(0.8389, abs=1e-4)  # Wilson, 20/20


def test_all_generated_is_50_and_across_the_bar(kit: Path, tmp_path: Path) -> None:
    answers = tmp_path / "lazy.csv"
    answers.write_text(
        _form(kit, {i["number"]: ("gen", "non") for i in _items(kit)}), encoding="utf-8"
    )
    score = score_kit(kit, answers)
    assert score["accuracy"]["value"] == 0.5
    assert score["on_generated"]["value"] == 1.0 and score["on_handwritten"]["value"] == 0.0
    assert score["p_value"] == pytest.approx(0.5881, abs=1e-4)  # P(X >= 10 | 20, 1/2)
    assert score["verdict"] == "across" and score["unsure"]["answered"] == 20


def test_blank_guesses_and_missing_lines_are_unanswered(kit: Path, tmp_path: Path) -> None:
    items = _items(kit)
    answer = {i["number"]: (WORD[i["source"]], "") for i in items[:8]}
    answer.update({i["number"]: ("", "oui") for i in items[8:12]})  # confidence, no guess
    text = _form(kit, answer).replace("number,guess,sure\n", "number,guess,sure\n\n,,\n")
    answers = tmp_path / "blank.csv"
    answers.write_text(text, encoding="utf-8")
    score = score_kit(kit, answers)
    assert (score["answered"], score["unanswered"]) == (8, 12)
    assert score["accuracy"]["value"] == 1.0 and score["confidence_unstated"]["answered"] == 8
    assert score["sure"]["answered"] == 0


def test_a_spreadsheet_export_and_a_copied_sheet_id_are_read(kit: Path, tmp_path: Path) -> None:
    typed = json.loads((kit / "key.json").read_text())["sheet_id"].replace("-", " ").upper()
    form = _form(kit, {i["number"]: ("hand", "yes") for i in _items(kit)}, sheet=typed)
    answers = tmp_path / "excel.csv"
    answers.write_bytes(("\ufeff" + form.replace(",", ";")).replace("\n", "\r\n").encode())
    score = score_kit(kit, answers)
    assert score["answered"] == 20 and score["on_handwritten"]["value"] == 1.0


def test_p_value_is_the_exact_binomial_tail() -> None:
    assert p_value(3, 3) == 1 / 8
    assert p_value(0, 5) == 1.0
    # The reading of REALISM.md: 76 right of 80 (tiny: compared relatively, no absolute slack).
    assert p_value(76, 80) == pytest.approx(1.3789e-18, rel=1e-4, abs=0)
    assert p_value(0, 0) is None


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("\n1,", "\n1,peut-être", 1), "line 3: guess 'peut-être"),
        (lambda t: t.replace("\n2,", "\n1,", 1), "line 4: note 1 is answered twice"),
        (lambda t: t + "21,main,oui\n", "line 23: '21' is not a note number (1 to 20)"),
        (lambda t: t.replace("\n3,", "\n3,main,peu,x", 1), "line 5: expected 3 columns"),
        (lambda t: t.replace("\n4,,", "\n4,main,bof", 1), "line 6: sure 'bof'"),
        (lambda t: t.replace("number,guess,sure", "n,g,s"), "line 2: expected the header"),
        (lambda t: t.split("\n", 1)[1], "line 1: expected 'sheet,<id>'"),
    ],
)
def test_a_malformed_form_names_its_line(kit: Path, tmp_path: Path, mangle, message) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(mangle((kit / "answers.csv").read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(BlindError, match=re.escape(message)):
        score_kit(kit, answers)
    result = CliRunner().invoke(main, ["blind", "score", str(kit), str(answers)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and message in result.output


def test_a_form_of_another_sheet_is_refused(kit: Path, tmp_path: Path) -> None:
    answers = tmp_path / "other.csv"
    answers.write_text(_form(kit, {1: ("main", "oui")}, sheet="0123-4567-89ab"), encoding="utf-8")
    result = CliRunner().invoke(main, ["blind", "score", str(kit), str(answers)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "answers are for sheet 0123-4567-89ab" in result.output


def test_score_prints_json_and_writes_the_report(kit: Path, tmp_path: Path) -> None:
    answers = tmp_path / "reader.csv"
    answers.write_text(
        _form(kit, {i["number"]: (WORD[i["source"]], "sûr") for i in _items(kit)[:15]}),
        encoding="utf-8",
    )
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    args = ["blind", "score", str(kit), str(answers), "--json", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["answered"] == 15 and figures["sheet_id"] in report.read_text()
    table = CliRunner().invoke(main, ["blind", "score", str(kit), str(answers)])
    assert table.exit_code == 0 and "Accuracy on answered notes" in table.output
    assert "15/15" in table.output and (kit / "report-reader.html").is_file()


def test_make_refuses_in_one_line(tmp_path: Path, generated: Path) -> None:
    notes_txt = tmp_path / "notes.txt"
    notes_txt.write_text("RDV lundi\n", encoding="utf-8")
    not_contract = tmp_path / "rows.jsonl"
    not_contract.write_text('{"id": "a", "text": "RDV lundi"}\n', encoding="utf-8")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("not a kit", encoding="utf-8")
    base = ["blind", "make", "--generated", str(generated)]
    cases = [
        ([*base, "--handwritten", str(DEV), "--notes", "151"], "too few hand-written notes"),
        ([*base, "--handwritten", str(DEV), "--notes", "140"], "too few generated notes"),
        ([*base, "--handwritten", str(notes_txt)], "hand-written notes:"),
        ([*base, "--handwritten", str(not_contract)], "lacks contract column"),
        ([*base, "--handwritten", str(DEV), "--rows", "10"], "cannot go with --generated"),
        ([*base, "--handwritten", str(DEV), "--notes", "0"], "notes must be >= 1"),
    ]
    for args, message in cases:
        out = tmp_path / "kit"
        result = CliRunner().invoke(main, [*args, "--out", str(out)])
        assert result.exit_code == 2, (args, result.output)
        assert result.output.count("\n") == 1 and message in result.output, result.output
        assert not out.exists()
    good = [*base, "--handwritten", str(DEV), "--notes", "5", "--out", str(taken)]
    result = CliRunner().invoke(main, good)
    assert result.exit_code == 2 and "already exists" in result.output
    result = CliRunner().invoke(main, [*good, "--overwrite"])
    assert result.exit_code == 2 and "it has no key.json" in result.output
    assert (taken / "mine.txt").is_file()
    kit = tmp_path / "kit"
    for extra in ([], ["--overwrite"]):
        result = CliRunner().invoke(main, [*good[:-1], str(kit), *extra])
        assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob(".kit.*"))  # no staging folder left behind


def test_score_refuses_a_folder_that_is_no_kit(kit: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    answers = kit / "answers.csv"
    for content, message in [
        (None, "key.json: cannot read"),
        ("{not json", "not JSON"),
        ('{"kind": "something else"}', "is not the key of a blind test"),
    ]:
        if content is not None:
            (broken / "key.json").write_text(content, encoding="utf-8")
        result = CliRunner().invoke(main, ["blind", "score", str(broken), str(answers)])
        assert result.exit_code == 2 and result.output.count("\n") == 1
        assert message in result.output, result.output
