"""``quantize segment``: segment one photo into regions.

Parses the options, calls :func:`quantize.segment_file.segment_file`, prints one
line (or one JSON object with ``--json``) and sets the exit code: 0 done, 1 the
input could not be read or an output not written, 2 usage error, 15 an output
exists (use ``--force``), 75 a running ``quantize batch`` writes into the output folder
(a later run may succeed), 129 stopped by SIGHUP (a terminal closed), 130 interrupted
(Ctrl-C), 143 stopped by SIGTERM.
"""

# Annotations are evaluated on import, not as strings: see quantize.cli.

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from .._validation import color_from_text
from ..errors import (
    ExitCode,
    GeoTagsLeftOutWarning,
    OutputError,
    ProfileConvertedWarning,
    QuantizeError,
    WideLabelsWarning,
)
from ..io import DEFAULT_MAX_PIXELS, check_name_length, check_nodata, check_output_folder
from ..io.profiles import DEFAULT_INTENT, check_intent
from ..names import folded_name, output_stem, printable_data, quoted, same_file
from .common import (
    USAGE_ERROR,
    Command,
    IntentOption,
    KeepGpsOption,
    NoDataOption,
    Scratch,
    SeedOption,
    SegmentMaxPixelsOption,
    StripOption,
    app,
    as_typed,
    choice_word,
    class_orders,
    click_errors,
    color_names,
    elsewhere_hint,
    fail,
    fail_interrupted,
    file_name,
    folder_hint,
    image_name,
    integer,
    is_stdin_file,
    is_stream,
    is_terminal,
    min_region_value,
    names_a_descriptor,
    nodata_given,
    note,
    number,
    number_pair,
    offering,
    path,
    printable_line,
    refuse_both,
    refuse_closed_stdout,
    refuse_image_named_folder,
    refuse_stdout_folder,
    refuse_stream_without_output,
    refuse_text_onto_files,
    say,
    segment_spaces,
    stage_stdin,
    stage_stream,
    stretch_curves,
    user_errors,
    warn,
    weight_names,
)

_EPILOG = """\b
Writes into the output folder (-o), segments.json last:
  labels.png      16-bit grey: the region 1..R of each pixel (labels.tif,
                  32-bit, in its place of more than 65535 regions, with a
                  note)
  segmented.png   each region in its mean colour
  boundaries.png  1-bit: the pixels whose right or lower neighbour is in
                  another region
  overlay.png     those borders on the photo, in red or --overlay-color
  flats.png       each region in a colour of its own (flats of line art)
  regions.csv     region_stats (below) as a table, one row per region, lists
                  as columns (bbox_row_min, ..., mean_color_r, ...; a grey
                  input's std_input, min_input, max_input one column each)
  edges.png       with --edges: border strength 0..1 as 0..65535
  classes.png     with --classes: the cluster 0..K-1 of each pixel (8-bit
                  grey up to 256 clusters, else 16-bit), as cluster_stats
                  numbers them (--class-order lightness: the darkest 0);
                  with -k, fully transparent pixels are the last
  segments.json   the --json record but seconds and output, plus input_path,
                  cluster_stats (per cluster: cluster, regions, area,
                  fraction of all pixels, with no-data or transparent
                  pixels valid_fraction of those that show, mean_color,
                  with --stretch mean_input, std_input, min_input,
                  max_input),
                  region_stats_units (the units below) and
                  region_stats, per region: label, cluster, area (pixels),
                  perimeter (its pixels with a 4-neighbour in another
                  region or on the image's edge),
                  bbox [row_min, col_min, row_max, col_max) (pixel
                  indices, maxima excluded), centroid [row, col] (mean
                  pixel index), inner_point [row, col] (the pixel index
                  farthest from its edge), mean_color [r, g, b] (sRGB
                  0..255, of the visible pixels), with --stretch
                  mean_input, std_input, min_input, max_input (the
                  input's own values, of the visible pixels; [v] of a
                  grey input, [r, g, b] else), segmented_color
                  [r, g, b] (integers, as segmented.png fills it),
                  area_um2 and perimeter_um (square micrometres and
                  micrometres, of a TIFF that states its pixels' size,
                  pixel_size_um) and, when none of its pixels is
                  visible, transparent

\b
By default regions come from a hierarchy of merges of superpixels, cut at the
default border strength; --regions N cuts it at N regions instead, -k K
clusters the pixels by k-means into at most K clusters (each may form several
regions; K at most {max_clusters}: use --regions N for many regions). Clusters
that colour and texture cannot tell apart are one: a plain area, or a smooth
sky, is not cut by position.

\b
Fully transparent pixels are segmented as one colour, the one farthest from
the visible colours (a warning says which), not by the colour stored in them;
translucent pixels by their stored colour. segmented.png and overlay.png keep
the input's alpha (overlay.png's borders drawn opaque). Of an animation, only
the first frame is segmented, with a warning. Of a TIFF of several pages of one
size (a z-stack), every page, each into page-001/, page-002/, ... (or --page N).

\b
Weights (-w NAME=VALUE, repeatable; unnamed groups keep their default):
  color      colour (CIELAB, or RGB with --space rgb)
  intensity  lightness alone
  xy         pixel position: larger values give more compact regions
  texture    local texture: grain, contrast and direction
With -k, a group's share of the distances k-means minimises is its weight,
so 1 means "as influential as colour" on any image; 0 switches a group off. In
the hierarchy, xy sets the superpixels' compactness and the other three weigh
the merge cost at their size, not only their ratios (doubling them all gives
more regions at the default cut; color, intensity and texture all 0 is refused
without -k, and with --edges, whose map comes from the hierarchy).
Defaults: {defaults}.

\b
Examples:
  quantize segment photo.jpg                        # -> photo.segments/
  quantize segment photo.jpg --regions 20 --edges   # 20 regions, edges.png
  quantize segment photo.jpg -k 5 -o regions/ --min-region 5000
  quantize segment photo.jpg -k 8 -w texture=0 -w xy=0  # by colour only
  quantize segment photo.jpg -w texture=2 --json
  quantize segment photo.jpg --overlay-color cyan   # borders that show on red
  quantize segment photo.jpg -q                     # only warnings and errors

\b
Exit codes: 0 done, 1 unreadable input or unwritable output, 2 usage error,
15 an output exists (use --force), 75 a running batch writes into the folder
(retry once it ends), 129 the terminal closed (SIGHUP), 130 interrupted (Ctrl-C), 143 stopped by
SIGTERM.
"""


