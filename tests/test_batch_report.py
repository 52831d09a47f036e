"""quantize.batch.report: JSON and CSV reports."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from quantize import batch
from quantize.batch.results import LARGER
from quantize.errors import ExitCode

from .fs_support import symlink_or_skip
from .manual_support import manual_text


def _results(tmp_path):
    return [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "",
                             {"k": 16, "psnr": 31.5, "seconds": 0.2, "n_regions": 3,
                              "palette": [{"hex": "#ff0000", "alpha": 255, "share": 1.0}]}),
            batch.FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "failed", "not an image",
                             exit_code=ExitCode.FAILED)]


def test_json_report_has_the_summary_and_every_file(tmp_path):
    summary = batch.BatchSummary(total=2, ok=1, failed=1, seconds=1.5)
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"] == {"total": 2, "ok": 1, "redone": 0, "larger_written": 0,
                               "skipped": 0, "larger": 0,
                               "stale": 0, "edited_larger": 0, "failed": 1, "failed_stale": 0,
                               "folders_skipped": 0, "folders_failed": 0, "seconds": 1.5,
                               "interrupted": False, "interrupted_by": None,
                               "abandoned": 0, "finished_unrecorded": 0,
                               "files_left_out": 0, "left_out_extensions": [],
                               "folders_not_entered": 0, "hidden_files_left_out": 0,
                               "unclaimed": 0, "unfinished": 0, "removed": 0,
                               "removed_unfinished": 0, "with_output": 0, "bytes_in": 0,
                               "bytes_out": 0, "fewer_colors": 0}
    assert data["removed"] == []
    assert data["files"][0]["psnr"] == 31.5 and data["files"][1]["reason"] == "not an image"
    assert data["files"][0]["palette"][0]["hex"] == "#ff0000"


def test_files_abandoned_mid_way_have_rows_of_their_own_status_and_a_count(tmp_path):
    """A file a second interrupt abandoned while it ran had no way to be told from one the
    run never started: both were given as not reached."""
    summary = batch.BatchSummary(total=5, ok=1, failed=1, interrupted=True)
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary,
                       not_reached=[tmp_path / "z.png"],
                       abandoned=[tmp_path / "c.png", tmp_path / "0.png"])
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["abandoned"] == 2
    assert [(Path(r["input"]).name, r["status"]) for r in data["files"]] == [
        ("0.png", "abandoned"), ("a.jpg", "ok"), ("b.jpg", "failed"), ("c.png", "abandoned"),
        ("z.png", "not reached")]
    assert data["files"][0] == batch.report_row(batch.abandoned_row(tmp_path / "0.png"))


@pytest.mark.parametrize("name", ["r.json", "r.csv"])
def test_files_finished_unrecorded_have_rows_with_their_outputs_and_a_count(tmp_path, name):
    """An output another worker finished as an error stopped the run is left in place; its
    file's row said "not reached", with no output."""
    summary = batch.BatchSummary(total=4, ok=1, failed=1)
    batch.write_report(tmp_path / name, _results(tmp_path), summary,
                       not_reached=[tmp_path / "d.png"],
                       unrecorded=[(tmp_path / "c.png", tmp_path / "out" / "c.png")])
    if name == "r.json":
        data = json.loads((tmp_path / name).read_text())
        rows = data["files"]
        assert (data["summary"]["finished_unrecorded"], data["summary"]["abandoned"]) == (1, 0)
    else:
        with open(tmp_path / name, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    assert [(Path(r["input"]).name, r["status"]) for r in rows] == [
        ("a.jpg", "ok"), ("b.jpg", "failed"), ("c.png", "finished unrecorded"),
        ("d.png", "not reached")]
    assert {k: rows[2][k] for k in ("input", "output", "status", "reason")} == {
        "input": str(tmp_path / "c.png"), "output": str(tmp_path / "out" / "c.png"),
        "status": "finished unrecorded",
        "reason": "its output was finished as the run stopped, before it was recorded, and is "
                  "left in place, unrecorded; the next run makes it again"}


def test_json_report_summary_says_what_interrupted_the_batch_when_told(tmp_path):
    # After SIGTERM it said "interrupted": true, as after Ctrl-C, not by what.
    summary = batch.BatchSummary(total=3, ok=1, failed=1, interrupted=True,
                                 interrupted_by="SIGTERM")
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary)
    data = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert (data["interrupted"], data["interrupted_by"]) == (True, "SIGTERM")


def test_json_report_summary_counts_the_files_skipped_as_larger_as_the_line_does(tmp_path):
    # The summary line said "1 skipped (1 larger than the input, 1 of them with a stale
    # output kept)", and the report's summary only "skipped": 1.
    summary = batch.BatchSummary(total=2)
    summary.add(batch.FileResult.larger(tmp_path / "a.png", tmp_path / "out" / "a.png",
                                        {"larger_than_input": "result is larger",
                                         "stale_output": True}))
    summary.add(batch.FileResult(tmp_path / "b.png", tmp_path / "out" / "b.png", "ok", ""))
    batch.write_report(tmp_path / "r.json", [], summary)
    counts = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert {key: counts[key] for key in ("ok", "skipped", "larger", "stale", "failed")} == {
        "ok": 1, "skipped": 1, "larger": 1, "stale": 1, "failed": 0}


