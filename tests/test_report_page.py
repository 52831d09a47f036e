"""quantize.report.page: the HTML batch report's content, escaping, swatches, and a browser."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize.animation import FirstFrameWarning
from quantize.batch import FileResult
from quantize.errors import OutputError
from quantize.reduce import reduce_file
from quantize.report import check_html_path, read_palette_shares, write_html_report
from quantize.segment import segment_file

from .animation_support import moving_square, save_animation
from .report_support import (
    BROKEN_REASON,
    chromium,
    decode_data_uri,
    file_rows,
    needs_chromium,
    parse,
    quadrants,
    summary_of,
    swatch_widths,
    with_script,
)

# --------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------


def _summary_line(root) -> str:
    """The text of a parsed page's one summary paragraph."""
    (line,) = [p.all_text() for p in root.iter("p") if "summary" in p.classes()]
    return line


def _written_summary_line(tmp_path, results, summary) -> str:
    """The summary paragraph of the segment-mode page of ``results`` written in ``tmp_path``."""
    write_html_report(tmp_path / "r.html", results, summary, mode="segment")
    return _summary_line(parse((tmp_path / "r.html").read_text()))


def test_every_file_has_a_row_and_the_failure_its_reason(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    root = parse(report.read_text(encoding="utf-8"))
    rows = file_rows(root)
    assert len(rows) == 4
    names = {row.attrs["id"]: row.children[0].all_text() for row in rows}
    for i, result in enumerate(results):
        assert names[f"file-{i}"].startswith(result.input.name)
    failed = [row for row in rows if "failed" in row.classes()]
    assert len(failed) == 1 and "broken.png" in failed[0].all_text()
    assert BROKEN_REASON in failed[0].all_text()
    listed = [li.all_text() for li in root.iter("li")]
    assert listed == [f"broken.png: {BROKEN_REASON}"]


def test_metrics_are_the_records(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    row = file_rows(parse(report.read_text(encoding="utf-8")))[0]
    record = results[0].record
    cells = [td.all_text().strip() for td in row.iter("td")]
    assert f"{record['psnr']:.2f}" in cells
    assert f"{record['delta_e']:.2f}" in cells
    assert f"{record['bytes_in']:,} → {record['bytes_out']:,}" in cells
    assert str(record["k"]) in cells
    assert float(row.attrs["data-psnr"]) == pytest.approx(record["psnr"])
    assert float(row.attrs["data-bytes_out"]) == record["bytes_out"]


def test_summary_line_counts(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    text = parse(report.read_text(encoding="utf-8")).all_text()
    assert "4 files\xa0· 3 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 1.5 s" in text


def test_summary_line_says_one_file_in_the_singular(tmp_path):
    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    line = _written_summary_line(tmp_path, results, summary_of(results))
    assert line == "segment: 1 file\xa0· 0 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 1.5 s"


def test_summary_line_counts_folders_not_searched_apart_from_the_files(tmp_path):
    # a segment's output folder beside its photo, skipped unsearched, was one of "2 files"
    from quantize.batch.results import NOT_SEARCHED

    why = "a folder of quantize segment's outputs (...), not searched"
    results = [FileResult(tmp_path / "a.segments", None, "skipped", why, {NOT_SEARCHED: True}),
               FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    summary = summary_of(results)
    summary.total = 1
    line = _written_summary_line(tmp_path, results, summary)
    assert line == ("segment: 1 file\xa0· 0 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 1 folder "
                    "skipped\xa0· 1.5 s")


def test_summary_line_counts_the_outputs_left_in_place_as_the_terminal(tmp_path):
    # the terminal's line counted the outputs whose input is gone; the page said nothing
    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      unclaimed=3, unfinished=1)
    line = _summary_line(parse((tmp_path / "r.html").read_text()))
    assert line == ("segment: 1 file\xa0· 0 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 2 outputs of "
                    "files not among the inputs and 1 unfinished output of a stopped run left "
                    "in place\xa0· 1.5 s")
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      unclaimed=1)
    line = _summary_line(parse((tmp_path / "r.html").read_text()))
    assert "\xa0· 1 output of files not among the inputs left in place\xa0· 1.5 s" in line


def test_summary_line_counts_the_files_and_folders_the_search_left_out_as_the_terminal(
        tmp_path):
    # the terminal's line and the JSON report counted the files left out for their
    # extension and the folders not entered; the page said nothing of them
    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      passed_over=[tmp_path / "notes.md", Path("x.PY"), "y.py"], not_entered=2)
    line = _summary_line(parse((tmp_path / "r.html").read_text()))
    assert line == ("segment: 1 file\xa0· 0 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 3 files left "
                    "out (.md, .py: not images quantize reads), 2 folders not entered (use "
                    "-r)\xa0· 1.5 s")
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      passed_over=["notes"])
    line = _summary_line(parse((tmp_path / "r.html").read_text()))
    assert line.endswith("\xa0· 1 failed\xa0· 1 file left out (no extension: not images "
                         "quantize reads)\xa0· 1.5 s")
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      not_entered=1)
    line = _summary_line(parse((tmp_path / "r.html").read_text()))
    assert line.endswith("\xa0· 1 failed\xa0· 1 folder not entered (use -r)\xa0· 1.5 s")


def test_a_page_of_a_search_that_left_nothing_out_says_nothing_of_it(tmp_path):
    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      passed_over=[], not_entered=0)
    text = (tmp_path / "r.html").read_text()
    assert "left out" not in text and "not entered" not in text
    assert _summary_line(parse(text)) == ("segment: 1 file\xa0· 0 ok\xa0· 0 skipped\xa0· "
                                          "1 failed\xa0· 1.5 s")


@pytest.mark.parametrize(("not_entered", "error", "match"), [
    (-1, ValueError, "not_entered=-1 should be >= 0"),
    (1.0, TypeError, "not_entered=1.0 should be an integer, got float"),
])
def test_a_wrong_count_of_folders_not_entered_is_refused(tmp_path, not_entered, error, match):
    with pytest.raises(error, match=f"^{re.escape(match)}$"):
        write_html_report(tmp_path / "r.html", [], summary_of([]), mode="reduce",
                          not_entered=not_entered)
    assert list(tmp_path.iterdir()) == []


def _removed_items(root) -> list[str]:
    """The items of a parsed page's list of the outputs the run removed (none: no list)."""
    sections = [s for s in root.iter("section") if "removed" in s.classes()]
    assert len(sections) <= 1
    return [li.all_text() for s in sections for li in s.iter("li")]


def test_the_outputs_removed_are_counted_and_listed_from_the_pages_folder(tmp_path):
    # --remove-orphans printed what it removed; the page neither counted nor listed it
    from quantize.batch import RemovedOutput

    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    out = tmp_path / "out"
    removed = [RemovedOutput(out / "z.png"), RemovedOutput(out / "b", unfinished=True),
               RemovedOutput(out / "c", folder_left=True)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      unclaimed=1, removed=removed)
    root = parse((tmp_path / "r.html").read_text())
    assert _summary_line(root) == (
        "segment: 1 file\xa0· 0 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 2 outputs of files not "
        "among the inputs and 1 unfinished output of a stopped run removed\xa0· 1 output of "
        "files not among the inputs left in place\xa0· 1.5 s")
    assert _removed_items(root) == [  # by path, from the page's folder
        "out/b, unfinished, of a stopped run",
        "the outputs in out/c, of a file not among the inputs; the folder is left, as it "
        "holds other files",
        "out/z.png, of a file not among the inputs"]


def test_a_page_with_no_output_removed_has_no_list_of_them(tmp_path):
    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    root = parse((tmp_path / "r.html").read_text())
    assert _removed_items(root) == [] and "removed" not in _summary_line(root)


