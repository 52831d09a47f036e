"""Write indexed (palette) PNG files small: palette order, bit depth, filters and zlib.

:func:`encode_indexed_png` turns an ``(H, W)`` index image, its ``(k, 3)``
palette and optional ``(k,)`` alpha into the bytes of a PNG file, written chunk
by chunk with :mod:`struct` and deflated by zlib-ng (the ``zlib-ng`` package,
falling back to :mod:`zlib` when it is not installed; no Pillow involved):

- ``PLTE`` holds the entries the image uses and ``tRNS`` only runs up to the
  last entry that is not opaque (absent when all are);
- the bit depth is the smallest of 1, 2, 4 and 8 that holds the palette;
- with ``reorder=True`` (the default) the palette is reordered first: entries
  with alpha < 255 come first (so ``tRNS`` is short), unused entries are
  dropped, and the rest follow a nearest-neighbour path through colour space
  so that similar colours get close indices, which is what the PNG row filters
  need to find small differences in smooth areas;
- ``pHYs`` holds the physical resolution when one is given (``dpi``), as whole pixels
  per metre, rounded as Pillow rounds them;
- rows are written unfiltered and deflated at zlib level 8, the combination
  measured best on reduced photos (see ``_DEFAULT``; ``level`` trades size
  for speed), flat rows also at level 9 in long and in short deflate blocks
  (see ``_FLAT_MEM_LEVEL``), a large stream in parts on two threads (see
  :func:`_deflate`); ``optimize=True``
  also tries the PNG row filters (which is where the palette order matters),
  another zlib strategy and, for <= 16 colours, one pixel a byte, and keeps
  the smallest stream, the default encode (of the palette as given, too) among
  them, so that the file is never larger than without ``optimize``.

Decoding the result gives back exactly the colours (and alphas) of every
pixel; with ``reorder=False`` also exactly the given indices and palette.

Beside it: :func:`one_frame_apng` (an APNG of one frame), :func:`tiff_options`
(Pillow's save options for the TIFF outputs, a still's and an animation's pages),
:func:`tiff_page` (a palette page as it is written: bilevel, Group 4, when black and white,
1 bit a pixel of two other colours, grey of a grey input's grey entries),
:func:`png_with_exif` and :func:`png_with_text` (an input's EXIF and text chunks added to a
PNG), :func:`tiff_with_exif` (the EXIF added to a TIFF's first page once it is written) and
:func:`encode_indexed_gif` (a still GIF: not interlaced, its LZW codes starting at the
fewest bits that hold its entries, its colour table the smallest power of two that holds
the palette), built of the GIF blocks :mod:`quantize.animation.gif` writes an
animation's frames with (``gif_*``); only the LZW compression is Pillow's.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Callable
from fractions import Fraction
from typing import Any, BinaryIO

import numpy as np
from PIL import Image

from . import _threads
from ._validation import as_array, check_bool, check_dpi, check_int
from .io import EXIF_PICTURE_TAGS, GEOTIFF_TAGS, MAX_PALETTE, held_dpi, pixels_per_metre

# zlib-ng deflates the default encode's streams 2-2.6 times as fast as zlib at the
# same level, within 0.5 % of its size on web photos' indices (smaller by 2-4 % on
# a 12 MP photo's). With optimize, zlib's level 9 is kept: zlib-ng's is sometimes
# larger than its own level 8.
try:
    from zlib_ng import zlib_ng as _zlib_ng
except ImportError:  # an install without it still works, at zlib's speed
    _zlib_ng = None

__all__ = ["DEFAULT_LEVEL", "MAX_GIF_SIDE", "OPTIMIZED_OUTPUTS", "apng_delay", "encode_gray_png",
           "encode_indexed_gif", "encode_indexed_png", "gif_code_size", "gif_color_table",
           "gif_control", "gif_image_data", "gif_screen", "gif_table_size", "gray_bit_depth",
           "one_frame_apng", "palette_order", "png_bit_depth", "png_with_exif", "png_with_text",
           "tiff_options", "tiff_page", "tiff_with_exif", "trns"]

#: The outputs whose encoders take ``optimize``, in the words the command line's help
#: and its warning of an idle ``--optimize`` use: the indexed PNG written here (a still
#: .png or .apng), and an animation's GIF, APNG and WebP writers (:mod:`quantize.animation.gif`,
#: :mod:`quantize.animation.sinks`). Every other output is written as without it; a
#: reduce record's ``optimized`` says whether its encoder took it.
OPTIMIZED_OUTPUTS = "a PNG, or a GIF, APNG or WebP animation"

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE_PALETTE = 3
_COLOR_TYPE_GRAY = 0
_MAX_SIDE = 2**31 - 1
# pHYs's unit 1: pixels per metre.
_PER_METRE = 1

#: (filter, zlib level, zlib strategy) of the default encode. Measured on seven
#: photos reduced to 16 and 64 colours, dithered or not: no filter beat "none"
#: (sub, up, average, paeth and per-row choices by minimum sum or entropy were
#: 1-45 % larger, with or without palette reordering), Z_FILTERED and Z_RLE were
#: 5-35 % larger, and level 9 is 1-2 % smaller than 7 and 3-4 % smaller than 6.
#: Level 8 is within 0.3 % of 9 (medians over those photos: 0.2 % larger to 0.03 %
#: smaller) in two thirds of its time, so it is the default.
_DEFAULT = ("none", 8, zlib.Z_DEFAULT_STRATEGY)
#: zlib level of the default encode.
DEFAULT_LEVEL = _DEFAULT[1]
#: At the default level, streams of fewer bytes are deflated at level 9 too, and the
#: smaller kept, when the palette has more than _NINE_ABOVE_ENTRIES entries or at least
#: _NINE_FROM_REPEATS of the bytes repeat the one before (flat areas: screenshots,
#: drawings). zlib-ng's level 9 matches differently from its 8: on screenshots of web
#: pages reduced to 16-256 colours its files were up to 13 % smaller (a code listing on
#: a flat background; 1-2 % the median), at 256 colours 2-6 % smaller on photos too,
#: but at 16 and 64 colours on the seven benchmark photos -1.4 to +1.0 % (their bytes
#: repeat 38-88 % of the time), where trying it cost up to 25 ms a photo of 0.25-0.5 s.
#: The two run on two threads where there are. Large images keep level 8 alone (a 12
#: MP photo's stream takes 0.14 s).
_ALSO_NINE_BELOW = 1 << 22
_NINE_ABOVE_ENTRIES = 128
_NINE_FROM_REPEATS = 0.9
#: zlib's memLevel: 9 for every stream but one. Flat streams (``_NINE_FROM_REPEATS``) are
#: deflated at level 9 with memLevel 9 and with ``_FLAT_MEM_LEVEL``, instead of levels 8
#: and 9, and the smaller kept. memLevel sets how many symbols a deflate block holds
#: (2**(memLevel + 6)): at 3, 512, so that its Huffman codes follow a screenshot's parts
#: (a card of text, an empty margin, a chart) instead of one code for 16,384 symbols of
#: all of them. pngquant deflates at memLevel 5, which made its files 1-3 % smaller than
#: ours at the same colours on dashboards and charts. On 17 flat images (UI, charts, text,
#: three Chromium screenshots; benchmarks/bench_flat_bytes.py) at 16, 64 and 256 colours,
#: 32 of whose 51 streams are flat, 15 files came out 0.1-6 % smaller (a diagram, a line
#: chart, dashboards), and 3, where level 8 had won, 0.2-0.4 % larger; memLevel 4 and 5
#: gained less, and photos' streams, not flat, are 2-4 % larger at 3. Level 8 is not tried
#: beside the two: three streams took 1.6 times as long on two threads (level 9 takes 1.7
#: times level 8's time), two take about the time levels 8 and 9 took.
_MEM_LEVEL = 9
_FLAT_MEM_LEVEL = 3
#: The combinations ``optimize=True`` tries; the smallest stream wins.
_OPTIMIZE_FILTERS = ("none", "sub", "up", "paeth", "minsum", "entropy")
_OPTIMIZE_STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED)
#: ``optimize`` deflates at level 9 only the filters whose stream at level
#: ``_SCREEN_LEVEL`` is within ``_SCREEN_MARGIN`` of the smallest of them at the same bit
#: depth. Level 9 was nearly all its time, and on noise (a dithered photo) its longest:
#: coffee dithered onto PICO-8's 16 colours took 7.2 s to save 19 bytes. On coffee, china
#: and astronaut at k = 16 and 64, dithered or not, and that PICO-8 coffee, dithered or
#: not, the files are the same bytes in 0.6-9.6 s instead of 3.5-14.6 s (PICO-8 dithered
#: 9.6 -> 4.4 s). A 1 % margin lost 821 bytes on astronaut at k = 64 dithered, whose
#: reordered palette "sub" codes 3 % larger than "none" at level 1 and 1 % smaller at 9;
#: across bit depths the ranking differs more (8 bits a pixel gains more from level 9),
#: so each depth keeps its own.
_SCREEN_LEVEL = 1
_SCREEN_MARGIN = 0.05
#: Of those, only the (filter, strategy) pairs whose stream at level ``_FINE_LEVEL`` is
#: within ``_FINE_MARGIN`` of the smallest pair at the same bit depth are deflated at level
#: 9; and the 8-bit trial of a palette of <= 16 entries is dropped when its smallest stream
#: at ``_FINE_LEVEL`` is more than ``_DEPTH_MARGIN`` larger than the native depth's. Level 6
#: ranks the level-9 streams far better than level 1 (a tenth of their time on noise), and
#: gives Z_FILTERED its own rank: of 12 level-9 deflates of astronaut at k = 64 dithered, 3
#: were left. On china, coffee and astronaut at k = 16, 64 and 256, undithered, at k = 64
#: (and china at 16) dithered, and coffee, astronaut and china onto PICO-8's 16 colours
#: dithered (coffee undithered too), the 17 files are the same bytes, and the level-9
#: deflates (timed one by one) took 13.7 s instead of 38.0 (coffee onto PICO-8 dithered,
#: its 8-bit trial dropped: 0.5 s instead of 3.9). The 8-bit trial won by 0.7-0.8 % on
#: coffee at k = 16 and onto PICO-8 undithered, 1.3 % and 2.0 % above the native depth at
#: level 6; the losers were 2.9-9.9 % above it, and level 9 narrowed the gap by 1.6 to
#: 3.4 points. Within a depth, a 0.5 %
#: margin lost 821 bytes on astronaut at k = 64 dithered, whose "sub" Z_FILTERED stream won
#: at 1.0 % above the best at level 6. A file is never larger than without ``optimize``:
#: the default encode stays among the candidates.
_FINE_LEVEL = 6
_FINE_MARGIN = 0.02
_DEPTH_MARGIN = 0.04
#: Streams from this many bytes are deflated in ``_PARTS`` parts, on as many threads as
#: there are (up to that); the number of parts does not depend on the threads, so that
#: a file comes out the same bytes in a batch worker (one thread), beside other files
#: or on one core as from a single-file call on two.
_PARALLEL_MIN_BYTES = 1 << 22
_PARTS = 2
#: Default streams of fewer bytes try their levels one after the other in the caller: each
#: deflate takes about 1 ms, less than starting the shared pool (2 ms, its imports too).
_POOL_MIN_BYTES = 1 << 15
#: Deflate's window: each part starts with the 32 KiB before it as its dictionary.
_WINDOW = 1 << 15


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check_inputs(indices: Any, palette: Any, alpha: Any
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate the three arrays of :func:`encode_indexed_png`; return them as uint8."""
    indices = _as_uint8(indices, "indices")
    palette = _as_uint8(palette, "palette")
    if indices.ndim != 2 or 0 in indices.shape:
        raise ValueError(f"indices should be a non-empty (H, W) array, got shape "
                         f"{indices.shape}")
    if max(indices.shape) > _MAX_SIDE:
        raise ValueError(f"indices should have at most {_MAX_SIDE} pixels a side, the PNG "
                         f"limit, got shape {indices.shape}")
    if palette.ndim != 2 or palette.shape[1] != 3 or not 1 <= palette.shape[0] <= MAX_PALETTE:
        raise ValueError(f"palette should have shape (k, 3) with 1 <= k <= {MAX_PALETTE}, "
                         f"got {palette.shape}")
    k = palette.shape[0]
    top = int(indices.max())
    if top >= k:
        raise ValueError(f"indices should be < the palette size k={k}, got a maximum of {top}")
    if alpha is not None:
        alpha = _as_uint8(alpha, "alpha")
        if alpha.shape != (k,):
            raise ValueError(f"alpha should have shape ({k},) to match the palette, got "
                             f"{alpha.shape}")
    return indices, palette, alpha


