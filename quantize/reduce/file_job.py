"""The file job: :func:`reduce_file`, one image file to a reduced image file.

Checks everything about the outputs that can be checked before reading the
image, reads it, reduces it with :func:`quantize.reduce.reduce_colors`, encodes
the result in memory, and writes it atomically; the record it returns is what
the CLI prints and batch reports.
"""

from __future__ import annotations

import contextlib
import io as _io
import os
import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple

import numpy as np
from PIL import Image

from .. import _threads
from .._validation import Seed, check_path, check_seed, foreign_keywords, shown_number
from ..colors import edge_color, premultiply
from ..encode import (
    encode_gray_png,
    gray_bit_depth,
    one_frame_apng,
    png_with_exif,
    png_with_text,
    tiff_options,
    tiff_page,
    tiff_with_exif,
)
from ..errors import (
    AdvisedFormats,
    AlphaLossWarning,
    FormatAdviceError,
    ImageReadError,
    OutputExistsError,
    QualityError,
    warn_caller,
)
from ..io import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    STREAM_NAME,
    LoadedImage,
    NoData,
    OpenInput,
    PixelRangeWarning,
    check_output_path,
    check_output_size,
    copy_stream,
    folder_made,
    held_dpi,
    input_size,
    is_file_object,
    is_readable_object,
    kept_exif,
    open_input,
    pillow_limit_lifted,
    remove_stale_parts,
    require_regular_file,
    write_all,
    write_together,
)
from ..io.profiles import DEFAULT_INTENT, Intent, note_profile_converted, note_profile_kept
from ..io.stretch import StretchCurve, clipped_share
from ..names import extension_words, output_stem, quoted, reduced_name
from ..palette_files import PaletteNames, entry_hex, palette_file_bytes
from ..reconstruct.palette import indexed_image
from .budget import budget_bound, most_fitting
from .fit import DEFAULT_COLORS, Space, check_n_colors, fixed_names
from .image import DARK_OUTPUT, palette_subset, pinned_rows, reduce_within_limit
from .options import (
    EDGE,
    Options,
    check_options,
    check_output_names,
    check_palette,
    check_palette_draws,
    check_palette_out,
    check_palette_out_holds,
    check_reduce_options,
    choose_fewer_advice,
    clear_entry_at,
    entries_drawn,
    gif_entries,
    held_entries,
    kept_for_transparency,
    opaque_repeats,
    palette_in_name,
    read_palette_in_named,
    refuse_animation_masks,
    refuse_animation_nodata,
    refuse_animation_stretch,
    refuse_animation_subset,
    refuse_animation_transparent_color,
    too_many_colors,
    visible_entries,
    warn_fixed_fill,
    warn_palette_far,
    warn_palette_without_alpha,
    warn_transparent_entries,
    warn_unused_repeats,
    without_padding_repeats,
)
from .quality import warn_quality_scale
from .records import (
    BLUR_SIGMA,
    GEO_TAGS_KEPT,
    MATTE_ADVICE,
    TEXT_KEPT,
    ShownOutput,
    check_default_output,
    check_shown_as,
    errors_shown,
    job_record,
    name_colors,
    note_exif_left_out,
    note_geo_tags_left_out,
    note_gif_table,
    note_lossy_colors,
    note_text_left_out,
    output_named,
    output_said,
    palette_entries,
    palette_out_said,
    reading_record,
    recorded_options,
    too_large,
)
from .result import GIF_ALPHA_THRESHOLD, MAX_PALETTE, ReduceResult, first_clear, mask_outputs

if TYPE_CHECKING:
    from ..animation.frames import OpenAnimation
    from ..animation.job import OnFrame

__all__ = ["GIF_ALPHA_THRESHOLD", "PALETTE_EXTENSIONS", "RGB_EXTENSIONS", "AlphaLossWarning",
           "check_ext", "check_indexed_colors", "check_outputs_given", "default_output",
           "default_output_names", "header_format", "output_kind", "reduce_file"]

#: Output extensions written as indexed (palette) images, at most 256 entries.
PALETTE_EXTENSIONS = (".png", ".apng", ".gif", ".bmp")
#: Output extensions written as the reduced image in RGB (RGBA when it has alpha), but
#: a .tif of an opaque image of at most 256 entries: a palette TIFF.
RGB_EXTENSIONS = (".jpg", ".jpeg", ".webp", ".tif", ".tiff")
#: The TIFF extensions among them.
TIFF_EXTENSIONS = (".tif", ".tiff")
# A result's (H, W) indices, (n, 4) entries and each entry's share, numbered as a given
# palette numbers its entries (_given_entries).
_Entries = tuple[np.ndarray, np.ndarray, np.ndarray]

# JPEG is lossy whatever the reduction; WebP is written lossless, so the file
# holds exactly the reduced colours its metrics describe. Pillow's JPEG save options,
# for every JPEG written: quality 95 and full-resolution colour (4:4:4, subsampling 0).
# Pillow's default 4:2:0 keeps one colour sample per 2 x 2 pixels, which bleeds across
# the edges of flat, saturated regions: 8 saturated colours in 8 x 8 blocks at k = 8
# decoded at 18.7 dB PSNR against the reduced image with 4:2:0, 55.9 dB with 4:4:4; the
# seven benchmark photos at k = 16 and 64 at 33.6-38.5 dB and 38.2-41.0 dB, for 1.28 to
# 1.54 times the bytes.
_JPEG_OPTIONS = {"quality": 95, "subsampling": 0}


def check_ext(ext: str, name: str = "ext", where: str = "") -> str:
    """Refuse a suffix ``ext`` that names outputs ``<input stem>`` + ``ext`` (``quantize
    reduce --ext``, ``batch --ext``) unless it ends, in any case, in an extension of
    :data:`PALETTE_EXTENSIONS` or :data:`RGB_EXTENSIONS`, which picks the format, and
    holds no "/"; ``name`` names it in the errors, and ``where`` (", which is written
    beside its input: ...") says, after the error of a "/", where the output goes.

    >>> check_ext(".k16.PNG")
    '.k16.PNG'
    >>> check_ext("_small/a.png", "--ext")
    Traceback (most recent call last):
    ValueError: --ext='_small/a.png' holds a '/'; expected a suffix of the output's name
    >>> check_ext(".tga")
    Traceback (most recent call last):
    ValueError: ext='.tga' is not valid; expected a suffix ending in an image extension \
(.png, .apng, .gif, .bmp, .jpg, .jpeg, .webp, .tif, .tiff), e.g. ext='.k16.png'
    """
    if not isinstance(ext, str):
        raise TypeError(f"{name}={ext!r} is a {type(ext).__name__}; expected a string such "
                        "as '.k16.png'")
    if "/" in ext:  # said as such: the suffix may well end in an image extension
        raise ValueError(f"{name}={quoted(ext)} holds a '/'; expected a suffix of the "
                         f"output's name{where}")
    known = (*PALETTE_EXTENSIONS, *RGB_EXTENSIONS)
    if not ext.lower().endswith(known):
        example = f"{name} .k16.png" if name.startswith("-") else f"{name}='.k16.png'"
        raise ValueError(f"{name}={quoted(ext)} is not valid; expected a suffix ending in an "
                         f"image extension ({', '.join(known)}), e.g. {example}")
    return ext

# Images up to this many pixels are measured in the caller, before their output is
# encoded, not on a thread beside the encoding: on 300 photo crops of 32-64 pixels a
# side, a thread's start, join and turns at the GIL cost more than the PSNR and
# CIEDE2000 themselves (about 0.4 ms at 64 x 64, 1 ms at 128 x 128).
_MEASURED_HERE_MAX_PIXELS = 128 * 128

# The formats advised: for a still too large for its output's (a WebP's 16383 pixels a
# side); for more colours than a palette image holds (an output in RGB).
_WIDE_INSTEAD = AdvisedFormats(".png or .tif", (".png", ".tif"))
_RGB_INSTEAD = AdvisedFormats("a .jpg/.webp/.tif output", (".jpg", ".webp", ".tif"))


# Input formats whose files may hold an animation, named by default with its own extension
# (a multi-page TIFF's pages as a TIFF).
_MAYBE_ANIMATED = (".gif", ".webp", ".apng", ".tif", ".tiff")


