"""reid.md and reid.html: the re-identification lesson as tables and inline SVG charts.

The HTML page carries its own CSS and draws its charts as SVG computed here (no script, no
CDN), so it opens offline from a course platform or an e-mail years later. Charts scale
down with the page (``viewBox``, ``max-width: 100%``): nothing overflows on a laptop.
"""

from __future__ import annotations

from html import escape
from typing import Any

from breachbench.benchmarks.reports.fmt import pct

from .core import K_BINS

K_COLOURS = ("#b8423a", "#e08a2c", "#e8c14a", "#7fb069", "#3b6fb6", "#9aa5b1")

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:980px;color:#1d2733;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.2rem;
margin-top:2rem;border-bottom:1px solid #dde3ea}table{border-collapse:collapse;margin:.6rem 0}
td,th{padding:.25rem .6rem;border-bottom:1px solid #eef1f4;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f5f7f9}
svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#1d2733}
.note{color:#5b6773;font-size:.92em}.context{background:#f5f7f9;border-left:4px solid #3b6fb6;
padding:.5rem 1rem}
"""


def _bars(rows: list[tuple[str, float | None]], *, colour: str = "#b8423a", label: str) -> str:
    """Horizontal bars of shares in [0, 1]."""
    label_w, bar_w, row_h = 250, 520, 24
    height = row_h * len(rows) + 8
    out = [
        f'<svg viewBox="0 0 {label_w + bar_w + 70} {height}" width="{label_w + bar_w + 70}"'
        f' role="img" aria-label="{escape(label)}">'
    ]
    for i, (name, value) in enumerate(rows):
        y = i * row_h
        w = (value or 0.0) * bar_w
        out.append(f'<text x="0" y="{y + 16}">{escape(name)}</text>')
        out.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="16" fill="{colour}">'
            f"<title>{escape(name)}: {pct(value)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 16}">{pct(value)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _stacked(sets: list[dict[str, Any]]) -> str:
    """One stacked bar per quasi-identifier set: records by k-anonymity class."""
    label_w, bar_w, row_h = 250, 560, 26
    height = row_h * len(sets) + 40
    out = [
        f'<svg viewBox="0 0 {label_w + bar_w + 10} {height}" width="{label_w + bar_w + 10}"'
        ' role="img" aria-label="k-anonymity distribution">'
    ]
    for i, item in enumerate(sets):
        y, x = i * row_h, float(label_w)
        out.append(f'<text x="0" y="{y + 17}">{escape(item["name"])}</text>')
        for (label, _, _), colour in zip(K_BINS, K_COLOURS, strict=True):
            share = item["k_distribution"][label]["share"] or 0.0
            w = share * bar_w
            out.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="18" fill="{colour}">'
                f"<title>{escape(item['name'])}, {label}: {pct(share)}</title></rect>"
            )
            x += w
    y = len(sets) * row_h + 14
    x = float(label_w)
    for (label, _, _), colour in zip(K_BINS, K_COLOURS, strict=True):
        out.append(f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14:.0f}" y="{y + 9}">{escape(label)}</text>')
        x += 24 + 6.5 * len(label)
    out.append("</svg>")
    return "".join(out)


def _heat(grid: list[list[dict[str, Any]]], places: list[str], dates: list[str]) -> str:
    """Unique share for each (date level, place level): a heat map as an SVG grid."""
    cell_w, cell_h, label_w, top = 130, 34, 110, 28
    width = label_w + cell_w * len(places)
    height = top + cell_h * len(dates)
    out = [
        f'<svg viewBox="0 0 {width + 4} {height + 4}" width="{width + 4}" role="img"'
        ' aria-label="Unique share by generalisation">'
    ]
    for j, place in enumerate(places):
        out.append(
            f'<text x="{label_w + j * cell_w + cell_w / 2}" y="18" text-anchor="middle">'
            f"{escape(place)}</text>"
        )
    for i, row in enumerate(grid):
        y = top + i * cell_h
        out.append(f'<text x="0" y="{y + 22}">{escape(dates[i])}</text>')
        for j, cell in enumerate(row):
            share = cell["unique_share"] or 0.0
            # White (0%) to deep red (100%): the darker, the more records stand alone.
            r, g, b = 255, int(255 - 180 * share), int(255 - 190 * share)
            fill = "#ffffff" if share > 0.55 else "#1d2733"
            out.append(
                f'<rect x="{label_w + j * cell_w}" y="{y}" width="{cell_w - 2}"'
                f' height="{cell_h - 2}" fill="rgb({r},{g},{b})"><title>{escape(cell["date"])}'
                f" × {escape(cell['place'])}: {pct(share)} unique</title></rect>"
                f'<text x="{label_w + j * cell_w + cell_w / 2}" y="{y + 21}"'
                f' text-anchor="middle" style="fill:{fill}">{pct(share)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _set_rows(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            s["name"],
            f"{s['classes']:,}",
            f"{s['unique_records']:,}",
            pct(s["unique_share"]),
            pct(s["share_k_below_5"]),
            "–" if s["k_median_record"] is None else f"{s['k_median_record']:g}",
        )
        for s in figures["quasi_identifier_sets"]
    ]


SET_HEADERS = ("Quasi-identifiers", "Classes", "Unique records", "Unique", "k < 5", "Median k")


def render_reid_html(figures: dict[str, Any], *, source: str) -> str:
    """The whole report as one HTML document."""
    sets = figures["quasi_identifier_sets"]
    gen = figures["generalisation"]
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Re-identification: {escape(source)}</title><style>{CSS}</style></head><body>",
        "<h1>Who can be re-identified?</h1>",
        f"<p>{figures['records']:,} records of <code>{escape(source)}</code>. A record in a"
        " group of k records sharing the same values is <em>k-anonymous</em>; k = 1 means"
        " unique: whoever knows these few facts about a person finds their record.</p>",
        f'<p class="context">{escape(figures["context"])}</p>',
        "<h2>Unique records per quasi-identifier set</h2>",
        _bars([(s["name"], s["unique_share"]) for s in sets], label="Unique share"),
        _table(SET_HEADERS, _set_rows(figures)),
        "<h2>k-anonymity distribution</h2>",
        '<p class="note">Share of records by the size k of their group.</p>',
        _stacked(sets),
        "<h2>What generalisation changes</h2>",
        '<p class="note">Share of unique records on sex + birth date + place, as the date'
        " is coarsened (rows) and the place (columns).</p>",
        _heat(gen["grid"], gen["place_levels"], gen["date_levels"]),
    ]
    comments = figures.get("comments")
    if comments:
        rows = [
            (s["name"], s["unique_share_without"], s["unique_share_with"]) for s in comments["sets"]
        ]
        bars = []
        for name, before, after in rows:
            bars += [(f"{name}", before), ("… + comment identifiers", after)]
        parts += [
            "<h2>Identifiers left in the comments</h2>",
            f"<p>{comments['records_with_readable_identifiers']:,} records"
            f" ({pct(comments['share_with_readable_identifiers'])}) have a name, phone,"
            " e-mail, address or NIR still readable in their comment;"
            f" {comments['unique_on_comment_identifiers_alone']:,} are unique on those"
            " alone. Adding them to generalised columns:</p>",
            _bars(bars, colour="#3b6fb6", label="Unique share with comment identifiers"),
        ]
    else:
        parts.append(
            '<p class="note">No labels in this dataset: identifiers in the comments'
            " were not measured.</p>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)


def render_reid_markdown(figures: dict[str, Any], *, source: str) -> str:
    """reid.md: the same figures as Markdown tables."""
    lines = [
        f"# Re-identification: {source}",
        "",
        f"{figures['records']:,} records. {figures['context']}",
        "",
        "## Unique records per quasi-identifier set",
        "",
        "| " + " | ".join(SET_HEADERS) + " |",
        "|---" + "|--:" * (len(SET_HEADERS) - 1) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _set_rows(figures)]
    gen = figures["generalisation"]
    lines += [
        "",
        "## Generalisation: unique share on sex + date level + place level",
        "",
        "| date \\ place | " + " | ".join(gen["place_levels"]) + " |",
        "|---" + "|--:" * len(gen["place_levels"]) + "|",
    ]
    for level, row in zip(gen["date_levels"], gen["grid"], strict=True):
        lines.append(f"| {level} | " + " | ".join(pct(c["unique_share"]) for c in row) + " |")
    comments = figures.get("comments")
    if comments:
        lines += [
            "",
            "## Identifiers left in the comments",
            "",
            f"{comments['records_with_readable_identifiers']:,} records have an identifier"
            " readable in their comment.",
            "",
            "| Quasi-identifiers | Unique | Unique + comment identifiers |",
            "|---|--:|--:|",
        ]
        lines += [
            f"| {s['name']} | {pct(s['unique_share_without'])} | {pct(s['unique_share_with'])} |"
            for s in comments["sets"]
        ]
    return "\n".join(lines) + "\n"
