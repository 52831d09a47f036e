"""Reduce's options, validated once: for the array API and for the file job.

:func:`check_reduce_options` is the public checker the drivers (CLI, batch)
call before planning work: it validates every keyword option of
:func:`quantize.reduce.reduce_file` and fills in reduce's defaults, so no
driver needs to know them.
"""

from __future__ import annotations

import difflib
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import (
    as_typed,
    check_bool,
    check_choice,
    check_color,
    check_file_name,
    check_float,
    check_max_frames,
    check_max_pixels,
    check_not_under_a_file,
    check_option_names,
    check_palette,
    check_seed_value,
    shown_number,
)
from ..errors import (
    AlphaLossWarning,
    FarPaletteWarning,
    ImageReadError,
    OutputError,
    PaletteInWarning,
    warn_caller,
    warnings_held,
)
from ..io import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    GIF_ALPHA_THRESHOLD,
    STREAM_OUTPUT,
    check_output_folder,
    check_output_path,
    is_stream,
    nodata_setting,
)
from ..io.profiles import DEFAULT_INTENT, check_intent
from ..io.stretch import check_stretch, softening_of
from ..names import quoted, same_file
from ..palette_files import (
    PALETTE_ALPHA_HINT,
    PaletteFormatWarning,
    PaletteNames,
    PaletteReadWarning,
    check_palette_file_holds,
    check_palette_path,
    entry_hex,
    is_clear_image_palette,
    palette_image_table,
    read_named_palette,
    read_palette,
    states_count,
    transparent_index_note,
)
from ..reconstruct.grid import grid_of
from .fit import (
    DEFAULT_COLORS,
    FEATURES,
    NamedColor,
    check_fixed_colors,
    check_n_colors,
    first_rows,
    fixed_names,
    fixed_shown,
)
from .result import MAX_PALETTE

__all__ = ["PALETTE_FILE_ALPHA_ADVICE", "PALETTE_MODES", "PER_FRAME_EXTENSIONS", "PER_FRAME_NEEDS",
           "AlphaLossWarning", "Options",
           "ORDERED", "PATTERN", "POSITIONAL", "check_budget_alone", "check_dither",
           "refuse_animation_nodata", "refuse_animation_stretch",
           "refuse_animation_transparent_color", "EDGE", "check_stretch_options",
           "check_transparent_color",
           "check_file_name", "positional_meant",
           "diffusion_strength", "spread_strength",
           "check_options", "fixed_colors_read", "fixed_hex", "read_fixed_colors",
           "check_output_names", "check_quality_limit",
           "check_palette", "check_palette_alone",
           "check_palette_draws", "check_subset_size", "choose_fewer_advice",
           "clear_entry_at",
           "check_palette_mode", "check_palette_out", "check_palette_out_holds",
           "check_reduce_options", "entries_drawn", "gif_entries", "held_entries",
           "keeps_translucent_entries",
           "opaque_repeats",
           "palette_in_name",
           "too_many_colors",
           "read_palette_in", "read_palette_in_named", "read_palette_in_once",
           "refuse_animation_subset",
           "read_palette_in_noted", "visible_entries",
           "warn_fixed_fill", "warn_palette_far", "warn_palette_without_alpha",
           "warn_repeated_entries",
           "warn_transparent_entries", "warn_unused_repeats", "without_padding_repeats"]


@dataclass(frozen=True)
class Options:
    """reduce_colors' parameters after validation.

    ``asked``: the ``n_colors`` its caller was given, when it fits fewer (a palette image
    of 256 colours with fully transparent pixels gets 255 and that entry), so that a
    warning of too few colours names the number the user asked for; ``where`` says in
    it what holds the colours (``"all the frames together have"`` for an animation's).
    ``clear_at``: the index a palette image gives its fully transparent pixels' entry,
    where a given palette has its own (:func:`clear_entry_at`), else 0.
    ``quality_limit``: the bound the colours allowed must meet for their result to be kept
    when ``quality`` is out of their reach (:func:`check_quality_limit`), or None.
    ``fitted_palette``: ``palette`` was fitted to these pixels by the caller (an
    animation's frames, or colours like them: ``reduce_file(palette_fitted=True)``), so it
    is dithered onto as a fitted one, not as a given one.
    ``fixed_colors``: ``(f, 3)`` uint8 opaque colours that are the fitted palette's first
    entries (:func:`check_fixed_colors`), or None.
    ``clear_color``: the colour of the entry of fully transparent pixels (its alpha 0).
    """

    n_colors: int | None
    quality: float | None
    space: str
    dither: float | str
    exact_colors: bool
    palette: np.ndarray | None
    asked: int | None = None
    where: str = "the image has"
    clear_at: int = 0
    quality_limit: float | None = None
    fitted_palette: bool = False
    fixed_colors: np.ndarray | None = None
    clear_color: tuple[int, int, int] = (0, 0, 0)


#: ``dither="ordered"``: an 8 x 8 Bayer matrix's thresholds instead of error diffusion.
ORDERED = "ordered"
#: ``dither="pattern"``: the Bayer matrix's thresholds too, each colour mixed from two of
#: its three nearest entries (see :func:`~quantize.reconstruct.ordered.ordered_indices`).
PATTERN = "pattern"
#: The dithers that draw each pixel by its place in the matrix, not by diffusing errors.
POSITIONAL = (ORDERED, PATTERN)


def positional_meant(word: str) -> str | None:
    """The positional method (:data:`POSITIONAL`) a ``dither`` word that is none of them
    was most likely meant as: the same word in another case or with spaces, or one a
    letter or two off (``"orderd"``, ``"patern"``); None when none is close.

    >>> positional_meant(" Ordered"), positional_meant("patern"), positional_meant("floyd")
    ('ordered', 'pattern', None)
    """
    folded = word.strip().lower()
    close = difflib.get_close_matches(folded, POSITIONAL, n=1, cutoff=0.8)
    return folded if folded in POSITIONAL else (close[0] if close else None)


def check_dither(dither: Any) -> float | str:
    """Dither strength as a float in [0, 1] (True means 1.0 and False 0.0), or
    :data:`ORDERED` or :data:`PATTERN`.

    Pillow's ``Image.Dither`` members are numbers too, but only ``NONE`` (0) means what
    its number does here: ``ORDERED`` (1) would be full error diffusion, so any other is
    refused, naming what ``dither`` is.

    >>> from PIL import Image
    >>> check_dither(Image.Dither.NONE), check_dither(True), check_dither("ordered")
    (0.0, 1.0, 'ordered')
    >>> check_dither("pattern")
    'pattern'
    >>> check_dither("sparkle")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: dither='sparkle' is not valid; expected a strength from 0 to 1, a bool, ...
    >>> check_dither("orderd")
    Traceback (most recent call last):
    ...
    ValueError: dither='orderd' is not valid; did you mean 'ordered'?
    >>> check_dither(Image.Dither.FLOYDSTEINBERG)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: dither=Dither.FLOYDSTEINBERG is Pillow's; quantize's dither is the strength, ...
    """
    if isinstance(dither, str):
        if dither in POSITIONAL:
            return dither
        if (meant := positional_meant(dither)) is not None:
            raise ValueError(f"dither={dither!r} is not valid; did you mean {meant!r}?")
        raise ValueError(f"dither={dither!r} is not valid; expected a strength from 0 to 1, "
                         f"a bool, {ORDERED!r} or {PATTERN!r}")
    if isinstance(dither, bool | np.bool_):
        return 1.0 if dither else 0.0
    if type(dither).__name__ == "Dither" and type(dither).__module__ == "PIL.Image" and dither:
        raise ValueError(f"dither=Dither.{dither.name} is Pillow's; quantize's dither is the "
                         "strength, 0 to 1, of its Floyd-Steinberg error diffusion (True: 1), or "
                         f"{ORDERED!r} or {PATTERN!r} for an 8 x 8 Bayer pattern")
    if not isinstance(dither, numbers.Real):
        raise TypeError(f"dither={dither!r} should be a bool, a number in [0, 1], "
                        f"{ORDERED!r} or {PATTERN!r}, got {type(dither).__name__}")
    return check_float(dither, "dither", minimum=0.0, maximum=1.0)


def diffusion_strength(dither: float | str) -> float:
    """The error diffusion's strength of a checked ``dither``: 0 for ordered dithering.

    >>> diffusion_strength(0.5), diffusion_strength("ordered"), diffusion_strength("pattern")
    (0.5, 0.0, 0.0)
    """
    return 0.0 if dither in POSITIONAL else float(dither)


