"""Offered load: synthetic shapes and trace replay (capacity.sim.loadgen)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capacity.scenario.model import Load
from capacity.sim.loadgen import build_load

TRACE = Path(__file__).resolve().parents[1] / "data" / "traces" / "nasa_requests_per_minute_2days.csv"


def rate_at(times, rates, t):
    return rates[np.searchsorted(times, t, side="right") - 1]


def gen(spec, duration=86400.0, seed=0):
    return build_load(Load.model_validate(spec), duration, np.random.default_rng(seed))


def test_constant_steps_and_spikes():
    t, r = gen({"steps": [{"at": "1h", "rps": 10}, {"at": "2h", "rps": 30}],
                "spikes": [{"at": "150m", "duration": "10m", "factor": 3}]}, 4 * 3600)
    assert rate_at(t, r, 1800) == 0  # before the first step
    assert rate_at(t, r, 3600) == 10 and rate_at(t, r, 7199) == 10
    assert rate_at(t, r, 7200) == 30
    assert rate_at(t, r, 150 * 60) == 90 and rate_at(t, r, 160 * 60 - 1) == 90
    assert rate_at(t, r, 160 * 60) == 30


def test_diurnal_weekday_peak_and_weekend():
    spec = {"diurnal": {"min": 10, "max": 110, "peakHour": 14, "weekendFactor": 0.5},
            "resolution": "1m"}
    t, r = gen(spec, 7 * 86400)
    # Monday 14:00 is the peak: the 1 m segment centred on 14:00:30 is within 0.01 of 110.
    assert rate_at(t, r, 14 * 3600) == pytest.approx(110, abs=0.01)
    # 02:00 is 12 h from the peak: the minimum.
    assert rate_at(t, r, 2 * 3600) == pytest.approx(10, abs=0.01)
    # Saturday (day 5) 14:00: half.
    assert rate_at(t, r, 5 * 86400 + 14 * 3600) == pytest.approx(55, abs=0.01)


def test_noise_has_mean_one_and_the_stated_cv():
    _, r = gen({"constant": 100, "noise": {"cv": 0.2, "interval": "1m"}}, 30 * 86400, seed=3)
    # 43,200 independent lognormal draws: the mean is within 0.5% (4.5 standard errors of
    # 0.2/sqrt(43200) = 0.1%) and the cv within 2% of 0.2.
    assert r.mean() == pytest.approx(100, rel=0.005)
    assert r.std() / r.mean() == pytest.approx(0.2, rel=0.02)


def test_trace_per_minute_counts_become_rps():
    df = pd.read_csv(TRACE)
    t, r = gen({"trace": {"path": str(TRACE), "timeColumn": "time",
                          "valueColumn": "number_of_requests", "unit": "perMinute"}}, 86400)
    # minute k of the trace is served at count/60 rps from 60 k seconds
    for k in (0, 1, 600, 1439):
        assert rate_at(t, r, 60 * k + 30) == pytest.approx(df.number_of_requests[k] / 60)


def test_trace_resample_scale_offset_and_loop():
    df = pd.read_csv(TRACE)
    t, r = gen({"trace": {"path": str(TRACE), "timeColumn": "time",
                          "valueColumn": "number_of_requests", "unit": "perMinute",
                          "resample": "10m", "scale": 2.0, "startOffset": "1h"}}, 3 * 86400)
    counts = df.number_of_requests.to_numpy()
    # bucket 0 after the 1 h offset is minutes 60..69: mean count / 60 x scale 2
    assert rate_at(t, r, 5) == pytest.approx(counts[60:70].mean() / 60 * 2)
    assert rate_at(t, r, 600 + 5) == pytest.approx(counts[70:80].mean() / 60 * 2)
    # The 2-day trace minus the hour is 47 h long; it loops for a 3-day run.
    assert rate_at(t, r, 47 * 3600 + 5) == pytest.approx(rate_at(t, r, 5))
