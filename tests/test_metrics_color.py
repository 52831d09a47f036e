"""quantize.metrics.color: PSNR and mean CIEDE2000 between two images or colour lists."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from quantize import reduce_colors
from quantize.errors import ImageReadError
from quantize.metrics import delta_e, psnr


def test_metrics_known_values_and_weights_equal_repeats(rng):
    a = rng.integers(0, 256, (50, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (50, 3), dtype=np.uint8)
    w = rng.integers(1, 5, 50)
    ra, rb = np.repeat(a, w, axis=0), np.repeat(b, w, axis=0)
    assert psnr(a, b, weights=w) == pytest.approx(psnr(ra, rb))
    assert delta_e(a, b, weights=w) == pytest.approx(delta_e(ra, rb))
    mse = ((a.astype(float) - b) ** 2).mean()
    assert psnr(a, b) == pytest.approx(10 * np.log10(255 ** 2 / mse))
    expected = skcolor.deltaE_ciede2000(skcolor.rgb2lab(a[:, None]), skcolor.rgb2lab(b[:, None]))
    assert delta_e(a, b) == pytest.approx(expected.mean(), rel=1e-4)
    assert psnr(a, a) == np.inf


def test_metrics_refuse_mismatched_inputs():
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros((2, 3), np.uint8), np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"weights should have shape \(2,\)"):
        delta_e(np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8), weights=[1])


@pytest.mark.parametrize("dtype, peak", [(np.uint8, 255.0), (np.uint16, 65535.0),
                                         (np.float32, 1.0)])
def test_psnr_peak_follows_the_dtype(dtype, peak):
    a = np.zeros((2, 3), dtype)
    b = a.copy()
    b[0, 0] = 1 if dtype != np.float32 else 0.5  # one channel of six off
    mse = float(b[0, 0]) ** 2 / 6
    assert psnr(a, b) == pytest.approx(10 * np.log10(peak ** 2 / mse))
    assert psnr(a, b, data_range=2.0) == pytest.approx(10 * np.log10(4.0 / mse))


def test_delta_e_of_lab_input_is_the_ciede2000_of_the_rows():
    grey = np.array([[50.0, 0.0, 0.0]])
    assert delta_e(grey, grey + [10.0, 0.0, 0.0], input_space="lab") == pytest.approx(
        skcolor.deltaE_ciede2000(grey, grey + [10.0, 0.0, 0.0])[0])
    weights = np.array([3.0, 1.0])
    two = np.array([[50.0, 0.0, 0.0], [60.0, 0.0, 0.0]])
    per_row = skcolor.deltaE_ciede2000(two, two[::-1])
    assert delta_e(two, two[::-1], weights=weights, input_space="lab") == pytest.approx(
        (per_row * weights).sum() / weights.sum())


@pytest.mark.parametrize("reference, test, kwargs, error, match", [
    (np.zeros((2, 5), np.uint8), np.zeros((2, 5), np.uint8), {}, ValueError,
     r"non-empty \(\.\.\., 3\) array of colours, or \(\.\.\., 4\) with alpha, got shape "
     r"\(2, 5\)"),
    (np.zeros((2, 4), np.uint8), np.zeros((2, 3), np.uint8), {}, ValueError,
     r"^reference and test should have the same shape, got \(2, 4\) and \(2, 3\); give both "
     r"with alpha \(\.\.\., 4\), e\.g\. ReduceResult\.to_rgba\(\), or both without \(\.\.\., 3\)$"),
    (np.zeros((2, 4)), np.zeros((2, 4)), {"input_space": "lab"}, ValueError,
     r"^reference has shape \(2, 4\), but CIE Lab colours have no alpha; expected \(\.\.\., 3\) "
     r"with input_space='lab'"),
    (np.full((2, 4), 0.5), np.full((2, 4), [0.5, 0.5, 0.5, 2.0]), {}, ValueError,
     r"^test holds float sRGB colours in \[0\.5, 2\]; expected values in \[0, 1\]$"),
    (np.zeros((2, 3), bool), np.zeros((2, 3), bool), {}, TypeError,
     "reference should be a numeric array, got dtype bool"),
    (np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8), {"weights": [1, -1]},
     ValueError, "weights should be finite, >= 0 and have a positive sum"),
    (np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8), {"input_space": "hsv"},
     ValueError, "input_space='hsv' is not valid; expected one of 'srgb', 'lab'"),
    (np.full((2, 3), 2.0), np.zeros((2, 3)), {}, ValueError,
     r"^reference holds float sRGB colours in \[2, 2\]; expected values in \[0, 1\]$"),
    (np.zeros((2, 3)), np.full((2, 3), np.nan), {}, ValueError,
     r"^test holds float sRGB colours in \[nan, nan\]; expected values in \[0, 1\]$"),
    # shown to 6 digits, a value just above 1 read "in [1, 1]; expected values in [0, 1]"
    # (the first refused: half a level of 8 bits above 1 is taken, clipped)
    (np.zeros((1, 3)), np.full((1, 3), np.nextafter(1 + 1 / 510, 2)), {}, ValueError,
     r"^test holds float sRGB colours in \[1\.0019607843137257, 1\.0019607843137257\]; "),
    (np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.int64), {}, TypeError,
     r"^test has dtype int64; expected sRGB colours as uint8, uint16 or float in \[0, 1\]$"),
])
def test_delta_e_refuses_bad_input_naming_it(reference, test, kwargs, error, match):
    with pytest.raises(error, match=match):
        delta_e(reference, test, **kwargs)


def test_delta_e_takes_sixteen_bit_colours_on_their_own_scale():
    # uint16 was refused ("should be uint8 or float") though psnr and the image
    # functions take it; it is converted as float / 65535.
    ref = np.array([[10, 200, 30], [0, 255, 128]], np.uint8)
    wide = ref.astype(np.uint16) * 257
    assert delta_e(wide, ref) == pytest.approx(0.0, abs=1e-4)
    other = np.array([[60, 20, 90], [255, 255, 0]], np.uint8)
    assert delta_e(wide, other.astype(np.uint16) * 257) == pytest.approx(delta_e(ref, other),
                                                                        rel=1e-4)


def test_big_endian_colours_are_measured_as_their_values():
    # ">u2" was refused by both ("reference has dtype >u2; expected uint8, uint16 ...").
    ref = np.array([[10, 200, 30], [0, 255, 128]], np.uint16) * 257
    test = ref // 2
    assert psnr(ref.astype(">u2"), test.astype(">u2")) == pytest.approx(psnr(ref, test))
    assert delta_e(ref.astype(">u2"), test) == pytest.approx(delta_e(ref, test))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    # data_range=0 was "math domain error", -1 and True gave 0 dB, nan gave nan
    ({"data_range": 0}, ValueError, r"^data_range=0 should be > 0$"),
    ({"data_range": -1}, ValueError, r"^data_range=-1 should be > 0$"),
    ({"data_range": np.nan}, ValueError, r"^data_range=nan should be a finite number$"),
    ({"data_range": True}, TypeError, r"^data_range=True should be a number, got bool$"),
    ({"data_range": "255"}, TypeError, r"^data_range='255' should be a number, got str$"),
    # were NumPy's "could not convert string to float" and float() messages
    ({"weights": ["a", "b"]}, TypeError,
     r"^weights should be real numbers, one per pixel, got dtype <U1$"),
    ({"weights": [1j, 1]}, TypeError, r"^weights should be real numbers, .* complex128$"),
])
def test_psnr_refuses_bad_options_naming_them(kwargs, error, match):
    a = np.zeros((2, 3), np.uint8)
    with pytest.raises(error, match=match):
        psnr(a, a + 1, **kwargs)
    assert psnr(a, a + 1, data_range=255) == pytest.approx(20 * np.log10(255))
    one_off = np.array([[1, 1, 1], [0, 0, 0]], np.uint8)
    # a bool mask weighs its pixels 1 and the others 0
    assert psnr(a, one_off, weights=[True, False]) == pytest.approx(20 * np.log10(255))


def test_delta_e_refuses_an_input_space_that_is_no_name():
    # an array was "The truth value of an array with more than one element is ambiguous"
    a = np.zeros((2, 3), np.uint8)
    with pytest.raises(TypeError, match=r"^input_space=array\(\[1, 2\]\) should be a str, "
                                        r"one of 'srgb', 'lab'; got ndarray$"):
        delta_e(a, a, input_space=np.array([1, 2]))


def test_psnr_refuses_an_integer_dtype_without_a_known_peak():
    with pytest.raises(TypeError, match=r"^reference has dtype int64; expected uint8, uint16 "
                                        r"or float images, or give data_range$"):
        psnr(np.zeros((2, 3), np.int64), np.ones((2, 3), np.int64))
    with pytest.raises(TypeError, match=r"^test has dtype int64; expected"):
        psnr(np.zeros((2, 3), np.uint8), np.ones((2, 3), np.int64))
    assert psnr(np.zeros((1, 3), np.int64), np.full((1, 3), 255), data_range=255) == 0.0


@pytest.mark.parametrize(("test_dtype", "message"), [
    # "convert one, or give data_range": a data_range compares 0..255 with 0..1 all the same
    (np.float64, r"^reference has dtype uint8 \(peak 255\) but test has dtype float64 "
                 r"\(peak 1\); expected images of the same scale: convert one to the other's, "
                 r"e\.g\. np\.rint\(test \* 255\)\.astype\(np\.uint8\), as reduce_colors "
                 r"reads a float image \(data_range sets the peak of both, it does not rescale "
                 r"either\)$"),
    (np.uint16, r"^reference has dtype uint8 \(peak 255\) but test has dtype uint16 "
                r"\(peak 65535\); expected images of the same scale: convert one to the "
                r"other's, e\.g\. reference\.astype\(np\.uint16\) \* 257 \(data_range"),
])
def test_psnr_refuses_images_of_different_scales(test_dtype, message):
    # psnr(uint8, float in [0, 1]) compared 0..255 with 0..1 and returned ~5 dB for
    # the same picture; delta_e converts each by its own dtype and returns 0 there.
    ref = np.array([[10, 200, 30], [0, 255, 128]], np.uint8)
    scaled = ref / 255.0 if test_dtype == np.float64 else ref.astype(np.uint16) * 257
    with pytest.raises(ValueError, match=message):
        psnr(ref, scaled.astype(test_dtype))
    # the conversion the message gives puts both on one scale: the same picture
    if test_dtype == np.float64:
        assert psnr(ref, np.rint(scaled * 255).astype(np.uint8)) == np.inf
    else:
        assert psnr(ref.astype(np.uint16) * 257, scaled.astype(test_dtype)) == np.inf
    unit = ref.astype(np.float32) / 255
    assert psnr(unit, unit.astype(np.float64)) == np.inf  # float32 and float64: both peak 1


@pytest.mark.parametrize(("bad", "name", "message"), [
    # NaN gave nan dB, and 0..255 held in floats a negative PSNR against the peak 1
    (np.nan, "reference", r"^reference contains NaN or infinite values; expected finite "
                          r"numbers$"),
    (np.inf, "test", r"^test contains NaN or infinite values"),
    (200.0, "reference", r"^reference holds float values in \[0, 200\]; expected values in "
                         r"\[0, 1\] \(the peak of a float image\), or give data_range$"),
    (-0.5, "test", r"^test holds float values in \[-0.5, 0\]; expected"),
    # shown to 6 digits, a value just above 1 read "in [0, 1]; expected values in [0, 1]"
    (np.nextafter(1 + 1 / 510, 2), "test",
     r"^test holds float values in \[0, 1\.0019607843137257\]; "),
    (np.nextafter(-1 / 510, -1), "test",
     r"^test holds float values in \[-0\.0019607843137254906, 0\]; "),
])
def test_psnr_refuses_float_values_its_peak_does_not_describe(bad, name, message):
    good = np.zeros((2, 3))
    wrong = good.copy()
    wrong[0, 0] = bad
    pair = (wrong, good) if name == "reference" else (good, wrong)
    with pytest.raises(ValueError, match=message):
        psnr(*pair)
    if np.isfinite(bad):  # with the range given, any finite values are measured
        mse = bad * bad / 6
        assert psnr(*pair, data_range=255.0) == pytest.approx(10 * np.log10(255 ** 2 / mse))
    else:
        with pytest.raises(ValueError, match=message):
            psnr(*pair, data_range=255.0)


@pytest.mark.parametrize("metric", [psnr, delta_e])
def test_float_values_a_hair_outside_the_unit_range_are_measured_clipped(metric):
    """Arithmetic leaves 1 + 1e-12 or -1e-12, and those were refused; within half a level
    of 8 bits (1/510) they are measured as their bound."""
    rng = np.random.default_rng(0)
    reference = rng.random((4, 5, 3))
    test = reference.copy()
    test[0, 0], test[1, 1], test[2, 2] = [1 + 1e-12, -1e-12, 0.5], 1 + 1 / 510, -1 / 510
    clipped = np.clip(test, 0, 1)
    assert metric(reference, test) == metric(reference, clipped)
    assert metric(test, reference) == metric(clipped, reference)
    assert metric(reference, clipped) != metric(reference, reference)  # they count


@pytest.mark.parametrize("metric", [psnr, delta_e])
@pytest.mark.parametrize("hair", [1e-12, 1 / 510])
def test_a_float_alpha_a_hair_above_1_is_opaque_beside_colours_alone(metric, hair):
    """Its alpha was checked for opacity before being clipped: the pair was refused as two
    shapes where an alpha of exactly 1 is compared without it."""
    rgba = np.ones((2, 2, 4))
    rgba[1, 1, :3] = 0.25
    test = rgba[..., :3].copy()
    test[0, 1] = 0.5
    exact = metric(rgba, test)
    rgba[0, 0, 3] = 1 + hair
    assert metric(rgba, test) == exact
    assert metric(test, rgba) == metric(test, rgba[..., :3])


@pytest.mark.parametrize("metric", [psnr, delta_e])
@pytest.mark.parametrize("hair", [1e-9, 1 / 511])
def test_a_float_alpha_a_hair_below_1_is_opaque_beside_colours_alone(metric, hair):
    """reduce_colors reads an alpha of 1 - 1e-9 as 255 and gives a result without alpha;
    the metrics refused the image beside that result's colours as two shapes."""
    rgba = np.ones((2, 2, 4))
    rgba[1, 1, :3] = 0.25
    test = rgba[..., :3].copy()
    test[0, 1] = 0.5
    exact = metric(rgba, test)
    rgba[0, 0, 3] = 1 - hair
    assert reduce_colors(rgba, 2, seed=0).alpha is None
    assert metric(rgba, test) == exact
    assert metric(test, rgba) == metric(test, rgba[..., :3])


