"""quantize.animation.frames: frames read one at a time with their timing; the pixel limit."""

from __future__ import annotations

import pytest

from quantize.animation import iter_frames, probe_animation, reduce_animation_file
from quantize.errors import ImageReadError

from .animation_support import moving_square, save_animation


def test_frames_are_streamed_with_timing(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=[40, 80, 120], loop=0)
    frames = iter_frames(src)
    first = next(frames)
    assert first.rgba.shape == (16, 16, 4) and first.duration == 40
    assert [f.duration for f in frames] == [80, 120]


def test_pixel_limit_counts_every_frame(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    assert probe_animation(src, max_pixels=300).n_frames == 3
    with pytest.raises(ImageReadError, match=r"3 frames of 10x10 = 300 pixels exceeds the limit "
                                             r"of 299; if the file is trusted, set "
                                             r"max_pixels=300 or more") as err:
        reduce_animation_file(src, tmp_path / "out.gif", max_pixels=299)
    assert "in.gif" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out.gif").exists()
