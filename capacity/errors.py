"""Errors raised by capacity.

::

    CapacityError                 base of everything we raise on purpose
     ├── ScenarioError            a scenario, trace or price file is missing or invalid
     └── SimulationError          the model reached a state it cannot continue from
    Interrupted (BaseException)   SIGTERM arrived (SIGINT raises KeyboardInterrupt)

Every message is one line naming the file, the field path, the rule and the value, so
the CLI can print it as is (exit status 2) without a traceback.
"""

from __future__ import annotations

import re
from typing import Any


class CapacityError(Exception):
    """Base class of the errors capacity raises on purpose."""


class ScenarioError(CapacityError):
    """A scenario (or a file it names) is missing or invalid.

    ``str(err)`` is ``"{file}: {path}: {rule}, got {value}"`` with the parts that are
    known; ``line`` is the 1-based line in ``file`` when known.
    """

    def __init__(
        self,
        rule: str,
        *,
        file: str | None = None,
        path: str | None = None,
        value: Any = None,
        has_value: bool = False,
        line: int | None = None,
    ) -> None:
        self.rule = rule
        self.file = file
        self.path = path
        self.value = value
        self.has_value = has_value
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.path:
            parts.append(self.path)
        msg = self.rule
        if self.has_value:
            msg += f", got {_short(self.value)}"
        parts.append(msg)
        # One line, whatever a file name or a rule holds.
        return re.sub(r"[\r\n\t\v\f]+", " ", ": ".join(parts))

    def with_file(self, file: str, line: int | None = None) -> ScenarioError:
        """A copy naming ``file`` (and ``line``) if it did not name one yet."""
        if self.file:
            return self
        return ScenarioError(
            self.rule, file=file, path=self.path, value=self.value,
            has_value=self.has_value, line=line or self.line,
        )


class SimulationError(CapacityError):
    """The simulation reached a state it cannot continue from."""


class Interrupted(BaseException):
    """A signal asked the program to stop (SIGTERM); unwinds like KeyboardInterrupt, so
    ``finally`` blocks clean up and ``except Exception`` does not swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
