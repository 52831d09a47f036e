"""`make demo`: cluster the pixels of every sample photo and report the palette.

Usage: python samples/demo.py SAMPLES_DIR OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from quantize import MiniBatchKMeans


def main(samples: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(samples.glob("*.jpg")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        km = MiniBatchKMeans(16, seed=0).fit(rgb.reshape(-1, 3))
        palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
        reduced = palette[km.labels_].reshape(rgb.shape)
        target = out / f"{path.stem}.k16.png"
        Image.fromarray(reduced).save(target)
        summary = {"input": str(path), "output": str(target), "k": 16,
                   "inertia_per_pixel": round(km.inertia_ / km.labels_.size, 2),
                   "palette": ["#%02x%02x%02x" % tuple(c) for c in palette]}
        print(json.dumps(summary))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
