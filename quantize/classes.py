"""One set of k-means classes for many images (``segment -k N --classes-in``).

``segment -k N`` fits k-means on each image alone, so cluster 0 of one image need
not be cluster 0 of the next. Shared classes are fitted once on feature vectors
sampled from all the images (:func:`quantize.segment.fit_classes`, which samples them, and
:func:`classes_from_samples`, which fits), then every image's pixels are
assigned to their centres (``segment(image, classes=...)``): class ``i`` is the same
thing in every image. Two things make the features of different images comparable:

- every group is divided by one divisor per group, the root mean square of the
  images' own (:attr:`quantize.features.FeatureSpec.scales`), instead of each
  image's own standardisation, and each texture plane, left uncentred, by one spread,
  the root mean square of its standard deviation within each image
  (:attr:`SharedClasses.texture_spreads`): the same pixels give the same features
  whatever else their image holds;
- position (the ``xy`` group) means nothing across images: its weight must be 0
  (the default here).

The classes are saved as JSON (:meth:`SharedClasses.save`, :func:`read_classes`)
with the settings they were fitted with, which an image segmented with them takes.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._validation import check_choice, check_float
from .errors import ImageReadError
from .features import DEFAULT_TEXTURE_SCALES, SPACES, check_texture_scales, check_weights

__all__ = ["CLASS_ORDERS", "CLASSES_FORMAT", "ClassOrder", "CLASSES_VERSION", "SAMPLES_PER_IMAGE",
           "SharedClasses", "check_classes_fit", "check_shared_weights", "classes_by_lightness",
           "classes_from_samples", "read_classes"]

#: The ``format`` field of a classes file.
CLASSES_FORMAT = "quantize-classes"
#: The ``version`` of the classes files written: 2 since texture planes are divided by
#: spreads fixed for the set (``texture_spreads``); version 1 standardised them image by
#: image, and its classes with texture weighted above 0 are refused (:func:`read_classes`).
CLASSES_VERSION = 2
# A texture column whose spread is at most this is flat in every image: divided by 1.
_FLAT_SPREAD = 1e-6
#: Pixels drawn from each image's working copy for :func:`quantize.segment.fit_classes`.
SAMPLES_PER_IMAGE = 20_000
#: How classes are numbered (``class_order``, ``--class-order``): ``kmeans`` as k-means
#: found them (of shared classes, as their file holds them), ``lightness`` by increasing
#: lightness, the darkest 0.
CLASS_ORDERS = ("kmeans", "lightness")
ClassOrder = Literal["kmeans", "lightness"]


@dataclass(frozen=True)
class SharedClasses:
    """K-means classes fitted on many images, and how their features were built.

    Attributes
    ----------
    centers : (k, d) ndarray of float64
        The class centres in the weighted feature space.
    weights : dict of str to float
        Every group's weight (``xy`` 0).
    space : str
        Colour space of the ``color`` group.
    texture_scales : tuple of float
        Derivative scales of the texture bank.
    divisors : dict of str to float
        What each group weighted above 0 is divided by, in every image.
    texture_spreads : tuple of float or None
        What each texture plane (``len(texture_scales) + 2``) is divided by, in every
        image, before its group's divisor (:func:`quantize.texture.texture_bank`); None
        with texture weighted 0.
    colors : (k, 3) ndarray of uint8 or None
        Each class's mean sRGB colour over the pixels sampled for the fit that lie nearest
        its centre, to tell which class is which (grass, gravel); None when not known (a
        file of an earlier version), and ``[0, 0, 0]`` for a class none lies nearest.
    """

    centers: np.ndarray
    weights: dict[str, float]
    space: str
    texture_scales: tuple[float, ...]
    divisors: dict[str, float]
    texture_spreads: tuple[float, ...] | None = None
    colors: np.ndarray | None = None

    @property
    def n_clusters(self) -> int:
        """The number of classes, ``k``."""
        return int(self.centers.shape[0])

    def to_json(self, files: Sequence[str] | None = None) -> dict[str, Any]:
        """The JSON-ready record :meth:`SharedClasses.save` writes, ending in ``files``
        when given."""
        record = {"format": CLASSES_FORMAT, "version": CLASSES_VERSION,
                  "n_clusters": self.n_clusters, "space": self.space,
                  "weights": dict(self.weights), "texture_scales": list(self.texture_scales),
                  "divisors": dict(self.divisors), "centers": self.centers.tolist()}
        if self.texture_spreads is not None:
            record["texture_spreads"] = list(self.texture_spreads)
        if self.colors is not None:
            from .palette_files import entry_hex

            record["colors"] = [entry_hex(c) for c in self.colors]
        if files is not None:
            record["files"] = list(files)
        return record

    def save(self, path: str | os.PathLike[str], *, files: Sequence[str] | None = None
             ) -> None:
        """Write the classes to ``path`` as JSON, atomically (:func:`read_classes` reads it),
        with ``files``, the images they were fitted on, when given (a batch's), which a
        reader of the file is told and :func:`read_classes` leaves aside.

        >>> import tempfile, numpy as np
        >>> c = SharedClasses(np.zeros((2, 1)), {"color": 0.0, "intensity": 1.0, "xy": 0.0,
        ...                   "texture": 0.0}, "lab", (1.0,), {"intensity": 10.0})
        >>> p = Path(tempfile.mkdtemp()) / "classes.json"
        >>> c.save(p)
        >>> read_classes(p).n_clusters
        2
        """
        from .io.write import atomic_write

        text = json.dumps(self.to_json(files), indent=1) + "\n"
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_shared_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    """:func:`~quantize.features.check_weights` with ``xy`` 0 unless named, and refused
    above 0: a pixel's position in one image says nothing of its class in another.

    >>> check_shared_weights(None)["xy"]
    0.0
    >>> check_shared_weights({"xy": 0.3})
    Traceback (most recent call last):
    ...
    ValueError: weights xy=0.3 with shared classes: a position in one image is not one in \
another, so expected xy=0 (the default with shared classes)
    """
    w = check_weights({"xy": 0, **(weights or {})})
    if w["xy"] > 0:
        raise ValueError(f"weights xy={w['xy']:g} with shared classes: a position in one image "
                         "is not one in another, so expected xy=0 (the default with shared "
                         "classes)")
    if not any(w[g] > 0 for g in ("color", "intensity", "texture")):
        raise ValueError("weights color, intensity and texture all 0 with shared classes; "
                         "expected one of them above 0")
    return w


def classes_from_samples(samples: Sequence[tuple[np.ndarray, Mapping[str, float]]], k: int,
                         w: dict[str, float], space: str, scales: tuple[float, ...],
                         rng: np.random.Generator,
                         colors: Sequence[np.ndarray] | None = None) -> SharedClasses:
    """Fit ``k`` classes on feature rows sampled from several images: ``samples`` holds,
    for each image, its rows ``(n, d)`` scaled by its own divisors and those divisors
    (:attr:`~quantize.features.FeatureSpec.scales`, one per active group, in column
    order), its texture columns neither centred nor standardised (``texture_spreads`` of
    1). Each group is divided instead by the root mean square of the images'
    divisors, each texture column by the root mean square of its standard deviation
    within each image's rows (:attr:`SharedClasses.texture_spreads`), and the pooled rows
    are clustered. ``colors``, the sRGB colour ``(n, 3)`` uint8 of each image's rows, give
    each class its mean colour (:attr:`SharedClasses.colors`). For
    :func:`quantize.segment.fit_classes`, which samples the images; prior validation
    of ``k``, ``w`` (``xy`` 0: :func:`check_shared_weights`), ``space`` and ``scales``
    is assumed.

    Raises
    ------
    ValueError
        For no sample, or fewer distinct pooled rows than ``k``.
    """
    from .kmeans import MiniBatchKMeans

    if not samples:
        raise ValueError("images=[] : expected at least one image to fit shared classes on")
    divisors = {g: math.sqrt(float(np.mean([own[g] ** 2 for _, own in samples])))
                for g in samples[0][1]}
    spreads = _texture_spreads(samples, w["texture"])
    pooled = np.concatenate([_rescaled(X, own, divisors, spreads) for X, own in samples])
    distinct = np.unique(pooled, axis=0).shape[0]
    if distinct < k:
        raise ValueError(f"n_clusters={k} but the images have only {distinct} distinct "
                         f"feature vectors; expected n_clusters <= {distinct}")
    centers = np.asarray(MiniBatchKMeans(k, seed=rng).fit(pooled).cluster_centers_, np.float64)
    mean = None if colors is None else _class_colors(pooled, centers, np.concatenate(colors))
    return SharedClasses(centers, w, space, scales, divisors, spreads, mean)


def classes_by_lightness(classes: SharedClasses, name: str = "classes") -> SharedClasses:
    """``classes`` numbered by increasing lightness, the CIE L* of each class's mean colour
    (:attr:`SharedClasses.colors`), the darkest 0, equals in their order: their centres and
    colours reordered, so that a file they are saved to keeps that order, and every image
    segmented with them numbers its classes so.

    Raises
    ------
    ValueError
        When they have no colours (a file of an earlier version), naming ``name``.

    >>> c = SharedClasses(np.array([[80.0], [10.0], [50.0]]), {"color": 0.0, "intensity": 1.0,
    ...                   "xy": 0.0, "texture": 0.0}, "lab", (1.0,), {"intensity": 10.0},
    ...                   colors=np.array([[200] * 3, [20] * 3, [120] * 3], np.uint8))
    >>> classes_by_lightness(c).centers.ravel().tolist()
    [10.0, 50.0, 80.0]
    """
    from ._kernels import srgb_lightness

    if classes.colors is None:
        raise ValueError(f"class_order='lightness' but {name} holds no class colours (a file "
                         "of an earlier version); expected classes fitted again "
                         "(batch --shared-classes --force, or fit_classes), or "
                         "class_order='kmeans'")
    order = np.argsort(srgb_lightness(classes.colors.astype(np.float64)), kind="stable")
    return replace(classes, centers=classes.centers[order], colors=classes.colors[order])


def _class_colors(X: np.ndarray, centers: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """The mean colour ``(k, 3)`` uint8 of the rows ``rgb`` ``(n, 3)`` whose features ``X``
    lie nearest each of ``centers`` (black for a centre none lies nearest)."""
    from ._kernels import group_means, nearest

    means, _ = group_means(rgb.astype(np.float64), nearest(X, centers), centers.shape[0])
    return np.clip(np.round(means), 0, 255).astype(np.uint8)


def _texture_spreads(samples: Sequence[tuple[np.ndarray, Mapping[str, float]]],
                     weight: float) -> tuple[float, ...] | None:
    """Each texture column's spread: the root mean square over the images of its standard
    deviation within the image's rows, in the texture bank's own units (the rows are
    multiplied by ``sqrt(weight)``, the texture weight, over the image's divisor), 1 for a
    column flat in every image, as :func:`quantize.texture.texture_bank` leaves one; None
    without texture."""
    if "texture" not in samples[0][1]:
        return None
    variances = []
    for X, own in samples:
        tex = _columns(X.shape[1], list(own))["texture"]
        raw = X[:, tex].astype(np.float64) * (own["texture"] / math.sqrt(weight))
        variances.append(raw.var(axis=0))
    spreads = np.sqrt(np.mean(variances, axis=0))
    return tuple(float(s) if s > _FLAT_SPREAD else 1.0 for s in spreads)


def _rescaled(X: np.ndarray, own: Mapping[str, float], divisors: dict[str, float],
              spreads: tuple[float, ...] | None) -> np.ndarray:
    """``X`` (columns of the groups in ``own`` order) divided by ``divisors`` instead, its
    texture columns by ``spreads`` too."""
    out = X.astype(np.float64)
    for g, cols in _columns(X.shape[1], list(own)).items():
        out[:, cols] *= own[g] / divisors[g]
        if g == "texture":
            out[:, cols] /= np.asarray(spreads)
    return out


def _columns(d: int, groups: list[str]) -> dict[str, slice]:
    """Columns of each group of a feature array of ``d`` columns, ``groups`` in column
    order (texture takes the rest)."""
    fixed = {"color": 3, "intensity": 1, "xy": 2}
    rest = d - sum(fixed[g] for g in groups if g != "texture")
    columns, start = {}, 0
    for g in groups:
        columns[g] = slice(start, start + fixed.get(g, rest))
        start = columns[g].stop
    return columns


def read_classes(path: str | os.PathLike[str]) -> SharedClasses:
    """Read a classes file that :meth:`SharedClasses.save` wrote.

    Raises
    ------
    quantize.errors.ImageReadError
        If the file cannot be read or is not a classes file (the message names it), as
        a palette file that cannot be read is (exit 1 on the command line); or if it was
        written by a version that standardised texture image by image (no
        ``texture_spreads``) and weights texture above 0: its centres do not fit the
        texture features of this one, and the message says to fit the classes again.
    """
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        if record.get("format") != CLASSES_FORMAT:
            raise KeyError(f'"format": "{CLASSES_FORMAT}"')
        centers = np.asarray(record["centers"], np.float64)
        classes = SharedClasses(centers, check_shared_weights(record["weights"]),
                                check_choice(record["space"], "space", SPACES),
                                check_texture_scales(record["texture_scales"]),
                                {g: float(v) for g, v in record["divisors"].items()},
                                _spreads_read(record), _colors_read(record, len(centers)))
    except OSError as e:
        raise ImageReadError(f"classes file cannot be read: {e.strerror or e}",
                             path=path) from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        why = f"no {e.args[0]} field" if isinstance(e, KeyError) else str(e)
        raise ImageReadError(f"not a quantize classes file ({why}); expected one written by "
                             "SharedClasses.save() or batch --shared-classes",
                             path=path) from None
    if centers.ndim != 2 or centers.shape[0] != record["n_clusters"]:
        raise ImageReadError(f"holds centres of shape {centers.shape}, expected "
                             f"{record['n_clusters']} rows of a classes file", path=path)
    if classes.weights["texture"] > 0 and classes.texture_spreads is None:
        raise ImageReadError(_OLDER_TEXTURE, path=path)
    return classes


# Why a classes file of version 1 with texture weighted above 0 is refused, and the way out.
_OLDER_TEXTURE = ("classes file of an older quantize, which standardised the texture features "
                  "image by image, so that a pixel's class depended on the rest of its image; "
                  "its centres do not fit the texture features of this version: refit the "
                  "classes (batch --shared-classes --force, or fit_classes), or fit them "
                  "with -w texture=0")


def _colors_read(record: Mapping[str, Any], k: int) -> np.ndarray | None:
    """The ``colors`` (``#rrggbb``, one per class) of a classes file's ``record``; None when
    it has none (an earlier version)."""
    colors = record.get("colors")
    if colors is None:
        return None
    if len(colors) != k or not all(isinstance(c, str) and len(c) == 7 for c in colors):
        raise ValueError(f"colors holds {colors!r}; expected {k} colours #rrggbb, one a class")
    return np.array([list(bytes.fromhex(c[1:])) for c in colors], np.uint8).reshape(k, 3)


def _spreads_read(record: Mapping[str, Any]) -> tuple[float, ...] | None:
    """The ``texture_spreads`` of a classes file's ``record``, checked against its texture
    scales; None when it has none (version 1, or texture weighted 0)."""
    spreads = record.get("texture_spreads")
    if spreads is None:
        return None
    width = len(record["texture_scales"]) + 2
    checked = tuple(check_float(v, "texture_spreads", minimum=0.0) for v in spreads)
    if len(checked) != width or not all(checked):
        raise ValueError(f"texture_spreads holds {len(checked)} numbers; expected {width} "
                         "above 0, one per texture plane")
    return checked


def check_classes_fit(classes: SharedClasses, n_clusters: int | None,
                      weights: Mapping[str, Any] | None, space: str,
                      texture_scales: Sequence[float], name: str = "classes") -> None:
    """Refuse ``classes`` when the segmentation asks for another ``n_clusters``, weights,
    space or texture scales than they were fitted with (None or the default: theirs)."""
    if n_clusters is not None and n_clusters != classes.n_clusters:
        raise ValueError(f"n_clusters={n_clusters} but {name} holds {classes.n_clusters} "
                         f"classes; expected n_clusters={classes.n_clusters} or none")
    if weights is not None and check_shared_weights(weights) != classes.weights:
        raise ValueError(f"weights={dict(weights)!r} but {name} was fitted with "
                         f"{classes.weights!r}; expected those weights or none")
    if space != "lab" and space != classes.space:
        raise ValueError(f"space={space!r} but {name} was fitted in {classes.space!r}; "
                         f"expected {classes.space!r}")
    if tuple(texture_scales) != tuple(DEFAULT_TEXTURE_SCALES) and \
            check_texture_scales(texture_scales) != classes.texture_scales:
        raise ValueError(f"texture_scales={list(texture_scales)!r} but {name} was fitted with "
                         f"{list(classes.texture_scales)!r}; expected those")
