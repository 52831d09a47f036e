"""The per-file jobs a batch can run: reduce and segment.

Each mode names the job's public file function and its public option checker;
batch knows neither job's keyword names nor its defaults.
"""

from __future__ import annotations

from typing import Any

from .plan import JobMode

__all__ = ["reduce_mode", "segment_mode"]


def reduce_mode() -> JobMode:
    """Colour reduction: ``INPUT`` -> ``OUT_DIR/<same folders>/<stem>.png``."""
    from ..reduce import reduce_file

    return JobMode("reduce", reduce_file, suffix=".png", check_options=_check_reduce_options)


def segment_mode() -> JobMode:
    """Segmentation: ``INPUT`` -> folder ``OUT_DIR/<same folders>/<stem>/``."""
    from ..segment import segment_file

    return JobMode("segment", segment_file, suffix="", marker="segments.json",
                   check_options=_check_segment_options)


# --------------------------------------------------------------------------
# TEMPORARY ADAPTERS, to be replaced by the jobs' own public checkers
# (quantize.reduce.check_reduce_options, quantize.segment.check_segment_options)
# as soon as those are on main. Until then they are the only place in batch
# that knows a job's option names and defaults.
# --------------------------------------------------------------------------

_REDUCE_DEFAULTS: dict[str, Any] = {"space": "rgb", "dither": False, "exact_colors": False,
                                    "seed": 0}


def _check_reduce_options(**options: Any) -> dict[str, Any]:
    """TEMPORARY: reduce's defaults filled in; reduce_file validates each value."""
    checked = {**_REDUCE_DEFAULTS, **options}
    if all(checked.get(name) is None for name in ("n_colors", "quality", "palette_in")):
        checked["n_colors"] = 16
    return checked


def _check_segment_options(**options: Any) -> dict[str, Any]:
    """TEMPORARY: passed as given; segment_file validates and fills its defaults."""
    return dict(options)
