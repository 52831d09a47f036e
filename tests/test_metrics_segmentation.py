"""Border scores and the adjusted Rand index on hand-made label maps."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from quantize.errors import ImageReadError
from quantize.metrics import adjusted_rand_index, boundary_scores
from quantize.metrics.segmentation import (
    BoundaryMapWarning,
    ToleranceWarning,
    _border_points,
    border_match_counts,
    boundary_counts,
    maximum_matching,
)
from quantize.reconstruct.regions import find_boundaries


def halves(shape=(40, 60), column=30):
    labels = np.zeros(shape, dtype=np.int32)
    labels[:, column:] = 1
    return labels


def test_identical_maps_score_one():
    labels = halves()
    labels[25:, :10] = 2
    assert boundary_scores(labels, labels) == (1.0, 1.0, 1.0)


def test_shift_beyond_tolerance_scores_zero():
    assert boundary_scores(halves(column=20), halves(column=30), tolerance=5) == (0.0, 0.0, 0.0)


def test_shift_within_tolerance_scores_one():
    assert boundary_scores(halves(column=27), halves(column=30), tolerance=5) == (1.0, 1.0, 1.0)


def test_default_tolerance_is_bsds_share_of_diagonal():
    shape = (300, 400)  # diagonal 500: tolerance 3.75 pixels
    assert boundary_scores(halves(shape, 200), halves(shape, 203))[2] == 1.0
    assert boundary_scores(halves(shape, 200), halves(shape, 204))[2] == 0.0


def test_matching_is_one_to_one():
    # Two predicted borders near one true border: only one can match. (Borders in
    # neighbouring columns would be one line once thinned, as the benchmark thins them.)
    pred = halves(column=30)
    pred[:, 32:] = 2
    p, r, f = boundary_scores(pred, halves(column=30), tolerance=3)
    assert (p, r) == (0.5, 1.0)
    assert f == pytest.approx(2 / 3)


def test_labels_values_do_not_matter():
    a = halves()
    assert boundary_scores(a * 7 + 3, a) == (1.0, 1.0, 1.0)


def test_no_borders_conventions():
    flat = np.zeros((10, 10), dtype=int)
    assert boundary_scores(flat, flat) == (1.0, 1.0, 1.0)
    p, r, f = boundary_scores(flat, halves((10, 10), 5))
    assert (p, r, f) == (1.0, 0.0, 0.0)


def _assignment_pairs(a: np.ndarray, b: np.ndarray, tol: float) -> int:
    """Pairs of the BSDS-style minimum-cost assignment (unmatched costs more than any pair)."""
    from scipy.optimize import linear_sum_assignment

    dist = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
    cost = np.where(dist <= tol, dist, 1e6)
    rows, cols = linear_sum_assignment(cost)
    return int((cost[rows, cols] < 1e6).sum())


@pytest.mark.parametrize("trial", range(5))
def test_matching_pairs_as_many_as_the_assignment(rng, trial):
    a = rng.integers(0, 30, size=(60, 2)).astype(float)
    b = rng.integers(0, 30, size=(50, 2)).astype(float)
    a, b = np.unique(a, axis=0), np.unique(b, axis=0)
    matched = maximum_matching(a, b, 2.5)
    assert matched.sum() == _assignment_pairs(a, b, 2.5)


def test_matching_pairs_only_points_within_tolerance():
    a = np.array([[0.0, 0.0], [0.0, 10.0], [5.0, 5.0]])
    b = np.array([[0.0, 1.0], [0.0, 11.5]])
    assert maximum_matching(a, b, 1.0).tolist() == [True, False, False]
    assert maximum_matching(a, b, 1.5).tolist() == [True, True, False]


def test_matching_beats_nearest_first():
    # nearest first pairs a[0] with b[0] and leaves a[1] alone; two pairs exist
    a = np.array([[0.0, 0.0], [0.0, 2.0]])
    b = np.array([[0.0, 0.9], [0.0, -1.4]])
    assert maximum_matching(a, b, 1.5).tolist() == [True, True]
    assert maximum_matching(a, b[:0], 1.5).tolist() == [False, False]


def test_border_points_are_one_pixel_wide():
    points = _border_points(halves(column=30))
    assert set(points[:, 1]) == {29.0}
    assert points.shape[0] == 40


@pytest.mark.parametrize(("pred", "true", "error", "match"), [
    (np.zeros((4, 4)), np.zeros((4, 4), int), TypeError, "integer label map"),
    (np.zeros((4, 4), int), np.zeros((4, 5), int), ValueError, "same shape"),
    (np.zeros(4, int), np.zeros(4, int), ValueError, "2-D"),
])
def test_bad_maps(pred, true, error, match):
    with pytest.raises(error, match=match):
        boundary_scores(pred, true)
    with pytest.raises(error, match=match):
        adjusted_rand_index(pred, true)


def test_a_border_map_as_pred_is_scored_as_border_pixels():
    """boundary_scores(result.boundaries(), truth) was refused, with advice to pass it as
    integers, which scores it as two regions whose borders lie beside its own. A bool
    pred is now the border pixels themselves, thinned as a bool truth is."""
    labels = halves()
    labels[25:, :10] = 2
    borders = find_boundaries(labels)
    assert boundary_scores(borders, labels, tolerance=0) == (1.0, 1.0, 1.0)
    assert boundary_scores(borders, borders, tolerance=0) == (1.0, 1.0, 1.0)
    beside = np.roll(find_boundaries(halves()), 1, axis=1)
    assert boundary_scores(beside, halves(), tolerance=0) == (0.0, 0.0, 0.0)
    assert boundary_scores(beside, halves(), tolerance=1) == (1.0, 1.0, 1.0)
    thick = find_boundaries(halves()) | beside  # two pixels wide: thinned to one, 39 long
    assert boundary_scores(thick, halves(), tolerance=1) == pytest.approx((1, 39 / 40, 78 / 79))


def test_a_bool_mask_of_areas_as_pred_warns():
    """A mask of two regions passed as bool is scored as a border map, with a warning
    that says how to score it as labels."""
    mask = halves() == 1
    with pytest.warns(BoundaryMapWarning) as caught:
        scores = boundary_scores(mask, halves(), tolerance=0)
    assert str(caught[0].message) == (
        "pred is bool, so it is scored as a border map, but its True pixels form areas, "
        "not lines: a mask of two regions is scored as labels when passed as integers "
        "(mask.astype(int))")
    assert scores == (0.0, 0.0, 0.0)  # the area thinned to its middle line, far from 29
    assert boundary_scores(mask.astype(int), halves()) == (1.0, 1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        boundary_scores(find_boundaries(halves()), halves())


def test_a_soft_border_map_as_pred_is_refused_saying_how_it_is_scored():
    soft = np.zeros((40, 60), np.float32)
    soft[:, 29] = 0.8
    with pytest.raises(TypeError) as caught:
        boundary_scores(soft, halves())
    assert str(caught.value) == (
        "pred should be an integer label map or a bool border map, got dtype float32: "
        "for a soft border map (boundary_map's strengths), threshold it first (pred > t, "
        "a bool border map); the BSDS benchmark's ODS and OIS score 99 thresholds "
        "t = i / 100: boundary_counts(pred > t, true) at each t, "
        "summed over the images for ODS (the best t for all), per image for OIS (each "
        "image's best t)")
    assert boundary_scores(soft > 0.5, halves(), tolerance=0) == (1.0, 1.0, 1.0)


def test_a_bool_truth_is_scored_as_a_boundary_map():
    """A bool truth was refused; BSDS500's Boundaries (uint8) was read as two regions.
    A bool truth is now the border pixels themselves, as the benchmark takes them."""
    assert boundary_scores(halves(), find_boundaries(halves())) == (1.0, 1.0, 1.0)
    beside = column(30)  # one column right of the border at column 29
    assert boundary_scores(halves(), beside, tolerance=0) == (0.0, 0.0, 0.0)
    assert boundary_scores(halves(), beside, tolerance=1) == (1.0, 1.0, 1.0)


def test_against_a_boundary_map_both_border_maps_are_thinned():
    """As the BSDS benchmark thins a prediction: a diagonal's 2-pixel-wide staircase of
    10 border pixels becomes 6. The boundary map was taken as drawn, so the labels
    scored recall 0.6 against their own borders (find_boundaries, as
    SegmentResult.boundaries() draws them); it is thinned too."""
    pred = np.triu(np.ones((6, 6), int), 1)
    drawn = find_boundaries(pred)
    assert drawn.sum() == 10
    assert boundary_scores(pred, drawn, tolerance=0) == (1.0, 1.0, 1.0)
    assert boundary_scores(pred, pred, tolerance=0) == (1.0, 1.0, 1.0)


def test_a_label_map_is_scored_as_its_borders_are_as_a_boundary_map():
    """Against a label map nothing was thinned: a diagonal's staircase of 14 border
    pixels had 8 straight predicted pixels to pair with, recall 8 / 14, where against
    the same borders as a boundary map (thinned to 8 pixels) it was 1; the other way
    round, the staircase's 14 pixels scored precision 8 / 14. Both sides are now thinned,
    as the BSDS benchmark's figures count them (segment's labels of a BSDS500 photo
    scored F 0.517 against an annotator's Segmentation, 0.545 against its Boundaries)."""
    staircase = np.triu(np.ones((8, 8), int), 1)
    straight = np.zeros((8, 8), int)
    straight[:, 4:] = 1
    drawn = find_boundaries(staircase)
    assert drawn.sum() == 14
    assert boundary_scores(straight, staircase, tolerance=8) == (1.0, 1.0, 1.0)
    assert boundary_scores(straight, drawn, tolerance=8) == (1.0, 1.0, 1.0)
    # the staircase predicted against the straight border: its 14 pixels thinned to 8
    assert boundary_scores(staircase, straight, tolerance=8) == (1.0, 1.0, 1.0)
    assert boundary_scores(staircase, staircase, tolerance=0) == (1.0, 1.0, 1.0)


