"""Capacity reviews: the verdict first, then the evidence (``python -m capacity report``).

HTML (one self-contained page), Markdown (with its plots as PNGs beside it) or PDF
(Chromium's print of the HTML page).

>>> from capacity.report import report
>>> doc = report(["scenarios/peak.yaml"], "peak.html", duration="1d")   # doctest: +SKIP
"""

from capacity.report.build import (
    ScenarioRun,
    build_document,
    report,
    run_scenarios,
    write_report,
)
from capacity.report.document import Document, to_html, to_markdown

__all__ = [
    "Document",
    "ScenarioRun",
    "build_document",
    "report",
    "run_scenarios",
    "to_html",
    "to_markdown",
    "write_report",
]
