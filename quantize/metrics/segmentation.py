"""How well a segmentation matches a reference: border accuracy and partition agreement.

``boundary_scores`` follows the Berkeley Segmentation Dataset (BSDS) benchmark:
border pixels of the prediction and of the reference are matched one to one
when they lie within a distance tolerance, and precision, recall and their
harmonic mean F are the matched shares. scikit-image has no such measure.
``adjusted_rand_index`` compares the two partitions pixel by pixel, corrected
for chance (1 for identical partitions up to renumbering, about 0 for random).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import (
    as_array,
    check_float,
    check_image_pixels,
    check_max_pixels,
    foreign_keywords,
    shown_number,
)
from ..errors import QuantizeWarning, warn_caller
from ..io import DEFAULT_MAX_PIXELS
from ..reconstruct.regions import find_boundaries
from ._inputs import metric_array, refuse_non_array

__all__ = ["BoundaryMapWarning", "ToleranceWarning", "adjusted_rand_index",
           "border_match_counts", "boundary_counts", "boundary_scores", "maximum_matching"]

#: Default matching tolerance as a share of the image diagonal (the BSDS value).
TOLERANCE_FRACTION = 0.0075
#: The largest tolerance :func:`boundary_scores` takes, as a share of the image diagonal
#: (about 7 times the default), and in pixels on images whose diagonal is under 160. The
#: pairs to match grow with the square of the tolerance: on two 60 x 60 maps of random
#: labels (nearly every pixel a border), a tolerance of 85 pixels (their diagonal) gave 11
#: million pairs, 1 GB and 14 s on a busy machine; 8 pixels 0.55 million pairs and 0.4 s;
#: the default, 0.64 pixels, 3,100 pairs. Borders that far apart are no longer one border.
MAX_TOLERANCE_FRACTION = 0.05
MIN_TOLERANCE_LIMIT = 8.0


def _check_label_maps(pred: Any, true: Any, max_pixels: Any
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``pred`` and ``true`` as two integer label maps of one shape ``(H, W)``, neither of
    more pixels than ``max_pixels`` (refused from its shape)."""
    limit = check_max_pixels(max_pixels)
    maps = [_check_map(value, name, limit) for name, value in (("pred", pred), ("true", true))]
    _check_same_shape(maps[0].shape, maps[1].shape, "true")
    return maps[0], maps[1]


def _check_map(value: Any, name: str, limit: int | None) -> np.ndarray:
    """``value`` as a non-empty 2-D integer or bool map of at most ``limit`` pixels."""
    arr = metric_array(value, name, "labels")
    if arr.dtype.kind not in "biu":
        raise TypeError(f"{name} should be an integer label map, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"{name} should be a non-empty 2-D (H, W) label map, "
                         f"got shape {arr.shape}")
    check_image_pixels(arr.shape, f"{name} of shape {arr.shape}", limit)
    return arr


def _check_same_shape(pred: tuple[int, ...], true: tuple[int, ...], name: str) -> None:
    """Raise naming ``name`` when the shapes ``pred`` and ``true`` (of ``name``) differ."""
    if pred != true:
        raise ValueError(f"pred and {name} should have the same shape, got {pred} "
                         f"and {true}")


class ToleranceWarning(QuantizeWarning):
    """A ``tolerance`` (``tol``) above 0 but below one pixel was given: border pixels lie
    at whole pixels, a distance of at least 1 apart, so it matches only pixels at the same
    place, as 0 does. The BSDS benchmark's ``maxDist`` (0.0075) is a share of the image
    diagonal; quantize's tolerance is in pixels (:func:`boundary_scores`)."""


class BoundaryMapWarning(QuantizeWarning):
    """An integer ``true`` of :func:`boundary_scores` holds only 0 and 1, its 1s in lines
    as a boundary map draws them (BSDS500's ``Boundaries`` is such a uint8 map): it is
    scored as the label map it is given as, of two regions whose borders lie beside those
    lines; passed as bool, it is scored as a boundary map. Also a bool ``pred`` whose True
    pixels form areas rather than lines: it is scored as a border map, where a mask of two
    regions is scored as labels passed as integers."""


