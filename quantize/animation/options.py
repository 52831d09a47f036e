"""The animation job's options, validated once on entry."""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_choice, check_float, check_int, check_seed
from ..io import DEFAULT_MAX_PIXELS, check_output_path
from ..reconstruct.palette import check_palette_path, read_palette
from .sinks import ANIMATION_EXTENSIONS

__all__ = ["PALETTE_MODES", "AnimationOptions", "check_animation_options"]

#: Values of the ``palette`` option.
PALETTE_MODES = ("global", "per-frame")
_DEFAULT_COLORS = 16
_MAX_PALETTE = 256
_DEFAULTS: dict[str, Any] = {
    "n_colors": None, "quality": None, "space": "rgb", "dither": 0.0,
    "exact_colors": False, "palette_in": None, "palette_out": None, "seed": 0,
    "force": False, "max_pixels": DEFAULT_MAX_PIXELS, "skip_if_larger": False,
    "optimize": False, "palette": "global",
}


@dataclass(frozen=True)
class AnimationOptions:
    """Checked options of :func:`~quantize.animation.reduce_animation_file`."""

    output: Path | None
    suffix: str
    n_colors: int | None
    quality: float | None
    space: str
    dither: float
    exact_colors: bool
    palette_in: np.ndarray | None
    palette_out: Path | None
    rng: np.random.Generator
    force: bool
    max_pixels: int | None
    skip_if_larger: bool
    optimize: bool
    per_frame: bool


def check_animation_options(src: Path, output: Any, **options: Any) -> AnimationOptions:
    """Validate every option and the output path before any frame is decoded.

    Raises
    ------
    TypeError
        For an unknown option or a value of the wrong type.
    ValueError
        For a bad value, an unsupported output extension or a combination
        that cannot work.
    OutputError, OutputExistsError, ImageReadError
        For an output that cannot be written, or an unreadable palette file.
    """
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; expected some of "
                        f"{', '.join(_DEFAULTS)}")
    o = {**_DEFAULTS, **options}
    out = None if output is None else Path(output)
    suffix = _check_suffix(out if out is not None else src)
    per_frame = check_choice(o["palette"], "palette", PALETTE_MODES) == "per-frame"
    if per_frame and suffix != ".gif":
        raise ValueError(f"palette='per-frame' needs a .gif output (local colour tables), "
                         f"got {suffix!r}")
    k = None if o["n_colors"] is None else check_int(o["n_colors"], "n_colors", minimum=2,
                                                     maximum=_MAX_PALETTE)
    q = None if o["quality"] is None else check_float(o["quality"], "quality", minimum=0.0)
    pal_in = _palette_in(o["palette_in"])
    if pal_in is not None and (k is not None or q is not None or per_frame):
        raise ValueError("palette_in fixes the colours; it cannot be combined with n_colors, "
                         "quality or palette='per-frame'")
    if k is None and q is None and pal_in is None:
        k = _DEFAULT_COLORS
    bools = {name: _check_bool(o[name], name)
             for name in ("exact_colors", "force", "skip_if_larger", "optimize")}
    pal_out = None
    if o["palette_out"] is not None:
        pal_out = check_palette_path(o["palette_out"], "palette_out")
        check_output_path(pal_out, inputs=(src,), force=bools["force"])
    if out is not None:
        check_output_path(out, inputs=(src,), force=bools["force"])
    limit = None if o["max_pixels"] is None else check_int(o["max_pixels"], "max_pixels",
                                                           minimum=1)
    return AnimationOptions(out, suffix, k, q, check_choice(o["space"], "space", ("rgb", "lab")),
                            _check_dither(o["dither"]), bools["exact_colors"], pal_in, pal_out,
                            check_seed(o["seed"]), bools["force"], limit,
                            bools["skip_if_larger"], bools["optimize"], per_frame)


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_EXTENSIONS:
        raise ValueError(f"output={str(path)!r}: an animation is written as "
                         f"{', '.join(ANIMATION_EXTENSIONS)}, got {suffix or '(none)'!r}")
    return suffix


def _palette_in(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    arr = read_palette(value) if isinstance(value, str | os.PathLike) else np.asarray(value)
    if arr.ndim != 2 or arr.shape[1] != 3 or not 1 <= arr.shape[0] <= _MAX_PALETTE - 1:
        raise ValueError(f"palette_in should have shape (k, 3) with 1 <= k <= 255, "
                         f"got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() > 255:
        raise ValueError("palette_in should hold integers 0..255")
    return arr.astype(np.uint8)


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}={value!r} should be a bool, got {type(value).__name__}")
    return bool(value)


def _check_dither(dither: Any) -> float:
    if isinstance(dither, bool | np.bool_):
        return 1.0 if dither else 0.0
    if not isinstance(dither, numbers.Real):
        raise TypeError(f"dither={dither!r} should be a bool or a number in [0, 1], got "
                        f"{type(dither).__name__}")
    return check_float(dither, "dither", minimum=0.0, maximum=1.0)
