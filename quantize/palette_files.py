"""Palette files: read and write GIMP ``.gpl``, ``.json`` and ``.hex`` palettes.

File I/O, like :mod:`quantize.io`: ``read_palette`` checks every line or
entry and names the file and line in its error; ``write_palette`` writes
atomically (a crash leaves no partial file).

- ``.gpl``: GIMP palette, ``R G B name`` per line (no alpha: GIMP palettes
  have none; a translucent entry's alpha is noted in its name only);
- ``.json``: ``{"name", "colors": [{"hex", "rgb", "alpha", "share"}, ...]}``
  (``alpha`` 0..255 when the palette has alpha);
- ``.hex``: one ``rrggbb`` per line, or ``rrggbbaa`` when the palette has alpha.

A palette is ``(k, 3)`` uint8, or ``(k, 4)`` with straight alpha as the fourth
column; :func:`read_palette` returns ``(k, 4)`` only when the file holds alpha.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import check_palette, check_path
from .errors import ImageReadError
from .io import atomic_write, printable, printable_line, quoted

__all__ = ["PALETTE_FORMATS", "check_palette_path", "read_palette", "write_palette"]

#: Palette file extensions and what they hold.
PALETTE_FORMATS = {
    ".gpl": "GIMP palette",
    ".json": "JSON list of {hex, rgb, alpha, share}",
    ".hex": "one rrggbb (or rrggbbaa) hex colour per line",
}
_HEX_LINE = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")

def _palette_format(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in PALETTE_FORMATS:
        valid = ", ".join(PALETTE_FORMATS)
        raise ValueError(f"{role}={quoted(path)} has an unknown palette extension "
                         f"{quoted(suffix or '(none)')}; expected one of {valid}")
    return suffix


def check_palette_path(path: str | os.PathLike[str], role: str = "palette") -> Path:
    """Return ``path`` as a Path if its extension is a palette format, else raise ValueError.

    A folder is returned as it is: reading or writing it refuses it as a folder
    (``is a directory, expected a palette file``), which says more than that
    its name has no palette extension.
    """
    p = check_path(path, role)
    if not os.path.isdir(p):  # raises nothing: a name too long is no folder either
        _palette_format(p, role)
    return p


def write_palette(path: str | os.PathLike[str], palette: np.ndarray,
                  shares: np.ndarray | None = None, *, name: str = "quantize") -> None:
    """Write a ``(k, 3)`` or ``(k, 4)`` uint8 ``palette`` to ``path`` (.gpl, .json or .hex).

    Written atomically: an existing file of that name is replaced whole (there
    is no ``force`` here, while ``reduce_file`` refuses an existing
    ``palette_out`` without ``force``). A fourth column is alpha; it is
    written (.json ``alpha``, .hex ``rrggbbaa``) when some entry is not
    opaque. ``shares``
    (k,), the fraction of pixels of each entry, goes into the .json file (and
    into the .gpl entry names); it defaults to unknown (null). A .gpl file's
    name is one line: line breaks in ``name`` become spaces, other control
    characters (ESC, a tab) are written escaped (``\\x1b``, ``\\t``), as the
    command's lines show them; bytes of a file name that are not UTF-8 are
    written ``\\xXX``, as every output shows them.

    Raises
    ------
    ValueError, TypeError
        For an unknown extension, a palette that is not ``(k, 3)`` or
        ``(k, 4)`` integers 0..255 with k >= 1 (which :func:`read_palette`
        could not read back), or ``shares`` that are not k numbers in [0, 1].
    OutputError
        If the file cannot be written (a missing folder, a directory of that name).
    """
    p = check_path(path, "path")
    fmt = _palette_format(p, "path")
    pal = check_palette(palette)
    if pal.shape[1] == 4 and (pal[:, 3] == 255).all():
        pal = pal[:, :3]
    share = _check_shares(shares, len(pal))
    name = printable(" ".join(str(name).splitlines()))  # a file name's stem, maybe not UTF-8
    if fmt == ".gpl":  # plain text, shown by cat or an editor: ESC would reach the terminal
        name = printable_line(name)
    text = {".gpl": _gpl_text, ".json": _json_text, ".hex": _hex_text}[fmt](pal, share, name)
    atomic_write(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _check_shares(shares: Any, k: int) -> list[float | None]:
    """``shares`` as k floats in [0, 1] (None: k unknowns), or raise naming them.

    A NaN would be written into the .json file as ``NaN``, which is not JSON.
    """
    if shares is None:
        return [None] * k
    arr = np.ravel(shares)
    if (arr.dtype == bool or not np.issubdtype(arr.dtype, np.number)
            or np.issubdtype(arr.dtype, np.complexfloating)):
        raise TypeError(f"shares should be numbers, the fraction of the pixels of each entry; "
                        f"got dtype {arr.dtype}")
    if arr.size != k:
        raise ValueError(f"shares should hold one value per palette entry ({k}), "
                         f"got {arr.size}")
    arr = arr.astype(np.float64)
    bad = ~((arr >= 0) & (arr <= 1))  # NaN is neither
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"shares[{i}]={arr[i]} should be a fraction in [0, 1]")
    return arr.tolist()


def _hex(c: np.ndarray) -> str:
    return "".join(f"{int(v):02x}" for v in c)


def _gpl_text(pal: np.ndarray, share: list, name: str) -> str:
    lines = ["GIMP Palette", f"Name: {name}", "Columns: 8", "#"]
    for c, s in zip(pal, share, strict=True):
        label = f"#{_hex(c[:3])}" + ("" if s is None else f" {100 * s:.2f}%")
        if len(c) == 4 and c[3] < 255:
            label += f" alpha {int(c[3])}"
        lines.append(f"{int(c[0]):3d} {int(c[1]):3d} {int(c[2]):3d}\t{label}")
    return "\n".join(lines) + "\n"


def _json_text(pal: np.ndarray, share: list, name: str) -> str:
    entries = []
    for c, s in zip(pal, share, strict=True):
        entry: dict = {"hex": f"#{_hex(c[:3])}", "rgb": [int(v) for v in c[:3]]}
        if len(c) == 4:
            entry["alpha"] = int(c[3])
        entry["share"] = None if s is None else round(s, 6)
        entries.append(entry)
    return json.dumps({"name": name, "colors": entries}, indent=1) + "\n"


def _hex_text(pal: np.ndarray, share: list, name: str) -> str:
    return "".join(f"{_hex(c)}\n" for c in pal)


#: The most bytes read from a palette file: 700,000 colours as the JSON this module
#: writes (9 MB per 100,000), and no more of a device (``/dev/zero``) or of a file that
#: is not a palette.
_MAX_BYTES = 64 << 20


def read_palette(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a palette file (.gpl, .json or .hex) into a uint8 array, in file order.

    ``(k, 3)``, or ``(k, 4)`` with straight alpha when some entry in the file
    carries alpha (entries without it are opaque).

    Raises
    ------
    ValueError
        If the extension is not a palette format.
    ImageReadError
        If the file is missing or unreadable, holds no colours, or a line or
        entry is malformed (the message names the file and the line or entry).
    """
    p = check_path(path, "path")
    if os.path.isdir(p):  # whatever its name ends in
        raise ImageReadError("is a directory, expected a palette file", path=p)
    fmt = _palette_format(p, "path")
    try:
        with open(p, "rb") as f:  # a device or a runaway file is not read to its end
            data = f.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ImageReadError("no such palette file", path=p) from None
    except IsADirectoryError:
        raise ImageReadError("is a directory, expected a palette file", path=p) from None
    except OSError as exc:
        raise ImageReadError(f"cannot read palette file ({exc.strerror or exc})",
                             path=p) from None
    if len(data) > _MAX_BYTES:
        raise ImageReadError(f"larger than {_MAX_BYTES >> 20} MiB; expected a palette file "
                             "(100,000 colours take 0.7 MB as .hex, 9 MB as .json)", path=p)
    try:
        text = data.decode("utf-8-sig")  # a BOM, as Windows editors write, is skipped
    except UnicodeDecodeError as exc:  # exc.object: the bytes after any BOM
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ImageReadError(f"line {line}: byte 0x{exc.object[exc.start]:02x} is not UTF-8 "
                             "text; expected a palette file saved as UTF-8", path=p) from None
    if not text.strip():
        raise ImageReadError(f"palette file is empty; expected a {fmt} palette: "
                             f"{PALETTE_FORMATS[fmt]}", path=p)
    colors = {".gpl": _parse_gpl, ".json": _parse_json, ".hex": _parse_hex}[fmt](text, p)
    if not colors:
        raise ImageReadError("palette file holds no colours", path=p)
    if all(len(c) == 3 for c in colors):
        return np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
    return np.asarray([c + [255] * (4 - len(c)) for c in colors], dtype=np.uint8)


