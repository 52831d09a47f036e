"""Local statistics of an image's planes: texture, region texture, colour edges.

The filtering layer beneath :mod:`quantize.features` (which turns its planes
into weighted feature columns) and :mod:`quantize.segment` (which merges
regions by them). In: an ``(H, W, 3)`` uint8 sRGB image, or its CIE Lab
planes ``(3, H, W)`` float32 from :func:`lab_planes`. Out: float32 planes:

- :func:`texture_planes`: the texture filter bank (the share of the energy of
  each octave-like band of L* but the coarsest, the log of the total energy and
  two planes of its orientation, averaged over a window: ``len(scales) + 2``
  planes), standardised (or divided by spreads fixed for a set of images), on a copy
  at most 1024 pixels on its longer side;
- :func:`region_planes`: per-pixel vectors whose means over a region describe
  it (its colour and the amplitude of three bands of L*);
- :func:`edge_strength`: the colour gradient magnitude;
- :func:`box_statistics` and :func:`opposite_difference`: box means and the
  spread of L* in a window, and how much such a plane differs between the
  two sides of a pixel (half-box contrasts, a cheap oriented border cue);
- :func:`colour_bins` and :func:`opposite_histogram_difference`: each pixel's
  nearest among a few of the image's own colours, and how differently those
  colours are mixed on the two sides of a pixel (a chi-squared distance).

SciPy's Gaussian filter is imported by :func:`smooth` when first called, so
importing this module loads NumPy and Pillow only.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from . import _kernels

__all__ = ["DETAIL_AMPLITUDE", "DETAIL_SIGMA", "FINE_INTEGRATION_SIGMA", "INTEGRATION_SIGMA",
           "WORKING_MAX_SIDE", "box_statistics", "colour_bins", "detail_share", "edge_strength",
           "lab_planes", "opposite_difference", "opposite_histogram_difference",
           "region_planes", "resize_plane", "sample_pixels", "smooth", "texture_bank",
           "texture_planes", "working_lightness"]

#: Texture (and segmentation) work on a copy whose longer side is at most this
#: many pixels: region-scale statistics need no more resolution.
WORKING_MAX_SIDE = 1024
# Gaussian sigma (working pixels) of the window texture statistics are averaged
# over: wide enough to recognise a texture, and, for placing borders once the
# regions are known, a narrower one.
INTEGRATION_SIGMA = 12.0
FINE_INTEGRATION_SIGMA = 6.0
# Added to gradient amplitudes (L* units) before the log, so flat areas stay finite.
_ENERGY_FLOOR = 0.5
#: detail_share: the blur (Gaussian sigma, pixels) a pixel's detail is measured against,
#: and the difference in L* above which it has some (JPEG noise on flat areas stays under).
DETAIL_SIGMA = 1.4
DETAIL_AMPLITUDE = 2.0
# Pixels per plane used to estimate variances (a strided sample).
_SAMPLE_ROWS = 65536
# Region texture statistics (``region_planes``): band edges (pixels), the
# window each band's amplitude is averaged over, and a gain that puts a
# texture difference on the scale of a Lab colour difference.
_REGION_BANDS = (1.0, 2.0, 4.0)
_REGION_BAND_WINDOW = 2.0
_REGION_TEXTURE_GAIN = 1.0
_REGION_TEXTURE_FLOOR = 0.5
# colour_bins: Lloyd passes over a strided sample of about this many pixels.
_BIN_SAMPLE = 4096
_BIN_PASSES = 8


def lab_planes(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab planes ``(3, H, W)`` float32 of an ``(H, W, 3)`` uint8 sRGB image.

    The package's one conversion (``quantize._kernels.srgb_to_lab``, D65
    white point), laid out as planes for filtering. As in
    ``skimage.color.rgb2lab``, the rounded D65 white leaves sRGB white a few
    thousandths off the neutral axis.

    Examples
    --------
    >>> lab = lab_planes(np.array([[[255, 255, 255]]], dtype=np.uint8))
    >>> [round(float(v), 3) for v in lab[:, 0, 0]]
    [100.0, -0.002, 0.005]
    """
    return np.ascontiguousarray(np.moveaxis(_kernels.srgb_to_lab(rgb), -1, 0))


