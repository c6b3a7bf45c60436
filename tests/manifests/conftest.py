"""Shared fixtures of the manifest tests: the emitted objects and external tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from capacity.manifests.emit import build_manifests, render_manifests
from capacity.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"
HPA_STEP = ROOT / "tests" / "data" / "scenarios" / "hpa-step.yaml"
DATA = ROOT / "tests" / "data" / "manifests"
CHECKOV = os.environ.get("CHECKOV", "/opt/checkov/bin/checkov")


def tool(name: str) -> str:
    """Path of an external tool; skip the test when missing, fail if CAPACITY_REQUIRE_TOOLS=1."""
    path = shutil.which(name) if os.sep not in name else (name if os.access(name, os.X_OK) else None)
    if path is None:
        reason = f"{name} is not installed (scripts/ci-tools.sh installs it)"
        if os.environ.get("CAPACITY_REQUIRE_TOOLS") == "1":
            pytest.fail(reason + "; CAPACITY_REQUIRE_TOOLS=1 makes this a failure")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def peak():
    return load_scenario(PEAK)


@pytest.fixture(scope="session")
def peak_files(peak):
    return build_manifests(peak)


@pytest.fixture(scope="session")
def peak_objects(peak_files):
    return [o for objs in peak_files.values() for o in objs]


@pytest.fixture(scope="session")
def peak_texts(peak):
    return render_manifests(peak)


def by_kind(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''}"
    return found