def test_an_output_removed_given_as_a_path_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"^removed\[0\]='out/x.png' should be a RemovedOutput, "
                                        r"got str$"):
        write_html_report(tmp_path / "r.html", [], summary_of([]), mode="reduce",
                          removed=["out/x.png"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("unclaimed", "unfinished", "error", "match"), [
    (-1, 0, ValueError, "unclaimed=-1 should be >= 0"),
    (1, 2, ValueError, "unfinished=2 should be <= 1"),
    (1, -1, ValueError, "unfinished=-1 should be >= 0"),
    (1.0, 0, TypeError, "unclaimed=1.0 should be an integer, got float"),
])
def test_wrong_counts_of_outputs_left_in_place_are_refused(tmp_path, unclaimed, unfinished,
                                                           error, match):
    with pytest.raises(error, match=f"^{re.escape(match)}$"):
        write_html_report(tmp_path / "r.html", [], summary_of([]), mode="reduce",
                          unclaimed=unclaimed, unfinished=unfinished)
    assert list(tmp_path.iterdir()) == []


def test_summary_line_counts_larger_stale_and_not_done_files_as_the_terminal(tmp_path):
    from quantize.batch.results import LARGER, STALE

    why = "result (326 bytes) is larger than the input (308 bytes); nothing written"
    results = [FileResult.larger(tmp_path / "a.png", None, {LARGER: why}),
               FileResult.larger(tmp_path / "b.png", tmp_path / "out" / "b.png",
                                 {LARGER: why, STALE: True}),
               FileResult(tmp_path / "c.png", None, "skipped", "output exists"),
               FileResult(tmp_path / "d.png", None, "failed", BROKEN_REASON)]
    summary = summary_of(results)
    summary.total, summary.interrupted = 7, True  # three files were not reached
    line = _written_summary_line(tmp_path, results, summary)
    assert line == ("segment: 7 files\xa0· 0 ok\xa0· 3 skipped (2 larger than the input, 1 of "
                    "them with a stale output kept)\xa0· 1 failed\xa0· 1.5 s\xa0· interrupted "
                    "before the end: 3 not reached, in no row (rerun the command to finish)")


def test_summary_line_counts_the_files_redone_by_why(tmp_path):
    # An output a stopped run left unrecorded, made again, was counted as "redone: input or
    # output changed", as an input changed since was.
    from quantize.batch import INPUT_CHANGED, OUTPUT_UNFINISHED, OUTPUT_UNRECORDED

    results = [FileResult(tmp_path / f"{i}.png", None, "ok", reason)
               for i, reason in enumerate((INPUT_CHANGED, OUTPUT_UNRECORDED, OUTPUT_UNFINISHED))]
    line = _written_summary_line(tmp_path, results, summary_of(results))
    assert line == ("segment: 3 files\xa0· 3 ok (3 redone: 1 input or output changed, 2 left "
                    "unrecorded by a stopped run)\xa0· 0 skipped\xa0· 0 failed\xa0· 1.5 s")
    line = _written_summary_line(tmp_path, results[1:], summary_of(results[1:]))
    assert line == ("segment: 2 files\xa0· 2 ok (2 redone: left unrecorded by a stopped run)"
                    "\xa0· 0 skipped\xa0· 0 failed\xa0· 1.5 s")


@pytest.mark.parametrize("by, said", [(None, "interrupted"),
                                      ("SIGTERM", "interrupted by SIGTERM")])
def test_the_summary_line_says_what_interrupted_the_run_when_told(tmp_path, by, said):
    # After SIGTERM the page said "interrupted" as after Ctrl-C, not by what.
    results = [FileResult(tmp_path / "a.png", None, "failed", BROKEN_REASON)]
    summary = summary_of(results)
    summary.total, summary.interrupted, summary.interrupted_by = 3, True, by
    line = _written_summary_line(tmp_path, results, summary)
    assert line == ("segment: 3 files\xa0· 0 ok\xa0· 0 skipped\xa0· 1 failed\xa0· 1.5 s\xa0· "
                    f"{said} before the end: 2 not reached, in no row (rerun the command to "
                    "finish)")


def test_files_an_interrupted_run_did_not_reach_have_rows_saying_so(tmp_path):
    # after Ctrl-C the summary counted them, "3 not done, in no row": the page did not show
    # which files they were
    (tmp_path / "in").mkdir()
    Image.fromarray(quadrants()).save(tmp_path / "in" / "b 10.png")
    results = [FileResult(tmp_path / "in" / "b 2.png", None, "failed", BROKEN_REASON)]
    summary = summary_of(results)
    summary.total, summary.interrupted = 4, True
    not_reached = [tmp_path / "in" / name for name in ("c.png", "b 10.png", "a.png")]
    write_html_report(tmp_path / "r.html", results, summary, mode="reduce",
                      not_reached=not_reached)
    root = parse((tmp_path / "r.html").read_text())
    rows = file_rows(root)
    assert [(row.attrs["id"], row.attrs["class"], row.children[0].all_text()) for row in rows] == [
        ("file-3", "file not-reached", "a.pngnot reached"),
        ("file-0", "file failed", "b 2.pngfailed"),
        ("file-2", "file not-reached", "b 10.pngnot reached"),
        ("file-1", "file not-reached", "c.pngnot reached")]
    # sorted by name with the others, last by every metric (they have none)
    assert [row.attrs.get("data-name") for row in rows] == ["0", "1", "2", "3"]
    assert all(set(row.attrs) == {"id", "class", "data-name"} for row in rows)
    spans = [row.children[-1] for row in rows if "not-reached" in row.classes()]
    assert {(td.attrs["colspan"], td.all_text()) for td in spans} == {
        ("7", "not reached: the run stopped before this file (rerun the command to finish)")}
    # the input is shown, there is no output yet; no failure is listed for them
    assert [len(list(row.iter("img"))) for row in rows] == [0, 0, 1, 0]
    assert [li.all_text() for li in root.iter("li")] == [f"b 2.png: {BROKEN_REASON}"]
    line = _summary_line(root)
    assert line.endswith("interrupted before the end: 3 not reached (rerun the command to "
                         "finish)")


def test_a_file_finished_unrecorded_as_an_error_stopped_the_run_has_a_row_of_its_own(
        tmp_path):
    """An output another worker finished as the record could not be written was left in
    place, but its file's row said "not reached": no output, and counted with the files
    the run never started."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    for name in ("b.png", "c.png"):
        Image.fromarray(quadrants()).save(tmp_path / "in" / name)
    Image.fromarray(quadrants()).save(tmp_path / "out" / "b.png")
    results = [FileResult(tmp_path / "in" / "a.png", None, "failed", BROKEN_REASON)]
    summary = summary_of(results)
    summary.total = 3
    write_html_report(tmp_path / "r.html", results, summary, mode="reduce",
                      not_reached=[tmp_path / "in" / "c.png"],
                      unrecorded=[(tmp_path / "in" / "b.png", tmp_path / "out" / "b.png")])
    root = parse((tmp_path / "r.html").read_text())
    rows = file_rows(root)
    assert [(row.attrs["id"], row.attrs["class"], row.children[0].all_text()) for row in rows] == [
        ("file-0", "file failed", "a.pngfailed"),
        ("file-2", "file finished-unrecorded", "b.png→ b.pngfinished unrecorded"),
        ("file-1", "file not-reached", "c.pngnot reached")]
    row = rows[1]
    assert [a.attrs["href"] for a in row.iter("a")] == ["in/b.png", "out/b.png"]
    assert len(list(row.iter("img"))) == 2  # its input and its output, which is there
    assert (row.children[-1].attrs["colspan"], row.children[-1].all_text()) == (
        "7", "finished unrecorded: its output was finished as the run stopped, and is left "
        "in place, unrecorded (the next run makes it again)")
    assert set(row.attrs) == {"id", "class", "data-name"}  # no metric to sort by
    assert _summary_line(root).endswith(
        "stopped before the end: 1 not reached, 1 finished unrecorded (rerun the command to "
        "finish)")
    (group,) = [div for div in root.iter("div") if "filter" in div.classes()]
    assert [(b.all_text(), b.attrs["data-show"]) for b in group.iter("button")] == [
        ("all (3)", ""), ("failed (1)", "failed"), ("not reached (1)", "not-reached"),
        ("finished unrecorded (1)", "finished-unrecorded")]


@pytest.mark.parametrize("mode, span", [("reduce", "7"), ("segment", "4")])
def test_a_file_skipped_unread_says_why_across_the_metric_columns(tmp_path, mode, span):
    # the reason of a link to a folder stood in bold in the narrow name column, a dozen
    # lines high, beside a row of dashes
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "link").symlink_to(tmp_path / "in" / "sub")
    why = "symbolic link to a folder ('in/sub'), not followed; the files in it were not processed"
    results = [FileResult(tmp_path / "in" / "link", None, "skipped", why),
               FileResult(tmp_path / "in" / "done.png", None, "skipped", "output exists",
                          {"k": 8, "n_regions": 3})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode=mode)
    done, link = file_rows(parse((tmp_path / "r.html").read_text()))
    assert link.children[0].all_text() == "linkskipped"
    assert (link.children[-1].attrs["colspan"], link.children[-1].all_text()) == (
        span, f"skipped: {why}")
    # one with metrics, made by an earlier run, keeps its reason by its name and its cells
    assert done.children[0].all_text() == "done.pngskipped: output exists"
    assert len(done.children) == 3 + int(span)


def test_the_title_names_the_input_folder(batch, tmp_path):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    html = report.read_text(encoding="utf-8")
    assert "<title>quantize batch report (reduce): in</title>" in html
    write_html_report(tmp_path / "empty.html", [], summary_of([]), mode="segment")
    assert "<title>quantize batch report (segment)</title>" in (
        tmp_path / "empty.html").read_text(encoding="utf-8")


def test_the_page_says_when_it_was_written_by_which_quantize_and_command(batch):
    from datetime import datetime

    from quantize import __version__

    results, tmp = batch
    report = tmp / "report.html"
    before = datetime.now().astimezone().replace(microsecond=0)
    write_html_report(report, results, summary_of(results), mode="reduce",
                      command="quantize batch 'my <photos>' -o out --html report.html")
    after = datetime.now().astimezone()
    (made,) = [p for p in parse(report.read_text(encoding="utf-8")).iter("p")
               if "made" in p.classes()]
    (time,) = made.iter("time")
    when = datetime.fromisoformat(time.attrs["datetime"])
    assert before <= when <= after
    assert made.all_text() == (f"Written {when:%Y-%m-%d %H:%M:%S UTC%z} by quantize "
                               f"{__version__}: quantize batch 'my <photos>' -o out "
                               "--html report.html")
    write_html_report(report, results, summary_of(results), mode="reduce")  # no command
    (made,) = [p for p in parse(report.read_text(encoding="utf-8")).iter("p")
               if "made" in p.classes()]
    assert made.all_text().endswith(f" by quantize {__version__}")


def test_page_is_self_contained(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    text = report.read_text(encoding="utf-8")
    root = parse(text)
    sources = [img.attrs["src"] for img in root.iter("img")]
    assert len(sources) == 3 * 2  # before and after for the three reduced files
    assert all(src.startswith("data:image/") for src in sources)
    assert not list(root.iter("link"))
    assert all("src" not in s.attrs for s in root.iter("script"))
    assert "http://" not in text and "https://" not in text


def test_links_are_relative_to_the_report(batch):
    results, tmp = batch
    report = tmp / "out" / "index.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    hrefs = [a.attrs["href"] for a in parse(report.read_text(encoding="utf-8")).iter("a")]
    assert "../in/alpha.png" in hrefs and "alpha.png" in hrefs


# --------------------------------------------------------------------------
# Thumbnails
# --------------------------------------------------------------------------


def test_thumbnails_are_small_and_keep_the_aspect(tmp_path):
    big = np.repeat(np.repeat(quadrants(), 20, axis=0), 20, axis=1)  # 480 x 640
    Image.fromarray(big).save(tmp_path / "big.png")
    record = reduce_file(tmp_path / "big.png", tmp_path / "big.k4.png", n_colors=4, seed=0)
    results = [FileResult(tmp_path / "big.png", tmp_path / "big.k4.png", "ok", "", record)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce",
                      thumb_size=160)
    before, after = (decode_data_uri(img.attrs["src"])
                     for img in parse((tmp_path / "r.html").read_text()).iter("img"))
    assert before.size == after.size == (160, 120)


def test_after_thumbnail_shows_only_palette_colours(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    after = list(parse(report.read_text(encoding="utf-8")).iter("img"))[1]
    thumb = np.asarray(decode_data_uri(after.attrs["src"]).convert("RGB")).reshape(-1, 3)
    output = np.asarray(Image.open(results[0].output).convert("RGB")).reshape(-1, 3)
    assert {tuple(c) for c in thumb} <= {tuple(c) for c in output}


def _thumbnail_calls(monkeypatch) -> list[str]:
    """The names of the files the page module makes thumbnails of, from now on."""
    from quantize.report import page

    calls, make = [], page.thumbnails

    def spy(wanted, *args, **kwargs):
        calls.extend(Path(path).name for path, _ in wanted)
        return make(wanted, *args, **kwargs)

    monkeypatch.setattr(page, "thumbnails", spy)
    return calls


def _images(report: Path) -> list[dict[str, str]]:
    return [img.attrs for img in parse(report.read_text(encoding="utf-8")).iter("img")]


def test_a_page_written_again_embeds_the_thumbnails_of_unchanged_files_unread(
        batch, monkeypatch):
    """A rerun of a batch writes its page again: the thumbnails of files unchanged since
    are taken from the page it replaces, not decoded again (the unreadable file is tried
    again: it got none)."""
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    first = _images(report)
    assert len(first) == 6 and all("data-made" in img for img in first)
    calls = _thumbnail_calls(monkeypatch)
    write_html_report(report, results, summary_of(results), mode="reduce")
    assert calls == ["broken.png"]
    assert _images(report) == first


def test_a_thumbnail_of_the_middle_of_a_long_image_says_so_and_is_embedded_again(
        tmp_path, monkeypatch):
    """A 2000 x 20 strip had a thumbnail 2 pixels high: it shows its middle, 160 x 20, and
    says so; a page written again takes it from the page it replaces, still said so."""
    strip = np.zeros((20, 2000, 3), np.uint8)
    strip[:, 920:1080] = (200, 30, 30)  # the middle 160 columns red, the rest black
    Image.fromarray(strip).save(tmp_path / "strip.png")
    Image.fromarray(quadrants()).save(tmp_path / "q.png")
    results = [FileResult(tmp_path / "strip.png", tmp_path / "q.png", "ok", "", {})]
    report = tmp_path / "r.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    before, after = _images(report)
    assert before["alt"] == "before: strip.png, its middle"
    assert before["title"] == ("the middle of the image, which is more than 8 times as long "
                               "as its other side")
    assert before["class"] == "middle" and before["data-made"].endswith(" PNG middle")
    thumb = np.asarray(decode_data_uri(before["src"]).convert("RGB"))
    assert thumb.shape == (20, 160, 3)  # a JPEG, as the photo's: red, near enough
    assert np.abs(thumb.astype(int) - (200, 30, 30)).max() <= 4
    assert after["alt"] == "after: strip.png" and "title" not in after  # whole: 32 x 24
    assert after["class"] == "enlarged" and after["data-made"].endswith(" PNG whole")
    calls = _thumbnail_calls(monkeypatch)
    write_html_report(report, results, summary_of(results), mode="reduce")
    assert calls == [] and _images(report) == [before, after]


def test_a_file_changed_since_the_page_was_written_gets_a_new_thumbnail(batch, monkeypatch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    first = _images(report)
    changed = np.zeros((24, 32, 3), np.uint8)
    changed[:, :, 2] = 200  # all blue: another picture of the same size
    Image.fromarray(changed).save(results[2].input)
    calls = _thumbnail_calls(monkeypatch)
    write_html_report(report, results, summary_of(results), mode="reduce")
    assert sorted(calls) == ["broken.png", "charlie.png"]
    again = _images(report)
    before = {img["alt"]: img["src"] for img in first}
    now = {img["alt"]: img["src"] for img in again}
    assert [alt for alt in now if now[alt] != before[alt]] == ["before: charlie.png"]
    thumb = np.asarray(decode_data_uri(now["before: charlie.png"]).convert("RGB"))
    assert (thumb == [0, 0, 200]).all()
    calls.clear()  # another thumbnail size: every one made again
    write_html_report(report, results, summary_of(results), mode="reduce", thumb_size=16)
    assert len(calls) == 7


def test_only_data_images_are_taken_from_the_page_written_over(batch, monkeypatch):
    """The page replaced is read for thumbnails it embedded: an address that is no
    embedded PNG or JPEG is not carried into the new page, whose thumbnail is made."""
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    text = report.read_text(encoding="utf-8")
    src = _images(report)[0]["src"]
    report.write_text(text.replace(src, "javascript:alert(1)", 1), encoding="utf-8")
    calls = _thumbnail_calls(monkeypatch)
    write_html_report(report, results, summary_of(results), mode="reduce")
    assert sorted(calls) == ["alpha.png", "broken.png"]
    assert "javascript:" not in report.read_text(encoding="utf-8")
    assert _images(report)[0]["src"] == src


def test_animations_say_how_many_frames(tmp_path):
    results = [FileResult(tmp_path / f"{n}.gif", tmp_path / f"{n}.out.gif", "ok", "",
                          {"k": 8, "frames": n}) for n in (1, 24)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    still, animated = (row.children[0].all_text() for row in
                       file_rows(parse((tmp_path / "r.html").read_text())))
    assert "frames" not in still and "animation, 24 frames (first shown)" in animated


def test_the_pages_of_a_tiff_are_called_pages(tmp_path):
    # A TIFF's pages written as a TIFF were called "animation, 3 frames".
    results = [FileResult(tmp_path / "scan.tif", tmp_path / f"scan.{ext}", "ok", "",
                          {"k": 8, "frames": 3}) for ext in ("tif", "TIFF", "gif")]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    names = [row.children[0].all_text() for row in
             file_rows(parse((tmp_path / "r.html").read_text()))]
    assert ["3 pages (first shown)" in n and "animation" not in n for n in names] == \
        [True, True, False]
    assert "animation, 3 frames (first shown)" in names[2]


def test_animations_with_a_palette_per_frame_say_what_k_and_the_swatches_are(tmp_path):
    # With --palette per-frame the row showed k=8 beside swatches of every frame's colours
    # (here 3 frames of 8), and nothing said why they were more than k.
    swatches = [{"hex": f"#0000{i:02x}", "alpha": 255, "share": 1 / 24} for i in range(24)]
    results = [FileResult(tmp_path / f"{n}.gif", tmp_path / f"{n}.out.gif", "ok", "",
                          {"k": 8, "frames": n, "palette": swatches}) for n in (1, 3)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce",
                      per_frame=True)
    still, animated = (row.children[0].all_text() for row in
                       file_rows(parse((tmp_path / "r.html").read_text())))
    assert "frames" not in still and "per frame" not in still
    assert ("animation, 3 frames (first shown); a palette per frame: k is the largest, the "
            "swatches all their colours") in animated


def _animations(tmp_path: Path) -> list[FileResult]:
    """An animated GIF reduced to a WebP, a TIFF of pages reduced to a GIF, a still PNG."""
    frames = moving_square(3, 16)
    save_animation(tmp_path / "a.gif", frames, duration=100, loop=0)
    save_animation(tmp_path / "a.out.webp", frames, duration=100, loop=0, lossless=True)
    save_animation(tmp_path / "p.tif", frames)  # pages: a browser shows no TIFF
    save_animation(tmp_path / "p.out.gif", frames, duration=100, loop=0)
    for name in ("s.png", "s.out.png"):
        Image.fromarray(frames[0]).save(tmp_path / name)
    return [FileResult(tmp_path / f"{name}{ext}", tmp_path / f"{name}.out{out}", "ok", "",
                       {"k": 4, "frames": n})
            for name, ext, out, n in (("a", ".gif", ".webp", 3), ("p", ".tif", ".gif", 3),
                                      ("s", ".png", ".png", 1))]


def test_animations_link_their_files_to_play_in_place_of_the_first_frame(tmp_path):
    # the report showed an animation's first frame only, before and after
    results = _animations(tmp_path)
    report = tmp_path / "page" / "r.html"
    report.parent.mkdir()
    write_html_report(report, results, summary_of(results), mode="reduce")
    rows = file_rows(parse(report.read_text()))
    shown = [[(img.attrs.get("data-play"), img.attrs["src"][:15], img.attrs["width"],
               img.attrs["loading"]) for img in row.iter("img")] for row in rows]
    first = ("data:image/png;", "240")  # embedded, 16 px shown 15 times larger
    assert shown == [[("../a.gif", *first, "lazy"), ("../a.out.webp", *first, "lazy")],
                     [(None, *first, "eager"), ("../p.out.gif", *first, "lazy")],
                     [(None, *first, "eager"), (None, *first, "eager")]]
    # the row's button, hidden until the script shows it, and what is said while they play
    notes = [[(span.attrs.get("data-playing"), span.all_text()) for span in row.iter("span")
              if "shown" in span.classes()] for row in rows]
    assert notes == [[("(playing)", "(first shown)")], [("(the output playing)", "(first shown)")],
                     []]
    buttons = [[(b.attrs["class"], "hidden" in b.attrs, b.all_text()) for b in row.iter("button")]
               for row in rows]
    assert buttons == [[("play", True, "play")]] * 2 + [[]]
    assert rows[0].children[0].all_text() == ("a.gif→ a.out.webpanimation, 3 frames "
                                              "(first shown) play")


def test_an_animation_shrunk_plays_at_the_size_of_its_first_frame(tmp_path):
    frames = [np.repeat(np.repeat(f, 20, axis=0), 20, axis=1)[:200] for f in moving_square(2)]
    save_animation(tmp_path / "a.gif", frames, duration=100, loop=0)  # 320 x 200
    results = [FileResult(tmp_path / "a.gif", tmp_path / "a.gif", "ok", "", {"frames": 2})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce",
                      thumb_size=480)  # embedded 320 x 200, shown at most 240 a side
    shown = [(img.attrs.get("class"), img.attrs["width"], img.attrs["height"],
              decode_data_uri(img.attrs["src"]).size)
             for img in parse((tmp_path / "r.html").read_text()).iter("img")]
    # the reduced output drawn at the nearest pixel, as its first frame was shrunk
    assert shown == [(None, "240", "150", (320, 200)), ("nearest", "240", "150", (320, 200))]
    assert "img.nearest{image-rendering:pixelated}" in (tmp_path / "r.html").read_text()


def test_a_segmented_animation_does_not_play(tmp_path):
    # segment uses the first frame only: its overlay does not move, nor does the input
    results = _animations(tmp_path)[:1]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    root = parse((tmp_path / "r.html").read_text())
    assert [img.attrs.get("data-play") for img in root.iter("img")] == [None]
    assert [b for b in root.iter("button") if "play" in b.classes()] == []


def test_unreadable_images_get_no_thumbnail_not_an_error(tmp_path):
    missing = FileResult(tmp_path / "gone.png", tmp_path / "gone.out.png", "ok", "",
                         {"k": 4, "psnr": 30.0})
    write_html_report(tmp_path / "r.html", [missing], summary_of([missing]), mode="reduce")
    root = parse((tmp_path / "r.html").read_text())
    assert not list(root.iter("img"))
    assert "no before image" in root.all_text() and "no after image" in root.all_text()


# --------------------------------------------------------------------------
# Palette swatches
# --------------------------------------------------------------------------


def test_a_named_pipe_among_the_inputs_gets_no_thumbnail_and_is_not_opened(tmp_path):
    """batch reports a FIFO among the files as skipped, unopened; the page opened it for its
    thumbnail, and waited for a writer forever after the files were done."""
    import os
    import threading

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.png")
    result = FileResult(tmp_path / "pipe.png", None, "skipped",
                        "a named pipe (FIFO), not a regular file; not read")
    page = threading.Thread(target=write_html_report, daemon=True, args=(
        tmp_path / "r.html", [result], summary_of([result])), kwargs={"mode": "reduce"})
    page.start()
    page.join(20)
    if page.is_alive():  # let it go: a writer that closes at once
        os.close(os.open(tmp_path / "pipe.png", os.O_WRONLY | os.O_NONBLOCK))
        page.join(20)
        pytest.fail("the page waited for a writer of the pipe")
    [row] = file_rows(parse((tmp_path / "r.html").read_text()))
    assert [td.all_text() for td in row.children[1:3]] == ["no before image", ""]


def test_a_named_pipe_is_named_but_not_linked(tmp_path):
    """Its name was a link, and a browser following it waited for a writer: the tab hung.
    A regular file, a folder (a segment output) and a file gone since are linked."""
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.png")
    Image.fromarray(quadrants()).save(tmp_path / "a.png")
    (tmp_path / "a").mkdir()
    results = [FileResult(tmp_path / "pipe.png", None, "skipped",
                          "a named pipe (FIFO), not a regular file; not read"),
               FileResult(tmp_path / "a.png", tmp_path / "a", "ok", "", {}),
               FileResult(tmp_path / "gone.png", None, "failed", BROKEN_REASON)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    rows = file_rows(parse((tmp_path / "r.html").read_text()))
    links = {row.attrs["id"]: [a.attrs["href"] for a in row.children[0].iter("a")]
             for row in rows}
    assert links == {"file-0": [], "file-1": ["a.png", "a"], "file-2": ["gone.png"]}
    (pipe,) = [row for row in rows if row.attrs["id"] == "file-0"]
    assert [s.all_text() for s in pipe.iter("span") if "unlinked" in s.classes()] == ["pipe.png"]


def test_swatch_widths_follow_the_record_shares_in_the_records_order(tmp_path):
    """Records list a fitted palette most used first, and a given one (--palette-in,
    --shared-palette) in its own order; the page re-sorted each row by its shares, so one
    shared palette showed its colours in another order in every row."""
    palette = [{"hex": "#102030", "alpha": 255, "share": 0.2},
               {"hex": "#ff0000", "alpha": 255, "share": 0.5},
               {"hex": "#00ff00", "alpha": 0, "share": 0.3}]
    other = [dict(entry, share=share) for entry, share in zip(palette, (0.7, 0.1, 0.2),
                                                                     strict=True)]
    results = [FileResult(tmp_path / name, tmp_path / f"out-{name}", "ok", "",
                          {"k": 3, "psnr": 30.0, "palette": p})
               for name, p in (("a.png", palette), ("b.png", other))]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    rows = file_rows(parse((tmp_path / "r.html").read_text()))
    assert swatch_widths(rows[0]) == pytest.approx([20.0, 50.0, 30.0])
    assert swatch_widths(rows[1]) == pytest.approx([70.0, 10.0, 20.0])
    for row in rows:
        styles = [s.attrs["style"] for s in row.iter("span") if "swatch" in s.classes()]
        assert "rgba(16,32,48,1.000)" in styles[0] and "rgba(255,0,0,1.000)" in styles[1]
        assert "rgba(0,255,0,0.000)" in styles[2]


def test_faint_pixels_drawn_transparent_get_a_swatch_of_their_own(tmp_path):
    """A still's faint pixels drawn transparent are in the whole and in no share: the page
    spread their part over the swatches, each drawn wider than its title said (34.0 %
    drawn 36.3 % wide)."""
    palette = [{"hex": "#ff0000", "alpha": 255, "share": 0.5},
               {"hex": "#00ff00", "alpha": 128, "share": 0.4}]
    rounded = [dict(entry, share=share) for entry, share in zip(palette, (0.500001, 0.5),
                                                                     strict=True)]
    results = [FileResult(tmp_path / name, tmp_path / f"out-{name}", "ok", "",
                          {"k": 2, "psnr": 30.0, "palette": p})
               for name, p in (("a.png", palette), ("b.png", rounded))]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    faint, whole = file_rows(parse((tmp_path / "r.html").read_text()))
    assert swatch_widths(faint) == pytest.approx([50.0, 40.0, 10.0])
    rest = [s for s in faint.iter("span") if "swatch" in s.classes()][-1]
    assert "rest" in rest.classes() and "background" not in rest.attrs["style"]
    assert rest.attrs["title"] == "faint pixels drawn transparent, 10.0%"
    assert swatch_widths(whole) == pytest.approx([50.0, 50.0], abs=1e-3)  # no rest swatch


def test_the_palette_is_said_in_words_to_a_screen_reader(tmp_path):
    palette = [{"hex": "#ff0000", "alpha": 255, "share": 0.75},
               {"hex": "#00ff00", "alpha": 128, "share": 0.25}]
    results = [FileResult(tmp_path / "a.png", tmp_path / "out-a.png", "ok", "",
                          {"k": 2, "psnr": 30.0, "palette": palette}),
               FileResult(tmp_path / "b.png", tmp_path / "out-b.png", "ok", "",
                          {"k": 1, "psnr": 30.0, "palette": palette[:1]})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    bars = [div for div in parse((tmp_path / "r.html").read_text()).iter("div")
            if "bar" in div.classes()]
    assert [(bar.attrs["role"], bar.attrs["aria-label"]) for bar in bars] == [
        ("img", "palette of 2 colours, most used #ff0000, 75.0%"),
        ("img", "palette of 1 colour: #ff0000, 75.0%; faint pixels drawn transparent, 25.0%")]


def test_swatches_fall_back_to_the_output_image(tmp_path):
    pixels = np.zeros((4, 4, 3), np.uint8)
    pixels.reshape(-1, 3)[:8] = (255, 0, 0)
    pixels.reshape(-1, 3)[8:14] = (0, 128, 0)
    pixels.reshape(-1, 3)[14:] = (0, 0, 255)
    Image.fromarray(pixels).quantize(3).save(tmp_path / "out.png")
    result = FileResult(tmp_path / "in.png", tmp_path / "out.png", "skipped", "output exists")
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce")
    row = file_rows(parse((tmp_path / "r.html").read_text()))[0]
    assert swatch_widths(row) == pytest.approx([50.0, 37.5, 12.5])
    assert "output exists" in row.all_text()


def test_malformed_palette_entries_are_dropped(tmp_path):
    palette = [{"hex": "red;background:url(http://x)", "alpha": 255, "share": 0.5},
               {"hex": "#abcdef", "alpha": 255, "share": 0.25},
               {"hex": "#123456", "alpha": 999, "share": 0.25}]
    result = FileResult(tmp_path / "a.png", tmp_path / "b.png", "ok", "", {"palette": palette})
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce")
    text = (tmp_path / "r.html").read_text()
    assert "url(" not in text
    assert swatch_widths(file_rows(parse(text))[0]) == pytest.approx([100.0])


# --------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------


def test_every_string_is_escaped(tmp_path):
    name = "a<b>&\"c'.png"
    Image.fromarray(quadrants()).save(tmp_path / name)
    record = reduce_file(tmp_path / name, tmp_path / "out.png", n_colors=4, seed=0)
    record["warnings"] = ["<i>warned</i>"]
    evil = '<img src=x onerror="alert(1)">'
    results = [FileResult(tmp_path / name, tmp_path / "out.png", "ok", "", record),
               FileResult(tmp_path / "x.png", None, "failed", evil)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert evil not in text and "<i>" not in text and name not in text
    root = parse(text)
    assert not [img for img in root.iter("img") if "onerror" in img.attrs]
    assert not list(root.iter("i")) and not list(root.iter("b"))[1:]  # only "failed:" is bold
    assert name in root.all_text() and evil in root.all_text()
    assert "<i>warned</i>" in root.all_text()


# --------------------------------------------------------------------------
# Segment mode
# --------------------------------------------------------------------------


def test_segment_mode_shows_the_clusters_the_segmentation_has_not_those_asked(tmp_path):
    # -k 4 on an image of two distinct pixels makes 2 clusters, and its one region
    # belongs to one of them (the command's line: "1 region from 1 cluster"); the page said 4
    from quantize.segment import ClusterCountWarning, RegionCountWarning

    Image.fromarray(np.array([[[10, 20, 30]], [[200, 20, 30]]], np.uint8)).save(
        tmp_path / "tiny.png")
    with pytest.warns(ClusterCountWarning, match="using 2 clusters"), \
            pytest.warns(RegionCountWarning, match="^n_clusters=4 gives 1 region: the default"):
        record = segment_file(tmp_path / "tiny.png", tmp_path / "tiny", n_clusters=4, seed=0)
    assert (record["n_clusters"], record["clusters_used"], record["n_regions"]) == (4, 1, 1)
    results = [FileResult(tmp_path / "tiny.png", tmp_path / "tiny", "ok", "", record)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    row = file_rows(parse((tmp_path / "r.html").read_text()))[0]
    assert [td.all_text() for td in row.children[3:]] == [
        "1", "1", "1×2", f"{record['seconds']:.2f}"]
    assert row.attrs["data-clusters"] == "1.0"


def test_segment_mode_shows_the_overlay_and_region_counts(tmp_path):
    Image.fromarray(quadrants(32, 32)).save(tmp_path / "q.png")
    record = segment_file(tmp_path / "q.png", tmp_path / "q", n_clusters=4, seed=0)
    results = [FileResult(tmp_path / "q.png", tmp_path / "q", "ok", "", record)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    root = parse((tmp_path / "r.html").read_text())
    row = file_rows(root)[0]
    after = list(row.iter("img"))[1]
    assert after.attrs["alt"] == "overlay: q.png"
    overlay = np.asarray(Image.open(tmp_path / "q" / "overlay.png").convert("RGB"))
    thumb = np.asarray(decode_data_uri(after.attrs["src"]).convert("RGB"))
    assert thumb.shape == overlay.shape  # smaller than the thumbnail size: not resized
    photo = np.asarray(Image.open(tmp_path / "q.png").convert("RGB")).astype(int)
    borders = (overlay != photo).any(axis=2)  # where the overlay drew its red lines
    assert borders.sum() >= 32
    # shown enlarged: the overlay's very pixels, not a JPEG of them
    assert after.attrs["src"].startswith("data:image/png;")
    assert np.array_equal(thumb, overlay) and not np.array_equal(overlay, photo[..., :3])
    cells = [td.all_text().strip() for td in row.iter("td")]
    assert str(record["n_regions"]) in cells and "32×32" in cells
    assert row.attrs["data-regions"] == repr(float(record["n_regions"]))
    assert not [s for s in row.iter("span") if "swatch" in s.classes()]


def test_alt_texts_name_the_file_as_its_row_does(tmp_path):
    results = []
    for folder in ("2023", "2024"):  # one name in two folders, and every overlay.png
        (tmp_path / "in" / folder).mkdir(parents=True)
        Image.fromarray(quadrants(16, 16)).save(tmp_path / "in" / folder / "q.png")
        out = tmp_path / "out" / folder / "q"
        record = segment_file(tmp_path / "in" / folder / "q.png", out, n_clusters=2, seed=0)
        results.append(FileResult(tmp_path / "in" / folder / "q.png", out, "ok", "", record))
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    alts = [img.attrs["alt"] for img in parse((tmp_path / "r.html").read_text()).iter("img")]
    assert alts == ["before: 2023/q.png", "overlay: 2023/q.png",
                    "before: 2024/q.png", "overlay: 2024/q.png"]


def test_shrunk_overlay_keeps_its_borders(tmp_path):
    image = quadrants(128, 128)
    image[:64, :64] = (230, 210, 60)  # no red quadrant: the borders are the only red
    Image.fromarray(image).save(tmp_path / "q.png")
    record = segment_file(tmp_path / "q.png", tmp_path / "q", n_clusters=4, seed=0)
    results = [FileResult(tmp_path / "q.png", tmp_path / "q", "ok", "", record)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment",
                      thumb_size=32)
    after = list(parse((tmp_path / "r.html").read_text()).iter("img"))[1]
    thumb = np.asarray(decode_data_uri(after.attrs["src"]).convert("RGB")).astype(int)
    assert thumb.shape == (32, 32, 3)
    overlay = np.asarray(Image.open(tmp_path / "q" / "overlay.png").convert("RGB"))
    mask = np.asarray(Image.open(tmp_path / "q" / "boundaries.png").convert("L")) > 0
    color = overlay[mask][0].astype(int)
    drawn = np.abs(thumb - color).max(axis=2) <= 60  # JPEG rings at sharp borders
    in_box = mask.reshape(32, 4, 32, 4).sum(axis=(1, 3))  # border pixels per 4x4 box
    assert drawn.sum() >= 48  # the two quadrant borders: about two lines of 32 pixels
    assert drawn[in_box >= 4].all()  # a border crossing the box is drawn
    assert not drawn[in_box == 0].any()  # and nothing away from the borders


# --------------------------------------------------------------------------
# Validation and writing
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"path": "report.txt"}, ValueError,
     r"html='report.txt' has an unsupported extension '.txt'; expected"),
    ({"mode": "resize"}, ValueError, r"mode='resize' is not valid; expected one of"),
    ({"thumb_size": 4}, ValueError, r"thumb_size=4 should be >= 16"),
    ({"thumb_size": 2.5}, TypeError, r"thumb_size=2.5 should be an integer"),
    # refused with no image to thumbnail too: it was checked only by the reader
    ({"max_pixels": 0}, ValueError, r"^max_pixels=0 should be >= 1$"),
    ({"max_pixels": 2.5}, TypeError, r"^max_pixels=2.5 should be an integer, got float$"),
])
def test_bad_arguments(tmp_path, kwargs, error, match):
    args = {"path": tmp_path / "r.html", "mode": "reduce", **kwargs}
    with pytest.raises(error, match=match):
        write_html_report(args.pop("path"), [], summary_of([]), **args)
    assert list(tmp_path.iterdir()) == []


def test_a_page_name_ending_in_a_slash_is_refused(tmp_path, monkeypatch):
    """"r.html/" names a folder; it wrote the file r.html."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as err:
        write_html_report("r.html/", [], summary_of([]), mode="reduce")
    assert str(err.value) == ("html='r.html/' ends in '/', which names a folder; expected a "
                              "file name")
    assert list(tmp_path.iterdir()) == []


def test_check_html_path_accepts_htm():
    assert check_html_path("X.HTM") == Path("X.HTM")


def test_unwritable_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write in"):
        write_html_report(tmp_path / "missing" / "r.html", [], summary_of([]), mode="reduce")


def test_skipped_files_show_their_recorded_metrics_and_count_in_the_bytes(tmp_path):
    made = {"k": 2, "psnr": 31.25, "delta_e": 1.5, "bytes_in": 3000, "bytes_out": 600,
            "palette": [{"hex": "#ff0000", "alpha": 255, "share": 0.75},
                        {"hex": "#0000ff", "alpha": 255, "share": 0.25}]}
    results = [FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "skipped", "output exists",
                          made),
               FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "ok", "",
                          {**made, "bytes_in": 1000, "bytes_out": 400})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    root = parse((tmp_path / "r.html").read_text())
    row = file_rows(root)[0]
    text = row.all_text()
    assert "skipped: output exists" in text and "31.25" in text and "1.50" in text
    assert "3,000 → 600" in text and swatch_widths(row) == pytest.approx([75.0, 25.0])
    assert "4,000 → 1,000 bytes (25.0%)" in root.all_text()


