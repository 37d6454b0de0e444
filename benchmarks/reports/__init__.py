"""Renderings of results.json: Markdown, a self-contained HTML report, a terminal table.

Every renderer takes the results dict (or leaderboard rows) and returns text or a rich
renderable; none computes a metric, so the files always agree with results.json.
"""

from .html import render_html
from .markdown import render_leaderboard_markdown, render_markdown
from .terminal import comparisons_table, leaderboard_table

__all__ = [
    "comparisons_table",
    "leaderboard_table",
    "render_html",
    "render_leaderboard_markdown",
    "render_markdown",
]
