"""The ``quantize`` command's start-up: an interrupt is one line and exit 130 (SIGTERM:
143), no traceback; the garbage collector waits for the imports to end; OpenBLAS's idle
threads sleep at once.

The command's imports (NumPy, Pillow, typer and the package itself) take about 0.3 s,
all of it before :func:`quantize.cli.main` runs: the console script and
``python -m quantize`` both import the package first. A Ctrl-C in that time raised
``KeyboardInterrupt`` inside an import and printed Python's traceback. So the package's
first statement calls :func:`guard_start`, which, only in a process started as the
command (never in a program that imports quantize), makes SIGINT print
``quantize: error: interrupted before any file was processed`` and end the process with
exit code 130 (:attr:`~quantize.errors.ExitCode.INTERRUPTED`); :func:`release_start`,
the first thing ``main`` does, gives SIGINT back to Python, whose ``KeyboardInterrupt``
the command then turns into its own line. A SIGTERM in that time (``timeout``, a job
scheduler) ended the process with no word; :func:`guard_start` has it print
``quantize: error: interrupted by SIGTERM before any file was processed`` and exit 143
(:attr:`~quantize.errors.ExitCode.TERMINATED`), until ``main`` takes SIGTERM as an
interrupt (:mod:`quantize._sigterm`); a SIGHUP (a terminal closed) likewise says
``interrupted by SIGHUP ...``, exit 129.

The imports also make some 33,000 objects that live as long as the process, and
Python's cyclic garbage collector, run every 700 new objects, walked them again and
again as they were made: 10-20 ms of CPU time of every command. So :func:`guard_start`
also pauses the collector in the command's process, and :func:`release_start` freezes
what the imports made (later collections leave it out; the imports leave a few hundred
objects of garbage) and resumes it.

NumPy's OpenBLAS starts a thread per core as NumPy loads, and an idle one spins, waiting
for work, for 2**28 processor cycles (about 0.1 s) before it sleeps: once as NumPy loads
and again after each product that woke it. The command sizes its matrix products for one
thread (see :mod:`quantize._kernels`), so the spinning was waste, taken from the other core
of a busy machine: about 50 ms of CPU time a call (``quantize reduce`` of a web photo, 0.32
against 0.27 s at k = 16, medians of 7). So :func:`guard_start` also sets
``OPENBLAS_THREAD_TIMEOUT`` to its least (2**4 cycles) before NumPy loads: the threads are
the same and share out the same work, so every result is the same, but they go to sleep as
soon as they are idle. A value the user set is kept.

The package imports this module first, and this module imports nothing of the
package's and no module Python has not loaded on starting but the built-in :mod:`gc`
(not even ``__future__``, nor :mod:`signal`, whose ``enum`` and ``functools`` take about
5 ms: it works with ``_signal``, which :mod:`signal` wraps and Python loads to take
Ctrl-C), so that the guard is in place before any other import: earlier versions
imported :mod:`pathlib` and :mod:`quantize.errors` (``typing``), then :mod:`signal`,
first, some 10 ms, then 5, in which a Ctrl-C still printed Python's traceback. What
comes before is Python's own start-up.
"""

import _signal
import gc
import os
import sys

#: The line (after ``quantize: error: ``) of an interrupt before the command began its work.
INTERRUPTED_AT_START = "interrupted before any file was processed"
#: The line of SIGTERM before the command began its work (SIGHUP's names SIGHUP).
TERMINATED_AT_START = "interrupted by SIGTERM before any file was processed"

#: The signals the command takes as Ctrl-C (:mod:`quantize._sigterm`, from here on):
#: SIGTERM, and SIGHUP where the system has it (not on Windows).
TAKEN_SIGNALS = (_signal.SIGTERM,) + ((_signal.SIGHUP,) if hasattr(_signal, "SIGHUP") else ())

# Their names, for the line said when one comes at the start.
_NAMES = {_signal.SIGTERM: "SIGTERM", getattr(_signal, "SIGHUP", None): "SIGHUP"}

# The names of the console script: as installed, and on Windows.
_SCRIPT_NAMES = frozenset({"quantize", "quantize.exe", "quantize-script.py"})


def started_as_command() -> bool:
    """Whether this process was started as the ``quantize`` command: the console script
    (the main module is a file named ``quantize``) or ``python -m quantize`` (whose
    package is imported while ``sys.argv[0]`` is still ``-m``, before ``__main__``).

    Not so a program that imports quantize, ``python -c ...``, or a worker process.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 == "-m":
        given = list(getattr(sys, "orig_argv", ()))  # Python's own options end at -m
        at = given.index("-m") + 1 if "-m" in given else len(given)
        return given[at:at + 1] == ["quantize"] or "-mquantize" in given
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return (main_file is not None and argv0 != "" and os.path.basename(argv0) in _SCRIPT_NAMES
            and os.path.abspath(main_file) == os.path.abspath(argv0))


def _interrupted(signum: int, frame: object) -> None:
    """SIGINT while the command starts: its one line, and exit 130 at once
    (:attr:`~quantize.errors.ExitCode.INTERRUPTED`; no import, no file, is half done that
    matters: nothing has been read or written yet)."""
    _end_at_start(INTERRUPTED_AT_START, 128 + signum)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (SIGHUP) while the command starts: its one line, and exit 143 (129) at once."""
    name = _NAMES[signum]
    _end_at_start(TERMINATED_AT_START.replace("SIGTERM", name), 128 + signum)