@foreign_keywords
def reduce_file(input: str | os.PathLike[str] | BinaryIO,
                output: str | os.PathLike[str] | BinaryIO | None = None,
                *, n_colors: int | None = None, quality: float | None = None,
                quality_limit: float | None = None, space: Space = "rgb",
                dither: float | bool | Literal["ordered", "pattern"] = 0.0,
                exact_colors: bool = False, palette_in: Any = None,
                palette_fitted: bool = False,
                palette_out: str | os.PathLike[str] | None = None,
                seed: Seed = 0, force: bool = False,
                max_pixels: int | None = DEFAULT_MAX_PIXELS,
                max_frames: int | None = DEFAULT_MAX_FRAMES, skip_if_larger: bool = False,
                optimize: bool = False, palette: str = "global",
                max_bytes: int | str | None = None, matte: Any = None, strip: bool = False,
                keep_gps: bool = False, masks: str | os.PathLike[str] | None = None,
                shown_as: ShownOutput | None = None, nodata: NoData = "tag",
                fixed_colors: Any = None, intent: Intent = DEFAULT_INTENT,
                nearest: bool = False, transparent_color: Any = None,
                on_frame: OnFrame | None = None, format: str | None = None,
                stretch: bool = False, stretch_clip: float = 0.0,
                stretch_curve: StretchCurve = "linear", stretch_softening: float | None = None,
                stretch_range: tuple[float, float] | None = None) -> dict[str, Any]:
    """Reduce the colours of an image file and write the result; the job behind ``quantize reduce``.

    Parameters
    ----------
    input : path or binary file object
        Image file to read (any mode Pillow opens; EXIF orientation applied).
        A regular file: it is read more than once, so a pipe or device
        (``/dev/stdin``, a FIFO) is refused. Or an object with a ``read`` method giving
        bytes (``io.BytesIO(data)``, an upload, a file opened ``"rb"``): copied into a
        temporary file first, checked as :func:`quantize.io.load_image` checks a file
        object, and read as a file is, an animation's every frame too; errors name it
        ``<stream>``. It has no name: give ``output``.
    output : path or binary file object, optional
        Where to write; the extension picks the format, or ``format`` for an object with
        a ``write`` method taking bytes (``io.BytesIO()``, a response body): the image is
        written to a temporary file as to a path, with every check, and the object gets
        its bytes in one go, only once they are complete (nothing on an error), then is
        flushed; ``palette_out`` is put in place after that. Not with ``masks``, which
        are named after the output's name. .png and .gif are
        indexed (at most 256 colours, transparency kept: a .gif's binary, its colours
        fitted to it, alpha below ``GIF_ALPHA_THRESHOLD`` transparent and the rest
        opaque), and so is .bmp (8 bits a pixel, no alpha: drawn on black, as a .jpg),
        .jpg/.jpeg/.webp/.tif/.tiff get the reduced image in RGB (RGBA with alpha), but a
        .tif/.tiff of an opaque image of at most 256 entries is indexed, a palette TIFF of
        the .png's entries. Default
        ``<stem>.k<N>.png`` beside the input. The input's physical resolution
        (:attr:`~quantize.io.LoadedImage.dpi`) is kept where the format holds one: a
        .png's pHYs chunk, a .jpg's JFIF density, a .tif's resolution tags, a .bmp's
        pixels per metre.
    n_colors, quality, quality_limit, space, dither, exact_colors, seed
        As in :func:`~quantize.reduce.reduce_colors` (``n_colors`` defaults to 16, or to at
        most 256 with ``quality``), except that ``seed`` defaults to 0, so
        that a file gives the same output on every run, as on the command line.
    palette_in : path or (k, 3) uint8 array, optional
        Map onto this palette (a .gpl/.json/.hex/.act/.pal/.txt file) instead of fitting
        one. Beside a .gif output, an image with transparency is mapped onto its entries
        as the GIF holds them: those of alpha below ``GIF_ALPHA_THRESHOLD`` left out, the
        others opaque. Dithered onto as a given palette is (the whole error diffused;
        ordered, each colour of an opaque image mixed from as many entries as it needs:
        :func:`~quantize.reduce.reduce_colors`' ``palette``), which keeps the image's
        tone on a device's few colours, unless ``palette_fitted``. Undithered, each
        colour takes its nearest entry in RGB, or by CIEDE2000 with ``space="lab"``.
    palette_fitted : bool
        ``palette_in`` was fitted to colours like these (a palette fitted to many images
        together, as ``quantize batch --shared-palette`` fits one): dithered onto as a
        fitted palette is, as if fitted to this image, and with ``space="lab"``
        matched by Lab distance, as the fit matches. Needs ``palette_in``.
    palette_out : path, optional
        Also write the palette (.gpl, .json, .hex, .act, .pal, .txt, .css or .ase by
        extension), each
        entry with its fitted alpha (opaque beside a .gif output): given back as
        ``palette_in`` for the same input, it gives the same output (fitted with
        ``space="lab"``, given back with ``palette_fitted``).
    force : bool
        Overwrite existing outputs. The input is never overwritten.
    max_pixels : int or None
        Refuse larger images (see :func:`quantize.io.load_image`); an
        animation's frames x width x height counts, checked before any frame
        is decoded.
    max_frames : int or None
        Refuse an animation or TIFF stack of more frames (pages), counted from
        the file before any frame is decoded (default 10,000; None: no limit):
        each frame costs a fixed time however few its pixels.
    skip_if_larger : bool
        Write nothing, and raise :class:`~quantize.errors.ResultTooLargeError`,
        when the result would be larger than the input file.
    optimize : bool
        Spend more time encoding a PNG for a smaller file (several row filters
        and zlib strategies tried; a fitted palette may be reordered and unused
        entries dropped, so the file's palette order can differ from
        ``palette_out``'s, but a ``palette_in`` palette keeps its entries and
        order); an animation's GIF or APNG encoder takes it too.
        Other formats are written as without it.
    palette : {"global", "per-frame"}
        For an animation: one palette fitted on all frames (default: no
        flicker, a colour that does not change keeps its index), or a local
        palette for each frame ("per-frame", .gif output only, ``n_colors``
        each). A still image has one frame, so both give the same result.
        Not colours: those that :func:`~quantize.reduce.reduce_colors` takes as ``palette`` are
        ``palette_in`` here.
    nearest : bool
        For an animation with one palette, undithered: map every pixel of every frame onto
        its nearest entry, as a still's pixels are, for the best PSNR. By default a pixel
        takes its left neighbour's entry, or keeps the previous frame's, when that is
        within ΔE 2 of its nearest, which gives LZW and deflate long runs (a GIF of a
        panned photo 4 to 25 % smaller at 256 colours, 1 to 5 dB lower). A still, and a
        frame with a palette of its own (``palette="per-frame"``), is mapped so anyway.
        Recorded (``"nearest": true``) when given. Default: False.
    matte : (r, g, b), colour name or ``#rrggbb``, optional
        The background the output is shown on (an e-mail's, a web page's): translucent
        pixels (alpha 1 to 254: a soft shadow, anti-aliased edges) are composited onto it
        and made opaque before the colours are fitted, fully transparent ones stay
        transparent and opaque ones unchanged (:func:`~quantize.colors.on_matte`), in
        every frame of an animation. For a .gif, whose transparency is on or off, this
        keeps the soft edges as they look on that background; in any other format it
        flattens the soft alpha too. Default: None (alpha kept as read).
    fixed_colors : sequence of colours, optional
        Colours the fitted palette keeps as its first entries, as
        :func:`~quantize.reduce.reduce_colors` keeps them (an animation's one palette
        too; not with ``palette="per-frame"``): index 0 of a .png, .gif or .bmp and of
        ``palette_out`` is the first; the entry of fully transparent pixels comes after
        them. Not with ``palette_in``.
    transparent_color : colour or "edge", optional
        The colour of the entry of fully transparent pixels (its alpha stays 0): a colour
        as ``matte`` takes one (a sprite's key colour, ``"#ff00ff"``, which a .bmp, holding
        no alpha, then shows where the image was transparent), or ``"edge"``: the mean
        colour of the visible pixels next to the transparent ones
        (:func:`~quantize.colors.edge_color`), so that a renderer filtering the texture
        without premultiplying blends no dark outline into its edges. Default None:
        black. The pixels and the metrics are the same whatever it is. A still image
        only; not with ``palette_in``, whose own entry of alpha 0 gives the colour.
    strip : bool
        Write no EXIF. Without it, the output keeps the input's EXIF
        (:attr:`~quantize.io.LoadedImage.exif`: artist, copyright, description, camera,
        date, or a TIFF's tags that say them; its Orientation 1, as the pixels are
        upright; not a camera's thumbnail of the original) where its format holds it:
        a .png's eXIf chunk, a .webp's or .jpg's EXIF, a .tif's tags (of an animation,
        an APNG's, a WebP's, a TIFF's first page's: see
        :func:`~quantize.animation.reduce_animation_file`); a .gif or .bmp (which hold
        none), given an input with EXIF, is written without it and an
        :class:`~quantize.errors.ExifLeftOutWarning` says so. No output carries an ICC
        profile: the pixels are converted to sRGB as they are read. The EXIF's GPS
        directory, the location a phone records, is left out unless ``keep_gps``.
    keep_gps : bool
        Keep the GPS directory of the input's EXIF (where the picture was taken) in the
        output, which leaves it out by default, as a published picture should not give
        its place away (pngquant keeps no EXIF at all). An input without one is written
        the same either way. Default: False.
    masks : path, optional
        A folder (made when missing) to write one mask per palette entry the image uses
        into, a screen printer's separations, together with the output (all or none): a
        1-bit PNG named ``<output stem>.ink<NN>-<rrggbb>.png``, black where that entry's
        pixels are, white elsewhere (fully transparent pixels in none), with the input's
        resolution; ``NN`` is the entry's index in the output (its ``palette_out`` line),
        as :meth:`~quantize.reduce.ReduceResult.save_masks` writes them. A still only: an
        animation is refused.
    nodata : float, sequence of 3 floats, "tag" or None, default "tag"
        The value that marks missing data, as :func:`quantize.io.load_image` takes it: its
        pixels are read as fully transparent, and so get the output's transparent entry
        (a .png's, a .gif's), as transparent pixels do. ``"tag"``: the value of a TIFF's
        GDAL_NODATA tag, when it has one, with a :class:`~quantize.io.nodata.NoDataWarning`;
        None: no pixel is no data. A still only: a value given for an animation is refused.
    intent : {"relative-bpc", "relative", "perceptual", "saturation", "absolute"}
        The rendering intent by which an input's ICC profile (a CMYK file's, an Adobe RGB
        one's) is converted to sRGB, as :func:`quantize.io.load_image` takes it; such a
        conversion is said by a :class:`~quantize.errors.ProfileConvertedWarning` and
        recorded (``source_colour_space``, ``profile``). Recorded when not the default. An
        animation's frames are converted by the default (their profiles are RGB, which
        every intent converts alike but of a table-based one).
    shown_as : ShownOutput, optional
        How errors and warnings name ``output``, for a caller that writes it there only to
        copy it elsewhere (``quantize reduce -o -``: a temporary file, then stdout):
        ``shown_as.name`` for the file (``stdout: GIF has no partial alpha``),
        ``shown_as.option`` for the parameter (``--format='jpg'`` for
        ``output='/tmp/.../stdout.jpg'``), and no path in an error about the file itself
        (a result too large, a full disk). Default: by ``output``'s path. Needs ``output``.
    on_frame : callable, optional
        For an animation, told of each frame as it is done, ``on_frame(stage, frame,
        n_frames)``, as :func:`~quantize.animation.reduce_animation_file` tells it: the
        progress of a long animation, for a caller to show. Not called for a still.
    format : str, optional
        The format of an ``output`` file object, by the extension that names it for a
        path, in any case, without the dot: ``"png"``, ``"apng"``, ``"gif"``, ``"bmp"``,
        ``"jpg"``, ``"jpeg"``, ``"webp"``, ``"tif"`` or ``"tiff"``; needed for one, and given
        for no other ``output`` (a path's extension picks its format).
    stretch, stretch_clip, stretch_curve, stretch_softening, stretch_range
        Read the input stretched, as :func:`quantize.io.load_image` takes them, before the
        fit: a 16-bit, signed, 32-bit or float grey image (a scan, a CT slice in Hounsfield
        units, negative values too) from its own range (``stretch``), its percentiles
        (``stretch_clip``) or a fixed range (``stretch_range=(low, high)``, the same scale
        for every file, values beyond clipped), through ``stretch_curve``. Without them
        such an image is read as counts of 65535 (a file of 901..3116 as levels 4..12),
        and a :class:`~quantize.io.PixelRangeWarning` says when that merged its values.
        Recorded when given (``stretch``, ``stretch_clip``, ``stretch_curve``,
        ``stretch_softening``, ``stretch_fixed``: the range given), with
        ``stretch_range`` (the values read as 0 and 255) and, of a fixed range,
        ``stretch_clipped`` (the share of the pixels beyond it) at the end. A still only.

    Returns
    -------
    dict
        ``{"input", "output", "k", "space", "n_colors", "quality", "dither",
        "exact_colors", "palette_in", "palette_mode", "seed", "optimize", "psnr",
        "delta_e", "seconds", "bytes_in", "bytes_out", "frames", "palette"}``: paths as
        strings (None for a file object), ``k`` the colours used, ``n_colors`` to
        ``optimize`` the options that shaped the output, with which it is made again
        (:func:`~quantize.reduce.records.recorded_options`: the ``palette`` option is
        ``palette_mode``, a Generator seed None),
        with ``quality_limit``, that too after ``quality``, and ``quality_met`` at the end:
        whether ``quality`` was reached (false: the result of all the colours allowed was
        written, as it meets the limit);
        ``psnr`` in dB (None when lossless),
        ``delta_e`` the mean CIEDE2000, ``seconds`` the wall time of the whole
        job, ``frames`` 1 for a still image, ``palette`` a list of
        ``{"hex": "#rrggbb", "alpha": 0..255, "share": float}`` (beside a .gif
        output, each entry's alpha as the GIF holds it, as ``palette_out`` does); with
        ``optimize``, also ``optimized``: whether the output's encoder took it (of a GIF
        animation, whether that stored some frame smaller); for a
        .gif output of an image with translucent pixels (or an animation's frames mapped
        onto ``palette_in``), also ``alpha_thresholded``: how many were made transparent
        or opaque (of an animation, over all frames), a loss that ``psnr`` and
        ``delta_e``, measured against the image so made, leave out; dithered, also
        ``blurred_psnr`` at the end: the PSNR after a blur of 1 px of both images (of an
        animation, of each frame as shown, pooled over all the frames' pixels; None when
        lossless); of a still whose ICC profile was converted to sRGB (not an sRGB one),
        also ``source_colour_space`` ("CMYK", "RGB" or "GRAY") and ``profile`` (its
        description) at the end; stretched, ``stretch_range`` (and ``stretch_clipped``)
        last; unstretched, of a grey file whose values came out as fewer 8-bit levels
        (:attr:`~quantize.io.LoadedImage.merged`), ``measured_against``
        ("the 8-bit reading": ``psnr`` and ``delta_e`` are of that reading, not of the
        file's values, and ``psnr`` None is no lossless result) and ``merged`` (its
        values and the levels they became) last.

    Raises
    ------
    ImageReadError
        The input (or palette file) is missing, unreadable or not an image, or
        the input is a pipe or device.
    OutputExistsError
        An output exists and ``force`` is false: before any work, or once it is done
        (another run wrote it meanwhile; nothing is written).
    OutputError
        An output cannot be written or would replace the input.
    ResultTooLargeError
        ``skip_if_larger`` and the result is larger than the input.
    QualityError
        ``quality`` cannot be reached, nor ``quality_limit`` when given.
    ValueError, TypeError
        A bad parameter (e.g. ``output`` or ``palette_out`` a folder, or a name ending
        in ``/``; more colours than a .png holds, or an output format
        whose sides are shorter than the image's: .webp 16383 pixels, .jpg 65500,
        .gif 65535).

    Warns
    -----
    quantize.reduce.quality.QualityScaleWarning
        When ``quality`` is above 20, which nearly any image meets with the fewest
        colours: a 0-100 score (pngquant's) is not what it measures.
    quantize.errors.QualityLimitWarning
        When ``quality`` was out of reach and the result of all the colours allowed,
        which meets ``quality_limit``, was written.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> from quantize.reduce import reduce_file
    >>> folder = tempfile.TemporaryDirectory()
    >>> photo = os.path.join(folder.name, "flag.png")
    >>> image = np.zeros((4, 6, 3), np.uint8); image[:, 3:] = [200, 40, 40]
    >>> Image.fromarray(image).save(photo)
    >>> record = reduce_file(photo, n_colors=2, palette_out=photo + ".hex")
    >>> os.path.basename(record["output"]), record["k"], record["psnr"]
    ('flag.k2.png', 2, None)
    >>> [entry["hex"] for entry in record["palette"]], Path(photo + ".hex").read_text().split()
    (['#000000', '#c82828'], ['000000', 'c82828'])

    Bytes in memory to bytes in memory, as a web service holds them:

    >>> import io
    >>> upload, reply = io.BytesIO(Path(photo).read_bytes()), io.BytesIO()
    >>> record = reduce_file(upload, reply, n_colors=2, format="gif")
    >>> reply.getvalue()[:6], len(reply.getvalue()), record["bytes_out"], record["output"]
    (b'GIF87a', 40, 40, None)
    >>> folder.cleanup()
    """
    if is_readable_object(input) or is_file_object(output) or format is not None:
        given = dict(locals())  # the parameters, before any other name is bound
        return _reduce_file_objects(given.pop("input"), given.pop("output"),
                                    given.pop("format"), given)
    start = time.perf_counter()
    opts = check_reduce_options(n_colors=n_colors, quality=quality,
                                quality_limit=quality_limit, space=space, dither=dither,
                                exact_colors=exact_colors, palette_in=palette_in,
                                palette_fitted=palette_fitted, palette_out=palette_out,
                                seed=seed, force=force, max_pixels=max_pixels,
                                max_frames=max_frames, skip_if_larger=skip_if_larger,
                                optimize=optimize,
                                palette=palette, max_bytes=max_bytes, matte=matte,
                                strip=strip, keep_gps=keep_gps, masks=masks, nodata=nodata,
                                fixed_colors=fixed_colors, intent=intent, nearest=nearest,
                                transparent_color=transparent_color, stretch=stretch,
                                stretch_clip=stretch_clip, stretch_curve=stretch_curve,
                                stretch_softening=stretch_softening,
                                stretch_range=stretch_range)
    src = require_regular_file(input, frames="either")  # a still, or every frame
    if output is not None:
        check_path(output, "output")
    shown = check_shown_as(shown_as, output)
    # A bad input is named before its outputs, and an animation over the limit (frames x
    # pixels) before its first frame is decoded; the file is opened once for both, and
    # for an animation's frames.
    with open_input(src, max_pixels=opts["max_pixels"],
                    max_frames=opts["max_frames"]) as source:
        # its errors name dither as given: dither=True, not the strength 1 it stands for
        job = _plan_file_job(src, output, {**opts, "dither": dither}, source.n_frames > 1,
                             shown)
        animation = _animation(source, opts["max_pixels"], opts["matte"])
        if animation is None:
            bytes_in = input_size(src)
            read = source.load(dark_advice=DARK_OUTPUT, nodata=opts["nodata"],
                               intent=opts["intent"],
                               keep_gray_profile=_keeps_gray_profile(job.output, opts),
                               **_stretch_of(opts))
            _warn_merged(read)
            loaded = read.on_matte(opts["matte"])  # itself when it blends no pixel
            matted = None if opts["matte"] is None else loaded is not read
    if animation is not None:  # every frame, written as an animation
        from ..animation.job import reduce_open_animation

        refuse_animation_stretch(opts)
        opts = {name: value for name, value in opts.items() if name not in _STRETCH_OPTIONS}
        with animation:
            return reduce_open_animation(animation, output, shown_as=shown,
                                         palette_in_read=job.palette, on_frame=on_frame,
                                         **opts)
    warn_quality_scale(opts["quality"])
    thresholded = 0
    if job.output is not None:
        check_output_size(job.output.suffix, loaded.shape[::-1],
                          output_said(job.output, shown), _WIDE_INSTEAD)
        if job.output.suffix.lower() == ".gif":
            loaded, thresholded = _binary_alpha(loaded, output_named(job.output, shown))
    job = job.with_chosen_entries(loaded, opts["space"], opts["fixed_colors"])
    given = _given_table(job, palette_in)  # the given palette as the output holds it, or None
    numbers = _numbering(job, given, palette_out, masks)
    try:
        checked = fit_options(job, loaded, opts, shown)
        if checked.quality is None:
            warn_fixed_fill(checked.fixed_colors, checked.n_colors)
        bound = set_by = None  # what set the k of max_bytes, of quality
        if opts["max_bytes"] is None:
            result, met, set_by = reduce_within_limit(loaded.rgb, loaded.alpha, checked,
                                                      check_seed(opts["seed"]),
                                                      clear_entry=job.room_for_clear_entry())
            numbered, encoded = _numbered(result, numbers), None
        else:  # the output's format: named, or the default's (a .png)
            ((result, numbered), encoded), over = _within_budget(
                loaded, checked, job, opts, job.output or Path("default.png"), numbers)
            met = True  # a transparent entry took one of the n_colors asked (colors_for)
            bound = budget_bound(result.k, job.n_colors, over, checked.n_colors < job.n_colors)
    except QualityError as exc:
        raise _with_rgb_hint(exc, job, opts, loaded.alpha is not None) from None
    n = name_colors(job.n_colors, job.palette, opts["quality"], result.k)
    out = job.output or _check_default_output(src, n, opts["quality"], force)
    # Measure while the output is encoded: both release the GIL for most of the work.
    # In this job's context, so that a batch records any warning of it with the file's.
    small = loaded.shape[0] * loaded.shape[1] <= _MEASURED_HERE_MAX_PIXELS
    dithered = bool(opts["dither"])  # a strength above 0, "ordered" or "pattern"
    with (errors_shown(out, shown),
          _threads.beside(lambda: (result.psnr, result.delta_e,
                                   _blurred_psnr(loaded, result) if dithered else None,
                                   _psnr_shown(loaded.alpha, result)),
                          here=small) as metrics):
        exif, text = _exif_kept(loaded, opts), _text_kept(loaded, opts)
        data, optimized = encoded or _encoded(result, numbered, loaded, out, job,
                                              opts["optimize"], exif, text,
                                              _geo_tags_kept(loaded, opts))
        note_exif_left_out(exif, out, output_named(out, shown))
        note_geo_tags_left_out(_geo_tags_kept(loaded, opts), out, output_named(out, shown))
        note_text_left_out(text, out, output_named(out, shown))
        note_profile_converted(loaded.source_profile, opts["intent"], output_named(out, shown))
        note_profile_kept(loaded.gray_profile, output_named(out, shown))
        if out.suffix.lower() == ".gif" and job.palette is None:  # a fitted palette's table
            full = result.full_palette(alpha=True)
            note_gif_table(full.shape[0], bool((full[:, 3] == 0).any()), output_named(out, shown))
        _warn_timing_loss(loaded, out)
        _warn_alpha_loss(result, out, output_named(out, shown), numbered)
        if job.palette is not None:
            warn_palette_without_alpha(job.palette, loaded.alpha, job.palette_name,
                                       from_file=isinstance(palette_in, str | os.PathLike))
            # a repeated colour keeps its index in the file written, unlike an animation's
            warn_transparent_entries(opts["palette_in"], job.palette, job.palette_name)
            warn_unused_repeats(opts["palette_in"], job.palette, job.palette_name)
        if opts["skip_if_larger"] and len(data) > bytes_in:
            raise too_large(len(data), bytes_in, out)
        # of the JPEG written only: not of a result left unwritten, whose input's bytes
        # --copy-if-larger writes instead
        note_lossy_colors(out, output_named(out, shown), result.k)
        files = [(out, data)]
        if palette_out is not None:  # both or neither: no new image beside an old palette
            files.append((palette_out,
                          _palette_out_bytes(palette_out, result, output_stem(src),
                                             *_naming(given, job, opts), numbered)))
        if masks is not None:
            separations = _mask_files(result, numbered, Path(masks), out.stem, loaded.dpi)
            # named by their colours: checked once they are known (a folder not made yet
            # holds none)
            for path, _ in separations if os.path.isdir(masks) else ():
                check_output_path(path, inputs=(src,), force=force)
            files += separations
        remove_stale_parts([path for path, _ in files])
        with folder_made(masks) if masks is not None else contextlib.nullcontext():
            write_together(files, replace=force)  # not one another run wrote meanwhile
        # After the write, so that the metrics run beside the write too; the command
        # holds Ctrl-C back from the write until the file is reported, so also for as long
        # as they still take then (usually nothing: they run beside the encoding).
        value, error, blurred, shown_psnr = metrics.result()
        if job.palette is not None and not opts["palette_fitted"]:
            warn_palette_far(error, job.palette_name, opts["fixed_colors"])
    listed = _reported_entries(result, numbered, *_naming(given, job, opts))
    return job_record(src, out, k=len(listed), space=result.space,
                      options=recorded_options(opts), psnr=value, delta_e=error, start=start,
                      bytes_in=bytes_in, bytes_out=len(data), frames=1, palette=listed,
                      optimized=optimized if opts["optimize"] else None,
                      matted=matted,
                      alpha_thresholded=thresholded,
                      quality_met=None if opts["quality_limit"] is None else met,
                      blurred_psnr=blurred, psnr_shown=shown_psnr, max_bytes_bound=bound,
                      quality_bound=set_by,
                      colours_used=None if job.palette is None
                      else int(np.count_nonzero(result.shares)),
                      source_profile=loaded.source_profile, nodata=loaded.nodata,
                      reading=_reading_of(loaded, opts))


