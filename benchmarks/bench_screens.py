"""Benchmark ``quantize reduce`` against pngquant on screenshots of web pages, file to file.

Run on demand (``python benchmarks/bench_screens.py [--photos DIR] [--limit N] [--keep
DIR]``); pytest does not collect it. Screenshots are what users often give a colour
reducer besides photos and icons: large flat backgrounds (#fff, #fafafa, #f3f4f6, dark
themes), anti-aliased text, UI chrome, shadows, gradients and photos set in the page.
A few heavy colours beside thousands to hundreds of thousands of rare ones (text edges,
photos) are not what the photo (``bench_reduce.py``) and icon (``bench_icons.py``) sets
hold.

The screenshots are made here. :data:`PAGES` lists 20 pages, each a layout (product grid,
blog post, shop with a sidebar and round photo crops, photo gallery with captions,
dashboard of cards with shadows and gradients, form, striped data table, code listing,
landing page with a big gradient, feed of posts with avatars) in a theme (white, #fafafa,
#f3f4f6, #f6f8fa, sepia, dark #0f172a, #18181b and #0d1117); its first ten are the ten
layouts. :func:`page_html` writes each as HTML, its words, figures, photos and window
size (1000x700 to 1400x900) drawn from ``random.Random`` seeded by ``--seed`` and the
page's number, so the same seed and photos give the same pages. Headless Chromium
(``chromium`` or ``chromium-browser``) shoots each page, and the shot is saved as RGB PNG.
The photos in the pages are the JPEG / PNG files of ``--photos`` (default the BSDS500
*train* photos, ``../shared/bsds500/images/train`` from the repository; never give it the
test split), or, where that folder is missing or empty, five of scikit-image's bundled
photos written as PNG. ``--limit N`` takes the first N pages. The pages and screenshots
go to ``--keep DIR`` when given, to be looked at, else to a temporary folder.

Each screenshot is reduced at k = 16, 64 and 256 (``--ks``) by four commands, each a
fresh process, file to file: ``quantize reduce -k K`` against ``pngquant --nofs K``, and
``quantize reduce -k K --dither`` against ``pngquant K`` (its default, which dithers);
seconds are the median of ``--repeats`` runs. Scores are on RGB (screenshots are opaque):
PSNR, blurred PSNR (both images blurred by a Gaussian of sigma 1 px first, as
``bench_reduce.py`` scores: what issue 10 judges dithering by) and bytes. Per k and
comparison, over the set: the median and worst PSNR difference (ours minus pngquant's)
and on how many screenshots ours is behind, the median byte ratio and on how many ours
is larger, the median ratio of wall seconds, and for the dithered comparison the same of
blurred PSNR; ``--worst N`` lists the N worst screenshots of each comparison and the N
largest by bytes. A line gives the range of distinct colours, against the count above
which ``quantize`` fits a cell summary rather than every colour. The last lines hold the
set to ``bench_reduce.py``'s quality and byte targets for photos, as context (they are
not issue 10's targets): MET or MISSED with the figure. Every ratio is against pngquant
measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reduce import (  # noqa: E402
    blurred_psnr,
    decode,
    psnr_of,
    quantize_command,
    run_median,
    run_once,
    single_argv,
)

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "bsds500" / "images" / "train"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
#: scikit-image's bundled photos, written as PNG where ``--photos`` holds none.
BUNDLED_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle")
WIDTHS, HEIGHTS = range(1000, 1401, 20), range(700, 901, 20)
BYTES_TARGET = 1.0  # bench_reduce.py's, for photos: median bytes ratio, both comparisons
CHROMIUM_NEEDED = ("bench_screens.py needs Chromium to take its screenshots: install it "
                   "(apt-get install chromium) or put chromium or chromium-browser on the PATH")

#: The two comparisons: label -> (our command, pngquant's), as bench_reduce.py names them.
COMPARISONS = {
    "undithered": ("quantize", "pngquant --nofs"),
    "dithered": ("quantize --dither", "pngquant (dither)"),
}

# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A page's colours, as CSS values."""

    bg: str
    surface: str
    text: str
    muted: str
    accent: str
    accent2: str
    border: str
    stripe: str


