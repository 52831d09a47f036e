"""Superpixels by local k-means: SLIC's clustering, written as block matrix products.

SLIC (Achanta et al. 2012) is k-means on colour and position in which each
centre only competes for the pixels within a window around it, so that the
clusters stay small and their borders hug the image's edges. Here the image
is cut into square cells of side ``S``, one centre per cell to start with, and
every pixel of a cell is assigned to the nearest of the centres of its own and
the eight surrounding cells (the centres move, the candidate lists do not).
Because all pixels of a cell share their nine candidates, one pass is a stack
of small matrix products, ``(S*S, d) @ (d, 9)`` per cell, instead of a loop
over centres. The centres are then the mean of their pixels; a few passes
settle them.

A cluster can end up in several pieces; ``connected_superpixels`` numbers the
4-connected pieces and merges pieces under a quarter of a cell into the
adjacent piece of closest mean colour.
"""

from __future__ import annotations

import math

import numpy as np

from ._kernels import group_means, group_sums

__all__ = ["connected_superpixels", "local_kmeans"]

# Offsets of the nine cells whose centres compete for a cell's pixels.
_NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def local_kmeans(planes: np.ndarray, step: int, compactness: float,
                 n_iter: int = 4, n_sparse: int = 0) -> np.ndarray:
    """Local k-means cluster ``(H, W)`` int32 of each pixel, one cluster per ``step`` cell.

    Parameters
    ----------
    planes : (c, H, W) ndarray of float32
        Per-pixel features (e.g. Lab); prior validation is assumed.
    step : int
        Cell side ``S`` in pixels (>= 1).
    compactness : float
        Weight of position: a distance of ``S`` pixels counts as much as a
        feature difference of ``compactness``.
    n_iter : int
        Assignment / update passes.
    n_sparse : int
        How many of the passes (the first ones) see only every second pixel
        of every second row, a quarter of the pixels, on cells of side 4 or
        more: the centres settle nearly as well at a quarter of the cost.
        The final assignment always sees every pixel.

    Returns
    -------
    (H, W) ndarray of int32
        Cluster index, ``0 .. gy * gx - 1`` with ``gy, gx`` the cell grid
        (some may be empty).
    """
    c, h, w = planes.shape
    gy, gx = -(-h // step), -(-w // step)
    blocks, valid = _blocks(planes, step, compactness)  # (gy*gx, S*S, d), (gy*gx, S*S)
    centers = _block_means(blocks, valid)
    candidates = _candidates(gy, gx)  # (gy*gx, 9)
    n_sparse = min(n_sparse, n_iter) if step >= 4 else 0
    if n_sparse:
        even = np.arange(step) % 2 == 0
        quarter = (even[:, None] & even[None, :]).ravel()
        _settle(blocks[:, quarter], valid[:, quarter], centers, candidates, n_sparse)
    _settle(blocks, valid, centers, candidates, n_iter - n_sparse)
    assign = _assign(blocks, centers, candidates)
    grid = assign.reshape(gy, gx, step, step).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(grid.reshape(gy * step, gx * step)[:h, :w]).astype(np.int32)


def _settle(blocks: np.ndarray, valid: np.ndarray, centers: np.ndarray,
            candidates: np.ndarray, n_iter: int) -> None:
    """``n_iter`` assignment / update passes over the pixels of ``blocks``; moves ``centers``."""
    if n_iter <= 0:
        return
    flat = np.asfortranarray(blocks[valid], dtype=np.float64)  # columns ready for bincount
    for _ in range(n_iter):
        assign = _assign(blocks, centers, candidates)
        counts, sums = group_sums(flat, assign[valid], centers.shape[0])
        filled = counts > 0
        centers[filled] = (sums[filled] / counts[filled, None]).astype(np.float32)


def _blocks(planes: np.ndarray, step: int, compactness: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Features with scaled position, cut into cells: ``(cells, S*S, c + 2)`` and a valid mask."""
    c, h, w = planes.shape
    gy, gx = -(-h // step), -(-w // step)
    ph, pw = gy * step, gx * step
    scale = np.float32(compactness / step)
    feats = np.empty((ph, pw, c + 2), dtype=np.float32)
    for j in range(c):
        feats[:, :, j] = np.pad(planes[j], ((0, ph - h), (0, pw - w)), mode="edge")
    feats[:, :, c] = np.arange(ph, dtype=np.float32)[:, None] * scale
    feats[:, :, c + 1] = np.arange(pw, dtype=np.float32)[None, :] * scale
    valid = np.zeros((ph, pw), dtype=bool)
    valid[:h, :w] = True
    cells = feats.reshape(gy, step, gx, step, c + 2).transpose(0, 2, 1, 3, 4)
    mask = valid.reshape(gy, step, gx, step).transpose(0, 2, 1, 3)
    return (np.ascontiguousarray(cells).reshape(gy * gx, step * step, c + 2),
            np.ascontiguousarray(mask).reshape(gy * gx, step * step))


def _block_means(blocks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean feature of the valid pixels of each cell, ``(cells, d)`` float32."""
    n = np.maximum(valid.sum(axis=1), 1)
    return (np.einsum("bpd,bp->bd", blocks, valid.astype(np.float32)) / n[:, None]
            ).astype(np.float32)


def _candidates(gy: int, gx: int) -> np.ndarray:
    """Indices ``(gy*gx, 9)`` of the centres of each cell's 3 x 3 neighbourhood (clipped)."""
    rows, cols = np.divmod(np.arange(gy * gx), gx)
    return np.stack([np.clip(rows + dy, 0, gy - 1) * gx + np.clip(cols + dx, 0, gx - 1)
                     for dy, dx in _NEIGHBOURS], axis=1)


def _assign(blocks: np.ndarray, centers: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Nearest candidate centre ``(cells, S*S)`` of every pixel of every cell.

    Ranks the candidates by ``|c|^2 - 2 x.c``, the squared distance less the
    pixel's own ``|x|^2``, which is the same for all of them.
    """
    cand = centers[candidates]  # (cells, 9, d)
    dist = np.matmul(blocks, cand.transpose(0, 2, 1))  # (cells, S*S, 9)
    dist *= -2.0
    dist += np.einsum("bkd,bkd->bk", cand, cand)[:, None, :]
    best = dist.argmin(axis=2)  # (cells, S*S), 0..8: into candidates flattened, row by row
    best += np.arange(0, candidates.size, candidates.shape[1])[:, None]
    return candidates.ravel()[best]


def connected_superpixels(clusters: np.ndarray, planes: np.ndarray, min_size: int
                          ) -> tuple[np.ndarray, int]:
    """Split clusters into 4-connected pieces and merge pieces under ``min_size`` pixels.

    Returns an ``(H, W)`` int32 map numbered ``0 .. n-1`` and ``n``.
    """
    from .reconstruct import regions

    pieces, n = regions.connected_regions(clusters)
    means, _ = group_means(planes.reshape(planes.shape[0], -1).T, pieces.ravel(), n + 1)
    mapping = regions.merge_small_regions(pieces, n, means, min_size)
    labels = (mapping[pieces] - 1).astype(np.int32)
    return labels, int(mapping.max())


def cell_step(shape: tuple[int, int], n_segments: int) -> int:
    """Cell side giving about ``n_segments`` cells on an image of ``shape``."""
    return max(2, int(round(math.sqrt(shape[0] * shape[1] / max(n_segments, 1)))))