def _weight_defaults() -> str:
    from ..features import DEFAULT_WEIGHTS, GROUPS

    return ", ".join(f"{name}={DEFAULT_WEIGHTS[name]:g}" for name in GROUPS)


class _SegmentCommand(Command):
    """Builds the help's epilog from the segmentation modules only when help is shown.

    Importing them (and SciPy with them) for every ``quantize`` call would make
    ``quantize reduce`` and ``quantize --version`` pay for segmentation.
    """

    #: gifsicle's -O3 (read as -O and -3, or -O and a file 3) was proposed -o, and
    #: --optimize (=3) had no word: segment writes no GIF.
    foreign = dict.fromkeys(("-O1", "-O2", "-O3", "--optimize"), (
        "quantize segment has no optimisation level: its outputs are PNGs (for a GIF, "
        "quantize reduce stores each frame as gifsicle's -O2 does, and --optimize tries more "
        "ways, as -O3 does)"))

    def extra_arguments(self, ctx: Any, extra: Sequence[str]) -> str:
        """Several images (``quantize segment *.jpg``) are sent to ``quantize batch``."""
        return (f"{super().extra_arguments(ctx, extra)}; for several images, put them in a "
                "folder and run quantize batch FOLDER -o OUT_DIR --mode segment")

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from ..segment import MAX_CLUSTERS

        self.epilog = _EPILOG.format(defaults=_weight_defaults(), max_clusters=MAX_CLUSTERS)
        super().format_help(ctx, formatter)


@app.command("segment", cls=_SegmentCommand,
             short_help="Segment a photo into regions of similar colour and texture.")