def test_a_segmentation_scores_one_against_its_own_boundaries(rng):
    """segment(astronaut, seed=0) scored recall 0.791 against result.boundaries()."""
    from skimage.morphology import thin

    from quantize import segment

    image = np.zeros((48, 64, 3), np.uint8)
    image[:, 32:] = 200
    image[np.add.outer(np.arange(48), -np.arange(64)) > 5] = (0, 0, 180)  # a diagonal
    image = np.clip(image + rng.integers(-20, 21, image.shape), 0, 255).astype(np.uint8)
    result = segment(image, seed=0)
    borders = result.boundaries()
    assert (thin(borders) != borders).any()  # steps the thinning takes pixels from
    assert boundary_scores(result.labels, borders) == (1.0, 1.0, 1.0)


def two_borders():
    """Labels 0 | 1 | 2 with borders at columns 29 and 40 of a 40 x 60 map."""
    labels = halves()
    labels[:, 41:] = 2
    return labels


def column(col, shape=(40, 60)):
    mask = np.zeros(shape, bool)
    mask[:, col] = True
    return mask


def test_several_annotators_are_matched_separately_and_counted_as_the_benchmark():
    """A stack of annotators was refused. Precision counts a predicted pixel once however
    many annotators match it; recall sums the annotators' pixels."""
    pred = two_borders()  # 80 border pixels
    both = [column(29), column(40)]
    assert boundary_scores(pred, both, tolerance=0) == (1.0, 1.0, 1.0)
    same = [column(29), column(29)]  # 40 predicted pixels matched, by both annotators
    assert boundary_scores(pred, same, tolerance=0) == pytest.approx((0.5, 1.0, 2 / 3))
    far = [column(29), column(33)]  # the second annotator's border 4 pixels away
    assert boundary_scores(halves(), far, tolerance=2) == pytest.approx((1.0, 0.5, 2 / 3))
    assert boundary_scores(halves(), far, tolerance=4) == (1.0, 1.0, 1.0)
    for form in (tuple(far), np.stack(far)):
        assert boundary_scores(halves(), form, tolerance=2) == pytest.approx((1, 0.5, 2 / 3))
    labels = [halves(), halves(column=33)]  # annotators' label maps: borders 29 and 32
    assert boundary_scores(halves(), labels, tolerance=2) == pytest.approx((1, 0.5, 2 / 3))
    assert boundary_scores(halves(), np.stack(labels), tolerance=3) == (1.0, 1.0, 1.0)


