"""quantize.reduce.options: check_reduce_options, the checker the drivers call once."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.reduce import check_reduce_options
from quantize.reduce.options import check_options, clear_entry_at


def test_check_reduce_options_fills_the_defaults():
    opts = check_reduce_options()
    assert opts["n_colors"] == 16 and opts["dither"] == 0.0 and opts["space"] == "rgb"
    assert opts["quality"] is None and opts["seed"] == 0 and opts["optimize"] is False
    assert check_reduce_options(quality=3)["n_colors"] is None  # a bound, not a default
    assert check_reduce_options(palette_in="p.gpl")["n_colors"] is None
    assert check_reduce_options(dither=True)["dither"] == 1.0
    assert check_reduce_options(dither=0.25)["dither"] == 0.25
    assert check_reduce_options(dither="ordered")["dither"] == "ordered"
    assert opts["palette_fitted"] is False
    assert check_reduce_options(palette_in="p.gpl", palette_fitted=True)["palette_fitted"]


@pytest.mark.parametrize("options, error, match", [
    ({"colours": 4}, TypeError, "unknown reduce option.*colours.*expected some of n_colors"),
    ({"n_colors": 0}, ValueError, "n_colors=0 should be >= 1"),
    ({"n_colors": 100000}, ValueError, "^n_colors=100000 should be <= 65536, the most "),
    ({"dither": 1.5}, ValueError, "dither=1.5 should be <= 1"),
    ({"dither": "sparkle"}, ValueError, "^dither='sparkle' is not valid; expected a strength "
                                        "from 0 to 1, a bool, 'ordered' or 'pattern'$"),
    ({"dither": "orderd"}, ValueError, "^dither='orderd' is not valid; did you mean "
                                       "'ordered'\\?$"),
    ({"dither": "patern"}, ValueError, "^dither='patern' is not valid; did you mean "
                                       "'pattern'\\?$"),
    ({"dither": "Pattern "}, ValueError, "^dither='Pattern ' is not valid; did you mean "
                                         "'pattern'\\?$"),
    ({"dither": "Ordered"}, ValueError, "^dither='Ordered' is not valid; did you mean "
                                        "'ordered'\\?$"),
    ({"dither": [1]}, TypeError, "^dither=\\[1\\] should be a bool, a number in \\[0, 1\\], "
                                 "'ordered' or 'pattern', got list$"),
    ({"space": "hsv"}, ValueError, "space='hsv' is not valid"),
    ({"space": None}, TypeError, "^space=None should be a str, one of 'rgb', 'lab'; got NoneType$"),
    ({"palette_in": "p.csv"}, ValueError, "palette_in=.*unknown palette extension"),
    ({"palette_in": [[0, 0, 0], [9, 9, 9]], "n_colors": 3}, ValueError,
     "^n_colors=3 is more than palette_in has: 2 colours; expected at most 2, the number of "
     "its entries to map onto$"),
    ({"palette_in": "p.gpl", "exact_colors": True}, ValueError,
     "^palette_in='p.gpl' fixes the colours, so exact_colors=True cannot be given with it$"),
    ({"palette_in": [[0, 0, 0]], "quality": 2, "n_colors": 8}, ValueError,
     "^palette_in fixes the colours, so quality=2 cannot be given with it$"),
    ({"palette_out": "p.png"}, ValueError, "palette_out=.*names an image, and palettes are read "
     "from images but not written as them"),
    ({"max_pixels": 0}, ValueError, "max_pixels=0 should be >= 1"),
    ({"skip_if_larger": "yes"}, TypeError, "skip_if_larger='yes' should be a bool"),
    ({"palette_fitted": True}, ValueError, "^palette_fitted=True needs palette_in beside it: "
                                           "it says how that palette is dithered onto$"),
    ({"palette_in": "p.gpl", "palette_fitted": 1}, TypeError,
     "^palette_fitted=1 should be a bool, got int$"),
])
def test_check_reduce_options_names_the_bad_option(options, error, match):
    with pytest.raises(error, match=match):
        check_reduce_options(**options)


def test_a_quality_beside_a_palette_is_named_as_given():
    """reduce_colors checks quality (2 becomes 2.0) before this rule: it said quality=2.0."""
    from quantize import reduce_colors

    with pytest.raises(ValueError, match="^palette fixes the colours, so quality=2 cannot "):
        reduce_colors(np.zeros((2, 2, 3), np.uint8), quality=2, palette=[[0, 0, 0], [9, 9, 9]])


@pytest.mark.parametrize("n_colors, palette, given", [
    (None, np.column_stack([np.arange(257) % 256, np.arange(257) // 256, np.zeros(257)]
                           ).astype(np.uint8), "a palette of 257"),
    (300, None, "n_colors=300"),
])
def test_dithering_onto_too_many_colours_names_what_gave_them(n_colors, palette, given):
    """It said 'palette size=257', as if a parameter were called so."""
    advice = ("; give n_colors=N \\(N <= 256\\) to map onto the best N of its entries, "
              "which picks N of them and renumbers them from 0 \\(entry i of the palette is "
              "then not index i\\)") if palette is not None else ""
    with pytest.raises(ValueError, match=rf"^dither=0\.5 supports at most 256 colours, got "
                                         rf"{given}{advice}$"):
        check_options(n_colors, None, "rgb", 0.5, False, palette)


@pytest.mark.parametrize("n_colors", [None, 4])
@pytest.mark.parametrize("quality", [None, 2.0])
@pytest.mark.parametrize("exact_colors", [False, True])
def test_a_given_palette_refuses_the_same_options_with_one_wording_everywhere(
        n_colors, quality, exact_colors):
    """reduce_colors, reduce_file (check_reduce_options) and both commands refused these
    combinations with four wordings; they now share check_palette_alone's. n_colors goes
    with a palette (the best n_colors of its entries), and the refusal of quality alone
    says so."""
    given = [f"{k}={v!r}" for k, v in (("quality", quality and 2),
                                       ("exact_colors", exact_colors)) if v not in (None, False)]
    # (a number as a person writes it: quality=2, given 2.0)
    advice = ("; to map onto fewer of them, give n_colors=N, the best N of its entries"
              if quality is not None and n_colors is None else "")
    palette = np.arange(12, dtype=np.uint8).reshape(4, 3)
    for name, call in (("palette_in='p.gpl'", lambda: check_reduce_options(
                           palette_in="p.gpl", n_colors=n_colors, quality=quality,
                           exact_colors=exact_colors)),
                       ("palette_in", lambda: check_reduce_options(
                           palette_in=palette, n_colors=n_colors, quality=quality,
                           exact_colors=exact_colors)),
                       ("palette", lambda: check_options(n_colors, quality, "rgb", 0.0,
                                                         exact_colors, palette))):
        if not given:
            call()
            continue
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == (f"{name} fixes the colours, so {' and '.join(given)} cannot "
                                  f"be given with it{advice}")


PALETTE_MODE_HINT = ("is not valid; expected one of 'global', 'per-frame' (how an animation's "
                     "frames get their colours); colours to map onto, or a palette file, go in "
                     "palette_in=...")


@pytest.mark.parametrize(("palette", "given"), [
    (np.array([[0, 0, 0], [255, 255, 255]], np.uint8), "palette (a ndarray)"),
    ([[0, 0, 0], [255, 255, 255]], "palette (a list)"),
    ("brand.gpl", "palette='brand.gpl'"),
    ("local", "palette='local'"),
])
def test_colours_given_as_palette_to_the_file_job_point_at_palette_in(palette, given):
    """reduce_colors takes colours as palette=; reduce_file's palette= is the animation
    mode, and colours passed there were refused as "not valid; expected one of 'global',
    'per-frame'" (an array over several lines), with no word of palette_in."""
    with pytest.raises(ValueError) as err:
        check_reduce_options(palette=palette)
    assert str(err.value) == f"{given} {PALETTE_MODE_HINT}"
    assert check_reduce_options(palette_in=[[0, 0, 0], [255, 255, 255]])["palette"] == "global"