# Ordered and pattern dithering mix each pixel between entries too, so they also reach no
# colour beyond the palette's span: with the undithered fit, skimage's camera at k = 4 had
# entries 26 .. 205 and nothing darker or lighter was drawn (30.80 dB of blurred PSNR,
# sigma 1, against 34.90 for ImageMagick's -ordered-dither o8x8,4 on uniform levels). So
# before them a fitted palette moves outwards as before diffusion
# (:func:`~quantize.reduce.fit.spread_for_dither`), at full strength up to
# _POSITIONAL_FULL_SPREAD_UPTO entries and at _POSITIONAL_SPREAD beyond. On 10 grey images
# (camera, astronaut, coffee, chelsea, 6 BSDS500 train photos) and 11 colour ones
# (astronaut, coffee, chelsea, rocket, china, the same 6 photos), medians of the blurred
# PSNR gain, grey / colour, at k = 2, 4, 8: full +5.07 / +2.29, +3.08 / +0.89,
# +1.40 / +0.47 dB, half +3.34, +2.28, +1.20 dB grey; at k = 16 and 64 full gained
# +0.39 / +0.28 and +0.01 / +0.13 dB but lost up to 0.06 dB on a photo (0.14 at k = 256),
# half +0.49 / +0.25 and +0.02 / +0.11 dB, its worst colour photo +0.08 and +0.01 dB
# (benchmarks/bench_ordered_palette.py; docs/reduce.md, *The palette's reach*).
_POSITIONAL_FULL_SPREAD_UPTO = 8
_POSITIONAL_SPREAD = 0.5


def spread_strength(dither: float | str, n_colors: int) -> float:
    """How far a fitted palette of ``n_colors`` entries moves outwards before a checked
    ``dither`` (the strength :func:`~quantize.reduce.fit.spread_for_dither` takes): the
    diffusion's strength, and for ordered and pattern dithering 1 up to 8 entries, 1/2
    beyond (see above).

    >>> spread_strength(0.5, 16), spread_strength(0.0, 4)
    (0.5, 0.0)
    >>> spread_strength("ordered", 8), spread_strength("pattern", 16)
    (1.0, 0.5)
    """
    if dither not in POSITIONAL:
        return diffusion_strength(dither)
    return 1.0 if n_colors <= _POSITIONAL_FULL_SPREAD_UPTO else _POSITIONAL_SPREAD


def check_options(n_colors: Any, quality: Any, space: Any, dither: Any,
                  exact_colors: Any, palette: Any, quality_limit: Any = None,
                  palette_name: str = "palette", fixed_colors: Any = None,
                  fixed_name: str = "fixed_colors") -> Options:
    """Validate reduce_colors' parameters once; ``palette_name`` names the palette in
    errors, ``fixed_name`` the fixed colours. ``n_colors`` beside a palette is how many of
    its entries to choose (:func:`check_subset_size`)."""
    k = None if n_colors is None else check_n_colors(n_colors)
    q = None if quality is None else as_typed(quality, check_float(quality, "quality",
                                                                   minimum=0.0))
    limit = check_quality_limit(quality_limit, q)
    space = check_choice(space, "space", FEATURES)
    strength = check_dither(dither)
    exact = check_bool(exact_colors, "exact_colors")
    pal, clear_at = None, 0
    if palette is not None:
        given = check_palette(palette, pillow_forms=True)
        pal, clear_at = visible_entries(given), clear_entry_at(given, animated=False)
        check_palette_alone(palette_name, palette, k, q, exact)
        if k is not None:
            check_subset_size(k, pal.shape[0], palette_name)
    size = k if k is not None else pal.shape[0] if pal is not None else 0
    # Ordered and pattern dithering onto a grid palette (RGB565's 65,536 entries) work
    # channel by channel, at any size (:mod:`~quantize.reconstruct.grid`); the output's
    # format is checked as for the undithered mapping.
    if strength and size > MAX_PALETTE and not (strength in POSITIONAL and k is None
                                                and grid_of(pal) is not None):
        given = f"a palette of {size}" if k is None else f"n_colors={size}"
        shown = (dither if isinstance(dither, bool | str)
                 else shown_number(strength))  # as given
        raise ValueError(f"dither={shown} supports at most {MAX_PALETTE} "
                         f"colours, got {given}{choose_fewer_advice(k is None)}")
    fixed = check_fixed_colors(fixed_colors, k if k is not None or q is None else MAX_PALETTE,
                               fixed_name)
    if fixed is not None and palette is not None and k is None:
        raise ValueError(f"{fixed_shown(fixed_name, fixed_colors)} goes with a fit, or with "
                         f"n_colors=K beside {palette_name} (entries pinned among those "
                         f"chosen), not with {palette_name} alone: give the fixed colours as "
                         "the palette's own entries")
    return Options(k, q, space, strength, exact, pal, clear_at=clear_at, quality_limit=limit,
                   fixed_colors=fixed)


def fixed_hex(fixed: np.ndarray | None, given: Any = None) -> list[str] | None:
    """Checked fixed colours (:func:`check_fixed_colors`) as ``#rrggbb`` strings, as records
    and settings hold them, or None; each keeps the name of the colour ``given`` for it
    (the value checked, whose :class:`~quantize.reduce.fit.NamedColor` items a palette
    file named: :func:`~quantize.reduce.fit.fixed_names`).

    >>> fixed_hex(np.array([[255, 0, 255]], np.uint8))
    ['#ff00ff']
    >>> fixed_hex(np.array([[255, 0, 255]], np.uint8), [NamedColor("magenta", "Key")])[0].label
    'Key'
    """
    if fixed is None:
        return None
    hexes = ["#" + bytes(int(v) for v in row).hex() for row in fixed]
    names = fixed_names(given)
    return [NamedColor(h, n) for h, n in zip(hexes, names, strict=True)] if names else hexes


def check_quality_limit(quality_limit: Any, quality: float | None) -> float | None:
    """``quality_limit``, a number > 0 and at least ``quality`` (checked already), which it
    needs beside it: the bound that the result with all the colours allowed must still
    meet when ``quality`` is out of their reach. None when not given.

    >>> check_quality_limit(None, None), check_quality_limit(3, 1.0)
    (None, 3.0)
    >>> check_quality_limit(3, None)
    Traceback (most recent call last):
    ...
    ValueError: quality_limit=3 needs quality=Q beside it: it bounds the result kept when Q \
is out of reach
    >>> check_quality_limit(0.5, 2.0)
    Traceback (most recent call last):
    ...
    ValueError: quality_limit=0.5 should be >= quality=2
    """
    if quality_limit is None:
        return None
    limit = check_float(quality_limit, "quality_limit")
    if limit <= 0:
        raise ValueError(f"quality_limit={quality_limit} should be > 0")
    if quality is None:
        raise ValueError(f"quality_limit={quality_limit} needs quality=Q beside it: it bounds "
                         "the result kept when Q is out of reach")
    if limit < quality:
        raise ValueError(f"quality_limit={quality_limit} should be >= "
                         f"quality={shown_number(quality)}")
    return as_typed(quality_limit, limit)


def check_palette_alone(name: str, palette: Any, n_colors: Any, quality: Any,
                        exact_colors: Any) -> None:
    """Refuse ``quality`` or ``exact_colors`` beside a given palette, which fixes the
    colours: the one check of this rule, for every entry point. ``n_colors`` goes with
    it: the best ``n_colors`` of its entries are chosen (:func:`check_subset_size`), so
    the refusal of ``quality`` says to give that instead.

    ``name`` is the palette's parameter, named with its value when it is a
    path. An option left out is None (``exact_colors`` may be False).

    >>> check_palette_alone("palette_in", "p.hex", 4, None, False)
    >>> check_palette_alone("palette_in", "p.hex", None, 2.0, False)
    Traceback (most recent call last):
    ValueError: palette_in='p.hex' fixes the colours, so quality=2 cannot be given with it; \
to map onto fewer of them, give n_colors=N, the best N of its entries
    """
    given = [f"{key}={_shown(value)}" for key, value in (("quality", quality),
                                                         ("exact_colors", exact_colors))
             if value is not None and value is not False]
    if palette is None or not given:
        return
    label = f"{name}={quoted(palette)}" if isinstance(palette, str | os.PathLike) else name
    advice = ("; to map onto fewer of them, give n_colors=N, the best N of its entries"
              if quality is not None and n_colors is None else "")
    raise ValueError(f"{label} fixes the colours, so {' and '.join(given)} cannot be given "
                     f"with it{advice}")


