"""quantize.reconstruct.spectral: spectral border strength of a region graph."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import eigh

from quantize.reconstruct.spectral import spectral_border_strength


def _dense_strength(n, pairs, affinity, k):
    """The same strength from a dense generalized eigensolver."""
    w = np.zeros((n, n))
    w[pairs[:, 0], pairs[:, 1]] = affinity
    w[pairs[:, 1], pairs[:, 0]] = affinity
    degree = np.diag(w.sum(axis=1))
    values, vectors = eigh(degree - w, degree)
    jumps = np.abs(vectors[pairs[:, 0], 1:k + 1] - vectors[pairs[:, 1], 1:k + 1])
    strength = (jumps / np.sqrt(values[1:k + 1])).sum(axis=1)
    return strength / strength.max()


def _grid_graph(rows, cols):
    index = np.arange(rows * cols).reshape(rows, cols)
    right = np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1)
    down = np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)
    return np.concatenate([right, down])


@pytest.mark.parametrize("k", [1, 3, 8])
def test_matches_a_dense_eigensolver_on_a_random_grid(rng, k):
    pairs = _grid_graph(12, 15)
    affinity = rng.uniform(0.05, 1.0, pairs.shape[0])
    ours = spectral_border_strength(180, pairs, affinity, k)
    # 24 Lanczos steps: the eighth vector of this graph is good to about 1e-5.
    np.testing.assert_allclose(ours, _dense_strength(180, pairs, affinity, k), atol=1e-4)


def test_a_weak_link_between_two_groups_is_the_strongest_border():
    # Two 4-node cliques joined by one weak link (3, 4).
    clique = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    pairs = np.array(clique + [(a + 4, b + 4) for a, b in clique] + [(3, 4)])
    affinity = np.ones(pairs.shape[0])
    affinity[-1] = 0.05
    strength = spectral_border_strength(8, pairs, affinity, 1)
    assert strength[-1] == 1.0
    assert strength[:-1].max() < 0.05
    assert (strength >= 0).all()


def test_tiny_graphs():
    assert spectral_border_strength(2, np.array([[0, 1]]), np.array([0.3]), 8).tolist() == [1.0]
    assert spectral_border_strength(1, np.empty((0, 2), np.intp), np.empty(0), 8).shape == (0,)
    # A uniform chain of three nodes: both links equal, fewer vectors than asked for.
    chain = spectral_border_strength(3, np.array([[0, 1], [1, 2]]), np.ones(2), 8)
    np.testing.assert_allclose(chain, [1.0, 1.0])


def test_deterministic_and_inputs_untouched(rng):
    pairs = _grid_graph(6, 7)
    affinity = rng.uniform(0.1, 1.0, pairs.shape[0])
    before = (pairs.copy(), affinity.copy())
    first = spectral_border_strength(42, pairs, affinity, 4)
    assert np.array_equal(first, spectral_border_strength(42, pairs, affinity, 4))
    np.testing.assert_array_equal(pairs, before[0])
    np.testing.assert_array_equal(affinity, before[1])
