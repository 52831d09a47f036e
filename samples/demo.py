"""`make demo`: run `quantize reduce` on every sample photo, writing into OUT_DIR.

Usage: python samples/demo.py SAMPLES_DIR OUT_DIR

For each image it runs the real command twice: 16 colours with the palette
saved as a GIMP palette, and the fewest colours with a mean CIEDE2000 of at
most 3. ``--force`` makes a rerun overwrite the previous outputs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff"}


def quantize_command() -> list[str]:
    """The installed ``quantize`` script beside this Python, or the module entry point."""
    script = Path(sys.executable).with_name("quantize")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from quantize.cli import main; main()"]


def main(samples: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    images = sorted(p for p in samples.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    failures = 0
    for path in images:
        runs = [
            ["-k", "16", "-o", out / f"{path.stem}.k16.png",
             "--palette-out", out / f"{path.stem}.k16.gpl"],
            ["--quality", "3", "-o", out / f"{path.stem}.q3.png"],
        ]
        for options in runs:
            argv = [*quantize_command(), "reduce", str(path), *map(str, options), "--force"]
            failures += subprocess.run(argv).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