def test_a_float_alpha_half_a_level_below_1_is_still_two_shapes_beside_colours():
    rgba = np.ones((2, 2, 4))
    rgba[0, 0, 3] = 1 - 1 / 500  # 254.49 of 255: reduce_colors keeps its alpha too
    assert reduce_colors(rgba, 2, seed=0, fourth_channel="alpha").alpha is not None
    with pytest.raises(ValueError, match=r"^reference and test should have the same shape, "
                                         r"got \(2, 2, 4\) and \(2, 2, 3\); give both"):
        psnr(rgba, rgba[..., :3])


def test_a_float_alpha_well_above_1_is_still_two_shapes_beside_colours():
    rgba = np.ones((2, 2, 4))
    rgba[0, 0, 3] = 1.01
    with pytest.raises(ValueError, match=r"^reference and test should have the same shape, "
                                         r"got \(2, 2, 4\) and \(2, 2, 3\); give both"):
        psnr(rgba, rgba[..., :3])


@pytest.mark.parametrize("input_space", ["srgb", "lab"])
def test_metrics_refuse_complex_colours(input_space):
    # complex arrays lost their imaginary part with a ComplexWarning: psnr gave inf
    # for colours 1j apart, and delta_e of Lab colours 0
    a = np.zeros((2, 3), complex)
    b = a + 1j
    with pytest.raises(TypeError, match=r"^test should hold real numbers, got dtype complex128$"):
        psnr(a.real, b, data_range=1.0)
    with pytest.raises(TypeError, match=r"^reference should hold real numbers, got dtype "
                                        r"complex128$"):
        delta_e(b, a.real, input_space=input_space)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
