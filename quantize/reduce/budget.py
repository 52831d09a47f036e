"""Byte budget: the most colours whose encoded output fits in a number of bytes.

:func:`check_max_bytes` reads the budget (bytes, or with a unit: ``800k``, ``1MB``,
``1MiB``); :func:`largest_fitting` searches k for the largest output that fits, given a
function that encodes the output of k colours in memory and returns its size. The
still's job (:func:`~quantize.reduce.reduce_file`) and the animation's
(:mod:`quantize.animation.job`) each give it their own encoder.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import SizeBudgetError, warn_again, warnings_held, warnings_recorded
from .result import MAX_PALETTE

__all__ = ["BUDGET_BOUNDS", "BUDGET_MIN_COLORS", "budget_bound", "check_max_bytes",
           "is_size_unit", "largest_fitting", "most_fitting", "quietly", "warn_again"]

_T = TypeVar("_T")

#: The fewest colours the budget search tries (pngquant refuses fewer than 2).
BUDGET_MIN_COLORS = 2
#: What bounded the k a budget search chose (:func:`budget_bound`), as a record's
#: ``max_bytes_bound`` names it: the bytes (k + 1 was measured over them), the ``n_colors``
#: asked (they fit), the entry of transparent pixels (255 colours and it fill the 256 of a
#: palette), or the image's own colours (all of them fit, fewer than asked).
BUDGET_BOUNDS = ("max_bytes", "n_colors", "transparent_entry", "image_colors")

# The multiple of each unit, by its lowercase name: k, kB and KB are 1000, as pngquant's
# and gifsicle's users read sizes from ls -h and browsers (KiB: 1024).
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2,
          "g": 1000 ** 3, "gb": 1000 ** 3, "ki": 1024, "kib": 1024, "mi": 1024 ** 2,
          "mib": 1024 ** 2, "gi": 1024 ** 3, "gib": 1024 ** 3}
_SIZE = r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*"
_EXPECTED = ("expected a size in bytes, a whole number or one with a unit, as 800k, 800kB, "
             "1MB (1,000,000 bytes) or 1MiB (1,048,576 bytes)")


def check_max_bytes(max_bytes: Any) -> int | None:
    """``max_bytes``, the budget of an output file in bytes: an int of at least 1, or a
    string of a number and an optional unit, in any case (``B``; ``k``/``kB`` 1000;
    ``M``/``MB`` 1000²; ``G``/``GB``; ``KiB``, ``MiB``, ``GiB`` powers of 1024), whose
    value is rounded down to whole bytes. None (no budget) is kept.

    >>> check_max_bytes("1MB"), check_max_bytes("1mib"), check_max_bytes(" 800k ")
    (1000000, 1048576, 800000)
    >>> check_max_bytes("1.5kB"), check_max_bytes(4096), check_max_bytes(None)
    (1500, 4096, None)
    >>> check_max_bytes("1XB")
    Traceback (most recent call last):
    ...
    ValueError: max_bytes='1XB' is not valid; expected a size in bytes, a whole number or \
one with a unit, as 800k, 800kB, 1MB (1,000,000 bytes) or 1MiB (1,048,576 bytes)
    >>> check_max_bytes(0)
    Traceback (most recent call last):
    ...
    ValueError: max_bytes=0 is below 1 byte; expected a size in bytes, a whole number or \
