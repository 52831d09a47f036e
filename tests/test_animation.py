"""quantize.animation (the package): first_frame_note, for jobs that use only the first frame."""

from __future__ import annotations

from PIL import Image

from quantize.animation import count_frames, first_frame_note

from .animation_support import moving_square, save_animation


def test_one_frame_gif_is_not_an_animation(tmp_path):
    still = tmp_path / "still.gif"
    Image.fromarray(moving_square(1)[0]).save(still)
    assert count_frames(still) == 1
    assert first_frame_note(still) is None
    anim = save_animation(tmp_path / "anim.gif", moving_square(), duration=50)
    assert first_frame_note(anim) == "animated (3 frames); only the first frame is segmented"


def test_the_pages_of_a_tiff_are_called_pages(tmp_path):
    pages = tmp_path / "scan.tif"
    images = [Image.new("RGB", (6, 4), c) for c in ((200, 0, 0), (0, 200, 0))]
    images[0].save(pages, save_all=True, append_images=images[1:])
    assert first_frame_note(pages) == "2 pages; only the first page is segmented"
    assert first_frame_note(pages, 2, "TIFF") == first_frame_note(pages)
