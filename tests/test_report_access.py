"""quantize.report: the HTML batch report printed, and read with a keyboard, a screen reader
or forced colours."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from quantize.batch import FileResult
from quantize.report import write_html_report
from quantize.report.assets import SCRIPT, STYLE

from .animation_support import moving_square, save_animation
from .report_support import (
    chromium,
    file_rows,
    luminance,
    needs_chromium,
    parse,
    summary_of,
    with_script,
)


def _skipped(tmp_path: Path, n: int) -> Path:
    """A page of ``n`` rows (files skipped unread: no thumbnails, no failures listed)."""
    results = [FileResult(tmp_path / f"f{i:03}.png", None, "skipped", "output exists")
               for i in range(n)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    return tmp_path / "r.html"


def _media(name: str) -> str:
    """The rules of the style sheet's ``@media name`` block."""
    match = re.search(r"@media " + re.escape(name) + r"\{\n(.*?)\n\}", STYLE, re.S)
    assert match, name
    return match.group(1)


def test_printed_the_table_is_not_cut_to_a_window_and_the_bars_keep_their_colours():
    printed = _media("print")
    assert ".scroll{overflow:visible;max-height:none}" in printed
    assert "th{position:static}" in printed
    assert ".filter,button.play{display:none}" in printed
    assert (".bar,.swatch{print-color-adjust:exact;-webkit-print-color-adjust:exact}"
            in printed)


@needs_chromium
def test_chromium_prints_every_row(tmp_path):
    # 80 rows printed about 10, on one page: the table's box kept a window's height
    pdf = tmp_path / "r.pdf"
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
             _skipped(tmp_path, 80).as_uri())
    (pages,) = re.findall(rb"/Count ([0-9]+)", pdf.read_bytes())
    assert int(pages) >= 3  # 80 rows of about 30 px: more than two pages


def test_the_table_box_keeps_what_is_scrolled_to_below_its_sticky_headings():
    assert re.search(r"\.scroll\{[^}]*scroll-padding-top:5em[^}]*\}", STYLE)


@needs_chromium
def test_chromium_keeps_a_link_reached_backwards_below_the_sticky_headings(tmp_path):
    # Shift+Tab up through the rows from the end left the focused link under the headings:
    # the box scrolled it to its very top, as scrollIntoView "nearest" (how focus scrolls)
    # does here
    moved = with_script(_skipped(tmp_path, 40), "moved.html", (
        'var box = document.querySelector(".scroll");'
        'box.scrollTop = box.scrollHeight; window.scrollTo(0, document.body.scrollHeight);'
        'var links = document.querySelectorAll("tr.file a");'
        'for (var i = links.length - 1; i >= 20; i--) {'
        ' links[i].focus({preventScroll: true}); links[i].scrollIntoView({block: "nearest"}); }'
        'var link = document.activeElement.getBoundingClientRect();'
        'var head = document.querySelector("thead th").getBoundingClientRect();'
        'document.body.setAttribute("data-seen", [link.top, head.bottom]);'))
    dom = parse(chromium(tmp_path, "--window-size=1000,400", "--dump-dom", moved.as_uri()).stdout)
    link_top, head_bottom = map(float, next(dom.iter("body")).attrs["data-seen"].split(","))
    assert link_top >= head_bottom


def _batch_of_two(tmp_path: Path, mode: str) -> Path:
    """A page of two rows, one failed, in ``mode``."""
    results = [FileResult(tmp_path / "a.png", tmp_path / "o" / "a.png", "ok", "",
                          {"k": 4, "psnr": 30.0}),
               FileResult(tmp_path / "b.png", None, "failed", "broken")]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode=mode)
    return tmp_path / "r.html"


@pytest.mark.parametrize("mode", ["reduce", "segment"])
def test_each_row_is_headed_by_its_file_name(tmp_path, mode):
    rows = file_rows(parse(_batch_of_two(tmp_path, mode).read_text(encoding="utf-8")))
    heads = [row.children[0] for row in rows]
    assert [(th.tag, th.attrs["scope"], th.attrs["class"]) for th in heads] == [
        ("th", "row", "name")] * 2
    assert [th.children[0].all_text() for th in heads] == ["a.png", "b.png"]
    assert all(cell.tag == "td" for row in rows for cell in row.children[1:])