def check_subset_size(n_colors: int, size: int, name: str) -> None:
    """Refuse a checked ``n_colors`` beside a given palette of ``size`` distinct visible
    entries (:func:`visible_entries`), named ``name``, that it has not so many of: the best
    ``n_colors`` of them are chosen for the image.

    >>> check_subset_size(4, 8, "palette")
    >>> check_subset_size(9, 8, "palette_in='threads.gpl'")
    Traceback (most recent call last):
    ValueError: n_colors=9 is more than palette_in='threads.gpl' has: 8 colours; expected \
at most 8, the number of its entries to map onto
    """
    if n_colors > size:
        raise ValueError(f"n_colors={n_colors} is more than {name} has: {size} "
                         f"{'colour' if size == 1 else 'colours'}; expected at most {size}, "
                         "the number of its entries to map onto")


def choose_fewer_advice(palette_given: bool, room: int = MAX_PALETTE) -> str:
    """How a refusal of a given palette of more colours than an output or dithering holds
    (``room``) ends: give ``n_colors``, at most ``room``, to choose the best of its entries,
    which the output numbers anew (:meth:`~quantize.reduce.file_job.FileJob.with_chosen_entries`).

    >>> choose_fewer_advice(True)
    '; give n_colors=N (N <= 256) to map onto the best N of its entries, which picks N of \
them and renumbers them from 0 (entry i of the palette is then not index i)'
    >>> choose_fewer_advice(False)
    ''
    """
    if not palette_given:
        return ""
    return (f"; give n_colors=N (N <= {room}) to map onto the best N of its entries, which "
            "picks N of them and renumbers them from 0 (entry i of the palette is then not "
            "index i)")


def refuse_animation_subset(n_colors: int | None, palette_in: Any) -> None:
    """Refuse ``n_colors`` beside ``palette_in`` for an animation (or a TIFF of several
    pages): the best entries of a palette are chosen for a still image.

    >>> refuse_animation_subset(8, "threads.gpl")
    Traceback (most recent call last):
    ValueError: n_colors=8 with palette_in='threads.gpl': the best entries of a palette are \
chosen for a still image, and the input is an animation (or a TIFF of several pages); \
expected a still, or no n_colors (every entry of the palette)
    """
    if n_colors is not None and palette_in is not None:
        raise ValueError(f"n_colors={n_colors} with {palette_in_name(palette_in)}: the best "
                         "entries of a palette are chosen for a still image, and the input is "
                         "an animation (or a TIFF of several pages); expected a still, or no "
                         "n_colors (every entry of the palette)")


def _shown(value: Any) -> str:
    """An option's value as given: a number as a person writes it (``quality=2``, which
    the check made 2.0), anything else by its repr."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return shown_number(value)
    return repr(value)


def visible_entries(palette: np.ndarray) -> np.ndarray:
    """The entries of a checked palette that are mapped onto and written: its visible ones
    (alpha above 0), each colour once, at its first index, in the palette's order.

    Fully transparent entries all draw nothing, so they are one entry: the
    result's own transparent entry, which fully transparent pixels take (last,
    not counted among the colours). A palette exported with index 0 transparent
    thus maps an image with transparency without a second transparent entry. A
    palette of fully transparent entries alone (that of a fully transparent
    image) becomes empty, which only an image without visible pixels can be
    mapped onto. A repeat of a colour would take no pixel (each takes the first
    entry of its colour), as the unused black entries padding an Adobe colour
    table would not: it is left out (:func:`warn_repeated_entries`).

    >>> pal = np.array([[9, 9, 9, 0], [0, 0, 0, 255], [5, 5, 5, 255], [0, 0, 0, 255]],
    ...                np.uint8)
    >>> visible_entries(pal).tolist()
    [[0, 0, 0, 255], [5, 5, 5, 255]]
    """
    if palette.shape[1] == 4 and not palette[:, 3].all():
        palette = palette[palette[:, 3] > 0]
    return first_rows(palette)


def too_many_colors(what: str, k: int, holder: str, room: int, why: str = "") -> str:
    """The one wording of ``k`` colours, asked by ``what`` (``"n_colors"``, or the palette
    as :func:`palette_in_name` names it), more than ``holder`` holds: at most ``room``;
    ``why`` ends it. A still's indexed output and an animation are refused in it alike.

    >>> too_many_colors("n_colors", 300, "an animation", 256)
    'n_colors=300 is more than an animation holds: at most 256 colours'
    >>> too_many_colors("palette_in='p.hex'", 300, "a palette image", 256)
    "palette_in='p.hex' holds 300 colours, more than a palette image holds: at most 256 colours"
    """
    subject = f"{what}={k} is" if what == "n_colors" else f"{what} holds {k} colours,"
    return f"{subject} more than {holder} holds: at most {room} colours{why}"


def kept_for_transparency(given_palette: bool) -> str:
    """The end of :func:`too_many_colors`'s line for a palette that leaves no room for the
    entry of the transparent pixels; ``given_palette``: the colours are ``palette_in``'s,
    and one of its own entries, made transparent, would be that entry, every entry keeping
    its index: the ways a palette file marks one so (:func:`clear_entry_at`).

    >>> kept_for_transparency(False)
    ' (one entry is kept for the transparent pixels)'
    """
    if not given_palette:
        return " (one entry is kept for the transparent pixels)"
    return (" (one entry is kept for the transparent pixels, unless one of the palette's own "
            "is transparent, which they take, every entry keeping its index: alpha 0, as "
            "rrggbb00 in .hex, R G B 0 in .pal, 00rrggbb in .txt, \"alpha\": 0 in .json, "
            "R G B 0 after a 'Channels: RGBA' line in .gpl, or an .act of 772 bytes whose "
            "transparent index names it)")


def palette_in_name(palette_in: Any) -> str:
    """``palette_in`` as its errors name it: ``palette_in='brand.hex'`` for a palette file,
    plain ``palette_in`` for an array (a still's job and an animation's alike).

    >>> palette_in_name("brand.hex"), palette_in_name([[0, 0, 0]])
    ("palette_in='brand.hex'", 'palette_in')
    """
    if isinstance(palette_in, str | os.PathLike):
        return f"palette_in={quoted(palette_in)}"
    return "palette_in"


def read_palette_in(path: str | os.PathLike[str]) -> np.ndarray:
    """The ``palette_in`` file ``path`` as :func:`~quantize.palette_files.read_palette`
    reads it, without its :class:`~quantize.palette_files.TransparentIndexWarning`: a
    file's job says that once it has mapped onto the palette
    (:func:`warn_transparent_entries`), naming the palette as its other messages do."""
    return read_palette(path, warn_transparent_index=False)


def read_palette_in_named(path: str | os.PathLike[str]) -> tuple[np.ndarray, PaletteNames]:
    """The ``palette_in`` file ``path`` as :func:`read_palette_in` reads it, and the names
    it gives the palette and its entries
    (:func:`~quantize.palette_files.read_palette_names`), from one read of the file
    (:func:`~quantize.palette_files.read_named_palette`): a still's job reads both."""
    return read_named_palette(path, warn_transparent_index=False)


def read_palette_in_once(path: str | os.PathLike[str]) -> np.ndarray:
    """The ``palette_in`` palette, ``(k, 3)`` or ``(k, 4)`` uint8, read once before any
    job (``quantize reduce`` and ``batch``, and a planned batch), so that a bad file is
    named once.

    Every file's job reads the file again: a pipe or device is refused (a second read of
    a pipe waits for a writer for ever), and the file's format warnings are left for the
    jobs to say, each on its file's line.
    """
    from ..io import require_regular_file

    require_regular_file(path, "palette_in")
    with warnings_held((PaletteFormatWarning,)):  # dropped
        return read_palette(path)


def read_fixed_colors(path: str | os.PathLike[str]) -> list[str]:
    """The colours of the palette file ``path`` given as ``fixed_colors``, in its order, as
    ``#rrggbb`` (``#rrggbbaa`` when not opaque, which :func:`check_fixed_colors` refuses),
    each a :class:`~quantize.reduce.fit.NamedColor` holding the name the file gives it
    (.gpl, .json, .css, .ase), which the palette files written keep; read once, as
    :func:`read_palette_in_once` reads a ``palette_in``."""
    from ..io import require_regular_file

    require_regular_file(path, "fixed_colors")
    with warnings_held((PaletteFormatWarning,)):  # dropped
        palette, names = read_named_palette(path)
    labels = names.entries or (None,) * len(palette)
    return [NamedColor("#" + bytes(int(v) for v in row[:3]).hex()
                       + ("" if row.shape[0] == 3 or row[3] == 255 else f"{int(row[3]):02x}"),
                       labels[i] if i < len(labels) else None)
            for i, row in enumerate(palette)]


