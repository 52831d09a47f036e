"""quantize.segment_file: the output folder and record, the option checker, animated inputs."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize import boundary_map, segment
from quantize.animation import FirstFrameWarning
from quantize.errors import (
    ImageReadError,
    OutputError,
    OutputExistsError,
    WideLabelsWarning,
)
from quantize.io import DEFAULT_MAX_PIXELS
from quantize.segment import segment_pixels
from quantize.segment_file import (
    EDGES_FILE,
    OUTPUT_FILES,
    WIDE_LABELS_FILE,
    AlphaIgnoredWarning,
    check_segment_options,
    segment_file,
)

from .segment_support import png_bytes, read, with_png_size


def test_a_file_name_followed_by_a_slash_is_refused(tmp_path, monkeypatch):
    """segment_file("a.png/") read a.png (a Path drops the '/'), which the command refuses."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), (200, 30, 30)).save("a.png")
    with pytest.raises(ImageReadError) as refused:
        segment_file("a.png/", "seg", n_clusters=2)
    assert (refused.value.path, refused.value.reason) == (
        "a.png/", "ends in '/', which names a folder, but 'a.png' is a file; expected an "
                  "image file, named without the '/'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def _wide_note(n, limit):
    return (f"{n} regions, more than labels.png can number ({limit}): their labels are in "
            "labels.tif (32-bit) instead, the other outputs as usual")


def test_more_regions_than_labels_png_holds_are_labelled_in_a_32_bit_tiff(tmp_path,
                                                                           monkeypatch):
    """The job was refused, nothing written, the class map (which needs no region labels)
    with it: a scan's dust, --min-region 0, left 82,667 regions on a two-class page."""
    src = tmp_path / "two.png"
    img = np.zeros((8, 12, 3), np.uint8)
    img[:, 6:] = 200
    Image.fromarray(img).save(src, dpi=(300, 300))
    narrow = segment_file(src, tmp_path / "png", regions=2, classes=True)
    monkeypatch.setattr("quantize.segment_file.MAX_PNG_LABEL", 1)
    with pytest.warns(WideLabelsWarning) as caught:
        record = segment_file(src, tmp_path / "s", regions=2, classes=True)
    assert [str(w.message) for w in caught] == [_wide_note(2, 1)]
    assert record["outputs"] == [WIDE_LABELS_FILE, *narrow["outputs"][1:]]
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(record["outputs"])
    with Image.open(tmp_path / "s" / WIDE_LABELS_FILE) as wide:
        assert (wide.format, wide.mode, wide.info["dpi"]) == ("TIFF", "I", (300.0, 300.0))
        assert np.array_equal(np.asarray(wide), read(tmp_path / "png" / "labels.png"))
    for name in narrow["outputs"][1:-1]:  # every other output as without the limit
        assert ((tmp_path / "s" / name).read_bytes()
                == (tmp_path / "png" / name).read_bytes()), name
    assert json.loads((tmp_path / "s" / "segments.json").read_text())["outputs"] == (
        record["outputs"])


def test_a_forced_run_removes_the_other_labels_file_of_the_run_before(tmp_path, monkeypatch):
    """labels.png and labels.tif stand for one another: a folder keeps one, that of the run
    its segments.json records."""
    src = tmp_path / "two.png"
    img = np.zeros((8, 12, 3), np.uint8)
    img[:, 6:] = 200
    Image.fromarray(img).save(src)
    out = tmp_path / "s"
    segment_file(src, out, regions=2)
    monkeypatch.setattr("quantize.segment_file.MAX_PNG_LABEL", 1)
    with pytest.warns(WideLabelsWarning):
        segment_file(src, out, regions=2, force=True)
    assert WIDE_LABELS_FILE in os.listdir(out) and "labels.png" not in os.listdir(out)
    monkeypatch.setattr("quantize.segment_file.MAX_PNG_LABEL", 65535)
    segment_file(src, out, regions=2, force=True)
    assert "labels.png" in os.listdir(out) and WIDE_LABELS_FILE not in os.listdir(out)


def test_a_labels_tif_in_the_way_is_refused_without_force(tmp_path, monkeypatch):
    src = tmp_path / "two.png"
    img = np.zeros((8, 12, 3), np.uint8)
    img[:, 6:] = 200
    Image.fromarray(img).save(src)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / WIDE_LABELS_FILE).write_bytes(b"mine")
    monkeypatch.setattr("quantize.segment_file.MAX_PNG_LABEL", 1)
    with pytest.raises(OutputExistsError) as refused:
        segment_file(src, tmp_path / "s", regions=2)
    assert refused.value.path == str(tmp_path / "s" / WIDE_LABELS_FILE)
    assert os.listdir(tmp_path / "s") == [WIDE_LABELS_FILE]
    assert (tmp_path / "s" / WIDE_LABELS_FILE).read_bytes() == b"mine"


def test_a_file_segments_alike_on_every_run_by_default(tmp_path, rng):
    # seed defaulted to None: two calls on one photo gave 32 and 31 regions
    src = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(src)
    first = segment_file(src, tmp_path / "a", n_clusters=6)
    second = segment_file(src, tmp_path / "b", n_clusters=6)
    assert first["seed"] == second["seed"] == 0
    labels = read(tmp_path / "a" / "labels.png")
    assert np.array_equal(labels, read(tmp_path / "b" / "labels.png"))
    segment_file(src, tmp_path / "c", n_clusters=6, seed=0)
    assert np.array_equal(labels, read(tmp_path / "c" / "labels.png"))


def test_check_segment_options_fills_every_default_and_keeps_the_seed_as_given():
    opts = check_segment_options()
    assert opts == {"n_clusters": None, "regions": None, "weights": opts["weights"],
                    "space": "lab", "min_region": None, "seed": 0, "force": False,
                    "max_pixels": DEFAULT_MAX_PIXELS, "edges": False, "classes": False,
                    "superpixels": None, "smooth": None, "working_size": None}
    assert set(opts["weights"]) == {"color", "intensity", "xy", "texture"}
    # An int seed stays an int, so every file of a batch starts from the same state.
    assert check_segment_options(seed=7)["seed"] == 7


