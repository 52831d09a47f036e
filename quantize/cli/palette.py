"""``quantize palette``: the colours ``quantize reduce`` fits for images, without the images.

Parses the options, checks them once, runs
:func:`quantize.reduce.palette_job.extract_palette` on each file in turn and prints its
colours, largest share first, one line each (``#rrggbb 41.2% R G B``; with several files,
a ``==> NAME <==`` line before each file's, as ``head`` writes), or one JSON object per
file (``--json``), or, with ``-o`` or ``--ext``, writes them to a palette file, CSS or a
swatch image and prints one line per file.

Exit codes (:class:`quantize.errors.ExitCode`): 0 every file done; otherwise the code the
failed files share (1 unreadable input, an animation or a TIFF of pages, or unwritable
output, 2 usage error, 15 output exists), or 1 when they differ; 130 when interrupted
(Ctrl-C), 129 when the terminal closed (SIGHUP), 143 when stopped by SIGTERM.
"""

# Annotations are evaluated on import, not as strings: see quantize.cli.

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import CodeAdviceError, ExitCode
from ..io import DEFAULT_MAX_PIXELS
from ..names import output_stem, printable_line, quoted, same_file, shell_quoted
from ..reduce.fit import FEATURES
from .common import (
    USAGE_ERROR,
    Command,
    CommandFailed,
    IntentOption,
    PaletteFixedColorOption,
    PaletteMatteOption,
    PaletteMaxPixelsOption,
    SeedOption,
    app,
    choice_word,
    fail,
    fail_interrupted,
    file_name,
    fixed_colors_given,
    image_name,
    integer,
    note,
    offering,
    output_as_input,
    refuse_both,
    refuse_missing_folder,
    say,
    user_errors,
    warn,
)

_EPILOG = """\b
Examples:
  quantize palette photo.jpg -k 6               # lines: #rrggbb share% R G B
  quantize palette photo.jpg -k 6 | cut -d' ' -f1  # the hex codes alone
  quantize palette photo.jpg -k 6 -o theme.css  # :root { --color-1: ... }
  quantize palette photo.jpg -k 6 -o swatch.png # a strip of 6 squares
  quantize palette *.jpg -k 8 --ext .gpl        # a.jpg -> a.gpl, ... for GIMP
  quantize palette a.jpg b.jpg -k 5 --json      # one JSON object per file

\b
The colours are those `quantize reduce FILE --palette-out` writes for the same -k,
--space, --exact-colors, --matte and --seed, listed by share; fully transparent pixels
are no colour, and a translucent colour is listed at its share with its alpha
(#rrggbbaa ... R G B A).

\b
Exit codes: 0 done, 1 unreadable input or unwritable output, 2 usage error,
15 output exists (use --force), 129 the terminal closed (SIGHUP), 130 interrupted
(Ctrl-C), 143 stopped by SIGTERM. With several files: the code the failed files share,
or 1 when they differ.
"""

#: What palette says of options of reduce (and of other tools) it has no counterpart of.
_NO_DITHERING = ("quantize palette draws no image, so nothing is dithered: its colours are "
                 "those quantize reduce --palette-out writes without --dither")
_FOREIGN = {
    **dict.fromkeys(("--dither", "--no-dither", "--nofs", "--floyd", "--ordered"),
                    _NO_DITHERING),
    **dict.fromkeys(("--jobs", "--threads", "--workers", "--processes"),
                    "quantize palette does its files one after another, in one process"),
    "--quality": "a palette is asked as a number of colours, -k (quantize reduce --quality "
                 "chooses the fewest colours that reach a quality)",
    "--palette-in": "quantize palette fits a palette, and one given is already known "
                    "(quantize reduce --palette-in maps an image onto it)",
}


class _PaletteCommand(Command):
    """``quantize palette``: reduce's options that it has not (``--dither``, ``--jobs``,
    ``--quality``, ``--palette-in``, and the names pngquant gives them) are said to be none
    of its own, and why, instead of being proposed or left without a word."""

    foreign = _FOREIGN


@app.command("palette", cls=_PaletteCommand, epilog=_EPILOG,
             short_help="Print or write the palette of images (no image written).")