def segment_command(
    input_name: Annotated[str, typer.Argument(
        metavar="INPUT", help="Photo to segment (PNG, JPEG, WebP, TIFF, ...: any "
        "Pillow reads; turned upright by its EXIF orientation, converted to sRGB by its "
        "colour profile). With -o, a pipe, as <(curl -s URL), is read too, and - reads "
        "stdin.",
        show_default=False, parser=image_name)],
    n_clusters: Annotated[int | None, typer.Option(
        "-k", "--clusters", parser=integer, metavar="K",
        help="Cluster the pixels into at most K k-means clusters, 1..256 (each may "
        "form several regions; clusters that colour and texture cannot tell apart are "
        "one) instead of cutting the region hierarchy. segmented.png fills each region with "
        "its own mean, so it most often holds more than K colours: for K colours "
        "(posterizing), run quantize reduce photo.jpg -k K.",
        show_default=False)] = None,
    regions: Annotated[int | None, typer.Option(
        "--regions", metavar="N", parser=integer,
        help="Cut the region hierarchy where N >= 1 regions remain once strips of in-between "
        "colour along an edge have joined a side "
        "(default: at the default border strength; more than the superpixels start the "
        "hierarchy from about 2N, unless --superpixels is given; fewer, with a warning, when "
        "cells of 6 pixels are still too few or --superpixels gives fewer, or the hierarchy "
        "holds no N regions as large as --min-region; "
        "with it, N counts the regions it keeps: the hierarchy is cut finer, so specks do "
        "not take their places, or into regions of at least that size). "
        "Superpixels: one for each cell of "
        "about 1/600 of the image, at least 6 pixels a side, or for each piece a cell falls "
        "into, so about 530 to 900 on a photo, about 1000 on noise, fewer on images under about "
        "140 x 140. No region is "
        "smaller than a piece of a superpixel, 9 pixels on small images, about 1/2400 of the "
        "image on larger ones: a smaller detail comes out with some of its surroundings. "
        "-k 2 --smooth 0 --min-region 0 -w xy=0 -w texture=0 keeps smaller details by "
        "colour, down to single pixels (without --smooth 0 its smoothing removes specks "
        "narrower than about 1/30 of the longer side, and keeps every pixel of a detail at "
        "least that wide).",
        show_default=False)] = None,
    superpixels: Annotated[int | None, typer.Option(
        "--superpixels", metavar="N", parser=integer,
        help="Start the region hierarchy from about N >= 1 superpixels of the working copy "
        "(at most 1024 pixels a side) instead of about 600, their cells at least 6 working "
        "pixels a side (a warning says when N asks for smaller ones): more for a wide "
        "field of many small objects (cells, stars), which "
        "600 merge into their surroundings; the default cut and --regions then find more "
        "regions, at more time and memory. Not with -k; edges.png keeps the default.",
        show_default=False)] = None,
    smooth: Annotated[int | None, typer.Option(
        "--smooth", metavar="PX", parser=integer,
        help="With -k: the majority smoothing of the cluster map removes specks narrower "
        "than about PX pixels (0 to 256; default about 1/30 of the image's longer side, at "
        "most 13 pixels of the working copy); 0 smooths nothing. Alone it does not keep small "
        "objects (nuclei, stars): with the default texture weight, k-means sees them "
        "through the texture window and loses most of them before any smoothing; for "
        "them give --smooth 0 --min-region 0 -w texture=0 -w xy=0 (k-means on colour "
        "alone). A warning says when the smoothing and --min-region remove more than a "
        "quarter of a cluster's pieces (without texture only).",
        show_default=False)] = None,
    working_size: Annotated[str | None, typer.Option(
        "--working-size", metavar="PX|full", parser=min_region_value,
        help="With -k: cluster a working copy whose longer side is at most PX >= 64 pixels "
        "(default 1024), or the image itself (full). A larger one keeps lines and details "
        "a few pixels wide that the default's box-downscale turns to faint grey (thin ink "
        "of line art on a large page), at more time and memory (a 2400 x 1800 page at full: "
        "1.3 to 4 times the time, 3 to 5 times the memory). The summary line says the size "
        "worked at. For line art, with --smooth 0 -w xy=0 -w texture=0.",
        show_default=False)] = None,
    edges: Annotated[bool, typer.Option(
        "--edges", help="Also write edges.png: border strength 0..1 as 16-bit "
        "grayscale, weighted by the colour gradient (quantize.boundary_map).")] = False,
    classes: Annotated[bool, typer.Option(
        "--classes", help="Also write classes.png: the cluster of each pixel (a class map; "
        "with -k, 0..K-1 and fully transparent pixels the last), as cluster_stats numbers "
        "them, 8-bit grayscale up to 256 clusters, else 16-bit.")] = False,
    classes_in: Annotated[str | None, typer.Option(
        "--classes-in", metavar="FILE", help="Assign the pixels to the k-means classes "
        "saved in FILE (shared-classes.json of batch --mode segment --shared-classes, or "
        "quantize.classes.SharedClasses.save) instead of fitting k-means on this image: "
        "class i is then the same colour and texture as in every image segmented with "
        "FILE. -k, -w and --space are FILE's (given, they must match).",
        show_default=False, parser=file_name)] = None,
    class_order: Annotated[str | None, typer.Option(
        "--class-order", metavar="kmeans|lightness", parser=choice_word(class_orders),
        help="With -k or --classes-in: how the classes are numbered in classes.png, "
        "cluster_stats and each region's cluster. kmeans (the default) as k-means found them, "
        "an order that says nothing of the classes; lightness by increasing lightness, the "
        "darkest 0 (the L* of each class's mean colour; of a grey image read with --stretch, "
        "its mean value; with --classes-in, of the file's class colours, the same numbers in "
        "every image). Recorded in segments.json (class_order). Example, a 16-bit CT slice "
        "whose class 0 is the darkest tissue: quantize segment slice.tif -k 4 --stretch "
        "-w xy=0 -w texture=0 --smooth 0 --min-region 0 --classes --class-order lightness.",
        show_default=False, autocompletion=offering(class_orders))] = None,
    page: Annotated[int | None, typer.Option(
        "--page", metavar="N", parser=integer,
        help="Segment only page N (from 1) of a TIFF of several pages of one size, into "
        "the output folder itself. Without it, every page of such a TIFF (a z-stack, a time "
        "series; ImageJ and OME-TIFF stacks too) is segmented, each on its own, into "
        "page-001/, page-002/, ... of the output folder, and its segments.json, written "
        "last, records pages.",
        show_default=False)] = None,
    stretch: Annotated[bool, typer.Option(
        "--stretch", help="Map the image's own range (darkest to brightest value, all "
        "channels together) onto 0..255 before segmenting, as a display stretch does: for "
        "16-bit, 32-bit or float images (microscopy, astronomy) whose values come out a few "
        "dark levels. segmented.png, overlay.png and the mean colours in segments.json are "
        "then of the stretched image; segments.json adds the range stretched (stretch_range) "
        "and each region's and cluster's mean, standard deviation, minimum and maximum in "
        "the input's own values (mean_input, std_input, min_input, max_input; of the pixels "
        "that show, no data left out). Example, a 16-bit CT slice's tissue classes: "
        "quantize segment slice.tif -k 4 --stretch -w xy=0 -w texture=0 --smooth 0 "
        "--min-region 0 --classes. One hot or dead pixel sets that range (--stretch-clip does not "
        "let it).")] = False,
    stretch_clip: Annotated[float | None, typer.Option(
        "--stretch-clip", metavar="P", parser=number,
        help="Stretch as --stretch does (which it implies) but from the P-th to the "
        "(100 - P)-th percentile of the values, P a percentage from 0 to below 50, the "
        "values beyond made 0 and 255: a few hot or dead pixels (one at 65535 among counts "
        "of 650..2500) then set no range. 0.1 clips 0.1% at each end. Recorded in "
        "segments.json (stretch_clip); stretch_range is then those percentiles.",
        show_default=False)] = None,
    stretch_curve: Annotated[str | None, typer.Option(
        "--stretch-curve", metavar="linear|asinh|log|sqrt", parser=choice_word(stretch_curves),
        help="Stretch (as --stretch does, which it implies) through this curve: the values, "
        "scaled to 0..1 by the range (and --stretch-clip's percentiles), are curved, then "
        "made 0..255. linear (the default) keeps them as they are; asinh (the survey "
        "viewers' default), log and sqrt lift faint values, as the faint sources of a "
        "survey image whose few bright stars set the range, which linear puts in levels "
        "0..2. mean_input stays the mean of the input's values. Recorded in segments.json "
        "(stretch_curve). Example, a survey field whose faint sources are about 1/10000 of "
        "the range: quantize segment field.tif -k 3 --stretch-clip 0.01 --stretch-curve "
        "log --stretch-softening 0.0001 -w texture=0 -w xy=0 --smooth 0.",
        show_default=False, autocompletion=offering(stretch_curves))] = None,
    stretch_softening: Annotated[float | None, typer.Option(
        "--stretch-softening", metavar="S", parser=number,
        help="The knee of --stretch-curve asinh or log, S above 0, as a fraction of the "
        "range (default 0.1): linear below about S, logarithmic above; smaller lifts "
        "fainter values. Refused with linear and sqrt. Recorded in segments.json "
        "(stretch_softening).",
        show_default=False)] = None,
    stretch_range: Annotated[Any, typer.Option(
        "--stretch-range", metavar="LOW,HIGH", parser=number_pair,
        help="Stretch (as --stretch does, which it implies) from a fixed range in the "
        "input's own values: LOW reads as 0 and HIGH as 255 whatever the image holds, "
        "values beyond clipped, so that every page of a stack (each stretched from its own "
        "range without it) and scans of other ranges share one scale. Not with "
        "--stretch-clip. Recorded in segments.json (stretch_fixed; stretch_range is then "
        "this range). Example, a CT stack in Hounsfield units: quantize segment ct.tif -k 4 "
        "--stretch-range -1024,1976.",
        show_default=False)] = None,
    nodata: NoDataOption = None,
    intent: IntentOption = None,
    output_name: Annotated[str | None, typer.Option(
        "-o", "--output", metavar="DIR", help="Folder for the outputs (created if needed). "
        "Default: INPUT-stem.segments beside the input.", show_default=False,
        parser=file_name)] = None,
    space: Annotated[str, typer.Option(
        "--space", metavar="rgb|lab", parser=choice_word(segment_spaces),
        help="Colour space of the color feature with -k: rgb or lab (CIELAB, the default; "
        "the region hierarchy always compares CIELAB colours: rgb without -k is refused).",
        autocompletion=offering(segment_spaces))] = "lab",
    weights: Annotated[list[str] | None, typer.Option(
        "-w", "--weight", metavar="NAME=VALUE",
        help="Feature weight NAME=VALUE, VALUE 0 or a number from 1e-6 to 1e6, repeatable; "
        "names and defaults below.", show_default=False,
        autocompletion=offering(weight_names))] = None,
    min_region: Annotated[str | None, typer.Option(
        "--min-region", metavar="PX", parser=min_region_value,
        help="Merge regions smaller than PX pixels into "
        "their most similar neighbour (default with -k: 1/1000 of the image, at least 16; "
        "under 100 x 100 pixels 1/625 of it, at least 4; otherwise 0, keep all). PX may be "
        "a percentage of the image's pixels, 0% to 100%: 0.1% is 1000 pixels of a 1 MP "
        "image, whatever size it is worked at. A PX, "
        "given or the default, of more than half the image leaves it one region, with a "
        "warning (not refused: one --min-region serves images of every size in a batch); "
        "so does a smaller one that merges every region into one.",
        show_default=False)] = None,
    overlay_color: Annotated[str | None, typer.Option(
        "--overlay-color", metavar="COLOUR", help="Colour of the borders in overlay.png: "
        "a colour name (cyan, yellow, black, ...: the CSS names) or #rrggbb; default red, "
        "which vanishes on a red subject.", show_default=False,
        autocompletion=offering(color_names))] = None,
    strip: StripOption = False,
    keep_gps: KeepGpsOption = False,
    seed: SeedOption = 0,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object: input, output (the folder, also as outdir), "
        "width, height, working_width, working_height (the size segmented: a copy of a large "
        "image, as the summary line says), n_clusters, "
        "clusters_used, regions, n_regions, min_region, min_region_share (the --min-region "
        "percentage, with one only), weights, space, seed, outputs, "
        "stretch (true, with --stretch, --stretch-clip or --stretch-curve only), stretch_clip "
        "(with --stretch-clip only), stretch_curve and stretch_softening (with "
        "--stretch-curve other than linear only), stretch_fixed (with --stretch-range "
        "only), stretch_range (the input's values read "
        "as 0 and 255, with any of them only), pixel_size_um ([x, y] micrometres, of a "
        "TIFF that states its pixels' size), superpixels (with --superpixels only), "
        "smooth (with --smooth only), working_size (with --working-size only), strip (true, "
        "with --strip only), keep_gps (true, with --keep-gps only), classes_in (with "
        "--classes-in only), class_order (with --class-order lightness only), seconds.")] = False,
    quiet: Annotated[bool, typer.Option(
        "-q", "--quiet", help="Print only warnings and errors, no summary line.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite outputs that exist.")] = False,
    max_pixels: SegmentMaxPixelsOption = DEFAULT_MAX_PIXELS,
) -> None:
    """Segment a photo into regions of similar colour and texture, bordered by its edges."""
    from ..batch.calls import interrupts_held, interrupts_held_once_written, recorded_call
    from ..segment_file import OVERLAY_COLOR, segment_file

    input = Path(input_name)  # input_name as typed: ./-x.png, not -x.png, in its line
    outdir = None if output_name is None else path(output_name)  # and ./-seg, not -seg
    stdin = str(input) == "-"
    if stdin and outdir is None:
        fail("INPUT='-': no output folder can be named after stdin; name it with -o "
             "(quantize segment - -o DIR < photo.png)", USAGE_ERROR)
    if stdin and is_terminal(sys.stdin):
        fail("-: stdin is a terminal; pipe an image in (quantize segment - -o DIR < "
             "photo.png), or name the file", USAGE_ERROR)
    refuse_stdout_folder(outdir, "segment")
    if quiet and as_json:  # before a folder's batch call is proposed: batch refuses both
        refuse_both("-q/--quiet", "--json")
    with user_errors():
        color = OVERLAY_COLOR if overlay_color is None else parse_color(overlay_color)
        min_region = _checked_min_region(min_region)
        missing = check_nodata(nodata_given(nodata))
        chosen = check_intent(DEFAULT_INTENT if intent is None else intent)
    # read once, into a copy: segment reads its input twice
    stream = stdin or is_stream(input)
    if (stream or names_a_descriptor(input)) and outdir is None:
        refuse_stream_without_output(input, "-o")
    carried = [("-k", n_clusters), ("--regions", regions), ("--superpixels", superpixels),
               ("--smooth", smooth), ("--working-size", working_size), ("--edges", edges),
               ("--classes", classes), ("--classes-in", classes_in),
               ("--class-order", class_order), ("--page", page),
               ("--stretch", stretch), ("--stretch-clip", stretch_clip),
               ("--stretch-curve", stretch_curve), ("--stretch-softening", stretch_softening),
               ("--stretch-range", stretch_range), ("--nodata", nodata),
               ("--intent", intent),
               ("--space", None if space == "lab" else space),
               *(("-w", w) for w in weights or ()), ("--min-region", min_region),
               ("--overlay-color", overlay_color), ("--strip", strip), ("--keep-gps", keep_gps),
               ("--seed", seed or None), ("--force", force),
               ("--max-pixels", None if max_pixels == DEFAULT_MAX_PIXELS else max_pixels),
               ("-q", quiet), ("--json", as_json)]
    if outdir is not None:  # a file in the way, as batch -o says it (exit 2), before a
        with user_errors():  # batch call with that -o is proposed; a name the system
            check_name_length(outdir)  # refuses (too long) is named too
            check_output_folder(outdir, "-o/--output")
        refuse_image_named_folder(outdir, "segment writes several files (labels.png, "
                                  "overlay.png, segments.json)")
    hint = "" if stdin else folder_hint(str(input), "segment", carried,
                                        output_dir=output_name or "OUT_DIR")
    if hint:  # the reader's words, and where to go, with options batch accepts: checked
        from ..segment_file import check_segment_options  # as batch --mode segment checks

        with user_errors():
            check_segment_options(n_clusters=n_clusters, regions=regions,
                                  weights=parse_weights(weights or []), space=space,
                                  min_region=min_region, seed=seed, max_pixels=max_pixels,
                                  edges=edges, overlay_color=color, stretch=stretch,
                                  superpixels=superpixels, smooth=smooth,
                                  working_size=working_size, classes=classes, strip=strip,
                                  keep_gps=keep_gps, nodata=missing, classes_in=classes_in,
                                  intent=chosen, stretch_clip=stretch_clip or 0.0,
                                  stretch_curve=stretch_curve or "linear",
                                  stretch_softening=stretch_softening,
                                  stretch_range=stretch_range,
                                  class_order=class_order or "kmeans")
        fail(f"{printable_line(str(input))}: is a directory, expected an image file{hint}",
             ExitCode.FAILED)
    refuse_closed_stdout("quiet" if quiet else "json" if as_json else "lines")
    refuse_text_onto_files([(input, "the input")])
    # input.parent / ..., not input.with_name(...), which fails on "/" and "." (folders,
    # which segment_file refuses before making any output folder).
    folder = f"{output_stem(input)}.segments"
    target = outdir if outdir is not None else input.parent / folder
    # "scan.segments": its stem's folder is itself; "scan.Segments" too where names ignore
    # case, as the other collision checks compare names
    if outdir is None and folded_name(target) == folded_name(input):
        where = "" if target == input else (" where names ignore case or Unicode form "
                                            "(macOS, Windows)")
        fail(printable_line(f"{input}: the default output folder is the input itself "
                            f"({folder}){where}; choose a folder with -o"), USAGE_ERROR)
    if not stream:
        _refuse_input_among_outputs(input, target, edges, classes)
    elif stdin:
        _refuse_stdin_file_among_outputs(target, edges, classes)
    if outdir is not None:
        _refuse_folder_of_other_files(outdir)
    with user_errors():  # a batch's files would be mixed with these, or removed as a killed run's
        from ..batch.lock import refuse_batch_folder

        refuse_batch_folder(target, name=target, instead="choose another folder with -o")
    if stream and not force:  # said at once, not once the whole stream has come
        from ..segment_file import check_stream_outputs

        with user_errors(), _naming_input(input, input, default=outdir is None):
            check_stream_outputs(target, input, edges, classes)
    written: list[str] = []  # the output folder, once its line is printed
    try:
        # Ctrl-C stops the work at once; once the outputs are in place, it waits for the line
        with Scratch() as scratch, interrupts_held_once_written():  # a stream's copy
            source = (stage_stdin(scratch.folder("-", "for its copy"),
                                  "segment reads one: send one at a time") if stdin else
                      stage_stream(input, scratch.folder(str(input), "for its copy"))
                      if stream else input)
            with user_errors(), _naming_input(input, source, default=outdir is None), \
                    _warnings_before_an_error(input):
                options = {"n_clusters": n_clusters, "regions": regions,
                           "weights": parse_weights(weights or []), "space": space,
                           "min_region": min_region, "seed": seed, "force": force,
                           "max_pixels": max_pixels, "edges": edges, "overlay_color": color,
                           "input_name": input if stream else None, "stretch": stretch,
                           "superpixels": superpixels, "smooth": smooth,
                           "working_size": working_size, "classes": classes, "strip": strip,
                           "keep_gps": keep_gps, "nodata": missing, "classes_in": classes_in,
                           "intent": chosen, "page": page,
                           "stretch_clip": stretch_clip or 0.0,
                           "stretch_curve": stretch_curve or "linear",
                           "stretch_softening": stretch_softening,
                           "stretch_range": stretch_range,
                           "class_order": class_order or "kmeans"}
                record = recorded_call(segment_file, (source, target), options,
                                       format_advice=True,
                                       noted=(GeoTagsLeftOutWarning, ProfileConvertedWarning,
                                              WideLabelsWarning))
            with interrupts_held():
                _show(input, record, input_name, output_name, quiet=quiet, as_json=as_json)
                written.append(record["outdir"])
    except KeyboardInterrupt:
        fail_interrupted(printable_line(f"interrupted after writing {written[0]}") if written
                         else "interrupted; rerun the same command to finish")


