"""Rebuild images from clusters.

- ``palette``: palette-reduced images (indexed PNG/GIF, dithering, palette files);
- ``ordered``: ordered (Bayer) dithering onto a palette;
- ``regions``: segmentations (label maps, region merging, mean colours, boundaries).
"""
