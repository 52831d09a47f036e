"""``quantize batch``: reduce or segment every image of a folder, locally or on Dask.

Parses the options, builds the per-file options once (validated here, before
any file is touched), calls :mod:`quantize.batch`, shows progress and a
summary, and sets the exit code: 0 all succeeded, 1 some failed, not all for their quality
(or INPUT_DIR cannot be read, or the output folder cannot be made or written: its one error
line, no summary), 99 those that failed all missed their --quality or --max-bytes, 98 none
failed but some were kept without output as larger than their inputs
(--skip-if-larger), 2 usage error
(including an INPUT_DIR, --glob, --exclude and -r that select no file at all), 15 the
output folder holds outputs made with other options, or --report/--html names a
file that is not a quantize report (and no --force), 75 another batch is writing into
the output folder (refused before any work; a later run may succeed), 129 stopped
by SIGHUP (a terminal closed), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM (as
Ctrl-C: the reports are written).
"""

# Annotations are evaluated on import, not as strings: see quantize.cli.

import contextlib
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # imported by the functions that run a batch, not by every CLI call
    from .. import batch as lib
from .._sigterm import stopped_by
from .._validation import (
    check_choice,
    check_float,
    check_int,
    check_max_frames,
    check_max_pixels,
)
from ..encode import OPTIMIZED_OUTPUTS
from ..errors import (
    ExitCode,
    ImageReadError,
    OutputError,
    failure_kind,
    failure_kind_of_code,
)
from ..io import DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS, MAX_PALETTE, folder_made, nodata_setting
from ..io.profiles import check_intent
from ..names import (
    apart_by_code_point,
    found_path,
    natural_key,
    printable_data,
    quoted,
    same_file,
    shell_quoted,
)
from ..palette_files import PALETTE_IN_FORMAT_LIST
from ..reduce.options import (
    PALETTE_FILE_ALPHA_ADVICE,
    PALETTE_MODES,
    choose_fewer_advice,
    kept_for_transparency,
    read_palette_in_once,
)
from ..reduce.quality import QualityScaleWarning
from ..reduce.records import PSNR_SHOWN_KEYS
from .common import (
    FULL_BAR_COLUMNS,
    USAGE_ERROR,
    BatchDitherOption,
    BatchMaxFramesOption,
    BatchMaxPixelsOption,
    CommandFailed,
    DitherLevelCommand,
    DitherLevelOption,
    FixedColorOption,
    IntentOption,
    KeepGpsOption,
    LinesOrNothing,
    MatteOption,
    NoDataOption,
    SeedOption,
    StripOption,
    TransparentColorOption,
    app,
    as_flags,
    as_typed,
    budget_choice,
    check_palette_fitted_given,
    check_palette_mode_alone,
    choice_word,
    class_orders,
    click_errors,
    color_names,
    command_line,
    dither_strength,
    dumb_terminal,
    fail,
    fail_interrupted,
    file_name,
    finishing_note,
    fixed_colors_given,
    integer,
    is_terminal,
    min_region_value,
    names_a_descriptor,
    nodata_given,
    note,
    note_idle_options,
    note_jobs_capped,
    number,
    number_pair,
    offering,
    palette_file,
    path,
    printable_line,
    refuse_both,
    refuse_closed_stdout,
    refuse_image_named_folder,
    refuse_quality_scale,
    refuse_stdout_folder,
    refuse_text_onto_files,
    say,
    say_besides_error,
    segment_spaces,
    stretch_curves,
    user_errors,
    warn,
    weight_names,
)

_MODES = ("reduce", "segment")
#: Why a file under a name a stopped run was about to write is left alone (plan.disowned):
#: the batch cannot tell a file put there since from the one a job wrote whose record, or
#: mark, could not be written (a folder turned read-only, a manifest cut short).
DISOWNED = ("an earlier run left this output to write or to record, and has no record that "
            "it finished the file here (its record could not be written, or the file was put "
            "here since): it is kept as a file of no record, skipped from now on; --force "
            "makes it again")
#: Why a file skipped as of no record (plan.NO_RECORD) is warned of: its input is not done,
#: which -q, printing warnings alone, said nothing of.
_NOT_PROCESSED = ("not processed: {output} exists with no record of the run that made it "
                  "(not made by a batch, or its record was lost), and is left as it is; "
                  "--force replaces it")
#: How many files not processed as of no record are warned of one by one; past that many, a
#: line counts the rest (a lost record leaves every output of a big folder so).
_NOT_PROCESSED_SHOWN = 5
_NOT_PROCESSED_MORE = ("… and {n} more inputs not processed for the same reason; --force "
                       "replaces their outputs")
#: How many files have the same warning of their job said one by one (an empty map tile's
#: "no visible colour", the same words for each); past that many, the others are counted in
#: one line at the end of the run (:class:`_Repeated`): their --report rows keep it.
_REPEATED_SHOWN = 5
_REPEATED_MORE = ("… and {n} more {files} with this warning, not said one by one (each "
                  "--report row keeps its file's): {message}")
#: Distinct warnings :class:`_Repeated` counts at most; others are said for every file.
_REPEATED_KEPT = 1000
_REDUCE_ONLY = ("--quality", "--quality-limit", "--max-bytes", "--dither", "--exact-colors",
                "--palette-in", "--palette-fitted", "--shared-palette", "--palette", "--optimize",
                "--skip-if-larger", "--copy-if-larger", "--ext", "--matte", "--fixed-color",
                "--transparent-color", "--palette-out", "--max-frames", "--nearest")
_SEGMENT_ONLY = ("--regions", "--superpixels", "--smooth", "--working-size", "--edges",
                 "--classes", "--shared-classes", "--classes-in", "-w/--weight",
                 "--min-region", "--overlay-color", "--class-order")
#: Added to the error of a batch that found no input, with --remove-orphans and outputs on
#: record: why they are not removed, and how to remove them.
_NO_INPUT_NO_REMOVAL = ("; --remove-orphans removes nothing when no input is found (a folder "
                        "emptied by mistake, or not mounted, would take every output with "
                        "it): delete the outputs yourself if they are to go")


_EPILOG = """\b
Examples:
  quantize batch photos/ -o reduced/ -r -k 16   # a/b.jpg -> reduced/a/b.png
  quantize batch photos/ -o regions/ --mode segment  # b.jpg -> regions/b/
  quantize batch photos/ -o regions/ --mode segment --regions 20 --edges
  quantize batch photos/ -o reduced/ --shared-palette -k 32   # one palette
  quantize batch site/ -o min/ -r --glob '*.png' --glob '*.gif'  # either
  quantize batch site/ -o min/ -r --exclude 'vendor/**'  # all but those
  quantize batch clips/ -o reduced/ --palette per-frame  # a.webp -> a.gif
  quantize batch site/ -o min/ -r --ext .gif  # a.jpg -> min/a.gif, every file a GIF
  quantize batch photos/ -o reduced/ --report report.csv --html report.html
  quantize batch photos/ -o reduced/ --json > results.jsonl  # a line a file
  quantize batch /shared/photos -o /shared/reduced --scheduler tcp://host:8786

\b
Exit codes: 0 every file done (or done before), 1 some files failed, not all
for their quality (or INPUT_DIR or the --palette-in file cannot be read, or
OUT_DIR cannot be made or written: no file is processed), 99 every file that
failed missed its --quality or --max-bytes, 2 usage error (or no file matches), 15
OUT_DIR holds outputs made with other options (or --report/--html names a file
that is not a report; use --force), 75 another batch is writing into OUT_DIR
(retry once it ends), 98 no file failed but some were skipped as larger than their inputs
(--skip-if-larger), 129 the terminal closed (SIGHUP), 130 interrupted (Ctrl-C),
143 stopped by SIGTERM (as Ctrl-C: the reports are written).
"""


