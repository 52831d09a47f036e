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

import math
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np

from .._validation import check_bool, check_float, check_stretch_clip

__all__ = ["DEFAULT_SOFTENING", "STRETCH_CURVES", "StretchCurve", "check_stretch_curve",
           "check_stretch_range", "clipped_share", "curve_levels", "curve_record",
           "range_record", "softening_of"]

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


def check_stretch_range(value: Any, name: str = "stretch_range",
                        clip: float = 0.0, clip_name: str = "stretch_clip"
                        ) -> tuple[float, float] | None:
    """``value``, a fixed range to stretch (the values read as black and white, in the
    input's own units), checked: None, or two finite numbers, the first the smaller,
    as a tuple of floats. A fixed range finds no percentiles, so a ``clip`` above 0
    (``clip_name``) beside one is refused. ``name`` and ``clip_name`` are the
    parameters the errors name (the command line's flags).

    >>> check_stretch_range((-1024, 1976)), check_stretch_range(None)
    ((-1024.0, 1976.0), None)
    >>> check_stretch_range((3000, 1000))
    Traceback (most recent call last):
    ...
    ValueError: stretch_range=(3000, 1000) should be two finite numbers LOW, HIGH with LOW \
below HIGH (the input's values read as black and white)
    >>> check_stretch_range((0, 1), clip=0.5)
    Traceback (most recent call last):
    ...
    ValueError: stretch_clip=0.5 finds a range from percentiles; expected none beside \
stretch_range=(0, 1), which fixes it
    """
    if value is None:
        return None
    expected = (f"{name}={value!r} should be two finite numbers LOW, HIGH with LOW below "
                "HIGH (the input's values read as black and white)")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(expected)
    if any(isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
           for v in value):
        raise TypeError(expected)
    low, high = (float(v) for v in value)
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(expected)
    if clip:
        raise ValueError(f"{clip_name}={clip:g} finds a range from percentiles; expected "
                         f"none beside {name}={value!r}, which fixes it")
    return low, high


class StretchAsked(NamedTuple):
    """The stretch options as checked (:func:`check_stretch`): whether a stretch is asked
    (``stretch``, or any other option that implies one), the percentage clipped at each
    end, the curve and its softening, and the fixed range (None: the image's own)."""

    stretch: bool
    clip: float
    curve: str
    softening: float
    fixed: tuple[float, float] | None


#: The parameters :func:`check_stretch`'s errors name by default, the library's keywords:
#: stretch, clip, curve, softening, fixed range.
STRETCH_NAMES = ("stretch", "stretch_clip", "stretch_curve", "stretch_softening",
                 "stretch_range")


def check_stretch(stretch: Any = False, clip: Any = 0.0, curve: Any = "linear",
                  softening: Any = None, fixed: Any = None, *,
                  names: tuple[str, str, str, str, str] = STRETCH_NAMES) -> StretchAsked:
    """The stretch options checked together, as every reader and command takes them:
    ``clip`` (:func:`~quantize._validation.check_stretch_clip`), ``curve`` and
    ``softening`` (:func:`check_stretch_curve`), ``fixed`` (:func:`check_stretch_range`,
    refused beside a clip), and a stretch asked when ``stretch`` is true or any of the
    others asks for one. ``names`` are the parameters the errors name, in that order (the
    command line's flags).

    >>> check_stretch(curve="sqrt")
    StretchAsked(stretch=True, clip=0.0, curve='sqrt', softening=0.1, fixed=None)
    >>> check_stretch().stretch, check_stretch(fixed=(0, 4095)).fixed
    (False, (0.0, 4095.0))
    """
    clip = check_stretch_clip(clip, names[1])
    curve, softening = check_stretch_curve(curve, softening, names=(names[2], names[3]))
    fixed = check_stretch_range(fixed, names[4], clip, names[1])
    asked = check_bool(stretch, names[0]) or clip > 0 or curve != "linear" or fixed is not None
    return StretchAsked(asked, clip, curve, softening, fixed)


def stretch_given(asked: StretchAsked) -> dict[str, Any]:
    """The settings a run records of the stretch options ``asked``, each only when it asks
    for something, so that the settings of runs from before an option was added match a
    run without it: ``stretch`` true, ``stretch_clip`` above 0, ``stretch_curve`` and
    ``stretch_softening`` (:func:`curve_record`), ``stretch_range``, a fixed range as a
    list.

    >>> stretch_given(check_stretch()), stretch_given(check_stretch(curve="sqrt", fixed=(0, 9)))
    ({}, {'stretch': True, 'stretch_curve': 'sqrt', 'stretch_range': [0.0, 9.0]})
    """
    given: dict[str, Any] = {"stretch": True} if asked.stretch else {}
    if asked.clip:
        given["stretch_clip"] = asked.clip
    given.update(curve_record(asked.curve, asked.softening))  # none of linear
    if asked.fixed is not None:
        given["stretch_range"] = list(asked.fixed)
    return given


def range_record(fixed: tuple[float, float] | None) -> dict[str, Any]:
    """A record's ``stretch_fixed`` of a checked fixed range (:func:`check_stretch_range`):
    none without one, which the records of runs from before there were fixed ranges lack
    too; beside it, ``stretch_range`` is that range.

    >>> range_record((-1024.0, 1976.0)), range_record(None)
    ({'stretch_fixed': [-1024.0, 1976.0]}, {})
    """
    return {} if fixed is None else {"stretch_fixed": [fixed[0], fixed[1]]}


def clipped_share(values: np.ndarray, fixed: tuple[float, float],
                  alpha: np.ndarray | None = None) -> float:
    """The share (0..1) of ``values``, ``(H, W)`` or ``(H, W, 3)``, of the pixels that show
    (``alpha`` ``(H, W)`` above 0; all when None), that lie outside the range ``fixed``
    and so were clipped to its ends; a colour pixel counts once when any channel does.
    0 when no pixel shows.

    >>> clipped_share(np.array([[-2000, 0], [100, 3000]]), (-1024.0, 1976.0))
    0.5
    """
    outside = (values < fixed[0]) | (values > fixed[1])
    if outside.ndim == 3:
        outside = outside.any(axis=2)
    if alpha is not None:
        outside = outside[alpha > 0]
    return float(outside.mean()) if outside.size else 0.0