def _parse_gpl(text: str, p: Path) -> list[list[int]]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "GIMP Palette":
        raise ImageReadError("not a GIMP palette (first line should be 'GIMP Palette')", path=p)
    colors = []
    for number, line in enumerate(lines[1:], start=2):
        body = line.strip()
        if not body or body.startswith("#") or re.match(r"^(Name|Columns)\s*:", body):
            continue
        fields = body.split()
        try:
            rgb = [int(v) for v in fields[:3]]
        except ValueError:
            rgb = []
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise ImageReadError(f"line {number}: expected 'R G B [name]' with values "
                                 f"0..255, got {body!r}", path=p)
        colors.append(rgb)
    return colors


def _parse_json(text: str, p: Path) -> list[list[int]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImageReadError(f"invalid JSON ({exc})", path=p) from None
    except RecursionError:  # lists nested thousands deep
        raise ImageReadError("JSON nested too deeply; expected a list of colours or an "
                             "object with 'colors'", path=p) from None
    except ValueError:  # Python reads no integer of more than 4300 digits
        raise ImageReadError("JSON holds a number too long to read; expected colour "
                             "values 0..255", path=p) from None
    entries = doc.get("colors") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise ImageReadError("expected a list of colours or an object with 'colors'", path=p)
    return [_json_entry(e, i, p) for i, e in enumerate(entries)]


def _json_entry(entry: object, i: int, p: Path) -> list[int]:
    value = entry.get("hex", entry.get("rgb")) if isinstance(entry, dict) else entry
    color = None
    if isinstance(value, str) and _HEX_LINE.match(value.strip()):
        color = list(bytes.fromhex(_HEX_LINE.match(value.strip()).group(1)))
    elif (isinstance(value, list) and len(value) in (3, 4)
            and all(_is_level(v) for v in value)):
        color = list(value)
    alpha = entry.get("alpha") if isinstance(entry, dict) else None
    if color is None or (alpha is not None and not _is_level(alpha)):
        raise ImageReadError(f"colour {i}: expected '#rrggbb' or [r, g, b] (and an optional "
                             f"alpha) with values 0..255, got {entry!r}", path=p)
    return color[:3] + [alpha] if alpha is not None else color


def _is_level(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255


def _parse_hex(text: str, p: Path) -> list[list[int]]:
    colors = []
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.strip()
        if not body or body.startswith(";"):
            continue
        match = _HEX_LINE.match(body)
        if match is None:
            raise ImageReadError(f"line {number}: expected a hex colour 'rrggbb' or "
                                 f"'rrggbbaa', got {body!r}", path=p)
        colors.append(list(bytes.fromhex(match.group(1))))
    return colors
