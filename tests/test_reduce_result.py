"""quantize.reduce.result: ReduceResult, its views (RGB, RGBA, PIL, tRNS) and its metrics."""

from __future__ import annotations

import io
import math
import os
import re
import stat
import warnings

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import reduce_colors
from quantize.cli import app
from quantize.errors import AlphaLossWarning, OutputError
from quantize.io import STREAM_OUTPUT
from quantize.reduce import reduce_file
from quantize.reduce.result import Fidelity, Pairs, ReduceResult

from .result_support import assert_stay_read_only, copied

BLACK_WHITE = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)


def result(palette, indices, pairs, *, transparent_index=None, alpha=None) -> ReduceResult:
    k = len(palette)
    return ReduceResult(np.asarray(palette, np.uint8), np.asarray(indices, np.uint8),
                        np.full(k, 1 / k), transparent_index, "rgb", False,
                        None if alpha is None else np.asarray(alpha, np.uint8),
                        Fidelity(pairs))


def test_psnr_and_delta_e_are_counted_over_the_pairs():
    # Two black pixels drawn black, two near-white ones (250) drawn white.
    pairs = Pairs(np.array([[0, 0, 0], [250, 250, 250]], np.uint8), np.array([0, 1]),
                  np.array([2, 2]))
    r = result(BLACK_WHITE, [[0, 1], [1, 0]], pairs)
    mse = (0 * 2 + 25 * 2) / 4  # 5 levels off in each channel of half the pixels
    assert r.psnr == pytest.approx(10 * math.log10(255 ** 2 / mse))
    assert r.delta_e > 0
    exact = result(BLACK_WHITE, [[0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]),
                                                np.array([1, 1])))
    assert exact.psnr == math.inf and exact.delta_e == 0.0


def test_psnr_on_black_and_white_is_that_of_the_images_composited(rng):
    """Equivalence: the PSNR of the result's RGBA and the original's, both composited on
    the background, over the pixels visible in either (a transparent one is exact)."""
    rgba = rng.integers(0, 256, (12, 10, 4), dtype=np.uint8)
    rgba[0, :4, 3], rgba[1, :3, 3] = 0, 255
    reduced = reduce_colors(rgba, 6, seed=0)
    for over, level in (("black", 0.0), ("white", 255.0)):
        shown = [x[..., :3] * (x[..., 3:] / 255.0) + level * (1 - x[..., 3:] / 255.0)
                 for x in (rgba.astype(np.float64), reduced.to_rgba().astype(np.float64))]
        seen = (rgba[..., 3] > 0) | (reduced.to_rgba()[..., 3] > 0)
        mse = np.mean(((shown[0] - shown[1]) ** 2)[seen])
        assert reduced.psnr_on(over) == pytest.approx(10 * math.log10(255 ** 2 / mse))
    opaque = reduce_colors(rgba[..., :3], 6, seed=0)
    assert opaque.psnr_on("white") == opaque.psnr_on("black") == opaque.psnr
    with pytest.raises(ValueError, match="over='grey'.*black.*white"):
        reduced.psnr_on("grey")