def test_delta_e_refuses_unsigned_integers_as_lab_colours(dtype):
    # They were read as Lab numbers without a word: sRGB red against green given with
    # input_space="lab" came out 123.9 (the sRGB difference is 86.6).
    red, green = np.array([[255, 0, 0]], dtype), np.array([[0, 255, 0]], dtype)
    message = (rf"^{{}} has dtype {np.dtype(dtype)}, which holds no CIE Lab colours \(L 0\.\.100, "
               r"a and b signed\); expected floats or signed integers with input_space='lab', "
               r"or sRGB colours with input_space='srgb'$")
    with pytest.raises(TypeError, match=message.format("reference")):
        delta_e(red, green, input_space="lab")
    with pytest.raises(TypeError, match=message.format("test")):
        delta_e(red.astype(np.float64), green, input_space="lab")


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32])
def test_delta_e_reads_signed_integer_lab_colours_as_their_numbers(dtype):
    ref = np.array([[50, 0, 0], [60, -20, 30]])
    tst = np.array([[60, 0, 0], [60, -20, 30]])
    expected = float(skcolor.deltaE_ciede2000(ref[:1], tst[:1])[0]) / 2  # one pair of two
    assert delta_e(ref.astype(dtype), tst.astype(dtype), input_space="lab") == pytest.approx(
        expected, rel=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_delta_e_refuses_lab_colours_that_are_not_finite(bad):
    # Lab input was not checked: NaN or inf gave a mean of nan, with NumPy's
    # "invalid value encountered in divide" warnings
    good = np.array([[50.0, 0.0, 0.0], [60.0, 10.0, -10.0]])
    wrong = good.copy()
    wrong[1, 2] = bad
    with pytest.raises(ValueError, match=r"^test contains NaN or infinite values; expected "
                                         r"finite numbers$"):
        delta_e(good, wrong, input_space="lab")
    with pytest.raises(ValueError, match=r"^reference contains NaN or infinite values"):
        delta_e(wrong, good, input_space="lab")


def test_rgba_is_measured_as_reduce_colors_measures_it(rng):
    """psnr and delta_e took only (..., 3): an RGBA image could not be compared with its
    reduction's to_rgba(); they now give the result's own psnr and delta_e."""
    from quantize import reduce_colors

    rgba = rng.integers(0, 256, (6, 7, 4), dtype=np.uint8)
    rgba[:2, :, 3] = 0  # fully transparent, whatever colour they store
    rgba[2, :, 3] = 255
    for dither in (0, 1):
        result = reduce_colors(rgba, 4, seed=0, dither=dither)
        assert psnr(rgba, result.to_rgba()) == pytest.approx(result.psnr, rel=1e-12)
        assert delta_e(rgba, result.to_rgba()) == pytest.approx(result.delta_e, rel=1e-9)


def test_rgba_psnr_is_premultiplied_and_delta_e_is_over_black_on_visible_pixels():
    ref = np.array([[[200, 0, 0, 128], [9, 9, 9, 0], [0, 0, 0, 255]]], np.uint8)
    tst = np.array([[[100, 0, 0, 255], [250, 0, 0, 0], [0, 0, 0, 255]]], np.uint8)
    # premultiplied: (100.39, 0, 0, 128) against (100, 0, 0, 255); the clear pixel, equal
    # whatever colour it stores, is left out: 2 pixels of 4 channels are counted
    mse = ((200 * 128 / 255 - 100) ** 2 + 127 ** 2) / 8
    assert psnr(ref, tst) == pytest.approx(10 * np.log10(255 ** 2 / mse), rel=1e-12)
    assert psnr(ref[:, 1:2], tst[:, 1:2]) == np.inf
    # over black both first pixels show (100, 0, 0); the second is hidden in the reference
    assert delta_e(ref, tst) == 0.0
    shown = tst.copy()
    shown[0, 1, 3] = 255  # visible in the test only: not counted, as reduce_colors does
    assert delta_e(ref, shown) == 0.0
    assert delta_e(ref[:, 1:2], shown[:, 1:2]) == 0.0  # nothing visible: nothing differs
    assert delta_e(ref, tst, weights=[[0, 1, 1]]) == 0.0
    far = tst.copy()
    far[0, 2] = [255, 255, 255, 255]
    assert delta_e(ref, far) == pytest.approx(delta_e(ref[..., :3][:, 2:], far[..., :3][:, 2:]) / 2)
    # uint16 and float images are composited on their own scale
    assert delta_e(ref.astype(np.uint16) * 257, far.astype(np.uint16) * 257) == pytest.approx(
        delta_e(ref, far), abs=0.05)
    assert psnr(ref / 255.0, tst / 255.0) == pytest.approx(psnr(ref, tst), rel=1e-12)



@pytest.mark.parametrize("mode", ["YCbCr", "CMYK", "P", "L", "RGBA", "LA"])
def test_a_pil_image_is_measured_in_the_colours_reduce_colors_reads(mode):
    """np.asarray of a PIL image is its stored bands: a YCbCr image's were measured as if
    sRGB (psnr(image, result.to_rgb()) 9.8 dB where result.psnr was 14.8), and a CMYK,
    palette or grey image was refused as not matching the result's shape."""
    rgb = np.array([[[200, 30, 30], [20, 20, 220], [250, 250, 250]],
                    [[0, 0, 0], [90, 160, 40], [200, 30, 30]]], np.uint8)
    image = Image.fromarray(rgb).convert(mode)
    if mode == "LA":  # translucent and transparent pixels: measured with their alpha
        image.putalpha(Image.fromarray(np.array([[255, 128, 0], [255, 255, 40]], np.uint8)))
    result = reduce_colors(image, 2, seed=0)
    reduced = result.to_rgba() if mode == "LA" else result.to_rgb()
    assert psnr(image, reduced) == pytest.approx(result.psnr, rel=1e-12)
    assert delta_e(image, reduced) == pytest.approx(result.delta_e, rel=1e-9)
    assert psnr(reduced, image) == pytest.approx(result.psnr, rel=1e-12)


def test_a_pil_image_is_refused_as_lab_colours():
    with pytest.raises(TypeError, match=r"^reference is an image, which holds sRGB colours; "
                       r"expected an array of CIE Lab colours with input_space='lab'$"):
        delta_e(Image.new("RGB", (2, 1)), np.zeros((1, 2, 3)), input_space="lab")


@pytest.mark.parametrize("layout", ["(H, W)", "(H, W, 1)", "(H, W, 2)", "bool", "float",
                                    "uint16"])
def test_a_grey_image_array_is_measured_as_reduce_colors_reads_it(layout):
    # psnr(image, result.to_rgb()) was refused for the grey arrays reduce_colors takes:
    # "reference and test should have the same shape, got (6, 8) and (6, 8, 3)".
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (6, 8), dtype=np.uint8)
    alpha = np.where(np.arange(8) < 2, 0, 255).astype(np.uint8) * np.ones((6, 1), np.uint8)
    alpha[0, 4] = 100
    image = {"(H, W)": grey, "(H, W, 1)": grey[..., None], "(H, W, 2)": np.dstack([grey, alpha]),
             "bool": grey > 128, "float": grey / 255.0, "uint16": grey.astype(np.uint16) * 257
             }[layout]
    result = reduce_colors(image, 2 if layout == "bool" else 3, seed=0)
    test = result.to_rgba() if layout == "(H, W, 2)" else result.to_rgb()
    # To rounding: psnr sums the squared errors pixel by pixel, result.psnr colour by
    # colour times its count (21.732980791357114 against ...107 with alpha).
    same = pytest.approx(result.psnr, rel=1e-12, abs=0)
    assert psnr(image, test) == same and psnr(test, image) == same
    assert delta_e(image, test) == result.delta_e
    if layout != "(H, W, 2)":  # the same as the grey levels repeated in three channels
        levels = np.atleast_3d(grey if layout != "bool" else np.where(grey > 128, 255, 0))
        assert psnr(np.repeat(levels, 3, axis=2).astype(np.uint8), test) == result.psnr
    with pytest.raises(ValueError, match=r"got \(6, 8\) and \(6, 7, 3\)$"):
        psnr(grey, result.to_rgb()[:, :7])  # another size is no image of the result


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint16])
def test_grey_levels_beside_colours_of_their_own_dtype_are_repeated_as_they_are(dtype):
    # A float or uint16 grey array was read as uint8 beside colours of its own dtype:
    # "reference has dtype uint8 (peak 255) but test has dtype float64", and with
    # data_range=1.0 a PSNR of -43 dB for one image against itself.
    levels = np.random.default_rng(0).random((8, 9))
    grey = levels.astype(dtype) if dtype != np.uint16 else (levels * 65535).astype(dtype)
    colours = np.repeat(grey[..., None], 3, axis=2)
    assert psnr(grey, colours) == psnr(colours, grey) == math.inf
    assert delta_e(grey, colours) == 0.0
    if dtype != np.uint16:
        assert psnr(grey, colours, data_range=1.0) == math.inf
        darker = colours * 0.5
        assert psnr(grey, darker, data_range=1.0) == pytest.approx(
            10 * math.log10(1.0 / np.mean((grey - grey * 0.5) ** 2)), rel=1e-5)
    pairs = np.dstack([grey, np.full_like(grey, grey.max())])  # grey and alpha
    assert psnr(pairs, np.dstack([colours, pairs[..., 1]])) == math.inf


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
def test_an_opaque_alpha_channel_is_no_alpha_as_reduce_colors_reads_it(dtype):
    # An opaque RGBA array was measured on four channels: psnr(rgba, result.to_rgba())
    # 1.25 dB above result.psnr (its errors spread over one more channel), and the same
    # image as a PIL RGBA image, read as RGB, was refused beside result.to_rgba().
    rgb = np.array([[[200, 30, 30], [20, 20, 220], [250, 250, 250]],
                    [[0, 0, 0], [90, 160, 40], [190, 40, 30]]], np.uint8)
    rgba = np.dstack([rgb, np.full((2, 3), 255, np.uint8)])
    result = reduce_colors(rgba, 2, seed=0)
    assert result.alpha is None and result.psnr == psnr(rgb, result.to_rgb())
    scale = {np.uint8: 1, np.uint16: 257, np.float64: 1 / 255}[dtype]
    image, reduced = ((a * scale).astype(dtype)
                      for a in (rgba.astype(float), result.to_rgba().astype(float)))
    for test in (reduced, reduced[..., :3], Image.fromarray(result.to_rgba())):
        if isinstance(test, Image.Image) and dtype != np.uint8:
            continue  # a PIL image is 8-bit: another scale
        assert psnr(image, test) == pytest.approx(result.psnr, rel=1e-12)
        assert psnr(test, image) == pytest.approx(result.psnr, rel=1e-12)
        assert delta_e(image, test) == pytest.approx(result.delta_e, rel=1e-6)
    assert psnr(Image.fromarray(rgba), result.to_rgba()) == result.psnr
    # one alpha below its peak, in either image: both measured with alpha, as before
    faint = rgba.copy()
    faint[0, 0, 3] = 254
    premultiplied = lambda a: np.dstack([a[..., :3] * (a[..., 3:] / 255), a[..., 3]])  # noqa: E731
    mse = ((premultiplied(faint) - premultiplied(result.to_rgba())) ** 2).mean()
    assert psnr(faint, result.to_rgba()) == pytest.approx(10 * np.log10(255 ** 2 / mse))
    with pytest.raises(ValueError, match="same shape"):
        psnr(faint, result.to_rgb())


