"""Validators shared by the public functions: one per concept.

Each validator checks one parameter and raises ``TypeError`` for a wrong type or
``ValueError`` for a wrong value, with a message naming the parameter, the value
and what was expected. Private helpers elsewhere assume their input went through
these. :func:`read_only` guards the other way: what results hand out.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import numpy as np

from .errors import ImageReadError
from .names import quoted

Seed = int | np.random.Generator | None
F = TypeVar("F", bound=Callable[..., Any])


def check_int(value: Any, name: str, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``.

    Booleans and floats are refused even when integral: ``k=2.0`` is more
    likely a mistake than an intent.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} should be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} should be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}={value} should be <= {maximum}")
    return value


def check_optional_int(value: Any, name: str, *, minimum: int | None = None,
                       maximum: int | None = None) -> int | None:
    """``value`` as :func:`check_int` checks it, or None when it is None (an optional
    count: ``threads``, ``page``, ``regions``).

    >>> check_optional_int(3, "page", minimum=1), check_optional_int(None, "page", minimum=1)
    (3, None)
    >>> check_optional_int(0, "page", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: page=0 should be >= 1

    Raises
    ------
    TypeError
        If ``value`` is neither an integer nor None, naming ``name``.
    ValueError
        If ``value`` is out of bounds, naming ``name``.
    """
    return None if value is None else check_int(value, name, minimum=minimum, maximum=maximum)


def check_float(value: Any, name: str, *, minimum: float | None = None,
                maximum: float | None = None) -> float:
    """Return ``value`` as a finite float within bounds, or raise naming ``name``.

    The messages show the value as given (``weight texture=-1``, not ``-1.0``), and
    the bounds as the help writes them (``<= 1e6``, ``>= 0``: :func:`shown_number`).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} should be a number, got {type(value).__name__}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name}={value} should be a finite number")
    if minimum is not None and number < minimum:
        raise ValueError(f"{name}={value} should be >= {shown_number(minimum)}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name}={value} should be <= {shown_number(maximum)}")
    return number + 0.0  # -0 (typed "-0", or -0.0) as 0.0: records show no "-0.0"


class TypedNumber(float):
    """A float that keeps the text it was typed as: messages quote it so (``str``,
    ``repr``: ``-w texture=-1``, not ``-1.0``), and :func:`shown_number` shows it so where
    the float is another number (``--quality 1e-400``, read as the smallest float above 0,
    is not shown ``5e-324``).

    It computes as the float it is, and keeps its text when pickled, so that a worker's
    messages show it too.

    >>> value = TypedNumber(5e-324, "1e-400")
    >>> value > 0, f"quality={value}", shown_number(value)
    (True, 'quality=1e-400', '1e-400')
    >>> shown_number(TypedNumber(1e-5, "0.00001")), shown_number(TypedNumber(-0.0, "-0"))
    ('1e-5', '0')
    """

    __slots__ = ("text",)

    def __new__(cls, value: float, text: str) -> TypedNumber:
        self = super().__new__(cls, value)
        self.text = text
        return self

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__  # as messages quote a value: "so quality=2 cannot be given"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TypedNumber, (float(self), self.text))


def as_typed(value: Any, checked: float) -> float:
    """``checked``, the float that :func:`check_float` made of ``value``, or ``value`` itself
    when it is a :class:`TypedNumber` (but 0, which ``check_float`` makes ``0.0`` of
    ``-0``), so that the messages of the work it is passed to show it as typed.

    >>> as_typed(TypedNumber(3.0, "3"), 3.0), as_typed(3, 3.0)
    (3, 3.0)
    >>> as_typed(TypedNumber(-0.0, "-0"), 0.0)
    0.0
    """
    return value if isinstance(value, TypedNumber) and checked != 0 else checked


def shown_number(value: float) -> str:
    """A bound as a person writes it: no ``.0`` on a whole number, and a power of ten
    past a million or below 1e-4 with its exponent (``1e6``, not ``1000000.0``); a
    :class:`TypedNumber` whose float is not the number typed as it was typed.

    >>> [shown_number(x) for x in (0.0, -0.0, 2.0, 0.5, 256, 1e6, 1.5e6, 1e-6)]
    ['0', '0', '2', '0.5', '256', '1e6', '1.5e6', '1e-6']
    """
    if isinstance(value, TypedNumber) and Decimal(repr(float(value))) != Decimal(value.text):
        return value.text  # no float holds it: 1e-400, not the 5e-324 it was read as
    if isinstance(value, numbers.Integral):
        return str(int(value))
    # the shortest digits giving the float; -0 (typed "-0") as 0, as no one writes a bound
    exact = Decimal(repr(float(value) + 0.0)).normalize()
    scientific = value != 0 and not 1e-4 <= abs(value) < 1e6
    return format(exact, "e" if scientific else "f").replace("e+", "e")


def shown_value(value: np.generic) -> str:
    """A value read from an array, in the fewest digits that give it back in its own dtype
    (NumPy's repr), with no ``.0`` on a whole number: a value just outside a range is not
    shown as its bound.

    >>> [shown_value(x) for x in (np.float64(1 + 2**-52), np.float32(1 + 2**-23),
    ...                           np.float64(200.0), np.float64(-0.5), np.float16(0.1))]
    ['1.0000000000000002', '1.0000001', '200', '-0.5', '0.1']
    """
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


#: How far outside [0, 1] the values of a float image may lie and still be read, clipped
#: into it (:func:`unit_floats`): half a level of 8 bits. Arithmetic leaves such values
#: (``1 + 1e-12``, ``-1e-12``; ``1 + 1/1024``, a float16 one step above 1); read as 8-bit
#: levels, they are the bounds' own, 0 and 255, so clipping them changes no level of an
#: output. A value further out is on another scale (0..255, say), and refused.
UNIT_RANGE_SLACK = 1 / 510


def unit_floats(arr: np.ndarray, refusal: str) -> np.ndarray:
    """``arr``, finite floats in [0, 1] as a float image holds them, with values up to
    :data:`UNIT_RANGE_SLACK` outside clipped into it (a copy, made only then); else a
    ``ValueError`` of ``refusal`` with ``{low}`` and ``{high}`` filled in by the values
    found (:func:`shown_value`). NaN is refused so too.

    >>> unit_floats(np.array([-1e-12, 0.5, 1 + 1e-12]), "got [{low}, {high}]").tolist()
    [0.0, 0.5, 1.0]
    >>> unit_floats(np.array([0.0, 255.0]), "values in [{low}, {high}]; expected [0, 1]")
    Traceback (most recent call last):
    ...
    ValueError: values in [0, 255]; expected [0, 1]
    """
    low, high = arr.min(), arr.max()
    if not (low >= -UNIT_RANGE_SLACK and high <= 1 + UNIT_RANGE_SLACK):  # NaN fails both
        raise ValueError(refusal.format(low=shown_value(low), high=shown_value(high)))
    if low < 0 or high > 1:
        return np.clip(arr, 0, 1)
    return arr