@pytest.mark.parametrize("options, error, match", [
    ({"colour": 3}, TypeError, "colour"),
    ({"regions": 0}, ValueError, "regions"),
    ({"n_clusters": 257}, ValueError, "^n_clusters=257 should be <= 256; for many regions"),
    ({"n_clusters": 3, "regions": 4}, ValueError, "both given; expected one of them"),
    ({"edges": "yes"}, TypeError, "edges='yes' should be a bool, got str"),
    ({"max_pixels": 0}, ValueError, "max_pixels"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_check_segment_options_rejects_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        check_segment_options(**options)


def test_the_checked_options_run_the_job_unchanged(tmp_path):
    img = np.zeros((24, 32, 3), dtype=np.uint8)
    img[:, 16:] = (200, 40, 40)
    Image.fromarray(img).save(tmp_path / "two.png")
    opts = check_segment_options(regions=2, edges=True, seed=0)
    record = segment_file(tmp_path / "two.png", tmp_path / "out", **opts)
    assert record["n_regions"] == 2
    assert (tmp_path / "out" / "edges.png").exists()


def test_an_animation_segments_its_first_frame_and_says_so(tmp_path):
    first = np.zeros((20, 30, 3), dtype=np.uint8)
    first[:, 15:] = 255
    second = np.full((20, 30, 3), 128, dtype=np.uint8)
    frames = [Image.fromarray(f) for f in (first, second)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    with pytest.warns(FirstFrameWarning, match=r"^animated \(2 frames\); only the first frame "
                                               r"is segmented$"):
        record = segment_file(path, tmp_path / "out", regions=2)
    assert record["n_regions"] == 2
    stats = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert sorted(r["area"] for r in stats["region_stats"]) == [300, 300]


def test_a_still_image_gives_no_first_frame_warning(tmp_path, recwarn):
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "still.gif")
    segment_file(tmp_path / "still.gif", tmp_path / "out", regions=1)
    assert not [w for w in recwarn if issubclass(w.category, FirstFrameWarning)]


def test_transparency_is_said_so(tmp_path, recwarn):
    rgba = np.zeros((8, 10, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[:2, :3, 3] = 0
    rgba[2, 0, 3] = 128
    Image.fromarray(rgba).save(tmp_path / "a.png")
    with pytest.warns(AlphaIgnoredWarning, match=r"^6 of 80 pixels are fully transparent and "
                                                 r"are segmented as one colour, #00ff00, the "
                                                 r"corner of the RGB cube farthest from the "
                                                 r"visible colours, not by the colour stored "
                                                 r"in them, and 1 translucent pixel by the "
                                                 r"colour stored in it$"):
        segment_file(tmp_path / "a.png", tmp_path / "out", regions=1)
    Image.fromarray(rgba[..., :3]).save(tmp_path / "b.png")
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "c.png")
    recwarn.clear()
    segment_file(tmp_path / "b.png", tmp_path / "b", regions=1)
    segment_file(tmp_path / "c.png", tmp_path / "c", regions=1)
    assert not [w for w in recwarn if issubclass(w.category, AlphaIgnoredWarning)]


def test_overlay_color_is_checked_before_any_work_and_left_out_of_the_settings_as_red(
        photo_path, tmp_path):
    out = tmp_path / "seg"
    record = segment_file(photo_path, out, n_clusters=3, seed=1, overlay_color=(0, 0, 255))
    api = segment(read(photo_path), 3, seed=1)
    np.testing.assert_array_equal(read(out / "overlay.png"), api.overlay((0, 0, 255)))
    assert "overlay_color" not in record
    # a colour name or #rrggbb, as the command line takes it
    named = segment_file(photo_path, tmp_path / "named", n_clusters=3, seed=1,
                         overlay_color="Blue")
    assert (tmp_path / "named" / "overlay.png").read_bytes() == (out / "overlay.png").read_bytes()
    assert named["n_regions"] == record["n_regions"]
    with pytest.raises(ValueError, match=r"^overlay_color='bleu' is not valid; expected a "
                                         r"colour name \(red, cyan, yellow, \.\.\.\), "
                                         r"#rrggbb, #rgb, rrggbb, rgb\(r,g,b\), rgb\(r g b\) "
                                         r"or hsl\(h,s%,l%\)$"):
        segment_file(photo_path, tmp_path / "bad", overlay_color="bleu")
    with pytest.raises(TypeError, match=r"^overlay_color=0\.5 should be \(r, g, b\), three "
                                        r"integers from 0 to 255, or a colour name or #rrggbb$"):
        segment_file(photo_path, tmp_path / "bad", overlay_color=0.5)
    with pytest.raises(ValueError, match=r"^overlay_color=\(0, 0, 256\) should be \(r, g, b\)"):
        segment_file(photo_path, tmp_path / "bad", overlay_color=(0, 0, 256))
    assert not (tmp_path / "bad").exists()
    # red, the default, is no setting a batch records: folders made before the option
    # existed still match
    assert "overlay_color" not in check_segment_options(overlay_color=(255, 0, 0))
    assert check_segment_options(overlay_color=np.array([0, 128, 255]))["overlay_color"] == (
        0, 128, 255)
    with pytest.raises(ValueError, match=r"^overlay_color=\(1, 2\) should be"):
        check_segment_options(overlay_color=(1, 2))


def test_outputs_exist_with_the_right_types_and_agree_with_the_api(photo_path, tmp_path):
    out = tmp_path / "seg"
    record = segment_file(photo_path, out, n_clusters=4, seed=1)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    api = segment(read(photo_path), 4, seed=1)

    labels = read(out / "labels.png")
    assert labels.dtype == np.uint16
    np.testing.assert_array_equal(labels, api.labels)
    boundaries = read(out / "boundaries.png")
    assert boundaries.dtype == bool
    np.testing.assert_array_equal(boundaries, api.boundaries())
    segmented = read(out / "segmented.png")
    assert segmented.dtype == np.uint8 and segmented.shape == (60, 90, 3)
    np.testing.assert_array_equal(segmented, api.mean_color_image())
    np.testing.assert_array_equal(read(out / "overlay.png"), api.overlay())

    document = json.loads((out / "segments.json").read_text())
    assert document["n_regions"] == api.n_regions == record["n_regions"] == len(
        document["region_stats"])
    assert sum(r["area"] for r in document["region_stats"]) == 60 * 90
    assert document["region_stats"] == api.region_stats()
    assert record["outputs"] == list(OUTPUT_FILES)
    assert record["n_clusters"] == document["n_clusters"] == 4
    assert record["clusters_used"] == document["clusters_used"] == len(set(api.clusters))
    assert 1 <= record["clusters_used"] <= 4
    json.dumps(record)  # JSON-able



def test_every_png_keeps_the_resolution_of_the_input_whose_pixels_it_has(photo_path,
                                                                          tmp_path):
    # The label map and pictures of a 300-dpi scan came out without a pHYs chunk: their
    # physical size, the scan's, was lost.
    scan = tmp_path / "scan.jpg"
    Image.open(photo_path).save(scan, dpi=(300, 150), quality=95)
    segment_file(scan, tmp_path / "seg", n_clusters=3, seed=0, edges=True)
    segment_file(photo_path, tmp_path / "plain", n_clusters=3, seed=0, edges=True)
    pngs = sorted(p.name for p in (tmp_path / "seg").glob("*.png"))
    assert len(pngs) == 6
    for name in pngs:
        with Image.open(tmp_path / "seg" / name) as im:
            assert im.size == (90, 60)
            assert im.info["dpi"] == pytest.approx((300, 150), abs=0.02)
        with Image.open(tmp_path / "plain" / name) as im:
            assert "dpi" not in im.info


def _signed_photo(photo_path: Path, path: Path) -> Path:
    """``photo_path``'s pixels as a JPEG whose EXIF holds an artist, a copyright, an
    orientation of 6 (stored on its side) and, in its GPS directory, where it was taken."""
    exif = Image.Exif()
    exif[315], exif[33432], exif[0x0112] = "A. Artist", "(c) 2024 A. Artist", 6
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 1.5)})
    Image.open(photo_path).save(path, exif=exif.tobytes(), quality=95)
    return path


def _exif_of(path: Path) -> tuple[str | None, str | None, int | None, dict]:
    """The artist, copyright, orientation and GPS directory of the EXIF of ``path``."""
    with Image.open(path) as im:
        im.load()
        exif = im.getexif()
        return exif.get(315), exif.get(33432), exif.get(0x0112), dict(exif.get_ifd(0x8825))


_SIGNED = ("A. Artist", "(c) 2024 A. Artist", 1)  # upright, as the pixels are
_NONE = (None, None, None, {})


@pytest.mark.parametrize("options, pictures", [
    ({}, (*_SIGNED, {})),
    ({"keep_gps": True}, (*_SIGNED, {1: "N", 2: (52.0, 22.0, 1.5)})),
    ({"strip": True}, _NONE),
])
def test_the_pictures_keep_the_inputs_exif_as_reduce_keeps_it(photo_path, tmp_path, options,
                                                               pictures):
    # segmented.png and overlay.png dropped the artist and copyright that reduce keeps; the
    # GPS location is left out unless keep_gps, as reduce leaves it; the maps keep none.
    signed = _signed_photo(photo_path, tmp_path / "signed.jpg")
    record = segment_file(signed, tmp_path / "seg", n_clusters=3, seed=0, edges=True,
                          **options)
    kept = {name: _exif_of(tmp_path / "seg" / name) for name in record["outputs"]
            if name.endswith(".png")}
    assert kept == {"labels.png": _NONE, "segmented.png": pictures,
                    "boundaries.png": _NONE, "overlay.png": pictures, "flats.png": _NONE,
                    EDGES_FILE: _NONE}
    assert {key: record.get(key) for key in ("strip", "keep_gps")} == {
        key: options.get(key) for key in ("strip", "keep_gps")}
    with Image.open(tmp_path / "seg" / "segmented.png") as im:
        assert im.size == (60, 90)  # turned upright by the orientation


def test_check_segment_options_keeps_strip_and_keep_gps_only_when_given():
    # left out when not given: the settings a batch recorded before they were taken lack them
    assert {"strip", "keep_gps"} & set(check_segment_options()) == set()
    assert {key: check_segment_options(strip=True, keep_gps=True)[key]
            for key in ("strip", "keep_gps")} == {"strip": True, "keep_gps": True}
    with pytest.raises(TypeError, match="^keep_gps='no' should be a bool"):
        check_segment_options(keep_gps="no")


@pytest.mark.parametrize(("seed", "recorded"), [
    (7, 7), (np.int64(7), 7), (None, None), (np.random.default_rng(7), None)])
def test_the_record_names_the_seed_that_gives_the_same_regions_again(tmp_path, seed,
                                                                       recorded):
    # segments.json named every option but the seed, without which -k's regions may differ.
    rgb = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    (tmp_path / "in.png").write_bytes(png_bytes(rgb))
    record = segment_file(tmp_path / "in.png", tmp_path / "s", n_clusters=3, seed=seed)
    document = json.loads((tmp_path / "s" / "segments.json").read_text())
    assert record["seed"] == document["seed"] == recorded
    assert list(document)[list(document).index("space") + 1] == "seed"
    if recorded is not None:
        again = segment(rgb, 3, seed=document["seed"], min_region=document["min_region"],
                        weights=document["weights"])
        np.testing.assert_array_equal(read(tmp_path / "s" / "labels.png"), again.labels)

def test_input_is_never_touched(photo_path, tmp_path):
    before = photo_path.read_bytes()
    mtime = photo_path.stat().st_mtime_ns
    segment_file(photo_path, tmp_path / "seg", n_clusters=3, seed=0)
    assert photo_path.read_bytes() == before
    assert photo_path.stat().st_mtime_ns == mtime


def test_existing_outputs_need_force(photo_path, tmp_path):
    out = tmp_path / "seg"
    segment_file(photo_path, out, n_clusters=3, seed=0)
    (out / "segments.json").write_text("old")
    with pytest.raises(OutputExistsError, match="use force=True"):  # a parameter, not --force
        segment_file(photo_path, out, n_clusters=3, seed=0)
    assert (out / "segments.json").read_text() == "old"
    segment_file(photo_path, out, n_clusters=3, seed=0, force=True)
    assert json.loads((out / "segments.json").read_text())["n_clusters"] == 3


def test_no_partial_files_are_left(photo_path, tmp_path):
    out = tmp_path / "seg"
    segment_file(photo_path, out, n_clusters=3, seed=0)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_bad_weight_fails_before_reading(tmp_path):
    with pytest.raises(ValueError, match="'color', 'intensity', 'xy', 'texture'"):
        segment_file(tmp_path / "missing.png", tmp_path / "seg", weights={"edges": 1})
    assert not (tmp_path / "seg").exists()


@pytest.mark.parametrize(("options", "match"), [
    ({"force": "no"}, "^force='no' should be a bool, got str$"),
    ({"edges": 1}, "^edges=1 should be a bool, got int$"),
])
def test_a_flag_that_is_not_a_bool_is_refused_before_anything_is_touched(photo_path, tmp_path,
                                                                        options, match):
    out = tmp_path / "seg"
    out.mkdir()
    (out / "segments.json").write_text("old")
    with pytest.raises(TypeError, match=match):
        segment_file(photo_path, out, n_clusters=3, seed=0, **options)
    assert [p.name for p in out.iterdir()] == ["segments.json"]
    assert (out / "segments.json").read_text() == "old"


def test_too_many_clusters_fail_before_reading(tmp_path):
    with pytest.raises(ValueError, match="^n_clusters=20000 should be <= 256;"):
        segment_file(tmp_path / "missing.png", tmp_path / "seg", n_clusters=20000)
    assert not (tmp_path / "seg").exists()


# Peak bytes per pixel numpy held, on this 1500 x 2100 photo, with edges / with k-means:
# 38.5 / 35.7 at first (region means summed three times, with full-size intp and float64
# copies), 32.1 / 35.7 with them summed once, 29.1 / 31.7 with each output made in turn;
# the edge map's colour-mix cue then added 1.6 (30.7 with edges, read in bands of border
# pixels: 41.9 reading them all at once); -k's regions read from the cluster map a band
# at a time, 31.7 -> 25.9. (The working copy's share is too large on smaller photos to
# tell them apart.)
@pytest.mark.parametrize("options, limit", [({"edges": True}, 32.0), ({"n_clusters": 2}, 28.0)])
def test_a_large_photos_outputs_are_made_one_at_a_time(tmp_path, options, limit):
    """The job held every output image at once, the input's pixels beside the result's
    copy of them, the edge map in float32 beside its 16-bit levels, and each region's
    cluster as a float64 sum over every pixel: 4.4 GB for a 108 MP photo. Each output
    is now made just before it is encoded and let go after."""
    import tracemalloc

    rng = np.random.default_rng(0)
    h, w = 1500, 2100
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = 200
    img[h // 2:, :, 1] = 120
    Image.fromarray((img + rng.integers(0, 20, img.shape)).astype(np.uint8)).save(
        tmp_path / "photo.png")
    tracemalloc.start()
    try:
        segment_file(tmp_path / "photo.png", tmp_path / "out", **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / (h * w) < limit


@pytest.mark.parametrize("options", [{}, {"edges": True}])
def test_the_colour_outputs_are_handed_to_pillow_a_band_at_a_time(tmp_path, monkeypatch,
                                                                   options):
    """segmented.png and overlay.png were made as full-size arrays (3 bytes a pixel) that
    Pillow then copied into its own picture (4): the output stage held 4.35 bytes a pixel
    of arrays on this photo. Pillow's picture is now filled a band at a time: 3.21, the
    boundary mask and the 16-bit labels."""
    import tracemalloc

    from quantize import segment_file as module

    h, w = 3000, 500  # many bands of rows
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = 200
    img[h // 2:, :, 1] = 120
    img[..., 2] = np.arange(w) * 255 // w
    Image.fromarray(img).save(tmp_path / "photo.png")
    real, peaks = module._write_outputs, []

    def measured(paths, *args, **kwargs):  # the least of three: see memory_support.peak_bytes
        for again in ("", "2", "3"):  # the same outputs, written into out, out2 and out3
            (tmp_path / f"out{again}").mkdir(exist_ok=True)
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            real({name: tmp_path / f"out{again}" / name for name in paths}, *args, **kwargs)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)

    monkeypatch.setattr(module, "_write_outputs", measured)
    tracemalloc.start()
    try:
        segment_file(tmp_path / "photo.png", tmp_path / "out", **options)
    finally:
        tracemalloc.stop()
    assert len(peaks) == 3 and min(peaks) / (h * w) < 3.6
    segmented = read(tmp_path / "out" / "segmented.png")
    assert segmented.shape == (h, w, 3) and segmented[0, 0, 0] < 100 < segmented[0, -1, 0]


def test_edge_levels_are_made_a_band_at_a_time():
    """The 16-bit levels of edges.png were made from two full-size float32 temporaries (the
    map times 65535, then rounded), 8 bytes a pixel beside the map: 0.9 GB at 108 MP. The
    levels are the same, made a band at a time."""
    from quantize.segment_file import _edge_levels

    from .memory_support import peak_bytes

    strength = np.random.default_rng(0).random((1024, 4096), dtype=np.float32)
    strength[0, :3] = [0.0, 1.0, 0.5 / 65535]
    peak = peak_bytes(lambda: _edge_levels(strength), repeats=3)
    levels = _edge_levels(strength)
    np.testing.assert_array_equal(levels, np.rint(strength * 65535.0).astype(np.uint16))
    assert levels.dtype == np.uint16 and levels[0, :3].tolist() == [0, 65535, 0]
    assert peak / strength.size < 3.0  # the levels' own 2 bytes, and a band


def test_edges_png_is_the_16_bit_boundary_map(photo_path, tmp_path):
    out = tmp_path / "e"
    record = segment_file(photo_path, out, edges=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES + (EDGES_FILE,))
    assert record["outputs"][-2:] == [EDGES_FILE, "segments.json"]
    edges = read(out / EDGES_FILE)
    assert edges.dtype == np.uint16 and edges.shape == (60, 90)
    expected = np.rint(boundary_map(read(photo_path)) * 65535).astype(np.uint16)
    np.testing.assert_array_equal(edges, expected)


def test_a_forced_rerun_without_edges_removes_the_earlier_edges_png(photo_path, tmp_path):
    """The folder then holds what segments.json lists, not a map of an earlier run."""
    out = tmp_path / "e"
    segment_file(photo_path, out, n_clusters=3, seed=0, edges=True)
    record = segment_file(photo_path, out, n_clusters=4, seed=0, force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES) == sorted(
        record["outputs"])
    assert json.loads((out / "segments.json").read_text())["outputs"] == record["outputs"]


def test_a_forced_run_keeps_an_edges_png_no_earlier_run_wrote(photo_path, tmp_path):
    """With -o . beside a user's own edges.png, or after a run without --edges."""
    out = tmp_path / "e"
    out.mkdir()
    (out / EDGES_FILE).write_bytes(b"the user's own")
    segment_file(photo_path, out, n_clusters=3, seed=0, force=True)
    segment_file(photo_path, out, n_clusters=4, seed=0, force=True)
    assert (out / EDGES_FILE).read_bytes() == b"the user's own"


# --------------------------------------------------------------------------
# A failed job leaves no new folder
# --------------------------------------------------------------------------

GOOD_PNG = png_bytes(np.full((20, 30, 3), 90, np.uint8))
BAD_INPUTS = {
    "missing": (None, "no such file"),
    "text": (b"hello, not an image\n", "not an image Pillow can identify"),
    "empty": (b"", r"file is empty \(0 bytes\), expected an image"),
    "truncated": (GOOD_PNG[: len(GOOD_PNG) // 2], r"cannot decode image \(image file is "
                                                  r"truncated\)"),
    "bomb": (with_png_size(GOOD_PNG, 60000, 60000), "60000x60000 = 3,600,000,000 pixels "
                                                    "exceeds the limit of 250,000,000"),
}


def _bad_input(tmp_path, kind):
    data, reason = BAD_INPUTS[kind]
    path = tmp_path / f"{kind}.png"
    if data is not None:
        path.write_bytes(data)
    return path, reason


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_an_unreadable_input_leaves_no_new_folder(tmp_path, kind):
    path, reason = _bad_input(tmp_path, kind)
    out = tmp_path / "seg"
    with pytest.raises(ImageReadError, match=reason):
        segment_file(path, out, n_clusters=3)
    assert not out.exists()


def test_the_parents_created_for_the_outdir_are_removed_too(tmp_path):
    path, _ = _bad_input(tmp_path, "text")
    (tmp_path / "a").mkdir()
    with pytest.raises(ImageReadError):
        segment_file(path, tmp_path / "a" / "b" / "c" / "seg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "text.png"]
    assert list((tmp_path / "a").iterdir()) == []


@pytest.mark.parametrize("kind", ["missing", "bomb"])
def test_a_folder_that_existed_is_kept_with_its_files(tmp_path, kind):
    path, _ = _bad_input(tmp_path, kind)
    out = tmp_path / "seg"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "labels.png").write_bytes(b"old labels")
    with pytest.raises(ImageReadError):
        segment_file(path, out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "labels.png"]
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "labels.png").read_bytes() == b"old labels"

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageReadError):
        segment_file(path, empty)
    assert empty.is_dir() and list(empty.iterdir()) == []


def _disk_full_at(monkeypatch, name: str) -> None:
    """Make the write of output ``name``'s temporary file fail, as on a full disk."""
    real = Path.write_bytes

    def write_bytes(self, data):
        if self.name.startswith(f".{name}.") and self.name.endswith(".part"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


def _stopped_at_rename(monkeypatch, n: int,
                       stop: BaseException | type[BaseException] = KeyboardInterrupt) -> None:
    """Interrupt the ``n``-th rename of a temporary file into place (Ctrl-C, or ``stop``)."""
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == n:
            raise stop
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_outputs_written_before_a_failure_go_with_the_new_folder(tmp_path, monkeypatch):
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    _disk_full_at(monkeypatch, "segments.json")
    with pytest.raises(OutputError, match="No space left on device"):
        segment_file(tmp_path / "in.png", tmp_path / "seg", regions=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_a_full_disk_leaves_a_folder_that_existed_as_it_was(tmp_path, monkeypatch):
    # The outputs written before overlay.png were left behind, without segments.json,
    # and the rerun then stopped at "labels.png: output exists".
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    out = tmp_path / "seg"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    _disk_full_at(monkeypatch, "overlay.png")
    with pytest.raises(OutputError, match=r"seg/overlay.png: cannot write \(No space left"):
        segment_file(tmp_path / "in.png", out, regions=1)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]  # no temporary file either
    monkeypatch.undo()
    assert segment_file(tmp_path / "in.png", out, regions=1)["n_regions"] == 1


def _another_run_writes_while_segmenting(monkeypatch, out: Path) -> dict[str, bytes]:
    """While the job segments, another run puts its own outputs in ``out``."""
    theirs = {"labels.png": b"their labels", "segments.json": b"their record"}
    real = segment_pixels

    def segment_meanwhile(*args, **kwargs):
        for name, data in theirs.items():
            (out / name).write_bytes(data)
        return real(*args, **kwargs)

    monkeypatch.setattr("quantize.segment_file.segment_pixels", segment_meanwhile)
    return theirs


@pytest.mark.parametrize("made", [False, True], ids=["folder-made-by-the-job", "folder-existed"])
def test_outputs_another_run_put_in_place_meanwhile_are_neither_replaced_nor_removed(
        tmp_path, monkeypatch, made):
    # Both runs had found the folder free; the later one replaced the other's outputs
    # one by one, and a job that had made the folder removed them on failing.
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    out = tmp_path / "seg"
    if made:
        out.mkdir()
    theirs = _another_run_writes_while_segmenting(monkeypatch, out)
    with pytest.raises(OutputExistsError) as info:
        segment_file(tmp_path / "in.png", out, regions=1)
    assert (info.value.path, info.value.reason) == (
        str(out / "labels.png"), "output exists (another run wrote it while this one "
        "worked); use force=True to overwrite")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == theirs


def test_a_forced_job_replaces_outputs_another_run_put_in_place_meanwhile(tmp_path,
                                                                          monkeypatch):
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    out = tmp_path / "seg"
    _another_run_writes_while_segmenting(monkeypatch, out)
    record = segment_file(tmp_path / "in.png", out, regions=1, force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(record["outputs"])
    assert json.loads((out / "segments.json").read_text())["n_regions"] == 1


def test_a_forced_job_without_edges_removes_the_edges_png_another_run_put_meanwhile(
        tmp_path, monkeypatch):
    """The other run (with edges) put its outputs in place after this one had read the
    folder: its edges.png was left beside this job's outputs, a map of another image that
    no segments.json listed."""
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    other = tmp_path / "other.png"
    other.write_bytes(png_bytes(np.full((8, 6, 3), 30, np.uint8)))
    out = tmp_path / "seg"
    real = segment_pixels

    def another_run_meanwhile(*args, **kwargs):
        monkeypatch.setattr("quantize.segment_file.segment_pixels", real)
        segment_file(other, out, regions=1, edges=True, force=True)
        return real(*args, **kwargs)

    monkeypatch.setattr("quantize.segment_file.segment_pixels", another_run_meanwhile)
    record = segment_file(tmp_path / "in.png", out, regions=1, force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(record["outputs"]) == sorted(
        OUTPUT_FILES)
    assert json.loads((out / "segments.json").read_text())["input"] == str(tmp_path / "in.png")


def _finished_folder(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    rgb = np.full((20, 30, 3), 90, np.uint8)
    rgb[:, 15:] = 220
    src = tmp_path / "in.png"
    src.write_bytes(png_bytes(rgb))
    out = tmp_path / "seg"
    segment_file(src, out, regions=1)
    return src, out, {p.name: p.read_bytes() for p in out.iterdir()}


def test_each_output_is_written_before_the_next_is_encoded(tmp_path, monkeypatch):
    """Every encoded PNG was held in memory until all were encoded (1.6 GB at 108 MP, beside
    the picture being encoded). Each is now in its temporary file before the next is made,
    and none is put in place before the last is written."""
    from quantize import segment_file as module

    src, out, before = _finished_folder(tmp_path)
    real, seen = module._png_bytes, []

    def encode(image, dpi, exif=None):
        parts = sorted(p.name.split(".")[1] for p in out.iterdir() if p.name.endswith(".part")
                       and p.stat().st_size > 0)
        seen.append((parts, {p.name: p.read_bytes() for p in out.iterdir()
                             if not p.name.startswith(".")} == before))
        return real(image, dpi, exif)

    monkeypatch.setattr(module, "_png_bytes", encode)
    segment_file(src, out, regions=2, force=True, edges=True)
    assert [parts for parts, _ in seen] == [
        [], ["labels"], ["labels", "segmented"], ["boundaries", "labels", "segmented"],
        ["boundaries", "labels", "overlay", "segmented"],
        ["boundaries", "flats", "labels", "overlay", "segmented"]]
    assert all(untouched for _, untouched in seen)
    assert not any(p.name.endswith(".part") for p in out.iterdir())


def test_a_forced_rerun_that_fails_to_encode_leaves_the_folder_as_it_was(tmp_path,
                                                                         monkeypatch):
    src, out, before = _finished_folder(tmp_path)

    def fails_at_the_third(image, dpi, exif=None, calls=[]):  # noqa: B006 (counts the calls)
        calls.append(image)
        if len(calls) == 3:
            raise OSError("encoder broke")
        return b"new"

    monkeypatch.setattr("quantize.segment_file._png_bytes", fails_at_the_third)
    with pytest.raises(OSError, match="encoder broke"):
        segment_file(src, out, regions=2, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("name", ["labels.png", "edges.png", "segments.json"])
def test_a_forced_rerun_on_a_full_disk_leaves_the_earlier_run_as_it_was(tmp_path,
                                                                        monkeypatch, name):
    # It had replaced the images written before the failure and removed segments.json:
    # the earlier run's results were lost, and no new ones made.
    src, out, before = _finished_folder(tmp_path)
    _disk_full_at(monkeypatch, name)
    with pytest.raises(OutputError, match="No space left on device"):
        segment_file(src, out, regions=2, force=True, edges=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("stop", [KeyboardInterrupt(),
                                  PermissionError(errno.EPERM, os.strerror(errno.EPERM))])
def test_a_forced_rerun_stopped_while_putting_outputs_in_place_leaves_the_folder_as_it_was(
        tmp_path, monkeypatch, stop):
    """Ctrl-C, or a rename the system refuses (a file of another user's in a sticky
    folder), when edges.png and the images are in place and segments.json is not: the
    earlier run's outputs, segments.json too, are put back, and edges.png, which it
    added, is gone again."""
    src, out, before = _finished_folder(tmp_path)
    _stopped_at_rename(monkeypatch, 6, stop)
    with pytest.raises(OutputError if isinstance(stop, OSError) else KeyboardInterrupt):
        segment_file(src, out, regions=2, force=True, edges=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_second_ctrl_c_while_outputs_are_put_back_leaves_the_folder_as_it_was(
        tmp_path, monkeypatch, python_sigint):
    """Ctrl-C as boundaries.png is put in place, and again as labels.png is put back: the
    second one stopped the putting back, and left new images without segments.json."""
    import signal

    src, out, before = _finished_folder(tmp_path)
    real, sent = os.replace, []

    def interrupted(src, dst):
        if Path(dst).name == ("labels.png" if sent else "boundaries.png"):
            sent.append(Path(dst).name)
            signal.raise_signal(signal.SIGINT)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        segment_file(src, out, regions=2, force=True, edges=True)
    assert sent == ["boundaries.png", "labels.png"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_second_ctrl_c_while_a_new_folder_is_emptied_leaves_no_segments_json(
        tmp_path, monkeypatch):
    """Ctrl-C just after the outputs of a job into a new folder are in place has them
    removed again, with the folder; a second one while they were removed, labels.png
    first, left segments.json vouching for files no longer there."""
    import quantize.segment_file as module

    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    real_write, real_unlink, removed = module.write_together, Path.unlink, []

    def second_ctrl_c(self, missing_ok=False):
        removed.append(self.name)
        if len(removed) == 2:
            raise KeyboardInterrupt
        return real_unlink(self, missing_ok=missing_ok)

    def written_then_interrupted(*args, **kwargs):
        real_write(*args, **kwargs)
        monkeypatch.setattr(Path, "unlink", second_ctrl_c)
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "write_together", written_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        segment_file(tmp_path / "in.png", tmp_path / "seg", regions=1)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "seg").iterdir()) == [
        "boundaries.png", "flats.png", "labels.png", "overlay.png", "regions.csv",
        "segmented.png"]
    assert removed[:2] == ["segments.json", "regions.csv"]


@pytest.mark.parametrize("linked", [False, True])
def test_a_forced_rerun_without_edges_keeps_an_edges_png_that_is_its_input(tmp_path, linked):
    """The earlier run's edges.png, segmented itself with force and without edges (or through
    a link to it): it was removed as that run's leftover once the job was done, and the
    input was lost."""
    src, out, _ = _finished_folder(tmp_path)
    segment_file(src, out, regions=2, force=True, edges=True)
    edges = (out / "edges.png").read_bytes()
    given = out / "edges.png"
    if linked:
        from .fs_support import symlink_or_skip

        given = tmp_path / "link.png"
        symlink_or_skip(given, out / "edges.png")
    record = segment_file(given, out, regions=1, force=True)
    assert (out / "edges.png").read_bytes() == edges
    assert "edges.png" not in record["outputs"]


def test_an_interrupted_job_leaves_no_new_folder(tmp_path, monkeypatch):
    (tmp_path / "in.png").write_bytes(GOOD_PNG)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("quantize.segment_file.segment_pixels", interrupted)
    with pytest.raises(KeyboardInterrupt):
        segment_file(tmp_path / "in.png", tmp_path / "seg")
    assert not (tmp_path / "seg").exists()


def test_a_file_in_place_of_the_outdir_is_left_alone(tmp_path):
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    (tmp_path / "seg").write_text("a file")
    with pytest.raises(OutputError, match="exists and is not a directory"):
        segment_file(tmp_path / "in.png", tmp_path / "seg")
    assert (tmp_path / "seg").read_text() == "a file"


@pytest.mark.parametrize("under", ["", "sub"])
def test_an_outdir_through_a_link_that_leads_nowhere_is_named_as_one(tmp_path, under):
    # mkdir said only "output folder ... cannot be created (File exists)", of a path that
    # does not exist; the default folder of quantize segment, and each of a batch's, met it
    from .fs_support import symlink_or_skip

    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    symlink_or_skip(tmp_path / "seg", tmp_path / "gone", to_folder=True)
    outdir = tmp_path / "seg" / under if under else tmp_path / "seg"
    where = "is" if not under else f"lies under '{tmp_path / 'seg'}', which is"
    with pytest.raises(OutputError) as caught:
        segment_file(tmp_path / "in.png", outdir)
    assert str(caught.value) == (f"{outdir}: {where} a link to '{tmp_path / 'gone'}', which "
                                 "does not exist; expected an output folder")
    assert not (tmp_path / "gone").exists() and (tmp_path / "seg").is_symlink()


def test_a_successful_job_into_new_nested_folders_keeps_them(tmp_path):
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    segment_file(tmp_path / "in.png", tmp_path / "a" / "b", regions=1)
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == sorted(OUTPUT_FILES)


# Segments a file, and is killed (as by kill -9) when its first output is put in place.
_KILLED_WRITING = """
import os, sys
import quantize.io.write
quantize.io.write.os.replace = lambda src, dst: os._exit(9)
from quantize.segment_file import segment_file
segment_file(sys.argv[1], sys.argv[2], n_clusters=2, edges=True)
"""


def test_a_rerun_removes_the_temporary_files_a_killed_run_left_and_no_other(tmp_path):
    src = tmp_path / "a.png"
    Image.fromarray(np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)).save(src)
    out = tmp_path / "out"
    root = Path(__file__).resolve().parent.parent
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITING, str(src), str(out)],
                            cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                            capture_output=True, check=False)
    assert killed.returncode == 9, killed.stderr
    left = sorted(p.name for p in out.iterdir())
    assert [re.sub(r"\.[0-9]+-[a-z0-9_]{8}\.part$", "", name) for name in left] == sorted(
        f".{name}" for name in (*OUTPUT_FILES, EDGES_FILE))  # ".labels.png" + ".PID-XXXXXXXX"
    others = [".labels.png.part", ".labels.png.png.abcdefgh.part", ".notes.abcdefgh.part",
              "labels.png.abcdefgh.part"]
    for name in others:
        (out / name).write_bytes(b"mine")
    segment_file(src, out, n_clusters=2)  # without edges: its parts go too
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUT_FILES, *others])


def test_a_run_into_the_same_folder_leaves_the_temporary_files_of_one_in_progress(
        tmp_path, monkeypatch):
    # A second --force run started while the first had its outputs in temporary files
    # removed them as a killed run's: the first failed with "cannot write (No such file
    # or directory)". (The second runs before the first takes the folder's lock to put
    # them in place: run inside it, in this one process, it would wait for ever.)
    src = tmp_path / "a.png"
    Image.fromarray(np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)).save(src)
    out = tmp_path / "out"
    real, records = Path.write_bytes, []

    def write_bytes(self, data):
        written = real(self, data)
        if self.name.startswith(".segments.json.") and not records:  # the last one
            monkeypatch.setattr(Path, "write_bytes", real)
            records.append(segment_file(src, out, regions=1, force=True))
        return written

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    records.append(segment_file(src, out, regions=2, force=True))
    assert [r["n_regions"] for r in records] == [1, 2]
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert json.loads((out / "segments.json").read_text())["n_regions"] == 2


def test_pictures_of_an_image_with_transparent_pixels_keep_its_alpha(tmp_path):
    """segmented.png and overlay.png drew the colour transparent pixels are segmented as
    (a corner of the RGB cube: bright blue beside a dark photo) where the input shows
    nothing; they now carry the input's alpha, translucent pixels' too."""
    rgba = np.zeros((12, 16, 4), np.uint8)
    rgba[..., :3] = np.random.default_rng(0).integers(0, 256, (12, 16, 3))  # hidden
    rgba[:, 8:, :3] = (200, 40, 40)
    rgba[:, 8:, 3] = 255
    rgba[:, 6:8] = (200, 40, 40, 90)  # a translucent seam, segmented by its stored colour
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with pytest.warns(UserWarning, match="fully transparent"):
        segment_file(tmp_path / "a.png", tmp_path / "seg", regions=2)
    borders = read(tmp_path / "seg" / "boundaries.png").astype(bool)
    assert borders.any()
    for name, alpha in (("segmented.png", rgba[..., 3]),  # the overlay's borders are opaque
                        ("overlay.png", np.where(borders, 255, rgba[..., 3]))):
        with Image.open(tmp_path / "seg" / name) as im:
            assert im.mode == "RGBA"
            assert np.array_equal(np.asarray(im)[..., 3], alpha)
    with Image.open(tmp_path / "seg" / "segmented.png") as im:
        right = np.asarray(im)[:, 8:, :3].reshape(-1, 3)
    assert (right == (200, 40, 40)).all()


def test_the_overlay_of_a_cut_out_shape_draws_its_whole_outline(tmp_path):
    """A border pixel is the left or upper one of a change: of a shape cut out of a
    transparent background, the borders of its left and upper sides lie on transparent
    pixels, and overlay.png, given the input's alpha there, showed only the right and lower
    half of the outline. The borders are drawn opaque, as the overlay colour is."""
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[3:7, 3:7] = (200, 40, 40, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with pytest.warns(UserWarning, match="fully transparent"):
        segment_file(tmp_path / "a.png", tmp_path / "seg", regions=2,
                     overlay_color=(0, 255, 255))
    outline = np.zeros((10, 10), bool)
    outline[2, 3:7] = outline[6, 2:7] = outline[3:7, 2] = outline[3:7, 6] = True
    assert np.array_equal(read(tmp_path / "seg" / "boundaries.png").astype(bool), outline)
    with Image.open(tmp_path / "seg" / "overlay.png") as im:
        overlay = np.asarray(im)
    assert np.array_equal(overlay[..., 3] == 255, outline | (rgba[..., 3] == 255))
    assert (overlay[outline] == (0, 255, 255, 255)).all()
    assert (overlay[3:6, 3:6] == (200, 40, 40, 255)).all()


def test_pictures_of_an_opaque_rgba_image_stay_rgb(tmp_path):
    rgba = np.full((8, 8, 4), 255, np.uint8)
    rgba[:, 4:, :3] = 30
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    segment_file(tmp_path / "a.png", tmp_path / "seg", regions=2)
    for name in ("segmented.png", "overlay.png"):
        with Image.open(tmp_path / "seg" / name) as im:
            assert im.mode == "RGB"


def test_segments_json_keeps_the_rounded_region_stats(tmp_path):
    """region_stats(exact=True) is the library's: segments.json keeps the rounded figures
    (a mean red of 1/3 written 0.3)."""
    img = np.zeros((1, 3, 3), np.uint8)
    img[0, 0, 0] = 1
    Image.fromarray(img).save(tmp_path / "a.png")
    segment_file(tmp_path / "a.png", tmp_path / "out", regions=1)
    document = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert [(s["centroid"], s["mean_color"]) for s in document["region_stats"]] == [
        ([0.0, 1.0], [0.3, 0.0, 0.0])]


def test_segments_json_gives_the_units_of_every_region_statistic(tmp_path):
    # It gave the numbers alone: area, bbox and centroid in pixels and mean_color 0..255
    # were said in the README and --help only, not in the file a script reads.
    from quantize.segment_file import STATS_UNITS

    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / "a.png")
    segment_file(tmp_path / "a.png", tmp_path / "out", regions=1)
    document = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert document["region_stats_units"] == STATS_UNITS
    measured = set(document["region_stats"][0]) - {"label", "cluster"}
    assert set(document["region_stats_units"]) == measured
    assert list(document)[-2:] == ["region_stats_units", "region_stats"]


def test_segments_json_gives_each_cluster_a_mean_colour_and_its_pixels(tmp_path):
    # With -k, each region named its cluster, but no cluster had a colour: a paint-by-numbers
    # page had numbers and no paints.
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, 15:] = (200, 100, 0)
    Image.fromarray(img).save(tmp_path / "a.png")
    segment_file(tmp_path / "a.png", tmp_path / "out", n_clusters=2, seed=0,
                 weights={"xy": 0})
    document = json.loads((tmp_path / "out" / "segments.json").read_text())
    regions = {r["cluster"]: r["mean_color"] for r in document["region_stats"]}
    assert sorted(document["cluster_stats"], key=lambda c: c["mean_color"]) == [
        {"cluster": next(c for c, m in regions.items() if m == [0.0, 0.0, 0.0]), "regions": 1,
         "area": 300, "fraction": 0.5, "mean_color": [0.0, 0.0, 0.0]},
        {"cluster": next(c for c, m in regions.items() if m == [200.0, 100.0, 0.0]),
         "regions": 1, "area": 300, "fraction": 0.5, "mean_color": [200.0, 100.0, 0.0]}]
    assert list(document)[-3:] == ["cluster_stats", "region_stats_units", "region_stats"]


def test_segments_json_of_a_stretch_gives_each_cluster_its_mean_in_the_input_s_values(
        tmp_path):
    """A region's record had mean_input, its cluster's not: a class's mean count was lost."""
    counts = np.full((20, 30), 1000, np.uint16)
    counts[:, 15:] = 3000
    counts[:, 25:] = 1500  # 63.75 of 255, stored as 64 (1501.96 back): the input's mean kept
    Image.fromarray(counts).save(tmp_path / "c.tif")
    segment_file(tmp_path / "c.tif", tmp_path / "out", n_clusters=3, seed=0, stretch=True,
                 min_region=0, smooth=0, weights={"xy": 0, "texture": 0})
    document = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert sorted(c["mean_input"] for c in document["cluster_stats"]) == [
        [1000.0] * 3, [1500.0] * 3, [3000.0] * 3]
    assert all(list(c)[3:6] == ["fraction", "mean_color", "mean_input"]
               for c in document["cluster_stats"])
    regions = {r["cluster"]: r["mean_input"] for r in document["region_stats"]}
    assert all(regions[c["cluster"]] == c["mean_input"] for c in document["cluster_stats"])


def test_class_levels_are_16_bit_beyond_256_clusters():
    """classes.png is 8-bit up to 256 clusters, 16-bit beyond (the hierarchy's regions are
    its clusters; -k 256 and the transparent cluster make 257)."""
    from quantize.segment import SegmentResult
    from quantize.segment_file import class_levels

    labels = np.arange(1, 301, dtype=np.int32).reshape(10, 30)
    result = SegmentResult(labels, np.arange(300), np.zeros((300, 3)),
                           np.zeros((10, 30, 3), np.uint8), {}, 0)
    levels = class_levels(result)
    assert levels.dtype == np.uint16 and levels[-1, -1] == 299
    assert np.array_equal(levels, result.cluster_map())
    small = SegmentResult(labels[:, :2] % 256 + 1, np.arange(256), np.zeros((256, 3)),
                          np.zeros((10, 2, 3), np.uint8), {}, 0)
    assert class_levels(small).dtype == np.uint8


def _csv_rows(path):
    import csv

    with open(path, newline="", encoding="ascii") as f:
        return list(csv.reader(f))


def test_regions_csv_is_the_region_stats_one_row_per_region(tmp_path):
    """A per-region table for a spreadsheet (segments.json alone had the regions, and a batch
    report is one row per file): region_stats flattened, the transparent column last."""
    rgba = np.zeros((6, 8, 4), np.uint8)
    rgba[:, :4] = (200, 40, 40, 255)
    rgba[:, 4:] = (10, 200, 10, 0)  # a region no pixel of which shows
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with pytest.warns(AlphaIgnoredWarning):
        record = segment_file(tmp_path / "a.png", tmp_path / "seg", regions=2)
    assert record["outputs"][-2:] == ["regions.csv", "segments.json"]
    raw = (tmp_path / "seg" / "regions.csv").read_bytes()
    assert raw.count(b"\r\n") == 3 and raw.endswith(b"\r\n")
    header, *rows = _csv_rows(tmp_path / "seg" / "regions.csv")
    assert header == [
        "label", "cluster", "area", "perimeter", "bbox_row_min", "bbox_col_min",
        "bbox_row_max", "bbox_col_max", "centroid_row", "centroid_col", "inner_point_row",
        "inner_point_col", "mean_color_r", "mean_color_g", "mean_color_b",
        "segmented_color_r", "segmented_color_g", "segmented_color_b", "transparent"]
    stats = json.loads((tmp_path / "seg" / "segments.json").read_text())["region_stats"]
    assert [s["perimeter"] for s in stats] == [16, 16]  # 6 x 4 each: 24 pixels, 8 inside
    assert [row[2:4] for row in rows] == [["24", "16"], ["24", "16"]]
    assert [row[-1] for row in rows] == ["False", "True"]
    assert [row[:-1] for row in rows] == [
        [str(v) if v is not None else "" for key in s if key != "transparent"
         for v in (s[key] if isinstance(s[key], list) else [None] * 3 if s[key] is None
                   else [s[key]])] for s in stats]
    assert rows[1][12:18] == [""] * 6  # the transparent region has no colour: empty cells


def test_regions_csv_of_a_stretched_image_has_the_mean_input_columns(tmp_path):
    counts = np.full((4, 6), 1000, np.uint16)
    counts[:, 3:] = 3000
    Image.fromarray(counts).save(tmp_path / "c.png")
    segment_file(tmp_path / "c.png", tmp_path / "seg", n_clusters=2, seed=0, stretch=True,
                 weights={"xy": 0, "texture": 0}, min_region=0)
    header, *rows = _csv_rows(tmp_path / "seg" / "regions.csv")
    at = header.index("mean_color_b") + 1
    assert header[at:at + 3] == ["mean_input_r", "mean_input_g", "mean_input_b"]
    assert [row[at:at + 3] for row in rows] == [["1000.0"] * 3, ["3000.0"] * 3]


def _two_blocks_and_no_data(tmp_path, rgb=False):
    """``c.png``, 16-bit: counts 1000..1004 on the left (2 x 2), 5000..5008 on the right
    with one pixel of 0, no data; of ``rgb``, green the counts plus 10 and blue 7 less."""
    counts = np.array([[1000, 1002, 5000, 5004], [1000, 1004, 0, 5008]], np.uint16)
    if rgb:
        counts = np.dstack([counts, counts + 10 * (counts > 0),
                            counts - 7 * (counts > 0)]).astype(np.uint16)
        import tifffile  # Pillow writes no 16-bit RGB file


        tifffile.imwrite(tmp_path / "c.tif", counts, photometric="rgb")
        return tmp_path / "c.tif"
    Image.fromarray(counts).save(tmp_path / "c.png")
    return tmp_path / "c.png"


def test_stats_of_a_stretch_give_each_region_and_class_std_min_and_max_in_input_values(
        tmp_path):
    """A tissue report needed regionprops on labels.png for the spread of each region's
    values: segments.json and regions.csv gave mean_input alone. Exact on known regions,
    the no-data pixel (0) left out; one value a field of a grey input."""
    with pytest.warns(AlphaIgnoredWarning):  # the no-data pixel, segmented as one colour
        segment_file(_two_blocks_and_no_data(tmp_path), tmp_path / "seg", n_clusters=2, seed=0,
                     stretch=True, nodata=0, weights={"xy": 0, "texture": 0}, min_region=0,
                     smooth=0)
    document = json.loads((tmp_path / "seg" / "segments.json").read_text())
    left, right, hidden = sorted(document["region_stats"],
                                 key=lambda r: (r.get("transparent", False), r["label"]))
    assert [left[k] for k in ("mean_input", "std_input", "min_input", "max_input")] == [
        [1001.5] * 3, [1.65831], [1000.0], [1004.0]]  # std of 1000, 1002, 1000, 1004
    assert [right[k] for k in ("mean_input", "std_input", "min_input", "max_input")] == [
        [5004.0] * 3, [3.26599], [5000.0], [5008.0]]  # sqrt(32 / 3): the 0 left out
    assert [hidden[k] for k in ("std_input", "min_input", "max_input")] == [None] * 3
    assert list(left)[8:12] == ["mean_input", "std_input", "min_input", "max_input"]
    classes = {c["cluster"]: c for c in document["cluster_stats"]}
    assert {k: classes[left["cluster"]][k] for k in ("std_input", "min_input", "max_input")} \
        == {"std_input": [1.65831], "min_input": [1000.0], "max_input": [1004.0]}
    assert document["region_stats_units"]["std_input"].startswith("the input's own values")
    header, *rows = _csv_rows(tmp_path / "seg" / "regions.csv")
    at = header.index("mean_input_b") + 1
    assert header[at:at + 4] == ["std_input", "min_input", "max_input", "segmented_color_r"]
    cells = {row[0]: row[at:at + 3] for row in rows}
    assert cells[str(right["label"])] == ["3.26599", "5000.0", "5008.0"]
    assert cells[str(hidden["label"])] == ["", "", ""]


def test_stats_of_a_stretched_colour_image_give_std_min_and_max_per_channel(tmp_path):
    """Of a colour input, three values a field, as mean_input's, and three columns each."""
    with pytest.warns(AlphaIgnoredWarning):  # the no-data pixel, segmented as one colour
        segment_file(_two_blocks_and_no_data(tmp_path, rgb=True), tmp_path / "seg", n_clusters=2,
                     seed=0, stretch=True, nodata=0, weights={"xy": 0, "texture": 0},
                     min_region=0, smooth=0)
    document = json.loads((tmp_path / "seg" / "segments.json").read_text())
    left = next(r for r in document["region_stats"] if r["bbox"] == [0, 0, 2, 2])
    assert [left[k] for k in ("mean_input", "std_input", "min_input", "max_input")] == [
        [1001.5, 1011.5, 994.5], [1.65831] * 3, [1000.0, 1010.0, 993.0],
        [1004.0, 1014.0, 997.0]]
    header, *_ = _csv_rows(tmp_path / "seg" / "regions.csv")
    at = header.index("std_input_r")
    assert header[at:at + 9] == [f"{f}_input_{c}" for f in ("std", "min", "max")
                                 for c in "rgb"]


def test_an_outdir_that_is_a_link_loop_is_named_as_one(tmp_path):
    """It was said to be a link to 'b', "which does not exist", as a link to nothing."""
    (tmp_path / "in.png").write_bytes(GOOD_PNG)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OutputError) as caught:
        segment_file(tmp_path / "in.png", tmp_path / "a")
    assert str(caught.value) == (f"{tmp_path / 'a'}: is a link to 'b', which leads into a "
                                 "link loop; expected an output folder")
