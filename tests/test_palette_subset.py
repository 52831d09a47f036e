"""n_colors beside a given palette: the best n_colors of its entries for the image."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import reduce_colors
from quantize.cli import app
from quantize.reduce import reduce_file
from quantize.reduce.fit import features_of
from quantize.reduce.subset import choose_entries, mapping_error

#: A 2 x 2 image of four colours, and a palette of 8: an entry near each (rows 1, 3, 5,
#: 6) and four far from all of them.
FOUR = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [250, 250, 250]]], np.uint8)
EIGHT = np.array([[0, 0, 0], [250, 10, 10], [128, 128, 128], [10, 240, 10],
                  [255, 255, 0], [10, 10, 245], [255, 255, 255], [0, 255, 255]], np.uint8)


def _threads(path: Path, colors: np.ndarray) -> Path:
    """A .gpl palette naming entry i "Thread i"."""
    lines = ["GIMP Palette", "Name: Threads", "#"]
    lines += [f"{r} {g} {b}\tThread {i}" for i, (r, g, b) in enumerate(colors.tolist())]
    path.write_text("\n".join(lines) + "\n")
    return path


def _random_palette(n: int, seed: int = 0) -> np.ndarray:
    colors = np.random.default_rng(seed).integers(0, 256, (n, 3), dtype=np.uint8)
    return colors[np.sort(np.unique(colors, axis=0, return_index=True)[1])]


def _photo(side: int = 48) -> np.ndarray:
    """Four quadrants of colour with seeded noise."""
    rng = np.random.default_rng(3)
    image = np.zeros((side, side, 3), np.float64)
    half = side // 2
    for (r, c), color in zip(itertools.product((0, half), (0, half)),
                             ([200, 40, 40], [40, 160, 60], [30, 40, 190], [230, 220, 200]),
                             strict=True):
        image[r:r + half, c:c + half] = color
    return np.clip(image + rng.normal(0, 18, image.shape), 0, 255).astype(np.uint8)


def test_n_colors_beside_a_palette_maps_onto_the_entries_nearest_the_image():
    result = reduce_colors(FOUR, 4, palette=EIGHT)
    assert result.palette.tolist() == EIGHT[[1, 3, 5, 6]].tolist()  # in the palette's order
    assert result.indices.tolist() == [[0, 1], [2, 3]]


def test_fewer_entries_than_the_image_takes_drop_the_one_that_costs_least():
    # the white pixel moves to grey (128) at least cost; red, green and blue stay
    image = np.concatenate([FOUR, FOUR[:1]], axis=0)  # red and green twice
    result = reduce_colors(image, 3, palette=EIGHT)
    assert result.palette.tolist() == EIGHT[[1, 3, 5]].tolist()
    assert reduce_colors(FOUR, 1, palette=EIGHT).palette.tolist() == [[128, 128, 128]]


def test_the_image_taking_fewer_entries_than_n_colors_gets_those_it_takes():
    result = reduce_colors(FOUR, 6, palette=EIGHT)
    assert result.palette.tolist() == EIGHT[[1, 3, 5, 6]].tolist()


@pytest.mark.parametrize("seed", range(6))
def test_the_entries_chosen_have_the_least_error_of_every_subset_on_small_cases(seed):
    rng = np.random.default_rng(seed)
    colors = rng.integers(0, 256, (12, 3)).astype(np.uint8)
    counts = rng.integers(1, 50, 12)
    entries = features_of(_random_palette(8, seed + 10), "rgb")
    features = features_of(colors, "rgb")
    chosen = choose_entries(features, counts, entries, 3)
    best = min(mapping_error(features, counts, entries[list(rows)])
               for rows in itertools.combinations(range(8), 3))
    assert chosen.size == 3
    assert mapping_error(features, counts, entries[chosen]) == pytest.approx(best)


@pytest.mark.parametrize("pinned", [[3], [0, 3], [2]])
def test_pinned_entries_are_always_chosen_the_others_the_best_around_them(pinned):
    colors, counts = np.array([[0.], [10.], [100.]]), np.array([5, 5, 1])
    entries = np.array([[0.], [9.], [50.], [99.]])
    chosen = choose_entries(colors, counts, entries, 2, pinned=np.array(pinned))
    assert set(pinned) <= set(chosen.tolist()) and chosen.size == 2
    best = min((mapping_error(colors, counts, entries[[*pinned, other]]), other)
               for other in range(4) if other not in pinned) if len(pinned) == 1 else None
    if best is not None:
        assert sorted(chosen.tolist()) == sorted([*pinned, best[1]])


def test_the_swap_passes_leave_the_greedy_choice_when_it_is_beaten():
    # Dropping keeps 0 or 10 for the four pixels at 0 and 10 (their own entries); the
    # single entry 5, which the image never takes, draws them with less error.
    features = np.array([[0.0], [10.0]])
    entries = np.array([[0.0], [5.0], [10.0]])
    assert choose_entries(features, np.array([2, 2]), entries, 1).tolist() == [1]


def test_the_choice_does_not_depend_on_the_palette_order_and_leaves_it_unchanged():
    palette = _random_palette(60)
    kept = palette.copy()
    image = _photo()
    one = reduce_colors(image, 6, palette=palette)
    other = reduce_colors(image, 6, palette=palette[::-1])
    assert np.array_equal(palette, kept)
    assert sorted(one.palette.tolist()) == sorted(other.palette.tolist())
    assert np.array_equal(one.palette[one.indices], other.palette[other.indices])


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_the_best_k_draw_with_no_more_error_than_snapping_a_fit_to_the_palette(space):
    palette = _random_palette(120)
    image = _photo()
    ours = reduce_colors(image, 4, palette=palette, space=space)
    fitted = reduce_colors(image, 4, seed=0, space=space).palette
    near = np.unique(np.argmin(((features_of(fitted, space)[:, None]
                                 - features_of(palette, space)[None]) ** 2).sum(-1), axis=1))
    snapped = reduce_colors(image, palette=palette[near], space=space)

    def error(result):
        drawn = features_of(result.palette[result.indices].reshape(-1, 3), space)
        return float(((drawn - features_of(image.reshape(-1, 3), space)) ** 2).sum())

    assert error(ours) <= error(snapped)


def test_more_colours_than_the_palette_holds_are_refused_naming_both():
    with pytest.raises(ValueError, match=r"^n_colors=9 is more than palette has: 8 colours; "
                                         r"expected at most 8, the number of its entries to "
                                         r"map onto$"):
        reduce_colors(FOUR, 9, palette=EIGHT)


def test_quality_beside_a_palette_is_refused_saying_to_give_n_colors():
    with pytest.raises(ValueError, match=r"quality=2 cannot be given with it; to map onto "
                                         r"fewer of them, give n_colors=N, the best N of its "
                                         r"entries$"):
        reduce_colors(FOUR, quality=2, palette=EIGHT)


def test_a_palette_of_450_with_16_chosen_writes_an_indexed_png_of_16(tmp_path):
    src = tmp_path / "photo.png"
    Image.fromarray(_photo()).save(src)
    threads = _threads(tmp_path / "threads.gpl", _random_palette(450))
    record = reduce_file(src, tmp_path / "out.png", n_colors=16, palette_in=threads,
                         dither=True)
    with Image.open(tmp_path / "out.png") as im:
        assert im.mode == "P"
        assert len(im.getpalette()) // 3 <= 16
        assert len(np.unique(np.asarray(im))) <= 16
    assert record["k"] <= 16


def test_the_chosen_entries_keep_their_names_and_the_default_name_says_n(tmp_path):
    src = tmp_path / "flag.png"
    Image.fromarray(np.repeat(np.repeat(FOUR, 3, 0), 3, 1)).save(src)
    threads = _threads(tmp_path / "threads.gpl", EIGHT)
    record = reduce_file(src, n_colors=4, palette_in=threads,
                         palette_out=tmp_path / "chosen.gpl")
    assert Path(record["output"]).name == "flag.k4.png"
    assert [e["name"] for e in record["palette"]] == ["Thread 1", "Thread 3", "Thread 5",
                                                      "Thread 6"]
    written = (tmp_path / "chosen.gpl").read_text()
    assert "Name: Threads" in written
    assert [line.split("\t")[1].split(" #")[0] for line in written.splitlines()
            if "\t" in line] == ["Thread 1", "Thread 3", "Thread 5", "Thread 6"]
    with Image.open(record["output"]) as im:
        assert im.getpalette()[:12] == EIGHT[[1, 3, 5, 6]].ravel().tolist()


def test_the_command_chooses_the_best_k_of_a_large_palette_and_says_so_without_it(tmp_path):
    src = tmp_path / "photo.png"
    Image.fromarray(_photo()).save(src)
    threads = _threads(tmp_path / "threads.gpl", _random_palette(300))
    refused = CliRunner().invoke(app, ["reduce", str(src), "--palette-in", str(threads),
                                       "-o", str(tmp_path / "all.png")])
    assert refused.exit_code == 2
    assert "holds 300 colours, more than a palette image holds: at most 256 colours; give " \
           "-k/--colors=N (N <= 256) to map onto the best N of its entries" in refused.output
    made = CliRunner().invoke(app, ["reduce", str(src), "--palette-in", str(threads),
                                    "-k", "8", "-o", str(tmp_path / "eight.png")])
    assert made.exit_code == 0, made.output
    with Image.open(tmp_path / "eight.png") as im:
        assert len(im.getpalette()) // 3 <= 8
    too_many = CliRunner().invoke(app, ["reduce", str(src), "--palette-in", str(threads),
                                        "-k", "301", "-o", str(tmp_path / "many.tif")])
    assert too_many.exit_code == 2
    assert "-k/--colors=301 is more than --palette-in=" in too_many.output
    assert "has: 300 colours; expected at most 300" in too_many.output


def test_batch_with_a_palette_and_k_writes_what_reduce_writes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_photo()).save(folder / "photo.png")
    threads = _threads(tmp_path / "threads.gpl", _random_palette(300))
    ran = CliRunner().invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"),
                                   "--palette-in", str(threads), "-k", "8"])
    assert ran.exit_code == 0, ran.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reduce_file(folder / "photo.png", tmp_path / "alone.png", n_colors=8,
                    palette_in=threads)
    assert (tmp_path / "out" / "photo.png").read_bytes() == \
        (tmp_path / "alone.png").read_bytes()
    refused = CliRunner().invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out2"),
                                       "--palette-in", str(threads)])
    assert refused.exit_code == 2
    assert ("give -k/--colors=N (N <= 256) to map onto the best N of its entries, which picks N "
            "of them and renumbers them from 0 (entry i of the palette is then not index i); or "
            "use fewer colours") in refused.output


def test_an_animation_refuses_n_colors_beside_a_palette(tmp_path):
    frames = [Image.fromarray(np.full((4, 4, 3), v, np.uint8)) for v in (0, 200)]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(ValueError, match=r"^n_colors=2 with palette_in: the best entries of a "
                                         r"palette are chosen for a still image"):
        reduce_file(src, tmp_path / "out.gif", n_colors=2, palette_in=EIGHT)
