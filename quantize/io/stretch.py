"""The curves of a display stretch: how values scaled to 0..1 by the range a stretch
found (:func:`quantize.io.load_image`'s ``stretch``, ``stretch_clip``) are made levels.

``"linear"`` keeps them as they are; ``"asinh"`` (the default of survey viewers, after
Lupton, Gunn and Szalay, AJ 118, 1999, and Lupton et al., PASP 116, 2004), ``"log"`` and
``"sqrt"`` lift the faint values near the bottom of the range, which a linear stretch
puts in its first few levels when a few bright stars set the range. ``asinh`` and ``log``
have a softening ``s``, their knee as a fraction of the range: linear below about ``s``,
logarithmic above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .._validation import check_float

__all__ = ["DEFAULT_SOFTENING", "STRETCH_CURVES", "StretchCurve", "check_stretch_curve",
           "curve_levels", "curve_record", "softening_of"]

StretchCurve = Literal["linear", "asinh", "log", "sqrt"]

#: The softening of ``asinh`` and ``log`` when none is given: a tenth of the range.
DEFAULT_SOFTENING = 0.1


def _linear(unit: np.ndarray, softening: float) -> np.ndarray:
    return unit


def _asinh(unit: np.ndarray, softening: float) -> np.ndarray:
    return np.arcsinh(unit / softening) / np.arcsinh(1.0 / softening)


def _log(unit: np.ndarray, softening: float) -> np.ndarray:
    return np.log1p(unit / softening) / np.log1p(1.0 / softening)


def _sqrt(unit: np.ndarray, softening: float) -> np.ndarray:
    return np.sqrt(unit)


#: Each curve, of values in 0..1 and a softening, giving values in 0..1 (0 and 1 kept).
_CURVES: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "linear": _linear, "asinh": _asinh, "log": _log, "sqrt": _sqrt}
#: The curves that take a softening.
_SOFTENED = ("asinh", "log")
STRETCH_CURVES: tuple[str, ...] = tuple(_CURVES)


def check_stretch_curve(curve: Any, softening: Any = None, *,
                        names: tuple[str, str] = ("stretch_curve", "stretch_softening")
                        ) -> tuple[str, float]:
    """``curve`` (one of :data:`STRETCH_CURVES`) and ``softening`` checked: a number above
    0 for ``"asinh"`` and ``"log"`` (None: :data:`DEFAULT_SOFTENING`), None for the
    others, which take none. ``names`` are the parameters the errors name (the command
    line's flags). The softening returned is :data:`DEFAULT_SOFTENING` for a curve
    without one, so that a caller keeps one number.

    >>> check_stretch_curve("asinh"), check_stretch_curve("log", 0.02)
    (('asinh', 0.1), ('log', 0.02))
    >>> check_stretch_curve("cube")
    Traceback (most recent call last):
    ...
    ValueError: stretch_curve='cube' should be one of 'linear', 'asinh', 'log', 'sqrt'
    >>> check_stretch_curve("sqrt", 0.1)
    Traceback (most recent call last):
    ...
    ValueError: stretch_softening=0.1 applies to the asinh and log curves only; expected \
none with stretch_curve='sqrt'
    """
    if not isinstance(curve, str) or curve not in _CURVES:
        raise ValueError(f"{names[0]}={curve!r} should be one of "
                         + ", ".join(repr(name) for name in _CURVES))
    if softening is None:
        return curve, DEFAULT_SOFTENING
    if curve not in _SOFTENED:
        raise ValueError(f"{names[1]}={softening} applies to the asinh and log curves only; "
                         f"expected none with {names[0]}={curve!r}")
    value = check_float(softening, names[1])
    if value <= 0:
        raise ValueError(f"{names[1]}={softening} should be a number above 0 (the curve's "
                         "knee, as a fraction of the range stretched)")
    return curve, value


def softening_of(curve: str, softening: float) -> float | None:
    """The softening a checked ``curve`` takes (:func:`check_stretch_curve`):
    ``softening`` of ``"asinh"`` and ``"log"``, None of the others, as
    :func:`quantize.io.load_image` is given it.

    >>> softening_of("asinh", 0.05), softening_of("sqrt", 0.1)
    (0.05, None)
    """
    return softening if curve in _SOFTENED else None


def curve_record(curve: str, softening: float) -> dict[str, Any]:
    """A record's ``stretch_curve`` of a checked ``curve`` (none of ``"linear"``, which the
    records of runs from before there were curves lack too) and its ``stretch_softening``
    (of ``"asinh"`` and ``"log"``): what ``segments.json`` and a batch's settings hold.

    >>> curve_record("asinh", 0.1), curve_record("sqrt", 0.1), curve_record("linear", 0.1)
    ({'stretch_curve': 'asinh', 'stretch_softening': 0.1}, {'stretch_curve': 'sqrt'}, {})
    """
    if curve == "linear":
        return {}
    given = softening_of(curve, softening)
    return {"stretch_curve": curve, **({} if given is None else {"stretch_softening": given})}


def curve_levels(unit: np.ndarray, curve: str, softening: float) -> np.ndarray:
    """Levels 0..255 (float64, unrounded) of ``unit``, values scaled to 0..1 by a
    stretch's range (clipped to it by the caller), through ``curve`` with ``softening``.
    Prior validation is assumed (:func:`check_stretch_curve`).

    >>> curve_levels(np.array([0.0, 0.25, 1.0]), "sqrt", 0.1).tolist()
    [0.0, 127.5, 255.0]
    >>> np.round(curve_levels(np.array([0.0, 0.01, 1.0]), "asinh", 0.1), 3).tolist()
    [0.0, 8.491, 255.0]
    """
    return _CURVES[curve](np.asarray(unit, dtype=np.float64), softening) * 255.0
