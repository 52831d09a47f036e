"""Palette images: palette order, dithering, the indexed PIL image.

- ``palette_order`` gives the deterministic order of a fitted palette: most
  pixels first, then darker first, then by colour code;
- ``dither_indices`` maps an image onto a palette with Floyd-Steinberg error
  diffusion of a given strength, weighted by where the undithered mapping
  bands (``run_strength``) and off on pixels already in the palette, or nearly
  so outside a smooth gradient (``gradient_runs``);
  ``diffuse_errors`` is its core (any feature space, any per-pixel strength),
  which with ``ShownEntries`` keeps opaque pixels off a palette's
  translucent entries that look no nearer, as the undithered mapping of a given
  palette does;
- ``indexed_image`` builds the mode "P" PIL image (with a transparent entry);
  ``last_entry_at`` moves a palette's transparent entry, which the results keep last,
  to where a written file puts it.

Palette files are read and written by :mod:`quantize.palette_files`; its
functions are re-exported here for existing callers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from PIL import Image

from .._kernels import (
    by_parts,
    chunk_rows,
    nearest,
    pack_rgb,
    row_bands,
    shown_distance,
    srgb_to_lab,
)
from ..colors import features_of, shown_features, to_premultiplied
from ..io import MAX_PALETTE
from ..palette_files import PALETTE_FORMATS, check_palette_path, read_palette, write_palette

__all__ = ["PALETTE_FORMATS", "ShownEntries", "check_palette_path", "diffuse_errors",
           "dither_indices", "gradient_runs", "indexed_image", "last_entry_at", "last_entry_rank",
           "palette_order", "read_palette",
           "run_strength", "write_palette"]


# --------------------------------------------------------------------------
# Mapping colours to entries
# --------------------------------------------------------------------------


def palette_order(palette: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Permutation that sorts entries by weight (largest first), then lightness, then code.

    ``palette`` is (k, 3) uint8, or (k, 4) straight RGBA, whose translucent entries
    (alpha < 255) come first (a PNG's ``tRNS`` chunk then stops after them), more
    opaque first among otherwise equal entries; ``weights`` (k,) the pixels of each entry.

    >>> palette_order(np.array([[255, 255, 255], [0, 0, 0], [9, 9, 9]], np.uint8),
    ...               np.array([5, 5, 7])).tolist()
    [2, 1, 0]
    """
    rgb = np.ascontiguousarray(palette[:, :3])
    lightness = srgb_to_lab(rgb)[:, 0]
    keys = [pack_rgb(rgb), lightness, -np.asarray(weights, dtype=np.float64)]
    if palette.shape[1] == 4:
        keys.insert(1, -palette[:, 3].astype(np.int64))
        keys.append(palette[:, 3] == 255)
    return np.lexsort(keys)