def _as_uint8(array: Any, name: str) -> np.ndarray:
    array = as_array(array, name, "a uint8 array")
    if array.dtype != np.uint8:
        raise TypeError(f"{name} should be a uint8 array, got dtype {array.dtype}")
    return array


# --------------------------------------------------------------------------
# Palette order
# --------------------------------------------------------------------------


def palette_order(palette: Any, alpha: Any = None, used: Any = None) -> np.ndarray:
    """An order of palette entries that suits PNG filters and a short tRNS chunk.

    Entries whose alpha is below 255 come first (most transparent first), then
    the opaque ones along a greedy nearest-neighbour path in RGB that starts at
    the darkest entry, so that colours that are close get close indices.
    Entries not in ``used`` are left out.

    Parameters
    ----------
    palette : (k, 3) ndarray of uint8
        The palette colours.
    alpha : (k,) ndarray of uint8, optional
        Opacity of each entry; None means all opaque.
    used : (k,) ndarray of bool, optional
        Which entries to keep; None keeps all.

    Returns
    -------
    order : (m,) ndarray of intp
        Old entry numbers in their new order: entry ``order[j]`` becomes ``j``.

    Raises
    ------
    ValueError
        If the shapes do not match a ``(k, 3)`` palette.
    TypeError
        If ``palette`` or ``alpha`` is not uint8, or ``used`` not bool.

    Examples
    --------
    >>> pal = np.array([[250, 250, 250], [0, 0, 0], [128, 128, 128]], dtype=np.uint8)
    >>> palette_order(pal).tolist()
    [1, 2, 0]
    """
    dummy = np.zeros((1, 1), dtype=np.uint8)
    _, palette, alpha = _check_inputs(dummy, palette, alpha)
    k = palette.shape[0]
    keep = np.ones(k, dtype=bool) if used is None else as_array(used, "used", "a bool array")
    if keep.dtype != bool:  # entry numbers would be read as truth values
        raise TypeError(f"used should be a bool array, one flag an entry, got dtype "
                        f"{keep.dtype}")
    if keep.shape != (k,):
        raise ValueError(f"used should have shape ({k},) to match the palette, got "
                         f"{keep.shape}")
    return _order(palette, alpha, keep)


