"""SIGTERM (``kill``, ``timeout``, systemd, a cluster's scheduler) during the command: it
ends as Ctrl-C ends it, with a line naming SIGTERM, and then by SIGTERM (a shell's ``$?``
143); SIGHUP (a terminal closed) likewise (129).

Each test starts the command in a session of its own, waits until it has visibly begun its
work (an output is there), and sends SIGTERM to every process of the session, as
``timeout`` and systemd do (a batch's pool workers too).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from quantize import batch
from quantize.errors import ExitCode

from .batch_support import SAMPLES

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends SIGTERM to a process group")


def _photos(folder: Path, n: int) -> list[Path]:
    """``n`` different 160x120 pieces of a sample photo in ``folder``."""
    folder.mkdir()
    with Image.open(SAMPLES / "coffee.jpg") as im:
        photo = im.convert("RGB")
    paths = []
    for i in range(n):
        paths.append(folder / f"p{i:02d}.png")
        photo.crop((5 * i, 0, 5 * i + 160, 120)).save(paths[-1])
    return paths


def _terminated_once(args: list[str], cwd: Path, begun: Callable[[], bool], *,
                     as_timeout: bool = False, sent: str = "SIGTERM",
                     stdout: Path | None = None) -> tuple[int, str]:
    """Run ``quantize *args`` in ``cwd`` until ``begun()`` (polled), then send SIGTERM (or
    the signal named ``sent``) to its process group; its exit code and stderr.
    ``as_timeout``: to the command first, as ``timeout`` does, then to the group (the
    command gets two, :func:`_as_timeout`). ``stdout``: a file its stdout goes to."""
    with open(stdout or os.devnull, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "quantize", *args], cwd=cwd,
                                stdout=out, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, preexec_fn=_python_sigint)
    try:
        deadline = time.monotonic() + 120
        while not begun():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the command never began its work"
            time.sleep(0.01)
        if as_timeout:
            _as_timeout(proc.pid)
        else:
            os.killpg(proc.pid, getattr(signal, sent))
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, stderr


def _as_timeout(pid: int) -> None:
    """SIGTERM as ``timeout`` (without ``--foreground``) sends it: to the command, then to
    the command's process group. ``timeout`` sends the two microseconds apart, when they are
    often merged into one; 20 ms apart, they never are, and are still one request."""
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.02)
    os.killpg(pid, signal.SIGTERM)


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.part"))


def test_sigterm_during_a_batch_writes_the_reports_of_the_files_done_and_ends_by_it(tmp_path):
    """It ended the batch (and its worker, mid-file) at once: no report, a ``.part`` file.
    As after Ctrl-C, the file in progress is let finish, and the reports have a row for
    every input, ``not reached`` for those the run did not reach."""
    inputs = _photos(tmp_path / "in", 60)
    out = tmp_path / "out"
    code, stderr = _terminated_once(
        ["batch", "in", "-o", "out", "-k", "8", "--jobs", "1", "--report", "report.csv",
         "--html", "page.html"], tmp_path, lambda: any(out.glob("*.png")),
        stdout=tmp_path / "stdout.txt")
    assert code == -signal.SIGTERM  # a shell's $? 143, ExitCode.TERMINATED
    lines = stderr.splitlines()
    assert lines[-1] == ("quantize: error: interrupted by SIGTERM; rerun the same command to "
                         "finish")
    assert set(lines[:-1]) <= {"quantize: interrupted by SIGTERM; letting the file in progress "
                               "finish (SIGTERM again to abandon it)"}
    with open(tmp_path / "report.csv", encoding="utf-8-sig", newline="") as f:
        rows = {row["input"]: row["status"] for row in csv.DictReader(f)}
    done = sorted(p.name for p in out.glob("*.png"))
    assert 1 <= len(done) < len(inputs)
    assert rows == {f"in/{p.name}": "ok" if p.name in done else "not reached" for p in inputs}
    assert sorted(batch.read_manifest(out)) == done
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", *done]
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "\xa0· interrupted by SIGTERM before the end: " in page
    assert _parts(tmp_path) == []
    # the summary said "1/60 files: 1 ok, 0 skipped, 0 failed", the others unmentioned
    summary = (tmp_path / "stdout.txt").read_text(encoding="utf-8").splitlines()[-1]
    assert summary.startswith(f"{len(done)}/60 files: {len(done)} ok, 0 skipped, 0 failed, "
                              f"{60 - len(done)} not reached in ")
    assert summary.endswith("; report: report.csv, page.html")


def _segment_batch_stopped(tmp_path, count, *, as_timeout, sent="SIGTERM", at="p01"):
    """Segment ``count`` photos in a batch of one job, SIGTERM it (``as_timeout``: as
    ``timeout`` does; or send ``sent``) once the folder of file ``at`` is made; check its
    exit and lines and return its CSV report's status of each input."""
    (tmp_path / "in").mkdir()
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        for i in range(count):
            im.convert("RGB").rotate(90 * i).save(tmp_path / "in" / f"p{i:02d}.png")
    code, stderr = _terminated_once(
        ["batch", "in", "-o", "out", "--mode", "segment", "-k", "4", "--jobs", "1",
         "--report", "report.csv"], tmp_path, (tmp_path / "out" / at).exists,
        as_timeout=as_timeout, sent=sent)
    assert (code, stderr) == (-getattr(signal, sent),
                              f"quantize: interrupted by {sent}; letting the file in "
                              f"progress finish ({sent} again to abandon it)\n"
                              f"quantize: error: interrupted by {sent}; rerun the same "
                              "command to finish\n")
    with open(tmp_path / "report.csv", encoding="utf-8-sig", newline="") as f:
        return {row["input"]: row["status"] for row in csv.DictReader(f)}


