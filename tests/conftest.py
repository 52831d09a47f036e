"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded Generator, fresh for every test, so tests are reproducible and independent."""
    return np.random.default_rng(20240611)
