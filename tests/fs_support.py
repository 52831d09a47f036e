"""Helpers for tests that need what not every file system offers."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest


def symlink_or_skip(link: Path, target: Path, *, to_folder: bool = False) -> None:
    """Make ``link`` a symbolic link to ``target`` (a folder with ``to_folder``); skip the
    test where the file system, or the system, allows none."""
    try:
        link.symlink_to(target, target_is_directory=to_folder)
    except OSError:
        pytest.skip("no symbolic links here")


def refuse_mkdir(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder.mkdir()`` fail as on a read-only file system (root may write into
    any folder, so permissions cannot refuse it); other folders are made."""
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args, **kwargs) -> None:
        if self == folder:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