#: The options of a stretch (:func:`~quantize.reduce.options.check_stretch_options`).
_STRETCH_OPTIONS = ("stretch", "stretch_clip", "stretch_curve", "stretch_softening",
                    "stretch_range")


def _stretch_of(opts: dict[str, Any]) -> dict[str, Any]:
    """The stretch options of checked ``opts``, as :meth:`~quantize.io.OpenInput.load`
    takes them."""
    return {name: opts[name] for name in _STRETCH_OPTIONS}


def _reading_of(loaded: LoadedImage, opts: dict[str, Any]) -> dict[str, Any]:
    """:func:`~quantize.reduce.records.reading_record` of ``loaded``, read with the
    stretch of ``opts``: the range stretched, the share clipped by a fixed one
    (:func:`~quantize.io.stretch.clipped_share`), or the values its 8-bit reading
    merged."""
    fixed = opts["stretch_range"]
    clipped = None
    if fixed is not None and loaded.stretch_values is not None:
        clipped = clipped_share(loaded.stretch_values, fixed, loaded.alpha)
    return reading_record(opts["stretch"], loaded.stretch_range, clipped, loaded.merged)


def _warn_merged(loaded: LoadedImage) -> None:
    """Say (a :class:`~quantize.io.PixelRangeWarning`) that the 8-bit reading of
    ``loaded`` merged its values (:attr:`~quantize.io.LoadedImage.merged`): the output
    and its measures are of that reading, not of the file's values."""
    if loaded.merged is None:
        return
    values, levels = loaded.merged
    warn_caller(PixelRangeWarning(
        f"its 8-bit reading merged its {values:,} values into {levels} levels: the PSNR and "
        "ΔE2000 are measured against that reading, not the file's values; a stretch maps "
        "its own range, or a fixed one, onto 0..255 first"))


def _reduce_file_objects(input: Any, output: Any, format: Any,
                         options: dict[str, Any]) -> dict[str, Any]:
    """:func:`reduce_file` of ``input`` and ``output``, either a binary file object, the
    output's format ``format``, with the other ``options``: a file object read is copied
    into a temporary file (:func:`~quantize.io.copy_stream`), named as the file it was
    opened from (``name``) if any, and its errors name it
    :data:`~quantize.io.STREAM_NAME`; an output file object gets the bytes of a temporary
    file written as a path is, in one go once they are complete, its errors and warnings
    naming it ``output`` and its format ``format=...``, and ``palette_out``, written
    beside that file, is put in place after it (:func:`_landed`). Both outputs are checked
    before the stream is read (:func:`check_outputs_given`). The record names a file
    object None."""
    import tempfile

    reading, writing = is_readable_object(input), is_file_object(output)
    suffix = _stream_suffix(output, format, writing)
    if reading and output is None:
        raise ValueError("output=None names the output after the input, but input is a file "
                         "object, which has no name; give output: a path, or a binary file "
                         "object with format='png' (say)")
    if writing:
        _check_output_object(output, options)
    # before the stream is read, and before the image is written beside the palette_out
    # file's scratch copy, whose job checks that copy only
    check_outputs_given(None if writing else Path(output),
                        check_reduce_options(**{name: value for name, value in options.items()
                                                if name not in ("shown_as", "on_frame")}),
                        None)
    with tempfile.TemporaryDirectory(prefix="quantize-") as folder:
        scratch = Path(folder)
        src = input
        if reading:  # named as the file it was opened from, if any: a palette file takes it
            name = getattr(input, "name", None)
            src = scratch / (Path(name).name if isinstance(name, str) and name else "stream")
            copy_stream(input, src, "input")
        out, palette_out = output, options["palette_out"]
        if writing:
            out = scratch / f"output{suffix}"
            if palette_out is not None:  # both or neither: put in place once the image is
                (scratch / "palette").mkdir()
                options = {**options, "palette_out": scratch / "palette" / Path(palette_out).name}
            options["shown_as"] = ShownOutput("output", f"format={quoted(format)}",
                                              None if palette_out is None else str(palette_out))
        try:
            record = reduce_file(src, out, **options)
        except ImageReadError as exc:
            if not reading or exc.path != str(src):
                raise
            raise type(exc)(exc.reason, path=STREAM_NAME) from None
        if writing:
            _landed(output, out, palette_out, options)
    return {**record, "input": None if reading else record["input"],
            "output": None if writing else record["output"]}