def test_json_report_summary_counts_the_outputs_left_in_place_as_the_line_does(tmp_path):
    # The summary line and the page said "2 outputs of files not among the inputs left in
    # place"; the JSON report's summary had no count of them.
    summary = batch.BatchSummary(total=2, ok=1, failed=1)
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary, unclaimed=3,
                       unfinished=1)
    counts = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert (counts["unclaimed"], counts["unfinished"]) == (3, 1)


def test_json_report_summary_counts_what_the_search_passed_over_as_the_line_does(tmp_path):
    # The summary line said "3 files left out (.heic, .svg, no extension: not images
    # quantize reads), 1 folder not entered (use -r)"; the report's summary said nothing.
    summary = batch.BatchSummary(total=2, ok=1, failed=1)
    passed = [tmp_path / "x.HEIC", tmp_path / "notes", tmp_path / "y.svg", tmp_path / "z.heic"]
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary, passed_over=passed,
                       not_entered=2)
    counts = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert {key: counts[key] for key in ("files_left_out", "left_out_extensions",
                                         "folders_not_entered")} == {
        "files_left_out": 4, "left_out_extensions": ["", ".heic", ".svg"],
        "folders_not_entered": 2}
    assert batch.passed_over_counts(passed, 2) == [
        "4 files left out (.heic, .svg, no extension: not images quantize reads), 2 folders "
        "not entered (use -r)"]


def test_json_report_summary_counts_the_hidden_files_left_out_as_the_line_does(tmp_path):
    """A hidden image (..png, .thumb.png) was left out without a word, where a file of
    another extension is counted."""
    summary = batch.BatchSummary(total=2, ok=1, failed=1)
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary, hidden=3)
    assert json.loads((tmp_path / "r.json").read_text())["summary"][
        "hidden_files_left_out"] == 3
    assert batch.passed_over_counts([tmp_path / "x.svg"], 1, 1) == [
        "1 file left out (.svg: not images quantize reads), 1 hidden file left out (names "
        "starting with '.'), 1 folder not entered (use -r)"]
    with pytest.raises(ValueError, match="hidden=-1"):
        batch.write_report(tmp_path / "s.json", _results(tmp_path), summary, hidden=-1)
    with pytest.raises(ValueError, match="^not_entered=-1 "):
        batch.write_report(tmp_path / "r2.json", [], summary, not_entered=-1)
    assert not (tmp_path / "r2.json").exists()


def test_json_report_counts_and_lists_the_outputs_removed(tmp_path):
    # --remove-orphans printed each output it removed; the report neither counted nor
    # listed them
    out = tmp_path / "out"
    removed = [batch.RemovedOutput(out / "z.png"), batch.RemovedOutput(out / "b", True),
               batch.RemovedOutput(out / "c", folder_left=True)]
    batch.write_report(tmp_path / "r.json", _results(tmp_path), batch.BatchSummary(total=2),
                       unclaimed=1, removed=removed)
    data = json.loads((tmp_path / "r.json").read_text())
    counts = data["summary"]
    assert [counts[key] for key in ("unclaimed", "unfinished", "removed",
                                    "removed_unfinished")] == [1, 0, 3, 1]
    assert data["removed"] == [  # by path
        {"output": str(out / "b"), "unfinished": True, "folder_left": False},
        {"output": str(out / "c"), "unfinished": False, "folder_left": True},
        {"output": str(out / "z.png"), "unfinished": False, "folder_left": False}]
    assert len(data["files"]) == 2  # in no row


def test_a_csv_report_has_no_row_of_an_output_removed(tmp_path):
    removed = [batch.RemovedOutput(tmp_path / "out" / "z.png")]
    batch.write_report(tmp_path / "r.csv", _results(tmp_path), batch.BatchSummary(total=2),
                       removed=removed)
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 3 and "z.png" not in text


def test_report_refuses_an_output_removed_given_as_a_path(tmp_path):
    with pytest.raises(TypeError, match=r"^removed\[0\]='out/x.png' should be a RemovedOutput, "
                                        r"got str$"):
        batch.write_report(tmp_path / "r.json", [], batch.BatchSummary(total=0),
                           removed=["out/x.png"])
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(("left", "error", "match"), [
    ({"unclaimed": -1}, ValueError, r"^unclaimed=-1 should be >= 0$"),
    ({"unclaimed": 1, "unfinished": 2}, ValueError, r"^unfinished=2 should be <= 1$"),
    ({"unclaimed": 1.0}, TypeError, r"^unclaimed=1.0 should be an integer, got float$"),
])
def test_report_refuses_bad_counts_of_outputs_left_in_place(tmp_path, left, error, match):
    with pytest.raises(error, match=match):
        batch.write_report(tmp_path / "r.json", [], batch.BatchSummary(total=0), **left)
    assert not (tmp_path / "r.json").exists()


#: The columns of every CSV report of reduce mode, in order.
_REDUCE_CSV_COLUMNS = [
    *batch.REPORT_COLUMNS, "alpha_thresholded", "dither", "edited_larger_than_input",
    "exact_colors", "fewer_colors_than_asked", "folder_not_listed", "folder_not_searched",
    "frames", "larger_than_input", "left_out_of_shared_palette", "n_colors", "optimize",
    "optimized", "outputs_not_removed", "palette", "palette_in", "palette_mode", "quality",
    "removed_outputs", "removed_outputs_folders_left", "seed", "stale_output", "warnings",
    "skipped", "quality_limit", "quality_met", "max_bytes", "max_bytes_bound", "failure",
    # the options a job records only when given (and the no-data value used): null when not
    "palette_fitted", "matte", "fixed_colors", "strip", "keep_gps", "intent", "nodata",
    "nearest", "transparent_color",
    # then what set the k of a --quality search, added after them
    "quality_bound"]


