"""Benchmark ``quantize reduce`` against pngquant, Pillow and scikit-learn in one run.

Run on demand (``python benchmarks/bench_reduce.py [--quick] [--photos DIR
[--limit N]]``); pytest does not collect it. Four parts:

1. **Web-sized photos, file to file.** The seven photos of
   :func:`_images.sample_photos` (0.14-0.37 MP) and the RGBA disc of
   :func:`_images.rgba_disc`, saved as PNG in a temporary folder, reduced at
   k = 16 and 64 (and 256 for the RGBA image) by four commands, each a fresh
   process: ``quantize reduce`` (default, and ``--dither``) and ``pngquant``
   (``--nofs``, and its default, which dithers). Per file and command: median
   seconds of ``--repeats`` runs, bytes written, PSNR, blurred PSNR (both images
   blurred by a Gaussian of sigma 1 px first: roughly what the eye sees at normal
   viewing distance, so it rewards dithering that works and punishes noise) and
   mean CIEDE2000. On the RGBA image every measure uses premultiplied RGBA (PSNR
   over the four channels; CIEDE2000 on the colour composited over black), and
   the outputs are decoded with Pillow including their tRNS alpha.
   With scikit-learn installed, ``KMeans`` (lloyd, one k-means++ seeding) on
   every pixel gives the quality reference of issue 10's item 6.
   ``--photos DIR`` runs this part on the JPEG and PNG files of ``DIR``
   instead of the seven (``--limit N``: the first N in sorted order), each
   loaded as RGB with Pillow and saved as PNG in the temporary folder; the
   RGBA disc stays. With ``--rgba-ks``, an RGBA set follows the disc: the
   ``--icons`` icons of :func:`_images.rgba_icons` (default 64), each reduced at
   ``--icon-entries`` palette entries N (default 8 16 32 64) by one ``quantize
   reduce -k N-1`` call over all of them (N-1 colours and the transparent entry)
   and by ``pngquant --nofs --speed 1 --strip N``; per N, the medians over the
   set of ours - pngquant's PSNR over all pixels composited on white, on black,
   and premultiplied, the files where ours is lower on white / black, and the
   median bytes ratio. After the medians, a summary for the set, per k: on how
   many files our undithered PSNR is below ``pngquant --nofs``'s, and our
   dithered blurred PSNR below pngquant's default, each with the worst few by
   name; the min / median / max of the PSNR and blurred PSNR differences and of
   the byte ratios, undithered and dithered; with KMeans, the (photo, k) below
   item 6's margin and the worst few. Then, as context for the single-file
   time target and not a target: the time of ``python -c "import numpy,
   PIL.Image"`` and of ``bare_reduce.py`` (decode, histogram, 1 / 3 / 10 / 30
   weighted Lloyd passes, encode, nothing else) on the same files, each as the
   median ratio to ``pngquant --nofs``, with the bare script's PSNR against
   pngquant's.
2. **Seven files in one call:** ``pngquant -f --ext .pq.png 16 FILES`` against
   ``quantize reduce -k 16 --ext .q.png --force FILES``; with ``--photos``, the
   first seven files of the set (all of them if it has fewer).
3. **PNG encoder alone** (``--encoder``): the photos reduced in memory by
   ``quantize.reduce_colors`` (k = 16, 64, dithered or not), the same indices
   written by Pillow (zlib level 4) and
   by ``quantize.encode.encode_indexed_png`` (default and ``optimize=True``);
   bytes against pngquant's file at the same k (``--nofs`` or default), and
   encode seconds.
4. **The ~12 MP photo** of :func:`_images.benchmark_photo` as before: library
   calls (``quantize.reduce_colors``, Pillow MEDIANCUT/FASTOCTREE, scikit-learn
   ``KMeans`` and ``MiniBatchKMeans``), file to file against ``pngquant --nofs
   --speed 3`` with peak RSS, and time growth at 3, 12 and 48 MP.

Every ratio is against the reference tool measured in the same run. A command
the installed ``quantize`` does not support yet (several files per call,
``--ext``) prints ``n/a (not supported)``; a command that fails prints its
error; neither stops the run. The last lines say, for each target of issue 10,
MET or MISSED. ``--quick`` runs each command once and skips part 4; ``--rgba-ks``
given no k skips the RGBA disc and the RGBA set.

Quality is scored by this file alone (NumPy, SciPy's Gaussian filter and
scikit-image's CIELAB / CIEDE2000), independent of quantize's own metrics.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import (  # noqa: E402
    benchmark_photo,
    rgba_disc,
    rgba_icons,
    sample_photos,
    save_benchmark_photo,
)
from _measure import seeds_default_last  # noqa: E402

PNGQUANT = shutil.which("pngquant") or "/usr/bin/pngquant"
GNU_TIME = "/usr/bin/time"
# Targets of issue 10.
SINGLE_TIME_TARGET = 1.5   # single-file CLI seconds <= 1.5 x pngquant's (median ratio)
BATCH_TIME_TARGET = 1.0    # seven files in one call <= 1.0 x pngquant's one call
BYTES_TARGET = 1.0         # median bytes ratio, undithered and dithered
LIBRARY_TIME_TARGET = 0.5  # 12 MP library call <= 0.5 x Pillow MEDIANCUT
PSNR_MARGIN = 0.05         # PSNR >= KMeans - 0.05 dB
CLI_SPEEDUP_TARGET = 3.0   # 12 MP: CLI >= 3 x faster than pngquant
RSS_TARGET_MB = 600.0
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
WORST_SHOWN = 5            # --photos: the worst files listed per comparison
UNSUPPORTED = ("No such option", "unexpected extra argument", "Got unexpected")

#: The four single-file commands: label -> (tool, dithered).
COMMANDS = {
    "quantize": ("quantize", False),
    "quantize --dither": ("quantize", True),
    "pngquant --nofs": ("pngquant", False),
    "pngquant (dither)": ("pngquant", True),
}


# --------------------------------------------------------------------------
# Scoring: PSNR, blurred PSNR and mean CIEDE2000, premultiplied for RGBA
# --------------------------------------------------------------------------


def premultiplied(image: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` float32 in 0..255: RGB as is, RGBA with colour times alpha."""
    out = image.astype(np.float32)
    if image.shape[-1] == 4:
        out[..., :3] *= out[..., 3:] / 255
    return out