def _end_at_start(line: str, code: int) -> None:
    try:
        os.write(2, f"quantize: error: {line}\n".encode())
    except OSError:  # stderr closed: the exit code says it
        pass
    end_process(code)


#: The signal that stops the command with each exit code (128 + its number), as a shell
#: reports a process the signal ended.
_SIGNAL_OF_CODE = {128 + signum: signum for signum in (_signal.SIGINT, *TAKEN_SIGNALS)}


def end_process(code: int) -> None:
    """End this process at once (:func:`os._exit`) with exit code ``code``; when ``code``
    is that of a signal that stopped the command (130 SIGINT, 143 SIGTERM, 129 SIGHUP), by
    that signal instead, its default action restored, where the system has processes end
    by signals (not Windows, where the code stays).

    The command takes those signals, finishes or removes what it was writing and prints its
    line; a shell then saw an ordinary exit, and went on with a loop the user meant to stop
    (``for f in *.png; do quantize reduce "$f" ...; done``) or with the next command of a
    script, where a program the signal ends (pngquant, Python's own ``KeyboardInterrupt``)
    stops it. The shell still shows ``$?`` as 130, 143 or 129. Only the command's process
    ends so: never a program that imports quantize.
    """
    signum = _SIGNAL_OF_CODE.get(code)
    if signum is not None and os.name == "posix":
        try:
            _signal.signal(signum, _signal.SIG_DFL)
            _signal.raise_signal(signum)  # to this thread: it ends the process here
        except (OSError, ValueError):  # not the main thread: the exit code says it
            pass
    os._exit(code)


def taken_at_start(handler: object) -> bool:
    """Whether ``handler`` is the one :func:`guard_start` gave SIGTERM (SIGHUP), which stands
    for the system's default action (a line more) until the command's own takes over."""
    return handler is _terminated


# Whether guard_start paused the garbage collector, for release_start to resume it.
_collector_paused = False
# Whether guard_start found the process started as the command, for command_process.
_as_command = False

#: OpenBLAS reads this when it loads: its idle threads spin for 2**value cycles (4 to 30,
#: 28 by default) before they sleep.
OPENBLAS_TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
_OPENBLAS_LEAST_TIMEOUT = "4"


def guard_start() -> None:
    """In a process started as the command (:func:`started_as_command`), until
    :func:`release_start`: make SIGINT end it with one line (if SIGINT is Python's own),
    and SIGTERM and SIGHUP too (each left to the system), and pause the cyclic garbage collector
    (if it runs). For good: have OpenBLAS's idle threads sleep at once, unless the user
    set :data:`OPENBLAS_TIMEOUT_VARIABLE`."""
    global _collector_paused, _as_command
    if not started_as_command():
        return
    _as_command = True
    os.environ.setdefault(OPENBLAS_TIMEOUT_VARIABLE, _OPENBLAS_LEAST_TIMEOUT)
    for signum, default, handler in ((_signal.SIGINT, _signal.default_int_handler,
                                      _interrupted),
                                     *((taken, _signal.SIG_DFL, _terminated)
                                       for taken in TAKEN_SIGNALS)):
        if _signal.getsignal(signum) == default:  # a function, or SIG_DFL's number
            try:
                _signal.signal(signum, handler)
            except ValueError:  # not the main thread: left as it is
                pass
    if gc.isenabled():
        gc.disable()
        _collector_paused = True


def release_start() -> None:
    """Give SIGINT back to Python (``KeyboardInterrupt``) and SIGTERM and SIGHUP to the system if
    :func:`guard_start` took them (the command's main has SIGTERM taken by then: see
    :mod:`quantize._sigterm`), and resume the garbage collector if it paused it, the
    objects made so far frozen."""
    global _collector_paused
    if _signal.getsignal(_signal.SIGINT) is _interrupted:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    for signum in TAKEN_SIGNALS:
        if _signal.getsignal(signum) is _terminated:
            _signal.signal(signum, _signal.SIG_DFL)
    if _collector_paused:
        _collector_paused = False
        gc.freeze()
        gc.enable()


def command_process() -> bool:
    """Whether :func:`guard_start` found this process started as the command.

    Asked once the command runs, when :func:`started_as_command` can no longer tell:
    ``python -m quantize`` has by then replaced ``sys.argv[0]`` (``-m``) by the path of
    the package's ``__main__.py``.
    """
    return _as_command
