"""Benchmark the bytes of ``quantize reduce`` against pngquant's on flat images: UI, charts, text.

Run on demand (``python benchmarks/bench_flat_bytes.py [--ks 256,64,16] [--keep DIR]
[--no-chromium]``); pytest does not collect it. Flat images (a few flat colours, borders,
anti-aliased text, under 300 distinct colours) are where ``-k 256`` keeps every colour
and the file's size is the encoder's alone, not the palette's.

The set is made here, the same every run: :data:`MAKERS` draws 14 images with Pillow
(a dashboard of cards and buttons at two anti-aliasing depths, a form, a bar, a line and a
pie chart, a diagram of boxes and arrows, code listings on dark and light backgrounds, a
serif document, a striped table, a grid of anti-aliased icons, a pixel map with labels,
and ``skimage.data.text()``), 49 to 250 distinct colours each: text is drawn with its
coverage rounded to a few levels (:func:`put_text`), as the number of colours of a
screenshot's text depends on its renderer. With Chromium (``chromium`` or
``chromium-browser``) three simple pages (:data:`PAGES`: pricing cards, a code listing
on a dark theme, release notes) are shot too; their text is anti-aliased in full (600 to
900 colours), so ``-k 256`` merges colours there. ``--keep DIR`` keeps the images.

Each image is reduced at each k (``--ks``) by ``quantize reduce`` (default and
``--optimize``) and ``pngquant --nofs`` and ``pngquant`` (its default, which dithers), file
to file, in the same run. Per image and k: bytes, PSNR and colours of each, and, to split
the byte gap into pngquant's merged colours and the encoding, pngquant's output encoded
again by :func:`quantize.encode.encode_indexed_png` (its colours, our encoder) and ours
by Pillow's ``optimize=True`` (our colours, libpng-style encoder). Summary lines give
median ratios per k, flat set and Chromium shots apart. Every ratio is against pngquant
measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reduce import COMMAND_ENV, PNGQUANT, decode, psnr_of, quantize_command  # noqa: E402
from bench_screens import find_chromium  # noqa: E402

from quantize.encode import encode_indexed_png  # noqa: E402

FONTS = {"sans": "dejavu/DejaVuSans.ttf", "bold": "dejavu/DejaVuSans-Bold.ttf",
         "serif": "dejavu/DejaVuSerif.ttf", "mono": "dejavu/DejaVuSansMono.ttf"}
FONT_DIR = Path("/usr/share/fonts/truetype")
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua").split()


# --------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------


def font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / FONTS[name]
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default()


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def put_text(im: Image.Image, xy: tuple[float, float], text: str, fnt, fill: str,
             levels: int) -> None:
    """Draw ``text`` onto ``im`` with its coverage rounded to ``levels`` steps (2..256)."""
    x, y = xy
    left, top, right, bottom = ImageDraw.Draw(im).textbbox((x, y), text, font=fnt)
    left, top = int(left) - 1, int(top) - 1
    mask = Image.new("L", (int(right) - left + 2, int(bottom) - top + 2), 0)
    ImageDraw.Draw(mask).text((x - left, y - top), text, font=fnt, fill=255)
    step = 255 / (levels - 1)
    mask = mask.point(lambda v: int(round(round(v / step) * step)))
    im.paste(Image.new("RGB", mask.size, fill), (left, top), mask)


def dashboard(rng: random.Random, levels: int) -> Image.Image:
    im = Image.new("RGB", (900, 600), "#f3f4f6")
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, 900, 50), fill="#ffffff")
    d.line((0, 50, 900, 50), fill="#d1d5db")
    put_text(im, (20, 14), "Dashboard", font("bold", 20), "#2563eb", levels)
    for i in range(6):
        x, y = 20 + (i % 3) * 290, 70 + (i // 3) * 260
        d.rounded_rectangle((x, y, x + 270, y + 240), 10, fill="#ffffff", outline="#e5e7eb")
        put_text(im, (x + 14, y + 12), words(rng, 2).title(), font("sans", 16), "#111827",
                 levels)
        put_text(im, (x + 14, y + 40), f"{rng.randint(100, 9999):,}", font("bold", 28),
                 "#111827", levels)
        for j in range(6):
            put_text(im, (x + 14, y + 90 + j * 20), words(rng, 4), font("sans", 12),
                     "#6b7280", levels)
        d.rounded_rectangle((x + 14, y + 205, x + 100, y + 230), 6, fill="#2563eb")
        put_text(im, (x + 26, y + 209), "Open", font("bold", 13), "#ffffff", levels)
    return im


def form(rng: random.Random, levels: int) -> Image.Image:
    im = Image.new("RGB", (700, 800), "#f6f8fa")
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((100, 40, 600, 760), 12, fill="#ffffff", outline="#d1d9e0")
    put_text(im, (130, 60), "Create account", font("bold", 24), "#1f2328", levels)
    for i in range(8):
        y = 120 + i * 75
        put_text(im, (130, y), words(rng, 2).title(), font("sans", 14), "#59636e", levels)
        d.rounded_rectangle((130, y + 22, 570, y + 56), 6, fill="#ffffff", outline="#d1d9e0")
        put_text(im, (140, y + 30), words(rng, 3), font("sans", 15), "#1f2328", levels)
    d.rounded_rectangle((130, 715, 300, 750), 6, fill="#1f883d")
    put_text(im, (160, 722), "Sign up", font("bold", 16), "#ffffff", levels)
    return im


def bars(rng: random.Random, levels: int) -> Image.Image:
    im = Image.new("RGB", (800, 500), "white")
    d = ImageDraw.Draw(im)
    for y in range(50, 451, 50):
        d.line((60, y, 780, y), fill="#e0e0e0")
        put_text(im, (20, y - 7), str(450 - y), font("sans", 11), "#555555", levels)
    for i in range(12):
        for s, colour in enumerate(("#4e79a7", "#f28e2b", "#e15759")):
            h, x = rng.randint(20, 380), 70 + i * 59 + s * 17
            d.rectangle((x, 450 - h, x + 15, 450), fill=colour)
    put_text(im, (300, 10), "Quarterly revenue", font("bold", 18), "#222222", levels)
    return im


def lines(rng: random.Random, levels: int) -> Image.Image:
    big = Image.new("RGB", (3200, 2000), "white")  # drawn at 4x, shrunk: anti-aliased
    b = ImageDraw.Draw(big)
    for s, colour in enumerate(("#1f77b4", "#d62728", "#2ca02c")):
        ys = np.cumsum([rng.gauss(0, 40) for _ in range(40)]) + 1000 + s * 200
        b.line([(120 + i * 75, int(y)) for i, y in enumerate(ys)], fill=colour, width=10)
    im = big.resize((800, 500), Image.Resampling.BOX)
    d = ImageDraw.Draw(im)
    for y in range(50, 451, 80):
        d.line((30, y, 790, y), fill="#dddddd")
    put_text(im, (30, 10), "Latency (ms)", font("sans", 16), "#333333", levels)
    return im


def diagram(rng: random.Random, levels: int) -> Image.Image:
    im = Image.new("RGB", (900, 600), "#fcfcfc")
    d = ImageDraw.Draw(im)
    fills = ("#dbeafe", "#dcfce7", "#fef9c3", "#fee2e2")
    for i in range(8):
        x, y = 40 + (i % 4) * 215, 80 + (i // 4) * 280
        d.rounded_rectangle((x, y, x + 170, y + 90), 14, fill=fills[i % 4], outline="#334155",
                            width=2)
        put_text(im, (x + 20, y + 34), words(rng, 2), font("serif", 15), "#0f172a", levels)
        if i < 4:
            d.line((x + 85, y + 90, x + 85, y + 280), fill="#64748b", width=2)
            d.polygon([(x + 79, y + 270), (x + 91, y + 270), (x + 85, y + 280)], fill="#64748b")
    return im


def code(rng: random.Random, levels: int, dark: bool = True) -> Image.Image:
    bg, fg = ("#0d1117", "#e6edf3") if dark else ("#ffffff", "#1f2328")
    tokens = (("#ff7b72", "#d2a8ff", "#a5d6ff", "#8b949e", "#ffa657", "#7ee787") if dark
              else ("#cf222e", "#8250df", "#0a3069", "#6e7781"))
    im = Image.new("RGB", (900, 640), bg)
    mono = font("mono", 14)
    for i in range(36):
        x = 50 + 28 * rng.randint(0, 3)
        put_text(im, (10, 10 + i * 17), f"{i + 1:3d}", mono, "#6e7681", levels)
        for word in words(rng, rng.randint(2, 7)).split():
            put_text(im, (x, 10 + i * 17), word, mono, rng.choice([*tokens, fg, fg]), levels)
            x += 8.4 * (len(word) + 1)
    return im


def document(rng: random.Random, levels: int) -> Image.Image:
    im = Image.new("RGB", (800, 1000), "#ffffff")
    put_text(im, (60, 40), words(rng, 4).title(), font("serif", 30), "#000000", levels)
    y = 100
    for _ in range(6):
        for _ in range(rng.randint(4, 7)):
            put_text(im, (60, y), words(rng, 11), font("serif", 15), "#222222", levels)
            y += 22
        y += 16
    return im


def table(rng: random.Random, levels: int) -> Image.Image:
    im = Image.new("RGB", (900, 560), "white")
    d = ImageDraw.Draw(im)
    d.rectangle((20, 20, 880, 52), fill="#1e3a8a")
    for c in range(5):
        put_text(im, (30 + c * 170, 28), words(rng, 1).upper(), font("bold", 13), "white", levels)
    for r in range(16):
        y = 52 + r * 30
        if r % 2:
            d.rectangle((20, y, 880, y + 30), fill="#f1f5f9")
        for c in range(5):
            text = words(rng, 2) if c < 3 else f"{rng.uniform(0, 1e4):,.2f}"
            put_text(im, (30 + c * 170, y + 8), text, font("sans", 13),
                     "#0f172a" if c != 4 else "#15803d", levels)
    return im


def icons(rng: random.Random, levels: int) -> Image.Image:
    big = Image.new("RGB", (2560, 1920), "#ffffff")  # drawn at 4x, shrunk: anti-aliased
    d = ImageDraw.Draw(big)
    colours = ("#ef4444", "#f59e0b", "#10b981", "#3b82f6", "#8b5cf6", "#ec4899", "#111827",
               "#6b7280")
    for i in range(48):
        x, y, colour = 80 + (i % 8) * 312, 80 + (i // 8) * 304, colours[i % 8]
        if i % 3 == 0:
            d.ellipse((x, y, x + 224, y + 224), fill=colour)
        elif i % 3 == 1:
            d.rounded_rectangle((x, y, x + 224, y + 224), 48, fill=colour)
        else:
            d.polygon([(x + 112, y), (x + 224, y + 224), (x, y + 224)], fill=colour)
    return big.resize((640, 480), Image.Resampling.BOX)


def pixel_map(rng: random.Random, levels: int) -> Image.Image:
    tiles = ((34, 139, 34), (30, 144, 255), (238, 214, 175), (139, 69, 19), (128, 128, 128))
    small = np.array([[rng.choice(tiles) for _ in range(80)] for _ in range(60)], np.uint8)
    im = Image.fromarray(small).resize((640, 480), Image.Resampling.NEAREST)
    for _ in range(12):
        put_text(im, (rng.randint(0, 560), rng.randint(0, 460)), words(rng, 1).title(),
                 font("bold", 14), "#000000", levels)
    return im


def pie(rng: random.Random, levels: int) -> Image.Image:
    big = Image.new("RGB", (1200, 800), "white")  # drawn at 2x, shrunk: anti-aliased
    b = ImageDraw.Draw(big)
    colours = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#ffff33")
    start = 0.0
    for colour in colours:
        end = start + rng.uniform(30, 90)
        b.pieslice((100, 100, 700, 700), start, end, fill=colour)
        start = end
    b.pieslice((100, 100, 700, 700), start, 360, fill="#a65628")
    im = big.resize((600, 400), Image.Resampling.BOX)
    d = ImageDraw.Draw(im)
    for i, colour in enumerate(colours):
        d.rectangle((400, 60 + i * 40, 420, 80 + i * 40), fill=colour)
        put_text(im, (430, 62 + i * 40), words(rng, 1), font("sans", 14), "#333333", levels)
    return im


def scikit_text(rng: random.Random, levels: int) -> Image.Image:
    from skimage import data

    return Image.fromarray(data.text()).convert("RGB")


#: name -> (drawing function, levels of the text's coverage).
MAKERS: dict[str, tuple[Callable[[random.Random, int], Image.Image], int]] = {
    "dashboard": (dashboard, 32), "dashboard_16": (dashboard, 16), "form": (form, 48),
    "bars": (bars, 256), "lines": (lines, 256), "diagram": (diagram, 64),
    "code_dark": (code, 16), "code_light": (lambda rng, lv: code(rng, lv, dark=False), 24),
    "document": (document, 256), "table": (table, 32), "icons": (icons, 256),
    "pixel_map": (pixel_map, 16), "sk_text": (scikit_text, 256), "pie": (pie, 32),
}

_CARD = ("<div style='background:#fff;border:1px solid #e4e4e7;border-radius:10px;padding:18px'>"
         "<h3 style='margin:0 0 8px'>Plan {i}</h3><p style='color:#71717a'>Lorem ipsum dolor sit "
         "amet consectetur adipiscing elit sed do.</p><div style='font-size:28px;font-weight:700'>"
         "${price}</div><div style='background:#7c3aed;color:#fff;border-radius:6px;padding:8px "
         "14px;display:inline-block;margin-top:10px'>Choose</div></div>")
_LINE = ("<div><span style='color:#64748b'>{i:3d}</span>  <span style='color:#f472b6'>def"
         "</span> <span style='color:#38bdf8'>fn_{i}</span>(x, y): <span style='color:#a3e635'>"
         "return</span> x * {i} + y  <span style='color:#64748b'># note {i}</span></div>")
_NOTE = ("<li>Fixed the lorem ipsum dolor issue number {n} with "
         "<code style='background:#f3f4f6'>sit_amet()</code></li>")
#: The pages Chromium shoots: pricing cards, a code listing (dark), release notes.
PAGES = {
    "chromium_cards": "<body style='margin:0;font:15px sans-serif;background:#fafafa;"
    "color:#18181b'><div style='padding:14px 28px;background:#fff;"
    "border-bottom:1px solid #e4e4e7'><b "
    "style='color:#7c3aed;font-size:20px'>Acme</b></div><div style='display:grid;"
    "grid-template-columns:repeat(3,1fr);gap:20px;padding:28px'>"
    + "".join(_CARD.format(i=i, price=9 * i) for i in range(1, 7)) + "</div></body>",
    "chromium_code": "<body style='margin:0;font:14px monospace;background:#0f172a;"
    "color:#e2e8f0;padding:20px'>" + "".join(_LINE.format(i=i) for i in range(1, 34))
    + "</body>",
    "chromium_notes": "<body style='margin:0;font:15px serif;background:#fff;color:#111;"
    "padding:30px 60px'><h1>Release notes</h1>" + "".join(
        f"<h2 style='color:#1d4ed8'>Version 1.{i}</h2><ul>"
        + "".join(_NOTE.format(n=10 * i + j) for j in range(3)) + "</ul>" for i in range(5))
    + "</body>",
}


def make_set(folder: Path, chromium: str | None) -> list[Path]:
    """Write the set's images into ``folder`` as PNG; their paths."""
    paths = []
    for i, (name, (make, levels)) in enumerate(MAKERS.items()):
        make(random.Random(i), levels).save(folder / f"{name}.png")
        paths.append(folder / f"{name}.png")
    for name, html in PAGES.items() if chromium else ():
        page, out = folder / f"{name}.html", folder / f"{name}.png"
        page.write_text(html)
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--disable-lcd-text",
                        "--force-color-profile=srgb", f"--user-data-dir={folder / 'profile'}",
                        "--window-size=900,700", f"--screenshot={out}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
        with Image.open(out) as im:
            im.convert("RGB").save(out)
        paths.append(out)
    return paths


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------