def test_border_match_counts_are_the_benchmark_counts():
    counts = border_match_counts(column(29) | column(40), [column(29), column(29)], 0)
    assert counts.tolist() == [40, 80, 80, 80]
    assert counts.dtype == np.int64
    assert border_match_counts(column(29), [], 1).tolist() == [0, 40, 0, 0]
    with pytest.raises(TypeError, match=r"^true\[0\] should be a bool border mask, got "
                                        r"dtype int64$"):
        border_match_counts(column(29), [halves().astype(np.int64)], 1)


def test_border_match_counts_takes_the_tolerance_of_boundary_scores():
    """border_match_counts required tol by position, where boundary_scores defaults to the
    BSDS tolerance, 0.0075 x the diagonal (0.54 pixels here: only the same pixels match);
    tolerance= is its keyword, as boundary_scores', the third argument and tol= as before."""
    pred, near = column(29), column(31)
    assert border_match_counts(pred, [near]).tolist() == [0, 40, 0, 40]
    assert border_match_counts(pred, [pred]).tolist() == [40, 40, 40, 40]
    for call in (lambda: border_match_counts(pred, [near], tolerance=2),
                 lambda: border_match_counts(pred, [near], 2),
                 lambda: border_match_counts(pred, [near], tol=2)):
        assert call().tolist() == [40, 40, 40, 40]
    with pytest.raises(TypeError, match=r"^border_match_counts\(\) takes tolerance=2 or "
                                        r"tol=3, its earlier name, not both$"):
        border_match_counts(pred, [near], 2, tol=3)
    with pytest.raises(ValueError, match=r"^tolerance=-1 should be >= 0"):
        border_match_counts(pred, [near], tolerance=-1)


