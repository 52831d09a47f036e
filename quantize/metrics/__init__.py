"""Quality measures: colour fidelity for reduced images, border accuracy for segmentations."""

from .color import delta_e, psnr
from .segmentation import (
    BoundaryMapWarning,
    ToleranceWarning,
    adjusted_rand_index,
    border_match_counts,
    boundary_counts,
    boundary_scores,
)

__all__: list[str] = ["BoundaryMapWarning", "ToleranceWarning", "adjusted_rand_index",
                      "border_match_counts", "boundary_counts", "boundary_scores", "delta_e",
                      "psnr"]
