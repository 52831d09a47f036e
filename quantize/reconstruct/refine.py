"""A label map of a box-downscaled working copy brought to full size along the image's edges.

Each working pixel is the mean of a box of ``factor`` x ``factor`` full-size
pixels (the last box of a side maybe partial). Brought back box by box, the
labels' borders run along the boxes' sides: a border of the image that crosses
a box lands up to ``factor - 1`` pixels off, on the box's side, and a box that
straddles an edge, of a colour between its two sides', may be a strip of its own
there, which draws the border twice. :func:`refined_labels` decides again the
full-size pixels of the boxes near a border of the working map, each by its own
colour: it takes the label, among those of the 3 x 3 working pixels around its
box, whose local mean colour is nearest to its own; a group of such pixels that
took a label no pixel of that label beside them kept goes back, so that no speck
is cut off a region. Far from a border every pixel keeps its box's label.

Functions here assume validated input.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._kernels import srgb_to_lab
from .regions import linked_components

__all__ = ["refined_labels"]

# A label's local mean colour is that of its working pixels within this many of the
# working pixel whose box is decided (5 x 5), the box's own included.
_MEAN_RADIUS = 2
# A label whose local mean colour is within this Lab distance of the box's own label's is
# not told from it by colour (a just-noticeable difference is about 2.3).
_ALIKE = 3.0
# Labels whose local mean colours are within this Lab distance of the nearest one's, to a
# pixel, are as near: of those the pixel takes the one whose working pixel is nearest.
_TIE = 1.0
# The candidates' working pixels among the 3 x 3 around a box: its own first, then the
# others in raster order; and their row and column offsets from it.
_SLOT_ORDER = [4, 0, 1, 2, 3, 5, 6, 7, 8]
_SLOT_OFFSETS = (np.array(_SLOT_ORDER, np.float32) // 3 - 1,
                 np.array(_SLOT_ORDER, np.float32) % 3 - 1)
# refined_labels decides about this many full-size pixels at a time.
_REFINE_BAND_PIXELS = 1 << 14
# _box_enlarged makes a band of about this many full-size pixels at a time.
_ENLARGE_BAND_PIXELS = 1 << 18
# _local_means works out the means of about this many working pixels at a time.
_MEAN_CHUNK = 1 << 12


def refined_labels(small: np.ndarray, lab: np.ndarray, rgb: np.ndarray, factor: int,
                   enlarged: Callable[[int, int], np.ndarray] | None = None,
                   groups: np.ndarray | None = None) -> np.ndarray:
    """``small`` ``(h, w)`` brought to the size of ``rgb`` ``(H, W, 3)`` uint8, ``(H, W)``
    int16 (int32 for labels beyond its range), its borders moved onto the image's own
    edges.

    ``lab`` ``(3, h, w)`` is the Lab planes of the working copy, ``rgb`` box-downscaled
    by ``factor``. Each full-size pixel takes its box's label (``small[i // factor,
    j // factor]``; or the rows ``enlarged(start, stop)`` give, a map of the same labels
    brought to full size another way), except in the boxes whose 3 x 3 working
    neighbourhood holds more than one label: there a pixel takes, of those labels, the
    one whose mean Lab colour over the 5 x 5 working pixels around the box is nearest to
    the pixel's own Lab colour (its box's label when two are as near). A connected group
    of pixels that changed to one label and touches no pixel of that label that kept it
    takes its former labels back. With ``groups`` (a group of each label), only the boxes
    whose 3 x 3 neighbourhood holds more than one group are decided (the others' pixels
    could only change to a label of their own group).

    Examples
    --------
    >>> from quantize.texture import lab_planes
    >>> rgb = np.zeros((4, 8, 3), np.uint8); rgb[:, 3:] = 200
    >>> work = rgb.reshape(2, 2, 4, 2, 3).mean(axis=(1, 3)).round().astype(np.uint8)
    >>> small = np.array([[0, 0, 1, 1]] * 2)  # the box of columns 2-3 went to the light side
    >>> refined_labels(small, lab_planes(work), rgb, 2)[0].tolist()
    [0, 0, 0, 1, 1, 1, 1, 1]
    """
    small = small.astype(np.int32, copy=False)
    near, candidates, means = _local_means(small, lab, groups)
    out = _box_enlarged(small, rgb.shape[:2], factor, enlarged)
    moved, before = [], []
    offsets = np.divmod(np.arange(factor * factor), factor)
    boxes = max(1, _REFINE_BAND_PIXELS // factor ** 2)
    for part in range(0, near.shape[0], boxes):
        at = np.arange(part, min(part + boxes, near.shape[0]))
        y = (near[at, 0, None] * factor + offsets[0]).ravel()
        x = (near[at, 1, None] * factor + offsets[1]).ravel()
        i = np.repeat(at, factor * factor)
        inside = (y < out.shape[0]) & (x < out.shape[1])  # the last boxes may be partial
        y, x, i = y[inside], x[inside], i[inside]
        colour = srgb_to_lab(rgb[y, x])
        distance = np.sqrt(((means[i] - colour[:, None, :]) ** 2).sum(axis=2))
        # Of the labels about as near in colour, the one whose working pixel is nearest.
        near_colour = distance <= distance.min(axis=1, keepdims=True) + _TIE
        apart = ((_in_box(y, factor) - _SLOT_OFFSETS[0]) ** 2
                 + (_in_box(x, factor) - _SLOT_OFFSETS[1]) ** 2)
        choice = candidates[i, np.argmin(np.where(near_colour, apart, np.inf), axis=1)]
        own = out[y, x]
        change = choice != own
        moved.append(y[change] * out.shape[1] + x[change])
        before.append(own[change])
        out[y[change], x[change]] = choice[change]
    if moved:  # a band at a time
        _take_back_strays(out, np.concatenate(moved), np.concatenate(before))
    return out


def _in_box(at: np.ndarray, factor: int) -> np.ndarray:
    """Where full-size rows (or columns) ``at`` ``(m,)`` lie in their box, ``(m, 1)``
    float32, in working pixels from the box's centre (-0.5 to 0.5)."""
    return (((at % factor) + 0.5) / factor - 0.5).astype(np.float32)[:, None]


