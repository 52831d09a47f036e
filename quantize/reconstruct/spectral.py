"""Spectral border strength of a region adjacency graph (gPb's globalisation, on superpixels).

Arbelaez et al. (2011) sharpen a local border detector with the eigenvectors
of a pixel affinity graph: those of the smallest eigenvalues of its
normalised Laplacian are nearly constant inside coherent areas and change
where the graph is weakly linked, so their jumps mark the borders that
separate large parts of the image. Here the graph's nodes are superpixels,
a few hundred instead of a few hundred thousand pixels, which makes the
eigenvectors cheap: a border between superpixels ``a`` and ``b`` gets

    sum_k |v_k(a) - v_k(b)| / sqrt(lambda_k),

over the ``k`` generalized eigenvectors ``(D - W) v = lambda D v`` after the
constant one, scaled so that the strongest border is 1.

The eigenvectors come from a Lanczos iteration on the inverse of the shifted
normalised Laplacian (one sparse LU factorisation): its largest eigenvalues
are the Laplacian's smallest, well apart, so a few dozen steps settle them.
The iteration stays on vectors (no small dense BLAS calls, which a
multi-threaded BLAS makes slow on a loaded machine, as with ARPACK).

Functions here assume validated input.
"""

from __future__ import annotations

import numpy as np

__all__ = ["spectral_border_strength"]

# Shift of the normalised Laplacian before inverting it (its eigenvalues are in
# [0, 2]; the smallest ones of a superpixel graph are about 0.002 to 0.02).
_SHIFT = 1e-3
# Lanczos steps; 24 give the first 8 eigenvectors of BSDS500 superpixel graphs
# to the precision of ARPACK at tolerance 1e-4.
_STEPS = 24


def spectral_border_strength(n: int, pairs: np.ndarray, affinity: np.ndarray,
                             n_vectors: int) -> np.ndarray:
    """Spectral strength ``(E,)`` float64 in [0, 1] of each edge of a connected graph.

    Parameters
    ----------
    n : int
        Number of nodes, ``0 .. n-1``.
    pairs : (E, 2) ndarray of intp
        The edges, each once; every node is on one (the graph is connected).
    affinity : (E,) ndarray of float64
        Positive weight of each edge: how strongly its two nodes belong together.
    n_vectors : int
        Eigenvectors used (fewer on a graph of fewer than ``n_vectors + 1`` nodes).

    Examples
    --------
    A chain of four nodes whose middle link is weak breaks there:

    >>> pairs = np.array([[0, 1], [1, 2], [2, 3]])
    >>> [round(float(v), 2) for v in spectral_border_strength(4, pairs,
    ...                                                       np.array([1.0, 0.1, 1.0]), 1)]
    [0.05, 1.0, 0.05]
    """
    if pairs.shape[0] == 0:
        return np.zeros(0)
    solve, scale, constant = _shifted_inverse(n, pairs, affinity)
    vectors, values = _lanczos(solve, constant, min(_STEPS, n - 1), n_vectors)
    generalized = vectors * scale[:, None]
    jumps = np.abs(generalized[pairs[:, 0]] - generalized[pairs[:, 1]])
    strength = (jumps / np.sqrt(values)).sum(axis=1)
    top = strength.max()
    return strength / top if top > 0 else strength


def _shifted_inverse(n: int, pairs: np.ndarray, affinity: np.ndarray):
    """``x -> ((1 + shift) I - D^-1/2 W D^-1/2)^-1 x``, ``D^-1/2`` and the unit constant vector.

    The constant vector of the generalized problem is ``D^1/2 1`` in the
    normalised one (eigenvalue 0).
    """
    from scipy.sparse import coo_matrix, identity
    from scipy.sparse.linalg import splu

    degree = np.bincount(pairs[:, 0], affinity, n) + np.bincount(pairs[:, 1], affinity, n)
    scale = 1.0 / np.sqrt(degree)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    weights = np.concatenate([affinity, affinity]) * scale[rows] * scale[cols]
    normalised = coo_matrix((weights, (rows, cols)), shape=(n, n))
    factor = splu((identity(n) * (1.0 + _SHIFT) - normalised).tocsc())
    constant = np.sqrt(degree)
    return factor.solve, scale, constant / np.linalg.norm(constant)


def _lanczos(solve, constant: np.ndarray, steps: int, k: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` eigenvectors ``(n, k)`` of the smallest eigenvalues after the constant one.

    Lanczos on ``solve`` (the shifted inverse) within the space orthogonal to
    ``constant``, with full reorthogonalisation; the start vector is fixed, so
    the result is deterministic. Returns the vectors and the Laplacian's
    eigenvalues ``(k,)`` (at least a tiny positive number).
    """
    n = constant.shape[0]
    basis = np.zeros((steps + 1, n))
    start = np.random.default_rng(0).standard_normal(n)
    start -= (start @ constant) * constant
    basis[0] = start / np.linalg.norm(start)
    alpha, beta = np.zeros(steps), np.zeros(steps)
    for j in range(steps):
        w = solve(basis[j])
        w -= (w @ constant) * constant
        alpha[j] = w @ basis[j]
        for _ in range(2):  # Gram-Schmidt twice keeps the basis orthogonal
            coef = np.einsum("ij,j->i", basis[: j + 1], w)  # einsum: no threaded BLAS call
            w -= np.einsum("ij,i->j", basis[: j + 1], coef)
        beta[j] = np.sqrt(w @ w)
        if beta[j] <= 1e-9 * np.abs(alpha[: j + 1]).max():  # an invariant space: done
            steps = j + 1
            break
        basis[j + 1] = w / beta[j]
    from scipy.linalg import eigh_tridiagonal

    theta, ritz = eigh_tridiagonal(alpha[:steps], beta[: steps - 1])
    top = np.argsort(theta)[::-1][:k]
    vectors = np.einsum("ij,ik->jk", basis[:steps], ritz[:, top])
    values = np.maximum(1.0 / theta[top] - _SHIFT, np.finfo(np.float64).tiny)
    return vectors, values