def _halves_tiff(path: Path, **tags: float) -> Path:
    """A 4 x 6 16-bit TIFF of two halves, 1000 and 3000, with the resolution ``tags``
    (x, y, unit) written as given."""
    counts = np.full((4, 6), 1000, np.uint16)
    counts[:, 3:] = 3000
    info = Image.Image().getexif()
    for name, tag in (("x", 0x011A), ("y", 0x011B), ("unit", 0x0128)):
        if name in tags:
            info[tag] = tags[name]
    Image.fromarray(counts).save(path, "TIFF", tiffinfo=info)
    return path


_HALVES = {"n_clusters": 2, "weights": {"xy": 0, "texture": 0}, "min_region": 0, "seed": 0,
           "stretch": True}


def test_a_tiff_in_centimetres_gives_areas_and_perimeters_in_micrometres(tmp_path):
    """segments.json and regions.csv gave areas and perimeters in pixels only, though the
    TIFF stated 0.5 um pixels (20000 per centimetre)."""
    tiff = _halves_tiff(tmp_path / "cells.tif", x=20000.0, y=20000.0, unit=3)
    record = segment_file(tiff, tmp_path / "out", **_HALVES)
    assert record["pixel_size_um"] == [0.5, 0.5]
    saved = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert saved["pixel_size_um"] == [0.5, 0.5]
    # 12 pixels of 0.25 um2; 10 edge pixels (all but the 2 inside) of 0.5 um
    assert [(s["area"], s["perimeter"], s["area_um2"], s["perimeter_um"])
            for s in saved["region_stats"]] == [(12, 10, 3.0, 5.0)] * 2
    assert saved["region_stats_units"]["area_um2"].startswith("square micrometres")
    assert saved["region_stats_units"]["perimeter_um"].startswith("micrometres")
    header, first, _ = (tmp_path / "out" / "regions.csv").read_text().splitlines()
    assert header.endswith(",segmented_color_b,area_um2,perimeter_um,transparent")
    assert first.endswith(",3.0,5.0,False")


