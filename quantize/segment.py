"""Segment a photo into regions by k-means on weighted per-pixel features.

The pipeline, on a working copy box-downscaled to at most 1024 pixels a side
(the image itself when it is that small):

1. ``features``: pixels to weighted feature vectors;
2. ``kmeans.MiniBatchKMeans`` fitted on a random sample of at most
   ``FIT_SAMPLE`` pixels, then every pixel assigned to its nearest centre in
   chunks;
3. border refinement: near cluster borders, pixels are assigned again with
   texture measured over a narrower window (``_refine_borders``);
4. ``reconstruct.regions``: majority smoothing of the cluster map, brought
   to full resolution by interpolating each cluster's vote map; connected
   components; small-region merging; stable numbering.

``segment`` works on arrays and returns a :class:`SegmentResult`;
``segment_file`` is the file-level job behind ``quantize segment`` and batch runs.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from ._validation import Seed, check_choice, check_int, check_seed
from .errors import OutputError
from .features import (
    _TEXTURE_MAX_SIDE,
    DEFAULT_TEXTURE_SCALES,
    FINE_INTEGRATION_SIGMA,
    SPACES,
    FeatureSpec,
    Space,
    _build,
    _check_scales,
    check_weights,
    texture_planes,
)
from .io import (
    DEFAULT_MAX_PIXELS,
    as_rgba,
    atomic_write,
    check_output_path,
    load_image,
    save_pil,
)
from .kmeans import MiniBatchKMeans
from .reconstruct import regions as _regions

__all__ = ["OUTPUT_FILES", "ClusterCountWarning", "SegmentResult", "default_min_region",
           "segment", "segment_file"]

#: Pixels the k-means fit sees at most; all pixels are then assigned.
FIT_SAMPLE = 200_000
# Rows assigned per predict call: bounds predict's own float32 copy of its input.
_ASSIGN_ROWS = 1 << 18
# Border refinement: pixels this close (working pixels) to a cluster border
# are assigned again.
_BAND_RADIUS = 16
# Majority smoothing of the cluster map: Gaussian sigma in working pixels, but
# at most the longer side divided by _MAJORITY_PER_SIDE (small images).
_MAJORITY_SIGMA = 6.0
_MAJORITY_PER_SIDE = 64
#: Files ``segment_file`` writes, in writing order; ``segments.json`` marks completion.
OUTPUT_FILES = ("labels.png", "segmented.png", "boundaries.png", "overlay.png",
                "segments.json")


class ClusterCountWarning(UserWarning):
    """Fewer distinct pixels than clusters were asked for; fewer clusters are used."""


def default_min_region(height: int, width: int) -> int:
    """Default smallest region: 1/1000 of the image (at least 16 pixels).

    A 12 MP photo gets 12000 pixels (about 110 x 110), a 512 x 512 image 262.
    """
    return max(16, (height * width) // 1000)


@dataclass(frozen=True, eq=False)
class SegmentResult:
    """A segmentation: region labels, each region's cluster, and the photo.

    Attributes
    ----------
    labels : (H, W) ndarray of int32
        Region of each pixel, 1..R in raster order of the regions' first pixels.
    clusters : (R,) ndarray of intp
        ``clusters[r - 1]`` is the k-means cluster of region ``r`` (for a merged
        region, the cluster holding most of its pixels).
    centers : (n_clusters, d) ndarray of float64
        The cluster centres in the weighted feature space.
    image : (H, W, 3) ndarray of uint8
        The segmented image (a copy; the caller's array is never kept).
    weights : dict of str to float
        The weights used, every group named.
    min_region : int
        The size limit applied when merging.
    """

    labels: np.ndarray
    clusters: np.ndarray
    centers: np.ndarray
    image: np.ndarray = field(repr=False)
    weights: dict[str, float]
    min_region: int

    @property
    def n_regions(self) -> int:
        return int(self.clusters.shape[0])

    def cluster_map(self) -> np.ndarray:
        """``(H, W)`` map of the cluster of each pixel's region."""
        return self.clusters[self.labels - 1]

    def boundaries(self) -> np.ndarray:
        """``(H, W)`` bool, 1-pixel borders: pixels whose right or lower neighbour differs."""
        return _regions.find_boundaries(self.labels)

    def mean_color_image(self) -> np.ndarray:
        """``(H, W, 3)`` uint8 image with each region filled with its mean colour."""
        return _regions.mean_color_image(self.labels, self.image, self.n_regions)

    def overlay(self, color: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
        """``(H, W, 3)`` uint8 copy of the photo with the borders drawn in ``color``."""
        return _regions.draw_overlay(self.image, self.boundaries(), color)

    def region_stats(self) -> list[dict[str, Any]]:
        """Per region: label, cluster, area, bbox, centroid, mean colour (JSON-ready)."""
        return _regions.region_stats(self.labels, self.image, self.clusters, self.n_regions)


def segment(
    image: Any,
    n_clusters: int = 8,
    *,
    weights: Mapping[str, float] | None = None,
    space: Space = "lab",
    min_region: int | None = None,
    texture_scales: Sequence[float] = DEFAULT_TEXTURE_SCALES,
    seed: Seed = None,
) -> SegmentResult:
    """Segment ``image`` into regions of similar colour, texture and position.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) ndarray, or PIL image
        uint8, uint16, bool or float in [0, 1]; alpha is ignored.
    n_clusters : int, default 8
        Number of k-means clusters; each cluster may form many regions.
    weights : dict of str to float, optional
        Feature group weights (``color``, ``intensity``, ``xy``, ``texture``);
        unnamed groups keep ``quantize.features.DEFAULT_WEIGHTS``
        (color 1, texture 1, xy 0.3, intensity 0). See
        :func:`quantize.features.build_features` for the scaling rule.
    space : {"lab", "rgb"}, default "lab"
        Colour space of the ``color`` group.
    min_region : int, optional
        Regions smaller than this many pixels are merged into the adjacent
        region with the closest mean feature. Default
        :func:`default_min_region`; 0 or 1 keeps every region.
    texture_scales : sequence of float
        Derivative scales of the texture bank (see ``build_features``).
    seed : int, numpy.random.Generator or None
        Randomness of the pixel sample and of k-means.

    Returns
    -------
    SegmentResult

    Raises
    ------
    ValueError
        For a bad weight (the message lists the valid group names), a
        parameter out of range, or an image with fewer distinct feature
        vectors than ``n_clusters``.
    TypeError
        For a parameter or image of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((20, 30, 3), dtype=np.uint8)
    >>> img[:, 15:] = 200
    >>> result = segment(img, 2, weights={"xy": 0}, seed=0)
    >>> result.n_regions, int(result.labels[0, 0]), int(result.labels[0, -1])
    (2, 1, 2)
    """
    rgb, _ = as_rgba(image)
    k = check_int(n_clusters, "n_clusters", minimum=1)
    w = check_weights(weights)
    scales = _check_scales(texture_scales)
    h, wd = rgb.shape[:2]
    limit = (default_min_region(h, wd) if min_region is None
             else check_int(min_region, "min_region", minimum=0))
    space = check_choice(space, "space", SPACES)
    rng = check_seed(seed)
    work = _working_copy(rgb)
    X, spec = _build(work, w, space, scales)
    centers, pixel_clusters = _cluster(X, k, rng)
    n_centers = centers.shape[0]
    small_map = pixel_clusters.reshape(work.shape[:2])
    if "texture" in spec.columns:
        _refine_borders(small_map, X, work, spec, n_centers)
    sigma = min(_MAJORITY_SIGMA, max(small_map.shape) / _MAJORITY_PER_SIDE)
    cluster_map = _regions.smooth_label_map(small_map, n_centers, sigma, (h, wd))
    labels, clusters = _regions_of(cluster_map, small_map, X, limit, n_centers)
    return SegmentResult(labels, clusters, centers, rgb, w, limit)


def _working_copy(rgb: np.ndarray) -> np.ndarray:
    """The image box-downscaled by an integer factor to at most 1024 pixels a side."""
    factor = max(1, math.ceil(max(rgb.shape[:2]) / _TEXTURE_MAX_SIDE))
    return rgb if factor == 1 else np.asarray(Image.fromarray(rgb).reduce(factor))


def _cluster(X: np.ndarray, k: int, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """Fit on a random sample of rows, then assign every row in chunks."""
    n = X.shape[0]
    if n > FIT_SAMPLE:
        sample = X[np.sort(rng.choice(n, size=FIT_SAMPLE, replace=False))]
    else:
        sample = X
    distinct = _count_distinct(sample, k)
    if distinct < k:
        warnings.warn(f"n_clusters={k} but the image has only {distinct} distinct feature "
                      f"vectors; using {distinct} clusters", ClusterCountWarning, stacklevel=3)
        k = distinct
    model = MiniBatchKMeans(k, seed=rng).fit(sample)
    labels = np.empty(n, dtype=np.int32)
    for start in range(0, n, _ASSIGN_ROWS):
        labels[start:start + _ASSIGN_ROWS] = model.predict(X[start:start + _ASSIGN_ROWS])
    return model.cluster_centers_, labels


def _count_distinct(sample: np.ndarray, k: int) -> int:
    """Distinct rows of ``sample``, counted exactly only when there could be fewer than ``k``."""
    if sample.shape[0] >= k and np.unique(sample[: 4 * k], axis=0).shape[0] >= k:
        return k
    return int(np.unique(sample, axis=0).shape[0])


def _refine_borders(cluster_map: np.ndarray, X: np.ndarray, rgb: np.ndarray,
                    spec: FeatureSpec, k: int) -> None:
    """Re-place the borders between clusters with narrow-window texture statistics.

    The wide texture window that makes a texture recognisable also blurs where
    it ends. Near the borders of ``cluster_map`` (within ``_BAND_RADIUS``
    pixels), each pixel is assigned again, to the nearest of the clusters
    present near it, using the same features except that texture is averaged
    over a narrower window; each cluster's centre in that space is the mean of
    its pixels. ``cluster_map`` (h, w) and ``X`` describe the working copy
    ``rgb``; the map is updated in place.
    """
    tex = spec.columns["texture"]
    planes, _ = texture_planes(rgb, spec.texture_scales, FINE_INTEGRATION_SIGMA)
    planes *= np.float32(math.sqrt(spec.weights["texture"]) / spec.scales["texture"])
    fine = planes.reshape(planes.shape[0], -1).T  # (h*w, t) view
    size = 2 * _BAND_RADIUS + 1
    near = np.stack([ndimage.maximum_filter(cluster_map == c, size=size).ravel()
                     for c in range(k)], axis=1)  # (h*w, k): clusters present nearby
    idx = np.flatnonzero(near.sum(axis=1) > 1)
    if idx.size == 0:
        return
    flat_map = cluster_map.reshape(-1)
    centers = _cluster_means(X, flat_map, k)
    centers[:, tex] = _cluster_means(fine, flat_map, k)
    c32 = centers.astype(np.float32)
    c_sq = (c32 * c32).sum(axis=1)
    for start in range(0, idx.size, _ASSIGN_ROWS):
        chunk = idx[start:start + _ASSIGN_ROWS]
        feats = X[chunk]
        feats[:, tex] = fine[chunk]
        # Squared distance up to the per-row constant ||x||^2, which argmin ignores.
        dist = c_sq - 2.0 * (feats @ c32.T)
        dist[~near[chunk]] = np.inf
        flat_map[chunk] = dist.argmin(axis=1)


def _cluster_means(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean row ``(k, d)`` of ``X`` per label (0 for an empty label)."""
    counts = np.maximum(np.bincount(labels, minlength=k), 1)
    return np.stack([np.bincount(labels, weights=X[:, j], minlength=k)
                     for j in range(X.shape[1])], axis=1) / counts[:, None]


def _regions_of(cluster_map: np.ndarray, small_map: np.ndarray, X: np.ndarray,
                min_region: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Region labels (H, W) and each region's majority cluster (R,).

    ``small_map`` and ``X`` are the working-resolution cluster map and
    features; a region's mean feature (used for merging) is the mean of the
    working pixels it covers, or its cluster's mean when it covers none.
    """
    components, n = _regions.connected_regions(cluster_map)
    flat = components.ravel()
    area = np.bincount(flat, minlength=n + 1)
    # A component lies in one cluster, so its mean cluster index is that cluster.
    cluster_sum = np.bincount(flat, weights=cluster_map.ravel(), minlength=n + 1)
    comp_cluster = np.rint(cluster_sum / np.maximum(area, 1)).astype(np.intp)
    means = _component_means(components, n, comp_cluster, small_map, X, k)
    mapping, _ = _regions.merge_small_regions(components, n, means, min_region)
    n_new = int(mapping.max())
    votes = np.bincount(mapping[1:] * k + comp_cluster[1:], weights=area[1:],
                        minlength=(n_new + 1) * k).reshape(n_new + 1, k)
    clusters = votes[1:].argmax(axis=1)
    labels = mapping.astype(np.int32)[components]
    return labels, clusters


def _component_means(components: np.ndarray, n: int, comp_cluster: np.ndarray,
                     small_map: np.ndarray, X: np.ndarray, k: int) -> np.ndarray:
    """Mean working-resolution feature ``(n + 1, d)`` of each full-resolution component."""
    sh, sw = small_map.shape
    fy, fx = components.shape[0] / sh, components.shape[1] / sw
    rows = np.minimum(((np.arange(sh) + 0.5) * fy).astype(np.intp), components.shape[0] - 1)
    cols = np.minimum(((np.arange(sw) + 0.5) * fx).astype(np.intp), components.shape[1] - 1)
    sampled = components[rows[:, None], cols[None, :]].ravel()
    counts = np.bincount(sampled, minlength=n + 1)
    means = _cluster_means(X, sampled, n + 1)
    fallback = _cluster_means(X, small_map.ravel(), k)
    missing = counts == 0
    means[missing] = fallback[comp_cluster[missing]]
    return means


# --------------------------------------------------------------------------
# The file-level job
# --------------------------------------------------------------------------


def segment_file(
    input: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    n_clusters: int = 8,
    weights: Mapping[str, float] | None = None,
    space: Space = "lab",
    min_region: int | None = None,
    seed: Seed = None,
    force: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> dict[str, Any]:
    """Segment an image file and write the results into ``outdir``.

    Writes, each atomically and in this order: ``labels.png`` (16-bit
    grayscale, region label 1..R per pixel), ``segmented.png`` (regions filled
    with their mean colour), ``boundaries.png`` (1-bit border mask),
    ``overlay.png`` (borders drawn in red on the photo) and ``segments.json``
    (the run's parameters and one record per region, see
    :meth:`SegmentResult.region_stats`). ``segments.json`` comes last, so its
    presence marks a finished job. ``outdir`` is created if needed; the input
    file is only read.

    Parameters
    ----------
    input : path
        The image to segment.
    outdir : path
        Folder for the five outputs.
    n_clusters, weights, space, min_region, seed
        As for :func:`segment`.
    force : bool, default False
        Overwrite existing outputs.
    max_pixels : int or None
        Refuse larger images (see :func:`quantize.io.load_image`).

    Returns
    -------
    dict
        JSON-ready record: ``input``, ``outdir``, ``width``, ``height``,
        ``n_clusters``, ``n_regions``, ``min_region``, ``weights``, ``space``,
        ``seconds`` and ``outputs`` (the written file names).

    Raises
    ------
    ImageReadError
        If the input cannot be read.
    OutputExistsError
        If an output exists and ``force`` is false (nothing is written).
    OutputError
        If ``outdir`` is a file or not writable, or an output would replace the input.
    ValueError, TypeError
        For bad parameters, checked before the image is read; ValueError also
        when the segmentation has more than 65535 regions (raise ``min_region``).
    """
    start = time.perf_counter()
    params = _check_job_params(n_clusters, weights, space, min_region, seed)
    paths = _prepare_outputs(Path(input), Path(outdir), force)
    loaded = load_image(input, max_pixels=max_pixels)
    result = segment(loaded.rgb, **params)
    if result.n_regions > _MAX_LABEL:
        raise ValueError(f"the segmentation has {result.n_regions} regions, more than "
                         f"labels.png can hold ({_MAX_LABEL}); raise min_region "
                         f"(now {result.min_region})")
    h, w = result.labels.shape
    record = {"input": str(input), "outdir": str(outdir), "width": w, "height": h,
              "n_clusters": params["n_clusters"], "n_regions": result.n_regions,
              "min_region": result.min_region, "weights": result.weights,
              "space": params["space"]}
    _write_outputs(paths, result, record)
    record["seconds"] = round(time.perf_counter() - start, 3)
    record["outputs"] = list(OUTPUT_FILES)
    return record


_MAX_LABEL = 65535


def _check_job_params(n_clusters, weights, space, min_region, seed) -> dict[str, Any]:
    """Validate the segmentation parameters before any file is read."""
    return {
        "n_clusters": check_int(n_clusters, "n_clusters", minimum=1),
        "weights": check_weights(weights),
        "space": check_choice(space, "space", SPACES),
        "min_region": None if min_region is None else check_int(min_region, "min_region",
                                                                minimum=0),
        "seed": check_seed(seed),
    }


def _prepare_outputs(input: Path, outdir: Path, force: bool) -> dict[str, Path]:
    """Create ``outdir`` and check every output path before any work is done."""
    if outdir.exists() and not outdir.is_dir():
        raise OutputError("exists and is not a directory, expected an "
                          "output folder", path=outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError("cannot create output folder "
                          f"({exc.strerror or exc})", path=outdir) from None
    return {name: check_output_path(outdir / name, inputs=(input,), force=force)
            for name in OUTPUT_FILES}


def _write_outputs(paths: dict[str, Path], result: SegmentResult,
                   record: dict[str, Any]) -> None:
    boundaries = result.boundaries()
    images = {
        "labels.png": Image.fromarray(result.labels.astype(np.uint16)),
        "segmented.png": Image.fromarray(result.mean_color_image()),
        "boundaries.png": Image.fromarray(boundaries).convert("1"),
        "overlay.png": Image.fromarray(_regions.draw_overlay(result.image, boundaries)),
    }
    for name, image in images.items():
        save_pil(image, paths[name])
    document = dict(record, regions=result.region_stats())
    text = json.dumps(document, indent=1) + "\n"
    atomic_write(paths["segments.json"], lambda tmp: tmp.write_text(text, encoding="utf-8"))