def colours(rgb: np.ndarray) -> int:
    """Distinct colours of an ``(H, W, 3)`` uint8 image."""
    return len(Image.fromarray(rgb).getcolors(rgb.shape[0] * rgb.shape[1]))


def our_encode(path: Path) -> int:
    """Bytes of the palette PNG ``path`` (its palette and indices) encoded by quantize."""
    with Image.open(path) as im:
        indices = np.asarray(im)
        palette = np.asarray(im.getpalette()[:3 * (int(indices.max()) + 1)], np.uint8)
    return len(encode_indexed_png(indices, palette.reshape(-1, 3)))


def pillow_optimized(path: Path) -> int:
    out = io.BytesIO()
    with Image.open(path) as im:
        im.save(out, format="PNG", optimize=True)
    return len(out.getvalue())


def measure(src: Path, k: int, tmp: Path) -> dict[str, float]:
    """Bytes, PSNR and colours of each command's output of ``src`` at ``k``; the split."""
    original = decode(src, 3)
    commands = {
        "q": [*quantize_command(), "reduce", "-k", str(k), "-q", "--force"],
        "q_opt": [*quantize_command(), "reduce", "-k", str(k), "-q", "--force", "--optimize"],
        "pq": [PNGQUANT, "--nofs", "--force", str(k)],
        "pq_fs": [PNGQUANT, "--force", str(k)]}
    row: dict[str, float] = {"colours": colours(original)}
    for label, argv in commands.items():
        out = tmp / f"{label}.png"
        where = ["-o", str(out), str(src)] if label.startswith("q") else [
            "--output", str(out), str(src)]
        subprocess.run([*argv, *where], check=True, env=COMMAND_ENV, capture_output=True)
        reduced = decode(out, 3)
        row[label] = out.stat().st_size
        row[f"{label}_psnr"] = psnr_of(original, reduced)
        row[f"{label}_n"] = colours(reduced)
    row["pq_by_q"] = our_encode(tmp / "pq.png")
    row["q_by_pillow"] = pillow_optimized(tmp / "q.png")
    return row


