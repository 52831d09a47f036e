"""quantize: colour reduction and photo segmentation by k-means clustering.

The library's entry points (each documented in full by ``help(name)``):

    reduce_colors(image, n_colors)    an image -> a ReduceResult: palette, palette
                                      indices, save() (the command's PNG or GIF),
                                      to_image() / to_rgb() / to_rgba(), psnr
    segment(image)                    an image -> a SegmentResult: labels 1..R,
                                      boundaries(), mean_color_image(), overlay()
    boundary_map(image)               an image -> (H, W) float32 border strength in [0, 1]
    MiniBatchKMeans, kmeans_plusplus  k-means on any (n, d) float data
    set_threads(n)                    the size of quantize's own thread pool (1: none,
                                      for a service running a worker process per core)

An image is a NumPy array of shape (H, W), (H, W, 1), (H, W, 2) (grey and alpha),
(H, W, 3) or (H, W, 4) (its fourth channel alpha or a band: ``fourth_channel``), of
dtype uint8, uint16, bool or float in [0, 1], or a PIL image of any mode;
quantize.io.load_image reads a file (upright, in sRGB). Files to
files: quantize.reduce.reduce_file and quantize.segment_file.segment_file; metrics
in quantize.metrics; palette files in quantize.palette_files. ``quantize.segment``
is the function: take the segment module's other names (MAX_CLUSTERS,
DEFAULT_LEVEL, ...) with ``from quantize.segment import ...``. ``quantize.reduce``
is the package of the reduction's modules, not a function: call
``quantize.reduce_colors`` (calling the package raises a TypeError that says so).

Every error quantize raises of its own is a ``QuantizeError``, which keeps its
other bases (``ImageReadError`` and ``QualityError`` are ``ValueError`` s,
``OutputError`` an ``OSError``, ``NotFittedError`` a ``ValueError`` and an
``AttributeError``), and carries the command's ``exit_code``; bad parameter values
raise plain ``ValueError`` and ``TypeError``. The error classes are in quantize.errors,
the most met also here.

Every warning quantize gives is a ``QuantizeWarning`` (a UserWarning), and every
warning class can be taken from here, whichever module gives it (``from quantize
import RegionCountWarning``, loaded on first use):
``warnings.filterwarnings("ignore", category=quantize.QuantizeWarning)`` silences
them all.

>>> import numpy as np
>>> from quantize import reduce_colors
>>> image = np.zeros((4, 6, 3), np.uint8); image[:, 3:] = [200, 40, 40]
>>> result = reduce_colors(image, 2, seed=0)
>>> result.palette.tolist(), result.indices[0].tolist()
([[0, 0, 0], [200, 40, 40]], [0, 0, 0, 1, 1, 1])

The package is laid out as the pipeline it runs; each layer imports, when it is
loaded, only the layers above it in this list, and what flows between them is
named on the right. A few imports inside functions reach down the list:
reduce's file job hands animated inputs to animation, io raises animation's
FirstFrameWarning, and segment keeps segment_file's old import path.

Shared by every layer:
    _kernels          nearest centre, group sums, Lloyd passes, 24-bit codes, sRGB <-> Lab
    _validation       one validator per concept (ints, floats, choices, seeds, data, keyword
                      names: quantize's for those of scikit-learn, scikit-image, Pillow)
    _threads          one shared thread pool for the largest loops (set_threads; 1 in workers)
    errors            exceptions carrying ``path`` and ``reason``; ``ExitCode``
    names             file names as lines and reports show them, as volumes compare them,
                      and the stems output names are made of
    png               what Pillow does not check in a PNG (chunk CRCs, image data that
                      ends early); a second reader of an opened file
    gif_canvas        a GIF's frames composited as browsers show them (not as Pillow does)
    webp              an animated WebP's frame alpha that its header does not flag
    _start            the command's start-up: a Ctrl-C (SIGTERM) while it imports is one
                      line and exit 130 (143), and no garbage collection runs until they
                      end (in a process started as the command only)
    _sigterm          the command's SIGTERM taken as Ctrl-C (exit 143), its pool's
                      workers leaving it to the batch; a program importing quantize
                      keeps its own

io -> features -> kmeans -> reconstruct -> reduce / segment -> batch -> cli:
    io                files -> uint8 RGB(A) arrays (orientation, modes, limits: read);
                      outputs written whole or not at all, and locked (write); the
                      physical resolution read and kept (resolution)
    encode            palette indices + palette -> small indexed PNG bytes
    palette_files     palettes <-> .gpl / .json / .hex / .act / .pal / .txt files
    colors            arrays -> weighted colour histograms; CIEDE2000 and MSE kernels
    texture           an image -> Lab planes -> texture bank, region statistics, colour edges
                      (float32 planes; SciPy's filters are loaded on first use)
    features          an image -> weighted per-pixel features (colour, intensity, xy, texture)
    kmeans_run        validated (n, d) data + weights + parameters + a Generator -> one run
                      (seeding, mini-batches, settling, refinement) -> centres, labels, inertia
    kmeans            (n, d) features + weights -> centres and labels (validated once, then
                      one kmeans_run per restart); knows nothing of images
    reconstruct       labels -> images: palette order, dithering, indexed images (palette);
                      regions, borders and statistics (regions); merge hierarchy (hierarchy)
    metrics           reduced images -> PSNR, mean CIEDE2000; segmentations -> border F, ARI
    superpixels       an image -> superpixels by local k-means (SLIC's clustering)
    pixel_kmeans      a working copy + weights -> pixels clustered by kmeans, borders
                      refined, regions numbered at full size (segment's -k path)
    classes           feature samples of many images -> one set of k-means classes
                      (SharedClasses), saved to and read from a JSON file
    reduce            an image -> a palette + indices (image, fit, quality, result);
                      a file -> a reduced file (file_job) and its record (records); many
                      images -> one palette (shared); options validated once (options)
    animation         an animated GIF / APNG / WebP -> one palette, difference frames
                      (reduce's file job hands animated inputs to it)
    segment           an image -> region labels, ``boundary_map`` (segment); a file -> an
                      output folder and its record (segment_file)
    batch             a folder -> planned jobs (plan) -> run on local processes or Dask
                      (executor_local, executor_dask) -> results and reports
    report            batch results -> one self-contained HTML page
    cli               command-line arguments -> one library call -> one line per file
"""