def fixed_colors_read(fixed_colors: Any) -> Any:
    """``fixed_colors`` with each palette file given among them (a str or path whose name
    ends as a palette file's or a palette image's) replaced by its colours
    (:func:`read_fixed_colors`); as given when it names none.

    >>> fixed_colors_read(["red", (0, 0, 255)])
    ['red', (0, 0, 255)]
    """
    from ..palette_files import PALETTE_FORMATS, PALETTE_IMAGE_FORMATS

    endings = (*PALETTE_FORMATS, *PALETTE_IMAGE_FORMATS)
    items = [fixed_colors] if isinstance(fixed_colors, str | os.PathLike) else fixed_colors
    if fixed_colors is None or isinstance(fixed_colors, np.ndarray) or not any(
            isinstance(item, str | os.PathLike) and os.fspath(item).lower().endswith(endings)
            for item in items):
        return fixed_colors
    out: list[Any] = []
    for item in items:
        named = isinstance(item, str | os.PathLike) and os.fspath(item).lower().endswith(endings)
        out += read_fixed_colors(item) if named else [item]
    return out


def read_palette_in_noted(path: str | os.PathLike[str]) -> np.ndarray | None:
    """The ``palette_in`` file ``path`` as its jobs read it (:func:`read_palette_in`),
    warning of how it is read (:class:`~quantize.palette_files.PaletteReadWarning`: a
    grid's gap colour, an .act's black tail left out), the same for every job, and of
    nothing else, which the jobs say; None when it cannot be read, which each job names.
    For saying the palette's own warnings once, before the jobs, which leave them out.
    The others are dropped in this thread alone (:func:`~quantize.errors.warnings_held`);
    Pillow's own, of reading a swatch image, are given (each job gives them too)."""
    with warnings_held(given=(PaletteReadWarning,)):
        try:
            return read_palette_in(path)
        except ImageReadError:
            return None


def warn_transparent_entries(given: Any, palette: np.ndarray, name: str) -> None:
    """Warn (:class:`~quantize.errors.PaletteInWarning`) that an entry a ``palette_in`` file
    marks transparent apart from its colour (an Adobe colour table's transparent index:
    :func:`~quantize.palette_files.transparent_index_note`) is not mapped onto: only the
    image's fully transparent pixels take it (the palette's first fully transparent entry
    is theirs), so its colour is lost if it was meant to be drawn. A black one, as quantize
    writes a transparent entry (``palette_out`` of an image with transparency given back),
    is said to lose nothing if it is one: the file cannot tell.

    ``given`` is ``palette_in`` as given, ``palette`` as read, ``name`` its name in
    messages. Other formats give alpha with each colour: an entry written with alpha 0
    is meant transparent, and is left out without a word. So is the transparent entry
    of a fully transparent image's palette, as ``palette_out`` writes it
    (:func:`~quantize.palette_files.is_clear_image_palette`): no colour is lost.
    """
    note = transparent_index_note(given) if isinstance(given, str | os.PathLike) else None
    if note is None or palette.shape[1] != 4 or is_clear_image_palette(palette):
        return
    for i in np.flatnonzero(palette[:, 3] == 0):  # at most one: the file marks one index
        colour = "#{:02x}{:02x}{:02x}".format(*(int(v) for v in palette[i, :3]))
        # black is how quantize (and most writers) fill a transparent entry's colour
        lost = (" (no colour is lost if it is an image's transparent entry, which quantize "
                "writes #000000)" if colour == "#000000" else "")
        warn_caller(f"{name} marks index {int(i)} transparent ({note}), so its colour "
                    f"{colour} is not mapped onto: only fully transparent pixels take that "
                    f"entry{lost}", PaletteInWarning)


def warn_repeated_entries(palette: np.ndarray, name: str, used: np.ndarray | None = None,
                          category: type[Warning] = PaletteInWarning) -> None:
    """Warn (``category``: :class:`~quantize.errors.PaletteInWarning`, or an animation's
    :class:`~quantize.errors.PaletteRepeatWarning`) that a checked ``palette`` to map
    onto (or the colour table of a palette image, ``used`` saying which of its entries the
    pixels take: the others are not read) repeats a visible colour, or a fully transparent
    entry (alpha 0, whatever its colour), before one of its other colours: each colour is
    kept once, at its first index (:func:`visible_entries`), and the fully transparent
    entries are one (at the first one's index: :func:`clear_entry_at`), so the colours
    after a repeat take lower indices than the palette gives them. Repeats after the
    palette's last colour (the black entries padding an Adobe colour table) move none, and
    are left out without a word: the output is named and said to have the colours it
    holds. ``name`` names the palette in the message.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     warn_repeated_entries(np.array([[0, 0, 0], [0, 0, 0], [9, 9, 9]], np.uint8), "p")
    >>> print(said[0].message)
    p repeats colours: index 1 (#000000) as index 0; each colour is kept once, so its 3 \
entries give 2 colours, and those after index 1 take lower indices
    """
    shown = np.arange(len(palette)) if used is None else np.flatnonzero(used)
    first, repeats = _repeats(palette, shown)
    if not repeats or repeats[0][0] > max(first.values()):  # no colour moves
        return
    warn_caller(f"{name} repeats colours: {_repeats_said(repeats)}; each colour is kept "
                f"once, so its {len(shown)} entries give {_distinct(first)}, and those after "
                f"index {repeats[0][0]} take lower indices", category)


def warn_unused_repeats(given: Any, palette: np.ndarray, name: str) -> None:
    """Warn (:class:`~quantize.errors.PaletteInWarning`) that a ``palette_in`` a still is
    mapped onto repeats a colour (a fully transparent entry too, whatever its colour): the
    still's output keeps every entry at its index, and each pixel takes the first entry of
    its colour, so no pixel takes a repeat, and the output has fewer colours than the
    palette has entries (said of it, without a word, before). The entries of a palette
    image's colour table that no pixel of it takes are not read as repeats
    (:func:`~quantize.palette_files.palette_image_table`: an encoder's, not the palette's),
    nor is a run of one colour at the end of a palette whose file states no count, which
    the output holds once (:func:`held_entries`).

    ``given`` is ``palette_in`` as given, ``palette`` as read, ``name`` its name.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     warn_unused_repeats(None, np.array([[0, 0, 0], [9, 9, 9], [0, 0, 0]], np.uint8),
    ...                         "p")
    >>> print(said[0].message)
    p repeats colours: index 2 (#000000) as index 0; each pixel takes the first index of \
its colour, so no pixel takes index 2, and its 3 entries give 2 colours
    """
    table = palette_image_table(given) if isinstance(given, str | os.PathLike) else None
    begins = table is not None and _begins(table[0], palette)  # each entry read at its index
    palette = held_entries(palette, given)  # as the output holds it
    shown = np.flatnonzero(table[1][:len(palette)]) if begins else np.arange(len(palette))
    first, repeats = _repeats(palette, shown)
    if not repeats:
        return
    unused = [i for i, _ in repeats]
    indices = (f"index {unused[0]}" if len(unused) == 1 else
               f"indices {', '.join(map(str, unused[:3]))}{' ...' if len(unused) > 3 else ''}")
    warn_caller(f"{name} repeats colours: {_repeats_said(repeats)}; each pixel takes the first "
                f"index of its colour, so no pixel takes {indices}, and its {len(shown)} "
                f"entries give {_distinct(first)}", PaletteInWarning)


def held_entries(palette: np.ndarray, given: Any) -> np.ndarray:
    """The checked ``palette`` as a still's indexed output holds it, every entry at its
    index: ``given`` (``palette_in`` as given) a file that states its count
    (:func:`~quantize.palette_files.states_count`: a JASC .pal, an .act of 772 bytes), each
    entry it gives, as it says; else a padding at its end kept once
    (:func:`without_padding_repeats`).

    >>> pal = np.array([[9, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]], np.uint8)
    >>> len(held_entries(pal, "tiles.pal")), len(held_entries(pal, "tiles.hex"))
    (4, 2)
    """
    if isinstance(given, str | os.PathLike) and states_count(given):
        return palette
    return without_padding_repeats(palette)


