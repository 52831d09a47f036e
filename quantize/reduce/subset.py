"""The best ``k`` entries of a given palette for an image: ``n_colors`` beside a palette.

A thread card of 450 embroidery colours, or a printer's inks, is a palette the user
owns; asked for 12 of them, the image is mapped onto the 12 whose mapping (each colour
to its nearest entry, as a given palette is mapped onto) has the least squared error,
weighted by the pixels of each distinct colour, in the fitting space. Choosing them is
a k-medoids problem with the medoids restricted to the palette; it is searched in two
steps, both deterministic:

1. **Dropping.** From the entries the image takes (mapped onto the whole palette),
   the entry whose removal adds the least error is dropped, one at a time, until ``k``
   are left. Each colour's two nearest entries are kept, so a removal's cost is a sum
   over the colours it held, and only the colours that held it, first or second, are
   measured again.
2. **Swapping.** Each chosen entry's colours (those nearest it) have a weighted mean;
   the entry of the whole palette nearest that mean draws them with the least error
   (the squared error of a group about a point is its error about its mean plus its
   weight times the point's squared distance from the mean), so it replaces the
   chosen entry when it is nearer and not chosen already; the colours are then mapped
   again. Neither step can raise the error, so the passes stop when none changes.

Against a baseline that fits ``k`` colours and snaps each to its nearest entry, the
entries chosen drew five photos with less error in 43 of 45 cases (k = 8, 16 and 32; a
40-entry and a 450-entry random palette and a 448-entry grid), the two others at k = 8
(``benchmarks/bench_palette_subset.py``; numbers in docs/reduce.md).
"""

from __future__ import annotations

import numpy as np

from .._kernels import group_sums, labels_sq_dist, sq_dist_to

__all__ = ["choose_entries", "mapping_error"]

#: At most this many passes of :func:`_swapped` (each lowers the error, or ends them).
_SWAP_PASSES = 30
#: Distances of at most this many (colour, entry) pairs are held at once.
_BLOCK = 1 << 21


def choose_entries(features: np.ndarray, counts: np.ndarray, entries: np.ndarray,
                   k: int, start: np.ndarray | None = None,
                   pinned: np.ndarray | None = None) -> np.ndarray:
    """The ``k`` rows of ``entries`` (or fewer: those the colours take, when they take no
    more) whose mapping of ``features`` has the least weighted squared error found.

    Prior validation is assumed: ``features`` ``(m, d)`` of the distinct colours,
    ``counts`` ``(m,)`` their pixels, ``entries`` ``(n, d)`` distinct, in the same space,
    ``1 <= k``. Ties between equally near entries go to the lower row, as
    :func:`~quantize._kernels.nearest` breaks them. ``start``: at most ``k`` distinct rows
    to swap from (step 2 alone) instead of those the dropping leaves; a grid palette's
    (RGB565's 65,536 entries) is a fit snapped to the grid, see
    :func:`~quantize.reduce.image.palette_subset`. ``pinned``: at most ``k`` distinct rows
    always among those chosen (a brand's error red, whether the image takes it or not),
    never dropped nor swapped; the others are chosen around them (``start`` is then not
    used).

    Returns
    -------
    (k,) ndarray of intp
        Rows of ``entries``, ascending; ``arange(k)`` with no colour (``m = 0``).

    Examples
    --------
    >>> colors = np.array([[0.], [10.], [100.]])
    >>> choose_entries(colors, np.array([5, 5, 1]), np.array([[0.], [9.], [50.], [99.]]), 2)
    array([1, 3])
    >>> choose_entries(colors, np.array([5, 5, 1]), np.array([[0.], [9.], [50.], [99.]]), 2,
    ...                pinned=np.array([2]))
    array([1, 2])
    """
    n = entries.shape[0]
    pinned = np.zeros(0, np.intp) if pinned is None else np.asarray(pinned, np.intp)
    if k >= n:
        return np.arange(n)
    if features.shape[0] == 0:
        rest = np.setdiff1d(np.arange(n), pinned)[:k - pinned.size]
        return np.sort(np.concatenate([pinned, rest]))
    X = np.asarray(features, np.float64)
    C = np.asarray(entries, np.float64)
    w = np.asarray(counts, np.float64)
    if start is not None and pinned.size == 0:
        return np.sort(_swapped(X, w, C, np.asarray(start, np.intp)))
    labels = labels_sq_dist(X, C)[0]
    used = np.union1d(np.flatnonzero(np.bincount(labels, minlength=n)), pinned)
    if used.size <= k:
        return used
    kept = np.isin(used, pinned)
    chosen = used[_dropped_to(X, w, C[used], k, kept)]
    return np.sort(_swapped(X, w, C, chosen, pinned))


