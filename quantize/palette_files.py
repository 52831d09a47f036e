"""Palette files: read and write GIMP ``.gpl``, ``.json``, ``.hex``, Adobe ``.act``, JASC
``.pal``, Paint.NET ``.txt`` palettes, CSS custom properties (``.css``) and Adobe Swatch
Exchange (``.ase``); write a palette's swatch image (:func:`swatch_png_bytes`).

File I/O, like :mod:`quantize.io`: ``read_palette`` checks every line or
entry and names the file and line (in an .act file, the bytes) in its error;
``write_palette`` writes atomically (a crash leaves no partial file).

- ``.gpl``: GIMP palette, ``R G B name`` per line, written as GIMP reads it,
  without alpha (GIMP 2.10 reads Aseprite's ``Channels: RGBA`` line as a black
  entry): a translucent entry's alpha is noted in its name only, with a
  warning. Read also with Aseprite's extension: after a header line
  ``Channels: RGBA``, ``R G B A name`` per line. Names and comments may hold
  bytes that are not UTF-8 (Latin-1 palettes of older tools), as GIMP reads
  them; the other lines, and the other text formats, are read as UTF-8. A comment line
  that is a colour typed as hex then a name (``#c81e28 Warm red``), which GIMP leaves
  out, is refused;
- ``.json``: ``{"name", "colors": [{"hex", "rgb", "alpha", "name", "share"}, ...]}``
  (``alpha`` 0..255 when the palette has alpha, ``name`` when its entries are named; a
  ``hex`` read as a .hex line is, ``#rgb`` and ``#rgba`` too);
- ``.hex``: one ``rrggbb`` per line, or ``rrggbbaa`` when the palette has alpha
  (as Lospec and Aseprite write ``rrggbb``; Aseprite reads the first six digits
  of an ``rrggbbaa`` line), also ``#rrggbb``, CSS's shorthand ``#rgb`` and ``#rgba``
  (each digit doubled: ``#f80`` is ``ff8800``) and ``0xrrggbb`` (a colour as code
  writes it; ``0x`` and 8 digits, which may be ``0xAARRGGBB``, is refused). Lines
  starting with ``;`` are comments (and so is what follows a ``;`` after a colour;
  ``#`` starts a colour, not a comment). A Paint.NET
  palette given this name (its colours ``aarrggbb``, alpha first) is refused
  by its header comment, which names it; without that header, 8-digit lines
  without ``#`` (as Paint.NET writes them) that all begin ``ff`` and end in bytes
  that vary, as an opaque Paint.NET palette's do, or all end in ``00`` (read as
  ``rrggbbaa``, every entry fully transparent), are read as ``rrggbbaa`` with a
  :class:`PaletteReadWarning`;
- ``.act``: Adobe colour table (Photoshop), 256 ``R G B`` byte triples (unused
  ones zero), then two big-endian 16-bit numbers: the count of colours used and
  the index of the transparent one (``0xffff``: none). At most 256 colours; its
  one alpha is that transparent entry (alpha 0), so a translucent entry is
  written opaque (with a warning). Read also without the count, as 768 bytes
  of RGB triples alone, 256 colours (as Adobe's format gives them, and
  Photoshop and GIMP read them), but a tail of two or more black entries, the
  unused entries of a smaller palette, is left out, with a
  :class:`PaletteReadWarning`; a file of any other size is refused (a table
  cut short, or another file given this name, would be read as colours that no
  tool wrote); the transparent index of a file of 772 reads as alpha 0 (with a
  :class:`TransparentIndexWarning`, as Aseprite sets index 0 in every file, but
  for the palette of a fully transparent image, its transparent entry alone:
  :func:`is_clear_image_palette`), and a count of 0 or above 256 (0xffff), which
  writers put when they set none, as all 256 colours, less a black tail as
  without the count;
- ``.pal``: JASC palette (Paint Shop Pro, Aseprite, Lospec): lines ``JASC-PAL``,
  ``0100``, the count, then ``R G B`` per colour (CRLF line ends); with alpha,
  ``R G B A``, as Aseprite writes and reads it. A Microsoft RIFF ``.pal`` is
  refused by name;
- ``.txt``: Paint.NET palette: one ``aarrggbb`` per line (8 hex digits, alpha
  first, as Paint.NET and Lospec write it), lines starting with ``;`` are
  comments (and so is what follows a ``;`` after a colour). A line ``#rrggbb`` (or CSS's
  ``#rgb``) is read as an opaque colour, as GIMP's "Text file" palette export writes them
  (and names the file ``.txt``); Paint.NET's lines have no ``#`` (``#`` and 4 or 8 digits,
  which may give alpha first or last, is refused). Paint.NET reads 96
  colours; any number is read and written (more than 96 with a
  :class:`PaletteFormatWarning`). Written with a
  ``; paint.net Palette File`` header and Windows line ends;
- ``.css``: CSS custom properties on ``:root``, ``--color-1: #rrggbb;`` (``#rrggbbaa`` when
  the palette has alpha) in palette order, a named entry's property named after it (``Error
  red`` as ``--error-red``), the others numbered from 1, each with a comment of its share
  (and of its name as given, when the property's differs) when known, as a web page's theme
  takes them. Read back: every custom property whose value is a colour, in file order, its
  name the entry's (``--color-error`` gives ``color-error``; ``--color-N`` none): hex
  (``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``), ``rgb()``, ``rgba()``, ``hsl()`` and
  ``hsla()`` in either syntax (``rgb(21 101 192)``, ``rgb(21, 101, 192)``) and CSS colour
  names (``black``); other declarations (``--radius: 4px``, ``var(--brand)``) are no colours
  and are skipped, while one that begins as a colour and is not read (``#12``,
  ``oklch(...)``, ``rgb(300 0 0)``) is refused, naming its line.

- ``.ase``: Adobe Swatch Exchange (Illustrator, InDesign, Photoshop), big-endian: ``ASEF``,
  version 1.0, the block count, then blocks (a type, a length): written as one group named
  as the palette (0xC001 ... 0xC002) of a colour block (0x0001) per entry, its name (UTF-16,
  else its ``#rrggbb``), model ``RGB `` and three floats 0..1, type normal; no alpha (a
  translucent entry is written opaque, with a warning). Read: every colour block in file
  order, groups read through; RGB and Gray swatches are read, CMYK and LAB ones refused by
  name (their sRGB levels depend on a colour profile).

The names of a palette and of its entries, where its format holds them (.gpl, .json,
.css, .ase, and a Paint.NET .txt file's palette name), are read by :func:`read_palette_names` and
written by :func:`write_palette`'s ``name`` and ``names``.

A palette is ``(k, 3)`` uint8, or ``(k, 4)`` with straight alpha as the fourth
column; :func:`read_palette` returns ``(k, 4)`` only when some entry of the file has
alpha below 255 (a file whose every alpha is 255 reads as ``(k, 3)``, as
:func:`write_palette` gives such a palette no alpha).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from ._kernels import pack_rgb
from ._validation import check_bool, check_int, check_palette, check_path, color_levels
from .errors import (
    AlphaLossWarning,
    ImageReadError,
    InputParameterError,
    OutputError,
    QuantizeWarning,
    warn_caller,
)
from .io import DEFAULT_MAX_PIXELS, OpenInput, atomic_write, open_input
from .names import extension_words, printable, printable_line, quoted

__all__ = ["PALETTE_ALPHA_HINT", "PALETTE_FORMATS", "PALETTE_FORMAT_LIST",
           "PALETTE_IMAGE_COLORS", "PALETTE_IMAGE_FORMATS", "PALETTE_IN_FORMAT_LIST",
           "PAINT_NET_COLORS", "PaletteFormatWarning", "PaletteNames", "PaletteReadWarning",
           "TransparentIndexWarning",
           "check_palette_file_holds", "check_palette_path", "entry_hex", "is_clear_image_palette",
           "palette_file_bytes", "swatch_png_bytes",
           "palette_file_capacity", "palette_image_table", "read_named_palette", "read_palette",
           "read_palette_names", "states_count", "transparent_index_note", "write_palette"]


class PaletteFormatWarning(QuantizeWarning):
    """A palette file may not be read (or used) as the tool its format is named after
    reads it, or as its writer meant: a .hex file whose lines look like Paint.NET's
    ``aarrggbb``, a Paint.NET .txt file of more colours than Paint.NET reads, an
    Adobe .act table of 768 bytes (no count) whose last entries are black, read without
    them (the padding of a smaller palette), or a palette image of swatches on a grid,
    read without the colour of its gaps (those read otherwise than entry for entry:
    :class:`PaletteReadWarning`)."""


class PaletteReadWarning(PaletteFormatWarning):
    """A palette file is read otherwise than entry for entry, or may be, the same for every
    image mapped onto it: a .hex file whose lines look like Paint.NET's ``aarrggbb``, an
    Adobe .act table of 768 bytes (no count) read without its black tail, a palette image
    of swatches on a grid read without the colour of its gaps. ``quantize reduce`` and
    ``batch`` given several files say it once, before them."""


class TransparentIndexWarning(PaletteFormatWarning):
    """An Adobe colour table (.act) marks an entry transparent by its index, which Aseprite
    sets to 0 in every file it writes: the entry is read with alpha 0, and ``reduce_colors``
    maps no pixel onto its colour, which its writer may have meant as a colour."""


#: Palette file extensions and what they hold.
PALETTE_FORMATS = {
    ".gpl": "GIMP palette",
    ".json": "JSON list of {hex, rgb, alpha, share}",
    ".hex": "one rrggbb (or rrggbbaa) hex colour per line",
    ".act": "Adobe colour table, 256 RGB byte triples, then the count and transparent index",
    ".pal": "JASC palette, lines JASC-PAL, 0100, the count, then R G B (or R G B A) per colour",
    ".txt": "Paint.NET palette, one aarrggbb hex colour per line (alpha first), ; comments "
            "(or GIMP's text export, #rrggbb per line)",
    ".css": "CSS custom properties, :root { --color-1: #rrggbb; ... }",
    ".ase": "Adobe Swatch Exchange (Illustrator, InDesign, Photoshop), named RGB swatches",
}


def _listed(suffixes: list[str]) -> str:
    """``suffixes`` as a sentence lists them: ``.gpl, .json or .hex``."""
    return f"{', '.join(suffixes[:-1])} or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]


#: The palette extensions as help and advice list them (``.gpl, .json, ... or .txt``).
PALETTE_FORMAT_LIST = _listed(list(PALETTE_FORMATS))
#: Images read as palettes (:func:`read_palette`, a ``palette_in``), as Lospec's downloads
#: and pixel-art editors save them: the lossless formats, which keep each colour exact
#: (a JPEG's or a lossy WebP's swatches come back as many near colours). Palettes are
#: written as images only as a swatch (:func:`swatch_png_bytes`), not by :func:`write_palette`.
PALETTE_IMAGE_FORMATS = {".png": "PNG image", ".gif": "GIF image", ".bmp": "BMP image"}
#: The most colours a palette image may have: an image of more is a picture, not a palette.
PALETTE_IMAGE_COLORS = 256
#: What a palette to map onto may be, as help lists it.
PALETTE_IN_FORMAT_LIST = (f"{PALETTE_FORMAT_LIST}, or an image of its colours: "
                          f"{_listed(list(PALETTE_IMAGE_FORMATS))}")
#: The palette formats that keep every entry's alpha as they are written here, and how
#: each writes it (.gpl is written as GIMP reads it, with no alpha, .act with one fully
#: transparent entry): the advice to keep alpha when writing names them all.
_ALPHA_AS = {".json": '"alpha"', ".hex": "rrggbbaa", ".pal": "R G B A", ".txt": "aarrggbb",
             ".css": "#rrggbbaa"}
#: How a palette file gives alpha, for advice to give a palette some: every format whose
#: entries are read with their alpha, .gpl too, as Aseprite writes it (``"alpha" in .json,
#: rrggbbaa in .hex, R G B A in .pal, aarrggbb in .txt, R G B A after a 'Channels: RGBA'
#: line in .gpl``).
PALETTE_ALPHA_HINT = ", ".join([*(f"{field} in {fmt}" for fmt, field in _ALPHA_AS.items()),
                                "R G B A after a 'Channels: RGBA' line in .gpl"])
#: The advice of a warning that a palette file's alpha is lost.
_KEEP_ALPHA = f"write {_listed(list(_ALPHA_AS))} to keep alpha"
#: The most colours an Adobe colour table holds.
_ACT_COLORS = 256
#: The colours Paint.NET reads from a palette file (it leaves out the rest).
PAINT_NET_COLORS = 96
#: What a format is called in messages about what it cannot hold.
_FORMAT_NAMES = {".gpl": "a GIMP palette (.gpl)", ".act": "an Adobe colour table (.act)",
                 ".ase": "an Adobe Swatch Exchange file (.ase)"}
#: A .hex line: ``rrggbb`` or ``rrggbbaa``, ``#`` optional, or CSS's shorthand ``#rgb`` or
#: ``#rgba`` (the ``#`` needed: a bare ``fff`` is no colour CSS writes).
_HEX_LINE = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$|^#([0-9a-fA-F]{3,4})$")
_PAINT_NET_LINE = re.compile(r"^([0-9a-fA-F]{8})$")
#: A colour written as a number in code, ``0xrrggbb`` (of 8 digits it may be ``0xAARRGGBB``,
#: alpha first, as code often writes colours, so that is refused).
_HEX_0X_LINE = re.compile(r"^0[xX]([0-9a-fA-F]{6})$")
#: A line of GIMP's "Text file" palette export: ``#rrggbb``; or CSS's shorthand ``#rgb``.
_GIMP_TEXT_LINE = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
#: The first line Paint.NET writes in a palette file (Lospec writes it without the space).
_PAINT_NET_HEADER = "; paint.net Palette File"
#: A line end of a text palette file: LF, CRLF or a lone CR (old Mac OS), as GIMP reads
#: them; not the other characters Python's ``str.splitlines`` also takes (form feed, U+0085,
#: U+2028, ...), which a colour's name may hold.
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")


def _hex_levels(match: re.Match[str]) -> list[int]:
    """The levels of the hex colour ``match`` found (its one group that matched), CSS's
    shorthand of 3 or 4 digits with each digit doubled.

    >>> _hex_levels(_HEX_LINE.match("#f80")), _hex_levels(_HEX_LINE.match("#f808"))
    ([255, 136, 0], [255, 136, 0, 136])
    >>> _hex_levels(_HEX_LINE.match("ff8000"))
    [255, 128, 0]
    """
    digits = next(group for group in match.groups() if group)
    if len(digits) in (3, 4):
        digits = "".join(digit * 2 for digit in digits)
    return list(bytes.fromhex(digits))


def _lines(text: str) -> list[str]:
    r"""The lines of a text palette file, split at its line ends alone (see ``_LINE_END``).

    >>> _lines("GIMP Palette\r\n255 0 0 page\x0cone\r0 0 0\n")
    ['GIMP Palette', '255 0 0 page\x0cone', '0 0 0']
    """
    lines = _LINE_END.split(text)
    return lines[:-1] if lines[-1] == "" else lines


#: The most characters of a line an error quotes: a minified JSON palette given another
#: format's name is one line of 30 kB for 3000 colours.
_SHOWN = 200


def _shown(line: str) -> str:
    """``line`` quoted for an error, cut at :data:`_SHOWN` characters, as a .json entry is."""
    return quoted(line) if len(line) <= _SHOWN else quoted(line[:_SHOWN]) + "..."


def _palette_format(path: Path, role: str, images: bool = False, swatch: str = "") -> str:
    """The extension of ``path``, a palette format's (or, with ``images``, a palette
    image's: :data:`PALETTE_IMAGE_FORMATS`), or raise ValueError naming ``role``; the
    refusal of an image's ends with ``swatch``, how the caller writes a swatch instead."""
    suffix = path.suffix.lower()
    if suffix in PALETTE_FORMATS or (images and suffix in PALETTE_IMAGE_FORMATS):
        return suffix
    valid = ", ".join(PALETTE_FORMATS)
    if images:
        valid += f", or an image {', '.join(PALETTE_IMAGE_FORMATS)}"
    elif suffix in PALETTE_IMAGE_FORMATS:
        raise ValueError(f"{role}={quoted(path)} names an image, and palettes are read from "
                         f"images but not written as them; expected one of {valid}{swatch}")
    raise ValueError(f"{role}={quoted(path)} has "
                     f"{extension_words(suffix, 'unknown palette')}; expected one of {valid}")


