"""The record of a file job, a still's (:mod:`quantize.reduce.file_job`) or an
animation's (:mod:`quantize.animation.job`), and what both check of its output.

:func:`job_record` is what the CLI prints and batch reports, with the options
(:func:`recorded_options`) and palette (:func:`palette_entries`) it names;
:func:`name_colors` is the N of a default output name ``STEM.kN.EXT``, and
:func:`check_default_output` refuses such a name before any work; :func:`too_large` is
the error of a result larger than its input. A caller that writes the output to a file of
its own first and then elsewhere (``quantize reduce -o -``) has the jobs' messages name it
as it says (:class:`ShownOutput`: :func:`output_said`, :func:`output_named`,
:func:`errors_shown`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import recorded_seed
from ..encode import gif_table_size
from ..errors import (
    ExifLeftOutWarning,
    GeoTagsLeftOutWarning,
    GifTableWarning,
    LossyColorsWarning,
    OutputError,
    ResultTooLargeError,
    TextLeftOutWarning,
    WriteRefusedError,
    warn_caller,
)
from ..io import check_output_folder_writable, check_output_path, nodata_record
from ..io.profiles import DEFAULT_INTENT, SourceProfile, profile_fields
from ..io.stretch import DEFAULT_SOFTENING, curve_record, range_record
from ..names import quoted, reduced_name
from .fit import DEFAULT_COLORS
from .options import POSITIONAL, check_palette, visible_entries

__all__ = ["EXIF_KEPT", "EXISTING_KEPT", "GEO_TAGS_KEPT", "MATTE_ADVICE", "PSNR_SHOWN_KEYS",
           "TEXT_KEPT",
           "ShownOutput", "check_default_output", "check_shown_as", "errors_shown", "hex_color",
           "job_record", "name_colors", "note_exif_left_out", "note_geo_tags_left_out",
           "note_gif_table",
           "note_lossy_colors", "note_text_left_out", "output_named",
           "output_said", "palette_entries", "palette_out_said", "reading_record",
           "recorded_options", "too_large"]

#: What the warnings that a GIF made translucent pixels transparent or opaque advise, a
#: still's and an animation's: the option that blends them onto the GIF's background.
MATTE_ADVICE = "give matte=COLOR, the background the GIF is shown on, to blend them onto it"

#: The outputs quantize writes the input's EXIF into, by extension: a still's
#: (:func:`~quantize.reduce.reduce_file`) and an animation's, which is not written as .jpg.
EXIF_KEPT = (".png", ".apng", ".webp", ".jpg", ".jpeg", ".tif", ".tiff")


def note_exif_left_out(exif: bytes | None, path: Path, named: str, *,
                       animation: bool = False) -> None:
    """Say (:class:`~quantize.errors.ExifLeftOutWarning`) that the output ``path``, named
    ``named``, of a still or an ``animation``, is written without the input's ``exif``
    (None: none to keep, or ``strip``), when its format holds none: not one of
    :data:`EXIF_KEPT` (a .gif, a still's .bmp).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     note_exif_left_out(b"Exif", Path("clip.gif"), "clip.gif", animation=True)
    >>> print(said[0].message)
    clip.gif: the input's EXIF (artist, copyright, description, camera, date) is left out, \
as a .gif holds none; .png, .webp and .tif keep it
    """
    suffix = path.suffix.lower()
    if exif is None or suffix in EXIF_KEPT:
        return
    keep = ".png, .webp and .tif" if animation else ".png, .webp, .jpg and .tif"
    warn_caller(f"{named}: the input's EXIF (artist, copyright, description, camera, date) "
                f"is left out, as a {suffix} holds none; {keep} keep it", ExifLeftOutWarning)


#: The outputs quantize writes a GeoTIFF input's georeferencing into, by extension: a
#: still's TIFF, of the input's pixels as they are placed (:func:`note_geo_tags_left_out`).
GEO_TAGS_KEPT = (".tif", ".tiff")


def note_geo_tags_left_out(geo_tags: bytes | None, path: Path, named: str) -> None:
    """Say (:class:`~quantize.errors.GeoTagsLeftOutWarning`) that the output ``path``,
    named ``named``, is written without the input's ``geo_tags`` (its GeoTIFF and GDAL
    tags: :attr:`~quantize.io.LoadedImage.geo_tags`; None: none to keep, or ``strip``),
    when it is not a .tif (one of :data:`GEO_TAGS_KEPT`), which alone keeps them.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     note_geo_tags_left_out(b"Exif", Path("scene.png"), "scene.png")
    >>> print(said[0].message)
    scene.png: the input's georeferencing (GeoTIFF and GDAL tags) is left out, as a .png \
holds none; a .tif output keeps it
    """
    suffix = path.suffix.lower()
    if geo_tags is None or suffix in GEO_TAGS_KEPT:
        return
    warn_caller(f"{named}: the input's georeferencing (GeoTIFF and GDAL tags) is left out, "
                f"as a {suffix} holds none; a .tif output keeps it", GeoTagsLeftOutWarning)


#: The outputs quantize writes a PNG input's text chunks into (tEXt, zTXt, iTXt: its
#: licence, author, XMP), by extension: a PNG's.
TEXT_KEPT = (".png", ".apng")


def note_text_left_out(text: tuple[tuple[bytes, bytes], ...], path: Path, named: str) -> None:
    """Say (:class:`~quantize.errors.TextLeftOutWarning`) that the output ``path``, named
    ``named``, is written without the input's ``text`` chunks (a PNG's:
    :attr:`~quantize.io.LoadedImage.text`; ``()``: none to keep, or ``strip``), when it is
    not a PNG (one of :data:`TEXT_KEPT`), which alone keeps them: a .gif or .bmp holds
    none, and a .jpg's, .webp's or .tif's XMP is not written.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     note_text_left_out(((b"tEXt", b"Copyright\\0CC BY"),
    ...                         (b"iTXt", b"XML:com.adobe.xmp\\0")),
    ...                        Path("icon.gif"), "icon.gif")
    >>> print(said[0].message)
    icon.gif: the input's PNG text (Copyright, XML:com.adobe.xmp) is left out: only a .png \
output keeps it
    """
    suffix = path.suffix.lower()
    if not text or suffix in TEXT_KEPT:
        return
    keywords = dict.fromkeys(data.split(b"\0", 1)[0].decode("latin-1") for _, data in text)
    warn_caller(f"{named}: the input's PNG text ({', '.join(keywords)}) is left out: only a "
                ".png output keeps it", TextLeftOutWarning)


#: The outputs whose format adds colours of its own (:func:`note_lossy_colors`): JPEG.
#: A WebP is written lossless.
LOSSY_OUTPUTS = (".jpg", ".jpeg")


def note_lossy_colors(path: Path, named: str, k: int) -> None:
    """Say (:class:`~quantize.errors.LossyColorsWarning`) that the output ``path``, named
    ``named``, of ``k`` colours, is written in a format that adds colours of its own (one of
    :data:`LOSSY_OUTPUTS`): a JPEG holds thousands.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     note_lossy_colors(Path("art6.jpg"), "art6.jpg", 6)
    >>> print(said[0].message)
    art6.jpg: a JPEG's compression adds colours of its own: the file holds more than the 6 \
colours (and an error the metrics leave out); write .png, .gif, .bmp or .webp to keep just them
    """
    if path.suffix.lower() not in LOSSY_OUTPUTS:
        return
    colours = "1 colour" if k == 1 else f"{k} colours"
    warn_caller(f"{named}: a JPEG's compression adds colours of its own: the file holds more "
                f"than the {colours} (and an error the metrics leave out); write .png, .gif, "
                ".bmp or .webp to keep just them", LossyColorsWarning)


@dataclass(frozen=True)
class ShownOutput:
    """How a job's errors and warnings name its output, for a caller that writes it to a
    file of its own first and then elsewhere (``quantize reduce -o -``: a temporary file,
    then stdout), so that no message names that file.

    ``name`` stands where a message names the file: before a warning's colon
    (``stdout: GIF has no partial alpha``) and in a sentence. ``option`` stands where an
    error names the parameter that gave the output (``output='/tmp/.../stdout.jpg'``): the
    caller's own words for what chose its format (``--format='jpg'``). An error about the
    file itself (a result too large, a full disk) names no path (:func:`errors_shown`).
    ``palette_out``, when the caller writes the ``palette_out`` file to a file of its own
    first too (of the same name), is the path an error about that file names instead
    (:func:`palette_out_said`); None: the path given.

    >>> shown, scratch = ShownOutput("stdout", "--format='gif'"), Path("/tmp/x/stdout.gif")
    >>> output_named(scratch, shown), output_said(scratch, shown)
    ('stdout', "--format='gif'")
    >>> output_named(Path("d/a.gif"), None), output_said(Path("d/a.gif"), None)
    ('a.gif', "output='d/a.gif'")
    """

    name: str
    option: str
    palette_out: str | None = None


def check_shown_as(shown_as: Any, output: Any) -> ShownOutput | None:
    """``shown_as``, a :class:`ShownOutput` or None, given with an ``output`` to name.

    Raises
    ------
    TypeError
        For a ``shown_as`` that is not a ShownOutput.
    ValueError
        For a ``shown_as`` without an ``output``: a default output is named by its path.
    """
    if shown_as is None:
        return None
    if not isinstance(shown_as, ShownOutput):
        raise TypeError(f"shown_as should be a ShownOutput or None, got "
                        f"{type(shown_as).__name__}")
    if output is None:
        raise ValueError("shown_as names the output given as output, but output is None")
    return shown_as


def output_said(out: Path, shown: ShownOutput | None) -> str:
    """The output where an error names the parameter that gave it: ``output='a.png'``, or
    ``shown``'s option."""
    return f"output={quoted(out)}" if shown is None else shown.option