def _stream_suffix(output: Any, format: Any, writing: bool) -> str | None:
    """The extension whose format ``format`` names for the file object ``output``
    (``writing``), checked: needed for one, refused for a path or None, whose format its
    extension or the default picks.

    >>> _stream_suffix(None, "GIF", True)
    '.gif'
    >>> _stream_suffix("small.png", "gif", False)
    Traceback (most recent call last):
    ValueError: format='gif' picks the format of an output file object, but output='small.png' \
is a path, whose extension picks its format; leave format out
    """
    if format is None:
        if writing:
            raise ValueError(f"format=None: output={output!r} is a file object, which has no "
                             "extension to pick its format; give format='png' (or one of "
                             f"{_FORMAT_NAMES})")
        return None
    if not isinstance(format, str):
        raise TypeError(f"format={format!r} is a {type(format).__name__}; expected a string "
                        f"such as 'png', one of {_FORMAT_NAMES}")
    if not writing:
        what = ("None, named after the input" if output is None
                else f"{quoted(os.fspath(output))} is a path, whose extension picks its format"
                if isinstance(output, str | os.PathLike) else f"{output!r}")
        raise ValueError(f"format={quoted(format)} picks the format of an output file object, "
                         f"but output={what}; leave format out")
    suffix = "." + format.lower()
    if suffix not in (*PALETTE_EXTENSIONS, *RGB_EXTENSIONS):
        raise ValueError(f"format={quoted(format)} is not valid; expected one of {_FORMAT_NAMES}")
    return suffix


def _check_output_object(output: Any, options: dict[str, Any]) -> None:
    """Refuse, before any work, an output file object in text mode, and ``masks`` beside
    one: the masks are named after the output's name, which it has not."""
    if isinstance(output, _io.TextIOBase):
        raise TypeError(f"output={output!r} is a file object in text mode; open the file in "
                        "binary mode ('wb')")
    if options["masks"] is not None:
        raise ValueError(f"masks={quoted(os.fspath(options['masks']))} names each mask after "
                         "the output, but output is a file object, which has no name; write "
                         "the image to a path for its masks")


def _landed(output: Any, image: Path, palette_out: Any, options: dict[str, Any]) -> None:
    """Write the bytes of the file ``image`` to the file object ``output`` in one go and
    flush it (:func:`~quantize.io.write_all`), then put the ``palette_out`` file written
    beside it (``options["palette_out"]``) in place, so that a write that fails leaves no
    new palette file."""
    try:
        write_all(output, image.read_bytes())
    except TypeError:  # an object of its own that writes text
        raise TypeError(f"output={output!r} is a file object in text mode; open the file in "
                        "binary mode ('wb')") from None
    if palette_out is not None:
        remove_stale_parts([palette_out])
        write_together([(palette_out, Path(options["palette_out"]).read_bytes())],
                       replace=options["force"])


#: The formats an output file object takes (``format``), named as :func:`_stream_suffix`'s
#: errors list them.
_FORMAT_NAMES = ", ".join(repr(ext[1:]) for ext in (*PALETTE_EXTENSIONS, *RGB_EXTENSIONS))


def _psnr_shown(alpha: np.ndarray | None, result: ReduceResult
                ) -> tuple[float, float] | None:
    """``result``'s PSNR composited on black and on white when the image's ``alpha`` (as
    fitted: a GIF's made binary) has translucent pixels, which show otherwise on each;
    else None. ``psnr``, measured premultiplied, is the one on black, alpha's error beside,
    and reads lower for a fit that looks better on white."""
    if alpha is None or not ((alpha > 0) & (alpha < 255)).any():
        return None
    return result.psnr_on("black"), result.psnr_on("white")


def _encoded(result: ReduceResult, numbered: _Entries | None, loaded: Any, out: Path,
             job: FileJob, optimize: bool, exif: bytes | None,
             text: tuple[tuple[bytes, bytes], ...] = (),
             geo_tags: bytes | None = None) -> tuple[bytes, bool]:
    """The bytes of ``result`` (of the image ``loaded``; ``numbered``: :func:`_numbered`) in
    ``out``'s format (:func:`_encode`, with the input's timing and resolution, and ``exif``
    where the format holds it; a PNG with the input's ``text`` chunks before its image
    data, :func:`_text_kept`; a TIFF with its ``geo_tags``, :func:`_geo_tags_kept`), and
    whether ``optimize`` acted on them."""
    data, optimized = _encode(result, out, job.kind, optimize, _gif_timing(loaded, out),
                              loaded.dpi, given=job.palette is not None, numbered=numbered,
                              exif=exif, gray=loaded.gray, icc=loaded.gray_profile)
    if out.suffix.lower() in TEXT_KEPT:
        data = png_with_text(data, text)
    if out.suffix.lower() in GEO_TAGS_KEPT and geo_tags is not None:
        buffer = _io.BytesIO(data)
        tiff_with_exif(buffer, geo_tags)  # as stored: the same pixels, placed alike
        data = buffer.getvalue()
    return _apng_timing(loaded, out, data), optimized


def _exif_kept(loaded: Any, opts: dict[str, Any]) -> bytes | None:
    """The EXIF of the image ``loaded`` that its output keeps: none with ``strip``, its GPS
    directory only with ``keep_gps`` (:func:`~quantize.io.kept_exif`)."""
    return kept_exif(loaded.exif, opts["strip"], opts["keep_gps"])


def _geo_tags_kept(loaded: Any, opts: dict[str, Any]) -> bytes | None:
    """The GeoTIFF and GDAL tags of the image ``loaded``
    (:attr:`~quantize.io.LoadedImage.geo_tags`) that its output keeps: none with ``strip``;
    a .tif alone holds them (:func:`~quantize.reduce.records.note_geo_tags_left_out`)."""
    return None if opts["strip"] else getattr(loaded, "geo_tags", None)


def _text_kept(loaded: Any, opts: dict[str, Any]) -> tuple[tuple[bytes, bytes], ...]:
    """The text chunks of the image ``loaded`` (a PNG's:
    :attr:`~quantize.io.LoadedImage.text`) that its output keeps: none with ``strip``."""
    return () if opts["strip"] else loaded.text


def _within_budget(loaded: Any, checked: Options, job: FileJob, opts: dict[str, Any],
                   out: Path, numbers: np.ndarray | None
                   ) -> tuple[tuple[tuple[ReduceResult, _Entries | None],
                                    tuple[bytes, bool]], bool]:
    """The result of the most colours, at most ``checked.n_colors``, whose output in
    ``out``'s format fits in ``opts["max_bytes"]``
    (:func:`~quantize.reduce.budget.most_fitting`: each k reduced from the seed, as
    ``n_colors=k`` reduces it, and encoded in memory), with its numbering by the table
    ``numbers`` (:func:`_numbering`, :func:`_numbered`), and its bytes, and whether the
    budget bounded k (k + 1 measured over it); the warnings of that k alone are given.

    Raises
    ------
    SizeBudgetError
        When even 2 colours do not fit.
    """
    def make(k: int) -> tuple[tuple[ReduceResult, _Entries | None], tuple[bytes, bool]]:
        result, *_ = reduce_within_limit(loaded.rgb, loaded.alpha,
                                         replace(checked, n_colors=k), check_seed(opts["seed"]),
                                         clear_entry=job.room_for_clear_entry())
        numbered = _numbered(result, numbers)
        return (result, numbered), _encoded(result, numbered, loaded, out, job,
                                            opts["optimize"], _exif_kept(loaded, opts),
                                            _text_kept(loaded, opts),
                                            _geo_tags_kept(loaded, opts))

    fixed = checked.fixed_colors  # counted in every k tried
    return most_fitting(make, lambda made: len(made[1][0]), opts["max_bytes"],
                        checked.n_colors, 0 if fixed is None else fixed.shape[0])


def _blurred_psnr(loaded: Any, result: ReduceResult) -> float:
    """The PSNR of ``result`` against the image ``loaded``, both blurred by a Gaussian of
    :data:`~quantize.reduce.records.BLUR_SIGMA` pixels first (premultiplied with alpha):
    roughly what the eye sees of a dithered image, whose pattern plain PSNR counts as
    noise (:func:`quantize.metrics.psnr`'s ``blur``)."""
    from ..metrics import psnr  # for a dithered result only

    if loaded.alpha is None:
        return psnr(loaded.rgb, result.to_rgb(), blur=BLUR_SIGMA, max_pixels=None)
    return psnr(np.dstack([loaded.rgb, loaded.alpha]), result.to_rgba(), blur=BLUR_SIGMA,
                max_pixels=None)


def _animation(source: OpenInput, max_pixels: int | None,
               matte: tuple[int, int, int] | None) -> OpenAnimation | None:
    """The animation ``source`` holds open, kept open beyond it, its frames composited onto
    ``matte`` when given (:func:`~quantize.animation.frames.opened_animation`); None for a
    still."""
    if source.n_frames < 2:
        return None
    from ..animation.frames import opened_animation  # the animation package builds on this one

    return opened_animation(source, max_pixels, DARK_OUTPUT, matte)



def _gif_palette(job: FileJob, alpha: np.ndarray | None,
                 shown: ShownOutput | None) -> np.ndarray | None:
    """The given palette a still of ``alpha`` is mapped onto: beside a .gif output, whose
    alpha is binary, an image with alpha (made binary by :func:`_binary_alpha`) maps onto
    the entries as the GIF holds them, those of alpha below :data:`GIF_ALPHA_THRESHOLD`
    left out and the others opaque (as an animation's frames do), with an
    :class:`AlphaLossWarning` when some entry was translucent (naming the output as
    ``shown`` says); else ``job.palette`` itself.

    Mapped onto the translucent entries, opaque pixels took entries that the GIF then
    wrote transparent (they vanished), and ``palette_out`` kept alpha the GIF has not.
    """
    pal = job.palette
    if (pal is None or alpha is None or job.output is None
            or job.output.suffix.lower() != ".gif" or pal.shape[1] == 3):
        return pal
    drawn, n = gif_entries(pal)
    if n == 0:
        return pal
    merged = opaque_repeats(pal)
    warn_caller(AlphaLossWarning(
        f"{output_named(job.output, shown)}: GIF has no partial alpha, so {n} translucent palette "
        f"{'entry is' if n == 1 else 'entries are'} made opaque, or left out below alpha "
        f"{GIF_ALPHA_THRESHOLD}, before the image is mapped onto {job.palette_name}"
        f"{'; ' + merged if merged else ''}", advice="write .png to keep alpha"))
    if drawn.shape[0] == 0 and alpha.any():
        raise ValueError(f"{job.palette_name} has no entry with alpha >= "
                         f"{GIF_ALPHA_THRESHOLD}, but the image has opaque pixels; a GIF "
                         "draws its pixels opaque or transparent, so it needs at least one "
                         "opaque colour")
    return drawn


def _with_rgb_hint(exc: QualityError, job: FileJob, opts: dict[str, Any],
                   has_alpha: bool) -> QualityError:
    """``exc`` (a ``quality`` out of reach of an indexed output's 256 colours), saying that an
    output in RGB could hold more, where more could help: no dithering (which takes at most
    256 colours), and ``n_colors`` not given, or above the 256 the indexed output stops at.
    Of an input with alpha (``has_alpha``), the formats named are those that keep it, in
    RGBA (.tif, .webp; a .jpg would drop it)."""
    if job.kind != "palette" or opts["dither"]:
        return exc
    advised = (AdvisedFormats(".tif, .webp", (".tif", ".webp")) if has_alpha
               else AdvisedFormats(".tif, .webp, .jpg", (".tif", ".webp", ".jpg")))
    formats = (f"an output in RGBA ({advised.words}), which keeps the alpha," if has_alpha
               else f"an output in RGB ({advised.words})")
    if job.n_colors is None:
        advice = f"{formats} may hold more, with n_colors=K"
    elif job.n_colors > MAX_PALETTE:
        advice = (f"a palette image holds no more; {formats} may hold the "
                  f"n_colors={job.n_colors} allowed")
    else:
        return exc
    return QualityError(exc.reason, path=exc.path, format_advice=advice, formats=advised)


