"""Animated WebP with alpha: what every frame shows survives reading and each output."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image, ImageSequence

from quantize.animation import ALPHA_THRESHOLD, iter_frames, reduce_animation_file
from quantize.errors import AlphaLossWarning
from quantize.io import load_image
from quantize.webp import alpha_flag_set


def _frames() -> list[np.ndarray]:
    """Three RGBA frames of 12x8: a transparent bar, a half-transparent one and a moving
    blue square on red; the second frame is opaque all over."""
    frames = []
    for i in range(3):
        f = np.zeros((8, 12, 4), np.uint8)
        f[...] = (200, 40, 60, 255)
        if i != 1:
            f[:, :3, 3] = 0
            f[:, 3:5, 3] = 128
        f[2 + i:5 + i, 6:9] = (0, 0, 230, 255)
        frames.append(f)
    return frames


def _webp(path, frames):
    images = [Image.fromarray(f, "RGBA") for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0,
                   lossless=True)
    return path


def _without_alpha_flag(src, dst):
    """``src`` with the alpha flag of its VP8X chunk cleared, its frames left as they are
    (a file some muxers write: browsers show its frames' alpha)."""
    data = bytearray(src.read_bytes())
    assert data[12:16] == b"VP8X" and data[20] & 0x10
    data[20] &= ~0x10
    dst.write_bytes(bytes(data))
    return dst


def _alphas(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.array(f.convert("RGBA"))[..., 3] for f in ImageSequence.Iterator(im)]


@pytest.mark.parametrize("suffix", [".webp", ".gif", ".png"])
@pytest.mark.parametrize("flagged", [True, False])
def test_the_alpha_of_every_webp_frame_survives_in_each_output(tmp_path, suffix, flagged):
    """A GIF keeps binary transparency: alpha 0 stays transparent, 128 (at the threshold)
    and 255 opaque, frame by frame; a WebP and an APNG keep alpha 128 (they too were
    binary). Without the alpha flag, Pillow read the frames as RGB and every output came
    out opaque."""
    src = _webp(tmp_path / "in.webp", _frames())
    if not flagged:
        src = _without_alpha_flag(src, tmp_path / "unflagged.webp")
    out = tmp_path / f"out{suffix}"
    if suffix == ".gif":
        with pytest.warns(AlphaLossWarning, match="translucent"):
            reduce_animation_file(src, out, n_colors=2, seed=0)
        expected = [np.where(f[..., 3] >= ALPHA_THRESHOLD, 255, 0) for f in _frames()]
    else:  # three colours: the red, at 255 and 128, and the blue
        with warnings.catch_warnings():
            warnings.simplefilter("error", AlphaLossWarning)
            reduce_animation_file(src, out, n_colors=3, seed=0)
        expected = [f[..., 3] for f in _frames()]
    got = _alphas(out)
    assert len(got) == 3
    for frame, want in zip(got, expected, strict=True):
        np.testing.assert_array_equal(frame, want)


def test_a_webp_whose_header_does_not_flag_alpha_is_read_with_its_frames_alpha(tmp_path):
    flagged = _webp(tmp_path / "in.webp", _frames())
    unflagged = _without_alpha_flag(flagged, tmp_path / "unflagged.webp")
    for a, b in zip(iter_frames(unflagged), iter_frames(flagged), strict=True):
        np.testing.assert_array_equal(a.rgba, b.rgba)
    loaded = load_image(unflagged)
    assert loaded.alpha is not None
    np.testing.assert_array_equal(loaded.alpha, _frames()[0][..., 3])
    np.testing.assert_array_equal(loaded.rgb, load_image(flagged).rgb)


def test_only_a_webp_whose_frames_hold_unflagged_alpha_is_read_again(tmp_path):
    opaque = [f.copy() for f in _frames()]
    for f in opaque:
        f[..., 3] = 255
    images = [Image.fromarray(f[..., :3]) for f in opaque]
    images[0].save(tmp_path / "rgb.webp", save_all=True, append_images=images[1:],
                   lossless=True)
    flagged = _webp(tmp_path / "in.webp", _frames())
    unflagged = _without_alpha_flag(flagged, tmp_path / "unflagged.webp")
    for path, again in [(tmp_path / "rgb.webp", False), (flagged, False), (unflagged, True)]:
        with Image.open(path) as im:
            data = alpha_flag_set(im)
        assert (data is not None) == again
        if again:
            assert data == flagged.read_bytes()