def test_the_bytes_say_what_they_count_and_the_files_kept_as_larger(tmp_path):
    # "4,000 → 1,000 bytes (25.0%)" left out the files skipped as larger than their inputs,
    # whose input stays: the site went from 4,500 to 1,500 bytes
    made = {"k": 2, "psnr": 31.25, "delta_e": 1.5, "bytes_in": 3000, "bytes_out": 600}
    larger = {"larger_than_input": "result (83 bytes) is larger than the input (77 bytes); "
                                   "nothing written"}
    results = [FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "", made),
               FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "ok", "",
                          {**made, "bytes_in": 1000, "bytes_out": 1400}),
               FileResult.larger(tmp_path / "c.png", None, {**larger, "bytes_in": 500}),
               FileResult.larger(tmp_path / "d.png", None, larger)]  # an older record: no size
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    line = _summary_line(parse((tmp_path / "r.html").read_text())).replace("\xa0", " ")
    assert line == ("reduce: 4 files · 2 ok · 2 skipped (2 larger than the input) · 0 failed · "
                    "1 output larger than its input (--skip-if-larger skips it) · 1.5 s · "
                    "4,000 → 2,000 bytes (50.0%) for the 2 files with an output · "
                    "4,500 → 2,500 bytes (55.6%) counting the 1 skipped as larger, kept as it "
                    "was")


