"""Generate the bad-input corpus: every kind of file a user might feed quantize.

Run ``python tests/corpus/generate.py OUT_DIR`` to write the files for a look,
or call :func:`build_corpus` (the tests do, into a temporary folder). Nothing
here is committed as a binary: every file is made from scikit-image's sample
photos or from a few bytes.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

__all__ = ["MPO_DISPARITY", "MPO_PREVIEW", "ORIENTATION_6", "build_corpus", "cut_exif",
           "exif_of_tags", "linear_gray_icc", "linear_rgb_icc", "mpo_file", "png_bytes",
           "png_of_chunks", "stored_idats"]


def _photo(h: int = 48, w: int = 64) -> np.ndarray:
    """A small real photo crop (coffee), (h, w, 3) uint8."""
    return np.ascontiguousarray(data.coffee()[100:100 + h, 200:200 + w])


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def png_bytes(width: int, height: int, bit_depth: int, color_type: int,
              rows: bytes) -> bytes:
    """A PNG file assembled by hand (lets us write 16-bit RGB and lying headers)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b""))


def png_of_chunks(chunks: list[tuple[bytes, bytes]], damaged: int | None = None) -> bytes:
    """A PNG file of ``chunks`` (type, payload) assembled by hand; with ``damaged``, the
    last byte of that chunk is changed after its CRC was computed (a bit flipped on a
    disk or in transfer)."""
    out = [b"\x89PNG\r\n\x1a\n"]
    for i, (kind, payload) in enumerate(chunks):
        crc = struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        if i == damaged:
            payload = payload[:-1] + bytes([payload[-1] ^ 0x80])
        out.append(struct.pack(">I", len(payload)) + kind + payload + crc)
    return b"".join(out)


def stored_idats(rows: bytes, kind: bytes = b"IDAT") -> list[tuple[bytes, bytes]]:
    """Two image data chunks holding the filtered scanlines ``rows`` uncompressed, the
    zlib checksum in the second: a byte changed in the first decodes to a changed pixel,
    and Pillow, which stops once it has every row, never reads the checksum."""
    data = zlib.compress(rows, 0)
    return [(kind, data[:-4]), (kind, data[-4:])]


def _s15f16(x: float) -> bytes:
    return struct.pack(">i", round(x * 65536))


def linear_rgb_icc() -> bytes:
    """An ICC v2 RGB profile with sRGB primaries and a linear (gamma 1.0) tone curve.

    Pixel values in an image tagged with it are linear light, so converting to
    sRGB brightens mid-tones a lot (linear 0.5 is sRGB ~0.735): an easy effect
    to test for.
    """
    return _linear_icc(b"RGB ", [
        (b"rXYZ", _xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", _xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", _xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", _LINEAR_CURVE), (b"gTRC", _LINEAR_CURVE), (b"bTRC", _LINEAR_CURVE),
    ])


def linear_gray_icc() -> bytes:
    """An ICC v2 grayscale profile with a linear tone curve (as :func:`linear_rgb_icc`)."""
    return _linear_icc(b"GRAY", [(b"kTRC", _LINEAR_CURVE)])


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x) + _s15f16(y) + _s15f16(z)


_LINEAR_CURVE = b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 256) + b"\0\0"


