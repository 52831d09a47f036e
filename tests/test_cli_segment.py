"""quantize.cli.segment: ``quantize segment`` through typer's CliRunner: JSON, usage, exit codes."""

from __future__ import annotations

import errno
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import segment
from quantize.cli import app
from quantize.segment_file import EDGES_FILE

from .cli_support import count_temporary_folders
from .corpus.generate import cut_exif, png_of_chunks
from .fs_support import read_only_folder
from .segment_support import read

runner = CliRunner()


def test_an_input_given_with_a_leading_dot_slash_is_shown_so(photo_path, monkeypatch):
    """./-x.png came back as -x.png in the line and in --json (its folder -x.segments),
    which a script could not pass back as a file name: read as options."""
    monkeypatch.chdir(photo_path.parent)
    photo_path.rename("-x.png")
    result = runner.invoke(app, ["segment", "./-x.png", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["input"], record["output"], record["outdir"]) == (
        "./-x.png", "./-x.segments", "./-x.segments")
    result = runner.invoke(app, ["segment", "./-x.png", "-k", "3", "--force"])
    assert result.stdout.startswith("./-x.png -> ./-x.segments: ")


def test_an_output_folder_given_with_a_leading_dot_slash_is_shown_so(photo_path, monkeypatch):
    """``-o ./-seg`` came back as -seg in the line and in --json, read as options if a
    script passed it back; ``-o seg/`` is shown as the folder it names."""
    monkeypatch.chdir(photo_path.parent)
    photo_path.rename("-x.png")
    result = runner.invoke(app, ["segment", "./-x.png", "-k", "3", "-o", "./-seg", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["input"], record["output"], record["outdir"]) == (
        "./-x.png", "./-seg", "./-seg")
    assert Path("-seg", "labels.png").is_file()
    result = runner.invoke(app, ["segment", "./-x.png", "-k", "3", "-o", "./-seg/", "--force"])
    assert result.stdout.startswith("./-x.png -> ./-seg: ")
    result = runner.invoke(app, ["segment", "./-x.png", "-k", "3", "-o", "seg/"])
    assert result.stdout.startswith("./-x.png -> seg: ")


def test_cli_json_matches_the_files(photo_path, tmp_path):
    out = tmp_path / "cli"
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "4", "-o", str(out),
                                 "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    # the keys in the order --help and the README list them
    assert list(record) == ["input", "output", "outdir", "width", "height", "working_width",
                            "working_height", "n_clusters", "clusters_used", "regions",
                            "n_regions", "min_region", "weights", "space", "seed", "outputs",
                            "seconds"]
    assert record["n_regions"] == json.loads((out / "segments.json").read_text())["n_regions"]
    assert record["seed"] == json.loads((out / "segments.json").read_text())["seed"] == 1
    np.testing.assert_array_equal(read(out / "labels.png"),
                                  segment(read(photo_path), 4, seed=1).labels)


@pytest.mark.parametrize(("size", "worked"), [((1030, 9), (515, 5)), ((40, 30), (40, 30))])
def test_json_and_segments_json_give_the_working_size(tmp_path, size, worked):
    """The summary line named the copy a large image is segmented on; --json and
    segments.json did not: width first, as width and height are."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(
        tmp_path / "wide.png")
    out = tmp_path / "wide.segments"
    result = runner.invoke(app, ["segment", str(tmp_path / "wide.png"), "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    kept = json.loads((out / "segments.json").read_text())
    assert ((record["width"], record["height"]), (record["working_width"],
            record["working_height"])) == (size, worked)
    assert (kept["working_width"], kept["working_height"]) == worked


def test_the_cli_default_seed_is_the_python_seed_0_as_the_readme_says(photo_path, tmp_path):
    """segment() defaults to seed=None, the command line to 0: seed=0 gives its regions."""
    out = tmp_path / "cli"
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "4", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(read(out / "labels.png"),
                                  segment(read(photo_path), 4, seed=0).labels)


def test_the_summary_line_counts_one_region_in_the_singular(tmp_path):
    src = tmp_path / "flat.png"
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "1", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert ": 1 region from 1 cluster, " in result.stdout


def test_a_cut_exif_is_said_once_in_words_of_its_own(tmp_path):
    """Pillow's 'Corrupt EXIF data.  Expecting to read 12 bytes but only got 6. ' came out
    as it words it, and twice."""
    src = tmp_path / "camera.jpg"
    Image.new("RGB", (16, 16), (200, 0, 0)).save(src, exif=cut_exif())
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "s"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: its EXIF data is damaged (its first "
                             "directory, of 2 tags, ends at byte 38, past its end, at byte "
                             "28); the image is read as stored, as no orientation read "
                             "before the damage turns it\n")


def test_fewer_regions_than_asked_after_min_region_are_said_in_the_flags(tmp_path):
    from .segment_support import quadrants

    src = tmp_path / "q.png"
    Image.fromarray(quadrants(np.random.default_rng(0), noise=6.0)[0]).save(src)
    result = runner.invoke(app, ["segment", str(src), "--regions", "7", "--min-region",
                                 "1000", "-o", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: --regions=7 but --min-region=1000 "
                             "leaves 4: no cut of the region hierarchy of this 80 x 64 image "
                             "(5120 pixels) into more regions of at least 1000 pixels was "
                             "found; lower it for more\n")
    record = json.loads(result.stdout)
    assert (record["regions"], record["n_regions"]) == (7, 4)


def test_a_tiny_image_merged_into_one_region_by_the_default_min_region_is_said(tmp_path):
    src = tmp_path / "tiny.png"
    Image.fromarray(_halves()[4:6, 11:14]).save(src)  # 2 x 3, a black column and 2 grey
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=2 gives 1 region: the "
                             "default --min-region=4 (at least 4 pixels) is more than half "
                             "of this 6-pixel image, so every region merges into one; "
                             "--min-region=0 keeps them\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 's'}: 1 region from 1 cluster, ")
    kept = runner.invoke(app, ["segment", str(src), "-k", "2", "--min-region", "0",
                               "-o", str(tmp_path / "k")])
    assert (kept.exit_code, kept.stderr) == (0, "")
    assert kept.stdout.startswith(f"{src} -> {tmp_path / 'k'}: 2 regions from 2 clusters, ")


@pytest.mark.parametrize(("size", "said"), [((1030, 8), ", worked on a 515 x 4 copy"),
                                            ((1024, 8), "")])
def test_the_summary_says_the_size_an_image_over_1024_a_side_is_worked_at(tmp_path, size,
                                                                          said):
    """A large image was segmented on a box-downscaled copy without a word, so a user could
    not tell why details a few pixels wide were gone. The regions are the same."""
    pixels = np.zeros((size[1], size[0], 3), np.uint8)
    pixels[:, size[0] // 2:] = 200
    src = tmp_path / "wide.png"
    Image.fromarray(pixels).save(src)
    for args in ([], ["-k", "2"]):
        out = tmp_path / f"s{len(args)}"
        result = runner.invoke(app, ["segment", str(src), *args, "-o", str(out)])
        assert (result.exit_code, result.stderr) == (0, ""), result.output
        source = "from 2 clusters" if args else "from the region hierarchy"
        assert result.stdout.startswith(f"{src} -> {out}: 2 regions {source}{said}, ")
        record = json.loads((out / "segments.json").read_text())
        assert (record["width"], record["height"], record["n_regions"]) == (*size, 2)


def test_the_default_min_region_that_merges_a_dot_away_is_said_as_a_given_one_is(tmp_path):
    """-k 2 of a red dot on a black 20 x 20 image gave 1 region without a word by default,
    and a warning with --min-region 4, the same value (--min-region's help: "given or the
    default")."""
    src = tmp_path / "dot.png"
    img = np.zeros((20, 20, 3), np.uint8)
    img[10, 10] = (255, 0, 0)
    Image.fromarray(img).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "-o", str(tmp_path / "s"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=2 gives 1 region: the "
                             "default --min-region=4 merges the regions smaller than 4 pixels "
                             "(of the 400 of this 20 x 20 image) until one is left; "
                             "--min-region=0 keeps them\n")
    assert [json.loads(result.stdout)[key] for key in ("n_regions", "min_region")] == [1, 4]
    kept = runner.invoke(app, ["segment", str(src), "-k", "2", "--min-region", "0",
                               "-o", str(tmp_path / "k")])
    assert (kept.exit_code, kept.stderr) == (0, "")
    assert kept.stdout.startswith(f"{src} -> {tmp_path / 'k'}: 2 regions from 2 clusters, ")


@pytest.mark.parametrize("min_region", [[], ["--min-region", "0"]])
def test_specks_the_smoothing_removes_into_one_region_are_said_on_one_line(tmp_path,
                                                                           min_region):
    """-k 3 of a red and a blue dot on a black 64 x 64 image: 1 region from 1 cluster,
    which came out without a warning (the smoothing, not min_region, left one)."""
    src = tmp_path / "dots.png"
    img = np.zeros((64, 64, 3), np.uint8)
    img[2, 2] = (255, 0, 0)
    img[61, 61] = (0, 0, 255)
    Image.fromarray(img).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "3", "-o", str(tmp_path / "s"),
                                 *min_region])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=3 gives 1 region: of "
                             "the 3 clusters k-means found, the majority smoothing removed "
                             "all but one, as their pixels lay in specks (details narrower "
                             "than about 3 pixels on this 64 x 64 image); the speck size "
                             "follows the image's longer side, so a crop of it keeps smaller "
                             "details, and --smooth=0 keeps them all\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 's'}: 1 region from 1 cluster, ")


@pytest.mark.parametrize("clusters", [[], ["-k", "3"]])
def test_a_min_region_of_half_the_image_that_leaves_one_region_is_said(tmp_path, clusters):
    """segment -k 3 --min-region 1200 of three flat bands of a 60 x 40 image gave one region
    without a word: no band reaches 1200 pixels, so they merge, then merge again."""
    src = tmp_path / "bands.png"
    bands = np.zeros((40, 60, 3), np.uint8)
    bands[:14], bands[14:27], bands[27:] = (200, 30, 30), (30, 200, 30), (30, 30, 200)
    Image.fromarray(bands).save(src)
    result = runner.invoke(app, ["segment", str(src), *clusters, "--min-region", "1200",
                                 "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: --min-region=1200 merges the "
                             "regions smaller than 1200 pixels (of the 2400 of this 60 x 40 "
                             "image) until one is left; lower it to keep more\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 's'}: 1 region from ")
    kept = runner.invoke(app, ["segment", str(src), *clusters, "--min-region", "600",
                               "-o", str(tmp_path / "k")])
    assert (kept.exit_code, kept.stderr) == (0, "")
    assert kept.stdout.startswith(f"{src} -> {tmp_path / 'k'}: 3 regions from ")


@pytest.mark.parametrize("clusters", [[], ["-k", "2"]])
def test_a_min_region_larger_than_the_image_is_said_in_one_line(tmp_path, clusters):
    src = tmp_path / "h.png"
    Image.fromarray(_halves()).save(src)  # 12 x 24: 288 pixels
    result = runner.invoke(app, ["segment", str(src), *clusters, "--min-region", "5000",
                                 "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: --min-region=5000 is more than the "
                             "288 pixels of this 24 x 12 image: no two regions can both "
                             "reach it, so every region merges into one; lower it to keep "
                             "more\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 's'}: 1 region from ")
    assert np.unique(read(tmp_path / "s" / "labels.png")).tolist() == [1]
    kept = runner.invoke(app, ["segment", str(src), *clusters, "--min-region", "144",
                               "-o", str(tmp_path / "k")])
    assert (kept.exit_code, kept.stderr) == (0, "")
    assert kept.stdout.startswith(f"{src} -> {tmp_path / 'k'}: 2 regions from ")


def test_the_summary_line_counts_the_clusters_actually_used(tmp_path):
    src = tmp_path / "one.png"
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "5", "-w", "xy=0",
                                 "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=5 but the image has "
                             "only 1 distinct feature vector; using 1 cluster\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 's'}: 1 region from 1 cluster, ")
    record = json.loads((tmp_path / "s" / "segments.json").read_text())
    assert (record["n_clusters"], record["clusters_used"], record["n_regions"]) == (5, 1, 1)


def test_a_gradient_united_into_one_cluster_is_not_said_to_have_no_two_parts(tmp_path):
    """A black-to-white gradient, -k 4: its clusters were united as no border between them
    shows a step, but the warning said colour and texture told no two parts apart."""
    src = tmp_path / "grad.png"
    ramp = np.rint(np.linspace(0, 255, 300)).astype(np.uint8)
    Image.fromarray(np.repeat(ramp[:, None], 400, axis=1)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "4", "-o", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=4 but no border "
                             "between the 4 clusters k-means found shows a change in colour "
                             "or texture (a plain image, or a smooth gradient), so they are "
                             "united into 1 cluster; to cluster by position alone, give "
                             "-w color=0 and -w texture=0\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 'g'}: 1 region from 1 cluster, ")
    by_position = runner.invoke(app, ["segment", str(src), "-k", "4", "-w", "color=0",
                                      "-w", "texture=0", "-o", str(tmp_path / "p")])
    assert (by_position.exit_code, by_position.stderr) == (0, "")
    assert ": 4 regions from 4 clusters, " in by_position.stdout


def test_a_gradient_united_without_colour_is_not_said_to_be_plain(tmp_path):
    """-k 4 -w color=0 on a gradient: the warning said no border showed a change in colour
    or texture, as of a plain image, though colour was weighted 0."""
    src = tmp_path / "grad.png"
    ramp = np.rint(np.linspace(0, 255, 300)).astype(np.uint8)
    Image.fromarray(np.repeat(ramp[:, None], 400, axis=1)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "4", "-w", "color=0", "-o",
                                 str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=4 but no border "
                             "between the 4 clusters k-means found shows a change in texture, "
                             "the only group weighted besides xy (-w color=0), so they are "
                             "united into 1 cluster; to tell clusters apart by colour too, "
                             "give -w color=1\n")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 'g'}: 1 region from 1 cluster, ")