THEMES = {
    "white": Theme("#ffffff", "#ffffff", "#111827", "#6b7280", "#2563eb", "#9333ea",
                   "#e5e7eb", "#f9fafb"),
    "fafafa": Theme("#fafafa", "#ffffff", "#18181b", "#71717a", "#7c3aed", "#db2777",
                    "#e4e4e7", "#f4f4f5"),
    "f3f4f6": Theme("#f3f4f6", "#ffffff", "#1f2937", "#6b7280", "#059669", "#0ea5e9",
                    "#d1d5db", "#f9fafb"),
    "f6f8fa": Theme("#f6f8fa", "#ffffff", "#1f2328", "#59636e", "#0969da", "#8250df",
                    "#d1d9e0", "#f6f8fa"),
    "sepia": Theme("#f4ecd8", "#fbf6ea", "#433422", "#7a6a53", "#b45309", "#dc2626",
                   "#e3d5b8", "#efe4cc"),
    "slate": Theme("#0f172a", "#1e293b", "#e2e8f0", "#94a3b8", "#38bdf8", "#a855f7",
                   "#334155", "#162033"),
    "zinc": Theme("#18181b", "#27272a", "#f4f4f5", "#a1a1aa", "#f97316", "#eab308",
                  "#3f3f46", "#1f1f23"),
    "github-dark": Theme("#0d1117", "#161b22", "#e6edf3", "#8b949e", "#2f81f7", "#3fb950",
                         "#30363d", "#11161d"),
}

#: (layout, theme) of each page, in order; the first ten are the ten layouts.
PAGES = (
    ("product-grid", "white"), ("blog", "fafafa"), ("shop", "f3f4f6"),
    ("gallery", "github-dark"), ("dashboard", "f3f4f6"), ("form", "f6f8fa"),
    ("table", "white"), ("code", "f6f8fa"), ("landing", "slate"), ("feed", "fafafa"),
    ("product-grid", "zinc"), ("blog", "sepia"), ("shop", "white"), ("gallery", "white"),
    ("dashboard", "slate"), ("form", "zinc"), ("table", "github-dark"),
    ("code", "github-dark"), ("landing", "white"), ("feed", "sepia"),
)

WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in "
    "reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est "
    "laborum porta felis morbi vitae tellus nunc arcu vel risus"
).split()

BASE_CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
       font: 15px/1.5 sans-serif; }
header { display: flex; align-items: center; gap: 24px; padding: 14px 32px;
         background: var(--surface); border-bottom: 1px solid var(--border); }
header .logo { font-weight: 700; font-size: 20px; color: var(--accent); }
header a { color: var(--muted); text-decoration: none; }
main { padding: 24px 32px; }
h1 { font-size: 28px; margin: 0 0 12px; } h2 { font-size: 20px; margin: 0 0 8px; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: 10px;
        box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 6px 16px rgba(0,0,0,.06); padding: 16px; }
.btn { display: inline-block; background: var(--accent); color: #fff; padding: 8px 16px;
       border-radius: 6px; font-weight: 600; border: 0; }
