"""The HTML report in a real headless browser (Chromium from Debian's packages).

Skips with a reason when Chromium is missing; with ``CAPACITY_REQUIRE_TOOLS=1`` (set by
``.ci/run``, which installs it) a missing Chromium fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from capacity.report.build import build_document, run_scenarios, write_report
from capacity.report.plots import PALETTE

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str:
    exe = os.environ.get("CAPACITY_CHROMIUM") or next(
        (p for p in map(shutil.which, NAMES) if p), None)
    if exe is None:
        msg = "Chromium not found (Debian: apt-get install chromium)"
        if os.environ.get("CAPACITY_REQUIRE_TOOLS") == "1":
            pytest.fail(msg + "; CAPACITY_REQUIRE_TOOLS=1 makes this a failure")
        pytest.skip(msg)
    return exe


def screenshot(exe: str, page: Path, png: Path, tmp: Path, height: int) -> None:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}",
           f"--screenshot={png}", f"--window-size=1280,{height}", page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp)})
    assert png.exists(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"


def rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)


def pixels_near(img: np.ndarray, colour: str, tol: float = 12.0) -> int:
    d = np.abs(img[..., :3] * 255.0 - rgb(colour)).max(axis=-1)
    return int((d <= tol).sum())


def test_html_report_renders_with_its_plots(tmp_path):
    exe = chromium()
    import matplotlib.image as mpimg

    runs = run_scenarios([ROOT / "scenarios" / "peak.yaml"], runs=1, duration="1d", workers=1,
                         search_runs=1, worked_example="off")
    page = tmp_path / "report.html"
    write_report(build_document(runs), page)
    png = tmp_path / "shot.png"
    # Tall enough for the whole page, so the last plot (cost) is in the picture.
    screenshot(exe, page, png, tmp_path, height=7000)
    img = mpimg.imread(png)
    assert img.shape[1] == 1280 and img.shape[0] >= 3000
    # Not blank: a white page has no variance.
    assert float(img[..., :3].std()) > 0.05
    # The plots are drawn: their own colours (which the page's CSS never uses) are there.
    for key in ("load", "replicas", "util_cpu", "cpu", "memory"):
        assert pixels_near(img, PALETTE[key]) > 150, f"{key} colour {PALETTE[key]} not on the page"
    # And a page without its images has none of them (the check can fail).
    bare = tmp_path / "bare.html"
    bare.write_text(page.read_text().replace("data:image/png;base64,", "data:image/png;base64,x"))
    png2 = tmp_path / "bare.png"
    screenshot(exe, bare, png2, tmp_path, height=3000)
    assert pixels_near(mpimg.imread(png2), PALETTE["replicas"]) < 150