def test_sortable_headings_are_buttons_a_keyboard_reaches(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    text = report.read_text(encoding="utf-8")
    heads = list(next(parse(text).iter("thead")).iter("th"))
    assert all(th.attrs["scope"] == "col" for th in heads)
    sortable = [th for th in heads if "data-key" in th.attrs]
    assert [th.attrs["data-key"] for th in sortable] == [
        "name", "k", "psnr", "delta_e", "bytes_out", "ratio", "seconds"]
    # text (and an arrow), which the page's script makes buttons (test_report_access.py)
    assert [[child.tag for child in th.children] for th in sortable] == [["span"]] * 7
    assert 'querySelectorAll("th[data-key]")' in text
    assert 'button.addEventListener("click"' in text


def _every_status(tmp_path: Path) -> Path:
    """A page with rows of every status (no image files: no thumbnails): two ok, one
    skipped, one failed, and two an interrupted run did not reach."""
    results = [FileResult(tmp_path / "a.png", tmp_path / "o" / "a.png", "ok", "",
                          {"k": 4, "psnr": 30.0}),
               FileResult(tmp_path / "b.png", tmp_path / "o" / "b.png", "ok", "",
                          {"k": 8, "psnr": 35.0}),
               FileResult(tmp_path / "c.png", tmp_path / "o" / "c.png", "skipped",
                          "output exists", {"k": 6, "psnr": 32.0}),
               FileResult(tmp_path / "d.png", None, "failed", BROKEN_REASON)]
    summary = summary_of(results)
    summary.total, summary.interrupted = 6, True
    write_html_report(tmp_path / "r.html", results, summary, mode="reduce",
                      not_reached=[tmp_path / "f.png", tmp_path / "e.png"])
    return tmp_path / "r.html"


def test_a_status_filter_offers_every_status_of_the_rows_with_its_count(tmp_path):
    # with hundreds of files, the failed ones could only be found by scrolling the table
    root = parse(_every_status(tmp_path).read_text())
    (group,) = [div for div in root.iter("div") if "filter" in div.classes()]
    assert group.attrs["role"] == "group" and group.attrs["aria-label"] == "show the files"
    assert "hidden" in group.attrs  # the script shows it: without it, it could not filter
    buttons = list(group.iter("button"))
    assert [(b.all_text(), b.attrs["data-show"], b.attrs["aria-pressed"]) for b in buttons] == [
        ("all (6)", "", "true"), ("ok (2)", "ok", "false"), ("skipped (1)", "skipped", "false"),
        ("failed (1)", "failed", "false"), ("not reached (2)", "not-reached", "false")]
    # buttons, in the Tab order and pressed by Enter or Space, each naming the table
    assert all(b.attrs["type"] == "button" and b.attrs["aria-controls"] == "results"
               for b in buttons)
    # a button's data-show is the class of the rows it counted
    shown = [(row.classes() - {"file"}).pop() for row in file_rows(root)]
    assert {status: shown.count(status) for status in shown} == {
        b.attrs["data-show"]: int(b.all_text().split("(")[1].rstrip(")")) for b in buttons[1:]}


def _with_folders(tmp_path: Path) -> Path:
    """A page of two files, one ok and one skipped, and two sub-folders, which are no files:
    one not searched (a segment's outputs) and one that could not be listed."""
    from quantize.batch.results import NOT_LISTED, NOT_SEARCHED

    results = [FileResult(tmp_path / "a.png", tmp_path / "o" / "a.png", "ok", "",
                          {"k": 4, "psnr": 30.0}),
               FileResult(tmp_path / "b.png", tmp_path / "o" / "b.png", "skipped",
                          "output exists", {"k": 6, "psnr": 32.0}),
               FileResult(tmp_path / "c.segments", None, "skipped",
                          "a folder of quantize segment's outputs (...), not searched",
                          {NOT_SEARCHED: True}),
               FileResult(tmp_path / "d", None, "failed", "cannot list this folder (Permission "
                          "denied); the files in it were not processed", {NOT_LISTED: True})]
    summary = summary_of(results)
    summary.total = 2
    write_html_report(tmp_path / "r.html", results, summary, mode="reduce")
    return tmp_path / "r.html"


def test_the_status_filter_counts_sub_folders_apart_from_the_files(tmp_path):
    # "skipped (2)" counted a folder not searched among the files, where the summary line
    # said "1 skipped" and "1 folder skipped"; a folder not listed was one of "failed (1)",
    # and the summary counted it among the files
    root = parse(_with_folders(tmp_path).read_text())
    line = _summary_line(root)
    assert line == ("reduce: 2 files\xa0· 1 ok\xa0· 1 skipped\xa0· 0 failed\xa0· 1 folder "
                    "skipped\xa0· 1 folder could not be listed\xa0· 1.5 s")
    (group,) = [div for div in root.iter("div") if "filter" in div.classes()]
    # its name, for a screen reader, said "show the files" of rows that are folders too
    assert group.attrs["aria-label"] == "show the files and folders"
    assert [(b.all_text(), b.attrs["data-show"]) for b in group.iter("button")] == [
        ("all (4)", ""), ("ok (1)", "ok"), ("skipped (1)", "skipped"),
        ("folders skipped (1)", "folder-skipped"), ("folders not listed (1)", "folder-failed")]
    # each row has the class of the one button that counts it
    assert [(row.children[0].children[0].all_text(), row.classes() - {"file"})
            for row in file_rows(root)] == [
        ("a.png", {"ok"}), ("b.png", {"skipped"}), ("c.segments", {"folder-skipped"}),
        ("d", {"folder-failed"})]


def test_the_summary_line_says_folders_in_the_plural(tmp_path):
    from quantize.batch.results import NOT_LISTED

    results = [FileResult(tmp_path / n, None, "failed", "cannot list this folder",
                          {NOT_LISTED: True}) for n in "ab"]
    summary = summary_of(results)
    summary.total = 0
    line = _written_summary_line(tmp_path, results, summary)
    assert line == ("segment: 0 files\xa0· 0 ok\xa0· 0 skipped\xa0· 0 failed\xa0· 2 folders "
                    "could not be listed\xa0· 1.5 s")


def test_the_status_filter_of_folders_alone_is_named_so(tmp_path):
    # "show the files", of a page whose only rows are two sub-folders, which are no files
    from quantize.batch.results import NOT_LISTED, NOT_SEARCHED

    results = [FileResult(tmp_path / "a", None, "skipped", "symbolic link to a folder",
                          {NOT_SEARCHED: True}),
               FileResult(tmp_path / "b", None, "failed", "cannot list this folder",
                          {NOT_LISTED: True})]
    summary = summary_of(results)
    summary.total = 0
    write_html_report(tmp_path / "r.html", results, summary, mode="reduce")
    root = parse((tmp_path / "r.html").read_text())
    (group,) = [div for div in root.iter("div") if "filter" in div.classes()]
    assert group.attrs["aria-label"] == "show the folders"
    assert [b.all_text() for b in group.iter("button")] == [
        "all (2)", "folders skipped (1)", "folders not listed (1)"]


def test_no_status_filter_when_every_row_has_one_status(tmp_path):
    results = [FileResult(tmp_path / f"{name}.png", None, "failed", BROKEN_REASON)
               for name in "ab"]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    root = parse((tmp_path / "r.html").read_text())
    assert [div for div in root.iter("div") if "filter" in div.classes()] == []
    assert len(file_rows(root)) == 2


def test_empty_batch_says_so(tmp_path):
    write_html_report(tmp_path / "r.html", [], summary_of([]), mode="segment")
    root = parse((tmp_path / "r.html").read_text())
    assert file_rows(root) == [] and "No files." in root.all_text()


# --------------------------------------------------------------------------
# A real browser
# --------------------------------------------------------------------------


@needs_chromium
def test_chromium_renders_every_row_and_sorts(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    dom = chromium(tmp, "--dump-dom", report.as_uri() + "#sort=-psnr").stdout
    rows = file_rows(parse(dom))
    assert len(rows) == len(results)
    psnrs = [r.record["psnr"] for r in results[:3]]
    expected = [f"file-{i}" for i in np.argsort(psnrs, kind="stable")[::-1]] + ["file-3"]
    assert [row.attrs["id"] for row in rows] == expected  # sorted by the script, failed last
    heads = {th.attrs.get("data-key"): th.attrs.get("aria-sort") for th in parse(dom).iter("th")}
    assert heads["psnr"] == "descending" and heads["bytes_out"] == "none"


@needs_chromium
def test_chromium_screenshot_is_not_blank(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    shot = tmp / "shot.png"
    chromium(tmp, f"--screenshot={shot}", "--window-size=1200,900", report.as_uri())
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape == (900, 1200, 3)
    background = np.median(pixels.reshape(-1, 3), axis=0)
    inked = np.abs(pixels - background).sum(axis=2) > 60
    assert inked.mean() > 0.02  # text, thumbnails and swatches
    # every palette colour with a tenth of the pixels is drawn as a swatch block
    for result in results[:3]:
        for swatch in read_palette_shares(result.output):
            if swatch.share >= 0.1:
                rgb = np.array([int(swatch.hex[i:i + 2], 16) for i in (1, 3, 5)])
                assert (np.abs(pixels - rgb).max(axis=2) <= 2).sum() > 200, swatch


@needs_chromium
def test_chromium_draws_the_page_dark_for_a_dark_colour_scheme(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    shot = tmp / "dark.png"
    chromium(tmp, "--force-dark-mode", f"--screenshot={shot}", "--window-size=800,300",
             report.as_uri())
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert tuple(pixels[5, 5]) == (0x18, 0x18, 0x18)  # the page's dark background
    assert (pixels.sum(axis=2) > 3 * 200).sum() > 500  # light text on it (the title, ...)


@needs_chromium
def test_chromium_sorts_a_segment_report_by_regions(tmp_path):
    first, second = quadrants(32, 32), quadrants(32, 32)
    first[:, :16] = first[0, 0]  # three flat areas instead of four
    results = []
    for i, (image, n) in enumerate(((first, 2), (second, 4))):
        Image.fromarray(image).save(tmp_path / f"s{i}.png")
        record = segment_file(tmp_path / f"s{i}.png", tmp_path / f"s{i}", n_clusters=n, seed=0)
        results.append(FileResult(tmp_path / f"s{i}.png", tmp_path / f"s{i}", "ok", "", record))
    regions = [r.record["n_regions"] for r in results]
    assert regions[0] != regions[1]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="segment")
    dom = chromium(tmp_path, "--dump-dom", (tmp_path / "r.html").as_uri() + "#sort=-regions")
    order = [row.attrs["id"] for row in file_rows(parse(dom.stdout))]
    assert order == [f"file-{i}" for i in np.argsort(regions)[::-1]]


@needs_chromium
def test_chromium_sorts_when_a_heading_button_is_pressed_twice(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    pressed = with_script(report, "pressed.html", "var b = document.querySelector("
                          "'th[data-key=\"psnr\"] button'); b.click(); b.click();")
    dom = parse(chromium(tmp, "--dump-dom", pressed.as_uri()).stdout)
    psnrs = [r.record["psnr"] for r in results[:3]]
    expected = [f"file-{i}" for i in np.argsort(psnrs, kind="stable")[::-1]] + ["file-3"]
    assert [row.attrs["id"] for row in file_rows(dom)] == expected  # ascending, then descending
    heads = {th.attrs.get("data-key"): th.attrs.get("aria-sort") for th in dom.iter("th")}
    assert heads["psnr"] == "descending" and heads["name"] == "none"


@needs_chromium
def test_chromium_sorts_names_in_their_natural_order_when_file_is_pressed(tmp_path):
    results = [FileResult(tmp_path / name, None, "failed", BROKEN_REASON) for name in _NAMES]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    orders = []
    for presses in (1, 2):  # written ascending: descending, then ascending again
        pressed = with_script(tmp_path / "r.html", f"pressed{presses}.html",
                              "var b = document.querySelector('th[data-key=\"name\"] button');"
                              + "b.click();" * presses)
        dom = parse(chromium(tmp_path, "--dump-dom", pressed.as_uri()).stdout)
        orders.append([row.children[0].children[0].all_text() for row in file_rows(dom)])
    assert orders == [_NATURAL[::-1], _NATURAL]


@needs_chromium
def test_chromium_keeps_the_sort_pressed_in_the_address(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    pressed = with_script(report, "pressed.html", "var b = document.querySelector("
                          "'th[data-key=\"delta_e\"] button'); b.click(); b.click();"
                          "document.body.setAttribute('data-hash', location.hash);")
    (body,) = parse(chromium(tmp, "--dump-dom", pressed.as_uri()).stdout).iter("body")
    assert body.attrs["data-hash"] == "#sort=-delta_e"  # what a reload opens sorted by


@needs_chromium
def test_chromium_shows_a_listed_failure_below_the_sticky_headings(batch):
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    followed = with_script(report, "followed.html", (
        'window.addEventListener("load", function () {'
        'document.querySelector(".failures a").click();'
        'setTimeout(function () {'
        'var row = document.getElementById("file-3").getBoundingClientRect();'
        'var head = document.querySelector("th").getBoundingClientRect();'
        'document.body.setAttribute("data-seen", [window.scrollY, head.bottom, row.top]);'
        '}, 0); });'))
    dom = parse(chromium(tmp, "--window-size=1000,400", "--dump-dom", followed.as_uri()).stdout)
    (body,) = dom.iter("body")
    scrolled, head_bottom, row_top = map(float, body.attrs["data-seen"].split(","))
    assert scrolled > 0 and head_bottom > 0  # the page scrolled to the row, under the headings
    assert row_top >= head_bottom  # the failed row is below them, not hidden behind


@needs_chromium
def test_chromium_scrolls_only_the_table_sideways_in_a_narrow_window(batch):
    # at 400 px the table (about 1250 px) made the whole page, title and summary, scroll
    results, tmp = batch
    report = tmp / "report.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    measured = with_script(report, "measured.html", (
        'window.addEventListener("load", function () {'
        'var box = document.getElementById("results").parentNode;'
        'document.body.setAttribute("data-seen", [document.documentElement.scrollWidth,'
        'window.innerWidth, box.clientWidth, box.scrollWidth,'
        'document.querySelector(".summary").getBoundingClientRect().right]); });'))
    dom = parse(chromium(tmp, "--window-size=400,900", "--dump-dom", measured.as_uri()).stdout)
    (body,) = dom.iter("body")
    page, window, box, table, summary = map(float, body.attrs["data-seen"].split(","))
    assert page == window <= 500  # the page does not scroll sideways (headless: >= 500 px)
    assert box < window < table  # the table's box does
    assert summary <= window  # the summary wraps within the window


@needs_chromium
@pytest.mark.parametrize("width", [400, 1200])
def test_chromium_shows_the_headings_whole_and_every_column_scrolled_to_the_end(tmp_path,
                                                                                width):
    # scrolled to its end, the page hid the top 14 px of the headings (the table's box was
    # a window high, under the page's margin); at 400 px the box scrolls sideways to the
    # last column, the headings still stuck to its top
    record = {"k": 8, "psnr": 30.0, "delta_e": 1.5, "bytes_in": 12_345, "bytes_out": 6_789,
              "seconds": 0.25}
    results = [FileResult(tmp_path / f"img{i}.png", tmp_path / f"out{i}.png", "ok", "", record)
               for i in range(40)]
    report = tmp_path / "r.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    frame = in_a_frame(report, "frame.html", width, (
        '(function () { window.scrollTo(0, document.documentElement.scrollHeight);'
        'var box = document.getElementById("results").parentNode;'
        'box.scrollTop = box.scrollHeight / 2; box.scrollLeft = box.scrollWidth;'
        'var head = document.querySelector("th").getBoundingClientRect();'
        'var last = document.querySelector("th:last-child").getBoundingClientRect();'
        'var seen = box.getBoundingClientRect();'
        'return [window.scrollY > 0, box.scrollTop > 0, box.scrollWidth > box.clientWidth,'
        'head.top >= 0, head.top >= seen.top, last.right <= seen.right + 1,'
        'last.right <= window.innerWidth + 1]; })()'))
    dom = parse(chromium(tmp_path, "--window-size=1300,900", "--dump-dom", frame.as_uri()).stdout)
    (body,) = dom.iter("body")
    seen = body.attrs["data-seen"].split(",")
    # the page and the box scrolled; a table wider than the box only at 400 px
    assert seen[:3] == ["true", "true", "true" if width == 400 else "false"]
    assert seen[3:] == ["true"] * 4  # headings whole, the last column in view


def _wide_rows(tmp_path: Path, mode: str) -> list[FileResult]:
    """A row of each kind that takes room: a photo with a long name and large byte counts,
    an animation (its thumbnails play, its name cell has a button) and a failed file."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    photo = src / ("IMG_20240101_123456_HDR_portrait_mode_edited_final_version_2" + ".png")
    rng = np.random.default_rng(0)
    Image.fromarray(np.kron(quadrants(32, 48), np.ones((10, 10, 1), np.uint8))
                    ^ rng.integers(0, 8, (320, 480, 3), dtype=np.uint8)).save(photo)
    clip = save_animation(src / "clip.gif", moving_square(4, 120), duration=80, loop=0)
    results = []
    for path, k in ((photo, 64), (clip, 4)):  # the animation has 4 colours
        if mode == "reduce":
            output = out / (path.stem + path.suffix if path == clip else path.stem + ".png")
            record = {**reduce_file(path, output, n_colors=k, seed=0),
                      "bytes_in": 12_345_678, "bytes_out": 10_987_654, "seconds": 123.45}
        else:
            output = out / path.stem
            with warnings.catch_warnings():  # of the animation, its first frame
                warnings.simplefilter("ignore", FirstFrameWarning)
                record = {**segment_file(path, output, n_clusters=4, seed=0),
                          "seconds": 123.45}
        results.append(FileResult(path, output, "ok", "", record))
    (src / "broken.png").write_text("not an image")
    return results + [FileResult(src / "broken.png", out / "broken.png", "failed",
                                 BROKEN_REASON, {"seconds": 0.01})]


def _scroll_bars(width: int) -> str:
    """Script that makes the page's scroll bars ``width`` px wide (Windows draws them 17 px
    wide, Chromium on Linux 15 px)."""
    return ('var bars = document.createElement("style");'
            f'bars.textContent = "::-webkit-scrollbar{{width:{width}px;height:{width}px}}";'
            'document.head.appendChild(bars);')


@needs_chromium
@pytest.mark.parametrize("mode", ["reduce", "segment"])
@pytest.mark.parametrize(("bars", "widths"), [(None, (780, 800, 1000, 1100)),
                                              (17, (788, 1000))])
def test_chromium_fits_the_table_in_an_800_px_window(tmp_path, mode, bars, widths):
    # at 1000 px the segment table, and up to 1100 px the reduce table's last columns, could
    # only be seen by scrolling the table sideways; at 800 px, in a window too low for the
    # table, whose box then has a scroll bar of its own beside the page's, by about 30 px;
    # below 792 px (below 800 px with 17 px scroll bars) the reduce table overflowed its box
    # again, by 1 px at 790 px and 1 px more for every pixel less: its thumbnails, sized
    # from the window, stopped shrinking at 800 px, 8 px of room left to the other columns
    results = _wide_rows(tmp_path, mode)
    report = tmp_path / "r.html"
    write_html_report(report, results, summary_of(results), mode=mode)
    wide = "" if bars is None else _scroll_bars(bars)
    measured = with_script(report, "measured.html", wide + (
        'window.addEventListener("load", function () {'
        'var box = document.getElementById("results").parentNode;'
        'var shown = Array.prototype.map.call(document.querySelectorAll("td.thumb img"),'
        'function (img) { var r = img.getBoundingClientRect();'
        'return r.width.toFixed(1) + "x" + r.height.toFixed(1); });'
        'document.body.setAttribute("data-seen", [document.documentElement.scrollWidth,'
        'window.innerWidth, box.scrollWidth, box.clientWidth, box.offsetWidth,'
        'box.scrollHeight > box.clientHeight].concat(shown)); });'))
    for width in widths:
        dom = parse(chromium(tmp_path, f"--window-size={width},400", "--dump-dom",
                             measured.as_uri(), scroll_bars=True).stdout)
        (body,) = dom.iter("body")
        page, window, table, box, outer, low, *shown = body.attrs["data-seen"].split(",")
        assert low == "true"  # the box scrolls downwards: two scroll bars take room
        assert bars is None or int(outer) - int(box) == bars
        assert int(page) <= int(window) and int(table) <= int(box), (width, table, box)
        # each thumbnail smaller there than 240 px (not below 60), sized from the box's
        # width (with or without its own scroll bar, as browsers differ), as shaped as its
        # image: the square animation's (clip.gif comes first), then the 3:2 photo's
        sides = {min(max(60, int(w) / 2 - 315), 240) for w in (box, outer)}
        assert any(shown == [f"{side:.1f}x{side:.1f}"] * 2
                   + [f"{side:.1f}x{side * 2 / 3:.1f}"] * 2 for side in sides), (width, shown)


def in_a_frame(page: Path, name: str, width: int, measure: str) -> Path:
    """A page, named ``name`` beside ``page``, showing it in a frame ``width`` px wide (a
    headless window is at least 500 px), whose body gets in ``data-seen`` what ``measure``,
    an expression run in the frame once it has loaded, gives."""
    framed = with_script(page, f"framed-{name}", (
        'window.addEventListener("load", function () {'
        f'parent.postMessage(String({measure}), "*"); }});'))
    frame = page.with_name(name)
    frame.write_text(
        f'<!DOCTYPE html><body style="margin:0"><iframe src="{framed.name}" '
        f'style="width:{width}px;height:800px;border:0"></iframe><script>'
        'window.addEventListener("message", function (e) {'
        'document.body.setAttribute("data-seen", e.data); });</script></body>',
        encoding="utf-8")
    return frame


@needs_chromium
@pytest.mark.parametrize(("width", "phone"), [(320, True), (360, True), (600, False)])
def test_chromium_shows_larger_thumbnails_on_a_phone(tmp_path, width, phone):
    # at 360 px the thumbnails were 70 px wide in a table its box scrolls sideways anyway,
    # with 64 px of the box left beside them; now the names and both thumbnails fill it
    results = _wide_rows(tmp_path, "reduce")
    report = tmp_path / "r.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    frame = in_a_frame(report, "frame.html", width, (
        '(function () { var box = document.getElementById("results").parentNode;'
        'var after = document.querySelectorAll("th")[2].getBoundingClientRect();'
        'var img = document.querySelector("td.thumb img").getBoundingClientRect();'
        'return [document.documentElement.scrollWidth, window.innerWidth, box.clientWidth,'
        'box.offsetWidth, box.scrollWidth, after.right - box.getBoundingClientRect().left,'
        'img.width]; })()'))
    dom = parse(chromium(tmp_path, "--window-size=800,900", "--dump-dom", frame.as_uri()).stdout)
    (body,) = dom.iter("body")
    page, window, box, outer, table, after, side = map(float, body.attrs["data-seen"].split(","))
    assert page == window == width and table > box  # only the table's box scrolls sideways
    if phone:  # the After column ends at the box's edge (without or with its scroll bar)
        assert side in {w / 2 - 64 for w in (box, outer)} and after in {box, outer}
    else:
        assert side == 60 and after < box


@needs_chromium
def test_chromium_wraps_long_names_above_the_table_in_a_400_px_window(tmp_path):
    # a folder or failed file named without spaces ran past the right edge in the title and
    # the list of failures: the whole page scrolled sideways
    folder = tmp_path / ("a_folder_named_without_a_single_space_" * 2)
    folder.mkdir()
    name = "a_file_named_without_a_single_space_" * 2 + ".png"
    results = [FileResult(folder / name, None, "failed", BROKEN_REASON)]
    report = tmp_path / "r.html"
    write_html_report(report, results, summary_of(results), mode="reduce")
    frame = in_a_frame(report, "frame.html", 400, (
        '[document.documentElement.scrollWidth, window.innerWidth].concat('
        'Array.prototype.map.call(document.querySelectorAll("h1, .failures li"),'
        'function (e) { return e.scrollWidth <= e.clientWidth; }))'))
    dom = parse(chromium(tmp_path, "--window-size=800,900", "--dump-dom", frame.as_uri()).stdout)
    (body,) = dom.iter("body")
    assert body.attrs["data-seen"].split(",") == ["400", "400", "true", "true"]


def _played(dom, index: int) -> tuple[list[str], str, str, bool]:
    """The sources of a row's thumbnails (a data: URI as "data:"), what it says they show,
    its button's text and whether the button is hidden."""
    (row,) = [row for row in file_rows(dom) if row.attrs["id"] == f"file-{index}"]
    sources = [img.attrs["src"][:5] if img.attrs["src"].startswith("data:")
               else img.attrs["src"] for img in row.iter("img")]
    (shown,) = [span.all_text() for span in row.iter("span") if "shown" in span.classes()]
    (button,) = row.iter("button")
    return sources, shown, button.all_text(), "hidden" in button.attrs


