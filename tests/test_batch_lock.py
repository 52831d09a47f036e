"""One batch at a time per output folder: the lock a batch's driver holds (batch_lock)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

import quantize
from quantize.batch import LOCK_NAME, MANIFEST_NAME, FolderInUseError, batch_lock

pytestmark = pytest.mark.skipif(os.name != "posix", reason="no lock on Windows")


def _busy(out: Path, pid: int) -> str:
    """The error line of a batch refused because process ``pid`` runs one into ``out``."""
    return (f"quantize: error: {out}: another quantize batch (process {pid} on "
            f"{socket.gethostname()}) is writing into this output folder; wait until it ends, "
            "or choose another -o folder\n")


def _cli(*args):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["batch", *map(str, args)])


# A real `quantize batch`, whose files named slow* wait for a file of the test (the gate).
_GATED_BATCH = """\
import dataclasses, sys
from quantize import batch
from quantize.cli import main
from tests.batch_support import gated_reduce_file
mode = batch.reduce_mode()
batch.reduce_mode = lambda: dataclasses.replace(mode, func=gated_reduce_file)
sys.argv[0] = "quantize"
main(prog_name="quantize")
"""


def _gated_batch(src: Path, out: Path, gate: Path) -> subprocess.Popen:
    """``quantize batch src -o out -k 4 -j 1`` in a process of its own (its workers in its
    group), once its file ``slow.png`` waits at the gate."""
    root = Path(quantize.__file__).parents[1]
    child = subprocess.Popen(
        [sys.executable, "-c", _GATED_BATCH, "batch", str(src), "-o", str(out), "-k", "4",
         "-j", "1", "-q"], start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root), "QUANTIZE_TEST_GATE": str(gate)})
    deadline = time.monotonic() + 60
    while not (gate / "started-slow.png").exists():
        if child.poll() is not None or time.monotonic() > deadline:
            _end(child)
            raise AssertionError(f"the first batch did not start: {child.stderr.read()}")
        time.sleep(0.05)
    return child


def _end(child: subprocess.Popen) -> None:
    """End the batch ``child`` started and the workers it left (its process group)."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group has ended
        pass
    child.wait()
    child.stderr.close()


@pytest.fixture
def slow_tree(tmp_path):
    """in/slow.png, the gate folder, and the output folder's path (not made)."""
    src, gate = tmp_path / "in", tmp_path / "gate"
    src.mkdir()
    gate.mkdir()
    Image.new("RGB", (6, 4), (200, 30, 30)).save(src / "slow.png")
    return src, tmp_path / "out", gate


def test_a_second_batch_into_the_folder_a_running_batch_writes_is_refused(slow_tree):
    """Refused before it plans (exit 75): the running batch's folder, manifest and pending
    entry are left as they are, and it finishes as if alone."""
    src, out, gate = slow_tree
    first = _gated_batch(src, out, gate)
    try:
        names = sorted(p.name for p in out.iterdir())
        manifest = (out / MANIFEST_NAME).read_bytes()  # the pending entry of out/slow.png
        second = _cli(src, "-o", out, "-k", "4")
        assert (second.exit_code, second.stdout) == (75, "")
        assert second.stderr == _busy(out, first.pid)
        assert sorted(p.name for p in out.iterdir()) == names == [MANIFEST_NAME, LOCK_NAME]
        assert (out / MANIFEST_NAME).read_bytes() == manifest
        (gate / "release").touch()
        assert first.wait(timeout=60) == 0, first.stderr.read()
    finally:
        _end(first)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "slow.png"]  # no lock left


def test_a_batch_after_one_killed_outright_is_not_kept_out(slow_tree):
    """SIGKILL leaves the lock file, but the system let the lock go; the killed batch's
    worker, still waiting on its file, does not hold it either (only the driver did)."""
    src, out, gate = slow_tree
    first = _gated_batch(src, out, gate)
    try:
        os.kill(first.pid, signal.SIGKILL)  # the driver only: its worker goes on waiting
        first.wait()
        assert (out / LOCK_NAME).exists()
        second = _cli(src, "-o", out, "-k", "4", "-j", "1")
        assert second.exit_code == 0, second.output
        assert "1/1 files: 1 ok, 0 skipped, 0 failed" in second.stdout
    finally:
        _end(first)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "slow.png"]


