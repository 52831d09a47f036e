"""Helpers for the animation tests: small animations, and what a viewer sees of one."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageSequence

RED, GREEN, BLUE, WHITE = (220, 30, 30), (30, 170, 40), (20, 40, 210), (245, 245, 240)
CYAN, MAGENTA, YELLOW, BLACK = (0, 200, 210), (200, 0, 190), (240, 220, 0), (10, 10, 10)


def moving_square(n: int = 3, size: int = 16, colors=(RED, GREEN, BLUE, WHITE)) -> list:
    """Frames of a square moving right on a background, four flat colours (RGB arrays)."""
    frames = []
    for i in range(n):
        f = np.empty((size, size, 3), np.uint8)
        f[:] = colors[3]
        f[:, : size // 4] = colors[2]  # a static bar on the left
        f[4:8, 4 + 2 * i: 8 + 2 * i] = colors[i % 2]
        frames.append(f)
    return frames


def save_animation(path, frames, **params):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], **params)
    return path


def composited(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]


def frame_info(path, key):
    values = []
    with Image.open(path) as im:
        for f in ImageSequence.Iterator(im):
            f.load()  # WebP fills in a frame's duration when it is decoded
            values.append(f.info.get(key))
    return values


def gif_disposals(path):
    with Image.open(path) as im:
        return [f.disposal_method for f in ImageSequence.Iterator(im)]


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal alpha, and equal colour wherever opaque."""
    opaque = a[..., 3] > 0
    return np.array_equal(a[..., 3], b[..., 3]) and np.array_equal(a[opaque, :3], b[opaque, :3])


def one_frame_webp(path, frame: np.ndarray, duration: int, loop: int):
    """An animated WebP of one frame (VP8X, ANIM and one ANMF chunk), which Pillow and
    libwebp do not write: they write one frame as a still image."""
    import io
    import struct

    still = io.BytesIO()
    Image.fromarray(frame).save(still, "WEBP", lossless=True)
    data = still.getvalue()
    assert data[12:16] == b"VP8L"
    size = struct.unpack("<I", data[16:20])[0]
    bitstream = data[12:20 + size + (size & 1)]

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return tag + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)

    def u24(value: int) -> bytes:
        return struct.pack("<I", value)[:3]

    h, w = frame.shape[:2]
    body = (b"WEBP" + chunk(b"VP8X", b"\x02\0\0\0" + u24(w - 1) + u24(h - 1))
            + chunk(b"ANIM", struct.pack("<IH", 0, loop))
            + chunk(b"ANMF", u24(0) + u24(0) + u24(w - 1) + u24(h - 1) + u24(duration)
                    + b"\0" + bitstream))
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def frame_blocks(data: bytes) -> list[tuple[int, int | None]]:
    """(local colour table entries, 0 when none; transparent entry or None) of every frame."""
    pos, out, transparent = 13, [], None
    if data[10] & 0x80:
        pos += 3 * (2 << (data[10] & 7))
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            if data[pos + 1] == 0xF9:
                transparent = data[pos + 6] if data[pos + 3] & 1 else None
            pos += 2
        else:
            packed = data[pos + 9]
            local = 2 << (packed & 7) if packed & 0x80 else 0
            out.append((local, transparent))
            transparent = None
            pos += 10 + 3 * local + 1
        while data[pos]:  # data sub-blocks
            pos += data[pos] + 1
        pos += 1
    return out


# The longest frame an APNG holds (ms): a delay of 65,535/1 s.
_APNG_MOST_MS = 65_535_000


def pillow_apng(frames, palette: np.ndarray, durations, *, transparent: int | None = None,
                loop: int = 0, **params) -> bytes:
    """An APNG of ``frames``, ``(H, W)`` entries of ``palette`` (``(k, 3)``, or ``(k, 4)``
    with each entry's alpha; ``transparent``: an entry drawn clear), shown ``durations``
    ms, as Pillow's ``save_all`` writes it: every frame whole, disposal "none", blend
    "source", zlib level 6, a frame showing the picture before merged into it by Pillow.
    A duration longer than a frame holds is given as several frames
    (:func:`quantize.animation.apng.split_duration`), each the nearest delay a frame
    holds (:func:`quantize.encode.apng_delay`); when every frame shows one picture, it is
    the default image too (Pillow writes one frame as a still PNG). ``params``: more of
    ``save_all``'s (``dpi``, ``exif``)."""
    import io

    from quantize.animation.apng import split_duration
    from quantize.encode import apng_delay, trns

    colours = np.asarray(palette, np.uint8)
    alpha = np.full(max(len(colours), 0 if transparent is None else transparent + 1), 255,
                    np.uint8)
    alpha[:len(colours)] = colours[:, 3] if colours.shape[1] == 4 else 255
    if transparent is not None:
        alpha[transparent] = 0
    clear = transparent if colours.shape[1] == 3 else trns(alpha)
    images, delays = [], []
    for indices, duration in zip(frames, durations, strict=True):
        h, w = indices.shape
        image = Image.frombytes("P", (w, h), np.ascontiguousarray(indices, np.uint8).tobytes())
        image.putpalette(colours[:, :3].tobytes())
        if clear is not None:
            image.info["transparency"] = clear
        for part in split_duration(duration, _APNG_MOST_MS):
            num, den = apng_delay(part)
            images.append(image)
            delays.append(1000 * num / den)
    pictures = [np.asarray(image.convert("RGBA")) for image in images]
    one = all(np.array_equal(picture, pictures[0]) for picture in pictures)
    first, rest = images[0], images if one else images[1:]
    out = io.BytesIO()
    first.save(out, format="PNG", save_all=True, append_images=rest, duration=delays,
               loop=loop, disposal=0, blend=0, compress_level=6, default_image=one,
               **({} if clear is None else {"transparency": clear}), **params)
    return out.getvalue()
