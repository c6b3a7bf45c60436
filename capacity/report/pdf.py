"""The report as PDF: the self-contained HTML page printed by headless Chromium.

Chromium is found as ``$CAPACITY_CHROMIUM`` or the first of ``chromium``,
``chromium-browser``, ``google-chrome`` on ``PATH`` (Debian: ``apt-get install chromium``).
It runs with a fresh profile in a temporary folder, no network services (background
networking, component updates, sync off) and no header or footer on the pages; the page
itself fetches nothing. The print stylesheet (A4, 12 mm margins, figures and the verdict
box kept whole) is in :mod:`capacity.report.document`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from capacity.errors import CapacityError

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 180.0


class PdfError(CapacityError):
    """No Chromium, or Chromium did not print the page."""


def find_chromium() -> str | None:
    """The Chromium binary to use, or None."""
    env = os.environ.get("CAPACITY_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else shutil.which(env)
    return next((p for p in map(shutil.which, NAMES) if p), None)


def chromium_args(exe: str, profile: Path) -> list[str]:
    """Headless Chromium with a fresh profile and nothing running in the background."""
    args = [exe, "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--mute-audio",
            f"--user-data-dir={profile}"]
    # Chromium refuses to start its sandbox as root (containers, CI); the page it prints is
    # our own, without scripts or network, so it runs without one there.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def html_to_pdf(html: str, out: Path, *, chromium: str | None = None,
                timeout: float = TIMEOUT) -> None:
    """Print ``html`` to the PDF file ``out`` (PdfError when Chromium is missing or fails)."""
    exe = chromium or find_chromium()
    if exe is None:
        raise PdfError("a PDF report needs Chromium (Debian: apt-get install chromium; or "
                       "set CAPACITY_CHROMIUM=/path/to/chrome); write .html or .md instead")
    with tempfile.TemporaryDirectory(prefix="capacity-pdf-") as tmp:
        t = Path(tmp)
        page = t / "report.html"
        page.write_text(html, encoding="utf-8")
        target = t / "report.pdf"
        cmd = [*chromium_args(exe, t / "profile"), "--no-pdf-header-footer",
               f"--print-to-pdf={target}", page.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "HOME": str(t)}, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not print the report within {timeout:g} s") from None
        except OSError as e:
            raise PdfError(f"cannot run {exe}: {e.strerror or e}") from None
        if not target.exists() or target.read_bytes()[:5] != b"%PDF-":
            tail = " ".join((proc.stderr or "").split()[-40:])
            raise PdfError(f"Chromium printed no PDF (exit {proc.returncode}): {tail}")
        shutil.copyfile(target, out)
