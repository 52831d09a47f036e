"""``quantize reduce``: reduce the colours of one or many images, pngquant's way.

Parses the options, checks them once with :func:`quantize.reduce.check_reduce_options`,
names each output after its input (``--ext``; ``-o`` with one input), runs
:func:`quantize.reduce.reduce_file` on every file (in parallel on the batch
local executor when there are several), prints one line per file and sets the
exit code. ``-`` reads an image from stdin; ``-o -`` writes it to stdout, in the
format ``--format`` names (the extension ``-o`` would take), by default the input's own
when it is GIF or PNG (or an animation in WebP or TIFF pages), else PNG
(:func:`~quantize.reduce.stream_output_suffix`), and then stdout carries the image bytes
only.

Exit codes (:class:`quantize.errors.ExitCode`): 0 every file done; otherwise
the code the failed files share (1 unreadable input or unwritable output,
2 usage error, 15 output exists, 75 a running ``quantize batch`` writes into the output's
folder, 98 result larger than the input with
``--skip-if-larger``, 99 ``--quality`` not reachable, or no output within
``--max-bytes``), or 1 when they differ;
129 when stopped by SIGHUP (a terminal closed), 130 when interrupted (Ctrl-C), 143
when stopped by SIGTERM.
"""

# Annotations are evaluated on import, not as strings: see quantize.cli.

import dataclasses
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, NamedTuple, NoReturn

import typer

from .._validation import shown_number
from ..encode import OPTIMIZED_OUTPUTS
from ..errors import ExitCode, FormatAdviceError, QualityError
from ..io import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    MAX_PALETTE,
    STREAM_OUTPUT,
    landing,
    shared_landing,
)
from ..names import (
    apart_by_code_point,
    folded_name,
    one_file_names,
    output_parts,
    output_stem,
    printable_data,
    quoted,
    reduced_name,
    resolved_path,
    same_file,
    shell_quoted,
)
from ..palette_files import PALETTE_FORMAT_LIST, PALETTE_IN_FORMAT_LIST
from ..reduce import PALETTE_EXTENSIONS, RGB_EXTENSIONS, ShownOutput
from ..reduce.fit import FEATURES, MAX_COLORS
from ..reduce.options import (
    PALETTE_MODES,
    PER_FRAME_EXTENSIONS,
    PER_FRAME_NEEDS,
    read_palette_in_once,
)
from ..reduce.quality import quality_bound_words, quality_terms
from .common import (
    USAGE_ERROR,
    DitherLevelCommand,
    DitherLevelOption,
    DitherOption,
    FixedColorOption,
    IntentOption,
    KeepGpsOption,
    MatteOption,
    MaxFramesOption,
    MaxPixelsOption,
    NearestOption,
    NoDataOption,
    Scratch,
    SeedOption,
    StripOption,
    TransparentColorOption,
    app,
    arguments_given,
    as_flags,
    as_typed,
    budget_choice,
    check_palette_fitted_given,
    check_palette_mode_alone,
    choice_word,
    dither_strength,
    dither_value_error,
    dumb_terminal,
    elsewhere_hint,
    fail,
    fail_interrupted,
    file_name,
    finishing_note,
    fixed_colors_given,
    folder_hint,
    folder_key,
    frame_rate,
    image_name,
    integer,
    is_stdin_file,
    is_stream,
    is_terminal,
    max_bytes_unit_error,
    name_key,
    names_a_descriptor,
    nodata_given,
    note,
    note_idle_options,
    note_jobs_capped,
    number,
    number_pair,
    offering,
    output_as_input,
    palette_file,
    printable_line,
    refuse_both,
    refuse_closed_stdout,
    refuse_missing_folder,
    refuse_quality_scale,
    refuse_stream_without_output,
    refuse_text_onto_files,
    say,
    stage_stdin,
    stage_stdin_images,
    stage_stream,
    stretch_curves,
    tmpdir_advice,
    typed_before_dashes,
    user_errors,
    warn,
)

STDIO = "-"
#: The names --format takes: the extensions -o takes, without their dot.
FORMATS = tuple(suffix[1:] for suffix in (*PALETTE_EXTENSIONS, *RGB_EXTENSIONS))
_FORMAT_LIST = ", ".join(FORMATS)

_EPILOG = f"""\b
Examples:
  quantize reduce photo.jpg                     # 16 colours -> photo.k16.png
  quantize reduce *.png -k 64 --ext -small.png  # a.png -> a-small.png, ...
  quantize reduce *.png -k 64 -q                # only warnings and errors
  quantize reduce photo.jpg -k 8 -o small.png --palette-out small.gpl
  quantize reduce photo.jpg --quality 3         # fewest colours, mean ΔE <= 3, tail too
  quantize reduce banner.gif -k 64 --max-bytes 1MB  # most colours <= 64 in 1,000,000 bytes
  quantize reduce logo.png -k 32 --space lab --exact-colors
  quantize reduce photo.jpg --palette-in brand.hex --dither=0.5 -o branded.png
  quantize reduce sprite.png --palette-in pico-8-1x.png  # a palette image
  quantize reduce plot.png -k 16 --fixed-color series.hex  # keep them, fit 16 - 8 more
  quantize reduce plot.png --fixed-color navy,orange,green
  quantize reduce shot.png --palette-in tokens.css -k 4 --fixed-color d32f2f  # pinned
  quantize reduce shot.png --palette-in brand.ase --palette-out shot.css  # names kept
  quantize reduce heat.png --quality 2 --dither  # a gradient, unbanded
  quantize reduce anim.gif -k 32 --dither=ordered  # a Bayer pattern, steady
  quantize reduce sprite.png --palette-in pico8.hex --dither=pattern  # 2 near colours
  quantize reduce photo.png --palette-in rgb565.hex --dither=ordered -o tft.tif  # a grid
  quantize reduce scan.png -k 2 -o scan.tif     # ink and paper: 1 bit a pixel, 2-entry map
  cat photo.png | quantize reduce - -k 32 > small.png
  cat anim.gif | quantize reduce - -k 64 > small.gif  # a GIF stays a GIF
  cat photo.jpg | quantize reduce - -k 64 --format gif > small.gif
  quantize reduce anim.gif -k 64                # one palette -> anim.k64.gif
  quantize reduce anim.gif -k 64 --palette per-frame -o local.gif
  quantize reduce frames/*.png --frames -o clip.gif  # one GIF, 10 fps, name order
  cat f*.png | quantize reduce - --frames -o clip.gif  # as ffmpeg -f image2pipe
  quantize reduce photo.jpg -k 1000 -o smooth.webp  # over {MAX_PALETTE} colours: RGB

\b
Exit codes: 0 done, 1 unreadable input or unwritable output, 2 usage error,
15 output exists (use --force), 75 a running batch writes into its folder
(retry once it ends), 98 result larger than the input (--skip-if-larger), 99 --quality not
reachable or even 2 colours over --max-bytes, 129 the terminal closed (SIGHUP),
130 interrupted (Ctrl-C), 143 stopped by SIGTERM. With several files: the code
the failed files share, or 1 when they differ.
"""


@app.command("reduce", epilog=_EPILOG, cls=DitherLevelCommand,
             short_help="Reduce the colours of images (one file or many) by k-means.")
