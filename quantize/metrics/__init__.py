"""Quality measures: colour fidelity for reduced images, border accuracy for segmentations."""

from .color import delta_e, psnr

__all__: list[str] = ["delta_e", "psnr"]
