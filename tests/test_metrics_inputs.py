"""What the metrics refuse as input, each in one line naming the parameter: a result
(saying what of it to pass), a file name, None, an array of Python objects, and a masked
array, whose mask NumPy would drop without a word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantize import reduce_colors, segment
from quantize.metrics import (
    adjusted_rand_index,
    border_match_counts,
    boundary_scores,
    delta_e,
    psnr,
)

IMAGE = np.zeros((6, 8, 3), np.uint8)
IMAGE[:, 4:] = [200, 40, 40]
LABELS = np.zeros((6, 8), np.int32)
LABELS[:, 4:] = 1
EXPECTED_IMAGE = "test should be a (..., 3) or (..., 4) array of colours"
EXPECTED_LABELS = "pred should be a 2-D (H, W) integer label map"


@pytest.fixture(scope="module")
def reduced():
    return reduce_colors(IMAGE, 2, seed=0)


@pytest.fixture(scope="module")
def segmented():
    return segment(IMAGE)


@pytest.mark.parametrize("metric", [psnr, delta_e])
def test_colour_metrics_refuse_a_reduce_result_saying_what_to_pass(metric, reduced):
    # was "reference and test should have the same shape, got (6, 8, 3) and ()"
    message = (f"{EXPECTED_IMAGE}, got a ReduceResult; pass result.to_rgb() "
               "(result.to_rgba() with alpha)")
    with pytest.raises(TypeError) as caught:
        metric(IMAGE, reduced)
    assert str(caught.value) == message
    with pytest.raises(TypeError) as caught:
        metric(reduced, IMAGE)
    assert str(caught.value) == message.replace("test", "reference", 1)
    assert metric(IMAGE, reduced.to_rgb()) == metric(IMAGE, IMAGE)  # the advice works


def test_colour_metrics_refuse_a_segment_result_saying_what_to_pass(segmented):
    with pytest.raises(TypeError) as caught:
        psnr(IMAGE, segmented)
    assert str(caught.value) == (f"{EXPECTED_IMAGE}, got a SegmentResult; pass "
                                 "result.mean_color_image()")


@pytest.mark.parametrize(("test", "message"), [
    (None, f"{EXPECTED_IMAGE}, got None"),
    ("x.png", f"{EXPECTED_IMAGE}, got a str (a file name); read it first with "
              "quantize.io.load_image(path)"),
    (Path("x.png"), f"{EXPECTED_IMAGE}, got a PosixPath (a file name); read it first with "
                    "quantize.io.load_image(path)"),
    # bytes were an array of no shape, refused as "got (6, 8, 3) and ()"
    (b"x.png", f"{EXPECTED_IMAGE}, got bytes; a file name is given as a str or Path: read "
               "it first with quantize.io.load_image(path)"),
    (np.array([object()] * 3), f"{EXPECTED_IMAGE}, got an array of dtype object"),
])
@pytest.mark.parametrize("metric", [psnr, delta_e])
def test_colour_metrics_refuse_what_is_no_image(metric, test, message):
    if isinstance(test, Path) and type(test).__name__ != "PosixPath":
        pytest.skip("the class name differs off POSIX")
    with pytest.raises(TypeError) as caught:
        metric(IMAGE, test)
    assert str(caught.value) == message


@pytest.mark.parametrize("metric", [boundary_scores, adjusted_rand_index])
def test_label_map_metrics_refuse_a_segment_result_saying_what_to_pass(metric, segmented):
    # was "pred should be an integer label map, got dtype object"
    with pytest.raises(TypeError) as caught:
        metric(segmented, segmented.labels)
    assert str(caught.value) == f"{EXPECTED_LABELS}, got a SegmentResult; pass result.labels"
    with pytest.raises(TypeError) as caught:
        metric(segmented.labels, segmented)
    assert str(caught.value) == ("true should be a 2-D (H, W) integer label map, got a "
                                 "SegmentResult; pass result.labels")
    assert metric(segmented.labels, segmented.labels) == metric(LABELS, LABELS)


def test_label_map_metrics_refuse_a_reduce_result_saying_what_to_pass(reduced):
    with pytest.raises(TypeError) as caught:
        adjusted_rand_index(reduced, LABELS)
    assert str(caught.value) == f"{EXPECTED_LABELS}, got a ReduceResult; pass result.indices"


def test_boundary_scores_names_the_annotator_that_is_a_result(segmented):
    with pytest.raises(TypeError) as caught:
        boundary_scores(LABELS, [LABELS, segmented])
    assert str(caught.value) == ("true[1] should be a 2-D (H, W) integer label map, got a "
                                 "SegmentResult; pass result.labels")


@pytest.mark.parametrize(("pred", "message"), [
    (None, f"{EXPECTED_LABELS}, got None"),
    ("labels.png", f"{EXPECTED_LABELS}, got a str (a file name); read the map into an "
                   "array first"),
])
@pytest.mark.parametrize("metric", [boundary_scores, adjusted_rand_index])
def test_label_map_metrics_refuse_what_is_no_map(metric, pred, message):
    with pytest.raises(TypeError) as caught:
        metric(pred, LABELS)
    assert str(caught.value) == message


def test_border_match_counts_refuses_a_segment_result(segmented):
    with pytest.raises(TypeError) as caught:
        border_match_counts(segmented, [segmented.boundaries()], 1)
    assert str(caught.value) == ("pred should be a 2-D (H, W) bool border mask, got a "
                                 "SegmentResult; pass result.boundaries()")


EXPECTED_TRUE_MASKS = "true should be a 2-D (H, W) bool border mask"


@pytest.mark.parametrize(("true", "message"), [
    (None, f"{EXPECTED_TRUE_MASKS}, got None"),  # was "'NoneType' object is not iterable"
    ("borders.png", f"{EXPECTED_TRUE_MASKS}, got a str (a file name); read the mask into "
                    "an array first"),  # was named true[0], its first character
])
def test_border_match_counts_refuses_true_that_is_no_masks(true, message):
    with pytest.raises(TypeError) as caught:
        border_match_counts(LABELS == 1, true, 1)
    assert str(caught.value) == message


def test_border_match_counts_refuses_true_that_is_a_segment_result(segmented):
    # was "'SegmentResult' object is not iterable"
    with pytest.raises(TypeError) as caught:
        border_match_counts(segmented.boundaries(), segmented, 1)
    assert str(caught.value) == (f"{EXPECTED_TRUE_MASKS}, got a SegmentResult; pass "
                                 "result.boundaries()")


# Masked arrays: np.asarray dropped the mask, and the masked pixels were measured.

MASKED = "is a masked array, whose mask would be ignored; expected a plain array"


@pytest.mark.parametrize("metric", [psnr, delta_e])
def test_colour_metrics_refuse_a_masked_image(metric):
    other = IMAGE.copy()
    other[0, 0] = 255
    masked = np.ma.masked_array(other, mask=np.zeros(other.shape, bool))
    masked[0, 0] = np.ma.masked  # psnr was inf: the one differing pixel masked, and read
    with pytest.raises(TypeError) as caught:
        metric(IMAGE, masked)
    assert str(caught.value) == (f"test {MASKED} (test.filled(...), with weights of 0 on "
                                 "the masked pixels)")


def test_colour_metrics_refuse_masked_weights():
    weights = np.ma.masked_array(np.ones((6, 8)), mask=np.zeros((6, 8), bool))
    with pytest.raises(TypeError) as caught:
        psnr(IMAGE, IMAGE, weights=weights)
    assert str(caught.value) == (f"weights {MASKED} (weights.filled(0) gives the masked "
                                 "pixels no weight)")


@pytest.mark.parametrize("metric", [boundary_scores, adjusted_rand_index])
def test_label_map_metrics_refuse_a_masked_map(metric):
    masked = np.ma.masked_array(LABELS, mask=LABELS == 1)
    for args, name in (((masked, LABELS), "pred"), ((LABELS, masked), "true")):
        with pytest.raises(TypeError) as caught:
            metric(*args)
        assert str(caught.value) == (f"{name} {MASKED} ({name}.filled(...) with a label of "
                                     "its own for the masked pixels)")


def test_border_match_counts_refuses_a_masked_mask():
    mask = LABELS == 1
    with pytest.raises(TypeError) as caught:
        border_match_counts(mask, [np.ma.masked_array(mask)], 1)
    assert str(caught.value) == f"true[0] {MASKED} (true[0].filled(False))"
