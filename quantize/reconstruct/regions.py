"""From a per-pixel cluster map to numbered regions, their borders and statistics.

The steps, each a small function:

1. ``connected_regions``: connected components (4-connectivity) of each cluster
   of a map held whole; ``region_runs`` finds the same regions on a large map read
   a band of rows at a time, keeping only its runs;
2. ``merge_small_regions``: regions under a size limit join the adjacent region
   whose mean feature vector is closest, in rounds, until none is left under
   the limit (or only one region remains);
3. ``find_boundaries``: a 1-pixel border mask (``label_changes``: its pixels, by the
   neighbour that differs);
4. ``region_sums`` (each region's pixel count and sums, read once), then
   ``mean_color_image``, ``draw_overlay`` and ``region_stats`` for the outputs.

Region labels run 1..R in raster order of each region's first pixel (top row
first, left to right), so the same segmentation is always numbered the same way.
Functions here assume validated input (an ``(H, W)`` integer map and matching
arrays).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .._kernels import group_sums, row_bands, unpack_rgb

__all__ = ["InputStats", "RegionRuns", "RegionSums", "border_alpha", "cluster_stats",
           "connected_regions", "draw_overlay", "enlarged_rows", "find_boundaries",
           "flat_color_table", "colour_fields", "inner_points", "input_mean", "input_spread",
           "input_table", "input_value_stats", "label_changes", "region_perimeters",
           "mean_color_image", "mean_color_table", "join_same_value", "linked_components",
           "merge_regions", "merge_small_regions", "region_areas", "region_runs", "region_stats",
           "region_sums", "shown_alpha", "smooth_label_map"]

_BAND_ROWS = 256
# region_runs reads a map a band of about this many pixels at a time.
_RUN_BAND_PIXELS = 1 << 20


def connected_regions(clusters: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 4-connected components of equal value in ``clusters`` (H, W).

    Returns an ``(H, W)`` int32 map numbered 1..n in raster order of each
    component's first pixel, and ``n``. Pixels of value -1 are background:
    label 0, in no component.

    Examples
    --------
    >>> regions, n = connected_regions(np.array([[0, 1, 0], [0, 1, 1]]))
    >>> regions.tolist(), n
    ([[1, 2, 3], [1, 2, 2]], 3)
    >>> connected_regions(np.array([[5, -1, 5], [5, 5, -1]]))[0].tolist()
    [[1, 0, 2], [1, 1, 0]]
    """
    from skimage.measure import label as _label_components

    labelled = _label_components(clusters, background=-1, connectivity=1)
    n = int(labelled.max())
    return labelled.astype(np.int32, copy=False), n


class RegionRuns(NamedTuple):
    """The 4-connected regions of a map ``(H, W)``, held as its runs: the stretches of
    pixels of one value along a row, in raster order (see :func:`region_runs`)."""

    shape: tuple[int, int]
    """The map's (H, W)."""
    starts: np.ndarray
    """Flat index ``(m,)`` int64 of each run's first pixel, ascending."""
    values: np.ndarray
    """The map's value ``(m,)`` along each run."""
    regions: np.ndarray
    """Region ``(m,)`` int32 of each run: 1..n in raster order of the regions' first pixels,
    0 for a run of value -1 (background)."""
    n: int
    """The number of regions."""
    pairs: np.ndarray
    """The distinct pairs ``(E, 2)`` intp of 4-adjacent regions ``a < b``, sorted
    (background in none)."""

    def lengths(self) -> np.ndarray:
        """Pixels ``(m,)`` int64 of each run."""
        return np.diff(self.starts, append=self.shape[0] * self.shape[1])

    def areas(self) -> np.ndarray:
        """Pixels ``(n + 1,)`` int64 of each region 0..n (0: background)."""
        return np.bincount(self.regions, weights=self.lengths(),
                           minlength=self.n + 1).astype(np.int64)

    def regions_at(self, flat: np.ndarray) -> np.ndarray:
        """Region of each pixel of flat indices ``flat`` (any shape)."""
        return self.regions[np.searchsorted(self.starts, flat, side="right") - 1]

    def label_map(self, mapping: np.ndarray | None = None) -> np.ndarray:
        """The ``(H, W)`` int32 map of regions, or of ``mapping[region]`` with ``mapping``
        ``(n + 1,)``, made in one pass over the runs."""
        table = self.regions if mapping is None else mapping.astype(np.int32)[self.regions]
        return np.repeat(table, self.lengths()).reshape(self.shape)


def region_runs(rows: Callable[[int, int], np.ndarray], shape: tuple[int, int]) -> RegionRuns:
    """The 4-connected regions of equal value of a map ``shape`` (H, W), as its runs.

    ``rows(start, stop)`` gives the map's rows ``start`` to ``stop - 1`` as an
    integer array ``(stop - start, W)``; they are read in order, a band of about
    ``_RUN_BAND_PIXELS`` pixels at a time, so that the map itself need never be
    held whole (the runs of a large, smooth map are a small share of its
    pixels). Runs of one value that touch from one row to the next are one
    region; the regions are numbered as :func:`connected_regions` numbers them
    (value -1 is background).
    """
    h, w = shape
    starts, values, joins, touches = [], [], [], []
    above = None  # the last row read: its values, run ids and run starts
    count = 0
    for read in row_bands(h, w, _RUN_BAND_PIXELS):
        start = read.start
        band = np.asarray(rows(start, read.stop))
        new = np.ones(band.shape, dtype=bool)
        np.not_equal(band[:, 1:], band[:, :-1], out=new[:, 1:])
        first = np.flatnonzero(new)
        ids = np.cumsum(new, axis=None).reshape(band.shape)
        ids += count - 1
        starts.append(first + start * w)
        values.append(band.ravel()[first])
        # The run after a run in the same row touches it; runs of rows one above the
        # other touch where they overlap, and are one region where their values agree.
        later = np.flatnonzero(first % w != 0) + count
        touches.append(np.stack([later - 1, later], axis=1))
        if above is not None:
            _vertical_links(above, (band[0], ids[0], new[0]), joins, touches)
        _vertical_links((band[:-1], ids[:-1], new[:-1]), (band[1:], ids[1:], new[1:]),
                        joins, touches)
        above = (band[-1], ids[-1], new[-1])
        count += first.shape[0]
    return _numbered_runs(shape, np.concatenate(starts), np.concatenate(values),
                          np.concatenate(joins), np.concatenate(touches))


def _vertical_links(top: tuple[np.ndarray, ...], bottom: tuple[np.ndarray, ...],
                    joins: list[np.ndarray], touches: list[np.ndarray]) -> None:
    """Append the run id pairs ``(k, 2)`` of rows ``top`` over rows ``bottom`` (each its
    values, run ids and run starts) that are one region to ``joins``, the others to
    ``touches``.

    Between two columns where either row starts a run, the pair of runs is the
    same: only those columns are looked at.
    """
    (top_values, top_ids, top_new), (values, ids, new) = top, bottom
    where = top_new | new
    same = top_values[where] == values[where]
    pairs = np.stack([top_ids[where], ids[where]], axis=1)
    joins.append(pairs[same])
    touches.append(pairs[~same])