from ._start import guard_start

guard_start()  # as the command: an interrupt while it imports is one line, no collection runs

import importlib  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from ._threads import set_threads  # noqa: E402
from .errors import (  # noqa: E402
    ImageReadError,
    OutputError,
    OutputExistsError,
    QualityError,
    QuantizeError,
    QuantizeWarning,
    SizeBudgetError,
)
from .kmeans import MiniBatchKMeans, NotFittedError, kmeans_plusplus  # noqa: E402
from .reduce import ReduceResult, reduce_colors  # noqa: E402

__version__ = "0.1.0"

# The segment module's names load on their first use (PEP 562): its imports (features,
# pixel_kmeans, hierarchy, superpixels, ...) took about 3 ms of every quantize reduce.
_SEGMENT_NAMES = ("SegmentResult", "boundary_map", "segment")

# Every warning class, by the module that defines it, loaded on its first use too (the
# animation and batch modules would cost every call), so that one place holds them all.
_WARNINGS = {
    "animation.job": ("FrameCutWarning", "FrameDurationWarning", "LoopCountWarning",
                      "QualityMissedWarning", "ShortFramesWarning", "UntimedFramesWarning"),
    "batch.manifest": ("ManifestUnreadableWarning",),
    "batch.shared": ("InputsChangedWarning",),
    "errors": ("AlphaLossWarning", "CodeAdviceWarning", "ExifLeftOutWarning",
               "FarPaletteWarning", "FirstFrameWarning", "FormatAdviceWarning",
               "GeoTagsLeftOutWarning", "GifTableWarning",
               "LossyColorsWarning",
               "PaletteInWarning",
               "PaletteRepeatWarning", "ProfileConvertedWarning",
               "QualityLimitWarning", "QualityScaleWarning",
               "QuantizeDeprecationWarning", "StillImageWarning", "TextLeftOutWarning",
               "TimingLossWarning", "WideLabelsWarning"),
    "features": ("AlphaIgnoredWarning",),
    "io.nodata": ("NoDataWarning",),
    "io.read": ("ColorProfileWarning", "CompositedFrameWarning", "DamagedExifWarning",
                "FourthChannelWarning", "PagesLeftOutWarning", "PixelListWarning",
                "PixelRangeWarning", "SamplesLeftOutWarning", "TransparencyChunkWarning",
                "TransparentColorWarning", "UnterminatedGifWarning"),
    "kmeans": ("DistinctClustersWarning", "FeatureNamesWarning"),
    "metrics.segmentation": ("BoundaryMapWarning", "ToleranceWarning"),
    "palette_files": ("PaletteFormatWarning", "PaletteReadWarning", "TransparentIndexWarning"),
    "pixel_kmeans": ("ClusterCountWarning",),
    "png": ("DamagedChunkWarning", "DamagedPngEndWarning"),
    "reduce.fit": ("ColorCountWarning", "FewerColorsWarning"),
    "segment": ("RegionCountWarning", "SpecksRemovedWarning", "SuperpixelCountWarning"),
}
_WARNING_MODULE = {name: module for module, names in _WARNINGS.items() for name in names}

