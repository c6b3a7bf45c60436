"""Progress of a study on stderr: a tqdm bar on a terminal, one plain line on a pipe.

tqdm decides whether stderr is a terminal (``disable=None``). Each stage ends with one
line, on a terminal after its bar (which then disappears) and on a pipe or in a log, where
a bar's carriage returns would be noise, instead of it::

    peak: 8 runs in 14.2 s

``enabled=None`` (the library default) shows progress only on a terminal, so notebooks and
scripts stay quiet; the command line passes ``True`` (``--no-progress``: ``False``).
"""

from __future__ import annotations

import sys
import time
from typing import Any


def _stderr_is_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class Progress:
    """``progress(done, total)`` for one stage of ``total`` units (runs, points, scenarios).

    ``close()`` ends the bar (on a terminal) and prints ``"{name}: {done} {unit}s in {t} s"``.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, name: str, total: int, unit: str = "run",
                 enabled: bool | None = None) -> None:
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        self.on = _stderr_is_terminal() if enabled is None else bool(enabled)
        self.t0 = time.perf_counter()
        self.bar: Any = None
        if self.on:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=name, unit=unit, file=sys.stderr, disable=None,
                       leave=False)
            self.bar = None if bar.disable else bar

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.bar is not None:
            self.bar.total = total
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        """End the stage: close the bar, or print the one status line on a pipe."""
        if not self.on:
            return
        self.on = False
        took = time.perf_counter() - self.t0
        if self.bar is not None:
            self.bar.close()
        units = self.unit if self.done == 1 else self.unit + "s"
        print(f"{self.name}: {self.done} {units} in {took:.1f} s", file=sys.stderr, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        elif self.bar is not None:
            self.bar.close()


class Stage:
    """One step of a study with no natural count (a search, a check): on a terminal its
    name while it runs, then, on a terminal or a pipe, one line ``"{name} in {t} s"``.

    ``enabled`` as for :class:`Progress`. A context manager; nothing printed on an error.
    """

    def __init__(self, name: str, enabled: bool | None = None) -> None:
        self.name = name
        self.on = _stderr_is_terminal() if enabled is None else bool(enabled)
        self.tty = self.on and _stderr_is_terminal()
        self.t0 = time.perf_counter()

    def __enter__(self) -> Stage:
        if self.tty:
            print(f"{self.name}…", end="\r", file=sys.stderr, flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.on and exc[0] is None:
            took = time.perf_counter() - self.t0
            print(f"{self.name} in {took:.1f} s", file=sys.stderr, flush=True)