@needs_chromium
def test_chromium_draws_a_rows_header_as_the_cell_it_was(tmp_path):
    # not bold, not smaller, not sticky nor grey as the column headings are
    measured = with_script(_batch_of_two(tmp_path, "reduce"), "measured.html", (
        'var s = getComputedStyle(document.querySelector("tr.file th"));'
        'document.body.setAttribute("data-seen", [s.fontWeight, s.fontSize, s.position,'
        ' s.backgroundColor, s.textAlign].join(";"));'))
    dom = parse(chromium(tmp_path, "--dump-dom", measured.as_uri()).stdout)
    assert next(dom.iter("body")).attrs["data-seen"] == (
        "400;14px;static;rgba(0, 0, 0, 0);left")


def _sorts(root) -> dict[str, str]:
    """Each sortable heading's ``aria-sort``, by its key."""
    return {th.attrs["data-key"]: th.attrs.get("aria-sort")
            for th in next(root.iter("thead")).iter("th") if "data-key" in th.attrs}


@pytest.mark.parametrize("mode", ["reduce", "segment"])
def test_the_page_says_its_rows_start_sorted_by_file(tmp_path, mode):
    sorts = _sorts(parse(_batch_of_two(tmp_path, mode).read_text(encoding="utf-8")))
    assert sorts.pop("name") == "ascending"
    assert set(sorts.values()) == {"none"}


@needs_chromium
def test_chromium_reverses_the_starting_sort_at_the_first_press_of_file(tmp_path):
    # the first Enter on File seemed to do nothing: it sorted ascending, as the rows were
    pressed = with_script(_batch_of_two(tmp_path, "reduce"), "pressed.html",
                          'document.querySelector("th[data-key=name] button").click();')
    dom = parse(chromium(tmp_path, "--dump-dom", pressed.as_uri()).stdout)
    assert [row.attrs["id"] for row in file_rows(dom)] == ["file-1", "file-0"]
    assert _sorts(dom)["name"] == "descending"


def test_without_the_script_the_sort_headings_are_text(tmp_path):
    # they were buttons (underlined, a pointer, a "sort" tooltip, a Tab stop each) that did
    # nothing without JavaScript; a button is styled, never the heading itself
    head = next(parse(_batch_of_two(tmp_path, "reduce").read_text(encoding="utf-8")).iter(
        "thead"))
    assert list(head.iter("button")) == []
    assert [th.parts[0] for th in head.iter("th") if "data-key" in th.attrs] == [
        "File", "k", "PSNR (dB)", "ΔE2000", "Bytes in → out", "Out / in", "Seconds"]
    assert not re.search(r"th\[data-key\]\{", STYLE)
    assert all(rule.startswith("th[data-key] button")
               for rule in re.findall(r"th\[data-key\][^{]*(?=\{[^}]*(?:cursor|underline))",
                                      STYLE))


@needs_chromium
def test_chromium_makes_each_sort_heading_a_button(tmp_path):
    dom = parse(chromium(tmp_path, "--dump-dom",
                         _batch_of_two(tmp_path, "reduce").as_uri()).stdout)
    heads = [th for th in next(dom.iter("thead")).iter("th") if "data-key" in th.attrs]
    assert len(heads) == 7
    for th in heads:  # a button: in the Tab order, pressed by Enter and Space
        button = th.children[0]
        assert [child.tag for child in th.children] == ["button", "span"]  # then its arrow
        assert (button.tag, button.attrs["type"], button.attrs["title"]) == (
            "button", "button", "sort")
        assert th.all_text() == button.all_text() + th.children[1].all_text()
        assert button.all_text() and "▲" not in button.all_text()


