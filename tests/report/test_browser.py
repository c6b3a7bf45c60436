"""The HTML report in a real headless browser (Chromium from Debian's packages, driven over
the DevTools protocol): the verdict on the first screen, no horizontal scrolling at 1280
px, no console errors, every plot loaded and drawn; screenshots of the first screen and
of the whole page.

Skips with a reason when Chromium is missing; with ``CAPACITY_REQUIRE_TOOLS=1`` (set by
``.ci/run``, which installs it) a missing Chromium fails instead. Set
CAPACITY_SCREENSHOTS=/some/folder to keep the screenshots.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from capacity.report import style
from capacity.report.build import build_document, run_scenarios, write_report
from tests.report.cdp import Browser, chromium

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1280, 800

OVERFLOW_JS = """(() => {
  const w = window.innerWidth, out = [];
  if (document.documentElement.scrollWidth > w) out.push('page ' + document.documentElement.scrollWidth);
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.right > w + 0.5) out.push(e.tagName + ' right ' + Math.round(r.right));
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
      out.push(e.tagName + ' scrolls ' + e.scrollWidth + '>' + e.clientWidth);
  }
  return out.slice(0, 20);
})()"""


@pytest.fixture(scope="module")
def peak_run():
    return run_scenarios([ROOT / "scenarios" / "peak.yaml"], runs=1, duration="3d", workers=1,
                         search_runs=1, worked_example="off")[0]


def _keep(*paths: Path) -> None:
    keep = os.environ.get("CAPACITY_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for p in paths:
            shutil.copy(p, Path(keep) / p.name)


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255


def pixels_near(img: np.ndarray, colour: str, tol: float = 0.05) -> int:
    return int((np.abs(img[..., :3] - _rgb(colour)).max(axis=-1) <= tol).sum())


def _check_page(b: Browser, page: Path, tmp: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    b.open(page)
    assert b.js("[window.innerWidth, window.innerHeight]") == [WIDTH, HEIGHT]
    # Every image decoded (a broken data URI would have no natural size).
    assert b.js("Array.from(document.images).every(i => i.complete && i.naturalWidth > 100)")
    assert b.js(OVERFLOW_JS) == []
    # The first verdict box is wholly on the first screen, with its status words.
    r = b.js("(() => { const r = document.querySelector('section.verdict')"
             ".getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; })()")
    assert 0 <= r[0] < 200 and r[1] <= HEIGHT and r[3] <= WIDTH, r
    assert b.js("document.querySelector('section.verdict .status').innerText") in (
        "✔ PASS", "⚠ PASS WITH CAVEATS", "✘ FAIL")
    first = b.screenshot(tmp / f"{name}-first-screen.png")
    full = b.screenshot(tmp / f"{name}-full-page.png", full=True)
    assert b.console == [], b.console
    _keep(first, full)
    return mpimg.imread(first), mpimg.imread(full)


def test_report_in_chromium(peak_run, tmp_path):
    exe = chromium()
    page = tmp_path / "report.html"
    doc = build_document([peak_run])
    write_report(doc, page)
    with Browser(exe, tmp_path, WIDTH, HEIGHT) as b:
        first, full = _check_page(b, page, tmp_path, "report")
        # A page whose images are broken is caught by the same checks.
        bare = tmp_path / "bare.html"
        bare.write_text(page.read_text().replace("data:image/png;base64,",
                                                 "data:image/png;base64,x"))
        b.open(bare)
        assert not b.js("Array.from(document.images).every(i => i.naturalWidth > 100)")
        broken = b.screenshot(tmp_path / "bare.png", full=True)
    assert first.shape[:2] == (HEIGHT, WIDTH)
    # The verdict box's status colour is on the first screen.
    status = {"ok": style.OKABE_ITO["green"], "warn": style.OKABE_ITO["orange"],
              "fail": style.OKABE_ITO["vermillion"]}[doc.blocks[0].status]
    assert pixels_near(first, status) > 2000
    assert full.shape[1] == WIDTH and full.shape[0] > 4000
    # The plots are drawn: the series colours the page's CSS does not use are on the page,
    # and not on the page with broken images.
    from capacity.report.document import _CSS

    kinds = [k for k in ("offered", "util_cpu", "capacity", "p99")
             if style.SERIES[k].colour.lower() not in _CSS.lower()]
    assert kinds == ["offered", "util_cpu"]
    for kind in kinds:
        colour = style.SERIES[kind].colour
        assert pixels_near(full, colour) > 300, kind
        assert pixels_near(mpimg.imread(broken), colour) < 300, kind


def test_several_scenarios_in_chromium(peak_run, tmp_path):
    """The widest page: a verdict per scenario and the comparison table of three."""
    exe = chromium()
    runs = []
    for i, name in enumerate(["sandbox-executor-peak", "a-much-longer-scenario-name-for-width",
                              "third-one"]):
        r = copy.copy(peak_run)
        r.scenario = peak_run.scenario.model_copy(deep=True)
        r.scenario.name = name
        r.summary = copy.deepcopy(peak_run.summary)
        r.summary["cost"]["per_month"] *= 1 + 0.1 * i
        runs.append(r)
    page = tmp_path / "three.html"
    write_report(build_document(runs), page)
    with Browser(exe, tmp_path, WIDTH, HEIGHT) as b:
        _check_page(b, page, tmp_path, "three-scenarios")
        assert b.js("document.querySelectorAll('section.verdict').length") == 3
