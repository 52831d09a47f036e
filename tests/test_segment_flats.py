"""Flats: each region in a colour of its own (SegmentResult.flat_colors, flat_color_image,
flats.png), for line art whose closed white areas segmented.png paints all near white."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from quantize import segment
from quantize.reconstruct.regions import flat_color_table
from quantize.segment_file import segment_file


def _line_art() -> np.ndarray:
    """60 x 80 white, two boxes and a ring in 2-pixel black lines: 4 white areas
    (outside, inside the first box, inside the second around the ring, inside the ring)."""
    page = Image.new("RGB", (80, 60), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([4, 4, 36, 54], outline="black", width=2)
    draw.rectangle([44, 4, 76, 54], outline="black", width=2)
    draw.ellipse([50, 14, 70, 44], outline="black", width=2)
    return np.asarray(page)


def _neighbour_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """The pairs of labels that touch, left-right or up-down."""
    pairs = set()
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        change = a != b
        pairs |= set(zip(a[change].tolist(), b[change].tolist(), strict=True))
    return pairs


def test_every_closed_area_of_line_art_gets_a_colour_of_its_own():
    img = _line_art()
    before = img.copy()
    result = segment(img, 2, weights={"xy": 0, "texture": 0}, min_region=0, smooth=0, seed=0)
    flats = result.flat_color_image()
    assert result.n_regions == 7  # 4 white areas, 3 lines: the two boxes and the ring
    assert len(np.unique(result.mean_color_image().reshape(-1, 3), axis=0)) == 2
    colours = np.unique(flats.reshape(-1, 3), axis=0)
    assert len(colours) == result.n_regions
    table = result.flat_colors()
    np.testing.assert_array_equal(flats, table[result.labels])
    for a, b in _neighbour_pairs(result.labels):
        assert np.abs(table[a].astype(int) - table[b]).max() >= 60, (a, b)
    np.testing.assert_array_equal(img, before)


def test_the_flat_colours_are_fixed_by_label_and_one_to_one():
    assert flat_color_table(3).tolist() == [[0, 0, 0], [158, 55, 121], [60, 110, 242],
                                            [218, 166, 107]]
    table = flat_color_table(65535)
    codes = (table[1:, 0].astype(np.int64) << 16 | table[1:, 1].astype(np.int64) << 8
             | table[1:, 2])
    assert np.unique(codes).size == 65535
    red_steps = np.abs(np.diff(table[1:, 0].astype(int)))
    assert np.minimum(red_steps, 256 - red_steps).min() >= 97


def test_segment_file_writes_flats_png(tmp_path):
    path = tmp_path / "lines.png"
    Image.fromarray(_line_art()).save(path)
    record = segment_file(path, tmp_path / "out", n_clusters=2, min_region=0, smooth=0,
                          weights={"xy": 0, "texture": 0})
    assert "flats.png" in record["outputs"]
    labels = np.asarray(Image.open(tmp_path / "out" / "labels.png")).astype(np.int64)
    with Image.open(tmp_path / "out" / "flats.png") as picture:
        assert picture.mode == "RGB"
        flats = np.asarray(picture)
    np.testing.assert_array_equal(flats, flat_color_table(int(labels.max()))[labels])
