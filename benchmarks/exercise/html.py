"""Markdown -> one self-contained HTML page (handouts, solution sheets), no CDN, no script.

``markdown-it-py`` ships with ``rich`` (a dependency already), so no new package is
needed. The page carries its own CSS; long code lines wrap and tables scroll inside their
box, so nothing overflows a phone or a projector.
"""

from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt

CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:860px;color:#1d2733;padding:0 1rem}h1{font-size:1.7rem;line-height:1.25}
h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #dde3ea}h3{font-size:1.08rem}
table{border-collapse:collapse;margin:.6rem 0;display:block;max-width:100%;overflow-x:auto}
td,th{padding:.3rem .6rem;border-bottom:1px solid #eef1f4;text-align:left;vertical-align:top}
th{background:#f5f7f9}code{background:#f2f4f7;padding:.05rem .25rem;border-radius:3px;
overflow-wrap:anywhere}pre{background:#f2f4f7;padding:.7rem 1rem;white-space:pre-wrap;
overflow-wrap:anywhere}pre code{padding:0}em{color:#3b4a5a}
"""


def markdown_page(text: str, *, lang: str = "en") -> str:
    """``text`` rendered as a complete HTML document; the first heading is the title."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), "")
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )
