"""The file-level segmentation job behind ``quantize segment`` and batch runs.

``segment_file`` reads an image, calls :func:`quantize.segment.segment` (and
:func:`quantize.segment.boundary_map` when asked for ``edges.png``) and writes
the outputs atomically, ``segments.json`` last so that its presence marks a
finished job.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from ._kernels import row_bands
from ._validation import (
    Seed,
    check_bool,
    check_color,
    check_max_pixels,
    check_optional_int,
    check_path,
    check_seed,
    foreign_keywords,
    recorded_seed,
)
from .classes import ClassOrder, classes_by_lightness
from .errors import (
    GeoTagsLeftOutWarning,
    OutputError,
    OutputExistsError,
    QuantizeError,
    SharedOutputError,
    WideLabelsWarning,
    warn_caller,
    warnings_held,
)
from .features import DEFAULT_TEXTURE_SCALES, Space, check_weights
from .io import (
    DEFAULT_MAX_PIXELS,
    NoData,
    NoDataWarning,
    check_name_length,
    check_nodata,
    check_output_path,
    folder_made,
    held_dpi,
    kept_exif,
    link_to_nothing_words,
    load_image,
    nodata_record,
    nodata_setting,
    probe_image,
    remove_stale_parts,
    require_regular_file,
    shared_landing,
    stack_pages,
    write_together,
)
from .io.profiles import (
    DEFAULT_INTENT,
    Intent,
    check_intent,
    note_profile_converted,
    profile_fields,
)
from .io.stretch import (
    DEFAULT_SOFTENING,
    StretchCurve,
    check_stretch,
    curve_record,
    range_record,
    softening_of,
    stretch_given,
)
from .names import printable, printable_data, quoted, same_file
from .reconstruct import regions as _regions
from .segment import (
    DARK_ADVICE,
    AlphaIgnoredWarning,
    SegmentResult,
    boundary_map,
    check_class_order,
    check_cut,
    check_hierarchy_weights,
    check_min_region,
    check_smooth,
    check_space,
    check_superpixels,
    check_working_size,
    classes_settings,
    segment_pixels,
    working_shape,
)

__all__ = ["CLASSES_FILE", "EDGES_FILE", "EXIF_FILES", "INPUT_MEAN_UNITS", "OUTPUT_FILES",
           "OVERLAY_COLOR", "PAGE_FOLDER", "REGIONS_FILE", "STATS_UNITS",
           "WIDE_LABELS_FILE", "AlphaIgnoredWarning",
           "check_segment_options", "check_stream_outputs",
           "class_levels", "foreign_entries", "output_names", "page_folder", "regions_table",
           "segment_file"]

#: Files ``segment_file`` writes, in writing order; ``segments.json`` marks completion.
OUTPUT_FILES = ("labels.png", "segmented.png", "boundaries.png", "overlay.png",
                "flats.png", "regions.csv", "segments.json")
#: The table of the regions, one row each (:func:`regions_table`), beside ``segments.json``.
REGIONS_FILE = "regions.csv"
#: The outputs that keep the input's EXIF (unless ``strip``): its pictures, not the maps of
#: numbers (labels, borders, flat colours, classes, edge strength), whose pixels are no
#: picture of the photo.
EXIF_FILES = ("segmented.png", "overlay.png")
#: The soft border map written with ``edges=True`` (16-bit grayscale, before ``segments.json``).
EDGES_FILE = "edges.png"
#: The class map written with ``classes=True``: the cluster of each pixel's region
#: (:meth:`SegmentResult.cluster_map`), 8-bit grayscale for up to 256 clusters, else 16-bit.
CLASSES_FILE = "classes.png"
#: The region labels written in place of ``labels.png`` when the segmentation has more
#: regions than a 16-bit PNG can number (:data:`MAX_PNG_LABEL`): 32-bit signed grey TIFF
#: (Pillow's mode "I"), deflate-compressed, labels 1..R as in ``labels.png``.
WIDE_LABELS_FILE = "labels.tif"
#: The colour ``overlay.png`` draws the borders in unless ``overlay_color`` names another.
OVERLAY_COLOR = (255, 0, 0)
#: The units of the ``region_stats`` fields, written beside them in ``segments.json``.
STATS_UNITS = MappingProxyType({
    "area": "pixels",
    "perimeter": "pixels of the region with a 4-neighbour in another region or on the image's "
                 "edge",
    "bbox": "pixel indices [row_min, col_min, row_max, col_max), maxima excluded",
    "centroid": "mean pixel index [row, col]",
    "inner_point": "pixel index [row, col] in the region, the farthest from its edge",
    "mean_color": "sRGB 0..255 [r, g, b], of the visible pixels",
    "segmented_color": "sRGB 0..255 [r, g, b] integers, mean_color as segmented.png fills it",
})


@foreign_keywords
def segment_file(
    input: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    n_clusters: int | None = None,
    regions: int | None = None,
    weights: Mapping[str, float] | None = None,
    space: Space = "lab",
    min_region: int | str | None = None,
    seed: Seed = 0,
    force: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    edges: bool = False,
    overlay_color: tuple[int, int, int] | str = OVERLAY_COLOR,
    input_name: str | os.PathLike[str] | None = None,
    stretch: bool = False,
    superpixels: int | None = None,
    smooth: int | None = None,
    working_size: int | str | None = None,
    classes: bool = False,
    strip: bool = False,
    keep_gps: bool = False,
    nodata: NoData = "tag",
    classes_in: str | os.PathLike[str] | None = None,
    intent: Intent = DEFAULT_INTENT,
    page: int | None = None,
    stretch_clip: float = 0.0,
    stretch_curve: StretchCurve = "linear",
    stretch_softening: float | None = None,
    stretch_range: tuple[float, float] | None = None,
    class_order: ClassOrder = "kmeans",
) -> dict[str, Any]:
    """Segment an image file and write the results into ``outdir``.

    Writes, each atomically and in this order: ``labels.png`` (16-bit
    grayscale, region label 1..R per pixel; ``labels.tif``, 32-bit, in its place when
    there are more than 65535 regions, with a
    :class:`~quantize.errors.WideLabelsWarning`), ``segmented.png`` (regions filled
    with their mean colour), ``boundaries.png`` (1-bit border mask),
    ``overlay.png`` (borders drawn on the photo in ``overlay_color``), ``flats.png`` (each
    region in a colour of its own, :meth:`SegmentResult.flat_color_image`) and
    ``segments.json``
    (the returned record but its ``seconds``, plus ``input_path``, the input's path
    relative to ``outdir`` with links resolved, ``cluster_stats``: one record per cluster,
    see :meth:`SegmentResult.cluster_stats`, ``region_stats_units`` (:data:`STATS_UNITS`)
    and ``region_stats``: one record per region, see :meth:`SegmentResult.region_stats`).
    ``segments.json`` comes last, so its
    presence marks a finished job. With ``edges``, ``edges.png`` (16-bit
    grayscale, :func:`quantize.segment.boundary_map` scaled to 0..65535) is
    written before ``segments.json``, and with ``classes``, ``classes.png``
    (:data:`CLASSES_FILE`, the cluster of each pixel) next, before it too. Every PNG
    keeps the input's physical resolution (:attr:`quantize.io.LoadedImage.dpi`, in a
    pHYs chunk), as it has the input's pixels; ``segmented.png`` and ``overlay.png``,
    pictures of the photo, keep its EXIF too (in an eXIf chunk), as
    :func:`quantize.reduce.reduce_file` keeps it: see ``strip``. Of a TIFF of several
    pages of one size, every page is segmented (see ``page``). Of an animated image only
    the first
    frame is segmented, with a :class:`quantize.animation.FirstFrameWarning`
    saying so; fully transparent pixels are segmented as one colour
    (:func:`quantize.segment.fill_transparent`), translucent ones by the colour stored in
    them, with an :class:`AlphaIgnoredWarning` saying so when some pixel is not opaque;
    a region's mean colour (``segmented.png``, ``mean_color``) is that of its visible
    pixels (see :attr:`SegmentResult.alpha`). ``outdir`` is created if needed, after the
    input's header is checked (so a missing or unreadable input is named even when outputs
    of an earlier run are in the way); the input file is only read.
    A job that fails leaves no new folder: the folders it created are removed
    again, with any outputs written into them. A folder that existed before is
    left as it was, also when writing fails (a full disk): every output is
    written to a temporary file first, and none is put in place before all are
    written, and a rename that fails or is interrupted puts the earlier ones back
    (Ctrl-C and SIGTERM are held back for those few milliseconds, so a second one
    cannot stop the putting back half-way). Only a job killed outright (SIGKILL, a
    power cut) while putting them in place leaves some: the earlier run's
    ``segments.json`` is removed first, so the folder then shows an unfinished job.
    The temporary files a killed job left in ``outdir``
    (``.labels.png.PID-XXXXXXXX.part``, ..., named with the id of the process writing
    them) are removed once the folder is checked; no other file is, and neither are
    those of a job still running on this machine (two jobs into one folder leave each
    other's alone).

    Parameters
    ----------
    input : path
        The image file to segment. A regular file: it is read more than once, so
        a pipe or device (``/dev/stdin``, a FIFO) is refused; save a stream to a
        file first, and name it with ``input_name``.
    outdir : path
        Folder for the outputs (five, one more with ``edges``, one more with ``classes``).
    n_clusters, regions, weights, space, min_region, seed
        As for :func:`quantize.segment.segment`, except that ``seed`` defaults to 0,
        so that a file gives the same output on every run, as on the command line.
    force : bool, default False
        Overwrite existing outputs (and, without ``edges`` or ``classes``, remove the
        ``edges.png`` or ``classes.png`` an earlier run's ``segments.json`` lists, unless
        it is the input; any other is left alone).
    max_pixels : int or None
        Refuse larger images (see :func:`quantize.io.load_image`).
    edges : bool, default False
        Also write ``edges.png``.
    classes : bool, default False
        Also write ``classes.png``: :meth:`SegmentResult.cluster_map`, the cluster of each
        pixel (0-based, as ``cluster_stats`` numbers them), 8-bit grayscale when there
        are up to 256 clusters (``centers``), else 16-bit, whatever the number of
        regions (of more than 65535, the labels are in ``labels.tif``).
    overlay_color : (r, g, b) or str, default (255, 0, 0)
        The colour of the borders in ``overlay.png``, three integers 0..255 (or a colour
        name or ``#rrggbb``, as ``--overlay-color`` takes it): red borders
        vanish on a red subject. It shapes ``overlay.png`` alone, and is not recorded.
    input_name : path, optional
        What the record and ``segments.json`` call the input, when ``input`` is a
        copy of it (``quantize segment <(curl -s URL) -o out`` reads a copy of the
        pipe); ``input_path`` is then null. Default: ``input`` itself.
    stretch : bool, default False
        As for :func:`quantize.segment.segment`: the image's own range is mapped onto
        0..255 before it is segmented, and ``segmented.png``, ``overlay.png`` and the
        region stats' mean colours are of the stretched image. Recorded (``"stretch":
        true``) when given, with ``stretch_range``, the input's values read as 0 and 255
        (null for an image of one value), and each region's ``mean_input`` in
        ``segments.json``, its mean colour in the input's own values.
    stretch_clip : float, default 0
        As for :func:`quantize.segment.segment`: stretch (``stretch`` implied) from the
        ``stretch_clip``-th to the ``100 - stretch_clip``-th percentile of the values, so
        that a few hot pixels set no range. Recorded (``"stretch_clip"``) when above 0,
        after ``stretch`` and before ``stretch_range``, those percentiles.
    stretch_curve : {"linear", "asinh", "log", "sqrt"}, default "linear"
        As for :func:`quantize.io.load_image`: the curve through which the values, scaled
        to 0..1 by the range stretched, are made levels (``stretch`` implied by any but
        ``"linear"``); ``"asinh"`` lifts the faint sources of a survey image above its
        sky. Recorded (``"stretch_curve"``) when not ``"linear"``, with
        ``"stretch_softening"`` of ``"asinh"`` and ``"log"``, after ``stretch_clip``.
        ``mean_input`` is the mean of a region's input values whatever the curve.
    stretch_softening : float, optional
        The knee of ``"asinh"`` and ``"log"`` as a fraction of the range, above 0
        (default 0.1); refused with the other curves.
    stretch_range : (float, float), optional
        As for :func:`quantize.io.load_image`: a fixed range to stretch (``stretch``
        implied), ``(low, high)`` in the input's own values, read as 0 and 255 whatever
        the image holds, values beyond clipped; every page of a stack then shares one
        scale, where each was stretched from its own range. Recorded (``"stretch_fixed"``)
        after ``stretch_curve``; ``stretch_range`` is then this range. Refused beside
        ``stretch_clip``.
    nodata : float, sequence of 3 floats, "tag" or None, default "tag"
        The value that marks missing data, as :func:`quantize.io.load_image` takes it: its
        pixels are read as fully transparent and so segmented as transparent pixels are
        (no cluster of ``n_clusters``; ``classes.png`` gives them the last). ``"tag"``: the
        value of a TIFF's GDAL_NODATA tag, when it has one, with a
        :class:`~quantize.io.nodata.NoDataWarning`; None: no pixel is no data. Of an image
        with alpha, or of a palette, a pixel that is no data or transparent is left out.
        The value used (given or the tag's) is recorded (``"nodata"``, a list of one or
        three numbers, in the input's units), last; not when none was.
    intent : {"relative-bpc", "relative", "perceptual", "saturation", "absolute"}
        The rendering intent by which an input's ICC profile (a CMYK file's, an Adobe RGB
        one's) is converted to sRGB, as :func:`quantize.io.load_image` takes it. Recorded
        (``"intent"``) when not the default. A conversion from a profile that is not
        sRGB's is said by a :class:`~quantize.errors.ProfileConvertedWarning` and recorded
        in ``segments.json`` as ``source_colour_space`` and ``profile``.
    superpixels : int, optional
        As for :func:`quantize.segment.segment`: about how many superpixels the region
        hierarchy starts from. Recorded (``"superpixels"``) when given.
    smooth : int, optional
        As for :func:`quantize.segment.segment`: the speck size of the majority smoothing
        of ``n_clusters``' cluster map in pixels, 0 for none. Recorded (``"smooth"``) when
        given.
    working_size : int or "full", optional
        As for :func:`quantize.segment.segment`: the longest side of the working copy
        ``n_clusters`` clusters, or ``"full"``. Recorded (``"working_size"``) when given.
    strip : bool, default False
        Write no EXIF. Without it, ``segmented.png`` and ``overlay.png`` keep the input's
        EXIF as :func:`quantize.reduce.reduce_file` keeps it
        (:func:`quantize.io.kept_exif`: artist, copyright, description, camera, date; its
        orientation reset, as the pixels are upright; without a camera's thumbnail, and
        without its GPS directory unless ``keep_gps``). ``labels.png``,
        ``boundaries.png`` and ``edges.png``, maps of numbers rather than pictures of the
        photo, keep none. Recorded (``"strip": true``) when given.
    keep_gps : bool, default False
        Keep the GPS directory of the input's EXIF (where the picture was taken) in
        ``segmented.png`` and ``overlay.png``, which leave it out by default. Recorded
        (``"keep_gps": true``) when given.
    classes_in : path, optional
        A classes file (:meth:`quantize.classes.SharedClasses.save`, or a batch's
        ``shared-classes.json``): the pixels are assigned to its classes, as
        :func:`quantize.segment.segment` does with ``classes_in``, and ``n_clusters``,
        ``weights`` and ``space`` are its own (given, they must match). Recorded
        (``"classes_in"``) when given.
    class_order : {"kmeans", "lightness"}, default "kmeans"
        How the clusters of ``n_clusters`` (or the classes of ``classes_in``) are numbered,
        in ``classes.png``, ``cluster_stats`` and each region's ``cluster``, as
        :func:`quantize.segment.segment` numbers them: "lightness" by increasing lightness,
        the darkest 0 (of a grey input read with ``stretch``, by the mean of its own
        values). Recorded (``"class_order"``) when not "kmeans".
    page : int, optional
        Segment only this page (from 1) of a TIFF of several pages of one size, into
        ``outdir`` itself; recorded as ``"page"``, with ``"input_pages"``, the pages the
        input has. Refused (:class:`~quantize.errors.InputParameterError`) past its last
        page, and above 1 for any other image. Without it, every page of such a TIFF (a
        z-stack, a time series) is segmented, each on its own, into a folder of its own
        in ``outdir``, ``page-001``, ``page-002``, ... (:func:`page_folder`), holding the
        usual files, its ``segments.json`` recording ``page`` and ``input_pages``; then
        ``outdir/segments.json`` is written, last, holding the record returned.

    Returns
    -------
    dict
        JSON-ready record: ``input``, ``outdir``, ``width``, ``height``,
        ``working_width`` and ``working_height`` (the size of the copy a large image
        is segmented on, :func:`~quantize.segment.working_shape`; its own size up to
        1024 pixels a side, or ``working_size``), ``n_clusters`` (as asked; null for the
        hierarchy), ``clusters_used``
        (the clusters the regions belong to, fewer than ``n_clusters`` when the
        image has fewer distinct pixels, when colour and texture cannot tell some
        clusters apart, or when smoothing and ``min_region`` leave some cluster no
        region; null for the hierarchy), ``regions``, ``n_regions``,
        ``min_region``, ``weights``, ``space``, ``seed`` (the int given, by which k-means
        gives the same regions again; null for ``seed=None`` or a Generator; the
        hierarchy does not use it), ``seconds`` and ``outputs`` (the written file names).
        Of a stack segmented page by page: the first page's size and settings, ``pages``
        (the pages segmented), ``n_regions`` (of all pages), ``clusters_used`` (the most
        of one page), ``page_regions`` (each page's ``n_regions``) and ``outputs`` (each
        page's files by their paths in ``outdir``, ``page-001/labels.png``, ..., then
        ``segments.json``).

    Raises
    ------
    ImageReadError
        If the input cannot be read, or is a pipe or device.
    OutputExistsError
        If an output exists and ``force`` is false (nothing is written); the
        message names the other input when ``outdir`` holds its segmentation.
    OutputError
        If ``outdir`` is a file or not writable, or an output would replace the input.
    ValueError, TypeError
        For bad parameters (``force`` and ``edges`` must be bools: ``force="no"``
        would overwrite), checked before the image is read.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from quantize.segment_file import segment_file
    >>> folder = tempfile.TemporaryDirectory()
    >>> photo = os.path.join(folder.name, "flag.png")
    >>> image = np.zeros((24, 36, 3), np.uint8); image[:, 18:] = [200, 40, 40]
    >>> Image.fromarray(image).save(photo)
    >>> record = segment_file(photo, os.path.join(folder.name, "flag.segments"),
    ...                       n_clusters=2, seed=0)
    >>> record["n_regions"]
    2
    >>> print(*record["outputs"])
    labels.png segmented.png boundaries.png overlay.png flats.png regions.csv segments.json
    >>> folder.cleanup()
    """
    start = time.perf_counter()
    force, edges = check_bool(force, "force"), check_bool(edges, "edges")
    classes = check_bool(classes, "classes")
    asked = check_stretch(stretch, stretch_clip, stretch_curve, stretch_softening,
                          stretch_range)
    stretch, stretch_clip, curve = asked.stretch, asked.clip, (asked.curve, asked.softening)
    fixed = asked.fixed
    strip, keep_gps = check_bool(strip, "strip"), check_bool(keep_gps, "keep_gps")
    overlay_color = check_color(overlay_color, "overlay_color")
    nodata, intent = check_nodata(nodata), check_intent(intent)
    page = check_optional_int(page, "page", minimum=1)
    shared = None
    order = check_class_order(class_order, n_clusters if classes_in is None else 1)
    if classes_in is not None:  # read once; its k, weights and space are the job's
        shared, n_clusters, weights, space, _ = classes_settings(
            check_path(classes_in, "classes_in"), n_clusters, regions, weights or None, space,
            DEFAULT_TEXTURE_SCALES)
        if order == "lightness":  # a file without colours is named before any image is read
            classes_by_lightness(shared, f"classes file {os.fspath(classes_in)!r}")
    params = _check_job_params(n_clusters, regions, weights, space, min_region, seed, edges,
                               superpixels, smooth, working_size)
    names = output_names(edges, classes)
    folder = check_path(outdir, "outdir")
    if input_name is not None:  # only named in the record, as given
        check_path(input_name, "input_name")
    check_name_length(folder)
    require_regular_file(input)
    probe_image(input, max_pixels=max_pixels)  # a bad input is named before any folder is made
    job = _Job(params, names, force, max_pixels, stretch, nodata, shared, overlay_color,
               strip, keep_gps, edges, classes, classes_in, seed, input_name, intent,
               stretch_clip, curve, order, fixed)
    pages = 1 if page is not None else stack_pages(input)
    if pages > 1:
        record = _segment_stack(job, input, outdir, folder, pages)
    else:
        record = _segment_page(job, input, outdir, folder, page)
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


class _Job(NamedTuple):
    """The checked settings of a :func:`segment_file` call, shared by each page's job."""

    params: dict[str, Any]
    names: tuple[str, ...]
    force: bool
    max_pixels: int | None
    stretch: bool
    nodata: Any
    shared: Any
    overlay_color: tuple[int, int, int]
    strip: bool
    keep_gps: bool
    edges: bool
    classes: bool
    classes_in: str | os.PathLike[str] | None
    seed: Seed
    input_name: str | os.PathLike[str] | None
    intent: Intent
    stretch_clip: float
    curve: tuple[str, float] = ("linear", DEFAULT_SOFTENING)
    class_order: str = "kmeans"
    fixed: tuple[float, float] | None = None


def _segment_page(job: _Job, input: str | os.PathLike[str], outdir: str | os.PathLike[str],
                  folder: Path, page: int | None = None) -> dict[str, Any]:
    """Segment ``input`` (its ``page``, from 1, when given) into ``folder`` (``outdir`` as
    given): :func:`segment_file`'s job but its ``seconds``. Prior validation is assumed.
    Each page starts from the seed given (a Generator of its own of an int), so that a
    stack's page gets the regions it gets segmented alone."""
    params = {**job.params, "seed": check_seed(job.seed)}
    names, force, classes = job.names, job.force, job.classes
    earlier = _earlier_record(folder)
    name = input if job.input_name is None else job.input_name
    input_path = _input_path(input, folder) if job.input_name is None else None
    if not force:
        _refuse_another_inputs_folder(folder, name, input, job.input_name is None, earlier)
    with _output_folder(folder, (WIDE_LABELS_FILE, *names)):
        paths = _prepare_outputs(Path(input), folder, force, names)
        loaded = load_image(input, max_pixels=job.max_pixels, stretch=job.stretch,
                            dark_advice=DARK_ADVICE, nodata=job.nodata, intent=job.intent,
                            page=page, stretch_clip=job.stretch_clip,
                            stretch_curve=job.curve[0], stretch_softening=softening_of(*job.curve),
                            stretch_range=job.fixed)
        if (job.nodata == "tag" and loaded.format == "TIFF" and loaded.nodata is None
                and loaded.alpha is None):  # a TIFF that a GDAL_NODATA tag could name it in
            _warn_if_zero_border(input, loaded.rgb, job, page)
        note_profile_converted(loaded.source_profile, job.intent, folder.name)
        if loaded.geo_tags is not None and not job.strip:
            _note_geo_tags_left_out(folder.name)
        converted = profile_fields(loaded.source_profile)
        if page is None:
            _warn_if_animated(input, loaded.n_frames, loaded.format)
        result = segment_pixels(loaded.rgb, loaded.alpha, **params,
                                stretch_range=loaded.stretch_range, classes_in=job.shared,
                                stretch_values=loaded.stretch_values,
                                class_order=job.class_order)
        dpi, exif = loaded.dpi, kept_exif(loaded.exif, job.strip, job.keep_gps)
        pixel_size = _pixel_size_record(loaded.pixel_size)
        nodata = nodata_record(loaded.nodata)  # the value used
        shown = _regions.shown_alpha(loaded.alpha)
        stretched = _stretch_record(job.stretch, loaded.stretch_range, job.stretch_clip,
                                    job.curve, job.fixed)
        of_page = {} if page is None else {"page": page, "input_pages": loaded.n_frames}
        del loaded  # the result holds a copy of the pixels: one is enough from here on
        # before the edge map: their distance map, 12 bytes a pixel, is let go first
        values = stretched.get("stretch_range")  # the input's, read as 0 and 255
        stats = {"cluster_stats": result.cluster_stats(),
                 "region_stats_units": _stats_units(values, pixel_size),
                 "region_stats": result.region_stats(
                     pixel_size=pixel_size.get("pixel_size_um"))}
        levels = _edge_levels(boundary_map(result.image, weights=params["weights"],
                                           max_pixels=None)
                              ) if job.edges else None
        if result.n_regions > MAX_PNG_LABEL:
            names, paths = _wide_labels(names, paths, Path(input), force)
            warn_caller(f"{result.n_regions} regions, more than labels.png can number "
                        f"({MAX_PNG_LABEL}): their labels are in {WIDE_LABELS_FILE} (32-bit) "
                        "instead, the other outputs as usual", WideLabelsWarning)
        h, w = result.labels.shape
        work_h, work_w = working_shape((h, w), params["working_size"])
        classes_in = job.classes_in
        record = {"input": str(name), "outdir": str(outdir), "width": w, "height": h,
                  "working_width": work_w, "working_height": work_h,
                  "n_clusters": params["n_clusters"],
                  "clusters_used": _clusters_used(params["n_clusters"], result),
                  "regions": params["regions"], "n_regions": result.n_regions,
                  "min_region": result.min_region, **_share_given(params["min_region"]),
                  "weights": dict(result.weights),
                  "space": params["space"], "seed": recorded_seed(job.seed),
                  "outputs": list(names), **stretched, **pixel_size,
                  **_given("superpixels", params["superpixels"]),
                  **_given("smooth", params["smooth"]),
                  **_given("working_size", params["working_size"]),
                  **_switches(job.strip, job.keep_gps),
                  **_given("classes_in", None if classes_in is None else str(classes_in)),
                  **_given("class_order", None if job.class_order == "kmeans"
                           else job.class_order),
                  **_given("intent", None if job.intent == DEFAULT_INTENT else job.intent),
                  **converted, **of_page, **_given("nodata", nodata)}
        _write_outputs(paths, result, record, stats, levels, input_path, job.overlay_color,
                       dpi, alpha=shown, exif=exif, replace=force, classes=classes,
                       stale=(lambda: _stale_outputs(folder, input, names)) if force else None)
    return record


#: How the folder of each page of a stack is named (:func:`page_folder`).
PAGE_FOLDER = "page-{:03d}"


def page_folder(page: int) -> str:
    """The name of the folder :func:`segment_file` writes ``page`` (from 1) of a stack into.

    >>> page_folder(1), page_folder(1234)
    ('page-001', 'page-1234')
    """
    return PAGE_FOLDER.format(page)


def _segment_stack(job: _Job, input: str | os.PathLike[str], outdir: str | os.PathLike[str],
                   folder: Path, pages: int) -> dict[str, Any]:
    """Segment each of the ``pages`` of ``input`` into its own folder in ``folder``
    (:func:`page_folder`), each fitted on its own, then write the stack's
    ``segments.json`` (:func:`_stack_record`), last. Prior validation is assumed."""
    name = input if job.input_name is None else job.input_name
    if not job.force:
        _refuse_another_inputs_folder(folder, name, input, job.input_name is None,
                                      _earlier_record(folder))
    with _output_folder(folder, ("segments.json",)):
        path = check_output_path(folder / "segments.json", inputs=(Path(input),),
                                 force=job.force)
        records = [_segment_page(job, input, os.path.join(outdir, page_folder(page)),
                                 folder / page_folder(page), page)
                   for page in range(1, pages + 1)]
        record = _stack_record(name, outdir, records)
        input_path = _input_path(input, folder) if job.input_name is None else None
        text = json.dumps(printable_data(dict(record, input_path=input_path)), indent=1)
        write_together([(path, (text + "\n").encode("utf-8"))], replace=job.force)
    return record


def _stack_record(name: str | os.PathLike[str], outdir: str | os.PathLike[str],
                  records: list[dict[str, Any]]) -> dict[str, Any]:
    """The record of a stack segmented page by page: the first page's settings and size,
    ``pages``, ``n_regions`` (of all pages), ``clusters_used`` (the most a page used),
    ``page_regions`` (each page's) and ``outputs`` (every file written, by its path in
    the stack's folder, ``page-001/labels.png``, ..., ``segments.json`` last, as a batch
    checks a folder output whole); each page's ``stretch_range`` is in its own record
    alone."""
    first = records[0]
    used = [r["clusters_used"] for r in records]
    written = [f"{page_folder(r['page'])}/{name}" for r in records for name in r["outputs"]]
    settings = {key: value for key, value in first.items()
                if key not in ("input", "outdir", "outputs", "page", "input_pages",
                               "stretch_range")}
    return {"input": str(name), "outdir": str(outdir), **settings,
            "n_regions": sum(r["n_regions"] for r in records),
            "clusters_used": None if used[0] is None else max(used),
            "outputs": [*written, "segments.json"], "pages": len(records),
            "page_regions": [r["n_regions"] for r in records]}


#: The most regions ``labels.png``, 16-bit, numbers; a segmentation of more has its labels
#: written to :data:`WIDE_LABELS_FILE` instead (:func:`_wide_labels`).
MAX_PNG_LABEL = 65535


def _wide_labels(names: tuple[str, ...], paths: dict[str, Path], input: Path,
                 force: bool) -> tuple[tuple[str, ...], dict[str, Path]]:
    """``names`` and ``paths`` with :data:`WIDE_LABELS_FILE` in place of ``labels.png``,
    its path checked as :func:`_prepare_outputs` checks the others (not the input, not
    there unless ``force``). Prior validation is assumed."""
    folder = paths[OUTPUT_FILES[0]].parent
    wide = check_output_path(folder / WIDE_LABELS_FILE, inputs=(input,), force=force)
    swapped = tuple(WIDE_LABELS_FILE if name == OUTPUT_FILES[0] else name for name in names)
    return swapped, {(WIDE_LABELS_FILE if name == OUTPUT_FILES[0] else name): path
                     for name, path in {**paths, OUTPUT_FILES[0]: wide}.items()}

#: The units of ``mean_input``, written with ``--stretch`` beside the others.
INPUT_MEAN_UNITS = ("the input's own values [r, g, b] (grey: three alike): the mean of the "
                    "region's (or cluster's) visible pixels' values before the stretch, "
                    "whatever its curve")
#: The units of ``std_input``, ``min_input`` and ``max_input``, written with ``--stretch``.
INPUT_SPREAD_UNITS = MappingProxyType({
    f"{name}_input": (f"the input's own values [r, g, b] (grey: [value]): the {what} of the "
                      "region's (or cluster's) visible pixels' values before the stretch")
    for name, what in (("std", "standard deviation (ddof=0)"), ("min", "smallest"),
                       ("max", "largest"))})


def _warn_if_zero_border(input: str | os.PathLike[str], rgb: np.ndarray, job: _Job,
                         page: int | None) -> None:
    """Say once that the pixels of ``input``, a TIFF (its ``page``), of 0 in every band look
    like a no-data border (a rotated scene's corners) that no value names (no ``nodata`` given,
    no GDAL_NODATA tag), and to give ``nodata=0``: they are segmented as dark pixels,
    their own class or merged into a dark one. Said when more than
    :data:`~quantize.io.nodata.ZERO_BORDER_SHARE` of the pixels are such pixels in pieces
    that reach the image's edge, and the pixels beside them are no near-black fringe: as
    read again with ``nodata=0`` and stretched over the rest, their median is at least
    :data:`_DATA_BESIDE` of 255 (the black background of ``skimage.data.astronaut()``, 10 %
    of it, fades through levels 1..5, and is not said). ``rgb``, as read (scaled to 8 bits
    or stretched: its 0 in every channel holds every pixel of 0), picks the images to read
    again. The result is not changed."""
    from scipy import ndimage

    from .io.nodata import ZERO_BORDER_SHARE, edge_reached

    total = rgb.shape[0] * rgb.shape[1]
    edges = (rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1])
    if not any((edge == 0).all(axis=1).any() for edge in edges):  # a photo's, mostly
        return
    if edge_reached((rgb == 0).all(axis=2)) <= ZERO_BORDER_SHARE * total:
        return
    try:
        with warnings_held():  # its own warnings were given as it was read
            again = load_image(input, max_pixels=job.max_pixels, nodata=0, stretch=True,
                               intent=job.intent, page=page)
    except (QuantizeError, OSError):
        return
    hidden = None if again.alpha is None else again.alpha == 0
    n = 0 if hidden is None else edge_reached(hidden)
    if n <= ZERO_BORDER_SHARE * total:
        return
    beside = ndimage.binary_dilation(hidden) & ~hidden
    if not beside.any() or np.median(again.rgb[beside].max(axis=1)) < _DATA_BESIDE:
        return
    warn_caller(f"{n} of its {total} pixels ({100 * n / total:.1f} %) are 0 in every band and "
                "reach its edge, as a no-data border does (a rotated scene's corners), but no "
                "no-data value is set (no GDAL_NODATA tag): they are segmented as dark "
                "pixels; if they are no data, give nodata=0", NoDataWarning)


#: The median level (of 255, the rest of the image stretched) of the pixels beside an
#: image's pixels of 0 above which those are taken for a no-data border
#: (:func:`_warn_if_zero_border`), not a photo's black fading into its dark pixels.
_DATA_BESIDE = 16


def _stretch_record(stretch: bool, stretch_range: tuple[float, float] | None,
                    clip: float = 0.0, curve: tuple[str, float] = ("linear", DEFAULT_SOFTENING),
                    fixed: tuple[float, float] | None = None) -> dict[str, Any]:
    """The record's ``stretch`` (true, with ``stretch`` only), ``stretch_clip`` (above 0
    only), ``stretch_curve`` and ``stretch_softening``
    (:func:`~quantize.io.stretch.curve_record`), ``stretch_fixed``, a fixed range given
    (:func:`~quantize.io.stretch.range_record`), and ``stretch_range``, the input's values
    read as 0 and 255
    (:attr:`~quantize.io.LoadedImage.stretch_range`; null for an image of one value,
    which no stretch spreads)."""
    if not stretch:
        return {}
    return {"stretch": True, **({"stretch_clip": clip} if clip else {}), **curve_record(*curve),
            **range_record(fixed),
            "stretch_range": None if stretch_range is None else list(stretch_range)}


#: The units of ``area_um2`` and ``perimeter_um``, written beside the others when the input
#: states the size of its pixels (``pixel_size_um``).
PHYSICAL_UNITS = MappingProxyType({
    "area_um2": "square micrometres: area times a pixel's area (pixel_size_um)",
    "perimeter_um": "micrometres: perimeter (a count of pixels) times a pixel's side, the "
                    "square root of its area",
})


def _pixel_size_record(pixel_size: tuple[float, float] | None) -> dict[str, list[float]]:
    """The record's ``pixel_size_um``, the size ``[x, y]`` of a pixel in micrometres the
    input states (:attr:`~quantize.io.LoadedImage.pixel_size`) to 6 significant digits, or
    nothing when it states none."""
    if pixel_size is None:
        return {}
    return {"pixel_size_um": [float(f"{v:.6g}") for v in pixel_size]}


def _stats_units(stretch_range: list[float] | None,
                 pixel_size: dict[str, list[float]] | None = None) -> dict[str, str]:
    """:data:`STATS_UNITS`, with ``mean_input``'s when the image was stretched and
    :data:`PHYSICAL_UNITS` when ``pixel_size`` (:func:`_pixel_size_record`) has one."""
    more = {} if stretch_range is None else {"mean_input": INPUT_MEAN_UNITS,
                                             **INPUT_SPREAD_UNITS}
    return {**STATS_UNITS, **more, **(PHYSICAL_UNITS if pixel_size else {})}


def _given(key: str, value: Any) -> dict[str, Any]:
    """``{key: value}`` for the record, or nothing when ``value`` is None (not given): the
    records of runs that could not give it lack it too."""
    return {} if value is None else {key: value}


def _switches(strip: bool, keep_gps: bool) -> dict[str, bool]:
    """The record's ``strip`` and ``keep_gps``, each only when true, as reduce's records
    them (the records and settings of earlier runs lack them)."""
    return {name: True for name, given in (("strip", strip), ("keep_gps", keep_gps)) if given}


def _share_given(min_region: int | str | None) -> dict[str, str]:
    """The record's ``min_region_share``: a ``min_region`` given as a share of the image
    (``"0.1%"``), as given, beside ``min_region``, the pixels it came to; nothing for one
    given in pixels or not at all, whose records stay as they were."""
    return {"min_region_share": min_region} if isinstance(min_region, str) else {}


def _earlier_record(folder: Path) -> dict[str, Any]:
    """The ``segments.json`` of an earlier run in ``folder``, or {} (none, unreadable, or
    not a regular file: opening a pipe waits for a writer forever).

    Its ``outputs`` is a list of names and its ``input`` and ``input_path`` strings, when
    present.
    """
    path = folder / "segments.json"
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict):
        return {}
    record: dict[str, Any] = {}
    if isinstance(document.get("outputs"), list):
        record["outputs"] = document["outputs"]
    for key in ("input", "input_path"):
        if isinstance(document.get(key), str):
            record[key] = document[key]
    return record


