"""The test modules' rewritten bytecode, written once for the processes of a ``-n N`` run;
the package's own bytecode, written once for the Pythons the tests start.

pytest rewrites the ``assert`` statements of every test module it imports and keeps the
result in ``__pycache__`` (a ``...-pytest-X.Y.pyc``) unless Python is told not to write
bytecode (``PYTHONDONTWRITEBYTECODE=1``, as on the machine the suite is timed on). Then each
process of an ``-n N`` run rewrote all of them as it collected: 11.6 s of CPU each, of a
collection that takes 20 s, 8 s with the rewritten modules read back. Written once here,
before the processes start, whatever that setting says (as ``make test`` compiles the
package's bytecode), they are read back by every process. Where they cannot be written
(a read-only checkout) or this pytest keeps them otherwise, nothing changes: each process
rewrites the modules itself, as before.

The same setting left every Python a test starts (``python -m quantize``, import probes,
Dask's and the batch's spawned workers) compiling each quantize module it imports: 0.53 s
of CPU for a small reduce against 0.26 s, 49 s of test_cli.py's CPU against 28 s.
``make test`` compiled the package before the suite; a bare ``python -m pytest`` did not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "quantize"


def write_package_bytecode(config: pytest.Config) -> None:
    """Compile the quantize modules whose bytecode is missing or out of date, as ``make
    test`` does, whatever ``PYTHONDONTWRITEBYTECODE`` says: in the process that starts
    the run (none in an ``-n N`` run's processes, which it starts after). Where it cannot
    be written (a read-only checkout) nothing changes: each Python compiles what it
    imports, as before."""
    import compileall

    if hasattr(config, "workerinput") or not PACKAGE.is_dir():
        return
    compileall.compile_dir(PACKAGE, quiet=2)  # quiet=2: a file it cannot write is no error


def write_rewritten_tests(config: pytest.Config) -> None:
    """Write the rewritten bytecode of this folder's test modules that have none up to date,
    in the process that starts an ``-n N`` run's processes (none in those processes, nor in
    a run without them, nor with ``--assert=plain``)."""
    if (hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None)
            or config.getoption("assertmode") != "rewrite"):
        return
    try:
        from _pytest.assertion import assertstate_key
        from _pytest.assertion.rewrite import (
            PYC_TAIL,
            _read_pyc,
            _rewrite_test,
            _write_pyc,
            get_cache_dir,
            try_makedirs,
        )
    except ImportError:  # another pytest: its processes rewrite the modules themselves
        return
    state = config.stash[assertstate_key]
    try:  # pytest's own functions, not its API: one that changed its ways changes nothing
        for source in sorted(HERE.glob("test_*.py")) + [HERE / "conftest.py"]:
            cache = get_cache_dir(source)
            pyc = cache / (source.name[:-3] + PYC_TAIL)
            if _read_pyc(source, pyc) is not None:
                continue
            if not try_makedirs(cache):
                return
            source_stat, code = _rewrite_test(source, config)
            _write_pyc(state, code, source_stat, pyc)
    except Exception:  # each process then rewrites the modules itself, as before
        return
