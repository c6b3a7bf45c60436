"""Writing output files whole or not at all (DESIGN §4: "Nothing is half-written").

Below every layer but ``errors``, so that both ``report`` and ``cli`` can use it without
``report`` importing ``cli``, and without ``cli`` loading the report package (pandas,
matplotlib) just to write a file.

Everything is written into a temporary sibling (``.name.xxxx``) and renamed into place.
SIGINT and SIGTERM are held during the few steps that must not be cut in two (creating
the temporary, the renames, the clean-up) and delivered right after, so an interrupt at
any point leaves either the old output or the new one, and no temporary behind. A
folder the writer had to create for the output goes again if the output does not land.
OS errors (a read-only folder, a parent that is a file, ``/proc``) become one-line
:class:`~capacity.errors.CapacityError`; :func:`check_output_file` and
:func:`check_output_dir` find them before a long simulation rather than after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from capacity.errors import CapacityError

_HELD = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver them (keep it short).

    Only the main thread receives Python signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        got.append(signum)

    old = {s: signal.signal(s, record) for s in _HELD}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for s in dict.fromkeys(got):
            _deliver(s, old[s])


def _deliver(signum: int, handler: object) -> None:
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _shareable(path: Path | str, like: Path | None = None) -> None:
    """Give a temporary file or folder (created private, 0600/0700) the mode a plain
    ``open``/``mkdir`` would have given it (0666/0777 less the umask), or the mode of
    ``like``, the file it replaces, so that a rewrite keeps the file's permissions."""
    p = Path(path)
    if like is not None and like.exists():
        mode = stat.S_IMODE(like.stat().st_mode)
    else:
        mode = (0o777 if p.is_dir() else 0o666) & ~_umask()
    os.chmod(p, mode)


def _why(e: OSError) -> str:
    return e.strerror or str(e)


def _existing_ancestor(path: Path) -> Path:
    p = path.absolute().parent
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe(folder: Path, shown: Path) -> None:
    """Fail now if no file can be created in ``folder`` (read-only, /proc, permissions)."""
    if not folder.is_dir():
        raise CapacityError(f"{shown}: {folder} is a file, not a folder")
    try:
        with signals_held():
            fd, tmp = tempfile.mkstemp(prefix=".capacity-probe.", dir=folder)
            os.close(fd)
            os.unlink(tmp)
    except OSError as e:
        raise CapacityError(f"{shown}: cannot write in {folder} ({_why(e)})") from None


def check_output_file(given: str | os.PathLike[str]) -> None:
    """Raise :class:`CapacityError` now if ``given`` cannot be written as a file.

    (``out/``, with its slash, names a folder even before it exists.)
    """
    target = Path(given)
    if target.is_dir() or str(given).endswith(("/", os.sep)):
        raise CapacityError(f"{target}: is a directory; give the name of a file to write")
    if target.exists() and not target.is_file():
        raise CapacityError(f"{target}: exists and is not a regular file")
    _probe(_existing_ancestor(target), target)


def check_output_dir(given: str | os.PathLike[str]) -> None:
    """Raise :class:`CapacityError` now if ``given`` cannot be written as a folder."""
    target = Path(given)
    if target.exists() and not target.is_dir():
        raise CapacityError(f"{target}: exists and is not a directory")
    _probe(_existing_ancestor(target), target)
    if target.exists():
        _probe(target, target)


def _make_parents(folder: Path) -> list[Path]:
    """``mkdir -p folder``; returns the folders created, deepest last."""
    made = []
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with signals_held():
            d.mkdir()
            made.append(d)
    return made


def _remove_empty(folders: list[Path]) -> None:
    for d in reversed(folders):
        with contextlib.suppress(OSError):
            d.rmdir()