def reduce_command(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(
        metavar="FILE...", help="Images to reduce (PNG, JPEG, GIF, WebP, TIFF, BMP, ...: "
        "any Pillow reads; turned upright by their EXIF orientation, converted to sRGB by "
        "their colour profile); - reads one from stdin.", show_default=False,
        parser=image_name)],
    output: Annotated[str | None, typer.Option(
        "-o", "--output", metavar="FILE",
        help="Output image, with one input only; its extension picks the "
        f"format: .png/.gif indexed (<= {MAX_PALETTE} colours, transparency kept), .bmp "
        "indexed with no alpha (8 bits a pixel; drawn on black, as a .jpg), .tif indexed "
        f"when opaque and <= {MAX_PALETTE} colours (1 bit a pixel for 2; a grey input's "
        "pages grey), .jpg/.webp/.tif "
        "RGB (.webp/.tif RGBA with alpha; an animation's frames or a TIFF's pages as the "
        "pages of a .tif). "
        "- writes to stdout (a file or pipe, not a terminal), in the input's own format "
        "when it is GIF or PNG (or an animated WebP or TIFF), else as a PNG, unless --format "
        "says otherwise. Default: named as --ext says, beside the input (stdout for stdin).",
        show_default=False)] = None,
    stdout_format: Annotated[str | None, typer.Option(
        "--format", metavar="FORMAT",
        help=f"Format of the image written to stdout (-o -, or stdin's without -o), named "
        f"as the extension of -o that picks it: {_FORMAT_LIST} (default: the input's own "
        "when it is gif or png, a still or an animation, or an animated webp or tif; else "
        "png). Beside -o FILE or --ext it must be their extension's format.",
        show_default=False, autocompletion=offering(FORMATS))] = None,
    ext: Annotated[str | None, typer.Option(
        "--ext", metavar="SUFFIX", help="Name each output INPUT-stem + SUFFIX beside its "
        "input. Default: .k<N>.png (an animation, or the pages of a TIFF: .k<N> and its own "
        "extension when it is .gif, .png, .apng, .webp, .tif or .tiff, else .k<N>.gif, as for "
        "an animated AVIF).",
        show_default=False)] = None,
    colors: Annotated[int | None, typer.Option(
        "-k", "--colors", metavar="K", parser=integer,
        help=f"Number of colours, 1..{MAX_PALETTE} for .png/.gif/.bmp, "
        f"1..{MAX_COLORS} for a still .jpg/.webp/.tif (default 16; at most {MAX_PALETTE} "
        "with --dither, and for an animation or a TIFF's pages, which share one "
        "palette). In a .png/.gif/.bmp, transparent pixels take one more entry, beyond K "
        f"(-k 15 for 16 entries, one transparent), {MAX_PALETTE} at most in all: -k 64 on "
        "a GIF with transparency writes 65 entries, stored in a 128-entry table, where -k 63 "
        "fits 64 (gifsicle's --colors 64 counts the transparent entry). With "
        f"--quality, as with --max-bytes: the most colours allowed (default {MAX_PALETTE}). "
        "With --palette-in: the best K of its colours for the image (those whose mapping "
        "has the least error found), so that a palette of any size gives a .png/.gif/.bmp "
        f"of at most {MAX_PALETTE}.",
        show_default=False)] = None,
    quality: Annotated[float | None, typer.Option(
        "--quality", metavar="Q", parser=number,
        help="Use the fewest colours whose mean CIEDE2000 difference from "
        "the original is <= Q, a number from 0 to 20 (about 1 is just noticeable; not "
        "pngquant's 0-100 score), with its 99th percentile <= 5 Q, 99.9th <= 10 Q and every "
        "area of one colour of 16 pixels or more within 4 Q (its pixels whose neighbours "
        "share their colour, not anti-aliased edges; colours within 4 Q of each other, as a "
        "scanned ink's noise, count as one), so that small areas of their own colour are "
        "kept; prints the k chosen and the bound that set it, the one k-1 colours miss "
        "(\"set by the mean, which k=18 misses\"; --json: quality_bound), and writes what -k "
        "with it writes. Undithered unless --dither is given, which a gradient (a heatmap, a "
        "sky) needs not to come out in bands (pngquant dithers by default). On "
        "icons with soft shadows Q = 2 may band the shadows, where --quality 0.5 "
        "--quality-limit 3 does not (25 and 0 of 200 test icons below 33 dB on white). "
        "Default: off (-k colours).",
        show_default=False)] = None,
    quality_limit: Annotated[float | None, typer.Option(
        "--quality-limit", metavar="L", parser=number,
        help="With --quality: when Q is out of reach of the colours allowed, write the "
        "result with all of them if it meets L (a number >= Q and > 0) by the same rule, "
        "with a warning of the mean ΔE2000 reached; if not, exit 99 as without it.",
        show_default=False)] = None,
    max_bytes: Annotated[str | None, typer.Option(
        "--max-bytes", metavar="SIZE",
        help="Write the most colours, at most -k (default 256, as for --quality), found to fit "
        "in SIZE: bytes, or a number with a unit, in any case: 800k or 800kB (1000 bytes "
        "a k), 1MB (1,000,000), 1MiB (1,048,576); prints the k chosen and what bounded it "
        "(the size, -k, the image's own colours or the transparent entry). When even 2 "
        "colours do not fit, writes nothing and exits 99, naming the smallest size "
        "reached. Neither --quality nor --palette-in goes with it.", show_default=False)] = None,
    space: Annotated[str | None, typer.Option(
        "--space", metavar="rgb|lab", parser=choice_word(FEATURES),
        help="Colour space to cluster in: rgb (default) or lab (CIELAB). It also sets how "
        "a --palette-in palette's entries are matched: with rgb each pixel takes the entry "
        "nearest in RGB, with lab the nearest by CIEDE2000 (by Lab distance with "
        "--palette-fitted, as the fit matched).",
        show_default=False, autocompletion=offering(FEATURES))] = None,
    dither: DitherOption = False,
    dither_level: DitherLevelOption = None,
    exact_colors: Annotated[bool, typer.Option(
        "--exact-colors", help="Every palette colour occurs in the image. Each is the colour "
        "that holds more than half of its cluster's pixels, else the cluster's medoid.")
    ] = False,
    palette_out: Annotated[str | None, typer.Option(
        "--palette-out", metavar="FILE",
        help=f"Also write the palette ({PALETTE_FORMAT_LIST}); one input only. Entry i is "
        "index i of a still .png, .gif or .bmp output, the transparent entry included; an "
        "animation's transparent entry is index 0 too, its fitted colours listed most used "
        "first.",
        show_default=False, parser=file_name)] = None,
    masks: Annotated[str | None, typer.Option(
        "--masks", metavar="DIR",
        help="Also write one mask per palette entry the image uses, for screen printing: a "
        "1-bit PNG in DIR (made when missing) named <output stem>.ink<NN>-<rrggbb>.png, NN "
        "the entry's index in the output, black where the entry prints, at the input's "
        "resolution, written together with the output. One input only, a still, not to "
        "stdout.", show_default=False)] = None,
    palette_in: Annotated[Path | None, typer.Option(
        "--palette-in", metavar="FILE",
        help=f"Map onto this palette ({PALETTE_IN_FORMAT_LIST}) instead of "
        "fitting one (not with --quality or --exact-colors). Every entry keeps its "
        "index in a still's output, unused ones too. With -k K, a still image is mapped "
        "onto the best K of its colours, which its output holds alone, their names kept.",
        show_default=False,
        parser=palette_file)] = None,
    palette_fitted: Annotated[bool, typer.Option(
        "--palette-fitted", help="The --palette-in palette was fitted to images like these "
        "(as --palette-out writes one): dither onto it as onto a fitted palette, not as "
        "onto a device's fixed colours. So a palette written with --dither gives the same "
        "image back: reduce a.png -k 16 --dither --palette-out p.hex, then reduce a.png "
        "--palette-in p.hex --palette-fitted --dither. Needs --palette-in.")] = False,
    palette: Annotated[str, typer.Option(
        "--palette", metavar="global|per-frame", parser=choice_word(PALETTE_MODES),
        help="For animations: global (one palette for all "
        "frames, no flicker) or per-frame (a local palette for each frame; a .gif output, "
        "or a .tif whose pages each get a colour map of their own; not with --quality or "
        "--palette-in).",
        autocompletion=offering(PALETTE_MODES))] = "global",
    nearest: NearestOption = False,
    frames: Annotated[bool, typer.Option(
        "--frames", help="Join the inputs, still images of one size, into one animation "
        "named by -o (.gif, .png (APNG), .apng or .webp; -o - with --format for stdout), "
        "one frame each, in the order "
        "given (frames/*.png: the shell's, sorted by name; - alone: the images stdin holds "
        "one after another, as ffmpeg -f image2pipe sends them), with one palette fitted to "
        "them all, as an animation's (--palette per-frame for a .gif); alpha is kept as "
        "an animation keeps it. An animation among them, or a file of another size than "
        "the first, is refused before anything is written.")] = False,
    fps: Annotated[float | None, typer.Option(
        "--fps", metavar="N", parser=frame_rate,
        help="With --frames: frames a second, above 0 and at most 1000 (default 10: "
        "100 ms a frame, as browsers show ImageMagick's default delay; gifski's --fps), "
        "a number or a fraction N/D, as ffprobe gives a video's r_frame_rate (30000/1001). "
        "A GIF holds centiseconds: 30 fps is written 30, 40 and 30 ms in turn.",
        show_default=False)] = None,
    loop: Annotated[int | None, typer.Option(
        "--loop", metavar="N", parser=integer,
        help="With --frames: times the animation plays, 0 (default) forever, up to "
        "65535.", show_default=False)] = None,
    matte: MatteOption = None,
    fixed_color: FixedColorOption = None,
    transparent_color: TransparentColorOption = None,
    strip: StripOption = False,
    keep_gps: KeepGpsOption = False,
    nodata: NoDataOption = None,
    intent: IntentOption = None,
    stretch: Annotated[bool, typer.Option(
        "--stretch", help="Map a 16-bit, signed, 32-bit or float grey image's own range "
        "(darkest to brightest value, negative ones too, as a CT slice's Hounsfield units) "
        "onto 0..255 before the fit, as segment --stretch does. Without it such an image is "
        "read as counts of 65535: a scan of 901..3116 comes out as levels 4..12, and a "
        "warning says how many values that reading merged, which the PSNR and ΔE2000 are "
        "then measured against. The summary says the range (stretched 901..3116); --json "
        "adds stretch and stretch_range. Example: quantize reduce scan.png -k 16 --stretch. "
        "A still only.")] = False,
    stretch_clip: Annotated[float | None, typer.Option(
        "--stretch-clip", metavar="P", parser=number,
        help="Stretch as --stretch does (which it implies) but from the P-th to the "
        "(100-P)-th percentile, the values beyond clipped, as segment --stretch-clip does: "
        "a few hot or dead pixels then set no range.", show_default=False)] = None,
    stretch_curve: Annotated[str | None, typer.Option(
        "--stretch-curve", metavar="linear|asinh|log|sqrt", parser=choice_word(stretch_curves),
        help="Stretch (as --stretch does, which it implies) through this curve, as segment "
        "--stretch-curve does: asinh, log or sqrt lift the faint values near the bottom of "
        "the range. Default linear.",
        show_default=False, autocompletion=offering(stretch_curves))] = None,
    stretch_softening: Annotated[float | None, typer.Option(
        "--stretch-softening", metavar="S", parser=number,
        help="The knee of --stretch-curve asinh or log, S above 0, as a fraction of the "
        "range (default 0.1), as segment --stretch-softening takes it.",
        show_default=False)] = None,
    stretch_range: Annotated[Any, typer.Option(
        "--stretch-range", metavar="LOW,HIGH", parser=number_pair,
        help="Stretch (as --stretch does, which it implies) from a fixed range in the "
        "input's own values: LOW reads as 0 and HIGH as 255 whatever the image holds, so "
        "that the slices of a stack, or scans of other ranges, share one scale; values "
        "beyond are clipped, and the summary says their share (--json: stretch_fixed, "
        "stretch_range and stretch_clipped). Not with --stretch-clip. Example, CT slices in "
        "Hounsfield units: quantize reduce ct/*.tif -k 8 --stretch-range -1024,1976.",
        show_default=False)] = None,
    seed: SeedOption = 0,
    jobs: Annotated[int | None, typer.Option(
        "-j", "--jobs", parser=integer, metavar="N",
        help="Files processed at once (default: the CPUs; at most 4 per CPU).",
        show_default=False)] = None,
    skip_if_larger: Annotated[bool, typer.Option(
        "--skip-if-larger", help="Keep nothing when the result is larger than the input "
        "(exit 98). Without it, such an output is written, and noted on a line of its own "
        "(not with -q or --json). To stdout, nothing is written there either, and a shell's "
        "'> small.png' is left empty: with stdout, prefer --copy-if-larger.")] = False,
    copy_if_larger: Annotated[bool, typer.Option(
        "--copy-if-larger", help="Where the result is larger than the input and the output, "
        "named by -o or --ext, is in the input's format (its extension), write the input's "
        "own bytes as the output (exit 0), as batch --copy-if-larger does; to stdout (-o -, "
        "or stdin's image by default), when the format written there is the input's (read "
        "from its first bytes for stdin); a result larger "
        "in another format is kept from being written, as with --skip-if-larger (exit "
        "98).")] = False,
    optimize: Annotated[bool, typer.Option(
        "--optimize", help=f"Slower encoding for a smaller file, of {OPTIMIZED_OUTPUTS} "
        "(other formats are written as without it); a --palette-in palette keeps its "
        "entries and order.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object per file written (a file that fails has "
        "one of input, output null, failure, the word batch --json gives it, as "
        "'unreadable_input', and reason, besides its error line; one kept from being "
        "written by --skip-if-larger has one of "
        "input, output null, skipped 'larger' and reason): input, output (- for "
        "stdout, then format: the --format name of the image written there), k (onto a "
        "--palette-in palette, its entries, then colours_used: those some pixel takes), "
        "space, psnr, "
        "delta_e, seconds, bytes_in, bytes_out, frames, palette (a dithered image's also "
        "ends in blurred_psnr: the PSNR after a blur of 1 px), and the options that shaped "
        "the output, with which it is made again, as n_colors, quality, dither, "
        "exact_colors, palette_in, palette_mode, seed, optimize (with --matte, then the "
        "colour as #rrggbb; with --fixed-color, then the fixed colours as #rrggbb; with "
        "--transparent-color, then transparent_color, #rrggbb or edge; with --optimize, "
        "also optimized: whether the output's format took it, for a GIF "
        "animation whether that stored some frame smaller; with an --intent other than "
        "relative-bpc, also intent); of an input whose ICC profile was converted to sRGB "
        "(not an sRGB one), source_colour_space and profile at the end. With -o -, stdout "
        "carries the image and the objects go to stderr, each a line starting with {; the "
        "other lines there start with quantize:.")] = False,
    quiet: Annotated[bool, typer.Option(
        "-q", "--quiet", help="Print only warnings and errors, no line per reduced "
        "file.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite outputs (and the palette file) that exist.")] = False,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
    max_frames: MaxFramesOption = DEFAULT_MAX_FRAMES,
) -> None:
    """Reduce the colours of images by k-means on their distinct colours."""
    from ..reduce import check_reduce_options

    _refuse_option_values_as_inputs(typed_before_dashes(ctx, inputs), dither,
                                    arguments_given(ctx, before_dashes=True))
    _refuse_palette_as_image(output)
    joined = _plan_frames(inputs, (output, stdout_format), ext, (fps, loop), frames,
                          copy_if_larger)
    files = _plan_files(inputs[:1] if joined else inputs, output, ext, palette_out)
    if joined:
        files = [files[0]._replace(shown=_joined_name(joined))]
    _refuse_masks_without_a_file(masks, files)
    suffix = _stdout_suffix(stdout_format, files, ext)
    if quiet and as_json:
        refuse_both("-q/--quiet", "--json")
    if (palette == "per-frame" and suffix not in (None, *PER_FRAME_EXTENSIONS)  # None: once read
            and any(f.to_stdout for f in files)):
        _refuse_per_frame_to_stdout(stdout_format)
    strength = dither_strength(dither, dither_level)
    given = {"n_colors": colors, "quality": quality, "quality_limit": quality_limit,
             "space": space,  # plain --dither as typed
             "dither": True if dither and dither_level is None else strength,
             "exact_colors": exact_colors,
             "palette_in": palette_in, "palette_fitted": palette_fitted,
             "palette_out": palette_out, "seed": seed,
             "force": force, "max_pixels": max_pixels, "max_frames": max_frames,
             "skip_if_larger": skip_if_larger,
             "optimize": optimize, "palette": palette, "max_bytes": max_bytes, "matte": matte,
             "strip": strip, "keep_gps": keep_gps, "masks": masks,
             "copy_if_larger": copy_if_larger, "nodata": nodata,
             "fixed_colors": fixed_color or None, "intent": intent, "nearest": nearest,
             "transparent_color": transparent_color, "stretch": stretch,
             "stretch_clip": stretch_clip, "stretch_curve": stretch_curve,
             "stretch_softening": stretch_softening, "stretch_range": stretch_range}
    with user_errors():
        given["fixed_colors"] = fixed_colors_given(fixed_color)  # a list, a palette file
        check_palette_fitted_given(palette_fitted, palette_in)
        options = check_reduce_options(**{k: v for k, v in given.items()
                                          if v is not None
                                          and k not in ("copy_if_larger", "nodata")},
                                       nodata=nodata_given(nodata))
        check_palette_mode_alone(palette, colors, quality, palette_in)  # before any file
        if given["dither"] is True:  # the same strength, named --dither by a job's errors
            options["dither"] = True
        sizes = _palette_sizes(options["palette_in"],  # a bad file named once, up front
                               options["n_colors"])
        if joined and joined.inputs != (STDIO,):  # every frame a still of the first's size
            from ..animation.sequence import open_frame_files

            open_frame_files(joined.inputs, max_pixels=options["max_pixels"])
        # without --format, a still goes to stdout as a .gif or .png, and an animation
        # holds no more colours than those in any format: as indexed
        _refuse_colors_no_output_holds(files, options, sizes, suffix or ".png")
    _check_distinct_outputs(files, options, sizes)
    with user_errors():
        _check_named_outputs(output, options["palette_out"])
        _check_no_input_overwritten(files, options, sizes)
        _check_outputs_land_apart(files, options, sizes)
        _refuse_batch_folders(files, options["palette_out"])
        _refuse_missing_folders(files, options["palette_out"])
        workers = _check_jobs(jobs, len(files))
    show = "quiet" if quiet else "json" if as_json else "lines"
    refuse_closed_stdout(show, next((f.input for f in files if f.to_stdout), None))
    _refuse_terminal(files, output, suffix)
    _refuse_stdout_onto_input(files)
    if copy_if_larger:
        _refuse_copy_unnamed(files)
        options["copy_if_larger"] = True  # the jobs are batch's (_job_function)
    refuse_text_onto_files(_read_files(files, options["palette_in"], joined))
    refuse_quality_scale(quality)  # once the options are all accepted, before any work
    note_jobs_capped(jobs, len(files))
    said_once = _note_palette_in(options["palette_in"]) if len(files) > 1 else False
    to_batch = (_batch_options(given, jobs, show, ext, output, stdout_format)
                if any(os.path.isdir(f.input) for f in files) else ([], [], {}))
    code = _run(files, options, workers, quality, show, to_batch, said_once, suffix, joined)
    raise typer.Exit(code)


