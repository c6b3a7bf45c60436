"""`python -m capacity schema` describes scenario files as users write them.

Every shipped scenario, every test scenario and every scenario example in the docs must
validate with ``jsonschema`` against the printed schema; a few known-bad files must not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_KEYS = {"extends", "workload", "load", "cluster", "autoscaling", "objectives"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    out = subprocess.run([sys.executable, "-m", "capacity", "schema"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    schema = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _files() -> list[Path]:
    out = sorted((ROOT / "scenarios").glob("*.yaml"))
    out += sorted((ROOT / "tests" / "data" / "scenarios").rglob("*.yaml"))
    return out


def _doc_examples() -> list[tuple[str, dict]]:
    """YAML code blocks of README.md and docs/*.md that are scenarios (or parts with extends)."""
    found = []
    for md in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", md.read_text(), re.S)):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and SCENARIO_KEYS & set(data):
                found.append((f"{md.name}#{i}", data))
    return found


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_scenario_file_validates(validator, path):
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


def test_doc_examples_validate(validator):
    examples = _doc_examples()
    assert examples, "the docs show at least one scenario example"
    for name, data in examples:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], name
        if "extends" not in data:  # a complete example must also load and pass the models
            from capacity.scenario.loader import scenario_from_dict

            scenario_from_dict(data, file=name)


def test_durations_quantities_and_percentages_are_strings_with_patterns(validator):
    base = yaml.safe_load((ROOT / "scenarios" / "peak.yaml").read_text())
    good = {**base, "simulation": {"duration": "1h30m", "warmup": 600},
            "objectives": {"availability": "99.95%"}}
    assert list(validator.iter_errors(good)) == []


BAD = {
    # a duration in words
    "duration in words": {"extends": "baseline.yaml", "simulation": {"duration": "5 minutes"}},
    # a quantity that is no quantity
    "bad quantity": {"extends": "baseline.yaml",
                     "namespace": {"resourceQuota": {"hard": {"pods": "lots"}}}},
    # an unknown field (extra="forbid" in the models)
    "unknown field": {"extends": "baseline.yaml", "simulation": {"durations": "1d"}},
    # no extends: the required sections must be there
    "missing sections": {"name": "x"},
    # a percentage that is not one
    "bad percent": {"extends": "baseline.yaml", "objectives": {"availability": "99.9 percent"}},
    # maxSurge as a digit string: the API reads a string as a percentage
    "digit-string surge": {"extends": "baseline.yaml", "workload": {"deployment": {
        "strategy": {"rollingUpdate": {"maxSurge": "3"}}}}},
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_known_bad_files_fail(validator, name):
    assert list(validator.iter_errors(BAD[name])), name


def test_required_sections_are_required_without_extends(validator):
    errs = list(validator.iter_errors({"name": "x", "load": {"constant": 1}}))
    assert any("workload" in e.message for e in errs)