def test_the_page_is_a_main_landmark_and_the_table_box_is_named_by_its_caption(tmp_path):
    root = parse(_batch_of_two(tmp_path, "reduce").read_text(encoding="utf-8"))
    (main,) = root.iter("main")
    assert [h1.all_text() for h1 in main.iter("h1")] == [
        f"quantize batch report (reduce): {tmp_path.name}"]
    (box,) = [div for div in main.iter("div") if div.attrs.get("role") == "region"]
    (caption,) = box.iter("caption")
    assert caption.parent.tag == "table" and caption.parent.children[0] is caption
    assert box.attrs["aria-labelledby"] == caption.attrs["id"] == "results-caption"
    assert "aria-label" not in box.attrs
    assert caption.all_text() == "Results, one row per file"


@needs_chromium
def test_chromium_draws_no_caption(tmp_path):
    # named for a screen reader only: the headings stay at the box's top
    measured = with_script(_batch_of_two(tmp_path, "reduce"), "measured.html", (
        'var c = document.querySelector("caption").getBoundingClientRect();'
        'var box = document.querySelector(".scroll").getBoundingClientRect();'
        'var th = document.querySelector("thead th").getBoundingClientRect();'
        'document.body.setAttribute("data-seen", [c.width, c.height, th.top - box.top]);'))
    dom = parse(chromium(tmp_path, "--dump-dom", measured.as_uri()).stdout)
    assert next(dom.iter("body")).attrs["data-seen"] == "1,1,0"


def test_the_palette_bars_keep_their_colours_in_forced_colours():
    # Windows' high contrast drew them as empty boxes
    light = STYLE.split("@media")[0]
    assert ".bar,.swatch{forced-color-adjust:none}" in light


@needs_chromium
@pytest.mark.parametrize(("opened", "kept"), [
    ("#sort=-psnr&show=failed", "#sort=-psnr&show=failed"),
    ("#sort=-psnr&show=ok", "#sort=-psnr"),  # the filter hid the row: every row shown
])
def test_chromium_keeps_the_sort_and_filter_in_the_address_after_a_failure_link(
        tmp_path, opened, kept):
    # the address became "#file-1": a reload or a copied link lost the sort and the filter
    followed = with_script(_batch_of_two(tmp_path, "reduce"), "followed.html", (
        'window.addEventListener("load", function () {'
        'document.querySelector(".failures a").click();'
        'setTimeout(function () {'
        'var row = document.getElementById("file-1");'
        'document.body.setAttribute("data-seen", [location.hash, row.hidden]);'
        '}, 0); });'))  # after the page's own, set as the link was followed
    dom = parse(chromium(tmp_path, "--dump-dom", followed.as_uri() + opened).stdout)
    assert next(dom.iter("body")).attrs["data-seen"] == f"{kept},false"


def _arrows(root) -> dict[str, tuple[str, str]]:
    """Each sortable heading's arrow, and whether it is hidden from a screen reader."""
    return {th.attrs["data-key"]: (arrow.all_text(), arrow.attrs.get("aria-hidden"))
            for th in next(root.iter("thead")).iter("th") if "data-key" in th.attrs
            for arrow in th.iter("span") if "arrow" in arrow.classes()}


def test_the_sort_arrow_is_no_part_of_the_headings_name(tmp_path):
    # drawn by ::after, it was read with the heading: "PSNR (dB) black down-pointing triangle"
    arrows = _arrows(parse(_batch_of_two(tmp_path, "reduce").read_text(encoding="utf-8")))
    assert arrows.pop("name") == (" ▲", "true")
    assert set(arrows.values()) == {("", "true")} and len(arrows) == 6
    assert "::after" not in STYLE


@needs_chromium
def test_chromium_moves_the_arrow_to_the_heading_sorted_by(tmp_path):
    report = _batch_of_two(tmp_path, "reduce")
    dom = parse(chromium(tmp_path, "--dump-dom", report.as_uri() + "#sort=-psnr").stdout)
    arrows = _arrows(dom)
    assert (arrows.pop("psnr"), arrows.pop("name")) == ((" ▼", "true"), ("", "true"))
    assert set(arrows.values()) == {("", "true")}
    # outside the button the script makes of the heading's text, which is its name
    (button,) = [th for th in dom.iter("th") if th.attrs.get("data-key") == "psnr"][0].children[:1]
    assert button.tag == "button" and button.all_text() == "PSNR (dB)"


