"""segment with n_clusters: fewer clusters than asked are said, and numbered without a gap."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from quantize.features import AlphaIgnoredWarning
from quantize.segment import ClusterCountWarning, RegionCountWarning, segment


def test_two_colours_at_three_clusters_warn_and_give_classes_0_and_1():
    img = np.zeros((40, 40, 3), np.uint8)
    img[:, 20:] = (200, 30, 30)
    with pytest.warns(ClusterCountWarning) as caught:
        result = segment(img, 3, seed=0)
    assert [str(w.message) for w in caught] == [
        "n_clusters=3 but no border between some of the 3 clusters k-means found shows a "
        "change in colour or texture, so they are united into 2 clusters: the image shows "
        "only 2 colours"]
    assert result.centers.shape[0] == 2
    assert np.unique(result.cluster_map()).tolist() == [0, 1]
    assert result.cluster_map()[0, 0] != result.cluster_map()[0, 39]


def _stripes_with_red_specks() -> np.ndarray:
    """64 x 64: four black and white stripes, 12 single red pixels scattered over them."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, 16:32] = 255
    img[:, 48:] = 255
    rng = np.random.default_rng(0)
    img[rng.integers(2, 62, 12), rng.integers(2, 62, 12)] = (255, 0, 0)
    return img


def test_a_cluster_the_smoothing_empties_is_said():
    """k-means gives the red specks a cluster, the majority smoothing removes every pixel
    of it, and four regions remain of the two others: the cluster was lost unsaid. (It is
    the last, so its centre stays: the others are 0..1 already.)"""
    with pytest.warns(ClusterCountWarning) as caught:
        result = segment(_stripes_with_red_specks(), 3, weights={"xy": 0, "texture": 0},
                         seed=0)
    assert [str(w.message) for w in caught] == [
        "n_clusters=3: 1 of the 3 clusters k-means found keeps no region once the majority "
        "smoothing and the min_region merges ran, so the other 2 are numbered 0..1; "
        "smooth=0 and min_region=0 keep every cluster's regions"]
    assert result.n_regions == 4
    assert np.unique(result.cluster_map()).tolist() == [0, 1]
    assert [s["cluster"] for s in result.cluster_stats()] == [0, 1]


def test_transparent_border_leaves_no_gap_in_the_class_numbers():
    """A grey photo with transparent borders at n_clusters=4: the border refinement moved a
    transparent pixel out of their cluster, which then got a new centre, leaving the old
    one empty: classes 0, 1, 2, 3 and 5, the transparent pixels 5."""
    from skimage import data

    grey = data.camera()[::4, ::4]
    alpha = np.full(grey.shape, 255, np.uint8)
    alpha[:20] = 0
    alpha[:, :20] = 0
    rgba = np.dstack([grey, grey, grey, alpha])
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(rgba, 4, seed=4)
    classes = result.cluster_map()
    assert np.unique(classes).tolist() == list(range(result.centers.shape[0]))
    assert np.array_equal(classes == result.centers.shape[0] - 1, alpha == 0)
    assert [s["cluster"] for s in result.cluster_stats()] == list(range(5))


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_photos_at_five_clusters_keep_them_and_say_nothing(name):
    """Guards against the warnings above firing on ordinary photos (passes before them too)."""
    from skimage import data

    with warnings.catch_warnings():
        warnings.simplefilter("error", ClusterCountWarning)
        warnings.simplefilter("error", RegionCountWarning)
        result = segment(getattr(data, name)(), 5, seed=0)
    assert np.unique(result.cluster_map()).tolist() == [0, 1, 2, 3, 4]
