"""Exactness gate for speed work: short runs of every ready scenario must give bit-identical
results (summary, timeseries, events and the raw run outcomes) to the golden digests recorded
from the code before the optimisations (tests/sim/data/speed_golden.json).

A digest hashes every float by its bytes, so float reassociation anywhere shows up here.

The digests are kept per numeric platform (:func:`platform_key`): their last bits depend on
the machine as well as the code (on an AVX-512 machine, unchanged code gave other summary
and outcome digests than the first recording; numpy's SIMD level changes the latency
columns, and scipy's special functions or libm may differ too). On a platform with a
recording the digests must match it; elsewhere they must match one of the recordings, or the test says
that it cannot check this platform (a skip that names it). Add this platform's digests from
unchanged code (``--add-platform``), and re-record everything only for an intended change
of the model's numbers (``--record``, which drops the other platforms' digests):

    python tests/sim/test_speed_exact.py --add-platform
    python tests/sim/test_speed_exact.py --record
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "data" / "speed_golden.json"
SCENARIOS = ROOT / "scenarios"
DAY = 86400.0


def _feed(h: Any, x: Any) -> None:
    """Hash ``x`` canonically: floats by their bits, containers in their own order."""
    if x is None or isinstance(x, (bool, str)):
        h.update(f"{type(x).__name__}:{x}|".encode())
    elif isinstance(x, (int, np.integer)):
        h.update(f"i:{int(x)}|".encode())
    elif isinstance(x, (float, np.floating)):
        h.update(b"f:" + struct.pack("<d", float(x)))
    elif isinstance(x, np.ndarray):
        h.update(f"a:{x.dtype.str}:{x.shape}|".encode())
        if x.dtype == object:
            for v in x.ravel().tolist():
                _feed(h, v)
        else:
            h.update(np.ascontiguousarray(x).tobytes())
    elif isinstance(x, pd.DataFrame):
        h.update(f"df:{list(x.columns)}:{len(x)}|".encode())
        for c in x.columns:
            _feed(h, x[c].to_numpy())
    elif isinstance(x, dict):
        h.update(f"d:{len(x)}|".encode())
        for k, v in x.items():
            _feed(h, k)
            _feed(h, v)
    elif isinstance(x, (list, tuple)):
        h.update(f"l:{len(x)}|".encode())
        for v in x:
            _feed(h, v)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        h.update(f"dc:{type(x).__name__}|".encode())
        for f in dataclasses.fields(x):
            _feed(h, f.name)
            _feed(h, getattr(x, f.name))
    elif hasattr(x, "__dict__"):
        h.update(f"o:{type(x).__name__}|".encode())
        _feed(h, vars(x))
    else:
        h.update(f"r:{x!r}|".encode())


def digest(x: Any) -> str:
    h = hashlib.sha256()
    _feed(h, x)
    return h.hexdigest()[:24]


def _summary_json(summary: dict[str, Any]) -> str:
    # json writes floats with repr (round-trip exact); NaN and inf as their names.
    return json.dumps(summary, default=str, allow_nan=True)


def result_digests(res: Any) -> dict[str, str]:
    outs = [(o.run, o.duration, o.integrals, o.event_counts, o.replicas_min, o.replicas_max,
             o.columns, o.events, o.extra) for o in res.outcomes]
    return {
        "summary": hashlib.sha256(_summary_json(res.summary).encode()).hexdigest()[:24],
        "timeseries": digest(res.timeseries),
        "events": digest(res.events),
        "outcomes": digest(outs),
    }


def _load(name: str) -> Any:
    import capacity

    return capacity.load_scenario(SCENARIOS / name)


def _zone_random() -> Any:
    """zone-outage.yaml with frequent random node and zone failures (the study's kind)."""
    from capacity.scenario.model import NodeFailures, ZoneFailures

    sc = _load("zone-outage.yaml").model_copy(deep=True)
    sc.failures.nodes = NodeFailures(mtbf=2 * DAY)
    sc.failures.zones = ZoneFailures(mtbf=6 * DAY)
    return sc


def _spot_often() -> Any:
    """spot.yaml with reclaims every few node-days."""
    sc = _load("spot.yaml").model_copy(deep=True)
    sc.failures.spot[0].ratePerNodeDay = 0.4
    return sc


CUSTOM = {
    "name": "custom-metrics-speed",
    "simulation": {"duration": "2h", "seed": 1},
    "workload": {
        "name": "web",
        "deployment": {"template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"}}}]}}},
        "startup": {"schedulingDelay": "2s", "imagePull": "5s", "containerStart": "3s"},
        "demand": {"cpuPerRequest": 0.02, "concurrency": 4, "latency": "20ms"},
    },
    "load": {"steps": [{"at": "0s", "rps": 10}, {"at": "30m", "rps": 40},
                       {"at": "1h", "rps": 90}, {"at": "90m", "rps": 15}],
             "noise": {"cv": 0.1, "interval": "1m"}},
    "autoscaling": {"horizontal": {"minReplicas": 2, "maxReplicas": 20, "metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 60}}},
        {"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                  "target": {"type": "AverageValue", "averageValue": "6"}}},
        {"type": "Pods", "pods": {"metric": {"name": "http_request_duration_seconds_p99"},
                                  "target": {"type": "AverageValue", "averageValue": "150m"}}},
    ]}},
}


