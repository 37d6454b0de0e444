"""report.html: one self-contained file, charts drawn as inline SVG, no script, no CDN.

It must open offline, from an e-mail attachment or a CI artefact, years later, so it
carries its own CSS and draws its charts as SVG elements computed here: per-category
precision and recall bars, leak rates with their intervals, and where the time went.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .fmt import pct, rate
from .tables import Table, all_tables, category_rows, summary_lines

__all__ = ["render_html"]

PRECISION, RECALL, ACCENT, MUTED = "#3b6fb6", "#e08a2c", "#b8423a", "#9aa5b1"
STAGES = (
    ("load_seconds", "load", "#9aa5b1"),
    ("detector_seconds", "detector", "#3b6fb6"),
    ("reading_seconds", "reading", "#7fb069"),
    ("scoring_seconds", "scoring", "#e08a2c"),
    ("writing_seconds", "writing files", "#b8423a"),
)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:980px;color:#1d2733;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;
border-bottom:1px solid #dde3ea;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .7rem;
border-bottom:1px solid #eef1f4;text-align:right}td:first-child,th:first-child{text-align:left}
th{background:#f5f7f9}.note{color:#5b6773;font-size:.9em}.partial{background:#fdecea;
border-left:4px solid #b8423a;padding:.6rem 1rem}dl{display:grid;grid-template-columns:max-content
auto;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}svg text{font:12px system-ui,sans-serif;
fill:#1d2733}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
"""


def _legend(items: list[tuple[str, str]], y: float) -> str:
    out, x = [], 0.0
    for name, color in items:
        out.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="{y + 9}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return "".join(out)


def category_chart(rows: list[tuple[str, float | None, float | None, int]]) -> str:
    """Horizontal precision/recall bar pairs, one pair per category."""
    if not rows:
        return ""
    label_w, bar_w, row_h = 150, 380, 26
    height = row_h * len(rows) + 30
    parts = [
        f'<svg width="{label_w + bar_w + 60}"'
        f' height="{height}" role="img" aria-label="Precision and recall per category">'
    ]
    for i, (cat, p, r, _) in enumerate(rows):
        y = i * row_h
        parts.append(f'<text x="0" y="{y + 15}">{escape(cat)}</text>')
        for j, (value, color) in enumerate(((p, PRECISION), (r, RECALL))):
            w = (value or 0.0) * bar_w
            yy = y + 3 + j * 10
            parts.append(
                f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="9" fill="{color}">'
                f"<title>{escape(cat)} {'precision' if j == 0 else 'recall'}: {pct(value)}</title>"
                "</rect>"
            )
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{yy + 8}">{pct(value, 0)}</text>')
    parts.append(
        f'<g transform="translate({label_w},{height - 14})">'
        + _legend([("precision", PRECISION), ("recall", RECALL)], 0)
        + "</g></svg>"
    )
    return "".join(parts)


def leak_chart(results: dict[str, Any]) -> str:
    """Leak rate per group (overlap and full coverage), with the bootstrap interval."""
    leak = results["metrics"].get("leak")
    if not leak:
        return ""
    headline = results["metrics"]["headline"]
    groups = [g for g in ("sensitive", "identifier") if leak.get(g)]
    bar_w, label_w = 320, 90
    parts = [
        f'<svg width="{label_w + bar_w + 70}"'
        f' height="{len(groups) * 44 + 30}" role="img" aria-label="Leak rates">'
    ]
    for i, group in enumerate(groups):
        block, y = leak[group], i * 44
        parts.append(f'<text x="0" y="{y + 16}">{group}</text>')
        for j, (key, color) in enumerate(
            (("leak_rate_overlap", ACCENT), ("leak_rate_full", MUTED))
        ):
            w = block[key] * bar_w
            parts.append(
                f'<rect x="{label_w}" y="{y + 4 + j * 16}" width="{w:.1f}" height="14"'
                f' fill="{color}"><title>{group} {key}: {pct(block[key])}</title></rect>'
                f'<text x="{label_w + w + 4:.1f}" y="{y + 15 + j * 16}">{pct(block[key])}</text>'
            )
        h = headline.get(f"leak_rate_{group}") or {}
        if h.get("ci_low") is not None:
            lo, hi = label_w + h["ci_low"] * bar_w, label_w + h["ci_high"] * bar_w
            parts.append(
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + 11}" y2="{y + 11}" stroke="#1d2733"'
                ' stroke-width="1.5"><title>95% CI</title></line>'
            )
    legend = [("leak (overlap) with 95% CI", ACCENT), ("leak (full coverage)", MUTED)]
    parts.append(
        f'<g transform="translate({label_w},{len(groups) * 44 + 10})">'
        + _legend(legend, 0)
        + "</g></svg>"
    )
    return "".join(parts)