.btn.ghost { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
.muted { color: var(--muted); font-size: 13px; }
.grid { display: grid; gap: 20px; }
img { display: block; object-fit: cover; }
"""
#: The code listing's token colours on a light and on a dark background.
LIGHT_TOKENS = ("#cf222e", "#8250df", "#0a3069", "#6e7781", "#953800", "#116329")
DARK_TOKENS = ("#ff7b72", "#d2a8ff", "#a5d6ff", "#8b949e", "#ffa657", "#7ee787")


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def title(rng: random.Random, n: int) -> str:
    return words(rng, n).capitalize()


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(title(rng, rng.randint(6, 16)) + "." for _ in range(sentences))


def header(rng: random.Random) -> str:
    links = "".join(f"<a>{title(rng, 1)}</a>" for _ in range(rng.randint(4, 6)))
    return (f"<header><span class=logo>{title(rng, 1)}</span>{links}"
            f"<span style='flex:1'></span><span class=btn>{title(rng, 2)}</span></header>")


def photo(uri: str, width: str, height: str, style: str = "") -> str:
    return f"<img src='{uri}' style='width:{width};height:{height};{style}'>"


def product_grid(rng: random.Random, photos: list[str]) -> str:
    cards = "".join(
        f"<div class=card>{photo(rng.choice(photos), '100%', '150px', 'border-radius:6px')}"
        f"<h2 style='margin-top:10px'>{title(rng, 3)}</h2><p class=muted>{words(rng, 9)}</p>"
        f"<b>${rng.randint(5, 400)}.{rng.randint(0, 99):02d}</b> "
        f"<span class=btn style='float:right'>{title(rng, 1)}</span></div>"
        for _ in range(8))
    return (f"{header(rng)}<main><h1>{title(rng, 3)}</h1>"
            f"<div class=grid style='grid-template-columns:repeat(4,1fr)'>{cards}</div></main>")


def blog(rng: random.Random, photos: list[str]) -> str:
    body = []
    for _ in range(3):
        body.append(f"<p>{paragraph(rng, rng.randint(3, 6))}</p>")
        body.append(f"<figure style='margin:16px 0'>{photo(rng.choice(photos), '100%', '300px')}"
                    f"<figcaption class=muted>{title(rng, 8)}</figcaption></figure>")
    return (f"{header(rng)}<main style='max-width:760px;margin:0 auto'>"
            f"<h1 style='font-family:serif;font-size:36px'>{title(rng, 7)}</h1>"
            f"<p class=muted>{title(rng, 2)} &middot; {rng.randint(2, 28)} {title(rng, 1)} "
            f"&middot; {rng.randint(3, 15)} min</p>{''.join(body)}</main>")


def shop(rng: random.Random, photos: list[str]) -> str:
    filters = "".join(
        f"<label style='display:block;margin:6px 0'><input type=checkbox"
        f"{' checked' if rng.random() < 0.4 else ''}> {title(rng, 2)}</label>"
        for _ in range(10))
    items = "".join(
        f"<div style='text-align:center'>"
        f"{photo(rng.choice(photos), '140px', '140px', 'border-radius:50%;margin:0 auto')}"
        f"<p style='margin:8px 0 0'>{title(rng, 2)}</p>"
        f"<p class=muted>${rng.randint(9, 99)}</p></div>" for _ in range(12))
    return (f"{header(rng)}<div style='display:flex'>"
            f"<aside style='width:240px;padding:24px;background:var(--surface);"
            f"border-right:1px solid var(--border);min-height:1200px'>"
            f"<h2>{title(rng, 1)}</h2>{filters}</aside><main style='flex:1'>"
            f"<h1>{title(rng, 2)}</h1><div class=grid style='grid-template-columns:"
            f"repeat(4,1fr)'>{items}</div></main></div>")


def gallery(rng: random.Random, photos: list[str]) -> str:
    tiles = "".join(
        f"<div style='position:relative'>{photo(rng.choice(photos), '100%', '220px')}"
        f"<div style='position:absolute;left:0;right:0;bottom:0;padding:8px 12px;"
        f"color:#fff;background:linear-gradient(transparent,rgba(0,0,0,.7))'>"
        f"{title(rng, 3)}</div></div>" for _ in range(9))
    return (f"{header(rng)}<main><h1>{title(rng, 2)}</h1><p class=muted>{words(rng, 14)}</p>"
            f"<div class=grid style='grid-template-columns:repeat(3,1fr);gap:12px'>{tiles}"
            f"</div></main>")


def dashboard(rng: random.Random, photos: list[str]) -> str:
    stats = "".join(
        f"<div class=card><p class=muted>{title(rng, 2)}</p>"
        f"<p style='font-size:28px;font-weight:700;margin:0'>{rng.randint(100, 99999):,}</p>"
        f"<p style='color:{'#16a34a' if rng.random() < 0.6 else '#dc2626'};margin:0'>"
        f"{rng.uniform(-20, 30):+.1f}%</p></div>" for _ in range(4))
    bars = "".join(
        f"<div style='flex:1;align-self:flex-end;height:{rng.randint(15, 100)}%;"
        f"background:linear-gradient(var(--accent),var(--accent2));border-radius:4px 4px 0 0'>"
        f"</div>" for _ in range(14))
    rows = "".join(
        f"<div style='display:flex;align-items:center;gap:10px;margin:10px 0'>"
        f"{photo(rng.choice(photos), '36px', '36px', 'border-radius:50%')}"
        f"<span style='flex:1'>{title(rng, 2)}</span><div style='width:120px;height:8px;"
        f"background:var(--border);border-radius:4px'><div style='width:"
        f"{rng.randint(5, 100)}%;height:8px;background:var(--accent);border-radius:4px'>"
        f"</div></div></div>" for _ in range(6))
    hero = (f"<div class=card style='background:linear-gradient(135deg,var(--accent),"
            f"var(--accent2));color:#fff;border:0'><h2>{title(rng, 3)}</h2>"
            f"<p>{paragraph(rng, 1)}</p></div>")
    return (f"{header(rng)}<main><div class=grid style='grid-template-columns:repeat(4,1fr)'>"
            f"{stats}</div><div class=grid style='grid-template-columns:2fr 1fr;"
            f"margin-top:20px'><div class=card><h2>{title(rng, 2)}</h2><div style='display:"
            f"flex;gap:8px;height:220px'>{bars}</div></div><div class=card>{rows}</div></div>"
            f"<div style='margin-top:20px'>{hero}</div></main>")


def form(rng: random.Random, photos: list[str]) -> str:
    field = ("<label style='display:block;margin:14px 0 4px;font-weight:600'>{}</label>"
             "<input value='{}' style='width:100%;padding:9px 12px;border:1px solid "
             "var(--border);border-radius:6px;background:var(--bg);color:var(--text)'>")
    fields = "".join(field.format(title(rng, 2), words(rng, rng.randint(0, 3)))
                     for _ in range(5))
    radios = "".join(f"<label style='margin-right:16px'><input type=radio name=r"
                     f"{' checked' if i == 0 else ''}> {title(rng, 1)}</label>"
                     for i in range(3))
    return (f"{header(rng)}<main style='max-width:640px;margin:0 auto'><div class=card>"
            f"<h1>{title(rng, 3)}</h1><p class=muted>{paragraph(rng, 1)}</p>"
            f"<div style='padding:10px 14px;border-left:4px solid var(--accent);"
            f"background:var(--stripe);margin:12px 0'>{paragraph(rng, 1)}</div>{fields}"
            f"<p style='margin:14px 0'>{radios}</p><textarea rows=4 style='width:100%;"
            f"border:1px solid var(--border);border-radius:6px;background:var(--bg);"
            f"color:var(--text)'>{paragraph(rng, 2)}</textarea><p><label><input type=checkbox "
            f"checked> {words(rng, 6)}</label></p><span class=btn>{title(rng, 1)}</span> "
            f"<span class='btn ghost'>{title(rng, 1)}</span></div></main>")


def table(rng: random.Random, photos: list[str]) -> str:
    badges = ("#16a34a", "#d97706", "#dc2626", "#2563eb")
    head = "".join(f"<th style='text-align:left;padding:10px'>{title(rng, 1)}</th>"
                   for _ in range(6))
    rows = "".join(
        f"<tr style='background:{'var(--stripe)' if i % 2 else 'var(--surface)'}'>"
        f"<td style='padding:8px 10px'>#{rng.randint(1000, 9999)}</td>"
        f"<td>{title(rng, 2)}</td><td>{words(rng, 3)}</td>"
        f"<td>{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(10, 26)}</td>"
        f"<td style='text-align:right'>{rng.uniform(1, 9999):,.2f}</td>"
        f"<td><span style='background:{rng.choice(badges)};color:#fff;border-radius:9px;"
        f"padding:2px 8px;font-size:12px'>{words(rng, 1)}</span></td></tr>"
        for i in range(24))
    return (f"{header(rng)}<main><h1>{title(rng, 2)}</h1><table class=card style='width:100%;"
            f"border-collapse:collapse;padding:0'><tr style='border-bottom:2px solid "
            f"var(--border)'>{head}</tr>{rows}</table></main>")


def code(rng: random.Random, photos: list[str]) -> str:
    lines = []
    for n in range(1, 41):
        indent = "&nbsp;" * 4 * rng.randint(0, 3)
        spans = "".join(f"<span class=t{rng.randrange(len(LIGHT_TOKENS))}>{words(rng, 1)}</span>"
                        f"{rng.choice(('(', ' ', '.', ' = ', ', ', ': '))}"
                        for _ in range(rng.randint(1, 6)))
        lines.append(f"<div><span class=muted style='display:inline-block;width:40px;"
                     f"text-align:right;margin-right:16px'>{n}</span>{indent}{spans}</div>")
    tree = "".join(f"<div style='padding:3px 0'>{'&nbsp;' * 3 * rng.randint(0, 2)}"
                   f"{words(rng, 1)}.{rng.choice(('py', 'js', 'md', 'toml'))}</div>"
                   for _ in range(22))
    return (f"{header(rng)}<div style='display:flex'><aside style='width:230px;padding:16px;"
            f"border-right:1px solid var(--border);font-size:13px'>{tree}</aside>"
            f"<main style='flex:1'><h2>{words(rng, 1)}/{words(rng, 1)}.py</h2>"
            f"<pre class=card style='font:13px/1.6 monospace;background:var(--stripe);"
            f"margin:0'>{''.join(lines)}</pre></main></div>")


def landing(rng: random.Random, photos: list[str]) -> str:
    features = "".join(
        f"<div class=card><div style='width:44px;height:44px;border-radius:12px;"
        f"background:linear-gradient(135deg,var(--accent),var(--accent2))'></div>"
        f"<h2 style='margin-top:12px'>{title(rng, 2)}</h2><p class=muted>{paragraph(rng, 2)}"
        f"</p></div>" for _ in range(3))
    angle = rng.randrange(100, 170, 5)
    return (f"{header(rng)}<section style='padding:80px 32px;text-align:center;color:#fff;"
            f"background:linear-gradient({angle}deg,var(--accent),var(--accent2) 60%,"
            f"#f59e0b)'><h1 style='font-size:52px'>{title(rng, 5)}</h1>"
            f"<p style='font-size:19px;max-width:640px;margin:0 auto 24px'>"
            f"{paragraph(rng, 2)}</p><span class=btn style='background:#fff;color:#111'>"
            f"{title(rng, 2)}</span> <span class='btn ghost' style='color:#fff;"
            f"border-color:#fff'>{title(rng, 2)}</span></section><main><div class=grid "
            f"style='grid-template-columns:repeat(3,1fr)'>{features}</div><div class=grid "
            f"style='grid-template-columns:1fr 1fr;margin-top:32px;align-items:center'>"
            f"{photo(rng.choice(photos), '100%', '280px', 'border-radius:12px')}"
            f"<div><h2>{title(rng, 4)}</h2><p>{paragraph(rng, 4)}</p></div></div></main>")


def feed(rng: random.Random, photos: list[str]) -> str:
    posts = []
    for _ in range(5):
        picture = (photo(rng.choice(photos), '100%', '240px', 'border-radius:8px;margin-top:8px')
                   if rng.random() < 0.5 else "")
        posts.append(
            f"<div class=card style='margin-bottom:16px'><div style='display:flex;gap:10px;"
            f"align-items:center'>{photo(rng.choice(photos), '44px', '44px', 'border-radius:50%')}"
            f"<div><b>{title(rng, 2)}</b><div class=muted>{rng.randint(1, 59)} min</div></div>"
            f"</div><p>{paragraph(rng, rng.randint(1, 3))}</p>{picture}<p class=muted>"
            f"&#9829; {rng.randint(0, 999)} &nbsp; &#128172; {rng.randint(0, 99)}</p></div>")
    return (f"{header(rng)}<main style='max-width:620px;margin:0 auto'>{''.join(posts)}"
            f"</main>")


LAYOUTS: dict[str, Callable[[random.Random, list[str]], str]] = {
    "product-grid": product_grid, "blog": blog, "shop": shop, "gallery": gallery,
    "dashboard": dashboard, "form": form, "table": table, "code": code, "landing": landing,
    "feed": feed,
}


@dataclass(frozen=True)
class Page:
    """One page to shoot: its name, HTML and window size ``(width, height)``."""

    name: str
    html: str
    size: tuple[int, int]


def page_html(layout: str, theme: str, rng: random.Random, photos: list[str]) -> str:
    """A whole HTML page of ``layout`` in ``theme``, its content drawn from ``rng``."""
    t = THEMES[theme]
    colours = "".join(f"--{name}:{value};" for name, value in vars(t).items())
    tokens = DARK_TOKENS if int(t.bg[1:3], 16) < 128 else LIGHT_TOKENS
    classes = "".join(f".t{i}{{color:{colour}}}" for i, colour in enumerate(tokens))
    return (f"<!DOCTYPE html><html><head><meta charset=utf-8><style>:root{{{colours}}}"
            f"{BASE_CSS}{classes}</style></head><body>{LAYOUTS[layout](rng, photos)}"
            f"</body></html>")


def make_pages(seed: int, photos: list[str], limit: int = len(PAGES)) -> list[Page]:
    """The first ``limit`` of :data:`PAGES`, page ``i`` drawn from ``Random(seed * 1000 + i)``,
    its photos from the URIs ``photos``."""
    pages = []
    for i, (layout, theme) in enumerate(PAGES[:limit]):
        rng = random.Random(seed * 1000 + i)
        size = (rng.choice(WIDTHS), rng.choice(HEIGHTS))
        pages.append(Page(f"{i:02d}-{layout}-{theme}", page_html(layout, theme, rng, photos),
                          size))
    return pages


def photo_files(folder: Path, work: Path) -> list[Path]:
    """The JPEG / PNG files of ``folder`` in sorted order, or, where it has none,
    :data:`BUNDLED_PHOTOS` written as PNG into ``work``."""
    if folder.is_dir():
        found = sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        if found:
            return found
    from skimage import data

    files = []
    for name in BUNDLED_PHOTOS:
        image = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
        files.append(work / f"{name}.png")
        Image.fromarray(image).save(files[-1])
    return files


# --------------------------------------------------------------------------
# Screenshots
# --------------------------------------------------------------------------


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def shoot(chromium: str, html: Path, out: Path, size: tuple[int, int], profile: Path
          ) -> str | None:
    """Screenshot ``html`` into ``out`` as RGB PNG; None, or why it failed."""
    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
            f"--user-data-dir={profile}", f"--screenshot={out}",
            f"--window-size={size[0]},{size[1]}", html.as_uri()]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "chromium took over 120 s"
    if done.returncode != 0 or not out.is_file():
        last = (done.stderr.strip().splitlines() or [""])[-1]
        return f"chromium failed (exit {done.returncode}): {last[:160]}"
    with Image.open(out) as im:
        rgb = im.convert("RGB")
    rgb.save(out)
    return None


def screenshots(pages: list[Page], chromium: str, folder: Path, profile: Path
                ) -> dict[str, np.ndarray]:
    """Write each page into ``folder/pages`` and its screenshot to ``folder/NAME.png``,
    Chromium's profile into ``profile``."""
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    shots = {}
    for page in pages:
        html = folder / "pages" / f"{page.name}.html"
        html.write_text(page.html, encoding="utf-8")
        out = folder / f"{page.name}.png"
        out.unlink(missing_ok=True)
        problem = shoot(chromium, html, out, page.size, profile)
        if problem:
            print(f"  {page.name}: {problem}")
            continue
        with Image.open(out) as im:
            shots[page.name] = np.asarray(im)
    return shots


def distinct_colours(image: np.ndarray) -> int:
    rgb = image.reshape(-1, 3).astype(np.uint32)
    return int(np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).size)


