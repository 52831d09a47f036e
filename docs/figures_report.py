"""Screenshot the batch report of `make demo` for the README, with headless Chromium.

Usage: python docs/figures_report.py [REPORT] [OUT]
(defaults: out/index.html, written by `make demo`, and docs/report.png)

Chromium renders the page 1320 px wide and 1130 px tall (the four
sample rows), cropped below the last row and stored as an optimised PNG.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1320, 1130
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-color-profile=srgb"]


def screenshot(page: Path, out: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("figures_report: chromium not found on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        shot = Path(profile) / "shot.png"
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}",
                        f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}",
                        page.resolve().as_uri()], check=True, capture_output=True)
        image = Image.open(shot).convert("RGB")
    crop_background(image).save(out, optimize=True)


def crop_background(image: Image.Image, margin: int = 16) -> Image.Image:
    """Cut the empty page below the last row (the colour of the bottom-left pixel)."""
    pixels = np.asarray(image).astype(int)
    used = np.nonzero((np.abs(pixels - pixels[-1, 0]).sum(axis=2) > 0).any(axis=1))[0]
    bottom = min(image.height, int(used[-1]) + 1 + margin) if len(used) else image.height
    return image.crop((0, 0, image.width, bottom))


if __name__ == "__main__":
    args = sys.argv[1:]
    page = Path(args[0]) if args else ROOT / "out" / "index.html"
    out = Path(args[1]) if len(args) > 1 else ROOT / "docs" / "report.png"
    screenshot(page, out)
    print(f"wrote {out}")
