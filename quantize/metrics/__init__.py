"""Quality measures: colour fidelity for reduced images, border accuracy for segmentations."""

__all__: list[str] = []
