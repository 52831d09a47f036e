"""Helpers for tests that need what not every file system offers."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
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


@contextlib.contextmanager
def read_only_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[None]:
    """Make ``folder`` read-only (mode 555) for the block, as a dataset folder a user may
    read but not write. Root writes into it all the same: for root, ``os.access`` says it
    is not writable and ``Path.mkdir`` of a folder in it fails with EACCES, as they do for
    a user."""
    if os.geteuid() == 0:
        real_access, real_mkdir = os.access, Path.mkdir

        def access(path, mode, *args, **kwargs) -> bool:
            if mode & os.W_OK and Path(path) == folder:
                return False
            return real_access(path, mode, *args, **kwargs)

        def mkdir(self: Path, *args, **kwargs) -> None:
            if self.parent == folder:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
        monkeypatch.setattr(Path, "mkdir", mkdir)
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(0o755)


def enter_deep_folder(monkeypatch: pytest.MonkeyPatch, root: Path, longer_than: int = 4096) -> int:
    """Make a folder under ``root`` whose absolute path is over ``longer_than`` bytes (Linux's
    PATH_MAX is 4096), of 200-byte names, and make it the working folder (the test's own
    is restored after it); return the length of its path in bytes. The system refuses
    such a path in one call, so the folders are made and entered ten at a time."""
    monkeypatch.chdir(root)
    part = os.path.join(*["d" * 200] * 10)
    while len(os.fsencode(os.getcwd())) <= longer_than:
        os.makedirs(part)
        os.chdir(part)
    return len(os.fsencode(os.getcwd()))


class FillingUp:
    """A file opened for appending on a disk that fills up: a write of which ``cut(data)``
    gives a length (None: it fits) writes that many of its bytes, then is refused as the
    system refuses the rest on a full disk (ENOSPC)."""

    def __init__(self, f, cut: Callable[[bytes], int | None]):
        self.f, self.cut = f, cut

    def write(self, data) -> int:
        data = bytes(data)
        kept = self.cut(data)
        if kept is None:
            return self.f.write(data)
        self.f.write(data[:kept])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.f.__exit__(*exc)


def record_filling_up(monkeypatch: pytest.MonkeyPatch, cut: Callable[[bytes], int | None]) -> None:
    """Have a batch's record of finished outputs opened as on a disk that fills up
    (:class:`FillingUp`, with ``cut``); other files open as they do."""
    from quantize import batch
    from quantize.batch import manifest

    real = open

    def opened(file, mode="r", *args, **kwargs):
        f = real(file, mode, *args, **kwargs)
        return FillingUp(f, cut) if Path(file).name == batch.MANIFEST_NAME else f

    monkeypatch.setattr(manifest, "open", opened, raising=False)