def test_boundary_counts_sum_over_images_as_the_benchmark_s_ods():
    """The counts boundary_scores divides, for sums over a data set: of one image they give
    its scores; summed, the data set's (here 40 of 40 pixels of one image matched, 0 of 60
    of the other's, so 0.4, not the mean 0.5 of the images' scores)."""
    small, large = halves(), halves((60, 60), 20)
    first = boundary_counts(small, small)
    second = boundary_counts(large, halves((60, 60), 40))
    assert first.tolist() == [40, 40, 40, 40] and second.tolist() == [0, 60, 0, 60]
    assert first.dtype == np.int64
    assert boundary_scores(large, halves((60, 60), 40)) == (0.0, 0.0, 0.0)
    total = first + second
    assert (total[0] / total[1], total[2] / total[3]) == (0.4, 0.4)
    pred, truths = halves(column=27), [halves(), halves(column=33)]
    c = boundary_counts(pred, truths, tolerance=3)
    assert c.tolist() == [40, 40, 40, 80]
    assert boundary_scores(pred, truths, tolerance=3) == (1.0, 0.5, pytest.approx(2 / 3))
    drawn = [find_boundaries(t) for t in truths]  # boundary maps, thinned alike
    assert boundary_counts(pred, drawn, tolerance=3).tolist() == c.tolist()


