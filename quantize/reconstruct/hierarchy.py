"""A hierarchy of region merges over superpixels, its cuts and its border map.

Starting from superpixels (``quantize.superpixels``), adjacent regions are
merged two at a time, always the pair with the smallest merge cost (see
``_merge_all``), until one region is left. The cost of a merge grows with how
different the two regions' mean features are (colour, texture), how strong the
image's edges are along their shared border, and their sizes, so uniform areas
merge early and strong, long borders last. Each merge gets a height, the
largest cost met so far, which makes the heights non-decreasing: cutting the
hierarchy at any height gives a segmentation, and every coarser cut is a union
of regions of the finer ones.

The border map (an ultrametric contour map) gives each border pixel between
two superpixels the height at which they became one region; thresholding it
at ``t`` draws exactly the borders of the cut at ``t``.

Functions here assume validated input.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from .._kernels import group_sums, row_bands
from .regions import label_changes

__all__ = ["Hierarchy", "adjacency", "build_hierarchy", "enlarged_border_map", "large_cut"]


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """Superpixels and the order in which they merge.

    Attributes
    ----------
    labels : (H, W) ndarray of int32
        Superpixel of each pixel, ``0 .. n-1``.
    merges : (n - 1, 2) ndarray of intp
        The two nodes joined by each merge, in order; merge ``i`` creates node
        ``n + i`` (nodes ``0 .. n-1`` are the superpixels), as in SciPy's linkage.
    heights : (n - 1,) ndarray of float64
        Height of each merge, non-decreasing.
    pairs : (E, 2) ndarray of intp
        Adjacent superpixel pairs ``a < b``.
    pair_heights : (E,) ndarray of float64
        Height at which each pair became one region.
    pair_lengths, pair_edges : (E,) ndarray of float64
        Length of each pair's border and the edge strength summed along it
        (see :func:`adjacency`).
    """

    labels: np.ndarray
    merges: np.ndarray
    heights: np.ndarray
    pairs: np.ndarray
    pair_heights: np.ndarray
    pair_lengths: np.ndarray
    pair_edges: np.ndarray

    @property
    def n_leaves(self) -> int:
        return int(self.merges.shape[0] + 1)

    def cut(self, n_regions: int) -> np.ndarray:
        """Region ``(n,)`` intp of each superpixel when ``n_regions`` remain (0-based)."""
        n = self.n_leaves
        keep = n - max(1, min(n_regions, n))
        return _apply_merges(self.merges[:keep], n)

    def regions_below(self, height: float) -> int:
        """Number of regions left after the merges strictly lower than ``height``."""
        return self.n_leaves - int(np.searchsorted(self.heights, height, side="left"))

    def join_heights(self, pairs: np.ndarray) -> np.ndarray:
        """Height ``(m,)`` of the merge that first puts the two superpixels of each of
        ``pairs`` ``(m, 2)`` (two different superpixels, adjacent or not) in one region:
        for an adjacent pair, its ``pair_heights`` entry.

        >>> tree = Hierarchy(np.zeros((1, 3), np.int32), np.array([[0, 1], [3, 2]]),
        ...                  np.array([1.0, 5.0]), *(np.empty(0),) * 4)
        >>> tree.join_heights(np.array([[0, 1], [0, 2], [2, 1]])).tolist()
        [1.0, 5.0, 5.0]
        """
        n = self.n_leaves
        parent = np.full(2 * n - 1, -1, dtype=np.intp)
        parent[self.merges.ravel()] = np.repeat(np.arange(n, 2 * n - 1), 2)
        heights = np.empty(pairs.shape[0], dtype=np.float64)
        for i, (a, b) in enumerate(pairs.tolist()):
            above = set()
            while a >= 0:
                above.add(a)
                a = parent[a]
            while b not in above:
                b = parent[b]
            heights[i] = self.heights[b - n]
        return heights

    def border_strength(self, values: np.ndarray | None = None) -> np.ndarray:
        """``(H, W)`` float64 map: height at which each border pixel's two sides merge.

        A pixel carries the largest height of its right and lower neighbour
        pairs (0 where both neighbours are in its own superpixel). With
        ``values`` ``(E,)``, each pair's value instead of its height.
        """
        where, value = self.border_values(self.pair_heights if values is None else values)
        out = np.zeros(self.labels.shape, dtype=np.float64)
        out.flat[where] = value
        return out

    def border_values(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The border pixels, as flat indices (ascending), and the value of each.

        A border pixel is one whose right or lower neighbour is in another
        superpixel; it takes the larger value of those (one or two) pairs.
        ``values`` is ``(E,)``, one per pair, or ``(E, k)``: then each pixel gets
        ``k`` values, the larger of each column on its own.
        """
        right, below = (pair.ravel() for pair in self.border_pairs())
        where = np.flatnonzero((right >= 0) | (below >= 0))
        right, below = right[where], below[where]
        # A pixel on one border takes that pair's value twice.
        right, below = np.where(right >= 0, right, below), np.where(below >= 0, below, right)
        return where, np.maximum(np.take(values, right, axis=0), np.take(values, below, axis=0))

    def border_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The pair each pixel makes with its right and with its lower neighbour: ``(H, W)``
        intp each, an index into ``pairs``, or -1 where that neighbour is in the pixel's own
        superpixel (or past the map's side)."""
        labels = self.labels
        keys = self.pairs[:, 0] * self.n_leaves + self.pairs[:, 1]
        found = []
        for at, key in _border_keys(labels, self.n_leaves):
            pair = np.full(labels.size, -1, dtype=np.intp)
            pair[at] = np.searchsorted(keys, key)
            found.append(pair.reshape(labels.shape))
        return found[0], found[1]


def large_cut(tree: Hierarchy, n_regions: int, area: np.ndarray, min_area: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """A cut of ``tree`` into at most ``n_regions`` regions of at least ``min_area`` each,
    the superpixels' areas being ``area`` ``(n,)``, and the pieces glued to them.

    The merges are undone from the last, as :meth:`Hierarchy.cut` undoes them, but only
    those of two sides of ``min_area`` or more (a region more), and those of one such side
    and a smaller one: the smaller side is then a piece glued to the region of the larger,
    whose own merges may still be undone (a speck that joined a large region late does
    not keep the region whole). A merge of two smaller sides is never undone. Stops once
    ``n_regions`` regions are made, or no merge is left to undo.

    Returns
    -------
    region_of : (n,) ndarray of intp
        Each superpixel's region or glued piece, ``0 .. m-1``.
    glued : (m,) ndarray of bool
        Which of them are glued pieces (each under ``min_area``): the others, at most
        ``n_regions``, are the regions, each of ``min_area`` or more (but when the whole
        ``area`` is less), and the glued pieces lie beside them.

    >>> tree = Hierarchy(np.zeros((1, 4), np.int32), np.array([[0, 1], [4, 2], [5, 3]]),
    ...                  np.array([1.0, 2.0, 3.0]), *(np.empty(0),) * 4)
    >>> region_of, glued = large_cut(tree, 3, np.array([5.0, 5.0, 1.0, 5.0]), 4.0)
    >>> region_of.tolist(), glued.tolist()
    ([0, 3, 2, 1], [False, False, True, False])
    """
    n = tree.n_leaves
    merges = tree.merges.tolist()
    large = np.concatenate([area, np.zeros(n - 1)])
    for i, (a, b) in enumerate(merges):
        large[n + i] = large[a] + large[b]
    large = (large >= min_area).tolist()
    undone, heap, regions = [False] * (n - 1), [-(2 * n - 2)] if n > 1 else [], 1
    while heap and regions < n_regions:
        node = -heapq.heappop(heap)
        a, b = merges[node - n]
        if not (large[a] or large[b]):
            continue
        undone[node - n] = True
        regions += large[a] and large[b]
        heap.extend(-child for child in (a, b) if large[child] and child >= n)
        heapq.heapify(heap)
    return _undone_cut(merges, undone, large, n)


def _undone_cut(merges: list[list[int]], undone: list[bool], large: list[bool],
                n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`large_cut`'s regions of the ``n`` leaves once the merges ``undone`` are, and
    which are glued pieces (the side of an undone merge that is not ``large``)."""
    label = [0] * (2 * n - 1)
    glued = [False]
    for node in range(2 * n - 2, n - 1, -1):
        a, b = merges[node - n]
        if large[b] and not large[a]:  # the side of min_area keeps the node's region
            a, b = b, a
        label[a] = label[b] = label[node]
        if undone[node - n]:
            label[b] = len(glued)
            glued.append(not large[b])
    used, region_of = np.unique(label[:n], return_inverse=True)
    return region_of, np.asarray(glued)[used]


# enlarged_border_map paints a band of about this many pixels at a time.
_PAINT_BAND_PIXELS = 1 << 20


def enlarged_border_map(right: np.ndarray, below: np.ndarray, corner: np.ndarray,
                        rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The border map ``(H, W)`` float32 of a superpixel map enlarged to a larger image,
    one pixel wide.

    ``rows`` ``(H,)`` and ``cols`` ``(W,)`` are the superpixel map's row and
    column under each row and column of the image (non-decreasing, each one
    met): each pixel of the map stands for a box of the image's pixels. The
    borders are those of the map enlarged so, drawn as on the map itself (the
    pixel before a change): a pixel's border with its right neighbour runs down
    the last column of its box, and its border with its lower neighbour along
    the last row. ``right``, ``below`` and ``corner`` ``(h, w)`` give, for each
    pixel of the map, the value on the last column but its last pixel, on the
    last row but its last pixel, and at the box's last pixel (0 where there is
    no border). Painted a band at a time: no temporary of the image's size.

    Examples
    --------
    >>> one = np.ones((1, 2))
    >>> enlarged_border_map(one, 2 * one, 3 * one, np.array([0, 0]),
    ...                     np.array([0, 0, 1, 1])).tolist()
    [[0.0, 1.0, 0.0, 1.0], [2.0, 3.0, 2.0, 3.0]]
    """
    h, w = right.shape
    if rows.shape[0] == h and cols.shape[0] == w:  # each box one pixel, its own corner
        return corner.astype(np.float32)
    last_row = np.searchsorted(rows, np.arange(h), side="right") - 1
    last_col = np.searchsorted(cols, np.arange(w), side="right") - 1
    out = np.zeros((rows.shape[0], cols.shape[0]), dtype=np.float32)
    right, below = right.astype(np.float32), below.astype(np.float32)
    for band in row_bands(rows.shape[0], w, _PAINT_BAND_PIXELS):
        out[band, last_col] = right[rows[band]]
    for band in row_bands(h, cols.shape[0], _PAINT_BAND_PIXELS):
        out[last_row[band]] = below[band, cols]
    out[np.ix_(last_row, last_col)] = corner
    return out


def _apply_merges(merges: np.ndarray, n: int) -> np.ndarray:
    """Region of each leaf after ``merges``, numbered 0.. in order of the regions' nodes:
    the leaves no merge took first, by index, then the merged regions, by their last merge.

    >>> _apply_merges(np.array([[0, 1]]), 3).tolist()
    [1, 1, 0]
    """
    parent = np.arange(n + merges.shape[0])
    parent[merges[:, 0]] = parent[merges[:, 1]] = np.arange(n, parent.size)  # each merged once
    root = parent  # pointer jumping: each node at its tree's root in about log(depth) steps
    while True:
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    _, region = np.unique(root[:n], return_inverse=True)
    return region


def adjacency(labels: np.ndarray, strength: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Adjacent label pairs ``(E, 2)`` (``a < b``, sorted), border lengths and edge sums.

    Each pair of 4-neighbour pixels with different labels adds 1 to its pair's
    length and the mean of the two pixels' ``strength`` to its edge sum.
    """
    n = int(labels.max()) + 1
    flat = strength.ravel()
    keys, weights = [], []
    for (at, key), step in zip(_border_keys(labels, n), (1, labels.shape[1]), strict=True):
        keys.append(key)
        weights.append(0.5 * (flat[at] + flat[at + step]))
    key = np.concatenate(keys)
    uniq, inverse = np.unique(key, return_inverse=True)
    length = np.bincount(inverse, minlength=uniq.size).astype(np.float64)
    edge = np.bincount(inverse, weights=np.concatenate(weights), minlength=uniq.size)
    pairs = np.stack(np.divmod(uniq, n), axis=1).astype(np.intp)
    return pairs, length, edge


def _border_keys(labels: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For the right and then the lower neighbour: the pixels of ``labels`` (H, W) whose
    neighbour that way is another of its ``n`` labels (flat indices, ascending) and the key
    ``a * n + b`` (int64) of each one's pair, ``a < b`` its and its neighbour's labels."""
    flat = labels.ravel()
    found = []
    for at, step in zip(label_changes(labels), (1, labels.shape[1]), strict=True):
        a, b = flat[at], flat[at + step]
        found.append((at, np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)))
    return found


@dataclass(frozen=True)
class MergeCost:
    """Weights of the merge cost (see ``_merge_all``)."""

    edge: float
    size_power: float
    total_area: float


def build_hierarchy(labels: np.ndarray, features: np.ndarray, strength: np.ndarray,
                    params: MergeCost) -> Hierarchy:
    """Merge adjacent superpixels greedily by cost until one region remains.

    ``labels`` (H, W) numbers the superpixels ``0 .. n-1``, all connected;
    ``features`` (H, W, d) are the per-pixel vectors whose region means are
    compared; ``strength`` (H, W) is the edge strength.
    """
    n = int(labels.max()) + 1
    flat = labels.ravel()
    area, sums = group_sums(features.reshape(flat.size, -1), flat, n)
    pairs, length, edge = adjacency(labels, strength)
    pair_heights = np.zeros(pairs.shape[0])
    if n == 1:
        merges, heights = np.empty((0, 2), np.intp), np.empty(0)
    else:
        merges, heights = _merge_all(n, area, sums, pairs, length, edge, params, pair_heights)
    return Hierarchy(labels, merges, heights, pairs, pair_heights, length, edge)


def _merge_all(n, area, sums, pairs, length, edge, params, pair_heights):
    """The merge loop; fills ``pair_heights`` in place, returns merges and heights.

    The cost of merging adjacent regions ``a`` and ``b`` is
    ``sqrt(|mean_a - mean_b|^2 + edge * e^2) * s ** size_power``, with ``e`` the
    mean edge strength along their border and ``s`` the smaller region's share
    of the image: different, strongly separated and large regions merge late.
    The first pairs are costed in one go with NumPy; after each merge the new
    region's handful of neighbours are re-costed on Python floats (sizes and
    means are lists), where NumPy's per-call overhead would dominate. Each
    region's ``s ** size_power`` is worked out once, when it is made: the
    smaller region's is the smaller one.
    """
    means_np = sums / area[:, None]
    a_idx, b_idx = pairs[:, 0], pairs[:, 1]
    diff = means_np[a_idx] - means_np[b_idx]
    first = np.sqrt(np.einsum("ij,ij->i", diff, diff) + params.edge * (edge / length) ** 2)
    first *= (np.minimum(area[a_idx], area[b_idx]) / params.total_area) ** params.size_power
    heap = list(zip(first.tolist(), a_idx.tolist(), b_idx.tolist(), strict=True))
    heapq.heapify(heap)
    links: list[dict[int, list]] = [dict() for _ in range(2 * n - 1)]
    for e, (a, b, ln, es) in enumerate(zip(a_idx.tolist(), b_idx.tolist(), length.tolist(),
                                           edge.tolist(), strict=True)):
        links[a][b] = links[b][a] = [ln, es, [e]]
    root_edge, power, total = math.sqrt(params.edge), params.size_power, params.total_area
    areas = area.tolist() + [0.0] * (n - 1)
    shares = [(x / total) ** power for x in areas[:n]] + [0.0] * (n - 1)
    means = means_np.tolist() + [None] * (n - 1)
    alive = [True] * n + [False] * (n - 1)
    merges, heights, joined = [], [], []
    level = 0.0
    dist, hypot, pop, push = math.dist, math.hypot, heapq.heappop, heapq.heappush
    for node in range(n, 2 * n - 1):
        while heap:
            cost, a, b = pop(heap)
            if alive[a] and alive[b]:
                break
        else:  # disconnected superpixels (cannot happen on one image)
            raise RuntimeError("superpixel graph is not connected")
        level = max(level, cost)
        joined.append(links[a][b][2])
        alive[a] = alive[b] = False
        alive[node] = True
        area_a, area_b = areas[a], areas[b]
        areas[node] = size = area_a + area_b
        shares[node] = share = (size / total) ** power
        means[node] = mean = [(x * area_a + y * area_b) / size
                              for x, y in zip(means[a], means[b], strict=True)]
        for c, link in _join_links(links, a, b, node).items():
            push(heap, (hypot(dist(mean, means[c]), root_edge * (link[1] / link[0]))
                        * (share if size <= areas[c] else shares[c]), node, c))
        merges.append((a, b))
        heights.append(level)
    # each border pair is joined by exactly one merge
    pair_heights[np.concatenate(joined)] = np.repeat(heights, [len(e) for e in joined])
    return np.asarray(merges, dtype=np.intp), np.asarray(heights)


def _join_links(links, a: int, b: int, node: int) -> dict[int, list]:
    """Neighbour links of the union of ``a`` and ``b``, re-pointed at ``node``.

    ``a``'s links become ``node``'s; a neighbour of both keeps ``a``'s link with
    ``b``'s added to it in place (no other region holds either any more).
    """
    merged = links[a]
    del merged[b]
    for c in merged:
        link_c = links[c]
        link_c[node] = link_c.pop(a)
    for c, link in links[b].items():
        if c == a:
            continue
        link_c = links[c]
        del link_c[b]
        prev = merged.get(c)
        if prev is None:
            merged[c] = link_c[node] = link
        else:
            prev[0] += link[0]
            prev[1] += link[1]
            prev[2] += link[2]
    links[node] = merged
    links[a] = links[b] = {}
    return merged
