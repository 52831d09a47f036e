"""quantize.animation.frames: frames read one at a time with their timing; the pixel limit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from quantize.animation import count_frames, iter_frames, probe_animation, reduce_animation_file
from quantize.errors import ImageReadError

from .animation_support import composited, moving_square, save_animation


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


def test_an_apng_default_image_is_not_a_frame(tmp_path):
    # A PNG viewer without APNG support shows the default image; APNG players never
    # do. It was reduced as a first frame of its own (duration 0), so the output
    # animation flashed it, and its colours took palette entries.
    colours = [(255, 255, 255), (200, 0, 0), (0, 200, 0), (0, 0, 200)]
    images = [Image.fromarray(np.full((4, 4, 3), c, np.uint8)) for c in colours]
    src = tmp_path / "in.png"
    images[0].save(src, save_all=True, append_images=images[1:], duration=[0, 70, 80, 90],
                   loop=0, default_image=True)
    assert count_frames(src) == 3 and probe_animation(src).n_frames == 3
    frames = list(iter_frames(src))
    assert [tuple(f.rgba[0, 0, :3]) for f in frames] == colours[1:]
    out = tmp_path / "out.gif"
    record = reduce_animation_file(src, out, n_colors=3)
    assert record["frames"] == 3 and record["delta_e"] == 0.0
    assert [tuple(f[0, 0, :3]) for f in composited(out)] == colours[1:]