def output_names(edges: bool = False, classes: bool = False) -> tuple[str, ...]:
    """The files :func:`segment_file` writes, in writing order, ``segments.json`` last.

    >>> output_names(classes=True)[-2:]
    ('classes.png', 'segments.json')
    """
    return (OUTPUT_FILES[:-1] + ((EDGES_FILE,) if edges else ())
            + ((CLASSES_FILE,) if classes else ()) + OUTPUT_FILES[-1:])


#: The outputs a run writes only when asked (:func:`output_names`), or only of some images
#: (``labels.png`` or, of more than :data:`MAX_PNG_LABEL` regions, ``labels.tif``).
_OPTIONAL_FILES = (EDGES_FILE, CLASSES_FILE, OUTPUT_FILES[0], WIDE_LABELS_FILE)


def foreign_entries(folder: str | os.PathLike[str]) -> list[str]:
    """The names in ``folder`` that no segment run writes there, sorted: files and
    folders other than its outputs (:func:`output_names`, with ``edges.png``,
    ``classes.png`` and ``labels.tif``), hidden ones (a killed run's temporary files,
    ``.DS_Store``) left aside. Empty when ``folder`` is no folder that can be listed.

    >>> foreign_entries("no/such/folder")
    []
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    ours = {*output_names(edges=True, classes=True), WIDE_LABELS_FILE}
    return sorted(name for name in names if name not in ours and not name.startswith("."))


def _stale_outputs(folder: Path, input: str | os.PathLike[str],
                   names: tuple[str, ...]) -> list[Path]:
    """The ``edges.png``, ``classes.png``, ``labels.png`` and ``labels.tif`` in ``folder``
    that a run not writing them (not in ``names``) removes: only one the run whose
    ``segments.json`` is there wrote (it lists it; any other may be the user's own), and
    not the ``input`` itself. Asked under the folder's lock, as the outputs are put in
    place, so that one another run wrote meanwhile is seen."""
    listed = _earlier_record(folder).get("outputs", ())
    stale = [folder / name for name in _OPTIONAL_FILES if name not in names and name in listed]
    return [path for path in stale if path.is_file() and not same_file(path, input)]


def _refuse_another_inputs_folder(folder: Path, name: str | os.PathLike[str],
                                  input: str | os.PathLike[str], has_path: bool,
                                  earlier: dict[str, Any]) -> None:
    """Refuse, naming it, a folder that holds the segmentation of another file.

    ``photo.jpg`` and ``photo.png`` share the default folder ``photo.segments``:
    "output exists; use --force" would have the second replace the first's results.
    Files are told apart by ``name`` (the earlier run may have named its input from
    another working folder), then by the path its ``segments.json`` records
    (``a/photo.jpg`` and ``b/photo.jpg`` segmented into one ``-o`` folder); an earlier
    ``segments.json`` without one, or an input without one (``has_path`` false: a copy
    of a pipe), is told apart by name only.
    """
    other, other_path = earlier.get("input"), earlier.get("input_path")
    if other is None:
        return
    if Path(other).name != Path(name).name:  # named as the earlier run was given it
        raise OutputExistsError(f"holds the segmentation of {quoted(other)}; choose another "
                                "output folder, or use force=True to replace it", path=folder)
    if other_path is None or not has_path:
        return
    # Earlier versions recorded the full path; either form is read from the folder.
    other_full = os.path.normpath(os.path.join(printable(str(_resolved(folder))), other_path))
    if other_full != printable(str(_resolved(Path(input)))):  # a.jpg, b/a.jpg
        raise OutputExistsError(f"holds the segmentation of {quoted(other_full)}; choose another "
                                "output folder, or use force=True to replace it", path=folder)


def _input_path(input: str | os.PathLike[str], folder: Path) -> str:
    """``input``'s path relative to ``folder``, both with links resolved, as
    ``segments.json`` records it (``input_path``): a folder moved or copied with its
    input still names it, on any machine. Absolute when no relative path leads there
    (another drive on Windows). :func:`~quantize.io.printable`, so that a name's bytes
    compare alike."""
    target = _resolved(Path(input))
    try:
        return printable(os.path.relpath(target, _resolved(folder)))
    except ValueError:
        return printable(str(target))


def _resolved(path: Path) -> Path:
    """``path`` absolute, links resolved (as given, made absolute, in a loop of links)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _clusters_used(n_clusters: int | None, result: SegmentResult) -> int | None:
    """The k-means clusters ``result``'s regions belong to: fewer than asked when the image
    has fewer distinct feature vectors, when colour and texture cannot tell some clusters
    apart, or when the smoothing and the ``min_region`` merges leave some cluster no
    region (``-k 5 --min-region`` the whole image: one)."""
    return None if n_clusters is None else int(np.unique(result.clusters).size)


def check_stream_outputs(outdir: str | os.PathLike[str], input_name: str | os.PathLike[str],
                         edges: bool = False, classes: bool = False) -> None:
    """Refuse, before a stream (stdin, a pipe) is read, an output folder that
    :func:`segment_file` without ``force`` would refuse once the whole stream had come:
    one holding the segmentation of another input, or any of the outputs.

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`segment_file` raises them, naming the folder or the output.
    """
    folder = check_path(outdir, "outdir")
    if not folder.is_dir():
        return
    _refuse_another_inputs_folder(folder, input_name, input_name, False, _earlier_record(folder))
    for name in output_names(edges, classes):
        check_output_path(folder / name, force=False)


def check_segment_options(*, n_clusters: int | None = None, regions: int | None = None,
                          weights: Mapping[str, float] | None = None, space: Space = "lab",
                          min_region: int | str | None = None, seed: Seed = 0,
                          force: bool = False, max_pixels: int | None = DEFAULT_MAX_PIXELS,
                          edges: bool = False,
                          overlay_color: tuple[int, int, int] | str = OVERLAY_COLOR,
                          stretch: bool = False, superpixels: int | None = None,
                          smooth: int | None = None, working_size: int | str | None = None,
                          classes: bool = False, strip: bool = False,
                          keep_gps: bool = False, nodata: NoData = "tag",
                          classes_in: str | os.PathLike[str] | None = None,
                          intent: Intent = DEFAULT_INTENT,
                          stretch_clip: float = 0.0, stretch_curve: StretchCurve = "linear",
                          stretch_softening: float | None = None,
                          stretch_range: tuple[float, float] | None = None,
                          class_order: ClassOrder = "kmeans") -> dict[str, Any]:
    """Validate the keyword options of :func:`segment_file` and fill in their defaults.

    For drivers (batch runs) that check options once, before any file is read,
    and then call ``segment_file(input, outdir, **options)`` for every file.
    The seed is returned as given (an int stays an int), so that each call
    starts from the same state. ``overlay_color`` is returned only when it is not
    :data:`OVERLAY_COLOR`: the settings a batch recorded before it could be chosen, in
    red, have no such entry, and still match a run that leaves it out; so are ``stretch``,
    ``strip`` and ``keep_gps``, only when True, ``stretch_clip``, only when above 0 (with
    ``stretch``, which it implies), ``stretch_curve``, only when not ``"linear"``, and
    ``stretch_softening``, only of ``"asinh"`` and ``"log"`` (with ``stretch``, which any
    curve but ``"linear"`` implies), ``stretch_range``, only when given (a list),
    ``nodata``, only when not ``"tag"`` (:func:`_nodata_given`), ``intent`` and
    ``class_order``, only when not the default. ``classes`` is
    returned always (False left out of a batch's
    settings as earlier versions lack it: :mod:`quantize.batch.manifest`).
    ``classes_in`` is read once here (a file that is not a classes file is named before any
    image is read), its ``n_clusters``, weights and space returned as the options', and
    itself returned only when given.

    Raises
    ------
    TypeError
        For an unknown option name or a value of the wrong type.
    ValueError
        For a bad value, as :func:`quantize.segment.segment` would.

    Examples
    --------
    >>> opts = check_segment_options(regions=5, seed=3)
    >>> opts["regions"], opts["seed"], opts["edges"], opts["space"]
    (5, 3, False, 'lab')
    >>> "overlay_color" in opts, check_segment_options(overlay_color=(0, 255, 255))["overlay_color"]
    (False, (0, 255, 255))
    """
    edges = check_bool(edges, "edges")
    classes = check_bool(classes, "classes")
    color = check_color(overlay_color, "overlay_color")
    shared = {}
    order = check_class_order(class_order, n_clusters if classes_in is None else 1)
    if classes_in is not None:
        saved, n_clusters, weights, space, _ = classes_settings(
            check_path(classes_in, "classes_in"), n_clusters, regions, weights or None, space,
            DEFAULT_TEXTURE_SCALES)
        if order == "lightness":
            classes_by_lightness(saved, f"classes file {os.fspath(classes_in)!r}")
        shared = {"classes_in": classes_in}
    shared.update({} if order == "kmeans" else {"class_order": order})
    params = _check_job_params(n_clusters, regions, weights, space, min_region, seed, edges,
                               superpixels, smooth, working_size)
    max_pixels = check_max_pixels(max_pixels)
    drawn = {} if color == OVERLAY_COLOR else {"overlay_color": color}
    stretched = stretch_given(check_stretch(stretch, stretch_clip, stretch_curve,
                                            stretch_softening, stretch_range))
    switches = _switches(check_bool(strip, "strip"), check_bool(keep_gps, "keep_gps"))
    intent = check_intent(intent)
    shared = {**shared, **({} if intent == DEFAULT_INTENT else {"intent": intent})}
    return {**params, "seed": seed, "force": check_bool(force, "force"),
            "max_pixels": max_pixels, "edges": edges, "classes": classes, **drawn,
            **stretched, **switches, **_nodata_given(nodata), **shared}


def _nodata_given(nodata: Any) -> dict[str, Any]:
    """The ``nodata`` entry of :func:`check_segment_options`
    (:func:`~quantize.io.nodata_setting`): none at ``"tag"``, the value when not given
    (the settings a batch recorded before it was added lack it).

    >>> _nodata_given("tag"), _nodata_given(0), _nodata_given(None)
    ({}, {'nodata': [0.0]}, {'nodata': None})
    """
    setting = nodata_setting(nodata)
    return {} if setting == "tag" else {"nodata": setting}


def _note_geo_tags_left_out(named: str) -> None:
    """Say (:class:`~quantize.errors.GeoTagsLeftOutWarning`) that the outputs in the folder
    ``named`` leave out the input's georeferencing (its GeoTIFF and GDAL tags): they are
    PNGs, which hold no such tags. A GIS reader places ``labels.png`` and the other maps
    with the input's own tags (``gdal_translate`` or ``gdalcopyproj.py`` from it), or
    ``reduce -o out.tif`` keeps them in a picture of the same pixels.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     _note_geo_tags_left_out("scene")
    >>> print(said[0].message)
    scene: the input's georeferencing (GeoTIFF and GDAL tags) is left out of its outputs, \
PNGs, which hold none
    """
    warn_caller(f"{named}: the input's georeferencing (GeoTIFF and GDAL tags) is left out of "
                "its outputs, PNGs, which hold none", GeoTagsLeftOutWarning)


def _warn_if_animated(path: str | os.PathLike[str], n_frames: int, fmt: str | None) -> None:
    """Say in one warning that only the first frame of an animation (or page) is segmented."""
    if n_frames <= 1:
        return
    from .animation import FirstFrameWarning, first_frame_note

    warn_caller(first_frame_note(path, n_frames, fmt), FirstFrameWarning)


def _check_job_params(n_clusters, regions, weights, space, min_region, seed,
                      edges=False, superpixels=None, smooth=None,
                      working_size=None) -> dict[str, Any]:
    """Validate the segmentation parameters before any file is read."""
    n_clusters, regions = check_cut(n_clusters, regions)
    w = check_weights(weights)
    if n_clusters is None or edges is True:  # edges.png comes from the hierarchy
        check_hierarchy_weights(w, edges=edges is True)
    return {
        "n_clusters": n_clusters,
        "regions": regions,
        "weights": w,
        "space": check_space(space, n_clusters),
        "min_region": check_min_region(min_region),
        "seed": check_seed(seed),
        "superpixels": check_superpixels(superpixels, n_clusters),
        "smooth": check_smooth(smooth, n_clusters),
        "working_size": check_working_size(working_size, n_clusters),
    }


@contextlib.contextmanager
def _output_folder(outdir: Path, names: tuple[str, ...]) -> Iterator[None]:
    """Create ``outdir`` for the block; on any failure inside, remove the outputs the job
    added and the folders it created.

    The folders are ``outdir`` and those of its parents that did not exist on entry
    (:func:`~quantize.io.folder_made`); a created folder that still holds anything else
    is kept. Of an ``outdir`` the job created, every file named ``names`` is removed
    (``segments.json``, the last, first: a second interrupt leaves no record of files gone),
    except when the job failed because another job's outputs are there
    (:class:`~quantize.errors.OutputExistsError`): those are the other job's. In a folder
    that existed, a failure leaves the outputs as they were:
    :func:`~quantize.io.write_together` puts back what it had replaced and removes what it
    had added, also when interrupted.

    Raises
    ------
    OutputError
        If ``outdir`` is a file or a link that leads nowhere (or lies under one), or a
        folder cannot be created, naming it.
    """
    if outdir.exists() and not outdir.is_dir():
        raise OutputError("exists and is not a directory, expected an "
                          "output folder", path=outdir)
    link = _link_to_nowhere(outdir)
    if link is not None:  # named as such, not as mkdir's bare "File exists"
        where = "is" if link == outdir else f"lies under {quoted(link)}, which is"
        raise OutputError(f"{where} {link_to_nothing_words(link)}; expected an output "
                          "folder", path=outdir)
    with contextlib.ExitStack() as stack:
        try:
            created = stack.enter_context(folder_made(outdir))
        except OSError as exc:  # named as check_output_path names a folder: the one at fault
            raise OutputError(f"output folder {exc.filename or outdir} cannot be created "
                              f"({exc.strerror or exc})", path=outdir,
                              os_errno=exc.errno) from None
        try:
            yield
        except BaseException as exc:
            if created and not isinstance(exc, OutputExistsError):
                for name in reversed(names):  # segments.json first: it vouches for the rest
                    with contextlib.suppress(OSError):
                        (outdir / name).unlink(missing_ok=True)
            raise


def _link_to_nowhere(folder: Path) -> Path | None:
    """The symbolic link that leads nowhere among ``folder`` and its parents that do not
    exist, or None: no folder can be made through it."""
    for path in (folder, *folder.parents):
        if path.exists():
            return None
        if path.is_symlink():
            return path
    return None


def _prepare_outputs(input: Path, outdir: Path, force: bool,
                     names: tuple[str, ...]) -> dict[str, Path]:
    """Check every output path in ``outdir`` (made) before any work is done."""
    # the temporary files a killed run left of the files a segment run writes, and only those
    remove_stale_parts(outdir / name for name in (*OUTPUT_FILES, EDGES_FILE, WIDE_LABELS_FILE))
    paths = {name: check_output_path(outdir / name, inputs=(input,), force=force)
             for name in names}
    if shared := shared_landing(paths.values()):
        two, one = (names[i] for i in next(iter(shared.items())))
        raise SharedOutputError(f"{two} and {one} are one file through a link, where one "
                                "would replace the other; remove the link", path=outdir)
    return paths


# _edge_levels converts a band of about this many pixels at a time.
_LEVEL_BAND_PIXELS = 1 << 18


def _edge_levels(strength: np.ndarray) -> np.ndarray:
    """``edges.png``'s 16-bit levels ``(H, W)`` of a border strength map in [0, 1], made a
    band of about ``_LEVEL_BAND_PIXELS`` pixels at a time (no full-size float temporaries)."""
    levels = np.empty(strength.shape, dtype=np.uint16)
    for band in row_bands(*strength.shape, _LEVEL_BAND_PIXELS):
        levels[band] = np.rint(strength[band] * 65535.0).astype(np.uint16)
    return levels


def _write_outputs(paths: dict[str, Path], result: SegmentResult,
                   record: dict[str, Any], stats: dict[str, Any], edge_levels: np.ndarray | None,
                   input_path: str | None, overlay_color: tuple[int, int, int],
                   dpi: tuple[float, float] | None, *, alpha: np.ndarray | None = None,
                   exif: bytes | None = None, replace: bool,
                   stale: Callable[[], list[Path]] | None = None,
                   classes: bool = False) -> None:
    """Encode each output and write it to its temporary file before the next is made,
    then put them all in place together, ``segments.json`` last.

    ``segments.json`` holds ``record``, the input's path relative to the folder
    (``input_path``, :func:`_input_path`, by which a later run tells its own folder from
    another file's; None for a copy of a pipe) and the region and cluster statistics
    ``stats``.
    The labels go to ``labels.png``, or to ``labels.tif`` when ``paths`` names it
    (:func:`_wide_labels`). ``edge_levels`` is ``edges.png`` (:func:`_edge_levels`), when
    it is written, and with
    ``classes`` ``classes.png`` is (:func:`class_levels`);
    ``overlay.png`` draws the borders in ``overlay_color``. ``segmented.png`` and
    ``overlay.png`` are RGBA of ``alpha``, the input's, when it has some pixel not opaque
    (:func:`~quantize.reconstruct.regions.shown_alpha`): a transparent area stays
    transparent, not drawn in the colour it was segmented as
    (:func:`~quantize.segment.fill_transparent`), but for the borders of ``overlay.png``,
    drawn opaque (:func:`~quantize.reconstruct.regions.border_alpha`). Every image keeps
    the input's resolution ``dpi`` (:attr:`~quantize.io.LoadedImage.dpi`), as they have its
    pixels; ``segmented.png`` and ``overlay.png``, pictures of the photo, keep the EXIF
    block ``exif`` (:func:`~quantize.io.kept_exif`'s) in an eXIf chunk, the maps of
    numbers none. Each
    image is made just before it is encoded, and it and its encoded bytes are let go
    once they are in the temporary file, so that one full-size picture and one encoded
    file are held at a time, not all of them.

    Nothing is replaced before everything is encoded and written
    (:func:`~quantize.io.write_together`): a failing encoder, a full disk, a
    rename the system refuses or Ctrl-C while they are put in place leaves the folder
    as it was. The ``segments.json`` of an earlier run (one ``force`` replaces) is
    removed before the first output is put in place, so a job killed between them
    never leaves it vouching for new images: the folder then shows an unfinished job.
    They are put in place under a lock on the folder, so two jobs writing into one
    folder at once leave one's outputs or the other's, not a mix;
    without ``replace`` (``force``), an output another job put in place after this
    one checked the folder is refused, and this job's outputs are not written.
    ``stale``, asked under that lock, names the files of an earlier run this one does
    not write, removed with its ``segments.json`` (:func:`_stale_outputs`).
    """
    boundaries = result.boundaries()
    colors = result.mean_colors()
    flats = result.flat_colors()
    wide = WIDE_LABELS_FILE in paths  # more regions than 16 bits number
    images = {
        WIDE_LABELS_FILE if wide else "labels.png": lambda: Image.fromarray(
            result.labels.astype(np.int32 if wide else np.uint16)),
        "segmented.png": lambda: _rgb_picture(result.labels.shape,
                                              lambda rows: colors[result.labels[rows]], alpha),
        "boundaries.png": lambda: Image.fromarray(boundaries),  # mode "1" already
        "overlay.png": lambda: _rgb_picture(result.labels.shape, lambda rows: (
            _regions.draw_overlay(result.image[rows], boundaries[rows], overlay_color)),
            _regions.border_alpha(alpha, boundaries)),
        "flats.png": lambda: _rgb_picture(result.labels.shape,
                                          lambda rows: flats[result.labels[rows]], alpha),
    }
    if edge_levels is not None:
        images[EDGES_FILE] = lambda: Image.fromarray(edge_levels)
    if classes:
        images[CLASSES_FILE] = lambda: Image.fromarray(class_levels(result))

    def encoded() -> Iterator[tuple[Path, bytes | memoryview]]:
        for name, make in images.items():  # each picture let go before the next is made
            yield paths[name], (_tiff_bytes(make(), dpi) if name == WIDE_LABELS_FILE else
                                _png_bytes(make(), dpi, exif if name in EXIF_FILES else None))
        yield paths[REGIONS_FILE], regions_table(stats["region_stats"]).encode("ascii")
        document = dict(record, input_path=input_path, **stats)
        text = json.dumps(printable_data(document), indent=1)  # non-UTF-8 bytes as \xXX
        yield paths["segments.json"], (text + "\n").encode("utf-8")

    write_together(encoded(), removed_first=lambda: [
        paths["segments.json"], *(stale() if stale is not None else ())], replace=replace)


#: The columns ``regions.csv`` flattens a list field of ``region_stats`` into, as
#: ``field_part``.
_TABLE_PARTS = MappingProxyType({
    "bbox": ("row_min", "col_min", "row_max", "col_max"),
    "centroid": ("row", "col"),
    "inner_point": ("row", "col"),
    "mean_color": ("r", "g", "b"),
    "mean_input": ("r", "g", "b"),
    "segmented_color": ("r", "g", "b"),
})
#: The fields of ``region_stats`` of one value a channel: one column of a grey input's
#: (``std_input``), three of a colour one's (``std_input_r``, ...).
_CHANNEL_FIELDS = ("std_input", "min_input", "max_input")


def regions_table(records: list[dict[str, Any]]) -> str:
    r"""``regions.csv``: one row per record of ``region_stats`` (at least one), its fields
    as columns in their order, a list flattened into a column per part
    (``bbox_row_min``, ..., ``mean_color_r``, ...; empty cells for None, a transparent
    region's colours), and ``transparent`` last, ``True`` or ``False`` (written as the
    batch report writes a boolean); rows end in ``"\r\n"``
    (RFC 4180).

    >>> record = {"label": 1, "cluster": 0, "area": 2, "perimeter": 2,
    ...           "bbox": [0, 0, 1, 2], "centroid": [0.0, 0.5], "inner_point": [0, 0],
    ...           "mean_color": [9.0, 0.0, 0.5], "segmented_color": [9, 0, 0]}
    >>> header, row = regions_table([record]).splitlines()
    >>> header.split(",")[3:9]
    ['perimeter', 'bbox_row_min', 'bbox_col_min', 'bbox_row_max', 'bbox_col_max', 'centroid_row']
    >>> row
    '1,0,2,2,0,0,1,2,0.0,0.5,0,0,9.0,0.0,0.5,9,0,0,False'
    """
    import csv

    fields = [key for key in records[0] if key != "transparent"]
    parts = {**_TABLE_PARTS, **{key: _channel_parts(records, key) for key in _CHANNEL_FIELDS}}
    header = [f"{key}_{part}" for key in fields for part in parts.get(key, ("",))]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name.rstrip("_") for name in header] + ["transparent"])
    for record in records:
        row = [v for key in fields for v in _table_cells(key, record[key], parts)]
        writer.writerow(row + [bool(record.get("transparent", False))])
    return buffer.getvalue()


