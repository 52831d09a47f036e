"""quantize.segment_file: the option checker drivers use, and animated inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from quantize.animation import FirstFrameWarning
from quantize.io import DEFAULT_MAX_PIXELS
from quantize.segment_file import check_segment_options, segment_file


def test_check_segment_options_fills_every_default_and_keeps_the_seed_as_given():
    opts = check_segment_options()
    assert opts == {"n_clusters": None, "regions": None, "weights": opts["weights"],
                    "space": "lab", "min_region": None, "seed": None, "force": False,
                    "max_pixels": DEFAULT_MAX_PIXELS, "edges": False}
    assert set(opts["weights"]) == {"color", "intensity", "xy", "texture"}
    # An int seed stays an int, so every file of a batch starts from the same state.
    assert check_segment_options(seed=7)["seed"] == 7


@pytest.mark.parametrize("options, error, match", [
    ({"colour": 3}, TypeError, "colour"),
    ({"regions": 0}, ValueError, "regions"),
    ({"n_clusters": 3, "regions": 4}, ValueError, "give one"),
    ({"edges": "yes"}, TypeError, "edges='yes' should be True or False"),
    ({"max_pixels": 0}, ValueError, "max_pixels"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_check_segment_options_rejects_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        check_segment_options(**options)


def test_the_checked_options_run_the_job_unchanged(tmp_path):
    img = np.zeros((24, 32, 3), dtype=np.uint8)
    img[:, 16:] = (200, 40, 40)
    Image.fromarray(img).save(tmp_path / "two.png")
    opts = check_segment_options(regions=2, edges=True, seed=0)
    record = segment_file(tmp_path / "two.png", tmp_path / "out", **opts)
    assert record["n_regions"] == 2
    assert (tmp_path / "out" / "edges.png").exists()


def test_an_animation_segments_its_first_frame_and_says_so(tmp_path):
    first = np.zeros((20, 30, 3), dtype=np.uint8)
    first[:, 15:] = 255
    second = np.full((20, 30, 3), 128, dtype=np.uint8)
    frames = [Image.fromarray(f) for f in (first, second)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    with pytest.warns(FirstFrameWarning, match=r"anim\.gif: animated \(2 frames\); only the "
                                               r"first frame is segmented"):
        record = segment_file(path, tmp_path / "out", regions=2)
    assert record["n_regions"] == 2
    stats = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert sorted(r["area"] for r in stats["regions"]) == [300, 300]


def test_a_still_image_gives_no_first_frame_warning(tmp_path, recwarn):
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "still.gif")
    segment_file(tmp_path / "still.gif", tmp_path / "out", regions=1)
    assert not [w for w in recwarn if issubclass(w.category, FirstFrameWarning)]