# --------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One command on one screenshot: median seconds, bytes written, PSNR and blurred PSNR."""

    seconds: float
    bytes: int
    psnr: float
    bpsnr: float


#: (screenshot, our result, pngquant's) of one comparison at one k.
Pair = tuple[str, Result, Result]


def run_command(label: str, src: Path, image: np.ndarray, k: int, repeats: int, out: Path
                ) -> Result | str:
    """``label`` (a command of bench_reduce.py) on ``src``: its result, or why it failed."""
    out.unlink(missing_ok=True)
    run = run_median(single_argv(label, src, out, k), repeats)
    if run.problem:
        return run.problem
    reduced = decode(out, 3).astype(np.float32)
    original = image.astype(np.float32)
    return Result(run.seconds, out.stat().st_size, psnr_of(original, reduced),
                  blurred_psnr(original, reduced))


def measure(shots: dict[str, np.ndarray], folder: Path, k: int, repeats: int, work: Path
            ) -> dict[str, list[Pair]]:
    """Each comparison at one k: a pair per screenshot on which both commands ran."""
    pairs: dict[str, list[Pair]] = {name: [] for name in COMPARISONS}
    for name, image in shots.items():
        src = folder / f"{name}.png"
        for comparison, labels in COMPARISONS.items():
            results = [run_command(label, src, image, k, repeats,
                                   work / f"{name}.k{k}.{label.split()[0]}.{comparison}.png")
                       for label in labels]
            for label, result in zip(labels, results, strict=True):
                if isinstance(result, str):
                    print(f"  {name} k={k}: {label} {result}")
            if not any(isinstance(result, str) for result in results):
                pairs[comparison].append((name, *results))
    return pairs


