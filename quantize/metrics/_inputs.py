"""What the metrics take: arrays and images, refused with what to pass when they are a
result, a file name, None, a masked array or an array of Python objects."""

from __future__ import annotations

import os
import sys
from typing import Any, Literal

import numpy as np

from .._validation import as_array, refuse_masked

Kind = Literal["image", "labels", "mask"]

#: What a metric expects, by the kind of input.
EXPECTED: dict[str, str] = {
    "image": "a (..., 3) or (..., 4) array of colours",
    "labels": "a 2-D (H, W) integer label map",
    "mask": "a 2-D (H, W) bool border mask",
}

#: Where each result class is defined, and what of it to pass for each kind of input
#: (none: the result holds nothing of that kind).
_RESULTS: dict[str, tuple[str, dict[str, str]]] = {
    "ReduceResult": ("quantize.reduce.result",
                     {"image": "result.to_rgb() (result.to_rgba() with alpha)",
                      "labels": "result.indices"}),
    "SegmentResult": ("quantize.segment",
                      {"image": "result.mean_color_image()", "labels": "result.labels",
                       "mask": "result.boundaries()"}),
}

#: What to do with a file name, by the kind of input.
_FILE_ADVICE: dict[str, str] = {
    "image": "read it first with quantize.io.load_image(path)",
    "labels": "read the map into an array first",
    "mask": "read the mask into an array first",
}

#: What a masked array's mask can become, by the kind of input.
_MASK_ADVICE: dict[str, str] = {
    "image": "{name}.filled(...), with weights of 0 on the masked pixels",
    "labels": "{name}.filled(...) with a label of its own for the masked pixels",
    "mask": "{name}.filled(False)",
}


def refuse_non_array(value: Any, name: str, kind: Kind) -> None:
    """Refuse ``value``, given as ``name`` to a metric that takes ``kind`` of input, when
    it is a :class:`~quantize.ReduceResult` or :class:`~quantize.SegmentResult` (saying
    what of it to pass), a file name (bytes too), None or a masked array; ``np.asarray``
    made a 0-d array of the first four, refused later as a shape, and dropped the mask.

    >>> refuse_non_array("photo.png", "test", "image")
    Traceback (most recent call last):
    ...
    TypeError: test should be a (..., 3) or (..., 4) array of colours, got a str (a file \
name); read it first with quantize.io.load_image(path)
    """
    expected = f"{name} should be {EXPECTED[kind]}"
    result = _result_name(value)
    if result is not None:
        part = _RESULTS[result][1].get(kind)
        advice = f"; pass {part}" if part else ""
        raise TypeError(f"{expected}, got a {result}{advice}")
    if isinstance(value, str | os.PathLike):
        raise TypeError(f"{expected}, got a {type(value).__name__} (a file name); "
                        f"{_FILE_ADVICE[kind]}")
    if isinstance(value, bytes | bytearray):  # a name as bytes: np.asarray made it 0-d
        raise TypeError(f"{expected}, got {type(value).__name__}; a file name is given as a "
                        f"str or Path: {_FILE_ADVICE[kind]}")
    if value is None:
        raise TypeError(f"{expected}, got None")
    refuse_masked(value, name, _MASK_ADVICE[kind].format(name=name))


def metric_array(value: Any, name: str, kind: Kind) -> np.ndarray:
    """``value`` as an array (:func:`~quantize._validation.as_array`), refused as
    :func:`refuse_non_array` refuses it, or when it holds Python objects (a list of
    results, say), which no metric reads."""
    refuse_non_array(value, name, kind)
    arr = as_array(value, name, EXPECTED[kind])
    if arr.dtype == object:
        raise TypeError(f"{name} should be {EXPECTED[kind]}, got an array of dtype object")
    return arr


def _result_name(value: Any) -> str | None:
    """The name of ``value``'s class when it is one of :data:`_RESULTS`, asked without
    loading their modules: while one is not loaded, none of its results exists."""
    for name, (module_name, _) in _RESULTS.items():
        module = sys.modules.get(module_name)
        if module is not None and isinstance(value, getattr(module, name)):
            return name
    return None
