"""The handout and the reid report render in a real headless browser: not blank, nothing
loaded from elsewhere, no horizontal overflow on a narrow window.

Skipped when no Chromium is installed (CI installs it: ``apt-get install -y chromium``), and
in ``pytest -m slow``: four browser launches take seconds of CPU, a twelfth of the default run.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from breachbench.benchmarks.exercise import create_exercise
from breachbench.benchmarks.reid import run_reid

BROWSER = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
pytestmark = [
    pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed"),
    pytest.mark.slow,
]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [BROWSER, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _png(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (still filtered) pixel stream of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def _check(page: Path, tmp: Path) -> None:
    html = page.read_text(encoding="utf-8")
    # Self-contained: nothing to fetch (no script, stylesheet, image or font from a URL).
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", html)
    assert "url(" not in html

    shot = tmp / f"{page.stem}.png"
    run = _chromium(tmp, f"--screenshot={shot}", "--window-size=1280,1800", page.as_uri())
    assert shot.exists(), run.stderr[-500:]
    width, height, pixels = _png(shot)
    assert (width, height) == (1280, 1800)
    # A blank page filters to (almost) only 0 and 255 bytes; text and charts do not.
    assert sum(1 for b in pixels if b not in (0, 255)) > 0.01 * len(pixels)

    # Overflow: measured in a probe copy (the report itself carries no script).
    probe = tmp / f"probe-{page.name}"
    probe.write_text(
        html.replace(
            "</body>",
            "<script>document.body.setAttribute('data-probe',"
            " document.documentElement.scrollWidth + 'x' + window.innerWidth)</script></body>",
        ),
        encoding="utf-8",
    )
    for window in ("700,900", "1280,900"):
        dom = _chromium(tmp, f"--window-size={window}", "--dump-dom", probe.as_uri()).stdout
        found = re.search(r'data-probe="(\d+)x(\d+)"', dom)
        assert found, dom[-500:]
        scroll, inner = int(found.group(1)), int(found.group(2))
        assert scroll <= inner, f"{page.name} overflows at {window}: {scroll} > {inner}"


def test_handout_and_reid_render(tmp_path: Path) -> None:
    kit = create_exercise(tmp_path / "kit", lang="fr", groups=1, rows=300)
    student = kit.root / "students" / "group-1"
    _check(student / "handout.html", tmp_path)
    summary = run_reid(student / "leak.parquet", tmp_path / "reid")
    _check(summary.out / "reid.html", tmp_path)
    english = create_exercise(tmp_path / "kit-en", lang="en", groups=1, rows=300)
    _check(english.root / "students" / "group-1" / "handout.html", tmp_path)


def test_blind_sheet_and_score_render(tmp_path: Path) -> None:
    """The reader's sheet and the organiser's score page render, and the sheet prints on A4."""
    from breachbench.benchmarks.blind import make_kit, score_html, score_kit

    hand = Path(__file__).resolve().parents[1] / "benchmarks/perf/handwritten/dev.jsonl"
    kit = make_kit(hand, tmp_path / "blind", rows=300, notes=12, seed=4).root
    _check(kit / "sheet.html", tmp_path)
    answers = tmp_path / "reader.csv"
    answers.write_text(
        (kit / "answers.csv").read_text(encoding="utf-8").replace(",,", ",main,oui"),
        encoding="utf-8",
    )
    page = tmp_path / "score.html"
    page.write_text(score_html(score_kit(kit, answers), answers="a", kit="k"), encoding="utf-8")
    _check(page, tmp_path)
    pdf = tmp_path / "sheet.pdf"
    _chromium(
        tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (kit / "sheet.html").as_uri()
    )
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert boxes and all(abs(float(w) - 595) < 1 and abs(float(h) - 842) < 1 for w, h in boxes)