@pytest.mark.parametrize(("weights", "named"), [
    # said "texture, the only group weighted besides xy (-w color=0)" though xy was 0
    (["-w", "xy=0"], "texture, the only group weighted (-w color=0 and -w xy=0)"),
    (["-w", "intensity=1", "-w", "xy=0"],
     "intensity or texture, the only groups weighted (-w color=0 and -w xy=0)"),
    (["-w", "intensity=1"],
     "intensity or texture, the only groups weighted besides xy (-w color=0)"),
])
def test_a_gradient_united_without_colour_names_exactly_the_groups_weighted(
        tmp_path, weights, named):
    src = tmp_path / "grad.png"
    ramp = np.rint(np.linspace(0, 255, 300)).astype(np.uint8)
    Image.fromarray(np.repeat(ramp[:, None], 400, axis=1)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "4", "-w", "color=0", *weights,
                                 "-o", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=4 but no border "
                             f"between the 4 clusters k-means found shows a change in {named}"
                             ", so they are united into 1 cluster; to tell clusters apart by "
                             "colour too, give -w color=1\n")


def test_a_plain_image_gives_one_cluster_of_those_asked_and_says_so(tmp_path):
    src = tmp_path / "plain.png"
    Image.fromarray(np.full((60, 80, 3), (90, 140, 200), np.uint8)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "8", "-o", str(tmp_path / "s"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: -k/--clusters=8 but no border "
                             "between the 8 clusters k-means found shows a change in colour "
                             "or texture (a plain image, or a smooth gradient), so they are "
                             "united into 1 cluster; to cluster by position alone, give "
                             "-w color=0 and -w texture=0\n")
    record = json.loads(result.stdout)
    assert (record["n_clusters"], record["clusters_used"], record["n_regions"]) == (8, 1, 1)
    by_position = runner.invoke(app, ["segment", str(src), "-k", "8", "-w", "color=0",
                                      "-w", "texture=0", "-o", str(tmp_path / "p"), "--json"])
    assert (by_position.exit_code, by_position.stderr) == (0, "")
    assert json.loads(by_position.stdout)["clusters_used"] == 8


def test_the_summary_line_counts_two_clusters_used_of_five(tmp_path):
    src = tmp_path / "two.png"
    img = _halves()
    Image.fromarray(img).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "5", "-w", "texture=0",
                                 "-w", "xy=0", "--min-region", "0",
                                 "-o", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.output
    assert "only 2 distinct feature vectors; using 2 clusters" in result.stderr
    record = json.loads(result.stdout)
    assert (record["n_clusters"], record["clusters_used"], record["n_regions"]) == (5, 2, 2)


def test_clusters_that_min_region_merges_away_are_not_counted(tmp_path):
    src = tmp_path / "two.png"
    img = _halves()
    Image.fromarray(img).save(src)
    # k-means makes both clusters, but each half (144 pixels) is under --min-region: the
    # one region left belongs to one cluster, and the line and the record say so
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "-w", "texture=0",
                                 "-w", "xy=0", "--min-region", "200",
                                 "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{src} -> {tmp_path / 's'}: 1 region from 1 cluster, ")
    record = json.loads((tmp_path / "s" / "segments.json").read_text())
    assert (record["n_clusters"], record["clusters_used"], record["n_regions"]) == (2, 1, 1)
    assert [r["cluster"] for r in record["region_stats"]] == [0]


def test_a_default_outdir_that_is_a_link_leading_nowhere_is_one_line_naming_it(tmp_path):
    from .fs_support import symlink_or_skip

    src = tmp_path / "one.png"
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(src)
    symlink_or_skip(tmp_path / "one.segments", tmp_path / "gone", to_folder=True)
    result = runner.invoke(app, ["segment", str(src)])
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"quantize: error: {src}: {tmp_path / 'one.segments'}: is a link "
                             f"to '{tmp_path / 'gone'}', which does not exist; expected an "
                             "output folder\n")


def test_a_folder_named_dash_written_dot_slash_dash_is_the_output(photo, monkeypatch):
    """'segment photo.png -o ./-', the way to name a folder called '-', was refused as
    '-o/--output='-': segment does not write to stdout': the Path of './-' is '-'."""
    monkeypatch.chdir(photo.parent)
    result = runner.invoke(app, ["segment", "photo.png", "-o", "./-", "-k", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir("-")) == ["boundaries.png", "flats.png", "labels.png",
                                       "overlay.png", "regions.csv", "segmented.png",
                                       "segments.json"]


def test_cli_default_outdir_and_summary_line(photo_path):
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "3"])
    assert result.exit_code == 0, result.output
    assert (photo_path.parent / "photo.segments" / "segments.json").exists()
    assert "regions from 3 clusters" in result.stdout


def test_cli_weights_are_passed(photo_path, tmp_path):
    out = tmp_path / "w"
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "3", "-o", str(out),
                                 "-w", "texture=0", "-w", "xy=0", "--json"])
    assert result.exit_code == 0, result.output
    weights = json.loads(result.stdout)["weights"]
    assert weights == {"color": 1.0, "intensity": 0.0, "xy": 0.0, "texture": 0.0}


def test_cli_a_weight_typed_minus_0_is_recorded_as_0(photo_path, tmp_path):
    # -w texture=-0 was written "texture": -0.0 to --json and segments.json.
    out = tmp_path / "w"
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(out),
                                 "-w", "texture=-0", "--json"])
    assert result.exit_code == 0, result.output
    for text in (result.stdout, (out / "segments.json").read_text()):
        assert '"texture": 0.0' in text and "-0.0" not in text


@pytest.mark.parametrize(("args", "match"), [
    (["-w", "edges=1"], "expected one of 'color', 'intensity', 'xy', 'texture'"),
    # the names quoted as the other weight errors quote them
    (["-w", "texture"], "-w 'texture' is not valid; expected NAME=NUMBER with NAME one of "
     "'color', 'intensity', 'xy', 'texture', e.g. -w texture=2"),
    (["-w", "texture=-1"], "-w texture=-1 should be >= 0"),
    # several in one -w were refused as any other text, without saying how to give them
    (["-w", "color=1,texture=0"], "quantize: error: -w 'color=1,texture=0' is not valid; "
     "expected one NAME=NUMBER per -w: -w color=1 -w texture=0\n"),
    (["-w", "color=1, tex=0"], "-w 'color=1, tex=0' is not valid; expected NAME=NUMBER with "
     "NAME one of 'color', 'intensity', 'xy', 'texture', e.g. -w texture=2"),
    (["-w", "xy=nan"], "finite"),
    (["-k", "0"], "-k/--clusters=0 should be >= 1"),
    (["--regions", "0"], "--regions=0 should be >= 1"),
    (["--min-region", "-3"], "--min-region=-3 should be >= 0"),
    (["--max-pixels", "0"], "quantize: error: --max-pixels=0 should be >= 1\n"),
    (["--regions", "3", "-k", "3"], "-k/--clusters=3 and --regions=3 both given; expected one "
                                    "of them (-k/--clusters=K: k-means clusters, "
                                    "--regions=N: a hierarchy cut)"),
    (["-w", "color=1e308"], "-w color=1e308 should be <= 1e6"),
    # without -k: the hierarchy, which does not count weights relative to each other only
    (["-w", "color=1e-7"], "quantize: error: -w color=1e-7 should be 0 or >= 1e-6; with "
     "k-means, where weights count relative to each other, a smaller one is lost beside a "
     "weight of 1 in the float32 distances (the hierarchy takes the same range)\n"),
    (["--space", "hsv"], "--space='hsv' is not valid"),
    (["--space", "rgb"], "--space='rgb' applies to k-means clusters only (-k/--clusters=K)"),
])
def test_cli_usage_errors(photo_path, tmp_path, args, match):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert match in result.stderr
    assert "Traceback" not in result.output


_GROUP_NAMES = "'color', 'intensity', 'xy', 'texture'"
_NO_NUMBER = "expected NAME=NUMBER with NUMBER a plain decimal number, e.g. 2, 0.5 or 1e-3"
_NO_NAME = f"expected NAME=NUMBER with NAME one of {_GROUP_NAMES}, e.g. -w texture=2"


@pytest.mark.parametrize(("pair", "expected"), [
    ("=1", _NO_NAME),  # a number without a name
    (" =1", _NO_NAME),
    ("color=", _NO_NUMBER),  # a name without a number
    ("color==1", _NO_NUMBER),
    ("color=1,", _NO_NAME),  # a comma, but not between weights
    ("color=1,tex=0", _NO_NAME),
    ("color=two,foo=1", _NO_NAME),
    # several weights in one -w: said so, their values as typed, checked or not
    ("color,xy", "expected one NAME=NUMBER per -w: -w color=NUMBER -w xy=NUMBER"),
    (" color=1 , xy=two", "expected one NAME=NUMBER per -w: -w color=1 -w xy=two"),
    ("xy=1,xy=2,texture=0", "expected one NAME=NUMBER per -w: -w xy=1 -w xy=2 -w texture=0"),
])
def test_parse_weights_says_what_an_item_lacks(pair, expected):
    from quantize.cli.segment import parse_weights

    with pytest.raises(ValueError) as error:
        parse_weights(["xy=1", pair])
    assert str(error.value) == f"-w {pair!r} is not valid; {expected}"


def test_parse_weights_leaves_an_odd_name_to_the_weights_check():
    from quantize.cli.segment import parse_weights

    assert parse_weights(["x,y=1", " xy = 2 "]) == {"x,y": 1.0, "xy": 2.0}


def test_cli_overlay_color_draws_the_borders_in_it_and_changes_no_other_output(tmp_path):
    # only the Python API could change the red, which vanishes on a red subject
    src = tmp_path / "two.png"
    Image.fromarray(_halves()).save(src)
    for name, args in (("red", []), ("cyan", ["--overlay-color", "cyan"]),
                       ("hex", ["--overlay-color", "#FF8000"]),
                       ("named-red", ["--overlay-color", "Red"])):
        result = runner.invoke(app, ["segment", str(src), "--regions", "2",
                                     "-o", str(tmp_path / name), *args])
        assert result.exit_code == 0, result.output
    borders = read(tmp_path / "red" / "boundaries.png")
    assert borders.sum() == 12  # the dark half's last column
    for name, color in (("red", (255, 0, 0)), ("cyan", (0, 255, 255)),
                        ("hex", (255, 128, 0))):
        overlay = read(tmp_path / name / "overlay.png")
        assert np.unique(overlay[borders], axis=0).tolist() == [list(color)]
        np.testing.assert_array_equal(overlay[~borders], _halves()[~borders])
        for other in ("labels.png", "segmented.png", "boundaries.png"):
            assert (tmp_path / name / other).read_bytes() == (
                tmp_path / "red" / other).read_bytes()
    assert (tmp_path / "named-red" / "overlay.png").read_bytes() == (
        tmp_path / "red" / "overlay.png").read_bytes()
    # the record is that of a run without it: the colour shapes overlay.png alone
    record = json.loads((tmp_path / "cyan" / "segments.json").read_text())
    assert record == {**json.loads((tmp_path / "red" / "segments.json").read_text()),
                      "outdir": str(tmp_path / "cyan")}