def test_csv_report_has_the_fixed_columns_then_a_key_of_no_row(tmp_path):
    summary = batch.BatchSummary(total=2, ok=1, failed=1, seconds=1.5)
    batch.write_report(tmp_path / "r.csv", _results(tmp_path), summary)
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [*_REDUCE_CSV_COLUMNS, "n_regions"]  # no key of reduce's rows: last
    assert rows[2][2:4] == ["failed", "not an image"]
    palette = rows[0].index("palette")
    assert json.loads(rows[1][palette]) == [{"hex": "#ff0000", "alpha": 255, "share": 1.0}]


def test_csv_report_columns_are_the_same_whatever_the_rows_hold(tmp_path):
    """The columns after the first eleven were the keys the rows happened to hold: a
    report of failed files only had no 'palette' column, and 'skipped' moved, so that a
    script reading column N found another field from one run to the next."""
    failed = [batch.FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "failed", "not an "
                               "image", exit_code=ExitCode.FAILED)]
    done = [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "",
                             {"k": 2, "palette": [], "exact_colors": False})]
    headers = []
    for name, results in (("failed.csv", failed), ("done.csv", done)):
        batch.write_report(tmp_path / name, results, batch.BatchSummary(total=1))
        with open(tmp_path / name, newline="", encoding="utf-8-sig") as f:
            headers.append(next(csv.reader(f)))
    assert headers == [_REDUCE_CSV_COLUMNS, _REDUCE_CSV_COLUMNS]


def test_a_flag_not_set_is_false_in_the_reports(tmp_path):
    """stale_output, fewer_colors_than_asked, folder_not_searched and folder_not_listed were
    null for a file not flagged, as a value the file lacks: false, as the flag is not set."""
    flags = ("stale_output", "fewer_colors_than_asked", "folder_not_searched",
             "folder_not_listed")
    results = [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "", {"k": 2}),
               batch.FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "skipped", "larger",
                                {"stale_output": True})]
    batch.write_report(tmp_path / "r.json", results, batch.BatchSummary(total=2))
    files = json.loads((tmp_path / "r.json").read_text())["files"]
    assert [[row[flag] for flag in flags] for row in files] == [[False] * 4,
                                                                 [True, False, False, False]]
    assert files[0]["psnr"] is None  # a value the file has not: still null
    segment_row = batch.report_row({"input": "a.jpg", "status": "ok"}, "segment")
    assert [segment_row[flag] for flag in ("stale_output", "folder_not_searched",
                                           "folder_not_listed")] == [False] * 3


def test_csv_report_writes_booleans_as_the_readme_says(tmp_path):
    # Lists and objects are cells of JSON text; a boolean is not: True or False, not true.
    results = [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "",
                                {"exact_colors": False, "optimize": True}),
               batch.FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "skipped", "larger",
                                {"stale_output": True})]
    batch.write_report(tmp_path / "r.csv", results, batch.BatchSummary(total=2))
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [{key: row[key] for key in ("exact_colors", "optimize", "stale_output")}
            for row in rows] == [{"exact_colors": "False", "optimize": "True",
                                  "stale_output": "False"},
                                 {"exact_colors": "", "optimize": "", "stale_output": "True"}]
    readme = manual_text()
    assert "a boolean (`exact_colors`, `optimize`, `stale_output`) `True` or `False` (not " \
           "JSON's `true`)" in " ".join(readme.split())


def test_csv_report_of_segmentations_has_the_segment_columns(tmp_path):
    results = [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a", "ok", "",
                                {"n_regions": 3, "n_clusters": None, "clusters_used": None,
                                 "regions": 3, "width": 4, "height": 2, "space": "lab",
                                 "seconds": 0.25, "seed": 0})]
    summary = batch.BatchSummary(total=1, ok=1, seconds=0.5)
    batch.write_report(tmp_path / "r.csv", results, summary, mode="segment")
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [*batch.SEGMENT_REPORT_COLUMNS, "folder_not_listed",
                       "folder_not_searched", "min_region", "outdir", "outputs",
                       "outputs_not_removed", "removed_outputs",
                       "removed_outputs_folders_left", "seed", "stale_output", "warnings",
                       "weights", "skipped", "working_width", "working_height",
                       "min_region_share", "failure", "pages", "page_regions",
                       "superpixels", "smooth", "working_size", "classes_in", "stretch",
                       "stretch_clip", "stretch_range", "strip", "keep_gps", "intent",
                       "nodata", "stretch_curve", "stretch_softening"]
    assert rows[1] == [str(tmp_path / "a.jpg"), str(tmp_path / "a"), "ok", "", "3", "", "",
                       "3", "4", "2", "lab", "0.25", "False", "False", "", "", "", "", "",
                       "", "0", "False", "", "", "", "", "", "", "", "", "", *[""] * 13]
    with pytest.raises(ValueError, match="mode='segments' is not valid; expected one of"):
        batch.write_report(tmp_path / "r.csv", results, summary, mode="segments")


