"""``quantize reduce --frames``: still images joined, in order, into one animation."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
from PIL import ExifTags, Image
from typer.testing import CliRunner

from quantize.animation import reduce_frame_files
from quantize.cli import app
from quantize.io.streams import images_in_stream
from quantize.reduce import reduce_file
from tests.animation_support import composited, frame_info, save_animation

runner = CliRunner()

# Three 4x3 frames of exact colours: a flat background, one pixel of each moving right.
_BACK, _DOT = (20, 40, 210), [(220, 30, 30), (30, 170, 40), (245, 245, 240)]


def _frames(alpha: bool = False) -> list[np.ndarray]:
    frames = []
    for i, dot in enumerate(_DOT):
        f = np.zeros((3, 4, 4), np.uint8)
        f[..., :3], f[..., 3] = _BACK, 255
        f[1, i, :3] = dot
        if alpha:
            f[0, 3] = 0  # a transparent corner
            f[2, 3, 3] = 128  # a translucent pixel
        frames.append(f if alpha else f[..., :3].copy())
    return frames


@pytest.fixture
def frame_files(tmp_path):
    names = []
    for i, f in enumerate(_frames()):
        names.append(tmp_path / f"frame{i + 1:03}.png")
        Image.fromarray(f).save(names[-1])
    return names


def _reduce(*args):
    return runner.invoke(app, ["reduce", *map(str, args)])


def _rgba(f: np.ndarray) -> np.ndarray:
    return f if f.shape[2] == 4 else np.dstack([f, np.full(f.shape[:2], 255, np.uint8)])


def test_frames_to_gif_exact_frames_and_delay(frame_files, tmp_path):
    out = tmp_path / "out.gif"
    result = _reduce(*frame_files, "--frames", "--fps", "25", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("frame001.png … frame003.png (3 frames) -> ".replace(
        "frame001.png", str(frame_files[0])).replace("frame003.png", str(frame_files[2])))
    shown = composited(out)
    assert len(shown) == 3
    for got, want in zip(shown, _frames(), strict=True):
        np.testing.assert_array_equal(got, _rgba(want))
    assert frame_info(out, "duration") == [40, 40, 40]
    with Image.open(out) as im:
        assert im.info["loop"] == 0  # forever, the default


def test_frames_kept_in_the_order_given(frame_files, tmp_path):
    out = tmp_path / "out.gif"
    order = [2, 0, 1, 0]  # a frame may be given twice, held again
    result = _reduce(*(frame_files[i] for i in order), "--frames", "-o", out)
    assert result.exit_code == 0, result.output
    frames = _frames()
    shown = composited(out)
    assert len(shown) == 4
    for got, i in zip(shown, order, strict=True):
        np.testing.assert_array_equal(got, _rgba(frames[i]))
    assert frame_info(out, "duration") == [100] * 4  # 10 fps by default


def test_frames_to_apng_with_loop(frame_files, tmp_path):
    out = tmp_path / "out.png"
    result = _reduce(*frame_files, "--frames", "--fps", "20", "--loop", "2", "-o", out)
    assert result.exit_code == 0, result.output
    shown = composited(out)
    assert len(shown) == 3
    for got, want in zip(shown, _frames(), strict=True):
        np.testing.assert_array_equal(got, _rgba(want))
    assert frame_info(out, "duration") == [50.0] * 3
    with Image.open(out) as im:
        assert im.info["loop"] == 2  # an APNG counts plays


@pytest.mark.parametrize(("suffix", "alpha"), [(".png", [0, 255, 128]), (".gif", [0, 255, 255])])
def test_frames_keep_alpha(tmp_path, suffix, alpha):
    names = []
    for i, f in enumerate(_frames(alpha=True)):
        names.append(tmp_path / f"f{i}.png")
        Image.fromarray(f).save(names[-1])
    out = tmp_path / f"out{suffix}"
    result = _reduce(*names, "--frames", "-o", out)
    assert result.exit_code == 0, result.output
    for got in composited(out):  # transparent, opaque, translucent (binary in a GIF)
        assert [got[0, 3, 3], got[0, 0, 3], got[2, 3, 3]] == alpha


def test_frames_of_another_size_refused(frame_files, tmp_path):
    odd = tmp_path / "frame002.png"
    Image.new("RGB", (5, 3)).save(odd)
    out = tmp_path / "out.gif"
    result = _reduce(*frame_files, "--frames", "-o", out)
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {odd}: is 5x3 pixels, but the frames must "
                             f"all be the size of the first ({frame_files[0]}): 4x3\n")
    assert not out.exists()


def test_animation_among_frames_refused(frame_files, tmp_path):
    clip = save_animation(tmp_path / "clip.gif", _frames())
    out = tmp_path / "out.gif"
    result = _reduce(frame_files[0], clip, "--frames", "-o", out)
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {clip}: is an animation (3 frames); the "
                             "frames joined are still images: reduce it on its own\n")
    assert not out.exists()


def test_max_pixels_applies_to_each_frame_not_to_their_count(frame_files, tmp_path):
    """300 frames of 720p were refused as 276,480,000 pixels over the default 250 million,
    the error naming the first frame: the files are decoded one at a time, so the limit
    applies to each, as to separate files (here 3 frames of 4x3 = 12 pixels each)."""
    out = tmp_path / "out.gif"
    result = _reduce(*frame_files, "--frames", "-o", out, "--max-pixels", "12")
    assert result.exit_code == 0, result.output
    assert len(composited(out)) == 3


def test_a_frame_over_max_pixels_is_refused_as_a_still_is(frame_files, tmp_path):
    out = tmp_path / "out.gif"
    result = _reduce(*frame_files, "--frames", "-o", out, "--max-pixels", "11")
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {frame_files[0]}: 4x3 = 12 pixels exceeds the "
                             "limit of 11; if the file is trusted, set --max-pixels=12 or more\n")
    assert not out.exists()


def test_one_animation_over_max_pixels_is_refused_for_its_frames_in_all(frame_files,
                                                                        tmp_path):
    """One animated file stays checked over its frames x width x height (a small GIF may
    declare a large screen and many frames), the error saying so."""
    clip = save_animation(tmp_path / "clip.gif", _frames())
    result = _reduce(clip, "-o", tmp_path / "out.gif", "--max-pixels", "35")
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {clip}: an animation of 3 frames of 4x3, 36 "
                             "pixels in all, exceeds the limit of 35; if the file is trusted, "
                             "set --max-pixels=36 or more\n")


@pytest.mark.parametrize(("args", "match"), [
    (["-o", "out.tif"], "-o/--output='out.tif': frames are joined into an animation"),
    ([], "--frames joins the inputs into one animation file: name it with -o"),
    (["-o", "out.gif", "--fps", "0"], "--fps=0 should be > 0 (frames a second)"),
    (["-o", "out.gif", "--loop", "70000"], "--loop=70000 should be <= 65535"),
    (["--ext", ".gif"], "--frames and --ext both given"),
])
def test_frames_usage_errors(frame_files, tmp_path, monkeypatch, args, match):
    monkeypatch.chdir(tmp_path)
    result = _reduce(*frame_files, "--frames", *args)
    assert result.exit_code == 2
    assert match in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in frame_files]


def test_fps_as_a_fraction_as_ffprobe_gives_a_frame_rate(frame_files, tmp_path):
    """``--fps 30000/1001`` (ffprobe's r_frame_rate of NTSC video) was refused as no number:
    it is 29.97 fps, 33.37 ms a frame, the same animation as --fps 29.97002997..."""
    out, same = tmp_path / "out.png", tmp_path / "same.png"
    result = _reduce(*frame_files, "--frames", "--fps", "30000/1001", "-o", out)
    assert result.exit_code == 0, result.output
    assert frame_info(out, "duration") == pytest.approx([1001 / 30] * 3, abs=0.01)
    assert _reduce(*frame_files, "--frames", "--fps", repr(30000 / 1001), "-o",
                   same).exit_code == 0
    assert out.read_bytes() == same.read_bytes()
    gif = tmp_path / "out.gif"
    assert _reduce(*frame_files, "--frames", "--fps", "30000/1001", "-o", gif).exit_code == 0
    assert frame_info(gif, "duration") == [30, 40, 30]  # each ends on its nearest centisecond


@pytest.mark.parametrize("rate", ["1/0", "30000/", "a/2", "1/-2"])
def test_fps_a_fraction_that_is_none_is_refused(frame_files, tmp_path, rate):
    result = _reduce(*frame_files, "--frames", "--fps", rate, "-o", tmp_path / "out.gif")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: --fps is '{rate}'; expected a number, or a "
                             "fraction N/D of two numbers, D above 0 (30000/1001, as ffprobe "
                             "gives a video's r_frame_rate)\n")
    assert not (tmp_path / "out.gif").exists()


@pytest.mark.parametrize("flag", [["--fps", "12"], ["--loop", "1"]])
def test_timing_without_frames_refused(frame_files, flag):
    result = _reduce(frame_files[0], *flag)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"quantize: error: {flag[0]} times the animation "
                                    "--frames joins the inputs into; add --frames")


def test_output_of_several_inputs_names_frames(frame_files, tmp_path):
    result = _reduce(*frame_files, "-o", tmp_path / "out.gif")
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith("or --frames to join them, as frames, into one "
                                           "animation")


def test_reduce_frame_files_as_an_animation_of_them(frame_files, tmp_path):
    """The same frames joined, or read from an animation of them, give the same output."""
    clip = save_animation(tmp_path / "clip.gif", _frames(), duration=100, loop=0)
    joined = reduce_frame_files(frame_files, tmp_path / "joined.gif", n_colors=2, dither=1.0)
    whole = reduce_file(clip, tmp_path / "whole.gif", n_colors=2, dither=1.0)
    assert joined["bytes_in"] == sum(p.stat().st_size for p in frame_files)
    assert (tmp_path / "joined.gif").read_bytes() == (tmp_path / "whole.gif").read_bytes()
    assert joined["k"] == whole["k"] == 2 and joined["frames"] == 3


def test_reduce_frame_files_tells_each_frame_of_each_pass(frame_files, tmp_path):
    told = []
    record = reduce_frame_files(frame_files, tmp_path / "told.gif", n_colors=4,
                                on_frame=lambda *args: told.append(args))
    assert told == [("read", 1, 3), ("read", 2, 3), ("read", 3, 3),
                    ("written", 1, 3), ("written", 2, 3), ("written", 3, 3)]
    reduce_frame_files(frame_files, tmp_path / "plain.gif", n_colors=4)
    assert (tmp_path / "told.gif").read_bytes() == (tmp_path / "plain.gif").read_bytes()
    assert record["frames"] == 3
    clip, told[:] = save_animation(tmp_path / "clip.gif", _frames()), []  # one file's frames
    reduce_file(clip, tmp_path / "clip.k4.gif", n_colors=4, on_frame=lambda *a: told.append(a))
    assert told == [("read", 1, 3), ("read", 2, 3), ("read", 3, 3),
                    ("written", 1, 3), ("written", 2, 3), ("written", 3, 3)]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _on_terminal(monkeypatch, *args):
    """The exit code, stdout and stderr (without its escape codes) of ``quantize reduce
    *args`` run with both streams terminals."""
    out, err = _Terminal(), _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as code:
        app(["reduce", *map(str, args)])
    return code.value.code, out.getvalue(), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "",
                                                   err.getvalue())


def test_frames_done_are_drawn_on_a_terminal_only(frame_files, tmp_path, monkeypatch):
    """300 frames ran 146 s with nothing on stderr. On a terminal, one line rewritten in
    place says the frames done; not with -q, nor on stderr that is no terminal, whose
    lines are the same as before."""
    drawn, out = tmp_path / "drawn.gif", tmp_path / "out.gif"
    code, stdout, stderr = _on_terminal(monkeypatch, *frame_files, "--frames", "-o", drawn)
    assert code == 0
    assert stdout.startswith(f"{frame_files[0]} … {frame_files[2]} (3 frames) -> {drawn}: ")
    last = stderr.strip("\r\n").split("\r")[-1]  # the last state drawn, then erased
    assert last.startswith(f"{drawn}: writing frame ") and " 3/3 " in last
    quiet = _on_terminal(monkeypatch, *frame_files, "--frames", "-o", out, "-q", "--force")
    assert quiet == (0, "", "")
    still = _on_terminal(monkeypatch, frame_files[0], "-o", tmp_path / "still.png")
    assert still[0] == 0 and "\r" not in still[2]  # no frames told: no line drawn
    monkeypatch.undo()
    plain = _reduce(*frame_files, "--frames", "-o", out, "--force")
    assert (plain.exit_code, plain.stderr) == (0, "")
    assert plain.stdout.startswith(f"{frame_files[0]} … {frame_files[2]} (3 frames) -> {out}: ")
    assert out.read_bytes() == drawn.read_bytes()


@pytest.mark.parametrize("term", ["dumb", "unknown"])
def test_no_frames_line_is_drawn_on_a_dumb_terminal(frame_files, tmp_path, monkeypatch, term):
    """A terminal of TERM=dumb (a screen reader's set-up, a serial console) cannot redraw a
    line in place: it gets what a stderr that is no terminal gets."""
    monkeypatch.setenv("TERM", term)
    out = tmp_path / "out.gif"
    code, stdout, stderr = _on_terminal(monkeypatch, *frame_files, "--frames", "-o", out)
    assert (code, stderr) == (0, "")
    assert stdout.startswith(f"{frame_files[0]} … {frame_files[2]} (3 frames) -> {out}: ")


@pytest.mark.parametrize(("told", "line"), [
    ([("read", 2, 3)], "clip.gif: reading frame "),
    ([("read", 3, 3)], "clip.gif: fitting the palette "),  # the last frame's colours counted
    ([("read", 3, 3), ("written", 1, 3)], "clip.gif: writing frame "),
])
def test_frame_progress_says_the_pass_under_way(monkeypatch, told, line):
    from quantize.cli.common import frame_progress

    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv("COLUMNS", "200")
    with frame_progress("clip.gif") as on_frame:
        for args in told:
            on_frame(*args)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", sys.stderr.getvalue())
    last = text.strip("\r\n").split("\r")[-1]
    assert last.startswith(line) and f" {told[-1][1]}/3 " in last


@pytest.mark.parametrize(("columns", "line"), [
    (40, "pan64.gif: fitting the palette 40/40"),
    (30, "…f: fitting the palette 40/40"),
    (50, "pan64.gif: fitting the palette 40/40"),
])
def test_frame_progress_keeps_its_count_on_a_narrow_terminal(monkeypatch, columns, line):
    """At 40 columns rich cut the line before its numbers
    ("/tmp/long/folder/name/pan64.gif: reading frame   …"); narrower than 50 columns it
    leaves out the bar and the time, as batch's bar does, and shortens the name."""
    from quantize.cli.common import frame_progress

    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv("COLUMNS", str(columns))
    with frame_progress("/tmp/long/folder/name/pan64.gif") as on_frame:
        on_frame("read", 40, 40)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", sys.stderr.getvalue())
    assert text.strip("\r\n").split("\r")[-1].rstrip() == line



# --------------------------------------------------------------------------
# Stdin holding several images one after another (ffmpeg -f image2pipe)
# --------------------------------------------------------------------------


def _encoded(frame: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.fixture
def scratch_folder(tmp_path, monkeypatch):
    """The temporary folder the command copies stdin into, to see it emptied."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize(("fps", "delay"), [([], 100), (["--fps", "25"], 40)])
def test_stdin_of_pngs_one_after_another_joined_by_frames(tmp_path, scratch_folder, fps,
                                                          delay):
    """``ffmpeg -f image2pipe -vcodec png - | quantize reduce - --frames``: --frames
    refused stdin; its images are now the frames, in order, exactly as from files."""
    out = tmp_path / "out.gif"
    data = b"".join(_encoded(f, "PNG") for f in _frames())
    result = runner.invoke(app, ["reduce", "-", "--frames", *fps, "-o", str(out)], input=data)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"- (3 images) -> {out}: 4 colours, lossless")
    shown = composited(out)
    assert len(shown) == 3
    for got, want in zip(shown, _frames(), strict=True):
        np.testing.assert_array_equal(got, _rgba(want))
    assert frame_info(out, "duration") == [delay] * 3
    assert list(scratch_folder.iterdir()) == []  # the copies of the images removed


def test_stdin_of_jpegs_one_after_another_joined_as_the_files_are(tmp_path):
    names = []
    for i, f in enumerate(_frames()[:2]):
        names.append(tmp_path / f"f{i}.jpg")
        names[-1].write_bytes(_encoded(f, "JPEG"))
    data = b"".join(p.read_bytes() for p in names)
    piped, joined = tmp_path / "piped.png", tmp_path / "joined.png"
    result = runner.invoke(app, ["reduce", "-", "--frames", "-k", "4", "-o", str(piped)],
                           input=data)
    assert result.exit_code == 0, result.output
    assert _reduce(*names, "--frames", "-k", "4", "-o", joined).exit_code == 0
    assert piped.read_bytes() == joined.read_bytes()
    assert len(composited(piped)) == 2


@pytest.mark.parametrize(("fmt", "n", "said"), [("PNG", 3, "3 PNG images"),
                                                ("JPEG", 2, "2 JPEG images")])
@pytest.mark.parametrize("output", ["out.png", "-"])
def test_stdin_of_several_images_refused_without_frames(tmp_path, monkeypatch, fmt, n, said,
                                                        output):
    """The first image was read and the others dropped without a word (exit 0, a still):
    refused, one line, exit 2, nothing written, saying what follows and --frames."""
    monkeypatch.chdir(tmp_path)
    images = [_encoded(f, fmt) for f in _frames()[:n]]
    result = runner.invoke(app, ["reduce", "-", "-o", output], input=b"".join(images))
    assert result.exit_code == 2
    after = sum(map(len, images[1:]))
    assert result.stderr == (f"quantize: error: -: stdin holds {said}, one after another "
                             f"({after:,} bytes after the first); reduce reads one: add "
                             "--frames to join them into one animation (quantize reduce - "
                             "--frames -o clip.gif), or send one image\n")
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_pngs_sent_apart_on_a_pipe_are_waited_for_and_refused_without_frames(tmp_path):
    """ffmpeg sends its next PNG once encoded: the command read the first PNG up to its
    IEND chunk and ended with it (exit 0), and the writer died of a broken pipe."""
    out = tmp_path / "out.png"
    process = subprocess.Popen([sys.executable, "-m", "quantize", "reduce", "-", "-o",
                                str(out)], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first, second = (_encoded(f, "PNG") for f in _frames()[:2])
        process.stdin.write(first)
        process.stdin.flush()
        time.sleep(0.3)  # well within the wait, as a writer encodes its next image
        process.stdin.write(second)
        process.stdin.close()
        code = process.wait(timeout=60)
    finally:
        process.kill()
        stderr = process.stderr.read().decode()
        process.stderr.close()
    assert code == 2, stderr
    assert "stdin holds 2 PNG images, one after another" in stderr
    assert not out.exists()


def test_stdin_images_over_max_frames_refused_before_any_is_copied_apart(tmp_path,
                                                                         scratch_folder):
    out = tmp_path / "out.gif"
    data = b"".join(_encoded(f, "PNG") for f in _frames())
    result = runner.invoke(app, ["reduce", "-", "--frames", "--max-frames", "2", "-o",
                                 str(out)], input=data)
    assert result.exit_code == 1
    assert result.stderr == ("quantize: error: -: stdin holds 3 PNG images, over the limit "
                             "of 2 frames; if the stream is trusted, set --max-frames=3 or "
                             "more\n")
    assert not out.exists()
    assert list(scratch_folder.iterdir()) == []


def test_stdin_beside_files_refused_with_frames(frame_files, tmp_path):
    result = _reduce(frame_files[0], "-", "--frames", "-o", tmp_path / "out.gif")
    assert result.exit_code == 2
    assert result.stderr == ("quantize: error: -: --frames joins the images stdin holds, one "
                             "after another, or files: stdin must be the only input (2 inputs "
                             "were given)\n")


def _jpeg_with_thumbnail() -> bytes:
    """A JPEG whose EXIF holds a thumbnail: a JPEG, with its own end marker, inside."""
    thumb = _encoded(_frames()[0], "JPEG")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "camera"
    photo = io.BytesIO()
    Image.fromarray(_frames()[1]).save(photo, "JPEG", exif=exif)
    data = photo.getvalue()
    # An APP1 segment of the EXIF as it was, followed by one holding the thumbnail
    segment = b"Exif\x00\x00" + thumb
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + data[2:]


def test_a_jpeg_with_bytes_after_its_end_is_one_image_and_one_frame(tmp_path):
    """A camera's data after a JPEG's end marker (a motion photo's video, a trailer), a
    multi-picture file's second picture, or a thumbnail inside its EXIF, is the one image's,
    read as before: stdin holds one image, and --frames joins one frame of it."""
    jpeg = _encoded(_frames()[0], "JPEG")
    buffer = io.BytesIO()
    Image.fromarray(_frames()[0]).save(buffer, "MPO", save_all=True,
                                       append_images=[Image.fromarray(_frames()[1])])
    path = tmp_path / "one.bin"
    for data in (jpeg + b"\x00\x00ftypmp42" + bytes(100), _jpeg_with_thumbnail(),
                 buffer.getvalue()):
        path.write_bytes(data)
        assert [tuple(image) for image in images_in_stream(path)] == [("JPEG", 0, len(data))]
        assert _reduce(path, "-o", tmp_path / "file.png", "--force").exit_code == 0
        result = runner.invoke(app, ["reduce", "-", "-o", str(tmp_path / "piped.png"),
                                     "--force"], input=data)
        assert result.exit_code == 0, result.output
        assert (tmp_path / "piped.png").read_bytes() == (tmp_path / "file.png").read_bytes()
    for data in (jpeg + b"\x00\x00ftypmp42" + bytes(100), _jpeg_with_thumbnail()):
        result = runner.invoke(app, ["reduce", "-", "--frames", "-o", str(tmp_path / "a.gif"),
                                     "--force"], input=data)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("- (1 image) -> ")
        assert len(composited(tmp_path / "a.gif")) == 1


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_frames_written_to_stdout_with_format(frame_files, tmp_path, fmt):
    """``--frames -o -`` was refused as if -o had not been given; with --format naming an
    animated format, the animation goes to stdout, the bytes of the file -o names."""
    named = tmp_path / f"named.{fmt}"
    assert _reduce(*frame_files, "--frames", "-o", named).exit_code == 0
    result = runner.invoke(app, ["reduce", *map(str, frame_files), "--frames", "-o", "-",
                                 "--format", fmt, "-q"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == named.read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "-"], "-o -: --frames writes the animation to stdout in the format --format "
                  "names (gif, png, apng or webp), e.g. -o - --format gif; give it, or name "
                  "a file with -o"),
    (["-o", "-", "--format", "jpg"], "--format='jpg': --frames joins the inputs into an "
                                     "animation, written to stdout as gif, png (APNG), apng "
                                     "or webp; expected one of those"),
])
def test_frames_to_stdout_without_an_animated_format_refused(frame_files, args, message):
    result = _reduce(*frame_files, "--frames", *args)
    assert result.exit_code == 2
    assert result.stderr == f"quantize: error: {message}\n"
    assert result.stdout == ""