def opaque_unit_alpha(alpha: np.ndarray) -> bool:
    """Whether every value of a float ``alpha`` reads as opaque: within
    :data:`UNIT_RANGE_SLACK` of 1, above it (clipped to 1 by :func:`unit_floats`) or below
    (an 8-bit level of 255, as ``reduce_colors`` reads it: ``1 - 1e-9`` drew no alpha).

    >>> opaque_unit_alpha(np.array([1 - 1e-9, 1.0, 1 + 1e-12])), opaque_unit_alpha(np.array([0.99]))
    (True, False)
    """
    return bool(((alpha > 1 - UNIT_RANGE_SLACK) & (alpha <= 1 + UNIT_RANGE_SLACK)).all())


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool; a NumPy bool is accepted, anything else is a TypeError."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}={value!r} should be a bool, got {type(value).__name__}")
    return bool(value)


#: Keyword names of scikit-learn, scikit-image and Pillow that quantize spells otherwise:
#: for each, quantize's parameters that stand for it, as a call writes them; a callable
#: given the name is told of the first one it takes. One that takes none of them is told
#: what :data:`NO_COUNTERPART` says of the name, if anything, or Python's own message.
FOREIGN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "random_state": ("seed=",),             # scikit-learn, scikit-image
    "rng": ("seed=",),                      # scikit-image, NumPy
    "n_clusters": ("n_colors=",),           # scikit-learn (segment's own name)
    "n_colors": ("n_clusters=",),           # reduce_colors' name, given to k-means
    "colors": ("n_colors=", "n_clusters="),  # Pillow's Image.quantize
    "k": ("n_colors=", "n_clusters="),      # the k a ReduceResult shows
    "n_segments": ("regions=",),            # scikit-image's slic: the number of regions
    "compactness": ("weights={'xy': ...}",),  # slic: position against colour
    "min_size": ("min_region=",),           # scikit-image's felzenszwalb
    "image_true": ("reference=",),          # scikit-image's metrics
    "image_test": ("test=",),
    "labels_true": ("true=",),              # scikit-learn's adjusted_rand_score
    "labels_pred": ("pred=",),
    "convert2lab": ("space='lab'",),        # slic
}

# The parameters a callable takes that tell what a foreign keyword would go with.
_FITS = ("n_colors", "n_clusters")    # it fits k-means
_ARRAYS = ("image", "rgb", "X")       # it is given arrays
_REGIONS = ("regions",)               # it segments
# What a thread-count keyword is told.
_THREADS = ("quantize sets its threads itself, as many in every call: "
            "quantize.set_threads(n) sets how many")

#: Keyword names of scikit-learn, scikit-image and Pillow that no parameter of quantize
#: stands for, and what is true instead: said to a callable that takes one of the
#: parameters after it (any callable, for none), as those are the calls a user of that
#: library would give it to; another gets Python's own message.
NO_COUNTERPART: dict[str, tuple[str, tuple[str, ...]]] = {
    "max_iter": ("quantize sets its k-means iterations itself (MiniBatchKMeans takes "
                 "max_iter=)", _FITS),
    "n_init": ("quantize sets its k-means restarts itself (MiniBatchKMeans takes n_init=)",
               _FITS),
    "tol": ("quantize sets when its k-means stops itself (MiniBatchKMeans takes tol=)",
            _FITS),
    "batch_size": ("quantize sets its k-means batches itself (MiniBatchKMeans takes "
                   "batch_size=)", _FITS),
    "init": ("quantize seeds its k-means itself (MiniBatchKMeans takes init=)", _FITS),
    # scikit-learn's MiniBatchKMeans and KMeans
    "reassignment_ratio": ("quantize moves a centre given fewer than 1% of the largest "
                           "centre's points itself, as scikit-learn's default 0.01 does",
                           _FITS),
    "init_size": ("quantize seeds its k-means on a sample of max(8192, 3 * batch_size, 10 * "
                  "n_clusters) rows (MiniBatchKMeans takes batch_size=)", _FITS),
    "compute_labels": ("quantize's MiniBatchKMeans always sets labels_ on fit", _FITS),
    "algorithm": ("quantize's k-means has no choice of algorithm: mini-batches, then Lloyd "
                  "passes with Hamerly's bounds", _FITS),
    "copy_x": ("quantize never writes to the data given", _FITS),
    "method": ("quantize has one method, k-means", ("n_colors",)),   # Pillow's quantize
    "kmeans": ("quantize always fits by k-means, and sets its passes itself", ("n_colors",)),
    "verbose": ("quantize's functions report no progress", ()),
    "n_jobs": (_THREADS, ()),
    "n_threads": (_THREADS, ()),
    "copy": ("quantize never writes to the arrays given", _ARRAYS),
    "channel_axis": ("quantize takes an array's channels in its last axis", _ARRAYS),
    "start_label": ("quantize's region labels start at 1", _REGIONS),   # slic
    "sigma": ("quantize sets its smoothing itself (texture_scales= are the Gaussian sigmas of "
              "its texture features)", ("texture_scales",)),           # slic, felzenszwalb
    "scale": ("quantize sizes regions by regions= (how many) and min_region= (the fewest "
              "pixels of one)", _REGIONS),                              # felzenszwalb
}


def foreign_keyword_hint(name: str, params: Collection[str]) -> str | None:
    """What quantize calls the keyword ``name`` among ``params``, a callable's parameter
    names (:data:`FOREIGN_KEYWORDS`), as a call writes it; None when it has no such name.

    >>> foreign_keyword_hint("random_state", ["image", "seed"])
    'seed='
    >>> foreign_keyword_hint("compactness", ["image", "weights"])
    "weights={'xy': ...}"
    >>> foreign_keyword_hint("n_segments", ["image", "seed"]) is None
    True
    """
    return next((hint for hint in FOREIGN_KEYWORDS.get(name, ())
                 if hint.split("=", 1)[0] in params), None)


def foreign_keyword_note(name: str, params: Collection[str]) -> str | None:
    """What to say of another library's keyword ``name`` to a callable taking ``params``:
    quantize's name for it (:func:`foreign_keyword_hint`), or why there is none
    (:data:`NO_COUNTERPART`); None when it is no such keyword there.

    >>> foreign_keyword_note("random_state", ["image", "seed"])
    'quantize calls it seed='
    >>> foreign_keyword_note("channel_axis", ["image", "seed"])
    "quantize takes an array's channels in its last axis"
    >>> foreign_keyword_note("start_label", ["image", "seed"]) is None  # no segmenter
    True
    """
    hint = foreign_keyword_hint(name, params)
    if hint is not None:
        return f"quantize calls it {hint}"
    reason, taken_with = NO_COUNTERPART.get(name, (None, ()))
    if reason is None or (taken_with and not set(taken_with) & set(params)):
        return None
    return reason