def _batch_options(given: dict[str, Any], jobs: int | None, show: str, ext: str | None,
                   output: str | None, stdout_format: str | None = None
                   ) -> tuple[list[tuple[str, Any]], list[str], dict[str, str]]:
    """The options given that ``quantize batch`` takes too, as ``(flag, value)`` pairs, those
    it has none for, and those it would refuse with these values, each with why: what a
    folder given as an input is pointed to batch with (:func:`~quantize.cli.common.folder_hint`).

    An option batch refuses (``-k 300``: its outputs are indexed images) is left out of
    the call, so that the call proposed is one batch runs; so is the ``output`` file
    (``-o o.png``), as batch's ``-o`` is the folder the call names ``OUT_DIR``.
    """
    from .batch import refused_reduce_options

    refused = refused_reduce_options(given["n_colors"], given["palette_in"], given["quality"],
                                     ext)
    if output is not None:
        refused = {f"-o {shell_quoted(output)}": "in batch -o names the output folder",
                   **refused}
    strength = given["dither"]
    dither = None if strength is None else "--dither" if strength == 1.0 \
        else f"--dither={strength}" if isinstance(strength, str) \
        else f"--dither={shown_number(strength)}"
    colors = None if f"-k {given['n_colors']}" in refused else given["n_colors"]
    palette_in = None if "--palette-in" in refused else given["palette_in"]
    palette = None if given["palette"] == "global" else given["palette"]
    carried = [("-k", colors), ("--quality", given["quality"]),
               ("--quality-limit", given["quality_limit"]), ("--max-bytes", given["max_bytes"]),
               ("--space", given["space"]), (dither or "--dither", dither is not None),
               ("--exact-colors", given["exact_colors"]), ("--palette-in", palette_in),
               ("--palette-fitted", given["palette_fitted"] and palette_in is not None),
               ("--palette", palette), ("--nearest", given["nearest"]),
               ("--matte", given["matte"]),
               *(("--fixed-color", color) for color in given["fixed_colors"] or ()),
               ("--transparent-color", given["transparent_color"]),
               ("--strip", given["strip"]),
               ("--keep-gps", given["keep_gps"]), ("--nodata", given["nodata"]),
               ("--intent", given["intent"]), ("--stretch", given["stretch"]),
               ("--stretch-clip", given["stretch_clip"]),
               ("--stretch-curve", given["stretch_curve"]),
               ("--stretch-softening", given["stretch_softening"]),
               ("--stretch-range", given["stretch_range"]), ("--seed", given["seed"] or None),
               ("--optimize", given["optimize"]),
               ("--skip-if-larger", given["skip_if_larger"]),
               ("--copy-if-larger", given["copy_if_larger"]), ("--force", given["force"]),
               ("--max-pixels", None if given["max_pixels"] == DEFAULT_MAX_PIXELS
                else given["max_pixels"]),
               ("--max-frames", None if given["max_frames"] == DEFAULT_MAX_FRAMES
                else given["max_frames"]),
               ("--ext", ext), ("-j", jobs), ("-q", show == "quiet"),
               ("--json", show == "json")]
    dropped = [name for name, used in (("--format", stdout_format is not None),
                                       ("--palette-out", given["palette_out"] is not None),
                                       ("--masks", given["masks"] is not None))
               if used]
    return carried, dropped, refused


# --------------------------------------------------------------------------
# Options and file names
# --------------------------------------------------------------------------


class _File(NamedTuple):
    """One input and where its output goes (None: reduce's default name; "-": stdout).

    ``by_ext``: the output was named by ``--ext``, which its errors then name.
    ``shown``: how its summary line names the input, when not as ``input`` (the frames
    ``--frames`` joins, ``input`` the first).
    """

    input: str
    output: str | None
    by_ext: bool = False
    shown: str | None = None

    @property
    def to_stdout(self) -> bool:
        return self.output == STDIO


def _plan_files(inputs: Sequence[str], output: str | None, ext: str | None,
                palette_out: str | None) -> list[_File]:
    """Pair every input with its output, refusing what cannot work (usage errors, exit 2)."""
    if output == "":
        fail("-o/--output is empty; expected an output image path, or - for stdout",
             USAGE_ERROR)
    if output is not None and output != STDIO and names_a_descriptor(output):
        fail(f"-o/--output={quoted(output)} names a file descriptor, not an image file; "
             "to write the image to stdout, give -o -", USAGE_ERROR)
    _refuse_stream_outputs(output, palette_out)
    names = [str(p) for p in inputs]
    if len(names) > 1:
        _refuse_stdin_among(names)  # before -o's advice of --ext, which stdin refuses
        if output is not None:
            fail(f"-o/--output names one file but {len(names)} inputs were given; use --ext "
                 f"to name the outputs after their inputs{_frames_hint(output)}", USAGE_ERROR)
        if palette_out is not None:
            fail(f"--palette-out names one file but {len(names)} inputs were given; write "
                 "each input's palette in a call of its own", USAGE_ERROR)
    if palette_out == STDIO:  # said as such: "has no extension" would ask for one
        from ..palette_files import PALETTE_FORMAT_LIST

        fail("--palette-out=-: the palette is written to a file, not to stdout; name a "
             f"{PALETTE_FORMAT_LIST} file", USAGE_ERROR)
    if output is not None and ext is not None:
        refuse_both("-o/--output", "--ext")
    if ext is not None and STDIO in names:
        fail(f"--ext={quoted(ext)} names each output after its input, but - (stdin) has no name; "
             "its image goes to stdout, or name a file with -o", USAGE_ERROR)
    if ext is not None:
        _check_ext(ext)
    if output is None:
        # -o names the output of a single input: beside other inputs, a pipe needs its own call.
        naming = ("-o (or -o - for stdout)" if len(names) == 1
                  else "-o, in a call of its own (-o takes a single input)")
        for name in names:
            if name != STDIO and (is_stream(Path(name)) or names_a_descriptor(name)):
                refuse_stream_without_output(Path(name), naming)
    return [_File(name, _output_for(name, output, ext), ext is not None) for name in names]


def _refuse_palette_as_image(output: str | None) -> None:
    """Refuse (usage error) an ``-o`` named as a palette file (``-o pal.gpl``), no image's
    extension, saying how a palette is written: ``--palette-out``, or ``quantize palette``."""
    from ..palette_files import PALETTE_FORMATS
    from ..reduce import output_kind

    if output is None or output == STDIO or Path(output).suffix.lower() not in PALETTE_FORMATS:
        return
    try:
        output_kind(Path(output))
    except ValueError as exc:
        fail(printable_line(f"{as_flags(str(exc))}; to write a palette, use --palette-out "
                            "or `quantize palette`"), USAGE_ERROR)
class _Joined(NamedTuple):
    """The inputs ``--frames`` joins into one animation, in order, its ``--fps`` and its
    ``--loop`` (checked)."""

    inputs: tuple[str, ...]
    fps: float
    loop: int


def _plan_frames(inputs: Sequence[str], written: tuple[str | None, str | None],
                 ext: str | None, timing: tuple[float | None, int | None], frames: bool,
                 copy_if_larger: bool) -> _Joined | None:
    """The frames ``--frames`` joins, or None without it; refusing (usage errors) what
    cannot go with it, before any work: no file named by ``-o``, or stdout (``-o -``)
    without ``--format`` naming an animated format (``written``: ``-o`` and ``--format``),
    ``--ext`` or ``--copy-if-larger`` (no
    input is the output's), stdin beside other inputs (alone, the images it holds are
    the frames: :func:`_stdin_frames`), and ``timing`` (``--fps``, ``--loop``) given
    without it or out of range. Whether each input is a still of the
    first's size is the job's to say (:func:`~quantize.animation.reduce_frame_files`),
    also before it writes anything."""
    fps, loop = timing
    output, stdout_format = written
    if not frames:
        given = next((flag for flag, value in (("--fps", fps), ("--loop", loop))
                      if value is not None), None)
        if given is not None:
            fail(f"{given} times the animation --frames joins the inputs into; add --frames "
                 "(e.g. quantize reduce frames/*.png --frames -o out.gif)", USAGE_ERROR)
        return None
    if ext is not None:
        refuse_both("--frames", "--ext")
    if copy_if_larger:
        refuse_both("--frames", "--copy-if-larger")
    if output is None:
        fail("--frames joins the inputs into one animation file: name it with -o "
             "(.gif, .png, .apng or .webp), e.g. -o out.gif", USAGE_ERROR)
    if output == STDIO and stdout_format is None:
        fail("-o -: --frames writes the animation to stdout in the format --format names "
             "(gif, png, apng or webp), e.g. -o - --format gif; give it, or name a file with "
             "-o", USAGE_ERROR)
    if STDIO in inputs and len(inputs) > 1:
        fail(f"-: --frames joins the images stdin holds, one after another, or files: stdin "
             f"must be the only input ({len(inputs)} inputs were given)", USAGE_ERROR)
    from ..animation.sequence import DEFAULT_FPS, check_frame_timing, check_joined_output

    with user_errors():
        if output == STDIO:  # a format _stdout_suffix has not checked yet: said as --format
            _check_joined_format(str(stdout_format))
        else:
            check_joined_output(output)
        checked = check_frame_timing(DEFAULT_FPS if fps is None else fps,
                                     0 if loop is None else loop)
    return _Joined(tuple(str(name) for name in inputs), *checked)


def _check_joined_format(given: str) -> None:
    """Refuse (usage error) a ``--format`` in which ``--frames`` cannot write its animation
    to stdout: one that is no animated format (``--format jpg``, ``tif``).

    >>> _check_joined_format("GIF")
    """
    from ..animation.sequence import joins_into

    if not joins_into("." + given):
        fail(f"--format={quoted(given)}: --frames joins the inputs into an animation, "
             "written to stdout as gif, png (APNG), apng or webp; expected one of those",
             USAGE_ERROR)


def _joined_name(joined: _Joined) -> str:
    """How the summary line names the frames ``joined``: the first, the last and how many.

    >>> _joined_name(_Joined(("f1.png", "f2.png", "f3.png"), 10.0, 0))
    'f1.png … f3.png (3 frames)'
    >>> _joined_name(_Joined(("-",), 10.0, 0))  # stdin's images, not yet read
    '-'
    """
    if joined.inputs == (STDIO,):
        return STDIO
    return f"{joined.inputs[0]} … {joined.inputs[-1]} ({len(joined.inputs)} frames)"


def _frames_hint(output: str) -> str:
    """The end of the error of ``-o`` given several inputs: when it names an animated
    format, that ``--frames`` joins them into one animation.

    >>> _frames_hint("out.gif"), _frames_hint("out.jpg")
    (', or --frames to join them, as frames, into one animation', '')
    """
    from ..animation.sequence import joins_into

    if not joins_into(Path(output).suffix):
        return ""
    return ", or --frames to join them, as frames, into one animation"


def _refuse_masks_without_a_file(masks: str | None, files: Sequence[_File]) -> None:
    """Refuse (usage error) ``--masks`` beside several inputs, whose masks would land in one
    folder, or an image written to stdout, whose name the masks take theirs from."""
    if masks is None:
        return
    if len(files) > 1:
        fail(f"--masks={quoted(masks)} takes one input, but {len(files)} were given; write "
             "each input's masks in a call of its own", USAGE_ERROR)
    if files[0].to_stdout:
        fail(f"--masks={quoted(masks)}: the masks are named after the output file, and the "
             "image goes to stdout; name the output with -o FILE", USAGE_ERROR)


def _refuse_stream_outputs(output: str | None, palette_out: str | None) -> None:
    """Refuse (usage error) an ``-o`` or ``--palette-out`` that is an existing pipe,
    device or socket (:data:`~quantize.io.STREAM_OUTPUT`), before its name is read for a
    format: ``/dev/null`` was said to have no extension. The image goes to one by stdout."""
    if output is not None and output != STDIO and is_stream(Path(output)):
        fail(f"-o/--output={quoted(output)} {STREAM_OUTPUT}; to write the image to it, give "
             "-o - and redirect stdout there", USAGE_ERROR)
    if palette_out is not None and palette_out != STDIO and is_stream(Path(palette_out)):
        fail(f"--palette-out={quoted(palette_out)} {STREAM_OUTPUT}", USAGE_ERROR)


def _refuse_stdin_among(names: Sequence[str]) -> None:
    """Refuse stdin among several inputs (usage error): it is read once, and its image has
    no name to give an output beside the others'."""
    if names.count(STDIO) > 1:
        fail(f"-: stdin is given {names.count(STDIO)} times; it holds one image, read once: "
             "give - once", USAGE_ERROR)
    if STDIO in names:
        fail(f"-: stdin must be the only input ({len(names)} inputs were given); reduce "
             "the other files in a call of their own", USAGE_ERROR)


