"""Rebuild images from clusters.

- ``palette``: palette-reduced images (indexed PNG/GIF, dithering, palette files);
- ``regions``: segmentations (label maps, region merging, mean colours, boundaries).
"""
