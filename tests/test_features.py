"""quantize.features: feature vectors: layout, the scaling rule, weight validation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from quantize.features import (
    DEFAULT_TEXTURE_SCALES,
    DEFAULT_WEIGHTS,
    GROUPS,
    build_features,
    check_weights,
    lab_planes,
)


@pytest.fixture
def photo(rng):
    """A small image with a colour step, a textured patch and noise."""
    img = np.full((48, 64, 3), 120, dtype=np.uint8)
    img[:, 32:] = (40, 160, 90)
    img[10:30, 5:25] += rng.integers(0, 60, size=(20, 20, 3), dtype=np.uint8)
    return img


def test_default_layout(photo):
    X, spec = build_features(photo)
    n_tex = len(DEFAULT_TEXTURE_SCALES) + 2
    assert X.dtype == np.float32
    assert X.shape == (48 * 64, 3 + 2 + n_tex)
    assert spec.columns == {"color": slice(0, 3), "xy": slice(3, 5),
                            "texture": slice(5, 5 + n_tex)}
    assert spec.weights == DEFAULT_WEIGHTS
    assert np.isfinite(X).all()


def test_zero_weight_drops_group(photo):
    X, spec = build_features(photo, {"texture": 0, "xy": 0, "intensity": 2})
    assert list(spec.columns) == ["color", "intensity"]
    assert X.shape[1] == 4


def test_xy_share_of_variance_is_its_weight(photo):
    X, spec = build_features(photo, {"xy": 0.3})
    assert X[:, spec.columns["xy"]].var(axis=0).sum() == pytest.approx(0.3, rel=1e-4)


def test_texture_share_of_variance_is_its_weight(photo):
    big = np.repeat(np.repeat(photo, 2, axis=0), 2, axis=1)  # 96 x 128: 8 windows a side
    X, spec = build_features(big, {"texture": 2.0})
    assert X[:, spec.columns["texture"]].var(axis=0).sum() == pytest.approx(2.0, rel=0.05)


def test_texture_of_an_image_of_few_windows_counts_by_its_share_of_them(photo):
    """On 48 x 64 pixels, fewer than 96 x 96 (8 texture windows a side), the texture
    group's share is its weight times 48 * 64 / 96 ** 2."""
    X, spec = build_features(photo, {"texture": 2.0})
    share = 48 * 64 / 96 ** 2
    assert X[:, spec.columns["texture"]].var(axis=0).sum() == pytest.approx(2.0 * share,
                                                                            rel=0.05)
    _, full = build_features(np.repeat(np.repeat(photo, 2, axis=0), 2, axis=1))
    assert spec.scales["texture"] == pytest.approx(full.scales["texture"] / np.sqrt(share),
                                                   rel=0.05)


def test_texture_of_a_flat_drawing_counts_by_its_share_of_detailed_pixels():
    """Three flat stripes: only the pixels beside their two borders have fine detail,
    and the texture group's divisor is that of unit variance (the square root of its
    width) over the square root of their share over 0.1; a photo's is not changed."""
    from quantize.texture import detail_share, lab_planes

    img = np.zeros((300, 500, 3), np.uint8)
    img[100:200], img[200:] = (221, 0, 0), (255, 206, 0)
    share = detail_share(lab_planes(img)[0])
    assert 0.01 < share < 0.05  # a few rows beside each border, of 300
    _, spec = build_features(img, {"texture": 2.0})
    width = len(DEFAULT_TEXTURE_SCALES) + 2
    assert spec.scales["texture"] == pytest.approx(np.sqrt(width * 0.1 / share), rel=1e-6)
    photo = np.asarray(Image.fromarray(data.coffee()).reduce(4))
    assert detail_share(lab_planes(photo)[0]) > 0.1
    assert build_features(photo)[1].scales["texture"] == pytest.approx(np.sqrt(width))


def test_colour_scale_is_the_spread_of_the_raw_pixels(rng):
    img = np.repeat(np.repeat(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), 16, 0), 16, 1)
    X, spec = build_features(img, {"color": 0.5, "texture": 0, "xy": 0})
    raw_spread = np.sqrt(lab_planes(img).reshape(3, -1).var(axis=1).sum())
    assert spec.scales["color"] == pytest.approx(raw_spread, rel=0.01)
    # The blur only removes variation, so the share of the smoothed colours is at most the weight.
    assert 0.25 < X.var(axis=0).sum() <= 0.5