def unexpected_keyword(function: str, name: str, params: Collection[str]) -> str:
    """Python's line for a keyword ``name`` that ``function`` (taking ``params``) does not
    take, ending with quantize's name for it or why it has none
    (:func:`foreign_keyword_note`), or else with the parameters it may be a typo of.

    >>> unexpected_keyword("reduce_colors", "random_state", ["image", "n_colors", "seed"])
    "reduce_colors() got an unexpected keyword argument 'random_state'; quantize calls it seed="
    >>> unexpected_keyword("reduce_colors", "n_color", ["image", "n_colors", "seed"])
    "reduce_colors() got an unexpected keyword argument 'n_color'; did you mean n_colors=?"
    >>> print(unexpected_keyword("reduce_colors", "max_iter", ["image", "n_colors"]))
    ... # doctest: +NORMALIZE_WHITESPACE
    reduce_colors() got an unexpected keyword argument 'max_iter'; quantize sets its
    k-means iterations itself (MiniBatchKMeans takes max_iter=)
    >>> unexpected_keyword("reduce_colors", "flag", ["image", "n_colors", "seed"])
    "reduce_colors() got an unexpected keyword argument 'flag'"
    """
    import difflib

    line = f"{function}() got an unexpected keyword argument {name!r}"
    note = foreign_keyword_note(name, params)
    if note is not None:
        return f"{line}; {note}"
    close = difflib.get_close_matches(name, [p for p in params if p != "self"], n=1,
                                      cutoff=0.8)
    return f"{line}; did you mean {close[0]}=?" if close else line


def foreign_keywords(function: F) -> F:
    """``function``, refusing a keyword it does not take with :func:`unexpected_keyword`'s
    line (a ``TypeError``, as Python's own): ``random_state=`` is told ``seed=``.

    A correct call costs one more call and a check of its keyword names. The signature,
    docstring and ``__wrapped__`` are ``function``'s; one taking ``**kwargs`` is returned
    as it is.

    >>> @foreign_keywords
    ... def fit(x, *, seed=None):
    ...     return x
    >>> fit(1, random_state=0)
    Traceback (most recent call last):
    ...
    TypeError: fit() got an unexpected keyword argument 'random_state'; quantize calls it seed=
    """
    code = function.__code__
    if code.co_flags & inspect.CO_VARKEYWORDS:
        return function
    named = code.co_varnames[code.co_posonlyargcount:code.co_argcount + code.co_kwonlyargcount]
    params = frozenset(named)

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs.keys() <= params:
            return function(*args, **kwargs)
        name = next(name for name in kwargs if name not in params)
        raise TypeError(unexpected_keyword(function.__qualname__, name, named))

    return cast(F, checked)


def check_option_names(options: Iterable[str], known: Iterable[str], job: str) -> None:
    """Refuse option names not among ``known``, naming them and the known ones in
    ``known``'s order, as a ``job`` ("reduce", "segment") takes them, and quantize's
    names for those of other libraries, or why it has none (:func:`foreign_keyword_note`).

    >>> check_option_names(["colours"], ["n_colors", "seed"], "reduce")
    Traceback (most recent call last):
    ...
    TypeError: unknown reduce option(s) colours; expected some of n_colors, seed
    >>> check_option_names(["rng"], ["seed"], "reduce")
    Traceback (most recent call last):
    ...
    TypeError: unknown reduce option(s) rng (quantize calls it seed=); expected some of seed
    """
    known = list(known)
    unknown = sorted(set(options) - set(known))
    if unknown:
        notes = {name: foreign_keyword_note(name, known) for name in unknown}
        shown = ", ".join(name if notes[name] is None else f"{name} ({notes[name]})"
                          for name in unknown)
        raise TypeError(f"unknown {job} option(s) {shown}; expected some of "
                        f"{', '.join(known)}")


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise list the valid ones.

    A value that is no string (None, a number) is a TypeError, one not among the
    choices a ValueError.

    >>> check_choice(None, "space", ("rgb", "lab"))
    Traceback (most recent call last):
    ...
    TypeError: space=None should be a str, one of 'rgb', 'lab'; got NoneType
    """
    choices = list(choices)
    valid = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name}={value!r} should be a str, one of {valid}; got "
                        f"{type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; expected one of {valid}")
    return value


def check_path(value: Any, name: str) -> Path:
    """``value``, a ``str`` or ``os.PathLike`` file name, as a Path, or raise naming ``name``.

    Bytes are refused too: :class:`pathlib.Path` takes no bytes. An image
    already in memory (an array, a PIL image) is not a path either. An empty name,
    which :class:`pathlib.Path` reads as ``.``, the current folder, is refused
    (``ValueError``), as the command line refuses it.

    >>> check_path("", "input")
    Traceback (most recent call last):
    ...
    ValueError: input='' is empty; expected a path
    """
    if isinstance(value, str | os.PathLike):
        try:
            path = Path(value)
        except TypeError:  # an os.PathLike that gives bytes
            pass
        else:
            if os.fspath(value) == "":
                raise ValueError(f"{name}='' is empty; expected a path")
            return path
    raise TypeError(f"{name} should be a path (str or os.PathLike), got "
                    f"{type(value).__name__}")


def check_file_name(value: Any, name: str) -> None:
    """Refuse a file name that names a folder: one that exists, or one given as a ``str``
    that ends in a separator, a folder's name that :class:`~pathlib.Path` would cut to a
    file's (``"small.png/"`` wrote ``small.png``)."""
    if isinstance(value, str | os.PathLike) and os.path.isdir(value):
        raise ValueError(f"{name}={quoted(os.fspath(value))} is a folder; expected a file name")
    if isinstance(value, str) and value.endswith(("/", os.sep)):
        raise ValueError(f"{name}={quoted(value)} ends in {quoted(value[-1])}, which names a "
                         "folder; expected a file name")


def check_not_under_a_file(value: Any, name: str) -> None:
    """Refuse the path of a file to write that lies under an existing file
    (``"notes.txt/small.png"``), where no file can be: the nearest of its folders that
    exists is not a folder. Anything but a path is left to :func:`check_path`."""
    if not isinstance(value, str | os.PathLike):
        return
    path = Path(value)
    for above in path.parents:
        if os.path.isdir(above):
            return
        if os.path.exists(above):
            raise ValueError(f"{name}={quoted(os.fspath(path))} lies under {quoted(above)}, "
                             "which is an existing file; expected a file name in a folder")


def as_array(value: Any, name: str, expected: str) -> np.ndarray:
    """``np.asarray(value)``, or raise naming ``name`` and what was ``expected`` when its rows
    differ in length (NumPy's "setting an array element with a sequence" names nothing).

    >>> as_array([[1, 2], [3]], "counts", "a numeric (m,) array")
    Traceback (most recent call last):
    ...
    ValueError: counts should be a numeric (m,) array, got rows of different lengths
    """
    try:
        return np.asarray(value)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{name} should be {expected}, got rows of different lengths") from None