@pytest.mark.parametrize(("colour", "said"), [
    ("reddish", "is not valid; expected a colour name (red, cyan, yellow, ...), #rrggbb, #rgb, "
                "rrggbb, rgb(r,g,b), rgb(r g b) or hsl(h,s%,l%)"),
    ("", "is not valid; expected a colour name (red, cyan, yellow, ...), #rrggbb, #rgb, "
         "rrggbb, rgb(r,g,b), rgb(r g b) or hsl(h,s%,l%)"),
    ("rgb(300, 0, 0)", "is out of range; expected levels 0..255 (rgb(r,g,b)), or percentages "
                       "0..100%"),
])
def test_cli_a_bad_overlay_color_is_one_line_and_makes_no_folder(photo_path, tmp_path, colour,
                                                                 said):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "x"),
                                 "--overlay-color", colour])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --overlay-color={colour!r} {said}\n")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("colour", ["#00ff0080", "rgba(0, 255, 0, 128)"])
def test_cli_an_overlay_color_with_alpha_is_refused_for_its_alpha(photo_path, tmp_path, colour):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "x"),
                                 "--overlay-color", colour])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --overlay-color={colour!r} has alpha, which an overlay's opaque "
           "borders cannot draw; expected a colour without it (red, cyan, ...) or #rrggbb\n")
    assert not (tmp_path / "x").exists()


