"""A batch rerun that names an input's output otherwise removes the output it replaces.

An animation that became a still (``x.gif`` -> ``x.png``), a still that became an
animation, an output folder of an earlier version (animations as APNG ``.png``),
names that now keep their extension (``a.jpg`` beside a new ``a.png``), or
``--palette per-frame`` (``.webp`` -> ``.gif``): the earlier output was left
beside the new one, in no report.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from quantize import batch

from .animation_support import moving_square, save_animation

NOTE = "made of this file under another name by an earlier run"


def _cli(*args):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["batch", *map(str, args)])


def _animation(path: Path) -> Path:
    return save_animation(path, moving_square(3, 8), duration=[40, 60, 80], loop=0)


def _still(path: Path, index: int = 0) -> Path:
    Image.fromarray(moving_square(3, 8)[index]).save(path)
    return path


def _listed(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "in"
    src.mkdir()
    _animation(src / "x.gif")
    _still(src / "y.png", 1)
    return src, tmp_path / "out"


def test_an_animation_that_became_a_still_replaces_its_output_and_says_so(tmp_path):
    src, out = _folder(tmp_path)
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    args = [src, "-o", out, "-k", "2", "-j", "1", "--report", report, "--html", page]
    assert _cli(*args).exit_code == 0
    assert _listed(out) == ["x.gif", "y.png"]
    _still(src / "x.gif", 2)
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert _listed(out) == ["x.png", "y.png"]
    with Image.open(out / "x.png") as im:
        assert (im.format, getattr(im, "n_frames", 1)) == ("PNG", 1)
    line = next(s for s in result.stdout.splitlines() if "in/x.gif" in s)
    assert line.startswith(f"[2/2] ok      {src / 'x.gif'} -> {out / 'x.png'}  k=2")
    assert line.endswith(f"  (removed {out / 'x.gif'}, {NOTE})")
    assert "1 ok, 1 skipped, 0 failed" in result.stdout  # not counted as redone
    rows = {Path(r["input"]).name: r for r in json.loads(report.read_text())["files"]}
    assert rows["x.gif"]["removed_outputs"] == [str(out / "x.gif")]
    assert rows["y.png"]["removed_outputs"] is None
    assert f"removed {out.name}/x.gif, {NOTE}" in html.unescape(page.read_text())  # from r.html
    assert set(batch.read_manifest(out)) == {"x.png", "y.png"}

    again = _cli(*args)  # said once: the removal is not recorded with the output
    assert again.exit_code == 0 and "removed" not in again.stdout
    assert "0 ok, 2 skipped, 0 failed" in again.stdout
    assert json.loads(report.read_text())["files"][0]["removed_outputs"] is None


def test_a_still_that_became_an_animation_replaces_its_png(tmp_path):
    src, out = _folder(tmp_path)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    _animation(src / "y.png")  # an APNG now: written as one, under the same name
    _still(src / "x.gif")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", "--json")
    assert result.exit_code == 0, result.output
    assert _listed(out) == ["x.png", "y.png"]
    rows = {Path(r["input"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["x.gif"]["removed_outputs"] == [str(out / "x.gif")]
    assert (rows["y.png"]["reason"], rows["y.png"]["removed_outputs"]) == (batch.INPUT_CHANGED,
                                                                          None)


def _as_recorded_by_an_earlier_version(out: Path, old: str, new: str) -> None:
    """Rename output ``old`` to ``new`` in ``out`` and in its manifest, whose lines then
    name no source, as an earlier version wrote them."""
    (out / old).rename(out / new)
    lines = []
    for line in (out / batch.MANIFEST_NAME).read_text().splitlines():
        item = json.loads(line)
        item.pop("source", None)
        if item["output"] == old:
            item["output"] = new
        lines.append(json.dumps(item))
    (out / batch.MANIFEST_NAME).write_text("\n".join(lines) + "\n")


def test_an_apng_png_of_an_earlier_version_is_replaced_by_the_animation_in_its_format(
        tmp_path):
    src, out = _folder(tmp_path)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    _as_recorded_by_an_earlier_version(out, "x.gif", "x.png")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert result.exit_code == 0, result.output
    assert f"-> {out / 'x.gif'}" in result.stdout
    assert f"(removed {out / 'x.png'}, {NOTE})" in result.stdout
    assert _listed(out) == ["x.gif", "y.png"]
    with Image.open(out / "x.gif") as im:
        assert (im.format, im.n_frames) == ("GIF", 3)


def test_the_gif_of_a_tiffs_pages_of_an_earlier_version_is_replaced_by_a_tiff(tmp_path):
    """A TIFF's pages were written as an animated GIF; they stay pages, in a TIFF."""
    src, out = _folder(tmp_path)
    save_animation(src / "scan.tif", moving_square(2, 8))
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    _as_recorded_by_an_earlier_version(out, "scan.tif", "scan.gif")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert result.exit_code == 0, result.output
    assert f"{src / 'scan.tif'} -> {out / 'scan.tif'}" in result.stdout
    assert f"(removed {out / 'scan.gif'}, {NOTE})" in result.stdout
    assert _listed(out) == ["scan.tif", "x.gif", "y.png"]
    with Image.open(out / "scan.tif") as im:
        assert (im.format, im.n_frames, im.info["compression"]) == \
            ("TIFF", 2, "tiff_adobe_deflate")


