"""quantize.batch.modes: each mode checks its job's options through the job's own checker."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from quantize import batch
from quantize.palette_files import PaletteReadWarning


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (12, 10), (30, 200, 90)).save(tmp_path / "in" / "a.png")
    return tmp_path


def test_segment_mode_completes_the_options_before_any_file_is_read(tree):
    plan = batch.plan_batch(tree / "in", tree / "out", batch.segment_mode(),
                            options={"regions": 3, "seed": 5})
    assert plan.options["regions"] == 3 and plan.options["seed"] == 5
    assert plan.options["space"] == "lab" and plan.options["edges"] is False
    assert [j.options for j in plan.jobs] == [plan.options]


def test_segment_mode_refuses_bad_options_at_planning(tree):
    with pytest.raises(ValueError, match="regions=0"):
        batch.plan_batch(tree / "in", tree / "out", batch.segment_mode(),
                         options={"regions": 0})
    # named as reduce mode names one (it was Python's "check_segment_options() got an
    # unexpected keyword argument 'colors'"), with segment's name for Pillow's
    with pytest.raises(TypeError, match=r"^unknown segment option\(s\) colors \(quantize calls "
                                        r"it n_clusters=\); expected some of n_clusters, "
                                        r"regions, weights, space, min_region"):
        batch.plan_batch(tree / "in", tree / "out", batch.segment_mode(),
                         options={"colors": 4})


def test_reduce_mode_refuses_an_unknown_option_at_planning(tree):
    with pytest.raises(TypeError, match="unknown reduce option"):
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                         options={"regions": 3})


def test_reduce_mode_refuses_more_colours_than_its_outputs_hold_at_planning(tree):
    """Every file's job failed in turn ("more than a palette image holds"), as quantize
    batch -k 300 refuses it before any work; 256 is taken."""
    with pytest.raises(ValueError, match=r"^n_colors=300 should be <= 256: a batch writes "
                                         r"palette images"):
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                         options={"n_colors": 300})
    assert not (tree / "out").exists()
    plan = batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                            options={"n_colors": 256})
    assert plan.options["n_colors"] == 256


@pytest.mark.parametrize("ext, outputs", [
    (".gif", "ext='.gif' names palette images"),
    (".small.PNG", "ext='.small.PNG' names palette images"),
    ("same", "ext='same' writes a .png, .apng, .gif or .bmp input as a palette image")])
def test_reduce_mode_refuses_more_colours_than_the_ext_holds(tree, ext, outputs):
    # The refusal said "a batch writes palette images (.png, ...)" whatever ext named.
    with pytest.raises(ValueError) as err:
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                         options={"n_colors": 300, "ext": ext})
    assert str(err.value) == (f"n_colors=300 should be <= 256: {outputs}; expected at most "
                              "256, or ext naming .jpg, .webp or .tif outputs, which hold more")


@pytest.mark.parametrize("ext", [".tif", ".webp", ".JPG", ".small.jpeg"])
def test_reduce_mode_takes_more_colours_when_ext_names_rgb_outputs(tree, ext):
    """Refused as more than a palette image holds, where reduce writes a still in RGB with
    300 colours: kept, with quality too (not capped at 256)."""
    for extra in ({}, {"quality": 3.0}):
        plan = batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                                options={"n_colors": 300, "ext": ext, **extra})
        assert plan.options["n_colors"] == 300


def test_reduce_mode_takes_more_colours_with_quality_as_the_most_allowed(tree):
    """With quality, n_colors is only a bound: over 256 it was refused as more than the
    outputs hold, where reduce_file caps it at 256 for an indexed output; capped so too,
    a plan of 300 is that of 256 (the same settings, so one run's outputs are the other's)."""
    plans = [batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                              options={"n_colors": k, "quality": 3.0}) for k in (300, 256)]
    assert [p.options["n_colors"] for p in plans] == [256, 256]
    assert plans[0].settings == plans[1].settings
    with pytest.raises(ValueError, match=r"^dither=True supports at most 256 colours, got "
                                         r"n_colors=300$"):
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                         options={"n_colors": 300, "quality": 3.0, "dither": True})
    assert not (tree / "out").exists()


def test_reduce_mode_refuses_a_palette_in_of_fully_transparent_entries_at_planning(
        tree, monkeypatch):
    """quantize batch --palette-in refused such a palette before any file; from Python each
    file's job failed in turn, "has only fully transparent entries ..., but the image has
    visible pixels". The file's own warnings are left for the jobs to say."""
    import warnings

    monkeypatch.chdir(tree)
    (tree / "p.hex").write_text("ff000000\n0000ff00\n")
    (tree / "paint.hex").write_text("ff000000\nff00ff00\n")  # read with a PaletteFormatWarning
    said = ("has only fully transparent entries (alpha 0), which only an image without "
            "visible pixels can be mapped onto; expected at least one visible colour")
    for given, name in [("p.hex", "palette_in='p.hex'"), ("paint.hex", "palette_in='paint.hex'")]:
        with warnings.catch_warnings(record=True) as read:
            warnings.simplefilter("error")
            # how the file is read is said once, here, as the caller's filters say
            warnings.simplefilter("always", PaletteReadWarning)
            with pytest.raises(ValueError) as info:
                batch.plan_batch("in", "out", batch.reduce_mode(), options={"palette_in": given})
        assert str(info.value) == f"{name} {said}"
        assert len(read) == (given == "paint.hex")
    assert not (tree / "out").exists()
    (tree / "p.hex").write_text("ff000000\n0000ffff\n")  # one visible entry: planned
    plan = batch.plan_batch("in", "out", batch.reduce_mode(), options={"palette_in": "p.hex"})
    assert [job.input.name for job in plan.jobs] == ["a.png"]