# Dithering is weighted by where the undithered mapping bands: a pixel's strength
# is s / (s + _RUN_HALF), s being the length of its row's run of pixels mapped to
# the same entry plus _STACK_WEIGHT per pixel of that run whose upper or lower
# neighbour has that entry too (a smooth gradient turned into flat bands: long,
# stacked runs, strength near 1; texture: runs of a pixel or two, about 2/3).
# The idea is libimagequant's dither map; these weights are this project's.
# Only _DIFFUSED of the error is passed on, which keeps noise from piling up, and a
# pixel whose own colour lies within _EXACT (feature units) of an entry takes no
# error, so flat areas in a palette colour stay clean. Chosen by blurred PSNR and
# PNG bytes against pngquant's default dithering on 40 BSDS500 *train* photos
# (every 5th) and checked on 40 others (every 5th from the third): at k = 16 /
# 64, medians +0.25 / +0.64 dB blurred PSNR at 0.974x / 0.977x pngquant's bytes,
# where the earlier damping by local contrast (3 x 3 grey range fading 10 to 40)
# gave -0.16 / +0.12 dB at 0.975x / 0.978x. On the 100 val photos, measured once
# after: +0.27 / +0.65 dB at 0.984x (before: -0.18 / +0.16 dB at 0.989x / 0.981x).
# _EXACT was 5 then, which left a smooth gradient (a web page's CSS gradient, at
# k = 16) banded: the pixels within 5 of an entry, most of each band, took no error,
# so the bands' edges alone were dithered (blurred PSNR 5.9 dB below pngquant's, at
# 0.14x its bytes). At 2, against 5, on 20 BSDS500 *train* photos (every 10th from
# the second) at k = 16 / 64: blurred PSNR +0.04 / +0.17 dB (median, against
# pngquant's default) at 0.984x / 1.002x pngquant's bytes instead of 0.981x /
# 0.975x; on 14 screenshots of web pages at k = 16 / 64 / 256: +0.08 / +0.34 /
# +0.09 dB, the worst from -5.87 / +0.75 / -3.42 to -1.91 / +0.92 / +0.00 dB
# (the gradient at 16 colours, then a dashboard's shadows), bytes median 0.984x /
# 0.991x / 1.005x instead of 0.952x / 0.988x / 1.005x. At 1 the gradient was
# -1.34 dB, for 1.004x pngquant's bytes on the photos at k = 64; at 3, -3.21 dB.
# Within 2 was still too wide where the palette's steps are 2-4 levels apart: nearly
# every pixel of a light gradient was that near an entry, and a grey ramp with a logo
# at k = 64 stayed 5.06 dB of blurred PSNR behind pngquant's. So the rule now holds
# within _SAME (the entry's own colour) everywhere, and within _EXACT only for pixels
# outside a smooth gradient: where neither the run of equal colours along the pixel's
# row nor the one along its column ends in a step of at most _SMALL_STEP levels in
# every channel between no larger ones (a gradient's bands differ by a level or two;
# a flat fill meets text, edges or the border). Against pngquant's default, on 10
# generated gradients and charts at k = 8 / 16 / 32 / 64: worst -5.64 to -1.49 dB,
# median +0.00 to +1.12 dB, at 0.81x to 0.91x its bytes; on the 6 photos of the
# benchmark and 6 generated web pages at k = 16 / 64, blurred PSNR +0.002 dB and
# bytes 1.0007x (medians) of before, the most 1.045x (a dashboard's soft shadows,
# +1.4 dB). Within _SAME alone (no flatness test) gave the same on the gradients, but
# 1.133x the bytes on a page of panels in near-identical light greys at k = 16.
# Damping leaves a dead zone around every entry: a pixel passes on only d of the
# error it holds, so on a flat colour v levels from an entry the error settles near
# v / (1 - d) and never flips the pixel while v < (1 - d) / 2 of the step to the next
# entry. With d = 0.75 times the run strength (about 0.7 in a gradient's bands), the
# columns of a grey ramp 5 to 8 levels from entries 32 apart were drawn 1.8 to 2.4
# levels nearer the entry on average (now 0.0 to 0.3). So in a smooth gradient
# (:func:`gradient_runs`) the error is passed on at _GRADIENT_DIFFUSED, whatever the
# run strength. Against pngquant's default dithering at k = 32, on grey ramps 512
# wide with a small logo of three flat colours (32 to 256 rows): blurred PSNR +1.0 to
# +2.0 dB over before, at 1.08x to 1.40x before's bytes (0.86x to 1.11x pngquant's);
# on the seven photos of bench_reduce.py at k = 16 / 64, medians +1.35 dB at 0.989x
# pngquant's bytes, against +1.25 dB at 0.979x. At 0.9 the photos took 0.998x
# pngquant's bytes (+1.39 dB); at 1 (undamped) the rows of a ramp below its logo lost
# 3.4 dB of blurred PSNR to 0.9's.
# All of that is for palettes fitted to the image, whose entries sit among its colours.
# A given palette (a device's: black and white, a Game Boy's 4 greens, PICO-8's 16, a
# 7-colour e-paper panel) may hold the image's colours far apart: a flat grey 32 onto
# black and white then lay in the dead zone and came out black (mean 0.0), and a flat
# brown (150, 110, 80) onto the e-paper palette averaged (191, 96, 47) at strength 1.
# So a given palette gets classic Floyd-Steinberg: the whole error, times the strength,
# into every pixel but those whose colour is an entry's (within _SAME). On 10 BSDS500
# *train* photos (every 20th) x those 4 palettes, passing on 0.85 / 0.9 / 0.95 / 1 of
# the error gave blurred PSNR medians (e-paper) 27.58 / 28.49 / 29.06 / 29.08 dB, mean
# colour error 8.3 / 5.4 / 2.8 / 0.4 levels; PICO-8 28.85 / 29.54 / 29.75 / 29.83 dB;
# black and white 20.52 / 20.64 / 20.57 / 20.47 dB (16.4 levels at 0.9 and 1). At 1,
# against Pillow's and ImageMagick's Floyd-Steinberg in the same run
# (benchmarks/bench_given_palette.py), within -0.05 to +0.30 dB (medians) on every
# palette and photo set, where the fitted palette's rules were 0.5 to 4.1 dB behind.
# In Lab, a given palette lost hue: a flat teal (0, 128, 128) onto the 7-colour e-paper
# palette came out black and white, mean (123.2, 123.2, 123.2), and a purple (128, 0, 128)
# at half its brightness, (63.5, 2.1, 127.4). A mix of entries shows the mean of their
# light, near the mean of their RGB, not of their Lab; and error diffused in Lab, clipped
# to the box the entries span there, never reached the far green and blue. Diffusing in
# RGB but choosing each pixel's entry in Lab (its colour with the error, rounded) kept
# teal grey (127.7 in every channel): every colour the clipped error reaches near teal is
# nearer white or black in Lab than green or blue. So a given palette is diffused and
# matched in RGB whatever the space, as Pillow and ImageMagick do. On the six sample
# photos (benchmarks/bench_given_palette.py), medians of blurred PSNR and the mean colour
# error, e-paper: Lab 25.30 dB / 11.2 levels, RGB error with Lab choice 27.70 / 3.8, RGB
# 29.82 / 0.3; PICO-8: 24.33 / 9.5, 26.20 / 8.8, 27.97 / 6.4.
_GIVEN_SPACE = "rgb"
_RUN_HALF, _STACK_WEIGHT = 0.5, 1.5
_DIFFUSED = 0.75
_GRADIENT_DIFFUSED = 0.85
_EXACT, _SAME = 2.0, 0.5
_SMALL_STEP = 2


