"""``quantize batch`` end to end with the real reduce and segment jobs."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize import batch
from quantize.errors import OutputError
from quantize.io import load_image

from .batch_support import BAD, GOOD, crop, hide_dask, local_cluster, make_photo_tree
from .cli_support import pipe_refusal, run_with_palette_pipe
from .corpus.generate import png_of_chunks
from .fs_support import record_filling_up, refuse_mkdir, symlink_or_skip

SENTINEL = b"left alone"
#: The bytes of the summary line of a reduce batch whose files have outputs.
BYTES = r"; [\d,]+ -> [\d,]+ bytes \(\d+\.\d%\) for the (1 file|\d+ files) with an output"


def _left_alone_mark(path: Path) -> bytes:
    """Write SENTINEL over the output ``path``, padded to its size (a rerun redoes an output
    of another size: changed since), and return what was written."""
    marked = SENTINEL.ljust(path.stat().st_size, b".")
    path.write_bytes(marked)
    return marked


@pytest.fixture
def photo_tree(tmp_path):
    return make_photo_tree(tmp_path / "in")


def _cli(*args: str):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["batch", *map(str, args)])


def _cli_reduce(*args: str):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["reduce", *map(str, args)])


def _palette(path: Path) -> list[int]:
    with Image.open(path) as im:
        assert im.mode == "P"
        return im.getpalette()


def test_cli_reduces_good_files_reports_bad_ones_and_resumes(photo_tree, tmp_path):
    out, report = tmp_path / "out", tmp_path / "report.json"
    first = _cli(photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--jobs", "2",
                 "--report", report)
    assert first.exit_code == 1, first.output
    for rel in GOOD:
        target = out / Path(rel).with_suffix(".png")
        assert len(_palette(target)) <= 8 * 3
        assert load_image(target).shape == (40, 48)
    for rel in BAD:
        assert f"quantize: error: {photo_tree / rel}: " in first.stderr
    assert "7/7 files: 4 ok, 0 skipped, 3 failed" in first.stdout
    rows = {Path(r["input"]).relative_to(photo_tree).as_posix(): r
            for r in json.loads(report.read_text())["files"]}
    assert {k for k, r in rows.items() if r["status"] == "failed"} == BAD
    assert rows["notes.jpg"]["reason"] == "not an image Pillow can identify"
    assert rows["sub/truncated.png"]["reason"].startswith("cannot decode image")
    assert all(rows[k]["k"] == 8 and rows[k]["psnr"] > 15 for k in GOOD)
    made = sorted(out.rglob("*.png"))
    assert len(made) == 4
    marks = {path: _left_alone_mark(path) for path in made}  # whether a rerun rewrote it

    again = _cli(photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--jobs", "2")
    assert again.exit_code == 1
    assert "4 skipped, 3 failed" in again.stdout
    assert all(p.read_bytes() == marks[p] for p in made)

    forced = _cli(photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--force", "-q")
    assert forced.exit_code == 1
    assert all(load_image(p).shape == (40, 48) for p in made)
    assert forced.stdout == ""  # --quiet: failures and warnings only, on stderr
    assert len(forced.stderr.splitlines()) == 3
    assert all(line.startswith("quantize: error: ") for line in forced.stderr.splitlines())


def test_cli_exit_0_when_all_succeed_and_csv_report(photo_tree, tmp_path):
    report = tmp_path / "r.csv"
    result = _cli(photo_tree, "-o", tmp_path / "out", "-k", "4", "--glob", "*.png",
                  "--seed", "1", "--report", report)
    assert result.exit_code == 0, result.output
    lines = report.read_text().splitlines()
    assert len(lines) == 2 and lines[1].split(",")[2] == "ok"


@pytest.mark.parametrize("jobs, n_files, quiet, said", [
    (1000, 6, False, "quantize: warning: -j/--jobs=1000 is more than 4 per CPU; "
     "running 4 at once"),
    (1000, 6, True, "quantize: warning: -j/--jobs=1000 is more than 4 per CPU; "
     "running 4 at once"),
    (1000, 4, False, None),  # four files need four processes, the cap lowers nothing
    (2, 6, True, None),
])
def test_cli_a_jobs_the_cap_lowers_is_said_once(tmp_path, monkeypatch, jobs, n_files, quiet,
                                                said):
    """-j 1000 ran 4 per CPU without a word; a rerun with every file done starts no
    process, and says nothing of -j."""
    from quantize.batch import executor_local

    asked = []

    def inline(calls, settle, jobs=None, **kwargs):
        asked.append((len(calls), executor_local.worker_count(jobs, len(calls))))
        executor_local.run_inline(calls, settle)

    monkeypatch.setattr(executor_local, "available_cpus", lambda: 1)
    monkeypatch.setattr(executor_local, "run_local", inline)
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(n_files):
        Image.new("RGB", (2, 2), (40 * i, 90, 200)).save(src / f"{i}.png")
    args = [src, "-o", out, "-k", "2", "-j", str(jobs), *(["-q"] if quiet else [])]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert asked == [(n_files, min(jobs, n_files, 4))]  # the workers are as many as before
    warned = [line for line in result.stderr.splitlines() if "-j/--jobs" in line]
    assert warned == ([] if said is None else [said])
    again = _cli(*args)
    assert again.exit_code == 0 and asked[1:] == [(0, 1)]
    assert "-j/--jobs" not in again.stderr


def test_cli_glob_selects_a_name_holding_a_star_written_in_brackets(tmp_path):
    for name in ("scan*.png", "scan1.png"):
        Image.new("RGB", (4, 4), "red").save(tmp_path / name)
    result = _cli(tmp_path, "-o", tmp_path / "out", "-k", "2", "--glob", "scan[*].png", "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".png") == [
        "scan*.png"]
    assert "[*], [?] and [[] match a literal *, ? or [" in " ".join(
        _cli("--help").stdout.split())



def test_cli_lines_name_the_files_with_the_dot_slash_their_folders_were_typed_with(
        tmp_path, monkeypatch):
    """``batch ./-in -o ./-bo`` printed ``-in/a.png -> -bo/a.png``, names a shell reads as
    options, where reduce and segment keep the ``./``; the --json objects, as the
    reports, keep the paths as written."""
    monkeypatch.chdir(tmp_path)
    Path("-in").mkdir()
    Image.new("RGB", (4, 4), "red").save("-in/a.png")
    Path("-in/b.png").write_text("not an image")
    result = _cli("./-in", "-o", "./-bo", "-j", "1")
    assert result.exit_code == 1
    assert sorted(line[6:].split("  k=")[0] for line in result.stdout.splitlines()[:2]) == [
        "failed  ./-in/b.png: not an image Pillow can identify",
        "ok      ./-in/a.png -> ./-bo/a.png"]
    assert result.stderr.startswith("quantize: error: ./-in/b.png: not an image")
    again = _cli("./-in", "-o", "./-bo", "-j", "1", "--json")
    assert sorted((o["input"], o["output"])
                  for o in map(json.loads, again.stdout.splitlines())) == [
        ("-in/a.png", "-bo/a.png"), ("-in/b.png", None)]


@pytest.mark.parametrize("folder", [".", "./", "-in"])
def test_cli_lines_name_a_file_starting_with_a_dash_with_dot_slash(tmp_path, monkeypatch,
                                                                   folder):
    """``batch . -o ../o6`` printed ``-a.png``, which a shell passes as options, where
    ``batch ./`` and ``reduce ./-a.png`` print ``./-a.png``; so does a folder typed
    ``-in``. Names not starting with "-" are as they were."""
    monkeypatch.chdir(tmp_path)
    Path("-in").mkdir()
    Image.new("RGB", (4, 4), "red").save("-in/-a.png")
    Image.new("RGB", (4, 4), "red").save("-in/b.png")
    Path("-in/-c.png").write_text("not an image")
    monkeypatch.chdir(tmp_path / "-in" if folder != "-in" else tmp_path)
    out = "../o6" if folder != "-in" else "o6"
    result = _cli("-o", out, "-j", "1", "--", folder)
    assert result.exit_code == 1, result.output
    inside = {".": "./", "./": "./", "-in": "./-in/"}[folder]
    plain = "./" if folder == "./" else "" if folder == "." else "./-in/"
    assert sorted(line[6:].split("  k=")[0] for line in result.stdout.splitlines()[:3]) == [
        f"failed  {inside}-c.png: not an image Pillow can identify",
        f"ok      {inside}-a.png -> {out}/-a.png", f"ok      {plain}b.png -> {out}/b.png"]
    assert result.stderr.startswith(f"quantize: error: {inside}-c.png: not an image")


def test_cli_glob_pattern_the_shell_expanded_is_told_to_be_quoted(tmp_path, monkeypatch):
    """``--glob *.png`` unquoted, in a folder of PNGs, reached batch as ``--glob a.png b.png
    c.png``: the line named b.png and c.png as unexpected arguments, and no more."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (4, 4), "red").save(name)
    result = _cli(".", "-o", "out", "--glob", "a.png", "b.png", "c.png")
    assert (result.exit_code, result.stderr) == (2, (
        "quantize: error: b.png c.png: unexpected arguments; quantize batch takes one "
        "INPUT_DIR; --glob='a.png' and they are files here: the shell expands an unquoted "
        "pattern into the names it matches; quote it, as --glob '*.jpg' "
        "(see 'quantize batch --help')\n"))
    assert not Path("out").exists()
    other = _cli(".", "-o", "out", "--glob", "*.png", "more")  # no such file: no hint
    assert other.stderr == ("quantize: error: more: unexpected argument; quantize batch "
                            "takes one INPUT_DIR (see 'quantize batch --help')\n")

@pytest.mark.parametrize("args, line", [
    (["in", "-o", "out", "--dither", "ordered"], "ordered: no such file; did you mean "
     "--dither=ordered?"),
    (["--dither", "ordered", "in", "-o", "out"], "ordered: no such file; did you mean "
     "--dither=ordered?"),
    (["in", "-o", "out", "--dither", "0.5"], "0.5: no such file; a dithering strength is "
     "written --dither=0.5"),
    (["--dither", "0.5", "in", "-o", "out"], "0.5: no such file; a dithering strength is "
     "written --dither=0.5"),
    (["in", "-o", "out", "--dither", "fine"], "fine: no such file; --dither takes a strength, "
     "ordered or pattern, written --dither=LEVEL (0 to 1) or --dither=ordered"),
    # with no INPUT_DIR, the value was taken as it: "ordered: no such folder", exit 1
    (["--dither", "ordered", "-o", "out"], "ordered: no such file; did you mean "
     "--dither=ordered?"),
    (["-o", "out", "--dither", "ordered"], "ordered: no such file; did you mean "
     "--dither=ordered?"),
    (["--dither", "0.5", "-o", "out"], "0.5: no such file; a dithering strength is "
     "written --dither=0.5"),
])
def test_cli_a_dither_value_after_a_space_is_pointed_to_its_form(tmp_path, monkeypatch,
                                                                 args, line):
    # The count of arguments blamed the value as one too many, or INPUT_DIR after it
    # ("in: unexpected argument"); the line is reduce's now.
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (4, 4), "red").save("in/a.png")
    result = _cli(*args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")
    assert not Path("out").exists()


@pytest.mark.parametrize("name", ["ordered", "0.5"])
def test_cli_a_dither_value_after_dashes_is_the_input_folder(tmp_path, monkeypatch, name):
    # after --, every argument is a file name: no word of --dither=LEVEL
    monkeypatch.chdir(tmp_path)
    result = _cli("-o", "out", "--dither", "--", name)
    assert (result.exit_code, result.stderr) == (1, f"quantize: error: {name}: no such folder\n")
    assert not Path("out").exists()


def test_cli_glob_without_wildcard_naming_a_file_here_is_warned_of(tmp_path, monkeypatch):
    """``--glob *.jpg`` unquoted, where a.jpg alone matches in the current folder, reached
    batch as ``--glob a.jpg`` and took only in/a.jpg, without a word: a warning says so,
    and the run goes on (an exact name may be meant)."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    two_colours = np.zeros((4, 4, 3), np.uint8)
    two_colours[:2] = 255
    for name in ("a.png", "in/a.png", "in/b.png"):
        Image.fromarray(two_colours).save(name)
    result = _cli("in", "-o", "out", "--glob", "a.png", "-q", "-k", "2")
    assert (result.exit_code, result.stderr) == (0, (
        "quantize: warning: --glob='a.png': no wildcard (*, ? or [), so only files of that "
        "very name (and those under folders of that name) are taken, and a file of that "
        "name is here: the shell expands an unquoted pattern into the names it matches; "
        "quote it, as --glob '*.jpg'\n"))
    assert sorted(p.name for p in Path("out").glob("*.png")) == ["a.png"]
    for n, quiet in enumerate(("b.png", "a.pn?", "[a].png")):  # no such file here; wildcards
        assert _cli("in", "-o", f"out{n}", "--glob", quiet, "-q", "-k", "2").stderr == ""


def _site(root: Path) -> Path:
    """A web site's images: two PNGs, a GIF, a JPEG and a minified PNG, and a vendor/ and a
    thumbs/ folder holding one PNG each."""
    (root / "vendor").mkdir(parents=True)
    (root / "img" / "thumbs").mkdir(parents=True)
    for i, name in enumerate(("logo.png", "img/hero.png", "img/icon.gif", "img/photo.jpg",
                              "img/hero.min.png", "vendor/x.png", "img/thumbs/t.png")):
        Image.new("RGB", (4, 4), (30 * i, 200, 90)).save(root / name)
    return root


def _made(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.*")
                  if not p.name.startswith("."))


@pytest.mark.parametrize("args, made", [
    (["--glob", "*.png", "--glob", "*.gif"],
     ["img/hero.min.png", "img/hero.png", "img/icon.png", "img/thumbs/t.png", "logo.png",
      "vendor/x.png"]),
    (["--glob", "*.png", "--glob", "*.gif", "--exclude", "vendor/**", "--exclude", "*.min.png"],
     ["img/hero.png", "img/icon.png", "img/thumbs/t.png", "logo.png"]),
    (["--exclude", "thumbs/**", "--exclude", "*.jpg"],  # the extension filter, less those
     ["img/hero.min.png", "img/hero.png", "img/icon.png", "logo.png", "vendor/x.png"]),
    (["--exclude", "hero*"],  # matched from the end, as --glob: the name
     ["img/icon.png", "img/photo.png", "img/thumbs/t.png", "logo.png", "vendor/x.png"]),
    (["--glob", "img/*", "--exclude", "img/*.png"], ["img/icon.png", "img/photo.png"]),
])
def test_cli_glob_repeats_and_exclude_leaves_files_out(tmp_path, args, made):
    """--glob '*.png' --glob '*.gif' was refused, "--glob is given twice", and there was no
    --exclude."""
    src, out = _site(tmp_path / "site"), tmp_path / "out"
    result = _cli(src, "-o", out, "-r", "-k", "1", "-q", *args)
    assert (result.exit_code, result.output) == (0, "")
    assert _made(out) == made


def test_cli_max_frames_refuses_a_long_animation_and_a_rerun_with_it_skips_the_rest(
        tmp_path):
    """--max-frames decides which files are read, not what their outputs hold: a folder
    made without it reruns with it, the animation over it failing on its line."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(src / "still.png")
    frames = [Image.new("RGB", (4, 4), (60 * i, 0, 0)) for i in range(3)]
    frames[0].save(src / "clip.gif", save_all=True, append_images=frames[1:], duration=50)
    assert _cli(src, "-o", out, "-k", "2", "-q").exit_code == 0
    again = _cli(src, "-o", out, "-k", "2", "--max-frames", "1000")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1].startswith("2/2 files: 0 ok, 2 skipped, 0 failed")
    (out / "clip.gif").unlink()
    over = _cli(src, "-o", out, "-k", "2", "--max-frames", "2")
    assert over.exit_code == 1 and not (out / "clip.gif").exists()
    assert (f"failed  {src / 'clip.gif'}: 3 frames exceed the limit of 2 frames; if the "
            "file is trusted, set --max-frames=3 or more") in over.stdout


def test_cli_a_rerun_with_the_same_patterns_skips_every_file(tmp_path):
    """The patterns are not among a run's options: the same command skips the files done,
    and one that excludes more leaves the outputs of those as orphans, said once."""
    src, out = _site(tmp_path / "site"), tmp_path / "out"
    args = [src, "-o", out, "-r", "-k", "1", "--glob", "*.png", "--exclude", "vendor/**"]
    assert _cli(*args, "-q").exit_code == 0
    again = _cli(*args)
    assert (again.exit_code, again.stderr) == (0, "")
    assert again.stdout.splitlines()[-1].startswith("4/4 files: 0 ok, 4 skipped, 0 failed")
    fewer = _cli(*args, "--exclude", "thumbs/**", "-q")
    assert (fewer.exit_code, fewer.stdout) == (0, "")
    assert fewer.stderr == (
        f"quantize: warning: {out}: 1 output made by an earlier run from a file that is not "
        "among this run's inputs (deleted, renamed, or not selected by INPUT_DIR, --glob, "
        f"--exclude or -r) is left in place, in no report: {out / 'img/thumbs/t.png'}; later "
        "runs do not say it again (--remove-orphans removes them)\n")
    assert _made(out) == ["img/hero.min.png", "img/hero.png", "img/thumbs/t.png", "logo.png"]


@pytest.mark.parametrize("args, error", [
    (["--exclude", "*"], "no file has an image extension (.jpg, .png, .tif, .webp, ...) and "
     "matches no --exclude='*'"),
    (["--glob", "*.png", "--glob", "*.gif", "--exclude", "*"],
     "no file matches --glob='*.png' --glob='*.gif' and not --exclude='*'"),
])
def test_cli_nothing_left_by_exclude_is_a_usage_error_naming_the_patterns(tmp_path, args,
                                                                           error):
    src = _site(tmp_path / "site")
    result = _cli(src, "-o", tmp_path / "out", "-r", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"quantize: error: INPUT_DIR={str(src)!r}: {error}\n"


def test_cli_exclude_pattern_the_shell_expanded_is_told_to_be_quoted(tmp_path, monkeypatch):
    """--exclude *.png unquoted, as --glob: the shell gave the names."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), "red").save(name)
    result = _cli(".", "-o", "out", "--exclude", "a.png", "b.png")
    assert (result.exit_code, result.stderr) == (2, (
        "quantize: error: b.png: unexpected argument; quantize batch takes one INPUT_DIR; "
        "--exclude='a.png' and they are files here: the shell expands an unquoted pattern "
        "into the names it matches; quote it, as --exclude '*.jpg' "
        "(see 'quantize batch --help')\n"))
    one = _cli(".", "-o", "out", "--exclude", "a.png", "-q", "-k", "1", "-r")
    assert (one.exit_code, one.stderr) == (0, (
        "quantize: warning: --exclude='a.png': no wildcard (*, ? or [), so only files of that "
        "very name (and those under folders of that name) are left out, and a file of that "
        "name is here: the shell expands an unquoted pattern into the names it matches; "
        "quote it, as --exclude '*.jpg'\n"))
    assert _made(Path("out")) == ["b.png"]


def test_cli_a_pattern_matching_no_file_is_said(tmp_path):
    """--exclude '/logo.png', --exclude '*.PNG' on lower-case names, or a typo, left out
    nothing without a word, and a --glob that took no file beside others that did was not
    said either: each is warned of, the run goes on, and --json's stdout stays JSON."""
    src, out = _site(tmp_path / "site"), tmp_path / "out"
    result = _cli(src, "-o", out, "-r", "-k", "1", "--json", "--glob", "*.png", "--glob",
                  "*.GIF", "--exclude", "/logo.png", "--exclude", "*.PNG", "--exclude",
                  "vendr/**", "--exclude", "thumbs")
    against = (f"(patterns are matched, case-sensitively, against each file's path below "
               f"{str(src)!r}, such as 'img/hero.min.png')")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[:4] == [
        f"quantize: warning: --glob='*.GIF': no file matches it {against}",
        f"quantize: warning: --exclude='/logo.png': no file matches it, so it leaves none out "
        f"{against}",
        f"quantize: warning: --exclude='*.PNG': no file matches it, so it leaves none out "
        f"{against}",
        f"quantize: warning: --exclude='vendr/**': no file matches it, so it leaves none out "
        f"{against}"]
    assert "thumbs" not in result.stderr  # it left img/thumbs/t.png out
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(Path(r["input"]).relative_to(src).as_posix() for r in records) == [
        "img/hero.min.png", "img/hero.png", "logo.png", "vendor/x.png"]
    top = _cli(src, "-o", tmp_path / "top", "-k", "1", "-q", "--exclude", "img/*.png")
    assert (top.exit_code, top.stderr) == (0, (
        "quantize: warning: --exclude='img/*.png': no file matches it, so it leaves none out "
        f"(patterns are matched, case-sensitively, against each file's path below "
        f"{str(src)!r}, such as 'logo.png'; without -r, the files at its top only)\n"))


@pytest.mark.parametrize("pattern", ["thumbs", "thumbs/"])
def test_cli_exclude_a_folder_name_leaves_out_its_files(tmp_path, monkeypatch, pattern):
    """--exclude thumbs, or thumbs/, meant the folder and left out only a file named thumbs:
    they leave out the files under every folder of that name, with no warning where a
    folder of that name is in the current folder (not a name the shell gave); a pattern of
    slashes alone names nothing and is refused."""
    monkeypatch.chdir(tmp_path)
    for name in ("x.png", "thumbs/t.png", "a/thumbs/u.png", "a/y.png"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4), "red").save(name)
    result = _cli(".", "-o", "out", "-r", "--exclude", pattern, "-q", "-k", "1")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(p.relative_to("out").as_posix() for p in Path("out").rglob("*.png")) == [
        "a/y.png", "x.png"]
    refused = _cli(".", "-o", "out2", "--exclude", "/")
    assert (refused.exit_code, refused.stderr) == (2, (
        "quantize: error: --exclude='/' names no file nor folder; expected a pattern such as "
        "'*.jpg' or 'thumbs/'\n"))


def test_cli_dither_level_and_optimize_reach_every_job(photo_tree, tmp_path, monkeypatch):
    plans = []
    real_plan = batch.plan_batch

    def recording_plan(*args, **kwargs):
        plans.append(real_plan(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(batch, "plan_batch", recording_plan)
    result = _cli(photo_tree, "-o", tmp_path / "out", "-k", "4", "--glob", "*.png",
                  "--dither=0.25", "--optimize", "-q")
    assert result.exit_code == 0, result.output
    [plan] = plans
    assert plan.options["dither"] == 0.25 and plan.options["optimize"] is True
    assert all(j.options["dither"] == 0.25 for j in plan.jobs)
    with Image.open(tmp_path / "out" / "chelsea.png") as im:
        assert im.mode == "P" and len(im.getpalette()) <= 4 * 3


def test_cli_summary_line_shows_the_report_names_escaped(tmp_path, monkeypatch):
    # A newline in a report's name broke the summary line in two, and U+202E turned the
    # rest of it around, where every other name of the line is shown escaped.
    monkeypatch.chdir(tmp_path)
    folder = _noise_folder(tmp_path / "in", "a.png")
    result = _cli(folder, "-o", "out", "-k", "4", "--report", "r\n\u202e.json", "--html",
                  "p\x1b.html")
    assert result.exit_code == 0, result.output
    [summary] = [line for line in result.stdout.splitlines() if "files:" in line]
    assert summary.endswith("; report: r\\n\\u202e.json, p\\x1b.html")
    assert len(result.stdout.splitlines()) == 2  # the file's line and the summary line
    assert (tmp_path / "r\n\u202e.json").is_file() and (tmp_path / "p\x1b.html").is_file()


def test_cli_html_report_lists_every_file_and_the_failures(photo_tree, tmp_path):
    import html as html_lib

    page, report = tmp_path / "index.html", tmp_path / "r.json"
    result = _cli(photo_tree, "-o", tmp_path / "out", "-r", "-k", "4", "--seed", "0",
                  "--html", page, "--report", report)
    assert result.exit_code == 1, result.output
    assert f"report: {report}, {page}" in result.stdout
    text = html_lib.unescape(page.read_text())
    for row in json.loads(report.read_text())["files"]:
        assert Path(row["input"]).name in text
        if row["status"] == "failed":
            assert row["reason"] in text
    assert "http://" not in text and "https://" not in text   # self-contained


def test_cli_html_report_decodes_no_image_over_max_pixels(photo_tree, tmp_path):
    page = tmp_path / "index.html"
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "*.png", "--max-pixels", "1000",
                  "--html", page, "-q")
    assert result.exit_code == 1, result.output
    assert "chelsea.png: 48x40 = 1,920 pixels exceeds the limit of 1,000" in result.stderr
    text = page.read_text()
    assert "<img" not in text and "no before image" in text  # refused by the page too


def test_cli_html_report_names_options_by_their_flags(tmp_path):
    import html as html_lib

    (tmp_path / "in").mkdir()
    Image.new("RGBA", (30, 20), (0, 0, 0, 0)).save(tmp_path / "in" / "clear.png")  # 600 pixels
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "in" / "big.png")
    page = tmp_path / "index.html"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-k", "8", "--max-pixels", "1000",
                  "--html", page, "-q")
    assert result.exit_code == 1, result.output
    text = html_lib.unescape(page.read_text())
    assert ("big.png</a>: 40x40 = 1,600 pixels exceeds the limit of 1,000; if the file is "
            "trusted, set --max-pixels=1600 or more") in text
    assert "warning: -k/--colors=8 but the image has no visible colour" in text
    assert "max_pixels=" not in text and "n_colors=" not in text


def test_cli_html_report_shows_the_command_as_it_was_typed(tmp_path):
    import html as html_lib
    import shlex

    (tmp_path / "my in").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "my in" / "a.png")
    page = tmp_path / "out" / "index.html"
    given = [str(tmp_path / "my in"), "-o", str(tmp_path / "out"), "-k", "4", "--dither=0.5",
             "--html", str(page), "-q"]
    result = _cli(*given)
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    code = text.split("<code>", 1)[1].split("</code>", 1)[0]
    code = re.sub(r"</?span[^>]*>", "", code)  # each argument in a span, its text as typed
    assert shlex.split(html_lib.unescape(code)) == ["quantize", "batch", *given]


def test_cli_reports_name_options_by_their_flags_as_the_terminal_does(tmp_path):
    # The terminal and the page said -k/--colors=16; the JSON and CSV reports said n_colors=16.
    (tmp_path / "in").mkdir()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(tmp_path / "in" / "clear.png")
    said = ("-k/--colors=16 but the image has no visible colour (every pixel is fully "
            "transparent); returning the transparent entry alone")
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-k", "16", "-q",
                  "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"quantize: warning: {tmp_path / 'in' / 'clear.png'}: {said}\n"
    assert json.loads((tmp_path / "r.json").read_text())["files"][0]["warnings"] == [said]
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-k", "16", "-q", "--force",
                  "--report", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as f:
        assert [json.loads(row["warnings"]) for row in csv.DictReader(f)] == [[said]]


@pytest.mark.parametrize("n", [5, 6, 8])
@pytest.mark.parametrize("quiet", [False, True])
def test_cli_a_warning_of_many_files_is_said_for_five_then_counted(tmp_path, n, quiet):
    # A zoom level's empty map tiles each warned of no visible colour, -q too: thousands
    # of lines on stderr. The first five are said, then one line counts the others; the
    # report keeps each file's.
    src = tmp_path / "in"
    names = [f"t{i}.png" for i in range(n)]
    for name in names:
        (src / name[:2]).mkdir(parents=True)
        Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(src / name[:2] / "0.png")
    Image.fromarray(np.array([[[255, 0, 0], [0, 99, 0]]], np.uint8)).save(src / "map.png")
    said = ("-k/--colors=16 but the image has no visible colour (every pixel is fully "
            "transparent); returning the transparent entry alone")
    result = _cli(src, "-o", tmp_path / "out", "-k", "16", "-j", "1", "-r",
                  "--report", tmp_path / "r.json", *(["-q"] if quiet else []))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[:min(n, 5)] == [f"quantize: warning: {src / name[:2] / '0.png'}: {said}"
                                 for name in names[:5]]
    assert lines[5:] == ([] if n <= 5 else [
        f"quantize: warning: … and {n - 5} more {'file' if n == 6 else 'files'} with this "
        "warning, not said one by "
        f"one (each --report row keeps its file's): {said}"])
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert sorted(row["warnings"] or [] for row in rows) == [[]] + [[said]] * n
    if not quiet:  # each file keeps its own progress line
        assert len([x for x in result.stdout.splitlines() if x.startswith("[")]) == n + 1


def test_terminal_progress_counts_a_warning_of_many_files_past_five(monkeypatch):
    results = [batch.FileResult(Path(f"in/{i}.png"), Path(f"out/{i}.png"), "ok", "",
                                {"warnings": ["no visible colour"]}) for i in range(7)]
    plan = batch.BatchPlan(Path("in"), Path("out"), batch.reduce_mode(), [], [])
    lines = _warnings_shown(monkeypatch, plan, results)
    assert lines == [f"warning in/{i}.png: no visible colour" for i in range(5)] + [
        "warning … and 2 more files with this warning, not said one by one (each --report "
        "row keeps its file's): no visible colour"]


def test_cli_reports_may_go_into_a_new_folder_inside_the_output(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q",
                  "--report", out / "reports" / "r.csv", "--html", out / "index.html")
    assert result.exit_code == 0, result.output
    assert (out / "reports" / "r.csv").read_text("utf-8-sig").splitlines()[1].split(",")[2] \
        == "ok"
    assert "chelsea.png" in (out / "index.html").read_text()


def test_cli_html_title_names_the_input_folder_as_given(tmp_path, monkeypatch):
    # With every input in in/2023/, the title said "2023", the folder the inputs share,
    # and the files were named "a.png", not by their path from INPUT_DIR as mirrored in -o.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in" / "2023").mkdir(parents=True)
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (200, 0, 0)).save(tmp_path / "in" / "2023" / name)
    result = _cli("in/", "-o", "out", "-r", "-k", "2", "--html", "out/index.html", "-q")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "index.html").read_text()
    assert "<title>quantize batch report (reduce): in</title>" in text
    assert re.findall(r'<a href="[^"#]*">([^<]*)</a>', text)[::2] == ["2023/a.png", "2023/b.png"]
    monkeypatch.chdir(tmp_path / "in")  # an INPUT_DIR of no name of its own: and its name
    result = _cli(".", "-o", "../out2", "-r", "-k", "2", "--html", "../out2/index.html", "-q")
    assert result.exit_code == 0, result.output
    assert "<title>quantize batch report (reduce): . (in)</title>" in \
        (tmp_path / "out2" / "index.html").read_text()


@pytest.mark.parametrize("flag", ["--html", "--report"])
def test_cli_reports_make_no_folder_a_dot_dot_steps_out_of(tmp_path, monkeypatch, flag):
    # out/new/../index.html left an empty out/new/ behind: made for the report, which the
    # system writes in out/.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(tmp_path / "in" / "a.png")
    name = "index.html" if flag == "--html" else "r.json"
    result = _cli("in", "-o", "out/o", "-k", "2", flag, f"out/o/new/../{name}", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "o" / name).is_file()
    assert sorted(p.name for p in (tmp_path / "out" / "o").iterdir()) == sorted(
        [".quantize-batch.jsonl", "a.png", name])


@pytest.mark.parametrize("shared", [[], ["--shared-palette"]])
def test_cli_output_folder_makes_no_folder_a_dot_dot_steps_out_of(tmp_path, monkeypatch,
                                                                   shared):
    # -o out/new/../o with --shared-palette left out/new/ behind, made for the palette
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(tmp_path / "in" / "a.png")
    (tmp_path / "out").mkdir()
    result = _cli("in", "-o", "out/new/../o", "-k", "2", *shared)
    assert result.exit_code == 0, result.output
    assert "-> out/o/a.png" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["o"]


def test_cli_refuses_a_report_path_that_is_a_folder_before_any_work(photo_tree, tmp_path):
    (tmp_path / "r2.json").mkdir()
    result = _cli(photo_tree, "-o", tmp_path / "out2", "--report", tmp_path / "r2.json")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: --report={str(tmp_path / 'r2.json')!r} is a "
                             "folder; expected a file name\n")
    assert not (tmp_path / "out2").exists()


def test_cli_shared_palette_fewer_colours_is_one_note_line(tmp_path):
    # It printed Python's own warning format: the library's file and line, the
    # warning's class, then the source line of the call; then a warning, even with -q,
    # where each file's fewer colours, all kept, are a note.
    src = tmp_path / "in"
    src.mkdir()
    flat = np.zeros((8, 8, 3), np.uint8)
    flat[:4] = (250, 250, 250)
    Image.fromarray(flat).save(src / "flat.png")
    result = _cli(src, "-o", tmp_path / "out", "-k", "12", "--shared-palette")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("quantize: note: shared palette: -k/--colors=12 but the images "
                             "together have only 2 distinct colours; returning those 2\n")
    quiet = _cli(src, "-o", tmp_path / "out2", "-k", "12", "--shared-palette", "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_cli_shared_palette_of_images_with_nothing_visible_is_a_failure_not_a_usage_error(
        tmp_path):
    # It exited 2, the code of a bad option, though the command line was right.
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(src / "clear.png")
    result = _cli(src, "-o", tmp_path / "out", "--shared-palette", "-q")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"quantize: error: {src}: no image could be sampled for the shared "
                             "palette; no image has a visible pixel (each is fully "
                             "transparent)\n")


@pytest.mark.parametrize("flag, name", [("--report", "notes.csv"), ("--report", "data.json"),
                                        ("--html", "page.html")])
def test_cli_report_replaces_only_a_report(photo_tree, tmp_path, flag, name):
    # Any existing file at a report path was silently replaced by the report.
    mine = tmp_path / name
    mine.write_text("mine\n")
    out = tmp_path / "out"
    refused = _cli(photo_tree, "-o", out, "-r", "-k", "4", flag, mine)
    assert refused.exit_code == 15
    assert refused.stderr == (f"quantize: error: {flag}={str(mine)!r} exists and is not a "
                              "quantize batch report; choose another path, or use --force to "
                              "replace it\n")
    assert mine.read_text() == "mine\n" and not out.exists()
    forced = _cli(photo_tree, "-o", out, "-r", "-k", "4", flag, mine, "--force")
    assert forced.exit_code == 1, forced.output  # the tree holds bad files
    assert mine.read_text() != "mine\n"
    again = _cli(photo_tree, "-o", out, "-r", "-k", "4", flag, mine)  # a rerun updates it
    assert again.exit_code == 1, again.output
    assert mine.read_text() != "mine\n"


@pytest.mark.parametrize("flag, name", [("--report", "r.json"), ("--html", "r.html")])
def test_cli_a_report_at_a_link_to_nothing_needs_force(tmp_path, flag, name):
    # The report replaced the link without --force, where reduce -o refuses such a link;
    # with --force it replaced the link too, where it is now written through it.
    src = tmp_path / "in"
    src.mkdir()
    image = np.zeros((4, 4, 3), np.uint8)
    image[:, 2:] = 200
    Image.fromarray(image).save(src / "a.png")
    link, out = tmp_path / name, tmp_path / "out"
    (tmp_path / "pages").mkdir()
    symlink_or_skip(link, Path("pages") / name)
    refused = _cli(src, "-o", out, "-k", 2, flag, link)
    assert (refused.exit_code, refused.stderr) == (
        15, f"quantize: error: {flag}={str(link)!r} is a link to 'pages/{name}', which does "
        "not exist: the report would be written there; choose another path, or remove the "
        "link (--force writes through it, and redoes every file)\n")
    assert link.is_symlink() and not out.exists()
    forced = _cli(src, "-o", out, "-k", 2, flag, link, "--force")
    assert forced.exit_code == 0, forced.output
    assert os.readlink(link) == str(Path("pages") / name) and (out / "a.png").is_file()
    mark = '{\n  "summary": ' if name.endswith(".json") else "<title>quantize batch report"
    assert mark in (tmp_path / "pages" / name).read_text(encoding="utf-8")


def test_cli_report_may_not_overwrite_the_palette_in_file(photo_tree, tmp_path):
    # --report pal.json --palette-in pal.json replaced the user's palette with the report.
    pal = tmp_path / "pal.json"
    pal.write_text('{"colors": ["#ff0000", "#0000ff"]}')
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--palette-in", pal, "--report", pal)
    assert result.exit_code == 15  # an existing file that is not a report
    assert "exists and is not a quantize batch report" in result.stderr
    result = _cli(photo_tree, "-o", out, "--palette-in", pal, "--report", pal, "--force")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: --report={str(pal)!r} is the "
                             f"--palette-in={str(pal)!r} file the batch reads; expected "
                             "another path\n")
    assert pal.read_text() == '{"colors": ["#ff0000", "#0000ff"]}'
    assert not out.exists()


@pytest.mark.parametrize("command", ["batch", "reduce"])
def test_cli_refuses_a_palette_in_from_stdin_as_such(photo_tree, tmp_path, command):
    # '--palette-in -' was refused as "'-' has no extension", which asked for one; then
    # the formats named left out the palette images it reads too
    out = tmp_path / "out"
    result = (_cli(photo_tree, "-o", out, "--palette-in", "-") if command == "batch"
              else _cli_reduce(photo_tree / "chelsea.png", "-o", out, "--palette-in", "-"))
    assert result.exit_code == 2
    assert result.stderr == ("quantize: error: --palette-in is -, but the palette is read "
                             "from a file, not from stdin; name a palette file (.gpl, .json, "
                             ".hex, .act, .pal, .txt, .css or .ase, or an image of its "
                             "colours: .png, "
                             ".gif or .bmp)\n")
    assert not out.exists()


def test_cli_refuses_a_palette_in_pipe_before_reading_it(photo_tree, tmp_path):
    # the batch read the pipe once to check it, and each file's job read it again: the run
    # waited for a writer of the pipe forever
    pipe = tmp_path / "pal.hex"
    result = run_with_palette_pipe(["batch", str(photo_tree), "-o", str(tmp_path / "out")],
                                   pipe)
    assert result.returncode == 1, result.stderr
    assert result.stderr == pipe_refusal(pipe)
    assert not (tmp_path / "out").exists()


def test_cli_shared_palette_with_translucent_colours_maps_animations_too(tmp_path):
    # With a translucent still in the folder the shared palette has alpha, and every
    # animation failed with "matmul: Input operand 1 has a mismatch in its core dimension".
    src = tmp_path / "in"
    src.mkdir()
    soft = np.zeros((8, 8, 4), np.uint8)
    soft[..., :3] = (200, 30, 30)
    soft[..., 3] = np.linspace(0, 255, 8, dtype=np.uint8)[None, :]
    Image.fromarray(soft, "RGBA").save(src / "soft.png")
    frames = [Image.fromarray(np.full((8, 8, 3), c, np.uint8))
              for c in ((200, 30, 30), (30, 160, 40))]
    frames[0].save(src / "clip.gif", save_all=True, append_images=frames[1:], duration=50,
                   loop=0)
    out = tmp_path / "out"
    result = _cli(src, "-o", out, "-k", "4", "--shared-palette", "-q")
    assert result.exit_code == 0, result.output
    # 2: the red of the opaque frames and of the still's opaque column is opaque (it was
    # alpha 248, mean of those and the still's column of alpha 218).
    assert "quantize: warning: in/clip.gif: --shared-palette file='out/shared-palette.json' " \
        "has 2 translucent entries" in result.stderr.replace(str(tmp_path) + "/", "")
    with Image.open(out / "clip.gif") as im:
        assert im.n_frames == 2


def test_cli_shared_palette_with_optimize_gives_every_output_the_same_palette(tmp_path):
    # --optimize reordered each output's palette and dropped the entries it did not use:
    # outputs of one shared palette held different colours, at different indices.
    src = tmp_path / "in"
    src.mkdir()
    _two_colours(src / "a.png", (200, 30, 30))
    _two_colours(src / "b.png", (30, 30, 200))
    out = tmp_path / "out"
    result = _cli(src, "-o", out, "-k", "3", "--shared-palette", "--optimize", "-q")
    assert result.exit_code == 0, result.output
    shared = [c["rgb"] for c in json.loads((out / "shared-palette.json").read_text())["colors"]]
    assert sorted(shared) == [[0, 0, 0], [30, 30, 200], [200, 30, 30]]
    for name, colour in (("a.png", [200, 30, 30]), ("b.png", [30, 30, 200])):
        assert _palette(out / name) == [v for rgb in shared for v in rgb]
        with Image.open(out / name) as im:
            assert np.asarray(im).tolist() == [[shared.index(colour)] * 3
                                               + [shared.index([0, 0, 0])] * 3] * 4


@pytest.mark.parametrize("ext, translucent", [(".gif", False), (".png", True)])
def test_cli_shared_palette_for_gif_outputs_is_fitted_on_the_alpha_they_hold(
        tmp_path, ext, translucent):
    # Fitted on the translucent pixels with their alpha, the palette had translucent
    # entries, which every GIF made opaque or left out, with a warning for each file.
    src = tmp_path / "in"
    src.mkdir()
    soft = np.zeros((4, 6, 4), np.uint8)
    soft[..., :3] = (200, 30, 30)
    soft[2:, :, :3] = (30, 30, 200)
    soft[..., 3] = [[255], [100], [200], [255]]
    Image.fromarray(soft, "RGBA").save(src / "soft.png")
    _two_colours(src / "flat.png", (30, 160, 40))
    out = tmp_path / "out"
    result = _cli(src, "-o", out, "-k", "8", "--shared-palette", "--ext", ext, "-q")
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "shared-palette.json").read_text())["colors"]
    assert ("translucent palette entr" in result.stderr) is False
    if translucent:
        assert 0 < saved[0]["alpha"] < 255
    else:  # the colours of the opaque pixels, as each GIF holds them, after the entry of
        # the pixels it makes transparent, first in every file
        assert saved[0]["alpha"] == 0
        assert {c.get("alpha", 255) for c in saved[1:]} == {255}
        assert sorted(c["hex"] for c in saved[1:]) == ["#000000", "#1e1ec8", "#1ea028",
                                                       "#c81e1e"]
        with Image.open(out / "soft.gif") as im:
            back = np.asarray(im.convert("RGBA"))
        assert back[..., 3].tolist() == [[255] * 6, [0] * 6, [255] * 6, [255] * 6]
        assert back[[0, 2, 3], :, :3].reshape(-1, 3).tolist() == (
            [[200, 30, 30]] * 6 + [[30, 30, 200]] * 12)


def test_cli_shared_palette_reused_too_full_for_a_new_transparent_image_names_its_file(
        tmp_path, rng):
    # A palette of 256 colours fitted on opaque images leaves no entry for transparent
    # pixels; an image with some, added for a rerun, failed with "palette_in holds 256
    # colours": an option the user never gave. The file that holds them is named now.
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(src / "a.png")
    out = tmp_path / "out"
    assert _cli(src, "-o", out, "-k", "256", "--shared-palette", "-q").exit_code == 0
    holey = rng.integers(0, 256, (24, 24, 4), dtype=np.uint8)
    holey[..., 3] = 255
    holey[:3, :, 3] = 0
    Image.fromarray(holey, "RGBA").save(src / "b.png")
    result = _cli(src, "-o", out, "-k", "256", "--shared-palette", "-q")
    assert result.exit_code == 1
    assert result.stderr.replace(str(tmp_path) + "/", "") == (  # b.png is new: said first
        "quantize: warning: shared palette: 1 input is new since shared-palette.json was "
        "fitted; mapped onto it as it is, so that every output keeps its colours (--force "
        "fits a new palette on every file and redoes them all)\n"
        "quantize: error: in/b.png: --shared-palette file='out/shared-palette.json' holds 256 "
        "colours, more than a palette image holds: at most 255 colours (one entry is kept "
        "for the transparent pixels); rerun with --force to fit a new shared palette on every "
        "file\n")
    assert not (out / "b.png").exists()
    refit = _cli(src, "-o", out, "-k", "256", "--shared-palette", "--force", "-q")
    assert (refit.exit_code, refit.stderr) == (0, "")  # as it says
    assert (out / "b.png").is_file()


def _two_colours(path: Path, colour: tuple[int, int, int]) -> None:
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[:, :3] = colour
    Image.fromarray(pixels).save(path)


def _two_images(src: Path) -> None:
    src.mkdir()
    _two_colours(src / "a.png", (200, 30, 30))
    _two_colours(src / "b.png", (30, 160, 40))


def test_cli_rerun_with_force_without_shared_palette_removes_the_unused_palette(tmp_path):
    # The palette of a --shared-palette run was left in OUT_DIR after a --force run
    # without the option redid every file: it described no output.
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    assert _cli(src, "-o", out, "-k", "2", "--shared-palette", "-q").exit_code == 0
    assert (out / "shared-palette.json").is_file()
    result = _cli(src, "-o", out, "-k", "2", "--force", "-j", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert f"removed {out}/shared-palette.json, the palette of an earlier --shared-palette " \
        "run, which no output is mapped onto\n" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "a.png", "b.png"]
    assert "shared-palette.json" not in batch.read_manifest(out)
    again = _cli(src, "-o", out, "-k", "2", "-j", "1")  # nothing more to say
    assert again.exit_code == 0 and "removed" not in again.stdout


def test_cli_unused_palette_is_kept_while_an_output_is_mapped_onto_it_or_changed(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    assert _cli(src, "-o", out, "-k", "2", "--shared-palette", "-q").exit_code == 0
    (src / "b.png").write_bytes(b"not an image")  # its redo fails: its output is kept
    failed = _cli(src, "-o", out, "-k", "2", "--force", "-q")
    assert failed.exit_code == 1
    assert (out / "shared-palette.json").is_file() and (out / "b.png").is_file()
    _two_colours(src / "b.png", (30, 160, 40))
    with open(out / "shared-palette.json", "a") as f:  # edited by hand since
        f.write("\n")
    result = _cli(src, "-o", out, "-k", "2", "--force", "-q")
    assert result.exit_code == 0
    assert result.stderr.replace(str(tmp_path) + "/", "") == (
        "quantize: warning: out/shared-palette.json: the palette of an earlier "
        "--shared-palette run, which no output is mapped onto, is left in place: it changed "
        "since that run wrote it\n")
    assert (out / "shared-palette.json").is_file()


def test_cli_shared_palette_names_no_palette_in_when_an_animation_loses_its_alpha(tmp_path):
    # An APNG with translucent pixels mapped onto the shared palette keeps binary
    # transparency, and the warning said "an animation mapped onto palette_in keeps ...":
    # an option the user never gave.
    src = tmp_path / "in"
    src.mkdir()
    frames = []
    for x in range(2):
        f = np.zeros((4, 8, 4), np.uint8)
        f[...] = (200, 30, 30, 255)
        f[2:, :, 3] = 100
        f[0, x] = (30, 160, 40, 255)
        frames.append(Image.fromarray(f, "RGBA"))
    frames[0].save(src / "clip.png", save_all=True, append_images=frames[1:], duration=50,
                   loop=0)
    result = _cli(src, "-o", tmp_path / "out", "-k", "2", "--shared-palette", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr.replace(str(tmp_path) + "/", "") == (
        "quantize: warning: in/clip.png: 50% of the pixels are translucent; an animation "
        "mapped onto --shared-palette file='out/shared-palette.json' keeps only binary "
        "transparency, so each takes the opaque entry, or the transparent one, that looks "
        "nearest over black and over white\n")  # mapped as a still's onto the palette


def _animation_folder(src: Path) -> dict[str, str]:
    """A folder of tiny animations and stills; input name -> the output name batch gives it."""
    from .animation_support import moving_square, save_animation

    src.mkdir()
    frames = moving_square(3, 8)
    save_animation(src / "clip.gif", frames, duration=[40, 60, 80], loop=2, disposal=2)
    save_animation(src / "clip.webp", frames, duration=[40, 60, 80], loop=3, lossless=True)
    save_animation(src / "pan.png", frames, duration=[40, 60, 80], loop=4)  # an APNG
    save_animation(src / "pages.tif", frames)
    Image.fromarray(frames[0]).save(src / "one.gif", duration=120, loop=0)
    Image.fromarray(frames[1]).save(src / "still.webp", lossless=True)
    return {"clip.gif": "clip.gif", "clip.webp": "clip.webp", "pan.png": "pan.png",
            "pages.tif": "pages.tif", "one.gif": "one.png", "still.webp": "still.png"}


def test_cli_animations_keep_their_format_as_reduce_writes_them(tmp_path):
    # Every output was a .png: a GIF or WebP animation came out as an APNG, unlike
    # `quantize reduce`, which keeps an animation's format (a TIFF's pages as a TIFF's
    # pages, which were written as a GIF).
    from quantize.reduce import reduce_file

    src, out = tmp_path / "in", tmp_path / "out"
    names = _animation_folder(src)
    result = _cli(src, "-o", out, "-k", "4", "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        sorted(names.values())
    for name, written in names.items():  # the very file reduce writes given no output
        with warnings.catch_warnings():  # the warnings batch printed (-q keeps them)
            warnings.simplefilter("ignore")
            alone = reduce_file(src / name, tmp_path / f"alone{Path(written).suffix}",
                                n_colors=4, force=True)
        assert (out / written).read_bytes() == Path(alone["output"]).read_bytes(), name
    formats = {}
    for written in names.values():
        with Image.open(out / written) as im:
            formats[written] = (im.format, getattr(im, "n_frames", 1), im.info.get("loop"))
    assert formats == {"clip.gif": ("GIF", 3, 2), "clip.webp": ("WEBP", 3, 3),
                       "pan.png": ("PNG", 3, 4), "pages.tif": ("TIFF", 3, None),
                       "one.png": ("PNG", 1, None), "still.png": ("PNG", 1, None)}
    rerun = _cli(src, "-o", out, "-k", "4", "-j", "1")
    assert rerun.exit_code == 0 and "6/6 files: 0 ok, 6 skipped, 0 failed" in rerun.stdout
    (src / "clip.webp").write_bytes((src / "clip.webp").read_bytes() + b"\0")
    redone = _cli(src, "-o", out, "-k", "4", "-j", "1")
    assert f"ok      {src / 'clip.webp'} -> {out / 'clip.webp'}" in redone.stdout
    assert "1 ok (1 redone: input or output changed), 5 skipped" in redone.stdout


def test_cli_palette_per_frame_writes_animations_as_reduce_does(tmp_path):
    # batch had no --palette: every animation got one palette for all its frames, and
    # `reduce DIR --palette per-frame` pointed to a batch command without it.
    from quantize.reduce import reduce_file

    src, out = tmp_path / "in", tmp_path / "out"
    names = _animation_folder(src)
    page = tmp_path / "index.html"
    result = _cli(src, "-o", out, "-k", "4", "--palette", "per-frame", "-q", "-j", "1",
                  "--html", page)
    assert result.exit_code == 0, result.output
    assert page.read_text().count("a palette per frame: k is the largest") == 4
    written = {"clip.gif": "clip.gif.gif", "clip.webp": "clip.webp.gif", "pan.png": "pan.gif",
               "pages.tif": "pages.gif", "one.gif": "one.png", "still.webp": "still.png"}
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        sorted(written.values())
    for name, target in written.items():  # local colour tables: only a GIF holds them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alone = reduce_file(src / name, tmp_path / f"alone{Path(target).suffix}",
                                n_colors=4, palette="per-frame", force=True)
        assert (out / target).read_bytes() == Path(alone["output"]).read_bytes(), name
    assert names["one.gif"] == written["one.gif"]  # a still is written as without the option
    again = _cli(src, "-o", out, "-k", "4")
    assert again.exit_code == 15
    assert "4 outputs were made with --palette='per-frame', while this run asks for " \
        "--palette='global'" in again.stderr


def test_cli_palette_mode_is_no_change_of_options_for_the_outputs_of_stills(tmp_path):
    """A still is made alike with --palette global or per-frame: a rerun with the other was
    refused (exit 15) for every still's output too, to be redone with --force."""
    src, out = tmp_path / "in", tmp_path / "out"
    _animation_folder(src)
    stills = ["--glob", "*.webp", "-k", "4", "-j", "1"]  # still.webp, and the clip
    (src / "clip.webp").unlink()
    first = _cli(src, "-o", out, *stills, "-q")
    assert first.exit_code == 0, first.output
    made = (out / "still.png").read_bytes()
    again = _cli(src, "-o", out, *stills, "--palette", "per-frame")
    assert again.exit_code == 0, again.output
    assert "0 ok, 1 skipped" in again.stdout and (out / "still.png").read_bytes() == made
    # an animation's output is shaped by it: refused, naming that output alone
    (src / "clip.webp").write_bytes((src / "pan.png").read_bytes())  # an APNG, named .webp
    assert _cli(src, "-o", out, *stills, "-q").exit_code == 0
    other = _cli(src, "-o", out, *stills, "--palette", "per-frame")
    assert other.exit_code == 15
    assert "1 output was made with --palette='global', while this run asks for " \
        "--palette='per-frame';" in other.stderr


def test_cli_nearest_maps_animations_as_reduce_does_and_is_recorded(tmp_path):
    """batch had no way to map an animation's pixels onto their nearest entries; a still is
    made alike with or without it, an animation's output is not."""
    from quantize.reduce import reduce_file

    src, out = tmp_path / "in", tmp_path / "out"
    _animation_folder(src)
    (src / "pages.tif").unlink()
    (src / "clip.webp").unlink()
    result = _cli(src, "-o", out, "-k", "2", "--nearest", "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    for name in ("clip.gif", "pan.png"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alone = reduce_file(src / name, tmp_path / f"alone-{name}", n_colors=2,
                                nearest=True, force=True)
        assert alone["nearest"] is True
        assert (out / name).read_bytes() == Path(alone["output"]).read_bytes(), name
    again = _cli(src, "-o", out, "-k", "2", "--glob", "*.webp", "-j", "1")  # still.webp
    assert again.exit_code == 0, again.output
    assert "0 ok, 1 skipped" in again.stdout
    other = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert other.exit_code == 15
    assert "2 outputs were made with --nearest, while this run asks for no --nearest" \
        in other.stderr


@pytest.mark.parametrize("args, message", [
    (["--quality", "2"], "--palette='per-frame' gives each frame a palette of its own, of at "
     "most -k/--colors=16 (its default) colours, so --quality=2 cannot be given with it"),
    (["--shared-palette"], "--shared-palette and --palette='per-frame' both given; expected "
     "one of them (a shared palette is one palette for every frame of every image)"),
    (["--mode", "segment"], "--palette does not apply to --mode segment; expected it only "
     "with --mode reduce"),
])
def test_cli_palette_per_frame_is_refused_with_what_it_cannot_take(tmp_path, args, message):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), "red").save(src / "a.png")
    result = _cli(src, "-o", tmp_path / "out", "--palette", "per-frame", *args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    result = _cli(src, "-o", tmp_path / "out", "--palette", "local")
    assert result.stderr.startswith("quantize: error: --palette='local' is not valid; "
                                    "expected one of 'global', 'per-frame'")
    assert not (tmp_path / "out").exists()


def test_cli_shared_palette_is_identical_across_outputs(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "-r", "-k", "6", "--seed", "0", "--shared-palette")
    assert result.exit_code == 1, result.output
    palettes = [_palette(out / Path(rel).with_suffix(".png")) for rel in GOOD]
    assert all(p == palettes[0] for p in palettes) and len(palettes[0]) == 6 * 3
    saved = json.loads((out / batch.SHARED_PALETTE_NAME).read_text())
    assert [c["rgb"] for c in saved["colors"]] == np.reshape(palettes[0], (-1, 3)).tolist()

    # A resumed run maps the remaining files onto the saved palette ...
    (out / "sub" / "rocket.png").unlink()
    resumed = _cli(photo_tree, "-o", out, "-r", "-k", "6", "--seed", "0", "--shared-palette")
    assert "shared palette: reusing 6 colours" in resumed.stdout
    assert _palette(out / "sub" / "rocket.png") == palettes[0]

    # ... but not a run asking for another palette, or for none.
    for args, before, now in ((["-k", "12"], "-k/--colors=6", "-k/--colors=12"),
                              (["-k", "6", "--seed", "5"], "--seed=0", "--seed=5")):
        refused = _cli(photo_tree, "-o", out, "-r", "--shared-palette", *args)
        assert refused.exit_code == 15, refused.output
        assert refused.stderr == (f"quantize: error: {out}: 4 outputs were made with {before}, "
                                  f"while this run asks for {now}; add --force to redo them, "
                                  "or choose another -o folder\n")
    refused = _cli(photo_tree, "-o", out, "-r", "-k", "6", "--seed", "0")
    assert refused.exit_code == 15
    assert "made with --shared-palette, while this run asks for no --shared-palette;" \
        in refused.stderr
    assert _palette(out / "sub" / "rocket.png") == palettes[0]
    forced = _cli(photo_tree, "-o", out, "-r", "-k", "12", "--seed", "0", "--shared-palette",
                  "--force")
    assert forced.exit_code == 1 and "fitted on 4 files" in forced.stdout
    assert len(_palette(out / "sub" / "rocket.png")) == 12 * 3


def test_cli_rerun_with_other_options_is_refused_and_keeps_the_outputs(photo_tree, tmp_path):
    out = tmp_path / "out"
    first = _cli(photo_tree, "-o", out, "-k", "8", "--glob", "*.png", "-q")
    assert first.exit_code == 0, first.output
    made = (out / "chelsea.png").read_bytes()
    again = _cli(photo_tree, "-o", out, "-k", "16", "--glob", "*.png", "--space", "lab")
    assert again.exit_code == 15
    assert again.stderr == (f"quantize: error: {out}: 1 output was made with -k/--colors=8, "
                            "--space='rgb', while this run asks for -k/--colors=16, "
                            "--space='lab'; add --force to redo it, or choose another "
                            "-o folder\n")
    assert again.stdout == "" and (out / "chelsea.png").read_bytes() == made
    same = _cli(photo_tree, "-o", out, "-k", "8", "--glob", "*.png")
    assert same.exit_code == 0 and "1/1 files: 0 ok, 1 skipped, 0 failed" in same.stdout
    forced = _cli(photo_tree, "-o", out, "-k", "16", "--glob", "*.png", "--force")
    assert forced.exit_code == 0 and "1 ok, 0 skipped" in forced.stdout
    assert 8 * 3 < len(_palette(out / "chelsea.png")) <= 16 * 3
    after = _cli(photo_tree, "-o", out, "-k", "16", "--glob", "*.png")
    assert after.exit_code == 0 and "0 ok, 1 skipped" in after.stdout
    # Redone outputs replace their entries: the manifest holds one line per output.
    assert len((out / batch.MANIFEST_NAME).read_text().splitlines()) == 1


def test_cli_rerun_after_the_palette_file_is_edited_is_refused(photo_tree, tmp_path):
    out, palette = tmp_path / "out", tmp_path / "brand.hex"
    palette.write_text("#000000\n#ffffff\n")
    args = ["-o", out, "--glob", "*.png", "--palette-in", palette, "-q"]
    assert _cli(photo_tree, *args).exit_code == 0
    made = (out / "chelsea.png").read_bytes()
    assert "0 ok, 1 skipped" in _cli(photo_tree, *args[:-1]).stdout
    palette.write_text("#ff0000\n#00ff00\n#0000ff\n")
    again = _cli(photo_tree, *args)
    assert again.exit_code == 15
    assert "1 output was made with --palette-in file's SHA-256='" in again.stderr
    assert (out / "chelsea.png").read_bytes() == made
    forced = _cli(photo_tree, *args, "--force")
    assert forced.exit_code == 0 and len(_palette(out / "chelsea.png")) == 3 * 3


def test_a_changed_palette_file_not_named_in_utf8_is_quoted_as_other_names():
    """The error on a rerun wrote --palette-in='p\\udcff.hex' where every other line shows
    the byte as \\xff."""
    from quantize.cli.batch import _describe

    name = b"/p/p\xff.hex".decode("utf-8", "surrogateescape")
    assert _describe({"palette_in": name, "space": "lab", "seed": None}) == (
        "--palette-in='/p/p\\xff.hex', --space='lab', --seed=(not used)")


def test_cli_segment_rerun_with_other_clusters_is_refused(photo_tree, tmp_path):
    out = tmp_path / "out"
    args = ["--mode", "segment", "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, "-k", "3", *args).exit_code == 0
    again = _cli(photo_tree, "-o", out, *args)
    assert again.exit_code == 15
    assert ("made with -k/--clusters=3, --seed=0, while this run asks for "
            "-k/--clusters=(not given), --seed=(not used);") in again.stderr


def test_cli_segment_min_region_0_of_the_hierarchy_matches_a_run_without_it(photo_tree,
                                                                             tmp_path):
    """--min-region 0 is the region hierarchy's default: a rerun giving it was refused (exit
    15, made with --min-region=(not given)) though it makes the same outputs."""
    out = tmp_path / "out"
    args = ["--mode", "segment", "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, *args).exit_code == 0
    made = (out / "chelsea" / "labels.png").read_bytes()
    again = _cli(photo_tree, "-o", out, "--min-region", "0", *args[:-1])
    assert again.exit_code == 0, again.output
    assert "0 ok, 1 skipped" in again.stdout
    assert (out / "chelsea" / "labels.png").read_bytes() == made
    other = _cli(photo_tree, "-o", out, "--min-region", "50", *args)
    assert other.exit_code == 15
    assert "made with --min-region=(not given), while this run asks for --min-region=50;" \
        in other.stderr


def test_cli_quality_with_k_256_matches_a_run_without_k(photo_tree, tmp_path):
    """-k 256 is the most colours --quality may choose when -k is left out: a rerun giving
    it was refused (exit 15, made with -k/--colors=(not given)) though the outputs are the
    same, and so was the reverse."""
    out = tmp_path / "out"
    args = ["--glob", "chelsea.png", "--quality", "4", "-q"]
    assert _cli(photo_tree, "-o", out, *args).exit_code == 0
    made = (out / "chelsea.png").read_bytes()
    for given in (["-k", "256"], []):
        again = _cli(photo_tree, "-o", out, *given, *args[:-1])
        assert again.exit_code == 0, again.output
        assert "0 ok, 1 skipped" in again.stdout
    assert (out / "chelsea.png").read_bytes() == made
    fewer = _cli(photo_tree, "-o", out, "-k", "255", *args)
    assert fewer.exit_code == 15
    assert "made with -k/--colors=(not given), while this run asks for -k/--colors=255;" \
        in fewer.stderr
    given = _cli(photo_tree, "-o", out / "k256", "-k", "256", *args)
    assert given.exit_code == 0 and (out / "k256" / "chelsea.png").read_bytes() == made
    again = _cli(photo_tree, "-o", out / "k256", *args[:-1])
    assert again.exit_code == 0 and "0 ok, 1 skipped" in again.stdout


@pytest.mark.parametrize("mode", [["--palette-in", "brand.hex"], ["--mode", "segment"]])
def test_cli_another_seed_where_no_kmeans_runs_is_no_change(photo_tree, tmp_path,
                                                            monkeypatch, mode):
    """Mapping onto a --palette-in file, or cutting the region hierarchy, uses no seed: a
    rerun with another --seed was refused (exit 15, made with --seed=0) though it makes the
    same outputs; so were outputs recorded with the seed, as earlier versions did."""
    monkeypatch.chdir(tmp_path)
    Path("brand.hex").write_text("#000000\n#ffffff\n#c08040\n")
    out = tmp_path / "out"
    args = [*mode, "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, "--seed", "0", *args).exit_code == 0
    made = {p: p.read_bytes() for p in out.rglob("*.png")}
    manifest = out / batch.MANIFEST_NAME
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert lines and all(line["settings"]["seed"] is None for line in lines)
    again = _cli(photo_tree, "-o", out, "--seed", "5", *args[:-1])
    assert again.exit_code == 0, again.output
    assert "0 ok, 1 skipped" in again.stdout
    for line in lines:
        line["settings"]["seed"] = 0  # as an earlier version recorded it
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    again = _cli(photo_tree, "-o", out, "--seed", "7", *args[:-1])
    assert again.exit_code == 0, again.output
    assert "0 ok, 1 skipped" in again.stdout
    assert {p: p.read_bytes() for p in out.rglob("*.png")} == made
    forced = _cli(photo_tree, "-o", out / "other", "--seed", "7", *args)  # the same outputs
    assert forced.exit_code == 0
    assert {p: p.read_bytes() for p in (out / "other").rglob("*.png")} == {
        out / "other" / p.relative_to(out): data for p, data in made.items()}


def _flat_rgba_folder(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A folder ``in`` holding ``flat.png``: an opaque red, a translucent blue and a clear
    colour, fewer than any -k; the folder and the image's pixels."""
    src = tmp_path / "in"
    src.mkdir()
    flat = np.zeros((6, 8, 4), np.uint8)
    flat[:3], flat[3:, :4], flat[3:, 4:] = [255, 0, 0, 255], [0, 0, 255, 128], [9, 9, 9, 0]
    Image.fromarray(flat).save(src / "flat.png")
    return src, flat


def test_cli_another_seed_is_no_change_for_an_image_of_at_most_k_colours(tmp_path):
    """An image of no more distinct colours than -k keeps them all, each its own entry,
    with no k-means run: its output is the same bytes whatever the seed, but a rerun with
    another --seed was refused (exit 15). The seed still counts for a file k-means ran on,
    and beside --quality, whose search for k tries seeded fits."""
    src, _ = _flat_rgba_folder(tmp_path)
    out = tmp_path / "out"
    assert _cli(str(src), "-o", str(out), "-k", "8", "--dither", "-q").exit_code == 0
    made = (out / "flat.png").read_bytes()
    again = _cli(str(src), "-o", str(out), "-k", "8", "--dither", "--seed", "5")
    assert again.exit_code == 0, again.output
    assert "0 ok, 1 skipped" in again.stdout
    other = tmp_path / "other"
    assert _cli(str(src), "-o", str(other), "-k", "8", "--dither", "--seed", "5",
                "-q").exit_code == 0
    assert (other / "flat.png").read_bytes() == made
    quality = tmp_path / "quality"
    assert _cli(str(src), "-o", str(quality), "--quality", "1", "-q").exit_code == 0
    refused = _cli(str(src), "-o", str(quality), "--quality", "1", "--seed", "5")
    assert refused.exit_code == 15
    assert "made with --seed=0, while this run asks for --seed=5;" in refused.stderr
    noisy = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(src / "noisy.png")
    assert _cli(str(src), "-o", str(out), "-k", "8", "--dither", "-q").exit_code == 0
    refused = _cli(str(src), "-o", str(out), "-k", "8", "--dither", "--seed", "5")
    assert refused.exit_code == 15
    assert "1 output was made with --seed=0, while this run asks for --seed=5;" \
        in refused.stderr


def test_cli_another_k_is_no_change_for_an_image_that_keeps_its_colours_under_both(tmp_path):
    """An image of 2 visible colours (and a clear one) reduced at -k 8 keeps them all, as
    at -k 16 or 2 (the same bytes), but a rerun with another -k was refused (exit 15);
    still refused for an image of 3 colours at -k 2, which merges two, and for an image
    k-means ran on."""
    src, flat = _flat_rgba_folder(tmp_path)
    out = tmp_path / "out"
    assert _cli(str(src), "-o", str(out), "-k", "8", "--dither", "-q").exit_code == 0
    made = (out / "flat.png").read_bytes()
    for k in ("16", "2"):  # the flat image has 2 visible colours and a clear one
        again = _cli(str(src), "-o", str(out), "-k", k, "--dither", "--seed", "5")
        assert again.exit_code == 0, again.output
        assert "0 ok, 1 skipped" in again.stdout
    other = tmp_path / "other"
    assert _cli(str(src), "-o", str(other), "-k", "16", "--dither", "-q").exit_code == 0
    assert (other / "flat.png").read_bytes() == made
    noisy = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(src / "noisy.png")
    assert _cli(str(src), "-o", str(out), "-k", "8", "--dither", "-q").exit_code == 0
    refused = _cli(str(src), "-o", str(out), "-k", "16", "--dither")
    assert refused.exit_code == 15
    assert "1 output was made with -k/--colors=8, while this run asks for -k/--colors=16;" \
        in refused.stderr
    two = tmp_path / "two"
    three = flat.copy()
    three[3:, 4:] = [0, 200, 0, 255]  # 3 visible colours
    Image.fromarray(three).save(src / "noisy.png")
    assert _cli(str(src), "-o", str(two), "-k", "8", "-q").exit_code == 0
    refused = _cli(str(src), "-o", str(two), "-k", "2")
    assert refused.exit_code == 15
    assert "made with -k/--colors=8, while this run asks for -k/--colors=2;" in refused.stderr


def test_cli_another_seed_of_a_kmeans_run_is_refused(photo_tree, tmp_path):
    out = tmp_path / "out"
    args = ["--glob", "chelsea.png", "--quality", "4", "-q"]
    assert _cli(photo_tree, "-o", out, *args).exit_code == 0
    again = _cli(photo_tree, "-o", out, "--seed", "1", *args)
    assert again.exit_code == 15
    assert "made with --seed=0, while this run asks for --seed=1;" in again.stderr


def test_cli_segment_outputs_recorded_with_min_region_0_match_runs_with_or_without_it(
        photo_tree, tmp_path):
    """Earlier versions recorded --min-region 0 of the hierarchy as 0: once it was checked
    as its default, a rerun with the same options would have been refused (exit 15)."""
    out = tmp_path / "out"
    args = ["--mode", "segment", "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, *args).exit_code == 0
    manifest = out / batch.MANIFEST_NAME
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert lines and all(line["settings"]["min_region"] is None for line in lines)
    for line in lines:
        line["settings"]["min_region"] = 0  # as an earlier version recorded --min-region 0
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for given in (["--min-region", "0"], []):
        again = _cli(photo_tree, "-o", out, *given, *args[:-1])
        assert again.exit_code == 0, again.output
        assert "0 ok, 1 skipped" in again.stdout


def test_cli_segment_overlay_color_reaches_every_job_and_red_matches_earlier_runs(
        photo_tree, tmp_path):
    out = tmp_path / "out"
    args = ["--mode", "segment", "--regions", "3", "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, *args).exit_code == 0
    made = (out / "chelsea" / "overlay.png").read_bytes()
    # red, the colour of the outputs made before the option existed, is no change of options
    again = _cli(photo_tree, "-o", out, "--overlay-color", "red", *args[:-1])
    assert again.exit_code == 0, again.output
    assert "skipped" in again.stdout and (out / "chelsea" / "overlay.png").read_bytes() == made
    other = _cli(photo_tree, "-o", out, "--overlay-color", "#00ffff", *args)
    assert (other.exit_code, other.stderr) == (
        15, f"quantize: error: {out}: 1 output was made with --overlay-color=#ff0000 "
            "(the default), "
            "while this run asks for --overlay-color=#00ffff; add --force to redo it, or "
            "choose another -o folder\n")
    assert _cli(photo_tree, "-o", out, "--overlay-color", "cyan", "--force",
                *args).exit_code == 0
    borders = load_image(out / "chelsea" / "boundaries.png").rgb[..., 0] > 0
    overlay = load_image(out / "chelsea" / "overlay.png").rgb
    assert borders.any()
    assert np.unique(overlay[borders], axis=0).tolist() == [[0, 255, 255]]


def test_cli_segment_rerun_without_edges_names_the_flag(photo_tree, tmp_path):
    out = tmp_path / "out"
    args = ["--mode", "segment", "--regions", "2", "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, "--edges", *args).exit_code == 0
    again = _cli(photo_tree, "-o", out, *args)
    assert again.exit_code == 15
    # a switch is named as it is typed: --edges, not --edges=True (which is refused)
    assert again.stderr == (f"quantize: error: {out}: 1 output was made with --edges, "
                            "while this run asks for no --edges; add --force to redo it, "
                            "or choose another -o folder\n")


def test_cli_resumed_reports_keep_the_metrics_of_the_run_that_made_each_output(
        photo_tree, tmp_path):
    import csv
    import html as html_lib

    out, report, page = tmp_path / "out", tmp_path / "rep.csv", tmp_path / "out" / "index.html"
    args = [photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--report", report,
            "--html", page]
    assert _cli(*args).exit_code == 1
    with open(report, newline="", encoding="utf-8-sig") as f:
        first = {row["input"]: row for row in csv.DictReader(f)}
    (out / "astronaut.png").unlink()    # one file left to do, said to be redone
    again = _cli(*args)
    assert again.exit_code == 1 and ("1 ok (1 redone: input or output changed), 3 skipped, "
                                     "3 failed") in again.stdout
    with open(report, newline="", encoding="utf-8-sig") as f:
        second = {row["input"]: row for row in csv.DictReader(f)}
    assert second.keys() == first.keys()
    for name, row in second.items():
        if row["status"] == "skipped":
            assert row["reason"] == "output exists"
            assert {k: v for k, v in row.items() if k not in ("status", "skipped", "reason")} == {
                k: v for k, v in first[name].items() if k not in ("status", "skipped", "reason")}
            assert row["k"] == "8" and float(row["psnr"]) > 15
    text = html_lib.unescape(page.read_text())
    for row in second.values():
        if row["status"] == "skipped":
            assert f"{float(row['psnr']):.2f}" in text and f"{float(row['delta_e']):.2f}" in text
    assert text.count('class="swatch"') == 4 * 8


def test_cli_skipped_files_without_a_record_say_so(photo_tree, tmp_path):
    out, report = tmp_path / "out", tmp_path / "rep.json"
    assert _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q").exit_code == 0
    (out / batch.MANIFEST_NAME).unlink()          # outputs of an older version
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "--report", report)
    assert (result.exit_code, result.stderr) == (
        0, _not_processed(photo_tree / "chelsea.png", out / "chelsea.png"))
    [row] = json.loads(report.read_text())["files"]
    assert (row["status"], row["reason"]) == (
        "skipped", "output exists; no record of the run that made it")
    assert (row["skipped"], row["k"]) == ("no_record", None)
    # the progress line gives the reason too (it was a bare "skipped"), and the way out
    assert result.stdout.splitlines()[0] == (
        f"[1/1] skipped {photo_tree / 'chelsea.png'}  (output exists; no record of the run "
        "that made it: --force replaces it)")
    forced = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "--force")
    assert forced.stdout.startswith(f"[1/1] ok      {photo_tree / 'chelsea.png'} -> ")


@pytest.mark.parametrize("mode", ["reduce", "segment"])
def test_cli_a_file_of_no_record_at_an_output_is_warned_of_also_with_q(tmp_path, mode):
    # A file of the user's where an output goes was skipped, exit 0, and with -q (which
    # keeps warnings and errors) nothing was said: every file seemed done.
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png"), tmp_path / "out"
    mine = out / "a.png" if mode == "reduce" else out / "a" / "labels.png"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(SENTINEL)
    args = [src, "-o", out, "--mode", mode, "-k", "2", "-j", "1"]
    warning = _not_processed(src / "a.png", out / ("a.png" if mode == "reduce" else "a"))
    quiet = _cli(*args, "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", warning)
    assert mine.read_bytes() == SENTINEL
    again = _cli(*args)  # at every run: the file is still not processed
    assert (again.exit_code, again.stderr) == (0, warning)
    assert again.stdout.splitlines()[0] == (
        f"[1/2] skipped {src / 'a.png'}  (output exists; no record of the run that made it: "
        "--force replaces it)")
    as_json = _cli(*args, "--json")
    assert (as_json.exit_code, as_json.stderr.splitlines()[0]) == (0, warning.rstrip("\n"))
    assert json.loads(as_json.stdout.splitlines()[0])["reason"] == (
        "output exists; no record of the run that made it")
    forced = _cli(*args, "--force", "-q")  # as the warning says
    assert (forced.exit_code, forced.stdout, forced.stderr) == (0, "", "")
    assert mine.read_bytes() != SENTINEL


def test_cli_a_file_of_no_record_is_warned_of_beside_the_progress_bar(tmp_path, monkeypatch):
    import quantize.cli.batch as cli_batch

    src, out = _noise_folder(tmp_path / "in", "a.png"), tmp_path / "out"
    out.mkdir()
    (out / "a.png").write_bytes(SENTINEL)
    monkeypatch.setattr(cli_batch, "is_terminal", lambda stream: True)  # the bar is drawn
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert (result.exit_code, result.stdout.splitlines()[0][:8]) == (0, "1/1 file")
    assert _not_processed(src / "a.png", out / "a.png").replace(
        "quantize: warning:", "warning") in result.stderr


def test_cli_a_dumb_terminal_gets_a_line_per_file_not_the_bar(tmp_path, monkeypatch):
    """With TERM=dumb (a screen reader's set-up, a serial console) rich drew nothing until
    the end, then one bar 80 columns wide whatever the terminal's width, and no line per
    file: such a terminal gets the lines a file gets."""
    import quantize.cli.batch as cli_batch

    src, out = _noise_folder(tmp_path / "in", "a.png"), tmp_path / "out"
    monkeypatch.setattr(cli_batch, "is_terminal", lambda stream: True)
    monkeypatch.setenv("TERM", "dumb")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    line = result.stdout.splitlines()[0]
    assert (result.exit_code, result.stderr, line[:line.index("  k=")]) == (
        0, "", f"[1/1] ok      {src / 'a.png'} -> {out / 'a.png'}")


def test_cli_a_folder_where_an_output_file_goes_fails_the_file(photo_tree, tmp_path):
    # out/chelsea.png a folder: the file was skipped as "output exists; no record of the run
    # that made it", exit 0, with no output made; with --force it failed, naming the folder.
    out, report = tmp_path / "out", tmp_path / "rep.json"
    (out / "chelsea.png").mkdir(parents=True)
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q", "--report", report)
    assert (result.exit_code, result.stderr) == (
        1, f"quantize: error: {photo_tree / 'chelsea.png'}: output={str(out / 'chelsea.png')!r} "
           "is a folder; expected a file name\n")
    [row] = json.loads(report.read_text())["files"]
    assert (row["status"], row["reason"]) == (
        "failed", f"output={str(out / 'chelsea.png')!r} is a folder; expected a file name")
    assert list((out / "chelsea.png").iterdir()) == []


@pytest.mark.parametrize("junk", [b"garbage{\n", bytes(range(256)) * 4],
                         ids=["text", "binary"])
def test_cli_a_manifest_with_no_line_readable_is_said_once(photo_tree, tmp_path, junk):
    # Its outputs all became "of no record" (skipped, without metrics) with no word.
    out = tmp_path / "out"
    assert _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q").exit_code == 0
    (out / batch.MANIFEST_NAME).write_bytes(junk)
    (out / ".quantize-batch.jsonl.damaged").write_bytes(b"an earlier copy\n")
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q")
    assert result.exit_code == 0
    # The run's rewrite emptied the file: the record was gone for good.
    copy = out / ".quantize-batch.jsonl.damaged-2"
    assert result.stderr == (f"quantize: warning: {out / batch.MANIFEST_NAME}: no line could "
                             "be read as a record; its outputs are treated as of no record "
                             f"(--force makes them again); the file as it was is kept as "
                             f"{copy}\n"
                             + _not_processed(photo_tree / "chelsea.png", out / "chelsea.png"))
    assert copy.read_bytes() == junk
    assert (out / ".quantize-batch.jsonl.damaged").read_bytes() == b"an earlier copy\n"
    assert (out / batch.MANIFEST_NAME).read_bytes() == b""
    again = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q")
    assert (again.exit_code, again.stderr) == (  # the record's loss said once
        0, _not_processed(photo_tree / "chelsea.png", out / "chelsea.png"))


def test_cli_a_line_of_the_manifest_cut_short_is_said_once_and_kept(photo_tree, tmp_path):
    # truncate -s -300 on the manifest: the output whose line was cut became of no record
    # for good, and nothing was said.
    out, report = tmp_path / "out", tmp_path / "rep.json"
    assert _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q").exit_code == 0
    manifest = out / batch.MANIFEST_NAME
    with open(manifest, "a") as f:
        f.write('{"version": 1, "output": "b.png", "sett')      # cut short
    text = manifest.read_bytes()
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q", "--report", report)
    assert (result.exit_code, result.stderr) == (0, (
        f"quantize: warning: {manifest}: 1 line could not be read as a record (cut short, or "
        "written by another version); the output it recorded is treated as of no record "
        f"(--force makes it again); the file as it was is kept as {manifest}.damaged\n"))
    [row] = json.loads(report.read_text())["files"]
    assert (row["status"], row["k"]) == ("skipped", 4)   # the lines read: metrics kept
    assert (out / ".quantize-batch.jsonl.damaged").read_bytes() == text
    assert manifest.read_bytes().splitlines() == [text.splitlines()[-2]]  # chelsea's record
    again = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q")
    assert (again.exit_code, again.stderr) == (0, "")    # said once


@pytest.mark.parametrize("damage", ["folder", "dangling link"])
def test_cli_a_manifest_that_cannot_be_read_stops_the_run_in_one_line(photo_tree, tmp_path,
                                                                     damage):
    # A dangling link was taken for no record (a run with --force then wrote a new one at
    # its target); a folder was said as a bare "Is a directory". A link at the record's
    # name is refused as every link there is (exit 2).
    out = tmp_path / "out"
    assert _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q").exit_code == 0
    manifest, target = out / batch.MANIFEST_NAME, tmp_path / "gone.jsonl"
    manifest.unlink()
    if damage == "folder":
        manifest.mkdir()
        code, line = 1, (f"{manifest}: cannot read the record of finished outputs (Is a "
                         "directory); expected a file: restore it, or move it away to start "
                         "a new record (its outputs are then of no record); no file was "
                         "processed")
    else:
        manifest.symlink_to(target)
        code, line = 2, _record_link_line(manifest, target)
    before = {p.name: p.lstat().st_mtime_ns for p in out.iterdir()}
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "--force")
    assert (result.exit_code, result.stdout) == (code, "")
    assert result.stderr == f"quantize: error: {line}\n"
    assert {p.name: p.lstat().st_mtime_ns for p in out.iterdir()} == before
    assert not target.exists()


def _record_link_line(manifest: Path, target: Path | str) -> str:
    """The refusal of a symbolic link at the record's name ``manifest``, to ``target``."""
    return (f"{manifest}: is a symbolic link (to '{target}'); quantize keeps its record of "
            "finished outputs there itself: put the file it leads to in its place, or remove "
            "the link to start a new record; no file was processed")


@pytest.mark.parametrize("force", [False, True])
def test_cli_a_record_moved_away_behind_a_link_is_refused_not_split(photo_tree, tmp_path,
                                                                   force):
    """The record moved away and a link put in its place: a rerun with a new input added
    its line through the link and then rewrote the record as a file in out/, the record in
    two places. Refused (exit 2) before any work: nothing written, the record unchanged."""
    out, rec = tmp_path / "out", tmp_path / "rec"
    assert _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q").exit_code == 0
    rec.mkdir()
    manifest = out / batch.MANIFEST_NAME
    manifest.rename(rec / "r.jsonl")
    manifest.symlink_to(Path("..", "rec", "r.jsonl"))
    text = (rec / "r.jsonl").read_bytes()
    shutil.copy(next(photo_tree.glob("*.png")), photo_tree / "new.png")
    before = {p.name: p.lstat().st_mtime_ns for p in out.iterdir()}
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png",
                  *(["--force"] if force else []))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"quantize: error: {_record_link_line(manifest, Path('..', 'rec', 'r.jsonl'))}\n")
    assert {p.name: p.lstat().st_mtime_ns for p in out.iterdir()} == before
    assert manifest.is_symlink() and (rec / "r.jsonl").read_bytes() == text
    assert sorted(p.name for p in rec.iterdir()) == ["r.jsonl"]


def test_cli_a_manifest_that_cannot_be_copied_aside_is_left_as_it_is(photo_tree, tmp_path,
                                                                     monkeypatch):
    # As in a folder turned read-only (which root writes all the same).
    out = tmp_path / "out"
    assert _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q").exit_code == 0
    manifest = out / batch.MANIFEST_NAME
    with open(manifest, "a") as f:
        f.write("junk\n")
    text = manifest.read_bytes()

    def refused(files, **kwargs):
        raise OutputError(f"cannot write in {out} (Read-only file system)", path=out)

    monkeypatch.setattr(batch.manifest, "write_together", refused)
    result = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-q")
    assert (result.exit_code, result.stderr) == (0, (
        f"quantize: warning: {manifest}: 1 line could not be read as a record (cut short, or "
        "written by another version); the output it recorded is treated as of no record "
        "(--force makes it again); it is left as it is, as it could not be copied aside: "
        f"cannot write in {out} (Read-only file system)\n"))
    assert manifest.read_bytes() == text          # the run's own rewrite dropped nothing
    assert not any(p.name.endswith(".damaged") for p in out.iterdir())


def test_cli_per_file_warnings_name_the_flags(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGBA", (2, 1), (0, 0, 0, 0)).save(src / "clear.png")
    result = _cli(src, "-o", tmp_path / "out", "-k", "8")
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr
    assert "-k/--colors=8 but the image has no visible colour" in result.stderr
    assert "n_colors" not in result.stderr


def test_cli_segment_mode_writes_a_folder_per_image(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "-k", "3", "-w", "xy=0.5",
                  "--min-region", "20", "--seed", "0", "--glob", "*.jpg")
    assert result.exit_code == 1, result.output   # empty.jpg and notes.jpg
    done = sorted(p.parent.name for p in out.rglob("segments.json"))
    assert done == ["astronaut"]
    with Image.open(out / "astronaut" / "labels.png") as labels:
        assert labels.size == (48, 40)


def test_cli_an_unreachable_quality_gives_no_advice_on_a_format_batch_does_not_write(
        photo_tree, tmp_path):
    # reduce says that an output in RGB may hold more colours; a batch writes .png.
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "astronaut.jpg",
                  "--quality", "0.01")
    assert result.exit_code == 99, result.output  # a batch's file that missed its quality
    line = next(x for x in result.stderr.splitlines() if "--quality=0.01" in x)
    # 1.255 is what -k 256 writes (its black background held); 1.256 was of the fit the
    # search made without held colours
    assert line.endswith("--quality=0.01: mean CIEDE2000 <= 0.01 needs more than 256 colours "
                         "(they reach a mean CIEDE2000 of 1.255); --quality-limit=1.26 or "
                         "more keeps their result, which -k/--colors=256 alone gives")


def test_cli_a_batch_whose_only_failures_missed_their_quality_exits_99(photo_tree, tmp_path):
    """As reduce --quality exits 99 (pngquant's code): a batch exited 1, as for an unreadable
    input, so a build step could not tell a quality miss from an I/O failure."""
    args = ["-o", tmp_path / "out", "--glob", "astronaut.jpg", "--glob", "chelsea.png",
            "--quality", "0.01", "-q"]
    assert _cli(photo_tree, *args).exit_code == 99
    broken = _cli(photo_tree, *args, "--glob", "empty.jpg")  # a miss and an unreadable input
    assert broken.exit_code == 1, broken.output


def test_cli_k_with_quality_is_the_most_colours_allowed(photo_tree, tmp_path):
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "astronaut.jpg",
                  "-k", "4", "--quality", "0.01")
    assert result.exit_code == 99, result.output
    assert "--quality=0.01: mean CIEDE2000 <= 0.01 needs more than 4 colours" in result.stderr
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "astronaut.jpg",
                  "-k", "4", "--quality", "20", "--report", tmp_path / "out" / "r.json")
    assert result.exit_code == 0, result.output
    [row] = json.loads((tmp_path / "out" / "r.json").read_text())["files"]
    assert row["k"] <= 4


def test_cli_k_over_256_runs_when_ext_names_outputs_that_hold_it(tmp_path):
    """batch -k 300 --ext .tif exited 2 ("-k/--colors=300 should be <= 256"), where
    reduce -k 300 -o x.tif runs: the .tif outputs hold the 300 colours; a .gif still not."""
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    result = _cli(src, "-o", out, "-k", "300", "--ext", ".tif", "--json")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted((Path(r["output"]).name, r["n_colors"]) for r in rows) == [
        ("a.tif", 300), ("b.tif", 300)]
    refused = _cli(src, "-o", tmp_path / "gif", "-k", "300", "--ext", ".gif")
    assert (refused.exit_code, refused.stderr) == (
        2, "quantize: error: -k/--colors=300 should be <= 256\n")
    assert not (tmp_path / "gif").exists()


def test_cli_k_over_256_with_quality_is_the_most_allowed_as_in_reduce(tmp_path):
    # quantize reduce photo.png --quality 3 -k 300 -o o.png ran (its search stops at 256),
    # but batch --quality 3 -k 300 exited 2: "-k/--colors=300 should be <= 256". Now it runs
    # as -k 256 does, a still and an animation alike: a rerun with -k 256 skips every file.
    import skimage.data

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    shutil.copyfile(Path(skimage.data.__file__).parent / "no_time_for_that_tiny.gif",
                    src / "anim.gif")
    Image.fromarray(skimage.data.astronaut()[::16, ::16]).save(src / "photo.png")
    result = _cli(src, "-o", out, "-j", "1", "--quality", "3", "-k", "300",
                  "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert sorted((Path(r["output"]).name, r["status"], r["n_colors"]) for r in rows) == [
        ("anim.gif", "ok", 256), ("photo.png", "ok", 256)]
    assert all(2 <= r["k"] <= 256 for r in rows)
    again = _cli(src, "-o", out, "-j", "1", "--quality", "3", "-k", "256")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1].startswith("2/2 files: 0 ok, 2 skipped, 0 failed")


@pytest.mark.parametrize("args, line", [
    # as reduce refuses them, before any file
    (["-k", "70000"], "quantize: error: -k/--colors=70000 should be <= 65536, the most "
                      "colours a palette is fitted to (4096 took 12 s on a 12 MP photo, 60000 "
                      "took 26 s on 65536 random colours)"),
    (["-k", "0"], "quantize: error: -k/--colors=0 should be >= 1"),
    # the flag as typed, in reduce's words: plain --dither was said as "--dither=1"
    (["-k", "300", "--dither"], "quantize: error: --dither supports at most 256 colours, "
                                "got -k/--colors=300"),
    (["-k", "300", "--dither=1"], "quantize: error: --dither=1 supports at most 256 colours, "
                                  "got -k/--colors=300"),
    (["-k", "300", "--dither=0.5"], "quantize: error: --dither=0.5 supports at most 256 "
                                    "colours, got -k/--colors=300"),
])
def test_cli_k_with_quality_is_refused_where_reduce_refuses_it(photo_tree, tmp_path, args,
                                                               line):
    result = _cli(photo_tree, "-o", tmp_path / "out", "--quality", "3", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == line + "\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("dither", ["--dither", "--dither=1", "--dither=0.5"])
def test_cli_a_dither_refusal_is_worded_as_reduce_words_it(photo_tree, tmp_path, dither):
    args = ("--quality", "3", "-k", "300", dither)
    batched = _cli(photo_tree, "-o", tmp_path / "out", *args)
    reduced = _cli_reduce(photo_tree / "chelsea.png", "-o", tmp_path / "x.png", *args)
    assert (batched.exit_code, batched.stdout) == (2, "")
    assert (batched.exit_code, batched.stderr) == (reduced.exit_code, reduced.stderr)
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.png").exists()


def test_cli_dither_ordered_is_recorded_and_named_by_later_runs(photo_tree, tmp_path):
    out = tmp_path / "out"
    first = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-j", "1",
                 "--dither=ordered")
    assert first.exit_code == 0, first.output
    assert batch.read_manifest(out)["chelsea.png"].settings["dither"] == "ordered"
    single = tmp_path / "single.png"
    alone = _cli_reduce(photo_tree / "chelsea.png", "-o", single, "-k", "4", "--dither=ordered")
    assert alone.exit_code == 0, alone.output
    assert (out / "chelsea.png").read_bytes() == single.read_bytes()
    other = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-j", "1", "--dither")
    assert other.exit_code == 15
    assert "made with --dither=ordered, while this run asks for --dither;" in other.stderr


def test_cli_plain_dither_records_the_strength_dither_1_does(photo_tree, tmp_path):
    # plain --dither is passed as typed (True) to name it in refusals: its outputs are still
    # recorded with strength 1, so --dither=1 finds them made with the same options
    out = tmp_path / "out"
    first = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-j", "1", "--dither")
    assert first.exit_code == 0, first.output
    assert batch.read_manifest(out)["chelsea.png"].settings["dither"] == 1.0
    again = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-j", "1", "--dither=1")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1].startswith("1/1 files: 0 ok, 1 skipped, 0 failed")


def test_cli_a_report_over_an_output_is_refused_before_anything_runs(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "--report",
                  out / "astronaut" / "segments.json")
    assert result.exit_code == 2, result.output
    assert "lies in the output folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_cli_segment_mode_takes_regions_and_edges(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "--regions", "2", "--edges",
                  "--glob", "astronaut.jpg")
    assert result.exit_code == 0, result.output
    record = json.loads((out / "astronaut" / "segments.json").read_text())
    assert record["n_regions"] == 2 and len(record["region_stats"]) == 2
    assert record["regions"] == 2  # as asked, as in the --json line
    assert (out / "astronaut" / "edges.png").is_file()


def test_cli_segment_mode_writes_labels_tif_of_more_regions_than_labels_png_holds(
        photo_tree, tmp_path, monkeypatch):
    """The file failed, its report's reason '--min-region=0 leaves ...' (a cell a
    spreadsheet protects with an apostrophe); now every output is written, the labels in
    labels.tif, and the fact said as a note of the file."""
    monkeypatch.setattr("quantize.segment_file.MAX_PNG_LABEL", 1)
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "--regions", "2",
                  "--glob", "astronaut.jpg", "--report", tmp_path / "r.csv", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert (f"quantize: note: {photo_tree / 'astronaut.jpg'}: 2 regions, more than labels.png "
            "can number (1): their labels are in labels.tif (32-bit) instead, the other "
            "outputs as usual") in result.stderr.splitlines()
    record = json.loads((out / "astronaut" / "segments.json").read_text())
    assert record["outputs"][0] == "labels.tif"
    assert sorted(os.listdir(out / "astronaut")) == sorted(record["outputs"])
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(row["status"], row["reason"]) for row in rows] == [("ok", "")]


def test_cli_a_segment_csv_report_leads_with_the_segment_columns(photo_tree, tmp_path):
    # its columns were reduce's: k, psnr, delta_e, bytes_in and bytes_out always empty, and
    # n_regions, width and height among the sorted keys after them
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "-k", "2", "--glob",
                  "astronaut.jpg", "-q", "--report", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        header, row = list(csv.reader(f))
    assert header[:12] == ["input", "output", "status", "reason", "n_regions",
                           "clusters_used", "n_clusters", "regions", "width", "height",
                           "space", "seconds"]
    assert not {"k", "psnr", "delta_e", "bytes_in", "bytes_out"} & set(header)
    record = json.loads((out / "astronaut" / "segments.json").read_text())
    assert row[4:11] == [str(record["n_regions"]), "2", "2", "", str(record["width"]),
                         str(record["height"]), "lab"]
    # the working size, added after the other columns, which keep their places, then the
    # --min-region share (none given: empty), then the kind of a failure (none), then a
    # TIFF stack's pages and their regions (a still: empty)
    # and then the options recorded only when given (none: empty)
    assert (header[-20:], row[-19:]) == (
        ["skipped", "working_width", "working_height", "min_region_share", "failure",
         "pages", "page_regions", *_SEGMENT_GIVEN],
        [str(record["working_width"]), str(record["working_height"]), "", "", "", "",
         *[""] * 13])


@pytest.mark.parametrize("args, match", [
    (["--mode", "paint"], "--mode='paint' is not valid; expected one of 'reduce', 'segment'"),
    (["--mode", "segment", "--dither"], "--dither does not apply to --mode segment"),
    (["--mode", "segment", "--dither=0.5"], "--dither does not apply to --mode segment"),
    # the defaults typed: refused all the same, as the option is of the other mode
    (["--mode", "segment", "--no-dither"], "--dither does not apply to --mode segment"),
    (["--mode", "segment", "--palette", "global"], "--palette does not apply to --mode segment"),
    (["--mode", "segment", "--optimize"], "--optimize does not apply to --mode segment"),
    # segment reads a file's first frame only: a frame limit would do nothing there
    (["--mode", "segment", "--max-frames", "5"],
     "--max-frames does not apply to --mode segment"),
    (["--dither=1.5"], "--dither='1.5' is not valid; expected a strength from 0 to 1"),
    (["-w", "texture=1"], "-w/--weight does not apply to --mode reduce"),
    (["--mode", "segment", "-w", "texture"], "-w 'texture' is not valid; expected NAME=NUMBER"),
    (["--mode", "segment", "--clusters", "0"], "-k/--clusters=0 should be >= 1"),
    (["--mode", "segment", "-k", "1000"], "-k/--clusters=1000 should be <= 256; for many "
                                          "regions, cut the region hierarchy with --regions"),
    (["--mode", "segment", "--regions", "0"], "--regions=0 should be >= 1"),
    (["--mode", "segment", "--regions", "5", "-k", "3"], "quantize: error: -k/--clusters=3 "
     "and --regions=5 both given; expected one of them (-k/--clusters=K: k-means clusters, "
     "--regions=N: a hierarchy cut)\n"),
    (["--regions", "5"], "--regions does not apply to --mode reduce"),
    (["--edges"], "--edges does not apply to --mode reduce"),
    (["--overlay-color", "cyan"], "--overlay-color does not apply to --mode reduce"),
    (["--mode", "segment", "--overlay-color", "#12345"], "quantize: error: "
     "--overlay-color='#12345' is not valid; expected a colour name (red, cyan, yellow, ...), "
     "#rrggbb, #rgb, rrggbb, rgb(r,g,b), rgb(r g b) or hsl(h,s%,l%)\n"),
    (["--mode", "segment", "-w", "shape=1"], "shape"),
    (["-k", "0"], "-k/--colors=0 should be >= 1"),
    (["-k", "300"], "-k/--colors=300 should be <= 256"),
    (["--space", "hsv"], "--space='hsv' is not valid"),
    (["--jobs", "0"], "--jobs=0 should be >= 1"),
    (["--jobs", "2", "--scheduler", "tcp://x:1"], "both given"),
    (["--report", "r.txt"], "expected .json or .csv"),
    (["--html", "r.json"], "expected .html or .htm"),
    (["--report", "nodir/r.csv"], "--report='nodir/r.csv': folder 'nodir' does not exist; "
                                  "expected an existing folder or one inside -o/--output="),
    (["--html", "nodir/i.html"], "--html='nodir/i.html': folder 'nodir' does not exist"),
    # -k goes with it (the best K of its colours); --exact-colors does not
    (["--palette-in", "p.gpl", "-k", "4", "--exact-colors"], "--palette-in='p.gpl' fixes the "
     "colours, so --exact-colors cannot be given with it"),
    (["--palette-in", "p.gpl", "--exact-colors"], "--palette-in='p.gpl' fixes the colours, so "
     "--exact-colors cannot be given with it"),
    (["--palette-in", "p.gpl", "--quality", "2"], "--palette-in='p.gpl' fixes the colours, so "
     "--quality=2 cannot be given with it"),  # as typed: not "2.0"
    (["--max-pixels", "0"], "--max-pixels=0 should be >= 1"),
    (["--palette-in", "p.csv"], "quantize: error: --palette-in='p.csv' has an unknown palette "
     "extension '.csv'; expected one of .gpl, .json, .hex, .act, .pal, .txt"),
    (["--mode", "segment", "-w", "xy=1", "-w", "xy=2"], "-w xy is given twice"),
    (["--shared-palette", "--quality", "3"], "--shared-palette and --quality both given"),
    (["--glob", ""], "quantize: error: --glob='' is empty; expected a pattern such as '*.jpg'"),
    (["--glob", "*.png", "--exclude", ""],
     "quantize: error: --exclude='' is empty; expected a pattern such as '*.jpg'"),
])
def test_cli_usage_errors_exit_2_with_one_line(photo_tree, tmp_path, args, match):
    result = _cli(photo_tree, "-o", tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert match in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


_FOR_SEGMENT = "does not apply to --mode reduce; expected it only with --mode segment"
_FOR_REDUCE = "does not apply to --mode segment; expected it only with --mode reduce"


@pytest.mark.parametrize("args, message", [
    (["--regions", "x"], f"--regions {_FOR_SEGMENT}"),
    (["--regions", "x", "--mode", "reduce"], f"--regions {_FOR_SEGMENT}"),
    (["--quality", "x", "--mode", "segment"], f"--quality {_FOR_REDUCE}"),
    (["--mode", "segment", "--quality-limit", "x"], f"--quality-limit {_FOR_REDUCE}"),
    (["--mode", "segment", "--dither=x"], f"--dither {_FOR_REDUCE}"),
    (["--mode", "segment", "--dither=2"], f"--dither {_FOR_REDUCE}"),
    (["--mode", "paint", "--regions", "x"],
     "--mode='paint' is not valid; expected one of 'reduce', 'segment'"),
])
def test_cli_an_option_of_the_other_mode_is_refused_for_the_mode_whatever_its_value(
        photo_tree, tmp_path, args, message):
    """The parser reads the values before the command checks the mode: --regions x in
    reduce mode was refused as "--regions='x' is not valid; expected an integer", as if
    fixing the value would do; the mode is checked first now, wherever --mode is given."""
    result = _cli(photo_tree, "-o", tmp_path / "out", *args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag, name", [("--html", "index.html"), ("--report", "r.json")])
def test_cli_refuses_a_report_that_a_rerun_would_read_as_an_input(photo_tree, tmp_path, flag,
                                                                    name):
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "*.*", flag, photo_tree / name)
    assert result.exit_code == 2, result.output
    assert (f"quantize: error: {flag}={str(photo_tree / name)!r} would be read as an input by "
            f"a rerun: it lies in INPUT_DIR={str(photo_tree)!r} and --glob='*.*' selects it"
            in result.stderr)
    assert not (tmp_path / "out").exists() and not (photo_tree / name).exists()


def test_cli_refuses_a_report_named_as_a_mirrored_sub_folder_before_any_work(tmp_path):
    # in/r.json/x.png and in/i.html/y.png: every file was reduced, then the run failed
    # "--report='out/r.json' is a folder", and no page was written.
    src, out = tmp_path / "in", tmp_path / "out"
    for folder in ("r.json", "i.html"):
        (src / folder).mkdir(parents=True)
        Image.new("RGB", (4, 4)).save(src / folder / "x.png")
    result = _cli(src, "-r", "-o", out, "-k", "2", "-j", "1", "--report", out / "r.json",
                  "--html", out / "i.html")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"quantize: error: --report={str(out / 'r.json')!r} is a folder "
                             f"the batch writes its output {str(out / 'r.json' / 'x.png')!r} "
                             "into; expected a path no job writes\n")
    assert not out.exists()


def _two_inputs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name, level in (("a.png", 40), ("b.png", 200)):
        image = np.zeros((4, 4, 3), np.uint8)
        image[:, 2:] = level
        Image.fromarray(image).save(src / name)
    return src


def test_cli_force_writes_an_output_through_a_link_and_keeps_it(tmp_path):
    # The link was replaced by a regular file, the file it led to left as it was.
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    assert _cli(src, "-o", tmp_path / "plain", "-k", 2, "-q").exit_code == 0
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.png").write_bytes(b"old")
    out.mkdir()
    (out / "a.png").symlink_to(tmp_path / "site" / "a.png")
    result = _cli(src, "-o", out, "-k", 2, "--force", "-q")
    assert result.exit_code == 0, result.output
    assert os.readlink(out / "a.png") == str(tmp_path / "site" / "a.png")
    assert (tmp_path / "site" / "a.png").read_bytes() == (tmp_path / "plain" / "a.png").read_bytes()
    assert not (out / batch.MANIFEST_NAME).is_symlink()


def test_cli_an_output_linked_to_another_input_fails_and_leaves_the_input(tmp_path):
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    before = (src / "b.png").read_bytes()
    out.mkdir()
    (out / "a.png").symlink_to(src / "b.png")
    result = _cli(src, "-o", out, "-k", 2, "--force")
    assert result.exit_code == 1
    assert result.stderr == (
        f"quantize: error: {src / 'a.png'}: {out / 'a.png'}: is a link to the input "
        f"{str(src / 'b.png')!r}, which is never overwritten (not even with --force); remove "
        "the link, or choose another output folder\n")
    assert (src / "b.png").read_bytes() == before and (out / "b.png").is_file()
    assert os.readlink(out / "a.png") == str(src / "b.png")


@pytest.mark.parametrize("force", [True, False])
def test_cli_an_output_linked_into_the_input_folder_fails_and_writes_nothing_there(tmp_path,
                                                                                 force):
    """``out/a.png`` a link to ``in/new.png``, no input yet: --force wrote the output there,
    which the next run read as an input (and without --force it failed as a link to a
    missing file, which --force then wrote). Failed, force or not, with the reason."""
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / "a.png").symlink_to(Path("..", "in", "new.png"))
    result = _cli(src, "-o", out, "-k", 2, "--json", *(["--force"] if force else []))
    assert result.exit_code == 1
    reason = (f"{out / 'a.png'}: is a link to '../in/new.png', which lies in the input folder "
              f"'{src}': a rerun would read the output written there as an input; remove the "
              "link, or choose another output folder")
    assert result.stderr.startswith(f"quantize: error: {src / 'a.png'}: {reason}\n2/2 files")
    rows = {Path(row["input"]).name: row for row in map(json.loads, result.stdout.splitlines())}
    assert (rows["a.png"]["status"], rows["a.png"]["reason"]) == ("failed", reason)
    assert rows["b.png"]["status"] == "ok"
    assert sorted(p.name for p in src.iterdir()) == ["a.png", "b.png"]
    assert os.readlink(out / "a.png") == str(Path("..", "in", "new.png"))


@pytest.mark.parametrize("second", ["a link to the same file", "a link to a.png"])
def test_cli_two_outputs_linked_to_one_file_fail_the_second(tmp_path, second):
    """``out/a.png`` and ``out/b.png`` links to one file: both were said "ok", and the file
    held b's output alone."""
    src, out, pub = _two_inputs(tmp_path), tmp_path / "out", tmp_path / "pub"
    out.mkdir()
    pub.mkdir()
    (out / "a.png").symlink_to(Path("..", "pub", "x.png"))
    (out / "b.png").symlink_to(Path("..", "pub", "x.png") if second.endswith("file")
                               else Path("a.png"))
    assert _cli(src, "-o", tmp_path / "plain", "-k", 2, "-q").exit_code == 0
    result = _cli(src, "-o", out, "-k", 2, "--force", "--json")
    assert result.exit_code == 1
    reason = (f"{out / 'b.png'} and {out / 'a.png'} (the output of {str(src / 'a.png')!r}) "
              "are one file through a link, where one would replace the other; remove the "
              "link")
    assert result.stderr.startswith(f"quantize: error: {src / 'b.png'}: {reason}\n2/2 files")
    rows = {Path(row["input"]).name: row for row in map(json.loads, result.stdout.splitlines())}
    assert (rows["b.png"]["status"], rows["b.png"]["reason"]) == ("failed", reason)
    assert rows["a.png"]["status"] == "ok"
    assert (pub / "x.png").read_bytes() == (tmp_path / "plain" / "a.png").read_bytes()
    assert sorted(p.name for p in pub.iterdir()) == ["x.png"]


def test_cli_a_report_and_a_page_linked_to_one_file_are_refused(tmp_path):
    src = _two_inputs(tmp_path)
    for name in ("r.json", "h.html"):
        (tmp_path / name).symlink_to("same.txt")
    report, page = tmp_path / "r.json", tmp_path / "h.html"
    result = _cli(src, "-o", tmp_path / "out", "--report", report, "--html", page, "--force")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: --report={str(report)!r} and "
                             f"--html={str(page)!r} are one file through a link, where one "
                             "would replace the other; remove the link, or choose another "
                             "path\n")
    assert not (tmp_path / "same.txt").exists() and not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_cli_a_pipe_at_the_records_name_is_refused_not_waited_on(tmp_path):
    src, out = _two_inputs(tmp_path), tmp_path / "o"
    out.mkdir()
    os.mkfifo(out / batch.MANIFEST_NAME)
    here = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "quantize", "batch", str(src), "-o", str(out),
                           "-k", "2"], capture_output=True, text=True, timeout=60, env=here,
                          stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stderr) == (2, (
        f"quantize: error: {out / batch.MANIFEST_NAME}: is a pipe, device or socket; quantize "
        "keeps its record of finished outputs there itself: remove it to start a new record; "
        "no file was processed\n"))
    assert sorted(p.name for p in out.iterdir()) == [batch.MANIFEST_NAME]


def _larger_behind_a_link(tmp_path):
    """``in/a.png`` and ``in/c.jpg``, whose 8-colour PNG is larger than it, reduced with
    --force into ``out``, where ``out/c.png`` is a link to ``else/c.png``."""
    src, out, other = _two_inputs(tmp_path), tmp_path / "out", tmp_path / "else"
    (src / "b.png").unlink()
    noise = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "c.jpg", quality=5)
    out.mkdir()
    other.mkdir()
    (out / "c.png").symlink_to(Path("..", "else", "c.png"))
    assert _cli(src, "-o", out, "-k", 8, "--force", "-q").exit_code == 0
    assert (other / "c.png").stat().st_size > (src / "c.jpg").stat().st_size
    return src, out, other


def test_cli_an_output_larger_than_its_input_behind_a_link_is_removed_through_it(tmp_path):
    """It was said "left in place: it changed since that run wrote it", the size of the
    link compared with the file's, and the next run redid it as "the input changed"."""
    src, out, other = _larger_behind_a_link(tmp_path)
    before = (src / "c.jpg").read_bytes()
    result = _cli(src, "-o", out, "-k", 8, "--skip-if-larger")  # -q leaves the line out
    assert result.exit_code == 98
    assert ("nothing written; the output an earlier run made (1,388 bytes), larger than its "
            "input too, was removed\n") in result.stderr
    assert os.readlink(out / "c.png") == str(Path("..", "else", "c.png"))
    assert list(other.iterdir()) == []
    again = _cli(src, "-o", out, "-k", 8, "--json")  # made again, through the link
    assert again.exit_code == 0, again.stderr
    rows = {Path(row["input"]).name: row for row in map(json.loads, again.stdout.splitlines())}
    assert (rows["c.jpg"]["status"], rows["c.jpg"]["reason"]) == ("ok", "")
    assert (other / "c.png").is_file() and (src / "c.jpg").read_bytes() == before


def test_cli_an_orphan_behind_a_link_is_removed_through_it(tmp_path):
    """It was kept as "changed since that run wrote it". Then the link was kept, leading
    nowhere with its record gone, and a run without --exclude failed c.jpg on it ("output
    is a link to '../else/c.png', which does not exist; use --force", exit 15): the link
    goes with the orphan, as no job writes that name."""
    src, out, other = _larger_behind_a_link(tmp_path)
    result = _cli(src, "-o", out, "-k", 8, "--exclude", "c.jpg", "--remove-orphans", "-q")
    assert result.exit_code == 0, result.stderr
    assert list(other.iterdir()) == [] and not os.path.lexists(out / "c.png")
    assert (src / "c.jpg").is_file()
    again = _cli(src, "-o", out, "-k", 8, "--json")
    assert again.exit_code == 0, again.stderr
    rows = {Path(row["input"]).name: row for row in map(json.loads, again.stdout.splitlines())}
    assert (rows["c.jpg"]["status"], rows["c.jpg"]["reason"]) == ("ok", "")
    assert (out / "c.png").is_file() and not (out / "c.png").is_symlink()


def test_cli_an_output_under_a_name_no_longer_given_goes_with_its_link(tmp_path):
    """An earlier output under another name (a.png, now --ext .gif) behind a link: the file
    and the link both go once the new output is there, and a return to the old name is
    not failed as a link to nothing."""
    src, out, other = _two_inputs(tmp_path), tmp_path / "out", tmp_path / "else"
    out.mkdir()
    other.mkdir()
    (out / "a.png").symlink_to(Path("..", "else", "a.png"))
    assert _cli(src, "-o", out, "-k", 8, "--force", "-q").exit_code == 0
    assert (other / "a.png").is_file()
    result = _cli(src, "-o", out, "-k", 8, "--ext", ".gif", "--force", "-q")
    assert result.exit_code == 0, result.stderr
    assert not os.path.lexists(out / "a.png") and list(other.iterdir()) == []
    back = _cli(src, "-o", out, "-k", 8, "--force", "-q")
    assert back.exit_code == 0, back.stderr
    assert (out / "a.png").is_file()


def test_cli_an_output_linked_to_a_name_no_rerun_reads_is_written_through(tmp_path):
    """A hidden name in the input folder, which the search never lists: written there."""
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / "a.png").symlink_to(Path("..", "in", ".a.k2.png"))
    result = _cli(src, "-o", out, "-k", 2, "--force", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    with Image.open(src / ".a.k2.png") as im:
        assert im.mode == "P"
    again = _cli(src, "-o", out, "-k", 2, "-q")  # not taken as an input: nothing to do
    assert (again.exit_code, again.stderr) == (0, "")
    assert sorted(p.name for p in src.iterdir()) == [".a.k2.png", "a.png", "b.png"]


@pytest.mark.parametrize("linked", [False, True])
def test_cli_segment_folder_whose_linked_marker_leads_nowhere_is_made_again(tmp_path, linked):
    """segments.json a link, and a job killed after removing the file it leads to (as
    write_together removes it first): the next run failed the file as an output that is a
    link to a missing file (exit 15) where a removed segments.json is made again. Now made
    again alike, through the link, which is kept."""
    src, out, site = _two_inputs(tmp_path), tmp_path / "out", tmp_path / "site"
    args = [src, "-o", out, "--mode", "segment", "-k", 2, "--glob", "a.png"]
    assert _cli(*args, "-q").exit_code == 0
    marker = out / "a" / "segments.json"
    if linked:
        site.mkdir()
        marker.rename(site / "a.json")
        marker.symlink_to(Path("..", "..", "site", "a.json"))
        assert _cli(*args, "-q").exit_code == 0   # finished: skipped through the link
        (site / "a.json").unlink()               # the state a kill leaves
    else:
        marker.unlink()
    result = _cli(*args, "--json")
    assert result.exit_code == 0 and result.stderr.startswith("1/1 files: 1 ok (1 redone")
    [row] = map(json.loads, result.stdout.splitlines())
    assert (row["status"], row["reason"]) == (
        "ok", "redone: a file of its output was deleted since it was made")
    assert json.loads(marker.read_text())["input"] == str(src / "a.png")
    if linked:
        assert os.readlink(marker) == str(Path("..", "..", "site", "a.json"))
        assert sorted(p.name for p in site.iterdir()) == ["a.json"]


def test_cli_segment_folder_whose_marker_is_a_link_to_nothing_of_no_record_fails(tmp_path):
    """A link to nothing at segments.json in a folder the record does not know is still
    refused without --force, as segment refuses it."""
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "segments.json").symlink_to(tmp_path / "nothing.json")
    result = _cli(src, "-o", out, "--mode", "segment", "-k", 2, "--glob", "a.png")
    assert result.exit_code == 1   # one file failed
    assert result.stderr.startswith(
        f"quantize: error: {src / 'a.png'}: output is a link to '{tmp_path / 'nothing.json'}', "
        "which does not exist; use --force to overwrite\n")


@pytest.mark.parametrize("flag, name", [("--report", "r.json"), ("--html", "r.html")])
def test_cli_a_report_at_a_link_to_an_earlier_report_is_written_through_it(tmp_path, flag,
                                                                          name):
    # The report replaced the link (without --force too), the earlier report left as it was.
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    (tmp_path / "reports").mkdir()
    earlier = tmp_path / "reports" / name
    assert _cli(src, "-o", out, "-k", 2, "-q", flag, earlier).exit_code == 0
    (src / "c.png").write_bytes((src / "a.png").read_bytes())
    link = tmp_path / name
    link.symlink_to(Path("reports") / name)
    result = _cli(src, "-o", out, "-k", 2, "-q", flag, link)
    assert result.exit_code == 0, result.output
    assert os.readlink(link) == str(Path("reports") / name)
    assert "c.png" in earlier.read_text(encoding="utf-8")
    if name.endswith(".html"):  # its links lead from the folder it is in
        assert 'href="../out/c.png"' in earlier.read_text(encoding="utf-8")


def test_cli_a_report_linked_to_an_input_is_refused(tmp_path):
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    before = (src / "a.png").read_bytes()
    link = tmp_path / "r.csv"
    link.symlink_to(src / "a.png")
    result = _cli(src, "-o", out, "-k", 2, "--report", link, "--force")
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --report={str(link)!r} is a link to {str(src / 'a.png')!r}, "
        f"which would be read as an input by a rerun: it lies in INPUT_DIR={str(src)!r} and "
        "it is an image; expected a path outside the input folder, or a pattern that leaves "
        "it out\n")
    assert (src / "a.png").read_bytes() == before and not out.exists()


def test_cli_a_report_linked_where_no_folder_is_is_refused_before_the_run(tmp_path):
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    link = tmp_path / "r.csv"
    link.symlink_to(tmp_path / "gone" / "r.csv")
    result = _cli(src, "-o", out, "--report", link, "--force")
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --report={str(link)!r} is a link to "
        f"{str(tmp_path / 'gone' / 'r.csv')!r}, whose folder {str(tmp_path / 'gone')!r} does "
        "not exist; expected an existing folder\n")
    assert not out.exists() and link.is_symlink()


def _batch_with_streams(args, stdout, stderr) -> int:
    here = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "quantize", "batch", *map(str, args)],
                          stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, timeout=120,
                          env=here).returncode


@pytest.mark.parametrize("onto", ["input", "report"])
def test_cli_a_stdout_redirected_onto_an_input_or_a_report_is_refused(tmp_path, onto):
    src, out = _two_inputs(tmp_path), tmp_path / "out"
    report = tmp_path / "r.csv"
    assert _cli(src, "-o", tmp_path / "first", "-k", 2, "-q", "--report", report).exit_code == 0
    target = src / "b.png" if onto == "input" else report
    before = target.read_bytes()
    with open(target, "ab") as appended, open(tmp_path / "err.txt", "wb") as err:
        code = _batch_with_streams([src, "-o", out, "-k", 2, "--report", report], appended, err)
    what = "an input" if onto == "input" else "the --report file"
    assert code == 2 and target.read_bytes() == before and not out.exists()
    assert (tmp_path / "err.txt").read_text() == (
        f"quantize: error: stdout is {target}, {what}; what quantize prints there would be "
        "written into it: redirect it to another file\n")


def test_cli_refuses_a_page_named_as_an_input_that_links_elsewhere(photo_tree, tmp_path):
    # in/index.html, a link to a page outside, was an input of the run (failed: not an
    # image), then the page replaced it: the link was lost, and the rerun refused the page
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "index.html").write_text("<title>quantize batch report</title>")
    symlink_or_skip((photo_tree / "index.html"), tmp_path / "pages" / "index.html")
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "*.*", "--html",
                  photo_tree / "index.html")
    assert result.exit_code == 2, result.output
    assert "would be read as an input by a rerun" in result.stderr
    assert (photo_tree / "index.html").is_symlink() and not (tmp_path / "out").exists()


def test_cli_refuses_a_recursive_segment_rerun_into_the_input_naming_an_image(tmp_path):
    """batch same -o same --mode segment, then the same with -r: refused, rightly, but
    as "output 'same/a/segments.json' would be read as an input", which no search takes."""
    src = tmp_path / "same"
    src.mkdir()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(src / "a.png")
    first = _cli(src, "-o", src, "--mode", "segment", "-q")
    assert (first.exit_code, (src / "a" / "labels.png").is_file()) == (0, True), first.output
    result = _cli(src, "-o", src, "--mode", "segment", "-r")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == _is_input_dir(
        src, f"output {str(src / 'a' / 'labels.png')!r} would be read as an input", "segments")


def test_cli_refuses_a_shared_palette_the_glob_would_read_naming_it(tmp_path):
    """-o INPUT_DIR --glob '*.j*' --shared-palette: the palette written there,
    shared-palette.json, is what the pattern would take on a rerun; the error named a.png,
    which it leaves out."""
    src = tmp_path / "same"
    src.mkdir()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(src / "a.jpg")
    result = _cli(src, "-o", src, "-k", "2", "--glob", "*.j*", "--shared-palette")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == _is_input_dir(
        src, f"the shared palette {str(src / 'shared-palette.json')!r} would be read as an "
        "input")
    assert [p.name for p in src.iterdir()] == ["a.jpg"]


def _is_input_dir(src, what, word="reduced", output=None):
    """The error line of -o ``output`` (default ``src``), the input folder ``src``."""
    return (f"quantize: error: -o/--output={str(output or src)!r} is INPUT_DIR={str(src)!r} "
            f"itself: outputs would be written among the inputs ({what}); choose another "
            f"output folder, e.g. -o/--output={str(src.parent / f'{src.name}-{word}')!r} or "
            f"-o/--output={str(src / word)!r}\n")


def test_cli_refuses_output_dir_equal_to_input_dir(photo_tree):
    """The error said that an output would be read as an input, and to choose a folder
    outside the input folder: a folder inside it is allowed, and the first output replaces
    its input."""
    result = _cli(photo_tree, "-o", photo_tree)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == _is_input_dir(
        photo_tree, f"output {str(photo_tree / 'astronaut.png')!r} would be read as an input")
    assert sorted(p.name for p in photo_tree.iterdir()) == [
        "README.txt", "astronaut.jpg", "chelsea.png", "empty.jpg", "notes.jpg", "sub"]


@pytest.mark.parametrize("args, error", [
    (("x4", "-o", "x4", "-r"), "-o/--output='x4' is INPUT_DIR='x4' itself: outputs would be "
     "written among the inputs (output 'x4/a.png' would replace its input); choose another "
     "output folder, e.g. -o/--output='x4-reduced' or -o/--output='x4/reduced'"),
    (("x4/", "-o", "./x4"), "-o/--output='x4' is INPUT_DIR='x4' itself: outputs would be "
     "written among the inputs (output 'x4/a.png' would replace its input); choose another "
     "output folder, e.g. -o/--output='x4-reduced' or -o/--output='x4/reduced'"),
    (("x4/sub", "-o", "x4", "-r"), "-o/--output='x4' holds INPUT_DIR='x4/sub': outputs would "
     "be written among the inputs (output 'x4/sub/b.png' would be read as an input); choose "
     "an output folder that does not hold the input folder, e.g. -o/--output='x4/sub-reduced' "
     "or -o/--output='x4/sub/reduced'"),
])
def test_cli_refuses_an_output_folder_among_the_inputs_saying_where_to_write(tmp_path,
                                                                            monkeypatch, args,
                                                                            error):
    """cp -r site x4; batch x4 -o x4 -r said that an output "would be read as an input" and
    to "choose an output folder outside the input folder", though -o x4/min is allowed; with
    -o a folder holding the input folder, which is outside it, the same advice."""
    monkeypatch.chdir(tmp_path)
    Path("x4/sub/sub").mkdir(parents=True)
    Image.new("RGB", (4, 4), (200, 30, 30)).save("x4/a.png")
    Image.new("RGB", (4, 4), (30, 200, 30)).save("x4/sub/sub/b.png")
    before = sorted(str(p) for p in Path("x4").rglob("*"))
    result = _cli(*args, "-k", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"quantize: error: {error}\n")
    assert sorted(str(p) for p in Path("x4").rglob("*")) == before


def test_cli_an_output_folder_inside_the_input_folder_is_left_out_of_reruns(tmp_path,
                                                                           monkeypatch):
    """The folder the error suggests: -o x4/reduced -r, run twice, the second run skips
    the file done and reads nothing of x4/reduced."""
    monkeypatch.chdir(tmp_path)
    Path("x4").mkdir()
    Image.new("RGB", (4, 4), (200, 30, 30)).save("x4/a.png")
    first = _cli("x4", "-o", "x4/reduced", "-r", "-k", "2")
    assert first.exit_code == 0, first.output
    again = _cli("x4", "-o", "x4/reduced", "-r", "-k", "2")
    assert (again.exit_code, again.stderr) == (0, "")
    line = again.stdout.splitlines()[0]  # the time it took is the first run's
    assert (line[:24], line[-61:]) == (  # one colour: all kept
        "[1/1] skipped x4/a.png  ", "(output exists)  (fewer colours than -k/--colors, kept whole)")
    assert sorted(str(p) for p in Path("x4").rglob("*.png")) == ["x4/a.png", "x4/reduced/a.png"]


def test_cli_refuses_an_output_folder_inside_the_tree_holding_the_users_photos(tmp_path):
    # batch J -r -o J/photos2: J/photos2's photos were left out, J/a.png was skipped as
    # "output exists; no record ...", and with --force J/photos2/a.png, another photo, was
    # replaced by J/a.png's output.
    src = tmp_path / "J"
    (src / "photos2").mkdir(parents=True)
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (0, 255, 0)).save(src / "photos2" / name)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    result = _cli(src, "-r", "-o", src / "photos2", "-k", "4", "--force")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"quantize: error: -o/--output={str(src / 'photos2')!r} lies inside "
        f"INPUT_DIR={str(src)!r} and holds images that no batch made, such as "
        f"{str(src / 'photos2' / 'a.png')!r}: the search leaves them out, and outputs of the "
        "same name would replace them; choose an output folder outside the input folder, or "
        "an empty one\n")
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before


def test_cli_segment_refuses_output_dir_equal_to_input_dir_when_folders_are_inputs(tmp_path):
    """photo.jpg and photo.png make photo.jpg/ and photo.png/: in their own folder (here
    through a link to it), each file failed on its own line, 'exists and is not a
    directory, expected an output folder'."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (8, 8), "red").save(src / "photo.jpg")
    Image.new("RGB", (8, 8), "blue").save(src / "photo.png")
    symlink_or_skip(tmp_path / "alias", src)
    result = _cli(src, "-o", tmp_path / "alias", "--mode", "segment")
    assert result.exit_code == 2, result.output
    assert result.stderr == _is_input_dir(
        src, f"{str(src / 'photo.jpg')!r} would have its output folder "
        f"{str(tmp_path / 'alias' / 'photo.jpg')!r} made where an input file is", "segments",
        output=tmp_path / "alias")
    assert sorted(p.name for p in src.iterdir()) == ["photo.jpg", "photo.png"]


def test_cli_without_dask_says_what_to_install(photo_tree, tmp_path, monkeypatch):
    # The library names its parameter, scheduler=; the command line its option.
    hide_dask(monkeypatch)
    for extra in ([], ["--shared-palette"]):
        result = _cli(photo_tree, "-o", tmp_path / "out", "--scheduler", "tcp://x:1", *extra)
        assert (result.exit_code, result.stderr) == (
            2, "quantize: error: --scheduler='tcp://x:1' needs dask.distributed, which is not "
               "installed; install it into the same environment as quantize with: "
               "pip install 'dask[distributed]>=2024.1'\n")


def test_cli_on_a_local_dask_cluster_matches_the_local_pool_byte_for_byte(
        photo_tree, tmp_path, dask_scheduler):
    """Both run every job with one BLAS thread (see the fixture), so outputs match exactly."""
    local, remote = tmp_path / "local", tmp_path / "dask"
    args = ["-r", "-k", "8", "--seed", "3", "--space", "lab"]
    assert _cli(photo_tree, "-o", local, "--jobs", "2", *args).exit_code == 1
    result = _cli(photo_tree, "-o", remote, "--scheduler", dask_scheduler, *args)
    assert result.exit_code == 1, result.output
    assert "4 ok, 0 skipped, 3 failed" in result.stdout
    assert not (remote / batch.LOCK_NAME).exists()  # the driver's lock, let go at the end
    made = sorted(p.relative_to(local) for p in local.rglob("*.png"))
    assert len(made) == 4
    assert made == sorted(p.relative_to(remote) for p in remote.rglob("*.png"))
    for rel in made:
        assert (local / rel).read_bytes() == (remote / rel).read_bytes()


def _unfar(stderr: str) -> str:
    """``stderr`` without its lines that a --palette-in is far from an image (as black and
    white are from a photo; tests/test_cli_reduce.py tests them)."""
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if "is far from the image's colours" not in line)


def test_cli_on_dask_reads_relative_paths_from_where_it_runs(photo_tree, tmp_path,
                                                              monkeypatch, dask_scheduler):
    """The workers started elsewhere (the tests' folder): they get the paths made absolute."""
    monkeypatch.chdir(tmp_path)
    Path("p.hex").write_text("#000000\n#ffffff\n")
    args = ["in", "--glob", "*.png", "--scheduler", dask_scheduler, "-q"]
    for out, more in [("out", ["-k", "4"]), ("shared", ["-k", "4", "--shared-palette"]),
                      ("mapped", ["--palette-in", "p.hex"])]:
        result = _cli(*args, "-o", out, *more)
        assert (result.exit_code, _unfar(result.stderr)) == (0, ""), out
        assert len(_palette(tmp_path / out / "chelsea.png")) <= 4 * 3
    assert len(_palette(tmp_path / "mapped" / "chelsea.png")) == 2 * 3


def test_cli_on_dask_says_each_retry_of_a_file_whose_worker_was_lost(tmp_path, monkeypatch):
    """Nothing said that a file was run again after its worker died under it: a line says
    so as it happens, and the file's report row names the worker lost."""
    pytest.importorskip("dask.distributed")
    from . import batch_support

    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save("in/lose-me.png")
    monkeypatch.setattr(batch, "reduce_mode", lambda: batch_support.LOSING_REDUCE)
    with local_cluster(n_workers=2, threads_per_worker=1, processes=False) as cluster:
        lose, lost = batch_support.worker_loser(cluster)
        monkeypatch.setattr(batch_support, "LOSE_WORKER", lose)  # the workers run in here
        result = _cli("in", "-o", "out", "-k", "2", "-q", "--report", "r.json",
                      "--scheduler", cluster.scheduler_address)
    assert (result.exit_code, result.stderr) == (0, (
        f"quantize: warning: in/lose-me.png: its worker {lost[0]} was lost; retrying (1 of "
        "7)\n")), result.output  # Dask's allowed-failures of 3: 3 + 1 alone + 3
    [row] = json.loads(Path("r.json").read_text(encoding="utf-8"))["files"]
    assert (row["status"], row[batch.WORKERS_LOST]) == ("ok", lost)


def test_cli_report_rows_follow_the_paths_not_the_order_files_settled(tmp_path):
    """b.png, done before, settles first (skipped), then a.png: the rows are a, b."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("b.png", "a.png", "C.png"):
        Image.new("RGB", (4, 4), "red").save(src / name)
    assert _cli(src, "-o", out, "--glob", "b.png", "-k", "2", "-q").exit_code == 0
    report = tmp_path / "r.json"
    result = _cli(src, "-o", out, "-k", "2", "--jobs", "1", "--report", report)
    assert result.exit_code == 0, result.output
    assert [line.split()[2] for line in result.stdout.splitlines()[:3]] == [
        str(src / "b.png"), str(src / "C.png"), str(src / "a.png")]  # as they settled
    rows = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert [(Path(r["input"]).name, r["status"]) for r in rows] == [
        ("a.png", "ok"), ("b.png", "skipped"), ("C.png", "ok")]


def test_cli_shared_palette_fitted_on_one_file_says_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    image = np.zeros((8, 8, 3), np.uint8)
    image[:4, :4], image[:4, 4:], image[4:, :4] = (200, 30, 30), (30, 180, 40), (20, 40, 190)
    Image.fromarray(image).save(src / "a.png")
    result = _cli(src, "-o", tmp_path / "out", "-k", "4", "--shared-palette")
    assert result.exit_code == 0, result.output
    palette = tmp_path / "out" / batch.SHARED_PALETTE_NAME
    # the fit's own time, as the shared classes' line says theirs (the summary's leaves it out)
    assert re.fullmatch(r"shared palette: 4 colours fitted on 1 file in \d+\.\d s \(not "
                        r"counted in the summary's time\) -> " + re.escape(str(palette)),
                        result.stdout.splitlines()[0]), result.stdout


def test_cli_report_rows_are_in_the_natural_order_of_the_paths_as_the_page(tmp_path):
    """img 9.png before img 10.png, which plain text puts first, as the --html page."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("img 10.png", "img 9.png"):
        Image.new("RGB", (4, 4), "red").save(src / name)
    report = tmp_path / "r.json"
    result = _cli(src, "-o", tmp_path / "out", "-k", "2", "-q", "--report", report)
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert [Path(r["input"]).name for r in rows] == ["img 9.png", "img 10.png"]


def test_cli_on_dask_reports_the_paths_as_given_as_the_local_pool_does(tmp_path, monkeypatch,
                                                                        dask_scheduler):
    """The workers get absolute paths; the report, the manifest and the lines do not."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (8, 8), "red").save("in/a.png")
    rows = {}
    for out, run in (("local", ["--jobs", "1"]), ("dask", ["--scheduler", dask_scheduler])):
        result = _cli("in", "-o", out, "--mode", "segment", "-k", "2", "--report",
                      f"{out}.json", *run)
        assert result.exit_code == 0, result.output
        assert f" -> {out}/a " in result.stdout
        [row] = json.loads(Path(f"{out}.json").read_text(encoding="utf-8"))["files"]
        assert (row["input"], row["output"], row["outdir"]) == ("in/a.png", f"{out}/a", f"{out}/a")
        [entry] = batch.read_manifest(out).values()
        assert (entry.record["input"], entry.record["outdir"]) == ("in/a.png", f"{out}/a")
        rows[out] = {k: v for k, v in row.items() if k not in ("output", "outdir", "seconds")}
    assert rows["local"] == rows["dask"]


def test_cli_interrupted_while_connecting_says_so(photo_tree, tmp_path, monkeypatch):
    """Ctrl-C during the wait for an address that does not answer (up to 20 s)."""
    def interrupted(scheduler):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "require_distributed", lambda scheduler: None)
    monkeypatch.setattr(batch, "check_scheduler", interrupted)
    result = _cli(photo_tree, "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:1")
    assert (result.exit_code, result.stderr) == (
        130, "quantize: error: interrupted before any file was processed\n")
    assert not (tmp_path / "out").exists()


def test_cli_on_dask_says_when_no_worker_is_connected(photo_tree, tmp_path, monkeypatch,
                                                       dask_scheduler):
    """The files wait for a worker to join (Ctrl-C stops them): said on one line first."""
    monkeypatch.setattr(batch, "check_scheduler", lambda scheduler: 0)  # then two join
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "*.png", "-k", "4",
                  "--scheduler", dask_scheduler)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: --scheduler: no worker is connected to "
                             f"{dask_scheduler}; the files wait until one joins (Ctrl-C to "
                             "stop)\n")
    assert "1/1 files: 1 ok" in result.stdout


def test_cli_on_dask_gives_up_after_worker_timeout(photo_tree, tmp_path, monkeypatch):
    """With no worker at all, a run sat for ten minutes; --worker-timeout ends it, the
    files left not reached and the exit code that of a cluster gone (75)."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    monkeypatch.setattr(executor_dask, "WORKER_POLL", 0.05)
    with local_cluster(n_workers=0, processes=False) as cluster:
        address = cluster.scheduler_address
        result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "*.png", "-k", "4",
                      "--scheduler", address, "--worker-timeout", "0", "--json")
    assert result.exit_code == 75, result.output
    *rows, error = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["status"] for row in rows] == ["not reached"]
    assert error == {"error": f"no Dask worker was connected to {address} for "
                              "--worker-timeout=0 s: gave up on the files still to do (1 of "
                              "1); start workers and rerun the same command to finish them",
                     "failure": "cluster_lost", "exit_code": 75}
    assert result.stderr.splitlines()[0] == (
        f"quantize: warning: --scheduler: no worker is connected to {address}; the files wait "
        "until one joins, for up to --worker-timeout=0 s (Ctrl-C to stop)")


def test_cli_shared_palette_on_dask_gives_up_when_its_workers_die_while_sampling(
        tmp_path, monkeypatch):
    """The samples ignored --worker-timeout: with every worker gone as the files were
    sampled, the command waited for one (here, the worker that joins after 8 s on the old
    code). It ends as a run does: the files not reached, exit 75."""
    pytest.importorskip("dask.distributed")
    import threading

    from quantize.batch import executor_dask
    from quantize.reduce import shared as reduce_shared

    from . import batch_support

    monkeypatch.setattr(executor_dask, "WORKER_POLL", 0.05)
    monkeypatch.setattr(reduce_shared, "sample_colors", batch_support.losing_sample_colors)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # no warning of it
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save("in/lose-me.png")
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        lose, lost = batch_support.worker_loser(cluster)  # the only worker, as it samples
        monkeypatch.setattr(batch_support, "LOSE_WORKER", lose)  # the worker runs in here
        address = cluster.scheduler_address
        # a worker joins after 8 s, so that the old code ends (the lost one, closed, is
        # still the cluster's first)
        back = threading.Timer(8.0, cluster.scale, (2,))
        back.start()
        try:
            result = _cli("in", "-o", "out", "-k", "2", "--shared-palette", "--scheduler",
                          address, "--worker-timeout", "0", "--json")
        finally:
            back.cancel()
    assert result.exit_code == 75, result.output
    *rows, error = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["input"], row["status"]) for row in rows] == [("in/lose-me.png", "not reached")]
    assert error == {"error": "sampling for the shared palette stopped, none was fitted: no "
                              f"Dask worker was connected to {address} for --worker-timeout=0 "
                              "s: gave up on the files still to do (1 of 1); start workers and "
                              "rerun the same command to finish them",
                     "failure": "cluster_lost", "exit_code": 75}
    assert result.stderr.splitlines()[0] == (
        f"quantize: warning: --scheduler: no worker is connected to {address} any more; the "
        "1 file left wait until one joins, for up to --worker-timeout=0 s (Ctrl-C to stop)")
    assert lost and not Path("out", batch.SHARED_PALETTE_NAME).exists()


@pytest.mark.parametrize("args, line", [
    (["--worker-timeout", "5"], "--worker-timeout=5 given without --scheduler; expected it with "
     "--scheduler (how long a run on a Dask cluster waits for a worker)"),
    (["--worker-timeout", "-1", "--scheduler", "tcp://127.0.0.1:1"],
     "--worker-timeout=-1 should be >= 0")])
def test_cli_refuses_a_bad_worker_timeout(photo_tree, tmp_path, monkeypatch, args, line):
    monkeypatch.setattr(batch, "require_distributed", lambda scheduler: None)
    result = _cli(photo_tree, "-o", tmp_path / "out", *args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


def test_cli_on_dask_warns_once_of_workers_that_trim_malloc(photo_tree, tmp_path, monkeypatch,
                                                           dask_scheduler):
    monkeypatch.setattr(batch, "workers_trimming_malloc",
                        lambda scheduler: {"tcp://10.0.0.9:1": "65536", "tcp://10.0.0.9:2": "0"})
    result = _cli(photo_tree, "-o", tmp_path / "out", "--glob", "*.png", "-k", "4",
                  "--scheduler", dask_scheduler)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "quantize: warning: --scheduler: the Dask worker tcp://10.0.0.9:1 (and 1 more) runs "
        "with MALLOC_TRIM_THRESHOLD_=65536, which Dask's nanny sets by default and which makes "
        "the files take up to twice as long; start the workers with "
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null in their Dask "
        "configuration (docs/batch.md, Memory settings of the workers)\n")


@pytest.mark.parametrize("make, args, line", [
    (lambda src: None, [],
     "INPUT_DIR='{src}' is empty; expected a folder of images"),
    (lambda src: (src / "notes.txt").write_text("x"), [],
     "INPUT_DIR='{src}': no file has an image extension (.jpg, .png, .tif, .webp, ...) "
     "(sub-folders not searched); 1 file left out (.txt: not images quantize reads)"),
    (lambda src: (src / "notes.txt").write_text("x"), ["-r"],
     "INPUT_DIR='{src}': no file has an image extension (.jpg, .png, .tif, .webp, ...); "
     "1 file left out (.txt: not images quantize reads); --glob PATTERN selects files by "
     "name"),
    (lambda src: make_photo_tree(src), ["--glob", "sub/*.png"],
     "INPUT_DIR='{src}': no file matches --glob='sub/*.png' (sub-folders not searched); "
     "2 in sub-folders: add -r/--recursive"),
    (lambda src: make_photo_tree(src), ["--glob", "sub/*.tif", "-r"],
     "INPUT_DIR='{src}': no file matches --glob='sub/*.tif'"),
])
def test_cli_says_why_no_file_matched_and_exits_2(tmp_path, make, args, line):
    src = tmp_path / "in"
    src.mkdir()
    make(src)
    result = _cli(src, "-o", tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"quantize: error: {line.format(src=src)}\n"
    assert result.stdout == "" and not (tmp_path / "out").exists()


def test_cli_names_the_arguments_not_the_parameters(tmp_path):
    result = _cli(tmp_path / "nope", "-o", tmp_path / "out")
    assert result.exit_code == 1  # a missing input, as reduce and segment say it
    assert result.stderr == f"quantize: error: {tmp_path / 'nope'}: no such folder\n"
    (tmp_path / "file").write_text("x")
    result = _cli(tmp_path, "-o", tmp_path / "file")
    assert result.stderr == (f"quantize: error: -o/--output={str(tmp_path / 'file')!r} is an "
                             "existing file; expected a folder\n")


def test_cli_segment_warning_names_the_animation_once(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    frames[0].save(src / "tiny.gif", save_all=True, append_images=frames[1:])
    result = _cli(src, "-o", tmp_path / "out", "--mode", "segment", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src / 'tiny.gif'}: animated (2 frames); "
                             "only the first frame is segmented\n")


def test_cli_help_says_html_takes_htm_too(tmp_path, photo_tree):
    # --html wrote a .htm page, and its help said only ".html".
    from typer.testing import CliRunner

    from quantize.cli import app

    text = " ".join(CliRunner().invoke(app, ["batch", "--help"]).stdout.split())
    assert "Write a self-contained page to FILE (.html or .htm): before/after" in text
    result = _cli(photo_tree, "-o", tmp_path / "out", "-k", "4", "--glob", "*.png", "-q",
                  "--html", tmp_path / "r.htm")
    assert result.exit_code == 0, result.output
    assert "<title>quantize batch report" in (tmp_path / "r.htm").read_text()


def test_cli_help_says_segment_cuts_the_hierarchy_without_k():
    from typer.testing import CliRunner

    from quantize.cli import app

    text = " ".join(CliRunner().invoke(app, ["batch", "--help"]).stdout.split())
    assert ("segment: cluster the pixels into K k-means clusters, 1..256, instead of cutting the "
            "region hierarchy (the default)") in text
    assert "default 8" not in text


def test_cli_a_non_utf8_name_is_shown_with_its_bytes_escaped(tmp_path):
    """Progress, warning and failure lines, --json and the reports show an undecodable byte
    as \\xff, alike; the JSON and CSV reports held \\udcff escapes and raw bytes."""
    src = tmp_path / "in"
    src.mkdir()
    good = b"ok\xff.png".decode("utf-8", "surrogateescape")
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(src / good)        # clear: a warning
    (src / b"bad\xff.png".decode("utf-8", "surrogateescape")).write_bytes(b"not an image")
    reports = [tmp_path / "r.json", tmp_path / "r.csv"]
    result = _cli(src, "-o", tmp_path / "out", "-k", "2", "--report", reports[0])
    assert result.exit_code == 1, result.output
    assert "ok\\xff.png -> " in result.stdout
    assert "quantize: warning: " in result.stderr and "ok\\xff.png: " in result.stderr
    assert "bad\\xff.png" in result.stdout + result.stderr
    assert "\\udcff" not in result.stdout + result.stderr
    as_json = _cli(src, "-o", tmp_path / "out2", "-k", "2", "--json", "--report", reports[1])
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    rows += json.loads(reports[0].read_bytes().decode("utf-8"))["files"]
    with open(reports[1], encoding="utf-8-sig", newline="") as f:  # strict: valid UTF-8
        rows += list(csv.DictReader(f))
    assert sorted(Path(row["input"]).name for row in rows) == ["bad\\xff.png"] * 3 + [
        "ok\\xff.png"] * 3


def test_an_unreachable_scheduler_is_found_before_planning(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (8, 8), "red").save(src / "a.png")

    def no_planning(*args, **kwargs):
        raise AssertionError("planned before the scheduler was checked")

    monkeypatch.setattr(executor_dask, "CONNECT_TIMEOUT", 2.0)
    monkeypatch.setattr("quantize.batch.plan_batch", no_planning)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    result = _cli(src, "-o", tmp_path / "out", "--scheduler", address)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"quantize: error: --scheduler='{address}': cannot connect")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address, alone", [
    ("tcp://127.0.0.1:8786/", "tcp://127.0.0.1:8786"),
    ("127.0.0.1:8786/", "127.0.0.1:8786"),
    ("tls://[::1]:8786/status", "tls://[::1]:8786")])
def test_a_scheduler_address_with_a_path_is_refused_in_one_line(tmp_path, address, alone):
    # A final "/" failed in Python's words, after connecting: "cannot connect (invalid
    # literal for int() with base 10: '8786/')". Refused before any folder is touched.
    pytest.importorskip("dask.distributed")
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (8, 8), "red").save(src / "a.png")
    result = _cli(src, "-o", tmp_path / "out", "--scheduler", address)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"quantize: error: --scheduler={address!r}: expected the address "
                             f"of a dask scheduler without a path or a final '/', as {alone!r}\n")
    assert not (tmp_path / "out").exists()


def test_a_lost_scheduler_still_writes_the_reports(tmp_path, monkeypatch):
    """The files done are reported, the others listed as not reached (they were "failed",
    failure "other", exit 1: no fault of theirs); then one error line, exit 75."""
    pytest.importorskip("dask.distributed")
    from quantize.cli import batch as command

    from .batch_support import SLEEPY

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (4, 4)).save(src / name)
    monkeypatch.setattr("quantize.batch.reduce_mode", lambda: SLEEPY)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # its worker runs in here
    shown = command._plain_line
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        def stop_after(*args):  # the cluster stops once a file is shown
            shown(*args)
            cluster.close()

        monkeypatch.setattr(command, "_plain_line", stop_after)
        address = cluster.scheduler_address
        result = _cli(src, "-o", out, "--scheduler", address, "--report", out / "r.json",
                      "--html", out / "i.html")
    assert result.exit_code == 75, result.output
    done, summary = result.stdout.splitlines()  # no line for a file not done
    assert done == f"[1/3] ok      {src / 'a.png'} -> {out / 'a.png'}  k=0"
    assert summary.startswith("1/3 files: 1 ok, 0 skipped, 0 failed in ")
    assert "; stopped before the end, 2 not reached: rerun the same command to finish; " \
        in summary
    # closed, the cluster stops its worker first, which may be said before the loss
    assert result.stderr.splitlines()[-1] == (
        f"quantize: error: the Dask scheduler at {address} dropped the files still to do "
        "(2 of 3): it stopped, or the connection to it was lost; rerun the same command to "
        "finish them")
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert {k: report["summary"][k] for k in ("total", "ok", "failed")} == {
        "total": 3, "ok": 1, "failed": 0}
    assert [(Path(row["input"]).name, row["status"], row["failure"])
            for row in report["files"]] == [
        ("a.png", "ok", None), ("b.png", "not reached", None), ("c.png", "not reached", None)]
    assert batch.NOT_DONE not in (out / "i.html").read_text(encoding="utf-8")


def test_an_output_folder_removed_mid_run_leaves_every_file_once_in_the_reports(
        tmp_path, monkeypatch):
    import shutil

    from .report_support import file_rows, parse

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        Image.fromarray(np.full((4, 4, 3), 40 * i, np.uint8)).save(src / name)
    run = batch.run_batch

    def removing_the_folder(plan, *, on_result, **kwargs):  # once the first file is done
        def shown(result):
            on_result(result)
            if out.exists():
                shutil.rmtree(out)
        return run(plan, on_result=shown, **kwargs)

    monkeypatch.setattr(batch, "run_batch", removing_the_folder)
    result = _cli(src, "-o", out, "-q", "-j", "1", "--report", tmp_path / "r.csv",
                  "--html", tmp_path / "r.html")
    assert result.exit_code == 1
    gone = f"output folder {out} does not exist"
    assert result.stderr.splitlines()[-2:] == [
        f"quantize: error: {src / name}: {out / name}: {gone}" for name in ("b.png", "c.png")]
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        rows = [(Path(r["input"]).name, r["status"], r["reason"]) for r in csv.DictReader(f)]
    assert rows == [("a.png", "ok", ""), ("b.png", "failed", f"{out / 'b.png'}: {gone}"),
                    ("c.png", "failed", f"{out / 'c.png'}: {gone}")]
    page = file_rows(parse((tmp_path / "r.html").read_text(encoding="utf-8")))
    assert [(row.children[0].children[0].all_text(), row.attrs["class"]) for row in page] == [
        ("a.png", "file ok"), ("b.png", "file failed"), ("c.png", "file failed")]


def _record_lost_after_the_first_file(tmp_path, monkeypatch) -> tuple[Path, Path, Path]:
    """Three images in ``in``, and run_batch patched so that the record of finished outputs
    of ``out`` cannot be added to once the first file is done; the input folder, the
    output folder and the record's path."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        Image.fromarray(np.full((4, 4, 3), 40 * i, np.uint8)).save(src / name)
    manifest = out / batch.MANIFEST_NAME
    run = batch.run_batch

    def unwritable_after_the_first(plan, *, on_result, **kwargs):
        def shown(result):
            on_result(result)
            if manifest.is_file():  # a folder in its place cannot be added to
                manifest.unlink()
                manifest.mkdir()
        return run(plan, on_result=shown, **kwargs)

    monkeypatch.setattr(batch, "run_batch", unwritable_after_the_first)
    return src, out, manifest


def test_a_run_stopped_by_an_output_error_still_writes_the_reports(tmp_path, monkeypatch):
    # the record of finished outputs could not be written (a full disk, say): the run
    # stopped with its one line and wrote no report, leaving an earlier run's in place
    from .report_support import file_rows, parse

    src, out, manifest = _record_lost_after_the_first_file(tmp_path, monkeypatch)
    (tmp_path / "r.json").write_text('{\n  "summary": {}, "files": []}')  # an earlier run's
    result = _cli(src, "-o", out, "-j", "1", "--report", tmp_path / "r.json", "--html",
                  tmp_path / "r.html")
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1].startswith("2/3 files: 1 ok, 0 skipped, 1 failed in ")
    data = json.loads((tmp_path / "r.json").read_text())
    # b.png's output was written but could not be recorded: failed, saying why, not "not
    # reached"; its output, which no record holds, removed (a rerun makes it again)
    why = (f"{manifest}: cannot add 'b.png' to the record of finished outputs (Is a "
           "directory); the run stopped, and this file's output, unrecorded, was removed")
    assert [(Path(r["input"]).name, r["status"], r["output"]) for r in data["files"]] == [
        ("a.png", "ok", str(out / "a.png")), ("b.png", "failed", None),
        ("c.png", "not reached", None)]
    assert data["files"][1]["reason"] == why
    assert sorted(p.name for p in out.iterdir()) == [batch.MANIFEST_NAME, "a.png"]
    # said once, with its file: not again as the run's error
    assert [line for line in result.stderr.splitlines() if "error" in line] == [
        f"quantize: error: {src / 'b.png'}: {why}"]
    assert (data["summary"]["total"], data["summary"]["failed"],
            data["summary"]["interrupted"]) == (3, 1, False)
    root = parse((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert [row.attrs["class"] for row in file_rows(root)] == [
        "file ok", "file failed", "file not-reached"]
    (line,) = [p.all_text() for p in root.iter("p") if "summary" in p.classes()]
    assert "stopped before the end: 1 not reached (rerun the command to finish)" in line


@pytest.mark.parametrize("force", [False, True])
def test_a_run_stopped_by_an_error_says_the_files_not_reached_and_how_to_finish(
        tmp_path, monkeypatch, force):
    """The summary said '2/3 files: 1 ok, 0 skipped, 1 failed', nothing of the file not
    reached nor of rerunning, as an interrupted run says it."""
    src, out, _ = _record_lost_after_the_first_file(tmp_path, monkeypatch)
    result = _cli(src, "-o", out, "-j", "1", *(["--force"] if force else []))
    assert result.exit_code == 1
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("2/3 files: 1 ok, 0 skipped, 1 failed in ")
    advice = (f"to finish, rerun: quantize batch {src} -o {out} -j 1 --force (with --force "
              "too, it keeps the outputs this run made and redoes only the files it did not "
              "reach)" if force else "rerun the same command to finish")
    assert summary.endswith(f"; stopped before the end, 1 not reached: {advice}")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_run_stopped_by_an_error_names_the_outputs_left_unrecorded(tmp_path, monkeypatch,
                                                                      as_json):
    """With -j 2 the other worker's output, finished as the run stopped, and its mark were
    left in place, said nowhere. Then said to be "in no report", and later "counted and
    listed as not reached", its file was given in the reports, the page and --json as not
    reached, with no output: it has a row of its own, with its output, counted apart."""
    from .report_support import file_rows, parse

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.full((4, 4, 3), 40, np.uint8)).save(src / name)

    def stopped(plan, *, on_result, **kwargs):
        out.mkdir(exist_ok=True)
        Image.fromarray(np.full((4, 4, 3), 40, np.uint8)).save(out / "b.png")
        raise batch.NotRecordedError("cannot add 'a.png' (No space left on device)",
                                     path=out / batch.MANIFEST_NAME, input=src / "a.png",
                                     left=[out / "b.png"])

    monkeypatch.setattr(batch, "run_batch", stopped)
    result = _cli(src, "-o", out, "-k", 2, "--report", tmp_path / "r.json",
                  "--html", tmp_path / "r.html", *(["--json"] if as_json else []))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == (
        f"quantize: warning: 1 output finished as the run stopped, {out / 'b.png'}, is left "
        "in place, unrecorded, its file listed as finished unrecorded; the next run makes it "
        "again")
    summary = (lines if as_json else result.stdout.splitlines())[-2 if as_json else -1]
    assert (" stopped before the end, 2 not reached, 1 finished unrecorded: rerun the same "
            "command to finish; report: ") in summary
    expected = [("a.png", "not reached", None),
                ("b.png", "finished unrecorded", str(out / "b.png")),
                ("c.png", "not reached", None)]
    data = json.loads((tmp_path / "r.json").read_text())
    assert [(Path(r["input"]).name, r["status"], r["output"]) for r in data["files"]] == expected
    assert data["files"][1] == batch.report_row(batch.finished_unrecorded_row(src / "b.png",
                                                                              out / "b.png"))
    assert data["summary"]["finished_unrecorded"] == 1
    root = parse((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert [row.attrs["class"] for row in file_rows(root)] == [
        "file not-reached", "file finished-unrecorded", "file not-reached"]
    (line,) = [p.all_text() for p in root.iter("p") if "summary" in p.classes()]
    assert ("stopped before the end: 2 not reached, 1 finished unrecorded (rerun the command "
            "to finish)") in line
    if as_json:  # and, last, the error that stopped the run
        *objects, error = [json.loads(line) for line in result.stdout.splitlines()]
        assert sorted((Path(o["input"]).name, o["status"], o["output"])
                      for o in objects) == expected
        assert error == {"error": f"{out / batch.MANIFEST_NAME}: cannot add 'a.png' (No space "
                                  "left on device)", "failure": "write_failed", "exit_code": 1}


def test_a_report_that_cannot_be_written_does_not_hide_why_the_run_stopped(tmp_path,
                                                                            monkeypatch):
    from quantize.errors import OutputError

    src, out, manifest = _record_lost_after_the_first_file(tmp_path, monkeypatch)

    def full(path, *args, **kwargs):
        raise OutputError("cannot be written (No space left on device)", path=path)

    monkeypatch.setattr(batch, "write_report", full)
    result = _cli(src, "-o", out, "-j", "1", "-q", "--report", tmp_path / "r.json")
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "error" in line] == [
        f"quantize: error: {src / 'b.png'}: {manifest}: cannot add 'b.png' to the record of "
        "finished outputs (Is a directory); the run stopped, and this file's output, "
        "unrecorded, was removed",
        f"quantize: error: {tmp_path / 'r.json'}: cannot be written (No space left on device)"]


@pytest.mark.parametrize("failing", [["--report"], ["--html"], ["--report", "--html"]])
def test_a_report_that_cannot_be_written_leaves_the_other_and_the_summary(tmp_path,
                                                                         monkeypatch, failing):
    """A --report that could not be written (a full disk) ended the command: the --html
    page was not attempted, an earlier run's page was left, stale, and no summary line
    was said. Each is written or said on its own line, and the summary names those
    written."""
    import quantize.report
    from quantize.errors import OutputError

    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray((np.arange(48).reshape(4, 4, 3) * 5).astype(np.uint8)).save(src / "a.png")
    paths = {"--report": tmp_path / "r.json", "--html": tmp_path / "r.html"}
    for path in paths.values():
        path.write_text("an earlier run's")

    def full(path, *args, **kwargs):
        raise OutputError("cannot write (No space left on device)", path=path)

    if "--report" in failing:
        monkeypatch.setattr(batch, "write_report", full)
    if "--html" in failing:
        monkeypatch.setattr(quantize.report, "write_html_report", full)
    result = _cli(src, "-o", tmp_path / "out", "-k", 4, "--force", "--report", paths["--report"],
                  "--html", paths["--html"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"quantize: error: {paths[flag]}: cannot write (No space left on device)"
        for flag in failing]
    written = [str(paths[flag]) for flag in paths if flag not in failing]
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("1/1 files: 1 ok, 0 skipped, 0 failed in ")
    larger = "; 1 output larger than its input (--skip-if-larger skips it)"  # a tiny image's
    assert summary.endswith(f"{larger}; report: {written[0]}" if written else larger)
    for flag, path in paths.items():
        assert (path.read_text() == "an earlier run's") == (flag in failing)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("flag, name", [("--report", "r.json"), ("--html", "r.html")])
def test_cli_a_pipe_as_a_report_is_refused_before_any_work(photo_tree, tmp_path, flag, name):
    """With --force, the report replaced a FIFO given as its path; without, 'not a quantize
    report' advised --force."""
    import stat

    pipe = tmp_path / name
    os.mkfifo(pipe)
    result = _cli(photo_tree, "-o", tmp_path / "out", "--force", flag, pipe)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {flag}={str(pipe)!r} is a pipe, device or socket, not a regular "
        "file; expected an output file name (an output is put in place whole, which would replace "
        "it)\n")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode) and not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_cli_a_pipe_among_the_inputs_says_why_on_its_line(tmp_path):
    """'[1/2] skipped in/pipe.png' on stdout, with no reason: the reason went to stderr
    alone. Other skipped files' lines say theirs ('(output exists)')."""
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray((np.arange(48).reshape(4, 4, 3) * 5).astype(np.uint8)).save(src / "a.png")
    os.mkfifo(src / "pipe.png")
    result = _cli(src, "-o", tmp_path / "out", "-k", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (f"[1/2] skipped {src / 'pipe.png'}  (a named pipe "
                                             "(FIFO), not a regular file; not read)")
    assert result.stderr == (f"quantize: warning: {src / 'pipe.png'}: a named pipe (FIFO), not "
                             "a regular file; not read\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("mode, fifo", [("reduce", "a.png"), ("segment", "a/segments.json")])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_cli_a_pipe_at_an_outputs_name_fails_that_file(tmp_path, mode, fifo, force):
    """A FIFO at out/a.png was skipped as an output of no record (exit 0) without --force;
    one at out/a/segments.json made the segment job wait for a writer for ever with it.
    Run in a process of its own, so that such a wait fails the test instead of hanging it."""
    import stat

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name, level in (("a.png", 40), ("b.png", 200)):
        image = np.full((4, 4, 3), level, np.uint8)
        image[:, 2:] = 255 - level
        Image.fromarray(image).save(src / name)
    (out / fifo).parent.mkdir(parents=True)
    os.mkfifo(out / fifo)
    try:
        result = subprocess.run([sys.executable, "-m", "quantize", "batch", str(src), "-o",
                                 str(out), "--mode", mode, "-k", "2", *force], capture_output=True,
                                text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"batch waited for a writer of {fifo}")
    reason = (f"{out / fifo}: is a pipe, device or socket, not a regular file; expected an "
              "output file name (an output is put in place whole, which would replace it)")
    assert (result.returncode, result.stderr) == (1, f"quantize: error: {src / 'a.png'}: "
                                                     f"{reason}\n")
    assert f"failed  {src / 'a.png'}: {reason}" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("2/2 files: 1 ok, 0 skipped, 1 failed")
    assert stat.S_ISFIFO(os.lstat(out / fifo).st_mode)
    assert (out / ("b.png" if mode == "reduce" else "b/segments.json")).is_file()


def test_cli_stdout_is_refused_as_the_output_folder(photo_tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _cli(photo_tree, "-o", "-")
    assert result.exit_code == 2
    assert result.stderr == ("quantize: error: -o/--output='-': batch does not write to "
                             "stdout (its outputs are a folder of files); expected a folder\n")
    assert not (tmp_path / "-").exists()


def _show_progress(results):
    """Settle ``results`` through the batch command's progress display, as a run does."""
    from quantize.cli.batch import _progress

    plan = batch.BatchPlan(Path("in"), Path("out"), batch.reduce_mode(), [], [])
    summary = batch.BatchSummary(total=len(results))
    with _progress(plan, summary, show="lines") as show:
        for result in results:
            summary.add(result)
            show(result)


def _warnings_shown(monkeypatch, plan, results):
    """The warning lines the terminal progress display prints as ``results`` settle."""
    from quantize.cli.batch import _progress

    def settle():
        summary = batch.BatchSummary(total=len(results))
        with _progress(plan, summary, show="lines") as show:
            for result in results:
                summary.add(result)
                show(result)

    return [line for line in _on_terminal(monkeypatch, settle) if "warning" in line]


def _on_terminal(monkeypatch, settle, columns=400):
    """The lines ``settle()`` prints through the progress display on a terminal, without
    colours."""
    import io
    import re
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.setenv("COLUMNS", str(columns))
    settle()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\", "", sys.stderr.getvalue())
    return text.replace("\r", "\n").splitlines()


def _terminal_lines(monkeypatch, results, columns=400):
    """What the progress display prints to a terminal for ``results``, without colours, but
    for the bar."""
    return [line for line in _on_terminal(monkeypatch, lambda: _show_progress(results), columns)
            if "━" not in line]


@pytest.mark.parametrize(("stdout_tty", "stderr_tty"), [(False, True), (True, False),
                                                        (False, False)])
def test_progress_is_one_line_per_file_on_stdout_unless_both_are_terminals(
        monkeypatch, stdout_tty, stderr_tty):
    import io
    import sys

    class Stream(io.StringIO):
        def __init__(self, tty):
            super().__init__()
            self.tty = tty

        def isatty(self):
            return self.tty

    monkeypatch.setattr(sys, "stdout", Stream(stdout_tty))
    monkeypatch.setattr(sys, "stderr", Stream(stderr_tty))
    results = [batch.FileResult(Path("in/a.png"), Path("out/a.png"), "ok", record={"k": 4}),
               batch.FileResult(Path("in/b.jpg"), None, "failed",
                                "out/b\nc.png: cannot write (Permission denied)")]
    _show_progress(results)
    # The failed file's line said no more than "[2/2] failed  in/b.jpg": a log of stdout
    # did not tell why. It gives the error line's reason, escaped alike.
    assert sys.stdout.getvalue().splitlines() == [
        "[1/2] ok      in/a.png -> out/a.png  k=4",
        "[2/2] failed  in/b.jpg: out/b\\nc.png: cannot write (Permission denied)"]
    assert sys.stderr.getvalue() == ("quantize: error: in/b.jpg: out/b\\nc.png: cannot write "
                                     "(Permission denied)\n")


def test_progress_lines_round_as_reduce_does(monkeypatch, capsys):
    """psnr=31 and seconds=0.279 were rounded to three figures, unlike reduce's own line
    (PSNR 30.96 dB, 0.28 s): two decimals each now, as reduce prints them."""
    results = [batch.FileResult(Path("in/a.png"), Path("out/a.png"), "ok",
                                record={"k": 16, "psnr": 30.9649, "delta_e": 3.5161,
                                        "seconds": 0.2791}),
               batch.FileResult(Path("in/b.png"), Path("out/b.png"), "ok",
                                record={"k": 1, "psnr": None, "delta_e": 0.0, "seconds": 0.004})]
    _show_progress(results)
    assert capsys.readouterr().out.splitlines() == [
        "[1/2] ok      in/a.png -> out/a.png  k=16 psnr=30.96 delta_e=3.52 seconds=0.28",
        "[2/2] ok      in/b.png -> out/b.png  k=1 psnr=lossless delta_e=0.00 seconds=0.00"]


def test_progress_line_of_thresholded_alpha_is_not_said_lossless_alone(capsys):
    """A GIF whose translucent pixels were made transparent or opaque had psnr=lossless, as
    if nothing was lost: the pixels thresholded follow, as reduce's line says them."""
    results = [batch.FileResult(Path("in/a.png"), Path("out/a.gif"), "ok",
                                record={"k": 3, "psnr": None, "alpha_thresholded": 40,
                                        "delta_e": 0.0, "seconds": 0.01}),
               batch.FileResult(Path("in/b.png"), Path("out/b.gif"), "ok",
                                record={"k": 9, "psnr": 41.5, "alpha_thresholded": 1,
                                        "delta_e": 0.5, "seconds": 0.01})]
    _show_progress(results)
    assert capsys.readouterr().out.splitlines() == [
        "[1/2] ok      in/a.png -> out/a.gif  k=3 psnr=lossless(rgb) alpha_thresholded=40 "
        "delta_e=0.00 seconds=0.01",
        "[2/2] ok      in/b.png -> out/b.gif  k=9 psnr=41.50 alpha_thresholded=1 "
        "delta_e=0.50 seconds=0.01"]


def test_terminal_progress_shows_file_names_and_reasons_as_they_are(monkeypatch):
    results = [batch.FileResult(Path("in/broken [red].jpg"), None, "failed",
                                "cannot decode [link=x]image[/link]"),
               batch.FileResult(Path("in/flat [bold].png"), Path("out/flat [bold].png"), "ok",
                                record={"warnings": ["only [i]1[/i] distinct colour"]})]
    lines = _terminal_lines(monkeypatch, results)
    assert "failed in/broken [red].jpg: cannot decode [link=x]image[/link]" in lines
    assert "warning in/flat [bold].png: only [i]1[/i] distinct colour" in lines


def _failed_with_warnings():
    """A failed file whose shared palette was fitted without it and whose job warned before
    its error, and whose earlier output under another name was then left in place."""
    return [batch.FileResult(Path("in/a.png"), None, "failed", "cannot write (disk full)",
                             {batch.LEFT_OUT: "not sampled", "warnings": ["only 1 colour"],
                              batch.NOT_REMOVED: {"out/a.gif": "it changed"}})]


def test_a_failed_files_warnings_come_before_its_error_line(monkeypatch):
    # The error line came first, then the warnings raised before it.
    import io
    import sys

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    _show_progress(_failed_with_warnings())
    assert sys.stderr.getvalue().splitlines() == [
        "quantize: warning: in/a.png: left out of the shared palette's fit, which the other "
        "files made: not sampled",
        "quantize: warning: in/a.png: only 1 colour",
        "quantize: error: in/a.png: cannot write (disk full)",
        "quantize: warning: in/a.png: out/a.gif, made of this file under another name by an "
        "earlier run, is left in place: it changed"]


def test_terminal_progress_shows_a_failed_files_warnings_before_its_error(monkeypatch):
    lines = [line for line in _terminal_lines(monkeypatch, _failed_with_warnings()) if line]
    assert [line.split(":")[0] for line in lines] == [
        "warning in/a.png", "warning in/a.png", "failed in/a.png", "warning in/a.png"]
    assert lines[1:3] == ["warning in/a.png: only 1 colour",
                          "failed in/a.png: cannot write (disk full)"]


def test_terminal_progress_keeps_each_failure_on_one_line(monkeypatch):
    long = Path("in/a folder with a long name/and a photo with a long name too.jpg")
    results = [batch.FileResult(long, None, "failed", "cannot decode image (image file is "
                                "truncated (40 bytes not processed))")]
    lines = _terminal_lines(monkeypatch, results, columns=40)
    assert f"failed {long}: cannot decode image (image file is truncated (40 bytes not " \
        "processed))" in lines


def _progress_lines(monkeypatch, plan, results, columns=400):
    """What the progress display prints on a terminal, without colours, as ``results``
    settle in turn for ``plan``."""
    from quantize.cli.batch import _progress

    summary = batch.BatchSummary(total=plan.n_files)

    def settle():
        with _progress(plan, summary, show="lines") as show:
            for result in results:
                summary.add(result)
                show(result)

    return _on_terminal(monkeypatch, settle, columns)


def _terminal_bar(monkeypatch, planned, results):
    """The progress bar's last line on a terminal, without colours, for a plan that settled
    ``planned`` and ran one job for each of ``results``."""
    jobs = [batch.FileJob(r.input, Path("out", r.input.name)) for r in results]
    plan = batch.BatchPlan(Path("in"), Path("out"), batch.reduce_mode(), jobs, list(planned))
    lines = _progress_lines(monkeypatch, plan, [*planned, *results])
    return [line for line in lines if "━" in line][-1]


def test_terminal_progress_bar_says_the_folders_it_could_not_list(monkeypatch):
    # The bar's red "1 failed" counted the files only: a folder that could not be listed,
    # which fails the batch as the summary line says, was not on it.
    def unlisted(name):
        return batch.FileResult(Path("in", name), None, "failed", "cannot list this folder",
                                {batch.NOT_LISTED: True})

    broken = batch.FileResult(Path("in/b.png"), None, "failed", "cannot decode image")
    skipped = batch.FileResult(Path("in/c.segments"), None, "skipped", "region maps",
                               {batch.NOT_SEARCHED: True})
    time = r"\d:\d\d:\d\d"
    for planned, said in (([skipped], "1 failed"),
                          ([unlisted("x"), skipped], "1 failed; 1 folder not listed"),
                          ([unlisted("x"), unlisted("y")], "1 failed; 2 folders not listed")):
        bar = _terminal_bar(monkeypatch, planned, [broken])
        assert re.fullmatch(rf"reduce ━+ 1/1 {re.escape(said)} {time} ETA ({time}|-:--:--) *",
                            bar), bar


@pytest.mark.parametrize("columns", [20, 49])
def test_a_narrow_terminals_progress_bar_keeps_the_file_count(monkeypatch, columns):
    # At 20 columns rich dropped the bar's N/M (and the bar and times), showing only
    # "reduce 1 failed": narrower than 50, the bar is the count and the failures.
    done = batch.FileResult(Path("in/y.png"), Path("out/y.png"), "ok", "", {"k": 4})
    broken = batch.FileResult(Path("in/b.png"), None, "failed", "cannot decode image")
    plan = batch.BatchPlan(Path("in"), Path("out"), batch.reduce_mode(),
                           [batch.FileJob(r.input, Path("out", r.input.name))
                            for r in (done, broken)], [])
    lines = _progress_lines(monkeypatch, plan, (done, broken), columns)
    assert [line.rstrip() for line in lines if line.startswith("reduce")][-1] == (
        "reduce 2/2 1 failed")


def test_terminal_progress_bar_counts_a_settled_file_once_when_reported_anew(monkeypatch):
    # A file settled when planned (skipped) whose earlier output under another name the run
    # then removed, or left in place, is reported as a new result with that in its record:
    # the bar counted it again, and showed 3/2 for a plan of two files.
    from dataclasses import replace

    skipped = batch.FileResult(Path("in/x.gif"), Path("out/x.png"), "skipped", "output exists",
                               {"k": 4})
    said = replace(skipped, record={"k": 4, batch.NOT_REMOVED: {"out/x.gif": "it changed"}})
    done = batch.FileResult(Path("in/y.png"), Path("out/y.png"), "ok", "", {"k": 4})
    plan = batch.BatchPlan(Path("in"), Path("out"), batch.reduce_mode(),
                           [batch.FileJob(done.input, done.output)], [skipped])
    lines = _progress_lines(monkeypatch, plan, (said, done))
    bar = [line for line in lines if "━" in line][-1]
    assert re.fullmatch(r"reduce ━+ 2/2 0 failed \d:\d\d:\d\d ETA \S+ *", bar), bar


def test_file_names_with_control_characters_are_shown_escaped_on_one_line(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "bad\nname.jpg").write_text("not a picture\n")
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(src / "esc\x1b[31m.png")  # clear: a warning
    result = _cli(src, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"quantize: error: {src}/bad\\nname.jpg: not an image Pillow can identify",
        f"quantize: warning: {src}/esc\\x1b[31m.png: -k/--colors=16 but the image has no "
        "visible colour (every pixel is fully transparent); returning the transparent entry "
        "alone"]
    assert result.stdout.splitlines()[:2] == [
        f"[1/2] failed  {src}/bad\\nname.jpg: not an image Pillow can identify",
        f"[2/2] ok      {src}/esc\\x1b[31m.png -> {out}/esc\\x1b[31m.png  k=0 psnr=lossless "
        "delta_e=0.00 seconds=" + result.stdout.splitlines()[1].rsplit("seconds=", 1)[1]]


def test_cli_reports_folders_it_cannot_list(photo_tree, tmp_path, monkeypatch):
    import os

    scandir = os.scandir
    refused = {str(photo_tree / "sub")}

    def refusing(path="."):
        if os.fspath(path) in refused:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    result = _cli(photo_tree, "-o", tmp_path / "out", "-r", "-j", "1")
    assert result.exit_code == 1
    why = "cannot list this folder (Permission denied); the files in it were not processed"
    assert f"quantize: error: {photo_tree / 'sub'}: {why}" in result.stderr.splitlines()
    # the folder is no file: counted apart ("5/5 files: 2 ok, 0 skipped, 3 failed" counted it)
    assert f"[folder] failed  {photo_tree / 'sub'}: {why}" in result.stdout.splitlines()
    assert re.fullmatch(r"4/4 files: 2 ok, 0 skipped, 2 failed in \d+\.\d s \(\d+\.\d\d "
                        r"images/s\)" + BYTES + r"; 1 folder could not be listed; 1 file left "
                        r"out \(\.txt: "
                        r"not images quantize reads\)",
                        result.stdout.splitlines()[-1])
    refused.add(str(photo_tree))
    top = _cli(photo_tree, "-o", tmp_path / "out2", "-r")
    assert (top.exit_code, top.stderr) == (1, f"quantize: error: {photo_tree}: Permission "
                                              "denied\n")


def test_cli_a_folder_it_cannot_list_fails_the_batch_but_is_counted_apart(tmp_path,
                                                                         monkeypatch):
    # The folder was a failed file: "2/2 files: 1 ok, 0 skipped, 1 failed", "failed": 1 in
    # the JSON report, "failed (1)" on the page. It is no file, but its files were not
    # processed: exit 1 all the same.
    import os

    from .report_support import parse

    root = tmp_path / "in"
    (root / "locked").mkdir(parents=True)
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(root / "a.png")
    scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == str(root / "locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    out, report, page = tmp_path / "out", tmp_path / "r.json", tmp_path / "r.html"
    result = _cli(root, "-o", out, "-r", "-k", "2", "-j", "1", "--report", report, "--html", page)
    assert result.exit_code == 1
    why = "cannot list this folder (Permission denied); the files in it were not processed"
    lines = result.stdout.splitlines()
    assert lines[0] == f"[folder] failed  {root / 'locked'}: {why}"
    assert lines[1].startswith(f"[1/1] ok      {root / 'a.png'} -> {out / 'a.png'}  ")
    assert re.fullmatch(r"1/1 files: 1 ok, 0 skipped, 0 failed in \d+\.\d s \(\d+\.\d\d "
                        r"images/s\)" + BYTES + r"; 1 folder could not be listed; 1 output "
                        r"larger than "
                        r"its input \(--skip-if-larger skips it\); 1 file with fewer colours "
                        r"than -k/--colors, kept whole; report: "
                        + re.escape(f"{report}, {page}"), lines[2])
    assert len(lines) == 3
    summary = json.loads(report.read_text())["summary"]
    assert {key: summary[key] for key in ("total", "ok", "skipped", "failed", "folders_skipped",
                                          "folders_failed")} == {
        "total": 1, "ok": 1, "skipped": 0, "failed": 0, "folders_skipped": 0,
        "folders_failed": 1}
    dom = parse(page.read_text(encoding="utf-8"))
    (line,) = [p.all_text() for p in dom.iter("p") if "summary" in p.classes()]
    assert line.startswith("reduce: 1 file\xa0· 1 ok\xa0· 0 skipped\xa0· 0 failed\xa0· 1 folder "
                           "could not be listed\xa0· ")
    (group,) = [div for div in dom.iter("div") if "filter" in div.classes()]
    assert [b.all_text() for b in group.iter("button")] == [
        "all (2)", "ok (1)", "folders not listed (1)"]


def test_cli_html_filter_counts_a_folder_not_searched_apart_from_the_skipped_files(tmp_path):
    # The summary said "2 files · 2 ok · 0 skipped · 0 failed · 1 folder skipped", the
    # buttons "all (3)", "ok (2)", "skipped (1)": the segment's folder as a skipped file.
    from quantize.segment_file import segment_file

    from .report_support import parse

    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    for path, grey in ((root / "a.png", 90), (root / "sub" / "x.png", 160)):
        Image.fromarray(np.full((8, 8, 3), grey, np.uint8)).save(path)
    segment_file(root / "a.png", root / "a.segments", n_clusters=1)
    page = tmp_path / "r.html"
    result = _cli(root, "-o", tmp_path / "out", "-r", "-k", "2", "-j", "1", "--html", page)
    assert result.exit_code == 0, result.output
    dom = parse(page.read_text(encoding="utf-8"))
    (line,) = [p.all_text() for p in dom.iter("p") if "summary" in p.classes()]
    assert line.startswith("reduce: 2 files\xa0· 2 ok\xa0· 0 skipped\xa0· 0 failed\xa0· 1 folder "
                           "skipped\xa0· ")
    (group,) = [div for div in dom.iter("div") if "filter" in div.classes()]
    assert [(b.all_text(), b.attrs["data-show"]) for b in group.iter("button")] == [
        ("all (3)", ""), ("ok (2)", "ok"), ("folders skipped (1)", "folder-skipped")]


def _edit(path: Path) -> None:
    """Save another picture over ``path``, as a photo editor does."""
    Image.new("RGB", (30, 20), (200, 30, 90)).save(path)


def test_cli_an_input_changed_since_its_output_is_redone_and_said_so(photo_tree, tmp_path):
    import html as html_lib

    out, report, page = tmp_path / "out", tmp_path / "rep.json", tmp_path / "rep.html"
    args = [photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "--report", report,
            "--html", page]
    assert _cli(*args).exit_code == 0
    _edit(photo_tree / "chelsea.png")
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"[1/1] ok      {photo_tree}/chelsea.png -> {out}/chelsea.png"
                               "  k=1 psnr=lossless")
    assert lines[0].endswith("  (redone: the input changed since its output was made)  "
                             "(fewer colours than -k/--colors, kept whole)")
    assert lines[-1].startswith("1/1 files: 1 ok (1 redone: input or output changed), "
                                "0 skipped, "
                                "0 failed in ")
    assert load_image(out / "chelsea.png").shape == (20, 30)
    data = json.loads(report.read_text())
    assert data["summary"]["redone"] == 1 and data["summary"]["ok"] == 1
    [row] = data["files"]
    assert (row["status"], row["reason"]) == ("ok", batch.INPUT_CHANGED)
    text = html_lib.unescape(page.read_text())
    assert "1 ok (1 redone: input or output changed)" in text
    assert f'<div class="status">{batch.INPUT_CHANGED}</div>' in text

    again = _cli(*args)                     # recorded anew: skipped from now on
    assert "1/1 files: 0 ok, 1 skipped, 0 failed" in again.stdout


def test_summary_line_counts_the_files_redone_by_why(capsys):
    # A remake of an output a stopped run left unrecorded was said to be "input or output
    # changed", as were the others.
    from quantize.cli import batch as command

    summary = batch.BatchSummary(total=4, seconds=2.0)
    for i, reason in enumerate((batch.INPUT_CHANGED, batch.OUTPUT_DELETED,
                                batch.OUTPUT_UNRECORDED, batch.OUTPUT_UNFINISHED)):
        summary.add(batch.FileResult(Path(f"in/{i}.png"), Path(f"out/{i}.png"), "ok", reason))
    command._print_summary(summary, [])
    assert capsys.readouterr().out == (
        "4/4 files: 4 ok (4 redone: 2 input or output changed, 2 left unrecorded by a stopped "
        "run), 0 skipped, 0 failed in 2.0 s (2.00 images/s)\n")
    assert (summary.redone, summary.redone_unrecorded) == (4, 2)


def test_terminal_progress_says_a_file_was_redone(monkeypatch):
    results = [batch.FileResult(Path("in/a [b].png"), Path("out/a [b].png"), "ok",
                                batch.INPUT_CHANGED, {"k": 4})]
    assert f"ok in/a [b].png ({batch.INPUT_CHANGED})" in _terminal_lines(monkeypatch, results)


def test_terminal_progress_says_an_earlier_output_was_removed_or_left(monkeypatch):
    results = [batch.FileResult(Path("in/x.gif"), Path("out/x.png"), "ok", "",
                                {"k": 4, batch.REMOVED: ["out/x.gif"]}),
               batch.FileResult(Path("in/y.gif"), Path("out/y.png"), "skipped", "output exists",
                                {"k": 4, batch.NOT_REMOVED: {"out/y.gif": "it changed"}})]
    lines = _terminal_lines(monkeypatch, results)
    assert "ok in/x.gif (removed out/x.gif, made of this file under another name by an " \
        "earlier run)" in lines
    assert "warning in/y.gif: out/y.gif, made of this file under another name by an earlier " \
        "run, is left in place: it changed" in lines


def test_cli_help_says_a_changed_input_is_redone():
    from typer.testing import CliRunner

    from quantize.cli import app

    text = " ".join(CliRunner().invoke(app, ["batch", "--help"]).stdout.split())
    assert "a file changed since its output was made (size, time and content) is redone" in text
    assert ("(if the redo fails, the earlier output is left in place and said to be stale)"
            in text)
    assert "Redo every file, also those whose outputs exist and whose inputs did not change" \
        in text


def test_cli_segment_mode_redoes_the_folder_of_a_changed_input(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (12, 10), (90, 90, 90)).save(src / "a.png")
    assert _cli(src, "-o", out, "--mode", "segment", "-q").exit_code == 0
    _edit(src / "a.png")
    result = _cli(src, "-o", out, "--mode", "segment")
    assert result.exit_code == 0, result.output
    assert "(redone: the input changed since its output was made)" in result.stdout
    assert load_image(out / "a" / "labels.png").shape[:2] == (20, 30)


def test_cli_on_dask_redoes_a_changed_input(photo_tree, tmp_path, dask_scheduler):
    out = tmp_path / "out"
    args = [photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "--scheduler", dask_scheduler]
    assert _cli(*args).exit_code == 0
    _edit(photo_tree / "chelsea.png")
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert "1 ok (1 redone: input or output changed), 0 skipped" in result.stdout
    assert load_image(out / "chelsea.png").shape == (20, 30)
    assert "1/1 files: 0 ok, 1 skipped" in _cli(*args).stdout


def test_cli_summary_counts_a_segment_output_folder_apart_from_the_files(tmp_path):
    # "quantize segment in/a.png" left in/a.segments/ beside the photo; "batch in -r --mode
    # segment" skipped it, unsearched, but counted it among the files: "2/2 files: 1 ok,
    # 1 skipped", and the JSON report's total and skipped with it.
    from quantize.segment_file import segment_file

    root = tmp_path / "in"
    root.mkdir()
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(root / "a.png")
    segment_file(root / "a.png", root / "a.segments", n_clusters=1)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = _cli(root, "-o", out, "-r", "--mode", "segment", "-k", "1", "-j", "1",
                  "--report", report)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"[folder] skipped {root / 'a.segments'}"
    assert lines[1].startswith(f"[1/1] ok      {root / 'a.png'} -> {out / 'a'}  ")
    assert re.fullmatch(r"1/1 files: 1 ok, 0 skipped, 0 failed in \d+\.\d s \(\d+\.\d\d "
                        r"images/s\); 1 folder skipped; report: " + re.escape(str(report)),
                        lines[2])
    assert len(lines) == 3
    summary = json.loads(report.read_text())["summary"]
    assert {key: summary[key] for key in ("total", "ok", "skipped", "failed",
                                          "folders_skipped")} == {
        "total": 1, "ok": 1, "skipped": 0, "failed": 0, "folders_skipped": 1}
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a"]


def test_cli_says_which_folder_links_it_did_not_follow(tmp_path):
    root = tmp_path / "in"
    (tmp_path / "elsewhere").mkdir()
    root.mkdir()
    Image.new("RGB", (2, 2), "red").save(root / "a.png")
    Image.new("RGB", (2, 2), "blue").save(tmp_path / "elsewhere" / "b.png")
    (root / "linked").symlink_to("../elsewhere", target_is_directory=True)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = _cli(root, "-o", out, "-r", "-k", "2", "--jobs", "1", "--report", report)
    assert result.exit_code == 0, result.output
    why = ("symbolic link to a folder ('../elsewhere'), not followed; the files in it were "
           "not processed (run the batch on its target to process them)")
    assert f"quantize: warning: {root / 'linked'}: {why}" in result.stderr.splitlines()
    assert f"[folder] skipped {root / 'linked'}" in result.stdout.splitlines()
    # the link is no file: counted apart ("2/2 files: 1 ok, 1 skipped" counted it as one)
    assert re.fullmatch(r"1/1 files: 1 ok, 0 skipped, 0 failed in \d+\.\d s \(\d+\.\d\d "
                        r"images/s\)" + BYTES + r"; 1 folder skipped; 1 output larger than "
                        r"its input "
                        r"\(--skip-if-larger skips it\); 1 file with fewer colours than "
                        r"-k/--colors, kept whole; report: " + re.escape(str(report)),
                        result.stdout.splitlines()[-1])
    rows = {r["input"]: r for r in json.loads(report.read_text())["files"]}
    assert (rows[str(root / "linked")]["status"], rows[str(root / "linked")]["reason"]) == (
        "skipped", why)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.png"]


def test_cli_says_which_file_links_lead_out_of_the_input_folder(tmp_path):
    """batch read /etc/passwd-like files through a link planted in the input folder without a
    word; such a link is skipped, unread, with its line, a warning and its report row, as
    a link to a folder is."""
    root = tmp_path / "in"
    root.mkdir()
    Image.new("RGB", (2, 2), "red").save(root / "a.png")
    Image.new("RGB", (2, 2), "blue").save(tmp_path / "secret.png")
    (root / "b.png").symlink_to("../secret.png")
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = _cli(root, "-o", out, "-k", "2", "--jobs", "1", "--report", report)
    assert result.exit_code == 0, result.output
    why = ("symbolic link to a file outside the input folder ('../secret.png'), not read; "
           "links are followed only within the input folder (copy the file in to process it)")
    assert f"quantize: warning: {root / 'b.png'}: {why}" in result.stderr.splitlines()
    assert f"[1/2] skipped {root / 'b.png'}  ({why})" in result.stdout.splitlines()
    assert "2/2 files: 1 ok, 1 skipped, 0 failed" in result.stdout
    rows = {r["input"]: r for r in json.loads(report.read_text())["files"]}
    assert [rows[str(root / "b.png")][key] for key in ("status", "skipped", "reason")] == [
        "skipped", "link", why]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.png"]


@pytest.mark.parametrize("dither, grey", [(["--dither"], True), ([], False)])
def test_cli_html_report_shows_a_dithered_output_by_its_mean(tmp_path, dither, grey):
    from .report_support import decode_data_uri, file_rows, parse

    (tmp_path / "in").mkdir()
    board = np.indices((480, 480)).sum(axis=0) % 2 * 255  # shrunk by 2 for the page
    Image.fromarray(board.astype(np.uint8)).convert("RGB").save(tmp_path / "in" / "b.png")
    html = tmp_path / "out" / "index.html"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-k", "2", *dither, "--html", html)
    assert result.exit_code == 0, result.output
    after = list(file_rows(parse(html.read_text()))[0].iter("img"))[1]
    shown = np.asarray(decode_data_uri(after.attrs["src"]).convert("L"), dtype=float)
    assert (np.abs(shown - 127.5).max() <= 2) == grey


def test_ctrl_c_says_how_to_finish_and_exits_130_as_segment_does(photo_tree, tmp_path,
                                                                  monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_batch", interrupted)
    result = _cli(photo_tree, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 130
    assert result.stderr == "quantize: error: interrupted; rerun the same command to finish\n"
    assert result.stdout == ""  # -q: no summary line


def test_ctrl_c_while_the_page_is_written_names_the_reports_not_written(tmp_path,
                                                                       monkeypatch):
    """Every file is done, but the page (which reads every thumbnail) is not: the line says
    so, rather than that the files reported are done, and an earlier page is left."""
    from quantize import report as report_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    folder = _noise_folder(tmp_path / "in", "a.png", "b.png")
    out, csv_report, page = tmp_path / "out", tmp_path / "r.csv", tmp_path / "index.html"
    first = _cli(folder, "-o", out, "-k", "4", "--html", page, "-q")
    assert first.exit_code == 0, first.output
    earlier = page.read_bytes()
    monkeypatch.setattr(report_module, "write_html_report", interrupted)
    result = _cli(folder, "-o", out, "-k", "4", "--report", csv_report, "--html", page, "-q")
    assert result.exit_code == 130
    assert result.stderr == (f"quantize: error: interrupted while writing the reports: --html "
                             f"{page} not written (one an earlier run wrote is left as it "
                             "was); rerun the same command to write it\n")
    with open(csv_report, newline="", encoding="utf-8-sig") as f:
        assert [row["status"] for row in csv.DictReader(f)] == ["skipped", "skipped"]
    assert page.read_bytes() == earlier


def test_ctrl_c_while_the_first_page_is_written_says_no_earlier_one_is_left(tmp_path,
                                                                             monkeypatch):
    # It said "(one an earlier run wrote is left as it was)" when there was none.
    from quantize import report as report_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    folder = _noise_folder(tmp_path / "in", "a.png")
    out, page = tmp_path / "out", tmp_path / "index.html"
    monkeypatch.setattr(report_module, "write_html_report", interrupted)
    result = _cli(folder, "-o", out, "-k", "4", "--html", page, "-q")
    assert result.exit_code == 130
    assert result.stderr == (f"quantize: error: interrupted while writing the reports: --html "
                             f"{page} not written; rerun the same command to write it\n")
    assert not page.exists()


def _stopped_after_first_record(patch):
    """Ctrl-C once the first file of a run is recorded."""
    from quantize.batch import run as run_module

    real = run_module.record_output

    def stopped(folder, output, *args, **kwargs):
        real(folder, output, *args, **kwargs)
        raise KeyboardInterrupt

    patch.setattr(run_module, "record_output", stopped)


def _noise_folder(folder: Path, *names: str) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(folder / name)
    return folder


def test_a_forced_run_stopped_by_ctrl_c_is_finished_by_the_same_command(tmp_path,
                                                                         monkeypatch):
    # "rerun the same command to finish" redid every file with --force, and was refused
    # without it (exit 15: the files not reached were made with the other -k)
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png", "c.png"), tmp_path / "out"
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    args = [src, "-o", out, "-k", "3", "-j", "1", "--force"]
    with monkeypatch.context() as patch:
        _stopped_after_first_record(patch)
        stopped = _cli(*args)
    assert stopped.exit_code == 130
    assert stopped.stderr.splitlines()[-1] == (
        f"quantize: error: interrupted; to finish, rerun: quantize batch {src} -o {out} -k 3 "
        "-j 1 --force (with --force too, it keeps the outputs this run made and redoes only "
        "the files it did not reach)")
    refused = _cli(*args[:-1])
    assert refused.exit_code == 15
    assert refused.stderr == (
        f"quantize: error: {out}: 2 outputs were made with -k/--colors=2, while this run asks "
        "for -k/--colors=3; a run with --force and these options stopped before it redid "
        "them: add --force to finish it (the outputs it made are not redone), or choose "
        "another -o folder\n")
    mark = _left_alone_mark(out / "a.png")  # the content shows whether a rerun rewrote it
    finished = _cli(*args, "--report", tmp_path / "r.json")
    assert finished.exit_code == 0, finished.output
    rows = [(Path(r["input"]).name, r["status"], r["reason"], r["k"])
            for r in json.loads((tmp_path / "r.json").read_text())["files"]]
    assert rows == [("a.png", "skipped", "output exists, made by the stopped run with --force "
                     "that this run finishes", 3), ("b.png", "ok", "", 3), ("c.png", "ok", "", 3)]
    assert f"{src / 'a.png'}  k=3 " in finished.stdout.splitlines()[0]  # and says why
    assert finished.stdout.splitlines()[0].endswith(
        "  (output exists, made by the stopped run with --force that this run finishes)")
    assert (out / "a.png").read_bytes() == mark
    assert [len(_palette(out / n)) for n in ("b.png", "c.png")] == [9, 9]
    again = _cli(*args, "-q")  # finished: --force redoes every file again
    assert again.exit_code == 0, again.output
    assert len(_palette(out / "a.png")) == 9


@pytest.mark.parametrize("other", [[], ["--force"]])
def test_a_stopped_forced_run_is_not_finished_nor_replaced_by_the_other_modes_run(
        tmp_path, monkeypatch, other):
    # The folder kept one record of a stopped run with --force: a reduce run into it, which
    # reached every file, took the stopped segment run as finished (or, with --force,
    # replaced it with its own), so its command then redid every file, and the same
    # options without --force were no longer told that a run with --force had stopped.
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png", "c.png"), tmp_path / "out"
    segment = [src, "-o", out, "--mode", "segment", "-j", "1"]
    assert _cli(*segment, "-q").exit_code == 0
    with monkeypatch.context() as patch:
        _stopped_after_first_record(patch)
        assert _cli(*segment, "-k", "2", "--force").exit_code == 130
    reduced = _cli(src, "-o", out, "-k", "2", "-j", "1", "-q", *other)
    assert reduced.exit_code == 0, reduced.output
    refused = _cli(*segment, "-k", "2")
    assert refused.exit_code == 15
    assert "a run with --force and these options stopped before it redid them" \
        in refused.stderr
    (out / "a" / "labels.png").write_bytes(SENTINEL)  # whether a rerun rewrote it
    finished = _cli(*segment, "-k", "2", "--force")
    assert finished.exit_code == 0, finished.output
    assert "3/3 files: 2 ok, 1 skipped, 0 failed" in finished.stdout
    assert (out / "a" / "labels.png").read_bytes() == SENTINEL


def test_ctrl_c_once_every_file_is_done_leaves_nothing_to_rerun(tmp_path, monkeypatch):
    # It said to rerun to finish, and a rerun with --force then skipped the file as made
    # by a run it finished.
    from quantize.cli import batch as command

    src, out = _noise_folder(tmp_path / "in", "a.png"), tmp_path / "out"
    args = [src, "-o", out, "-k", "3", "-j", "1", "--force"]
    shown = command._plain_line

    def stopped_once_shown(*args):  # the one file is done, then Ctrl-C
        shown(*args)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(command, "_plain_line", stopped_once_shown)
        stopped = _cli(*args)
    assert (stopped.exit_code, stopped.stderr) == (
        130, "quantize: error: interrupted once every file was done: nothing is left to rerun\n")
    (out / "a.png").write_bytes(SENTINEL)
    assert _cli(*args, "-q").exit_code == 0
    assert (out / "a.png").read_bytes() != SENTINEL  # --force redoes it: no run to finish


def test_a_forced_run_with_other_options_is_not_finished_but_redone(tmp_path, monkeypatch):
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png"), tmp_path / "out"
    with monkeypatch.context() as patch:
        _stopped_after_first_record(patch)
        assert _cli(src, "-o", out, "-k", "3", "-j", "1", "--force").exit_code == 130
    (out / "a.png").write_bytes(SENTINEL)
    redone = _cli(src, "-o", out, "-k", "4", "-j", "1", "--force")
    assert redone.exit_code == 0, redone.output
    assert "2/2 files: 2 ok, 0 skipped, 0 failed" in redone.stdout
    assert len(_palette(out / "a.png")) == 12


def test_a_stopped_forced_shared_palette_run_is_finished_onto_its_palette(tmp_path,
                                                                          monkeypatch):
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png"), tmp_path / "out"
    args = [src, "-o", out, "-k", "3", "-j", "1", "--shared-palette", "--force"]
    with monkeypatch.context() as patch:
        _stopped_after_first_record(patch)
        assert _cli(*args).exit_code == 130
    fitted = (out / "shared-palette.json").read_bytes()
    finished = _cli(*args)
    assert finished.exit_code == 0, finished.output
    assert f"shared palette: reusing 3 colours from {out / 'shared-palette.json'}" in \
        finished.stdout
    assert (out / "shared-palette.json").read_bytes() == fitted
    assert _palette(out / "a.png") == _palette(out / "b.png")


@pytest.mark.parametrize("input_gone", [False, True])
def test_a_file_put_where_a_killed_run_was_to_write_is_left_alone_and_said(tmp_path,
                                                                          input_gone):
    # The rerun overwrote it (its input there), or --remove-orphans removed it (input gone).
    from quantize.batch.manifest import record_pending

    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png"), tmp_path / "out"
    args = [src, "-o", out, "-k", "2", "-j", "1", "--remove-orphans"]
    assert _cli(*args, "--glob", "a.png", "-q").exit_code == 0
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    record_pending(out, [(out / "b.png", "../in/b.png")], plan.settings)  # then kill -9
    (out / "b.png").write_bytes(SENTINEL)
    if input_gone:
        (src / "b.png").unlink()
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr == _no_record_warning(out / "b.png")
    assert (out / "b.png").read_bytes() == SENTINEL
    again = _cli(*args)  # said once: a file of no record from then on, said so while its
    assert (again.exit_code, again.stderr) == (  # input is there, as it is not processed
        0, "" if input_gone else _not_processed(src / "b.png", out / "b.png"))


@pytest.mark.parametrize("n", [3, 5, 6, 8])
@pytest.mark.parametrize("quiet", [False, True])
def test_cli_files_of_no_record_past_five_are_counted_in_one_warning(tmp_path, n, quiet):
    # Once the record was lost (garbage in it, copied aside), every input had its own
    # "not processed" warning at every run: hundreds of lines for a big folder.
    names = [f"f{i}.png" for i in range(n)]
    src, out = _noise_folder(tmp_path / "in", *names), tmp_path / "out"
    args = [src, "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    (out / batch.MANIFEST_NAME).write_text("garbage\n")
    assert _cli(*args, "-q").exit_code == 0  # copies it aside, says so
    shown = names if n <= 5 else names[:5]
    more = ("" if n <= 5 else f"quantize: warning: … and {n - 5} more inputs not processed "
            "for the same reason; --force replaces their outputs\n")
    again = _cli(*args, *(["-q"] if quiet else []))
    assert (again.exit_code, again.stderr) == (0, "".join(
        _not_processed(src / name, out / name) for name in shown) + more)
    if not quiet:  # each file keeps its own progress line
        assert [line.split()[2] for line in again.stdout.splitlines()[:-1]] == [
            str(src / name) for name in names]


def test_terminal_progress_counts_files_of_no_record_past_five(monkeypatch):
    results = [batch.FileResult(Path(f"in/{i}.png"), Path(f"out/{i}.png"), "skipped",
                                batch.NO_RECORD) for i in range(7)]
    plan = batch.BatchPlan(Path("in"), Path("out"), batch.reduce_mode(), [], results)
    # as a run does: the files of no record are settled while planning
    lines = _warnings_shown(monkeypatch, plan, results)
    assert lines == [f"warning in/{i}.png: not processed: out/{i}.png exists with no record "
                     "of the run that made it (not made by a batch, or its record was lost), "
                     "and is left as it is; --force replaces it" for i in range(5)] + [
        "warning … and 2 more inputs not processed for the same reason; --force replaces "
        "their outputs"]


def _not_processed(input: Path, output: Path) -> str:
    """The warning of a file not processed as its output's name holds a file of no record."""
    return (f"quantize: warning: {input}: not processed: {output} exists with no record of "
            "the run that made it (not made by a batch, or its record was lost), and is left "
            "as it is; --force replaces it\n")


def _no_record_warning(output: Path) -> str:
    """The warning of a run that finds an output an earlier run left to write or to record,
    without the record that it finished it."""
    return (f"quantize: warning: {output}: an earlier run left this output to write or to "
            "record, and has no record that it finished the file here (its record could not "
            "be written, or the file was put here since): it is kept as a file of no record, "
            "skipped from now on; --force makes it again\n")


def test_an_output_whose_record_was_lost_is_not_said_to_be_put_there_since(tmp_path):
    # Its record cut from the manifest (or never written: a folder turned read-only), the
    # output the run wrote was said to be "not one it wrote (it was put here since)".
    import json

    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png"), tmp_path / "out"
    args = [src, "-o", out, "-k", "2", "-j", "1"]
    assert _cli(*args, "-q").exit_code == 0
    manifest = out / ".quantize-batch.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(line for line in lines if json.loads(line)["output"] != "b.png"
                                or json.loads(line).get("pending")), encoding="utf-8")
    written = (out / "b.png").read_bytes()
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr == _no_record_warning(out / "b.png")
    assert (out / "b.png").read_bytes() == written
    again = _cli(*args)  # said once; then as any file of no record, at every run
    assert (again.exit_code, again.stderr) == (0, _not_processed(src / "b.png", out / "b.png"))
    assert "[2/2] skipped " in again.stdout
    forced = _cli(*args, "--force")
    assert "2/2 files: 2 ok, 0 skipped, 0 failed" in forced.stdout
    assert (out / "b.png").read_bytes() == written


def test_remove_orphans_with_every_input_gone_says_why_nothing_is_removed(tmp_path):
    # It was refused as "INPUT_DIR is empty" alone, the outputs kept without a word of why.
    src, out = _noise_folder(tmp_path / "in", "a.png"), tmp_path / "out"
    assert _cli(src, "-o", out, "-k", "2", "-q").exit_code == 0
    (src / "a.png").unlink()
    result = _cli(src, "-o", out, "-k", "2", "--remove-orphans")
    assert result.exit_code == 2
    assert result.stderr == (
        f"quantize: error: INPUT_DIR={str(src)!r} is empty; expected a folder of images; "
        "--remove-orphans removes nothing when no input is found (a folder emptied by "
        "mistake, or not mounted, would take every output with it): delete the outputs "
        "yourself if they are to go\n")
    assert (out / "a.png").exists()
    plain = _cli(src, "-o", out, "-k", "2")  # without the option, no word of it
    assert plain.stderr == f"quantize: error: INPUT_DIR={str(src)!r} is empty; expected a " \
                           "folder of images\n"


def test_ctrl_c_gives_the_files_not_reached_a_row_on_the_html_page(tmp_path, monkeypatch):
    # the page's summary counted them, but they had no row: which files were left unsaid
    from .report_support import file_rows, parse

    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)

    def interrupted(plan, *, on_result, **kwargs):
        on_result(batch.FileResult(plan.jobs[1].input, None, "failed", "not an image"))
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_batch", interrupted)
    html = tmp_path / "out" / "index.html"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-q", "--html", html)
    assert result.exit_code == 130
    rows = file_rows(parse(html.read_text()))
    assert [(row.children[0].all_text(), row.attrs["class"]) for row in rows] == [
        ("a.pngnot reached", "file not-reached"), ("b.pngfailed", "file failed"),
        ("c.pngnot reached", "file not-reached")]


def _interrupted_after_the_second_file(monkeypatch) -> None:
    """Make batch's run report its second file failed ("not an image"), then stop as at
    Ctrl-C, the others not reached."""
    def interrupted(plan, *, on_result, **kwargs):
        on_result(batch.FileResult(plan.jobs[1].input, plan.jobs[1].output, "failed",
                                   "not an image", {"seconds": 0.5}))
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_batch", interrupted)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_ctrl_c_gives_the_files_not_reached_a_row_in_the_report(tmp_path, monkeypatch, suffix):
    # only the summary's total and "interrupted" said that files were left, not which
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c 10.png", "c 9.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)

    _interrupted_after_the_second_file(monkeypatch)
    report = tmp_path / f"report{suffix}"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-q", "--report", report)
    assert result.exit_code == 130
    not_reached = ("not reached", "the run stopped before this file; rerun the same command "
                   "to finish it")
    if suffix == ".json":
        data = json.loads(report.read_text())
        assert data["summary"]["total"] == 4 and data["summary"]["interrupted"]
        assert data["summary"]["interrupted_by"] is None  # Ctrl-C, not SIGTERM
        rows = [(Path(r["input"]).name, r["output"], r["status"], r["reason"])
                for r in data["files"]]
        assert [list(r) for r in data["files"]] == [list(batch.ROW_KEYS["reduce"])] * 4
        assert [r["seconds"] for r in data["files"]] == [None, 0.5, None, None]
    else:
        with open(report, newline="", encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
        width = len(batch.REPORT_COLUMNS)
        assert (table[0][:width], table[0][-16]) == (list(batch.REPORT_COLUMNS), "skipped")
        assert [row[4:width] + row[-16:-15] for row in table[1:]] == [  # k, ..., skipped
            [""] * 8, ["", "", "", "", "0.5", "", "", ""], [""] * 8, [""] * 8]
        rows = [(Path(r[0]).name, *r[1:4]) for r in table[1:]]
    none = None if suffix == ".json" else ""  # JSON's null, a CSV's empty cell
    assert rows == [("a.png", none, *not_reached),
                    ("b.png", str(tmp_path / "out" / "b.png"), "failed", "not an image"),
                    ("c 9.png", none, *not_reached), ("c 10.png", none, *not_reached)]


@pytest.mark.parametrize("show", [[], ["--json"]])
def test_the_summary_after_ctrl_c_counts_the_files_not_reached(tmp_path, monkeypatch, show):
    """It said "1/4 files: 0 ok, 0 skipped, 1 failed", the 3 files the reports list as not
    reached unmentioned (the counts now add up to the total)."""
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png", "d.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)
    _interrupted_after_the_second_file(monkeypatch)
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", *show)
    assert result.exit_code == 130
    lines = (result.stderr if show else result.stdout).splitlines()
    summary = next(line for line in lines if " files: " in line)
    assert re.fullmatch(r"1/4 files: 0 ok, 0 skipped, 1 failed, 3 not reached in \d+\.\d s",
                        summary), summary
    assert result.stderr.splitlines()[-1] == ("quantize: error: interrupted; rerun the same "
                                              "command to finish")


def test_ctrl_c_gives_the_files_not_reached_a_json_object(tmp_path, monkeypatch):
    # --report and --html had a row for them, --json printed nothing: a script reading the
    # objects could not tell which files were left
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)

    _interrupted_after_the_second_file(monkeypatch)
    report = tmp_path / "r.json"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "--json", "--report", report)
    assert result.exit_code == 130
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    reason = "the run stopped before this file; rerun the same command to finish it"
    assert objects == [_json_object(row) for row in (
        {"input": str(tmp_path / "in" / "b.png"), "output": str(tmp_path / "out" / "b.png"),
         "status": "failed", "reason": "not an image", "seconds": 0.5, "failure": "other"},
        {"input": str(tmp_path / "in" / "a.png"), "output": None, "status": "not reached",
         "reason": reason},
        {"input": str(tmp_path / "in" / "c.png"), "output": None, "status": "not reached",
         "reason": reason})]
    rows = json.loads(report.read_text())["files"]  # the same, as the report has them
    assert sorted(map(json.dumps, rows)) == sorted(  # the same, but for its warnings
        json.dumps(batch.report_row({**o, "warnings": None})) for o in objects)


def _abandoned_after_the_second_file(monkeypatch) -> None:
    """Make batch's run report its second file failed, then stop as at a second Ctrl-C
    that abandoned the first file while it ran; the others not reached."""
    def abandoned(plan, *, on_result, **kwargs):
        on_result(batch.FileResult(plan.jobs[1].input, plan.jobs[1].output, "failed",
                                   "not an image", {"seconds": 0.5}))
        raise batch.FilesAbandoned([plan.jobs[0].input])

    monkeypatch.setattr(batch, "run_batch", abandoned)


_ABANDONED = ("abandoned", "the run was interrupted again while it made this file, and "
              "abandoned it; rerun the same command to make it")
_NOT_REACHED = ("not reached", "the run stopped before this file; rerun the same command to "
                "finish it")


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_file_abandoned_mid_way_has_its_own_status_in_the_report(tmp_path, monkeypatch,
                                                                   suffix):
    """A file a second Ctrl-C abandoned while it ran was "not reached", as one never
    started."""
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)
    _abandoned_after_the_second_file(monkeypatch)
    report = tmp_path / f"report{suffix}"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "--report", report)
    assert result.exit_code == 130
    assert result.stdout.splitlines()[-1].startswith(
        "1/3 files: 0 ok, 0 skipped, 1 failed, 1 not reached, 1 abandoned in ")
    assert result.stderr.splitlines()[-1] == ("quantize: error: interrupted; rerun the same "
                                              "command to finish")
    if suffix == ".json":
        data = json.loads(report.read_text())
        assert (data["summary"]["abandoned"], data["summary"]["failed"]) == (1, 1)
        rows = [(Path(r["input"]).name, r["status"], r["reason"]) for r in data["files"]]
    else:
        with open(report, newline="", encoding="utf-8-sig") as f:
            rows = [(Path(r[0]).name, *r[2:4]) for r in list(csv.reader(f))[1:]]
    assert rows == [("a.png", *_ABANDONED), ("b.png", "failed", "not an image"),
                    ("c.png", *_NOT_REACHED)]


def test_a_file_abandoned_mid_way_has_its_own_json_object_and_page_row(tmp_path,
                                                                       monkeypatch):
    from .report_support import file_rows, parse

    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)
    _abandoned_after_the_second_file(monkeypatch)
    html = tmp_path / "r.html"
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "--json", "--html", html)
    assert result.exit_code == 130
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(o["input"]).name, o["status"], o["reason"]) for o in objects] == [
        ("b.png", "failed", "not an image"), ("c.png", *_NOT_REACHED), ("a.png", *_ABANDONED)]
    text = html.read_text(encoding="utf-8")
    rows = file_rows(parse(text))
    assert [(row.children[0].all_text(), row.attrs["class"]) for row in rows] == [
        ("a.pngabandoned", "file abandoned"), ("b.pngfailed", "file failed"),
        ("c.pngnot reached", "file not-reached")]
    assert ("interrupted before the end: 1 not reached, 1 abandoned (rerun the command to "
            "finish)") in text
    assert 'data-show="abandoned" aria-controls="results" aria-pressed="false">abandoned (1)' \
        in text


def _json_object(row, mode="reduce"):
    """The ``--json`` object of a report ``row``: every key of ``mode``'s rows but warnings."""
    return {k: v for k, v in batch.report_row(row, mode).items() if k != "warnings"}


def test_a_lost_scheduler_gives_the_files_not_done_a_json_object(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png"):
        Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(tmp_path / "in" / name)

    def lost(plan, *, on_result, **kwargs):
        on_result(batch.FileResult(plan.jobs[0].input, plan.jobs[0].output, "ok", "", {"k": 1}))
        job = plan.jobs[1]
        raise batch.SchedulerLostError("the Dask scheduler was lost", [batch.FileResult(
            job.input, job.output, "failed", batch.NOT_DONE, exit_code=1)])

    monkeypatch.setattr(batch, "run_batch", lost)
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "--json")
    assert result.exit_code == 75
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        _json_object(row) for row in (
            {"input": str(tmp_path / "in" / "a.png"), "output": str(tmp_path / "out" / "a.png"),
             "status": "ok", "reason": "", "k": 1},
            batch.not_reached_row(tmp_path / "in" / "b.png"))] + [
        {"error": "the Dask scheduler was lost", "failure": "cluster_lost", "exit_code": 75}]
    assert result.stderr.splitlines()[-1] == "quantize: error: the Dask scheduler was lost"


def test_a_rerun_after_ctrl_c_finishes_the_batch_and_its_reports_show_every_file_done(
        tmp_path, monkeypatch):
    from quantize.batch import run as run_module
    from quantize.batch.calls import run_isolated

    from .report_support import file_rows, parse

    (tmp_path / "in").mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        Image.fromarray(np.full((4, 4, 3), 40 * i, np.uint8)).save(tmp_path / "in" / name)

    def first_then_ctrl_c(calls, settle, **kwargs):  # the first file done, then Ctrl-C
        settle(0, run_isolated(calls[0]))
        raise KeyboardInterrupt

    args = (tmp_path / "in", "-o", tmp_path / "out", "-q", "-j", "1", "--report",
            tmp_path / "r.json", "--html", tmp_path / "out" / "index.html")
    with monkeypatch.context() as patched:
        patched.setattr(run_module, "run_calls", first_then_ctrl_c)
        assert _cli(*args).exit_code == 130

    def statuses() -> tuple[list[tuple[str, str]], dict, list[str], str]:
        data = json.loads((tmp_path / "r.json").read_text())
        page = (tmp_path / "out" / "index.html").read_text()
        return ([(Path(r["input"]).name, r["status"]) for r in data["files"]], data["summary"],
                [row.attrs["class"] for row in file_rows(parse(page))], page)

    rows, summary, classes, _ = statuses()
    assert rows == [("a.png", "ok"), ("b.png", "not reached"), ("c.png", "not reached")]
    assert (summary["total"], summary["ok"], summary["interrupted"]) == (3, 1, True)
    assert classes == ["file ok", "file not-reached", "file not-reached"]
    result = _cli(*args)  # the same command again finishes the batch
    assert result.exit_code == 0, result.output
    rows, summary, classes, page = statuses()
    assert rows == [("a.png", "skipped"), ("b.png", "ok"), ("c.png", "ok")]
    assert {k: summary[k] for k in ("total", "ok", "skipped", "failed", "interrupted")} == {
        "total": 3, "ok": 2, "skipped": 1, "failed": 0, "interrupted": False}
    assert classes == ["file skipped", "file ok", "file ok"]
    assert "not reached" not in page and "interrupted" not in page
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".quantize-batch.jsonl", "a.png", "b.png", "c.png", "index.html"]


def test_cli_json_prints_one_report_row_per_file_and_nothing_else_on_stdout(photo_tree,
                                                                            tmp_path):
    from typer.testing import CliRunner

    from quantize.cli import app

    result = _cli(photo_tree, "-o", tmp_path / "out", "-r", "-k", "4", "--json", "-j", "1")
    assert result.exit_code == 1  # the tree holds unreadable files
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(GOOD) + len(BAD)
    assert all(list(row) == [k for k in batch.ROW_KEYS["reduce"] if k != "warnings"]
               for row in rows)
    assert {row["status"] for row in rows} == {"ok", "failed"}
    errors = [line for line in result.stderr.splitlines() if line.startswith("quantize: error")]
    assert len(errors) == len(BAD)
    assert result.stderr.splitlines()[-1].startswith(f"{len(rows)}/{len(rows)} files: ")
    one = next(row for row in rows if row["status"] == "ok")
    alone = CliRunner().invoke(app, ["reduce", one["input"], "-k", "4", "--json",
                                     "-o", str(tmp_path / "alone.png")])
    assert set(json.loads(alone.stdout)) <= set(one)  # reduce --json's keys, named alike


def test_cli_quiet_and_json_are_refused_together(photo_tree, tmp_path):
    result = _cli(photo_tree, "-o", tmp_path / "out", "-q", "--json")
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: -q/--quiet and --json both given; expected one of them\n")
    assert not (tmp_path / "out").exists()


def test_a_summary_exiting_98_says_how_a_build_step_takes_it(tmp_path):
    """A set -e build failed on a folder where skipping larger results is the point, and the
    summary line said nothing of the code; one with a failed file exits 1 and says nothing."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src / "flat.png")  # 77 bytes; its result 83
    result = _cli(src, "-o", tmp_path / "out", "-k", "4", "-j", "1", "--skip-if-larger")
    assert result.exit_code == 98, result.output
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("1/1 files: 0 ok, 1 skipped (1 larger than the input), 0 failed")
    assert summary.endswith("; exit code 98, as pngquant's: files skipped as larger, none "
                            "failed; a build step takes it as success with '|| [ $? -eq 98 ]'")
    (src / "empty.png").write_bytes(b"")
    failed = _cli(src, "-o", tmp_path / "out", "-k", "4", "-j", "1", "--skip-if-larger")
    assert failed.exit_code == 1, failed.output
    assert "98" not in failed.stdout.splitlines()[-1]


def test_skip_if_larger_keeps_no_output_exits_98_and_is_not_redone(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src / "flat.png")  # 77 bytes; its result 83
    noise = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "noise.png")
    # as reduce says it: no word of the colours (one, kept) of a result not kept
    larger = [f"quantize: warning: {src}/flat.png: result (83 bytes) is larger than the input "
              "(77 bytes); nothing written"]
    args = (src, "-o", out, "-k", "4", "-j", "1", "--skip-if-larger")
    first = _cli(*args)
    assert first.exit_code == 98, first.output
    assert first.stderr.splitlines() == larger
    assert first.stdout.splitlines()[0] == f"[1/2] skipped {src}/flat.png"
    assert first.stdout.splitlines()[2].startswith("2/2 files: 1 ok, 1 skipped (1 larger than "
                                                   "the input), 0 failed in ")
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "noise.png"]
    again = _cli(*args)  # not tried again: same options, same input
    assert again.exit_code == 98, again.output
    assert again.stderr.splitlines() == larger
    assert again.stdout.splitlines()[2].startswith("2/2 files: 0 ok, 2 skipped (1 larger than "
                                                   "the input), 0 failed in ")
    kept = _cli(*args[:-1])  # without the option the file is reduced, the other one kept
    assert kept.exit_code == 0, kept.output
    assert kept.stdout.splitlines()[2].startswith("2/2 files: 1 ok, 1 skipped, 0 failed in ")
    assert (out / "flat.png").stat().st_size == 83


def test_quiet_says_nothing_of_a_file_skip_if_larger_kept_from_being_written(tmp_path):
    """'batch -q --skip-if-larger' printed a warning line for every file kept from being
    written (from cron, a line a night per icon), where 'reduce -q' prints nothing for the
    same skip: the exit code, 98, says it. A stale output kept is still said."""
    src, out = tmp_path / "in", tmp_path / "out"
    _flat_and_noise(src)
    args = (src, "-o", out, "-k", "4", "-j", "1", "--skip-if-larger", "-q")
    quiet = _cli(*args)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (98, "", "")
    alone = _cli_reduce(src / "flat.png", "-o", tmp_path / "flat.png", "-k", "4",
                        "--skip-if-larger", "-q")
    assert (alone.exit_code, alone.stdout, alone.stderr) == (98, "", "")
    Image.new("RGB", (4, 4), (9, 9, 8)).save(src / "noise.png")  # changed: its output stale
    stale = _cli(*args)
    assert stale.exit_code == 98
    assert stale.stderr.splitlines() == [
        f"quantize: warning: {src}/noise.png: result (83 bytes) is larger than the input (77 "
        "bytes); nothing written; the existing output is left as it was; it is stale (not "
        "made from the input as it is now, or not with these options): rerun without "
        "--skip-if-larger to replace it"]


def _flat_and_noise(src: Path) -> None:
    """flat.png (77 bytes; its result 83, larger) and noise.png (its result smaller)."""
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src / "flat.png")
    noise = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "noise.png")


@pytest.mark.parametrize("ext", [["--ext", "same"], []], ids=["ext-same", "default-png"])
def test_copy_if_larger_writes_the_inputs_bytes_and_exits_0(tmp_path, ext):
    """'batch assets -o dist --ext same --skip-if-larger' left the larger files out of dist
    (exit 98), so a page linking to them broke, where pngquant in place keeps the
    original: --copy-if-larger writes the input's own bytes, ok, exit 0, said on its line
    and in its report row; a rerun keeps it as done."""
    src, out = tmp_path / "in", tmp_path / "out"
    _flat_and_noise(src)
    args = (src, "-o", out, "-k", "4", "-j", "1", *ext, "--copy-if-larger")
    first = _cli(*args, "--report", tmp_path / "r.json")
    assert (first.exit_code, first.stderr) == (0, ""), first.output
    assert (out / "flat.png").read_bytes() == (src / "flat.png").read_bytes()
    assert (out / "noise.png").stat().st_size < (src / "noise.png").stat().st_size
    copied = ("result (83 bytes) is larger than the input (77 bytes); the input's own bytes "
              "written instead")
    assert first.stdout.splitlines()[0] == (
        f"[1/2] ok      {src}/flat.png -> {out}/flat.png  psnr=lossless delta_e=0.00 "
        f"seconds={first.stdout.split('seconds=')[1].split()[0]}  ({copied})  "
        "(fewer colours than -k/--colors, kept whole)")
    assert first.stdout.splitlines()[2].startswith("2/2 files: 2 ok, 0 skipped, 0 failed in ")
    rows = {Path(r["input"]).name: r for r in json.loads((tmp_path / "r.json").read_text())[
        "files"]}
    assert (rows["flat.png"]["status"], rows["flat.png"]["input_copied"]) == ("ok", copied)
    assert (rows["flat.png"]["bytes_in"], rows["flat.png"]["bytes_out"]) == (77, 77)
    assert "input_copied" not in rows["noise.png"]
    for again in (args, args[:-1]):  # done, with the option or without it
        rerun = _cli(*again)
        assert rerun.exit_code == 0, rerun.output
        assert rerun.stdout.splitlines()[2].startswith("2/2 files: 0 ok, 2 skipped, 0 failed")


def test_copy_if_larger_fills_in_what_skip_if_larger_left_out(tmp_path):
    """Adding the option to a folder made with --skip-if-larger (the larger file recorded,
    no output) writes the missing output, where the record would have skipped it again."""
    src, out = tmp_path / "in", tmp_path / "out"
    _flat_and_noise(src)
    args = (src, "-o", out, "-k", "4", "-j", "1", "--ext", "same")
    assert _cli(*args, "--skip-if-larger").exit_code == 98
    assert not (out / "flat.png").exists()
    result = _cli(*args, "--skip-if-larger", "--copy-if-larger")
    assert result.exit_code == 0, result.output
    assert (out / "flat.png").read_bytes() == (src / "flat.png").read_bytes()


def test_copy_if_larger_replaces_an_output_an_earlier_run_made_larger(tmp_path):
    """As --skip-if-larger redoes an output recorded larger than its input, so does
    --copy-if-larger, which writes the input's bytes over it."""
    src, out = tmp_path / "in", tmp_path / "out"
    _flat_and_noise(src)
    args = (src, "-o", out, "-k", "4", "-j", "1", "--ext", "same")
    assert _cli(*args).exit_code == 0
    assert (out / "flat.png").stat().st_size == 83
    result = _cli(*args, "--copy-if-larger")
    assert result.exit_code == 0, result.output
    assert (out / "flat.png").read_bytes() == (src / "flat.png").read_bytes()
    assert result.stdout.splitlines()[2].startswith("2/2 files: 1 ok (1 redone: ")


def test_copy_if_larger_into_another_format_skips_as_skip_if_larger(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _flat_and_noise(src)
    # larger noise: a palette TIFF's colour map (1.5 KB) outweighs 16 x 16 pixels' savings
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "noise.png")
    result = _cli(src, "-o", out, "-k", "4", "-j", "1", "--ext", ".tif", "--copy-if-larger")
    assert result.exit_code == 98, result.output
    assert not (out / "flat.tif").exists() and (out / "noise.tif").exists()
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"quantize: warning: {src}/flat.png: result (")
    assert line.endswith(" bytes) is larger than the input (77 bytes); nothing written; not "
                         "copied, as '.tif' is not the input's format '.png' (--ext='same' "
                         "keeps it)")


def test_copy_if_larger_is_refused_in_segment_mode(tmp_path):
    src = tmp_path / "in"
    _flat_and_noise(src)
    result = _cli(src, "-o", tmp_path / "out", "--mode", "segment", "--copy-if-larger")
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: --copy-if-larger does not apply to --mode segment; expected it "
           "only with --mode reduce\n")


def test_skip_if_larger_keeps_a_stale_output_and_says_so_at_every_run(tmp_path):
    """An output made before its input changed was kept when the new result was larger, and
    the next run called it "output exists" (exit 0), even without --skip-if-larger."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "a.png")
    args = (src, "-o", out, "-k", "4", "-j", "1", "--skip-if-larger")
    assert _cli(*args).exit_code == 0
    made = (out / "a.png").read_bytes()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src / "a.png")  # 77 bytes; its result 83
    stale = (f"quantize: warning: {src}/a.png: result (83 bytes) is larger than the input "
             "(77 bytes); nothing written; the existing output is left as it was; it is stale "
             "(not made from the input as it is now, or not with these options): rerun "
             "without --skip-if-larger to replace it")
    for run in range(2):  # the run that finds it larger, then a rerun
        result = _cli(*args, "--report", tmp_path / f"r{run}.json")
        assert result.exit_code == 98, result.output
        assert result.stderr.splitlines()[-1] == stale  # after the job's own warning
        assert result.stdout.splitlines()[1].startswith(
            "1/1 files: 0 ok, 1 skipped (1 larger than the input, 1 of them with a stale "
            "output kept), 0 failed in ")
        row, = json.loads((tmp_path / f"r{run}.json").read_text())["files"]
        assert (row["status"], row["output"], row["stale_output"]) == (
            "skipped", str(out / "a.png"), True)
        assert (out / "a.png").read_bytes() == made
    redone = _cli(*args[:-1])
    assert redone.exit_code == 0, redone.output
    assert redone.stdout.splitlines()[0].endswith(
        "(redone: the input changed since its output was made)  (fewer colours than "
        "-k/--colors, kept whole)")
    assert (out / "a.png").stat().st_size == 83


@pytest.mark.parametrize("force", [False, True], ids=["rerun", "force"])
def test_skip_if_larger_removes_a_larger_output_an_earlier_run_recorded(tmp_path, force):
    # A rerun with --skip-if-larger skipped the larger output of a run without it as "output
    # exists" (exit 0) and kept it; with --force it kept it as "stale", advising to rerun
    # without the option. A file of no record at an output's name is never touched.
    from quantize import batch

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (9, 9, 9)).save(src / name)  # 77 bytes; its result 83
    (out / "b.png").write_bytes(b"mine")
    args = (src, "-o", out, "-k", "4", "-j", "1")
    assert _cli(*args, "-q").exit_code == 0
    assert (out / "a.png").stat().st_size == 83
    removed = (f"quantize: warning: {src}/a.png: result (83 bytes) is larger than the input "
               "(77 bytes); nothing written; the output an earlier run made (83 bytes), larger "
               "than its input too, was removed")
    result = _cli(*args, "--skip-if-larger", *(["--force"] if force else []))
    assert result.exit_code == 98, result.output
    assert removed in result.stderr.splitlines()
    assert f"[{1 if force else 2}/2] skipped {src}/a.png" in result.stdout.splitlines()
    assert not (out / "a.png").exists()
    assert (out / "b.png").read_bytes() == b"mine"  # of no record (--force: larger, kept)
    entry = batch.read_manifest(out)["a.png"]
    assert "bytes_out" not in entry.record and entry.record["larger_than_input"].endswith(
        "larger than its input too, was removed")
    again = _cli(*args, "--skip-if-larger")  # from the record: no job, nothing to remove
    assert again.exit_code == 98, again.output
    assert again.stdout.splitlines()[0] == f"[1/2] skipped {src}/a.png"
    made = _cli(*args, "-q")  # without the option the output is made again
    assert made.exit_code == 0, made.output
    assert (out / "a.png").stat().st_size == 83


def test_outputs_larger_than_their_inputs_are_counted_in_the_summary(tmp_path):
    """Outputs larger than their inputs were kept with no word; the summary counts them, the
    JSON report too (its rows hold both sizes), and -q stays quiet."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (9, 9, 9)).save(src / name)  # 77 bytes; its result 83
    noise = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "noise.png")  # 852 bytes; its result 172
    args = (src, "-o", out, "-k", "4", "-j", "1")
    result = _cli(*args, "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("3/3 files: 3 ok, 0 skipped, 0 failed in ")
    assert summary.endswith("; 2 outputs larger than their inputs (--skip-if-larger skips them)"
                            "; 2 files with fewer colours than -k/--colors, kept whole"
                            f"; report: {tmp_path}/r.json")
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["larger_written"] == 2
    (out / "a.png").unlink()
    one = _cli(*args)  # the one made again is counted, not those skipped as existing
    assert one.stdout.splitlines()[-1].endswith(
        "; 1 output larger than its input (--skip-if-larger skips it)"
        "; 2 files with fewer colours than -k/--colors, kept whole")
    quiet = _cli(src, "-o", tmp_path / "quiet", "-k", "4", "-q")
    assert (quiet.exit_code, quiet.stdout) == (0, "")


def test_a_rerun_that_writes_nothing_does_not_count_the_larger_outputs_again(tmp_path):
    """The count is said by the run that writes them: a rerun that skips every file as
    existing wrote none, and its summary line, JSON report and page agree on it; the
    report's rows keep both sizes."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (9, 9, 9)).save(src / name)  # 77 bytes; its result 83
    args = (src, "-o", out, "-k", "4", "-j", "1")
    assert _cli(*args, "-q").exit_code == 0
    report, page = tmp_path / "r.json", tmp_path / "p.html"
    rerun = _cli(*args, "--report", report, "--html", page)
    assert rerun.exit_code == 0, rerun.output
    assert re.fullmatch(rf"2/2 files: 0 ok, 2 skipped, 0 failed in \d+\.\d s; 154 -> 166 bytes "
                        rf"\(107\.8%\) for the 2 files with an output; 2 files with fewer "
                        rf"colours than -k/--colors, kept whole; report: "
                        rf"{re.escape(f'{report}, {page}')}", rerun.stdout.splitlines()[-1])
    data = json.loads(report.read_text())
    assert (data["summary"]["larger_written"], data["summary"]["skipped"]) == (0, 2)
    assert [(r["status"], r["bytes_in"], r["bytes_out"]) for r in data["files"]] == [
        ("skipped", 77, 83), ("skipped", 77, 83)]
    text = page.read_text(encoding="utf-8")
    assert "larger than their inputs" not in text and "larger than its input" not in text


def test_skip_if_larger_leaves_a_larger_output_changed_since(tmp_path, monkeypatch):
    """An output of record edited since (its size is not the one recorded) is not known to
    be the run's file any more: skipped as existing, and left as it is. Larger than its
    input, it was kept with no word: a warning line says so at every run with the option,
    and the summary lines (terminal, reports, page) count it; not one edited smaller, nor
    without the option."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (9, 9, 9)).save(src / name)  # 77 bytes; its result 83
    args = (src, "-o", out, "-k", "4", "-j", "1")
    assert _cli(*args, "-q").exit_code == 0
    (out / "a.png").write_bytes(b"x" * 90)
    (out / "b.png").write_bytes(b"x" * 50)  # edited, smaller than its input: nothing to say
    result = _cli(*args, "--skip-if-larger", "--report", tmp_path / "r.json",
                  "--html", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: note: {src}/a.png: {out}/a.png, edited since it was "
                             "made, is larger than its input (90 > 77 bytes); it is kept as "
                             "it is\n")
    assert (out / "a.png").read_bytes() == b"x" * 90
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("2/2 files: 0 ok, 2 skipped, 0 failed in ")
    assert summary.endswith(" s; 154 -> 166 bytes (107.8%) for the 2 files with an output; "
                            "1 edited output larger than its input kept as it is; 2 files "
                            "with fewer colours than -k/--colors, kept whole; report: "
                            f"{tmp_path}/r.json, {tmp_path}/r.html")
    # a note, as reduce's of an output larger than its input: none with -q, nor with --json,
    # whose object holds the size
    quiet = _cli(*args, "--skip-if-larger", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    objects = _cli(*args, "--skip-if-larger", "--json")
    assert "note" not in objects.stderr
    assert [json.loads(line).get("edited_larger_than_input")
            for line in objects.stdout.splitlines()] == [90, None]
    assert objects.stderr.splitlines()[-1].endswith(
        " s; 154 -> 166 bytes (107.8%) for the 2 files with an output; 1 edited "
        "output larger than its input kept as it is; 2 files with fewer colours than "
        "-k/--colors, kept whole")
    import quantize.cli.batch as cli_batch

    monkeypatch.setattr(cli_batch, "is_terminal", lambda stream: True)  # the bar is drawn
    bar = _cli(*args, "--skip-if-larger")
    assert (f"note {src}/a.png: {out}/a.png, edited since it was made, is larger than its "
            "input (90 > 77 bytes); it is kept as it is") in bar.stderr.splitlines()
    monkeypatch.undo()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["edited_larger"] == 1
    rows = {Path(row["input"]).name: row for row in report["files"]}
    assert (rows["a.png"]["edited_larger_than_input"], rows["b.png"][
        "edited_larger_than_input"]) == (90, None)
    assert "1 edited output larger than its input kept as it is" in (
        tmp_path / "r.html").read_text()
    plain = _cli(*args)  # without the option: the output is no concern of the size
    assert (plain.exit_code, plain.stderr) == (0, "")
    assert "edited" not in plain.stdout


@pytest.mark.parametrize("pending", [False, True], ids=["no-entry", "unmarked-pending"])
def test_skip_if_larger_with_force_says_a_file_of_no_record_is_kept_and_records_none(tmp_path,
                                                                                    pending):
    # A file at the output's name that no run made was said to be "stale" and recorded as the
    # batch's: a plain rerun then redid it over that file, without --force. So was one put
    # under the name of an output a killed run left pending (no mark of that run's job).
    from quantize.batch.manifest import record_pending, source_key

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src / "a.png")  # 77 bytes; its result 83
    out.mkdir()
    if pending:
        record_pending(out, [(out / "a.png", source_key(out, src / "a.png"))], {"n_colors": 4})
    (out / "a.png").write_bytes(b"mine")
    report = tmp_path / "r.json"
    args = (src, "-o", out, "-k", "4", "-j", "1")
    result = _cli(*args, "--force", "--skip-if-larger", "--report", report)
    assert result.exit_code == 98, result.output
    assert result.stderr.splitlines()[-1] == (
        f"quantize: warning: {src}/a.png: result (83 bytes) is larger than the input "
        "(77 bytes); nothing written; the existing output is left as it was; it is of no "
        "record (no run is recorded to have made it): rerun with --force and without "
        "--skip-if-larger to replace it")
    assert result.stdout.splitlines()[1].startswith(
        "1/1 files: 0 ok, 1 skipped (1 larger than the input), 0 failed in ")
    [row] = json.loads(report.read_text())["files"]
    assert (row["status"], row["skipped"], row["output"], row["stale_output"]) == (
        "skipped", "larger", str(out / "a.png"), False)
    assert json.loads(report.read_text())["summary"]["stale"] == 0
    assert "a.png" not in batch.read_manifest(out)  # not the batch's: not recorded so
    plain = _cli(*args)  # the file is still of no record: skipped, not redone over it
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.splitlines()[0] == (
        f"[1/1] skipped {src}/a.png  (output exists; no record of the run that made it: "
        "--force replaces it)")
    assert (out / "a.png").read_bytes() == b"mine"
    forced = _cli(*args, "--force")  # as the warning said
    assert forced.exit_code == 0, forced.output
    assert (out / "a.png").stat().st_size == 83


@pytest.mark.parametrize("mode", ["reduce", "segment"])
def test_quiet_prints_nothing_when_every_file_is_done(tmp_path, mode):
    """-q printed the summary line, while reduce -q and segment -q print nothing on success."""
    src = tmp_path / "in"
    src.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "a.png")
    result = _cli(src, "-o", tmp_path / "out", "--mode", mode, "-k", "4", "-j", "1", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_skip_if_larger_is_refused_in_segment_mode(tmp_path):
    result = _cli(tmp_path, "-o", tmp_path / "out", "--mode", "segment", "--skip-if-larger")
    assert result.exit_code == 2
    assert result.stderr == ("quantize: error: --skip-if-larger does not apply to --mode "
                             "segment; expected it only with --mode reduce\n")


#: The advice of a palette of more colours than an output holds, reduce's word for word: the
#: best N of its entries, numbered anew.
_CHOOSE_FEWER = ("; give -k/--colors=N (N <= 256) to map onto the best N of its entries, which "
                 "picks N of them and renumbers them from 0 (entry i of the palette is then not "
                 "index i)")


def test_cli_refuses_a_palette_file_too_large_for_png_before_any_file(photo_tree, tmp_path):
    # Every file failed, one error line each, saying "or for a still image a
    # .jpg/.webp/.tif output", which batch cannot write (exit 1).
    palette = tmp_path / "p.hex"
    palette.write_text("".join(f"{i:02x}{i:02x}00\n{i:02x}00{i:02x}\n" for i in range(1, 151)))
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--palette-in", palette)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"quantize: error: --palette-in={str(palette)!r} holds 300 colours, more than a "
        "palette image holds: at most 256 colours (batch writes every output as an indexed "
        f"image){_CHOOSE_FEWER}; or use fewer colours"]
    assert not out.exists()
    # Fully transparent entries (index 0 of a GIF's palette) are one entry: 256 fit.
    palette.write_text("00000000\n" + "".join(f"{i:02x}{i:02x}00ff\n" for i in range(256)))
    assert _cli(photo_tree, "-o", out, "--glob", "*.png", "--palette-in", palette,
                "-q").exit_code == 0


def _translucent_tail_palette(path: Path, opaque: int, translucent: int) -> Path:
    """A .hex palette of ``opaque`` entries, then ``translucent`` of alpha 64 (< 128)."""
    rows = [f"{i % 256:02x}{i // 256:02x}{7 * i % 256:02x}ff" for i in range(opaque)]
    rows += [f"{i:02x}{i:02x}{i:02x}40" for i in range(translucent)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_cli_a_palette_only_an_animation_holds_is_left_to_each_file(tmp_path):
    # 300 entries, 50 of alpha < 128: batch refused the palette before any file, while
    # quantize reduce maps an animation onto it (which draws the 250 of alpha >= 128).
    from .animation_support import moving_square, save_animation

    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(folder / "still.png")
    save_animation(folder / "moving.gif", moving_square(3, 8), duration=100, loop=0)
    palette = _translucent_tail_palette(tmp_path / "p.hex", 250, 50)
    out = tmp_path / "out"
    result = _cli(folder, "-o", out, "--palette-in", palette, "-j", "1", "--json")
    assert result.exit_code == 1, result.output
    rows = {Path(r["input"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert (rows["moving.gif"]["status"], rows["moving.gif"]["k"]) == ("ok", 250)
    reason = (f"--palette-in={str(palette)!r} holds 300 colours, more than a palette image "
              "holds: at most 256 colours; give -k/--colors=N (N <= 256) to map onto the best "
              "N of its entries, which picks N of them and renumbers them from 0 (entry i of "
              "the palette is then not index i)")  # no advice on a format batch cannot write
    assert (rows["still.png"]["status"], rows["still.png"]["reason"]) == ("failed", reason)
    assert f"quantize: error: {folder / 'still.png'}: {reason}\n" in result.stderr
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".jsonl") == ["moving.gif"]
    # As quantize reduce says of each file:
    reduce = _cli_reduce(folder / "moving.gif", "--palette-in", palette, "-o", out / "r.gif")
    assert reduce.exit_code == 0, reduce.output
    still = _cli_reduce(folder / "still.png", "--palette-in", palette, "-o", out / "r.png")
    assert (still.exit_code, still.stderr) == (
        2, f"quantize: error: {folder / 'still.png'}: {reason}; use fewer colours, or for a "
           "still image a .jpg/.webp/.tif output\n")


def test_a_translucent_file_on_a_saved_shared_palette_without_alpha_is_told_to_refit(
        tmp_path, monkeypatch):
    # It was told to give the palette file alpha: a file the batch fitted and owns.
    from quantize.palette_files import PALETTE_ALPHA_HINT

    monkeypatch.chdir(tmp_path)
    _noise_folder(Path("in"), "a.png")
    args = ["in", "-k", "3", "-j", "1", "-q"]
    assert _cli(*args, "-o", "out", "--shared-palette").exit_code == 0
    faint = np.random.default_rng(1).integers(0, 256, (8, 8, 4), dtype=np.uint8)
    faint[..., 3] = 128
    Image.fromarray(faint).save("in/b.png")
    result = _cli(*args, "-o", "out", "--shared-palette")
    assert (result.exit_code, result.stderr) == (0, (  # b.png is new: said first
        "quantize: warning: shared palette: 1 input is new since shared-palette.json was "
        "fitted; mapped onto it as it is, so that every output keeps its colours (--force "
        "fits a new palette on every file and redoes them all)\n"
        "quantize: warning: in/b.png: 100% of the pixels are translucent but --shared-palette "
        "file='out/shared-palette.json' has no translucent entry, so they are drawn opaque "
        "or transparent; rerun with --force to fit a new shared palette on every file, "
        "their translucent pixels too\n"))
    refit = _cli(*args, "-o", "out", "--shared-palette", "--force")
    assert (refit.exit_code, refit.stderr) == (0, "")
    Path("p.hex").write_text("000000\nffffff\n")
    own = _cli("in", "-o", "mine", "-j", "1", "-q", "--palette-in", "p.hex")  # the user's
    assert _unfar(own.stderr) == (
        "quantize: warning: in/b.png: 100% of the pixels are translucent but --palette-in="
        "'p.hex' has no translucent entry, so they are drawn opaque or "
        f"transparent; give the palette alpha ({PALETTE_ALPHA_HINT}, or translucent pixels "
        "in a .png image: RGBA, or indexed with a tRNS chunk) to keep it\n")


def test_cli_names_the_palette_file_as_typed_in_warnings_errors_and_records(tmp_path,
                                                                           monkeypatch):
    """The workers read --palette-in made absolute; the lines, reports and manifest name it
    as the user typed it, as quantize reduce does."""
    from .animation_support import moving_square, save_animation

    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    translucent = np.zeros((4, 4, 4), np.uint8)
    translucent[..., 3] = 100
    Image.fromarray(translucent).save("in/faint.png")
    Path("p.hex").write_text("000000\nff0000\n")
    result = _cli("in", "-o", "out", "--palette-in", "p.hex", "--json", "-j", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "quantize: warning: in/faint.png: 100% of the pixels are translucent but "
        "--palette-in='p.hex' has no translucent entry")
    assert str(tmp_path) not in result.stderr
    assert json.loads(result.stdout)["palette_in"] == "p.hex"
    [entry] = batch.read_manifest("out").values()
    assert entry.record["palette_in"] == "p.hex"
    # an error naming it: 300 colours, which a still cannot hold (the GIF's frames can)
    Path("in/faint.png").unlink()
    Image.new("RGB", (4, 4), (200, 30, 30)).save("in/still.png")
    save_animation(Path("in/moving.gif"), moving_square(3, 8), duration=100, loop=0)
    _translucent_tail_palette(tmp_path / "big.hex", 250, 50)
    result = _cli("in", "-o", "out2", "--palette-in", "big.hex", "--json", "-j", "1")
    assert result.exit_code == 1, result.output
    rows = {Path(r["input"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["still.png"]["reason"] == ("--palette-in='big.hex' holds 300 colours, more "
                                           "than a palette image holds: at most 256 colours; "
                                           "give -k/--colors=N (N <= 256) to map onto the "
                                           "best N of its entries, which picks N of them "
                                           "and renumbers them from 0 (entry i of the "
                                           "palette is then not index i)")
    assert rows["moving.gif"]["palette_in"] == "big.hex"


def test_cli_an_error_naming_a_files_output_names_it_as_the_batch_does(tmp_path, monkeypatch):
    """It said "-o/--output='/abs/out/a.gif'": made absolute for the worker, and named as
    the -o of quantize reduce, where batch's -o is the output folder. Only the parameter
    is written again: the same path within another name is left as it is. (Its advice,
    "use .png (an APNG) instead", is left out: batch chooses each output's format.)"""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    frames = [Image.new("RGB", (65536, 1), (v, 0, 0)) for v in (0, 200)]  # too wide for GIF
    frames[0].save("in/a.tif", save_all=True, append_images=frames[1:])
    # a TIFF's pages are written as a TIFF; a palette per frame as a GIF
    result = _cli("in", "-o", "out", "-k", "2", "-j", "1", "-q", "--palette", "per-frame")
    assert result.exit_code == 1
    assert result.stderr == (
        "quantize: error: in/a.tif: output='out/a.gif': GIF holds at most 65535 pixels a "
        "side, and the image is 65536x1\n")
    from quantize.batch.calls import Outcome
    from quantize.batch.run import _as_given, absolute_paths

    job = batch.FileJob(Path("in/a.tif"), Path("out/a.gif"), {"palette_in": "p.act"})
    sent = absolute_paths(job)
    said = (f"palette_in={str(tmp_path / 'p.act')!r} and output={str(sent.output)!r}, not "
            f"{str(tmp_path / 'p.act.bak')!r} nor {str(tmp_path / 'out/a.gif.tmp')!r}")
    failed = Outcome.failure(said)
    assert _as_given(failed, sent, job).value == (
        f"palette_in='p.act' and output='out/a.gif', not {str(tmp_path / 'p.act.bak')!r} nor "
        f"{str(tmp_path / 'out/a.gif.tmp')!r}")


def test_cli_records_name_the_shared_palette_file_not_its_colours(tmp_path, monkeypatch):
    """Each file of a --shared-palette run is mapped onto the palette's colours; its record
    named them all, in every row of the reports and the manifest, where the file that holds
    them says as much."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    for name, colour in (("a.png", (200, 30, 30)), ("b.png", (0, 90, 200))):
        Image.new("RGB", (4, 4), colour).save(Path("in") / name)
    result = _cli("in", "-o", "out", "-k", "2", "--shared-palette", "--json", "-j", "1",
                  "--report", "r.csv")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["palette_in"] for r in rows] == ["out/shared-palette.json"] * 2
    with open("r.csv", newline="") as f:
        assert [r["palette_in"] for r in csv.DictReader(f)] == ["out/shared-palette.json"] * 2
    records = [e.record for e in batch.read_manifest("out").values() if "palette_in" in e.record]
    assert [r["palette_in"] for r in records] == ["out/shared-palette.json"] * 2


def test_cli_refuses_before_any_file_a_palette_no_output_holds(photo_tree, tmp_path):
    palette = _translucent_tail_palette(tmp_path / "p.hex", 257, 40)
    result = _cli(photo_tree, "-o", tmp_path / "out", "--palette-in", palette)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --palette-in={str(palette)!r} holds 297 colours (257 of them of "
           "alpha >= 128, which an animation draws), more than a palette image holds: at most "
           f"256 colours (batch writes every output as an indexed image){_CHOOSE_FEWER}; or "
           "use fewer colours\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("lines, warning", [
    ("ff000000\n0000ff00\n", ""),
    ("ff000000\nff00ff00\n",  # as a Paint.NET palette would read without its header
     "quantize: warning: --palette-in: p.hex: every colour is 8 hex digits beginning ff, as "
     "in a Paint.NET palette (aarrggbb, alpha first), and is read as rrggbbaa: red 255 and "
     "alpha 0, so every entry is fully transparent; if it is a Paint.NET palette, name it "
     ".txt\n"),
])
def test_cli_refuses_before_any_file_a_palette_of_transparent_entries_only(
        photo_tree, tmp_path, monkeypatch, lines, warning):
    """Each file failed in turn with the same error (and the file's warning), and the
    run exited 1 with "N failed"; quantize reduce refuses such a palette for every image
    with a visible pixel, as a usage error."""
    monkeypatch.chdir(tmp_path)
    Path("p.hex").write_text(lines)
    result = _cli(photo_tree, "-o", "out", "--palette-in", "p.hex")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"{warning}quantize: error: --palette-in='p.hex' has only fully transparent "
               "entries (alpha 0), which only an image without visible pixels can be mapped "
               "onto; expected at least one visible colour\n")
    assert not Path("out").exists()


def test_cli_warnings_give_no_advice_on_an_output_format_batch_cannot_write(tmp_path):
    # A GIF of one frame warned "...; write .gif to keep them", though batch writes every
    # output as .png whatever is asked. quantize reduce still gives the advice.
    from typer.testing import CliRunner

    from quantize.cli import app

    (tmp_path / "in").mkdir()
    src = tmp_path / "in" / "one.gif"
    two = np.zeros((4, 4, 3), np.uint8)
    two[:, 2:] = (200, 0, 0)
    Image.fromarray(two).save(src, duration=100, loop=0)
    facts = ("GIF of one frame, shown 100 ms, looping forever: written as a still image "
             "without them")
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-k", "2", "-q",
                  "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"quantize: warning: {src}: {facts}\n"
    assert json.loads((tmp_path / "r.json").read_text())["files"][0]["warnings"] == [facts]
    reduced = CliRunner().invoke(app, ["reduce", str(src), "-k", "2", "-q",
                                       "-o", str(tmp_path / "one.png")])
    assert reduced.exit_code == 0, reduced.output
    assert reduced.stderr == f"quantize: warning: {src}: {facts}; write .gif to keep them\n"


def test_cli_weight_limit_is_written_as_the_help_writes_it(photo_tree, tmp_path):
    result = _cli(photo_tree, "-o", tmp_path / "out", "--mode", "segment", "-w", "color=2e6")
    assert result.exit_code == 2
    assert result.stderr == "quantize: error: -w color=2e6 should be <= 1e6\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, line", [
    ("nope", "nope: no such folder"),  # exit 2: "INPUT_DIR='nope' is not a folder"
    ("a.png", "a.png: is a file, expected a folder of images; for this one image: "
              "quantize reduce a.png -o OUT.png"),
])
def test_cli_an_input_dir_that_cannot_be_read_exits_1_as_a_missing_input(
        tmp_path, monkeypatch, name, line):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4)).save("a.png")
    result = _cli(name, "-o", "out")
    assert (result.exit_code, result.stderr) == (1, f"quantize: error: {line}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


@pytest.mark.parametrize("flag, name, expected", [("--report", "log", ".json or .csv"),
                                                  ("--html", "page", ".html or .htm")])
def test_cli_a_report_without_an_extension_says_so(photo_tree, tmp_path, flag, name,
                                                   expected):
    # It said "--report='log' has extension ''; expected .json or .csv", then "has an
    # unsupported extension '(none)'", a quoted word.
    result = _cli(photo_tree, "-o", tmp_path / "out", flag, tmp_path / name)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {flag}={str(tmp_path / name)!r} has no extension; "
           f"expected {expected}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag, line", [
    ("--report", "--report=-: the report is written to a file, not to stdout; name a .json or "
                 ".csv file, or give --json for each file's report row on stdout (a JSON "
                 "object a line)"),
    ("--html", "--html=-: the page is written to a file, not to stdout; name an .html file")])
def test_cli_a_report_to_stdout_is_refused_as_such(photo_tree, tmp_path, flag, line):
    """'--report -' was said to have no extension, which asked for one: a script author
    wants the rows on stdout, which --json gives."""
    result = _cli(photo_tree, "-o", tmp_path / "out", flag, "-")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "",
                                                                f"quantize: error: {line}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag, what, instead", [
    ("--report", "report", "a .json or .csv file, or give --json for each file's report row "
                           "on stdout (a JSON object a line)"),
    ("--html", "page", "an .html file")])
@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/stderr", "/dev/fd/1",
                                  "/proc/self/fd/1"])
def test_cli_a_report_to_a_file_descriptor_is_refused_as_such(photo_tree, tmp_path, flag,
                                                              what, instead, name):
    """'--report /dev/stdout' was said to have no extension, which asked for one."""
    result = _cli(photo_tree, "-o", tmp_path / "out", flag, name)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", (
        f"quantize: error: {flag}='{name}' names a file descriptor (stdout, stderr, "
        f"/dev/fd/N), but the {what} is written to a file; name {instead}\n"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", ["--report", "--html"])
@pytest.mark.parametrize("name", [".", "taken.json", "taken.html"])
def test_cli_a_report_that_is_a_folder_is_named_a_folder(photo_tree, tmp_path, monkeypatch,
                                                         flag, name):
    """'.' was said to have "an unsupported extension '(none)'"; a folder named as a report
    is refused as a folder, whatever its name ends in."""
    monkeypatch.chdir(tmp_path)
    Path(name).mkdir(exist_ok=True)
    result = _cli(photo_tree, "-o", "out", flag, name)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {flag}={name!r} is a folder; expected a file name\n")
    assert not Path("out").exists()


@pytest.mark.parametrize("flag, name", [("--report", "out/r.csv/"), ("--html", "out/i.html/"),
                                        ("--report", "out/")])
def test_cli_a_report_name_ending_in_a_slash_is_refused_as_a_folder(photo_tree, tmp_path,
                                                                   monkeypatch, flag, name):
    """A name ending in "/" names a folder, as for reduce -o: the Path the option was parsed
    into dropped the "/", and out/r.csv/ wrote the file out/r.csv (out/ said "no extension")."""
    monkeypatch.chdir(tmp_path)
    result = _cli(photo_tree, "-o", "out", flag, name)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {flag}={name!r} ends in '/', which names a folder; expected a "
           "file name\n")
    assert not Path("out").exists()


@pytest.mark.parametrize("flag, name", [("--report", "r.csv"), ("--html", "r.html")])
def test_cli_a_report_under_a_file_names_the_folder_as_a_missing_one_is_named(
        photo_tree, tmp_path, monkeypatch, flag, name):
    monkeypatch.chdir(tmp_path)
    Path("taken").write_text("keep me")
    result = _cli(photo_tree, "-o", "out", flag, f"taken/{name}")
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {flag}='taken/{name}': folder 'taken' is a file; expected a "
           "folder\n")
    assert Path("taken").read_text() == "keep me" and not Path("out").exists()


@pytest.mark.parametrize("names, args, line", [
    ([".a.png", "b.png"], ["--glob", ".a.png"],
     "INPUT_DIR='{src}': no file matches --glob='.a.png' (sub-folders not searched); hidden "
     "files (names starting with '.') are never searched, as .a.png; rename them to process "
     "them"),
    ([".a.png", ".b.JPG", ".notes.txt"], [],
     "INPUT_DIR='{src}': nothing to search; hidden files (names starting with '.') are never "
     "searched, as .a.png and 1 more; rename them to process them"),
    # a batch's own files were among those to rename: its manifest, its probe files
    ([".a.png", ".quantize-batch.jsonl", ".quantize-probe-host-1-abc"], ["--glob", "*"],
     "INPUT_DIR='{src}': nothing to search; hidden files (names starting with '.') are never "
     "searched, as .a.png; rename them to process them"),
    ([".quantize-batch.jsonl", ".quantize-probe-host-1-abc"], ["--glob", "*"],
     "INPUT_DIR='{src}' is empty; expected a folder of images"),
    # and the copies of its manifest kept before lines it could not read were dropped
    ([".quantize-batch.jsonl", ".quantize-batch.jsonl.damaged-2"], ["--glob", "*"],
     "INPUT_DIR='{src}' is empty; expected a folder of images"),
])
def test_cli_says_that_hidden_files_are_not_searched_when_none_other_matched(
        tmp_path, names, args, line):
    # "--glob .a.png" said only "no file matches", and a folder of hidden images "is empty".
    src = tmp_path / "in"
    src.mkdir()
    for name in names:
        Image.new("RGB", (2, 2)).save(src / name, format="PNG")
    result = _cli(src, "-o", tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"quantize: error: {line.format(src=src)}\n"
    assert not (tmp_path / "out").exists()


def test_cli_summary_counts_the_files_and_folders_left_out(tmp_path):
    # "2/2 files: 2 ok, ..." of a folder that also held .heic and .svg files and a
    # sub-folder, all left out without a word; a folder of .HEIC files alone was "no
    # file has an image extension", without a word of what it held.
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("a.png", "b.png", "sub/c.png"):
        Image.new("RGB", (2, 2), (200, 10, 10)).save(src / name)
    for name in ("x.heic", "y.svg"):
        (src / name).write_bytes(b"")
    result = _cli(src, "-o", tmp_path / "out", "-k", "2", "-j", "1")
    assert result.exit_code == 0, result.output
    assert re.search(r"^2/2 files: 2 ok, 0 skipped, 0 failed in \d+\.\d s \(\d+\.\d\d "
                     r"images/s\)" + BYTES + r"; 2 files left out \(\.heic, \.svg: not "
                     r"images quantize "
                     r"reads\), 1 folder not entered \(use -r\); 2 outputs larger than "
                     r"their inputs \(--skip-if-larger skips them\); 2 files with fewer "
                     r"colours than -k/--colors, kept whole$", result.stdout,
                     re.MULTILINE)  # 2 x 2 images: their outputs are larger
    as_json = _cli(src, "-o", tmp_path / "json", "-k", "2", "-r", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert as_json.stderr.rstrip().endswith(
        "; 2 files left out (.heic, .svg: not images quantize reads); 3 outputs larger than "
        "their inputs (--skip-if-larger skips them); 3 files with fewer colours than "
        "-k/--colors, kept whole")
    # the --report summary had no count of them
    for flags, entered in (([], 1), (["-r"], 0)):
        report = tmp_path / f"report{len(flags)}.json"
        again = _cli(src, "-o", tmp_path / f"out{len(flags)}", "-k", "2", *flags,
                     "--report", report)
        assert again.exit_code == 0, again.output
        summary = json.loads(report.read_text())["summary"]
        assert (summary["files_left_out"], summary["left_out_extensions"],
                summary["folders_not_entered"]) == (2, [".heic", ".svg"], entered)
    for name in ("..png", ".thumb.png"):  # left out without a word
        Image.new("RGB", (2, 2), (200, 10, 10)).save(src / name, format="PNG")
    report = tmp_path / "hidden.json"
    import html as html_lib

    page = tmp_path / "hidden.html"
    hidden = _cli(src, "-o", tmp_path / "hidden", "-k", "2", "-j", "1", "--report", report,
                  "--html", page)
    assert hidden.exit_code == 0, hidden.output
    said = ("2 files left out (.heic, .svg: not images quantize reads), 2 hidden files left "
            "out (names starting with '.'), 1 folder not entered (use -r)")
    assert f"; {said}; " in hidden.stdout.splitlines()[-1]
    assert json.loads(report.read_text())["summary"]["hidden_files_left_out"] == 2
    assert said in html_lib.unescape(page.read_text())
    heic = tmp_path / "heic"
    heic.mkdir()
    for name in ("A.HEIC", "B.HEIC"):
        (heic / name).write_bytes(b"")
    result = _cli(heic, "-o", tmp_path / "none")
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: INPUT_DIR={str(heic)!r}: no file has an image extension (.jpg, "
           ".png, .tif, .webp, ...) (sub-folders not searched); 2 files left out (.heic: not "
           "images quantize reads)\n")


def test_cli_page_counts_the_files_and_folders_left_out_as_the_summary_line(tmp_path):
    # the summary line said "2 files left out (...), 1 folder not entered (use -r)"; the
    # --html page of the same run said nothing of them
    from .report_support import parse

    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.new("RGB", (2, 2), (200, 10, 10)).save(src / "a.png")
    for name in ("notes.md", "x.py"):
        (src / name).write_text("not an image\n")
    page = tmp_path / "page.html"
    result = _cli(src, "-o", tmp_path / "out", "-k", "2", "-j", "1", "--html", page)
    assert result.exit_code == 0, result.output
    said = "2 files left out (.md, .py: not images quantize reads), 1 folder not entered (use -r)"
    assert (f"; {said}; 1 output larger than its input (--skip-if-larger skips it); 1 file "
            "with fewer colours than -k/--colors, kept whole; report: "
            in result.stdout)  # a 2 x 2 image's output, of one colour
    (line,) = [p.all_text() for p in parse(page.read_text()).iter("p")
               if "summary" in p.classes()]
    assert f"\xa0· {said}\xa0· " in line


def test_cli_a_file_that_cannot_be_read_is_said_by_its_error_alone(tmp_path):
    """Two PNGs with a damaged text chunk, one cut short: the cut one's line was the
    warning of its chunk left out, then "cannot decode image (image file is truncated)"."""
    src = tmp_path / "in"
    src.mkdir()
    ihdr = (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    rows = zlib.compress(b"\0" + bytes([10, 20, 30, 40, 50, 60]))
    whole = png_of_chunks([ihdr, (b"tEXt", b"Comment\0hello"), (b"IDAT", rows),
                           (b"IEND", b"")], damaged=1)
    (src / "a.png").write_bytes(whole)
    (src / "b.png").write_bytes(whole[:-24])  # cut inside the image data
    report = tmp_path / "r.json"
    result = _cli(src, "-o", tmp_path / "out", "-k", "2", "-j", "1", "-q", "--report", report)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"quantize: warning: {src / 'a.png'}: bad CRC in a tEXt chunk, metadata the pixels do "
        "not depend on: it is left out, as libpng leaves a damaged optional chunk, and the "
        f"image is read\nquantize: error: {src / 'b.png'}: cannot decode image (image file is "
        "truncated)\n")
    rows = {Path(r["input"]).name: r for r in json.loads(report.read_text())["files"]}
    assert (rows["b.png"]["status"], rows["b.png"]["warnings"]) == ("failed", None)
    assert len(rows["a.png"]["warnings"]) == 1


def test_cli_summary_gives_a_rate_only_when_files_were_made(photo_tree, tmp_path):
    # A rerun that skipped every file ended "in 0.0 s (0.00 images/s)".
    out = tmp_path / "out"
    first = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-j", "1")
    assert first.exit_code == 0, first.output
    assert re.search(r"^1/1 files: 1 ok, 0 skipped, 0 failed in \d+\.\d s "
                     r"\(\d+\.\d\d images/s\)" + BYTES + r"; 1 folder not entered \(use -r\)$",
                     first.stdout, re.MULTILINE)
    again = _cli(photo_tree, "-o", out, "-k", "4", "--glob", "*.png", "-j", "1")
    assert again.exit_code == 0, again.output
    assert re.search(r"^1/1 files: 0 ok, 1 skipped, 0 failed in \d+\.\d s" + BYTES
                     + r"; 1 folder not entered \(use -r\)$", again.stdout, re.MULTILINE)


def test_cli_inputs_mapped_to_one_output_are_named_first(tmp_path):
    # "inputs 'in/a.jpg' and 'in/A.JPG' map to the same output ...": the line now starts
    # with the file it is about, as the other errors do.
    src = tmp_path / "in"
    src.mkdir()
    for name in ("A.JPG", "a.jpg"):  # a.jpg.png and A.JPG.png: one file where case is ignored
        Image.new("RGB", (2, 2), (200, 30, 30)).save(src / name, format="JPEG")
    result = _cli(src, "-o", tmp_path / "out")
    out = tmp_path / "out"
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {src / 'a.jpg'}: maps to the same output file as {src / 'A.JPG'}: "
           f"'{out / 'A.JPG.png'}' and '{out / 'a.jpg.png'}', one file where names ignore case "
           "(macOS, Windows); rename one of them\n")
    assert not out.exists()


def test_cli_an_input_named_as_another_inputs_output_is_numbered_not_refused(tmp_path):
    # a.jpg, named a.jpg.png beside a.png, was refused as a.jpg.png's output
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.png", "a.jpg", "a.jpg.png"):
        Image.new("RGB", (2, 2), (200, 30, 30)).save(src / name,
                                                     format="JPEG" if name == "a.jpg" else "PNG")
    result = _cli(src, "-o", tmp_path / "out", "-k", "2")
    assert result.exit_code == 0, result.output
    assert f"ok      {src / 'a.jpg'} -> {tmp_path / 'out' / 'a.jpg-2.png'}" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == [
        "a.jpg-2.png", "a.jpg.png", "a.png.png"]


def test_a_batch_quality_past_20_is_refused_as_a_colour_difference(photo_tree, tmp_path):
    # as reduce refuses it: pngquant's --quality 80 is a score, quantize's a ΔE2000 bound
    result = _cli(photo_tree, "-o", tmp_path / "out", "--quality", 80, "-q")
    assert (result.exit_code, result.stderr) == (2, (
        "quantize: error: --quality=80 should be <= 20: --quality is a bound Q on CIEDE2000 "
        "differences (about 1 is just noticeable, 5 visibly posterised), not pngquant's 0-100 "
        "score: their mean <= Q, 99th percentile <= 5 Q and 99.9th <= 10 Q; pngquant's "
        "--quality 65-80 is about --quality 2 --quality-limit 3 on photos (80 draws them "
        "with a mean ΔE2000 of 1.4-2.6; 65, the floor below which it writes nothing, "
        "1.8-2.9), --quality 0.5 --quality-limit 3 on icons with soft shadows; pngquant "
        "dithers by default: add --dither for gradients (a heatmap), which --quality alone "
        "draws in bands\n"))
    assert not (tmp_path / "out").exists()


STALE_KEPT = ("made by an earlier run, is left in place, stale (not made from the input as it "
              "is now, or not with these options): remove it, or rerun once this file can be "
              "processed to replace it")


def _noise_jpeg(src: Path) -> bytes:
    """The folder ``src`` made, with ``a.jpg`` in it, 48 x 40 of seeded noise; its bytes."""
    src.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "a.jpg", quality=90)
    return (src / "a.jpg").read_bytes()


def _break(path: Path, data: bytes, broken: str) -> None:
    """``path`` written ``broken``: "empty", or "truncated" (the first half of ``data``)."""
    path.write_bytes(b"" if broken == "empty" else data[:len(data) // 2])


@pytest.mark.parametrize("mode, output", [("segment", "a"), ("reduce", "a.png")])
@pytest.mark.parametrize("broken", ["empty", "truncated"])
def test_a_failed_redo_says_that_the_earlier_output_left_in_place_is_stale(tmp_path, mode,
                                                                          output, broken):
    # The rerun said a.jpg failed, and out/a (out/a.png) kept what the old contents made,
    # said nowhere. Empty: refused as the batch is planned; truncated: by the file's job.
    import html as html_lib

    src, out = tmp_path / "in", tmp_path / "out"
    _noise_jpeg(src)
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    args = [src, "-o", out, "--mode", mode, "-k", "3", "-j", "1", "--report", report,
            "--html", page]
    assert _cli(*args).exit_code == 0
    before = {p.name: p.read_bytes() for p in [out / output, *(out / output).glob("*")]
              if p.is_file()}
    data = (src / "a.jpg").read_bytes()
    _break(src / "a.jpg", data, broken)
    for _ in range(2):  # said at every run, until the file can be processed again
        result = _cli(*args)
        assert result.exit_code == 1, result.output
        note = f"; its output {out / output}, {STALE_KEPT}"
        assert result.stderr.startswith(f"quantize: error: {src / 'a.jpg'}: ")
        assert result.stderr.endswith(f"{note}\n")
        assert result.stdout.splitlines()[-1].startswith(
            "1/1 files: 0 ok, 0 skipped, 1 failed (1 with a stale output left in place) in ")
        [row] = json.loads(report.read_text())["files"]
        assert (row["status"], row["output"], row["stale_output"]) == \
            ("failed", str(out / output), True)
        assert row["reason"].endswith(note)
        assert json.loads(report.read_text())["summary"]["failed_stale"] == 1
        text = html_lib.unescape(page.read_text())
        assert "1 failed (1 with a stale output left in place)" in text
        assert f'>{output}</a> (stale, left in place)</div>' in text
        assert {p.name: p.read_bytes() for p in [out / output, *(out / output).glob("*")]
                if p.is_file()} == before  # kept as it was: neither removed nor changed
    (src / "a.jpg").write_bytes(data)  # back as it was: the output is its output again
    assert "0 ok, 1 skipped, 0 failed" in _cli(*args).stdout


@pytest.mark.parametrize("mode, output", [("segment", "a"), ("reduce", "a.png")])
@pytest.mark.parametrize("broken", ["empty", "truncated"])
def test_a_failed_forced_redo_says_that_a_file_of_no_record_is_left_in_place(tmp_path, mode,
                                                                             output, broken):
    # A file at the output's name that no run is recorded to have made (put there by hand),
    # which --force would have replaced, was said to be "made by an earlier run ... stale".
    import html as html_lib

    src, out = tmp_path / "in", tmp_path / "out"
    _break(src / "a.jpg", _noise_jpeg(src), broken)
    mine = out / output / "segments.json" if mode == "segment" else out / output
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"mine")
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    result = _cli(src, "-o", out, "--mode", mode, "-k", "3", "-j", "1", "--force",
                  "--report", report, "--html", page)
    assert result.exit_code == 1, result.output
    note = (f"; the file at its output {out / output}, of no record (no run is recorded to "
            "have made it), is left in place as it was: remove it, or rerun once this file "
            "can be processed to replace it")
    assert result.stderr.startswith(f"quantize: error: {src / 'a.jpg'}: ")
    assert result.stderr.endswith(f"{note}\n")
    assert "earlier run" not in result.stderr and "stale" not in result.stderr
    assert result.stdout.splitlines()[-1].startswith("1/1 files: 0 ok, 0 skipped, 1 failed in ")
    [row] = json.loads(report.read_text())["files"]
    assert (row["status"], row["output"], row["reason"].endswith(note)) == (
        "failed", str(out / output), True)
    assert row["stale_output"] is False
    assert json.loads(report.read_text())["summary"]["failed_stale"] == 0
    text = html_lib.unescape(page.read_text())
    assert "stale" not in text
    assert mine.read_bytes() == b"mine"  # neither removed nor changed


def test_cli_an_output_named_with_its_extension_that_is_a_mirrored_folder_is_numbered(
        tmp_path):
    # a.jpg beside the folders a/ and A.JPG/ (a.jpg/ where names ignore case, as on macOS
    # and Windows): a.jpg's region maps were written to out/a.jpg/, the folder A.JPG/'s
    # outputs go to there, mixing the two.
    src, out = tmp_path / "in", tmp_path / "out"
    for name in ("a.jpg", "a/x.png", "A.JPG/y.png"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 6), (40 * len(name), 90, 200)).save(src / name, format="PNG")
    result = _cli(src, "-o", out, "-r", "--mode", "segment", "-k", "2", "-j", "1")
    assert result.exit_code == 0, result.output
    assert f"ok      {src / 'a.jpg'} -> {out / 'a.jpg-2'}" in result.stdout
    top = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert sorted(top) == ["A.JPG", "a", "a.jpg-2"]
    assert len({name.casefold() for name in top}) == 3  # no two are one folder anywhere
    inputs = {p.parent.relative_to(out).as_posix():
              Path(json.loads(p.read_text())["input"]).relative_to(src).as_posix()
              for p in out.rglob("segments.json")}
    assert inputs == {"a.jpg-2": "a.jpg", "a/x": "a/x.png", "A.JPG/y": "A.JPG/y.png"}
    assert sorted(p.name for p in (out / "A.JPG").iterdir()) == ["y"]
    assert sorted(p.name for p in (out / "a").iterdir()) == ["x"]


@pytest.mark.parametrize("show", [[], ["--json"], ["--report", "r.csv", "--html", "r.html"]])
def test_cli_an_output_folder_that_cannot_be_written_is_one_error_line(tmp_path, monkeypatch,
                                                                        show):
    # The error came after a summary line counting no file at all ("0/2 files: 0 ok, 0
    # skipped, 0 failed"), a "not reached ... rerun the same command to finish it" object for
    # every file with --json, and reports saying so, though a rerun fails alike.
    import os

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        Image.new("RGB", (4, 4), (90 * i, 20, 200)).save(src / name)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        Path(p) != out and real_access(p, mode, **kw)))  # as a read-only folder gives it
    monkeypatch.chdir(tmp_path)
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", *show)
    assert result.exit_code == 1
    line = f"{out}: output folder is not writable; no file was processed"
    said = (json.dumps({"error": line, "failure": "write_failed", "exit_code": 1}) + "\n"
            if show == ["--json"] else "")  # with --json, the error as an object too
    assert (result.stdout, result.stderr) == (said, f"quantize: error: {line}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("how", ["not writable", "cannot be made"])
def test_cli_shared_palette_refuses_an_unwritable_output_folder_before_sampling(
        tmp_path, monkeypatch, how):
    # Every file was read for the palette first, then its write failed ('out/shared-palette.json:
    # cannot write in out', 'out: Read-only file system'); where only os.access said the
    # folder was read-only (as here), the palette was written and every file then failed.
    import os

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        Image.new("RGB", (4, 4), (90 * i, 20, 200)).save(src / name)
    if how == "not writable":
        out.mkdir()
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
            Path(p) != out and real_access(p, mode, **kw)))  # as a read-only folder gives it
        line = f"{out}: output folder is not writable; no file was processed"
    else:
        refuse_mkdir(monkeypatch, out)
        line = (f"{out}: output folder {out} cannot be created (Read-only file system); no "
                "file was processed")
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", "--shared-palette")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"quantize: error: {line}\n")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.png", "b.png", "in"] + (
        ["out"] if how == "not writable" else [])


def test_cli_an_output_folder_that_cannot_be_written_is_said_after_the_progress_bar(
        tmp_path, monkeypatch):
    # On a terminal the error was printed while the bar was live, on the bar's own line.
    import os

    import quantize.cli.batch as cli_batch

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    Image.new("RGB", (4, 4), (90, 20, 200)).save(src / "a.png")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        Path(p) != out and real_access(p, mode, **kw)))  # as a read-only folder gives it
    monkeypatch.setattr(cli_batch, "is_terminal", lambda stream: True)  # the bar is drawn
    result = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert result.exit_code == 1
    assert "0/1" in result.stderr  # the bar
    assert result.stderr.splitlines()[-1] == (
        f"quantize: error: {out}: output folder is not writable; no file was processed")


@pytest.mark.parametrize("shared", [False, True])
def test_cli_rerun_redoes_an_emptied_output_and_keeps_an_edited_one(tmp_path, shared):
    # A rerun skipped a file whose output had been emptied since, and its report row showed
    # the metrics of the output as it was made, as if it still were. An output changed
    # otherwise (an optimiser run over the folder) is kept, its row saying so.
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    options = ("-k", "2", "-j", "1", *(("--shared-palette",) if shared else ()))
    assert _cli(src, "-o", out, *options, "-q").exit_code == 0
    made = (out / "a.png").read_bytes()
    made_size = (out / "b.png").stat().st_size
    (out / "a.png").write_bytes(b"")
    with open(out / "b.png", "ab") as f:
        f.write(b"edited")
    edited = (out / "b.png").read_bytes()
    result = _cli(src, "-o", out, *options, "--report", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # (no "input has changed" about the shared palette)
    lines = result.stdout.replace(str(tmp_path) + "/", "").splitlines()
    lines[-3:-1] = sorted(lines[-3:-1], key=lambda line: "in/b.png" in line)  # -j 1: any order
    assert lines[-3].startswith("[") and " ok      in/a.png -> out/a.png  k=2 " in lines[-3]
    assert lines[-3].endswith("  (redone: its output was emptied since it was made)")
    assert lines[-2].startswith("[") and " skipped in/b.png  k=2 " in lines[-2]
    assert lines[-2].endswith(  # its report row's reason, as every skipped line ends
        f"  (output exists; it changed since it was made ({made_size + 6:,} bytes, "
        f"{made_size:,} as made), and its figures are those it was made with (--force makes "
        "it again))")
    assert lines[-1].startswith("2/2 files: 1 ok (1 redone: input or output changed), 1 skipped")
    assert (out / "a.png").read_bytes() == made  # made again
    assert (out / "b.png").read_bytes() == edited  # kept
    rows = list(csv.DictReader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["status"], r["bytes_out"]) for r in rows] == [
        ("ok", str(len(made))), ("skipped", str(made_size))]


@pytest.mark.parametrize("quiet", [False, True])
def test_cli_a_skipped_files_line_says_why_as_its_report_row(tmp_path, quiet):
    # The line of a file skipped as done showed its metrics and no reason, where a redone
    # file's line says its own ("(redone: ...)") and the report row has "output exists".
    src, out = _noise_folder(tmp_path / "in", "a.png"), tmp_path / "out"
    first = _cli(src, "-o", out, "-k", "2", "-j", "1")
    assert first.exit_code == 0, first.output
    made = first.stdout.splitlines()[0]
    metrics = made.partition(f" -> {out / 'a.png'}  ")[2]
    assert metrics.startswith("k=2 psnr=")
    again = _cli(src, "-o", out, "-k", "2", "-j", "1", *(["-q"] if quiet else []))
    assert (again.exit_code, again.stderr) == (0, "")
    if quiet:  # nothing to warn of: the file is done
        assert again.stdout == ""
    else:
        assert again.stdout.splitlines()[0] == (
            f"[1/1] skipped {src / 'a.png'}  {metrics}  (output exists)")


def test_cli_rerun_says_why_it_makes_a_deleted_output_again(tmp_path):
    # An output deleted by hand was made again by the next run as if new: its line, its
    # report row and the summary said nothing of why a finished file was redone.
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    assert _cli(src, "-o", out, "-k", "2", "-j", "1", "-q").exit_code == 0
    (out / "a.png").unlink()
    result = _cli(src, "-o", out, "-k", "2", "-j", "1", "--report", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.replace(str(tmp_path) + "/", "").splitlines()
    assert lines[0].startswith("[1/2] skipped in/b.png  k=2 ")
    assert lines[1].startswith("[2/2] ok      in/a.png -> out/a.png  k=2 ")
    assert lines[1].endswith("  (redone: its output was deleted since it was made)")
    assert lines[2].startswith("2/2 files: 1 ok (1 redone: input or output changed), 1 skipped")
    rows = list(csv.DictReader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["status"], r["reason"]) for r in rows] == [
        ("ok", "redone: its output was deleted since it was made"), ("skipped", "output exists")]


def _killed_before_recording(src: Path, out: Path, *args: str) -> None:
    """Run ``quantize batch src -o out *args`` in a process killed (SIGKILL) as it records
    its first output: that output written, and marked so, but not recorded."""
    import signal

    script = ("import os, signal, sys\n"
              "from quantize.batch import run\n"
              "run.record_output = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
              "from quantize.cli import app\n"
              "app(['batch', *sys.argv[1:]])\n")
    killed = subprocess.Popen([sys.executable, "-c", script, str(src), "-o", str(out), *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        _, stderr = killed.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):  # its workers, in its own session
            os.killpg(killed.pid, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL, stderr


@pytest.mark.parametrize("mode", ["reduce", "segment"])
@pytest.mark.parametrize("quiet", [False, True])
def test_cli_rerun_says_why_it_remakes_an_output_a_killed_run_did_not_record(tmp_path, mode,
                                                                             quiet):
    # A run killed (kill -9) between writing an output and recording it left it pending:
    # the next run made it again as a plain "ok", with no reason, where every other redone
    # file's line, row and the summary say why.
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png"), tmp_path / "out"
    args = ["--mode", mode, "-k", "2", "-j", "1"]
    assert _cli(src, "-o", out, *args, "--glob", "a.png", "-q").exit_code == 0
    _killed_before_recording(src, out, *args)
    a, b = (out / name for name in (("a.png", "b.png") if mode == "reduce" else ("a", "b")))
    assert b.exists() and list(batch.read_manifest(out)) == [a.name]  # written, unrecorded
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    result = _cli(src, "-o", out, *args, "--report", report, "--html", page,
                  *(["-q"] if quiet else []))
    assert (result.exit_code, result.stderr) == (0, "")
    reason = "redone: the run that wrote its output was stopped before it recorded it"
    if quiet:
        assert result.stdout == ""
    else:  # the summary said "input or output changed" of it: neither had
        lines = result.stdout.splitlines()
        assert lines[1].startswith(f"[2/2] ok      {src / 'b.png'} -> {b}  ")
        assert lines[1].endswith(f"  ({reason})")
        assert lines[2].startswith("2/2 files: 1 ok (1 redone: left unrecorded by a stopped "
                                   "run), 1 skipped, 0 failed")
    assert "\xa0· 1 ok (1 redone: left unrecorded by a stopped run)\xa0· 1 skipped" in \
        page.read_text(encoding="utf-8")
    rows = json.loads(report.read_text())["files"]
    assert [(Path(r["input"]).name, r["status"], r["reason"]) for r in rows] == [
        ("a.png", "skipped", "output exists"), ("b.png", "ok", reason)]
    assert sorted(batch.read_manifest(out)) == [a.name, b.name]


def test_cli_segment_rerun_redoes_an_output_folder_with_an_emptied_file(tmp_path):
    # A segment output is a folder: a rerun saw a missing file in it, but skipped one
    # whose overlay.png had been emptied since, reporting it as made.
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    args = ("--mode", "segment", "-k", "2", "-j", "1")
    assert _cli(src, "-o", out, *args, "-q").exit_code == 0
    made = (out / "a" / "overlay.png").read_bytes()
    (out / "a" / "overlay.png").write_bytes(b"")
    result = _cli(src, "-o", out, *args)
    assert result.exit_code == 0, result.output
    lines = sorted(result.stdout.splitlines()[:-1], key=lambda line: "in/b.png" in line)
    assert lines[0].endswith("  (redone: its output was emptied since it was made)")
    assert " skipped " in lines[1]
    assert (out / "a" / "overlay.png").read_bytes() == made


def test_cli_failed_file_names_no_output_in_the_reports(tmp_path, rng):
    # A failed file's row named the output it would have had, which does not exist.
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    (src / "c.png").write_bytes(b"not an image")  # failed when planned
    holey = np.zeros((4, 6, 4), np.uint8)  # fails in its job: 256 colours leave no room
    holey[..., 0], holey[:2, :, 3] = 9, 255
    Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(src / "n.png")
    assert _cli(src, "-o", out, "-k", "256", "--shared-palette", "-q").exit_code == 1
    Image.fromarray(holey, "RGBA").save(src / "d.png")
    result = _cli(src, "-o", out, "-k", "256", "--shared-palette", "--json",
                  "--report", tmp_path / "r.csv")
    assert result.exit_code == 1
    rows = {Path(r["input"]).name: (r["output"], r["status"]) for r in csv.DictReader(
        (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines())}
    assert rows == {"a.png": (str(out / "a.png"), "skipped"),
                    "b.png": (str(out / "b.png"), "skipped"), "c.png": ("", "failed"),
                    "d.png": ("", "failed"), "n.png": (str(out / "n.png"), "skipped")}
    lines = {Path(o["input"]).name: o["output"] for o in map(json.loads,
                                                              result.stdout.splitlines())}
    assert (lines["c.png"], lines["d.png"]) == (None, None)
    assert not (out / "c.png").exists() and not (out / "d.png").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are not locale bytes")
def test_a_rerun_in_another_locale_finds_the_outputs_of_non_ascii_names(tmp_path):
    """Python reads a name's bytes in the locale's encoding: 'caf\u00e9' in a UTF-8 locale,
    two surrogate escapes in an ASCII one. A manifest written in one named none of the
    outputs a rerun in the other planned: each was skipped as having 'no record of the run
    that made it', also with other settings, and listed as an orphan. The manifest now
    names files by their bytes read as UTF-8, whatever the locale."""
    (tmp_path / "in").mkdir()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5).save(
        tmp_path / "in" / "caf\u00e9.png")
    utf8 = {**os.environ, "PYTHONUTF8": "1"}
    ascii_ = {**os.environ, "PYTHONUTF8": "0", "LC_ALL": "C"}

    def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "quantize", "batch", "in", "-o", "out",
                               *args], cwd=tmp_path, env=env, capture_output=True, timeout=120)

    # an ASCII stream writes the name's "\u00e9" by its code point (docs/errors.md)
    shown = {id(utf8): b"caf\xc3\xa9", id(ascii_): b"caf\\u00e9"}
    for first, then in ((utf8, ascii_), (ascii_, utf8)):
        made, name = run(first, "-k", "2"), shown[id(first)]
        assert made.stdout.startswith(b"[1/1] ok      in/%s.png -> out/%s.png" % (name, name))
        again, name = run(then, "-k", "2"), shown[id(then)]
        assert (again.returncode, again.stderr) == (0, b"")
        assert again.stdout.startswith(b"[1/1] skipped in/%s.png  k=2 psnr=" % name), again
        changed = run(then, "-k", "3")
        assert (changed.returncode, changed.stderr) == (15, (
            b"quantize: error: out: 1 output was made with -k/--colors=2, while this run asks "
            b"for -k/--colors=3; add --force to redo it, or choose another -o folder\n"))
        shutil.rmtree(tmp_path / "out")


def test_a_palette_in_that_repeats_colours_is_said_once_for_stills(tmp_path):
    """Each file's job said the palette file's own warning: 3 files, 3 times the line; then
    it was said once, where stills keep every entry at its index; then not at all, though
    no pixel takes a repeat. That is said once, before the files."""
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png", "c.png"), tmp_path / "out"
    (tmp_path / "rep.hex").write_text("#000000\n#000000\n#ffffff\n")
    done = _cli(src, "-o", out, "--palette-in", tmp_path / "rep.hex", "-j", "1")
    assert done.exit_code == 0, done.output
    said = (f"quantize: warning: {out}: --palette-in={str(tmp_path / 'rep.hex')!r} repeats "
            "colours: index 1 (#000000) as index 0; each pixel takes the first index of its "
            "colour, so no pixel takes index 1, and its 3 entries give 2 colours")
    assert [line for line in _unfar(done.stderr).splitlines() if "repeats" in line] == [said]


def test_how_a_palette_in_file_is_read_is_said_once_for_the_batch(tmp_path):
    """An .act's black tail, left out, was said on each file's line (3 files, 3 times),
    with advice to keep a black colour that the palette kept (PICO-8's black at index
    0); it is said once, before the files, as its repeated colours are."""
    src, out = _noise_folder(tmp_path / "in", "a.png", "b.png", "c.png"), tmp_path / "out"
    (tmp_path / "pico.act").write_bytes(bytes([0, 0, 0, 29, 43, 83, 126, 37, 83]) + bytes(759))
    done = _cli(src, "-o", out, "--palette-in", tmp_path / "pico.act", "-j", "1")
    assert done.exit_code == 0, done.output
    said = [line for line in _unfar(done.stderr).splitlines() if "pico.act" in line]
    assert said == [f"quantize: warning: {out}: pico.act: an Adobe colour table of 768 bytes "
                    "has no count of the colours used, and its last 253 entries are black: "
                    "read as the unused entries of a smaller palette and left out, so it "
                    "gives 3 entries"]


def test_cli_an_image_given_as_the_input_folder_is_pointed_to_segment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4)).save("my photo.png")
    result = _cli("my photo.png", "-o", "out", "--mode", "segment")
    assert (result.exit_code, result.stderr) == (
        1, "quantize: error: my photo.png: is a file, expected a folder of images; for this "
           "one image: quantize segment 'my photo.png' -o OUT_DIR\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my photo.png"]


@pytest.mark.parametrize("name, made", [("out.png", False), ("out.JPG", False),
                                        ("out.v2", True), ("out", True)])
def test_cli_an_output_folder_named_as_an_image_is_refused(tmp_path, name, made):
    # batch photos -o out.png made a folder called out.png, as segment -o seg.png no longer does
    (tmp_path / "in").mkdir()
    Image.new("RGB", (4, 4), "red").save(tmp_path / "in" / "a.png")
    result = _cli(tmp_path / "in", "-o", tmp_path / name, "-k", "4")
    if made:
        assert result.exit_code == 0 and (tmp_path / name / "a.png").is_file()
        return
    target = str(tmp_path / name)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: -o/--output={target!r}: expected a folder, as batch writes an "
           "output for each image into it; name one without an image suffix, e.g. -o "
           f"{str(tmp_path / 'out')!r}\n")
    assert not (tmp_path / name).exists()


def test_cli_an_existing_folder_named_as_an_image_is_taken(tmp_path):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (4, 4), "red").save(tmp_path / "in" / "a.png")
    (tmp_path / "out.png").mkdir()
    assert _cli(tmp_path / "in", "-o", tmp_path / "out.png", "-k", "4").exit_code == 0
    assert (tmp_path / "out.png" / "a.png").is_file()


FEWER = "fewer colours than -k/--colors, kept whole"


def test_progress_line_says_fewer_colours_than_asked_kept_whole(capsys):
    """A sprite of fewer colours than -k had a warning line of its own, even with -q: its
    progress line says it, made now or before (its record replayed), not of a result
    skipped as larger (no output), nor of a failure."""
    fewer = {"k": 2, "psnr": None, "delta_e": 0.0, "seconds": 0.01, batch.FEWER_COLORS: True}
    results = [batch.FileResult(Path("in/a.png"), Path("out/a.png"), "ok", record=fewer),
               batch.FileResult(Path("in/b.png"), Path("out/b.png"), "skipped",
                                "output exists", record=fewer),
               batch.FileResult.larger(Path("in/c.png"), None,
                                       {batch.results.LARGER: "larger", **fewer}),
               batch.FileResult(Path("in/d.png"), Path("out/d.png"), "ok",
                                record={"k": 4, "psnr": 30.0, "delta_e": 1.0, "seconds": 0.01})]
    _show_progress(results)
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"[1/4] ok      in/a.png -> out/a.png  k=2 psnr=lossless delta_e=0.00 seconds=0.01  "
        f"({FEWER})",
        f"[2/4] skipped in/b.png  k=2 psnr=lossless delta_e=0.00 seconds=0.01  (output exists)"
        f"  ({FEWER})",
        "[3/4] skipped in/c.png  k=2 psnr=lossless delta_e=0.00 seconds=0.01",
        "[4/4] ok      in/d.png -> out/d.png  k=4 psnr=30.00 delta_e=1.00 seconds=0.01"]
    assert captured.err == "quantize: warning: in/c.png: larger\n"


def _sprites_and_a_photo(src: Path) -> None:
    """Three sprites of 2, 3 and 1 colours, and a 16 x 16 photo crop of more than 4."""
    src.mkdir()
    for name, colours in (("a.png", 2), ("b.png", 3), ("c.png", 1)):
        sprite = np.full((4, 4, 3), (0, 200, 40), np.uint8)
        for i in range(1, colours):
            sprite[i] = (80 * i, 200, 40)
        Image.fromarray(sprite).save(src / name)
    crop("coffee.jpg", (0, 0, 16, 16)).save(src / "photo.png")


def test_cli_fewer_colours_than_asked_is_counted_once_not_warned_per_file(tmp_path):
    """quantize batch sp -o spo -k 64 -q printed a warning line per sprite ("-k/--colors=64
    but the image has only 4 distinct colours; returning those 4"), as reduce no longer
    does: a lossless result is no fault. The progress line says it, the summary line
    counts it, at every run (a rerun replays the record), the reports have a field."""
    from .report_support import file_rows, parse

    src, out = tmp_path / "in", tmp_path / "out"
    _sprites_and_a_photo(src)
    args = (src, "-o", out, "-k", "4", "-j", "1")
    quiet = _cli(*args, "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    larger = "; 3 outputs larger than their inputs (--skip-if-larger skips them)"  # written now
    counted = f"; 3 files with {FEWER}"
    report, page = tmp_path / "r.json", tmp_path / "r.html"
    for run, flags in (("forced", ["--force"]), ("rerun", [])):
        result = _cli(*args, *flags, "--report", report, "--html", page)
        assert (result.exit_code, result.stderr) == (0, ""), run
        noted = {re.search(r"in/(\w+\.png)", line)[1]: line.endswith(f"  ({FEWER})")
                 for line in result.stdout.splitlines()[:-1]}
        assert noted == {"a.png": True, "b.png": True, "c.png": True, "photo.png": False}
        written = larger if run == "forced" else ""
        assert result.stdout.splitlines()[-1].endswith(
            f"for the 4 files with an output{written}{counted}; report: {report}, {page}")
        data = json.loads(report.read_text())
        assert data["summary"]["fewer_colors"] == 3
        assert {Path(r["input"]).name: (r["status"], r[batch.FEWER_COLORS], bool(r["warnings"]))
                for r in data["files"]} == {
            **{name: ("ok" if run == "forced" else "skipped", True, False)
               for name in ("a.png", "b.png", "c.png")},
            "photo.png": ("ok" if run == "forced" else "skipped", False, False)}
        text = page.read_text(encoding="utf-8")
        (summary,) = [p.all_text() for p in parse(text).iter("p") if "summary" in p.classes()]
        assert f"\xa0· 3 files with {FEWER}\xa0· " in summary
        notes = [[div.all_text() for div in row.iter("div") if "note" in div.classes()]
                 for row in file_rows(parse(text))]
        assert notes == [[FEWER], [FEWER], [FEWER], []]
        # the flag kept on one line: the name cell wraps anywhere, and broke it at a hyphen
        assert text.count('<span class="flag">-k/--colors</span>') == 3
        assert ".note .flag{white-space:nowrap}" in text
    table = _cli(*args, "--report", tmp_path / "r.csv")
    assert table.exit_code == 0, table.output
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as f:
        assert [(Path(row["input"]).name, row[batch.FEWER_COLORS])
                for row in csv.DictReader(f)] == [
            ("a.png", "True"), ("b.png", "True"), ("c.png", "True"), ("photo.png", "False")]
    objects = _cli(*args, "--json")
    assert [json.loads(line).get(batch.FEWER_COLORS) for line in objects.stdout.splitlines()
            ] == [True, True, True, False]
    assert objects.stderr.splitlines()[-1].endswith(f"with an output{counted}")


# Every key of a reduce batch's rows, in order: a --json object has them all but warnings.
_REDUCE_ROW_KEYS = [
    "input", "output", "status", "skipped", "reason", "k", "space", "n_colors", "quality",
    "dither", "exact_colors", "palette_in", "palette_mode", "seed", "optimize", "psnr",
    "delta_e", "seconds", "bytes_in", "bytes_out", "frames", "palette", "optimized",
    "alpha_thresholded", "larger_than_input", "edited_larger_than_input", "stale_output",
    "fewer_colors_than_asked", "left_out_of_shared_palette", "removed_outputs",
    "removed_outputs_folders_left", "outputs_not_removed", "folder_not_searched",
    "folder_not_listed", "warnings", "quality_limit", "quality_met", "max_bytes",
    "max_bytes_bound", "failure", "palette_fitted", "matte", "fixed_colors", "strip",
    "keep_gps", "intent", "nodata", "nearest", "transparent_color", "quality_bound"]
#: The options a job records only when given (and the no-data value, when one was used),
#: last in every row of their mode but the keys added since (:data:`_REDUCE_ADDED`): null
#: when not.
_REDUCE_GIVEN = _REDUCE_ROW_KEYS[-10:-1]
#: The keys reduce's rows gained after those options: what set a --quality search's k.
_REDUCE_ADDED = _REDUCE_ROW_KEYS[-1:]
_SEGMENT_GIVEN = ["superpixels", "smooth", "working_size", "classes_in", "stretch",
                  "stretch_clip", "stretch_range", "strip", "keep_gps", "intent", "nodata",
                  "stretch_curve", "stretch_softening"]
_REDUCE_OBJECT_KEYS = [key for key in _REDUCE_ROW_KEYS if key != "warnings"]


def _ok_larger_and_failed(tmp_path: Path) -> Path:
    """A folder of three files: one a reduce makes smaller (noise.png), one it makes larger
    than its input (tiny.png, a 4x4 PNG) and one that is no image (bad.png)."""
    src = tmp_path / "in"
    src.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "noise.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(src / "tiny.png")
    (src / "bad.png").write_bytes(b"not a png")
    return src


def test_every_json_row_has_the_same_keys_and_says_why_a_file_was_skipped(tmp_path):
    """An ok row had 21 keys, one skipped as larger than its input 6 and a failed one 4; and
    "skipped" meant both done by an earlier run and larger than the input, told apart by the
    reason's prose alone."""
    src, report = _ok_larger_and_failed(tmp_path), tmp_path / "r.json"
    args = (src, "-o", tmp_path / "out", "-k", "4", "-j", "1", "--skip-if-larger", "--json",
            "--report", report)
    kinds = {}
    for run in ("first", "again"):
        result = _cli(*args)
        assert result.exit_code == 1  # bad.png failed
        objects = {Path(o["input"]).name: o for o in map(json.loads, result.stdout.splitlines())}
        rows = {Path(r["input"]).name: r for r in json.loads(report.read_text())["files"]}
        assert [list(o) for o in objects.values()] == [_REDUCE_OBJECT_KEYS] * 3
        assert [list(r) for r in rows.values()] == [_REDUCE_ROW_KEYS] * 3
        assert rows == {name: {**o, "warnings": None} for name, o in objects.items()}
        kinds[run] = {name: (o["status"], o["skipped"]) for name, o in sorted(objects.items())}
        assert (objects["bad.png"]["psnr"], objects["tiny.png"]["bytes_out"]) == (None, None)
        assert isinstance(objects["noise.png"]["psnr"], float)
    assert kinds == {
        "first": {"bad.png": ("failed", None), "noise.png": ("ok", None),
                  "tiny.png": ("skipped", "larger")},
        "again": {"bad.png": ("failed", None), "noise.png": ("skipped", "done"),
                  "tiny.png": ("skipped", "larger")}}


def test_a_csv_report_keeps_its_columns_and_adds_skipped_last(tmp_path):
    src, report = _ok_larger_and_failed(tmp_path), tmp_path / "r.csv"
    args = (src, "-o", tmp_path / "out", "-k", "4", "-j", "1", "--skip-if-larger",
            "--report", report)
    later = ["skipped", "quality_limit", "quality_met", "max_bytes",  # added so, after the rest
             "max_bytes_bound", "failure", *_REDUCE_GIVEN, *_REDUCE_ADDED]
    earlier = [*batch.REPORT_COLUMNS, *sorted(set(batch.ROW_KEYS["reduce"])
                                              - {*batch.REPORT_COLUMNS, *later})]
    for run, noise in (("first", ""), ("again", "done")):
        assert _cli(*args).exit_code == 1, run
        with open(report, newline="", encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
        assert table[0] == [*earlier, *later]
        assert [(Path(row[0]).name, row[2], row[-len(later)]) for row in table[1:]] == [
            ("bad.png", "failed", ""), ("noise.png", "skipped" if noise else "ok", noise),
            ("tiny.png", "skipped", "larger")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_every_kind_of_skipped_file_is_named_by_its_row(tmp_path):
    """A sub-folder not searched, the --palette-in image, a pipe and a file of no record at
    an output: each skipped, each its own word in ``skipped``."""
    src, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    src.mkdir()
    elsewhere.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 8, 3), np.uint8)).save(
        src / "noise.png")
    Image.fromarray(np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)).save(src / "pal.png")
    os.mkfifo(src / "pipe.png")
    symlink_or_skip(src / "linked", elsewhere, to_folder=True)
    args = (src, "-o", out, "-r", "--palette-in", src / "pal.png", "-j", "1", "--json")
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert {Path(o["input"]).name: (o["status"], o["skipped"]) for o in objects} == {
        "linked": ("skipped", "folder"), "pal.png": ("skipped", "palette_in"),
        "pipe.png": ("skipped", "special"), "noise.png": ("ok", None)}
    # noise.png's record ends in colours_used, as a record mapped onto a given palette does
    assert all([key for key in o if key != "colours_used"] == _REDUCE_OBJECT_KEYS
               for o in objects)
    (out / batch.MANIFEST_NAME).unlink()  # the output of no record: an older version's
    again = [json.loads(line) for line in _cli(*args).stdout.splitlines()]
    assert [(o["skipped"], o["reason"]) for o in again if o["input"].endswith("noise.png")] == [
        ("no_record", batch.NO_RECORD)]


def test_json_objects_of_a_segment_batch_have_the_segment_keys(tmp_path):
    src = _ok_larger_and_failed(tmp_path)
    (src / "tiny.png").unlink()
    result = _cli(src, "-o", tmp_path / "out", "--mode", "segment", "-k", "2", "-j", "1",
                  "--json")
    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(o["input"]).name, o["status"], list(o)) for o in objects] == [
        (name, status, [
            "input", "output", "status", "skipped", "reason", "outdir", "width", "height",
            "working_width", "working_height", "n_clusters", "clusters_used", "regions",
            "n_regions", "min_region", "weights", "space", "seed", "outputs", "seconds",
            "stale_output", "removed_outputs", "removed_outputs_folders_left",
            "outputs_not_removed", "folder_not_searched", "folder_not_listed",
            "min_region_share", "failure", "pages", "page_regions", *_SEGMENT_GIVEN])
        for name, status in (("bad.png", "failed"), ("noise.png", "ok"))]


def test_cli_palette_fitted_dithers_onto_a_palette_out_file_as_reduce_fitted_it(tmp_path):
    """batch --palette-in FILE --palette-fitted --dither gives each image the pixels that
    reduce --dither gave it when it wrote FILE; without --palette-fitted it would be
    dithered onto FILE as onto a device's fixed colours."""
    folder = tmp_path / "in"
    folder.mkdir()
    crop("coffee.jpg", (150, 100, 278, 196)).save(folder / "coffee.png")
    pal, fit = tmp_path / "p.hex", tmp_path / "fit.png"
    first = _cli_reduce(folder / "coffee.png", "-k", "16", "--dither", "-o", fit,
                        "--palette-out", pal)
    assert first.exit_code == 0, first.output
    result = _cli(folder, "-o", tmp_path / "out", "--palette-in", pal, "--palette-fitted",
                  "--dither", "-q")
    assert result.exit_code == 0, result.output
    with Image.open(fit) as a, Image.open(tmp_path / "out" / "coffee.png") as b:
        np.testing.assert_array_equal(np.asarray(b.convert("RGB")),
                                      np.asarray(a.convert("RGB")))
    refused = _cli(folder, "-o", tmp_path / "out2", "--palette-fitted")
    assert (refused.exit_code, refused.stderr) == (
        2, "quantize: error: --palette-fitted needs --palette-in beside it: it says how that "
           "palette is dithered onto\n")


def test_cli_segment_report_rows_have_min_region_share_last(tmp_path):
    """A batch given --min-region as a share reported it in no column of its own: in a CSV
    it came after every column only when some row had it, and a row of pixels lacked it."""
    folder = tmp_path / "in"
    folder.mkdir()
    img = np.full((20, 20, 3), 200, np.uint8)
    img[5:11, 5:11] = (20, 40, 160)
    Image.fromarray(img).save(folder / "a.png")
    for given, share in (("2%", "2%"), ("8", None)):
        out = tmp_path / given
        result = _cli(folder, "-o", out, "--mode", "segment", "--min-region", given, "-q",
                      "--report", tmp_path / f"{given}.csv")
        assert result.exit_code == 0, result.output
        with open(tmp_path / f"{given}.csv", newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
        assert (rows[0][-20:], rows[1][-17]) == (
            ["skipped", "working_width", "working_height", "min_region_share", "failure",
             "pages", "page_regions", *_SEGMENT_GIVEN], share or "")
        result = _cli(folder, "-o", out, "--mode", "segment", "--min-region", given,
                      "--json")
        row = json.loads(result.stdout.splitlines()[0])
        assert (list(row)[-17:-13], row["min_region_share"]) == (
            ["min_region_share", "failure", "pages", "page_regions"], share)


def test_cli_segment_rows_have_every_option_key_null_when_not_given(tmp_path):
    """--smooth and --shared-classes gave the ok rows 'smooth' and 'classes_in', after all
    the others, which a failed row and the rows of a run without them lacked: a CSV then had
    columns of its own, against the --report help ('the same columns in every report')."""
    folder = tmp_path / "in"
    folder.mkdir()
    img = np.full((16, 16, 3), 200, np.uint8)
    img[4:12, 4:12] = (20, 40, 160)
    Image.fromarray(img).save(folder / "a.png")
    (folder / "bad.png").write_bytes(b"not a png")
    keys, headers, given = [], [], {}
    for name, options in (("plain", []), ("smooth", ["--smooth", "1"]),
                          ("shared", ["--shared-classes"])):
        report = tmp_path / f"{name}.json"
        result = _cli(folder, "-o", tmp_path / name, "--mode", "segment", "-k", "2", "-q",
                      "--report", report, *options)
        assert result.exit_code == 1, result.output  # bad.png failed
        rows = {Path(r["input"]).name: r for r in json.loads(report.read_text())["files"]}
        keys += [list(row) for row in rows.values()]
        given[name] = [(rows[n]["smooth"], rows[n]["classes_in"]) for n in ("a.png", "bad.png")]
        assert _cli(folder, "-o", tmp_path / name, "--mode", "segment", "-k", "2", "-q",
                    "--report", tmp_path / f"{name}.csv", *options).exit_code == 1
        with open(tmp_path / f"{name}.csv", newline="", encoding="utf-8-sig") as f:
            headers.append(next(csv.reader(f)))
    assert keys == [list(batch.ROW_KEYS["segment"])] * 6
    assert headers[1:] == headers[:1] * 2
    assert given == {"plain": [(None, None)] * 2, "smooth": [(1, None), (None, None)],
                     "shared": [(None, str(tmp_path / "shared" / "shared-classes.json")),
                                (None, None)]}


def test_cli_segment_min_region_0_percent_is_min_region_0(photo_tree, tmp_path):
    """--min-region 0% is 0 pixels of any image: a rerun giving it after a run without it
    (the hierarchy's default, 0) was refused (exit 15), and with -k after --min-region 0."""
    args = ["--mode", "segment", "--glob", "chelsea.png", "-q"]
    for first, clusters in (([], []), (["--min-region", "0"], ["-k", "2"])):
        out = tmp_path / f"out{len(clusters)}"
        assert _cli(photo_tree, "-o", out, *clusters, *first, *args).exit_code == 0
        again = _cli(photo_tree, "-o", out, *clusters, "--min-region", "0.0%", *args[:-1])
        assert again.exit_code == 0, again.output
        assert "0 ok, 1 skipped" in again.stdout


def test_cli_segment_rerun_of_a_batch_recorded_with_min_region_0_percent(photo_tree,
                                                                         tmp_path):
    """Earlier versions recorded --min-region 0% as given: a rerun with it, or without it,
    still matches."""
    out = tmp_path / "out"
    args = ["--mode", "segment", "--glob", "chelsea.png", "-q"]
    assert _cli(photo_tree, "-o", out, *args).exit_code == 0
    manifest = out / batch.MANIFEST_NAME
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    for line in lines:
        line["settings"]["min_region"] = "0%"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for given in (["--min-region", "0%"], []):
        again = _cli(photo_tree, "-o", out, *given, *args[:-1])
        assert again.exit_code == 0, again.output
        assert "0 ok, 1 skipped" in again.stdout


def test_cli_segment_min_region_share_follows_each_image_size(tmp_path):
    """One --min-region serves every image of a batch: as a share, 2.5% is 10 pixels of a
    20 x 20 image (its 9-pixel speck merged) and 40 of a 40 x 40 one (its 36-pixel speck
    merged too); 2% keeps both (8 and 32 pixels)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for side in (20, 40):
        img = np.full((side, side, 3), 200, np.uint8)
        img[side // 4:side // 4 + side * 3 // 20, side // 4:side // 4 + side * 3 // 20] = (
            20, 40, 160)
        Image.fromarray(img).save(folder / f"s{side}.png")
    for share, regions, pixels in (("2.5%", 1, {20: 10, 40: 40}), ("2%", 2, {20: 8, 40: 32})):
        out = tmp_path / share
        result = _cli(folder, "-o", out, "--mode", "segment", "--min-region", share, "-q")
        assert result.exit_code == 0, result.output
        for side in (20, 40):
            saved = json.loads((out / f"s{side}" / "segments.json").read_text())
            assert (saved["n_regions"], saved["min_region"], saved["min_region_share"]) == (
                regions, pixels[side], share)


def test_matte_is_recorded_and_a_rerun_must_give_it_alike(tmp_path):
    """batch --matte blends translucent pixels onto the colour, as reduce does; the settings
    hold it as #rrggbb (left out without it, so earlier folders rerun), and a rerun that
    gives it otherwise, or not at all, is refused by its name."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    soft = np.array([[[200, 100, 0, 128], [9, 9, 9, 0]], [[1, 2, 3, 255], [0, 0, 255, 64]]],
                    np.uint8)
    Image.fromarray(soft, "RGBA").save(src / "soft.png")
    made = _cli(src, "-o", out, "-k", "3", "--matte", "White", "--ext", ".gif")
    assert made.exit_code == 0, made.output
    with Image.open(out / "soft.gif") as im:
        assert np.asarray(im.convert("RGBA"))[0, 0].tolist() == [227, 177, 127, 255]
    again = _cli(src, "-o", out, "-k", "3", "--matte", "#fff", "--ext", ".gif")
    assert again.exit_code == 0 and "skipped" in again.stdout, again.output
    refused = _cli(src, "-o", out, "-k", "3", "--ext", ".gif")
    assert (refused.exit_code, refused.stderr) == (
        15, f"quantize: error: {out}: 1 output was made with --matte='#ffffff', while this run "
            "asks for --matte=(not given); add --force to redo it, or choose another -o "
            "folder\n")


def test_a_full_disk_at_a_record_leaves_it_whole_and_says_disk_full_in_json(tmp_path,
                                                                            monkeypatch):
    """On a 200 KB tmpfs the record ended in an 858-byte line cut short: the next run warned
    of a line it could not read, and kept a 36 KB damaged copy. The record is now as it was
    before the line; the file's --json object and the run's last object say the failure in
    one word, for a script to free room and rerun rather than read the prose."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        Image.fromarray(np.full((4, 4, 3), 40 * i, np.uint8)).save(src / name)
    # half of b.png's finished line is taken, then the disk is full
    record_filling_up(monkeypatch, lambda data: len(data) // 2 if b'"output": "b.png"' in data
                      and b'"pending"' not in data else None)
    result = _cli(src, "-o", out, "-j", "1", "-k", "2", "--json")
    assert result.exit_code == 1, result.output
    lines = (out / batch.MANIFEST_NAME).read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])  # none cut short
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(o["input"]).name, o["status"], o["failure"]) for o in objects[:-1]] == [
        ("a.png", "ok", None), ("b.png", "failed", "disk_full"), ("c.png", "not reached", None)]
    assert objects[-1] == {"error": f"{out / batch.MANIFEST_NAME}: cannot add 'b.png' to the "
                                    "record of finished outputs (No space left on device)",
                           "failure": "disk_full", "exit_code": 1}
    monkeypatch.undo()
    again = _cli(src, "-o", out, "-j", "1", "-k", "2")
    assert again.exit_code == 0 and "could not be read" not in again.stderr, again.output
    assert sorted(p.name for p in out.iterdir()) == [batch.MANIFEST_NAME, "a.png", "b.png",
                                                     "c.png"]  # no damaged copy


def test_a_json_run_refused_for_changed_options_ends_with_its_kind(tmp_path):
    """Exit 15, as before; the object tells it from an output that exists, and from another
    batch in the folder (now 75)."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "a.png")  # more colours than either -k
    assert _cli(src, "-o", out, "-k", "2", "-q").exit_code == 0
    refused = _cli(src, "-o", out, "-k", "4", "--json")
    assert refused.exit_code == 15
    (line,) = refused.stdout.splitlines()
    assert json.loads(line) == {"error": refused.stderr.removeprefix("quantize: error: ")
                                .rstrip("\n"), "failure": "options_changed", "exit_code": 15}


def test_a_failed_files_kind_is_the_last_column_of_each_report(tmp_path):
    """A new key: after the others in the rows and the CSV columns, so that every other keeps
    its place (and before the options recorded only when given, added since)."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.fromarray(np.full((4, 4, 3), 90, np.uint8)).save(src / "a.png")
    (src / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)  # cut short
    result = _cli(src, "-o", out, "-k", "2", "--report", tmp_path / "r.csv", "--json")
    assert result.exit_code == 1
    rows = sorted((json.loads(line) for line in result.stdout.splitlines()),
                  key=lambda row: row["input"])
    at = -1 - len(_REDUCE_GIVEN) - len(_REDUCE_ADDED)  # before the options given, and after
    assert [(list(row)[at], row["failure"]) for row in rows] == [
        ("failure", None), ("failure", "unreadable_input")]
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as f:
        table = list(csv.reader(f))
    assert [row[at] for row in table] == ["failure", "", "unreadable_input"]
    assert table[0][:at] == list(_REDUCE_CSV_HEADER_BEFORE)
    assert table[0][at + 1:] == [*_REDUCE_GIVEN, *_REDUCE_ADDED]


#: The columns a reduce CSV report had before ``failure`` was added after them.
_REDUCE_CSV_HEADER_BEFORE = (
    "input", "output", "status", "reason", "k", "space", "psnr", "delta_e", "seconds",
    "bytes_in", "bytes_out", "alpha_thresholded", "dither", "edited_larger_than_input",
    "exact_colors", "fewer_colors_than_asked", "folder_not_listed", "folder_not_searched",
    "frames", "larger_than_input", "left_out_of_shared_palette", "n_colors", "optimize",
    "optimized", "outputs_not_removed", "palette", "palette_in", "palette_mode", "quality",
    "removed_outputs", "removed_outputs_folders_left", "seed", "stale_output", "warnings",
    "skipped", "quality_limit", "quality_met", "max_bytes", "max_bytes_bound")


def test_cli_segment_mode_writes_a_class_map_with_classes(photo_tree, tmp_path):
    """The class map (the cluster of each pixel) could be had from Python only."""
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "-k", "3", "--classes",
                  "--glob", "astronaut.jpg")
    assert result.exit_code == 0, result.output
    record = json.loads((out / "astronaut" / "segments.json").read_text())
    assert "classes.png" in record["outputs"]
    with Image.open(out / "astronaut" / "classes.png") as im:
        assert im.mode == "L"
        classes = np.asarray(im)
    labels = np.asarray(Image.open(out / "astronaut" / "labels.png"))
    of_region = {r["label"]: r["cluster"] for r in record["region_stats"]}
    assert np.array_equal(classes, np.vectorize(of_region.get)(labels))
    # a rerun asking for it again finds the outputs made alike; the settings hold it
    assert _cli(photo_tree, "-o", out, "--mode", "segment", "-k", "3", "--classes",
                "--glob", "astronaut.jpg").exit_code == 0


def test_an_output_folder_that_is_a_link_loop_is_said_to_be_one(tmp_path, monkeypatch):
    """'batch sub -o loop1' printed the chain round the loop, forty links and 840
    characters ending "which does not exist": the walk stops at the loop."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (4, 4), "red").save("sub/a.png")
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    result = _cli("sub", "-o", "loop1")
    assert result.exit_code == 2, result.output
    assert result.stderr == ("quantize: error: -o/--output='loop1' is a link to 'loop2', which "
                             "leads into a link loop; expected a folder\n")


def test_cli_a_name_given_as_glob_in_the_folder_searched_is_not_warned_of(tmp_path,
                                                                          monkeypatch):
    """'batch . -o out --glob noext', quoted on purpose, was warned of as a pattern the shell
    expanded: in the current folder searched without -r, an expansion takes the very files
    the pattern would, so no warning; with -r, or from another folder, it is said."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("noext", format="PNG")
    Image.new("RGB", (4, 4), "blue").save("b.png")
    result = _cli(".", "-o", "out", "--glob", "noext", "-q", "-k", "2")
    assert (result.exit_code, result.stderr) == (0, "")
    assert _made(Path("out")) == ["noext.png"]
    deep = _cli(".", "-o", "out2", "--glob", "noext", "-q", "-k", "2", "-r")
    assert deep.stderr.startswith("quantize: warning: --glob='noext': no wildcard")
def test_batch_reports_a_png_without_its_iend_chunk_and_refuses_a_jpeg_cut_in_its_scan(
        tmp_path):
    """Both were reduced without a word: the PNG lacks its IEND chunk (pngquant exits 25 on
    it), the JPEG's rows after the cut came out grey."""
    import io

    (tmp_path / "in").mkdir()
    png = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(png, "PNG")
    (tmp_path / "in" / "a.png").write_bytes(png.getvalue()[:-12])
    jpeg = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (64, 64, 3), np.uint8)).save(
        jpeg, "JPEG")
    (tmp_path / "in" / "b.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2]
                                            + b"\xff\xd9")
    result = _cli(tmp_path / "in", "-o", tmp_path / "out", "-k", "4", "-q",
                  "--report", tmp_path / "r.json")
    assert result.exit_code == 1
    rows = {Path(row["input"]).name: row
            for row in json.loads((tmp_path / "r.json").read_text())["files"]}
    assert rows["a.png"]["warnings"] == [
        "damaged PNG: it ends without its IEND chunk (the file may have been cut short); the "
        "image read holds every row and is read"]
    assert (rows["b.jpg"]["status"], rows["b.jpg"]["failure"]) == ("failed", "unreadable_input")
    assert rows["b.jpg"]["reason"] == (
        "cannot decode image (image file is truncated: its image data ends before its last "
        "rows, which come out grey, and its end marker follows the cut)")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) \
        == ["a.png"]


def test_a_row_without_an_output_has_it_null_in_json_and_an_empty_cell_in_csv(tmp_path):
    # it was "" in the JSON report and in --json, where docs/batch.md says a key a file
    # has no value for is null, as reduce --json has a failed file's output
    (tmp_path / "in").mkdir()
    Image.new("RGB", (4, 3), (200, 40, 40)).save(tmp_path / "in" / "a.png")
    (tmp_path / "in" / "b.png").write_bytes(b"not an image")
    rows = {}
    for kind, shown in (("json", ["--json"]), ("csv", [])):
        report = tmp_path / f"r.{kind}"
        result = _cli(tmp_path / "in", "-o", tmp_path / f"out_{kind}", "-k", 2, "-j", 1,
                      "--report", report, *shown)
        assert result.exit_code == 1, result.output
        if kind == "json":
            printed = [json.loads(line) for line in result.stdout.splitlines()]
            rows["printed"] = {Path(r["input"]).name: r["output"] for r in printed}
            rows[kind] = {Path(r["input"]).name: r["output"]
                          for r in json.loads(report.read_text())["files"]}
        else:
            with report.open(newline="", encoding="utf-8-sig") as f:
                rows[kind] = {Path(r["input"]).name: r["output"] for r in csv.DictReader(f)}
    assert rows == {"printed": {"a.png": str(tmp_path / "out_json" / "a.png"), "b.png": None},
                    "json": {"a.png": str(tmp_path / "out_json" / "a.png"), "b.png": None},
                    "csv": {"a.png": str(tmp_path / "out_csv" / "a.png"), "b.png": ""}}