def without_padding_repeats(palette: np.ndarray) -> np.ndarray:
    """The checked ``palette`` as a still's indexed output holds it, every entry at its
    index, but a run of one colour (and alpha) at its end of three entries or more, the
    padding of a table filled to 256, kept once. Two alike at the end are both kept, as
    any repeated colour is.

    >>> without_padding_repeats(np.array([[9, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]],
    ...                                  np.uint8)).tolist()
    [[9, 0, 0], [0, 0, 0]]
    >>> len(without_padding_repeats(np.array([[9, 0, 0], [0, 0, 0], [0, 0, 0]], np.uint8)))
    3
    """
    # Not the rule of palette_files._without_padding, which drops a palette image's
    # trailing run of two or more entries that no pixel of that image takes: there the
    # pixels tell the table's padding (an encoder's) from the palette. Here no pixels do:
    # the palette is what the user gave, every entry at its index, whichever the image
    # being mapped takes; a colour repeated twice at the end may be meant, and a run kept
    # once still holds the colour. So: three alike or more, kept once.
    end = palette.shape[0]
    while end > 1 and (palette[end - 2] == palette[-1]).all():
        end -= 1
    return palette[:end] if palette.shape[0] - end >= 2 else palette


def _begins(table: np.ndarray, palette: np.ndarray) -> bool:
    """Whether the ``(n, 4)`` colour ``table`` begins with the checked ``palette``'s
    entries (opaque when it has no alpha)."""
    if table.shape[0] < palette.shape[0]:
        return False
    head = table[:palette.shape[0]]
    return bool((head if palette.shape[1] == 4 else head[:, :3]).tolist() == palette.tolist()
                and (palette.shape[1] == 4 or (head[:, 3] == 255).all()))


def _repeats(palette: np.ndarray, shown: np.ndarray
             ) -> tuple[dict[bytes, int], list[tuple[int, str]]]:
    """The first index of each colour among the entries ``shown`` of a checked
    ``palette`` (every fully transparent entry one, keyed ``b""``), and each entry that
    repeats one, with its words (``index 3 (#000000) as index 0``), in index order."""
    clear = palette[:, 3] == 0 if palette.shape[1] == 4 else np.zeros(len(palette), bool)
    first: dict[bytes, int] = {}
    repeats: list[tuple[int, str]] = []
    for i in shown:
        key = b"" if clear[i] else palette[i].tobytes()  # every fully transparent entry alike
        if key in first:
            repeats.append((int(i), f"index {int(i)} ({entry_hex(palette[i])}) as index "
                                    f"{first[key]}"))
        else:
            first[key] = int(i)
    return first, repeats


def _repeats_said(repeats: list[tuple[int, str]]) -> str:
    """The first three repeats of :func:`_repeats`, and how many more."""
    more = f" and {len(repeats) - 3} more" if len(repeats) > 3 else ""
    return ", ".join(text for _, text in repeats[:3]) + more


def _distinct(first: dict[bytes, int]) -> str:
    """The colours of :func:`_repeats`'s ``first``, in words (``3 colours``)."""
    colours = len(first) - (b"" in first)
    return ("1 colour" if colours == 1 else f"{colours} colours") + \
        (" and one fully transparent entry" if b"" in first else "")


def gif_entries(palette: np.ndarray) -> tuple[np.ndarray, int]:
    """The RGB ``(n, 3)`` of the entries of a checked RGBA ``palette`` that a GIF (or any
    animation, whose transparency is binary) draws, opaque: those of alpha at least
    :data:`~quantize.io.GIF_ALPHA_THRESHOLD`, each colour once, at its first index; and
    how many were translucent (alpha 1..254), made opaque or left out, for the caller's
    warning.

    >>> pal = np.array([[1, 2, 3, 255], [4, 5, 6, 200], [7, 8, 9, 100], [0, 0, 0, 0]],
    ...                dtype=np.uint8)
    >>> drawn, translucent = gif_entries(pal)
    >>> drawn.tolist(), translucent
    ([[1, 2, 3], [4, 5, 6]], 2)
    """
    alpha = palette[:, 3]
    translucent = int(np.count_nonzero((alpha > 0) & (alpha < 255)))
    drawn = np.ascontiguousarray(palette[alpha >= GIF_ALPHA_THRESHOLD, :3])
    return first_rows(drawn), translucent


def opaque_repeats(palette: np.ndarray) -> str:
    """The words of a warning that entries of a checked RGBA ``palette`` become one colour
    once made opaque, as a GIF or an animation draws them (:func:`gif_entries`: each
    colour is then kept once), in the style of :func:`warn_repeated_entries`; "" when
    none do. An entry repeating another whole (alpha too) is left to that warning.

    >>> pal = np.array([[0, 0, 0, 255], [0, 0, 0, 200], [9, 9, 9, 255]], np.uint8)
    >>> opaque_repeats(pal)
    'index 1 (#000000c8) is then the colour of index 0 (#000000), each colour kept once: 2 \
colours are drawn'
    """
    first: dict[bytes, int] = {}
    whole: set[bytes] = set()
    merged = []
    for i in np.flatnonzero(palette[:, 3] >= GIF_ALPHA_THRESHOLD):
        j = first.setdefault(palette[i, :3].tobytes(), int(i))
        if j != i and palette[i].tobytes() not in whole:
            merged.append(f"index {int(i)} ({entry_hex(palette[i])}) is then the colour "
                          f"of index {j} ({entry_hex(palette[j])})")
        whole.add(palette[i].tobytes())
    if not merged:
        return ""
    more = f" and {len(merged) - 3} more" if len(merged) > 3 else ""
    drawn = "1 colour is" if len(first) == 1 else f"{len(first)} colours are"
    return f"{', '.join(merged[:3])}{more}, each colour kept once: {drawn} drawn"


def entries_drawn(palette: np.ndarray, *, animated: bool, partial_alpha: bool = False) -> int:
    """How many entries of a checked palette an output draws, which its table must hold.

    A still image keeps every visible entry (:func:`visible_entries`), and so does an
    animation written where partial alpha is kept (``partial_alpha``: an APNG, a WebP, a
    TIFF's pages) when :func:`keeps_translucent_entries`; otherwise an animation, whose
    transparency is binary, draws those of alpha at least
    :data:`~quantize.io.GIF_ALPHA_THRESHOLD` and drops the others; a colour
    repeated is kept once.

    >>> pal = np.array([[0, 0, 0, 255], [9, 9, 9, 64], [5, 5, 5, 0]], dtype=np.uint8)
    >>> entries_drawn(pal, animated=False), entries_drawn(pal, animated=True)
    (2, 1)
    >>> entries_drawn(pal, animated=True, partial_alpha=True)
    2
    """
    if animated and palette.shape[1] == 4 and not (partial_alpha
                                                   and keeps_translucent_entries(palette)):
        return gif_entries(palette)[0].shape[0]
    return visible_entries(palette).shape[0]


def keeps_translucent_entries(palette: np.ndarray) -> bool:
    """Whether an animation written where partial alpha is kept (an APNG, a WebP, a TIFF's
    pages) is mapped onto the checked ``palette`` with its translucent entries (alpha
    1..254), as a still is: it has some, and its visible entries (:func:`visible_entries`)
    leave room for the transparent one (fewer than :data:`MAX_PALETTE`). Otherwise its
    frames draw the entries :func:`gif_entries` gives, opaque.

    >>> pal = np.array([[0, 0, 0, 255], [9, 9, 9, 64], [5, 5, 5, 0]], np.uint8)
    >>> keeps_translucent_entries(pal), keeps_translucent_entries(pal[[0, 2]])
    (True, False)
    """
    if palette.shape[1] != 4:
        return False
    alpha = palette[:, 3]
    return bool(((alpha > 0) & (alpha < 255)).any()) and len(visible_entries(palette)) < MAX_PALETTE


def clear_entry_at(palette: np.ndarray, *, animated: bool) -> int:
    """The index a palette image mapped onto a checked ``palette`` gives its fully transparent
    pixels' entry: that of the palette's first fully transparent entry (alpha 0) among the
    entries drawn (:func:`entries_drawn`, the others following it), so that a palette whose
    entries before it are all drawn keeps every index. For a palette with none, it is added
    after the entries drawn, as a still's and an animation's frames have it (0, the
    first, when that would be a 257th entry). (An image with no fully
    transparent pixel has no such entry: the entries after it then take one index less.)

    >>> pal = np.array([[9, 9, 9, 255], [5, 5, 5, 64], [0, 0, 0, 0], [1, 1, 1, 255]],
    ...                np.uint8)
    >>> clear_entry_at(pal, animated=False), clear_entry_at(pal, animated=True)
    (2, 1)
    >>> clear_entry_at(pal[:2], animated=False), clear_entry_at(pal[:2], animated=True)
    (2, 1)
    """
    if palette.shape[1] != 4 or palette[:, 3].all():
        drawn = entries_drawn(palette, animated=animated)
        return drawn if drawn < MAX_PALETTE else 0
    first = int(np.flatnonzero(palette[:, 3] == 0)[0])
    return entries_drawn(palette[:first], animated=animated)