@pytest.mark.parametrize("layout", ["(H, W)", "(H, W, 1)"])
@pytest.mark.parametrize("dtype, peak", [(np.uint8, 255), (np.uint16, 65535), (np.float64, 1)])
def test_psnr_of_two_grey_images_compares_their_levels(layout, dtype, peak):
    # Two grey arrays were refused as "should be a non-empty (..., 3) array of colours".
    ref = np.array([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]], np.float64) / 9 * peak
    tst = ref.copy()
    tst[0, 0] = peak  # one level of ten off by the peak: MSE peak^2 / 10, so 10 dB
    ref, tst = ref.astype(dtype), tst.astype(dtype)
    shaped = (lambda a: a) if layout == "(H, W)" else (lambda a: a[..., None])
    assert psnr(shaped(ref), shaped(tst)) == pytest.approx(10.0, abs=1e-12)
    assert psnr(shaped(ref), shaped(ref)) == math.inf
    # weighted per pixel, (H, W): the pixel off weighs 1 of 19, MSE peak^2 / 19
    weights = np.full((2, 5), 2.0)
    weights[0, 0] = 1
    assert psnr(shaped(ref), shaped(tst), weights=weights) == pytest.approx(
        10 * math.log10(19), abs=1e-12)
    assert psnr(shaped(ref), shaped(tst), data_range=2 * peak) == pytest.approx(
        10 + 20 * math.log10(2), abs=1e-12)
    # the same as the grey levels repeated in three channels, as reduce_colors reads them
    assert psnr(shaped(ref), shaped(tst)) == pytest.approx(
        psnr(np.repeat(ref[..., None], 3, axis=2), np.repeat(tst[..., None], 3, axis=2)))


