"""Where a GIF's bytes go: a block-by-block breakdown of one or two GIFs, side by side.

Run on demand: ``python benchmarks/gif_blocks.py A.gif [B.gif]``. For each
file the header (logical screen, global colour table size), the extensions
outside frames (NETSCAPE loop, comments, others) and, per frame, the graphic
control extension (disposal, delay, transparent entry), the image descriptor
rectangle, the local colour table size, the LZW minimum code size, the LZW
data bytes and what the data holds (codes, clear codes, pixels). With two
files the frames are printed side by side with the byte difference.
"""

from __future__ import annotations

import argparse
import struct
from dataclasses import dataclass, field
from pathlib import Path

DISPOSALS = {0: "none", 1: "keep", 2: "bg", 3: "prev"}


@dataclass
class FrameBlocks:
    """One frame's blocks: what it says and the bytes each part takes."""

    rect: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, width, height
    disposal: int | None = None
    delay: int | None = None
    transparent: int | None = None
    local_table: int = 0        # entries of the local colour table (0: none)
    min_code_size: int = 0
    data_bytes: int = 0         # LZW bytes, without sub-block length bytes
    block_bytes: int = 0        # everything the frame takes in the file
    codes: int = 0
    clears: int = 0
    interlaced: bool = False


@dataclass
class GifBlocks:
    """A GIF's header and frames, and the bytes of each part."""

    size: int = 0
    screen: tuple[int, int] = (0, 0)
    global_table: int = 0
    background: int = 0
    header_bytes: int = 0       # signature, screen descriptor, global table
    extension_bytes: dict[str, int] = field(default_factory=dict)
    frames: list[FrameBlocks] = field(default_factory=list)


def _sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    """The payload of the data sub-blocks starting at ``pos`` and the position after them."""
    out = bytearray()
    while True:
        n = data[pos]
        pos += 1
        if n == 0:
            return bytes(out), pos
        out += data[pos:pos + n]
        pos += n


def lzw_counts(payload: bytes, min_code_size: int) -> tuple[int, int]:
    """Codes and clear codes in an LZW stream (the decoder's code width bookkeeping)."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    width, next_code, prev = min_code_size + 1, end + 1, None
    bits = int.from_bytes(payload, "little")
    total, at, codes, clears = len(payload) * 8, 0, 0, 0
    while at + width <= total:
        code = (bits >> at) & ((1 << width) - 1)
        at += width
        codes += 1
        if code == clear:
            clears += 1
            width, next_code, prev = min_code_size + 1, end + 1, None
            continue
        if code == end:
            break
        if prev is not None and next_code < 4096:
            next_code += 1
            if next_code == 1 << width and width < 12:
                width += 1
        prev = code
    return codes, clears


def parse(path: Path) -> GifBlocks:
    """Read a GIF's blocks (no pixel decoding beyond counting LZW codes)."""
    data = path.read_bytes()
    g = GifBlocks(size=len(data))
    w, h, flags, g.background = struct.unpack("<HHBB", data[6:12])
    g.screen = (w, h)
    pos = 13
    if flags & 0x80:
        g.global_table = 2 << (flags & 7)
        pos += 3 * g.global_table
    g.header_bytes = pos
    control: tuple[int, int, int | None] | None = None
    while pos < len(data):
        intro = data[pos]
        if intro == 0x3B:  # trailer
            g.extension_bytes["trailer"] = 1
            break
        if intro == 0x21:
            start, label = pos, data[pos + 1]
            payload, pos = _sub_blocks(data, pos + 2)
            if label == 0xF9:
                packed, delay, tr = struct.unpack("<BHB", payload[:4])
                control = ((packed >> 2) & 7, delay, tr if packed & 1 else None)
                g.extension_bytes["GCE"] = g.extension_bytes.get("GCE", 0) + pos - start
            else:
                name = {0xFE: "comment", 0x01: "plain text"}.get(label)
                if label == 0xFF:
                    name = "app " + payload[:11].decode("latin-1")
                key = name or f"ext 0x{label:02x}"
                g.extension_bytes[key] = g.extension_bytes.get(key, 0) + pos - start
            continue
        if intro != 0x2C:
            raise ValueError(f"{path}: unexpected byte 0x{intro:02x} at {pos}")
        start = pos
        f = FrameBlocks()
        left, top, fw, fh, packed = struct.unpack("<HHHHB", data[pos + 1:pos + 10])
        f.rect, f.interlaced = (left, top, fw, fh), bool(packed & 0x40)
        pos += 10
        if packed & 0x80:
            f.local_table = 2 << (packed & 7)
            pos += 3 * f.local_table
        f.min_code_size = data[pos]
        payload, pos = _sub_blocks(data, pos + 1)
        f.data_bytes = len(payload)
        f.codes, f.clears = lzw_counts(payload, f.min_code_size)
        f.block_bytes = pos - start
        if control is not None:
            f.disposal, f.delay, f.transparent = control
            f.block_bytes += 8
            control = None
        g.frames.append(f)
    return g


def _frame_text(f: FrameBlocks | None) -> str:
    if f is None:
        return " " * 52
    left, top, w, h = f.rect
    tr = "-" if f.transparent is None else str(f.transparent)
    table = f"L{f.local_table}" if f.local_table else "G"
    return (f"{w:3d}x{h:<3d}@{left:3d},{top:<3d} {DISPOSALS.get(f.disposal or 0, '?'):>4} "
            f"t{tr:>3} {table:>4} m{f.min_code_size} {f.data_bytes:5d}/{f.codes:4d}c"
            f"{f.clears:2d}C {f.block_bytes:5d}")


def report(paths: list[Path]) -> list[str]:
    """Lines of the side-by-side breakdown."""
    gifs = [parse(p) for p in paths]
    lines = []
    for p, g in zip(paths, gifs, strict=True):
        lines.append(f"{p.name}: {g.size:,} bytes, screen {g.screen[0]}x{g.screen[1]}, global "
                     f"table {g.global_table}, background {g.background}, header "
                     f"{g.header_bytes} B, extensions {g.extension_bytes}")
        data = sum(f.data_bytes for f in g.frames)
        tables = sum(3 * f.local_table for f in g.frames)
        lines.append(f"  {len(g.frames)} frames: LZW data {data:,} B, local tables "
                     f"{tables:,} B, frame overhead "
                     f"{sum(f.block_bytes for f in g.frames) - data - tables:,} B")
    lines.append("  #  " + "   |   ".join(
        "rect      @left,top disp  tr  tbl  min data/codes+clears block" for _ in gifs)
        + ("   diff" if len(gifs) == 2 else ""))
    for i in range(max(len(g.frames) for g in gifs)):
        row = [g.frames[i] if i < len(g.frames) else None for g in gifs]
        text = "   |   ".join(_frame_text(f) for f in row)
        if len(row) == 2 and None not in row:
            text += f"  {row[0].block_bytes - row[1].block_bytes:+5d}"
        lines.append(f"{i:3d}  {text}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gifs", type=Path, nargs="+", help="one or two GIF files")
    args = parser.parse_args()
    for line in report(args.gifs[:2]):
        print(line)


if __name__ == "__main__":
    main()