@pytest.mark.parametrize("name, said", [
    ("missing.gpl", "no such palette file"),
    ("bad.gpl", "line 1: expected 'GIMP Palette', the first line of a GIMP palette, got "
                "'garbage'"),
    ("pipe.gpl", "is a pipe or device, not a regular file, and can be read only once; save it "
                 "to a file and pass that"),
])
def test_reduce_mode_refuses_a_palette_in_file_it_cannot_read_at_planning(
        tree, monkeypatch, name, said):
    """plan_batch planned a missing palette file, then every file failed in turn
    ("missing.gpl: no such palette file"), which quantize batch --palette-in refuses
    before any work; a pipe waited for a writer for ever."""
    import os

    from quantize.errors import ImageReadError

    monkeypatch.chdir(tree)
    (tree / "bad.gpl").write_text("garbage\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "pipe.gpl")
    elif name == "pipe.gpl":
        pytest.skip("needs named pipes")
    with pytest.raises(ImageReadError) as info:
        batch.plan_batch("in", "out", batch.reduce_mode(), options={"palette_in": name})
    assert str(info.value) == f"palette_in={name!r}: {said}"
    assert not (tree / "out").exists()


@pytest.mark.parametrize("given, kind", [
    ([[0, 0, 0], [255, 255, 255]], "list"),
    (np.array([[0, 0, 0], [255, 255, 255]], np.uint8), "ndarray"),
    (Image.new("P", (1, 1)), "Image"),
    (b"p.hex", "bytes"),
])
def test_reduce_mode_refuses_a_palette_in_that_is_no_file_path(tree, given, kind):
    """A batch's palette_in is a palette file, as --palette-in gives it: colours given
    otherwise failed in the manifest's digest, "TypeError: expected str, bytes or
    os.PathLike object, not ndarray"."""
    with pytest.raises(TypeError) as info:
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                         options={"palette_in": given})
    assert str(info.value) == (
        "palette_in should be the path of a palette file (.gpl, .json, .hex, .act, .pal, .txt, "
        ".css or .ase, or an image of its colours: .png, .gif or .bmp) in a batch, got "
        f"{kind}; write the colours to one with "
        "quantize.palette_files.write_palette")
    assert not (tree / "out").exists()


@pytest.mark.parametrize("mode", [batch.reduce_mode, batch.segment_mode])
def test_modes_pickle_for_the_worker_processes(mode):
    """A checker defined inside segment_mode could not be pickled: every batch of more
    than one process ended in a traceback."""
    import pickle

    back = pickle.loads(pickle.dumps(mode()))
    assert back.name == mode().name
    assert back.checked_options({"seed": 3})["seed"] == 3


def test_reduce_mode_names_every_output_by_ext_without_opening_it(tmp_path):
    """``ext`` gives the suffix of every file, an animation's too; a file that does not
    exist (never opened) is named so as well."""
    assert batch.modes.reduce_suffix(tmp_path / "gone.gif", {"ext": ".s.webp"}) == ".s.webp"
    assert batch.modes.reduce_suffix(tmp_path / "gone.gif", {}) == ".png"


def test_reduce_mode_keeps_ext_in_the_options_and_settings_when_given(tree):
    plan = batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                            options={"ext": ".gif"})
    assert plan.options["ext"] == ".gif" and plan.settings["ext"] == ".gif"
    assert [j.output.name for j in plan.jobs] == ["a.gif"]
    plain = batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode())
    assert "ext" not in plain.options and "ext" not in plain.settings  # as earlier runs


@pytest.mark.parametrize("ext, error, match", [
    (".tga", ValueError, r"^ext='.tga' is not valid; expected a suffix ending in an image "
                         r"extension \(.png, .apng, .gif, .bmp, .jpg"),
    ("a/b.png", ValueError, r"^ext='a/b.png' holds a '/'"),
    (3, TypeError, r"^ext=3 is a int; expected a string"),
])
def test_reduce_mode_refuses_a_bad_ext_at_planning(tree, ext, error, match):
    with pytest.raises(error, match=match):
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(), options={"ext": ext})


def test_reduce_job_passes_every_option_but_ext_to_reduce_file(tree):
    record = batch.reduce_job(tree / "in" / "a.png", tree / "a.gif", ext=".gif", n_colors=1)
    assert record["k"] == 1 and (tree / "a.gif").is_file()