@contextlib.contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` to write into, then rename from
    (:func:`move_into_place`); removed at the end whatever happens, with the parent
    folders made for it when nothing landed in them."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    made: list[Path] = []
    tmp: Path | None = None
    try:
        try:
            made = _make_parents(parent)
            with signals_held():
                tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        except OSError as e:
            raise CapacityError(f"{target}: cannot write ({_why(e)})") from None
        yield tmp
    finally:
        with signals_held():
            if tmp is not None and tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            _remove_empty(made)


def write_files_atomically(target: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write each file into a temporary folder beside ``target``, then move them in.

    Either every file lands in ``target`` or none does (a failure or an interrupt while
    writing leaves ``target`` as it was, and no temporary folder).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise CapacityError(f"{target}: exists and is not a directory")
    parent = target.parent if str(target.parent) else Path(".")
    made: list[Path] = []
    tmp: Path | None = None
    landed = False
    try:
        made = _make_parents(parent)
        with signals_held():
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        for name, write in writers.items():
            write(tmp / name)
        _shareable(tmp)
        with signals_held():
            if not target.exists():
                os.replace(tmp, target)
            else:
                for name in writers:
                    os.replace(tmp / name, target / name)
            landed = True
    except OSError as e:
        raise CapacityError(f"{target}: cannot write ({_why(e)})") from None
    finally:
        with signals_held():
            if tmp is not None and tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            if not landed:
                _remove_empty(made)


def write_file_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write one file via a temporary sibling and an atomic rename."""
    target = Path(target)
    if target.is_dir():
        raise CapacityError(f"{target}: is a directory; give the name of a file to write")
    made: list[Path] = []
    tmp: str | None = None
    landed = False
    try:
        made = _make_parents(target.parent)
        with signals_held():
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            os.close(fd)
        write(Path(tmp))
        _shareable(tmp, like=target)
        with signals_held():
            os.replace(tmp, target)
            landed = True
    except OSError as e:
        raise CapacityError(f"{target}: cannot write ({_why(e)})") from None
    finally:
        with signals_held():
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            if not landed:
                _remove_empty(made)


def write_tree_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write a whole folder (``write(tmp)`` fills it) and swap it in for ``target``.

    An existing ``target`` is replaced as a whole: moved aside, the new one renamed in,
    the old one removed; on a failure the old one is put back.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise CapacityError(f"{target}: exists and is not a directory")
    parent = target.parent if str(target.parent) else Path(".")
    made: list[Path] = []
    tmp: Path | None = None
    old: Path | None = None
    landed = False
    try:
        made = _make_parents(parent)
        with signals_held():
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        write(tmp)
        _shareable(tmp, like=target)
        with signals_held():
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
                os.replace(target, old / "x")
            try:
                os.replace(tmp, target)
            except OSError:
                if old is not None:
                    os.replace(old / "x", target)
                raise
            landed = True
    except OSError as e:
        raise CapacityError(f"{target}: cannot write ({_why(e)})") from None
    finally:
        with signals_held():
            for d in (tmp, old):
                if d is not None and d.exists():
                    shutil.rmtree(d, ignore_errors=True)
            if not landed:
                _remove_empty(made)


def move_into_place(moves: list[tuple[Path, Path]]) -> None:
    """Rename each ``(source, destination)`` pair, all or none (signals held throughout).

    A destination that exists (file or folder) is replaced as a whole; on a failure the
    destinations already replaced get their old contents back.
    """
    done: list[tuple[Path, Path, Path | None]] = []
    failed_at: Path | None = None
    ok = False
    with signals_held():
        try:
            for src, dst in moves:
                failed_at = dst
                aside = None
                if dst.exists() or dst.is_symlink():
                    aside = Path(tempfile.mkdtemp(prefix=f".{dst.name}.old.", dir=dst.parent)) / "x"
                    try:
                        os.replace(dst, aside)
                    except OSError:
                        aside.parent.rmdir()  # nothing moved aside: leave no empty folder
                        raise
                done.append((src, dst, aside))
                os.replace(src, dst)
            ok = True
        except OSError as e:
            for src, dst, aside in reversed(done):
                if dst.exists() and not src.exists():
                    with contextlib.suppress(OSError):
                        os.replace(dst, src)
                if aside is not None and aside.exists():
                    with contextlib.suppress(OSError):
                        os.replace(aside, dst)
            raise CapacityError(f"{failed_at}: cannot write ({_why(e)})") from None
        finally:
            for _, _, aside in done:
                if aside is not None:
                    if ok and aside.exists():
                        if aside.is_dir() and not aside.is_symlink():
                            shutil.rmtree(aside, ignore_errors=True)
                        else:
                            aside.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        aside.parent.rmdir()
