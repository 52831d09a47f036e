"""Benchmark dithering onto a GIVEN palette against Pillow and ImageMagick, in one run.

Run on demand (``python benchmarks/bench_given_palette.py [--before CHECKOUT] [--train N]
[--photos DIR]``); pytest does not collect it. A user with a fixed device palette
(``--palette-in``) wants the image's tone and colour kept, however sparse the palette.

Palettes (:data:`PALETTES`): ``gb`` (the Game Boy's four greens), ``pico8`` (PICO-8's
16), ``epd7`` (a 7-colour e-paper panel: black, white, red, green, blue, yellow,
orange) and ``bw`` (black and white). Photos: scikit-learn's ``china`` and ``flower``
and scikit-image's ``astronaut``, ``coffee``, ``chelsea`` and ``rocket`` (reported), and
``--train`` (default 10) BSDS500 *train* photos, every 20th of ``--photos`` (default
``../shared/bsds500/images/train`` from the repository; never the test split), the set
the constants were tuned on.

Each photo is mapped onto each palette by: this checkout's ``reduce_colors(palette=...)``
with ``dither=1.0`` (``diffused``) and ``dither="ordered"`` (``ordered``), each also with
``space="lab"`` (``... lab``), and ordered onto the photo with a 4 x 4 transparent top left
corner (``ordered corner``, scored on the other pixels); the same by the
code at ``--before`` (default ``/work/main``), run in a child process with that checkout
on its path; Pillow's ``Image.quantize(palette=..., dither=FLOYDSTEINBERG)``; and
ImageMagick's ``convert IN -dither FloydSteinberg -remap SWATCH OUT``. Scores on RGB:
blurred PSNR (both images blurred by a Gaussian of sigma 1 px first) and the mean colour
error, the length of (mean RGB out - mean RGB in). Per palette and set it prints the
medians of each method and, for ours, the median difference against Pillow's and
ImageMagick's (ours minus theirs, dB; ours over theirs for the colour error).

Last, tone on synthetic images: flat greys 8, 16 .. 248 (64 x 64) onto ``bw``, each's
mean level out, and a grey ramp 0 .. 255 (256 x 64) onto ``gb``, the mean absolute
difference of each column's mean grey from the input's, by every method.

Animations (``--part animations`` runs them alone): scikit-image's 24-frame 25 x 14
``no_time_for_that_tiny.gif`` and a 12-frame 320 x 180 pan with a still logo
(``_images.pan_zoom_frames``, written as a GIF by Pillow), onto every palette, by
``quantize reduce IN --palette-in PAL.hex --dither`` of both checkouts, Pillow (each frame
quantized as above) and ImageMagick (``convert IN -coalesce -dither FloydSteinberg -remap
SWATCH OUT``, each frame dithered anew). Per animation and palette: the mean over the frames,
as a viewer shows them, of blurred PSNR and of the mean colour error against the input's
frames, the bytes, and the share of the pixels that show the same as in the frame before
whose colour out changes (a pattern crawling over still areas).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: The palettes, as hex RGB.
PALETTES = {
    "gb": ["0f380f", "306230", "8bac0f", "9bbc0f"],
    "pico8": ["000000", "1d2b53", "7e2553", "008751", "ab5236", "5f574f", "c2c3c7",
              "fff1e8", "ff004d", "ffa300", "ffec27", "00e436", "29adff", "83769c",
              "ff77a8", "ffccaa"],
    "epd7": ["000000", "ffffff", "ff0000", "00ff00", "0000ff", "ffff00", "ff8000"],
    "bw": ["000000", "ffffff"],
}
#: Our modes: name -> the ``dither`` and ``space`` arguments of ``reduce_colors``, and
#: whether the image is given alpha, its top left 4 x 4 pixels fully transparent (scored
#: as the input's own colours there, so that the other pixels alone count).
MODES = {"diffused": (1.0, "rgb", False), "ordered": ("ordered", "rgb", False),
         "diffused lab": (1.0, "lab", False), "ordered lab": ("ordered", "lab", False),
         "ordered corner": ("ordered", "rgb", True)}
#: The side of the transparent corner of the modes with alpha.
CORNER = 4


def palette_array(name: str) -> np.ndarray:
    """``(k, 3)`` uint8 entries of palette ``name``."""
    return np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in PALETTES[name]],
                    np.uint8)


def photos(train_dir: Path, n_train: int) -> dict[str, tuple[str, np.ndarray]]:
    """name -> (set, ``(H, W, 3)`` uint8): the six sample photos ("sample") and every 20th
    of the BSDS500 train photos ("train")."""
    sys.path.insert(0, str(HERE))
    from _images import sample_photos

    out = {name: ("sample", image) for name, image in sample_photos().items()
           if name != "motorcycle"}
    for path in sorted(train_dir.glob("*.jpg"))[::20][:n_train]:
        out[path.stem] = ("train", np.asarray(Image.open(path).convert("RGB")))
    return out


def synthetic() -> dict[str, tuple[str, np.ndarray]]:
    """The flat greys (onto bw) and the grey ramp (onto gb)."""
    out = {f"grey{g:03d}": ("grey", np.full((64, 64, 3), g, np.uint8)) for g in range(8, 256, 8)}
    ramp = np.repeat(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 64, 0), 3, 2)
    out["ramp"] = ("ramp", ramp)
    return out


def jobs(images: dict[str, tuple[str, np.ndarray]]) -> list[tuple[str, str]]:
    """(image, palette) pairs measured: photos onto every palette, greys onto bw, the ramp
    onto gb."""
    pairs = []
    for name, (kind, _) in images.items():
        if kind == "grey":
            pairs.append((name, "bw"))
        elif kind == "ramp":
            pairs.append((name, "gb"))
        else:
            pairs += [(name, pal) for pal in PALETTES]
    return pairs


def map_ours(inputs: Path, outputs: Path) -> None:
    """Map every ``inputs/IMAGE.png`` listed in ``inputs/jobs.txt`` with the quantize on
    ``sys.path`` (this process is run with the checkout measured first on it)."""
    import quantize

    for line in (inputs / "jobs.txt").read_text().split():
        image, pal = line.split(",")
        rgb = np.asarray(Image.open(inputs / f"{image}.png"))
        for mode, (dither, space, corner) in MODES.items():
            if corner:
                alpha = np.full(rgb.shape[:2], 255, np.uint8)
                alpha[:CORNER, :CORNER] = 0
                out = quantize.reduce_colors(np.dstack([rgb, alpha]), palette=palette_array(pal),
                                             dither=dither, space=space).to_rgba()[..., :3]
                out[:CORNER, :CORNER] = rgb[:CORNER, :CORNER]
            else:
                out = quantize.reduce_colors(rgb, palette=palette_array(pal), dither=dither,
                                             space=space).to_rgb()
            np.save(outputs / f"{image}.{pal}.{mode}.npy", out)


def run_quantize(checkout: Path, inputs: Path, outputs: Path) -> None:
    """:func:`map_ours` in a child process with ``checkout`` first on its path."""
    outputs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(checkout))
    subprocess.run([sys.executable, __file__, "--map", str(inputs), str(outputs)], env=env,
                   check=True)


def pillow_image(rgb: np.ndarray, pal: np.ndarray) -> Image.Image:
    """``rgb`` mapped onto ``pal`` by Pillow's Floyd-Steinberg, a mode "P" image."""
    swatch = Image.new("P", (1, 1))
    swatch.putpalette(np.vstack([pal, np.repeat(pal[:1], 256 - len(pal), 0)]).tobytes())
    return Image.fromarray(rgb).quantize(palette=swatch, dither=Image.Dither.FLOYDSTEINBERG)