def test_cli_a_folder_carries_the_overlay_color_into_the_batch_call(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    result = runner.invoke(app, ["segment", "photos", "--overlay-color", "#0ff"])
    assert (result.exit_code, result.stderr) == (
        1, "quantize: error: photos: is a directory, expected an image file; for every "
           "image in it: quantize batch photos -o OUT_DIR --mode segment --overlay-color "
           "'#0ff'\n")


@pytest.mark.parametrize("k", ["257", "20000", "100000"])
def test_cli_too_many_clusters_is_a_usage_error_before_any_work(photo_path, tmp_path, k):
    out = tmp_path / "s"
    result = runner.invoke(app, ["segment", str(photo_path), "-k", k, "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: -k/--clusters={k} should be <= 256; for many "
                             "regions, cut the region hierarchy with --regions=N instead\n")
    assert result.stdout == ""
    assert not out.exists()


def test_cli_the_largest_cluster_count_is_in_the_help():
    result = runner.invoke(app, ["segment", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "K at most 256: use --regions N for many regions" in text
    assert "Colour space of the color feature with -k: rgb or lab" in text
    assert "Writes into the output folder (-o), segments.json last: labels.png 16-bit" in text


def test_cli_the_help_names_every_output_and_every_region_statistic():
    # It named the files alone: not labels.png's 16 bits, nor what segments.json holds.
    from quantize.segment_file import OUTPUT_FILES

    text = " ".join(runner.invoke(app, ["segment", "--help"]).stdout.split())
    listed = text[text.index("Writes into"):text.index("By default")]
    for name in (*OUTPUT_FILES, EDGES_FILE):
        assert f" {name} " in listed
    fields = segment(np.zeros((4, 4, 3), np.uint8), regions=1).region_stats()[0]
    # ... nor the units of the statistics: pixels, and colours 0..255.
    assert listed.endswith("per region: label, cluster, area (pixels), perimeter (its "
                           "pixels with a 4-neighbour in another region or on the image's "
                           "edge), bbox [row_min, "
                           "col_min, row_max, col_max) (pixel indices, maxima excluded), "
                           "centroid [row, col] (mean pixel index), inner_point [row, col] "
                           "(the pixel index farthest from its edge), mean_color [r, g, b] "
                           "(sRGB 0..255, of the visible pixels), with --stretch mean_input, "
                           "std_input, min_input, max_input (the input's own values, of the "
                           "visible pixels; [v] of a grey input, [r, g, b] else), "
                           "segmented_color [r, g, b] "
                           "(integers, as segmented.png fills it), area_um2 and "
                           "perimeter_um (square micrometres and micrometres, of a TIFF "
                           "that states its pixels' size, pixel_size_um) and, when none of "
                           "its pixels is visible, transparent ")
    assert [f for f in fields if f" {f} " not in listed.replace(",", " ")] == []


def test_cli_the_smooth_help_gives_the_recipe_that_keeps_small_objects():
    """It said that --smooth 0 keeps small objects (nuclei, stars); with the default texture
    weight, -k 2 --smooth 0 --min-region 0 found 129 of 284 nuclei."""
    text = " ".join(runner.invoke(app, ["segment", "--help"]).stdout.split())
    smooth = text[text.index("--smooth PX"):text.index("--working-size")]
    assert "so small objects (nuclei, stars) keep their regions" not in smooth
    assert ("Alone it does not keep small objects (nuclei, stars): with the default texture "
            "weight, k-means sees them through the texture window and loses most of them "
            "before any smoothing; for them give --smooth 0 --min-region 0 -w texture=0 -w "
            "xy=0 (k-means on colour alone)") in smooth


def test_cli_the_regions_help_gives_the_smallest_region_and_a_way_past_it(tmp_path):
    # It did not say that no region of the hierarchy is smaller than a piece of a
    # superpixel; the way it gives round that keeps a 2 x 2 dot of a 40 x 40 image.
    text = " ".join(runner.invoke(app, ["segment", "--help"]).stdout.split())
    assert ("No region is smaller than a piece of a superpixel, 9 pixels on small images, "
            "about 1/2400 of the image on larger ones: a smaller detail comes out with some "
            "of its surroundings. ") in text
    way = text.split("of its surroundings. ")[1].split(" keeps smaller details")[0]
    way = way.replace("- ", "-")  # the help's wrapping may break a flag after its hyphen
    assert way == "-k 2 --smooth 0 --min-region 0 -w xy=0 -w texture=0"
    image = np.full((40, 40, 3), 200, np.uint8)
    image[20:22, 20:22] = (200, 0, 0)
    Image.fromarray(image).save(tmp_path / "dot.png")
    for args, dot in ((["--regions", "2"], 48), (way.split(), 4)):
        out = tmp_path / "-".join(args)
        result = runner.invoke(app, ["segment", str(tmp_path / "dot.png"), *args, "-o", str(out)])
        assert result.exit_code == 0, result.stderr
        labels = read(out / "labels.png")
        assert (labels[20:22, 20:22] == labels[20, 20]).all()
        assert ((labels == labels[20, 20]).sum(), int(labels.max())) == (dot, 2)


def test_cli_existing_output_exit_15(photo_path, tmp_path):
    out = tmp_path / "seg"
    args = ["segment", str(photo_path), "-k", "3", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 15
    assert result.stderr == (f"quantize: error: {photo_path}: {out}/labels.png: output exists; "
                             "use --force to overwrite\n")
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_cli_outputs_overwritten_with_force_keep_their_permissions(photo_path, tmp_path):
    out = tmp_path / "seg"
    args = ["segment", str(photo_path), "-k", "3", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    (out / "labels.png").chmod(0o600)
    (out / "segments.json").chmod(0o664)
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    modes = {p.name: p.stat().st_mode & 0o7777 for p in out.iterdir()}
    assert (modes.pop("labels.png"), modes.pop("segments.json")) == (0o600, 0o664)
    assert set(modes.values()) == {0o666 & ~_umask()}


def test_cli_force_writes_through_links_in_the_output_folder(photo_path, tmp_path):
    # --force replaced each link with a regular file, the files it led to left as they were.
    out, kept = tmp_path / "seg", tmp_path / "kept"
    args = ["segment", str(photo_path), "-k", "3", "-o", str(out)]
    assert runner.invoke(app, [*args[:-1], str(kept)]).exit_code == 0
    assert runner.invoke(app, [*args[:-1], str(tmp_path / "plain")]).exit_code == 0
    out.mkdir()
    for name in ("labels.png", "overlay.png", "segments.json"):
        (kept / name).write_bytes(b"old")
        (out / name).symlink_to(kept / name)
    refused = runner.invoke(app, args)
    assert refused.exit_code == 15
    assert refused.stderr == (f"quantize: error: {photo_path}: {out}/labels.png: output exists "
                              f"(a link to '{kept}/labels.png', the file that would be "
                              "overwritten); use --force to overwrite\n")
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.stderr
    for name in ("labels.png", "overlay.png"):
        assert os.readlink(out / name) == str(kept / name)
        assert (kept / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
    assert os.readlink(out / "segments.json") == str(kept / "segments.json")
    record = json.loads((kept / "segments.json").read_text())
    assert record["region_stats"] == json.loads(
        (tmp_path / "plain" / "segments.json").read_text())["region_stats"]


def test_cli_two_outputs_linked_to_one_file_are_refused_before_any_work(photo_path,
                                                                        tmp_path):
    # segmented.png -> labels.png: labels.png was written, then replaced, exit 0.
    out = tmp_path / "seg"
    args = ["segment", str(photo_path), "-k", "3", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    (out / "segmented.png").unlink()
    (out / "segmented.png").symlink_to("labels.png")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: {photo_path}: {out}: segmented.png and "
                             "labels.png are one file through a link, where one would "
                             "replace the other; remove the link\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert (out / "segmented.png").is_symlink()


class _Killed(BaseException):
    """Stands for SIGKILL: raised where a kill would stop the process, nothing put back."""


@pytest.mark.parametrize("linked", [False, True])
def test_cli_a_run_killed_after_removing_segments_json_shows_an_unfinished_folder(
        photo_path, tmp_path, monkeypatch, linked):
    """Killed between removing segments.json (through a link: the file it leads to) and
    renaming the new outputs: the folder shows an unfinished job, a link kept leading
    nowhere as a regular file is gone. The next run refuses without --force, as for a
    regular file, and --force writes through the link, keeping it."""
    from quantize.io import write

    out, site = tmp_path / "seg", tmp_path / "site"
    args = ["segment", str(photo_path), "-k", "3", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    if linked:
        site.mkdir()
        (out / "segments.json").rename(site / "seg.json")
        (out / "segments.json").symlink_to(site / "seg.json")

    def killed(staged, removed, kept, came):
        for path in removed:
            path.unlink(missing_ok=True)
        raise _Killed

    with monkeypatch.context() as patched:
        patched.setattr(write, "_put_in_place", killed)
        with pytest.raises(_Killed):
            runner.invoke(app, ["segment", str(photo_path), "-k", "2", "-o", str(out),
                                "--force"], catch_exceptions=False)
    assert not (out / "segments.json").exists()
    assert (out / "segments.json").is_symlink() == linked
    refused = runner.invoke(app, args)
    assert refused.exit_code == 15
    assert refused.stderr == (f"quantize: error: {photo_path}: {out}/labels.png: output "
                              "exists; use --force to overwrite\n")
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert json.loads((out / "segments.json").read_text())["n_clusters"] == 3
    if linked:
        assert os.readlink(out / "segments.json") == str(site / "seg.json")


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_cli_a_stream_redirected_onto_the_input_is_refused(photo_path, tmp_path, stream):
    before = photo_path.read_bytes()
    here = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with open(photo_path, "ab") as appended, open(tmp_path / "other.txt", "wb") as other:
        streams = {"stdout": other, "stderr": other, stream: appended}
        code = subprocess.run([sys.executable, "-m", "quantize", "segment", str(photo_path),
                               "-k", "2", "-o", str(tmp_path / "seg")], **streams,
                              stdin=subprocess.DEVNULL, timeout=60, env=here).returncode
    assert code == 2 and photo_path.read_bytes() == before
    assert (tmp_path / "other.txt").read_text() == (
        f"quantize: error: {stream} is {photo_path}, the input; what quantize prints there "
        "would be written into it: redirect it to another file\n")
    assert not (tmp_path / "seg").exists()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_cli_unreadable_input_exit_1(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    result = runner.invoke(app, ["segment", str(bad), "-o", str(tmp_path / "seg")])
    assert result.exit_code == 1
    assert "bad.png" in result.stderr


def test_cli_missing_input_creates_no_default_folder(tmp_path):
    missing = tmp_path / "nothere.jpg"
    result = runner.invoke(app, ["segment", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {missing}: no such file\n"
    assert list(tmp_path.iterdir()) == []


def test_cli_a_missing_input_is_named_before_the_outputs_of_an_earlier_run(tmp_path):
    (tmp_path / "gone.segments").mkdir()
    (tmp_path / "gone.segments" / "labels.png").write_bytes(b"earlier run")
    missing = tmp_path / "gone.png"
    result = runner.invoke(app, ["segment", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {missing}: no such file\n"


@pytest.mark.parametrize("folder", ["/", "."])
def test_cli_a_folder_without_a_file_name_is_refused_in_one_line(tmp_path, monkeypatch, folder):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["segment", folder])
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {folder}: is a directory, expected an image "
                             f"file; for every image in it: quantize batch {folder} -o OUT_DIR "
                             "--mode segment\n")
    assert list(tmp_path.iterdir()) == []
    assert not Path("/.segments").exists()


def test_cli_a_folder_is_pointed_to_batch_with_the_options_given(tmp_path, monkeypatch):
    # The line said "quantize batch photos -o OUT_DIR --mode segment" whatever was given.
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    result = runner.invoke(app, ["segment", "photos", "-k", "3", "-w", "texture=0", "-w",
                                 "xy=0.5", "--space", "rgb", "-o", "my regions", "--edges",
                                 "--min-region", "20", "--seed", "2", "-q"])
    assert result.exit_code == 1
    assert result.stderr == ("quantize: error: photos: is a directory, expected an image "
                             "file; for every image in it: quantize batch photos -o "
                             "'my regions' --mode segment -k 3 --edges --space rgb -w texture=0 "
                             "-w xy=0.5 --min-region 20 --seed 2 -q\n")
    assert [p.name for p in tmp_path.iterdir()] == ["photos"]


def test_cli_a_folder_is_pointed_to_batch_without_force(tmp_path, monkeypatch):
    # segment photos --force proposed "quantize batch photos -o OUT_DIR --mode segment
    # --force", which redoes every file batch finished before and overwrites any output.
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    result = runner.invoke(app, ["segment", "photos", "--force", "--regions", "4"])
    assert result.exit_code == 1
    assert result.stderr == ("quantize: error: photos: is a directory, expected an image "
                             "file; for every image in it: quantize batch photos -o OUT_DIR "
                             "--mode segment --regions 4 (--force left out: in batch it "
                             "redoes every file, also those done before)\n")


@pytest.mark.parametrize("args, message", [
    (["-k", "0"], "-k/--clusters=0 should be >= 1"),
    (["-w", "foo=1"], "-w/--weight name='foo' is not valid; expected one of 'color', "
     "'intensity', 'xy', 'texture'"),
    (["--space", "rgb"], "--space='rgb' applies to k-means clusters only (-k/--clusters=K); "
     "the region hierarchy works in CIELAB, so expected --space='lab' without them"),
    (["-q", "--json"], "-q/--quiet and --json both given; expected one of them"),
])
def test_cli_a_folder_with_a_bad_option_names_the_option_not_a_batch_call(tmp_path,
                                                                          monkeypatch, args,
                                                                          message):
    # segment photos -k 0 proposed "quantize batch photos -o OUT_DIR --mode segment -k 0",
    # which batch refused: the option is named first, as reduce names it.
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    result = runner.invoke(app, ["segment", "photos", *args])
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["photos"]


def test_cli_a_folder_with_an_output_that_is_a_file_names_the_output(tmp_path, monkeypatch):
    # segment photos -o notes.txt proposed "quantize batch photos -o notes.txt --mode
    # segment", which batch refused: -o is an existing file.
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    Path("notes.txt").write_text("kept")
    result = runner.invoke(app, ["segment", "photos", "-o", "notes.txt"])
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: -o/--output='notes.txt' is an existing file; expected a folder\n")
    assert Path("notes.txt").read_text() == "kept"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_cli_a_pipe_as_the_output_folder_or_in_it_is_refused(tmp_path, monkeypatch, force):
    """-o fifo was said to be 'an existing file'; a FIFO at out/labels.png was replaced by
    a file with --force."""
    import stat

    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save("in.png")
    os.mkfifo("fifo")
    result = runner.invoke(app, ["segment", "in.png", "-o", "fifo", *force])
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: -o/--output='fifo' is a pipe, device or socket; expected a "
        "folder\n")
    Path("out").mkdir()
    os.mkfifo("out/labels.png")
    result = runner.invoke(app, ["segment", "in.png", "-o", "out", *force])
    assert (result.exit_code, result.stderr) == (
        1, "quantize: error: in.png: out/labels.png: is a pipe, device or socket, not a "
        "regular file; expected an output file name (an output is put in place whole, "
        "which would replace it)\n")
    assert stat.S_ISFIFO(os.lstat("out/labels.png").st_mode)
    assert os.listdir("out") == ["labels.png"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_cli_a_pipe_at_segments_json_is_refused_unread(tmp_path, force):
    """The earlier run's record, out/segments.json, was read before the outputs were
    checked: a FIFO there made segment wait for a writer for ever. Run in a process of its
    own, so that such a wait fails the test instead of hanging it."""
    import stat

    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(tmp_path / "in.png")
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "segments.json")
    try:
        result = subprocess.run([sys.executable, "-m", "quantize", "segment", "in.png", "-o",
                                 "out", *force], capture_output=True, text=True, timeout=60,
                                cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("segment waited for a writer of out/segments.json")
    assert (result.returncode, result.stderr) == (
        1, "quantize: error: in.png: out/segments.json: is a pipe, device or socket, not a "
        "regular file; expected an output file name (an output is put in place whole, which "
        "would replace it)\n")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "out" / "segments.json").st_mode)
    assert os.listdir(tmp_path / "out") == ["segments.json"]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "file is empty (0 bytes), expected an image"),
    (b"plain text\n", "not an image Pillow can identify"),
])
def test_cli_unreadable_input_leaves_no_output_folder(tmp_path, data, reason):
    src = tmp_path / "in.png"
    src.write_bytes(data)
    for args in ([], ["-o", str(tmp_path / "out" / "seg")]):
        result = runner.invoke(app, ["segment", str(src), "-k", "3", *args])
        assert result.exit_code == 1
        assert result.stderr == f"quantize: error: {src}: {reason}\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_cli_a_proc_file_is_not_an_image_not_an_empty_file(tmp_path):
    """/proc/cpuinfo says 0 bytes and holds text: 'file is empty (0 bytes)'."""
    src = Path("/proc/cpuinfo")
    if not src.is_file() or src.stat().st_size != 0:
        pytest.skip(f"no {src} of size 0 here")
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: not an image Pillow can identify\n"
    assert list(tmp_path.iterdir()) == []


def test_cli_a_cut_gif_is_one_line_not_a_traceback(tmp_path):
    frames = [Image.new("RGB", (8, 6), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    whole = tmp_path / "whole.gif"
    frames[0].save(whole, save_all=True, append_images=frames[1:])
    src = tmp_path / "cut.gif"
    data = whole.read_bytes()  # cut inside its second frame's graphic control extension
    src.write_bytes(data[:data.index(b"\x21\xf9\x04", data.index(b"\x21\xf9\x04") + 1) + 5])
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "seg")])
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {src}: cannot decode image (truncated or "
                             "malformed file: index out of range)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.gif", "whole.gif"]


def test_cli_an_output_folder_name_too_long_is_one_line(photo_path, tmp_path):
    """Checking whether -o was a file raised 'File name too long' as a traceback."""
    outdir = tmp_path / ("x" * 300)
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(outdir)])
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {outdir}: name too long: 300 bytes, and a file "
                             "name may have at most 255; choose a shorter output name, or "
                             "shorten the name of the input it is made from\n")
    assert [p.name for p in tmp_path.iterdir()] == ["photo.png"]


def test_cli_a_default_output_folder_name_too_long_says_what_to_do(photo_path, tmp_path):
    # A 250-byte stem: the folder stem.segments is 259 bytes, which the system refused
    # with "File name too long" alone.
    src = photo_path.rename(tmp_path / ("s" * 250 + ".png"))
    result = runner.invoke(app, ["segment", str(src), "-k", "2"])
    assert result.exit_code == 1
    folder = tmp_path / ("s" * 250 + ".segments")
    assert result.stderr == (f"quantize: error: {src}: {folder}: name "
                             "too long: 259 bytes, and a file name may have at most 255; choose "
                             "a shorter output name, or shorten the name of the input it is "
                             "made from\n")
    assert [p.name for p in tmp_path.iterdir()] == [src.name]


def test_cli_regions_gives_that_many_regions(photo_path, tmp_path):
    for n in (1, 3, 5):
        out = tmp_path / f"r{n}"
        result = runner.invoke(app, ["segment", str(photo_path), "--regions", str(n),
                                     "-o", str(out), "--json", "--edges"])
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert record["n_regions"] == n and record["regions"] == n
        assert int(read(out / "labels.png").max()) == n
        assert (out / EDGES_FILE).exists()


def test_cli_default_is_the_hierarchy_cut(photo_path, tmp_path):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "from the region hierarchy" in result.stdout
    record = json.loads((tmp_path / "d" / "segments.json").read_text())
    assert record["n_clusters"] is None and record["clusters_used"] is None
    labels = read(tmp_path / "d" / "labels.png")
    np.testing.assert_array_equal(labels, segment(read(photo_path)).labels)


def _halves():
    """A 12 x 24 RGB image: its left half black, its right half grey 200."""
    img = np.zeros((12, 24, 3), np.uint8)
    img[:, 12:] = 200
    return img


def _fed_pipe(path, data):
    """A named pipe at ``path`` with a writer giving it ``data`` (joined by the caller)."""
    import threading

    os.mkfifo(path)
    writer = threading.Thread(target=path.write_bytes, args=(data,), daemon=True)
    writer.start()
    return writer


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_cli_a_pipe_with_an_output_folder_is_read_once_and_named_as_given(photo_path,
                                                                          tmp_path):
    """'segment <(cat photo.png) -o out' exited 1 ('is a pipe or device, not a file'), while
    reduce read a pipe by saving it first."""
    pipe = tmp_path / "63"
    writer = _fed_pipe(pipe, photo_path.read_bytes())
    result = runner.invoke(app, ["segment", str(pipe), "-o", str(tmp_path / "s"), "--json"])
    writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["input"] == str(pipe)
    document = json.loads((tmp_path / "s" / "segments.json").read_text())
    assert (document["input"], document["input_path"]) == (str(pipe), None)
    np.testing.assert_array_equal(read(tmp_path / "s" / "labels.png"),
                                  segment(read(photo_path)).labels)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_cli_only_a_pipe_makes_a_scratch_folder(photo_path, tmp_path, monkeypatch):
    """A file read by name needs no temporary folder, as for reduce; a pipe's copy gets
    one, removed after."""
    made = count_temporary_folders(monkeypatch)
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert made == []
    writer = _fed_pipe(tmp_path / "63", photo_path.read_bytes())
    result = runner.invoke(app, ["segment", str(tmp_path / "63"), "-o", str(tmp_path / "p")])
    writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert len(made) == 1 and not os.path.exists(made[0])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_cli_a_pipe_that_holds_no_image_is_named_as_given(tmp_path):
    pipe = tmp_path / "63"
    writer = _fed_pipe(pipe, b"not a picture\n")
    result = runner.invoke(app, ["segment", str(pipe), "-o", str(tmp_path / "s")])
    writer.join(timeout=10)
    assert (result.exit_code, result.stderr) == (
        1, f"quantize: error: {pipe}: not an image Pillow can identify\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["63"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_cli_a_pipe_without_an_output_folder_is_refused_unread(tmp_path):
    # No folder can be named after a pipe: -o names it, as reduce asks for -o.
    os.mkfifo(tmp_path / "63")
    result = runner.invoke(app, ["segment", str(tmp_path / "63")])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {tmp_path / '63'}: is a pipe or device, not a file, so no "
           "output can be named after it; name the output with -o\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["63"]


def test_cli_stdin_with_an_output_folder_is_read_and_named_as_given(photo_path, tmp_path):
    """'segment - -o out < photo.png' was refused ('segment does not read stdin (its outputs
    are a folder of files)'), while 'segment <(cat photo.png) -o out' was read."""
    result = runner.invoke(app, ["segment", "-", "-o", str(tmp_path / "s"), "--json"],
                           input=photo_path.read_bytes())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["input"] == "-"
    document = json.loads((tmp_path / "s" / "segments.json").read_text())
    assert (document["input"], document["input_path"]) == ("-", None)
    np.testing.assert_array_equal(read(tmp_path / "s" / "labels.png"),
                                  segment(read(photo_path)).labels)


@pytest.mark.parametrize("args, data, code, message", [
    # no folder can be named after stdin
    ([], b"x", 2, "INPUT='-': no output folder can be named after stdin; name it with -o "
                  "(quantize segment - -o DIR < photo.png)"),
    (["-o", "x"], b"not a picture\n", 1, "-: not an image Pillow can identify"),
    (["-o", "x"], b"", 1, "-: file is empty (0 bytes), expected an image"),
])
def test_cli_stdin_that_cannot_be_segmented_is_one_line(tmp_path, monkeypatch, args, data,
                                                        code, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["segment", "-", *args], input=data)
    assert (result.exit_code, result.stderr) == (code, f"quantize: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_cli_stdin_of_several_images_is_refused_not_read_as_its_first(tmp_path,
                                                                       monkeypatch):
    """ffmpeg's image2pipe sends PNG after PNG: the first was segmented, the others dropped
    without a word."""
    monkeypatch.chdir(tmp_path)
    pngs = []
    for value in (0, 120, 240):
        buffer = io.BytesIO()
        Image.new("RGB", (4, 3), (value, 0, 0)).save(buffer, "PNG")
        pngs.append(buffer.getvalue())
    result = runner.invoke(app, ["segment", "-", "-o", "x"], input=b"".join(pngs))
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: -: stdin holds 3 PNG images, one after another "
           f"({len(pngs[1]) + len(pngs[2]):,} bytes after the first); segment reads one: "
           "send one at a time\n")
    assert list(tmp_path.iterdir()) == []


def test_cli_stdin_that_is_a_terminal_is_refused_before_any_work(tmp_path):
    """Read from a terminal, 'segment - -o out' would wait for an image to be typed in."""
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "quantize", "segment", "-", "-o", "out"],
                              stdin=follower, capture_output=True, cwd=tmp_path, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert (done.returncode, done.stderr.decode()) == (
        2, "quantize: error: -: stdin is a terminal; pipe an image in (quantize segment - -o "
           "DIR < photo.png), or name the file\n")
    assert list(tmp_path.iterdir()) == []


def test_cli_stdout_is_refused_in_one_line(photo_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["segment", str(photo_path), "-o", "-"])
    assert result.exit_code == 2
    assert result.stderr == ("quantize: error: -o/--output='-': segment does not write to "
                             "stdout (its outputs are a folder of files); expected a folder\n")
    assert not (tmp_path / "-").exists()


def test_cli_a_non_utf8_name_is_shown_with_its_bytes_escaped(tmp_path):
    """Lines, --json and segments.json show an undecodable byte as \\xff (the JSON held
    \\udcff escapes, which most JSON readers refuse or replace)."""
    name = b"logo\xff.png".decode("utf-8", "surrogateescape")
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[2:6, 2:6] = [200, 30, 30, 255]                   # transparent around: a warning
    Image.fromarray(rgba).save(tmp_path / name)
    result = runner.invoke(app, ["segment", str(tmp_path / name), "-k", "2",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "quantize: warning: " in result.stderr and "logo\\xff.png: " in result.stderr
    assert "logo\\xff.png -> " in result.stdout
    written = json.loads((tmp_path / "out" / "segments.json").read_bytes().decode("utf-8"))
    as_json = runner.invoke(app, ["segment", str(tmp_path / name), "-k", "2", "--json",
                                  "-o", str(tmp_path / "out2")])
    assert json.loads(as_json.stdout)["input"] == written["input"] == (
        f"{tmp_path}/logo\\xff.png")
    assert "\\udcff" not in result.stdout + result.stderr


def test_ctrl_c_says_how_to_finish_and_exits_130(tmp_path, monkeypatch):
    src = tmp_path / "flat.png"
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(src)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("quantize.segment_file.segment_pixels", interrupted)
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "s")])
    assert result.exit_code == 130
    assert result.stderr.strip() == ("quantize: error: interrupted; rerun the same command "
                                     "to finish")
    assert not (tmp_path / "s").exists()


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize(("name", "code", "said"), [
    pytest.param("SIGINT", 130, "interrupted", id="ctrl-c"),
    pytest.param("SIGTERM", 143, "interrupted by SIGTERM", id="sigterm")])
def test_an_interrupt_once_the_outputs_are_in_place_waits_for_the_line(
        tmp_path, monkeypatch, python_sigint, name, code, said):
    """A Ctrl-C or SIGTERM landing once the outputs were put in place stopped the command
    without its line (the folder written, not reported): the line comes first now, and the
    error names the folder written."""
    import signal

    from quantize import segment_file
    from quantize._sigterm import sigterm_as_interrupt

    src = tmp_path / "flat.png"
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(src)
    real = segment_file.write_together

    def then_signalled(*args, **kwargs):
        real(*args, **kwargs)
        signal.raise_signal(getattr(signal, name))

    monkeypatch.setattr(segment_file, "write_together", then_signalled)
    out = tmp_path / "s"
    with sigterm_as_interrupt():
        result = runner.invoke(app, ["segment", str(src), "-o", str(out)])
    assert result.exit_code == code
    assert result.stdout.startswith(f"{src} -> {out}: 1 region ")
    assert result.stderr == f"quantize: error: {said} after writing {out}\n"
    assert json.loads((out / "segments.json").read_text())["n_regions"] == 1


def test_file_names_with_control_characters_are_shown_escaped_on_one_line(tmp_path):
    esc = tmp_path / "esc\x1b[31m.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(esc)  # one colour: a warning with -k 2
    result = runner.invoke(app, ["segment", str(esc), "-k", "2", "-w", "xy=0"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {tmp_path}/esc\\x1b[31m.png: -k/--clusters=2 "
                             "but the image has only 1 distinct feature vector; using 1 "
                             "cluster\n")
    assert result.stdout.startswith(
        f"{tmp_path}/esc\\x1b[31m.png -> {tmp_path}/esc\\x1b[31m.segments: 1 region")
    assert len(result.stdout.splitlines()) == 1
    record = json.loads(runner.invoke(app, ["segment", str(esc), "--json", "--force"]).stdout)
    assert record["input"] == str(esc)


def test_an_error_about_a_file_shows_its_name_escaped_on_one_line(tmp_path):
    bad = tmp_path / "bad\nn_colors=3\x1b.png"
    bad.write_text("not a picture\n")
    result = runner.invoke(app, ["segment", str(bad)])
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {tmp_path}/bad\\nn_colors=3\\x1b.png: not an "
                             "image Pillow can identify\n")


def test_cli_quiet_prints_only_warnings_as_reduce_q_does(photo_path, tmp_path):
    rgba = Image.open(photo_path).convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    rgba.save(tmp_path / "alpha.png")
    out = tmp_path / "q"
    result = runner.invoke(app, ["segment", str(tmp_path / "alpha.png"), "-o", str(out),
                                 "--regions", "3", "-q"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"quantize: warning: {tmp_path / 'alpha.png'}: ")
    assert json.loads((out / "segments.json").read_text())["n_regions"] == 3


def test_the_regions_help_gives_the_superpixel_count_the_warning_bears_out(tmp_path):
    """--regions's help said "about 600 at most" superpixels; --regions 5000 gave 998 on
    300 x 300 pixels of noise, where cells fall into pieces. With --superpixels 600 (the
    default's count) the cut stops there; without it, cells of 6 pixels are the limit."""
    shown = " ".join(runner.invoke(app, ["segment", "--help"]).stdout.split())
    assert ("Superpixels: one for each cell of about 1/600 of the image, at least 6 pixels a "
            "side, or for each piece a cell falls into, so about 530 to 900 on a photo, about "
            "1000 on noise, fewer on images under about 140 x 140.") in shown
    assert ("more than the superpixels start the hierarchy from about 2N, unless "
            "--superpixels is given; fewer, with a warning, when cells of 6 pixels are still "
            "too few") in shown
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    for name, img, count in [("plain.png", np.full((300, 300, 3), 90, np.uint8), 625),
                             ("small.png", np.full((130, 130, 3), 90, np.uint8), 484),
                             ("noise.png", noise, 998)]:
        Image.fromarray(img).save(tmp_path / name)  # 25 x 25 cells of 12, 22 x 22 of 6
        result = runner.invoke(app, ["segment", str(tmp_path / name), "--regions", "5000",
                                     "--superpixels", "600",
                                     "-o", str(tmp_path / name.replace(".", "_")), "-q"])
        capped = (f"quantize: warning: {tmp_path / name}: --superpixels=600 is more than the "
                  "130 x 130 working copy holds in cells of at least 6 pixels a side: 484 "
                  "cells of 6 are used, as for any larger number\n") if count == 484 else ""
        assert (result.exit_code, result.stderr) == (
            0, f"{capped}quantize: warning: {tmp_path / name}: --regions=5000 but the image "
               f"has only {count} superpixels; cutting at {count}\n")
    result = runner.invoke(app, ["segment", str(tmp_path / "plain.png"), "--regions", "5000",
                                 "-o", str(tmp_path / "raised"), "-q"])  # 50 x 50 cells of 6
    assert (result.exit_code, result.stderr) == (
        0, f"quantize: warning: {tmp_path / 'plain.png'}: --regions=5000 but the image has only "
           "2500 superpixels; cutting at 2500\n")


def test_cli_quiet_and_json_are_refused_together(photo_path, tmp_path):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "x"),
                                 "-q", "--json"])
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: -q/--quiet and --json both given; expected one of them\n")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("quiet", [False, True])
def test_too_many_regions_for_labels_png_are_labelled_in_labels_tif_with_a_note(
        tmp_path, monkeypatch, quiet):
    """It was refused, exit 2, nothing written, --classes too; the labels now go to a
    32-bit labels.tif, said in a note (-q leaves it out), every other output written."""
    monkeypatch.setattr("quantize.segment_file.MAX_PNG_LABEL", 1)
    src = tmp_path / "two.png"
    Image.fromarray(_halves()).save(src)
    result = runner.invoke(app, ["segment", str(src), "--regions", "2", "--classes",
                                 "-o", str(tmp_path / "s"), *(["-q"] if quiet else [])])
    assert result.exit_code == 0, result.output
    assert result.stderr == ("" if quiet else (
        f"quantize: note: {src}: 2 regions, more than labels.png can number (1): their "
        "labels are in labels.tif (32-bit) instead, the other outputs as usual\n"))
    assert sorted(os.listdir(tmp_path / "s")) == [
        "boundaries.png", "classes.png", "flats.png", "labels.tif", "overlay.png",
        "regions.csv", "segmented.png", "segments.json"]
    with Image.open(tmp_path / "s" / "classes.png") as classes:
        assert np.array_equal(np.asarray(classes), (_halves()[..., 0] > 0).astype(np.uint8))