class _BatchCommand(DitherLevelCommand):
    """``quantize batch``, whose extra arguments are told to come from an unquoted --glob
    (or --exclude) pattern when they look so: with ``--glob *.jpg`` in a folder of JPEGs
    the shell gives ``--glob a.jpg b.jpg c.jpg``, and the line named b.jpg and c.jpg
    alone."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """The arguments parsed; an option of the other mode than ``--mode``'s given a value
        it cannot take (``--regions x`` in reduce mode) is refused as not applying to the
        mode, as it is with a value it takes: the parser, which reads the values before the
        command checks the mode, said that the value was bad. ``--mode`` is read first
        (eager), and is refused first when it is none of the modes."""
        try:
            return super().parse_args(ctx, args)
        except click_errors.BadParameter as exc:
            if exc.param is not None and not ctx.resilient_parsing:
                _refuse_for_the_mode(ctx.params.get("mode", "reduce"), exc.param.opts)
            raise

    def extra_arguments(self, ctx: Any, extra: Sequence[str]) -> str:
        line = super().extra_arguments(ctx, extra)
        for flag, pattern in _patterns_given(ctx.params.get("glob"), ctx.params.get("exclude")):
            if all(map(os.path.lexists, (pattern, *extra))):
                return (f"{line}; {flag}={quoted(pattern)} and they are files here: the shell "
                        "expands an unquoted pattern into the names it matches; quote it, as "
                        f"{flag} '*.jpg'")
        return line


def _refuse_for_the_mode(mode: str, flags: Sequence[str]) -> None:
    """Refuse ``mode`` when it is none of the modes, and the option of ``flags`` when it is
    of the other mode (:func:`_check_mode_options`), each in its own error line; else
    return."""
    given = {name: True for name in (*_REDUCE_ONLY, *_SEGMENT_ONLY)
             if set(name.split("/")) & set(flags)}
    with user_errors():
        check_choice(mode, "--mode", _MODES)
        _check_mode_options(mode, given)


def _typed_here(ctx: typer.Context, *names: str) -> set[str]:
    """Those of the parameters ``names`` given on the command line, whatever their value
    (``--no-dither`` and ``--palette global`` give the defaults, and are given all the same).
    """
    return {name for name in names
            if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"}


def _patterns_given(glob: Sequence[str] | None,
                    exclude: Sequence[str] | None) -> list[tuple[str, str]]:
    """The --glob and --exclude patterns given, each with its flag, in that order."""
    return [*(("--glob", p) for p in glob or ()), *(("--exclude", p) for p in exclude or ())]


@app.command("batch", cls=_BatchCommand, epilog=_EPILOG,
             short_help="Reduce or segment every image of a folder, in parallel.")
def batch(
    ctx: typer.Context,
    input_name: Annotated[str, typer.Argument(
        metavar="INPUT_DIR", parser=file_name,
        help="Folder of images: its files whose extension, in any case, is one Pillow reads "
             "(.jpg, .png, .gif, .webp, .tif, ...; a file without one, or a .txt, is not "
             "looked at: --glob selects by name instead), not hidden ones, nor those "
             "--exclude names; with -r those of its sub-folders too.")],
    output_name: Annotated[str, typer.Option(
        "-o", "--output", metavar="OUT_DIR",
        help="Folder for the outputs; mirrors INPUT_DIR's sub-folders.",
        parser=file_name)],
    mode: Annotated[str, typer.Option(
        "--mode", metavar="reduce|segment", parser=choice_word(_MODES), is_eager=True,
        help="reduce (one PNG per image; an animation in its own format, as reduce "
        "writes it; --ext chooses another) or segment (a folder of region maps "
        "per image).", autocompletion=offering(_MODES))] = "reduce",
    colors: Annotated[int | None, typer.Option(
        "-k", "--colors", "--clusters", parser=integer, metavar="K",
        help=f"reduce: colours per image, 1..{MAX_PALETTE} (default 16; with "
        f"--quality, as with --max-bytes, the most allowed, default {MAX_PALETTE}; "
        "transparent pixels take one more entry in a .png or .gif, so -k 64 on a GIF with "
        "transparency needs a 128-entry table, -k 63 fits 64); segment: cluster the pixels into K "
        "k-means clusters, 1..256, instead of cutting the region hierarchy (the default).",
        show_default=False)] = None,
    regions: Annotated[int | None, typer.Option(
        "--regions", metavar="N", parser=integer,
        help="segment: cut the region hierarchy where N >= 1 regions "
        "remain (default: at the default border strength).", show_default=False)] = None,
    superpixels: Annotated[int | None, typer.Option(
        "--superpixels", metavar="N", parser=integer,
        help="segment: start the region hierarchy from about N >= 1 superpixels instead of "
        "about 600, as segment --superpixels does.", show_default=False)] = None,
    smooth: Annotated[int | None, typer.Option(
        "--smooth", metavar="PX", parser=integer,
        help="segment, with -k: the majority smoothing removes specks narrower than about "
        "PX pixels, 0 to 256 (0: none), as segment --smooth does.",
        show_default=False)] = None,
    working_size: Annotated[str | None, typer.Option(
        "--working-size", metavar="PX|full", parser=min_region_value,
        help="segment, with -k: cluster a working copy of at most PX >= 64 pixels a side "
        "(default 1024), or each image itself (full), as in segment.",
        show_default=False)] = None,
    edges: Annotated[bool, typer.Option(
        "--edges", help="segment: also write edges.png, the border strength 0..1 as "
        "16-bit grayscale.")] = False,
    classes: Annotated[bool, typer.Option(
        "--classes", help="segment: also write classes.png, the cluster of each pixel (a "
        "class map), 8-bit grayscale up to 256 clusters, else 16-bit.")] = False,
    stretch: Annotated[bool, typer.Option(
        "--stretch", help="Map each image's own range onto 0..255 before reducing or "
        "segmenting (16-bit, signed, 32-bit or float images whose values come out dark), as "
        "reduce --stretch and segment --stretch do; not with --shared-palette.")] = False,
    stretch_clip: Annotated[float | None, typer.Option(
        "--stretch-clip", metavar="P", parser=number,
        help="Stretch (as --stretch, which it implies) from the P-th to the "
        "(100 - P)-th percentile of each image's values, P from 0 to below 50, as segment "
        "--stretch-clip does: a few hot or dead pixels then set no range.",
        show_default=False)] = None,
    stretch_curve: Annotated[str | None, typer.Option(
        "--stretch-curve", metavar="linear|asinh|log|sqrt", parser=choice_word(stretch_curves),
        help="Stretch (as --stretch, which it implies) through this curve, as "
        "segment --stretch-curve does: asinh, log or sqrt lift the faint sources of survey "
        "images; linear (the default) keeps the values as they are. Example: quantize batch "
        "fields/ -o out --mode segment -k 3 --stretch-clip 0.01 --stretch-curve log "
        "--stretch-softening 0.0001.",
        show_default=False, autocompletion=offering(stretch_curves))] = None,
    stretch_softening: Annotated[float | None, typer.Option(
        "--stretch-softening", metavar="S", parser=number,
        help="The knee of --stretch-curve asinh or log, S above 0, as a fraction "
        "of the range (default 0.1), as segment --stretch-softening takes it.",
        show_default=False)] = None,
    stretch_range: Annotated[Any, typer.Option(
        "--stretch-range", metavar="LOW,HIGH", parser=number_pair,
        help="Stretch (as --stretch, which it implies) every image from one fixed range of "
        "its own values, LOW read as 0 and HIGH as 255, values beyond clipped, so that "
        "scans and slices of other ranges share one scale, as reduce --stretch-range does. "
        "Example: quantize batch ct/ -o out -k 8 --stretch-range -1024,1976.",
        show_default=False)] = None,
    quality: Annotated[float | None, typer.Option(
        "--quality", metavar="Q", parser=number,
        help="reduce: fewest colours with mean ΔE2000 ≤ Q, a number from 0 to 20, its 99th "
        "percentile ≤ 5 Q, 99.9th ≤ 10 Q and every area of one colour of 16 pixels or more "
        "≤ 4 Q; not pngquant's 0-100 score (with -k: at most K colours); add --dither for "
        "gradients, which pngquant dithers by default.")
    ] = None,
    quality_limit: Annotated[float | None, typer.Option(
        "--quality-limit", metavar="L", parser=number,
        help="reduce, with --quality: a file whose Q is out of reach of the colours "
        "allowed gets the result with all of them if it meets L (a number >= Q and > 0) by "
        "the same rule, with a warning; if not, it fails as without it.",
        show_default=False)] = None,
    max_bytes: Annotated[str | None, typer.Option(
        "--max-bytes", metavar="SIZE",
        help="reduce: write each file with the most colours, at most -k (default 256, as for "
        "--quality), found to fit its output in SIZE: bytes, or a number with a unit, in "
        "any case: 800k or 800kB (1000 bytes a k), 1MB (1,000,000), 1MiB (1,048,576); its "
        "line says the k chosen and what bounded it. A file that even 2 colours do not "
        "fit fails, its reason naming the smallest size reached, and nothing is written "
        "for it. Neither --quality, --palette-in nor --shared-palette goes with it.",
        show_default=False)] = None,
    space: Annotated[str | None, typer.Option(
        "--space", metavar="rgb|lab", parser=choice_word(segment_spaces),
        help="rgb or lab (default: rgb for reduce, lab for segment). For reduce, also how "
        "a --palette-in palette's entries are matched: nearest in RGB, or with lab nearest "
        "by CIEDE2000 (by Lab distance, as a fit matches, for a palette of --shared-palette "
        "or with --palette-fitted).",
        autocompletion=offering(segment_spaces))] = None,
    dither: BatchDitherOption = False,
    dither_level: DitherLevelOption = None,
    optimize: Annotated[bool, typer.Option(
        "--optimize", help=f"reduce: slower encoding for smaller files, of {OPTIMIZED_OUTPUTS} "
        "(other formats are written as without it); the palette of --palette-in or "
        "--shared-palette keeps its entries and order.")] = False,
    skip_if_larger: Annotated[bool, typer.Option(
        "--skip-if-larger", help="reduce: keep no output for a file whose result is larger "
        "than it; the file is reported as skipped (exit 98 if none failed), and reruns "
        "with the same options skip it until it changes. An output an earlier run made "
        "larger than its input is removed, as that run wrote it (one edited since is kept, "
        "with a note); one made before its input "
        "changed is kept, reported as stale at every run, until a run without the option "
        "replaces it. Without the option, the summary counts the outputs larger than their "
        "inputs.")] = False,
    copy_if_larger: Annotated[bool, typer.Option(
        "--copy-if-larger", help="reduce: where a file's result is larger than it and its "
        "output is in its own format (--ext same, or the default .png of a .png), write the "
        "input's own bytes as the output, as pngquant --skip-if-larger in place keeps the "
        "original: the file is ok (exit 0), its report row has input_copied. A result "
        "larger in another format is skipped, as --skip-if-larger does.")] = False,
    exact_colors: Annotated[bool, typer.Option(
        "--exact-colors", help="reduce: palette entries are colours of the image.")] = False,
    palette_in: Annotated[Path | None, typer.Option(
        "--palette-in", metavar="FILE", help="reduce: map every image onto this palette file "
        f"({PALETTE_IN_FORMAT_LIST}; not with --quality or --exact-colors; with -k K, "
        "each still image is mapped onto the best K of its colours); a palette "
        "image inside INPUT_DIR is skipped.",
        parser=palette_file)] = None,
    palette_fitted: Annotated[bool, typer.Option(
        "--palette-fitted", help="reduce: the --palette-in palette was fitted to images "
        "like these (a reduce --palette-out file): dither onto it as onto a fitted "
        "palette, as reduce --palette-fitted does, not as onto a device's fixed colours. "
        "Needs --palette-in.")] = False,
    matte: MatteOption = None,
    fixed_color: FixedColorOption = None,
    transparent_color: TransparentColorOption = None,
    palette_out: Annotated[str | None, typer.Option(
        "--palette-out", metavar="NAME", help="reduce, with --shared-palette: also write the "
        "shared palette as NAME in OUT_DIR, beside shared-palette.json, in the format its "
        "extension names (.gpl, .json, .hex, .act, .pal, .txt, .css, .ase, as reduce --palette-out "
        "writes), entry i being index i of every output; written again on each run.",
        show_default=False)] = None,
    strip: StripOption = False,
    keep_gps: KeepGpsOption = False,
    nodata: NoDataOption = None,
    intent: IntentOption = None,
    ext: Annotated[str | None, typer.Option(
        "--ext", metavar="SUFFIX",
        help="reduce: name each output INPUT-stem + SUFFIX in the mirrored folder, its "
        "extension picking the format, as reduce --ext does (.png, .gif, .webp, .tif, .jpg; "
        "--ext .gif makes every file a GIF, --ext .bmp an indexed BMP); an animation too: "
        "its frames as an APNG in a .png, as pages in a .tif, and failed for a .jpg or .bmp. "
        "--ext same keeps each input's name and format (PNG, GIF, BMP, WebP written "
        "lossless, TIFF), refusing a JPEG, which would be coded anew, lossy: leave JPEGs out "
        "with --exclude. Default: .png, an animation in its own format.",
        show_default=False)] = None,
    palette: Annotated[str, typer.Option(
        "--palette", metavar="global|per-frame", parser=choice_word(PALETTE_MODES),
        help="reduce, for animations: global (one "
        "palette for all frames, no flicker) or per-frame (a local palette for each frame; "
        "every animation is then written as .gif, the format that holds them; not with "
        "--quality or --palette-in).", autocompletion=offering(PALETTE_MODES))] = "global",
    nearest: Annotated[bool, typer.Option(
        "--nearest", help="reduce, for animations with one palette, undithered: map every "
        "pixel of every frame onto its nearest entry, as a still's, for the best PSNR "
        "(without it, a pixel may take a neighbour's or the previous frame's entry within "
        "ΔE 2, for a smaller file).")] = False,
    weights: Annotated[list[str] | None, typer.Option(
        "-w", "--weight", metavar="NAME=VALUE",
        help="segment: feature weight NAME=VALUE (color, intensity, xy, texture; VALUE 0 or a "
        "number from 1e-6 to 1e6, defaults as quantize segment --help lists them); "
        "repeatable.", autocompletion=offering(weight_names))] = None,
    min_region: Annotated[str | None, typer.Option(
        "--min-region", metavar="PX", parser=min_region_value,
        help="segment: merge regions smaller than PX pixels, or than a percentage of each "
        "image's pixels (0.1%) "
        "(default with -k: 1/1000 of the image, at least 16; under 100 x 100 pixels "
        "1/625 of it, at least 4; otherwise 0, keep all); more than half of an image "
        "leaves it one region, with a warning.")] = None,
    overlay_color: Annotated[str | None, typer.Option(
        "--overlay-color", metavar="COLOUR", help="segment: colour of the borders in "
        "overlay.png, a colour name (cyan, yellow, black, ...) or #rrggbb (default red).",
        show_default=False, autocompletion=offering(color_names))] = None,
    seed: SeedOption = 0,
    max_pixels: BatchMaxPixelsOption = DEFAULT_MAX_PIXELS,
    max_frames: BatchMaxFramesOption = DEFAULT_MAX_FRAMES,
    recursive: Annotated[bool, typer.Option(
        "-r", "--recursive", help="Include sub-folders. Symbolic links to folders are not "
        "followed, nor folders of quantize's outputs searched (segment's photo.segments/, "
        "an earlier batch's OUT_DIR); each is reported as skipped.")] = False,
    glob: Annotated[list[str] | None, typer.Option(
        "--glob", metavar="PATTERN",
        help="Only files whose path relative to INPUT_DIR matches PATTERN, matched from "
        "the end: *.jpg matches a.jpg and sub/a.jpg (** spans folders; case-sensitive: "
        "*.jpg does not match A.JPG; [*], [?] and [[] match a literal *, ? or [: "
        "'v[*].jpg' matches v*.jpg alone; one ending in / selects the files under the "
        "folders it names, one without a wildcard a file or a folder's files; replaces "
        "the image-extension filter, which ignores case); repeatable, a file matching "
        "any is taken: --glob '*.png' --glob '*.gif'. Hidden files and folders (names "
        "starting with '.') are never searched.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="PATTERN",
        help="Leave out the files whose path relative to INPUT_DIR matches PATTERN, "
        "matched as --glob is, even those --glob or their extension selects: --exclude "
        "'*.min.png', --exclude thumbs/ (the files under every folder named thumbs; "
        "thumbs, without a wildcard, also a file of that name); "
        "repeatable. Their outputs of earlier runs are left in place, as orphans "
        "(--remove-orphans removes them).")] = None,
    jobs: Annotated[int | None, typer.Option(
        "-j", "--jobs", parser=integer, metavar="N",
        help="Worker processes (default: number of CPUs; at most 4 per CPU).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS", help="Run on a dask.distributed cluster at ADDRESS "
        "(tcp://host:8786); every worker must see INPUT_DIR and OUT_DIR at the same paths "
        "(shared storage), which is checked first, and again by each file on its worker "
        "(for workers that join later). Needs dask.distributed (pip install "
        "'dask[distributed]>=2024.1', the version quantize requires).")] = None,
    worker_timeout: Annotated[float | None, typer.Option(
        "--worker-timeout", metavar="SECONDS", parser=number, help="With --scheduler: give up "
        "once no worker has been connected for SECONDS (at the start too); the files left are "
        "'not reached', exit 75, and a rerun finishes them. Default: wait until a worker "
        "joins, saying so when the last one leaves and every 5 minutes.",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Redo every file, also those whose outputs exist and whose "
        "inputs did not change (but for the outputs that a --force run with the same options "
        "made before it was stopped: the same command finishes it); replace a --report or "
        "--html file that is not a quantize report.")] = False,
    shared_palette: Annotated[bool, typer.Option(
        "--shared-palette", help="reduce: fit one palette on colours sampled from all "
        "images (20,000 pixels each; past 100 images an equal share of 2,000,000) and map "
        "every image onto it, e.g. a zoom level of map tiles, with no seam where they meet: "
        "quantize batch tiles/ -o out/ -r -k 128 --shared-palette.")] = False,
    shared_classes: Annotated[bool, typer.Option(
        "--shared-classes", help="segment, with -k K: fit K k-means classes once on feature "
        "vectors sampled from all images (saved as OUT_DIR/shared-classes.json) and assign "
        "every image's pixels to them, so that class i is the same colour and texture in "
        "every output; -w xy defaults to 0 and must be 0 (positions differ between images). "
        "Also writes OUT_DIR/classes.csv (file, class, pixels, fraction, mean_color, "
        "valid_fraction: of the pixels not no data nor transparent) and "
        "OUT_DIR/class-legend.csv (each class's mean colour and area over the folder, "
        "fraction and valid_fraction). Local only (not with --scheduler).")] = False,
    classes_in: Annotated[Path | None, typer.Option(
        "--classes-in", metavar="FILE", help="segment: assign every image's pixels to the "
        "k-means classes saved in FILE (a shared-classes.json of an earlier batch, or "
        "quantize.classes.SharedClasses.save) instead of fitting k-means on each image, as "
        "segment --classes-in does; -k, -w and --space are FILE's (given, they must match). "
        "Also writes OUT_DIR/classes.csv and OUT_DIR/class-legend.csv. Not with "
        "--shared-classes.",
        show_default=False, parser=file_name)] = None,
    class_order: Annotated[str | None, typer.Option(
        "--class-order", metavar="kmeans|lightness", parser=choice_word(class_orders),
        help="segment, with -k or --classes-in: number the classes as k-means found them "
        "(kmeans, the default) or by increasing lightness, the darkest 0 (lightness), as "
        "segment --class-order does; with --shared-classes, shared-classes.json is saved in "
        "that order, and classes.csv and class-legend.csv follow it: quantize batch slices/ "
        "-o out --mode segment -k 4 --stretch --shared-classes --class-order lightness.",
        show_default=False, autocompletion=offering(class_orders))] = None,
    report_name: Annotated[str | None, typer.Option(
        "--report", metavar="FILE",
        help="Write per-file results to FILE (.json or .csv; UTF-8, a CSV "
        "with a byte order mark so that spreadsheets read it as UTF-8). Every JSON row has "
        "the same keys, null where a file has no value, false for a flag not set, and a CSV "
        "the same columns in every report; 'skipped' says why a skipped file "
        "was: done (by an earlier run), larger (--skip-if-larger), no_record, folder, "
        "palette_in, special, quality or link (a link to a file outside INPUT_DIR, not "
        "read) (null for a file not skipped).",
        parser=file_name)] = None,
    html_name: Annotated[str | None, typer.Option(
        "--html", metavar="FILE", help="Write a self-contained page to FILE (.html or .htm): "
        "before/after thumbnails, palette swatches, metrics and failures, under the command "
        "and the time it ran. A rerun takes the thumbnails of unchanged files from the page "
        "it replaces.", show_default=False,
        parser=file_name)] = None,
    remove_orphans: Annotated[bool, typer.Option(
        "--remove-orphans", help="Remove the outputs earlier runs made from files that are not "
        "among this run's inputs (deleted, renamed, or not selected by INPUT_DIR, --glob, "
        "--exclude or -r: a run on part of the folder removes the other parts' outputs), "
        "and those a "
        "killed run left unfinished under names this run does not make, one line each; "
        "only the files a run wrote, as it wrote them: one changed since is left, and "
        "said.")] = False,
    quiet: Annotated[bool, typer.Option(
        "-q", "--quiet", help="Print only warnings and errors on stderr, no line per file "
        "and no summary line, as reduce -q and segment -q; none either for a file kept "
        "from being written as larger than its input (exit 98 says it), unless an output "
        "is left at its name.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object per file on stdout as it settles: input, "
        "output, status, skipped, reason, then its metrics (a --report row, each with the "
        "same keys, null where a file has no value, false for a flag not set; its "
        "warnings go to stderr); after "
        "Ctrl-C or an error that stops the run, one for each file not "
        "reached (status 'not reached'), each a second Ctrl-C abandoned (status "
        "'abandoned') and each whose output another worker finished as the run stopped, "
        "unrecorded (status 'finished unrecorded'); the summary goes to stderr.")] = False,
) -> None:
    """Reduce or segment every image in INPUT_DIR into OUT_DIR, in parallel.

    Finished files are skipped, so rerunning after an interruption completes the
    batch; a file changed since its output was made (size, time and content) is
    redone, and said so (if the redo fails, the earlier output is left in place and
    said to be stale), as is a file whose output was emptied or deleted since. An output
    changed otherwise since (by an optimiser, say) is kept, and the reports say
    that its figures are those it was made with. Outputs made with other options are refused unless
    --force (which redoes every file) is given. An output an earlier run made of
    a file under another name (an animation that became a still: x.gif, now
    x.png) is removed once the new one is there, and said so; an output whose
    file is no input of this run (deleted, renamed, or not selected) is left in
    place, in no report: a warning line names it the first time a run finds it
    so (not again at later runs), and the summary line counts such outputs;
    --remove-orphans removes them. Once no output is mapped onto the palette a
    --shared-palette run saved (--force redid them all), a run without that
    option removes it, and says so.

    Progress is a bar on stderr when stdout and stderr are both terminals, and
    otherwise one line per file on stdout (so `> log` gets a line per file, a
    failed file's with the reason its error line gives).
    """
    from .. import batch as lib

    # kept as typed for the lines to name the files so: ./-in/a.png, not -in/a.png
    named = _AsTyped(input_name, output_name)
    input_dir, output_dir = path(input_name), path(output_name)
    # --dither=LEVEL does not apply to segment mode, whatever LEVEL is: refused for the mode
    # (below), not for its value, it is left unread
    level_elsewhere = mode == "segment" and dither_level is not None
    strength = None if level_elsewhere else dither_strength(dither, dither_level)
    if quiet and as_json:
        refuse_both("-q/--quiet", "--json")
    show = "quiet" if quiet else "json" if as_json else "lines"
    with _error_as_json(show):  # with --json, also as an object on stdout
        # their defaults typed count too
        typed_here = _typed_here(ctx, "dither", "palette", "max_frames")
        given = {"--quality": quality is not None, "--quality-limit": quality_limit is not None,
                 "--max-bytes": max_bytes is not None,
                 "--dither": bool(strength) or level_elsewhere or "dither" in typed_here,
                 "--optimize": optimize, "--skip-if-larger": skip_if_larger,
                 "--copy-if-larger": copy_if_larger,
                 "--exact-colors": exact_colors, "--palette-in": palette_in is not None,
                 "--palette-fitted": palette_fitted, "--matte": matte is not None,
                 "--fixed-color": bool(fixed_color), "--palette-out": palette_out is not None,
                 "--transparent-color": transparent_color is not None,
                 "--strip": strip, "--keep-gps": keep_gps, "--nearest": nearest,
                 "--shared-palette": shared_palette,
                 "--palette": palette != "global" or "palette" in typed_here,
                 "--ext": ext is not None, "--max-frames": "max_frames" in typed_here,
                 "--regions": regions is not None, "--superpixels": superpixels is not None,
                 "--smooth": smooth is not None, "--working-size": working_size is not None,
                 "--edges": edges, "--classes": classes, "--stretch": stretch,
                 "--stretch-clip": stretch_clip is not None,
                 "--stretch-curve": stretch_curve is not None,
                 "--stretch-softening": stretch_softening is not None,
                 "--stretch-range": stretch_range is not None,
                 "--shared-classes": shared_classes, "--classes-in": classes_in is not None,
                 "--class-order": class_order is not None,
                 "-w/--weight": bool(weights),
                 "--min-region": min_region is not None,
                 "--overlay-color": overlay_color is not None}
        with user_errors():
            check_choice(mode, "--mode", _MODES)
            _check_mode_options(mode, given)
            _check_run_options(jobs, scheduler, report_name, html_name, output_dir, force)
            _check_worker_timeout(worker_timeout, scheduler)
            if shared_palette and (quality is not None or palette_in is not None
                                   or max_bytes is not None):
                other = ("--quality" if quality is not None else "--palette-in"
                         if palette_in is not None else "--max-bytes")
                raise ValueError(f"--shared-palette and {other} both given; expected "
                                 "--shared-palette with -k/--colors")
            if shared_classes:
                _check_shared_classes(colors, scheduler, classes_in)
            _check_shared_palette_out(palette_out, shared_palette)
            if shared_palette and palette == "per-frame":
                raise ValueError("--shared-palette and --palette='per-frame' both given; expected "
                                 "one of them (a shared palette is one palette for every frame "
                                 "of every image)")
            # plain --dither as typed, as reduce gives it: a refusal names it --dither, not
            # --dither=1
            typed = True if dither and dither_level is None else strength
            options = (_reduce_options(colors, quality, space, typed, exact_colors, palette_in,
                                       seed, optimize, skip_if_larger, palette, ext, quality_limit,
                                       palette_fitted, matte, max_bytes, fixed_color,
                                       transparent_color)
                       if mode == "reduce" else
                       _segment_options(colors, regions, edges, space, weights or [], min_region,
                                        overlay_color, seed, stretch, superpixels, smooth,
                                        working_size, classes, shared_classes, classes_in,
                                        class_order))
            options.update(_stretch_options(stretch, stretch_clip, stretch_curve,
                                            stretch_softening, stretch_range))
            if shared_palette and options.get("stretch"):
                raise ValueError("--shared-palette and a stretch both given; expected one of "
                                 "them (the shared palette is fitted to the files as read "
                                 "unstretched)")
            options["max_pixels"] = check_max_pixels(max_pixels, "--max-pixels")
            if mode == "reduce":  # segment reads a file's first frame only
                options["max_frames"] = check_max_frames(max_frames, "--max-frames")
            if copy_if_larger:  # left out when not given, as ext is
                options["copy_if_larger"] = True
            if strip:  # so too: the settings of earlier runs lack it
                options["strip"] = True
            if keep_gps:  # so too
                options["keep_gps"] = True
            if nearest:  # so too
                options["nearest"] = True
            if nodata is not None:  # so too: without it, a TIFF's GDAL_NODATA tag is read
                options["nodata"] = nodata_setting(nodata_given(nodata))
            if intent is not None:  # so too: the settings of earlier runs lack it
                options["intent"] = check_intent(intent)
            if ext is not None:
                options["ext"] = _check_ext(ext)
            _refuse_image_input(input_dir, mode)
        refuse_image_named_folder(output_dir, "batch writes an output for each image into it")
        # checked as typed (a final "/", which a Path drops, names a folder), then as paths
        report, html = (None if name is None else Path(name) for name in (report_name, html_name))
        refuse_quality_scale(quality)
        _note_unquoted_patterns(glob, exclude, input_dir, recursive)
        # out/new/../o is out/o: no out/new is made to reach it (and left behind, empty)
        output_dir = found_path(output_dir)
        refuse_closed_stdout(show)
        # One batch at a time in OUT_DIR, held from before the plan reads its manifest to the
        # end (the reports too); released by the system if this process is killed.
        with contextlib.ExitStack() as held:
            try:
                with user_errors():
                    # before planning
                    if scheduler is not None:
                        _check_workers(scheduler, worker_timeout)
                with user_errors(), _options_changed():
                    held.enter_context(lib.batch_lock(output_dir))
                    job = lib.reduce_mode() if mode == "reduce" else lib.segment_mode()
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", lib.ManifestUnreadableWarning)
                        warnings.simplefilter("ignore", QualityScaleWarning)  # typed, refused above
                        plan = lib.plan_batch(input_dir, output_dir, job, options=options,
                                              recursive=recursive, pattern=glob,
                                              exclude_pattern=exclude, force=force,
                                              shared_palette=shared_palette,
                                              shared_classes=shared_classes)
                    _say_planning_warnings(caught, output_dir)
                    # the tables of outputs assigned to classes, before this run redoes them
                    tabled = (mode == "segment" and not shared_classes and classes_in is None
                              and lib.classes_assigned(output_dir))
                    for name, target in (("report", report), ("html", html)):
                        if target is not None:
                            lib.check_report_clear_of_outputs(target, name, plan)
                            lib.check_report_not_an_input(target, name, input_dir, output_dir,
                                                          recursive=recursive, pattern=glob,
                                                          exclude_pattern=exclude)
                refuse_text_onto_files(_files_read_or_reported(plan, options, report, html))
                if not plan.total:
                    fail(_nothing_matched(input_dir, output_dir, recursive, (glob, exclude),
                                          plan.passed_over)
                         + (_NO_INPUT_NO_REMOVAL if remove_orphans and plan.unclaimed else ""),
                         USAGE_ERROR)
                _note_unmatched_patterns(plan, recursive)
                removed: list[lib.RemovedOutput] = []  # listed and counted by the reports
                if remove_orphans and plan.unclaimed:
                    plan, removed = _remove_orphans(plan, show)
                else:  # once: a rerun finding them so again does not repeat it
                    for line in _unclaimed_lines(plan):
                        warn(output_dir, line)
                for disowned in plan.disowned:  # said once: the run takes the pending entry back
                    warn(disowned, DISOWNED)
                note_jobs_capped(jobs, len(plan.jobs))  # the files to run, not those settled
                lost = None  # the cluster, gone while the shared palette's files were sampled
                if shared_palette:
                    plan, lost = _with_shared_palette(plan, jobs, scheduler, show, worker_timeout,
                                                      palette_out)
                if shared_classes:
                    plan = _with_shared_classes(plan, show)
            except KeyboardInterrupt:
                fail_interrupted("interrupted before any file was processed")
            results, summary, stopped, abandoned = _run(plan, jobs, scheduler, show, named,
                                                        worker_timeout, lost)
            unsettled = _unsettled(plan, results, stopped, abandoned)
            count = Counter(u.status for u in unsettled)  # the files left unsettled, by status
            if mode == "reduce" and not shared_palette:
                _remove_unused_palette(output_dir, show)
            if mode == "segment" and not shared_classes:
                _remove_unused_classes(output_dir, show, tabled)
            if shared_classes or classes_in is not None:
                _write_class_table(output_dir, results, show)
            if show == "json":  # one object for every file, as the reports have one row each
                _json_unsettled(unsettled, mode)
            written = [r.record for r in results if r.status == "ok"]
            note_idle_options(written, optimize=options.get("optimize", False),
                              per_frame=options.get("palette") == "per-frame",
                              every_file_written=len(written) == len(results) and not unsettled,
                              matte=options.get("matte") is not None,
                              nearest=options.get("nearest", False))
            # each report that cannot be written said in its line; the others, the summary
            # line and why the run stopped are said all the same
            reports, unwritten = _write_reports(
                results, summary, report, html, mode, options["max_pixels"],
                bool(options.get("dither")), options.get("palette") == "per-frame",
                command_line(ctx, "batch"), unsettled, input_dir,
                (len(plan.unclaimed), len(plan.unfinished)), removed,
                (plan.passed_over, len(plan.not_entered), _hidden_left_out(plan)),
                threads=_page_threads(jobs, scheduler, len(results) + len(unsettled)))
            rerun = _rerun_advice(force, command_line(ctx, "batch"))
            if quiet:  # a warning still, but one line for the files, not one each
                _say_limited(results, named, options)
            if not quiet:  # -q: nothing on success, as reduce -q and segment -q
                _print_summary(summary, reports, err=as_json,
                               unclaimed=len(plan.unclaimed), unfinished=len(plan.unfinished),
                               removed=removed,
                               passed=(plan.passed_over, len(plan.not_entered),
                                       _hidden_left_out(plan)),
                               abandoned=count[lib.ABANDONED],
                               not_reached=count[lib.NOT_REACHED] if summary.interrupted else 0,
                               stopped=(count[lib.NOT_REACHED], rerun,
                                        count[lib.FINISHED_UNRECORDED])
                               if stopped is not None and (count[lib.NOT_REACHED]
                                                           or count[lib.FINISHED_UNRECORDED])
                               and not summary.interrupted else None)
            if summary.interrupted:
                fail_interrupted(f"interrupted; {rerun}" if count[lib.NOT_REACHED]
                                 or count[lib.ABANDONED]
                                 else "interrupted once every file was done: nothing is left to "
                                 "rerun")
            _say_stopped(stopped)  # after the reports, which hold the files done and those not
            raise typer.Exit(summary.exit_code or unwritten)


def _note_unquoted_patterns(glob: Sequence[str] | None, exclude: Sequence[str] | None,
                            input_dir: str | os.PathLike[str], recursive: bool) -> None:
    """Warn, before any work, of each --glob or --exclude pattern without a wildcard that
    names a file of the current folder: likely an unquoted pattern the shell expanded into
    the one name it matched (``--glob *.jpg`` where a.jpg alone matches): only files of
    that very name (and those under folders of that name) are then taken (or left out).
    An exact name may be meant, so it is not refused; nor is a folder's name warned of,
    which selects that folder's files, as ``--exclude thumbs`` is meant, nor a pattern of
    slashes alone, which the plan refuses. Nor is any warned of when the current folder
    is ``input_dir``, searched without ``recursive``: there the shell's expansion takes
    the very files the pattern would, and a name quoted on purpose (``--glob noext``) is
    as likely."""
    if not recursive and same_file(input_dir, os.curdir):
        return
    for flag, pattern in _patterns_given(glob, exclude):
        if (any(c in pattern for c in "*?[") or not pattern.strip("/")
                or not os.path.lexists(pattern) or os.path.isdir(pattern)):
            continue
        done = "taken" if flag == "--glob" else "left out"
        warn(f"{flag}={quoted(pattern)}", f"no wildcard (*, ? or [), so only files of that "
             f"very name (and those under folders of that name) are {done}, and a file of "
             "that name is here: the shell expands an unquoted pattern into the names it "
             f"matches; quote it, as {flag} '*.jpg'")


def _note_unmatched_patterns(plan: "lib.BatchPlan", recursive: bool) -> None:
    """Warn of each --glob that took no file and each --exclude that left none out: no
    file the search saw matches it (a file's name in the wrong case, a path from /, a
    typo), saying what patterns are matched against, with a file found as the example."""
    from .. import batch as lib

    files = [*(job.input for job in plan.jobs),
             *(r.input for r in plan.settled if not lib.is_folder(r.record))]
    if not plan.unmatched or not files:
        return
    example = min(files).relative_to(plan.input_dir).as_posix()
    case = "" if PurePath("A").match("a") else ", case-sensitively,"  # as on Windows, or not
    against = (f"patterns are matched{case} against each file's path below "
               f"{quoted(plan.input_dir)}, such as {quoted(example)}"
               + ("" if recursive else "; without -r, the files at its top only"))
    for name, pattern in plan.unmatched:
        flag, done = ("--glob", "") if name == "pattern" else ("--exclude",
                                                               ", so it leaves none out")
        warn(f"{flag}={quoted(pattern)}", f"no file matches it{done} ({against})")


def _say_planning_warnings(caught: "list[warnings.WarningMessage]", output_dir: Path) -> None:
    """Say the warnings planning raised: one naming the manifest (it could not be read) of
    that file, any other of ``output_dir``."""
    from .. import batch as lib
    from ..batch.calls import warning_lines

    for w in caught:
        if isinstance(w.message, lib.ManifestUnreadableWarning):
            warn(w.message.path, w.message.reason)
    for line in warning_lines([w for w in caught
                               if not isinstance(w.message, lib.ManifestUnreadableWarning)]):
        warn(output_dir, line)


def _rerun_advice(force: bool, command: str) -> str:
    """What to run to finish a batch interrupted or stopped before the end: the same
    command, which with --force keeps the outputs this run made
    (:attr:`~quantize.batch.BatchPlan.finishing`).

    >>> _rerun_advice(True, "quantize batch in -o out -k 8 --force")
    'to finish, rerun: quantize batch in -o out -k 8 --force (with --force too, it keeps \
the outputs this run made and redoes only the files it did not reach)'
    """
    if not force:
        return "rerun the same command to finish"
    return (f"to finish, rerun: {command} (with --force too, it keeps the outputs this run "
            "made and redoes only the files it did not reach)")


def _refuse_image_input(input_dir: Path, mode: str) -> None:
    """Refuse an input that is a file, not a folder (``batch photo.jpg -o out``), pointing
    to the command for one image, as ``reduce`` points a folder to ``batch`` (exit 1, as
    for an input folder that cannot be read)."""
    if input_dir.is_file():
        output = "OUT.png" if mode == "reduce" else "OUT_DIR"
        raise ImageReadError(f"is a file, expected a folder of images; for this one image: "
                             f"quantize {mode} {shell_quoted(str(input_dir))} -o {output}",
                             path=input_dir)


def _check_run_options(jobs: int | None, scheduler: str | None, report: str | None,
                       html: str | None, output_dir: Path, force: bool) -> None:
    """Refuse bad run options, and report paths (as typed) that could not be written after
    the run."""
    from .. import batch as lib

    refuse_stdout_folder(output_dir, "batch")
    if jobs is not None and scheduler is not None:
        raise ValueError(f"-j/--jobs={jobs} and --scheduler={scheduler!r} both given; "
                         "expected one of them")
    if jobs is not None:
        check_int(jobs, "-j/--jobs", minimum=1)
    _refuse_reports_to_stdout(report, html)
    if report is not None:
        lib.check_report_path(report, output_dir=output_dir)
    if html is not None:
        from ..report import check_html_path

        check_html_path(html)
        lib.check_report_folder(html, "html", output_dir)
    _refuse_reports_landing_together(report, html)
    # said first: a report stdout was redirected to (and so made empty) is no other file
    refuse_text_onto_files((target, f"the --{name} file") for name, target in
                           (("report", report), ("html", html)) if target is not None)
    for name, target in (("report", report), ("html", html)):
        if target is not None:  # a report of an earlier run is replaced, another file is not
            lib.check_report_replaceable(target, name, force)
    if scheduler is not None:
        _require_distributed(scheduler)


def _check_worker_timeout(worker_timeout: float | None, scheduler: str | None) -> None:
    """Refuse a --worker-timeout that is below 0, or given without --scheduler (a local
    pool always has its workers)."""
    if worker_timeout is None:
        return
    check_float(worker_timeout, "--worker-timeout", minimum=0)
    if scheduler is None:
        raise ValueError(f"--worker-timeout={worker_timeout} given without --scheduler; "
                         "expected it with --scheduler (how long a run on a Dask cluster "
                         "waits for a worker)")


def _check_workers(scheduler: str, worker_timeout: float | None) -> None:
    """Warn, before planning, when no worker is connected to ``scheduler`` (the files wait
    for one, up to ``worker_timeout`` seconds when given), and when the workers run with
    Dask's ``MALLOC_TRIM_THRESHOLD_``, which slows them (one line, naming the fix)."""
    from .. import batch as lib

    if not lib.check_scheduler(scheduler):
        warn("--scheduler", f"no worker is connected to {scheduler}; the files wait until one "
             f"joins{_giving_up(worker_timeout)} (Ctrl-C to stop)")
        return
    trimming = lib.workers_trimming_malloc(scheduler)
    if trimming:
        (worker, value), n = next(iter(trimming.items())), len(trimming)
        others = f" (and {n - 1} more)" if n > 1 else ""
        warn("--scheduler", f"the Dask worker {worker}{others} runs with "
             f"MALLOC_TRIM_THRESHOLD_={value}, which Dask's nanny sets by default and which "
             "makes the files take up to twice as long; start the workers with "
             "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null in their Dask "
             "configuration (docs/batch.md, Memory settings of the workers)")


def _giving_up(worker_timeout: float | None) -> str:
    """How a line about the files waiting for a worker ends: when the run gives up.

    >>> _giving_up(None), _giving_up(90.0)
    ('', ', for up to --worker-timeout=90 s')
    """
    return "" if worker_timeout is None else f", for up to --worker-timeout={worker_timeout:g} s"


def _workers_said(scheduler: str, worker_timeout: float | None
                  ) -> Callable[[int, int, float], None]:
    """The ``on_workers`` of a run on ``scheduler``: a warning line when its last worker
    leaves, another every few minutes while none is back, and one when workers are back."""
    def said(n_workers: int, n_waiting: int, seconds: float) -> None:
        files = "1 file" if n_waiting == 1 else f"{n_waiting} files"
        if n_workers:
            workers = "1 worker is" if n_workers == 1 else f"{n_workers} workers are"
            warn("--scheduler", f"{workers} connected to {scheduler} again; the {files} left "
                 "go on")
        elif not seconds:
            warn("--scheduler", f"no worker is connected to {scheduler} any more; the {files} "
                 f"left wait until one joins{_giving_up(worker_timeout)} (Ctrl-C to stop)")
        else:
            warn("--scheduler", f"no worker has been connected to {scheduler} for "
                 f"{seconds / 60:.0f} min; the {files} left still wait"
                 f"{_giving_up(worker_timeout)} (Ctrl-C to stop)")

    return said


def _retry_said(named: "_AsTyped") -> Callable[[Path, str, int, int | None], None]:
    """The ``on_retry`` of a run on Dask: a warning line, naming the file as ``named`` says,
    for each time a file is run again because the worker that held it was lost (the most
    times it may be, when the scheduler says it)."""
    def said(input: Path, worker: str, n: int, of: int | None) -> None:
        count = f"{n} of {of}" if of is not None else f"retry {n}"
        warn(named.input(input), f"its worker {worker} was lost; retrying ({count})")

    return said


def _refuse_reports_to_stdout(report: str | None, html: str | None) -> None:
    """Refuse ``--report -`` and ``--html -`` as such, and a name of a file descriptor
    (``/dev/stdout``, :func:`~quantize.cli.common.names_a_descriptor`): "has no extension"
    would ask for one. Each is a file, of a format its extension picks, written beside its
    name and put in place once whole; stdout carries the run's lines, and ``--json`` puts
    every file's report row there."""
    for flag, name, what, instead in (
            ("--report", report, "report", "a .json or .csv file, or give --json for each "
             "file's report row on stdout (a JSON object a line)"),
            ("--html", html, "page", "an .html file")):
        if name == "-":
            raise ValueError(f"{flag}=-: the {what} is written to a file, not to stdout; "
                             f"name {instead}")
        if name is not None and names_a_descriptor(name):
            raise ValueError(f"{flag}={quoted(name)} names a file descriptor (stdout, "
                             f"stderr, /dev/fd/N), but the {what} is written to a file; name "
                             f"{instead}")


def _refuse_reports_landing_together(report: str | None, html: str | None) -> None:
    """Refuse a --report and an --html page that are one file through a link at either
    name (:func:`~quantize.io.shared_landing`): the page replaced the report, both said
    written."""
    from ..io import shared_landing

    if report is not None and html is not None and shared_landing([report, html]):
        raise ValueError(f"--report={quoted(report)} and --html={quoted(html)} are one file "
                         "through a link, where one would replace the other; remove the "
                         "link, or choose another path")


def _files_read_or_reported(plan: "lib.BatchPlan", options: dict[str, Any],
                            report: Path | None, html: Path | None
                            ) -> Iterator[tuple[Path, str]]:
    """The files a run reads (its inputs, a palette file) and its reports, each with what
    it is, for :func:`~quantize.cli.common.refuse_text_onto_files`: a stdout or stderr
    redirected to one is refused."""
    for job in plan.jobs:
        yield job.input, "an input"
    for result in plan.settled:
        yield result.input, "an input"
    if isinstance(palette := options.get("palette_in"), str | os.PathLike):
        yield Path(palette), "the --palette-in file"
    for flag, target in (("--report", report), ("--html", html)):
        if target is not None:
            yield target, f"the {flag} file"


def _unsettled(plan: "lib.BatchPlan", results: "list[lib.FileResult]",
               stopped: Exception | None, abandoned: Sequence[Path] = ()
               ) -> "list[lib.Unsettled]":
    """The inputs of ``plan`` without a result, in the order the reports number them:
    those the run did not reach, those it ``abandoned`` while they ran, and those whose
    outputs other workers finished, unrecorded, as ``stopped`` stopped it, each with its
    output (:func:`_finished_unrecorded`)."""
    from .. import batch as lib

    not_reached = _not_reached(plan, results, abandoned)
    unrecorded = _finished_unrecorded(plan, stopped, not_reached)
    apart = {u.input for u in unrecorded}
    return [*(lib.Unsettled(path, lib.NOT_REACHED) for path in not_reached
              if path not in apart),
            *(lib.Unsettled(path, lib.ABANDONED) for path in abandoned), *unrecorded]


def _not_reached(plan: "lib.BatchPlan", results: "list[lib.FileResult]",
                 abandoned: Sequence[Path] = ()) -> list[Path]:
    """The inputs of ``plan`` without a result: those the run did not reach (interrupted,
    or stopped by an error), but those it ``abandoned`` while they ran."""
    settled = {r.input for r in results} | set(abandoned)
    inputs = [r.input for r in plan.settled] + [job.input for job in plan.jobs]
    return [path for path in inputs if path not in settled]


def _json_unsettled(unsettled: "Sequence[lib.Unsettled]", mode: str = "reduce") -> None:
    """With ``--json``, the objects of the files a stopped run left ``unsettled`` (not
    reached, also those not done when the Dask cluster went away; abandoned while they
    ran; or finished unrecorded as it stopped), each its report row, with the keys of
    ``mode``'s."""
    for file in unsettled:
        _json_line(file.row(), mode)


def _json_line(row: dict[str, Any], mode: str) -> None:
    """A file's ``--json`` object: its JSON report row, every key of ``mode``'s rows in
    order (:func:`~quantize.batch.report_row`), without its warnings (said on stderr)."""
    import json  # here: the module is needed by --json only

    from .. import batch as lib

    row = lib.report_row(printable_data(row), mode)
    say(json.dumps({k: v for k, v in row.items() if k != "warnings"}))


def _page_threads(jobs: int | None, scheduler: str | None, n_files: int) -> int | None:
    """The threads that make the --html page's thumbnails once the files are done: as many
    as the local workers the batch starts for its ``n_files`` files (``--jobs``, or one per
    CPU), two images each (an input and an output), whose cores are free by then; None,
    the two shared threads, with ``--scheduler``, whose workers' cores are not this
    machine's. Prior validation of ``jobs`` is assumed."""
    from ..batch.executor_local import worker_count

    return None if scheduler is not None else worker_count(jobs, 2 * max(1, n_files))


def _write_reports(results: "list[lib.FileResult]", summary: "lib.BatchSummary",
                   report: Path | None, html: Path | None, mode: str,
                   max_pixels: int, dithered: bool, per_frame: bool, command: str,
                   unsettled: "Sequence[lib.Unsettled]", input_dir: Path,
                   unclaimed: tuple[int, int] = (0, 0),
                   removed: "Sequence[lib.RemovedOutput]" = (),
                   passed: tuple[Sequence[Path], int, int] = ((), 0, 0),
                   threads: int | None = None) -> tuple[list[Path], int]:
    """Write the --report file and the --html page; each has a row for each file the run
    left ``unsettled``. The page is titled with ``input_dir`` as given,
    names each file by its path from it; it and a JSON report count the outputs in no
    report, left in place, as the summary line does: ``unclaimed`` is their number and that
    of those a stopped run left unfinished (:func:`_print_summary`), and list and count
    those --remove-orphans ``removed``; both count too what the search ``passed`` over, as
    the summary line does. The page's thumbnails are made on ``threads`` threads
    (:func:`_page_threads`).

    Each is written whatever became of the other: one that cannot be (a full disk) is
    said in an error line of its own, and an earlier file of its name is left as it was.
    Returns the reports written, and the exit code of the last that could not be (0
    when none failed)."""
    from .. import batch as lib

    # By path, as the page lists them, not in the order files settled (skipped ones first,
    # then as the workers finished): the same batch gives the same report.
    results = sorted(results, key=lambda r: natural_key(str(r.input)))
    paths = {"--report": report, "--html": html}
    unwritten = [flag for flag, path in paths.items() if path is not None]
    earlier = {flag for flag in unwritten if os.path.lexists(paths[flag])}  # left if stopped

    def write_report(target: Path) -> None:
        lib.write_report(target, results, summary, unsettled=unsettled, mode=mode,
                         unclaimed=unclaimed[0], unfinished=unclaimed[1], removed=removed,
                         passed_over=passed[0], not_entered=passed[1], hidden=passed[2])

    def write_html(target: Path) -> None:
        from ..report import write_html_report

        # the page decodes no image the jobs refused (--max-pixels guards against bombs)
        write_html_report(target, results, summary, mode=mode, max_pixels=max_pixels,
                          dithered=dithered, per_frame=per_frame, command=command,
                          unsettled=unsettled, input_dir=input_dir,
                          unclaimed=unclaimed[0], unfinished=unclaimed[1], removed=removed,
                          passed_over=passed[0], not_entered=passed[1], hidden=passed[2],
                          threads=threads)

    written: list[Path] = []
    failed = 0
    try:
        for flag, write in (("--report", write_report), ("--html", write_html)):
            path = paths[flag]
            if path is None:
                continue
            try:
                with user_errors(), _report_folder(path) as target:
                    write(target)  # checked: its folder exists or lies in -o
            except typer.Exit as exc:  # its line said
                failed = exc.exit_code
                continue
            unwritten.remove(flag)
            written.append(path)
    except KeyboardInterrupt:  # the page reads every thumbnail: seconds on a large batch
        names = " and ".join(printable_line(f"{flag} {paths[flag]}") for flag in unwritten)
        them = "it" if len(unwritten) == 1 else "them"
        rest = " and to finish the files not reached" if unsettled else ""
        kept = (" (one an earlier run wrote is left as it was)" if earlier & set(unwritten)
                else "")
        fail_interrupted(f"interrupted while writing the reports: {names} not written{kept}; "
                         f"rerun the same command to write {them}{rest}")
    return written, failed


@contextlib.contextmanager
def _report_folder(path: Path) -> Iterator[Path]:
    """Make the folder of the report ``path`` where the system finds it, only the folders
    it needs (``out/new/../index.html`` makes no ``out/new``), for the block that writes
    the report, given the path to write it at (``out/index.html``: ``out/new/..`` leads
    nowhere without ``out/new``); remove them again if the block fails."""
    target = found_path(path)  # each ".." as the system takes it, after a link too
    with folder_made(target.parent):
        yield target


def _flags(message: str, shared: bool = False) -> str:
    """A file's ``message`` with the parameters named as the command's flags
    (:func:`as_flags`), but for ``output``, which names that file's output: in batch,
    ``-o`` is the output folder; and, in a ``shared`` palette's run, for ``palette_in``,
    which names the palette file the batch wrote (no --palette-in was given).

    >>> _flags("output='out/a.gif': GIF holds at most 65535 pixels a side; n_colors=3")
    "output='out/a.gif': GIF holds at most 65535 pixels a side; -k/--colors=3"
    >>> _flags("palette_in='out/shared-palette.json' holds 256 colours", shared=True)
    "--shared-palette file='out/shared-palette.json' holds 256 colours"
    """
    shared_names = {"palette_in": _SHARED_FILE} if shared else {}
    worded = as_flags(message, {"output": "output", **shared_names})
    own = f"; {PALETTE_FILE_ALPHA_ADVICE}"
    if shared and worded.endswith(own):  # the batch fitted that file: not the user's to edit
        worded = worded[:-len(own)] + _SHARED_ALPHA_ADVICE
    if shared:  # nor to mark one of its entries transparent, nor to choose among them
        worded = worded.replace(kept_for_transparency(True), kept_for_transparency(False))
        for room in (MAX_PALETTE - 1, MAX_PALETTE):
            worded = worded.replace(as_flags(choose_fewer_advice(True, room)), "")
    return worded


#: How a run with --shared-palette names the palette file its jobs map onto (palette_in).
_SHARED_FILE = "--shared-palette file"
#: The way out of a file the saved shared palette does not suit: a new fit, on every file.
_REFIT_SHARED = "rerun with --force to fit a new shared palette on every file"
#: The way to keep the translucent pixels of a file mapped onto a saved shared palette with
#: no translucent entry: a new fit, which samples that file too (with its alpha).
_SHARED_ALPHA_ADVICE = f"; {_REFIT_SHARED}, their translucent pixels too"


def _in_flags(result: "lib.FileResult", shared: bool = False) -> "lib.FileResult":
    """``result`` with its reason and warnings naming the command's flags (:func:`as_flags`):
    the terminal lines, the --report rows and the --html page show it so. ``result``
    itself when they already do. ``shared``: of a run with --shared-palette
    (:func:`_flags`), where a file that failed against the saved palette (one fitted on
    images without transparency, say) is told the way out: --force fits a new one."""
    from dataclasses import replace

    from ..batch import LEFT_OUT, LIMITED, NOT_REMOVED

    said = result.record.get("warnings")
    worded = [_flags(str(w), shared) for w in said] if isinstance(said, (list, tuple)) else None
    limited = result.record.get(LIMITED)  # --quality=0.5 was not reached ...: a list
    limited_worded = [_flags(str(w), shared) for w in limited] if limited else None
    kept = result.record.get(NOT_REMOVED)  # each earlier output left in place, with why
    whys = ({k: _flags(str(why), shared) for k, why in kept.items()} if isinstance(kept, dict)
            else None)
    out = result.record.get(LEFT_OUT)  # why it was left out of the shared palette's fit
    out_why = _flags(out, shared) if isinstance(out, str) else None
    reason = _flags(result.reason, shared)
    if shared and result.status == "failed" and _SHARED_FILE in reason:
        reason += f"; {_REFIT_SHARED}"
    if reason == result.reason and (worded is None or worded == list(said)) and \
            (whys is None or whys == kept) and out_why == out and \
            (limited_worded is None or limited_worded == list(limited)):
        return result
    record = {**result.record, **({} if worded is None else {"warnings": worded}),
              **({} if limited_worded is None else {LIMITED: limited_worded}),
              **({} if whys is None else {NOT_REMOVED: whys}),
              **({} if out_why is None else {LEFT_OUT: out_why})}
    return replace(result, reason=reason, record=record)


@contextlib.contextmanager
def _options_changed() -> Iterator[None]:
    """Say in the command's words that outputs were made with other options (exit 15)."""
    from ..batch.manifest import FixWords, OptionsChangedError, options_changed_fix

    try:
        yield
    except OptionsChangedError as exc:
        outputs = "output was" if exc.count == 1 else "outputs were"
        before, now = (_describe(s) for s in (exc.before, exc.now))
        fix = options_changed_fix(exc, FixWords("--force", "add --force", "options", "-o folder"))
        fail(f"{exc.path}: {exc.count} {outputs} made with {before}, while this run asks for "
             f"{now}; {fix}", exc.exit_code, failure_kind(exc))


def _describe(settings: dict[str, Any]) -> str:
    """Settings as the command's flags, as they are typed: ``-k/--colors=16, --space='lab'``.

    None, how the settings record an option left out, is shown as "(not given)", a
    seed recorded so, where no k-means runs (a ``--palette-in``, the region hierarchy),
    as "(not used)", an overlay colour left out as the default it drew;
    a flag as itself, or "no" and itself when it was off or left out (``--edges``, ``no
    --edges``; ``--stretch``, ``--strip`` and ``--keep-gps`` are recorded only when given);
    dithering as ``--dither``, ``--dither=0.5``, ``--dither=ordered`` or ``no --dither``;
    the weights as ``-w NAME=VALUE`` each; the overlay colour as ``#rrggbb``; a setting
    one side lacks where the other holds None (:data:`~quantize.batch.manifest.MISSING`)
    as the flag and "missing".

    >>> _describe({"edges": False, "dither": 0.5, "weights": {"color": 1.0, "xy": 0.25}})
    'no --edges, --dither=0.5, -w color=1 -w xy=0.25'
    >>> _describe({"overlay_color": [0, 255, 255]})
    '--overlay-color=#00ffff'
    >>> _describe({"n_clusters": None, "seed": None})
    '-k/--clusters=(not given), --seed=(not used)'
    >>> _describe({"overlay_color": None})
    '--overlay-color=#ff0000 (the default)'
    >>> _describe({"stretch": None, "keep_gps": None})
    'no --stretch, no --keep-gps'
    >>> from quantize.batch.manifest import MISSING
    >>> _describe({"n_clusters": MISSING, "edges": MISSING})
    '-k/--clusters missing, --edges missing'
    """
    from .._validation import shown_number
    from ..batch.manifest import MISSING
    from ..segment_file import OVERLAY_COLOR
    from .common import FLAGS, SWITCHES

    def one(key: str, value: Any) -> str:
        if value is MISSING:
            return f"{FLAGS.get(key, SWITCHES.get(key, key))} missing"
        flag = "--dither" if key == "dither" else SWITCHES.get(key)
        if key == "dither" and isinstance(value, str):  # --dither=ordered
            return f"--dither={value}"
        if key == "dither" and not isinstance(value, bool) and isinstance(value, int | float):
            if value not in (0, 1):
                return f"--dither={shown_number(value)}"
            value = bool(value)
        if flag is not None and (isinstance(value, bool) or value is None):
            return flag if value else f"no {flag}"  # None: left out, recorded only when given
        if key == "weights" and isinstance(value, dict):
            return " ".join(f"-w {name}={shown_number(float(w))}" for name, w in value.items())
        if key == "overlay_color" and value is None:  # left out: the default was drawn
            return one(key, list(OVERLAY_COLOR)) + " (the default)"
        if key == "overlay_color" and isinstance(value, list):  # as typed, #rrggbb
            return "--overlay-color=#" + "".join(f"{v:02x}" for v in value)
        shown = quoted(value) if isinstance(value, str) else repr(value)  # a path, say
        if value is None:
            shown = "(not used)" if key == "seed" else "(not given)"
        return as_flags(f"{key}={shown}")

    return ", ".join(one(k, v) for k, v in settings.items())


#: What the lines say of an output in no report, by whether a stopped run left it unfinished:
#: it may be of an input of this run, whose output is named otherwise now.
_UNCLAIMED = {False: "made by an earlier run from a file that is not among this run's inputs",
              True: "left unfinished by a stopped run under a name this run does not make"}


def _unclaimed_lines(plan: "lib.BatchPlan") -> list[str]:
    """The warnings about the outputs of ``plan`` in no report found so for the first time
    (``plan.newly_unclaimed``): one for the outputs of files not among the inputs, one for
    those a stopped run left unfinished, each counting those of its kind found so before."""
    lines, left = [], set(plan.unfinished)
    made = [str(job.output) for job in plan.jobs] + [
        str(result.output) for result in plan.settled if result.output is not None]
    for unfinished in (False, True):
        new = [p for p in plan.newly_unclaimed if (p in left) == unfinished]
        total = sum(1 for p in plan.unclaimed if (p in left) == unfinished)
        if new:
            lines.append(_unclaimed_line(new, total, unfinished=unfinished, made=made))
    return lines


def _unclaimed_line(outputs: list[Path], total: int, shown: int = 3,
                    unfinished: bool = False, made: Sequence[str] = ()) -> str:
    """Why ``outputs``, made by earlier runs (or, ``unfinished``, left unfinished by a stopped
    run) and found so for the first time, are in no line or report of this one, and that
    they are left in place; ``total`` counts those found so before too. A name that looks
    like another of them or of the outputs this run ``made`` (one name in two Unicode
    forms) is written by code point.

    >>> _unclaimed_line([Path("a.png"), Path("b.png")], 3, shown=1)[-118:-62]
    'in no report: a.png and 1 more (and 1 found so before); '
    >>> print(_unclaimed_line([Path("a")], 1, unfinished=True))
    ... # doctest: +NORMALIZE_WHITESPACE
    1 output left unfinished by a stopped run, under a name this run does not make, is left
    in place, in no report: a; later runs do not say it again (--remove-orphans removes them)
    """
    names = ", ".join(apart_by_code_point(list(map(str, outputs)), made)[:shown])
    more = f" and {len(outputs) - shown} more" if len(outputs) > shown else ""
    what = "1 output" if len(outputs) == 1 else f"{len(outputs)} outputs"
    verb = "is" if len(outputs) == 1 else "are"
    before = f" (and {total - len(outputs)} found so before)" if total > len(outputs) else ""
    if unfinished:
        name = "a name" if len(outputs) == 1 else "names"
        why = f"left unfinished by a stopped run, under {name} this run does not make,"
    else:
        why = ("made by an earlier run from a file that is not among this run's inputs "
               "(deleted, renamed, or not selected by INPUT_DIR, --glob, --exclude or -r)")
    return (f"{what} {why} {verb} left in place, in no report: {names}{more}{before}; later "
            "runs do not say it again (--remove-orphans removes them)")


def _remove_orphans(plan: "lib.BatchPlan",
                    show: str) -> "tuple[lib.BatchPlan, list[lib.RemovedOutput]]":
    """Remove the outputs of files not among ``plan``'s inputs (``plan.unclaimed``, those a
    stopped run left unfinished among them): a line for each removed (not with -q), a
    warning for each left in place, with why; ``plan`` with only those left as unclaimed,
    and those removed, for the reports."""
    from dataclasses import replace

    from .. import batch as lib

    with user_errors():
        removed, kept = lib.remove_unclaimed(plan)
    left = set(plan.unfinished)
    # a segment folder that also holds files of the user's is left, without the job's
    gone = [lib.RemovedOutput(old, old in left, old.is_dir()) for old in removed]
    if show != "quiet":
        for old in gone:
            what, kept_folder = ((f"the outputs in {old.output}", f"; {lib.FOLDER_LEFT}")
                                 if old.folder_left else (str(old.output), ""))
            say(printable_line(f"removed {what}, {_UNCLAIMED[old.unfinished]}{kept_folder}"),
                err=show == "json")
    for old, why in kept.items():
        warn(old, f"{_UNCLAIMED[old in left]}, is left in place: {why}")
    return replace(plan, unclaimed=list(kept), newly_unclaimed=[],
                   unfinished=[old for old in plan.unfinished if old in kept]), gone


def _remove_unused_palette(output_dir: Path, show: str) -> None:
    """Remove the palette an earlier --shared-palette run saved in ``output_dir`` once no
    output is mapped onto it any more (:func:`~quantize.batch.remove_unused_palette`): a
    line saying so (not with -q), or a warning when it is left in place, with why."""
    from .. import batch as lib

    _say_removed(lib.remove_unused_palette(output_dir), _UNUSED_PALETTE, show)


def _remove_unused_classes(output_dir: Path, show: str, tabled: bool) -> None:
    """Remove the classes an earlier --shared-classes run saved in ``output_dir`` once no
    output is assigned to them any more (:func:`~quantize.batch.remove_unused_classes`),
    said as :func:`_remove_unused_palette` says the palette's removal; and, once removed,
    the tables of the outputs assigned to them (:func:`~quantize.batch.remove_class_tables`),
    which describe outputs made again since, each said so too. So are the tables of outputs
    assigned to a --classes-in file, which no file of the folder holds: when outputs were
    assigned to classes before the run (``tabled``) and none is now."""
    from .. import batch as lib

    found = lib.remove_unused_classes(output_dir)
    _say_removed(found, _UNUSED_CLASSES, show)
    if found is not None and found[1] is None:
        why = _UNUSED_TABLE
    elif found is None and tabled and not lib.classes_assigned(output_dir):
        why = _UNASSIGNED_TABLE
    else:
        return
    for table in lib.remove_class_tables(output_dir):
        _say_removed(table, why, show)


def _say_removed(found: tuple[Path, str | None] | None, what: str, show: str) -> None:
    """A line saying that the file ``found`` (path, and why it was left in place, or None),
    ``what`` no output was made with any more, was removed (not with -q), or a warning
    when it was left in place; nothing when ``found`` is None."""
    if found is None:
        return
    path, why = found
    if why is not None:
        warn(path, f"{what}, is left in place: {why}")
    elif show != "quiet":
        say(printable_line(f"removed {path}, {what}"), err=show == "json")


#: Why the palette of an earlier --shared-palette run is removed (or would be).
_UNUSED_PALETTE = "the palette of an earlier --shared-palette run, which no output is mapped onto"
#: Why the classes of an earlier --shared-classes run are removed (or would be).
_UNUSED_CLASSES = ("the classes of an earlier --shared-classes run, which no output is "
                   "assigned to")
#: Why a table of the outputs of such a run (classes.csv, class-legend.csv) is removed with them.
_UNUSED_TABLE = ("a table of the outputs of an earlier --shared-classes run, which no output "
                 "is assigned to any more")
#: Why a table of the outputs of an earlier --classes-in run is removed.
_UNASSIGNED_TABLE = ("a table of the outputs of an earlier run with --classes-in, which no "
                     "output is assigned to any more")


def _nothing_matched(input_dir: Path, output_dir: Path, recursive: bool,
                     patterns: tuple[Sequence[str] | None, Sequence[str] | None],
                     passed_over: Sequence[Path] = ()) -> str:
    """Why a batch found no file: the folder is empty, or none matched (the files left out
    for their extension, ``passed_over``, named by it), and what to try; ``patterns``: the
    --glob and --exclude patterns given."""
    from .. import batch as lib

    glob, exclude = patterns
    chosen = lib.Selection.of(glob, exclude)
    hidden = _hidden_matches(input_dir, chosen)
    if not any(not entry.name.startswith(".") for entry in input_dir.iterdir()):
        if hidden:
            return f"INPUT_DIR={quoted(input_dir)}: nothing to search{hidden}"
        return f"INPUT_DIR={quoted(input_dir)} is empty; expected a folder of images"
    line = f"INPUT_DIR={quoted(input_dir)}: {_none_matches(glob, exclude)}"
    line += ("" if recursive else " (sub-folders not searched)") + hidden
    line += "".join(f"; {n}" for n in lib.passed_over_counts(passed_over, 0))
    if not recursive:
        below = lib.find_images(input_dir, recursive=True, pattern=glob, exclude=output_dir,
                                exclude_pattern=exclude)
        if below:
            line += f"; {len(below)} in sub-folders: add -r/--recursive"
    elif not chosen:  # no pattern given: none left them out
        line += "; --glob PATTERN selects files by name"
    return line


def _none_matches(glob: Sequence[str] | None, exclude: Sequence[str] | None) -> str:
    """What no file of a search did: match a --glob (or have an image extension), and
    then match no --exclude.

    >>> _none_matches(["*.png", "*.gif"], ["a*"])
    "no file matches --glob='*.png' --glob='*.gif' and not --exclude='a*'"
    >>> _none_matches(None, ["*.jpg"])
    "no file has an image extension (.jpg, .png, .tif, .webp, ...) and matches no --exclude='*.jpg'"
    """
    taken = (" ".join(f"--glob={quoted(p)}" for p in glob) if glob else "")
    what = (f"no file matches {taken}" if glob
            else "no file has an image extension (.jpg, .png, .tif, .webp, ...)")
    if not exclude:
        return what
    left = " ".join(f"--exclude={quoted(p)}" for p in exclude)
    return what + (f" and not {left}" if glob else f" and matches no {left}")


def _hidden_left_out(plan: "lib.BatchPlan") -> int:
    """The hidden files the search of ``plan`` left out that it would otherwise have taken
    (``plan.hidden``), but for those a batch keeps for itself (its manifest, lock and probe
    files, in an output folder that is the input folder), as :func:`_hidden_matches`
    leaves them out."""
    from .. import batch as lib

    return sum(1 for path in plan.hidden if not lib.kept_by_batch(path.name))


def _hidden_matches(input_dir: Path, chosen: "lib.Selection") -> str:
    """What a search that found nothing left out as hidden: the files of ``input_dir`` whose
    names start with "." and that it would otherwise select (``chosen``: by --glob and
    --exclude, or by an image extension) ("" if none), but for those a batch keeps for
    itself (an output folder's manifest and probe files).
    """
    from .. import batch as lib

    names = sorted(e.name for e in input_dir.iterdir()
                   if e.name.startswith(".") and e.is_file() and chosen.takes(PurePath(e.name))
                   and not lib.kept_by_batch(e.name))
    if not names:
        return ""
    which = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    return (f"; hidden files (names starting with '.') are never searched, as {which}; "
            "rename them to process them")


def _check_mode_options(mode: str, given: Mapping[str, bool]) -> None:
    """Refuse an option of the other mode than ``mode`` that ``given`` marks given (the
    options of :data:`_REDUCE_ONLY` and :data:`_SEGMENT_ONLY` it leaves out are not)."""
    other = _SEGMENT_ONLY if mode == "reduce" else _REDUCE_ONLY
    for name in other:
        if given.get(name, False):
            raise ValueError(f"{name} does not apply to --mode {mode}; expected it only with "
                             f"--mode {'segment' if mode == 'reduce' else 'reduce'}")


def _check_ext(ext: str) -> str:
    """``--ext``, checked as reduce checks its own (each output is named in OUT_DIR), or
    ``same`` (:data:`~quantize.batch.modes.SAME_NAME`), in any case."""
    from ..batch.modes import SAME_NAME
    from ..reduce import check_ext

    if choice_word((SAME_NAME,))(ext) == SAME_NAME:  # in any case, as the words of other options
        return SAME_NAME
    return check_ext(
        ext, "--ext", where=", which is written in OUT_DIR, in the folder that mirrors its "
        "input's")


def _require_distributed(scheduler: str) -> None:
    from .. import batch as lib

    try:
        lib.require_distributed(scheduler)
    except lib.MissingDependencyError as exc:  # "scheduler=..." written as --scheduler=...
        fail(printable_line(as_flags(str(exc))), USAGE_ERROR)


def _reduce_options(colors: int | None, quality: float | None, space: str | None,
                    dither: bool | float | str | None, exact_colors: bool, palette_in: Path | None,
                    seed: int, optimize: bool, skip_if_larger: bool,
                    palette: str, ext: str | None = None,
                    quality_limit: float | None = None,
                    palette_fitted: bool = False, matte: str | None = None,
                    max_bytes: str | None = None,
                    fixed_color: list[str] | None = None,
                    transparent_color: str | None = None) -> dict[str, Any]:
    from ..reduce.fit import DEFAULT_COLORS, check_fixed_colors
    from ..reduce.options import (
        check_budget_alone,
        check_matte,
        check_palette_alone,
        check_palette_mode,
        check_quality_limit,
        fixed_hex,
    )
    from ..reduce.records import hex_color

    check_palette_alone("palette_in", palette_in, colors, quality, exact_colors)
    options: dict[str, Any] = {"exact_colors": exact_colors, "seed": seed,
                               "optimize": optimize, "skip_if_larger": skip_if_larger,
                               "palette": check_palette_mode(palette)}
    check_palette_mode_alone(palette, colors, quality, palette_in)  # before any file
    check_palette_fitted_given(palette_fitted, palette_in)
    if dither is not None:
        options["dither"] = dither
    if space is not None:
        options["space"] = check_choice(space, "--space", segment_spaces())
    if palette_in is not None:
        from ..palette_files import check_palette_path

        # named as the option, as reduce does
        check_palette_path(palette_in, "palette_in", images=True)
        if colors is not None:  # the best K of its colours, every output indexed
            options["n_colors"] = _check_colors(colors, None, ext)
        options["palette_in"] = _check_palette_file(palette_in, options.get("n_colors"))
        if palette_fitted:  # left out when not given: earlier runs' settings lack it
            options["palette_fitted"] = True
    else:  # with --quality, -k is the most colours allowed (as for quantize reduce)
        if quality is not None:
            options["quality"] = check_float(quality, "--quality", minimum=0.0)
        if colors is not None:
            options["n_colors"] = _check_colors(colors, quality, ext)
    if quality_limit is not None:  # left out when not given: earlier runs' settings lack it
        options["quality_limit"] = check_quality_limit(quality_limit, options.get("quality"))
    if matte is not None:  # so too; as #rrggbb, which the settings compare as written
        options["matte"] = hex_color(check_matte(matte, "--matte"))
    fixed_color = fixed_colors_given(fixed_color)  # a list, a palette file: one colour each
    if fixed_color:  # so too; as #rrggbb, in their order
        if palette_in is not None and colors is None:
            raise ValueError("--fixed-color goes with a fit, or with -k beside --palette-in "
                             "(entries pinned among those chosen), not with --palette-in "
                             "alone: give the fixed colours as the palette's own entries")
        most = colors if colors is not None else None if quality is not None else DEFAULT_COLORS
        options["fixed_colors"] = fixed_hex(check_fixed_colors(fixed_color, most,
                                                               "--fixed-color"), fixed_color)
    if max_bytes is not None:  # so too; in bytes, as the settings hold it
        options["max_bytes"] = check_budget_alone(max_bytes, options.get("quality"),
                                                  palette_in)
    if transparent_color is not None:  # so too; as #rrggbb or "edge"
        options["transparent_color"] = _transparent_color(transparent_color, palette_in)
    return options


def _transparent_color(color: str, palette_in: Path | None) -> str:
    """``--transparent-color`` checked, as ``#rrggbb`` or ``edge``, which the settings
    compare as written; refused with ``--palette-in``, as reduce refuses it."""
    from ..reduce.options import check_transparent_color
    from ..reduce.records import hex_color

    checked = check_transparent_color(color, "--transparent-color")
    if palette_in is not None:
        raise ValueError(f"--transparent-color={color!r} goes with a fit, not with "
                         "--palette-in: give the colour as the palette's own entry of alpha "
                         "0 (ff00ff00 in a .hex file)")
    return checked if isinstance(checked, str) else hex_color(checked)


def _check_shared_palette_out(palette_out: str | None, shared_palette: bool) -> None:
    """Refuse ``--palette-out`` without ``--shared-palette``, or not a bare file name with a
    palette file's extension (it is written in OUT_DIR)."""
    from ..palette_files import check_palette_path

    if palette_out is None:
        return
    if not shared_palette:
        raise ValueError(f"--palette-out={quoted(palette_out)} writes the shared palette; "
                         "expected it with --shared-palette (each file's own palette is "
                         "reduce --palette-out's)")
    if Path(palette_out).name != palette_out or palette_out in (".", ".."):
        raise ValueError(f"--palette-out={quoted(palette_out)} should be a file name, "
                         "written in OUT_DIR; got a path")
    check_palette_path(palette_out, "--palette-out")


def _check_colors(colors: int, quality: float | None = None, ext: str | None = None) -> int:
    """``-k`` of ``--mode reduce``: every output is indexed, so 1 to :data:`MAX_PALETTE`,
    unless ``ext`` names outputs in RGB (.jpg, .webp, .tif:
    :func:`~quantize.batch.modes.holds_more_colors`); with ``quality``, where it is only
    the most colours allowed, what ``quantize reduce`` takes (the batch's checks cap it at
    :data:`MAX_PALETTE`, as reduce caps it for an indexed output, after refusing it beside
    ``--dither``, as reduce does)."""
    from ..batch.modes import holds_more_colors

    if quality is None and not holds_more_colors(ext):
        return check_int(colors, "-k/--colors", minimum=1, maximum=MAX_PALETTE)
    from ..reduce.fit import check_n_colors

    return check_n_colors(colors)


def refused_reduce_options(colors: int | None, palette_in: Path | None,
                           quality: float | None = None,
                           ext: str | None = None) -> dict[str, str]:
    """Of options ``quantize reduce`` accepted, those ``batch --mode reduce`` refuses, each
    named as typed (``-k 300``) with why; what ``reduce`` leaves out of the batch call it
    proposes for a folder (:func:`quantize.cli.common.folder_hint`).

    The checks are batch's own: every output indexed (at most 256 colours, unless ``-k``
    is only the most allowed, beside ``quality``, or ``ext`` names outputs in RGB; and a
    ``--palette-in`` file its images can hold). ``--palette per-frame`` with ``--quality``
    or ``--palette-in``, which batch refuses too, reduce refuses before it looks at its
    files (:func:`~quantize.cli.common.check_palette_mode_alone`).

    >>> refused_reduce_options(300, None)
    {'-k 300': 'batch writes indexed images, of at most 256 colours'}
    >>> refused_reduce_options(300, None, quality=3.0)
    {}
    >>> refused_reduce_options(300, None, ext=".tif")
    {}
    """
    refused: dict[str, str] = {}
    try:
        if colors is not None:
            _check_colors(colors, quality, ext)
    except ValueError:
        refused[f"-k {colors}"] = f"batch writes indexed images, of at most {MAX_PALETTE} colours"
    if palette_in is not None:
        entries = read_palette_in_once(palette_in)
        try:
            if colors is None:  # -k chooses the best of its colours
                _check_palette_size(entries, palette_in)
        except ValueError:
            refused["--palette-in"] = (f"batch writes indexed images, of at most {MAX_PALETTE} "
                                       "colours, fewer than the file holds")
        else:
            if not _draws_any(entries):
                refused["--palette-in"] = ("batch refuses a palette whose every entry is fully "
                                           "transparent (alpha 0)")
    return refused


def _check_palette_file(palette_in: Path, colors: int | None = None) -> Path:
    """Read the ``--palette-in`` file once: a bad file is named once (exit 1), as reduce
    names it, and one with more colours than any output holds (without ``colors``, the
    checked ``-k`` that chooses the best of them) or fewer than ``colors``, or whose every
    entry is fully transparent, is a usage error (exit 2), as ``-k 300`` is, rather than
    the same failure for every file; the warnings about the file's format, which say why
    it may read so, are then said once before it.
    """
    from ..reduce.options import check_palette_draws, check_subset_size, visible_entries

    palette = read_palette_in_once(palette_in)
    if colors is None:
        _check_palette_size(palette, palette_in)
    elif _draws_any(palette):
        check_subset_size(colors, visible_entries(palette).shape[0],
                          f"--palette-in={quoted(palette_in)}")
    if not _draws_any(palette):
        _say_palette_warnings(palette_in)
        check_palette_draws(visible_entries(palette), None,
                            f"--palette-in={quoted(palette_in)}", any_image=True)
    return palette_in


def _draws_any(palette: Any) -> bool:
    """Whether some entry of the ``--palette-in`` palette is not fully transparent."""
    from ..reduce.options import visible_entries

    return visible_entries(palette).shape[0] > 0


def _say_palette_warnings(palette_in: Path) -> None:
    """Say the warnings about the format of the ``--palette-in`` file (which each file's
    job says on its line, once the file is accepted), reading it again."""
    from ..palette_files import PaletteFormatWarning, read_palette

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PaletteFormatWarning)
        read_palette(palette_in)
    for w in caught:
        if issubclass(w.category, PaletteFormatWarning):
            warn("--palette-in", str(w.message))


