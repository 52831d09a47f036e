"""A rerun over an output folder its manifest keeps up to date: each output's name is
taken from the manifest for an input as it was (size and time), without opening it; an
input changed since is looked at again and named anew."""

from __future__ import annotations

import builtins
import json
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from quantize import batch
from quantize.batch.manifest import Entry

from .animation_support import moving_square, save_animation


def _cli(*args):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["batch", *map(str, args)])


def _still(path: Path, index: int = 0) -> Path:
    Image.fromarray(moving_square(3, 8)[index]).save(path)
    return path


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    """Stills and animations of each name an output can take, reduced once."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _still(src / "a.png")
    _still(src / "b.gif", 1)                                      # a still GIF: b.png
    save_animation(src / "c.gif", moving_square(3, 8), duration=40, loop=0)
    save_animation(src / "d.png", moving_square(2, 8), duration=40, loop=0)  # APNG
    save_animation(src / "e.webp", moving_square(2, 8), duration=40, loop=0, lossless=True)
    assert _cli(src, "-o", out, "-k", "4", "-j", "1", "-q").exit_code == 0
    return src, out


def _opened(monkeypatch, folder: Path) -> list[str]:
    """The names of the files in ``folder`` opened from now on (Pillow opens a path with
    ``builtins.open`` too)."""
    seen: list[str] = []
    real = builtins.open

    def counting(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike) and Path(file).parent == folder:
            seen.append(Path(file).name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    return seen


def _names(plan: batch.BatchPlan) -> dict[str, str]:
    return {r.input.name: r.output.name for r in plan.settled} | {
        j.input.name: j.output.name for j in plan.jobs}


NAMES = {"a.png": "a.png", "b.gif": "b.png", "c.gif": "c.gif", "d.png": "d.png",
         "e.webp": "e.webp"}


def test_a_rerun_with_an_up_to_date_manifest_opens_no_input(tmp_path, monkeypatch):
    src, out = _folder(tmp_path)
    opened = _opened(monkeypatch, src)
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 4})
    assert opened == []
    assert _names(plan) == NAMES
    assert plan.jobs == [] and {r.reason for r in plan.settled} == {"output exists"}


def test_a_rerun_names_each_output_as_the_manifest_does_once(tmp_path, monkeypatch):
    """Planning took an output's manifest name four times a file, running a fifth."""
    src, out = _folder(tmp_path)
    import quantize.batch.manifest as manifest

    named: list[str] = []

    def counted(output_dir, output):
        named.append(Path(output).name)
        return manifest.manifest_key(output_dir, output)

    monkeypatch.setattr("quantize.batch.plan.manifest_key", counted)
    monkeypatch.setattr("quantize.batch.run.manifest_key", counted)
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 4})
    assert sorted(named) == sorted(NAMES.values())
    results = batch.run_batch(plan, jobs=1)
    assert {r.status for r in results} == {"skipped"}
    assert sorted(named) == sorted(NAMES.values())


def test_names_are_taken_only_with_the_palette_mode_that_named_them(tmp_path, monkeypatch):
    """--palette per-frame names every animation a GIF: each is looked at again."""
    src, out = _folder(tmp_path)
    opened = _opened(monkeypatch, src)
    plan = batch.plan_batch(src, out, batch.reduce_mode(),
                            options={"n_colors": 4, "palette": "per-frame"}, force=True)
    assert sorted(set(opened)) == sorted(NAMES)
    assert _names(plan) == {**NAMES, "d.png": "d.gif", "e.webp": "e.gif"}


def test_an_input_changed_since_is_looked_at_and_redone(tmp_path, monkeypatch):
    src, out = _folder(tmp_path)
    _still(src / "a.png", 2)  # other pixels, a new time
    opened = _opened(monkeypatch, src)
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 4})
    assert "a.png" in opened and set(opened) <= {"a.png"}
    assert [(j.input.name, j.output.name, j.redo) for j in plan.jobs] == [
        ("a.png", "a.png", batch.INPUT_CHANGED)]