@pytest.mark.parametrize(("true", "error", "message"), [
    ([halves(), column(29)], TypeError,
     "true should be all label maps (integer) or all boundary maps (bool), got both"),
    ([column(29), column(29, (40, 61))], ValueError,
     "pred and true[1] should have the same shape, got (40, 60) and (40, 61)"),
    (np.zeros((0, 40, 60), bool), ValueError,
     "true should hold at least one map, got shape (0, 40, 60)"),
    ([column(29), np.zeros((40, 60))], TypeError,
     "true[1] should be an integer label map, got dtype float64"),
    # an empty list was "true should be an integer label map, got dtype float64"
    ([], ValueError, "true should hold at least one map, got an empty list"),
    ((), ValueError, "true should hold at least one map, got an empty tuple"),
    (np.array([]), ValueError, "true should hold at least one map, got shape (0,)"),
    # a photo was read as 40 annotators' maps of 3 columns: "pred and true[0] should
    # have the same shape, got (40, 60) and (60, 3)"
    (np.zeros((40, 60, 3), np.uint8), ValueError,
     "true of shape (40, 60, 3) looks like an image, not label maps: pass a (40, 60) "
     "label map (integer) or boundary map (bool), or a sequence or (n, 40, 60) stack "
     "of them, one per annotator"),
    (np.zeros((40, 60, 4)), ValueError, "true of shape (40, 60, 4) looks like an image"),
    ([halves(), np.zeros((40, 60, 3), bool)], ValueError,
     "true[1] of shape (40, 60, 3) looks like an image"),
])
def test_bad_annotator_maps(true, error, message):
    with pytest.raises(error) as caught:
        boundary_scores(halves(), true)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_stack_of_three_maps_is_not_taken_for_an_image():
    """A (3, 3, 3) stack is three annotators' maps of a 3 x 3 pred, whatever its last axis."""
    pred = np.array([[0, 0, 5]] * 3)
    truths = np.stack([pred, pred, np.zeros_like(pred)])
    assert boundary_scores(pred, truths, tolerance=0) == (1.0, 1.0, 1.0)


def test_an_integer_boundary_map_is_scored_as_labels_with_a_warning():
    """BSDS500's Boundaries is uint8 0/1: read as two regions, silently, it scored the
    borders beside its lines (F 0.322 against 0.308 from the annotator's Segmentation)."""
    lines = column(29).astype(np.uint8)
    with pytest.warns(BoundaryMapWarning) as caught:
        scores = boundary_scores(halves(), lines, tolerance=0)
    assert [str(w.message) for w in caught] == [
        "true holds only 0 and 1, its 1s in lines as a boundary map draws them (BSDS500's "
        "Boundaries): it is scored as a label map of two regions, whose borders lie beside "
        "those lines; pass it as bool (true.astype(bool)) to score it as a boundary map"]
    assert caught[0].filename == __file__
    # its columns 28 and 29 read as borders, thinned to column 28: beside the line
    assert scores == (0.0, 0.0, 0.0)
    with pytest.warns(BoundaryMapWarning, match=r"^true\[1\] holds only 0 and 1"):
        boundary_scores(halves(), [halves(), lines, lines])


@pytest.mark.parametrize("true", [
    halves(),                                   # a mask of two areas
    halves(column=58),                          # a 2-pixel strip along the edge
    np.where(column(29), 2, 0),                 # lines, but not of 0 and 1
    np.ones((2, 60), int),                      # too small to tell
])
def test_label_maps_are_not_taken_for_boundary_maps(true):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        boundary_scores(halves(true.shape), true)


