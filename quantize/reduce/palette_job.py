"""The palette job: :func:`extract_palette`, the colours ``quantize reduce`` fits for an image
file, listed by share, and written as a palette file, CSS or a swatch image if asked, with
no reduced image.

The fit is :func:`~quantize.reduce.file_job.reduce_file`'s for a still written to its
default ``.png`` (:func:`~quantize.reduce.file_job.fit_options`, then
:func:`~quantize.reduce.image.reduce_within_limit`): the same options give the same
colours as its ``palette_out`` file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import Seed, check_path, check_seed
from ..errors import (
    CodeAdviceError,
    FormatAdviceError,
    InputParameterError,
    StillExpectedError,
)
from ..io import (
    DEFAULT_MAX_PIXELS,
    check_output_path,
    open_input,
    require_regular_file,
    write_together,
)
from ..io.profiles import DEFAULT_INTENT, Intent, note_profile_converted, profile_fields
from ..names import output_stem
from ..palette_files import (
    PALETTE_FORMATS,
    check_palette_path,
    palette_file_bytes,
    swatch_png_bytes,
)
from .file_job import FileJob, check_indexed_colors, fit_options
from .fit import Space, check_n_colors, fixed_entry_names
from .image import DARK_OUTPUT, reduce_within_limit
from .options import check_reduce_options
from .records import palette_entries
from .result import ReduceResult

__all__ = ["PALETTE_OUTPUTS", "SWATCH_EXTENSION", "check_palette_colors",
           "check_palette_output", "extract_palette"]

#: The extension of a swatch image output: a strip of equal squares, one per colour.
SWATCH_EXTENSION = ".png"
#: Every extension :func:`extract_palette` writes: the palette formats, and the swatch.
PALETTE_OUTPUTS = (*PALETTE_FORMATS, SWATCH_EXTENSION)


def check_palette_output(output: str | os.PathLike[str], role: str = "output") -> Path:
    """``output`` as a Path when its extension is one :func:`extract_palette` writes
    (:data:`PALETTE_OUTPUTS`), else raise ValueError naming ``role``.

    >>> check_palette_output("theme.css").name, check_palette_output("swatch.png").name
    ('theme.css', 'swatch.png')
    >>> check_palette_output("theme.jpg")
    Traceback (most recent call last):
    ...
    ValueError: output='theme.jpg' has extension '.jpg'; expected a palette file \
(.gpl, .json, .hex, .act, .pal, .txt, .css, .ase) or a swatch image (.png)
    """
    p = check_path(output, role)
    if p.suffix.lower() == SWATCH_EXTENSION:
        return p
    try:
        return check_palette_path(p, role)
    except ValueError:
        raise ValueError(f"{role}={os.fspath(output)!r} has extension {p.suffix!r}; expected "
                         f"a palette file ({', '.join(PALETTE_FORMATS)}) or a swatch image "
                         f"({SWATCH_EXTENSION})") from None


def check_palette_colors(n_colors: Any) -> int:
    """``n_colors`` checked as :func:`extract_palette` takes it: the k of a palette image,
    1 to 256, as :func:`~quantize.reduce.reduce_file` fits the colours of its default
    ``.png``.

    >>> check_palette_colors(6), check_palette_colors(256)
    (6, 256)
    >>> check_palette_colors(300)
    Traceback (most recent call last):
    ...
    quantize.errors.CodeAdviceError: n_colors=300 is more than a palette image holds: at \
