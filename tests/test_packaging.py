"""The package's metadata and what its source distribution carries."""
import importlib.metadata
import subprocess
import tomllib
from pathlib import Path

import pytest

import quantize

ROOT = Path(__file__).resolve().parents[1]

# Top-level entries a source distribution gets without MANIFEST.in naming them.
_BUILT_IN = {"pyproject.toml", "MANIFEST.in", "quantize", ".gitignore"}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_in_one_place():
    project = _pyproject()
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "quantize.__version__"}


def test_the_installed_metadata_gives_the_packages_version():
    assert importlib.metadata.version("quantize") == quantize.__version__


def _manifest_entries():
    entries = set()
    for line in (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words and words[0] in ("graft", "include"):
            entries.update(words[1:])
    return entries


def test_the_source_distribution_carries_every_tracked_top_level_entry():
    # A packager builds from the sdist and runs its tests and make demo: the test tree's
    # support modules and corpus, the docs the tests read, the samples and the Makefile.
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    tracked = {name.split("/", 1)[0] for name in listed.stdout.splitlines()}
    assert tracked - _BUILT_IN == _manifest_entries()
