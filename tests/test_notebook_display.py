"""What a notebook shows of a result: a one-line repr, and a PNG picture (``_repr_png_``)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from quantize import reduce_colors, segment
from quantize._validation import SHOWN_MAX_SIDE

from .result_support import copied


def _decoded(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def _rgba(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("RGBA"))


def _two_colours(h: int, w: int) -> np.ndarray:
    image = np.zeros((h, w, 3), np.uint8)
    image[:, w // 2:] = [200, 40, 40]
    return image


def test_reduce_result_repr_is_one_short_line_without_arrays(rng):
    result = reduce_colors(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), 16, seed=0)
    assert repr(result) == "ReduceResult(60 x 40 px, k=16, space='rgb')"
    psnr = result.psnr  # shown once computed, never computed by repr
    assert repr(result) == f"ReduceResult(60 x 40 px, k=16, space='rgb', psnr={psnr:.2f})"


def test_reduce_result_repr_names_alpha_and_dithering():
    rgba = np.full((4, 6, 4), 255, np.uint8)
    rgba[:, :3, :3] = 0
    rgba[0, 0, 3] = 0
    result = reduce_colors(rgba, 2, seed=0, dither=True)
    assert repr(result) == "ReduceResult(6 x 4 px, k=2, space='rgb', alpha=True, dithered=True)"
    assert "psnr" not in result.__dict__


def test_reduce_result_png_is_the_reduced_image():
    image = _two_colours(4, 6)
    result = reduce_colors(image, 2, seed=0)
    picture = _decoded(result._repr_png_())
    assert picture.mode == "P" and picture.size == (6, 4)
    assert np.array_equal(np.asarray(picture.convert("RGB")), result.to_rgb())
    assert np.array_equal(np.asarray(picture.convert("RGB")), image)


@pytest.mark.parametrize("how", [None, "pickle"])
def test_reduce_result_png_keeps_alpha(how):
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[:, :, 0] = 255
    rgba[:, 1:, 3] = [[0, 100, 255]] * 3  # column 0 stays fully transparent too
    result = copied(reduce_colors(rgba, 2, seed=0), how)
    shown = _rgba(_decoded(result._repr_png_()))
    assert np.array_equal(shown[..., 3], result.to_rgba()[..., 3])
    assert np.array_equal(shown[shown[..., 3] > 0], result.to_rgba()[shown[..., 3] > 0])


def test_reduce_result_of_more_than_256_colours_is_an_rgb_png(rng):
    image = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    result = reduce_colors(image, 300, seed=0)
    assert result.k > 256
    picture = _decoded(result._repr_png_())
    assert picture.mode == "RGB"
    assert np.array_equal(np.asarray(picture), result.to_rgb())


def test_a_large_reduce_result_is_shown_by_every_nth_pixel():
    h, w = 2 * SHOWN_MAX_SIDE + 1, 10  # steps of 3: 683 rows, 4 columns
    image = _two_colours(h, w)
    image[::2, :] = [10, 200, 10]
    result = reduce_colors(image, 3, seed=0)
    picture = _decoded(result._repr_png_())
    assert picture.size == (4, 683)
    assert np.array_equal(np.asarray(picture.convert("RGB")), result.to_rgb()[::3, ::3])
    assert max(picture.size) <= SHOWN_MAX_SIDE


def test_segment_result_repr_is_one_short_line_without_arrays():
    image = _two_colours(20, 30)
    result = segment(image, 2, seed=0, min_region=0)
    assert repr(result) == ("SegmentResult(30 x 20 px, n_regions=2, n_clusters=2, "
                            "space='lab', min_region=0, "
                            "weights=(color=1, intensity=0, xy=0.3, texture=1))")


def test_segment_result_png_is_the_overlay():
    image = _two_colours(20, 30)
    result = segment(image, 2, seed=0, min_region=0)
    picture = _decoded(result._repr_png_())
    assert picture.mode == "RGB" and picture.size == (30, 20)
    assert np.array_equal(np.asarray(picture), result.overlay())
    assert (np.asarray(picture)[:, 14] == [255, 0, 0]).all()  # the one border column


def test_segment_result_png_keeps_alpha_with_opaque_borders():
    rgba = np.dstack([_two_colours(20, 30), np.full((20, 30), 255, np.uint8)])
    rgba[:, :15, 3] = 0
    with pytest.warns(UserWarning, match="fully transparent"):
        result = segment(rgba, 2, seed=0, min_region=0)
    shown = _rgba(_decoded(result._repr_png_()))
    assert np.array_equal(shown[..., :3], result.overlay())
    assert (shown[:, :14, 3] == 0).all() and (shown[:, 14:, 3] == 255).all()


def test_a_large_segment_result_is_shown_with_borders_one_pixel_wide():
    image = _two_colours(12, 3 * SHOWN_MAX_SIDE)
    result = segment(image, 2, seed=0, min_region=0)
    picture = np.asarray(_decoded(result._repr_png_()))
    assert picture.shape == (4, SHOWN_MAX_SIDE, 3)
    red = (picture == [255, 0, 0]).all(axis=2)
    assert red.sum(axis=1).tolist() == [1, 1, 1, 1]  # the border, drawn on the view
    assert np.array_equal(picture[~red], image[::3, ::3][~red])