def test_report_extension_is_checked(tmp_path):
    with pytest.raises(ValueError, match=r"report=.*expected \.json or \.csv"):
        batch.check_report_path(tmp_path / "r.txt")
    with pytest.raises(ValueError, match=r"expected \.json or \.csv"):
        batch.write_report(tmp_path / "r.html", [], batch.BatchSummary(total=0))
    assert not (tmp_path / "r.html").exists()


def test_report_folder_must_exist_or_lie_inside_the_output(tmp_path):
    out = tmp_path / "out"
    assert batch.check_report_folder(tmp_path / "r.csv", "report", out) == tmp_path / "r.csv"
    inside = out / "a" / "b" / "index.html"
    assert batch.check_report_folder(inside, "html", out) == inside
    missing = tmp_path / "nodir" / "r.csv"
    with pytest.raises(ValueError) as err:
        batch.check_report_path(missing, output_dir=out)
    assert str(err.value) == (f"report={str(missing)!r}: folder {str(missing.parent)!r} does "
                              "not exist; expected an existing folder or one inside "
                              f"output_dir={str(out)!r}")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError) as err:  # it said "'.../file' is not a folder"
        batch.check_report_folder(tmp_path / "file" / "i.html", "html", out)
    assert str(err.value) == (f"html={str(tmp_path / 'file' / 'i.html')!r}: folder "
                              f"{str(tmp_path / 'file')!r} is a file; expected a folder")
    deeper = tmp_path / "file" / "sub" / "r.csv"
    with pytest.raises(ValueError) as err:  # it said that file/sub "does not exist"
        batch.check_report_folder(deeper, "report", out)
    assert str(err.value) == (f"report={str(deeper)!r}: folder {str(tmp_path / 'file')!r} is "
                              "a file; expected a folder")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(ValueError, match=r"report=.* is a folder; expected a file name"):
        batch.check_report_path(tmp_path / "d.csv", output_dir=out)


@pytest.mark.parametrize("name", ["r.csv/", "r.json/"])
def test_write_report_refuses_a_name_ending_in_a_slash(tmp_path, monkeypatch, name):
    """"r.csv/" names a folder; it wrote the file r.csv."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as err:
        batch.write_report(name, [], batch.BatchSummary(0))
    assert str(err.value) == (f"report={name!r} ends in '/', which names a folder; expected a "
                              "file name")
    assert list(tmp_path.iterdir()) == []


def test_a_report_folder_inside_the_output_is_found_through_a_link(tmp_path):
    # -o outlink (-> real): real/new/r.csv, a folder the batch makes in it, was refused
    (tmp_path / "real").mkdir()
    symlink_or_skip(tmp_path / "outlink", tmp_path / "real", to_folder=True)
    for out, report in [("outlink", "real/new/r.csv"), ("real", "outlink/new/r.csv")]:
        path = tmp_path / report
        assert batch.check_report_folder(path, "report", tmp_path / out) == path
    with pytest.raises(ValueError, match="does not exist; expected an existing folder"):
        batch.check_report_folder(tmp_path / "real2" / "r.csv", "report", tmp_path / "outlink")


def test_a_report_may_not_replace_an_output_of_the_batch(tmp_path):
    from PIL import Image

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    plan = batch.plan_batch(src, out, batch.segment_mode())
    marker = out / "a" / "segments.json"
    with pytest.raises(ValueError) as err:
        batch.check_report_clear_of_outputs(marker, "report", plan)
    assert str(err.value) == (f"report={str(marker)!r} lies in the output folder "
                              f"{str(out / 'a')!r} of the batch; expected a path no job writes")
    palette = out / batch.SHARED_PALETTE_NAME
    with pytest.raises(ValueError, match=r"^report=.* would overwrite the output .*shared-pal"):
        batch.check_report_clear_of_outputs(palette, "report", plan)
    batch.check_report_clear_of_outputs(out / "a.json", "report", plan)
    batch.check_report_clear_of_outputs(out / "index.html", "html", plan)


@pytest.mark.parametrize("mode", [batch.reduce_mode(), batch.segment_mode()],
                         ids=["reduce", "segment"])
def test_a_report_may_not_be_a_folder_the_outputs_are_mirrored_into(tmp_path, mode):
    # in/r.json/x.png is written to out/r.json/x.png (or out/r.json/x/): only the outputs
    # themselves were compared, and --report out/r.json was found a folder after every job.
    from PIL import Image

    src, out = tmp_path / "in", tmp_path / "out"
    (src / "r.json" / "deeper").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(src / "r.json" / "deeper" / "x.png")
    plan = batch.plan_batch(src, out, mode, recursive=True)
    output = plan.jobs[0].output
    for report in (out / "r.json", out / "r.json" / "deeper"):
        with pytest.raises(ValueError) as err:
            batch.check_report_clear_of_outputs(report, "report", plan)
        assert str(err.value) == (f"report={str(report)!r} is a folder the batch writes its "
                                  f"output {str(output)!r} into; expected a path no job writes")
    batch.check_report_clear_of_outputs(out / "r.json.csv", "report", plan)


def test_a_report_the_search_would_read_back_as_an_input_is_refused(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    page = src / "index.html"
    with pytest.raises(ValueError) as err:
        batch.check_report_not_an_input(page, "html", src, out, pattern="*")
    assert str(err.value) == (
        f"html={str(page)!r} would be read as an input by a rerun: it lies in "
        f"input_dir={str(src)!r} and pattern='*' selects it; expected a path outside the "
        "input folder, or a pattern that leaves it out")
    batch.check_report_not_an_input(page, "html", src, out)  # not an image extension
    batch.check_report_not_an_input(page, "html", src, out, pattern="*.jpg")
    batch.check_report_not_an_input(src / "out" / "r.json", "report", src, src / "out",
                                    recursive=True, pattern="*")  # in the output folder
    batch.check_report_not_an_input(page, "html", src, out, pattern="*",
                                    exclude_pattern="*.html")  # an exclude leaves it out
    with pytest.raises(ValueError) as err:
        batch.check_report_not_an_input(page, "html", src, out, pattern=["*.png", "*.html"],
                                        exclude_pattern="*.htm")
    assert "and pattern='*.png' pattern='*.html' selects it;" in str(err.value)


def test_a_file_name_that_is_not_utf8_is_written_escaped_in_valid_utf8(tmp_path):
    """The CSV held the raw byte (not UTF-8, though it starts with a UTF-8 mark) and the
    JSON a \\udcff escape; both now write it \\xff, as the command's lines show it."""
    import os

    name = os.fsdecode(b"bad\xff.png")
    results = [batch.FileResult(tmp_path / name, None, "failed", "not an image")]
    batch.write_report(tmp_path / "r.csv", results, batch.BatchSummary(total=1))
    batch.write_report(tmp_path / "r.json", results, batch.BatchSummary(total=1))
    shown = str(tmp_path) + "/bad\\xff.png"
    assert f"{shown}," in (tmp_path / "r.csv").read_bytes().decode("utf-8-sig")
    rows = json.loads((tmp_path / "r.json").read_bytes().decode("utf-8"))["files"]
    assert rows[0]["input"] == shown