def test_sigterm_lets_a_batchs_worker_finish_its_file_and_the_reports_have_it(tmp_path):
    """SIGTERM reached the pool's worker too, which ended mid-file (its folder left
    behind): it is the parent's to decide, as for Ctrl-C, and the file in progress is let
    finish, reported and recorded. Sent once the second file's job has made its folder."""
    out = tmp_path / "out"
    rows = _segment_batch_stopped(tmp_path, 4, as_timeout=False)
    assert rows == {"in/p00.png": "ok", "in/p01.png": "ok", "in/p02.png": "not reached",
                    "in/p03.png": "not reached"}
    assert sorted(batch.read_manifest(out)) == ["p00", "p01"]
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "p00", "p01"]
    assert (out / "p01" / "segments.json").is_file()
    assert _parts(tmp_path) == []


def test_timeouts_pair_of_sigterms_lets_a_batchs_files_in_progress_finish(tmp_path):
    """``timeout`` sends SIGTERM to the command and then to its process group: the second
    counted as "SIGTERM again", which abandoned the file in progress (not reported, its
    worker terminated, a ``.part`` file or a half-made folder left behind). The pair is one
    request: the file in progress finishes, is reported and recorded."""
    out = tmp_path / "out"
    rows = _segment_batch_stopped(tmp_path, 3, as_timeout=True)
    assert rows == {"in/p00.png": "ok", "in/p01.png": "ok", "in/p02.png": "not reached"}
    assert sorted(batch.read_manifest(out)) == ["p00", "p01"]
    assert (out / "p01" / "segments.json").is_file()
    assert _parts(tmp_path) == []


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP (Windows)")
def test_sighup_lets_a_batchs_file_in_progress_finish_writes_the_report_and_ends_by_it(
        tmp_path):
    """The terminal closed (SIGHUP to every process of the batch): it ended at once, exit
    129, no report, the file in progress lost (its worker ended mid-file too) and the lock
    file left. As for SIGTERM, the file in progress (the first) finishes and is reported and
    recorded, the others are not reached, and the lock is let go."""
    out = tmp_path / "out"
    rows = _segment_batch_stopped(tmp_path, 3, as_timeout=False, sent="SIGHUP", at="p00")
    assert rows == {"in/p00.png": "ok", "in/p01.png": "not reached",
                    "in/p02.png": "not reached"}
    assert sorted(batch.read_manifest(out)) == ["p00"]
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "p00"]
    assert (out / "p00" / "segments.json").is_file()
    assert _parts(tmp_path) == []