def test_a_palette_is_said_by_its_count_and_most_used_colour_not_every_hex_code(tmp_path):
    shares = np.linspace(16, 1, 16) / np.linspace(16, 1, 16).sum()
    palette = [{"hex": f"#{17 * i:02x}8aae", "share": float(s)} for i, s in enumerate(shares)]
    results = [FileResult(tmp_path / "a.png", tmp_path / "o.png", "ok", "",
                          {"k": 16, "psnr": 30.0, "palette": palette})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    (bar,) = [div for div in parse((tmp_path / "r.html").read_text()).iter("div")
              if "bar" in div.classes()]
    assert bar.attrs["aria-label"] == "palette of 16 colours, most used #008aae, 11.8%"
    titles = [s.attrs["title"] for s in bar.iter("span")]  # each swatch still says its own
    assert len(titles) == 16 and titles[-1] == "#ff8aae, 0.7%"


def test_an_animations_play_button_names_its_file(tmp_path):
    frames = moving_square(3)
    save_animation(tmp_path / "a.gif", frames, duration=100, loop=0)
    results = [FileResult(tmp_path / "a.gif", None, "skipped", "output exists",
                          {"frames": 3})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    (button,) = parse((tmp_path / "r.html").read_text()).iter("button")
    assert (button.all_text(), button.attrs["aria-label"]) == ("play", "play a.gif")
    assert '"aria-label", button.textContent + " " + file' in SCRIPT


@needs_chromium
def test_chromium_names_the_file_in_the_play_buttons_label_as_it_plays_and_pauses(tmp_path):
    save_animation(tmp_path / "a.gif", moving_square(3), duration=100, loop=0)
    results = [FileResult(tmp_path / "a.gif", None, "skipped", "output exists",
                          {"frames": 3})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    labels = []
    for presses in (0, 1):
        pressed = with_script(tmp_path / "r.html", f"p{presses}.html",
                              'document.querySelector("button.play").click();' * presses)
        (button,) = [b for b in parse(chromium(tmp_path, "--dump-dom", pressed.as_uri())
                                      .stdout).iter("button") if "play" in b.classes()]
        labels.append((button.all_text(), button.attrs["aria-label"]))
    assert labels == [("pause", "pause a.gif"), ("play", "play a.gif")]


def _contrast(one: str, other: str) -> float:
    bright, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (bright + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(("scheme", "page", "button"), [
    ("light", "#fafafa", "#fff"), ("dark", "#181818", "#2b2b2b")])
def test_the_filter_buttons_borders_stand_out_from_the_page_and_the_button(scheme, page,
                                                                           button):
    # #999 on #fafafa was 2.73:1; WCAG 1.4.11 asks 3:1 of a control's boundary
    light, dark = STYLE.split("@media (prefers-color-scheme:dark){")
    rules = light if scheme == "light" else dark.split("\n}\n")[0]
    (rule,) = re.findall(r"\.filter button\{([^}]*)\}", rules)
    (border,) = re.findall(r"border(?:-color)?:(?:1px solid )?(#[0-9a-f]{6})", rule)
    assert f"background:{page}" in rules and f"background:{button}" in rule
    button = "#" + button[1:] * (6 // len(button[1:]))  # "#fff" is "#ffffff"
    assert min(_contrast(border, page), _contrast(border, button)) >= 3


def test_a_pressed_filter_button_is_filled_and_bold_not_ringed_like_the_focus():
    # its 2 px #1a5fb4 border looked like the focus ring (2 px #1a5fb4 outline)
    light = STYLE.split("@media (prefers-color-scheme:dark){")[0]
    (pressed,) = re.findall(r"\.filter button\[aria-pressed=true\]\{([^}]*)\}", light)
    declared = dict(part.split(":", 1) for part in pressed.split(";"))
    assert declared == {"background": "#dbe7f7", "border-color": "#1a5fb4",
                        "font-weight": "bold"}
    assert ".filter button:focus-visible{outline:2px solid #1a5fb4;" in light