def _stdout_suffix(given: str | None, files: Sequence[_File], ext: str | None) -> str | None:
    """The extension whose format the image written to stdout takes: ``--format``'s
    (``given``), or None, the input's (:func:`~quantize.reduce.stream_output_suffix`, once
    it is read: stdin's is copied first); refusing (usage errors) a name that is no extension ``-o``
    takes, and a ``--format`` beside an output named otherwise that is not its
    extension's format (``-o small.png --format gif``), or named by default (its format
    is the input's: ``--ext`` chooses it). A folder's images are pointed to batch."""
    if given is None:
        return None
    suffix = "." + given.lower()
    if suffix[1:] not in FORMATS:
        fail(f"--format={quoted(given)} is not valid; expected one of {_FORMAT_LIST}",
             USAGE_ERROR)
    for f in files:
        if f.to_stdout or os.path.isdir(f.input):
            continue
        if f.output is None:
            fail(f"--format={quoted(given)} picks the format of an image written to stdout "
                 f"(-o -), but {printable_line(f.input)} is written to a file named after it; "
                 f"choose that file's format with --ext (--ext .small{suffix}) or -o",
                 USAGE_ERROR)
        if not Path(f.output).suffix and not f.by_ext:  # no extension to contradict
            fail(f"-o/--output={quoted(f.output)} has no extension (a file's extension picks "
                 "its format; --format picks that of an image written to stdout, -o -); name "
                 f"the file with one: -o {shell_quoted(f.output + suffix)}", USAGE_ERROR)
        if not _same_format(Path(f.output).suffix, suffix):
            named = f"--ext={quoted(ext)}" if f.by_ext else f"-o/--output={quoted(f.output)}"
            fail(f"--format={quoted(given)} contradicts {named}, whose extension picks the "
                 "output's format; --format picks that of an image written to stdout (-o -)",
                 USAGE_ERROR)
    return suffix


def _same_format(one: str, other: str) -> bool:
    """Whether the extensions ``one`` and ``other`` name one format (``.jpg`` and ``.jpeg``,
    ``.png`` and ``.apng``: as Pillow registers them)."""
    from PIL import Image

    formats = Image.registered_extensions()
    one, other = one.lower(), other.lower()
    return one == other or formats.get(one, one) == formats.get(other, other)


def _refuse_per_frame_to_stdout(given: str | None, suffix: str = ".png") -> None:
    """Refuse ``--palette per-frame`` for an image written to stdout in another format than
    GIF or TIFF (usage error), saying what chose that format: ``--format`` (``given``), or,
    without it, the input, whose image goes to stdout in the format of extension ``suffix``."""
    stdout = (f"--format={quoted(given)} writes a .{given.lower()} image to stdout"
              if given is not None else
              f"without --format, this input's image goes to stdout as a {suffix[1:].upper()}")
    needs = PER_FRAME_NEEDS.replace(" output ", " output file ")
    fail(f"--palette='per-frame' needs {needs}, but "
         f"{stdout}; give --format gif or tif, or name a .gif or .tif file with -o",
         USAGE_ERROR)


def _refuse_terminal(files: Sequence[_File], output: str | None, suffix: str | None) -> None:
    """Refuse, before any work, to read an image from a terminal or write one to it
    (usage errors): typed in, an image cannot be; shown, its bytes would fill the screen
    with noise and may reach the terminal as commands."""
    if any(f.input == STDIO for f in files) and is_terminal(sys.stdin):
        fail("-: stdin is a terminal; pipe an image in (quantize reduce - < photo.png), or "
             "name the file", USAGE_ERROR)
    sent = next((f for f in files if f.to_stdout), None)
    if sent is not None and is_terminal(sys.stdout):
        given = ("-o - writes the image's bytes" if output == STDIO
                 else "without -o, stdin's image is written")
        # Named after the input, never the input itself: "> photo.png" after "reduce
        # photo.png -o -" has the shell empty the input before quantize reads it.
        if suffix is None and sent.input != STDIO:
            from ..reduce import stream_output_suffix

            suffix = stream_output_suffix(sent.input)
        to = ("small.gif for a GIF, small.png for a PNG" if suffix is None
              else f"small{suffix}" if sent.input == STDIO
              else shell_quoted("{}.small{}".format(*output_parts(sent.input, suffix))))
        fail(f"{printable_line(sent.input)}: {given} to stdout, which is a terminal; redirect "
             f"it (> {to}), or name a file with -o", USAGE_ERROR)


def _refuse_stdout_onto_input(files: Sequence[_File]) -> None:
    """Refuse, before any work, a stdout that is the input file the image goes there from
    (``reduce a.png -o - >> a.png``, ``reduce - < a.png > a.png``): a usage error, as
    ``-o a.png`` is. Behind ``>``, the shell has emptied it already: said so, as "file is
    empty" did not tell why."""
    import stat

    sent = next((f for f in files if f.to_stdout), None)
    if sent is None:
        return
    try:
        out = os.fstat(sys.stdout.fileno())
        source = os.fstat(sys.stdin.fileno()) if sent.input == STDIO else os.stat(sent.input)
    except (AttributeError, OSError, ValueError):  # closed, not a file: no file to compare
        return
    if stat.S_ISREG(out.st_mode) and (out.st_dev, out.st_ino) == (source.st_dev, source.st_ino):
        why = ("which a '>' redirection to it emptied before quantize started" if
               source.st_size == 0 else "which is never overwritten")
        fail(f"{printable_line(sent.input)}: stdout, where the image is written, is the input "
             f"file itself, {why}; redirect stdout to another file", USAGE_ERROR)


def _read_files(files: Sequence[_File], palette_in: Any,
                joined: "_Joined | None" = None) -> list[tuple[Any, str]]:
    """The files the command reads, each with what it is, for
    :func:`~quantize.cli.common.refuse_text_onto_files`: the inputs (with ``--frames``,
    every frame ``joined``), and a palette file."""
    read: list[tuple[Any, str]] = [(name, "an input") for name in joined.inputs] if joined \
        else [(f.input, "an input") for f in files]
    if isinstance(palette_in, str | os.PathLike):
        read.append((palette_in, "the --palette-in file"))
    return read


def _refuse_option_values_as_inputs(inputs: Sequence[str], dither: bool,
                                    given: Sequence[str]) -> None:
    """Refuse, before any work and before the count of inputs is held against ``-o``, an
    input that names no file and reads as an option's value (usage errors): a strength
    after ``--dither`` (``--dither 0.5``, then read as full strength), a word after it
    (``--dither ordered``: written ``--dither=ordered``), a unit after ``--max-bytes``'
    value (``--max-bytes 256 KB``: :func:`~quantize.cli.common.max_bytes_unit_error`), or
    a whole number (``reduce 16 a.png``, as
    pngquant takes the colours: :func:`_colors_hint`). ``inputs``: those typed before ``--``
    (:func:`~quantize.cli.common.typed_before_dashes`), after which a name is a file name
    whatever it looks like; ``given``: the arguments typed before ``--``.
    """
    for p in inputs:
        name = str(p)
        if line := dither_value_error(name, dither, given) or max_bytes_unit_error(name, given):
            fail(line, USAGE_ERROR)
        if hint := _colors_hint(name):
            fail(f"{name}: no such file{hint}", USAGE_ERROR)


def _colors_hint(name: str) -> str:
    """The end of the error line of an input ``name`` that is a whole number and no file:
    the number of colours, given first as pngquant takes it (``quantize reduce 64
    icon.png``), which quantize takes as ``-k``; "" for any other input.

    >>> _colors_hint("64"), _colors_hint("photo.png")
    ('; did you mean -k 64?', '')
    """
    if not (name.isascii() and name.isdigit()) or os.path.lexists(name):
        return ""
    return f"; did you mean -k {name}?"


def _output_for(name: str, output: str | None, ext: str | None) -> str | None:
    if output is not None:
        return output
    if name == STDIO:
        return STDIO
    if ext is not None:
        src = Path(name)
        return str(src.parent / "".join(output_parts(src, ext)))  # not with_name: fails on "/"
    return None


def _refuse_colors_no_output_holds(files: Sequence[_File], options: dict[str, Any],
                                   sizes: "_PaletteSizes | None", stdout_suffix: str) -> None:
    """Refuse, before any file is read, more colours than the outputs named hold: ``-k``
    over 256, or a ``--palette-in`` file that draws more for a still and an animation alike,
    when every output is named an indexed image (``-o``/``--ext`` .png or .gif, or stdout's
    image in the format of ``stdout_suffix``, .png or .gif). Each job refused it too, naming
    its input as if the problem were the file's, in other words for a still and an
    animation, after the files before it were written.

    A default name's format is the input's (a still's .png, an animation's own), and so is
    its refusal: each job's.
    """
    from ..reduce import check_indexed_colors
    from ..reduce.options import palette_in_name

    named = [f for f in files if not os.path.isdir(f.input)]  # a folder is pointed to batch
    if options["quality"] is not None or not named or not all(
            f.output is not None and (stdout_suffix if f.to_stdout else Path(f.output).suffix)
            .lower() in PALETTE_EXTENSIONS for f in named):
        return
    try:
        if options["palette_in"] is None or options["n_colors"] is not None:
            check_indexed_colors(options["n_colors"], "n_colors")
        elif sizes is not None and sizes.animation > MAX_PALETTE:
            check_indexed_colors(sizes.still, palette_in_name(options["palette_in"]))
    except FormatAdviceError as exc:
        raise _stdout_advice(exc) if any(f.to_stdout for f in named) else exc from None


def _check_ext(ext: str) -> None:
    from ..reduce import check_ext

    with user_errors():
        check_ext(ext, "--ext", where=", which is written beside its input: to write it "
                  "elsewhere, name it with -o")


class _PaletteSizes(NamedTuple):
    """The N of the default output names ``STEM.k<N>.EXT`` a ``--palette-in`` file gives:
    ``still``, the entries a still keeps (alpha above 0); ``animation``, those an animation
    with binary transparency (a GIF) draws (alpha >= 128), which are fewer when some entry
    is translucent; ``partial``, those an animation that keeps partial alpha (an APNG, a
    WebP) draws."""

    still: int
    animation: int
    partial: int

    def of(self, src: Path, suffix: str) -> int:
        """The N of ``src``'s default output name, which ends in ``suffix``: a still's, or
        an animation's (:func:`_is_still`)."""
        from ..animation.sinks import partial_alpha_frames

        if _is_still(src, suffix):
            return self.still
        return self.partial if partial_alpha_frames(suffix) else self.animation


def _check_distinct_outputs(files: Sequence[_File], options: dict[str, Any],
                            sizes: _PaletteSizes | None) -> None:
    """Refuse an input given twice, and two inputs that would write the same output.

    Output names are compared as a volume that ignores case and Unicode normalization
    compares them (:func:`~quantize.io.folded_name`), as batch compares its outputs'
    names: ``a.png`` and ``A.jpg`` are written ``a.k16.png`` and ``A.k16.png``, one file on
    macOS and Windows, where the second replaced the first. A default output is
    ``STEM.k<N>`` and ``.png`` for a still, the input's own extension (or ``.gif``) for
    an animation: inputs of one folder and stem are refused when their frame counts (read
    from the headers) give them one extension and their N is the same, or may be: with
    ``--quality`` the k each image needs is not known before it is reduced, and N is shown
    ``<N>``. ``sizes``: the N a still and an animation take from the ``--palette-in``
    file, or None.
    """
    from ..reduce import default_output_suffix

    stems = _inputs_by_stem(files)
    # key -> the first input and its output's name
    seen: dict[Any, tuple[str, str]] = {}
    for f in files:
        src = Path(f.input)
        folder, stem = _stem_key(src)
        if f.output is not None:
            key: Any = name_key(Path(f.output))
            shown = f.output
        elif len(stems[(folder, stem)]) == 1:  # read no header without a need
            key, shown = (folder, stem, None), ""
        elif (suffix := default_output_suffix(src)) is None:
            continue  # unreadable: refused by its job, which writes nothing
        else:
            shown = str(reduced_name(src, _shown_k(src, suffix, options, sizes), suffix))
            key = (folder, folded_name(Path(shown).name))  # a.k16.9.png is not a.9.k16.png
        if key in seen and (seen[key][0] == f.input or same_file(seen[key][0], f.input)):
            first = seen[key][0]
            again = "" if first == f.input else f" (the second time as {f.input})"
            fail(f"{first}: given twice as an input{again}", USAGE_ERROR)
        if key in seen:
            _refuse_shared_output(seen[key], (f.input, shown),
                                  chosen=f.output is None and options["quality"] is not None)
        seen[key] = (f.input, shown)


def _shown_k(src: Path, suffix: str, options: dict[str, Any],
             sizes: _PaletteSizes | None) -> str:
    """The N of ``src``'s default output name ``STEM.k<N>`` + ``suffix``, or "<N>" when it
    depends on the image (the k ``--quality`` chooses). With a ``--palette-in``, N is the
    entries a still keeps, or those an animation draws (:class:`_PaletteSizes`)."""
    from ..reduce import default_output_names

    if options["quality"] is None and sizes is not None:
        return str(sizes.of(src, suffix))
    numbers = default_output_names(src, options["n_colors"], options["quality"], None)[".png"]
    return str(next(iter(numbers))) if len(numbers) == 1 else "<N>"