def _show(input: Any, record: dict[str, Any], typed: str, typed_output: str | None, *,
          quiet: bool, as_json: bool) -> None:
    """The warnings of ``record``, the job's record for ``input``, and its line (none when
    ``quiet``; a JSON object with ``as_json``). The input is named as it was typed
    (``typed``), and so is the output folder: as ``-o`` gave it (``typed_output``), or
    beside the input when it gave none: the ``./`` of ``./-x.png`` and ``-o ./-seg`` is
    kept (:func:`~quantize.cli.common.as_typed`)."""
    for line in record.pop("warnings", ()):
        warn(input, line)
    noted = record.pop("noted", ())
    if quiet:
        return
    for line in noted:  # a fact of the outputs, which -q leaves out
        note(input, line)
    record["input"] = as_typed(record["input"], typed)
    record["outdir"] = as_typed(record["outdir"], typed if typed_output is None
                                else typed_output)
    if as_json:  # "output" names the folder as reduce's JSON and batch's reports do
        import json  # here: the module is needed by --json only

        say(json.dumps(printable_data({"input": record["input"], "output": record["outdir"],
                                       **record})))
    else:
        used = record["clusters_used"]
        source = (f"from {_count(used, 'cluster')}" if used is not None
                  else "from the region hierarchy")
        say(printable_line(f"{record['input']} -> {record['outdir']}: {_pages(record)}"
                           f"{_count(record['n_regions'], 'region')} {source}"
                           f"{_worked_at(record)}, "
                           f"{record['seconds']:.2f} s"))