def _linear_icc(space: bytes, colour_tags: list[tuple[bytes, bytes]]) -> bytes:
    """A display profile of colour ``space`` ("RGB " or "GRAY") with the given tags."""
    def desc(text):
        ascii_ = text.encode() + b"\0"
        return (b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_)) + ascii_
                + b"\0" * 8 + b"\0" * 3 + b"\0" * 67)

    tags = [
        (b"desc", desc(f"linear {space.decode().strip()}")),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        *colour_tags,
        (b"cprt", b"text" + b"\0" * 4 + b"CC0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, payload in tags:
        payload += b"\0" * (-len(payload) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(payload))
        body += payload
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000)
              + b"mntr" + space + b"XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28
              + _s15f16(0.9642) + _s15f16(1.0) + _s15f16(0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


def _exif_with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def cut_exif() -> bytes:
    """An EXIF block whose directory says 2 entries and holds 1 and half of the next (an
    orientation of 1): Pillow warns "Corrupt EXIF data.  Expecting to read 12 bytes but
    only got 6. " and reads the image."""
    return (b"Exif\0\0MM\0*" + struct.pack(">IH", 8, 2)
            + struct.pack(">HHIHH", 0x0112, 3, 1, 1, 0) + bytes(6))


def exif_value_past_end() -> bytes:
    """An EXIF block of one entry, a 10-byte make whose value it places past its own end:
    Pillow warns "Truncated File Read", reads no further tags, and reads the image."""
    return (b"Exif\0\0MM\0*" + struct.pack(">IH", 8, 1)
            + struct.pack(">HHII", 0x010F, 2, 10, 100) + struct.pack(">I", 0))


#: An orientation tag of 6 (a quarter turn clockwise), for :func:`exif_of_tags`.
ORIENTATION_6 = (0x0112, 3, 1, struct.pack(">HH", 6, 0))


def exif_of_tags(*tags: tuple[int, int, int, bytes]) -> bytes:
    """A big-endian EXIF block of one directory of ``tags``, each ``(tag, type, count,
    value)`` with its 4-byte value or offset as given, and no next directory: 38 bytes
    after ``Exif\\0\\0`` for two tags. A value offset past the end makes Pillow warn."""
    entries = b"".join(struct.pack(">HHI", tag, kind, n) + value for tag, kind, n, value in tags)
    return (b"Exif\0\0MM\0*" + struct.pack(">IH", 8, len(tags)) + entries
            + struct.pack(">I", 0))


# MP types (CIPA DC-007) of an MPO's further images: a stereo pair's other view, and a
# large thumbnail (VGA), a camera's preview of the photo.
MPO_DISPARITY, MPO_PREVIEW = 0x020002, 0x010001


def mpo_file(path: Path, colours: list[tuple[int, int, int]], mp_type: int = 0,
             size: tuple[int, int] = (8, 6)) -> Path:
    """An MPO at ``path``: one flat JPEG of ``size`` a colour, the first the primary image,
    each other of MP type ``mp_type`` (0, as Pillow writes them: undefined)."""
    first, *others = (Image.new("RGB", size, c) for c in colours)
    first.save(path, "MPO", save_all=True, append_images=others)
    data = path.read_bytes()
    with Image.open(path) as im:
        entries = im.mpinfo[0xB002][1:]
    for e in entries:  # Pillow writes the MP index little-endian
        undefined = struct.pack("<LLLHH", 0, e["Size"], e["DataOffset"], 0, 0)
        assert data.count(undefined) == 1
        data = data.replace(undefined, struct.pack("<L", mp_type) + undefined[4:])
    path.write_bytes(data)
    return path


def build_corpus(folder: Path) -> dict[str, Path]:
    """Write every corpus file into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def put(name: str, payload: bytes) -> None:
        (folder / name).write_bytes(payload)
        files[name] = folder / name

    def save(name: str, image: Image.Image, **params) -> None:
        buf = io.BytesIO()
        image.save(buf, format=Image.registered_extensions()[Path(name).suffix], **params)
        put(name, buf.getvalue())

    photo = _photo()
    good_png = io.BytesIO()
    Image.fromarray(photo).save(good_png, format="PNG")
    good_jpg = io.BytesIO()
    Image.fromarray(photo).save(good_jpg, format="JPEG", quality=90)

    put("good.png", good_png.getvalue())
    put("zero_byte.png", b"")
    put("truncated.png", good_png.getvalue()[: len(good_png.getvalue()) // 2])
    put("truncated.jpg", good_jpg.getvalue()[: len(good_jpg.getvalue()) // 2])
    put("text.jpg", b"this is not a picture\n")
    ihdr = (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    idats = stored_idats(b"\0" + bytes([10, 20, 30, 40, 50, 60]))
    put("damaged_idat.png", png_of_chunks([ihdr, *idats, (b"IEND", b"")], damaged=1))
    put("damaged_ihdr.png", png_of_chunks([ihdr, *idats, (b"IEND", b"")], damaged=0))
    put("bomb.png", png_bytes(100_000, 100_000, 8, 2, b"\0" * 64))
    save("one_pixel.png", Image.fromarray(photo[:1, :1]))
    save("one_by_n.png", Image.fromarray(photo[:1, :]))
    save("single_color.png", Image.new("RGB", (32, 24), (200, 40, 90)))
    three = np.zeros((24, 32, 3), np.uint8)
    three[:, 10:] = (255, 255, 0)
    three[:, 20:] = (0, 80, 255)
    save("three_colors.png", Image.fromarray(three))
    gray16 = (np.linspace(0, 65535, 48 * 64).reshape(48, 64)).astype(np.uint16)
    save("gray16.png", Image.fromarray(gray16))
    rgb16 = (photo.astype(np.uint16) * 257).astype(">u2")
    rows = b"".join(b"\0" + rgb16[i].tobytes() for i in range(rgb16.shape[0]))
    put("rgb16.png", png_bytes(photo.shape[1], photo.shape[0], 16, 2, rows))
    save("cmyk.jpg", Image.fromarray(photo).convert("CMYK"), quality=90)
    pal = Image.fromarray(photo).quantize(8)
    save("palette_transparency.png", pal, transparency=0)
    save("la.png", Image.fromarray(photo).convert("LA"))
    save("rgba_transparent.png", Image.new("RGBA", (32, 24), (10, 20, 30, 0)))
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:, :20, 3] = 0
    save("rgba_half_transparent.png", Image.fromarray(rgba))
    frames = [Image.fromarray(np.roll(photo, 8 * i, axis=1)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    put("animated.gif", buf.getvalue())
    # A 'non-square' marker: top-left red block, so orientation is checkable.
    marked = np.zeros((24, 40, 3), np.uint8)
    marked[:8, :8] = (255, 0, 0)
    for value in range(2, 9):
        save(f"exif_orientation_{value}.jpg", Image.fromarray(marked), quality=95,
             exif=_exif_with_orientation(value))
    mid = np.full((16, 16, 3), 128, np.uint8)
    save("icc_linear.png", Image.fromarray(mid), icc_profile=linear_rgb_icc())
    # A palette image's profile applies to its colours; gray profiles to L and LA.
    save("icc_linear_palette.png", Image.fromarray(mid).quantize(2),
         icc_profile=linear_rgb_icc())
    save("icc_linear_gray.png", Image.fromarray(mid[:, :, 0]), icc_profile=linear_gray_icc())
    gray_alpha = Image.fromarray(np.dstack([mid[:, :, 0], np.arange(16, dtype=np.uint8)
                                            .repeat(16).reshape(16, 16) * 17]), "LA")
    save("icc_linear_la.png", gray_alpha, icc_profile=linear_gray_icc())
    save("icc_rgb_on_gray.png", Image.fromarray(mid[:, :, 0]), icc_profile=linear_rgb_icc())
    save("icc_unreadable.png", Image.fromarray(mid), icc_profile=b"not a profile" * 16)
    (folder / "a_directory.png").mkdir(exist_ok=True)
    files["a_directory.png"] = folder / "a_directory.png"
    non_utf8 = Path(folder, b"caf\xe9-\xff.png".decode("utf-8", "surrogateescape"))
    non_utf8.write_bytes(good_png.getvalue())
    files["non_utf8"] = non_utf8
    return files


if __name__ == "__main__":
    for name, path in build_corpus(Path(sys.argv[1])).items():
        print(f"{name}\t{path}")