def test_batch_lock_refuses_a_second_holder_and_leaves_the_folder_as_it_was(tmp_path):
    """A folder not there is made for the lock and removed again, empty; the refused
    second holder takes nothing away from the first."""
    out = tmp_path / "new" / "out"
    with batch_lock(out) as held:
        assert held and sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
        with pytest.raises(FolderInUseError) as refused, batch_lock(out):
            pass
        assert (out / LOCK_NAME).read_text() == f"{os.getpid()} {socket.gethostname()}\n"
    assert f"quantize: error: {refused.value}\n" == _busy(out, os.getpid())
    assert refused.value.exit_code == 75
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("under", ["sub", "sub/deeper"])
def test_a_batch_into_a_sub_folder_of_a_running_batch_folder_is_refused(tmp_path, monkeypatch,
                                                                        under):
    """It was accepted: only its own folder's lock was asked, and the running batch then
    replaced the files it wrote there, which its manifest still said were its own. Refused
    before anything is made (exit 75), naming the running batch's folder; "out/sub/.." is
    that folder itself, refused as such."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (6, 4), (200, 30, 30)).save("in/a.png")
    with batch_lock("out"):
        refused = _cli("in", "-o", Path("out", under), "-k", "2", "-j", "1")
        assert (refused.exit_code, refused.stdout) == (75, "")
        assert refused.stderr == _in_use(Path("out", under), "out", os.getpid(),
                                         "choose another -o folder")
        itself = _cli("in", "-o", "out/sub/..", "-k", "2", "-j", "1")
        assert itself.exit_code == 75 and "this output folder" in itself.stderr
        assert sorted(p.name for p in Path("out").iterdir()) == [LOCK_NAME]
    done = _cli("in", "-o", Path("out", under), "-k", "2", "-j", "1", "-q")
    assert done.exit_code == 0, done.output
    assert (Path("out", under) / "a.png").is_file()


def _tree(folder: str) -> set[str]:
    """Every path under ``folder``, relative to it."""
    return {p.relative_to(folder).as_posix() for p in Path(folder).rglob("*")}


@pytest.mark.parametrize("under", ["sub", "sub/deeper"])
def test_a_batch_into_a_folder_above_a_running_batch_folder_is_refused(tmp_path, monkeypatch,
                                                                      under):
    """It was accepted (only the folders above its own were asked), and could replace the
    running batch's files, or take them for a killed run's and remove them. Refused before
    it plans (exit 75), naming the running batch's folder; nothing of it is left."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (6, 4), (200, 30, 30)).save("in/a.png")
    running = {*(p.as_posix() for p in list(Path(under).parents)[:-1]), under,
               f"{under}/{LOCK_NAME}"}
    with batch_lock(Path("out", under)):
        assert _tree("out") == running
        refused = _cli("in", "-o", "out", "-k", "2", "-j", "1")
        assert (refused.exit_code, refused.stdout) == (75, "")
        assert refused.stderr == (
            f"quantize: error: out: another quantize batch (process {os.getpid()} on "
            f"{socket.gethostname()}) is writing into '{Path('out', under)}', a folder under "
            "this one; wait until it ends, or choose another -o folder\n")
        assert _tree("out") == running
    done = _cli("in", "-o", "out", "-k", "2", "-j", "1", "-q")
    assert done.exit_code == 0, done.output
    assert Path("out/a.png").is_file()