def test_the_line_and_exit_code_name_sighup_when_it_stopped_the_command(monkeypatch):
    """The line of an interrupt names SIGHUP in place of Ctrl-C, with exit code 129."""
    from quantize.cli import common

    monkeypatch.setattr(common, "stopped_by", lambda: "SIGHUP")
    assert common.interruption("interrupted; letting the file in progress finish (Ctrl-C "
                               "again to abandon it)") == (
        "interrupted by SIGHUP; letting the file in progress finish (SIGHUP again to abandon "
        "it)", ExitCode.HANGUP)
    assert ExitCode.HANGUP == 129


@pytest.mark.parametrize("sent", ["SIGTERM", pytest.param(
    "SIGHUP", marks=pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP"))])
def test_sigterm_during_segment_leaves_no_output_folder_and_ends_by_it(tmp_path, sent):
    """It ended the command at once, leaving the new output folder behind, empty (SIGHUP,
    a terminal closed, too, with exit 129)."""
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        im.convert("RGB").resize((1024, 1024)).save(tmp_path / "big.png")
    out = tmp_path / "big.segments"
    got = _terminated_once(["segment", "big.png", "-o", out.name, "-k", "4"],
                           tmp_path, out.exists, sent=sent)
    assert got == (-getattr(signal, sent), f"quantize: error: interrupted by {sent}; rerun "
                   "the same command to finish\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png"]


def test_sigterm_during_a_reduce_of_several_files_keeps_those_reported_and_ends_by_it(
        tmp_path):
    """It ended the command at once; the files written before stay, the one in progress
    is let finish (when one is: sent as an output appears, it may land between two files),
    those after are not begun, and no ``.part`` file is left."""
    inputs = _photos(tmp_path / "in", 40)
    code, stderr = _terminated_once(
        ["reduce", *(str(p.relative_to(tmp_path)) for p in inputs), "-k", "8", "--jobs", "1"],
        tmp_path, lambda: any((tmp_path / "in").glob("*.k8.png")))
    assert code == -signal.SIGTERM
    lines = stderr.splitlines()
    assert lines[-1] == "quantize: error: interrupted by SIGTERM; files already reported are done"
    assert set(lines[:-1]) <= {"quantize: interrupted by SIGTERM; letting the file in progress "
                               "finish (SIGTERM again to abandon it)"}
    done = sorted((tmp_path / "in").glob("*.k8.png"))
    assert 1 <= len(done) < len(inputs)
    assert _parts(tmp_path) == []


def _python_sigint() -> None:
    """In the command's process, before it starts: SIGINT left to Python (Ctrl-C raises
    KeyboardInterrupt), and SIGHUP to the system, also where the tests run with them
    ignored (in the background, under ``nohup``), which a child inherits."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.mark.parametrize(("name", "said", "again"), [
    pytest.param("SIGINT", "interrupted", "Ctrl-C", id="ctrl-c"),
    pytest.param("SIGTERM", "interrupted by SIGTERM", "SIGTERM", id="sigterm"),
    pytest.param("SIGHUP", "interrupted by SIGHUP", "SIGHUP", id="sighup",
                 marks=pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP"))])
def test_an_interrupt_lets_the_file_in_progress_of_reduce_j1_finish(tmp_path, name, said,
                                                                    again):
    """``reduce -j 1`` of several files stopped the one in progress at once, where ``-j 2``
    and ``batch -j 1`` let it finish. Sent once the first file's line is printed (the
    second is then being reduced, for about a second): the second is finished and
    reported, the third not started."""
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        photo = im.convert("RGB").resize((1024, 1024))
    inputs = [tmp_path / f"p{i}.png" for i in range(3)]
    for i, path in enumerate(inputs):
        photo.rotate(90 * i).save(path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "quantize", "reduce", *(p.name for p in inputs), "-k", "64",
         "-j", "1"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=_python_sigint,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        time.sleep(0.1)  # into the second file's work
        os.killpg(proc.pid, getattr(signal, name))
        rest, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -getattr(signal, name)
    assert [line.split(":")[0] for line in (first + rest).splitlines()] == [
        "p0.png -> p0.k64.png", "p1.png -> p1.k64.png"]
    assert stderr == (f"quantize: {said}; letting the file in progress finish ({again} again "
                      f"to abandon it)\nquantize: error: {said}; files already reported are "
                      "done\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p0.k64.png", "p0.png", "p1.k64.png", "p1.png", "p2.png"]


def _on_a_terminal_closed(args: list[str], cwd: Path, begun: Callable[[], bool],
                          sent: str | None) -> int:
    """Run ``quantize *args`` in ``cwd`` with stdout and stderr on a terminal (a pty) until
    ``begun()`` (polled, the terminal read meanwhile), then close the terminal, as closing
    its window does (writes to it then fail with EIO), and send the signal named ``sent``
    (None: none, as under ``nohup``) to the command's process group; its exit code."""
    import pty
    import select

    terminal, command_side = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "quantize", *args], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=command_side,
                            stderr=command_side, start_new_session=True,
                            preexec_fn=_python_sigint)
    os.close(command_side)
    try:
        deadline = time.monotonic() + 120
        while not begun():
            assert proc.poll() is None, "the command ended before it began its work"
            assert time.monotonic() < deadline, "the command never began its work"
            if select.select([terminal], [], [], 0.01)[0]:
                os.read(terminal, 1 << 16)
        os.close(terminal)
        terminal = -1
        if sent is not None:
            os.killpg(proc.pid, getattr(signal, sent))
        return proc.wait(timeout=120)
    finally:
        if terminal >= 0:
            os.close(terminal)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


