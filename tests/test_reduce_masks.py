"""One mask (a screen printer's separation) per palette entry: ``ReduceResult.masks``,
``ReduceResult.save_masks``, ``reduce_file(masks=...)`` and ``quantize reduce --masks``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import reduce_colors
from quantize.animation import reduce_animation_file
from quantize.cli import app
from quantize.errors import OutputExistsError
from quantize.reduce import reduce_file
from tests.animation_support import save_animation

runner = CliRunner()

#: Three colours in known places: two columns of red on black, a bottom row of blue.
RED, BLUE = [200, 40, 40], [0, 0, 250]


def three_inks() -> np.ndarray:
    image = np.zeros((3, 4, 3), np.uint8)
    image[:, 2:] = RED
    image[2, :] = BLUE
    return image


def printed(path: Path) -> list[list[int]]:
    """Where a mask file prints: 1 for its black pixels."""
    with Image.open(path) as im:
        assert im.mode == "1"
        return (~np.asarray(im)).astype(int).tolist()


def test_the_masks_of_a_result_are_its_entries_pixels():
    result = reduce_colors(three_inks(), 3, seed=0)
    masks = result.masks()
    assert len(masks) == result.k == 3
    for entry, mask in zip(result.palette.tolist(), masks, strict=True):
        assert mask.dtype == bool
        assert np.array_equal(mask, (three_inks() == entry).all(axis=2))


def test_the_masks_partition_the_pixels_that_are_not_fully_transparent(rng):
    image = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    image[..., 3] = np.where(image[..., 3] < 60, 0, image[..., 3])  # some clear pixels
    result = reduce_colors(image, 8, seed=0)
    stacked = np.stack(result.masks()).astype(int)
    assert np.array_equal(stacked.sum(axis=0), (image[..., 3] > 0).astype(int))
    assert (stacked.sum(axis=(1, 2)) > 0).all()  # each of its k entries draws some pixel


def test_reduce_file_writes_one_mask_per_entry_with_the_input_s_resolution(tmp_path):
    src = tmp_path / "scan.png"
    Image.fromarray(three_inks()).save(src, dpi=(300, 300))
    record = reduce_file(src, tmp_path / "scan.k3.tif", n_colors=3, masks=tmp_path / "seps")
    names = sorted(p.name for p in (tmp_path / "seps").iterdir())
    # named by the entry's index in the output and its colour, in the order of the record
    assert names == [f"scan.k3.ink{i:02d}-{entry['hex'][1:]}.png"
                     for i, entry in enumerate(record["palette"])]
    assert names == ["scan.k3.ink00-000000.png", "scan.k3.ink01-0000fa.png",
                     "scan.k3.ink02-c82828.png"]
    seps = tmp_path / "seps"
    assert printed(seps / names[0]) == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    assert printed(seps / names[1]) == [[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
    assert printed(seps / names[2]) == [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    for name in names:
        with Image.open(seps / name) as mask:
            assert mask.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_the_masks_follow_a_given_palette_s_indices_and_leave_out_unused_entries(tmp_path):
    src = tmp_path / "a.png"
    Image.fromarray(three_inks()).save(src)
    palette = np.array([[0, 255, 0], RED, [0, 0, 0], BLUE], np.uint8)  # green: unused
    reduce_file(src, tmp_path / "a.png.out.png", palette_in=palette, masks=tmp_path)
    names = sorted(p.name for p in tmp_path.glob("*.ink*"))
    assert names == ["a.png.out.ink01-c82828.png", "a.png.out.ink02-000000.png",
                     "a.png.out.ink03-0000fa.png"]


def test_transparent_pixels_are_in_no_mask_and_their_entry_has_none(tmp_path):
    image = np.dstack([three_inks(), np.full((3, 4), 255, np.uint8)])
    image[0, 0, 3] = 0
    result = reduce_colors(image, 3, seed=0)
    paths = result.save_masks(tmp_path, "clear")
    assert len(paths) == 3  # the entry of the clear pixel (index 0 in the .png) has no file
    assert [p.name[:11] for p in paths] == ["clear.ink01", "clear.ink02", "clear.ink03"]
    assert sum(np.array(printed(p)) for p in paths).tolist() == \
        [[0, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]


def test_save_masks_keeps_the_resolution_given_and_refuses_what_exists(tmp_path):
    result = reduce_colors(three_inks(), 3, seed=0)
    paths = result.save_masks(tmp_path / "made", "t", dpi=(600, 600))
    with Image.open(paths[0]) as mask:
        assert mask.info["dpi"] == pytest.approx((600, 600), abs=0.01)
    before = paths[0].read_bytes()
    with pytest.raises(OutputExistsError):
        reduce_colors(three_inks()[::-1], 3, seed=0).save_masks(tmp_path / "made", "t")
    assert paths[0].read_bytes() == before
    assert result.save_masks(tmp_path / "made", "t", force=True) == paths


def test_an_existing_mask_keeps_the_output_from_being_written(tmp_path):
    src = tmp_path / "s.png"
    Image.fromarray(three_inks()).save(src)
    (tmp_path / "s.k3.ink02-c82828.png").write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="output exists; use force=True"):
        reduce_file(src, n_colors=3, masks=tmp_path)
    assert not (tmp_path / "s.k3.png").exists()
    assert (tmp_path / "s.k3.ink02-c82828.png").read_bytes() == b"old"
    assert len(list(tmp_path.glob("*.ink*"))) == 1  # none of the others either


def test_masks_are_refused_for_an_animation_before_any_work(tmp_path):
    frames = [np.full((4, 4, 3), c, np.uint8) for c in (0, 255)]
    src = save_animation(tmp_path / "clip.gif", frames, duration=50)
    with pytest.raises(ValueError, match=r"^masks='.*seps': the input is an animation \(or a "
                                         r"TIFF of several pages\), and masks are written of "
                                         r"a still image; expected a still, or no masks$"):
        reduce_file(src, tmp_path / "out.gif", n_colors=2, masks=tmp_path / "seps")
    assert not (tmp_path / "seps").exists() and not (tmp_path / "out.gif").exists()
    with pytest.raises(ValueError, match=r"^masks='.*seps': the input is an animation"):
        reduce_animation_file(src, tmp_path / "out.gif", n_colors=2, masks=tmp_path / "seps")
    assert not (tmp_path / "seps").exists() and not (tmp_path / "out.gif").exists()


def test_a_masks_folder_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"masks='.*notes.txt/seps' lies under '.*notes.txt', "
                                         r"which is an existing file; expected a folder"):
        reduce_file(tmp_path / "any.png", masks=tmp_path / "notes.txt" / "seps")


def test_the_command_writes_masks_beside_its_output(tmp_path):
    src = tmp_path / "art.png"
    Image.fromarray(three_inks()).save(src)
    result = runner.invoke(app, ["reduce", str(src), "-k", "3", "-o", str(tmp_path / "q.tif"),
                                 "--masks", str(tmp_path / "seps"), "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "seps").iterdir()) == [
        "q.ink00-000000.png", "q.ink01-0000fa.png", "q.ink02-c82828.png"]


@pytest.mark.parametrize("args, said", [
    (["-o", "-"], "--masks='seps': the masks are named after the output file, and the image "
                  "goes to stdout; name the output with -o FILE"),
    (["b.png"], "--masks='seps' takes one input, but 2 were given; write each input's masks "
                "in a call of its own"),
])
def test_the_command_refuses_masks_it_cannot_name(tmp_path, monkeypatch, args, said):
    monkeypatch.chdir(tmp_path)
    for name in ("a.png", "b.png"):
        Image.fromarray(three_inks()).save(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, ["reduce", "a.png", *args, "--masks", "seps"])
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {said}\n")
    assert not Path("seps").exists()