def check_palette_path(path: str | os.PathLike[str], role: str = "palette", *,
                       images: bool = False) -> Path:
    """Return ``path`` as a Path if its extension is a palette format (with ``images``, for
    a palette to read, a palette image's too), else raise ValueError.

    A folder is returned as it is: reading or writing it refuses it as a folder
    (``is a directory, expected a palette file``), which says more than that
    its name has no palette extension.

    >>> check_palette_path("pico-8.png", "palette_in", images=True).name
    'pico-8.png'
    >>> check_palette_path("pico-8.png", "palette_out")
    Traceback (most recent call last):
    ...
    ValueError: palette_out='pico-8.png' names an image, and palettes are read from images \
but not written as them; expected one of .gpl, .json, .hex, .act, .pal, .txt, .css, .ase
    """
    p = check_path(path, role)
    if not os.path.isdir(p):  # raises nothing: a name too long is no folder either
        _palette_format(p, role, images)
    return p


def palette_file_capacity(path: str | os.PathLike[str]) -> int | None:
    """The most colours a palette file named ``path`` holds: 256 for an Adobe colour
    table (.act), None (no limit) for the other formats.

    >>> palette_file_capacity("brand.act"), palette_file_capacity("brand.gpl")
    (256, None)
    """
    return _ACT_COLORS if Path(path).suffix.lower() == ".act" else None


def _formats_holding(colors: int) -> str:
    """The palette formats that hold ``colors`` entries, as advice lists them
    (``.gpl, .json, .hex, .pal or .txt``)."""
    return _listed([f for f in PALETTE_FORMATS
                    if colors <= (palette_file_capacity(f"p{f}") or colors)])


def check_palette_file_holds(path: str | os.PathLike[str], colors: int, what: str,
                             role: str = "palette_out") -> None:
    """Refuse ``colors`` entries for a palette file named ``path`` whose format holds fewer
    (an Adobe colour table, 256); ``what`` says what gives them ("n_colors=300 asks for
    more"), ``role`` names ``path`` in the message.

    >>> check_palette_file_holds("p.act", 300, "n_colors=300 asks for more")
    Traceback (most recent call last):
    ...
    ValueError: palette_out='p.act' is an Adobe colour table (.act), of at most 256 colours, \
but n_colors=300 asks for more; write the palette as .gpl, .json, .hex, .pal, .txt, .css or .ase
    """
    most = palette_file_capacity(path)
    if most is not None and colors > most:
        kind = _FORMAT_NAMES[Path(path).suffix.lower()]
        raise ValueError(f"{role}={os.fspath(path)!r} is {kind}, of at most {most} colours, "
                         f"but {what}; write the palette as {_formats_holding(colors)}")


def transparent_index_note(path: str | os.PathLike[str]) -> str | None:
    """What marks an entry of the palette file ``path`` fully transparent apart from its
    colour, for a warning that the colour is not mapped onto; None for a format that
    gives alpha with each colour, where an entry written with alpha 0 is meant transparent.

    Only an Adobe colour table (.act) marks one so: its transparent index, which
    Aseprite sets to 0 in every .act file it writes, so the colour may be one the
    user meant to keep.

    >>> transparent_index_note("brand.json") is None
    True
    >>> transparent_index_note("brand.act")
    "an Adobe colour table's transparent index, which Aseprite sets to 0 in every file it writes"
    """
    if Path(path).suffix.lower() != ".act":
        return None
    return ("an Adobe colour table's transparent index, which Aseprite sets to 0 in every "
            "file it writes")


def states_count(path: str | os.PathLike[str]) -> bool:
    """Whether the palette file ``path`` states how many colours it holds, so that every
    entry it gives is meant, a run of one colour at its end too (not the padding of a table
    filled to 256: :func:`~quantize.reduce.options.without_padding_repeats`): a JASC .pal,
    by its third line, and an Adobe .act of 772 bytes whose count is set (1 to 256). The
    two bytes of an .act's count are read; a file that cannot be read states none (reading
    its palette refuses it).

    >>> states_count("brand.pal"), states_count("brand.hex")
    (True, False)
    """
    suffix = Path(path).suffix.lower()
    if suffix != ".act":
        return suffix == ".pal"
    try:
        with open(path, "rb") as f:
            data = f.read(_ACT_COLORS * 3 + 5)
    except OSError:
        return False
    if len(data) != _ACT_COLORS * 3 + 4:
        return False
    return 1 <= struct.unpack(">H", data[-4:-2])[0] <= _ACT_COLORS


def is_clear_image_palette(palette: np.ndarray) -> bool:
    """Whether a ``(k, 4)`` palette read from a file is the palette of an image whose every
    pixel is fully transparent, as :func:`write_palette` writes it: its transparent entry
    alone, black with alpha 0. An Adobe colour table (.act) of it marks that entry
    transparent, as Aseprite marks index 0 of every file, but it has no colour to lose: no
    warning is due (mapped onto, only an image without visible pixels is taken).

    >>> is_clear_image_palette(np.array([[0, 0, 0, 0]], np.uint8))
    True
    >>> is_clear_image_palette(np.array([[0, 0, 0, 0], [9, 9, 9, 255]], np.uint8))
    False
    """
    return palette.shape == (1, 4) and not palette.any()


#: How a Python caller writes a palette as an image (``quantize palette -o swatch.png``
#: writes one), said when :func:`write_palette` is given an image's name.
_SWATCH_ADVICE = ("; for a PNG of its swatches, write the bytes of "
                  "quantize.palette_files.swatch_png_bytes(palette)")


def write_palette(path: str | os.PathLike[str], palette: np.ndarray,
                  shares: np.ndarray | None = None, *, name: str = "quantize",
                  names: Sequence[str | None] | None = None, columns: int = 8) -> None:
    """Write a ``(k, 3)`` or ``(k, 4)`` uint8 ``palette`` to ``path`` (.gpl, .json, .hex,
    .act, .pal, .txt, .css or .ase): the bytes of :func:`palette_file_bytes`.

    Written atomically: an existing file of that name is replaced whole (there
    is no ``force`` here, while ``reduce_file`` refuses an existing
    ``palette_out`` without ``force``). It warns and raises as :func:`palette_file_bytes`
    does: an image's name (``swatch.png``) is refused, as palettes are not written as
    images here; :func:`swatch_png_bytes` gives the PNG of swatches
    ``quantize palette -o swatch.png`` writes.

    Raises
    ------
    OutputError
        Also if the file cannot be written (a missing folder).
    """
    data = palette_file_bytes(path, palette, shares, name=name, names=names, columns=columns)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def palette_file_bytes(path: str | os.PathLike[str], palette: np.ndarray,
                       shares: np.ndarray | None = None, *, name: str = "quantize",
                       gpl_alpha: bool = False,
                       names: Sequence[str | None] | None = None, columns: int = 8) -> bytes:
    """The bytes :func:`write_palette` writes to ``path``, whose extension (.gpl, .json,
    .hex, .act, .pal, .txt, .css or .ase) names the format; nothing is written. For a palette file
    written with another file, all or neither (:func:`quantize.io.write_together`).

    A fourth column is alpha; it is
    written (.json ``alpha``, .hex ``rrggbbaa``, .pal ``R G B A``, .act its
    first entry of alpha 0 as the transparent index) when some entry is not
    opaque; a Paint.NET .txt file gives every entry its alpha (``aarrggbb``). ``shares``
    (k,), the fraction of pixels of each entry, goes into the .json file (and
    into the .gpl entry names); it defaults to unknown (null). A .gpl or .txt
    file's name is one line: line breaks in ``name`` become spaces, other control
    characters (ESC, a tab) are written escaped (``\\x1b``, ``\\t``), as the
    command's lines show them; bytes of a file name that are not UTF-8 are
    written ``\\xXX``, as every output shows them. A .gpl file is written as GIMP reads
    it, ``R G B name`` per entry, every entry at its index, a translucent or fully
    transparent one's alpha noted at the end of its name (``#000000 0.00% alpha 0``),
    which :func:`read_palette` reads back as its alpha; with ``gpl_alpha`` (a palette file
    beside an image, given back with ``palette_in``), without the warning that GIMP
    leaves that alpha out. ``names`` (k str or None), each entry's name, as
    :func:`read_palette_names` reads them, goes into the .json file (each colour's
    ``name``, before its ``share``), into the .gpl entry names, before the hex
    (``10 70 160	Reflex Blue #0a46a0 20.89%``), as one line, into the .css property
    names (``--reflex-blue``) and the .ase swatch names; the other formats hold none.
    ``columns`` (0 to 256, default 8) is a .gpl file's ``Columns:`` line, the columns GIMP
    shows its swatches in (a palette read from a .gpl file gives its own:
    :class:`PaletteNames`).

    Warns
    -----
    AlphaLossWarning
        When a format without alpha (.gpl) is given entries of alpha below 255,
        or .act entries of alpha between 0 and 255 (or a second entry of alpha
        0), which it holds opaque.
    PaletteFormatWarning
        When a Paint.NET .txt file is given more than :data:`PAINT_NET_COLORS`
        (96) colours, the most Paint.NET reads: every colour is written.

    Raises
    ------
    ValueError, TypeError
        For an unknown extension, a palette that is not ``(k, 3)`` or
        ``(k, 4)`` integers 0..255 with k >= 1 (which :func:`read_palette`
        could not read back), more than 256 colours for .act, ``shares``
        that are not k numbers in [0, 1], a ``name`` that is not a str, or ``names``
        that are not k str or None.
    OutputError
        If ``path`` is a directory.
    """
    p = check_path(path, "path")
    if os.path.isdir(p):  # whatever its name ends in: "." has no palette extension
        raise OutputError("is a directory, expected a palette file name", path=p)
    fmt = _palette_format(p, "path", swatch=_SWATCH_ADVICE)
    pal = check_palette(palette)
    if pal.shape[1] == 4 and (pal[:, 3] == 255).all():
        pal = pal[:, :3]
    share = _check_shares(shares, len(pal))
    labels = _check_names(names, len(pal))
    columns = check_int(columns, "columns", minimum=0, maximum=256)
    if not isinstance(name, str):  # None was written as the palette's name "None"
        raise TypeError(f"name={name!r} should be a str, the palette's name, got "
                        f"{type(name).__name__}")
    name = printable(" ".join(str(name).splitlines()))  # a file name's stem, maybe not UTF-8
    if fmt in (".gpl", ".txt"):  # plain text, shown by cat or an editor: ESC would reach
        name = printable_line(name)  # the terminal
    if fmt == ".act" and len(pal) > _ACT_COLORS:
        raise ValueError(f"path={str(p)!r}: {_FORMAT_NAMES[fmt]} holds at most "
                         f"{_ACT_COLORS} colours, got a palette of {len(pal)}; write "
                         f"{_formats_holding(len(pal))}")
    gpl_alpha = check_bool(gpl_alpha, "gpl_alpha") and _not_opaque(pal) > 0
    if fmt == ".gpl" and not gpl_alpha:
        _warn_alpha_dropped(p, _not_opaque(pal), f"{_FORMAT_NAMES[fmt]} is written as GIMP "
                            "reads it, without alpha", named=True)
    if fmt == ".ase":
        _warn_alpha_dropped(p, _not_opaque(pal), f"{_FORMAT_NAMES[fmt]} holds no alpha")
        return _ase_bytes(pal, name, labels)
    if fmt == ".act":
        _warn_alpha_dropped(p, _not_opaque(pal) - (_act_transparent(pal) is not None),
                            f"{_FORMAT_NAMES[fmt]} holds no alpha but one fully "
                            "transparent entry")
    if fmt == ".txt" and len(pal) > PAINT_NET_COLORS:
        warn_caller(f"{p.name}: Paint.NET reads the first {PAINT_NET_COLORS} colours of a "
                    f"palette file, and this one has {len(pal)}: all are written, but "
                    f"Paint.NET leaves out the last {len(pal) - PAINT_NET_COLORS}",
                    PaletteFormatWarning)
    if fmt in (".act", ".pal", ".txt"):  # the bytes as written on any system (CRLF in the
        # Windows tools' text formats)
        return (_act_bytes(pal) if fmt == ".act" else _pal_text(pal).encode("ascii")
                if fmt == ".pal" else _paint_net_text(pal, name).encode("utf-8"))
    if fmt == ".gpl":
        return _gpl_text(pal, share, name, labels, columns).replace(
            "\n", os.linesep).encode("utf-8")
    text = {".json": _json_text, ".hex": _hex_text, ".css": _css_text}[fmt](
        pal, share, name, labels)
    return text.replace("\n", os.linesep).encode("utf-8")  # as a file opened as text writes it