def dither_indices(rgb: np.ndarray, palette: np.ndarray, strength: float = 1.0, *,
                   alpha: np.ndarray | None = None, space: str = "rgb",
                   nearest_entries: np.ndarray | None = None, keep_opaque: bool = False,
                   given: bool = False, fixed: np.ndarray | None = None) -> np.ndarray:
    """Map an image onto a palette with weighted Floyd-Steinberg error diffusion.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        The pixels.
    palette : (k, 3) or (k, 4) ndarray of uint8
        The entries; a fourth column is straight alpha (then the image is
        matched premultiplied, with ``alpha``).
    strength : float
        Share of the error diffused, 0..1; 0 gives every pixel its nearest entry.
    alpha : (H, W) ndarray of uint8, optional
        Opacity of the pixels (None: opaque).
    space : {"rgb", "lab"}
        Space the error is measured and diffused in (the palette's fitting space).
    nearest_entries : (H, W) ndarray of int, optional
        Each pixel's nearest entry, when already known (from a mapping of the
        image's distinct colours, say); searched for here otherwise.
    keep_opaque : bool
        With alpha, an opaque pixel takes no translucent entry when an opaque one looks
        as near, as :func:`quantize.reduce.reduce_colors` maps a given palette
        undithered (see :class:`ShownEntries`); ``reduce_colors`` asks it of every
        palette, fitted or given.
    given : bool
        The palette was given, not fitted to the image: the whole error is diffused,
        scaled by ``strength`` alone, into every pixel but those whose colour is an
        entry's (classic Floyd-Steinberg), which keeps the image's tone on a sparse
        palette (the comment above :data:`_DIFFUSED` gives the figures); in RGB,
        whatever ``space`` (the comment above :data:`_GIVEN_SPACE` says why).
    fixed : (H, W) ndarray of int, optional
        An entry each pixel keeps, -1 where it is free (see :func:`diffuse_errors`).

    Returns
    -------
    (H, W) ndarray of uint8 (uint16 beyond 256 entries)
        Entry of every pixel.

    Notes
    -----
    The error diffused into a pixel is scaled by ``strength`` and by
    :func:`run_strength` of the undithered mapping (full where it would show
    bands, less in texture, whose own variation hides them), by a fixed larger
    share in a smooth gradient (:func:`gradient_runs`), where that damping left
    the colours a few levels from an entry undithered, and is 0 on
    pixels whose colour is an entry's, or nearly one outside a smooth gradient
    (:func:`gradient_runs`), so flat areas in a palette colour stay clean while
    a gradient's bands are dithered across. Prior validation is assumed.
    """
    h, w = rgb.shape[:2]
    pal = np.asarray(palette, dtype=np.uint8)
    colors = rgb.reshape(-1, 3)
    a = None  # alpha, a fourth channel taken with the colours pixel by pixel
    if pal.shape[1] == 4:
        a = np.full(h * w, 255, np.uint8) if alpha is None else alpha.ravel()
    if given:
        space = _GIVEN_SPACE
    entries = features_of(pal, space)

    def to_features(pixels: np.ndarray) -> np.ndarray:
        return features_of(pixels, space)

    # The pixels' features are made a block or a band of sweep lines at a time, never for
    # the whole image: at 12 MP they would take 144 MB (192 MB with alpha).
    known = None if nearest_entries is None else nearest_entries.ravel()
    # A list the strength's maker empties, so that no name here holds a mask it lets go.
    masks = list(_nearest_entries(colors, a, entries, to_features, known))
    scale = (_given_strength if given else _fitted_strength)(rgb, a, masks, strength)
    shown = ShownEntries.of(pal, space) if keep_opaque else None
    out = diffuse_errors(rgb, entries, scale, to_features=to_features, shown=shown,
                         alpha=None if a is None else a.reshape(h, w), fixed=fixed)
    return out.astype(np.uint8 if pal.shape[0] <= 256 else np.uint16)


def _given_strength(rgb: np.ndarray, alpha: np.ndarray | None, masks: list[np.ndarray],
                    strength: float) -> np.ndarray:
    """The share of the error diffused into each pixel ``(H, W)`` float32 for a given
    palette (:func:`dither_indices`): ``strength``, and 0 on pixels within ``_SAME`` of
    their entry. ``masks`` is ``[plain, same, near]`` as :func:`_fitted_strength` takes
    it, emptied here."""
    h, w = rgb.shape[:2]
    same = masks[1]
    masks.clear()
    scale = np.full((h, w), np.float32(strength), np.float32)
    scale[same.reshape(h, w)] = 0.0
    return scale


