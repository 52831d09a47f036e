"""The ``quantize`` command line: thin wrappers that parse, call the library, print.

Each sub-command lives in its own module (``reduce``, ``segment``, ``batch``)
and registers itself on ``app``; they are imported at the bottom of this file.
Library errors become one line on stderr and the exit code documented in
:mod:`quantize.errors`; no traceback reaches the user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NoReturn

import typer

from .. import __version__
from ..errors import QuantizeError

app = typer.Typer(
    name="quantize",
    help="Reduce the colours of images and segment photos into regions, by k-means.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

USAGE_ERROR = 2


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"quantize {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Reduce the colours of images and segment photos into regions, by k-means."""


def fail(message: str, code: int) -> NoReturn:
    """Print ``quantize: error: message`` on stderr and exit with ``code``.

    File names that are not valid UTF-8 are shown with replacement characters
    rather than crashing the error report itself.
    """
    printable = message.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    typer.echo(f"quantize: error: {printable.splitlines()[0] if printable else ''}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn library exceptions into one-line errors and exit codes.

    ``QuantizeError`` subclasses carry their own code; other ``ValueError`` and
    ``TypeError`` are bad parameters (exit 2); other ``OSError`` are file
    problems (exit 1).
    """
    try:
        yield
    except QuantizeError as exc:
        fail(str(exc), exc.exit_code)
    except (ValueError, TypeError) as exc:
        fail(str(exc), USAGE_ERROR)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", 1)
    except MemoryError:
        fail("out of memory; try a smaller image or --max-pixels", 1)


def main() -> None:
    """Console-script entry point."""
    app()


# Sub-commands register themselves on `app` when imported.
from . import batch, reduce  # noqa: E402,F401