def _not_opaque(pal: np.ndarray) -> int:
    """The entries of ``pal`` of alpha below 255."""
    return int(np.count_nonzero(pal[:, 3] < 255)) if pal.shape[1] == 4 else 0


def _warn_alpha_dropped(p: Path, n: int, why: str, named: bool = False) -> None:
    """Warn that ``n`` entries of alpha below 255 are written opaque: ``why`` says what
    the format lacks; ``named``: their alpha is noted in their names."""
    if n:
        entries = "1 entry of alpha below 255 is" if n == 1 else \
            f"{n} entries of alpha below 255 are"
        noted = "" if not named else \
            " (its alpha noted in its name)" if n == 1 else " (their alpha noted in their names)"
        warn_caller(AlphaLossWarning(f"{p.name}: {why}, so {entries} written opaque{noted}",
                                     advice=_KEEP_ALPHA))


def _check_shares(shares: Any, k: int) -> list[float | None]:
    """``shares`` as k floats in [0, 1] (None: k unknowns), or raise naming them.

    A NaN would be written into the .json file as ``NaN``, which is not JSON.
    """
    if shares is None:
        return [None] * k
    arr = np.ravel(shares)
    if (arr.dtype == bool or not np.issubdtype(arr.dtype, np.number)
            or np.issubdtype(arr.dtype, np.complexfloating)):
        raise TypeError(f"shares should be numbers, the fraction of the pixels of each entry; "
                        f"got dtype {arr.dtype}")
    if arr.size != k:
        raise ValueError(f"shares should hold one value per palette entry ({k}), "
                         f"got {arr.size}")
    arr = arr.astype(np.float64)
    bad = ~((arr >= 0) & (arr <= 1))  # NaN is neither
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"shares[{i}]={arr[i]} should be a fraction in [0, 1]")
    return arr.tolist()


def _check_names(names: Any, k: int) -> list[str | None] | None:
    """``names`` as k entry names (None: an entry without one), each one line, its
    control characters escaped (:func:`~quantize.names.printable_line`); None for None.
    Raise naming them when they are not k str or None."""
    if names is None:
        return None
    if isinstance(names, str | bytes) or not isinstance(names, Sequence) or \
            not all(n is None or isinstance(n, str) for n in names):
        raise TypeError(f"names should be a list of str or None, each entry's name, got "
                        f"{type(names).__name__}")
    if len(names) != k:
        raise ValueError(f"names should hold one name per palette entry ({k}), "
                         f"got {len(names)}")
    return [None if n is None else printable_line(" ".join(n.split())) or None
            for n in names]


def _hex(c: np.ndarray) -> str:
    return "".join(f"{int(v):02x}" for v in c)


def _gpl_text(pal: np.ndarray, share: list, name: str, names: list | None,
              columns: int = 8) -> str:
    lines = ["GIMP Palette", f"Name: {name}", f"Columns: {columns}", "#"]
    for c, s, entry in zip(pal, share, names or [None] * len(pal), strict=True):
        label = f"#{_hex(c[:3])}" + ("" if s is None else f" {100 * s:.2f}%")
        if entry is not None:
            label = f"{entry} {label}"
        if len(c) == 4 and c[3] < 255:
            label += f" alpha {int(c[3])}"
        lines.append(f"{int(c[0]):3d} {int(c[1]):3d} {int(c[2]):3d}\t{label}")
    return "\n".join(lines) + "\n"


def _json_text(pal: np.ndarray, share: list, name: str, names: list | None) -> str:
    import json  # here, as in the other JSON functions: most calls read and write no palette

    entries = []
    for i, (c, s) in enumerate(zip(pal, share, strict=True)):
        entry: dict = {"hex": f"#{_hex(c[:3])}", "rgb": [int(v) for v in c[:3]]}
        if len(c) == 4:
            entry["alpha"] = int(c[3])
        if names is not None:
            entry["name"] = names[i]
        entry["share"] = None if s is None else round(s, 6)
        entries.append(entry)
    return json.dumps({"name": name, "colors": entries}, indent=1) + "\n"


def _hex_text(pal: np.ndarray, share: list, name: str, names: list | None) -> str:
    return "".join(f"{_hex(c)}\n" for c in pal)


def _css_text(pal: np.ndarray, share: list, name: str, names: list | None) -> str:
    """CSS custom properties on ``:root``, in palette order, each named after its entry's
    name made a CSS identifier (:func:`_css_property_names`), else ``--color-N`` (N its
    place from 1), with a comment of its share when known, and of its name as given when
    the property's name is not that; the palette's ``name`` in a first comment.

    >>> print(_css_text(np.array([[200, 30, 40], [0, 0, 0]]), [0.75, None], "logo",
    ...                 ["Warm red", None]), end="")
    /* logo: palette by quantize */
    :root {
      --warm-red: #c81e28; /* Warm red, 75.00% */
      --color-2: #000000;
    }
    """
    lines = [f"/* {_css_comment(name)}: palette by quantize */", ":root {"]
    properties = _css_property_names(names or [None] * len(pal))
    for i, (c, s, prop) in enumerate(zip(pal, share, properties, strict=True)):
        given = None if names is None else names[i]
        said = [] if given is None or given == prop else [_css_comment(given)]
        said += [] if s is None else [f"{100 * s:.2f}%"]
        comment = f" /* {', '.join(said)} */" if said else ""
        lines.append(f"  --{prop}: #{_hex(c)};{comment}")
    return "\n".join([*lines, "}"]) + "\n"


def _css_property_names(names: Sequence[str | None]) -> list[str]:
    """A CSS custom property name (without ``--``) for each entry of the given ``names``:
    the name in lower case, each run of characters other than letters, digits, ``-`` and
    ``_`` one ``-`` (``Error red`` gives ``error-red``); ``color-N`` (N the entry's place
    from 1) for an entry without a name, or whose name holds none of those; ``-2``, ``-3``,
    ... after a name taken before.

    >>> _css_property_names(["Error red", None, "error/red", "--brand", "color-2"])
    ['error-red', 'color-2', 'error-red-2', 'brand', 'color-2-2']
    """
    taken: set[str] = set()
    out = []
    for i, given in enumerate(names):
        base = "" if given is None else re.sub(r"[^\w-]+", "-", given.lower()).strip("-")
        base = base or f"color-{i + 1}"
        prop, n = base, 1
        while prop in taken:
            n += 1
            prop = f"{base}-{n}"
        taken.add(prop)
        out.append(prop)
    return out


def _css_palette_name(text: str) -> str | None:
    r"""The palette name of a .css file :func:`_css_text` wrote, from its first comment
    (``/* logo: palette by quantize */``); None for another file.

    >>> _css_palette_name("/* logo: palette by quantize */\n:root {}")
    'logo'
    """
    found = re.match(r"^\s*/\*\s*(.*?): palette by quantize \*/", text)
    return found.group(1).strip() or None if found else None


def _css_comment(text: str) -> str:
    """``text`` as a CSS comment holds it: one line, without the ``*/`` that would end it.

    >>> _css_comment("a */ b")
    'a * / b'
    """
    return printable_line(text).replace("*/", "* /")


def _paint_net_text(pal: np.ndarray, name: str) -> str:
    """A Paint.NET palette: its header comments, then ``AARRGGBB`` per colour (opaque when
    ``pal`` has no alpha), with Windows line ends."""
    lines = [_PAINT_NET_HEADER, f"; Palette Name: {name}", f"; Colors: {len(pal)}"]
    alpha = pal[:, 3] if pal.shape[1] == 4 else np.full(len(pal), 255)
    lines += [f"{int(a):02X}{_hex(c[:3]).upper()}" for c, a in zip(pal, alpha, strict=True)]
    return "\r\n".join(lines) + "\r\n"


def _pal_text(pal: np.ndarray) -> str:
    """A JASC palette, with Windows line ends as Paint Shop Pro writes them; a fourth
    value per colour when ``pal`` has alpha (as Aseprite writes it)."""
    lines = ["JASC-PAL", "0100", str(len(pal))]
    lines += [" ".join(str(int(v)) for v in c) for c in pal]
    return "\r\n".join(lines) + "\r\n"


def _act_transparent(pal: np.ndarray) -> int | None:
    """The index of the first entry of alpha 0 (an .act file's transparent index), or None."""
    if pal.shape[1] < 4 or not (pal[:, 3] == 0).any():
        return None
    return int(np.flatnonzero(pal[:, 3] == 0)[0])


def _act_bytes(pal: np.ndarray) -> bytes:
    """An Adobe colour table of 772 bytes: 256 RGB triples (unused ones zero), the count and
    the transparent index (0xffff: none), both big-endian."""
    table = np.zeros((_ACT_COLORS, 3), np.uint8)
    table[:len(pal)] = pal[:, :3]
    transparent = _act_transparent(pal)
    return table.tobytes() + struct.pack(">HH", len(pal),
                                         0xFFFF if transparent is None else transparent)


#: The most bytes read from a palette file: 700,000 colours as the JSON this module
#: writes (9 MB per 100,000), and no more of a device (``/dev/zero``) or of a file that
#: is not a palette.
_MAX_BYTES = 64 << 20


