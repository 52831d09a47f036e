"""quantize.report.assets: the report's style sheet, sorting script and page skeleton."""

from __future__ import annotations

import re
import string

import pytest

from quantize.report.assets import SCRIPT, SHOWN_SIZE, STYLE, TEMPLATE

from .report_support import luminance, parse


def test_the_template_has_the_fields_the_page_fills():
    fields = {name for _, name, _, _ in string.Formatter().parse(TEMPLATE) if name}
    assert fields == {"title", "style", "made", "summary", "failures", "filter", "heads",
                      "rows", "script"}


def test_the_filled_template_is_one_page_with_the_results_table():
    page = TEMPLATE.format(title="T &amp; U", style=STYLE, made="", summary="<p>s</p>",
                           failures="", filter="",
                           heads="<th data-key='k'>k</th>", rows="<tr class='file'></tr>",
                           script=SCRIPT)
    root = parse(page)
    tables = list(root.iter("table"))
    assert len(tables) == 1 and tables[0].attrs["id"] == "results"
    assert [t.all_text() for t in root.iter("title")] == ["T & U"]
    assert len(list(root.iter("tbody"))) == 1 and len(list(root.iter("script"))) == 1


def test_the_script_sorts_the_table_the_template_holds():
    assert 'getElementById("results")' in SCRIPT and 'id="results"' in TEMPLATE
    assert 'querySelectorAll("tr.file")' in SCRIPT
    assert "th[data-key]" in SCRIPT and "th[data-key]" in STYLE


def test_nothing_is_loaded_from_elsewhere():
    for asset in (STYLE, SCRIPT, TEMPLATE):
        assert "http" not in asset and "@import" not in asset and "url(" not in asset
    assert "fetch(" not in SCRIPT and "XMLHttpRequest" not in SCRIPT


def _declarations(selector: str) -> list[tuple[str, str]]:
    """(property, value) of the style sheet's rule for ``selector`` (the light scheme's), in
    their order."""
    light = STYLE.split("@media (prefers-color-scheme:dark){")[0]
    (body,) = re.findall(r"(?:^|\})" + re.escape(selector) + r"\{([^}]*)\}", light, re.M)
    return [tuple(part.split(":", 1)) for part in body.replace("\n", "").split(";") if part]


def test_the_size_thumbnails_are_enlarged_to_is_the_style_sheets_limit():
    # at most that, and less in a window narrower than about 1150 px (keeping their shape)
    img = _declarations("td.thumb img")
    assert ("max-height", f"{SHOWN_SIZE}px") in img and ("height", "auto") in img
    assert all(value.endswith(f",{SHOWN_SIZE}px)") for name, value in img
               if name == "max-width")


def test_thumbnails_are_sized_from_the_table_box_not_from_the_window():
    # Sized from the window (50vw - 330px, at least 70 px), the thumbnails left the reduce
    # table 8 px to spare at 800 px with 15 px scroll bars, 4 px with 17 px ones (the window
    # counts the page's scroll bar and margins, not the box's bar), and none below 792 px,
    # where the table overflowed its box by 1 px and more.
    assert ("container-type", "inline-size") in _declarations(".scroll")
    widths = [value for name, value in _declarations("td.thumb img") if name == "max-width"]
    # the last one a browser knows wins: the box's width (cqi), or else the window's
    assert widths == ["clamp(60px,50vw - 340px,240px)", "clamp(60px,50cqi - 315px,240px)"]


@pytest.mark.parametrize(("scheme", "backgrounds"), [
    ("light", ["#fafafa", "#ffffff", "#fdecea", "#eeeeee"]),  # page, table, failed row, th
    ("dark", ["#181818", "#1f1f1f", "#3b1f1f", "#2b2b2b"]),
])
def test_every_text_colour_is_readable_on_every_row_background(scheme, backgrounds):
    """WCAG AA: text at least 4.5 times as bright as its background, or the reverse, on the
    page, a row and a failed row ("no before image" was #999 on pink: 2.5), in the light
    style and in the dark one."""
    import re

    light, dark = STYLE.split("@media (prefers-color-scheme:dark){")
    rules = light if scheme == "light" else dark
    texts = re.findall(r"(?<![-\w])color:(#[0-9a-f]{3,6})", rules)
    assert backgrounds[0] in rules and backgrounds[2] in rules and len(texts) >= 6
    for text in texts:
        text = text if len(text) == 7 else "#" + "".join(2 * c for c in text[1:])
        for background in backgrounds:
            bright, dark = sorted((luminance(text), luminance(background)), reverse=True)
            assert (bright + 0.05) / (dark + 0.05) >= 4.5, (text, background)


def test_a_phone_s_thumbnails_leave_the_box_the_name_column_s_least_width():
    # in a box at most 480 px wide the table scrolls sideways anyway: the thumbnails fill
    # the box beside the name column at its narrowest, each with its cell's padding
    (rule,) = re.findall(r"@container \(max-width:480px\)\{td\.thumb img\{([^}]*)\}\}", STYLE)
    assert rule == "max-width:min(50cqi - 64px,240px)"
    font = float(re.search(r"body\{font:(\d+)px", STYLE)[1])
    name = float(dict(_declarations("th.name"))["min-width"].removesuffix("em")) * font
    padding = 2 * float(dict(_declarations("th,td"))["padding"].split()[1].removesuffix("px"))
    assert (name + padding) / 2 + padding == 64