#: The warning of a PNG whose text chunk is damaged (:func:`_halves_with_a_damaged_text`).
_TEXT_LEFT_OUT = ("bad CRC in a tEXt chunk, metadata the pixels do not depend on: it is left "
                  "out, as libpng leaves a damaged optional chunk, and the image is read")


def _halves_with_a_damaged_text(path, rows=None):
    """:func:`_halves` as a PNG whose tEXt chunk has a bad CRC, read with a warning; with
    ``rows``, its image data cut after that many bytes of compressed data."""
    img = _halves()
    data = zlib.compress(b"".join(b"\0" + row.tobytes() for row in img))
    ihdr = struct.pack(">IIBBBBB", img.shape[1], img.shape[0], 8, 2, 0, 0, 0)
    path.write_bytes(png_of_chunks([(b"IHDR", ihdr), (b"tEXt", b"Comment\0a bit flipped"),
                                    (b"IDAT", data[:rows]), (b"IEND", b"")], damaged=1))


def test_the_warnings_raised_before_an_error_are_said_before_it(tmp_path):
    """A file read with a warning, then refused for a parameter it cannot take (as a
    page past its last is): the error alone was said, where reduce says the warnings
    raised before its error."""
    src = tmp_path / "two.png"
    _halves_with_a_damaged_text(src)
    result = runner.invoke(app, ["segment", str(src), "--regions", "2", "-o",
                                 str(tmp_path / "s"), "-q", "--page", "2"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"quantize: warning: {src}: {_TEXT_LEFT_OUT}\n"
                             f"quantize: error: {src}: --page=2, but the input is a PNG of "
                             "one image; expected a page from 1 to 1\n")
    assert not (tmp_path / "s").exists()


def test_the_warnings_raised_before_an_output_fails_are_said_before_it(tmp_path, monkeypatch):
    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path["labels.png"]))

    monkeypatch.setattr("quantize.segment_file._write_outputs", full)
    src = tmp_path / "two.png"
    _halves_with_a_damaged_text(src)
    out = tmp_path / "s"
    result = runner.invoke(app, ["segment", str(src), "-o", str(out), "--json"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"quantize: warning: {src}: {_TEXT_LEFT_OUT}\n"
                             f"quantize: error: {out / 'labels.png'}: No space left on device\n")


def test_a_warning_said_of_a_file_read_is_not_in_its_json_record(tmp_path):
    src = tmp_path / "two.png"
    _halves_with_a_damaged_text(src)
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"quantize: warning: {src}: {_TEXT_LEFT_OUT}\n"
    assert "warnings" not in json.loads(result.stdout)


def test_a_cut_png_with_a_damaged_text_chunk_is_said_by_its_error_alone(tmp_path):
    src = tmp_path / "cut.png"
    _halves_with_a_damaged_text(src, rows=20)
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "s")])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"quantize: error: {src}: cannot decode image (image file is "
                             "truncated)\n")
    assert not (tmp_path / "s").exists()


