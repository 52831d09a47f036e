"""The per-file jobs a batch can run: reduce and segment.

Each mode names the job's public file function and its public option checker;
batch knows neither job's keyword names nor its defaults.
"""

from __future__ import annotations

from .plan import JobMode

__all__ = ["reduce_mode", "segment_mode"]


def reduce_mode() -> JobMode:
    """Colour reduction: ``INPUT`` -> ``OUT_DIR/<same folders>/<stem>.png``."""
    from ..reduce import check_reduce_options, reduce_file

    return JobMode("reduce", reduce_file, suffix=".png", check_options=check_reduce_options)


def segment_mode() -> JobMode:
    """Segmentation: ``INPUT`` -> folder ``OUT_DIR/<same folders>/<stem>/``."""
    from ..segment_file import check_segment_options, segment_file

    return JobMode("segment", segment_file, suffix="", marker="segments.json",
                   check_options=check_segment_options)

