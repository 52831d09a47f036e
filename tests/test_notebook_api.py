"""The Python API as a notebook lesson on k-means uses it: a 16-bit array of 8-bit levels
and a float image a little outside [0, 1] are told their fix; a ReduceResult's inertia is
k-means' own; a swatch of any integer array; a segmentation's repr names its clusters;
levels far enough apart are not called too close."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

import quantize
from quantize import reduce_colors, segment
from quantize._validation import shown_value
from quantize.io import PixelRangeWarning
from quantize.palette_files import read_palette, swatch_png_bytes, write_palette
from quantize.pixel_kmeans import _united_into_one

from .segment_support import quadrants


def _gradient(h: int = 16, w: int = 24) -> np.ndarray:
    """An 8-bit grey gradient of levels 0..253, with a brighter half."""
    grey = np.linspace(0, 200, h * w).reshape(h, w)
    grey[:, w // 2:] += 53
    return np.rint(grey).astype(np.uint8)


def _dark_warnings(call) -> list[PixelRangeWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w.message for w in caught if w.category is PixelRangeWarning]


# 1. 8-bit levels in a uint16 array (or a PIL "I" image): the conversion is advised, as it
# was to a caller that gave no advice of its own; reduce_colors and segment have theirs.
@pytest.mark.parametrize("call, job", [
    (lambda image: reduce_colors(image, 4, seed=0), "the output is 8-bit and as dark"),
    (lambda image: segment(image, 4, seed=0),
     "give stretch=True to map the image's own range onto 0..255 before segmenting"),
], ids=["reduce_colors", "segment"])
def test_8_bit_levels_in_uint16_are_told_to_pass_uint8(call, job):
    grey = _gradient()
    said = _dark_warnings(lambda: call(grey.astype(np.uint16)))
    assert [str(w) for w in said] == [
        "image: uint16 values 0..253 of 65535 come out 0..1 of 255: counts closer than 257 "
        f"apart become one level; {job}; if they are 0..255, pass it as .astype(np.uint8)"]
    # the command line shows the facts alone, as before
    assert said[0].facts == str(said[0]).rpartition("; if they are")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(np.asarray(call(grey.astype(np.uint16).astype(np.uint8))),
                              np.asarray(call(grey)))


def test_8_bit_levels_in_a_pil_i_image_are_told_to_convert_it():
    picture = Image.fromarray(_gradient().astype(np.int32))  # mode "I"
    said = _dark_warnings(lambda: reduce_colors(picture, 4, seed=0))
    assert str(said[0]).endswith('; the output is 8-bit and as dark; if they are 0..255, '
                                 'convert it to mode "L" first (image.convert("L"), or the '
                                 'array as uint8)')
    assert "convert" not in said[0].facts


# 2. A float image a little outside [0, 1] is refused with its fixes, which work.
@pytest.mark.parametrize("slip", [1.1, -0.01], ids=["gain", "offset"])
def test_floats_a_little_past_0_1_are_told_to_clip(slip):
    image = _gradient() / 255.0
    image = image * slip if slip > 0 else image + slip
    low, high = image.min(), image.max()
    with pytest.raises(ValueError) as caught:
        reduce_colors(image, 4, seed=0)
    clip = ("; if they are 0..1 gone a little past its ends, clip them first "
            "(np.clip(image, 0, 1))")
    assert str(caught.value) == (f"image of float dtype should hold values in [0, 1], got "
                                 f"[{shown_value(low)}, {shown_value(high)}]{clip}")
    with pytest.raises(ValueError) as caught:
        segment(image, 2, seed=0)
    assert str(caught.value).endswith(
        f"{clip}, or pass stretch=True to map their own range onto 0..255")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reduce_colors(np.clip(image, 0, 1), 4, seed=0).k == 4
        assert segment(image, 2, seed=0, stretch=True).n_regions >= 2
    with pytest.raises(ValueError) as caught:  # levels as floats: divided by 255, not clipped
        reduce_colors(_gradient().astype(float), 4)
    assert "np.clip" not in str(caught.value) and "divide by 255" in str(caught.value)


# 3. Inertia, as scikit-learn's KMeans gives it.
def test_inertia_is_the_sum_of_squared_distances_to_the_entries():
    image = np.array([[[0, 0, 0], [10, 0, 0], [200, 40, 40], [204, 40, 40]]], np.uint8)
    result = reduce_colors(image, 2, seed=0)
    assert result.palette.tolist() == [[5, 0, 0], [202, 40, 40]]
    assert result.inertia == 25 + 25 + 4 + 4
    assert reduce_colors(image, 4, seed=0).inertia == 0.0


@pytest.mark.parametrize("dither", [False, True])
def test_inertia_in_rgb_is_that_of_the_pixels_reduced(dither):
    from skimage import data

    image = data.astronaut()[::4, ::4]
    result = reduce_colors(image, 8, seed=0, dither=dither)
    drawn = np.asarray(result).astype(np.float64)
    assert result.inertia == ((drawn - image) ** 2).sum()
    assert result.inertia / image[..., 0].size == pytest.approx(
        3 * 255.0 ** 2 / 10 ** (result.psnr / 10))


def test_inertia_in_lab_is_measured_in_lab_and_falls_with_more_colours():
    from skimage import data

    from quantize.colors import lab_of

    image = data.coffee()[::4, ::4]
    inertias = []
    for k in (2, 4, 8, 16):
        result = reduce_colors(image, k, seed=0, space="lab")
        drawn = lab_of(np.asarray(result).reshape(-1, 3)).astype(np.float64)
        shown = lab_of(image.reshape(-1, 3)).astype(np.float64)
        assert result.inertia == pytest.approx(((drawn - shown) ** 2).sum(), rel=1e-5)
        inertias.append(result.inertia)
    assert inertias == sorted(inertias, reverse=True)


def test_inertia_with_alpha_leaves_out_the_transparent_pixels():
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, :, :3] = [[0, 0, 0], [10, 0, 0], [200, 40, 40]]
    rgba[1] = [90, 90, 90, 0]  # fully transparent, of a colour far off
    result = reduce_colors(rgba, 2, seed=0)
    assert result.inertia == 50.0


# 4. A swatch of any array-like of integers 0..255; others refused naming the parameter.
@pytest.mark.parametrize("palette", [
    np.array([[255, 0, 0], [0, 0, 255]]),             # int64, as np.array makes it
    [[255, 0, 0], [0, 0, 255]],
    np.array([[255, 0, 0, 255], [0, 0, 255, 255]], np.int32),
], ids=["int64", "list", "int32-rgba"])
def test_a_swatch_takes_any_integer_palette(palette, tmp_path):
    data = swatch_png_bytes(palette, side=3)
    assert data == swatch_png_bytes(np.array([[255, 0, 0], [0, 0, 255]], np.uint8), side=3)
    (tmp_path / "p.png").write_bytes(data)
    assert read_palette(tmp_path / "p.png").tolist() == [[255, 0, 0], [0, 0, 255]]


@pytest.mark.parametrize("palette, side, error, line", [
    (np.array([[1.0, 0.0, 0.0]]), 64, TypeError,
     "palette should hold integers 0..255, got dtype float64; for values 0..1 pass "
     "np.rint(palette * 255).astype(np.uint8), for 0..255 np.rint(palette).astype(np.uint8)"),
    ([[256, 0, 0]], 64, ValueError,
     "palette should hold integers 0..255, got values from 0 to 256"),
    ([255, 0, 0], 64, ValueError,
     "palette should have shape (k, 3) or (k, 4) with k >= 1, got (3,)"),
    ([[255, 0, 0]], 0, ValueError, "side=0 should be >= 1"),
    ([[255, 0, 0]], 2.0, TypeError, "side=2.0 should be an integer, got float"),
])
def test_a_swatch_refuses_what_is_no_palette(palette, side, error, line):
    with pytest.raises(error) as caught:
        swatch_png_bytes(palette, side)
    assert str(caught.value) == line


def test_write_palette_to_a_png_names_the_swatch(tmp_path):
    with pytest.raises(ValueError) as caught:
        write_palette(tmp_path / "p.png", np.array([[255, 0, 0]], np.uint8))
    assert str(caught.value).endswith(
        "; for a PNG of its swatches, write the bytes of "
        "quantize.palette_files.swatch_png_bytes(palette)")
    assert not (tmp_path / "p.png").exists()


# 5. Levels 61 apart are not too close: the stretch gives one region still.
def test_a_small_crop_of_levels_far_apart_is_not_called_too_close():
    from skimage import data

    crop = data.chelsea()[:8, :8]  # levels 102..163
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert segment(crop, seed=0).n_regions == 1
        assert segment(crop, seed=0, stretch=True).n_regions == 1


def test_k_means_of_levels_far_apart_is_not_called_too_close():
    w = {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 1.0}
    said = _united_into_one(2, 2, w, 102, 163)
    assert "too close" not in said and "stretch" not in said
    assert "too close" in _united_into_one(2, 2, w, 102, 107)


# 6. A segmentation's repr names its clusters and space; the hierarchy's does not.
def test_segment_repr_names_the_clusters_asked_for():
    image, _ = quadrants(np.random.default_rng(0), (24, 32))
    result = segment(image, 3, seed=0, min_region=0)
    assert repr(result).startswith(
        f"SegmentResult(32 x 24 px, n_regions={result.n_regions}, n_clusters=3, "
        "space='lab', min_region=0, ")
    assert (result.n_clusters, result.space) == (3, "lab")
    assert segment(image, 2, seed=0, space="rgb").space == "rgb"
    hierarchy = segment(image, regions=4)
    assert (hierarchy.n_clusters, hierarchy.space) == (None, None)
    assert "n_clusters" not in repr(hierarchy)


def test_k_is_told_its_name():
    with pytest.raises(TypeError, match=r"'k'; quantize calls it n_colors=$"):
        quantize.reduce_colors(_gradient(), k=8)
