"""From a per-pixel cluster map to numbered regions, their borders and statistics.

The steps, each a small function:

1. ``connected_regions``: connected components (4-connectivity) of each cluster;
2. ``merge_small_regions``: regions under a size limit join the adjacent region
   whose mean feature vector is closest, in rounds, until none is left under
   the limit (or only one region remains);
3. ``find_boundaries``: a 1-pixel border mask;
4. ``mean_color_image``, ``draw_overlay`` and ``region_stats`` for the outputs.

Region labels run 1..R in raster order of each region's first pixel (top row
first, left to right), so the same segmentation is always numbered the same way.
Functions here assume validated input (an ``(H, W)`` integer map and matching
arrays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._kernels import group_means, group_sums

__all__ = ["connected_regions", "draw_overlay", "find_boundaries", "mean_color_image",
           "merge_small_regions", "region_stats", "smooth_label_map"]

_BAND_ROWS = 256


def connected_regions(clusters: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 4-connected components of equal value in ``clusters`` (H, W).

    Returns an ``(H, W)`` int32 map numbered 1..n in raster order of each
    component's first pixel, and ``n``.

    Examples
    --------
    >>> regions, n = connected_regions(np.array([[0, 1, 0], [0, 1, 1]]))
    >>> regions.tolist(), n
    ([[1, 2, 3], [1, 2, 2]], 3)
    """
    from skimage.measure import label as _label_components

    labelled = _label_components(clusters, background=-1, connectivity=1)
    n = int(labelled.max())
    return labelled.astype(np.int32, copy=False), n


# Vote maps kept in memory for the upsampling (bytes); beyond, each is computed again.
_VOTE_MEMORY = 1 << 28


def smooth_label_map(labels: np.ndarray, k: int, sigma: float,
                     shape: tuple[int, int] | None = None, *,
                     factor: int | None = None) -> np.ndarray:
    """Majority smoothing: each pixel takes the label with the most Gaussian-weighted votes.

    ``labels`` (h, w) holds values 0..k-1; ``sigma`` is in its pixels. Removes
    ragged borders and specks narrower than about ``sigma``; straight borders
    stay where they are. With ``shape`` (H, W), each label's smoothed vote map
    is interpolated (bilinear) to that size before the vote, which upsamples a
    label map with smooth borders instead of blocky ones. With ``factor``,
    ``labels`` is the map of the ``shape`` image box-downscaled by that integer
    factor (the last box of a row or column partial when the side is not a
    multiple of it, as Pillow's ``Image.reduce`` makes it): full-size pixel
    ``i`` lies at ``(i + 0.5) / factor - 0.5`` in ``labels``, nearest to the
    box it was averaged into; without it, the two sizes' pixel centres are
    aligned (``(i + 0.5) * h / H - 0.5``). Ties go to the lower label. Returns
    a new int32 map.

    Examples
    --------
    >>> m = np.zeros((8, 8), dtype=int); m[:, 4:] = 1; m[2, 1] = 1
    >>> smooth_label_map(m, 2, 1.0)[2].tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    >>> smooth_label_map(m, 2, 1.0, shape=(16, 16))[4].tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    >>> smooth_label_map(m, 2, 1.0, shape=(15, 15), factor=2)[4].tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    """
    from scipy import ndimage

    def votes_of(c: int) -> np.ndarray | None:
        indicator = (labels == c).astype(np.float32)
        if not indicator.any():
            return None  # an absent label never wins
        return ndimage.gaussian_filter(indicator, sigma, mode="nearest", truncate=3.0)

    keep = k * labels.size * 4 <= _VOTE_MEMORY  # else computed again when upsampling
    kept: list[np.ndarray | None] = []
    best = np.full(labels.shape, -1.0, dtype=np.float32)
    winner = np.zeros(labels.shape, dtype=np.int32)
    for c in range(k):
        votes = votes_of(c)
        if keep:
            kept.append(votes)
        if votes is not None:
            better = votes > best
            best[better] = votes[better]
            winner[better] = c
    if shape is None or tuple(shape) == labels.shape:
        return winner
    return _upsampled_vote(kept.__getitem__ if keep else votes_of, k, winner, shape, factor)