def test_a_folder_made_before_this_fix_has_its_leftover_removed_by_a_skipping_rerun(tmp_path):
    src, out = _folder(tmp_path)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    kept = (out / "x.gif").read_bytes()
    line = next(s for s in (out / batch.MANIFEST_NAME).read_text().splitlines()
                if json.loads(s)["output"] == "x.gif" and "record" in json.loads(s))
    _still(src / "x.gif")
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    (out / "x.gif").write_bytes(kept)  # as the version before left it: both, both recorded
    with open(out / batch.MANIFEST_NAME, "a") as f:
        f.write(line + "\n")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert result.exit_code == 0, result.output
    assert f"skipped {src / 'x.gif'}  k=2" in result.stdout
    assert f"(removed {out / 'x.gif'}, {NOTE})" in result.stdout
    assert _listed(out) == ["x.png", "y.png"]


def test_what_batch_did_not_write_or_that_changed_since_is_left_in_place(tmp_path):
    src, out = _folder(tmp_path)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    (out / "x.gif").write_bytes(b"edited by hand")
    _still(src / "x.gif")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", "--report", tmp_path / "r.json",
                  "--html", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src / 'x.gif'}: {out / 'x.gif'}, {NOTE}, "
                             "is left in place: it changed since that run wrote it\n")
    assert (out / "x.gif").read_bytes() == b"edited by hand"
    [row] = [r for r in json.loads((tmp_path / "r.json").read_text())["files"]
             if r["input"].endswith("x.gif")]
    assert row["outputs_not_removed"] == {str(out / "x.gif"): "it changed since that run "
                                          "wrote it"}
    assert (f"warning: {out.name}/x.gif, {NOTE}, is left in place: it changed since that run "
            "wrote it") in html.unescape((tmp_path / "r.html").read_text())

    (out / "mine.gif").write_bytes(b"not recorded")  # an output of no record: never looked at
    (src / "mine.png").write_bytes((out / "y.png").read_bytes())
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    assert (out / "mine.gif").read_bytes() == b"not recorded"


def test_the_earlier_output_stays_when_the_new_one_is_not_made(tmp_path):
    src, out = _folder(tmp_path)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    before = (out / "x.gif").read_bytes()
    (src / "x.gif").write_bytes(b"GIF89a truncated")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert result.exit_code == 1
    assert (out / "x.gif").read_bytes() == before and "removed" not in result.stdout
    assert "x.gif" in batch.read_manifest(out)


def test_palette_per_frame_renaming_outputs_is_refused_as_another_option(tmp_path):
    # Only the animations were renamed (.webp -> .gif): with no output kept under its
    # name, no option change was seen, and the .webp was left beside the .gif.
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    save_animation(src / "x.webp", moving_square(3, 8), duration=40, lossless=True)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    refused = _cli(src, "-o", out, "-k", "2", "-j", "1", "--palette", "per-frame")
    assert refused.exit_code == 15
    assert refused.stderr == (f"quantize: error: {out}: 1 output was made with "
                              "--palette='global', while this run asks for "
                              "--palette='per-frame'; add --force to redo it, or choose "
                              "another -o folder\n")
    assert _listed(out) == ["x.webp"]
    forced = _cli(src, "-o", out, "-k", "2", "-j", "1", "--palette", "per-frame", "--force")
    assert forced.exit_code == 0, forced.output
    assert f"(removed {out / 'x.webp'}, {NOTE})" in forced.stdout
    assert _listed(out) == ["x.gif"]


def test_a_manifest_line_says_an_output_was_removed_until_compacted(tmp_path):
    settings = {"n_colors": 4}
    batch.manifest.record_output(tmp_path, tmp_path / "a.gif", settings, {"k": 4},
                                 source="../in/a.gif")
    batch.manifest.record_output(tmp_path, tmp_path / "b.png", settings, {"k": 4})
    batch.manifest.record_removed(tmp_path, tmp_path / "a.gif")
    assert list(batch.read_manifest(tmp_path)) == ["b.png"]
    batch.manifest.compact_manifest(tmp_path)
    [line] = (tmp_path / batch.MANIFEST_NAME).read_text().splitlines()
    assert json.loads(line)["output"] == "b.png"


def test_an_entry_names_its_source_relative_to_the_output_folder(tmp_path):
    entry = batch.manifest.Entry({}, {"input": "in/a.gif"})  # as an earlier version
    assert batch.manifest.source_of(entry, "out") == "../in/a.gif"
    assert batch.manifest.source_of(batch.manifest.Entry({}, {}, source="x/a.png"),
                                    "out") == "x/a.png"
    assert batch.manifest.source_of(batch.manifest.Entry({}, {"k": 4}), "out") is None


