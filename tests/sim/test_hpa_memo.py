"""Reusing the HPA's metric computation when its inputs are unchanged changes nothing.

The simulation passes the controller a key (current replicas, a counter bumped by every
pod change the HPA reads, and the metric values), only when no pod is within the CPU
initialization period. Runs with and without the reuse must agree exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from capacity.scenario.loader import load_scenario
from capacity.sim.engine import Model

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name,duration", [
    ("scenarios/peak.yaml", 3 * 86400),
    ("scenarios/zone-outage.yaml", 2 * 86400),
    ("tests/data/scenarios/hpa-step.yaml", 3600),
    ("tests/data/scenarios/drain-pdb.yaml", 3 * 3600),
    ("tests/data/scenarios/autoscaler.yaml", 3 * 3600),
])
def test_memo_is_exact(name, duration):
    sc = load_scenario(ROOT / name)
    outs = [Model(sc, 0, np.random.SeedSequence(5), duration, hpa_memo=memo).run()
            for memo in (True, False)]
    a, b = outs
    assert a.events == b.events
    for k in a.columns:
        np.testing.assert_array_equal(a.columns[k], b.columns[k])
