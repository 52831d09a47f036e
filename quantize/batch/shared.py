"""One palette for a whole reduce batch (``quantize batch --shared-palette``).

The palette fit itself belongs to reduce (sampling, pooling, fitting, and
passing the palette on); this module only drives it across files: it samples
every image on the same executor as the batch, pools the samples, fits once,
saves the palette in the output folder and returns a plan whose jobs map onto
it. A rerun reuses the saved palette, so resumed files match the others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int
from .calls import Call, Outcome
from .plan import BatchPlan
from .run import run_calls

__all__ = ["SAMPLES_PER_FILE", "SHARED_PALETTE_NAME", "SharedPalette", "shared_palette"]

#: File in the output folder holding the palette of a ``--shared-palette`` run.
SHARED_PALETTE_NAME = "shared-palette.json"

#: Pixels drawn from each image for the shared palette.
SAMPLES_PER_FILE = 20_000


@dataclass(frozen=True)
class SharedPalette:
    """One palette for a whole batch, and the plan that maps every file onto it.

    ``colors`` is ``(k, 3)`` uint8, saved at ``path``; ``n_files`` images were
    sampled to fit it (0 when an earlier run's palette was reused).
    """

    colors: np.ndarray
    path: Path
    n_files: int
    plan: BatchPlan


def shared_palette(plan: BatchPlan, *, samples_per_file: int = SAMPLES_PER_FILE,
                   jobs: int | None = None, scheduler: str | None = None) -> SharedPalette:
    """Fit one palette on colours sampled from every image of a reduce plan.

    Each image contributes ``samples_per_file`` pixels drawn uniformly (so each
    colour is drawn in proportion to its pixel count, and every image weighs
    the same); the pooled colours are clustered with the plan's reduce options.
    The palette is written to ``OUT_DIR/shared-palette.json``; a rerun reuses
    that file (unless the plan was made with ``force``).

    Parameters
    ----------
    plan : BatchPlan
        A reduce plan (:func:`~quantize.batch.reduce_mode`).
    samples_per_file : int
        Pixels drawn from each image.
    jobs, scheduler
        Where to sample, as in :func:`~quantize.batch.run_batch`.

    Returns
    -------
    SharedPalette
        With a plan whose jobs map onto the palette instead of fitting their own.

    Raises
    ------
    ValueError
        If the plan is not a reduce plan, or no image could be sampled.
    """
    from ..reconstruct.palette import read_palette, write_palette

    if plan.mode.name != "reduce":
        raise ValueError(f"shared palette needs --mode reduce, got mode={plan.mode.name!r}")
    check_int(samples_per_file, "samples_per_file", minimum=1)
    path = plan.output_dir / SHARED_PALETTE_NAME
    if path.exists() and not plan.force:
        colors = read_palette(path)
        return SharedPalette(colors, path, 0, _onto(plan, colors))
    if not plan.jobs:
        return SharedPalette(np.zeros((0, 3), np.uint8), path, 0, plan)
    samples = _sample_all(plan, samples_per_file, jobs, scheduler)
    colors, counts = merge_histograms(samples)
    palette = fit_shared_palette(colors, counts, plan.options)
    plan.output_dir.mkdir(parents=True, exist_ok=True)
    write_palette(path, palette)
    return SharedPalette(palette, path, len(samples), _onto(plan, palette))


def _onto(plan: BatchPlan, palette: np.ndarray) -> BatchPlan:
    return plan.with_options(options_with_palette(plan.options, palette))


def _sample_all(plan: BatchPlan, samples_per_file: int, jobs: int | None,
                scheduler: str | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Colour samples of every readable image of the plan (unreadable ones are left out)."""
    seed = plan.options.get("seed")
    max_pixels = plan.options.get("max_pixels")
    inputs = [j.input for j in plan.jobs] + [r.input for r in plan.settled
                                             if r.status == "skipped"]
    calls = [Call(sample_colors, (path, samples_per_file),
                  {"seed": None if seed is None else (seed, i), "max_pixels": max_pixels})
             for i, path in enumerate(inputs)]
    samples: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(calls)

    def keep(index: int, outcome: Outcome) -> None:
        samples[index] = outcome.value if outcome.ok else None

    run_calls(calls, keep, jobs=jobs, scheduler=scheduler)
    got = [s for s in samples if s is not None and len(s[0])]
    if not got:
        raise ValueError(f"input_dir={str(plan.input_dir)!r}: no image could be sampled "
                         "for the shared palette")
    return got


# --------------------------------------------------------------------------
# TEMPORARY: the shared-palette fit moves to quantize/reduce/shared.py (next to
# the palette fit). Until that is on main these four stand in for it, with the
# same names and signatures; batch then imports them from there.
# --------------------------------------------------------------------------


def sample_colors(path: str | os.PathLike[str], n: int, seed: Any = None,
                  max_pixels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` opaque pixels of an image uniformly, with replacement, as a histogram."""
    from ..colors import color_histogram
    from ..io import DEFAULT_MAX_PIXELS, load_image

    image = load_image(path, max_pixels=DEFAULT_MAX_PIXELS if max_pixels is None
                       else max_pixels)
    rgb = image.rgb.reshape(-1, 3)
    if image.alpha is not None:
        rgb = rgb[image.alpha.ravel() > 0]
    if len(rgb) == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)
    picks = np.random.default_rng(seed).integers(0, len(rgb), size=n)
    return color_histogram(rgb[picks])


def merge_histograms(samples: list[tuple[np.ndarray, np.ndarray]]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Pool ``(colors, counts)`` histograms into one, summing the counts of shared colours."""
    from .._kernels import pack_rgb, unpack_rgb

    codes = np.concatenate([pack_rgb(c) for c, _ in samples])
    counts = np.concatenate([n for _, n in samples])
    merged, inverse = np.unique(codes, return_inverse=True)
    total = np.bincount(inverse, weights=counts, minlength=len(merged))
    return unpack_rgb(merged), total


def fit_shared_palette(colors: np.ndarray, counts: np.ndarray,
                       options: Mapping[str, Any]) -> np.ndarray:
    """Fit a palette on a pooled histogram with reduce's checked options."""
    from ..reduce import fit_palette

    return fit_palette(colors, counts, options["n_colors"], space=options["space"],
                       exact_colors=options["exact_colors"], seed=options["seed"])


def options_with_palette(options: Mapping[str, Any], palette: np.ndarray) -> dict[str, Any]:
    """Reduce options that map onto ``palette`` instead of fitting one."""
    fitted = ("n_colors", "quality", "exact_colors")
    return {**{k: v for k, v in options.items() if k not in fitted}, "palette_in": palette}
