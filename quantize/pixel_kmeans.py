"""The k-means path of :func:`quantize.segment.segment`: pixels clustered on their features.

Given the working copy of a photo (see :mod:`quantize.segment`) and the
feature weights, :func:`cluster_pixels`

1. builds the weighted feature vectors (:func:`quantize.features.feature_array`);
2. fits :class:`quantize.kmeans.MiniBatchKMeans` on a random sample of at most
   ``FIT_SAMPLE`` pixels, then assigns every pixel to its nearest centre in chunks;
3. re-places the borders between clusters by colour where it tells the clusters
   apart, else with texture measured over a narrower window (:func:`refine_borders`);
4. unites the clusters that colour and texture cannot tell apart
   (:func:`unite_alike`), so that a flat area is not cut by position alone:
   ``k`` is the most clusters, not their number;
5. smooths the cluster map by majority vote, which removes specks and ragged
   borders while shapes at least a speck wide keep their pixels (without
   texture, see _SPECK_SIGMAS), brings it to
   full resolution a band of rows at a time, and numbers its connected regions
   from the runs of those rows, merging those under the size limit
   (:mod:`quantize.reconstruct.regions`).

Out come the region labels at full resolution, each region's cluster and the
cluster centres, from which ``segment`` builds its ``SegmentResult``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._kernels import (
    chunk_rows,
    group_means,
    group_sums,
    nearest,
    pack_rgb,
    spread,
    sq_dist_to,
)
from .errors import QuantizeWarning, warn_caller
from .features import FeatureSpec, feature_array
from .io import DARK_TOP, bulk_levels, outside_levels
from .kmeans import MiniBatchKMeans
from .reconstruct import regions as _regions
from .reconstruct.refine import refined_labels
from .texture import (
    FINE_INTEGRATION_SIGMA,
    lab_planes,
    region_planes,
    resize_plane,
    texture_planes,
)

if TYPE_CHECKING:
    from .classes import SharedClasses

__all__ = ["CLOSE_LEVELS", "FIT_SAMPLE", "PIECE_PIXELS", "STRETCH_ADVICE", "ClusterCountWarning",
           "cluster_pixels", "levels_too_close", "refine_borders", "spanned_levels",
           "speck_side", "unite_alike"]

#: Pixels the k-means fit sees at most; all pixels are then assigned.
FIT_SAMPLE = 200_000
# Rows assigned per predict call: bounds predict's own float32 copy of its input.
_ASSIGN_ROWS = 1 << 18
# Border refinement compares about this many (pixel, centre) pairs at a time: the
# distances of all pixels near a border at once, 160000 pixels of noise by 256 centres,
# held 0.57 GB.
_REFINE_CELLS = 1 << 20
# Border refinement: pixels this close (working pixels) to a cluster border
# are assigned again, in passes until none moves, at most _REFINE_PASSES: k-means put a
# blurred edge's border up to 20 pixels out (a dark band 40 pixels from the side of an
# 80 x 120 image: texture's edge band, see refine_borders), one pass moves it 16 at most.
_BAND_RADIUS = 16
_REFINE_PASSES = 4
# ... and two clusters whose mean colours, away from their borders, lie farther apart than
# _COLOUR_APART times the sum of their colours' spreads there are told apart by colour:
# their border is placed by colour and position alone. The three textures of
# bench_segment's mosaics (one mean colour) lie 0.01 apart; a dark blob on skin 19 to 29;
# on the first 20 BSDS500 train photos (-k 5) the median pair 2.2. Over those photos border
# F at 0.0075 x diagonal was 0.499 with texture placing every border, 0.508 with this rule.
# In one pass it was 0.497 at 1 and 0.502 at 0.5; with every pass placing every pixel again
# (texture's too) 0.514 at 0.5 and 0.518 at 0.25, but the mosaics' borders moved (seed 3 F
# 0.929 -> 0.923): after the first pass, only the pixels placed by colour are.
_COLOUR_APART = 0.25
# Majority smoothing of the cluster map: Gaussian sigma in working pixels, but
# at most the longer side divided by _MAJORITY_PER_SIDE (small images).
_MAJORITY_SIGMA = 6.0
_MAJORITY_PER_SIDE = 64
# ... which removes a square narrower than about 2.1 sigma (the vote at its centre,
# erf(side / (2 sqrt(2) sigma)) ** 2, is under 1/2): the speck size, 1/30 of the longer
# side, 13 pixels at most. A shape that holds a square of that side (rounded up, so that
# no speck the vote removes is kept) keeps its pixels (smooth_label_map's keep_side),
# where the vote alone would round its corners off and shrink it; without texture only.
# With texture (the default weights), keeping them cost bench_segment's texture mosaics
# (-k 3, seeds 0-4) border F, worst seed 0.857 -> 0.832, under its 0.85 target: blobs of
# a texture mistaken near a border, a speck wide, stayed where the vote wore them down.
_SPECK_SIGMAS = 2.1
#: The pieces of a cluster counted before the smoothing and the merging, for a warning
#: when a quarter of them are lost (quantize.segment), are those of at least this many
#: working pixels: single pixels and pairs of noise along a border are not details. Not
#: counted with texture features (the default weights): their clusters' speck-wide blobs
#: near a border are mostly the texture window's blur (see _SPECK_SIGMAS); counted, every
#: photo warned (skimage.data.coffee() -k 4: one cluster's 44 pieces became 4 regions).
PIECE_PIXELS = 4
# unite_alike, in the Lab units of texture.region_planes: colours nearer than _ALIKE look
# the same (a just-noticeable difference is about 2.3); a cluster, or the side of a
# border, whose mean grain is under _FLAT is flat. Texture features (of unit total
# variance over the image at weight 1) nearer than _ALIKE_TEXTURE look the same: on
# bench_segment's texture mosaics (seeds 0-4) the means of two textures' clusters lie
# 0.99 to 2.2 apart. A border's sides are its pixels within _CONTRAST_RADIUS.
_ALIKE = 3.0
_FLAT = 1.0
_ALIKE_TEXTURE = 0.5
_CONTRAST_RADIUS = 6


class ClusterCountWarning(QuantizeWarning):
    """The image has fewer distinct pixels than clusters were asked for, or no border
    between its clusters shows a change in the weighted colour, intensity or texture:
    fewer clusters are used."""


def cluster_pixels(work: np.ndarray, shape: tuple[int, int], factor: int, k: int,
                   w: dict[str, float], space: str, scales: tuple[float, ...],
                   min_region: int, rng: np.random.Generator,
                   image: np.ndarray | None = None, smooth: int | None = None,
                   hidden: np.ndarray | None = None, shared: SharedClasses | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray | None, int]:
    """Cluster the pixels of ``work`` into ``k`` clusters; regions at full size ``shape``.

    ``work`` is the ``shape`` image box-downscaled by the integer ``factor``
    (1: the image itself), its last row and column of boxes partial when a side
    is not a multiple of ``factor`` (Pillow's ``Image.reduce``); each full-size
    pixel goes back to the box it was averaged into. With ``image``, the ``shape`` image
    itself ``(H, W, 3)`` uint8, the pixels near a border between clusters are decided
    again by their own colour at full size
    (:func:`~quantize.reconstruct.refine.refined_labels`), so that the borders follow its
    edges rather than the boxes' sides. ``smooth`` is the speck size of the majority
    smoothing in full-size pixels (:func:`speck_side`): None for the default, 0 for none.
    ``hidden``, ``(H, W)`` bool, marks the fully transparent pixels of the full-size
    image (some pixel visible, ``image`` given): k-means is fitted on the other pixels
    alone, into at most ``k`` clusters, and the hidden ones are a cluster of their own,
    the last (:func:`_set_apart`), in regions of their own (none merged with a visible
    one). A working pixel is hidden when its whole box is. With ``shared``
    (:class:`~quantize.classes.SharedClasses`, of ``k`` centres fitted on ``w``, ``space``
    and ``scales``), the features are scaled by its divisors and each pixel is assigned to
    the nearest of its centres: no fit and no uniting, so that cluster ``i`` is its class
    ``i`` in every image.

    Returns
    -------
    labels : (H, W) ndarray of int32
        Region 1..R of every pixel of the full-size image.
    clusters : (R,) ndarray of intp
        The cluster of each region.
    centers : (k', d) ndarray
        The cluster centres in feature space: k' < k when the image has fewer
        distinct feature vectors (with a :class:`ClusterCountWarning`), or
        when :func:`unite_alike` united some (a united cluster's centre is the
        mean of its parts' centres, weighted by their pixels).
    unmerged : int
        The regions before those under ``min_region`` pixels merged: more than R when
        some did (a smoothed-away speck is none of them).
    pieces : (k',) ndarray of intp or None
        Without texture features, each cluster's connected pieces (4-connected) of at
        least ``PIECE_PIXELS`` working pixels before the smoothing and the merging; None
        with them (see _PIECE_PIXELS).
    large_pieces : int
        When the majority smoothing changed the working cluster map, its connected pieces
        (4-connected) before it of at least ``min_region`` full-size pixels (as many boxes
        as cover them), those that ``min_region`` alone would have kept; 0 when it changed
        nothing (or with ``smooth=0``).
    """
    lab = lab_planes(work)  # for the features and unite_alike
    X, spec = feature_array(work, w, space, scales, lab,
                            *((None, None) if shared is None
                              else (shared.divisors, shared.texture_spreads)))
    boxes = None if hidden is None else _hidden_boxes(hidden, factor)
    if shared is None:
        centers, pixel_clusters = _cluster(X, k, rng, None if boxes is None else ~boxes.ravel())
    else:
        centers, pixel_clusters = shared.centers, nearest(X, shared.centers).astype(np.int32)
    small_map = pixel_clusters.reshape(work.shape[:2])
    if boxes is not None:
        centers = _set_apart(small_map, boxes, X, centers, last_is_hidden=False)
    n_centers = centers.shape[0]
    if "texture" in spec.columns:
        refine_borders(small_map, X, work, spec, n_centers, lab[0])
    if shared is None:
        centers = unite_alike(small_map, lab, X, spec, centers)
    if boxes is not None:
        centers = _set_apart(small_map, boxes, X, centers, last_is_hidden=True)
    apart = int(boxes is not None)  # the hidden pixels' cluster is not one k-means found
    if n_centers - apart > 1 == centers.shape[0] - apart:  # a black-to-white gradient too
        shown = None if boxes is None else (~boxes).astype(np.uint8)
        warn_caller(_united_into_one(k, n_centers - apart, w, *spanned_levels(work, shown)),
                    ClusterCountWarning)
    elif n_centers - apart == k > centers.shape[0] - apart:  # fewer found: said by _cluster
        colours = np.unique(pack_rgb(work if boxes is None else work[~boxes])).size
        warn_caller(_united_into_fewer(k, centers.shape[0] - apart, w, work.shape[:2], shape,
                                       colours), ClusterCountWarning)
    n_centers = centers.shape[0]
    textured = "texture" in spec.columns
    smoothed = _smoothed_map(small_map, n_centers, factor, smooth, textured)
    changed = not np.array_equal(small_map, smoothed)
    # the working map's connected pieces, which both counts below take
    found = _regions.connected_regions(small_map)[0] if changed or not textured else None
    pieces = None if textured else _cluster_pieces(found, small_map, n_centers)
    # The smoothed map at full size is read a band of rows at a time and kept as its runs.
    rows = _regions.enlarged_rows(smoothed, shape, factor)
    if image is not None and factor > 1:
        full = refined_labels(smoothed, lab, image, factor, enlarged=rows)
        rows = lambda start, stop: full[start:stop]  # noqa: E731
    if hidden is not None and image is not None:
        rows = _hidden_apart_rows(rows, hidden, image, _cluster_colours(work, small_map,
                                                                        n_centers - 1))
    runs = _regions.region_runs(rows, shape)
    labels, clusters = _regions_of(runs, small_map, factor, X, min_region, n_centers,
                                   apart=None if hidden is None else n_centers - 1)
    large = _large_pieces(found, min_region, factor) if changed else 0
    return labels, clusters, centers, runs.n, pieces, large


def _hidden_boxes(hidden: np.ndarray, factor: int) -> np.ndarray:
    """The working pixels (boxes of ``factor`` full-size pixels, the last ones partial, as
    Pillow's ``Image.reduce`` makes them) of which every pixel of ``hidden`` is True."""
    if factor == 1:
        return hidden
    from PIL import Image

    share = np.asarray(Image.fromarray(hidden.astype(np.uint8) * np.uint8(255)).reduce(factor))
    return share == 255


def _set_apart(small_map: np.ndarray, hidden: np.ndarray, X: np.ndarray, centers: np.ndarray,
               *, last_is_hidden: bool) -> np.ndarray:
    """Put the ``hidden`` pixels of ``small_map`` (in place) in a cluster of their own,
    the last, and return the centres, that cluster's the mean of their rows of ``X``.

    With ``last_is_hidden``, the last of ``centers`` is theirs already, unless a step
    since (:func:`unite_alike`) united it with a visible cluster, so that most of them lie
    elsewhere or most of its pixels are visible: then they get a new one. A few of them
    moved out of it, or a few visible pixels moved in (the border refinement moves pixels
    by their features, which the hidden ones' fill colour shares), leave it theirs: a new
    centre then left the old one empty, a gap in the cluster numbers. A visible pixel in
    their cluster goes to the nearest other centre. Prior validation is assumed: some
    pixel is hidden and some visible.
    """
    flat, rows = small_map.reshape(-1), hidden.reshape(-1)
    t = centers.shape[0] - 1
    if not last_is_hidden or not _mostly_theirs(flat == t, rows):
        t += 1
        centers = np.vstack([centers, X[rows].mean(axis=0, dtype=np.float64)])
    flat[rows] = t
    stray = np.flatnonzero(~rows & (flat == t))
    if stray.size:
        flat[stray] = nearest(X[stray], centers[:t].astype(X.dtype))
    return centers


def _mostly_theirs(in_last: np.ndarray, hidden: np.ndarray) -> bool:
    """Whether the last cluster (``in_last``, bool, of every working pixel) is that of
    the ``hidden`` pixels: most of them are in it, and most of its pixels are hidden."""
    both = np.count_nonzero(in_last & hidden)
    return 2 * both > np.count_nonzero(hidden) and 2 * both > np.count_nonzero(in_last)


def _cluster_colours(work: np.ndarray, small_map: np.ndarray, k: int) -> np.ndarray:
    """Mean RGB ``(k, 3)`` float32 of the working pixels of each of clusters 0..k-1."""
    means = group_means(work.reshape(-1, 3).astype(np.float32), small_map.ravel(), k + 1)[0]
    return means[:k].astype(np.float32)


def _hidden_apart_rows(rows: Callable[[int, int], np.ndarray], hidden: np.ndarray,
                       rgb: np.ndarray, colours: np.ndarray
                       ) -> Callable[[int, int], np.ndarray]:
    """``rows`` of the full-size cluster map with the ``hidden`` pixels in the hidden
    cluster, ``len(colours)``, and any other pixel the smoothing or the enlarging put
    there in the visible cluster of the nearest mean colour ``colours`` (its own colour
    in ``rgb``, ``(H, W, 3)`` uint8)."""
    t = colours.shape[0]

    def apart(start: int, stop: int) -> np.ndarray:
        band = np.array(rows(start, stop), dtype=np.int32)
        off = hidden[start:stop]
        stray = ~off & (band == t)
        if stray.any():
            band[stray] = nearest(rgb[start:stop][stray].astype(np.float32), colours)
        band[off] = t
        return band

    return apart


def _smoothed_map(small_map: np.ndarray, k: int, factor: int, smooth: int | None,
                  textured: bool) -> np.ndarray:
    """The majority smoothing of the working cluster map ``small_map`` (values 0..k-1,
    boxes of ``factor`` pixels), specks narrower than ``smooth`` full-size pixels removed
    (None: :func:`speck_side`'s default; 0: none, the map itself, as int32)."""
    if smooth == 0:
        return small_map.astype(np.int32)
    if smooth is None:
        sigma = _majority_sigma(small_map.shape)
        side = math.ceil(_SPECK_SIGMAS * sigma)
    else:
        sigma = smooth / factor / _SPECK_SIGMAS
        side = math.ceil(smooth / factor)
    # By texture, a speck-wide blob near a border is as likely the texture window's blur
    # as a detail: there the vote alone decides (see _SPECK_SIGMAS).
    return _regions.smooth_label_map(small_map, k, sigma, keep_side=0 if textured else side)


def _cluster_pieces(pieces: np.ndarray, small_map: np.ndarray, k: int) -> np.ndarray:
    """The connected pieces (4-connected) of each of the ``k`` clusters of ``small_map``
    that hold at least ``PIECE_PIXELS`` pixels, ``(k,)``; ``pieces``: the map's pieces
    (:func:`~quantize.reconstruct.regions.connected_regions`)."""
    sizes = np.bincount(pieces.ravel())
    first = np.zeros(sizes.size, dtype=np.intp)
    first[pieces.ravel()] = small_map.ravel()  # each piece's cluster
    return np.bincount(first[sizes >= PIECE_PIXELS], minlength=k)


def _large_pieces(pieces: np.ndarray, min_region: int, factor: int) -> int:
    """How many of ``pieces``, the connected pieces (4-connected) of the working cluster map
    before the majority smoothing, hold at least ``min_region`` full-size pixels (boxes of
    ``factor`` x ``factor``)."""
    sizes = np.bincount(pieces.ravel())[1:]
    return int(np.count_nonzero(sizes >= max(1, -(-min_region // factor ** 2))))


def _majority_sigma(work_shape: tuple[int, ...]) -> float:
    """The Gaussian sigma of the majority smoothing of a cluster map of ``work_shape``."""
    return min(_MAJORITY_SIGMA, max(work_shape) / _MAJORITY_PER_SIDE)


def speck_side(work_shape: tuple[int, ...], factor: int, smooth: int | None = None) -> int:
    """About the side, in full-size pixels, under which a square detail is a speck that
    the majority smoothing of :func:`cluster_pixels` removes, on a working copy of
    ``work_shape`` box-downscaled by ``factor``: 1/30 of its longer side, 13 working
    pixels at most (see _SPECK_SIGMAS), or ``smooth`` when given.

    >>> speck_side((64, 64), 1), speck_side((872, 1000), 2), speck_side((64, 64), 1, 0)
    (3, 26, 0)
    """
    if smooth is not None:
        return smooth
    return math.ceil(_SPECK_SIGMAS * _majority_sigma(work_shape)) * factor


#: How a warning of an image whose levels are too close to tell apart ends, from
#: :func:`~quantize.segment.segment` (the command line writes ``stretch=True`` as
#: ``--stretch``).
STRETCH_ADVICE = "give stretch=True to map the image's own range onto 0..255 before segmenting"
#: Levels an image's pixels span fewer than which k-means may not tell apart, so that a
#: warning of one cluster says they are too close and to stretch them
#: (:func:`levels_too_close`): ``segment(image, 2)`` told apart the flat halves of 8 x 8 to
#: 200 x 200 images from 7 to 11 levels apart (from levels 50 and 0; the hierarchy's is
#: :data:`~quantize.segment.HIERARCHY_CLOSE_LEVELS`). Levels further apart are not too
#: close: 61 of an 8 x 8 photo crop were called so, and the stretch gave one region still.
CLOSE_LEVELS = 12


def _united_into_one(k: int, n_centers: int, w: dict[str, float], darkest: int = 0,
                     brightest: int = 255, beyond: int = 0) -> str:
    """The warning when :func:`unite_alike` united all ``n_centers`` clusters into one:
    no border shows a change in the groups ``w`` weighs, which it names, with xy when
    weighted, when colour or texture is weighted 0. Of an image whose levels
    ``darkest``..``brightest`` span fewer than :data:`CLOSE_LEVELS` (a float image of
    0.40..0.42, say) or fill only the low part of the range, all below
    :data:`~quantize.io.DARK_TOP` (a dark one: a 12-bit scene in a 16-bit file read as
    counts, 0..16 of 255, whose warning says so; those of all but ``beyond`` pixels,
    outliers such as a hot pixel that a stretch took as white:
    :func:`~quantize.io.bulk_levels`, :func:`~quantize.io.outside_levels`), it says that
    instead of calling it plain, and,
    when no outlier sets the range and the levels are not one, to give ``stretch=True``
    (:data:`STRETCH_ADVICE`). An image of one level is plain.

    >>> print(_united_into_one(2, 2, {"color": 1.0, "intensity": 0.0, "xy": 0.3,
    ...                               "texture": 1.0}, 4, 12))
    n_clusters=2 but no border between the 2 clusters k-means found shows a change in \
colour or texture, so they are united into 1 cluster: the image is dark, its levels 4..12 \
of 255, too close to tell apart; give stretch=True to map the image's own range onto \
0..255 before segmenting
    >>> _united_into_one(5, 5, {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 1.0},
    ...                  0, 16).partition("1 cluster: ")[2][:49]
    'the image is dark, its levels 0..16 of 255, too c'
    >>> _united_into_one(4, 4, {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 1.0},
    ...                  102, 107).partition("1 cluster: ")[2][:60]
    'its levels 102..107 of 255 are too close to tell apart; give'
    >>> _united_into_one(2, 2, {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 1.0},
    ...                  0, 11, 1)[-83:]
    'its levels 0..11 of 255 but for 1 brighter or darker pixel, too close to tell apart'
    >>> _united_into_one(3, 3, {"color": 0.0, "intensity": 0.0, "xy": 0.3, "texture": 1.0})
    'n_clusters=3 but no border between the 3 clusters k-means found shows a change in \
texture, the only group weighted besides xy (weight color=0), so they are united into 1 \
cluster; to tell clusters apart by colour too, give weight color=1'
    >>> _united_into_one(3, 3, {"color": 0.0, "intensity": 0.0, "xy": 0.0, "texture": 1.0})
    'n_clusters=3 but no border between the 3 clusters k-means found shows a change in \
texture, the only group weighted (weight color=0 and weight xy=0), so they are united into \
1 cluster; to tell clusters apart by colour too, give weight color=1'
    """
    head = f"n_clusters={k} but no border between the {n_centers} clusters k-means found "
    off = [g for g in ("color", "texture") if w[g] == 0]
    if not off and darkest < brightest and (brightest - darkest < CLOSE_LEVELS
                                            or brightest < DARK_TOP):
        return (head + "shows a change in colour or texture, so they are united into 1 "
                f"cluster: {levels_too_close(darkest, brightest, beyond)}")
    if not off:
        return (head + "shows a change in colour or texture (a plain image, or a smooth "
                "gradient), so they are united into 1 cluster; to cluster by position alone, "
                "give weight color=0 and weight texture=0")
    words = {"color": "colour", "intensity": "intensity", "texture": "texture"}
    judged = [words[g] for g in ("color", "intensity", "texture") if w[g] > 0]
    groups = "group" if len(judged) == 1 else "groups"
    besides, zeros = (" besides xy", off) if w["xy"] > 0 else ("", [*off, "xy"])
    return (head + f"shows a change in {' or '.join(judged)}, the only {groups} weighted"
            f"{besides} ({' and '.join(f'weight {g}=0' for g in zeros)}), so they are united "
            f"into 1 cluster; to tell clusters apart by {' and '.join(words[g] for g in off)} "
            f"too, give {' and '.join(f'weight {g}=1' for g in off)}")


def _united_into_fewer(k: int, kept: int, w: dict[str, float], work_shape: tuple[int, int],
                       shape: tuple[int, int], colours: int = 256 ** 3) -> str:
    """The warning when :func:`unite_alike` united the ``k`` clusters k-means found into
    ``kept`` > 1: no border between some of them shows a change; of an image that shows
    fewer than ``k`` ``colours`` (the working copy's), it says so. With texture weighted, on
    a working copy of ``work_shape`` smaller than the image's ``shape``, it says that
    ``working_size='full'`` clusters the image itself, where textures that the working
    copy's box-downscale blurs alike may be told apart.

    >>> print(_united_into_fewer(3, 2, {"color": 1.0, "texture": 1.0}, (64, 64), (64, 64)))
    n_clusters=3 but no border between some of the 3 clusters k-means found shows a change \
in colour or texture, so they are united into 2 clusters
    >>> _united_into_fewer(3, 2, {"color": 1.0, "texture": 1.0}, (8, 8), (8, 8), 2)[-42:]
    '2 clusters: the image shows only 2 colours'
    >>> _united_into_fewer(3, 2, {"color": 1.0, "texture": 1.0}, (1024, 1024),
    ...                    (3072, 3072)).partition("clusters: ")[2]
    "the texture was measured on the 1024 x 1024 working copy of this 3072 x 3072 image; \
working_size='full' clusters the image itself"
    """
    words = {"color": "colour", "intensity": "intensity", "texture": "texture"}
    judged = " or ".join(words[g] for g in words if w.get(g, 0) > 0)
    said = (f"n_clusters={k} but no border between some of the {k} clusters k-means found "
            f"shows a change in {judged}, so they are united into {kept} clusters")
    if colours < k:
        said += f": the image shows only {colours} colours"
    elif w["texture"] > 0 and tuple(work_shape) != tuple(shape):
        said += (f": the texture was measured on the {work_shape[1]} x {work_shape[0]} "
                 f"working copy of this {shape[1]} x {shape[0]} image; working_size='full' "
                 "clusters the image itself")
    return said


def spanned_levels(rgb: np.ndarray, alpha: np.ndarray | None = None) -> tuple[int, int, int]:
    """The levels a warning of an image too close in its levels names, of ``rgb``
    ``(H, W, 3)`` uint8 over the pixels that show (``alpha`` above 0; all when None):
    its darkest and brightest, when they span fewer than :data:`~quantize.io.DARK_TOP`
    (a stretch spreads them), with 0 pixels beyond; else those of all but a few outliers
    (:func:`~quantize.io.bulk_levels`) and how many lie beyond them
    (:func:`~quantize.io.outside_levels`), as when a hot pixel set a stretch's range.
    ``(0, 0, 0)`` when no pixel shows.

    >>> rgb = np.zeros((40, 50, 3), np.uint8); rgb[:, 25:] = 11
    >>> spanned_levels(rgb)
    (0, 11, 0)
    >>> rgb[0, 0] = 255
    >>> spanned_levels(rgb)
    (0, 11, 1)
    """
    shown = rgb if alpha is None else rgb[alpha > 0]
    if shown.size == 0:
        return 0, 0, 0
    darkest, brightest = int(shown.min()), int(shown.max())
    if brightest - darkest < DARK_TOP:
        return darkest, brightest, 0
    low, high = bulk_levels(rgb, alpha)
    return low, high, outside_levels(rgb, alpha, low, high)


def levels_too_close(darkest: int, brightest: int, beyond: int) -> str:
    """How a warning says that levels ``darkest``..``brightest`` (:func:`spanned_levels`)
    span too few levels to tell apart (fewer than :data:`CLOSE_LEVELS` for k-means) but for
    ``beyond`` pixels: an image whose brightest level is below
    :data:`~quantize.io.DARK_TOP` is called dark; with no pixel beyond, the words end with
    :data:`STRETCH_ADVICE`.

    >>> levels_too_close(102, 107, 0)
    "its levels 102..107 of 255 are too close to tell apart; give stretch=True to map the \
image's own range onto 0..255 before segmenting"
    >>> levels_too_close(0, 11, 1)
    'the image is dark, its levels 0..11 of 255 but for 1 brighter or darker pixel, too \
close to tell apart'
    """
    but_for = _but_for(beyond)
    if brightest < DARK_TOP:
        said = f"the image is dark, its levels {darkest}..{brightest} of 255{but_for}, too"
    else:
        said = f"its levels {darkest}..{brightest} of 255{but_for} are too"
    return f"{said} close to tell apart" + ("" if beyond else f"; {STRETCH_ADVICE}")


def _but_for(beyond: int) -> str:
    """The pixels outside the levels a warning names, as its words say them ("" for none)."""
    if beyond == 0:
        return ""
    return f" but for {beyond} brighter or darker pixel{'' if beyond == 1 else 's'}"


def _cluster(X: np.ndarray, k: int, rng: np.random.Generator,
             shown: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fit on a random sample of rows (of the ``shown`` ones, a bool mask, when given),
    then assign every row in chunks."""
    fitted = X if shown is None else X[shown]
    n = fitted.shape[0]
    if n > FIT_SAMPLE:
        sample = fitted[np.sort(rng.choice(n, size=FIT_SAMPLE, replace=False))]
    else:
        sample = fitted
    distinct = _count_distinct(sample, k)
    if distinct < k:
        vectors, clusters = ("vector", "cluster") if distinct == 1 else ("vectors", "clusters")
        warn_caller(f"n_clusters={k} but the image has only {distinct} distinct feature "
                    f"{vectors}; using {distinct} {clusters}", ClusterCountWarning)
        k = distinct
    model = MiniBatchKMeans(k, seed=rng).fit(sample)
    del fitted, sample
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int32)
    for start in range(0, n, _ASSIGN_ROWS):
        labels[start:start + _ASSIGN_ROWS] = model.predict(X[start:start + _ASSIGN_ROWS])
    return model.cluster_centers_, labels


def _count_distinct(sample: np.ndarray, k: int) -> int:
    """Distinct rows of ``sample``, counted exactly only when there could be fewer than ``k``."""
    if sample.shape[0] >= k and np.unique(sample[: 4 * k], axis=0).shape[0] >= k:
        return k
    return int(np.unique(sample, axis=0).shape[0])


def refine_borders(cluster_map: np.ndarray, X: np.ndarray, rgb: np.ndarray,
                   spec: FeatureSpec, k: int, lightness: np.ndarray | None = None) -> None:
    """Re-place the borders between clusters: by colour where it tells them apart, else by
    narrow-window texture statistics.

    The wide texture window that makes a texture recognisable also blurs where
    it ends, and gives any colour edge a band of strong texture (the energy of the
    edge itself) that k-means hands to one side: a dark blob's border on a light
    ground landed 3 to 7 pixels out, its area 9 to 18 % too large. Near the borders
    of ``cluster_map`` (within ``_BAND_RADIUS`` pixels), each pixel is assigned again,
    to the nearest of the clusters present near it. Where every two of those clusters
    are told apart by colour (:func:`_apart_by_colour`), the pixel is placed by its
    colour and position alone, against the mean of each cluster's pixels away from
    its borders, so that the border sits where the colour changes. Elsewhere (clusters
    of one colour that differ in texture) it is placed by the same features as k-means
    used, except that texture is averaged over a narrower window, against each
    cluster's mean. A border may lie farther than ``_BAND_RADIUS`` from where it
    belongs, so this is repeated, at most ``_REFINE_PASSES`` times, until no pixel
    moves.

    ``cluster_map`` (h, w) and ``X`` describe the working copy
    ``rgb``; ``lightness`` is its L* plane when the caller has it (else it is
    converted here). The map is updated in place. Texture is measured on a copy of at
    most :data:`~quantize.texture.WORKING_MAX_SIDE` a side, as the features measure it,
    and brought back to the size of ``rgb`` (a working copy larger than that, of
    ``working_size``), standardised over the image, or divided by
    ``spec.texture_spreads`` when the features were (shared classes).
    """
    tex = spec.columns["texture"]
    planes, factor = texture_planes(rgb, spec.texture_scales, FINE_INTEGRATION_SIGMA,
                                    lightness, spec.texture_spreads)
    if factor > 1:
        planes = np.stack([resize_plane(plane, cluster_map.shape, factor) for plane in planes])
    planes *= np.float32(math.sqrt(spec.weights["texture"]) / spec.scales["texture"])
    fine = planes.reshape(planes.shape[0], -1).T  # (h*w, t) view
    colour = [i for g in ("color", "intensity") if g in spec.columns
              for i in range(spec.columns[g].start, spec.columns[g].stop)]
    for n in range(_REFINE_PASSES):
        if not _refine_pass(cluster_map, X, fine, tex, colour, k, by_texture=n == 0):
            return


def _refine_pass(cluster_map: np.ndarray, X: np.ndarray, fine: np.ndarray, tex: slice,
                 colour: list[int], k: int, by_texture: bool) -> bool:
    """One pass of :func:`refine_borders` over ``cluster_map``, in place, with the texture
    columns ``tex`` of ``X`` replaced by ``fine`` and the colour columns ``colour``;
    whether a pixel moved. Without ``by_texture`` (the passes after the first) only the
    pixels placed by colour are placed again: the texture window's blur does not wander."""
    near = _clusters_near(cluster_map, k)
    present = near.sum(axis=1)
    idx = np.flatnonzero(present > 1)
    if idx.size == 0:
        return False
    flat_map = cluster_map.reshape(-1)
    if by_texture:
        centers = _cluster_means(X, flat_map, k)
        centers[:, tex] = _cluster_means(fine, flat_map, k)
    # Colour and position against each cluster's pixels away from its borders: the band
    # of edge texture a cluster took holds colours of the other side.
    plain = np.ones(X.shape[1], dtype=bool)
    plain[tex] = False
    inner = np.where(present == 1, flat_map, k)
    inner_centers = _inner_means(X[:, plain], inner, flat_map, k)
    mixed = (~_apart_by_colour(X[:, colour], inner, k)).astype(np.float32)
    np.fill_diagonal(mixed, 0.0)
    before = flat_map[idx]
    for rows in _refine_blocks(idx.size, k, X.shape[1]):
        chunk = idx[rows]
        feats = X[chunk]
        feats[:, tex] = fine[chunk]
        choice = flat_map[chunk]
        if by_texture:
            dist = sq_dist_to(feats, np.einsum("ij,ij->i", feats, feats), centers)
            dist[~near[chunk]] = np.inf
            choice = dist.argmin(axis=1)
        shown = _decided_by_colour(near[chunk], mixed)
        if shown.any():
            part = np.ascontiguousarray(feats[shown][:, plain])
            dist = sq_dist_to(part, np.einsum("ij,ij->i", part, part), inner_centers)
            dist[~near[chunk][shown]] = np.inf
            choice[shown] = dist.argmin(axis=1)
        flat_map[chunk] = choice
    return bool((flat_map[idx] != before).any())


def _clusters_near(cluster_map: np.ndarray, k: int) -> np.ndarray:
    """Bool ``(h * w, k)``: which clusters of ``cluster_map`` have a pixel within
    ``_BAND_RADIUS`` (a square) of each pixel."""
    from scipy import ndimage

    size = 2 * _BAND_RADIUS + 1
    near = np.empty((cluster_map.size, k), dtype=bool)
    for c in range(k):
        near[:, c] = ndimage.maximum_filter(cluster_map == c, size=size).ravel()
    return near


def _inner_means(X: np.ndarray, inner: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean row ``(k, d)`` of ``X`` over each cluster's pixels away from its borders
    (``inner``: the cluster, or ``k`` for a pixel near a border); over all its pixels
    (``labels``) for a cluster that has none away from them."""
    means, counts = group_means(X, inner, k + 1)
    means = means[:k]
    thin = counts[:k] == 0
    if thin.any():
        means[thin] = _cluster_means(X, labels, k)[thin]
    return means


def _apart_by_colour(colours: np.ndarray, inner: np.ndarray, k: int) -> np.ndarray:
    """Bool ``(k, k)``: the pairs of clusters whose mean colours (rows of ``colours``, the
    weighted colour columns) lie farther apart than ``_COLOUR_APART`` times the sum of their
    spreads (root mean squared distance to the mean), both over their pixels away from
    borders (``inner``, as :func:`_inner_means` takes it); a cluster with none of them,
    or with no colour columns, is told apart from none."""
    if colours.shape[1] == 0:
        return np.zeros((k, k), dtype=bool)
    means, counts = group_means(colours, inner, k + 1)
    squares = group_means(colours * colours, inner, k + 1)[0]
    spreads = spread(means[:k], squares[:k])
    gaps = np.linalg.norm(means[:k, None] - means[None, :k], axis=2)
    apart = gaps > _COLOUR_APART * (spreads[:, None] + spreads[None, :])
    held = counts[:k] > 0
    return apart & held[:, None] & held[None, :]


def _decided_by_colour(near: np.ndarray, mixed: np.ndarray) -> np.ndarray:
    """Bool ``(n,)``: whether the clusters ``near`` each pixel ``(n, k)`` hold no two that
    colour does not tell apart (``mixed`` ``(k, k)`` float32: 1 for such a pair, 0 on its
    diagonal)."""
    present = near.astype(np.float32)
    return ~((present @ mixed) * present).any(axis=1)


def _refine_blocks(n: int, k: int, d: int) -> list[slice]:
    """The rows :func:`refine_borders` compares with the ``k`` centres at a time: about
    ``_REFINE_CELLS`` distances, a whole number of :func:`~quantize._kernels.sq_dist_to`'s
    own chunks from each multiple of ``_ASSIGN_ROWS`` (its blocks before), so that every
    row meets the same products as it did, and the map comes out the same.

    >>> [(s.start, s.stop) for s in _refine_blocks(270_000, 256, 13)][63:]
    [(257166, 261248), (261248, 262144), (262144, 266226), (266226, 270000)]
    """
    rows = chunk_rows(k, d)
    rows *= max(1, _REFINE_CELLS // (rows * k))
    return [slice(start, min(start + rows, block + _ASSIGN_ROWS, n))
            for block in range(0, n, _ASSIGN_ROWS)
            for start in range(block, min(block + _ASSIGN_ROWS, n), rows)]


def unite_alike(cluster_map: np.ndarray, lab: np.ndarray, X: np.ndarray, spec: FeatureSpec,
                centers: np.ndarray) -> np.ndarray:
    """Unite the clusters of ``cluster_map`` that colour and texture cannot tell apart.

    K-means with a position feature cuts a flat area into clusters along lines
    that follow no edge, and the texture window's blur gives strong edges
    strips of their own. Each pixel is described by
    :func:`quantize.texture.region_planes` (Lab colour and the grain of L*, in
    Lab units, weighted as ``spec`` weighs colour, intensity and texture, the
    largest of the three taken as 1) and by its texture features in ``X``, at
    the same share of that largest weight: scaling all weights together changes
    nothing. Then

    1. a pixel that has, within ``_BAND_RADIUS``, a flat cluster (mean grain
       under ``_FLAT``) of its own colour (nearer than ``_ALIKE``, and nearer
       than its own cluster's mean colour) joins the nearest such;
    2. clusters whose common border shows no difference are united, in rounds
       (a cluster joins at most one other a round, the least different first)
       until every border shows one: the mean colours of the pixels within
       ``_CONTRAST_RADIUS`` of the border, one side against the other, are
       nearer than ``_ALIKE``, and either both sides are flat or the two
       clusters' mean texture features are nearer than ``_ALIKE_TEXTURE``.

    Flat is judged at weight 1, so that a small weight does not make every set
    of pixels flat. A group weighted 0 tells nothing apart: with colour and
    intensity 0 there is no step 1, and texture alone decides step 2 (both
    sides flat by their grain, or near in texture); with texture 0 every side
    is flat, and colour decides.

    ``cluster_map`` (h, w) holds 0..k-1 for the ``k = len(centers)`` clusters of
    the working copy, whose Lab planes ``(3, h, w)`` are ``lab``
    (:func:`quantize.texture.lab_planes`) and weighted features ``X``; it is
    renumbered in place to 0..k'-1, in the order of the clusters' smallest old
    numbers. Returns the ``(k', d)`` centres, each the pixel-weighted mean of
    its parts' ``centers``. With only ``xy`` weighted the clusters are the
    positions asked for, and stay.
    """
    w = spec.weights
    top = max(w["color"], w["intensity"], w["texture"])
    k = centers.shape[0]
    if top == 0 or k == 1:
        return centers
    shares = {g: w[g] / top for g in ("color", "intensity", "texture")}
    planes = region_planes(lab, {**shares, "xy": 0.0})
    n_colour = 3 * (shares["color"] > 0) + (shares["intensity"] > 0)
    texture = X[:, spec.columns.get("texture", slice(0, 0))]
    # Column by column (Fortran order), as the sums per cluster read them.
    described = np.empty((X.shape[0], planes.shape[2] + texture.shape[1]), np.float32,
                         order="F")
    described[:, :planes.shape[2]] = planes.reshape(-1, planes.shape[2])
    described[:, planes.shape[2]:] = texture
    # The texture features at the texture's share, as the planes are: X holds them at its
    # weight, and the weights only count relative to each other.
    described[:, planes.shape[2]:] *= np.float32(1.0 / math.sqrt(top))
    n_grain = planes.shape[2] - n_colour
    groups = _Groups(n_colour, n_grain, _unit_scales(shares, n_grain))
    flat_map = cluster_map.reshape(-1)
    counts = np.bincount(flat_map, minlength=k).astype(np.float64)
    if n_colour:  # without colour, no pixel is nearer a flat cluster's colour than its own
        _join_flat_neighbours(cluster_map, described, groups, k)
    table = _alike_table(cluster_map, described, groups, k)
    flat_map[:] = table[flat_map]
    kept = np.flatnonzero(table >= 0)
    weights = np.zeros((int(table.max()) + 1, k))
    weights[table[kept], kept] = counts[kept]
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
    return weights @ centers


def _unit_scales(shares: dict[str, float], n_grain: int) -> tuple[float, ...]:
    """The factors, one a column, that bring :func:`unite_alike`'s colour and ``n_grain``
    grain columns, weighted by ``shares`` as :func:`quantize.texture.region_planes` weighs
    them, back to weight 1: whether a set of pixels is flat does not hang on the weights."""
    units = [1.0 / math.sqrt(shares[g]) for g, n in (("color", 3), ("intensity", 1))
             if shares[g] > 0 for _ in range(n)]
    return (*units, *[1.0 / math.sqrt(shares["texture"] or 1.0)] * n_grain)


@dataclass(frozen=True)
class _Groups:
    """Where :func:`unite_alike`'s description columns are: colour first, then grain,
    then texture features (the rest); ``units`` brings each colour and grain column to
    weight 1 (all 1 when empty)."""

    n_colour: int
    n_grain: int
    units: tuple[float, ...] = ()

    @property
    def colour(self) -> slice:
        return slice(0, self.n_colour)

    @property
    def grain(self) -> slice:
        return slice(self.n_colour, self.n_colour + self.n_grain)

    @property
    def texture(self) -> slice:
        return slice(self.n_colour + self.n_grain, None)


def _join_flat_neighbours(cluster_map: np.ndarray, described: np.ndarray, groups: _Groups,
                          k: int) -> None:
    """Step 1 of :func:`unite_alike`: pixels join a flat cluster nearby of their own colour.

    In rounds, until no pixel moves: a strip the texture window gave a strong edge
    may be wider than twice ``_BAND_RADIUS``, and its pixels of a flat side's colour
    join that side as the side reaches them. Which clusters are flat, their mean
    colours and each pixel's distance to its own cluster's are those before the first
    round."""
    from scipy import ndimage

    flat_map = cluster_map.reshape(-1)
    means = _cluster_means(described, flat_map, k)
    colour = groups.colour
    # Flat: low grain, or of one colour (the side of a strong edge, whose grain it raises)
    flat = _flat(means, _cluster_means(described[:, colour] ** 2, flat_map, k), groups)
    own = _sq_distance(described[:, colour], means[flat_map, colour])
    best = np.minimum(own, _ALIKE ** 2)
    while True:
        target = flat_map.copy()
        for c, box in enumerate(ndimage.find_objects(cluster_map + 1, max_label=k)):
            if box is None or not flat[c]:
                continue
            idx = _pixels_near(cluster_map, c, box, _BAND_RADIUS)
            dist = _sq_distance(described[idx, colour], means[c, colour])
            closer = dist < best[idx]
            best[idx[closer]] = dist[closer]
            target[idx[closer]] = c
        if np.array_equal(target, flat_map):
            return
        flat_map[:] = target


def _pixels_near(cluster_map: np.ndarray, c: int, box: tuple[slice, slice], r: int
                 ) -> np.ndarray:
    """Flat indices of the pixels of other clusters within ``r`` pixels (a square) of
    cluster ``c``, whose pixels lie in ``box`` (rows, columns) of ``cluster_map``."""
    from scipy import ndimage

    h, w = cluster_map.shape
    rows = slice(max(box[0].start - r, 0), min(box[0].stop + r, h))
    cols = slice(max(box[1].start - r, 0), min(box[1].stop + r, w))
    part = cluster_map[rows, cols]
    zone = ndimage.maximum_filter(part == c, size=2 * r + 1) & (part != c)
    return (np.arange(h)[rows, None] * w + np.arange(w)[None, cols])[zone]


def _sq_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distances of the rows of ``a`` to ``b`` (a row, or a row each)."""
    diff = a - b
    return np.einsum("ij,ij->i", diff, diff)


def _alike_table(cluster_map: np.ndarray, described: np.ndarray, groups: _Groups, k: int
                 ) -> np.ndarray:
    """Step 2 of :func:`unite_alike`: each cluster's new number ``(k,)``, the united ones
    sharing one; -1 for a cluster that step 1 left no pixel."""
    root = np.arange(k)
    current = cluster_map
    pixels, texture_sums = group_sums(described[:, groups.texture], cluster_map.ravel(), k)
    while True:
        # The mean texture of each united cluster, by its first cluster's number.
        texture_means = np.zeros_like(texture_sums)
        np.add.at(texture_means, root, texture_sums)
        texture_means /= np.maximum(np.bincount(root, weights=pixels, minlength=k), 1.0)[:, None]
        pairs = _pairs_without_contrast(current, described, groups, texture_means, k)
        if pairs.size == 0:
            break
        # One union per cluster a round, least different first, each judged on borders
        # measured after the unions before it: a cluster that two others each match on
        # one side only does not bring them together in one round. On BSDS500 train
        # photos 1, 5, 9, ... (bench_bsds.py --every 4 --offset 1), F at k = 12 0.498 ->
        # 0.501 over all alike pairs united at once; at k = 3, 5, 8 within 0.001.
        united = np.zeros(k, dtype=bool)
        for a, b in pairs:
            if not (united[a] or united[b]):
                root[root == max(a, b)] = min(a, b)
                united[[a, b]] = True
        current = root[cluster_map]
    used = np.unique(root[np.bincount(cluster_map.ravel(), minlength=k) > 0])
    number = np.full(k, -1, dtype=np.intp)
    number[used] = np.arange(used.size)
    return number[root]


def _pairs_without_contrast(cluster_map: np.ndarray, described: np.ndarray, groups: _Groups,
                            texture_means: np.ndarray, k: int) -> np.ndarray:
    """Pairs ``(E, 2)`` of clusters whose common border shows no difference (step 2 of
    :func:`unite_alike`): the pixels of ``a`` within ``_CONTRAST_RADIUS`` of ``b`` against
    those of ``b`` within it of ``a``. Least different colours first. ``texture_means``
    ``(k, t)`` are the clusters' mean texture features."""
    counts, sums = _border_sides(cluster_map, described, groups, k)
    a, b = np.nonzero(np.triu((counts > 0) & (counts.T > 0), 1))
    side_a = sums[a, b] / counts[a, b, None]
    side_b = sums[b, a] / counts[b, a, None]
    diff = side_a - side_b
    # A side is flat when its grain is low, or when its pixels are of one colour (their
    # spread under _FLAT): beside a strong edge the grain (L* less its blur) is high on
    # pixels of one flat colour, and a strip of them along the edge stayed a cluster.
    d = described.shape[1]  # then the mean squared colours
    flat = (_flat(side_a[:, :d], side_a[:, d:], groups)
            & _flat(side_b[:, :d], side_b[:, d:], groups))
    texture = np.linalg.norm(texture_means[a] - texture_means[b], axis=1)
    colour = np.linalg.norm(diff[:, groups.colour], axis=1)
    alike = (colour < _ALIKE) & (flat | (texture < _ALIKE_TEXTURE))
    order = np.argsort(colour[alike], kind="stable")
    return np.stack([a[alike][order], b[alike][order]], axis=1)


def _border_sides(cluster_map: np.ndarray, described: np.ndarray, groups: _Groups, k: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The sides of every border between clusters of ``cluster_map``: ``counts`` ``(k, k)``,
    the pixels of ``a`` within ``_CONTRAST_RADIUS`` of ``b`` at ``[a, b]``, and ``sums``
    ``(k, k, d + c)``, their summed ``described`` rows ``(d)`` and squared colours ``(c)``.

    Summed one cluster ``b`` at a time: the pixels near ``b`` count towards column ``b``
    alone, in the order of the whole, so the sums are those of all sides at once, without
    holding every cluster's near pixels together (on noise, with many clusters, each
    pixel is near most of them: 256 clusters of 400 x 400 pixels held 1.4 GB).
    """
    from scipy import ndimage

    flat_map = cluster_map.ravel()
    counts = np.zeros((k, k))
    sums = np.zeros((k, k, described.shape[1] + groups.n_colour))
    for b, box in enumerate(ndimage.find_objects(cluster_map + 1, max_label=k)):
        if box is None:
            continue
        pixels = _pixels_near(cluster_map, b, box, _CONTRAST_RADIUS)
        part = described[pixels]
        colours = part[:, groups.colour]
        part = np.concatenate([part, colours * colours], axis=1)
        counts[:, b], sums[:, b] = group_sums(part, flat_map[pixels], k)
    return counts, sums


def _flat(means: np.ndarray, squares: np.ndarray, groups: _Groups) -> np.ndarray:
    """Whether each set of pixels (a cluster, or a border side) whose mean description is
    a row of ``means`` ``(n, d)`` and mean squared colour a row of ``squares`` is flat: its
    mean grain, or the spread of its colours, under ``_FLAT``, both at weight 1 (a small
    weight does not make a set flat). Without colour (weight 0), by its grain alone; without
    grain, every set is flat, and colour alone tells clusters apart."""
    units = np.asarray(groups.units or (1.0,) * (groups.n_colour + groups.n_grain))
    grain = means[:, groups.grain] * units[groups.grain]
    flat = np.linalg.norm(grain, axis=1) < _FLAT
    if groups.n_colour:
        unit = units[groups.colour]
        flat |= spread(means[:, groups.colour] * unit, squares * unit ** 2) < _FLAT
    return flat


def _cluster_means(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean row ``(k, d)`` of ``X`` per label (0 for an empty label)."""
    return group_means(X, labels, k)[0]


def _regions_of(runs: _regions.RegionRuns, small_map: np.ndarray, factor: int, X: np.ndarray,
                min_region: int, k: int, apart: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Region labels (H, W) and each region's majority cluster (R,).

    ``runs`` are the connected regions of the full-size cluster map;
    ``small_map`` and ``X`` are the working-resolution cluster map and
    features (boxes of ``factor`` pixels); a region's mean feature (used for
    merging) is the mean of the working pixels it covers, or its cluster's mean
    when it covers none. A region of cluster ``apart`` (the fully transparent pixels')
    is merged with none of another cluster, nor another with it.
    """
    n = runs.n
    area = runs.areas()
    # A component lies in one cluster: any of its runs names it.
    comp_cluster = np.zeros(n + 1, dtype=np.intp)
    comp_cluster[runs.regions] = runs.values
    means = _component_means(runs, comp_cluster, small_map, factor, X, k)
    pairs = runs.pairs
    if apart is not None:
        side = comp_cluster[pairs] == apart
        pairs = pairs[side[:, 0] == side[:, 1]]
    mapping = _regions.merge_regions(area, pairs, means, min_region)
    n_new = int(mapping.max())
    votes = np.bincount(mapping[1:] * k + comp_cluster[1:], weights=area[1:],
                        minlength=(n_new + 1) * k).reshape(n_new + 1, k)
    clusters = votes[1:].argmax(axis=1)
    # A region of one cluster is all of a connected piece of it: two that a merged speck
    # kept apart are joined (every 'chelsea' -k 4 border between regions 22 and 24, of
    # one cluster, was drawn where the cluster map has none).
    mapping, clusters = _regions.join_same_value(mapping, pairs, clusters)
    return runs.label_map(mapping), clusters


def _component_means(runs: _regions.RegionRuns, comp_cluster: np.ndarray,
                     small_map: np.ndarray, factor: int, X: np.ndarray, k: int) -> np.ndarray:
    """Mean working-resolution feature ``(n + 1, d)`` of each full-resolution component.

    Each working pixel counts for the component under the middle of its box
    (the box's last pixel when a partial box is shorter than half ``factor``).
    """
    n, (h, w) = runs.n, runs.shape
    sh, sw = small_map.shape
    rows = np.minimum(np.arange(sh) * factor + factor // 2, h - 1)
    cols = np.minimum(np.arange(sw) * factor + factor // 2, w - 1)
    sampled = runs.regions_at(rows[:, None] * w + cols[None, :]).ravel()
    counts = np.bincount(sampled, minlength=n + 1)
    means = _cluster_means(X, sampled, n + 1)
    fallback = _cluster_means(X, small_map.ravel(), k)
    missing = counts == 0
    means[missing] = fallback[comp_cluster[missing]]
    return means