def _counting_generators(monkeypatch) -> list[object]:
    """Record the seed of each Generator NumPy makes from now on."""
    made, default_rng = [], np.random.default_rng

    def counted(seed=None):
        made.append(seed)
        return default_rng(seed)

    monkeypatch.setattr(np.random, "default_rng", counted)
    return made


@pytest.mark.parametrize("seed, error, match", [
    (-1, ValueError, r"^seed=-1 should be >= 0$"),
    (1.5, TypeError, r"^seed=1\.5 should be an int, a numpy Generator or None, got float$"),
    (True, TypeError, r"^seed=True should be an int, a numpy Generator or None, got bool$"),
])
def test_the_seed_is_checked_without_making_a_generator(monkeypatch, seed, error, match):
    made = _counting_generators(monkeypatch)
    assert check_reduce_options(seed=7)["seed"] == 7
    assert made == []
    with pytest.raises(error, match=match):
        check_reduce_options(seed=seed)


def test_a_file_job_makes_one_generator_from_its_seed(tmp_path, monkeypatch):
    from PIL import Image

    from quantize.reduce import reduce_file

    src = tmp_path / "in.png"
    Image.fromarray(np.array([[[0, 0, 0], [9, 9, 9], [200, 0, 0]]], np.uint8)).save(src)
    made = _counting_generators(monkeypatch)
    assert reduce_file(src, tmp_path / "out.png", n_colors=2, seed=5)["seed"] == 5
    assert made == [5]


def test_ordered_dithering_onto_too_many_colours_is_refused_as_typed():
    with pytest.raises(ValueError, match="^dither=ordered supports at most 256 colours, got "
                                         "n_colors=300$"):
        check_options(300, None, "rgb", "ordered", False, None)


def test_ordered_dithering_is_recorded_by_name():
    from quantize.reduce.records import recorded_options

    assert recorded_options(check_reduce_options(dither="ordered"))["dither"] == "ordered"


@pytest.mark.parametrize("rows, still, animated", [
    ([[1, 1, 1, 255], [2, 2, 2, 255], [3, 3, 3, 255]], 3, 3),  # none: after the last
    ([[0, 0, 0, 0], [1, 1, 1, 255], [2, 2, 2, 255]], 0, 0),           # first
    ([[1, 1, 1, 255], [2, 2, 2, 255], [0, 0, 0, 0], [3, 3, 3, 255]], 2, 2),  # middle
    ([[1, 1, 1, 255], [2, 2, 2, 255], [9, 9, 9, 0], [0, 0, 0, 0]], 2, 2),  # the first of two
    ([[1, 1, 1, 255], [2, 2, 2, 64], [0, 0, 0, 0], [3, 3, 3, 255]], 2, 1),  # alpha 64: no frame
    ([[1, 1, 1, 255], [1, 1, 1, 255], [0, 0, 0, 0], [3, 3, 3, 255]], 1, 1),  # a repeat: once
])
def test_a_transparent_entry_is_numbered_after_the_entries_drawn_before_it(rows, still,
                                                                            animated):
    palette = np.array(rows, np.uint8)
    assert clear_entry_at(palette, animated=False) == still
    assert clear_entry_at(palette, animated=True) == animated
    # no alpha: after its colours, each once
    for animated in (False, True):
        assert clear_entry_at(palette[:, :3], animated=animated) == len(
            np.unique(palette[:, :3], axis=0))