def palette_command(
    inputs: Annotated[list[str], typer.Argument(
        metavar="FILE...", help="Still images (PNG, JPEG, WebP, TIFF, ...: any Pillow reads; "
        "upright by their EXIF orientation, in sRGB by their colour profile).",
        show_default=False, parser=image_name)],
    colors: Annotated[int | None, typer.Option(
        "-k", "--colors", metavar="K", parser=integer,
        help="Number of colours, 1..256 (default 16); fewer when the image has fewer.",
        show_default=False)] = None,
    space: Annotated[str | None, typer.Option(
        "--space", metavar="rgb|lab", parser=choice_word(FEATURES),
        help="Colour space to cluster in: rgb (default) or lab (CIELAB), as reduce's.",
        show_default=False, autocompletion=offering(FEATURES))] = None,
    exact_colors: Annotated[bool, typer.Option(
        "--exact-colors", help="Every palette colour occurs in the image. Each is the colour "
        "that holds more than half of its cluster's pixels, else the cluster's medoid.")
    ] = False,
    matte: PaletteMatteOption = None,
    fixed_color: PaletteFixedColorOption = None,
    seed: SeedOption = 0,
    output: Annotated[str | None, typer.Option(
        "-o", "--output", metavar="FILE", parser=file_name,
        help="Write the palette to FILE instead of printing it, with one input only: "
        ".gpl, .json, .hex, .act, .pal, .txt, .css (CSS custom properties --color-1.. by "
        "share), .ase (Adobe Swatch Exchange), or .png (a swatch: one 64-pixel square per "
        "colour, all the same size, "
        "left to right by share; --palette-in reads it back).", show_default=False)] = None,
    ext: Annotated[str | None, typer.Option(
        "--ext", metavar="SUFFIX", help="Write each input's palette beside it, named "
        "INPUT-stem + SUFFIX (.gpl, .css, .k6.json, ...: any extension -o takes).",
        show_default=False)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object per file: input, output (null when none is "
        "written), k, space, n_colors, exact_colors, seed, matte (then fixed_colors, with "
        "--fixed-color), palette (a list of hex, alpha, share, largest share first, after "
        "the fixed colours), seconds.")] = False,
    quiet: Annotated[bool, typer.Option(
        "-q", "--quiet", help="Print no note and no line per palette file written: only "
        "the colours printed (without -o or --ext), warnings and errors.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite palette files that exist.")] = False,
    max_pixels: PaletteMaxPixelsOption = DEFAULT_MAX_PIXELS,
    intent: IntentOption = None,
) -> None:
    """Print or write the palette reduce fits for images, largest share first."""
    if quiet and as_json:
        refuse_both("-q/--quiet", "--json")
    with user_errors():
        fixed = fixed_colors_given(fixed_color)  # a list, a palette file: one colour each
    options = {"n_colors": colors, "space": space, "exact_colors": exact_colors,
               "matte": matte, "seed": seed, "force": force, "max_pixels": max_pixels,
               "fixed_colors": fixed, "intent": intent}
    options = {key: value for key, value in options.items() if value is not None}
    _check_options(options)
    outputs = _outputs(inputs, output, ext)
    shown: list[str] = []  # the files whose colours are printed
    show = "json" if as_json else "quiet" if quiet else "lines"
    codes = [_one_file(name, out, options, show, len(inputs) > 1, shown)
             for name, out in zip(inputs, outputs, strict=True)]
    failed = {code for code in codes if code != ExitCode.OK}
    raise typer.Exit(ExitCode.OK if not failed else failed.pop() if len(failed) == 1
                     else ExitCode.FAILED)


def _check_options(options: Mapping[str, Any]) -> None:
    """Refuse a bad option before any file is read (usage error), as each file would;
    more colours than the palette holds with the way to them in a command."""
    from ..reduce import check_reduce_options
    from ..reduce.palette_job import check_palette_colors

    with user_errors():
        checked = check_reduce_options(**options)
        try:
            check_palette_colors(checked["n_colors"])
        except CodeAdviceError as exc:
            k = checked["n_colors"]
            raise CodeAdviceError(exc.facts, advice=f"for more colours, quantize reduce "
                                  f"FILE -k {k} -o out.webp --palette-out p.gpl writes "
                                  "them") from None


def _outputs(inputs: Sequence[str], output: str | None, ext: str | None
             ) -> list[str | None]:
    """The palette file of each input: ``-o`` (one input only), ``INPUT-stem + ext`` beside
    it, or None (printed); two inputs that would write one file are refused."""
    from ..reduce.palette_job import PALETTE_OUTPUTS

    if output is not None and ext is not None:
        refuse_both("-o/--output", "--ext")
    if output is not None and len(inputs) > 1:
        fail(f"-o names one file but {len(inputs)} inputs were given; use --ext SUFFIX "
             "(--ext .gpl) to write each one's palette beside it", USAGE_ERROR)
    if "-" in inputs:
        fail("palette reads image files, not stdin (-); save the image to a file first",
             USAGE_ERROR)
    if ext is not None and Path("x" + ext).suffix.lower() not in PALETTE_OUTPUTS:
        fail(f"--ext={ext!r} should end in an extension -o takes: "
             f"{', '.join(PALETTE_OUTPUTS)}", USAGE_ERROR)
    if output is not None:
        _check_output(output, inputs[0])
        return [output]
    if ext is None:
        return [None] * len(inputs)
    outputs = [os.path.join(os.path.dirname(name), output_stem(name) + ext)
               for name in inputs]
    _refuse_shared_outputs(inputs, outputs)
    return list(outputs)