EXPOSURE_BARS: tuple[tuple[str, str, str], ...] = (
    ("span_sensitive_f1", "sensitive span F1", PRECISION),
    ("span_identifier_f1", "identifier span F1", PRECISION),
    ("protection_sensitive", "notes with every sensitive span masked", "#7fb069"),
    ("protection_identifier", "notes with every identifier masked", "#7fb069"),
    ("linked_disclosure", "linked disclosure", ACCENT),
    ("severity_leak", "severity-weighted leak", ACCENT),
    ("char_leak_rate", "character leak rate", ACCENT),
    ("over_redaction", "over-redaction", MUTED),
)


def exposure_chart(results: dict[str, Any]) -> str:
    """Span F1 per group and what a redaction by the detector would still expose, with
    the bootstrap interval of each figure."""
    headline = results["metrics"]["headline"]
    rows = [(key, label, colour) for key, label, colour in EXPOSURE_BARS if headline.get(key)]
    rows = [r for r in rows if headline[r[0]].get("value") is not None]
    if not rows:
        return ""
    label_w, bar_w, row_h = 270, 300, 22
    parts = [
        f'<svg width="{label_w + bar_w + 70}" height="{row_h * len(rows) + 6}" role="img"'
        ' aria-label="Span F1 per group and exposure">'
    ]
    for i, (key, label, colour) in enumerate(rows):
        h, y = headline[key], i * row_h
        w = h["value"] * bar_w
        parts.append(
            f'<text x="0" y="{y + 15}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="14" fill="{colour}">'
            f"<title>{escape(label)}: {pct(h['value'])}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{pct(h["value"])}</text>'
        )
        if h.get("ci_low") is not None:
            lo, hi = label_w + h["ci_low"] * bar_w, label_w + h["ci_high"] * bar_w
            parts.append(
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + 11}" y2="{y + 11}"'
                ' stroke="#1d2733" stroke-width="1.5"><title>95% CI</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)


def time_chart(results: dict[str, Any]) -> str:
    """Where the wall time went, as one stacked bar, and the detector's speed."""
    t = results["throughput"]
    total = sum(t[key] or 0.0 for key, _, _ in STAGES) or 1.0
    width, x = 560, 0.0
    parts = [
        f'<svg width="{width + 10}" height="86" role="img"'
        ' aria-label="Time per stage">'
        f'<text x="0" y="14">{rate(t["comments_per_second"])} comments/s,'
        f" {rate(t['chars_per_second'])} chars/s (warm-up excluded)</text>"
    ]
    for key, name, color in STAGES:
        w = (t[key] or 0.0) / total * width
        parts.append(
            f'<rect x="{x:.1f}" y="24" width="{w:.1f}" height="22" fill="{color}">'
            f"<title>{name}: {t[key] or 0.0:.3f} s</title></rect>"
        )
        x += w
    parts.append(
        '<g transform="translate(0,60)">'
        + _legend([(n, c) for _, n, c in STAGES], 0)
        + "</g></svg>"
    )
    return "".join(parts)


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return f"<h2>{escape(table.title)}</h2><table><tr>{head}</tr>{body}</table>{note}"


def render_html(results: dict[str, Any]) -> str:
    """The whole report as one HTML document with inline CSS and SVG."""
    name = escape(results["detector"]["name"])
    status = results["status"]
    banner = (
        f'<p class="partial"><strong>Partial results.</strong> {escape(status["fault"])}.'
        " Figures cover the records scored before the fault.</p>"
        if status["partial"]
        else ""
    )
    summary = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
        for label, value in summary_lines(results)
    )
    charts = [
        ("Precision and recall per category", category_chart(category_rows(results))),
        ("Leak rate", leak_chart(results)),
        ("What a redaction by this detector would leave", exposure_chart(results)),
        ("Throughput", time_chart(results)),
    ]
    chart_html = "".join(
        f"<figure><figcaption><strong>{title}</strong></figcaption>{svg}</figure>"
        for title, svg in charts
        if svg
    )
    tables = "".join(_table_html(t) for t in all_tables(results))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>breachbench: {name}</title><style>{CSS}</style></head><body>"
        f"<h1>breachbench: {name}</h1>{banner}<dl>{summary}</dl>"
        f'<div class="charts">{chart_html}</div>{tables}</body></html>\n'
    )