def test_batches_into_sibling_folders_are_not_refused(tmp_path, monkeypatch):
    """Neither lies under the other: "out/a" holds no "out/ab", nor "out" "out-2"."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (6, 4), (200, 30, 30)).save("in/a.png")
    with batch_lock("out/a"), batch_lock("out-2/sub"):
        for folder in ("out/ab", "out/b/c", "out-2b"):
            done = _cli("in", "-o", folder, "-k", "2", "-j", "1", "-q")
            assert done.exit_code == 0, (folder, done.output)
            assert Path(folder, "a.png").is_file()


def test_of_a_batch_into_a_folder_and_one_under_it_started_at_once_one_is_refused(
        tmp_path, monkeypatch):
    """The one above takes its lock just after the one under it asked the folders above
    (none held), and looks under its own before that one's lock is taken: it finds none.
    The one under it asks the folders above again once it holds its lock, and is refused;
    the folder it made is removed again."""
    from quantize.batch import lock as lock_module

    out = tmp_path / "out"
    out.mkdir()
    take = lock_module.lock_file_held
    above = contextlib.ExitStack()

    def the_other_starts_meanwhile(path):
        if path.parent == out / "sub":
            above.enter_context(batch_lock(out))
        return take(path)

    monkeypatch.setattr(lock_module, "lock_file_held", the_other_starts_meanwhile)
    with above:
        with pytest.raises(FolderInUseError) as refused, batch_lock(out / "sub"):
            pass
        assert str(refused.value) == (
            f"{out / 'sub'}: another quantize batch (process {os.getpid()} on "
            f"{socket.gethostname()}) is writing into '{out}'; wait until it ends, or choose "
            "another -o folder")
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_batch_lock_takes_the_file_a_killed_batch_left_and_keeps_other_files(tmp_path):
    (tmp_path / LOCK_NAME).write_text("4711 elsewhere\n")
    (tmp_path / "a.png").write_bytes(b"mine")
    with batch_lock(tmp_path) as held:
        assert held
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()} {socket.gethostname()}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_a_lock_taken_on_the_file_its_holder_removed_meanwhile_is_taken_again(tmp_path,
                                                                             monkeypatch):
    """A batch ending removes its lock file, then lets the lock go: one that opened the file
    just before, and locks it just after, holds a file no longer there, which would let a
    third batch in. It takes the lock again on a file there."""
    import fcntl

    flock = fcntl.flock

    def holder_ends_meanwhile(fd, operation):
        monkeypatch.setattr(fcntl, "flock", flock)  # once
        (tmp_path / LOCK_NAME).unlink()
        flock(fd, operation)

    (tmp_path / LOCK_NAME).write_text("4711 elsewhere\n")
    monkeypatch.setattr(fcntl, "flock", holder_ends_meanwhile)
    with batch_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()} {socket.gethostname()}\n"
        with pytest.raises(FolderInUseError), batch_lock(tmp_path):
            pass
    assert list(tmp_path.iterdir()) == []


def test_batch_lock_refuses_an_output_folder_under_a_file_before_making_anything(tmp_path):
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ValueError, match="^output_dir=.* lies under .*file'?, which is an "
                       "existing file; expected a folder$"), batch_lock(tmp_path / "file" / "o"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_lock_file_is_no_hidden_input_a_search_left_out(tmp_path):
    """A folder a batch is writing into, searched as an input folder: its lock file is
    the batch's own, not a hidden file the error names."""
    for name in (LOCK_NAME, ".mine.lock"):
        (tmp_path / name).write_text("1 host\n")
    result = _cli(tmp_path, "-o", tmp_path / "out", "--glob", "*.lock")
    assert result.exit_code == 2
    assert "as .mine.lock; rename them" in result.stderr
    assert LOCK_NAME not in result.stderr


def _command(*args):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, [*map(str, args)])


def _in_use(name, folder, pid: int, instead: str) -> str:
    """The error line of a command refused because process ``pid`` runs a batch into
    ``folder`` ("this folder" when that is what the error names)."""
    where = "this folder" if folder is None else f"'{folder}'"
    return (f"quantize: error: {name}: another quantize batch (process {pid} on "
            f"{socket.gethostname()}) is writing into {where}; wait until it ends, or "
            f"{instead}\n")


@pytest.mark.parametrize("under", ["", "sub"])
def test_segment_into_the_folder_a_running_batch_writes_is_refused(tmp_path, monkeypatch,
                                                                   under):
    """Its outputs went in beside the batch's (and, in a folder the batch plans, could be
    removed as a killed run's leftovers). Refused before the input is read (exit 75), and
    nothing is written; with the batch ended, the same command runs."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (6, 4), (200, 30, 30)).save("in.png")
    out = Path("out", under) if under else Path("out")
    with batch_lock("out"):
        refused = _command("segment", "in.png", "-o", out, "--regions", "1")
        assert (refused.exit_code, refused.stdout) == (75, "")
        assert refused.stderr == _in_use(out, "out" if under else None, os.getpid(),
                                         "choose another folder with -o")
        assert sorted(p.name for p in Path("out").iterdir()) == [LOCK_NAME]
    done = _command("segment", "in.png", "-o", out, "--regions", "1", "-q")
    assert done.exit_code == 0, done.output
    assert (out / "segments.json").is_file()


def test_segment_beside_an_input_in_a_batch_folder_is_refused(tmp_path):
    """The default folder, beside the input, is in the batch's folder too."""
    Image.new("RGB", (6, 4), (200, 30, 30)).save(tmp_path / "in.png")
    with batch_lock(tmp_path):
        refused = _command("segment", tmp_path / "in.png", "--regions", "1")
    assert refused.exit_code == 75
    assert refused.stderr == _in_use(tmp_path / "in.segments", tmp_path, os.getpid(),
                                     "choose another folder with -o")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.parametrize("where", ["-o", "--ext", "default", "--palette-out"])
def test_reduce_into_the_folder_a_running_batch_writes_is_refused(tmp_path, monkeypatch,
                                                                  where):
    """Each output's folder is asked, the input's for a default name, and that of the
    palette file; the error names the input (or the palette file) and the folder."""
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    Image.new("RGB", (6, 4), (200, 30, 30)).save("in.png")
    Image.new("RGB", (6, 4), (20, 30, 200)).save("out/b.png")
    args, name = {"-o": (["in.png", "-o", "out/in.png"], "in.png"),
                  "--ext": (["in.png", "out/b.png", "--ext", ".k2.png"], "out/b.png"),
                  "default": (["out/b.png"], "out/b.png"),
                  "--palette-out": (["in.png", "-o", "in.k2.png", "--palette-out",
                                     "out/p.txt"], "--palette-out=out/p.txt")}[where]
    with batch_lock("out"):
        refused = _command("reduce", *args, "-k", "2")
    assert (refused.exit_code, refused.stdout) == (75, "")
    assert refused.stderr == _in_use(name, "out", os.getpid(), "write the output elsewhere")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["b.png", "in.png", "out"]