def _check_palette_size(palette: Any, palette_in: Path) -> None:
    """Refuse a ``--palette-in`` palette of more colours than any output holds, with the
    advice ``reduce`` gives (:func:`~quantize.reduce.options.choose_fewer_advice`): -k N
    chooses the best N of its entries, and numbers them anew.

    Every output is indexed; an animation draws fewer entries of a palette with alpha
    than a still image (:func:`~quantize.reduce.options.entries_drawn`), so a palette
    that only an animation can hold is left to each file's job, which applies the rule
    ``quantize reduce`` applies to that file.
    """
    from ..reduce.options import entries_drawn
    from ..reduce.result import GIF_ALPHA_THRESHOLD

    still, animated = (entries_drawn(palette, animated=a) for a in (False, True))
    if animated > MAX_PALETTE:
        some = "" if animated == still else \
            f" ({animated} of them of alpha >= {GIF_ALPHA_THRESHOLD}, which an animation draws)"
        raise ValueError(f"--palette-in={quoted(palette_in)} holds {still} colours{some}, more "
                         f"than a palette image holds: at most {MAX_PALETTE} colours (batch "
                         "writes every output as an indexed image)"
                         f"{as_flags(choose_fewer_advice(True))}; or use fewer colours")


def _stretch_options(stretch: bool, stretch_clip: float | None, stretch_curve: str | None,
                     stretch_softening: float | None, stretch_range: Any) -> dict[str, Any]:
    """The stretch options of either mode, checked as reduce and segment check them
    (:func:`~quantize.io.stretch.check_stretch_range` and the others), each only when
    given, so that the settings recorded before they were added match a run without
    them: ``stretch`` true, ``stretch_clip`` above 0, ``stretch_curve`` and
    ``stretch_softening`` (:func:`~quantize.io.stretch.curve_record`) and
    ``stretch_range``, the fixed range as a list.

    >>> _stretch_options(False, None, None, None, None)
    {}
    >>> _stretch_options(False, None, "sqrt", None, (0, 4095))
    {'stretch': True, 'stretch_curve': 'sqrt', 'stretch_range': [0.0, 4095.0]}
    """
    from ..io.stretch import check_stretch, stretch_given

    return stretch_given(check_stretch(
        stretch, 0.0 if stretch_clip is None else stretch_clip, stretch_curve or "linear",
        stretch_softening, stretch_range, names=("--stretch", "--stretch-clip",
                                                 "--stretch-curve", "--stretch-softening",
                                                 "--stretch-range")))