def _border_points(labels: np.ndarray) -> np.ndarray:
    """Coordinates ``(m, 2)`` of the border pixels (``regions.find_boundaries``)."""
    return np.argwhere(find_boundaries(labels)).astype(np.float64)


@foreign_keywords
def boundary_scores(pred: Any, true: Any, *, tolerance: float | None = None,
                    max_pixels: int | None = DEFAULT_MAX_PIXELS
                    ) -> tuple[float, float, float]:
    """Border precision, recall and F-measure of ``pred`` against ``true``.

    A border pixel is one whose right or lower neighbour carries another label.
    Predicted and reference border pixels are matched one to one among pairs
    at most ``tolerance`` apart, with as many pairs as possible (as the BSDS
    benchmark's assignment does; :func:`maximum_matching`).
    Precision is the share of predicted border pixels matched, recall the share
    of reference ones, and F their harmonic mean. With no predicted borders
    precision is 1; with no reference borders recall is 1; F is 0 when both
    precision and recall are 0.

    Against several references (annotators), the border pixels are matched with
    each separately, as the BSDS benchmark does (:func:`border_match_counts`):
    precision is the share of predicted border pixels that some reference's
    matching pairs, recall the matched reference pixels summed over the
    references over their border pixels summed likewise.

    Parameters
    ----------
    pred : (H, W) array_like of int or bool
        Label map, only where labels change mattering, not their values; or a border
        map of bool (True on the border pixels: :meth:`quantize.SegmentResult.boundaries`,
        or a soft map thresholded, ``boundary_map(image) > t``), thinned to one pixel
        width as the reference's are (see ``true``), as the BSDS benchmark thins its
        prediction. A bool map whose True pixels form areas rather than lines gives a
        :class:`BoundaryMapWarning` (a mask of two regions is scored as labels passed as
        ``mask.astype(int)``). A soft (float) border map is refused, the message saying
        how it is scored: thresholded, the BSDS ODS and OIS taking the best of 99
        thresholds over all the images or per image from :func:`border_match_counts`
        (``benchmarks/bench_bsds.py`` does so).
    true : (H, W) array_like of int or bool, or a sequence or (n, H, W) stack of them
        The reference: a label map, whose borders are found as ``pred``'s, or a
        boundary map of bool (True on the border pixels, as BSDS500's
        ``Boundaries.astype(bool)``); or one of either per annotator, all of one
        kind. ``pred``'s borders and the reference's (a label map's borders, found
        as ``pred``'s, or a boundary map) are thinned to one pixel width
        (``skimage.morphology.thin``): the BSDS benchmark thins a prediction, and
        its annotators' maps are drawn thin (thinning leaves them unchanged), so
        the scores are its per-image ones, against an annotator's label map
        (``Segmentation``) as against its boundary map (``Boundaries``); a map
        drawn as :meth:`quantize.SegmentResult.boundaries` draws borders (two
        pixels wide where they step diagonally) scores 1 against the labels it
        was drawn from, as a label map does against itself, rather than losing
        recall on the pixels the thinned prediction leaves out.
        An integer map of 0 and 1 whose 1s are lines (BSDS500's
        ``Boundaries`` as stored, uint8) is scored as labels, with a
        :class:`BoundaryMapWarning`. An (H, W, 3) or (H, W, 4) image is refused.
    tolerance : float, optional
        Largest matching distance in pixels; default 0.0075 x the image diagonal
        (the BSDS benchmark's ``maxDist``, which is that share, not pixels). At
        most 0.05 x the diagonal, or 8 pixels when that is more
        (:data:`MAX_TOLERANCE_FRACTION`): the time and memory of the matching
        grow with the square of the tolerance. One above 0 but below 1 matches
        only borders at the same pixels, as 0 does (border pixels lie at least
        1 apart); below half the default too, as a share of the diagonal passed
        for pixels is, it gives a :class:`ToleranceWarning`. (The default is
        below 1 on maps of a diagonal under 133.3 pixels, where it does the
        same, as does a tolerance near it, without a warning.)
    max_pixels : int or None
        Refuse a map of more pixels than this (default
        :data:`~quantize.io.DEFAULT_MAX_PIXELS`, the limit of :func:`quantize.segment`),
        checked from its shape; None means no limit.

    Returns
    -------
    precision, recall, f : float

    Raises
    ------
    ValueError
        If the maps differ in shape or are not 2-D, ``true`` holds no map or is
        an image of ``pred``'s shape, ``tolerance`` is negative or above its
        limit, or ``max_pixels`` is below 1.
    TypeError
        If a map is not of integer or bool type (of ``pred``, a float map: the
        message says how a soft border map is scored), ``true`` mixes
        label and boundary maps, ``max_pixels`` is no int, or a map is given as a
        ReduceResult or SegmentResult (the message says what to pass:
        ``result.labels``), a file name, None or a masked array.
    quantize.errors.ImageReadError
        If a map has more than ``max_pixels`` pixels (a ValueError).

    Warns
    -----
    BoundaryMapWarning
        When an integer map of ``true`` looks like a boundary map (see ``true``), or a
        bool ``pred`` like a mask of areas (see ``pred``).
    ToleranceWarning
        When ``tolerance`` is above 0 but below 1 and below half the default (a
        share of the diagonal, as the BSDS benchmark gives it, passed for
        pixels, say).

    Examples
    --------
    >>> import numpy as np
    >>> from quantize.metrics import boundary_scores
    >>> a = np.zeros((10, 10), dtype=int); a[:, 5:] = 1
    >>> boundary_scores(a, a)
    (1.0, 1.0, 1.0)
    >>> b = np.zeros((10, 10), dtype=int); b[:, 8:] = 1
    >>> boundary_scores(a, b, tolerance=2)
    (0.0, 0.0, 0.0)

    Two annotators' boundary maps, one drawing ``a``'s border, one ``b``'s:

    >>> t1 = np.zeros((10, 10), bool); t1[:, 4] = True
    >>> t2 = np.zeros((10, 10), bool); t2[:, 7] = True
    >>> [round(v, 3) for v in boundary_scores(a, [t1, t2], tolerance=2)]
    [1.0, 0.5, 0.667]

    Over a data set, the benchmark's ODS sums the counts of every image before dividing
    (:func:`boundary_counts`), rather than averaging these scores.
    """
    return _scores(boundary_counts(pred, true, tolerance=tolerance, max_pixels=max_pixels))