def fit_options(job: FileJob, loaded: Any, opts: dict[str, Any],
                shown: ShownOutput | None = None) -> Options:
    """The options :func:`~quantize.reduce.image.reduce_within_limit` fits the image
    ``loaded`` with for the job ``job``, its checked options ``opts``
    (:func:`~quantize.reduce.options.check_reduce_options`): the colours its output holds
    (:meth:`FileJob.colors_for`), a given palette as the output draws it, and where its
    transparent entry goes. The one fit of a still that :func:`reduce_file` writes and
    :func:`~quantize.reduce.palette_job.extract_palette` lists; prior validation is
    assumed."""
    k = job.colors_for(loaded, opts["quality"])
    mapped = _drawn_entries(job, _gif_palette(job, loaded.alpha, shown), loaded.alpha)
    checked = check_options(k, opts["quality"], opts["space"], opts["dither"],
                            opts["exact_colors"], mapped, opts["quality_limit"],
                            # beside a given palette, pinned among its entries chosen
                            fixed_colors=opts.get("fixed_colors") if job.palette is None
                            else None)
    # A fitted palette's transparent entry comes first, but after its fixed colours.
    clear_at = (job.clear_entry_at() if checked.fixed_colors is None
                else checked.fixed_colors.shape[0])
    return replace(checked, asked=job.n_colors, clear_at=clear_at,
                   fitted_palette=opts["palette_fitted"],
                   clear_color=_clear_color(opts.get("transparent_color"), loaded))


def _clear_color(asked: tuple[int, int, int] | str | None, loaded: Any
                 ) -> tuple[int, int, int]:
    """The colour of the entry of the fully transparent pixels of the image ``loaded``:
    ``asked`` (``transparent_color``, checked), the mean colour of the visible pixels next
    to them for :data:`~quantize.reduce.options.EDGE`, black by default."""
    if asked is None or loaded.alpha is None:
        return 0, 0, 0
    return edge_color(loaded.rgb, loaded.alpha) if asked == EDGE else asked


def _drawn_entries(job: FileJob, mapped: np.ndarray | None,
                   alpha: np.ndarray | None) -> np.ndarray | None:
    """The entries of the given palette ``mapped`` (:func:`_gif_palette`) that an opaque
    image (``alpha`` None) is mapped onto: those its output draws opaque (alpha 255; beside
    a .gif, at least :data:`GIF_ALPHA_THRESHOLD`), when it has any, else ``mapped``.

    The output keeps every entry of the palette with its alpha (:func:`_given_entries`), so
    an opaque pixel mapped onto a translucent entry's colour would be drawn translucent."""
    if alpha is not None or mapped is None or mapped.shape[1] == 3:
        return mapped
    gif = job.output is not None and job.output.suffix.lower() == ".gif"
    opaque = mapped[:, 3] >= (GIF_ALPHA_THRESHOLD if gif else 255)
    return mapped[opaque] if opaque.any() else mapped


def _given_table(job: FileJob, palette_in: Any) -> np.ndarray | None:
    """The given palette as the job's indexed output holds it, every entry at its index,
    ``(n, 4)`` (None without one), but a padding at its end (a run of one colour, three
    entries or more), kept once, unless its file, ``palette_in``, states its count
    (:func:`~quantize.reduce.options.held_entries`): beside a .gif, alpha below
    :data:`GIF_ALPHA_THRESHOLD` made 0 and the rest 255, as the GIF draws them."""
    if job.palette is None:
        return None
    table = held_entries(job.palette, palette_in)
    if table.shape[1] == 3:
        table = np.hstack([table, np.full((table.shape[0], 1), 255, np.uint8)])
    if job.output is not None and job.output.suffix.lower() == ".gif":
        table = table.copy()
        table[:, 3] = np.where(table[:, 3] >= GIF_ALPHA_THRESHOLD, 255, 0)
    return table


def _first_indices(table: np.ndarray) -> dict[tuple[int, ...], int]:
    """The index of each entry of the given palette ``table`` (:func:`_given_table`) by its
    RGBA values, the first where the palette repeats a colour."""
    first: dict[tuple[int, ...], int] = {}
    for i, entry in enumerate(table.tolist()):
        first.setdefault(tuple(entry), i)
    return first


def _numbering(job: FileJob, given: np.ndarray | None, palette_out: Any, masks: Any
               ) -> np.ndarray | None:
    """The ``given`` table (:func:`_given_table`) when the job's output numbers its entries
    as it does: an indexed image or a palette TIFF (:func:`_encode`), its ``palette_out``
    file or its ``masks``; None for an output in RGB alone, which has no use for it."""
    suffix = (job.output or Path("default.png")).suffix.lower()  # a still's default: .png
    if (suffix in (*PALETTE_EXTENSIONS, *TIFF_EXTENSIONS) or palette_out is not None
            or masks is not None):
        return given
    return None


def _numbered(result: ReduceResult, numbers: np.ndarray | None) -> _Entries | None:
    """:func:`_given_entries` of ``result`` and the table ``numbers`` (:func:`_numbering`),
    None without one: worked out once for an output, whose encoding, ``palette_out`` file
    and masks number its entries alike."""
    return None if numbers is None else _given_entries(result, numbers)


def _given_entries(result: ReduceResult, table: np.ndarray) -> _Entries | None:
    """The result's ``(H, W)`` indices and ``(n, 4)`` entries numbered as the given palette
    ``table`` (:func:`_given_table`) numbers them, and each entry's share: every entry of
    the palette at its index, those no pixel takes too, so that index i is the same colour
    in every image mapped onto it. Each of the result's colours is the palette's first
    entry of that colour and alpha; its fully transparent pixels take the palette's first
    entry of alpha 0, or one added after the last when it has none, or in a table of 256
    (a count stated: :func:`~quantize.reduce.options.held_entries`), the second entry of its
    padding, made transparent. None when the table cannot hold them (a colour the palette
    does not have, more than 256 entries, or 256 and no transparent one nor padding), for
    the result's own numbering.
    """
    # A second numbering beside the result's own, and not one with it: the result's
    # (ReduceResult._png_entries, _listed_entries) counts its k distinct colours, each once,
    # and its entry of fully transparent pixels (_clear_at); this one counts the entries of
    # the palette the user gave, as its file holds them (its padding trimmed), a repeated
    # colour at each of its indices, so that index i is the same colour in every image
    # mapped onto it. A result holds no colour twice (a palette's repeats are kept once,
    # with a PaletteInWarning), so it cannot number as the file does.
    if table.shape[0] > MAX_PALETTE:
        return None
    full = result.full_palette(alpha=True)
    first = _first_indices(table)
    lut = [first.get(tuple(entry)) for entry in full[:result.k].tolist()]
    if None in lut:
        return None
    table = table.copy()
    if result.transparent_index is not None:
        clear = first_clear(table)
        if clear is not None:
            lut.append(clear)
        elif table.shape[0] < MAX_PALETTE:
            lut.append(table.shape[0])
            table = np.vstack([table, np.zeros((1, 4), np.uint8)])
        else:  # a full table: the first repeat of a padding kept whole (a count stated)
            at = without_padding_repeats(table).shape[0]
            if at == table.shape[0]:
                return None
            lut.append(at)
            table[at, 3] = 0
    lut_array = np.asarray(lut, dtype=np.intp)
    shares = np.zeros(table.shape[0])
    shares[lut_array[:result.k]] = result.shares
    return lut_array.astype(np.uint8)[result.indices], table, shares


def _palette_out_bytes(path: str | os.PathLike[str], result: ReduceResult, name: str,
                       given: np.ndarray | None = None, names: PaletteNames | None = None,
                       numbered: _Entries | None = None) -> bytes:
    """The palette file's bytes: the result's palette in image order, with the alpha of each
    entry as fitted (beside a GIF, 255: fitted or mapped onto as it holds them): mapped
    onto, the file gives the same image again; an image with no visible pixel has only the
    transparent entry, which is written (an empty file could not be read back). Mapped
    onto a given palette (``given``: :func:`_given_table`), the entries the image holds:
    every one of that palette at its index (``numbered``: :func:`_numbered`).

    The entry of fully transparent pixels, which the image has first unless mapped onto a
    given palette (at its first entry of alpha 0, else after its last), is written at
    that index, black of alpha 0 (an .act file's transparent index, the count including
    it; rrggbbaa in .hex; in a .gpl file, its name ending 'alpha 0') and a share of 0, so that
    entry i of the file is entry i of the image, and the file given back numbers the
    image alike (:meth:`ReduceResult._listed_entries`). The given palette's ``names``
    (:func:`~quantize.palette_files.read_palette_names`) name its entries and the file,
    where its format holds names; else the file is named ``name``."""
    full = result.full_palette(alpha=True)
    if numbered is not None:
        listed, shares = numbered[1:]
    else:
        listed, shares = result._listed_entries() if result.k else (full, None)
    n = listed.shape[0]
    check_palette_out_holds(path, n, f"the palette has {n} colours" if n == result.k else
                            f"the image has {n} entries (its {result.k} colours and the "
                            "transparent one)" if numbered is None else
                            f"the image has {n} entries")
    return palette_file_bytes(path, listed, shares, gpl_alpha=True,
                              name=name if names is None or names.name is None else names.name,
                              names=_entry_names(listed, given, names, numbered is not None),
                              columns=8 if names is None or names.columns is None
                              else names.columns)


def _naming(given: np.ndarray | None, job: FileJob, opts: dict[str, Any]
            ) -> tuple[np.ndarray | None, PaletteNames | None]:
    """The table whose entries name the output's (:func:`_entry_names`) and their names:
    the given palette's (``given``: :func:`_given_table`) as its file names them, else, for
    a fitted palette, its fixed colours (``opts["fixed_colors"]``, checked), as the palette
    file they were read from named them (:func:`~quantize.reduce.fit.fixed_names`)."""
    fixed = opts["fixed_colors"]
    if given is not None or not fixed_names(fixed):
        return given, job.palette_names
    table = np.array([[*bytes.fromhex(c[1:]), 255] for c in fixed], np.uint8)
    return table, PaletteNames(None, fixed_names(fixed))


def _entry_names(entries: np.ndarray, table: np.ndarray | None, names: PaletteNames | None,
                 numbered: bool = False) -> list[str | None] | None:
    """The name of each of the ``(n, 4)`` ``entries`` mapped onto the given palette
    ``table`` (:func:`_given_table`), as its file ``names`` them: ``numbered``, entry i is
    the table's entry i (:func:`_given_entries`), else the table's first entry of its
    colour and alpha; None (an entry of the result's own, a transparent one added) for an
    entry the table does not give. None when no entry of the file has a name."""
    if table is None or names is None or not names.entries:
        return None
    if numbered:
        at: list[int | None] = list(range(entries.shape[0]))
    else:
        first = _first_indices(table)
        at = [first.get(tuple(entry)) for entry in entries.tolist()]
    return [None if i is None or i >= len(names.entries) else names.entries[i] for i in at]


def _mask_files(result: ReduceResult, numbered: _Entries | None, folder: Path, stem: str,
                dpi: tuple[float, float] | None) -> list[tuple[Path, Any]]:
    """The masks of ``result`` (:func:`~quantize.reduce.result.mask_outputs`), its entries
    numbered as the output and ``palette_out`` number them: a given palette's at its
    indices (``numbered``: :func:`_numbered`), else as the result's .png; at the
    resolution ``dpi`` where a PNG holds it."""
    indices, table = (result._png_entries(result.full_palette(alpha=True)) if numbered is None
                      else numbered[:2])
    return mask_outputs(indices, table, folder, stem, held_dpi(dpi, "PNG"))


def _reported_entries(result: ReduceResult, numbered: _Entries | None,
                      given: np.ndarray | None, names: PaletteNames | None
                      ) -> list[dict[str, Any]]:
    """The record's ``palette`` of ``result`` (:func:`~quantize.reduce.records.palette_entries`):
    its ``k`` entries; but for an opaque image mapped onto a given palette with entries not
    opaque, which it was fitted without (:func:`_drawn_entries`) while its output holds
    them (``numbered``: :func:`_numbered`), the entries of the output, entry i its index
    i, so that the record and its ``k`` say what the file holds."""
    if result.alpha is None and numbered is not None and (numbered[1][:, 3] < 255).any():
        table, shares = numbered[1:]
        return palette_entries(table[:, :3], shares, table[:, 3],
                               _entry_names(table, given, names, numbered=True))
    full = result.full_palette(alpha=True)[:result.k]
    return palette_entries(result.palette, result.shares, _entry_alpha(result),
                           _entry_names(full, given, names))