def _pages(record: dict[str, Any]) -> str:
    """What the summary line says of the pages of a job's ``record`` before its regions:
    a stack's pages and their folders, the page of a ``--page``, else nothing.

    >>> _pages({"pages": 3})
    '3 pages (page-001 to page-003), '
    >>> _pages({"page": 2, "input_pages": 3})
    'page 2 of 3, '
    """
    if "pages" in record:
        from ..segment_file import page_folder

        pages = record["pages"]
        return f"{pages} pages ({page_folder(1)} to {page_folder(pages)}), "
    if "page" in record:
        return f"page {record['page']} of {record['input_pages']}, "
    return ""


def _worked_at(record: dict[str, Any]) -> str:
    """What the summary line says of the size the image of a job's ``record`` was
    segmented at (its ``working_width`` and ``working_height``, of ``--working-size`` when
    given): nothing when it is the image's own, so that a user of a large image knows why
    details a few pixels wide are gone."""
    work_width, work_height = record["working_width"], record["working_height"]
    if (work_width, work_height) == (record["width"], record["height"]):
        return ""
    return f", worked on a {work_width} x {work_height} copy"


def _refuse_folder_of_other_files(outdir: Path) -> None:
    """Refuse an existing ``-o`` folder that holds files other than a previous segment's
    outputs (:func:`~quantize.segment_file.foreign_entries`): a folder of photos, which
    segment's files would be mixed into, and which a later ``batch -r`` then leaves out as
    a folder of segment's outputs. Its own folders keep their rules (an output there:
    ``--force``)."""
    from ..segment_file import foreign_entries

    others = foreign_entries(outdir)
    if not others:
        return
    more = f" and {len(others) - 1} more" if len(others) > 1 else ""
    fail(f"-o/--output={quoted(outdir)} holds files other than a previous segment's outputs "
         f"({quoted(others[0])}{more}), among which it would write labels.png, overlay.png, "
         "segments.json and more; choose a new or empty folder with -o (a folder of a "
         "previous segment's outputs alone is rewritten with --force)", USAGE_ERROR)