def read_palette(path: str | os.PathLike[str], *,
                 warn_transparent_index: bool = True) -> np.ndarray:
    """Read a palette file (.gpl, .json, .hex, .act, .pal, .txt, .css or .ase) into a uint8
    array, in file order.

    ``(k, 3)``, or ``(k, 4)`` with straight alpha when some entry in the file has
    alpha below 255 (entries given without alpha are opaque); a file whose every
    alpha is 255 (``rrggbbff`` lines, ``R G B 255``) reads as ``(k, 3)``, as
    :func:`write_palette` writes such a palette.

    ``warn_transparent_index=False`` leaves out the :class:`TransparentIndexWarning`
    (below), for a caller that says it otherwise once it has mapped onto the palette,
    as ``quantize reduce --palette-in`` does.

    Warns
    -----
    PaletteReadWarning
        When a .hex file looks like a Paint.NET palette without its header: every
        line 8 digits beginning ``ff``, their last two digits not all alike (read
        as ``rrggbbaa``, each entry would be red 255 with its blue as alpha) or all
        ``00`` (every entry would be fully transparent).
        When an .act file of 768 bytes (256 colours, no count), or of 772 whose count
        is not set, ends in two or more black entries: they are a smaller palette's
        unused entries, zeroed, and are left out (a palette of 4 greens gets no black);
        the warning says how many, and, when the entries kept draw no black, how to
        keep a black that is a colour of the palette (a 772-byte table, whose count
        includes it).
        When a still palette image without a colour table is of swatches on a grid:
        the colour of the gaps between them (one that draws whole rows and whole
        columns and nothing else, cutting the image into cells of one colour each, and
        fills no 3 x 3 square, where two or more other colours fill one) is not read as
        a colour of the palette. An indexed image gives its table, every entry at its
        index.
    TransparentIndexWarning
        When an .act file marks an entry transparent (its transparent index, which
        Aseprite sets to 0 in every file it writes): that entry is read with alpha 0,
        so ``reduce_colors(image, palette=...)`` maps no pixel onto its colour (as
        ``quantize reduce --palette-in`` does, with a warning); give it alpha 255 to
        map onto it.

    Raises
    ------
    ValueError
        If the extension is not a palette format.
    ImageReadError
        If the file is missing or unreadable, holds no colours, or a line or
        entry is malformed (the message names the file and the line or entry;
        for .act, the size or the bytes at fault), a .json colour's ``hex`` and
        ``rgb`` among them when they are not the same colour, or its ``alpha``, the
        alpha of an 8-digit ``hex`` and of a 4-value ``rgb`` when they differ.
    """
    p, fmt, warn_transparent_index = _palette_source(path, warn_transparent_index)
    if fmt in PALETTE_IMAGE_FORMATS:
        return _read_palette_image(p)
    data = _palette_bytes(p)
    if fmt == ".act" and data:
        return _parse_act(data, p, warn_transparent_index)
    if fmt == ".ase" and data:
        return _as_palette(_parse_ase(data, p)[0], p)
    return _colors_of(_palette_text(data, fmt, p), fmt, p)


def read_named_palette(path: str | os.PathLike[str], *, warn_transparent_index: bool = True
                       ) -> tuple[np.ndarray, PaletteNames]:
    r"""The colours of the palette file ``path`` (:func:`read_palette`) and the names it
    gives it and its entries (:func:`read_palette_names`), from one read of the file.

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> p = Path(folder.name) / "inks.gpl"
    >>> _ = p.write_text("GIMP Palette\nName: My inks\n200 30 40 Warm red\n0 0 0\n")
    >>> colors, names = read_named_palette(p)
    >>> colors.tolist()
    [[200, 30, 40], [0, 0, 0]]
    >>> names
    PaletteNames(name='My inks', entries=('Warm red', None), columns=None)
    >>> folder.cleanup()

    Warns
    -----
    PaletteReadWarning, TransparentIndexWarning
        As :func:`read_palette` does.

    Raises
    ------
    ValueError, ImageReadError
        As :func:`read_palette` does.
    """
    p, fmt, warn_transparent_index = _palette_source(path, warn_transparent_index)
    if fmt in PALETTE_IMAGE_FORMATS:
        return _read_palette_image(p), PaletteNames(None, ())
    data = _palette_bytes(p)
    if fmt == ".act" and data:
        return _parse_act(data, p, warn_transparent_index), PaletteNames(None, ())
    if fmt == ".ase" and data:
        colors, names = _parse_ase(data, p)
        return _as_palette(colors, p), names
    text = _palette_text(data, fmt, p)
    colors = _colors_of(text, fmt, p)  # a bad file is named as read_palette names it
    return colors, _names_of(text, fmt, p) if fmt in _NAMED_FORMATS else PaletteNames(None, ())


def _palette_source(path: str | os.PathLike[str], warn_transparent_index: Any
                    ) -> tuple[Path, str, bool]:
    """The palette file ``path`` as a Path, its format (an extension of
    :data:`PALETTE_FORMATS` or :data:`PALETTE_IMAGE_FORMATS`) and ``warn_transparent_index``,
    checked; a folder refused."""
    p = check_path(path, "path")
    warn_transparent_index = check_bool(warn_transparent_index, "warn_transparent_index")
    if os.path.isdir(p):  # whatever its name ends in
        raise ImageReadError("is a directory, expected a palette file", path=p)
    return p, _palette_format(p, "path", images=True), warn_transparent_index


def _colors_of(text: str, fmt: str, p: Path) -> np.ndarray:
    """The colours of the text palette file ``p`` of the format ``fmt``, its ``text``
    (:func:`read_palette`)."""
    parse = {".gpl": _parse_gpl, ".json": _parse_json, ".hex": _parse_hex, ".pal": _parse_pal,
             ".txt": _parse_paint_net, ".css": _parse_css}
    return _as_palette(parse[fmt](text, p), p)


def _as_palette(colors: list[list[int]], p: Path) -> np.ndarray:
    """The levels ``colors`` read from the palette file ``p`` as a uint8 array, ``(k, 3)``
    when every entry is opaque; refused when there are none."""
    if not colors:
        raise ImageReadError("palette file holds no colours", path=p)
    if all(len(c) == 3 or c[3] == 255 for c in colors):
        return np.asarray([c[:3] for c in colors], dtype=np.uint8).reshape(-1, 3)
    return np.asarray([c + [255] * (4 - len(c)) for c in colors], dtype=np.uint8)


#: The palette formats that name a palette and its entries (:func:`read_palette_names`).
_NAMED_FORMATS = (".gpl", ".json", ".txt", ".css")


class PaletteNames(NamedTuple):
    """The names a palette file gives (:func:`read_palette_names`): ``name``, the
    palette's own (None: none given), and ``entries``, each entry's name in file order
    (None: that entry has none), or ``()`` when no entry has one; and ``columns``, the
    columns a .gpl file's ``Columns:`` line asks its swatches shown in (None: none given),
    which :func:`write_palette` keeps when the palette is written again as .gpl."""

    name: str | None
    entries: tuple[str | None, ...]
    columns: int | None = None


def read_palette_names(path: str | os.PathLike[str]) -> PaletteNames:
    r"""The names of the palette file ``path`` and of its entries, as
    :func:`read_palette` reads its colours, entry i of one the name of entry i of the
    other: a .gpl file's ``Name:`` line and the name after each ``R G B`` (less the hex,
    share and alpha :func:`write_palette` notes there), a .json file's ``name`` and each
    colour's ``name``, a .css file's property names (without ``--``; ``color-N``, as
    :func:`write_palette` numbers an entry without a name, gives None) and the palette name
    of its first comment as written here, a Paint.NET .txt file's ``; Palette Name:``
    comment. The other
    formats, and palette images, hold no names: ``PaletteNames(None, ())``.

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> p = Path(folder.name) / "inks.gpl"
    >>> _ = p.write_text("GIMP Palette\nName: My inks\nColumns: 4\n200 30 40 Warm red\n0 0 0\n")
    >>> read_palette_names(p)
    PaletteNames(name='My inks', entries=('Warm red', None), columns=4)
    >>> folder.cleanup()

    Raises
    ------
    ValueError, ImageReadError
        As :func:`read_palette` does.
    """
    p = check_path(path, "path")
    fmt = _palette_format(p, "path", images=True)
    if fmt == ".ase" and not os.path.isdir(p):
        return _parse_ase(_palette_bytes(p), p)[1]
    if fmt not in _NAMED_FORMATS or os.path.isdir(p):
        return PaletteNames(None, ())
    return _names_of(_palette_text(_palette_bytes(p), fmt, p), fmt, p)


def _names_of(text: str, fmt: str, p: Path) -> PaletteNames:
    """The names the palette file ``p`` of the format ``fmt`` (of :data:`_NAMED_FORMATS`),
    its ``text``, gives (:func:`read_palette_names`)."""
    entries: list[str | None] = []
    columns = None
    if fmt == ".gpl":
        _parse_gpl(text, p, entries)
        name = _gpl_palette_name(text)
        columns = _gpl_columns(text)
    elif fmt == ".json":
        name = _json_names(text, p, entries)
    elif fmt == ".css":
        _parse_css(text, p, entries)
        name = _css_palette_name(text)
    else:
        name = _paint_net_palette_name(text)
    return PaletteNames(name, tuple(entries) if any(entries) else (), columns)


def _gpl_columns(text: str) -> int | None:
    r"""The number a .gpl file's ``Columns:`` line gives (0 to 256, as GIMP takes it), None
    without one (or another value, which GIMP leaves out).

    >>> _gpl_columns("GIMP Palette\nName: inks\nColumns: 4\n0 0 0\n")
    4
    """
    for line in _lines(text)[1:]:
        found = re.match(r"^\s*Columns\s*:\s*(\d{1,3})\s*$", line)
        if found is not None:
            return int(found.group(1)) if int(found.group(1)) <= 256 else None
    return None


def _palette_bytes(p: Path) -> bytes:
    """The bytes of the palette file ``p`` (at most :data:`_MAX_BYTES`), or raise
    ImageReadError naming it."""
    try:
        with open(p, "rb") as f:  # a device or a runaway file is not read to its end
            data = f.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ImageReadError("no such palette file", path=p) from None
    except IsADirectoryError:
        raise ImageReadError("is a directory, expected a palette file", path=p) from None
    except OSError as exc:
        raise ImageReadError(f"cannot read palette file ({exc.strerror or exc})",
                             path=p) from None
    if len(data) > _MAX_BYTES:
        raise ImageReadError(f"larger than {_MAX_BYTES >> 20} MiB; expected a palette file "
                             "(100,000 colours take 0.7 MB as .hex, 9 MB as .json)", path=p)
    return data


def _palette_text(data: bytes, fmt: str, p: Path) -> str:
    """The text of the palette file ``p`` of the text format ``fmt``, its bytes ``data``
    (those of a .gpl file that are not UTF-8 as lone surrogates), or raise ImageReadError:
    a RIFF .pal, UTF-16, bytes that are not UTF-8, or nothing but blanks."""
    if fmt == ".pal" and data.startswith(b"RIFF"):
        raise ImageReadError("a Microsoft RIFF palette, not a JASC one; expected a .pal file "
                             "whose first line is 'JASC-PAL' (as Paint Shop Pro, Aseprite and "
                             "Lospec write)", path=p)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # as Notepad saves "Unicode"
        raise ImageReadError(f"line 1: saved as UTF-16 (it begins with UTF-16's byte order "
                             f"mark, {data[:2].hex(' ')}); expected a palette file saved as "
                             "UTF-8", path=p)
    try:
        text = data.decode("utf-8-sig")  # a BOM, as Windows editors write, is skipped
    except UnicodeDecodeError as exc:  # exc.object: the bytes after any BOM
        if fmt != ".gpl":
            line = len(_LINE_END_BYTES.split(exc.object[:exc.start]))
            raise _not_utf8(line, exc.object[exc.start], p) from None
        # GIMP reads a palette's names in any encoding (as Latin-1 palettes of older tools
        # have them): the bytes that are not UTF-8 are kept for _parse_gpl, which refuses
        # them only where a name or a comment cannot be.
        text = data.decode("utf-8-sig", "surrogateescape")
    if not text.strip():
        raise ImageReadError(f"palette file is empty; expected a {fmt} palette: "
                             f"{PALETTE_FORMATS[fmt]}", path=p)
    return text


def _read_palette_image(p: Path) -> np.ndarray:
    """The palette an image file gives (:func:`read_palette`), read as quantize reads its
    inputs (:func:`~quantize.io.open_input`): a still indexed image's colour table, every
    entry at its index with its alpha, those no pixel takes too (as a mode "P" PIL image
    given as a palette is read), but a padding of one colour repeated at its end
    (:func:`_without_padding`); else its distinct colours as they first appear (row by
    row), its fully transparent pixels one entry, without the colour of the gaps of a
    grid of swatches (:func:`_without_grid_lines`). A GIF animation whose frames all take
    their colours from its global colour table gives the colours of all its frames, as
    drawn, in the order of that table (:func:`_gif_animation_colors`). Refused: any other
    animation, an image of more than :data:`PALETTE_IMAGE_COLORS` colours, and a file that
    is text (a palette file given an image's name)."""
    try:
        with open_input(p) as source:
            if source.n_frames > 1:
                colors, table = _gif_animation_colors(source)
            else:
                loaded = source.load()
                colors = _index_table(source.image) if loaded.mode == "P" else None
                if colors is None:
                    colors = _without_grid_lines(_first_colors(loaded.rgb, loaded.alpha),
                                                 loaded.rgb, loaded.alpha, p)
                else:
                    colors = _without_padding(colors, np.asarray(source.image))
                table = None  # the table itself, not an order of the colours drawn
    except ImageReadError as exc:
        if _is_text(p):
            raise ImageReadError(f"{exc.reason}; it holds text, as a palette file does: name "
                                 f"it by its format ({PALETTE_FORMAT_LIST})", path=p) from None
        raise
    if colors.shape[0] > PALETTE_IMAGE_COLORS:
        raise InputParameterError(f"has {colors.shape[0]:,} colours; a palette image may have "
                                  f"at most {PALETTE_IMAGE_COLORS}", path=p)
    if table is not None:
        colors = colors[_table_order(colors, table)]
    return colors if (colors[:, 3] < 255).any() else colors[:, :3].copy()


