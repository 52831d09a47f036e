"""The per-file jobs a batch can run: reduce and segment.

Each mode names the job's public file function and its public option checker
(reduce's also warns, once for the batch, of a ``quality`` likely meant as a 0-100
score, as ``reduce_colors`` does); batch knows neither job's keyword names nor its
defaults.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_bool, check_option_names
from ..io import MAX_PALETTE
from .manifest import Entry
from .plan import JobMode

__all__ = ["SAME_NAME", "holds_more_colors", "reduce_job", "reduce_mode", "reduce_suffix",
           "reduce_suffix_kept", "segment_mode"]

#: The ``ext`` that keeps each input's own name, and so its format (:func:`reduce_suffix`).
SAME_NAME = "same"
#: The extensions, in lower case, of the formats ``ext=SAME_NAME`` writes: those quantize
#: writes indexed (PNG, GIF, BMP) or losslessly (WebP, TIFF), each with the format Pillow
#: reads in a file of that name. A JPEG would be coded anew, lossy.
_KEPT_FORMATS = {".png": "PNG", ".apng": "PNG", ".gif": "GIF", ".bmp": "BMP", ".webp": "WEBP",
                 ".tif": "TIFF", ".tiff": "TIFF"}
#: The formats Pillow reads JPEG files as, and the extensions that write a JPEG.
_JPEG_FORMATS = ("JPEG", "MPO")
_JPEG_SUFFIXES = (".jpg", ".jpeg")


def reduce_mode() -> JobMode:
    """Colour reduction: ``INPUT`` -> ``OUT_DIR/<same folders>/<stem>.png``, an animation
    in its own format; with the option ``ext``, ``<stem>`` + ``ext``, in the format its
    extension names, animations too (:func:`reduce_suffix`)."""
    return JobMode("reduce", reduce_job, suffix=".png", check_options=_check_reduce_options,
                   suffix_for=reduce_suffix, settings_key="n_colors",
                   keeps_suffix=reduce_suffix_kept)


def reduce_job(input: Path, output: Path, *, ext: str | None = None,
               copy_if_larger: bool = False, ext_hint: bool = True,
               reduce_with: Callable[..., dict[str, Any]] | None = None,
               **options: Any) -> dict[str, Any]:
    """A batch's reduce job: :func:`quantize.reduce.reduce_file` of ``input`` into
    ``output``, with ``options``; ``ext``, which named ``output`` (:func:`reduce_suffix`),
    is not passed on. With ``copy_if_larger``, a result larger than the input, in the
    input's format (:func:`_same_format`), is not written: the input's bytes are
    (:func:`_input_copied`); one in another format raises
    :class:`~quantize.errors.ResultTooLargeError`, as with ``skip_if_larger``, saying how
    an output in the input's format is had in a batch (:func:`_how_kept`) unless
    ``ext_hint`` is false (``quantize reduce``, which names its outputs otherwise).
    ``reduce_with``: the function called as ``reduce_file`` is (None: ``reduce_file``;
    ``quantize reduce`` gives its own for the image it writes to stdout, whose errors name
    stdout)."""
    from ..errors import ResultTooLargeError
    from ..reduce import reduce_file

    reduce = reduce_file if reduce_with is None else reduce_with
    if not copy_if_larger:
        return reduce(input, output, **options)
    start = time.perf_counter()
    try:
        return reduce(input, output, **{**options, "skip_if_larger": True})
    except ResultTooLargeError as exc:
        if not _same_format(input, output):
            hint = f" {_how_kept(Path(input))}" if ext_hint else ""
            raise ResultTooLargeError(f"{exc.reason}; not copied, as {Path(output).suffix!r} "
                                      f"is not the input's format {_format_said(input)}"
                                      f"{hint}", path=exc.path) from None
        unwritten = [what for name, what in (("palette_out", "palette file"),
                                             ("masks", "masks"))
                     if options.get(name) is not None]
        return _input_copied(input, output, exc.reason, start, unwritten)


def _how_kept(input: Path) -> str:
    """How an output in the format of ``input`` is had, said where its result, larger, in
    another format, is not copied: ``ext='same'`` keeps it, or, where that refuses the
    file (a JPEG), leaving it out, as that refusal says (:func:`_kept_suffix`).

    >>> _how_kept(Path("a.png"))
    "(ext='same' keeps it)"
    >>> _how_kept(Path("a.jpg"))  # doctest: +NORMALIZE_WHITESPACE
    "(ext='same' would not keep it either, as it is a JPEG, which would be coded anew, lossy
    (quality 95), most often larger than it is: leave it out, exclude_pattern='*.jpg')"
    """
    from ..errors import ExcludeAdviceError

    try:
        _kept_suffix(input)
    except ExcludeAdviceError as exc:
        return (f"(ext={SAME_NAME!r} would not keep it either, as it is {exc.what}: leave it "
                f"out, exclude_pattern={exc.patterns[0]})")
    return f"(ext={SAME_NAME!r} keeps it)"


def _same_format(input: Path, output: Path) -> bool:
    """Whether ``output`` is named in the format of ``input``, by their extensions, case
    ignored (``ext="same"`` keeps it; ``.jpeg`` and ``.jpg`` are told apart). An input of
    no extension, as the copy of stdin ``quantize reduce -`` reads (a stream has no name),
    by the format its header holds (:func:`_header_said`), which the output's extension
    must write.

    >>> _same_format(Path("a.PNG"), Path("out/a.png")), _same_format(Path("a.gif"), Path("a.png"))
    (True, False)
    """
    if not Path(input).suffix:
        from PIL import Image

        written = Image.registered_extensions().get(Path(output).suffix.lower())
        return written is not None and _header_said(input) == written
    return Path(input).suffix.lower() == Path(output).suffix.lower()


def _header_said(input: Path) -> str | None:
    """The format of ``input`` as its header holds it, a JPEG's as ``JPEG`` (Pillow reads some
    as ``MPO``), or None when it cannot be read."""
    from ..reduce import header_format

    found = header_format(input)
    return "JPEG" if found in _JPEG_FORMATS else found


def _format_said(input: Path) -> str:
    """The format of ``input`` as a message says it: its extension, or, for an input of
    none (stdin's copy), the format its header holds (:func:`_same_format`).

    >>> _format_said(Path("a.png")), _format_said(Path("missing"))
    ("'.png'", 'unknown')
    """
    if Path(input).suffix:
        return repr(Path(input).suffix)
    return _header_said(input) or "unknown"


def _input_copied(input: Path, output: Path, reason: str, start: float,
                  unwritten: Sequence[str] = ()) -> dict[str, Any]:
    """Write the bytes of ``input`` to ``output`` (replacing it, as a batch's job does) and
    return its record: lossless (``psnr`` None, ``delta_e`` 0), its sizes those of the
    input, and :data:`~quantize.batch.results.INPUT_COPIED`, ``reason`` (why the result was
    not kept) and what was written instead. No palette: the output is the input, so the
    files of the result asked for beside it, ``unwritten`` (``quantize reduce``'s palette
    file and masks), are not written either, and said so."""
    from ..io import write_together
    from ..reduce.records import EXISTING_KEPT
    from .results import INPUT_COPIED

    data = Path(input).read_bytes()
    write_together([(output, data)], replace=True)
    said = reason.removesuffix(EXISTING_KEPT).removesuffix("; nothing written")
    return {"input": str(input), "output": str(output), "psnr": None, "delta_e": 0.0,
            "seconds": round(time.perf_counter() - start, 4), "bytes_in": len(data),
            "bytes_out": len(data),
            INPUT_COPIED: f"{said}; the input's own bytes written instead"
                          + (f", and no {' nor '.join(unwritten)}, which would be the "
                             "result's" if unwritten else "")}


def _check_reduce_options(**options: Any) -> dict[str, Any]:
    """:func:`quantize.reduce.check_reduce_options`, warning
    (:class:`~quantize.reduce.quality.QualityScaleWarning`) of a ``quality`` above 20 as
    :func:`quantize.reduce_colors` does: once for the batch, when it is planned, not by
    every file's job; and refusing a ``palette_in`` whose every entry is fully transparent,
    or warning of an entry its file marks transparent
    (:class:`~quantize.errors.PaletteInWarning`), once too (:func:`_check_palette_in_draws`).
    ``n_colors`` over 256, more than the palette images a batch writes hold, is refused,
    but capped at 256 with ``quality``, where it is only the most colours allowed; it is
    kept when ``ext`` names outputs in RGB (:func:`holds_more_colors`), as reduce keeps it.
    ``palette_in`` is a palette file's path, as ``quantize batch --palette-in`` gives it
    (:func:`_check_palette_in_path`): the settings recorded with the outputs hold its
    path and a digest of its bytes. ``ext``, a suffix naming every output ``<stem>`` + ``ext``
    (:func:`~quantize.reduce.check_ext`), or :data:`SAME_NAME`, is kept in the options when
    given, and so in the settings recorded with the outputs (:func:`reduce_suffix`); with
    ``palette="per-frame"`` it must name .gif outputs (:func:`_check_ext_holds_palettes`).
    ``quality_limit`` is taken as reduce_file takes it; the settings recorded with the
    outputs leave it out when not given (:func:`~quantize.batch.manifest.output_settings`).
    ``copy_if_larger`` (:func:`reduce_job`), kept when true, sets ``skip_if_larger`` too, so
    that the plan treats outputs larger than their inputs as with it; neither is among the
    settings recorded. ``matte`` is kept as ``#rrggbb``, as the settings hold it (left out
    when not given)."""
    from ..reduce import check_ext, check_reduce_options
    from ..reduce.quality import warn_quality_scale
    from ..reduce.records import hex_color

    ext = options.pop("ext", None)
    copy_if_larger = options.pop("copy_if_larger", False)
    _check_palette_in_path(options.get("palette_in"))
    checked = check_reduce_options(**options)
    if checked["matte"] is not None:  # as JSON holds it, compared with the settings read back
        checked["matte"] = hex_color(checked["matte"])
    if check_bool(copy_if_larger, "copy_if_larger"):  # left out when not given, as ext is
        # the checks of skip_if_larger too: an output recorded larger is made again, ...
        checked.update(copy_if_larger=True, skip_if_larger=True)
    if ext is not None:  # left out when not given: the settings of earlier runs lack it
        named = ext if ext == SAME_NAME else check_ext(ext)
        checked["ext"] = _check_ext_holds_palettes(named, checked["palette"])
    too_many = checked["n_colors"] is not None and checked["n_colors"] > MAX_PALETTE
    if too_many and not holds_more_colors(checked.get("ext")):
        if checked["quality"] is None:  # each file's job refused it
            raise ValueError(f"n_colors={checked['n_colors']} should be <= {MAX_PALETTE}: "
                             f"{_palette_outputs(checked.get('ext'))}; expected at most "
                             f"{MAX_PALETTE}, or ext naming .jpg, .webp or .tif outputs, which "
                             "hold more")
        # only the most allowed: what a palette image holds, as reduce_file caps it
        checked["n_colors"] = MAX_PALETTE
    warn_quality_scale(checked["quality"])
    if checked["palette_in"] is not None:
        _check_palette_in_draws(checked["palette_in"])
    return checked


def holds_more_colors(ext: str | None) -> bool:
    """Whether every output a batch names with ``ext`` is written in RGB, which holds more
    than a palette image's 256 colours, as ``quantize reduce`` writes a still image in a
    .jpg, .webp or .tif (:func:`quantize.reduce.output_kind`); not without ``ext`` nor
    with :data:`SAME_NAME`, which write palette images too.

    >>> holds_more_colors(".TIF"), holds_more_colors(".small.png"), holds_more_colors(None)
    (True, False, False)
    """
    if ext is None or ext == SAME_NAME:
        return False
    from ..reduce import RGB_EXTENSIONS

    return ext.lower().endswith(RGB_EXTENSIONS)


def _palette_outputs(ext: str | None) -> str:
    """What palette images a batch with ``ext`` writes, for a refusal of more colours.

    >>> _palette_outputs(".gif")
    "ext='.gif' names palette images"
    """
    from ..names import quoted

    if ext is None:
        return "a batch writes palette images (.png, or an animation in its own format)"
    if ext == SAME_NAME:
        return (f"ext={quoted(ext)} writes a .png, .apng, .gif or .bmp input as a palette "
                "image")
    return f"ext={quoted(ext)} names palette images"


def _check_ext_holds_palettes(ext: str, palette: str) -> str:
    """Refuse an ``ext`` naming outputs other than .gif and .tif with
    ``palette="per-frame"``, which only they hold (a GIF's local colour tables, a TIFF
    page's colour map): every animation's job failed on it.

    >>> _check_ext_holds_palettes(".png", "per-frame")
    Traceback (most recent call last):
    ValueError: palette='per-frame' needs .gif or .tif outputs (a colour table for each \
frame), but ext='.png' names every output otherwise; expected a suffix ending in .gif, .tif \
or .tiff, or none
    """
    from ..reduce.options import PER_FRAME_EXTENSIONS

    if palette == "per-frame" and not ext.lower().endswith(PER_FRAME_EXTENSIONS):
        from ..names import quoted

        raise ValueError("palette='per-frame' needs .gif or .tif outputs (a colour table for "
                         f"each frame), but ext={quoted(ext)} names every output otherwise; "
                         "expected a suffix ending in .gif, .tif or .tiff, or none")
    return ext


def _check_palette_in_path(palette_in: Any) -> None:
    """Refuse a ``palette_in`` that is no path (colours as an array, a list or a PIL
    image, which a single file's job takes): a batch reads its palette from a file.

    >>> _check_palette_in_path([[0, 0, 0]])
    Traceback (most recent call last):
    TypeError: palette_in should be the path of a palette file (.gpl, .json, .hex, .act, ...
    """
    from ..palette_files import PALETTE_IN_FORMAT_LIST

    if palette_in is not None and not isinstance(palette_in, str | os.PathLike):
        raise TypeError(f"palette_in should be the path of a palette file "
                        f"({PALETTE_IN_FORMAT_LIST}) in a batch, got {type(palette_in).__name__}"
                        "; write the colours to one with quantize.palette_files.write_palette")


def _check_palette_in_draws(palette_in: Any) -> None:
    """Refuse a checked ``palette_in`` file that cannot be read (:func:`_palette_in_read`),
    or whose every entry is fully transparent, once for the batch: each file's job refused
    it in turn, but for an image without visible pixels (as ``quantize batch
    --palette-in`` refuses it, in its words). Warn once, too, of how its file is read
    (:class:`~quantize.palette_files.PaletteReadWarning`: a grid's gap colour, an .act's
    black tail left out), of an entry its file marks transparent
    (:class:`~quantize.errors.PaletteInWarning`), which every file's job said in turn (they
    now leave them out: :func:`~quantize.batch.run.run_job`), and of a colour it repeats,
    whose repeat no pixel of a still takes; that a repeat moves the colours after it is
    said of each animation, on its line.
    """
    from ..reduce.options import (
        check_palette_draws,
        palette_in_name,
        read_palette_in_noted,
        visible_entries,
        warn_transparent_entries,
        warn_unused_repeats,
    )

    palette = _palette_in_read(palette_in)
    noted = read_palette_in_noted(palette_in)  # as the jobs read it, with its warnings
    palette = palette if noted is None else noted
    name = palette_in_name(palette_in)
    check_palette_draws(visible_entries(palette), None, name, any_image=True)
    warn_transparent_entries(palette_in, palette, name)
    warn_unused_repeats(palette_in, palette, name)


def _palette_in_read(palette_in: str | os.PathLike[str]) -> np.ndarray:
    """The ``palette_in`` file read as ``quantize batch --palette-in`` reads it before any
    work (:func:`~quantize.reduce.options.read_palette_in_once`), its warnings left for
    :func:`_check_palette_in_draws`; a file that cannot be read (missing, not a palette, a
    pipe) is refused in one line naming ``palette_in``, where every file's job failed."""
    from ..errors import ImageReadError, warnings_held
    from ..names import quoted
    from ..reduce.options import read_palette_in_once

    with warnings_held():  # quantize's, dropped in this thread alone; Pillow's are given
        try:
            return read_palette_in_once(palette_in)
        except ImageReadError as exc:
            raise ImageReadError(f"palette_in={quoted(os.fspath(palette_in))}: "
                                 f"{exc.reason}") from None


def reduce_suffix(input: Path, options: Mapping[str, Any]) -> str:
    """The extension a batch writes ``input`` reduced with, as ``quantize reduce`` names it
    when given no output, or ``--ext``.

    ``options["ext"]`` when given, for every file, a still or an animation, whose
    extension picks the format, as ``quantize reduce --ext`` writes it (an animation's
    frames as an APNG in a ``.png``, as pages in a ``.tif``; refused by its job in a
    ``.jpg``); no file is opened. With ``ext="same"`` (:data:`SAME_NAME`), the input's
    own extension (:func:`_kept_suffix`). Else ``.png`` for a still image; for an animation
    (told from the header, no pixel decoded:
    :func:`quantize.reduce.default_output_suffix`) its own
    format when an animation is written in it (``.gif``, ``.png``, ``.apng``,
    ``.webp``; a TIFF's pages as ``.tif``/``.tiff``), else ``.gif``;
    ``.gif`` with ``palette="per-frame"`` in ``options``, as only a GIF holds a
    palette per frame. ``.png`` for a file that cannot be read, which the plan
    reports as failed (a pipe or device is not opened).
    """
    from ..animation import count_frames
    from ..errors import ImageReadError
    from ..reduce import default_output_suffix

    if (ext := options.get("ext")) is not None:
        return _kept_suffix(input) if ext == SAME_NAME else str(ext)
    suffix = default_output_suffix(input)
    if suffix is None or options.get("palette") != "per-frame":
        return suffix or ".png"
    if suffix == ".png":  # a still, or an APNG
        try:
            return ".gif" if count_frames(input) > 1 else ".png"
        except (ImageReadError, OSError, ValueError):
            return ".png"
    return ".gif"


def _kept_suffix(input: Path) -> str:
    """The extension of ``input``, as given, when quantize writes the format Pillow reads in
    it without a loss of its own (:data:`_KEPT_FORMATS`: indexed, or lossless), and its
    name's extension writes that format (a PNG named ``.jpg`` would be written as a JPEG;
    a JPEG named ``.png``, as a PNG, not in its own format). A file that cannot be read is
    told by its name (the plan reports it failed).

    >>> _kept_suffix(Path("LOGO.PNG")), _kept_suffix(Path("clip.webp"))
    ('.PNG', '.webp')
    >>> _kept_suffix(Path("site/IMG_0042.JPG"))
    Traceback (most recent call last):
    quantize.errors.ExcludeAdviceError: ext='same' keeps each input's name and format, but \
'site/IMG_0042.JPG' is a \
JPEG, which would be coded anew, lossy (quality 95), most often larger than it is: leave them \
out (exclude_pattern='*.JPG'), or write every file as a PNG (ext='.png')
    """
    from ..errors import ExcludeAdviceError
    from ..names import quoted
    from ..reduce import header_format

    suffix = input.suffix
    named = _KEPT_FORMATS.get(suffix.lower())
    found = header_format(input)
    if named is not None and found in (named, None):
        return suffix
    if not suffix:  # its own name alone: "*" would leave out every file
        raise ExcludeAdviceError(f"ext={quoted(SAME_NAME)} keeps each input's name and "
                                 "format, but", quoted(str(input)), "named without an "
                                 "extension, and an output of its name would have none to "
                                 "pick its format by", (quoted(input.name),),
                                 "or write every file as a PNG (ext='.png')")
    jpeg = (found in _JPEG_FORMATS if found is not None
            else suffix.lower() in (".jpg", ".jpeg", ".jpe", ".jfif", ".mpo"))
    if named is None and jpeg:
        what = ("a JPEG, which would be coded anew, lossy (quality 95), most often larger than "
                "it is")
        pattern = quoted(f"*{suffix}")
    elif found is not None and (named is not None or found in _KEPT_FORMATS.values()):
        written = named or ("JPEG" if suffix.lower() in _JPEG_SUFFIXES else None)
        into = (f"as a {written}" if written is not None
                else "in a format quantize does not write")
        what = (f"a {'JPEG' if jpeg else found} named {suffix or 'without an extension'}, "
                f"which keeping its name would write {into}, not in its own format")
        pattern = quoted(input.name)  # its name alone: the others of that extension may be
    else:
        what = "in a format quantize does not write"
        pattern = quoted(f"*{suffix}") if suffix else "..."
    raise ExcludeAdviceError(f"ext={quoted(SAME_NAME)} keeps each input's name and format, "
                             "but", quoted(str(input)), what, (pattern,),
                             "or write every file as a PNG (ext='.png')")


def reduce_suffix_kept(input: Path, options: Mapping[str, Any], entry: Entry,
                       suffix: str) -> bool:
    """Whether ``suffix``, the extension of the output ``entry`` records as reduced from
    ``input`` when the file was as it is now, is the one :func:`reduce_suffix` gives it
    with ``options``, told from the record alone: both or neither ask for
    ``palette="per-frame"``, and ``suffix`` is a still's (``.png``, its record saying one
    frame) or, its record saying more, an animation's as this version names it (its own
    format's, or ``.gif``). Any other (an animation written as an APNG ``.png`` by an
    earlier version, or as a still) is looked at again, and so is every output made, or
    to be made, with ``ext``, whose name :func:`reduce_suffix` gives without opening it.

    >>> kept = Entry({"palette": "global"}, {"frames": 3})
    >>> reduce_suffix_kept(Path("clip.webp"), {"palette": "global"}, kept, ".webp")
    True
    >>> reduce_suffix_kept(Path("clip.webp"), {"palette": "global"}, kept, ".png")
    False
    """
    per_frame = options.get("palette") == "per-frame"
    if (entry.settings.get("palette") == "per-frame") != per_frame:
        return False
    if options.get("ext") is not None or entry.settings.get("ext") is not None:
        return False
    frames = entry.record.get("frames")
    if frames == 1:
        return suffix == ".png"
    if not (isinstance(frames, int) and frames > 1):
        return False
    from ..animation.sinks import default_suffix  # (not imported for a folder of stills)

    return suffix == (".gif" if per_frame else default_suffix(input))


def segment_mode() -> JobMode:
    """Segmentation: ``INPUT`` -> folder ``OUT_DIR/<same folders>/<stem>/``."""
    from ..segment_file import (
        CLASSES_FILE,
        EDGES_FILE,
        OUTPUT_FILES,
        WIDE_LABELS_FILE,
        segment_file,
    )

    return JobMode("segment", segment_file, suffix="", marker="segments.json",
                   check_options=_check_segment_options,
                   folder_files=(*OUTPUT_FILES, EDGES_FILE, CLASSES_FILE, WIDE_LABELS_FILE),
                   settings_key="n_clusters")


def _check_segment_options(**options: Any) -> dict[str, Any]:
    """:func:`quantize.segment_file.check_segment_options`, naming an unknown option as
    reduce mode's check does (Python's own TypeError named the function). A module's
    function, as the mode is pickled for the worker processes."""
    from ..segment_file import check_segment_options

    check_option_names(options, inspect.signature(check_segment_options).parameters, "segment")
    return check_segment_options(**options)