def test_scale_does_not_depend_on_image_size(photo):
    # From 96 x 96 on (see the test above for smaller images).
    small = np.tile(photo, (2, 2, 1))
    big = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    _, small_spec = build_features(small)
    _, big_spec = build_features(big)
    assert big_spec.scales["color"] == pytest.approx(small_spec.scales["color"], rel=0.02)
    assert big_spec.scales["texture"] == small_spec.scales["texture"]


@pytest.mark.parametrize("convert", [
    lambda a: a.astype(np.uint16) * 257,
    lambda a: a.astype(np.float64) / 255,
    lambda a: a.astype(np.float32) / 255,
])
def test_bit_depth_does_not_matter(photo, convert):
    X8, _ = build_features(photo)
    Xo, _ = build_features(convert(photo))
    np.testing.assert_array_equal(X8, Xo)


def test_rgb_space(photo):
    X, spec = build_features(photo, {"texture": 0, "xy": 0}, space="rgb")
    assert spec.space == "rgb"
    assert X.shape[1] == 3


def test_caller_array_unchanged(photo):
    before = photo.copy()
    build_features(photo)
    np.testing.assert_array_equal(photo, before)


def test_texture_separates_equal_mean_textures(rng):
    # Left: fine noise; right: coarse blobs of the same mean and similar spread.
    fine = rng.normal(0, 30, (96, 64))
    coarse = np.kron(rng.normal(0, 30, (12, 8)), np.ones((8, 8)))
    grey = np.clip(128 + np.concatenate([fine, coarse], axis=1), 0, 255).astype(np.uint8)
    X, spec = build_features(np.stack([grey] * 3, axis=2), {"color": 0, "xy": 0})
    tex = X[:, spec.columns["texture"]].reshape(96, 128, -1)
    left, right = tex[20:-20, 20:44].reshape(-1, tex.shape[2]), tex[20:-20, 84:108].reshape(
        -1, tex.shape[2])
    gap = np.linalg.norm(left.mean(0) - right.mean(0))
    spread = (np.sqrt(left.var(0).sum()) + np.sqrt(right.var(0).sum())) / 2
    assert gap > 3 * spread  # the two textures' feature clouds lie far apart


@pytest.mark.parametrize(("weights", "error", "match"), [
    ({"Colour": 1}, ValueError, "'color', 'intensity', 'xy', 'texture'"),
    ({"colour": 2, "color": 1}, ValueError,
     "^weight colour=2 and color=1 are one weight, given twice; expected it once, as color$"),
    ({"colour": -1}, ValueError, "^weight colour=-1 should be >= 0"),
    ({"texture": -1}, ValueError, "weight texture=-1 should be >= 0"),
    ({"xy": float("nan")}, ValueError, "weight xy=nan should be a finite number"),
    ({"xy": float("inf")}, ValueError, "finite"),
    ({"xy": 1e38}, ValueError, "weight xy=1e\\+38 should be <= 1e6"),
    # underflowed the float32 features to 0: one colour cluster, without a word
    # "weights count relative to each other" was said of the hierarchy too, which takes
    # them at their size
    ({"color": 1e-300}, ValueError, r"^weight color=1e-300 should be 0 or >= 1e-6; with "
                                    "k-means, where weights count relative to each other, a "
                                    "smaller one is lost beside a weight of 1 in the float32 "
                                    r"distances \(the hierarchy takes the same range\)$"),
    ({"xy": 9.9e-7}, ValueError, "^weight xy=9.9e-07 should be 0 or >= 1e-6;"),
    ({"xy": "1"}, TypeError, "should be a number"),
    ([("xy", 1)], TypeError, "mapping"),
    ({1: 1}, TypeError, "weight name=1 should be a str, one of 'color', 'intensity', 'xy', "
                        "'texture'; got int"),
    ({"color": 0, "texture": 0, "xy": 0}, ValueError,
     "^weight color=0, intensity=0, xy=0 and texture=0 leave nothing to compare pixels by; "
     "expected at least one weight > 0$"),
])
def test_bad_weights(photo, weights, error, match):
    with pytest.raises(error, match=match):
        build_features(photo, weights)


def test_check_weights_fills_defaults():
    assert check_weights({"texture": 2}) == {**DEFAULT_WEIGHTS, "texture": 2.0}
    assert set(check_weights(None)) == set(GROUPS)


