from pathlib import Path

import numpy as np
import pytest

from capacity.scenario.loader import load_scenario
from capacity.sim.engine import Model

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def scenario():
    def load(name: str):
        return load_scenario(DATA / "scenarios" / name)

    return load


def run_model(sc, phases=(0.0, 1.0), duration=None, seed=1):
    """One run with fixed phases: scrapes at 0, 15, 30 ...; HPA syncs at 1, 16, 31 ..."""
    m = Model(sc, 0, np.random.SeedSequence(seed), duration=duration, phases=phases)
    return m, m.run()
