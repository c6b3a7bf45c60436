"""Output paths that cannot be written: one line, exit 2, nothing left behind (issue 16, 7).

For every command that writes (simulate --out, report -o, manifests -o, import -o,
calibrate --out): a read-only folder, a parent that is a file, an output that names an
existing folder where a file is expected (or a file where a folder is), and ``/proc/x``.
The paths are checked before the simulation, so each case ends at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from capacity.cli import main

ROOT = Path(__file__).resolve().parents[2]
STEP = ROOT / "tests/data/scenarios/hpa-step.yaml"
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 200m, memory: 256Mi}}
"""


def read_only_folder(tmp: Path) -> Path:
    """A folder no file can be created in: chmod 555, or for root (who ignores modes)
    sysfs, which refuses new files to everyone."""
    if os.geteuid() != 0:
        d = tmp / "ro"
        d.mkdir()
        d.chmod(0o555)
        return d
    return Path("/sys/kernel")


def command(kind: str, tmp: Path, out: str) -> list[str]:
    if kind == "simulate":
        return ["simulate", str(STEP), "--runs", "1", "--episodes", "0", "--out", out]
    if kind == "report":
        return ["report", str(STEP), "--runs", "1", "--no-compare", "-o", out]
    if kind == "manifests":
        return ["manifests", str(STEP), "-o", out]
    if kind == "import":
        (tmp / "deploy.yaml").write_text(MANIFEST)
        return ["import", str(tmp / "deploy.yaml"), "-o", out]
    from tests.cli.test_calibrate import scenario, write_inputs

    files = write_inputs(tmp)
    return ["calibrate", str(scenario(tmp)), "--requests", str(files["requests"]), "--cpu",
            str(files["cpu"]), "--out", out]


#: What each command writes: a folder or a file. (import: see the test after this one.)
WRITES = {"simulate": "dir", "report": "file", "manifests": "dir", "calibrate": "file"}


def bad_path(case: str, kind: str, tmp: Path) -> str:
    name = {"report": "r.md", "import": "imported.yaml", "calibrate": "fitted.yaml"}.get(kind, "out")
    if case == "read-only folder":
        return str(read_only_folder(tmp) / name)
    if case == "parent is a file":
        (tmp / "plain.txt").write_text("x")
        return str(tmp / "plain.txt" / name)
    if case == "wrong kind exists":
        target = tmp / name
        if WRITES[kind] == "dir":
            target.write_text("a file where a folder is expected")
        else:
            target.mkdir()
        return str(target)
    return f"/proc/{name}"


@pytest.mark.parametrize("case", ["read-only folder", "parent is a file", "wrong kind exists",
                                  "/proc/x"])
@pytest.mark.parametrize("kind", list(WRITES))
def test_unwritable_output_is_one_line(tmp_path, monkeypatch, capsys, kind, case):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = bad_path(case, kind, work)
    argv = command(kind, work, out)
    before = sorted(p.name for p in work.iterdir())
    t0 = time.monotonic()
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert out.rstrip("/").split("/")[-1] in lines[0] or str(Path(out).parent) in lines[0], err
    # nothing half-written, no temporary left, and no folder made for the output
    assert sorted(p.name for p in work.iterdir()) == before
    if kind in ("simulate", "report", "manifests"):
        assert time.monotonic() - t0 < 20  # refused before simulating


@pytest.mark.parametrize("case", ["read-only folder", "parent is a file", "wrong kind exists",
                                  "/proc/x"])
def test_import_output_ends_in_one_error_line(tmp_path, monkeypatch, capsys, case):
    # The writer's part (capacity.files): exit 2, one error line, nothing left behind.
    # (import prints its notes before it writes; checking -o first is the importer's.)
    monkeypatch.chdir(tmp_path)
    WRITES["import"] = "file"
    try:
        out = bad_path(case, "import", tmp_path)
    finally:
        del WRITES["import"]
    before = sorted(p.name for p in tmp_path.iterdir())
    rc = main(command("import", tmp_path, out))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].startswith("error: ") and "imported.yaml" in err[-1]
    assert not any("Traceback" in line for line in err)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "deploy.yaml"])


def test_a_folder_given_with_a_slash_is_not_a_report_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc = main(["report", str(STEP), "--runs", "1", "-o", "r.md/"])
    assert rc == 2
    assert "is a directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_folders_are_made_and_only_then(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc = main(["manifests", str(STEP), "-o", "a/b/c"])
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "a/b/c/kustomization.yaml").exists()
    assert sorted(p.name for p in (tmp_path / "a/b").iterdir()) == ["c"]  # no temporaries