def test_psnr_of_two_grey_images_is_refused_as_before_where_it_is_no_pair():
    grey = np.zeros((2, 5), np.uint8)
    with pytest.raises(ValueError, match=r"^reference and test should have the same shape, "
                                         r"got \(2, 5\) and \(2, 5, 1\)$"):
        psnr(grey, grey[..., None])
    with pytest.raises(ValueError, match=r"^reference should be a non-empty \(\.\.\., 3\) "
                                         r"array of colours, or \(\.\.\., 4\) with alpha, "
                                         r"or a grey image, \(H, W\) or \(H, W, 1\), or "
                                         r"grey and alpha, \(H, W, 2\), got shape \(0, 5\)$"):
        psnr(grey[:0], grey[:0])
    with pytest.raises(ValueError, match=r"or grey and alpha, \(H, W, 2\), got shape "
                                         r"\(0, 5, 2\)$"):  # the shape given, not as read
        psnr(np.dstack([grey, grey])[:0], np.dstack([grey, grey])[:0])
    with pytest.raises(ValueError, match=r"^reference should be a non-empty \(\.\.\., 3\) "
                                         r"array of colours, or \(\.\.\., 4\) with alpha, "
                                         r"got shape \(2, 5\)$"):
        delta_e(grey, grey)  # a grey level has no colour difference of its own here