def _without_grid_lines(colors: np.ndarray, rgb: np.ndarray, alpha: np.ndarray | None,
                        p: Path) -> np.ndarray:
    """``colors`` (``(k, 4)``, a palette image's distinct colours, not an indexed image's
    table) less the colour of the lines between its swatches, with a
    :class:`PaletteReadWarning` naming it: a screenshot of swatches on a grid, its gaps 1 or
    2 pixels wide, gave the gap colour as an entry (the first, moving every other by one).
    A gap colour (:func:`_grid_gap_codes`) draws lines across the whole image in both
    directions, and nothing else, cutting it into cells of one colour each; it fills no
    3 x 3 square, and two or more other colours do (swatches). A drawing's line in one
    direction (a sprite's horizon), a 1-pixel strip and swatches without gaps lose nothing."""
    codes = _pixel_codes(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)
                                    if alpha is None else alpha]))
    gaps = _grid_gap_codes(codes)
    if gaps.size == 0:
        return colors
    kept = ~np.isin(_pixel_codes(colors), gaps)
    shown = ", ".join(entry_hex(c) for c in colors[~kept])
    what = "colour" if (~kept).sum() == 1 else "colours"
    gives = int(kept.sum())
    warn_caller(f"{p.name}: {shown} draws whole rows or columns of the image but no swatch "
                f"(not one 3 x 3 square), as the gaps between swatches on a grid do: not read "
                f"as a {what} of the palette, which has {gives} colour"
                f"{'' if gives == 1 else 's'}", PaletteReadWarning)
    return colors[kept]


def _grid_gap_codes(codes: np.ndarray) -> np.ndarray:
    """The codes of the gap colours of the ``(H, W)`` image ``codes``, when it is a grid of
    swatches: each fills at least one whole row and one whole column, every pixel of it
    lies on such a line (:func:`_lines_alone`), the lines cut the image into cells of one
    colour each (:func:`_cells_of_one_colour`), and it fills no 3 x 3 square, where two or
    more other colours do (:func:`_square_codes`). None otherwise."""
    squares = _square_codes(codes)
    gaps = np.array([code for code in np.setdiff1d(_line_codes(codes), squares)
                     if _lines_alone(codes == code)
                     and _cells_of_one_colour(codes, codes == code)], np.int64)
    if gaps.size == 0 or np.setdiff1d(squares, gaps).size < 2:
        return np.zeros(0, np.int64)
    return gaps


def _lines_alone(mask: np.ndarray) -> bool:
    """Whether the ``(H, W)`` bool ``mask`` fills at least one whole row and one whole
    column, and is nothing but whole rows and whole columns."""
    rows, cols = mask.all(axis=1), mask.all(axis=0)
    return bool(rows.any() and cols.any() and not (mask & ~rows[:, None] & ~cols).any())


def _cells_of_one_colour(codes: np.ndarray, mask: np.ndarray) -> bool:
    """Whether each cell that the whole rows and columns of the ``(H, W)`` bool ``mask``
    cut the image ``codes`` into is of one colour: two pixels side by side, neither on a
    line, are of one."""
    inner = ~mask.all(axis=1)[:, None] & ~mask.all(axis=0)
    across = inner[:, :-1] & inner[:, 1:]
    down = inner[:-1] & inner[1:]
    return bool((codes[:, :-1] == codes[:, 1:])[across].all()
                and (codes[:-1] == codes[1:])[down].all())


def entry_hex(entry: np.ndarray) -> str:
    """A palette entry ``(3,)`` or ``(4,)`` of levels 0-255 as warnings show it:
    ``#rrggbb``, or ``#rrggbbaa`` when translucent.

    >>> entry_hex(np.array([255, 128, 0, 255])), entry_hex(np.array([0, 0, 0, 0]))
    ('#ff8000', '#00000000')
    """
    entry = np.asarray(entry, dtype=np.uint8)
    return "#" + (entry if entry.shape[0] == 3 or entry[3] < 255 else entry[:3]).tobytes().hex()


def _line_codes(codes: np.ndarray) -> np.ndarray:
    """The codes of the ``(H, W)`` image's whole rows and whole columns of one colour."""
    rows = codes[(codes == codes[:, :1]).all(axis=1), 0]
    cols = codes[0, (codes == codes[:1, :]).all(axis=0)]
    return np.unique(np.concatenate([rows, cols]))


def _square_codes(codes: np.ndarray) -> np.ndarray:
    """The codes of the colours of the ``(H, W)`` image that fill some 3 x 3 square."""
    if min(codes.shape) < 3:
        return np.zeros(0, codes.dtype)
    same = np.ones((codes.shape[0] - 2, codes.shape[1] - 2), bool)
    corner = codes[:-2, :-2]
    for dy in range(3):
        for dx in range(3):
            same &= codes[dy:dy + codes.shape[0] - 2, dx:dx + codes.shape[1] - 2] == corner
    return np.unique(corner[same])


