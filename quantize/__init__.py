"""quantize: colour reduction and photo segmentation by k-means clustering.

The package is laid out as the pipeline it runs:

- ``quantize.io``: load and save images (orientation, modes, atomic writes);
- ``quantize.features``: pixels to weighted feature vectors;
- ``quantize.kmeans``: the mini-batch k-means core, which knows nothing of images;
- ``quantize.reconstruct``: palette images, segmentations and boundaries;
- ``quantize.cli`` and ``quantize.batch``: thin drivers.
"""

from .kmeans import MiniBatchKMeans, kmeans_plusplus
from .reduce import reduce_colors
from .segment import SegmentResult, boundary_map, segment  # functions; the module stays importable

__version__ = "0.1.0"

__all__ = ["MiniBatchKMeans", "SegmentResult", "__version__", "boundary_map",
           "kmeans_plusplus", "reduce_colors", "segment"]