def check_palette(palette: Any, name: str = "palette", *,
                  pillow_forms: bool = False) -> np.ndarray:
    """Return a uint8 copy of a ``(k, 3)`` or ``(k, 4)`` (with alpha) palette, or raise.

    With ``pillow_forms`` (a palette to map onto: ``reduce_colors``' ``palette``, a
    ``palette_in``), Pillow's two forms of a palette are taken too: a flat sequence of
    ``3k`` integers, as ``image.getpalette()`` gives it, read as k RGB triples; a
    mode "P" PIL image, whose palette is taken (:func:`_pil_palette`); and a Pillow
    ``ImagePalette`` (``image.palette``), whose entries are taken
    (:func:`_image_palette_entries`). So are floats, read as an image's are, 0..1
    (:func:`_float_palette`). Without, as for a palette to write, whose file would not
    read back so, they are refused (floats with how to pass them).

    >>> check_palette([255, 0, 0, 0, 0, 255], pillow_forms=True).tolist()
    [[255, 0, 0], [0, 0, 255]]
    >>> check_palette([[1.0, 0.5, 0.0]], pillow_forms=True).tolist()
    [[255, 128, 0]]
    """
    if isinstance(palette, (str, bytes, os.PathLike)):
        raise TypeError(f"{name}={palette!r} should be a (k, 3) or (k, 4) array of integers "
                        f"0..255, got a {type(palette).__name__}; read a palette file with "
                        "quantize.palette_files.read_palette")
    if pillow_forms and _is_pil_image(palette):
        return _pil_palette(palette, name)
    if pillow_forms and _is_image_palette(palette):
        return _image_palette_entries(palette, name)
    try:
        arr = np.asarray(palette)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{name} should have shape (k, 3) or (k, 4) with k >= 1, got rows "
                         "of different lengths") from None
    if pillow_forms and arr.ndim == 1 and arr.size and arr.size % 3 == 0:
        arr = arr.reshape(-1, 3)  # image.getpalette()'s flat list
    if arr.ndim != 2 or arr.shape[1] not in (3, 4) or arr.shape[0] == 0:
        flat = (f", or a flat sequence of 3k integers (r, g, b, r, g, b, ...), got "
                f"{arr.size} values" if pillow_forms and arr.ndim == 1
                else f", got {arr.shape}")
        raise ValueError(f"{name} should have shape (k, 3) or (k, 4) with k >= 1{flat}")
    floats = np.issubdtype(arr.dtype, np.floating)
    if floats and pillow_forms:
        return _float_palette(arr, name)
    if not np.issubdtype(arr.dtype, np.integer):
        hint = (f"; for values 0..1 pass np.rint({name} * 255).astype(np.uint8), for "
                f"0..255 np.rint({name}).astype(np.uint8)" if floats else "")
        raise TypeError(f"{name} should hold integers 0..255, got dtype {arr.dtype}{hint}")
    if arr.min() < 0 or arr.max() > 255:
        raise ValueError(f"{name} should hold integers 0..255, got values from "
                         f"{int(arr.min())} to {int(arr.max())}")
    return arr.astype(np.uint8, copy=True)


def _float_palette(arr: np.ndarray, name: str) -> np.ndarray:
    """The levels of ``arr``, a float palette, read as :func:`quantize.io.as_rgba` reads a
    float image: values 0..1 (a hair outside clipped: :func:`unit_floats`) times 255,
    rounded. Values further out are refused: 0..255 floats (k-means centres fitted on
    uint8 pixels) would otherwise be read as 255 times too bright."""
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; expected finite numbers")
    values = unit_floats(arr, f"{name} holds floats in [{{low}}, {{high}}]; floats are read "
                              "as 0..1, as an image's are: for 0..255 values pass "
                              f"np.rint({name}).astype(np.uint8)")
    return np.rint(np.multiply(values, 255.0, dtype=np.float64)).astype(np.uint8)