@foreign_keywords
def boundary_counts(pred: Any, true: Any, *, tolerance: float | None = None,
                    max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The border pixels :func:`boundary_scores` divides, ``[matched predicted, predicted,
    matched true, true]`` (int64), to be summed over the images of a data set.

    Takes what :func:`boundary_scores` takes, and reads it alike: label or border maps,
    thinned, one reference or several, ``tolerance`` in pixels with the default 0.0075 x
    the diagonal of each image's maps. The BSDS benchmark's ODS (its figure for a data
    set at one threshold) sums these counts over the images and then divides: precision
    the first sum over the second, recall the third over the fourth, F their harmonic
    mean. Of one image, ``boundary_scores`` gives those of its counts.

    Parameters
    ----------
    pred, true, tolerance, max_pixels
        As for :func:`boundary_scores`.

    Returns
    -------
    (4,) ndarray of int64

    Raises
    ------
    ValueError, TypeError, quantize.errors.ImageReadError
        As :func:`boundary_scores` raises them.

    Warns
    -----
    BoundaryMapWarning, ToleranceWarning
        As :func:`boundary_scores` gives them.

    Examples
    --------
    >>> import numpy as np
    >>> from quantize.metrics import boundary_counts
    >>> a = np.zeros((10, 10), dtype=int); a[:, 5:] = 1
    >>> b = np.zeros((10, 10), dtype=int); b[:, 8:] = 1
    >>> total = boundary_counts(a, a) + boundary_counts(a, b, tolerance=2)
    >>> total.tolist()
    [10, 20, 10, 20]
    >>> precision, recall = total[0] / total[1], total[2] / total[3]
    >>> float(precision), float(recall)
    (0.5, 0.5)
    """
    limit = check_max_pixels(max_pixels)
    p_map = _check_pred(pred, limit)
    truths, drawn = _check_truths(true, p_map.shape, limit)
    tol = _check_tolerance(tolerance, p_map.shape)
    p_borders = _thinned(p_map if p_map.dtype == bool else find_boundaries(p_map))
    t_borders = [_thinned(t if drawn else find_boundaries(t)) for t in truths]
    return _border_match_counts(p_borders, t_borders, tol)


#: How a soft border map is scored, as the refusal of one as ``pred`` says.
SOFT_MAP_ROUTE = ("threshold it first (pred > t, a bool border map); the BSDS benchmark's "
                  "ODS and OIS score 99 thresholds t = i / 100: boundary_counts("
                  "pred > t, true) at each t, summed over the images "
                  "for ODS (the best t for all), per image for OIS (each image's best t)")


def _check_pred(pred: Any, limit: int | None) -> np.ndarray:
    """``pred`` of :func:`boundary_scores` as a label map (integer) or a border map
    (bool), refusing a soft (float) border map with how to score one; warns of a bool map
    whose True pixels are areas rather than lines (:class:`BoundaryMapWarning`)."""
    arr = metric_array(pred, "pred", "labels")
    if arr.dtype.kind == "f":
        raise TypeError(f"pred should be an integer label map or a bool border map, got "
                        f"dtype {arr.dtype}: for a soft border map (boundary_map's "
                        f"strengths), {SOFT_MAP_ROUTE}")
    p_map = _check_map(arr, "pred", limit)
    if p_map.dtype == bool and _looks_like_areas(p_map):
        warn_caller("pred is bool, so it is scored as a border map, but its True pixels "
                    "form areas, not lines: a mask of two regions is scored as labels "
                    "when passed as integers (mask.astype(int))", BoundaryMapWarning)
    return p_map


def _looks_like_areas(mask: np.ndarray) -> bool:
    """Whether the True pixels of ``mask`` (bool, at least 3 x 3, some True and some not)
    are no lines as a border map draws them (:func:`_looks_drawn` of it)."""
    if min(mask.shape) < 3 or mask.all() or not mask.any():
        return False
    return not _looks_drawn(mask.view(np.uint8))


def _thinned(mask: np.ndarray) -> np.ndarray:
    """``mask`` thinned to lines one pixel wide (``skimage.morphology.thin``), as the BSDS
    benchmark thins a predicted border map; BSDS500's ``Boundaries``, drawn one pixel
    wide, come out unchanged (all 1,633 maps of train and val). A reference label map's
    borders are thinned too, so that both sides are counted alike: unthinned, a
    diagonal border's 4-connected staircase holds more pixels than the thinned
    prediction can pair one to one (segment's labels of BSDS500 train 100075 scored F
    0.517 against an annotator's ``Segmentation``, 0.545 against its ``Boundaries``)."""
    from skimage.morphology import thin

    return thin(mask)


def _check_truths(true: Any, shape: tuple[int, int], limit: int | None
                  ) -> tuple[list[np.ndarray], bool]:
    """``true`` as a list of reference maps of ``shape``, one per annotator, and whether
    they are boundary maps (bool) rather than label maps; warns of an integer map that
    looks like a boundary map (:class:`BoundaryMapWarning`)."""
    refuse_non_array(true, "true", "labels")
    if isinstance(true, (list, tuple)):
        for i, t in enumerate(true):
            refuse_non_array(t, f"true[{i}]", "labels")
    if isinstance(true, (list, tuple)) and not true:
        raise ValueError(f"true should hold at least one map, got an empty "
                         f"{type(true).__name__}")
    if isinstance(true, (list, tuple)) and all(isinstance(t, np.ndarray) for t in true):
        named = [(f"true[{i}]", t) for i, t in enumerate(true)]
    else:
        arr = as_array(true, "true", "a 2-D (H, W) integer label map")
        _refuse_image(arr, "true", shape)
        named = ([(f"true[{i}]", t) for i, t in enumerate(arr)]
                 if arr.ndim == 3 and arr.dtype.kind in "biu" else [("true", arr)])
        if not named or arr.shape == (0,):
            raise ValueError(f"true should hold at least one map, got shape {arr.shape}")
    maps = []
    for name, value in named:
        _refuse_image(np.asarray(value), name, shape)
        arr = _check_map(value, name, limit)
        _check_same_shape(shape, arr.shape, name)
        maps.append(arr)
    drawn = {arr.dtype == bool for arr in maps}
    if len(drawn) > 1:
        raise TypeError("true should be all label maps (integer) or all boundary maps "
                        "(bool), got both")
    if not maps[0].dtype == bool:
        _warn_if_boundary_like(named, maps)
    return maps, drawn.pop()


def _refuse_image(arr: np.ndarray, name: str, shape: tuple[int, int]) -> None:
    """Raise when ``arr``, given as ``name``, is ``(H, W, 3)`` or ``(H, W, 4)`` of ``shape``
    ``(H, W)`` (and no ``(n, H, W)`` stack of maps): a photo, which would otherwise be
    read as a stack of annotators' maps of 3 or 4 columns each."""
    if (arr.ndim == 3 and arr.shape[2] in (3, 4) and arr.shape[:2] == shape
            and arr.shape[1:] != shape):
        raise ValueError(
            f"{name} of shape {arr.shape} looks like an image, not label maps: pass a "
            f"{shape} label map (integer) or boundary map (bool), or a sequence or "
            f"(n, {shape[0]}, {shape[1]}) stack of them, one per annotator")


def _warn_if_boundary_like(named: list[tuple[str, Any]], maps: list[np.ndarray]) -> None:
    """Warn, once, when one of the integer ``maps`` looks like a boundary map."""
    for (name, _), arr in zip(named, maps, strict=True):
        if _looks_drawn(arr):
            warn_caller(f"{name} holds only 0 and 1, its 1s in lines as a boundary map "
                        "draws them (BSDS500's Boundaries): it is scored as a label map "
                        "of two regions, whose borders lie beside those lines; pass it "
                        f"as bool ({name}.astype(bool)) to score it as a boundary map",
                        BoundaryMapWarning)
            return


def _looks_drawn(labels: np.ndarray) -> bool:
    """Whether ``labels`` (at least 3 x 3) holds 0 and 1 only, and fewer than 5 % of its
    1s have four neighbours of 1 (the image's edge counting as a 1 beside a 1): lines,
    as a boundary map draws, not an area."""
    if min(labels.shape) < 3:
        return False
    ones = labels == 1
    n = int(ones.sum())
    if n == 0 or n == labels.size or not (ones | (labels == 0)).all():
        return False
    o = np.pad(ones, 1, mode="edge")
    inner = ones & o[:-2, 1:-1] & o[2:, 1:-1] & o[1:-1, :-2] & o[1:-1, 2:]
    return int(inner.sum()) < 0.05 * n


def border_match_counts(pred: Any, true: Any, tolerance: float | None = None, *,
                        tol: float | None = None) -> np.ndarray:
    """Border pixels matched and in all, ``[matched predicted, predicted, matched
    true, true]`` (int64), of the border mask ``pred`` against each mask of ``true``.

    ``pred`` is matched one to one with each mask of ``true`` (an annotator's)
    separately, within ``tol`` pixels (:func:`maximum_matching`); a predicted
    pixel is matched when some annotator's matching pairs it, and the true
    pixels, matched and in all, are summed over the annotators: the BSDS
    benchmark's counts, which it sums over the images before dividing
    (precision the first over the second, recall the third over the fourth).

    Parameters
    ----------
    pred : (H, W) array_like of bool
        The predicted border pixels (thinned, for the benchmark's figures).
    true : sequence of (H, W) array_like of bool, or (n, H, W) array_like of bool
        Each annotator's border pixels; none gives 0 true pixels.
    tolerance : float, optional
        Largest distance of a pair in pixels, as :func:`maximum_matching` takes it; default
        0.0075 x the masks' diagonal, as for :func:`boundary_scores`. ``tol``, its
        earlier name, is taken too (the third argument given by position is it).

    Raises
    ------
    ValueError, TypeError
        If a mask is not 2-D bool of ``pred``'s shape (or it, or ``true`` itself,
        is a result, a file name, None or a masked array, as for
        :func:`boundary_scores`), ``tolerance`` is negative or above its limit (as
        for :func:`boundary_scores`), or both ``tolerance`` and ``tol`` are given.

    Warns
    -----
    ToleranceWarning
        When ``tolerance`` is above 0 but below 1 and below half the BSDS default for
        the masks, as for :func:`boundary_scores`.

    Examples
    --------
    >>> import numpy as np
    >>> from quantize.metrics import border_match_counts
    >>> pred = np.zeros((5, 5), bool); pred[:, 2] = True
    >>> border_match_counts(pred, [pred, np.roll(pred, 2, axis=1)], tolerance=1).tolist()
    [5, 5, 5, 10]

    These masks are matched as given, unthinned; :func:`boundary_counts` takes label
    maps or border maps, thins them and counts as :func:`boundary_scores` does, for sums
    over a data set.
    """
    masks = [_check_mask(pred, "pred")]
    refuse_non_array(true, "true", "mask")
    masks += [_check_mask(t, f"true[{i}]") for i, t in enumerate(true)]
    for i, mask in enumerate(masks[1:]):
        _check_same_shape(masks[0].shape, mask.shape, f"true[{i}]")
    if tol is not None and tolerance is not None:
        raise TypeError(f"border_match_counts() takes tolerance={tolerance!r} or tol={tol!r}, "
                        "its earlier name, not both")
    name = "tol" if tol is not None else "tolerance"
    shape = masks[0].shape
    tol = _check_tolerance(tolerance if tol is None else tol, shape, name, "masks")
    return _border_match_counts(masks[0], masks[1:], tol)


def _check_mask(value: Any, name: str) -> np.ndarray:
    """``value`` as a 2-D bool mask, or raise naming ``name``."""
    arr = metric_array(value, name, "mask")
    if arr.dtype != bool:
        raise TypeError(f"{name} should be a bool border mask, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} should be a 2-D (H, W) border mask, got shape {arr.shape}")
    return arr


def _border_match_counts(pred: np.ndarray, truths: list[np.ndarray], tol: float
                         ) -> np.ndarray:
    """:func:`border_match_counts` of checked masks and tolerance."""
    p_pts = np.argwhere(pred).astype(np.float64)
    any_match = np.zeros(p_pts.shape[0], bool)
    hit_true = total_true = 0
    for truth in truths:
        matched = _maximum_matching(p_pts, np.argwhere(truth).astype(np.float64), tol)
        any_match |= matched
        hit_true += int(matched.sum())
        total_true += int(np.count_nonzero(truth))
    return np.array([any_match.sum(), any_match.size, hit_true, total_true], np.int64)


def _scores(counts: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F of :func:`border_match_counts`' counts (precision 1 with
    no predicted pixel, recall 1 with no true one, F 0 when both are 0)."""
    precision = counts[0] / counts[1] if counts[1] else 1.0
    recall = counts[2] / counts[3] if counts[3] else 1.0
    total = precision + recall
    f = 2.0 * precision * recall / total if total > 0 else 0.0
    return float(precision), float(recall), float(f)


def _check_tolerance(tolerance: Any, shape: tuple[int, int], name: str = "tolerance",
                     things: str = "maps") -> float:
    """The matching distance in pixels for maps of ``shape``: the BSDS default, or
    ``tolerance`` (given as ``name``, of ``things``) checked against its limits (see
    :data:`MAX_TOLERANCE_FRACTION`)."""
    default = TOLERANCE_FRACTION * math.hypot(*shape)
    if tolerance is None:
        return default
    tol = _check_distance(tolerance, name, shape, f"{shape[0]} x {shape[1]} {things}",
                          "their diagonal", f"; the default, the BSDS benchmark's, is "
                          f"{default:.3g}")
    _warn_sub_pixel(tol, name, shape)
    return tol


def _warn_sub_pixel(tol: float, name: str, shape: tuple[int, int]) -> None:
    """Warn when ``tol``, given as ``name`` for maps of ``shape``, is above 0 and below one
    pixel and half the BSDS default (:class:`ToleranceWarning`), saying what to pass for
    a share of the diagonal. The default, 0.0075 of the diagonal, is itself below one
    pixel on small maps (0.75 on 60 x 80 ones), where a caller may pass it as computed
    (``bench_bsds.py`` does): near it, a tolerance is taken as meant."""
    diagonal = math.hypot(*shape)
    if not 0 < tol < min(1.0, TOLERANCE_FRACTION * diagonal / 2):
        return
    pixels = tol * diagonal
    shown = shown_number(tol)
    limit, maps = _distance_limit(shape), f"{shape[0]} x {shape[1]} maps"
    if pixels <= limit:
        advice = (f"for that share, pass {name}={shown} * math.hypot(*pred.shape), "
                  f"{pixels:.3g} for {maps}")
    else:  # that share's distance would be refused: no number to pass
        advice = (f"a share is passed as share * math.hypot(*pred.shape), at most "
                  f"{limit:.4g} for {maps} (the BSDS benchmark's share is "
                  f"{TOLERANCE_FRACTION:g})")
    warn_caller(f"{name}={shown} is below one pixel, so only borders at the same pixels "
                f"match, as with {name}=0: it is a distance in pixels, not a share of the "
                f"image diagonal as the BSDS benchmark's maxDist; {advice}", ToleranceWarning)


def _check_distance(value: Any, name: str, extent: tuple[float, float], subject: str,
                    diagonal: str, advice: str = "") -> float:
    """``value`` as a matching distance from 0 to the limit for a box of ``extent``
    pixels: :data:`MAX_TOLERANCE_FRACTION` of its diagonal, or
    :data:`MIN_TOLERANCE_LIMIT` when that is more; the error names ``name``,
    ``subject`` (what spans ``extent``) and ``diagonal`` (what the share is of)."""
    tol = check_float(value, name, minimum=0.0)
    limit = _distance_limit(extent)
    if tol > limit:
        raise ValueError(
            f"{name}={shown_number(tol)} should be <= {limit:.4g} for {subject} "
            f"({MAX_TOLERANCE_FRACTION:.0%} of {diagonal}, at least "
            f"{MIN_TOLERANCE_LIMIT:g} pixels): the matching's time and memory grow with the "
            f"square of the tolerance{advice}")
    return tol


def _distance_limit(extent: tuple[float, float]) -> float:
    """The largest matching distance for a box of ``extent`` pixels (:func:`_check_distance`)."""
    return max(MAX_TOLERANCE_FRACTION * math.hypot(*extent), MIN_TOLERANCE_LIMIT)


def _check_points(value: Any, name: str) -> np.ndarray:
    """``value`` as an ``(m, 2)`` float64 array of finite coordinates, or raise naming it."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} should be an (m, 2) array of point coordinates, "
                        f"got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} should be an (m, 2) array of point coordinates, "
                         f"got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} should hold finite coordinates")
    return arr


def maximum_matching(a: Any, b: Any, tol: float) -> np.ndarray:
    """Which points of ``a`` a largest one-to-one matching with ``b`` pairs.

    Two points may be paired when they lie at most ``tol`` apart; among all
    such one-to-one matchings, one with the most pairs is found, as a maximum
    flow through the bipartite graph (Dinic's algorithm,
    ``scipy.sparse.csgraph.maximum_flow``; SciPy's Hopcroft-Karp
    ``maximum_bipartite_matching`` took from milliseconds to minutes on
    similar border maps). The BSDS benchmark's minimum-cost assignment, whose
    cost for an unmatched pixel exceeds any distance, pairs the same number of
    points. Nearest-first greedy pairing can miss some: it finds about 5 %
    fewer pairs on BSDS border maps. Time and memory grow with the pairs of
    points within ``tol`` (:func:`boundary_scores` bounds its tolerance).

    Parameters
    ----------
    a : (m, 2) array_like of float
    b : (n, 2) array_like of float
        Point coordinates (row, column), finite.
    tol : float
        Largest distance of a pair, from 0 to 0.05 x the diagonal of the box
        holding every point (in pixels: a box of points from rows 0 to 9 is 10
        pixels tall), or 8 when that is more: the limit :func:`boundary_scores`
        puts on its tolerance.

    Returns
    -------
    (m,) ndarray of bool
        True for the points of ``a`` that were matched (as many as points of ``b``).

    Raises
    ------
    ValueError
        If ``a`` or ``b`` is not ``(m, 2)`` or holds a non-finite coordinate, or
        ``tol`` is negative, not finite or above its limit.
    TypeError
        If a coordinate or ``tol`` is not a number.

    Examples
    --------
    Greedy pairing would take the nearest pair (0, 0)-(0, 0.9) and stop at one;
    the largest matching pairs both points:

    >>> a = np.array([[0.0, 0.0], [0.0, 2.0]]); b = np.array([[0.0, 0.9], [0.0, -1.4]])
    >>> maximum_matching(a, b, 1.5).tolist()
    [True, True]
    """
    a, b = _check_points(a, "a"), _check_points(b, "b")
    both = np.concatenate([a, b])
    extent = tuple(np.ptp(both, axis=0) + 1) if both.size else (0.0, 0.0)
    tol = _check_distance(tol, "tol", extent, f"points spanning {extent[0]:g} x "
                          f"{extent[1]:g} pixels", "the diagonal of their bounding box")
    return _maximum_matching(a, b, tol)


def _maximum_matching(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """:func:`maximum_matching` on checked points and tolerance."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow
    from scipy.spatial import cKDTree

    m, n = a.shape[0], b.shape[0]
    if m == 0 or n == 0:
        return np.zeros(m, dtype=bool)
    pairs = cKDTree(a).sparse_distance_matrix(cKDTree(b), tol, output_type="ndarray")
    # nodes: a-points 0..m-1, b-points m..m+n-1, source m+n, sink m+n+1; unit capacities
    source, sink = m + n, m + n + 1
    tails = np.concatenate([np.full(m, source), pairs["i"], m + np.arange(n)])
    heads = np.concatenate([np.arange(m), m + pairs["j"], np.full(n, sink)])
    graph = csr_matrix((np.ones(tails.size, np.int32), (tails, heads)),
                       shape=(sink + 1, sink + 1))
    flow = maximum_flow(graph, source, sink, method="dinic").flow
    return np.asarray(flow[[source], :m].todense()).ravel() > 0


def _contingency_counts(p: np.ndarray, t: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel counts of the label pairs present in flat maps ``p`` and ``t`` (the non-zero
    cells of their contingency table), then of each label of ``p`` and of ``t``, as
    float64. Only pairs that occur are counted, so memory stays proportional to the
    pixels however many labels the maps hold (a dense table of 8,192 x 8,192 labels
    took 1.15 GB)."""
    _, p_rank, rows = np.unique(p, return_inverse=True, return_counts=True)
    _, t_rank, cols = np.unique(t, return_inverse=True, return_counts=True)
    codes = p_rank.astype(np.int64) * cols.size + t_rank  # < pixels ** 2: fits in int64
    _, cells = np.unique(codes, return_counts=True)
    return cells.astype(np.float64), rows.astype(np.float64), cols.astype(np.float64)


@foreign_keywords
def adjusted_rand_index(pred: Any, true: Any, *,
                        max_pixels: int | None = DEFAULT_MAX_PIXELS) -> float:
    """Adjusted Rand index of two label maps of the same shape (Hubert and Arabie).

    1.0 means the same partition up to renumbering; about 0 for unrelated ones;
    it can be negative. A map of more pixels than ``max_pixels`` is refused, as by
    :func:`boundary_scores` (None: no limit).

    Raises
    ------
    ValueError, TypeError
        As for :func:`boundary_scores` (a bool map is taken here, as two regions).
    quantize.errors.ImageReadError
        If a map has more than ``max_pixels`` pixels (a ValueError).

    Examples
    --------
    >>> from quantize.metrics import adjusted_rand_index
    >>> adjusted_rand_index([[0, 0, 1, 1]], [[5, 5, 2, 2]])
    1.0
    """
    p_map, t_map = _check_label_maps(pred, true, max_pixels)
    cells, rows, cols = _contingency_counts(p_map.ravel(), t_map.ravel())
    n = float(p_map.size)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    index, sum_rows, sum_cols = pairs(cells), pairs(rows), pairs(cols)
    total = n * (n - 1) / 2
    expected = sum_rows * sum_cols / total if total > 0 else 0.0
    maximum = 0.5 * (sum_rows + sum_cols)
    if maximum == expected:  # both trivial (one cluster each, or all singletons)
        return 1.0
    return float((index - expected) / (maximum - expected))