@needs_chromium
def test_chromium_plays_animations_and_pauses_them_with_the_rows_button(tmp_path):
    results = _animations(tmp_path)
    (tmp_path / "gone.gif").write_bytes((tmp_path / "p.out.gif").read_bytes())
    results.append(FileResult(tmp_path / "s.png", tmp_path / "gone.gif", "ok", "",
                              {"frames": 3}))
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    (tmp_path / "gone.gif").unlink()  # moved since: its first frame stays, with no button
    pressed = with_script(tmp_path / "r.html", "pressed.html",
                          'document.querySelector("#file-1 button.play").click();')
    dom = parse(chromium(tmp_path, "--dump-dom", pressed.as_uri()).stdout)
    assert _played(dom, 0) == (["a.gif", "a.out.webp"], "(playing)", "pause", False)
    assert _played(dom, 1) == (["data:", "data:"], "(first shown)", "play", False)  # paused
    assert _played(dom, 3) == (["data:", "data:"], "(first shown)", "play", True)


@needs_chromium
def test_chromium_shows_first_frames_to_who_asks_for_reduced_motion_and_plays_on_a_press(
        tmp_path):
    results = _animations(tmp_path)
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    pressed = with_script(tmp_path / "r.html", "pressed.html",
                          'document.querySelector("#file-1 button.play").click();')
    dom = parse(chromium(tmp_path, "--force-prefers-reduced-motion", "--dump-dom",
                         pressed.as_uri()).stdout)
    assert _played(dom, 0) == (["data:", "data:"], "(first shown)", "play", False)
    assert _played(dom, 1) == (["data:", "p.out.gif"], "(the output playing)", "pause", False)


