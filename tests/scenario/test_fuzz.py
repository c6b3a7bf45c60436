"""Property: a mutated scenario either simulates or is refused in one line naming the field.

Hypothesis mutates the shipped scenarios (``scenarios/*.yaml``, their ``extends`` chains
merged) one field at a time: wrong types, boundary and extreme numbers, NaN and
infinities, empty and missing values, wrong shapes, malformed durations, quantities and
percentages. Each mutated file goes through the real CLI (``simulate --duration 10m``,
one run): it must exit 0, or exit 2 with one line that names the mutated field (its path,
a parent or child of it, or its name in a cross-field rule). A crash, a traceback, a
warning or a run longer than a minute fails.

The same property covers grid files (``sweep --grid``). The default run keeps the
example counts small (well under a minute); ``-m slow`` runs the thorough version, which
prints how many mutated inputs it ran.
"""

from __future__ import annotations

import math
import re
import signal
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.cli import main
from tests.mutations import DELETE, get_at, loc_text, set_at, shaped

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
EXAMPLES = 40  # the default run
THOROUGH = 2500  # -m slow
PER_EXAMPLE_SECONDS = 60
COUNT = {"scenario": 0, "grid": 0}


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def merged(path: Path) -> dict:
    """A shipped scenario with its ``extends`` chain merged (as the loader merges it)."""
    data = yaml.safe_load(path.read_text())
    parent = data.pop("extends", None)
    return _merge(merged(path.parent / parent), data) if parent else data


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every field path of ``node`` (mappings, lists and leaves)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


BASES = {p.name: merged(p) for p in SHIPPED}
PATHS = [(name, path) for name, data in BASES.items() for path in paths(data)]

FIXED = [
    DELETE, None, "", [], {}, 0, -1, 1, 2, 2**31, 2**63, 10**30, -(10**30), 0.0, -0.0,
    0.5, 1e-308, 1e308, -1e308, math.nan, math.inf, -math.inf, True, False,
    "0s", "1ms", "0.0001s", "-5m", "1e308", "365d", "1e400", "1e9999999999", "1e-9999999999",
    "-1", "0", "250mm", "0%", "100%", "101%", "120%", "abc", "ñ", "\x00",
    "2026-13-45T99:00:00", "not-a-date", "Deployment", "zone-z", "general",
]
VALUES = st.one_of(
    st.sampled_from(FIXED),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
SHAPES = ("list of it", "mapping of it", "first item", "keys")


def names_the_field(line: str, path: tuple) -> bool:
    """The error is about the mutated field: its path, a parent or child of it, or (for a
    rule between fields) its name."""
    fields = re.findall(r"(?:^|: )([A-Za-z][\w.\[\]/-]*?): ", line)
    text = loc_text(path)
    for f in fields:
        if f == text or text.startswith(f + ".") or text.startswith(f + "[") \
                or f.startswith(text + ".") or f.startswith(text + "["):
            return True
    # A rule between fields names the other one in its text ("`selector` does not match
    # template `labels`", "must be >= minReplicas (3)").
    rule = line.split(f"{fields[-1]}: ", 1)[-1] if fields else line
    words = set(re.findall(r"[A-Za-z][\w-]*", rule))
    return any(str(p) in words for p in path[1:] if isinstance(p, str))


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang(f"no answer after {PER_EXAMPLE_SECONDS} s")


def run_cli(argv: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(PER_EXAMPLE_SECONDS)
    try:
        with warnings.catch_warnings(record=True) as caught:
            # numpy's overflow and invalid-value warnings mean nonsense numbers got in
            warnings.simplefilter("always", RuntimeWarning)
            rc = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = capsys.readouterr().err
    err += "".join(f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})\n"
                   for w in caught if issubclass(w.category, RuntimeWarning))
    return rc, err


def check(rc: int, err: str, path: tuple, what: str) -> None:
    lines = err.strip().splitlines()
    assert rc in (0, 2), f"{what}: exit {rc}: {err}"
    assert "Traceback" not in err and "Warning" not in err, f"{what}: {err}"
    if rc == 0:
        assert lines == [], f"{what}: {err}"
        return
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{what}: {err}"
    assert names_the_field(lines[0], path), f"{what}: the error does not name it: {lines[0]}"


