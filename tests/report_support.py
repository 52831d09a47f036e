"""Helpers for the report tests: a small DOM of the written page, batch results to show, and
a headless browser to open the page in."""

from __future__ import annotations

import atexit
import base64
import fcntl
import io
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
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


_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--force-color-profile=srgb")


def chromium(tmp_path: Path, *args: str,
             scroll_bars: bool = False) -> subprocess.CompletedProcess[str]:
    """Headless Chromium run with ``args``; ``scroll_bars``: drawn (and taking room), as a
    desktop browser on Linux or Windows draws them, rather than hidden.

    The page is opened in the one browser of this test process (:class:`_Browser`), in a
    context of its own, as a browser started with these ``args`` would open it; ``args`` of
    other kinds than those it knows (a page's address, ``--dump-dom``, ``--screenshot=``,
    ``--print-to-pdf=``, ``--no-pdf-header-footer``, ``--window-size=``,
    ``--force-dark-mode``, ``--force-prefers-reduced-motion``) start a browser of their own.
    """
    page = _page_asked(args, scroll_bars)
    if page is None:
        flags = [*_FLAGS, *(() if scroll_bars else ("--hide-scrollbars",)),
                 f"--user-data-dir={tmp_path / 'profile'}"]
        return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True,
                              timeout=120, check=True)
    return subprocess.CompletedProcess([CHROMIUM, *args], 0, _Browser.shared().open(**page), "")


def _page_asked(args: tuple[str, ...], scroll_bars: bool) -> dict | None:
    """What ``args`` ask of one page, as :meth:`_Browser.open` takes it; None when they ask
    for more than it does."""
    page = {"url": None, "size": None, "dump_dom": False, "screenshot": None,
            "pdf": None, "media": [], "scroll_bars": scroll_bars}
    for arg in args:
        name, _, value = arg.partition("=")
        if not arg.startswith("--") and page["url"] is None:
            page["url"] = arg
        elif name == "--window-size":
            page["size"] = tuple(int(v) for v in value.split(","))
        elif arg == "--dump-dom":
            page["dump_dom"] = True
        elif name in ("--screenshot", "--print-to-pdf") and value:
            page["screenshot" if name == "--screenshot" else "pdf"] = Path(value)
        elif arg == "--force-dark-mode":
            page["media"].append({"name": "prefers-color-scheme", "value": "dark"})
        elif arg == "--force-prefers-reduced-motion":
            page["media"].append({"name": "prefers-reduced-motion", "value": "reduce"})
        elif arg != "--no-pdf-header-footer":
            return None
    return page if page["url"] is not None else None


def close_browser() -> None:
    """Close the browser the pages of this process were opened in, if one was started."""
    browser, _Browser._shared = _Browser._shared, None
    if browser is not None:
        browser.close()