COLUMNS = ("q", "q_opt", "pq", "pq_fs", "pq_by_q", "q_by_pillow")


def report(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    print(f"{'image':16} {'k':>3} {'cols':>4} {'q_n':>4} {'pq_n':>4} "
          + " ".join(f"{c:>11}" for c in COLUMNS) + "   q_dB  pq_dB")
    for name, k, row in rows:
        print(f"{name:16} {k:3} {row['colours']:4.0f} {row['q_n']:4.0f} {row['pq_n']:4.0f} "
              + " ".join(f"{row[c]:11,.0f}" for c in COLUMNS)
              + f" {min(row['q_psnr'], 99):6.1f} {min(row['pq_psnr'], 99):6.1f}")
    print("(dB 99: lossless. pq_by_q: pngquant --nofs's colours encoded by quantize; "
          "q_by_pillow: ours by Pillow optimize=True)")
    for k in sorted({k for _, k, _ in rows}, reverse=True):
        for group in ("flat", "chromium"):
            chosen = [row for name, kk, row in rows
                      if kk == k and name.startswith("chromium") == (group == "chromium")]
            if chosen:
                print(f"k={k} {group} ({len(chosen)}): median bytes " + ", ".join(
                    f"{a}/{b} {statistics.median(r[a] / r[b] for r in chosen):.3f}"
                    for a, b in (("q", "pq"), ("q_opt", "pq"), ("q", "pq_fs"),
                                 ("pq_by_q", "pq"), ("q", "pq_by_q"))))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="256,64,16", help="colour counts, comma-separated")
    parser.add_argument("--keep", type=Path, help="keep the images in this folder")
    parser.add_argument("--no-chromium", action="store_true", help="skip the screenshots")
    args = parser.parse_args(argv)
    chromium = None if args.no_chromium else find_chromium()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = args.keep or tmp / "set"
        folder.mkdir(parents=True, exist_ok=True)
        paths = make_set(folder, chromium)
        rows = [(path.stem, k, measure(path, k, tmp)) for path in paths
                for k in map(int, args.ks.split(","))]
    report(rows)


if __name__ == "__main__":
    main()