def test_psnr_of_two_grey_and_alpha_images_scores_them_as_rgba():
    # Two (H, W, 2) arrays were refused, and the message named no form that works,
    # though reduce_colors takes them (as RGBA, the grey level in three channels).
    ref = np.array([[[255, 255], [0, 255]]], np.uint8)
    tst = np.array([[[255, 255], [0, 0]]], np.uint8)
    # premultiplied RGBA: only the alpha of pixel 2 differs, by 255: one value of 8
    assert psnr(ref, tst) == pytest.approx(10 * math.log10(8), abs=1e-12)
    assert psnr(ref, tst) == psnr(np.dstack([ref[..., :1]] * 3 + [ref[..., 1:]]),
                                  np.dstack([tst[..., :1]] * 3 + [tst[..., 1:]]))
    clear = np.array([[[10, 0]]], np.uint8)  # two fully transparent pixels are equal
    assert psnr(clear, np.array([[[210, 0]]], np.uint8)) == math.inf
    # opaque: the grey levels alone, as two (H, W) images are compared
    opaque = np.dstack([np.array([[0, 90]], np.uint8), np.full((1, 2), 255, np.uint8)])
    darker = opaque.copy()
    darker[0, 1, 0] = 0
    assert psnr(opaque, darker) == psnr(opaque[..., 0], darker[..., 0])
    floats = ref / 255.0
    assert psnr(floats, tst / 255.0) == pytest.approx(10 * math.log10(8), abs=1e-12)
    assert (ref == [[[255, 255], [0, 255]]]).all()  # the caller's arrays are kept
    with pytest.raises(ValueError, match=r"reference has dtype uint8 \(peak 255\) but test "
                                         r"has dtype float64 \(peak 1\)"):
        psnr(ref, floats)


