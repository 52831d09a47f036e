"""`make demo`: the three jobs of quantize on the sample photos, written into OUT_DIR.

Usage: python samples/demo.py SAMPLES_DIR OUT_DIR

1. ``quantize reduce`` on every photo, twice: 16 colours (palette saved as a
   GIMP palette) and the fewest colours with a mean CIEDE2000 of at most 3
   -> ``OUT_DIR/reduce/``.
2. ``quantize segment --edges`` on two photos -> ``OUT_DIR/segment/<stem>/``
   (region labels, mean-colour image, borders, overlay, the edge-strength map
   edges.png, segments.json).
3. ``quantize batch`` over the whole folder (16 colours per photo) ->
   ``OUT_DIR/batch/``, reported with ``--html`` as one page, ``OUT_DIR/index.html``.

Every step runs the real command and overwrites the outputs of a previous demo.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff"}
SEGMENTED = ("coffee", "chelsea")


def quantize_command() -> list[str]:
    """The installed ``quantize`` script beside this Python, or the module entry point."""
    script = Path(sys.executable).with_name("quantize")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from quantize.cli import main; main()"]


def run(*args: object) -> bool:
    """Run ``quantize ARGS``, echoing the command; True when it succeeded."""
    argv = [*quantize_command(), *map(str, args)]
    print("$ quantize " + " ".join(map(str, args)), flush=True)
    return subprocess.run(argv).returncode == 0


def reduce_all(images: list[Path], out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in images:
        failures += not run("reduce", path, "-k", 16, "-o", out / f"{path.stem}.k16.png",
                            "--palette-out", out / f"{path.stem}.k16.gpl", "--force")
        failures += not run("reduce", path, "--quality", 3, "-o", out / f"{path.stem}.q3.png",
                            "--force")
    return failures


def segment_some(images: list[Path], out: Path) -> int:
    failures = 0
    for path in (p for p in images if p.stem in SEGMENTED):
        failures += not run("segment", path, "--edges", "-o", out / path.stem, "--force")
    return failures


def batch_with_report(samples: Path, out: Path, report: Path) -> int:
    """Reduce every photo of ``samples`` in parallel; write the HTML report."""
    return int(not run("batch", samples, "-o", out, "-k", 16, "--force", "--html", report))


def main(samples: Path, out: Path) -> int:
    images = sorted(p for p in samples.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    failures = reduce_all(images, out / "reduce")
    failures += segment_some(images, out / "segment")
    report = out / "index.html"
    failures += batch_with_report(samples, out / "batch", report)
    print(f"\nDone. Open {report} in a browser to see the batch report:\n"
          f"  {report.resolve().as_uri()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