def _is_pil_image(value: Any) -> bool:
    """Whether ``value`` is a PIL image, asked without importing Pillow: while it is not
    loaded, no PIL image exists."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(value, module.Image)


def _is_image_palette(value: Any) -> bool:
    """Whether ``value`` is a Pillow ``ImagePalette``, asked without importing Pillow."""
    module = sys.modules.get("PIL.ImagePalette")
    return module is not None and isinstance(value, module.ImagePalette)


def _image_palette_entries(palette: Any, name: str) -> np.ndarray:
    """The entries of ``palette``, a Pillow ``ImagePalette`` (``image.palette``), as a
    uint8 ``(k, 3)`` array, or ``(k, 4)`` for an "RGBA" one: the colours its bytes hold, in
    their order, as :func:`_pil_palette` takes a palette image's. Its image's transparency
    is the image's, not the palette's: pass the image for it. One still in its file's
    order (``palette.rawmode``, before the image is loaded) is refused with what to pass."""
    mode, data = palette.mode, palette.palette
    raw = getattr(palette, "rawmode", None)
    if raw is not None or mode not in ("RGB", "RGBA") or not data or len(data) % len(mode):
        what = f"raw {raw!r}" if raw is not None else f"mode {mode!r}, {len(data)} bytes"
        raise TypeError(f"{name} is a PIL ImagePalette ({what}) that cannot be read as "
                        "colours; pass the mode 'P' image itself, or "
                        "np.reshape(image.getpalette(), (-1, 3))")
    return np.frombuffer(bytes(data), np.uint8).reshape(-1, len(mode)).copy()


def _pil_palette(image: Any, name: str) -> np.ndarray:
    """The palette of ``image``, a mode "P" PIL image, as a uint8 ``(k, 3)`` array, or
    ``(k, 4)`` when it has alpha (an "RGBA" palette, or its ``transparency``: the index of
    its transparent entry, or one alpha per entry). Every entry it holds is taken, in its
    order, drawn by its pixels or not: ``len(image.getpalette()) // 3`` of them, the k
    colours ``image.quantize(k)`` chose, the 256 of ``image.convert("P")``."""
    if image.mode != "P":
        raise TypeError(f"{name} is a PIL image of mode {image.mode!r}; expected a palette "
                        f"image, mode 'P' ({name}.quantize(k), say), whose palette is taken, "
                        "or a (k, 3) array of integers 0..255")
    mode = "RGBA" if image.palette is not None and image.palette.mode == "RGBA" else "RGB"
    entries = np.array(image.getpalette(mode) or [], np.uint8).reshape(-1, len(mode))
    if entries.shape[0] == 0:
        raise ValueError(f"{name} is a PIL palette image whose palette is empty; expected "
                         "one of at least 1 colour")
    key = image.info.get("transparency")
    if key is None:
        return entries
    if mode == "RGB":
        entries = np.hstack([entries, np.full((entries.shape[0], 1), 255, np.uint8)])
    if isinstance(key, bytes):
        alphas = np.frombuffer(key[:entries.shape[0]], np.uint8)
        entries[:alphas.size, 3] = np.minimum(entries[:alphas.size, 3], alphas)
    elif isinstance(key, numbers.Integral) and not isinstance(key, bool) and key >= 0:
        if key < entries.shape[0]:
            entries[key, 3] = 0
    else:
        raise TypeError(f"{name}.info['transparency']={key!r} does not fit a palette image; "
                        "expected an int >= 0 (the transparent index) or bytes (one alpha "
                        "per entry)")
    return entries


#: Why a colour given to draw an overlay's borders must be opaque, in its error.
_OVERLAY_OPAQUE = "which an overlay's opaque borders cannot draw"


def check_color(color: Any, name: str, *,
                opaque: str = _OVERLAY_OPAQUE) -> tuple[int, int, int]:
    """``color`` as an ``(r, g, b)`` tuple of ints 0..255, or raise naming ``name`` and the
    whole value (not the one component at fault: ``color=0.5`` named no colour given). A
    string is read as the command line reads a colour (:func:`color_from_text`, with
    ``opaque``).

    >>> check_color((0, 128, 255), "color"), check_color("cyan", "color")
    ((0, 128, 255), (0, 255, 255))
    """
    if isinstance(color, str):
        return color_from_text(color, name, opaque=opaque)
    expected = (f"{name}={color!r} should be (r, g, b), three integers from 0 to 255, or a "
                "colour name or #rrggbb")
    if not isinstance(color, Sequence | np.ndarray):
        raise TypeError(expected)
    if np.ndim(color) != 1 or len(color) != 3:  # (a 0-d array has no len())
        raise ValueError(expected)
    for v in color:
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{expected}, got a {type(v).__name__} ({v!r})")
    if not all(0 <= v <= 255 for v in color):
        raise ValueError(expected)
    r, g, b = (int(v) for v in color)
    return r, g, b


#: The forms of a colour a command-line option (and a str in Python) takes, as errors list
#: them.
COLOR_FORMS = ("a colour name (red, cyan, yellow, ...), #rrggbb, #rgb, rrggbb, rgb(r,g,b), "
               "rgb(r g b) or hsl(h,s%,l%)")
#: A CSS colour function written in CSS Color 4's space syntax, ``rgb(21 101 192)`` or
#: ``hsl(210 80% 42% / 50%)``: its name, its values and its alpha after ``/``.
_SPACE_SYNTAX = re.compile(r"^\s*(rgba?|hsla?)\(\s*([^,/()]+?)\s*(?:/\s*([^,/()]+?)\s*)?\)\s*$",
                           re.IGNORECASE)

#: A CSS colour function in the comma syntax whose alpha is a fraction or a percentage
#: (``rgba(56, 142, 60, 0.5)``): what comes before the alpha, and the alpha. An alpha that
#: is a whole number is left to Pillow, which reads it as a level 0..255.
_FRACTION_ALPHA = re.compile(r"^\s*((?:rgba?|hsla?)\()(\s*[^,()]+,\s*[^,()]+,\s*[^,()]+?)\s*,"
                             r"\s*([0-9]*\.[0-9]+%?|[0-9]+(?:\.[0-9]*)?%|[0-9]+\.)\s*\)\s*$",
                             re.IGNORECASE)


def color_from_text(text: str, name: str, *,
                    opaque: str = _OVERLAY_OPAQUE) -> tuple[int, int, int]:
    """``text`` as ``(r, g, b)``: a colour name Pillow knows (the CSS names, in any case),
    ``#rrggbb`` or ``#rgb``, ``rrggbb`` without ``#`` (as Figma copies a colour and .hex
    files write it; a bare 3-digit ``123`` is refused, as it reads as a number), CSS's
    ``rgb(r,g,b)`` and ``hsl(h,s%,l%)``, also in CSS Color 4's space syntax
    (``rgb(21 101 192)``), but without alpha other than opaque, which an overlay cannot
    draw (``opaque`` says why in the error of one that has alpha); else a ValueError naming
    ``name`` and listing the forms taken (:data:`COLOR_FORMS`), or saying that a level is
    out of range (``rgb(300,0,0)``).

    >>> color_from_text("Cyan", "color"), color_from_text("#ff8000", "color")
    ((0, 255, 255), (255, 128, 0))
    >>> color_from_text("1565c0", "color"), color_from_text("rgb(21 101 192)", "color")
    ((21, 101, 192), (21, 101, 192))
    """
    rgb = color_levels(text)
    if len(rgb) == 4 and rgb[3] == 255:  # #00ff00ff: opaque, as the borders are drawn
        rgb = rgb[:3]
    if len(rgb) == 4 and all(0 <= v <= 255 for v in rgb):
        raise ValueError(f"{name}={text!r} has alpha, {opaque}; expected a colour without it "
                         "(red, cyan, ...) or #rrggbb")
    if len(rgb) in (3, 4) and not all(0 <= v <= 255 for v in rgb):  # rgb(300, 0, 0)
        raise ValueError(f"{name}={text!r} is out of range; expected levels 0..255 "
                         "(rgb(r,g,b)), or percentages 0..100%")
    if len(rgb) != 3:
        raise ValueError(f"{name}={text!r} is not valid; expected {COLOR_FORMS}")
    r, g, b = rgb
    return r, g, b


def color_levels(text: str) -> tuple[int, ...]:
    """The levels of the colour ``text`` in one of the forms of :data:`COLOR_FORMS` (and
    ``rgba()``, ``hsla()``, ``#rrggbbaa``): ``(r, g, b)``, or ``(r, g, b, a)`` when it gives
    alpha, unchecked (``rgb(300,0,0)`` gives 300); ``()`` when it is no colour. Used where
    alpha is allowed (a palette file's colours) and by :func:`color_from_text`.

    >>> color_levels("rgb(21 101 192)"), color_levels("#ff000080"), color_levels("4px")
    ((21, 101, 192), (255, 0, 0, 128), ())
    """
    from PIL import ImageColor

    try:
        return tuple(ImageColor.getrgb(_css_color_text(text)))
    except ValueError:
        return ()


def _css_color_text(text: str) -> str:
    """``text`` as Pillow reads a colour: ``#`` before 6 or 8 hex digits given without it,
    and CSS Color 4's space syntax written with commas (alpha after ``/``, a fraction or a
    percentage, as a level 0..255); else ``text`` itself.

    >>> _css_color_text("1565C0"), _css_color_text("rgb(21 101 192 / 50%)")
    ('#1565C0', 'rgba(21, 101, 192, 128)')
    >>> _css_color_text("123"), _css_color_text("hsl(210 80% 42%)")
    ('123', 'hsl(210, 80%, 42%)')
    >>> _css_color_text("rgba(56, 142, 60, 0.5)"), _css_color_text("rgba(56, 142, 60, 128)")
    ('rgba(56, 142, 60, 128)', 'rgba(56, 142, 60, 128)')
    """
    bare = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{6}|[0-9a-fA-F]{8}", bare):
        return "#" + bare
    fraction = _FRACTION_ALPHA.match(text)
    if fraction is not None:  # CSS's rgba(r, g, b, 0.5): Pillow reads a level 0..255 there
        level = _alpha_level(fraction.group(3))
        return text if level is None else f"{fraction.group(1)}{fraction.group(2)}, {level})"
    match = _SPACE_SYNTAX.match(text)
    if match is None or len(match.group(2).split()) != 3:
        return text
    function, values, alpha = match.groups()
    function = function.lower().rstrip("a")
    if alpha is None:
        return f"{function}({', '.join(values.split())})"
    level = _alpha_level(alpha)
    if level is None:
        return text
    return f"{function}a({', '.join(values.split())}, {level})"


def _alpha_level(alpha: str) -> int | None:
    """A CSS alpha, ``0.5`` or ``50%``, as a level 0..255 (any number: a range check
    follows); None when it is no number."""
    try:
        value = float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha)
    except ValueError:
        return None
    return round(value * 255) if math.isfinite(value) else None


def check_dpi(dpi: Any, name: str, unit: str = "dots per inch") -> tuple[float, float]:
    """``dpi`` as ``(x, y)`` floats, a physical resolution in dots per inch (or another
    pair in ``unit``, a pixel's size in micrometres), or raise naming ``name`` and the
    whole value.

    >>> check_dpi((300, 150.5), "dpi")
    (300.0, 150.5)
    """
    expected = f"{name}={dpi!r} should be (x, y), two finite numbers > 0 ({unit})"
    if not isinstance(dpi, Sequence | np.ndarray) or isinstance(dpi, str | bytes):
        raise TypeError(expected)
    if np.ndim(dpi) != 1 or len(dpi) != 2:
        raise ValueError(expected)
    for v in dpi:
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real):
            raise TypeError(f"{expected}, got a {type(v).__name__} ({v!r})")
    x, y = (float(v) for v in dpi)
    if not all(np.isfinite(v) and v > 0 for v in (x, y)):
        raise ValueError(expected)
    return x, y


def check_stretch_clip(value: Any, name: str = "stretch_clip") -> float:
    """``value`` as the percentage of values a stretch clips at each end
    (:func:`quantize.io.load_image`'s ``stretch_clip``): a float from 0 to below 50, or
    raise naming ``name`` and the value.

    >>> check_stretch_clip(0.1), check_stretch_clip(0)
    (0.1, 0.0)
    >>> check_stretch_clip(50)
    Traceback (most recent call last):
    ...
    ValueError: stretch_clip=50 should be a percentage from 0 to below 50 (of the values \
clipped at each end)
    """
    clip = check_float(value, name, minimum=0.0)
    if clip >= 50:
        raise ValueError(f"{name}={value!r} should be a percentage from 0 to below 50 (of "
                         "the values clipped at each end)")
    return clip


def check_max_pixels(value: Any, name: str = "max_pixels") -> int | None:
    """``value`` as a pixel limit, as :func:`_check_limit` checks it; ``name`` is the
    parameter the error names (``"--max-pixels"`` on the command line).

    >>> check_max_pixels(4), check_max_pixels(None)
    (4, None)
    """
    return _check_limit(value, name)


def check_max_frames(value: Any, name: str = "max_frames") -> int | None:
    """``value`` as a limit on the frames (pages) of a file, as :func:`_check_limit`
    checks it; ``name`` is the parameter the error names (``"--max-frames"`` on the
    command line).

    >>> check_max_frames(600), check_max_frames(None)
    (600, None)
    """
    return _check_limit(value, name)


def _check_limit(value: Any, name: str) -> int | None:
    """``value`` as a limit on a count (pixels, frames): an int >= 1, or None for no limit.

    >>> _check_limit(0, "max_frames")
    Traceback (most recent call last):
    ...
    ValueError: max_frames=0 should be >= 1

    Raises
    ------
    TypeError
        If ``value`` is not an integer (nor None), naming ``name``.
    ValueError
        If ``value`` is below 1, naming ``name``.
    """
    return check_optional_int(value, name, minimum=1)


def check_image_pixels(pixel_shape: tuple[int, ...], described: str, limit: int | None
                       ) -> None:
    """Refuse an image in memory whose pixels lie along ``pixel_shape`` (``(H, W)``, or
    ``(n,)`` for a list of n colours), ``described`` as the error names it, when they are
    more than ``limit`` (an int checked >= 1, or None: no limit), as
    :func:`quantize.io.load_image` refuses a file. Checked from the shape alone, before
    any pixel is copied.

    Raises
    ------
    ImageReadError
        Naming the image as ``described``, its pixel count, the limit and the
        ``max_pixels`` that takes it.
    """
    n = math.prod(int(size) for size in pixel_shape)
    if limit is not None and n > limit:
        raise ImageReadError(f"{described} has {n:,} pixels, more than the limit of "
                             f"{limit:,}; if it is meant, pass max_pixels={n} or more (or "
                             "None for no limit)")


def check_seed(seed: Any) -> np.random.Generator:
    """Turn ``seed`` (int, Generator or None) into the one Generator passed down."""
    seed = check_seed_value(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(None if seed is None else int(seed))


def check_seed_value(seed: Any) -> Seed:
    """``seed`` if :func:`check_seed` takes it (an int >= 0, a Generator or None), for a
    caller that checks it before the Generator is made (making one costs about 20 us).

    >>> check_seed_value(3)
    3
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        # NumPy's seeds np.random.default_rng takes besides an int: a SeedSequence's repr
        # is several lines, a bit generator's an address. A message is one line.
        numpy_seed = isinstance(seed, np.random.SeedSequence | np.random.BitGenerator)
        shown = f"{type(seed).__name__}(...)" if numpy_seed else " ".join(repr(seed).split())
        hint = "; pass np.random.default_rng(seed), a Generator" if numpy_seed else ""
        raise TypeError(f"seed={shown} should be an int, a numpy Generator or None, "
                        f"got {type(seed).__name__}{hint}")
    if seed < 0:
        raise ValueError(f"seed={seed} should be >= 0")
    return seed


def recorded_seed(seed: Seed) -> int | None:
    """A checked seed as a job's record gives it: the int given, with which the job gives
    the same result again, or None (a Generator, or no seed).

    >>> recorded_seed(3), recorded_seed(None), recorded_seed(np.random.default_rng(3))
    (3, None, None)
    """
    return None if seed is None or isinstance(seed, np.random.Generator) else int(seed)


def check_data(X: Any, name: str = "X", *, copy: bool = True,
               shape: str | None = None) -> np.ndarray:
    """Return ``X`` as a C-contiguous float32 ``(n, d)`` array.

    An array of another number of dimensions is refused naming ``shape``, the shape it
    should have (an ``init`` of centres: ``"(n_clusters, n_features) = (2, 2)"``); without
    it, data of ``(n, d)`` samples, with how to reshape an ``(h, w, c)`` image (one row
    per pixel), or other shapes (one feature or one sample).

    With ``copy=True`` the result is never memory the caller owns. With
    ``copy=False`` a float32 C-contiguous ``X`` is returned as is, for callers
    that only read it (and so need no ``n x d`` copy). Object arrays of numbers
    are converted, and bools are taken as 0 and 1, as scikit-learn takes them; the
    messages also carry the phrases scikit-learn's estimator checks look for
    ("Reshape your data", "0 feature(s) (shape=...) while a minimum of 1 is required",
    "sparse", "Complex data not supported").

    Raises ``TypeError`` for sparse, masked or non-numeric input and ``ValueError`` for
    complex numbers, a wrong shape, no rows, or NaN/inf values.
    """
    arr = _as_numeric_array(X, name)
    if arr.ndim != 2 and shape is not None:
        raise ValueError(f"{name} should be a 2-D {shape} array, got shape {arr.shape}")
    if arr.ndim != 2:
        raise ValueError(f"{name} should be a 2-D (n, d) array, got shape {arr.shape}; "
                         f"{_reshape_hint(name, arr.shape)}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        missing = "0 sample(s)" if arr.shape[0] == 0 else "0 feature(s)"
        raise ValueError(
            f"{name} has {missing} (shape={arr.shape}) while a minimum of 1 is required; "
            "expected a 2-D (n, d) array with at least one row and one column"
        )
    with np.errstate(over="ignore"):  # too large for float32 becomes inf, refused below
        if copy:
            out = np.array(arr, dtype=np.float32, order="C", copy=True)
        else:
            out = np.ascontiguousarray(arr, dtype=np.float32)
    # A float64 sum is NaN or inf exactly when some entry is, and needs no (n, d) mask
    # (inf and -inf sum to NaN, without NumPy's warning).
    with np.errstate(invalid="ignore"):
        total = out.sum(dtype=np.float64)
    if not np.isfinite(total):
        row, col = np.argwhere(~np.isfinite(out))[0]
        raise ValueError(
            f"{name}[{row}, {col}]={arr[row, col].item()!r} is not finite in float32; "
            "expected finite numbers (no NaN or inf, |x| < 3.4e38)"
        )
    return out


def _reshape_hint(name: str, shape: tuple[int, ...]) -> str:
    """How to reshape data of ``shape`` (not 2-D) into rows of features: an image
    ``(h, w, c)`` into one row per pixel, other shapes into one feature or one sample.

    >>> hint = _reshape_hint("X", (5, 5, 3))
    >>> hint.split(" for ")[0], hint.split("image, ")[1]
    ('Reshape your data with X.reshape(-1, X.shape[-1])', 'shape (25, 3)')
    """
    if len(shape) == 3:
        return (f"Reshape your data with {name}.reshape(-1, {name}.shape[-1]) for one row "
                "per pixel of an (h, w, channels) image, shape "
                f"({shape[0] * shape[1]}, {shape[2]})")
    return (f"Reshape your data with {name}.reshape(-1, 1) for one feature or "
            f"{name}.reshape(1, -1) for one sample")


def _as_numeric_array(X: Any, name: str) -> np.ndarray:
    """``X`` as an ndarray of real numbers (object arrays of numbers become float64, bools
    uint8 0 and 1)."""
    if X is None:  # NumPy makes it a 0-d array of NaN, refused as a shape
        raise TypeError(f"{name} should be a numeric (n, d) array, got None")
    if type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name} is a {type(X).__name__}: sparse input is not supported; "
                        "expected a dense (n, d) array")
    refuse_masked(X, name, f"np.ma.compress_rows({name}) leaves out the masked rows")
    arr = as_array(X, name, "a numeric (n, d) array")
    if arr.dtype == bool:  # as scikit-learn takes it: 0 and 1
        arr = arr.astype(np.uint8)
    try:
        if arr.dtype == object:
            numbers = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:  # objects that are no numbers
        raise TypeError(f"{name} should be a numeric (n, d) array: {exc}") from None
    if arr.dtype == object:
        _refuse_none(arr, name)
        arr = numbers
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} has dtype {arr.dtype}: Complex data not supported; "
                         "expected real numbers")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} should be a numeric (n, d) array, got dtype {arr.dtype}")
    return arr