if TYPE_CHECKING:
    # What __getattr__ gives, as type checkers should see it (``segment`` the function, not
    # the module); at run time nothing here is imported. "X as X" marks a name as given on
    # (PEP 484), which isort would put in an import of its own. tests/test_package_types.py
    # checks that these imports and the two tables above name the same things.
    from .animation.job import (  # noqa: I001
        FrameCutWarning as FrameCutWarning,
        FrameDurationWarning as FrameDurationWarning,
        LoopCountWarning as LoopCountWarning,
        QualityMissedWarning as QualityMissedWarning,
        ShortFramesWarning as ShortFramesWarning,
        UntimedFramesWarning as UntimedFramesWarning,
    )
    from .batch.manifest import ManifestUnreadableWarning as ManifestUnreadableWarning
    from .batch.shared import InputsChangedWarning as InputsChangedWarning
    from .errors import (
        AlphaLossWarning as AlphaLossWarning,
        CodeAdviceWarning as CodeAdviceWarning,
        FarPaletteWarning as FarPaletteWarning,
        FirstFrameWarning as FirstFrameWarning,
        FormatAdviceWarning as FormatAdviceWarning,
        GeoTagsLeftOutWarning as GeoTagsLeftOutWarning,
        GifTableWarning as GifTableWarning,
        LossyColorsWarning as LossyColorsWarning,
        PaletteInWarning as PaletteInWarning,
        PaletteRepeatWarning as PaletteRepeatWarning,
        ProfileConvertedWarning as ProfileConvertedWarning,
        QualityLimitWarning as QualityLimitWarning,
        QualityScaleWarning as QualityScaleWarning,
        QuantizeDeprecationWarning as QuantizeDeprecationWarning,
        ExifLeftOutWarning as ExifLeftOutWarning,
        StillImageWarning as StillImageWarning,
        TextLeftOutWarning as TextLeftOutWarning,
        TimingLossWarning as TimingLossWarning,
        WideLabelsWarning as WideLabelsWarning,
    )
    from .features import AlphaIgnoredWarning as AlphaIgnoredWarning
    from .io.nodata import NoDataWarning as NoDataWarning
    from .io.read import (
        ColorProfileWarning as ColorProfileWarning,
        CompositedFrameWarning as CompositedFrameWarning,
        DamagedExifWarning as DamagedExifWarning,
        FourthChannelWarning as FourthChannelWarning,
        PagesLeftOutWarning as PagesLeftOutWarning,
        PixelListWarning as PixelListWarning,
        PixelRangeWarning as PixelRangeWarning,
        SamplesLeftOutWarning as SamplesLeftOutWarning,
        TransparencyChunkWarning as TransparencyChunkWarning,
        TransparentColorWarning as TransparentColorWarning,
        UnterminatedGifWarning as UnterminatedGifWarning,
    )
    from .kmeans import (
        DistinctClustersWarning as DistinctClustersWarning,
        FeatureNamesWarning as FeatureNamesWarning,
    )
    from .metrics.segmentation import (
        BoundaryMapWarning as BoundaryMapWarning,
        ToleranceWarning as ToleranceWarning,
    )
    from .palette_files import (
        PaletteFormatWarning as PaletteFormatWarning,
        PaletteReadWarning as PaletteReadWarning,
        TransparentIndexWarning as TransparentIndexWarning,
    )
    from .pixel_kmeans import ClusterCountWarning as ClusterCountWarning
    from .png import DamagedChunkWarning as DamagedChunkWarning
    from .png import DamagedPngEndWarning as DamagedPngEndWarning
    from .reduce.fit import (
        ColorCountWarning as ColorCountWarning,
        FewerColorsWarning as FewerColorsWarning,
    )
    from .segment import (
        RegionCountWarning as RegionCountWarning,
        SegmentResult as SegmentResult,
        SpecksRemovedWarning as SpecksRemovedWarning,
        SuperpixelCountWarning as SuperpixelCountWarning,
        boundary_map as boundary_map,
        segment as segment,
    )


if not TYPE_CHECKING:  # a checker that saw it would take any name, a misspelt one too

    def __getattr__(name: str) -> Any:
        if name in _WARNING_MODULE:
            value = getattr(importlib.import_module(f".{_WARNING_MODULE[name]}", __name__), name)
            globals()[name] = value
            return value
        if name not in _SEGMENT_NAMES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = importlib.import_module(".segment", __name__)
        for each in _SEGMENT_NAMES:
            globals()[each] = getattr(module, each)
        return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *_SEGMENT_NAMES, *_WARNING_MODULE})


class _Package(types.ModuleType):
    """The package, whose ``segment`` stays the function when the module of that name loads.

    Python sets a submodule it has loaded as an attribute of its package; loaded later
    than the package (``from quantize.segment import MAX_CLUSTERS``), the module would
    have replaced the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "segment" and isinstance(value, types.ModuleType):
            value = value.segment
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = ["ImageReadError", "MiniBatchKMeans", "NotFittedError", "OutputError",
           "OutputExistsError", "QualityError", "QuantizeError", "QuantizeWarning", "ReduceResult",
           "SegmentResult", "SizeBudgetError", "__version__", "boundary_map", "kmeans_plusplus",
           "reduce_colors", "segment", "set_threads"]