def _custom() -> Any:
    from capacity.scenario.loader import scenario_from_dict

    return scenario_from_dict(copy.deepcopy(CUSTOM))


# name -> (scenario factory, simulate() keyword arguments)
CASES: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {
    **{f"{p.stem}-1d": ((lambda p=p: _load(p.name)),
                        {"runs": 2, "seed": 11, "duration": DAY, "record": True})
       for p in sorted(SCENARIOS.glob("*.yaml"))},
    "peak-7d": ((lambda: _load("peak.yaml")),
                {"runs": 2, "seed": 5, "duration": 7 * DAY, "record": True}),
    # the scheduled events of these two lie beyond the first day
    "node-upgrade-3d": ((lambda: _load("node-upgrade.yaml")),
                        {"runs": 1, "seed": 3, "duration": 3 * DAY, "record": True}),
    "zone-outage-2d": ((lambda: _load("zone-outage.yaml")),
                       {"runs": 1, "seed": 3, "duration": 2 * DAY, "record": True}),
    "spot-often-2d": (_spot_often, {"runs": 1, "seed": 6, "duration": 2 * DAY, "record": True}),
    "zone-random-4d-norecord": (_zone_random,
                                {"runs": 2, "seed": 2, "duration": 4 * DAY, "record": False}),
    "custom-metrics-2h": (_custom, {"runs": 2, "seed": 4, "duration": 2 * 3600.0,
                                    "record": True}),
}


def compute(name: str) -> dict[str, str]:
    import capacity

    factory, kw = CASES[name]
    res = capacity.simulate(factory(), workers=1, progress=False, **kw)
    return result_digests(res)


def platform_key() -> str:
    """What decides the last bits of the numbers here: the numpy and scipy versions,
    Python and the system, the machine and the SIMD extensions numpy dispatches to, the
    BLAS kernels and the C library (Python's math functions)."""
    import platform

    import scipy

    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    on = sorted(f for f in __cpu_dispatch__ if __cpu_features__.get(f))
    return (f"numpy {np.__version__} scipy {scipy.__version__} python "
            f"{platform.python_version()} {platform.system()} {platform.machine()} "
            f"{'+'.join(on)} blas {_blas_core()} {' '.join(platform.libc_ver())}")


def _blas_core() -> str:
    """The kernel set numpy's OpenBLAS chose for this CPU (its dot products' last bits
    follow it; two machines whose key was the same without it and the C library gave other
    digests on the same code). "?" where it cannot be asked."""
    import ctypes

    libs = sorted((Path(np.__file__).parent.parent / "numpy.libs").glob("*openblas*"))
    for lib in libs:
        so = ctypes.CDLL(str(lib))
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                     "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(so, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return "?"


def _golden() -> dict[str, dict[str, dict[str, str]]]:
    """``{platform_key: {case: {summary, timeseries, events, outcomes}}}``."""
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


@pytest.mark.parametrize("name", list(CASES))
def test_results_bit_identical_to_golden(name: str) -> None:
    golden = _golden()
    if not any(name in p for p in golden.values()):
        pytest.fail(f"no golden digest for {name}: run python tests/sim/{Path(__file__).name} --record")
    got = compute(name)
    here = golden.get(platform_key())
    if here is not None and name in here:
        assert got == here[name]
    elif not any(p.get(name) == got for p in golden.values()):
        pytest.skip(f"no digests of {name} are recorded for this platform ({platform_key()}) "
                    f"and it matches none of the {len(golden)} recorded (numpy's SIMD "
                    f"functions differ in the last bits): record them from unchanged code "
                    f"with python tests/sim/{Path(__file__).name} --add-platform")


def test_digest_sees_the_last_bit() -> None:
    a = pd.DataFrame({"x": [0.1, 0.2]})
    b = pd.DataFrame({"x": [0.1, math.nextafter(0.2, 1.0)]})
    assert digest(a) != digest(b)
    assert digest({"k": 1.0}) != digest({"k": 1})


if __name__ == "__main__":
    if not {"--record", "--add-platform"} & set(sys.argv):
        sys.exit("usage: python tests/sim/test_speed_exact.py --record | --add-platform")
    sys.path.insert(0, str(ROOT))
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    # --record: an intended change of the numbers, so every other platform's digests go
    golden = {} if "--record" in sys.argv else _golden()
    if platform_key() in golden:  # --add-platform must not bless a change here
        sys.exit(f"digests for {platform_key()} are recorded already: the gate checks them; "
                 "use --record for an intended change of the numbers")
    got = {n: compute(n) for n in CASES}
    golden[platform_key()] = got
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(got)} golden digests for {platform_key()} to {GOLDEN}")