@pytest.mark.parametrize("name", ["=HYPERLINK(1).png", "+cmd.png", "-2+3.png", "@SUM(1).png",
                                  "\tx.png", "\rx.png"])
def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(tmp_path, name):
    results = [batch.FileResult(tmp_path / "a.png", tmp_path / "b.png", "failed", name,
                                {"psnr": -1.5}),
               batch.FileResult(Path(name), Path(name), "ok")]
    batch.write_report(tmp_path / "r.csv", results, batch.BatchSummary(total=2))
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["reason"] == "'" + name and rows[0]["psnr"] == "-1.5"  # a number stays one
    assert rows[1]["input"] == rows[1]["output"] == "'" + name
    assert rows[0]["input"] == str(tmp_path / "a.png")
    batch.write_report(tmp_path / "r.json", results, batch.BatchSummary(total=2))
    assert json.loads((tmp_path / "r.json").read_text())["files"][1]["input"] == name


@pytest.mark.parametrize("name", ["a\rb.png", "a\nb.png", "a\r\nb.png", "a,\"b\".png"])
def test_a_csv_row_stays_one_row_whatever_the_file_name_holds(tmp_path, name):
    results = [batch.FileResult(tmp_path / name, tmp_path / "a.png", "ok", "", {"k": 4}),
               batch.FileResult(tmp_path / "c.png", None, "failed", "not an image")]
    batch.write_report(tmp_path / "r.csv", results, batch.BatchSummary(total=2))
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["input"], r["status"], r["k"]) for r in rows] == [
        (str(tmp_path / name), "ok", "4"), (str(tmp_path / "c.png"), "failed", "")]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_report_has_the_same_bytes_where_text_files_end_lines_in_crlf(tmp_path, monkeypatch,
                                                                       suffix):
    """On Windows a file written as text turns each "\\n" into "\\r\\n": a CSV's rows, which
    end in "\\r\\n", ended in "\\r\\r\\n", a blank row after each, and a JSON report no
    longer began as a rerun knows its own (refused as not a report). Simulated here by
    opening text files as Windows does."""
    results = [batch.FileResult(tmp_path / "a.png", tmp_path / "o.png", "ok", "", {"k": 4})]
    batch.write_report(tmp_path / f"unix{suffix}", results, batch.BatchSummary(total=1, ok=1))
    text_open = Path.open

    def windows_open(self, mode="r", buffering=-1, encoding=None, errors=None, newline=None):
        if "b" not in mode and newline is None:
            newline = "\r\n"
        return text_open(self, mode, buffering, encoding, errors, newline)

    monkeypatch.setattr(Path, "open", windows_open)
    batch.write_report(tmp_path / f"win{suffix}", results, batch.BatchSummary(total=1, ok=1))
    monkeypatch.undo()
    batch.check_report_replaceable(tmp_path / f"win{suffix}", "report")  # a rerun's own
    data = (tmp_path / f"win{suffix}").read_bytes()
    assert data == (tmp_path / f"unix{suffix}").read_bytes()
    if suffix == ".csv":
        assert data.count(b"\r\n") == 2 and b"\r\r" not in data


