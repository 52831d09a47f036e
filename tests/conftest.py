"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize.batch import FileResult
from quantize.reduce import reduce_file

from .reduce_support import COLOURS
from .report_support import BROKEN_REASON, quadrants


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded Generator, fresh for every test, so tests are reproducible and independent."""
    return np.random.default_rng(20240611)


# --------------------------------------------------------------------------
# Reduce: test_reduce_file_job.py and test_reduce_shared.py
# --------------------------------------------------------------------------


@pytest.fixture
def photo(tmp_path, rng):
    """A small noisy RGB PNG with six colour bands."""
    bands = np.repeat(COLOURS, 6, axis=0)[:, None, :].repeat(40, axis=1)
    image = np.clip(bands + rng.normal(0, 6, bands.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


# --------------------------------------------------------------------------
# Report: test_report_page.py and test_report_thumbnails.py
# --------------------------------------------------------------------------


@pytest.fixture
def batch(tmp_path: Path) -> tuple[list[FileResult], Path]:
    """Three reduced photos (real reduce_file records) and one unreadable file."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    results = []
    for i, name in enumerate(["alpha.png", "bravo.jpg", "charlie.png"]):
        Image.fromarray(np.roll(quadrants(), 5 * i, axis=1)).save(src / name)
        record = reduce_file(src / name, out / f"{Path(name).stem}.png", n_colors=3 + i, seed=0)
        results.append(FileResult(src / name, out / f"{Path(name).stem}.png", "ok", "", record))
    (src / "broken.png").write_text("not an image")
    results.append(FileResult(src / "broken.png", out / "broken.png", "failed", BROKEN_REASON,
                              {"seconds": 0.01}))
    return results, tmp_path


# --------------------------------------------------------------------------
# Segment: test_segment_file.py and test_cli_segment.py
# --------------------------------------------------------------------------


@pytest.fixture
def photo_path(tmp_path, rng):
    """A 60 x 90 PNG: three colour bands with noise and a textured patch."""
    img = np.zeros((60, 90, 3), dtype=np.float64)
    img[:, :30] = (180, 60, 50)
    img[:, 30:60] = (60, 150, 70)
    img[:, 60:] = (70, 80, 190)
    img[20:40, 65:85] += rng.normal(0, 40, (20, 20, 3))
    img += rng.normal(0, 6, img.shape)
    path = tmp_path / "photo.png"
    Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8)).save(path)
    return path
