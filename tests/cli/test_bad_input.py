"""Bad input: one line naming file, field path, rule and value; exit 2; no traceback.

Each case writes a small variant of a valid scenario and runs the real CLI in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "tests/data/scenarios/hpa-step.yaml").read_text())


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write(tmp: Path, name: str, data) -> Path:
    p = tmp / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return p


def variant(**changes):
    import copy

    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value
    return d


def check_one_line(res, *fragments: str) -> str:
    assert res.returncode == 2, res.stderr
    err = res.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for f in fragments:
        assert f in err, err
    return err


CASES = {
    "unknown field": (variant(workload__replicaz=3), ["x.yaml", "workload.replicaz", "unknown field"]),
    "wrong type": (variant(autoscaling__horizontal__maxReplicas="ten"),
                   ["x.yaml", "autoscaling.horizontal.maxReplicas", "integer", "'ten'"]),
    "malformed duration": (variant(simulation__duration="7 days"),
                           ["simulation.duration", "must be a duration", "'7 days'"]),
    "negative duration": (variant(simulation__duration="-5m"),
                          ["simulation.duration", "non-negative", "'-5m'"]),
    "malformed quantity": (
        variant(workload__deployment__template__spec__containers__0__resources__requests__cpu="250mm"),
        ["workload.deployment.template.spec.containers[0].resources.requests.cpu", "quantity", "'250mm'"]),
    "max below min": (variant(autoscaling__horizontal__maxReplicas=2),
                      ["autoscaling.horizontal.maxReplicas: must be >= minReplicas (3), got 2"]),
    "policy value 0": (
        variant(autoscaling__horizontal__behavior__scaleUp__policies__0__value=0),
        ["autoscaling.horizontal.behavior.scaleUp.policies[0].value", "greater than 0", "0"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_field(tmp_path, case):
    data, fragments = CASES[case]
    write(tmp_path, "x.yaml", data)
    res = cli("simulate", "x.yaml", cwd=tmp_path)
    err = check_one_line(res, *fragments)
    # The line number points into the file.
    assert err.startswith("error: x.yaml:")


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, "x.yaml", "name: a\nworkload:\n  name: [unclosed\nload: {}\n")
    err = check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "x.yaml:", "YAML syntax error")
    line = int(err.split("x.yaml:")[1].split(":")[0])
    assert line in (3, 4)


def test_empty_file(tmp_path):
    write(tmp_path, "x.yaml", "")
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "x.yaml", "empty")


def test_missing_file(tmp_path):
    check_one_line(cli("simulate", "nope.yaml", cwd=tmp_path), "nope.yaml", "not found")


def test_missing_trace_file(tmp_path):
    d = variant()
    d["load"] = {"trace": {"path": "missing.csv"}}
    write(tmp_path, "x.yaml", d)
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "load.trace.path", "trace file not found",
                   "missing.csv")


def test_trace_with_bad_row(tmp_path):
    (tmp_path / "t.csv").write_text("time,value\n0,5\n60,7\n120,abc\n180,4\n")
    d = variant()
    d["load"] = {"trace": {"path": "t.csv"}}
    write(tmp_path, "x.yaml", d)
    # Row 4 of the file (header is line 1) holds 'abc'.
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "t.csv:4", "value", "'abc'")


def test_extends_itself(tmp_path):
    d = variant()
    d["extends"] = "x.yaml"
    write(tmp_path, "x.yaml", d)
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "extends", "cycle")


def test_extends_cycle_through_two_files(tmp_path):
    write(tmp_path, "a.yaml", {"extends": "b.yaml", "name": "a"})
    write(tmp_path, "b.yaml", {"extends": "a.yaml", "name": "b"})
    check_one_line(cli("simulate", "a.yaml", cwd=tmp_path), "cycle", "a.yaml -> b.yaml -> a.yaml")


def test_debug_shows_traceback(tmp_path):
    res = cli("--debug", "simulate", "nope.yaml", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" in res.stderr