_READS_PROC = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/PID/wchan")
_ON_A_TERMINAL = pytest.mark.skipif(not hasattr(signal, "SIGHUP") or sys.platform != "linux",
                                    reason="a pseudo-terminal closed under the command")


@_ON_A_TERMINAL
def test_a_batch_whose_terminal_closed_finishes_its_file_and_writes_the_reports(tmp_path):
    """Closing the terminal: its progress bar then failed to draw (EIO), which stopped the
    run without reports, and SIGHUP ended it at once. The file in progress finishes, the
    reports and page are written, the lock let go, exit 129."""
    out = tmp_path / "out"
    (tmp_path / "in").mkdir()
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        for i in range(3):
            im.convert("RGB").rotate(90 * i).save(tmp_path / "in" / f"p{i:02d}.png")
    code = _on_a_terminal_closed(
        ["batch", "in", "-o", "out", "--mode", "segment", "-k", "4", "--jobs", "1",
         "--report", "report.csv", "--html", "page.html"], tmp_path, (out / "p00").exists,
        sent="SIGHUP")
    assert code == -signal.SIGHUP  # a shell's $? 129, ExitCode.HANGUP
    with open(tmp_path / "report.csv", encoding="utf-8-sig", newline="") as f:
        rows = {row["input"]: row["status"] for row in csv.DictReader(f)}
    assert rows == {"in/p00.png": "ok", "in/p01.png": "not reached",
                    "in/p02.png": "not reached"}
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "p00"]
    assert "\xa0· interrupted by SIGHUP before the end: " in (
        tmp_path / "page.html").read_text(encoding="utf-8")
    assert _parts(tmp_path) == []


@_ON_A_TERMINAL
@pytest.mark.parametrize("command", ["reduce", "batch"])
def test_a_terminal_closed_without_sighup_lets_the_command_finish(tmp_path, command):
    """Under ``nohup`` (SIGHUP ignored), or before the signal comes: a line printed to the
    terminal gone failed with EIO, and ``reduce`` stopped (``stdout: cannot write``, exit
    1) with files left undone, a batch with no report. The lines are dropped, as for a
    reader gone from a pipe, and the work goes on."""
    inputs = _photos(tmp_path / "in", 12)
    args = (["reduce", *(f"in/{p.name}" for p in inputs), "-k", "8", "-j", "1"]
            if command == "reduce" else
            ["batch", "in", "-o", "out", "-k", "8", "-j", "1", "--report", "report.csv"])
    outputs = tmp_path / ("in" if command == "reduce" else "out")
    pattern = "*.k8.png" if command == "reduce" else "*.png"
    code = _on_a_terminal_closed(args, tmp_path, lambda: any(outputs.glob(pattern)), sent=None)
    assert code == 0
    assert len(list(outputs.glob(pattern))) == len(inputs)
    if command == "batch":
        assert (tmp_path / "report.csv").is_file()


