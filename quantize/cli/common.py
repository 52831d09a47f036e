"""What the commands share: the ``app`` they register on, the options common to several,
the parsing of values and names, how lines are printed and errors shown (one line and an
exit code, never a traceback), and the staging of streams.

No ``from __future__ import annotations`` here either: see :mod:`quantize.cli`.
"""

import ast
import contextlib
import errno
import inspect
import itertools
import logging
import math
import os
import re
import sys
import tempfile
import textwrap
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, BinaryIO, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

try:  # recent typer vendors its own copy of click
    from typer._click import exceptions as click_errors
    from typer._click import formatting as click_formatting
except ImportError:  # older typer runs on click itself
    from click import exceptions as click_errors
    from click import formatting as click_formatting

from .. import __version__
from .._sigterm import stopped_by
from .._start import INTERRUPTED_AT_START
from .._validation import TypedNumber, shown_number
from ..encode import OPTIMIZED_OUTPUTS
from ..errors import ExitCode, FailureKind, ImageReadError, QuantizeError, failure_kind
from ..io import MAX_PALETTE, check_input_path, is_stream  # noqa: F401 -- commands import is_stream here
from ..io.profiles import INTENTS
from ..io.streams import (  # noqa: F401 -- and STREAM_HEAD
    STREAM_HEAD,
    StreamImage,
    copy_image_stream,
    images_in_stream,
)
from ..names import (
    apart_by_code_point,
    folded_name,
    is_link_loop,
    printable,
    printable_line,
    quoted,
    repr_bytes_shown,
    resolved_path,
    same_file,
    shell_quoted,
)
from ..reduce.budget import is_size_unit
from ..reduce.options import ORDERED, PATTERN, POSITIONAL, positional_meant
from ..reduce.quality import (
    QUALITY_MEANS,
    QUALITY_SCALE_WARNING_ABOVE,
    quality_scale_reason,
)

USAGE_ERROR = ExitCode.USAGE

#: A plain decimal integer, as the integer options take them: 16, +16, -1, 016.
_PLAIN_INTEGER = r"[+-]?[0-9]+"


def integer(text: Any) -> int:
    """Parse an integer option (``-k``, ``--seed``, ``-j``, ...): a plain decimal integer,
    spaces around it aside, as :func:`plain_number` reads a number.

    Python's ``int`` also reads ``1_6`` as 16 and digits of other scripts (``"١٦"``) as
    their values: a typo would be taken for another value. A default, already an int, is
    kept as it is.

    >>> integer("16"), integer("+16"), integer(" -1 "), integer(0)
    (16, 16, -1, 0)

    Raises
    ------
    click.BadParameter
        If ``text`` is not a plain decimal integer, in the parser's own words (see
        :func:`_bad_value`).
    """
    if isinstance(text, int):
        return text
    if re.fullmatch(_PLAIN_INTEGER, text.strip()) is None:
        raise click_errors.BadParameter(f"{text!r} is not a valid integer.")
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise click_errors.BadParameter(f"{text!r} is not a valid integer.") from None


def min_region_value(text: Any) -> int | str:
    """Parse ``--min-region`` (and ``--working-size``): a plain decimal integer (pixels) as
    :func:`integer` reads it, else the text as typed, for the option's check to read
    (:func:`quantize.segment.check_min_region`: a share of the image, ``0.1%``; the
    working size's: ``full``) or refuse, naming what it takes.

    >>> min_region_value("5000"), min_region_value("0.1%"), min_region_value("1.5")
    (5000, '0.1%', '1.5')
    """
    if isinstance(text, int) or re.fullmatch(_PLAIN_INTEGER, text.strip()) is None:
        return text
    return integer(text)