def _entry_alpha(result: ReduceResult) -> np.ndarray | None:
    """The alpha of each of the result's ``k`` entries, or None when the image has none.

    Beside a .gif output it is already what the GIF holds, 0 or 255: the image's alpha
    was made binary before the fit (:func:`_binary_alpha`), and a given palette's
    entries before the mapping (:func:`_gif_palette`)."""
    if result.alpha is None:
        return None
    return result.full_palette(alpha=True)[:result.k, 3]


# --------------------------------------------------------------------------
# Output formats
# --------------------------------------------------------------------------


def output_kind(path: Path, shown: ShownOutput | None = None) -> str:
    """``"palette"`` for an output ``path`` written as an indexed image, ``"rgb"`` for one
    written in RGB, by its extension; ``shown`` names it in the error
    (:class:`~quantize.reduce.records.ShownOutput`; default ``output='<path>'``).

    >>> output_kind(Path("small.gif")), output_kind(Path("small.webp"))
    ('palette', 'rgb')

    Raises
    ------
    ValueError
        For an extension no output is written in, naming ``output`` and the valid ones.
    """
    suffix = path.suffix.lower()
    if suffix in PALETTE_EXTENSIONS:
        return "palette"
    if suffix in RGB_EXTENSIONS:
        return "rgb"
    valid = ", ".join(PALETTE_EXTENSIONS + RGB_EXTENSIONS)
    raise ValueError(f"{output_said(path, shown)} has {extension_words(suffix)}; "
                     f"expected one of {valid}")


def _encode(result: ReduceResult, path: Path, kind: str, optimize: bool,
            gif_timing: dict[str, Any], dpi: tuple[float, float] | None = None,
            given: bool = False, numbered: _Entries | None = None,
            exif: bytes | None = None, gray: bool = False,
            icc: bytes | None = None) -> tuple[bytes, bool]:
    """The output file's bytes, in the format of ``path``'s extension (``gif_timing``:
    :func:`_gif_timing`), with the input's resolution ``dpi`` where the format holds it
    (:func:`~quantize.io.held_dpi`: PNG, JPEG, TIFF, BMP), and whether ``optimize`` acted on
    them (only an indexed PNG's encoder takes it). ``given``: the result is mapped onto a
    given palette (``palette_in``, or a batch's shared one), which an indexed output (and
    a palette TIFF) keeps entry for entry, at the same indices, unused entries too
    (``numbered``: :func:`_numbered`, None when the palette's table cannot hold them),
    and ``optimize`` does not reorder. A fitted palette's entry of fully transparent
    pixels comes first. ``exif``: the EXIF block a .png (an eXIf chunk), .webp, .jpg or
    .tif output keeps (a TIFF's tags: :func:`~quantize.encode.tiff_with_exif`). ``gray``:
    the input is a grey file; a .png (:func:`_gray_png_no_larger`), .tif or .jpg of it
    whose entries are all grey, of a palette not ``given`` (whose indices the file keeps), is
    written grey (:func:`_gray_encoded`), with ``icc``, the grey ICC profile its levels are
    in (:attr:`~quantize.io.LoadedImage.gray_profile`), when it has one; without one, a
    .tif of one or two levels is written 1 bit a pixel instead (:func:`_one_bit_tiff`)."""
    suffix = path.suffix.lower()
    full = result.full_palette(alpha=True)
    if gray and not given and suffix in _GRAY_SUFFIXES and _all_gray(full) and (
            icc is not None or (
                not _one_bit_tiff(suffix, full, result)
                and (suffix != ".png" or _gray_png_no_larger(full, result)))):
        return _gray_encoded(result, suffix, optimize, dpi, exif, icc)
    if suffix in (".png", ".apng") and 0 < full.shape[0] <= MAX_PALETTE:
        # The palette keeps its order (a palette_out file's entry i is the image's entry
        # i; the entry of fully transparent pixels comes first, as in most palettes that
        # have one) unless optimize asks for the smallest file of a fitted palette: a
        # given one keeps its entries at their indices, unused ones too. Optimize
        # reorders from the default file's order, which it also tries, so that its file
        # is never the larger. With the entry of transparent pixels first, tRNS ends at
        # the last translucent entry, which a fitted palette puts first: on 88 icons with
        # soft edges (48 to 512 pixels a side), 2-5 % smaller at 16, 64 and 256 colours.
        png = result._indexed_png(optimize=optimize, given=given,
                                  dpi=held_dpi(dpi, "PNG"),
                                  entries=None if numbered is None else numbered[:2])
        return png if exif is None else png_with_exif(png, exif), optimize
    if suffix == ".gif":
        # its partial alpha is said by _warn_alpha_loss in the command's words; the palette
        # keeps its order and entries (Pillow's writer renumbered a small image's, dropping
        # those no pixel takes), the image is not interlaced and its codes start at the
        # fewest bits its entries take (Pillow's at 8): 4-14 % smaller on photos. The
        # entry of transparent pixels is where a PNG's is (the LZW codes are as many): a
        # given palette keeps every entry at its index, its first entry of alpha 0 the
        # GIF's transparent one even where no pixel takes it, and a palette_out file
        # given back gives the same GIF.
        return result._indexed_gif(None if numbered is None else numbered[:2],
                                   **gif_timing), False
    if suffix == ".bmp":  # numbered as the PNG is, and as a given palette numbers them
        return result._indexed_bmp(None if numbered is None else numbered[:2],
                                   held_dpi(dpi, "BMP")), False
    buffer = _io.BytesIO()
    fmt = Image.registered_extensions()[suffix]
    held = held_dpi(dpi, fmt)
    resolution = {} if held is None else {"dpi": held}  # Pillow's option, for PNG, JPEG, TIFF
    if kind == "palette":
        result.to_image().save(buffer, format=fmt, **resolution)
        return buffer.getvalue(), False
    params = {".jpg": _JPEG_OPTIONS, ".jpeg": _JPEG_OPTIONS,
              ".webp": {"lossless": True}}.get(suffix, {})
    if fmt == "TIFF":
        params = tiff_options()
    kept = {"exif": exif} if exif is not None and fmt != "TIFF" else {}
    params = {**params, **resolution, **kept}
    has_alpha = result.alpha is not None or result.transparent_index is not None
    if fmt == "TIFF" and not has_alpha and full.shape[0] <= MAX_PALETTE:
        # A palette TIFF (photometric palette, 8 bits a pixel), as an indexed .png holds
        # the image, which GIMP and Photoshop open in indexed mode: on the seven sample
        # photos at k = 6 and 64, 18-29 % smaller than the RGB TIFF written before.
        # With alpha, RGBA: a palette TIFF has no alpha that readers agree on.
        # Black and white only: a bilevel page, Group 4 (tiff_page), as archives keep text;
        # two other colours (a grey input's two levels too): 1 bit a pixel, a colour map.
        image, params = tiff_page(result.to_image() if numbered is None
                                  else indexed_image(numbered[0], numbered[1][:, :3]))
        params = {**params, **resolution}
    elif not has_alpha:
        image = Image.fromarray(result.to_rgb())
    elif suffix in (".jpg", ".jpeg"):
        image = Image.fromarray(_on_black(result))
    else:
        image = Image.fromarray(result.to_rgba())
    image.save(buffer, format=fmt, **params)
    if fmt == "TIFF" and exif is not None:
        tiff_with_exif(buffer, exif)
    return buffer.getvalue(), False


#: The outputs a grey input is written grey in when every entry is grey: a .png of colour
#: type 0 (4 with alpha), a .tif of photometric 1 (min-is-black), a .jpg of one channel.
_GRAY_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")


def _keeps_gray_profile(output: Path | None, opts: dict[str, Any]) -> bool:
    """Whether a grey input's grey ICC profile is kept, its levels read as they are, for
    ``output`` (None: the default, a .png) made with the checked ``opts``: an output written
    grey (:data:`_GRAY_SUFFIXES`), fitted to the image alone, every entry grey; not with
    ``palette_in``, ``fixed_colors`` or ``matte``, whose colours are sRGB's."""
    suffix = ".png" if output is None else output.suffix.lower()
    return suffix in _GRAY_SUFFIXES and all(
        opts[name] is None for name in ("palette_in", "fixed_colors", "matte"))


def _all_gray(full: np.ndarray) -> bool:
    """Whether every entry of the ``(k, 4)`` palette ``full`` is grey (R = G = B)."""
    return bool((full[:, 0] == full[:, 1]).all() and (full[:, 1] == full[:, 2]).all())


def _gray_png_no_larger(full: np.ndarray, result: ReduceResult) -> bool:
    """Whether a grey PNG of ``result`` (of palette ``full``, every entry grey) takes no more
    bits a pixel than its indexed PNG: opaque, its levels held in as few bits as the indices
    (:func:`~quantize.encode.gray_bit_depth`): from 17 levels up (8 bits both), or levels
    on the 1-, 2- or 4-bit grid (0 and 255; 0, 85, 170 and 255; multiples of 17). Else the
    indexed PNG is written: fitted levels (26, 116, 156, 205) take 8 bits in grey against 2
    as indices, and grey with alpha 16 (on six grey photos the grey PNG was 17-90 % larger
    at k = 2, 6-35 % at 4, 2-21 % at 16, and 13-24 % smaller at 256).

    >>> full = np.array([[0, 0, 0, 255], [85, 85, 85, 255], [255, 255, 255, 255]], np.uint8)
    >>> result = type("R", (), {"alpha": None, "transparent_index": None})()
    >>> _gray_png_no_larger(full, result), _gray_png_no_larger(full + 1, result)
    (True, False)
    """
    if result.alpha is not None or result.transparent_index is not None:
        return False
    index_bits = next(bits for bits in (1, 2, 4, 8) if full.shape[0] <= 1 << bits)
    return gray_bit_depth(full[:, 0]) <= index_bits


def _one_bit_tiff(suffix: str, full: np.ndarray, result: ReduceResult) -> bool:
    """Whether ``result`` (of palette ``full``) is a .tif page of one or two colours, opaque,
    written 1 bit a pixel already (:func:`~quantize.encode.tiff_page`: bilevel, or of a
    colour map of its two levels), which a grey page would hold in 8."""
    opaque = result.alpha is None and result.transparent_index is None
    return suffix in (".tif", ".tiff") and opaque and full.shape[0] <= 2


def _gray_encoded(result: ReduceResult, suffix: str, optimize: bool,
                  dpi: tuple[float, float] | None, exif: bytes | None,
                  icc: bytes | None = None) -> tuple[bytes, bool]:
    """The bytes of ``result``, every entry of which is grey, as a grey file in the format of
    ``suffix`` (one of :data:`_GRAY_SUFFIXES`), as :func:`_encode` writes the others: an
    opaque .png by :func:`~quantize.encode.encode_gray_png` (which takes ``optimize``), one
    with alpha grey and alpha (8 bits each), a .tif grey (and alpha), deflated, a .jpg of
    one channel (alpha drawn on black), each with the grey ICC profile ``icc`` when given;
    and whether ``optimize`` acted on them."""
    has_alpha = result.alpha is not None or result.transparent_index is not None
    fmt = Image.registered_extensions()[suffix]
    if fmt == "PNG" and not has_alpha:
        png = encode_gray_png(result.to_rgb()[..., 0], optimize=optimize,
                              dpi=held_dpi(dpi, "PNG"), icc=icc)
        return png if exif is None else png_with_exif(png, exif), optimize
    if not has_alpha:
        image = Image.fromarray(result.to_rgb()[..., 0])
    elif fmt == "JPEG":
        image = Image.fromarray(_on_black(result)[..., 0])
    else:
        image = Image.fromarray(np.ascontiguousarray(result.to_rgba()[..., [0, 3]]), "LA")
    held = held_dpi(dpi, fmt)
    params = {**(tiff_options() if fmt == "TIFF" else _JPEG_OPTIONS if fmt == "JPEG" else {}),
              **({} if held is None else {"dpi": held}),
              **({"exif": exif} if exif is not None and fmt != "TIFF" else {}),
              **({} if icc is None else {"icc_profile": icc})}
    buffer = _io.BytesIO()
    image.save(buffer, format=fmt, **params)
    if fmt == "TIFF" and exif is not None:
        tiff_with_exif(buffer, exif)
    return buffer.getvalue(), False


