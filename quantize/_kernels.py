"""Numerical building blocks shared by every layer, each written once.

Private: prior validation of the data is assumed by every function here. The
callers (``kmeans``, ``reduce``, ``segment``, ``reconstruct``, ``metrics``,
``batch``) check their inputs at their own public boundary and then use:

- **nearest centre**: :func:`nearest` (labels), :func:`sq_dist_to_labels`,
  :func:`labels_sq_dist` (both), :func:`second_nearest_gap` (how much farther
  the next centre is), :func:`sq_dist_to` (to a few candidate centres, for
  seeding), :func:`shown_distance` (colours with alpha, by how they look over black
  and over white). All but :func:`nearest_few` (the few nearest, from a k-d tree, a
  shortlist to compare otherwise) are chunked matrix products ``||c||^2 - 2 x.c`` with
  one chunk rule (:func:`chunk_rows`), so no ``n x k`` matrix is built for
  large ``n``, in float32 (every image feature), or in float64 for float64 rows
  (the k-means core's float64 data, :func:`_as_work`); :func:`sq_dist_from` is
  :func:`sq_dist_to` transposed, from the same chunked products;
- **weighted group sums**: :func:`group_sums`, per-cluster weight totals and
  coordinate sums in float64 (``np.bincount`` column by column);
- **Lloyd passes** from given centres: :func:`lloyd_update` (one step),
  :func:`lloyd` (passes until few labels change) and :func:`lloyd_runs` (the
  same for several runs on small data at once);
- **24-bit colour codes**: :func:`pack_rgb`, :func:`unpack_rgb`, and a value or row per
  code (:func:`code_table`, :func:`code_rows`, :func:`sorted_code_histogram`);
- **sRGB <-> CIE Lab**: :func:`srgb_to_lab`, :func:`lab_to_srgb`, with the D65
  white of the CIE 1931 2 degree observer, ``(0.95047, 1.0, 1.08883)``, the
  values scikit-image uses (a test pins the conversion against
  ``skimage.color.rgb2lab``).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np

from . import _threads

# --------------------------------------------------------------------------
# Nearest centre
# --------------------------------------------------------------------------

# Rows per chunk are chosen so that rows x k x max(d, 8) stays below this: the
# (rows x k) float32 block then fits in L2 cache, and OpenBLAS runs each small
# product on one thread (threads that wait on a busy machine cost far more than
# they save on products this thin). The floor of 16 rows keeps that true up to
# k = 4096 columns (restarts taken together put 8 x k centres side by side): with
# a floor of 256 rows, 8 runs at k = 128 ran their products on two threads and
# took 8 s instead of 0.5 s on this 2-core machine while another process ran.
_CHUNK_WORK = 1 << 19
_CHUNK_MIN_ROWS, _CHUNK_MAX_ROWS = 16, 8192


def chunk_rows(k: int, d: int) -> int:
    """Rows of ``X`` per chunk when comparing them with ``k`` centres of ``d`` features."""
    rows = _CHUNK_WORK // (max(k, 1) * max(d, 8))
    return min(_CHUNK_MAX_ROWS, max(_CHUNK_MIN_ROWS, rows))


#: Rows from which the nearest-centre searches split their rows between threads
#: (:mod:`quantize._threads`); below it a thread costs more than it saves.
_PARALLEL_MIN_ROWS = 1 << 15


def by_parts(n: int, work: Callable[[slice], None]) -> None:
    """Run ``work`` on consecutive row ranges covering ``range(n)``, in threads when large.

    >>> seen = []
    >>> by_parts(5, seen.append)
    >>> seen
    [slice(0, 5, None)]
    """
    if n < _PARALLEL_MIN_ROWS:  # called directly: the tasks and the split cost more than
        work(slice(0, n))       # a nearest-centre search over an icon's 800 colours
        return
    parts = _threads.count()
    _threads.run([functools.partial(work, rows) for rows in _threads.split(n, parts)])


def row_bands(h: int, w: int, pixels: int) -> list[slice]:
    """Bands of whole rows of an ``(h, w)`` array, of about ``pixels`` pixels each (at
    least one row), covering ``range(h)`` in order: for work done a band at a time with
    bounded temporaries.

    >>> row_bands(5, 10, 20)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    step = max(1, pixels // max(w, 1))
    return [slice(y, min(y + step, h)) for y in range(0, h, step)]


def _work_dtype(X: np.ndarray) -> type[np.floating]:
    """The dtype distances to rows ``X`` are computed in: float64 for float64 rows (the
    k-means core's float64 data), float32 for anything else (every image feature)."""
    return np.float64 if X.dtype == np.float64 else np.float32


def _as_work(X: np.ndarray) -> np.ndarray:
    """``X`` C-contiguous in its :func:`_work_dtype`."""
    return np.ascontiguousarray(X, dtype=_work_dtype(X))


def _as_dtype(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``a`` (centres) C-contiguous in the dtype of ``like`` (rows from :func:`_as_work`)."""
    return np.ascontiguousarray(a, dtype=like.dtype)


# From this many centres, of at most _TREE_MAX_D features (colours, with alpha
# too), the nearest-centre searches walk a k-d tree over the centres instead of
# comparing every row with every centre: the products cost n k, which at k =
# 15,000 made each pass over 16,384 colours take seconds, while the tree answers
# in about n log k. Up to 1,024 centres the products stay, and so do their labels
# (every palette image, every segmentation): there the tree, and importing
# scipy.spatial for it (about 0.2 s), cost as much as they saved (web photos at
# -k 300 and 1000 took 0.1-0.3 s more CPU with the tree from 257 centres).
_TREE_MIN_K, _TREE_MAX_D = 1025, 4
# Neighbours a tree search returns per row: more than two, so that a row as
# near three centres still gets the lowest index without a full comparison.
_TREE_NEIGHBOURS = 4


def uses_tree(k: int, d: int) -> bool:
    """Whether the nearest of ``k`` centres of ``d`` features is found in a k-d tree.

    >>> uses_tree(1024, 3), uses_tree(1025, 3), uses_tree(2000, 5)
    (False, True, False)
    """
    return k >= _TREE_MIN_K and d <= _TREE_MAX_D


def _tree_nearest_two(X: np.ndarray, cw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre ``(n,)`` and the squared distance ``(n,)`` float64 to the second nearest.

    Float64 distances from a k-d tree over the (float32) centres: exact up to
    the rounding of each sum (exact for integer colours). Of equally near
    centres the lowest index is taken; rows as near all the neighbours the tree
    returned are compared with every centre.
    """
    k = cw.shape[0]
    m = min(k, _TREE_NEIGHBOURS)
    dist, idx = _tree_query(X, cw, m)
    tied = dist == dist[:, :1]
    labels = np.where(tied, idx, k).min(axis=1)
    if m < k:  # rare: rows as near m centres may be as near some other one
        for row in np.flatnonzero(tied[:, -1]):
            sq = ((cw.astype(np.float64) - X[row].astype(np.float64)) ** 2).sum(axis=1)
            labels[row] = int(np.argmin(sq))
    diff = X.astype(np.float64) - cw[idx[:, 1]]  # the second distance, squared exactly
    return labels, np.einsum("ij,ij->i", diff, diff)


def _tree_query(X: np.ndarray, centers: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices ``(n, m)`` of the ``m`` nearest rows of ``centers`` to each row
    of ``X``, from a k-d tree over the centres, in float64 (the rows split between
    threads when there are many, as :func:`by_parts` splits them)."""
    from scipy.spatial import cKDTree

    workers = _threads.count() if X.shape[0] >= _PARALLEL_MIN_ROWS else 1
    return cKDTree(centers.astype(np.float64)).query(X.astype(np.float64), k=m,
                                                     workers=workers)


# NumPy's float32 argmin along rows (2.4, AVX2) takes a slow path on rows of 16 to 31
# values: 3 to 4 times as slow as its float64 argmin of the same rows converted, the
# conversion included. The conversion is exact and keeps the order and the ties of the
# values, so the picks are the same (the first of equal ones). Medians of 60 on 65,536
# values of this 2-core Haswell machine, float32 against float64 with the conversion:
# 16 a row 167 / 57 us, 24 234 / 103, 31 123 / 50; 8 215 / 240 and 64 16 / 36, so below 16
# and from 32 the rows stay float32. The argmin over 8 runs' 16 centres of each colour was
# 17 % of the CPU time of reduce_colors on a 128 px thumbnail at k = 16.
_FLOAT64_ARGMIN_K = range(16, 32)


def _argmin_ready(block: np.ndarray) -> np.ndarray:
    """``block`` ``(..., k)``, or its float64 copy where NumPy's argmin along its last axis
    is faster so (float32 rows of 16 to 31 values): the same picks, sooner.

    >>> block = np.array([[2., 1., 1.] + [3.] * 13], np.float32)
    >>> _argmin_ready(block).dtype, int(np.argmin(_argmin_ready(block), axis=1)[0])
    (dtype('float64'), 1)
    """
    if block.dtype == np.float32 and block.shape[-1] in _FLOAT64_ARGMIN_K:
        return block.astype(np.float64)
    return block


def nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index ``(n,)`` of the nearest row of ``centers`` (k, d) for each row of ``X`` (n, d).

    Squared Euclidean distance compared as ``||c||^2 - 2 x.c`` in float32
    (float64 for float64 ``X``), chunk by chunk, so peak extra memory is the
    labels plus one ``(chunk, k)`` block per thread (a large ``X`` is split between threads, see
    :mod:`quantize._threads`); ties go to the lower index. More than 1,024
    centres of at most 4 features are searched in a k-d tree instead
    (:func:`uses_tree`), by exact float64 distances, ties again to the lower index.

    >>> nearest(np.array([[0., 0.], [9., 9.]]), np.array([[10., 10.], [1., 0.]])).tolist()
    [1, 0]
    """
    X = _as_work(X)
    cw = _as_dtype(centers, X)
    if uses_tree(*cw.shape):
        return _tree_nearest_two(X, cw)[0]
    labels = np.empty(X.shape[0], dtype=np.intp)

    def part(rows: slice) -> None:
        out = labels[rows]
        for sub, block in _expansion_blocks(X[rows], cw):
            np.argmin(_argmin_ready(block), axis=1, out=out[sub])

    by_parts(X.shape[0], part)
    return labels


def nearest_few(X: np.ndarray, centers: np.ndarray, s: int) -> np.ndarray:
    """Indices ``(n, min(s, k))`` of the ``s`` nearest rows of ``centers`` (k, d) to each row
    of ``X`` (n, d), each row's in ascending index order (every centre when ``k <= s``).

    Searched in a k-d tree by float64 distances; of centres as near as the ``s``-th, the
    tree's choice is kept.

    >>> nearest_few(np.array([[0., 0.], [9., 9.]]), np.array([[10., 10.], [1., 0.], [5., 5.]]),
    ...             2).tolist()
    [[1, 2], [0, 2]]
    """
    k = centers.shape[0]
    if k <= s:
        return np.broadcast_to(np.arange(k), (X.shape[0], k))
    idx = _tree_query(X, centers, s)[1]
    idx.sort(axis=1)
    return idx


def shown_distance(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """How far apart colours with alpha look, row by row of ``X`` and ``C`` (both (n, 7)):
    each row a colour's features composited over black (3), over white (3), then its
    alpha. Summed over the three channels, the larger of the squared differences over
    the two backgrounds (over any grey between them the difference lies between those
    two), ``(n,)`` float64. For two opaque colours, their squared Euclidean distance.

    >>> grey, white = [160.] * 6 + [255.], [255.] * 6 + [255.]
    >>> half_white = [128.] * 3 + [255.] * 3 + [128.]
    >>> shown_distance(np.array([grey, grey]), np.array([white, half_white])).tolist()
    [27075.0, 27075.0]
    """
    X, C = np.asarray(X, np.float64), np.asarray(C, np.float64)
    over = np.maximum(np.square(X[:, :3] - C[:, :3]), np.square(X[:, 3:6] - C[:, 3:6]))
    return over.sum(axis=1)


def second_nearest_gap(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre ``(n,)`` and how much farther, squared, the second nearest is ``(n,)``.

    The labels are :func:`nearest`'s; the gap ``(n,)`` float64 is 0 for a row
    as near two centres (or two equal ones), ``inf`` when there is one centre.

    >>> labels, gap = second_nearest_gap(np.array([[0., 0.], [4., 0.]]),
    ...                                  np.array([[1., 0.], [3., 0.]]))
    >>> labels.tolist(), gap.tolist()
    ([0, 1], [8.0, 8.0])
    """
    X = _as_work(X)
    cw = _as_dtype(centers, X)
    labels, second = _nearest_two(X, cw)
    own = cw[labels].astype(np.float64)
    first = np.einsum("ij,ij->i", own, own) - 2.0 * np.einsum("ij,ij->i", X, own)
    return labels, np.maximum(second - first, 0.0)


def _expansion_blocks(X: np.ndarray, cw: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """``(rows, block)`` pairs: ``block[i, j] = ||c_j||^2 - 2 x_i.c_j`` in ``X``'s dtype,
    chunk by chunk.

    One ``(chunk, k)`` buffer is reused: use each block before asking for the next.
    """
    ct2 = np.ascontiguousarray(-2.0 * cw.T)
    c_sq = np.einsum("ij,ij->i", cw, cw)
    n, k = X.shape[0], cw.shape[0]
    step = chunk_rows(k, X.shape[1])
    buffer = np.empty((min(step, n), k), dtype=X.dtype)
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = buffer[: stop - start]
        np.matmul(X[start:stop], ct2, out=block)
        block += c_sq
        yield slice(start, stop), block


def sq_dist_to_labels(X: np.ndarray, centers: np.ndarray, labels: np.ndarray,
                      dtype: type[np.floating] | None = None) -> np.ndarray:
    """Squared distance ``(n,)`` from each row of ``X`` to its labelled centre, computed
    in ``dtype`` (float32, or float64 for sums over many rows; None: float64 for float64
    ``X``, else float32).

    Computed from ``x - c`` (not from the expansion, which loses precision when
    points sit far from the origin), chunk by chunk: no ``(n, d)`` temporary. The
    centres are gathered with ``take``, which copies a row at a time where indexing
    copies an element at a time (a frame of 230,400 Lab rows: 1.6 against 3.5 ms).

    >>> sq_dist_to_labels(np.array([[0., 0.], [3., 4.]]), np.zeros((1, 2)),
    ...                   np.array([0, 0])).tolist()
    [0.0, 25.0]
    """
    if dtype is None:
        dtype = _work_dtype(X)
    c = np.ascontiguousarray(centers, dtype=dtype)
    dist = np.empty(X.shape[0], dtype=dtype)
    rows = chunk_rows(1, c.shape[1])  # a chunk holds (rows, d) differences, not (rows, k)
    for start in range(0, X.shape[0], rows):  # X converted a chunk at a time too
        stop = start + rows
        diff = X[start:stop].astype(dtype, copy=False) - c.take(labels[start:stop], axis=0)
        np.einsum("ij,ij->i", diff, diff, out=dist[start:stop])
    return dist


def labels_sq_dist(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre ``(n,)`` and the exact squared distance to it ``(n,)``, float64 for
    float64 ``X``, else float32."""
    labels = nearest(X, centers)
    return labels, sq_dist_to_labels(X, centers, labels)


def sq_dist_to(X: np.ndarray, x_sq: np.ndarray, C: np.ndarray, *,
               as_float64: bool = True) -> np.ndarray:
    """Squared distances ``(n, m)`` float64 from the rows of ``X`` to a few rows ``C``, in
    the dtype of ``X`` (float32 or float64).

    ``x_sq`` holds the squared norms of the rows of ``X``. Used by seeding,
    which compares all rows with a handful of candidates at a time. ``as_float64=False``
    returns them in the dtype they were computed in, the same values, for a caller that
    only compares them: the float64 copy of a float32 (8192, 256) block took 2.5 ms where
    computing it took 3.3.

    >>> X = np.array([[0., 0.], [3., 4.]], dtype=np.float32)
    >>> sq_dist_to(X, (X * X).sum(1), np.zeros((1, 2)), as_float64=False).dtype
    dtype('float32')
    """
    out = np.empty((X.shape[0], np.shape(C)[0]), dtype=X.dtype)
    for _, part in _sq_dist_chunks(X, x_sq, C, lambda rows: out[rows]):
        np.maximum(part, 0.0, out=part)  # clipped while the chunk is at hand
    return out.astype(np.float64) if as_float64 else out


def sq_dist_from(C: np.ndarray, X: np.ndarray, x_sq: np.ndarray) -> np.ndarray:
    """Squared distances ``(m, n)`` from a few rows ``C`` to every row of ``X``, in the dtype
    of ``X`` (float32 or float64).

    :func:`sq_dist_to` transposed, from the same chunked products (so the same
    values, and each product small enough for one BLAS thread): each
    candidate's distances are then one contiguous row, which k-means++ on small
    data compares and sums row by row.

    >>> X = np.array([[0., 0.], [3., 4.]], dtype=np.float32)
    >>> sq_dist_from(np.array([[0., 0.]]), X, (X * X).sum(1)).tolist()
    [[0.0, 25.0]]
    """
    m = np.shape(C)[0]
    out = np.empty((m, X.shape[0]), dtype=X.dtype)
    block = np.empty((min(chunk_rows(m, X.shape[1]), X.shape[0]), m), dtype=X.dtype)
    for rows, part in _sq_dist_chunks(X, x_sq, C, lambda rows: block[: rows.stop - rows.start]):
        out[:, rows] = part.T
    return np.maximum(out, 0.0, out=out)


def _sq_dist_chunks(X: np.ndarray, x_sq: np.ndarray, C: np.ndarray,
                    into: Callable[[slice], np.ndarray]) -> Iterator[tuple[slice, np.ndarray]]:
    """The squared distances ``||x||^2 - 2 x.c + ||c||^2`` (``X``'s dtype, not clipped at 0) of
    the rows of ``X`` to the rows of ``C``, a chunk of rows at a time (:func:`chunk_rows`),
    each written to ``into(rows)``, an ``(len(rows), m)`` float32 array, and yielded with
    its rows: :func:`sq_dist_to` and :func:`sq_dist_from` lay out the same values."""
    c = _as_dtype(C, X)
    ct2 = np.ascontiguousarray(-2.0 * c.T)
    c_sq = np.einsum("ij,ij->i", c, c)
    step = chunk_rows(c.shape[0], X.shape[1])
    for start in range(0, X.shape[0], step):
        rows = slice(start, min(start + step, X.shape[0]))
        part = into(rows)
        np.matmul(X[rows], ct2, out=part)
        part += c_sq
        part += x_sq[rows, None]
        yield rows, part


# --------------------------------------------------------------------------
# Weighted group sums and Lloyd passes
# --------------------------------------------------------------------------


def group_sums(X: np.ndarray, labels: np.ndarray, k: int,
               weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-group weight totals ``(k,)`` and weighted coordinate sums ``(k, d)``, float64.

    ``labels`` are in ``[0, k)``; ``weights`` None counts every row once.

    >>> totals, sums = group_sums(np.array([[1.], [3.], [5.]]), np.array([0, 0, 1]), 2)
    >>> totals.tolist(), sums.tolist()
    ([2.0, 1.0], [[4.0], [5.0]])
    """
    totals = np.bincount(labels, weights=weights, minlength=k).astype(np.float64, copy=False)
    return totals, _column_sums(X, labels, k, weights, None)


def occupied_group_sums(X: np.ndarray, labels: np.ndarray, k: int,
                        weights: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The groups with a non-zero total ``(g,)``, and their rows of :func:`group_sums`'
    totals and sums, to the bit, without its ``(k, d)`` table of every group (32 MB for
    the million cells, most of them empty, of a 12 MP image with soft alpha).

    >>> groups, totals, sums = occupied_group_sums(np.array([[1.], [5.]]), np.array([0, 2]), 3)
    >>> groups.tolist(), totals.tolist(), sums.tolist()
    ([0, 2], [1.0, 1.0], [[1.0], [5.0]])
    """
    totals = np.bincount(labels, weights=weights, minlength=k).astype(np.float64, copy=False)
    groups = np.flatnonzero(totals)
    return groups, totals[groups], _column_sums(X, labels, k, weights, groups)


def _column_sums(X: np.ndarray, labels: np.ndarray, k: int, weights: np.ndarray | None,
                 groups: np.ndarray | None) -> np.ndarray:
    """Weighted sums ``(k, d)`` float64 of the columns of ``X`` per label, or only the rows
    of ``groups``."""
    sums = np.empty((k if groups is None else groups.size, X.shape[1]), dtype=np.float64)
    # Each column's weighted values in one buffer: a fresh array a column kept the last
    # alive while the next was made, 32 MB more for the 4 M colours of a 12 MP image with
    # soft alpha.
    weighted = weights is not None and X.shape[1] > 0
    col = np.empty(X.shape[0], np.result_type(X, np.asarray(weights))) if weighted else None
    for j in range(X.shape[1]):
        if col is not None:
            np.multiply(X[:, j], weights, out=col)
        column = np.bincount(labels, weights=X[:, j] if col is None else col, minlength=k)
        sums[:, j] = column if groups is None else column[groups]
        del column  # not held while the next is counted
    return sums


def group_argmax(values: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Row index ``(k,)`` intp of the largest of ``values`` in each of ``k`` groups (the
    first such row on a tie), -1 for an empty group.

    >>> group_argmax(np.array([3., 5., 5., 1.]), np.array([0, 0, 0, 2]), 3).tolist()
    [1, -1, 3]
    """
    top = np.full(k, -np.inf)
    np.maximum.at(top, labels, values)
    rows = np.flatnonzero(values == top[labels])[::-1]  # the first of a tie written last
    out = np.full(k, -1, dtype=np.intp)
    out[labels[rows]] = rows
    return out


def group_means(X: np.ndarray, labels: np.ndarray, k: int,
                weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-group weighted means ``(k, d)`` float64 and totals ``(k,)``; empty groups get 0."""
    totals, sums = group_sums(X, labels, k, weights)
    return sums / np.maximum(totals, np.finfo(np.float64).tiny)[:, None], totals


def spread(means: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """The spread ``(n,)`` of ``n`` groups about their means ``(n, d)``, given the means of
    their squares ``(n, d)``: the square root of the variances summed over the ``d``
    columns (negative rounding residues taken as 0).

    >>> spread(np.array([[1.0, 2.0]]), np.array([[1.0, 8.0]])).tolist()
    [2.0]
    """
    return np.sqrt(np.maximum(squares - means * means, 0.0).sum(axis=1))


Empty = Literal["farthest", "keep"]


def lloyd_update(X: np.ndarray, weights: np.ndarray | None, labels: np.ndarray,
                 centers: np.ndarray, empty: Empty = "farthest", fixed: int = 0) -> np.ndarray:
    """Weighted means ``(k, d)`` float64 of the groups of ``labels``.

    A centre with no members (or zero total weight) moves to one of the points
    farthest from their centres (``empty="farthest"``), or stays put
    (``empty="keep"``). The first ``fixed`` centres stay where they are, members or not.

    >>> X = np.array([[0.], [2.], [10.]])
    >>> lloyd_update(X, None, np.array([0, 0, 1]), np.array([[5.], [9.]]), fixed=1).tolist()
    [[5.0], [10.0]]
    """
    totals, sums = group_sums(X, labels, centers.shape[0], weights)
    return _means(X, weights, labels, centers, totals, sums, empty, fixed)


def _means(X: np.ndarray, weights: np.ndarray | None, labels: np.ndarray,
           centers: np.ndarray, totals: np.ndarray, sums: np.ndarray,
           empty: Empty, fixed: int = 0) -> np.ndarray:
    """:func:`lloyd_update` from the groups' ``totals`` and ``sums``."""
    full = totals > 0
    if fixed:
        full = full.copy()
        full[:fixed] = False
    elif full.all():  # the usual case: the same quotients without the masks
        return sums / totals[:, None]
    new = np.array(centers, dtype=np.float64, copy=True)
    new[full] = sums[full] / totals[full, None]
    vacant = np.flatnonzero(~full)
    vacant = vacant[vacant >= fixed]
    if vacant.size and empty == "farthest":
        dist = sq_dist_to_labels(X, centers, labels).astype(np.float64)
        if weights is not None:
            dist *= weights > 0
        far = np.argsort(-dist)[: vacant.size]
        new[vacant[: far.size]] = X[far]
    return new


def lloyd(X: np.ndarray, weights: np.ndarray | None, centers: np.ndarray, max_passes: int,
          *, max_changed: float = 0.0, tol: float = 0.0, empty: Empty = "farthest",
          labels_needed: bool = True, overshoot: float = 0.0, fixed: int = 0,
          ) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Lloyd passes from ``centers`` until few labels change or the centres settle.

    Each pass moves every centre to the weighted mean of its members and
    relabels. Stops once at most ``max_changed`` (a share of the rows; 0: none)
    of the labels change in a pass, once the squared centre shifts of a pass
    sum to at most ``tol`` (0: rule off), or after ``max_passes``.

    With ``overshoot`` > 0 (and more than ``_PLAIN_MAX_PASSES`` passes), each
    pass but the last first relabels at centres moved past the means, by
    ``overshoot`` times the step from the centres before (:func:`_overshoot`),
    and keeps them if that lowers the weighted inertia; else it relabels at the
    means, as a plain pass would. Lloyd passes creep towards a minimum by ever
    smaller steps along the same directions; the longer steps get there in
    fewer passes. The last pass, and any pass at which the stop rules fire,
    are plain, so the returned centres are the means of the labels before them.

    The first ``fixed`` centres never move (fixed palette entries): they take part in
    labelling only, and a pass moves, overshoots and refills the others alone.

    Relabelling skips the rows whose label cannot change, by Hamerly's bounds
    (see :class:`_HamerlyBounds`), and the group sums are updated by the rows
    that moved (:class:`_Groups`): after the first few passes most rows are
    settled, so a pass costs little more than the bounds' bookkeeping. The
    labels are those of plain passes (:func:`nearest` on every row) except
    where two centres are equally near to within float32 rounding. Up to
    ``_PLAIN_MAX_PASSES`` passes, or without ``overshoot`` on at most
    ``_PLAIN_MAX_PAIRS`` rows times centres, plain passes are what is run: the
    bounds would cost more to set up than they save.

    Returns
    -------
    centers : (k, d) ndarray of float64
    labels : (n,) ndarray of intp, or None
        The nearest centre of every row; when the stop rule fired, the centres
        are exactly the weighted means of these labels. With ``labels_needed``
        false they are None when the passes end at ``max_passes``: the rows are
        then not compared with the final centres (a stop rule could no longer
        fire).
    passes : int
        Passes done.

    >>> X = np.array([[0.], [1.], [9.], [10.]])
    >>> c, labels, passes = lloyd(X, None, np.array([[0.], [1.]]), 10)
    >>> c.ravel().tolist(), labels.tolist()
    ([0.5, 9.5], [0, 0, 1, 1])
    """
    if max_passes <= _PLAIN_MAX_PASSES or (
            overshoot <= 0 and X.shape[0] * centers.shape[0] <= _PLAIN_MAX_PAIRS):
        return _plain_lloyd(X, weights, centers, max_passes, max_changed, tol, empty,
                            labels_needed, fixed)
    bounds = _HamerlyBounds(X, centers)
    limit = max_changed * X.shape[0]
    groups = _Groups(X, weights, bounds.labels, centers.shape[0])
    done = 0
    for _ in range(max_passes):
        new = _means(X, weights, bounds.labels, centers, groups.totals, groups.sums, empty,
                     fixed)
        settled = tol > 0 and float(((new - centers) ** 2).sum()) <= tol
        done += 1
        if done == max_passes and not labels_needed:
            return new, None, done
        if overshoot > 0 and done < max_passes and not settled:
            tried = _overshoot(bounds, groups, centers, new, overshoot)
            if tried is not None:
                centers, n_moved = tried
                if n_moved <= limit:  # a plain pass next, where the stop rules may fire
                    overshoot = 0.0
                continue
        centers = new
        if _relabel(bounds, groups, centers) <= limit or settled:
            break
    return centers, bounds.labels, done


def _overshoot(bounds: _HamerlyBounds, groups: _Groups, centers: np.ndarray,
               means: np.ndarray, factor: float) -> tuple[np.ndarray, float] | None:
    """One pass of :func:`lloyd` that tries ``means + factor (means - centers)`` first.

    The weighted inertia of centres ``c`` over groups of totals ``W`` and sums
    ``S`` is ``sum w ||x||^2 - sum_j (2 c_j . S_j - W_j ||c_j||^2)``, so the
    trial, relabelled, is compared with the means over the groups before it
    from the group sums alone. Returns the centres the rows are now labelled
    at and how many labels changed (``inf`` when the trial was not kept and the
    rows were labelled at ``means`` again: a change that small is not a sign of
    convergence), or None, nothing done, when the trial reaches farther from
    the origin than every row and centre so far (:class:`_HamerlyBounds` would
    then compare every row again).
    """
    trial = means + factor * (means - centers)
    if float(np.einsum("ij,ij->i", trial, trial).max()) > bounds.cap:
        return None
    kept = _inertia_part(means, groups)
    moved = _relabel(bounds, groups, trial)
    if _inertia_part(trial, groups) <= kept:
        return trial, moved
    _relabel(bounds, groups, means)
    return means, math.inf


def _relabel(bounds: _HamerlyBounds, groups: _Groups, centers: np.ndarray) -> int:
    """Label the rows at ``centers``, update the groups; returns how many labels changed."""
    moved, before = bounds.relabel(centers)
    if moved.size:
        groups.move(moved, before, bounds.labels[moved])
    return moved.size


def _inertia_part(centers: np.ndarray, groups: _Groups) -> float:
    """The weighted inertia of the groups at ``centers``, less the constant ``sum w ||x||^2``."""
    return float(np.einsum("j,jd,jd->", groups.totals, centers, centers)
                 - 2.0 * np.einsum("jd,jd->", centers, groups.sums))


# Up to this many passes, lloyd compares every row with every centre in each
# pass: setting up Hamerly's bounds costs about two such comparisons, more than
# they save in so few passes. Medians of 5, bounds against none: two passes over
# a 12 MP photo's 1.2 million colours took 0.27 / 0.31 s against 0.18 / 0.15 s
# (k = 16 / 64), four passes 0.33 / 0.39 s against 0.24 / 0.32 s; four passes
# over a web photo's 97 thousand colours 0.023 / 0.043 s against 0.018 / 0.025 s.
# At six passes neither way won everywhere.
_PLAIN_MAX_PASSES = 4
# On few rows times centres, bounds do not pay at any number of passes: the
# swaps tried on the colours of 30 Adwaita 48 x 48 icons (750-820 colours; their
# Lloyd passes settle in 2-3 passes) took 5.1 / 5.5 / 10.6 ms an icon with plain
# passes against 8.8 / 8.2 / 13.8 ms with bounds at k = 32 / 64 / 128, and on 30
# BSDS500 train photos at 64 x 48 (about 2,700 colours) 17.4 / 15.3 / 20.9 ms
# against 19.6 / 20.1 / 25.1 ms, the same centres on all of them. The summaries
# of the seven benchmark photos (1,152-5,455 cells) at k >= 64 stay above.
_PLAIN_MAX_PAIRS = 1 << 16


def _plain_lloyd(X: np.ndarray, weights: np.ndarray | None, centers: np.ndarray,
                 max_passes: int, max_changed: float, tol: float, empty: Empty,
                 labels_needed: bool, fixed: int = 0,
                 ) -> tuple[np.ndarray, np.ndarray | None, int]:
    """:func:`lloyd` without bounds: every row is compared with every centre in each pass."""
    labels = nearest(X, centers)
    limit = max_changed * X.shape[0]
    done = 0
    for _ in range(max_passes):
        new = lloyd_update(X, weights, labels, centers, empty, fixed)
        settled = tol > 0 and float(((new - centers) ** 2).sum()) <= tol
        centers = new
        done += 1
        if done == max_passes and not labels_needed:
            return centers, None, done
        before, labels = labels, nearest(X, centers)
        if np.count_nonzero(labels != before) <= limit or settled:
            break
    return centers, labels, done


class _Groups:
    """Members, weight totals and weighted sums of the groups, kept up to date as rows move.

    After the first passes of :func:`lloyd` few rows change label, so updating
    the sums by the rows that moved costs far less than summing every row
    again. With integer weights (colour counts) on integer-valued features the
    sums are exact and equal a full :func:`group_sums`; otherwise they may
    differ from it in the last bits. A group left without members, or whose
    weight falls to rounding noise, gets exact zeros (an empty group).
    """

    def __init__(self, X: np.ndarray, weights: np.ndarray | None, labels: np.ndarray,
                 k: int) -> None:
        self._X, self._weights, self._k = X, weights, k
        self.members = np.bincount(labels, minlength=k)
        self.totals, self.sums = group_sums(X, labels, k, weights)
        self._noise = 1e-12 * float(self.totals.sum())

    def move(self, rows: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        """Rows ``rows`` leave their groups ``old`` for the groups ``new`` (one label a row)."""
        w = None if self._weights is None else self._weights[rows]
        members, totals, sums = _moved_sums(self._X[rows], w, old, new, self._k)
        self.members += members
        self.totals += totals
        self.sums += sums
        gone = (self.members == 0) | (self.totals <= self._noise)
        self.totals[gone] = 0.0
        self.sums[gone] = 0.0


def _moved_sums(x: np.ndarray, w: np.ndarray | None, old: np.ndarray, new: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What rows ``x`` (weights ``w``, or None for 1 each) leaving groups ``old`` for
    groups ``new`` change: members ``(k,)``, weight totals ``(k,)`` and weighted sums
    ``(k, d)``, as :func:`group_sums` of the groups entered less that of the groups left,
    each weighted column made once for both.

    >>> members, totals, sums = _moved_sums(np.array([[2.], [4.]]), np.array([1., 3.]),
    ...                                     np.array([0, 0]), np.array([1, 2]), 3)
    >>> members.tolist(), totals.tolist(), sums.ravel().tolist()
    ([-2, 1, 1], [-4.0, 1.0, 3.0], [-14.0, 2.0, 12.0])
    """
    weighted = x if w is None else x * w[:, None]  # the same products group_sums makes
    in_counts, in_sums = group_sums(weighted, new, k)
    out_counts, out_sums = group_sums(weighted, old, k)
    members = np.bincount(new, minlength=k) - np.bincount(old, minlength=k)
    totals = (in_counts - out_counts if w is None
              else np.bincount(new, weights=w, minlength=k).astype(np.float64)
              - np.bincount(old, weights=w, minlength=k).astype(np.float64))
    return members, totals, in_sums - out_sums


def lloyd_runs(X: np.ndarray, weights: np.ndarray | None, centers: np.ndarray,
               max_passes: int, *, max_changed: float = 0.0, tol: float = 0.0,
               labels: np.ndarray | None = None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`lloyd` for several runs on the same data at once, each with its own stop.

    For small data, where a pass of one run costs less than the NumPy calls
    that make it: one pass moves every run that has not stopped, with one
    matrix product and one group sum for all of them. Each run stops by the
    rules of :func:`lloyd` (``empty="farthest"``) and gets its labels from the
    same float32 products as :func:`nearest`, so its result is that of
    :func:`lloyd` from the same centres, up to float32 ties.

    Parameters
    ----------
    X : (n, d) ndarray
    weights : (n,) ndarray or None
    centers : (r, k, d) ndarray
        Initial centres of the ``r`` runs.
    max_passes, max_changed, tol
        As for :func:`lloyd`, the same for every run.
    labels : (r, n) ndarray of intp, optional
        The nearest of each run's ``centers`` for every row, when known (the
        labels an earlier call returned with these centres): the rows are then
        not compared with them again.

    Returns
    -------
    centers : (r, k, d) ndarray of float64
    labels : (r, n) ndarray of intp
    passes : (r,) ndarray of int
        Passes each run did.

    >>> X = np.array([[0.], [1.], [9.], [10.]])
    >>> c, labels, passes = lloyd_runs(X, None, np.array([[[0.], [1.]], [[9.], [10.]]]), 10)
    >>> c[:, :, 0].tolist(), passes.tolist()
    ([[0.5, 9.5], [0.5, 9.5]], [2, 2])
    """
    Xw = _as_work(X)
    centers = np.array(centers, dtype=np.float64, copy=True)
    labels = _nearest_runs(Xw, centers) if labels is None else labels.copy()
    passes = np.zeros(centers.shape[0], dtype=int)
    if max_passes == 0:  # no pass to keep group sums for
        return centers, labels, passes
    n_runs = centers.shape[0]
    moving = np.arange(n_runs)
    limit = max_changed * X.shape[0]
    groups = _RunGroups(X, weights, labels, centers.shape[1])
    for _ in range(max_passes):
        if moving.size == 0:
            break
        # While every run moves (the usual case), their rows are views, not copies.
        runs = slice(None) if moving.size == n_runs else moving
        old_centers, old_labels = centers[runs], labels[runs]
        new = groups.means(moving, old_labels, old_centers)
        settled = ((new - old_centers) ** 2).sum(axis=(1, 2)) <= tol if tol > 0 else False
        new_labels = _nearest_runs(Xw, new)
        moved = new_labels != old_labels
        changed = moved.sum(axis=1)
        groups.move(moving, old_labels, new_labels, moved)
        centers[runs], labels[runs] = new, new_labels
        passes[runs] += 1
        moving = moving[(changed > limit) & np.logical_not(settled)]
    return centers, labels, passes


# Each pass of lloyd_runs compares every row with the centres of every run still
# moving. Hamerly's bounds kept per run and row, with _HamerlyBounds' rounding
# margins (the labels, centres and passes stayed exactly these), did not pay on
# the colour summaries of three web photos (1,152-5,455 colours, 8 runs, k = 16
# and 64): after the first pass 19-39 % of the (run, row) pairs still had to be
# compared, and updating every pair's bounds each pass cost more than the
# comparisons saved. The passes took 2.5-5.5 times the CPU time (medians of 11,
# interleaved); with one slack a pair (no half-distance test, no tightening),
# 26-49 % compared and 1.7-3.4 times.
def _nearest_runs(Xw: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Labels ``(r, n)``: the nearest of each run's ``(k, d)`` centres, as :func:`nearest`.

    The centres of all runs side by side are compared with each chunk of rows
    in one product (:func:`_expansion_blocks`), then split by run.
    """
    r, k, d = centers.shape
    labels = np.empty((Xw.shape[0], r), dtype=np.intp)
    for rows, block in _expansion_blocks(Xw, _as_dtype(centers, Xw).reshape(r * k, d)):
        np.argmin(_argmin_ready(block.reshape(-1, r, k)), axis=2, out=labels[rows])
    return labels.T


class _RunGroups:
    """Weight totals and weighted sums of the groups of every run, kept up to date as rows
    move: :class:`_Groups` for :func:`lloyd_runs`.

    Summed once by :func:`group_sums` over the rows repeated once a run (one
    ``np.bincount`` a column for all runs), then updated by the rows that
    changed label in each run, as :class:`_Groups` is: after the first passes
    few do. Group ``j`` of run ``i`` is entry ``i k + j``.
    """

    def __init__(self, X: np.ndarray, weights: np.ndarray | None, labels: np.ndarray,
                 k: int) -> None:
        r, n = labels.shape
        self._X, self._weights, self._n, self._k = X, weights, n, k
        groups = (labels + k * np.arange(r)[:, None]).ravel()
        self.members = np.bincount(groups, minlength=r * k)
        self.totals, self.sums = group_sums(np.tile(X, (r, 1)), groups, r * k,
                                            None if weights is None else np.tile(weights, r))
        self._noise = 1e-12 * float(self.totals.sum()) / r

    def move(self, runs: np.ndarray, old: np.ndarray, new: np.ndarray,
             moved: np.ndarray) -> None:
        """Rows where ``moved[i]`` leave groups ``old[i]`` for ``new[i]`` in run ``runs[i]``."""
        at, rows = np.divmod(np.flatnonzero(moved), self._n)
        if at.size == 0:
            return
        base = runs[at] * self._k
        out, into = base + old[at, rows], base + new[at, rows]
        w = None if self._weights is None else self._weights[rows]
        members, totals, sums = _moved_sums(self._X[rows], w, out, into, self.totals.shape[0])
        self.members += members
        self.totals += totals
        self.sums += sums
        gone = (self.members == 0) | (self.totals <= self._noise)
        self.totals[gone] = 0.0
        self.sums[gone] = 0.0

    def means(self, runs: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
        """:func:`lloyd_update` (``empty="farthest"``) of runs ``runs``, at ``centers``
        ``(a, k, d)`` with ``labels`` ``(a, n)``, from the kept sums."""
        a, k, d = centers.shape
        if a * k == self.totals.size:  # every run: the kept sums as they are
            totals, sums = self.totals, self.sums
        else:
            entries = (runs[:, None] * k + np.arange(k)).ravel()
            totals, sums = self.totals[entries], self.sums[entries]
        full = totals > 0
        if full.all():  # the usual case: the same quotients without the masks
            return (sums / totals[:, None]).reshape(centers.shape)
        new = centers.reshape(a * k, d).copy()
        new[full] = sums[full] / totals[full, None]
        new = new.reshape(centers.shape)
        for i in np.flatnonzero(~full.reshape(a, k).all(axis=1)):  # rare: a run lost a centre
            new[i] = lloyd_update(self._X, self._weights, labels[i], centers[i])
        return new


class _HamerlyBounds:
    """Nearest-centre labels kept up to date with Hamerly's bounds (2010).

    For each row: ``upper`` >= its distance to its own centre widened by its
    rounding margin (below), ``sqrt(d^2 + 2 err)``; ``lower`` <= its distance
    to every other centre. When centres move by ``shift``, ``upper`` grows by
    its own centre's shift (the widened distance grows by no more than the
    distance does) and ``lower`` drops by the largest shift of the others. A
    row keeps its label while ``upper`` stays below ``max(lower, half the
    distance from its centre to the next one)``; only the other rows are
    compared with all centres again, in one vectorised call.

    :func:`nearest` compares expansions ``||c||^2 - 2 x.c`` (float32, or
    float64 for float64 rows, with ``a`` from that dtype's epsilon), each off
    by at most ``err = a (||x||^2 + max ||c||^2)``. Distances here are to the
    same centres, rounded to that dtype, and a row is skipped only when its own squared
    distance is below every other by more than ``2 err``: then :func:`nearest`
    would pick its label too. ``max ||c||^2`` is taken at a cap set with the
    bounds, the larger of the centres' and the rows' (centres that are means
    of rows stay below the rows'), so each row's margin is computed once;
    centres beyond the cap raise it, and every row is compared again.

    ``relabel`` returns the rows whose label changed and their labels
    before, so that the caller updates its group sums without comparing all
    labels itself.
    """

    def __init__(self, X: np.ndarray, centers: np.ndarray):
        self.X = _as_work(X)
        d = self.X.shape[1]
        eps = float(np.finfo(self.X.dtype).eps)
        self._x_sq = np.einsum("ij,ij->i", self.X, self.X, dtype=np.float64)
        # Relative rounding of an exact squared distance (difference, then
        # squares); absolute rounding of the expansion per unit of
        # ||x||^2 + ||c||^2, both with a factor of two to spare.
        self._rel = 2.0 * (d + 2) * eps
        self._abs = 2.0 * (d + 4) * eps
        n = self.X.shape[0]
        self.upper = np.empty(n, dtype=np.float64)
        self.lower = np.empty(n, dtype=np.float64)
        self._set_centers(_as_dtype(centers, self.X))
        self._cap = max(self._c_sq_max, float(self._x_sq.max(initial=0.0)))
        self.labels = self._assign_all()

    def _set_centers(self, cw: np.ndarray) -> None:
        self.cw = cw
        self._c_sq_max = float(np.einsum("ij,ij->i", cw, cw, dtype=np.float64).max())

    @property
    def cap(self) -> float:
        """Centres up to this ``||c||^2`` are relabelled without comparing every row.

        Each row's ``err`` is ``a (||x||^2 + cap)`` (:meth:`_HamerlyBounds._err`)."""
        return self._cap

    def _err(self, rows: slice | np.ndarray) -> np.ndarray:
        """The rounding margin ``err`` of ``rows``, worked out when needed: an array of
        every row's would weigh as much as the bounds themselves."""
        return self._abs * (self._x_sq[rows] + self._cap)

    def relabel(self, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move to ``centers`` and relabel the rows that may change.

        Returns the rows whose label changed and their labels before.
        """
        new_w = _as_dtype(centers, self.X)
        shift = np.sqrt(((new_w.astype(np.float64) - self.cw) ** 2).sum(axis=1))
        self._set_centers(new_w)
        if self._c_sq_max > self._cap:  # a wider margin for every row
            self._cap = self._c_sq_max
            before = self.labels
            self.labels = self._assign_all()
            changed = np.flatnonzero(self.labels != before)
            return changed, before[changed]
        half = 0.5 * _next_centre_distance(new_w)
        active = self._loosen(shift, half)
        if active.size == 0:
            return active, active
        return self._assign(self._tighten(active, half))

    def _loosen(self, shift: np.ndarray, half: np.ndarray) -> np.ndarray:
        """Widen the bounds by the centres' ``shift`` ``(k,)``; return the rows whose label
        may have changed: ``upper`` at least their bound, the larger of ``lower`` and
        ``half`` ``(k,)`` (half the distance from their centre to the next one).

        A band of rows at a time, so no float64 temporary spans all rows.
        """
        other = _largest_other(shift)
        may_change = np.empty(self.X.shape[0], dtype=bool)
        for rows in _bound_bands(self.X.shape[0]):
            labels, upper, lower = self.labels[rows], self.upper[rows], self.lower[rows]
            upper += shift[labels]
            lower -= other[labels]
            np.greater_equal(upper, np.maximum(lower, half[labels]), out=may_change[rows])
        return np.flatnonzero(may_change)

    def _tighten(self, active: np.ndarray, half: np.ndarray) -> np.ndarray:
        """Tighten the upper bounds of rows ``active`` (those
        :meth:`_HamerlyBounds._loosen` returned) before the full comparison; return
        those still at least their bound."""
        keep = np.empty(active.shape[0], dtype=bool)
        for band in _bound_bands(active.shape[0]):
            rows = active[band]
            labels = self.labels[rows]
            upper = self._own_distance(rows, labels)
            self.upper[rows] = upper
            np.greater_equal(upper, np.maximum(self.lower[rows], half[labels]), out=keep[band])
        return active[keep]

    def _own_distance(self, rows: slice | np.ndarray, labels: np.ndarray,
                      out: np.ndarray | None = None) -> np.ndarray:
        """Upper bound on the distance of ``rows`` to the centres ``labels``, widened
        (written to ``out`` when given)."""
        out = np.empty(labels.shape[0], dtype=np.float64) if out is None else out
        for band in _bound_bands(labels.shape[0]):
            at, part = _within(rows, band), out[band]
            # Row by row, so the distances of a band are those of all rows at once.
            part[:] = sq_dist_to_labels(self.X[at], self.cw, labels[band])
            part *= 1.0 + self._rel
            part += 2.0 * self._err(at)
            np.sqrt(part, out=part)
        return out

    def _assign_all(self) -> np.ndarray:
        """Label every row by its nearest centre, give each row new bounds; return the
        labels.

        The rows are compared with the centres as they are (no copy of them), and
        the lower bounds are worked out in place, a band of rows at a time.
        """
        labels, _ = _nearest_two(self.X, self.cw, second=self.lower)
        for rows in _bound_bands(self.X.shape[0]):
            second = self.lower[rows]
            second += self._x_sq[rows]
            second -= self._err(rows)
            np.maximum(second, 0.0, out=second)
            np.sqrt(second, out=second)
        self._own_distance(slice(None), labels, out=self.upper)
        return labels

    def _assign(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Label ``rows`` by their nearest centre and reset their bounds.

        The upper bounds of ``rows`` must be exact already: only the rows whose
        label changes get new ones. Returns the rows whose label changed and
        their labels before.

        A band of rows at a time (each row's products, and so its label, are
        the same in any band, as they are in either thread's part of
        :func:`nearest`), so no copy of every row is made when most may change.
        """
        changed, before = [], []
        for band in _bound_bands(rows.shape[0]):
            moved, old = self._assign_band(rows[band])
            changed.append(moved)
            before.append(old)
        if len(changed) <= 1:  # no band when no row may change
            return (changed[0], before[0]) if changed else (rows, rows)
        return np.concatenate(changed), np.concatenate(before)

    def _assign_band(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_HamerlyBounds._assign` for at most ``_BOUND_ROWS`` rows."""
        labels, second = _nearest_two(self.X[rows], self.cw)
        second += self._x_sq[rows]
        second -= self._err(rows)
        self.lower[rows] = np.sqrt(np.maximum(second, 0.0))
        moved = labels != self.labels[rows]
        changed, before = rows[moved], self.labels[rows[moved]]
        self.labels[changed] = labels[moved]
        self.upper[changed] = self._own_distance(changed, labels[moved])
        return changed, before


# Rows whose bounds _HamerlyBounds updates at a time: its float64 temporaries
# then stay at half a megabyte, not 8 bytes a row (8 MB a million rows).
_BOUND_ROWS = 1 << 16


def _bound_bands(n: int) -> list[slice]:
    """Consecutive slices of ``_BOUND_ROWS`` rows covering ``range(n)``."""
    return [slice(start, min(start + _BOUND_ROWS, n)) for start in range(0, n, _BOUND_ROWS)]


def _within(rows: slice | np.ndarray, band: slice) -> slice | np.ndarray:
    """Rows ``band`` of ``rows`` (all rows when ``rows`` is ``slice(None)``)."""
    return band if isinstance(rows, slice) else rows[band]


def _nearest_two(X: np.ndarray, cw: np.ndarray, second: np.ndarray | None = None,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre ``(n,)`` and ``||c||^2 - 2 x.c`` ``(n,)`` float64 of the second nearest
    (written to ``second`` when given).

    The same float32 products as :func:`nearest`, chunk by chunk (so the labels
    are exactly its labels); the second value is ``inf`` when there is one centre.
    Past 1,024 centres (:func:`uses_tree`) both come from the k-d tree, the second
    value as the exact squared distance minus ``||x||^2``.
    """
    n, k = X.shape[0], cw.shape[0]
    second = np.empty(n, dtype=np.float64) if second is None else second
    if uses_tree(k, X.shape[1]):
        labels, exact = _tree_nearest_two(X, cw)
        np.subtract(exact, np.einsum("ij,ij->i", X, X, dtype=np.float64), out=second)
        return labels, second
    labels = np.empty(n, dtype=np.intp)
    second.fill(np.inf)

    def part(rows: slice) -> None:
        out, out2 = labels[rows], second[rows]
        for sub, block in _expansion_blocks(X[rows], cw):
            values = _argmin_ready(block)  # the same values, maybe in float64
            lab = np.argmin(values, axis=1, out=out[sub])
            if k > 1:
                at = np.arange(lab.shape[0])
                values[at, lab] = np.inf
                # The value at the second argmin: NumPy's argmin along rows is
                # several times faster than its min along rows.
                out2[sub] = values[at, values.argmin(axis=1)]

    by_parts(n, part)
    return labels, second


def _largest_other(shift: np.ndarray) -> np.ndarray:
    """For each centre, the largest shift among the other centres (``(k,)``, 0 if k = 1).

    A table by centre, read through the rows' labels: one gather per row
    instead of a comparison and a selection.
    """
    if shift.shape[0] == 1:
        return np.zeros(1)
    first, second = np.argsort(shift)[::-1][:2]
    other = np.full(shift.shape[0], shift[first])
    other[first] = shift[second]
    return other


def _next_centre_distance(cw: np.ndarray) -> np.ndarray:
    """Distance ``(k,)`` from each centre to the nearest other one (``inf`` if k = 1).

    Columns of centres at a time, so that the ``(k, columns)`` squared
    distances stay small whatever k; each column's minimum is then a
    reduction down the rows, which NumPy does several times faster than
    along them (the squared distances are symmetric, so they are the same).
    Past 1,024 centres (:func:`uses_tree`), from a k-d tree over them.
    """
    c = cw.astype(np.float64)
    k = c.shape[0]
    if uses_tree(k, c.shape[1]):
        from scipy.spatial import cKDTree

        return cKDTree(c).query(c, k=2)[0][:, 1]
    out = np.empty(k)
    step = max(1, _NEXT_CENTRE_VALUES // max(1, k * c.shape[1]))
    for start in range(0, k, step):
        part = c[start:start + step]
        sq = (c[:, None, 0] - part[None, :, 0]) ** 2
        for j in range(1, c.shape[1]):
            sq += (c[:, None, j] - part[None, :, j]) ** 2
        cols = np.arange(part.shape[0])
        sq[start + cols, cols] = np.inf
        out[start:start + step] = sq.min(axis=0)
    return np.sqrt(out)


# Differences held at once by _next_centre_distance (float64 values).
_NEXT_CENTRE_VALUES = 1 << 20


# --------------------------------------------------------------------------
# 24-bit colour codes
# --------------------------------------------------------------------------


def same_pixels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: whether each pixel of ``a`` equals ``b``'s in every channel, of two
    ``(H, W, C)`` arrays. ``(a == b).all(axis=2)``, which NumPy reduces slowly along so
    short an axis: 4.2 against 0.36 ms on 640 x 360 RGB frames. Two RGBA uint8 arrays whose
    pixels are each four bytes in a row are compared as 32-bit words, a pixel at once:
    3.7 against 42 ms on 2000 x 2000 frames.

    >>> same_pixels(np.array([[[1, 2], [1, 3]]]), np.array([[[1, 2], [1, 2]]])).tolist()
    [[True, False]]
    """
    if _word_pixels(a) and _word_pixels(b):
        return a.view("<u4")[..., 0] == b.view("<u4")[..., 0]
    same = a[..., 0] == b[..., 0]
    for channel in range(1, a.shape[-1]):
        same &= a[..., channel] == b[..., channel]
    return same


def _word_pixels(a: np.ndarray) -> bool:
    """Whether ``a`` is ``(..., 4)`` uint8 with each pixel's four bytes in a row, which can
    be viewed as one 32-bit word a pixel."""
    return (a.dtype == np.uint8 and a.ndim >= 2 and a.shape[-1] == 4
            and a.strides[-1] == 1)


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """24-bit codes ``r << 16 | g << 8 | b`` of ``(..., 3)`` uint8 colours, as uint32 ``(...)``.

    >>> pack_rgb(np.array([[255, 128, 1]], dtype=np.uint8)).tolist() == [0xFF8001]
    True
    """
    if sys.byteorder == "little":  # each code's four bytes set in place: 36 against 57 ms
        words = np.empty(rgb.shape[:-1] + (4,), dtype=np.uint8)  # at 12 MP (medians of 7)
        words[..., 0] = rgb[..., 2]
        words[..., 1] = rgb[..., 1]
        words[..., 2] = rgb[..., 0]
        words[..., 3] = 0
        return words.view(np.uint32)[..., 0]
    codes = rgb[..., 0].astype(np.uint32)
    codes <<= 8
    codes |= rgb[..., 1]
    codes <<= 8
    codes |= rgb[..., 2]
    return codes


def code_table(codes: np.ndarray, values: np.ndarray, dtype: Any) -> np.ndarray:
    """``(2**24,)`` table of ``dtype``: ``values[i]`` at 24-bit code ``codes[i]``, 0 elsewhere.

    Reading a pixel's value through its code is then one gather a pixel,
    where a search in the sorted codes costs about 24 comparisons.

    >>> code_table(np.array([5, 2]), np.array([7, 9]), np.uint8)[[2, 5, 3]].tolist()
    [9, 7, 0]
    """
    table = np.zeros(1 << 24, dtype=dtype)
    table[codes] = values
    return table


# From this many codes, code_rows reads each code's row from a code_table:
# zeroing the table's 64 MB of pages costs about as much as sorting 2**21 keys.
# Below it, sorting the codes with their positions costs less: 4 ms for a
# 0.27 MP photo, against 15-60 ms for the table (medians, 2 busy cores).
_ROWS_TABLE_MIN = 1 << 21


def rows_by_sorting(n: int) -> bool:
    """Whether the rows of ``n`` codes are found by sorting them (:func:`code_rows`,
    :func:`sorted_code_histogram`) rather than through a :func:`code_table`.

    >>> rows_by_sorting(640 * 480), rows_by_sorting(4000 * 3000)
    (True, False)
    """
    return n < _ROWS_TABLE_MIN


def sorted_search(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """``np.searchsorted(haystack, needles)``, of ``needles``' shape, for ``needles`` of
    values below 2**32 (24-bit colour codes, 32-bit RGBA words): only their distinct
    values are searched, found by one sort (:func:`sorted_code_histogram`), in their
    sorted order, each search starting from the place of the one before. A frame's
    pixels repeat few colours: a frame of 230,400 codes among an animation's 7,287
    distinct ones takes 5.3 ms, against 7.4 ms for searching every needle in sorted
    order and more in raster order, which touches many of a large haystack's cache lines.

    >>> sorted_search(np.array([2, 5, 9]), np.array([[9, 1], [5, 6]])).tolist()
    [[2, 0], [1, 2]]
    """
    distinct, _, rows = sorted_code_histogram(needles)
    return np.searchsorted(haystack, distinct).take(rows).reshape(np.shape(needles))


def code_rows(codes: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Row ``(n,)`` int32 of each of ``codes`` (any shape, raveled) in ``distinct``.

    ``distinct`` holds the sorted distinct values of ``codes`` (24-bit colour
    codes), as :func:`quantize.colors.code_histogram` returns them. Few codes
    are sorted together with their positions (the ``k``-th run of equal codes
    is row ``k``); many are looked up in a :func:`code_table`.

    >>> code_rows(np.array([[7, 3], [7, 9]], np.uint32), np.array([3, 7, 9])).tolist()
    [1, 0, 1, 2]
    """
    flat = np.ravel(codes)
    if not rows_by_sorting(flat.size):
        return code_table(distinct, np.arange(distinct.size, dtype=np.int32), np.int32)[flat]
    return sorted_code_histogram(flat)[2]


def sorted_code_histogram(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values (sorted, as ``codes``' dtype), the int64 count of each, and the
    row ``(n,)`` int32 of each code among them, from one sort; ``codes`` any shape
    (raveled) of values below 2**32.

    What :func:`quantize.colors.code_histogram` and :func:`code_rows` give together,
    without a table: 64-bit keys, the code in the high half and its position in the low
    one, are sorted, so that the ``k``-th run of equal codes is row ``k`` and the
    positions say whose row it is (:func:`keys_histogram`). Many 24-bit
    codes are counted faster through a table (:func:`rows_by_sorting`); for 32-bit RGBA
    words, which no table holds, it is ``np.unique`` with ``return_inverse`` in a fifth
    of its time (12 M words: 0.42 against 2.0 s), whose sort carries an index array.

    >>> distinct, counts, rows = sorted_code_histogram(np.array([[7, 3], [7, 9]], np.uint32))
    >>> distinct.tolist(), counts.tolist(), rows.tolist()
    ([3, 7, 9], [1, 2, 1], [1, 0, 1, 2])
    """
    flat = np.ravel(codes)

    def fill(high: np.ndarray) -> None:
        high[:] = flat

    return keys_histogram(flat.size, fill, flat.dtype)


def keys_histogram(n: int, fill: Callable[[np.ndarray], None], dtype: Any = np.uint32
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sorted_code_histogram` of ``n`` codes that ``fill`` writes into the
    ``(n,)`` uint32 view it is given (the high halves of the keys): the distinct codes
    as ``dtype``, the count of each and each code's row.

    The codes need not exist anywhere else first (the translucent pixels' words are
    written straight into the keys, not into an array of their own), and the keys are
    let go before the counts are made.

    >>> def fill(high):
    ...     high[:] = [5, 2, 5]
    >>> distinct, counts, rows = keys_histogram(3, fill)
    >>> distinct.tolist(), counts.tolist(), rows.tolist()
    ([2, 5], [1, 2], [1, 0, 1])
    """
    rows = np.empty(n, dtype=np.int32)
    keys = np.empty(n, dtype="<u8")
    halves = keys.view("<u4").reshape(n, 2)  # [:, 0] the low half, on any machine
    for start in range(0, n, _SCATTER_KEYS):  # the positions, without an arange of them all
        stop = min(start + _SCATTER_KEYS, n)
        halves[start:stop, 0] = np.arange(start, stop, dtype=np.uint32)
    fill(halves[:, 1])  # called even for no codes: it may write other outputs too
    if n == 0:
        return np.zeros(0, dtype=dtype), np.zeros(0, dtype=np.int64), rows
    keys.sort()
    first = np.empty(n, dtype=bool)  # where a run of equal codes starts (not at 0 yet)
    first[0] = False
    np.not_equal(halves[1:, 1], halves[:-1, 1], out=first[1:])
    _scatter_runs(first, halves[:, 0], rows)
    first[0] = True
    distinct = halves[:, 1][first].astype(dtype)
    del keys, halves
    starts = np.flatnonzero(first)
    del first
    counts = np.empty(starts.size, dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = n - starts[-1]
    return distinct, counts, rows


# Keys whose positions keys_histogram writes, and whose run numbers _scatter_runs writes
# once sorted, at a time. The run numbers of all the keys at once, and their positions
# cast to intp to index with, took 120 MB beside the keys for the 10 M translucent pixels
# of a 12 MP image with soft alpha.
_SCATTER_KEYS = 1 << 20


def _scatter_runs(first: np.ndarray, positions: np.ndarray, rows: np.ndarray) -> None:
    """``rows[positions] = np.cumsum(first)``, a chunk of ``_SCATTER_KEYS`` at a time:
    the run number of each sorted key, ``first`` marking where a run starts, written at
    the key's position.

    >>> rows = np.empty(4, np.int32)
    >>> _scatter_runs(np.array([False, True, False, True]), np.array([2, 0, 3, 1]), rows)
    >>> rows.tolist()
    [1, 2, 0, 1]
    """
    run = np.int32(0)
    for start in range(0, first.size, _SCATTER_KEYS):
        part = np.cumsum(first[start:start + _SCATTER_KEYS], dtype=np.int32)
        part += run
        rows[positions[start:start + _SCATTER_KEYS]] = part
        run = part[-1]


def unpack_rgb(codes: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 colours of 24-bit codes; the inverse of :func:`pack_rgb`.

    >>> unpack_rgb(np.array([0xFF8001])).tolist()
    [[255, 128, 1]]
    """
    codes = np.asarray(codes)
    out = np.empty(codes.shape + (3,), dtype=np.uint8)
    out[..., 0] = codes >> 16
    out[..., 1] = (codes >> 8) & 0xFF
    out[..., 2] = codes & 0xFF
    return out


# --------------------------------------------------------------------------
# sRGB <-> CIE Lab (D65, 2 degree observer)
# --------------------------------------------------------------------------

#: The D65 white point (2 degree observer) in XYZ with Y = 1.
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
# Linear-light value of each 8-bit sRGB level (IEC 61966-2-1).
_LEVELS = np.arange(256, dtype=np.float64) / 255.0
_SRGB_TO_LINEAR = np.where(_LEVELS > 0.04045, ((_LEVELS + 0.055) / 1.055) ** 2.4,
                           _LEVELS / 12.92)
# sRGB -> XYZ matrix; its columns are the XYZ of the primaries.
_XYZ_FROM_RGB = np.array([[0.412453, 0.357580, 0.180423],
                          [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB)
# _CONTRIB[c, j, v]: what level v of input channel c adds to XYZ[j] / white[j];
# a colour's scaled XYZ is a sum of three table look-ups per component.
_CONTRIB = np.einsum("v,jc->cjv", _SRGB_TO_LINEAR,
                     _XYZ_FROM_RGB / D65_WHITE[:, None]).astype(np.float32)
# CIE constants: below _EPSILON, f(t) is the line _KAPPA * t + 16/116.
_EPSILON = 0.008856
_KAPPA = 7.787
# Colours per band when converting: bounds the float32 temporaries.
_LAB_BAND = 1 << 16


def srgb_to_lab(colors: np.ndarray) -> np.ndarray:
    """CIE Lab ``(..., 3)`` float32 of ``(..., 3)`` uint8 sRGB colours.

    Table look-ups per channel, in bands, so a 12 MP image needs little
    temporary memory; many colours are split between threads (:func:`by_parts`).

    >>> lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=np.uint8))
    >>> lab.astype(float).round(1).tolist()
    [[100.0, -0.0, 0.0], [0.0, 0.0, 0.0], [53.2, 80.1, 67.2]]
    """
    flat = colors.reshape(-1, 3)
    lab = np.empty(flat.shape, dtype=np.float32)

    def part(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _LAB_BAND):
            stop = min(start + _LAB_BAND, rows.stop)
            lab[start:stop] = _lab_band(flat[start:stop])

    by_parts(flat.shape[0], part)
    return lab.reshape(colors.shape)


def _lab_band(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    scaled = np.empty(rgb.shape, dtype=np.float32)  # XYZ divided by the white point
    for j in range(3):
        out = scaled[:, j]
        np.add(_CONTRIB[0, j][r], _CONTRIB[1, j][g], out=out)
        out += _CONTRIB[2, j][b]
    f = np.cbrt(scaled)
    small = scaled <= _EPSILON
    f[small] = _KAPPA * scaled[small] + 16.0 / 116.0
    lab = np.empty_like(f)
    np.multiply(f[:, 1], 116.0, out=lab[:, 0])
    lab[:, 0] -= 16.0
    np.subtract(f[:, 0], f[:, 1], out=lab[:, 1])
    lab[:, 1] *= 500.0
    np.subtract(f[:, 1], f[:, 2], out=lab[:, 2])
    lab[:, 2] *= 200.0
    return lab


def srgb_lightness(colors: np.ndarray) -> np.ndarray:
    """CIE L* ``(...)`` float64 of ``(..., 3)`` sRGB colours of levels 0..255 not rounded to
    integers (mean colours), with the white point and constants of :func:`srgb_to_lab`,
    which it agrees with on integer levels.

    >>> colors = np.array([[255.0, 255.0, 255.0], [255.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
    >>> srgb_lightness(colors).round(3).tolist()
    [100.0, 53.241, 0.137]
    """
    level = np.asarray(colors, dtype=np.float64) / 255.0
    linear = np.where(level > 0.04045, ((level + 0.055) / 1.055) ** 2.4, level / 12.92)
    y = linear @ _XYZ_FROM_RGB[1]
    f = np.where(y > _EPSILON, np.cbrt(y), _KAPPA * y + 16.0 / 116.0)
    return 116.0 * f - 16.0


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """uint8 sRGB ``(..., 3)`` of CIE Lab colours, clipped to the sRGB gamut and rounded.

    The inverse of :func:`srgb_to_lab` (same white point and constants).

    >>> lab_to_srgb(np.array([[100.0, 0.0, 0.0], [53.24, 80.09, 67.2]])).tolist()
    [[255, 255, 255], [255, 0, 0]]
    """
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([fy + lab[..., 1] / 500.0, fy, fy - lab[..., 2] / 200.0], axis=-1)
    cube = f ** 3
    t = np.where(cube > _EPSILON, cube, (f - 16.0 / 116.0) / _KAPPA)
    linear = (t * D65_WHITE) @ _RGB_FROM_XYZ.T
    linear = np.clip(linear, 0.0, 1.0)
    srgb = np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)
    return np.clip(np.rint(srgb * 255.0), 0, 255).astype(np.uint8)