def texture_planes(rgb: np.ndarray, scales: tuple[float, ...], integration: float,
                   lightness: np.ndarray | None = None,
                   spreads: tuple[float, ...] | None = None) -> tuple[np.ndarray, int]:
    """Standardised texture statistics of an sRGB image, at the texture working resolution.

    The image (``(H, W, 3)`` uint8) is first box-downscaled by an integer
    ``factor`` so its longer side is at most 1024 pixels (1 for smaller
    images), and its lightness L* taken. Returns the ``(len(scales) + 2, h, w)``
    float32 planes of ``_texture_bank``, each with mean 0 and variance 1 over
    the image (a flat one left 0), and ``factor``. The planes are the share of the
    energy in each of the ``len(scales)`` bands the scales split L* into but the
    coarsest (whose share is the rest), the log of the total energy, and the
    orientation of the structure tensor, ``(Jxx - Jyy) / tr J`` and ``2 Jxy / tr J``,
    in that order (named by :attr:`quantize.features.FeatureSpec.column_names`).
    ``integration`` is the sigma, in working pixels, of the window the statistics
    are averaged over. ``lightness``, the L* plane
    of ``rgb`` (``lab_planes(rgb)[0]``) when the caller has it, is read, not
    converted again, when the image is not downscaled. With ``spreads``, the planes are
    divided by them instead (see :func:`texture_bank`).
    """
    lightness, factor = working_lightness(rgb, lightness)
    return texture_bank(lightness, scales, integration, spreads), factor


def working_lightness(rgb: np.ndarray, lightness: np.ndarray | None = None
                      ) -> tuple[np.ndarray, int]:
    """The L* plane of the texture working copy of ``rgb`` and the factor it was
    box-downscaled by (see :func:`texture_planes`, which takes ``lightness`` the same way)."""
    factor = max(1, math.ceil(max(rgb.shape[:2]) / WORKING_MAX_SIDE))
    if factor > 1:
        lightness = lab_planes(np.asarray(Image.fromarray(rgb).reduce(factor)))[0]
    elif lightness is None:
        lightness = lab_planes(rgb)[0]
    return lightness, factor


def texture_bank(lightness: np.ndarray, scales: tuple[float, ...], integration: float,
                 spreads: tuple[float, ...] | None = None) -> np.ndarray:
    """:func:`texture_planes` of a working copy's L* plane (:func:`working_lightness`).

    With ``spreads``, one positive number per plane, each plane is divided by its own
    instead of being standardised over the image, and not centred: the same pixels then
    give the same values whatever else the image holds (shared classes, fitted on many
    images, :mod:`quantize.classes`).

    >>> flat = np.zeros((8, 8), np.float32)
    >>> bank = texture_bank(flat, (1.0,), 2.0, spreads=(2.0, 1.0, 1.0))
    >>> [round(float(plane[0, 0]), 3) for plane in bank]  # the log of the energy floor, halved
    [-0.347, 0.0, 0.0]
    """
    planes = _texture_bank(lightness, scales, integration)
    if spreads is None:
        return _standardize(planes)
    planes /= np.asarray(spreads, np.float32)[:, None, None]
    return planes


def detail_share(lightness: np.ndarray) -> float:
    """The share of pixels of an L* plane with fine detail: those that differ from a
    Gaussian blur of sigma :data:`DETAIL_SIGMA` by more than :data:`DETAIL_AMPLITUDE`.

    A photo's texture and noise give most pixels some (a fifth to three quarters of
    scikit-image's photos and textures, 0.12 or more on 95 % of BSDS500 train);
    a flat drawing only the pixels along its edges (0.03 on a 500 x 300 flag).

    >>> flat = np.zeros((40, 40), np.float32)
    >>> flat[:, 20:] = 50.0
    >>> detail_share(flat)  # the four columns nearest the edge
    0.1
    """
    detail = lightness - smooth(lightness, DETAIL_SIGMA)
    return float(np.count_nonzero(np.abs(detail) > DETAIL_AMPLITUDE)) / max(detail.size, 1)


