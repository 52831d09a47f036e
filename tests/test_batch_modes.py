"""quantize.batch.modes: each mode checks its job's options through the job's own checker."""

from __future__ import annotations

import pytest
from PIL import Image

from quantize import batch


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (12, 10), (30, 200, 90)).save(tmp_path / "in" / "a.png")
    return tmp_path


def test_segment_mode_completes_the_options_before_any_file_is_read(tree):
    plan = batch.plan_batch(tree / "in", tree / "out", batch.segment_mode(),
                            options={"regions": 3, "seed": 5})
    assert plan.options["regions"] == 3 and plan.options["seed"] == 5
    assert plan.options["space"] == "lab" and plan.options["edges"] is False
    assert [j.options for j in plan.jobs] == [plan.options]


def test_segment_mode_refuses_bad_options_at_planning(tree):
    with pytest.raises(ValueError, match="regions=0"):
        batch.plan_batch(tree / "in", tree / "out", batch.segment_mode(),
                         options={"regions": 0})
    with pytest.raises(TypeError, match="colors"):
        batch.plan_batch(tree / "in", tree / "out", batch.segment_mode(),
                         options={"colors": 4})


def test_reduce_mode_refuses_an_unknown_option_at_planning(tree):
    with pytest.raises(TypeError, match="unknown reduce option"):
        batch.plan_batch(tree / "in", tree / "out", batch.reduce_mode(),
                         options={"regions": 3})