def _gif_timing(loaded: Any, out: Path) -> dict[str, Any]:
    """Pillow's GIF ``save`` options that keep a GIF input's loop count and duration.

    A GIF of one frame may still be an animation (a delay, a loop extension):
    written as a GIF, it stays one. Any other input or output: none.
    """
    if loaded.format != "GIF" or out.suffix.lower() != ".gif":
        return {}
    timing = {"loop": loaded.loop, "duration": loaded.duration}
    return {key: value for key, value in timing.items() if value is not None}


def _is_apng(loaded: Any) -> bool:
    """Whether a PNG input is an APNG (Pillow reads a loop count only from its ``acTL``)."""
    return loaded.format == "PNG" and loaded.loop is not None


def _apng_timing(loaded: Any, out: Path, data: bytes) -> bytes:
    """``data`` (a PNG file), kept an APNG of one frame with the input's loop count and
    duration when the input is one and ``out`` is a .png or .apng; else ``data``."""
    if not _is_apng(loaded) or out.suffix.lower() not in (".png", ".apng"):
        return data
    return one_frame_apng(data, loaded.loop, loaded.duration or 0.0)


def _keeps_timing(loaded: Any, out: Path) -> bool:
    suffix = out.suffix.lower()
    return ((loaded.format == "GIF" and suffix == ".gif")
            or (_is_apng(loaded) and suffix in (".png", ".apng")))


def _warn_timing_loss(loaded: Any, out: Path) -> None:
    """Warn when an animation of one frame (a duration, a loop count) is written as a still.

    A GIF written as .gif and an APNG as .png keep them; a WebP of one frame
    is written as a still image (libwebp writes no animation of one frame).
    Pillow reads a still WebP as played once for 0 ms, and a GIF without a
    delay or loop extension has neither.
    """
    loop, duration = loaded.loop, loaded.duration or 0.0
    timed = {"GIF": loop is not None or duration > 0, "PNG": _is_apng(loaded),
             "WEBP": loop not in (None, 1) or duration > 0}.get(loaded.format, False)
    if not timed or _keeps_timing(loaded, out):
        return
    from ..animation.sinks import warn_timing_loss  # the animation package builds on this one

    warn_timing_loss(loaded.format, 1, (duration, duration), loop, out)


def _on_black(result: ReduceResult) -> np.ndarray:
    """``(H, W, 3)`` uint8: the reduced image composited on black, as JPEG shows it."""
    shown = np.rint(premultiply(result.full_palette(alpha=True))[:, :3]).astype(np.uint8)
    return shown[result.indices]


def _binary_alpha(loaded: Any, named: str) -> tuple[Any, int]:
    """``loaded`` with the alpha a GIF holds, before its colours are fitted: 0 below
    :data:`GIF_ALPHA_THRESHOLD`, 255 from it (None when nothing is left transparent), with
    an :class:`AlphaLossWarning` when a pixel was translucent, naming the output ``named``;
    and how many pixels were translucent.

    Fitted on the alpha as read, the entries of faint pixels became transparent only as the
    GIF was written: colours lost (``-k 16`` drew 10 on coffee under an alpha ramp), and
    the opaque pixels mapped on means that had taken in translucent ones (16.9 dB of PSNR
    against the GIF's alpha, where fitted on it, as an animation's frames are, 34.3 dB).
    """
    alpha = loaded.alpha
    if alpha is None:
        return loaded, 0
    n = int(np.count_nonzero((alpha > 0) & (alpha < 255)))
    if n:
        warn_caller(AlphaLossWarning(
            f"{named}: GIF has no partial alpha, so {n:,} translucent "
            f"{'pixel is' if n == 1 else 'pixels are'} made transparent (alpha below "
            f"{GIF_ALPHA_THRESHOLD}) or opaque before the colours are fitted (the metrics "
            "compare with that)", advice=f"write .png to keep alpha, or {MATTE_ADVICE}"))
    clear = alpha < GIF_ALPHA_THRESHOLD
    return replace(loaded, alpha=np.where(clear, 0, 255).astype(np.uint8) if clear.any()
                   else None), n


def _warn_alpha_loss(result: ReduceResult, path: Path, named: str,
                     numbered: _Entries | None = None) -> None:
    """Warn when ``path``'s format drops alpha the result has (JPEG and BMP: all; a GIF's
    result has binary alpha already: :func:`_binary_alpha`, :func:`_gif_palette`), naming
    the output ``named``; a BMP numbered as a given palette (``numbered``:
    :func:`_numbered`), or whose transparent entry has a colour asked for it
    (``transparent_color``), keeps that entry's index and colour, which it says."""
    full = result.full_palette(alpha=True)
    fmt = _NO_ALPHA.get(path.suffix.lower())
    if fmt is not None and (full[:, 3] < 255).any():
        keyed = result.transparent_index is not None and full[result.k, :3].any()
        table = numbered if numbered is not None or not keyed else (
            None, result._listed_entries()[0], None)
        warn_caller(AlphaLossWarning(
            f"{named}: {fmt} has no alpha, so {_drawn_without_alpha(fmt, table)} (the "
            "metrics are measured before that)",
            advice="write .png, .webp or .tif to keep alpha"))


def _drawn_without_alpha(fmt: str, numbered: Any) -> str:
    """How ``fmt`` (:data:`_NO_ALPHA`'s name) draws the pixels that are not opaque: on
    black, but a BMP's transparent pixels take the transparent entry of the table
    ``numbered[1]`` (a given palette's: :func:`_numbered`, or a fitted one's whose entry
    has a colour asked for it), which keeps its colour.

    >>> table = np.array([[255, 0, 255, 0], [9, 9, 9, 255]], np.uint8)
    >>> _drawn_without_alpha("BMP", (np.zeros((1, 1), np.uint8), table, np.ones(2)))
    'transparent pixels keep index 0 and show its colour in the palette, #ff00ff, and \
translucent ones are drawn on black'
    """
    clear = None if numbered is None or fmt != "BMP" else first_clear(numbered[1])
    if clear is None:
        return "transparent and translucent pixels are drawn on black"
    return (f"transparent pixels keep index {clear} and show its colour in the palette, "
            f"{entry_hex(numbered[1][clear, :3])}, and translucent ones are drawn on black")