def _is_still(src: Path, suffix: str) -> bool:
    """Whether ``src``, whose default output ends in ``suffix``, is a still image: a
    ``.png`` output is a still's, or an APNG's named ``.png`` (told by its frame count,
    read from the header; False when it cannot be read)."""
    from ..animation import count_frames
    from ..animation.sinks import default_suffix
    from ..errors import ImageReadError

    if suffix != ".png" or default_suffix(src) != ".png":
        return suffix == ".png"
    try:
        return count_frames(src) == 1
    except (ImageReadError, OSError, ValueError):
        return False


def _refuse_shared_output(first: tuple[str, str], second: tuple[str, str],
                          chosen: bool = False) -> None:
    """Refuse two inputs (each with its output's name) whose outputs are one file.

    ``chosen``: the names are ``STEM.k<N>``, N the k ``--quality`` chooses for each image,
    so they are one file when it chooses the same k for both, which is not known before
    they are reduced (and an image's colours may well ask the same k as another's).
    """
    (one, out_one), (two, out_two) = first, second
    where = (f"the same output {out_one} as {one}" if out_one == out_two
             else f"the same output file as {one}: {one_file_names(out_one, out_two)}")
    if chosen:
        fail(f"{two}: may be written to {where}, as N is the k --quality chooses for each "
             "image, and it may choose the same for both; rename one, or reduce each with "
             "its own -o", USAGE_ERROR)
    fail(f"{two}: would be written to {where}; rename one, or reduce each with its own -o",
         USAGE_ERROR)


def _check_no_input_overwritten(files: Sequence[_File], options: dict[str, Any],
                                sizes: _PaletteSizes | None) -> None:
    """Refuse an output that is another input (``a.png`` -> ``a.k16.png`` beside an input
    ``a.k16.png``): one job would replace a file another reads, even with ``--force``.

    A default name that depends on the image (the k ``--quality`` chooses, an
    animation's format, the colours of a ``--palette-in`` an animation keeps)
    is refused when any name it may take is another input's. ``sizes``: the N a still and
    an animation take from the ``--palette-in`` file, or None. An output that is its own input is
    refused first (:func:`_check_no_output_is_its_input`), then a ``--palette-out`` that
    is the ``--palette-in`` file (:func:`_check_palette_in_kept`).
    """
    _check_no_output_is_its_input(files, options["palette_out"])
    _check_no_default_output_is_its_input(files, options, sizes)
    _check_palette_in_kept(options["palette_in"], options["palette_out"])
    if len(files) < 2:
        return
    given = [f.input for f in files if f.input != STDIO]
    inputs = _inputs_landing(files)
    folded = {name_key(Path(name)): name for name in given}
    for f in files:
        if f.output is None or f.to_stdout:
            continue
        out = Path(f.output)
        if (other := inputs.get(landing(out))) is not None and other != f.input:
            _refuse_output(f.input, "would be", f.output, other)
        if (other := folded.get(name_key(out))) is not None and other != f.input:
            _refuse_output(f.input, "would be", f.output, other)
    if any(f.output is None for f in files):
        _check_default_outputs(files, options, sizes)


def _refuse_batch_folders(files: Sequence[_File], palette_out: str | None) -> None:
    """Refuse an output (or ``--palette-out``) in a folder a running ``quantize batch``
    writes into (:func:`~quantize.batch.lock.refuse_batch_folder`), before any work,
    naming its input (or ``--palette-out``). A default name is beside its input."""
    from ..batch.lock import refuse_batch_folder

    written = [(f.input, f.output if f.output is not None else f.input) for f in files
               if not f.to_stdout and not os.path.isdir(f.input)]
    if palette_out is not None:
        written.append((f"--palette-out={palette_out}", palette_out))
    first = {Path(output).parent: name  # each folder asked once, named by its first
             for name, output in reversed(written)}
    for folder, name in reversed(first.items()):
        refuse_batch_folder(folder, name=name, instead="write the output elsewhere")


def _check_named_outputs(output: str | None, palette_out: str | None) -> None:
    """Refuse, before any work, an ``-o`` or ``--palette-out`` name that no file can be
    written under, whatever the input (:func:`~quantize.reduce.options.check_output_names`:
    a folder, a name ending in "/", one under an existing file; and an ``-o`` extension no
    output is written in, :func:`~quantize.reduce.output_kind`), named as the option alone,
    as a missing folder is (:func:`_refuse_missing_folders`). The job refused it too, but
    as an error of its input, which it named first."""
    from ..reduce import output_kind
    from ..reduce.options import check_output_names

    check_output_names(None if output == STDIO else output, palette_out)
    if output is not None and output != STDIO:
        output_kind(Path(output))


def _refuse_missing_folders(files: Sequence[_File], palette_out: str | None) -> None:
    """Refuse, before any work, an output named with ``-o`` (or the ``--palette-out``
    file) whose folder does not exist (a usage error, as one under an existing file is:
    ``-o notes.txt/x.png``), or is a link into a loop of links
    (:func:`~quantize.cli.common.refuse_missing_folder`). The job refused it too, but with
    exit 1, as a failed file."""
    named = [("-o/--output", f.output) for f in files
             if f.output is not None and not f.to_stdout and not f.by_ext]
    if palette_out is not None:
        named.append(("--palette-out", palette_out))
    for flag, output in named:
        refuse_missing_folder(flag, output)


def _check_no_output_is_its_input(files: Sequence[_File], palette_out: str | None) -> None:
    """Refuse, before any work, an output named with ``-o`` or ``--ext`` (or the
    ``--palette-out`` file) that is its own input: ``reduce a.png -o a.png``, ``reduce
    a.png b.jpg --ext .png``. The job refused it too, but only when it came to that file:
    exit 1, after the other files were written.

    Told by the file system (:func:`~quantize.names.same_file`): the same file through a
    link, or by a name in another case where names ignore it; an output that does not
    exist is no input. And by the name, where the system tells them apart: a name of the
    input's folder that is the input's where names ignore case or Unicode form
    (``reduce a.png --ext .PNG``), as other inputs are compared (:func:`_refuse_output`),
    so that the same command does not replace its input on macOS or Windows.
    """
    for f in files:
        if f.input == STDIO:
            _refuse_outputs_onto_stdin(f, palette_out)
            continue
        if (what := _output_as_input(f)) is not None:
            if f.by_ext:
                _refuse_ext_onto_inputs(files, f, what)
            fail(f"{f.input}: its output would be {what}, which is never overwritten (not "
                 "even with --force); name another file with -o", USAGE_ERROR)
        if palette_out is not None and (what := output_as_input(palette_out, f.input, " is")):
            fail(f"{f.input}: --palette-out={what}, which is never overwritten (not even with "
                 "--force); write the palette to another file", USAGE_ERROR)


def _output_as_input(f: _File) -> str | None:
    """How the output named for ``f`` with ``-o`` or ``--ext`` is its own input
    (:func:`~quantize.cli.common.output_as_input`), or None when it is not, or is stdout
    or a default name."""
    if f.input == STDIO or f.output is None or f.to_stdout:
        return None
    return output_as_input(f.output, f.input)


def _refuse_ext_onto_inputs(files: Sequence[_File], first: _File, what: str) -> NoReturn:
    """Refuse an ``--ext`` suffix that makes the output of ``first`` (and maybe others)
    its own input (``reduce --ext .png --force a.png b.png``, as ``pngquant --ext .png
    --force`` is called to replace its inputs): the first named, with how many more,
    and the way to outputs of the inputs' own names, in another folder (``batch --ext
    same``)."""
    more = sum(f is not first and f.by_ext and _output_as_input(f) is not None for f in files)
    said = f"its output would be {what}" if not more else (
        f"and {more} more input{'s' if more > 1 else ''}: each output would be its own input "
        f"({first.input}'s {what})")
    fail(f"{first.input}{':' if not more else ''} {said}, which is never "
         "overwritten (not even with --force); choose another --ext suffix, or write outputs "
         "of the inputs' own names into another folder: quantize batch INPUT_DIR -o OUT_DIR "
         "--ext same", USAGE_ERROR)


def _refuse_outputs_onto_stdin(f: _File, palette_out: str | None) -> None:
    """Refuse, before any work, an output named with ``-o`` (or the ``--palette-out``
    file) that is the file stdin is redirected from (``reduce - -o a.png --force <
    a.png``), as an output that is its input by name is refused: with ``--force`` it was
    replaced."""
    named = [] if f.output is None or f.to_stdout else [
        (f"its output would be {quoted(f.output)},", f.output, "name another file with -o")]
    if palette_out is not None:
        named.append((f"--palette-out={quoted(palette_out)} is", palette_out,
                      "write the palette to another file"))
    for said, output, how in named:
        if is_stdin_file(output):
            fail(printable_line(f"-: {said} the file stdin is redirected from, which is never "
                                f"overwritten (not even with --force); {how}"), USAGE_ERROR)


def _check_no_default_output_is_its_input(files: Sequence[_File], options: dict[str, Any],
                                          sizes: _PaletteSizes | None) -> None:
    """Refuse, before any work, a default output name (any it may take) that is its own
    input through a link (``a.k16.png`` -> ``a.png``), as :func:`_check_no_output_is_its_input`
    refuses a name given: the job refused it only when it came to that file, exit 1, after
    the other files were written. So is one that is a folder, as a name given by ``-o`` or
    ``--ext`` is (the job's exit 1 said "is a directory"). Each folder is listed once, for
    the names of that form."""
    inputs = _inputs_landing(files)
    for f, out, verb in _existing_default_outputs(files, options, sizes):
        if os.path.isdir(out):  # as --ext, or -o, naming a folder is refused
            fail(f"{f.input}: its output {verb} {quoted(out)}, which is a folder; expected "
                 "a file name: name another file with -o", USAGE_ERROR)
        if same_file(out, f.input):
            what = ("a link to the input" if os.path.islink(out)
                    else "the input itself under another name (a hard link)")
            fail(f"{f.input}: its output {verb} {quoted(out)}, {what}, which is never "
                 "overwritten (not even with --force); name another file with -o",
                 USAGE_ERROR)
        if os.path.islink(out) and (other := inputs.get(landing(out))) is not None:
            _refuse_output(f.input, verb, out, other)  # names: _check_default_outputs


def _existing_default_outputs(files: Sequence[_File], options: dict[str, Any],
                              sizes: _PaletteSizes | None) -> list[tuple[_File, str, str]]:
    """The names in the inputs' folders that an input's default output may take (any N
    it may take, or more), each with its file and how sure it is ("would be", "may be"):
    those through which it may be written elsewhere (a link), or not at all (a folder).
    Each folder is listed once, for the names of that form."""
    from ..reduce import default_output_names

    listed: dict[Path, dict[str, list[re.Match[str]]]] = {}
    found = []
    for f in files:
        if f.output is not None or f.input == STDIO:
            continue
        src = Path(f.input)
        if src.parent not in listed:
            listed[src.parent] = _numbered_names(src.parent)
        there = listed[src.parent].get(output_parts(src, ".png")[0], ())  # a 9-patch's: .png
        names = default_output_names(src, options["n_colors"], options["quality"],
                                     sizes) if there else {}  # read no header without a need
        ends = {output_parts(src, suffix): numbers for suffix, numbers in names.items()}
        for parsed in there:
            numbers = ends.get((parsed["stem"], parsed["ext"]), ())
            if int(parsed["n"]) in numbers:
                found.append((f, str(src.parent / parsed.string),
                              "would be" if len(numbers) == 1 else "may be"))
    return found


def _inputs_landing(files: Sequence[_File]) -> dict[tuple[Any, ...], str]:
    """The inputs (not stdin) by the file each is read from (:func:`~quantize.io.landing`):
    an output that lands there, through a link at its name or not, would replace it."""
    return {landing(f.input): f.input for f in reversed(files) if f.input != STDIO}


def _check_outputs_land_apart(files: Sequence[_File], options: dict[str, Any],
                              sizes: _PaletteSizes | None) -> None:
    """Refuse, before any work, two outputs of the command that land on one file through
    a link at a name (:func:`~quantize.io.shared_landing`): ``-o same.png --palette-out
    l.gpl``, ``l.gpl`` a link to ``same.png``; ``a.k8.png`` and ``b.k8.png`` links to
    one file. Written in turn, the second replaced the first, and both were said written.
    Outputs of one name are compared before (:func:`_check_distinct_outputs`)."""
    named: dict[tuple[str, Any], str] = {}  # (input, where it lands) -> output
    for f in files:
        if f.output is not None and not f.to_stdout:
            named[(f.input, landing(f.output))] = f.output
    for f, out, _ in _existing_default_outputs(files, options, sizes):
        if os.path.islink(out):  # one per file of those --quality may give
            named.setdefault((f.input, landing(out)), out)
    if options["palette_out"] is not None and options["palette_out"] != STDIO:
        named[("", landing(options["palette_out"]))] = options["palette_out"]
    listed = [(name, out) for (name, _), out in named.items()]
    shared = shared_landing(out for _, out in listed)
    if not shared:
        return
    later, earlier = next(iter(shared.items()))
    (in_one, one), (in_two, two) = listed[earlier], listed[later]
    shown = in_two or in_one  # the --palette-out is listed last
    first, second = (f"--palette-out={quoted(out)}" if not name
                     else f"its output {quoted(out)}" if name == shown
                     else f"the output {quoted(out)} of {name}"
                     for name, out in ((in_one, one), (in_two, two)))
    fail(printable_line(f"{shown}: {second} and {first} are one file through a link, "
                        "where one would replace the other; remove the link, or choose other "
                        "output names"), USAGE_ERROR)