def test_a_segment_folder_renamed_by_a_new_input_is_emptied_of_its_files(tmp_path):
    # a.jpg alone -> out/a/; with a.png beside it, both keep their extension: out/a.jpg/
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "a.jpg")
    args = [src, "-o", out, "--mode", "segment", "-k", "2", "--edges", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    assert _listed(out / "a") == ["boundaries.png", "edges.png", "flats.png", "labels.png",
                                  "overlay.png", "regions.csv", "segmented.png",
                                  "segments.json"]
    (out / "a" / "notes.txt").write_text("mine")
    _still(src / "a.png", 1)
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert f"ok      {src / 'a.jpg'} -> {out / 'a.jpg'}" in result.stdout
    assert f"(removed the outputs in {out / 'a'}, {NOTE}; the folder is left, as it holds " \
        "other files)" in result.stdout
    assert _listed(out) == ["a", "a.jpg", "a.png"]
    assert _listed(out / "a") == ["notes.txt"]  # the folder goes only when that empties it
    (out / "a" / "notes.txt").unlink()
    (src / "a.png").unlink()  # a.jpg alone again: out/a/ once more, out/a.jpg/ removed
    again = _cli(*args)
    assert f"(removed {out / 'a.jpg'}, {NOTE})" in again.stdout
    assert _listed(out) == ["a", "a.png"]


def test_a_renamed_segment_folder_left_for_its_sub_folders_is_said_to_be_left(tmp_path):
    # a.jpg alone -> out/a/; once in/a/ holds a photo, a.jpg's folder is out/a.jpg/ and
    # out/a/ holds out/a/x/: only a.jpg's files went, yet the line said "removed out/a".
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "a.jpg")
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    args = [src, "-o", out, "-r", "--mode", "segment", "-k", "2", "-j", "1", "--report",
            report, "--html", page]
    assert _cli(*args, "-q").exit_code == 0
    (src / "a").mkdir()
    _still(src / "a" / "x.png", 1)
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    said = (f"removed the outputs in {out / 'a'}, {NOTE}; the folder is left, as it holds "
            "other files")
    assert f"ok      {src / 'a.jpg'} -> {out / 'a.jpg'}" in result.stdout
    assert f"({said})" in result.stdout
    assert _listed(out / "a") == ["x"]  # the folder of a/'s outputs, with nothing of a.jpg's
    row = next(r for r in json.loads(report.read_text())["files"] if r["input"].endswith(".jpg"))
    assert row["removed_outputs"] == row["removed_outputs_folders_left"] == [str(out / "a")]
    assert ('<div class="note">removed the outputs in out/a, made of this file under another '
            "name by an earlier run; the folder is left, as it holds other files</div>"
            ) in html.unescape(page.read_text())


def test_skip_if_larger_reports_the_earlier_output_under_another_name_as_stale(tmp_path):
    # The still's PNG (90 bytes) is larger than its GIF (68): nothing written, and the
    # animation's out/x.gif was kept, in no report, where one under the same name is
    # reported as the stale output kept.
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _animation(src / "x.gif")
    args = [src, "-o", out, "-k", "2", "-j", "1", "--skip-if-larger"]
    assert _cli(*args, "-q").exit_code == 0
    _still(src / "x.gif")
    for _ in range(2):  # the run that finds it larger, then a rerun skipping it from its record
        result = _cli(*args, "--json")
        assert result.exit_code == 98, result.output
        [row] = map(json.loads, result.stdout.splitlines())
        assert (row["status"], row["output"], row["stale_output"]) == \
            ("skipped", str(out / "x.gif"), True)
        assert row["reason"].endswith("; nothing written; it is stale (not made from the input "
                                      "as it is now, or not with these options): rerun "
                                      "without --skip-if-larger to replace it")
        assert "1 larger than the input, 1 of them with a stale output kept" in result.stderr
    assert _listed(out) == ["x.gif"]
    replaced = _cli(*args[:-1])
    assert f"(removed {out / 'x.gif'}, {NOTE})" in replaced.stdout
    assert _listed(out) == ["x.png"]


def test_an_output_whose_input_is_gone_is_left_in_place_and_said_to_be_in_no_report(tmp_path):
    src, out = _folder(tmp_path)
    report = tmp_path / "r.json"
    args = [src, "-o", out, "-k", "2", "-j", "1", "--report", report]
    first = _cli(*args)
    assert first.exit_code == 0 and first.stderr == ""
    kept = (out / "x.gif").read_bytes()
    (src / "x.gif").rename(tmp_path / "x.gif")
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {out}: 1 output made by an earlier run from "
                             "a file that is not among this run's inputs (deleted, renamed, or "
                             "not selected by INPUT_DIR, --glob, --exclude or -r) is left in "
                             f"place, in no report: {out / 'x.gif'}; later runs do not say it "
                             "again (--remove-orphans removes them)\n")
    assert "1/1 files: 0 ok, 1 skipped" in result.stdout
    assert result.stdout.endswith(" for the 1 file with an output; 1 output of files not "
                                  "among the inputs left in place; "
                                  f"report: {report}\n")  # the summary line counts them
    assert [r["input"] for r in json.loads(report.read_text())["files"]] == [str(src / "y.png")]
    assert (out / "x.gif").read_bytes() == kept
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2},
                            pattern="y.*")
    assert plan.unclaimed == [out / "x.gif"]
    (tmp_path / "x.gif").rename(src / "x.gif")  # back: its output is its own again
    back = _cli(*args)
    assert back.stderr == "" and "2/2 files: 0 ok, 2 skipped" in back.stdout
    assert "not among the inputs" not in back.stdout


def test_the_json_report_counts_the_outputs_whose_input_is_gone_as_the_summary_line(tmp_path):
    # the summary line and the page counted them; the JSON report's summary did not
    src, out = _folder(tmp_path)
    report = tmp_path / "r.json"
    args = [src, "-o", out, "-k", "2", "-j", "1", "--report", report]
    assert _cli(*args).exit_code == 0
    assert json.loads(report.read_text())["summary"]["unclaimed"] == 0
    (src / "x.gif").rename(tmp_path / "x.gif")
    result = _cli(*args)
    assert "; 1 output of files not among the inputs left in place; " in result.stdout
    summary = json.loads(report.read_text())["summary"]
    assert (summary["total"], summary["unclaimed"], summary["unfinished"]) == (1, 1, 0)
    assert _cli(*args, "--remove-orphans").exit_code == 0  # removed: none left in place
    assert not (out / "x.gif").exists()
    assert json.loads(report.read_text())["summary"]["unclaimed"] == 0


