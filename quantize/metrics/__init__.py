"""Quality measures: colour fidelity for reduced images, border accuracy for segmentations."""

from .color import delta_e, psnr
from .segmentation import adjusted_rand_index, boundary_scores

__all__: list[str] = ["adjusted_rand_index", "boundary_scores", "delta_e", "psnr"]