def _segment_options(colors: int | None, regions: int | None, edges: bool, space: str | None,
                     weights: list[str], min_region: int | str | None,
                     overlay_color: str | None,
                     seed: int, stretch: bool = False,
                     superpixels: int | None = None,
                     smooth: int | None = None, working_size: int | str | None = None,
                     classes: bool = False, shared_classes: bool = False,
                     classes_in: Path | None = None,
                     class_order: str | None = None) -> dict[str, Any]:
    from ..classes import check_shared_weights, classes_by_lightness, read_classes
    from ..features import check_weights
    from ..segment import (
        check_class_order,
        check_cut,
        check_min_region,
        check_smooth,
        check_superpixels,
        check_working_size,
    )
    from .segment import parse_color, parse_weights

    parsed = parse_weights(weights)
    if classes_in is not None:  # read once: -k, -w and --space are the file's
        colors, parsed, space = _classes_in_settings(classes_in, colors, regions, parsed,
                                                     space)
    # as `quantize segment` checks them, named -k/--clusters and --regions
    n_clusters, regions = check_cut(colors, regions)
    options: dict[str, Any] = {"seed": seed, "edges": edges}
    if n_clusters is not None:
        options["n_clusters"] = n_clusters
    if regions is not None:
        options["regions"] = regions
    if space is not None:
        options["space"] = check_choice(space, "--space", segment_spaces())
    if shared_classes or classes_in is not None:  # xy 0 unless given, and refused above 0
        options["weights"] = check_shared_weights(parsed)
    elif weights:
        options["weights"] = check_weights(parsed)
    if min_region is not None:
        options["min_region"] = check_min_region(min_region, "--min-region")
    if overlay_color is not None:
        options["overlay_color"] = parse_color(overlay_color)
    if superpixels is not None:  # so too
        options["superpixels"] = check_superpixels(superpixels, n_clusters)
    if smooth is not None:  # so too
        options["smooth"] = check_smooth(smooth, n_clusters)
    if working_size is not None:  # so too
        options["working_size"] = check_working_size(working_size, n_clusters)
    if classes:  # so too
        options["classes"] = True
    if classes_in is not None:  # so too; the manifest records its digest
        options["classes_in"] = classes_in
    order = check_class_order(class_order or "kmeans", n_clusters)
    if order != "kmeans":  # so too
        if classes_in is not None:  # a file of no colours is named before any image is read
            classes_by_lightness(read_classes(classes_in), f"classes file {quoted(classes_in)}")
        options["class_order"] = order
    return options