def test_colour_is_taken_for_the_color_weight(photo):
    """The documentation writes "colour"; weights={"colour": 2} was refused."""
    assert check_weights({"colour": 2}) == {**DEFAULT_WEIGHTS, "color": 2.0}
    np.testing.assert_array_equal(build_features(photo, {"colour": 0.5})[0],
                                  build_features(photo, {"color": 0.5})[0])


def test_texture_scales_may_be_a_numpy_array(photo):
    # A 1-D array of scales was refused: "should be a non-empty sequence of numbers".
    X, spec = build_features(photo, texture_scales=np.array([1.0, 3.0]))
    Y, _ = build_features(photo, texture_scales=[1.0, 3.0])
    assert spec.texture_scales == (1.0, 3.0)
    np.testing.assert_array_equal(X, Y)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"space": "hsv"}, ValueError, "space='hsv' is not valid"),
    ({"space": None}, TypeError, "^space=None should be a str, one of 'rgb', 'lab'; got NoneType$"),
    # an empty sequence was a TypeError, an item was called "texture_scales item"
    ({"texture_scales": ()}, ValueError, r"^texture_scales=\(\) should hold at least one scale$"),
    ({"texture_scales": []}, ValueError, r"^texture_scales=\[\] should hold at least one"),
    ({"texture_scales": (1.0, 0.1)}, ValueError, r"^texture_scales\[1\]=0\.1 should be >= 0\.5$"),
    # was taken: a blur wider than any working image, whose kernel of six sigmas took
    # 38 s and 1.4 GB for one filter at 1e7, and more than the machine's memory at 1e9
    ({"texture_scales": (1.0, 1025)}, ValueError,
     r"^texture_scales\[1\]=1025 should be <= 1024$"),
    # 50 scales were taken: 30 s and 0.55 GB for 8 clusters of a 1024 x 768 photo, and
    # time and memory grow with every scale
    ({"texture_scales": tuple(range(1, 51))}, ValueError,
     r"^texture_scales holds 50 scales; expected 1 to 16 \(each adds a band to filter and a "
     r"feature column; 12 scales, one an octave from 0\.5 to 1024, span them all\)$"),
    # out of order, band i ran backwards; a repeat gave an empty band, both without a word
    ({"texture_scales": [5.6, 0.7]}, ValueError,
     r"^texture_scales\[1\]=0\.7 should be larger than texture_scales\[0\]=5\.6 \(each band "
     r"lies between two scales: give them in increasing order, none twice\)$"),
    ({"texture_scales": (1, 2, 2)}, ValueError,
     r"^texture_scales\[2\]=2 should be larger than texture_scales\[1\]=2 "),
    ({"texture_scales": [1.0, "2"]}, TypeError,
     r"^texture_scales\[1\]='2' should be a number, got str$"),
    ({"texture_scales": 2.0}, TypeError,
     r"^texture_scales=2\.0 should be a sequence of numbers, got float$"),
    # an array of another dimension was "should be a sequence of numbers, got ndarray"
    ({"texture_scales": np.array([[1.0, 2.0]])}, ValueError,
     r"^texture_scales should be a 1-D sequence of numbers, got a 2-D array of shape "
     r"\(1, 2\)$"),
    ({"texture_scales": np.array(2.0)}, ValueError,
     r"^texture_scales should be a 1-D sequence of numbers, got a 0-D array of shape \(\)$"),
])
def test_bad_options(photo, kwargs, error, match):
    with pytest.raises(error, match=match):
        build_features(photo, **kwargs)


def test_a_texture_scale_as_wide_as_the_largest_working_image_is_taken():
    image = np.zeros((3, 4, 3), np.uint8)
    image[:, 2:] = 200
    X, spec = build_features(image, {"color": 0, "xy": 0}, texture_scales=[0.5, 1024])
    assert spec.texture_scales == (0.5, 1024.0) and X.shape == (12, 4)
    assert np.isfinite(X).all()


def test_texture_planes_of_a_large_image_keep_a_step_on_its_column():
    # 2050 px wide: texture works on a copy reduced by 3, whose last box holds one
    # column. A step at column 1800 (a box border) is a peak of texture energy
    # symmetric about 1799.5; resized by the ratio of the sizes (684/2050, not
    # 1/3), it peaked at column 1797, lopsided.
    image = np.zeros((6, 2050, 3), np.uint8)
    image[:, 1800:] = 160
    X, spec = build_features(image, {"color": 0, "xy": 0})
    energy = X[:, spec.columns["texture"]][:, len(DEFAULT_TEXTURE_SCALES) - 1].reshape(6, 2050)
    assert (energy == energy[0]).all()
    row = energy[0].astype(np.float64)
    assert row[1799] == row[1800] == row.max()
    left, right = row[1799:1699:-1], row[1800:1900]  # mirror images about 1799.5
    np.testing.assert_allclose(left, right, rtol=0, atol=1e-4 * np.ptp(row))