def test_a_checkerboard_of_more_regions_than_labels_png_holds_is_segmented_whole(tmp_path):
    """A 300 x 300 checkerboard of single pixels, by colour alone with --min-region 0, end
    to end at the real limit: refused, exit 2, nothing written; now its 73,984 regions are
    numbered in labels.tif and its two classes in classes.png."""
    src = tmp_path / "checker1.png"
    Image.fromarray((np.indices((300, 300)).sum(0) % 2 * 255).astype(np.uint8)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "--min-region", "0",
                                 "-w", "texture=0", "-w", "xy=0", "--classes",
                                 "-o", str(tmp_path / "ck"), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: note: {src}: 73984 regions, more than labels.png "
                             "can number (65535): their labels are in labels.tif (32-bit) "
                             "instead, the other outputs as usual\n")
    record = json.loads(result.stdout)
    assert (record["n_regions"], record["outputs"][0]) == (73984, "labels.tif")
    with Image.open(tmp_path / "ck" / "labels.tif") as wide:
        labels = np.asarray(wide)
    assert (labels.min(), labels.max(), np.unique(labels).size) == (1, 73984, 73984)
    with Image.open(tmp_path / "ck" / "classes.png") as classes:
        found = np.asarray(classes)
    assert np.unique(found).tolist() == [0, 1]  # each region of one class
    assert np.unique(labels.astype(np.int64) * 2 + found).size == 73984


def test_a_folder_holding_another_photos_segmentation_is_named_not_just_existing(tmp_path):
    # photo.png and photo.jpg share the default folder photo.segments.
    img = _halves()
    Image.fromarray(img).save(tmp_path / "photo.png")
    Image.fromarray(img[:, ::-1]).save(tmp_path / "photo.jpg", quality=95)
    first = runner.invoke(app, ["segment", str(tmp_path / "photo.png"), "-q"])
    assert first.exit_code == 0, first.output
    folder = tmp_path / "photo.segments"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = runner.invoke(app, ["segment", str(tmp_path / "photo.jpg")])
    assert second.exit_code == 15
    assert second.stderr == (f"quantize: error: {tmp_path / 'photo.jpg'}: {folder}: holds the "
                             f"segmentation of {str(tmp_path / 'photo.png')!r}; choose another "
                             "output folder, or use --force to replace it\n")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # The same photo again is told that its own outputs exist; --force replaces them.
    again = runner.invoke(app, ["segment", str(tmp_path / "photo.png")])
    assert again.exit_code == 15 and "labels.png: output exists; use --force" in again.stderr
    forced = runner.invoke(app, ["segment", str(tmp_path / "photo.jpg"), "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((folder / "segments.json").read_text())["input"] == str(
        tmp_path / "photo.jpg")


def test_a_default_folder_beside_a_read_only_input_says_to_name_one_with_o(tmp_path,
                                                                           monkeypatch):
    # A dataset folder the user may read but not write: the error named the folder it
    # could not make, not how to write the outputs elsewhere.
    ro = tmp_path / "ro"
    ro.mkdir()
    src = ro / "photo.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src)
    with read_only_folder(monkeypatch, ro):
        default = runner.invoke(app, ["segment", str(src)])
        named = runner.invoke(app, ["segment", str(src), "-o", str(ro / "mine")])
    assert (default.exit_code, default.stdout) == (1, "")
    assert default.stderr == (f"quantize: error: {src}: {ro / 'photo.segments'}: output folder "
                              f"{ro / 'photo.segments'} cannot be created (Permission denied); "
                              "name an output folder elsewhere with -o/--output\n")
    # a folder the user named is not the command's to move
    assert named.stderr == (f"quantize: error: {src}: {ro / 'mine'}: output folder "
                            f"{ro / 'mine'} cannot be created (Permission denied)\n")
    assert [p.name for p in ro.iterdir()] == ["photo.png"]


def test_an_input_named_like_its_default_folder_is_told_to_choose_one(tmp_path):
    src = tmp_path / "scan.segments"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    result = runner.invoke(app, ["segment", str(src)])
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: {src}: the default output folder is the input "
                             "itself (scan.segments); choose a folder with -o\n")
    assert [p.name for p in tmp_path.iterdir()] == ["scan.segments"]
    ok = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "out"), "-q"])
    assert ok.exit_code == 0, ok.output


def test_an_input_named_like_its_default_folder_but_for_case_is_told_to_choose_one(tmp_path):
    """The check compared names exactly: scan.Segments got the default folder scan.segments,
    the same file where names ignore case. It compares them as the other collision checks
    do, and says why."""
    src = tmp_path / "scan.Segments"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    result = runner.invoke(app, ["segment", str(src)])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {src}: the default output folder is the input itself "
           "(scan.segments) where names ignore case or Unicode form (macOS, Windows); choose "
           "a folder with -o\n")
    assert [p.name for p in tmp_path.iterdir()] == ["scan.Segments"]


@pytest.mark.parametrize(("name", "options"), [("labels.png", []), ("overlay.png", []),
                                               ("edges.png", ["--edges"])])
def test_an_output_folder_holding_the_input_as_an_output_is_a_usage_error(tmp_path, name,
                                                                          options):
    """``segment x/labels.png -o x`` would write labels.png over its input: refused before
    any work with exit 2, as reduce refuses ``-o`` naming the input (it was exit 1)."""
    src = tmp_path / name
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    before = src.read_bytes()
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path), *options])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {src}: its output folder {tmp_path} would write {name} over the "
           "input itself, which is never overwritten (not even with --force); choose another "
           "folder with -o\n")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert src.read_bytes() == before


@pytest.mark.parametrize(("name", "options"), [("labels.png", []), ("overlay.png", []),
                                               ("edges.png", ["--edges"])])
def test_an_output_folder_holding_the_file_stdin_reads_is_a_usage_error(tmp_path, name,
                                                                        options):
    """``segment - -o x --force < x/labels.png`` replaced the input it read, which
    ``segment x/labels.png -o x --force`` refuses."""
    import subprocess
    import sys

    src = tmp_path / name
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    before = src.read_bytes()
    here = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with open(src, "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "quantize", "segment", "-", "-o",
                               str(tmp_path), "--force", *options], stdin=stdin,
                              capture_output=True, timeout=60, env=here)
    assert (done.returncode, done.stderr.decode()) == (
        2, f"quantize: error: -: its output folder {tmp_path} would write {name} over the "
           "file stdin is redirected from, which is never overwritten (not even with "
           "--force); choose another folder with -o\n")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert src.read_bytes() == before


@pytest.mark.parametrize(("name", "output", "options"), [
    ("Labels.png", "labels.png", []), ("OVERLAY.PNG", "overlay.png", []),
    ("Edges.png", "edges.png", ["--edges"])])
def test_an_output_folder_holding_the_input_as_an_output_but_for_case_is_a_usage_error(
        tmp_path, name, output, options):
    """``segment x/Labels.png -o x`` wrote labels.png beside its input where names are
    case-sensitive; the same command replaces the input on macOS or Windows, as a default
    folder named as the input in another case would, which is refused everywhere."""
    src = tmp_path / name
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    before = src.read_bytes()
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path), "--force",
                                 *options])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {src}: its output folder {tmp_path} would write {output} over the "
           f"input {name} where names ignore case or Unicode form (macOS, Windows), which is "
           "never overwritten (not even with --force); choose another folder with -o\n")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert src.read_bytes() == before


def test_an_input_named_edges_png_is_no_output_without_edges(tmp_path):
    src = tmp_path / "edges.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "labels.png").exists()


def test_several_images_are_sent_to_batch(tmp_path):
    names = [str(tmp_path / f"{stem}.png") for stem in ("a", "b", "c")]
    for name in names:
        Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(name)
    result = runner.invoke(app, ["segment", *names])
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: {names[1]} {names[2]}: unexpected arguments; "
                             "quantize segment takes one INPUT; for several images, put them "
                             "in a folder and run quantize batch FOLDER -o OUT_DIR --mode "
                             "segment (see 'quantize segment --help')\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c.png"]


@pytest.mark.parametrize("extra, way_out", [
    ([], "k-means clusters, -k/--clusters=K, may use xy alone"),
    # -k is given: --edges is what needs the hierarchy, and -k is no way out of it
    (["-k", "3", "--edges"], "the border-strength map is drawn from the region hierarchy, "
                             "also beside k-means clusters"),
    (["--edges"], "the border-strength map is drawn from the region hierarchy, also beside "
                  "k-means clusters"),
])
def test_weights_that_leave_the_hierarchy_nothing_are_a_usage_error(tmp_path, extra, way_out):
    src = tmp_path / "a.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-w", "color=0", "-w", "texture=0",
                                 "-o", str(tmp_path / "s"), *extra])
    assert result.exit_code == 2
    assert result.stderr == ("quantize: error: -w color=0, intensity=0 and texture=0 leave the "
                             "region hierarchy nothing to compare regions by (xy only shapes "
                             f"its superpixels); expected one of them > 0 ({way_out})\n")
    assert not (tmp_path / "s").exists()



def test_every_weight_0_is_named_as_typed_not_as_a_python_dict(tmp_path):
    # It read "-w/--weight={'color': 0.0, 'intensity': 0.0, ...} should have ...".
    src = tmp_path / "a.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src)
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "-w", "color=0",
                                 "-w", "texture=0", "-w", "xy=0", "-o", str(tmp_path / "s")])
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: -w color=0, intensity=0, xy=0 and texture=0 leave nothing to "
           "compare pixels by; expected at least one weight > 0\n")
    assert not (tmp_path / "s").exists()

def test_a_folder_holding_a_same_named_photos_segmentation_is_named_by_its_path(tmp_path,
                                                                                 monkeypatch):
    # a/photo.png, then b/photo.png into one -o folder: told apart by name only, the second
    # got "output exists; use --force", as if the folder held its own results.
    img = _halves()
    for name, pixels in (("a", img), ("b", img[:, ::-1])):
        (tmp_path / name).mkdir()
        Image.fromarray(pixels).save(tmp_path / name / "photo.png")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "out"
    first = runner.invoke(app, ["segment", "a/photo.png", "-o", "out", "-q"])
    assert first.exit_code == 0, first.output
    document = json.loads((folder / "segments.json").read_text())
    assert (document["input"], document["input_path"]) == ("a/photo.png", "../a/photo.png")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = runner.invoke(app, ["segment", "b/photo.png", "-o", "out"])
    assert (second.exit_code, second.stderr) == (
        15, f"quantize: error: b/photo.png: out: holds the segmentation of "
            f"{str(tmp_path / 'a' / 'photo.png')!r}; choose another output folder, or use "
            "--force to replace it\n")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # The same file, named from another folder, is told its own outputs exist.
    monkeypatch.chdir(tmp_path / "a")
    again = runner.invoke(app, ["segment", "photo.png", "-o", "../out"])
    assert (again.exit_code, again.stderr) == (
        15, "quantize: error: photo.png: ../out/labels.png: output exists; use --force to "
            "overwrite\n")
    # A segments.json of an earlier version, with the full path, is read as it was.
    (folder / "segments.json").write_text(json.dumps(
        {**document, "input_path": str(tmp_path / "a" / "photo.png")}))
    monkeypatch.chdir(tmp_path)
    full = runner.invoke(app, ["segment", "b/photo.png", "-o", "out"])
    assert full.exit_code == 15 and "holds the segmentation of" in full.stderr
    same = runner.invoke(app, ["segment", "a/photo.png", "-o", "out"])
    assert same.exit_code == 15 and "out/labels.png: output exists; use --force" in same.stderr
    # A segments.json of an earlier version, without input_path, is told apart by name only.
    document.pop("input_path")
    (folder / "segments.json").write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path)
    old = runner.invoke(app, ["segment", "b/photo.png", "-o", "out"])
    assert old.exit_code == 15 and "out/labels.png: output exists; use --force" in old.stderr


def test_a_segments_folder_moved_with_its_photo_still_names_it(tmp_path, monkeypatch):
    # segments.json recorded the photo's full path: a folder moved or copied with its photo
    # named the old place, and a rerun there was refused as "the segmentation of" another file.
    img = _halves()
    (tmp_path / "old").mkdir()
    Image.fromarray(img).save(tmp_path / "old" / "photo.png")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["segment", "old/photo.png", "-q"]).exit_code == 0
    (tmp_path / "old").rename(tmp_path / "new")
    document = json.loads((tmp_path / "new/photo.segments/segments.json").read_text())
    assert (document["input"], document["input_path"]) == ("old/photo.png", "../photo.png")
    again = runner.invoke(app, ["segment", "new/photo.png"])
    assert (again.exit_code, again.stderr) == (
        15, "quantize: error: new/photo.png: new/photo.segments/labels.png: output exists; "
            "use --force to overwrite\n")


