"""``--help`` of every command: fast (no pandas, scipy, simpy or matplotlib loaded), and
true to what the commands print."""

from __future__ import annotations

import subprocess
import sys

import pytest

from capacity.cli import SUBCOMMANDS

HEAVY = ("pandas", "scipy", "simpy", "matplotlib")

PROBE = """
import contextlib, io, sys
from capacity.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        assert e.code == 0, e.code
print(" ".join(m for m in {heavy!r} if m in sys.modules))
print(out.getvalue())
"""


def help_of(*argv: str) -> tuple[list[str], str]:
    """(heavy modules loaded, the help text) in a fresh interpreter."""
    res = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    first, _, text = res.stdout.partition("\n")
    return first.split(), text


@pytest.mark.parametrize("argv", [[], *([c] for c in SUBCOMMANDS)], ids=lambda a: " ".join(a) or "top")
def test_help_loads_no_heavy_library(argv):
    heavy, text = help_of(*argv, "--help")
    assert heavy == [], f"--help of {argv} loads {heavy}"
    assert "usage: python -m capacity" in text
    assert "%%" not in text  # argparse's escape written once, not shown
    if not argv:  # the top-level help lists every command with its line
        for name, line in SUBCOMMANDS.items():
            assert name in text and line.split()[0] in text


def test_report_help_shows_percent_signs_once():
    _, text = help_of("report", "--help")
    assert "95% interval" in " ".join(text.split())


def test_importing_capacity_loads_nothing_until_used():
    code = ("import sys, capacity; print([m for m in ('pandas', 'pydantic', 'capacity.api') "
            "if m in sys.modules]); capacity.load_scenario; print('pydantic' in sys.modules); "
            "print(sorted(capacity.__all__) == sorted(n for n in capacity.__all__ if hasattr(capacity, n)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.split("\n")[:3] == ["[]", "True", "True"], res.stdout + res.stderr


def test_dir_of_capacity_lists_the_api_and_submodules_still_load():
    import capacity

    names = [n for n in dir(capacity) if not n.startswith("_")]
    assert names == sorted(capacity.__all__)  # no helper names (Any, importlib, ...)
    assert capacity.api.simulate is capacity.simulate  # capacity.api, as before it was lazy
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        capacity.nope  # noqa: B018
