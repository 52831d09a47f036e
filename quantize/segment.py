"""Segment a photo into regions: superpixels, a merge hierarchy, or pixel k-means.

Everything runs on a working copy box-downscaled to at most 1024 pixels a side
(the image itself when it is that small); labels are brought back to full
resolution at the end, each pixel to the box it was averaged into (the last
box of a side that is not a multiple of the factor is partial), but for the
pixels of the boxes near a border, which take the label of their own colour
among those around (``reconstruct.refine``): the borders follow the image's
edges rather than the boxes' sides, for the regions and the border maps alike.

**Default (regions from a merge hierarchy).** ``quantize.superpixels`` runs a
local k-means (SLIC's clustering) on Lab colour and position, whose small
clusters hug the image's edges; ``reconstruct.hierarchy`` then merges adjacent
superpixels, cheapest first, by their difference in mean colour and texture
(``texture.region_planes``), the edge strength along their border
(``texture.edge_strength``) and their size. The segmentation is the
hierarchy cut at ``DEFAULT_LEVEL``, its neighbouring regions that are flat and
of one colour then united (:func:`_unite_flat_alike`) and its slivers, strips
under 3 pixels thick of a colour between two neighbours' (an anti-aliased edge),
merged into the nearer, as is a thicker region of no colour of its own (mostly a
larger neighbour's colour, the rest mixes) into that neighbour
(:func:`_merge_slivers`), or the cut that leaves
``regions`` regions once its slivers have merged (:func:`_cut_without_slivers`); and
:func:`boundary_map` is the hierarchy's border map (the level at which each
border disappears); unless ``closed``, each border pixel's strength is a
logistic model, fitted on BSDS500 train's human borders, of cues: that height
taken relative to the image's own heights, a spectral border strength of the
superpixel graph (``reconstruct.spectral``), the agreement with a map made on
the image halved, the colour gradient and its ridge, colour and texture
contrasts between boxes either side of the pixel
(``texture.opposite_difference``) and how differently the image's own colours
are mixed there (``texture.opposite_histogram_difference``), and a pixel beside
a stronger border fades; that open map's superpixels settle on a quarter of the
pixels.

**With ``n_clusters``** (the k-means clustering of pixels):
:func:`quantize.pixel_kmeans.cluster_pixels` clusters the working copy's
pixels on their weighted features, refines the borders between clusters,
unites the clusters that colour and texture cannot tell apart (so that ``n_clusters``
is the most clusters: a plain area is not cut by position alone), smooths the
cluster map and numbers its regions at full resolution.

``segment`` works on arrays and returns a :class:`SegmentResult`; the
file-level job behind ``quantize segment`` and batch runs is
``quantize.segment_file.segment_file`` (also importable from here:
``from quantize.segment import segment_file``).

The package's name ``quantize.segment`` is the function :func:`segment`, not
this module, so ``quantize.segment.MAX_CLUSTERS`` (and ``import
quantize.segment as m``) reach the function and fail; take the module's other
names with ``from quantize.segment import MAX_CLUSTERS, DEFAULT_LEVEL``.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MIN_EMIN, ROUND_CEILING, Decimal, localcontext
from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image

from ._kernels import (
    code_table,
    group_sums,
    pack_rgb,
    row_bands,
    spread,
    sq_dist_from,
    srgb_lightness,
    srgb_to_lab,
    unpack_rgb,
)
from ._validation import (
    ArrayResult,
    ReadOnlyArrays,
    Seed,
    check_bool,
    check_choice,
    check_color,
    check_dpi,
    check_int,
    check_optional_int,
    check_seed,
    check_stretch_clip,
    foreign_keywords,
    handed_out,
    shown_step,
)
from .classes import (
    CLASS_ORDERS,
    SAMPLES_PER_IMAGE,
    ClassOrder,
    SharedClasses,
    classes_by_lightness,
)
from .errors import QuantizeWarning, warn_caller
from .features import (  # AlphaIgnoredWarning: build_features says it too
    DEFAULT_TEXTURE_SCALES,
    SPACES,
    AlphaIgnoredWarning,
    Space,
    alpha_advice,
    check_texture_scales,
    check_weights,
    feature_array,
    warn_alpha_ignored,
)
from .io import (
    DEFAULT_MAX_PIXELS,
    FourthChannel,
    LoadedImage,
    StretchAdvice,
    as_rgba,
    as_rgba_stretched,
)
from .pixel_kmeans import (
    PIECE_PIXELS,
    STRETCH_ADVICE,
    ClusterCountWarning,
    cluster_pixels,
    levels_too_close,
    spanned_levels,
    speck_side,
)
from .reconstruct import hierarchy as _hierarchy
from .reconstruct import regions as _regions
from .reconstruct.refine import refined_labels
from .reconstruct.spectral import spectral_border_strength
from .superpixels import cell_step, connected_superpixels, local_kmeans
from .texture import (
    WORKING_MAX_SIDE,
    box_statistics,
    colour_bins,
    edge_strength,
    lab_planes,
    opposite_difference,
    opposite_histogram_difference,
    region_planes,
)

__all__ = ["MAX_CLUSTERS", "MAX_SMOOTH", "MIN_WORKING_SIZE", "SUPERPIXELS", "AlphaIgnoredWarning",
           "ClusterCountWarning", "RegionCountWarning", "SegmentResult", "SpecksRemovedWarning",
           "SuperpixelCountWarning", "boundary_map", "check_cut", "check_hierarchy_weights",
           "check_min_region", "check_n_clusters", "check_smooth", "check_superpixels",
           "check_working_size",
           "default_min_region",
           "fill_transparent", "segment", "segment_pixels", "warn_alpha_ignored",
           "warn_alpha_segmented", "working_shape"]


class RegionCountWarning(QuantizeWarning):
    """Fewer regions come out than were asked for: the image has fewer superpixels (the cut
    keeps them all), or ``min_region`` merged small regions into their neighbours, or (with
    ``n_clusters``) the majority smoothing left one region of several clusters, or it or
    ``min_region`` left some cluster no region of its own."""


# Superpixels: about this many on the working copy, their compactness (a
# distance of one cell side weighs as a Lab difference of this much, at the
# default xy weight) and the local k-means passes.
#: About how many superpixels the region hierarchy starts from by default (``superpixels``
#: of :func:`segment`), on the working copy.
SUPERPIXELS = 600
# regions=N above the default's superpixels (no superpixels given) starts from about
# _RAISED_SUPERPIXELS * N of them instead of cutting at fewer regions than asked: on 4 x 4
# tiles of a 512 x 512 image of 105 blobs (2048 x 2048, 1668 blobs), regions=2000 was cut
# at the 510 superpixels, with a warning; now 2000 regions, 781 blobs at least half in light
# regions (185 by default, 506 with superpixels=2000), in 38 s (5 s by default).
_RAISED_SUPERPIXELS = 2
_MIN_STEP = 6
# ... but on an image whose shorter side is under _MIN_CELLS_ACROSS * _MIN_STEP pixels, at
# least _MIN_CELLS_ACROSS cells across it, of _MIN_SMALL_STEP pixels a side at least: of a
# 12 x 12 image, cells of 6 made four superpixels that cut a 4 x 4 square in the middle
# into quarters, each shared with the background (4 regions, none of them the square).
# On flat shapes (a centred square, halves, quadrants, a disc, a 1-pixel line) at 8, 12
# and 16 pixels a side, with and without seeded noise, cells of 2 cut noisy flat areas
# into many regions; of 3 or more, a third of the side, every region comes out.
_MIN_CELLS_ACROSS = 3
_MIN_SMALL_STEP = 3
_COMPACTNESS = 10.0
_SUPERPIXEL_PASSES = 4
# Merge cost (see reconstruct.hierarchy): weight of the edge strength along a
# border against the difference of the region means, and the power of the
# smaller region's share of the image.
_EDGE_WEIGHT = 1.2
_SIZE_POWER = 0.15
# ... the share of an image of _MIN_COST_AREA pixels at least, on an image whose shorter
# side is under _MIN_CELLS_ACROSS * _MIN_STEP (see there): every superpixel of a tiny image
# is a large share of it, which raised every cost, and the default cut split noisy flat
# areas (one rectangle on a background with seeded noise, sides 6 to 17: 33 of 60 images
# with too many regions, 12 with this floor). Not on larger images: a 40 x 40 image of
# two greys 30 levels apart, two regions, would come out as one.
_MIN_COST_AREA = 100 * 100
# Border strength in [0, 1) of a merge height h: h / (h + _HALF_HEIGHT).
_HALF_HEIGHT = 10.0
# The default cut then unites neighbouring regions that are flat (the spread of their
# pixels' Lab colours, the square root of the summed variances, at most _FLAT_SPREAD)
# and of one colour (means within _FLAT_ALIKE, CIE76): the hierarchy's cost counts the
# edge strength along a border, which a nearby edge raises, so a flat background
# between shapes drawn on it was cut along no edge (25 of 48 random layouts of 2 to 4
# flat rectangles, 100 x 140 to 640 x 480, came out with 5 to 15 regions instead of 4).
_FLAT_SPREAD = 2.0
_FLAT_ALIKE = 1.0
# ... and then merges its slivers (_merge_slivers): a region that holds no 3 x 3 square of
# its own working pixels (nowhere 3 pixels thick) and whose mean colour is a mix of two of
# its neighbours' (RGB, as anti-aliasing and the box downscaling mix them: at most
# _SLIVER_MIX times the distance between the two colours from the segment joining them) is
# the strip of in-between colour along their edge, which drew the border twice; it joins
# whichever of the two is nearer in colour. A line of its own colour, darker or lighter
# than both sides, is no mix of them and stays (a grey line between black and white is
# one, and cannot be told from an anti-aliased edge). Rounds repeat, at most
# _SLIVER_ROUNDS, while some sliver merges: two slivers side by side, each nearest to the
# other, make one after the first. On 20 drawings of flat shapes (drawn at 4x with PIL and
# downsampled with LANCZOS, 320 x 240, some with 2-pixel black outlines) the default cut
# had 70 regions that thin; the 59 mixes lay within 0.04 of the segment (0.10 for strips
# of LANCZOS's overshoot beyond one side), and the 11 pieces of black outline 0.21 or more
# (beside a dark fill); regions 191 -> 132. On 20 BSDS500 train photos: 1 sliver (0.02).
_SLIVER_MIX = 0.12
# ... or, when it is no such mix of any two, a mix in luma and in chroma, each in a share
# of its own, as JPEG mixes them (its chroma blurred over twice the pixels of its luma):
# luma between the two colours' and chroma within _SLIVER_MIX of the segment between
# theirs, in JPEG's luma and chroma (full range, the rows of _LUMA_CHROMA; the distance
# from those colours again relative to the two colours' distance). Flat red and blue
# rectangles on white saved as JPEG q=85 gave 9 regions for 3 at 160 x 120, 7 at 320 x 240:
# strips of the shapes' own luma (within 1) with chroma a quarter to a third of the way to
# the white's, 0.12 to 0.26 from the RGB segment but within 0.013 of the chroma one; now 3
# and 3 (5 -> 4 at 640 x 480). On the 20 drawings of _MIXED_SHARE, 108 -> 104 regions (true:
# 99; 8 of them JPEG); tried first, before the RGB test, a strip joined another chain of
# strips and cut an outline in two. On 50 BSDS500 train photos one region map changed (a
# 70-pixel strip along a red swimsuit), the benchmark's F the same.
_LUMA_CHROMA = np.array([[0.299, 0.587, 0.114],
                         [-0.168736, -0.331264, 0.5],
                         [0.5, -0.418688, -0.081312]])
_SLIVER_ROUNDS = 3
# ... and, in the same rounds, a region thicker than that, of no colour of its own, joins
# a larger neighbour (_side_of_mixed): nearly all its pixels (_MIXED_SHARE) are either a
# neighbour's colour or a mix of two neighbours' (within _SLIVER_MIX, as above), and more
# than _MIXED_OWN of them the colour of one larger neighbour, which it joins. A pixel is a
# neighbour's colour within that neighbour's spread (RGB), capped at _SLIVER_MIX times the
# distance to the farthest other neighbour's colour (a textured neighbour's spread took in
# its neighbours too) and at least _ONE_LEVEL (one level in each channel). The cut had
# joined a chunk of flat area to the anti-aliased edge beside it (a square box-downscaled
# from 4x: a 676-pixel chunk of background with the square's left column, 84% of it the
# background's colour, every pixel within 0.002 of a segment; a 632-pixel chunk of square
# with its top row, 84%), or cut a black outline ring in two (the smaller piece 88% within
# the larger's spread). On 20 drawings of flat shapes (4x, BOX or LANCZOS, 320 x 240 and
# 640 x 480, 8 of them JPEG q=85) and those two, 46 regions were so tested: 12 with 95% of
# their pixels or more explained; the 5 that joined were 66% to 88% a larger neighbour's
# colour, the others 7% or less (strips of mixes with a 3 x 3 lump, left as they are);
# regions 118 -> 113 (true: 104). On 50 BSDS500 train photos, 976 regions tested: the
# mixes between photo colours are wide, 172 had 95% explained, but at most 56% of any was
# a neighbour's colour, so none joins (at 50%, 1 did; with the neighbour's spread uncapped,
# 13 photos lost 1 to 11 regions of foliage, fur and the edge of a cat's ear). A wide flat
# band between two others, a mix of them (grey between black and white), is none of their
# colours and stays; so does a line of its own colour.
_MIXED_SHARE = 0.95
_MIXED_OWN = 0.6
_ONE_LEVEL = math.sqrt(3.0)
# regions=N cuts the hierarchy where N regions remain once its slivers have merged
# (_cut_without_slivers): in the cut at N itself a sliver took one of the N places, so a
# shape stayed merged with a neighbour while a strip along an edge counted as a region and
# the edge was drawn twice. When the cut at N has slivers, finer cuts are tried (up by the
# number merged, then by twice the last step, then halving between a cut that leaves fewer
# and one that leaves more, at most _SLIVER_CUTS cuts) and the first that leaves exactly N
# is kept. Exactly N is regions=N's promise, so when no cut leaves N (one split can free
# two slivers: 9 regions at one cut, 11 at the next) the cut at N stays, slivers and all;
# fewer or more than asked would be a different count, not the same one drawn better. On
# 20 drawings as above at N = 2 to 15 (280 cuts), 603 slivers in 155 cuts -> 2 in 1 (no
# cut left its 10); at most 9 cuts tried; at N = the shapes, outlines and background, 3
# of the 20 had a shape merged away for a sliver, none now. On 20 BSDS500 train photos at
# N = 10 and 30, 1 and 3 region maps changed (boundary F 0.5685 -> 0.5682, 0.6226 -> 0.6214).
_SLIVER_CUTS = 12
# regions=N with min_region: the regions under min_region merge into their neighbours
# after the cut, so the cut at N gave fewer than N (with a warning): on skimage's coffee,
# chelsea and astronaut and sklearn's china at N = 20, 3, 1 and 5 of the 20 regions were
# under 0.1% of the image (14 to 19 left at --min-region 0.1%). So, with a min_region,
# finer cuts are searched first as for slivers (at most _LARGE_CUTS) for one that leaves N
# once its slivers and the regions under min_region (counted on the working copy's
# superpixels) have merged; when none does, the cut without slivers as before.
_LARGE_CUTS = 16
# When that cut still leaves fewer than N at full size (the regions under min_region, found
# on the working copy's superpixels, merged by colour, and the regions of the working copy
# brought to full size a little smaller or larger), a cut into regions of min_region or
# more each (hierarchy.large_cut: a merge undone only when both sides reach it, a speck
# that joined late glued to its side) is searched for (_cut_of_large), on the superpixels'
# full-size pixels (a working pixel of the last row or column a partial box); when a region
# brought to full size falls under min_region, again with the bound raised past the
# smallest region of that cut, up to _FULL_SIZE_TRIES cuts.
# The cut that leaves the most regions is kept, the first when they tie, so an image that
# reached N before gives the same regions. On 20 BSDS500 train photos at N = 10, 20, 40 and
# min_region 1%, 0.5%, 0.1%: N in 60 of 60 runs (59 before, one 6 of 10); sklearn's china
# enlarged 3x at 0.1%: 10, 20, 40 (9, 19, 39 before); astronaut at 40 and 1%: 39 (15).
_FULL_SIZE_TRIES = 3
# The default cut also keeps flat regions of clearly different colours apart
# (_split_flat_unlike), the counterpart of _unite_flat_alike: the size term of the merge
# cost lets a small shape merge below the cut's height however crisp its edge (a 73 x 90
# rectangle of (65, 104, 164) on (121, 131, 193), 14 apart, merged at 9.81; a 40 x 40 one
# at 7.94: one region). A merge under the cut (from the last down) is undone when its two
# regions are both flat (spread, as there, at most _APART_SPREAD), their colours, as the
# merge cost weighs them, more than _APART_UNLIKE apart, the mean edge strength along
# their border at least _APART_EDGE times that difference, and the merge cost without its
# size term above the cut's height (so at the default weights a crisp border between
# colours about 9.5 apart, CIE76, or more; halving the colour weight merges more, as it
# does elsewhere) - and when those two regions make up all of their region of the cut but
# at most _APART_REST of their pixels (superpixels of a shape's rim merged after them),
# which stay with the side nearer in colour. A step of contrast d has about 0.3 d of edge
# strength along it; the flat bands a ramp is cut into have the ramp's slope, which on
# steep ramps reaches 0.16 d (72 vertical ramps, 30 to 300 rows, of 4 colour pairs:
# 393 regions as before; 401 without the edge test, 398 at 0.15). Anti-aliasing widens a
# shape's spread by its rim: 2.2 to 2.4 at 20 to 30 pixels a side and 17 to 19 apart
# (drawn at 4x, downsampled with LANCZOS or BOX), hence a bound looser than _FLAT_SPREAD.
# _APART_UNLIKE (about CIEDE2000 3 to 4) keeps alike neighbours whose border has a strong
# edge nearby, and so a high cost, together. The bound on the rest keeps merges deep inside
# a photo's regions: with 6 apart in place of the cost test and no such bound, 2 of 50
# BSDS500 train photos had specks of dark JPEG noise split off (none of the 50 changes as
# here). Rectangles 20 to 150 pixels a side on flat backgrounds (3 colour pairs each, drawn
# flat and anti-aliased: 63 images per difference) came out as 2 regions at CIEDE2000 6
# (CIE76 8 to 13) 3 times, now 42; at 10, 36 -> 63; at 14, 57 -> 63; at 3, none as before.
_APART_SPREAD = 3.0
_APART_UNLIKE = 6.0
_APART_EDGE = 0.2
_APART_REST = 0.1
# The next four blocks chose the fixed formula boundary_map (not closed) used before the
# learned model below (_CUE_WEIGHTS); it still makes the second, coarser view (_open_map).
# boundary_map (not closed): each border pixel's strength times g / (g + _GRADIENT_HALF),
# g the Lab colour gradient smoothed by _GRADIENT_SIGMA working pixels, square-rooted.
# Chosen on 28 BSDS500 train photos among sigma 1-4 and halves 1-20 (all within
# 0.005 of each other from sigma 2 to 3 and halves 1 to 4): ODS F +0.022 and OIS F
# +0.025 over the hierarchy's own map; +0.031 and +0.037 on 28 other train photos.
_GRADIENT_SIGMA = 2.5
_GRADIENT_HALF = 2.0
# boundary_map (not closed): the strength of a superpixel border before that
# weighting is (1 - _SPECTRAL_SHARE) * h / (h + h90) + _SPECTRAL_SHARE * p, with h90
# the _HEIGHT_QUANTILE of the image's merge heights (its own half height, in place
# of _HALF_HEIGHT) and p the border's spectral strength (reconstruct.spectral,
# _SPECTRAL_VECTORS eigenvectors, affinity length * exp(-e / _SPECTRAL_SCALE), e the
# mean edge strength along the border). Chosen on two sets of 28 BSDS500 train
# photos, gains in ODS F over the fixed half height: h90 alone +0.013 / +0.012,
# p alone (share 0.5) +0.011 / +0.017, both at share 0.4 +0.021 / +0.021 (OIS F
# +0.010 / +0.013); quantile 0.8, scale 20, 16 vectors, shares 0.3, 0.5 and 0.67,
# an affinity on the colour difference too, or h90 only half applied did no better.
# Also no better, on train photos 0, 6, 12, ... and 3, 9, 15, ... (30 each; ODS F
# 0.713 / 0.685 as is): b times 1 - exp(-length / L0) to play down short borders
# (L0 4, 8, 16: -0.005 / -0.003 down to -0.040 / -0.044); the border's mean weight
# g / (g + 2) in place of each pixel's own (-0.004 / -0.006) or half of each
# (-0.001 / -0.001); a floor of c times the closed map (c 0.5: no change; 0.8:
# -0.009 / -0.005).
# The weight's factor g / m (m the 3 x 3 maximum of g; _gradient_weight), on four
# sets of BSDS500 train photos (every 7th from 0, 3, 5, 1; 28-29 each; 30 levels):
# ODS F +0.006 / -0.000 / +0.007 / +0.002, OIS F +0.003 / +0.001 / +0.005 / +0.001.
# Its square, a maximum along the gradient's direction only, a 5 x 5 maximum, g
# divided by its mean over 16 pixels (+0.010 on the first set, -0.010 on the
# second), the colour change across the border's own direction in place of g,
# and a per-image power that puts the map's 90th percentile at 0.6 did no better.
_HEIGHT_QUANTILE = 0.9
_SPECTRAL_SHARE = 0.4
_SPECTRAL_SCALE = 10.0
_SPECTRAL_VECTORS = 8
# boundary_map (not closed): its superpixels settle in passes over a quarter of the
# pixels (local_kmeans' n_sparse; the closed map must match segment() and keeps them
# all). On BSDS500 train photos (every 7th from 3 / from 0; 29 each; 49 levels), all
# _SUPERPIXEL_PASSES passes sparse: ODS F -0.001 / 0.000, OIS F -0.001 / +0.003; all
# but the last -0.002 / 0.000 and -0.003 / +0.005; about 15% less time per photo.
# The same passes would cost segment()'s default cut 0.012 / 0.008 of its F.
_OPEN_SPARSE_PASSES = _SUPERPIXEL_PASSES
# boundary_map (not closed), second scale: the same open map made on the working
# copy box-halved, from _COARSE_SUPERPIXELS superpixels, brought back to working size
# and widened to its 3 x 3 maximum (c); each border pixel's strength is multiplied by
# 1 - _COARSE_SHARE + _COARSE_SHARE * c, so that borders the coarser view also sees
# keep their strength and the others lose up to half of it. Skipped (a factor of 1)
# on working copies under _COARSE_MIN_SIDE pixels a side. Chosen on 29 BSDS500 train
# photos (every 7th from 3; ODS / OIS F 0.704 / 0.721 without it), first with the
# photo halved by Pillow: shares 0.3 / 0.5 / 0.7 ODS F 0.708-0.710, OIS F
# 0.722-0.724; a widening of 1, 5 or 9 pixels 0.698 / 0.706 / 0.705 ODS; 150, 300 or
# 600 coarse superpixels 0.706 / 0.707 / 0.706 (widening 5); the two maps' mean or
# geometric mean on the border pixels 0.696-0.706. Then as here: 0.708 / 0.721; a
# third of the size (150 or 200 superpixels) 0.705-0.706 / 0.717-0.723, a quarter
# (100 or 150) 0.701-0.704 / 0.714-0.716. With the sparse passes, on the sets from
# 3 / 0 / 5: ODS F 0.707 / 0.701 / 0.667 against 0.704 / 0.698 / 0.661 without either,
# OIS F 0.722 / 0.724 / 0.676 against 0.721 / 0.716 / 0.668.
_COARSE_SUPERPIXELS = 300
_COARSE_SHARE = 0.5
_COARSE_MIN_SIDE = 48
# boundary_map (not closed), last step: the cues above and a few cheap local ones
# (_border_cues), combined by a logistic model learned from BSDS500 train's human
# borders; each border pixel's strength is sqrt(1 / (1 + exp(-z))), z = _CUE_BIAS
# plus the sum of weight * cue over _CUE_WEIGHTS. First fitted on 2026-12-02 with
# benchmarks/fit_boundary_cues.py (train photos 0, 2, 4, ..., a random quarter of
# their border pixels; a pixel's target is the share of annotators for whom it is
# the border pixel nearest to one of their boundary pixels, within the benchmark's
# tolerance). Against the fixed formula it replaced, sqrt(b * g / (g + 2) * g / m) *
# (0.5 + 0.5 c), in one run on all 200 train photos (30 levels): ODS F 0.687 -> 0.696,
# OIS F 0.707 -> 0.714; on photos 1, 3, 5, ... (not fitted on) 0.687 -> 0.696 and
# 0.711 -> 0.718; 0.82x -> 0.86x the time of felzenszwalb. Variants, scored from
# cached cues on train photos 1, 5, 9, ... (50; fixed formula 0.677 / 0.700): 0.685 /
# 0.709 as here; 0.688 / 0.711 with g, g / m and 7-pixel boxes too, but at 1.01x the
# time of felzenszwalb (0.90x as here, measured alike); 0.680 / 0.704 with
# 7-pixel boxes alone, 0.676 / 0.701 without boxes; square root or power 0.35 of the
# probability the same within 0.001; with those extra cues and the target "within 4.3
# pixels of an annotator's boundary", which also rewards a second border running
# beside the first (the one-to-one matching pairs only one), 0.652 / 0.679.
# Then a colour-mix cue, gPb's colour gradient made cheap: the chi-squared distance of
# the histograms of the image's own _CUE_COLOUR_BINS k-means colours in two boxes on
# either side of the pixel (texture.opposite_histogram_difference, radius
# _CUE_MIX_RADIUS, the largest of four orientations). Refitted with it on train photos
# 0, 1, 4, 5, 8, 9, ... (100; fit_boundary_cues.py --every 4 --offset 0 1); on photos
# 3, 7, 11, ... (50, not fitted on by either model; bench_bsds.py --split train --every
# 4 --offset 3, 99 levels) ODS F 0.708 -> 0.714, OIS F 0.727 -> 0.734. CPU time per
# photo (10 train photos, one thread): 0.80-0.82x -> 0.92-0.94x felzenszwalb's.
# Earlier, from cached cues on photos 1, 5, 9, ...: 16 colours scored 0.004 better than
# 8 at twice the cue's cost; radius 8 and 12 the same; only the two axis orientations
# 0.001 lower; histograms of L* or of textons no better.
# Not kept: 16 colours in place of 8, refitted alike (fit_boundary_cues.py --every 4
# --offset 0 1): on photos 2, 6, 10, ... (50, fitted on by neither; bench_bsds.py --split
# train --every 4 --offset 2, 99 levels, both runs side by side) ODS F 0.704 -> 0.710,
# OIS F 0.721 -> 0.722, time 0.85x -> 0.92x felzenszwalb's; its integral image of twice
# the depth also adds 1.4 bytes per pixel to a large photo's peak memory. From cached
# cues on the same photos (30 levels; 0.703 / 0.716 as here), other candidates: the
# 16-colour mix beside the 8-colour one 0.709 / 0.722 (by its parts' CPU time, about
# 1.0-1.05x felzenszwalb's), the 8-colour mix also at radius 4 and 16 0.708 / 0.719,
# g and g / m at sigma 2.5 with 7-pixel boxes 0.704 / 0.721, the squares of four
# leading cues 0.703 / 0.720, the chi-squared distance of the two superpixels' whole
# colour histograms 0.703 / 0.715, and an L* histogram mix 0.704 / 0.716.
# Then a better combination of the same cues: z also adds, for each of the first 16 cues,
# weights on its hinges max(0, cue - knot) at three knots (_CUE_KNOTS: the cue's quartiles
# on the fitted pixels), so that each cue's term is piecewise linear, and the model reads
# ten more cues, the mean of each of the pixel's own ones along its superpixel border
# (how the border does as a whole). Refitted on photos 0, 1, 4, 5, ... (fit_boundary_cues.py
# --every 4 --offset 0 1). From cached cues on photos 2, 6, 10, ... (50, fitted on by
# neither; 30 levels; 0.703 / 0.716 as before): hinges alone 0.707 / 0.722 (five knots at
# deciles 0.1 to 0.9 0.706 / 0.724), border means alone 0.706 / 0.722 (medians in place
# of means 0.706 / 0.720), both 0.709 / 0.727; the products of pairs of the six (eight)
# leading cues 0.704 / 0.716 (0.705 / 0.721), with the hinges 0.707 / 0.723, with the
# hinges and border means 0.709 / 0.726. Both kept, with one more change: an entry on two
# borders used to take the last three border cues of the border numbered last, often a
# faint one crossing the strong one, which the steeper model turned into dips at every
# junction of a strong border (a larger step then scored below a smaller one); it now
# takes all its border cues from the stronger of the two (by b). On photos 3, 7, 11, ...
# (50; bench_bsds.py --split train --every 4 --offset 3, 99 levels, the two runs side by
# side, twice): ODS F 0.714 -> 0.725, OIS F 0.734 -> 0.743; CPU time per photo 0.93x ->
# 1.05x and 0.96x -> 0.98x felzenszwalb's (on 12 of those photos, interleaved, medians of
# 3: 0.97x -> 1.02x, 5% more time than before). The first version (junctions as before,
# the hinges as one matrix product) scored 0.725 / 0.743 there, at 1.32x (1.00x before).
# The model is now worked out once per superpixel border and once per pixel rather than
# per entry (_open_border_values), with the same maps: its part of the map (all but the
# hierarchy, the gradient, the pixels' cues and b) takes 9.6 ms a photo on those 12
# photos, against 15.1 ms per entry and 11.4 ms for the model before the hinges (medians
# of 3 rounds); two runs side by side, 0.85x -> 0.83x and 0.89x -> 0.84x felzenszwalb's
# CPU time (interleaved on the 12, medians of 3: 1.01x -> 0.97x, and 1.04x per entry).
# Not kept: other knots, refitted alike (fit_boundary_cues.py --knots). From cached cues
# on photos 2, 6, 10, ... (30 levels; the quartiles 0.7091 / 0.7270 there): deciles 0.1
# to 0.9 0.7087 / 0.7270, quintiles 0.7088 / 0.7272, five at 0.1, 0.3, ..., 0.9
# 0.7085 / 0.7266, the quartiles with 0.05 and 0.95 0.7089 / 0.7276. On photos 3, 7,
# 11, ... (99 levels, the two runs side by side) the deciles scored ODS F 0.725 -> 0.725,
# OIS F 0.743 -> 0.744, for three times the hinges (on the 12 photos, interleaved,
# medians of 3 rounds: 119.4 -> 120.7 ms a photo, 0.94x -> 0.97x felzenszwalb's).
_CUE_WEIGHTS = {
    "log b": 0.1714, "log coarse": -0.1684, "relative height": 0.1406, "spectral": 1.1504,
    "log1p g1": 0.242, "log g1 / m1": -0.2288, "log length": 0.1882, "log1p mean edge": 0.2211,
    "log1p height": 0.0999, "log1p colour 3": 0.2848, "log1p colour 11": 0.3025,
    "log1p spread 3": 0.0939, "log1p spread 11": 0.1371, "log1p texture 3": 0.2394,
    "log1p texture 11": 0.2725, "log1p colour mix": 0.5219, "border mean log coarse": 1.1607,
    "border mean log1p g1": -0.238, "border mean log g1 / m1": 0.2556,
    "border mean log1p colour 3": -0.2237, "border mean log1p colour 11": -0.0492,
    "border mean log1p spread 3": 0.0178, "border mean log1p spread 11": -0.8239,
    "border mean log1p texture 3": 0.3224, "border mean log1p texture 11": 0.3629,
    "border mean log1p colour mix": 1.1003,
}
_CUE_KNOTS = {
    "log b": (-1.4953, -1.1302, -0.8362), "log coarse": (-0.6931, -0.454, -0.3239),
    "relative height": (0.2692, 0.4273, 0.5877), "spectral": (0.1027, 0.1644, 0.2475),
    "log1p g1": (0.9049, 1.4941, 2.0276), "log g1 / m1": (-0.4891, -0.2439, -0.0967),
    "log length": (2.8332, 3.2189, 3.6376), "log1p mean edge": (1.0786, 1.5835, 2.0066),
    "log1p height": (1.175, 1.7549, 2.3572), "log1p colour 3": (1.7498, 2.4722, 3.0653),
    "log1p colour 11": (1.8063, 2.465, 3.0541), "log1p spread 3": (1.056, 1.8009, 2.3529),
    "log1p spread 11": (1.6497, 2.245, 2.6722), "log1p texture 3": (0.8372, 1.4969, 2.0714),
    "log1p texture 11": (0.9809, 1.5575, 2.1042), "log1p colour mix": (0.1155, 0.2866, 0.501),
}
_CUE_HINGE_WEIGHTS = {
    "log b": (0.1518, 0.2877, 0.3267), "log coarse": (-0.1684, 2.8481, 1.6694),
    "relative height": (-0.32, -0.1636, 0.4524), "spectral": (0.8719, 0.0406, -1.9802),
    "log1p g1": (0.0905, -0.1899, -0.3627), "log g1 / m1": (0.1053, 0.6276, 0.2278),
    "log length": (-0.3474, -0.175, 0.2057), "log1p mean edge": (0.2207, 0.3524, 0.0732),
    "log1p height": (0.0375, 0.0499, -0.0882), "log1p colour 3": (0.1135, -0.1675, 0.0762),
    "log1p colour 11": (0.0043, -0.5044, -0.1817), "log1p spread 3": (0.0305, -0.0368, -0.0301),
    "log1p spread 11": (-0.4899, -0.4082, 0.2761), "log1p texture 3": (0.136, -0.0748, 0.0922),
    "log1p texture 11": (0.011, -0.0946, -0.0344), "log1p colour mix": (0.5477, -0.0191, 0.6608),
}
_CUE_BIAS = -6.0624
# boundary_map (not closed), after the model: a border pixel that a stronger pixel of
# another superpixel border faces across it (along its row for a right border, its column
# for a lower one), at most _BESIDE_RADIUS pixels away, shows v * v / s, s the strongest
# such (_weaker_beside_stronger): two superpixel borders running side by side along one
# edge both pass a threshold, and the benchmark's one-to-one matching pairs only one.
# Screened on train photos 2, 6, 10, ... (50, 30 levels; the model as fitted, 0.7089 /
# 0.7270): across, radius 2 / 3 / 4 / 5, v * (v / s) ** f with f = 1: ODS F 0.7128 /
# 0.7144 / 0.7144 / 0.7145, OIS F 0.7303 / 0.7327 / 0.7333 / 0.7319; radius 2 with f = 0.5
# 0.7115 / 0.7288, radius 3 with f = 1.5 0.7153 / 0.7345. Over a whole square window
# (every direction), f = 1: radius 1 / 2 / 3 / 4 0.7107 / 0.7128 / 0.7124 / 0.7084,
# 0.7273 / 0.7304 / 0.7296 / 0.7258, for four times the reads; radius 2 with f = 0.5 /
# 1.5 0.7124 / 0.7137, 0.7309 / 0.7311; radius 3 with f = 0.5 / 2 0.7121 / 0.7069,
# 0.7290 / 0.7239; a plain factor 0.5 at radius 2 0.7010 / 0.7180. Not kept either: each
# pixel's strength mixed with its superpixel border's largest (a quarter of it: 0.7070 /
# 0.7245) or mean (on 4 photos, a quarter or half of the mean of v or of z, all below the
# map as is). Those screens let an entry on both borders look both
# ways; it now looks across the one whose pair it shows, as along its own edge it met the
# next superpixel border's pixels and dipped at every junction of a strong step. On photos
# 3, 7, 11, ... (50; bench_bsds.py --split train --every 4 --offset 3, 99 levels, beside
# the map without the step in the same time window): ODS F 0.725 -> 0.729, OIS F 0.743 ->
# 0.747, 0.83x -> 0.86x felzenszwalb's CPU time in those runs (looking both ways, in an
# earlier pair of runs, 0.730 / 0.748; with f = 1.5 0.730 / 0.749, no better for a less
# simple formula). The step takes 2.5-2.9 ms a photo (12 train photos, one thread,
# medians of 7), about 2% of the map's time; the whole map, interleaved with the map
# without it on 12 of photos 3, 7, 11, ... (medians of 6 rounds): 168.8 -> 172.2 ms a
# photo (+2%; the machine busy).
_BESIDE_RADIUS = 3
_CUE_BOXES = (3, 11)
_CUE_COLOUR_BINS = 8
_CUE_MIX_RADIUS = 8
#: The border strength at which the default segmentation cuts the hierarchy.
DEFAULT_LEVEL = 0.5
#: The most k-means clusters :func:`segment` accepts. Time and memory grow with
#: every cluster (a vote map and a border band per cluster; k-means seeding
#: compares every pair of centres, and fails past a few thousand). Measured on
#: skimage's coffee (400 x 600): k = 16 1.4 s, 64 2.8 s, 256 10 s (peak RSS 0.18 GB;
#: 0.92 GB before the border steps of quantize.pixel_kmeans were done in blocks),
#: 512 18 s, 1000 41 s; on a photo with a full 1024-pixel working copy (1 MP or
#: 12 MP), k = 64 10-11 s (0.27 GB at 1 MP, 0.62 before), 256 31-40 s (0.45 GB, 2.0
#: before). Many small regions are what ``regions`` (a hierarchy cut) gives, in about a second.
MAX_CLUSTERS = 256


# default_min_region: a floor of 16 pixels was a quarter of an 8 x 8 image, and merged
# whole shapes into their background (with -k N, a 2 x 2 square or a small disc on 8 x 8
# pixels, a 1-pixel line on 12 x 12 came out as one region). On images of fewer than
# _SMALL_IMAGE_PIXELS the default follows their size down to _MIN_REGION_FLOOR pixels,
# which still merges specks of 1 to 3 pixels: on 12 BSDS500 train photos made 32 pixels
# on their longer side, -k 4 gave a median of 10 regions (6 with the floor of 16, 30
# with no floor at all).
_SMALL_IMAGE_PIXELS = 100 * 100
_MIN_REGION_FLOOR = 4


def default_min_region(height: int, width: int) -> int:
    """Default smallest region: 1/1000 of the image, at least 16 pixels; on an image of
    fewer than 100 x 100 pixels 1/625 of it (16 at 100 x 100), at least 4.

    A 12 MP photo gets 12000 pixels (about 110 x 110), a 512 x 512 image 262, a
    64 x 64 image 6 and an 8 x 8 one 4.

    >>> default_min_region(512, 512), default_min_region(64, 64), default_min_region(8, 8)
    (262, 6, 4)
    """
    pixels = height * width
    if pixels >= _SMALL_IMAGE_PIXELS:
        return max(16, pixels // 1000)
    return max(_MIN_REGION_FLOOR, pixels // 625)


#: ``min_region`` as a share of the image's pixels: a plain decimal number and ``%``
#: (``0.1%``, ``2%``, ``.5%``, ``1e-2%``), spaces around it aside.
_SHARE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%"
_SHARE_EXPECTED = ("expected a whole number of pixels (5000) or a percentage of the image's "
                   "pixels from 0% to 100% (0.1%)")


def check_min_region(min_region: Any, name: str = "min_region") -> int | str | None:
    """``min_region`` checked: None, a number of pixels (an int >= 0), or a share of the
    image's pixels, a str ``"P%"`` with P a plain decimal number from 0 to 100, returned
    as given but for spaces around it (its pixels are known once the image is:
    ``ceil(P / 100 * H * W)`` of the full-size image, see :func:`segment`); a share of 0
    (``"0%"``, ``"0.0%"``) is 0 pixels of any image, and returned as 0, so that it is
    recorded, and compared, as ``min_region=0`` is.

    Raises
    ------
    TypeError
        If ``min_region`` is neither an int nor a str (a float is refused, as a share of
        1 could mean 1 pixel or all of them).
    ValueError
        If it is a negative int, a str that is no percentage, or one outside 0% to 100%.

    Examples
    --------
    >>> check_min_region(5000), check_min_region(" 0.1% "), check_min_region(None)
    (5000, '0.1%', None)
    >>> check_min_region("0%"), check_min_region("0.00e3%")
    (0, 0)
    >>> check_min_region("1.5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: min_region='1.5' is not valid; expected a whole number of pixels (5000) or ...
    >>> check_min_region("120%")
    Traceback (most recent call last):
    ...
    ValueError: min_region='120%' should be <= 100%
    """
    if min_region is None or not isinstance(min_region, str):
        return check_optional_int(min_region, name, minimum=0)
    text = min_region.strip()
    if re.fullmatch(_SHARE, text) is None:
        raise ValueError(f"{name}={min_region!r} is not valid; {_SHARE_EXPECTED}")
    share = Decimal(text[:-1])
    if share < 0 or share > 100:
        bound = ">= 0%" if share < 0 else "<= 100%"
        raise ValueError(f"{name}={text!r} should be {bound}")
    return 0 if share == 0 else text


def _min_region_pixels(min_region: int | str, height: int, width: int) -> int:
    """The pixels of a ``min_region`` checked (:func:`check_min_region`) on an image of
    ``height`` x ``width``: a share ``"P%"`` as ``ceil(P / 100 * height * width)``, worked
    out exactly, as a region under that share is one under that many pixels; an int as
    it is.

    >>> _min_region_pixels("2%", 20, 20), _min_region_pixels("2.25%", 20, 20)
    (8, 9)
    >>> _min_region_pixels("1e-9%", 20, 20), _min_region_pixels("0%", 20, 20)
    (1, 0)
    """
    if isinstance(min_region, int):
        return min_region
    share = Decimal(min_region[:-1])
    with localcontext() as exact:  # every digit kept: no rounding but the ceiling
        exact.prec = len(min_region) + 2 * len(str(height * width)) + 8
        exact.Emin, exact.Emax = MIN_EMIN, MAX_EMAX
        exact.rounding = ROUND_CEILING
        return int((share * height * width).scaleb(-2).to_integral_value())


def check_n_clusters(n_clusters: Any) -> int:
    """``n_clusters`` as an int from 1 to :data:`MAX_CLUSTERS`, or raise naming it.

    Raises
    ------
    TypeError
        If ``n_clusters`` is not an integer.
    ValueError
        If it is below 1 or above :data:`MAX_CLUSTERS`.

    Examples
    --------
    >>> check_n_clusters(8)
    8
    >>> check_n_clusters(1000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n_clusters=1000 should be <= 256; for many regions, cut the region ...
    """
    k = check_int(n_clusters, "n_clusters", minimum=1)
    if k > MAX_CLUSTERS:
        raise ValueError(f"n_clusters={k} should be <= {MAX_CLUSTERS}; for many regions, "
                         "cut the region hierarchy with regions=N instead")
    return k


def check_class_order(class_order: Any, n_clusters: Any) -> str:
    """``class_order``, one of :data:`~quantize.classes.CLASS_ORDERS`; "lightness" only
    with ``n_clusters`` (not None): the hierarchy's regions are each their own cluster,
    numbered as the regions are.

    >>> check_class_order("lightness", None)
    Traceback (most recent call last):
    ...
    ValueError: class_order='lightness' applies to k-means clusters only (n_clusters=K); \
the hierarchy's regions are each their own cluster, so expected class_order='kmeans' \
without them
    """
    order = check_choice(class_order, "class_order", CLASS_ORDERS)
    if order != "kmeans" and n_clusters is None:
        raise ValueError(f"class_order={order!r} applies to k-means clusters only "
                         "(n_clusters=K); the hierarchy's regions are each their own cluster, "
                         "so expected class_order='kmeans' without them")
    return order


@dataclass(frozen=True, eq=False)
class SegmentResult(ReadOnlyArrays, ArrayResult):
    """A segmentation: region labels, each region's cluster, and the photo.

    Attributes
    ----------
    labels : (H, W) ndarray of int32
        Region of each pixel, 1..R in raster order of the regions' first pixels: the
        connected regions, not the k-means clusters (one cluster is often several regions,
        so R may exceed ``n_clusters``); :meth:`SegmentResult.cluster_map` gives each
        pixel's cluster, 0..K-1.
    clusters : (R,) ndarray of intp
        With ``n_clusters``, ``clusters[r - 1]`` is the k-means cluster of
        region ``r`` (for a merged region, the cluster holding most of its
        pixels). From the region hierarchy (no ``n_clusters``) every region is
        its own cluster: ``clusters[r - 1] == r - 1``.
    centers : (K, d) or (R, 3) ndarray of float64
        With ``n_clusters``, the K cluster centres k-means made in the weighted
        feature space (d features): ``n_clusters`` of them at most, fewer when the
        image has fewer distinct feature vectors (with a :class:`ClusterCountWarning`)
        or when colour and texture cannot tell some clusters apart, which are
        then one (its centre their centres' mean, weighted by their pixels; a
        :class:`ClusterCountWarning` says so); a cluster the smoothing and the merges left no
        region, before one they left some, is left out, so that the clusters are
        numbered 0..K-1 without a gap (a :class:`ClusterCountWarning` or
        :class:`RegionCountWarning` says it was lost).
        With ``classes_in``, the shared classes' centres (all of them, whether or not
        this image holds each; then the transparent pixels' one, when some are).
        From the region hierarchy, the mean colour (r, g, b, 0..255) of each
        region, as :meth:`SegmentResult.region_stats` gives it (of its visible
        pixels): ``centers[r - 1]`` is that of region ``r``.
    image : (H, W, 3) ndarray of uint8
        The photo that was segmented, as 8-bit RGB (alpha dropped, fully
        transparent pixels in the colour they were segmented as, 16-bit and
        float values scaled); a copy, the caller's array is never kept.
    alpha : (H, W) ndarray of uint8 or None
        The photo's alpha, None when it has none. A region's mean colour is that of
        its visible pixels (alpha above 0), each counted once by the colour stored
        in it, as translucent pixels are segmented; a region of fully transparent
        pixels alone has the colour they were segmented as.
    weights : dict of str to float
        The weights used, every group named; read-only like the arrays
        (``dict(result.weights)`` is an editable copy).
    min_region : int
        The size limit applied when merging.
    stretch_range : (float, float) or None
        With ``stretch=True``, the input's values read as 0 and 255
        (:func:`quantize.io.as_rgba_ranged`), by which :meth:`SegmentResult.region_stats`
        and :meth:`SegmentResult.cluster_stats` give ``mean_input``, ``std_input``,
        ``min_input`` and ``max_input``; None otherwise.
    n_regions : int
        The number of regions R.
    n_clusters : int or None
        The ``n_clusters`` asked for (with ``classes_in``, the classes'); None from the
        region hierarchy. K, the clusters made, is ``len(centers)``, and may be fewer.
    space : {"lab", "rgb"} or None
        The colour space of the k-means features (``space``); None from the region
        hierarchy, which works in CIELAB.

    The arrays and ``weights`` are read-only, in a copy or an unpickled result
    too: the regions' maps, borders and statistics are computed from them, and an
    edit would put them out of step (``result.labels[mask] = 0`` raises NumPy's
    "ValueError: assignment destination is read-only"). Edit a copy
    (``result.labels.copy()``, or ``np.array(result)``); the methods return new arrays.
    Functions that only read the labels take them as they are (scikit-image's
    ``regionprops``, ``mark_boundaries``, ``find_boundaries``, ``expand_labels``,
    ``label2rgb``; SciPy's ``ndimage.label`` and ``ndimage.sum``), while those that want
    a writable array refuse them: scikit-image's ``relabel_sequential`` and
    ``join_segmentations`` raise "ValueError: buffer source array is read-only"; pass
    them ``np.array(result)``. ``np.asarray(result)`` is the labels, read-only, as
    scikit-image's segmentations are label arrays, and ``Image.fromarray(result)`` a
    mode "I" picture of them (see ``__array__``).

    Two are equal only when they are the same object (``result == x`` is ``result is x``,
    never an element-wise comparison; ``array == result`` is NumPy's, element-wise against
    the labels): compare their arrays with :func:`numpy.array_equal` to compare
    segmentations.
    """

    labels: np.ndarray
    clusters: np.ndarray
    centers: np.ndarray
    image: np.ndarray = field(repr=False)
    weights: Mapping[str, float]
    min_region: int
    alpha: np.ndarray | None = field(default=None, repr=False)
    stretch_range: tuple[float, float] | None = field(default=None, repr=False)
    n_clusters: int | None = None
    space: str | None = None
    # The regions' pixel counts and sums (_regions.RegionSums), made once, on first use
    # (or by the hierarchy, which has them), for mean_color_image() and region_stats().
    _sums: _regions.RegionSums | None = field(default=None, init=False, repr=False)
    # The input's values before a stretch (LoadedImage.stretch_values, or those
    # quantize.io.as_rgba_stretched keeps of an array), whose regions' means are mean_input;
    # None when not stretched, or not known (segment_pixels given none).
    _stretch_values: np.ndarray | None = field(default=None, init=False, repr=False)
    # The regions' statistics of those values (_regions.InputStats), made once, on first
    # use, for region_stats() and cluster_stats() alike.
    _input_sums: _regions.InputStats | None = field(default=None, init=False, repr=False)

    _ARRAYS = ("labels", "clusters", "centers", "image", "alpha")
    _MAPPINGS = ("weights",)

    @property
    def n_regions(self) -> int:
        """The number of regions R (labels run 1..R)."""
        return int(self.clusters.shape[0])

    def __repr__(self) -> str:
        """One line: the size (width x height in pixels, as the command's lines give it:
        ``4 x 2 px`` for labels of shape ``(2, 4)``), the regions, with ``n_clusters`` the
        clusters asked for and ``space``, ``min_region`` and the weights; no arrays.

        >>> import numpy as np
        >>> from quantize import segment
        >>> img = np.zeros((2, 4, 3), np.uint8); img[:, 2:] = 200
        >>> segment(img, 2, seed=0)  # doctest: +ELLIPSIS
        SegmentResult(4 x 2 px, n_regions=2, n_clusters=2, space='lab', min_region=..., \
weights=(color=1, intensity=0, xy=0.3, texture=1))
        """
        h, w = self.labels.shape
        weights = ", ".join(f"{name}={value:g}" for name, value in self.weights.items())
        shown = ", alpha=True" if self.alpha is not None else ""
        if self.n_clusters is not None:
            shown += f", n_clusters={self.n_clusters}, space={self.space!r}"
        return (f"{type(self).__name__}({w} x {h} px, n_regions={self.n_regions}{shown}, "
                f"min_region={self.min_region}, weights=({weights}))")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The labels, as ``np.asarray(result)`` gives them: ``(H, W)`` int32, 1..R, the
        array a scikit-image segmentation is, so that NumPy's and scikit-image's functions
        (``skimage.color.label2rgb(result, image)``) take a result.

        The result's own read-only labels, with ``copy=None`` (NumPy's default) or
        ``copy=False``; ``np.array(result)`` (``copy=True``) gives a writable copy, which
        functions that write into their input (``skimage.segmentation.relabel_sequential``)
        want. NumPy reads them through ``__array_interface__``, as does
        ``Image.fromarray(result)``, the picture ``Image.fromarray(np.asarray(result))``
        is (mode "I", 32-bit labels).

        >>> import numpy as np
        >>> from PIL import Image
        >>> from quantize import segment
        >>> img = np.zeros((2, 4, 3), np.uint8); img[:, 2:] = 200
        >>> result = segment(img, regions=2)
        >>> np.asarray(result).tolist(), np.array(result).flags.writeable
        ([[1, 1, 2, 2], [1, 1, 2, 2]], True)
        >>> Image.fromarray(result).mode, Image.fromarray(result).getpixel((3, 1))
        ('I', 2)
        """
        return handed_out(self.labels, dtype, copy, made=False, what="a SegmentResult's labels")

    def _handed_array(self) -> np.ndarray:
        """The labels, as ``np.asarray(result)`` gives them (see ``__array__``)."""
        return self.labels

    def _repr_png_(self) -> bytes:
        """The borders on the photo (:meth:`SegmentResult.overlay`, as ``overlay.png``) as
        a PNG, the picture a notebook (IPython, Jupyter) shows.

        A result over :data:`~quantize._validation.SHOWN_MAX_SIDE` pixels a side is shown
        by every n-th pixel of every n-th row, at most that many a side, with the borders
        of those pixels' labels (1 pixel wide, as at full size).
        """
        step = shown_step(self.labels.shape)
        labels = self.labels[::step, ::step]
        borders = _regions.find_boundaries(labels)
        picture = _regions.draw_overlay(self.image[::step, ::step], borders, (255, 0, 0))
        alpha = _regions.shown_alpha(None if self.alpha is None else self.alpha[::step, ::step])
        alpha = _regions.border_alpha(alpha, borders)
        if alpha is not None:
            picture = np.dstack([picture, alpha])
        buffer = io.BytesIO()
        Image.fromarray(picture).save(buffer, format="PNG")
        return buffer.getvalue()

    def cluster_map(self) -> np.ndarray:
        """``(H, W)`` int32 map of the cluster of each pixel's region, of the dtype of
        ``labels``."""
        return self.clusters.astype(np.int32)[self.labels - 1]

    def boundaries(self) -> np.ndarray:
        """``(H, W)`` bool, 1-pixel borders: pixels whose right or lower neighbour differs."""
        return _regions.find_boundaries(self.labels)

    def mean_color_image(self) -> np.ndarray:
        """``(H, W, 3)`` uint8 image with each region filled with its mean colour (of its
        visible pixels, see ``alpha``), rounded to the nearest integer (a mean of exactly
        .5 to the even one, as ``np.rint``)."""
        return self.mean_colors()[self.labels]

    def mean_colors(self, *, exact: bool = False) -> np.ndarray:
        """``(R + 1, 3)`` uint8 table of each region's mean colour, by label (row 0 unused),
        rounded as in :meth:`SegmentResult.mean_color_image`, which is ``mean_colors()[labels]``.

        With ``exact=True``, the means themselves, float64 on the 0..255 scale, unrounded
        (row 0 is 0): the features to compute with, which ``mean_color`` of
        :meth:`SegmentResult.region_stats` rounds to one decimal (but with ``exact=True``).
        """
        if check_bool(exact, "exact"):
            return self._region_sums().shown_means()
        return _regions.mean_color_table(self._region_sums())

    def flat_colors(self) -> np.ndarray:
        """``(R + 1, 3)`` uint8 table of each region's flat colour, by label (row 0 unused):
        a colour of its own for every region, well apart from that of the labels next in
        number, and the same for a label in every run
        (:func:`~quantize.reconstruct.regions.flat_color_table`), whatever the photo's
        colours. :meth:`SegmentResult.flat_color_image` paints it.

        >>> import numpy as np
        >>> from quantize import segment
        >>> img = np.zeros((2, 4, 3), np.uint8); img[:, 2:] = 255
        >>> segment(img, regions=2).flat_colors().tolist()
        [[0, 0, 0], [158, 55, 121], [60, 110, 242]]
        """
        return _regions.flat_color_table(self.n_regions)

    def flat_color_image(self) -> np.ndarray:
        """``(H, W, 3)`` uint8 image with each region filled with its own flat colour
        (:meth:`SegmentResult.flat_colors`, as ``flats.png``): the flats of line art, where
        every closed area is a colour of its own to select, unlike the mean colours of
        :meth:`SegmentResult.mean_color_image` (every white area near white)."""
        return self.flat_colors()[self.labels]

    def overlay(self, color: tuple[int, int, int] | str = (255, 0, 0)) -> np.ndarray:
        """``(H, W, 3)`` uint8 copy of the photo with the borders drawn in ``color``.

        ``color`` is ``(r, g, b)``, three integers 0..255, or, as ``--overlay-color``
        takes it, a colour name (``"cyan"``) or ``"#rrggbb"``; anything else raises
        ``TypeError`` or ``ValueError`` naming it.
        """
        return _regions.draw_overlay(self.image, self.boundaries(), check_color(color, "color"))

    def region_stats(self, *, exact: bool = False,
                     pixel_size: tuple[float, float] | None = None) -> list[dict[str, Any]]:
        """One JSON-ready dict per region 1..R, in label order.

        Keys: ``label``; ``cluster`` (as ``clusters[label - 1]``; see
        :meth:`SegmentResult.cluster_stats`); ``area`` in pixels; ``perimeter``, the
        region's pixels with a 4-neighbour in another region or on the image's edge (a
        count of pixels, exact, not a length estimate: a 3 x 3 square inside the image
        has 8; :func:`~quantize.reconstruct.regions.region_perimeters`);
        ``bbox`` as ``[row_min, col_min, row_max, col_max]``, the maxima
        excluded (so ``labels[r0:r1, c0:c1]`` holds the region); ``centroid``
        as ``[row, col]`` (two decimals), which lies outside a region shaped as a U or a
        ring; ``inner_point`` as ``[row, col]``, a pixel of the region, the farthest from
        its edge (where to write its number); ``mean_color`` as ``[r, g, b]``, 0..255
        with one decimal, of the region's visible pixels (see ``alpha``), and
        ``segmented_color``, that mean as :meth:`SegmentResult.mean_color_image` fills the
        region with it (integers); and ``"transparent": true`` last, in a region none of
        whose pixels is visible (its ``mean_color``, ``segmented_color`` and
        ``mean_input`` are then None: it has no colour of the input's, only the fill it was
        segmented as, which :meth:`SegmentResult.mean_colors` keeps). ``area``
        and the others count every pixel, shown or not. Rounded as ``segments.json``
        writes them; with ``exact=True``, ``centroid`` and ``mean_color`` are
        unrounded (the mean colours of ``mean_colors(exact=True)``), the features to
        compute with. Of a stretched image (``stretch_range``), ``mean_input`` after
        ``mean_color``: that mean in the input's own values, of the values kept beside the
        stretch (of a file, :attr:`~quantize.io.LoadedImage.stretch_values`; of an array or
        a PIL image given to :func:`segment`, its own), to 6 significant digits (unrounded
        with ``exact=True``), as ``segments.json`` gives it; then ``std_input``,
        ``min_input`` and ``max_input``, the standard deviation (``ddof=0``), smallest and
        largest of the region's visible values, a list of one value for a grey input, else
        ``[r, g, b]``. Of a result whose input's values are not known
        (:func:`~quantize.segment.segment_pixels` given none), they are its 8-bit levels
        mapped back, ``low + mean * (high - low) / 255`` (the standard deviation times
        ``(high - low) / 255``). With ``pixel_size``, the size (x, y) of a pixel in
        micrometres (:attr:`~quantize.io.LoadedImage.pixel_size` of a TIFF that states
        one), ``area_um2`` and ``perimeter_um`` after ``segmented_color``: the area times a
        pixel's, and the perimeter's count of pixels times a pixel's side, to 6 significant
        digits (:func:`~quantize.reconstruct.regions.physical_size`).

        Raises
        ------
        TypeError
            If ``exact`` is not a bool.
        TypeError, ValueError
            If ``pixel_size`` is not None or two finite numbers > 0.

        Examples
        --------
        >>> import numpy as np
        >>> from quantize import segment
        >>> counts = np.array([[1000, 1000, 3000, 3000]], np.uint16)
        >>> result = segment(counts, 2, min_region=0, weights={"xy": 0}, seed=0,
        ...                  stretch=True)
        >>> [s["mean_input"] for s in result.region_stats()]
        [[1000.0, 1000.0, 1000.0], [3000.0, 3000.0, 3000.0]]
        >>> [(s["std_input"], s["min_input"]) for s in result.region_stats()]
        [([0.0], [1000.0]), ([0.0], [3000.0])]
        >>> [(s["area_um2"], s["perimeter_um"]) for s in result.region_stats(pixel_size=(0.5, 0.5))]
        [(0.5, 1.0), (0.5, 1.0)]
        """
        exact = check_bool(exact, "exact")
        if pixel_size is not None:
            pixel_size = check_dpi(pixel_size, "pixel_size", "micrometres")
        return _regions.region_stats(self.labels, self.image, self.clusters, self.n_regions,
                                     sums=self._region_sums(), exact=exact,
                                     stretch_range=self.stretch_range, pixel_size=pixel_size,
                                     **self._input_stats())

    def cluster_stats(self, *, exact: bool = False) -> list[dict[str, Any]]:
        """One JSON-ready dict per cluster that some region is in, in cluster order: the
        paints of a paint-by-numbers page, ``cluster`` of :meth:`SegmentResult.region_stats`
        naming each region's.

        Keys: ``cluster``; ``regions``, how many are in it; ``area``, their pixels;
        ``fraction``, that area over the image's pixels (6 decimals); when some pixels
        are hidden (alpha 0: a no-data border, a transparent background),
        ``valid_fraction``, the cluster's visible pixels over the image's visible pixels
        (6 decimals; 0 for the transparent pixels' own cluster), the share of the scene
        itself; and ``mean_color`` as ``[r, g, b]``, the mean of their visible pixels
        (see ``alpha``),
        0..255 with one decimal (unrounded with ``exact=True``), as a region's is worked
        out; ``"transparent": true`` last when none of them is visible (its
        ``mean_color`` and ``*_input`` then None). With
        ``n_clusters``, the k-means clusters (``clusters_used`` of them); from the region
        hierarchy every region is its own cluster, so there is one record per region.
        Of a stretched image, ``mean_input``, ``std_input``, ``min_input`` and
        ``max_input`` after ``mean_color``, of the cluster's visible pixels, as
        :meth:`SegmentResult.region_stats` gives a region's.

        Raises
        ------
        TypeError
            If ``exact`` is not a bool.
        """
        return _regions.cluster_stats(self._region_sums(), self.clusters,
                                      int(self.centers.shape[0]),
                                      exact=check_bool(exact, "exact"),
                                      stretch_range=self.stretch_range,
                                      **self._input_stats())

    def _region_sums(self) -> _regions.RegionSums:
        """The regions' :class:`~quantize.reconstruct.regions.RegionSums`, made on first use."""
        if self._sums is None:
            sums = _regions.region_sums(self.labels, self.image, self.n_regions, self.alpha)
            object.__setattr__(self, "_sums", sums)
        return self._sums

    def _input_stats(self) -> dict[str, Any]:
        """The statistics of the regions in the input's own values before a stretch, as
        :func:`~quantize.reconstruct.regions.region_stats` takes them (``input_stats``,
        :func:`~quantize.reconstruct.regions.input_value_stats`, and ``input_levels``):
        of the input's values when known, else of the 8-bit levels (one channel when
        their three are alike, as of a grey input), to be mapped back; ``{}`` when not
        stretched."""
        if self.stretch_range is None:
            return {}
        values, levels = self._stretch_values, self._stretch_values is None
        if self._input_sums is None:
            if values is None:
                image = self.image
                grey = np.array_equal(image[..., 0], image[..., 1]) and \
                    np.array_equal(image[..., 0], image[..., 2])
                values = image[..., 0] if grey else image
            stats = _regions.input_value_stats(self.labels, values, self.n_regions, self.alpha)
            object.__setattr__(self, "_input_sums", stats)
        return {"input_stats": self._input_sums, "input_levels": levels}

    def _with_stretch_range(self, stretch_range: tuple[float, float] | None,
                            values: np.ndarray | None = None) -> SegmentResult:
        """This result, of an image stretched from ``stretch_range`` (None: not stretched),
        ``values`` the input's values so stretched when known."""
        object.__setattr__(self, "stretch_range", stretch_range)
        object.__setattr__(self, "_stretch_values", values)
        object.__setattr__(self, "_input_sums", None)
        return self

    def _with_sums(self, sums: _regions.RegionSums) -> SegmentResult:
        """This result, given its regions' sums (of ``labels`` over ``image`` and ``alpha``)."""
        object.__setattr__(self, "_sums", sums)
        return self


@foreign_keywords
def segment(
    image: Any,
    n_clusters: int | None = None,
    *,
    regions: int | None = None,
    weights: Mapping[str, float] | None = None,
    space: Space = "lab",
    min_region: int | str | None = None,
    texture_scales: Sequence[float] = DEFAULT_TEXTURE_SCALES,
    seed: Seed = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    stretch: bool = False,
    superpixels: int | None = None,
    smooth: int | None = None,
    working_size: int | str | None = None,
    classes_in: SharedClasses | str | os.PathLike[str] | None = None,
    stretch_clip: float = 0.0,
    fourth_channel: FourthChannel | None = None,
    class_order: ClassOrder = "kmeans",
) -> SegmentResult:
    """Segment ``image`` into regions of similar colour, texture and position.

    By default the regions are a cut of a merge hierarchy over superpixels
    (see the module docstring), at border strength :data:`DEFAULT_LEVEL` (then
    neighbours that are flat and of one colour are united, and a strip under 3
    working pixels thick whose colour is a mix of two neighbours', such as an
    anti-aliased edge, joins the nearer in colour: the border is drawn once; a line
    of its own colour stays), or with exactly ``regions`` regions (none of them such a
    strip, when a cut of the hierarchy leaves that many once its strips have joined a
    side; else the cut at ``regions``, strips and all). With
    ``n_clusters``, pixels are clustered by k-means instead and each cluster may
    form many regions.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4) ndarray, or PIL image
        uint8, uint16, bool or float in [0, 1]; with ``stretch``, float of any range and
        other integer dtypes too. Fully transparent pixels (alpha
        0) are segmented as one colour (:func:`fill_transparent`), not by the
        colour hidden in them; a translucent pixel by the colour stored in it;
        with an :class:`AlphaIgnoredWarning` when some pixel is not opaque. A PIL image
        is turned upright by its EXIF orientation, as ``quantize segment`` and
        :func:`quantize.io.load_image` turn its file (:func:`quantize.io.as_rgba`), so
        the labels are those of the upright photo. The
        :class:`~quantize.io.LoadedImage` that ``load_image`` returns is taken too, and an
        object with NumPy's array protocol (an xarray DataArray, a CPU tensor) as
        ``np.asarray`` makes it.
    n_clusters : int, optional
        Cluster the pixels into at most this many k-means clusters (1 to
        :data:`MAX_CLUSTERS`) instead of cutting the hierarchy. Clusters that
        colour and texture cannot tell apart (k-means cuts a plain area, or a
        smooth gradient such as a sky, by position) are united: a plain image
        gives one region whatever ``n_clusters``, with a
        :class:`ClusterCountWarning`. Only the groups weighted above 0 are
        compared, at their weights' ratios (``color=0``: texture alone). With
        ``color``, ``intensity`` and ``texture`` weights all 0 the clusters
        are positions, and none unite. Of an image with fully transparent pixels
        (and some visible), k-means is fitted on the visible ones alone, into at most
        ``n_clusters``; the transparent ones are a cluster of their own beyond them, the
        last of ``centers``, in regions that are never merged with visible ones.
    regions : int, optional
        Cut the hierarchy where this many regions remain (fewer when the image
        has fewer superpixels, or when ``min_region`` merges some, with a
        :class:`RegionCountWarning`, which says how many; never more; with
        ``min_region`` above 0, the first finer cut found that leaves this many
        once the regions under it have merged too, so that specks do not take
        their places, and when that falls short at full size, a cut into regions
        of ``min_region`` or more, pieces under it joined to one beside them)
        once its strips of in-between
        colour have joined a side, as after the default cut: when the cut at
        ``regions`` has such strips, the first finer cut found that leaves
        ``regions`` once they have joined, so that each strip's place goes to a
        shape; when no cut does (joining may skip the count), the cut at ``regions``
        itself, strips and all. Not with ``n_clusters``. No region of the
        hierarchy is smaller than a piece of a superpixel: pieces under a
        quarter of a superpixel's cell join a neighbour, which makes 9 pixels on
        images of up to about 150 x 150 (4 to 6 on those under 18 pixels a side,
        whose cells are at most a third of the shorter side) and about 1/2400 of
        the image on larger ones. A smaller detail comes out with some of its surroundings, or not
        at all (a white 2 x 2 dot on a black 40 x 40 image, cut at
        ``regions=2``, as a region of 28 to 59 pixels by where it lies, 36 to 51
        for nine places in ten; at 9 of its 1521 places, where four superpixels
        meet, it is shared among them and the second region is one of them; the
        default cut merges it into the background). On small images,
        ``segment(image, 2, min_region=0, weights={"xy": 0, "texture": 0})``
        (``-k 2 --min-region 0 -w xy=0 -w texture=0``) finds such a detail by
        colour alone; its majority smoothing removes specks narrower than about
        1/30 of the longer side (13 pixels at most, on the working copy of at
        most 1024 pixels a side) and keeps every pixel of a detail at least
        that wide, but for spurs thinner than a third of it; ``smooth=0`` keeps the
        narrower ones too.
    weights : dict of str to float, optional
        Feature group weights (``color``, ``intensity``, ``xy``, ``texture``;
        ``colour`` is taken for ``color``); unnamed groups keep
        ``quantize.features.DEFAULT_WEIGHTS`` (color 1, texture 1, xy 0.3, intensity 0).
        For the hierarchy, ``xy`` sets the superpixels' compactness and the others the
        region description (:func:`quantize.texture.region_planes`); with
        ``n_clusters`` a group's share of the squared distances between pixels is its
        weight over the sum of the weights, texture's lowered on an image with little
        fine detail or of fewer than 96 x 96 pixels (the rule: see
        :func:`quantize.features.build_features`).
    space : {"lab", "rgb"}, default "lab"
        Colour space of the ``color`` group with ``n_clusters``; without it the
        hierarchy compares Lab colours, and "rgb" is refused.
    min_region : int or str, optional
        Regions smaller than this many pixels are merged into the adjacent
        region with the closest mean colour (RGB; with ``n_clusters``, the
        closest mean feature vector, weighted as for clustering). A str ``"P%"``
        (``"0.1%"``, P a plain decimal number from 0 to 100) is a share of the
        image's pixels, ``ceil(P / 100 * H * W)`` of the full-size image, whose
        regions it is compared with (not of a working copy), so that the same
        picture at two sizes is merged alike; :attr:`SegmentResult.min_region` is
        then the pixels it came to (8 for ``"2%"`` of 20 x 20). Default
        :func:`default_min_region` with ``n_clusters`` (on an image of fewer than 8
        pixels, more than half of it), none otherwise (the hierarchy's smallest regions
        are superpixels); 0 or 1 keeps every region. Given or the default, more than half
        of the image leaves one region, with a :class:`RegionCountWarning` when there
        were more to merge (not an error: one value serves images of every size); so
        does a smaller one that merges every region into one.
    texture_scales : sequence of float
        Derivative scales of the texture bank (1 to 16 Gaussian sigmas in pixels
        of the working copy, from 0.5 to 1024), with ``n_clusters`` only (the
        hierarchy describes texture by fixed bands: other scales without
        ``n_clusters`` are refused rather than ignored).
    seed : int, numpy.random.Generator or None
        Randomness of the pixel sample and of k-means, an int >= 0 for the
        same result every time (the hierarchy is deterministic). Default None,
        as scikit-learn's ``random_state``: fresh randomness, so two calls with
        ``n_clusters`` may give different labels; ``quantize segment``'s
        ``--seed`` defaults to 0, which ``seed=0`` gives here.
    max_pixels : int or None
        Refuse an image of more pixels than this (default
        :data:`~quantize.io.DEFAULT_MAX_PIXELS`, the limit
        :func:`~quantize.io.load_image` puts on files), checked from its shape before any
        copy; None means no limit.
    stretch : bool, default False
        Map the image's own range, its darkest to its brightest value over all channels
        together (hues kept) of the pixels that show (alpha above 0), onto 0..255 before
        segmenting, as a display stretch does:
        for images of more than 8 bits (16-bit microscopy or astronomy counts, say) whose
        values, read as 16-bit counts, come out a few dark levels that segment as one.
        A 16-bit, 32-bit or float grayscale image, a still 16-bit RGB or RGBA one and a
        uint16 or float array (a float array whatever its range: 227.0..1968.0 counts too)
        or one of another integer dtype (int32, say; of 1 or 3 channels) are stretched from
        their own values, any other image from its 8-bit
        values (see
        :func:`quantize.io.load_image`). The result (``image``, ``segmented``,
        :meth:`SegmentResult.region_stats`' mean colours) is then of the stretched image;
        its statistics' ``mean_input``, ``std_input``, ``min_input`` and ``max_input`` are
        of the input's own values, exactly, as of a file: those values are kept beside the
        stretch (:func:`quantize.io.as_rgba_stretched`, the copy made as they are
        stretched, as long as the result lives), so that counts 1000, 2000 and 3000 give
        2000.0, not the 8-bit level 128 mapped back (2003.92).
        See ``stretch_clip`` for an image with a few hot or dead pixels.
    superpixels : int, optional
        About how many superpixels the region hierarchy starts from, on the working copy
        (at most 1024 pixels a side), an int >= 1; default :data:`SUPERPIXELS`, about
        600. Their cells are at least 6 working pixels a side, so above about
        ``h * w / 36`` of the working copy's pixels nothing changes (a
        :class:`SuperpixelCountWarning` says so, with the cells used). A wide field of many
        small objects (nuclei, stars) needs more: the default's superpixels, about
        1/600 of the image each, merge an object much smaller than that into its
        surroundings, for the default cut and ``regions`` alike. More superpixels cost
        more time and memory. Not with ``n_clusters``; :func:`boundary_map` keeps the
        default.
    smooth : int, optional
        With ``n_clusters`` only: the speck size of the majority smoothing of the cluster
        map, in pixels of the image, an int from 0 to :data:`MAX_SMOOTH`. Details narrower
        than about this are voted away (rounded to whole pixels of the working copy);
        without texture weights, a detail at least that wide keeps every pixel, but for
        spurs thinner than a third of it. 0 smooths nothing: every piece k-means finds
        stays a region, down to single pixels (``min_region`` may still merge them). With
        the default texture weight, small objects (nuclei, stars) are mostly lost before
        any smoothing, k-means seeing them through the texture window: for them pass
        ``smooth=0, min_region=0, weights={"texture": 0, "xy": 0}``.
        Default: about 1/30 of the longer side, 13 working pixels at most
        (:func:`quantize.pixel_kmeans.speck_side`).
    working_size : int or "full", optional
        With ``n_clusters`` only: the longest side, in pixels, of the working copy the
        pixels are clustered on, an int >= :data:`MIN_WORKING_SIZE` (64): an image longer
        than that is box-downscaled by the whole factor that brings it within
        (:func:`working_shape`); ``"full"`` clusters the image itself, whatever its size.
        Default: :data:`~quantize.texture.WORKING_MAX_SIDE`, 1024. A larger working copy
        keeps lines and details a few pixels wide (3-pixel ink on a 2400 x 1800 page is
        1-pixel grey at the default, and the areas either side of it may join), at more
        time and memory: about 9 times the pixels for a 2400 x 1800 page at ``"full"``.
        The speck size of the majority smoothing is in working pixels (13 at most), so
        it shrinks in pixels of the image too. Texture is still measured on a copy of at
        most 1024 pixels a side.
    classes_in : SharedClasses, str or path, optional
        K-means classes fitted on many images (:func:`fit_classes`), or
        the JSON file they were saved to (:func:`quantize.classes.read_classes`): each
        pixel is assigned to the nearest of their centres, the features scaled by their
        divisors, with no fit and no uniting of clusters, so that cluster ``i`` is class
        ``i`` of every image segmented with them (``centers`` are theirs). ``n_clusters``,
        ``weights``, ``space`` and ``texture_scales`` are theirs: given, they must match.
        An image need not hold every class: no :class:`RegionCountWarning` says that
        fewer regions came out than classes.
    stretch_clip : float, default 0
        A percentage from 0 to below 50: stretch (as ``stretch`` does, which it implies)
        from the ``stretch_clip``-th to the ``100 - stretch_clip``-th percentile of the
        values instead of the darkest to the brightest (:func:`quantize.io.load_image`),
        so that a few hot or dead pixels do not set the range: ``stretch_clip=0.1`` clips
        0.1% at each end. ``stretch_range`` is then those percentiles.
    fourth_channel : {"alpha", "band"}, optional
        What the fourth channel of an (H, W, 4) array is: "alpha" (pixels of alpha 0 are no
        data, left unlabelled), or "band" (a scene's near-infrared after red, green and
        blue), left out of the colours, every pixel segmented. Not given, it is the alpha of
        a uint8 or bool array, and of one of another dtype that hides no pixel; of a uint16
        or float array that would hide some, a band, with a
        :class:`~quantize.io.FourthChannelWarning` naming this keyword
        (:func:`quantize.io.as_rgba`). To segment by the near-infrared, pass the three bands
        to use, ``scene[..., [3, 0, 1]]``.
    class_order : {"kmeans", "lightness"}, default "kmeans"
        With ``n_clusters`` only: how the clusters (``clusters``, ``centers``, the class map,
        :meth:`SegmentResult.cluster_stats`) are numbered. "kmeans", as k-means found
        them, an order that says nothing of what they are and may change with the seed
        (with ``classes_in``, the classes' own order); "lightness", by increasing
        lightness, the darkest 0: the CIE L* of each cluster's mean colour (of its visible
        pixels; of a grey file read by :func:`~quantize.segment_file.segment_file`, the mean
        of its own values), the fully transparent pixels' cluster still the last. With
        ``classes_in``, the classes by the L* of their colours
        (:func:`quantize.classes.classes_by_lightness`), the same numbers in every image.

    Returns
    -------
    SegmentResult

    Raises
    ------
    quantize.errors.ImageReadError
        If ``image`` has more than ``max_pixels`` pixels (a ValueError).
    ValueError
        For a bad weight (the message lists the valid group names), a
        parameter out of range (``n_clusters`` above :data:`MAX_CLUSTERS`
        among them), both ``n_clusters`` and ``regions``, ``space`` or
        ``texture_scales`` other than the default without ``n_clusters``, or
        (without it) ``color``, ``intensity`` and ``texture`` weights all 0.
    TypeError
        For a parameter or image of the wrong type.

    Warns
    -----
    AlphaIgnoredWarning
        When some pixel of ``image`` is transparent or translucent (see ``image``); of an
        ``(H, W, 2)`` array, saying that its channel 1 is read as alpha and how to pass its
        channels instead (``image[..., 0]``, or both stacked to 3 as colours).
    RegionCountWarning
        When fewer regions come out than ``regions`` asks for (see ``regions``), and
        when ``min_region`` is more than half of the image and merges its regions into
        one (the default does on an image of fewer than 8 pixels, with ``n_clusters`` of
        2 or more; ``min_region=0`` keeps them), and when ``min_region``, given or the
        default, however small, merges several regions into one; and with ``n_clusters``,
        when k-means finds several clusters but the majority smoothing leaves one region,
        every other cluster lying in specks (see ``regions``: details narrower than
        about 1/30 of the longer side); and with ``n_clusters``, when several regions
        come out but fewer than the clusters k-means kept, the smoothing or
        ``min_region`` leaving some cluster no region of its own; and without
        ``n_clusters`` or ``regions``, when the default cut leaves one region of an image
        whose levels are not one but span fewer than 64 of 255 (a float image of
        0.40..0.42, an 8-bit one of 0..10), saying to give ``stretch=True`` (not of an image
        whose few outliers set that range).
    SpecksRemovedWarning
        With ``n_clusters`` and no texture weight, when the majority smoothing and
        ``min_region`` together remove more than a quarter of the connected pieces (of at
        least 4 working pixels) that a cluster had before them, the cluster keeping some
        region: it names ``smooth=0`` (and ``min_region=0`` when that merged some), which
        keeps them.
    SuperpixelCountWarning
        When ``superpixels`` asks for cells smaller than 6 working pixels a side (a third
        of the shorter side, 3 at least, on an image under 18 pixels a side): the cells
        used, of that side, and their number, are said.
    ClusterCountWarning
        With ``n_clusters`` of 2 or more, when the image has fewer distinct feature
        vectors, or when no border between its clusters shows a change in colour or
        texture (a plain image, or a smooth gradient; of the groups weighted above 0
        only): fewer clusters, or one, are used. Of an image whose levels span fewer than
        64 of 255, it says so rather than calling it plain, and to give ``stretch=True``.
    quantize.io.PixelListWarning
        When ``image`` is a 2-D array of 3 or 4 columns and more rows than columns,
        read as the grey image it is, which looks like a list of pixels
        (``pixels.reshape(-1, 1, 3)`` passes them).
    quantize.io.PixelRangeWarning
        Without ``stretch``, when ``image`` is a uint16 array or a PIL image of 16-bit,
        32-bit integer or float grayscale (modes "I;16", "I", "F"), or of a 16-bit RGB or
        RGBA file not yet decoded, whose brightest pixel comes out below 64 of 255 (values
        closer than 257 apart become one level): it says the values, their scale and the
        levels they come out as, and to give ``stretch=True``. Also when a uint16
        array's alpha alone is beside colour above 255 (it looks 8-bit and comes out
        nearly transparent), or a PIL image of 32-bit integer or float grayscale has
        pixels read as black (NaN, infinite or negative) (see
        :func:`quantize.io.load_image`). With ``stretch``, when all but a few pixels (0.1%
        at either end) come out within fewer than 64 levels: outliers, hot or dead pixels,
        set the range (it says the levels the rest came out as, and how to clip them).
    quantize.animation.FirstFrameWarning
        When ``image`` is a PIL image of an animation, or the first frame of one
        as :func:`quantize.io.load_image` reads it: only that frame is segmented.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((20, 30, 3), dtype=np.uint8)
    >>> img[:, 15:] = 200
    >>> from quantize import segment
    >>> result = segment(img, 2, weights={"xy": 0}, seed=0)
    >>> result.n_regions, int(result.labels[0, 0]), int(result.labels[0, -1])
    (2, 1, 2)
    >>> segment(img, regions=2).labels[0, 13:17].tolist()
    [1, 1, 2, 2]
    """
    rgb, alpha, stretch_range, values = as_rgba_stretched(
        image, max_pixels=max_pixels, stretch=stretch, dark_advice=DARK_ADVICE,
        stretch_clip=stretch_clip, fourth_channel=fourth_channel)
    if isinstance(image, LoadedImage) and rgb is image.rgb:  # the result keeps a copy
        rgb = rgb.copy()
    return segment_pixels(rgb, alpha, n_clusters, regions=regions, weights=weights,
                          space=space, min_region=min_region, texture_scales=texture_scales,
                          seed=seed, advice=alpha_advice(image, _ALPHA_ADVICE),
                          superpixels=superpixels, smooth=smooth, working_size=working_size,
                          stretch_range=stretch_range, classes_in=classes_in,
                          stretch_values=values, class_order=class_order)


@foreign_keywords
def segment_pixels(
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    n_clusters: int | None = None,
    *,
    regions: int | None = None,
    weights: Mapping[str, float] | None = None,
    space: Space = "lab",
    min_region: int | str | None = None,
    texture_scales: Sequence[float] = DEFAULT_TEXTURE_SCALES,
    seed: Seed = None,
    advice: str = "",
    superpixels: int | None = None,
    smooth: int | None = None,
    working_size: int | str | None = None,
    stretch_range: tuple[float, float] | None = None,
    classes_in: SharedClasses | str | os.PathLike[str] | None = None,
    stretch_values: np.ndarray | None = None,
    class_order: ClassOrder = "kmeans",
) -> SegmentResult:
    """:func:`segment` of an image read already, as :func:`~quantize.io.as_rgba` gives it:
    ``rgb`` ``(H, W, 3)`` uint8, which the result keeps (it is not copied; nor modified),
    and ``alpha`` ``(H, W)`` uint8 or None. For drivers that read the image themselves
    (:func:`quantize.segment_file.segment_file`); the :class:`AlphaIgnoredWarning` ends
    with ``advice``. ``stretch_range``, the values of a stretched image read as 0 and
    255 (:attr:`~quantize.io.LoadedImage.stretch_range`), gives its statistics their
    ``mean_input``: with ``stretch_values``
    (:attr:`~quantize.io.LoadedImage.stretch_values`, not copied), the mean of the input's
    values, exact, else those levels mapped back. The other parameters are checked, as
    :func:`segment` checks them.
    """
    shared = None
    order = check_class_order(class_order, n_clusters if classes_in is None else 1)
    if classes_in is not None:
        shared, n_clusters, weights, space, texture_scales = classes_settings(
            classes_in, n_clusters, regions, weights, space, texture_scales)
        if order == "lightness":
            shared = classes_by_lightness(shared, "classes_in")
    w = check_weights(weights)
    scales = check_texture_scales(texture_scales)
    rng = check_seed(seed)
    k, n_regions = check_cut(n_clusters, regions)
    space = check_space(space, k)
    superpixels = check_superpixels(superpixels, k)
    smooth = check_smooth(smooth, k)
    working_size = check_working_size(working_size, k)
    if k is None:
        check_hierarchy_weights(w)
    # The default however spelt: a float32 array of it (0.699999988...) too.
    if k is None and np.float32(scales).tolist() != np.float32(DEFAULT_TEXTURE_SCALES).tolist():
        raise ValueError(f"texture_scales={texture_scales!r} applies to k-means clusters only "
                         "(n_clusters=K); the region hierarchy describes texture by fixed "
                         "bands, so expected the default texture_scales without them")
    rgb, fill = fill_transparent(rgb, alpha)
    warn_alpha_segmented(alpha, fill, advice=advice)
    h, wd = rgb.shape[:2]
    given = check_min_region(min_region)
    if k is None:
        limit = 0 if given is None else _min_region_pixels(given, h, wd)
        result = _segment_hierarchy(rgb, alpha, w, n_regions, limit, given, superpixels)
        if n_regions is None and result.n_regions == 1:
            _warn_if_levels_too_close(result)
        return result._with_stretch_range(stretch_range, stretch_values)
    limit = default_min_region(h, wd) if given is None else _min_region_pixels(given, h, wd)
    result, unmerged, speck, pieces, large_pieces = _segment_kmeans(
        rgb, alpha, k, w, space, scales, limit, rng, smooth, working_size, shared)
    if shared is None:  # with shared classes, an image need not hold every class
        _warn_if_one_region(result, k, limit, unmerged, speck, given=given,
                            large_pieces=large_pieces)
    if pieces is not None:
        _warn_if_pieces_lost(result, pieces, k, speck, unmerged, limit, given, working_size)
    if shared is None:  # shared classes keep their numbers, held or not
        result = _numbered_without_gaps(result, k)
        if order == "lightness":
            result = _numbered_by_lightness(result, stretch_values)
    return result._with_stretch_range(stretch_range, stretch_values)


def classes_settings(classes: Any, n_clusters: Any, regions: Any, weights: Any, space: Any,
                  texture_scales: Any) -> tuple[SharedClasses, int, dict[str, float], str,
                                                tuple[float, ...]]:
    """The shared ``classes`` (read when a path: :func:`quantize.classes.read_classes`),
    and the ``n_clusters``, weights, space and texture scales they were fitted with, which
    a segmentation with them takes; for drivers that read a classes file once
    (:func:`quantize.segment_file.segment_file`).

    Raises
    ------
    ValueError
        When the given settings differ from theirs (None or the defaults: theirs), or
        with ``regions``; an :class:`~quantize.errors.ImageReadError` (a ValueError) for a
        file that is not a classes file.
    TypeError
        When ``classes`` is neither SharedClasses nor a path.
    """
    from .classes import check_classes_fit, read_classes

    name = "classes_in"
    if isinstance(classes, (str, os.PathLike)):
        name = f"classes file {os.fspath(classes)!r}"
        classes = read_classes(classes)
    elif not isinstance(classes, SharedClasses):
        raise TypeError(f"classes_in={classes!r}: expected SharedClasses, a path to a classes "
                        "file or None")
    if regions is not None:
        raise ValueError(f"regions={regions!r} with classes_in: shared classes are k-means "
                         "clusters; expected regions=None")
    check_classes_fit(classes, None if n_clusters is None else check_n_clusters(n_clusters),
                      weights, space, texture_scales, name)
    return (classes, classes.n_clusters, classes.weights, classes.space,
            classes.texture_scales)


def fit_classes(images: Iterable[Any], n_clusters: int, *,
                weights: Mapping[str, float] | None = None, space: Space = "lab",
                texture_scales: Sequence[float] = DEFAULT_TEXTURE_SCALES,
                seed: Seed = None, samples_per_image: int = SAMPLES_PER_IMAGE,
                working_size: int | str | None = None, stretch: bool = False,
                stretch_clip: float = 0.0,
                fourth_channel: FourthChannel | None = None,
                class_order: ClassOrder = "kmeans") -> SharedClasses:
    """Fit ``n_clusters`` k-means classes on feature vectors sampled from all ``images``.

    Each image contributes ``samples_per_image`` of its working copy's visible pixels
    (all of them when it has fewer), so each weighs the same; the features of every image
    are divided by the root mean square of the images' own group divisors, and each
    texture plane by one spread fixed for them all
    (:func:`quantize.classes.classes_from_samples`). Segment each image with
    ``segment(image, classes_in=result)``: its pixels are assigned to these centres, so
    that class ``i`` means the same in all of them.

    Parameters
    ----------
    images : iterable of image
        Arrays or PIL images, as :func:`segment` takes them, or paths, read with
        :func:`quantize.io.load_image`; read one at a time, so a generator holds one
        image in memory at once.
    n_clusters : int
        The number of classes, 1 to :data:`MAX_CLUSTERS`.
    weights, space, texture_scales, working_size
        As in :func:`segment`, but ``xy`` must be 0 (the default here).
    stretch, stretch_clip, fourth_channel
        As in :func:`segment` (a path as :func:`quantize.io.load_image` reads it with
        them): each image is stretched from its own range before it is sampled, as each
        is when segmented with the classes and ``stretch=True``; without them, the 16-bit
        levels of a dark scene come out near black, and so do the classes.
    seed : int, numpy.random.Generator or None
        Randomness of the samples and of k-means.
    samples_per_image : int
        Pixels drawn from each image, >= 1.
    class_order : {"kmeans", "lightness"}, default "kmeans"
        How the classes are numbered: as k-means found them, or by increasing lightness
        of their colours (:func:`quantize.classes.classes_by_lightness`), the darkest 0,
        the order their file keeps, and every image segmented with them.

    Returns
    -------
    quantize.classes.SharedClasses

    Raises
    ------
    ValueError
        For ``xy`` above 0, no image, a bad weight or parameter, or fewer distinct
        feature vectors in the pooled sample than ``n_clusters``.

    Examples
    --------
    >>> a = np.zeros((8, 8, 3), np.uint8); a[:, 4:] = 200
    >>> b = np.full((8, 8, 3), 200, np.uint8); b[:2] = 0
    >>> classes = fit_classes([a, b], 2, weights={"texture": 0}, seed=0)
    >>> classes.n_clusters, classes.weights["xy"]
    (2, 0.0)
    """
    from .classes import check_shared_weights, classes_from_samples

    k = check_n_clusters(n_clusters)
    w = check_shared_weights(weights)
    space = check_choice(space, "space", SPACES)
    scales = check_texture_scales(texture_scales)
    n = check_int(samples_per_image, "samples_per_image", minimum=1)
    working_size = check_working_size(working_size, k)
    rng = check_seed(seed)
    order = check_class_order(class_order, k)
    reading = {"stretch_clip": check_stretch_clip(stretch_clip)}
    reading["stretch"] = check_bool(stretch, "stretch") or reading["stretch_clip"] > 0
    samples = [_class_sample(image, w, space, scales, n, rng, working_size, reading,
                             fourth_channel) for image in images]
    classes = classes_from_samples([(X, own) for X, own, _ in samples], k, w, space, scales,
                                   rng, [rgb for _, _, rgb in samples])
    return classes_by_lightness(classes) if order == "lightness" else classes


def _class_sample(image: Any, w: dict[str, float], space: str, scales: tuple[float, ...],
                  n: int, rng: np.random.Generator, working_size: int | str | None,
                  reading: Mapping[str, Any], fourth_channel: FourthChannel | None = None
                  ) -> tuple[np.ndarray, dict[str, float], np.ndarray]:
    """Up to ``n`` feature rows of the visible pixels of ``image``'s working copy (read, or
    stretched, with ``reading``'s ``stretch`` and ``stretch_clip``; an array's fourth
    channel as ``fourth_channel`` says), scaled
    by its own divisors, its texture planes as they are (neither centred nor standardised,
    for :func:`quantize.classes.classes_from_samples` to scale them alike in every image),
    those divisors, and the rows' colours ``(n, 3)`` uint8."""
    from .io import load_image

    if isinstance(image, (str, os.PathLike)):
        rgb, alpha = as_rgba(load_image(image, dark_advice=DARK_ADVICE, **reading))
    else:
        rgb, alpha = as_rgba(image, dark_advice=DARK_ADVICE, fourth_channel=fourth_channel,
                             **reading)
    rgb, _ = fill_transparent(rgb, alpha)  # as segment_pixels fills them: the same features
    work, factor = _working_copy(rgb, working_size)
    X, spec = feature_array(work, w, space, scales,
                            texture_spreads=(1.0,) * (len(scales) + 2))
    rows = np.arange(X.shape[0]) if alpha is None else _visible_rows(alpha, factor)
    if rows.size > n:
        rows = np.sort(rng.choice(rows, size=n, replace=False))
    return X[rows], dict(spec.scales), work.reshape(-1, 3)[rows]


def _visible_rows(alpha: np.ndarray, factor: int) -> np.ndarray:
    """The working pixels (boxes of ``factor``) of which some pixel has alpha above 0."""
    h, w = alpha.shape
    shown = np.zeros((-(-h // factor), -(-w // factor)), bool)
    ys, xs = np.nonzero(alpha)
    shown[ys // factor, xs // factor] = True
    return np.flatnonzero(shown)


class SpecksRemovedWarning(QuantizeWarning):
    """With ``n_clusters`` and no texture weight, the majority smoothing and ``min_region``
    removed more than a quarter of a cluster's connected pieces: small details (nuclei,
    stars) that ``smooth=0`` keeps."""


def _warn_if_pieces_lost(result: SegmentResult, pieces: np.ndarray, k: int, speck: int,
                         unmerged: int, limit: int, given: int | str | None,
                         working_size: int | str | None = None) -> None:
    """Say that the smoothing (of specks under ``speck`` pixels) and ``min_region``,
    ``limit`` (merging ``unmerged`` regions into fewer), left a cluster that kept some
    region fewer than three quarters of its ``pieces`` (those of at least PIECE_PIXELS
    working pixels before them, by cluster), naming the options that keep them: that of
    the largest share lost. ``working_size`` is that of the working copy
    (:func:`working_shape`).

    Not said when neither ran (``smooth=0``, no region merged): the pieces were then
    joined at full size, where the borders are decided again by the image's own pixels
    (:func:`~quantize.reconstruct.refine.refined_labels`): fragments, in the working copy,
    of a line a box or two wide (3-pixel ink on a page downscaled 3 times) that are one
    line in the image. Nothing was removed."""
    if speck == 0 and unmerged == result.n_regions:
        return
    after = np.bincount(result.clusters, minlength=pieces.size)
    lost = np.where(after > 0, pieces - after, 0)
    worst = int(np.argmax(lost / np.maximum(pieces, 1)))
    if 4 * lost[worst] <= pieces[worst]:
        return
    causes, keep = [], []
    if speck > 0:
        causes.append(f"the majority smoothing (of specks narrower than about {speck} pixels)")
        keep.append("smooth=0")
    if unmerged > result.n_regions:
        which = "the default min_region" if given is None else "min_region"
        causes.append(f"{which}={_min_region_words(given, limit)}")
        keep.append("min_region=0")
    h, w = result.labels.shape
    warn_caller(f"n_clusters={k}: {' and '.join(causes)} left cluster {worst} with "
                f"{after[worst]} {'region' if after[worst] == 1 else 'regions'} of the "
                f"{pieces[worst]} connected pieces it had (of at "
                f"least {PIECE_PIXELS} pixels of the {_working_words(h, w, working_size)}); "
                f"{' and '.join(keep)} {'keep' if len(keep) > 1 else 'keeps'} them",
                SpecksRemovedWarning)


#: Levels an image's pixels span fewer than which the region hierarchy may not tell
#: apart, so that a warning of one region says they are too close and to stretch them
#: (:func:`_warn_if_levels_too_close`): ``segment(image)`` told apart the flat halves of
#: 8 x 8 to 200 x 200 images from 22 to 32 levels apart (from levels 50 and 180; k-means'
#: is :data:`~quantize.pixel_kmeans.CLOSE_LEVELS`).
HIERARCHY_CLOSE_LEVELS = 32


def _warn_if_levels_too_close(result: SegmentResult) -> None:
    """Say that the default cut left one region of an image whose levels (those of all
    the pixels that show, :func:`~quantize.io.bulk_levels`) are not one but span fewer
    than :data:`HIERARCHY_CLOSE_LEVELS` (a float image of 0.40..0.42, an 8-bit one of
    0..10), and to give ``stretch=True``: no border of the hierarchy stands out among levels
    so close (:func:`~quantize.pixel_kmeans.spanned_levels`). Not said of an image of one
    level (plain), nor when a few outliers set the range (a stretch would not spread the
    rest), nor of an ordinary dark photo, whose levels span more, nor of a small image of
    levels further apart, which is one region for another reason (a stretch left the 61
    levels of an 8 x 8 photo crop one region).

    >>> import warnings
    >>> img = np.zeros((8, 8), np.uint8); img[:, 4:] = 3
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _warn_if_levels_too_close(segment(img, regions=1))
    >>> print(caught[0].message)
    the region hierarchy gives 1 region: the image is dark, its levels 0..3 of 255, too \
close to tell apart; give stretch=True to map the image's own range onto 0..255 before \
segmenting
    """
    low, high, beyond = spanned_levels(result.image, result.alpha)
    if beyond == 0 and 0 < high - low < HIERARCHY_CLOSE_LEVELS:
        warn_caller("the region hierarchy gives 1 region: "
                    f"{levels_too_close(low, high, beyond)}", RegionCountWarning)


def _working_words(h: int, w: int, working_size: int | str | None = None) -> str:
    """The image segmented, as a warning names it: ``50 x 40 image``, or ``1000 x 750
    working copy`` of a larger one (:func:`working_shape` at ``working_size``)."""
    wh, ww = working_shape((h, w), working_size)
    return f"{w} x {h} image" if (wh, ww) == (h, w) else f"{ww} x {wh} working copy"


def _warn_if_one_region(result: SegmentResult, k: int, limit: int, unmerged: int,
                        speck: int, *, given: int | str | None, large_pieces: int = 0
                        ) -> None:
    """Say why one region came out of ``n_clusters=k`` when there was more than one to
    keep (several clusters, or ``unmerged`` regions before ``min_region``, ``limit``,
    merged them; ``given`` None when it was not given, else as given): the majority
    smoothing left one region, details narrower than ``speck`` pixels being specks (said
    with ``smooth=0``, which keeps them), or ``limit`` merged
    them, or is more than half of the image, or both in turn (the smoothing removed some
    of the ``large_pieces`` that ``limit`` alone would have kept, then ``limit`` merged
    the ``unmerged`` regions it left); and why several regions came out, but
    fewer than the clusters (:func:`_warn_if_clusters_lost`). Fewer clusters than ``k``
    are said where they are found (:class:`ClusterCountWarning`)."""
    n_centers = result.centers.shape[0]
    if result.n_regions > 1:
        _warn_if_clusters_lost(result, k, limit, unmerged, speck, given=given)
        return
    if unmerged == 1 == n_centers:
        return
    h, w = result.labels.shape
    if unmerged == 1 and 2 * limit <= h * w:
        _warn_smoothed_into_one(k, n_centers, speck, h, w)
    elif large_pieces > 1 and 2 * limit <= h * w:
        _warn_smoothed_then_merged(k, limit, unmerged, speck, h, w, given=given)
    elif given is None:
        _warn_if_the_default_merges_all(result, k, limit, merged=unmerged > 1)
    else:
        _warn_if_min_region_merges_all(limit, h, w, merged=unmerged > 1, given=given)


def _warn_if_clusters_lost(result: SegmentResult, k: int, limit: int, unmerged: int,
                           speck: int, *, given: int | str | None) -> None:
    """Say that fewer regions came out of ``n_clusters=k`` than the clusters k-means kept,
    so that some cluster has no region of its own: the majority smoothing removed its
    pixels as specks (details narrower than about ``speck`` pixels), or ``min_region``,
    ``limit`` (the default when ``given`` is None), merged its regions into their neighbours
    (the regions fell from ``unmerged``). Fewer regions than ``k`` because clusters were
    united, or than regions of several clusters, are as documented and not said."""
    n_centers = result.centers.shape[0]
    n_regions = result.n_regions
    if n_regions >= n_centers:
        return
    h, w = result.labels.shape
    used = int(np.unique(result.clusters).size)
    head = (f"n_clusters={k} gives {n_regions} regions, of {used} of the {n_centers} "
            f"clusters k-means found: ")
    if unmerged == n_regions:  # min_region merged nothing
        warn_caller(head + "the majority smoothing removed the rest, as their pixels lay "
                    f"in specks (details narrower than about {speck} pixels on this {w} x "
                    f"{h} image); the speck size follows the image's longer side, so a crop "
                    "of it keeps smaller details, and smooth=0 keeps them all",
                    RegionCountWarning)
        return
    which = "the default min_region" if given is None else "min_region"
    said = _min_region_words(given, limit)
    warn_caller(head + f"{which}={said} merged the regions smaller than {limit} pixels "
                f"(of the {h * w} of this {w} x {h} image) into their neighbours, and the "
                f"majority smoothing removes specks (details narrower than about {speck} "
                "pixels); min_region=0 keeps every region the smoothing leaves",
                RegionCountWarning)


def _numbered_without_gaps(result: SegmentResult, k: int) -> SegmentResult:
    """``result`` with the clusters that no region is in left out when one comes before
    a cluster some region is in, the others numbered 0..n-1 in their order (the fully
    transparent pixels' still the last), so that a class map, ``classes.csv`` and
    ``segments.json`` number them without a gap; the last ones, which leave none, are kept
    in ``centers``. A cluster left no region is said with a :class:`ClusterCountWarning`
    when no warning of ``n_clusters=k`` giving fewer regions than clusters has said it
    (:func:`_warn_if_one_region`).
    """
    n_centers = result.centers.shape[0]
    used = np.unique(result.clusters)
    if used.size == n_centers:
        return result
    if result.n_regions >= n_centers:
        lost = n_centers - used.size
        warn_caller(f"n_clusters={k}: {lost} of the {n_centers} clusters k-means found "
                    f"{'keeps' if lost == 1 else 'keep'} no region once the majority "
                    "smoothing and the min_region merges ran, so the other "
                    f"{used.size} are numbered 0..{used.size - 1}; smooth=0 and "
                    "min_region=0 keep every cluster's regions", ClusterCountWarning)
    if used[-1] + 1 == used.size:  # 0..n-1 already
        return result
    number = np.zeros(n_centers, dtype=result.clusters.dtype)
    number[used] = np.arange(used.size)
    return SegmentResult(result.labels, number[result.clusters], result.centers[used],
                         result.image, result.weights, result.min_region, result.alpha,
                         n_clusters=result.n_clusters, space=result.space)


def _numbered_by_lightness(result: SegmentResult, values: np.ndarray | None
                           ) -> SegmentResult:
    """``result`` with its clusters numbered by increasing lightness, the darkest 0: the
    CIE L* of each cluster's mean colour over its visible pixels, or, of a grey input whose
    own ``values`` ``(H, W)`` are known (:attr:`~quantize.io.LoadedImage.stretch_values`),
    its mean value; clusters of no visible pixel (the fully transparent pixels', those
    left no region) after the others, all equals in their order. Its regions are not
    changed, nor their sums, which it keeps."""
    sums = result._region_sums()
    k = result.centers.shape[0]
    mapping = np.concatenate([[0], result.clusters.astype(np.intp) + 1])
    merged = sums.merged(mapping, k)
    visible = (merged.area if merged.hidden is None else merged.area - merged.hidden)[1:]
    if values is not None and values.ndim == 2:
        stats = _regions.input_value_stats(result.labels, values, result.n_regions,
                                           result.alpha)
        key = stats.merged(mapping, k).means()[1:, 0]
    else:
        key = srgb_lightness(merged.shown_means()[1:])
    order = np.argsort(np.where(visible > 0, key, np.inf), kind="stable")
    number = np.empty(k, dtype=result.clusters.dtype)
    number[order] = np.arange(k, dtype=number.dtype)
    return SegmentResult(result.labels, number[result.clusters], result.centers[order],
                         result.image, result.weights, result.min_region, result.alpha,
                         n_clusters=result.n_clusters, space=result.space)._with_sums(sums)


def _warn_smoothed_into_one(k: int, n_centers: int, speck: int, h: int, w: int) -> None:
    """Say that the majority smoothing of the cluster map left one region of the
    ``n_centers`` clusters k-means found for ``n_clusters=k`` on an ``h`` x ``w`` image:
    every other cluster's pixels lay in specks, details narrower than about ``speck``
    pixels (stars on a dark sky), so ``min_region`` had nothing left to merge; and that
    ``smooth=0`` keeps them."""
    warn_caller(f"n_clusters={k} gives 1 region: of the {n_centers} clusters k-means found, "
                "the majority smoothing removed all but one, as their pixels lay in specks "
                f"(details narrower than about {speck} pixels on this {w} x {h} image); "
                "the speck size follows the image's longer side, so a crop of it keeps "
                "smaller details, and smooth=0 keeps them all", RegionCountWarning)


def _warn_smoothed_then_merged(k: int, limit: int, unmerged: int, speck: int, h: int,
                               w: int, *, given: int | str | None) -> None:
    """Say that the majority smoothing removed details narrower than about ``speck``
    pixels, then ``min_region``, ``limit`` (the default when ``given`` is None), merged
    the ``unmerged`` regions it left into one, on an ``h`` x ``w`` image: both steps, in
    turn, and the option that keeps what each removed (line art: 3-pixel ink lines are
    specks, and the one blob of ink the smoothing leaves is under ``min_region``)."""
    which = "the default min_region" if given is None else "min_region"
    warn_caller(f"n_clusters={k} gives 1 region: the majority smoothing removed the details "
                f"narrower than about {speck} pixels (of this {w} x {h} image), then "
                f"{which}={_min_region_words(given, limit)} merged those of the {unmerged} "
                f"regions it left that were smaller than {limit} pixels until one was left; "
                "smooth=0 keeps the details (and min_region=0 the small regions)",
                RegionCountWarning)


def _warn_if_the_default_merges_all(result: SegmentResult, k: int, limit: int, *,
                                    merged: bool) -> None:
    """Say that the default ``min_region``, ``limit``, merged every region into one.

    On an image of fewer than ``2 * limit`` pixels (fewer than 8 at its floor of 4) no
    two regions can both reach it: whatever the clusters, one region comes out. Said
    when k-means found more than one cluster to tell apart, as a user asking for ``k``
    clusters of a 2 x 3 image would otherwise get one region without a word. On a larger
    image the regions under it may still merge into one (a 1-pixel dot on a 20 x 20
    image, under the default 4): said when they did, ``merged``, as for a ``min_region``
    given.
    """
    h, w = result.labels.shape
    if 2 * limit > h * w:
        warn_caller(f"n_clusters={k} gives 1 region: the default min_region={limit} "
                    f"(at least {_MIN_REGION_FLOOR} pixels) is more than half of this "
                    f"{h * w}-pixel image, "
                    "so every region merges into one; min_region=0 keeps them",
                    RegionCountWarning)
    elif merged:
        warn_caller(f"n_clusters={k} gives 1 region: the default min_region={limit} merges "
                    f"the regions smaller than {limit} pixels (of the {h * w} of this {w} x "
                    f"{h} image) until one is left; min_region=0 keeps them",
                    RegionCountWarning)


def _warn_if_min_region_merges_all(limit: int, h: int, w: int, *, merged: bool,
                                   given: int | str | None = None) -> None:
    """Say that ``min_region``, ``limit``, given for an image of ``h`` x ``w`` pixels, merged
    its regions into one, when it is more than half of the image: no two regions can both
    reach it, so whatever the image holds one region comes out (``--min-region 5000`` on a
    60 x 40 thumbnail of a batch). Said when there was more than one region to merge.

    A smaller ``limit`` may merge them all as well (three bands of 800 pixels and
    ``min_region=1200``: each band joins a neighbour, then the last joins the rest): said
    when it did, ``merged`` (more regions than one before the merging, one after). A share
    ``given`` is said as given, its pixels in brackets."""
    pixels = h * w
    said = _min_region_words(given, limit)
    if 2 * limit > pixels:
        share = "more than" if limit > pixels else "more than half of"
        warn_caller(f"min_region={said} is {share} the {pixels} pixels of this {w} x {h} "
                    "image: no two regions can both reach it, so every region merges into "
                    "one; lower it to keep more", RegionCountWarning)
    elif merged:
        warn_caller(f"min_region={said} merges the regions smaller than {limit} pixels (of "
                    f"the {pixels} of this {w} x {h} image) until one is left; lower it to "
                    "keep more", RegionCountWarning)


# What a caller of segment or boundary_map can do about an AlphaIgnoredWarning.
#: How a warning of an image of more than 8 bits that comes out dark ends, from
#: :func:`segment` and :func:`~quantize.segment_file.segment_file` (the command line
#: writes ``stretch=True`` as ``--stretch``).
DARK_ADVICE = StretchAdvice(STRETCH_ADVICE)
#: ... and from :func:`boundary_map`.
_DARK_BORDERS_ADVICE = StretchAdvice("give stretch=True to map the image's own range onto "
                                     "0..255 before finding its borders")

_ALPHA_ADVICE = ("composite the image on a background first to segment what shows, or pass "
                 'its colours alone (image[..., :3], or image.convert("RGB")) to segment '
                 "them without this warning")
#: The colours fully transparent pixels may be segmented as (:func:`fill_transparent`):
#: the corners of the RGB cube, in the order ties are settled.
_FILL_COLOURS = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                          [0, 255, 255], [255, 0, 255], [255, 255, 0]], dtype=np.uint8)


def fill_transparent(rgb: np.ndarray, alpha: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """``rgb`` with its fully transparent pixels (``alpha`` 0) in one colour, and that
    colour; ``rgb`` itself and None when no pixel is fully transparent.

    The colour stored in a transparent pixel does not show and may be anything: segmented
    by it, random colours behind a transparent 200 x 150 corner of ``skimage.data.chelsea()``
    (15 regions) gave 78 regions, 13 once filled.
    The colour given is the corner of the RGB cube farthest (in Lab) from every visible
    colour (alpha above 0), so that the area is flat and unlike what borders it (black
    when no pixel is visible). Prior validation is assumed: ``rgb`` ``(H, W, 3)`` uint8
    and ``alpha`` ``(H, W)`` uint8 or None, as :func:`~quantize.io.as_rgba` gives them;
    ``rgb`` is not modified.

    >>> rgb = np.array([[[0, 0, 0], [255, 255, 255], [9, 9, 9]]], np.uint8)
    >>> filled, colour = fill_transparent(rgb, np.array([[255, 255, 0]], np.uint8))
    >>> colour.tolist(), filled.tolist(), rgb[0, 2].tolist()
    ([0, 0, 255], [[[0, 0, 0], [255, 255, 255], [0, 0, 255]]], [9, 9, 9])
    """
    if alpha is None:
        return rgb, None
    hidden = alpha == 0
    if not hidden.any():
        return rgb, None
    colour = _farthest_corner(pack_rgb(rgb)[~hidden]).copy()  # not a view of the table
    filled = rgb.copy()
    filled[hidden] = colour
    return filled, colour


#: Visible colours compared with the corners at a time (:func:`_closest_sq`).
_CORNER_ROWS = 1 << 20
#: The RGB cube is searched in blocks of 8 levels a side, 32 ** 3 of them
#: (:func:`_farthest_corner`); a block's 8 blue levels are one uint64 of a bool table.
_BLOCK = 8
_BLOCKS = 256 // _BLOCK
#: Slack of a block's Lab bounds and of the squared distances compared with them: float32
#: Lab and distances are off by about 0.001 and 0.01 (squared) Lab units.
_BOUND_SLACK = 0.05
_SQ_SLACK = 0.5


def _farthest_corner(codes: np.ndarray) -> np.ndarray:
    """The colour of :data:`_FILL_COLOURS` whose nearest of the colours ``codes`` (24-bit,
    :func:`~quantize._kernels.pack_rgb`) is the farthest in Lab; the first of them when
    there are none. Each colour is compared once, however many pixels show it.

    Only the colours that may be a corner's nearest are compared: each corner's distance
    is first guessed from the colours of its nearest occupied block, and a block whose
    every colour lies farther from every corner than that corner's guess is skipped
    (:func:`_block_sq_bounds`). Each distance is computed as when all the colours were
    compared, so the same corner is chosen, near-ties included; comparing all of them
    took 1.7 s on 12 MP of random noise (8 million colours).
    """
    if not codes.size:
        return _FILL_COLOURS[0]
    present = code_table(codes, True, bool)
    corners = srgb_to_lab(_FILL_COLOURS)
    blocks = _occupied_blocks(present)
    bounds = _block_sq_bounds(blocks, corners)
    guess = _closest_sq(_block_colours(present, blocks[np.argmin(bounds, axis=0)]), corners)
    near = (bounds <= guess + _SQ_SLACK).any(axis=1)
    closest = _closest_sq(_block_colours(present, blocks[near]), corners)
    return _FILL_COLOURS[int(np.argmax(closest))]


def _occupied_blocks(present: np.ndarray) -> np.ndarray:
    """Numbers ``(R * 32 + G) * 32 + B`` of the blocks (:data:`_BLOCK` levels a side) that
    hold a colour of ``present``, the ``(2 ** 24,)`` bool table of 24-bit codes."""
    # Each run of 8 blue levels is 8 bytes of the table, one uint64: OR-ed over the block's
    # red levels, then over its green ones.
    runs = present.view(np.uint64).reshape(_BLOCKS, _BLOCK, -1)
    rows = np.bitwise_or.reduce(runs, axis=1).reshape(_BLOCKS, _BLOCKS, _BLOCK, _BLOCKS)
    return np.flatnonzero(np.bitwise_or.reduce(rows, axis=2))


def _block_sq_bounds(blocks: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """``(n, m)`` lower bounds of the squared Lab distance from each block's colours to
    each of the ``(m, 3)`` Lab ``corners``.

    X, Y and Z rise with each of R, G and B, and so do f(X), f(Y) and f(Z): over a block
    they lie between their values at its darkest and brightest colours, which bound L
    (116 f(Y) - 16), a (500 (f(X) - f(Y))) and b (200 (f(Y) - f(Z))); a bound is the
    squared distance from the corner to that box.
    """
    low = np.stack(np.unravel_index(blocks, (_BLOCKS,) * 3), axis=1) * _BLOCK
    ends = srgb_to_lab(np.stack([low, low + _BLOCK - 1]).astype(np.uint8)).astype(np.float64)
    fy = (ends[..., 0] + 16.0) / 116.0
    fx, fz = fy + ends[..., 1] / 500.0, fy - ends[..., 2] / 200.0
    lo = np.stack([116.0 * fy[0] - 16.0, 500.0 * (fx[0] - fy[1]), 200.0 * (fy[0] - fz[1])],
                  axis=1) - _BOUND_SLACK
    hi = np.stack([116.0 * fy[1] - 16.0, 500.0 * (fx[1] - fy[0]), 200.0 * (fy[1] - fz[0])],
                  axis=1) + _BOUND_SLACK
    out = np.zeros((len(blocks), len(corners)))
    for axis in range(3):
        c = corners[:, axis]
        gap = np.maximum(lo[:, axis, None] - c, c - hi[:, axis, None])
        np.maximum(gap, 0.0, out=gap)
        gap *= gap
        out += gap
    return out


def _block_colours(present: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """``(n, 3)`` uint8 colours of ``present`` (the table of 24-bit codes) in ``blocks``."""
    r, g, b = np.unravel_index(blocks, (_BLOCKS,) * 3)
    first = (r.astype(np.int64) << 16 | g << 8 | b) * _BLOCK
    step = np.arange(_BLOCK)
    inside = (step[:, None, None] << 16 | step[:, None] << 8 | step).ravel()
    codes = (first[:, None] + inside).ravel()
    return unpack_rgb(codes[present[codes]])


def _closest_sq(colors: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """``(m,)`` squared Lab distance (float32 values) from each of the Lab ``corners`` to
    the nearest of ``colors`` (``(n, 3)`` uint8, n >= 1), a band of rows at a time."""
    lab = srgb_to_lab(colors)
    closest = np.full(len(corners), np.inf)
    for start in range(0, len(lab), _CORNER_ROWS):
        part = lab[start:start + _CORNER_ROWS]
        sq = sq_dist_from(corners, part, np.einsum("ij,ij->i", part, part))
        closest = np.minimum(closest, sq.min(axis=1))
    return closest


def warn_alpha_segmented(alpha: np.ndarray | None, fill: np.ndarray | None,
                         advice: str = "") -> None:
    """Say in one :class:`AlphaIgnoredWarning` how the pixels of an image with ``alpha``
    (``(H, W)`` uint8, or None) that do not fully show are segmented: the fully transparent
    ones as ``fill`` (:func:`fill_transparent`; None when there are none), the translucent
    ones by the colour stored in them (:func:`warn_alpha_ignored`, when they are all)."""
    if alpha is None or fill is None:
        warn_alpha_ignored(alpha, advice=advice)
        return
    hidden = int(np.count_nonzero(alpha == 0))
    faint = int(np.count_nonzero(alpha < 255)) - hidden
    pixels = "pixel" if alpha.size == 1 else "pixels"
    are, them = ("is", "it") if hidden == 1 else ("are", "them")
    colour = "#{:02x}{:02x}{:02x}".format(*fill.tolist())
    chosen = ("the corner of the RGB cube farthest from the visible colours" if hidden < alpha.size
              else "black, as no pixel is visible")
    facts = (f"{hidden} of {alpha.size} {pixels} {are} fully transparent and {are} segmented "
             f"as one colour, {colour}, {chosen}, not by the colour stored in {them}")
    if faint:
        by = ("pixel by the colour stored in it" if faint == 1
              else "pixels by the colours stored in them")
        facts += f", and {faint} translucent {by}"
    warn_caller(AlphaIgnoredWarning(facts, advice=advice))


def check_cut(n_clusters: Any, regions: Any) -> tuple[int | None, int | None]:
    """Checked ``(n_clusters, regions)``: how the regions are made, at most one of the two.

    Raises
    ------
    ValueError, TypeError
        If both are given, or one is not a valid count.
    """
    if n_clusters is not None and regions is not None:
        raise ValueError(f"n_clusters={n_clusters} and regions={regions} both given; expected "
                         "one of them (n_clusters=K: k-means clusters, regions=N: a hierarchy "
                         "cut)")
    return (None if n_clusters is None else check_n_clusters(n_clusters),
            check_optional_int(regions, "regions", minimum=1))


def check_superpixels(superpixels: Any, n_clusters: int | None) -> int | None:
    """Checked ``superpixels``, about how many superpixels the region hierarchy starts
    from: None (the default, :data:`SUPERPIXELS`) or an int >= 1, without ``n_clusters``
    only.

    Raises
    ------
    ValueError, TypeError
        If it is not an int >= 1, or is given with ``n_clusters``.

    Examples
    --------
    >>> check_superpixels(4000, None), check_superpixels(None, 3)
    (4000, None)
    >>> check_superpixels(4000, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: superpixels=4000 applies to the region hierarchy only; expected ...
    """
    if superpixels is None:
        return None
    superpixels = check_int(superpixels, "superpixels", minimum=1)
    if n_clusters is not None:
        raise ValueError(f"superpixels={superpixels} applies to the region hierarchy only; "
                         f"expected no superpixels with n_clusters={n_clusters}")
    return superpixels


#: The largest ``smooth`` taken: a speck size of 256 pixels, a Gaussian of 122 pixels.
MAX_SMOOTH = 256


def check_smooth(smooth: Any, n_clusters: int | None) -> int | None:
    """Checked ``smooth``, the speck size of the k-means path's majority smoothing: None
    (the default, :func:`~quantize.pixel_kmeans.speck_side`) or an int from 0 (none) to
    :data:`MAX_SMOOTH`, with ``n_clusters`` only.

    Raises
    ------
    ValueError, TypeError
        If it is not an int from 0 to :data:`MAX_SMOOTH`, or is given without
        ``n_clusters``.

    Examples
    --------
    >>> check_smooth(0, 2), check_smooth(None, None)
    (0, None)
    >>> check_smooth(5, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: smooth=5 applies to k-means clusters only (n_clusters=K); the region ...
    """
    if smooth is None:
        return None
    smooth = check_int(smooth, "smooth", minimum=0, maximum=MAX_SMOOTH)
    if n_clusters is None:
        raise ValueError(f"smooth={smooth} applies to k-means clusters only (n_clusters=K); "
                         "the region hierarchy has no majority smoothing to size; expected it "
                         "with n_clusters=K only")
    return smooth


#: The smallest ``working_size`` taken: a working copy at least 64 pixels on its longer side.
MIN_WORKING_SIZE = 64


def check_working_size(working_size: Any, n_clusters: int | None) -> int | str | None:
    """Checked ``working_size``, the longest side of the k-means path's working copy: None
    (the default, :data:`~quantize.texture.WORKING_MAX_SIDE`), an int >= 64
    (:data:`MIN_WORKING_SIZE`) or ``"full"`` (the image itself), with ``n_clusters`` only.

    Raises
    ------
    ValueError, TypeError
        If it is neither an int >= 64 nor ``"full"``, or is given without ``n_clusters``.

    Examples
    --------
    >>> check_working_size(2400, 2), check_working_size("full", 2), check_working_size(None, None)
    (2400, 'full', None)
    >>> check_working_size("max", 2)
    Traceback (most recent call last):
    ...
    ValueError: working_size='max' should be a whole number of pixels >= 64 or 'full'
    """
    if working_size is None:
        return None
    if isinstance(working_size, str):
        if working_size != "full":
            raise ValueError(f"working_size={working_size!r} should be a whole number of "
                             f"pixels >= {MIN_WORKING_SIZE} or 'full'")
    else:
        working_size = check_int(working_size, "working_size", minimum=MIN_WORKING_SIZE)
    if n_clusters is None:
        raise ValueError(f"working_size={working_size!r} applies to k-means clusters only "
                         "(n_clusters=K); the region hierarchy works on a copy of at most "
                         f"{WORKING_MAX_SIDE} pixels a side; expected it with n_clusters=K "
                         "only")
    return working_size


def check_hierarchy_weights(w: Mapping[str, float], *, edges: bool = False) -> None:
    """Refuse checked weights that give the region hierarchy nothing to compare regions by.

    The hierarchy describes a region by its colour, lightness and texture;
    ``xy`` only shapes its superpixels. With ``color``, ``intensity`` and
    ``texture`` all 0 it would compare colours all the same, as if ``color``
    were 1, so that ``color=0`` would be ignored without a word.

    ``edges`` says that the hierarchy is wanted for the border-strength map
    (:func:`boundary_map`, a segment folder's ``edges.png``), which k-means
    clusters do not replace: the message then does not offer them.

    Raises
    ------
    ValueError
        If ``color``, ``intensity`` and ``texture`` are all 0.
    """
    if not (w["color"] > 0 or w["intensity"] > 0 or w["texture"] > 0):
        way_out = ("the border-strength map is drawn from the region hierarchy, also beside "
                   "k-means clusters" if edges else
                   "k-means clusters, n_clusters=K, may use xy alone")
        raise ValueError("weight color=0, intensity=0 and texture=0 leave the region "
                         "hierarchy nothing to compare regions by (xy only shapes its "
                         f"superpixels); expected one of them > 0 ({way_out})")


def check_space(space: Any, n_clusters: int | None) -> str:
    """Checked ``space``, the colour space of the k-means path's ``color`` group.

    The region hierarchy (no ``n_clusters``) works in CIELAB, so another space
    there is refused rather than ignored.
    """
    space = check_choice(space, "space", SPACES)
    if space != "lab" and n_clusters is None:
        raise ValueError(f"space={space!r} applies to k-means clusters only (n_clusters=K); "
                         "the region hierarchy works in CIELAB, so expected space='lab' "
                         "without them")
    return space


@foreign_keywords
def boundary_map(image: Any, *, weights: Mapping[str, float] | None = None,
                 closed: bool = False, seed: Seed = None,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS,
                 stretch: bool = False, stretch_clip: float = 0.0,
                 fourth_channel: FourthChannel | None = None) -> np.ndarray:
    """Strength of a border at each pixel, ``(H, W)`` float32 in [0, 1].

    Built on the merge hierarchy (see the module docstring): a pixel on the
    border of two superpixels has the strength ``s = h / (h + 10)``, with
    ``h`` the height of the merge that joins them, so long, contrasted borders
    between different regions are near 1 and faint ones near 0; the inside of
    a superpixel is 0. Border pixels are those whose right or lower neighbour
    is in another superpixel, one pixel wide at the image's own size (as
    :meth:`SegmentResult.boundaries`), also when the hierarchy is built on a
    downscaled working copy: the superpixels are then brought to full size along the
    image's own edges, as :func:`segment` brings its regions, and the borders are theirs.

    By default (open borders) the strength of a border pixel is learned:
    ``sqrt(1 / (1 + exp(-z)))``, ``z`` a sum of a piecewise-linear function of
    each cue (a weight on the cue and one on its excess over each of three knots),
    fitted (a logistic regression) on half of BSDS500 train, to tell which border
    pixels people draw (so its scores on train photos are in-sample: measure it
    on val). The cues: the border's height relative to ``h90``, the
    image's own 90th-percentile merge height (so a low-contrast photo's borders
    reach as high as a vivid one's); its spectral strength in [0, 1] (how sharply
    the leading eigenvectors of the superpixel graph, linked by the edge strength
    along each border, change across it; gPb's globalisation on superpixels);
    their mix ``b = 0.6 * h / (h + h90) + 0.4 * p``; whether a second, coarser
    view (the earlier fixed-formula map, made on the image halved from about 300
    superpixels) finds a border there too; the border's length, mean edge
    strength and height; the Lab gradient at the pixel and its share of the
    largest in its 3 x 3 neighbourhood (pixels beside the ridge fade); over
    3 x 3 and 11 x 11 boxes, the colour contrast of the two boxes that touch at
    the pixel (the strongest of four orientations), the spread of lightness
    around it (busy texture makes false borders) and the contrast of that spread
    across the pixel (a texture border); and the colour mix across the pixel:
    the chi-squared distance between the histograms of 8 k-means colours of the
    image in boxes on either side of it (17 x 8 pixels, or 8 x 8 at its corners
    on the diagonals; the strongest of four orientations), which tells apart
    two mixes of colours that box means blur together; and the mean of each of
    the pixel's own cues along its superpixel border. A border across colour
    that does not change at all within 3 pixels has strength 0. On the BSDS500
    train photos it was not fitted on, the model scored ODS F +0.009 and OIS F
    +0.007 over the fixed formula it replaced, ``sqrt(b * g / (g + 2) * g / m) *
    (0.5 + 0.5 c)``; the colour mix then added +0.006 and +0.007, and the
    piecewise-linear terms with the border means +0.011 and +0.009 (docs/segment.md).
    Last, a border pixel that a stronger pixel of another superpixel border
    faces across it, at most 3 pixels away, shows ``v * v / s`` (``v`` its
    strength, ``s`` the strongest such): of two borders running side by side
    along one edge, the weaker fades (on train photos it was not chosen on,
    ODS F and OIS F +0.004). The open map's superpixels settle on a quarter of
    the pixels, which is faster and scores the same. A threshold then gives
    borders that may be open. With ``closed=True`` the map is ``s`` itself:
    thresholding it at ``t`` draws the closed borders of the hierarchy cut at
    level ``t``, ``segment(image, regions=n)`` for the ``n`` regions of that
    cut when it has no strip of in-between colour (else ``segment`` cuts finer and
    merges the strips, see ``regions`` there). ``segment(image)`` is the cut at
    :data:`DEFAULT_LEVEL` with its neighbouring regions that are flat and of one
    colour then united, and its strips of in-between colour merged into a side
    (as ``regions=n`` merges them): the map keeps the borders
    between them (a strip of plain background between two shapes, cut from the
    rest of it; both sides of an anti-aliased edge's strip), which ``segment``
    no longer draws.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4) ndarray, or PIL image
        As for :func:`segment` (fully transparent pixels taken as one colour,
        translucent ones by their stored colour, with an :class:`AlphaIgnoredWarning`
        when some pixel is not opaque).
    weights : dict of str to float, optional
        As for :func:`segment`.
    closed : bool, default False
        The hierarchy's own map, whose thresholds are segmentations.
    seed : int, numpy.random.Generator or None
        Accepted for symmetry with :func:`segment`; the map is deterministic.
    max_pixels : int or None
        Refuse an image of more pixels than this (default
        :data:`~quantize.io.DEFAULT_MAX_PIXELS`, the limit
        :func:`~quantize.io.load_image` puts on files), checked from its shape before any
        copy; None means no limit.
    stretch : bool, default False
        As for :func:`segment`: map the image's own range onto 0..255 first (16-bit counts,
        floats beyond [0, 1], integer arrays of any scale).
    stretch_clip : float, default 0
        As for :func:`segment`: stretch from percentiles instead.
    fourth_channel : {"alpha", "band"}, optional
        As for :func:`segment`: what the fourth channel of an (H, W, 4) array is.

    Returns
    -------
    (H, W) ndarray of float32

    Raises
    ------
    quantize.errors.ImageReadError
        If ``image`` has more than ``max_pixels`` pixels (a ValueError).
    ValueError, TypeError
        For a bad image, weight or ``closed``; ValueError also when the
        ``color``, ``intensity`` and ``texture`` weights are all 0 (see
        :func:`check_hierarchy_weights`).

    Warns
    -----
    AlphaIgnoredWarning
        When some pixel of ``image`` is transparent or translucent.
    quantize.io.PixelListWarning
        When ``image`` is a 2-D array of 3 or 4 columns and more rows than columns,
        read as the grey image it is, which looks like a list of pixels
        (``pixels.reshape(-1, 1, 3)`` passes them).
    quantize.io.PixelRangeWarning
        As for :func:`segment`: pixels of a uint16 array or a 32-bit or float PIL image
        that are read as black or likely meant in another range, or (without ``stretch``)
        that come out dark, the warning saying to give ``stretch=True``.
    quantize.animation.FirstFrameWarning
        When ``image`` is a PIL image of an animation, or the first frame of one: only
        that frame's borders are found.

    Examples
    --------
    >>> import numpy as np
    >>> from quantize import boundary_map
    >>> img = np.zeros((20, 30, 3), dtype=np.uint8)
    >>> img[:, 15:] = 200
    >>> closed, open_ = boundary_map(img, closed=True), boundary_map(img)
    >>> [round(float(closed[10, 14]), 2), round(float(open_[10, 14]), 2)]
    [0.89, 0.89]
    >>> set(closed.argmax(axis=1).tolist()), set(open_.argmax(axis=1).tolist())
    ({14}, {14})
    """
    rgb, alpha = as_rgba(image, max_pixels=max_pixels, stretch=stretch,
                         dark_advice=_DARK_BORDERS_ADVICE, stretch_clip=stretch_clip,
                         fourth_channel=fourth_channel)
    w = check_weights(weights)
    check_hierarchy_weights(w, edges=True)
    closed = check_bool(closed, "closed")
    check_seed(seed)
    rgb, fill = fill_transparent(rgb, alpha)
    warn_alpha_segmented(alpha, fill, advice=alpha_advice(image, _ALPHA_ADVICE))
    work, factor = _working_copy(rgb)
    lab = lab_planes(work)
    if factor > 1:
        return _full_size_border_map(rgb, lab, w, factor, closed)
    if closed:
        tree = _build_hierarchy(lab, w, small_image=True)
        heights = tree.pair_heights
        right, below = _pair_values(tree, heights / (heights + _HALF_HEIGHT))
        return np.maximum(right, below).astype(np.float32)
    return _open_border_values(lab, w)[2].astype(np.float32)


def _full_size_border_map(rgb: np.ndarray, lab: np.ndarray, w: dict[str, float], factor: int,
                          closed: bool) -> np.ndarray:
    """:func:`boundary_map` of ``rgb`` ``(H, W, 3)``, larger than its working copy (Lab
    planes ``lab``, ``rgb`` box-downscaled by ``factor``): ``(H, W)`` float32.

    The superpixels are brought to full size along the image's own edges
    (:func:`~quantize.reconstruct.refine.refined_labels`, as :func:`segment` brings its
    regions), and the map's border pixels are theirs there, one pixel wide. A border
    pixel of the closed map takes its two superpixels' value, that of the merge joining
    them; one of the open map the strongest entry of its superpixel border on the 3 x 3
    working pixels around its box (the strongest entry there when that border has none
    nearby).
    """
    if closed:
        tree = _build_hierarchy(lab, w, small_image=True)
    else:
        tree, where, side, pair, value = _open_border_entries(lab, w)
        pairs = np.full((3, lab.shape[1] * lab.shape[2]), -1, dtype=np.int32)
        values = np.zeros(pairs.shape, dtype=np.float32)
        pairs[side, where], values[side, where] = pair, value
    leaves = refined_labels(tree.labels, lab, rgb, factor)
    out = np.zeros(leaves.shape, dtype=np.float32)
    for y, x, ends in (found for band in row_bands(*leaves.shape, _BORDER_BAND_PIXELS)
                       for found in _full_size_borders(leaves, band)):
        found = _pair_index(tree, ends)
        if closed:
            heights = np.zeros(found.shape)
            heights[found >= 0] = tree.pair_heights[found[found >= 0]]
            # superpixels that touch at full size only: the height of the merge joining them
            heights[found < 0] = tree.join_heights(ends[found < 0])
            strength = (heights / (heights + _HALF_HEIGHT)).astype(np.float32)
        else:
            strength = _nearby_entries(pairs.reshape(3, *lab.shape[1:]),
                                       values.reshape(3, *lab.shape[1:]), y // factor,
                                       x // factor, found)
        out[y, x] = np.maximum(out[y, x], strength)
    return out


# _full_size_border_map finds the borders of a band of about this many pixels at a time.
_BORDER_BAND_PIXELS = 1 << 18


def _full_size_borders(leaves: np.ndarray, rows: slice
                       ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The pixels (rows and columns ``(m,)``) of rows ``rows`` of ``leaves`` ``(H, W)`` whose
    right neighbour is in another superpixel, with the two superpixels ``(m, 2)``,
    smaller first; then those of the pixels whose lower neighbour is."""
    band = leaves[rows.start:rows.stop + 1]  # and the row below it
    own = band[:rows.stop - rows.start]
    found = []
    for before, after in ((own[:, :-1], own[:, 1:]), (band[:-1], band[1:])):
        y, x = np.nonzero(before != after)
        a, b = before[y, x], after[y, x]
        found.append((y + rows.start, x, np.stack([np.minimum(a, b), np.maximum(a, b)], 1)))
    return found


def _pair_index(tree: _hierarchy.Hierarchy, ends: np.ndarray) -> np.ndarray:
    """Index ``(m,)`` into ``tree.pairs`` of each superpixel pair ``ends`` ``(m, 2)``
    (smaller first), -1 for a pair that is not adjacent on the working copy."""
    n = tree.n_leaves
    keys = tree.pairs[:, 0].astype(np.int64) * n + tree.pairs[:, 1]
    asked = ends[:, 0].astype(np.int64) * n + ends[:, 1]
    at = np.minimum(np.searchsorted(keys, asked), max(keys.size - 1, 0))
    return np.where((keys.size > 0) & (keys[at] == asked), at, -1)


def _nearby_entries(pairs: np.ndarray, values: np.ndarray, y: np.ndarray, x: np.ndarray,
                    pair: np.ndarray) -> np.ndarray:
    """The strongest ``(m,)`` of the open map's entries (``pairs`` and ``values`` ``(3, h,
    w)``, one plane a way, pair -1 where there is none) on the 3 x 3 working pixels around
    each ``(y[i], x[i])`` whose superpixel border is ``pair[i]``; the strongest of them
    all where none is."""
    h, w = pairs.shape[1:]
    own, any_ = np.zeros(y.shape, dtype=np.float32), np.zeros(y.shape, dtype=np.float32)
    matched = np.zeros(y.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            yy, xx = np.clip(y + dy, 0, h - 1), np.clip(x + dx, 0, w - 1)
            for way in range(3):
                value = values[way, yy, xx]
                same = (pairs[way, yy, xx] == pair) & (pair >= 0)
                np.maximum(any_, value, out=any_)
                np.maximum(own, np.where(same, value, 0), out=own)
                matched |= same
    return np.where(matched, own, any_)


def _pair_values(tree: _hierarchy.Hierarchy, values: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The value ``(h, w)`` of the pair each pixel makes with its right and with its lower
    neighbour, of ``values`` ``(E,)`` >= 0 one per pair; 0 where there is no border."""
    padded = np.append(values, 0.0)  # pair -1, no border, takes the 0 at its end
    right, below = tree.border_pairs()
    return padded[right], padded[below]


def _open_border_values(lab: np.ndarray, w: dict[str, float]
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open map's strengths ``(h, w)`` each on the working copy's pixels: on their
    right border alone, on their lower border alone, and on both (0 off a border); see
    :func:`quantize.reconstruct.hierarchy.enlarged_border_map`.
    """
    _, where, side, _, value = _open_border_entries(lab, w)
    maps = np.zeros((3, lab.shape[1] * lab.shape[2]))
    maps[side, where] = value
    right, below, both = (plane.reshape(lab.shape[1:]) for plane in maps)
    on_both = np.zeros(right.shape, dtype=bool)
    on_both.flat[where[side == _BOTH]] = True
    return right, below, np.where(on_both, both, np.maximum(right, below))


def _open_border_entries(lab: np.ndarray, w: dict[str, float]
                         ) -> tuple[_hierarchy.Hierarchy, np.ndarray, np.ndarray, np.ndarray,
                                    np.ndarray]:
    """The open map's superpixel hierarchy on the Lab planes ``lab`` ``(3, h, w)`` and its
    border entries (see ``_border_cues``): their pixels, ways, superpixel borders (index
    into the hierarchy's ``pairs``) and strengths ``(n,)``.

    Each entry of ``_border_cues`` is ``sqrt(1 / (1 + exp(-z)))``, ``z`` the logistic
    model's: ``_CUE_BIAS`` plus each of its cues (``(n, 26)``, in the order of
    ``_CUE_WEIGHTS``) times its weight, plus, for each of the first 16, its hinges at
    ``_CUE_KNOTS`` (``_hinge_terms``) times their weights; worked out here from the
    parts of ``_border_parts``: the terms of a superpixel border's cues and of its
    border means once per border, those of a pixel's own cues once per pixel.
    """
    tree, where, side, pair, at, per_pair, own, n_single = _border_parts(lab, w)
    n_pairs = per_pair.shape[1]
    single = pair[:n_single]
    mix = np.array([_CUE_WEIGHTS[f"border mean {name}"] for name in _OWN_CUES]) @ own
    means = (np.bincount(single, mix[at[:n_single]], n_pairs)
             / np.maximum(np.bincount(single, minlength=n_pairs), 1))
    z = (_cue_terms(per_pair, _PAIR_CUES) + means + _CUE_BIAS)[pair]
    z += _cue_terms(own, _OWN_CUES)[at]
    value = np.sqrt(1.0 / (1.0 + np.exp(-z)))
    # No colour change within 3 pixels (the sigma-1 gradient is 0): no border.
    value[(own[_OWN_CUES.index("log1p g1")] == 0)[at]] = 0.0
    value = _weaker_beside_stronger(value, where, side, pair, lab.shape[2])
    return tree, where, side, pair, value


def _weaker_beside_stronger(value: np.ndarray, where: np.ndarray, side: np.ndarray,
                            pair: np.ndarray, width: int) -> np.ndarray:
    """The entries' strengths ``value`` ``(n,)``, each lowered to ``v * v / s`` when a pixel
    of another superpixel border across it, at most ``_BESIDE_RADIUS`` pixels away, shows
    a strength ``s > v``.

    ``where``, ``side`` and ``pair`` are those of ``_border_parts``, on a
    working copy ``width`` pixels wide. Across a right border is along its row, across
    a lower border along its column, and an entry on both looks across the one it takes
    its pair from (the other, often a faint border that meets it, would find the next
    piece of its own edge, another pair). A pixel shows its last entry (that on both
    borders, if it has one). Two superpixel borders that
    run side by side along one edge both pass a threshold, and the second, which the
    benchmark's one-to-one matching cannot pair, lowers the precision: a soft
    non-maximum suppression across borders.
    """
    r = _BESIDE_RADIUS
    padded_width = width + 2 * r
    y, x = np.divmod(where, width)
    padded = (y + r) * padded_width + x + r
    size = (int(y.max(initial=0)) + 1 + 2 * r) * padded_width
    shown, shown_pair = np.zeros(size, np.float32), np.full(size, -1, np.int32)
    shown[padded], shown_pair[padded] = value, pair  # the last entry of each pixel stays
    on_right, on_both = side == _RIGHT, side == _BOTH
    down_a_column = on_right.copy()  # a right border runs down a column
    first_right = np.searchsorted(where[on_right], where[on_both])
    down_a_column[on_both] = pair[on_right][first_right] == pair[on_both]
    beside = np.zeros(value.shape, np.float32)
    for across, step in ((down_a_column, 1), ((side != _RIGHT) & ~down_a_column,
                                              padded_width)):
        entries = np.flatnonzero(across)
        own, best = pair[entries], beside[entries]
        for offset in range(-r * step, r * step + 1, step):
            near = padded[entries] + offset
            other = shown[near]
            other[shown_pair[near] == own] = 0.0  # its own border, itself included
            np.maximum(best, other, out=best)
        beside[entries] = best
    weaker = beside > value
    lowered = value.copy()
    lowered[weaker] *= value[weaker] / beside[weaker]
    return lowered


def _cue_terms(rows: np.ndarray, names: list[str]) -> np.ndarray:
    """The sum ``(n,)`` of the terms in ``z`` of the cues ``rows`` ``(k, n)`` named ``names``:
    each cue's weight times it, and its hinge weights times its hinges if it has knots."""
    z = np.array([_CUE_WEIGHTS[name] for name in names]) @ rows
    hinge = np.empty(rows.shape[1])
    for cue, name in zip(rows, names, strict=True):
        for knot, weight in zip(_CUE_KNOTS.get(name, ()), _CUE_HINGE_WEIGHTS.get(name, ()),
                                strict=True):
            np.subtract(cue, knot, out=hinge)
            np.maximum(hinge, 0.0, out=hinge)
            hinge *= weight
            z += hinge
    return z


def _hinge_terms(cues: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """The hinges ``max(0, cue - knot)`` ``(n, m * j)`` of the first ``m`` columns of cues
    ``(n, k)``, at each of their knots ``(m, j)``: cue by cue, knot by knot."""
    m = knots.shape[0]
    return np.maximum(0.0, cues[:, :m, None] - knots[None]).reshape(cues.shape[0], knots.size)


def _open_map(lab: np.ndarray, tree: _hierarchy.Hierarchy) -> np.ndarray:
    """The open map ``(h, w)`` of Lab planes ``(3, h, w)`` and their hierarchy, at their size."""
    strength, _, _ = _open_border_strength(tree)
    return np.sqrt(tree.border_strength(strength) * _gradient_weight(lab))


def _coarse_support(lab: np.ndarray, w: dict[str, float], y: np.ndarray, x: np.ndarray
                    ) -> np.ndarray:
    """Factor ``(n,)`` in [0.5, 1] of each pixel ``(y[i], x[i])`` of the open map: is there a
    coarser border?

    The open map of the Lab planes ``(3, h, w)`` box-halved, on fewer
    superpixels (``_coarse_map``), brought back to ``(h, w)`` and widened to its
    3 x 3 maximum (the two scales' borders may lie a pixel apart), read at those
    pixels only; see ``_COARSE_SHARE``.
    """
    h, wd = lab.shape[1:]
    if min(h, wd) < _COARSE_MIN_SIDE:
        return np.ones(y.shape)
    coarse = _coarse_map(lab, w)
    rows, cols = _half_index((h, wd), coarse.shape)
    return 1.0 - _COARSE_SHARE + _COARSE_SHARE * _max_around(coarse, y, x, rows, cols)


def _coarse_map(lab: np.ndarray, w: dict[str, float]) -> np.ndarray:
    """The open map ``(h // 2, w // 2)`` of the Lab planes ``(3, h, w)`` box-halved, on fewer
    superpixels."""
    h, wd = lab.shape[1:]
    even = lab[:, : h - h % 2, : wd - wd % 2]
    # Each 2 x 2 box's mean: the sums of its two rows' pairs, added (the order in which
    # np.mean over the box's axes adds them, in a tenth of its time).
    pairs = even[:, :, 0::2] + even[:, :, 1::2]
    half = (pairs[:, 0::2] + pairs[:, 1::2]) / 4
    tree = _build_hierarchy(half, w, _COARSE_SUPERPIXELS, _OPEN_SPARSE_PASSES)
    return _open_map(half, tree)


def _max_around(plane: np.ndarray, y: np.ndarray, x: np.ndarray, rows: np.ndarray,
                cols: np.ndarray) -> np.ndarray:
    """The largest value ``(n,)`` of the map ``plane[rows[:, None], cols[None, :]]`` among
    each pixel ``(y[i], x[i])`` and its eight neighbours (sides clipped).

    ``plane`` is ``(h, w)``; ``rows`` ``(H,)`` and ``cols`` ``(W,)`` index it from the
    map's pixels. The same values as ``ndimage.maximum_filter(..., size=3,
    mode="nearest")`` read at those pixels, without making the map.
    """
    flat, width = plane.ravel(), plane.shape[1]
    around_rows = [rows[np.clip(y + d, 0, rows.shape[0] - 1)] * width for d in (-1, 0, 1)]
    around_cols = [cols[np.clip(x + d, 0, cols.shape[0] - 1)] for d in (-1, 0, 1)]
    best = flat[around_rows[1] + around_cols[1]]
    for r in around_rows:
        for c in around_cols:
            np.maximum(best, flat[r + c], out=best)
    return best


def _gradient_weight(lab: np.ndarray) -> np.ndarray:
    """Weight ``(h, w)`` in [0, 1) of each pixel of the open map: is it on a colour edge?

    ``g / (g + _GRADIENT_HALF)``, ``g`` the Lab gradient smoothed by
    ``_GRADIENT_SIGMA`` pixels, times ``g / m``, ``m`` the largest ``g`` among the
    pixel and its eight neighbours: a soft non-maximum suppression, so that
    of a superpixel border running beside an edge, the pixels on the
    gradient's ridge keep their weight and those off it lose some.
    """
    from scipy import ndimage

    gradient = edge_strength(lab, _GRADIENT_SIGMA)
    ridge = ndimage.maximum_filter(gradient, size=3, mode="nearest")
    on_ridge = gradient / np.maximum(ridge, np.finfo(np.float32).tiny)
    return gradient / (gradient + _GRADIENT_HALF) * on_ridge


def _open_border_strength(tree: _hierarchy.Hierarchy
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strength ``(E,)`` in [0, 1] of each superpixel border for the open map, and the two
    parts it mixes, ``(E,)`` each.

    The merge height relative to the image's own (its ``_HEIGHT_QUANTILE``
    merge height), so that a low-contrast photo's borders reach as high as a
    vivid one's, mixed with the border's spectral strength (how sharply the
    superpixel graph's leading eigenvectors change across it).
    """
    reference = np.quantile(tree.heights, _HEIGHT_QUANTILE) if tree.n_leaves > 1 else 0.0
    heights = tree.pair_heights
    relative = heights / np.maximum(heights + reference, np.finfo(np.float64).tiny)
    mean_edge = tree.pair_edges / tree.pair_lengths
    affinity = tree.pair_lengths * np.exp(-mean_edge / _SPECTRAL_SCALE)
    spectral = spectral_border_strength(tree.n_leaves, tree.pairs, affinity, _SPECTRAL_VECTORS)
    return (1.0 - _SPECTRAL_SHARE) * relative + _SPECTRAL_SHARE * spectral, relative, spectral


# The entries of _border_cues: a pixel's border with its right neighbour alone, with its
# lower neighbour alone, or both at once.
_RIGHT, _BELOW, _BOTH = 0, 1, 2


def _border_cues(lab: np.ndarray, w: dict[str, float]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open map's border entries on the working copy and their cues ``(n, 26)``.

    ``lab`` is the working copy's Lab planes ``(3, h, w)``. Brought to full size,
    a working pixel's right border runs down the last column of its box, its lower
    border along the last row, and the box's last pixel is on both: each pixel on
    a border has an entry for each way (``_RIGHT``, ``_BELOW``, and ``_BOTH`` when
    it has both borders), whose cues are those of every full-size pixel it stands
    for. Returns the entries' pixels (flat indices), ways and cues, the right
    entries first, then the lower, then those on both, each in raster order.

    The superpixels settle in sparse passes (``_OPEN_SPARSE_PASSES``). The columns,
    in the order of ``_CUE_WEIGHTS``: of the superpixel border (of an entry on two, the
    stronger by ``b``) the log of its strength ``b``
    (``_open_border_strength``), the log of the second view's factor
    (``_coarse_support``), the relative height and the spectral strength that ``b``
    mixes; ``log1p`` of the Lab gradient ``g1``
    (``edge_strength``, sigma 1) and the log of its share of its 3 x 3 maximum
    ``m1``; the log of the border's length and ``log1p`` of its mean edge strength
    and of its merge height; then ``log1p`` of, at each of ``_CUE_BOXES`` in turn,
    the Lab contrast of the two boxes that touch at the pixel (the largest of four
    orientations), of the spread of L* in the box around it, and of the contrast
    of that spread between the two boxes (a texture difference); last ``log1p`` of
    the colour-mix difference across the pixel: the chi-squared distance of the
    histograms of ``_CUE_COLOUR_BINS`` k-means colours of the image in boxes on
    either side of it (``opposite_histogram_difference``, radius ``_CUE_MIX_RADIUS``);
    then the mean of each of the ten pixel's own cues (all but the first four and the
    three of its border) over the pixels of the entry's border, in their order
    (``_border_means``). The pixel's own cues are worked out once per pixel, whatever
    its entries.
    """
    _, where, side, pair, at, per_pair, own, n_single = _border_parts(lab, w)
    b, relative, spectral, length, mean_edge, height = per_pair[:, pair]
    own = own[:, at]
    columns = [
        b, own[0], relative, spectral, *own[1:3], length, mean_edge, height, *own[3:],
        *_border_means(own, pair, n_single),
    ]
    return where, side, np.stack(columns, axis=1)


# The cues of _border_cues that belong to a superpixel border, and those of a pixel.
_PAIR_CUES = ["log b", "relative height", "spectral", "log length", "log1p mean edge",
              "log1p height"]
_OWN_CUES = [name for name in list(_CUE_WEIGHTS)[:len(_CUE_KNOTS)] if name not in _PAIR_CUES]


def _border_parts(lab: np.ndarray, w: dict[str, float]) -> tuple[np.ndarray, ...]:
    """The parts of ``_border_cues``: the superpixels' hierarchy; ``where`` and ``side``;
    each entry's superpixel border
    ``pair`` and the index ``at`` of its pixel among the border pixels; the cues
    ``(6, n_pairs)`` of each superpixel border, in the order of ``_PAIR_CUES``; the cues
    ``(10, n_pixels)`` of each border pixel (``_pixel_cues``, the order of ``_OWN_CUES``);
    and the number of entries on one border (the first ones).
    """
    edges = edge_strength(lab)
    tree = _build_hierarchy(lab, w, sparse_passes=_OPEN_SPARSE_PASSES, edges=edges)
    strength, relative, spectral = _open_border_strength(tree)
    per_pair = np.stack([np.log(strength + 1e-4), relative, spectral, np.log(tree.pair_lengths),
                         np.log1p(tree.pair_edges / tree.pair_lengths),
                         np.log1p(tree.pair_heights)]).astype(np.float64, copy=False)
    right, below = (pair.ravel() for pair in tree.border_pairs())
    on_right, on_below = np.flatnonzero(right >= 0), np.flatnonzero(below >= 0)
    on_both = np.flatnonzero((right >= 0) & (below >= 0))
    where = np.concatenate([on_right, on_below, on_both])
    side = np.repeat([_RIGHT, _BELOW, _BOTH], [on_right.size, on_below.size, on_both.size])
    stronger = np.where(strength[right[on_both]] >= strength[below[on_both]],
                        right[on_both], below[on_both])
    pair = np.concatenate([right[on_right], below[on_below], stronger])
    on_either = (right >= 0) | (below >= 0)
    pixels = np.flatnonzero(on_either)
    at = (np.cumsum(on_either) - 1)[where]  # the rank of each entry's pixel among them
    own = _pixel_cues(lab, w, edges, *np.divmod(pixels, lab.shape[2]))
    return (tree, where, side, pair, at, per_pair, own.astype(np.float64, copy=False),
            on_right.size + on_below.size)


def _border_means(own: np.ndarray, pair: np.ndarray, n_single: int) -> np.ndarray:
    """The mean ``(k, n)`` of each of the cues ``own`` ``(k, n)`` of the entries of
    ``_border_cues`` over the pixels of each entry's border, pair ``pair[i]``; the first
    ``n_single`` entries are the border's pixels (those on two borders come again after).
    """
    n_pairs = int(pair.max(initial=-1)) + 1
    count = np.maximum(np.bincount(pair[:n_single], minlength=n_pairs), 1)
    return np.stack([(np.bincount(pair[:n_single], cue[:n_single], n_pairs) / count)[pair]
                     for cue in own])


def _own_size_border_cues(lab: np.ndarray, w: dict[str, float]
                          ) -> tuple[np.ndarray, np.ndarray]:
    """The open map's border pixels of the Lab planes ``lab`` ``(3, h, w)`` drawn at their
    own size (flat indices, ascending) and their cues ``(n, 26)``: each pixel's entry of
    ``_border_cues``, that for both borders on a pixel that has two (what
    :func:`boundary_map` shows of an image that is its own working copy)."""
    where, side, cues = _border_cues(lab, w)
    order = np.lexsort((side, where))
    shown = order[np.append(where[order][1:] != where[order][:-1], True)]
    return where[shown], cues[shown]


def _pixel_cues(lab: np.ndarray, w: dict[str, float], edges: np.ndarray, y: np.ndarray,
                x: np.ndarray) -> np.ndarray:
    """The cues ``(10, n)`` of ``_border_cues`` that belong to pixels ``(y[i], x[i])`` of the
    Lab planes ``lab``, whatever their border: the log of the second view's factor, the
    gradient's two, the boxes' six and the colour mix. ``edges`` is ``edge_strength(lab)``.
    """
    g1 = edges[y, x]
    m1 = _max_around(edges, y, x, np.arange(edges.shape[0]), np.arange(edges.shape[1]))
    columns = [
        np.log(_coarse_support(lab, w, y, x)),
        np.log1p(g1), np.log(g1 / np.maximum(m1, np.finfo(np.float32).tiny) + 1e-4),
    ]
    colour, busy, texture = [], [], []
    for size in _CUE_BOXES:
        means, spread = box_statistics(lab, size)
        colour.append(opposite_difference(means, y, x, (size + 1) // 2))
        busy.append(spread[y, x])
        texture.append(opposite_difference(spread[None], y, x, (size + 1) // 2))
    columns += [np.log1p(c) for c in colour + busy + texture]
    bins = colour_bins(lab, _CUE_COLOUR_BINS)
    mix = opposite_histogram_difference(bins, _CUE_COLOUR_BINS, y, x, _CUE_MIX_RADIUS)
    columns.append(np.log1p(mix))
    return np.stack([np.asarray(c, dtype=np.float64) for c in columns])


def _build_hierarchy(lab: np.ndarray, w: dict[str, float], superpixels: int = SUPERPIXELS,
                     sparse_passes: int = 0, edges: np.ndarray | None = None,
                     small_image: bool = False) -> _hierarchy.Hierarchy:
    """About ``superpixels`` superpixels of Lab planes ``(3, h, w)`` and their merge hierarchy.

    ``sparse_passes``: local k-means passes on a quarter of the pixels (see
    ``local_kmeans``). ``edges``: ``edge_strength(lab)``, when the caller has it.
    ``small_image``: on a tiny image (shorter side under 18), cells under ``_MIN_STEP``
    (``_superpixel_step``) and merge costs that count sizes against ``_MIN_COST_AREA``, as
    :func:`segment` and the closed map cut it; the open map keeps the cells and costs its
    cues were fitted on.
    """
    labels = _superpixel_labels(lab, w, superpixels, sparse_passes, small_image)
    return _merge_superpixels(labels, lab, w, edges, small_image)


def _superpixel_labels(lab: np.ndarray, w: dict[str, float], superpixels: int,
                       sparse_passes: int, small_image: bool) -> np.ndarray:
    """The superpixels ``(h, w)`` of :func:`_build_hierarchy`, numbered 0..n-1."""
    step = _superpixel_step(lab.shape[1:], superpixels, small_image)
    compactness = _COMPACTNESS * math.sqrt(w["xy"] / 0.3)
    clusters = local_kmeans(lab, step, compactness, _SUPERPIXEL_PASSES, sparse_passes)
    return connected_superpixels(clusters, lab, _smallest_superpixel(step))[0]


def _merge_superpixels(labels: np.ndarray, lab: np.ndarray, w: dict[str, float],
                       edges: np.ndarray | None, small_image: bool) -> _hierarchy.Hierarchy:
    """The merge hierarchy of :func:`_build_hierarchy` over the superpixels ``labels``."""
    tiny = small_image and min(lab.shape[1:]) < _MIN_CELLS_ACROSS * _MIN_STEP
    area = max(labels.size, _MIN_COST_AREA) if tiny else labels.size
    cost = _hierarchy.MergeCost(_EDGE_WEIGHT, _SIZE_POWER, float(area))
    edges = edge_strength(lab) if edges is None else edges
    return _hierarchy.build_hierarchy(labels, region_planes(lab, w), edges, cost)


def _smallest_superpixel(step: int) -> int:
    """The fewest pixels a superpixel of cells of side ``step`` keeps: a smaller piece of
    one joins a neighbour."""
    return max(4, step * step // 4)


def _superpixel_step(shape: tuple[int, int], superpixels: int, small: bool) -> int:
    """The superpixels' cell side on Lab planes of ``shape`` (h, w): about ``superpixels``
    cells, but no side under ``_MIN_STEP`` pixels, unless ``small`` and the shorter side is
    under three times that: then no side over a third of it (3 at least), or a shape a
    third of a tiny image wide shares its cells with the background and cannot be told
    from it."""
    floor = _MIN_STEP
    if small:
        floor = min(_MIN_STEP, max(_MIN_SMALL_STEP, min(shape) // _MIN_CELLS_ACROSS))
    return max(floor, cell_step(shape, superpixels))


def _superpixel_tree(lab: np.ndarray, w: dict[str, float], superpixels: int | None,
                     n_regions: int | None) -> tuple[_hierarchy.Hierarchy, int]:
    """The merge hierarchy :func:`segment` cuts, of about ``superpixels`` superpixels of
    the Lab planes ``lab`` (:data:`SUPERPIXELS` when None), and the smallest superpixel it
    keeps (working pixels). When ``superpixels`` is None and ``n_regions`` is more than
    the default's superpixels, of about ``_RAISED_SUPERPIXELS * n_regions`` instead: a
    cut at ``n_regions`` needs that many superpixels at least (and the hierarchy is built
    over those alone)."""
    count = SUPERPIXELS if superpixels is None else superpixels
    if superpixels is not None:
        _warn_if_superpixels_capped(lab.shape[1:], superpixels)
    labels = _superpixel_labels(lab, w, count, 0, True)
    if superpixels is None and n_regions is not None and n_regions > int(labels.max()) + 1:
        count = _RAISED_SUPERPIXELS * n_regions
        labels = _superpixel_labels(lab, w, count, 0, True)
    tree = _merge_superpixels(labels, lab, w, None, True)
    return tree, _smallest_superpixel(_superpixel_step(lab.shape[1:], count, True))


class SuperpixelCountWarning(QuantizeWarning):
    """``superpixels`` asks for more superpixels than the working copy holds in cells of the
    smallest side (6 working pixels, fewer on a tiny image): the cells are of that side,
    and a larger number changes nothing."""


def _warn_if_superpixels_capped(shape: tuple[int, int], superpixels: int) -> None:
    """Say that ``superpixels`` (given) is more than the working copy of ``shape`` (h, w)
    holds in cells of the smallest side (:func:`_superpixel_step`), and how many cells are
    used instead; nothing when cells of that side are what it asks for."""
    step = _superpixel_step(shape, superpixels, True)
    if cell_step(shape, superpixels) >= step:
        return
    cells = -(-shape[0] // step) * -(-shape[1] // step)
    warn_caller(f"superpixels={superpixels} is more than the {shape[1]} x {shape[0]} working "
                f"copy holds in cells of at least {step} pixels a side: {cells} cells of "
                f"{step} are used, as for any larger number", SuperpixelCountWarning)


def _segment_hierarchy(rgb: np.ndarray, alpha: np.ndarray | None, w: dict[str, float],
                       n_regions: int | None, min_region: int,
                       given: int | str | None = None,
                       superpixels: int | None = None) -> SegmentResult:
    """Regions of the hierarchy cut at ``n_regions`` (:func:`_cut_full_size`) or at
    :data:`DEFAULT_LEVEL`; small regions merge by the colours segmented (``rgb``,
    transparent pixels filled), and each region's centre is the mean colour of its pixels
    that ``alpha`` shows. ``given`` is ``min_region`` as the caller gave it (a share), for
    the warnings to say; ``superpixels`` as given (:func:`_superpixel_tree`)."""
    work, factor = _working_copy(rgb)
    lab = lab_planes(work)
    tree, speck = _superpixel_tree(lab, w, superpixels, n_regions)
    full = _FullSize(tree, lab, rgb, factor, alpha, min_region, speck)
    asked = n_regions
    if n_regions is None:
        height = DEFAULT_LEVEL * _HALF_HEIGHT / (1.0 - DEFAULT_LEVEL)
        leaf_lab = _leaf_moments(lab.reshape(3, -1).T.astype(np.float64), tree.labels.ravel(),
                                 tree.n_leaves)  # for both rules: summed over the pixels once
        region_of = _split_flat_unlike(tree, leaf_lab, w, height)
        region_of = _unite_flat_alike(tree, leaf_lab, region_of)
        region_of = _merge_slivers(tree, _leaf_colours(tree, work), region_of)
        components, sums, n = full.regions(region_of, exact=False)
    else:
        if n_regions > tree.n_leaves:
            superpixels = "superpixel" if tree.n_leaves == 1 else "superpixels"
            warn_caller(f"regions={n_regions} but the image has only {tree.n_leaves} "
                        f"{superpixels}; cutting at {tree.n_leaves}", RegionCountWarning)
            n_regions = tree.n_leaves
        components, sums, _ = _cut_full_size(full, work, n_regions)
    n_final = sums.area.size - 1
    if asked is None and n_final == 1 < n:
        _warn_if_min_region_merges_all(min_region, *rgb.shape[:2], merged=True, given=given)
    elif asked is not None and n_final < n_regions and min_region > 0:
        _warn_regions_short(asked, n_final, min_region, rgb.shape[:2], given)
    clusters = np.arange(n_final, dtype=np.intp)
    result = SegmentResult(components, clusters, sums.shown_means()[1:], rgb, w, min_region,
                           alpha)
    return result._with_sums(sums)


def _warn_regions_short(asked: int, n_final: int, min_region: int, shape: tuple[int, ...],
                        given: int | str | None) -> None:
    """Say that ``regions=asked`` gave ``n_final`` regions of at least ``min_region`` pixels
    of an image of ``shape``: the most :func:`_cut_full_size` found."""
    height, width = shape[:2]
    limit = _min_region_words(given, min_region)
    warn_caller(f"regions={asked} but min_region={limit} leaves {n_final}: no cut of the "
                f"region hierarchy of this {width} x {height} image ({height * width} "
                f"pixels) into more regions of at least {min_region} pixels was found; lower it "
                "for more", RegionCountWarning)


def _min_region_words(given: int | str | None, limit: int) -> str:
    """``min_region`` as a warning says it: as given, and a share's pixels in brackets.

    >>> _min_region_words("0.1%", 2460), _min_region_words(None, 2460)
    ('0.1% (2460 pixels)', '2460')
    """
    return f"{given} ({limit} pixels)" if isinstance(given, str) else str(limit)


class _FullSize:
    """The full-size regions of cuts of ``tree`` (made on ``lab``, the Lab planes of the
    working copy of ``rgb``, box-downscaled by ``factor``), those under ``min_region``
    pixels merged into their neighbours (:meth:`_FullSize.regions`), ``alpha`` showing
    the pixels the regions' colours are of; ``speck`` is the tree's smallest superpixel
    (working pixels, :func:`_smallest_superpixel`)."""

    def __init__(self, tree: _hierarchy.Hierarchy, lab: np.ndarray, rgb: np.ndarray,
                 factor: int, alpha: np.ndarray | None, min_region: int,
                 speck: int) -> None:
        self.tree, self.lab, self.rgb, self.factor = tree, lab, rgb, factor
        self.alpha, self.min_region, self.speck = alpha, min_region, speck
        self.smallest = 0  # of the regions of the last cut, before the merges

    def regions(self, region_of: np.ndarray, *, exact: bool
                ) -> tuple[np.ndarray, _regions.RegionSums, int]:
        """The regions ``(H, W)`` int32, numbered 1.. in raster order, of the cut that
        puts the superpixels in regions ``region_of`` (:func:`_full_size_regions`), those
        under ``min_region`` merged, their sums, and the regions before the merges."""
        components, sums = _full_size_regions(region_of, self.tree.labels, self.lab,
                                              self.rgb, self.factor, self.alpha, exact=exact,
                                              speck=self.speck)
        n = sums.area.size - 1
        self.smallest = int(sums.area[1:].min())
        if 0 < self.smallest < self.min_region:  # else merging leaves them
            # The map's components are numbered as its runs number them: the runs, read a
            # band of rows at a time, give the touching pairs, and the map is renumbered
            # in place.
            runs = _regions.region_runs(lambda start, stop: components[start:stop],
                                        components.shape)
            mapping = _regions.merge_regions(sums.area, runs.pairs, sums.means(),
                                             self.min_region)
            _renumber_in_bands(components, mapping.astype(np.int32))
            sums = sums.merged(mapping, int(mapping.max()))
        return components, sums, n


def _cut_full_size(full: _FullSize, work: np.ndarray, n_regions: int
                   ) -> tuple[np.ndarray, _regions.RegionSums, int]:
    """:meth:`_FullSize.regions` of the cut of its hierarchy at ``n_regions``
    (:func:`_cut_without_slivers`; ``work`` the working copy); when the regions under
    ``min_region`` merged leave fewer, of a cut into regions of ``min_region`` or more
    (:func:`_cut_of_large`) that leaves more, if one is found (see
    :data:`_FULL_SIZE_TRIES`)."""
    tree, min_region = full.tree, full.min_region
    leaves = _leaf_colours(tree, work)
    found = full.regions(_cut_without_slivers(tree, leaves, n_regions, min_region,
                                              full.factor ** 2), exact=True)
    if min_region == 0 or found[1].area.size - 1 >= n_regions:
        return found
    area = np.bincount(tree.labels.ravel(), _box_areas(full.rgb.shape, full.factor),
                       minlength=tree.n_leaves)
    limit = min_region
    for _ in range(_FULL_SIZE_TRIES):
        region_of = _cut_of_large(tree, leaves, n_regions, area, limit)
        cut = full.regions(region_of, exact=True)
        if cut[1].area.size > found[1].area.size:
            found = cut
        if cut[1].area.size - 1 >= n_regions or full.smallest >= min_region:
            break  # N, or the most the hierarchy makes
        limit = np.bincount(region_of, area).min() + 1  # its smallest region not again
    return found


def _box_areas(shape: tuple[int, ...], factor: int) -> np.ndarray:
    """``(h * w,)`` float64: the full-size pixels of each working pixel of an image of
    ``shape`` (:func:`_working_copy`), ``factor`` x ``factor`` but for the last boxes of a
    side that is no multiple of it.

    >>> _box_areas((3, 5), 2).reshape(2, 3).tolist()
    [[4.0, 4.0, 2.0], [2.0, 2.0, 1.0]]
    """
    rows, cols = (np.bincount(index).astype(np.float64) for index in _box_index(shape, factor))
    return np.outer(rows, cols).ravel()


def _full_size_regions(region_of: np.ndarray, leaves: np.ndarray, lab: np.ndarray,
                       rgb: np.ndarray, factor: int, alpha: np.ndarray | None, *,
                       speck: int, exact: bool = False
                       ) -> tuple[np.ndarray, _regions.RegionSums]:
    """The regions ``(H, W)`` int32 of the image ``rgb`` whose superpixels ``leaves``
    ``(h, w)`` (of the working copy, Lab planes ``lab``, ``rgb`` box-downscaled by
    ``factor``) are in regions ``region_of``, numbered 1..n in raster order, and their
    :func:`~quantize.reconstruct.regions.region_sums` (over ``rgb``, ``alpha``).

    On the image itself they are the map's 4-connected components. On a working copy
    the superpixels are brought to full size along the image's own edges
    (:func:`~quantize.reconstruct.refine.refined_labels`), and the components are found
    on their regions there, a band of rows at a time. A piece the moved borders cut off
    a region joins a neighbour (:func:`_join_cut_off`) when it is smaller than the
    smallest superpixel (``speck`` working pixels, that :func:`_segment_hierarchy`'s
    hierarchy keeps, brought to full size); a larger one is a region of its own, but
    when ``exact`` (``regions=N``, whose count is its promise): then every piece beyond
    a region's own number of pieces on the working copy joins a neighbour, so that the
    count is the working copy's.
    """
    working, n = _regions.connected_regions(region_of[leaves])
    if factor == 1:
        return working, _regions.region_sums(working, rgb, n, alpha)
    full = refined_labels(leaves, lab, rgb, factor, groups=region_of)
    table = region_of.astype(np.int32)
    runs = _regions.region_runs(lambda start, stop: table[full[start:stop]], full.shape)
    pieces = np.bincount(region_of[leaves].ravel()[np.unique(working, return_index=True)[1]],
                         minlength=table.size)
    limit = full.size + 1 if exact else speck * factor * factor  # larger than any piece
    components = runs.label_map()
    sums = _regions.region_sums(components, rgb, runs.n, alpha)
    mapping = _join_cut_off(runs, pieces, factor * factor, limit, sums.means())
    n = int(mapping.max())
    if n < runs.n:
        _renumber_in_bands(components, mapping.astype(np.int32))
        sums = sums.merged(mapping, n)
    return components, sums


def _join_cut_off(runs: _regions.RegionRuns, pieces: np.ndarray, box: int,
                  speck: int, means: np.ndarray) -> np.ndarray:
    """The renumbering ``(n + 1,)`` of the full-size components ``runs`` that joins the
    specks moved borders cut off a region to the neighbour nearest to them in mean colour
    ``means`` ``(n + 1, 3)`` (RGB, as the ``min_region`` merges choose), numbered 1.. in
    raster order of the joined components' first pixels.

    A speck is smaller than ``speck`` pixels and beyond the ``pieces[value]`` largest
    components of its value (its number of components on the working copy), or smaller
    than a ``box`` of pixels, which no region of the working copy is. A larger piece
    keeps its borders: the moved borders cut the region where the image's own edges
    do, through a neck a box or two wide.
    """
    n, area = runs.n, runs.areas()
    value = np.zeros(n + 1, dtype=np.int64)
    value[runs.regions] = runs.values
    order = np.lexsort((-area[1:], value[1:])) + 1  # by value, the largest first
    rank = np.empty(n + 1, dtype=np.int64)
    rank[order] = np.arange(n) - np.searchsorted(value[order], value[order])
    cut_off = np.flatnonzero(((rank[1:] >= pieces[value[1:]]) & (area[1:] < speck))
                             | (area[1:] < box)) + 1
    target = np.arange(n + 1)
    whole = np.ones(n + 1, dtype=bool)
    whole[cut_off] = False
    if cut_off.size and runs.pairs.size:
        a, b = runs.pairs[:, 0], runs.pairs[:, 1]
        for piece in cut_off:  # a few specks
            beside = np.concatenate([b[a == piece], a[b == piece]])
            # a whole region first; else a larger piece, which joins one in turn
            beside = beside[whole[beside] | (area[beside] > area[piece])
                            | ((area[beside] == area[piece]) & (beside < piece))]
            if beside.size:  # of those, the nearest in colour; among equals the largest
                apart = ((means[beside] - means[piece]) ** 2).sum(axis=1)
                target[piece] = beside[np.lexsort((-area[beside], apart, ~whole[beside]))[0]]
        while (target[target] != target).any():  # the pieces joined to a piece
            target = target[target]
    first = np.arange(n + 1)  # a joined component's first pixel is its members' first
    np.minimum.at(first, target, np.arange(n + 1))
    _, numbered = np.unique(first[target], return_inverse=True)
    return numbered.astype(np.int32)


def _split_flat_unlike(tree: _hierarchy.Hierarchy, leaf_lab: np.ndarray,
                       w: dict[str, float], height: float) -> np.ndarray:
    """Each superpixel's region in the cut of ``tree`` at ``height``, with the flat, unlike
    and crisply bordered regions that its merges joined apart again (see
    :data:`_APART_SPREAD`), ``leaf_lab`` being the superpixels' :func:`_leaf_moments` of
    the working copy's Lab colours and ``w`` the weights the merge costs were worked out
    with."""
    n, n_regions = tree.n_leaves, tree.regions_below(height)
    region_of = tree.cut(n_regions)
    joined = tree.merges[:n - n_regions]
    stats = _node_colours(leaf_lab, joined)
    count, mean = stats[:, 0], stats[:, 1:4] / stats[:, :1]
    flat = spread(mean, stats[:, 4:] / stats[:, :1]) <= _APART_SPREAD
    a, b = joined[:, 0], joined[:, 1]
    apart = np.sqrt(((mean[a] - mean[b]) ** 2 * _colour_weights(w)).sum(axis=1))
    for i in np.flatnonzero(flat[a] & flat[b] & (apart > _APART_UNLIKE))[::-1]:  # top down
        left, right = _leaves_under(tree.merges, a[i]), _leaves_under(tree.merges, b[i])
        rest = region_of == region_of[left[0]]
        rest[left] = rest[right] = False
        if (count[:n][rest].sum() > _APART_REST * count[n + i]
                or not _crisp_border(tree, left, right, apart[i], height)):
            continue
        rest_sums = stats[:n][rest].sum(axis=0)  # the rest stays with the side nearer to it
        to_rest = np.linalg.norm(mean[joined[i]] - rest_sums[1:4] / max(rest_sums[0], 1.0),
                                 axis=1)
        region_of[right if to_rest[1] >= to_rest[0] else left] = region_of.max() + 1
    return region_of


def _colour_weights(w: dict[str, float]) -> np.ndarray:
    """``(3,)``: the weight of each Lab channel's squared difference in the merge cost, as
    ``region_planes`` weighs them (colour, and intensity on L*)."""
    colour = w["color"] or float(not (w["intensity"] > 0 or w["texture"] > 0))
    return np.array([colour + w["intensity"], colour, colour])


def _leaf_moments(colours: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """``(n, 7)`` float64: the pixel count, the colour sums and the sums of the colours'
    squares of each of ``n`` superpixels, ``colours`` ``(h*w, 3)`` being the pixels' and
    ``labels`` ``(h*w,)`` their superpixels. A region, a union of superpixels, sums theirs.

    >>> _leaf_moments(np.array([[1.0, 2, 3], [3, 2, 1]]), np.array([0, 0]), 1).tolist()
    [[2.0, 4.0, 4.0, 4.0, 10.0, 8.0, 10.0]]
    """
    count, sums = group_sums(colours, labels, n)
    _, squares = group_sums(colours * colours, labels, n)
    return np.column_stack([count, sums, squares])


def _node_colours(leaf_stats: np.ndarray, joined: np.ndarray) -> np.ndarray:
    """``(n + m, 7)`` float64: the :func:`_leaf_moments` ``leaf_stats`` of the ``n``
    superpixels of a hierarchy, then those of the regions its first ``m`` merges,
    ``joined``, make (its nodes, numbered as there)."""
    n = leaf_stats.shape[0]
    stats = np.zeros((n + joined.shape[0], 7))
    stats[:n] = leaf_stats
    for node, (a, b) in enumerate(joined.tolist(), start=n):
        stats[node] = stats[a] + stats[b]
    return stats


def _leaves_under(merges: np.ndarray, node: int) -> np.ndarray:
    """The leaves (superpixels) under ``node`` of the hierarchy of ``merges``."""
    n = merges.shape[0] + 1
    leaves, nodes = [], [int(node)]
    while nodes:
        node = nodes.pop()
        if node < n:
            leaves.append(node)
        else:
            nodes += merges[node - n].tolist()
    return np.array(leaves, dtype=np.intp)


def _crisp_border(tree: _hierarchy.Hierarchy, left: np.ndarray, right: np.ndarray,
                  apart: float, height: float) -> bool:
    """Whether the regions of superpixels ``left`` and ``right``, ``apart`` in colour as
    the merge cost weighs it, have a crisp border: a mean edge strength along it at least
    :data:`_APART_EDGE` times ``apart``, and a merge cost without its size term above
    ``height``."""
    side = np.zeros(tree.n_leaves, dtype=np.int8)
    side[left], side[right] = 1, 2
    border = side[tree.pairs[:, 0]] * side[tree.pairs[:, 1]] == 2
    edge = tree.pair_edges[border].sum() / tree.pair_lengths[border].sum()
    return bool(edge >= _APART_EDGE * apart
                and math.hypot(apart, math.sqrt(_EDGE_WEIGHT) * edge) > height)


def _unite_flat_alike(tree: _hierarchy.Hierarchy, leaf_lab: np.ndarray,
                      region_of: np.ndarray) -> np.ndarray:
    """``region_of`` (each superpixel's region) with neighbouring regions that are flat
    and of one colour united (:data:`_FLAT_SPREAD`, :data:`_FLAT_ALIKE`), ``leaf_lab``
    being the superpixels' :func:`_leaf_moments` of the working copy's Lab colours."""
    n = int(region_of.max()) + 1
    stats = group_sums(leaf_lab, region_of, n)[1]
    mean = stats[:, 1:4] / stats[:, :1]
    flat = spread(mean, stats[:, 4:] / stats[:, :1]) <= _FLAT_SPREAD
    a, b = region_of[tree.pairs[:, 0]], region_of[tree.pairs[:, 1]]
    alike = ((a != b) & flat[a] & flat[b]
             & (np.linalg.norm(mean[a] - mean[b], axis=1) <= _FLAT_ALIKE))
    if not alike.any():
        return region_of
    return _regions.linked_components(a[alike], b[alike], n)[region_of]


@dataclass(frozen=True, eq=False)
class _LeafColours:
    """The working copy's RGB colours grouped by the superpixels (the leaves of a
    hierarchy) that a cut's regions are unions of, summed once for every round of
    :func:`_merge_slivers` and every cut :func:`_cut_without_slivers` tries."""

    colours: np.ndarray  # (h*w, 3) float32: each working pixel's colour
    labels: np.ndarray  # (h*w,) intp: each working pixel's superpixel
    count: np.ndarray  # (n,) float64: each superpixel's pixels
    sums: np.ndarray  # (n, 3) float64: the sums of their colours (exact: integer colours)
    squares: np.ndarray  # (n, 3) float64: and of their squares
    # What a round of _merge_slivers decided for each region it met, by the region's
    # superpixels and its neighbours' (region_keys): the place among its neighbours of the
    # one it joins, or -1. A region decides from those alone, so the same region beside
    # the same neighbours decides the same in every round and every cut tried: a search
    # for a cut (_search_cut) meets most regions again and again, and decides each once.
    joins: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict, init=False,
                                                         repr=False)
    _names: dict[bytes, int] = field(default_factory=dict, init=False, repr=False)

    def region_keys(self, order: np.ndarray, first: np.ndarray, starts: np.ndarray,
                    beside: np.ndarray) -> list[tuple[int, tuple[int, ...]]]:
        """The key in :attr:`_LeafColours.joins` of each region ``s``, its superpixels being
        ``order[first[s]:first[s + 1]]`` (ascending) and its neighbours
        ``beside[starts[s]:starts[s + 1]]`` (:func:`_region_neighbours`): a number for
        its set of superpixels, and those of its neighbours, in their order."""
        runs, cuts = order.astype(np.int64).tobytes(), (8 * first).tolist()
        names = self._names
        own = [names.setdefault(runs[a:b], len(names))
               for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        near, ends = np.asarray(own)[beside].tolist(), starts.tolist()
        return [(name, tuple(near[a:b]))
                for name, a, b in zip(own, ends[:-1], ends[1:], strict=True)]

    @cached_property
    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """The pixels sorted by superpixel, and where each superpixel's run starts and the
        last ends ``(n + 1,)``: sorted once, when a region's pixels are first asked for."""
        starts = np.concatenate([[0], np.cumsum(self.count)]).astype(np.intp)
        return np.argsort(self.labels, kind="stable"), starts

    @cached_property
    def _distances(self) -> np.ndarray:
        """Each pixel's distance in colour from its superpixel's mean, ascending within each
        superpixel, and the superpixels one after another, each offset by
        ``_DISTANCE_OFFSET`` times its number (so all ascending, for one search)."""
        mean = self.sums / self.count[:, None]
        step = self.colours - mean[self.labels]
        key = np.sqrt(np.einsum("ij,ij->i", step, step)) + _DISTANCE_OFFSET * self.labels
        return np.sort(key)

    def pixels_beyond(self, leaf: np.ndarray, distance: np.ndarray) -> np.ndarray:
        """``(m,)``: how many pixels of each superpixel ``leaf`` lie ``distance`` (below
        _DISTANCE_OFFSET) or farther from its mean colour."""
        inside = np.searchsorted(self._distances,
                                 _DISTANCE_OFFSET * leaf + np.maximum(distance, 0.0))
        return self._runs[1][leaf + 1] - inside

    def pixel_runs(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pixels of the superpixels ``members``, superpixel after superpixel, and the
        index in ``members`` of each one's superpixel."""
        order, starts = self._runs
        at, pixel = _ragged_entries(starts, members)
        return order[pixel], at

    def pixels_of(self, members: np.ndarray) -> np.ndarray:
        """The indices, in raster order, of the pixels of the superpixels ``members``."""
        order, starts = self._runs
        runs = [order[starts[i]:starts[i + 1]] for i in members.tolist()]
        return np.sort(np.concatenate(runs))


def _leaf_colours(tree: _hierarchy.Hierarchy, work: np.ndarray) -> _LeafColours:
    """The colours of ``work`` ``(h, w, 3)`` uint8, the working copy the superpixels of
    ``tree`` were made on, grouped by superpixel."""
    colours = work.reshape(-1, 3).astype(np.float32)
    labels = tree.labels.ravel().astype(np.intp)  # bincount's index type: cast once
    stats = _leaf_moments(colours, labels, tree.n_leaves)
    return _LeafColours(colours, labels, stats[:, 0], stats[:, 1:4], stats[:, 4:])


def _merge_slivers(tree: _hierarchy.Hierarchy, leaves: _LeafColours, region_of: np.ndarray
                   ) -> np.ndarray:
    """``region_of`` (each superpixel's region) with each sliver merged into the neighbour
    nearest to it in colour (see :data:`_SLIVER_MIX`), and each region of no colour of its
    own into the neighbour whose colour most of it is (see :data:`_MIXED_SHARE`), ``leaves``
    being the colours of the superpixels of ``tree`` (:func:`_leaf_colours`)."""
    for _ in range(_SLIVER_ROUNDS):
        n = int(region_of.max()) + 1
        links = _sliver_links(tree, leaves, region_of, n)
        if not links.size:
            break
        region_of = _regions.linked_components(links[:, 0], links[:, 1], n)[region_of]
    return region_of


def _sliver_links(tree: _hierarchy.Hierarchy, leaves: _LeafColours, region_of: np.ndarray,
                  n: int) -> np.ndarray:
    """``(m, 2)``: each region of ``region_of`` (0..n-1) that one round of
    :func:`_merge_slivers` joins to a neighbour, and that neighbour: a thin region by
    :func:`_mixed_of`, a thicker one by :func:`_side_of_thick`, which is asked only of the
    regions :func:`_may_join_larger` leaves (it would find nothing for the others). A
    region met before beside the same neighbours is not decided again
    (:attr:`_LeafColours.joins`)."""
    starts, beside = _region_neighbours(tree, region_of, n)
    order = np.argsort(region_of, kind="stable")  # each region's superpixels, ascending
    first = np.concatenate(([0], np.cumsum(np.bincount(region_of, minlength=n))))
    keys = leaves.region_keys(order, first, starts, beside)
    place = np.array([leaves.joins.get(key, -2) for key in keys], dtype=np.intp)
    new = np.flatnonzero(place == -2)
    if new.size:
        count = np.bincount(region_of, leaves.count, minlength=n)
        mean = group_sums(leaves.sums, region_of, n)[1] / count[:, None]
        spreads = spread(mean, group_sums(leaves.squares, region_of, n)[1] / count[:, None])
        thin = _thin_regions(region_of.astype(np.int32)[tree.labels], n)
        asked = np.zeros(n, dtype=bool)
        asked[new] = True
        asked &= thin | _may_join_larger(leaves, region_of, mean, spreads, count, starts,
                                         beside, asked)
        for s in new.tolist():
            neighbours = beside[starts[s]:starts[s + 1]]
            t = None
            if thin[s]:
                t = _mixed_of(mean, s, neighbours)
            elif asked[s]:
                members = order[first[s]:first[s + 1]]
                t = _side_of_thick(leaves, members, mean, spreads, count, s, neighbours)
            place[s] = -1 if t is None else int(np.searchsorted(neighbours, t))
            leaves.joins[keys[s]] = int(place[s])
    joined = np.flatnonzero(place >= 0)
    return np.column_stack([joined, beside[starts[joined] + place[joined]]])


def _region_neighbours(tree: _hierarchy.Hierarchy, region_of: np.ndarray, n: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The regions beside each region of ``region_of`` (0..n-1), ascending, as
    ``beside[starts[s]:starts[s + 1]]`` (``starts`` ``(n + 1,)``): the regions of the
    superpixels that share a border with one of its own."""
    a, b = region_of[tree.pairs[:, 0]], region_of[tree.pairs[:, 1]]
    apart = a != b
    src = np.concatenate([a[apart], b[apart]])
    keys = np.unique(src * n + np.concatenate([b[apart], a[apart]]))
    starts = np.concatenate(([0], np.cumsum(np.bincount(keys // n, minlength=n))))
    return starts, keys % n


def _cut_without_slivers(tree: _hierarchy.Hierarchy, leaves: _LeafColours, n_regions: int,
                         min_region: int = 0, box: int = 1) -> np.ndarray:
    """Each superpixel's region in a cut of ``tree`` that leaves ``n_regions`` (at most its
    leaves) once its slivers have merged (:func:`_merge_slivers`; ``leaves`` the colours
    of its superpixels, :func:`_leaf_colours`): the cut at ``n_regions`` when it
    has none, else the first finer cut found that does (see :data:`_SLIVER_CUTS`); when
    none is found, the cut at ``n_regions``, slivers and all.

    With ``min_region`` above 0 (full-size pixels, a working pixel standing for ``box``
    of them), first the first cut found that leaves ``n_regions`` once the regions under
    it have merged too (:func:`_left_after_merging`), so that the specks a ``min_region``
    merges do not take the places of regions (see :data:`_LARGE_CUTS`); when none is
    found, as without it.
    """
    if min_region > 0:
        found = _search_cut(tree, leaves, n_regions, _LARGE_CUTS, lambda region_of:
                            _left_after_merging(tree, leaves, region_of, min_region, box))
        if found is not None:
            return found
    found = _search_cut(tree, leaves, n_regions, _SLIVER_CUTS,
                        lambda region_of: int(region_of.max()) + 1)
    return tree.cut(n_regions) if found is None else found


def _search_cut(tree: _hierarchy.Hierarchy, leaves: _LeafColours, n_regions: int,
                tries: int, left_of: Callable[[np.ndarray], int]) -> np.ndarray | None:
    """Each superpixel's region (slivers merged) in the first cut of ``tree`` found, of
    ``n_regions`` or finer, of which ``left_of`` leaves ``n_regions``, trying at most
    ``tries`` cuts (see :data:`_SLIVER_CUTS`); None when none is found."""
    lo, hi = n_regions - 1, tree.n_leaves + 1  # fewer left up to lo; more from hi on
    cut, step = n_regions, 0
    for _ in range(tries):
        region_of = _merge_slivers(tree, leaves, tree.cut(cut))
        left = left_of(region_of)
        if left == n_regions:
            return region_of
        if left < n_regions:  # a region more for each sliver merged, and twice the last step
            lo, step = cut, max(n_regions - left, 2 * step)
        else:
            hi = cut
        cut = min(lo + step, tree.n_leaves) if hi > tree.n_leaves else (lo + hi) // 2
        if cut <= lo:
            break
    return None


def _cut_of_large(tree: _hierarchy.Hierarchy, leaves: _LeafColours, n_regions: int,
                  area: np.ndarray, min_region: float) -> np.ndarray:
    """Each superpixel's region in a cut of ``tree`` into regions of ``min_region`` full-size
    pixels or more (``area`` ``(n,)`` those of each superpixel) that leaves ``n_regions``
    once its slivers have merged, or else the most under it found:
    :func:`~quantize.reconstruct.hierarchy.large_cut`, its glued pieces joined to a region
    beside them (:func:`_attach_glued`), searched as :func:`_search_cut` searches, up to
    :data:`_LARGE_CUTS` cuts, until one makes no more regions than a coarser one did."""
    best, most = None, 0
    lo, hi, cut = n_regions - 1, tree.n_leaves + 1, n_regions
    for _ in range(_LARGE_CUTS):
        region_of, glued = _hierarchy.large_cut(tree, cut, area, min_region)
        region_of = _merge_slivers(tree, leaves, _attach_glued(tree, leaves, region_of, glued))
        left = int(region_of.max()) + 1
        if best is None or most < left <= n_regions:
            best, most = region_of, left
        if left == n_regions or (left < n_regions and np.count_nonzero(~glued) < cut):
            break  # N, or every merge of two sides of min_region undone: none makes more
        lo, hi = (cut, hi) if left < n_regions else (lo, cut)
        cut = cut + n_regions - left if hi > tree.n_leaves else (lo + hi) // 2
        if not lo < cut < hi:
            break
    return best


def _attach_glued(tree: _hierarchy.Hierarchy, leaves: _LeafColours, region_of: np.ndarray,
                  glued: np.ndarray) -> np.ndarray:
    """``region_of`` (each superpixel's region, 0..m-1) with each region that is ``glued``
    ``(m,)`` joined to the region beside it, not glued, nearest in mean colour (``leaves``
    the superpixels' colours), in rounds: a glued piece beside glued pieces alone joins
    the region one of them joined. Renumbered 0.. in order of their smallest superpixel."""
    n = glued.size
    if not glued.any():
        return region_of
    count = np.bincount(region_of, leaves.count, minlength=n)
    mean = group_sums(leaves.sums, region_of, n)[1] / count[:, None]
    a, b = region_of[tree.pairs[:, 0]], region_of[tree.pairs[:, 1]]
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    target, left = np.arange(n), glued.copy()
    while left.any():
        beside = left[src] & ~left[dst]
        if not beside.any():  # no region at all (the whole image under min_region)
            break
        s, t = src[beside], target[dst[beside]]
        order = np.lexsort((t, ((mean[s] - mean[t]) ** 2).sum(axis=1), s))
        s, t = s[order], t[order]
        first = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
        target[s[first]], left[s[first]] = t[first], False
    return np.unique(target[region_of], return_inverse=True)[1]


def _left_after_merging(tree: _hierarchy.Hierarchy, leaves: _LeafColours,
                        region_of: np.ndarray, min_region: int, box: int) -> int:
    """The regions left of the superpixels' regions ``region_of`` (0..n-1) once those
    under ``min_region`` full-size pixels (``box`` a working pixel) have merged into their
    nearest neighbours in colour, as :func:`_segment_hierarchy` merges the full-size
    regions (:func:`~quantize.reconstruct.regions.merge_regions`), here on the working
    copy's superpixels."""
    n = int(region_of.max()) + 1
    count = np.bincount(region_of, leaves.count, minlength=n)
    sums = group_sums(leaves.sums, region_of, n)[1]
    area = np.concatenate(([0.0], count * box))
    means = np.concatenate((np.zeros((1, 3)), sums / count[:, None]))
    ends = np.sort(region_of[tree.pairs] + 1, axis=1)
    pairs = np.unique(ends[ends[:, 0] != ends[:, 1]], axis=0)
    return int(_regions.merge_regions(area, pairs, means, min_region).max())


def _thin_regions(pixels: np.ndarray, n: int) -> np.ndarray:
    """Bool ``(n,)``: the regions 0..n-1 of the map ``pixels`` ``(h, w)`` that hold no 3 x 3
    square of their own pixels, within the map: no pixel of theirs has its eight
    neighbours in its own region (a strip along the map's edge is as thin as it is)."""
    edged = np.pad(pixels, 1, constant_values=-1)
    middle = edged[:, 1:-1]
    rows = (edged[:, :-2] == middle) & (edged[:, 2:] == middle)  # (h + 2, w)
    centre = (rows[1:-1] & rows[:-2] & rows[2:]
              & (middle[:-2] == middle[1:-1]) & (middle[2:] == middle[1:-1]))
    return np.bincount(pixels[centre], minlength=n) == 0


def _mixed_of(mean: np.ndarray, region: int, neighbours: np.ndarray) -> int | None:
    """The neighbour nearest in colour to ``region`` among those whose colours it is a mix
    of, or None: the regions' mean colours ``mean`` ``(n, 3)``; the region's colour lies
    within :data:`_SLIVER_MIX` times the distance between two neighbours' colours of the
    straight line between them."""
    ends = mean[neighbours]  # (m, 3)
    away, length = _off_segment(mean[region], ends[:, None, :], ends[None, :, :])  # (m, m)
    others = ~np.eye(len(neighbours), dtype=bool)
    mixed = (away <= _SLIVER_MIX * length) & others
    if not mixed.any():
        away, length = _off_luma_chroma(mean[region] @ _LUMA_CHROMA.T, ends @ _LUMA_CHROMA.T)
        mixed = (away <= _SLIVER_MIX * length) & others
    if not mixed.any():
        return None
    sides = np.flatnonzero(mixed.any(axis=0) | mixed.any(axis=1))
    nearest = np.argmin(np.linalg.norm(ends[sides] - mean[region], axis=1))
    return int(neighbours[sides[nearest]])


def _off_luma_chroma(point: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distance ``(m, m)`` of ``point`` ``(3,)`` from the colours whose luma lies between
    ends ``i``'s and ``j``'s and whose chroma lies on the segment between theirs (mixed in
    shares of their own: see :data:`_LUMA_CHROMA`), and the distance between the ends, all
    luma then two chroma channels (``ends`` ``(m, 3)``)."""
    low = np.minimum(ends[:, None, 0], ends[None, :, 0])
    high = np.maximum(ends[:, None, 0], ends[None, :, 0])
    luma = np.maximum(low - point[0], 0.0) + np.maximum(point[0] - high, 0.0)
    chroma, _ = _off_segment(point[1:], ends[:, None, 1:], ends[None, :, 1:])
    return np.hypot(luma, chroma), np.linalg.norm(ends[:, None] - ends[None], axis=2)


def _side_of_thick(leaves: _LeafColours, members: np.ndarray, mean: np.ndarray,
                   spreads: np.ndarray, count: np.ndarray, region: int,
                   neighbours: np.ndarray) -> int | None:
    """:func:`_side_of_mixed` for the region of superpixels ``members`` (``leaves`` their
    colours; ``mean``, ``spreads``, ``count`` and ``neighbours`` as there), its pixels
    gathered only when :func:`_most_within` leaves more than :data:`_MIXED_OWN` of them a
    chance to be a larger neighbour's colour."""
    larger = count[neighbours] > count[region]
    if neighbours.size < 2 or not larger.any():
        return None
    radius = _colour_radii(mean, spreads, neighbours)
    leaf_mean = leaves.sums[members] / leaves.count[members, None]
    variance = spread(leaf_mean, leaves.squares[members] / leaves.count[members, None]) ** 2
    most = _most_within(leaves.count[members], leaf_mean, variance, mean[neighbours[larger]],
                        radius[larger] + _OWN_SLACK)
    if most.max() <= _MIXED_OWN * count[region]:
        return None
    pixels = leaves.colours[leaves.pixels_of(members)]
    return _side_of_mixed(pixels, mean, radius, count, region, neighbours)


def _may_join_larger(leaves: _LeafColours, region_of: np.ndarray, mean: np.ndarray,
                     spreads: np.ndarray, count: np.ndarray, starts: np.ndarray,
                     beside: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Bool ``(n,)``: the regions ``among`` (bool ``(n,)``) of ``region_of`` of which
    :func:`_side_of_thick` may find a neighbour to join, tested all at once; it finds none
    for the others. Those left have two neighbours or more (``beside[starts[s]:starts[s +
    1]]``, :func:`_region_neighbours`), one of them larger, and for some larger one more
    than :data:`_MIXED_OWN` of their pixels may be its colour: by bounds from their
    superpixels (:func:`_most_near`), then by their pixels. The pixels are counted within a
    radius :data:`_OWN_SLACK` wider than :func:`_side_of_thick` counts them (as its bound
    is), and the bounds are taken 1e-6 wider still and raised by a billionth, far beyond
    the rounding of sums made in another order: what these rule out, it cannot find.
    ``mean``, ``spreads`` and ``count`` as there, of every region."""
    n = count.size
    region = np.repeat(np.arange(n), np.diff(starts))  # the region of each beside entry
    larger = (count[beside] > count[region]) & ((np.diff(starts) >= 2) & among)[region]
    pair = np.flatnonzero(larger)  # the entries of larger neighbours: (region, neighbour)
    radius = _entry_radii(mean, spreads, starts, beside, pair) + _OWN_SLACK
    src, dst = region[pair], beside[pair]
    order = np.argsort(region_of, kind="stable")  # each region's superpixels
    first = np.concatenate(([0], np.cumsum(np.bincount(region_of, minlength=n))))
    at, member = _ragged_entries(first, src)  # each (entry, superpixel of its region)
    near = _most_near(leaves, order[member], mean[dst[at]], radius[at])
    most = np.bincount(at, near, minlength=pair.size) * (1.0 + 1e-9)
    bound = np.zeros(n, dtype=bool)
    bound[src[most > _MIXED_OWN * count[src]]] = True
    keep = bound[src]
    return _many_own_pixels(leaves, order, first, src[keep], mean[dst[keep]], radius[keep],
                            count)


def _most_near(leaves: _LeafColours, leaf: np.ndarray, colour: np.ndarray,
               radius: np.ndarray) -> np.ndarray:
    """``(m,)``: at most how many pixels of each superpixel ``leaf`` lie within ``radius``
    ``(m,)`` of ``colour`` ``(m, 3)``: :func:`_most_within`'s bound, and no more than those
    that lie as far from the superpixel's mean as the colour less the radius (the triangle
    inequality), both taken 1e-6 wider."""
    mean = leaves.sums[leaf] / leaves.count[leaf, None]
    variance = spread(mean, leaves.squares[leaf] / leaves.count[leaf, None]) ** 2
    beyond = np.linalg.norm(mean - colour, axis=1) - radius - 1e-6
    share = np.divide(variance, variance + np.maximum(beyond, 0.0) ** 2,
                      out=np.ones_like(variance), where=beyond > 0)
    return np.minimum(leaves.count[leaf] * share, leaves.pixels_beyond(leaf, beyond))


def _many_own_pixels(leaves: _LeafColours, order: np.ndarray, first: np.ndarray,
                     src: np.ndarray, colour: np.ndarray, radius: np.ndarray,
                     count: np.ndarray) -> np.ndarray:
    """Bool ``(n,)``: the regions ``src`` (ascending; the superpixels of region ``s``
    ``order[first[s]:first[s + 1]]``) of which more than :data:`_MIXED_OWN` of the pixels
    lie within ``radius`` of ``colour`` ``(m, 3)``, for some entry (float64 distances from
    their float32 colours)."""
    n = count.size
    entries = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n))))
    regions = np.flatnonzero(np.diff(entries))
    at, member = _ragged_entries(first, regions)
    pixel, leaf_at = leaves.pixel_runs(order[member])
    owner, entry = _ragged_entries(entries, regions[at[leaf_at]])
    step = leaves.colours[pixel[owner]] - colour[entry]
    within = np.einsum("ij,ij->i", step, step) <= radius[entry] ** 2
    votes = np.bincount(entry[within], minlength=src.size)
    many = np.zeros(n, dtype=bool)
    many[src[votes > _MIXED_OWN * count[src]]] = True
    return many


def _entry_radii(mean: np.ndarray, spreads: np.ndarray, starts: np.ndarray,
                 beside: np.ndarray, entries: np.ndarray) -> np.ndarray:
    """:func:`_colour_radii` of the neighbours ``beside[entries]`` among their region's
    (``beside[starts[s]:starts[s + 1]]`` those of region ``s``), all at once: from each
    one's distance in colour to the farthest of them."""
    region = np.searchsorted(starts, entries, side="right") - 1
    at, other = _ragged_entries(starts, region)
    away = np.linalg.norm(mean[beside[entries[at]]] - mean[beside[other]], axis=1)
    lengths = starts[region + 1] - starts[region]
    farthest = np.maximum.reduceat(away, np.cumsum(lengths) - lengths) if away.size else away
    near = np.minimum(spreads[beside[entries]], _SLIVER_MIX * farthest)
    return np.maximum(near, _ONE_LEVEL)


def _ragged_entries(starts: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each entry of the ragged rows ``rows`` (``starts[r]:starts[r + 1]`` those of row
    ``r``): the index in ``rows`` it was reached from and its own index, row after row.

    >>> [a.tolist() for a in _ragged_entries(np.array([0, 2, 5]), np.array([1, 0]))]
    [[0, 0, 0, 1, 1], [2, 3, 4, 0, 1]]
    """
    lengths = starts[rows + 1] - starts[rows]
    at = np.repeat(np.arange(rows.size), lengths)
    ends = np.cumsum(lengths)
    return at, np.arange(at.size) - (ends - lengths)[at] + starts[rows][at]


def _colour_radii(mean: np.ndarray, spreads: np.ndarray, neighbours: np.ndarray
                  ) -> np.ndarray:
    """``(m,)``: how far from each neighbour's colour a pixel is still that colour (see
    :data:`_MIXED_SHARE`), ``mean`` ``(n, 3)`` and ``spreads`` ``(n,)`` being every region's
    mean colour and spread."""
    ends = mean[neighbours]  # (m, 3)
    farthest = np.linalg.norm(ends[:, None] - ends[None], axis=2).max(axis=1)
    return np.maximum(np.minimum(spreads[neighbours], _SLIVER_MIX * farthest), _ONE_LEVEL)


# _side_of_mixed counts a pixel as a neighbour's colour when its float32 squared distance
# from that colour (rounded to float32) is at most radius**2. The distance is a sum of a
# few float32 terms below 2^19 (2 * 3 * 255^2), each rounded by at most 2^-5, so it errs
# by less than 0.5 in all: with the colour's own rounding (under 1e-4), a pixel so counted
# lies within radius + 0.2 of the float64 colour (radius being _ONE_LEVEL or more), and
# _side_of_thick takes the bound at radius + _OWN_SLACK.
_OWN_SLACK = 0.5
# _LeafColours.pixels_beyond counts a superpixel's pixels at least so far from its mean in
# one sorted array of distances, each superpixel's offset by this (more than any distance
# of RGB colours, 442, and small enough to keep them to 1e-8 at 10^5 superpixels).
_DISTANCE_OFFSET = 512.0


def _most_within(count: np.ndarray, mean: np.ndarray, variance: np.ndarray,
                 centres: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``(m,)``: at most how many of the pixels of ``g`` groups lie within ``radius[j]`` of
    ``centres[j]`` ``(m, 3)``, from the groups' pixel counts ``(g,)``, mean colours
    ``(g, 3)`` and variances ``(g,)`` (summed over the channels) alone.

    Of a group of ``k`` pixels ``x`` whose mean ``m`` lies ``d`` beyond ``r`` from a
    centre, at most ``k * variance / (variance + d**2)`` lie within ``r`` of it (the
    one-sided Chebyshev bound): along the unit vector ``u`` from ``m`` to the centre each
    of those ``n`` pixels has ``(x - m) . u >= d``; the ``(x - m) . u`` of all ``k`` sum to
    0, so those of the other ``k - n`` sum to ``-n d`` or less and their squares to
    ``(n d)**2 / (k - n)`` or more (Cauchy-Schwarz; ``k > n``, as the mean of pixels all
    within ``r`` is within ``r``); and ``k * variance``, the sum of the ``|x - m|**2``, is
    at least the sum of all those squares, ``n d**2 + (n d)**2 / (k - n) = n d**2 k /
    (k - n)``. A group whose mean is within ``r`` may lie within it whole.

    >>> _most_within(np.array([10.0]), np.zeros((1, 3)), np.array([4.0]),
    ...              np.array([[5.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), np.array([1.0, 1.0]))
    array([ 2., 10.])
    """
    beyond = np.linalg.norm(mean[:, None] - centres[None], axis=2) - radius  # (g, m)
    scale = variance[:, None] + np.maximum(beyond, 0.0) ** 2
    share = np.divide(variance[:, None], scale, out=np.ones_like(scale), where=beyond > 0)
    return count @ share


def _side_of_mixed(pixels: np.ndarray, mean: np.ndarray, radius: np.ndarray,
                   count: np.ndarray, region: int, neighbours: np.ndarray) -> int | None:
    """The neighbour that a region of no colour of its own joins, or None (see
    :data:`_MIXED_SHARE`): ``pixels`` ``(k, 3)`` float32 its RGB colours; ``mean``
    ``(n, 3)`` and ``count`` ``(n,)`` every region's mean colour and size; ``neighbours``
    the regions beside it, at least two and one of them larger, and ``radius`` ``(m,)``
    their :func:`_colour_radii`."""
    larger = count[neighbours] > count[region]
    ends = mean[neighbours]  # (m, 3)
    own = sq_dist_from(ends, pixels, (pixels * pixels).sum(axis=1)) <= radius[:, None] ** 2
    votes = np.where(larger, own.sum(axis=1), 0)  # (m,): pixels of each larger one's colour
    if votes.max() <= _MIXED_OWN * len(pixels):
        return None
    explained = own.any(axis=0)
    for i, j in zip(*np.triu_indices(len(neighbours), 1), strict=True):
        rest = np.flatnonzero(~explained)
        if rest.size <= (1.0 - _MIXED_SHARE) * len(pixels):
            break
        away, length = _off_segment(pixels[rest], ends[i], ends[j])
        explained[rest[away <= _SLIVER_MIX * length]] = True
    return int(neighbours[np.argmax(votes)]) if explained.mean() >= _MIXED_SHARE else None


def _off_segment(points: np.ndarray, start: np.ndarray, stop: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The distance of ``points`` from the straight segments ``start`` to ``stop`` (all
    ``(..., 3)``, broadcast), and the segments' lengths."""
    step = stop - start
    length = np.linalg.norm(step, axis=-1)
    offset = points - start
    along = np.einsum("...c,...c->...", offset, step) / np.maximum(length, 1e-12) ** 2
    away = np.linalg.norm(offset - np.clip(along, 0.0, 1.0)[..., None] * step, axis=-1)
    return away, length


def _renumber_in_bands(labels: np.ndarray, table: np.ndarray) -> None:
    """Replace each label of ``labels`` (H, W) by ``table[label]``, in place, a band of rows
    at a time (no full-size temporary)."""
    for rows in row_bands(*labels.shape, _RENUMBER_BAND_PIXELS):
        labels[rows] = table[labels[rows]]


# _renumber_in_bands renumbers about this many pixels at a time.
_RENUMBER_BAND_PIXELS = 1 << 18


def _half_index(shape: tuple[int, int], half: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column ``(H,), (W,)`` of the box-halved map ``half`` (its shape) under each
    pixel of ``shape`` (H, W).

    Full-size pixel ``i`` takes half pixel ``i // 2``, the one it was averaged
    into; the last row or column of an odd side, left out of the halving, takes
    the last half pixel.
    """
    rows, cols = _box_index(shape, 2)
    return np.minimum(rows, half[0] - 1), np.minimum(cols, half[1] - 1)


def _box_index(shape: tuple[int, ...], factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column ``(H,), (W,)`` of the working copy's box each full-size pixel is in.

    ``shape`` is the full size, ``factor`` that of :func:`_working_copy`; the
    last box of a side that is not a multiple of it is partial, not stretched
    over the others.
    """
    return np.arange(shape[0]) // factor, np.arange(shape[1]) // factor


def _segment_kmeans(rgb: np.ndarray, alpha: np.ndarray | None, k: int, w: dict[str, float],
                    space: str, scales: tuple[float, ...], limit: int,
                    rng: np.random.Generator, smooth: int | None = None,
                    working_size: int | str | None = None,
                    shared: SharedClasses | None = None
                    ) -> tuple[SegmentResult, int, int, np.ndarray | None, int]:
    """The k-means path (:mod:`quantize.pixel_kmeans`) on the working copy, the number
    of regions before those under ``limit`` pixels merged, the speck size in pixels
    (:func:`~quantize.pixel_kmeans.speck_side`; ``smooth`` when given), each cluster's
    pieces before the smoothing (None with texture features) and, when the smoothing
    changed the working cluster map, its pieces that ``limit`` alone would have kept.
    The working copy is at most ``working_size`` a side (:func:`working_shape`)."""
    work, factor = _working_copy(rgb, working_size)
    labels, clusters, centers, unmerged, pieces, large_pieces = cluster_pixels(
        work, rgb.shape[:2], factor, k, w, space, scales, limit, rng, image=rgb, smooth=smooth,
        hidden=_hidden_apart(alpha), shared=shared)
    result = SegmentResult(labels, clusters, centers, rgb, w, limit, alpha, n_clusters=k,
                           space=space)
    return (result, unmerged, speck_side(work.shape[:2], factor, smooth), pieces,
            large_pieces)


def _hidden_apart(alpha: np.ndarray | None) -> np.ndarray | None:
    """The fully transparent pixels (``alpha`` 0), which k-means puts in a cluster of
    their own beyond ``n_clusters``; None when none is, or when none is visible."""
    if alpha is None:
        return None
    hidden = alpha == 0
    return hidden if hidden.any() and not hidden.all() else None


# _working_copy reduces a band of about this many full-size pixels at a time.
_REDUCE_BAND_PIXELS = 1 << 22


def working_shape(shape: tuple[int, ...], working_size: int | str | None = None
                  ) -> tuple[int, int]:
    """The ``(height, width)`` :func:`segment` and :func:`boundary_map` work at for an
    image of ``shape`` ``(H, W, ...)``: its own up to 1024 pixels a side, else a copy
    box-downscaled by the whole factor that brings its longer side to at most 1024 (its
    last boxes partial). The regions come back to full size, but a detail a few working
    pixels wide is a few boxes of the image. With ``working_size`` (checked, as
    :func:`check_working_size` gives it; k-means only), that many pixels instead of 1024,
    or the image's own size for ``"full"``.

    >>> working_shape((3000, 4000)), working_shape((2049, 100)), working_shape((600, 800))
    ((750, 1000), (683, 34), (600, 800))
    >>> working_shape((1800, 2400), 1200), working_shape((1800, 2400), "full")
    ((900, 1200), (1800, 2400))
    """
    factor = _working_factor(shape, working_size)
    return -(-shape[0] // factor), -(-shape[1] // factor)


def _working_factor(shape: tuple[int, ...], working_size: int | str | None = None) -> int:
    """The whole factor :func:`_working_copy` box-downscales an image of ``shape`` by, to
    at most ``working_size`` pixels a side (None: 1024; ``"full"``: none, factor 1)."""
    if working_size == "full":
        return 1
    side = WORKING_MAX_SIDE if working_size is None else int(working_size)
    return max(1, math.ceil(max(shape[:2]) / side))


def _working_copy(rgb: np.ndarray, working_size: int | str | None = None
                  ) -> tuple[np.ndarray, int]:
    """The image box-downscaled by an integer factor to at most 1024 pixels a side (or
    ``working_size``, :func:`_working_factor`), and the factor.

    Working pixel ``j`` of a side of ``n`` pixels is the mean of full-size pixels
    ``j * factor`` to ``min((j + 1) * factor, n) - 1``: when ``n`` is not a
    multiple of the factor, the last box is partial (Pillow's ``Image.reduce``).
    Reduced a band of whole boxes at a time, so that Pillow never holds a copy of
    the whole image (4 bytes a pixel); the boxes are those of the image reduced whole.
    """
    factor = _working_factor(rgb.shape, working_size)
    if factor == 1:
        return rgb, 1
    h, w = rgb.shape[:2]
    step = max(1, _REDUCE_BAND_PIXELS // (w * factor)) * factor
    work = np.empty((-(-h // factor), -(-w // factor), 3), dtype=np.uint8)
    for start in range(0, h, step):
        band = np.asarray(Image.fromarray(rgb[start:start + step]).reduce(factor))
        work[start // factor:start // factor + band.shape[0]] = band
    return work, factor


def __getattr__(name: str) -> Any:
    # The file job moved to quantize.segment_file; keep the old import path.
    if name in ("segment_file", "OUTPUT_FILES", "check_segment_options"):
        from . import segment_file as _job

        return getattr(_job, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