def check_palette_draws(palette: np.ndarray, image_alpha: np.ndarray | None,
                        name: str = "palette", *, any_image: bool = False) -> None:
    """Refuse a palette of no visible entry (see :func:`visible_entries`) for an image
    with visible pixels; with ``any_image``, before any image is read, for every image a
    run may map onto it (``quantize batch``), as only one without visible pixels can be.

    >>> check_palette_draws(np.zeros((0, 4), np.uint8), None, "p", any_image=True)
    Traceback (most recent call last):
    ValueError: p has only fully transparent entries (alpha 0), which only an image \
without visible pixels can be mapped onto; expected at least one visible colour
    """
    if palette.shape[0] == 0 and (any_image or image_alpha is None or image_alpha.any()):
        why = ("which only an image without visible pixels can be mapped onto" if any_image
               else "but the image has visible pixels")
        raise ValueError(f"{name} has only fully transparent entries (alpha 0), {why}; "
                         "expected at least one visible colour")


#: How the warning of :func:`warn_palette_without_alpha` ends for a palette read from a
#: file: a caller that wrote that file itself (a batch's shared palette) says another way.
PALETTE_FILE_ALPHA_ADVICE = (f"give the palette alpha ({PALETTE_ALPHA_HINT}, or translucent "
                             "pixels in a .png image: RGBA, or indexed with a tRNS chunk) to "
                             "keep it")


def warn_palette_without_alpha(palette: np.ndarray, image_alpha: np.ndarray | None,
                               name: str = "palette", *, from_file: bool = False) -> None:
    """Warn (:class:`AlphaLossWarning`) when translucent pixels are mapped onto a checked
    palette with no translucent entry: each is then drawn opaque or fully transparent.

    ``from_file``: the palette was read from a file, whose formats the advice names.
    """
    if image_alpha is None:
        return
    if palette.shape[1] == 4 and ((palette[:, 3] > 0) & (palette[:, 3] < 255)).any():
        return
    n = int(np.count_nonzero((image_alpha > 0) & (image_alpha < 255)))
    if n:
        advice = PALETTE_FILE_ALPHA_ADVICE if from_file else \
            "give the palette alpha (a fourth column) to keep it"
        warn_caller(f"{100 * n / image_alpha.size:.3g}% of the pixels are translucent but "
                    f"{name} has no translucent entry, so they are drawn opaque or "
                    f"transparent; {advice}", AlphaLossWarning)


# A given palette whose mapping's mean CIEDE2000 from the image is over FAR_DELTA_E is said
# to be far. The 8 tab10 series colours of matplotlib given as the palette of its charts
# (line, bar, heatmap, scatter; 900 x 600) gave 26.1-34.3, the white background drawn pink.
# Onto a palette chosen for the look, seven photos (china, flower, astronaut, coffee,
# chelsea, rocket, motorcycle) gave 9.6-19.5 onto PICO-8's 16 colours, 11.6-22.9 onto 4
# greys, 15.7-27.9 onto the 8 primaries and secondaries, 9.0-25.0 onto the 16 colours fitted
# to another of them: at 20, no photo onto PICO-8 is warned, every chart onto its series
# colours is, with a margin of 6. Looks far from the image's are warned though meant: black
# and white onto chelsea gave 35.3, a Game Boy's 4 greens onto a grey ramp 28.5.
FAR_DELTA_E = 20.0


def warn_palette_far(delta_e: float, name: str, fixed: Sequence[str] | None = None) -> None:
    """Warn (:class:`~quantize.errors.FarPaletteWarning`) when an image's mapping onto the
    given palette ``name`` has a mean CIEDE2000 ``delta_e`` over :data:`FAR_DELTA_E`. The
    advice is to give the colours to keep as fixed colours and fit the others; when
    ``fixed`` colours (``#rrggbb``, checked ``fixed_colors``) were given, pinned among the
    palette's entries, to give them without the palette.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     warn_palette_far(34.3, "palette_in='cat8.hex'")
    >>> print(said[0].message)
    palette_in='cat8.hex' is far from the image's colours: mean CIEDE2000 34.3 (over 20); \
to keep some colours exactly and fit the others, give those as fixed_colors=COLOUR instead
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     warn_palette_far(34.3, "palette_in='cat8.hex'", ["#000000"])
    >>> print(said[0].message)
    palette_in='cat8.hex' is far from the image's colours: mean CIEDE2000 34.3 (over 20); \
to keep fixed_colors=#000000 exactly and fit the others, give them without palette_in='cat8.hex'
    """
    if delta_e <= FAR_DELTA_E:
        return
    advice = ("give those as fixed_colors=COLOUR instead" if not fixed else
              f"give them without {name}")
    kept = "some colours" if not fixed else f"fixed_colors={','.join(fixed)}"
    warn_caller(f"{name} is far from the image's colours: mean CIEDE2000 {delta_e:.1f} "
                f"(over {FAR_DELTA_E:g}); to keep {kept} exactly and fit the others, {advice}",
                FarPaletteWarning)


def warn_fixed_fill(fixed: np.ndarray | None, k: int | None) -> None:
    """Warn (:class:`~quantize.errors.FarPaletteWarning`) when the checked ``fixed`` colours
    are all ``k`` entries of a fit: none is left to fit, every pixel takes a fixed colour.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     warn_fixed_fill(np.array([[0, 0, 0], [0, 0, 1]], np.uint8), 2)
    >>> print(said[0].message)
    fixed_colors=#000000,#000001 holds 2 colours and n_colors=2 leaves none to fit: every \
pixel takes a fixed colour; give n_colors=3 or more to fit the image's other colours
    """
    if fixed is None or k is None or fixed.shape[0] < k:
        return
    shown = ",".join(fixed_hex(fixed) or ())
    warn_caller(f"fixed_colors={shown} holds {fixed.shape[0]} colours and n_colors={k} leaves "
                "none to fit: every pixel takes a fixed colour; give "
                f"n_colors={fixed.shape[0] + 1} or more to fit the image's other colours",
                FarPaletteWarning)


# --------------------------------------------------------------------------
# Public: the file job's options
# --------------------------------------------------------------------------

_FILE_DEFAULTS: dict[str, Any] = {
    "n_colors": None, "quality": None, "quality_limit": None, "space": "rgb", "dither": 0.0,
    "exact_colors": False, "palette_in": None, "palette_fitted": False, "palette_out": None,
    "seed": 0, "force": False, "max_pixels": DEFAULT_MAX_PIXELS,
    "max_frames": DEFAULT_MAX_FRAMES, "skip_if_larger": False,
    "optimize": False, "palette": "global", "max_bytes": None, "matte": None, "strip": False,
    "keep_gps": False, "masks": None, "nodata": "tag", "fixed_colors": None,
    "intent": DEFAULT_INTENT, "nearest": False, "transparent_color": None,
    "stretch": False, "stretch_clip": 0.0, "stretch_curve": "linear",
    "stretch_softening": None, "stretch_range": None,
}

#: How an animation's frames get their colours: one palette for all, or one per frame (GIF,
#: or the pages of a TIFF).
PALETTE_MODES = ("global", "per-frame")
#: The outputs that hold a palette for each frame: a GIF's local colour tables, a TIFF
#: page's colour map; and how messages say it.
PER_FRAME_EXTENSIONS = (".gif", ".tif", ".tiff")
PER_FRAME_NEEDS = "a .gif or .tif output (a colour table for each frame)"


def check_palette_mode(palette: Any) -> str:
    """``palette``, the file job's animation palette mode, one of :data:`PALETTE_MODES`.

    ``reduce_colors(palette=...)`` takes colours; the file job takes them as
    ``palette_in``, so colours or a palette file given as ``palette`` are
    refused with a message that says so.

    Raises
    ------
    ValueError
        For anything but a name in :data:`PALETTE_MODES`.
    """
    if isinstance(palette, str) and palette in PALETTE_MODES:
        return palette
    valid = ", ".join(repr(c) for c in PALETTE_MODES)
    given = (f"palette={palette!r}" if isinstance(palette, str | None)
             else f"palette (a {type(palette).__name__})")
    raise ValueError(f"{given} is not valid; expected one of {valid} (how an "
                     "animation's frames get their colours); colours to map onto, or a "
                     "palette file, go in palette_in=...")