def is_masked(value: Any) -> bool:
    """Whether ``value`` is a NumPy masked array, asked without loading ``numpy.ma``
    (12-16 ms of a command's start, which ``np.ma`` would take): while it is not loaded,
    no masked array exists."""
    ma = sys.modules.get("numpy.ma")
    return ma is not None and isinstance(value, ma.MaskedArray)


def refuse_masked(value: Any, name: str, advice: str) -> None:
    """Refuse a NumPy masked array, whose mask ``np.asarray`` would drop without a word (an
    image given to :func:`quantize.io.as_rgba`, data given to k-means, a metric's input);
    ``advice`` says what to pass."""
    if is_masked(value):
        raise TypeError(f"{name} is a masked array, whose mask would be ignored; expected a "
                        f"plain array ({advice})")


def _refuse_none(arr: np.ndarray, name: str) -> None:
    """Refuse a None in an object array of numbers, which ``astype(float)`` makes NaN (then
    called a NaN the caller never wrote)."""
    missing = np.argwhere(np.equal(arr, None))
    if missing.size:
        where = "" if arr.ndim == 0 else f"[{', '.join(str(int(i)) for i in missing[0])}]"
        raise TypeError(f"{name}{where}=None should be a number")


def check_sample_weight(sample_weight: Any, n_samples: int, *,
                        positive_sum: bool = True) -> np.ndarray:
    """Return weights as a float64 ``(n,)`` array, all finite, >= 0, with a finite sum > 0
    (or 0 too, with ``positive_sum=False``: a chunk that adds nothing to a model fitted
    already).

    A single number weighs every row alike, and bools are weights 0 and 1, as
    scikit-learn takes them.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    refuse_masked(sample_weight, "sample_weight",
                   "sample_weight.filled(0) gives the masked rows no weight")
    w = as_array(sample_weight, "sample_weight", "a number or a numeric (n,) array")
    if w.dtype == bool:
        w = w.astype(np.float64)
    if w.ndim == 0 and np.issubdtype(w.dtype, np.number):
        if not (np.isfinite(w) and w >= 0):  # named as given, not as its first row
            raise ValueError(f"sample_weight={w.item()!r} should be finite and >= 0")
        w = np.full(n_samples, w)
    if w.dtype == object:  # numbers in an object array, as check_data takes for X
        try:
            numbers = w.astype(np.float64)
        except (TypeError, ValueError):
            pass  # refused just below, naming the dtype
        else:
            _refuse_none(w, "sample_weight")
            w = numbers
    if not np.issubdtype(w.dtype, np.number) or np.issubdtype(w.dtype, np.complexfloating):
        raise TypeError("sample_weight should be a numeric (n,) array of real numbers, "
                        f"got dtype {w.dtype}")
    w = np.array(w, dtype=np.float64, copy=True)
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight should have shape ({n_samples},) to match X, "
                         f"got shape {w.shape}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"sample_weight[{i}]={w[i]} should be finite and >= 0")
    with np.errstate(over="ignore"):  # an overflowing sum is refused just below
        total = w.sum()
    if total == np.inf:
        raise ValueError("sample_weight sums to inf; expected a finite sum (rescale the weights)")
    if positive_sum and not total > 0:
        raise ValueError(f"sample_weight sums to {total}; expected a positive sum "
                         "(not all weights zero)")
    return w


def read_only(array: np.ndarray | None) -> np.ndarray | None:
    """A read-only view of ``array`` (None stays None), for the fields of a result.

    A result's arrays are what its other fields and its cached metrics were computed
    from: read-only, an edit cannot put them out of step (``result.labels[...] = 0``
    raises ``ValueError: assignment destination is read-only``; edit a ``.copy()``).
    The array itself keeps its flags, so no caller's array is changed.

    The view is taken through a read-only buffer of ``array``, not as a plain view:
    numpy lets ``setflags(write=True)`` make a view writable again whenever the array
    owning its memory is, and a view over a read-only buffer it refuses. No pixel is
    copied. (Arrays that export no buffer, of object or datetime dtype, get a plain
    view.)

    >>> view = read_only(np.zeros(2))
    >>> view.flags.writeable
    False
    >>> view.setflags(write=True)
    Traceback (most recent call last):
    ...
    ValueError: cannot set WRITEABLE flag to True of this array
    """
    if array is None:
        return None
    if array.dtype.kind in "biufc":
        return np.asarray(memoryview(array).toreadonly())
    view = array.view()
    view.setflags(write=False)
    return view


def handed_out(array: np.ndarray, dtype: Any = None, copy: bool | None = None, *,
               made: bool, what: str) -> np.ndarray:
    """``array`` as a result's ``__array__`` hands it out (NumPy 2's protocol, which
    ``np.asarray(result, dtype, copy=...)`` calls): in ``dtype``, copied when ``copy`` is
    True. ``made`` says that ``array`` was made for this call (a copy of the result's own
    arrays already); then, or for another ``dtype``, ``copy=False`` raises ``ValueError``,
    as NumPy documents it, naming ``what`` was asked for.

    >>> labels = read_only(np.array([[1, 2]], np.int32))
    >>> handed_out(labels, copy=False, made=False, what="x").flags.writeable
    False
    >>> handed_out(labels, copy=True, made=False, what="x").flags.writeable
    True
    >>> handed_out(labels, np.float32, copy=False, made=False, what="labels")
    Traceback (most recent call last):
    ...
    ValueError: copy=False: labels in float32 need a copy; expected copy=None or True
    """
    dtype = None if dtype is None else np.dtype(dtype)
    if copy is False and (made or dtype not in (None, array.dtype)):
        shown = what if dtype in (None, array.dtype) else f"{what} in {dtype}"
        raise ValueError(f"copy=False: {shown} need a copy; expected copy=None or True")
    return np.array(array, dtype=dtype, copy=True if copy and not made else None)


class ReadOnlyDict(dict):
    """A dict that refuses every change, for a frozen result's mapping fields.

    Unlike ``types.MappingProxyType`` it is a real dict, so ``json.dumps``,
    ``dataclasses.asdict``, pickle and ``copy.deepcopy`` take it as one; ``dict(x)``
    is an editable copy.
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__!r} object does not support item assignment;"
                        " dict(...) of it is an editable copy")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (dict(self),)

    def __copy__(self) -> ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadOnlyDict:
        return self


