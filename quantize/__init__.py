"""quantize: colour reduction and photo segmentation by k-means clustering.

The package is laid out as the pipeline it runs; each layer imports only the
layers above it in this list, and what flows between them is named on the right.

Shared by every layer:
    _kernels          nearest centre, group sums, Lloyd passes, 24-bit codes, sRGB <-> Lab
    _validation       one validator per concept (ints, floats, choices, seeds, data)
    _threads          one shared thread pool for the largest loops (a count of 1 in workers)
    errors            exceptions carrying ``path`` and ``reason``; ``ExitCode``

io -> features -> kmeans -> reconstruct -> reduce / segment -> batch -> cli:
    io                files -> uint8 RGB(A) arrays (orientation, modes, limits); atomic writes
    encode            palette indices + palette -> small indexed PNG bytes
    palette_files     palettes <-> .gpl / .json / .hex files
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
    reduce            an image -> a palette + indices (image, fit, quality, result);
                      a file -> a reduced file and its record (file_job); many images -> one
                      palette (shared); options validated once (options)
    animation         an animated GIF / APNG / WebP -> one palette, difference frames
                      (reduce's file job hands animated inputs to it)
    segment           an image -> region labels, ``boundary_map`` (segment); a file -> an
                      output folder and its record (segment_file)
    batch             a folder -> planned jobs (plan) -> run on local processes or Dask
                      (executor_local, executor_dask) -> results and reports
    report            batch results -> one self-contained HTML page
    cli               command-line arguments -> one library call -> one line per file
"""

from .kmeans import MiniBatchKMeans, kmeans_plusplus
from .reduce import reduce_colors
from .segment import SegmentResult, boundary_map, segment  # functions; the module stays importable

__version__ = "0.1.0"

__all__ = ["MiniBatchKMeans", "SegmentResult", "__version__", "boundary_map",
           "kmeans_plusplus", "reduce_colors", "segment"]