def run_pillow(rgb: np.ndarray, pal: np.ndarray) -> np.ndarray:
    return np.asarray(pillow_image(rgb, pal).convert("RGB"))


def run_magick(src: Path, pal: np.ndarray, work: Path) -> np.ndarray:
    swatch = work / "swatch.png"
    Image.fromarray(pal[None]).save(swatch)
    out = work / "magick.png"
    subprocess.run(["convert", str(src), "-dither", "FloydSteinberg", "-remap", str(swatch),
                    str(out)], check=True)
    return np.asarray(Image.open(out).convert("RGB"))


def blurred_psnr(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.ndimage import gaussian_filter

    fa = gaussian_filter(a.astype(np.float64), (1, 1, 0))
    fb = gaussian_filter(b.astype(np.float64), (1, 1, 0))
    mse = float(np.mean((fa - fb) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def colour_error(out: np.ndarray, rgb: np.ndarray) -> float:
    diff = out.reshape(-1, 3).mean(0) - rgb.reshape(-1, 3).mean(0)
    return float(np.sqrt(np.sum(diff ** 2)))


def ramp_error(out: np.ndarray, rgb: np.ndarray) -> float:
    """Mean absolute difference of each column's mean grey, out against in."""
    return float(np.abs(out.mean(axis=(0, 2)) - rgb.mean(axis=(0, 2))).mean())


def measure(args: argparse.Namespace) -> dict[tuple[str, str, str], np.ndarray]:
    """Every method's output: (image, palette, method) -> ``(H, W, 3)`` uint8."""
    images = {**photos(args.photos, args.train), **synthetic()}
    pairs = jobs(images)
    work = Path(tempfile.mkdtemp(prefix="bench_given_"))
    try:
        inputs = work / "in"
        inputs.mkdir()
        for name, (_, rgb) in images.items():
            Image.fromarray(rgb).save(inputs / f"{name}.png")
        (inputs / "jobs.txt").write_text("\n".join(f"{i},{p}" for i, p in pairs))
        run_quantize(REPO, inputs, work / "after")
        run_quantize(args.before, inputs, work / "before")
        outs = {}
        for image, pal in pairs:
            rgb = images[image][1]
            for version in ("before", "after"):
                for mode in MODES:
                    outs[image, pal, f"{mode} {version}"] = np.load(
                        work / version / f"{image}.{pal}.{mode}.npy")
            outs[image, pal, "pillow"] = run_pillow(rgb, palette_array(pal))
            outs[image, pal, "magick"] = run_magick(inputs / f"{image}.png", palette_array(pal),
                                                    work)
        return images, pairs, outs
    finally:
        shutil.rmtree(work, ignore_errors=True)


METHODS = (*(f"{mode} {version}" for mode in MODES for version in ("before", "after")),
           "pillow", "magick")


def report(images, pairs, outs) -> None:
    for kind in ("train", "sample"):
        names = [n for n, (k, _) in images.items() if k == kind]
        if not names:
            continue
        print(f"\n== {kind} photos ({len(names)}): medians; blurred PSNR dB / mean colour error")
        print(f"{'palette':8}" + "".join(f"{m:>24}" for m in METHODS))
        for pal in PALETTES:
            psnr = {m: [blurred_psnr(outs[n, pal, m], images[n][1]) for n in names]
                    for m in METHODS}
            err = {m: [colour_error(outs[n, pal, m], images[n][1]) for n in names]
                   for m in METHODS}
            print(f"{pal:8}" + "".join(f"{np.median(psnr[m]):>16.2f} / {np.median(err[m]):5.1f}"
                                       for m in METHODS))
            for ref in ("pillow", "magick"):
                for m in ("diffused before", "diffused after", "diffused lab before",
                          "diffused lab after"):
                    d = np.subtract(psnr[m], psnr[ref])
                    r = np.divide(err[m], np.maximum(err[ref], 1e-9))
                    print(f"   {m} - {ref}: {np.median(d):+.2f} dB (worst {d.min():+.2f}), "
                          f"colour error {np.median(r):.2f}x")
    greys = sorted(n for n, (k, _) in images.items() if k == "grey")
    print("\n== flat greys onto bw: mean level out")
    print(f"{'grey':>5}" + "".join(f"{m:>23}" for m in METHODS))
    for n in greys:
        print(f"{int(n[4:]):>5}" + "".join(f"{outs[n, 'bw', m].mean():>23.1f}" for m in METHODS))
    worst = {m: max(abs(outs[n, "bw", m].mean() - int(n[4:])) for n in greys) for m in METHODS}
    print("worst |out - in|: " + ", ".join(f"{m} {v:.1f}" for m, v in worst.items()))
    print("\n== grey ramp 0..255 onto gb: mean |column mean out - in|, and mean level out "
          f"(in {images['ramp'][1].mean():.1f})")
    for m in METHODS:
        out = outs["ramp", "gb", m]
        print(f"   {m:16} {ramp_error(out, images['ramp'][1]):6.1f}   {out.mean():6.1f}")


ANIMATION_METHODS = ("before", "after", "pillow", "magick")


def animations(work: Path) -> dict[str, Path]:
    """name -> GIF: scikit-image's tiny GIF and the 12-frame pan, written into ``work``."""
    import skimage.data

    sys.path.insert(0, str(HERE))
    from _images import pan_zoom_frames

    pan = work / "pan.gif"
    frames = [Image.fromarray(f) for f in pan_zoom_frames(12, (320, 180))]
    frames[0].save(pan, save_all=True, append_images=frames[1:], duration=40, loop=0)
    return {"tiny GIF": Path(os.path.dirname(skimage.data.__file__))
            / "no_time_for_that_tiny.gif", "pan": pan}


def shown_frames(path: Path) -> list[np.ndarray]:
    """Every frame of an animation as a viewer shows it, ``(H, W, 3)`` uint8."""
    with Image.open(path) as im:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(im)]


def map_animation(method: str, src: Path, pal: str, out: Path, before: Path) -> None:
    """Write ``src`` mapped onto palette ``pal`` by ``method`` to ``out``."""
    colours = palette_array(pal)
    if method in ("before", "after"):
        swatch = out.with_suffix(".hex")
        swatch.write_text("\n".join(PALETTES[pal]) + "\n")
        env = dict(os.environ, PYTHONPATH=str(REPO if method == "after" else before))
        subprocess.run([sys.executable, "-m", "quantize", "reduce", str(src), "--palette-in",
                        str(swatch), "--dither", "-o", str(out), "--force", "-q"], env=env,
                       check=True, cwd=out.parent)  # not this checkout's folder first on the path
    elif method == "magick":
        swatch = out.with_suffix(".png")
        Image.fromarray(colours[None]).save(swatch)
        subprocess.run(["convert", str(src), "-coalesce", "-dither", "FloydSteinberg", "-remap",
                        str(swatch), str(out)], check=True)
    else:
        frames = [pillow_image(f, colours) for f in shown_frames(src)]
        frames[0].save(out, save_all=True, append_images=frames[1:], duration=40, loop=0)


def crawl(frames: list[np.ndarray], out: list[np.ndarray]) -> float:
    """Share of the pixels showing what they showed in the frame before whose colour out
    changes."""
    still = changed = 0
    for i in range(1, len(frames)):
        same = (frames[i] == frames[i - 1]).all(axis=2)
        still += int(same.sum())
        changed += int((same & (out[i] != out[i - 1]).any(axis=2)).sum())
    return changed / max(still, 1)


def score_animation(frames: list[np.ndarray], out: Path) -> tuple[float, float, int, float]:
    """Mean blurred PSNR and mean colour error over the frames, bytes, and :func:`crawl`."""
    shown = shown_frames(out)
    pairs = list(zip(shown, frames, strict=True))
    return (float(np.mean([blurred_psnr(o, f) for o, f in pairs])),
            float(np.mean([colour_error(o, f) for o, f in pairs])), out.stat().st_size,
            crawl(frames, shown))


def report_animations(before: Path) -> None:
    print("\n== animations: mean over the frames of blurred PSNR dB / mean colour error, "
          "bytes, share of the still pixels whose colour changes")
    work = Path(tempfile.mkdtemp(prefix="bench_given_anim_"))
    try:
        for name, src in animations(work).items():
            frames = shown_frames(src)
            for pal in PALETTES:
                scores = {}
                for method in ANIMATION_METHODS:
                    out = work / f"{method}.{pal}.gif"
                    map_animation(method, src, pal, out, before)
                    scores[method] = score_animation(frames, out)
                print(f"{name:9} {pal:6} " + " | ".join(
                    f"{m} {p:6.2f} / {e:4.1f} {n:>8,d} B {100 * c:4.1f} %"
                    for m, (p, e, n, c) in scores.items()))
                after, magick = scores["after"], scores["magick"]
                print(f"{'':16} after - magick {after[0] - magick[0]:+.2f} dB, "
                      f"bytes {after[2] / magick[2]:.2f}x magick's")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main"),
                        help="checkout of quantize to compare with")
    parser.add_argument("--train", type=int, default=10, help="BSDS500 train photos")
    parser.add_argument("--photos", type=Path,
                        default=REPO.parent / "shared" / "bsds500" / "images" / "train")
    parser.add_argument("--part", choices=("all", "stills", "animations"), default="all",
                        help="measure the stills, the animations, or both")
    parser.add_argument("--map", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.map:
        map_ours(*args.map)
        return
    if args.part != "animations":
        report(*measure(args))
    if args.part != "stills":
        report_animations(args.before)


if __name__ == "__main__":
    main()