def test_a_tiff_that_states_no_unit_gives_pixels_only(tmp_path):
    """Nothing is guessed: no tags, 300 dpi without a ResolutionUnit tag, or a screen's
    72 dpi give no pixel size, as the same image tagged in centimetres does."""
    for n, tags in enumerate([{}, {"x": 300.0, "y": 300.0}, {"x": 72.0, "y": 72.0, "unit": 2},
                              {"x": 20000.0, "y": 20000.0, "unit": 3}]):
        tiff = _halves_tiff(tmp_path / f"cells{n}.tif", **tags)
        segment_file(tiff, tmp_path / f"out{n}", **_HALVES)
        saved = json.loads((tmp_path / f"out{n}" / "segments.json").read_text())
        table = (tmp_path / f"out{n}" / "regions.csv").read_text()
        physical = [key for s in saved["region_stats"] for key in s if "_um" in key]
        if n < 3:
            assert ("pixel_size_um" in saved, physical, "_um" in table) == (False, [], False)
            assert "area_um2" not in saved["region_stats_units"]
        else:
            assert (saved["pixel_size_um"], physical, "_um" in table) == (
                [0.5, 0.5], ["area_um2", "perimeter_um"] * 2, True)


def test_an_imagej_tiff_keeps_its_scale_in_the_outputs_phys(tmp_path):
    """Its unit=um was not read: the PNGs said "Units: Undefined"."""
    tiff = tmp_path / "imagej.tif"
    info = Image.Image().getexif()
    info.update({0x010E: "ImageJ=1.54f\nunit=um\n", 0x011A: 2.0, 0x011B: 2.0, 0x0128: 1})
    Image.open(_halves_tiff(tmp_path / "plain.tif")).save(tiff, "TIFF", tiffinfo=info)
    record = segment_file(tiff, tmp_path / "out", **_HALVES)
    assert record["pixel_size_um"] == [0.5, 0.5]
    with Image.open(tmp_path / "out" / "labels.png") as labels:
        assert labels.info["dpi"] == pytest.approx((50800, 50800), rel=1e-6)


