"""Helpers for the report tests: a small DOM of the written page, batch results to show, and
a headless browser to open the page in."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize.batch import BatchSummary, FileResult

BROKEN_REASON = "not an image Pillow can identify"


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.parts: list[Element | str] = []  # text and children, in document order

    def iter(self, tag: str | None = None):
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all_text(self) -> str:
        return "".join(p if isinstance(p, str) else p.all_text() for p in self.parts)


class TreeBuilder(HTMLParser):
    """A small DOM from the stdlib parser: enough to query tags, attributes and text."""

    VOID = {"meta", "img", "br", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        self.current.parts.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.parts.append(data)


def parse(text: str) -> Element:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def file_rows(root: Element) -> list[Element]:
    return [tr for tr in root.iter("tr") if "file" in tr.classes()]


def summary_of(results: list[FileResult]) -> BatchSummary:
    summary = BatchSummary(len(results), seconds=1.5)
    for result in results:
        summary.add(result)
    return summary


def quadrants(h: int = 24, w: int = 32) -> np.ndarray:
    """Four flat quadrants (red, green, blue, white) plus a little seeded noise."""
    image = np.zeros((h, w, 3), np.uint8)
    image[: h // 2, : w // 2] = (200, 30, 30)
    image[: h // 2, w // 2:] = (30, 180, 40)
    image[h // 2:, : w // 2] = (20, 40, 190)
    image[h // 2:, w // 2:] = (240, 240, 240)
    noise = np.random.default_rng(7).integers(-6, 7, image.shape)
    return np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)


def decode_data_uri(uri: str) -> Image.Image:
    header, data = uri.split(",", 1)
    assert header.startswith("data:image/") and header.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(data)))


def luminance(hex_: str) -> float:
    """The relative luminance of ``#rrggbb``, as WCAG's contrast ratios take it."""
    channels = [int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def swatch_widths(row: Element) -> list[float]:
    styles = [s.attrs["style"] for s in row.iter("span") if "swatch" in s.classes()]
    return [float(re.search(r"width:([0-9.]+)%", style).group(1)) for style in styles]


CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found on PATH (chromium, chromium-browser "
    "or google-chrome); install it with: apt-get install chromium")


def chromium(tmp_path: Path, *args: str,
             scroll_bars: bool = False) -> subprocess.CompletedProcess[str]:
    """Headless Chromium run with ``args``; ``scroll_bars``: drawn (and taking room), as a
    desktop browser on Linux or Windows draws them, rather than hidden."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             *(() if scroll_bars else ("--hide-scrollbars",)), "--force-color-profile=srgb",
             f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True,
                          timeout=120, check=True)


def with_script(page: Path, name: str, script: str) -> Path:
    """A copy of ``page``, named ``name`` beside it, that runs ``script`` at the end of its
    body: what a test makes the browser do (press a heading, follow a link, measure)."""
    copy = page.with_name(name)
    copy.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    return copy
