"""capacity.files: what lands has the permissions a plain write would give it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from capacity.errors import CapacityError
from capacity.files import (
    move_into_place,
    write_file_atomically,
    write_files_atomically,
    write_tree_atomically,
)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_files_and_folders_are_readable_by_others(tmp_path, umask_022):
    # temporaries are created 0600/0700; what lands is 0644/0755, as open() and mkdir()
    # give with umask 022
    write_file_atomically(tmp_path / "a.csv", lambda p: p.write_text("x\n"))
    write_files_atomically(tmp_path / "out", {"s.json": lambda p: p.write_text("{}")})
    write_tree_atomically(tmp_path / "tree", lambda d: (d / "k.yaml").write_text("a: 1\n"))
    assert mode(tmp_path / "a.csv") == 0o644
    assert mode(tmp_path / "out") == 0o755 and mode(tmp_path / "out" / "s.json") == 0o644
    assert mode(tmp_path / "tree") == 0o755 and mode(tmp_path / "tree" / "k.yaml") == 0o644


def test_a_rewrite_keeps_the_files_own_mode(tmp_path, umask_022):
    f = tmp_path / "scenario.yaml"
    f.write_text("old\n")
    f.chmod(0o640)
    write_file_atomically(f, lambda p: p.write_text("new\n"))
    assert f.read_text() == "new\n" and mode(f) == 0o640


def test_a_move_that_fails_leaves_no_empty_folder(tmp_path, monkeypatch):
    # `manifests -o .`: the working folder cannot be moved aside, so the move fails, and
    # the folder made to hold the old one must go too
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.yaml").write_text("a: 1\n")
    src = tmp_path / "new"
    src.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(CapacityError, match="cannot write"):
        move_into_place([(src, Path("."))])
    assert sorted(p.name for p in work.iterdir()) == ["keep.yaml"]
    assert src.is_dir()
