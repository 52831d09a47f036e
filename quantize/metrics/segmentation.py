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

from .._validation import check_float
from ..reconstruct.regions import find_boundaries

__all__ = ["adjusted_rand_index", "boundary_scores", "greedy_matching"]

#: Default matching tolerance as a share of the image diagonal (the BSDS value).
TOLERANCE_FRACTION = 0.0075


def _check_label_maps(pred: Any, true: Any) -> tuple[np.ndarray, np.ndarray]:
    maps = []
    for name, value in (("pred", pred), ("true", true)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biu":
            raise TypeError(f"{name} should be an integer label map, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.size == 0:
            raise ValueError(f"{name} should be a non-empty 2-D (H, W) label map, "
                             f"got shape {arr.shape}")
        maps.append(arr)
    if maps[0].shape != maps[1].shape:
        raise ValueError(f"pred and true should have the same shape, got {maps[0].shape} "
                         f"and {maps[1].shape}")
    return maps[0], maps[1]


def _border_points(labels: np.ndarray) -> np.ndarray:
    """Coordinates ``(m, 2)`` of the pixels of :func:`~quantize.reconstruct.regions.find_boundaries`."""
    return np.argwhere(find_boundaries(labels)).astype(np.float64)


def boundary_scores(pred: Any, true: Any, *,
                    tolerance: float | None = None) -> tuple[float, float, float]:
    """Border precision, recall and F-measure of ``pred`` against ``true``.

    A border pixel is one whose right or lower neighbour carries another label.
    Predicted and reference border pixels are matched one to one, greedily in
    order of increasing distance, among pairs at most ``tolerance`` apart.
    Precision is the share of predicted border pixels matched, recall the share
    of reference ones, and F their harmonic mean. With no predicted borders
    precision is 1; with no reference borders recall is 1; F is 0 when both
    precision and recall are 0.

    Parameters
    ----------
    pred, true : (H, W) array_like of int
        Label maps; only where labels change matters, not their values.
    tolerance : float, optional
        Largest matching distance in pixels; default 0.0075 x the image diagonal.

    Returns
    -------
    precision, recall, f : float

    Raises
    ------
    ValueError
        If the maps differ in shape or are not 2-D, or ``tolerance`` is negative.
    TypeError
        If a map is not of integer type.

    Examples
    --------
    >>> a = np.zeros((10, 10), dtype=int); a[:, 5:] = 1
    >>> boundary_scores(a, a)
    (1.0, 1.0, 1.0)
    >>> b = np.zeros((10, 10), dtype=int); b[:, 8:] = 1
    >>> boundary_scores(a, b, tolerance=2)
    (0.0, 0.0, 0.0)
    """
    p_map, t_map = _check_label_maps(pred, true)
    if tolerance is None:
        tol = TOLERANCE_FRACTION * math.hypot(*p_map.shape)
    else:
        tol = check_float(tolerance, "tolerance", minimum=0.0)
    p_pts, t_pts = _border_points(p_map), _border_points(t_map)
    matched = int(greedy_matching(p_pts, t_pts, tol).sum())
    precision = matched / p_pts.shape[0] if p_pts.shape[0] else 1.0
    recall = matched / t_pts.shape[0] if t_pts.shape[0] else 1.0
    total = precision + recall
    f = 2.0 * precision * recall / total if total > 0 else 0.0
    return float(precision), float(recall), float(f)


def greedy_matching(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Which points of ``a`` the greedy nearest-first one-to-one matching pairs with ``b``.

    Equivalent to sorting all pairs within ``tol`` by distance and taking each
    pair whose two ends are still free; done in rounds of mutual-nearest pairs,
    which pick the same pairs (ties broken by index) without a Python loop per pair.

    Parameters
    ----------
    a : (m, 2) ndarray of float
    b : (n, 2) ndarray of float
    tol : float
        Largest distance of a pair.

    Returns
    -------
    (m,) ndarray of bool
        True for the points of ``a`` that were matched (as many as points of ``b``).

    Examples
    --------
    >>> a = np.array([[0.0, 0.0], [0.0, 1.0]]); b = np.array([[0.0, 0.5]])
    >>> greedy_matching(a, b, 1.0).tolist()
    [True, False]
    """
    from scipy.spatial import cKDTree

    hit = np.zeros(a.shape[0], dtype=bool)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return hit
    pairs = cKDTree(a).sparse_distance_matrix(cKDTree(b), tol, output_type="ndarray")
    i, j, d = pairs["i"].astype(np.intp), pairs["j"].astype(np.intp), pairs["v"]
    order = np.lexsort((j, i, d))
    i, j = i[order], j[order]
    while i.size:
        best_of_i = _first_per_key(i)  # nearest partner of each a-point (pairs are sorted)
        best_of_j = _first_per_key(j)
        mutual = best_of_i & best_of_j
        hit[i[mutual]] = True
        used_a, used_b = np.zeros(a.shape[0], bool), np.zeros(b.shape[0], bool)
        used_a[i[mutual]] = True
        used_b[j[mutual]] = True
        keep = ~(used_a[i] | used_b[j])
        i, j = i[keep], j[keep]
    return hit


def _first_per_key(keys: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each value of ``keys`` (in array order)."""
    first = np.zeros(keys.shape[0], dtype=bool)
    _, idx = np.unique(keys, return_index=True)
    first[idx] = True
    return first


def adjusted_rand_index(pred: Any, true: Any) -> float:
    """Adjusted Rand index of two label maps of the same shape (Hubert and Arabie).

    1.0 means the same partition up to renumbering; about 0 for unrelated ones;
    it can be negative.

    Raises
    ------
    ValueError, TypeError
        As for :func:`boundary_scores`.

    Examples
    --------
    >>> adjusted_rand_index([[0, 0, 1, 1]], [[5, 5, 2, 2]])
    1.0
    """
    p_map, t_map = _check_label_maps(pred, true)
    _, p = np.unique(p_map.ravel(), return_inverse=True)
    _, t = np.unique(t_map.ravel(), return_inverse=True)
    n_t = int(t.max()) + 1
    cells = np.bincount(p.astype(np.int64) * n_t + t).astype(np.float64)
    rows = np.bincount(p).astype(np.float64)
    cols = np.bincount(t).astype(np.float64)
    n = float(p.size)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    index, sum_rows, sum_cols = pairs(cells), pairs(rows), pairs(cols)
    total = n * (n - 1) / 2
    expected = sum_rows * sum_cols / total if total > 0 else 0.0
    maximum = 0.5 * (sum_rows + sum_cols)
    if maximum == expected:  # both trivial (one cluster each, or all singletons)
        return 1.0
    return float((index - expected) / (maximum - expected))