def test_reduce_beside_a_batch_folder_is_not_refused(tmp_path):
    """Only the batch's folder and what lies under it are its own."""
    (tmp_path / "out").mkdir()
    Image.new("RGB", (6, 4), (200, 30, 30)).save(tmp_path / "in.png")
    with batch_lock(tmp_path / "out"):
        done = _command("reduce", tmp_path / "in.png", "-o", tmp_path / "in.k2.png", "-k", "2")
        assert done.exit_code == 0, done.output


def test_a_lock_file_that_cannot_be_written_is_removed_and_said_in_one_line(tmp_path,
                                                                            monkeypatch):
    """On a full disk the lock file was made (O_CREAT), its holder's id not written: the
    batch ran unlocked (to fail on its manifest) and left a 0-byte lock file behind."""
    import errno

    from typer.testing import CliRunner

    from quantize.cli import app

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    write = os.write

    def disk_full(fd, data):
        if data.endswith(f" {socket.gethostname()}\n".encode()):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(fd, data)

    monkeypatch.setattr(os, "write", disk_full)
    done = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "-k", "2", "-j", "1"])
    assert done.exit_code == 1
    assert done.output == (f"quantize: error: {out}: cannot write the lock file "
                           f"'{LOCK_NAME}' (No space left on device); no file was processed\n")
    assert not out.exists()


@pytest.mark.parametrize("kind", ["link to a file", "link to nothing", "link to a folder",
                                  "folder"])
def test_batch_lock_refuses_a_link_at_the_lock_name_as_another_batch_would(tmp_path, kind):
    """It yielded False (nothing locked): the test process, as a first batch, went on
    unlocked, and a second batch started meanwhile ran too. Now both are refused."""
    from quantize.errors import OwnFileError
    from tests.test_io import _things_at_a_lock_name

    Image.new("RGB", (6, 4), (200, 30, 30)).save(tmp_path / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    what, _ = _things_at_a_lock_name(tmp_path, out / LOCK_NAME, kind)
    line = f"{out / LOCK_NAME}: {what}; quantize keeps its lock there itself: remove it"
    with pytest.raises(OwnFileError) as info, batch_lock(out):
        pass
    assert str(info.value) == line
    second = _cli(tmp_path, "-o", out, "-k", "2", "--glob", "a.png")
    assert (second.exit_code, second.stdout) == (2, "")
    assert second.stderr == f"quantize: error: {line}\n"
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # no output, no record


def test_a_batch_holding_the_lock_refuses_the_command_that_starts_meanwhile(tmp_path):
    """The test process holds the lock (a batch running), as a regular file, and starts a
    batch into the same folder: refused (exit 75), nothing written; then it runs."""
    Image.new("RGB", (6, 4), (200, 30, 30)).save(tmp_path / "a.png")
    out = tmp_path / "out"
    with batch_lock(out) as held:
        assert held and (out / LOCK_NAME).is_file() and not (out / LOCK_NAME).is_symlink()
        second = _cli(tmp_path, "-o", out, "-k", "2", "--glob", "a.png")
        assert (second.exit_code, second.stderr) == (75, _busy(out, os.getpid()))
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert _cli(tmp_path, "-o", out, "-k", "2", "--glob", "a.png", "-q").exit_code == 0
    assert (out / "a.png").is_file()


def test_a_json_batch_refused_as_another_holds_the_folder_ends_with_its_kind(tmp_path):
    """It exited 15, as a change of options does, which no rerun gets past: a script could
    not tell "rerun later" from "never rerun" but by the prose. Now 75, and with --json one
    object saying folder_in_use."""
    import json

    Image.new("RGB", (6, 4), (200, 30, 30)).save(tmp_path / "a.png")
    out = tmp_path / "out"
    with batch_lock(out):
        second = _cli(tmp_path, "-o", out, "-k", "2", "--glob", "a.png", "--json")
    assert (second.exit_code, second.stderr) == (75, _busy(out, os.getpid()))
    assert json.loads(second.stdout) == {
        "error": _busy(out, os.getpid()).removeprefix("quantize: error: ").rstrip("\n"),
        "failure": "folder_in_use", "exit_code": 75}