def _classes_in_settings(classes_in: Path, colors: int | None, regions: int | None,
                         weights: Mapping[str, float] | None, space: str | None
                         ) -> tuple[int, dict[str, float], str]:
    """The ``-k``, weights and space of the classes file ``classes_in``, which the run
    takes; refused when those given differ (or with ``--regions``), or when it is not a
    classes file."""
    from ..features import DEFAULT_TEXTURE_SCALES
    from ..segment import classes_settings

    _, k, w, space, _ = classes_settings(classes_in, colors, regions, weights or None,
                                         "lab" if space is None else space,
                                         DEFAULT_TEXTURE_SCALES)
    return k, w, space


# --------------------------------------------------------------------------
# Shared palette
# --------------------------------------------------------------------------


def _with_shared_palette(plan: "lib.BatchPlan", jobs: int | None, scheduler: str | None,
                         show: str, worker_timeout: float | None = None,
                         palette_out: str | None = None,
                         ) -> "tuple[lib.BatchPlan, lib.SchedulerLostError | None]":
    """``plan`` mapped onto its shared palette, fitted (or reused) and said; or, when the
    Dask cluster went away while the files were sampled (its scheduler lost, or no worker
    for ``worker_timeout`` seconds, watched as in the run: :func:`_workers_said`), ``plan``
    as it is and that error, for :func:`_run` to end the run with, as if lost in it."""
    from .. import batch as lib
    from ..batch.calls import warning_lines
    from ..reduce import FewerColorsWarning

    lost = None
    with user_errors(), _options_changed(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            palette = lib.shared_palette(plan, jobs=jobs, scheduler=scheduler,
                                         worker_timeout=worker_timeout,
                                         palette_out=palette_out,
                                         on_workers=None if scheduler is None
                                         else _workers_said(scheduler, worker_timeout))
        except lib.SchedulerLostError as exc:  # its files not reached, as in a run
            lost = exc
    # Fewer distinct colours sampled than -k, all kept, is no fault: a note, as each file's.
    fewer = [w for w in caught if issubclass(w.category, FewerColorsWarning)]
    for line in warning_lines([w for w in caught if w not in fewer]):
        warn("shared palette", line)
    if lost is not None:
        return plan, lost
    for line in warning_lines(fewer) if show != "quiet" else ():
        note("shared palette", as_flags(line))
    if show == "quiet" or not len(palette.colors):
        return palette.plan, None
    k = len(palette.colors)
    colours = "1 colour" if k == 1 else f"{k} colours"
    if palette.n_files:  # with --json, stdout holds the files' objects only
        files = "1 file" if palette.n_files == 1 else f"{palette.n_files} files"
        n = len(palette.left_out)
        left = (f" ({n} {'file' if n == 1 else 'files'} left out, each said with its "
                "file)") if n else ""
        if palette.per_file < lib.SAMPLES_PER_FILE:  # so many files: an equal share each
            left += (f" ({palette.per_file:,} pixels drawn from each, {lib.MAX_SAMPLES:,} at "
                     "most in all)")
        say(f"shared palette: {colours} fitted on {files}{left} in {palette.seconds:.1f} s "
            f"(not counted in the summary's time) -> {palette.path}", err=show == "json")
    else:
        say(f"shared palette: reusing {colours} from {palette.path}", err=show == "json")
    return palette.plan, None


# --------------------------------------------------------------------------
# Shared classes
# --------------------------------------------------------------------------


def _check_shared_classes(colors: int | None, scheduler: str | None,
                          classes_in: Path | None = None) -> None:
    """Refuse --shared-classes without -k, with --scheduler (the fit reads the images
    in this process), or with --classes-in (classes given, not fitted)."""
    if classes_in is not None:
        raise ValueError(f"--shared-classes and --classes-in={quoted(classes_in)} both given; "
                         "expected one of them: --shared-classes fits new classes on these "
                         "images, --classes-in assigns them to the classes of FILE")
    if colors is None:
        raise ValueError("--shared-classes without -k: shared classes are k-means classes; "
                         "expected --shared-classes -k K")
    if scheduler is not None:
        raise ValueError("--shared-classes with --scheduler: the classes are fitted on this "
                         "machine only; expected --shared-classes without --scheduler (run "
                         "locally, or fit them with fit_classes of quantize.segment and give "
                         "each file segment --classes-in)")


def _with_shared_classes(plan: "lib.BatchPlan", show: str) -> "lib.BatchPlan":
    """``plan`` assigning every file to its shared classes, fitted (or reused) and said."""
    from .. import batch as lib
    from ..batch.calls import warning_lines

    with user_errors(), _options_changed(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = lib.shared_classes(plan)
    for line in warning_lines(caught):
        warn("shared classes", line)
    for file, why in fitted.left_out.items():
        warn(file, f"left out of the shared classes: {why}")
    if show == "quiet" or fitted.classes is None:
        return fitted.plan
    k = fitted.classes.n_clusters
    if fitted.n_files:
        files = "1 file" if fitted.n_files == 1 else f"{fitted.n_files} files"
        say(f"shared classes: {k} fitted on {files} in {fitted.seconds:.1f} s (not counted "
            f"in the summary's time) -> {fitted.path}", err=show == "json")
    else:
        say(f"shared classes: reusing {k} from {fitted.path}", err=show == "json")
    return fitted.plan


def _write_class_table(output_dir: Path, results: "list[lib.FileResult]", show: str) -> None:
    """Write OUT_DIR/classes.csv of the outputs' class areas and OUT_DIR/class-legend.csv of
    each class's colour and area over them all; a failure is warned."""
    from .. import batch as lib

    for write, name, what in ((lib.write_class_table, lib.CLASS_TABLE_NAME, "class areas"),
                              (lib.write_class_legend, lib.CLASS_LEGEND_NAME,
                               "class legend")):
        try:
            path = write(output_dir, results)
        except OSError as exc:
            warn(output_dir, f"{name} not written: {exc}")
            continue
        if path is not None and show == "lines":
            say(f"{what} -> {path}")


# --------------------------------------------------------------------------
# Running with progress
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _AsTyped:
    """How the lines name a file of INPUT_DIR or OUT_DIR: with the ``./`` the folder was
    typed with, as ``reduce`` and ``segment`` name theirs (``batch ./-in -o ./-out`` gives
    ``./-in/a.png -> ./-out/a.png``; ``-in/a.png``, without it, a shell would read as
    options: :func:`~quantize.cli.common.as_typed`)."""

    input_dir: str
    output_dir: str

    def input(self, file: Path) -> str:
        return _pasteable(as_typed(str(file), self.input_dir))

    def output(self, file: Path | None) -> str:
        return _pasteable(as_typed(str(file), self.output_dir))


def _pasteable(name: str) -> str:
    """``name`` with a ``./`` before it when it starts with "-", as ``reduce ./-a.png``
    names it: ``batch .`` printed ``-a.png``, which a shell passes as options.

    >>> _pasteable("-a.png"), _pasteable("./-a.png"), _pasteable("d/-a.png")
    ('./-a.png', './-a.png', 'd/-a.png')
    """
    return f"./{name}" if name.startswith("-") else name


#: The files named as the batch writes them (a caller that gives no typed folders).
_AS_WRITTEN = _AsTyped("", "")


def _run(plan: "lib.BatchPlan", jobs: int | None, scheduler: str | None, show: str,
         named: _AsTyped = _AS_WRITTEN, worker_timeout: float | None = None,
         lost: "lib.SchedulerLostError | None" = None
         ) -> "tuple[list[lib.FileResult], lib.BatchSummary, Exception | None, list[Path]]":
    """Run ``plan``, showing each file as it settles, ``named`` as the folders were typed;
    return the results, the summary,
    the error that stopped the run, if one did: the Dask scheduler lost mid-run, or no
    worker connected for ``worker_timeout`` seconds (the files not done are left out of the
    results, as not reached; ``lost``, such an error met before the run, as the shared
    palette's files were sampled: no job is run, the files settled at planning shown), or
    an output error no file can go on after (the record of finished outputs cannot be
    written: a full disk), which the reports are written before it is said; and the inputs
    a second interrupt abandoned while they ran (:class:`~quantize.batch.FilesAbandoned`)."""
    from dataclasses import replace

    from .. import batch as lib

    summary = lib.BatchSummary(total=plan.n_files)  # sub-folders not searched, not listed: apart
    results: list[lib.FileResult] = []
    start = time.perf_counter()
    # Worded once, as the flags: the lines, the reports and the page all show these. The
    # settled files are worded first, so the progress display knows them as the plan's own.
    shared = bool(plan.settings.get("shared_palette"))
    plan = replace(plan, settled=[_in_flags(r, shared) for r in plan.settled])
    with _progress(plan, summary, show, named) as shown:
        def on_result(result: "lib.FileResult") -> None:
            result = _in_flags(result, shared)
            summary.add(result)
            results.append(result)
            shown(result)

        stopped: Exception | None = lost
        abandoned: list[Path] = []
        try:
            with user_errors():
                try:
                    if lost is not None:  # no job to run: the files settled are shown
                        for result in plan.settled:
                            on_result(result)
                    else:
                        lib.run_batch(plan, jobs=jobs, scheduler=scheduler, on_result=on_result,
                                      on_interrupt=finishing_note, worker_timeout=worker_timeout,
                                      on_workers=None if scheduler is None
                                      else _workers_said(scheduler, worker_timeout),
                                      on_retry=_retry_said(named))
                except lib.SchedulerLostError as exc:  # the files not done: not reached
                    stopped = exc
                except OutputError as exc:
                    stopped = exc
        except KeyboardInterrupt as exc:
            summary.interrupted = True
            summary.interrupted_by = stopped_by()  # the reports say it: SIGTERM, SIGHUP
            if isinstance(exc, lib.FilesAbandoned):
                abandoned = exc.inputs
    if (isinstance(stopped, OutputError) and not isinstance(stopped, lib.NotRecordedError)
            and not results):  # no file processed (an output folder not writable): its line
        with user_errors():  # alone, once the progress bar is let go
            raise stopped
    summary.seconds = time.perf_counter() - start
    return results, summary, stopped, abandoned


#: The exit codes of an interruption, which an error object of --json leaves out: the code
#: says it, and it is no failure (:func:`_error_as_json`).
_INTERRUPTIONS = frozenset({ExitCode.HANGUP, ExitCode.INTERRUPTED, ExitCode.TERMINATED})


@contextlib.contextmanager
def _error_as_json(show: str) -> Iterator[None]:
    """With --json (``show``), give the error that ends the command, said in its one line
    on stderr, as one more object on stdout too, after the files' objects: ``error``, that
    line (without ``quantize: error:``); ``failure``, what kind of failure it was (a
    :data:`~quantize.errors.FailureKind`: "disk_full", "folder_in_use", ...); ``exit_code``.
    A script tells it from a file's object by its ``error`` key. None for an interruption,
    which its exit code says."""
    try:
        yield
    except CommandFailed as exc:
        if show == "json" and exc.exit_code not in _INTERRUPTIONS:
            import json  # here: the module is needed by --json only

            kind = exc.kind or failure_kind_of_code(exc.exit_code)
            say_besides_error(json.dumps(printable_data({
                "error": exc.message, "failure": kind, "exit_code": int(exc.exit_code)})))
        raise


def _say_stopped(stopped: Exception | None) -> None:
    """Say the error that stopped the run in one line, as any other, and exit with its code
    (nothing when none did); one said already as a file's failure (the record of finished
    outputs could not take that file) is not said again. A Dask cluster gone mid-run (its
    scheduler lost, or no worker for --worker-timeout) exits 75, ``IN_USE``'s code, as
    sysexits.h's EX_TEMPFAIL ("try again later"): a rerun once it is back finishes the files
    not reached; failure kind "cluster_lost"."""
    from .. import batch as lib

    if isinstance(stopped, lib.NotRecordedError):
        if stopped.left:
            warn(None, _left_unrecorded_line(stopped.left))
        raise CommandFailed(stopped.exit_code, printable_line(str(stopped)),
                            failure_kind(stopped))
    if isinstance(stopped, lib.SchedulerLostError):  # the cluster went away: rerun later
        fail(printable_line(as_flags(str(stopped))), ExitCode.IN_USE, "cluster_lost")
    if stopped is not None:
        with user_errors():
            raise stopped


def _finished_unrecorded(plan: "lib.BatchPlan", stopped: Exception | None,
                         not_reached: Sequence[Path]) -> "list[lib.Unsettled]":
    """Those of the files ``not_reached`` whose outputs other workers finished as the record
    of finished outputs could not be written (``stopped``, a
    :class:`~quantize.batch.NotRecordedError`, lists them), each with that output: in no
    record, they are listed and counted apart (status "finished unrecorded"), and the
    next run makes them again."""
    from .. import batch as lib

    if not isinstance(stopped, lib.NotRecordedError) or not stopped.left:
        return []
    left = set(stopped.left)
    unreached = set(not_reached)
    return [lib.Unsettled(job.input, lib.FINISHED_UNRECORDED, job.output) for job in plan.jobs
            if job.output in left and job.input in unreached]


def _left_unrecorded_line(outputs: Sequence[Path], shown: int = 3) -> str:
    """Why ``outputs``, which other workers finished as a run stopped (the record of
    finished outputs could not be written), are in no line or report, and what becomes of
    them.

    >>> print(_left_unrecorded_line([Path("out/b.png")]))  # doctest: +NORMALIZE_WHITESPACE
    1 output finished as the run stopped, out/b.png, is left in place, unrecorded, its
    file listed as finished unrecorded; the next run makes it again
    """
    names = ", ".join(apart_by_code_point(list(map(str, outputs)))[:shown])
    more = f" and {len(outputs) - shown} more" if len(outputs) > shown else ""
    one = len(outputs) == 1
    return (f"{'1 output' if one else f'{len(outputs)} outputs'} finished as the run stopped, "
            f"{names}{more}, {'is' if one else 'are'} left in place, unrecorded, "
            f"{'its file' if one else 'their files'} listed as finished unrecorded; "
            f"the next run makes {'it' if one else 'them'} again")


@contextlib.contextmanager
def _progress(plan: "lib.BatchPlan", summary: "lib.BatchSummary",
              show: str, named: _AsTyped = _AS_WRITTEN) -> Iterator[Any]:
    """A callback showing each settled file, ``named`` as the folders were typed: a rich
    bar when stdout and stderr are both terminals that redraw in place (no ``TERM=dumb``:
    :func:`~quantize.cli.common.dumb_terminal`), else plain lines (``show``: "lines",
    "json" for a JSON object per file, or "quiet", see :func:`batch`).

    The bar is drawn on stderr; with stdout redirected (``> log``) the per-file lines go
    there instead, as they do when neither stream is a terminal.
    """
    if show != "lines" or not (is_terminal(sys.stdout) and is_terminal(sys.stderr)) \
            or dumb_terminal():
        not_processed = _NotProcessed.of(plan)
        repeated = _Repeated()
        yield lambda result: _plain_line(result, summary, show, not_processed, plan.mode.name,
                                         named, repeated)
        for line in repeated.lines():
            warn(None, line)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .. import batch as lib

    console = Console(file=LinesOrNothing(sys.stderr))  # a terminal gone stops no run
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("[red]{task.fields[failed]} failed{task.fields[not_listed]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    if console.width < FULL_BAR_COLUMNS:  # rich dropped the count first: keep it, and the
        columns = (columns[0], columns[2], columns[3])  # failures (the summary has times)
    # Files settled while planning start the bar, so the ETA reflects real jobs only; the
    # sub-folders not searched or not listed are no files, and the bar counts none of them,
    # but says in red beside the failures those not listed, as they fail the batch.
    # Known by input, not as objects: the run reports a settled file anew when it adds
    # to its record (an earlier output under another name removed, or left in place).
    planned = {result.input for result in plan.settled}
    not_processed = _NotProcessed.of(plan)
    repeated = _Repeated()
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(plan.mode.name, total=plan.n_files,
                            completed=plan.n_files - len(plan.jobs), failed=0, not_listed="")

        def show(result: "lib.FileResult") -> None:
            # File names and reasons are escaped: "a [red].jpg" is a name, not markup.
            # Soft wrap: the terminal folds a long line; rich would cut it into several.
            name = escape(printable_line(named.input(result.input)))
            before, after = _warning_lines(result, not_processed, repeated=repeated)

            def warned(messages: list[str]) -> None:
                for message in messages:
                    bar.console.print(f"[yellow]warning[/] {name}: "
                                      f"{escape(printable_line(message))}",
                                      markup=True, highlight=False, soft_wrap=True)

            warned(before)  # what happened before the file settled, then how it did
            if result.status == "failed":
                bar.console.print(f"[red]failed[/] {name}: "
                                  f"{escape(printable_line(result.reason))}",
                                  markup=True, highlight=False, soft_wrap=True)
            if result.redone:
                bar.console.print(f"[cyan]ok[/] {name} ({escape(result.reason)})",
                                  markup=True, highlight=False, soft_wrap=True)
            if removed := lib.removed_note(result.record):
                bar.console.print(f"[cyan]{result.status}[/] {name} "
                                  f"({escape(printable_line(removed))})",
                                  markup=True, highlight=False, soft_wrap=True)
            warned(after)
            for message in result.record.get(lib.NOTED, ()):  # a fact of its output
                told = escape(printable_line(as_flags(message)))
                bar.console.print(f"[cyan]note[/] {name}: {told}", markup=True,
                                  highlight=False, soft_wrap=True)
            if edited := lib.edited_larger_line(result):  # kept as it is: a fact, no fault
                bar.console.print(f"[cyan]note[/] {name}: {escape(printable_line(edited))}",
                                  markup=True, highlight=False, soft_wrap=True)
            if more := not_processed.more():
                bar.console.print(f"[yellow]warning[/] {escape(more)}",
                                  markup=True, highlight=False, soft_wrap=True)
            folders = summary.folders_failed
            bar.update(task, advance=0 if result.input in planned else 1, failed=summary.failed,
                       not_listed=f"; {folders} folder{'s' if folders > 1 else ''} not listed"
                       if folders else "")

        yield show
        for line in repeated.lines():
            bar.console.print(f"[yellow]warning[/] {escape(printable_line(line))}",
                              markup=True, highlight=False, soft_wrap=True)


def _plain_line(result: "lib.FileResult", summary: "lib.BatchSummary", show: str,
                not_processed: "_NotProcessed", mode: str,
                named: _AsTyped = _AS_WRITTEN, repeated: "_Repeated | None" = None) -> None:
    """Show ``result`` as a line (or a --json row), its warnings and error before it, the
    files ``named`` as the folders were typed (a --json row, as the reports, as written);
    a warning of its job said for many files already held back, counted by ``repeated``."""
    from .. import batch as lib

    name = named.input(result.input)
    before, after = _warning_lines(result, not_processed, quiet=show == "quiet",
                                   repeated=repeated)
    for message in before:  # in the order things happened: the error ended the file
        warn(name, message)
    if result.status == "failed":
        say(printable_line(f"quantize: error: {name}: {result.reason}"), err=True)
    for message in after:
        warn(name, message)
    if show != "quiet":  # facts of its output, no fault (its EXIF left out), as reduce's
        for message in result.record.get(lib.NOTED, ()):
            note(name, as_flags(message))
    # kept as it is, with --skip-if-larger: a fact, no fault; a --json row holds the size
    if show == "lines" and (edited := lib.edited_larger_line(result)):
        note(name, edited)
    if more := not_processed.more():
        warn(None, more)
    if show == "quiet":
        return
    if show == "json":  # a --report row, its warnings shown above (as reduce --json does)
        _json_line(result.as_row(), mode)
        return
    metrics = _metrics(result.record)
    # A failure's reason, as on its error line: stdout alone (> log) still tells why.
    target = {"ok": f" -> {named.output(result.output)}",
              "failed": f": {result.reason}"}.get(result.status, "")
    # fewer colours than asked, all kept: good news, a note on the line, no warning line
    fewer = lib.FEWER_COLORS_WORDS if lib.has_fewer_colors(result.status, result.record) else ""
    copied = result.record.get(lib.INPUT_COPIED, "")  # --copy-if-larger: why, and what
    # --max-bytes: the k this run chose, in reduce's words (a skipped file's was said before)
    chose = budget_choice(result.record) if result.status == "ok" else ""
    notes = "".join(f"  ({note})" for note in (chose, _why_on_line(result), copied, fewer,
                                                lib.removed_note(result.record)) if note)
    # a sub-folder not searched, or not listed, is no file: it takes no number among them
    counter = "folder" if lib.is_folder(result.record) else f"{summary.done}/{summary.total}"
    say(printable_line(f"[{counter}] {result.status:7} "
                       f"{name}{target}{'  ' + metrics if metrics else ''}"
                       f"{notes}"))


def _why_on_line(result: "lib.FileResult") -> str:
    """Why a file's progress line says it was redone or skipped: its reason, as its --report
    row gives it ("output exists", "redone: the input changed since its output was made",
    ...); "" for a file made anew, a failed one (its reason follows its name) and a skipped
    one whose reason a warning line said (:func:`_said_as_warning`), but for a file not
    read (a pipe, a device), whose short reason its line repeats, as the warning goes to
    stderr. One skipped as of no record, maybe another program's file, adds what replaces
    it."""
    from .. import batch as lib

    if result.redone:
        return result.reason
    if result.status != "skipped":
        return ""
    if (result.output is None and not lib.is_folder(result.record)
            and result.exit_code != ExitCode.TOO_LARGE):  # a pipe, a device: not read
        return result.reason
    if _said_as_warning(result):
        return ""
    return (f"{result.reason}: --force replaces it" if result.reason == lib.NO_RECORD
            else result.reason)


def _said_as_warning(result: "lib.FileResult") -> bool:
    """Whether the reason of a file, skipped, is said on a warning line: kept without an
    output (a link to a folder, a pipe) or with a stale one, or larger than its input."""
    return result.output is None or result.exit_code == ExitCode.TOO_LARGE


def _larger_as_asked(result: "lib.FileResult") -> bool:
    """Whether ``result`` is of a file whose result ``--skip-if-larger`` kept from being
    written, as asked, with no output left at its name (none stale, none of no record): a
    fact, no fault, which ``-q`` leaves out as ``reduce -q`` does (a note there, not shown);
    its exit code, 98, says it."""
    return result.exit_code == ExitCode.TOO_LARGE and result.output is None


#: The end of the summary line of a run that exits 98: no file failed, some were skipped as
#: larger (--skip-if-larger), which a build step (``set -e``, make) takes as a failure.
_LARGER_EXIT = ("exit code 98, as pngquant's: files skipped as larger, none failed; a build "
                "step takes it as success with '|| [ $? -eq 98 ]'")
#: Files named in the one line that says, with -q, those kept within --quality-limit.
_LIMITED_SHOWN = 3


def _say_limited(results: Sequence["lib.FileResult"], named: _AsTyped,
                 options: Mapping[str, Any]) -> None:
    """With -q, the warnings of the files this run kept within --quality-limit, their
    --quality out of reach (:data:`~quantize.batch.LIMITED`), said in one line that counts
    them and names the first few (:func:`_limited_line`), where without -q each file has
    its own; a file alone has its own line, as it is. ``options``: the run's, with its
    ``quality`` and ``quality_limit``."""
    from .. import batch as lib
    from .._validation import shown_number

    kept = sorted((r for r in results if r.status == "ok" and r.record.get(lib.LIMITED)),
                  key=lambda r: natural_key(str(r.input)))
    if len(kept) == 1:
        for message in kept[0].record[lib.LIMITED]:
            warn(named.input(kept[0].input), message)
    elif kept:
        bounds = (shown_number(options["quality"]), shown_number(options["quality_limit"]))
        warn(None, _limited_line([str(named.input(r.input)) for r in kept],
                                 max(float(r.record.get("delta_e") or 0.0) for r in kept),
                                 *bounds))


def _limited_line(names: Sequence[str], worst: float, quality: str, limit: str) -> str:
    """The line of :func:`_say_limited` for the files ``names`` (two or more), whose largest
    mean CIEDE2000 is ``worst``, of a run with ``--quality`` and ``--quality-limit`` as
    shown.

    >>> print(_limited_line(["in/a.png", "in/b.png", "in/c.png", "in/d.png"], 2.4567,
    ...                     "2", "3"))  # doctest: +NORMALIZE_WHITESPACE
    4 files did not reach --quality=2, each kept with the most colours allowed, within
    --quality-limit=3 (mean CIEDE2000 up to 2.457): in/a.png, in/b.png, in/c.png and 1 more;
    their --report rows say quality_met false
    """
    shown = ", ".join(names[:_LIMITED_SHOWN])
    more = f" and {len(names) - _LIMITED_SHOWN} more" if len(names) > _LIMITED_SHOWN else ""
    return (f"{len(names)} files did not reach --quality={quality}, each kept with the most "
            f"colours allowed, within --quality-limit={limit} (mean CIEDE2000 up to "
            f"{worst:.4g}): "
            f"{shown}{more}; their --report rows say quality_met false")


def _warning_lines(result: "lib.FileResult", not_processed: "_NotProcessed",
                   quiet: bool = False, repeated: "_Repeated | None" = None
                   ) -> tuple[list[str], list[str]]:
    """A file's warning lines new in this run, in the order things happened: those said
    before its error line, if it failed, and those said after.

    Before: why it was left out of the shared palette this run fitted (the fit comes
    first), the warnings of its job in this run (a skipped file's were shown before),
    and why a file was kept without output, or with a stale one (a symbolic link to a
    folder, not followed; a result larger than its input, found once the job's warnings
    were raised), or not processed as a file of no record holds its output's name (at
    every run, -q too: its input is not done; past a few such files, ``not_processed``
    counts the others in a line of its own, :class:`_NotProcessed`); but with ``quiet``
    (``-q``) not why a file larger than its input was kept from being written when no
    output is left at its name (:func:`_larger_as_asked`), nor its quality kept within
    --quality-limit, which :func:`_limited_line` says for all files. The warnings of its job
    that ``repeated`` (:class:`_Repeated`) holds back, said for many files before, are left
    out. After: why this run left an earlier output of it under another name in place,
    which it decides once the file has settled."""
    from .. import batch as lib

    left = lib.not_removed_lines(result.record)
    said = list(result.record.get("warnings", ()))
    if result.status == "skipped":
        if not_processed.holds(result):
            return not_processed.line(result), left
        if not _said_as_warning(result):
            return [], left
        why = [] if quiet and _larger_as_asked(result) else [result.reason]
        return (said if repeated is None else repeated.shown(said)) + why, left
    if repeated is not None:  # counted only when said
        said = repeated.shown(said)
    palette = lib.left_out_line(result.record)  # this run's fit; a skipped file's was said
    limited = [] if quiet else list(result.record.get(lib.LIMITED, ()))  # -q: one line for all
    return ([palette] if palette else []) + said + limited, left


@dataclass
class _Repeated:
    """The warnings of the files' jobs, said as the files settle: each for the first
    :data:`_REPEATED_SHOWN` files that raise it, the same words, then held back and counted
    (a zoom level's empty tiles each warn that they have no visible colour), the count said
    in one line when the run ends (:data:`_REPEATED_MORE`). Up to :data:`_REPEATED_KEPT`
    distinct warnings are counted; one more is said for every file."""

    seen: Counter[str] = field(default_factory=Counter)

    def shown(self, messages: Sequence[str]) -> list[str]:
        """Those of a file's ``messages`` to say with its name, counting each."""
        kept = []
        for message in messages:
            if message not in self.seen and len(self.seen) >= _REPEATED_KEPT:
                kept.append(message)
                continue
            self.seen[message] += 1
            if self.seen[message] <= _REPEATED_SHOWN:
                kept.append(message)
        return kept

    def lines(self) -> list[str]:
        """A line for each warning held back for some files, counting them.

        >>> said = _Repeated()
        >>> [said.shown(["no colour"]) for _ in range(7)][-3:]
        [['no colour'], [], []]
        >>> print(*said.lines())  # doctest: +NORMALIZE_WHITESPACE
        … and 2 more files with this warning, not said one by one (each --report row keeps
        its file's): no colour
        """
        return [_REPEATED_MORE.format(n=f"{n - _REPEATED_SHOWN:,}",
                                      files="file" if n - _REPEATED_SHOWN == 1 else "files",
                                      message=message)
                for message, n in self.seen.items() if n > _REPEATED_SHOWN]


@dataclass
class _NotProcessed:
    """The warnings of the files of a plan not processed as a file of no record holds their
    output's name (:data:`_NOT_PROCESSED`), said as the files settle: one a file when there
    are :data:`_NOT_PROCESSED_SHOWN` or fewer, else for the first that many, then one line
    counting the others (:data:`_NOT_PROCESSED_MORE`). The ``disowned`` outputs are said
    before the files (:data:`DISOWNED`), not here."""

    disowned: Sequence[Path] = ()
    total: int = 0  # such files in the plan: all settled while planning
    seen: int = 0
    counted: bool = False  # the line counting the others is said

    @classmethod
    def of(cls, plan: "lib.BatchPlan") -> "_NotProcessed":
        said = cls(list(plan.disowned))
        said.total = sum(1 for result in plan.settled if said.holds(result))
        return said

    def holds(self, result: "lib.FileResult") -> bool:
        """Whether ``result`` is of such a file."""
        from .. import batch as lib

        return (result.status == "skipped" and result.reason == lib.NO_RECORD
                and result.output not in self.disowned)

    def line(self, result: "lib.FileResult") -> list[str]:
        """The warning of such a file, said with its input's name, when it is among those
        said one by one."""
        self.seen += 1
        if self.seen > _NOT_PROCESSED_SHOWN and self.total > _NOT_PROCESSED_SHOWN:
            return []  # counted by the line said after the last shown
        return [_NOT_PROCESSED.format(output=result.output)]

    def more(self) -> str:
        """The line counting those not said one by one, right after the last said (once)."""
        if self.counted or self.seen < _NOT_PROCESSED_SHOWN or self.total <= self.seen:
            return ""
        self.counted = True
        return _NOT_PROCESSED_MORE.format(n=self.total - _NOT_PROCESSED_SHOWN)


def _metrics(record: Mapping[str, Any]) -> str:
    """A progress line's figures, ``key=value`` each, rounded as reduce's own summary line
    rounds them. The translucent pixels a GIF's alpha was thresholded on, a loss the
    metrics leave out, follow the PSNR, which is then not said "lossless" alone, as reduce
    says "lossless but for the alpha of N translucent pixels". An image with translucent
    pixels has its PSNR composited on black and on white too, as reduce says them.

    >>> _metrics({"k": 2, "psnr": 30.1, "psnr_on_black": 31.04, "psnr_on_white": 29.5})
    'k=2 psnr=30.10 psnr_on_black=31.04 psnr_on_white=29.50'
    >>> _metrics({"k": 2, "psnr": None, "alpha_thresholded": 12, "seconds": 0.1234})
    'k=2 psnr=lossless(rgb) alpha_thresholded=12 seconds=0.12'
    >>> _metrics({"k": 2, "psnr": None, "seconds": 0.1})
    'k=2 psnr=lossless seconds=0.10'
    """
    thresholded = record.get("alpha_thresholded", 0)
    shown = []
    for key in ("k", "n_regions", "pages", "psnr", *PSNR_SHOWN_KEYS, "delta_e", "seconds"):
        if key not in record:
            continue
        value = record[key]
        if value is None:  # a lossless result has no PSNR
            shown.append(f"{key}=lossless(rgb)" if thresholded else f"{key}=lossless")
        else:
            shown.append(f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}")
        if key == "psnr" and thresholded:
            shown.append(f"alpha_thresholded={thresholded}")
    return " ".join(shown)


def _print_summary(summary: "lib.BatchSummary", reports: list[Path], err: bool = False,
                   unclaimed: int = 0, unfinished: int = 0,
                   removed: "Sequence[lib.RemovedOutput]" = (),
                   passed: tuple[Sequence[Path], int, int] = ((), 0, 0), abandoned: int = 0,
                   not_reached: int = 0,
                   stopped: tuple[int, str, int] | None = None) -> None:
    """The summary line, on stdout (stderr with ``err``: --json keeps stdout for objects);
    ``unclaimed`` counts the outputs in no report, left in place, ``unfinished`` of them
    left unfinished by a stopped run, the others of files not among the inputs; ``removed``,
    those --remove-orphans removed; ``passed``, the files the search left out for their
    extension, the number of sub-folders it did not enter and that of the hidden files it
    left out (:func:`~quantize.batch.passed_over_counts`); ``abandoned``, the files a second
    interrupt abandoned while they ran, and ``not_reached``, those an interrupt (Ctrl-C,
    SIGTERM, SIGHUP) left before they started, each counted beside the files settled, so
    that the counts add up to the total, as the reports list them; ``stopped``, of a run an
    error stopped before the end, the number of files it did not reach, what to run to
    finish, and the number of those whose outputs were finished, unrecorded, as it stopped
    (:func:`_finished_unrecorded`), counted apart from those not reached
    (:func:`~quantize.batch.stopped_counts`)."""
    from .. import batch as lib

    redone = lib.redone_counts(summary.redone, summary.redone_unrecorded)
    redone = f" ({redone})" if redone else ""
    stale = f", {summary.stale} of them with a stale output kept" if summary.stale else ""
    why = [f"{summary.larger} larger than the input{stale}"] if summary.larger else []
    if summary.missed_before:  # tried by an earlier run with these options: exit 99 still
        why.append(f"{summary.missed_before} missed "
                   f"{'its' if summary.missed_before == 1 else 'their'} quality last run")
    larger = f" ({'; '.join(why)})" if why else ""
    # A rate only where files were made: a rerun that skips every file made none.
    rate = (f" ({summary.ok / summary.seconds:.2f} images/s)"
            if summary.ok and summary.seconds > 0 else "")
    kept = (f" ({summary.failed_stale} with a stale output left in place)"
            if summary.failed_stale else "")
    gave_up = "".join(f", {n} {what}" for n, what in ((not_reached, lib.NOT_REACHED),
                                                      (abandoned, lib.ABANDONED)) if n)
    # a TIFF stack segmented page by page counts its pages: "4/4 files (15 pages): 4 ok"
    pages = f" ({summary.pages} pages)" if summary.stacks else ""
    line = (f"{summary.done}/{summary.total} files{pages}: {summary.ok} ok{redone}, "
            f"{summary.skipped} "
            f"skipped{larger}, {summary.failed} failed{kept}{gave_up} in "
            f"{summary.seconds:.1f} s{rate}")
    line += "".join(f"; {n}" for n in lib.bytes_counts(summary.bytes_in, summary.bytes_out,
                                                       summary.with_output))
    # links to folders, folders of outputs, folders not listed: no files
    line += "".join(f"; {folders}" for folders in lib.folder_counts(summary.folders_skipped,
                                                                    summary.folders_failed))
    files, folders, hidden = passed
    line += "".join(f"; {n}" for n in lib.passed_over_counts(files, folders, hidden))
    # removed by this run; left in place, named once, in a warning, and counted at every run
    line += "".join(f"; {n}" for n in (*lib.removed_counts(removed),
                                        *lib.unclaimed_counts(unclaimed, unfinished)))
    # written larger than their inputs: what --skip-if-larger would have skipped
    line += "".join(f"; {n}" for n in lib.larger_counts(summary.larger_written))
    # with --skip-if-larger, outputs changed since they were made, larger: kept, not removed
    line += "".join(f"; {n}" for n in lib.edited_larger_counts(summary.edited_larger))
    # outputs of images of fewer colours than asked, each kept: made now or before
    line += "".join(f"; {n}" for n in lib.fewer_colors_counts(summary.fewer_colors))
    if stopped is not None:
        line += (f"; stopped before the end, {lib.stopped_counts(stopped[0], stopped[2])}: "
                 f"{stopped[1]}")
    if reports:  # their names escaped as every line's names are: one line, read as typed
        line += f"; report: {', '.join(printable_line(str(path)) for path in reports)}"
    if summary.exit_code == ExitCode.TOO_LARGE:  # no failure: how a build step takes it
        line += f"; {_LARGER_EXIT}"
    say(line, err=err)