one with a unit, as 800k, 800kB, 1MB (1,000,000 bytes) or 1MiB (1,048,576 bytes)

    Raises
    ------
    TypeError
        For a value neither an int nor a string (a bool, a float).
    ValueError
        For a string that is not a size, or a size below 1 byte.
    """
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | str):
        raise TypeError(f"max_bytes={max_bytes!r} is a {type(max_bytes).__name__}; "
                        f"{_EXPECTED}")
    if isinstance(max_bytes, int):
        size = max_bytes
    else:
        size = _parsed_size(max_bytes)
    if size < 1:
        raise ValueError(f"max_bytes={max_bytes!r} is below 1 byte; {_EXPECTED}")
    return size


def is_size_unit(word: str) -> bool:
    """Whether ``word`` is one of the units a size takes (:func:`check_max_bytes`), in
    any case: what an input named ``KB`` was meant as after ``--max-bytes 256``.

    >>> is_size_unit("KB"), is_size_unit("mib"), is_size_unit("photo.png"), is_size_unit("")
    (True, True, False, False)
    """
    return bool(word) and word.lower() in _UNITS


def budget_bound(k: int, n_colors: int, over: bool, clear: bool) -> str:
    """What bounded the ``k`` colours a budget search kept (one of :data:`BUDGET_BOUNDS`):
    the bytes when it measured ``k + 1`` ``over`` them, else the ``n_colors`` asked when
    it kept them all, else the transparent entry when the palette has one (``clear``) and
    ``k`` is the 255 beside it, else the image's own colours, fewer than asked.

    >>> budget_bound(18, 64, True, False), budget_bound(16, 16, False, False)
    ('max_bytes', 'n_colors')
    >>> budget_bound(255, 256, False, True), budget_bound(133, 256, False, False)
    ('transparent_entry', 'image_colors')
    """
    if over:
        return "max_bytes"
    if k >= n_colors:
        return "n_colors"
    if clear and k == MAX_PALETTE - 1:
        return "transparent_entry"
    return "image_colors"


def _parsed_size(text: str) -> int:
    """The bytes of a size ``text`` as :func:`check_max_bytes` reads it (rounded down)."""
    match = re.fullmatch(_SIZE, text)
    unit = None if match is None else _UNITS.get(match[2].lower())
    if match is None or unit is None:
        raise ValueError(f"max_bytes={text!r} is not valid; {_EXPECTED}")
    whole, _, fraction = match[1].partition(".")
    # in integers: 1.1 MB is 1,100,000 bytes, not the float's 1,100,000.0000000002
    return (int(whole) * unit) + (int(fraction or "0") * unit) // 10 ** len(fraction)


def largest_fitting(size_of: Callable[[int], int], max_bytes: int, k_max: int,
                    k_min: int = BUDGET_MIN_COLORS) -> tuple[int, dict[int, int]]:
    """The largest k in [``k_min``, ``k_max``] whose output, of ``size_of(k)`` bytes, fits
    in ``max_bytes``, and the sizes measured, by k. Prior validation is assumed.

    Sizes grow with k roughly, not strictly: the search keeps a bracket, the largest k
    measured to fit and the smallest above it measured not to, and returns a k that fits
    with ``k + 1`` measured not to (or ``k_max``). ``k_max`` is tried first (a budget
    that ``-k`` already meets costs one encoding), then ``k_min``; each next k is where
    lines through the bracket's ends, sizes against log k, meet the budget
    (:func:`_between`), or the middle of the bracket after a step that did not halve it.

    >>> sizes = {k: 100 * k for k in range(2, 17)}
    >>> largest_fitting(sizes.__getitem__, 1234, 16)[0]
    12
    >>> largest_fitting(sizes.__getitem__, 5000, 16)
    (16, {16: 1600})
    >>> largest_fitting({1: 90}.__getitem__, 50, 1)
    Traceback (most recent call last):
    ...
    quantize.errors.SizeBudgetError: max_bytes=50: even 1 colour takes 90 bytes, the \