def psnr_of(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def blurred_psnr(a: np.ndarray, b: np.ndarray, sigma: float = 1.0) -> float:
    from scipy.ndimage import gaussian_filter

    s = (sigma, sigma, 0)
    return psnr_of(gaussian_filter(a, s, mode="nearest"), gaussian_filter(b, s, mode="nearest"))


def mean_delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 between two ``(H, W, 3)`` uint8 images, over distinct colour pairs."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    def pack(x: np.ndarray) -> np.ndarray:
        x = x.reshape(-1, 3).astype(np.int64)
        return (x[:, 0] << 16) | (x[:, 1] << 8) | x[:, 2]

    def unpack(codes: np.ndarray) -> np.ndarray:
        rgb = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1)
        return rgb.astype(np.uint8)[None]

    pairs, counts = np.unique((pack(a) << 24) | pack(b), return_counts=True)
    de = deltaE_ciede2000(rgb2lab(unpack(pairs >> 24)), rgb2lab(unpack(pairs & 0xFFFFFF)))
    return float(np.average(de[0], weights=counts))


def score(original: np.ndarray, reduced: np.ndarray) -> dict[str, float]:
    """PSNR, blurred PSNR and mean CIEDE2000 of ``reduced`` against ``original``."""
    a, b = premultiplied(original), premultiplied(reduced)
    rgb_a = np.rint(a[..., :3]).astype(np.uint8)
    rgb_b = np.rint(b[..., :3]).astype(np.uint8)
    return {"psnr": psnr_of(a, b), "bpsnr": blurred_psnr(a, b),
            "delta_e": mean_delta_e(rgb_a, rgb_b)}


def decode(path: Path, channels: int) -> np.ndarray:
    """Decode an output file to RGB or RGBA (palette alpha from tRNS included)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA" if channels == 4 else "RGB"))


# --------------------------------------------------------------------------
# Running commands
# --------------------------------------------------------------------------


# The commands run with Python's bytecode cache on, as after an install (pip
# compiles it); a PYTHONDONTWRITEBYTECODE=1 in this shell would make every run
# compile quantize's modules again (about 0.1 s a process here).
COMMAND_ENV = {name: value for name, value in os.environ.items()
               if name != "PYTHONDONTWRITEBYTECODE"}


def quantize_command() -> list[str]:
    script = Path(sys.executable).with_name("quantize")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from quantize.cli import main; main()"]


@dataclass
class Run:
    """Outcome of one command: median seconds, or why it could not run."""

    seconds: float = float("nan")
    problem: str | None = None
    rss_mb: float = float("nan")


def run_once(argv: Sequence[str], *, rss: bool = False) -> tuple[float, str | None, float]:
    """Wall seconds, a problem description (None if exit 0) and peak RSS in MB."""
    cmd = [GNU_TIME, "-v", *argv] if rss and Path(GNU_TIME).exists() else list(argv)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=COMMAND_ENV)
    seconds = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    peak_mb = int(peak.group(1)) / 1024 if peak else float("nan")
    if done.returncode == 0:
        return seconds, None, peak_mb
    if any(s in done.stderr for s in UNSUPPORTED):
        return seconds, "n/a (not supported)", peak_mb
    lines = [ln.strip() for ln in done.stderr.splitlines()
             if ln.strip() and not ln.lstrip().startswith(("Command being timed", "\t"))]
    last = next((ln for ln in lines if "quantize" in ln or "error" in ln.lower()),
                lines[0] if lines else "")
    return seconds, f"failed (exit {done.returncode}): {last[:160]}", peak_mb


def run_median(make_argv: Callable[[int], Sequence[str]], repeats: int, *,
               rss: bool = False) -> Run:
    """Run ``make_argv(seed)`` for seeds 0..repeats-1; stop at the first failure.

    Seed 0, the command line's default, runs last, so the file left to be scored is the
    one a user gets.
    """
    times, peaks = [], []
    for seed in seeds_default_last(repeats):
        seconds, problem, peak = run_once(make_argv(seed), rss=rss)
        if problem:
            return Run(problem=problem)
        times.append(seconds)
        peaks.append(peak)
    return Run(statistics.median(times), None, max(peaks))


def single_argv(label: str, src: Path, out: Path, k: int) -> Callable[[int], list[str]]:
    tool, dithered = COMMANDS[label]
    if tool == "quantize":
        def argv(seed: int) -> list[str]:
            return [*quantize_command(), "reduce", str(src), "-o", str(out), "-k", str(k),
                    "--seed", str(seed), "--force", *(["--dither"] if dithered else [])]
        return argv
    flags = [] if dithered else ["--nofs"]
    return lambda seed: [PNGQUANT, *flags, "--force", "--output", str(out), str(k), str(src)]


# --------------------------------------------------------------------------
# Part 1: single files
# --------------------------------------------------------------------------


def load_photos(folder: Path, limit: int | None) -> dict[str, np.ndarray]:
    """The first ``limit`` JPEG / PNG files of ``folder`` in sorted order, as RGB arrays.

    Keyed by file stem (by file name where two files share a stem).

    Raises
    ------
    ValueError
        If ``folder`` is not a directory or holds no JPEG or PNG file.
    """
    if not folder.is_dir():
        raise ValueError(f"--photos {folder} should be a directory")
    paths = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    if not paths:
        raise ValueError(f"--photos {folder} holds no {'/'.join(PHOTO_SUFFIXES)} file")
    paths = paths[:limit]
    stems = [p.stem for p in paths]
    photos = {}
    for path in paths:
        name = path.stem if stems.count(path.stem) == 1 else path.name
        with Image.open(path) as im:
            photos[name] = np.asarray(im.convert("RGB"))
    return photos


@dataclass
class Row:
    name: str
    k: int
    command: str
    run: Run
    bytes: int = 0
    quality: dict[str, float] = field(default_factory=dict)


def single_rows(name: str, image: np.ndarray, src: Path, k: int, repeats: int,
                workdir: Path) -> list[Row]:
    rows = []
    for label in COMMANDS:
        out = workdir / f"{name}.k{k}.{label.split()[0]}{'-d' if COMMANDS[label][1] else ''}.png"
        out.unlink(missing_ok=True)
        run = run_median(single_argv(label, src, out, k), repeats)
        row = Row(name, k, label, run)
        if run.problem is None:
            row.bytes = out.stat().st_size
            row.quality = score(image, decode(out, image.shape[-1]))
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def format_row(row: Row) -> str:
    head = f"  {row.name:<11}{row.k:>4}  {row.command:<18}"
    if row.run.problem:
        return head + row.run.problem
    q = row.quality
    return (head + f"{row.run.seconds:8.3f}{row.bytes:10,d}{q['psnr']:8.2f}{q['bpsnr']:8.2f}"
            f"{q['delta_e']:7.2f}")


def kmeans_psnr(image: np.ndarray, k: int, seed: int = 0) -> float | None:
    """PSNR of scikit-learn ``KMeans`` (lloyd, one seeding) on every pixel; None without it."""
    try:
        from sklearn.cluster import KMeans
    except ImportError:
        return None
    X = image.reshape(-1, 3).astype(np.float32)
    km = KMeans(k, algorithm="lloyd", n_init=1, random_state=seed).fit(X)
    palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    return psnr_of(image, palette[km.labels_].reshape(image.shape))


def photo_section(photos: dict[str, np.ndarray], rgba: np.ndarray, ks: list[int],
                  rgba_ks: list[int], repeats: int, workdir: Path,
                  with_kmeans: bool) -> tuple[list[Row], dict[tuple[str, int], float]]:
    print(f"\nPart 1: single files, file to file through each CLI, median of {repeats} "
          f"run(s)\n  {'file':<11}{'k':>4}  {'command':<18}{'seconds':>8}{'bytes':>10}"
          f"{'PSNR':>8}{'bPSNR':>8}{'dE00':>7}")
    rows, kmeans = [], {}
    for name, image in photos.items():
        src = workdir / f"{name}.png"
        for k in ks:
            rows += single_rows(name, image, src, k, repeats, workdir)
            if with_kmeans:
                ref = kmeans_psnr(image, k)
                if ref is not None:
                    kmeans[(name, k)] = ref
                    print(f"  {name:<11}{k:>4}  {'sklearn KMeans':<18}{'':18}{ref:8.2f}")
    for k in rgba_ks:
        rows += single_rows("rgba-disc", rgba, workdir / "rgba-disc.png", k, repeats, workdir)
    return rows, kmeans


@dataclass
class IconGaps:
    """Per icon, ours - pngquant's PSNR (dB) on white, black and premultiplied, and
    ours / pngquant's bytes, at one number of palette entries."""

    entries: int
    white: list[float] = field(default_factory=list)
    black: list[float] = field(default_factory=list)
    premultiplied: list[float] = field(default_factory=list)
    bytes: list[float] = field(default_factory=list)
    problem: str | None = None