def mapping_error(features: np.ndarray, counts: np.ndarray, entries: np.ndarray) -> float:
    """The weighted squared error of mapping each colour onto its nearest entry, per
    pixel: what :func:`choose_entries` lowers (with ``entries[chosen]``).

    >>> mapping_error(np.array([[0.], [10.]]), np.array([1, 3]), np.array([[2.], [11.]]))
    1.75
    """
    X = np.asarray(features, np.float64)
    dist = labels_sq_dist(X, np.asarray(entries, np.float64))[1]
    w = np.asarray(counts, np.float64)
    return float(w @ dist / max(w.sum(), 1.0))


def _dropped_to(X: np.ndarray, w: np.ndarray, C: np.ndarray, k: int,
                kept: np.ndarray | None = None) -> np.ndarray:
    """Rows ``(k,)`` of ``C`` left once the others are dropped, one at a time, each the
    row whose removal adds the least error (ties: the lowest row); the rows ``kept``
    (bool, ``(n,)``: pinned) are never dropped."""
    alive = np.ones(C.shape[0], bool)
    first, d1, second, d2 = _two_nearest(X, C, np.arange(X.shape[0]), alive)
    for _ in range(C.shape[0] - k):
        loss = np.bincount(first, weights=w * (d2 - d1), minlength=C.shape[0])
        loss[~alive] = np.inf
        if kept is not None:
            loss[kept] = np.inf
        gone = int(np.argmin(loss))
        alive[gone] = False
        held = first == gone
        first[held], d1[held] = second[held], d2[held]
        rows = np.flatnonzero(held | (second == gone))
        if rows.size:
            first[rows], d1[rows], second[rows], d2[rows] = _two_nearest(X, C, rows, alive,
                                                                        first[rows])
    return np.flatnonzero(alive)


def _two_nearest(X: np.ndarray, C: np.ndarray, rows: np.ndarray, alive: np.ndarray,
                 known: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The nearest and second nearest ``alive`` rows of ``C`` to ``X[rows]``, and their
    squared distances (the second ``inf`` with one row alive); ``known``: the nearest,
    given, whose distance is measured again."""
    live = np.flatnonzero(alive)
    out = [np.empty(rows.size, np.intp), np.empty(rows.size), np.empty(rows.size, np.intp),
           np.full(rows.size, np.inf)]
    step = max(1, _BLOCK // live.size)
    for start in range(0, rows.size, step):
        part = slice(start, start + step)
        x = X[rows[part]]
        dist = sq_dist_to(x, np.einsum("ij,ij->i", x, x), C[live])
        np.maximum(dist, 0.0, out=dist)
        at = np.arange(x.shape[0])
        near = (np.argmin(dist, axis=1) if known is None
                else np.searchsorted(live, known[part]))
        out[0][part], out[1][part] = live[near], dist[at, near]
        if live.size > 1:
            dist[at, near] = np.inf
            far = np.argmin(dist, axis=1)
            out[2][part], out[3][part] = live[far], dist[at, far]
        else:
            out[2][part] = live[near]
    return out[0], out[1], out[2], out[3]


def _swapped(X: np.ndarray, w: np.ndarray, C: np.ndarray, chosen: np.ndarray,
             pinned: np.ndarray | None = None) -> np.ndarray:
    """``chosen`` rows of ``C`` after passes that replace each by the row nearest the mean
    of the colours it draws, when that row is nearer and not chosen, until none is; a
    ``pinned`` row stays."""
    chosen = chosen.copy()
    for _ in range(_SWAP_PASSES):
        labels = labels_sq_dist(X, C[chosen])[0]
        totals, sums = group_sums(X, labels, chosen.size, w)
        held = totals > 0
        means = sums[held] / totals[held, None]
        dist = sq_dist_to(means, np.einsum("ij,ij->i", means, means), C)
        taken = np.zeros(C.shape[0], bool)
        taken[chosen] = True
        moved = False
        for row, group in zip(dist, np.flatnonzero(held), strict=True):
            own = chosen[group]
            if pinned is not None and own in pinned:
                continue
            free = np.where(taken, np.inf, row)
            best = int(np.argmin(free))
            if free[best] < row[own] * (1 - 1e-12):
                taken[own], taken[best] = False, True
                chosen[group] = best
                moved = True
        if not moved:
            break
    return chosen
