"""Benchmark ordered dithering onto a GIVEN palette against ImageMagick, in one run.

Run on demand (``python benchmarks/bench_ordered.py [--before CHECKOUT] [--repeats N]``);
pytest does not collect it. A game modder maps a texture atlas onto one fixed palette
(``quantize reduce atlas.png --palette-in pal.gpl --dither=ordered``) and compares the
time with ImageMagick's ``convert atlas.png -ordered-dither o8x8 -remap pal.png``.

Images: a 1024 x 1024 atlas (:func:`atlas`: 256 x 256 crops of scikit-image's astronaut,
coffee, chelsea, rocket, brick, grass and gravel, tiled 4 x 4 at seeded offsets; 133,253
colours) and the photos astronaut, coffee and chelsea. Palettes: ``cube256`` (a 6 x 6 x 6
cube and 40 greys), ``cube64`` (a 4 x 4 x 4 cube) and ``pico8`` (PICO-8's 16).

Methods, each a process run ``--repeats`` times (default 3), its CPU seconds (user and
system, from ``getrusage`` of the children) the median: ``quantize reduce IN --palette-in
PAL.gpl`` with ``--dither=ordered``, ``--dither=pattern`` and ``--dither`` (error diffusion)
from this checkout and, with ``--before``, from that one (the same command with that
checkout on ``PYTHONPATH``; its output files are compared byte for byte with this
checkout's); ImageMagick's ``convert IN -ordered-dither o8x8 -remap SWATCH OUT`` and
``convert IN -remap SWATCH OUT`` (Floyd-Steinberg). Per image and palette it prints each
method's median and its ratio to ImageMagick's of the same kind (``ordered`` and ``pattern``
to ``-ordered-dither o8x8 -remap``, ``fs`` to ``-remap``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: The skimage.data images the atlas is tiled from, in reading order, repeated.
ATLAS_SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "brick", "grass", "gravel")
PHOTOS = ("astronaut", "coffee", "chelsea")
PICO8 = ["000000", "1d2b53", "7e2553", "008751", "ab5236", "5f574f", "c2c3c7", "fff1e8",
         "ff004d", "ffa300", "ffec27", "00e436", "29adff", "83769c", "ff77a8", "ffccaa"]
#: Our methods: name -> the ``--dither`` argument; each is compared with MAGICK[name].
OURS = {"ordered": "--dither=ordered", "pattern": "--dither=pattern", "fs": "--dither"}
#: ImageMagick's commands (between the input and the output), by the kind they compare with.
MAGICK = {"ordered": ["-ordered-dither", "o8x8", "-remap"], "fs": ["-remap"]}


def atlas(side: int = 1024, tile: int = 256) -> np.ndarray:
    """``(side, side, 3)`` uint8: ``tile``-square crops of :data:`ATLAS_SOURCES` at seeded
    offsets, tiled in reading order."""
    from skimage import data
    from skimage.color import gray2rgb

    sources = [getattr(data, name)() for name in ATLAS_SOURCES]
    sources = [gray2rgb(im) if im.ndim == 2 else im[..., :3] for im in sources]
    rng, out, i = np.random.default_rng(0), np.zeros((side, side, 3), np.uint8), 0
    for y in range(0, side, tile):
        for x in range(0, side, tile):
            im = sources[i % len(sources)]
            oy, ox = (int(rng.integers(0, n - tile)) for n in im.shape[:2])
            out[y:y + tile, x:x + tile] = im[oy:oy + tile, ox:ox + tile]
            i += 1
    return out


def palettes() -> dict[str, np.ndarray]:
    """The palettes, ``(k, 3)`` uint8 each."""
    six, four = np.linspace(0, 255, 6).round(), np.linspace(0, 255, 4).round()
    greys = np.linspace(0, 255, 42).round()[1:-1]
    cube = np.array(np.meshgrid(six, six, six, indexing="ij")).reshape(3, -1).T
    return {"cube256": np.vstack([cube, np.repeat(greys[:, None], 3, 1)]).astype(np.uint8),
            "cube64": np.array(np.meshgrid(four, four, four, indexing="ij"))
            .reshape(3, -1).T.astype(np.uint8),
            "pico8": np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in PICO8],
                              np.uint8)}


def write_inputs(work: Path) -> tuple[dict[str, Path], dict[str, tuple[Path, Path]]]:
    """The images as PNG files, and each palette as a GIMP palette and a swatch PNG."""
    from skimage import data

    images = {"atlas": atlas()} | {name: getattr(data, name)()[..., :3] for name in PHOTOS}
    image_files = {}
    for name, rgb in images.items():
        image_files[name] = work / f"{name}.png"
        Image.fromarray(rgb).save(image_files[name])
    palette_files = {}
    for name, pal in palettes().items():
        gpl, swatch = work / f"{name}.gpl", work / f"{name}_swatch.png"
        gpl.write_text("GIMP Palette\n#\n" + "".join(f"{r} {g} {b}\n" for r, g, b in pal))
        Image.fromarray(pal[None]).save(swatch)
        palette_files[name] = (gpl, swatch)
    return image_files, palette_files


def cpu_seconds(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """CPU seconds (user and system) of running ``cmd``; a failure ends the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ours(checkout: Path, src: Path, gpl: Path, dither: str, out: Path) -> list[str]:
    """The command line of ``quantize reduce`` from ``checkout`` (run with it on the path)."""
    return [sys.executable, "-m", "quantize", "reduce", str(src), "--palette-in", str(gpl),
            dither, "-o", str(out), "--force", "-q"]