def composited(image: np.ndarray, page: float) -> np.ndarray:
    """``(H, W, 3)`` float64: RGBA ``image`` composited on the grey ``page`` (0 or 255)."""
    alpha = image[..., 3:].astype(np.float64) / 255
    return image[..., :3] * alpha + page * (1 - alpha)


def icon_section(icons: dict[str, np.ndarray], entries: list[int], workdir: Path
                 ) -> list[IconGaps]:
    """The RGBA icon set at each number of palette ``entries``, against pngquant."""
    print(f"\nRGBA set: {len(icons)} icons of _images.rgba_icons, ours - pngquant --nofs "
          "--speed 1 (PSNR over all pixels, dB: median, and files where ours is lower)")
    folder = workdir / "icons"
    folder.mkdir()
    files = [folder / f"{name}.png" for name in icons]
    for path, image in zip(files, icons.values(), strict=True):
        Image.fromarray(image).save(path)
    out = []
    for n in entries:
        gaps = IconGaps(n)
        ours = run_once([*quantize_command(), "reduce", "-k", str(n - 1), "--ext",
                         f".q{n}.png", "--force", *map(str, files)])[1]
        theirs = run_once([PNGQUANT, "--nofs", "--speed", "1", "--strip", "--force", "--ext",
                           f".p{n}.png", str(n), *map(str, files)])[1]
        gaps.problem = ours or theirs
        if gaps.problem is None:
            for path, image in zip(files, icons.values(), strict=True):
                _icon_gaps(gaps, image, path.with_suffix(f".q{n}.png"),
                           path.with_suffix(f".p{n}.png"))
        print(_icon_line(gaps), flush=True)
        out.append(gaps)
    return out


def _icon_gaps(gaps: IconGaps, image: np.ndarray, ours: Path, theirs: Path) -> None:
    a, b = decode(ours, 4), decode(theirs, 4)
    for page, values in ((255.0, gaps.white), (0.0, gaps.black)):
        ref = composited(image, page)
        values.append(psnr_of(ref, composited(a, page)) - psnr_of(ref, composited(b, page)))
    ref = premultiplied(image)
    gaps.premultiplied.append(psnr_of(ref, premultiplied(a)) - psnr_of(ref, premultiplied(b)))
    gaps.bytes.append(ours.stat().st_size / theirs.stat().st_size)