def palette_image_table(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The colour table ``(n, 4)`` of the still indexed palette image ``path`` (with its
    transparency) and which of its entries the pixels take, ``(n,)`` bool: what its
    distinct colours are read from (:func:`read_palette`), for a warning that the table
    repeats a colour; None for a palette file, an animation, an image without a colour
    table, and a file that cannot be read."""
    p = Path(path)
    if p.suffix.lower() not in PALETTE_IMAGE_FORMATS:
        return None
    try:
        with open_input(p) as source:
            if source.n_frames > 1 or source.image.mode != "P":
                return None
            table = _index_table(source.image)
            indices = np.asarray(source.image)
    except (ImageReadError, OSError, ValueError):
        return None
    if table is None:
        return None
    return table, np.bincount(indices.ravel(), minlength=table.shape[0])[:table.shape[0]] > 0


def _without_padding(table: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``table`` without its last entries when no pixel of ``indices`` takes them and they
    are one colour repeated (at least two): the padding of a colour table to 256 entries
    or a power of two, which no palette means. Every other entry keeps its index."""
    # Not the rule of reduce.options.without_padding_repeats (a run of three or more kept
    # once), which trims a palette the user gave, with no pixels to tell a padding from
    # a colour repeated on purpose. Here the image's pixels do: an entry none of them takes
    # is no colour of the palette the image shows, so the unused run goes whole, from
    # two entries.
    used = np.bincount(indices.ravel(), minlength=table.shape[0])[:table.shape[0]] > 0
    end = table.shape[0]
    while end > 1 and not used[end - 1] and (table[end - 1] == table[-1]).all():
        end -= 1
    return table if table.shape[0] - end < 2 else table[:end]


def _gif_animation_colors(source: OpenInput) -> tuple[np.ndarray, np.ndarray]:
    """The distinct colours ``(k, 4)`` of every frame of the animation ``source`` holds
    open, drawn as browsers draw them, in the order they first appear (frame after frame,
    row by row), and the GIF's global colour table ``(n, 4)`` that orders them, its first
    frame's transparent entry of alpha 0 (as a still GIF's is).

    Raises
    ------
    InputParameterError
        For an animation that is not a GIF (APNG, WebP, TIFF pages), a GIF without a
        global colour table, and one whose frame shows a colour that table does not hold
        (drawn from a colour table of the frame's own): its palette is not one table.
    """
    from .animation.frames import opened_animation
    from .gif_canvas import gif_global_table, gif_images
    from .png import second_reader

    p, n = source.path, source.n_frames
    if source.image.format != "GIF":
        raise InputParameterError(f"has {n} frames; a palette image should be a still image "
                                  "of the palette's colours, or a GIF animation", path=p)
    with second_reader(source.image) as reader:
        rgb, first = gif_global_table(reader), gif_images(reader, first=1)
    if rgb is None:
        raise InputParameterError(f"a GIF animation of {n} frames without a global colour "
                                  "table; a GIF animation gives the palette of that table",
                                  path=p)
    table = np.hstack([rgb, np.full((rgb.shape[0], 1), 255, np.uint8)])
    if first and first[0].transparent is not None and first[0].transparent < rgb.shape[0]:
        table[first[0].transparent, 3] = 0
    held = pack_rgb(rgb)
    colors = np.zeros((0, 4), np.uint8)
    with opened_animation(source, DEFAULT_MAX_PIXELS) as animation:
        for at, frame in enumerate(animation.frames(), 1):
            drawn = np.concatenate([colors, frame.rgba.reshape(-1, 4)])[None]
            colors = _first_colors(drawn[..., :3], drawn[..., 3])
            outside = colors[(colors[:, 3] > 0) & ~np.isin(pack_rgb(colors[:, :3]), held)]
            if outside.shape[0]:
                raise InputParameterError(
                    f"a GIF animation of {n} frames, and frame {at} shows "
                    f"#{pack_rgb(outside[:1, :3])[0]:06x}, a colour its global colour table "
                    "does not hold (from a table of the frame's own); a GIF animation gives "
                    "the palette of its global table alone", path=p)
    return colors, table


def _pixel_codes(rgba: np.ndarray) -> np.ndarray:
    """One integer per ``(..., 4)`` uint8 colour, alike for every fully transparent one (0;
    any other has alpha >= 1, so a code above 0)."""
    codes = pack_rgb(rgba[..., :3]).astype(np.int64) << 8 | rgba[..., 3]
    codes[rgba[..., 3] == 0] = 0
    return codes


def _first_colors(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """The distinct colours ``(k, 4)`` of an image's pixels, straight alpha, in the order
    they first appear (row by row); its fully transparent pixels are one entry, of the
    colour of the first."""
    pixels = np.empty(rgb.shape[:2] + (4,), np.uint8)
    pixels[..., :3] = rgb
    pixels[..., 3] = 255 if alpha is None else alpha
    flat = pixels.reshape(-1, 4)
    _, first = np.unique(_pixel_codes(flat), return_index=True)
    return flat[np.sort(first)]


def _index_table(image: Image.Image) -> np.ndarray | None:
    """The entries ``(k, 4)`` of an indexed image's palette, with its transparency (as a
    mode "P" PIL image is taken as a palette: :func:`~quantize._validation.check_palette`),
    or None when it has none (a GIF read as greys)."""
    if image.mode != "P":
        return None
    table = check_palette(image, "palette image", pillow_forms=True)
    if table.shape[1] == 3:
        table = np.hstack([table, np.full((table.shape[0], 1), 255, np.uint8)])
    return table


def _table_order(colors: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The order of ``colors`` (``(k, 4)``, distinct) by the first index of ``table`` that
    holds each; a colour it holds nowhere (the transparent screen around a GIF's image)
    after them, in its own order."""
    first_index: dict[int, int] = {}
    for i, code in enumerate(_pixel_codes(table).tolist()):
        first_index.setdefault(code, i)
    codes = _pixel_codes(colors).tolist()
    keys = [(first_index.get(code, len(table)), n) for n, code in enumerate(codes)]
    return np.array(sorted(range(len(codes)), key=keys.__getitem__), dtype=np.intp)


#: The bytes of a file looked at to tell text from an image.
_SNIFFED = 4096


def _is_text(p: Path) -> bool:
    """Whether the file ``p`` begins as text (UTF-8, no NUL byte), as a palette file does and
    no image does; False when it cannot be read."""
    try:
        with open(p, "rb") as f:
            head = f.read(_SNIFFED)
    except OSError:
        return False
    if not head or b"\0" in head:
        return False
    if len(head) == _SNIFFED:  # a character cut at the end is no fault of the file
        head = head[:head.rfind(b"\n") + 1] or head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _not_utf8(line: int, byte: int, p: Path) -> ImageReadError:
    """The error for ``byte`` of a palette file, on ``line``, that is not UTF-8 text."""
    return ImageReadError(f"line {line}: byte 0x{byte:02x} is not UTF-8 text; expected a "
                          "palette file saved as UTF-8", path=p)


def _check_decoded(line: str, number: int, p: Path) -> None:
    """Refuse ``line`` (number ``number``) if it holds a byte that is not UTF-8 (decoded
    as a lone surrogate, ``\\udcXX``), naming the first such byte."""
    for ch in line:
        if "\udc80" <= ch <= "\udcff":
            raise _not_utf8(number, ord(ch) - 0xDC00, p)


def _parse_gpl(text: str, p: Path, names: list[str | None] | None = None
               ) -> list[list[int]]:
    """A first line that begins ``GIMP Palette``, then GIMP's lines ``R G B [name]``;
    a name ending ``alpha N`` (as :func:`palette_file_bytes` notes a translucent entry's)
    gives that entry alpha N; after Aseprite's header line ``Channels: RGBA``,
    ``R G B A [name]``. Bytes that are
    not UTF-8 (as lone surrogates) are taken in names and comments, as GIMP takes them,
    and refused elsewhere. A comment that is a colour typed as hex, then a name, is
    refused (:func:`_check_gpl_comment`). ``names``, when given, gets each entry's name
    (:func:`_gpl_entry_name`)."""
    lines = _lines(text)
    # GIMP takes any first line that begins "GIMP Palette" (as "GIMP Palette v2" or
    # "GIMP Palette (exported)"), whatever follows it.
    if not lines or not lines[0].strip().startswith(_FIRST_LINES[".gpl"]):
        if lines:
            _check_decoded(lines[0], 1, p)
        raise _wrong_first_line(lines[0] if lines else "", ".gpl", p)
    colors: list[list[int]] = []
    n_values = 3
    for number, line in enumerate(lines[1:], start=2):
        body = line.strip()
        if body.startswith("#"):
            _check_gpl_comment(body, number, n_values, p)
        if not body or body.startswith("#") or re.match(r"^(Name|Columns)\s*:", body):
            continue
        channels = re.match(r"^Channels\s*:\s*(\S*)$", body, re.IGNORECASE)
        if channels is not None:
            _check_decoded(body, number, p)
            n_values = _gpl_channels(channels.group(1), bool(colors), number, p)
            continue
        values = _levels(body.split()[:n_values])
        if len(values) != n_values:
            _check_decoded(" ".join(body.split()[:n_values]), number, p)
            form = "R G B" if n_values == 3 else "R G B A"
            raise ImageReadError(f"line {number}: expected '{form} [name]' with values "
                                 f"0..255, got {_shown(body)}{_gpl_header_hint(body)}",
                                 path=p)
        noted = _GPL_ALPHA_NOTE.search(body) if n_values == 3 else None
        alpha = [] if noted is None else _levels([noted.group(1)])
        colors.append(values + alpha)
        if names is not None:
            names.append(_gpl_entry_name(body, n_values))
    return colors


#: A .gpl comment line that is a colour typed as hex, then a name (``#c81e28 Warm red``):
#: GIMP skips every line that begins ``#``, so the colour would be left out.
_GPL_HEX_COMMENT = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})\s+(\S.*)$")


def _check_gpl_comment(body: str, number: int, n_values: int, p: Path) -> None:
    """Refuse the .gpl comment line ``body`` (number ``number``) when it is a colour
    typed as hex, ``#rrggbb`` or ``#rrggbbaa`` (as a .hex line reads it) and then a name,
    saying how to write it as a colour of ``n_values`` values; ``# my inks`` and ``#`` alone
    are comments, as GIMP reads them, and so is ``#c81e28`` without a name."""
    match = _GPL_HEX_COMMENT.match(body)
    if match is None:
        return
    levels = list(bytes.fromhex(match.group(1))) + [255]
    values = " ".join(str(v) for v in levels[:n_values])
    alpha = f" alpha {levels[3]}" if n_values == 3 and levels[3] < 255 else ""
    raise ImageReadError(f"line {number}: {_shown(body)} is a colour written as hex, which "
                         f"GIMP reads as a comment and leaves out; write it as "
                         f"{_shown(f'{values} {match.group(2).strip()}{alpha}')}", path=p)


#: What :func:`palette_file_bytes` writes after an entry's name in a .gpl file, its hex and
#: share (``#0a46a0 20.89%``), left out of the name read back (the alpha note before it).
_GPL_WRITTEN_LABEL = re.compile(r"(?:^|\s+)#[0-9a-f]{6}(?: \d{1,3}\.\d{2}%)?$")


def _gpl_entry_name(body: str, n_values: int) -> str | None:
    r"""The name of the .gpl colour line ``body`` (of ``n_values`` values), without what
    :func:`palette_file_bytes` notes after it (an alpha note, then the hex and share);
    None when it has no other, or when it is only the entry's own hex, with or without
    ``#``, in either case (as Lospec writes its .gpl files: ``29 43 83 1d2b53``).

    >>> _gpl_entry_name("10 70 160\tReflex Blue #0a46a0 20.89%", 3)
    'Reflex Blue'
    >>> _gpl_entry_name("0 0 0\t#000000 0.00% alpha 0", 3), _gpl_entry_name("1 2 3", 3)
    (None, None)
    >>> _gpl_entry_name("29 43 83\t1d2b53", 3), _gpl_entry_name("29 43 83 1D2B54", 3)
    (None, '1D2B54')
    """
    parts = body.split(None, n_values)
    name = parts[n_values].strip() if len(parts) > n_values else ""
    if n_values == 3:
        name = _GPL_ALPHA_NOTE.sub("", name)
    name = _GPL_WRITTEN_LABEL.sub("", name).strip()
    own = "".join(f"{v:02x}" for v in _levels(parts[:3]))
    return None if name.lstrip("#").lower() in ("", own) else name


def _gpl_palette_name(text: str) -> str | None:
    r"""The name a .gpl file's ``Name:`` line gives its palette, else its comment
    ``#Palette Name:`` (as Lospec writes it); None: no such line.

    >>> _gpl_palette_name("GIMP Palette\n#Palette Name: PICO-8\n#Colors: 16\n0 0 0\n")
    'PICO-8'
    """
    lines = _lines(text)[1:]
    for pattern in (r"^\s*Name\s*:(.*)$", r"^\s*#\s*Palette Name\s*:(.*)$"):
        for line in lines:
            found = re.match(pattern, line, re.IGNORECASE)
            if found is not None:
                return found.group(1).strip() or None
    return None


#: The end of the name of an entry a .gpl file (``R G B name``) writes translucent or
#: fully transparent: ``#000000 0.00% alpha 0``, read back as that alpha.
_GPL_ALPHA_NOTE = re.compile(r"\salpha (\d{1,3})$")


def _gpl_header_hint(body: str) -> str:
    """What the error for a .gpl line ``body`` that is no colour adds when it looks like a
    header line (a word, then a colon) other than GIMP's: GIMP takes ``Name: `` and
    ``Columns: `` as written, and reads any other such line as a colour (``columns: 16``
    as red 0, green 16, with a message that blue is missing); else nothing.

    >>> _gpl_header_hint("columns: 16")
    ", which GIMP reads as a colour: its header lines are written 'Name: ...' and 'Columns: N'"
    >>> _gpl_header_hint("12 34")
    ''
    """
    if re.match(r"^[A-Za-z][\w-]*\s*:", body) is None:
        return ""
    return (", which GIMP reads as a colour: its header lines are written 'Name: ...' and "
            "'Columns: N'")


#: The first line of a palette format that has one (Paint.NET's is a comment, which a
#: .txt file may leave out), and what that format is called.
_FIRST_LINES = {".gpl": "GIMP Palette", ".pal": "JASC-PAL", ".txt": _PAINT_NET_HEADER}
_HEADED = {".gpl": "a GIMP palette", ".pal": "a JASC palette", ".txt": "a Paint.NET palette"}


def _wrong_first_line(line: str, fmt: str, p: Path) -> ImageReadError:
    """The error for a ``fmt`` file whose first line is ``line``: what was expected, and
    the extension to name it by when ``line`` begins another format.

    >>> print(_wrong_first_line("JASC-PAL", ".gpl", Path("p.gpl")))
    p.gpl: line 1: expected 'GIMP Palette', the first line of a GIMP palette, got \
'JASC-PAL', which begins a JASC palette: name the file .pal
    """
    first = line.strip()
    return ImageReadError(f"line 1: expected {_FIRST_LINES[fmt]!r}, the first line of "
                          f"{_HEADED[fmt]}, got {_shown(first)}{_named_as(first, fmt)}",
                          path=p)


def _named_as(line: str, fmt: str) -> str:
    """What an error about a bad ``line`` of a ``fmt`` file adds when that line is the first
    line of another format (spaces and case aside, as Lospec writes Paint.NET's; a GIMP
    palette's by its beginning, as :func:`_parse_gpl` reads it): which, and the extension
    to give the file; else nothing.

    >>> _named_as("GIMP Palette", ".hex"), _named_as("ff0000", ".txt")
    (', which begins a GIMP palette: name the file .gpl', '')
    >>> _named_as("GIMP Palette v2", ".pal")
    ', which begins a GIMP palette: name the file .gpl'
    """
    key = line.replace(" ", "").lower()
    for other, head in _FIRST_LINES.items():
        begins = line.startswith(head) if other == ".gpl" else \
            key == head.replace(" ", "").lower()
        if other != fmt and begins:
            return f", which begins {_HEADED[other]}: name the file {other}"
    return ""


def _levels(fields: list[str]) -> list[int]:
    """``fields`` as colour values, or [] if one is not a number 0..255 written in ASCII
    digits (Python's int() would also take '1_0' as 10, '+7', and digits of other scripts,
    which other tools read otherwise or not at all)."""
    if not all(f.isascii() and f.isdigit() and int(f) <= 255 for f in fields):
        return []
    return [int(f) for f in fields]


def _gpl_channels(value: str, after_colors: bool, number: int, p: Path) -> int:
    """The values of each colour line a ``Channels:`` header line announces (3 or 4)."""
    if value.upper() not in ("RGB", "RGBA"):
        raise ImageReadError(f"line {number}: expected 'Channels: RGB' or 'Channels: RGBA', "
                             f"got {_shown('Channels: ' + value)}", path=p)
    if after_colors:
        raise ImageReadError(f"line {number}: 'Channels: {value}' should come before the "
                             "first colour", path=p)
    return 4 if value.upper() == "RGBA" else 3


def _parse_pal(text: str, p: Path) -> list[list[int]]:
    """JASC lines ``JASC-PAL``, ``0100``, the count, then ``R G B`` (or ``R G B A``, as
    Aseprite writes alpha) per colour; blank lines are skipped."""
    lines = _lines(text)
    if lines[0].strip() != _FIRST_LINES[".pal"]:
        raise _wrong_first_line(lines[0], ".pal", p)
    version = lines[1].strip() if len(lines) > 1 else ""
    if version != "0100":
        raise ImageReadError(f"line 2: expected the version '0100', got {_shown(version)}", path=p)
    count = lines[2].strip() if len(lines) > 2 else ""
    if not (count.isascii() and count.isdigit() and int(count) > 0):
        raise ImageReadError(f"line 3: expected the number of colours, got {_shown(count)}", path=p)
    colors = []
    for number, line in enumerate(lines[3:], start=4):
        body = line.strip()
        if not body:
            continue
        values = _levels(body.split())
        if len(values) not in (3, 4):
            raise ImageReadError(f"line {number}: expected 'R G B' or 'R G B A' with values "
                                 f"0..255, got {_shown(body)}", path=p)
        colors.append(values)
    if len(colors) != int(count):
        held = "1 colour" if len(colors) == 1 else f"{len(colors)} colours"
        raise ImageReadError(f"holds {held}, while line 3 says {int(count)}", path=p)
    return colors


def _parse_act(data: bytes, p: Path, warn_transparent_index: bool = True) -> np.ndarray:
    """An Adobe colour table: 772 bytes, 256 RGB triples then the count and the transparent
    index (0xffff: none), which is given alpha 0, as Photoshop writes it (with a
    :class:`TransparentIndexWarning` unless ``warn_transparent_index`` is False); or the
    256 RGB triples alone (768 bytes). Those are the two sizes Adobe's format gives, and
    the only ones GIMP reads as a colour table; any other is refused: a table cut short,
    or another file named .act, would be read as colours no tool wrote.

    Adobe's specification calls the count optional, and files in use hold 0 or 0xffff
    there when it is not set: a count of 0 or above 256 is read as none, all 256 colours
    as in a 768-byte file (Aseprite reads a count above 256 so too)."""
    table_bytes = 3 * _ACT_COLORS
    if len(data) not in (table_bytes, table_bytes + 4):
        raise ImageReadError(f"{len(data)} bytes; expected an Adobe colour table (.act) of "
                             f"{table_bytes} bytes (256 RGB triples) or {table_bytes + 4} "
                             "(then the count of colours used and the transparent index)",
                             path=p)
    if len(data) == table_bytes:
        return _without_black_tail(np.frombuffer(data, np.uint8).reshape(-1, 3).copy(), p)
    table = np.frombuffer(data, np.uint8, table_bytes).reshape(_ACT_COLORS, 3)
    given, transparent = struct.unpack(">HH", data[table_bytes:])
    count = given if 1 <= given <= _ACT_COLORS else _ACT_COLORS  # not set: every colour
    if transparent >= count:  # 0xffff: none (an index past the colours names none either)
        colors = table[:count].copy()
    else:
        colors = np.hstack([table[:count], np.full((count, 1), 255, np.uint8)])
        colors[transparent, 3] = 0
    if count != given:
        colors = _without_black_tail(colors, p, given)
    if colors.shape[1] == 4 and colors[:, 3].all():  # its transparent entry was in the tail
        colors = colors[:, :3].copy()
    if colors.shape[1] == 3 or not warn_transparent_index or is_clear_image_palette(colors):
        return colors
    colour = "#{:02x}{:02x}{:02x}".format(*(int(v) for v in table[transparent]))
    warn_caller(f"{p.name} marks index {transparent} transparent ({transparent_index_note(p)}), "
                f"so it is read with alpha 0, and reduce_colors maps no pixel onto its colour "
                f"{colour}: fully transparent pixels get an entry of their own; to map onto it, "
                f"set palette[{transparent}, 3] = 255", TransparentIndexWarning)
    return colors


def _without_black_tail(colors: np.ndarray, p: Path, count: int | None = None) -> np.ndarray:
    """``colors``, a table of 256 without a count (768 bytes, or 772 whose ``count`` is not
    set: 0 or above 256), less its last entries when two or more are black (any alpha),
    with a :class:`PaletteReadWarning` that says so: the zeroed, unused entries of a
    smaller palette, as a table padded to 256 writes them (a fixed device palette of 4
    greens has no black). Kept whole: a table whose last entry alone is black (a palette
    of 256, black its last colour) and one of black entries alone. A black that is a
    colour of the palette, just before the padding, cannot be told from it: when the
    entries kept draw no black (the transparent entry draws none), the warning says how to
    keep it (a 772-byte table's count).
    """
    not_black = colors[:, :3].any(axis=1)
    used = int(np.flatnonzero(not_black)[-1]) + 1 if not_black.any() else 0
    tail = colors.shape[0] - used
    if not 2 <= tail < colors.shape[0]:
        return colors
    table = ("of 768 bytes has no count of the colours used" if count is None else
             f"of 772 bytes gives no count of the colours used ({count})")
    gives = "1 entry" if used == 1 else f"{used} entries"
    drawn = colors[:used, 3] > 0 if colors.shape[1] == 4 else np.ones(used, bool)
    advice = ("" if (drawn & ~not_black[:used]).any() else  # a black kept: none is lost
              "; if black is a colour of the palette, write a 772-byte table whose count "
              "includes it")
    warn_caller(f"{p.name}: an Adobe colour table {table}, and its last {tail} entries are "
                f"black: read as the unused entries of a smaller palette and left out, so it "
                f"gives {gives}{advice}", PaletteReadWarning)
    return colors[:used].copy()


def _parse_json(text: str, p: Path) -> list[list[int]]:
    import json

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        before = _LINE_END.split(exc.doc[:exc.pos])  # lines as the other formats count
        raise ImageReadError(f"line {len(before)}: invalid JSON ({exc.msg} at column "
                             f"{len(before[-1]) + 1}); expected a list of colours or an "
                             "object with 'colors'", path=p) from None
    except RecursionError:  # lists nested thousands deep
        raise ImageReadError("JSON nested too deeply; expected a list of colours or an "
                             "object with 'colors'", path=p) from None
    except ValueError:  # Python reads no integer of more than 4300 digits
        raise ImageReadError("JSON holds a number too long to read; expected colour "
                             "values 0..255", path=p) from None
    entries = doc.get("colors") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise ImageReadError("expected a list of colours or an object with 'colors'", path=p)
    return [_json_entry(e, i, p) for i, e in enumerate(entries)]


def _json_names(text: str, p: Path, entries: list[str | None]) -> str | None:
    """The name of the .json palette ``text`` (its ``name``, None without one); each
    colour's ``name`` (None without one) appended to ``entries``."""
    import json

    doc = json.loads(text)
    colors = doc.get("colors") if isinstance(doc, dict) else doc
    entries.extend(_str_or_none(c.get("name")) if isinstance(c, dict) else None
                   for c in colors)
    return _str_or_none(doc.get("name")) if isinstance(doc, dict) else None


def _str_or_none(value: object) -> str | None:
    """``value`` stripped when it is a str that is not blank, else None."""
    return value.strip() or None if isinstance(value, str) else None


def _json_entry(entry: object, i: int, p: Path) -> list[int]:
    fields = entry if isinstance(entry, dict) else {"hex": entry}
    # write_palette gives each colour both "hex" and "rgb" (and "alpha"): when a file has
    # more than one, they must agree, or an edit of one alone would be lost without a word
    given = {key: _json_color(fields[key]) for key in ("hex", "rgb") if key in fields}
    alpha = fields.get("alpha")
    if not given or None in given.values() or (alpha is not None and not _is_level(alpha)):
        raise ImageReadError(f"colour {i + 1}: expected '#rrggbb' or [r, g, b] (and an "
                             f"optional alpha) with values 0..255, got {_json_shown(entry)}",
                             path=p)
    color, *other = given.values()
    if other and other[0][:3] != color[:3]:
        raise ImageReadError(f"colour {i + 1}: its hex {_json_shown(fields['hex'])} and rgb "
                             f"{_json_shown(fields['rgb'])} are not the same colour; expected "
                             "them to agree (edit both, or give one)", path=p)
    alphas = [(key, c[3]) for key, c in given.items() if len(c) == 4]
    if alpha is not None:
        alphas.append(("alpha", alpha))
    for key, level in alphas[1:]:
        first, first_level = alphas[0]
        if level != first_level:
            raise ImageReadError(f"colour {i + 1}: its {first} {_json_shown(fields[first])} "
                                 f"and {key} {_json_shown(fields[key])} are not the same "
                                 f"alpha ({first_level} and {level}); expected them to agree "
                                 "(edit both, or give one)", path=p)
    return color[:3] + [alphas[0][1]] if alphas else color[:3]


def _json_color(value: object) -> list[int] | None:
    """The levels of a JSON colour, ``"#rrggbb[aa]"`` (or ``"#rgb[a]"``) or ``[r, g, b[, a]]``,
    or None."""
    if isinstance(value, str) and (match := _HEX_LINE.match(value.strip())):
        return _hex_levels(match)
    if isinstance(value, list) and len(value) in (3, 4) and all(_is_level(v) for v in value):
        return list(value)
    return None


def _json_shown(entry: object) -> str:
    """``entry`` as JSON text, as the file has it (not Python's repr), cut at :data:`_SHOWN`
    characters."""
    import json

    text = json.dumps(entry, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _is_level(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255


def _parse_hex(text: str, p: Path) -> list[list[int]]:
    """Lines ``rrggbb`` or ``rrggbbaa`` (``#`` optional), ``#rgb`` or ``#rgba``, or
    ``0xrrggbb``; ``;`` starts a
    comment (a whole line, or after a colour), and so does a line's ``#`` followed by a
    space or a word that is not hex digits (:func:`_hash_comment`). A Paint.NET palette,
    whose lines read as ``rrggbbaa`` would give each entry's alpha as its red, is refused
    by its header."""
    colors = []
    bare = True  # every colour a line of 8 digits, as Paint.NET writes its aarrggbb
    for number, line in enumerate(_lines(text), start=1):
        whole = line.strip()
        if whole.replace(" ", "").lower() == _PAINT_NET_HEADER.replace(" ", "").lower():
            raise ImageReadError(f"line {number}: a Paint.NET palette, whose colours are "
                                 "aarrggbb (alpha first), while a .hex file's are rrggbbaa; "
                                 "name it .txt to read it as Paint.NET's", path=p)
        body = whole.split(";", 1)[0].strip()
        if not body or _hash_comment(body):
            continue
        match = _HEX_LINE.match(body) or _HEX_0X_LINE.match(body)
        if match is None:
            raise ImageReadError(f"line {number}: expected a hex colour 'rrggbb' or "
                                 f"'rrggbbaa' (or '#rgb', '#rgba'), got {_shown(body)}"
                                 f"{_hex_hint(body)}", path=p)
        colors.append(_hex_levels(match))
        bare = bare and _PAINT_NET_LINE.match(body) is not None
    if bare:
        _warn_if_paint_net(colors, p)
    return colors


#: A CSS custom property: its name and value (to the ``;`` or ``}`` that ends the
#: declaration, or the end of the file).
_CSS_PROPERTY = re.compile(r"--([\w-]+)\s*:\s*([^;}]*)")
#: A CSS comment, left out before the declarations are read.
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
#: The CSS colour functions read (as :func:`~quantize._validation.color_levels` reads them).
_CSS_READ_FUNCTIONS = re.compile(r"^(rgba?|hsla?)\(", re.IGNORECASE)
#: The other CSS colour functions, refused by name: their colours are not sRGB levels.
_CSS_OTHER_FUNCTIONS = re.compile(r"^(hwb|lab|lch|oklab|oklch|color|color-mix|light-dark)\(",
                                  re.IGNORECASE)
#: A property name :func:`_css_text` gives an entry without a name (``--color-3``), read back
#: as no name.
_CSS_NUMBERED = re.compile(r"^color-\d+$")


def _parse_css(text: str, p: Path, names: list[str | None] | None = None) -> list[list[int]]:
    """The colours of the CSS custom properties of ``text`` (``--color-1: #c81e28;``), in
    file order, comments left out (each kept as blanks, so that lines keep their numbers):
    hex values, ``rgb()``, ``rgba()``, ``hsl()`` and ``hsla()`` (in either syntax, as
    :func:`~quantize._validation.color_levels` reads them) and CSS colour names; each
    property's name (without ``--``; None for ``color-N``, as :func:`_css_text` numbers an
    entry without one) appended to ``names`` when given. Properties of other values
    (``4px``, ``var(--brand)``) are skipped, as they are no colours; a value that begins
    as a colour (``#``, a colour function) and is not read is refused, naming its line.

    >>> _parse_css(":root { --a: #c81e28; /* --b: #fff; */ --gap: 4px; --c: #0008 }", Path("t.css"))
    [[200, 30, 40], [0, 0, 0, 136]]
    >>> _parse_css("--brand-rgb: rgb(21 101 192); --ink: black;", Path("t.css"))
    [[21, 101, 192], [0, 0, 0]]
    """
    text = _CSS_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    colors = []
    for match in _CSS_PROPERTY.finditer(text):
        color = _css_value(match.group(2).strip(), f"--{match.group(1)}",
                           text.count("\n", 0, match.start()) + 1, p)
        if color is None:
            continue
        colors.append(color)
        if names is not None:
            names.append(None if _CSS_NUMBERED.match(match.group(1)) else match.group(1))
    return colors


def _css_value(value: str, prop: str, line: int, p: Path) -> list[int] | None:
    """The levels of the CSS value ``value`` of the property ``prop`` (on ``line``), None
    when it is no colour (``4px``), or raise ImageReadError naming the line when it begins
    as one and is not read."""
    from PIL import ImageColor

    if value.startswith("#"):
        color = _HEX_LINE.match(value)
        if color is None:
            raise ImageReadError(f"line {line}: {prop}: expected a hex colour '#rrggbb' or "
                                 f"'#rrggbbaa' (or '#rgb', '#rgba'), got {_shown(value)}",
                                 path=p)
        return _hex_levels(color)
    if _CSS_OTHER_FUNCTIONS.match(value):
        raise ImageReadError(f"line {line}: {prop}: {_shown(value)} is not read (not sRGB "
                             "levels); expected '#rrggbb', 'rgb(r g b)' or 'hsl(h s% l%)'",
                             path=p)
    if _CSS_READ_FUNCTIONS.match(value):
        levels = color_levels(value)
        if len(levels) not in (3, 4) or not all(0 <= v <= 255 for v in levels):
            raise ImageReadError(f"line {line}: {prop}: expected 'rgb(r g b)' or "
                                 f"'rgb(r, g, b)' with levels 0..255 (or 'hsl(h s% l%)', an "
                                 f"alpha after '/'), got {_shown(value)}", path=p)
        return list(levels)
    if value.lower() in ImageColor.colormap:
        return list(color_levels(value.lower()))
    return None


#: The first bytes of an Adobe Swatch Exchange file: its signature and version 1.0.
_ASE_HEAD = b"ASEF\x00\x01\x00\x00"
#: The block types of an .ase file: a colour, the start and the end of a group.
_ASE_COLOR, _ASE_GROUP, _ASE_GROUP_END = 0x0001, 0xC001, 0xC002
#: The colour models of an .ase colour block and the floats each gives.
_ASE_MODELS = {b"RGB ": 3, b"Gray": 1, b"CMYK": 4, b"LAB ": 3}
#: The colour type an .ase colour block is written with: a process ("normal") colour.
_ASE_NORMAL = 2


def _ase_bytes(pal: np.ndarray, name: str, names: list | None) -> bytes:
    """An Adobe Swatch Exchange file: its head and block count, then one group named
    ``name`` holding a colour block per entry of ``pal`` (opaque: its alpha is dropped),
    named by ``names`` or its ``#rrggbb``, model ``RGB `` with three big-endian floats 0..1,
    type normal."""
    blocks = [_ase_block(_ASE_GROUP, _ase_name(name))]
    for i, c in enumerate(pal):
        label = names[i] if names is not None and names[i] is not None else f"#{_hex(c[:3])}"
        body = (_ase_name(label) + b"RGB " + struct.pack(">3f", *(int(v) / 255 for v in c[:3]))
                + struct.pack(">H", _ASE_NORMAL))
        blocks.append(_ase_block(_ASE_COLOR, body))
    blocks.append(_ase_block(_ASE_GROUP_END, b""))
    return _ASE_HEAD + struct.pack(">I", len(blocks)) + b"".join(blocks)


def _ase_block(kind: int, body: bytes) -> bytes:
    """An .ase block: its type and length (big-endian), then ``body``."""
    return struct.pack(">HI", kind, len(body)) + body


def _ase_name(text: str) -> bytes:
    """``text`` as an .ase block names it: its length in UTF-16 code units with the
    closing null, then UTF-16BE and the null."""
    data = text.encode("utf-16-be", "surrogatepass") + b"\x00\x00"
    return struct.pack(">H", len(data) // 2) + data


def _parse_ase(data: bytes, p: Path) -> tuple[list[list[int]], PaletteNames]:
    """The colours of the Adobe Swatch Exchange file ``p`` (its bytes ``data``), in file
    order, and its names: the first group's as the palette's, each colour's (None when it
    is its own ``#rrggbb``). Groups are read through (their colours are the palette's);
    a block of another type is skipped by its length. RGB and Gray colours are read
    (gray ``g`` as ``g g g``); CMYK and LAB are refused, naming the swatch: their sRGB
    levels depend on the colour profile of the tool that wrote them."""
    if not data.startswith(b"ASEF"):
        raise ImageReadError(f"bytes 0-3: {data[:4]!r}; expected 'ASEF', the signature of an "
                             "Adobe Swatch Exchange file (.ase)", path=p)
    if len(data) < 12 or data[4:8] != _ASE_HEAD[4:]:
        raise ImageReadError(f"bytes 4-7: {data[4:8].hex(' ')}; expected 00 01 00 00, the "
                             "version 1.0 of an Adobe Swatch Exchange file", path=p)
    (count,) = struct.unpack(">I", data[8:12])
    colors: list[list[int]] = []
    names: list[str | None] = []
    palette_name = None
    at = 12
    for _ in range(count):
        if at + 6 > len(data):
            raise ImageReadError(f"ends at byte {len(data)}, before the {count} blocks its "
                                 "head counts; expected a whole .ase file", path=p)
        kind, length = struct.unpack(">HI", data[at:at + 6])
        body = data[at + 6:at + 6 + length]
        if len(body) != length:
            raise ImageReadError(f"byte {at}: a block of {length} bytes, past the end of the "
                                 f"file ({len(data)} bytes); expected a whole .ase file", path=p)
        if kind == _ASE_COLOR:
            label, color = _ase_color(body, at, len(colors) + 1, p)
            colors.append(color)
            names.append(None if label.lower() in ("", f"#{_hex(color)}") else label)
        elif kind == _ASE_GROUP and palette_name is None:
            palette_name = _ase_text(body, at, p)[0] or None
        at += 6 + length
    return colors, PaletteNames(palette_name, tuple(names) if any(names) else ())


def _ase_text(body: bytes, at: int, p: Path) -> tuple[str, int]:
    """The name an .ase block's ``body`` (at byte ``at``) begins with, and where it ends."""
    if len(body) < 2:
        raise ImageReadError(f"byte {at}: a block too short for its name; expected a whole "
                             ".ase file", path=p)
    (units,) = struct.unpack(">H", body[:2])
    end = 2 + 2 * units
    if end > len(body):
        raise ImageReadError(f"byte {at}: a name of {units} characters, longer than its "
                             "block; expected a whole .ase file", path=p)
    text = body[2:end].decode("utf-16-be", "replace").rstrip("\x00")
    return printable_line(text), end


def _ase_color(body: bytes, at: int, number: int, p: Path) -> tuple[str, list[int]]:
    """The name and levels of the .ase colour block ``body`` (at byte ``at``, swatch
    ``number`` from 1)."""
    label, end = _ase_text(body, at, p)
    model = body[end:end + 4]
    values = _ASE_MODELS.get(model)
    said = f"swatch {number} ({quoted(label)}, byte {at})"
    if values is None:
        raise ImageReadError(f"{said}: colour model {model!r}; expected 'RGB ', 'Gray', "
                             "'CMYK' or 'LAB '", path=p)
    if model in (b"CMYK", b"LAB "):
        raise ImageReadError(f"{said}: a {model.decode().strip()} colour, which is not read "
                             "(its sRGB levels depend on the colour profile of the tool that "
                             "wrote it); export the swatches as RGB", path=p)
    floats = body[end + 4:end + 4 + 4 * values]
    if len(floats) != 4 * values:
        raise ImageReadError(f"{said}: a block too short for its {values} values; expected "
                             "a whole .ase file", path=p)
    levels = struct.unpack(f">{values}f", floats)
    if not all(0 <= v <= 1 for v in levels):  # NaN is neither
        raise ImageReadError(f"{said}: values {', '.join(f'{v:g}' for v in levels)}; "
                             "expected values 0..1", path=p)
    rgb = [round(v * 255) for v in levels]
    return label, rgb * 3 if values == 1 else rgb


def swatch_png_bytes(palette: Any, side: int = 64) -> bytes:
    """A PNG of ``palette`` as a strip of swatches, one square of ``side`` pixels per entry,
    of equal size, left to right in palette order (RGBA when some entry has alpha below
    255), as ``quantize palette -o swatch.png`` writes it. Read as a palette
    (:func:`read_palette`), it gives the palette back, in its order.

    Parameters
    ----------
    palette : (k, 3) or (k, 4) array-like of integers 0..255
        The entries (a fourth column is alpha), of any integer dtype: a list of rows, or
        ``result.palette``.
    side : int, default 64
        The side of each square, in pixels, at least 1.

    Returns
    -------
    bytes
        The PNG; write it to a file with ``Path("swatch.png").write_bytes(...)``.

    Raises
    ------
    ValueError
        If ``palette`` is not of shape ``(k, 3)`` or ``(k, 4)`` with k >= 1, or holds
        values outside 0..255; if ``side`` is below 1.
    TypeError
        If ``palette`` holds no integers (floats, with how to pass them), or ``side`` is
        no integer.

    Examples
    --------
    >>> import io
    >>> image = Image.open(io.BytesIO(swatch_png_bytes([[200, 30, 40], [0, 0, 0]], side=2)))
    >>> image.size, image.mode, image.getpixel((2, 1))
    ((4, 2), 'RGB', (0, 0, 0))
    """
    import io

    palette = check_palette(palette)
    side = check_int(side, "side", minimum=1)
    pal = palette if palette.shape[1] == 4 and (palette[:, 3] < 255).any() else palette[:, :3]
    strip = np.repeat(np.ascontiguousarray(pal)[np.newaxis], side, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(np.repeat(strip, side, axis=0)).save(buffer, "PNG")
    return buffer.getvalue()


def _hash_comment(body: str) -> bool:
    """Whether a .hex line ``body`` (stripped, not empty) is a comment as Aseprite and
    Lospec take one: ``#`` then a space (or nothing), or a word that is not hex digits
    (``# PICO-8``, ``#palette``). Aseprite skips any line without six hex digits; a word
    of hex digits after ``#`` is a colour, or an error, not skipped.

    >>> [_hash_comment(b) for b in ("# PICO-8", "#PICO-8", "#", "#c81e1e", "#fab x")]
    [True, True, True, False, False]
    """
    if not body.startswith("#"):
        return False
    words = body[1:].split(maxsplit=1) if body[1:2].strip() else []
    return not words or re.fullmatch(r"[0-9a-fA-F]+", words[0]) is None


def _hex_hint(body: str) -> str:
    """What the error for a .hex line ``body`` that is no colour adds: why an ``0x`` number
    of 8 digits is not read, how comments start for a line that looks like another kind
    of comment (``//``, or ``#`` and hex digits then more: ``#fab colours``), or the
    extension of the format the line begins (else nothing).

    >>> _hex_hint("0xff00ff80")
    ", which may be 0xAARRGGBB (alpha first, as code writes colours) or rrggbbaa; write \
'rrggbbaa' without '0x'"
    >>> _hex_hint("// brand colours"), _hex_hint("#fab colours"), _hex_hint("zz")
    (": comments start with ';'", ": comments start with ';', or '#' and a space", '')
    """
    if re.match(r"^0[xX][0-9a-fA-F]{8}$", body):
        return (", which may be 0xAARRGGBB (alpha first, as code writes colours) or "
                "rrggbbaa; write 'rrggbbaa' without '0x'")
    named = _named_as(body, ".hex")
    if not named and body.startswith("//"):
        return ": comments start with ';'"
    if not named and re.match(r"^#(?![0-9a-fA-F]*$)", body):
        return ": comments start with ';', or '#' and a space"
    return named


def _warn_if_paint_net(colors: list[list[int]], p: Path) -> None:
    """Warn when the colours of a .hex file read as ``rrggbbaa`` look like an opaque
    Paint.NET palette's ``aarrggbb`` without its header: every line of 8 digits and no
    ``#`` (as Paint.NET writes them; the caller's check: ``#ffffff00``, ``#fff8`` are
    no Paint.NET lines, and a ramp of white at several alphas so written was warned), every
    first byte ff (Paint.NET's alpha; as red, a palette of reds, oranges, pinks and
    whites only) and the last bytes not all alike (Paint.NET's blue; as alpha, entries
    of several opacities, which .hex palettes seldom have), or all 00 (as alpha, every
    entry fully transparent, which no palette to map onto has)."""
    if any(len(c) != 4 or c[0] != 255 for c in colors):
        return
    alphas = {c[3] for c in colors}
    if alphas == {0}:
        read_as = "red 255 and alpha 0, so every entry is fully transparent"
    elif len(colors) >= 2 and len(alphas) >= 2:
        read_as = "red 255, its last two digits as alpha"
    else:
        return
    warn_caller(f"{p.name}: every colour is 8 hex digits beginning ff, as in a Paint.NET "
                f"palette (aarrggbb, alpha first), and is read as rrggbbaa: {read_as}; if "
                "it is a Paint.NET palette, name it .txt", PaletteReadWarning)


def _parse_paint_net(text: str, p: Path) -> list[list[int]]:
    """Paint.NET's lines ``aarrggbb``; ``;`` starts a comment (a whole line, or after a
    colour). A line ``#rrggbb`` (or ``#rgb``) is an opaque colour, as GIMP's "Text file"
    palette export writes them (Paint.NET's lines have no ``#``). An entry of alpha 255 is
    given as
    ``[r, g, b]``, others as ``[r, g, b, a]``."""
    colors = []
    for number, line in enumerate(_lines(text), start=1):
        body = line.split(";", 1)[0].strip()
        if not body:
            continue
        gimp = _GIMP_TEXT_LINE.match(body)
        if gimp is not None:
            colors.append(_hex_levels(gimp))
            continue
        match = _PAINT_NET_LINE.match(body)
        if match is None:
            raise ImageReadError(f"line {number}: expected a Paint.NET colour 'aarrggbb' (8 "
                                 f"hex digits, alpha first) or GIMP's '#rrggbb' (or '#rgb'), "
                                 f"got {_shown(body)}{_paint_net_hint(body)}", path=p)
        a, r, g, b = bytes.fromhex(match.group(1))
        colors.append([r, g, b] if a == 255 else [r, g, b, a])
    return colors


def _paint_net_palette_name(text: str) -> str | None:
    """The name a Paint.NET palette's ``; Palette Name:`` comment gives (None: none)."""
    for line in _lines(text):
        found = re.match(r"^\s*;\s*Palette Name\s*:(.*)$", line, re.IGNORECASE)
        if found is not None:
            return found.group(1).strip() or None
    return None


def _paint_net_hint(body: str) -> str:
    """What the error for a .txt line ``body`` that is no colour adds: how to write an
    ``rrggbb`` line (which Paint.NET reads with alpha 0), why ``#`` and 8 digits is not
    read, or the extension of the format the line begins (else nothing).

    >>> _paint_net_hint("ff8000")
    ", 6 digits (rrggbb); write 'ffrrggbb' for an opaque colour, or name a file of rrggbb \
lines .hex"
    >>> _paint_net_hint("#ff800080"), _paint_net_hint("#f808")
    (", which may be #rrggbbaa or #aarrggbb; write 'aarrggbb' without '#'", ", which may be \
#rgba or #argb; write 'aarrggbb' without '#'")
    """
    if re.match(r"^[0-9a-fA-F]{6}$", body):
        return (", 6 digits (rrggbb); write 'ffrrggbb' for an opaque colour, or name a file "
                "of rrggbb lines .hex")
    if re.match(r"^#[0-9a-fA-F]{8}$", body):
        return ", which may be #rrggbbaa or #aarrggbb; write 'aarrggbb' without '#'"
    if re.match(r"^#[0-9a-fA-F]{4}$", body):
        return ", which may be #rgba or #argb; write 'aarrggbb' without '#'"
    return _named_as(body, ".txt")