def _table_cells(key: str, value: Any,
                 parts: Mapping[str, tuple[str, ...]] = _TABLE_PARTS) -> list[Any]:
    """The cells of ``regions.csv`` of the field ``key`` of a region's record: a list
    field's parts (``parts``, :data:`_TABLE_PARTS` and those of :func:`_channel_parts`),
    empty of None; another field's value.

    >>> _table_cells("mean_color", [9.0, 0.0, 0.5]), _table_cells("mean_input", None)
    ([9.0, 0.0, 0.5], ['', '', ''])
    """
    if key not in parts:
        return [value]
    return [""] * len(parts[key]) if value is None else list(value)


def _channel_parts(records: list[dict[str, Any]], key: str) -> tuple[str, ...]:
    """The column parts of the field ``key`` of :data:`_CHANNEL_FIELDS` in ``records``:
    ``("",)``, one column named ``key``, of a grey input's one value; ``("r", "g", "b")`` of
    a colour one's three.

    >>> _channel_parts([{"std_input": None}, {"std_input": [2.5]}], "std_input")
    ('',)
    """
    width = next((len(r[key]) for r in records if r.get(key) is not None), 1)
    return ("",) if width == 1 else ("r", "g", "b")


def class_levels(result: SegmentResult) -> np.ndarray:
    """``classes.png``'s levels: :meth:`SegmentResult.cluster_map`, ``(H, W)`` uint8 when
    ``result`` has up to 256 clusters (``centers``), else uint16.

    >>> result = segment_pixels(np.zeros((1, 2, 3), np.uint8), None, regions=1)
    >>> class_levels(result).tolist(), class_levels(result).dtype.name
    ([[0, 0]], 'uint8')
    """
    dtype = np.uint8 if result.centers.shape[0] <= 256 else np.uint16
    return result.cluster_map().astype(dtype)


