"""``python -m capacity SUBCOMMAND``: one module per subcommand.

Errors the user can fix (``CapacityError``, an OS error such as a full disk) print one
line and exit with status 2; the traceback appears only with ``--debug``. Anything else
is a bug: one line too, exit status 1, the traceback with ``--debug``.

SIGINT and SIGTERM stop the command wherever it is: the worker processes of a
multi-run simulation are terminated at once (they would otherwise finish every queued
run, or outlive us), the output writers clean up (:mod:`capacity.files`), and the
command exits with 130 or 143 after one line.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from types import FrameType
from typing import Any

from capacity.errors import CapacityError, Interrupted

# (module, help) in the order --help lists them; a module registers its own arguments.
SUBCOMMANDS = {
    "simulate": "simulate a scenario and print availability, replicas and cost",
    "check": "admission, quota headroom and configuration lint; exit 1 on errors",
    "report": "Markdown or HTML cost and availability report with plots",
    "manifests": "emit the Kubernetes manifests for a scenario",
    "import": "build a scenario from existing Deployment/HPA/PDB/quota YAML",
    "calibrate": "fit workload.demand to Prometheus series of requests, CPU and memory",
    "sweep": "run a scenario over a grid of parameter values",
    "schema": "print the JSON Schema of scenario files",
}

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stop:
    """The signal handler: the first signal unwinds, later ones wait for the clean-up,
    and a third forces the exit (a clean-up that hangs must not trap the user)."""

    def __init__(self, debug: bool = False) -> None:
        self.pid = os.getpid()
        self.count = 0
        self.signum: int | None = None  # the first signal handled
        self.debug = debug
        self.stderr: Any = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.pid:
            # A forked worker inherited this handler: die as the signal says.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.count += 1
        if self.signum is None:
            self.signum = signum
        if self.count == 1 and not self.debug:
            # What the shutdown prints next (a process pool's feeder thread writing to a
            # worker just stopped) is noise: the user gets one line, printed by main().
            self.stderr, sys.stderr = sys.stderr, io.StringIO()
        stop_workers()
        if self.count == 1:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise Interrupted(signum)
        if self.count >= 3:
            os._exit(128 + signum)


def stop_workers() -> None:
    """Terminate our worker processes (a process pool's), by their own process ids."""
    children = multiprocessing.active_children()
    for p in children:
        p.terminate()
    for p in children:
        p.join(timeout=2)
        if p.is_alive():
            p.kill()


def _module(name: str) -> object | None:
    modname = "import_" if name == "import" else name
    try:
        return importlib.import_module(f"capacity.cli.{modname}")
    except ModuleNotFoundError as e:
        if e.name != f"capacity.cli.{modname}":
            raise
        return None


def _chosen(argv: Sequence[str] | None) -> str | None:
    """The subcommand named on the line (the first word that is not an option)."""
    words = list(sys.argv[1:] if argv is None else argv)
    return next((w for w in words if not w.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None, every: bool = False
                 ) -> tuple[argparse.ArgumentParser, dict[str, object]]:
    """The parser, with the arguments of the subcommand ``argv`` names (of all of them
    with ``every``); the others are listed by name and help only, so that neither a
    command nor ``--help`` imports the modules of the commands it does not run."""
    from capacity.cli.args import OneLineParser

    parser = OneLineParser(
        prog="python -m capacity",
        description="Offline Kubernetes capacity, availability and cost planning.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen(argv)
    mods = {}
    for name in SUBCOMMANDS:
        load = every or name == chosen
        mod = _module(name) if load else None
        if load and mod is None:
            continue  # an optional command whose module is not installed
        p = sub.add_parser(name, help=SUBCOMMANDS[name], description=SUBCOMMANDS[name])
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on errors")
        if mod is not None:
            mods[name] = mod
            mod.add_arguments(p)  # type: ignore[attr-defined]
            p.set_defaults(_run=mod.run)  # type: ignore[attr-defined]
    return parser, mods


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    previous: dict[int, Any] = {}
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    stop = _Stop(debug)
    with contextlib.suppress(ValueError):  # not the main thread: leave signals as they are
        previous = {s: signal.signal(s, stop) for s in _SIGNALS}
    try:
        rc = _main(argv, stop)
        if stop.signum is None:
            return rc
        # The signal's exception was swallowed on the way (or the command ended as it
        # came): it was still interrupted.
        return _interrupted(stop, stop.signum, debug)
    except KeyboardInterrupt:
        return _interrupted(stop, signal.SIGINT, debug)
    except Interrupted as e:
        return _interrupted(stop, e.signum, debug)
    finally:
        _restore_stderr(stop)
        for s, h in previous.items():
            signal.signal(s, h)


def _interrupted(stop: _Stop, signum: int, debug: bool) -> int:
    _restore_stderr(stop)
    if signum == signal.SIGINT:
        _report_interrupt("interrupted (SIGINT)", debug)
    else:
        _report_interrupt(f"terminated ({signal.Signals(signum).name})", debug)
    return 128 + signum


def _restore_stderr(stop: _Stop) -> None:
    if stop.stderr is not None:
        sys.stderr, stop.stderr = stop.stderr, None


def _report_interrupt(what: str, debug: bool) -> None:
    if debug and sys.exc_info()[0] is not None:  # (none when the interrupt was swallowed)
        traceback.print_exc()
    # A progress bar may have left the cursor mid-line.
    print(f"\nerror: {what}" if _stderr_mid_line() else f"error: {what}", file=sys.stderr)


def _stderr_mid_line() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def _main(argv: Sequence[str] | None, stop: _Stop) -> int:
    parser, _ = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except CapacityError as e:
        if args.debug:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from
        # complaining again while it flushes stdout at exit.
        with_devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(with_devnull, sys.stdout.fileno())
        return 0
    except OSError as e:  # the environment refused (full disk, permissions)
        if args.debug:
            traceback.print_exc()
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"error: {where}{_one_line(e.strerror or str(e))}", file=sys.stderr)
        return 2
    except Exception as e:
        if stop.signum is not None:
            # The interrupt surfaced as another error: CPython wraps an exception raised
            # while a class is being made (``__set_name__``, as pydantic's validators are
            # set up during an import) in a RuntimeError.
            raise (KeyboardInterrupt() if stop.signum == signal.SIGINT
                   else Interrupted(stop.signum)) from e
        # a bug: still one line, the traceback on request
        if args.debug:
            traceback.print_exc()
        print(f"error: internal error, {type(e).__name__}: {_one_line(str(e))[:300]} "
              "(a bug in capacity; --debug shows the traceback)", file=sys.stderr)
        return 1
