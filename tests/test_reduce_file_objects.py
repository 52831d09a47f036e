"""reduce_file of binary file objects: bytes in memory in, bytes in memory out, as a web
service or a tile server holds them, giving the bytes the paths give."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import skimage
from PIL import Image

from quantize.errors import ImageReadError, OutputExistsError, SizeBudgetError
from quantize.reduce import reduce_file

from .reduce_support import translucent_blocks

TINY_GIF = Path(skimage.__file__).parent / "data" / "no_time_for_that_tiny.gif"


@pytest.fixture
def photo(tmp_path, rng):
    """Four flat 8 x 8 quadrants plus seeded noise, as a PNG."""
    image = np.zeros((16, 16, 3), np.int16)
    image[:8, 8:] = [200, 40, 40]
    image[8:, :8] = [40, 160, 60]
    image[8:, 8:] = [230, 220, 90]
    image = np.clip(image + rng.integers(-6, 7, image.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


@pytest.fixture
def blocks(tmp_path):
    """Opaque, translucent and fully transparent blocks (RGBA), as a PNG."""
    path = tmp_path / "blocks.png"
    translucent_blocks(path)
    return path


@pytest.mark.parametrize(("name", "suffix", "options"), [
    ("photo", ".png", {"n_colors": 4}),
    ("photo", ".jpg", {"n_colors": 4}),
    ("blocks", ".png", {"n_colors": 3}),
    ("blocks", ".gif", {"n_colors": 3}),
    ("gif", ".gif", {"n_colors": 16}),
    ("gif", ".webp", {"n_colors": 8, "palette": "global"}),
])
def test_file_objects_in_and_out_give_the_bytes_of_paths(name, suffix, options, photo, blocks,
                                                          tmp_path):
    src = {"photo": photo, "blocks": blocks, "gif": TINY_GIF}[name]
    by_path = reduce_file(src, tmp_path / f"out{suffix}", **options)
    for given in (io.BytesIO(src.read_bytes()), src):  # a stream in, or a path in
        written = io.BytesIO()
        record = reduce_file(given, written, format=suffix[1:], **options)
        assert written.getvalue() == (tmp_path / f"out{suffix}").read_bytes()
        assert record["output"] is None
        assert record["input"] == (None if isinstance(given, io.BytesIO) else str(src))
        assert (record["k"], record["frames"], record["bytes_out"]) == (
            by_path["k"], by_path["frames"], len(written.getvalue()))
    with io.BytesIO(src.read_bytes()) as given:  # a stream in, a path out
        record = reduce_file(given, tmp_path / f"again{suffix}", **options)
    assert (tmp_path / f"again{suffix}").read_bytes() == (tmp_path / f"out{suffix}").read_bytes()
    assert (record["input"], record["bytes_in"]) == (None, src.stat().st_size)


def test_the_tiny_gif_animation_keeps_every_frame_through_file_objects():
    written = io.BytesIO()
    record = reduce_file(io.BytesIO(TINY_GIF.read_bytes()), written, n_colors=16, format="GIF")
    with Image.open(TINY_GIF) as before, Image.open(written) as after:
        assert after.format == "GIF"
        assert after.n_frames == before.n_frames == record["frames"] == 24


def test_a_file_opened_rb_names_the_palette_file_after_its_file(photo, tmp_path):
    """The palette file names its palette after the input, as the path's job does."""
    reduce_file(photo, tmp_path / "a.png", n_colors=4, palette_out=tmp_path / "a.gpl")
    with open(photo, "rb") as given:
        reduce_file(given, io.BytesIO(), n_colors=4, format="png",
                    palette_out=tmp_path / "b.gpl")
    assert (tmp_path / "b.gpl").read_text() == (tmp_path / "a.gpl").read_text()