def output_named(out: Path, shown: ShownOutput | None, *, whole: bool = False) -> str:
    """The output where a message names the file: its name (``whole``: its path, quoted,
    for a sentence), or ``shown``'s name."""
    if shown is not None:
        return shown.name
    return quoted(out) if whole else out.name


def palette_out_said(path: Any, shown: ShownOutput | None) -> Any:
    """The ``palette_out`` file where an error names it: ``path``, or ``shown``'s.

    >>> palette_out_said("/tmp/x/palette/p.act", ShownOutput("stdout", "-o -", "p.act"))
    'p.act'
    """
    if shown is None or shown.palette_out is None:
        return path
    return shown.palette_out


@contextmanager
def errors_shown(out: Path, shown: ShownOutput | None) -> Iterator[None]:
    """Raise an error about the file ``out`` (a result too large, a full disk) without its
    path when ``shown`` names the output: the path is the caller's own file, not one the
    user knows. A refused write keeps the system's error (:class:`WriteRefusedError`), for
    the caller to say where it writes the file first."""
    try:
        yield
    except OutputError as exc:
        if shown is None or exc.path != os.fspath(out):
            raise
        if isinstance(exc, WriteRefusedError):
            raise WriteRefusedError(exc.os_strerror, exc.os_errno) from None
        raise type(exc)(exc.reason) from None


