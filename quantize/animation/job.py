"""``reduce_animation_file``: every frame of an animation reduced to one palette.

The file is opened once (:func:`~quantize.animation.frames.open_animation`) and its frames
read twice, one frame at a time (a GIF, an APNG or a TIFF's pages are
written as the frames come, so its memory stays bounded however long the animation;
the frames of a WebP wait for Pillow's writer, deflated: see
:mod:`quantize.animation.sinks`):

1. **Pooled histogram.** The distinct colours of every frame's opaque pixels
   are counted and merged, so the palette is fitted (by
   :func:`quantize.reduce.fit_palette`) on all frames at once, weighted by how
   many pixels of the whole animation show each colour (with partial alpha, below,
   every visible pixel's straight RGBA, fitted as a still's with alpha is).
2. **Mapping and writing.** A pixel identical to the same pixel of the
   previous frame keeps the previous frame's index, so static areas neither
   flicker nor crawl (with ``dither``) and are not redrawn. The others are
   mapped to their nearest entry through a table indexed by 24-bit colour,
   or to the entry of the pixel to their left when that is within
   ``plans.RUN_TOLERANCE`` (Delta E 2) of it, which gives the compressor
   long runs (not a pixel whose colour is an entry: text and flat drawings
   keep their exact colours); with ``dither``, by error diffusion (onto a given
   palette, the still pixels within ``plans.REDITHERED_NEAR`` of a changed one are
   diffused afresh with it, and the kept ones pass on their error). Frames go to the
   writer of the output's format (:mod:`quantize.animation.sinks`).

Partial alpha is kept where the output holds it: when some pixel is translucent
(alpha from 1 to 254) and the output is an APNG, a WebP or a TIFF's pages, colours are
clustered premultiplied with their alpha and mapped by premultiplied distance, as a
still's are (:class:`~quantize.animation.plans.AlphaPlan`): entries have alpha of their
own (an APNG's tRNS, RGBA frames and pages), fully transparent pixels share one extra
entry, and PSNR and CIEDE2000 are measured as a still's with alpha. Such frames mapped
onto a given palette (``palette_in``) are mapped as a still's are, each pixel to the entry
that looks nearest over black and over white, the palette's entries opaque or the
transparent one; a given palette with translucent entries keeps them, and every frame is
mapped onto it so. Otherwise transparency is binary: a pixel with alpha below 128
(``ALPHA_THRESHOLD``) is transparent and uses one extra palette entry, the others are
opaque: in a GIF, which holds nothing more, and in frames without translucent pixels
mapped onto a given palette of opaque entries.

``palette="per-frame"`` (GIF only) fits a local palette for each frame to
the pixels that changed since the previous frame instead (one pass); the
unchanged ones are left on screen (those scattered among changed ones are
redrawn when that codes smaller: ``plans.STILL_RUN``). A frame the input restores
to previous is written so: the screen then shows again the colours it showed
before the frame, whatever palette drew them, and the next frame stores only
what differs from those. Where a pixel turns transparent (a frame the input clears
to background leaves a hole), the writer clears a box, and only that box is drawn
again.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np

from .._kernels import unpack_rgb
from .._validation import check_path, shown_number
from ..errors import (
    AdvisedFormats,
    AlphaLossWarning,
    FormatAdviceWarning,
    QuantizeWarning,
    SizeBudgetError,
    StillImageWarning,
    TimingLossWarning,
    warn_caller,
)
from ..io import (
    DEFAULT_MAX_FRAMES,
    check_output_path,
    check_output_size,
    input_size,
    kept_exif,
    remove_stale_parts,
    require_regular_file,
    warn_unterminated_gif,
    write_together,
)
from ..names import output_stem, reduced_name
from ..palette_files import palette_file_bytes
from ..png import warn_png_end
from ..reconstruct.palette import last_entry_rank
from ..reduce.budget import budget_bound, most_fitting
from ..reduce.fit import (
    DEFAULT_COLORS,
    distinct_rows,
    fitted_order,
    fixed_entry_names,
    warn_few_colors,
)
from ..reduce.image import DARK_OUTPUT
from ..reduce.options import (
    check_palette_out_holds,
    check_reduce_options,
    refuse_animation_masks,
    refuse_animation_nodata,
    refuse_animation_transparent_color,
)
from ..reduce.quality import (
    starting_as,
    tail_limits,
    tail_missed,
    warn_limit_kept,
    warn_quality_scale,
)
from ..reduce.records import (
    BLUR_SIGMA,
    MATTE_ADVICE,
    ShownOutput,
    check_shown_as,
    errors_shown,
    job_record,
    name_colors,
    note_exif_left_out,
    note_gif_table,
    note_text_left_out,
    output_named,
    output_said,
    palette_entries,
    recorded_options,
    too_large,
)
from .frames import (
    PAGE_DURATION_MS,
    AnimationInfo,
    Frame,
    OpenAnimation,
    open_animation,
)
from .gif import MAX_DELAY_CS, GifWriter
from .options import AnimationOptions, check_animation_options
from .plans import (
    ALPHA_THRESHOLD,
    POOLED_NEAREST,
    AlphaPlan,
    GlobalPlan,
    PerFramePlan,
    changed_box,
    global_plan,
    one_table_holds,
    pooled_frames,
    small_box,
)
from .sequence import DEFAULT_FPS, FrameFiles, check_joined_output, open_frame_files
from .sinks import (
    ANIMATION_EXTENSIONS,
    FORMAT_NAMES,
    max_plays,
    open_sink,
    palette_frames,
    warn_timing_loss,
)
from .stats import FrameStats

# StillImageWarning and TimingLossWarning are defined in quantize.errors; listed here too,
# as they were defined here before.
__all__ = ["FrameDurationWarning", "FrameStage", "LoopCountWarning", "OnFrame",
           "QualityMissedWarning", "ShortFramesWarning", "StillImageWarning", "TimingLossWarning",
           "UntimedFramesWarning", "reduce_animation_file", "reduce_frame_files",
           "reduce_open_animation"]

#: The format advised for an animation too large for its output's (a WebP's 16383 pixels a
#: side): an APNG, whose frames are as long as PNG's.
_APNG_INSTEAD = AdvisedFormats(".png (an APNG)", (".apng",))
_RESTORE = 3  # GIF disposal: restore to previous

#: What a frame was read for, as ``on_frame`` is told: "read" (its colours counted, the
#: first pass, before the palette is fitted) or "written" (mapped and handed to the
#: writer, the second pass; once for each size tried under ``max_bytes``).
FrameStage = Literal["read", "written"]
#: Called after each frame as ``on_frame(stage, frame, n_frames)``: the frames done in this
#: pass, from 1, of the animation's ``n_frames``.
OnFrame = Callable[[FrameStage, int, int], None]


class UntimedFramesWarning(QuantizeWarning):
    """The input's frames carry no duration (a multi-page TIFF) and are written as an
    animation: each got a default one."""


class LoopCountWarning(QuantizeWarning):
    """The output's format cannot store the input's number of plays: it holds its most."""


class ShortFramesWarning(FormatAdviceWarning):
    """A GIF plays longer than its input: frames under 20 ms were written longer, as a GIF
    holds centiseconds and browsers play its delays under 20 ms as 100 ms."""


class FrameCutWarning(QuantizeWarning):
    """Frames of a GIF reached past the canvas its header gives (or its first frame, when
    that reaches past the screen the header gives) and were cut to it."""


class FrameDurationWarning(QuantizeWarning):
    """No longer raised: kept so that code filtering it still runs. It said that an APNG
    frame longer than 65,535 s was cut to that; every format now writes a frame longer
    than one of its frames holds as several showing its picture."""


class QualityMissedWarning(QuantizeWarning):
    """An animation reduced undithered with ``quality`` came out above it, in its mean or
    its tail: the k was chosen with every colour on its nearest entry, and pixels then
    took their left neighbour's or the previous frame's entry, up to ΔE 2 further, for
    smaller frames (not with ``nearest``)."""


def reduce_animation_file(input: str | os.PathLike[str],
                          output: str | os.PathLike[str] | None = None, *,
                          shown_as: ShownOutput | None = None,
                          on_frame: OnFrame | None = None,
                          **options: Any) -> dict[str, Any]:
    """Reduce the colours of every frame of an animation and write an animation, or pages.

    Parameters
    ----------
    input : path
        A GIF, APNG or animated WebP, or a multi-page TIFF: written as an
        animation, its pages, which have no duration, are shown
        ``PAGE_DURATION_MS`` (1 s) each, looping forever.
    output : path, optional
        ``.gif``, ``.png`` (APNG) or ``.webp``, or ``.tif``/``.tiff``: a TIFF of
        one page per frame, without durations nor loop count (each page in RGB,
        RGBA when some pixel is transparent or translucent, deflated as a still
        ``.tif`` is);
        default ``<stem>.k<N><suffix>`` beside the input, in the input's format
        (a TIFF's pages as a TIFF).
    shown_as : ShownOutput, optional
        How errors and warnings name ``output``, as :func:`quantize.reduce.reduce_file`
        takes it: for an output written there only to be copied elsewhere (stdout).
    on_frame : callable, optional
        Told of each frame as it is done, ``on_frame(stage, frame, n_frames)``
        (:data:`OnFrame`): ``stage`` "read" in the first pass (its colours counted; the
        palette is fitted once the last is), "written" in the second, ``frame`` counting
        from 1 in each: the progress of a long animation, for a caller to show
        (``quantize reduce`` draws it on a terminal). Not called for a still.
    **options
        As :func:`quantize.reduce.reduce_file`: ``n_colors``, ``quality``,
        ``quality_limit`` (with ``quality``: the one palette of the most colours allowed
        is kept when it meets this bound and ``quality`` is out of its reach), ``space``,
        ``dither`` (strength 0..1, "ordered" or "pattern"), ``exact_colors``, ``palette_in``,
        ``palette_fitted`` (``palette_in`` dithered onto as the frames' own fitted palette
        is, not as a given one), ``palette_out``, ``seed``, ``force``, ``max_pixels`` (applied to
        frames x width x height), ``skip_if_larger``, ``optimize`` (slower,
        smaller: GIF frames encoded with more ways of marking unchanged pixels,
        APNG at zlib level 9), ``matte`` (every frame's translucent pixels composited
        onto that colour), ``strip`` (no EXIF: without it, the input's, an APNG's eXIf
        chunk, a WebP's EXIF chunk or a TIFF's first page's tags, upright, is kept by a
        .png, .webp or .tif output, a TIFF's first page, and a GIF is written without it,
        with an :class:`~quantize.errors.ExifLeftOutWarning`; its GPS directory, the
        location, left out unless ``keep_gps``), plus ``palette``:
        "global" (default, one palette for all frames) or "per-frame" (GIF only;
        ``palette_out`` then holds every colour of every frame's palette, which may be
        more than 256), and ``nearest`` (undithered, every pixel of every frame on its
        nearest entry, no pixel taking its left neighbour's or the previous frame's entry
        for a smaller file).
        ``dither``: each frame is mapped as :func:`quantize.reduce.reduce_colors`
        maps a still.

    Returns
    -------
    dict
        The record of ``reduce_file`` with ``frames`` the number of frames the
        output holds (APNG and WebP merge a frame showing the same picture as
        the one before it into it, adding the durations; GIF and TIFF keep them all;
        GIF, APNG and WebP write a frame longer than they hold as several):
        input, output, k (the palette's colours; per-frame, the most colours
        of any frame's palette, or when one table holds every colour of the frames
        and is shared, the most colours any frame takes from it), space, the options
        that shaped the output (n_colors, quality, quality_limit when given, dither,
        exact_colors, palette_in, palette_mode, seed, optimize, matte when given: see
        :func:`~quantize.reduce.records.recorded_options`), psnr (dB over the opaque
        pixels of all frames; with partial alpha kept, over all their pixels in
        premultiplied RGBA, as a still's with alpha; None when lossless), delta_e (mean
        CIEDE2000; with partial alpha, of the visible pixels composited on black),
        seconds, bytes_in, bytes_out, frames, palette (``{"hex", "alpha", "share"}``
        per entry, each entry's own alpha when partial alpha is kept),
        and with ``optimize``, optimized (whether the format's encoder took it:
        True for APNG, False for WebP; for GIF, whether it stored some frame smaller);
        when translucent pixels were written transparent or opaque (in a GIF, or mapped
        onto a palette without alpha), alpha_thresholded: how many, over all frames, a
        loss the metrics leave out;
        with ``quality_limit``, quality_met: whether ``quality`` was reached (false: the
        palette of the most colours allowed was kept, as it meets the limit); dithered,
        blurred_psnr: the PSNR after a blur of 1 px of each frame as shown and of the frame
        read, the squared errors pooled over all the frames' pixels (None when lossless).

    Warns
    -----
    AlphaLossWarning
        When translucent pixels are written transparent or opaque: in a GIF, or
        mapped onto a given ``palette_in`` without translucent entries; when a given
        palette's translucent entries are dropped or drawn opaque (in a GIF).
    StillImageWarning
        When a WebP output is a still image: every frame showed the same picture.
    quantize.errors.ExifLeftOutWarning
        When the input's EXIF is left out of a GIF output, which holds none (not with
        ``strip``).
    TimingLossWarning
        When the frames of an animation (a GIF, APNG or WebP) are written as the
        pages of a TIFF, which keeps neither their durations nor the loop count.
    UntimedFramesWarning
        When the input's frames have no duration (a multi-page TIFF) and are
        written as an animation, saying the duration given.
    LoopCountWarning
        When the input plays more times than the output's format holds
        (65,536 in a GIF, 65,535 in a WebP), saying the plays written.
    ShortFramesWarning
        When a GIF plays longer than the input: frames under 20 ms were written
        longer (browsers play a GIF's shorter delays as 100 ms), saying how many
        and both play times. Never for a GIF input, whose delays are kept as they are.
    QualityMissedWarning
        When, undithered, the mean CIEDE2000 of the frames written is above
        ``quality``, or more of their pixels than its tail allows are more than 5 or
        10 times it away: the k was chosen on each colour's nearest entry, before
        pixels took a neighbour's or the previous frame's entry for smaller frames.
        Not when the palette was kept for ``quality_limit``, whose warning says so.
    quantize.errors.QualityLimitWarning
        When ``quality`` was out of reach of the most colours allowed and their
        palette, which meets ``quality_limit``, was kept.

    Raises
    ------
    ImageReadError
        The input cannot be read or is over the pixel limit, or is a pipe or
        device (it is read more than once: save a stream to a file first), or was
        written over in place while it was read (a file put in its place is not read:
        the one opened is read throughout).
    OutputExistsError, OutputError
        The output exists (without ``force``), cannot be written, or is the input.
    ResultTooLargeError
        With ``skip_if_larger``, when the result is larger than the input
        (nothing is written).
    QualityError
        ``quality`` cannot be reached, nor ``quality_limit`` when given.
    ValueError, TypeError
        A bad option, or an ``input`` or ``output`` that is not a path.

    Warns
    -----
    quantize.reduce.quality.QualityScaleWarning
        When ``quality`` is above 20, which nearly any image meets with the fewest
        colours: a 0-100 score (pngquant's) is not what it measures.
    """
    start = time.perf_counter()
    src, shown, opts = _checked(input, output, shown_as, options)
    with open_animation(src, max_pixels=opts.max_pixels,
                        max_frames=options.get("max_frames", DEFAULT_MAX_FRAMES),
                        dark_advice=DARK_OUTPUT, matte=opts.matte) as animation:
        return _reduced(animation, shown, opts, options, start, on_frame)


def reduce_open_animation(animation: OpenAnimation,
                          output: str | os.PathLike[str] | None = None, *,
                          shown_as: ShownOutput | None = None,
                          palette_in_read: np.ndarray | None = None,
                          on_frame: OnFrame | None = None,
                          **options: Any) -> dict[str, Any]:
    """:func:`reduce_animation_file` of ``animation``, opened already
    (:func:`~quantize.animation.frames.opened_animation`, with the ``max_pixels`` and
    ``matte`` of ``options``), read without opening it again: for a job that opened its input before
    it knew it was an animation (:func:`~quantize.reduce.reduce_file`). It is left open,
    for the caller to close. ``palette_in_read``: the ``palette_in`` palette as that job
    read or checked it already, not read again
    (:func:`~quantize.animation.options.check_animation_options`). ``on_frame``: as
    :func:`reduce_animation_file` takes it.

    Raises
    ------
    As :func:`reduce_animation_file`.
    """
    start = time.perf_counter()
    _, shown, opts = _checked(animation.path, output, shown_as, options, palette_in_read)
    return _reduced(animation, shown, opts, options, start, on_frame)


def reduce_frame_files(inputs: Sequence[str | os.PathLike[str]],
                       output: str | os.PathLike[str], *, fps: float = DEFAULT_FPS,
                       loop: int = 0, on_frame: OnFrame | None = None,
                       **options: Any) -> dict[str, Any]:
    """Join still images, in the order given, into one animation with one palette, as
    :func:`reduce_animation_file` writes an animation's frames (``convert -delay 10
    frames/*.png out.gif``, with quantize's palette).

    Parameters
    ----------
    inputs : sequence of path
        Still images of one size (any format :func:`~quantize.io.load_image` reads;
        alpha kept as an animation's is), one a frame, shown in this order. Their headers
        are all checked before any pixel is read, and the frames are read one at a time,
        twice (the palette's fit, then the frames written), never all held at once.
    output : path
        ``.gif``, ``.png`` or ``.apng`` (APNG), or ``.webp``.
    fps : float
        Frames a second, above 0 and at most 1000 (default 10: 100 ms a frame, as
        browsers show ImageMagick's default delay). A GIF holds centiseconds: 30 fps is
        written 30, 40 and 30 ms, in turn (its frames under 20 ms are written longer,
        with a :class:`ShortFramesWarning`).
    loop : int
        Times the animation plays, 0 (default) forever, up to 65,535.
    on_frame : callable, optional
        Told of each frame as it is done, as :func:`reduce_animation_file` tells it.
    **options
        As :func:`reduce_animation_file` (``n_colors``, ``dither``, ``palette_in``,
        ``palette``...); ``max_pixels`` applies to each frame, width x height, as to
        separate files (not to the frames together, as for an animation's one file).

    Returns
    -------
    dict
        The record of :func:`reduce_animation_file`, its ``input`` the first frame and
        ``bytes_in`` the bytes of all of them.

    Raises
    ------
    ImageReadError
        A frame cannot be read, is an animation, or is of another size than the first
        (the error names it, its size and the first's); nothing is written.
    ValueError, TypeError
        A bad option, no input, or an output not in an animated format.
    OutputExistsError, OutputError, ResultTooLargeError, QualityError
        As :func:`reduce_animation_file`.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.TemporaryDirectory()
    >>> names = [f"{folder.name}/f{i}.png" for i in range(3)]
    >>> for i, name in enumerate(names):
    ...     Image.new("RGB", (4, 3), (100 * i, 50, 0)).save(name)
    >>> record = reduce_frame_files(names, f"{folder.name}/out.gif", fps=25, n_colors=3)
    >>> record["frames"], record["k"], record["psnr"]
    (3, 3, None)
    >>> folder.cleanup()
    """
    start = time.perf_counter()
    check_joined_output(output)
    checked = check_reduce_options(**options)
    clip = open_frame_files(inputs, fps=fps, loop=loop, max_pixels=checked["max_pixels"],
                            matte=checked["matte"])
    _, shown, opts = _checked(clip.path, output, None, options)
    for path in (opts.output, opts.palette_out):  # none may be a frame, not only the first
        if path is not None:
            check_output_path(path, inputs=clip.paths, force=opts.force)
    return _reduced(clip, shown, opts, options, start, on_frame)


def _checked(input: str | os.PathLike[str], output: str | os.PathLike[str] | None,
             shown_as: ShownOutput | None, options: dict[str, Any],
             palette_in_read: np.ndarray | None = None
             ) -> tuple[Path, ShownOutput | None, AnimationOptions]:
    """The input, ``shown_as`` and ``options`` of :func:`reduce_animation_file`, checked
    (``palette_in_read``: as :func:`reduce_open_animation` takes it)."""
    src = require_regular_file(input, frames="every")  # read twice: palette fit, frames
    if output is not None:
        check_path(output, "output")
    shown = check_shown_as(shown_as, output)
    opts = check_animation_options(src, output, shown_as=shown,
                                   palette_in_read=palette_in_read, **options)
    refuse_animation_masks(options.get("masks"))  # taken by reduce_file, for a still
    refuse_animation_nodata(options.get("nodata"))
    refuse_animation_transparent_color(options.get("transparent_color"))
    warn_quality_scale(opts.quality)
    return src, shown, opts


def _reduced(animation: OpenAnimation | FrameFiles, shown: ShownOutput | None,
             opts: AnimationOptions, options: dict[str, Any], start: float,
             on_frame: OnFrame | None = None) -> dict[str, Any]:
    """:func:`reduce_animation_file` of ``animation``, opened, with its options checked;
    ``on_frame`` told of each frame read for the palette, then written."""
    src, info = animation.path, animation.info
    bytes_in = sum(input_size(p) for p in (
        animation.paths if isinstance(animation, FrameFiles) else (src,)))
    warn_unterminated_gif(src, info.format)
    warn_png_end(src, info.format, every_frame=True)
    check_output_size(opts.suffix, info.size, output_said(opts.output, shown) if opts.output
                      else f"the default output ({opts.suffix})", _APNG_INSTEAD)
    pages = ANIMATION_EXTENSIONS[opts.suffix] == "TIFF"  # written as pages, not timed
    if not info.timed and info.n_frames > 1 and not pages:  # one page has no pages to time
        warn_caller(f"{info.format} of {info.n_frames} pages, which have no duration: "
                    f"written as an animation showing each page for "
                    f"{PAGE_DURATION_MS / 1000:g} s, looping forever", UntimedFramesWarning)
    _warn_plays(info, opts.suffix)
    # Palettes per frame that would each draw their frame exactly: one shared palette draws
    # every frame as exactly, without a table per frame.
    read, drawn_out = (_reported(animation, on_frame, stage) for stage in ("read", "written"))
    per_frame = opts.per_frame and not one_table_holds(read, opts)
    plan: Any
    written: tuple[bytes, FrameStats] | None = None
    asked, over = opts.n_colors, False  # the search's opts are those of the k it kept
    if opts.max_bytes is None:
        plan = PerFramePlan(opts) if per_frame else global_plan(read, opts)
    else:  # the output's format: named, or the default's (the input's own, or GIF)
        (plan, opts, written), over = _within_budget(
            (read, drawn_out), opts, per_frame, opts.output or Path(f"default{opts.suffix}"))
    reached = None if per_frame else plan.reached  # per frame takes no quality
    if reached is not None:
        warn_limit_kept(opts.quality, opts.quality_limit, reached, how=POOLED_NEAREST)
    n = name_colors(opts.n_colors, opts.palette_in, opts.quality, _chosen(plan))
    out = opts.output or check_output_path(reduced_name(src, n, opts.suffix), inputs=(src,),
                                           force=opts.force)
    stats = written[1] if written else FrameStats(
        alpha=isinstance(plan, AlphaPlan),
        error_limits=() if opts.quality is None else tail_limits(opts.quality))
    # The colours drawn, known once every frame is mapped: worked out once, for the palette
    # file and the record.
    drawn = functools.cache(lambda: _drawn_palette(plan, stats,
                                                   given=opts.palette_in is not None,
                                                   fixed=opts.fixed_colors))
    measured = functools.cache(lambda: (stats.psnr(), stats.delta_e_and_tail(),
                                        stats.psnr_shown()))
    remove_stale_parts([out] if opts.palette_out is None else [out, opts.palette_out])
    with errors_shown(out, shown):
        write_together(_files(out, src, opts, stats, (drawn, measured),
                              _listed_clear(plan, opts),
                              lambda tmp: _write(tmp, out, drawn_out, plan, opts, stats,
                                                 bytes_in, written and written[0])),
                       replace=opts.force)  # not one another run wrote meanwhile
    palette, shares = drawn()
    psnr, (delta_e, measured_e, above), psnr_shown = measured()
    if per_frame and _nothing_opaque(stats):  # as a global palette's fit says it
        warn_few_colors(0, opts.n_colors, "all the frames together have")
    elif per_frame:
        _warn_few_per_frame(plan, opts.n_colors)
    _warn_translucent(plan, opts, stats)
    _warn_still(stats, out)
    note_exif_left_out(kept_exif(info.exif, opts.strip, opts.keep_gps), out,
                       output_named(out, shown), animation=True)
    note_text_left_out(() if opts.strip else info.text, out, output_named(out, shown))
    _warn_lengthened(stats, output_named(out, shown, whole=True))
    if opts.suffix == ".gif" and opts.palette_in is None and not per_frame:  # one fitted table
        table, clear = plan.table_palette(), plan.transparent
        note_gif_table(max(table.shape[0], (clear or 0) + 1), clear is not None,
                       output_named(out, shown))
    if pages and info.timed:
        warn_timing_loss(info.format, stats.frames, (stats.shortest_ms, stats.longest_ms),
                         info.loop, out)
    _warn_cut(stats, info)
    if reached is None:  # else known missed, as its warning said
        _warn_quality_missed(opts, plan.k, measured_e, above)
    # as a still's record: shares of the opaque pixels, no entry for the transparent ones
    # (none at all when nothing is opaque)
    return job_record(src, out, k=_colours(plan, opts, stats), space=opts.space,
                      options=recorded_options(check_reduce_options(**options)),
                      psnr=psnr,
                      delta_e=delta_e, start=start, bytes_in=bytes_in,
                      bytes_out=out.stat().st_size, frames=stats.frames_written,
                      palette=[] if _nothing_opaque(stats) else _record_palette(palette, shares),
                      optimized=stats.optimized if opts.optimize else None,
                      matted=None if opts.matte is None else animation.matted,
                      alpha_thresholded=0 if stats.alpha else stats.translucent_pixels,
                      quality_met=None if opts.quality_limit is None else reached is None,
                      blurred_psnr=stats.blurred_psnr(),
                      psnr_shown=psnr_shown,
                      max_bytes_bound=None if opts.max_bytes is None else budget_bound(
                          _colours(plan, opts, stats), asked, over,
                          plan.transparent is not None),
                      quality_bound=None if per_frame else plan.quality_bound)


class _Reported:
    """An animation whose frames, as they are read, are told to ``on_frame`` at ``stage``
    (:data:`OnFrame`); every other attribute is the animation's."""

    def __init__(self, animation: OpenAnimation | FrameFiles, on_frame: OnFrame,
                 stage: FrameStage) -> None:
        self._animation, self._on_frame, self._stage = animation, on_frame, stage

    def frames(self) -> Iterator[Frame]:
        """The animation's frames, each told once the caller asks for the next."""
        total = self._animation.info.n_frames
        for done, frame in enumerate(self._animation.frames(), 1):
            yield frame
            del frame  # the caller's, as the animation's own frames() leaves it
            self._on_frame(self._stage, done, total)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._animation, name)


def _reported(animation: OpenAnimation | FrameFiles, on_frame: OnFrame | None,
              stage: FrameStage) -> Any:
    """``animation`` whose frames are told to ``on_frame`` as they are read at ``stage``
    (:class:`_Reported`); itself without ``on_frame``."""
    return animation if on_frame is None else _Reported(animation, on_frame, stage)


def _files(out: Path, src: Path, opts: AnimationOptions, stats: FrameStats,
           worked_out: tuple[Callable[[], tuple[Any, ...]], ...], clear_at: int | None,
           write: Callable[[Path], None]) -> Iterator[tuple[Path, Any]]:
    """For :func:`~quantize.io.write_together`, so that both are written or neither (no new
    animation beside an old palette file): the animation, which ``write`` writes to the
    path it is given, then the palette file of the colours drawn (``worked_out[0]``:
    their :func:`_drawn_palette`, known once every frame is mapped), which lists the entry
    of transparent pixels at ``clear_at`` (:func:`_listed_clear`). Each of ``worked_out``
    (cached) is called before the files are put in place: from then on the command holds
    Ctrl-C back until the file is reported, which should not wait for them."""
    yield out, write
    drawn = worked_out[0]
    if opts.palette_out is not None:
        palette, shares = drawn()
        yield opts.palette_out, _palette_out_bytes(opts.palette_out, palette, shares, stats,
                                                   output_stem(src), clear_at,
                                                   opts.clear_color, opts.fixed_named)
    for work in worked_out:
        work()


def _write(tmp: Path, out: Path, animation: OpenAnimation, plan: Any,
           opts: AnimationOptions, stats: FrameStats, bytes_in: int,
           data: bytes | None = None) -> None:
    """Write the animation to ``tmp`` (renamed to ``out`` by the caller when this returns),
    opened to be read back too, as a TIFF's pages are linked in (the other formats only
    write), or its bytes ``data`` when encoded already (:func:`_within_budget`); with
    ``skip_if_larger``, refuse it larger than the input's ``bytes_in``."""
    if data is not None:
        tmp.write_bytes(data)
    else:
        with open(tmp, "w+b") as fp:
            _stream(fp, out, animation, plan, opts, stats)
    if opts.skip_if_larger and tmp.stat().st_size > bytes_in:
        raise too_large(tmp.stat().st_size, bytes_in, out)


def _within_budget(animation: tuple[Any, Any], opts: AnimationOptions, per_frame: bool,
                   named: Path
                   ) -> tuple[tuple[Any, AnimationOptions, tuple[bytes, FrameStats]], bool]:
    """The plan of the most colours, at most ``opts.n_colors``, whose output in ``named``'s
    format fits in ``opts.max_bytes`` (:func:`~quantize.reduce.budget.most_fitting`),
    the options of that k, its bytes and their stats, and whether the budget bounded k
    (k + 1 measured over it): the frames are read and pooled once, and each k is fitted
    from the seed, as ``n_colors=k`` fits it, and encoded in memory. The warnings of that
    k alone are given. ``animation``: the animation as read for the pool, and as read to
    be written (:func:`_reported`).

    Raises
    ------
    SizeBudgetError
        When even 2 colours do not fit.
    """
    fresh = starting_as(opts.rng)
    read, drawn_out = animation
    pooled = None if per_frame else pooled_frames(read, opts)

    def make(k: int) -> tuple[Any, AnimationOptions, tuple[bytes, FrameStats]]:
        at_k = dataclasses.replace(opts, n_colors=k, rng=fresh())
        plan = PerFramePlan(at_k) if per_frame else global_plan(read, at_k, pooled)
        stats, fp = FrameStats(alpha=isinstance(plan, AlphaPlan)), io.BytesIO()
        _stream(fp, named, drawn_out, plan, at_k, stats)
        return plan, at_k, (fp.getvalue(), stats)

    try:
        return most_fitting(make, lambda made: len(made[2][0]), opts.max_bytes,
                            opts.n_colors, 0 if opts.fixed_colors is None
                            else opts.fixed_colors.shape[0])
    except SizeBudgetError as exc:
        raise SizeBudgetError(exc.reason, path=read.path) from None


def _stream(fp: BinaryIO, named: Path, animation: OpenAnimation, plan: Any,
            opts: AnimationOptions, stats: FrameStats) -> None:
    """Second pass: map every frame of ``animation`` and hand it to the output's writer."""
    info = animation.info
    table, clear, rank = _written_table(plan, opts)
    sink = open_sink(fp, named, info.size, table, info.plays,
                     transparent=clear, optimize=opts.optimize, dpi=info.dpi,
                     lzw=None if isinstance(plan, AlphaPlan) else plan.lzw,
                     gif_delays=info.format == "GIF",
                     exif=kept_exif(info.exif, opts.strip, opts.keep_gps),
                     text=() if opts.strip else info.text,
                     keep_order=opts.palette_in is not None or opts.fixed_colors is not None)
    previous: tuple[np.ndarray, np.ndarray] | None = None
    under: np.ndarray | None = None  # the input's canvas the next frame is drawn on
    hidden: tuple[int, int] = (0, 0)  # the last frame's pixels not drawn, and translucent
    drawn: np.ndarray | None = None  # the last frame's opaque (or visible) mask
    for frame in animation.frames():
        pixels, opaque = plan.split(frame)  # with alpha: the visible ones
        box = None if previous is None else changed_box(frame.rgba, previous[0])
        if isinstance(plan, GlobalPlan):  # maps and counts only the pixels that changed
            mapped = plan.map(pixels, opaque, previous, opts.dither, stats, box=box)
        elif isinstance(plan, PerFramePlan) and previous is not None and under is not None:
            if isinstance(sink, GifWriter):  # what a pixel turning transparent clears
                under = _cleared(under, sink.cleared_box(~opaque))
            mapped = plan.map(pixels, opaque, (under, previous[1]), opts.dither, stats)
        else:
            mapped = plan.map(pixels, opaque, previous, opts.dither, stats)
        last = None if previous is None or drawn is None else (previous[0], drawn, hidden)
        hidden, drawn = _hidden_pixels(frame.rgba, opaque, box, last), opaque
        indices, palette, transparent, keep = mapped
        if opts.dither:  # a still's blurred PSNR, of each frame as shown
            _count_blurred(stats, frame.rgba, _drawn_rgba(plan, indices, opaque), opaque)
        if transparent is not None:
            if transparent > np.iinfo(indices.dtype).max:  # entry 256: a WebP's or a TIFF's
                indices = indices.astype(np.uint16)
            indices[~opaque] = transparent
        disposal = _written_disposal(frame, plan)
        if opts.per_frame and not isinstance(plan, PerFramePlan) and opaque.any():
            stats.most_entries = max(stats.most_entries,
                                     int(np.count_nonzero(np.bincount(indices[opaque]))))
        # renumbered as written; ``previous``, which the plan is given back, keeps its own
        written, transparent = (indices, transparent) if rank is None else (rank[indices], clear)
        sink.add(written, palette=palette, transparent=transparent,
                 duration=frame.duration, disposal=disposal, keep=keep, gray=frame.gray,
                 dpi=frame.dpi)
        if isinstance(plan, PerFramePlan):
            plan.dispose(disposal)
            under = _canvas_after(frame.rgba, under, disposal)
        previous = (frame.rgba, indices)
        stats.frames += 1
        stats.frames_cut += frame.cut
        stats.shortest_ms = min(stats.shortest_ms, frame.duration)
        stats.longest_ms = max(stats.longest_ms, frame.duration)
        stats.pixels += opaque.size
        stats.transparent_pixels += hidden[0]
        stats.translucent_pixels += hidden[1]
    sink.close()
    stats.frames_written = sink.frames_written
    stats.optimized = sink.optimized
    if isinstance(sink, GifWriter):
        stats.frames_lengthened, stats.played_ms = sink.frames_lengthened, sink.played_ms()


def _drawn_rgba(plan: Any, indices: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` RGBA of a frame as ``plan`` drew it, its pixels ``drawn`` (opaque, or
    visible with alpha) taking their entries of ``indices`` (with a palette per frame,
    what the screen shows), the others transparent."""
    if isinstance(plan, PerFramePlan):
        colours = unpack_rgb(plan.shown)
    else:
        colours = plan.table_palette()[indices]
    if colours.shape[-1] == 4:  # partial alpha kept: the entries' own
        return np.where(drawn[..., None], colours, 0).astype(np.uint8)
    return np.dstack([colours, np.where(drawn, 255, 0).astype(np.uint8)])


def _count_blurred(stats: FrameStats, rgba: np.ndarray, shown: np.ndarray,
                   drawn: np.ndarray) -> None:
    """Count a frame of ``rgba`` shown as ``shown`` (:func:`_drawn_rgba`) in the blurred
    PSNR of ``stats``: as a still's (:data:`~quantize.reduce.records.BLUR_SIGMA`), in
    premultiplied RGBA where some pixel is not opaque, against the frame's alpha as
    written (opaque where ``drawn``, else transparent) when it is binary."""
    from ..metrics import psnr  # for dithered frames only

    if not stats.alpha:
        rgba = np.dstack([rgba[..., :3], np.where(drawn, 255, 0).astype(np.uint8)])
    stats.add_blurred(psnr(rgba, shown, blur=BLUR_SIGMA, max_pixels=None), drawn.size)


def _written_table(plan: Any, opts: AnimationOptions
                   ) -> tuple[np.ndarray | None, int | None, np.ndarray | None]:
    """The colour table the frames are written with, its transparent entry, and the
    written index of each of the plan's entries (None: the plan's own).

    In a format whose frames are palette images (GIF, APNG), the frames give their
    transparent pixels the entry a still's .png and .gif give them: the first of a fitted
    palette, and where a given palette has its own
    (:func:`~quantize.reduce.options.clear_entry_at`: the first without one), so that a
    sprite and its animation, and one palette file, give the same indices. The plan keeps
    that entry last, after the entries it numbers by the pixels they draw that change
    between frames (:func:`~quantize.animation.plans.GlobalPlan.fit`), which keep their
    order after it. Written first, it cost no bytes: on six transparent animations
    (sprites, soft shadows, a photo disc, at 8, 32 and 256 colours) their GIFs were the
    same or up to 1 % smaller and their APNGs 1.1 % smaller in all (-8 % to +1.6 %), the
    tRNS chunk ending at the last translucent entry. A given palette's own transparent
    entry (``opts.clear_color``) is written at its index in its colour, also where no pixel
    is transparent, as a still's output writes it, so that entry i of the palette is index
    i of the frames. Any other animation with no transparent pixel, or one written as RGBA
    frames (WebP, a TIFF's pages), keeps the plan's numbering.
    """
    table, clear = plan.table_palette(), plan.transparent
    if not palette_frames(opts.suffix) or (clear is None and opts.clear_color is None):
        return table, clear, None
    if opts.clear_color is not None:
        if clear is None:  # taken by no pixel: added last, as the plan keeps its own
            table = np.vstack([table, np.zeros((1, table.shape[1]), np.uint8)])
        table = table.copy()
        table[-1, :3] = opts.clear_color
    rank = last_entry_rank(table.shape[0], opts.clear_at)
    return table[np.argsort(rank)], opts.clear_at, rank


def _written_disposal(frame: Frame, plan: Any) -> int:
    """The disposal written for ``frame``: the input's, but with a palette per frame
    (``plan`` a :class:`~quantize.animation.plans.PerFramePlan`) only 3 (restore to
    previous), for a frame written as one GIF frame, else 1 (keep).

    With a palette per frame, the pixels a frame keeps are left on screen, not drawn with
    its palette, and its plan follows what the screen shows
    (:meth:`~quantize.animation.plans.PerFramePlan.dispose`): a restore to previous puts
    back the colours the screen showed before the frame, which the next frame's pixels
    may keep whatever palette drew them. A clear to background empties the box the
    writer stores, not the input's, so it is not written: the writer clears a box itself
    where a pixel turns transparent (:meth:`~quantize.animation.gif.GifWriter.cleared_box`),
    and the next frame keeps the pixels outside it. A frame longer than a GIF frame holds
    is written as several, kept on screen (:func:`~quantize.animation.gif.split_delay`).
    """
    if not isinstance(plan, PerFramePlan):  # one table, as it holds every colour
        return frame.disposal
    one_frame = frame.duration < 10 * (MAX_DELAY_CS - 1)  # its delay rounds to one frame's
    return _RESTORE if frame.disposal == _RESTORE and one_frame else 1


def _canvas_after(rgba: np.ndarray, under: np.ndarray | None, disposal: int) -> np.ndarray:
    """The canvas the next frame is drawn on once a frame showing ``rgba`` over ``under``
    (None: the first frame) is disposed of with ``disposal`` as written: ``rgba``, or with
    3 (restore to previous) ``under``, nothing shown before the first frame."""
    if disposal != _RESTORE:
        return rgba
    return np.zeros_like(rgba) if under is None else under


def _cleared(canvas: np.ndarray, box: tuple[int, int, int, int] | None) -> np.ndarray:
    """The ``(H, W, 4)`` ``canvas`` with the ``box`` (left, top, right, bottom) the GIF
    writer clears made transparent (as it is when ``box`` is None): pixels there are
    drawn, not kept."""
    if box is None:
        return canvas
    left, top, right, bottom = box
    cleared = canvas.copy()
    cleared[top:bottom, left:right] = 0
    return cleared


def _hidden_pixels(rgba: np.ndarray, drawn: np.ndarray, box: tuple[slice, slice] | None,
                   last: tuple[np.ndarray, np.ndarray, tuple[int, int]] | None
                   ) -> tuple[int, int]:
    """Of the pixels ``(H, W, 4)`` of a frame, those not ``drawn`` (opaque, or with alpha
    visible), and the translucent ones (alpha from 1 to 254).

    ``last``: the previous frame's pixels, ``drawn`` mask and counts, recounted over
    ``box``, outside which the frame shows the same pixels (:func:`changed_box`), when
    that is small (a sprite on a large canvas); None: the frame is counted whole.
    """
    if last is None or not small_box(box, rgba):
        alpha = rgba[..., 3]
        return (int(drawn.size - np.count_nonzero(drawn)),
                int(np.count_nonzero((alpha > 0) & (alpha < 255))))
    was, was_drawn, counts = last
    now = _hidden_pixels(rgba[box], drawn[box], None, None)
    before = _hidden_pixels(was[box], was_drawn[box], None, None)
    return counts[0] + now[0] - before[0], counts[1] + now[1] - before[1]


def _warn_translucent(plan: Any, opts: AnimationOptions, stats: FrameStats) -> None:
    """Warn when translucent pixels were written transparent or opaque: made binary at
    alpha :data:`ALPHA_THRESHOLD` (left out of the metrics), or mapped as a still's onto a
    given palette's opaque entries (:meth:`~quantize.animation.plans.AlphaPlan.given`)."""
    given = isinstance(plan, AlphaPlan) and plan.given_palette and bool(
        (plan.palette[:, 3] == 255).all())
    if not stats.translucent_pixels or (stats.alpha and not given):
        return
    share = 100.0 * stats.translucent_pixels / max(stats.pixels, 1)
    drawn = ("each takes the opaque entry, or the transparent one, that looks nearest over "
             "black and over white" if given else
             f"they are written transparent (alpha below {ALPHA_THRESHOLD}) or opaque, and "
             f"the metrics count only the opaque pixels{_matte_advice(opts)}")
    warn_caller(f"{share:.3g}% of the pixels are translucent; {_binary_kept(opts)} only "
                f"binary transparency, so {drawn}", AlphaLossWarning)


def _matte_advice(opts: AnimationOptions) -> str:
    """What ends the warning that a GIF made translucent pixels binary: the option that
    blends them onto the background it is shown on ("" for frames mapped onto a palette).
    """
    if opts.suffix != ".gif":
        return ""
    return f"; {MATTE_ADVICE}"


def _binary_kept(opts: AnimationOptions) -> str:
    """What keeps only binary transparency, the subject of its verb: a GIF, or frames
    mapped onto a given palette (whose entries are drawn opaque or transparent), named
    by its file, or "a given palette" (batch's shared palette is one: its user gave no
    ``palette_in``)."""
    if opts.suffix == ".gif":
        return "a GIF keeps"
    if ANIMATION_EXTENSIONS[opts.suffix] == "TIFF":
        return f"the pages of a TIFF mapped onto {opts.palette_said} keep"
    return f"an animation mapped onto {opts.palette_said} keeps"


def _warn_quality_missed(opts: AnimationOptions, k: int, delta_e: float,
                         above: tuple[float, ...]) -> None:
    """Warn when the frames written, undithered, miss ``opts.quality``: their mean
    ``delta_e``, or the tail, ``above`` being the shares of their pixels beyond each of
    its limits (with dithering, the command's line already says the k was measured
    without it). Both are measured as the k was searched: a translucent pixel counts
    the worse of its difference on black and on white (the recorded ``delta_e`` is on
    black, as a still's)."""
    if opts.quality is None or opts.dither:
        return
    tail = " and ".join(tail_missed(opts.quality, above))
    mean = f"a mean CIEDE2000 of {round(delta_e, 4):g}"
    if round(delta_e, 4) > opts.quality:  # as recorded: "1.5, above 1.5" would say nothing
        missed = f"{mean}, above it" + (f", and {tail}" if tail else "")
    elif tail:
        missed = f"{mean}, within it, but {tail}"
    else:
        return
    shown = shown_number(opts.quality)
    took = ("" if opts.nearest else ", and pixels then took their left neighbour's or the "
            "previous frame's entry, up to ΔE 2 further, for smaller frames")
    warn_caller(f"quality={shown}: the frames written have {missed}: k={k} was "
                f"chosen with every colour on its nearest entry{took}", QualityMissedWarning)


def _warn_plays(info: AnimationInfo, suffix: str) -> None:
    """Warn when the output format holds fewer plays than the input's (65,536 in a GIF)."""
    limit = max_plays(suffix)
    if limit is not None and info.plays > limit:
        given = FORMAT_NAMES.get(info.format, info.format)
        written = FORMAT_NAMES[ANIMATION_EXTENSIONS[suffix]]
        warn_caller(f"the {given} plays {info.plays:,} times, and a {written} holds at most "
                    f"{limit:,} plays: written to play {limit:,} times", LoopCountWarning)


def _warn_cut(stats: FrameStats, info: AnimationInfo) -> None:
    """Warn when frames reached past the canvas and were cut to it, as browsers show them;
    a canvas larger than the GIF's screen is said to be (its first frame made it so)."""
    n = stats.frames_cut
    if n:
        w, h = info.size
        name = FORMAT_NAMES.get(info.format, info.format)
        if info.screen is None:
            canvas = f"the {w}x{h} canvas the {name} gives"
        else:
            canvas = (f"the {w}x{h} canvas (the {name}'s {info.screen[0]}x{info.screen[1]} "
                      "screen, made as large as its first frame reaches)")
        warn_caller(f"{n} {'frame reaches' if n == 1 else 'frames reach'} past {canvas}: "
                    "the part outside is cut, as browsers show it", FrameCutWarning)


def _warn_few_per_frame(plan: PerFramePlan, n_colors: int | None) -> None:
    """Say, once for the animation, that no frame's palette needed ``n_colors`` colours
    and every frame kept all of its own, as a global palette's fit says it of the pooled
    colours."""
    k = n_colors or DEFAULT_COLORS
    if plan.all_kept and 0 < plan.most_distinct < k:
        warn_few_colors(plan.most_distinct, k, "the frame with the most colours has",
                        kept="each frame keeps all of its own")


def _nothing_opaque(stats: FrameStats) -> bool:
    """Every pixel of every frame was written transparent."""
    return stats.transparent_pixels == stats.pixels


def _chosen(plan: Any) -> int:
    """The colours the plan draws, known before any frame is written: the k ``quality``
    chose names the output, 0 (``.k0``) when no frame has an opaque pixel (the palette
    then holds a placeholder colour), as for a still."""
    if isinstance(plan, GlobalPlan) and plan.codes.size == 0:
        return 0
    return plan.k


def _colours(plan: Any, opts: AnimationOptions, stats: FrameStats) -> int:
    """The colours reported: the plan's, or 0 when nothing was drawn (as for a still);
    with ``per_frame`` and one shared palette (it held every colour), the most colours a
    frame takes from it, as a palette per frame would hold."""
    if _nothing_opaque(stats):
        return 0
    return plan.k if isinstance(plan, PerFramePlan) or not opts.per_frame else stats.most_entries


def _listed_clear(plan: Any, opts: AnimationOptions) -> int | None:
    """The index at which the palette file lists the entry of transparent pixels, as a
    still's lists it: where the frames put it (:func:`_written_table`), the first of a
    fitted palette, and where a given palette has its own (``opts.clear_at``), in any
    output format; None, which leaves it out, when no pixel is transparent and no given
    palette has a transparent entry of its own (``opts.clear_color``; or each frame has a
    palette of its own, whose file lists the colours alone)."""
    if plan.transparent is None and opts.clear_color is None:
        return None
    return opts.clear_at


def _palette_out_bytes(path: Path, palette: np.ndarray, shares: np.ndarray,
                       stats: FrameStats, name: str, clear_at: int | None = None,
                       clear_color: tuple[int, int, int] | None = None,
                       fixed: list[str] | None = None) -> bytes:
    """The palette file's bytes; a fully transparent animation's holds its transparent
    entry alone, as a still's does (not the placeholder colour of the table). The
    ``fixed`` colours (checked ``fixed_colors``) keep the names a palette file gave them
    (:func:`~quantize.reduce.fit.fixed_entry_names`).

    With ``clear_at`` (:func:`_listed_clear`), the entry of transparent pixels is written
    at that index, of alpha 0 and a share of 0, black, or a given palette's own entry's
    ``clear_color`` (as a still's file keeps it), the colours with their alpha (opaque
    but those of a palette fitted with alpha), so that entry ``clear_at`` of the file is
    the frames' transparent entry and the file given back numbers them alike, as a
    still's does (a .gpl file notes its alpha in its name, as a still's:
    :func:`~quantize.palette_files.palette_file_bytes`)."""
    if _nothing_opaque(stats):
        return palette_file_bytes(path, np.zeros((1, 4), np.uint8), name=name)
    n = len(palette) + (clear_at is not None)
    check_palette_out_holds(path, n, f"the palette has {n} colours" if clear_at is None else
                            f"the animation has {n} entries (its {n - 1} colours and the "
                            "transparent one)")
    if clear_at is not None:
        alpha = palette[:, 3] if palette.shape[1] == 4 else np.full(len(palette), 255)
        rgba = np.column_stack([palette[:, :3], alpha]).astype(np.uint8)
        palette = np.insert(rgba, clear_at, (*(clear_color or (0, 0, 0)), 0), axis=0)
        shares = np.insert(shares, clear_at, 0.0)
    return palette_file_bytes(path, palette, shares, name=name, gpl_alpha=True,
                              names=fixed_entry_names(palette, fixed))


def _record_palette(palette: np.ndarray, shares: np.ndarray) -> list[dict[str, Any]]:
    """The record's ``palette`` of the colours drawn, ``(k, 3)``, or ``(k, 4)`` with alpha."""
    if palette.shape[1] == 3:
        return palette_entries(palette, shares)
    return palette_entries(palette[:, :3], shares, palette[:, 3])


def _warn_still(stats: FrameStats, out: Path) -> None:
    """Warn when a WebP output became a still image: its frames all showed one picture."""
    if stats.frames > 1 and stats.frames_written == 1 and out.suffix.lower() == ".webp":
        warn_caller(StillImageWarning(f"all {stats.frames} frames show the same picture, and "
                                      "a WebP of one frame is a still image: the duration "
                                      "and loop count are not kept",
                                      advice="write .png (APNG) or .gif to keep them"))


def _warn_lengthened(stats: FrameStats, named: str) -> None:
    """Warn when a GIF plays longer than the input: frames under 20 ms were written longer
    (browsers play a GIF's delays of 0 and 10 ms as 100 ms) and later frames did not make
    up for it; ``named`` names the output."""
    played, given = stats.played_ms
    if not stats.frames_lengthened or played - given <= 5:  # ends on its nearest centisecond
        return
    warn_caller(ShortFramesWarning(
        f"{stats.frames_lengthened} of {stats.frames} frames under 20 ms written longer in "
        f"{named}, as browsers play a GIF's shorter delays as 100 ms: it plays "
        f"{_seconds(played)} against the input's {_seconds(given)}",
        advice="write .webp or .png (APNG) to keep the timing"))


def _seconds(ms: float) -> str:
    """``ms`` as seconds to the millisecond, for a message.

    >>> _seconds(1000.0000001), _seconds(1200), _seconds(83.3333)
    ('1 s', '1.2 s', '0.083 s')
    """
    return f"{round(ms) / 1000:g} s"


def _drawn_palette(plan: Any, stats: FrameStats, given: bool,
                   fixed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The colours drawn (the global palette, or every per-frame colour) and their shares
    of the opaque pixels, most used first (then by lightness) as a still's, after the
    ``fixed`` colours the fitted palette begins with; a ``given`` palette keeps its own
    order."""
    if not isinstance(plan, PerFramePlan):
        palette = plan.palette
    else:
        drawn, _ = stats.drawn()
        palette = distinct_rows(drawn) if drawn.size else np.zeros((1, 3), np.uint8)
    pixels = stats.entry_pixels(palette)
    if not given:
        order = fitted_order(palette, pixels, fixed)
        palette, pixels = palette[order], pixels[order]
    return palette, pixels / max(pixels.sum(), 1.0)