def _check_output(output: str, input: str) -> None:
    """Refuse, before any work, with reduce's checks of ``--palette-out`` and their usage
    errors: an ``-o`` that names a pipe, device or socket, a folder or a name under a file
    (:func:`~quantize.reduce.options.check_output_names`), one with no palette extension,
    one in a folder that does not exist (:func:`~quantize.cli.common.refuse_missing_folder`)
    or the input itself, even with ``--force``
    (:func:`~quantize.cli.common.output_as_input`). Each was refused as the file's failure,
    exit 1."""
    from ..io import STREAM_OUTPUT, is_stream
    from ..reduce.options import check_output_names
    from ..reduce.palette_job import check_palette_output

    if is_stream(Path(output)):  # as reduce's --palette-out
        fail(f"-o/--output={quoted(output)} {STREAM_OUTPUT}", USAGE_ERROR)
    with user_errors():
        check_output_names(output, None)
        check_palette_output(output, "output")
    refuse_missing_folder("-o/--output", output)
    if (what := output_as_input(output, input, " is")) is not None:
        fail(f"{input}: -o/--output={what}, which is never overwritten (not even with "
             "--force); write the palette to another file", USAGE_ERROR)


def _refuse_shared_outputs(inputs: Sequence[str], outputs: Sequence[str]) -> None:
    """Refuse two inputs whose ``--ext`` outputs are one file (``a.jpg a.png --ext .gpl``)."""
    seen: dict[str, str] = {}
    for name, out in zip(inputs, outputs, strict=True):
        key = os.path.normcase(os.path.abspath(out))
        if key in seen and not same_file(seen[key], name):
            fail(printable_line(f"{seen[key]} and {name} would both write {out}; choose a "
                                "--ext that keeps the extension (--ext .jpg.gpl), or run "
                                "them apart with -o"), USAGE_ERROR)
        seen.setdefault(key, name)


def _one_file(name: str, out: str | None, options: Mapping[str, Any], show: str,
              several: bool, shown: list[str]) -> ExitCode:
    """Extract, then print, the palette of the file ``name`` (to ``out`` when given),
    added to ``shown``; its exit code, its error said on stderr. ``show``: "lines", "json"
    or "quiet" (no note, no line of a file written)."""
    from ..batch.calls import recorded_call
    from ..errors import ProfileConvertedWarning
    from ..reduce import FewerColorsWarning

    try:
        with user_errors():
            record = recorded_call(_extract, (name, out), options,
                                   format_advice=True, notes=(FewerColorsWarning,),
                                   noted=(ProfileConvertedWarning,))
    except CommandFailed as exc:
        return ExitCode(exc.exit_code)
    except KeyboardInterrupt:
        fail_interrupted("interrupted; files already reported are done")
    for message in record.pop("warnings", ()):
        warn(name, message)
    record.pop("notes", None)  # fewer colours than asked: the lines (and k) say it
    for message in record.pop("noted", ()):  # a fact of the colours read
        if show != "quiet":
            note(name, message)
    _show({**record, "input": name, "output": out}, show, several, first=not shown)
    shown.append(name)
    return ExitCode.OK


def _extract(name: str, out: str | None, **options: Any) -> dict[str, Any]:
    """:func:`~quantize.reduce.palette_job.extract_palette` of the file ``name``, an
    animation refused with the command that fits its one palette instead of the library's
    call (the colours' refusal, the other with code advice, is said before any file by
    :func:`_check_options`)."""
    from ..reduce.palette_job import extract_palette

    try:
        return extract_palette(name, out, **options)
    except CodeAdviceError as exc:  # StillExpectedError: the file's cause, exit 1
        raise type(exc)(exc.facts, advice=f"quantize reduce {shell_quoted(name)} "
                              "--palette-out p.gpl fits one palette for all the frames (and "
                              "writes the reduced animation)", path=exc.path) from None


def _show(record: Mapping[str, Any], show: str, several: bool, first: bool) -> None:
    """Print a file's ``record`` as ``show`` says: one JSON line ("json"), a line of what
    was written (none when "quiet"), or its colours (after a ``==> NAME <==`` line when
    there are ``several`` files, a blank line before all but the ``first``, as ``head``
    writes)."""
    if show == "json":
        import json

        say(json.dumps(record, ensure_ascii=False))
        return
    if record["output"] is not None:
        if show == "quiet":
            return
        k = record["k"]
        say(printable_line(f"{record['input']} -> {record['output']}: {k} "
                           f"colour{'' if k == 1 else 's'}"))
        return
    if several:
        if not first:
            say("")
        say(printable_line(f"==> {record['input']} <=="))
    for line in palette_lines(record["palette"]):
        say(line)


def palette_lines(palette: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per entry of a record's ``palette``: its hex code, its share in per cent
    and its R G B levels, separated by single spaces (``cut -d' ' -f1`` gives the codes);
    an entry not opaque has its alpha after both, ``#rrggbbaa ... R G B A``.

    >>> palette_lines([{"hex": "#c82828", "alpha": 255, "share": 0.75},
    ...                {"hex": "#14c814", "alpha": 128, "share": 0.0625}])
    ['#c82828 75.0% 200 40 40', '#14c81480 6.2% 20 200 20 128']
    """
    lines = []
    for entry in palette:
        levels = [int(entry["hex"][i:i + 2], 16) for i in (1, 3, 5)]
        alpha = entry["alpha"]
        code = entry["hex"] if alpha == 255 else f"{entry['hex']}{alpha:02x}"
        values = levels if alpha == 255 else [*levels, alpha]
        lines.append(f"{code} {100 * entry['share']:.1f}% {' '.join(map(str, values))}")
    return lines
