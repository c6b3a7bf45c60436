"""Writing output files whole or not at all (DESIGN §4: "Nothing is half-written").

Below every layer but ``errors``, so that both ``report`` and ``cli`` can use it without
``report`` importing ``cli``, and without ``cli`` loading the report package (pandas,
matplotlib) just to write a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from capacity.errors import CapacityError


def write_files_atomically(target: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write each file into a temporary folder beside ``target``, then move them in.

    Either every file lands in ``target`` or none does (a failure while writing leaves
    ``target`` as it was).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise CapacityError(f"{target}: exists and is not a directory")
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        for name, write in writers.items():
            write(tmp / name)
        if not target.exists():
            os.replace(tmp, target)
            return
        for name in writers:
            os.replace(tmp / name, target / name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_file_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write one file via a temporary sibling and an atomic rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