def test_the_smallest_weight_is_taken(photo):
    X, spec = build_features(photo, {"color": 1e-6, "texture": 0, "xy": 0})
    assert spec.weights["color"] == 1e-6 and np.ptp(X, axis=0).min() > 0


def test_alpha_is_ignored_with_a_warning(photo):
    # The alpha channel was dropped without a word, while segment says so.
    from quantize.features import AlphaIgnoredWarning
    from quantize.segment import AlphaIgnoredWarning as SegmentAlphaIgnoredWarning

    assert AlphaIgnoredWarning is SegmentAlphaIgnoredWarning
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:2, :5, 3] = 0
    with pytest.warns(AlphaIgnoredWarning) as caught:
        X, _ = build_features(rgba, {"texture": 0})
    [said] = caught
    assert said.filename == __file__
    assert str(said.message) == (
        "alpha is ignored: 10 of 3072 pixels are transparent or translucent and are "
        "described by the colour stored in them; composite the image on a background first "
        "to describe what shows, or pass its colours alone (image[..., :3], or "
        'image.convert("RGB")) to describe them without this warning')
    np.testing.assert_array_equal(X, build_features(photo, {"texture": 0})[0])


def test_the_alpha_warning_of_one_pixel_says_is():
    from quantize.features import AlphaIgnoredWarning

    rgba = np.full((2, 3, 4), 255, np.uint8)
    rgba[0, 0, 3] = 0
    with pytest.warns(AlphaIgnoredWarning) as caught:
        build_features(rgba, {"texture": 0})
    assert str(caught[0].message).startswith(
        "alpha is ignored: 1 of 6 pixels is transparent or translucent and is described by "
        "the colour stored in it;")
    with pytest.warns(AlphaIgnoredWarning) as caught:  # was "1 of 1 pixels ... in them"
        build_features(rgba[:1, :1], {"texture": 0})
    assert str(caught[0].message).startswith(
        "alpha is ignored: 1 of 1 pixel is transparent or translucent and is described by "
        "the colour stored in it;")


@pytest.mark.parametrize("space", ["lab", "rgb"])
@pytest.mark.parametrize("weights", [None, {"intensity": 1}, {"color": 0, "texture": 0}])
def test_feature_array_given_the_lab_planes_is_the_same_and_leaves_them(photo, space, weights):
    from quantize.features import feature_array

    w = check_weights(weights)
    lab = lab_planes(photo)
    kept = lab.copy()
    X, spec = feature_array(photo, w, space, DEFAULT_TEXTURE_SCALES)
    X_lab, spec_lab = feature_array(photo, w, space, DEFAULT_TEXTURE_SCALES, lab)
    np.testing.assert_array_equal(X_lab, X)
    assert spec_lab == spec
    np.testing.assert_array_equal(lab, kept)


# --------------------------------------------------------------------------
# Column names and applied weights
# --------------------------------------------------------------------------


@pytest.mark.parametrize("space", ["lab", "rgb"])
@pytest.mark.parametrize("scales", [(1.0,), (1.0, 2.0), DEFAULT_TEXTURE_SCALES,
                                    (0.5, 1, 2, 3, 4, 6)])
@pytest.mark.parametrize("weights", [None, {"intensity": 1}, {"texture": 0},
                                     {"color": 0, "xy": 0}, {"xy": 0, "texture": 0},
                                     {"color": 0, "intensity": 0.5, "xy": 2, "texture": 0}])
def test_a_column_name_for_every_column(space, scales, weights):
    """The lecturer's 1, 2, 4 (default) and 6 scales gave 3, 4, 6 and 8 texture columns
    that nothing named: every column has one name, in the groups' order."""
    img = np.zeros((6, 5, 3), np.uint8)
    img[:, 2:] = (200, 40, 90)
    X, spec = build_features(img, weights, space=space, texture_scales=scales)
    names = spec.column_names
    assert len(names) == X.shape[1] == len(set(names))
    first = {"color": "L*" if space == "lab" else "R", "intensity": "intensity (L*)",
             "xy": "y (row)", "texture": "texture: "}
    for group, columns in spec.columns.items():
        assert names[columns.start].startswith(first[group])
    if "texture" in spec.columns:
        texture = names[spec.columns["texture"]]
        assert len(texture) == len(scales) + 2
        assert all(name.startswith("texture: ") for name in texture)