#: The keys of a record's PSNR composited on black and on white (an image with translucent
#: pixels: ``psnr``, measured premultiplied, is on black with alpha's error beside it).
PSNR_SHOWN_KEYS = ("psnr_on_black", "psnr_on_white")
#: The sigma, in pixels, of the Gaussian blur before a dithered job's ``blurred_psnr``:
#: 1 px is roughly what the eye sees of a dither pattern at normal viewing distance.
BLUR_SIGMA = 1.0
#: How the reason of :func:`too_large` ends when an output exists, left as it was (``force``).
EXISTING_KEPT = "; the existing output is left as it was"


def too_large(bytes_out: int, bytes_in: int, out: Path) -> ResultTooLargeError:
    """The error of a result larger than its input (``skip_if_larger``): nothing is written,
    and an existing output (``force``) is left as it was, which the reason says
    (:data:`EXISTING_KEPT`)."""
    kept = EXISTING_KEPT if out.exists() else ""
    return ResultTooLargeError(f"result ({bytes_out:,} bytes) is larger than the input "
                               f"({bytes_in:,} bytes); nothing written{kept}", path=out)


def job_record(src: Path, out: Path, *, k: int, space: str, options: dict[str, Any],
               psnr: float, delta_e: float, start: float, bytes_in: int, bytes_out: int,
               frames: int, palette: list[dict[str, Any]], optimized: bool | None = None,
               matted: bool | None = None, alpha_thresholded: int = 0,
               quality_met: bool | None = None,
               blurred_psnr: float | None = None,
               psnr_shown: tuple[float, float] | None = None,
               colours_used: int | None = None,
               max_bytes_bound: str | None = None,
               quality_bound: str | None = None,
               source_profile: SourceProfile | None = None,
               nodata: tuple[float, ...] | None = None,
               reading: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record of a job, a still's or an animation's: what the CLI prints and batch
    reports (see :func:`~quantize.reduce.reduce_file`). ``options`` are the job's, as
    :func:`recorded_options` gives them; ``psnr`` is inf when lossless (recorded None),
    ``start`` the job's :func:`time.perf_counter`, ``optimized`` None when ``optimize``
    was not asked (then not recorded), ``matted`` whether ``matte`` blended some pixel
    (None when no ``matte`` was given, then not recorded), ``alpha_thresholded`` the
    translucent pixels made transparent or opaque for a GIF before the fit (recorded when
    some were),
    ``quality_met`` whether ``quality`` was reached, recorded beside a ``quality_limit``
    (False: the result of all the colours allowed was kept, as it meets the limit),
    ``blurred_psnr`` the PSNR after a blur of :data:`BLUR_SIGMA` px of a dithered still or
    animation (None: not measured, then not recorded; inf when lossless, recorded None),
    ``psnr_shown`` the PSNR composited on black and on white of an image with
    translucent pixels, recorded as ``psnr_on_black`` and ``psnr_on_white`` (None: not
    measured, then not recorded; inf recorded None), ``colours_used`` the entries of a
    given palette that some pixel takes, recorded after ``k``, its entries (None: a fitted
    palette, whose every colour is used, then not recorded), ``max_bytes_bound`` what
    bounded the k a ``max_bytes`` search kept (:data:`~quantize.reduce.budget.BUDGET_BOUNDS`;
    None without ``max_bytes``, then not recorded), ``quality_bound`` what set the k a
    ``quality`` search chose (:data:`~quantize.reduce.quality.QUALITY_BOUNDS`: the bound
    one colour fewer misses; None without ``quality`` or when it was not met, then not
    recorded), ``source_profile`` the ICC profile the
    input's colours were converted to sRGB from (:func:`profile_fields`; None: an sRGB or
    untagged input, then not recorded), ``nodata`` the no-data value whose pixels were
    left out, as transparent ones are (:attr:`~quantize.io.LoadedImage.nodata`, given or a
    TIFF's GDAL_NODATA tag; None: none, then not recorded), a list
    (``"nan"`` for NaN: :func:`~quantize.io.nodata.nodata_record`), and ``reading`` what
    the measures are of, recorded last (:func:`reading_record`; None: nothing to say)."""
    record = {
        "input": str(src), "output": str(out), "k": k,
        **({} if colours_used is None else {"colours_used": colours_used}),
        "space": space, **options,
        "psnr": None if math.isinf(psnr) else round(psnr, 4),
        "delta_e": round(delta_e, 4),
        "seconds": round(time.perf_counter() - start, 4),
        "bytes_in": bytes_in, "bytes_out": bytes_out, "frames": frames, "palette": palette,
    }
    if optimized is not None:
        record["optimized"] = optimized
    if matted is not None:
        record["matted"] = matted
    if alpha_thresholded:
        record["alpha_thresholded"] = alpha_thresholded
    if quality_met is not None:
        record["quality_met"] = quality_met
    if blurred_psnr is not None:
        record["blurred_psnr"] = None if math.isinf(blurred_psnr) else round(blurred_psnr, 4)
    if psnr_shown is not None:
        for over, value in zip(PSNR_SHOWN_KEYS, psnr_shown, strict=True):
            record[over] = None if math.isinf(value) else round(value, 4)
    if max_bytes_bound is not None:
        record["max_bytes_bound"] = max_bytes_bound
    if quality_bound is not None:
        record["quality_bound"] = quality_bound
    return {**record, **profile_fields(source_profile),
            **({} if nodata is None else {"nodata": nodata_record(nodata)}),
            **(reading or {})}


#: What the measures of a reduction are of when the input's 8-bit reading merged its
#: values (:func:`reading_record`): not the file's values.
EIGHT_BIT_READING = "the 8-bit reading"


def reading_record(stretched: bool, stretch_range: tuple[float, float] | None,
                   clipped: float | None, merged: tuple[int, int] | None) -> dict[str, Any]:
    """What a job's record says of how its input was read, which its PSNR and ΔE2000 are
    measured against: of a stretch (``stretched``), ``stretch_range``, the input's values
    read as 0 and 255 (null of an image of one value, which no stretch spreads), and
    ``stretch_clipped`` of a fixed range, the share of the pixels beyond it (``clipped``,
    None without one); else, of a file whose values came out as fewer 8-bit levels
    (``merged``: :attr:`~quantize.io.LoadedImage.merged`), ``measured_against``
    :data:`EIGHT_BIT_READING` and ``merged``, its values and the levels they became.

    >>> reading_record(True, (901.0, 3116.0), None, None)
    {'stretch_range': [901.0, 3116.0]}
    >>> reading_record(False, None, None, (2208, 9))
    {'measured_against': 'the 8-bit reading', 'merged': [2208, 9]}
    >>> reading_record(False, None, None, None)
    {}
    """
    if stretched:
        return {"stretch_range": None if stretch_range is None else list(stretch_range),
                **({} if clipped is None else {"stretch_clipped": round(clipped, 6)})}
    if merged is None:
        return {}
    return {"measured_against": EIGHT_BIT_READING, "merged": list(merged)}


def recorded_options(opts: dict[str, Any]) -> dict[str, Any]:
    """The options of a job that shape its output besides ``space``, as its record names
    them, from :func:`~quantize.reduce.check_reduce_options`' ``opts``: with them (and
    ``space``) the job writes the same output again.

    ``n_colors`` (None with ``quality`` or ``palette_in`` not given it), ``quality``,
    ``quality_limit`` (only when given), ``max_bytes`` (only when given: the bytes the
    output had to fit in, the colours chosen at most ``n_colors``),
    ``dither`` (the strength, 0 to 1, "ordered" or "pattern"), ``exact_colors``, ``palette_in`` (the
    file as given, or the colours given as a list of ``[r, g, b]`` or ``[r, g, b, a]``; None when
    fitted), ``palette_fitted`` (only when true: ``palette_in`` is dithered onto as a fitted
    palette), ``palette_mode`` (the ``palette`` option: "global" or "per-frame"),
    ``seed`` (the int given; None for ``seed=None`` or a Generator), ``optimize``,
    ``matte`` (only when given, as ``#rrggbb``), ``fixed_colors`` (only when given, a
    list of ``#rrggbb``), ``transparent_color`` (only when given, as ``#rrggbb`` or
    ``"edge"``), ``strip``, ``keep_gps`` and ``nearest`` (each only when true) and
    ``intent`` (only when not the default, ``"relative-bpc"``).
    ``force``, ``max_pixels``, ``skip_if_larger`` and ``palette_out`` are not among
    them: they decide whether an output is written, not what it holds.

    >>> from quantize.reduce import check_reduce_options
    >>> opts = check_reduce_options(dither=0.5, seed=7)
    >>> recorded_options(opts)  # doctest: +NORMALIZE_WHITESPACE
    {'n_colors': 16, 'quality': None, 'dither': 0.5, 'exact_colors': False,
     'palette_in': None, 'palette_mode': 'global', 'seed': 7, 'optimize': False}
    """
    given = opts["palette_in"]
    if isinstance(given, str | os.PathLike):
        palette_in: Any = os.fspath(given)
    else:
        palette_in = (None if given is None
                      else check_palette(given, "palette_in", pillow_forms=True).tolist())
    n, quality = opts["n_colors"], opts["quality"]
    recorded = {"n_colors": None if n is None else int(n),
                "quality": None if quality is None else float(quality) + 0.0}  # -0 as 0
    if opts.get("quality_limit") is not None:
        recorded["quality_limit"] = float(opts["quality_limit"])
    if opts.get("max_bytes") is not None:
        recorded["max_bytes"] = int(opts["max_bytes"])
    mapping = {"palette_in": palette_in}
    if opts["palette_fitted"]:
        mapping["palette_fitted"] = True
    return {**recorded,
            "dither": opts["dither"] if opts["dither"] in POSITIONAL else float(opts["dither"]),
            "exact_colors": bool(opts["exact_colors"]), **mapping,
            "palette_mode": opts["palette"],
            "seed": recorded_seed(opts["seed"]), "optimize": bool(opts["optimize"]),
            **({} if opts.get("matte") is None else {"matte": hex_color(opts["matte"])}),
            **({} if opts.get("fixed_colors") is None
               else {"fixed_colors": list(opts["fixed_colors"])}),
            **_recorded_transparent_color(opts.get("transparent_color")),
            **({"strip": True} if opts.get("strip") else {}),
            **({"keep_gps": True} if opts.get("keep_gps") else {}),
            **({"nearest": True} if opts.get("nearest") else {}),
            **({"intent": opts["intent"]} if opts.get("intent", DEFAULT_INTENT)
               != DEFAULT_INTENT else {}),
            **_recorded_stretch(opts)}


def _recorded_stretch(opts: dict[str, Any]) -> dict[str, Any]:
    """A job's stretch as its record holds it, only when it was stretched (as
    ``segments.json`` holds segment's): ``stretch`` true, ``stretch_clip`` above 0,
    ``stretch_curve`` and ``stretch_softening``
    (:func:`~quantize.io.stretch.curve_record`) and ``stretch_fixed``, the range given
    (:func:`~quantize.io.stretch.range_record`).

    >>> _recorded_stretch({"stretch": True, "stretch_clip": 0.0, "stretch_curve": "linear",
    ...                    "stretch_softening": None, "stretch_range": (0.0, 4095.0)})
    {'stretch': True, 'stretch_fixed': [0.0, 4095.0]}
    >>> _recorded_stretch({})
    {}
    """
    if not opts.get("stretch"):
        return {}
    clip = opts["stretch_clip"]
    softening = opts["stretch_softening"]
    return {"stretch": True, **({"stretch_clip": clip} if clip else {}),
            **curve_record(opts["stretch_curve"],
                           DEFAULT_SOFTENING if softening is None else softening),
            **range_record(opts["stretch_range"])}


def _recorded_transparent_color(color: tuple[int, int, int] | str | None) -> dict[str, str]:
    """``transparent_color`` as a record holds it: ``#rrggbb`` or ``"edge"``; nothing when
    not given.

    >>> _recorded_transparent_color((255, 0, 255)), _recorded_transparent_color(None)
    ({'transparent_color': '#ff00ff'}, {})
    """
    if color is None:
        return {}
    return {"transparent_color": color if isinstance(color, str) else hex_color(color)}


def note_gif_table(entries: int, transparent: bool, named: str) -> None:
    """Say (:class:`~quantize.errors.GifTableWarning`) that the GIF ``named``, whose colour
    table holds ``entries`` entries of a fitted palette, the entry of transparent pixels
    among them when ``transparent``, takes a table twice the size its colours alone take:
    one colour fewer keeps the smaller table (64 colours and that entry: 128 entries, 63
    and it: 64). ``-k`` counts colours, so the output is left as it is; 1.6 % smaller on
    scikit-image's astronaut with a transparent corner at ``-k 63`` than at ``-k 64``.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     note_gif_table(65, True, "out.gif")
    ...     note_gif_table(64, True, "out.gif")
    >>> [str(w.message) for w in caught]  # doctest: +NORMALIZE_WHITESPACE
    ['out.gif: its 64 colours and the entry of transparent pixels take a colour table of 128
      entries, twice the 64 the colours alone take; n_colors=63 keeps it at 64']
    """
    colours = entries - 1
    if not transparent or gif_table_size(entries) == gif_table_size(colours):
        return
    table = gif_table_size(entries)
    warn_caller(f"{named}: its {colours} colours and the entry of transparent pixels take a "
                f"colour table of {table} entries, twice the {table // 2} the colours alone "
                f"take; n_colors={table // 2 - 1} keeps it at {table // 2}", GifTableWarning)


def hex_color(rgb: tuple[int, int, int]) -> str:
    """``(r, g, b)`` as ``#rrggbb``, as a record writes a colour.

    >>> hex_color((255, 0, 16))
    '#ff0010'
    """
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def palette_entries(colors: np.ndarray, shares: np.ndarray,
                    alpha: np.ndarray | None = None,
                    names: list[str | None] | None = None) -> list[dict[str, Any]]:
    """A record's ``palette``: ``{"hex": "#rrggbb", "alpha": 0..255, "share": float}`` for
    each of the ``(k, 3)`` ``colors``, with its share of the pixels and its ``alpha``
    (None: every entry opaque); with ``names`` (k str or None: a given palette's, as its
    file names its entries), its ``name`` too, before its share.

    >>> palette_entries(np.array([[255, 0, 16]]), np.array([0.25]))
    [{'hex': '#ff0010', 'alpha': 255, 'share': 0.25}]
    >>> palette_entries(np.array([[255, 0, 16]]), np.array([0.25]), names=["Warm red"])
    [{'hex': '#ff0010', 'alpha': 255, 'name': 'Warm red', 'share': 0.25}]
    """
    opacity = [255] * len(colors) if alpha is None else [int(a) for a in alpha]
    named = [None] * len(colors) if names is None else [{"name": n} for n in names]
    return [{"hex": "#{:02x}{:02x}{:02x}".format(*(int(v) for v in c)), "alpha": a,
             **(n or {}), "share": round(float(s), 6)}
            for c, a, n, s in zip(colors, opacity, named, shares, strict=True)]


def name_colors(n_colors: int | None, palette_in: np.ndarray | None, quality: float | None,
                chosen: int) -> int:
    """The N of a default output name ``STEM.kN.EXT``: the colours asked for.

    That is ``n_colors`` (default :data:`DEFAULT_COLORS`; beside ``palette_in``, the
    entries chosen of it) or else the entries of ``palette_in`` that are written
    (:func:`~quantize.reduce.options.visible_entries`:
    its fully transparent ones are dropped; an animation's palette holds the entries it
    draws already), even when the image has fewer distinct colours, so that an output's
    name follows from the command; with ``quality``, the number ``chosen``.

    >>> name_colors(None, None, None, 3), name_colors(64, None, None, 3)
    (16, 64)
    >>> name_colors(64, None, 2.0, 41)
    41
    >>> name_colors(None, np.array([[0, 0, 0, 0], [9, 9, 9, 64], [5, 5, 5, 255]]), None, 0)
    2
    """
    if quality is not None:
        return chosen
    if palette_in is not None and n_colors is None:
        return visible_entries(palette_in).shape[0]
    return DEFAULT_COLORS if n_colors is None else n_colors


def check_default_output(src: Path, n: int | None, suffix: str, force: bool) -> None:
    """Refuse, before any work, the default output ``<stem>.k<n><suffix>`` beside ``src``
    whose name is made only once the image is read (of an input that may be an animation,
    whose header told which it is; with ``quality``, ``n`` None, said ``<N>``: the k
    chosen), so that the user learns it before the fit, not after.

    With ``n`` known, the whole name is checked (:func:`~quantize.io.check_output_path`):
    an output that exists, unless ``force``, and its folder. With ``n`` None, only the
    folder, the input's (:func:`~quantize.io.check_output_folder_writable`). Either way
    the whole name is checked again once it is made.

    Raises
    ------
    OutputExistsError
        The output exists and ``force`` is false.
    OutputError
        Naming the output (``<N>`` standing for an ``n`` not known yet): its folder cannot
        be written, or it is the input or a folder.
    """
    if n is None:
        check_output_folder_writable(reduced_name(src, "<N>", suffix))
    else:
        check_output_path(reduced_name(src, n, suffix), inputs=(src,), force=force)
