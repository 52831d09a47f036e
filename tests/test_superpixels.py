"""quantize.superpixels: superpixels by local k-means, made connected."""

from __future__ import annotations

from quantize.superpixels import cell_step, connected_superpixels, local_kmeans

from .segment_support import step_image


def test_superpixels_stay_on_one_side_of_a_step(rng):
    img = step_image(shape=(48, 64), column=30, noise=3.0, rng=rng)
    from quantize.features import lab_planes

    lab = lab_planes(img)
    step = cell_step(img.shape[:2], 40)
    labels, n = connected_superpixels(local_kmeans(lab, step, 10.0), lab, 4)
    assert labels.min() == 0 and labels.max() == n - 1
    left, right = set(labels[:, :31].ravel()), set(labels[:, 31:].ravel())
    assert not left & right