def refuse_animation_stretch(opts: dict[str, Any]) -> None:
    """Refuse a stretch (``opts`` checked by :func:`check_stretch_options`) for an
    animation, or a TIFF of several pages: a still image is stretched.

    >>> refuse_animation_stretch({"stretch": False})
    >>> refuse_animation_stretch({"stretch": True})
    Traceback (most recent call last):
    ValueError: stretch=True: the input is an animation (or a TIFF of several pages), and \
a stretch is of a still image; expected a still (a TIFF's page: quantize segment --page, or \
one page saved apart), or no stretch
    """
    if opts["stretch"]:
        raise ValueError("stretch=True: the input is an animation (or a TIFF of several "
                         "pages), and a stretch is of a still image; expected a still (a "
                         "TIFF's page: quantize segment --page, or one page saved apart), or "
                         "no stretch")


def refuse_animation_masks(masks: Any) -> None:
    """Refuse ``masks`` (the file job's folder of masks) for an animation, or a TIFF of
    several pages: masks are written of a still image.

    >>> refuse_animation_masks(None)
    >>> refuse_animation_masks("seps")
    Traceback (most recent call last):
    ValueError: masks='seps': the input is an animation (or a TIFF of several pages), and \
masks are written of a still image; expected a still, or no masks
    """
    if masks is not None:
        raise ValueError(f"masks={quoted(os.fspath(masks))}: the input is an animation (or a "
                         "TIFF of several pages), and masks are written of a still image; "
                         "expected a still, or no masks")


def refuse_animation_nodata(nodata: Any) -> None:
    """Refuse a ``nodata`` value given (not ``"tag"``, the default, nor None) for an
    animation, or a TIFF of several pages: no-data pixels are read of a still image.

    >>> refuse_animation_nodata("tag")
    >>> refuse_animation_nodata([0.0])
    Traceback (most recent call last):
    ValueError: nodata=0: the input is an animation (or a TIFF of several pages), and \
no-data pixels are read of a still image; expected a still, or no nodata
    """
    if nodata is not None and nodata != "tag":
        shown = ",".join(shown_number(v) for v in nodata)
        raise ValueError(f"nodata={shown}: the input is an animation (or a TIFF of several "
                         "pages), and no-data pixels are read of a still image; expected a "
                         "still, or no nodata")


#: ``transparent_color="edge"``: the entry of fully transparent pixels takes the mean
#: colour of the visible pixels next to them (:func:`~quantize.colors.edge_color`), as
#: "alpha bleeding" gives them, so that a renderer filtering without premultiplying draws
#: no dark outline.
EDGE = "edge"


def check_transparent_color(color: Any, name: str = "transparent_color"
                            ) -> tuple[int, int, int] | str | None:
    """``color``, the colour of the entry of fully transparent pixels (its alpha 0
    whatever is given), as ``(r, g, b)`` (a colour name, ``#rrggbb``, ``rgb(r,g,b)`` or
    three ints: :func:`~quantize._validation.check_color`), or :data:`EDGE`; None (black)
    stays None. Errors name ``name``.

    >>> check_transparent_color("#ff00ff"), check_transparent_color("edge")
    ((255, 0, 255), 'edge')
    >>> check_transparent_color("#ff00ff00")
    Traceback (most recent call last):
    ...
    ValueError: transparent_color='#ff00ff00' has alpha, which the entry takes as 0 \
whatever is given; expected a colour without it (red, cyan, ...) or #rrggbb, or 'edge' \
(the mean colour of the visible pixels next to the transparent ones)
    """
    if color is None or color == EDGE:
        return color
    try:
        return check_color(color, name, opaque="which the entry takes as 0 whatever is given")
    except ValueError as exc:
        raise ValueError(f"{exc}, or {EDGE!r} (the mean colour of the visible pixels next to "
                         "the transparent ones)") from None


def refuse_animation_transparent_color(color: Any) -> None:
    """Refuse ``transparent_color`` given for an animation, or a TIFF of several pages:
    the colour of the entry of transparent pixels is chosen for a still image.

    >>> refuse_animation_transparent_color(None)
    >>> refuse_animation_transparent_color((255, 0, 255))
    Traceback (most recent call last):
    ValueError: transparent_color='#ff00ff': the input is an animation (or a TIFF of \
several pages), and the colour of the transparent entry is chosen for a still image; \
expected a still, or no transparent_color
    """
    if color is not None:
        shown = color if isinstance(color, str) else "#" + bytes(color).hex()
        raise ValueError(f"transparent_color={shown!r}: the input is an animation (or a TIFF "
                         "of several pages), and the colour of the transparent entry is "
                         "chosen for a still image; expected a still, or no "
                         "transparent_color")


def check_reduce_options(**options: Any) -> dict[str, Any]:
    """Validate :func:`~quantize.reduce.reduce_file`'s keyword options and fill the defaults.

    Parameters
    ----------
    **options
        Any of ``n_colors``, ``quality``, ``quality_limit``, ``space``, ``dither``,
        ``exact_colors``, ``palette_in``, ``palette_fitted``, ``palette_out``, ``seed``,
        ``force``, ``max_pixels``, ``max_frames``, ``skip_if_larger``, ``optimize``,
        ``palette``,
        ``max_bytes``, ``matte``, ``strip``, ``keep_gps``, ``masks``, ``nodata``,
        ``fixed_colors``, ``intent``, ``nearest``, ``transparent_color``, ``stretch``,
        ``stretch_clip``, ``stretch_curve``, ``stretch_softening``, ``stretch_range``.

    Returns
    -------
    dict
        Every option, checked: ``dither`` as a float strength (or "ordered"), ``n_colors``
        filled with the default 16 when neither ``quality`` nor ``palette_in``
        is given (with ``max_bytes``, 256: its search's most), ``max_bytes`` as an int of bytes
        (:func:`~quantize.reduce.budget.check_max_bytes`), ``matte`` as ``(r, g, b)`` (or
        None), ``nodata`` as a list of numbers, "tag" or None
        (:func:`~quantize.io.nodata_setting`), ``fixed_colors`` as a list of ``#rrggbb``
        (or None; :func:`check_fixed_colors`), ``transparent_color`` as ``(r, g, b)``,
        ``"edge"`` or None (:func:`check_transparent_color`), ``stretch`` true when any
        of the stretch options asks for one (:func:`check_stretch_options`). Palette files
        are not read here, but for ``fixed_colors`` given as one (:func:`fixed_colors_read`),
        whose colours keep its names (:class:`~quantize.reduce.fit.NamedColor`).

    Raises
    ------
    TypeError
        For an unknown option name or a value of the wrong type.
    ValueError
        For a bad value or a combination that cannot work.

    Examples
    --------
    >>> opts = check_reduce_options(dither=True)
    >>> opts["n_colors"], opts["dither"], opts["space"]
    (16, 1.0, 'rgb')
    """
    check_option_names(options, _FILE_DEFAULTS, "reduce")
    opts = {**_FILE_DEFAULTS, **options}
    opts["fixed_colors"] = fixed_colors_read(opts["fixed_colors"])  # a palette file's colours
    pal_in = opts["palette_in"]
    palette = None
    if isinstance(pal_in, str | os.PathLike):
        check_palette_path(pal_in, "palette_in", images=True)
    elif pal_in is not None:
        palette = check_palette(pal_in, "palette_in", pillow_forms=True)
    check_palette_alone("palette_in", pal_in, opts["n_colors"], opts["quality"],
                        opts["exact_colors"])
    if opts["fixed_colors"] is not None and pal_in is not None and opts["n_colors"] is None:
        raise ValueError(f"{fixed_shown('fixed_colors', opts['fixed_colors'])} goes with a "
                         f"fit, or with n_colors=K beside {palette_in_name(pal_in)} (entries "
                         f"pinned among those chosen), not with {palette_in_name(pal_in)} "
                         "alone: give the fixed colours as the palette's own entries")
    checked = check_options(opts["n_colors"], opts["quality"], opts["space"], opts["dither"],
                            opts["exact_colors"], palette, opts["quality_limit"],
                            "palette_in", opts["fixed_colors"])
    opts["fixed_colors"] = fixed_hex(checked.fixed_colors, opts["fixed_colors"])
    if opts["palette_out"] is not None:
        refuse_stream_output(opts["palette_out"])
        check_palette_path(opts["palette_out"], "palette_out")
        if checked.n_colors is not None and checked.quality is None:
            check_palette_out_holds(opts["palette_out"], checked.n_colors,
                                    f"n_colors={checked.n_colors} asks for more")
    check_seed_value(opts["seed"])
    check_max_pixels(opts["max_pixels"])
    check_max_frames(opts["max_frames"])
    for name in ("force", "skip_if_larger", "optimize", "strip", "keep_gps", "nearest"):
        check_bool(opts[name], name)
    opts["palette_fitted"] = _check_palette_fitted(opts["palette_fitted"], pal_in)
    check_palette_mode(opts["palette"])
    opts["max_bytes"] = check_budget_alone(opts["max_bytes"], checked.quality, pal_in)
    opts["matte"] = check_matte(opts["matte"])
    opts["transparent_color"] = _check_transparent_alone(opts["transparent_color"], pal_in)
    opts["nodata"] = nodata_setting(opts["nodata"])
    opts["intent"] = check_intent(opts["intent"])
    opts.update(check_stretch_options(opts))
    if opts["masks"] is not None:  # the folder the masks go in, made when missing
        check_output_folder(opts["masks"], "masks")
    if checked.n_colors is None and checked.quality is None and pal_in is None:
        # a budget searches up to the most a palette holds, as quality does
        opts["n_colors"] = DEFAULT_COLORS if opts["max_bytes"] is None else MAX_PALETTE
    opts["dither"] = checked.dither
    return opts


