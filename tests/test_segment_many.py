"""quantize.segment: regions=N for many regions. The sliver merging that the search for a
cut repeats (_merge_slivers) decides each region once, however many cuts and rounds meet
it, and asks the pixel tests only of the regions that bounds leave; it must give what
deciding every region in every round gave (the reference below)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from quantize import segment
from quantize._kernels import group_sums, spread
from quantize.features import check_weights
from quantize.reconstruct import regions as _regions
from quantize.texture import lab_planes

S = importlib.import_module("quantize.segment")  # the module: quantize.segment is a function


def _reference_merge_slivers(tree, leaves, region_of):
    """_merge_slivers as it was written first: every region decided in every round, its
    neighbours found by a scan of all the borders."""
    for _ in range(S._SLIVER_ROUNDS):
        n = int(region_of.max()) + 1
        count = np.bincount(region_of, leaves.count, minlength=n)
        mean = group_sums(leaves.sums, region_of, n)[1] / count[:, None]
        spreads = spread(mean, group_sums(leaves.squares, region_of, n)[1] / count[:, None])
        thin = S._thin_regions(region_of.astype(np.int32)[tree.labels], n)
        members = np.split(np.argsort(region_of, kind="stable"),
                           np.cumsum(np.bincount(region_of, minlength=n)[:-1]))
        a, b = region_of[tree.pairs[:, 0]], region_of[tree.pairs[:, 1]]
        src, dst = np.concatenate([a, b]), np.concatenate([b, a])
        links = []
        for s in range(n):
            neighbours = np.unique(dst[(src == s) & (dst != s)])
            if thin[s]:
                t = S._mixed_of(mean, s, neighbours)
            else:
                t = S._side_of_thick(leaves, members[s], mean, spreads, count, s, neighbours)
            if t is not None:
                links.append((s, t))
        if not links:
            break
        ends = np.array(links, dtype=np.intp)
        region_of = _regions.linked_components(ends[:, 0], ends[:, 1], n)[region_of]
    return region_of


def _flat_shapes(seed, resample, size=(96, 72)):
    """Flat rectangles and ellipses, some with black outlines, drawn at 4x and
    downsampled: anti-aliased edges, slivers along them, and thicker pieces of mixes."""
    rng = np.random.default_rng(seed)
    big = Image.new("RGB", (size[0] * 4, size[1] * 4), tuple(rng.integers(0, 256, 3).tolist()))
    draw = ImageDraw.Draw(big)
    for _ in range(7):
        x0, y0 = rng.integers(0, size[0] * 4 - 60, 2).tolist()
        box = [x0, y0, x0 + int(rng.integers(30, 160)), y0 + int(rng.integers(30, 160))]
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        outline = (0, 0, 0) if rng.random() < 0.3 else None
        shape(box, fill=tuple(rng.integers(0, 256, 3).tolist()), outline=outline, width=8)
    return np.asarray(big.resize(size, resample))


def _photo_crop():
    skimage_data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(skimage_data.chelsea()[40:136, 150:278])


@pytest.mark.parametrize("image", [
    lambda: _flat_shapes(0, Image.LANCZOS), lambda: _flat_shapes(3, Image.BOX), _photo_crop])
def test_merge_slivers_gives_what_deciding_every_region_gave(image):
    img = image()
    tree = S._build_hierarchy(lab_planes(img), check_weights(None), small_image=True)
    leaves = S._leaf_colours(tree, img)
    # cuts in the order a search tries them: one, finer ones, back between, one again
    first = tree.n_leaves // 3
    cuts = [first, first + 12, first + 6, first + 9, first + 12]
    merged, decided = 0, 0
    for cut in cuts:
        region_of = tree.cut(cut)
        expected = _reference_merge_slivers(tree, leaves, region_of)
        np.testing.assert_array_equal(S._merge_slivers(tree, leaves, region_of), expected)
        merged += int(region_of.max()) - int(expected.max())
        decided += int(region_of.max()) + 1
    assert merged >= len(cuts)  # slivers (and thicker mixes) merged
    assert len(leaves.joins) < decided  # regions met again (in later rounds too) not decided


@pytest.mark.parametrize("n", [40, 120, 220])
def test_many_regions_are_exactly_n_and_the_regions_the_reference_cuts(monkeypatch, n):
    img = _photo_crop()
    result = segment(img, regions=n)
    assert result.n_regions == n
    assert np.unique(result.labels).tolist() == list(range(1, n + 1))
    monkeypatch.setattr(S, "_merge_slivers", _reference_merge_slivers)
    np.testing.assert_array_equal(segment(img, regions=n).labels, result.labels)
