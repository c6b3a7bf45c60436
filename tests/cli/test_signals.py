"""SIGINT and SIGTERM at any point: no partial output, exit 130/143, one line (issue 16, 6).

The writers of :mod:`capacity.files` are driven to each step that matters (the temporary
just created, a file half-way, the renames, the clean-up) by a wrapper that sends the
signal to its own process right after that step, in a real ``python -m capacity``
process with the real handlers; so "any point" is every point, not a lucky timing. The
pool test and the start-up test use real timing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from capacity import files

ROOT = Path(__file__).resolve().parents[2]
STEP = ROOT / "tests/data/scenarios/hpa-step.yaml"
PEAK = ROOT / "scenarios/peak.yaml"

# Runs the CLI with one function wrapped so that its N-th call (once capacity is
# imported) signals the process right after it returns.
DRIVER = textwrap.dedent("""
    import functools, importlib, os, pathlib, shutil, signal, sys, tempfile
    import pandas
    from capacity.cli import main
    sig = getattr(signal, os.environ["SIG"])
    at, nth = os.environ["AT"], int(os.environ["NTH"])
    owner, name = {
        "mkdtemp": (tempfile, "mkdtemp"), "mkstemp": (tempfile, "mkstemp"),
        "replace": (os, "replace"), "rmtree": (shutil, "rmtree"),
        "write_text": (pathlib.Path, "write_text"), "write_bytes": (pathlib.Path, "write_bytes"),
        "to_csv": (pandas.DataFrame, "to_csv"), "mkdir": (pathlib.Path, "mkdir"),
        "import_module": (importlib, "import_module"),
        "read_bytes": (pathlib.Path, "read_bytes"),
    }[at]
    real = getattr(owner, name)
    calls = [0]
    @functools.wraps(real)
    def wrapped(*a, **k):
        out = real(*a, **k)
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), sig)
        return out
    setattr(owner, name, wrapped)
    sys.exit(main(sys.argv[1:]))
""")

CODES = {"SIGINT": 130, "SIGTERM": 143}


def matrix(points: list[tuple[str, int]], default: set[tuple[str, str, int]]) -> list:
    """Both signals at every point; the combinations not in ``default`` run with -m slow
    (each is a process start, about two seconds)."""
    return [pytest.param(sig, at, nth, marks=() if (sig, at, nth) in default
                         else pytest.mark.slow)
            for sig in ("SIGINT", "SIGTERM") for at, nth in points]
LINES = {"SIGINT": "error: interrupted (SIGINT)", "SIGTERM": "error: terminated (SIGTERM)"}


def drive(tmp: Path, sig: str, at: str, nth: int, *argv: str) -> subprocess.CompletedProcess:
    (tmp / "driver.py").write_text(DRIVER)
    env = {**os.environ, "SIG": sig, "AT": at, "NTH": str(nth)}
    return subprocess.run([sys.executable, str(tmp / "driver.py"), *argv], cwd=tmp / "work",
                          env=env, capture_output=True, text=True, timeout=300)


def leftovers(folder: Path) -> list[str]:
    """Hidden temporaries anywhere below ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def check_interrupted(res: subprocess.CompletedProcess, sig: str) -> bool:
    """True if the signal stopped the command (exit 130/143, one line), False if it had
    finished before (exit 0)."""
    if res.returncode == 0:
        return False
    assert res.returncode == CODES[sig], res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [LINES[sig]], res.stderr
    return True


OUT_FILES = ["events.csv", "summary.json", "timeseries.csv"]
# --no-progress: stderr then holds the one error line alone (progress is tested elsewhere)
SIMULATE = ["simulate", str(STEP), "--runs", "1", "--episodes", "0", "--no-progress",
            "--out", "out"]

# (function, which call) covering each step of write_files_atomically for three files:
# the temporary folder, each file, the rename, the clean-up of what is left.
SIMULATE_POINTS = [("mkdtemp", 1), ("write_text", 1), ("to_csv", 1), ("to_csv", 2),
                   ("replace", 1), ("rmtree", 1)]


@pytest.mark.parametrize(("sig", "at", "nth"), matrix(SIMULATE_POINTS, {
    ("SIGINT", "mkdtemp", 1), ("SIGTERM", "to_csv", 1), ("SIGINT", "replace", 1),
    ("SIGTERM", "rmtree", 1)}))
def test_simulate_out_is_whole_or_absent(tmp_path, sig, at, nth):
    (tmp_path / "work").mkdir()
    res = drive(tmp_path, sig, at, nth, *SIMULATE)
    out = tmp_path / "work" / "out"
    interrupted = check_interrupted(res, sig)
    assert leftovers(tmp_path / "work") == []
    if out.exists():
        assert sorted(p.name for p in out.iterdir()) == OUT_FILES
        json.loads((out / "summary.json").read_text())  # whole
    else:
        assert interrupted
    if at in ("mkdtemp", "write_text", "to_csv"):
        assert interrupted and not out.exists()