def _order(palette: np.ndarray, alpha: np.ndarray | None, keep: np.ndarray) -> np.ndarray:
    """:func:`palette_order` after validation."""
    opacity = np.full(palette.shape[0], 255) if alpha is None else alpha.astype(np.int64)
    entries = np.flatnonzero(keep)
    translucent = entries[opacity[entries] < 255]
    translucent = translucent[np.lexsort((_luma(palette[translucent]),
                                          opacity[translucent]))]
    opaque = entries[opacity[entries] == 255]
    return np.concatenate([translucent, opaque[_nearest_path(palette[opaque])]]).astype(np.intp)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.int64) @ np.array([299, 587, 114])


def _nearest_path(colors: np.ndarray) -> np.ndarray:
    """Greedy nearest-neighbour tour of ``colors`` from the darkest; positions in order."""
    n = colors.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    c = colors.astype(np.int64)
    d2 = ((c[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    path = [int(np.argmin(_luma(colors)))]
    free = np.ones(n, dtype=bool)
    free[path[0]] = False
    for _ in range(n - 1):
        row = np.where(free, d2[path[-1]], np.iinfo(np.int64).max)
        nxt = int(np.argmin(row))
        free[nxt] = False
        path.append(nxt)
    return np.asarray(path, dtype=np.intp)


# --------------------------------------------------------------------------
# Rows: packing and filtering
# --------------------------------------------------------------------------


def png_bit_depth(k: int) -> int:
    """Bits a pixel of a PNG palette image of ``k`` entries (Pillow's too): the fewest of
    1, 2, 4 and 8 that hold them.

    >>> [png_bit_depth(k) for k in (2, 3, 16, 17, 256)]
    [1, 2, 4, 8, 8]
    """
    return next(depth for depth in (1, 2, 4, 8) if k <= 1 << depth)


def _pack_rows(indices: np.ndarray, depth: int) -> np.ndarray:
    """Pack ``(H, W)`` indices of ``depth`` bits into ``(H, ceil(W * depth / 8))`` bytes."""
    if depth == 8:
        return np.ascontiguousarray(indices)
    per_byte = 8 // depth
    h, w = indices.shape
    packed = np.zeros((h, -(-w // per_byte)), dtype=np.uint8)
    for j in range(per_byte):  # pixel j of each byte, from the high bits down
        pixels = indices[:, j::per_byte]
        packed[:, :pixels.shape[1]] |= pixels << np.uint8(8 - depth * (j + 1))
    return packed


def _predictions(rows: np.ndarray) -> dict[str, np.ndarray]:
    """What each PNG filter (1 byte per pixel step) subtracts from every byte, as int16."""
    x = rows.astype(np.int16)
    left = np.zeros_like(x)
    left[:, 1:] = x[:, :-1]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    upleft = np.zeros_like(x)
    upleft[1:, 1:] = x[:-1, :-1]
    p = left + up - upleft
    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    return {"none": np.zeros_like(x), "sub": left, "up": up,
            "average": (left + up) >> 1, "paeth": paeth}


_FILTER_TYPES = {"none": 0, "sub": 1, "up": 2, "average": 3, "paeth": 4}


def _filtered(rows: np.ndarray, method: str) -> bytes:
    """The filtered scanlines (type byte + data per row) for one filter or a per-row rule."""
    if method == "none":
        types = np.zeros(rows.shape[0], dtype=np.uint8)
        return np.hstack([types[:, None], rows]).tobytes()
    x = rows.astype(np.int16)
    residues = {name: ((x - pred) & 0xFF).astype(np.uint8)
                for name, pred in _predictions(rows).items()}
    if method in _FILTER_TYPES:
        types = np.full(rows.shape[0], _FILTER_TYPES[method], dtype=np.uint8)
        data = residues[method]
    else:
        names = list(_FILTER_TYPES)
        cost = np.stack([_ROW_COSTS[method](residues[n]) for n in names])
        best = np.argmin(cost, axis=0)
        types = best.astype(np.uint8)
        data = np.stack([residues[n] for n in names])[best, np.arange(rows.shape[0])]
    return np.hstack([types[:, None], data]).tobytes()


def _minsum_cost(residues: np.ndarray) -> np.ndarray:
    """libpng's heuristic: sum over the row of the residues read as signed bytes."""
    return np.abs(residues.view(np.int8).astype(np.int64)).sum(axis=1)


def _entropy_cost(residues: np.ndarray) -> np.ndarray:
    """Order-0 entropy of each row's residues, in bits (fewer distinct values cost less)."""
    h, w = residues.shape
    counts = np.zeros((h, 256), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(h), w), residues.ravel()), 1)
    p = counts / w
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = np.where(counts > 0, -counts * np.log2(p), 0.0)
    return bits.sum(axis=1)


_ROW_COSTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "minsum": _minsum_cost, "entropy": _entropy_cost}


# --------------------------------------------------------------------------
# Chunks
# --------------------------------------------------------------------------


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _deflate(data: bytes, level: int, strategy: int, library: Any = zlib, *,
             mem_level: int = _MEM_LEVEL) -> bytes:
    """A zlib stream of ``data``; from ``_PARALLEL_MIN_BYTES``, deflated in ``_PARTS`` parts
    on threads (one after the other when there is one thread).

    ``library`` is :mod:`zlib` or a module with its API (zlib-ng's); ``mem_level`` is
    zlib's memLevel (see ``_FLAT_MEM_LEVEL``).

    As pigz does: each part is a raw deflate stream primed with the 32 KiB
    before it (so matches reach across the seam), every part but the last ends
    with a sync flush (an empty stored block, no final-block bit), and the parts
    are joined under one zlib header and the Adler-32 of the whole data. The
    result decodes to ``data`` like a single stream and is a few bytes longer.
    """
    parts = _PARTS if len(data) >= _PARALLEL_MIN_BYTES else 1
    if parts == 1:
        compressor = library.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS, mem_level,
                                         strategy)
        return compressor.compress(data) + compressor.flush()
    slices = _threads.split(len(data), parts)
    tasks = [functools.partial(_deflate_part, data, rows, level, strategy, rows is slices[-1],
                               library, mem_level)
             for rows in slices]
    return (_zlib_header(level) + b"".join(_threads.run(tasks))
            + struct.pack(">I", zlib.adler32(data)))


def _deflate_part(data: bytes, part: slice, level: int, strategy: int, last: bool,
                  library: Any, mem_level: int = _MEM_LEVEL) -> bytes:
    """Raw deflate of ``data[part]``, primed with the window before it."""
    window = data[max(0, part.start - _WINDOW):part.start]
    options = {"zdict": window} if window else {}
    compressor = library.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, mem_level,
                                     strategy, **options)
    body = compressor.compress(memoryview(data)[part])
    return body + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _zlib_header(level: int) -> bytes:
    """The two bytes zlib writes before a deflate stream of ``level`` (RFC 1950).

    >>> [_zlib_header(level).hex() for level in (1, 6, 9)]
    ['7801', '789c', '78da']
    """
    flevel = 0 if level < 2 else 1 if level < 6 else 2 if level == 6 else 3
    cmf, flg = 0x78, flevel << 6
    return bytes([cmf, flg + (31 - (cmf << 8 | flg) % 31) % 31])


def _idat(rows: np.ndarray, optimize: bool, level: int, k: int) -> bytes:
    """The compressed image data of a palette of ``k`` entries: the default settings, or
    the smallest of several."""
    if not optimize:
        method, _, strategy = _DEFAULT
        data = _filtered(rows, method)
        tasks = [functools.partial(_deflate, data, each, strategy, _zlib_ng or zlib,
                                   mem_level=mem_level)
                 for each, mem_level in _default_tries(data, level, k)]
        streams = (_threads.run(tasks) if len(data) >= _POOL_MIN_BYTES
                   else [task() for task in tasks])
        return min(streams, key=len)
    return _smallest(rows, _ranked(rows), level, k)


def _optimized_idat(rows: dict[int, np.ndarray], level: int, k: int) -> tuple[int, bytes]:
    """The bit depth (a key of ``rows``, the native one first) and the compressed image
    data of its ``rows`` that ``optimize`` keeps: the smallest stream of each depth
    (:func:`_smallest`), of the depths whose best pair at :data:`_FINE_LEVEL` is within
    :data:`_DEPTH_MARGIN` of the native depth's; the first depth on a tie."""
    ranked = {depth: _ranked(packed) for depth, packed in rows.items()}
    best = {depth: min(size for _, _, size in pairs) for depth, pairs in ranked.items()}
    native = next(iter(rows))
    kept = [depth for depth in rows if best[depth] <= best[native] * (1 + _DEPTH_MARGIN)]
    return min(((depth, _smallest(rows[depth], ranked[depth], level, k)) for depth in kept),
               key=lambda candidate: len(candidate[1]))


def _ranked(rows: np.ndarray) -> list[tuple[bytes, int, int]]:
    """(filtered scanlines, zlib strategy, bytes at :data:`_FINE_LEVEL`) of each filter
    that :func:`_screened` keeps and each of ``_OPTIMIZE_STRATEGIES``, in that order."""
    filtered = _screened([_filtered(rows, method) for method in _OPTIMIZE_FILTERS])
    pairs = [(data, strategy) for data in filtered for strategy in _OPTIMIZE_STRATEGIES]
    sizes = _threads.run([functools.partial(_deflate, data, _FINE_LEVEL, strategy)
                          for data, strategy in pairs])
    return [(data, strategy, len(stream))
            for (data, strategy), stream in zip(pairs, sizes, strict=True)]


def _smallest(rows: np.ndarray, ranked: list[tuple[bytes, int, int]], level: int,
              k: int) -> bytes:
    """The smallest stream of ``rows``: the pairs of ``ranked`` (:func:`_ranked`) within
    :data:`_FINE_MARGIN` of its smallest, deflated at level 9 on two threads where there
    are, or the default encode; the first on a tie."""
    # zlib's level 9 is nearly all the time (a 12 MP photo at 16 colours: 24 streams of
    # 0.7 s), so only for the pairs a quicker deflate finds close to the best
    bound = min(size for _, _, size in ranked) * (1 + _FINE_MARGIN)
    candidates = _threads.run([functools.partial(_deflate, data, 9, strategy)
                               for data, strategy, size in ranked if size <= bound])
    # zlib-ng's default stream is sometimes smaller than any of zlib's at level 9
    return min([*candidates, _idat(rows, False, level, k)], key=len)


def _screened(filtered: list[bytes]) -> list[bytes]:
    """Of the ``filtered`` scanlines of one bit depth, those whose deflate at
    :data:`_SCREEN_LEVEL` is at most :data:`_SCREEN_MARGIN` larger than the smallest, in
    their order (the quick streams deflated on two threads where there are)."""
    sizes = [len(stream) for stream in _threads.run(
        [functools.partial(_deflate, data, _SCREEN_LEVEL, zlib.Z_DEFAULT_STRATEGY)
         for data in filtered])]
    bound = min(sizes) * (1 + _SCREEN_MARGIN)
    return [data for data, size in zip(filtered, sizes, strict=True) if size <= bound]


def _default_tries(data: bytes, level: int, k: int) -> list[tuple[int, int]]:
    """The (zlib level, memLevel) of each stream the default encode of the scanlines
    ``data`` of a palette of ``k`` entries deflates, the smallest kept: ``level`` alone;
    with level 9 too for many entries (see ``_ALSO_NINE_BELOW``); for flat rows level 9
    in long and in short blocks (``_FLAT_MEM_LEVEL``) instead.

    >>> flat = bytes(1000)
    >>> _default_tries(flat, 8, 16), _default_tries(flat, 6, 16)
    ([(9, 9), (9, 3)], [(6, 9)])
    >>> _default_tries(bytes(range(256)) * 4, 8, 16), _default_tries(bytes(range(256)), 8, 200)
    ([(8, 9)], [(8, 9), (9, 9)])
    """
    if level != DEFAULT_LEVEL or len(data) >= _ALSO_NINE_BELOW:
        return [(level, _MEM_LEVEL)]
    if _mostly_repeats(data):
        return [(9, _MEM_LEVEL), (9, _FLAT_MEM_LEVEL)]
    if k > _NINE_ABOVE_ENTRIES:
        return [(level, _MEM_LEVEL), (9, _MEM_LEVEL)]
    return [(level, _MEM_LEVEL)]


def _mostly_repeats(data: bytes) -> bool:
    """Whether at least ``_NINE_FROM_REPEATS`` of the bytes of ``data`` repeat the one before."""
    stream = np.frombuffer(data, dtype=np.uint8)
    return stream.size > 1 and np.count_nonzero(stream[1:] == stream[:-1]) >= (
        _NINE_FROM_REPEATS * (stream.size - 1))


def _png(indices: np.ndarray, palette: np.ndarray, alpha: np.ndarray | None,
         optimize: bool, level: int, dpi: tuple[float, float] | None = None) -> bytes:
    """Assemble the file; inputs valid and already in their final order, ``dpi`` one a
    pHYs chunk holds.

    With ``optimize`` a palette of <= 16 entries is also tried at 8 bits a pixel:
    one pixel a byte lets deflate match runs that start at odd pixels.
    """
    h, w = indices.shape
    native = png_bit_depth(palette.shape[0])
    k = palette.shape[0]
    if optimize and native < 8:
        depth, idat = _optimized_idat({d: _pack_rows(indices, d) for d in (native, 8)}, level,
                                      k)
    else:
        depth, idat = native, _idat(_pack_rows(indices, native), optimize, level, k)
    header = struct.pack(">IIBBBBB", w, h, depth, _COLOR_TYPE_PALETTE, 0, 0, 0)
    parts = [_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"PLTE", palette.tobytes())]
    held = None if alpha is None else trns(alpha)
    if held is not None:
        parts.append(_chunk(b"tRNS", held))
    if dpi is not None:  # where libpng writes it: after PLTE and tRNS, before the pixels
        parts.append(_chunk(b"pHYs", _phys(dpi)))
    parts.append(_chunk(b"IDAT", idat))
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)