class _Refusing(io.RawIOBase):
    """A binary stream whose every write fails, as a client gone away."""

    def writable(self):
        return True

    def write(self, b):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_stream_that_fails_gets_nothing_and_leaves_no_palette_file(photo, tmp_path):
    with pytest.raises(BrokenPipeError):
        reduce_file(photo, _Refusing(), n_colors=4, format="png",
                    palette_out=tmp_path / "p.gpl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_an_error_writes_nothing_to_the_stream(photo):
    written = io.BytesIO()
    with pytest.raises(SizeBudgetError, match=r"^max_bytes=50: even 2 colours take "):
        reduce_file(photo, written, format="png", max_bytes=50)
    assert written.getvalue() == b""


def test_an_existing_palette_out_is_refused_before_the_stream_gets_the_image(photo, tmp_path):
    (tmp_path / "p.gpl").write_text("kept")
    written = io.BytesIO()
    with pytest.raises(OutputExistsError, match=r"p\.gpl: output exists; use force=True"):
        reduce_file(photo, written, n_colors=4, format="png", palette_out=tmp_path / "p.gpl")
    assert (written.getvalue(), (tmp_path / "p.gpl").read_text()) == (b"", "kept")


def test_an_existing_output_is_refused_before_the_stream_is_read(photo, tmp_path):
    given = io.BytesIO(photo.read_bytes())
    with pytest.raises(OutputExistsError, match=r"photo\.png: output exists"):
        reduce_file(given, photo)
    assert given.tell() == 0


def test_a_stream_that_is_no_image_is_named_stream(tmp_path):
    with pytest.raises(ImageReadError, match=r"^<stream>: not an image Pillow can identify$"):
        reduce_file(io.BytesIO(b"hello" * 10), tmp_path / "out.png")
    assert list(tmp_path.iterdir()) == []


def test_warnings_name_the_output_file_object(blocks):
    with pytest.warns(UserWarning, match=r"^output: GIF has no partial alpha"):
        reduce_file(blocks, io.BytesIO(), n_colors=3, format="gif")


@pytest.mark.parametrize(("input", "output", "options", "error", "message"), [
    ("photo", io.BytesIO(), {}, ValueError,
     r"^format=None: output=<_io\.BytesIO object at \w+> is a file object, which has no "
     r"extension to pick its format; give format='png' \(or one of 'png', 'apng', 'gif', "
     r"'bmp', 'jpg', 'jpeg', 'webp', 'tif', 'tiff'\)$"),
    ("photo", "out.png", {"format": "gif"}, ValueError,
     r"^format='gif' picks the format of an output file object, but output='out\.png' is a "
     r"path, whose extension picks its format; leave format out$"),
    ("photo", None, {"format": "gif"}, ValueError,
     r"^format='gif' picks the format of an output file object, but output=None, named "
     r"after the input; leave format out$"),
    ("photo", io.BytesIO(), {"format": "tga"}, ValueError,
     r"^format='tga' is not valid; expected one of 'png', "),
    ("photo", io.BytesIO(), {"format": 3}, TypeError, r"^format=3 is a int; expected a string"),
    ("stream", None, {}, ValueError,
     r"^output=None names the output after the input, but input is a file object, which has "
     r"no name; give output: a path, or a binary file object with format='png' \(say\)$"),
    ("text", "out.png", {}, TypeError,
     r"^input=<_io\.StringIO object at \w+> is a file object in text mode; open the file in "
     r"binary mode \('rb'\)$"),
    ("photo", io.StringIO(), {"format": "png"}, TypeError,
     r"^output=<_io\.StringIO object at \w+> is a file object in text mode; open the file in "
     r"binary mode \('wb'\)$"),
    ("photo", io.BytesIO(), {"format": "png", "masks": "inks"}, ValueError,
     r"^masks='inks' names each mask after the output, but output is a file object, which "
     r"has no name; write the image to a path for its masks$"),
])
def test_bad_file_objects_and_formats_are_refused_in_one_line_naming_the_parameter(
        photo, tmp_path, monkeypatch, input, output, options, error, message):
    monkeypatch.chdir(tmp_path)
    given = {"photo": photo, "stream": io.BytesIO(photo.read_bytes()),
             "text": io.StringIO("P3 1 1 255 0 0 0")}[input]
    with pytest.raises(error, match=message) as refused:
        reduce_file(given, output, **options)
    assert "\n" not in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]
    if isinstance(output, io.BytesIO):
        assert output.getvalue() == b""
