"""Ordered (Bayer) dithering onto a palette.

Each pixel is mixed between its nearest entry ``a`` and the entry ``b`` nearest to it
after that one, in the space the palette was fitted in: ``u``, where the pixel projects
on the segment from ``a`` to ``b`` (0 at ``a``, 1/2 half way, when both are as near),
is the share of ``b`` the mix needs, and the pixel takes ``b`` where ``u`` is above
the threshold of its cell of an 8 x 8 Bayer matrix tiled over the image from its top
left corner (thresholds ``(rank + 1/2) / 64``, all in (0, 1)). Over a flat area the
8 x 8 tile then holds ``b`` in about ``64 u`` of its cells, so the area's mean is the
pixel's projection. A pixel whose colour is an entry's (``u`` = 0) always takes that
entry: flat areas in a palette colour stay clean, and a pixel art's blocks in palette
colours keep their edges. The matrix does not move with the content, so an area that
stays the same from frame to frame keeps its entries.

The mix's scale is the two entries' own distance: no fixed amplitude to tune, and
the pattern spans exactly the step between the entries a pixel lies between, where a
fixed fraction of the palette's mean spacing would spray a dense palette's close
entries and leave a sparse one's wide steps banded. Alpha, when the palette has it,
is one more feature (as in :func:`~quantize.colors.features_of`): a soft edge between
an opaque and the transparent entry is mixed like a colour, drawn as coverage.

Two entries suit a fitted palette, whose entries sit among the image's colours, not a
given one's few, far-apart entries: onto a 7-colour e-paper palette (black, white, red,
green, blue, yellow, orange) a brown has no two entries whose segment passes near it,
and photos came out nearly all orange. So onto a given palette (``given``) an opaque
image's colours are each mixed from up to 64 entries (:func:`_mixing_plans`) and each
pixel takes the entry of its Bayer cell's rank in its colour's mix. On 10 BSDS500
*train* photos (every 20th), blurred PSNR medians went from 15.48 to 21.83 dB (e-paper),
22.49 to 28.89 dB (PICO-8's 16), 19.84 to 20.28 dB (black and white), and the mean
colour error from 39.5 to 0.5 / 20.6 to 0.8 / 15.7 to 15.7 levels; moving each pixel
along the grey axis by its threshold times the palette's spacing (the median distance
from an entry to its nearest other), then taking the nearest entry, reached at most
19.30 / 23.29 / 20.28 dB (at 1.25, 1.25 and 1 times that spacing).

That mix draws a colour's mean but not a pattern: a flat fur brown onto PICO-8's 16 took 9
entries an 8 x 8 tile (up to 12), among them a bright green far from every pixel. A pixel
artist expects two entries near the colour, in the matrix's proportion, as Joel
Yliluoma's positional dithering mixes them. So ``pattern`` mixes each opaque pixel's
colour from two of its three nearest entries (:func:`_pattern_plans`): of the three pairs
the one whose mix, at the ratio that brings it nearest the colour, is nearest, plus a
tenth of the squared distance of the pair's farther entry (:data:`_FAR_PENALTY`), so that
of pairs that reach the colour about as well the nearer is taken. A colour on the segment
between two entries takes them in the proportion of the threshold rule above, the
lighter in the lowest ranks. No pixel takes an entry farther than its third nearest, and
an entry's colour keeps it. It gives up the far entries' reach: on 7 small images (three
photos, two sprites, a gradient, a 256 x 256 photo) median blurred PSNR was 24.63 dB onto
PICO-8's 16 (64-entry plans 28.46, a plain Bayer offset with the nearest entry 24.29),
30.44 dB onto DawnBringer's 32 (32.10, 28.45), 18.30 dB onto four greys (18.30, 18.09),
with 5 / 7 / 3 entries in the median tile (9 / 12 / 3) and no far entry (23,451 and
22,854 far pixels); see "Two near entries a colour" in docs/reduce.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._kernels import by_parts, nearest, pack_rgb, sq_dist_to, unpack_rgb
from ..colors import features_of

__all__ = ["BAYER_8", "ordered_indices"]


def _bayer(levels: int) -> np.ndarray:
    """The ``2**levels``-square Bayer matrix: each cell's rank, 0 .. 4**levels - 1.

    >>> _bayer(1).tolist()
    [[0, 2], [3, 1]]
    """
    m = np.zeros((1, 1), np.int64)
    for _ in range(levels):
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return m


#: The 8 x 8 Bayer matrix of ranks 0..63, row 0 at the image's top row.
BAYER_8 = _bayer(3)
# Pixels compared with every entry at once: a (block, k) float64 distance table,
# 16 MB at 256 entries.
_BLOCK_PIXELS = 1 << 13


def ordered_indices(rgb: np.ndarray, palette: np.ndarray, *, alpha: np.ndarray | None = None,
                    space: str = "rgb", nearest_entries: np.ndarray | None = None,
                    keep_opaque: bool = False, given: bool = False,
                    pattern: bool = False) -> np.ndarray:
    """Map an image onto a palette with ordered (8 x 8 Bayer) dithering.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        The pixels.
    palette : (k, 3) or (k, 4) ndarray of uint8
        The entries; a fourth column is straight alpha (then the image is matched
        premultiplied, with ``alpha``).
    alpha : (H, W) ndarray of uint8, optional
        Opacity of the pixels (None: opaque).
    space : {"rgb", "lab"}
        Space the pixels are mixed in (the palette's fitting space).
    nearest_entries : (H, W) ndarray of int, optional
        Each pixel's nearest entry, when already known; searched for here otherwise.
    keep_opaque : bool
        With alpha, an opaque pixel is mixed only with opaque entries besides its nearest
        (which the caller keeps opaque where an opaque entry looks as near, see
        :class:`~quantize.reconstruct.palette.ShownEntries`), so that it is drawn
        translucent only where its nearest entry is; :func:`quantize.reduce.reduce_colors`
        asks it of every palette, fitted or given.
    given : bool
        The palette was given, not fitted to the image: each opaque pixel's colour is
        mixed from as many of the palette's opaque entries as it needs
        (:func:`_mixing_plans`), and the pixel takes the entry of its cell's rank in its
        colour's mix; translucent pixels are mixed between two entries, as onto a
        fitted palette (alpha one more feature, so a soft edge is drawn as coverage).
    pattern : bool
        Each opaque pixel's colour is mixed from two of its three nearest opaque
        entries (:func:`_pattern_plans`), the palette fitted or given: a regular
        pattern of near colours, never a far one; translucent pixels are mixed
        between two entries, as with ``given``.

    Returns
    -------
    (H, W) ndarray of uint8 (uint16 beyond 256 entries)
        Entry of every pixel.

    Notes
    -----
    See the module's description. Prior validation is assumed.

    Examples
    --------
    A flat grey a quarter of the way from black to white takes white in the
    16 cells of each 8 x 8 tile ranked below 16:

    >>> grey = np.full((8, 8, 3), 64, np.uint8)
    >>> out = ordered_indices(grey, np.array([[0, 0, 0], [255, 255, 255]], np.uint8))
    >>> bool((out == (BAYER_8 < 16)).all())
    True

    With ``pattern``, a dark grey half way from black to the mid grey is drawn with
    those two alone, half each:

    >>> palette = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255], [255, 0, 0]],
    ...                    np.uint8)
    >>> out = ordered_indices(np.full((8, 8, 3), 64, np.uint8), palette, pattern=True)
    >>> np.bincount(out.ravel(), minlength=4).tolist()
    [32, 32, 0, 0]
    """
    h, w = rgb.shape[:2]
    pal = np.asarray(palette, dtype=np.uint8)
    entries = features_of(pal, space).astype(np.float64)
    colors = rgb.reshape(-1, 3)
    a = None  # alpha, a fourth channel stacked with the colours a block at a time
    if pal.shape[1] == 4:
        a = np.full(h * w, 255, np.uint8) if alpha is None else alpha.reshape(-1)
    known = None if nearest_entries is None else nearest_entries.reshape(-1)
    # Entries an opaque pixel is not mixed with, keeping it opaque: the translucent ones.
    kept_off = (pal[:, 3] < 255) if keep_opaque and pal.shape[1] == 4 else None
    out = np.empty(h * w, dtype=np.uint8 if pal.shape[0] <= 256 else np.uint16)
    thresholds = ((BAYER_8 + 0.5) / BAYER_8.size)[np.arange(h) % 8][:, np.arange(w) % 8]
    thresholds = thresholds.reshape(-1)
    mixed = None  # the pixels mixed between two entries: all but those planned
    if (given or pattern) and pal.shape[0] > 1:
        picks = _pattern_picks if pattern else _mixing_picks
        mixed = _plan_opaque(colors, a, pal, space, out, h, w, picks)
        if mixed is not None and not mixed.size:
            return out.reshape(h, w)

    def part(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _BLOCK_PIXELS):
            at = slice(start, min(start + _BLOCK_PIXELS, rows.stop))
            if mixed is not None:
                at = mixed[at]
            block = colors[at] if a is None else np.column_stack([colors[at], a[at]])
            first = None if known is None else known[at]
            off = None if kept_off is None or a is None else (kept_off, a[at] == 255)
            out[at] = _mixed(features_of(block, space), entries, first, thresholds[at], off)

    by_parts(h * w if mixed is None else mixed.size, part)
    return out.reshape(h, w)


def _plan_opaque(colors: np.ndarray, alpha: np.ndarray | None, pal: np.ndarray, space: str,
                 out: np.ndarray, h: int, w: int, picks: _Picks) -> np.ndarray | None:
    """Write into ``out`` ``(H * W,)`` the entries of the opaque pixels of ``colors``
    ``(H * W, 3)`` (all of them without ``alpha``) onto a palette ``pal`` ``(k, 3)``
    or ``(k, 4)``, each mixed from its colour's plan (``picks``: :func:`_mixing_picks`
    or :func:`_pattern_picks`) of the palette's opaque entries (:func:`_planned`): a
    translucent entry would show what lies behind the pixel.
    Returns the flat indices of the pixels left to mix between two entries (the
    translucent and transparent ones), or None when no pixel was planned (no opaque
    entry: then every pixel is mixed between two)."""
    ranks = BAYER_8[np.arange(h) % 8][:, np.arange(w) % 8].reshape(-1)
    if alpha is None:
        out[:] = _planned(colors, features_of(pal[:, :3], space), space, ranks, picks)
        return np.empty(0, np.intp)
    solid = np.flatnonzero(pal[:, 3] == 255)
    if not solid.size:
        return None
    opaque = alpha == 255
    planned = _planned(colors[opaque], features_of(pal[solid, :3], space), space,
                       ranks[opaque], picks)
    out[opaque] = solid[planned]
    return np.flatnonzero(~opaque)


def _mixed(x: np.ndarray, entries: np.ndarray, first: np.ndarray | None,
           thresholds: np.ndarray, kept_off: tuple[np.ndarray, np.ndarray] | None
           ) -> np.ndarray:
    """Entries of pixels ``x`` ``(m, d)`` float32: each its nearest (``first``, or searched
    for), or the next nearest where its share in the mix is above the pixel's threshold
    ``(m,)``; ``kept_off``: (entries, pixels) of the entries those pixels are not mixed
    with."""
    m, k = x.shape[0], entries.shape[0]
    x64 = x.astype(np.float64)
    # float32, as computed: compared alone, they pick as their float64 copies would
    dist = sq_dist_to(x, np.einsum("ij,ij->i", x, x), entries.astype(np.float32),
                      as_float64=False)
    rows = np.arange(m)
    first = dist.argmin(axis=1) if first is None else first.astype(np.intp)
    if k < 2:
        return first
    dist[rows, first] = np.inf
    if kept_off is not None:
        entries_off, pixels = kept_off
        dist[np.ix_(np.flatnonzero(pixels), np.flatnonzero(entries_off))] = np.inf
    second = dist.argmin(axis=1)
    mixable = np.isfinite(dist[rows, second])
    a, step = entries[first], entries[second] - entries[first]
    length = np.einsum("ij,ij->i", step, step)
    share = np.einsum("ij,ij->i", x64 - a, step) / np.where(length > 0, length, 1.0)
    return np.where(mixable & (length > 0) & (share > thresholds), second, first)


# Entries in each colour's mixing plan (see _mixing_plans): one per cell of the 8 x 8 tile.
_PLAN_ENTRIES = 64


# A function of distinct colours' features (m, d), the entries' (k, d), the space, each
# pixel's row in the colours (n,) and its cell in a plan (n,), giving each pixel's entry
# (n,): _mixing_picks or _pattern_picks.
_Picks = Callable[[np.ndarray, np.ndarray, str, np.ndarray, np.ndarray], np.ndarray]


def _planned(colors: np.ndarray, entries: np.ndarray, space: str, ranks: np.ndarray,
             picks: _Picks) -> np.ndarray:
    """Entries ``(n,)`` of opaque pixels ``colors`` ``(n, 3)`` uint8 onto a palette's
    ``entries`` ``(k, 3)`` (features in ``space``), each pixel taking the entry of its
    Bayer cell's rank in its colour's mixing plan (by ``picks``), each distinct colour
    planned once."""
    codes = pack_rgb(colors)
    distinct, rows = np.unique(codes, return_inverse=True)
    return picks(features_of(unpack_rgb(distinct), space), entries, space,
                 rows.reshape(-1), ranks * _PLAN_ENTRIES // BAYER_8.size)


def _mixing_picks(x: np.ndarray, entries: np.ndarray, space: str, rows: np.ndarray,
                  cells: np.ndarray) -> np.ndarray:
    """Each pixel's entry ``(n,)``: that of its cell ``cells`` in the mixing plan
    (:func:`_mixing_plans`) of its colour, row ``rows`` of ``x`` ``(m, d)``."""
    return _mixing_plans(x, entries, space)[rows, cells]


def _pattern_picks(x: np.ndarray, entries: np.ndarray, space: str, rows: np.ndarray,
                   cells: np.ndarray) -> np.ndarray:
    """Each pixel's entry ``(n,)``: of its colour's (row ``rows`` of ``x`` ``(m, d)``) pair
    (:func:`_pattern_plans`), the lighter in a cell ``cells`` below its count, the darker
    in the others."""
    light, dark, lit = _pattern_plans(x, entries, space)
    return np.where(cells < lit[rows], light[rows], dark[rows])


def _mixing_plans(x: np.ndarray, entries: np.ndarray, space: str) -> np.ndarray:
    """The mixing plan ``(m, _PLAN_ENTRIES)`` of colours ``x`` ``(m, d)`` float32 onto
    ``entries`` ``(k, d)``: entries chosen one at a time, each the one that brings the
    mean of those chosen so far nearest to the colour, then sorted from light to dark
    (by their position along the grey axis), so that a flat area's tile holds each
    entry in about as many cells as its share in the mix, lightest in the lowest ranks
    (as a grey's pixels are drawn white where their level is above the threshold).
    A colour that is an entry's plans that entry alone."""
    e32 = np.ascontiguousarray(entries, dtype=np.float32)
    m = x.shape[0]
    # A step's picks for all the colours are one contiguous row, written at once.
    steps = np.empty((_PLAN_ENTRIES, m), dtype=np.int16 if e32.shape[0] <= 1 << 15 else np.intp)
    total, target = np.zeros_like(x, dtype=np.float32), np.empty_like(x, dtype=np.float32)
    for i in range(_PLAN_ENTRIES):
        np.subtract(np.multiply(x, np.float32(i + 1), out=target), total, out=target)
        steps[i] = nearest(target, e32)
        total += e32.take(steps[i], axis=0)  # a row at a time, where indexing copies
    return _lightest_first(steps, _lightness(e32, space))


def _lightest_first(steps: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    """The plans ``(m, n)`` of the ``n`` picks ``steps`` ``(n, m)`` of ``m`` colours, each
    plan's entries sorted by their ``lightness`` ``(k,)``, lightest first, entries as light
    in the order they were picked: a stable sort, done as a sort of integers that each
    hold a pick's lightness rank, its step and its entry (on the 133,253 colours of a
    1024 x 1024 atlas, 0.11 s where NumPy's stable argsort of the lightness and the
    gather it needs took 0.7 s).

    >>> _lightest_first(np.array([[0], [1], [2], [1]]), np.array([0.5, 0.9, 0.5])).tolist()
    [[1, 1, 0, 2]]
    """
    (n, _), k = steps.shape, lightness.shape[0]
    rank = np.unique(-lightness, return_inverse=True)[1].reshape(-1)
    keys = rank.astype(np.int32 if k * n * k < 1 << 31 else np.int64)[steps]
    keys *= n
    keys += np.arange(n, dtype=keys.dtype)[:, None]
    keys *= k
    keys += steps
    plans = np.ascontiguousarray(keys.T)
    plans.sort(axis=1)
    plans %= k
    return plans.astype(steps.dtype)


def _lightness(entries: np.ndarray, space: str) -> np.ndarray:
    """Position ``(k,)`` of ``entries`` ``(k, d)`` (features in ``space``) along the grey
    axis, from black towards white: a mix's entries are sorted by it, lightest first."""
    grey = features_of(np.array([[0, 0, 0], [255, 255, 255]], np.uint8), space)
    return entries @ (grey[1] - grey[0])


#: Share of the squared distance from a colour to a pair's farther entry added to the
#: error of the pair's mix when a pattern's pair is chosen (:func:`_pattern_pairs`):
#: without it the pairs of entries along one line (four greys) tie, and a colour off
#: the line could mix black with the light grey instead of its two nearest. On the 7
#: small images onto PICO-8's, DawnBringer's and the four greys, 0 / 0.05 / 0.1 / 0.25
#: / 0.5 gave median blurred PSNR 24.71 / 24.68 / 24.63 / 24.49 / 24.37 dB (PICO-8),
#: 30.49 / 30.47 / 30.44 / 30.18 / 29.82 dB (DawnBringer), 18.24 then 18.30 dB (greys).
_FAR_PENALTY = 0.1


def _pattern_plans(x: np.ndarray, entries: np.ndarray, space: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pattern's plan of colours ``x`` ``(m, d)`` float32 onto ``entries`` ``(k, d)``:
    ``(light, dark, lit)``, each ``(m,)``, two of each colour's three nearest entries
    (:func:`_pattern_pairs`), the lighter first, and the number of cells of the 64 the
    lighter takes, the lowest ranked: as many as the threshold rule gives the second
    entry of a mix of two (cells of rank ``r`` with ``(r + 1/2) / 64`` below its share)
    when it is the lighter, the others when it is the darker."""
    lightness = _lightness(np.asarray(entries, np.float64), space)
    m = x.shape[0]
    light, dark, lit = np.empty(m, np.intp), np.empty(m, np.intp), np.empty(m, np.intp)

    def part(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _BLOCK_PIXELS):
            at = slice(start, min(start + _BLOCK_PIXELS, rows.stop))
            first, second, share = _pattern_pairs(x[at], entries)
            cells = np.ceil(share * _PLAN_ENTRIES - 0.5).clip(0, _PLAN_ENTRIES)
            swap = lightness[second] > lightness[first]
            light[at], dark[at] = np.where(swap, second, first), np.where(swap, first, second)
            lit[at] = np.where(swap, cells, _PLAN_ENTRIES - cells)

    by_parts(m, part)
    return light, dark, lit


def _pattern_pairs(x: np.ndarray, entries: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pair of entries ``(first, second, share)``, each ``(m,)``, that draws each colour
    of ``x`` ``(m, d)`` float32 onto ``entries`` ``(k, d)``, k >= 2: of the pairs of its
    three nearest, the one whose mix (``share`` of ``second``, 0..1, where the colour
    projects on their segment) is nearest the colour, plus :data:`_FAR_PENALTY` times
    the squared distance of ``second``, the farther; ties to the pair of nearer entries.
    """
    dist = sq_dist_to(x, np.einsum("ij,ij->i", x, x), np.asarray(entries, np.float32))
    rows, n = np.arange(x.shape[0]), min(3, entries.shape[0])
    near = np.argpartition(dist, n - 1, axis=1)[:, :n]
    near = np.take_along_axis(near, np.lexsort((near, dist[rows[:, None], near])), axis=1)
    e64, x64 = np.asarray(entries, np.float64), x.astype(np.float64)
    best = np.full(x.shape[0], np.inf)
    first, second, share = near[:, 0], near[:, 0], np.zeros(x.shape[0])
    for i, j in ((0, 1), (0, 2), (1, 2))[:1 if n < 3 else 3]:
        a, b = near[:, i], near[:, j]
        step = e64[b] - e64[a]
        length = np.einsum("ij,ij->i", step, step)
        u = np.einsum("ij,ij->i", x64 - e64[a], step) / np.where(length > 0, length, 1.0)
        u = u.clip(0.0, 1.0)
        miss = e64[a] + u[:, None] * step - x64
        cost = np.einsum("ij,ij->i", miss, miss) + _FAR_PENALTY * dist[rows, b]
        better = cost < best
        best = np.where(better, cost, best)
        first, second = np.where(better, a, first), np.where(better, b, second)
        share = np.where(better, u, share)
    return first, second, share
