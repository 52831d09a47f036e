"""The ``quantize`` command line: thin wrappers that parse, call the library, print.

Each sub-command lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

import typer

from .. import __version__

app = typer.Typer(
    name="quantize",
    help="Reduce the colours of images and segment photos into regions, by k-means.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


def main() -> None:
    """Console-script entry point."""
    app()