def _icon_line(gaps: IconGaps) -> str:
    head = f"  {gaps.entries:>3} entries  "
    if gaps.problem:
        return head + gaps.problem
    parts = [f"{label} {median_or_nan(values):+.2f} ({sum(v < 0 for v in values)} lower)"
             for label, values in (("white", gaps.white), ("black", gaps.black),
                                   ("premultiplied", gaps.premultiplied))]
    return head + "  ".join(parts) + f"  bytes {median_or_nan(gaps.bytes):.3f}x"


def find(rows: list[Row], name: str, k: int, command: str) -> Row:
    return next(r for r in rows if (r.name, r.k, r.command) == (name, k, command))


def paired(rows: list[Row], ours: str, theirs: str, names: list[str], ks: list[int]
           ) -> list[tuple[Row, Row]]:
    """(our row, their row) for every file and k where both commands succeeded."""
    out = []
    for name in names:
        for k in ks:
            a, b = find(rows, name, k, ours), find(rows, name, k, theirs)
            if a.run.problem is None and b.run.problem is None:
                out.append((a, b))
    return out


def median_or_nan(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------
# Part 2: seven files in one call
# --------------------------------------------------------------------------


def batch_section(files: list[Path], k: int, repeats: int, note: str = "") -> dict[str, Run]:
    ours = [*quantize_command(), "reduce", "-k", str(k), "--ext", ".q.png", "--force",
            *map(str, files)]
    theirs = [PNGQUANT, "-f", "--ext", ".pq.png", str(k), *map(str, files)]
    runs = {"quantize reduce": run_median(lambda seed: ours, repeats),
            "pngquant": run_median(lambda seed: theirs, repeats)}
    print(f"\nPart 2: {len(files)} files in one call{note}, k={k}, median of {repeats} run(s)")
    for label, run in runs.items():
        print(f"  {label:<18}" + (run.problem or f"{run.seconds:8.3f} s"))
    return runs


# --------------------------------------------------------------------------
# Part 3: the PNG encoder alone, on the same indices
# --------------------------------------------------------------------------


def encoder_section(photos: dict[str, np.ndarray], ks: list[int], workdir: Path) -> None:
    try:
        from quantize import reduce_colors
        from quantize.encode import encode_indexed_png
    except ImportError as exc:
        print(f"\nPart 3: PNG encoder  n/a ({exc})")
        return
    print("\nPart 3: PNG encoder on the same indices (quantize.reduce_colors, seed 0); bytes "
          "over pngquant's file at the same k; encode seconds (median over photos)")
    print(f"  {'k':>4} {'dither':<7}{'Pillow L4':>10}{'encode':>9}{'optimize':>10}"
          f"{'s Pillow':>10}{'s encode':>10}{'s optimize':>11}")
    for k in ks:
        for dither in (False, True):
            ratios: dict[str, list[float]] = {"pil": [], "enc": [], "opt": []}
            secs: dict[str, list[float]] = {"pil": [], "enc": [], "opt": []}
            for name, image in photos.items():
                theirs = workdir / f"{name}.k{k}.pngquant{'-d' if dither else ''}.png"
                if not theirs.exists():
                    continue
                result = reduce_colors(image, k, seed=0, dither=dither)
                for key, (size, seconds) in _encoded_sizes(result, encode_indexed_png).items():
                    ratios[key].append(size / theirs.stat().st_size)
                    secs[key].append(seconds)
            med = {key: median_or_nan(v) for key, v in ratios.items()}
            sec = {key: median_or_nan(v) for key, v in secs.items()}
            print(f"  {k:>4} {'yes' if dither else 'no':<7}{med['pil']:10.3f}{med['enc']:9.3f}"
                  f"{med['opt']:10.3f}{sec['pil']:10.3f}{sec['enc']:10.3f}{sec['opt']:11.3f}")


def _encoded_sizes(result: object, encode: Callable[..., bytes]
                   ) -> dict[str, tuple[int, float]]:
    """Bytes and seconds of each writer on one reduced image."""
    idx, pal = result.indices, result.palette  # type: ignore[attr-defined]
    writers = {"pil": lambda: _pillow_png(result.to_image()),  # type: ignore[attr-defined]
               "enc": lambda: encode(idx, pal),
               "opt": lambda: encode(idx, pal, optimize=True)}
    out = {}
    for key, write in writers.items():
        start = time.perf_counter()
        size = len(write())
        out[key] = (size, time.perf_counter() - start)
    return out


def _pillow_png(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=4)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# Part 4: the 12 MP photo (library calls, CLI, growth)
# --------------------------------------------------------------------------


def _ours(image: np.ndarray, k: int, seed: int) -> np.ndarray:
    from quantize import reduce_colors

    return reduce_colors(image, k, seed=seed).to_rgb()


def _pillow(method: Image.Quantize) -> Callable[[np.ndarray, int, int], np.ndarray]:
    def run(image: np.ndarray, k: int, seed: int) -> np.ndarray:
        out = Image.fromarray(image).quantize(k, method=method, dither=Image.Dither.NONE)
        return np.asarray(out.convert("RGB"))
    return run


def _sklearn_kmeans(image: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    X = image.reshape(-1, 3).astype(np.float32)
    km = KMeans(k, algorithm="lloyd", n_init=1, random_state=seed).fit(X)
    palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    return palette[km.labels_].reshape(image.shape)


def _sklearn_minibatch(image: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import MiniBatchKMeans

    X = image.reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(seed)
    sample = X[rng.choice(X.shape[0], size=100_000, replace=False)]
    km = MiniBatchKMeans(k, random_state=seed, n_init=1).fit(sample)
    palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    return palette[km.predict(X)].reshape(image.shape)


METHODS = {
    "quantize.reduce_colors": _ours,
    "Pillow MEDIANCUT": _pillow(Image.Quantize.MEDIANCUT),
    "Pillow FASTOCTREE": _pillow(Image.Quantize.FASTOCTREE),
    "sklearn KMeans lloyd": _sklearn_kmeans,
    "sklearn MiniBatch 100k": _sklearn_minibatch,
}


_MEDIANCUT = METHODS["Pillow MEDIANCUT"]


def _fast_score(original: np.ndarray, reduced: np.ndarray) -> tuple[float, float]:
    """PSNR and mean CIEDE2000 (12 MP: no blur, to keep memory and time down)."""
    return psnr_of(original, reduced), mean_delta_e(original, reduced)


def _measure(name: str, image: np.ndarray, k: int, repeats: int) -> dict[str, float]:
    times, psnrs, des = [], [], []
    for seed in range(repeats):
        start = time.perf_counter()
        reduced = METHODS[name](image, k, seed)
        times.append(time.perf_counter() - start)
        p, d = _fast_score(image, reduced)
        psnrs.append(p)
        des.append(d)
    return {"seconds": statistics.median(times), "psnr": statistics.median(psnrs),
            "delta_e": statistics.median(des)}


def library_table(image: np.ndarray, k: int, repeats: int, methods: list[str],
                  verdicts: list[str]) -> None:
    rows = {name: _measure(name, image, k, repeats) for name in methods}
    base = rows["quantize.reduce_colors"]
    print(f"\nk={k}: library calls on the in-memory image, median of {repeats} "
          "(ours/this: our time over this method's)")
    print(f"  {'method':<24}{'seconds':>9}{'PSNR dB':>9}{'mean dE':>9}{'ours/this':>11}")
    for name, r in rows.items():
        print(f"  {name:<24}{r['seconds']:9.3f}{r['psnr']:9.3f}{r['delta_e']:9.3f}"
              f"{base['seconds'] / r['seconds']:11.2f}")
    ratio = base["seconds"] / rows["Pillow MEDIANCUT"]["seconds"]
    verdicts.append(f"12 MP k={k}: library time <= {LIBRARY_TIME_TARGET} x MEDIANCUT: "
                    f"{ratio:.2f}x  {verdict(ratio <= LIBRARY_TIME_TARGET)}")
    if "sklearn KMeans lloyd" in rows:
        gap = base["psnr"] - rows["sklearn KMeans lloyd"]["psnr"]
        verdicts.append(f"12 MP k={k}: PSNR >= KMeans - {PSNR_MARGIN} dB: {gap:+.3f} dB  "
                        f"{verdict(gap >= -PSNR_MARGIN)}")


def cli_table(image: np.ndarray, k: int, repeats: int, workdir: Path, src: Path,
              verdicts: list[str]) -> None:
    outs = {"quantize reduce": workdir / f"ours.k{k}.png",
            "pngquant --speed 3": workdir / f"pngquant.k{k}.png"}
    argvs = {
        "quantize reduce": lambda seed: [*quantize_command(), "reduce", str(src), "-o",
                                         str(outs["quantize reduce"]), "-k", str(k),
                                         "--seed", str(seed), "--force"],
        "pngquant --speed 3": lambda seed: [PNGQUANT, "--nofs", "--speed", "3", "--force",
                                            "--output", str(outs["pngquant --speed 3"]),
                                            str(k), str(src)],
    }
    print(f"\nk={k}: file to file ({src.stat().st_size / 1e6:.1f} MB PNG in), "
          f"median of {repeats}")
    print(f"  {'tool':<24}{'seconds':>9}{'PSNR dB':>9}{'mean dE':>9}{'peak MB':>9}"
          f"{'bytes out':>11}")
    runs, psnrs = {}, {}
    for name, argv in argvs.items():
        runs[name] = run = run_median(argv, repeats, rss=True)
        if run.problem:
            print(f"  {name:<24}{run.problem}")
            continue
        psnrs[name], d = _fast_score(image, decode(outs[name], 3))
        print(f"  {name:<24}{run.seconds:9.3f}{psnrs[name]:9.3f}{d:9.3f}{run.rss_mb:9.0f}"
              f"{outs[name].stat().st_size:11,d}")
    if len(psnrs) < 2:
        verdicts.append(f"12 MP k={k}: CLI comparison  MISSED (a command failed)")
        return
    ours, pq = runs["quantize reduce"], runs["pngquant --speed 3"]
    speedup = pq.seconds / ours.seconds
    gap = psnrs["quantize reduce"] - psnrs["pngquant --speed 3"]
    verdicts.append(f"12 MP k={k}: CLI >= {CLI_SPEEDUP_TARGET:g}x faster than pngquant at >= "
                    f"its PSNR: {speedup:.2f}x, PSNR {gap:+.3f} dB  "
                    f"{verdict(speedup >= CLI_SPEEDUP_TARGET and gap >= 0)}")
    verdicts.append(f"12 MP k={k}: CLI peak RSS <= {RSS_TARGET_MB:g} MB: {ours.rss_mb:.0f} MB  "
                    f"{verdict(ours.rss_mb <= RSS_TARGET_MB)}")


def growth_table(sizes: list[float], k: int, repeats: int) -> None:
    print(f"\nGrowth: quantize.reduce_colors at k={k}, median of {repeats}")
    print(f"  {'MP':>5}{'pixels':>13}{'seconds':>9}{'us/pixel':>10}{'MEDIANCUT s':>13}")
    for mp in sizes:
        image = benchmark_photo(mp)
        ours = statistics.median(_timed(lambda s=s, im=image: _ours(im, k, s))
                                 for s in range(repeats))
        mc = statistics.median(_timed(lambda im=image: _MEDIANCUT(im, k, 0))
                               for _ in range(repeats))
        n = image.shape[0] * image.shape[1]
        print(f"  {mp:5g}{n:13,d}{ours:9.3f}{1e6 * ours / n:10.3f}{mc:13.3f}")


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def large_section(args: argparse.Namespace, verdicts: list[str]) -> None:
    image = benchmark_photo(args.megapixels)
    print(f"\nPart 4: {image.shape[1]}x{image.shape[0]} = {image.shape[0] * image.shape[1]:,} "
          "pixels (benchmarks/_images.py)")
    methods = [m for m in METHODS if not (args.no_kmeans and m == "sklearn KMeans lloyd")]
    for k in args.ks:
        library_table(image, k, args.repeats, methods, verdicts)
    with tempfile.TemporaryDirectory(prefix="bench_reduce_12mp_") as tmp:
        src = save_benchmark_photo(Path(tmp) / "photo.png", args.megapixels)
        for k in args.ks:
            cli_table(image, k, args.repeats, Path(tmp), src, verdicts)
    if args.growth:
        growth_table(args.growth, args.ks[0], args.repeats)


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def photo_verdicts(rows: list[Row], names: list[str], ks: list[int], rgba_ks: list[int],
                   kmeans: dict[tuple[str, int], float], batch: dict[str, Run],
                   batch_files: int, icons: list[IconGaps]) -> list[str]:
    lines = [_ratio_line(rows, names, ks)]
    nofs = paired(rows, "quantize", "pngquant --nofs", names, ks)
    dith = paired(rows, "quantize --dither", "pngquant (dither)", names, ks)
    expected = len(names) * len(ks)
    worst = min((a.quality["psnr"] - b.quality["psnr"] for a, b in nofs), default=float("nan"))
    bytes_nofs = median_or_nan([a.bytes / b.bytes for a, b in nofs])
    ok = len(nofs) == expected and worst >= 0 and bytes_nofs <= BYTES_TARGET
    lines.append(f"undithered: PSNR >= pngquant --nofs on every file (worst {worst:+.2f} dB) "
                 f"and bytes <= {BYTES_TARGET:g}x (median {bytes_nofs:.3f}x)  {verdict(ok)}")
    bytes_d = median_or_nan([a.bytes / b.bytes for a, b in dith])
    bgap = median_or_nan([a.quality["bpsnr"] - b.quality["bpsnr"] for a, b in dith])
    ok = len(dith) == expected and bytes_d <= BYTES_TARGET and bgap >= 0
    lines.append(f"dithered: bytes <= pngquant default (median {bytes_d:.3f}x) and blurred "
                 f"PSNR >= it (median {bgap:+.2f} dB)  {verdict(ok)}")
    for k in ks:  # a median over both k can hide one k's loss: each k on its own too
        at_k = [(a, b) for a, b in dith if a.k == k]
        bytes_k = median_or_nan([a.bytes / b.bytes for a, b in at_k])
        bgap_k = median_or_nan([a.quality["bpsnr"] - b.quality["bpsnr"] for a, b in at_k])
        ok = len(at_k) == len(names) and bytes_k <= BYTES_TARGET and bgap_k >= 0
        lines.append(f"  at k={k} alone: bytes median {bytes_k:.3f}x, blurred PSNR median "
                     f"{bgap_k:+.2f} dB  {verdict(ok)}")
    lines.append(_rgba_line(rows, rgba_ks))
    if rgba_ks:
        lines.append(_rgba_set_line(icons))
    if batch:
        lines.append(_batch_line(batch, batch_files))
    if kmeans:
        lines.append(_kmeans_line(rows, kmeans))
    return lines


def _ratio_line(rows: list[Row], names: list[str], ks: list[int]) -> str:
    pairs = paired(rows, "quantize", "pngquant --nofs", names, ks)
    ratio = median_or_nan([a.run.seconds / b.run.seconds for a, b in pairs])
    ok = len(pairs) == len(names) * len(ks) and ratio <= SINGLE_TIME_TARGET
    return (f"single-file CLI time <= {SINGLE_TIME_TARGET}x pngquant --nofs (median over "
            f"{len(pairs)} photo runs): {ratio:.2f}x  {verdict(ok)}")


def _rgba_line(rows: list[Row], rgba_ks: list[int]) -> str:
    if not rgba_ks:
        return "RGBA: not run (--rgba-ks given no k)"
    gaps, ok = [], True
    for k in rgba_ks:
        a, b = find(rows, "rgba-disc", k, "quantize"), find(rows, "rgba-disc", k,
                                                               "pngquant --nofs")
        if a.run.problem or b.run.problem:
            gaps.append(f"k={k} n/a")
            ok = False
        else:
            gap = a.quality["psnr"] - b.quality["psnr"]
            gaps.append(f"k={k} {gap:+.2f} dB")
            ok &= gap >= 0
    return f"RGBA: PSNR >= pngquant --nofs at every k: {', '.join(gaps)}  {verdict(ok)}"


def _rgba_set_line(icons: list[IconGaps]) -> str:
    """Whether the median over the icon set is level with pngquant or better, on white
    and on black, at every number of entries."""
    gaps, ok = [], bool(icons)
    for g in icons:
        if g.problem:
            gaps.append(f"{g.entries} n/a")
            ok = False
            continue
        white, black = median_or_nan(g.white), median_or_nan(g.black)
        gaps.append(f"{g.entries} {white:+.2f}/{black:+.2f} dB")
        ok &= white >= 0 and black >= 0
    return (f"RGBA set: median PSNR >= pngquant --nofs on white and on black at every "
            f"number of entries (white/black): {', '.join(gaps) or 'none'}  {verdict(ok)}")


def _batch_line(batch: dict[str, Run], n_files: int) -> str:
    ours, pq = batch["quantize reduce"], batch["pngquant"]
    if ours.problem or pq.problem:
        return (f"{n_files} files in one call <= {BATCH_TIME_TARGET:g}x pngquant: "
                f"{ours.problem}  MISSED")
    ratio = ours.seconds / pq.seconds
    return (f"{n_files} files in one call <= {BATCH_TIME_TARGET:g}x pngquant's one call: "
            f"{ratio:.2f}x  {verdict(ratio <= BATCH_TIME_TARGET)}")


def _kmeans_line(rows: list[Row], kmeans: dict[tuple[str, int], float]) -> str:
    gaps = []
    for (name, k), ref in kmeans.items():
        row = find(rows, name, k, "quantize")
        gaps.append(float("-inf") if row.run.problem else row.quality["psnr"] - ref)
    worst = min(gaps)
    return (f"item 6: PSNR >= KMeans - {PSNR_MARGIN} dB on every photo and k: worst "
            f"{worst:+.2f} dB, median {statistics.median(gaps):+.2f} dB  "
            f"{verdict(worst >= -PSNR_MARGIN)}")


def _pairs_by_command_and_k(rows: list[Row], names: list[str], ks: list[int]
                            ) -> Iterator[tuple[str, str, int, list[tuple[Row, Row]]]]:
    """(ours, theirs, k, paired rows) undithered then dithered, for each k; "n/a" when none."""
    for ours, theirs in (("quantize", "pngquant --nofs"),
                         ("quantize --dither", "pngquant (dither)")):
        for k in ks:
            pairs = paired(rows, ours, theirs, names, [k])
            if pairs:
                yield ours, theirs, k, pairs
            else:
                print(f"  k={k:<3} {ours} vs {theirs}: n/a")


def summary_lines(rows: list[Row], names: list[str], ks: list[int]) -> None:
    print("\nMedians over the photos (ours / pngquant, and PSNR differences ours - pngquant)")
    for ours, theirs, k, pairs in _pairs_by_command_and_k(rows, names, ks):
        t = median_or_nan([a.run.seconds / b.run.seconds for a, b in pairs])
        by = median_or_nan([a.bytes / b.bytes for a, b in pairs])
        dp = median_or_nan([a.quality["psnr"] - b.quality["psnr"] for a, b in pairs])
        db = median_or_nan([a.quality["bpsnr"] - b.quality["bpsnr"] for a, b in pairs])
        dd = median_or_nan([a.quality["delta_e"] - b.quality["delta_e"] for a, b in pairs])
        print(f"  k={k:<3} {ours:<18} vs {theirs:<18} time {t:5.2f}x  bytes {by:5.3f}x  "
              f"PSNR {dp:+5.2f}  bPSNR {db:+5.2f}  dE00 {dd:+5.2f}  ({len(pairs)} files)")


#: Lloyd passes of the bare script's rows in :func:`floor_lines`.
BARE_PASSES = (1, 3, 10, 30)


def floor_lines(rows: list[Row], photos: dict[str, np.ndarray], ks: list[int], repeats: int,
                workdir: Path) -> None:
    """Context for the single-file time target, not a target: what is left of it once
    Python, NumPy and Pillow have started, and what ``bare_reduce.py`` (decode, histogram,
    ``BARE_PASSES`` weighted Lloyd passes, encode; nothing else) takes and gives, each as
    the median ratio to ``pngquant --nofs`` over the same photo runs."""
    bare = Path(__file__).resolve().with_name("bare_reduce.py")
    start = run_median(lambda seed: [sys.executable, "-c", "import numpy, PIL.Image"], repeats)
    lines = [("python -c 'import numpy, PIL.Image'",
              [start.seconds / find(rows, n, k, "pngquant --nofs").run.seconds
               for n in photos for k in ks], [])]
    for passes in BARE_PASSES:
        ratios, gaps = [], []
        for name, image in photos.items():
            for k in ks:
                out = workdir / f"{name}.k{k}.bare{passes}.png"
                argv = [sys.executable, str(bare), str(workdir / f"{name}.png"), str(k),
                        str(passes), str(out)]
                run = run_median(lambda seed, argv=argv: argv, repeats)
                theirs = find(rows, name, k, "pngquant --nofs")
                if run.problem or theirs.run.problem:
                    continue
                ratios.append(run.seconds / theirs.run.seconds)
                gaps.append(psnr_of(image, decode(out, 3)) - theirs.quality["psnr"])
        lines.append((f"bare_reduce.py, {passes} Lloyd pass{'es' * (passes > 1)}", ratios,
                      gaps))
    ours = [(a.run.seconds / b.run.seconds, a.quality["psnr"] - b.quality["psnr"])
            for a, b in paired(rows, "quantize", "pngquant --nofs", list(photos), ks)]
    lines.append(("quantize reduce", [r for r, _ in ours], [g for _, g in ours]))
    print(f"\nContext for the single-file time, not a target (median of {repeats}, ratio to "
          f"pngquant --nofs; PSNR ours - pngquant's, median and worst)")
    for label, ratios, gaps in lines:
        quality = (f"  PSNR {median_or_nan(gaps):+5.2f} median, {min(gaps):+5.2f} worst"
                   if gaps else "")
        print(f"  {label:<36} time {median_or_nan(ratios):5.2f}x{quality}")


def set_summary(rows: list[Row], names: list[str], ks: list[int],
                kmeans: dict[tuple[str, int], float]) -> None:
    """For ``--photos``: files losing to pngquant, the worst by name, and distributions."""
    for ours, theirs, measure in (("quantize", "pngquant --nofs", "psnr"),
                                  ("quantize --dither", "pngquant (dither)", "bpsnr")):
        print(f"\nOver the {len(names)} photos, per k: files where {ours} has a lower "
              f"{'PSNR' if measure == 'psnr' else 'blurred PSNR'} than {theirs}, and the "
              f"worst {WORST_SHOWN} (ours - theirs, dB)")
        for k in ks:
            _losses_line(paired(rows, ours, theirs, names, [k]), k, measure)
    print("\nDistributions over the photos: min / median / max of ours - pngquant (PSNR, "
          "bPSNR, dB) and ours / pngquant (bytes)")
    for ours, theirs, k, pairs in _pairs_by_command_and_k(rows, names, ks):
        psnr = [a.quality["psnr"] - b.quality["psnr"] for a, b in pairs]
        bpsnr = [a.quality["bpsnr"] - b.quality["bpsnr"] for a, b in pairs]
        size = [a.bytes / b.bytes for a, b in pairs]
        print(f"  k={k:<3} {ours:<18} vs {theirs:<18} PSNR {_spread(psnr, '+.2f')}  "
              f"bPSNR {_spread(bpsnr, '+.2f')}  bytes {_spread(size, '.3f')}")
    if kmeans:
        _kmeans_worst(rows, kmeans)


def _losses_line(pairs: list[tuple[Row, Row]], k: int, measure: str) -> None:
    gaps = sorted((a.quality[measure] - b.quality[measure], a.name) for a, b in pairs)
    below = sum(gap < 0 for gap, _ in gaps)
    worst = ", ".join(f"{name} {gap:+.2f}" for gap, name in gaps[:WORST_SHOWN])
    print(f"  k={k:<3} {below} of {len(gaps)} files below; worst: {worst or 'n/a'}")


def _spread(values: list[float], spec: str) -> str:
    return " / ".join(format(v, spec) for v in (min(values), statistics.median(values),
                                                 max(values)))


def _kmeans_worst(rows: list[Row], kmeans: dict[tuple[str, int], float]) -> None:
    gaps = sorted((find(rows, name, k, "quantize").quality.get("psnr", float("-inf")) - ref,
                   name, k) for (name, k), ref in kmeans.items())
    below = [g for g in gaps if g[0] < -PSNR_MARGIN]
    print(f"\nItem 6: (photo, k) where our PSNR is below KMeans - {PSNR_MARGIN} dB: "
          f"{len(below)} of {len(gaps)}; the worst {WORST_SHOWN} (ours - KMeans, dB): "
          + ", ".join(f"{name} k={k} {gap:+.3f}" for gap, name, k in gaps[:WORST_SHOWN]))


def photo_parts(args: argparse.Namespace, photos: dict[str, np.ndarray]) -> list[str]:
    """Parts 1 to 3 in one temporary folder; the verdict lines of parts 1 and 2."""
    rgba = rgba_disc()
    with tempfile.TemporaryDirectory(prefix="bench_reduce_") as tmp:
        workdir = Path(tmp)
        files = []
        for name, image in photos.items():
            files.append(workdir / f"{name}.png")
            Image.fromarray(image).save(files[-1])
        Image.fromarray(rgba).save(workdir / "rgba-disc.png")
        rows, kmeans = photo_section(photos, rgba, args.ks, args.rgba_ks, args.repeats,
                                     workdir, not args.no_kmeans)
        icons = (icon_section(rgba_icons(args.icons), args.icon_entries, workdir)
                 if args.rgba_ks else [])
        summary_lines(rows, list(photos), args.ks)
        floor_lines(rows, photos, args.ks, args.repeats, workdir)
        if args.photos:
            set_summary(rows, list(photos), args.ks, kmeans)
        batch_dir = workdir / "batch"
        batch_dir.mkdir()
        batch_files = [Path(shutil.copy(f, batch_dir)) for f in files[:7]]
        note = f" (the first {len(batch_files)} of --photos)" if args.photos else ""
        batch = batch_section(batch_files, 16, args.repeats, note)
        if args.encoder:
            encoder_section(photos, args.ks, workdir)
    return photo_verdicts(rows, list(photos), args.ks, args.rgba_ks, kmeans, batch,
                          len(batch_files), icons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rgba-ks", type=int, nargs="*", default=[16, 64, 256])
    parser.add_argument("--icons", type=int, default=64,
                        help="icons in the RGBA set (200: the set docs/reduce.md quotes)")
    parser.add_argument("--icon-entries", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="one run per command, no 12 MP part (fast iteration)")
    parser.add_argument("--no-kmeans", action="store_true",
                        help="skip scikit-learn KMeans (on the photos and at 12 MP)")
    parser.add_argument("--no-12mp", action="store_true", help="skip part 4")
    parser.add_argument("--encoder", action="store_true",
                        help="part 3: compare PNG encoders on the same indices")
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--growth", type=float, nargs="*", default=[3, 12, 48])
    parser.add_argument("--photos", type=Path, metavar="DIR",
                        help="parts 1-3 on the JPEG / PNG files of DIR instead of the seven "
                             "bundled photos")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="with --photos: the first N files in sorted order")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.no_12mp = 1, True
    if args.limit is not None and (args.photos is None or args.limit < 1):
        parser.error(f"--limit {args.limit} needs --photos and should be >= 1")
    try:
        photos = load_photos(args.photos, args.limit) if args.photos else sample_photos()
    except (OSError, ValueError) as exc:
        parser.error(str(exc))

    print(f"quantize: {_version()}; pngquant {_tool_version([PNGQUANT, '--version'])}")
    run_once([*quantize_command(), "--version"])  # writes the bytecode cache before timing
    print("Python bytecode cache: on for the quantize commands (as after an install)")
    if args.photos:
        pixels = [image.shape[0] * image.shape[1] / 1e6 for image in photos.values()]
        print(f"Photos: the first {len(photos)} JPEG / PNG files of {args.photos} in sorted "
              f"order ({min(pixels):.2f}-{max(pixels):.2f} MP), loaded as RGB")
    verdicts = photo_parts(args, photos)
    if not args.no_12mp:
        large_section(args, verdicts)
    print("\nTargets (issue 10)")
    for line in verdicts:
        print("  " + line)


def _tool_version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
    except OSError as exc:
        return f"unavailable ({exc})"


def _version() -> str:
    return _tool_version([*quantize_command(), "--version"]) or "unknown"


if __name__ == "__main__":
    main()