@pytest.mark.parametrize("sig", [pytest.param("SIGINT", marks=pytest.mark.slow), "SIGTERM"])
def test_simulate_into_an_existing_folder_keeps_the_old_files_or_has_all_new(tmp_path, sig):
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    for name in OUT_FILES:
        (work / "out" / name).write_text("old")
    (work / "out" / "notes.txt").write_text("mine")
    for nth in (1, 2, 3):  # between the renames of the three files
        res = drive(tmp_path, sig, "replace", nth, *SIMULATE)
        check_interrupted(res, sig)
        contents = {p.name: p.read_text() for p in (work / "out").iterdir()}
        assert contents.pop("notes.txt") == "mine"
        assert set(contents) == set(OUT_FILES)
        old = [v == "old" for v in contents.values()]
        assert all(old) or not any(old), contents.keys()  # all old or all new
        assert leftovers(work) == []


REPORT = ["report", str(STEP), "--runs", "1", "--no-compare", "--worked-example", "off",
          "--no-progress", "-o", "r.md"]


@pytest.mark.parametrize(("sig", "at", "nth"), matrix(
    [("mkdtemp", 1), ("write_bytes", 1), ("mkdtemp", 2), ("replace", 1), ("replace", 2),
     ("write_text", 1)], {("SIGTERM", "mkdtemp", 2), ("SIGINT", "replace", 1)}))
def test_markdown_report_and_its_plots_land_together(tmp_path, sig, at, nth):
    work = tmp_path / "work"
    work.mkdir()
    res = drive(tmp_path, sig, at, nth, *REPORT)
    check_interrupted(res, sig)
    assert leftovers(work) == []
    page, plots = work / "r.md", work / "r-plots"
    assert page.exists() == plots.exists(), sorted(p.name for p in work.iterdir())
    if page.exists():
        linked = {line.split("(r-plots/")[1].split(")")[0]
                  for line in page.read_text().splitlines() if "(r-plots/" in line}
        assert linked and linked <= {p.name for p in plots.iterdir()}


MANIFESTS = ["manifests", str(STEP), "-o", "m"]


@pytest.mark.parametrize(("sig", "at", "nth"), matrix(
    [("mkdir", 1), ("mkdtemp", 1), ("write_text", 1), ("write_text", 3), ("replace", 1),
     ("rmtree", 1)], {("SIGINT", "write_text", 3), ("SIGTERM", "replace", 1)}))
def test_manifests_folder_is_whole_or_absent(tmp_path, sig, at, nth):
    work = tmp_path / "work"
    work.mkdir()
    full = subprocess.run([sys.executable, "-m", "capacity", *MANIFESTS], cwd=work,
                          capture_output=True, text=True, timeout=120)
    assert full.returncode == 0, full.stderr
    expected = sorted(str(p.relative_to(work / "m")) for p in (work / "m").rglob("*"))
    (work / "m" / "kustomization.yaml").write_text("# Generated by `python -m capacity "
                                                   "manifests` (old)\n")
    res = drive(tmp_path, sig, at, nth, *MANIFESTS)
    check_interrupted(res, sig)
    assert leftovers(work) == []
    got = sorted(str(p.relative_to(work / "m")) for p in (work / "m").rglob("*"))
    assert got == expected  # the old folder or the new one, never a mix or nothing
    assert "(old)" in (work / "m/kustomization.yaml").read_text() or res.returncode == 0 \
        or at == "rmtree"


# --- the writers themselves, in this process (SIGINT raises KeyboardInterrupt here) ---


def test_signals_held_delivers_after_the_block():
    seen = []
    with pytest.raises(KeyboardInterrupt), files.signals_held():
        os.kill(os.getpid(), signal.SIGINT)
        seen.append("after the signal, still in the block")
    assert seen == ["after the signal, still in the block"]


def test_held_signal_is_delivered_once():
    count = []
    old = signal.signal(signal.SIGTERM, lambda s, f: count.append(s))
    try:
        with files.signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, old)
    assert count == [signal.SIGTERM]


def test_interrupt_while_writing_one_file_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "x.txt"

    def write(p: Path) -> None:
        p.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.write_file_atomically(target, write)
    assert list(tmp_path.iterdir()) == []  # no file, no temporary, no "sub/"


def test_interrupt_as_the_temporary_folder_is_made(tmp_path, monkeypatch):
    real = files.tempfile.mkdtemp

    def mkdtemp(*a, **k):
        d = real(*a, **k)
        os.kill(os.getpid(), signal.SIGINT)  # lands while the folder is being registered
        return d

    monkeypatch.setattr(files.tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(KeyboardInterrupt):
        files.write_files_atomically(tmp_path / "out", {"a": lambda p: p.write_text("a")})
    assert list(tmp_path.iterdir()) == []


def test_move_into_place_rolls_back(tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "a.md").write_text("new page")
    (tmp_path / "new" / "a-plots").mkdir()
    (tmp_path / "a.md").write_text("old page")
    moves = [(tmp_path / "new" / "a-plots", tmp_path / "a-plots"),
             (tmp_path / "new" / "a.md", tmp_path / "a.md"),
             (tmp_path / "new" / "missing", tmp_path / "b")]
    with pytest.raises(files.CapacityError):
        files.move_into_place(moves)
    assert (tmp_path / "a.md").read_text() == "old page"
    assert not (tmp_path / "a-plots").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "new"]


