"""The bare reducer that bench_reduce times as a floor does the job it stands for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

BARE = Path(__file__).resolve().parents[1] / "benchmarks" / "bare_reduce.py"


def _run(src: Path, k: int, passes: int, out: Path) -> np.ndarray:
    subprocess.run([sys.executable, str(BARE), str(src), str(k), str(passes), str(out)],
                   check=True, capture_output=True)
    with Image.open(out) as image:
        assert image.mode == "P"
        return np.asarray(image.convert("RGB"))


def test_four_colours_at_k_4_come_back_exactly(tmp_path):
    rgb = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [9, 9, 9]]], np.uint8)
    Image.fromarray(np.repeat(np.repeat(rgb, 3, 0), 5, 1)).save(tmp_path / "in.png")
    out = _run(tmp_path / "in.png", 4, 1, tmp_path / "out.png")
    np.testing.assert_array_equal(out, np.repeat(np.repeat(rgb, 3, 0), 5, 1))


def test_two_clusters_are_found_and_drawn_by_their_weighted_means(tmp_path):
    # Dark pixels 10 and 20 (three of 20 for one of 10), light 200 and 220 (even):
    # after a few passes the centres are 17.5 and 210, whatever the seeding drew.
    rows = [[10, 20, 20, 20, 200, 220]] * 2
    gray = np.array(rows, np.uint8)
    Image.fromarray(np.stack([gray] * 3, axis=-1)).save(tmp_path / "in.png")
    out = _run(tmp_path / "in.png", 2, 5, tmp_path / "out.png")
    expected = np.where(gray < 100, 18, 210).astype(np.uint8)  # 17.5 rounds to even: 18
    np.testing.assert_array_equal(out[..., 0], expected)