def _box_enlarged(small: np.ndarray, shape: tuple[int, int], factor: int,
                  enlarged: Callable[[int, int], np.ndarray] | None) -> np.ndarray:
    """``small`` brought to ``shape`` box by box (or by ``enlarged``), a band at a time."""
    # int16 where the labels fit (a hierarchy's superpixels, k-means clusters): half the
    # memory of the full-size map.
    fits = small.size == 0 or (small.min() >= -1 and small.max() < np.iinfo(np.int16).max)
    out = np.empty(shape, dtype=np.int16 if fits else np.int32)
    step = max(1, _ENLARGE_BAND_PIXELS // (shape[1] * factor)) * factor
    for start in range(0, shape[0], step):
        stop = min(start + step, shape[0])
        if enlarged is not None:
            out[start:stop] = enlarged(start, stop)
            continue
        boxes = small[start // factor:-(-stop // factor)]
        wide = np.repeat(np.repeat(boxes, factor, axis=0), factor, axis=1)
        out[start:stop] = wide[:stop - start, :shape[1]]
    return out


def _local_means(small: np.ndarray, lab: np.ndarray, groups: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The working pixels ``(n, 2)`` (row, column) near a border of ``small`` ``(h, w)``
    (of ``groups[small]`` with ``groups``) where colour tells the labels apart, in raster
    order; for each, its candidate labels ``(n, 9)`` (its own first, then those of the
    3 x 3 around it in raster order, -1 off the map) and their mean Lab colours ``(n, 9,
    3)`` float32 over the 5 x 5 around it: infinite for -1, and for a label within
    ``_ALIKE`` of the pixel's own there, which colour cannot tell from it."""
    from numpy.lib.stride_tricks import sliding_window_view

    r = _MEAN_RADIUS
    padded = np.pad(small, r, constant_values=-1)
    y, x = np.nonzero(_near_a_border(small if groups is None else groups[small]))
    three = sliding_window_view(padded[r - 1:padded.shape[0] - r + 1,
                                       r - 1:padded.shape[1] - r + 1], (3, 3))
    candidates = three[y, x].reshape(-1, 9)[:, _SLOT_ORDER]
    side = 2 * r + 1
    colours = np.pad(lab, ((0, 0), (r, r), (r, r)))
    means = np.empty((y.size, 9, 3), dtype=np.float32)
    for part in range(0, y.size, _MEAN_CHUNK):
        at = slice(part, part + _MEAN_CHUNK)
        py, px = y[at], x[at]
        window = sliding_window_view(padded, (side, side))[py, px].reshape(-1, side * side)
        values = np.stack([sliding_window_view(plane, (side, side))[py, px]
                           .reshape(-1, side * side) for plane in colours], axis=2)
        for slot in range(9):
            same = window == candidates[at, slot:slot + 1]
            means[at, slot] = (np.einsum("nk,nkc->nc", same.astype(np.float32), values)
                               / np.maximum(same.sum(axis=1), 1)[:, None])
    alike = ((means - means[:, :1]) ** 2).sum(axis=2) <= _ALIKE ** 2
    alike[:, 0] = False
    means[(candidates < 0) | alike] = np.inf
    told_apart = np.isfinite(means[:, 1:, 0]).any(axis=1)
    return (np.stack([y, x], axis=1)[told_apart], candidates[told_apart],
            means[told_apart])


def _near_a_border(groups: np.ndarray) -> np.ndarray:
    """Bool ``(h, w)``: the pixels of ``groups`` ``(h, w)`` that have one of their 8
    neighbours in another group."""
    h, w = groups.shape
    padded = np.pad(groups, 1, mode="edge")
    near = np.zeros(groups.shape, dtype=bool)
    for dy in range(3):
        for dx in range(3):
            near |= padded[dy:dy + h, dx:dx + w] != groups
    return near


def _take_back_strays(out: np.ndarray, moved: np.ndarray, before: np.ndarray) -> None:
    """Give the pixels of ``out`` ``(H, W)`` at flat indices ``moved`` (distinct) their
    labels ``before`` back where they form a stray: a 4-connected group of moved pixels of
    one label, none of which has a 4-neighbour of that label that did not move. In place."""
    if moved.size == 0:
        return
    height, width = out.shape
    order = np.argsort(moved)
    moved, before = moved[order], before[order]
    flat = out.ravel()
    label = flat[moved]
    y, x = np.divmod(moved, width)
    held = np.zeros(moved.shape, dtype=bool)
    links = []
    for step, inside in ((1, x < width - 1), (width, y < height - 1), (-1, x > 0),
                         (-width, y > 0)):
        at = np.flatnonzero(inside)
        there = moved[at] + step
        same = flat[there] == label[at]
        index = np.minimum(np.searchsorted(moved, there), moved.size - 1)
        also_moved = moved[index] == there
        held[at[same & ~also_moved]] = True
        if step > 0:  # each link once
            linked = same & also_moved
            links.append(np.stack([at[linked], index[linked]], axis=1))
    pairs = np.concatenate(links)
    group = linked_components(pairs[:, 0], pairs[:, 1], moved.size)
    anchored = np.zeros(int(group.max(initial=-1)) + 1, dtype=bool)
    anchored[group[held]] = True
    stray = ~anchored[group]
    flat[moved[stray]] = before[stray]
