"""The result of a colour reduction: palette, indices, shares and fidelity metrics.

:class:`ReduceResult` is what :func:`quantize.reduce.reduce_colors` returns.
Its metrics are computed on demand from :class:`Pairs`, the distinct
(original colour, palette entry) pairs and their pixel counts, so measuring a
12 MP result costs about as much as its histogram, not its pixels.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple

import numpy as np
from PIL import Image

from .._kernels import sq_dist_to_labels
from .._validation import (
    ArrayResult,
    ReadOnlyArrays,
    check_bool,
    check_choice,
    check_file_name,
    handed_out,
    shown_step,
)
from ..colors import mean_ciede2000, mean_squared_error, premultiply, sorted_runs
from ..encode import (
    DEFAULT_LEVEL,
    encode_indexed_gif,
    encode_indexed_png,
    png_bit_depth,
    trns,
)
from ..errors import AlphaLossWarning, warn_caller
from ..io import (
    GIF_ALPHA_THRESHOLD,
    MAX_PALETTE,
    atomic_write,
    check_output_folder,
    check_output_path,
    folder_made,
    held_dpi,
    write_together,
)
from ..reconstruct.palette import indexed_image, last_entry_at, last_entry_rank
from .fit import Histogram, features_of, lab_of

__all__ = ["GIF_ALPHA_THRESHOLD", "MAX_PALETTE", "Fidelity", "Pairs", "ReduceResult", "first_clear",
           "mask_outputs", "psnr_db"]

# Indexed PNGs up to this many pixels are deflated at the encoder's default
# level (8), larger ones at level 6 unless optimize is set: on the 12 MP
# benchmark photo, deflated by zlib-ng on two threads, level 8 took 0.26 / 0.51 s
# for 899 kB / 1.82 MB at k = 16 / 64 and level 6 0.05 / 0.13 s for 935 kB /
# 1.87 MB, while on 0.25 MP photos level 8 costs about 0.01 s.
_SMALLEST_PNG_MAX_PIXELS = 4_000_000
_LARGE_PNG_LEVEL = 6
# A larger PNG whose level-6 stream is at most 1 / _REDUNDANT_RATIO of its rows is encoded
# at the default level too, the smaller kept. Level 8's time grows with the stream it
# writes (about the same time a byte of output on photos, glyph sheets and screenshots
# alike), so on a stream that small it is cheap, and it is where level 6's short search
# misses most: a 2048 x 2048 glyph sheet at 16 entries deflated to 77 kB at level 6 and
# 35 kB at 8 (2 MiB of rows, 27:1); the 12 MP benchmark photo's streams are 6:1, never
# tried again, and a 4096 x 4096 sheet's 11:1 (3 % smaller at 8, for 7 times level 6's
# time).
_REDUNDANT_RATIO = 16
#: The formats :meth:`ReduceResult.save` writes, by the extensions that name them.
_SAVED_FORMATS = {".png": "png", ".gif": "gif", ".bmp": "bmp"}


class Pairs(NamedTuple):
    """Distinct (original colour, palette entry) pairs and their pixel counts."""

    colors: np.ndarray
    entries: np.ndarray
    counts: np.ndarray
    histogram: Histogram | None = None  # holds the colours' Lab once computed


class Fidelity(NamedTuple):
    """What the metrics need: the histogram pairs, or where each pixel's colour is.

    Undithered, every distinct colour maps to one entry and ``pairs_known``
    holds the pairs. Dithered, one colour may go to several entries; then
    ``colors`` (the histogram's distinct colours) and ``colour_of`` (each
    visible pixel's row in ``colors``) let :meth:`Fidelity.pairs` count them.
    ``hidden`` fully transparent pixels, outside the histogram, are reproduced
    exactly; ``counted`` is the ``(H, W)`` mask of the visible pixels (None: all).
    ``made_for`` is the indices the pairs are of: a :class:`ReduceResult` sets it to
    its own and refuses other indices (see :meth:`Fidelity.check_indices`).
    """

    pairs_known: Pairs | None
    colors: np.ndarray | None = None
    colour_of: np.ndarray | None = None
    hidden: int = 0
    counted: np.ndarray | None = None
    made_for: np.ndarray | None = None

    def check_indices(self, indices: np.ndarray) -> Fidelity:
        """This fidelity, made for ``indices``; ValueError if it was made for other ones.

        A result's shares are of the indices it was made with, and so are an undithered
        result's pairs (each distinct colour's entry), which cannot be counted again
        without each pixel's colour: of other indices, they would describe an image the
        result does not draw. Indices equal to those are taken.
        """
        made = self.made_for
        if made is not None and made is not indices and not _same_values(made, indices):
            raise ValueError(
                "indices: a ReduceResult's psnr, delta_e and shares are measured on the "
                "indices it was made with, and these differ (dataclasses.replace cannot "
                "change them); for other indices, reduce the image again, e.g. "
                "reduce_colors(image, palette=result.palette)")
        return self._replace(made_for=indices)

    def portable(self) -> Fidelity:
        """This fidelity without what is rebuilt after unpickling: the histogram's
        features and Lab (computed again from its colours, to the same values) and
        ``made_for`` (the result's own indices)."""
        known = self.pairs_known
        if known is not None and known.histogram is not None:
            known = known._replace(histogram=None)
        return self._replace(pairs_known=known, made_for=None)

    def packed(self) -> tuple[Fidelity, dict[str, np.dtype]]:
        """This fidelity with its integer arrays (each colour's entry and count, each
        pixel's colour row) in the narrowest unsigned dtype that holds them, and their own
        dtypes, for :meth:`Fidelity.unpacked`. A pickle: with 8-byte entries and counts,
        an undithered astronaut at k=16 took 9.2 bytes per pixel; 3.6 with 1 and 2."""
        known, colour_of = self.pairs_known, self.colour_of
        dtypes = {}
        if known is not None:
            dtypes.update(entries=known.entries.dtype, counts=known.counts.dtype)
            known = known._replace(entries=_narrowed(known.entries),
                                   counts=_narrowed(known.counts))
        if colour_of is not None:
            dtypes["colour_of"] = colour_of.dtype
            colour_of = _narrowed(colour_of)
        return self._replace(pairs_known=known, colour_of=colour_of), dtypes

    def unpacked(self, dtypes: dict[str, np.dtype]) -> Fidelity:
        """A :meth:`Fidelity.packed` fidelity with its arrays back in their own ``dtypes``."""
        known, colour_of = self.pairs_known, self.colour_of
        if known is not None:
            known = known._replace(
                entries=known.entries.astype(dtypes["entries"], copy=False),
                counts=known.counts.astype(dtypes["counts"], copy=False))
        if colour_of is not None:
            colour_of = colour_of.astype(dtypes["colour_of"], copy=False)
        return self._replace(pairs_known=known, colour_of=colour_of)

    def pairs(self, indices: np.ndarray) -> Pairs:
        if self.pairs_known is not None:
            return self.pairs_known
        drawn = indices.ravel() if self.counted is None else indices[self.counted]
        n_entries = int(drawn.max(initial=0)) + 1
        # (colour row, entry) as one key; 32-bit when it fits (half the sort's memory),
        # sorted in place: np.unique sorted a copy, and a product made another, of 4
        # bytes a pixel each (80 MB at 10 M visible pixels).
        dtype = np.int32 if self.colors.shape[0] * n_entries < 1 << 31 else np.int64
        flat = self.colour_of.astype(dtype)
        flat *= dtype(n_entries)
        flat += drawn
        del drawn
        flat.sort()
        pairs, counts = sorted_runs(flat)
        del flat
        row, entry = np.divmod(pairs, n_entries)
        return Pairs(self.colors[row], entry.astype(np.intp), counts)


def _narrowed(a: np.ndarray) -> np.ndarray:
    """``a`` in the narrowest unsigned dtype that holds its values, when they are integers
    from 0 up and that dtype is narrower; else ``a`` itself (a caller's float counts, or
    4-byte rows of more than 65,536 colours)."""
    if a.dtype.kind not in "iu" or (a.size and a.min() < 0):
        return a
    narrow = np.min_scalar_type(int(a.max(initial=0)))
    return a.astype(narrow) if narrow.itemsize < a.itemsize else a


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` hold the same values: the same memory read the same way
    (a view of a view, as ``dataclasses.replace`` passes a field on), or else equal."""
    if a.shape != b.shape:
        return False
    same_memory = (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
                   and a.strides == b.strides and a.dtype == b.dtype)
    return same_memory or bool(np.array_equal(a, b))


def psnr_db(colors: np.ndarray, drawn: np.ndarray, counts: np.ndarray,
            over: Literal["black", "white"] | None = None) -> float:
    """PSNR in dB of ``counts`` pixels of each of ``colors`` drawn as ``drawn`` (both
    ``(m, 3)``, or ``(m, 4)`` straight RGBA compared premultiplied, or with ``over`` as
    their RGB composited on black or on white); inf when lossless.

    A :class:`ReduceResult`'s ``psnr`` (and :meth:`~ReduceResult.psnr_on`), and an
    animation's with alpha, all frames pooled. The pixels are the visible ones: fully
    transparent pixels, drawn exactly in both, are left out, so that more transparent
    canvas around a sprite does not raise its PSNR.

    >>> psnr_db(np.array([[0, 0, 0, 255]], np.uint8), np.array([[2, 0, 0, 255]], np.uint8),
    ...         np.array([1]))  # squared error 4 over 4 channels
    48.1308036086791
    """
    mse = mean_squared_error(colors, drawn, counts, premultiplied=over is None, over=over)
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


@dataclass(frozen=True, eq=False)
class ReduceResult(ReadOnlyArrays, ArrayResult):
    """An image reduced to a palette.

    Attributes
    ----------
    palette : (k, 3) ndarray of uint8
        The colours, most used first, but translucent entries (alpha < 255) before the
        opaque ones, so that a PNG's tRNS chunk stops after them (a given palette keeps its
        own order).
    indices : (H, W) ndarray of uint8 (uint16 when there are more than 256 entries,
        uint32 beyond 65,536)
        Palette index of every pixel; fully transparent pixels hold
        ``transparent_index``.
    shares : (k,) ndarray of float64
        Fraction of the pixels that are not fully transparent drawn with each
        entry (a faint pixel drawn with the transparent entry counts in none).
    transparent_index : int or None
        ``k`` when the image has fully transparent pixels, else None.
    space : {"rgb", "lab"}
        Space the palette was fitted and matched in.
    dithered : bool
        Whether error diffusion was used.
    alpha : (k,) ndarray of uint8, or None
        Opacity of each entry (straight alpha, 1..255) when the image has
        alpha; None for an opaque image. The transparent entry is not included.
    k : int
        Number of colours in the palette (the transparent entry not counted).
    psnr, delta_e : float
        Fidelity to the original, computed on first use (see each property).
    inertia : float
        The k-means objective of the palette, scikit-learn's ``inertia_``: the sum of
        squared distances of the visible pixels to their entries, computed on first use
        (see the property).

    The arrays are read-only, in a copy or an unpickled result too: the metrics,
    shares and images are computed from them, and an edit would put them out of
    step. Edit a copy
    (``result.indices.copy()``); ``to_rgb()``, ``to_rgba()`` and ``full_palette()``
    return new arrays. For the same reason ``dataclasses.replace`` of ``indices``
    with other values raises ``ValueError``; other fields may be replaced.

    ``np.asarray(result)`` is the reduced image's pixels, ``(H, W, 3)`` uint8 RGB, or
    ``(H, W, 4)`` RGBA when it has alpha (a new array: see ``__array__``), and
    ``Image.fromarray(result)`` is them as an "RGB" or "RGBA" picture; ``to_image()`` is
    the palette image. ``full_palette`` and ``transparency`` are methods, not attributes as
    ``palette`` and ``alpha`` are: they make a new array (of the ``alpha`` asked for) or
    bytes on each call.

    Two are equal only when they are the same object (``result == x`` is ``result is x``,
    never an element-wise comparison; ``array == result`` is NumPy's, element-wise
    against ``np.asarray(result)``): compare their arrays with :func:`numpy.array_equal`
    to compare results.
    """

    palette: np.ndarray
    indices: np.ndarray
    shares: np.ndarray
    transparent_index: int | None
    space: str
    dithered: bool
    alpha: np.ndarray | None
    _fidelity: Fidelity = field(repr=False)
    #: The index of the entry of fully transparent pixels in the result's palette image
    #: (:meth:`ReduceResult.to_image`): 0, the first, but mapped onto a given palette where
    #: it has its own, else after its last entry
    #: (:func:`~quantize.reduce.options.clear_entry_at`), as ``quantize reduce`` writes it.
    _clear_at: int = field(default=0, repr=False)
    #: The colour of that entry (its alpha 0): black, but the one asked for
    #: (``reduce_file(transparent_color=...)``), shown where a format without alpha (BMP)
    #: draws the transparent pixels, and by a renderer that filters without premultiplying.
    _clear_color: tuple[int, int, int] = field(default=(0, 0, 0), repr=False)

    _ARRAYS = ("palette", "indices", "shares", "alpha")

    def _freeze(self) -> None:
        # As made, unpickled or copied: the fidelity is tied to these indices.
        super()._freeze()
        object.__setattr__(self, "_fidelity", self._fidelity.check_indices(self.indices))

    def __getstate__(self) -> dict[str, Any]:
        # The pairs, histogram features and Lab are caches, rebuilt from the rest on
        # first use; psnr and delta_e, once computed, are kept. The fidelity's integer
        # arrays travel narrowed and are widened back on loading.
        state = super().__getstate__()
        state.pop("_pairs", None)
        state["_fidelity"], state["_fidelity_dtypes"] = self._fidelity.portable().packed()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        dtypes = state.pop("_fidelity_dtypes")
        state["_fidelity"] = state["_fidelity"].unpacked(dtypes)
        super().__setstate__(state)

    @property
    def k(self) -> int:
        """Number of colours in the palette (the transparent entry not counted)."""
        return int(self.palette.shape[0])

    def __repr__(self) -> str:
        """One line: the size (width x height in pixels, as the command's lines give it:
        ``6 x 4 px`` for indices of shape ``(4, 6)``), k and the options; no arrays, and the
        metrics only once computed (``psnr`` of a 12 MP result takes tens of milliseconds).

        >>> import numpy as np
        >>> from quantize import reduce_colors
        >>> image = np.zeros((4, 6, 3), np.uint8); image[:, 3:] = [200, 40, 40]
        >>> reduce_colors(image, 2, seed=0)
        ReduceResult(6 x 4 px, k=2, space='rgb')
        """
        h, w = self.indices.shape
        said = [f"{w} x {h} px", f"k={self.k}", f"space={self.space!r}"]
        if self._has_alpha():
            said.append("alpha=True")
        if self.dithered:
            said.append("dithered=True")
        said += [f"{name}={self.__dict__[name]:.2f}" for name in ("psnr", "delta_e")
                 if name in self.__dict__]
        return f"{type(self).__name__}({', '.join(said)})"

    def _repr_png_(self) -> bytes:
        """The reduced image as a PNG, the picture a notebook (IPython, Jupyter) shows.

        An indexed PNG from quantize's encoder, as ``quantize reduce`` writes it (up to
        the order of the entries), or an RGB(A) one beyond 256 entries. A result over
        :data:`~quantize._validation.SHOWN_MAX_SIDE` pixels a side is shown by every n-th
        pixel of every n-th row (the palette's colours kept), at most that many a side.
        """
        step = shown_step(self.indices.shape)
        indices = self.indices[::step, ::step]
        full = self.full_palette(alpha=True)
        with_alpha = bool((full[:, 3] < 255).any())
        if full.shape[0] > MAX_PALETTE:
            buffer = io.BytesIO()
            Image.fromarray(full[indices] if with_alpha else full[indices, :3]).save(
                buffer, format="PNG")
            return buffer.getvalue()
        return encode_indexed_png(indices, full[:, :3], full[:, 3] if with_alpha else None,
                                  reorder=False)

    def to_rgb(self) -> np.ndarray:
        """The reduced image's colours, ``(H, W, 3)`` uint8 (alpha dropped, transparent black)."""
        # np.take, not full[indices]: 78 ms where indexing took 270 ms at 12 MP
        return np.take(self.full_palette(), self.indices, axis=0)

    def to_rgba(self) -> np.ndarray:
        """The reduced image, ``(H, W, 4)`` uint8 straight RGBA."""
        return np.take(self.full_palette(alpha=True), self.indices, axis=0)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The reduced image's pixels, as ``np.asarray(result)`` gives them: ``(H, W, 4)``
        uint8 straight RGBA (:meth:`ReduceResult.to_rgba`) when the image has alpha, else
        ``(H, W, 3)`` RGB (:meth:`ReduceResult.to_rgb`), so that
        ``Image.fromarray(np.asarray(result))`` and NumPy's functions take a result.

        They are made from the palette and indices on each call, a new writable array that
        shares nothing with the result (``np.asarray(result, copy=False)`` gives it too:
        NumPy reads them through ``__array_interface__``; ``result.__array__(copy=False)``
        raises ``ValueError``). ``Image.fromarray(result)`` is the same picture as
        ``Image.fromarray(np.asarray(result))``, "RGB" or "RGBA";
        :meth:`ReduceResult.to_image` gives the palette image.

        >>> import numpy as np
        >>> from PIL import Image
        >>> from quantize import reduce_colors
        >>> image = np.zeros((2, 3, 3), np.uint8); image[:, 2:] = [200, 40, 40]
        >>> pixels = np.asarray(reduce_colors(image, 2, seed=0))
        >>> pixels.shape, pixels.dtype.name, pixels[0, 2].tolist()
        ((2, 3, 3), 'uint8', [200, 40, 40])
        >>> picture = Image.fromarray(reduce_colors(image, 2, seed=0))
        >>> picture.mode, picture.size, picture.getpixel((2, 0))
        ('RGB', (3, 2), (200, 40, 40))
        """
        return handed_out(self._handed_array(), dtype, copy, made=True,
                          what="a ReduceResult's pixels")

    def _handed_array(self) -> np.ndarray:
        """The pixels ``np.asarray(result)`` gives, made anew (see ``__array__``)."""
        return self.to_rgba() if self._has_alpha() else self.to_rgb()

    def _has_alpha(self) -> bool:
        """Whether the image has alpha: translucent entries, or fully transparent pixels."""
        return self.alpha is not None or self.transparent_index is not None

    def to_image(self, gif: bool = False) -> Image.Image:
        """The reduced image as PIL: mode "P" (alpha in its transparency) when it fits in 256.

        Its entries are numbered as in the .png ``quantize reduce`` writes: the entry of
        fully transparent pixels (``transparent_index``, last in ``palette`` order) first,
        index 0, then the palette's in their order, the translucent ones first, so that
        tRNS is short (mapped onto a given ``palette`` with a fully transparent entry: at
        that entry's index among the palette's visible ones). When the one entry that is
        not opaque is fully transparent, the transparency is that entry's index, which
        PNG, GIF and WebP all save;
        with translucent entries it is their alpha as bytes (a PNG tRNS), which
        PNG and WebP save but GIF cannot: GIF has one fully transparent entry
        and no partial alpha. More than 256 entries give an "RGB" image
        ("RGBA" with alpha).

        Parameters
        ----------
        gif : bool, default False
            Make the image a GIF can hold: entries with alpha below
            :data:`GIF_ALPHA_THRESHOLD` become fully transparent (their pixels all
            take one index), the others are shown opaque. The entry of fully transparent
            pixels is then the first, index 0 (or a given palette's, as without ``gif``),
            the others following in their order, as in the .gif ``quantize reduce``
            writes. Of a result fitted on partial alpha, that spends entries on faint
            colours the GIF does not show, with an
            :class:`~quantize.errors.AlphaLossWarning`: ``quantize reduce`` fits a
            .gif's colours on the alpha the GIF holds (alpha below the threshold made
            0, the rest 255), which a caller can give
            :func:`~quantize.reduce.reduce_colors` too.

        Raises
        ------
        ValueError
            With ``gif``, when the result has more than 256 entries.
        TypeError
            If ``gif`` is not a bool.

        Examples
        --------
        >>> import numpy as np
        >>> from quantize import reduce_colors
        >>> rgba = np.full((1, 3, 4), 200, np.uint8)
        >>> rgba[0, :, 0] = [0, 100, 250]
        >>> rgba[0, :, 3] = [0, 100, 255]  # transparent, translucent, opaque
        >>> result = reduce_colors(rgba, 2)
        >>> image = result.to_image()
        >>> image.info["transparency"]  # PNG-only partial alpha: transparent entry first
        b'\\x00d'
        >>> np.asarray(image).tolist(), result.indices.tolist()
        ([[0, 1, 2]], [[2, 0, 1]])
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as said:
        ...     warnings.simplefilter("always")
        ...     result.to_image(gif=True).info["transparency"]  # one transparent index, first
        0
        >>> print(said[0].message)  # doctest: +ELLIPSIS
        GIF has no partial alpha: 1 translucent entry is made transparent (alpha below ...
        """
        gif = check_bool(gif, "gif")  # "no" would drop partial alpha, as for a GIF
        full = self.full_palette(alpha=True)
        if gif:
            _warn_partial_alpha_dropped(full)
            return self._gif_image(full)
        if full.shape[0] <= MAX_PALETTE:
            indices, full = self._png_entries(full)
            clear = np.flatnonzero(full[:, 3] < 255)
            if clear.size == 1 and full[clear[0], 3] == 0:
                return indexed_image(indices, full[:, :3], int(clear[0]))
            return indexed_image(indices, full[:, :3], trns(full[:, 3]))
        if not self._has_alpha():
            return Image.fromarray(full[self.indices, :3])
        return Image.fromarray(full[self.indices])

    def save(self, file: str | os.PathLike[str] | BinaryIO,
             format: Literal["png", "gif", "bmp"] | None = None) -> None:
        """Write the reduced image as ``quantize reduce`` writes it: the same bytes, but for
        the resolution of an input that states one, which the command's PNG keeps in a
        pHYs chunk and this one has not (a result holds no resolution).

        An indexed PNG from quantize's own encoder, with the command's defaults (rows
        filtered and deflated for size: of ``reduce_colors(image, k, seed=0)`` of
        scikit-image's chelsea, astronaut, rocket and coffee, 9.4, 9.7, 6.5 and 15.6 %
        smaller than Pillow's ``to_image().save`` at k = 16, 0 to 1.8 % at k = 64), an
        indexed GIF as the command writes it, or an indexed BMP of 8 bits a pixel (entries
        numbered as the PNG's; no alpha: each entry drawn on black by its alpha, the fully
        transparent one black, as by the command). Beyond 256 entries a PNG is RGB(A) and
        a GIF or BMP is refused, as by the command. A path is written whole or not at all (a file
        of that name is replaced, as with the command's ``--force``); a pipe, device or
        socket there (or at the end of a link) is refused, as by the command, not replaced
        with a file; a binary file object is written at its position.

        Parameters
        ----------
        file : str, os.PathLike or binary file object
            Where to write: a path, or an object with a ``write`` method taking bytes
            (``io.BytesIO()``, a file opened ``"wb"``).
        format : {"png", "gif", "bmp"}, optional
            The format, in any case (``"PNG"``, as Pillow takes it); by default that of a
            path's extension (``.png``, ``.gif`` or ``.bmp``), and PNG for a file object.
            Other formats: ``to_image().save(file, format)``.

        Warns
        -----
        AlphaLossWarning
            A GIF of a result with translucent entries, as
            :meth:`ReduceResult.to_image` with ``gif=True``; a BMP of a result with
            transparent or translucent entries.

        Raises
        ------
        ValueError
            If a path's extension is none of these and ``format`` is not given, a path ends
            in a separator (a folder's name), or a GIF or BMP of more than 256 entries.
        TypeError
            If ``file`` is neither a path nor has a ``write`` method, is a file object in
            text mode (``io.StringIO()``, a file opened ``"w"``), or ``format`` is no str.
        OutputError
            If a path cannot be written (:func:`~quantize.io.check_output_path`, as
            :func:`~quantize.reduce.reduce_file` checks its output: a folder, a pipe,
            device or socket, a missing folder, no permission; or a full disk).

        Examples
        --------
        >>> import io
        >>> import numpy as np
        >>> from PIL import Image
        >>> from quantize import reduce_colors
        >>> image = np.zeros((4, 6, 3), np.uint8); image[:, 3:] = [200, 40, 40]
        >>> buffer = io.BytesIO()
        >>> reduce_colors(image, 2, seed=0).save(buffer)
        >>> buffer.getvalue()[:8], len(buffer.getvalue())
        (b'\\x89PNG\\r\\n\\x1a\\n', 87)
        >>> reduce_colors(image, 2, seed=0).save(bmp := io.BytesIO(), "bmp")
        >>> Image.open(bmp).mode, Image.open(bmp).getpalette()[:6]
        ('P', [0, 0, 0, 200, 40, 40])
        """
        format = self._saved_format(file, format)
        if not hasattr(file, "write"):
            check_file_name(file, "file")
            check_output_path(file, force=True)
        if format == "gif":
            _warn_partial_alpha_dropped(self.full_palette(alpha=True))
        elif format == "bmp":
            _warn_alpha_drawn_on_black(self.full_palette(alpha=True))
        data = {"gif": self._indexed_gif, "bmp": self._indexed_bmp,
                "png": self._png_bytes}[format]()
        if hasattr(file, "write"):
            _write_binary(file, data)
        else:
            atomic_write(file, lambda tmp: tmp.write_bytes(data))

    @staticmethod
    def _saved_format(file: Any, format: Any) -> str:
        """``format`` checked, or that of ``file``: a path's extension, PNG for a file object."""
        if format is not None:  # in any case, as Pillow takes "PNG"
            lowered = format.lower() if isinstance(format, str) else format
            return check_choice(lowered, "format", tuple(_SAVED_FORMATS.values()))
        if hasattr(file, "write"):
            return "png"
        if not isinstance(file, str | os.PathLike):
            raise TypeError(f"file should be a path (str or os.PathLike) or a binary file "
                            f"object, got {type(file).__name__}")
        suffix = Path(file).suffix.lower()
        if suffix not in _SAVED_FORMATS:
            raise ValueError(f"file={os.fspath(file)!r}: the extension {suffix or '(none)'!r} "
                             f"names no format save writes; expected .png, .gif or .bmp, or "
                             f"give format='png', 'gif' or 'bmp' (other formats: "
                             f"to_image().save)")
        return _SAVED_FORMATS[suffix]

    def _png_bytes(self) -> bytes:
        """The .png ``quantize reduce`` writes of this result: indexed to 256 entries, else
        RGB(A) by Pillow."""
        if self.full_palette().shape[0] <= MAX_PALETTE:
            return self._indexed_png()
        buffer = io.BytesIO()
        self.to_image().save(buffer, format="PNG")
        return buffer.getvalue()

    def _indexed_png(self, *, optimize: bool = False, given: bool = False,
                     dpi: tuple[float, float] | None = None,
                     entries: tuple[np.ndarray, np.ndarray] | None = None) -> bytes:
        """This result's indexed PNG (at most 256 entries), numbered as
        :meth:`ReduceResult._png_entries` numbers them, or as ``entries`` does (``(H, W)``
        indices and the ``(n, 4)`` table of a given palette, every entry at its index).
        ``optimize``: the smallest file the encoder finds, reordering the entries unless
        ``given`` (a palette given by the caller, which keeps its entries and order);
        ``dpi``: a pHYs chunk."""
        indices, full = (self._png_entries(self.full_palette(alpha=True)) if entries is None
                         else entries)
        alpha = full[:, 3] if (full[:, 3] < 255).any() else None
        small = indices.size <= _SMALLEST_PNG_MAX_PIXELS

        def encoded(level: int) -> bytes:
            return encode_indexed_png(indices, full[:, :3], alpha, optimize=optimize,
                                      reorder=optimize and not given, level=level, dpi=dpi)

        if small:
            return encoded(DEFAULT_LEVEL)
        data = encoded(_LARGE_PNG_LEVEL)
        if not optimize and len(data) * _REDUNDANT_RATIO <= _row_bytes(indices.shape,
                                                                       full.shape[0]):
            data = min(data, encoded(DEFAULT_LEVEL), key=len)
        return data

    def _indexed_gif(self, entries: tuple[np.ndarray, np.ndarray] | None = None,
                     **timing: Any) -> bytes:
        """This result's GIF (entries as :meth:`ReduceResult._gif_entries` gives them, or
        ``entries``: ``(H, W)`` indices and the ``(n, 4)`` table of a given palette, every
        entry at its index, its first of alpha 0 the transparent one; ``timing``:
        :func:`~quantize.encode.encode_indexed_gif`'s ``loop`` and ``duration``); of
        partial alpha, its callers warn in their own words."""
        if entries is None:
            return encode_indexed_gif(*self._gif_entries(self.full_palette(alpha=True)),
                                      **timing)
        indices, table = entries
        return encode_indexed_gif(indices, table[:, :3], first_clear(table), **timing)

    def _indexed_bmp(self, entries: tuple[np.ndarray, np.ndarray] | None = None,
                     dpi: tuple[float, float] | None = None) -> bytes:
        """This result's 8-bit indexed BMP, numbered as :meth:`ReduceResult._png_entries`
        numbers it, or as ``entries`` does (``(H, W)`` indices and the ``(n, 4)`` table of a
        given palette, every entry at its index), ``n`` entries in its colour table; with
        the resolution ``dpi`` (:func:`~quantize.io.held_dpi`), else none stated.

        BMP holds no alpha: each entry is drawn on black by its alpha (premultiplied), but a
        fully transparent one keeps its colour: a given palette's (``entries``), as its file
        gives it (a sprite's key colour, which the pixels of that index show), else the
        colour asked for it (``transparent_color``), black by default. Never 1 bit a
        pixel: Pillow writes a mode "1" image with a colour table of black and white,
        whatever the two colours were.
        Pillow's own default resolution, 96 dpi, is not written for an input that states
        none: pixels per metre 0, which readers take as unknown."""
        full = self.full_palette(alpha=True)
        if full.shape[0] > MAX_PALETTE:
            raise ValueError(f"a BMP holds at most {MAX_PALETTE} palette entries, this result "
                             f"has {full.shape[0]}; reduce to fewer colours")
        indices, table = self._png_entries(full) if entries is None else entries
        shown = np.rint(premultiply(table)[:, :3]).astype(np.uint8)
        clear = table[:, 3] == 0
        shown[clear] = table[clear, :3]
        buffer = io.BytesIO()
        indexed_image(indices, shown).save(buffer, format="BMP", dpi=dpi or (0, 0))
        return buffer.getvalue()

    def _png_entries(self, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ``(H, W)`` entries and ``(n, 4)`` palette of this result's indexed PNG
        (``full``: every entry, with alpha), as :meth:`ReduceResult.to_image` gives them and
        the file job writes them: the entry of fully transparent pixels is entry
        ``_clear_at`` (the first, but a given palette's own, or after its last), the others
        following in their order, so that tRNS ends at the last translucent entry. Without
        that entry, the result's own."""
        if self.transparent_index is None:
            return self.indices, full
        return last_entry_at(self.indices, full, self._clear_at)

    def _listed_entries(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(n, 4)`` entries and ``(n,)`` shares a palette file lists, in the order of
        :meth:`ReduceResult._png_entries`: the colours, and the entry of fully transparent
        pixels at its index (the first, but a given palette's own), of alpha 0 (black, or the
        colour asked for it) and a share of 0, so that entry i of the file is entry i of
        the image."""
        full = self.full_palette(alpha=True)
        if self.transparent_index is None:
            return full[:self.k], self.shares
        listed = np.empty_like(full)
        listed[last_entry_rank(full.shape[0], self._clear_at)] = full
        return listed, np.insert(self.shares, self._clear_at, 0.0)

    def _gif_image(self, full: np.ndarray) -> Image.Image:
        """Mode "P" image with at most one, fully transparent, entry (``full``: every entry);
        without :meth:`ReduceResult.to_image`'s warning."""
        return indexed_image(*self._gif_entries(full))

    def _gif_entries(self, full: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None]:
        """The ``(H, W)`` entries, ``(n, 3)`` palette and transparent entry (or None) of
        ``_gif_image``, for the file job too, which writes them
        (:func:`~quantize.encode.encode_indexed_gif`) and says the alpha lost in its own
        words. The entry of fully transparent pixels is entry ``_clear_at``, as a PNG's (the
        first, but a given palette's own), the others following in their order; with none,
        the first entry of alpha below :data:`GIF_ALPHA_THRESHOLD` keeps its place."""
        if full.shape[0] > MAX_PALETTE:
            raise ValueError(f"a GIF holds at most {MAX_PALETTE} palette entries, this result "
                             f"has {full.shape[0]}; reduce to fewer colours")
        clear = full[:, 3] < GIF_ALPHA_THRESHOLD
        if not clear.any():
            return self.indices, full[:, :3], None
        index = self.transparent_index
        if index is None:
            index = int(np.flatnonzero(clear)[0])
        indices = np.where(clear[self.indices], index, self.indices).astype(np.uint8)
        if index != self.transparent_index:
            return indices, full[:, :3], index
        indices, palette = last_entry_at(indices, full[:, :3], self._clear_at)
        return indices, palette, self._clear_at

    def masks(self) -> list[np.ndarray]:
        """One ``(H, W)`` bool mask per entry of ``palette``, in its order: True where the
        pixels are drawn with that entry (a screen printer's separation of that ink).

        The masks of an image's entries partition its pixels that are not fully
        transparent: those belong to no mask. An entry no pixel takes has an empty mask.
        Each mask is a new array of ``H * W`` bytes (k of them: 17 MP at k = 64 is 1.1 GB);
        :meth:`ReduceResult.save_masks` writes them one at a time.

        Examples
        --------
        >>> import numpy as np
        >>> from quantize import reduce_colors
        >>> image = np.zeros((2, 3, 3), np.uint8); image[:, 2:] = [200, 40, 40]
        >>> result = reduce_colors(image, 2, seed=0)
        >>> [(result.palette[i].tolist(), m.astype(int).tolist())
        ...  for i, m in enumerate(result.masks())]
        [([0, 0, 0], [[1, 1, 0], [1, 1, 0]]), ([200, 40, 40], [[0, 0, 1], [0, 0, 1]])]
        """
        return [self.indices == i for i in range(self.k)]

    def save_masks(self, folder: str | os.PathLike[str], stem: str = "mask", *,
                   dpi: tuple[float, float] | None = None, force: bool = False) -> list[Path]:
        """Write one 1-bit PNG per entry the image uses, black where the entry's pixels are
        and white elsewhere, as ``quantize reduce --masks`` writes them: named
        ``<stem>.ink<NN>-<rrggbb>.png``, ``NN`` the entry's index in the .png
        :meth:`ReduceResult.save` writes (two digits, three beyond 100 entries), and its
        colour. Fully transparent pixels are in no mask, and their entry has none.

        Written together (:func:`~quantize.io.write_together`): all of them or none;
        ``folder`` is made when missing.

        Parameters
        ----------
        folder : str or os.PathLike
            The folder to write into.
        stem : str, default "mask"
            The start of every file's name (an output image's name without its extension).
        dpi : (float, float), optional
            The resolution (x, y) in dots per inch, written in each PNG's pHYs chunk (a
            scan's, as :attr:`~quantize.io.LoadedImage.dpi` gives it); None: none stated.
        force : bool, default False
            Replace files of those names.

        Returns
        -------
        list of Path
            The files written, by index.

        Raises
        ------
        ValueError
            If ``folder`` lies under a file, or ``dpi`` is not two numbers > 0.
        OutputExistsError
            If a file of those names exists and ``force`` is false.

        Examples
        --------
        >>> import tempfile
        >>> import numpy as np
        >>> from PIL import Image
        >>> from quantize import reduce_colors
        >>> image = np.zeros((2, 3, 3), np.uint8); image[:, 2:] = [200, 40, 40]
        >>> folder = tempfile.TemporaryDirectory()
        >>> paths = reduce_colors(image, 2, seed=0).save_masks(folder.name, "flag",
        ...                                                      dpi=(300, 300))
        >>> [p.name for p in paths]
        ['flag.ink00-000000.png', 'flag.ink01-c82828.png']
        >>> with Image.open(paths[1]) as mask:
        ...     mask.mode, np.asarray(mask).astype(int).tolist(), round(mask.info["dpi"][0])
        ('1', [[1, 1, 0], [1, 1, 0]], 300)
        >>> folder.cleanup()
        """
        check_file_name(stem, "stem")
        where = check_output_folder(folder, "folder")
        files = mask_outputs(*self._png_entries(self.full_palette(alpha=True)), where,
                             stem, held_dpi(dpi, "PNG"))
        with folder_made(where):
            write_together(files, replace=check_bool(force, "force"))
        return [path for path, _ in files]

    def transparency(self) -> bytes | None:
        """Alpha of every entry of :meth:`ReduceResult.full_palette` (the transparent one
        last) up to the last one that is not opaque (a PNG tRNS), or None."""
        return trns(self.full_palette(alpha=True)[:, 3])

    def full_palette(self, alpha: bool = False) -> np.ndarray:
        """Every entry, the transparent one included: ``(n, 3)``, or ``(n, 4)`` with ``alpha``."""
        alpha = check_bool(alpha, "alpha")
        k = self.palette.shape[0]
        n = k + (self.transparent_index is not None)
        out = np.zeros((n, 4 if alpha else 3), dtype=np.uint8)
        out[:k, :3] = self.palette
        out[k:, :3] = self._clear_color  # the transparent entry, if any
        if alpha:
            out[:k, 3] = 255 if self.alpha is None else self.alpha
        return out

    @cached_property
    def _pairs(self) -> Pairs:
        return self._fidelity.pairs(self.indices)

    def _measured_entries(self) -> np.ndarray:
        """Entries as measured: straight RGBA when the image has alpha, else RGB."""
        return self.full_palette(alpha=self._has_alpha())

    @cached_property
    def psnr(self) -> float:
        """PSNR in dB against the original (inf when lossless).

        Over all pixels; for an image with alpha, over premultiplied RGBA of the visible
        pixels (alpha above 0): a fully transparent pixel is reproduced exactly whatever
        its colour, and is left out, so that padding with transparent canvas does not
        raise the PSNR.
        """
        return self._psnr(None)

    def psnr_on(self, over: Literal["black", "white"]) -> float:
        """PSNR in dB against the original, both composited on black or on white, over
        the RGB of the visible pixels, as ``psnr`` (inf when lossless); of an opaque image,
        ``psnr``.

        Parameters
        ----------
        over : {"black", "white"}
            The background.

        Returns
        -------
        float

        Raises
        ------
        ValueError
            If ``over`` is neither.

        A translucent pixel fitted to look right on white as on black may lower ``psnr``,
        measured premultiplied (on black, with alpha), and raise this on white.

        >>> import numpy as np
        >>> from quantize import reduce_colors
        >>> faint_blacks = np.array([[[0, 0, 0, 100], [0, 0, 0, 200]]], np.uint8)
        >>> result = reduce_colors(faint_blacks, 1)  # one entry of alpha 150, off by 50
        >>> [round(result.psnr_on(over), 2) for over in ("black", "white")]
        [inf, 14.15]
        """
        return self._psnr(check_choice(over, "over", ("black", "white")))

    def _psnr(self, over: Literal["black", "white"] | None) -> float:
        """:attr:`ReduceResult.psnr` (``over`` None) or :meth:`ReduceResult.psnr_on`."""
        f = self._pairs
        if f.counts.size == 0:
            return math.inf
        entries = self._measured_entries()
        colors = f.colors if f.colors.shape[1] == entries.shape[1] else \
            np.hstack([f.colors, np.full((f.colors.shape[0], 1), 255, np.uint8)])
        return psnr_db(colors, entries[f.entries], f.counts, over)

    @cached_property
    def delta_e(self) -> float:
        """Mean CIEDE2000 of the visible pixels against the original (0 when lossless).

        With alpha, colours are compared as shown on black (premultiplied), as
        ``psnr`` and :func:`quantize.metrics.delta_e` compare them. The
        ``quality`` search counts a translucent pixel at the worse of black and
        white, so undithered this is at most the mean it bounded, and may be below
        it: a dark glyph with soft edges at ``quality=4`` is 2.5 here, 3.65 on white.
        """
        f = self._pairs
        if f.counts.size == 0:
            return 0.0
        lab = f.histogram.lab if f.histogram is not None else lab_of(f.colors)
        entries = self._measured_entries()
        if entries.shape[1] != f.colors.shape[1]:
            entries = entries[:, :3]
        return mean_ciede2000(lab, lab_of(entries), f.counts, rows=f.entries)


    @cached_property
    def inertia(self) -> float:
        """The sum, over the pixels that are not fully transparent, of the squared distance
        from each pixel's colour to the palette entry that draws it, in the space the
        palette was fitted in (``space``): 0..255 RGB, or CIELAB (L* 0..100) with
        ``space="lab"``; with alpha, in the premultiplied features k-means fits
        (:func:`~quantize.colors.features_of`). 0 when lossless.

        Undithered, each pixel is drawn by its nearest entry, so this is the k-means
        objective of the palette over every pixel (not a sample), scikit-learn's
        ``inertia_``, measured at the palette's 8-bit colours: an elbow plot of it against
        ``n_colors`` shows where more colours stop paying. Dithered, a pixel may be drawn by
        another entry than its nearest, and this is larger. Of an opaque image in RGB it is
        ``((np.asarray(result) - image.astype(float)) ** 2).sum()`` of the ``(H, W, 3)``
        uint8 image reduced; divided by the number of pixels, the mean squared distance.

        >>> import numpy as np
        >>> from quantize import reduce_colors
        >>> image = np.array([[[0, 0, 0], [10, 0, 0], [200, 40, 40]]], np.uint8)
        >>> result = reduce_colors(image, 2, seed=0)
        >>> result.palette.tolist(), result.inertia  # 5 levels off, twice
        ([[5, 0, 0], [200, 40, 40]], 50.0)
        """
        f = self._pairs
        if f.counts.size == 0:
            return 0.0
        entries = self._measured_entries()
        colors = f.colors if f.colors.shape[1] == entries.shape[1] else \
            np.hstack([f.colors, np.full((f.colors.shape[0], 1), 255, np.uint8)])
        distances = sq_dist_to_labels(features_of(colors, self.space),
                                      features_of(entries, self.space), f.entries, np.float64)
        return float(np.dot(f.counts, distances))


def _row_bytes(shape: tuple[int, int], k: int) -> int:
    """The bytes of an indexed PNG's unfiltered rows: ``shape`` (H, W) pixels of a palette of
    ``k`` entries, packed at its bit depth, each row after its filter byte.

    >>> _row_bytes((2, 3), 16), _row_bytes((2, 3), 200)
    (6, 8)
    """
    h, w = shape
    return h * (-(-w * png_bit_depth(k) // 8) + 1)


def first_clear(table: np.ndarray) -> int | None:
    """The index of the first entry of alpha 0 of an ``(n, 4)`` table, or None: the entry
    a given palette's transparent pixels take.

    >>> first_clear(np.array([[9, 9, 9, 255], [0, 0, 0, 0], [1, 1, 1, 0]], np.uint8))
    1
    """
    clear = np.flatnonzero(table[:, 3] == 0)
    return int(clear[0]) if clear.size else None


def mask_outputs(indices: np.ndarray, table: np.ndarray, folder: Path, stem: str,
                 dpi: tuple[float, float] | None
                 ) -> list[tuple[Path, Callable[[Path], None]]]:
    """The mask files of an indexed image, ``(H, W)`` ``indices`` into the ``(n, 4)``
    ``table``, as :func:`~quantize.io.write_together` takes them: one path
    ``folder/<stem>.ink<NN>-<rrggbb>.png`` per entry that some pixel takes and is not fully
    transparent, and a function that writes its 1-bit PNG (black where the entry is, made
    as it is written: one mask held at a time), with the resolution ``dpi``. Prior
    validation is assumed (``dpi`` as :func:`~quantize.io.held_dpi` gives it for PNG)."""
    used = np.bincount(indices.ravel(), minlength=table.shape[0]) > 0
    entries = np.flatnonzero(used & (table[:, 3] > 0))
    width = max(2, len(str(table.shape[0] - 1)))

    def writer(entry: int) -> Callable[[Path], None]:
        return lambda tmp: _save_mask(indices == entry, tmp, dpi)

    return [(folder / f"{stem}.ink{entry:0{width}d}-{bytes(table[entry, :3]).hex()}.png",
             writer(int(entry))) for entry in entries]


def _save_mask(mask: np.ndarray, path: Path, dpi: tuple[float, float] | None) -> None:
    """``mask`` as a 1-bit greyscale PNG at ``path``: black (0) where it is True."""
    Image.fromarray(~mask).save(path, format="PNG", **({} if dpi is None else {"dpi": dpi}))


def _write_binary(file: Any, data: bytes) -> None:
    """``file.write(data)``, refusing a file object in text mode in words that say what to
    do, where Python's say "string argument expected, got 'bytes'"."""
    text_mode = TypeError(f"file={file!r} is a file object in text mode; open the file in "
                          "binary mode ('wb')")
    if isinstance(file, io.TextIOBase):
        raise text_mode
    try:
        file.write(data)
    except TypeError:  # an object of its own that writes text
        raise text_mode from None


def _warn_alpha_drawn_on_black(full: np.ndarray) -> None:
    """Warn that the transparent and translucent entries of ``full`` (every entry, with
    alpha) are drawn on black in a BMP, which holds no alpha, as ``quantize reduce`` warns
    of a .bmp output."""
    if (full[:, 3] < 255).any():
        warn_caller(AlphaLossWarning(
            "BMP has no alpha, so transparent and translucent pixels are drawn on black",
            advice="save a .png to keep alpha"))


def _warn_partial_alpha_dropped(full: np.ndarray) -> None:
    """Warn that the translucent entries of ``full`` (every entry, with alpha) are made
    transparent or opaque in a GIF, after the colours were fitted on their alpha: -k 16 of
    coffee under an alpha ramp drew 10 colours at 18.6 dB in a GIF, where fitted on the
    GIF's own alpha (as ``quantize reduce`` fits a .gif's) it draws 16 at 34.3."""
    partial = int(np.count_nonzero((full[:, 3] > 0) & (full[:, 3] < 255)))
    if partial:
        warn_caller(AlphaLossWarning(
            f"GIF has no partial alpha: {partial} translucent "
            f"{'entry is' if partial == 1 else 'entries are'} made transparent (alpha "
            f"below {GIF_ALPHA_THRESHOLD}) or opaque, after the colours were fitted",
            advice=f"for a GIF's colours fitted to what it shows, give reduce_colors the "
                   f"alpha made 0 below {GIF_ALPHA_THRESHOLD} and 255 from it"))