def _blocked_line(out: Path, name: str, why: str) -> str:
    return (f"{out / name}: output folder {out / name.rpartition('/')[0]} cannot be created "
            f"({why})")


ORPHAN_IN_THE_WAY = ("is a file, an earlier run's output of a file that is not among this "
                     "run's inputs, left in place: remove it, or rerun with --remove-orphans")


def test_an_output_left_in_place_where_a_new_folder_goes_fails_only_its_files(tmp_path):
    # y.png was deleted and a folder y.png/ made in its place: its files' outputs go into
    # out/y.png/, where y.png's output is left. The whole run stopped on it ("no file was
    # processed"), x.gif with it; now y.png/'s files fail, naming that file and
    # --remove-orphans, and the others run.
    src, out = _folder(tmp_path)
    args = [src, "-o", out, "-k", "2", "-j", "1", "-r", "--report", tmp_path / "r.json"]
    assert _cli(*args, "-q").exit_code == 0
    made = (out / "y.png").read_bytes()
    (src / "y.png").unlink()
    (src / "y.png").mkdir()
    _still(src / "y.png" / "z.png", 2)
    _still(src / "y.png" / "w.png", 1)
    _still(src / "v.png", 0)
    result = _cli(*args)
    assert result.exit_code == 1
    why = f"{out / 'y.png'} {ORPHAN_IN_THE_WAY}"
    assert result.stderr.splitlines()[-2:] == [
        f"quantize: error: {src / 'y.png' / name}: {_blocked_line(out, 'y.png/' + name, why)}"
        for name in ("w.png", "z.png")]
    assert "0 ok" not in result.stdout and "1 ok, 1 skipped, 2 failed" in result.stdout
    assert (out / "y.png").read_bytes() == made  # left as it was
    assert _listed(out) == ["v.png", "x.gif", "y.png"]
    rows = {r["input"]: r for r in json.loads((tmp_path / "r.json").read_text())["files"]}
    assert [(rows[str(src / "y.png" / n)]["status"], rows[str(src / "y.png" / n)]["output"])
            for n in ("w.png", "z.png")] == [("failed", None), ("failed", None)]
    # the manifest claims no output of theirs; the orphan is still recorded, the lock let go
    assert set(batch.read_manifest(out, pending=True)) == {"v.png", "x.gif", "y.png"}
    assert not (out / batch.LOCK_NAME).exists()
    result = _cli(*args, "--remove-orphans")
    assert result.exit_code == 0, result.output
    assert _listed(out) == ["v.png", "x.gif", "y.png"]
    assert _listed(out / "y.png") == ["w.png", "z.png"]
    assert set(batch.read_manifest(out)) == {"v.png", "x.gif", "y.png/w.png", "y.png/z.png"}


def test_a_file_of_no_record_where_a_new_folder_goes_fails_only_the_files_under_it(tmp_path):
    src, out = _folder(tmp_path)
    out.mkdir()
    (out / "w").write_bytes(b"the user's")
    (src / "w").mkdir()
    _still(src / "w" / "z.png", 2)
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", "-r", "--remove-orphans")
    assert result.exit_code == 1
    why = f"{out / 'w'} is a file"
    assert result.stderr.splitlines()[-1] == (
        f"quantize: error: {src / 'w' / 'z.png'}: {_blocked_line(out, 'w/z.png', why)}")
    assert "2 ok, 0 skipped, 1 failed" in result.stdout
    assert (out / "w").read_bytes() == b"the user's"
    assert _listed(out) == ["w", "x.gif", "y.png"]


def test_a_link_to_nothing_where_a_new_folder_goes_fails_only_the_files_under_it(tmp_path):
    src, out = _folder(tmp_path)
    out.mkdir()
    (out / "w").symlink_to(tmp_path / "gone")
    (src / "w").mkdir()
    _still(src / "w" / "z.png", 2)
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", "-r")
    assert result.exit_code == 1
    why = f"{out / 'w'} is a link to '{tmp_path / 'gone'}', which does not exist"
    assert result.stderr.splitlines()[-1] == (
        f"quantize: error: {src / 'w' / 'z.png'}: {_blocked_line(out, 'w/z.png', why)}")
    assert "2 ok, 0 skipped, 1 failed" in result.stdout
    assert os.readlink(out / "w") == str(tmp_path / "gone")


def test_the_html_page_counts_the_outputs_whose_input_is_gone_as_the_summary_line(tmp_path):
    # the terminal's summary line counted them; the page's summary did not
    from .report_support import parse

    src, out = _folder(tmp_path)
    page = tmp_path / "index.html"
    args = [src, "-o", out, "-k", "2", "-j", "1", "--html", page]
    assert _cli(*args).exit_code == 0
    (src / "x.gif").unlink()
    result = _cli(*args)
    counted = "1 output of files not among the inputs left in place"
    assert f" for the 1 file with an output; {counted}; report: {page}" in result.stdout
    (line,) = [p.all_text() for p in parse(page.read_text()).iter("p")
               if "summary" in p.classes()]
    assert line.startswith(f"reduce: 1 file\xa0· 0 ok\xa0· 1 skipped\xa0· 0 failed\xa0· "
                           f"{counted}\xa0· ")