def run_case(src: Path, gpl: Path, swatch: Path, checkouts: dict[str, Path], repeats: int,
             work: Path) -> dict[str, float]:
    """Median CPU seconds of every method on one image and palette, by method name; an
    ``... before`` method's outputs are checked to be byte for byte this checkout's."""
    medians = {}
    for kind, dither in OURS.items():
        for label, checkout in checkouts.items():
            env = os.environ | {"PYTHONPATH": str(checkout)}
            out = work / f"{label}_{kind}.png"
            cmd = ours(checkout, src, gpl, dither, out)
            medians[f"{kind} {label}"] = float(np.median([cpu_seconds(cmd, env)
                                                          for _ in range(repeats)]))
        if "before" in checkouts and ((work / f"now_{kind}.png").read_bytes()
                                      != (work / f"before_{kind}.png").read_bytes()):
            print(f"  !! {src.stem} {gpl.stem} {kind}: output differs from --before's")
    for kind, args in MAGICK.items():
        cmd = ["convert", str(src), *args, str(swatch), str(work / f"magick_{kind}.png")]
        medians[f"magick {kind}"] = float(np.median([cpu_seconds(cmd) for _ in range(repeats)]))
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout to time too, e.g. /work/main")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_ordered_"))
    checkouts = {"now": REPO} | ({"before": args.before.resolve()} if args.before else {})
    image_files, palette_files = write_inputs(work)
    print(f"CPU seconds, medians of {args.repeats} runs; x: over ImageMagick's of the same "
          "kind (ordered, pattern: -ordered-dither o8x8 -remap; fs: -remap)")
    for image, src in image_files.items():
        for pname, (gpl, swatch) in palette_files.items():
            medians = run_case(src, gpl, swatch, checkouts, args.repeats, work)
            cells = [f"magick o8x8 {medians['magick ordered']:.2f}",
                     f"magick remap {medians['magick fs']:.2f}"]
            for kind in OURS:
                reference = medians["magick fs" if kind == "fs" else "magick ordered"]
                for label in checkouts:
                    sec = medians[f"{kind} {label}"]
                    cells.append(f"{kind} {label} {sec:.2f} (x{sec / reference:.1f})")
            print(f"{image:9s} {pname:7s} " + ", ".join(cells), flush=True)


if __name__ == "__main__":
    main()