@needs_chromium
def test_chromium_sorts_by_k_and_segments_by_clusters_and_size_as_numbers(tmp_path):
    # k 9 and 10 (and 4 and 16 pixels wide) sort wrongly as text: "10" < "9"
    reduced = [FileResult(tmp_path / f"{name}.png", None, "skipped", "output exists",
                          {"k": k, "psnr": 30.0}) for name, k in (("a", 9), ("b", 10), ("c", 2))]
    write_html_report(tmp_path / "r.html", reduced, summary_of(reduced), mode="reduce")
    dom = chromium(tmp_path, "--dump-dom", (tmp_path / "r.html").as_uri() + "#sort=k")
    assert [row.attrs["id"] for row in file_rows(parse(dom.stdout))] == [
        "file-2", "file-0", "file-1"]
    segmented = [FileResult(tmp_path / f"{name}.png", None, "skipped", "output exists",
                            {"n_regions": 3, "n_clusters": n, "width": w, "height": 10})
                 for name, n, w in (("a", 10, 16), ("b", 9, 4), ("c", None, 100))]
    write_html_report(tmp_path / "s.html", segmented, summary_of(segmented), mode="segment")
    for key, expected in (("-clusters", ["file-0", "file-1", "file-2"]),
                          ("pixels", ["file-1", "file-0", "file-2"])):
        dom = chromium(tmp_path, "--dump-dom", (tmp_path / "s.html").as_uri() + f"#sort={key}")
        assert [row.attrs["id"] for row in file_rows(parse(dom.stdout))] == expected, key


def test_a_file_name_that_is_not_utf8_is_shown_escaped_and_linked_by_its_bytes(tmp_path):
    import os

    name = os.fsdecode(b"bad\xff name.png")
    result = FileResult(tmp_path / name, tmp_path / "out" / name, "failed", "not an image")
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "bad\\xff name.png" in page  # as the command's lines and the reports show it
    assert 'href="bad%FF%20name.png"' in page


@needs_chromium
def test_chromium_draws_transparent_thumbnails_over_a_checkerboard(tmp_path):
    clear = np.zeros((60, 60, 4), np.uint8)  # fully transparent: only the backdrop shows
    Image.fromarray(clear, "RGBA").save(tmp_path / "clear.png")
    result = FileResult(tmp_path / "clear.png", None, "skipped", "output exists")
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce")
    # the page's background but white, and no table background, so a checkerboard stands out
    page = (tmp_path / "r.html").read_text().replace("</style>",
                                                      "body,table{background:#fff}</style>")
    (tmp_path / "r.html").write_text(page)
    shot = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=800,400",
             (tmp_path / "r.html").as_uri())
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    grey = (np.abs(pixels - 0xCC).max(axis=2) <= 2).sum()
    assert grey >= 60 * 60 // 3  # about half of the 60 x 60 thumbnail