def test_a_csv_report_starts_with_a_byte_order_mark_for_spreadsheets(tmp_path):
    """Without it Excel read the UTF-8 file in the legacy code page: 'München.png' showed
    as 'MÃ¼nchen.png'. Readers that know the mark skip it, and a rerun still knows the
    file for its own report and replaces it."""
    results = [batch.FileResult(tmp_path / "München.png", tmp_path / "o.png", "ok", "",
                                {"k": 4})]
    batch.write_report(tmp_path / "r.csv", results, batch.BatchSummary(total=1, ok=1))
    data = (tmp_path / "r.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfinput,output,status,reason,")
    assert "München.png".encode() in data
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        [row] = list(csv.DictReader(f))
    assert (row["input"], row["k"]) == (str(tmp_path / "München.png"), "4")
    batch.check_report_replaceable(tmp_path / "r.csv", "report")  # its own: no error
    batch.write_report(tmp_path / "r.json", results, batch.BatchSummary(total=1, ok=1))
    assert (tmp_path / "r.json").read_bytes().startswith(b'{\n  "summary": ')  # no mark


def test_another_file_at_the_report_path_is_refused_naming_the_library_option(tmp_path):
    # From Python the way out is force=True (the command line shows it as --force).
    from quantize.batch.report import check_report_replaceable
    from quantize.errors import OutputExistsError

    notes = tmp_path / "notes.csv"
    notes.write_text("my,own,table\n")
    with pytest.raises(OutputExistsError) as err:
        check_report_replaceable(notes, "report")
    assert str(err.value) == (f"report={str(notes)!r} exists and is not a quantize batch report; "
                              "choose another path, or use force=True to replace it")
    check_report_replaceable(notes, "report", force=True)  # no error
    assert notes.read_text() == "my,own,table\n"


def test_a_link_to_nothing_at_the_report_path_is_refused_without_force(tmp_path):
    # It passed, and the report replaced the link; reduce -o refuses such a link.
    from quantize.batch.report import check_report_replaceable
    from quantize.errors import OutputExistsError

    link = tmp_path / "r.csv"
    symlink_or_skip(link, tmp_path / "gone" / "r.csv")
    with pytest.raises(OutputExistsError) as err:
        check_report_replaceable(link, "report")
    assert str(err.value) == (f"report={str(link)!r} is a link to "
                              f"{str(tmp_path / 'gone' / 'r.csv')!r}, which does not exist: "
                              "the report would be written there; choose another path, or "
                              "remove the link (force=True writes through it, and redoes "
                              "every file)")
    check_report_replaceable(link, "report", force=True)  # no error
    assert link.is_symlink()


def test_report_has_a_row_for_each_file_not_reached_in_the_natural_order(tmp_path):
    # an interrupted batch's files not reached had no row: only the summary's total said so
    results = [batch.FileResult(tmp_path / "img 9.png", tmp_path / "o" / "img 9.png", "ok",
                                "", {"k": 2}),
               batch.FileResult(tmp_path / "img 10.png", tmp_path / "o" / "img 10.png", "ok",
                                "", {"k": 4})]
    summary = batch.BatchSummary(total=4, ok=2, interrupted=True)
    batch.write_report(tmp_path / "r.json", results, summary,
                       not_reached=[tmp_path / "img 11.png", tmp_path / "img 1.png"])
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert [(Path(r["input"]).name, r["status"], r.get("k")) for r in rows] == [
        ("img 1.png", "not reached", None), ("img 9.png", "ok", 2), ("img 10.png", "ok", 4),
        ("img 11.png", "not reached", None)]
    assert rows[0] == batch.report_row(batch.not_reached_row(tmp_path / "img 1.png"))
    assert batch.not_reached_row(tmp_path / "img 1.png") == {
        "input": str(tmp_path / "img 1.png"), "output": None, "status": "not reached",
        "reason": "the run stopped before this file; rerun the same command to finish it"}


def test_a_report_named_through_a_link_and_dotdot_may_not_replace_an_output(tmp_path):
    """``link/../out/a.png`` (link -> real/sub) is ``real/out/a.png``: the check dropped
    ".." with the link's name, took it for ``out/a.png`` and let the report overwrite it."""
    from PIL import Image

    (tmp_path / "real" / "sub").mkdir(parents=True)
    symlink_or_skip(tmp_path / "link", tmp_path / "real" / "sub", to_folder=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "real" / "a.png")
    plan = batch.plan_batch(tmp_path / "real", tmp_path / "real" / "out", batch.reduce_mode())
    through = tmp_path / "link" / ".." / "out" / "a.png"
    with pytest.raises(ValueError) as err:
        batch.check_report_clear_of_outputs(through, "report", plan)
    assert str(err.value) == (f"report={str(through)!r} would overwrite the output "
                              f"{str(tmp_path / 'real' / 'out' / 'a.png')!r} of the batch; "
                              "expected a path no job writes")


@pytest.mark.parametrize("linked", ["output_dir", "report"])
def test_a_report_may_not_replace_an_output_when_one_is_named_through_a_link(tmp_path, linked):
    """-o outlink (outlink -> real) and --report real/a/segments.json, or the other way: the
    check compared the paths as given, and the report replaced the mark of a's finished
    segmentation, which later runs took for it."""
    from PIL import Image

    (tmp_path / "in").mkdir()
    (tmp_path / "real").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "in" / "a.png")
    symlink_or_skip(tmp_path / "outlink", tmp_path / "real", to_folder=True)
    out = tmp_path / ("outlink" if linked == "output_dir" else "real")
    report = tmp_path / ("real" if linked == "output_dir" else "outlink") / "a" / "r.json"
    plan = batch.plan_batch(tmp_path / "in", out, batch.segment_mode())
    with pytest.raises(ValueError) as err:
        batch.check_report_clear_of_outputs(report, "report", plan)
    assert str(err.value) == (f"report={str(report)!r} lies in the output folder "
                              f"{str(out / 'a')!r} of the batch; expected a path no job writes")
    with pytest.raises(ValueError, match="would overwrite the output"):
        batch.check_report_clear_of_outputs(report.parent.parent / "a", "report", plan)