def _refuse_input_among_outputs(input: Path, target: Path, edges: bool,
                                classes: bool = False) -> None:
    """Refuse, before any work, an output folder where one of the files written would be
    the input (``segment x/labels.png -o x``), a usage error as ``reduce a.png -o a.png``
    is; :func:`~quantize.segment_file.segment_file` refuses it too, as a failed file (exit 1).

    Told by the file system (:func:`~quantize.names.same_file`), as reduce tells it, and,
    in the input's own folder, by the name ignoring case and Unicode form (``segment
    x/Labels.png -o x``), as the default folder is, so that the same command does not
    replace its input on macOS or Windows.
    """
    from ..segment_file import output_names

    here = same_file(target, input.parent)
    for name in output_names(edges, classes):
        if same_file(target / name, input):
            what = "the input itself"
        elif here and folded_name(name) == folded_name(input.name):
            what = (f"the input {input.name} where names ignore case or Unicode form (macOS, "
                    "Windows)")
        else:
            continue
        fail(printable_line(f"{input}: its output folder {target} would write {name} over "
                            f"{what}, which is never overwritten (not even with --force); "
                            "choose another folder with -o"), USAGE_ERROR)


def _refuse_stdin_file_among_outputs(target: Path, edges: bool, classes: bool = False
                                     ) -> None:
    """Refuse, before any work, an output folder where one of the files written would be
    the file stdin is redirected from (``segment - -o x --force < x/labels.png``), as
    :func:`_refuse_input_among_outputs` refuses an input named: it was replaced."""
    from ..segment_file import output_names

    for name in output_names(edges, classes):
        if is_stdin_file(target / name):
            fail(printable_line(f"-: its output folder {target} would write {name} over the "
                                "file stdin is redirected from, which is never overwritten "
                                "(not even with --force); choose another folder with -o"),
                 USAGE_ERROR)