def test_outputs_left_without_their_inputs_are_said_once(tmp_path):
    # The warning came at every rerun, also with -q (a nightly job mailed it every night).
    src, out = _folder(tmp_path)
    _still(src / "z.png", 2)
    args = [src, "-o", out, "-k", "2", "-j", "1", "-q"]
    assert _cli(*args).exit_code == 0
    (src / "x.gif").rename(tmp_path / "x.gif")
    first = _cli(*args)
    assert first.exit_code == 0 and first.stdout == ""
    assert first.stderr.endswith(f"in no report: {out / 'x.gif'}; later runs do not say it "
                                 "again (--remove-orphans removes them)\n")
    again = _cli(*args)
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    (src / "z.png").rename(tmp_path / "z.png")  # another one: said, of that one alone
    other = _cli(*args)
    assert other.stderr.endswith(f"in no report: {out / 'z.png'} (and 1 found so before); "
                                 "later runs do not say it again (--remove-orphans removes them)\n")
    assert _cli(*args).stderr == ""
    (tmp_path / "x.gif").rename(src / "x.gif")  # back, then gone again: said again
    assert _cli(*args).stderr == ""
    (src / "x.gif").rename(tmp_path / "x.gif")
    gone = _cli(*args)
    assert gone.stderr.endswith(f"in no report: {out / 'x.gif'} (and 1 found so before); "
                                "later runs do not say it again (--remove-orphans removes them)\n")
    assert _listed(out) == ["x.gif", "y.png", "z.png"]
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    assert (plan.unclaimed, plan.newly_unclaimed) == ([out / "x.gif", out / "z.png"], [])


def test_remove_orphans_removes_the_outputs_of_files_not_among_the_inputs_as_written(
        tmp_path):
    src, out = _folder(tmp_path)
    _still(src / "z.png", 2)
    args = [src, "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    (out / "mine.png").write_bytes(b"of no record")
    for name in ("x.gif", "z.png"):
        (src / name).unlink()
    (out / "z.png").write_bytes(b"edited by hand")
    result = _cli(*args, "--remove-orphans")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (f"removed {out / 'x.gif'}, made by an earlier run "
                                             "from a file that is not among this run's inputs")
    assert result.stderr == (f"quantize: warning: {out / 'z.png'}: made by an earlier run from "
                             "a file that is not among this run's inputs, is left in place: it "
                             "changed since that run wrote it\n")
    assert "; 1 output of files not among the inputs left in place" in result.stdout
    assert _listed(out) == ["mine.png", "y.png", "z.png"]
    assert set(batch.read_manifest(out)) == {"y.png", "z.png"}
    quiet = _cli(*args, "--remove-orphans", "-q")  # what is left is said again, as a warning
    assert quiet.stdout == "" and quiet.stderr == result.stderr


def test_remove_orphans_counts_and_lists_what_it_removed_in_the_reports(tmp_path):
    # each removal was a line of its own, and in no report: neither the JSON report nor the
    # page counted or listed them, nor did the summary line count them
    from .report_support import parse

    src, out = _folder(tmp_path)
    report, page = tmp_path / "r.json", tmp_path / "index.html"
    args = [src, "-o", out, "-k", "2", "-j", "1", "--report", report, "--html", page]
    assert _cli(*args, "-q").exit_code == 0
    (src / "x.gif").unlink()
    result = _cli(*args, "--remove-orphans")
    assert result.exit_code == 0, result.output
    counted = "1 output of files not among the inputs removed"
    assert result.stdout.splitlines()[-1].endswith(f" for the 1 file with an output; {counted}; "
                                                   f"report: {report}, {page}")
    data = json.loads(report.read_text())
    assert (data["summary"]["removed"], data["summary"]["removed_unfinished"]) == (1, 0)
    assert data["removed"] == [{"output": str(out / "x.gif"), "unfinished": False,
                                "folder_left": False}]
    assert [row["input"] for row in data["files"]] == [str(src / "y.png")]
    root = parse(page.read_text())
    (line,) = [p.all_text() for p in root.iter("p") if "summary" in p.classes()]
    assert line.startswith(f"reduce: 1 file\xa0· 0 ok\xa0· 1 skipped\xa0· 0 failed\xa0· "
                           f"{counted}\xa0· ")
    assert [li.all_text() for s in root.iter("section") if "removed" in s.classes()
            for li in s.iter("li")] == ["out/x.gif, of a file not among the inputs"]
    again = _cli(*args, "--remove-orphans")  # nothing left to remove: none counted or listed
    assert again.exit_code == 0 and "removed" not in again.stdout
    data = json.loads(report.read_text())
    assert (data["summary"]["removed"], data["removed"]) == (0, [])
    assert "removed" not in page.read_text().partition("<body>")[2].partition("<table")[0]


def test_the_outputs_of_a_sub_folder_not_searched_are_no_orphans(tmp_path, monkeypatch):
    """A sub-folder that could not be listed, or one moved elsewhere and linked back (not
    followed), was taken for gone: --remove-orphans removed its outputs, exit 0."""
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "2023").mkdir(parents=True)
    _still(src / "a.png", 0)
    _still(src / "2023" / "b.png", 1)
    args = [src, "-r", "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    real_scandir = os.scandir

    def refused(path=".", *more):
        if Path(path) == src / "2023":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path, *more)

    with monkeypatch.context() as patched:
        patched.setattr(os, "scandir", refused)
        plan = batch.plan_batch(src, out, batch.reduce_mode(), recursive=True,
                                options={"n_colors": 2})
    assert "failed" in [r.status for r in plan.settled]  # the folder, said so
    assert plan.unclaimed == []
    (src / "2023").rename(tmp_path / "moved")
    (src / "2023").symlink_to(tmp_path / "moved", target_is_directory=True)
    result = _cli(*args, "--remove-orphans")
    assert result.exit_code == 0, result.output
    assert "removed" not in result.stdout
    assert _listed(out / "2023") == ["b.png"]