def _numbered_names(folder: Path) -> dict[str, list[re.Match[str]]]:
    """The names of ``folder`` that a default output may have (:data:`_NUMBERED_NAME`), by
    their stem; none when it cannot be listed."""
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    by_stem: dict[str, list[re.Match[str]]] = {}
    for name in sorted(names):
        if (parsed := _NUMBERED_NAME.fullmatch(name)) is not None:
            by_stem.setdefault(parsed["stem"], []).append(parsed)
    return by_stem


def _check_palette_in_kept(palette_in: Any, palette_out: str | None) -> None:
    """Refuse, before any work, a ``--palette-out`` that is the ``--palette-in`` file, the
    palette mapped onto, as the job would (exit 1, after the image was read and reduced):
    a usage error, as an output that is its own input is."""
    if (palette_in is None or palette_out is None or not isinstance(palette_in, str | Path)
            or not same_file(palette_out, palette_in)):
        return
    fail(f"{palette_out}: is the file of --palette-in={quoted(str(palette_in))}, the palette "
         "mapped onto, which is never overwritten (not even with --force); write the palette "
         "to another file", USAGE_ERROR)


def _inputs_by_stem(files: Sequence[_File]) -> dict[tuple[Any, str], list[str]]:
    """The inputs given no ``--output`` name, each once, by :func:`_stem_key`: those of one
    list would write default outputs of one stem."""
    by_stem: dict[tuple[Any, str], list[str]] = {}
    for f in files:
        if f.output is None:
            inputs = by_stem.setdefault(_stem_key(Path(f.input)), [])
            if f.input not in inputs:
                inputs.append(f.input)
    return by_stem


def _stem_key(path: Path) -> tuple[Any, str]:
    """The stem of ``path``'s default outputs as the system finds it where names ignore
    case and Unicode form: its folder (:func:`~quantize.cli.common.folder_key`) and its folded stem
    (:func:`~quantize.names.output_parts`: a 9-patch's, ``btn`` of ``btn.9.png``, before
    ``.k<N>.9.png``; its outputs are all PNGs)."""
    return folder_key(path), folded_name(output_parts(path, ".png")[0])


def _check_default_outputs(files: Sequence[_File], options: dict[str, Any],
                           sizes: _PaletteSizes | None) -> None:
    """Refuse a default output name ``STEM.kN.EXT`` (any N it may take) that is an input,
    or the file an input links to (``b.png`` -> ``a.k16.png``: with --force, the job
    of ``a.png`` would replace it), names compared ignoring case and Unicode form; EXT is
    the one the frame count (read from the header) gives."""
    by_stem = _inputs_by_stem(files)
    for f in files:
        given = Path(f.input)
        if f.input == STDIO:
            continue
        for named in (given, resolved_path(given)) if given.is_symlink() else (given,):
            _check_default_output_is_not(named, str(given), by_stem, options, sizes)


def _check_default_output_is_not(path: Path, given: str,
                                 by_stem: dict[tuple[Any, str], list[str]],
                                 options: dict[str, Any],
                                 sizes: _PaletteSizes | None) -> None:
    """Refuse the default output of an input of ``by_stem`` (:func:`_inputs_by_stem`) that
    may be ``path``, the input ``given`` or the file it links to."""
    from ..reduce import default_output_names, default_output_suffix

    parsed = _NUMBERED_NAME.fullmatch(folded_name(path.name))
    if parsed is None:
        return
    for name in by_stem.get((folder_key(path), parsed["stem"]), ()):
        suffix = default_output_suffix(name)  # None: unreadable, so no output
        if suffix is None or parsed["ext"] != folded_name(output_parts(name, suffix)[1]):
            continue
        numbers = default_output_names(Path(name), options["n_colors"], options["quality"],
                                       sizes)[suffix]
        if len(numbers) > 1 and sizes is not None and options["quality"] is None:
            numbers = (sizes.of(Path(name), suffix),)
        if int(parsed["n"]) in numbers:
            out = str(reduced_name(Path(name), int(parsed["n"]), suffix))
            _refuse_output(name, "would be" if len(numbers) == 1 else "may be", out, given)


# A default output name: the input's stem, ".k", the number of colours (0 when --quality
# found no visible pixel) and the extension (a 9-patch's ".9.png": names.output_parts).
_NUMBERED_NAME = re.compile(r"(?P<stem>.+)\.k(?P<n>0|[1-9][0-9]*)(?P<ext>(?:\.9)?\.[^.]+)",
                            re.DOTALL)


def _palette_sizes(palette_in: Any, n_colors: int | None = None) -> _PaletteSizes | None:
    """:class:`_PaletteSizes` of the ``--palette-in`` file, or None; reading it names a bad
    file once, before any job (each job reads it again for its colours, and says its
    warnings). With ``n_colors`` (``-k``), that many of its colours are chosen."""
    from ..reduce.options import entries_drawn

    if palette_in is None:
        return None
    palette = read_palette_in_once(palette_in)
    if n_colors is not None:  # the best n_colors of it, for a still (an animation refuses it)
        return _PaletteSizes(n_colors, n_colors, n_colors)
    return _PaletteSizes(entries_drawn(palette, animated=False),
                         entries_drawn(palette, animated=True),
                         entries_drawn(palette, animated=True, partial_alpha=True))


def _note_palette_in(palette_in: Any) -> bool:
    """Say once, before the files of a command given several, the warnings about the
    ``--palette-in`` palette itself, which every file's job would say the same on its
    line: how its file is read (:class:`~quantize.palette_files.PaletteReadWarning`: a
    grid's gap colour, an .act's black tail left out) and its own entries
    (:class:`~quantize.errors.PaletteInWarning`: its file marks an entry transparent, or it
    repeats a colour, whose repeat no pixel of a still takes); return whether the jobs are
    to leave them out (a palette given, read as its jobs read it). That a repeat moves the
    colours after it is said of each animation, on its line
    (:class:`~quantize.errors.PaletteRepeatWarning`)."""
    import warnings

    from ..batch.calls import warning_lines
    from ..errors import PaletteInWarning
    from ..palette_files import PaletteReadWarning
    from ..reduce.options import (
        palette_in_name,
        read_palette_in_noted,
        warn_transparent_entries,
        warn_unused_repeats,
    )

    if palette_in is None:
        return False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", PaletteInWarning)
        warnings.simplefilter("always", PaletteReadWarning)
        palette = read_palette_in_noted(palette_in)
        if palette is None:  # read up front already: changed since, each job names it
            return False
        warn_transparent_entries(palette_in, palette, palette_in_name(palette_in))
        warn_unused_repeats(palette_in, palette, palette_in_name(palette_in))
    for line in warning_lines(caught):
        warn(None, line)
    return True


def _refuse_output(name: str, verb: str, output: str, other: str) -> None:
    """Refuse the output of the input ``name``, which ``verb`` ("would be", "may be")
    ``output``, the input ``other``: its name, a link to it, or one file with it where names
    ignore case or Unicode form (both then shown by code point when they look alike:
    :func:`~quantize.names.apart_by_code_point`)."""
    if Path(output).name == Path(other).name:
        same = f"{quoted(output)}, which is also an input"
    elif os.path.islink(output) and landing(output) == landing(other):
        same = f"{quoted(output)}, a link to the input {quoted(other)}"
    elif folded_name(Path(output).name) != folded_name(Path(other).name):
        same = f"{quoted(output)}, which the input {quoted(other)} links to"
    else:
        out, input = apart_by_code_point([output, other], quote=True)
        same = (f"{out}, which is also the input {input} where names ignore case or Unicode "
                "form (macOS, Windows)")
    fail(f"{name}: its output {verb} {same}; rename that input, or choose other output "
         "names with --ext", USAGE_ERROR)


def _check_jobs(jobs: int | None, n_files: int) -> int:
    from ..batch.executor_local import worker_count

    return worker_count(jobs, n_files, "-j/--jobs")


# --------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------


def _run(files: Sequence[_File], options: dict[str, Any], workers: int,
         quality: float | None, show: str,
         to_batch: tuple[list[tuple[str, Any]], list[str], dict[str, str]] = ([], [], {}),
         palette_said: bool = False, stdout_suffix: str | None = None,
         joined: _Joined | None = None) -> int:
    """Reduce every file, print a line for each as it settles; return the exit code.

    ``show``: "lines" (a summary line per file), "json" (a JSON object per
    file) or "quiet" (warnings and errors only). ``to_batch``: the options an
    input that is a folder is pointed to ``quantize batch`` with (:func:`_batch_options`).
    ``palette_said``: the ``--palette-in`` palette's own warnings were said once
    (:func:`_note_palette_in`), which the jobs leave out. ``stdout_suffix``: the
    extension whose format the image written to stdout takes (``--format``), or None: the
    input's own (:func:`_stage`). ``joined``: the frames ``--frames`` joins, ``files``
    then holding the first with the output.
    """
    from ..batch.calls import Call, recorded_call
    from ..batch.executor_local import run_inline, run_local
    from ..batch.results import INPUT_COPIED, file_result
    from ..errors import (
        ExifLeftOutWarning,
        GeoTagsLeftOutWarning,
        GifTableWarning,
        LossyColorsWarning,
        PaletteInWarning,
        ProfileConvertedWarning,
        TextLeftOutWarning,
    )
    from ..io import parts_listed_once
    from ..palette_files import PaletteReadWarning
    from ..reduce import FewerColorsWarning

    # an animation's frames drawn on a terminal as they are done (the job runs here)
    progress = (show != "quiet" and workers == 1 and is_terminal(sys.stderr)
                and not dumb_terminal())
    with Scratch() as scratch:
        if joined is not None and joined.inputs == (STDIO,):
            joined = _stdin_frames(files[0], joined, scratch, options)
            n = len(joined.inputs)
            files = [files[0]._replace(shown=f"- ({n:,} image{'s' * (n != 1)})")]
        staged = [_stage(f, scratch, options, stdout_suffix, joined) for f in files]
        said_once = (PaletteInWarning, PaletteReadWarning) if palette_said else ()
        calls = [Call(recorded_call, (_with_progress(_job_function(f, options, len(files),
                                                                   stdout_suffix is not None,
                                                                   joined), f, progress),
                                      (src, out),
                                      options if palette is None
                                      else {**options, "palette_out": palette}),
                      {"format_advice": True, "said_once": said_once,
                       "notes": (FewerColorsWarning,),
                       "noted": (ExifLeftOutWarning, GeoTagsLeftOutWarning, GifTableWarning,
                                 LossyColorsWarning, ProfileConvertedWarning,
                                 TextLeftOutWarning)})
                 for f, (src, out, palette) in zip(files, staged, strict=True)]
        codes: list[ExitCode] = []
        written: list[Mapping[str, Any]] = []  # the record of each file written

        def settle(index: int, outcome: Any) -> None:
            src, out, palette = staged[index]
            result = file_result(Path(src), None if out is None else Path(out), outcome)
            if _beside_input_failed(files[index], outcome, options["palette_out"]):
                result = dataclasses.replace(result, reason=result.reason + elsewhere_hint(
                    Path(files[index].input).parent, "an output", alone=len(files) > 1))
            if result.status == "ok" and files[index].to_stdout:
                # the input's own bytes sent instead of the result: no palette file of it
                copied = INPUT_COPIED in result.record
                unwritten = _sent_to_stdout(Path(out), None if copied else palette, options)
                if unwritten is not None:
                    result = dataclasses.replace(result, status="failed",
                                                 exit_code=ExitCode.FAILED, reason=unwritten)
            codes.append(result.exit_code)
            if result.status == "ok":
                written.append(result.record)
            _show(files[index], result, quality, show, to_batch,
                  Path(out).suffix if files[index].to_stdout else None)

        try:
            if workers == 1:  # several files: the one in progress let finish, as in a pool
                with parts_listed_once():  # each output folder listed once, not once a file
                    run_inline(calls, settle,
                               on_interrupt=finishing_note if len(calls) > 1 else None)
            else:
                run_local(calls, settle, jobs=workers, on_interrupt=finishing_note)
        except KeyboardInterrupt:
            fail_interrupted("interrupted; files already reported are done")
        except OSError as exc:  # the workers could not be started (too few file descriptors)
            fail(exc.strerror or str(exc), ExitCode.FAILED)
    note_idle_options(written, optimize=options["optimize"],
                      per_frame=options["palette"] == "per-frame",
                      matte=options["matte"] is not None, nearest=options["nearest"],
                      every_file_written=len(written) == len(files))
    failed = {code for code in codes if code != ExitCode.OK}
    if not failed:
        return ExitCode.OK
    return failed.pop() if len(failed) == 1 else ExitCode.FAILED