def test_the_column_names_of_a_small_case():
    img = np.zeros((4, 6, 3), np.uint8)
    _, spec = build_features(img, {"intensity": 1}, texture_scales=(1, 2.5, 4))
    assert spec.column_names == (
        "L*", "a*", "b*", "intensity (L*)", "y (row)", "x (column)",
        "texture: share of band 1 (finer than 1 px)", "texture: share of band 2 (1 to 2.5 px)",
        "texture: log energy", "texture: orientation (Jxx - Jyy) / tr J",
        "texture: orientation 2 Jxy / tr J")
    _, rgb = build_features(img, {"texture": 0}, space="rgb")
    assert rgb.column_names == ("R", "G", "B", "y (row)", "x (column)")


def test_the_texture_columns_are_as_named():
    """Fine vertical stripes (period 2), coarse vertical and horizontal ones (period 16)
    and a flat quarter: the finest band's share is larger in the fine stripes, the energy
    larger in any stripes than on the flat, and the gradient is along x in the vertical
    stripes and along y in the horizontal ones, on neither diagonal."""
    coarse = np.arange(120) // 8 % 2 * 255
    img = np.zeros((240, 240, 3), np.uint8)
    img[:120, :120:2] = 255
    img[:120, 120:] = coarse[None, :, None]
    img[120:, :120] = coarse[:, None, None]
    X, spec = build_features(img, {"color": 0, "xy": 0})
    at = {name: X[:, j].reshape(240, 240) for j, name in enumerate(spec.column_names)}
    fine, vertical, horizontal, flat = (60, 60), (60, 180), (180, 60), (180, 180)
    share = at["texture: share of band 1 (finer than 0.7 px)"]
    assert share[fine] > share[vertical] + 0.5
    energy = at["texture: log energy"]
    assert min(energy[fine], energy[vertical], energy[horizontal]) > energy[flat] + 1
    along = at["texture: orientation (Jxx - Jyy) / tr J"]
    assert along[vertical] > along[horizontal] + 0.5
    diagonal = at["texture: orientation 2 Jxy / tr J"]
    assert diagonal[vertical] == pytest.approx(diagonal[horizontal], abs=0.05)


@pytest.mark.parametrize("side, texture", [(50, 50 * 50 / 96 ** 2), (96, 1.0), (128, 1.0)])
def test_applied_weights_are_the_groups_variances(side, texture):
    """On a 50 x 50 crop texture's total variance was 0.271 while spec.weights said 1.0:
    applied_weights gives it, each group's total variance in the array, and weights is left
    as given."""
    img = data.coffee()[100:100 + side, 200:200 + side]
    X, spec = build_features(img, {"texture": 1.0, "xy": 0.3, "intensity": 0})
    assert spec.weights == {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 1.0}
    assert spec.applied_weights == pytest.approx(
        {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": texture})
    variance = {g: float(X[:, c].var(axis=0).sum()) for g, c in spec.columns.items()}
    assert variance["xy"] == pytest.approx(0.3, rel=1e-4)
    assert variance["texture"] == pytest.approx(texture, rel=0.02)
    assert 0.8 < variance["color"] < 1.0  # blurred after its spread was measured
    _, plain = build_features(img, {"texture": 0})
    assert plain.applied_weights["texture"] == 0.0


def test_applied_texture_weight_of_a_flat_drawing_is_scaled_by_its_detail():
    from quantize.texture import detail_share, lab_planes

    img = np.zeros((300, 500, 3), np.uint8)
    img[100:200], img[200:] = (221, 0, 0), (255, 206, 0)
    X, spec = build_features(img, {"texture": 2.0, "color": 0, "xy": 0})
    applied = 2.0 * detail_share(lab_planes(img)[0]) / 0.1
    assert spec.applied_weights["texture"] == pytest.approx(applied, rel=1e-9)
    # Horizontal stripes have no gradient along x, so no Jxy: that column is flat, left 0,
    # and the variance is that of the other 5 of the 6.
    assert spec.column_names[-1] == "texture: orientation 2 Jxy / tr J"
    assert not X[:, -1].any()
    assert X.var(axis=0).sum() == pytest.approx(applied * 5 / 6, rel=0.02)
