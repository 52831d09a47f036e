"""quantize.reconstruct.hierarchy: superpixel adjacency, merge order, cuts and heights."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.reconstruct.hierarchy import (
    Hierarchy,
    MergeCost,
    adjacency,
    build_hierarchy,
    enlarged_border_map,
)
from quantize.segment import _build_hierarchy
from quantize.texture import lab_planes

from .segment_support import quadrants


def _weights():
    from quantize.features import check_weights

    return check_weights(None)


def test_coarser_cuts_are_unions_of_finer_ones(rng):
    img = rng.integers(0, 256, (48, 64, 3)).astype(np.uint8)
    img[:, 32:] //= 3
    tree = _build_hierarchy(lab_planes(img), _weights())
    cuts = [tree.cut(n) for n in (30, 12, 5, 2, 1)]
    for fine, coarse in zip(cuts[:-1], cuts[1:], strict=True):
        # Each fine region maps to exactly one coarse region.
        pairs = np.unique(np.stack([fine, coarse], axis=1), axis=0)
        assert np.unique(pairs[:, 0]).size == pairs.shape[0]


def test_heights_never_decrease(rng):
    img, _ = quadrants(rng, noise=20.0)
    heights = _build_hierarchy(lab_planes(img), _weights()).heights
    assert (np.diff(heights) >= 0).all()


def _merges_recosting_every_pair(labels, features, strength, cost):
    """The merge order and heights with every adjacent pair of regions re-costed at each step."""
    n = int(labels.max()) + 1
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n).astype(float)
    sums = np.stack([np.bincount(flat, weights=f, minlength=n)
                     for f in features.reshape(flat.size, -1).T], axis=1)
    pairs, length, edge = adjacency(labels, strength)
    region = np.arange(n)  # current node of each superpixel
    area, sums = list(area), list(sums)
    merges, heights, level = [], [], 0.0
    for node in range(n, 2 * n - 1):
        borders = {}
        for (a, b), ln, es in zip(pairs, length, edge, strict=True):
            key = tuple(sorted((region[a], region[b])))
            if key[0] != key[1]:
                total = borders.setdefault(key, [0.0, 0.0])
                total[0] += ln
                total[1] += es
        costs = {}
        for (a, b), (ln, es) in borders.items():
            d = sums[a] / area[a] - sums[b] / area[b]
            costs[(a, b)] = (np.sqrt(d @ d + cost.edge * (es / ln) ** 2)
                             * (min(area[a], area[b]) / cost.total_area) ** cost.size_power)
        a, b = min(costs, key=costs.get)
        level = max(level, costs[(a, b)])
        merges.append((a, b))
        heights.append(level)
        area.append(area[a] + area[b])
        sums.append(sums[a] + sums[b])
        region[(region == a) | (region == b)] = node
    return merges, heights


def test_merge_order_is_that_of_recosting_every_pair(rng):
    # Random superpixels (a 6 x 8 grid of 3 x 3 cells, some joined) with random features
    # and edges: the heap with its cached size factors merges in the order that re-costing
    # every pair at each step gives, at the same heights.
    labels = np.repeat(np.repeat(np.arange(48).reshape(6, 8), 3, axis=0), 3, axis=1)
    labels[labels % 7 == 3] -= 1
    labels = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
    features = rng.normal(0.0, 10.0, labels.shape + (4,))
    strength = rng.random(labels.shape) * 20.0
    cost = MergeCost(1.2, 0.15, float(labels.size))
    tree = build_hierarchy(labels, features, strength, cost)
    merges, heights = _merges_recosting_every_pair(labels, features, strength, cost)
    assert [tuple(sorted(m)) for m in tree.merges.tolist()] == merges
    np.testing.assert_allclose(tree.heights, heights, rtol=1e-9)


def test_adjacency_counts_border_lengths_and_edge_sums():
    labels = np.array([[0, 0, 1],
                       [2, 2, 1]])
    strength = np.array([[0.0, 1.0, 2.0],
                         [3.0, 4.0, 5.0]])
    pairs, length, edge = adjacency(labels, strength)
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 2]]
    assert length.tolist() == [1.0, 2.0, 1.0]
    # Each neighbour pair adds the mean strength of its two pixels: (1 + 2) / 2 for 0|1,
    # (0 + 3) / 2 + (1 + 4) / 2 for 0/2, (4 + 5) / 2 for 2|1.
    assert edge.tolist() == [1.5, 4.0, 4.5]


def test_cuts_heights_and_border_strength_of_a_hand_made_tree():
    tree = Hierarchy(labels=np.array([[0, 1, 2]], np.int32),
                     merges=np.array([[0, 1], [3, 2]]), heights=np.array([0.5, 2.0]),
                     pairs=np.array([[0, 1], [1, 2]]), pair_heights=np.array([0.5, 2.0]),
                     pair_lengths=np.array([1.0, 1.0]), pair_edges=np.array([3.0, 4.0]))
    assert tree.n_leaves == 3
    assert len(set(tree.cut(3).tolist())) == 3
    two = tree.cut(2)
    assert two[0] == two[1] != two[2]
    assert len(set(tree.cut(1).tolist())) == 1
    assert np.array_equal(tree.cut(0), tree.cut(1))  # at least one region
    assert [tree.regions_below(h) for h in (0.5, 1.0, 2.0, 5.0)] == [3, 2, 2, 1]
    assert tree.border_strength().tolist() == [[0.5, 2.0, 0.0]]
    assert tree.border_strength(np.array([0.25, 0.75])).tolist() == [[0.25, 0.75, 0.0]]


def _enlarged(tree, values, rows, cols):
    """The border map of ``tree``'s superpixels enlarged by ``rows`` and ``cols``, each pixel
    taking the larger of its pairs' ``values``, as ``boundary_map(closed=True)`` draws it."""
    right, below = (np.append(values, 0.0)[pair] for pair in tree.border_pairs())
    return enlarged_border_map(right, below, np.maximum(right, below), rows, cols)


