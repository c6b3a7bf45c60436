"""The PDF report: Chromium's print of the HTML page, checked page by page with poppler's
pdfinfo, pdftotext and pdftoppm (Debian package poppler-utils).

Skips with a reason when Chromium or poppler-utils is missing; CAPACITY_REQUIRE_TOOLS=1
makes that a failure. Set CAPACITY_SCREENSHOTS=/some/folder to keep the page images.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from capacity.cli import main
from capacity.report import pdf, style
from capacity.report.build import build_document, run_scenarios, write_report
from tests.manifests.conftest import tool
from tests.report.cdp import chromium

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"


@pytest.fixture(scope="module")
def doc():
    return build_document(run_scenarios([PEAK], runs=1, duration="1d", workers=1,
                                        compare=False, worked_example="off"))


def pages(pdf_file: Path, tmp: Path, dpi: int = 50) -> list[np.ndarray]:
    subprocess.run([tool("pdftoppm"), "-r", str(dpi), "-png", str(pdf_file), str(tmp / "page")],
                   check=True, capture_output=True, timeout=120)
    files = sorted(tmp.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    keep = os.environ.get("CAPACITY_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copy(f, Path(keep) / f"pdf-{f.name}")
    return [mpimg.imread(f)[..., :3] for f in files]


def test_pdf_pages(doc, tmp_path):
    chromium()
    out = tmp_path / "peak.pdf"
    assert write_report(doc, out) == [out]
    assert out.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run([tool("pdfinfo"), str(out)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info), info
    assert n >= 4
    text = subprocess.run([tool("pdftotext"), "-f", "1", "-l", "1", "-layout", str(out), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert "Verdict: sandbox-executor-peak" in text and "Recommendation" in text
    imgs = pages(out, tmp_path)
    assert len(imgs) == n
    h, w = imgs[0].shape[:2]
    assert abs(w / h - 210 / 297) < 0.01
    status = {"ok": style.OKABE_ITO["green"], "warn": style.OKABE_ITO["orange"],
              "fail": style.OKABE_ITO["vermillion"]}[doc.blocks[0].status]
    rgb = np.array([int(status[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    # The verdict (its coloured border) is on page 1.
    assert (np.abs(imgs[0] - rgb).max(axis=-1) < 0.08).sum() > 200
    for i, img in enumerate(imgs):
        assert float(img.std()) > 0.02, f"page {i + 1} is blank"
        # Nothing cut off at the right: the margin (the last 4% of the width) is white.
        margin = img[:, int(w * 0.96):]
        assert float(margin.min()) > 0.9, f"page {i + 1}: something runs into the margin"
    # The plots are printed: a series colour on some page.
    cap = np.array([int(style.SERIES["capacity"].colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    assert sum(int((np.abs(p - cap).max(axis=-1) < 0.08).sum()) for p in imgs) > 100


def test_cli_writes_pdf(tmp_path):
    chromium()
    out = tmp_path / "r.pdf"
    rc = main(["report", str(PEAK), "-o", str(out), "--duration", "6h", "--runs", "1",
               "--no-compare", "--worked-example", "off"])
    assert rc == 0 and out.read_bytes()[:5] == b"%PDF-"


def test_no_chromium_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPACITY_CHROMIUM", str(tmp_path / "no-such-chrome"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pdf.find_chromium() is None
    with pytest.raises(pdf.PdfError, match="needs Chromium"):
        pdf.html_to_pdf("<html></html>", tmp_path / "x.pdf")