#: The longest side of the picture a notebook shows of a result (its ``_repr_png_``): a
#: larger result is shown by every n-th pixel of every n-th row (:func:`shown_step`), so
#: that a 12 MP result puts hundreds of kilobytes into a notebook, not megabytes.
SHOWN_MAX_SIDE = 1024


def shown_step(shape: tuple[int, ...]) -> int:
    """The step between the rows and columns a notebook's picture of an image of ``shape``
    (H, W, ...) shows: the least that leaves at most :data:`SHOWN_MAX_SIDE` a side.

    >>> shown_step((512, 512)), shown_step((3000, 4000)), shown_step((1025, 10))
    (1, 4, 2)
    """
    return max(1, -(-max(shape[:2]) // SHOWN_MAX_SIDE))


class ReadOnlyArrays:
    """Mixin for a frozen result dataclass whose ``_ARRAYS`` fields are handed out read-only.

    The fields become :func:`read_only` views when the result is made, and again
    when it is unpickled or copied (``copy.deepcopy``): pickle rebuilds each array
    writable, and a copy must not be editable where the original is not. The
    ``_MAPPINGS`` fields (dicts) become :class:`ReadOnlyDict` copies.
    """

    _ARRAYS: ClassVar[tuple[str, ...]] = ()
    _MAPPINGS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        self._freeze()

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)  # a copy: a subclass may leave its caches out

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._freeze()

    def _freeze(self) -> None:
        for name in self._ARRAYS:
            object.__setattr__(self, name, read_only(getattr(self, name)))
        for name in self._MAPPINGS:
            object.__setattr__(self, name, ReadOnlyDict(getattr(self, name)))


class ArrayResult:
    """Mixin for a result that NumPy and Pillow take as one array, the one its
    ``_handed_array`` gives (a reduction's pixels, a segmentation's labels).

    ``__array_interface__`` hands that array's memory over (NumPy keeps the array alive
    and writable only if it is), and ``tobytes`` its bytes, which
    ``PIL.Image.fromarray(result)`` reads: Pillow takes the memory of an object that
    exports a buffer, which a Python class cannot before Python 3.12, and else, for an
    interface that states its strides, calls ``tobytes``. NumPy reads the interface before
    ``__array__``, so ``np.asarray(result, dtype, copy=...)`` copies as for an array.

    ``==`` and ``!=`` compare identity, as for any object, never element by element:
    ``result == array`` is False; ``array == result`` is NumPy's, which compares ``array``
    with ``np.asarray(result)`` as with any array-like.
    """

    def _handed_array(self) -> np.ndarray:
        raise NotImplementedError

    @property
    def __array_interface__(self) -> dict[str, Any]:
        array = self._handed_array()
        interface = dict(array.__array_interface__)
        interface["data"] = array  # a buffer, not an address: NumPy holds on to it
        interface["strides"] = array.strides  # stated: Pillow then calls tobytes
        return interface

    def tobytes(self) -> bytes:
        """The bytes of the array ``np.asarray(result)`` gives, in C order, as
        :meth:`numpy.ndarray.tobytes` gives them."""
        return self._handed_array().tobytes()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__
