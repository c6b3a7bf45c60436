"""notebooks/03-cost-report.ipynb runs top to bottom and builds the report."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NB = Path(__file__).resolve().parents[2] / "notebooks" / "03-cost-report.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NB, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_cost_report_notebook_runs():
    nb = nbformat.read(NB, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NB.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "OpenCost public defaults" in text and "peak-1d.html" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