smallest output reached, more than the 50 allowed

    Raises
    ------
    SizeBudgetError
        When even ``k_min`` colours do not fit, naming the smallest size reached.
    """
    sizes: dict[int, int] = {}
    k_min = min(k_min, k_max)
    sizes[k_max] = size_of(k_max)
    if sizes[k_max] <= max_bytes:
        return k_max, sizes
    if k_min < k_max:
        sizes[k_min] = size_of(k_min)
    if sizes[k_min] > max_bytes:
        raise SizeBudgetError(
            f"max_bytes={max_bytes}: even {_colours(k_min)} {_take(k_min)} "
            f"{min(sizes.values()):,} bytes, the smallest output reached, more than the "
            f"{max_bytes:,} allowed")
    lo, hi = k_min, k_max  # lo fits, hi does not
    halved = True
    while hi - lo > 1:
        k = _between(lo, hi, sizes, max_bytes) if halved else (lo + hi) // 2
        sizes[k] = size_of(k)
        width = hi - lo
        lo, hi = (k, hi) if sizes[k] <= max_bytes else (lo, k)
        halved = 2 * (hi - lo) <= width
    return lo, sizes


def most_fitting(make: Callable[[int], _T], size: Callable[[_T], int], max_bytes: int,
                 k_max: int, k_min: int = BUDGET_MIN_COLORS) -> tuple[_T, bool]:
    """What ``make(k)`` makes for the k of :func:`largest_fitting`, the largest found whose
    output, of ``size(made)`` bytes, fits in ``max_bytes``, and whether the budget bounded
    it (``k + 1`` measured over it; False: ``k_max`` fits): the still's and the
    animation's search. Each k's warnings, other libraries' too, are held back
    (:func:`quietly`) and those of the k kept alone given again (:func:`warn_again`), each
    once; only the largest k fitting so far is kept (each holds its encoded output, and a
    plan a table of 16 MB). ``k_min``: the fewest colours tried (more than the default
    with fixed colours, which count in k).

    >>> most_fitting(lambda k: "x" * (100 * k), len, 1234, 16) == ("x" * 1200, True)
    True
    >>> most_fitting(lambda k: "x" * (100 * k), len, 5000, 16) == ("x" * 1600, False)
    True

    Raises
    ------
    SizeBudgetError
        As :func:`largest_fitting`.
    """
    best: dict[str, Any] = {}

    def size_of(k: int) -> int:
        made, caught = quietly(lambda: make(k))
        n = size(made)
        if n <= max_bytes and k > best.get("k", 0):
            best.update(k=k, made=made, caught=caught)
        return n

    k, _ = largest_fitting(size_of, max_bytes, k_max, max(k_min, BUDGET_MIN_COLORS))
    warn_again(best["caught"])
    return best["made"], k < k_max


def _between(lo: int, hi: int, sizes: dict[int, int], max_bytes: int) -> int:
    """The k strictly between ``lo`` and ``hi`` where the budget ``max_bytes`` falls
    between their ``sizes``: the mean, in log k, of where a straight line through them
    meets it with the sizes as they are and with their logs.

    Sizes grow with k between those two lines: on coffee and china (k = 2 to 256, budgets
    of 12 to 150 kB, 418 searches) the lines alone took 6.8 and 7.2 encodings a search,
    their mean 6.2, bisection 8.5.

    >>> _between(2, 16, {2: 100, 16: 400}, 300)
    9
    """
    if sizes[hi] <= sizes[lo]:  # not growing here: halve the bracket
        return (lo + hi) // 2
    span = math.log(hi) - math.log(lo)
    plain = (max_bytes - sizes[lo]) / (sizes[hi] - sizes[lo])
    logs = math.log(max_bytes / sizes[lo]) / math.log(sizes[hi] / sizes[lo])
    k = round(lo * math.exp((plain + logs) / 2 * span))
    return min(max(k, lo + 1), hi - 1)


def _take(k: int) -> str:
    """The verb of ``k`` colours.

    >>> _take(1), _take(2)
    ('takes', 'take')
    """
    return "takes" if k == 1 else "take"


def _colours(k: int) -> str:
    """``k`` colours, in words.

    >>> _colours(1), _colours(2)
    ('1 colour', '2 colours')
    """
    return "1 colour" if k == 1 else f"{k} colours"


def quietly(make: Callable[[], _T]) -> tuple[_T, list[warnings.WarningMessage]]:
    """``make()``, and the warnings it gave, held back: the search makes the output of
    several k, and only the one written should warn (:func:`warn_again`). quantize's own
    are held as they come (:func:`~quantize.errors.warnings_held`); other libraries'
    (Pillow's, NumPy's) are recorded (:func:`~quantize.errors.warnings_recorded`), each
    distinct one kept once (an encoder warns alike of every frame). Both in this thread
    alone: a warning of another thread is given as the filters say.

    >>> from quantize.errors import QuantizeWarning, warn_caller
    >>> def make():
    ...     warn_caller("fewer colours", QuantizeWarning)
    ...     for _ in range(3):
    ...         warnings.warn("overflow", RuntimeWarning)
    ...     return 3
    >>> value, caught = quietly(make)
    >>> value, [str(w.message) for w in caught]
    (3, ['fewer colours', 'overflow'])
    """
    with warnings_held() as caught, warnings_recorded(for_good=False) as others:
        value = make()
    distinct = {(w.category, str(w.message), w.filename, w.lineno): w for w in others}
    return value, [*caught, *distinct.values()]