def test_a_tolerance_beyond_its_limit_is_refused():
    """Any tolerance was taken, and the pairs to match grow with its square: 60 x 60 maps
    of random labels at tolerance 85 (their diagonal) took 11 million pairs and a GB."""
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, (2, 60, 60))
    with pytest.raises(ValueError) as refused:
        boundary_scores(a, b, tolerance=85)
    assert str(refused.value) == (
        "tolerance=85 should be <= 8 for 60 x 60 maps (5% of their diagonal, at least 8 "
        "pixels): the matching's time and memory grow with the square of the tolerance; "
        "the default, the BSDS benchmark's, is 0.636")
    with pytest.raises(ValueError, match=r"^tolerance=8\.01 should be <= 8 for"):
        boundary_scores(a, b, tolerance=8.01)
    assert boundary_scores(a, a, tolerance=8) == (1.0, 1.0, 1.0)  # the limit itself is taken
    # Larger maps: 5% of the diagonal (500 here), 25 pixels
    shape = (300, 400)
    assert boundary_scores(halves(shape, 200), halves(shape, 225), tolerance=25) == (1, 1, 1)
    with pytest.raises(ValueError, match=r"^tolerance=25\.5 should be <= 25 for 300 x 400 "):
        boundary_scores(halves(shape, 200), halves(shape, 225), tolerance=25.5)


def test_a_sub_pixel_tolerance_warns_that_it_is_in_pixels():
    """BSDS's maxDist, 0.0075, is a share of the diagonal; given as quantize's tolerance,
    which is in pixels, it matched only borders at the same pixels, without a word."""
    shape = (300, 400)
    pred, true = halves(shape, 200), halves(shape, 201)
    with pytest.warns(ToleranceWarning) as caught:
        scores = boundary_scores(pred, true, tolerance=0.0075)
    assert scores == (0.0, 0.0, 0.0) == boundary_scores(pred, true, tolerance=0)
    assert [str(w.message) for w in caught] == [
        "tolerance=0.0075 is below one pixel, so only borders at the same pixels match, as "
        "with tolerance=0: it is a distance in pixels, not a share of the image diagonal as "
        "the BSDS benchmark's maxDist; for that share, pass tolerance=0.0075 * "
        "math.hypot(*pred.shape), 3.75 for 300 x 400 maps"]
    assert caught[0].filename == __file__  # the caller's line, not quantize's
    with pytest.warns(ToleranceWarning, match=r"^tol=0\.05 is below one pixel, .* pass "
                                              r"tol=0\.05 \* math\.hypot\(\*pred\.shape\), "
                                              r"25 for 300 x 400 maps$"):
        border_match_counts(find_boundaries(pred), [find_boundaries(true)], tol=0.05)


@pytest.mark.parametrize("shape, limit", [((321, 481), "28.91"), ((300, 400), "25")])
def test_a_sub_pixel_tolerance_whose_share_is_refused_is_given_no_number(shape, limit):
    """0.5 of a 321 x 481 map's diagonal is 289 pixels, which the warning said to pass and
    the check then refused ("should be <= 28.91"); the warning says the limit instead."""
    pred = halves(shape, 200)
    with pytest.warns(ToleranceWarning) as caught:
        boundary_scores(pred, pred, tolerance=0.5)
    assert [str(w.message) for w in caught] == [
        "tolerance=0.5 is below one pixel, so only borders at the same pixels match, as "
        "with tolerance=0: it is a distance in pixels, not a share of the image diagonal as "
        "the BSDS benchmark's maxDist; a share is passed as share * math.hypot(*pred.shape), "
        f"at most {limit} for {shape[0]} x {shape[1]} maps (the BSDS benchmark's share is "
        "0.0075)"]
    with pytest.raises(ValueError, match=f"^tolerance=\\S+ should be <= {limit} for "):
        boundary_scores(pred, pred, tolerance=0.5 * math.hypot(*shape))


