"""The bad-input corpus through every entry point: ``reduce``, ``segment``, ``batch`` and the API.

Each case states its expected outcome: a result, or an exit code with a
fragment of the one-line error. Whatever happens, no traceback reaches the
user, no input changes and no partial file is left behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.animation import FirstFrameWarning
from quantize.cli import app
from quantize.errors import ImageReadError
from quantize.io import load_image, printable
from quantize.reduce import reduce_colors, reduce_file
from tests.corpus.generate import build_corpus

runner = CliRunner()

#: Files that must be refused, with the exit code and a fragment of the message.
UNREADABLE = {
    "zero_byte.png": "file is empty",
    "truncated.png": "truncated",
    "truncated.jpg": "truncated",
    "text.jpg": "not an image",
    "damaged_idat.png": "damaged PNG (bad CRC in an IDAT chunk)",
    "damaged_ihdr.png": "damaged PNG (bad CRC in an IHDR chunk)",
    "bomb.png": "exceeds the limit of 250,000,000",
    "a_directory.png": "is a directory",
}

#: Files that must be processed, with what the result must show.
READABLE = [
    "good.png", "one_pixel.png", "one_by_n.png", "single_color.png", "three_colors.png",
    "gray16.png", "rgb16.png", "cmyk.jpg", "palette_transparency.png", "la.png",
    "rgba_transparent.png", "rgba_half_transparent.png", "animated.gif", "icc_linear.png",
    "non_utf8", *[f"exif_orientation_{v}.jpg" for v in range(2, 9)],
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def fingerprints(corpus) -> dict[str, str]:
    """Digests of every corpus file, to prove no input is ever modified."""
    return {name: _digest(path) for name, path in corpus.items() if path.is_file()}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback leaked: {result.exception!r}")
    return result


def _assert_one_line_error(result, code: int, fragment: str) -> None:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("quantize: error: ")
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.output


def _no_partial_files(folder: Path) -> None:
    leftovers = [p.name for p in folder.rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


# -- reduce -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_reduce_refuses_unreadable(corpus, tmp_path, name):
    out = tmp_path / "out.png"
    result = _invoke("reduce", corpus[name], "-o", out)
    _assert_one_line_error(result, 1, UNREADABLE[name])
    assert not out.exists()
    _no_partial_files(tmp_path)


def test_reduce_refuses_a_missing_file(tmp_path):
    result = _invoke("reduce", tmp_path / "missing.png", "-o", tmp_path / "o.png")
    _assert_one_line_error(result, 1, "no such file")


@pytest.mark.parametrize("name", READABLE)
def test_reduce_handles_every_readable_kind(corpus, fingerprints, tmp_path, name):
    out = tmp_path / "out.png"
    result = _invoke("reduce", corpus[name], "-k", "8", "-o", out, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    # A fully transparent image needs no opaque colour, only its transparent entry.
    assert record["k"] == 0 if name == "rgba_transparent.png" else 1 <= record["k"] <= 8
    with Image.open(corpus[name]) as src:
        w, h = src.size
        grey = src.mode in ("1", "L", "LA", "I", "F") or src.mode.startswith("I;16")
    with Image.open(out) as im:  # a grey file's output is grey: a grey PNG, or an indexed
        if grey and im.mode == "P":  # one of grey entries where that packs smaller
            entries = np.asarray(im.getpalette()).reshape(-1, 3)
            assert (entries == entries[:, :1]).all()
        else:
            assert im.mode == ("L" if grey else "P")
        size = im.size
    with Image.open(corpus[name]) as src:
        orientation = src.getexif().get(0x0112, 1)
    assert size == ((h, w) if orientation in (5, 6, 7, 8) else (w, h))
    assert _digest(corpus[name]) == fingerprints[name]
    _no_partial_files(tmp_path)


def test_reduce_few_colours_is_lossless_and_says_so_on_its_line(corpus, tmp_path):
    """Fewer colours than -k are all kept: the summary line says so, with no note on
    stderr (a build reducing many small icons at -k 256 would print one for each)."""
    out = tmp_path / "three.png"
    result = _invoke("reduce", corpus["three_colors.png"], "-k", "16", "-o", out)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "3 colours, lossless" in result.stdout
    original = np.asarray(Image.open(corpus["three_colors.png"]).convert("RGB"))
    np.testing.assert_array_equal(np.asarray(Image.open(out).convert("RGB")), original)


def test_reduce_fully_transparent_image_keeps_its_transparency(corpus, tmp_path):
    out = tmp_path / "clear.png"
    assert _invoke("reduce", corpus["rgba_transparent.png"], "-o", out).exit_code == 0
    assert (np.asarray(Image.open(out).convert("RGBA"))[:, :, 3] == 0).all()


def test_reduce_animated_gif_starts_with_the_first_frame(corpus, tmp_path):
    out = tmp_path / "anim.png"
    assert _invoke("reduce", corpus["animated.gif"], "-k", "256", "-o", out).exit_code == 0
    with Image.open(corpus["animated.gif"]) as im:
        first = np.asarray(im.convert("RGB")).astype(int)
        im.seek(1)
        second = np.asarray(im.convert("RGB")).astype(int)
    got = np.asarray(Image.open(out).convert("RGB")).astype(int)
    # the first frame, not a later (shifted) one
    assert np.abs(got - first).mean() < 0.25 * np.abs(got - second).mean()


@pytest.mark.parametrize(("args", "code", "fragment"), [
    (["-k", "0"], 2, "-k/--colors=0 should be >= 1"),
    (["-k", "-1"], 2, "-k/--colors=-1 should be >= 1"),
    (["-k", "257"], 2, "257"),
    (["-k", "2.5"], 2, "-k/--colors='2.5' is not valid; expected an integer"),
    (["--quality", "0", "-k", "4"], 99, "quality"),
    # it said "raise --max-pixels=100", the value given, as if that were the remedy
    (["--max-pixels", "100"], 1, "exceeds the limit of 100; if the file is trusted, set "
                                 "--max-pixels=3072 or more"),
    (["--space", "hsv"], 2, "hsv"),
])
def test_reduce_bad_parameters(corpus, tmp_path, args, code, fragment):
    out = tmp_path / "out.png"
    result = _invoke("reduce", corpus["good.png"], "-o", out, *args)
    assert result.exit_code == code, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_reduce_output_problems(corpus, fingerprints, tmp_path):
    good = corpus["good.png"]
    _assert_one_line_error(_invoke("reduce", good, "-o", tmp_path / "nope" / "x.png"),
                           2, "does not exist; expected a file name in an existing folder")
    _assert_one_line_error(_invoke("reduce", good, "-o", "/sys/quantize-test.png"),
                           1, "/sys")
    # refused before any work, as an output that is another input is (it was exit 1)
    _assert_one_line_error(_invoke("reduce", good, "-o", good, "--force"), 2, "the input itself")
    existing = tmp_path / "exists.png"
    existing.write_bytes(b"keep me")
    _assert_one_line_error(_invoke("reduce", good, "-o", existing), 15, "--force")
    assert existing.read_bytes() == b"keep me"
    assert _digest(good) == fingerprints["good.png"]


def test_reduce_non_utf8_name_in_errors(tmp_path):
    bad = Path(tmp_path, b"\xff\xfe-broken.png".decode("utf-8", "surrogateescape"))
    bad.write_bytes(b"not a png")
    result = _invoke("reduce", bad, "-o", tmp_path / "o.png")
    _assert_one_line_error(result, 1, "not an image")


# -- the Python API -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_api_reduce_file_raises_read_errors(corpus, tmp_path, name):
    with pytest.raises(ImageReadError, match=re.escape(UNREADABLE[name].split(" of ")[0])):
        reduce_file(corpus[name], tmp_path / "o.png")


@pytest.mark.parametrize("name", READABLE)
def test_api_reduce_colors_on_loaded_images(corpus, name):
    loaded = load_image(corpus[name])
    before = loaded.rgb.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=".*distinct colour.*")
        result = reduce_colors(loaded, 8, seed=0)
    # an animation's other frames are not reduced, and that is said
    said = [w for w in caught if issubclass(w.category, FirstFrameWarning)]
    assert len(said) == (loaded.n_frames > 1)
    assert result.indices.shape == loaded.rgb.shape[:2]
    assert result.palette.dtype == np.uint8
    assert result.k == 0 if name == "rgba_transparent.png" else 1 <= result.k <= 8
    np.testing.assert_array_equal(loaded.rgb, before)


# -- segment ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_segment_refuses_unreadable(corpus, tmp_path, name):
    outdir = tmp_path / "seg"
    result = _invoke("segment", corpus[name], "-o", outdir)
    _assert_one_line_error(result, 1, UNREADABLE[name])
    assert not (outdir / "segments.json").exists()
    _no_partial_files(tmp_path)


@pytest.mark.parametrize("name", READABLE)
def test_segment_handles_every_readable_kind(corpus, fingerprints, tmp_path, name):
    outdir = tmp_path / "seg"
    result = _invoke("segment", corpus[name], "-k", "3", "-o", outdir, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    labels = np.asarray(Image.open(outdir / "labels.png"))
    with Image.open(corpus[name]) as src:
        w, h = src.size
        orientation = src.getexif().get(0x0112, 1)
    assert labels.shape == ((w, h) if orientation in (5, 6, 7, 8) else (h, w))
    assert labels.min() >= 1 and labels.max() == record["n_regions"]
    assert _digest(corpus[name]) == fingerprints[name]
    _no_partial_files(tmp_path)


@pytest.mark.parametrize(("args", "fragment"), [
    (["-w", "texture=-1"], "texture=-1 should be >= 0"),
    (["-w", "foo=1"], "'foo' is not valid; expected one of 'color', 'intensity', 'xy', 'texture'"),
    (["-w", "color=nan"], "color=nan should be a finite number"),
    (["-w", "color"], "expected NAME=NUMBER"),
    (["-k", "0"], "-k/--clusters=0 should be >= 1"),
])
def test_segment_bad_parameters(corpus, tmp_path, args, fragment):
    outdir = tmp_path / "seg"
    result = _invoke("segment", corpus["good.png"], "-o", outdir, *args)
    _assert_one_line_error(result, 2, fragment)
    assert not outdir.exists() or not any(outdir.iterdir())


def test_segment_refuses_to_overwrite_without_force(corpus, tmp_path):
    outdir = tmp_path / "seg"
    assert _invoke("segment", corpus["good.png"], "-k", "2", "-o", outdir).exit_code == 0
    before = (outdir / "labels.png").read_bytes()
    _assert_one_line_error(_invoke("segment", corpus["good.png"], "-k", "3", "-o", outdir),
                           15, "--force")
    assert (outdir / "labels.png").read_bytes() == before


# -- batch --------------------------------------------------------------------


def test_batch_over_the_whole_corpus(corpus, fingerprints, tmp_path):
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    result = _invoke("batch", corpus["good.png"].parent, "-o", out, "-k", "4", "--jobs", "1",
                     "--quiet", "--report", report)
    assert result.exit_code == 1, result.output  # some files are bad
    rows = json.loads(report.read_text())
    rows = rows["files"] if isinstance(rows, dict) else rows
    status = {Path(r["input"]).name: r["status"] for r in rows}
    for name in ("zero_byte.png", "truncated.png", "truncated.jpg", "text.jpg", "bomb.png"):
        assert status.get(name) == "failed", (name, status.get(name))
        assert name in result.output  # each failure is reported by path
    for name in READABLE:
        file_name = printable(corpus[name].name)  # as the report writes a non-UTF-8 name
        assert status.get(file_name) == "ok", (name, status.get(file_name))
    for name, digest in fingerprints.items():
        assert _digest(corpus[name]) == digest
    _no_partial_files(out)
    assert "Traceback" not in result.output
