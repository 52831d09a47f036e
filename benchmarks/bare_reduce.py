"""The least a colour reducer in Python does, as a floor for the single-file time.

``python benchmarks/bare_reduce.py IN.png K PASSES OUT.png``: decode with Pillow,
count the distinct colours with NumPy, seed ``K`` centres at colours drawn at
random in proportion to their counts, run ``PASSES`` weighted Lloyd passes over
the distinct colours, and write the indexed PNG with Pillow. No validation, no
k-means++ seeding, no metrics, no command-line parsing: ``bench_reduce.py``
times it beside ``quantize reduce`` and pngquant to show what is left of a
time target once Python, NumPy and Pillow have started.
"""

import sys

import numpy as np
from PIL import Image


def main() -> None:
    src, k, passes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rgb = np.asarray(Image.open(src).convert("RGB"))
    codes = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8)
    codes |= rgb[..., 2]
    distinct, inverse, counts = np.unique(codes.ravel(), return_inverse=True,
                                          return_counts=True)
    colors = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1)
    colors = colors.astype(np.float64)
    weights = counts.astype(np.float64)
    rng = np.random.default_rng(0)
    k = min(k, colors.shape[0])
    centers = colors[rng.choice(colors.shape[0], k, replace=False, p=weights / weights.sum())]
    labels = np.zeros(colors.shape[0], dtype=np.intp)
    norms = np.einsum("ij,ij->i", colors, colors)
    for _ in range(passes):
        dist = norms[:, None] - 2 * colors @ centers.T + np.einsum("ij,ij->i", centers, centers)
        labels = dist.argmin(axis=1)
        mass = np.bincount(labels, weights, minlength=k)
        sums = [np.bincount(labels, weights * colors[:, c], minlength=k) for c in range(3)]
        filled = mass > 0
        centers[filled] = np.stack(sums, axis=1)[filled] / mass[filled, None]
    palette = np.clip(np.rint(centers), 0, 255).astype(np.uint8)
    image = Image.fromarray(labels[inverse].reshape(rgb.shape[:2]).astype(np.uint8), "P")
    image.putpalette(palette.ravel().tolist())
    image.save(out)


if __name__ == "__main__":
    main()