def test_border_map_of_an_enlarged_map_is_one_pixel_wide_and_keeps_the_larger_pair():
    # Superpixels 0 | 1 over 2 (a 2 x 2 map) enlarged to 5 x 7: map rows 0, 0, 1, 1, 1 and
    # columns 0, 0, 0, 1, 1, 1, 1. Pixel (1, 2) has both pairs: it keeps the larger, 0.75.
    tree = Hierarchy(labels=np.array([[0, 1], [2, 2]], np.int32),
                     merges=np.array([[0, 1], [3, 2]]), heights=np.array([0.5, 0.75]),
                     pairs=np.array([[0, 1], [0, 2], [1, 2]]),
                     pair_heights=np.array([0.5, 0.75, 0.75]),
                     pair_lengths=np.ones(3), pair_edges=np.ones(3))
    values = np.array([0.5, 0.75, 0.25])
    right, below = tree.border_pairs()
    assert (right.tolist(), below.tolist()) == ([[0, -1], [-1, -1]], [[1, 2], [-1, -1]])
    out = _enlarged(tree, values, np.array([0, 0, 1, 1, 1]), np.array([0, 0, 0, 1, 1, 1, 1]))
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 0, 0.5, 0, 0, 0, 0],
                            [0.75, 0.75, 0.75, 0.25, 0.25, 0.25, 0.25],
                            [0, 0, 0, 0, 0, 0, 0],
                            [0, 0, 0, 0, 0, 0, 0],
                            [0, 0, 0, 0, 0, 0, 0]]
    # Not enlarged: the map itself, as border_strength draws it.
    where, value = tree.border_values(values)
    assert (where.tolist(), value.tolist()) == ([0, 1], [0.75, 0.25])


def test_border_map_of_a_map_not_enlarged_is_its_corner_values(rng):
    # Each pixel is its own box: its last column, last row and corner are all the pixel,
    # painted last with the corner value.
    right, below, corner = rng.random((3, 4, 5))
    out = enlarged_border_map(right, below, corner, np.arange(4), np.arange(5))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, corner.astype(np.float32))
    out[0, 0] = -1.0
    assert corner[0, 0] >= 0.0  # a copy


