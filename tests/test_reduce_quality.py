"""quantize.reduce.quality: the fewest colours that meet a mean CIEDE2000 target."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.errors import QualityError
from quantize.reduce.fit import Histogram
from quantize.reduce.quality import search_quality, smallest_k

FOUR = np.array([[230, 30, 40], [20, 160, 60], [30, 40, 200], [250, 240, 230]], np.uint8)


@pytest.mark.parametrize("geometric", [False, True])
@pytest.mark.parametrize("guess", [-3, 1, 5, 16, 40, 99])
def test_smallest_k_finds_every_threshold_from_any_guess(guess, geometric):
    for threshold in range(1, 41):
        asked = []

        def test(k, threshold=threshold, asked=asked):
            asked.append(k)
            return k >= threshold

        assert smallest_k(test, guess, 40, geometric=geometric) == threshold
        assert 1 <= min(asked) and max(asked) <= 40  # never outside [1, k_max]


def test_smallest_k_is_none_when_k_max_is_not_enough():
    assert smallest_k(lambda k: k >= 41, 8, 40, geometric=True) is None
    assert smallest_k(lambda k: False, 1, 1, geometric=False) is None


def test_smallest_k_asks_few_questions_near_a_good_guess():
    asked = []

    def test(k):
        asked.append(k)
        return k >= 37

    assert smallest_k(test, 37, 256, geometric=False) == 37
    assert sorted(asked) == [36, 37]


def test_quality_zero_keeps_every_colour_and_a_loose_target_fewer():
    hist = Histogram(FOUR, np.array([40.0, 30.0, 20.0, 10.0]), "rgb")
    palette, labels = search_quality(hist, 0.0, 256, False, np.random.default_rng(0))
    assert sorted(map(tuple, palette.tolist())) == sorted(map(tuple, FOUR.tolist()))
    assert np.array_equal(palette[labels], FOUR)
    palette, _ = search_quality(hist, 100.0, 256, False, np.random.default_rng(0))
    assert palette.shape == (1, 3)


def test_an_unreachable_quality_says_how_many_colours_were_allowed():
    hist = Histogram(FOUR, np.ones(4), "rgb")
    with pytest.raises(QualityError, match=r"quality=0\.5: mean CIEDE2000 <= 0\.5 needs more "
                                           r"than 2 colours"):
        search_quality(hist, 0.5, 2, False, np.random.default_rng(0))