def check_stretch_options(opts: dict[str, Any]) -> dict[str, Any]:
    """The stretch options of ``opts`` (``stretch``, ``stretch_clip``, ``stretch_curve``,
    ``stretch_softening``, ``stretch_range``) checked as :func:`quantize.io.load_image`
    checks them, ``stretch`` made true when any of the others asks for a stretch, and
    ``stretch_softening`` None of a curve that takes none, as ``load_image`` is given it.

    >>> check_stretch_options({"stretch": False, "stretch_clip": 0, "stretch_curve": "linear",
    ...                        "stretch_softening": None, "stretch_range": [0, 4095]})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'stretch': True, 'stretch_clip': 0.0, 'stretch_curve': 'linear',
     'stretch_softening': None, 'stretch_range': (0.0, 4095.0)}
    """
    asked = check_stretch(opts["stretch"], opts["stretch_clip"], opts["stretch_curve"],
                          opts["stretch_softening"], opts["stretch_range"])
    return {"stretch": asked.stretch, "stretch_clip": asked.clip,
            "stretch_curve": asked.curve,
            "stretch_softening": softening_of(asked.curve, asked.softening),
            "stretch_range": asked.fixed}


def _check_transparent_alone(color: Any, palette_in: Any) -> tuple[int, int, int] | str | None:
    """``transparent_color`` checked (:func:`check_transparent_color`), refused beside
    ``palette_in``, whose own entry of alpha 0 gives the transparent pixels its colour."""
    checked = check_transparent_color(color)
    if checked is not None and palette_in is not None:
        raise ValueError(f"transparent_color={color!r} goes with a fit, not with "
                         f"{palette_in_name(palette_in)}: give the colour as the palette's "
                         "own entry of alpha 0 (ff00ff00 in a .hex file)")
    return checked


def check_budget_alone(max_bytes: Any, quality: float | None, palette_in: Any,
                       palette_name: str = "palette_in") -> int | None:
    """``max_bytes`` checked (:func:`~quantize.reduce.budget.check_max_bytes`), refused
    beside ``quality`` (each chooses the colours: one the fewest within a colour error,
    the other the most within a size) and beside ``palette_in`` (whose colours are given;
    named ``palette_name`` in the error: ``palette`` for
    :func:`~quantize.reduce.reduce_colors`): :func:`check_reduce_options`'s check, which
    ``quantize batch`` makes before any file.

    >>> check_budget_alone("2k", None, None)
    2000
    >>> check_budget_alone("2k", 3.0, None)
    Traceback (most recent call last):
    ...
    ValueError: max_bytes='2k' cannot be given with quality=3: each chooses the number of \
colours, the fewest within a colour error or the most within a size; give one
    """
    from .budget import check_max_bytes

    size = check_max_bytes(max_bytes)
    if size is None:
        return None
    given = repr(max_bytes) if isinstance(max_bytes, str) else str(size)
    if quality is not None:
        raise ValueError(f"max_bytes={given} cannot be given with quality="
                         f"{shown_number(quality)}: each chooses the number of colours, the "
                         "fewest within a colour error or the most within a size; give one")
    if palette_in is not None:
        raise ValueError(f"max_bytes={given} cannot be given with {palette_name}=...: each "
                         "says the colours, the most fitted within a size or the ones given; "
                         "give one")
    return size


def check_matte(matte: Any, name: str = "matte") -> tuple[int, int, int] | None:
    """``matte``, the colour translucent pixels are composited onto
    (:func:`~quantize.colors.on_matte`), as ``(r, g, b)``: a colour name, ``#rrggbb``,
    ``rgb(r,g,b)`` or three ints (:func:`~quantize._validation.check_color`); None stays
    None. Errors name ``name``.

    >>> check_matte("white"), check_matte("#336699"), check_matte(None)
    ((255, 255, 255), (51, 102, 153), None)
    >>> check_matte("#ffffff80")
    Traceback (most recent call last):
    ...
    ValueError: matte='#ffffff80' has alpha, which the background an image is shown on \
cannot have; expected a colour without it (red, cyan, ...) or #rrggbb
    """
    if matte is None:
        return None
    return check_color(matte, name, opaque="which the background an image is shown on "
                       "cannot have")


def _check_palette_fitted(palette_fitted: Any, palette_in: Any) -> bool:
    """``palette_fitted``, a bool: ``palette_in`` was fitted to colours like the image's
    (a batch's shared palette, fitted to the colours of all its files), so the image is
    dithered onto it as onto a palette fitted to it, not as onto a given one (a device's
    few colours, far apart). It needs ``palette_in`` beside it.

    >>> _check_palette_fitted(True, "shared-palette.json"), _check_palette_fitted(False, None)
    (True, False)
    >>> _check_palette_fitted(True, None)
    Traceback (most recent call last):
    ...
    ValueError: palette_fitted=True needs palette_in beside it: it says how that palette \
is dithered onto
    """
    fitted = check_bool(palette_fitted, "palette_fitted")
    if fitted and palette_in is None:
        raise ValueError("palette_fitted=True needs palette_in beside it: it says how that "
                         "palette is dithered onto")
    return fitted


def check_palette_out_holds(palette_out: Any, colors: int, what: str) -> None:
    """Refuse ``colors`` entries for a ``palette_out`` file whose format holds fewer (an
    Adobe colour table, 256); ``what`` says what gives them ("n_colors=300 asks for more").
    None (no palette file) holds any number.

    >>> check_palette_out_holds("p.act", 300, "n_colors=300 asks for more")
    Traceback (most recent call last):
    ...
    ValueError: palette_out='p.act' is an Adobe colour table (.act), of at most 256 colours, \
but n_colors=300 asks for more; write the palette as .gpl, .json, .hex, .pal, .txt, .css or .ase
    """
    if palette_out is not None:
        check_palette_file_holds(palette_out, colors, what, "palette_out")


def check_output_names(output: Any, palette_out: Any) -> None:
    """Refuse an ``output`` or ``palette_out`` path that no file can be written under: a
    pipe, device or socket (:func:`refuse_stream_output`), a folder (said as such, not as
    an unsupported extension: :func:`check_file_name`), or one under an existing file
    (:func:`~quantize._validation.check_not_under_a_file`)."""
    for value, name in ((output, "output"), (palette_out, "palette_out")):
        refuse_stream_output(value)
        check_file_name(value, name)
        check_not_under_a_file(value, name)


def refuse_stream_output(value: Any) -> None:
    """Refuse an output path that is an existing pipe, device or socket
    (:data:`~quantize.io.STREAM_OUTPUT`), before its extension is read: ``/dev/null`` was
    said to have none. Anything but a path is left to the checks of its type."""
    if isinstance(value, str | os.PathLike) and is_stream(value):
        raise OutputError(STREAM_OUTPUT, path=Path(value))


def check_palette_out(opts: dict[str, Any], src: Path | None) -> None:
    """Refuse the ``palette_out`` of checked options (if any) that could not be written.

    It may not exist unless ``force``, nor be an input: the image ``src`` (None: a
    stream not read yet, which no file is) or the ``palette_in`` file, which is never
    overwritten (not even with ``force``).

    Raises
    ------
    OutputError, OutputExistsError
        As :func:`quantize.io.check_output_path`.
    """
    if opts["palette_out"] is None:
        return
    given = opts["palette_in"]
    out = Path(opts["palette_out"])
    if isinstance(given, str | os.PathLike) and same_file(out, given):
        raise OutputError(f"is the file of palette_in={quoted(given)}, the palette "
                          "mapped onto, which is never overwritten; write the palette to "
                          "another file", path=out)
    check_output_path(out, inputs=() if src is None else (src,), force=opts["force"])
