"""``quantize reduce``: reduce the colours of one image.

Parses the options, calls :func:`quantize.reduce.reduce_file`, prints one line
(or one JSON object with ``--json``) and sets the exit code: 0 done, 1 the
input could not be read or the output not written, 2 usage error, 15 the output
exists (use ``--force``), 99 the ``--quality`` target cannot be reached.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from ..io import DEFAULT_MAX_PIXELS
from ..reduce import reduce_file
from . import USAGE_ERROR, MaxPixelsOption, SeedOption, app, fail, user_errors

_EPILOG = """\b
Examples:
  quantize reduce photo.jpg                     # 16 colours -> photo.k16.png
  quantize reduce photo.jpg -k 8 -o small.png --palette-out small.gpl
  quantize reduce photo.jpg --quality 3         # fewest colours with mean ΔE2000 <= 3
  quantize reduce logo.png -k 32 --space lab --exact-colors
  quantize reduce photo.jpg --palette-in brand.hex --dither -o branded.png
  quantize reduce photo.jpg -k 1000 -o smooth.webp   # more than 256 colours: RGB output

\b
Exit codes: 0 done, 1 unreadable input or unwritable output, 2 usage error,
15 output exists (use --force), 99 --quality not reachable.
"""


@app.command("reduce", epilog=_EPILOG)
def reduce_command(
    input: Annotated[Path, typer.Argument(
        help="Image to reduce (PNG, JPEG, GIF, WebP, TIFF, ...; EXIF orientation applied).",
        show_default=False)],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Output image; its extension picks the format: .png/.gif "
        "indexed (<= 256 colours, transparency kept), .jpg/.webp/.tif RGB. "
        "Default: INPUT-stem.k<N>.png beside the input.", show_default=False)] = None,
    colors: Annotated[int | None, typer.Option(
        "-k", "--colors", help="Number of colours, 2..256 for .png/.gif (default 16). "
        "With --quality: the most colours allowed.", show_default=False)] = None,
    quality: Annotated[float | None, typer.Option(
        "--quality", help="Use the fewest colours whose mean CIEDE2000 difference from "
        "the original is <= Q (about 1 is just noticeable); prints the k chosen.",
        show_default=False)] = None,
    space: Annotated[str, typer.Option(
        "--space", help="Colour space to cluster in: rgb or lab (CIELAB).")] = "rgb",
    dither: Annotated[bool, typer.Option(
        "--dither/--no-dither", help="Floyd–Steinberg error diffusion onto the palette.")
    ] = False,
    exact_colors: Annotated[bool, typer.Option(
        "--exact-colors", help="Every palette colour occurs in the image (cluster medoids).")
    ] = False,
    palette_out: Annotated[Path | None, typer.Option(
        "--palette-out", help="Also write the palette: .gpl (GIMP), .json or .hex.",
        show_default=False)] = None,
    palette_in: Annotated[Path | None, typer.Option(
        "--palette-in", help="Map onto this palette (.gpl, .json or .hex) instead of "
        "fitting one.", show_default=False)] = None,
    seed: SeedOption = 0,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object: input, output, k, space, psnr, delta_e, "
        "seconds, bytes_in, bytes_out.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite the output (and palette file) if they exist.")] = False,
    max_pixels: MaxPixelsOption = DEFAULT_MAX_PIXELS,
) -> None:
    """Reduce the colours of an image by k-means on its distinct colours."""
    if palette_in is not None and (colors is not None or quality is not None):
        fail("--palette-in fixes the colours; it cannot be combined with -k/--colors or "
             "--quality", USAGE_ERROR)
    with user_errors(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = reduce_file(input, output, n_colors=colors, quality=quality, space=space,
                             dither=dither, exact_colors=exact_colors, palette_in=palette_in,
                             palette_out=palette_out, seed=seed, force=force,
                             max_pixels=max_pixels)
    for w in caught:
        typer.echo(f"quantize: warning: {w.message}", err=True)
    typer.echo(json.dumps(record) if as_json else _summary(record, quality))


def _summary(record: dict[str, Any], quality: float | None) -> str:
    psnr = "lossless" if record["psnr"] is None else f"PSNR {record['psnr']:.2f} dB"
    chose = "" if quality is None else f"chose k={record['k']} for mean ΔE2000 <= {quality:g}; "
    return (f"{record['input']} -> {record['output']}: {chose}{record['k']} colours, {psnr}, "
            f"mean ΔE2000 {record['delta_e']:.2f}, {record['seconds']:.2f} s")