def comparison_lines(k: int, comparison: str, pairs: list[Pair], worst: int) -> list[str]:
    """The summary of one comparison at one k, and its ``worst`` worst screenshots."""
    ours, theirs = COMPARISONS[comparison]
    if not pairs:
        return [f"  k={k:<3} {comparison} ({ours} vs {theirs}): no screenshot compared"]
    psnr = [a.psnr - b.psnr for _, a, b in pairs]
    bpsnr = [a.bpsnr - b.bpsnr for _, a, b in pairs]
    sizes = [a.bytes / b.bytes for _, a, b in pairs]
    times = [a.seconds / b.seconds for _, a, b in pairs]
    blurred = (f"; blurred PSNR median {statistics.median(bpsnr):+.2f} dB, worst "
               f"{min(bpsnr):+.2f} (behind on {sum(g < 0 for g in bpsnr)})"
               if comparison == "dithered" else "")
    lines = [f"  k={k:<3} {comparison} ({ours} vs {theirs}), {len(pairs)} screenshots: "
             f"PSNR median {statistics.median(psnr):+.2f} dB, worst {min(psnr):+.2f} "
             f"(behind on {sum(g < 0 for g in psnr)}){blurred}; bytes median "
             f"{statistics.median(sizes):.3f}x (larger on {sum(r > 1 for r in sizes)}); "
             f"time median {statistics.median(times):.2f}x"]
    measure_name = "blurred PSNR" if comparison == "dithered" else "PSNR"
    names = [name for name, _, _ in pairs]
    gaps = dict(zip(names, bpsnr if comparison == "dithered" else psnr, strict=True))
    ratios = dict(zip(names, sizes, strict=True))
    if worst:
        lines.append(f"    worst {measure_name} (dB): " + ", ".join(
            f"{name} {gaps[name]:+.2f} (bytes {ratios[name]:.3f}x)"
            for name in sorted(gaps, key=gaps.get)[:worst]))
        lines.append("    largest bytes: " + ", ".join(
            f"{name} {ratios[name]:.3f}x ({measure_name} {gaps[name]:+.2f})"
            for name in sorted(ratios, key=lambda name: -ratios[name])[:worst]))
    return lines