#: The output extensions whose format holds no alpha, with the format's name: an image
#: with alpha is drawn on black (:func:`_on_black`, ``ReduceResult._indexed_bmp``), with a
#: warning.
_NO_ALPHA = {".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}


def _check_palette_size(k: int, kind: str, has_alpha: bool, what: str) -> None:
    """Refuse more colours than an indexed output of a still image holds (one slot goes to
    transparency; an animation's are refused by :func:`_check_frame_colors`)."""
    if kind == "palette":
        check_indexed_colors(k, what, has_alpha)


def check_indexed_colors(k: int, what: str, has_alpha: bool = False) -> None:
    """Refuse ``k`` colours, more than an indexed output (``.png``, ``.gif``, ``.bmp``) holds: 256,
    or 255 beside ``has_alpha``'s transparent entry, in the words of
    :func:`~quantize.reduce.options.too_many_colors`, with the advice of a format that holds
    more. ``what`` names the source of the ``k`` colours: ``"n_colors"`` or the
    ``palette_in`` option (``"palette_in='brand.hex'"``), whose refusal says to give
    ``n_colors`` to choose the best of its entries.

    Raises
    ------
    FormatAdviceError
        The facts, then the advice apart (a caller that chooses the output's format for
        its user, as batch does, leaves it out).
    """
    room = MAX_PALETTE - has_alpha
    if k > room:
        extra = kept_for_transparency(what != "n_colors") if has_alpha else ""
        extra += choose_fewer_advice(what != "n_colors", room)
        raise FormatAdviceError(too_many_colors(what, k, "a palette image", room, extra),
                                format_advice="use fewer colours, or for a still image "
                                f"{_RGB_INSTEAD.words}", formats=_RGB_INSTEAD)


# --------------------------------------------------------------------------
# Planning: every check that needs no pixels
# --------------------------------------------------------------------------


class FileJob(NamedTuple):
    """A reduce_file call's checked outputs: path (None: named after the fitted k), format.

    ``palette_name`` names the palette in errors (see
    :func:`~quantize.reduce.options.palette_in_name`); ``palette_names``, the names its
    file gives it and its entries (:func:`~quantize.palette_files.read_palette_names`;
    None: an array, or a file without names).
    """

    output: Path | None
    kind: str
    palette: np.ndarray | None
    n_colors: int | None
    palette_name: str = "palette_in"
    palette_names: PaletteNames | None = None

    def colors_for(self, loaded: Any, quality: float | None) -> int | None:
        """The ``n_colors`` to fit, once we know whether a transparent entry is needed.

        An indexed output holds 256 entries, the transparent one included: asked
        for 256 colours, an image with fully transparent pixels gets 255 and
        that entry.
        """
        has_alpha = loaded.alpha is not None and bool((loaded.alpha == 0).any())
        if self.palette is not None:
            shown = visible_entries(self.palette)
            check_palette_draws(shown, loaded.alpha, self.palette_name)
            _check_palette_size(shown.shape[0], self.kind, has_alpha, self.palette_name)
            return None
        if self.kind == "palette" and (quality is not None or self.n_colors is not None):
            return min(self.n_colors or MAX_PALETTE, MAX_PALETTE - has_alpha)
        return self.n_colors

    def with_chosen_entries(self, loaded: Any, space: str,
                            fixed: Sequence[str] | None = None) -> FileJob:
        """This job mapping onto the best ``n_colors`` entries of its given palette for the
        image ``loaded`` (:func:`~quantize.reduce.image.palette_subset`), as if the palette
        held them alone, their names kept; the ``fixed`` colours (``#rrggbb``, checked:
        ``fixed_colors``) always among them (:func:`~quantize.reduce.image.pinned_rows`);
        itself without both."""
        if self.palette is None or self.n_colors is None:
            return self
        first = _first_indices(self.palette)
        shown = visible_entries(self.palette)
        rows = np.array([first[tuple(entry)] for entry in shown.tolist()], np.intp)
        pinned = None if not fixed else pinned_rows(
            shown, np.array([list(bytes.fromhex(c[1:])) for c in fixed], np.uint8),
            "fixed_colors", self.palette_name)
        chosen = rows[palette_subset(loaded.rgb, loaded.alpha, shown, self.n_colors, space,
                                     pinned)]
        names = self.palette_names
        if names is not None and names.entries:
            names = names._replace(entries=tuple(
                names.entries[i] if i < len(names.entries) else None for i in chosen.tolist()))
        return self._replace(palette=self.palette[chosen], palette_names=names)

    def clear_entry_at(self) -> int:
        """The index of the entry of fully transparent pixels in the indexed image written:
        where the given palette has its own (mapped onto as a .gif holds it for a .gif
        output: :func:`_gif_palette`), else 0, the first. (An output not named is a .png.)"""
        if self.palette is None:
            return 0
        gif = self.output is not None and self.output.suffix.lower() == ".gif"
        return clear_entry_at(self.palette, animated=gif)

    def room_for_clear_entry(self) -> bool:
        """Whether the output holds a transparent entry beside the given palette's, for the
        faint pixels nearer to it than to any colour where no pixel is fully transparent
        (with some, :meth:`FileJob.colors_for` has checked that there is room)."""
        return (self.palette is None or self.kind != "palette"
                or visible_entries(self.palette).shape[0] < MAX_PALETTE)


def default_output(src: Path, n_colors: int | None, quality: float | None,
                   palette_in: np.ndarray | None, animated: bool | None = None) -> Path | None:
    """The output :func:`reduce_file` names for ``src`` when given none, if it is known
    before the image is read: ``<stem>.k<N>.png`` beside it (N as
    :func:`~quantize.reduce.records.name_colors`).

    None with ``quality`` (N is the k chosen) and for an input whose header shows an
    animation, named with its own extension (a TIFF's pages as a TIFF), whose N counts
    the ``palette_in`` entries its frames draw, not those a still keeps.

    ``animated`` is what the header shows, when the caller has read it. With None, the
    header of a GIF, WebP, APNG or TIFF input, which may be an animation, is read (no
    pixel decoded: :func:`quantize.io.shows_animation`): a still is named ``.png``, as
    :func:`reduce_file` names it, and an input that cannot be read gets None. Any other
    input is named without being read (an APNG named .png is told by ``animated``).

    >>> default_output(Path("a/photo.jpg"), 8, None, None).as_posix()
    'a/photo.k8.png'
    """
    if quality is not None:
        return None
    if animated is None and src.suffix.lower() in _MAYBE_ANIMATED:
        animated = _header_shows_animation(src)
        if animated is None:  # unreadable: reduce_file refuses it and names nothing
            return None
    if animated:
        return None
    return reduced_name(src, name_colors(n_colors, palette_in, None, 0), ".png")


def default_output_names(src: Path, n_colors: int | None, quality: float | None,
                         palette_sizes: tuple[int, int, int] | None
                         ) -> dict[str, Collection[int]]:
    """Every name the default output ``<stem>.k<N><ext>`` of ``src`` may have: each
    extension it may have, and the N it may have with it.

    Known before the image is read, unlike the name itself. The extension is .png, or for
    an animation (a GIF, WebP or APNG, or a multi-page TIFF, whatever the name ends in)
    the input's own extension when an animation is written in it (a TIFF's pages as a
    TIFF), else .gif. With ``quality`` N is the k chosen (1 to ``n_colors``, or to 256; 0
    for an image, or every frame of an animation, with no visible pixel); with a palette,
    ``palette_sizes`` gives N: ``(still, animation, partial)``, the entries a still keeps,
    those a GIF draws and those an animation that keeps partial alpha draws (an APNG, a
    WebP, a TIFF's pages: :func:`~quantize.reduce.options.entries_drawn`), so that an
    animation's .gif is named after the entries it holds, not those of alpha 1 to 127 it
    leaves out; otherwise ``n_colors`` (default 16).

    >>> default_output_names(Path("a/clip.webp"), 8, None, None)
    {'.png': range(8, 9), '.webp': range(8, 9)}
    >>> default_output_names(Path("photo.jpg"), 64, 2.0, None)[".gif"]
    range(0, 65)
    >>> default_output_names(Path("clip.gif"), None, None, (4, 3, 4))
    {'.png': (4,), '.gif': (3,)}
    """
    from ..animation.sinks import default_suffix, partial_alpha_frames

    animation = default_suffix(src)
    if quality is not None:  # 0 for an image with no visible pixel
        numbers = range(0, (MAX_PALETTE if n_colors is None else n_colors) + 1)
    elif palette_sizes is not None:
        still, binary, partial = palette_sizes
        drawn = partial if partial_alpha_frames(animation) else binary
        if animation == ".png":  # a still, or an APNG
            return {".png": tuple(sorted({still, drawn}))}
        return {".png": (still,), animation: (drawn,)}
    else:
        n = DEFAULT_COLORS if n_colors is None else n_colors
        numbers = range(n, n + 1)
    return dict.fromkeys((".png", animation), numbers)


def default_output_suffix(src: str | os.PathLike[str]) -> str | None:
    """The extension of the default output :func:`reduce_file` names for ``src``.

    ``.png`` for a still; for an animation, whatever its name ends in (told
    from the header and frame table, of a GIF up to its second frame, no pixel
    decoded: :func:`quantize.io.shows_animation`), its own
    extension when an animation is written in that format (``.gif``, ``.png``,
    ``.apng``, ``.webp``, and ``.tif``/``.tiff`` as pages), else ``.gif``. None
    when ``src`` cannot be read: :func:`reduce_file` refuses it and writes nothing.

    >>> default_output_suffix("missing.gif") is None
    True
    """
    from ..animation.sinks import default_suffix

    p = Path(src)
    animated = _header_shows_animation(p)
    if animated is None:
        return None
    return default_suffix(p) if animated else ".png"


#: The formats the image of an input written to a stream (stdout) with no format named keeps,
#: as Pillow names them, with the extension that writes each: GIF and PNG, a still or an
#: animation; WebP and TIFF (pages) for an animation only, as a default name keeps it.
_STREAM_KEPT = {"GIF": ".gif", "PNG": ".png"}
_STREAM_KEPT_ANIMATION = {"WEBP": ".webp", "TIFF": ".tif"}


def stream_output_suffix(src: str | os.PathLike[str]) -> str:
    """The extension whose format the image of ``src`` is written in when it goes to a
    stream (stdout) and no format is named: the input's own when it is GIF or PNG, a still
    or an animation (no name shows a change of format: ``cat a.gif | quantize reduce - >
    small.gif`` gives a GIF); an animation's own in WebP or TIFF pages, as
    :func:`default_output_suffix` keeps it; else ``.png``, as a still's default name, and
    when ``src`` cannot be read (:func:`reduce_file` refuses it). Told from the header and
    frame table, not the name, which a copy of stdin does not have.

    >>> stream_output_suffix("missing.gif")
    '.png'
    """
    header = _header(Path(src))
    if header is None:
        return ".png"
    format, animated = header
    kept = _STREAM_KEPT.get(format) or (_STREAM_KEPT_ANIMATION.get(format) if animated else None)
    return kept or ".png"


def _header_shows_animation(src: Path) -> bool | None:
    """Whether the header of ``src`` shows an animation (:func:`_header`), or None when
    ``src`` cannot be read (not a regular file, not an image)."""
    header = _header(src)
    return None if header is None else header[1]


def header_format(src: str | os.PathLike[str]) -> str | None:
    """The format of ``src`` as Pillow names it from the header (``"PNG"``, ``"JPEG"``),
    whatever its name ends in; None when ``src`` cannot be read (not a regular file, not
    an image).

    >>> header_format("missing.png") is None
    True
    """
    from ..errors import ImageReadError
    from ..io import read_errors, readable_input

    p = Path(src)
    try:
        require_regular_file(p)
        with read_errors(p), pillow_limit_lifted(), Image.open(readable_input(p)) as im:
            return im.format
    except (ImageReadError, OSError, ValueError):
        return None


def _header(src: Path) -> tuple[str | None, bool] | None:
    """The format of ``src`` as Pillow names it, and whether its header and frame table
    show an animation (no pixel decoded: :func:`quantize.io.shows_animation`); None when
    ``src`` cannot be read (not a regular file, not an image)."""
    from ..errors import ImageReadError
    from ..io import read_errors, readable_input, shows_animation

    try:
        require_regular_file(src)
        with read_errors(src), pillow_limit_lifted(), Image.open(readable_input(src)) as im:
            return im.format, shows_animation(im)
    except (ImageReadError, OSError, ValueError):
        return None


def _check_frame_colors(src: Path, k: int | None, quality: float | None,
                        per_frame: bool) -> None:
    """Refuse more than 256 colours for the animation ``src`` (but with ``quality``, where
    ``k`` is only the most allowed), in the words of
    :func:`~quantize.animation.options.check_frame_colors` whatever the output's format."""
    from ..animation.options import check_frame_colors
    from ..animation.sinks import default_suffix

    check_frame_colors(k, default_suffix(src), quality, per_frame)


def _load_palette_in(palette_in: Any) -> tuple[np.ndarray | None, PaletteNames | None]:
    """The ``palette_in`` palette (None: none given) and the names its file gives it and its
    entries (None for an array, or a file that names neither itself nor an entry), the
    file read once (:func:`~quantize.reduce.options.read_palette_in_named`)."""
    if palette_in is None:
        return None, None
    if not isinstance(palette_in, str | os.PathLike):
        return check_palette(palette_in, "palette_in", pillow_forms=True), None
    palette, names = read_palette_in_named(palette_in)
    return palette, None if names == PaletteNames(None, ()) else names


def _plan_file_job(src: Path, output: Any, opts: dict[str, Any],
                   animated: bool = False, shown: ShownOutput | None = None) -> FileJob:
    """Check everything about the outputs that can be checked before reading the image.

    ``animated``: the header shows an animation, whose job counts the entries of a
    ``palette_in`` that its frames draw (those of alpha >= ``GIF_ALPHA_THRESHOLD``),
    not those a still image keeps (every entry of alpha > 0). ``shown``: how an error
    names the output (:class:`~quantize.reduce.records.ShownOutput`).
    """
    out = None if output is None else Path(output)
    check_output_names(output, opts["palette_out"])
    kind = output_kind(out if out is not None else Path("default.png"), shown)
    pal_in, names = _load_palette_in(opts["palette_in"])
    quality, force = opts["quality"], opts["force"]
    k = None if opts["n_colors"] is None else check_n_colors(opts["n_colors"])
    name = palette_in_name(opts["palette_in"])
    if animated:  # before the palette's size, which k would choose from
        refuse_animation_subset(k, opts["palette_in"])
    check_options(k, quality, opts["space"], opts["dither"], opts["exact_colors"], pal_in,
                  opts["quality_limit"], name)
    if animated:  # one palette for all frames, whatever the output's format
        _check_frame_colors(src, k, quality, opts["palette"] == "per-frame")
        refuse_animation_masks(opts["masks"])
        refuse_animation_nodata(opts["nodata"])
        refuse_animation_transparent_color(opts["transparent_color"])
    elif k is not None and quality is None:
        _check_palette_size(k, kind, False, "n_colors")
    if pal_in is not None and not animated and k is None:
        _check_palette_size(visible_entries(pal_in).shape[0], kind, False, name)
    if pal_in is not None:
        check_palette_out_holds(palette_out_said(opts["palette_out"], shown),
                                entries_drawn(pal_in, animated=animated) if k is None else k,
                                f"{name} holds more" if k is None
                                else f"n_colors={k} asks for more")
    # A GIF, WebP or APNG may be animated, and an animation keeps its format; its default
    # name is made only once the file is read, but the header told which it is.
    if out is None:
        out = default_output(src, k, quality, pal_in, animated)
    check_outputs_given(out, opts, src)
    if out is None:  # named once the image is read, as checked now (with quality: its folder)
        _check_default_output_early(src, k, quality, pal_in, animated, force)
    return FileJob(out, kind, pal_in, k, name, names)


def _check_default_output(src: Path, n: int, quality: float | None, force: bool) -> Path:
    """:func:`~quantize.io.check_output_path` of the default output of ``src``, named
    once the image is reduced (``n`` colours); with ``quality``, refused as existing only
    now, after the search, as its name holds the k chosen: the refusal says so, and that
    an output named by the caller is checked before any work."""
    try:
        return check_output_path(reduced_name(src, n, ".png"), inputs=(src,), force=force)
    except OutputExistsError as exc:
        if quality is None:
            raise
        raise OutputExistsError(
            f"output exists (named by the k={n} that quality={shown_number(quality)} chose, "
            "known only once searched, whereas an output given its name is checked before "
            "any work); use force=True to overwrite", path=exc.path) from None


def check_outputs_given(output: Path | None, opts: dict[str, Any], src: Path | None) -> None:
    """Refuse, before any work, the outputs named: ``output`` (None: not named yet) and the
    ``palette_out`` of checked options ``opts``, when one exists (without ``force``), cannot
    be written, or is the input ``src``.

    ``src`` None: the input is a stream (stdin, a pipe), which the command copies before
    the job reads it; it checks the outputs first, so that an output in the way is said
    at once, as pngquant says it, not once the whole stream has come.

    Raises
    ------
    OutputError, OutputExistsError
        As :func:`quantize.io.check_output_path`; both outputs named in one error when
        both exist.
    """
    _check_palette_out_beside(opts, src, output)
    if output is not None:
        check_output_path(output, inputs=() if src is None else (src,), force=opts["force"])


def _check_palette_out_beside(opts: dict[str, Any], src: Path | None,
                              out: Path | None) -> None:
    """:func:`check_palette_out`, whose refusal of an existing ``palette_out`` names the
    output ``out`` too when it exists as well (``force`` not given), so that one run says
    everything in the way; ``out`` is None when its name is not known yet."""
    try:
        check_palette_out(opts, src)
    except OutputExistsError:
        if out is None or opts["force"] or not os.path.lexists(out):
            raise
        raise OutputExistsError(f"output exists, and so does palette_out="
                                f"{quoted(opts['palette_out'])}; use force=True to overwrite "
                                "both", path=out) from None


def _check_default_output_early(src: Path, k: int | None, quality: float | None,
                                pal_in: np.ndarray | None, animated: bool, force: bool) -> None:
    """:func:`~quantize.reduce.records.check_default_output` for the default output of
    ``src`` that :func:`default_output` does not name before the image is read: ``.png``
    for a still, the animation's own extension for one (as the header shows it), N as
    :func:`~quantize.reduce.records.name_colors` makes it (unknown with ``quality``)."""
    from ..animation.sinks import default_suffix, partial_alpha_frames

    suffix = default_suffix(src) if animated else ".png"
    n = None if quality is not None else (
        name_colors(k, None, None, 0) if pal_in is None
        else entries_drawn(pal_in, animated=animated,
                           partial_alpha=animated and partial_alpha_frames(suffix)))
    check_default_output(src, n, suffix, force)