def _above_4(fds: tuple[int, int]) -> tuple[int, int]:
    """The pipe ``fds`` moved to descriptors above 4, so that giving them to the browser
    as its 3 and 4 overwrites neither before it is given."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved


def _viewport(size: tuple[int, int] | None, screenshot: bool) -> tuple[int, int]:
    """The page's room in a headless window of ``size`` (``--window-size``; None: left out),
    as Chromium 156 started with it gives the page when its load handlers run: at least
    500 px wide, less the 143 px high frame of the window (780 x 437 when left out); a
    screenshot is of the whole ``size`` (800 x 600)."""
    if screenshot:
        return size or (800, 600)
    return (780, 437) if size is None else (max(size[0], 500), size[1] - 143)


#: The page's DOM once every image has loaded or failed and the tasks queued then have run
#: (an image's error handler; a zero timeout, as a followed link's own handler sets one),
#: as --dump-dom waits for them too: an image that is not found fails after the load event.
_SETTLED_DOM = """new Promise(function (done) {
  (function settle() {
    if (!Array.prototype.every.call(document.images, function (img) { return img.complete; }))
      return setTimeout(settle, 10);
    setTimeout(function () {
      setTimeout(function () { done(document.documentElement.outerHTML); }, 0);
    }, 0);
  })();
})"""


class _Browser:
    """One headless Chromium for the test process, driven through the DevTools protocol on
    a pair of pipes (``--remote-debugging-pipe``: JSON messages ended by a NUL byte), so
    that each page costs a page load, not a browser's start (about 1.2 s, three to five
    under load). Started at the first page; closed by :func:`close_browser` at the end of
    the session (or at the process's exit, or, its pipes closed, by itself)."""

    _shared: _Browser | None = None

    @classmethod
    def shared(cls) -> _Browser:
        if cls._shared is None:
            cls._shared = cls()
            atexit.register(close_browser)
        return cls._shared

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="quantize-chromium-")
        to_browser, self._commands = _above_4(os.pipe())
        self._replies, from_browser = _above_4(os.pipe())
        # the protocol's pipes are the browser's descriptors 3 (read) and 4 (written), given by
        # bash (dash takes no descriptor above 9)
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', CHROMIUM,
             *_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe"],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._next_id, self._buffer, self._events = 0, b"", []

    def open(self, url: str, size: tuple[int, int] | None, dump_dom: bool,
             screenshot: Path | None,
             pdf: Path | None, media: list[dict], scroll_bars: bool) -> str:
        """Load ``url`` in a fresh context (no storage, history or cache of another page) in a
        window of ``size`` (:func:`_viewport`), with ``media`` features emulated; write its
        ``screenshot`` or ``pdf`` and return its DOM (``dump_dom``) as ``--dump-dom`` prints
        it, or "" (as without)."""
        context = self.call("Target.createBrowserContext")["browserContextId"]
        try:
            target = self.call("Target.createTarget", url="about:blank",
                               browserContextId=context)["targetId"]
            session = self.call("Target.attachToTarget", targetId=target,
                                flatten=True)["sessionId"]
            self.call("Page.enable", session)
            width, height = _viewport(size, screenshot is not None)
            self.call("Emulation.setDeviceMetricsOverride", session, width=width,
                      height=height, deviceScaleFactor=1, mobile=False)
            self.call("Emulation.setScrollbarsHidden", session, hidden=not scroll_bars)
            if media:
                self.call("Emulation.setEmulatedMedia", session, features=media)
            self._events.clear()
            self.call("Page.navigate", session, url=url)
            self._wait_for("Page.loadEventFired", session)
            return self._read_page(session, dump_dom, screenshot, pdf)
        finally:
            self.call("Target.disposeBrowserContext", browserContextId=context)

    def _read_page(self, session: str, dump_dom: bool, screenshot: Path | None,
                   pdf: Path | None) -> str:
        if screenshot is not None:
            shot = self.call("Page.captureScreenshot", session, format="png")["data"]
            screenshot.write_bytes(base64.b64decode(shot))
        if pdf is not None:
            printed = self.call("Page.printToPDF", session, displayHeaderFooter=False)["data"]
            pdf.write_bytes(base64.b64decode(printed))
        if not dump_dom:
            return ""
        dom = self.call("Runtime.evaluate", session, awaitPromise=True, returnByValue=True,
                        expression=_SETTLED_DOM)
        return dom["result"]["value"] + "\n"

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command (to ``session``'s page, or to the browser) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self._events.append(reply)

    def _wait_for(self, event: str, session: str) -> None:
        while not any(e.get("method") == event and e.get("sessionId") == session
                      for e in self._events):
            self._events.append(self._receive())

    def _receive(self, timeout: float = 120.0) -> dict:
        while b"\0" not in self._buffer:
            if not select.select([self._replies], [], [], timeout)[0]:
                raise TimeoutError(f"Chromium said nothing for {timeout:.0f} s")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            self.process.kill()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._commands)
        os.close(self._replies)
        shutil.rmtree(self.profile, ignore_errors=True)


def with_script(page: Path, name: str, script: str) -> Path:
    """A copy of ``page``, named ``name`` beside it, that runs ``script`` at the end of its
    body: what a test makes the browser do (press a heading, follow a link, measure)."""
    copy = page.with_name(name)
    copy.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    return copy