def verdict_lines(pairs: dict[str, list[Pair]], expected: int) -> list[str]:
    """bench_reduce.py's quality and byte targets for photos, on the screenshots at every k."""
    def verdict(ok: bool, compared: list[Pair]) -> str:
        missing = f" ({len(compared)} of {expected} compared)" if len(compared) < expected else ""
        return f"{missing}  {'MET' if ok and len(compared) == expected else 'MISSED'}"

    nofs, dith = pairs["undithered"], pairs["dithered"]
    worst = min((a.psnr - b.psnr for _, a, b in nofs), default=float("nan"))
    bytes_nofs = _median([a.bytes / b.bytes for _, a, b in nofs])
    bgap = _median([a.bpsnr - b.bpsnr for _, a, b in dith])
    bytes_dith = _median([a.bytes / b.bytes for _, a, b in dith])
    return [
        f"undithered: PSNR >= pngquant --nofs on every screenshot and k (worst {worst:+.2f} "
        f"dB){verdict(worst >= 0, nofs)}",
        f"undithered: bytes median <= {BYTES_TARGET:g}x pngquant --nofs ({bytes_nofs:.3f}x)"
        f"{verdict(bytes_nofs <= BYTES_TARGET, nofs)}",
        f"dithered: blurred PSNR median >= pngquant default ({bgap:+.2f} dB)"
        f"{verdict(bgap >= 0, dith)}",
        f"dithered: bytes median <= {BYTES_TARGET:g}x pngquant default ({bytes_dith:.3f}x)"
        f"{verdict(bytes_dith <= BYTES_TARGET, dith)}",
    ]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``low``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= {low}")
        return value
    return parse