def _rgb_picture(shape: tuple[int, int], band: Callable[[slice], np.ndarray],
                 alpha: np.ndarray | None = None) -> Image.Image:
    """An RGB Pillow image of ``shape`` (H, W), filled a band of about
    ``_LEVEL_BAND_PIXELS`` pixels at a time from ``band(rows)``, ``(rows, W, 3)`` uint8:
    Pillow copies an RGB array (it keeps 4 bytes a pixel), so a full-size array would
    be held beside its copy. RGBA, of ``alpha`` (``(H, W)`` uint8), when given."""
    h, w = shape
    picture = Image.new("RGB" if alpha is None else "RGBA", (w, h))
    for rows in row_bands(h, w, _LEVEL_BAND_PIXELS):
        part = band(rows)
        if alpha is not None:
            part = np.dstack([part, alpha[rows]])
        picture.paste(Image.fromarray(part), (0, rows.start))
    return picture


def _png_bytes(image: Image.Image, dpi: tuple[float, float] | None,
               exif: bytes | None = None) -> memoryview:
    """``image`` encoded as PNG, with a pHYs chunk of ``dpi`` when a PNG holds it
    (:func:`~quantize.io.held_dpi`) and an eXIf chunk of ``exif`` before its image data,
    as reduce's RGB PNG holds it (Pillow's ``exif``): a view of the encoder's buffer, not
    a copy of it."""
    held = held_dpi(dpi, "PNG")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **({} if held is None else {"dpi": held}),
               **({} if exif is None else {"exif": exif}))
    return buffer.getbuffer()


def _tiff_bytes(image: Image.Image, dpi: tuple[float, float] | None) -> memoryview:
    """``image`` (the 32-bit labels of :data:`WIDE_LABELS_FILE`) encoded as a
    deflate-compressed TIFF, with its resolution ``dpi`` when a TIFF holds it."""
    held = held_dpi(dpi, "TIFF")
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF", compression="tiff_adobe_deflate",
               **({} if held is None else {"dpi": held}))
    return buffer.getbuffer()
