"""Helpers for tests that need what not every file system offers."""

from __future__ import annotations

from pathlib import Path

import pytest


def symlink_or_skip(link: Path, target: Path, *, to_folder: bool = False) -> None:
    """Make ``link`` a symbolic link to ``target`` (a folder with ``to_folder``); skip the
    test where the file system, or the system, allows none."""
    try:
        link.symlink_to(target, target_is_directory=to_folder)
    except OSError:
        pytest.skip("no symbolic links here")