def test_the_output_of_an_input_renamed_in_case_only_is_an_orphan(tmp_path):
    """in/A.png renamed in/a.png where names tell case apart: out/A.png, whose name folds
    to the new out/a.png's, was in no warning and --remove-orphans left it in place."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "A.png", 1)
    args = [src, "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    (src / "A.png").rename(src / "a.png")
    if (src / "A.png").exists():
        pytest.skip("this volume ignores case: out/A.png is out/a.png")
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    assert (plan.unclaimed, plan.newly_unclaimed) == ([out / "A.png"], [out / "A.png"])
    result = _cli(*args, "--remove-orphans")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (f"removed {out / 'A.png'}, made by an earlier run "
                                             "from a file that is not among this run's inputs")
    assert _listed(out) == ["a.png"]
    assert set(batch.read_manifest(out)) == {"a.png"}


def test_removing_a_segment_folder_that_holds_a_users_file_says_the_folder_is_left(tmp_path):
    # "removed out/b" was said though out/b stayed, holding notes.txt
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "a.png", 1)
    _still(src / "b.png", 2)
    args = [src, "-o", out, "--mode", "segment", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    (out / "b" / "notes.txt").write_text("mine")
    (src / "b.png").unlink()
    result = _cli(*args, "--remove-orphans", "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"removed the outputs in {out / 'b'}, made by an earlier run from a file that is not "
        "among this run's inputs; the folder is left, as it holds other files")
    assert _listed(out / "b") == ["notes.txt"]
    assert json.loads((tmp_path / "r.json").read_text())["removed"] == [
        {"output": str(out / "b"), "unfinished": False, "folder_left": True}]


def test_an_unfinished_output_under_a_name_no_longer_made_is_said_to_be_one(tmp_path):
    # out/a/, left unfinished by a stopped run, of in/a.png, whose output is a.png/ now that
    # a.jpg joined it: it was said to be made from a file not among this run's inputs
    from .batch_support import left_unfinished_folder

    src, out = left_unfinished_folder(tmp_path)
    args = [src, "-o", out, "--mode", "segment", "-j", "1"]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {out}: 1 output left unfinished by a stopped "
                             "run, under a name this run does not make, is left in place, in "
                             f"no report: {out / 'a'}; later runs do not say it again "
                             "(--remove-orphans removes them)\n")
    assert result.stdout.endswith("; 1 unfinished output of a stopped run left in place\n")
    (src / "b.png").write_bytes((src / "a.png").read_bytes())
    again = _cli(*args)
    assert again.stderr == "" and again.stdout.endswith(
        "; 1 unfinished output of a stopped run left in place\n")
    (src / "b.png").unlink()  # an orphan of each kind
    both = _cli(*args)
    assert both.stdout.endswith("; 1 output of files not among the inputs and 1 unfinished "
                                "output of a stopped run left in place\n")
    removed = _cli(*args, "--remove-orphans", "--report", tmp_path / "r.json")
    assert removed.stdout.splitlines()[:2] == [
        f"removed {out / 'a'}, left unfinished by a stopped run under a name this run does "
        "not make",
        f"removed {out / 'b'}, made by an earlier run from a file that is not among this "
        "run's inputs"]
    assert removed.stderr == "" and "left in place" not in removed.stdout
    assert "; 1 output of files not among the inputs and 1 unfinished output of a stopped run "\
        "removed; " in removed.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert (data["summary"]["removed"], data["summary"]["removed_unfinished"]) == (2, 1)
    assert [(r["output"], r["unfinished"]) for r in data["removed"]] == [
        (str(out / "a"), True), (str(out / "b"), False)]
    assert _listed(out) == ["a.jpg", "a.png"]


def test_the_outputs_of_the_other_mode_in_the_same_folder_are_not_taken_for_earlier_ones(
        tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "x.png")
    segment = [src, "-o", out, "--mode", "segment", "-k", "2", "-j", "1", "-q"]
    assert _cli(*segment).exit_code == 0
    reduced = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert reduced.exit_code == 0, reduced.output
    assert "removed" not in reduced.stdout and reduced.stderr == ""
    assert _listed(out) == ["x", "x.png"] and (out / "x" / "segments.json").is_file()
    again = _cli(*segment[:-1])
    assert again.exit_code == 0 and "0 ok, 1 skipped" in again.stdout
    assert _listed(out) == ["x", "x.png"]


def test_the_other_modes_outputs_of_a_gone_input_are_no_orphans_of_this_mode(tmp_path):
    # A reduce run took out/y/, the segment folder of a deleted y.png, for one of its own
    # orphans: it named it among them, and --remove-orphans left it "as it changed since".
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "x.png")
    _still(src / "y.png", 1)
    reduce, segment = [src, "-o", out, "-k", "2", "-j", "1"], [src, "-o", out, "--mode",
                                                             "segment", "-k", "2", "-j", "1"]
    assert _cli(*reduce).exit_code == 0 and _cli(*segment).exit_code == 0
    (src / "y.png").unlink()
    reduced = _cli(*reduce, "--remove-orphans")
    assert reduced.exit_code == 0, reduced.output
    assert reduced.stderr == ""
    assert (f"removed {out / 'y.png'}, made by an earlier run from a file that is not among "
            "this run's inputs") in reduced.stdout
    assert "left in place" not in reduced.stdout
    assert _listed(out) == ["x", "x.png", "y"]
    segmented = _cli(*segment, "--remove-orphans")
    assert segmented.exit_code == 0 and segmented.stderr == "", segmented.output
    assert f"removed {out / 'y'}, made by an earlier run" in segmented.stdout
    assert _listed(out) == ["x", "x.png"]


@pytest.mark.parametrize("first", ["reduce", "segment"])
def test_an_output_name_held_by_the_other_modes_output_fails_and_keeps_both(tmp_path, first):
    # x.png beside a sub-folder x/: reduce writes out/x.png, segment the folder out/x.png/.
    # The second mode's run replaced the first's record with its own (its later reruns then
    # skipped out/x.png as an output of no record, with no metrics, and did not see an
    # option change), or refused the run as made with the other mode's options.
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "x").mkdir(parents=True)
    _still(src / "x.png")
    _still(src / "x" / "a.png", 1)
    modes = {"reduce": [src, "-o", out, "-r", "-k", "2", "-j", "1"],
             "segment": [src, "-o", out, "-r", "--mode", "segment", "-k", "2", "-j", "1"]}
    second = next(mode for mode in modes if mode != first)
    assert _cli(*modes[first]).exit_code == 0
    made = (out / "x.png").is_dir(), _listed(out / "x")
    for force in [], ["--force"]:
        result = _cli(*modes[second], *force)
        assert result.exit_code == 1, result.output
        kind = "folder" if second == "segment" else "file"
        assert result.stderr.splitlines() == [
            f"quantize: error: {src / 'x.png'}: {out / 'x.png'} is the output of a batch in "
            f"another mode into this folder, where this {second} batch would write its "
            f"{kind}; neither is overwritten, not even with --force: write the {second} "
            "outputs into another output folder"]
        assert "1 ok, 0 skipped, 1 failed" in result.stdout
    assert (out / "x.png").is_dir() == made[0] and len(_listed(out / "x")) == 2
    again = _cli(*modes[first], "--json")
    assert again.exit_code == 0, again.output
    rows = [json.loads(line) for line in again.stdout.splitlines()]
    assert [row["status"] for row in rows] == ["skipped", "skipped"]
    assert all(row.get("seconds") is not None for row in rows)  # the records are kept


def test_an_earlier_output_left_by_a_name_held_by_the_other_mode_is_said_so(tmp_path):
    # x.gif's segment folder out/x/ becomes out/x.gif/ once x.webp joins it, a name that
    # the reduce output out/x.gif holds: the file failed, and out/x/ was left unsaid.
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _animation(src / "x.gif")
    segment = [src, "-o", out, "--mode", "segment", "-k", "2", "-j", "1"]
    assert _cli(*segment, "-q").exit_code == 0
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    save_animation(src / "x.webp", moving_square(3, 8), duration=[40, 60, 80], loop=0)
    result = _cli(*segment, "--json")
    assert result.exit_code == 1, result.output
    why = f"{out / 'x.gif'}, the name of this file's output now, holds the output of another mode"
    assert f"quantize: warning: {src / 'x.gif'}: {out / 'x'}, {NOTE}, is left in place: {why}" \
        in result.stderr.splitlines()
    row = next(json.loads(line) for line in result.stdout.splitlines()
               if json.loads(line)["input"] == str(src / "x.gif"))
    assert (row["status"], row["output"], row["outputs_not_removed"]) == (
        "failed", None, {str(out / "x"): why})
    assert (out / "x" / "segments.json").is_file() and (out / "x.gif").is_file()


def test_a_new_name_taken_by_a_file_of_no_record_is_not_taken_for_the_output(tmp_path):
    # out/x.png made by hand: x.gif, now a still, was skipped as done, out/x.png (another
    # file) taken for its output, and its recorded out/x.gif left as its only output.
    src, out = _folder(tmp_path)
    args = [src, "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args).exit_code == 0
    _still(src / "x.gif", 2)
    by_hand = (out / "y.png").read_bytes()
    (out / "x.png").write_bytes(by_hand)
    made = (out / "x.gif").read_bytes()
    result = _cli(*args, "--json", "--report", tmp_path / "r.json")
    assert result.exit_code == 1, result.output
    reason = (f"{out / 'x.png'} exists with no record of the run that made it, so it is "
              "neither taken for this file's output nor overwritten (an earlier run made that "
              f"as {out / 'x.gif'}); remove {out / 'x.png'}, or use --force, to make it there")
    why = f"{out / 'x.png'}, the name of this file's output now, holds a file of no record"
    assert result.stderr.splitlines()[:2] == [
        f"quantize: error: {src / 'x.gif'}: {reason}",
        f"quantize: warning: {src / 'x.gif'}: {out / 'x.gif'}, {NOTE}, is left in place: {why}"]
    row = json.loads(result.stdout.splitlines()[0])
    assert (row["input"], row["status"], row["reason"], row["outputs_not_removed"]) == (
        str(src / "x.gif"), "failed", reason, {str(out / "x.gif"): why})
    assert "0 ok, 1 skipped, 1 failed" in result.stderr
    assert (out / "x.png").read_bytes() == by_hand and (out / "x.gif").read_bytes() == made
    assert _listed(out) == ["x.gif", "x.png", "y.png"]
    forced = _cli(*args, "--force")  # as the error says (or remove out/x.png)
    assert forced.exit_code == 0, forced.output
    assert f"(removed {out / 'x.gif'}, {NOTE})" in forced.stdout
    assert _listed(out) == ["x.png", "y.png"] and (out / "x.png").read_bytes() != by_hand


def _killed_before_recording(monkeypatch, name: str) -> None:
    """Make the next run stop (as killed) once the job has written output ``name``, before
    it is recorded."""
    from quantize.batch import run as run_module

    real = run_module.record_output

    def killed(folder, output, *args, **kwargs):
        if Path(output).name == name:
            raise SystemExit(137)
        real(folder, output, *args, **kwargs)

    monkeypatch.setattr(run_module, "record_output", killed)


def test_a_renamed_output_a_killed_run_did_not_record_is_made_again_by_the_rerun(
        tmp_path, monkeypatch):
    # the rerun failed x.gif: "out/x.png exists with no record of the run that made it",
    # until out/x.png was removed by hand or --force redid every file
    src, out = _folder(tmp_path)
    args = [src, "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    _still(src / "x.gif", 2)
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        _killed_before_recording(patch, "x.png")
        batch.run_batch(plan, jobs=1)
    assert _listed(out) == ["x.gif", "x.png", "y.png"]  # written, not recorded
    assert "x.png" not in batch.read_manifest(out)
    assert batch.read_manifest(out, pending=True)["x.png"].pending
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    line = next(s for s in result.stdout.splitlines() if "in/x.gif" in s)
    assert line.startswith(f"[2/2] ok      {src / 'x.gif'} -> {out / 'x.png'}  k=2")
    assert line.endswith(f"  (removed {out / 'x.gif'}, {NOTE})")
    assert _listed(out) == ["x.png", "y.png"]
    entry = batch.read_manifest(out, pending=True)["x.png"]
    assert not entry.pending and entry.record["k"] == 2 and entry.input is not None


def test_an_output_a_killed_run_did_not_record_is_made_again_not_skipped(tmp_path,
                                                                         monkeypatch):
    # it was skipped for good: "output exists; no record of the run that made it"
    src, out = _folder(tmp_path)
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    with monkeypatch.context() as patch, pytest.raises(SystemExit):
        _killed_before_recording(patch, "x.gif")
        batch.run_batch(plan, jobs=1)
    (out / "mine.png").write_bytes(b"not a batch's")  # of no record: never taken
    results = batch.run_batch(batch.plan_batch(src, out, batch.reduce_mode(),
                                               options={"n_colors": 2}), jobs=1)
    assert [(r.input.name, r.status, r.reason) for r in results] == [
        ("x.gif", "ok", batch.OUTPUT_UNRECORDED),  # written, not recorded: said so
        ("y.png", "ok", "")]  # (y.png: not reached by the killed run)
    assert set(batch.read_manifest(out)) == {"x.gif", "y.png"}
    assert batch.read_manifest(out)["x.gif"].record["k"] == 2
    assert (out / "mine.png").read_bytes() == b"not a batch's"


def test_a_pending_output_whose_job_failed_is_no_longer_pending(tmp_path):
    src, out = _folder(tmp_path)
    (src / "y.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # fails in its job
    [result] = [r for r in batch.run_batch(batch.plan_batch(
        src, out, batch.reduce_mode(), options={"n_colors": 2}), jobs=1)
        if r.input.name == "y.png"]
    assert result.status == "failed" and not (out / "y.png").exists()
    assert set(batch.read_manifest(out, pending=True)) == {"x.gif"}  # not taken later


def test_a_stopped_run_takes_back_the_pending_entries_of_the_files_it_did_not_reach(
        tmp_path, monkeypatch):
    # they stayed pending, so a file later put under such a name was taken for a batch's
    # unfinished output and overwritten by the rerun
    from quantize.batch import run as run_module

    src, out = _folder(tmp_path)
    real = run_module.record_output

    def stopped(folder, output, *args, **kwargs):
        real(folder, output, *args, **kwargs)
        raise KeyboardInterrupt  # Ctrl-C once the first file is recorded

    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(run_module, "record_output", stopped)
        batch.run_batch(plan, jobs=1)
    assert set(batch.read_manifest(out, pending=True)) == {"x.gif"}  # y.png: not reached
    (out / "y.png").write_bytes(b"the user's")
    [result] = [r for r in batch.run_batch(batch.plan_batch(
        src, out, batch.reduce_mode(), options={"n_colors": 2}), jobs=1)
        if r.input.name == "y.png"]
    assert result.status == "skipped"
    assert (out / "y.png").read_bytes() == b"the user's"


def test_an_output_left_in_another_unicode_form_of_an_output_made_is_told_apart(tmp_path):
    """An input renamed from 'café.png' in NFD to the same name in NFC left the NFD output,
    said 'in no report: out/café.png' beside the NFC output this run made, the two
    written alike, where other messages write such names by code point."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    nfc, nfd = "caf\u00e9.png", "cafe\u0301.png"
    _still(src / nfd)
    args = [src, "-o", out, "-k", "2", "-j", "1", "-q"]
    assert _cli(*args).exit_code == 0
    (src / nfd).rename(src / nfc)
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert f"in no report: {str(out / nfd)!a}; later runs" in result.stderr, result.stderr