def test_files_of_one_name_in_two_folders_are_told_apart(tmp_path):
    for folder in ("2023", "2024"):
        (tmp_path / "in" / folder).mkdir(parents=True)
        Image.fromarray(quadrants()).save(tmp_path / "in" / folder / "img.png")
    results = [FileResult(tmp_path / "in" / "2023" / "img.png", None, "skipped", "output exists"),
               FileResult(tmp_path / "in" / "2024" / "img.png", None, "failed", BROKEN_REASON)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    root = parse((tmp_path / "r.html").read_text())
    links = [row.children[0].children[0].all_text() for row in file_rows(root)]
    assert links == ["2023/img.png", "2024/img.png"]  # relative to the inputs' common folder
    assert [li.all_text() for li in root.iter("li")] == [f"2024/img.png: {BROKEN_REASON}"]
    assert [row.attrs["data-name"] for row in file_rows(root)] == ["0", "1"]  # their order


def test_links_follow_the_report_path_as_given_not_its_real_folder(tmp_path):
    import os

    (tmp_path / "in").mkdir()
    Image.fromarray(quadrants()).save(tmp_path / "in" / "a.png")
    (tmp_path / "disk" / "deep" / "pages").mkdir(parents=True)
    (tmp_path / "pages").symlink_to(tmp_path / "disk" / "deep" / "pages")
    result = FileResult(tmp_path / "in" / "a.png", None, "skipped", "output exists")
    report = tmp_path / "pages" / "r.html"  # opened as file://.../pages/r.html
    write_html_report(report, [result], summary_of([result]), mode="reduce")
    href = next(parse(report.read_text()).iter("a")).attrs["href"]
    assert href == "../in/a.png"
    # a browser joins the link to the page's address, without following the symbolic link
    assert os.path.normpath(os.path.join(report.parent, href)) == str(tmp_path / "in" / "a.png")


@pytest.mark.parametrize("through", ["input", "output", "report"])
def test_links_open_the_files_named_through_a_link_and_dotdot(tmp_path, through):
    """``link/..`` (link -> real/sub) is real/ to the system; the page made it tmp/ (the
    ".." dropped with the link's name), and its links opened tmp/a.png, not real/a.png."""
    import os

    from quantize.names import absolute_path

    from .batch_support import link_to_sub

    folder = link_to_sub(tmp_path)  # real/a.png red, tmp/a.png blue, tmp/link/.. is real/
    real = tmp_path / "real"
    (real / "out").mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(real / "out" / "a.png")
    given = {name: (folder if name == through else real) for name in ("input", "output",
                                                                      "report")}
    result = FileResult(given["input"] / "a.png", given["output"] / "out" / "a.png", "ok", "",
                        {"removed_outputs": [str(given["output"] / "out" / "a.gif")]})
    report = given["report"] / "r.html"
    write_html_report(report, [result], summary_of([result]), mode="reduce")
    root = parse((real / "r.html").read_text())
    page = absolute_path(report.parent)  # where a browser opens it: tmp/real
    hrefs = [a.attrs["href"] for a in root.iter("a")]
    assert [os.path.normpath(os.path.join(page, href)) for href in hrefs] == [
        str(real / "a.png"), str(real / "out" / "a.png")]
    notes = [d.all_text() for d in root.iter("div") if "note" in d.classes()]
    assert notes == ["removed out/a.gif, made of this file under another name by an earlier "
                     "run"]
    assert "<title>quantize batch report (reduce): real</title>" in (real / "r.html").read_text()


@pytest.mark.parametrize("name, expected", [
    ("link/../a.png", "real/a.png"), ("link/x/../../a.png", "real/a.png"),
    ("link/a..b.png", "link/a..b.png"), ("link/..a/b../a.png", "link/..a/b../a.png"),
    ("link/./a.png", "link/a.png")])
def test_absolute_path_takes_from_a_links_target_only_a_whole_dotdot(tmp_path, name,
                                                                      expected):
    """Links' names are made absolute a few times a row: only a path with a part ".." is
    taken part by part (from the link's target); one with ".." inside a name is not."""
    from quantize.names import absolute_path

    from .batch_support import link_to_sub

    link_to_sub(tmp_path)  # tmp/link -> real/sub
    assert absolute_path(tmp_path / name) == str(tmp_path / expected)
    assert absolute_path(str(tmp_path / name)) == str(tmp_path / expected)


def test_outputs_an_earlier_run_made_are_named_from_the_reports_folder(tmp_path, monkeypatch):
    # recorded as the command was given them; the note read "removed out/x.gif" on a page
    # in out/, where the links say "x.png"
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    record = {"removed_outputs": ["out/x.gif"],
              "outputs_not_removed": {"out/sub/x.webp": "it changed since that run"}}
    results = [FileResult(Path("in/x.gif"), Path("out/x.png"), "ok", "", record)]
    write_html_report("out/r.html", results, summary_of(results), mode="reduce")
    notes = [d.all_text() for d in parse(Path("out/r.html").read_text()).iter("div")
             if "note" in d.classes()]
    assert notes == ["removed x.gif, made of this file under another name by an earlier run",
                     "warning: sub/x.webp, made of this file under another name by an earlier "
                     "run, is left in place: it changed since that run"]



@pytest.mark.parametrize(("shape", "shown"), [
    ((25, 14), ("126", "225")),  # a tiny sprite: shown 9 times larger, pixels kept sharp
    ((80, 60), ("180", "240")),
    ((150, 200), None),  # more than half the thumbnail size: as it is
])
def test_tiny_images_are_shown_enlarged_by_a_whole_factor(tmp_path, shape, shown):
    Image.fromarray(quadrants(*shape)).save(tmp_path / "a.png")
    Image.fromarray(quadrants(*shape)).quantize(4).save(tmp_path / "b.png")
    result = FileResult(tmp_path / "a.png", tmp_path / "b.png", "ok", "", {"k": 4})
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce")
    for img in parse((tmp_path / "r.html").read_text()).iter("img"):
        assert decode_data_uri(img.attrs["src"]).size == shape[::-1]  # embedded as they are
        if shown is None:
            assert "width" not in img.attrs and "enlarged" not in img.attrs.get("class", "")
        else:
            assert (img.attrs["width"], img.attrs["height"]) == shown
            assert img.attrs["class"] == "enlarged"
    assert "img.enlarged{image-rendering:pixelated}" in (tmp_path / "r.html").read_text()


def test_thumbnails_shown_enlarged_are_the_images_pixels_not_a_jpeg(tmp_path, rng):
    noise = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)  # a JPEG's worst case
    Image.fromarray(noise).save(tmp_path / "small.png")
    big = np.repeat(np.repeat(noise, 4, axis=0), 4, axis=1)[:150]  # 150 x 160: shown 1:1
    Image.fromarray(big).save(tmp_path / "big.png")
    results = [FileResult(tmp_path / f"{name}.png", None, "skipped", "output exists")
               for name in ("small", "big")]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    large, small = (img.attrs["src"] for img in parse((tmp_path / "r.html").read_text()).iter(
        "img"))  # rows by name: big.png first
    assert small.startswith("data:image/png;") and large.startswith("data:image/jpeg;")
    assert np.array_equal(np.asarray(decode_data_uri(small).convert("RGB")), noise)


def test_enlarged_thumbnails_stay_within_the_size_the_page_shows(tmp_path):
    Image.fromarray(quadrants(25, 14)).save(tmp_path / "a.png")
    result = FileResult(tmp_path / "a.png", None, "skipped", "output exists")
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce",
                      thumb_size=480)  # embedded up to 480 px, shown up to 240
    img = next(parse((tmp_path / "r.html").read_text()).iter("img"))
    assert (img.attrs["width"], img.attrs["height"]) == ("126", "225")


def test_rows_are_in_the_order_of_the_input_paths_not_of_completion(tmp_path):
    names = ["b.png", "sub/a.png", "A.png", "c.png"]  # as the workers finished them
    results = [FileResult(tmp_path / name, None, "failed", BROKEN_REASON) for name in names]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    root = parse((tmp_path / "r.html").read_text())
    rows = file_rows(root)
    assert [row.children[0].children[0].all_text() for row in rows] == [
        "A.png", "b.png", "c.png", "sub/a.png"]
    assert [row.attrs["id"] for row in rows] == ["file-2", "file-0", "file-3", "file-1"]
    targets = [a.attrs["href"] for li in root.iter("li") for a in li.iter("a")]
    assert targets == ["#file-2", "#file-0", "#file-3", "#file-1"]  # the list in that order too


#: File names as a batch may finish them, and their natural order: digit runs as numbers,
#: case ignored, then the exact name.
_NAMES = ["img 10.png", "img 9.png", "IMG 9.png", "img.png", "img 2b.png", "img 010.png"]
_NATURAL = ["img 2b.png", "IMG 9.png", "img 9.png", "img 010.png", "img 10.png", "img.png"]


def test_rows_are_in_the_natural_order_of_the_names(tmp_path):
    # "img 10.png" came before "img 9.png", as plain text sorts them
    results = [FileResult(tmp_path / name, None, "failed", BROKEN_REASON) for name in _NAMES]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    rows = file_rows(parse((tmp_path / "r.html").read_text()))
    assert [row.children[0].children[0].all_text() for row in rows] == _NATURAL
    assert [row.attrs["data-name"] for row in rows] == [str(i) for i in range(len(_NAMES))]


def test_names_with_control_characters_or_reordering_marks_are_shown_escaped(tmp_path):
    # A newline showed as a space ("nl x.png", like a file of that name) and U+202E turned
    # the rest of the name around ("x\u202egnp.exe" read "xexe.png"); links keep the bytes.
    names = ["nl\nx.png", "x\u202egnp.exe", "esc\x1b.png", "\u05e9\u05dc\u05d5\u05dd.png"]
    results = [FileResult(tmp_path / "in" / n, tmp_path / "out" / n, "failed", "not an image")
               for n in names]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    root = parse((tmp_path / "r.html").read_text(encoding="utf-8"))
    links = [(a.attrs["href"], a.all_text()) for a in root.iter("a")
             if a.attrs["href"].startswith("in/")]
    assert sorted(links) == sorted([("in/nl%0Ax.png", "nl\\nx.png"),
                                    ("in/x%E2%80%AEgnp.exe", "x\\u202egnp.exe"),
                                    ("in/esc%1B.png", "esc\\x1b.png"),
                                    ("in/%D7%A9%D7%9C%D7%95%D7%9D.png", names[3])])
    assert [li.all_text() for li in root.iter("li")] == [
        "esc\\x1b.png: not an image", "nl\\nx.png: not an image",
        "x\\u202egnp.exe: not an image", f"{names[3]}: not an image"]


def test_names_inside_reasons_and_warnings_are_shown_escaped_too(tmp_path):
    # A reason naming a file (the stale output a failed file leaves in place) was shown as
    # it is: U+202E turned the rest of the reason around, a newline showed as a space.
    stale = "out/x\u202egnp.png"
    reason = f"not an image; its output {stale}, made by an earlier run, is left in place"
    shown = "not an image; its output out/x\\u202egnp.png, made by an earlier run, is left in place"
    results = [FileResult(tmp_path / "in" / "a.png", tmp_path / stale, "failed", reason,
                          {"stale_output": True}),
               FileResult(tmp_path / "in" / "b.png", None, "skipped", "named\npipe.png: a FIFO"),
               FileResult(tmp_path / "in" / "c.png", tmp_path / "out" / "c.png", "ok", "",
                          {"k": 2, "warnings": ["see\nx\u202e.png"]})]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "\u202e" not in page
    root = parse(page)
    assert [li.all_text() for li in root.iter("li")] == [f"a.png: {shown}"]
    cells = [td.all_text() for td in root.iter("td")
             if {"reason", "missing"} & set(td.classes())]
    assert cells == [f"failed: {shown}", "skipped: named\\npipe.png: a FIFO"]
    notes = [div.all_text() for div in root.iter("div") if "note" in div.classes()]
    assert notes == ["warning: see\\nx\\u202e.png"]


def _seen(dom) -> tuple[list[str], dict[str, str], bool]:
    """The names of the rows shown (not hidden), in order; the filter's buttons with
    whether each is pressed; whether the filter is hidden."""
    rows = [row.children[0].children[0].all_text() for row in file_rows(dom)
            if "hidden" not in row.attrs]
    (group,) = [div for div in dom.iter("div") if "filter" in div.classes()]
    pressed = {b.attrs["data-show"]: b.attrs["aria-pressed"] for b in group.iter("button")}
    return rows, pressed, "hidden" in group.attrs