def test_a_report_may_not_replace_the_palette_file_the_jobs_read(tmp_path):
    """Named as given, through a link to its folder, or as the file a link given as
    palette_in leads to: the jobs would read the report as the palette."""
    from PIL import Image

    from quantize.palette_files import write_palette

    (tmp_path / "in").mkdir()
    (tmp_path / "pal").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "in" / "a.png")
    write_palette(tmp_path / "pal" / "p.json", [[0, 0, 0], [255, 255, 255]])
    symlink_or_skip(tmp_path / "pal-link", tmp_path / "pal", to_folder=True)
    symlink_or_skip(tmp_path / "q.json", tmp_path / "pal" / "p.json")
    for given, report in [("pal/p.json", "pal/p.json"), ("pal/p.json", "pal-link/p.json"),
                          ("q.json", "pal/p.json"), ("q.json", "q.json")]:
        plan = batch.plan_batch(tmp_path / "in", tmp_path / "out", batch.reduce_mode(),
                                options={"palette_in": tmp_path / given})
        with pytest.raises(ValueError) as err:
            batch.check_report_clear_of_outputs(tmp_path / report, "report", plan)
        assert str(err.value) == (f"report={str(tmp_path / report)!r} is the palette_in="
                                  f"{str(tmp_path / given)!r} file the batch reads; expected "
                                  "another path")


def test_a_report_that_is_an_output_or_the_palette_under_another_name_is_refused(tmp_path):
    """Compared by name alone, a report at a second name of an existing output or of the
    palette_in file (a hard link here; a name a case-insensitive volume folds alike) was
    taken for another file, as the outputs' own checks, by file, do not."""
    from PIL import Image

    from quantize.palette_files import write_palette

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "in" / "a.png")
    Image.new("RGB", (4, 4)).save(tmp_path / "out" / "a.png")
    write_palette(tmp_path / "p.json", [[0, 0, 0], [255, 255, 255]])
    os.link(tmp_path / "out" / "a.png", tmp_path / "r.json")
    os.link(tmp_path / "p.json", tmp_path / "q.json")
    plan = batch.plan_batch(tmp_path / "in", tmp_path / "out", batch.reduce_mode(),
                            options={"palette_in": tmp_path / "p.json"})
    with pytest.raises(ValueError) as err:
        batch.check_report_clear_of_outputs(tmp_path / "r.json", "report", plan)
    assert str(err.value) == (f"report={str(tmp_path / 'r.json')!r} would overwrite the "
                              f"output {str(tmp_path / 'out' / 'a.png')!r} of the batch; "
                              "expected a path no job writes")
    with pytest.raises(ValueError) as err:
        batch.check_report_clear_of_outputs(tmp_path / "q.json", "report", plan)
    assert str(err.value) == (f"report={str(tmp_path / 'q.json')!r} is the palette_in="
                              f"{str(tmp_path / 'p.json')!r} file the batch reads; expected "
                              "another path")
    batch.check_report_clear_of_outputs(tmp_path / "other.json", "report", plan)  # no file


def test_a_json_report_of_many_files_is_written_as_it_is_encoded(tmp_path):
    """The JSON text is written as the encoder makes it, not held in pieces and joined:
    the memory it takes stays within a few times the file's size (joined, a report of
    16,000 files, 35 MB, took 400 MB). The ratio does not depend on the count: 500 files
    show it (joined, the peak was 9.7 times the text, as at 2,000)."""
    import tracemalloc

    palette = [{"hex": f"#{i:06x}", "alpha": 255, "share": 0.0625} for i in range(16)]
    results = [batch.FileResult(Path(f"in/img{i:04d}.png"), Path(f"out/img{i:04d}.png"), "ok",
                                "", {"k": 16, "psnr": 40.5, "palette": palette})
               for i in range(500)]
    summary = batch.BatchSummary(total=500, ok=500)
    report = tmp_path / "report.json"
    tracemalloc.start()
    try:
        batch.write_report(report, results, summary)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    data = report.read_bytes()
    expected = json.dumps(json.loads(data), indent=2).encode("utf-8")
    assert data == expected  # as json.dumps writes it: indented, ASCII, no final newline
    rows = json.loads(data)["files"]
    assert len(rows) == 500 and rows[499]["palette"] == palette
    assert peak < 6 * len(data)  # the rows themselves take about 4 times the text


def _stopped_run(tmp_path):
    """A stopped run's two results and its three kinds of unsettled files: one not reached
    (``img 10.png``), one abandoned (``img 9.png``) and one finished unrecorded
    (``c.png``), given as ``unsettled`` and as the keywords it replaced."""
    results = [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "",
                                {"k": 16, "psnr": 31.5, "seconds": 0.2}),
               batch.FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "failed",
                                "not an image", exit_code=ExitCode.FAILED)]
    summary = batch.BatchSummary(total=5, ok=1, failed=1, interrupted=True)
    unsettled = [batch.Unsettled(tmp_path / "img 10.png", "not reached"),
                 batch.Unsettled(tmp_path / "img 9.png", "abandoned"),
                 batch.Unsettled(tmp_path / "c.png", "finished unrecorded",
                                 tmp_path / "out" / "c.png")]
    keywords = {"not_reached": [tmp_path / "img 10.png"], "abandoned": [tmp_path / "img 9.png"],
                "unrecorded": [(tmp_path / "c.png", tmp_path / "out" / "c.png")]}
    return results, summary, unsettled, keywords