def colour_count(text: str) -> int:
    """An argparse type: a k both tools take, 2 to 256."""
    if not text.isdigit() or not 2 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer from 2 to 256")
    return int(text)


def colour_line(shots: dict[str, np.ndarray]) -> str:
    from quantize.reduce.fit import DIRECT_FIT_MAX

    counts = sorted(distinct_colours(image) for image in shots.values())
    above = sum(c > DIRECT_FIT_MAX for c in counts)
    return (f"Distinct colours: {counts[0]:,} to {counts[-1]:,} (median "
            f"{statistics.median(counts):,.0f}); {above} of {len(counts)} screenshots have more "
            f"than {DIRECT_FIT_MAX:,}, where quantize fits a cell summary")


def shoot_and_compare(args: argparse.Namespace, chromium: str, folder: Path, work: Path
                      ) -> None:
    """Shoot the pages into ``folder``, reduce them into ``work``, print every line."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = photo_files(args.photos, folder)
    pages = make_pages(args.seed, [p.resolve().as_uri() for p in photos], args.limit)
    source = args.photos if photos[0].parent == args.photos else "scikit-image's bundled photos"
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout
    print(f"{len(pages)} pages (seed {args.seed}) with {len(photos)} photos from {source}, "
          f"shot by {version.strip() or chromium} into {folder}")
    shots = screenshots(pages, chromium, folder, work / "chromium-profile")
    if not shots:
        raise SystemExit("no page could be shot (see the lines above)")
    sizes = sorted(image.shape[1::-1] for image in shots.values())
    print(f"{len(shots)} screenshots, {sizes[0][0]}x{sizes[0][1]} to "
          f"{sizes[-1][0]}x{sizes[-1][1]}; seconds the median of {args.repeats} run(s) each")
    print(colour_line(shots))
    run_once([*quantize_command(), "--version"])  # writes the bytecode cache before timing
    every: dict[str, list[Pair]] = {name: [] for name in COMPARISONS}
    for k in args.ks:
        pairs = measure(shots, folder, k, args.repeats, work)
        for comparison, at_k in pairs.items():
            print("\n".join(comparison_lines(k, comparison, at_k, args.worst)))
            every[comparison] += at_k
    print(f"\nContext, not issue 10's targets: bench_reduce.py's targets for photos, on "
          f"these screenshots at k = {', '.join(map(str, args.ks))}")
    for line in verdict_lines(every, len(shots) * len(args.ks)):
        print("  " + line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS, metavar="DIR",
                        help="JPEG / PNG photos to set in the pages (BSDS500 train)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the pages and screenshots here rather than to a "
                             "temporary folder")
    parser.add_argument("--limit", type=at_least(1), default=len(PAGES), metavar="N",
                        help=f"the first N of the {len(PAGES)} pages")
    parser.add_argument("--ks", type=colour_count, nargs="+", default=[16, 64, 256])
    parser.add_argument("--repeats", type=at_least(1), default=3)
    parser.add_argument("--worst", type=at_least(0), default=3, metavar="N",
                        help="list the N worst screenshots of each comparison")
    parser.add_argument("--seed", type=at_least(0), default=0,
                        help="draws the pages' words, photos and sizes")
    args = parser.parse_args(argv)
    if args.keep is not None and args.keep.exists() and not args.keep.is_dir():
        parser.error(f"--keep {args.keep}: expected a folder, found a file")
    chromium = find_chromium()
    if chromium is None:
        print(CHROMIUM_NEEDED, file=sys.stderr)
        raise SystemExit(2)
    with tempfile.TemporaryDirectory(prefix="bench_screens_") as tmp:
        work = Path(tmp)
        shoot_and_compare(args, chromium, args.keep or work / "shots", work)


if __name__ == "__main__":
    main()