def _numbered_runs(shape: tuple[int, int], starts: np.ndarray, values: np.ndarray,
                   joins: np.ndarray, touches: np.ndarray) -> RegionRuns:
    """:class:`RegionRuns` of runs ``starts`` of ``values`` (m,), ``joins`` (j, 2) the
    pairs of runs of one region, ``touches`` (t, 2) the other pairs of touching runs."""
    m = starts.shape[0]
    background = values == -1
    if background.any():
        joins = joins[~background[joins[:, 0]]]
        touches = touches[~(background[touches[:, 0]] | background[touches[:, 1]])]
    # Runs are in raster order: a region's first run, the one _join names it by, holds
    # its first pixel.
    root = _join(joins, m)
    first = np.unique(root[~background])
    number = np.zeros(m, dtype=np.int32)
    number[first] = np.arange(1, first.shape[0] + 1, dtype=np.int32)
    regions = number[root]
    n = int(first.shape[0])
    a, b = regions[touches[:, 0]].astype(np.int64), regions[touches[:, 1]].astype(np.int64)
    pairs = _distinct_pairs(np.minimum(a, b) * (n + 1) + np.maximum(a, b), n + 1)
    return RegionRuns(shape, starts, values, regions, n, pairs)


# smooth_label_map, keep_side: a shape holding a keep_side square keeps its pixels as far
# as they lie in squares of this share of that side (linked to the large one). On BSDS500
# train (photos 0, 4, 8, ...; segment -k 3, 5, 8, 12, keep_side 13) border ODS / OIS F:
# 0.484 / 0.502 without keep_side, 0.493 / 0.518 with a share of 1/2, 0.497 / 0.526 with
# 0.3 (squares of 4, as 1/3 gives); the smaller squares also keep more of a round rim.
# On bench_segment's texture mosaics (-k 3, seeds 0-4) it costs border F, worst seed:
# 0.857 without keep_side, 0.846 with a share of 1, 0.836 with 1/2, 0.832 with 1/3.
_OUTLINE_SHARE = 1 / 3


def smooth_label_map(labels: np.ndarray, k: int, sigma: float,
                     shape: tuple[int, int] | None = None, *,
                     factor: int | None = None, keep_side: int = 0) -> np.ndarray:
    """Majority smoothing: each pixel takes the label with the most Gaussian-weighted votes.

    ``labels`` (h, w) holds values 0..k-1; ``sigma`` is in its pixels. Removes
    ragged borders and specks (a square narrower than about ``2.1 * sigma``,
    a long bar narrower than about ``1.35 * sigma``); straight borders stay
    where they are, but corners are rounded off and a shape not much wider
    than a speck shrinks. With ``keep_side`` s > 0, a pixel keeps its label
    when it lies in a square of side ``s / 3`` (rounded) of its own label that
    is linked, through such squares, to one of side s: a shape that holds an
    s x s square keeps every pixel but those of spurs thinner than a third of
    it (``_thick_shape_pixels``), and only the rest is voted on. Beyond the map's
    edge each edge pixel is repeated, for the vote and for the squares.

    With ``shape`` (H, W), the smoothed map is brought to that size: each
    label's indicator is interpolated (bilinear) and the largest wins, the
    label that holds the most weight among the four pixels around, which
    rounds off the map's stairs. With ``factor``,
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
    >>> square = np.zeros((12, 12), dtype=int); square[3:8, 3:8] = 1
    >>> int(smooth_label_map(square, 2, 2.0).sum()), int(smooth_label_map(square, 2, 2.0,
    ...                                                                  keep_side=4).sum())
    (9, 25)
    """
    winner = _majority(labels, k, sigma)
    if keep_side > 0:
        thick = _thick_shape_pixels(labels, keep_side)
        winner[thick] = labels[thick]
    if shape is None or tuple(shape) == labels.shape:
        return winner
    return _upsampled(winner, shape, factor)