most 256 colours (the palette is the one fitted for a .png, a palette image); for more \
colours, reduce_file(input, 'out.webp', n_colors=300, palette_out='p.gpl') writes them

    Raises
    ------
    CodeAdviceError
        More colours than a palette image holds; ``facts`` is the reason without the
        advice, which names a Python call.
    ValueError, TypeError
        Not an integer of 1 or more.
    """
    k = check_n_colors(n_colors)
    try:
        check_indexed_colors(k, "n_colors")
    except FormatAdviceError as exc:  # its advice, another output format, is none here
        raise CodeAdviceError(
            f"{exc.facts} (the palette is the one fitted for a .png, a palette image)",
            advice=f"for more colours, reduce_file(input, 'out.webp', n_colors={k}, "
            "palette_out='p.gpl') writes them") from None
    return k


def extract_palette(input: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                    *, n_colors: int | None = None, space: Space = "rgb",
                    exact_colors: bool = False, seed: Seed = 0, matte: Any = None,
                    force: bool = False, max_pixels: int | None = DEFAULT_MAX_PIXELS,
                    fixed_colors: Any = None,
                    intent: Intent = DEFAULT_INTENT) -> dict[str, Any]:
    """The palette of a still image file, as :func:`~quantize.reduce.reduce_file` fits it,
    its colours by share (largest first); written to ``output`` when given.

    Parameters
    ----------
    input : path
        A still image file (any Pillow reads; upright by its EXIF orientation, in sRGB;
        a TIFF's GDAL_NODATA pixels transparent, as ``reduce_file`` reads them).
    output : path, optional
        A palette file (.gpl, .json, .hex, .act, .pal, .txt, .css or .ase:
        :func:`~quantize.palette_files.palette_file_bytes`) or a swatch image (.png: one
        square of 64 pixels per colour, equal whatever the share, in a row:
        :func:`~quantize.palette_files.swatch_png_bytes`), its entries in share order.
        Default: nothing is written.
    n_colors, space, exact_colors, seed, matte, max_pixels, intent
        As in :func:`~quantize.reduce.reduce_file` (``n_colors`` 1 to 256, default 16), which
        fits the same colours for the same options (its ``palette_out`` lists them in the
        image's order: a translucent entry first, and the entry of fully transparent
        pixels, which is no colour here).
    force : bool
        Overwrite an existing ``output``. The input is never overwritten.
    fixed_colors : sequence of colours, optional
        As in :func:`~quantize.reduce_colors`: colours the palette keeps, listed first in
        the order given (whatever their share), the fitted ones after them by share.

    Returns
    -------
    dict
        ``{"input", "output", "k", "space", "n_colors", "exact_colors", "seed", "matte",
        "palette", "seconds"}``: ``output`` None when not written, ``k`` the colours found,
        ``matte`` as ``#rrggbb`` or None, ``palette`` a list of ``{"hex": "#rrggbb",
        "alpha": 0..255, "share": float}``, largest share first (ties in the fit's order),
        the shares those of the visible pixels (fully transparent ones are in none);
        with ``fixed_colors``, also ``"fixed_colors"``, a list of ``#rrggbb``; ``intent``
        before ``palette`` when not the default; of an input whose ICC profile was
        converted to sRGB (not an sRGB one), ``source_colour_space`` and ``profile`` at the
        end, and a :class:`~quantize.errors.ProfileConvertedWarning` says it.

    Raises
    ------
    ImageReadError
        The input is missing, unreadable or not an image.
    StillExpectedError
        The input is an animation (or has several pages): a :class:`CodeAdviceError`
        whose ``exit_code`` is 1, the file's cause.
    CodeAdviceError
        ``n_colors`` is more than 256 (:func:`check_palette_colors`): ``facts`` is the
        reason without its advice.
    InputParameterError
        With ``output``, the input has no visible pixel.
    OutputExistsError
        ``output`` exists and ``force`` is false (before any work).
    OutputError
        ``output`` cannot be written or is the input.
    ValueError, TypeError
        A bad parameter.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> folder = tempfile.TemporaryDirectory()
    >>> photo = os.path.join(folder.name, "flag.png")
    >>> image = np.zeros((4, 4, 3), np.uint8); image[:, 1:] = [200, 40, 40]
    >>> Image.fromarray(image).save(photo)
    >>> record = extract_palette(photo, os.path.join(folder.name, "flag.css"), n_colors=2)
    >>> [(entry["hex"], entry["alpha"], entry["share"]) for entry in record["palette"]]
    [('#c82828', 255, 0.75), ('#000000', 255, 0.25)]
    >>> print(open(record["output"]).read(), end="")
    /* flag: palette by quantize */
    :root {
      --color-1: #c82828; /* 75.00% */
      --color-2: #000000; /* 25.00% */
    }
    >>> folder.cleanup()
    """
    start = time.perf_counter()
    opts = check_reduce_options(n_colors=n_colors, space=space, exact_colors=exact_colors,
                                seed=seed, matte=matte, force=force, max_pixels=max_pixels,
                                fixed_colors=fixed_colors, intent=intent)
    k = check_palette_colors(opts["n_colors"])
    src = require_regular_file(input, frames="either")
    out = None if output is None else check_palette_output(output)
    if out is not None:
        check_output_path(out, inputs=(src,), force=opts["force"])
    with open_input(src, max_pixels=opts["max_pixels"]) as source:
        if source.n_frames > 1:
            raise StillExpectedError(
                f"has {source.n_frames} frames (an animation, or pages); a palette is "
                "extracted from a still image", advice="reduce_file(input, palette_out=...) "
                "fits one palette for all the frames", path=src)
        loaded = source.load(dark_advice=DARK_OUTPUT, nodata=opts["nodata"],
                             intent=opts["intent"]).on_matte(opts["matte"])
    note_profile_converted(loaded.source_profile, opts["intent"],
                           None if out is None else out.name)
    job = FileJob(None, "palette", None, k)  # as reduce_file fits for its default .png
    result, *_ = reduce_within_limit(loaded.rgb, loaded.alpha, fit_options(job, loaded, opts),
                                     check_seed(opts["seed"]),
                                     clear_entry=job.room_for_clear_entry())
    fixed = opts["fixed_colors"]
    entries, shares = _by_share(result, 0 if fixed is None else len(fixed))
    names = fixed_entry_names(entries, fixed)  # as the palette file of fixed colours named them
    if out is not None:
        write_together([(out, _output_bytes(out, entries, shares, src, names))],
                       replace=opts["force"])
    return {"input": str(src), "output": None if out is None else str(out), "k": result.k,
            "space": result.space, "n_colors": k, "exact_colors": opts["exact_colors"],
            "seed": opts["seed"] if isinstance(opts["seed"], int) else None,
            "matte": None if opts["matte"] is None
            else "#{:02x}{:02x}{:02x}".format(*opts["matte"]),
            **({} if fixed is None else {"fixed_colors": fixed}),
            **({} if opts["intent"] == DEFAULT_INTENT else {"intent": opts["intent"]}),
            "palette": palette_entries(entries[:, :3], shares, entries[:, 3], names),
            "seconds": round(time.perf_counter() - start, 3),
            **profile_fields(loaded.source_profile)}


def _by_share(result: ReduceResult, n_fixed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``(k, 4)`` entries of ``result`` (straight RGBA) and their shares, largest share
    first, ties in the fit's order (which puts translucent entries first, for a PNG's
    ``tRNS`` chunk); without the entry of fully transparent pixels. The first ``n_fixed``
    entries (fixed colours) stay first, in their order."""
    order = np.concatenate([np.arange(n_fixed),
                            n_fixed + np.argsort(-result.shares[n_fixed:], kind="stable")])
    return result.full_palette(alpha=True)[:result.k][order], result.shares[order]


def _output_bytes(out: Path, entries: np.ndarray, shares: np.ndarray, src: Path,
                  names: list[str | None] | None = None) -> bytes:
    """The bytes of the palette output ``out``: a swatch image for .png, else the palette file
    named after the input ``src``, its entries named by ``names`` (None: unnamed); refused
    for an image of no visible pixel."""
    if entries.shape[0] == 0:
        raise InputParameterError("has no visible pixel (every pixel is fully transparent): "
                                  f"no colour to write to {out}", path=src)
    if out.suffix.lower() == SWATCH_EXTENSION:
        return swatch_png_bytes(entries)
    return palette_file_bytes(out, entries, shares, gpl_alpha=True, name=output_stem(src),
                              names=names)