def test_psnr_of_a_grey_and_alpha_image_and_its_reduction_is_the_results_psnr():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (8, 8, 2), dtype=np.uint8)
    result = reduce_colors(image, 4, seed=0)
    rgba = result.to_rgba()
    assert (rgba[..., 0] == rgba[..., 1]).all() and (rgba[..., 1] == rgba[..., 2]).all()
    assert psnr(image, rgba[..., [0, 3]]) == result.psnr


def test_psnr_reads_a_two_dimensional_array_of_width_3_or_4_as_colours():
    # (H, 4) is H colours with alpha: the last column, opaque, is no alpha and left out
    ref = np.array([[0, 0, 0, 255], [0, 0, 0, 255]], np.uint8)
    tst = ref.copy()
    tst[0, 0] = 255  # one value of six colour values: 10 log10(6)
    assert psnr(ref, tst) == pytest.approx(10 * math.log10(6))
    # the same levels as a grey image, (H, W, 1): one of eight
    assert psnr(ref[..., None], tst[..., None]) == pytest.approx(10 * math.log10(8))


@pytest.mark.parametrize("metric", [psnr, delta_e], ids=lambda f: f.__name__)
def test_metrics_refuse_an_image_over_the_pixel_limit_from_its_shape(metric):
    """As reduce_colors refuses it: a 60000 x 60000 view of three bytes was measured
    whole, copies of tens of gigabytes."""
    huge = np.broadcast_to(np.zeros(3, np.uint8), (60000, 60000, 3))
    with pytest.raises(ImageReadError) as info:
        metric(huge, huge)
    assert str(info.value) == (
        "reference of shape (60000, 60000, 3) has 3,600,000,000 pixels, more than the limit "
        "of 250,000,000; if it is meant, pass max_pixels=3600000000 or more (or None for no "
        "limit)")
    assert isinstance(info.value, ValueError)


def _limit_cases():
    image = np.zeros((4, 6, 3), np.uint8)
    image[:, 3:] = [200, 40, 40]
    return [
        (image, "reference of shape (4, 6, 3) has 24 pixels"),
        (Image.fromarray(image), "reference, a PIL image of 6x4 has 24 pixels"),
        (image.reshape(-1, 3), "reference of shape (24, 3) has 24 pixels"),  # a colour list
        (image[..., 0], "reference of shape (4, 6) has 24 pixels"),  # grey levels
    ]


@pytest.mark.parametrize("metric", [psnr, delta_e], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("reference", "message"), _limit_cases(),
                         ids=["array", "pil", "colours", "grey"])