@pytest.mark.parametrize("paint_band", [1, 5, 1 << 20])
def test_border_map_of_an_enlarged_map_is_that_of_the_map_enlarged_whole(rng, monkeypatch,
                                                                         paint_band):
    # The reference enlarges the superpixel map itself and finds its borders there: each
    # pixel whose right or lower neighbour differs takes the larger value of those pairs.
    from quantize.reconstruct import hierarchy

    monkeypatch.setattr(hierarchy, "_PAINT_BAND_PIXELS", paint_band)
    for _ in range(20):
        h, w = (int(v) for v in rng.integers(1, 9, 2))
        labels = rng.integers(0, 4, (h, w))
        labels = np.unique(labels, return_inverse=True)[1].reshape(h, w).astype(np.int32)
        n = int(labels.max()) + 1
        pairs, _, _ = adjacency(labels, np.zeros((h, w)))
        tree = Hierarchy(labels, np.zeros((n - 1, 2), np.intp), np.zeros(n - 1), pairs,
                         np.zeros(len(pairs)), np.ones(len(pairs)), np.ones(len(pairs)))
        values = rng.random(len(pairs))
        rows = np.repeat(np.arange(h), rng.integers(1, 4, h))
        cols = np.repeat(np.arange(w), rng.integers(1, 4, w))
        big = labels[rows][:, cols]
        index = {(int(a), int(b)): e for e, (a, b) in enumerate(pairs)}
        expected = np.zeros(big.shape)
        for y, x in np.ndindex(big.shape):
            for ny, nx in ((y, x + 1), (y + 1, x)):
                if ny < big.shape[0] and nx < big.shape[1] and big[y, x] != big[ny, nx]:
                    pair = index[tuple(sorted((int(big[y, x]), int(big[ny, nx]))))]
                    expected[y, x] = max(expected[y, x], values[pair])
        np.testing.assert_array_equal(_enlarged(tree, values, rows, cols),
                                      expected.astype(np.float32))


def test_border_values_of_several_columns_keep_the_larger_of_each_on_its_own():
    # Map 0 | 1 over 2: pixel (0, 0) is on pairs (0, 1) and (0, 2), pixel (0, 1) on
    # (1, 2). Column 0 is largest on pair (0, 2), column 1 on pair (0, 1), so pixel
    # (0, 0) takes each column from another pair; one column alone gives the same.
    tree = Hierarchy(labels=np.array([[0, 1], [2, 2]], np.int32),
                     merges=np.array([[0, 1], [3, 2]]), heights=np.array([0.5, 0.75]),
                     pairs=np.array([[0, 1], [0, 2], [1, 2]]),
                     pair_heights=np.array([0.5, 0.75, 0.75]),
                     pair_lengths=np.ones(3), pair_edges=np.ones(3))
    values = np.array([[0.5, 3.0], [0.75, 1.0], [0.25, 2.0]])
    where, value = tree.border_values(values)
    assert where.tolist() == [0, 1]
    assert value.tolist() == [[0.75, 3.0], [0.25, 2.0]]
    for k in (0, 1):
        assert tree.border_values(values[:, k])[1].tolist() == value[:, k].tolist()


def test_border_values_of_a_single_superpixel_are_empty():
    tree = Hierarchy(labels=np.zeros((2, 3), np.int32), merges=np.empty((0, 2), np.intp),
                     heights=np.empty(0), pairs=np.empty((0, 2), np.intp),
                     pair_heights=np.empty(0), pair_lengths=np.empty(0), pair_edges=np.empty(0))
    where, value = tree.border_values(np.empty(0))
    assert where.tolist() == [] and value.shape == (0,)
    assert not _enlarged(tree, np.empty(0), np.array([0, 0, 1, 1]),
                         np.array([0, 0, 1, 1, 2, 2])).any()
    where, value = tree.border_values(np.empty((0, 3)))
    assert where.tolist() == [] and value.shape == (0, 3)
    assert not tree.border_strength().any()