_REASONS = {
    "finished unrecorded": "its output was finished as the run stopped, before it was "
                           "recorded, and is left in place, unrecorded; the next run makes "
                           "it again",
    "abandoned": "the run was interrupted again while it made this file, and abandoned it; "
                 "rerun the same command to make it",
    "not reached": "the run stopped before this file; rerun the same command to finish it"}


def test_a_stopped_runs_unsettled_files_are_one_sequence_in_both_reports(tmp_path):
    """Given as one ``unsettled`` sequence, the three kinds give the rows, counts and bytes
    that the three keywords it replaced gave (which still do, each with a warning)."""
    results, summary, unsettled, keywords = _stopped_run(tmp_path)
    for suffix in (".json", ".csv"):
        batch.write_report(tmp_path / f"new{suffix}", results, summary, unsettled=unsettled)
        with pytest.warns(DeprecationWarning) as caught:
            batch.write_report(tmp_path / f"old{suffix}", results, summary, **keywords)
        assert [str(w.message).split("=")[0] for w in caught] == [
            "write_report(not_reached", "write_report(abandoned", "write_report(unrecorded"]
        assert {w.filename for w in caught} == {__file__}  # said at the caller's line
        assert (tmp_path / f"new{suffix}").read_bytes() == (tmp_path / f"old{suffix}").read_bytes()
    a, b, c, nine, ten = (str(tmp_path / name) for name in
                          ("a.jpg", "b.jpg", "c.png", "img 9.png", "img 10.png"))
    out = str(tmp_path / "out" / "c.png")
    r = _REASONS
    assert (tmp_path / "new.csv").read_bytes().startswith(b"\xef\xbb\xbfinput,output,")
    with open(tmp_path / "new.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == _REDUCE_CSV_COLUMNS
    width = len(batch.REPORT_COLUMNS)  # and then skipped, before quality_limit, quality_met,
    assert [row[:width] + row[-14:-13] for row in rows[1:]] == [  # max_bytes, failure and
        # the options recorded when given
        [a, str(tmp_path / "a.png"), "ok", "", "16", "", "31.5", "", "0.2", "", "", ""],
        [b, str(tmp_path / "b.png"), "failed", "not an image", *[""] * 8],
        [c, out, "finished unrecorded", r["finished unrecorded"], *[""] * 8],
        [nine, "", "abandoned", r["abandoned"], *[""] * 8],
        [ten, "", "not reached", r["not reached"], *[""] * 8]]
    data = json.loads((tmp_path / "new.json").read_text())
    assert data["files"][2:] == [batch.report_row(row) for row in (
        {"input": c, "output": out, "status": "finished unrecorded",
         "reason": r["finished unrecorded"]},
        {"input": nine, "output": None, "status": "abandoned", "reason": r["abandoned"]},
        {"input": ten, "output": None, "status": "not reached", "reason": r["not reached"]})]
    assert [row["input"] for row in data["files"][:2]] == [a, b]
    assert (data["summary"]["abandoned"], data["summary"]["finished_unrecorded"]) == (1, 1)
    assert (tmp_path / "new.json").read_text() == json.dumps(data, indent=2)


def test_every_json_row_has_every_key_of_its_mode_whatever_its_status(tmp_path):
    """A failed row had 4 keys and an ok one 21: ``jq '.psnr'`` met missing keys."""
    results = [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "",
                                {"k": 2, "psnr": 31.5, "extra": 1}),
               batch.FileResult(tmp_path / "b.jpg", None, "failed", "not an image"),
               batch.FileResult(tmp_path / "c.jpg", tmp_path / "c.png", "skipped",
                                "output exists", {"k": 4}),
               batch.FileResult.larger(tmp_path / "d.jpg", None,
                                       {LARGER: "larger", "bytes_in": 9})]
    keys = list(batch.ROW_KEYS["reduce"])
    batch.write_report(tmp_path / "r.json", results, batch.BatchSummary(total=4),
                       unsettled=[batch.Unsettled(tmp_path / "e.jpg", "not reached")])
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert [list(row) for row in rows] == [[*keys, "extra"]] + [keys] * 4  # none dropped
    assert [(row["status"], row["skipped"], row["psnr"], row["bytes_in"]) for row in rows] == [
        ("ok", None, 31.5, None), ("failed", None, None, None), ("skipped", "done", None, None),
        ("skipped", "larger", None, 9), ("not reached", None, None, None)]


def test_report_row_orders_a_rows_keys_and_refuses_an_unknown_mode():
    row = batch.report_row({"reason": "", "status": "ok", "n_regions": 3, "input": "a",
                            "output": "b", "note": "kept"}, "segment")
    assert list(row) == [*batch.ROW_KEYS["segment"], "note"]
    assert (row["n_regions"], row["width"], row["note"]) == (3, None, "kept")
    assert batch.ROW_KEYS["segment"][:5] == batch.ROW_KEYS["reduce"][:5] == (
        "input", "output", "status", "skipped", "reason")
    with pytest.raises(ValueError, match="mode='segments' is not valid; expected one of"):
        batch.report_row({}, "segments")