def scenario_property(tmp: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str], pick: tuple, value: Any,
                      shape: str | None) -> None:
    import copy

    name, path = pick
    data = copy.deepcopy(BASES[name])
    new = shaped(get_at(data, path), shape) if shape else value
    set_at(data, path, new)
    what = f"{name}: {loc_text(path)} = {new!r}"[:300]
    (tmp / "x.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    COUNT["scenario"] += 1
    rc, err = run_cli(["simulate", "x.yaml", "--duration", "10m", "--runs", "1",
                       "--episodes", "0", "--workers", "1", "--no-progress"], tmp, monkeypatch,
                      capsys)
    check(rc, err, path, what)


MUTATION = st.tuples(st.sampled_from(PATHS), VALUES, st.one_of(st.none(), st.sampled_from(SHAPES)))


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=n == EXAMPLES,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@_settings(EXAMPLES)
@given(MUTATION)
def test_mutated_scenario_simulates_or_names_the_field(tmp_path, monkeypatch, capsys, m):
    scenario_property(tmp_path, monkeypatch, capsys, *m)


def _thorough(config: pytest.Config) -> None:
    expr = config.getoption("markexpr") or ""
    if "slow" not in expr or "not slow" in expr:
        pytest.skip("the thorough fuzz runs with -m slow")


@pytest.mark.slow
def test_mutated_scenario_thorough(tmp_path, monkeypatch, capsys, pytestconfig):
    _thorough(pytestconfig)

    @_settings(THOROUGH)
    @given(MUTATION)
    def prop(m):
        scenario_property(tmp_path, monkeypatch, capsys, *m)

    COUNT["scenario"] = 0
    prop()
    print(f"\nthorough scenario fuzz: {COUNT['scenario']} mutated inputs")


# --- grid files ---------------------------------------------------------------------

GRID = {
    "runs": 1,
    "duration": "10m",
    "parameters": {
        "autoscaling.horizontal.minReplicas": [3, 4],
        "autoscaling.horizontal.metrics[0].resource.target.averageUtilization": [70],
    },
}
GRID_PATHS = [*paths(GRID), ("parameters", "simulation.seed"), ("episodes",), ("repeats",)]


def grid_property(tmp: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str], path: tuple, value: Any,
                  shape: str | None) -> None:
    import copy

    data = copy.deepcopy(GRID)
    parent = get_at(data, path[:-1])
    current = parent.get(path[-1]) if isinstance(parent, dict) else parent[path[-1]]
    new = shaped(current, shape) if shape else value
    if new is DELETE and isinstance(parent, dict) and path[-1] not in parent:
        new = None
    set_at(data, path, new)
    what = f"grid: {loc_text(path)} = {new!r}"[:300]
    (tmp / "s.yaml").write_text(yaml.safe_dump(STEP))
    (tmp / "grid.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    COUNT["grid"] += 1
    if path == ("runs",) and isinstance(new, int) and not isinstance(new, bool) \
            and 20 < new <= 5000:
        # Valid, and as long as it says (thousands of runs): loading is the property here.
        from capacity.scenario.grid import load_grid

        load_grid(tmp / "grid.yaml")
        return
    rc, err = run_cli(["sweep", "s.yaml", "--grid", "grid.yaml", "--workers", "1",
                       "--no-progress"], tmp,
                      monkeypatch, capsys)
    lines = err.strip().splitlines()
    assert rc in (0, 2), f"{what}: exit {rc}: {err}"
    assert "Traceback" not in err, f"{what}: {err}"
    if rc == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{what}: {err}"
        key = path[1] if len(path) > 1 and path[0] == "parameters" else path[0]
        assert str(key) in lines[0] or "grid.yaml" in lines[0], f"{what}: {lines[0]}"


STEP = yaml.safe_load((ROOT / "tests/data/scenarios/hpa-step.yaml").read_text())
GRID_MUTATION = st.tuples(st.sampled_from(GRID_PATHS), VALUES,
                          st.one_of(st.none(), st.sampled_from(SHAPES)))


@_settings(15)
@given(GRID_MUTATION)
def test_mutated_grid_sweeps_or_names_the_key(tmp_path, monkeypatch, capsys, m):
    grid_property(tmp_path, monkeypatch, capsys, *m)


@pytest.mark.slow
def test_mutated_grid_thorough(tmp_path, monkeypatch, capsys, pytestconfig):
    _thorough(pytestconfig)

    @_settings(300)
    @given(GRID_MUTATION)
    def prop(m):
        grid_property(tmp_path, monkeypatch, capsys, *m)

    COUNT["grid"] = 0
    prop()
    print(f"\nthorough grid fuzz: {COUNT['grid']} mutated grids")
