"""batch --mode segment --shared-classes, segment --classes-in: one set of classes."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import batch
from quantize.cli import app
from tests.batch_support import scenes_and_levels

RED, BLUE = (200, 30, 30), (30, 30, 200)


def _image(red_rows: slice) -> Image.Image:
    img = np.empty((40, 40, 3), np.uint8)
    img[:] = BLUE
    img[red_rows] = RED
    return Image.fromarray(img)


@pytest.fixture
def folder(tmp_path):
    # The same two colours in other layouts and proportions.
    src = tmp_path / "in"
    src.mkdir()
    _image(slice(0, 10)).save(src / "a.png")
    _image(slice(10, 40)).save(src / "b.png")
    return src


def _batch(src, out, *more):
    jobs = () if "--scheduler" in more else ("-j", "1")
    return CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--mode", "segment",
                                    *jobs, *more])


def _classes_of(folder) -> dict[tuple[float, ...], int]:
    stats = json.loads((folder / "segments.json").read_text())["cluster_stats"]
    return {tuple(c["mean_color"]): c["cluster"] for c in stats}


def test_shared_classes_number_a_colour_alike_in_every_file(folder, tmp_path):
    out = tmp_path / "out"
    result = _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0")
    assert result.exit_code == 0, result.output
    a, b = _classes_of(out / "a"), _classes_of(out / "b")
    assert a == b and sorted(a.values()) == [0, 1]
    red = a[tuple(map(float, RED))]
    with open(out / "classes.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "class", "pixels", "fraction", "mean_color", "valid_fraction"]
    assert sorted((_file_name(r[0]), int(r[1]), int(r[2]), float(r[3]), r[4])
                  for r in rows[1:]) == [
        ("a.png", red, 400, 0.25, "#c81e1e"), ("a.png", 1 - red, 1200, 0.75, "#1e1ec8"),
        ("b.png", red, 1200, 0.75, "#c81e1e"), ("b.png", 1 - red, 400, 0.25, "#1e1ec8")]
    saved = json.loads((out / batch.SHARED_CLASSES_NAME).read_text())
    assert saved["n_clusters"] == 2 and saved["weights"]["xy"] == 0.0


def _file_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def test_saved_classes_apply_to_a_new_image_with_segment_classes_in(folder, tmp_path):
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    _image(slice(20, 30)).save(tmp_path / "c.png")
    result = CliRunner().invoke(app, ["segment", str(tmp_path / "c.png"), "-o",
                                      str(tmp_path / "c"), "--classes-in",
                                      str(out / batch.SHARED_CLASSES_NAME), "--json"])
    assert result.exit_code == 0, result.output
    assert _classes_of(tmp_path / "c") == _classes_of(out / "a")
    assert json.loads(result.stdout)["classes_in"] == str(out / batch.SHARED_CLASSES_NAME)


def test_a_rerun_reuses_the_saved_classes_and_one_without_them_is_refused(folder, tmp_path):
    out = tmp_path / "out"
    args = ("-k", "2", "--shared-classes", "-w", "texture=0")
    assert _batch(folder, out, *args).exit_code == 0
    saved = (out / batch.SHARED_CLASSES_NAME).read_bytes()
    again = _batch(folder, out, *args)
    assert again.exit_code == 0 and "reusing 2 from" in again.output
    assert (out / batch.SHARED_CLASSES_NAME).read_bytes() == saved
    without = _batch(folder, out, "-k", "2", "-w", "texture=0", "-w", "xy=0")
    assert without.exit_code != 0
    assert "made with --shared-classes, while this run asks for no --shared-classes" in \
        without.output



def test_a_file_left_out_of_the_fit_is_said_in_its_row_and_the_file_lists_those_fitted(
        folder, tmp_path):
    """A file read at planning but not by the fit (cut short inside its pixels) was left
    out with a warning line alone: its row said nothing of it, and shared-classes.json did
    not say which files the classes came from."""
    whole = (folder / "b.png").read_bytes()
    (folder / "c.png").write_bytes(whole[:len(whole) // 2])
    out, report = tmp_path / "out", tmp_path / "r.json"
    result = _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0", "-q",
                    "--report", str(report))
    assert result.exit_code == 1  # c.png failed
    rows = {_file_name(r["input"]): r for r in json.loads(report.read_text())["files"]}
    assert [rows[n]["reason"] for n in ("a.png", "b.png")] == ["", ""]
    assert rows["c.png"]["reason"] == (
        "cannot decode image (image file is truncated); so left out of the shared classes' "
        "fit, which the other files made")
    saved = json.loads((out / batch.SHARED_CLASSES_NAME).read_text())
    assert saved["files"] == ["a.png", "b.png"]
    # said once before the files, without its path twice
    assert (f"quantize: warning: {folder / 'c.png'}: left out of the shared classes: cannot "
            "decode image (image file is truncated)\n") in result.stderr


def test_a_forced_rerun_without_shared_classes_removes_the_unused_file(folder, tmp_path):
    """The shared-classes.json of a run with --shared-classes stayed in a folder that a rerun
    with --force and without them redid, describing none of its outputs."""
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    redone = _batch(folder, out, "-k", "2", "-w", "texture=0", "-w", "xy=0", "--force")
    assert redone.exit_code == 0, redone.output
    assert not (out / batch.SHARED_CLASSES_NAME).exists()
    assert (f"removed {out / batch.SHARED_CLASSES_NAME}, the classes of an earlier "
            "--shared-classes run, which no output is assigned to\n") in redone.stdout


@pytest.mark.parametrize(("args", "match"), [
    (("--shared-classes",), "--shared-classes without -k: shared classes are k-means classes"),
    (("-k", "2", "--shared-classes", "-w", "xy=0.5"),
     "xy=0.5 with shared classes: a position in one image is not one in another"),
    (("-k", "2", "--shared-classes", "--scheduler", "tcp://127.0.0.1:1"),
     "--shared-classes with --scheduler: the classes are fitted on this machine only"),
])
def test_shared_classes_errors_are_one_line(folder, tmp_path, args, match):
    result = _batch(folder, tmp_path / "out", *args)
    assert result.exit_code == 2
    assert match in result.output and "Traceback" not in result.output


def test_classes_in_of_another_k_is_refused_by_segment(folder, tmp_path):
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    result = CliRunner().invoke(app, ["segment", str(folder / "a.png"), "-o",
                                      str(tmp_path / "s"), "-k", "3", "--classes-in",
                                      str(out / batch.SHARED_CLASSES_NAME)])
    assert result.exit_code == 2
    assert "-k/--clusters=3 but classes file" in result.output
    assert "holds 2 classes; expected -k/--clusters=2 or none" in result.output


def _csv_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_the_class_legend_gives_each_class_its_colour_over_the_folder(folder, tmp_path):
    out = tmp_path / "out"
    result = _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0")
    assert result.exit_code == 0, result.output
    saved = json.loads((out / batch.SHARED_CLASSES_NAME).read_text())
    red = _classes_of(out / "a")[tuple(map(float, RED))]
    assert saved["colors"][red] == "#c81e1e" and saved["colors"][1 - red] == "#1e1ec8"
    rows = _csv_rows(out / batch.CLASS_LEGEND_NAME)
    assert rows[0] == ["class", "mean_color", "r", "g", "b", "pixels", "fraction", "files",
                       "valid_fraction"]
    assert sorted(rows[1:]) == sorted([[str(red), "#c81e1e", "200", "30", "30", "1600", "0.5",
                                        "2", "0.5"], [str(1 - red), "#1e1ec8", "30", "30",
                                                      "200", "1600", "0.5", "2", "0.5"]])
    assert f"class legend -> {out / batch.CLASS_LEGEND_NAME}" in result.output


def test_the_shared_fit_says_its_own_time(folder, tmp_path):
    result = _batch(folder, tmp_path / "out", "-k", "2", "--shared-classes", "-w", "texture=0")
    line = next(x for x in result.output.splitlines() if x.startswith("shared classes:"))
    assert re.fullmatch(r"shared classes: 2 fitted on 2 files in \d+\.\d s \(not counted in "
                        r"the summary's time\) -> .*shared-classes\.json", line), line


def test_batch_classes_in_assigns_a_new_folder_to_saved_classes(folder, tmp_path):
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    saved = tmp_path / "last-season.json"
    saved.write_bytes((out / batch.SHARED_CLASSES_NAME).read_bytes())
    new = tmp_path / "new"
    new.mkdir()
    _image(slice(20, 30)).save(new / "c.png")
    again = tmp_path / "again"
    result = _batch(new, again, "--classes-in", str(saved), "--classes")
    assert result.exit_code == 0, result.output
    assert _classes_of(again / "c") == _classes_of(out / "a")
    red = _classes_of(out / "a")[tuple(map(float, RED))]
    assert [r[1:4] for r in _csv_rows(again / "classes.csv")[1:]] == sorted(
        [[str(red), "400", "0.25"], [str(1 - red), "1200", "0.75"]])
    assert (again / batch.CLASS_LEGEND_NAME).exists()
    rerun = _batch(new, again, "--classes-in", str(saved), "--classes")
    assert rerun.exit_code == 0 and "0 ok, 1 skipped" in rerun.output
    record = json.loads(saved.read_text())
    record["centers"] = record["centers"][::-1]  # other classes in the same file
    saved.write_text(json.dumps(record))
    changed = _batch(new, again, "--classes-in", str(saved), "--classes")
    assert changed.exit_code == 15
    assert "classes_in_digest=" in changed.output and "add --force" in changed.output


@pytest.mark.parametrize(("args", "code", "match"), [
    (("-k", "2", "--shared-classes"), 2, "--shared-classes and --classes-in="),
    (("-k", "3"), 2, "-k/--clusters=3 but classes file"),
    (("--regions", "3"), 2, "--regions=3 with classes_in"),
])
def test_batch_classes_in_errors_are_one_line(folder, tmp_path, args, code, match):
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    result = _batch(folder, tmp_path / "other", "--classes-in",
                    str(out / batch.SHARED_CLASSES_NAME), *args)
    assert result.exit_code == code, result.output
    assert match in result.output and "Traceback" not in result.output
    assert not (tmp_path / "other").exists()


def test_saved_classes_of_another_k_are_refused_before_any_file(folder, tmp_path):
    # shared-classes.json copied into a new output folder: reused, as its settings have
    # no record there, but of another -k every file would fail on it
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / batch.SHARED_CLASSES_NAME).write_bytes((out / batch.SHARED_CLASSES_NAME).read_bytes())
    result = _batch(folder, copy, "-k", "1", "--shared-classes", "-w", "texture=0")
    assert result.exit_code == 15, result.output
    assert result.output.count("error:") == 1
    assert ("shared-classes.json holds classes fitted with -k/--clusters=2, while this run "
            "asks for -k/--clusters=1; expected those, or --force") in result.output
    assert sorted(p.name for p in copy.iterdir()) == [batch.SHARED_CLASSES_NAME]
    forced = _batch(folder, copy, "-k", "1", "--shared-classes", "-w", "texture=0", "--force")
    assert forced.exit_code == 0 and "1 fitted on 2 files" in forced.output


def test_a_forced_rerun_without_shared_classes_removes_their_tables_too(folder, tmp_path):
    """classes.csv and class-legend.csv stayed beside the outputs that a rerun with --force
    and without shared classes redid, describing outputs no longer there as they said."""
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    assert (out / batch.CLASS_TABLE_NAME).exists() and (out / batch.CLASS_LEGEND_NAME).exists()
    redone = _batch(folder, out, "-k", "2", "-w", "texture=0", "-w", "xy=0", "--force")
    assert redone.exit_code == 0, redone.output
    assert not (out / batch.CLASS_TABLE_NAME).exists()
    assert not (out / batch.CLASS_LEGEND_NAME).exists()
    for name in (batch.CLASS_TABLE_NAME, batch.CLASS_LEGEND_NAME):
        assert (f"removed {out / name}, a table of the outputs of an earlier --shared-classes "
                "run, which no output is assigned to any more\n") in redone.stdout


def test_a_forced_rerun_without_classes_in_removes_its_tables_too(folder, tmp_path):
    """The tables of a --classes-in run stayed beside the outputs a rerun with --force and
    without it redid, while those of a --shared-classes run were removed; kept while an
    output is still assigned (its file failed), and a folder never assigned keeps its own."""
    fit = tmp_path / "fit"
    assert _batch(folder, fit, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    out, saved = tmp_path / "out", fit / batch.SHARED_CLASSES_NAME
    assert _batch(folder, out, "--classes-in", str(saved)).exit_code == 0
    tables = (out / batch.CLASS_TABLE_NAME, out / batch.CLASS_LEGEND_NAME)
    made = [table.read_bytes() for table in tables]
    (folder / "b.png").write_bytes(b"not an image")  # its output stays assigned
    failed = _batch(folder, out, "-k", "2", "-w", "texture=0", "--force")
    assert failed.exit_code == 1, failed.output
    assert [table.read_bytes() for table in tables] == made and "removed" not in failed.output
    _image(slice(10, 40)).save(folder / "b.png")
    redone = _batch(folder, out, "-k", "2", "-w", "texture=0", "--force")
    assert redone.exit_code == 0, redone.output
    assert [table.exists() for table in tables] == [False, False]
    assert [line for line in redone.stdout.splitlines() if line.startswith("removed")] == [
        f"removed {table}, a table of the outputs of an earlier run with --classes-in, which "
        "no output is assigned to any more" for table in tables]
    assert all(path.is_file() for path in (saved, folder / "a.png", folder / "b.png"))
    own = tmp_path / "own"
    own.mkdir()
    (own / batch.CLASS_TABLE_NAME).write_text("a table of the user's")
    for _ in range(2):
        assert _batch(folder, own, "-k", "2", "-w", "texture=0", "--force").exit_code == 0
    assert (own / batch.CLASS_TABLE_NAME).read_text() == "a table of the user's"


def test_class_tables_are_kept_while_outputs_are_assigned_to_the_classes(folder, tmp_path):
    out = tmp_path / "out"
    assert _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0").exit_code == 0
    table = (out / batch.CLASS_TABLE_NAME).read_bytes()
    again = _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0")
    assert again.exit_code == 0 and "0 ok, 2 skipped" in again.output
    assert (out / batch.CLASS_TABLE_NAME).read_bytes() == table
    assert batch.remove_class_tables(tmp_path / "none") == []


def _segments(folder, name: str, n_clusters: int, stats: list[tuple[int, int]]):
    """An output folder ``name`` whose segments.json holds ``stats``, (class, area) pairs."""
    total = sum(area for _, area in stats)
    (folder / name).mkdir()
    (folder / name / "segments.json").write_text(json.dumps({
        "n_clusters": n_clusters, "cluster_stats": [
            {"cluster": k, "area": area, "fraction": area / total,
             "mean_color": [10 * k, 0, 0]} for k, area in stats]}))
    return folder / name


def test_class_table_rows_are_by_file_then_class_and_every_class_has_one(tmp_path):
    """Rows came in the order the files finished (img 10 before img 9 when it did), and a
    class no image held had none, so a reader of the table did not see it."""
    from pathlib import Path

    results = [batch.FileResult(Path(f"in/{name}.png"), _segments(tmp_path, name, 4, stats),
                                "ok")
               for name, stats in (("img 10", [(2, 1), (0, 3)]), ("img 9", [(3, 2), (0, 2)]))]
    rows = _csv_rows(batch.write_class_table(tmp_path, results))
    assert rows[1:] == [["in/img 9.png", "0", "2", "0.5", "#000000", "0.5"],
                        ["in/img 9.png", "3", "2", "0.5", "#1e0000", "0.5"],
                        ["in/img 10.png", "0", "3", "0.75", "#000000", "0.75"],
                        ["in/img 10.png", "2", "1", "0.25", "#140000", "0.25"],
                        ["", "1", "0", "0.0", "", "0.0"]]
    legend = _csv_rows(batch.write_class_legend(tmp_path, results))
    assert [row[0] for row in legend[1:]] == ["0", "1", "2", "3"]
    assert legend[2] == ["1", "", "", "", "", "0", "0.0", "0", "0.0"]


def test_stretched_16_bit_scenes_share_the_classes_of_their_levels_stretched(tmp_path):
    # 12-bit values (16 * level + 1, 1..4081) in 16-bit TIFFs: the shared fit must see each
    # scene stretched, as its segmentation does, not near black.
    scenes, levels = scenes_and_levels(tmp_path, (255, 30, 0), (0, 30, 255))
    fitted = {}
    for src, more in ((scenes, ("--stretch",)), (levels, ())):
        out = tmp_path / f"out-{src.name}"
        result = _batch(src, out, "-k", "2", "--shared-classes", "-w", "texture=0", *more)
        assert result.exit_code == 0, result.output
        fitted[src.name] = json.loads((out / batch.SHARED_CLASSES_NAME).read_text())["colors"]
        pixels = [int(r[2]) for r in _csv_rows(out / "classes.csv")[1:]]
        assert sorted(pixels) == [400, 400, 1200, 1200]  # every class holds pixels
    assert fitted["scenes"] == fitted["levels"] and sorted(fitted["scenes"]) == [
        "#001eff", "#ff1e00"]


@pytest.mark.parametrize("seed", ["0", "1", "2"])
def test_shared_classes_in_lightness_order_number_the_darkest_0_in_file_tables_and_outputs(
        folder, tmp_path, seed):
    """--class-order lightness: shared-classes.json holds the classes from the darkest
    (blue, L* 22, before red, 44), and every output and class-legend.csv follow it."""
    out = tmp_path / "out"
    result = _batch(folder, out, "-k", "2", "--shared-classes", "-w", "texture=0",
                    "--seed", seed, "--class-order", "lightness")
    assert result.exit_code == 0, result.output
    saved = json.loads((out / batch.SHARED_CLASSES_NAME).read_text())
    assert saved["colors"] == ["#1e1ec8", "#c81e1e"]
    for name in "ab":
        assert _classes_of(out / name) == {tuple(map(float, BLUE)): 0,
                                           tuple(map(float, RED)): 1}
    with open(out / "class-legend.csv", newline="", encoding="utf-8") as f:
        assert [row[:2] for row in csv.reader(f)][1:] == [["0", "#1e1ec8"], ["1", "#c81e1e"]]


def test_class_order_lightness_refuses_a_classes_file_without_colours_before_any_file(
        folder, tmp_path):
    from quantize.segment import fit_classes

    record = fit_classes([np.asarray(_image(slice(0, 10)))], 2, weights={"texture": 0},
                         seed=0).to_json()
    del record["colors"]  # as an earlier version wrote it
    (tmp_path / "old.json").write_text(json.dumps(record))
    result = _batch(folder, tmp_path / "out", "--classes-in", str(tmp_path / "old.json"),
                    "--class-order", "lightness")
    assert result.exit_code == 2
    assert "holds no class colours (a file of an earlier version)" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()