def test_a_stretch_clip_leaves_a_hot_pixel_out_and_is_recorded(tmp_path):
    """--stretch with a hot pixel gave one region; the percentiles leave it out."""
    counts = np.full((10, 10), 1000, np.uint16)
    counts[:, 5:] = 1100
    counts[0, 0] = 65535
    Image.fromarray(counts).save(tmp_path / "hot.png")
    options = {**_HALVES, "stretch": False, "min_region": 4}
    record = segment_file(tmp_path / "hot.png", tmp_path / "out", stretch_clip=1, **options)
    assert (record["stretch"], record["stretch_clip"]) == (True, 1.0)
    assert record["stretch_range"] == [1000.0, 1100.0]
    assert record["n_regions"] == 2
    assert check_segment_options(stretch_clip=1)["stretch_clip"] == 1.0
    assert "stretch_clip" not in check_segment_options(stretch=True)


def test_batch_records_a_stretch_clip_only_when_given_and_reruns_by_it(tmp_path):
    from typer.testing import CliRunner

    from quantize.batch.manifest import _as_checked
    from quantize.cli import app

    folder = tmp_path / "in"
    folder.mkdir()
    counts = np.full((10, 10), 1000, np.uint16)
    counts[:, 5:] = 1100
    counts[0, 0] = 65535
    Image.fromarray(counts).save(folder / "hot.png")
    runner = CliRunner()
    args = ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode", "segment", "-k", "2",
            "-w", "xy=0", "-w", "texture=0", "--min-region", "4"]
    out = runner.invoke(app, [*args, "--stretch-clip", "1"])
    assert out.exit_code == 0, out.output
    record = json.loads((tmp_path / "out" / "hot" / "segments.json").read_text())
    assert (record["stretch_clip"], record["stretch_range"], record["n_regions"]) == (
        1.0, [1000.0, 1100.0], 2)
    again = runner.invoke(app, [*args, "--stretch-clip", "1"])
    assert "0 ok, 1 skipped" in again.output
    plain = runner.invoke(app, [*args, "--stretch"])
    assert plain.exit_code != 0
    assert "made with --stretch-clip=1.0, while this run asks for --stretch-clip=(not given)" \
        in plain.output
    # a batch's settings without it match those recorded before it was added
    assert "stretch_clip" not in _as_checked(check_segment_options(n_clusters=2, stretch=True))
