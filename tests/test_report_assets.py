"""quantize.report.assets: the report's style sheet, sorting script and page skeleton."""

from __future__ import annotations

import string

import pytest

from quantize.report.assets import SCRIPT, SHOWN_SIZE, STYLE, TEMPLATE

from .report_support import parse


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


def test_the_size_thumbnails_are_enlarged_to_is_the_style_sheets_limit():
    # at most that, and less in a window narrower than about 1140 px (keeping their shape)
    assert (f"td.thumb img{{display:block;max-width:clamp(70px,50vw - 330px,{SHOWN_SIZE}px);"
            f"max-height:{SHOWN_SIZE}px;\nheight:auto}}") in STYLE


def _luminance(hex_: str) -> float:
    channels = [int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


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
            bright, dark = sorted((_luminance(text), _luminance(background)), reverse=True)
            assert (bright + 0.05) / (dark + 0.05) >= 4.5, (text, background)