@contextlib.contextmanager
def _warnings_before_an_error(input: Path) -> Iterator[None]:
    """Say the warnings a call recorded (:func:`~quantize.batch.calls.recorded_call`) before
    the error that ended it, as reduce says them: the error, said once the block is left,
    dropped them."""
    from ..batch.calls import attached_warnings

    try:
        yield
    except Exception as exc:
        for line in attached_warnings(exc):
            warn(input, line)
        raise


@contextlib.contextmanager
def _naming_input(input: Path, source: Path, default: bool = False) -> Iterator[None]:
    """An output's error names the input first, as reduce and batch do:
    ``a.png: a.segments/labels.png: output exists; use --force to overwrite``; an error
    about ``source``, the copy of a pipe that was read, names the pipe. ``default``: the
    output folder is the default one, beside the input; one that could not be made or
    written there (exit 1), in a folder the user cannot write, is said with how to name
    another (:func:`~quantize.cli.common.elsewhere_hint`)."""
    try:
        yield
    except QuantizeError as exc:
        if exc.path == str(source) != str(input):
            raise type(exc)(exc.reason, path=input) from None
        if not isinstance(exc, OutputError) or exc.path is None or exc.path == str(input):
            raise
        # the error names the default folder (not made), or a file in it (not written)
        hint = (elsewhere_hint(Path(exc.path).parent, "an output folder")
                if default and exc.exit_code == ExitCode.FAILED else "")
        raise type(exc)(f"{printable_line(exc.path)}: {exc.reason}{hint}",
                        path=input) from None


