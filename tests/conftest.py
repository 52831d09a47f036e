"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from .reduce_support import COLOURS


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
