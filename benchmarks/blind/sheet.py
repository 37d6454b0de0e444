"""The reader's sheet (HTML to print on A4, Markdown) and the blank answer form.

The sheet shows numbers and texts only: nothing in the markup, the order or the layout
depends on a note's source. Its identity is a digest of the numbered texts
(:func:`sheet_digest`); the sheet, the form and the key all carry it, so a filled form
is scored against the sheet it was filled from. Words of the sheet are data, per
language, in ``corpora/blind/strings.yaml``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from html import escape
from string import Template
from typing import Any

from breachbench.generator.data import corpora

__all__ = [
    "FORM_HEADER",
    "LANGS",
    "SHEET_ID_LENGTH",
    "answer_form",
    "same_sheet",
    "sheet_digest",
    "sheet_html",
    "sheet_id",
    "sheet_markdown",
    "strings",
]

LANGS = ("fr", "en")
FORM_HEADER = ("number", "guess", "sure")
SHEET_ID_LENGTH = 12
"""Hex digits of the digest printed on the sheet and the form: short enough to copy."""


def strings() -> dict[str, Any]:
    """``corpora/blind/strings.yaml``: the sheet's words per language, accepted answers."""
    return corpora.read_yaml("blind/strings.yaml")


def sheet_digest(texts: list[str]) -> str:
    """``sha256:<hex>`` of the numbered texts (note 1 first), as the sheet shows them."""
    payload = json.dumps([[i, t] for i, t in enumerate(texts, start=1)], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def sheet_id(digest: str) -> str:
    """The short form of a sheet digest, printed on the sheet and written in the form:
    ``73ec-ad91-6229``. In groups, so that it is easy to copy by hand and no spreadsheet
    reads it as a number (``123456e78901``) and rewrites it when the form is saved."""
    short = digest.removeprefix("sha256:")[:SHEET_ID_LENGTH]
    return "-".join(short[i : i + 4] for i in range(0, len(short), 4))


def same_sheet(written: str, digest: str) -> bool:
    """Whether an id copied onto a form (any case, spaces or dashes) names this sheet."""
    hex_digits = re.sub(r"[^0-9a-f]", "", written.lower())
    return hex_digits == digest.removeprefix("sha256:")[:SHEET_ID_LENGTH]


def _words(lang: str, counts: dict[str, int]) -> dict[str, str]:
    words = dict(strings()["sheet"][lang])
    for key in ("intro", "task", "form"):
        words[key] = Template(words[key]).substitute({k: str(v) for k, v in counts.items()})
    return words


CSS = """
@page{size:A4;margin:12mm 14mm}
body{font:15px/1.4 Georgia,"DejaVu Serif",serif;color:#111;max-width:820px;margin:1.5rem auto;
padding:0 1rem}h1{font-size:1.4rem;margin:0 0 .4rem}
.meta{display:flex;flex-wrap:wrap;gap:.4rem 2rem;margin:.4rem 0 .6rem;font-size:.95em}
.meta span{border-bottom:1px solid #666;min-width:11rem;display:inline-block}
.lead{margin:.3rem 0;font-size:.93em}
.note{display:flex;gap:.8rem;border-top:1px solid #999;padding:.4rem 0;break-inside:avoid;
page-break-inside:avoid}.note:last-of-type{border-bottom:1px solid #999}
.num{font:bold .95em system-ui,sans-serif;min-width:1.8rem;text-align:right}
.text{flex:1;min-width:0;white-space:pre-wrap;overflow-wrap:anywhere}
.choices{font:.82em/1.6 system-ui,sans-serif;min-width:13.5rem}
.choices span{display:inline-block;margin-right:.9rem;white-space:nowrap}
footer{margin-top:.8rem;font-size:.85em;color:#444}
@media (max-width:640px){.note{flex-wrap:wrap}.choices{min-width:0;flex-basis:100%}}
@media print{body{margin:0;max-width:none;padding:0;font-size:10.5pt}}
"""

BOX = "\u2610"


def _choices(w: dict[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    """The two choices of every note: (generated, hand-written), (sure, not sure)."""
    return (
        (f"{BOX} {w['generated']}", f"{BOX} {w['handwritten']}"),
        (f"{BOX} {w['sure']}", f"{BOX} {w['unsure']}"),
    )


def sheet_html(texts: list[str], *, lang: str, digest: str, counts: dict[str, int]) -> str:
    """A self-contained page (no script, nothing fetched) that prints on A4."""
    w = _words(lang, counts)
    guess, sure = _choices(w)
    ident = f"{w['sheet']} {sheet_id(digest)} · {len(texts)} {w['notes']}"
    boxes = "<br>".join(
        "".join(f"<span>{escape(c)}</span>" for c in pair) for pair in (guess, sure)
    )
    notes = "".join(
        f'<section class="note"><div class="num">{i}</div>'
        f'<div class="text">{escape(text)}</div><div class="choices">{boxes}</div></section>'
        for i, text in enumerate(texts, start=1)
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(w['title'])}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(w['title'])}</h1>"
        f'<div class="meta"><div>{escape(w["reader"])} <span></span></div>'
        f"<div>{escape(w['date'])} <span></span></div><div>{escape(ident)}</div></div>"
        f'<p class="lead">{escape(w["intro"])}</p><p class="lead">{escape(w["task"])}</p>'
        f"{notes}<footer>{escape(ident)}. {escape(w['form'])}</footer></body></html>\n"
    )


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks or tildes in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+|~+", text)), default=0)
    return "~" * max(3, longest + 1)


def sheet_markdown(texts: list[str], *, lang: str, digest: str, counts: dict[str, int]) -> str:
    """The same sheet in Markdown: each note verbatim in a fenced block."""
    w = _words(lang, counts)
    guess, sure = _choices(w)
    ident = f"{w['sheet']} `{sheet_id(digest)}` · {len(texts)} {w['notes']}"
    lines = [f"# {w['title']}", "", ident, "", w["intro"], "", w["task"], ""]
    for i, text in enumerate(texts, start=1):
        fence = _fence(text)
        choices = " · ".join(guess) + " — " + " · ".join(sure)
        lines += [f"## {w['note']} {i}", "", f"{fence}text", text, fence, "", choices, ""]
    lines += [w["form"], ""]
    return "\n".join(lines)


def answer_form(count: int, digest: str) -> str:
    """answers.csv, blank: a ``sheet,<id>`` line, the header, one line per note."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["sheet", sheet_id(digest)])
    writer.writerow(FORM_HEADER)
    for number in range(1, count + 1):
        writer.writerow([number, "", ""])
    return buffer.getvalue()