def test_a_still_swapped_for_an_animation_of_its_size_or_time_gets_the_animations_name(
        tmp_path):
    src, out = _folder(tmp_path)
    before = os.stat(src / "b.gif")
    save_animation(src / "b.gif", moving_square(3, 8), duration=40, loop=0)
    os.utime(src / "b.gif", ns=(before.st_atime_ns, before.st_mtime_ns))  # its size differs
    result = _cli(src, "-o", out, "-k", "4", "-j", "1", "--json")
    assert result.exit_code == 0, result.output
    rows = {Path(r["input"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert (rows["b.gif"]["status"], Path(rows["b.gif"]["output"]).name) == ("ok", "b.gif")
    assert rows["b.gif"]["removed_outputs"] == [str(out / "b.png")]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "a.png", "b.gif", "c.gif", "d.png", "e.webp"]
    with Image.open(out / "b.gif") as im:
        assert im.n_frames == 3


def test_a_rerun_prints_what_it_printed_with_every_input_looked_at(tmp_path, monkeypatch):
    src, out = _folder(tmp_path)
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    args = [src, "-o", out, "-k", "4", "-j", "1", "--json", "--report", report, "--html", page]
    taken = _cli(*args)
    taken_report, taken_page = json.loads(report.read_text()), _untimed(page)
    monkeypatch.setattr("quantize.batch.modes.reduce_suffix_kept", lambda *args: False)
    looked_at = _cli(*args)
    assert _untimed(page) == taken_page
    assert taken.exit_code == looked_at.exit_code == 0
    assert taken.stdout == looked_at.stdout
    assert {Path(r["input"]).name: Path(r["output"]).name
            for r in map(json.loads, taken.stdout.splitlines())} == NAMES
    looked_at_report = json.loads(report.read_text())
    for each in (taken_report, looked_at_report):
        each["summary"].pop("seconds")
    assert taken_report == looked_at_report


def _thumbnails_made(monkeypatch) -> list[tuple[str, str]]:
    """The (file name, kind) of each thumbnail the report makes from now on."""
    from quantize.report import thumbnails

    made: list[tuple[str, str]] = []
    make = thumbnails._made

    def counted(path, size, kind, max_pixels):
        made.append((Path(path).name, kind))
        return make(path, size, kind, max_pixels)

    monkeypatch.setattr(thumbnails, "_made", counted)
    return made


def test_a_rerun_with_html_makes_thumbnails_of_changed_files_only(tmp_path, monkeypatch):
    """A rerun's page embeds again the thumbnails of the files unchanged since, unmade; a
    changed input's row gets new ones; the page is the one written with none to take."""
    src, out = _folder(tmp_path)
    page = tmp_path / "r.html"
    args = [src, "-o", out, "-k", "4", "-j", "1", "--html", page]
    assert _cli(*args).exit_code == 0  # the first page: every thumbnail made
    made = _thumbnails_made(monkeypatch)
    assert _cli(*args).exit_code == 0
    assert made == []
    before = re.findall(r'<img src="([^"]*)"', page.read_text(encoding="utf-8"))
    _still(src / "a.png", 2)  # other pixels: a.png is reduced again
    assert _cli(*args).exit_code == 0
    assert sorted(made) == [("a.png", "photo"), ("a.png", "reduced")]
    now = re.findall(r'<img src="([^"]*)"', page.read_text(encoding="utf-8"))
    assert [i for i, (was, is_) in enumerate(zip(before, now, strict=True)) if was != is_] == [
        0, 1]  # a.png's row is the first
    made.clear()
    assert _cli(*args).exit_code == 0
    assert made == []
    taken = _untimed(page)
    page.unlink()
    assert _cli(*args).exit_code == 0
    assert len(made) == 2 * len(NAMES) and _untimed(page) == taken


def _untimed(page: Path) -> str:
    """The HTML page at ``page`` without the time it was written and the run took."""
    text = re.sub(r"<time [^>]*>[^<]*</time>", "", page.read_text(encoding="utf-8"))
    untimed = re.sub(r"· [0-9.]+ s\xa0· ", "· ", text)
    assert untimed != text
    return untimed


@pytest.mark.parametrize("name, options, entry, suffix, expected", [
    ("a.gif", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 1}), ".png", True),
    ("a.gif", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 3}), ".gif", True),
    ("a.webp", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 3}), ".webp",
     True),
    ("a.fli", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 3}), ".gif", True),
    # an earlier version's APNG of a GIF, an animation named as a still, a TIFF's old GIF
    ("a.gif", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 3}), ".png",
     False),
    ("a.gif", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 1}), ".gif",
     False),
    ("a.tif", {"palette": "global"}, Entry({"palette": "global"}, {"frames": 2}), ".gif",
     False),
    ("a.webp", {"palette": "per-frame"}, Entry({"palette": "per-frame"}, {"frames": 3}),
     ".gif", True),
    ("a.webp", {"palette": "per-frame"}, Entry({"palette": "global"}, {"frames": 3}), ".webp",
     False),
    ("a.png", {"palette": "per-frame"}, Entry({"palette": "global"}, {"frames": 1}), ".png",
     False),
    ("a.gif", {"palette": "global"}, Entry({"palette": "global"}, {}), ".gif", False),
])
def test_reduce_takes_a_recorded_extension_only_as_this_version_names_the_file(
        name, options, entry, suffix, expected):
    from quantize.batch.modes import reduce_suffix_kept

    assert reduce_suffix_kept(Path(name), options, entry, suffix) is expected