@needs_chromium
def test_chromium_shows_only_the_rows_of_the_status_pressed_and_keeps_it_in_the_address(
        tmp_path):
    report = _every_status(tmp_path)
    pressed = with_script(report, "pressed.html", (
        'document.querySelector(".filter button[data-show=failed]").click();'
        'document.querySelector(".filter button[data-show=not-reached]").click();'
        # written sorted by name: pressed twice, sorted by name ascending again
        'document.querySelector("th[data-key=name] button").click();'
        'document.querySelector("th[data-key=name] button").click();'
        'document.body.setAttribute("data-hash", location.hash);'))
    dom = parse(chromium(tmp_path, "--dump-dom", pressed.as_uri()).stdout)
    assert _seen(dom) == (["e.png", "f.png"], {"": "false", "ok": "false", "skipped": "false",
                                                "failed": "false", "not-reached": "true"},
                          False)
    (body,) = dom.iter("body")
    assert body.attrs["data-hash"] == "#sort=name&show=not-reached"  # what a reload opens
    # opened from such an address: filtered and sorted; "all" shows every row again
    dom = parse(chromium(tmp_path, "--dump-dom", report.as_uri() + "#sort=-psnr&show=ok").stdout)
    assert _seen(dom)[:2] == (["b.png", "a.png"], {"": "false", "ok": "true",
                                                  "skipped": "false", "failed": "false",
                                                  "not-reached": "false"})
    everything = with_script(report, "all.html", (
        'document.querySelector(".filter button[data-show=ok]").click();'
        'document.querySelector(".filter button[data-show=\'\']").click();'))
    dom = parse(chromium(tmp_path, "--dump-dom", everything.as_uri()).stdout)
    assert _seen(dom)[0] == ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"]


@needs_chromium
def test_chromium_shows_the_sub_folders_apart_from_the_skipped_and_failed_files(tmp_path):
    # "skipped" showed the folder not searched with the skipped file; there was no button
    # for the folders alone, and "#show=folder-skipped" showed every row
    report = _with_folders(tmp_path)
    pressed = with_script(report, "pressed.html", (
        'document.querySelector(".filter button[data-show=folder-skipped]").click();'
        'document.body.setAttribute("data-hash", location.hash);'))
    dom = parse(chromium(tmp_path, "--dump-dom", pressed.as_uri()).stdout)
    assert _seen(dom) == (["c.segments"], {"": "false", "ok": "false", "skipped": "false",
                                           "folder-skipped": "true", "folder-failed": "false"},
                          False)
    assert next(dom.iter("body")).attrs["data-hash"] == "#show=folder-skipped"
    shown = {show: _seen(parse(chromium(tmp_path, "--dump-dom",
                                        f"{report.as_uri()}#show={show}").stdout))[0]
             for show in ("skipped", "folder-failed")}
    assert shown == {"skipped": ["b.png"], "folder-failed": ["d"]}


@needs_chromium
def test_chromium_shows_a_listed_failure_the_filter_hid_when_its_link_is_followed(tmp_path):
    followed = with_script(_every_status(tmp_path), "followed.html", (
        'document.querySelector(".filter button[data-show=ok]").click();'
        'document.querySelector(".failures a").click();'))
    dom = parse(chromium(tmp_path, "--dump-dom", followed.as_uri()).stdout)
    rows, pressed, _ = _seen(dom)
    assert "d.png" in rows and len(rows) == 6 and pressed[""] == "true"


@needs_chromium
@pytest.mark.parametrize("flags, background, pressed", [
    ((), (0xfa, 0xfa, 0xfa), (0xdb, 0xe7, 0xf7)),
    (("--force-dark-mode",), (0x18, 0x18, 0x18), (0x26, 0x38, 0x4f))])
def test_chromium_draws_the_pressed_filter_button_in_the_pages_colours(tmp_path, flags,
                                                                        background, pressed):
    shot = tmp_path / "shot.png"
    chromium(tmp_path, *flags, f"--screenshot={shot}", "--window-size=800,400",
             _every_status(tmp_path).as_uri() + "#show=failed")
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert tuple(pixels[5, 5]) == background
    assert (np.abs(pixels - pressed).max(axis=2) <= 2).sum() > 300  # the "failed (1)" button


def test_the_bytes_cell_wraps_only_after_its_arrow(tmp_path):
    # "1,234,567 →" and "89,012" are each kept whole: the cell broke before the arrow or
    # after it, as the column's width fell
    from quantize.report.assets import STYLE

    record = {"k": 2, "psnr": 31.25, "delta_e": 1.5, "bytes_in": 1234567, "bytes_out": 89012}
    results = [FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "", record)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    [cell] = [td for td in file_rows(parse((tmp_path / "r.html").read_text())).pop().iter("td")
              if "bytes" in td.classes()]
    assert [p if isinstance(p, str) else (p.tag, p.all_text()) for p in cell.parts] == [
        ("span", "1,234,567 →"), " ", ("span", "89,012")]
    assert "td.bytes span{white-space:nowrap}" in STYLE


def test_the_summary_line_wraps_its_bytes_only_after_the_arrow(tmp_path):
    # "124,807,274 -> 1,378,673 bytes (1.1%)" broke before the arrow at some widths and
    # after it at others; kept as the bytes cells keep it: "1,234,567 →" and
    # "89,012 bytes (7.2%)" are each whole, the only break between them after the arrow
    from quantize.report.assets import STYLE

    record = {"k": 2, "psnr": 31.25, "delta_e": 1.5, "bytes_in": 1234567, "bytes_out": 89012}
    results = [FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "", record)]
    write_html_report(tmp_path / "r.html", results, summary_of(results), mode="reduce")
    (line,) = [p for p in parse((tmp_path / "r.html").read_text()).iter("p")
               if "summary" in p.classes()]
    assert [p if isinstance(p, str) else (p.tag, p.all_text()) for p in line.parts] == [
        "reduce: 1 file\xa0· 1 ok\xa0· 0 skipped\xa0· 0 failed\xa0· 1.5 s\xa0· ",
        ("span", "1,234,567 →"), " ", ("span", "89,012 bytes (7.2%)"),
        " for the 1 file with an output"]
    assert ".summary span{white-space:nowrap}" in STYLE


@needs_chromium
def test_chromium_breaks_the_command_line_between_arguments_only(batch):
    # a narrow window broke it after a hyphen, showing "... -k 16 -" and "-html out/..."
    results, tmp = batch
    report = tmp / "report.html"
    command = ("quantize batch photos -o out -k 16 --html out/index.html --report out/r.csv "
               "--remove-orphans --skip-if-larger --exact-colors --max-pixels 1000000 "
               "--palette per-frame --dither=0.5 --seed 7")
    write_html_report(report, results, summary_of(results), mode="reduce", command=command)
    measured = with_script(report, "measured.html", (
        'window.addEventListener("load", function () {'
        'var code = document.querySelector(".made code"), nodes = [], walk = '
        'document.createTreeWalker(code, NodeFilter.SHOW_TEXT), node, at = 0;'
        'while ((node = walk.nextNode())) { nodes.push([node, at]); at += node.length; }'
        'function place(i) { for (var j = nodes.length - 1; j >= 0; j--) {'
        'if (nodes[j][1] <= i) { return [nodes[j][0], i - nodes[j][1]]; } } }'
        'var lines = new Set(), broken = [], start = 0;'
        'code.textContent.split(" ").forEach(function (word) {'
        'var range = document.createRange(), a = place(start), b = place(start + word.length);'
        'if (b[1] === 0 && word.length) { b = [a[0], a[1] + word.length]; }'
        'range.setStart(a[0], a[1]); range.setEnd(b[0], b[1]);'
        'var tops = new Set(Array.from(range.getClientRects()).filter(function (r) {'
        'return r.width > 0; }).map(function (r) { return Math.round(r.top); }));'
        'tops.forEach(function (t) { lines.add(t); });'
        'if (tops.size > 1) { broken.push(word); } start += word.length + 1; });'
        'document.body.setAttribute("data-seen", JSON.stringify([lines.size, broken])); });'))
    dom = parse(chromium(tmp, "--window-size=500,900", "--dump-dom", measured.as_uri()).stdout)
    (body,) = dom.iter("body")
    lines, broken = json.loads(body.attrs["data-seen"])
    assert lines > 1  # the window is narrow enough to break it
    assert broken == []


def test_a_page_of_many_rows_is_written_row_by_row_not_held_whole(tmp_path):
    """A rerun's page takes its thumbnails from the page it replaces and writes its rows as
    it makes them: the memory it needs stays within a few times the page's size (joined
    first, 4,000 rows of small images held a 36 MB page whole seven or eight times)."""
    import tracemalloc

    from quantize.batch import BatchSummary

    rng = np.random.default_rng(0)
    results = []
    for i in range(150):  # noise: each thumbnail is the image itself, about 9 kB of base64
        path = tmp_path / f"img{i:03d}.png"
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(path)
        results.append(FileResult(path, None, "failed", "not reduced"))
    summary = BatchSummary(total=150, failed=150)
    page = tmp_path / "report.html"
    write_html_report(page, results, summary, mode="reduce")
    first = page.read_bytes()
    tracemalloc.start()
    try:
        write_html_report(page, results, summary, mode="reduce")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = page.stat().st_size
    assert size > 1_000_000 and page.read_text(encoding="utf-8").count('<tr id="file-') == 150
    assert _without_time(page.read_bytes()) == _without_time(first)  # the same page again
    assert peak < 4 * size


def _without_time(page: bytes) -> bytes:
    return re.sub(rb"<time [^<]*</time>", b"", page)


def test_a_stopped_runs_unsettled_files_are_one_sequence_of_the_reports_rows(tmp_path,
                                                                              monkeypatch):
    """Given as one ``unsettled`` sequence, whose rows (with their reasons) the JSON and CSV
    reports write, the three kinds of files a stopped run left unsettled give the page the
    rows, counts and filter that the three keywords it replaced gave it (which still do,
    each with a warning), byte for byte; the name cell shows no reason."""
    from datetime import UTC, datetime

    from quantize.batch import BatchSummary, Unsettled
    from quantize.report import page

    class Fixed(datetime):  # the page's time, the same for both
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    monkeypatch.setattr(page, "datetime", Fixed)
    results = [FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "failed", "not an image")]
    summary = BatchSummary(total=5, failed=1, seconds=1.5, interrupted=True)
    write_html_report(tmp_path / "new.html", results, summary, mode="reduce", unsettled=[
        Unsettled(tmp_path / "img 10.png", "not reached"),
        Unsettled(tmp_path / "img 9.png", "abandoned"),
        Unsettled(tmp_path / "c.png", "finished unrecorded", tmp_path / "out" / "c.png")])
    with pytest.warns(DeprecationWarning) as caught:
        write_html_report(tmp_path / "old.html", results, summary, mode="reduce",
                          not_reached=[tmp_path / "img 10.png"],
                          abandoned=[tmp_path / "img 9.png"],
                          unrecorded=[(tmp_path / "c.png", tmp_path / "out" / "c.png")])
    assert [str(w.message).split("=")[0] for w in caught] == [
        "write_html_report(not_reached", "write_html_report(abandoned",
        "write_html_report(unrecorded"]
    assert {w.filename for w in caught} == {__file__}
    text = (tmp_path / "new.html").read_text(encoding="utf-8")
    assert text == (tmp_path / "old.html").read_text(encoding="utf-8")
    no_before = '<td class="thumb"><span class="missing">no before image</span></td>'
    rows = [line for line in text.splitlines() if line.startswith("<tr id=")]
    assert rows[1:] == [
        '<tr id="file-3" class="file finished-unrecorded" data-name="1">'
        '<th scope="row" class="name">'
        '<a href="c.png">c.png</a><div class="out">→ <a href="out/c.png">c.png</a></div>'
        f'<div class="status">finished unrecorded</div></th>{no_before}<td class="thumb">'
        '<span class="missing">no after image</span></td><td class="missing" colspan="7">'
        '<b>finished unrecorded:</b> its output was finished as the run stopped, and is left '
        'in place, unrecorded (the next run makes it again)</td></tr>',
        '<tr id="file-2" class="file abandoned" data-name="2">'
        '<th scope="row" class="name">'
        '<a href="img%209.png">img 9.png</a><div class="status">abandoned</div></th>'
        f'{no_before}<td class="thumb"></td><td class="missing" colspan="7"><b>abandoned:</b> '
        'the run was interrupted again while it made this file (rerun the command to make '
        'it)</td></tr>',
        '<tr id="file-1" class="file not-reached" data-name="3">'
        '<th scope="row" class="name">'
        '<a href="img%2010.png">img 10.png</a><div class="status">not reached</div></th>'
        f'{no_before}<td class="thumb"></td><td class="missing" colspan="7"><b>not reached:'
        '</b> the run stopped before this file (rerun the command to finish)</td></tr>']
    assert ('<p class="summary">reduce: 5 files\N{NO-BREAK SPACE}· 0 ok\N{NO-BREAK SPACE}· '
            '0 skipped\N{NO-BREAK SPACE}· 1 failed\N{NO-BREAK SPACE}· 1.5 s\N{NO-BREAK SPACE}'
            '· interrupted before the end: 2 not reached, 1 of them in no row, 1 abandoned, '
            '1 finished unrecorded (rerun the command to finish)</p>') in text
    (group,) = [div for div in parse(text).iter("div") if "filter" in div.classes()]
    assert [b.all_text() for b in group.iter("button")] == [
        "all (4)", "failed (1)", "not reached (1)", "abandoned (1)", "finished unrecorded (1)"]
