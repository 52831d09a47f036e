"""The animation job's options, validated once on entry."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_palette, check_seed
from ..errors import (
    AdvisedFormats,
    AlphaLossWarning,
    FormatAdviceError,
    PaletteRepeatWarning,
    warn_caller,
)
from ..io import GIF_ALPHA_THRESHOLD, MAX_PALETTE, check_output_path
from ..names import extension_words, quoted
from ..reduce.fit import DEFAULT_COLORS, check_fixed_colors, first_rows
from ..reduce.options import (
    PALETTE_MODES,
    PER_FRAME_EXTENSIONS,
    PER_FRAME_NEEDS,
    check_output_names,
    check_palette_mode,
    check_palette_out,
    check_reduce_options,
    clear_entry_at,
    gif_entries,
    keeps_translucent_entries,
    opaque_repeats,
    palette_in_name,
    read_palette_in,
    refuse_animation_subset,
    too_many_colors,
    visible_entries,
    warn_repeated_entries,
    warn_transparent_entries,
)
from ..reduce.records import ShownOutput, check_default_output, name_colors, output_said
from ..reduce.result import first_clear
from .sinks import ANIMATION_EXTENSIONS, default_suffix, partial_alpha_frames

__all__ = ["PALETTE_MODES", "AnimationOptions", "check_animation_options",
           "check_frame_colors", "check_per_frame_alone", "one_palette_for"]


@dataclass(frozen=True)
class AnimationOptions:
    """Checked options of :func:`~quantize.animation.reduce_animation_file`."""

    output: Path | None
    suffix: str
    n_colors: int | None
    quality: float | None
    space: str
    dither: float | str
    exact_colors: bool
    palette_in: np.ndarray | None
    palette_out: Path | None
    rng: np.random.Generator
    force: bool
    max_pixels: int | None
    skip_if_larger: bool
    optimize: bool
    per_frame: bool
    palette_name: str = "palette_in"  # names the given palette in errors
    #: Names the given palette in warnings: ``palette_in='brand.hex'`` for a file, "a given
    #: palette" for colours given as an array, which may be batch's shared palette, never
    #: named by its user.
    palette_said: str = "a given palette"
    #: The index of the given palette's transparent entry among the entries its frames draw,
    #: which a GIF's or an APNG's frames give their transparent pixels
    #: (:func:`~quantize.reduce.options.clear_entry_at`): 0 without one.
    clear_at: int = 0
    #: ``palette_in`` was fitted to colours like the frames' (``palette_fitted``: a batch's
    #: shared palette): dithered onto as the frames' own palette is, not as a given one
    palette_fitted: bool = False
    #: With ``quality``: the bound the one palette of the most colours allowed must meet to
    #: be kept when ``quality`` is out of its reach (``quality_limit``), or None
    quality_limit: float | None = None
    #: The bytes the output must fit in, its colours the most of ``n_colors`` that fit
    #: (``max_bytes``), or None
    max_bytes: int | None = None
    #: The colour translucent pixels are composited onto (``matte``), or None
    matte: tuple[int, int, int] | None = None
    #: Write no EXIF (``strip``): without it, an APNG, WebP or TIFF keeps the input's
    strip: bool = False
    #: Keep the EXIF's GPS directory, the location, that an output leaves out (``keep_gps``)
    keep_gps: bool = False
    #: The colour of the given palette's own transparent entry (its first of alpha 0),
    #: which a GIF's or an APNG's table and the ``palette_out`` file keep at ``clear_at``
    #: whether or not a pixel takes it, as a still's do, so that entry i of the palette is
    #: index i of the frames: None without one (or when the entries drawn fill a table)
    clear_color: tuple[int, int, int] | None = None
    #: Colours the one fitted palette keeps as its first entries (``fixed_colors``, checked:
    #: ``(f, 3)`` uint8), or None; the entry of transparent pixels then comes after them
    #: (``clear_at`` is ``f``)
    fixed_colors: np.ndarray | None = None
    #: Map every pixel of every frame onto its nearest entry (``nearest``): undithered, no
    #: pixel takes its left neighbour's or the previous frame's entry for a smaller file
    nearest: bool = False
    #: ``fixed_colors`` as ``#rrggbb``, with the names a palette file gave them
    #: (:class:`~quantize.reduce.fit.NamedColor`), which ``palette_out`` keeps; or None
    fixed_named: list[str] | None = None


def check_animation_options(src: Path, output: Any, *, palette: Any = "global",
                            shown_as: ShownOutput | None = None,
                            palette_in_read: np.ndarray | None = None,
                            **options: Any) -> AnimationOptions:
    """Validate every option and the output path before any frame is decoded.

    ``options`` are :func:`quantize.reduce.reduce_file`'s, checked by
    :func:`quantize.reduce.check_reduce_options`; ``palette`` is "global" or
    "per-frame"; ``shown_as`` how an error names the output (a
    :class:`~quantize.reduce.records.ShownOutput` already checked, or None);
    ``palette_in_read``, the ``palette_in`` palette as a caller that checked it already
    read it (its file by :func:`~quantize.reduce.options.read_palette_in`, an array by
    :func:`~quantize.reduce.options.check_palette`), which is then not read again (None:
    read here).

    Raises
    ------
    TypeError
        For an unknown option or a value of the wrong type.
    ValueError
        For a bad value, an unsupported output extension or a combination
        that cannot work.
    OutputError, OutputExistsError, ImageReadError
        For an output that cannot be written or exists (given none, the default's name
        is checked before it is made, only its folder, the input's, with ``quality``), or an
        unreadable palette file.
    """
    o = check_reduce_options(**options)
    check_output_names(output, o["palette_out"])
    out = None if output is None else Path(output)
    if out is not None:
        suffix = _check_suffix(out, default_suffix(src) in (".tif", ".tiff"), shown_as)
    else:  # the input's format, or GIF
        suffix = default_suffix(src)
    per_frame = check_palette_mode(palette) == "per-frame"
    if per_frame and suffix not in PER_FRAME_EXTENSIONS:
        _refuse_per_frame_in(suffix, named=out is not None)
    k = o["n_colors"]
    refuse_animation_subset(k, o["palette_in"])
    check_frame_colors(k, default_suffix(src), o["quality"], per_frame)  # worded by the input
    pal_in, clear_at, clear_color = _palette_in(o["palette_in"], suffix, palette_in_read)
    if per_frame:
        check_per_frame_alone(k, o["quality"], o["palette_in"])
    fixed = _fixed_colors(o["fixed_colors"], k, per_frame)
    if fixed is not None:
        clear_at = fixed.shape[0]
    pal_out = None if o["palette_out"] is None else Path(o["palette_out"])
    check_palette_out(o, src)
    if out is not None:
        check_output_path(out, inputs=(src,), force=o["force"])
    else:  # named once the colours are known, as checked now (its folder alone with quality)
        check_default_output(src, None if o["quality"] is not None
                             else name_colors(k, pal_in, None, 0), suffix, o["force"])
    return AnimationOptions(out, suffix, k, o["quality"], o["space"], o["dither"],
                            o["exact_colors"], pal_in, pal_out, check_seed(o["seed"]),
                            o["force"], o["max_pixels"], o["skip_if_larger"], o["optimize"],
                            per_frame, palette_in_name(o["palette_in"]),
                            _palette_said(o["palette_in"]), clear_at, o["palette_fitted"],
                            o["quality_limit"], o["max_bytes"], o["matte"], o["strip"],
                            o["keep_gps"], clear_color, fixed, o["nearest"],
                            o["fixed_colors"])


def _fixed_colors(fixed_colors: list[str] | None, k: int | None, per_frame: bool
                  ) -> np.ndarray | None:
    """The checked ``fixed_colors`` (``#rrggbb`` strings) as ``(f, 3)`` uint8, or None;
    refused with ``palette="per-frame"``, whose frames' palettes are fitted one by one."""
    if fixed_colors is None:
        return None
    if per_frame:
        raise ValueError(f"fixed_colors={','.join(fixed_colors)} goes with one palette for "
                         "all the frames, not with palette='per-frame'; expected "
                         "palette='global'")
    return check_fixed_colors(fixed_colors, MAX_PALETTE if k is None else k)


def _refuse_per_frame_in(suffix: str, *, named: bool) -> None:
    """Refuse ``palette="per-frame"`` for an output written as ``suffix``, not .gif nor
    .tif: one ``named`` so by the caller, or an animation's default output, in its own
    format. The advice of the latter, to name a .gif output, is apart
    (:class:`~quantize.errors.FormatAdviceError`, advising ``.gif``): a caller names
    outputs in words of its own.

    >>> _refuse_per_frame_in(".webp", named=False)
    Traceback (most recent call last):
    quantize.errors.FormatAdviceError: palette='per-frame' needs a .gif or .tif output (a ...
    """
    needs = f"palette='per-frame' needs {PER_FRAME_NEEDS}"
    if named:
        raise ValueError(f"{needs}, got {quoted(suffix)}")
    raise FormatAdviceError(f"{needs}, but an animation given no output is written in its own "
                            f"format, {quoted(suffix)}", format_advice="name a .gif output",
                            formats=AdvisedFormats(".gif", (".gif",)))


def _palette_said(palette_in: Any) -> str:
    """How warnings name ``palette_in``: by its file, or "a given palette" for an array.

    >>> _palette_said("brand.hex"), _palette_said([[0, 0, 0]])
    ("palette_in='brand.hex'", 'a given palette')
    """
    if isinstance(palette_in, str | os.PathLike):
        return palette_in_name(palette_in)
    return "a given palette"


def check_frame_colors(n_colors: int | None, suffix: str,
                       quality: float | None = None, per_frame: bool = False) -> None:
    """Refuse more colours than the frames of an animation, or the pages of a TIFF, share:
    one palette of at most ``MAX_PALETTE`` entries, whatever the output's format (a .tif of
    one page holds more: the error says why not here). ``suffix`` is the input's
    (:func:`~quantize.animation.sinks.default_suffix`): ``.tif`` for pages. ``per_frame``
    (``palette="per-frame"``): each frame's own colour table (a GIF's, a TIFF page's) holds
    no more.

    With ``quality``, ``n_colors`` is only the most colours allowed: the search stops at
    ``MAX_PALETTE``, as it does for a still's indexed output, and nothing is refused.

    >>> check_frame_colors(300, ".gif", quality=3.0)
    >>> check_frame_colors(300, ".tif")
    Traceback (most recent call last):
    ValueError: n_colors=300 is more than a TIFF of pages holds: at most 256 colours, as its ...
    """
    if quality is None and n_colors is not None and n_colors > MAX_PALETTE:
        holds = (("an animation", MAX_PALETTE, ", as each frame's colour table does")
                 if per_frame else one_palette_for(suffix))
        raise ValueError(too_many_colors("n_colors", n_colors, *holds))


def one_palette_for(suffix: str) -> tuple[str, int, str]:
    """What shares one palette of at most ``MAX_PALETTE`` colours when the input's
    :func:`~quantize.animation.sinks.default_suffix` is ``suffix``, as
    :func:`~quantize.reduce.options.too_many_colors` takes it: holder, room and why."""
    if ANIMATION_EXTENSIONS[suffix] == "TIFF":
        return "a TIFF of pages", MAX_PALETTE, ", as its pages share one palette"
    return "an animation", MAX_PALETTE, ", as its frames share one palette"


def check_per_frame_alone(n_colors: int | None, quality: float | None,
                          palette_in: Any) -> None:
    """Refuse ``quality`` or ``palette_in`` with ``palette="per-frame"``, whose frames each
    get a palette of their own of at most ``n_colors``: the one check of this rule.

    >>> check_per_frame_alone(8, None, "brand.hex")
    Traceback (most recent call last):
    ValueError: palette='per-frame' gives each frame a palette of its own, of at most ...
    """
    if palette_in is None and quality is None:
        return
    given = (palette_in_name(palette_in) if palette_in is not None
             else f"quality={quality!r}")
    # without n_colors, its default for a fit (a quality search's would be 256)
    most = f"n_colors={n_colors or DEFAULT_COLORS}" + ("" if n_colors else " (its default)")
    colours = "colour" if n_colors == 1 else "colours"
    raise ValueError(f"palette='per-frame' gives each frame a palette of its own, of at "
                     f"most {most} {colours}, so {given} cannot be given with it")


def _check_suffix(path: Path, pages: bool = False, shown: ShownOutput | None = None) -> str:
    """The output's extension, if an animation (``pages``: a TIFF's pages) is written in it.

    Refused in the words of a still's output (:func:`~quantize.reduce.output_kind`),
    saying what the extension is refused for, the output named as ``shown`` says
    (:func:`~quantize.reduce.records.output_said`):

    >>> _check_suffix(Path("scan.jpg"), pages=True)
    Traceback (most recent call last):
    ValueError: output='scan.jpg' has an unsupported extension '.jpg' for a TIFF's pages; \
expected one of .gif, .png, .apng, .webp, .tif, .tiff
    """
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_EXTENSIONS:
        what = "a TIFF's pages" if pages else "an animation"
        refused = f"{extension_words(suffix)} for {what}" if suffix else "no extension"
        raise ValueError(f"{output_said(path, shown)} has {refused}; "
                         f"expected one of {', '.join(ANIMATION_EXTENSIONS)}")
    return suffix


def _palette_in(value: Any, suffix: str, read: np.ndarray | None = None
                ) -> tuple[np.ndarray | None, int, tuple[int, int, int] | None]:
    """The given palette as (k, 3) uint8, or (k, 4) with its alpha: read from its file, or
    taken in any form a still's ``palette_in`` takes
    (:func:`~quantize._validation.check_palette` with ``pillow_forms``: an array, a flat
    ``image.getpalette()`` list, a mode "P" PIL image, its ``image.palette``), or ``read``
    so already by the caller; the index its transparent entry takes among them
    (:func:`~quantize.reduce.options.clear_entry_at`); and the colour of that entry where
    the palette has one of its own, kept in place (:func:`_own_clear_color`).

    A palette with translucent entries, for an output ``suffix`` that keeps partial alpha
    (:func:`~quantize.animation.sinks.partial_alpha_frames`), keeps them, as a still's
    does: its visible entries, (k, 4), when they leave room for the transparent one
    (:func:`~quantize.reduce.options.keeps_translucent_entries`); its frames are mapped
    onto it as a still is. Otherwise an animation's
    transparency is binary, so a palette with alpha keeps its entries with alpha of at
    least ``GIF_ALPHA_THRESHOLD``, as opaque colours, and drops the others. A colour
    repeated is kept once, at its first index.
    """
    if value is None:
        return None, 0, None
    from_file = isinstance(value, str | os.PathLike)
    pal = (read if read is not None else read_palette_in(value) if from_file
           else check_palette(value, "palette_in", pillow_forms=True))
    # An array may be a shared palette (batch --shared-palette) the user never named.
    name = palette_in_name(value) if from_file else "the palette mapped onto"
    if from_file:
        warn_transparent_entries(value, pal, name)
    if partial_alpha_frames(suffix) and keeps_translucent_entries(pal):
        warn_repeated_entries(pal, name, category=PaletteRepeatWarning)
        shown = visible_entries(pal)
        return shown, clear_entry_at(pal, animated=False), _own_clear_color(pal, len(shown))
    with_alpha = pal.ndim == 2 and pal.shape[1] == 4
    drawn = _opaque_entries(pal, name) if with_alpha else first_rows(pal)
    if drawn.shape[0] > MAX_PALETTE:  # counted as drawn: a GIF's transparent index 0 is not
        opaque = " (those of alpha >= 128, which its frames draw)" if (
            with_alpha and (pal[:, 3] < GIF_ALPHA_THRESHOLD).any()) else ""
        raise ValueError(too_many_colors(name if from_file else "palette_in", drawn.shape[0],
                                         "an animation", MAX_PALETTE,
                                         f"{opaque}, as its frames share one palette"))
    warn_repeated_entries(pal, name, category=PaletteRepeatWarning)
    return drawn, clear_entry_at(pal, animated=True), _own_clear_color(pal, len(drawn))


def _own_clear_color(pal: np.ndarray, drawn: int) -> tuple[int, int, int] | None:
    """The RGB of the checked palette ``pal``'s first fully transparent entry, which the
    frames keep at its index whether or not a pixel is transparent, as a still's output
    keeps it (its colour too); None when ``pal`` has none, or when its ``drawn`` entries
    (1 to 255 leave room) fill a table or are none.

    >>> pal = np.array([[255, 0, 255, 0], [9, 9, 9, 255]], np.uint8)
    >>> _own_clear_color(pal, 1), _own_clear_color(pal[1:], 1)
    ((255, 0, 255), None)
    """
    if pal.shape[1] != 4 or not 0 < drawn < MAX_PALETTE:
        return None
    at = first_clear(pal)
    return None if at is None else (int(pal[at, 0]), int(pal[at, 1]), int(pal[at, 2]))


def _opaque_entries(pal: np.ndarray, name: str) -> np.ndarray:
    """The RGB of the entries of an RGBA palette that an animation draws opaque: none
    (``(0, 3)``) for a palette of transparent entries only, which only an animation with
    no opaque pixel takes (:meth:`~quantize.animation.plans.GlobalPlan.fit` checks it)."""
    drawn, translucent = gif_entries(pal)
    if translucent:
        entries = "entry" if translucent == 1 else "entries"
        merged = opaque_repeats(pal)
        warn_caller(f"{name} has {translucent} translucent {entries}; an animation mapped "
                    "onto a given palette keeps only binary transparency, so those with "
                    f"alpha below {GIF_ALPHA_THRESHOLD} are dropped and the others drawn "
                    f"opaque{', and ' + merged if merged else ''}", AlphaLossWarning)
    return drawn
