"""quantize.reconstruct.regions: small regions merged into their closest neighbour."""

from __future__ import annotations

import numpy as np

from quantize.reconstruct.regions import merge_small_regions


def test_small_region_joins_the_closest_neighbour():
    regions = np.array([[1, 1, 2, 3, 3],
                        [1, 1, 2, 3, 3]])
    # Region 2 (2 pixels) is nearer to region 3's mean than to region 1's.
    means = np.array([[0.0], [0.0], [0.8], [1.0]])
    mapping = merge_small_regions(regions, 3, means, min_region=3)
    assert mapping[regions].tolist() == [[1, 1, 2, 2, 2], [1, 1, 2, 2, 2]]


def test_merging_never_joins_two_large_regions():
    regions = np.array([[1, 1, 2, 3, 3, 3]])
    means = np.array([[0.0], [0.0], [0.5], [1.0]])
    mapping = merge_small_regions(regions, 3, means, min_region=2)
    assert mapping.tolist() == [0, 1, 1, 2]
