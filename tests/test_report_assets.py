"""quantize.report.assets: the report's style sheet, sorting script and page skeleton."""

from __future__ import annotations

import string

from quantize.report.assets import SCRIPT, SHOWN_SIZE, STYLE, TEMPLATE

from .report_support import parse


def test_the_template_has_the_fields_the_page_fills():
    fields = {name for _, name, _, _ in string.Formatter().parse(TEMPLATE) if name}
    assert fields == {"title", "style", "made", "summary", "failures", "heads", "rows",
                      "script"}


def test_the_filled_template_is_one_page_with_the_results_table():
    page = TEMPLATE.format(title="T &amp; U", style=STYLE, made="", summary="<p>s</p>",
                           failures="",
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
    assert f"td.thumb img{{display:block;max-width:{SHOWN_SIZE}px;max-height:{SHOWN_SIZE}px" \
        in STYLE