def _fitted_strength(rgb: np.ndarray, alpha: np.ndarray | None, masks: list[np.ndarray],
                     strength: float) -> np.ndarray:
    """The share of the error diffused into each pixel ``(H, W)`` float32 for a palette
    fitted to the image (:func:`dither_indices`): ``strength`` times the run strength of
    the ``plain`` mapping, a fixed share in a smooth gradient, and 0 on pixels within
    ``_SAME`` of their entry (``same``) or within ``_EXACT`` (``near``) outside a gradient.
    ``masks`` is ``[plain, same, near]``, each ``(H * W,)``; the list is emptied, so that
    each mask is let go here as it is used."""
    h, w = rgb.shape[:2]
    plain, same, near = masks
    masks.clear()
    scale = run_strength(plain.reshape(h, w))
    del plain
    scale *= np.float32(_DIFFUSED)
    graded = gradient_runs(rgb, None if alpha is None else alpha.reshape(h, w))
    scale[graded] = _GRADIENT_DIFFUSED
    # The masks are let go as they are used: held through the diffusion, they took 44 MB
    # at 12 MP.
    clean = near.reshape(h, w)
    clean &= ~graded
    del graded, near
    clean |= same.reshape(h, w)
    del same
    scale[clean] = 0.0
    del clean
    scale *= np.float32(strength)
    return scale


# Pixels handled at once by the steps before the diffusion (bounded temporaries).
_BLOCK_PIXELS = 1 << 16


def run_strength(indices: np.ndarray) -> np.ndarray:
    """How much each pixel of an undithered mapping needs dithering, ``(H, W)`` float32 in (0, 1).

    ``s / (s + 0.5)``, where ``s`` is the length of the pixel's run along its row
    of equal indices plus 1.5 for each pixel of that run whose upper or lower
    neighbour has the same index: flat bands (long, stacked runs) near 1,
    isolated pixels 2/3. Computed a band of rows at a time, with a row of
    neighbours on either side.

    >>> [round(float(v), 3) for v in run_strength(np.array([[0, 1, 1, 1]]))[0]]
    [0.667, 0.857, 0.857, 0.857]
    """
    h, w = indices.shape
    out = np.empty((h, w), dtype=np.float32)
    for rows in row_bands(h, w, _BLOCK_PIXELS):
        top, bottom = max(rows.start - 1, 0), min(rows.stop + 1, h)
        out[rows] = _band_run_strength(indices[top:bottom])[rows.start - top:rows.stop - top]
    return out


def _band_run_strength(band: np.ndarray) -> np.ndarray:
    h, w = band.shape
    starts = np.ones((h, w), dtype=bool)
    np.not_equal(band[:, 1:], band[:, :-1], out=starts[:, 1:])
    run = np.cumsum(starts.ravel()) - 1  # every row starts a run
    stacked = np.zeros((h, w), dtype=np.float32)
    stacked[1:] += band[1:] == band[:-1]
    stacked[:-1] += band[:-1] == band[1:]
    support = np.bincount(run) + _STACK_WEIGHT * np.bincount(run, weights=stacked.ravel())
    return (support / (support + _RUN_HALF)).astype(np.float32)[run].reshape(h, w)