def _count(n: int, noun: str) -> str:
    """``1 region``, ``2 regions``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def parse_weights(pairs: list[str]) -> dict[str, float]:
    """Turn ``["texture=2", "xy=0"]`` into ``{"texture": 2.0, "xy": 0.0}``.

    Names and values are checked later by :func:`quantize.features.check_weights`,
    whose messages show each value as typed (:func:`~quantize.cli.common.number`).

    Raises
    ------
    ValueError
        If an item is not ``NAME=NUMBER``, NUMBER a plain decimal number
        (:func:`~quantize.cli.common.plain_number`: ``1_0``, which Python reads as 10, is
        refused), or a name is repeated.
    """
    parsed: dict[str, float] = {}
    for pair in pairs:
        name, typed = _weight(pair)
        if typed is None or not name:
            raise ValueError(f"-w {pair!r} is not valid; expected {_expected(pair)}")
        if name in parsed:
            raise ValueError(f"-w {name} is given twice; give each weight once")
        parsed[name] = typed
    return parsed


def _expected(pair: str) -> str:
    """What the ``-w`` item ``pair``, not ``NAME=NUMBER``, should have been, by its pieces
    between commas and the names before their ``=``:

    - one piece with a name and ``=``: its number, which is not a plain decimal number;
    - several pieces, each named by a feature group: one weight per ``-w``, each piece
      echoed as typed (``=NUMBER`` added to a bare name);
    - anything else: a name.

    >>> _expected("color=1, xy=two")
    'one NAME=NUMBER per -w: -w color=1 -w xy=two'
    >>> _expected("color,xy=2")
    'one NAME=NUMBER per -w: -w color=NUMBER -w xy=2'
    >>> _expected("colour=2,xy=2")
    'one NAME=NUMBER per -w: -w colour=2 -w xy=2'
    """
    from ..features import GROUPS, WEIGHT_ALIASES

    pieces = [piece.strip() for piece in pair.split(",")]
    names = [piece.partition("=")[0].strip() for piece in pieces]
    if len(pieces) == 1 and names[0] and "=" in pair:
        return "NAME=NUMBER with NUMBER a plain decimal number, e.g. 2, 0.5 or 1e-3"
    if len(pieces) > 1 and all(name in GROUPS or name in WEIGHT_ALIASES for name in names):
        return "one NAME=NUMBER per -w: " + " ".join(
            f"-w {piece}" if "=" in piece else f"-w {piece}=NUMBER" for piece in pieces)
    return f"NAME=NUMBER with NAME one of {', '.join(map(repr, GROUPS))}, e.g. -w texture=2"


def _weight(pair: str) -> tuple[str, float | None]:
    """``"texture=2"`` as ``("texture", 2.0)``, the name in any case (``Texture=2`` too);
    the value None when it is no number."""
    name, sep, value = pair.partition("=")
    word = choice_word(_weight_words)(name.strip())  # in any case, as --space takes its own
    try:
        return word, number(value) if sep else None
    except click_errors.BadParameter:
        return word, None


def _weight_words() -> tuple[str, ...]:
    """The names ``-w`` takes, the feature groups' and their aliases (``colour``)."""
    from ..features import GROUPS, WEIGHT_ALIASES

    return (*GROUPS, *WEIGHT_ALIASES)


def _checked_min_region(min_region: int | str | None) -> int | str | None:
    """``--min-region`` checked before any input is read, as the library checks it
    (:func:`quantize.segment.check_min_region`): pixels, or a share such as ``0.1%``."""
    from ..segment import check_min_region

    return check_min_region(min_region)


def parse_color(text: str) -> tuple[int, int, int]:
    """``--overlay-color``'s COLOUR as ``(r, g, b)`` (:func:`~quantize._validation.color_from_text`:
    a colour name, ``#rrggbb`` or ``#rgb``, no alpha).

    >>> parse_color("Cyan"), parse_color("#ff8000")
    ((0, 255, 255), (255, 128, 0))

    Raises
    ------
    ValueError
        If ``text`` is no such colour.
    """
    return color_from_text(text, "--overlay-color")