def _upsampled_vote(votes_of: Callable[[int], np.ndarray | None], k: int,
                    winner: np.ndarray, shape: tuple[int, int],
                    factor: int | None) -> np.ndarray:
    """The label with the most bilinearly interpolated votes at each pixel of ``shape``.

    A pixel between four vote cells that share one winner takes that winner:
    interpolation weights are non-negative, so the winner of all four corners
    wins their weighted mean too. Only the pixels near a change of winner are
    interpolated, one label at a time (``votes_of(c)``: label c's votes, or
    None when it is absent).
    """
    (y0, y1, fy), (x0, x1, fx) = (_bilinear_taps(n_out, n_in, factor)
                                  for n_out, n_in in zip(shape, winner.shape, strict=True))
    # cell (i, j): the corners (i, j), (i, j + 1), (i + 1, j), (i + 1, j + 1), clamped
    right = np.concatenate([winner[:, 1:], winner[:, -1:]], axis=1)
    below = np.concatenate([winner[1:], winner[-1:]], axis=0)
    diagonal = np.concatenate([right[1:], right[-1:]], axis=0)
    settled = (winner == right) & (winner == below) & (winner == diagonal)
    out = winner[np.ix_(y0, x0)]
    rows, cols = np.nonzero(~settled[np.ix_(y0, x0)])
    if rows.size == 0:
        return out
    r0, r1, c0, c1 = y0[rows], y1[rows], x0[cols], x1[cols]
    wy, wx = fy[rows], fx[cols]
    best = np.full(rows.size, -1.0, dtype=np.float32)
    chosen = np.zeros(rows.size, dtype=np.int32)
    for c in range(k):
        v = votes_of(c)
        if v is None:
            continue
        mixed = ((v[r0, c0] * (1 - wx) + v[r0, c1] * wx) * (1 - wy)
                 + (v[r1, c0] * (1 - wx) + v[r1, c1] * wx) * wy)
        better = mixed > best
        best[better] = mixed[better]
        chosen[better] = c
    out[rows, cols] = chosen
    return out