def _nearest_entries(colors: np.ndarray, alpha: np.ndarray | None, entries: np.ndarray,
                     to_features: Callable[[np.ndarray], np.ndarray],
                     known: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's nearest entry ``(n,)`` (``known``, or searched for), and whether it
    lies within ``_SAME`` and within ``_EXACT`` of it (two ``(n,)`` bool); the pixels are
    ``colors`` ``(n, c)`` with ``alpha`` ``(n,)`` as one more channel when given
    (:func:`_pixel_rows`)."""
    n = colors.shape[0]
    plain = (np.empty(n, dtype=np.int16 if entries.shape[0] <= 1 << 15 else np.intp)
             if known is None else known)
    same = np.empty(n, dtype=bool)
    near = np.empty(n, dtype=bool)

    def part(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _BLOCK_PIXELS):
            block = to_features(_pixel_rows(colors, alpha,
                                            slice(start, min(start + _BLOCK_PIXELS, rows.stop))))
            stop = start + block.shape[0]
            if known is None:
                plain[start:stop] = nearest(block, entries)
            off = block - entries[plain[start:stop]]
            sq = np.einsum("ij,ij->i", off, off)
            np.less_equal(sq, _SAME ** 2, out=same[start:stop])
            np.less_equal(sq, _EXACT ** 2, out=near[start:stop])

    by_parts(n, part)
    return plain, same, near


def _pixel_rows(colors: np.ndarray, alpha: np.ndarray | None, at: slice | np.ndarray
                ) -> np.ndarray:
    """The pixels ``at`` of ``colors`` ``(n, c)``, with their ``alpha`` ``(n,)`` as one
    more channel when given: made for a block or a band of pixels at a time, where a
    stack of the whole image's channels took 48 MB at 12 MP.

    >>> _pixel_rows(np.array([[1, 2], [3, 4]]), np.array([9, 8]), np.array([1])).tolist()
    [[3, 4, 8]]
    """
    # np.take gathers rows about 2.5x faster than indexing with an index array.
    part = colors[at] if isinstance(at, slice) else np.take(colors, at, axis=0)
    if alpha is None:
        return part
    out = np.empty((part.shape[0], part.shape[1] + 1), dtype=np.result_type(colors, alpha))
    out[:, :-1] = part
    out[:, -1] = alpha[at]
    return out


def gradient_runs(pixels: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Whether each pixel lies in a smooth gradient, ``(H, W)`` bool, of ``(H, W, c)`` uint8 pixels
    (and their ``(H, W)`` ``alpha`` as one more channel, when given).

    A run (a row's or a column's stretch of equal colours) is in a gradient when
    the colour beyond one of its ends differs from it by 1 or 2 levels at most in
    every channel, and the colour beyond the other end, if any, by no more (the
    image's border counts as neither): a gradient's bands step by a level or two,
    a flat fill meets text, edges or the border. A pixel is in a gradient when its
    row's run or its column's run is. Computed a band of rows, then of columns, at
    a time.

    >>> gradient_runs(np.array([[[10], [10], [11], [11], [90]]], np.uint8))[0].tolist()
    [True, True, False, False, False]
    """
    h, w = pixels.shape[:2]
    out = np.empty((h, w), dtype=bool)
    for rows in row_bands(h, w, _BLOCK_PIXELS):
        out[rows] = _band_gradient_runs(_with_alpha(pixels[rows], alpha, rows))
    for cols in row_bands(w, h, _BLOCK_PIXELS):
        band = _with_alpha(pixels[:, cols], alpha, (slice(None), cols))
        out[:, cols] |= _band_gradient_runs(band.transpose(1, 0, 2)).T
    return out


def _with_alpha(band: np.ndarray, alpha: np.ndarray | None, at: slice | tuple[slice, slice]
                ) -> np.ndarray:
    """A band ``(h, w, c)`` of pixels, with the band ``at`` of ``alpha`` as one more channel
    when given."""
    if alpha is None:
        return band
    return np.concatenate([band, alpha[at][..., None]], axis=2)


def _band_gradient_runs(band: np.ndarray) -> np.ndarray:
    """:func:`gradient_runs` along the rows of ``band`` only."""
    h, w = band.shape[:2]
    # steps[:, j]: the largest channel difference between columns j - 1 and j, 0 at the
    # borders; in uint8 (max - min), a channel at a time: a tenth of the time of int16 copies
    # and a reduction over the short channel axis.
    after, before = band[:, 1:], band[:, :-1]
    diff = np.maximum(after, before)
    diff -= np.minimum(after, before)
    largest = diff[..., 0]
    for c in range(1, diff.shape[2]):
        np.maximum(largest, diff[..., c], out=largest)
    steps = np.zeros((h, w + 1), dtype=np.int16)
    steps[:, 1:-1] = largest
    starts = steps[:, :-1] > 0
    starts[:, 0] = True
    ends = steps[:, 1:] > 0
    ends[:, -1] = True
    run = np.cumsum(starts.ravel()) - 1
    before, after = steps[:, :-1][starts], steps[:, 1:][ends]  # one per run, in run order
    small = ((before > 0) & (before <= _SMALL_STEP)) | ((after > 0) & (after <= _SMALL_STEP))
    graded = small & (before <= _SMALL_STEP) & (after <= _SMALL_STEP)
    return graded[run].reshape(h, w)


# Error diffusion: Floyd and Steinberg's weights to the right, below-left, below
# and below-right neighbours.
_FS_RIGHT, _FS_DOWN_LEFT, _FS_DOWN, _FS_DOWN_RIGHT = 7 / 16, 3 / 16, 5 / 16, 1 / 16
# The four as float32, (4, 1, 1): one product gives every share of a line's error.
_FS_SHARES = np.array([_FS_RIGHT, _FS_DOWN_LEFT, _FS_DOWN, _FS_DOWN_RIGHT],
                      dtype=np.float32)[:, None, None]
# Pixels of the sweep lines whose features, bounds and strengths are gathered at once.
_SWEEP_PIXELS = 1 << 18


def diffuse_errors(features: np.ndarray, entries: np.ndarray, strength: np.ndarray, *,
                   to_features: Callable[[np.ndarray], np.ndarray] | None = None,
                   shown: ShownEntries | None = None, alpha: np.ndarray | None = None,
                   fixed: np.ndarray | None = None) -> np.ndarray:
    """Map pixels onto palette entries with damped Floyd-Steinberg error diffusion.

    Parameters
    ----------
    features : (H, W, c) ndarray
        Pixels in the space the palette was fitted in (float32), or in any form
        ``to_features`` turns into that space.
    entries : (k, d) ndarray of float32
        The palette in the same space.
    strength : (H, W) ndarray of float32
        Share of the error diffused *into* each pixel, 0..1; 0 everywhere gives
        the nearest entry of every pixel, as without dithering.
    to_features : callable, optional
        ``(m, c) -> (m, d)`` float32, pixel by pixel, applied to the pixels of a band of
        sweep lines (below) at a time, about 2**18 of them, so that the whole image's
        features never exist at once; default: the values as float32.
    shown : ShownEntries, optional
        How the entries show, for a given palette with alpha: a pixel whose alpha
        feature is ``shown.full`` (opaque) takes no translucent entry when an opaque
        one looks as near to its colour, error included (see :class:`ShownEntries`).
    alpha : (H, W) ndarray, optional
        One more channel of ``features``, the last, taken with them pixel by pixel, so
        that the image's channels are never stacked whole (48 MB at 12 MP).
    fixed : (H, W) ndarray of int, optional
        An entry each pixel keeps, -1 where it is free: a pixel given one takes it,
        whatever its colour and the error it received, and passes on its error from
        that entry, as any pixel does (an animation's pixels kept from the previous
        frame, among which the changed ones are diffused).

    Returns
    -------
    (H, W) ndarray of int16 (intp beyond 32,768 entries)
        Entry of every pixel.

    Notes
    -----
    Each pixel's colour plus the error it receives is clipped to the box the
    palette and the pixel's own colour span, so a colour the palette cannot
    reach does not pile up error that then smears across the image. A pixel's error goes to
    neighbours that are all processed later; pixels on the same line
    ``x + 2 y = t`` depend on none of each other, so the image is swept one
    such line at a time, each line in one vectorised step. The pixels of a band
    of consecutive lines are first laid out line after line (:func:`_sweep_band`), so
    that each line is a contiguous run, with its features and clipping box
    ready. Prior validation is assumed.
    """
    h, w, c = features.shape
    convert = to_features or (lambda pixels: pixels.astype(np.float32))
    entries = np.ascontiguousarray(entries, dtype=np.float32)
    flat = np.ascontiguousarray(features).reshape(h * w, c)
    flat_alpha = None if alpha is None else np.ascontiguousarray(alpha).reshape(h * w)

    def pixels(at: np.ndarray) -> np.ndarray:
        return _pixel_rows(flat, flat_alpha, at)
    kept = None if fixed is None else np.ascontiguousarray(fixed).reshape(h * w)
    gain = np.ascontiguousarray(strength).reshape(h * w)
    out = np.empty(h * w, dtype=np.intp if entries.shape[0] > 1 << 15 else np.int16)
    n_lines = w + 2 * (h - 1)
    band = _band_lines(h, w)
    # Error received by line t (row y) at error[t - first, y - top], top the first row of
    # the band's first line: a band's lines span at most _band_rows rows (and the row below
    # the image). The three lines after a band carry over to the next.
    error = np.zeros((band + 3, _band_rows(band, h, w), entries.shape[1]), dtype=np.float32)
    for first in range(0, n_lines, band):
        lines = range(first, min(first + band, n_lines))
        top = _first_row(first, w)
        _sweep_band(lines, h, w, pixels, gain, entries, convert, error, top, out, shown,
                    kept)
        # Only the rows top .. (last row of lines[-1]) + 1 hold error: carry those of the next
        # band's rows, clear them all, not h + 1 rows a line (quadratic on a tall, narrow image).
        used = min(h - 1, lines[-1] // 2) + 2 - top
        shift = _first_row(lines.stop, w) - top
        carry = error[len(lines):len(lines) + 3, shift:used].copy()
        error[:, :used] = 0.0
        error[:3, :carry.shape[1]] = carry
    return out.reshape(h, w)


def _band_lines(h: int, w: int) -> int:
    """Sweep lines per band of :func:`diffuse_errors` on an ``h`` x ``w`` image: as many as
    hold about _SWEEP_PIXELS pixels, and no more than keep the error planes, a row for each
    row the band spans, within about 4 * _SWEEP_PIXELS rows.

    A tall, narrow image has a pixel or two a line: with a row of error for each of its h
    rows, a 1x1000 one took 3 GB, 1x5000 15 GB; bounding the bands by h alone (4 *
    _SWEEP_PIXELS // (h + 1) lines) made them one line from 2**20 rows, and their number
    grow as the square of the height (a 1 MP one-pixel-wide image took 50 s). A band of b
    lines spans at most (b + w) / 2 + 3 rows, so b * (b + w + 6) / 2 <= 4 * _SWEEP_PIXELS
    bounds the planes too, whatever the height.
    """
    budget = 4 * _SWEEP_PIXELS
    spanned = (math.isqrt((w + 6) ** 2 + 8 * budget) - (w + 6)) // 2
    return max(1, min(w + 2 * (h - 1), _SWEEP_PIXELS // min(h, (w + 1) // 2),
                      max(budget // (h + 1), spanned)))


def _band_rows(band: int, h: int, w: int) -> int:
    """Rows of error the ``band`` consecutive sweep lines of an ``h`` x ``w`` image touch
    at most: from the first row of their first line to the row below the last row of
    their last one, and at most the h rows and the row below the image."""
    return min(h + 1, (band + w) // 2 + 3)


def _first_row(line: int, w: int) -> int:
    """The first row of sweep line ``line`` (x + 2 y = line) of an image ``w`` wide."""
    return max(0, (line - w + 2) // 2)


def _sweep_band(lines: range, h: int, w: int, pixels: Callable[[np.ndarray], np.ndarray],
                gain: np.ndarray, entries: np.ndarray,
                convert: Callable[[np.ndarray], np.ndarray],
                error: np.ndarray, base: int, out: np.ndarray, shown: ShownEntries | None,
                fixed: np.ndarray | None = None) -> None:
    """:func:`diffuse_errors` on the sweep lines ``lines``: their pixels (``pixels`` of
    their flat indices) mapped to entries into ``out`` (flat), their errors into
    ``error`` (plane 0 is ``lines[0]``'s, row 0 is the image's row ``base``); ``fixed``:
    the flat entries pixels keep, -1 where free (None: all are)."""
    # Line t holds rows y0..y1-1 (x = t - 2 y within the image), at flat t + (w - 2) y.
    t = np.arange(lines.start, lines.stop)
    y0 = np.maximum(0, (t - w + 2) // 2)
    y1 = np.minimum(h - 1, t // 2) + 1
    sizes = np.maximum(y1 - y0, 0)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    rows = np.arange(int(ends[-1])) - np.repeat(starts - y0, sizes)
    where = np.repeat(t, sizes) + (w - 2) * rows
    if where.size == 0:  # lines without pixels only (a one-pixel-wide image)
        return
    own = convert(pixels(where))
    low = np.minimum(own, entries.min(axis=0))
    high = np.maximum(own, entries.max(axis=0))
    # Each pixel's strength once per feature, so that scaling its error is a plain product.
    weight = np.repeat(np.take(gain, where), own.shape[1]).reshape(own.shape)
    chosen = np.empty(where.size, dtype=out.dtype)
    minus_2e = np.ascontiguousarray(-2.0 * entries.T)
    e_sq = np.einsum("ij,ij->i", entries, entries)
    step = chunk_rows(*entries.shape)
    opaque = None if shown is None else own[:, -1] == shown.full
    held = None if fixed is None else np.take(fixed, where)
    for i, (a, b, top, bottom) in enumerate(zip(starts.tolist(), ends.tolist(),
                                                (y0 - base).tolist(), (y1 - base).tolist(),
                                                strict=True)):
        if a == b:  # no pixel on this line (one-pixel-wide images)
            continue
        value = weight[a:b] * error[i, top:bottom]
        value += own[a:b]
        np.maximum(value, low[a:b], out=value)
        np.minimum(value, high[a:b], out=value)
        idx = _line_nearest(value, minus_2e, e_sq, step)
        if opaque is not None:
            _keep_opaque(idx, value, opaque[a:b], shown)
        if held is not None:
            np.copyto(idx, held[a:b], where=held[a:b] >= 0)
        chosen[a:b] = idx
        value -= entries.take(idx, axis=0)
        shares = _FS_SHARES * value
        error[i + 1, top:bottom] += shares[0]
        error[i + 1:i + 4, top + 1:bottom + 1] += shares[1:]
    np.put(out, where, chosen)


def _line_nearest(value: np.ndarray, minus_2e: np.ndarray, e_sq: np.ndarray,
                  step: int) -> np.ndarray:
    """The nearest entry ``(m,)`` of each of a sweep line's ``value`` ``(m, d)`` float32:
    least ``e_sq + value @ minus_2e`` (``(k,)`` and ``(d, k)`` float32), lowest index on a
    tie, ``step`` rows at a time (:func:`~quantize._kernels.chunk_rows`).

    A line of 2,000 pixels against 64 or 256 entries in one product ran on two BLAS
    threads, which spin waiting on a busy machine: diffusing a 4000 x 3000 photo onto 256
    given colours took 33 s of CPU in a Python session, against 3.5 s so (the whole
    ``quantize reduce --palette-in --dither`` command, whose OpenBLAS threads spin less
    (:mod:`quantize._start`), 10.6 against 8.0 s). Each row's distances are the same in any
    chunk (the product sums a row's terms in the same order), so the entries are too.

    >>> _line_nearest(np.array([[1, 1, 1], [9, 9, 9]], np.float32),
    ...               np.array([[0, -20], [0, -20], [0, -20]], np.float32),
    ...               np.array([0, 300], np.float32), 1).tolist()
    [0, 1]
    """
    if value.shape[0] <= step:  # most lines: one product
        dist = value @ minus_2e
        dist += e_sq
        return dist.argmin(axis=1)
    out = np.empty(value.shape[0], dtype=np.intp)
    for start in range(0, value.shape[0], step):
        dist = value[start:start + step] @ minus_2e
        dist += e_sq
        out[start:start + step] = dist.argmin(axis=1)
    return out


class ShownEntries(NamedTuple):
    """A given palette's entries as they show, for :func:`diffuse_errors` to keep opaque
    pixels off translucent entries that look no nearer.

    ``features`` ``(k, 7)`` float32 are the entries over black, over white, then alpha
    (:func:`~quantize.colors.shown_features`); ``opaque`` ``(k,)`` bool marks the entries
    of alpha 255; ``full`` is the alpha feature of an opaque colour in the diffusion's
    ``space`` (0 in RGB, whose features hold transparency, 100 in Lab).

    Matched premultiplied, an opaque grey took a white entry of alpha 128 (grey 128 over
    black) once the error it received made it nearer than opaque black or white, and was
    drawn half transparent. A pixel counts as opaque by its own alpha, whatever alpha
    error it receives (negative only beside a translucent pixel drawn more opaque): drawn
    translucent, it would show what lies behind it. Its colour with the error is then
    seen as an opaque colour, alike over black and over white, and it takes the opaque
    entry that looks nearest to it when that looks as near as its premultiplied nearest
    (:func:`~quantize._kernels.shown_distance`); its error is measured from the entry it
    takes. Translucent pixels are matched premultiplied alone. Counting as opaque the
    pixels whose alpha, error included, is full instead left 131 opaque pixels of an
    icon on translucent entries of a palette fitted to another, against 122 (in Lab 4,
    against 0), for the same PSNR.
    """

    features: np.ndarray
    opaque: np.ndarray
    full: float
    space: str

    @classmethod
    def of(cls, palette: np.ndarray, space: str) -> ShownEntries | None:
        """Of a ``(k, 4)`` uint8 palette in ``space`` ("rgb" or "lab"); None when there is
        nothing to keep (no alpha, or no opaque or no translucent entry)."""
        if palette.shape[1] != 4:
            return None
        opaque = palette[:, 3] == 255
        if opaque.all() or not opaque.any():
            return None
        full = float(features_of(np.array([[0, 0, 0, 255]], np.uint8), space)[0, 3])
        return cls(shown_features(palette, space), opaque, full, space)

    def keep_nearer(self, labels: np.ndarray, rows: np.ndarray, seen: np.ndarray,
                    best: np.ndarray) -> None:
        """Give the colours ``rows`` of ``labels`` the opaque entries ``best`` where those
        look as near to them as the entries they have, by ``seen``, their features over
        black and over white (:func:`~quantize._kernels.shown_distance`); ``labels`` is
        changed in place."""
        nearer = (shown_distance(seen, self.features[best])
                  <= shown_distance(seen, self.features[labels[rows]]))
        labels[rows[nearer]] = best[nearer]


def _keep_opaque(idx: np.ndarray, value: np.ndarray, opaque: np.ndarray,
                 shown: ShownEntries) -> None:
    """Give each ``opaque`` pixel whose entry in ``idx`` is translucent the opaque entry
    that looks nearest to its ``value`` (features, error included) when that one looks as
    near (:class:`ShownEntries`); ``idx`` is changed in place.

    The opaque entry is the one nearest to the pixel's premultiplied colour, error
    included, the colour it is seen as. (Taken by the pixels' distances in RGB's
    features, which balance black and white, it was nearest to that colour made lighter
    by half the alpha error: diffused onto its own palette given back, a noise image
    with 40 % of its pixels at alpha 200 drew 3 opaque pixels translucent, against 2.)
    """
    moved = np.greater(opaque, shown.opaque.take(idx))  # opaque, on a translucent entry
    if not moved.any():  # most lines: one pass over them, not flatnonzero's two
        return
    rows = np.flatnonzero(moved)
    kept = np.flatnonzero(shown.opaque)
    colour = to_premultiplied(value[rows], shown.space)[:, :3]
    best = kept[nearest(colour, shown.features[kept, :3])]
    seen = np.hstack([colour, colour])  # an opaque colour, alike over black and white
    shown.keep_nearer(idx, rows, seen, best)


def indexed_image(indices: np.ndarray, palette: np.ndarray,
                  transparency: int | bytes | None = None) -> Image.Image:
    """Mode "P" image of ``(H, W)`` indices into ``(k, 3)`` uint8 ``palette`` (k <= 256).

    ``transparency`` is the index of the one fully transparent entry (int),
    or the alpha of the first entries (bytes, one per entry, as in a PNG tRNS
    chunk; entries after them are opaque).
    """
    if palette.shape[0] > MAX_PALETTE:
        raise ValueError(f"palette should have at most {MAX_PALETTE} entries, the most an "
                         f"indexed image holds, got {palette.shape[0]}")
    image = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8), mode="P")
    image.putpalette(np.ascontiguousarray(palette, dtype=np.uint8).tobytes(), "RGB")
    if transparency is not None:
        image.info["transparency"] = (transparency if isinstance(transparency, bytes)
                                      else int(transparency))
    return image


def last_entry_rank(n: int, at: int) -> np.ndarray:
    """The new index ``(n,)`` of each of ``n`` entries when the last one moves to ``at``
    (``0 <= at < n``) and those from ``at`` on follow it, one index higher.

    >>> last_entry_rank(4, 1).tolist()
    [0, 2, 3, 1]
    """
    dtype = np.uint8 if n <= MAX_PALETTE else np.uint16 if n <= 1 << 16 else np.uint32
    rank = np.arange(n, dtype=dtype)
    rank[at:n - 1] += 1
    rank[n - 1] = at
    return rank


def last_entry_at(indices: np.ndarray, palette: np.ndarray, at: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``indices`` ``(H, W)`` and ``palette`` ``(n, ...)``, whose last entry is the transparent
    one (as a result and a frame plan keep it), renumbered so that it is entry ``at`` and
    the entries from ``at`` on follow it (:func:`last_entry_rank`); the others keep their
    index. New arrays.

    >>> idx, pal = last_entry_at(np.array([[0, 2, 1]], np.uint8),
    ...                          np.array([[9, 9, 9], [5, 5, 5], [0, 0, 0]], np.uint8), 0)
    >>> idx.tolist(), pal[:, 0].tolist()
    ([[1, 0, 2]], [0, 9, 5])
    """
    rank = last_entry_rank(palette.shape[0], at)
    moved = np.empty_like(palette)
    moved[rank] = palette
    return rank[indices], moved