def _majority(labels: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """The label 0..k-1 with the most votes ``(h, w)`` int32: the Gaussian of its indicator."""
    from scipy import ndimage

    best = np.full(labels.shape, -1.0, dtype=np.float32)
    winner = np.zeros(labels.shape, dtype=np.int32)
    for c in range(k):
        indicator = (labels == c).astype(np.float32)
        if not indicator.any():
            continue  # an absent label never wins
        votes = ndimage.gaussian_filter(indicator, sigma, mode="nearest", truncate=3.0)
        better = votes > best
        best[better] = votes[better]
        winner[better] = c
    return winner


def _thick_shape_pixels(labels: np.ndarray, side: int) -> np.ndarray:
    """Bool ``(h, w)``: the pixels of ``labels`` that belong to a shape ``side`` wide.

    A pixel counts when it lies in a square of its own label whose side is
    ``_OUTLINE_SHARE`` of ``side`` (rounded, at least 1) and these squares link
    it to a square of side ``side``. The smaller squares reach the rim of a
    round shape, which bulges past the squares of the full side; spurs
    thinner than them, and shapes that hold no square of the full side, are
    left out.
    """
    core = _in_square_of_own_label(labels, side)
    edge = max(1, round(_OUTLINE_SHARE * side))
    if edge >= side:
        return core
    outline = _in_square_of_own_label(labels, edge)
    parts, n = connected_regions(np.where(outline, labels, -1))
    has_core = np.bincount(parts[core], minlength=n + 1) > 0
    has_core[0] = False  # not in any such square
    return has_core[parts]


def _in_square_of_own_label(labels: np.ndarray, side: int) -> np.ndarray:
    """Bool ``(h, w)``: the pixels of ``labels`` that lie in some ``side`` x ``side``
    square of pixels of one label (all of them when ``side`` is 1).

    An opening of each label by the square, done for all labels at once: the
    squares of one label are those whose smallest and largest label agree.
    Beyond the map's edge each edge pixel is repeated, as for the vote, so the
    edge wears no shape away.
    """
    from scipy import ndimage

    low = ndimage.minimum_filter(labels, size=side, mode="nearest")
    high = ndimage.maximum_filter(labels, size=side, mode="nearest")
    # The square of pixel (y, x) spans offsets -(side // 2) to side - 1 - side // 2;
    # the pixels it covers are those whose mirrored square holds (y, x).
    mirrored = -1 if side % 2 == 0 else 0
    return ndimage.maximum_filter(low == high, size=side, mode="constant", cval=False,
                                  origin=mirrored)


def _upsampled(labels: np.ndarray, shape: tuple[int, int], factor: int | None) -> np.ndarray:
    """``labels`` brought to ``shape`` whole (see :func:`enlarged_rows`)."""
    return enlarged_rows(labels, shape, factor)(0, shape[0])


def enlarged_rows(labels: np.ndarray, shape: tuple[int, int], factor: int | None = None
                  ) -> Callable[[int, int], np.ndarray]:
    """The rows of ``labels`` (h, w) brought to ``shape`` (H, W), as
    :func:`smooth_label_map` brings its map there, made on demand:
    ``rows(start, stop)`` is ``(stop - start, W)`` int32, rows ``start`` to ``stop - 1``.

    At each full-size pixel, the label that holds the largest bilinear weight
    among the four pixels of ``labels`` around it (ties: the lower label): the
    largest of the labels' indicators interpolated bilinearly. A pixel whose
    four surrounding pixels share one label takes it directly. ``factor`` as
    for :func:`smooth_label_map`. Each row is made on its own, the same
    whichever band it is asked in, so a large map can be read a band at a time.

    >>> rows = enlarged_rows(np.array([[0, 1], [1, 1]]), (4, 4), factor=2)
    >>> rows(1, 3).tolist()
    [[0, 0, 1, 1], [1, 1, 1, 1]]
    """
    labels = labels.astype(np.int32, copy=False)
    (y0, y1, fy), (x0, x1, fx) = (_bilinear_taps(n_out, n_in, factor)
                                  for n_out, n_in in zip(shape, labels.shape, strict=True))
    # cell (i, j): the corners (i, j), (i, j + 1), (i + 1, j), (i + 1, j + 1), clamped
    right = np.concatenate([labels[:, 1:], labels[:, -1:]], axis=1)
    below = np.concatenate([labels[1:], labels[-1:]], axis=0)
    diagonal = np.concatenate([right[1:], right[-1:]], axis=0)
    settled = (labels == right) & (labels == below) & (labels == diagonal)

    def rows(start: int, stop: int) -> np.ndarray:
        band = slice(start, stop)
        return _enlarged_band(labels, settled, (y0[band], y1[band], fy[band]), (x0, x1, fx))

    return rows


def _enlarged_band(labels: np.ndarray, settled: np.ndarray,
                   y_taps: tuple[np.ndarray, ...], x_taps: tuple[np.ndarray, ...]
                   ) -> np.ndarray:
    """The full-size rows of ``labels`` at the taps ``y_taps`` and columns at ``x_taps``
    (each the lower and upper source index and the upper's weight); ``settled`` marks
    the cells whose four corners agree."""
    (y0, y1, fy), (x0, x1, fx) = y_taps, x_taps
    out = labels[np.ix_(y0, x0)]
    rows, cols = np.nonzero(~settled[np.ix_(y0, x0)])
    if rows.size == 0:
        return out
    r0, r1, c0, c1 = y0[rows], y1[rows], x0[cols], x1[cols]
    wy, wx = fy[rows], fx[cols]
    corners = np.stack([labels[r0, c0], labels[r0, c1], labels[r1, c0], labels[r1, c1]], 1)
    weights = np.stack([(1 - wy) * (1 - wx), (1 - wy) * wx, wy * (1 - wx), wy * wx], 1)
    # Each corner's label's total weight, summed in corner order whichever corner asks,
    # so that the corners of one label get the very same total.
    totals = np.zeros(weights.shape, dtype=np.float32)
    for j in range(4):
        totals += np.where(corners == corners[:, j:j + 1], weights[:, j:j + 1], 0)
    top = totals == totals.max(axis=1, keepdims=True)
    out[rows, cols] = np.where(top, corners, np.iinfo(corners.dtype).max).min(axis=1)
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


def label_changes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of ``labels`` (H, W) whose right neighbour, and those whose lower
    neighbour, has another label: flat indices ``(m,)`` each, ascending (the pixels
    of :func:`find_boundaries`, by the neighbour that differs).

    Callers read the labels on either side at these indices, on the flat map: a
    boolean mask over the map's strided halves (``labels[:, :-1][differ]``) costs
    several times more.

    >>> [p.tolist() for p in label_changes(np.array([[1, 1, 2], [1, 1, 2], [3, 3, 3]]))]
    [[1, 4], [3, 4, 5]]
    """
    width = labels.shape[1]
    flat = labels.ravel()
    right = flat[:-1] != flat[1:]
    right[width - 1::width] = False  # a row's last pixel and the next row's first
    return np.flatnonzero(right), np.flatnonzero(flat[:-width] != flat[width:])


def _adjacent_pairs(regions: np.ndarray, touching: np.ndarray) -> np.ndarray:
    """Distinct unordered pairs ``(E, 2)`` of 4-adjacent different labels, ``a < b``, sorted,
    of which at least one label is ``touching`` (a bool per label)."""
    n = int(regions.max()) + 1
    flat = regions.ravel()
    keys = []
    for at, step in zip(label_changes(regions), (1, regions.shape[1]), strict=True):
        a, b = flat[at], flat[at + step]
        near = touching[a] | touching[b]
        a, b = a[near], b[near]
        keys.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
    return _distinct_pairs(np.concatenate(keys), n)


def _distinct_pairs(keys: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct pairs ``(E, 2)`` of pair keys ``a * n + b``.

    Pixel pairs along one border repeat their key in runs, so the runs are
    cut to one key before the sort, and once sorted all repeats are runs
    (``np.unique``, which finds them in a hash table, took about eight times
    as long on superpixels' pieces).
    """
    return np.stack(np.divmod(_drop_runs(np.sort(_drop_runs(keys))), n), axis=1)


def _drop_runs(values: np.ndarray) -> np.ndarray:
    """``values`` ``(m,)`` with each run of equal values cut to its first."""
    if values.size == 0:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


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
    area = region_areas(regions, n)
    small = (area < min_region) & (area > 0)
    small[0] = False
    pairs = _adjacent_pairs(regions, small) if small.any() else np.empty((0, 2), np.int64)
    return merge_regions(area, pairs, means, min_region)


def merge_regions(area: np.ndarray, pairs: np.ndarray, means: np.ndarray,
                  min_region: int) -> np.ndarray:
    """:func:`merge_small_regions` of regions 0..n given by their pixels ``area`` (n + 1,),
    their adjacent pairs ``pairs`` (E, 2) (``a < b``, distinct, sorted; those without a
    region under ``min_region`` may be left out) and their means ``means`` (n + 1, d),
    as :class:`RegionRuns` has them (label 0: no region).

    >>> merge_regions(np.array([0, 4, 2, 4]), np.array([[1, 2], [2, 3]]),
    ...               np.array([[0.0], [0.0], [0.8], [1.0]]), 3).tolist()
    [0, 1, 2, 2]
    """
    n = area.shape[0] - 1
    area = area.astype(np.float64)
    sums = means * area[:, None]
    small = (area < min_region) & (area > 0)
    small[0] = False
    # Only pairs with a small end are ever used: a region large enough stays so, and a
    # group holds at most one such region, so a small group is made of small regions.
    pairs = pairs[small[pairs[:, 0]] | small[pairs[:, 1]]] if small.any() else pairs[:0]
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


def join_same_value(mapping: np.ndarray, pairs: np.ndarray, values: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Join the merged regions that touch and have one value; renumber them in raster order.

    ``mapping`` (n + 1,) gives each region 0..n (0: none) its merged region 1..R
    (:func:`merge_regions`), ``pairs`` (E, 2) are the regions' 4-adjacent pairs
    and ``values`` (R,) the merged regions' values (a cluster). A small region
    merged into one neighbour may have stood between two regions of one value,
    which then touch: they become one. Returns the new ``mapping`` and ``values``.

    >>> mapping, values = join_same_value(np.array([0, 1, 2, 3]),
    ...                                   np.array([[1, 2], [2, 3]]), np.array([5, 5, 7]))
    >>> mapping.tolist(), values.tolist()
    ([0, 1, 1, 2], [5, 7])
    """
    ends = mapping[pairs]
    value = np.concatenate([[-1], values])
    same = (ends[:, 0] != ends[:, 1]) & (value[ends[:, 0]] == value[ends[:, 1]])
    if not same.any():
        return mapping, values
    renumber = _raster_numbering(_join(ends[same], values.shape[0] + 1))
    joined = np.empty(int(renumber.max()), dtype=values.dtype)
    joined[renumber[1:] - 1] = values
    return renumber[mapping], joined


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


def linked_components(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """The connected component ``(size,)`` of each of ``size`` nodes linked ``a[i]`` to
    ``b[i]``, numbered from 0 in the order of their smallest nodes (as SciPy's
    ``connected_components`` numbers them, without loading ``scipy.sparse.csgraph``,
    40 ms of a command's start).

    >>> linked_components(np.array([3, 1]), np.array([0, 4]), 5).tolist()
    [0, 1, 2, 0, 1]
    """
    return np.unique(_join(np.column_stack([a, b]), size), return_inverse=True)[1]


def _join(links: np.ndarray, size: int) -> np.ndarray:
    """Components of the graph with edges ``links`` (m, 2), each named by its smallest label.

    Every label points at a smaller or equal one, and pointer jumping keeps each
    pointing straight at its tree's root. Each pass hooks, for every edge between
    two trees, the larger root under the smaller, so every tree joins another in
    each pass and the passes number about the logarithm of the largest component
    (giving labels the smaller name edge by edge took one pass per link of a
    chain whose labels are scrambled).
    """
    root = np.arange(size)
    src, dst = links[:, 0], links[:, 1]
    while True:
        one, other = root[src], root[dst]
        low, high = np.minimum(one, other), np.maximum(one, other)
        apart = low != high
        if not apart.any():
            return root
        np.minimum.at(root, high[apart], low[apart])
        while True:  # pointer jumping: a name is the label of an earlier (smaller) name
            jumped = root[root]
            if np.array_equal(jumped, root):
                break
            root = jumped


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


class RegionSums(NamedTuple):
    """Per-label totals over an image, ``(n + 1,)`` or ``(n + 1, 3)`` float64 (row 0: label 0).

    Every entry is a sum of integers, below 2**53 on images of up to 10 gigapixels, so it
    is exact and does not depend on the order the pixels are added in: the sums of bands
    of rows, or of regions merged together, are those of the whole image or of the
    merged region read in one pass.
    """

    area: np.ndarray
    """Pixels of each label."""
    color: np.ndarray
    """Sums of the R, G and B values (0..255) of each label's pixels, ``(n + 1, 3)``."""
    rows: np.ndarray
    """Sums of the row indices of each label's pixels."""
    cols: np.ndarray
    """Sums of the column indices of each label's pixels."""
    hidden: np.ndarray | None = None
    """Fully transparent pixels (alpha 0) of each label; None when no pixel is."""
    hidden_color: np.ndarray | None = None
    """Sums of their R, G and B values, ``(n + 1, 3)``; None when no pixel is."""

    def means(self) -> np.ndarray:
        """Mean RGB ``(n + 1, 3)`` float64 of each label (0 for a label without pixels)."""
        return self.color / np.maximum(self.area, np.finfo(np.float64).tiny)[:, None]

    def shown_means(self) -> np.ndarray:
        """Mean RGB ``(n + 1, 3)`` float64 of each label's visible pixels (alpha above 0),
        each counted once by its stored colour; :meth:`RegionSums.means` (all its pixels)
        for a label of which no pixel is visible, and for every label when none is hidden."""
        means = self.means()
        if self.hidden is None or self.hidden_color is None:
            return means
        shown = self.area - self.hidden
        some = shown > 0
        means[some] = (self.color - self.hidden_color)[some] / shown[some, None]
        return means

    def merged(self, mapping: np.ndarray, n: int) -> RegionSums:
        """The sums of new labels 0..n, ``mapping`` ``(len(area),)`` the new label of each old."""
        columns = [self.area, self.color, self.rows, self.cols]
        if self.hidden is not None and self.hidden_color is not None:
            columns += [self.hidden, self.hidden_color]
        _, sums = group_sums(np.column_stack(columns), mapping, n + 1)
        hidden = (sums[:, 6], sums[:, 7:10]) if sums.shape[1] > 6 else (None, None)
        return RegionSums(sums[:, 0], sums[:, 1:4], sums[:, 4], sums[:, 5], *hidden)


def region_areas(labels: np.ndarray, n: int) -> np.ndarray:
    """Pixels ``(n + 1,)`` int64 of each label 0..n of ``labels`` (H, W), counted a band of
    ``_BAND_ROWS`` rows at a time (no full-size intp copy of ``labels``).

    >>> region_areas(np.array([[1, 2], [1, 1]]), 3).tolist()
    [0, 3, 1, 0]
    """
    area = np.zeros(n + 1, dtype=np.int64)
    for start in range(0, labels.shape[0], _BAND_ROWS):
        area += np.bincount(labels[start:start + _BAND_ROWS].ravel(), minlength=n + 1)
    return area


def region_sums(labels: np.ndarray, rgb: np.ndarray, n: int,
                alpha: np.ndarray | None = None) -> RegionSums:
    """:class:`RegionSums` of the labels 0..n of ``labels`` (H, W) over ``rgb`` (H, W, 3) uint8,
    with the sums of the fully transparent pixels of ``alpha`` ((H, W) uint8) when it has some.

    Read a band of ``_BAND_ROWS`` rows at a time, so that no full-size temporary
    (the labels as intp, a channel as float64) is made.

    Examples
    --------
    >>> sums = region_sums(np.array([[1, 2], [1, 1]]), np.arange(12, dtype=np.uint8)
    ...                    .reshape(2, 2, 3), 2)
    >>> sums.area.tolist(), sums.means()[1].tolist(), sums.rows.tolist(), sums.cols.tolist()
    ([0.0, 3.0, 1.0], [5.0, 6.0, 7.0], [0.0, 2.0, 0.0], [0.0, 1.0, 1.0])
    >>> sums = region_sums(np.array([[1, 2], [1, 1]]), np.arange(12, dtype=np.uint8)
    ...                    .reshape(2, 2, 3), 2, alpha=np.array([[0, 9], [255, 255]], np.uint8))
    >>> sums.hidden.tolist(), sums.shown_means()[1].tolist()
    ([0.0, 1.0, 0.0], [7.5, 8.5, 9.5])
    """
    h, w = labels.shape
    area, rows, cols = np.zeros(n + 1), np.zeros(n + 1), np.zeros(n + 1)
    color = np.zeros((n + 1, 3))
    hidden = np.zeros(n + 1) if alpha is not None and not alpha.all() else None
    hidden_color = None if hidden is None else np.zeros((n + 1, 3))
    col_index = np.tile(np.arange(w, dtype=np.float64), _BAND_ROWS)
    for start in range(0, h, _BAND_ROWS):
        band = labels[start:start + _BAND_ROWS]
        flat = band.ravel().astype(np.intp)
        pixels = rgb[start:start + _BAND_ROWS].reshape(-1, 3)
        totals, sums = group_sums(pixels, flat, n + 1)
        area += totals
        color += sums
        row_index = np.repeat(np.arange(start, start + band.shape[0], dtype=np.float64), w)
        rows += np.bincount(flat, weights=row_index, minlength=n + 1)
        cols += np.bincount(flat, weights=col_index[:flat.size], minlength=n + 1)
        if hidden is not None and hidden_color is not None:
            off = np.flatnonzero(alpha[start:start + _BAND_ROWS].ravel() == 0)
            totals, sums = group_sums(pixels[off], flat[off], n + 1)
            hidden += totals
            hidden_color += sums
    return RegionSums(area, color, rows, cols, hidden, hidden_color)


class InputStats(NamedTuple):
    """Per-label statistics of an input's own values (before a stretch) over each label's
    visible pixels (alpha above 0), label 0..n by row: ``(n + 1,)`` or ``(n + 1, c)``
    float64, ``c`` 1 for a grey input and 3 for a colour one. What ``mean_input``,
    ``std_input``, ``min_input`` and ``max_input`` are made of (:func:`input_value_stats`),
    merged into clusters as :class:`RegionSums` are.

    ``squares`` are of the values less ``shift``, one value of the image, so that a large
    offset common to the image (a float scene's 300 K) is taken off before squaring, not
    after; integer values are not shifted, and their sums are exact as :class:`RegionSums`'.
    """

    count: np.ndarray
    """Visible pixels of each label."""
    total: np.ndarray
    """Sums of their values, ``(n + 1, c)``."""
    squares: np.ndarray
    """Sums of the squares of their values less ``shift``, ``(n + 1, c)``."""
    low: np.ndarray
    """Their smallest value, ``(n + 1, c)`` (inf of a label of none)."""
    high: np.ndarray
    """Their largest value, ``(n + 1, c)`` (-inf of a label of none)."""
    shift: np.ndarray
    """``(c,)``, taken off every value before ``squares``."""

    def means(self) -> np.ndarray:
        """Mean ``(n + 1, c)`` of each label's visible values (0 of a label of none)."""
        return self.total / np.maximum(self.count, 1.0)[:, None]

    def stds(self) -> np.ndarray:
        """Standard deviation ``(n + 1, c)`` of each label's visible values, of the values
        themselves (NumPy's ``std``, ``ddof=0``; 0 of a label of none)."""
        n = np.maximum(self.count, 1.0)[:, None]
        centred = self.means() - self.shift
        return np.sqrt(np.maximum(self.squares / n - centred * centred, 0.0))

    def merged(self, mapping: np.ndarray, n: int) -> InputStats:
        """The statistics of new labels 0..n, ``mapping`` ``(len(count),)`` the new label of
        each old, as :meth:`RegionSums.merged` merges sums."""
        c = self.total.shape[1]
        _, sums = group_sums(np.column_stack([self.count, self.total, self.squares]),
                             mapping, n + 1)
        low = np.full((c, n + 1), np.inf)
        high = np.full((c, n + 1), -np.inf)
        for ch in range(c):
            np.minimum.at(low[ch], mapping, self.low[:, ch])
            np.maximum.at(high[ch], mapping, self.high[:, ch])
        return InputStats(sums[:, 0], sums[:, 1:1 + c], sums[:, 1 + c:], low.T, high.T,
                          self.shift)


def input_value_stats(labels: np.ndarray, values: np.ndarray, n: int,
                      alpha: np.ndarray | None = None) -> InputStats:
    """:class:`InputStats` of the labels 0..n of ``labels`` (H, W) over ``values``, the
    input's own values before a stretch (:attr:`quantize.io.LoadedImage.stretch_values`:
    ``(H, W)`` grey, one channel, or ``(H, W, 3)``, of any real dtype), of the pixels
    ``alpha`` ((H, W) uint8, or None: all) shows. One pass, a band of ``_BAND_ROWS`` rows
    at a time: per-label sums (``np.bincount``) and extremes (``np.minimum.at``), no loop
    over the labels.

    >>> stats = input_value_stats(np.array([[1, 2], [1, 1]]),
    ...                           np.array([[10, 70000], [20, 30]], np.uint32), 2)
    >>> stats.means()[1:, 0].tolist(), stats.stds()[1:, 0].round(4).tolist()
    ([20.0, 70000.0], [8.165, 0.0])
    >>> stats.low[1:, 0].tolist(), stats.high[1:, 0].tolist()
    ([10.0, 70000.0], [30.0, 70000.0])
    """
    h, w = labels.shape
    c = 1 if values.ndim == 2 else values.shape[2]
    shift = (np.zeros(c) if values.dtype.kind in "uib"
             else np.asarray(values[0, 0], np.float64).reshape(c))
    count, total, squares = np.zeros(n + 1), np.zeros((n + 1, c)), np.zeros((n + 1, c))
    low, high = np.full((c, n + 1), np.inf), np.full((c, n + 1), -np.inf)
    for start in range(0, h, _BAND_ROWS):
        flat = labels[start:start + _BAND_ROWS].ravel().astype(np.intp)
        pixels = values[start:start + _BAND_ROWS].reshape(-1, c).astype(np.float64)
        if alpha is not None:
            shown = alpha[start:start + _BAND_ROWS].ravel() != 0
            flat, pixels = flat[shown], pixels[shown]
        totals, sums = group_sums(pixels, flat, n + 1)
        count += totals
        total += sums
        _, sums = group_sums((pixels - shift) ** 2, flat, n + 1)
        squares += sums
        for ch in range(c):
            np.minimum.at(low[ch], flat, pixels[:, ch])
            np.maximum.at(high[ch], flat, pixels[:, ch])
    return InputStats(count, total, squares, low.T, high.T, shift)


def mean_color_image(labels: np.ndarray, rgb: np.ndarray, n: int, *,
                     sums: RegionSums | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8 image with each region filled with its mean colour.

    ``sums``: :func:`region_sums` of ``labels`` and ``rgb``, when the caller has them.
    """
    sums = region_sums(labels, rgb, n) if sums is None else sums
    return mean_color_table(sums)[labels]


def mean_color_table(sums: RegionSums) -> np.ndarray:
    """``(n + 1, 3)`` uint8 mean colour of each region of ``sums`` (of its visible pixels,
    :meth:`RegionSums.shown_means`), by label, rounded (a mean of exactly .5 to the even
    one, as ``np.rint``); row 0 as ``sums.shown_means()`` has it."""
    return np.clip(np.rint(sums.shown_means()), 0, 255).astype(np.uint8)


# flat_color_table's step through the 24-bit colours: odd, so label -> colour is one to one
# for the 2**24 labels; 2**24 / golden ratio, so that the red of labels next in number
# differs by 97 to 158 of 255 (a golden-ratio step round the circle), as green and blue
# step by 0x37 and 0x79 (with carries).
_FLAT_STEP = 0x9E3779


def flat_color_table(n: int) -> np.ndarray:
    """``(n + 1, 3)`` uint8 flat colour of each label 1..n (row 0 black, unused): the code
    ``label * 0x9E3779`` modulo 2**24 as ``r << 16 | g << 8 | b``. Every label has a colour
    of its own (for up to 2**24 labels), the same in every run, and labels next in number
    (neighbours, often, as labels are numbered in raster order) differ strongly.

    >>> flat_color_table(3).tolist()
    [[0, 0, 0], [158, 55, 121], [60, 110, 242], [218, 166, 107]]
    """
    codes = (np.arange(n + 1, dtype=np.int64) * _FLAT_STEP) & 0xFFFFFF
    return unpack_rgb(codes)


def draw_overlay(rgb: np.ndarray, boundaries: np.ndarray,
                 color: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
    """A copy of ``rgb`` with the ``boundaries`` pixels painted in ``color``."""
    out = rgb.copy()
    out[boundaries] = color
    return out


def shown_alpha(alpha: np.ndarray | None) -> np.ndarray | None:
    """An image's ``alpha`` for the pictures drawn on its pixels, or None when every pixel
    is opaque (they are RGB then, as for an input without alpha)."""
    if alpha is None or alpha.min(initial=255) == 255:
        return None
    return alpha


def border_alpha(alpha: np.ndarray | None, boundaries: np.ndarray) -> np.ndarray | None:
    """The alpha of an overlay (``overlay.png``): the image's ``alpha`` (``(H, W)`` uint8,
    or None for RGB), 255 on the ``boundaries`` pixels, as the borders are drawn opaque.

    A border pixel is the left or upper one of a change, so the left and upper sides of a
    shape cut out of a transparent background are drawn on transparent pixels: with the
    image's alpha there, half of its outline did not show.

    >>> border_alpha(np.array([[0, 0, 255]], np.uint8), np.array([[0, 1, 1]], bool)).tolist()
    [[0, 255, 255]]
    """
    if alpha is None:
        return None
    return np.where(boundaries, np.uint8(255), alpha)


def region_stats(labels: np.ndarray, rgb: np.ndarray, clusters: np.ndarray,
                 n: int, *, sums: RegionSums | None = None, exact: bool = False,
                 stretch_range: tuple[float, float] | None = None,
                 pixel_size: tuple[float, float] | None = None,
                 input_stats: InputStats | None = None,
                 input_levels: bool = False) -> list[dict[str, Any]]:
    """One JSON-ready record per region 1..n.

    Each has ``label``, ``cluster``, ``area`` (pixels), ``perimeter`` (the region's pixels
    on its edge, :func:`region_perimeters`), ``bbox`` as
    ``[row_min, col_min, row_max, col_max]`` with exclusive maxima, ``centroid``
    as ``[row, col]`` (two decimals), ``inner_point`` as ``[row, col]``, a pixel of the
    region farthest from its edge (:func:`inner_points`), ``mean_color`` as ``[r, g, b]``
    (0-255, one decimal; of the visible pixels, :meth:`RegionSums.shown_means`) and
    ``segmented_color``, that mean rounded to integers as :func:`mean_color_table` draws
    it; with ``exact``, ``centroid`` and ``mean_color`` unrounded. With ``stretch_range``,
    ``mean_input`` after ``mean_color`` (:func:`input_mean`), and with ``input_stats``
    (:func:`input_value_stats`) ``std_input``, ``min_input`` and ``max_input`` after it
    (:func:`input_table`; of the 8-bit levels mapped back, with ``input_levels``). With
    ``pixel_size`` (x, y
    in micrometres), ``area_um2`` and ``perimeter_um`` after ``segmented_color``
    (:func:`physical_size`). A region none of whose
    pixels is visible has ``"transparent": true`` last, and its ``mean_color``,
    ``*_input`` fields and ``segmented_color`` None (:func:`colour_fields`: it has no colour
    to measure, but the stand-in it was segmented as). ``sums``: :func:`region_sums` of
    ``labels`` and ``rgb`` (and the image's alpha), when the caller has them. Prior
    validation is assumed.

    >>> labels, rgb = np.array([[1, 1, 2], [1, 2, 2]], np.int32), np.zeros((2, 3, 3), np.uint8)
    >>> region_stats(labels, rgb, np.array([0, 1]), 2)[0]["centroid"]
    [0.33, 0.33]
    >>> region_stats(labels, rgb, np.array([0, 1]), 2, exact=True)[0]["centroid"]
    [0.3333333333333333, 0.3333333333333333]
    """
    from scipy import ndimage

    sums = region_sums(labels, rgb, n) if sums is None else sums
    means, colours = sums.shown_means(), mean_color_table(sums)
    inputs = (None if input_stats is None or stretch_range is None
              else input_table(input_stats, stretch_range, input_levels))
    boxes = ndimage.find_objects(labels, max_label=n)
    inside = _inside(labels)
    perimeters = region_perimeters(labels, n, inside=inside)
    points = inner_points(labels, n, inside=inside)
    del inside
    visible = sums.area if sums.hidden is None else sums.area - sums.hidden
    shown = (lambda v, _: float(v)) if exact else (lambda v, places: round(float(v), places))
    records = []
    for lab in range(1, n + 1):
        box = boxes[lab - 1]
        a = int(sums.area[lab])
        record = {
            "label": lab,
            "cluster": int(clusters[lab - 1]),
            "area": a,
            "perimeter": int(perimeters[lab]),
            "bbox": [box[0].start, box[1].start, box[0].stop, box[1].stop],
            "centroid": [shown(float(sums.rows[lab]) / a, 2),
                         shown(float(sums.cols[lab]) / a, 2)],
            "inner_point": points[lab].tolist(),
            **colour_fields(means[lab], bool(visible[lab]), stretch_range, exact,
                            _row(inputs, lab)),
            "segmented_color": colours[lab].tolist() if visible[lab] else None,
            **physical_size(a, int(perimeters[lab]), pixel_size, exact),
        }
        if visible[lab] == 0:
            record["transparent"] = True
        records.append(record)
    return records


def colour_fields(mean: np.ndarray, visible: bool,
                  stretch_range: tuple[float, float] | None, exact: bool = False,
                  inputs: dict[str, np.ndarray] | None = None
                  ) -> dict[str, list[float] | None]:
    """``{"mean_color": [r, g, b]}`` (0..255, one decimal; unrounded with ``exact``) of
    ``mean``, a region's or cluster's mean colour, with ``stretch_range`` ``mean_input``
    after it (:func:`input_mean`), and ``std_input``, ``min_input`` and ``max_input``
    (:func:`input_spread`) when ``inputs``, the region's row of :func:`input_table`,
    gives them; each None when none of its pixels is ``visible`` (a
    transparent region's mean is the stand-in colour it was segmented as, no colour of
    the input's).

    >>> colour_fields(np.array([255.0, 0.0, 127.54]), True, (0.0, 510.0))
    {'mean_color': [255.0, 0.0, 127.5], 'mean_input': [510.0, 0.0, 255.08]}
    >>> colour_fields(np.array([0.0, 0.0, 255.0]), False, (0.0, 510.0))
    {'mean_color': None, 'mean_input': None}
    """
    if not visible:
        names = () if stretch_range is None else ("mean_input",) if inputs is None \
            else INPUT_FIELDS
        return {"mean_color": None, **dict.fromkeys(names)}
    shown = float if exact else (lambda v: round(float(v), 1))
    return {"mean_color": [shown(v) for v in mean],
            **input_mean(mean, stretch_range, exact,
                         None if inputs is None else inputs["mean_input"]),
            **({} if inputs is None else input_spread(inputs, exact))}


#: The fields of a region's or cluster's statistics in the input's own values, in order.
INPUT_FIELDS = ("mean_input", "std_input", "min_input", "max_input")


def input_mean(mean: np.ndarray, stretch_range: tuple[float, float] | None,
               exact: bool = False, input_values: np.ndarray | None = None
               ) -> dict[str, list[float]]:
    """``{"mean_input": [r, g, b]}`` of a region of an image stretched from
    ``stretch_range`` (the input's values read as 0 and 255): ``input_values``, the mean
    of its input values (:func:`input_table`), when given; else its exact mean colour
    ``mean`` (0..255) mapped back, ``low + mean * (high - low) / 255`` (a linear
    stretch's inverse, of levels rounded to 8 bits); to 6 significant digits (unrounded
    with ``exact``); ``{}`` when ``stretch_range`` is None (not stretched).

    >>> input_mean(np.array([255.0, 0.0, 127.5]), (227.0, 1968.0))
    {'mean_input': [1968.0, 227.0, 1097.5]}
    >>> input_mean(np.array([255.0, 0.0, 127.5]), (227.0, 1968.0), False,
    ...            np.array([1968.0, 227.0, 1000.25]))
    {'mean_input': [1968.0, 227.0, 1000.25]}
    >>> input_mean(np.array([1.0, 2.0, 3.0]), None)
    {}
    """
    if stretch_range is None:
        return {}
    low, high = stretch_range
    values = (low + np.asarray(mean, dtype=np.float64) * ((high - low) / 255.0)
              if input_values is None else np.asarray(input_values, dtype=np.float64))
    return {"mean_input": _significant(values, exact)}


def input_spread(inputs: dict[str, np.ndarray], exact: bool = False
                 ) -> dict[str, list[float]]:
    """``std_input``, ``min_input`` and ``max_input`` of ``inputs``, a region's row of
    :func:`input_table`: lists of one value of a grey input, of three ``[r, g, b]`` of a
    colour one, to 6 significant digits (unrounded with ``exact``).

    >>> input_spread({"std_input": np.array([2.0 / 3.0]), "min_input": np.array([1000.0]),
    ...               "max_input": np.array([1002.0])})
    {'std_input': [0.666667], 'min_input': [1000.0], 'max_input': [1002.0]}
    """
    return {name: _significant(inputs[name], exact) for name in INPUT_FIELDS[1:]}


def _significant(values: np.ndarray, exact: bool) -> list[float]:
    """``values`` as floats, to 6 significant digits unless ``exact``."""
    return [float(v) if exact else float(f"{v:.6g}") for v in values]


def input_table(stats: InputStats, stretch_range: tuple[float, float],
                levels: bool = False) -> dict[str, np.ndarray]:
    """The statistics in the input's own values of each label of ``stats``
    (:func:`input_value_stats`), by field name (:data:`INPUT_FIELDS`): ``mean_input``
    ``(n + 1, 3)`` (a grey input's mean three times, as it has always been written) and
    ``std_input``, ``min_input`` and ``max_input`` ``(n + 1, c)``, ``c`` 1 of a grey input.
    With ``levels``, ``stats`` are of the 8-bit levels of an image stretched linearly from
    ``stretch_range`` (the input's values not known), mapped back as :func:`input_mean`
    maps a mean.

    >>> stats = input_value_stats(np.array([[1, 1]]), np.array([[0, 255]], np.uint8), 1)
    >>> {k: v[1].tolist() for k, v in input_table(stats, (100.0, 610.0), True).items()}
    {'mean_input': [355.0, 355.0, 355.0], 'std_input': [255.0], 'min_input': [100.0], \
'max_input': [610.0]}
    """
    means, stds, low, high = stats.means(), stats.stds(), stats.low, stats.high
    if levels:
        start, stop = stretch_range
        step = (stop - start) / 255.0
        means, stds, low, high = start + means * step, stds * step, start + low * step, \
            start + high * step
    return dict(zip(INPUT_FIELDS, (np.broadcast_to(means, (means.shape[0], 3)), stds, low,
                                   high), strict=True))


def _row(table: dict[str, np.ndarray] | None, label: int) -> dict[str, np.ndarray] | None:
    """Row ``label`` of each array of ``table`` (:func:`input_table`), or None."""
    return None if table is None else {name: column[label] for name, column in table.items()}


def physical_size(area: int, perimeter: int, pixel_size: tuple[float, float] | None,
                  exact: bool = False) -> dict[str, float]:
    """``{"area_um2": ..., "perimeter_um": ...}`` of a region of ``area`` pixels and
    ``perimeter`` edge pixels (:func:`region_perimeters`) whose pixels are ``pixel_size``
    (x, y) micrometres: the area times a pixel's, and the perimeter's count times a pixel's
    side (the square root of its area, of pixels not square), a count in micrometres as
    ``perimeter`` is one in pixels, not a length along a smooth outline; to 6
    significant digits (unrounded with ``exact``). ``{}`` when ``pixel_size`` is None.

    >>> physical_size(100, 36, (0.65, 0.65))
    {'area_um2': 42.25, 'perimeter_um': 23.4}
    >>> physical_size(100, 36, None)
    {}
    """
    if pixel_size is None:
        return {}
    x, y = pixel_size
    values = {"area_um2": area * x * y, "perimeter_um": perimeter * math.sqrt(x * y)}
    return {key: float(v) if exact else float(f"{v:.6g}") for key, v in values.items()}


def cluster_stats(sums: RegionSums, clusters: np.ndarray, k: int, *,
                  exact: bool = False, stretch_range: tuple[float, float] | None = None,
                  input_stats: InputStats | None = None,
                  input_levels: bool = False) -> list[dict[str, Any]]:
    """One JSON-ready record per cluster 0..k-1 that some region is in, in cluster order.

    Each has ``cluster``, ``regions`` (how many), ``area`` (their pixels), ``fraction``
    (``area`` over the image's pixels, 6 decimals; unrounded with ``exact``), when some
    pixel of the image is hidden (alpha 0: no data, transparent) ``valid_fraction`` (their
    visible pixels over the image's visible pixels, rounded alike: a class's share of the
    land a scene shows, which ``fraction``'s denominator of every pixel understates) and
    ``mean_color``, the mean of their visible pixels as :func:`region_stats` works a
    region's out (one decimal; unrounded with ``exact``), with ``stretch_range``
    ``mean_input`` after it (:func:`input_mean`), and with ``input_stats``, the regions'
    :func:`input_value_stats` (of the levels, with ``input_levels``), ``std_input``,
    ``min_input`` and ``max_input`` after that, of the cluster's visible pixels
    (:func:`input_table`), and ``"transparent": true`` last
    when none of them is visible, its ``mean_color`` and ``*_input`` then None
    (:func:`colour_fields`). ``sums``: :func:`region_sums` of the regions,
    ``clusters`` ``(n,)`` the cluster of each region 1..n. Prior validation is assumed.

    >>> sums = region_sums(np.array([[1, 2, 3]]), np.array([[[0, 0, 0], [9, 9, 9], [3, 0, 0]]],
    ...                    np.uint8), 3)
    >>> cluster_stats(sums, np.array([1, 0, 1]), 2)[1]
    {'cluster': 1, 'regions': 2, 'area': 2, 'fraction': 0.666667, 'mean_color': [1.5, 0.0, 0.0]}
    >>> hid = region_sums(np.array([[1, 2, 3]]), np.zeros((1, 3, 3), np.uint8), 3,
    ...                   np.array([[255, 0, 255]], np.uint8))
    >>> [(c["fraction"], c["valid_fraction"]) for c in cluster_stats(hid, np.array([0, 1, 0]), 2)]
    [(0.666667, 1.0), (0.333333, 0.0)]
    """
    mapping = np.concatenate([[0], clusters.astype(np.intp) + 1])
    merged = sums.merged(mapping, k)
    means = merged.shown_means()
    inputs = (None if input_stats is None or stretch_range is None
              else input_table(input_stats.merged(mapping, k), stretch_range, input_levels))
    visible = merged.area if merged.hidden is None else merged.area - merged.hidden
    regions = np.bincount(clusters, minlength=k)
    total, shown = int(merged.area[1:].sum()), int(visible[1:].sum())
    records = []
    for c in np.flatnonzero(regions):
        record = {"cluster": int(c), "regions": int(regions[c]), "area": int(merged.area[c + 1]),
                  "fraction": _fraction(int(merged.area[c + 1]), total, exact)}
        if merged.hidden is not None:
            record["valid_fraction"] = _fraction(int(visible[c + 1]), shown, exact)
        record.update(colour_fields(means[c + 1], bool(visible[c + 1]), stretch_range, exact,
                                    _row(inputs, c + 1)))
        if visible[c + 1] == 0:
            record["transparent"] = True
        records.append(record)
    return records


def _fraction(area: int, total: int, exact: bool) -> float:
    """``area / total``, rounded to 6 decimals unless ``exact``; 0 of an empty image."""
    share = area / total if total else 0.0
    return share if exact else round(share, 6)


def region_perimeters(labels: np.ndarray, n: int, *, inside: np.ndarray | None = None
                      ) -> np.ndarray:
    """``(n + 1,)`` int64 perimeter of each region 1..n of ``labels`` (H, W) (row 0 unused,
    0): how many of its pixels lie on its edge, with a 4-neighbour (above, below, left or
    right) of another region or on the image's edge, the pixels :func:`inner_points`
    measures from. A lone pixel's is 1, a 3 x 3 square's inside the image 8, an image of
    one region ``2 * (H + W) - 4``. An inner border (a hole, another region inside) counts
    as the outer one does. ``inside``: :func:`_inside` of ``labels``, when the caller has it.

    A count of pixels, not a length: a border along a row or column counts one pixel a
    pixel of length, a diagonal staircase one for about 1.41 (scikit-image's
    ``regionprops`` ``perimeter`` estimates the length, of one region at a time).

    >>> region_perimeters(np.array([[1, 1, 1, 1], [1, 2, 2, 1], [1, 1, 1, 1]]), 2).tolist()
    [0, 10, 2]
    """
    inside = _inside(labels) if inside is None else inside
    counts = np.zeros(n + 1, dtype=np.int64)
    for start in range(0, labels.shape[0], _BAND_ROWS):
        band = slice(start, start + _BAND_ROWS)
        counts += np.bincount(labels[band][~inside[band]], minlength=n + 1)[:n + 1]
    counts[0] = 0
    return counts


def _inside(labels: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the pixels of ``labels`` whose four neighbours are all in their own
    region (none on the image's edge)."""
    inside = np.zeros(labels.shape, dtype=bool)
    core = inside[1:-1, 1:-1]
    core[...] = labels[1:-1, 1:-1] == labels[:-2, 1:-1]
    core &= labels[1:-1, 1:-1] == labels[2:, 1:-1]
    core &= labels[1:-1, 1:-1] == labels[1:-1, :-2]
    core &= labels[1:-1, 1:-1] == labels[1:-1, 2:]
    return inside


def inner_points(labels: np.ndarray, n: int, *, inside: np.ndarray | None = None
                 ) -> np.ndarray:
    """``(n + 1, 2)`` int64 ``[row, col]`` of a pixel of each region 1..n of ``labels``
    (H, W) farthest from the region's edge (row 0 unused): the centre of the largest square
    inside it, the maximum of the chessboard distance to the nearest pixel on an edge (one
    with a 4-neighbour of another region, or on the image's edge), the first in raster
    order among equals. A point to write a region's name or number at, inside it where its
    centroid may not be (a ring, a U). ``inside``: :func:`_inside` of ``labels``, when the
    caller has it.

    The chessboard distance, where a number's box is square, costs 12 bytes a pixel at its
    peak and 0.1 s on 3 MP (the Euclidean one 33 bytes and 1 s); the maxima are found a
    band of rows at a time.

    >>> inner_points(np.array([[1, 1, 1, 1], [1, 2, 2, 2], [1, 1, 1, 1]]), 2)[1:].tolist()
    [[0, 0], [1, 1]]
    """
    from scipy import ndimage

    distance = ndimage.distance_transform_cdt(_inside(labels) if inside is None else inside,
                                              metric="chessboard")
    farthest = np.full(n + 1, -1, dtype=distance.dtype)
    for start in range(0, labels.shape[0], _BAND_ROWS):
        band = slice(start, start + _BAND_ROWS)
        np.maximum.at(farthest, labels[band].ravel(), distance[band].ravel())
    first = np.full(n + 1, labels.size, dtype=np.int64)
    for start in range(0, labels.shape[0], _BAND_ROWS):
        band = slice(start, start + _BAND_ROWS)
        at = np.flatnonzero(distance[band].ravel() == farthest[labels[band].ravel()])
        np.minimum.at(first, labels[band].ravel()[at], at + start * labels.shape[1])
    first[0] = 0
    return np.column_stack(np.divmod(first, labels.shape[1]))