def _bilinear_taps(n_out: int, n_in: int, factor: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices below and above each of ``n_out`` samples, and the weight of the upper.

    Pixel centres are aligned (``(i + 0.5) * n_in / n_out - 0.5``), or with
    ``factor``, the ``n_in`` sources are boxes of ``factor`` samples, the last
    one maybe partial (``(i + 0.5) / factor - 0.5``: a partial box does not
    stretch the others). Samples beyond the first or last centre take the
    edge value.
    """
    step = n_in / n_out if factor is None else 1 / factor
    pos = (np.arange(n_out) + 0.5) * step - 0.5
    pos = np.clip(pos, 0, n_in - 1)
    lower = np.floor(pos).astype(np.intp)
    upper = np.minimum(lower + 1, n_in - 1)
    return lower, upper, (pos - lower).astype(np.float32)


def _adjacent_pairs(regions: np.ndarray, touching: np.ndarray) -> np.ndarray:
    """Distinct unordered pairs ``(E, 2)`` of 4-adjacent different labels, ``a < b``, sorted,
    of which at least one label is ``touching`` (a bool per label)."""
    n = int(regions.max()) + 1
    keys = []
    for a, b in ((regions[:, :-1], regions[:, 1:]), (regions[:-1, :], regions[1:, :])):
        differ = (a != b) & (touching[a] | touching[b])
        lo = np.minimum(a[differ], b[differ]).astype(np.int64)
        hi = np.maximum(a[differ], b[differ]).astype(np.int64)
        keys.append(lo * n + hi)
    return _distinct_pairs(np.concatenate(keys), n)


def _distinct_pairs(keys: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct pairs ``(E, 2)`` of pair keys ``a * n + b``.

    Pixel pairs along one border repeat their key in runs, so the runs are
    cut to one key before the sort.
    """
    if keys.size:
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    return np.stack(np.divmod(np.unique(keys), n), axis=1)


def merge_small_regions(regions: np.ndarray, n: int, means: np.ndarray,
                        min_region: int) -> np.ndarray:
    """Merge every region under ``min_region`` pixels into a neighbour, in rounds.

    ``means`` (n + 1, d) holds each label's mean feature vector. In each round
    every region smaller than the limit picks the adjacent region whose mean
    is nearest (ties: the smaller label), and
    each group of regions linked by these picks becomes one region; a group
    never holds two regions that were already large enough. Rounds repeat until
    no small region has a neighbour left.

    Returns
    -------
    (n + 1,) ndarray of intp
        New label (1..R, raster order of first pixels) of each old label.
    """
    area = np.bincount(regions.ravel(), minlength=n + 1).astype(np.float64)
    sums = means * area[:, None]
    small = (area < min_region) & (area > 0)
    small[0] = False
    # Only pairs with a small end are ever used: a region large enough stays so, and a
    # group holds at most one such region, so a small group is made of small regions.
    pairs = _adjacent_pairs(regions, small) if small.any() else np.empty((0, 2), np.int64)
    group = np.arange(n + 1)  # current group (a representative old label) of each old label
    while True:
        small = (area < min_region) & (area > 0)
        small[0] = False
        if not small.any() or pairs.shape[0] == 0:
            break
        target = _closest_neighbour(pairs, small, sums / np.maximum(area, 1)[:, None])
        if target is None:
            break
        root = _join(target, n + 1)
        group = root[group]
        _, sums = group_sums(sums, root, n + 1)
        area = np.bincount(root, weights=area, minlength=n + 1)
        pairs = root[pairs]
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        pairs.sort(axis=1)
        pairs = _distinct_pairs(pairs[:, 0].astype(np.int64) * (n + 1) + pairs[:, 1], n + 1)
    return _raster_numbering(group)


def _closest_neighbour(pairs: np.ndarray, small: np.ndarray,
                       means: np.ndarray) -> np.ndarray | None:
    """For each small label, the adjacent label with the nearest mean (edges (m, 2) as src, dst)."""
    both = np.concatenate([pairs[small[pairs[:, 0]]], pairs[small[pairs[:, 1]], ::-1]])
    if both.shape[0] == 0:
        return None
    src, dst = both[:, 0], both[:, 1]
    diff = means[src] - means[dst]
    dist = np.einsum("ij,ij->i", diff, diff)
    nearest = np.full(small.shape[0], np.inf)
    np.minimum.at(nearest, src, dist)
    tied = dist == nearest[src]
    pick = np.full(small.shape[0], small.shape[0], dtype=both.dtype)
    np.minimum.at(pick, src[tied], dst[tied])
    has = np.flatnonzero(pick < small.shape[0])
    return np.stack([has, pick[has]], axis=1)


def _join(links: np.ndarray, size: int) -> np.ndarray:
    """Components of the graph with edges ``links`` (m, 2), each named by its smallest label."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(links.shape[0]), (links[:, 0], links[:, 1])),
                       shape=(size, size))
    _, comp = connected_components(graph, directed=False)
    smallest = np.full(comp.max() + 1, size, dtype=np.intp)
    np.minimum.at(smallest, comp, np.arange(size))
    return smallest[comp]


def _raster_numbering(group: np.ndarray) -> np.ndarray:
    """Map old labels to 1..R ordered by each group's smallest old label.

    Old labels are in raster order of first pixels, so the smallest old label
    of a group holds the group's first pixel.
    """
    roots = np.unique(group[1:])
    new = np.zeros(group.shape[0], dtype=np.intp)
    new[roots] = np.arange(1, roots.shape[0] + 1)
    mapping = new[group]
    mapping[0] = 0
    return mapping


def find_boundaries(labels: np.ndarray) -> np.ndarray:
    """1-pixel border mask ``(H, W)`` bool: pixels whose right or lower neighbour differs.

    The one border rule of the package: segmentation outputs, the border
    metrics (``quantize.metrics``) and the benchmarks all use it.

    Examples
    --------
    >>> find_boundaries(np.array([[1, 1, 2], [1, 1, 2], [3, 3, 3]])).astype(int).tolist()
    [[0, 1, 0], [1, 1, 1], [0, 0, 0]]
    """
    out = np.zeros(labels.shape, dtype=bool)
    out[:, :-1] = labels[:, :-1] != labels[:, 1:]
    out[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return out


def region_means(labels: np.ndarray, rgb: np.ndarray, n: int) -> np.ndarray:
    """Mean RGB ``(n + 1, 3)`` float64 of each label (row 0 for label 0, if any)."""
    means, _ = group_means(rgb.reshape(-1, 3), labels.ravel(), n + 1)
    return means


def mean_color_image(labels: np.ndarray, rgb: np.ndarray, n: int) -> np.ndarray:
    """``(H, W, 3)`` uint8 image with each region filled with its mean colour."""
    table = np.clip(np.rint(region_means(labels, rgb, n)), 0, 255).astype(np.uint8)
    return table[labels]


def draw_overlay(rgb: np.ndarray, boundaries: np.ndarray,
                 color: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
    """A copy of ``rgb`` with the ``boundaries`` pixels painted in ``color``."""
    out = rgb.copy()
    out[boundaries] = color
    return out


def region_stats(labels: np.ndarray, rgb: np.ndarray, clusters: np.ndarray,
                 n: int) -> list[dict[str, Any]]:
    """One JSON-ready record per region 1..n.

    Each has ``label``, ``cluster``, ``area`` (pixels), ``bbox`` as
    ``[row_min, col_min, row_max, col_max]`` with exclusive maxima, ``centroid``
    as ``[row, col]`` and ``mean_color`` as ``[r, g, b]`` (0-255, one decimal).
    """
    area = np.bincount(labels.ravel(), minlength=n + 1)
    rows, cols = _coordinate_sums(labels, n)
    means = region_means(labels, rgb, n)
    from scipy import ndimage

    boxes = ndimage.find_objects(labels, max_label=n)
    records = []
    for lab in range(1, n + 1):
        box = boxes[lab - 1]
        a = int(area[lab])
        records.append({
            "label": lab,
            "cluster": int(clusters[lab - 1]),
            "area": a,
            "bbox": [box[0].start, box[1].start, box[0].stop, box[1].stop],
            "centroid": [round(float(rows[lab]) / a, 2), round(float(cols[lab]) / a, 2)],
            "mean_color": [round(float(v), 1) for v in means[lab]],
        })
    return records


def _coordinate_sums(labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-label sums of row and column indices, a band of rows at a time."""
    h, w = labels.shape
    rows = np.zeros(n + 1)
    cols = np.zeros(n + 1)
    col_index = np.tile(np.arange(w, dtype=np.float64), _BAND_ROWS)
    for start in range(0, h, _BAND_ROWS):
        band = labels[start:start + _BAND_ROWS]
        flat = band.ravel()
        row_index = np.repeat(np.arange(start, start + band.shape[0], dtype=np.float64), w)
        rows += np.bincount(flat, weights=row_index, minlength=n + 1)
        cols += np.bincount(flat, weights=col_index[:flat.size], minlength=n + 1)
    return rows, cols