@_ON_A_TERMINAL
def test_only_eio_of_a_terminal_says_it_has_gone(tmp_path):
    """A disk's EIO stays an error of stdout; a terminal's, once it is closed, is a reader
    gone."""
    import errno
    import pty

    from quantize.cli.common import LinesOrNothing, hung_up

    terminal, command_side = pty.openpty()
    os.close(terminal)
    with open(command_side, "w", encoding="utf-8") as tty, open(tmp_path / "log", "w") as log:
        eio = OSError(errno.EIO, "Input/output error")
        assert (hung_up(eio, tty), hung_up(eio, log)) == (True, False)
        assert not hung_up(BrokenPipeError(errno.EPIPE, "Broken pipe"), tty)
        with pytest.raises(OSError):
            tty.write("x\n")
            tty.flush()
        lossy = LinesOrNothing(tty)
        assert lossy.write("lost\n") == 5
        lossy.flush()  # the rest goes to the null device
        assert lossy.fileno() == command_side



def _waiting_for_stdin(pid: int) -> None:
    """Return once process ``pid`` waits to read a pipe (its stdin), as ``/proc`` shows it."""
    deadline = time.monotonic() + 60
    while "pipe_read" not in Path(f"/proc/{pid}/wchan").read_text():
        assert time.monotonic() < deadline, "the command never read its stdin"
        time.sleep(0.005)


def _child_of(pid: int) -> int:
    """The process id of the first child of process ``pid``, once it has one."""
    deadline = time.monotonic() + 60
    while not (children := Path(f"/proc/{pid}/task/{pid}/children").read_text().split()):
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.005)
    return int(children[0])


_LINE_OF_CTRL_C = "quantize: error: interrupted; files already reported are done\n"


@_READS_PROC
def test_ctrl_c_stops_the_shell_loop_that_runs_the_command(tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group: the shell and the command) during the
    first run of a loop: the command printed its line and exited 130, which a shell takes
    for a program that handled Ctrl-C and went on, so the loop ran the next one. Ending by
    SIGINT after its line, as pngquant does, the loop stops there."""
    loop = 'for i in 1 2; do "$0" -m quantize reduce - -o "o$i.png"; echo "$i $?" >> codes; done'
    read_end, write_end = os.pipe()  # stdin that never ends: each run waits for it
    shell = subprocess.Popen(["bash", "-c", loop, sys.executable], cwd=tmp_path,
                             stdin=read_end, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             preexec_fn=_python_sigint)
    os.close(read_end)
    try:
        _waiting_for_stdin(_child_of(shell.pid))
        os.killpg(shell.pid, signal.SIGINT)
        _, stderr = shell.communicate(timeout=60)
    finally:
        os.close(write_end)
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
    assert (shell.returncode, stderr) == (-signal.SIGINT, _LINE_OF_CTRL_C)
    assert list(tmp_path.iterdir()) == []  # no output, no part file, no second run


@_READS_PROC
@pytest.mark.parametrize("sent", ["SIGINT", "SIGTERM", pytest.param(
    "SIGHUP", marks=pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP"))])
def test_main_called_by_a_program_keeps_the_exit_code_of_the_signal(tmp_path, sent):
    """Only the command's own process ends by the signal: a program that calls
    :func:`quantize.cli.main` gets its ``SystemExit`` (130, 143 or 129) and carries on."""
    call = ("from quantize.cli import main\ntry:\n    main()\n"
            "except SystemExit as exit:\n    print('carried on', exit.code)\n")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", call, "reduce", "-", "-o", "out.png"],
                            cwd=tmp_path, stdin=read_end, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_python_sigint)
    os.close(read_end)
    try:
        _waiting_for_stdin(proc.pid)
        proc.send_signal(getattr(signal, sent))
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        os.close(write_end)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    named = "interrupted" if sent == "SIGINT" else f"interrupted by {sent}"
    assert (proc.returncode, stdout) == (0, f"carried on {128 + getattr(signal, sent)}\n")
    assert stderr == f"quantize: error: {named}; files already reported are done\n"
    assert list(tmp_path.iterdir()) == []