@pytest.mark.parametrize("tolerance", [None, 0, 1, 3.75])
def test_a_tolerance_of_whole_pixels_or_the_default_gives_no_warning(tolerance):
    shape = (300, 400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = boundary_scores(halves(shape, 200), halves(shape, 201), tolerance=tolerance)[2]
    assert f == (0.0 if tolerance == 0 else 1.0)


def test_the_default_computed_on_small_maps_gives_no_warning():
    """0.0075 of the diagonal of 60 x 80 maps is 0.75 pixels: passed as computed (as
    bench_bsds.py passes it to border_match_counts), it is meant; a tenth of it warns."""
    pred = halves((60, 80), 40)
    tol = 0.0075 * np.hypot(60, 80)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert boundary_scores(pred, pred, tolerance=tol) == (1.0, 1.0, 1.0)
        border_match_counts(find_boundaries(pred), [find_boundaries(pred)], tol)
    with pytest.warns(ToleranceWarning, match=r"^tolerance=0\.075 is below one pixel"):
        boundary_scores(pred, pred, tolerance=0.075)


def test_negative_tolerance():
    with pytest.raises(ValueError, match="tolerance=-1 should be >= 0"):
        boundary_scores(halves(), halves(), tolerance=-1)


def test_ari_identical_up_to_renumbering():
    a = halves()
    a[:5] = 2
    assert adjusted_rand_index(a, 10 - a) == 1.0


def test_ari_matches_scikit_learn(rng):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    a = rng.integers(0, 4, size=(30, 40))
    b = np.where(rng.random((30, 40)) < 0.7, a, rng.integers(0, 5, size=(30, 40)))
    expected = sklearn_metrics.adjusted_rand_score(a.ravel(), b.ravel())
    assert adjusted_rand_index(a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("pred", "true", "expected"), [
    # pairs together in both: 1 (of 6); expected by chance 3 x 2 / 6 = 1: exactly 0
    ([[0, 0, 1, 1]], [[7, 7, 7, 9]], 0.0),
    # 3 shared pairs, 3 and 7 pairs within each map's regions, 15 pairs: 1.6 / 3.6
    ([[0, 0, 1, 1, 2, 2]], [[0, 0, 1, 1, 1, 1]], 4 / 9),
    ([[-5, 3], [3, -5]], [[2**40, 1], [1, 2**40]], 1.0),
])
def test_ari_hand_computed(pred, true, expected):
    assert adjusted_rand_index(pred, true) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("n_labels", [(2, 3), (50, 7), (600, 900)])
def test_ari_matches_scikit_learn_on_many_labels(rng, n_labels):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    a = rng.integers(0, n_labels[0], size=(40, 50))
    b = np.where(rng.random((40, 50)) < 0.5, a % n_labels[1], rng.integers(0, n_labels[1],
                                                                         size=(40, 50)))
    expected = sklearn_metrics.adjusted_rand_score(a.ravel(), b.ravel())
    assert adjusted_rand_index(a, b) == pytest.approx(expected, abs=1e-12)


def test_ari_of_many_regions_takes_memory_of_the_pixels_not_of_the_label_pairs():
    # 8,192 regions of 2 x 4 pixels: a dense 8,192 x 8,192 table took 1.15 GB
    import tracemalloc

    p = (np.arange(256)[:, None] // 2) * 64 + np.arange(256)[None] // 4
    tracemalloc.start()
    try:
        value = adjusted_rand_index(p, np.roll(p, 1, 0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # rolled one row, each region's two rows fall in two regions: 8,192 x 2 x C(4, 2) pairs
    # shared of 8,192 x C(8, 2) in each map, against the few expected by chance
    pairs, shared, total = 8192 * 28, 8192 * 12, 65536 * 65535 / 2
    expected = pairs * pairs / total
    assert value == pytest.approx((shared - expected) / (pairs - expected), rel=1e-12)
    assert peak < 40 * 2**20


def test_ari_of_unrelated_maps_is_near_zero(rng):
    a = rng.integers(0, 3, size=(100, 100))
    b = rng.integers(0, 3, size=(100, 100))
    assert abs(adjusted_rand_index(a, b)) < 0.01


_SQUARE = np.array([[0.0, 0.0], [9.0, 9.0]])  # points spanning 10 x 10 pixels


@pytest.mark.parametrize(("a", "tol", "error", "match"), [
    # any tolerance was taken: negative and NaN ones matched nothing, a string failed
    # deep inside SciPy, and a huge one took the memory boundary_scores' limit prevents
    (_SQUARE, 8.5, ValueError,
     r"^tol=8\.5 should be <= 8 for points spanning 10 x 10 pixels \(5% of the diagonal of "
     r"their bounding box, at least 8 pixels\): the matching's time and memory grow with "
     r"the square of the tolerance$"),
    (np.array([[0.0, 0.0], [299.0, 399.0]]), 25.5, ValueError,
     r"^tol=25\.5 should be <= 25 for points spanning 300 x 400 pixels \(5% of "),
    (_SQUARE, -1, ValueError, r"^tol=-1 should be >= 0$"),
    (_SQUARE, float("nan"), ValueError, r"^tol=nan should be a finite number$"),
    (_SQUARE, "1", TypeError, r"^tol='1' should be a number, got str$"),
    (np.zeros(4), 1.0, ValueError,
     r"^a should be an \(m, 2\) array of point coordinates, got shape \(4,\)$"),
    (np.array([["0", "1"]]), 1.0, TypeError,
     r"^a should be an \(m, 2\) array of point coordinates, got dtype <U1$"),
    (np.array([[0.0, np.inf]]), 1.0, ValueError, r"^a should hold finite coordinates$"),
])
def test_maximum_matching_checks_its_points_and_tolerance_as_boundary_scores_does(
        a, tol, error, match):
    with pytest.raises(error, match=match):
        maximum_matching(a, np.array([[0.0, 1.0]]), tol)
    with pytest.raises(error, match=match.replace("^a ", "^b ")):
        maximum_matching(np.array([[0.0, 1.0]]), a, tol)


def test_maximum_matching_takes_its_limit_and_lists():
    b = np.array([[0.0, 7.0], [9.0, 1.0]])
    assert maximum_matching(_SQUARE, b, 8).tolist() == [True, True]  # the limit is taken
    assert maximum_matching([[0, 0], [9, 9]], b.tolist(), 7.5).tolist() == [True, False]


@pytest.mark.parametrize("metric", [adjusted_rand_index, boundary_scores],
                         ids=lambda f: f.__name__)
def test_label_map_metrics_refuse_a_map_over_the_pixel_limit_from_its_shape(metric):
    """As segment refuses the image: a 60000 x 60000 view of one label was measured whole."""
    huge = np.broadcast_to(np.zeros(1, np.int64), (60000, 60000))
    with pytest.raises(ImageReadError) as info:
        metric(huge, huge)
    assert str(info.value) == (
        "pred of shape (60000, 60000) has 3,600,000,000 pixels, more than the limit of "
        "250,000,000; if it is meant, pass max_pixels=3600000000 or more (or None for no "
        "limit)")


@pytest.mark.parametrize("metric", [adjusted_rand_index, boundary_scores],
                         ids=lambda f: f.__name__)
def test_label_map_metrics_pixel_limit_is_max_pixels(metric):
    pred = np.zeros((4, 6), int)
    pred[:, 3:] = 1
    true = np.zeros((4, 6), int)
    true[:, 2:] = 1
    with pytest.raises(ImageReadError) as info:
        metric(pred, true, max_pixels=23)
    assert str(info.value) == ("pred of shape (4, 6) has 24 pixels, more than the limit of "
                               "23; if it is meant, pass max_pixels=24 or more (or None "
                               "for no limit)")
    with pytest.raises(ImageReadError, match=r"^true of shape \(4, 8\) has 32 pixels"):
        metric(np.zeros((2, 3), int), np.zeros((4, 8), int), max_pixels=24)
    with pytest.raises(ValueError, match=r"^max_pixels=0 should be >= 1$"):
        metric(pred, true, max_pixels=0)
    for limit in (24, None):
        assert metric(pred, true, max_pixels=limit) == metric(pred, true)