def _job_function(f: _File, options: dict[str, Any], n_inputs: int,
                  format_given: bool = False, joined: _Joined | None = None) -> Any:
    """What reduces ``f``: :func:`_reduce_joined` for the frames ``--frames`` joins;
    :func:`_reduce_to_stdout` for stdout (in the format ``--format``
    named, ``format_given``, or the input's own); for an output named by
    default with ``--palette per-frame``, :func:`_reduce_named_by_default`, advising how
    to name a .gif output as this command of ``n_inputs`` inputs can; else ``reduce_file``."""
    import functools

    from ..reduce import reduce_file

    if joined is not None:
        return functools.partial(_reduce_joined, joined=joined)
    to_stdout = None
    if f.to_stdout:  # its --palette-out file is written to a scratch file first: named so
        to_stdout = functools.partial(_reduce_to_stdout, palette_shown=options["palette_out"],
                                      format_given=format_given)
    if options.get("copy_if_larger"):  # named by -o, --ext or stdout (_refuse_copy_unnamed)
        from ..batch.modes import reduce_job

        return functools.partial(reduce_job, ext_hint=False, reduce_with=to_stdout)
    if to_stdout is not None:
        return to_stdout
    if f.output is None and options["palette"] == "per-frame":
        return functools.partial(_reduce_named_by_default,
                                 gif_advice=_gif_output_advice(f.input, options, n_inputs))
    return reduce_file


def _with_progress(job: Any, f: _File, progress: bool) -> Any:
    """``job``, the function reducing ``f`` (:func:`_job_function`), drawing the frames of an
    animation done on stderr (:func:`~quantize.cli.common.frame_progress`, named by the
    output, or by the input when the job names the output); ``job`` itself without
    ``progress``."""
    if not progress:
        return job
    import functools

    name = "stdout" if f.to_stdout else f.output or f.shown or f.input
    return functools.partial(_reduced_in_progress, job=job, name=name)


def _reduced_in_progress(input: str, output: str | None, *, job: Any, name: str,
                         **options: Any) -> dict[str, Any]:
    """``job(input, output, **options)``, told of each frame of an animation as it is done
    (:func:`~quantize.cli.common.frame_progress`, as ``name``)."""
    from .common import frame_progress

    with frame_progress(name) as on_frame:
        return job(input, output, on_frame=on_frame, **options)


def _reduce_joined(input: str, output: str, *, joined: _Joined,
                   **options: Any) -> dict[str, Any]:
    """:func:`~quantize.animation.reduce_frame_files` of the frames ``joined`` (``input``,
    the first, is how the command names them) into ``output``."""
    from ..animation import reduce_frame_files

    return reduce_frame_files(joined.inputs, output, fps=joined.fps, loop=joined.loop,
                              **options)


def _refuse_copy_unnamed(files: Sequence[_File]) -> None:
    """Refuse ``--copy-if-larger`` for an output named by default: the input's bytes would go
    under reduce's default name, which says the result's colours (``photo.k16.png``).
    Stdout takes them (``-o -``, or stdin's image by default), in the input's format."""
    unnamed = next((f for f in files if f.output is None), None)
    if unnamed is not None:
        fail(f"--copy-if-larger writes the input's own bytes as an output named by -o or "
             f"--ext, or to stdout (-o -), not under the default name, which says the "
             f"colours; name the output with -o (e.g. -o "
             f"{shell_quoted('dist/' + Path(unnamed.input).name)}), --ext or -o -",
             USAGE_ERROR)


def _gif_output_advice(name: str, options: dict[str, Any], n_inputs: int) -> str:
    """How to name a .gif output for the input ``name`` of a command of ``n_inputs``
    inputs: ``-o`` (one input) or ``--ext``, shown with the default name's ``.k<N>``.

    >>> opts = {"n_colors": 8, "palette_in": None, "quality": None}
    >>> _gif_output_advice("clips/a.png", opts, 1)
    'name a .gif output with -o or --ext, e.g. -o clips/a.k8.gif or --ext .k8.gif'
    >>> _gif_output_advice("clips/a.png", opts, 2)
    'name .gif outputs with --ext, e.g. --ext .k8.gif'
    """
    from ..reduce.records import name_colors

    ext = f".k{name_colors(options['n_colors'], None, None, 0)}.gif"
    if n_inputs > 1:  # -o names one file
        return f"name .gif outputs with --ext, e.g. --ext {ext}"
    output = shell_quoted(str(Path(name).parent / (output_stem(name) + ext)))
    return f"name a .gif output with -o or --ext, e.g. -o {output} or --ext {ext}"


def _reduce_named_by_default(input: str, output: None, *, gif_advice: str,
                             **options: Any) -> dict[str, Any]:
    """:func:`~quantize.reduce.reduce_file` of an input whose output is named by default,
    with ``--palette per-frame``: an animation whose own format is neither GIF nor TIFF
    is refused,
    advising, as the command takes it (``gif_advice``: :func:`_gif_output_advice`), to
    name a .gif output."""
    from ..reduce import reduce_file

    try:
        return reduce_file(input, output, **options)
    except FormatAdviceError as exc:
        if exc.formats is None or exc.formats.suffixes != (".gif",):
            raise
        raise FormatAdviceError(exc.facts, format_advice=gif_advice,
                                formats=exc.formats) from None


def _reduce_to_stdout(input: str, output: str, *, palette_shown: str | None = None,
                      format_given: bool = False, **options: Any) -> dict[str, Any]:
    """:func:`~quantize.reduce.reduce_file` of the image that goes to stdout, written to the
    file ``output`` first, in the format of its extension (``--format``'s), its errors and
    warnings naming stdout, not that file (:func:`_shown_stdout`): an error's
    advice of another output format names it as ``--format`` takes it (``-k 1000``: "or
    for a still image --format jpg, webp or tif": :func:`_stdout_advice`). An error about
    the ``palette_out`` file, a scratch file too, names ``palette_shown``, the user's;
    ``format_given``: ``--format`` chose the format, not the input's own."""
    from ..errors import OutputError, WriteRefusedError
    from ..reduce import reduce_file

    try:
        return reduce_file(input, output,
                           shown_as=_shown_stdout(Path(output).suffix, palette_shown,
                                                  format_given),
                           **options)
    except (QualityError, FormatAdviceError) as exc:
        if not exc.format_advice:
            raise
        raise _stdout_advice(exc) from None
    except WriteRefusedError as exc:  # in the scratch folder (the image's, named no more)
        if exc.path not in (None, options["palette_out"]):
            raise
        what = "the image for stdout" if exc.path is None else "the --palette-out file"
        raise OutputError(f"cannot write {what} into the temporary folder "
                          f"{quoted(str(Path(output).parent.parent))} ({exc.os_strerror}); "
                          f"{tmpdir_advice(exc.os_errno)}", os_errno=exc.os_errno) from None


def _stdout_advice(exc: QualityError | FormatAdviceError) -> Exception:
    """``exc``, whose advice names output formats by their extensions (".png or .tif"),
    naming them as ``--format`` gives stdout each ("--format png or tif")."""
    advice = exc.advice_naming("--format")
    if isinstance(exc, QualityError):
        return QualityError(exc.facts, path=exc.path, format_advice=advice)
    return FormatAdviceError(exc.facts, format_advice=advice)


def _shown_stdout(suffix: str, palette_out: str | None = None,
                  format_given: bool = True) -> ShownOutput:
    """How the job that writes stdout's image to a scratch file of extension ``suffix``
    names it: ``stdout`` for the file (``stdout: GIF has no partial alpha``), and the
    option that chose its format where an error names the output (``--format='jpg' has an
    unsupported extension '.jpg' for an animation``; ``-o -`` when that is the input's own
    format, or png, and not ``format_given``), and the ``--palette-out`` file by its path
    as given, ``palette_out``."""
    option = (f"--format={quoted(suffix[1:])}" if format_given and suffix != ".png"
              else "-o -")
    return ShownOutput("stdout", option, palette_out)


def _beside_input_failed(f: _File, outcome: Any, palette_out: Any) -> bool:
    """Whether ``outcome`` is the failure (exit 1) of ``f``'s output that the command named
    itself beside its input (by default, or by ``--ext``): the error names a file of the
    input's folder other than the input, and not the ``--palette-out`` file."""
    if outcome.ok or outcome.exit_code != ExitCode.FAILED or outcome.path is None:
        return False
    if f.to_stdout or (f.output is not None and not f.by_ext):
        return False
    about, src = Path(outcome.path), Path(f.input)
    return (about.parent == src.parent and about.name != src.name
            and (palette_out is None or about != Path(palette_out)))


def _refuse_outputs_in_the_way(f: _File, options: dict[str, Any]) -> None:
    """Refuse, before the stream ``f.input`` is read, an output named (``-o``,
    ``--palette-out``) that exists without ``--force`` or cannot be written: the job said
    so too, in these words, but only once the whole stream had come (a download piped in).
    Also before the job of an image written to stdout, which writes its ``--palette-out``
    file to a scratch file (:func:`_stage`) and so checks only that one.
    """
    from ..errors import QuantizeError
    from ..reduce import check_outputs_given

    output = None if f.output is None or f.to_stdout else Path(f.output)
    try:
        check_outputs_given(output, options, None)
    except QuantizeError as exc:
        where = "" if exc.path is None else f"{exc.path}: "
        fail(printable_line(f"{f.input}: {where}{as_flags(exc.reason)}"), exc.exit_code)


class _Staged(NamedTuple):
    """The paths a file's job sees (:func:`_stage`): its input, its output (None: named by
    default), and the scratch file its ``--palette-out`` file is written to first (None:
    the job writes none, or writes it in place)."""

    src: str
    out: str | None
    palette: str | None


def _stdin_frames(f: _File, joined: _Joined, scratch: Scratch,
                  options: dict[str, Any]) -> _Joined:
    """``joined`` (stdin, with ``--frames``) with the images stdin holds one after another
    as its frames, each copied to a scratch file (:func:`~quantize.cli.common.stage_stdin_images`,
    at most ``--max-frames``), once the outputs of ``f`` are checked as for any stream; every
    one a still of the first's size, checked before any work (exit 1)."""
    from ..animation.sequence import open_frame_files

    _refuse_outputs_in_the_way(f, options)
    frames = stage_stdin_images(scratch.folder(STDIO, "for its copy"), options["max_frames"])
    joined = joined._replace(inputs=tuple(map(str, frames)))
    with user_errors():
        open_frame_files(joined.inputs, max_pixels=options["max_pixels"])
    return joined


def _stage(f: _File, scratch: Scratch, options: dict[str, Any],
           stdout_suffix: str | None, joined: _Joined | None = None) -> _Staged:
    """The paths reduce_file sees: stdin or a pipe saved to a scratch file (stdin's
    first frame with ``joined``, whose frames :func:`_stdin_frames` saved), stdout written
    to one, whose extension ``stdout_suffix`` picks its format as a named output's does
    (None: the input's own, told once it is saved, and refused, exit 2, when it is not
    GIF or TIFF with ``--palette per-frame``),
    and the ``--palette-out`` file of an image written to stdout written to one of its
    name, so that it is put in place only once the image has reached stdout
    (:func:`_sent_to_stdout`); that file is refused here if it is in the way, as the job
    would have refused it."""
    src = f.input
    palette_out = options["palette_out"]
    stream = src != STDIO and is_stream(Path(src))
    if src == STDIO or stream or (f.to_stdout and palette_out is not None):
        _refuse_outputs_in_the_way(f, options)
    if src == STDIO:
        src = joined.inputs[0] if joined is not None else str(stage_stdin(
            scratch.folder(STDIO, "for its copy"), "reduce reads one: add --frames to join "
            "them into one animation (quantize reduce - --frames -o clip.gif), or send one "
            "image"))
    elif stream:  # read once here: the job reads its input more than once
        src = str(stage_stream(Path(src), scratch.folder(src, "for its copy")))
    if not f.to_stdout:
        return _Staged(src, f.output, None)
    if stdout_suffix is None:
        from ..reduce import stream_output_suffix

        stdout_suffix = stream_output_suffix(src)
        if options["palette"] == "per-frame" and stdout_suffix not in PER_FRAME_EXTENSIONS:
            _refuse_per_frame_to_stdout(None, stdout_suffix)
    folder = scratch.folder(f.input, "for the image to write to stdout")
    palette = None
    if palette_out is not None:
        (folder / "palette").mkdir(exist_ok=True)
        palette = str(folder / "palette" / Path(palette_out).name)
    return _Staged(src, str(folder / f"stdout{stdout_suffix}"), palette)


def _sent_to_stdout(image: Path, palette: str | None, options: dict[str, Any]) -> str | None:
    """Write the image file ``image`` to stdout, then put the ``--palette-out`` file written
    to the scratch file ``palette`` (if any) in place; return why either could not be, or
    None when both were.

    The palette file is put in place only once the image has been written whole and
    flushed: a stdout that is full or closed early leaves no new palette file, and an old
    one as it was. One that cannot be written then is said, after the image was sent.
    """
    from ..errors import OutputError
    from ..io import remove_stale_parts, write_together

    unwritten = _write_stdout(image.read_bytes())
    if unwritten is not None:
        return f"cannot write the image to stdout ({unwritten})"
    if palette is None:
        return None
    target = options["palette_out"]
    try:
        remove_stale_parts([target])
        write_together([(target, Path(palette).read_bytes())], replace=options["force"])
    except OutputError as exc:
        return f"{exc}; the image was written to stdout"
    return None