def choice_word(values: Iterable[str] | Callable[[], Iterable[str]]) -> Callable[[Any], Any]:
    """A closed-set option's ``parser`` (``--space``, ``--palette``, ``--mode``): a word
    typed in any case is the name of ``values`` it spells, as ``--format`` takes its name
    and ``--matte`` a colour's (``LAB`` is ``lab``); any other is kept as typed, for the
    option's check to refuse it in the user's words. ``values`` as :func:`offering` takes
    them (a function, for names in a module imported only as they are needed).

    >>> parse = choice_word(("rgb", "lab"))
    >>> parse("LAB"), parse("Lab"), parse("LUV"), parse(None)
    ('lab', 'lab', 'LUV', None)
    """
    def parse(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        folded = text.lower()
        return folded if folded in (values() if callable(values) else values) else text

    return parse


def offering(values: Iterable[str] | Callable[[], Iterable[str]]) -> Callable[[], list[str]]:
    """An option's ``autocompletion``: shell completion offers ``values``, the names its
    check takes (typer keeps those that start with what was typed), or the names a function
    returns, for names a module not imported by every call holds (imported as the shell
    asks). Without one, an option's value completed to nothing (``--space <TAB>``); an
    option that takes a file offers none, and the shells offer file names instead.

    >>> offering(("rgb", "lab"))()
    ['rgb', 'lab']
    """
    if callable(values):
        return lambda: list(values())
    names = list(values)
    return lambda: list(names)


def segment_spaces() -> tuple[str, ...]:
    """The names ``--space`` takes when segmenting, those its check takes
    (:data:`quantize.features.SPACES`), imported only as they are needed."""
    from ..features import SPACES

    return SPACES


def class_orders() -> tuple[str, ...]:
    """The names ``--class-order`` takes, those its check takes
    (:data:`quantize.classes.CLASS_ORDERS`)."""
    from ..classes import CLASS_ORDERS

    return CLASS_ORDERS


def stretch_curves() -> tuple[str, ...]:
    """The names ``--stretch-curve`` takes, those its check takes
    (:data:`quantize.io.stretch.STRETCH_CURVES`)."""
    from ..io.stretch import STRETCH_CURVES

    return STRETCH_CURVES


def weight_names() -> list[str]:
    """What ``-w`` completes to: each feature group's name with its ``=``, ``color=``, ...
    (:data:`quantize.features.GROUPS`, the names its check takes), the value left to type."""
    from ..features import GROUPS

    return [f"{name}=" for name in GROUPS]


def color_names() -> list[str]:
    """The colour names ``--overlay-color`` takes, those Pillow reads
    (:func:`~quantize._validation.color_from_text`), imported only as they are needed."""
    from PIL import ImageColor

    return sorted(ImageColor.colormap)


# Options that every sub-command declares the same way.
StripOption = Annotated[bool, typer.Option(
    "--strip", help="Write no EXIF. Without it, a .png, .webp, .jpg or .tif output (an "
    "animation's .png, .webp or .tif too; of segment, segmented.png and overlay.png, not "
    "the maps labels.png, boundaries.png and edges.png) keeps the input's EXIF (artist, "
    "copyright, "
    "description, camera, date; a TIFF's tags), its orientation reset as the pixels are "
    "upright, without a camera's thumbnail of the original, and without its GPS location "
    "unless --keep-gps; a .gif or .bmp, which hold none, says so in a note. A still .tif "
    "of reduce keeps a GeoTIFF input's georeferencing too (GeoTIFF and GDAL tags, byte for "
    "byte); other outputs, segment's PNGs among them, say in a note they leave it out, and "
    "--strip drops it. A .png of "
    "reduce keeps a PNG input's text chunks too (tEXt, zTXt, iTXt: licence, author, XMP), "
    "which --strip drops and other outputs say in a note they leave out. No output "
    "carries an ICC profile (pixels are converted to sRGB).")]
NearestOption = Annotated[bool, typer.Option(
    "--nearest", help="For animations with one palette, undithered: map every pixel of "
    "every frame onto its nearest entry, as a still's, for the best PSNR. Without it, a "
    "pixel takes its left neighbour's entry, or keeps the previous frame's, when that is "
    "within ΔE 2 of its nearest: a GIF of a panned photo 4-25 % smaller at 256 colours, "
    "1-5 dB lower.")]
KeepGpsOption = Annotated[bool, typer.Option(
    "--keep-gps", help="Keep the GPS location of the input's EXIF (where the picture was "
    "taken), which an output leaves out by default; the rest of the EXIF is kept either "
    "way (unless --strip).")]


def _matte_option(shown: str, where: str, effect: str) -> Any:
    """The ``--matte`` option, its help the same for every command but for what is ``shown``
    on the background, ``where`` the colours are fitted, and its ``effect`` on the output."""
    return Annotated[str | None, typer.Option(
        "--matte", metavar="COLOUR", help=f"The background {shown} shown on (an e-mail's, "
        "a web page's), as Photoshop's Matte: translucent pixels (a soft shadow, "
        "anti-aliased edges) are blended onto it and made opaque before the colours are "
        f"fitted{where}; fully transparent pixels stay so.{effect} A colour name (white, "
        "...: the CSS names), #rrggbb, #rgb, rrggbb (as Figma copies it), rgb(r,g,b), "
        "rgb(r g b) or hsl(h,s%,l%).", show_default=False,
        autocompletion=offering(color_names))]


def _fixed_color_option(first: str, counted: str, after: str, alone: str) -> Any:
    """The ``--fixed-color`` option, its help the same for every command but for which
    entry is ``first``, what else the colours are ``counted`` in, what comes ``after``
    them, and what it is given ``alone`` of."""
    return Annotated[list[str] | None, typer.Option(
        "--fixed-color", metavar="COLOUR", help="A colour the fitted palette keeps, exactly, "
        "as an entry of its own, whether a pixel takes it or not (a colour key such as "
        "#ff00ff, black, white, a brand's colours); repeat it for more, list several with "
        "commas ('#1f77b4,#ff7f0e'), or give a palette file for all of its colours (.hex, "
        ".gpl, .json, .act, .pal, .txt, .css, .ase, or a .png, .gif or .bmp of swatches; the "
        "names a .gpl, .json, .css or .ase file gives them name their entries in the palette "
        "files written, as a brand.gpl's 'Error red'). The fixed "
        f"colours are the first entries, in the order given ({first}), the fitted ones follow; "
        f"they count in -k{counted}. Opaque: a colour with alpha is refused{after}. A "
        f"colour name, #rrggbb, #rgb, rrggbb (as Figma copies it), rgb(r,g,b), rgb(r g b) or "
        f"hsl(h,s%,l%).{alone}", show_default=False,
        autocompletion=offering(color_names))]


def fixed_colors_given(values: Sequence[str] | None) -> list[str] | None:
    """``--fixed-color``'s values, one colour an item: a value with commas outside
    parentheses is a list of colours (``rgb(1,2,3)`` is one), a value that is a file or ends
    as a palette file does (--palette-in's formats and images: such a value is a file, named
    in the error when it cannot be read, never a colour) the colours of that palette, read
    as ``--palette-in`` reads it (an entry with alpha as ``#rrggbbaa``, which the check of
    fixed colours refuses); None when none is given. Raises ValueError for an empty item,
    and the palette reader's errors for a file that cannot be read.

    >>> fixed_colors_given(["#1f77b4, #ff7f0e", "rgb(0,0,0)", "white"])
    ['#1f77b4', '#ff7f0e', 'rgb(0,0,0)', 'white']
    >>> fixed_colors_given(["red,,blue"])
    Traceback (most recent call last):
    ...
    ValueError: fixed_colors='red,,blue' has an empty item; expected colours separated by \
commas ('#1f77b4,#ff7f0e'), or a palette file
    """
    if not values:
        return None
    from ..palette_files import PALETTE_FORMATS, PALETTE_IMAGE_FORMATS

    endings = (*PALETTE_FORMATS, *PALETTE_IMAGE_FORMATS)
    out: list[str] = []
    for value in values:
        if value.lower().endswith(endings) or os.path.isfile(value):
            out += _palette_file_colors(value)
            continue
        items = [item.strip() for item in re.split(r",(?![^()]*\))", value)]
        if not all(items):
            raise ValueError(f"fixed_colors={value!r} has an empty item; expected colours "
                             "separated by commas ('#1f77b4,#ff7f0e'), or a palette file")
        out += items
    return out


def _palette_file_colors(path: str) -> list[str]:
    """The colours of the palette file ``path`` as ``#rrggbb`` (``#rrggbbaa`` when not
    opaque), in its order, with the names the file gives them, which the palette files
    written keep (:func:`~quantize.reduce.options.read_fixed_colors`); its reader's error
    when it cannot be read."""
    from ..reduce.options import read_fixed_colors

    return read_fixed_colors(path)


# reduce's and batch's, whose outputs are images; palette's lists colours
MatteOption = _matte_option(
    "the output is", ", in every frame", " For a .gif, whose transparency is on or off; in "
    "a .png or .webp it flattens the soft alpha too.")
PaletteMatteOption = _matte_option("the colours are", "", " The colours are then opaque.")
FixedColorOption = _fixed_color_option(
    "index 0 of a .png, .gif or .bmp and of --palette-out is the first",
    " and in the colours --quality chooses",
    "; the entry of fully transparent pixels comes after them", " With --palette-in and -k K, "
    "entries of that palette pinned among the K chosen (each must be one of its entries); not "
    "with --palette-in alone.")
PaletteFixedColorOption = _fixed_color_option(
    "listed first whatever their share; entry 0 of -o's file is the first", "", "", "")
TransparentColorOption = Annotated[str | None, typer.Option(
    "--transparent-color", metavar="COLOUR", help="The colour of the entry of fully "
    "transparent pixels, black by default; its alpha stays 0, and the pixels and metrics are "
    "the same. A colour key (#ff00ff), which a .bmp, holding no alpha, then shows where the "
    "image was transparent; or edge: the mean colour of the visible pixels next to them, "
    "as alpha bleeding gives them, so that a game engine filtering the texture without "
    "premultiplying draws no dark outline. A colour name, #rrggbb, #rgb, rrggbb, rgb(r,g,b), "
    "rgb(r g b) or hsl(h,s%,l%). Still "
    "images only; not with --palette-in, whose own entry of alpha 0 gives the colour.",
    show_default=False, autocompletion=offering(lambda: ["edge", *color_names()]))]
SeedOption = Annotated[int, typer.Option(
    "--seed", metavar="S", parser=integer, help="Random seed, an integer >= 0; the same "
    "seed gives the same output.")]
NoDataOption = Annotated[str | None, typer.Option(
    "--nodata", metavar="VALUE", help="The value that marks missing data (a GIS tile's "
    "border), in the input's own units, before any scaling to 8 bits or segment's --stretch "
    "(0..65535 of a 16-bit tile): pixels whose every band equals it are read as fully transparent, "
    "as alpha 0 is. One number for every band, or three for red, green and blue (0,0,0). "
    "nan: a float image's NaN pixels, which are no data by default too (a warning says "
    "so). Default: the value a TIFF's GDAL_NODATA tag names, when it has one (a warning "
    "says it); none reads every pixel, the tag left out, NaN as black. For grey and RGB "
    "images, with alpha (a pixel no data or transparent is left out) or not, and palette "
    "images (matched in their colours); a still only. The value used is recorded as "
    "nodata (--json, segments.json).",
    show_default=False)]
IntentOption = Annotated[str | None, typer.Option(
    "--intent", metavar="NAME", parser=choice_word(INTENTS),
    help="The rendering intent by which an input's embedded ICC profile (a CMYK file's, an "
    "Adobe RGB or ProPhoto one's) is converted to sRGB: relative-bpc (the default: relative "
    "colorimetric with black-point compensation, as Photoshop converts), relative (without "
    "it, as ImageMagick's -profile), perceptual, saturation or absolute. No effect on a "
    "file without a profile or with an sRGB one.", show_default=False,
    autocompletion=offering(INTENTS))]


def _max_pixels_option(counted: str) -> Any:
    """The ``--max-pixels`` option, its help saying how the command counts the pixels of
    an image besides width x height (``counted``: "; of an animation, ...")."""
    return Annotated[int, typer.Option(
        "--max-pixels", metavar="N", parser=integer, help="Refuse images of more than N "
        f"pixels (width x height{counted}), a guard against decompression bombs.")]


MaxPixelsOption = _max_pixels_option("; an animation file to reduce, frames x width x "
                                     "height; with --frames, each file, as separate files")
BatchMaxPixelsOption = _max_pixels_option("; an animation file, in reduce mode, frames x "
                                          "width x height; in segment mode, its first frame")
SegmentMaxPixelsOption = _max_pixels_option("; of an animation, its first frame, the one "
                                            "segmented")
PaletteMaxPixelsOption = _max_pixels_option("")


def _max_frames_option(refuse: str) -> Any:
    """The ``--max-frames`` option, its help beginning with ``refuse`` ("Refuse", or
    "reduce: refuse" where another mode has no use of it)."""
    return Annotated[int, typer.Option(
        "--max-frames", metavar="N", parser=integer, help=f"{refuse} an animation or TIFF "
        "stack of more than N frames (pages), counted before any is decoded: each costs a "
        "fixed time however small, which --max-pixels does not count.")]


MaxFramesOption = _max_frames_option("Refuse")
BatchMaxFramesOption = _max_frames_option("reduce: refuse")
DitherOption = Annotated[bool, typer.Option(
    "--dither/--no-dither", help="Error diffusion onto the palette; --dither=LEVEL sets its "
    "strength, 0..1 (plain --dither: 1); --dither=ordered: a regular 8x8 Bayer pattern "
    "instead, which stays put from frame to frame of an animation; --dither=pattern: the "
    "same with each colour mixed from two of its three nearest entries (pixel art). Onto "
    "a grid palette (RGB332, RGB565: every mix of a few levels a channel) both mix each "
    "channel between its two nearest levels, at any size.")]
# batch's help names the mode of each option that only one mode takes
BatchDitherOption = Annotated[bool, typer.Option(
    "--dither/--no-dither", help="reduce: error diffusion onto the palette; --dither=LEVEL "
    "sets its strength, 0..1 (plain --dither: 1); --dither=ordered: an 8x8 Bayer pattern "
    "instead; --dither=pattern: one of two near entries a colour.")]
# Filled from --dither=LEVEL by DitherLevelCommand; not shown in the help. Completion
# offers its names, as it is asked for --dither= (quantize.cli._completion).
DitherLevelOption = Annotated[str | None, typer.Option(
    "--dither-level", hidden=True, autocompletion=offering(POSITIONAL))]


def path(value: str) -> Path:
    """Parse a path option or argument, refusing an empty one (an unset shell variable?).

    Named for the ``<path>`` the help shows. Without it, ``-o ""`` would mean
    the current folder. A file named ``-``, written ``./-``, is given by its absolute
    path, as the Path of ``./-`` is ``-``, which means stdin.
    """
    if not value:
        raise typer.BadParameter("is empty; expected a path")
    if value != "-" and Path(value) == Path("-"):  # "./-", the file "-", which a Path
        return Path(os.path.abspath(value))  # drops to "-", stdin (or stdout)
    return Path(value)


def image_file(value: str) -> Path:
    """Parse an image to read as :func:`path` does, refusing a file's name followed by "/"
    (``photo.png/``), which the system refuses ("Not a directory") but a Path would drop,
    reading ``photo.png``: an input that is not a file, exit 1 as a folder given is."""
    p = path(value)
    try:
        check_input_path(value)
    except ImageReadError as exc:
        fail(f"{value}: {exc.reason}", exc.exit_code)
    return p


def image_name(value: str) -> str:
    """Parse an image to read as :func:`image_file` does, kept as it was typed (``./-x.png``,
    whose Path is ``-x.png``: a name a script could not pass back, read as options), but
    the file ``-`` written ``./-``, given by its absolute path (:func:`path`)."""
    p = image_file(value)
    return str(p) if p.is_absolute() and not os.path.isabs(value) else value


def as_typed(shown: str, typed: str) -> str:
    """``shown``, the name of a file made from the file name ``typed`` (itself, or one beside
    it) as a Path writes it, with the ``./`` that starts ``typed`` and the Path dropped: a
    name a script can pass back as it was given (``-x.png`` would be read as options).

    >>> as_typed("-x.k2.png", "./-x.png"), as_typed("d/a.png", "./d/a.png")
    ('./-x.k2.png', './d/a.png')
    >>> as_typed("/tmp/a.png", "./a.png"), as_typed("a.k2.png", "a.png")
    ('/tmp/a.png', 'a.k2.png')
    """
    if typed.startswith("./") and not shown.startswith("./") and not os.path.isabs(shown):
        return "./" + shown
    return shown


def palette_file(value: str) -> Path:
    """Parse the ``--palette-in`` file as :func:`path` does, refusing ``-`` as such: the
    palette is read from a file, told by its extension ("has no extension" would ask for
    one), and every file's job reads it again."""
    if value == "-":
        from ..palette_files import PALETTE_IN_FORMAT_LIST

        raise typer.BadParameter("is -, but the palette is read from a file, not from stdin; "
                                 f"name a palette file ({PALETTE_IN_FORMAT_LIST})")
    return path(value)


def file_name(value: str) -> str:
    """Parse the name of a file to write as :func:`path` does, kept as it was typed: a
    final "/", which a Path drops (``small.hex/`` would be ``small.hex``), says it names a
    folder, which the library then refuses."""
    path(value)
    return value


#: A plain decimal number, as the options and weights take them: 2, -0.5, .5, 2., 1e-3.
#: The patterns of this module are compiled by re on their first use (most calls make none).
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# Read too, for the options' checks to refuse by name ("should be a finite number").
_NOT_FINITE = frozenset({"nan", "inf", "infinity"})


def _read(text: str) -> float:
    """``float(text)``, but a number too small for a float (``1e-400``) as the smallest
    float of its sign rather than as 0: the options' range checks then refuse it as below
    their minimum (``-w color=1e-400`` as ``color=1e-7`` is; ``--quality -1e-400`` as
    below 0), or keep it a strength however small (``--dither=1e-400``), instead of taking
    it for 0, which turns a feature group or dithering off.

    >>> _read("1e-400"), _read("-1e-400"), _read("0e-400"), _read("2.5")
    (5e-324, -5e-324, 0.0, 2.5)
    """
    value = float(text)
    if value == 0 and re.search("[1-9]", text.lower().partition("e")[0]):
        return math.copysign(math.ulp(0.0), value)
    return value


def plain_number(text: str) -> bool:
    """Whether ``text`` (spaces around it aside) is a plain decimal number, or nan or inf.

    Python's ``float`` also reads ``1_0`` as 10, ``0x1``-like forms no, but digits of
    other scripts (``"١"`` as 1) yes: a typo would be taken for another value.

    >>> [plain_number(t) for t in ("2", "-0.5", ".5", "2.", "1e-3", " 1 ", "nan", "1_0", "١")]
    [True, True, True, True, True, True, True, False, False]
    """
    text = text.strip()
    return (re.fullmatch(_PLAIN_NUMBER, text) is not None
            or text.lstrip("+-").lower() in _NOT_FINITE)


def number(text: str) -> float:
    """Parse a number option or weight, keeping its text for the messages that echo it.

    >>> value = number("-1")
    >>> value == -1.0, f"texture={value}"
    (True, 'texture=-1')

    Raises
    ------
    click.BadParameter
        If ``text`` is not a plain decimal number (:func:`plain_number`), in the parser's
        own words (see :func:`_bad_value`).
    """
    if not plain_number(text):
        raise click_errors.BadParameter(f"{text!r} is not a valid float.")
    return TypedNumber(_read(text), text.strip())


class NumberPair(tuple):  # type: ignore[type-arg]
    """Two numbers typed as ``LOW,HIGH`` (:func:`number_pair`), which messages quote as
    typed (``--stretch-range=3000,1000``), not as a tuple of floats."""

    text: str

    def __new__(cls, values: tuple[float, float], text: str) -> "NumberPair":
        pair = super().__new__(cls, values)
        pair.text = text
        return pair

    def __repr__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[Any, ...]:  # a worker's messages quote it as typed too
        return (NumberPair, (tuple(self), self.text))


def number_pair(text: str) -> "NumberPair":
    """Parse an option of two numbers ``LOW,HIGH`` (``--stretch-range -1024,1976``), each
    as :func:`number` reads one; their order is the option's own check's.

    >>> pair = number_pair("-1024,1976")
    >>> tuple(pair), f"stretch_range={pair!r}"
    ((-1024.0, 1976.0), 'stretch_range=-1024,1976')

    Raises
    ------
    click.BadParameter
        If ``text`` is not two plain decimal numbers separated by a comma.
    """
    parts = text.split(",")
    if len(parts) != 2 or not all(plain_number(part) for part in parts):
        raise click_errors.BadParameter(
            f"is {text!r}; expected two numbers LOW,HIGH, in the input's own values "
            "(-1024,1976)")
    return NumberPair((_read(parts[0]), _read(parts[1])), text.strip())


def frame_rate(text: str) -> float:
    """Parse ``--fps``: a number (:func:`number`), or a fraction ``N/D`` of two, as ffprobe
    gives a video's ``r_frame_rate`` (NTSC's 30000/1001), kept as typed for the messages.

    >>> rate = frame_rate("30000/1001")
    >>> round(rate, 5), f"fps={rate}", float(frame_rate("25"))
    (29.97003, 'fps=30000/1001', 25.0)

    Raises
    ------
    click.BadParameter
        If ``text`` is neither a plain decimal number nor two separated by ``/``, the
        second above 0.
    """
    numerator, slash, denominator = text.partition("/")
    if not slash:
        return number(text)
    if not (plain_number(numerator) and plain_number(denominator)
            and math.isfinite(_read(denominator)) and _read(denominator) > 0):
        raise click_errors.BadParameter(
            f"is {text!r}; expected a number, or a fraction N/D of two numbers, D above 0 "
            "(30000/1001, as ffprobe gives a video's r_frame_rate)")
    return TypedNumber(_read(numerator) / _read(denominator), text.strip())


def nodata_given(text: str | None) -> Any:
    """``--nodata`` as the jobs take ``nodata`` (:func:`~quantize.io.nodata.check_nodata`,
    which checks the count): ``"tag"`` when not given, None for ``none`` and ``"nan"``
    for ``nan`` (in any case), else the numbers of a comma list, kept as typed
    (:func:`number`).

    >>> nodata_given(None), nodata_given("None"), nodata_given("0,0, 255"), nodata_given("NaN")
    ('tag', None, (0, 0, 255), 'nan')

    Raises
    ------
    ValueError
        For text that is neither ``none``, ``nan`` nor plain decimal numbers separated by
        commas.
    """
    if text is None:
        return "tag"
    word = text.strip().lower()
    if word in ("none", "nan"):
        return None if word == "none" else "nan"
    parts = text.split(",")
    if not all(plain_number(part) for part in parts):
        raise ValueError(f"nodata={text!r} should be a number, one a band separated by "
                         f"commas (0,0,0), nan (a float image's NaN pixels), or none")
    return tuple(TypedNumber(_read(part), part.strip()) for part in parts)


def warn(subject: Any, message: str) -> None:
    """Print ``quantize: warning: <subject>: <message>`` on stderr, on one line, the
    message's parameter names written as the command's flags (:func:`as_flags`); without
    ``<subject>: `` when ``subject`` is None (the message names what it is about)."""
    about = "" if subject is None else f"{subject}: "
    say(printable_line(repr_bytes_shown(printable(
        f"quantize: warning: {about}{as_flags(message)}"))), err=True)


def note(subject: Any, message: str) -> None:
    """Print ``quantize: note: <subject>: <message>`` on stderr, on one line: a fact worth
    knowing about a result that is no fault (a caller quiet with ``-q`` says none)."""
    say(printable_line(repr_bytes_shown(printable(f"quantize: note: {subject}: {message}"))),
        err=True)


def say(line: str, err: bool = False) -> None:
    """Print ``line`` on stdout (stderr with ``err``); once stdout's reader has gone, print
    nothing more there and let the command finish its work.

    A reader that stops early (``quantize batch ... | head -1``) closes the pipe;
    the next line would raise ``BrokenPipeError``, which would abandon the files
    still to do and end in ``quantize: error: Broken pipe`` and exit 1. Stdout is
    pointed at the null device instead, as a program killed by SIGPIPE would
    write nothing more, and the exit code stays that of the work.
    So is a terminal that has gone (closed, its ssh connection dropped: the system then
    sends SIGHUP, and writes to it fail with EIO: :func:`hung_up`). Any other error of
    stdout (a full disk: ``> /dev/full``; closed: ``>&-``) ends the command with exit 1 and
    one error line on stderr (:class:`_StdoutError`), not a traceback.

    Stderr holds the warnings and errors, which have nowhere else to go: once it
    cannot take a line (its reader gone, a full disk), nothing more is printed
    there and the command goes on, its exit code telling how it ended; a stderr
    closed from the start (``2>&-``) takes no line at all.

    The line goes to the stream itself, with its own encoding and error handler (the
    command's writes a character the encoding lacks by its code point, ``\\u0394``): left to
    choose, click wrapped an ASCII stream (``LC_ALL=C``) in one of UTF-8, whose bytes
    reached the terminal raw.
    """
    if sys.stdout is None and not err:  # closed: refused before the work, but never lost
        raise _StdoutError(OSError(errno.EBADF, "it is closed"))
    try:  # nothing, to a stream closed from the start
        typer.echo(line, file=sys.stderr if err else sys.stdout, err=err)
    except OSError as exc:
        if err:
            _gone(sys.stderr)
        elif isinstance(exc, BrokenPipeError) or hung_up(exc, sys.stdout):
            _gone(sys.stdout)
        else:
            raise _StdoutError(exc) from None


def say_besides_error(line: str) -> None:
    """Print ``line`` on stdout besides an error the command has said on stderr and ends
    with (``batch --json``'s error object): a stdout that cannot take it (closed, a full
    disk) drops it, without a second error line, and the error's exit code stands."""
    if sys.stdout is None:
        return
    with contextlib.suppress(_StdoutError):
        say(line)


def hung_up(error: OSError, stream: Any) -> bool:
    """Whether ``error``, of a write to ``stream``, says that its terminal has gone: EIO
    from a character device (a disk's EIO is of a regular file)."""
    import stat

    if error.errno != errno.EIO:
        return False
    try:
        return stat.S_ISCHR(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False


class LinesOrNothing:
    """``stream`` (stderr) as a progress bar writes to it, from its own thread too: once a
    write or flush fails (the terminal gone, a full disk), the rest goes to the null device
    (as :func:`say` does with stderr), in place of an error that would stop the run or the
    bar's thread; every other attribute is the stream's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            _gone(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            _gone(self._stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


#: What an animation's line says of the frames of each pass (:func:`frame_progress`), and
#: of the palette fitted between them, the longest.
_FRAME_STAGES = {"read": "reading frame", "written": "writing frame"}
_FITTING = "fitting the palette"

#: Terminal columns from which a progress bar shows the bar itself and the time taken
#: (``batch``'s the time left too); narrower, the counts alone: at 20 columns rich dropped
#: everything of ``batch``'s but the mode's name and the failures.
FULL_BAR_COLUMNS = 50
#: The columns an animation's line gives its bar at least, and its time taken (0:00:41).
_FRAMES_BAR_AND_TIME = 10 + len("0:00:00")
#: The columns an animation's line keeps for its name before it leaves out its bar and time.
_FRAMES_NAME_AT_LEAST = 12


@contextlib.contextmanager
def frame_progress(name: str) -> Iterator[Callable[[str, int, int], None]]:
    """A callback drawing the frames of an animation done, ``on_frame(stage, frame,
    n_frames)`` as :func:`~quantize.animation.reduce_animation_file` calls it, on stderr
    (a terminal) as ``batch`` draws its bar: rich's, through :class:`LinesOrNothing`. One
    line, rewritten in place (``out.gif: writing frame ━━━━ 120/300 0:00:41``), erased
    once the block ends, so that the lines printed after it are those printed without it.
    Drawn from the first call on: a still, of no frames told, draws nothing (nor imports
    rich).
    """
    with contextlib.ExitStack() as drawn:
        bar: list[Callable[[str, int, int], None]] = []

        def on_frame(stage: str, frame: int, n_frames: int) -> None:
            if not bar:
                bar.append(drawn.enter_context(_frames_bar(name, n_frames)))
            bar[0](stage, frame, n_frames)

        yield on_frame


@contextlib.contextmanager
def _frames_bar(name: str, n_frames: int) -> Iterator[Callable[[str, int, int], None]]:
    """:func:`frame_progress`'s line, drawn from now on, its count of ``n_frames`` kept on
    a narrow terminal: narrower than :data:`FULL_BAR_COLUMNS` (or with too little room left
    for the name), without the bar and the time, as ``batch``'s, and the name shortened to
    the room left (:func:`name_within`), where rich cut the line's end, the count first
    (``/tmp/long/folder/pan64.gif: reading frame   …``)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=LinesOrNothing(sys.stderr))  # a terminal gone stops no run
    text = TextColumn("{task.description}: {task.fields[doing]}")
    # each column after the first takes a space before it, and the line's last one is left
    room = console.width - len(f": {_FITTING}") - len(f"{n_frames}/{n_frames}") - 2
    full = (console.width >= FULL_BAR_COLUMNS
            and room - _FRAMES_BAR_AND_TIME - 2 >= _FRAMES_NAME_AT_LEAST)
    columns = ((text, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) if full
               else (text, MofNCompleteColumn()))
    room -= _FRAMES_BAR_AND_TIME + 2 if full else 0
    with Progress(*columns, console=console, transient=True, redirect_stdout=False) as bar:
        task = bar.add_task(escape(name_within(printable_line(name), room)), total=None,
                            doing="reading")

        def on_frame(stage: str, frame: int, n_frames: int) -> None:
            # the palette is fitted once the last frame's colours are counted
            doing = (_FITTING if stage == "read" and frame == n_frames
                     else _FRAME_STAGES[stage])
            bar.update(task, completed=frame, total=n_frames, doing=doing)

        yield on_frame


def name_within(name: str, room: int) -> str:
    """``name`` (a path) in at most ``room`` characters, as a narrow progress line shows it:
    whole when it fits, else its last part, the file's own name, and when that does not fit
    either, that name's end after an ellipsis.

    >>> name_within("out/pan64.gif", 20), name_within("/tmp/long/folder/pan64.gif", 12)
    ('out/pan64.gif', 'pan64.gif')
    >>> name_within("/tmp/a_very_long_name.gif", 10)
    '…_name.gif'
    """
    if len(name) <= room:
        return name
    base = os.path.basename(name) or name
    if len(base) <= room:
        return base
    return "…" + base[len(base) - max(room - 1, 0):]


def _gone(stream: Any) -> None:
    """Send the rest of ``stream`` (stdout or stderr) to the null device (also what
    Python flushes at exit)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)


def is_stdin_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the regular file stdin is redirected from (``< photo.png``),
    told by the file system (device and inode, through links too); False when stdin is
    closed, a pipe or terminal, or ``path`` does not exist."""
    import stat

    try:
        source = os.fstat(sys.stdin.fileno())
        out = os.stat(path)
    except (AttributeError, OSError, ValueError):  # closed, no descriptor, not there
        return False
    return stat.S_ISREG(source.st_mode) and (out.st_dev, out.st_ino) == (source.st_dev,
                                                                          source.st_ino)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` (``sys.stdout``, ``sys.stderr``) is a terminal; False when it was
    closed from the start (None)."""
    return stream is not None and stream.isatty()


#: The ``TERM`` of a terminal that cannot move its cursor back (rich's own test of one).
_DUMB_TERMS = frozenset({"dumb", "unknown"})


def dumb_terminal() -> bool:
    """Whether ``TERM`` names a terminal that cannot redraw a line in place (``dumb``: a
    screen reader's set-up, a serial console, Emacs' shell), where a progress display is
    left out and the lines a file would get are printed instead: rich took such a terminal
    as 80 columns wide, whatever its width, and drew the last state of its bar alone, once
    the work was done."""
    return os.environ.get("TERM", "").lower() in _DUMB_TERMS


def budget_choice(record: Mapping[str, Any]) -> str:
    """What a ``--max-bytes`` run chose for a file, by its record (``max_bytes``, ``k``, the
    ``n_colors`` asked, ``bytes_out`` and ``max_bytes_bound``), as ``reduce`` and ``batch``
    say it on the file's line; "" for a record without ``max_bytes``. It names what
    bounded k (:data:`~quantize.reduce.budget.BUDGET_BOUNDS`): the bytes only when the
    search measured k + 1 over them; else ``-k``, the entry of transparent pixels or the
    image's own colours. (A record of an earlier version, without ``max_bytes_bound``,
    was bounded by ``-k`` at k = ``n_colors``, else by the bytes.)

    >>> budget_choice({"max_bytes": 50000, "k": 18, "n_colors": 64, "bytes_out": 48277,
    ...                "max_bytes_bound": "max_bytes"})
    'chose k=18 of -k 64 for --max-bytes 50,000 (48,277 bytes; k=19 does not fit)'
    >>> budget_choice({"max_bytes": 256000, "k": 133, "n_colors": 256, "bytes_out": 4064,
    ...                "max_bytes_bound": "image_colors"})
    'chose k=133 of -k 256 for --max-bytes 256,000 (4,064 bytes; all 133 colours of the image fit)'
    >>> budget_choice({"max_bytes": 256000, "k": 16, "n_colors": 16, "bytes_out": 1612,
    ...                "max_bytes_bound": "n_colors"})
    'chose k=16 of -k 16 for --max-bytes 256,000 (1,612 bytes; -k 16 fits: a larger -k may fit)'
    >>> budget_choice({"k": 16})
    ''
    """
    if record.get("max_bytes") is None:
        return ""
    k, asked = record["k"], record["n_colors"]
    bound = record.get("max_bytes_bound") or ("n_colors" if k == asked else "max_bytes")
    why = {"max_bytes": f"k={k + 1} does not fit",
           "n_colors": f"-k {asked} fits" + (": a larger -k may fit" if asked < MAX_PALETTE
                                             else ""),
           "transparent_entry": f"{k}, the most beside the transparent entry",
           "image_colors": f"all {k} colours of the image fit"}[bound]
    return (f"chose k={k} of -k {asked} for --max-bytes {record['max_bytes']:,} "
            f"({record['bytes_out']:,} bytes; {why})")


def folder_hint(name: str, mode: str, options: Sequence[tuple[str, Any]] = (),
                dropped: Sequence[str] = (), left_out: Mapping[str, str] | None = None,
                output_dir: str = "OUT_DIR") -> str:
    """For an input that is a folder, how to process every image in it, else "".

    ``options``: the options the user gave that ``quantize batch`` takes too, as
    ``(flag, value)`` pairs (:func:`command_words`), carried into the command;
    ``dropped``: those it has no counterpart for, named after it; ``left_out``:
    those batch has but would refuse with these values, each as typed with why
    (:func:`quantize.cli.batch.refused_reduce_options`), named after it too.
    ``--force`` is never carried: in batch it redoes every file, also those an earlier
    run finished, and overwrites outputs no run recorded; it is named after the command,
    with what it would do there.

    >>> folder_hint("/", "segment")
    '; for every image in it: quantize batch / -o OUT_DIR --mode segment'
    >>> folder_hint("/", "reduce", [("-k", 8), ("--dither", True)], ["--ext"])
    '; for every image in it: quantize batch / -o OUT_DIR -k 8 --dither (--ext does not apply)'
    >>> folder_hint("/", "reduce", [("--seed", 2)], [],
    ...             {"-k 300": "batch writes indexed images, of at most 256 colours"})[40:]
    '/ -o OUT_DIR --seed 2 (-k 300 left out: batch writes indexed images, of at most 256 colours)'
    >>> folder_hint("/", "segment", [("--force", True)])[53:]
    '--mode segment (--force left out: in batch it redoes every file, also those done before)'
    """
    if name == "-" or not os.path.isdir(name):
        return ""
    forced = any(flag == "--force" and value is True for flag, value in options)
    words = [shell_quoted(name), "-o", shell_quoted(output_dir)]
    words += ["--mode", "segment"] if mode == "segment" else []
    words += command_words([(flag, value) for flag, value in options if flag != "--force"])
    line = f"; for every image in it: quantize batch {' '.join(words)}"
    notes = [f"{option} left out: {why}" for option, why in (left_out or {}).items()]
    if forced:  # batch skips what it finished and redoes what changed, without being told
        notes.append(_FORCE_LEFT_OUT)
    if dropped:
        names = dropped[-1] if len(dropped) == 1 else \
            f"{', '.join(dropped[:-1])} and {dropped[-1]}"
        notes.insert(0, f"{names} {'does' if len(dropped) == 1 else 'do'} not apply")
    if notes:
        line += f" ({'; '.join(notes)})"
    return line


def elsewhere_hint(folder: Path, what: str, alone: bool = False) -> str:
    """How to write ``what`` (an output a command named itself, beside its input) elsewhere,
    said after the error of an output that could not be made in ``folder``, when that is a
    folder the user cannot write (a read-only dataset, as the output checks tell it:
    :func:`os.access`): ``-o`` names another; "" for a folder the user can write, where
    the error says what else is wrong. ``alone``: the call had several inputs, and ``-o``
    takes one.

    >>> elsewhere_hint(Path("."), "an output folder")
    ''
    >>> elsewhere_hint(Path("no/such/folder"), "an output", alone=True)
    '; name an output elsewhere with -o/--output, in a call for this file alone'
    """
    if os.access(folder, os.W_OK | os.X_OK):
        return ""
    return f"; name {what} elsewhere with -o/--output" + (
        ", in a call for this file alone" if alone else "")


#: Why a folder hint leaves ``--force`` out of the batch call it proposes.
_FORCE_LEFT_OUT = "--force left out: in batch it redoes every file, also those done before"


def command_words(options: Sequence[tuple[str, Any]]) -> list[str]:
    """``(flag, value)`` pairs as command-line options: the flag alone for True, nothing
    for None or False, else the flag and its value (quoted for the shell).

    >>> command_words([("-k", 8), ("--quality", None), ("--palette-in", "my p.gpl"),
    ...                ("--optimize", True)])
    ['-k 8', "--palette-in 'my p.gpl'", '--optimize']
    """
    words: list[str] = []
    for flag, value in options:
        if value is True:
            words.append(flag)
        elif value is not None and value is not False:
            words.append(f"{flag} {shell_quoted(str(value))}")
    return words


def note_idle_options(records: Sequence[Mapping[str, Any]], *, optimize: bool,
                      per_frame: bool, every_file_written: bool = True,
                      matte: bool = False, nearest: bool = False) -> None:
    """Warn once, after a reduce call, of ``--optimize``, ``--palette per-frame``,
    ``--matte`` (``matte``: given) or ``--nearest`` (``nearest``: given) given but acting on
    none of the outputs written, whose job records are ``records``.

    Whether ``--optimize`` acted on an output is the record's ``optimized``, as the
    encoder of its format said (a GIF animation's: whether it stored some frame smaller,
    which on banners of flat colours it never did); ``--palette per-frame`` acts on an
    animation only (``frames`` > 1); ``--matte`` on an image with translucent pixels only
    (the record's ``matted``: opaque and fully transparent pixels are kept). Once for the
    call, not once per file, and only when no output at all took it; nothing is said when
    no file was written. ``every_file_written``: no file given failed or was skipped; when
    one was, it may have been an animation (refused, or written by an earlier run), and
    "every file written is a still image" would read as if it were not there: ``--palette
    per-frame`` and ``--nearest``, which act on animations alone, are then said nothing of.
    """
    if not records:
        return
    if optimize and not any(record.get("optimized") for record in records):
        warn("--optimize", f"no effect on the outputs written: only {OPTIMIZED_OUTPUTS}, is "
             "encoded with more effort, and a GIF or WebP animation is the same bytes as "
             "without it unless that stores it smaller")
    if matte and not any(record.get("matted") for record in records):
        warn("--matte", "no effect: no image written had translucent pixels to blend onto it "
             "(opaque and fully transparent pixels are kept as they are)")
    if per_frame and every_file_written and not any((record.get("frames") or 1) > 1
                                                    for record in records):
        warn("--palette='per-frame'", "no effect: every file written is a still image (it "
             "gives each frame of an animation a palette of its own)")
    if nearest and every_file_written and not any((record.get("frames") or 1) > 1
                                                  for record in records):
        warn("--nearest", "no effect: every file written is a still image, whose pixels "
             "take their nearest entry without it (it maps an animation's pixels so)")


#: What ``--quality`` measures, said where a pngquant user's value (``--quality 80``,
#: ``--quality 65-80``, a 0-100 score there) is refused. pngquant's ``--quality 65-80``
#: drew the seven web photos of the benchmark with a mean CIEDE2000 of 1.4-2.6; its 65, a
#: floor (below it, nothing is written), drew them 1.8-2.9 away (``--quality 0-65``, the
#: fewest colours meeting 65), and 34 web PNGs 1.2-3.4 (those at 256 colours 1.9-2.3), so
#: ``--quality-limit 3`` keeps what pngquant keeps. On 37 app icons with soft shadows,
#: ``--quality 2`` drew the shadows in steps (median 7-9 dB below pngquant's 65-80) where
#: ``--quality 0.5`` was 0.7-0.9 dB above it in fewer bytes (docs/batch.md). pngquant
#: dithers unless told ``--nofs``: on a 900 x 750 viridis heatmap ``--quality 2`` chose 19
#: colours and drew the gradient in bands (PSNR after a blur of sigma 1: 37.9 dB), with
#: ``--dither`` 44.5 dB (pngquant 65-80, 46 colours: 52.3 dB; ``--quality 1 --dither``, 103
#: colours: 60.1 dB).
QUALITY_SCALE = (f"--quality is {QUALITY_MEANS}; pngquant's --quality 65-80 is about "
                 "--quality 2 --quality-limit 3 on photos (80 draws them with a mean ΔE2000 "
                 "of 1.4-2.6; 65, the floor below which it writes nothing, 1.8-2.9), "
                 "--quality 0.5 --quality-limit 3 on icons with soft shadows; pngquant dithers "
                 "by default: add --dither for gradients (a heatmap), which --quality alone "
                 "draws in bands")


def refuse_quality_scale(quality: float | None) -> None:
    """Refuse, before any work, a ``--quality`` above
    :data:`~quantize.reduce.quality.QUALITY_SCALE_WARNING_ABOVE`: a bound on CIEDE2000
    (mean and tail) that nearly any image meets with the fewest colours, so the value is
    likely pngquant's 0-100 score, as ``--quality 65-80`` is refused (``reduce_colors``
    only warns of its ``quality``: a program may compute it)."""
    if quality_scale_reason(quality) is not None:
        fail(f"--quality={shown_number(quality)} should be <= "
             f"{QUALITY_SCALE_WARNING_ABOVE}: {QUALITY_SCALE}", USAGE_ERROR)


def note_jobs_capped(jobs: int | None, n_files: int) -> None:
    """Warn, before any work, that ``-j/--jobs`` asks for more worker processes than the
    per-CPU cap lets ``n_files`` files start (:func:`~quantize.batch.executor_local.worker_count`);
    nothing when fewer files need fewer processes anyway."""
    from ..batch.executor_local import JOBS_PER_CPU, capped_count

    used = capped_count(jobs, n_files)
    if used is not None:
        warn(None, f"-j/--jobs={jobs} is more than {JOBS_PER_CPU} per CPU; running {used} "
             "at once")


def finishing_note(n_running: int) -> None:
    """Tell the user, after Ctrl-C (or SIGTERM, SIGHUP), that the files in progress are let
    finish."""
    files, them = ("file", "it") if n_running == 1 else (f"{n_running} files", "them")
    line, _ = interruption(f"interrupted; letting the {files} in progress finish "
                           f"(Ctrl-C again to abandon {them})")
    say(f"quantize: {line}", err=True)


def interruption(line: str) -> tuple[str, ExitCode]:
    """The error ``line`` of an interrupt (it begins ``interrupted``) and the exit code:
    130; after SIGTERM or SIGHUP, which the command takes as Ctrl-C
    (:mod:`quantize._sigterm`), 143 or 129 and the line naming the signal,
    ``interrupted by SIGTERM``, and the signal in place of Ctrl-C.

    >>> interruption("interrupted; rerun the same command to finish")
    ('interrupted; rerun the same command to finish', <ExitCode.INTERRUPTED: 130>)
    """
    name = stopped_by()
    if name is None:
        return line, ExitCode.INTERRUPTED
    line = line.replace("interrupted", f"interrupted by {name}", 1)
    return line.replace("Ctrl-C", name), _STOPPED_BY[name]


#: The exit code of the command stopped by each signal it takes as Ctrl-C.
_STOPPED_BY = {"SIGTERM": ExitCode.TERMINATED, "SIGHUP": ExitCode.HANGUP}


def fail_interrupted(line: str) -> NoReturn:
    """Fail with the error ``line`` of an interrupt and its exit code (:func:`interruption`)."""
    fail(*interruption(line))


def echo_error(message: str) -> None:
    """Print ``quantize: error: <first line of message>`` on stderr.

    File names that are not valid UTF-8 are shown with replacement characters
    rather than crashing the error report itself, and other control characters
    than the line's end are escaped (:func:`printable_line`). A file name in the
    message should be escaped before: its newline would end the line.
    """
    text = printable(message)
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    say(f"quantize: error: {printable_line(repr_bytes_shown(first))}", err=True)


class _StdoutError(Exception):
    """Stdout did not take a line: ``error`` is why (a full disk, a closed pipe)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


#: What a hyphen is while click wraps a help's text (a character of Unicode's private use
#: area, in no help): click's wrapping has no ``break_on_hyphens=False``, and textwrap
#: broke after a hyphen, in an option's name ("--palette-" / "fitted"), a quoted command.
_HYPHEN = "\ue000"
#: The narrowest a help is laid out (click's was 50 columns in any terminal, 53 at 40).
HELP_MIN_WIDTH = 30
#: The narrowest column an option's text is given beside the option; narrower, the text
#: goes under it (at 40 columns click gave it 10, beside a 30-column option).
_HELP_TEXT_MIN_WIDTH = 24


class HelpFormatter(click_formatting.HelpFormatter):
    """click's help layout without a word broken at its hyphens (an option's name, a
    word such as ``'dask[distributed]>=2024.1'``), in a terminal's width down to
    :data:`HELP_MIN_WIDTH` columns, where click kept 50 (a wider terminal, at most 80
    columns, is laid out as click lays it out); an option's text that would get fewer
    than :data:`_HELP_TEXT_MIN_WIDTH` columns beside the option goes under it, indented.

    >>> formatter = HelpFormatter(width=38)
    >>> formatter.write_dl([("-o, --output OUT_DIR", "the folder; see --palette-fitted")])
    >>> print(formatter.getvalue(), end="")
    -o, --output OUT_DIR
        the folder; see --palette-fitted
    """

    def __init__(self, indent_increment: int = 2, width: int | None = None,
                 max_width: int | None = None) -> None:
        if width is None and click_formatting.FORCED_WIDTH is None:
            import shutil

            width = max(min(shutil.get_terminal_size().columns, max_width or 80) - 2,
                        HELP_MIN_WIDTH)
        super().__init__(indent_increment, width, max_width)

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("-", _HYPHEN), prefix)

    def write_text(self, text: str) -> None:
        super().write_text(text.replace("-", _HYPHEN))

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        rows = [(term, text.replace("-", _HYPHEN)) for term, text in rows]
        first = min(max((len(term) for term, _ in rows), default=0), col_max) + col_spacing
        if self.width - first - 2 >= _HELP_TEXT_MIN_WIDTH:  # click's own layout
            super().write_dl(rows, col_max, col_spacing)
            return
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}\n")
            if text:
                self.indent()
                self.indent()
                super().write_text(text)
                self.dedent()
                self.dedent()

    def getvalue(self) -> str:
        return super().getvalue().replace(_HYPHEN, "-")


class _HelpBySay:
    """Print ``--help`` as every other line on stdout is printed (:func:`say`).

    The parser printed the help itself: to a reader gone (``quantize reduce --help |
    head -0``) that ended in exit 1 without a word, where a command's own lines end
    quietly with the command's exit code.
    """

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.callback = _show_help
        return option

    def get_help(self, ctx: Any) -> str:
        """The help as click lays it out, in :class:`HelpFormatter`'s width and wrapping."""
        formatter = HelpFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
        self.format_help(ctx, formatter)  # type: ignore[attr-defined]
        return formatter.getvalue().rstrip("\n")

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """The epilog as click writes it, its example lines and its paragraphs fitted to the
        help's width (:func:`fit_examples`, :func:`fit_prose`): kept as laid out, they ran
        past a narrow terminal's edge, which broke them at any character and sent the rest
        to its first column."""
        epilog = self.epilog  # type: ignore[attr-defined]
        if epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                # click wraps text 2 columns short of the terminal's edge (of 80 columns in
                # a wider one); a line laid out by hand may use them
                width = formatter.width + 2 - formatter.current_indent
                formatter.write_text(fit_prose(fit_examples(inspect.cleandoc(epilog), width),
                                               width))


# An example command line of a help's epilog: its indent, the command and its comment.
_EXAMPLE = re.compile(r"(?P<indent> +)(?P<command>(?:cat \S+ \| )?quantize \S.*?)"
                      r"(?: +(?P<comment># .*))?")


def fit_examples(text: str, width: int) -> str:
    """``text`` with each example command line longer than ``width`` fitted to it: its
    comment on a line of its own above it (on lines of its own, each a comment, where one
    is too narrow for it), then the command, broken between words, where
    needed, by a backslash and a newline (so that it still runs when pasted), an option
    kept with its value, the lines after the first indented four more spaces.

    >>> print(fit_examples("  quantize reduce photo.jpg -k 8 -o small.png  # eight", 30))
      # eight
      quantize reduce photo.jpg \\
          -k 8 -o small.png
    >>> fit_examples("  quantize reduce a.png  # short", 40)
    '  quantize reduce a.png  # short'
    >>> print(fit_examples("  quantize reduce a.png -k 3  # fewest colours, tail too", 24))
      # fewest colours, tail
      # too
      quantize reduce \\
          a.png -k 3
    """
    lines = []
    for line in text.split("\n"):
        example = _EXAMPLE.fullmatch(line)
        if len(line) <= width or example is None:
            lines.append(line)
            continue
        indent = example["indent"]
        if example["comment"] is not None:  # each of its lines a comment, if it takes two
            lines.extend(textwrap.wrap(example["comment"][1:].strip(), width,
                                       initial_indent=indent + "# ",
                                       subsequent_indent=indent + "# ",
                                       break_long_words=False, break_on_hyphens=False))
        lines.extend(_broken_command(example["command"], indent, width))
    return "\n".join(lines)


# A line of an epilog's table: its indent, a term, two spaces or more, the term's text.
_ROW = re.compile(r"(?P<indent> *)\S+ {2,}(?=\S)")


def fit_prose(text: str, width: int) -> str:
    """``text`` with each line of prose longer than ``width`` rewrapped to it, together
    with the lines that continue it; the rest kept as laid out.

    A line continues the one above when it has that line's indent, or, below a table's row
    (a term, two spaces or more, then its text), starts at the column of the row's text.
    An example command line (:func:`fit_examples` fits those) is left as it is.

    >>> print(fit_prose("  Exit codes: 0 done, 1 failed,\\n  2 usage error.", 24))
      Exit codes: 0 done, 1
      failed, 2 usage error.
    >>> print(fit_prose("  a.png   the photo, in red or\\n          blue", 24))
      a.png   the photo, in
              red or blue
    """
    items: list[tuple[str, str, list[str]]] = []  # first indent, hanging indent, lines
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = " " * (len(line) - len(stripped))
        row = _ROW.match(line)
        if (items and stripped not in ("", "\b") and row is None
                and _EXAMPLE.fullmatch(line) is None and indent == items[-1][1]
                and items[-1][2][0].strip() not in ("", "\b")
                and _EXAMPLE.fullmatch(items[-1][2][-1]) is None):
            items[-1][2].append(line)
            continue
        items.append((indent, " " * row.end() if row else indent, [line]))
    lines: list[str] = []
    for indent, hanging, block in items:
        if max(map(len, block)) <= width or _EXAMPLE.fullmatch(block[0]):
            lines.extend(block)
            continue
        words = " ".join(part.strip() for part in block)
        lines.extend(textwrap.wrap(words, width, initial_indent=indent,
                                   subsequent_indent=hanging, break_long_words=False,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def _broken_command(command: str, indent: str, width: int) -> list[str]:
    """``command``'s lines at most ``width`` wide (but for a word longer than that), each
    but the last ending in a backslash, those after the first indented by four more
    spaces; an option (``-k 8``) or a redirection (``> a.png``) is kept with its value."""
    units: list[str] = []
    for word in command.split(" "):
        if units and _takes_a_value(units[-1]) and not word.startswith("-") \
                and word not in (">", "|"):
            units[-1] += " " + word
        else:
            units.append(word)
    lines, line = [], indent + units[0]
    for n, unit in enumerate(units[1:], start=2):
        room = width - (2 if n < len(units) else 0)  # the " \\" of a line to follow
        if len(line) + 1 + len(unit) <= room:
            line += " " + unit
        else:
            lines.append(line + " \\")
            line = indent + "    " + unit
    return [*lines, line]


def _takes_a_value(unit: str) -> bool:
    """Whether ``unit``, words of a command, is an option or a redirection alone, which
    the next word (not an option) is the value of."""
    return unit in (">", "|") or (unit.startswith("-") and len(unit) > 1
                                  and " " not in unit and "=" not in unit)


def _show_help(ctx: Any, param: Any, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        say(ctx.get_help())
        ctx.exit()


#: The line of an interrupt that a command's own work did not catch (typer exited 130
#: without a word): what it reported is done, what it did not may not be.
INTERRUPTED_UNCAUGHT = "interrupted; files already reported are done"


#: The shells whose completion the command gives (typer's scripts), and what it gives
#: them: the script to load, or the words that complete a command line.
_COMPLETED_SHELLS = frozenset({"bash", "zsh", "fish", "powershell", "pwsh"})
_COMPLETION_VERBS = frozenset({"source", "complete"})


class _OneLineErrors(_HelpBySay, TyperGroup):
    """The root command group, reporting usage errors in one line instead of a panel, and
    an interrupt at any moment as one line and exit 130 (typer's own exit said nothing)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            fail_interrupted(INTERRUPTED_AT_START)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            fail_interrupted(INTERRUPTED_UNCAUGHT)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        given = tuple(args)  # the parser takes the list apart
        try:
            return super().parse_args(ctx, args)
        except click_errors.NoSuchOption as exc:  # named as the commands name theirs
            raise _unknown_option(exc, self.params, ctx, given) from None
        except click_errors.BadOptionUsage as exc:  # --version=1
            if exc.ctx is not None:
                raise
            raise _misused_option(exc, self.get_params(ctx), ctx) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """An unknown command named as unknown options are: ``reduc: no such command; did
        you mean reduce?`` (the parser said "No such command 'reduc'. Did you mean ...")."""
        try:
            return super().resolve_command(ctx, args)
        except click_errors.UsageError as exc:
            if not (args and exc.message.startswith("No such command")):
                raise
            import difflib

            close = difflib.get_close_matches(args[0], self.list_commands(ctx), n=3,
                                              cutoff=0.6)
            meant = (_help_for_help(ctx.command_path, args, self.list_commands(ctx))
                     or _command_for_a_path(ctx.command_path, args) or _did_you_mean(close))
            raise click_errors.UsageError(
                f"{printable_line(args[0])}: no such command{meant}", ctx
            ) from None

    def _main_shell_completion(self, ctx_args: Any, prog_name: str,
                               complete_var: str | None = None) -> None:
        """Shell completion, asked for as click documents it,
        ``eval "$(_QUANTIZE_COMPLETE=bash_source quantize)"`` (``zsh_source``,
        ``fish_source``): the script for the shell, then the words it completes.

        Typer read the variable the other way round (``source_bash``) and, as the app adds
        no ``--install-completion``, knew no shell: "Shell source not supported.", exit 1.
        Both orders are taken, and any other value is one error line, exit 2; the
        completion's modules are imported only when asked for (:mod:`quantize.cli._completion`).
        """
        complete_var = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        instruction = os.environ.get(complete_var)
        if not instruction:
            return
        shell, _, verb = instruction.partition("_")
        if shell in _COMPLETION_VERBS:  # typer's order, as its scripts call the command
            shell, verb = verb, shell
        if shell not in _COMPLETED_SHELLS or verb not in _COMPLETION_VERBS:
            echo_error(f"{complete_var}={quoted(instruction)} is not valid; expected "
                       "bash_source, zsh_source, fish_source, powershell_source or "
                       "pwsh_source (PowerShell), for the shell's completion script: "
                       f"eval \"$({complete_var}=bash_source {prog_name})\"")
            sys.exit(USAGE_ERROR)
        from typer.completion import shell_complete

        from ._completion import missing_words, register_shells

        missing = missing_words(shell, verb, complete_var, prog_name)
        if missing:
            echo_error(missing)
            sys.exit(USAGE_ERROR)
        register_shells()  # the shells typer knows, each candidate on one line
        sys.exit(shell_complete(self, ctx_args, prog_name, complete_var, f"{verb}_{shell}"))

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            try:  # a reader gone (quantize | head -1): nothing more, no traceback
                say(exc.ctx.get_help())
            except _StdoutError as error:  # the usage lost is said; no command stays code 2
                _echo_stdout_error(error)
            code = USAGE_ERROR
        except click_errors.UsageError as exc:
            # A file named like an option, read as one, is named with the way to give it:
            # an unknown -x of -x.png, and also -k.png, -o.png read as -k or -o and a value.
            argv = sys.argv[1:] if args is None else list(args)
            unknown = isinstance(exc, click_errors.NoSuchOption)
            if unknown:  # every command's, typer's own class too
                exc = _help_with_one_dash(exc, argv)
            named = _file_like_option(exc.option_name if unknown else "-", argv)
            if (isinstance(exc, click_errors.BadParameter)
                    and not isinstance(exc, click_errors.MissingParameter)):
                echo_error(_bad_value(exc) + (named or _glued_long_option(exc, argv)))
            else:
                hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
                echo_error(exc.format_message().rstrip(".") + (named or hint))
            code = exc.exit_code
        except click_errors.ClickException as exc:
            echo_error(exc.format_message())
            code = exc.exit_code
        except typer.Abort:
            echo_error("aborted")
            code = ExitCode.FAILED
        except _StdoutError as exc:
            _echo_stdout_error(exc)
            code = ExitCode.FAILED
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _help_for_help(program: str, args: Sequence[str], commands: Sequence[str]) -> str:
    """The end of an unknown command's line when it is ``help``, as git and pip are asked
    for help (``quantize help reduce``): the help option of the command named after it, or
    of ``program``; "" for any other word.

    >>> _help_for_help("quantize", ["help", "reduce"], ["batch", "reduce"])
    '; did you mean quantize reduce --help?'
    >>> _help_for_help("quantize", ["help"], ["reduce"])
    '; did you mean quantize --help?'
    """
    if args[0].casefold() != "help":
        return ""
    named = args[1:2] if args[1:2] and args[1] in commands else []
    return f"; did you mean {' '.join([program, *named, '--help'])}?"


def _command_for_a_path(program: str, args: Sequence[str]) -> str:
    """The end of an unknown command's line when it is a file or folder that exists, as
    pngquant is called (``quantize photo.jpg -k 8``): the command of ``program`` that
    takes it; "" for any other word.

    A file is proposed to ``reduce``, with the rest of ``args``; a folder to ``batch``,
    which needs an output folder, so the rest is left for the user to add.

    >>> _command_for_a_path("quantize", ["/", "-k", "8"])
    '; did you mean quantize batch / -o OUT_DIR?'
    """
    if os.path.isdir(args[0]):
        return f"; did you mean {program} batch {shell_quoted(args[0])} -o OUT_DIR?"
    if os.path.isfile(args[0]):
        return f"; did you mean {' '.join([program, 'reduce', *map(shell_quoted, args)])}?"
    return ""


def _echo_stdout_error(exc: _StdoutError) -> None:
    """Say on stderr why stdout did not take a line (a full disk, closed); a reader that has
    gone (EPIPE) is no error."""
    if exc.error.errno != errno.EPIPE:
        echo_error(f"stdout: cannot write ({exc.error.strerror or exc.error})")


def _file_like_option(option: str, argv: Sequence[str]) -> str:
    """How to name an existing file that the parser took for ``option`` ("" when none is);
    ``option`` "-" stands for any option (``-k.png``, read as ``-k .png``).

    ``quantize reduce -x.png`` reads ``-x`` as an option; when ``-x.png`` is a
    file, the error says how to write it as one.

    >>> _file_like_option("-x", ["reduce", "-k", "4", "-x.png"])  # no such file here
    ''
    """
    for arg in argv:
        if arg == "--":
            break
        if arg != "-" and arg.startswith(option) and os.path.lexists(arg):
            return (f"; to name {shell_quoted(arg)}, write {shell_quoted('./' + arg)} or put -- "
                    "before it")
    return ""


# What click says of a value it cannot convert: "'abc' is not a valid int.", the value as
# Python writes a string: in double quotes when it holds a ' ("pal'.hex").
_NOT_A_NUMBER = (r"(?P<value>'.*'|\".*\") is not a valid "
                 r"(?P<type>int|integer|float)\.?")


def _bad_value(exc: Any) -> str:
    """A value the parser refused, in the words of the commands' own checks.

    ``-k abc`` gives ``-k/--colors='abc' is not valid; expected an integer``, as
    ``--space xyz`` gives ``--space='xyz' is not valid; expected one of ...``;
    click's own wording was "Invalid value for '-k' / '--colors': ...".
    """
    param = exc.param
    if param is None:
        return exc.format_message()
    name = _param_name(param)
    number = re.fullmatch(_NOT_A_NUMBER, exc.message.strip(), re.DOTALL)
    if number is None:
        return f"{name} {exc.message}"
    expected = "an integer" if number["type"].startswith("int") else "a number"
    value = ast.literal_eval(number["value"])  # the string itself, its quotes taken off
    if name == "--quality" and re.fullmatch(_RANGE, value):  # pngquant's
        expected += f"; {QUALITY_SCALE}"
    elif "-k" in param.opts and _names_a_palette(value, exc.ctx):
        expected += "; a palette file to map onto goes in --palette-in=..."
    return f"{name}={number['value']} is not valid; expected {expected}"


def _names_a_palette(value: str, ctx: Any) -> bool:
    """Whether ``-k``'s ``value`` (the string typed) may be a
    palette meant for ``--palette-in``, in a command that has it and maps onto it (not
    ``batch --mode segment``, which refuses it): an existing file, or a name ending in a
    palette file's or a palette image's extension (``-k epd7.hex``)."""
    from ..palette_files import PALETTE_FORMATS, PALETTE_IMAGE_FORMATS

    if ctx is None or not any("--palette-in" in p.opts for p in ctx.command.params):
        return False
    if _typed_mode(arguments_given(ctx, before_dashes=True)) == "segment":
        return False
    suffix = os.path.splitext(value)[1].lower()
    return suffix in PALETTE_FORMATS or suffix in PALETTE_IMAGE_FORMATS or os.path.isfile(value)


def _typed_mode(args: Sequence[str]) -> str | None:
    """The last ``--mode`` value among the arguments typed before ``--``, or None.

    >>> _typed_mode(["in", "--mode", "segment", "-k", "x.hex"]), _typed_mode(["--mode=reduce"])
    ('segment', 'reduce')
    """
    mode = None
    for arg, following in zip(args, [*args[1:], None], strict=True):
        if arg == "--mode" and following is not None:
            mode = following
        elif arg.startswith("--mode="):
            mode = arg[len("--mode="):]
    return mode


def _before_dashes(args: Sequence[str]) -> Sequence[str]:
    """The arguments before ``--``, after which every argument is a file name."""
    return args[:args.index("--")] if "--" in args else args


def _shown_names(params: Sequence[Any]) -> list[str]:
    """Every name (``-k``, ``--colors``, ``--no-dither``) of ``params`` the help shows: the
    names an unknown option or a misread one may be proposed."""
    return [name for p in params if not getattr(p, "hidden", False)
            for name in (*p.opts, *p.secondary_opts)]


def _glued_long_option(exc: Any, argv: Sequence[str]) -> str:
    """The end of a bad value's line when the value came from a long option written with
    one dash, which the parser read as a short option and its value glued on (``-json`` as
    ``-j son``, ``-jobs 2`` as ``-j obs``): the long options it may be a typo of
    (:func:`close_options`); else nothing.

    >>> import click
    >>> jobs = click.Option(["-j", "--jobs"], type=int)
    >>> command = click.Command("reduce", params=[jobs, click.Option(["--json"], is_flag=True)])
    >>> bad = click.BadParameter("'son' is not a valid integer.", param=jobs,
    ...                          ctx=click.Context(command))
    >>> _glued_long_option(bad, ["a.png", "-json"])
    '; did you mean --json?'
    """
    param, ctx = exc.param, exc.ctx
    if param is None or ctx is None:
        return ""
    shorts = [opt for opt in param.opts if len(opt) == 2 and opt.startswith("-")]
    word = next((arg for arg in _before_dashes(argv) if len(arg) > 2
                 and not arg.startswith("--") and arg[:2] in shorts), None)
    if word is None:
        return ""
    return _did_you_mean(close_options("-" + word.split("=", 1)[0],
                                       _shown_names(ctx.command.params)))


# pngquant's --quality min-max: two numbers and a dash.
_RANGE = r"\s*\d+(\.\d*)?\s*-\s*\d+(\.\d*)?\s*"


def _misused_option(exc: Any, params: Sequence[Any], ctx: Any) -> Any:
    """An option given without its value, or a flag given one, named as other errors name
    it: ``-o/--output needs a value``, ``--edges takes no value`` (``--edges=1``).

    The parser said "Option '-o' requires an argument" and "Option '--edges' does not
    take a value", one error type for both; a flag is told by its parameter.
    """
    typed = exc.option_name
    given = next((p for p in params if typed in p.opts or typed in p.secondary_opts), None)
    # short names first, as the help shows them (the help option's come in either order)
    name = typed if given is None or typed in given.secondary_opts else "/".join(
        sorted(given.opts, key=lambda opt: opt.startswith("--")))
    if given is not None and getattr(given, "is_flag", False):
        level = _ONE_LEVEL.get(typed)
        return click_errors.UsageError(f"{name} takes no value{f'; {level}' if level else ''}",
                                       ctx)
    return click_errors.UsageError(f"{name} needs a value", ctx)


def _param_name(param: Any) -> str:
    """A parameter as its errors name it: an option by its flags (``-o/--output``), an
    argument by the name the help shows (``INPUT_DIR``)."""
    if param.param_type_name == "option":
        return "/".join(param.opts)
    return param.metavar or param.name.upper()


_EPILOG = """\b
Examples:
  quantize reduce photo.jpg                    # 16 colours -> photo.k16.png
  quantize segment photo.jpg                   # regions -> photo.segments/
  quantize batch photos/ -o reduced/ -r -k 32  # a folder, in parallel

Each command's --help lists its options, with more examples.
"""

app = typer.Typer(
    name="quantize",
    cls=_OneLineErrors,
    help="Reduce the colours of images and segment photos into regions, by k-means.",
    epilog=_EPILOG,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # in every command
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no rich import on --help
)


def _version_callback(value: bool) -> None:
    if value:
        say(f"quantize {__version__}")  # to a reader gone: quietly, as other lines
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Reduce the colours of images and segment photos into regions, by k-means."""
    _quiet_pillow_log()
    _quiet_pillow_warnings()


def _quiet_pillow_log() -> None:
    """Keep Pillow's log records off stderr when nothing else handles them.

    Without a handler, Python prints records of level WARNING and above as bare
    lines: a TIFF whose samples per pixel are out of range printed "More samples
    per pixel than can be decoded: 2048" above the command's own one-line error,
    which already says why. A handler the user's logging set up still gets them.
    """
    log = logging.getLogger("PIL")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())


def _quiet_pillow_warnings() -> None:
    """Keep the warnings Pillow raises while the command reads headers before any file's
    job (the frame counts that name the outputs, the files a batch plans) off stderr.

    Python printed them as they were, two lines with Pillow's source: "TiffImagePlugin.py:
    982: UserWarning: Corrupt EXIF data. ..." and "warnings.warn(str(msg))". Each file's
    job reads its file again and records the warnings raised (its own filter shows them
    all), which the command says as lines of its own.
    """
    warnings.filterwarnings("ignore", module=r"PIL\.")


class CommandFailed(typer.Exit):
    """How :func:`fail` ends a command: with its exit code, and the ``message`` its error
    line said and the ``kind`` of failure it was (a :data:`~quantize.errors.FailureKind`;
    None where no error said it), for a command that gives them otherwise too
    (``batch --json``, as an object on stdout)."""

    def __init__(self, code: int, message: str, kind: FailureKind | None = None) -> None:
        super().__init__(code)
        self.message, self.kind = message, kind


def fail(message: str, code: ExitCode, kind: FailureKind | None = None) -> NoReturn:
    """Print ``quantize: error: message`` on stderr and exit with ``code``
    (:class:`CommandFailed`, which keeps the message and the failure's ``kind``)."""
    echo_error(message)
    raise CommandFailed(code, message, kind)


def refuse_closed_stdout(show: str, image_of: str | None = None) -> None:
    """Refuse, before any work, to write on a stdout that is closed (``quantize ... >&-``).

    ``show`` is what the command prints there: "lines", "json" or "quiet"
    (nothing); ``image_of``, the input whose image goes to stdout (``-o -``), if
    any. Python starts such a process with ``sys.stdout`` None, and every line
    written to it was dropped without a word: ``--json`` exited 0 with its
    objects lost, and ``batch`` ended in a traceback. It is an error of the
    output (exit 1), as a full stdout is (:func:`say`).
    """
    if sys.stdout is not None:
        return
    if image_of is not None:
        fail(f"{printable_line(image_of)}: cannot write the image to stdout (stdout is "
             "closed)", ExitCode.FAILED)
    if show == "json":
        fail("--json: cannot write to stdout (stdout is closed)", ExitCode.FAILED)
    if show == "lines":
        fail("stdout: cannot write (it is closed); -q/--quiet prints nothing there",
             ExitCode.FAILED)


def refuse_text_onto_files(files: Iterable[tuple[str | os.PathLike[str], str]]) -> None:
    """Refuse, before any work, a stdout or stderr redirected to one of ``files``, each
    given with what it is ("an input", "the --report file"): ``reduce a.png >> a.png``
    appended the summary line to the image, whose own output to such a stdout (``-o -``)
    was refused. A usage error (exit 2); an empty file is said to be (behind ``>``, the
    shell has emptied it already).

    Nothing more is written into such a stream (it is pointed at the null device): the
    error line goes to stderr, or to stdout when stderr is the file (nowhere when both are).
    Cheap in the usual case: stdout and stderr are each looked at once (a terminal, a pipe
    or a closed stream ends it); ``files`` are looked up only when one is a regular file.
    ``-`` stands for stdin (the file it is redirected from, if any).
    """
    streams = _streams_to_files()
    if not streams:
        return
    for path, what in files:
        hit = [name for name, out in streams.items() if _is_file(path, out)]
        if not hit:
            continue
        shown = ("the file stdin is redirected from" if os.fspath(path) == "-"
                 else printable_line(os.fspath(path)))
        emptied = (", empty (a '>' redirection to it empties it before quantize starts)"
                   if streams[hit[0]].st_size == 0 else "")
        line = (f"{' and '.join(hit)} {'are' if len(hit) > 1 else 'is'} {shown}, {what}"
                f"{emptied}; what quantize prints there would be written into it: redirect "
                f"{'them' if len(hit) > 1 else 'it'} to another file")
        for name in hit:
            _gone(getattr(sys, name))
        if "stderr" in hit and "stdout" not in hit:
            say(f"quantize: error: {line}")
            raise typer.Exit(ExitCode.USAGE)
        fail(line, ExitCode.USAGE)


def _streams_to_files() -> dict[str, os.stat_result]:
    """stdout and stderr, by name, when each is redirected to a regular file: its status."""
    import stat

    streams = {}
    for name in ("stdout", "stderr"):
        try:
            st = os.fstat(getattr(sys, name).fileno())
        except (AttributeError, OSError, ValueError):  # closed, no descriptor
            continue
        if stat.S_ISREG(st.st_mode):
            streams[name] = st
    return streams


def _is_file(path: str | os.PathLike[str], out: os.stat_result) -> bool:
    """Whether ``path`` (``-``: the file stdin is redirected from) is the file ``out``."""
    try:
        st = os.fstat(sys.stdin.fileno()) if os.fspath(path) == "-" else os.stat(path)
    except (AttributeError, OSError, ValueError):  # not there: its own error says so
        return False
    return os.path.samestat(st, out)


def refuse_image_named_folder(outdir: Path, writes: str) -> None:
    """Refuse an ``-o`` folder that is no folder yet and is named as an image (``segment
    a.png -o seg.png``, ``batch photos -o out.png``): the command makes a folder there, as
    it ``writes`` (what, said in the error), and a user naming one image expects a file,
    not a folder called ``seg.png``. An existing folder of that name is taken."""
    if not outdir.suffix or outdir.is_dir():
        return
    from ..reduce import PALETTE_EXTENSIONS, RGB_EXTENSIONS

    if outdir.suffix.lower() in (*PALETTE_EXTENSIONS, *RGB_EXTENSIONS):
        fail(printable_line(f"-o/--output={quoted(outdir)}: expected a folder, as {writes}; "
                            "name one without an image suffix, e.g. -o "
                            f"{quoted(outdir.with_suffix(''))}"), USAGE_ERROR)


def refuse_stdout_folder(outdir: Path | None, command: str) -> None:
    """Refuse ``-o -`` for a command whose outputs are a folder of files (usage error)."""
    if str(outdir) == "-":
        fail(f"-o/--output='-': {command} does not write to stdout (its outputs are a folder of "
             "files); expected a folder", USAGE_ERROR)


class Scratch:
    """A temporary folder for the copies of streams (:func:`stage_stream`) and of stdout,
    made when first asked for (:meth:`Scratch.folder`) and removed with everything in it at
    the end of the ``with`` block.

    Files read and written by name need none: making and removing the folder cost
    about 3 ms of every such call.
    """

    def __init__(self) -> None:
        self._made: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> "Scratch":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._made is not None:
            self._made.cleanup()

    def folder(self, name: str, use: str) -> Path:
        """The folder, made on the first call; if it cannot be made (no temporary folder
        Python can write in, a full disk), the command ends with exit 1 and a line naming
        the file ``name`` it was needed for, what for (``use``, "for its copy") and
        TMPDIR."""
        if self._made is None:
            try:
                self._made = tempfile.TemporaryDirectory(prefix="quantize-")
            except OSError as exc:
                fail(f"{printable_line(name)}: cannot make a temporary folder {use} "
                     f"({printable_line(exc.strerror or str(exc))}); "
                     f"{tmpdir_advice(exc.errno)}", ExitCode.FAILED)
        return Path(self._made.name)


def tmpdir_advice(error: int | None) -> str:
    """What to do when the system refused, with the error number ``error``, a write into
    the temporary folder: set TMPDIR to a folder with room (a full disk, a quota:
    :data:`_NO_ROOM`) or one the user can write in; a file over the size limit
    (``ulimit -f``, or the file system's) may also need the limit raised.

    >>> tmpdir_advice(errno.ENOSPC), tmpdir_advice(errno.EACCES)
    ('set TMPDIR to a folder with room', 'set TMPDIR to a folder you can write in')
    >>> tmpdir_advice(errno.EFBIG)
    'raise the file-size limit (ulimit -f), or set TMPDIR to a folder on another file system'
    """
    if error == errno.EFBIG:
        return ("raise the file-size limit (ulimit -f), or set TMPDIR to a folder on another "
                "file system")
    return f"set TMPDIR to a folder {'with room' if error in _NO_ROOM else 'you can write in'}"



def stage_stream(path: Path, folder: Path) -> Path:
    """Copy what the stream ``path`` holds into ``folder``, so a job can read it more than
    once; a stream that cannot be read, or that begins no image
    (:func:`~quantize.io.streams.copy_image_stream`), ends the command (exit 1)."""
    staged = folder / (path.name or "input")  # its name: a palette file is named after it
    return _stage(lambda: open(path, "rb"), staged, str(path),
                  f"{printable_line(str(path))}: cannot read")


def stage_stdin(folder: Path, several: str = "send one image at a time") -> Path:
    """Copy the image stdin holds into ``folder`` (as :func:`stage_stream` copies a pipe),
    so a job can read it more than once; a stdin that is closed, cannot be read or begins
    no image (:func:`~quantize.io.streams.copy_image_stream`) ends the command (exit 1),
    and so does one that holds several images one after another
    (:func:`~quantize.io.streams.images_in_stream`; exit 2), with ``several``: what the
    command does with one image and how to give it several ("reduce reads one: add
    --frames ...")."""
    staged = _stage(_stdin, folder / "stdin", "-", "-: cannot read stdin", png_ends=True)
    images = images_in_stream(staged)
    if len(images) > 1:
        fail(f"-: stdin holds {_images_said(images)}, one after another "
             f"({images[-1].end - images[0].end:,} bytes after the first); {several}",
             USAGE_ERROR)
    return staged


def stage_stdin_images(folder: Path, max_frames: int | None) -> list[Path]:
    """Copy stdin to its end, then each image it holds one after another
    (:func:`~quantize.io.streams.images_in_stream`) into a file of its own in ``folder``,
    in order (``image00001.png`` ...), the copy removed: the frames ``--frames`` joins.
    A stdin that cannot be read ends the command as in :func:`stage_stdin` (exit 1), and
    so do more images than ``max_frames`` (None: no limit), before any is written apart.
    """
    staged = _stage(_stdin, folder / "stdin", "-", "-: cannot read stdin")
    images = images_in_stream(staged)
    if max_frames is not None and len(images) > max_frames:
        fail(f"-: stdin holds {_images_said(images)}, over the limit of {max_frames:,} "
             f"frames; if the stream is trusted, set --max-frames={len(images)} or more",
             ExitCode.FAILED)
    suffix = {"PNG": ".png", "JPEG": ".jpg"}.get(images[0].format or "", "")
    paths = [folder / f"image{n:05}{suffix}" for n in range(1, len(images) + 1)]
    try:
        with open(staged, "rb") as copy:
            for image, path in zip(images, paths, strict=True):
                copy.seek(image.start)
                with open(path, "wb") as part:
                    _copy_bytes(copy, part, image.end - image.start)
        staged.unlink()
    except OSError as exc:
        fail(f"-: cannot copy its images into the temporary folder "
             f"{quoted(str(folder.parent))} ({exc.strerror}); {tmpdir_advice(exc.errno)}",
             ExitCode.FAILED)
    return paths


def _stdin() -> contextlib.AbstractContextManager[BinaryIO]:
    """Stdin's bytes, unbuffered, so that a PNG's copy takes nothing from stdin past what
    it copies (:func:`~quantize.io.streams.copy_image_stream`); a stdin closed at the start
    ends the command (exit 1)."""
    if sys.stdin is None:  # started with its stdin closed
        fail("-: cannot read stdin (stdin is closed)", ExitCode.FAILED)
    return contextlib.nullcontext(getattr(sys.stdin.buffer, "raw", sys.stdin.buffer))


def _images_said(images: Sequence[StreamImage]) -> str:
    """How many images of which format a stream holds, as its errors say it.

    >>> _images_said([StreamImage("PNG", 0, 9), StreamImage("PNG", 9, 20)])
    '2 PNG images'
    """
    return f"{len(images):,} {images[0].format} image{'s' * (len(images) != 1)}"


def _copy_bytes(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """Copy the next ``size`` bytes of ``source`` into ``target``, a block at a time."""
    while size > 0:
        block = source.read(min(size, 1 << 20))
        if not block:
            return
        target.write(block)
        size -= len(block)


def _stage(opened: Callable[[], contextlib.AbstractContextManager[BinaryIO]], staged: Path,
           name: str, cannot: str, *, png_ends: bool = False) -> Path:
    """Copy the image the stream ``opened()`` gives (named ``name``,
    :func:`~quantize.io.streams.copy_image_stream`, with ``png_ends``) into the file
    ``staged``; no image there, or a damaged PNG, ends the command with the error's line
    (exit 1); an error of the system ends the command
    with ``cannot`` and what the system said (exit 1), or, when the copy found no room,
    with the temporary folder that has none (:data:`_NO_ROOM`), as the stream itself was
    read."""
    try:
        with opened() as stream, open(staged, "wb") as copy:
            copy_image_stream(stream, copy, name, png_ends=png_ends)
    except ImageReadError as exc:  # no image, or a damaged PNG, said after its first bytes
        fail(printable_line(str(exc)), ExitCode.FAILED)
    except OSError as exc:
        if exc.errno in _NO_ROOM:
            folder = quoted(str(staged.parent.parent))
            fail(f"{printable_line(name)}: cannot copy it into the temporary folder {folder} "
                 f"({exc.strerror}); {tmpdir_advice(exc.errno)}", ExitCode.FAILED)
        fail(f"{cannot} ({exc.strerror or exc})", ExitCode.FAILED)
    return staged


#: The errors of a write that finds no room: a full disk, a quota, a file-size limit.
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def refuse_both(first: str, second: str) -> None:
    """Refuse two options that exclude each other, both given (exit 2), in one wording."""
    fail(f"{first} and {second} both given; expected one of them", USAGE_ERROR)


def check_palette_mode_alone(palette: str, colors: int | None, quality: float | None,
                             palette_in: Any) -> None:
    """Refuse ``--palette per-frame`` with ``--quality`` or ``--palette-in``
    (:func:`~quantize.animation.options.check_per_frame_alone`), whatever the files: reduce
    and batch call it before any file is read, so that the combination every animation's
    job refuses is refused once, in one wording, and not after the stills were written.

    Raises
    ------
    ValueError
        Named as the library names it; :func:`user_errors` writes it as the flags.
    """
    if palette != "per-frame":
        return
    from ..animation.options import check_per_frame_alone

    check_per_frame_alone(colors, quality, palette_in)


def check_palette_fitted_given(palette_fitted: bool, palette_in: Any) -> None:
    """Refuse ``--palette-fitted`` without ``--palette-in``, naming both as flags (the
    library's check, :func:`~quantize.reduce.check_reduce_options`, names its parameters,
    ``palette_in`` among them, as Python gives them).

    >>> check_palette_fitted_given(True, None)
    Traceback (most recent call last):
    ...
    ValueError: --palette-fitted needs --palette-in beside it: it says how that palette is \
dithered onto
    """
    if palette_fitted and palette_in is None:
        raise ValueError("--palette-fitted needs --palette-in beside it: it says how that "
                         "palette is dithered onto")


#: The names of an open file descriptor: ``/dev/stdin``, ``/dev/fd/N`` (``<(cmd)``) and
#: their ``/proc`` forms. A regular file redirected there is read as a file, but its output
#: would be named in ``/dev`` (``/dev/stdin.k16.png``, written there by root).
_DESCRIPTOR_NAME = re.compile(
    r"/dev/(?:stdin|stdout|stderr|fd/[0-9]+)|/proc/(?:self|thread-self|[0-9]+)/fd/[0-9]+")


def names_a_descriptor(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names an open file descriptor (:data:`_DESCRIPTOR_NAME`), whatever
    it leads to.

    >>> names_a_descriptor("/dev/stdin"), names_a_descriptor("/dev/fd/63"), names_a_descriptor("a")
    (True, True, False)
    """
    return _DESCRIPTOR_NAME.fullmatch(os.path.abspath(path)) is not None


def refuse_stream_without_output(path: Path, option: str) -> None:
    """Refuse a stream input (:func:`quantize.io.is_stream`), or one that names a file
    descriptor (:func:`names_a_descriptor`): no output can be named after it."""
    what = ("is a pipe or device, not a file" if is_stream(path)
            else "names a file descriptor (stdin, or a file redirected to it), not a file")
    fail(f"{printable_line(str(path))}: {what}, so no output can be named after it; name the "
         f"output with {option}", USAGE_ERROR)


#: The command-line flags of the library's parameter names, for error and warning lines.
FLAGS = {"n_colors": "-k/--colors", "n_clusters": "-k/--clusters", "regions": "--regions",
         "edges": "--edges", "classes": "--classes", "quality": "--quality",
         "quality_limit": "--quality-limit",
         "space": "--space", "dither": "--dither",
         "palette_in": "--palette-in", "palette_out": "--palette-out", "palette": "--palette",
         "weights": "-w/--weight", "min_region": "--min-region", "seed": "--seed",
         "max_pixels": "--max-pixels", "max_frames": "--max-frames", "input_dir": "INPUT_DIR",
         "output_dir": "-o/--output",
         "output": "-o/--output",
         "report": "--report", "html": "--html", "shared_palette": "--shared-palette",
         "optimize": "--optimize", "exact_colors": "--exact-colors", "scheduler": "--scheduler",
         "worker_timeout": "--worker-timeout",
         "jobs": "-j/--jobs", "palette_in_digest": "--palette-in file's SHA-256",
         "pattern": "--glob", "exclude_pattern": "--exclude",
         "overlay_color": "--overlay-color", "ext": "--ext", "max_bytes": "--max-bytes",
         "matte": "--matte", "fixed_colors": "--fixed-color", "strip": "--strip",
         "transparent_color": "--transparent-color",
         "keep_gps": "--keep-gps", "nearest": "--nearest",
         "smooth": "--smooth", "stretch_clip": "--stretch-clip",
         "stretch_curve": "--stretch-curve", "stretch_softening": "--stretch-softening",
         "stretch_range": "--stretch-range",
         "superpixels": "--superpixels", "masks": "--masks",
         "working_size": "--working-size", "nodata": "--nodata", "intent": "--intent",
         "fps": "--fps", "loop": "--loop",
         "shared_classes": "--shared-classes", "classes_in": "--classes-in", "page": "--page",
         "class_order": "--class-order"}

#: The parameters that are flags on the command line: ``name=True`` is written as the flag
#: alone, as it is typed (``--exact-colors``, not ``--exact-colors=True``).
SWITCHES = {"dither": "--dither", "force": "--force", "exact_colors": "--exact-colors",
            "strip": "--strip", "keep_gps": "--keep-gps", "nearest": "--nearest",
            "optimize": "--optimize", "edges": "--edges", "classes": "--classes",
            "shared_palette": "--shared-palette", "shared_classes": "--shared-classes",
            "skip_if_larger": "--skip-if-larger", "stretch": "--stretch",
            "copy_if_larger": "--copy-if-larger", "palette_fitted": "--palette-fitted"}


def as_flags(message: str, flags: dict[str, str] | None = None) -> str:
    """``message`` with the library's parameter names written as the command's flags.

    ``flags`` overrides :data:`FLAGS` for some names (an output named by
    ``--ext`` rather than ``-o``).

    >>> as_flags("c.png: n_colors=300 is more than ...")
    'c.png: -k/--colors=300 is more than ...'
    >>> as_flags("weight texture=-1 should be >= 0")
    '-w texture=-1 should be >= 0'
    >>> as_flags("output='a.s.jpg': ...", {"output": "--ext output"})
    "--ext output='a.s.jpg': ..."
    >>> as_flags("output exists; use force=True to overwrite")
    'output exists; use --force to overwrite'
    >>> as_flags("so exact_colors=True cannot be given with it")
    'so --exact-colors cannot be given with it'
    """
    names = FLAGS if flags is None else {**FLAGS, **flags}
    message = re.sub(r"(?<![\w/-])(\w+)=True\b",
                     lambda m: SWITCHES.get(m[1], m[0]), message)
    # a feature weight, named "weight <group>=" or "weight name=", is given as -w GROUP=VALUE
    message = re.sub(r"(?<![\w/-])weight (?=name=)", "-w/--weight ", message)
    message = re.sub(r"(?<![\w/-])weight (?=\w+=)", "-w ", message)
    return re.sub(r"(?<![\w/-])(\w+)=", lambda m: names.get(m[1], m[1]) + "=", message)


#: The error of a relative path given in a current folder that no longer exists.
FOLDER_GONE = (".: the current folder no longer exists (removed or moved since the shell "
               "entered it), so no relative path can be read or written; cd to a folder "
               "that exists, or give absolute paths")


def folder_gone(error: BaseException) -> bool:
    """Whether ``error`` is that of a relative path made absolute in a current folder that
    no longer exists: ``os.getcwd`` failed, and the error names no file."""
    if not isinstance(error, FileNotFoundError) or error.filename is not None:
        return False
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    return False


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn library exceptions into one-line errors and exit codes.

    ``QuantizeError`` subclasses carry their own code; other ``ValueError`` and
    ``TypeError`` are bad parameters (exit 2); other ``OSError`` are file
    problems (exit 1). Parameter names in the messages are written as the
    command's flags (:func:`as_flags`); the file an error names is shown
    escaped (:func:`printable_line`), so that its name stays on the line and
    is not read as flags, and so is the reason, which may name another file
    (the output's folder).
    """
    try:
        yield
    except QuantizeError as exc:  # its message "<path>: <reason>", or its reason alone
        named = exc.path is not None and str(exc) != exc.reason
        where = f"{printable_line(exc.path)}: " if named else ""
        fail(where + printable_line(as_flags(exc.reason)), exc.exit_code, failure_kind(exc))
    except (ValueError, TypeError) as exc:
        fail(printable_line(as_flags(str(exc))), USAGE_ERROR, failure_kind(exc))
    except OSError as exc:
        if folder_gone(exc):
            fail(FOLDER_GONE, ExitCode.FAILED, failure_kind(exc))
        where = f"{printable_line(str(exc.filename))}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", ExitCode.FAILED, failure_kind(exc))
    except MemoryError:
        fail("out of memory; try a smaller image or --max-pixels", ExitCode.FAILED)


#: Key of ``ctx.meta`` holding a sub-command's arguments as they were given (see
#: :func:`command_line`).
_GIVEN_ARGS = "quantize.given_args"


class Command(_HelpBySay, TyperCommand):
    """A sub-command whose usage errors name the option or argument first, as its other
    errors do: ``-o/--output needs a value (see 'quantize reduce --help')``,
    ``-o/--output is missing``, ``b.png: unexpected argument; quantize segment takes
    one INPUT``, and whose unknown option is named with the command's options it may
    be a typo of (:func:`close_options`).

    The parser said "Option '-o' requires an argument", without the command's
    help to look at; "Missing option '-o' / '--output'"; "Got unexpected extra
    argument (b.png)"; and "No such option: --bogus (Possible options: --jobs)". The
    arguments are kept as given, for :func:`command_line`.
    """

    #: What the command says of an option of another tool it has no counterpart of, where
    #: what every command says (``_NO_COUNTERPART``) is not true of it; keyed as there.
    foreign: Mapping[str, str] = {}

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_GIVEN_ARGS, tuple(args))
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True  # refused below, named
        try:
            if not ctx.resilient_parsing:  # the parser takes its list apart: a copy
                _refuse_options_after_dashes(args, self.params, ctx)
                _refuse_option_as_value(args, self.get_params(ctx), ctx)
                _, _, order = self.make_parser(ctx).parse_args(args=list(args))
                _refuse_repeated_values(order, ctx)
            rest = super().parse_args(ctx, args)
        except click_errors.NoSuchOption as exc:
            raise _unknown_option(exc, self.params, ctx, ctx.meta[_GIVEN_ARGS],
                                  self.foreign) from None
        except click_errors.MissingParameter as exc:
            if exc.param is None:
                raise
            raise click_errors.UsageError(f"{_param_name(exc.param)} is missing", ctx) from None
        except click_errors.BadOptionUsage as exc:
            if exc.ctx is not None:
                raise
            raise _misused_option(exc, self.get_params(ctx), ctx) from None
        finally:
            ctx.allow_extra_args = allowed
        if not ctx.resilient_parsing:
            self._refuse_dither_values(ctx, rest)
        if rest and not allowed and not ctx.resilient_parsing:
            raise click_errors.UsageError(self.extra_arguments(ctx, rest), ctx)
        return rest

    def _refuse_dither_values(self, ctx: Any, extra: Sequence[str]) -> None:
        """Refuse, as ``reduce`` does, an argument typed before ``--`` as ``--dither``'s
        value (``batch in -o out --dither ordered``, ``batch --dither 0.5 in -o out``), before
        the arguments are counted, and one taken as an argument (``batch --dither ordered -o
        out``, with no INPUT_DIR) before any work: the count blamed ``ordered``, or ``in``,
        as one too many, and the folder ``ordered`` was not found (exit 1). A command of
        variadic arguments (``reduce``) checks its own."""
        if not any(param.name == "dither" for param in self.params):
            return
        given = arguments_given(ctx, before_dashes=True)
        taken = [str(ctx.params[p.name]) for p in self.params if p.param_type_name == "argument"
                 and p.nargs == 1 and ctx.params.get(p.name) is not None]
        for name in typed_before_dashes(ctx, [*taken, *extra]):
            if line := (dither_value_error(name, "--dither" in given, given)
                        or max_bytes_unit_error(name, given)):
                fail(line, USAGE_ERROR)

    def extra_arguments(self, ctx: Any, extra: Sequence[str]) -> str:
        """Why the arguments ``extra``, given after those the command takes, are refused:
        ``out: unexpected argument; quantize batch takes one INPUT_DIR``."""
        takes = [_param_name(p) for p in self.params
                 if p.param_type_name == "argument" and p.nargs == 1]
        one = f"; {ctx.command_path} takes one {' and one '.join(takes)}" if takes else ""
        s = "" if len(extra) == 1 else "s"
        return f"{' '.join(extra)}: unexpected argument{s}{one}"


def _refuse_options_after_dashes(args: Sequence[str], params: Sequence[Any], ctx: Any) -> None:
    """Refuse an option of the command given after ``--`` (``quantize reduce -- -x.png -k
    4``), which makes it a file name: that file does not exist, and the files named with
    it would be done without the option. A name that is a file is the file's.
    """
    if "--" not in args:
        return
    options = {name for p in params if p.param_type_name == "option"
               for name in (*p.opts, *p.secondary_opts)}
    for arg in args[args.index("--") + 1:]:
        if arg.split("=", 1)[0] in options and not os.path.lexists(arg):
            raise click_errors.UsageError(
                f"{printable_line(arg)}: no such file; it follows --, after which every "
                "argument is a file name: give the options before --", ctx)


def _refuse_option_as_value(args: Sequence[str], params: Sequence[Any], ctx: Any) -> None:
    """Refuse one of the command's options given as another option's value (``segment
    photo.jpg -o --edges``, its folder forgotten): the parser took it for the value, made a
    folder named ``--edges`` and dropped the option. A name that is a file is the file's,
    and ``./--edges`` names one.
    """
    names = {name: p for p in params if p.param_type_name == "option"
             for name in (*p.opts, *p.secondary_opts)}
    given = _before_dashes(args)
    for arg, value in itertools.pairwise(given):
        param = names.get(arg)
        if param is None or param.is_flag or param.count:
            continue  # not an option, a flag, or its value is given with it (-k16, -k=16)
        if value.split("=", 1)[0] in names and not os.path.lexists(value):
            shown = printable_line(value)
            names_a_file = (param.type.name in ("path", "file_name", "palette_file")
                            or "--output" in param.opts)
            name = f" (write ./{shown} for a file of that name)" if names_a_file else ""
            raise click_errors.UsageError(
                f"{_param_name(param)} needs a value; {shown} is an option{name}", ctx)


def _refuse_repeated_values(order: Sequence[Any], ctx: Any) -> None:
    """Refuse an option that takes a value given more than once (``-k 8 -k 16``), which the
    parser let pass, keeping the last value: which one was meant cannot be told.

    ``order``: the parameters in the order the parser met them, once per occurrence.
    Options given once per item (``-w``) may repeat; so may flags, the last of ``--dither``
    and ``--no-dither`` counting. ``--dither=LEVEL`` (the hidden ``--dither-level``) is
    ``--dither`` given a value: it is refused beside another ``--dither`` or ``--no-dither``.
    """
    leveled = any(param.name == "dither_level" for param in order)
    counts = Counter(_given_once(param, leveled) for param in order)
    counts.pop(None, None)
    for name, n in counts.items():
        if n <= 1:
            continue
        if name == "--dither" and any(param.name == "dither" for param in order):
            raise click_errors.UsageError("--dither=LEVEL is given with --dither or "
                                          "--no-dither; give one of them", ctx)
        times = "twice" if n == 2 else f"{n} times"
        raise click_errors.UsageError(f"{name} is given {times}; give it once", ctx)


def _given_once(param: Any, leveled: bool) -> str | None:
    """The name of ``param`` if it may be given once only, else None (see
    :func:`_refuse_repeated_values`; ``leveled``: ``--dither=LEVEL`` is among the options)."""
    if param.param_type_name != "option" or param.multiple:
        return None
    if param.name in ("dither", "dither_level"):
        return "--dither" if leveled else None
    return None if param.is_flag else _param_name(param)


#: Options known by other names: in another quantize command (``reduce --clusters``,
#: ``segment --colors``, ``palette --palette-out``, reduce's name of palette's ``-o``), in
#: pngquant (``--nofs`` and ``--ordered``, which both turn its dithering off, ``--floyd``,
#: ``--map``, ``-f`` for ``--force``), ImageMagick (``-remap``, ``-map``) or gifsicle
#: (``--use-colormap``), or in common use (``--threads``), or as scikit-learn's and
#: scikit-image's keywords (``--random-state``). Each is proposed only where the command has
#: it.
_OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "--clusters": ("--colors",),
    "--colors": ("--clusters",),
    "--colours": ("--clusters",),
    "--nofs": ("--no-dither",),
    "--ordered": ("--no-dither",),
    "--floyd": ("--dither",),
    "--map": ("--palette-in",),
    "--remap": ("--palette-in",),
    "--use-colormap": ("--palette-in",),
    "--threads": ("--jobs",),
    "--workers": ("--jobs",),
    "--processes": ("--jobs",),
    "--palette-out": ("--output",),
    "--outdir": ("--output",),
    "--out-dir": ("--output",),
    "--out": ("--output",),
    "-f": ("--force",),
    "--random-state": ("--seed",),
    "--random_state": ("--seed",),
    "--rng": ("--seed",),
    "--n-clusters": ("--colors", "--clusters"),
    "--n_clusters": ("--colors", "--clusters"),
    "--n-colors": ("--colors", "--clusters"),
    "--n_colors": ("--colors", "--clusters"),
    "--n-segments": ("--regions",),
    "--n_segments": ("--regions",),
    "--min-size": ("--min-region",),
    "--min_size": ("--min-region",),
    "--max-size": ("--max-bytes",),
    "--target-size": ("--max-bytes",),
    "--size": ("--max-bytes",),
    "--background": ("--matte",),  # ImageMagick's -background C -alpha remove
}
#: Options of other tools that no quantize option stands for, or one stands for in part
#: (gifsicle's ``-O3``, keyed with the level typed after it: :func:`_typed_with_level`), and
#: what to say instead of proposing the option they look like (pngquant's ``--speed`` is no
#: ``--seed``, gifsicle's ``-O3`` no ``-o``), before any other name of theirs the command
#: has (``_OTHER_NAMES``).
_NO_COUNTERPART = {
    "--speed": "quantize has no speed setting",
    "--ordered": "pngquant's --ordered turns dithering off (quantize's ordered dithering is "
                 "--dither=ordered)",
    "--ordered-dither": "quantize's ordered dithering is --dither=ordered",
    "--posterize": "quantize has no setting for colours of fewer bits (reduce and batch map "
                   "onto evenly spaced levels given as --palette-in: docs/reduce.md, 'Evenly "
                   "spaced levels')",
    "-posterize": "ImageMagick's -posterize N is N evenly spaced levels a channel: give them "
                  "as --palette-in (docs/reduce.md, 'Evenly spaced levels')",
    "--version": "the version is 'quantize --version'",
    "--compactness": "segment weighs position against colour with --weight xy=VALUE",
    "--verbose": "quantize prints a line per file without it (--json for every measure, -q "
                 "for none)",
    "-v": "quantize prints a line per file without it (--json for every measure, -q for none)",
    "-dither None": "ImageMagick's -dither None is --no-dither, quantize's default",
    "--lossy": "quantize has no lossy LZW coding (gifsicle's --lossy alters pixels so that "
               "LZW packs them tighter); the closest is fewer colours: -k, or --quality, the "
               "mean ΔE2000 allowed",
    **dict.fromkeys(("-O1", "-O2", "-O3"), "without an option, quantize stores each GIF "
                    "frame as gifsicle's -O2 does (only the part that changed, unchanged "
                    "pixels in it transparent where that is smaller); --optimize tries more "
                    "ways, as -O3 does"),
    # gifsicle's options of timing and size: quantize changes colours only
    "--delay": "quantize keeps each frame's delay; change it with gifsicle --delay",
    "--loopcount": "quantize keeps the animation's loop count; change it with gifsicle "
                   "--loopcount",
    **{name: f"quantize keeps the image's size; change it with gifsicle {name} (or "
             "ImageMagick's -resize) before or after"
       for name in ("--resize", "--resize-width", "--resize-height", "--resize-fit",
                    "--resize-fit-width", "--resize-fit-height", "--resize-touch", "--scale")},
    # the size options of other tools (cwebp's, sharp's, a build step's own) and
    # ImageMagick's, written as it writes them, with one dash (:func:`_one_dash_spelling`)
    **dict.fromkeys(("--width", "--height", "--max-width", "--max-height", "--size", "--fit",
                     "--thumbnail", "--max-size"),
                    "quantize keeps the image's size; change it with ImageMagick's -resize "
                    "(or gifsicle --resize-fit) before or after"),
    **{name: f"quantize keeps the image's size; change it with ImageMagick's {name} before "
             "or after"
       for name in ("-resize", "-thumbnail", "-scale", "-sample", "-adaptive-resize")},
    **dict.fromkeys(("--crop", "-crop"), "quantize keeps the whole image; crop it with "
                    "gifsicle --crop (or ImageMagick's -crop) before or after"),
}
#: The option a command must have for the word of ``_NO_COUNTERPART`` to be true of it.
_SAID_WITH = {"--verbose": "--json", "-v": "--json", "--ordered": "--dither",
              "--ordered-dither": "--dither", "--lossy": "--quality", "-O1": "--optimize",
              "-O2": "--optimize", "-O3": "--optimize", "--delay": "--optimize",
              "-posterize": "--palette-in",
              "--loopcount": "--optimize"}
#: Flags that other tools give levels (gifsicle's ``--optimize=3``), and what to say of
#: their one level when given a value.
_ONE_LEVEL = {"--optimize": "it has one level, which tries more ways to store each GIF "
                            "frame, as gifsicle's --optimize=3 does (gifsicle's level 2 is "
                            "what quantize does without it)"}


def _unknown_option(exc: Any, params: Sequence[Any], ctx: Any, args: Sequence[str] = (),
                    own: Mapping[str, str] | None = None) -> Exception:
    """The parser's "No such option" as ``--bogus: no such option``, with the options of
    ``params`` it may be a typo of (:func:`close_options`, :func:`close_short_options`) or
    another name of (``_OTHER_NAMES``), hidden ones left out. ``args``: the command's
    arguments as given, in which a short option is looked for as it was typed; ``own``: what
    the command says of other tools' options, before ``_NO_COUNTERPART`` (``Command.foreign``)."""
    names = _shown_names(params)
    other = [name for name in _OTHER_NAMES.get(exc.option_name, ()) if name in names]
    said = _typed_with_level(exc.option_name, args)
    if (spelled := _one_dash_spelling(said, names, args)) is not None:
        said = spelled  # named as typed: "-resize", not the "-r" or "-e" the parser read
    if (dither_off := _dither_none(exc.option_name, names, args)) is not None:
        spelled, said = "-dither", dither_off
    instead = (own or {}).get(said)
    needs = _SAID_WITH.get(said)
    if instead is None and (needs is None or needs in names):
        instead = _NO_COUNTERPART.get(said)
    if instead and exc.option_name not in names:
        shown = spelled or exc.option_name
        return click_errors.NoSuchOption(
            exc.option_name, f"{shown}: no such option; {instead}"
            f"{_did_you_mean(other)}", ctx=exc.ctx or ctx)
    close = (close_options(exc.option_name, names)
             or close_short_options(exc.option_name, names, args))
    close = [*(name for name in other if name not in close), *close]
    shown = _word_meant(exc.option_name, names, args) or exc.option_name
    return click_errors.NoSuchOption(
        exc.option_name, f"{shown}: no such option{_did_you_mean(close)}", ctx=exc.ctx or ctx)


def _word_meant(option: str, names: Sequence[str], args: Sequence[str]) -> str | None:
    """The word of one dash in ``args`` that the parser read as short options up to the
    unknown ``option`` (:func:`_one_dash_word`), without any ``=value``, when with two
    dashes it is an option of ``names``, a typo of one or another name of one
    (``-quality=3``, read as ``-q`` and ``-u``; ImageMagick's ``-remap``): the user meant
    a word, not the letter the parser stopped at. Else None (``-qx``: ``-q`` and ``-x``).

    >>> _word_meant("-u", ["-q", "--quiet", "--quality"], ["a.png", "-quality=3"])
    '-quality'
    >>> _word_meant("-x", ["-q", "--quiet", "--quality"], ["a.png", "-qx"]) is None
    True
    """
    if len(option) != 2 or option.startswith("--"):
        return None
    word = _one_dash_word(option, names, args)
    if word is None:
        return None
    typed = word.split("=", 1)[0]
    long = "-" + typed
    if long in names or close_options(long, names) or any(
            name in names for name in _OTHER_NAMES.get(long, ())):
        return typed
    return None


def _help_with_one_dash(exc: Any, args: Sequence[str]) -> Any:
    """The unknown option ``exc`` as ``-help: no such option; did you mean --help?`` when
    the parser read ``-help`` (a common slip for ``--help``) in ``args`` as the help
    option's ``-h`` and then ``-e``, which the user never typed (``-e: no such option``,
    or in a command of typer's own class ``No such option: -e``); else ``exc`` itself.

    >>> import click
    >>> ctx = click.Context(click.Command("reduce"), help_option_names=["-h", "--help"])
    >>> _help_with_one_dash(click.NoSuchOption("-e", ctx=ctx), ["a.png", "-help"]).message
    '-help: no such option; did you mean --help?'
    >>> unknown = click.NoSuchOption("-e", ctx=ctx)
    >>> _help_with_one_dash(unknown, ["-hex"]) is unknown
    True
    """
    if exc.ctx is None:
        return exc
    helps = list(exc.ctx.help_option_names)
    word = _one_dash_word(exc.option_name, [*_shown_names(exc.ctx.command.params), *helps],
                          args)
    typed = None if word is None else word.split("=", 1)[0]
    if typed is None or "-" + typed not in helps:
        return exc
    return click_errors.NoSuchOption(
        exc.option_name, f"{typed}: no such option{_did_you_mean(['--help'])}", ctx=exc.ctx)


def _one_dash_spelling(option: str, names: Sequence[str], args: Sequence[str]) -> str | None:
    """The word of one dash in ``args`` that the parser read as short options up to the
    unknown ``option`` (:func:`_one_dash_word`), without any ``=value``, when
    ``_NO_COUNTERPART`` has it as typed (ImageMagick's ``-resize``, which ``reduce`` reads
    as ``-r`` and ``batch`` as ``-r`` then ``-e``); else None.

    >>> _one_dash_spelling("-e", ["-r", "--recursive"], ["in", "-resize", "320"])
    '-resize'
    >>> _one_dash_spelling("-c", ["-k", "--colors"], ["a.png", "-colors", "8"]) is None
    True
    """
    if len(option) != 2 or option.startswith("--"):
        return None
    word = _one_dash_word(option, names, args)
    typed = None if word is None else word.split("=", 1)[0]
    return typed if typed in _NO_COUNTERPART else None


def _dither_none(option: str, names: Sequence[str], args: Sequence[str]) -> str | None:
    """``"-dither None"`` when ``args`` hold ImageMagick's ``-dither None`` (dithering off),
    which the parser read as ``-d`` and which a command with ``--no-dither`` would otherwise
    be offered ``--dither`` for; else None.

    >>> _dither_none("-d", ["--dither", "--no-dither"], ["a.png", "-dither", "None"])
    '-dither None'
    >>> _dither_none("-d", ["--dither", "--no-dither"], ["a.png", "-dither", "Riemersma"])
    >>> _dither_none("-d", ["--dither", "--no-dither"], ["a.png", "-dither"])
    """
    if "--no-dither" not in names:
        return None
    if _one_dash_word(option, names, args) != "-dither":
        return None
    given = list(_before_dashes(args))
    after = given[given.index("-dither") + 1:]
    return "-dither None" if after[:1] and after[0].casefold() == "none" else None


def _typed_with_level(option: str, args: Sequence[str]) -> str:
    """The unknown short ``option`` with the level digit typed after it (gifsicle's ``-O3``,
    which the parser reads as ``-O`` and ``-3``, or ``-O 3``), or ``option`` as it is.

    >>> _typed_with_level("-O", ["a.gif", "-O3"]), _typed_with_level("-O", ["-O", "out"])
    ('-O3', '-O')
    >>> _typed_with_level("-O", ["a.gif", "-O", "3"])
    '-O3'
    """
    if len(option) == 2 and option[1] != "-":
        given = _before_dashes(args)
        for arg, after in itertools.pairwise([*given, ""]):
            if len(arg) == 3 and arg.startswith(option) and arg[2].isdigit():
                return arg
            if arg == option and len(after) == 1 and after.isascii() and after.isdigit():
                return option + after
    return option


def _did_you_mean(close: Sequence[str]) -> str:
    """The end of an unknown option's or command's line: the names it may be a typo of.

    >>> _did_you_mean([]), _did_you_mean(["--colors"])
    ('', '; did you mean --colors?')
    >>> _did_you_mean(["--palette", "--palette-in", "--palette-out"])
    '; did you mean --palette, --palette-in or --palette-out?'
    """
    if not close:
        return ""
    names = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f"; did you mean {names}?"


def close_options(typed: str, names: Sequence[str]) -> list[str]:
    """The long options of ``names`` that ``typed`` may be a typo of, closest first.

    Compared without their dashes, so that ``--bogus`` is not close to ``--jobs``
    for the dashes they share; short options are one letter, too short to guess from by
    spelling (:func:`close_short_options` looks at them otherwise).

    >>> close_options("--colours", ["-k", "--colors", "--exact-colors", "--jobs"])
    ['--colors']
    >>> close_options("--bogus", ["-k", "--colors", "--exact-colors", "--jobs"])
    []
    """
    import difflib

    if not typed.startswith("--"):
        return []
    words = {name[2:]: name for name in names if name.startswith("--")}
    return [words[w] for w in difflib.get_close_matches(typed[2:], words, n=3, cutoff=0.7)]


def close_short_options(typed: str, names: Sequence[str], args: Sequence[str] = ()) -> list[str]:
    """The options of ``names`` that the unknown short option ``typed`` (``-K``) may stand
    for: the same letter in the other case (``-k``); or, when ``args`` (the arguments as
    given, up to ``--``) hold a word of one dash that the parser read as short options up
    to ``typed`` (:func:`_one_dash_word`: ``-colors`` as ``-c``, ``-quality`` as ``-q`` and
    ``-u``), the option it names with one dash too few, or the long options that word may
    be a typo of (:func:`close_options`), or else
    those it is another name of (``_OTHER_NAMES``: ImageMagick's ``-remap``). A letter
    alone, with no option of the other case, is too short to guess from: none.

    >>> close_short_options("-K", ["-k", "--colors", "-o", "--output"])
    ['-k']
    >>> close_short_options("-c", ["-k", "--colors", "--clusters"], ["a.png", "-colors", "4"])
    ['--colors']
    >>> close_short_options("-u", ["-q", "--quiet", "--quality"], ["-quality=3"])
    ['--quality']
    >>> close_short_options("-u", ["-q", "--quality", "--quality-limit"], ["-quality=3"])
    ['--quality']
    >>> close_short_options("-r", ["-k", "--palette-in"], ["a.png", "-remap", "pal.png"])
    ['--palette-in']
    >>> close_short_options("-x", ["-k", "--colors", "--exact-colors"], ["-x"])
    []
    """
    if len(typed) != 2 or typed.startswith("--"):
        return []
    other_case = "-" + typed[1].swapcase()
    if other_case != typed and other_case in names:
        return [other_case]
    word = _one_dash_word(typed, names, args)
    if word is None:
        return []
    typed_long = "-" + word.split("=", 1)[0]
    if typed_long in names:  # an option's own name, typed with one dash: that option alone
        return [typed_long]
    return (close_options(typed_long, names)
            or [name for name in _OTHER_NAMES.get(typed_long, ()) if name in names])


def _one_dash_word(typed: str, names: Sequence[str], args: Sequence[str]) -> str | None:
    """The first argument of ``args`` (up to ``--``) that is a word of one dash the parser
    read as the short options of ``names`` and then the unknown ``typed``; None if none is.
    """
    given = _before_dashes(args)
    for arg in given:
        if len(arg) <= 2 or arg.startswith("--") or not arg.startswith("-"):
            continue
        before, found, _ = arg[1:].partition(typed[1])
        if found and all(f"-{letter}" in names for letter in before):
            return arg
    return None


class DitherLevelCommand(Command):
    """Accepts ``--dither=LEVEL`` beside the ``--dither`` flag.

    An option with an optional value would swallow the next file name
    (``--dither a.png``), so ``--dither=LEVEL`` is read as the hidden
    ``--dither-level LEVEL`` instead; plain ``--dither`` stays a flag.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_GIVEN_ARGS, tuple(args))  # as typed, before the rewriting
        rewritten, options_done = [], False
        for arg in args:
            if arg == "--":
                options_done = True
            if not options_done and arg.startswith("--dither="):
                arg = "--dither-level=" + arg[len("--dither="):]
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


def arguments_given(ctx: Any, *, before_dashes: bool = False) -> tuple[str, ...]:
    """The sub-command's arguments as they were typed, before any was parsed or rewritten
    (``--dither=LEVEL``), those up to ``--`` alone with ``before_dashes``; none when it was
    called otherwise."""
    given = tuple(ctx.meta.get(_GIVEN_ARGS, ()))
    return tuple(_before_dashes(given)) if before_dashes else given


def typed_before_dashes(ctx: Any, names: Sequence[Any]) -> Sequence[Any]:
    """The first of ``names``, the command's arguments in the order given, that were typed
    before ``--``: one typed after it is a file name whatever it looks like (``reduce -- 16``),
    never read as an option's value. Those after ``--`` end the arguments, one each."""
    given = arguments_given(ctx)
    after = len(given) - given.index("--") - 1 if "--" in given else 0
    return names[:max(len(names) - after, 0)]


def command_line(ctx: Any, name: str) -> str:
    """The sub-command ``name`` as it was typed, quoted for a POSIX shell:
    ``quantize batch 'my photos' -o out -k 8`` (a name holding a byte that is not UTF-8
    or a control character in bash's ``$'...'`` form: :func:`~quantize.names.shell_quoted`)."""
    return " ".join(map(shell_quoted, ["quantize", name, *arguments_given(ctx)]))


def dither_value_error(name: str, dither: bool, given: Sequence[str]) -> str | None:
    """The error line of an argument ``name`` that names no file and reads as the value of
    ``--dither`` (a usage error), or None: a strength when ``dither`` was given (``--dither
    0.5``, then read as full strength), or a word typed after it (``--dither ordered``:
    written ``--dither=ordered``). ``given``: the arguments typed before ``--``.

    >>> dither_value_error("ordered", True, ["in", "--dither", "ordered"])
    'ordered: no such file; did you mean --dither=ordered?'
    """
    if os.path.lexists(name):
        return None
    if dither and _reads_as_number(name):
        return f"{name}: no such file; a dithering strength is written --dither={name}"
    if name not in {value for flag, value in itertools.pairwise(given) if flag == "--dither"}:
        return None
    if name in POSITIONAL:
        return f"{name}: no such file; did you mean --dither={name}?"
    return printable_line(f"{name}: no such file; --dither takes a strength, {ORDERED} or "
                          f"{PATTERN}, written --dither=LEVEL (0 to 1) or --dither={ORDERED}")


def max_bytes_unit_error(name: str, given: Sequence[str]) -> str | None:
    """The error line of an argument ``name`` that names no file and is the unit of the
    ``--max-bytes`` value typed right before it, apart (``--max-bytes 256 KB``: then read
    as an input file), or None. ``given``: the arguments typed before ``--``.

    >>> max_bytes_unit_error("KB", ["in.gif", "--max-bytes", "256", "KB", "-o", "x.gif"])
    "--max-bytes=256 then 'KB' read as an input file; write --max-bytes 256KB"
    >>> max_bytes_unit_error("MiB", ["--max-bytes=1.5", "MiB", "in.gif"])
    "--max-bytes=1.5 then 'MiB' read as an input file; write --max-bytes 1.5MiB"
    >>> max_bytes_unit_error("KB", ["in.gif", "KB", "--max-bytes", "256"]) is None
    True
    """
    if not is_size_unit(name) or os.path.lexists(name):
        return None
    for at, flag in enumerate(given):
        value, after = ((flag.partition("=")[2], at + 1) if flag.startswith("--max-bytes=")
                        else (given[at + 1], at + 2) if flag == "--max-bytes"
                        and at + 1 < len(given) else ("", at))
        if value and after < len(given) and given[after] == name:
            return (f"--max-bytes={value} then {quoted(name)} read as an input file; write "
                    f"--max-bytes {value}{name}")
    return None


def _reads_as_number(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


def dither_strength(flag: bool, level: str | None) -> float | str | None:
    """``--dither=LEVEL`` as a float in 0..1, or "ordered" or "pattern" for
    ``--dither=ordered`` or ``--dither=pattern``; 1.0 for plain ``--dither``, None when
    not given."""
    if level is None:
        return 1.0 if flag else None
    level = choice_word(POSITIONAL)(level)  # in any case, as the other words options take
    if level in POSITIONAL:
        return level
    if (meant := positional_meant(level)) is not None:
        fail(f"--dither={level!r} is not valid; did you mean --dither={meant}?", USAGE_ERROR)
    value = _read(level) if plain_number(level) else float("nan")  # not 0_1 as 1
    if not 0.0 <= value <= 1.0:
        fail(f"--dither={level!r} is not valid; expected a strength from 0 to 1, 'ordered' "
             "or 'pattern', e.g. --dither=0.5 or --dither=ordered", USAGE_ERROR)
    return value


def folder_key(path: Path) -> Any:
    """The folder holding ``path`` as the system finds it: "d/a.png", "link-to-d/a.jpg" and
    "d/../d/a.jpg" are in one folder, and so are "D/a.png" and "d/a.png" where names ignore
    case (its device and inode; its resolved path when it cannot be read)."""
    try:
        info = os.stat(path.parent)
    except OSError:
        return str(resolved_path(path.parent))
    return info.st_dev, info.st_ino


def name_key(path: Path) -> tuple[Any, str]:
    """``path`` as the system finds it where names ignore case and Unicode form: its folder
    (:func:`folder_key`) and its folded name (:func:`~quantize.io.folded_name`)."""
    return folder_key(path), folded_name(path.name)


def output_as_input(output: str, source: str, verb: str = ",") -> str | None:
    """``output`` quoted, ``verb``, and how it is the input ``source``: the input itself
    (:func:`~quantize.names.same_file`), or its name where names ignore case or Unicode
    form (both then shown by code point when they look alike, in two Unicode forms:
    :func:`~quantize.names.apart_by_code_point`); None when it is neither."""
    if same_file(output, source):
        return f"{quoted(output)}{verb} the input itself"
    if name_key(Path(output)) == name_key(Path(source)):
        out, src = apart_by_code_point([output, source], quote=True)
        return (f"{out}{verb} the input {src} where names ignore case or Unicode form (macOS, "
                "Windows)")
    return None


def refuse_missing_folder(flag: str, output: str) -> None:
    """Refuse (usage error) the file ``output`` named by the option ``flag`` whose folder
    does not exist, or is a link into a loop of links (named as an input in one is,
    :func:`~quantize.io.missing_file`), as ``reduce -o`` and ``--palette-out`` refuse
    theirs before any work; one there, or under an existing file, is left to the writer,
    which says which."""
    from ..io import missing_file

    folder = Path(output).parent
    if is_link_loop(folder):
        fail(f"{flag}={quoted(output)}: folder {quoted(folder)} "
             f"{missing_file(folder, 'folder')}", USAGE_ERROR)
    if os.path.lexists(folder) or any(os.path.lexists(above) and not os.path.isdir(above)
                                      for above in folder.parents):
        return
    fail(f"{flag}={quoted(output)}: folder {quoted(folder)} does not exist; expected a "
         "file name in an existing folder", USAGE_ERROR)