def test_metrics_pixel_limit_is_max_pixels(metric, reference, message):
    test = np.full((4, 6, 3), 90, np.uint8)  # beside a grey image, colours of its size
    if np.ndim(reference) == 2 and np.shape(reference)[1] == 3:
        test = test.reshape(-1, 3)
    with pytest.raises(ImageReadError) as info:
        metric(reference, test, max_pixels=23)
    assert str(info.value) == (f"{message}, more than the limit of 23; if it is meant, "
                               "pass max_pixels=24 or more (or None for no limit)")
    measured = metric(reference, test)
    assert 0 < measured < math.inf
    for limit in (24, None):
        assert metric(reference, test, max_pixels=limit) == measured


def test_metrics_pixel_limit_names_the_test_image_too():
    small, big = np.zeros((2, 3, 3), np.uint8), np.zeros((4, 6, 3), np.uint8)
    with pytest.raises(ImageReadError, match=r"^test of shape \(4, 6, 3\) has 24 pixels, "
                                             r"more than the limit of 6; "):
        psnr(small, big, max_pixels=6)


@pytest.mark.parametrize("metric", [psnr, delta_e], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("limit", "error", "message"), [
    (0, ValueError, "max_pixels=0 should be >= 1"),
    (2.5, TypeError, "max_pixels=2.5 should be an integer, got float"),
    ("many", TypeError, "max_pixels='many' should be an integer, got str"),
])
def test_metrics_refuse_a_bad_max_pixels_naming_it(metric, limit, error, message):
    image = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(error) as info:
        metric(image, image, max_pixels=limit)
    assert str(info.value) == message


@pytest.mark.parametrize("shape", [(31, 23, 3), (6, 5, 4), (3, 9), (2, 1, 3)])
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_psnr_blur_is_that_of_scipys_gaussian_filter(rng, shape, sigma):
    """blur=s: PSNR of both images blurred as gaussian_filter(img, (s, s, 0)) blurs them
    (premultiplied with alpha), sides shorter than the kernel mirrored again and again."""
    from scipy.ndimage import gaussian_filter

    a, b = (rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(2))
    fa, fb = (x.astype(np.float64).reshape(*shape[:2], -1) for x in (a, b))
    if fa.shape[-1] == 4:
        fa[..., :3] *= fa[..., 3:] / 255
        fb[..., :3] *= fb[..., 3:] / 255
    fa, fb = (gaussian_filter(x, (sigma, sigma, 0)) for x in (fa, fb))
    expected = 10 * math.log10(255 ** 2 / np.mean((fa - fb) ** 2))
    assert psnr(a, b, blur=sigma) == pytest.approx(expected, rel=1e-12)
    assert psnr(a, b, blur=0) == psnr(a, b)
    assert psnr(a, a.copy(), blur=sigma) == math.inf


@pytest.mark.parametrize("band_pixels", [1, 40, 100])
def test_psnr_blur_by_bands_of_rows_is_that_of_the_whole(rng, monkeypatch, band_pixels):
    """The blur runs a band of rows at a time, each with the rows its taps reach (bands of
    1 row, or of 2 and 4 rows here, fewer than the 8 a blur of 2 reaches either side):
    the figure is that of the whole image blurred at once, RGB and RGBA."""
    from scipy.ndimage import gaussian_filter

    import quantize.metrics.color as color

    monkeypatch.setattr(color, "_BLUR_BAND_PIXELS", band_pixels)
    for shape in [(29, 23, 3), (13, 20, 4)]:
        a, b = (rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(2))
        fa, fb = (x.astype(np.float64) for x in (a, b))
        if shape[-1] == 4:
            fa[..., :3] *= fa[..., 3:] / 255
            fb[..., :3] *= fb[..., 3:] / 255
        diff = gaussian_filter(fa - fb, (2.0, 2.0, 0))
        expected = 10 * math.log10(255 ** 2 / np.mean(diff ** 2))
        assert psnr(a, b, blur=2.0) == pytest.approx(expected, rel=1e-12)


def test_psnr_blur_forgives_a_dither_pattern_plain_psnr_counts_as_noise():
    grey = np.full((16, 16, 3), 128, np.uint8)
    checks = np.repeat((np.indices((16, 16)).sum(axis=0) % 2 * 255)[..., None], 3,
                       axis=2).astype(np.uint8)
    assert psnr(grey, checks) == pytest.approx(6.02, abs=0.01)
    assert psnr(grey, checks, blur=1.0) > 25


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"blur": -1}, "blur=-1 should be >= 0"),
    ({"blur": 1, "weights": np.ones((2, 2))}, "blur=1 needs two images, (H, W) or (H, W, C), "
                                              "without weights; got shape (2, 2, 3) and "
                                              "weights"),
])
def test_psnr_refuses_a_blur_it_cannot_take(kwargs, match):
    a = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(ValueError, match=re.escape(match)):
        psnr(a, a + 1, **kwargs)
    with pytest.raises(ValueError, match=re.escape("blur=1 needs two images")):
        psnr(np.zeros((5, 3), np.uint8), np.ones((5, 3), np.uint8), blur=1)  # a colour list
