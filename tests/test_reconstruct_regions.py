"""quantize.reconstruct.regions: small regions merged into their closest neighbour, and the
majority smoothing that upsamples a cluster map."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from quantize.reconstruct import regions
from quantize.reconstruct.regions import merge_small_regions, smooth_label_map


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


def _vote_everywhere(labels, k, sigma, shape):
    """Every label's smoothed votes resized to ``shape`` by Pillow (bilinear); first max wins."""
    votes = []
    for c in range(k):
        v = ndimage.gaussian_filter((labels == c).astype(np.float32), sigma, mode="nearest",
                                    truncate=3.0)
        v = v if (labels == c).any() else np.full(labels.shape, -1.0, np.float32)
        votes.append(np.asarray(Image.fromarray(v, mode="F").resize(
            (shape[1], shape[0]), Image.Resampling.BILINEAR)))
    return np.argmax(votes, axis=0)


@pytest.mark.parametrize(("small", "shape", "k"), [
    ((30, 40), (90, 120), 4),    # 3x
    ((31, 47), (100, 101), 5),   # uneven scales, one label absent below
    ((20, 20), (20, 20), 3),     # same size: no interpolation
])
def test_smoothing_votes_as_if_every_pixel_were_interpolated(rng, small, shape, k):
    blocks = np.kron(rng.integers(0, k - 1, (4, 4)), np.ones((small[0] // 4 + 1,
                                                               small[1] // 4 + 1), int))
    labels = blocks[:small[0], :small[1]]
    labels = np.where(rng.random(small) < 0.1, rng.integers(0, k - 1, small), labels)
    got = smooth_label_map(labels, k, 2.0, shape)
    assert got.shape == shape and got.dtype == np.int32
    assert np.array_equal(got, _vote_everywhere(labels, k, 2.0, shape))


def test_smoothing_without_room_for_the_votes_computes_them_again(rng, monkeypatch):
    labels = np.kron(rng.integers(0, 3, (5, 5)), np.ones((6, 6), int))
    kept = smooth_label_map(labels, 4, 2.0, (70, 45))
    monkeypatch.setattr(regions, "_VOTE_MEMORY", 0)
    assert np.array_equal(smooth_label_map(labels, 4, 2.0, (70, 45)), kept)


def test_smoothing_removes_a_speck_and_keeps_a_straight_border():
    labels = np.zeros((20, 20), int)
    labels[:, 10:] = 1
    labels[5, 3] = 1
    got = smooth_label_map(labels, 2, 1.5)
    assert got[5, 3] == 0
    assert (got[:, :10] == 0).all() and (got[:, 10:] == 1).all()


@pytest.mark.parametrize(("factor", "short"), [(2, 0), (2, 1), (3, 1), (3, 2), (4, 1), (4, 3)])
@pytest.mark.parametrize("column", [4, 8, 11])
def test_upsampling_boxes_puts_each_pixel_back_in_its_box(factor, short, column):
    # labels is the map of an image box-downscaled by `factor`, its last box `short` pixels
    # short of full: a border between boxes comes back between their full-size pixels,
    # whatever the partial box (scaling by 12 / (12 * factor - short) moved it).
    labels = np.zeros((5, 12), int)
    labels[:, column:] = 1
    shape = (5 * factor - short, 12 * factor - short)
    got = smooth_label_map(labels, 2, 1.0, shape, factor=factor)
    assert (got == (np.arange(shape[1]) >= column * factor)).all()
    got = smooth_label_map(labels.T, 2, 1.0, shape[::-1], factor=factor)
    assert (got.T == (np.arange(shape[1]) >= column * factor)).all()