@pytest.mark.parametrize("name", ["seg.png", "Seg.JPG", "regions.webp"])
def test_an_output_folder_named_as_an_image_is_a_usage_error(tmp_path, name):
    """``segment a.png -o seg.png`` made a folder called seg.png: the user meant a file."""
    src = tmp_path / "a.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    out = tmp_path / name
    result = runner.invoke(app, ["segment", str(src), "-o", str(out)])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: -o/--output='{out}': expected a folder, as segment writes several "
           "files (labels.png, overlay.png, segments.json); name one without an image suffix, "
           f"e.g. -o '{out.with_suffix('')}'\n")
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_an_existing_folder_named_as_an_image_is_taken(tmp_path):
    src = tmp_path / "a.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).save(src, format="PNG")
    (tmp_path / "seg.png").mkdir()
    result = runner.invoke(app, ["segment", str(src), "-o", str(tmp_path / "seg.png"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "seg.png" / "labels.png").is_file()


def test_cli_a_regions_mean_colour_is_that_of_its_visible_pixels(tmp_path):
    """Two hidden pixels of a red region took in the blue they were segmented as:
    mean_color (187.5, 28.5, 41.2), segmented.png (188, 28, 41). Now the visible pixels'
    mean, the translucent one counted once by its stored colour: (37 * 200 + 100) / 38.
    With -k the two hidden pixels are a region of their own (the transparent cluster),
    which --min-region does not merge: drawn in the blue they were segmented as, alpha 0,
    with no mean colour (null: it was that blue, no colour of the image's)."""
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[:, :5] = (200, 30, 30, 255)
    rgba[:, 5:] = (30, 170, 40, 255)
    rgba[0, :2] = (9, 9, 9, 0)
    rgba[1, 0] = (100, 30, 30, 128)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    out = tmp_path / "a"
    result = runner.invoke(app, ["segment", str(tmp_path / "a.png"), "-o", str(out), "-k", "2",
                                 "--min-region", "4", "-w", "xy=0", "--seed", "0", "-q"])
    assert result.exit_code == 0
    stats = json.loads((out / "segments.json").read_text())["region_stats"]
    assert [(s["area"], s["mean_color"]) for s in stats] == [(2, None),
                                                             (38, [197.4, 30.0, 30.0]),
                                                             (40, [30.0, 170.0, 40.0])]
    with Image.open(out / "segmented.png") as im:
        drawn = np.asarray(im)
    expected = np.empty((8, 10, 3), np.uint8)
    expected[:, :5], expected[:, 5:] = (197, 30, 30), (30, 170, 40)
    expected[0, :2] = (0, 0, 255)
    assert np.array_equal(drawn[..., :3], expected)
    assert np.array_equal(drawn[..., 3], rgba[..., 3])


def test_cli_a_fully_transparent_image_is_said_to_be_segmented_as_black(tmp_path):
    """The warning named the corner of the RGB cube farthest from the visible colours, of
    an image with none."""
    Image.fromarray(np.zeros((20, 30, 4), np.uint8), "RGBA").save(tmp_path / "allclear.png")
    result = runner.invoke(app, ["segment", str(tmp_path / "allclear.png"), "-o",
                                 str(tmp_path / "ac"), "-q"])
    assert result.exit_code == 0
    assert result.stderr == (f"quantize: warning: {tmp_path / 'allclear.png'}: 600 of 600 "
                             "pixels are fully transparent and are segmented as one colour, "
                             "#000000, black, as no pixel is visible, not by the colour "
                             "stored in them\n")
    stats = json.loads((tmp_path / "ac" / "segments.json").read_text())["region_stats"]
    assert [(s["area"], s["mean_color"]) for s in stats] == [(600, None)]  # no colour shows


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("stream, earlier, line", [
    ("-", "-", "s/labels.png: output exists; use --force to overwrite"),
    ("pipe", "-", "s: holds the segmentation of '-'; choose another output folder, or use "
                  "--force to replace it"),
    ("-", "photo.png", "s: holds the segmentation of 'photo.png'; choose another output "
                       "folder, or use --force to replace it"),
])
def test_cli_an_output_folder_in_the_way_is_refused_before_a_stream_is_read(
        tmp_path, monkeypatch, stream, earlier, line):
    """'curl -s URL | quantize segment - -o s' read the whole download, then said that
    s/labels.png exists. Now at once, unread (a pipe with no writer would wait for
    ever), the folder as it was."""
    import quantize.cli.segment

    monkeypatch.chdir(tmp_path)
    Path("s").mkdir()
    for name in ("labels.png", "segments.json"):
        Path("s", name).write_text(json.dumps({"input": earlier}))
    os.mkfifo("pipe")
    read = []
    monkeypatch.setattr(quantize.cli.segment, "stage_stdin", lambda *a: read.append(a))
    monkeypatch.setattr(quantize.cli.segment, "stage_stream", lambda *a: read.append(a))
    result = runner.invoke(app, ["segment", stream, "-o", "s"], input=b"")
    assert (result.exit_code, result.stderr) == (15, f"quantize: error: {stream}: {line}\n")
    assert read == []
    assert sorted(p.name for p in Path("s").iterdir()) == ["labels.png", "segments.json"]


def test_cli_the_help_says_what_becomes_of_transparent_pixels_and_animations(tmp_path):
    # --help said nothing of either: a transparent half is segmented as one colour, not
    # by the noise stored in it, and the pictures keep its alpha.
    text = " ".join(runner.invoke(app, ["segment", "--help"]).stdout.split())
    assert ("Fully transparent pixels are segmented as one colour, the one farthest from the "
            "visible colours (a warning says which), not by the colour stored in them; "
            "translucent pixels by their stored colour. segmented.png and overlay.png keep "
            "the input's alpha (overlay.png's borders drawn opaque). Of an animation, only "
            "the first frame is segmented, with a warning.") in text
    rgba = np.zeros((12, 24, 4), np.uint8)
    rgba[..., :3] = _halves()
    rgba[:, :12, :3] = np.random.default_rng(0).integers(0, 256, (12, 12, 3))  # hidden noise
    rgba[:, 12:, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "half.png")
    result = runner.invoke(app, ["segment", str(tmp_path / "half.png"), "-k", "2",
                                 "--min-region", "0", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "144 of 288 pixels are fully transparent and are segmented as one colour" in (
        result.stderr)
    assert read(tmp_path / "s" / "labels.png").tolist() == [[1] * 12 + [2] * 12] * 12
    segmented = read(tmp_path / "s" / "segmented.png")
    assert segmented[..., 3].tolist() == rgba[..., 3].tolist()


def _dark_halves(path: Path) -> None:
    """Two flat halves of 16-bit counts 1000 and 3000, as a microscopy TIFF holds them."""
    halves = np.full((40, 60), 1000, np.uint16)
    halves[:, 30:] = 3000
    Image.fromarray(halves).save(path)


_SQUASHED = ("quantize: warning: sq.tif: 16-bit values 1000..3000 of 65535 come out 4..12 of "
             "255: counts closer than 257 apart become one level; give --stretch to map the "
             "image's own range onto 0..255 before segmenting")


def test_a_dark_16_bit_tiff_is_said_so_and_segments_in_two_with_stretch(tmp_path,
                                                                        monkeypatch):
    """It segmented as 1 region without a word: its values, /257, came out 4 and 12."""
    monkeypatch.chdir(tmp_path)
    _dark_halves(Path("sq.tif"))
    result = runner.invoke(app, ["segment", "sq.tif", "-o", "plain", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [  # the one region said too, as -k says it
        _SQUASHED,
        "quantize: warning: sq.tif: the region hierarchy gives 1 region: the image is dark, "
        "its levels 4..12 of 255, too close to tell apart; give --stretch to map the "
        "image's own range onto 0..255 before segmenting"]
    assert json.loads(result.stdout)["n_regions"] == 1
    result = runner.invoke(app, ["segment", "sq.tif", "-o", "stretched", "--stretch",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert json.loads(result.stdout)["n_regions"] == 2
    record = json.loads(Path("stretched/segments.json").read_text())
    assert record["stretch"] is True and "stretch" not in json.loads(
        Path("plain/segments.json").read_text())
    assert [r["mean_color"] for r in record["region_stats"]] == [[0.0] * 3, [255.0] * 3]
    labels = np.asarray(Image.open("stretched/labels.png"))
    assert (labels[:, :30] == 1).all() and (labels[:, 30:] == 2).all()


def test_segments_json_of_a_stretch_records_its_range_and_the_means_in_the_input_s_values(
        tmp_path, monkeypatch):
    """mean_color was in stretched units (0 and 255 for counts 1000 and 3000), and nothing
    said what the stretch had mapped: the counts could not be had back."""
    monkeypatch.chdir(tmp_path)
    halves = np.full((40, 60), 1000, np.uint16)
    halves[:, 30:] = 3000
    halves[:, 45:] = 1500  # 63.75 of 255, segmented as 64 (1501.96 back): its mean kept
    Image.fromarray(halves).save("sq.tif")
    result = runner.invoke(app, ["segment", "sq.tif", "-o", "out", "--stretch", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stretch_range"] == [1000.0, 3000.0]
    record = json.loads(Path("out/segments.json").read_text())
    assert record["stretch"] is True and record["stretch_range"] == [1000.0, 3000.0]
    assert [(r["mean_color"], r["mean_input"]) for r in record["region_stats"]] == [
        ([0.0] * 3, [1000.0] * 3), ([255.0] * 3, [3000.0] * 3), ([64.0] * 3, [1500.0] * 3)]
    assert record["region_stats_units"]["mean_input"].startswith("the input's own values")
    result = runner.invoke(app, ["segment", "sq.tif", "-o", "plain", "--json"])
    plain = json.loads(Path("plain/segments.json").read_text())
    assert "stretch_range" not in plain and "mean_input" not in plain["region_stats"][0]
    assert "mean_input" not in plain["region_stats_units"]


def test_a_dark_16_bit_rgb_tiff_is_said_so_and_stretched_from_its_16_bit_values(
        tmp_path, monkeypatch):
    """Halves of 1000 and 1100 in each channel gave no warning, and one region even with
    --stretch, which stretched their 8-bit values (both 4)."""
    tifffile = pytest.importorskip("tifffile")
    monkeypatch.chdir(tmp_path)
    halves = np.full((40, 60, 3), 1000, np.uint16)
    halves[:, 30:] = 1100
    tifffile.imwrite("rgb.tif", halves, photometric="rgb")
    result = runner.invoke(app, ["segment", "rgb.tif", "-o", "plain", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "quantize: warning: rgb.tif: 16-bit values 1000..1100 of 65535 come out 4..4 of 255: "
        "counts closer than 257 apart become one level; give --stretch to map the image's "
        "own range onto 0..255 before segmenting"]
    assert "stretch" not in json.loads(result.stdout)  # as segments.json: only when given
    assert json.loads(result.stdout)["n_regions"] == 1
    result = runner.invoke(app, ["segment", "rgb.tif", "-o", "stretched", "--stretch",
                                 "--json"])
    assert (result.exit_code, result.stderr) == (0, "")
    line = json.loads(result.stdout)
    assert line["n_regions"] == 2 and line["stretch"] is True
    assert list(line)[-4:] == ["outputs", "stretch", "stretch_range", "seconds"]
    labels = np.asarray(Image.open("stretched/labels.png"))
    assert (labels[:, :30] == 1).all() and (labels[:, 30:] == 2).all()


def test_k_on_a_dark_16_bit_tiff_does_not_advise_clustering_by_position(tmp_path,
                                                                        monkeypatch):
    """The -k warning blamed a plain image and said to give -w color=0 -w texture=0."""
    monkeypatch.chdir(tmp_path)
    _dark_halves(Path("sq.tif"))
    result = runner.invoke(app, ["segment", "sq.tif", "-k", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        _SQUASHED,
        "quantize: warning: sq.tif: -k/--clusters=2 but no border between the 2 clusters "
        "k-means found shows a change in colour or texture, so they are united into 1 cluster: "
        "the image is dark, its levels 4..12 of 255, too close to tell apart; give --stretch "
        "to map the image's own range onto 0..255 before segmenting"]


def test_k_on_a_dark_12_bit_scene_of_levels_further_apart_calls_it_dark(tmp_path,
                                                                         monkeypatch):
    """A 12-bit scene in a 16-bit file, 1..4081, comes out 0..16 of 255: 16 levels apart,
    so the -k warning called the image plain and said to cluster by position, while the
    docs promise that it calls such an image dark and names --stretch."""
    tifffile = pytest.importorskip("tifffile")
    monkeypatch.chdir(tmp_path)
    ramp = np.linspace(1, 4081, 48).astype(np.uint16)
    tifffile.imwrite("scene.tif", np.broadcast_to(ramp[None, :, None], (48, 48, 3)).copy(),
                     photometric="rgb")
    result = runner.invoke(app, ["segment", "scene.tif", "-k", "5", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1:] == [
        "quantize: warning: scene.tif: -k/--clusters=5 but no border between the 5 clusters "
        "k-means found shows a change in colour or texture, so they are united into 1 cluster: "
        "the image is dark, its levels 0..16 of 255, too close to tell apart; give --stretch "
        "to map the image's own range onto 0..255 before segmenting"]
    assert "16-bit values 1..4081 of 65535 come out 0..16 of 255" in result.stderr


def test_k_on_a_bright_plain_ramp_still_calls_it_plain(tmp_path, monkeypatch):
    """Levels 200..216, as far apart but not dark: no stretch is advised."""
    monkeypatch.chdir(tmp_path)
    ramp = np.linspace(200, 216, 48).round().astype(np.uint8)
    Image.fromarray(np.broadcast_to(ramp[None, :, None], (48, 48, 3)).copy()).save("ramp.png")
    result = runner.invoke(app, ["segment", "ramp.png", "-k", "5", "-q"])
    assert result.exit_code == 0, result.output
    assert "(a plain image, or a smooth gradient), so they are united into 1 cluster" in \
        result.stderr and "--stretch" not in result.stderr


def test_stretch_of_a_dark_image_of_one_value_says_it_cannot_be_stretched(tmp_path,
                                                                          monkeypatch):
    """segment and batch --mode segment with --stretch said to give --stretch."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.fromarray(np.full((8, 8), 1234, np.uint16)).save("in/flat.png")
    said = ("quantize: warning: in/flat.png: 16-bit values 1234..1234 of 65535 come out "
            "5..5 of 255: an image of one value cannot be stretched")
    result = runner.invoke(app, ["segment", "in/flat.png", "-o", "s", "--stretch", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [said]
    result = runner.invoke(app, ["batch", "in", "-o", "out", "--mode", "segment",
                                 "--stretch", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [said]


def test_a_dark_image_of_one_value_without_stretch_says_it_holds_one_value(tmp_path,
                                                                        monkeypatch):
    """segment said to give --stretch, which cannot spread one value; reduce keeps its
    fact that the output is as dark."""
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.full((8, 8), 1234, np.uint16)).save("flat.png")
    facts = ("quantize: warning: flat.png: 16-bit values 1234..1234 of 65535 come out 5..5 "
             "of 255: the image holds one value")
    result = runner.invoke(app, ["segment", "flat.png", "-o", "s", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"{facts}, which no stretch spreads"]
    result = runner.invoke(app, ["reduce", "flat.png", "-k", "2", "-o", "r.png", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"{facts}; the output is 8-bit and as dark"]


def test_reduce_and_batch_of_a_dark_16_bit_tiff_say_so_in_their_words(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    _dark_halves(Path("in/sq.tif"))
    facts = ("quantize: warning: in/sq.tif: 16-bit values 1000..3000 of 65535 come out 4..12 "
             "of 255: counts closer than 257 apart become one level; ")
    result = runner.invoke(app, ["reduce", "in/sq.tif", "-k", "2", "-o", "r.png", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [facts + "the output is 8-bit and as dark"]
    result = runner.invoke(app, ["batch", "in", "-o", "out", "--mode", "segment", "--stretch"])
    assert result.exit_code == 0, result.output
    assert json.loads(Path("out/sq/segments.json").read_text())["n_regions"] == 2
    result = runner.invoke(app, ["batch", "in", "-o", "out", "--mode", "segment"])
    assert result.exit_code == 15
    assert result.stderr.splitlines()[-1] == (
        "quantize: error: out: 1 output was made with --stretch, while this run asks for no "
        "--stretch; add --force to redo it, or choose another -o folder")
    # reduce mode refused --stretch (segment's only); it now stretches each file alike
    result = runner.invoke(app, ["batch", "in", "-o", "out2", "-k", "2", "--stretch", "-q"])
    assert (result.exit_code, result.stderr) == (0, "")
    with Image.open("out2/sq.png") as reduced:
        assert sorted(np.unique(np.asarray(reduced.convert("L"))).tolist()) == [0, 255]


@pytest.mark.parametrize(("value", "match"), [
    ("1.5", "quantize: error: --min-region='1.5' is not valid; expected a whole number of "
     "pixels (5000) or a percentage of the image's pixels from 0% to 100% (0.1%)\n"),
    ("abc", "quantize: error: --min-region='abc' is not valid; expected a whole number"),
    ("%", "quantize: error: --min-region='%' is not valid; expected a whole number"),
    ("-1%", "quantize: error: --min-region='-1%' should be >= 0%\n"),
    ("120%", "quantize: error: --min-region='120%' should be <= 100%\n"),
])
def test_cli_a_bad_min_region_share_is_one_line(photo_path, tmp_path, value, match):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "x"),
                                 f"--min-region={value}"])
    assert result.exit_code == 2
    assert result.stderr == match or result.stderr.startswith(match)
    assert not (tmp_path / "x").exists()


def test_cli_a_min_region_share_is_recorded_as_given_with_its_pixels(tmp_path):
    """--min-region 2.26% of a 20 x 20 image is 10 pixels, which merge its 9-pixel speck;
    --json and segments.json record both, the share under a key of its own (min_region
    keeps its meaning: the pixels merged under)."""
    img = np.full((20, 20, 3), 200, np.uint8)
    img[5:8, 5:8] = (20, 40, 160)
    Image.fromarray(img).save(tmp_path / "speck.png")
    result = runner.invoke(app, ["segment", str(tmp_path / "speck.png"), "-o",
                                 str(tmp_path / "s"), "--min-region", " 2.26% ", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    saved = json.loads((tmp_path / "s" / "segments.json").read_text())
    for got in (record, saved):
        assert (got["n_regions"], got["min_region"], got["min_region_share"]) == (1, 10, "2.26%")
        keys = list(got)
        assert keys[keys.index("min_region") + 1] == "min_region_share"


def test_classes_writes_the_cluster_of_each_pixel_and_a_force_run_without_it_removes_it(
        tmp_path, monkeypatch):
    """labels.png holds connected regions, not classes; the class map (cluster_map) could
    be had from Python only. Of a 4 x 4 RGBA, a transparent column and two colours at -k 2:
    the two visible clusters and the transparent one, the last."""
    monkeypatch.chdir(tmp_path)
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:, 1:3, :3] = (200, 30, 30)
    rgba[:, 3, :3] = (10, 10, 200)
    rgba[:, 0, 3] = 0
    Image.fromarray(rgba).save("tile.png")
    args = ["segment", "tile.png", "-o", "out", "-k", "2", "-w", "xy=0", "-w", "texture=0",
            "--min-region", "0"]
    result = runner.invoke(app, [*args, "--classes", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outputs"][-2:] == ["classes.png", "segments.json"]
    with Image.open("out/classes.png") as im:
        assert im.mode == "L"
        assert np.asarray(im).tolist() == [[2, 0, 0, 1]] * 4
    expected = segment(rgba, 2, weights={"xy": 0, "texture": 0}, min_region=0, seed=0)
    assert np.asarray(Image.open("out/classes.png")).tolist() == expected.cluster_map().tolist()
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert not Path("out/classes.png").exists()


def _artist_and_gps(path: Path) -> tuple[str | None, dict]:
    with Image.open(path) as im:
        im.load()
        exif = im.getexif()
        return exif.get(315), dict(exif.get_ifd(0x8825))


@pytest.mark.parametrize("flags, kept", [
    ([], ("A. Artist", {})),
    (["--keep-gps"], ("A. Artist", {1: "N", 2: (52.0, 22.0, 1.5)})),
    (["--strip"], (None, {})),
])
def test_segment_keeps_the_exif_of_its_input_as_reduce_does(photo_path, tmp_path, flags, kept):
    """segmented.png carried no artist where reduce keeps it; --strip and --keep-gps, which
    segment did not take, say what is kept as they say it for reduce."""
    exif = Image.Exif()
    exif[315] = "A. Artist"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 1.5)})
    signed = tmp_path / "signed.jpg"
    Image.open(photo_path).save(signed, exif=exif.tobytes(), quality=95)
    result = runner.invoke(app, ["segment", str(signed), "-k", "3", "-o",
                                 str(tmp_path / "seg"), "--json", *flags])
    assert result.exit_code == 0, result.output
    assert [_artist_and_gps(tmp_path / "seg" / name)
            for name in ("segmented.png", "overlay.png", "labels.png")] == [
        kept, kept, (None, {})]
    record = json.loads(result.stdout)
    assert {key: record.get(key) for key in ("strip", "keep_gps")} == {
        "strip": True if "--strip" in flags else None,
        "keep_gps": True if "--keep-gps" in flags else None}


@pytest.mark.parametrize("output, where", [
    ("loop1", "is"), ("loop1/seg", "lies under 'loop1', which is")])
def test_an_output_folder_in_a_link_loop_is_said_to_be_one(tmp_path, monkeypatch, output,
                                                           where):
    """'segment photo.png -o loop1' printed the chain round the loop, forty links and
    840 characters ending "which does not exist": the walk stops at the loop."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save("café é.jpg")
    result = runner.invoke(app, ["segment", "café é.jpg", "-o", output])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"quantize: error: -o/--output={output!r} {where} a link to "
                             "'loop2', which leads into a link loop; expected a folder\n")


def test_an_output_folder_of_other_files_is_refused(tmp_path, monkeypatch):
    """'segment 2024/IMG_1.png -o 2024' wrote labels.png, overlay.png, ... among the
    photos without a word; a later 'batch -r' then left the whole folder out as one of
    segment's outputs. A folder of a previous segment's outputs alone keeps its rules."""
    monkeypatch.chdir(tmp_path)
    Path("2024").mkdir()
    for name in ("IMG_1.png", "IMG_2.png"):
        Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(f"2024/{name}")
    before = sorted(os.listdir("2024"))
    for args in ([], ["--force"]):
        result = runner.invoke(app, ["segment", "2024/IMG_1.png", "-o", "2024", "-k", "2",
                                     *args])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            "quantize: error: -o/--output='2024' holds files other than a previous segment's "
            "outputs ('IMG_1.png' and 1 more), among which it would write labels.png, "
            "overlay.png, segments.json and more; choose a new or empty folder with -o (a "
            "folder of a previous segment's outputs alone is rewritten with --force)\n")
        assert sorted(os.listdir("2024")) == before
    Path("seg").mkdir()
    Path("seg/.DS_Store").write_bytes(b"")
    call = ["segment", "2024/IMG_1.png", "-o", "seg", "-k", "2", "-q"]
    assert runner.invoke(app, call).exit_code == 0
    assert runner.invoke(app, call).exit_code == 15
    assert runner.invoke(app, [*call, "--force"]).exit_code == 0
def test_segment_refuses_a_jpeg_cut_in_its_scan_before_its_end_marker(tmp_path):
    """Its rows after the cut came out grey, and were segmented as a grey region, exit 0."""
    import io

    whole = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (64, 64, 3), np.uint8)).save(
        whole, "JPEG")
    src = tmp_path / "cut.jpg"
    src.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2] + b"\xff\xd9")
    result = runner.invoke(app, ["segment", str(src), "-k", "3", "-o", str(tmp_path / "seg")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"quantize: error: {src}: cannot decode image (image file is truncated: its image "
        "data ends before its last rows, which come out grey, and its end marker follows the "
        "cut)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.jpg"]


def test_class_order_lightness_numbers_a_16_bit_slice_s_classes_from_the_darkest(
        tmp_path, monkeypatch):
    """A CT slice's class 1 was its darkest tissue and class 2 its brightest: with
    --class-order lightness, classes.png, cluster_stats and the regions' cluster run from
    the darkest mean value (the file's own), recorded as class_order; without it, the
    record is as before."""
    monkeypatch.chdir(tmp_path)
    slice_ = np.array([[3000, 3000, 100, 100, 1500, 1500]] * 4, np.uint16)
    Image.fromarray(slice_).save("ct.tif")
    flags = ["-k", "3", "--stretch", "-w", "xy=0", "-w", "texture=0", "--smooth", "0",
             "--min-region", "0", "--classes"]
    result = runner.invoke(app, ["segment", "ct.tif", "-o", "out", *flags,
                                 "--class-order", "lightness", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["class_order"] == "lightness"
    record = json.loads(Path("out/segments.json").read_text())
    assert [c["mean_input"][0] for c in record["cluster_stats"]] == [100.0, 1500.0, 3000.0]
    assert [r["cluster"] for r in record["region_stats"]] == [2, 0, 1]
    assert np.asarray(Image.open("out/classes.png"))[0].tolist() == [2, 2, 0, 0, 1, 1]
    result = runner.invoke(app, ["segment", "ct.tif", "-o", "plain", *flags, "--json"])
    assert "class_order" not in json.loads(result.stdout)


@pytest.mark.parametrize("flags, message", [
    (["--class-order", "lightness"], "--class-order='lightness' applies to k-means clusters "
                                     "only (-k/--clusters=K)"),
    (["-k", "2", "--class-order", "dark"], "--class-order='dark' is not valid; expected one "
                                           "of 'kmeans', 'lightness'"),
])
def test_class_order_refused_in_one_line_before_any_output(tmp_path, monkeypatch, flags,
                                                           message):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save("a.png")
    result = runner.invoke(app, ["segment", "a.png", "-o", "out", *flags])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"quantize: error: {message}")
    assert result.stderr.count("\n") == 1 and not Path("out").exists()
