"""benchmarks/bench_flat_bytes.py: the flat set it measures is what it says."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image

from .segment_support import load_benchmark


def test_the_flat_set_is_of_14_images_of_40_to_300_colours_the_same_every_run(tmp_path):
    bench = load_benchmark("bench_flat_bytes")
    paths = bench.make_set(tmp_path, None)
    assert [p.stem for p in paths] == list(bench.MAKERS) and len(paths) == 14
    for path in paths:
        with Image.open(path) as im:
            assert 40 <= bench.colours(np.asarray(im.convert("RGB"))) <= 300, path.stem
    for i in (0, 11):  # a dashboard's text, a pixel map's tiles: drawn from the seed alone
        name = list(bench.MAKERS)[i]
        make, levels = bench.MAKERS[name]
        with Image.open(paths[i]) as im:
            np.testing.assert_array_equal(np.asarray(make(random.Random(i), levels)),
                                          np.asarray(im))