def region_planes(lab: np.ndarray, w: dict[str, float]) -> np.ndarray:
    """Per-pixel vectors ``(H, W, d)`` float32 whose region means describe a region.

    A view of ``d`` contiguous planes ``(d, H, W)``, so ``reshape(H * W, d)`` is one
    too (Fortran order).

    ``lab`` is ``(3, H, W)`` Lab (from :func:`lab_planes`), ``w`` validated
    weights. The columns are Lab colour times ``sqrt(color)``, L* times
    ``sqrt(intensity)`` and the local amplitude of three octave bands of L*
    (detail finer than 1, 1 to 2 and 2 to 4 pixels, averaged over a Gaussian of
    sigma 2, less a noise floor of 0.5 L* units) times ``sqrt(texture)`` and
    ``_REGION_TEXTURE_GAIN``: averaged over
    a region, the bands describe its grain and contrast with the region itself
    as the window, so the statistics do not bleed across its borders. Groups
    of weight 0 are left out (with every weight 0 but ``xy``, the colour is kept).
    """
    parts = []
    if w["color"] > 0 or not (w["intensity"] > 0 or w["texture"] > 0):
        parts.append(lab * np.float32(math.sqrt(w["color"] or 1.0)))
    if w["intensity"] > 0:
        parts.append(lab[:1] * np.float32(math.sqrt(w["intensity"])))
    if w["texture"] > 0:
        gain = np.float32(math.sqrt(w["texture"]) * _REGION_TEXTURE_GAIN)
        finer = lab[0]
        for sigma in _REGION_BANDS:
            coarser = smooth(lab[0], sigma)
            amplitude = smooth(np.abs(finer - coarser), _REGION_BAND_WINDOW)
            amplitude -= np.float32(_REGION_TEXTURE_FLOOR)
            parts.append((np.maximum(amplitude, 0) * gain)[None])
            finer = coarser
    # A view of the planes, not a copy: each column of ``reshape(H * W, d)`` is a plane,
    # contiguous, as the per-region sums read them.
    return np.concatenate(parts).transpose(1, 2, 0)