def _write_stdout(data: bytes) -> str | None:
    """Write ``data`` whole to stdout; return why it could not be, or None when it was.

    A pipe may take part of a write (its reader gone, or a signal): the rest is
    written again, which raises the error when there is one.
    """
    from ..io import write_all

    if sys.stdout is None:  # started with its stdout closed
        return "stdout is closed"
    try:
        sys.stdout.flush()
        write_all(sys.stdout.buffer, data)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _show(f: _File, result: Any, quality: float | None, show: str,
          to_batch: tuple[list[tuple[str, Any]], list[str], dict[str, str]],
          stdout_suffix: str | None = None) -> None:
    """One line for the file: the summary (stderr when stdout carries the image), or the error.

    Warnings and errors are always shown; a result larger than its input, which
    ``--skip-if-larger`` kept from being written as the user asked, is a note, not shown
    under ``-q`` (its exit code, 98, says it); the summary as ``show`` says (see :func:`_run`),
    and with a line the note of an output larger than its input (:func:`_larger_note`). The
    job's notes (fewer distinct colours than asked, all kept, as pngquant says nothing of
    it) are not shown: the line already says "N colours, lossless", and ``--json`` has
    ``k`` beside ``n_colors``.
    The record of an image written to stdout has ``output`` "-" and, after it, ``format``:
    the ``--format`` name of ``stdout_suffix``, the format of the bytes written (the
    scratch file's extension).
    """
    from ..batch.results import INPUT_COPIED, made_larger  # loaded with the run's results

    for message in result.record.get("warnings", ()):
        warn(f.input, message)
    if result.exit_code == ExitCode.TOO_LARGE:  # kept from being written, as asked: no fault
        if show != "quiet":
            note(f.input, result.reason)
        if show == "json":
            say(_json_line(_skipped_record(f.input, result.reason)), err=f.to_stdout)
        return
    if result.status != "ok":
        reason = as_flags(result.reason, {"output": "--ext output"} if f.by_ext else None)
        reason += folder_hint(f.input, 'reduce', *to_batch)
        say(printable_line(f"quantize: error: {f.input}: {reason}"), err=True)
        if show == "json":  # a script reading stdout alone learns of it too
            say(_json_line(_failed_record(f.input, result.failure, reason)),
                err=f.to_stdout)
        return
    if show == "quiet":
        return
    for message in result.record.get("noted", ()):
        note(f.input, as_flags(message))
    record = {k: v for k, v in result.record.items()
              if k not in ("warnings", "notes", "noted")}
    record["input"] = f.input  # not the copy of stdin or of a pipe that was read
    if f.to_stdout and stdout_suffix is not None:
        record = _stdout_record(record, stdout_suffix)
    else:  # the ./ of ./-x.png kept, in the output named after it too
        record["output"] = as_typed(record["output"], f.input if f.by_ext or f.output is None
                                    else f.output)
    if show == "json":
        line = _json_line(record)
    elif INPUT_COPIED in record:  # --copy-if-larger: no colours, the input itself
        line = printable_line(f"{record['input']} -> {record['output']}: "
                              f"{record[INPUT_COPIED]}")
    else:
        line = printable_line(_summary({**record, "input": f.shown or record["input"]},
                                       quality))
    say(line, err=f.to_stdout)
    if show != "lines":  # --json's rows hold both sizes
        return
    if made_larger(record):
        note(f.input, _larger_note(record))  # pngquant users count on --skip-if-larger


def _json_line(record: Mapping[str, Any]) -> str:
    """The ``--json`` object of a file's ``record``, on one line.

    >>> _json_line({"input": "a.png", "output": None})
    '{"input": "a.png", "output": null}'
    """
    import json  # here: the module is needed by --json only (its import cost every call)

    # JSON escapes control characters itself; bytes that are not UTF-8 are written \xXX.
    return json.dumps(printable_data(record))


def _skipped_record(input: str, reason: str) -> dict[str, Any]:
    """The ``--json`` object of ``input``, whose result ``--skip-if-larger`` kept from being
    written: ``output`` null, ``skipped`` "larger" (as ``batch --json`` says it), and the
    ``reason`` its note says.

    >>> _skipped_record("a.png", "result (9 bytes) is larger than the input (7 bytes); ...")
    {'input': 'a.png', 'output': None, 'skipped': 'larger', 'reason': 'result (9 bytes) is \
larger than the input (7 bytes); ...'}
    """
    return {"input": input, "output": None, "skipped": "larger", "reason": reason}


def _failed_record(input: str, failure: str | None, reason: str) -> dict[str, Any]:
    """The ``--json`` object of ``input``, which failed: ``output`` null, ``failure`` the
    word ``batch --json`` gives a failed file (the result's
    :attr:`~quantize.batch.results.FileResult.failure`), and the ``reason`` its error line
    says.

    >>> _failed_record("a.png", "unreadable_input", "not an image Pillow can identify")
    {'input': 'a.png', 'output': None, 'failure': 'unreadable_input', 'reason': 'not an \
image Pillow can identify'}
    """
    return {"input": input, "output": None, "failure": failure, "reason": reason}


def _larger_note(record: Mapping[str, Any]) -> str:
    """What a note says of an output (``record``, as shown) larger than its input.

    >>> _larger_note({"output": "-", "bytes_in": 77, "bytes_out": 83})
    'the image written to stdout (83 bytes) is larger than the input (77 bytes); \
--skip-if-larger keeps no such output'
    """
    output = "the image written to stdout" if record["output"] == STDIO else record["output"]
    return (f"{output} ({record['bytes_out']:,} bytes) is larger than the input "
            f"({record['bytes_in']:,} bytes); --skip-if-larger keeps no such output")


def _stdout_record(record: dict[str, Any], suffix: str) -> dict[str, Any]:
    """``record`` of an image written to stdout: ``output`` "-", then ``format``, the
    ``--format`` name of its extension ``suffix`` (without ``--format``, the input's own
    format's, or ``png``), which no file name gives.

    >>> _stdout_record({"input": "a.gif", "output": "/tmp/x/stdout.gif", "k": 4}, ".gif")
    {'input': 'a.gif', 'output': '-', 'format': 'gif', 'k': 4}
    """
    shown: dict[str, Any] = {}
    for key, value in record.items():
        shown[key] = STDIO if key == "output" else value
        if key == "output":
            shown["format"] = suffix[1:]
    return shown


def _db_on(value: float | None, over: str) -> str:
    """A PSNR composited on ``over`` as the summary says it (None: lossless there).

    >>> _db_on(27.304, "white"), _db_on(None, "black")
    ('27.30 dB on white', 'lossless on black')
    """
    return f"{'lossless' if value is None else f'{value:.2f} dB'} on {over}"


def _summary(record: dict[str, Any], quality: float | None) -> str:
    """The line that says what a file became; a dithered image's PSNR also after the blur
    of the eye (``blurred_psnr``): dithering lowers plain PSNR, and raises that one.

    Of a ``quality`` search, the k chosen, the bounds it meets and the one that set it
    (``quality_bound``), which one colour fewer misses:

    >>> print(_summary({"input": "a.jpg", "output": "b.png", "k": 80, "dither": 0.0,
    ...                 "quality_bound": "area", "psnr": 43.8, "delta_e": 0.6,
    ...                 "seconds": 7.7}, 3.0))  # doctest: +NORMALIZE_WHITESPACE
    a.jpg -> b.png: chose k=80 for mean ΔE2000 <= 3, its 99th percentile <= 15 and its
    99.9th <= 30 (set by every colour of at least 16 pixels and 0.005% of them within 12,
    which k=79 misses); 80 colours, PSNR 43.80 dB, mean ΔE2000 0.60, 7.70 s

    >>> print(_summary({"input": "a.png", "output": "b.png", "k": 16, "dither": 1.0,
    ...                 "psnr": 27.9, "blurred_psnr": 33.26, "delta_e": 3.65,
    ...                 "seconds": 0.3}, None))
    a.png -> b.png: 16 colours, PSNR 27.90 dB (33.26 dB blurred, σ 1 px), mean ΔE2000 3.65, 0.30 s

    An image with translucent pixels shows otherwise on black and on white: its PSNR is
    said on each (``psnr_on_black``, ``psnr_on_white``; ``psnr`` is premultiplied RGBA):

    >>> print(_summary({"input": "a.png", "output": "b.png", "k": 16, "dither": 0.0,
    ...                 "psnr": 26.8, "psnr_on_black": 28.61, "psnr_on_white": 27.3,
    ...                 "delta_e": 3.65, "seconds": 0.3}, None))
    a.png -> b.png: 16 colours, PSNR 28.61 dB on black, 27.30 dB on white, mean ΔE2000 3.65, 0.30 s

    Mapped onto a given palette some of whose entries no pixel takes, both counts
    (``k``, its entries, and ``colours_used``):

    >>> print(_summary({"input": "a.png", "output": "b.png", "k": 8, "colours_used": 7,
    ...                 "dither": 0.0, "psnr": 28.83, "delta_e": 1.74, "seconds": 0.5}, None))
    a.png -> b.png: 8 entries, 7 used, PSNR 28.83 dB, mean ΔE2000 1.74, 0.50 s

    Stretched, the range read as 0..255 (and the share a fixed one clipped); unstretched,
    of a file whose 8-bit reading merged its values, what the figures are measured
    against, and no "lossless" (:func:`_reading`):

    >>> print(_summary({"input": "ct.tif", "output": "b.png", "k": 4, "dither": 0.0,
    ...                 "psnr": 26.3, "delta_e": 2.7, "seconds": 0.1,
    ...                 "stretch_range": [-1024.0, 1976.0], "stretch_clipped": 0.0123}, None))
    ... # doctest: +NORMALIZE_WHITESPACE
    ct.tif -> b.png: 4 colours, stretched -1024..1976 (1.23% clipped), PSNR 26.30 dB,
    mean ΔE2000 2.70, 0.10 s
    >>> print(_summary({"input": "a.png", "output": "b.png", "k": 9, "dither": 0.0,
    ...                 "psnr": None, "delta_e": 0.0, "seconds": 0.1,
    ...                 "measured_against": "the 8-bit reading", "merged": [2208, 9]}, None))
    ... # doctest: +NORMALIZE_WHITESPACE
    a.png -> b.png: 9 colours, against the 8-bit reading (2,208 values read as 9 levels):
    every level kept, mean ΔE2000 0.00, 0.10 s
    """
    psnr = "lossless" if record["psnr"] is None else f"PSNR {record['psnr']:.2f} dB"
    if "merged" in record:  # of the 8-bit reading, not of the file: no lossless result
        psnr = "every level kept" if record["psnr"] is None else psnr
    if record["psnr"] is not None and "psnr_on_black" in record:
        psnr = "PSNR " + ", ".join(_db_on(record[f"psnr_on_{over}"], over)
                                   for over in ("black", "white"))
    if record["psnr"] is not None and record.get("blurred_psnr") is not None:
        psnr += f" ({record['blurred_psnr']:.2f} dB blurred, σ 1 px)"
    thresholded = record.get("alpha_thresholded", 0)  # the metrics leave that loss out
    if thresholded:
        pixels = "pixel" if thresholded == 1 else "pixels"
        psnr += f" but for the alpha of {thresholded:,} translucent {pixels}"
    # the search measures each k undithered: the dithered result's own error may be higher
    why = ["measured without dithering"] if record["dither"] else []
    if quality is not None and record.get("quality_bound") is not None:
        why.append(quality_bound_words(record["quality_bound"], quality, record["k"]))
    why_words = f" ({'; '.join(why)})" if why else ""
    chose = "" if quality is None else \
        f"chose k={record['k']} for {quality_terms(quality, 'ΔE2000')}{why_words}; "
    if record.get("quality_met") is False:  # the colours allowed, kept for --quality-limit
        limit = quality_terms(record["quality_limit"], "ΔE2000")  # met by the search's fit
        meets = "whose undithered result meets" if record["dither"] else "for"
        chose = f"kept k={record['k']}, the most allowed, {meets} {limit}; "
    if record.get("max_bytes") is not None:
        chose = f"{budget_choice(record)}; "
    colours = "1 colour" if record["k"] == 1 else f"{record['k']} colours"
    if record.get("colours_used", record["k"]) != record["k"]:  # a given palette's entries
        entries = "1 entry" if record["k"] == 1 else f"{record['k']} entries"
        colours = f"{entries}, {record['colours_used']} used"
    if record.get("palette_mode") == "per-frame" and record.get("frames", 1) > 1:
        colours = f"up to {colours} a frame"  # k is the largest frame palette's
    return (f"{record['input']} -> {record['output']}: {chose}{colours}, {_reading(record)}"
            f"{psnr}, mean ΔE2000 {record['delta_e']:.2f}, {record['seconds']:.2f} s")


def _reading(record: dict[str, Any]) -> str:
    """What the summary says, before the figures, of how the input was read
    (:func:`~quantize.reduce.records.reading_record`): the range stretched, or the 8-bit
    reading the figures are measured against; nothing else.

    >>> _reading({"stretch_range": [901.0, 3116.0]}), _reading({"stretch_range": None})
    ('stretched 901..3116, ', 'not stretched (one value), ')
    >>> _reading({})
    ''
    """
    if "stretch_range" in record:
        shown = record["stretch_range"]
        if shown is None:
            return "not stretched (one value), "
        clipped = record.get("stretch_clipped")
        share = "" if clipped is None else f" ({clipped * 100:.3g}% clipped)"
        return f"stretched {shown_number(shown[0])}..{shown_number(shown[1])}{share}, "
    if "merged" in record:
        values, levels = record["merged"]
        return (f"against {record['measured_against']} ({values:,} values read as {levels} "
                "levels): ")
    return ""