# --- worker processes and start-up (real timing) ---------------------------------------


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out |= {int(x) for x in (task / "children").read_text().split()}
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("cmd", [
    ["simulate", str(PEAK), "--runs", "6", "--workers", "2", "--duration", "2d", "--episodes", "0",
     "--no-progress"],
    ["report", str(PEAK), "--runs", "6", "--workers", "2", "--duration", "2d", "--no-compare",
     "--no-progress", "-o", "r.html"],
])
def test_sigterm_stops_the_pool_workers(tmp_path, cmd):
    p = subprocess.Popen([sys.executable, "-m", "capacity", *cmd], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kids: set[int] = set()
    deadline = time.monotonic() + 120
    while len(kids) < 2 and p.poll() is None and time.monotonic() < deadline:
        kids |= {k for k in _children(p.pid) if _alive(k)}
        time.sleep(0.05)
    assert kids, "the pool's workers never started"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert err.strip().splitlines() == [LINES["SIGTERM"]], err
    time.sleep(0.5)
    assert [k for k in kids if _alive(k)] == []  # no orphan still working
    assert leftovers(tmp_path) == [] and not (tmp_path / "r.html").exists()


def _handlers_installed(pid: int) -> bool:
    """The command line has installed its handlers: SIGTERM, which Python leaves alone,
    is caught (``SigCgt`` in /proc; bit 14 is signal 15)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((int(line.split()[1], 16) for line in status.splitlines()
                   if line.startswith("SigCgt:")), 0)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _sigint_after(delay: float, tmp: Path) -> subprocess.CompletedProcess:
    """SIGINT ``delay`` seconds after the command line is ready to handle it (before that,
    in Python's own start-up, no program can turn it into one line)."""
    # Four runs (the last --runs wins): the command outlasts the longest delay even on
    # an idle machine, so the signal always finds it running.
    p = subprocess.Popen([sys.executable, "-m", "capacity", *SIMULATE, "--runs", "4"], cwd=tmp,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _handlers_installed(p.pid) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


@pytest.mark.parametrize(("sig", "at", "nth"), matrix(
    [("import_module", 1), ("import_module", 5), ("read_bytes", 1)],
    {("SIGINT", "import_module", 1), ("SIGTERM", "read_bytes", 1)}))
def test_signal_during_start_up_prints_one_line(tmp_path, sig, at, nth):
    # Start-up once the CLI is up: importing the subcommands, reading the scenario.
    (tmp_path / "work").mkdir()
    res = drive(tmp_path, sig, at, nth, *SIMULATE)
    assert check_interrupted(res, sig)
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3, 0.6])
def test_sigint_during_the_first_imports_prints_no_traceback(tmp_path, delay):
    # capacity/__init__.py and the command line load nothing heavy before the handlers are
    # installed; the imports of the simulation (pandas, scipy) come after them, and a
    # SIGINT during those is one line and exit 130, not CPython's death by SIGINT (-2)
    res = _sigint_after(delay, tmp_path)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 130 and res.stderr.strip().splitlines() == [LINES["SIGINT"]], \
        res.stderr


def _interrupted_in_process(monkeypatch, capsys, run) -> tuple[int, list[str]]:
    """``main`` on a simulate command whose run is ``run``: its return code and stderr."""
    import capacity.cli.simulate as simulate_cli
    from capacity.cli import main

    monkeypatch.setattr(simulate_cli, "run", run)
    rc = main(["simulate", "x.yaml"])
    return rc, capsys.readouterr().err.strip().splitlines()


def test_sigint_wrapped_by_class_creation_is_still_an_interrupt(monkeypatch, capsys):
    # CPython 3.11 wraps an exception raised in __set_name__ in a RuntimeError: a SIGINT
    # landing while pydantic builds a model class during an import arrives as one.
    def run(args):
        class Hook:
            def __set_name__(self, owner, name):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler raises here, inside __set_name__

        class Model:
            field = Hook()

        return 0

    assert _interrupted_in_process(monkeypatch, capsys, run) == (130, [LINES["SIGINT"]])


def test_a_swallowed_interrupt_still_ends_as_interrupted(monkeypatch, capsys):
    def run(args):
        with contextlib.suppress(KeyboardInterrupt):  # a library that eats it
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        return 0

    assert _interrupted_in_process(monkeypatch, capsys, run) == (130, [LINES["SIGINT"]])