def _phys(dpi: tuple[float, float]) -> bytes:
    """A pHYs chunk's data for ``dpi``: pixels per metre (:func:`~quantize.io.pixels_per_metre`).

    >>> struct.unpack(">IIB", _phys((300.0, 72.0)))
    (11811, 2835, 1)
    """
    return struct.pack(">IIB", *pixels_per_metre(dpi), _PER_METRE)


def trns(alpha: np.ndarray) -> bytes | None:
    """What a palette PNG's ``tRNS`` chunk holds for entries of opacity ``alpha`` (k,):
    their alpha up to the last entry that is not opaque, or None when every one is.

    >>> trns(np.array([255, 80, 255], np.uint8)), trns(np.array([255], np.uint8))
    (b'\\xffP', None)
    """
    alpha = _as_uint8(alpha, "alpha")
    if alpha.ndim != 1:
        raise ValueError(f"alpha should have shape (k,), got {alpha.shape}")
    translucent = np.flatnonzero(alpha < 255)
    return None if translucent.size == 0 else alpha[:translucent[-1] + 1].tobytes()


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------


def encode_indexed_png(indices: Any, palette: Any, alpha: Any = None, *,
                       optimize: bool = False, reorder: bool = True,
                       level: int = DEFAULT_LEVEL,
                       dpi: tuple[float, float] | None = None) -> bytes:
    """Encode a palette image as the bytes of a PNG file (colour type 3).

    Parameters
    ----------
    indices : (H, W) ndarray of uint8
        Palette entry of every pixel; every value must be < k.
    palette : (k, 3) ndarray of uint8
        RGB colour of each entry, 1 <= k <= 256.
    alpha : (k,) ndarray of uint8, optional
        Opacity of each entry (0 transparent, 255 opaque), written to ``tRNS``
        up to the last entry below 255. None: every entry opaque.
    optimize : bool, default False
        Try several row filters and zlib strategies and keep the smallest
        stream (several times slower, usually a few per cent smaller), the
        default encode's among them, and with ``reorder`` the default encode of
        the palette as given: never larger than with ``optimize=False`` and
        ``reorder=False`` or ``reorder``. A filter goes on to zlib's level 6
        only when its stream at level 1 is within 5 % of the smallest at its bit
        depth (``_SCREEN_MARGIN``), and on to the slow level 9 only when within
        2 % there (as docs/reduce.md gives it under ``--optimize``).
    reorder : bool, default True
        Reorder the palette (translucent entries first, then a nearest-colour
        path) and drop unused entries before encoding. Pixels decode to the same
        colours either way; False keeps ``indices`` and ``palette`` as given (of an
        image mapped onto a palette of one's own, ``reduce_colors(image,
        palette=...)``: with ``optimize``, only the filters and zlib settings vary).
    level : int, default 8
        zlib level 1..9 of the default encode; at the default, an image of under
        4 MiB of rows with more than 128 entries or mostly flat rows is deflated
        at level 9 too and the smaller stream kept (9 is up to 13 % smaller on
        screenshots, sometimes a little larger on photos); mostly flat rows also
        at level 9 in short deflate blocks (zlib's memLevel 3, up to 6 % smaller
        on charts and dashboards). 6 takes a fifth of 9's time on a 12 MP image
        for a file ~9 % larger. With ``optimize``, the
        level of the default stream it tries beside those of level 9.
    dpi : (float, float), optional
        Physical resolution (x, y) in dots per inch, written to a ``pHYs`` chunk as
        whole pixels per metre (1 to 2**31 - 1: 0.0254 to about 54.5 million dpi).
        None: no ``pHYs``, the pixels' size unknown.

    Returns
    -------
    bytes
        A complete PNG file.

    Raises
    ------
    TypeError
        If an array is not uint8, ``optimize`` or ``reorder`` is not a bool,
        ``level`` is not an integer, or ``dpi`` not a pair of numbers.
    ValueError
        If a shape is wrong, k is outside 1..256, an index is >= k,
        ``level`` is outside 1..9, or ``dpi`` is not two finite numbers a
        ``pHYs`` chunk holds.

    Examples
    --------
    >>> idx = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    >>> pal = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> data = encode_indexed_png(idx, pal)
    >>> data[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    indices, palette, alpha = _check_inputs(indices, palette, alpha)
    optimize = check_bool(optimize, "optimize")
    reorder = check_bool(reorder, "reorder")
    level = check_int(level, "level", minimum=1, maximum=9)
    dpi = None if dpi is None else _check_png_dpi(dpi)
    given = (indices, palette, alpha)
    if reorder:
        used = np.bincount(indices.ravel(), minlength=palette.shape[0]) > 0
        order = _order(palette, alpha, used)
        new_index = np.zeros(palette.shape[0], dtype=np.uint8)
        new_index[order] = np.arange(order.size, dtype=np.uint8)
        indices, palette = new_index[indices], palette[order]
        alpha = None if alpha is None else alpha[order]
    data = _png(indices, palette, alpha, optimize, int(level), dpi)
    if optimize and reorder:  # the order given may deflate smaller than the reordered one
        data = min(data, _png(*given, False, int(level), dpi), key=len)
    return data


def gray_bit_depth(levels: np.ndarray) -> int:
    """The fewest bits a pixel (1, 2, 4 or 8) of a greyscale PNG that holds the 8-bit
    ``levels`` exactly: a PNG of ``b`` bits scales its samples by 255 / (2**b - 1), so
    1 bit holds 0 and 255, 2 bits 0, 85, 170 and 255, 4 bits the multiples of 17.

    >>> [gray_bit_depth(np.array(v, np.uint8)) for v in ([0, 255], [0, 85, 255], [17], [16])]
    [1, 2, 4, 8]
    """
    return next((depth for depth in (1, 2, 4)
                 if not (levels % np.uint8(255 // ((1 << depth) - 1))).any()), 8)


def _iccp(icc: bytes) -> bytes:
    """An iCCP chunk's data: the profile's name, compression method 0 and its deflate."""
    return b"ICC Profile\0\0" + zlib.compress(icc, 9)


def _gray_idat(rows: np.ndarray, optimize: bool, level: int, levels: int) -> bytes:
    """The compressed rows of a grey image of ``levels`` levels: as those of an indexed
    image of as many entries (:func:`_idat`), and of more than ``_NINE_ABOVE_ENTRIES`` also
    filtered by libpng's per-row rule, the smaller kept. Levels, unlike indices, are smooth:
    on six grey photos at 256 levels that stream was 16-22 % smaller than unfiltered rows,
    at 128 levels 5-22 % (one 3 % larger), at 64 up to 25 % larger."""
    idat = _idat(rows, optimize, level, levels)
    if optimize or levels <= _NINE_ABOVE_ENTRIES:  # optimize tried the filters already
        return idat
    filtered = _deflate(_filtered(rows, "minsum"), level, zlib.Z_DEFAULT_STRATEGY,
                        _zlib_ng or zlib)
    return min(idat, filtered, key=len)


def encode_gray_png(gray: Any, *, optimize: bool = False, level: int = DEFAULT_LEVEL,
                    dpi: tuple[float, float] | None = None, icc: bytes | None = None) -> bytes:
    """Encode an opaque greyscale image as the bytes of a PNG file (colour type 0).

    Its bit depth is the fewest of 1, 2, 4 and 8 that hold its levels exactly
    (:func:`gray_bit_depth`); the rows are deflated as :func:`encode_indexed_png` deflates
    an indexed image's (its ``optimize`` and ``level``), of more than 128 levels also
    filtered (:func:`_gray_idat`), so that the file is what a greyscale reader (print
    tools, ImageMagick's Gray colour space) opens as grey.

    Parameters
    ----------
    gray : (H, W) ndarray of uint8
        The level of every pixel.
    optimize : bool, default False
        Try several row filters and zlib strategies and keep the smallest stream.
    level : int, default 8
        zlib level 1..9 of the default encode.
    dpi : (float, float), optional
        Physical resolution (x, y) in dots per inch, written to a ``pHYs`` chunk.
    icc : bytes, optional
        A grey ICC profile the levels are in, written to an ``iCCP`` chunk. None: none.

    Returns
    -------
    bytes
        A complete PNG file.

    Raises
    ------
    TypeError
        If ``gray`` is not uint8, ``optimize`` not a bool, ``level`` not an integer,
        ``icc`` not bytes or None.
    ValueError
        If ``gray`` is not 2-D or empty, ``level`` is outside 1..9, or ``dpi`` is not two
        finite numbers a ``pHYs`` chunk holds.

    Examples
    --------
    >>> data = encode_gray_png(np.array([[0, 85], [170, 255]], np.uint8))
    >>> data[24:26]  # IHDR's bit depth and colour type: 2 bits, grey
    b'\\x02\\x00'
    """
    gray = _as_uint8(gray, "gray")
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"gray should be a non-empty (H, W) array, got shape {gray.shape}")
    optimize = check_bool(optimize, "optimize")
    level = int(check_int(level, "level", minimum=1, maximum=9))
    dpi = None if dpi is None else _check_png_dpi(dpi)
    if icc is not None and not isinstance(icc, bytes):
        raise TypeError(f"icc should be bytes or None, got {type(icc).__name__}")
    levels = np.unique(gray)
    depth = gray_bit_depth(levels)
    samples = gray // np.uint8(255 // ((1 << depth) - 1))
    h, w = gray.shape
    header = struct.pack(">IIBBBBB", w, h, depth, _COLOR_TYPE_GRAY, 0, 0, 0)
    parts = [_SIGNATURE, _chunk(b"IHDR", header)]
    if icc:  # before the pixels (and a PLTE, which a grey PNG has none of)
        parts.append(_chunk(b"iCCP", _iccp(icc)))
    if dpi is not None:
        parts.append(_chunk(b"pHYs", _phys(dpi)))
    parts.append(_chunk(b"IDAT", _gray_idat(_pack_rows(samples, depth), optimize, level,
                                            levels.size)))
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)


def _check_png_dpi(dpi: Any) -> tuple[float, float]:
    """``dpi`` as :func:`~quantize._validation.check_dpi` gives it, refused when a pHYs
    chunk cannot hold it (:func:`~quantize.io.held_dpi`)."""
    checked = check_dpi(dpi, "dpi")
    if held_dpi(checked, "PNG") is None:
        raise ValueError(f"dpi={dpi!r} should be from 0.0254 to 54,546,084 dots per inch "
                         "(a pHYs chunk's 1 to 2**31 - 1 pixels per metre)")
    return checked


# --------------------------------------------------------------------------
# APNG of one frame
# --------------------------------------------------------------------------

# Largest numerator and denominator of an APNG frame's delay in seconds (16 bits).
_MAX_DELAY = 65535


def apng_delay(ms: float) -> tuple[int, int]:
    """``ms`` as the nearest delay an APNG frame holds: seconds as a fraction whose
    numerator and denominator fit in 16 bits.

    >>> apng_delay(100 / 3)  # 1/30 s exactly
    (1, 30)
    >>> apng_delay(70_001.5)  # over 65.535 s: less precision
    (46691, 667)
    """
    seconds = min(max(ms, 0.0) / 1000, _MAX_DELAY)
    delay = Fraction(seconds).limit_denominator(max(1, int(_MAX_DELAY // max(seconds, 1.0))))
    return delay.numerator, delay.denominator


def one_frame_apng(png: bytes, plays: int, duration: float) -> bytes:
    """The PNG file ``png`` as an APNG of one frame: its image shown ``duration`` ms, the
    animation played ``plays`` times (0: forever).

    An ``acTL`` and an ``fcTL`` chunk go before the first ``IDAT``, so the
    image is the animation's frame (no separate default image). Prior
    validation is assumed: ``png`` is a whole PNG file without animation chunks.
    """
    width, height = struct.unpack(">II", png[16:24])  # IHDR comes first
    at = _first_idat(png)
    num, den = apng_delay(duration)
    control = (_chunk(b"acTL", struct.pack(">II", 1, min(max(plays, 0), 2**31 - 1)))
               + _chunk(b"fcTL", struct.pack(">IIIIIHHBB", 0, width, height, 0, 0, num, den,
                                             0, 0)))
    return png[:at] + control + png[at:]


def png_with_exif(png: bytes, exif: bytes) -> bytes:
    """The PNG file ``png`` with the EXIF block ``exif`` (with or without its ``Exif\\0\\0``
    header) in an ``eXIf`` chunk before its first ``IDAT``, where browsers and Pillow read
    it. Prior validation is assumed: ``png`` is a whole PNG file without an ``eXIf`` chunk.

    >>> png = encode_indexed_png(np.zeros((1, 1), np.uint8), np.zeros((1, 3), np.uint8))
    >>> b"eXIfMM" in png_with_exif(png, b"Exif\\0\\0MM\\0*\\0\\0\\0\\x08\\0\\0")
    True
    """
    at = _first_idat(png)
    body = exif[6:] if exif.startswith(b"Exif\0\0") else exif
    return png[:at] + _chunk(b"eXIf", body) + png[at:]


def png_with_text(png: bytes, chunks: tuple[tuple[bytes, bytes], ...]) -> bytes:
    """The PNG file ``png`` with the text ``chunks`` (type and data of each, as
    :func:`~quantize.png.png_text` gives an input's) before its first ``IDAT``, in their
    order, each with its CRC; ``png`` itself, the same bytes, without any. Prior
    validation is assumed: ``png`` is a whole PNG file.

    >>> png = encode_indexed_png(np.zeros((1, 1), np.uint8), np.zeros((1, 3), np.uint8))
    >>> texted = png_with_text(png, ((b"tEXt", b"Author\\0A. Artist"),))
    >>> texted.index(b"tEXtAuthor") < texted.index(b"IDAT"), png_with_text(png, ()) is png
    (True, True)
    """
    if not chunks:
        return png
    at = _first_idat(png)
    return png[:at] + b"".join(_chunk(kind, data) for kind, data in chunks) + png[at:]


def _first_idat(png: bytes) -> int:
    """Where the first ``IDAT`` chunk of the whole PNG file ``png`` starts."""
    at = len(_SIGNATURE)
    while png[at + 4:at + 8] != b"IDAT":  # from chunk to chunk: PLTE may hold b"IDAT"
        at += 12 + struct.unpack(">I", png[at:at + 4])[0]
    return at


# --------------------------------------------------------------------------
# GIF
# --------------------------------------------------------------------------

#: Longest side of a GIF image: its 16-bit fields.
MAX_GIF_SIDE = 65535
#: Longest delay a GIF frame holds, in ms: 16 bits of centiseconds (655.35 s).
_MAX_GIF_DELAY_MS = 10 * 0xFFFF


def encode_indexed_gif(indices: Any, palette: Any, transparent: int | None = None, *,
                       loop: int | None = None, duration: float = 0) -> bytes:
    """Encode a palette image as the bytes of a still GIF file.

    The image is not interlaced (which only makes a slow download show early
    and costs bytes), its colour table is the smallest power of two (at least 2)
    that holds ``palette``, padded with black, and its LZW codes start at the
    fewest bits that hold the largest entry it uses (at least 2): 16 colours
    take 4-bit codes, not 8. The file is a GIF87a, or a GIF89a when it has an
    extension block: a loop extension (``loop``), a graphic control extension
    (a ``transparent`` entry or a ``duration``), no other.

    Parameters
    ----------
    indices : (H, W) ndarray of uint8
        Palette entry of every pixel (each side at most 65,535); every value must be < k.
    palette : (k, 3) ndarray of uint8
        RGB colour of each entry, 1 <= k <= 256, written in this order.
    transparent : int, optional
        The entry shown transparent, < k.
    loop : int, optional
        The loop extension's count, 0..65535 (0: forever; a GIF of one frame stays one
        as an animation's only frame); None writes none.
    duration : float, default 0
        The frame's delay in ms, written in whole centiseconds (at most 655,350).

    Returns
    -------
    bytes
        A complete GIF file.

    Raises
    ------
    TypeError
        If an array is not uint8, or ``transparent`` or ``loop`` not an integer.
    ValueError
        If a shape is wrong, k is outside 1..256, an index is >= k, or ``transparent``,
        ``loop`` or ``duration`` is out of its range.

    Examples
    --------
    >>> idx = np.array([[0, 1], [1, 2]], dtype=np.uint8)
    >>> pal = np.array([[255, 0, 0], [0, 0, 255], [0, 0, 0]], dtype=np.uint8)
    >>> data = encode_indexed_gif(idx, pal, transparent=2)
    >>> data[:6], len(data)
    (b'GIF89a', 50)
    """
    indices, palette, _ = _check_inputs(indices, palette, None)
    if max(indices.shape) > MAX_GIF_SIDE:
        raise ValueError(f"indices should have at most {MAX_GIF_SIDE} pixels a side, the GIF "
                         f"limit, got shape {indices.shape}")
    k = palette.shape[0]
    if transparent is not None:
        transparent = check_int(transparent, "transparent", minimum=0, maximum=k - 1)
    if loop is not None:
        loop = check_int(loop, "loop", minimum=0, maximum=0xFFFF)
    delay = _gif_delay(duration)
    table = gif_table_size(k)
    extended = loop is not None or transparent is not None or delay > 0
    h, w = indices.shape
    parts = [gif_screen((w, h), palette, table, 0, loop, b"89a" if extended else b"87a")]
    if transparent is not None or delay > 0:
        parts.append(gif_control(delay, 0, transparent))
    parts += [struct.pack("<cHHHHB", b",", 0, 0, w, h, 0),
              gif_image_data(indices, gif_code_size(indices)), b"\x00;"]
    return b"".join(parts)


def _gif_delay(duration: Any) -> int:
    """``duration`` (ms) as a GIF's delay, whole centiseconds (halves up), checked."""
    if isinstance(duration, bool) or not isinstance(duration, int | float | np.number):
        raise TypeError(f"duration={duration!r} should be a number of ms, got "
                        f"{type(duration).__name__}")
    if not 0 <= duration <= _MAX_GIF_DELAY_MS:
        raise ValueError(f"duration={duration!r} should be from 0 to {_MAX_GIF_DELAY_MS:,} ms, "
                         "the longest delay a GIF frame holds")
    return int(float(duration) / 10 + 0.5)


def gif_code_size(indices: np.ndarray) -> int:
    """The fewest bits (at least 2, as GIF has it) that hold every entry of ``indices``:
    where their LZW codes start.

    >>> gif_code_size(np.array([[0, 3]], np.uint8)), gif_code_size(np.array([[0, 4]], np.uint8))
    (2, 3)
    """
    return max(2, int(indices.max()).bit_length())


def gif_image_data(image: np.ndarray, bits: int) -> bytes:
    """The LZW code size byte and data sub-blocks of ``(H, W)`` contiguous uint8 entries,
    codes of ``bits`` bits at first (Pillow's encoder; prior validation assumed)."""
    return bytes([bits]) + Image.fromarray(image, mode="L").tobytes("gif", "L", bits)


def gif_table_size(n: int) -> int:
    """Colour table entries for ``n`` colours: a power of two, at least 2.

    >>> gif_table_size(1), gif_table_size(16), gif_table_size(17)
    (2, 16, 32)
    """
    return max(2, 1 << max(0, n - 1).bit_length())


def gif_color_table(palette: np.ndarray, table: int) -> bytes:
    """The first ``table`` entries of ``palette``, padded with black."""
    padded = np.zeros((table, 3), dtype=np.uint8)
    n = min(table, palette.shape[0])
    padded[:n] = palette[:n]
    return padded.tobytes()


def gif_control(delay: int, disposal: int, transparent: int | None) -> bytes:
    """Graphic control extension: disposal, delay (centiseconds), transparent entry."""
    packed = (disposal << 2) | (transparent is not None)
    return b"!\xf9\x04" + struct.pack("<BHB", packed, delay, transparent or 0) + b"\x00"


def gif_screen(size: tuple[int, int], palette: np.ndarray, table: int, background: int,
               loop: int | None, version: bytes = b"89a") -> bytes:
    """A GIF's header, logical screen of ``size`` (width, height) with ``palette`` as its
    global colour table of ``table`` entries, and a loop extension when ``loop`` is given
    (0: forever)."""
    w, h = size
    head = b"GIF" + version + struct.pack("<HHBBB", w, h, 0xF0 | (table.bit_length() - 2),
                                          background, 0)
    looped = b"" if loop is None else (b"!\xff\x0bNETSCAPE2.0\x03\x01"
                                       + struct.pack("<H", loop) + b"\x00")
    return head + gif_color_table(palette, table) + looped


# --------------------------------------------------------------------------
# TIFF
# --------------------------------------------------------------------------

# TIFF outputs are deflated, losslessly (see tiff_options).
_TIFF_COMPRESSION = "tiff_adobe_deflate"


def tiff_options() -> dict[str, Any]:
    """Pillow's TIFF ``save`` options, for a still and for each page of an animation's
    (:mod:`quantize.animation.sinks`): lossless Adobe Deflate (TIFF compression 8, which
    libtiff, Photoshop, GIMP and ImageMagick read), when Pillow has libtiff, as its wheels
    do; without it Pillow writes TIFF uncompressed only, and so it is.

    A reduced image has few colours and deflates well: the 12 MP benchmark photo at
    k = 16 / 256 / 1000 took 1.4 / 5.3 / 10.1 MB instead of 36 MB, written in 0.3 / 0.7 /
    2.3 s (LZW: 2.5 / 10.9 / 19.2 MB in 0.2 / 0.3 / 1.0 s; horizontal differencing made
    either larger).
    """
    from PIL import features

    return {"compression": _TIFF_COMPRESSION} if features.check("libtiff") else {}


# A page of black and white only: bilevel, CCITT Group 4 (see tiff_page).
_TIFF_BILEVEL_COMPRESSION = "group4"
_BLACK_AND_WHITE = {(0, 0, 0), (255, 255, 255)}
# The tags of a palette page as tiff_page writes it: BitsPerSample, PhotometricInterpretation
# (3: palette) and ColorMap (2 ** bits entries, 16 bits a sample).
_TIFF_BITS_PER_SAMPLE, _TIFF_PHOTOMETRIC, _TIFF_COLOR_MAP = 258, 262, 320
_TIFF_PALETTE = 3


def tiff_page(image: Image.Image, gray: bool = False) -> tuple[Image.Image, dict[str, Any]]:
    """The opaque palette image ``image`` as a TIFF page is written (a still's, or a page
    of an animation's), and Pillow's ``save`` options for it, its resolution and EXIF
    aside. Prior validation is assumed. By its palette:

    - black and white, two entries (0, 0, 0) and (255, 255, 255) in either order: a
      bilevel page (1 bit a pixel, white 1) coded CCITT Group 4, lossless, the archival
      format of scanned text, when Pillow has libtiff (else uncompressed);
    - any other of one or two entries (two grey levels of a scan, ink and paper): 1 bit
      a pixel, the index, with a colour map of the two (photometric palette), deflated
      as :func:`tiff_options` says;
    - every entry grey, of a ``gray`` input (a grey file): a grey page (min-is-black, 8
      bits a pixel), deflated, as a grey input's still is;
    - else a palette page of 8 bits a pixel, deflated.

    A palette page's colour map holds each level times 257 (255: 65535), as the TIFF
    specification scales it: Pillow's own (times 256, for a mode "P" image) was read by
    ImageMagick (libtiff's scaling) one level darker, 236 as 235; it reads it back either way.

    On an A4 text page scanned at 300 dpi (2480 x 3508) mapped onto black and white,
    56,930 bytes where the palette TIFF, deflated, took 138,676 (the 1-bit PNG: 90,581).
    Pillow's writer takes its bits a sample from the image's mode (1 for "1", 8 for "L"
    and "P"), so a palette page is given as its indices, mode "1" (two colours) or "L",
    with the colour map in its tags, and a palette or grey page of 3 to 16 entries stays at
    8 bits.

    >>> page = Image.fromarray(np.array([[0, 1, 1]], np.uint8), mode="P")
    >>> page.putpalette([255, 255, 255, 0, 0, 0])
    >>> bilevel, options = tiff_page(page)
    >>> bilevel.mode, np.asarray(bilevel).tolist(), options
    ('1', [[True, False, False]], {'compression': 'group4'})
    >>> page.putpalette([236, 236, 236, 30, 30, 30])
    >>> bits, options = tiff_page(page)
    >>> bits.mode, options["tiffinfo"][320][:2], options["compression"]
    ('1', (60652, 7710), 'tiff_adobe_deflate')
    """
    from PIL import features

    entries = np.asarray(image.getpalette() or [], np.uint8).reshape(-1, 3)
    if image.mode != "P":
        return image, tiff_options()
    if entries.shape[0] == 2 and {tuple(entry) for entry in entries.tolist()} == _BLACK_AND_WHITE:
        white = entries[:, 0] == 255
        bilevel = Image.fromarray(white[np.asarray(image)])
        return bilevel, ({"compression": _TIFF_BILEVEL_COMPRESSION}
                         if features.check("libtiff") else {})
    if gray and entries.shape[0] > 2 and (entries == entries[:, :1]).all():
        return Image.fromarray(entries[:, 0].take(np.asarray(image))), tiff_options()
    return _palette_page(image, entries, 1 if entries.shape[0] <= 2 else 8)


def _palette_page(image: Image.Image, entries: np.ndarray, bits: int
                  ) -> tuple[Image.Image, dict[str, Any]]:
    """The palette image ``image`` of the ``(n, 3)`` ``entries`` (n <= 2 ** ``bits``) as a
    palette page of ``bits`` (1 or 8) bits a pixel (:func:`tiff_page`): its indices, mode
    "1" (set where the index is 1) or "L", and the tags that make them indices into a
    colour map of the entries, black after them, each sample scaled to 16 bits (255:
    65535)."""
    from PIL import TiffImagePlugin

    table = np.zeros((1 << bits, 3), np.int64)
    table[:entries.shape[0]] = entries
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[_TIFF_BITS_PER_SAMPLE] = bits  # Pillow's writer without libtiff leaves 1 out
    tags[_TIFF_PHOTOMETRIC] = _TIFF_PALETTE
    tags[_TIFF_COLOR_MAP] = tuple((table.T * 257).ravel().tolist())  # all reds, greens, blues
    indices = np.asarray(image)
    page = Image.fromarray(indices == 1) if bits == 1 else Image.fromarray(indices, "L")
    return page, {**tiff_options(), "tiffinfo": tags}


def tiff_with_exif(fp: BinaryIO, exif: bytes) -> None:
    """Give the first page of the TIFF file ``fp`` (whole, read and written, seekable) the
    tags of the EXIF block ``exif`` that describe the picture
    (:data:`~quantize.io.EXIF_PICTURE_TAGS`: artist, copyright, description, camera, date,
    and the Exif and GPS directories linked from them) or place it on the ground
    (:data:`~quantize.io.GEOTIFF_TAGS`, of :attr:`~quantize.io.LoadedImage.geo_tags`,
    written again as stored) that it has not among its own; not those that would lay
    out its pixels, as a JPEG's YCbCrPositioning.

    Pillow's writer with libtiff, which deflates, cannot write those directories ("Error
    setting from dictionary"), so the tags are added once the file is written: the
    page's directory is written again at the end of the file with them, their values
    and directories before it, and the header points at it; the old directory stays,
    unlinked, its values the new one's, as its link to the next page. Prior validation
    is assumed: ``fp`` is a classic TIFF (not BigTIFF), ``exif`` a block Pillow reads.

    >>> import io
    >>> fp = io.BytesIO(); Image.new("RGB", (2, 1)).save(fp, format="TIFF")
    >>> exif = Image.Exif(); exif[315] = "A. Artist"; exif[256] = 99  # 256: ImageWidth
    >>> tiff_with_exif(fp, exif.tobytes())
    >>> with Image.open(fp) as im:
    ...     im.tag_v2[315], im.size
    ('A. Artist', (2, 1))
    """
    fp.seek(0)
    head = fp.read(8)
    order = "<" if head[:2] == b"II" else ">"
    fp.seek(struct.unpack(order + "L", head[4:])[0])
    (n,) = struct.unpack(order + "H", fp.read(2))
    own = fp.read(12 * n)
    after = fp.read(4)  # the offset of the next page's directory
    entries = {struct.unpack(order + "H", own[at:at + 2])[0]: own[at:at + 12]
               for at in range(0, 12 * n, 12)}
    tags = Image.Exif()
    tags.load(exif)
    for tag in [tag for tag in tags if tag in entries
                or tag not in EXIF_PICTURE_TAGS | GEOTIFF_TAGS]:
        del tags[tag]
    if not len(tags):
        return
    end = fp.seek(0, 2)
    if end % 2:  # TIFF offsets are even
        fp.write(b"\0")
        end += 1
    tags.endian = order  # written in the file's byte order
    added = tags.tobytes(end)[len(b"Exif\0\0") + 8:]  # its directory at ``end``, values after
    (m,) = struct.unpack(order + "H", added[:2])
    entries.update((struct.unpack(order + "H", added[at:at + 2])[0], added[at:at + 12])
                   for at in range(2, 2 + 12 * m, 12))
    fp.write(added + b"\0" * (len(added) % 2))
    start = fp.tell()
    fp.write(struct.pack(order + "H", len(entries))
             + b"".join(entries[tag] for tag in sorted(entries)) + after)
    fp.seek(4)
    fp.write(struct.pack(order + "L", start))
    fp.seek(0, 2)