def edge_strength(lab: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Colour gradient magnitude ``(H, W)`` float32 of Lab planes ``(3, H, W)``.

    In Lab units per pixel.

    Each plane is smoothed by a Gaussian of ``sigma`` pixels and differentiated
    by central differences; the result is the root of the summed squares.
    """
    total = np.zeros(lab.shape[1:], dtype=np.float32)
    for plane in lab:
        for d in _gradient(smooth(plane, sigma)):
            total += d * d
    return np.sqrt(total)


def box_statistics(lab: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Box means ``(3, H, W)`` float32 of Lab planes ``(3, H, W)`` and the spread ``(H, W)`` of L*.

    Each pixel takes the mean of each plane over the ``size`` x ``size`` box
    centred on it (sides reflected), and the standard deviation of L* in that
    box, a measure of how busy the texture there is.

    Examples
    --------
    >>> lab = np.zeros((3, 1, 4), dtype=np.float32)
    >>> lab[0, 0, 2:] = 30.0
    >>> means, spread = box_statistics(lab, 3)
    >>> means[0, 0].tolist(), [round(float(v), 2) for v in spread[0]]
    ([0.0, 10.0, 20.0, 30.0], [0.0, 14.14, 14.14, 0.0])
    """
    from scipy import ndimage

    means = np.stack([ndimage.uniform_filter(plane, size, mode="reflect") for plane in lab])
    squares = ndimage.uniform_filter(lab[0] * lab[0], size, mode="reflect")
    return means, np.sqrt(np.maximum(squares - means[0] * means[0], 0))


def opposite_difference(planes: np.ndarray, y: np.ndarray, x: np.ndarray,
                        offset: int) -> np.ndarray:
    """How much planes ``(c, H, W)`` differ across each pixel ``(y[i], x[i])``: ``(n,)`` float32.

    For each of four directions (down, right and the two diagonals), the
    Euclidean distance between the planes' values ``offset`` pixels ahead of the
    pixel and ``offset`` pixels behind it (about ``offset / sqrt(2)`` steps of
    each axis on a diagonal, at least 1; positions past a side are clipped to
    it); the largest of the four. On box means of half-width ``offset - 1``
    this compares the two boxes that touch at the pixel on either side.

    Examples
    --------
    >>> plane = np.zeros((1, 5, 5), dtype=np.float32)
    >>> plane[0, :, 3:] = 1.0
    >>> opposite_difference(plane, np.array([2, 2]), np.array([0, 2]), 1).tolist()
    [0.0, 1.0]
    """
    c, h, w = planes.shape
    flat = planes.reshape(c, h * w)
    best = np.zeros(y.shape, dtype=np.float32)
    diagonal = max(1, int(round(offset / math.sqrt(2))))
    for dy, dx in ((offset, 0), (0, offset), (diagonal, diagonal), (diagonal, -diagonal)):
        ahead = np.clip(y + dy, 0, h - 1) * w + np.clip(x + dx, 0, w - 1)
        behind = np.clip(y - dy, 0, h - 1) * w + np.clip(x - dx, 0, w - 1)
        diff = np.take(flat, ahead, axis=1) - np.take(flat, behind, axis=1)
        np.maximum(best, np.einsum("ij,ij->j", diff, diff), out=best)
    return np.sqrt(best)


def colour_bins(lab: np.ndarray, n_bins: int) -> np.ndarray:
    """Colour bin ``(H, W)`` intp in ``[0, n_bins)`` of each pixel of Lab planes ``(3, H, W)``.

    The bins are ``n_bins`` colours of the image itself, k-means centres
    (``_BIN_PASSES`` Lloyd passes) of a strided sample of about ``_BIN_SAMPLE``
    pixels, started from the sample's pixels at evenly spaced ranks of L*, so
    the bins are deterministic; each pixel takes the nearest. An image of fewer
    colours than bins leaves some bins empty.

    Examples
    --------
    >>> lab = np.zeros((3, 2, 4), dtype=np.float32)
    >>> lab[0, :, 2:] = 50.0
    >>> colour_bins(lab, 2).tolist()
    [[0, 0, 1, 1], [0, 0, 1, 1]]
    """
    pixels = lab.reshape(3, -1).T
    sample = pixels[:: max(1, pixels.shape[0] // _BIN_SAMPLE)].astype(np.float64)
    ranks = np.linspace(0, sample.shape[0] - 1, n_bins).round().astype(np.intp)
    start = sample[np.argsort(sample[:, 0], kind="stable")[ranks]]
    centers, _, _ = _kernels.lloyd(sample, None, start, _BIN_PASSES, labels_needed=False)
    return _kernels.nearest(pixels, centers).reshape(lab.shape[1:])


# Pixels whose boxes opposite_histogram_difference reads at once.
_HISTOGRAM_BAND = 1 << 14

# Boxes of opposite_histogram_difference, as (first row, last row, first column, last column)
# indices into its four row and column edges (pixel - radius, pixel, pixel + 1, pixel + radius
# + 1): the two boxes of each orientation, left | right, above / below and the two diagonals.
_OPPOSITE_BOXES = (((0, 3, 0, 1), (0, 3, 2, 3)), ((0, 1, 0, 3), (2, 3, 0, 3)),
                   ((0, 1, 0, 1), (2, 3, 2, 3)), ((0, 1, 2, 3), (2, 3, 0, 1)))


def opposite_histogram_difference(bins: np.ndarray, n_bins: int, y: np.ndarray,
                                  x: np.ndarray, radius: int) -> np.ndarray:
    """How differently bins ``(H, W)`` are mixed on two sides of pixels ``(y[i], x[i])``:
    ``(n,)`` float32 in [0, 1].

    For each of four orientations, the chi-squared distance
    ``0.5 * sum((p - q)**2 / (p + q))`` of the bin histograms ``p`` and ``q`` (each
    summing to 1) of two boxes on either side of the pixel, its own row and
    column left out: the ``(2 radius + 1) x radius`` boxes left and right of it,
    those above and below it, and the ``radius x radius`` boxes at its corners
    on either diagonal. Boxes are cut at the image's sides; a box cut away
    entirely counts as no difference. The largest of the four: 0 for the same
    mix, 1 for no bin in common. The boxes' counts come from one integral image
    of the bins, so the cost does not grow with ``radius``. Prior validation is
    assumed (``bins`` in ``[0, n_bins)``, ``radius`` >= 1).

    Examples
    --------
    >>> bins = np.zeros((5, 6), dtype=np.intp)
    >>> bins[:, 3:] = 1
    >>> d = opposite_histogram_difference(bins, 2, np.array([2, 2, 2]), np.array([0, 2, 4]), 2)
    >>> [round(float(v), 3) for v in d]
    [0.0, 1.0, 0.333]
    """
    h, w = bins.shape
    # uint16 counts wrap around, but a box's count, below 65536, comes out exact.
    integral = np.zeros((h + 1, w + 1, n_bins), dtype=np.uint16)
    integral.reshape(-1, n_bins)[
        (np.arange(1, h + 1)[:, None] * (w + 1) + np.arange(1, w + 1)).ravel(), bins.ravel()] = 1
    np.cumsum(integral, axis=0, out=integral)
    np.cumsum(integral, axis=1, out=integral)
    flat = integral.reshape(-1, n_bins)
    best = np.empty(y.shape, dtype=np.float32)
    # A band of pixels at a time: each pixel's 16 corners hold n_bins counts, and a large
    # photo's borders, read at full size, may hold tens of millions of pixels.
    for start in range(0, y.shape[0], _HISTOGRAM_BAND):
        band = slice(start, start + _HISTOGRAM_BAND)
        best[band] = _largest_box_difference(flat, (h, w), y[band], x[band], radius)
    return best


def _largest_box_difference(flat: np.ndarray, shape: tuple[int, int], y: np.ndarray,
                            x: np.ndarray, radius: int) -> np.ndarray:
    """:func:`opposite_histogram_difference` of pixels ``(y[i], x[i])``, from the integral
    image ``flat`` ``((h + 1) * (w + 1), n_bins)`` of bins ``shape`` ``(h, w)``."""
    h, w = shape
    row_edges = [np.clip(y + d, 0, h) for d in (-radius, 0, 1, radius + 1)]
    col_edges = [np.clip(x + d, 0, w) for d in (-radius, 0, 1, radius + 1)]
    # np.take copies whole rows at once; flat[index] copies them an element at a time.
    corners = [[np.take(flat, r * (w + 1) + c, axis=0) for c in col_edges] for r in row_edges]

    def box(r0: int, r1: int, c0: int, c1: int) -> tuple[np.ndarray, np.ndarray]:
        counts = corners[r1][c1] - corners[r0][c1] - corners[r1][c0] + corners[r0][c0]
        size = (row_edges[r1] - row_edges[r0]) * (col_edges[c1] - col_edges[c0])
        return counts.astype(np.float32), size.astype(np.float32)

    best = np.zeros(y.shape, dtype=np.float32)
    for one, other in _OPPOSITE_BOXES:
        np.maximum(best, _chi_squared(*box(*one), *box(*other)), out=best)
    return best


def _chi_squared(a: np.ndarray, total_a: np.ndarray, b: np.ndarray,
                 total_b: np.ndarray) -> np.ndarray:
    """Chi-squared distance ``(n,)`` of the histograms of bin counts ``(n, k)`` with totals
    ``(n,)``; 0 where a total is 0.

    With ``p = a / A`` and ``q = b / B``, ``0.5 * sum((p - q)**2 / (p + q))`` is
    ``1 - 2 * sum(a b / (a B + b A))``, a bin empty on both sides adding 0.
    """
    denominator = a * total_b[:, None]
    denominator += b * total_a[:, None]
    np.maximum(denominator, np.float32(1.0), out=denominator)  # a b = 0 where it is 0
    share = a * b
    share /= denominator
    chi = 1.0 - 2.0 * (share @ np.ones(a.shape[1], dtype=np.float32))
    chi[(total_a == 0) | (total_b == 0)] = 0.0
    return np.maximum(chi, 0.0)


# --------------------------------------------------------------------------
# Shared by the statistics and the feature groups
# --------------------------------------------------------------------------


def smooth(plane: np.ndarray, sigma: float | tuple[float, float]) -> np.ndarray:
    """Gaussian blur of a plane by ``sigma`` pixels (float32, reflected sides, 3 sigma wide);
    a pair is the sigma along the rows and along the columns."""
    from scipy import ndimage

    return ndimage.gaussian_filter(plane, sigma, output=np.float32, mode="reflect",
                                   truncate=3.0)


def sample_pixels(planes: np.ndarray) -> np.ndarray:
    """A strided sample ``(c, m)`` float64 of planes ``(c, H, W)``, to measure their spread on.

    Every ``step``-th pixel of each plane, with ``step`` chosen so that ``m``
    is between 65,536 and 131,071 (all pixels of a smaller image).
    """
    flat = planes.reshape(planes.shape[0], -1)
    step = max(1, flat.shape[1] // _SAMPLE_ROWS)
    return flat[:, ::step].astype(np.float64)


# --------------------------------------------------------------------------
# The texture filter bank
# --------------------------------------------------------------------------


def _texture_bank(L: np.ndarray, scales: tuple[float, ...], r: float) -> np.ndarray:
    """Texture statistics of a lightness plane, ``(len(scales) + 2, H, W)`` float32.

    L* is split into octave-like bands by Gaussian blurs at ``scales`` (band
    ``i`` holds the detail between blur ``scales[i-1]`` and ``scales[i]``, the
    first band the detail finer than ``scales[0]``). The energy of each band is
    averaged over a window (Gaussian sigma ``r``) so that a region of uniform
    texture gets one value. The columns are:

    - the share of the total energy in each band but the coarsest (whose share
      is the rest): the texture's grain, independent of its contrast;
    - the log of the total energy: its contrast;
    - the orientation of the window-averaged structure tensor at the middle
      scale, ``(Jxx - Jyy) / tr J`` and ``2 Jxy / tr J``: its direction and
      how strongly it has one.
    """
    n = len(scales)
    out = np.empty((n + 2,) + L.shape, dtype=np.float32)
    floor = np.float32(_ENERGY_FLOOR)
    total = np.full(L.shape, floor, dtype=np.float32)
    finer = L
    for i, s in enumerate(scales):
        coarser = smooth(L, s)
        band = finer - coarser
        energy = smooth(band * band, r)
        total += energy
        if i < n - 1:
            out[i] = energy
        finer = coarser
    out[:n - 1] /= total
    out[n - 1] = np.log(total)
    gy, gx = _gradient(smooth(L, scales[n // 2]))
    jxx, jyy, jxy = smooth(gx * gx, r), smooth(gy * gy, r), smooth(gx * gy, r)
    trace = jxx + jyy + floor
    out[n] = (jxx - jyy) / trace
    out[n + 1] = 2 * jxy / trace
    return out


def _gradient(plane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column derivatives by central differences; 0 along a side of one pixel."""
    return tuple(np.gradient(plane, axis=a) if plane.shape[a] > 1 else np.zeros_like(plane)
                 for a in (0, 1))


def _standardize(planes: np.ndarray) -> np.ndarray:
    """Centre each plane and scale it to unit variance, in place (a flat plane stays 0)."""
    sample = sample_pixels(planes)
    mean, std = sample.mean(axis=1), sample.std(axis=1)
    for plane, m, sd in zip(planes, mean, std, strict=True):
        plane -= np.float32(m)
        if sd > 1e-6:
            plane /= np.float32(sd)
    return planes


def resize_plane(plane: np.ndarray, shape: tuple[int, int], factor: int) -> np.ndarray:
    """Bilinear resize of a float32 plane of boxes of ``factor`` pixels back to ``shape`` (H, W).

    ``plane`` is at the resolution of the ``shape`` image box-downscaled by
    ``factor``, its last row and column of boxes partial when a side is not a
    multiple of it (Pillow's ``Image.reduce``). Full-size pixel ``i`` lies at
    ``(i + 0.5) / factor - 0.5`` in ``plane``, in the middle of its own box: the
    source window is the ``shape / factor`` boxes' worth of ``plane``, so a
    partial box does not stretch the others. Pixels beyond the first or last
    centre take the edge value.
    """
    im = Image.fromarray(np.ascontiguousarray(plane), mode="F")
    box = (0.0, 0.0, shape[1] / factor, shape[0] / factor)
    return np.asarray(im.resize((shape[1], shape[0]), Image.Resampling.BILINEAR, box=box))