def test_views_of_an_opaque_result():
    r = result(BLACK_WHITE, [[1, 0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    assert r.k == 2 and r.transparency() is None
    assert r.to_rgb().tolist() == [[[255, 255, 255], [0, 0, 0], [255, 255, 255]]]
    assert r.to_rgba()[..., 3].tolist() == [[255, 255, 255]]
    image = r.to_image()
    assert image.mode == "P" and "transparency" not in image.info
    assert np.array_equal(np.asarray(image), r.indices)


def test_the_transparent_entry_comes_last_in_the_result_and_first_in_its_image():
    r = result(BLACK_WHITE, [[0, 2], [1, 2]], Pairs(BLACK_WHITE, np.array([0, 1]),
                                                    np.ones(2)),
               transparent_index=2, alpha=[255, 128])
    assert r.k == 2
    assert r.full_palette(alpha=True).tolist() == [[0, 0, 0, 255], [255, 255, 255, 128],
                                                   [0, 0, 0, 0]]
    assert r.transparency() == bytes([255, 128, 0])
    assert r.to_rgba().tolist() == [[[0, 0, 0, 255], [0, 0, 0, 0]],
                                    [[255, 255, 255, 128], [0, 0, 0, 0]]]
    # as in the .png quantize reduce writes: the transparent entry is index 0
    image = r.to_image()
    assert image.info["transparency"] == bytes([0, 255, 128])
    assert np.asarray(image).tolist() == [[1, 0], [2, 0]]
    assert r.indices.tolist() == [[0, 2], [1, 2]] and r.transparent_index == 2


@pytest.mark.parametrize("suffix", [".png", ".gif", ".webp"])
def test_an_image_with_one_transparent_entry_saves_in_every_format(tmp_path, suffix):
    # to_image() put the transparency as PNG tRNS bytes, which Pillow's GIF writer
    # cannot take: to_image().save("x.gif") failed with "unsupported operand
    # type(s) for &: 'bytes' and 'int'". One fully transparent entry is now its index.
    r = result(BLACK_WHITE, [[0, 2], [1, 2]], Pairs(BLACK_WHITE, np.array([0, 1]),
                                                    np.ones(2)), transparent_index=2)
    image = r.to_image()
    assert image.mode == "P" and image.info["transparency"] == 0
    image.save(tmp_path / f"out{suffix}", **({"lossless": True} if suffix == ".webp" else {}))
    with Image.open(tmp_path / f"out{suffix}") as back:
        np.testing.assert_array_equal(np.asarray(back.convert("RGBA")), r.to_rgba())


def translucent_result() -> ReduceResult:
    """Black opaque, white at alpha 100 and 200, and a transparent entry (index 3)."""
    palette = [[0, 0, 0], [255, 255, 255], [255, 255, 255]]
    return result(palette, [[0, 1], [2, 3]], Pairs(np.array(palette, np.uint8),
                                                   np.arange(3), np.ones(3)),
                  transparent_index=3, alpha=[255, 100, 200])


def test_to_image_puts_the_transparent_entry_first_and_the_others_in_their_order(tmp_path):
    # to_image() put the entry of fully transparent pixels last, where the .png quantize
    # reduce writes has it first, its tRNS ending at the last translucent entry.
    r = translucent_result()
    image = r.to_image()
    assert image.mode == "P"
    assert image.getpalette() == [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]
    assert image.info["transparency"] == bytes([0, 255, 100, 200])
    assert np.asarray(image).tolist() == [[1, 2], [3, 0]]
    # the result's own numbering is kept
    assert r.indices.tolist() == [[0, 1], [2, 3]] and r.transparent_index == 3
    assert r.transparency() == bytes([255, 100, 200, 0])
    image.save(tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as back:
        np.testing.assert_array_equal(np.asarray(back.convert("RGBA")), r.to_rgba())


def test_to_image_of_a_fitted_result_with_alpha_has_the_shortest_trns():
    # a translucent (alpha 100), an opaque and a fully transparent pixel
    rgba = np.array([[[100, 200, 200, 100], [250, 200, 200, 255], [7, 7, 7, 0]]], np.uint8)
    r = quantize_reduce(rgba)
    assert r.palette.tolist() == [[100, 200, 200], [250, 200, 200]]
    assert r.indices.tolist() == [[0, 1, 2]]
    image = r.to_image()
    assert image.getpalette() == [0, 0, 0, 100, 200, 200, 250, 200, 200]
    assert image.info["transparency"] == b"\x00d"  # no byte for the opaque entry
    assert np.asarray(image).tolist() == [[1, 2, 0]]


def test_to_image_for_a_gif_keeps_one_transparent_entry_and_saves(tmp_path):
    # With translucent entries to_image() gives PNG tRNS bytes, and saving it as .gif
    # failed inside Pillow ("unsupported operand type(s) for &: 'bytes' and 'int'").
    # to_image(gif=True) is what a .gif holds: alpha below 128 transparent, the rest opaque.
    r = translucent_result()
    # fitted on partial alpha, which the GIF drops after the fit: said, as quantize reduce
    # fits a .gif's colours on the GIF's own alpha (10 colours at 18.6 dB against 16 at
    # 34.3 for coffee under an alpha ramp at k = 16, without a word)
    with pytest.warns(AlphaLossWarning, match=r"^GIF has no partial alpha: 2 translucent "
                      r"entries are made transparent \(alpha below 128\) or opaque, after the "
                      r"colours were fitted; for a GIF's colours fitted to what it shows, give "
                      r"reduce_colors the alpha made 0 below 128 and 255 from it$"):
        image = r.to_image(gif=True)
    # the entry of fully transparent pixels first, as in the .gif quantize reduce writes
    assert image.mode == "P" and image.info["transparency"] == 0
    assert np.asarray(image).tolist() == [[1, 0], [3, 0]]
    assert np.reshape(image.getpalette(), (-1, 3)).tolist() == [
        [0, 0, 0], [0, 0, 0], [255, 255, 255], [255, 255, 255]]
    image.save(tmp_path / "out.gif")
    with Image.open(tmp_path / "out.gif") as back:
        assert np.asarray(back.convert("RGBA")).tolist() == [
            [[0, 0, 0, 255], [0, 0, 0, 0]], [[255, 255, 255, 255], [0, 0, 0, 0]]]


def test_to_image_for_a_gif_of_an_opaque_result_has_no_transparency():
    r = result(BLACK_WHITE, [[1, 0]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    image = r.to_image(gif=True)
    assert "transparency" not in image.info
    assert np.asarray(image).tolist() == [[1, 0]]


def test_to_image_for_a_gif_refuses_more_than_256_entries():
    palette = np.zeros((300, 3), np.uint8)
    r = ReduceResult(palette, np.zeros((1, 1), np.uint16), np.full(300, 1 / 300), None,
                     "rgb", False, None, Fidelity(None))
    with pytest.raises(ValueError, match=r"^a GIF holds at most 256 palette entries, this "
                                         r"result has 300; reduce to fewer colours$"):
        r.to_image(gif=True)


def test_more_than_256_entries_give_an_rgb_image():
    palette = np.stack([np.arange(300) % 256, np.arange(300) // 256, np.zeros(300)], axis=1)
    indices = np.arange(300, dtype=np.uint16).reshape(15, 20)
    r = ReduceResult(palette.astype(np.uint8), indices, np.full(300, 1 / 300), None, "rgb",
                     False, None, Fidelity(None))
    image = r.to_image()
    assert image.mode == "RGB"
    assert np.array_equal(np.asarray(image), r.to_rgb())


def test_dithered_fidelity_counts_each_colour_entry_pair():
    colors = np.array([[10, 10, 10], [200, 200, 200]], np.uint8)
    # Pixels 0 and 1 have colour 0, drawn with entries 0 and 1; pixels 2 and 3 colour 1.
    fidelity = Fidelity(None, colors=colors, colour_of=np.array([0, 0, 1, 1]))
    pairs = fidelity.pairs(np.array([[0, 1], [1, 1]]))
    assert pairs.colors.tolist() == [[10, 10, 10], [10, 10, 10], [200, 200, 200]]
    assert pairs.entries.tolist() == [0, 1, 1] and pairs.counts.tolist() == [1, 1, 2]


def test_the_result_class_is_importable_from_the_package():
    # quantize exported SegmentResult but not ReduceResult, what reduce_colors returns.
    import quantize

    assert "ReduceResult" in quantize.__all__
    result = quantize.reduce_colors(np.array([[[0, 0, 0], [9, 9, 9]]], np.uint8), 2)
    assert type(result) is quantize.ReduceResult is quantize.reduce.ReduceResult


@pytest.mark.parametrize("value", ["no", 0, None])
def test_to_image_and_full_palette_refuse_a_flag_that_is_no_bool(value):
    # to_image(gif="no") made the GIF image, its translucent entry shown opaque:
    # the partial alpha was dropped without a word.
    rgba = np.full((1, 3, 4), 200, np.uint8)
    rgba[0, :, 0] = [0, 100, 250]
    rgba[0, :, 3] = [0, 100, 255]
    result = quantize_reduce(rgba)
    with pytest.raises(TypeError, match=rf"^gif={value!r} should be a bool, got "
                                        rf"{type(value).__name__}$"):
        result.to_image(gif=value)
    with pytest.raises(TypeError, match=rf"^alpha={value!r} should be a bool"):
        result.full_palette(alpha=value)
    assert result.to_image(gif=False).info["transparency"] == b"\x00d"
    with pytest.warns(AlphaLossWarning):  # its translucent entry
        assert result.to_image(gif=np.bool_(True)).info["transparency"] == 0


def quantize_reduce(image):
    return reduce_colors(image, 2, seed=0)


def test_a_results_arrays_are_read_only_and_the_callers_stay_writable():
    """Editing result.indices changed to_rgb() but not the psnr computed before, nor the
    shares: the result disagreed with itself. Its arrays are now read-only views."""
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, :, :3] = 200
    rgba[1, 0, 3] = 0
    palette = np.array([[200, 200, 200, 255], [0, 0, 0, 255]], np.uint8)
    reduced = reduce_colors(rgba, palette=palette)
    for name in ("palette", "indices", "shares", "alpha"):
        field = getattr(reduced, name)
        assert not field.flags.writeable
        with pytest.raises(ValueError, match="assignment destination is read-only"):
            field[0] = 1
    assert rgba.flags.writeable and palette.flags.writeable
    assert reduced.indices.tolist() == [[0, 0, 0], [2, 1, 1]] and reduced.psnr == math.inf
    copy = reduced.indices.copy()
    copy[0, 0] = 1  # a copy may be edited
    assert reduced.to_rgb().flags.writeable and reduced.full_palette().flags.writeable


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_an_unpickled_or_copied_result_stays_read_only(how):
    """pickle.loads(pickle.dumps(result)) and copy.deepcopy(result) gave writable arrays:
    an edit put the copy out of step with its metrics. They are read-only as in the original."""
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, :, :3] = 200
    rgba[1, 0, 3] = 100
    reduced = reduce_colors(rgba, 2)
    made = copied(reduced, how)
    for name in ("palette", "indices", "shares", "alpha"):
        assert not getattr(made, name).flags.writeable
        assert getattr(made, name).tolist() == getattr(reduced, name).tolist()
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        made.indices[0, 0] = 1
    assert (made.psnr, made.delta_e, made.k) == (reduced.psnr, reduced.delta_e, reduced.k)


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_a_given_palette_s_transparent_entry_keeps_its_index_in_the_image(how):
    # The result did not record where the given palette has its transparent entry, and
    # to_image() put it first: index 0, the red at index 0 but blue and green one up.
    rgba = np.array([[[200, 30, 30, 255], [0, 0, 0, 0], [20, 20, 220, 255],
                      [0, 255, 0, 255]]], np.uint8)
    palette = [(200, 30, 30, 255), (0, 0, 0, 0), (20, 20, 220, 255), (0, 255, 0, 255)]
    made = copied(reduce_colors(rgba, palette=palette), how)
    assert made.indices.tolist() == [[0, 3, 1, 2]] and made.transparent_index == 3
    for gif in (False, True):
        image = made.to_image(gif=gif)
        assert image.getpalette() == [200, 30, 30, 0, 0, 0, 20, 20, 220, 0, 255, 0]
        assert image.info["transparency"] == 1
        assert np.asarray(image).tolist() == [[0, 1, 2, 3]]
    assert "_clear_at" not in repr(made)


def noisy_photo(seed: int = 3) -> np.ndarray:
    """A 12 x 16 image of four quadrants plus seeded noise: many distinct colours."""
    rng = np.random.default_rng(seed)
    image = np.zeros((12, 16, 3), np.int16)
    image[:6, 8:] = [200, 40, 40]
    image[6:, :8] = [30, 60, 210]
    image[6:, 8:] = [220, 220, 90]
    image += rng.integers(-20, 21, image.shape, dtype=np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


REPLACED_INDICES = (
    "indices: a ReduceResult's psnr, delta_e and shares are measured on the indices it "
    "was made with, and these differ (dataclasses.replace cannot change them); for other "
    "indices, reduce the image again, e.g. reduce_colors(image, palette=result.palette)")


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_replacing_the_indices_with_other_values_is_refused(dither):
    """dataclasses.replace(result, indices=other) kept the pairs counted from the old
    indices: its psnr (27.6 dB for the astronaut at k=16) was that of the old image."""
    import dataclasses

    reduced = reduce_colors(noisy_photo(), 4, dither=dither, seed=0)
    other = reduced.indices.copy()
    other[0, 0] = (other[0, 0] + 1) % reduced.k
    with pytest.raises(ValueError, match=f"^{re.escape(REPLACED_INDICES)}$"):
        dataclasses.replace(reduced, indices=other)
    with pytest.raises(ValueError, match="^indices: "):
        dataclasses.replace(reduced, indices=reduced.indices[:, :-1])
    for same in (reduced.indices, reduced.indices.copy(), reduced.indices.astype(np.uint16)):
        again = dataclasses.replace(reduced, indices=same)
        assert (again.psnr, again.delta_e) == (reduced.psnr, reduced.delta_e)


def test_a_result_with_a_replaced_palette_measures_the_new_palette():
    import dataclasses

    from quantize import reduce_colors
    from quantize.metrics import psnr

    image = noisy_photo()
    reduced = reduce_colors(image, 4, seed=0)
    darker = dataclasses.replace(reduced, palette=reduced.palette // 2)
    assert darker.psnr == pytest.approx(psnr(image, darker.to_rgb()), abs=1e-9)
    assert darker.psnr < reduced.psnr == pytest.approx(psnr(image, reduced.to_rgb()),
                                                       abs=1e-9)


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_a_pickle_leaves_out_the_caches_and_keeps_the_metrics_exact(dither):
    """A pickle carried the histogram's features and Lab and the counted pairs, 4 to 15
    times the pixels' size; they are rebuilt, to the same values, from what it keeps."""
    import dataclasses
    import pickle

    reduced = reduce_colors(noisy_photo(), 4, dither=dither, seed=0)
    unmeasured = pickle.dumps(reduced)
    metrics = reduced.psnr, reduced.delta_e
    measured = pickle.dumps(reduced)
    assert len(measured) - len(unmeasured) < 100  # the two floats, not the pairs
    f = reduced._fidelity
    kept = ([f.pairs_known.colors, f.pairs_known.entries, f.pairs_known.counts]
            if f.pairs_known is not None else [f.colors, f.colour_of])
    assert len(unmeasured) < sum(a.nbytes for a in kept) + reduced.indices.nbytes + 2000
    for data in (unmeasured, measured):
        back = pickle.loads(data)
        assert (back.psnr, back.delta_e) == metrics
        assert back.shares.tolist() == reduced.shares.tolist()
        with pytest.raises(ValueError, match="^indices: "):
            dataclasses.replace(back, indices=np.zeros_like(back.indices))


@pytest.mark.parametrize("how", [None, "pickle", "deepcopy"])
def test_a_results_arrays_cannot_be_made_writable_again(how):
    """setflags(write=True) made a result's arrays writable again, as numpy allows for a
    view of a writable array; they are now views of a read-only buffer, without a copy."""
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[1, 0, 3] = 100
    reduced = reduce_colors(rgba, 2)
    made = copied(reduced, how)
    assert_stay_read_only(made, ("palette", "indices", "shares", "alpha"))
    assert rgba.flags.writeable


def same_array(a, b) -> bool:
    """Both None, or arrays of the same dtype, shape and values."""
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


@pytest.mark.parametrize("dither", [0.0, 1.0])
@pytest.mark.parametrize("with_alpha", [False, True])
def test_an_unpickled_result_holds_the_same_arrays_in_the_same_dtypes(dither, with_alpha):
    """A pickle keeps the fidelity's integers narrowed; loaded, every array of the result
    and of its fidelity is back with its own dtype and values."""
    import pickle

    image = noisy_photo()
    if with_alpha:
        alpha = np.full(image.shape[:2], 255, np.uint8)
        alpha[0, :5], alpha[1, :3] = 0, 90  # fully transparent and faint pixels
        image = np.dstack([image, alpha])
    reduced = reduce_colors(image, 4, dither=dither, seed=0)
    back = pickle.loads(pickle.dumps(reduced))
    for name in ("palette", "indices", "shares", "alpha"):
        assert same_array(getattr(back, name), getattr(reduced, name)), name
    assert ((back.transparent_index, back.space, back.dithered)
            == (reduced.transparent_index, reduced.space, reduced.dithered))
    mine, theirs = reduced._fidelity.portable(), back._fidelity.portable()
    assert (mine.pairs_known is None) == (theirs.pairs_known is None) == (dither > 0)
    if mine.pairs_known is not None:
        for name in ("colors", "entries", "counts"):
            assert same_array(getattr(theirs.pairs_known, name),
                              getattr(mine.pairs_known, name)), name
    for name in ("colors", "colour_of", "counted"):
        assert same_array(getattr(theirs, name), getattr(mine, name)), name
    assert theirs.hidden == mine.hidden == (5 if with_alpha else 0)
    assert (back.psnr, back.delta_e) == (reduced.psnr, reduced.delta_e)


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_a_pickle_holds_entries_counts_and_rows_in_the_narrowest_dtype(dither):
    """Each distinct colour's entry and count were pickled as 8-byte integers, and each
    pixel's colour row as 4: an undithered astronaut at k=16 took 9.2 bytes per pixel.
    Entries of a 16-colour palette take 1 byte, counts below 256 one, rows below 65,536 two."""
    import pickle

    image = np.random.default_rng(5).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    reduced = reduce_colors(image, 16, dither=dither, seed=0)
    f = reduced._fidelity
    m = (f.colors if f.pairs_known is None else f.pairs_known.colors).shape[0]
    assert 4000 < m <= 4096  # nearly every pixel a colour of its own
    kept = m * (3 + 1 + 1) if f.pairs_known is not None else m * 3 + image[..., 0].size * 2
    assert len(pickle.dumps(reduced)) < reduced.indices.nbytes + kept + 1000


def test_packed_integers_are_unpacked_to_their_own_dtype():
    pairs = Pairs(BLACK_WHITE, np.array([0, 300]), np.array([70_000, 1]))
    packed, dtypes = Fidelity(pairs, colour_of=np.array([0, 1, 1], np.int32)).packed()
    assert packed.pairs_known.entries.dtype == np.uint16
    assert packed.pairs_known.counts.dtype == np.uint32
    assert packed.colour_of.dtype == np.uint8
    back = packed.unpacked(dtypes)
    assert same_array(back.pairs_known.entries, pairs.entries)
    assert same_array(back.pairs_known.counts, pairs.counts)
    assert same_array(back.colour_of, np.array([0, 1, 1], np.int32))
    weighted = Pairs(BLACK_WHITE, np.array([0, 1]), np.array([0.5, 2.0]))  # not integers
    assert Fidelity(weighted).packed()[0].pairs_known.counts is weighted.counts


def test_dithered_pairs_are_counted_in_one_sort_of_their_keys_in_place(rng):
    """Each visible pixel's (colour row, entry) pair is counted as np.unique counts them,
    from one array of 4-byte keys sorted in place: np.unique's sorted copy and a second
    product took 8 bytes a pixel more (80 MB at 10 M visible pixels)."""
    from .memory_support import peak_bytes

    h, w, m = 300, 400, 50
    colors = rng.integers(0, 256, (m, 4), dtype=np.uint8)
    counted = rng.random((h, w)) < 0.9
    colour_of = rng.integers(0, m, np.count_nonzero(counted)).astype(np.int32)
    indices = rng.integers(0, 16, (h, w)).astype(np.uint8)
    fidelity = Fidelity(None, colors, colour_of, counted=counted)
    pairs = fidelity.pairs(indices)
    keys, counts = np.unique(colour_of * 16 + indices[counted], return_counts=True)
    assert np.array_equal(pairs.colors, colors[keys // 16])
    assert np.array_equal(pairs.entries, keys % 16) and np.array_equal(pairs.counts, counts)
    # the drawn entries 1, the keys 4 and the run starts 1 byte a visible pixel
    assert peak_bytes(lambda: fidelity.pairs(indices)) < 8 * h * w


# --------------------------------------------------------------------------
# save: the bytes quantize reduce writes
# --------------------------------------------------------------------------


def _noisy_ramp(rng, alpha: bool = False) -> np.ndarray:
    """A 32 x 24 grey ramp with colour noise; with ``alpha``, a column of each: fully
    transparent, translucent (alpha 100) and opaque."""
    ramp = np.repeat(np.linspace(0, 255, 24), 32).reshape(24, 32, 1).transpose(1, 0, 2)
    image = np.clip(ramp + rng.normal(0, 12, (32, 24, 3)), 0, 255).astype(np.uint8)
    if not alpha:
        return image
    a = np.full((32, 24, 1), 255, np.uint8)
    a[:, :8], a[:, 8:16] = 0, 100
    return np.concatenate([image, a], axis=2)


def _command_output(tmp_path, image: np.ndarray, k: int, suffix: str) -> bytes:
    source, output = tmp_path / "in.png", tmp_path / f"out{suffix}"
    Image.fromarray(image).save(source)
    done = CliRunner().invoke(app, ["reduce", str(source), "-k", str(k), "-o", str(output)])
    assert done.exit_code == 0, done.stderr
    return output.read_bytes()


@pytest.mark.parametrize("alpha", [False, True], ids=["rgb", "rgba"])
def test_save_to_a_file_object_writes_the_commands_png(tmp_path, rng, alpha):
    image = _noisy_ramp(rng, alpha)
    r = reduce_colors(image, 8, seed=0)
    buffer = io.BytesIO()
    r.save(buffer)
    assert buffer.getvalue() == _command_output(tmp_path, image, 8, ".png")
    back = Image.open(io.BytesIO(buffer.getvalue()))
    assert back.mode == "P"
    assert np.array_equal(np.asarray(back.convert("RGBA")), r.to_rgba())


def test_save_to_a_path_takes_the_format_of_its_extension(tmp_path, rng):
    image = _noisy_ramp(rng)
    r = reduce_colors(image, 8, seed=0)
    r.save(tmp_path / "a.GIF")
    assert (tmp_path / "a.GIF").read_bytes() == _command_output(tmp_path, image, 8, ".gif")
    r.save(tmp_path / "b.png")
    r.save(tmp_path / "b.dat", format="gif")
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "b.dat").read_bytes() == (tmp_path / "a.GIF").read_bytes()


@pytest.mark.parametrize("format", ["PNG", "Gif", "BMP"])
def test_save_takes_a_format_in_any_case_as_pillow_does(tmp_path, rng, format):
    """Pillow users write format="PNG"; save refused it (expected one of 'png', ...)."""
    r = reduce_colors(_noisy_ramp(rng), 8, seed=0)
    r.save(upper := io.BytesIO(), format=format)
    r.save(lower := io.BytesIO(), format=format.lower())
    assert upper.getvalue() == lower.getvalue()


def test_save_a_gif_of_translucent_entries_warns(rng):
    r = reduce_colors(_noisy_ramp(rng, alpha=True), 8, seed=0)
    buffer = io.BytesIO()
    with pytest.warns(AlphaLossWarning, match="GIF has no partial alpha"):
        r.save(buffer, format="gif")
    assert buffer.getvalue()[:6] == b"GIF89a"


@pytest.mark.parametrize("alpha", [False, True], ids=["rgb", "rgba"])
def test_save_a_bmp_writes_the_commands_bmp(tmp_path, rng, alpha):
    """save refused .bmp ("names no format save writes"), which the command writes: an
    8-bit indexed BMP, numbered as the PNG, alpha drawn on black with a warning."""
    image = _noisy_ramp(rng, alpha)
    r = reduce_colors(image, 8, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r.save(tmp_path / "a.BMP")
        r.save(buffer := io.BytesIO(), format="bmp")
    assert [str(w.message) for w in caught if w.category is AlphaLossWarning] == [
        "BMP has no alpha, so transparent and translucent pixels are drawn on black; save "
        "a .png to keep alpha"] * 2 * alpha
    expected = _command_output(tmp_path, image, 8, ".bmp")
    assert (tmp_path / "a.BMP").read_bytes() == buffer.getvalue() == expected
    with Image.open(tmp_path / "a.BMP") as back:
        assert back.mode == "P"
        assert np.array_equal(np.asarray(back), np.asarray(Image.open(io.BytesIO(
            _command_output(tmp_path, image, 8, ".png")))))


def test_save_a_bmp_of_more_than_256_entries_is_refused(rng, tmp_path):
    image = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    r = reduce_colors(image, 300, seed=0)
    with pytest.raises(ValueError, match=re.escape("a BMP holds at most 256 palette entries, "
                                                   "this result has 300")):
        r.save(tmp_path / "a.bmp")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("file", "format", "error", "match"), [
    ("a.jpg", None, ValueError, "file='a.jpg': the extension '.jpg' names no format save "
                                "writes; expected .png, .gif or .bmp, or give format="),
    ("a", None, ValueError, "the extension '(none)'"),
    ("a.png", "webp", ValueError, "format='webp' is not valid; expected one of 'png', 'gif'"),
    (42, None, TypeError, "file should be a path (str or os.PathLike) or a binary file "
                          "object, got int"),
])
def test_save_refuses_what_it_cannot_write(tmp_path, monkeypatch, file, format, error, match):
    monkeypatch.chdir(tmp_path)
    r = result(BLACK_WHITE, [[1, 0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    with pytest.raises(error, match=re.escape(match)):
        r.save(file, format=format)
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_folder_is_an_output_error(tmp_path):
    r = result(BLACK_WHITE, [[1, 0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    with pytest.raises(OutputError, match=re.escape(str(tmp_path / "no" / "a.png"))):
        r.save(tmp_path / "no" / "a.png")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("name", ["f.png", "link.png"])
def test_save_refuses_a_pipe_or_a_link_to_one_as_reduce_file_does(tmp_path, name):
    pipe = tmp_path / "f.png"
    os.mkfifo(pipe)
    (tmp_path / "link.png").symlink_to("f.png")
    r = result(BLACK_WHITE, [[1, 0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    with pytest.raises(OutputError, match=re.escape(f"{tmp_path / name}: {STREAM_OUTPUT}")):
        r.save(tmp_path / name)
    assert stat.S_ISFIFO(pipe.stat().st_mode)  # still the pipe, not a file put in its place
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "in.png")
    with pytest.raises(OutputError, match=re.escape(STREAM_OUTPUT)):  # the same words
        reduce_file(tmp_path / "in.png", tmp_path / name, force=True)


def test_save_refuses_a_folder_name(tmp_path):
    r = result(BLACK_WHITE, [[1, 0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    with pytest.raises(ValueError, match=re.escape("ends in '/', which names a folder")):
        r.save(f"{tmp_path}/a.png/")
    assert list(tmp_path.iterdir()) == []


class _TextWriter:
    """A file object of its own that writes text only."""

    def write(self, text: str) -> int:
        return len("" + text)


@pytest.mark.parametrize("file", [io.StringIO(), _TextWriter()], ids=["StringIO", "own"])
def test_save_to_a_text_file_object_says_to_open_it_in_binary_mode(file):
    """Python's 'string argument expected, got 'bytes'' said nothing of what to do."""
    r = result(BLACK_WHITE, [[1, 0, 1]], Pairs(BLACK_WHITE, np.array([0, 1]), np.ones(2)))
    with pytest.raises(TypeError, match=r"^file=.* is a file object in text mode; open the "
                                        r"file in binary mode \('wb'\)$"):
        r.save(file)


def test_save_writes_the_commands_png_but_its_phys_chunk_of_an_input_with_a_dpi(tmp_path, rng):
    """As its docstring says: the command keeps an input's resolution, which a result does
    not hold; the two files differ by that chunk alone."""
    image = _noisy_ramp(rng)
    source, output = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(image).save(source, dpi=(300, 300))
    done = CliRunner().invoke(app, ["reduce", str(source), "-k", "8", "-o", str(output)])
    assert done.exit_code == 0, done.stderr
    buffer = io.BytesIO()
    reduce_colors(image, 8, seed=0).save(buffer)
    command, saved = output.read_bytes(), buffer.getvalue()
    at = command.index(b"pHYs") - 4
    phys = command[at:at + 21]  # length, type, 9 bytes of data, CRC
    assert phys[8:17] == (11811).to_bytes(4, "big") * 2 + b"\x01"  # 300 DPI in pixels a metre
    assert command[:at] + command[at + 21:] == saved


def test_np_asarray_of_a_result_is_its_rgb_pixels_and_pillow_takes_them():
    """np.asarray(result) was a 0-d object array, which Image.fromarray refused."""
    made = result(BLACK_WHITE, [[0, 1, 1]], None)
    pixels = np.asarray(made)
    assert pixels.dtype == np.uint8 and pixels.tolist() == [[[0, 0, 0], [255] * 3, [255] * 3]]
    assert pixels.flags.writeable and pixels is not np.asarray(made)  # made anew each call
    assert np.asarray(Image.fromarray(pixels)).tolist() == pixels.tolist()
    assert np.asarray(made, dtype=np.float32).dtype == np.float32
    assert np.array(made, copy=True).tolist() == pixels.tolist()


def test_np_asarray_of_a_result_with_alpha_is_its_rgba_pixels():
    made = result(BLACK_WHITE, [[0, 1, 2]], None, transparent_index=2, alpha=[255, 128])
    assert np.asarray(made).tolist() == [[[0, 0, 0, 255], [255, 255, 255, 128], [0, 0, 0, 0]]]
    assert Image.fromarray(np.asarray(made)).mode == "RGBA"


def test_np_asarray_of_a_result_refuses_copy_false_as_numpy_asks():
    """The pixels are made from the palette and indices: no copy cannot be kept to by
    __array__. NumPy reads a result through __array_interface__ (which Image.fromarray
    needs), whose pixels, made for the call, share nothing with the result: copy=False
    gives them."""
    made = result(BLACK_WHITE, [[0, 1]], None)
    with pytest.raises(ValueError, match=r"^copy=False: a ReduceResult's pixels need a copy; "
                                         r"expected copy=None or True$"):
        made.__array__(copy=False)
    pixels = np.asarray(made, copy=False)
    assert pixels.tolist() == [[[0, 0, 0], [255] * 3]] and pixels.flags.writeable
    assert not np.shares_memory(pixels, made.indices)


def test_pillow_takes_a_result_itself_as_the_picture_of_its_pixels():
    """Image.fromarray(result) raised AttributeError: Pillow wants __array_interface__ and
    a buffer (or, for an interface with strides, tobytes)."""
    opaque = result(BLACK_WHITE, [[0, 1, 1]], None)
    picture = Image.fromarray(opaque)
    assert picture.mode == "RGB" and picture.size == (3, 1)
    assert np.asarray(picture).tolist() == [[[0, 0, 0], [255] * 3, [255] * 3]]
    clear = result(BLACK_WHITE, [[0, 1, 2]], None, transparent_index=2, alpha=[255, 128])
    picture = Image.fromarray(clear)
    assert picture.mode == "RGBA"
    assert np.asarray(picture).tolist() == [[[0, 0, 0, 255], [255, 255, 255, 128], [0, 0, 0, 0]]]
    assert clear.tobytes() == np.asarray(clear).tobytes() == bytes([0, 0, 0, 255, 255, 255, 255,
                                                                  128, 0, 0, 0, 0])


def test_a_result_is_never_equal_element_wise_to_an_array():
    """result == array was NumPy's element-wise comparison (the reflected ndarray.__eq__),
    where a result's == is documented as identity."""
    made = result(BLACK_WHITE, [[0, 1]], None)
    pixels = np.asarray(made)
    assert (made == pixels) is False and (made != pixels) is True
    assert made == made and len({made, made}) == 1


def _sprite(rng) -> np.ndarray:
    """A 10 x 12 sprite with soft alpha: random colours, alpha 0 to 255, some pixels clear."""
    rgba = rng.integers(0, 256, (10, 12, 4), dtype=np.uint8)
    rgba[2:4, 3:7, 3] = 0
    return rgba


@pytest.mark.parametrize("pad", [1, 7, 40])
def test_psnr_of_an_image_with_alpha_counts_its_visible_pixels_not_its_padding(rng, pad):
    """The same sprite on more transparent canvas has the same result (k=17, mean ΔE 0.35)
    but its PSNR rose 39.47 -> 45.49 -> 51.51 dB on black: the clear pixels, exact in
    both, were counted. They are left out, so padding changes no figure."""
    rgba = _sprite(rng)
    padded = np.pad(rgba, ((pad, pad), (pad, 2 * pad), (0, 0)))
    plain, more = (reduce_colors(x, 6, seed=0) for x in (rgba, padded))
    assert np.array_equal(plain.palette, more.palette)
    assert more.psnr == pytest.approx(plain.psnr, rel=1e-12)
    for over in ("black", "white"):
        assert more.psnr_on(over) == pytest.approx(plain.psnr_on(over), rel=1e-12)
    visible = rgba[..., 3] > 0
    shown = [x[..., :3] * (x[..., 3:] / 255.0) for x in
             (rgba.astype(np.float64), plain.to_rgba().astype(np.float64))]
    mse = np.mean(((shown[0] - shown[1]) ** 2)[visible])
    assert plain.psnr_on("black") == pytest.approx(10 * math.log10(255 ** 2 / mse))


def test_metrics_psnr_of_a_padded_image_is_the_results(rng):
    """quantize.metrics.psnr of the images agrees with the result's, padded or not."""
    from quantize.metrics import psnr

    rgba = _sprite(rng)
    padded = np.pad(rgba, ((5, 5), (5, 5), (0, 0)))
    for image in (rgba, padded):
        reduced = reduce_colors(image, 6, seed=0)
        assert psnr(image, reduced.to_rgba()) == pytest.approx(reduced.psnr, rel=1e-9)
    assert psnr(padded, reduce_colors(padded, 6, seed=0).to_rgba()) == pytest.approx(
        psnr(rgba, reduce_colors(rgba, 6, seed=0).to_rgba()), rel=1e-12)


def _glyph_grid(rng: np.random.Generator) -> np.ndarray:
    """(2100, 2100) indices (4.41 MP) of 16 entries: 53 sparse 20 x 20 "glyphs" in a grid of
    105 x 105 cells, each row of cells the one above shifted by one cell, as on a font sheet."""
    glyphs = (rng.random((53, 20, 20)) < 0.3) * rng.integers(1, 16, (53, 20, 20))
    cells = glyphs[np.arange(105 * 105) % 53].reshape(105, 105, 20, 20)
    return cells.transpose(0, 2, 1, 3).reshape(2100, 2100).astype(np.uint8)


def test_a_large_redundant_png_is_deflated_at_the_default_level_too():
    from quantize.encode import DEFAULT_LEVEL, encode_indexed_png
    indices = _glyph_grid(np.random.default_rng(0))
    palette = np.repeat(np.arange(16, dtype=np.uint8)[:, None] * 16, 3, axis=1)
    r = ReduceResult(palette, indices, np.full(16, 1 / 16), None, "rgb", False, None,
                     Fidelity(None))
    quick = encode_indexed_png(indices, palette, reorder=False, level=6)
    default = encode_indexed_png(indices, palette, reorder=False, level=DEFAULT_LEVEL)
    assert len(default) < 0.6 * len(quick)  # level 6's search misses the glyphs above
    assert r._png_bytes() == default


def test_a_large_photo_like_png_stays_at_level_6():
    from quantize.encode import encode_indexed_png
    indices = np.random.default_rng(1).integers(0, 16, (2001, 2001), dtype=np.uint8)
    palette = np.repeat(np.arange(16, dtype=np.uint8)[:, None] * 16, 3, axis=1)
    r = ReduceResult(palette, indices, np.full(16, 1 / 16), None, "rgb", False, None,
                     Fidelity(None))
    assert r._png_bytes() == encode_indexed_png(indices, palette, reorder=False, level=6)
