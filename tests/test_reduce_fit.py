"""quantize.reduce.fit: fit_palette, a colour histogram to a palette."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import quantize
from quantize.reduce import ColorCountWarning, fit_palette

from .memory_support import peak_bytes

FOUR = np.array([[230, 30, 40], [20, 160, 60], [30, 40, 200], [250, 240, 230]], np.uint8)


def test_weights_equal_repeated_colours():
    colors = np.array([[0, 0, 0], [10, 0, 0], [200, 200, 0], [210, 190, 0], [0, 0, 255]],
                      np.uint8)
    counts = np.array([3, 1, 2, 2, 5])
    repeated = np.repeat(colors, counts, axis=0)
    weighted = fit_palette(colors, counts, 3, seed=0)
    assert np.array_equal(fit_palette(repeated, np.ones(len(repeated)), 3, seed=0), weighted)
    # black holds 3 of its entry's 4 pixels, so is kept; the other two colours share theirs
    assert weighted.tolist() == [[0, 0, 255], [0, 0, 0], [205, 195, 0]]


def test_fit_palette_validates_its_histogram():
    with pytest.raises(ValueError, match=r"counts should have shape \(2,\)"):
        fit_palette(FOUR[:2], [1, 2, 3], 2)
    with pytest.raises(TypeError) as refused:
        fit_palette(FOUR / 255, [1, 1, 1, 1], 2)
    assert str(refused.value) == (
        "colors should hold integers 0..255, got dtype float64; for values 0..1 pass "
        "np.rint(colors * 255).astype(np.uint8), for 0..255 np.rint(colors).astype(np.uint8)")
    with pytest.raises(ValueError, match=r"^colors should hold integers 0\.\.255, got "
                                         r"values from -1 to 230$"):
        fit_palette(np.vstack([FOUR[:3], [-1, 0, 0]]), [1, 1, 1, 1], 2)
    with pytest.raises(ValueError, match=r"^colors should have shape \(k, 3\) or \(k, 4\) "
                                         r"with k >= 1, got \(0, 3\)$"):
        fit_palette(FOUR[:0], [], 2)
    with pytest.raises(TypeError, match=r"^counts should be real numbers, got dtype <U1$"):
        fit_palette(FOUR, ["1", "1", "1", "1"], 2)
    with pytest.raises(TypeError, match=r"^counts should be real numbers, got dtype complex"):
        fit_palette(FOUR, [1j, 1, 1, 1], 2)
    with pytest.warns(ColorCountWarning) as caught:  # None means the default
        assert fit_palette(FOUR, [1, 1, 1, 1], None, seed=0).shape == (4, 3)
    # it spoke of "the image" for colours that may be pooled from many
    assert [str(w.message) for w in caught] == [
        "n_colors=16 but colors has only 4 distinct colours; returning those 4"]
    with pytest.raises(TypeError, match="exact_colors='no' should be a bool, got str"):
        fit_palette(FOUR, [1, 1, 1, 1], 2, exact_colors="no")  # was read as True
    with pytest.raises(ValueError, match=r"^n_colors=0 should be >= 1$"):
        fit_palette(FOUR, [1, 1, 1, 1], 0)
    with pytest.raises(ValueError, match=r"^n_colors=65537 should be <= 65536, the most "):
        fit_palette(FOUR, [1, 1, 1, 1], 65537)  # was taken, as any number
    with pytest.warns(ColorCountWarning):  # the bound itself is taken
        assert fit_palette(FOUR, [1, 1, 1, 1], 65536, seed=0).shape == (4, 3)
    # finite counts whose sum overflows were refused by the k-means core under its
    # own name ("sample_weight sums to inf"), after NumPy's overflow warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^counts sum to inf; expected a finite sum "
                                             r"\(rescale the counts\)$"):
            fit_palette(FOUR, [1e308, 1e308, 1, 1], 2, seed=0)


def test_fit_palette_takes_colours_as_any_integer_array_like():
    # Documented as array_like, yet a list (int64 to NumPy) or an int array of the
    # same colours was refused for not being uint8, where reduce_colors(palette=...)
    # and write_palette take them.
    counts = [3, 1, 2, 5]
    expected = fit_palette(FOUR, counts, 2, seed=0)
    assert fit_palette(FOUR.tolist(), counts, 2, seed=0).tolist() == expected.tolist()
    assert fit_palette(FOUR.astype(np.int64), counts, 2, seed=0).dtype == np.uint8
    assert np.array_equal(fit_palette(FOUR.astype(np.uint16), counts, 2, seed=0), expected)


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("rows", [1, 2, 17, 300])
def test_distinct_rows_equal_numpys_unique_rows(channels, rows):
    from quantize.reduce.fit import distinct_rows

    rng = np.random.default_rng(rows * channels)
    palette = (rng.integers(0, 4, (rows, channels)) * 85).astype(np.uint8)  # many repeats
    np.testing.assert_array_equal(distinct_rows(palette), np.unique(palette, axis=0))


def test_colours_with_alpha_that_fill_many_cells_are_summarised_on_wider_cells(spy):
    """Opaque colours and a few alphas keep 8-level cells; many alphas get 16-level ones."""
    from quantize.reduce import fit as fit_module

    shifts = spy(fit_module, "cell_summary", lambda colors, counts, features, shift: shift)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 128, (60_000, 3), dtype=np.uint8)  # 4,096 cells of 8 levels
    for alphas, expected in [(None, [3]), ([128, 255], [3]), (np.arange(1, 256), [4])]:
        colors = rgb if alphas is None else np.column_stack(
            [rgb, rng.choice(np.asarray(alphas, np.uint8), len(rgb))])
        shifts.clear()
        palette = fit_palette(colors, np.ones(len(colors)), 8, seed=0)
        assert shifts == expected and palette.shape == (8, colors.shape[1])


@pytest.fixture
def fit_rows(monkeypatch):
    """The cell sizes (shifts) summarised and the rows MiniBatchKMeans was fitted on."""
    from quantize.reduce import fit as fit_module

    shifts, rows = [], []
    summary = fit_module.cell_summary

    class Spy(fit_module.MiniBatchKMeans):
        def fit(self, data, sample_weight=None):
            rows.append(data.shape[0])
            return super().fit(data, sample_weight=sample_weight)

    monkeypatch.setattr(fit_module, "cell_summary",
                        lambda *a, **kw: shifts.append(a[3]) or summary(*a, **kw))
    monkeypatch.setattr(fit_module, "MiniBatchKMeans", Spy)
    return shifts, rows


@pytest.mark.parametrize("m, fitted", [(8192, "colours"), (8193, 2), (16_384, 2),
                                       (16_385, 3)])
def test_colours_beyond_those_fitted_together_are_summarised_on_fine_cells(fit_rows, m,
                                                                          fitted):
    """Up to 8,192 colours the fit is on them; up to 16,384 on cells 4 levels wide (their
    seedings would no longer run together), beyond on cells 8 levels wide."""
    from quantize.reduce import fit as fit_module

    shifts, rows = fit_rows
    codes = np.random.default_rng(m).choice(1 << 24, m, replace=False)  # m distinct colours
    colors = np.column_stack([codes >> 16, codes >> 8 & 255, codes & 255]).astype(np.uint8)
    counts = np.ones(m)
    palette = fit_palette(colors, counts, 16, seed=0)
    assert palette.shape == (16, 3)
    if fitted == "colours":
        assert shifts == [] and rows == [m]
    else:
        assert shifts == [fitted]
        assert rows == [fit_module.occupied_cells(colors, fitted)] and rows[0] < m


# Four blocks of 11 x 11 x 11 colours (5,324), 1,024 cells 4 levels wide: a photo crop's
# colour count, filling few of those cells as a photo's do.
_CORNERS = np.array([[0, 0, 0], [100, 0, 200], [200, 100, 0], [40, 200, 100]])
_BLOCKS = (_CORNERS[:, None] + np.stack(np.meshgrid(*[np.arange(11)] * 3, indexing="ij"),
                                        -1).reshape(1, -1, 3)).reshape(-1, 3).astype(np.uint8)


def test_a_still_photos_colours_up_to_8192_are_seeded_on_cells_and_compared_on_themselves(
        fit_rows):
    """From 1,025 to 8,192 colours of a still image filling at most half as many cells 4
    levels wide (a photo crop's), the seedings are made and settled on the cells, not on
    every colour (which made a 112 px crop cost more than a 128 px one), then compared on
    the colours: four blocks of 11 x 11 x 11 colours get their means exactly."""
    shifts, rows = fit_rows
    result = quantize.reduce_colors(_BLOCKS.reshape(44, 121, 3), 4, seed=0)
    assert shifts == [2] and rows == []
    assert sorted(result.palette.tolist()) == sorted((_CORNERS + 5).tolist())


# 32 x 32 x 8 colours 4 levels apart (8,192, each alone in its 4-level cell) around four
# corners: 1,024 cells 8 levels wide, an eighth of the colours, as a photo crop's scattered
# colours fill them; 32 x 32 x 16 of them (16,384) fill 2,048 such cells.
def _spread_blocks(depth: int) -> np.ndarray:
    grid = np.stack(np.meshgrid(np.arange(16), np.arange(16), np.arange(depth),
                                indexing="ij"), -1).reshape(-1, 3) * 4
    corners = np.array([[0, 0, 0], [0, 128, 0], [128, 0, 0], [128, 128, 0]])
    return (corners[:, None] + grid[None]).reshape(-1, 3).astype(np.uint8)


@pytest.mark.parametrize("depth", [8, 16])
def test_a_still_photos_scattered_colours_up_to_16384_are_seeded_on_wider_cells(fit_rows,
                                                                               depth):
    """Colours of a still image that fill more than 0.3 of their number in cells 4 levels
    wide (a photo crop's: 0.6-0.8 for china) are seeded on cells 8 levels wide when those
    number at most half, up to 16,384 colours: they were fitted on every colour up to 8,192, on the
    4-level cells above (a 128 px crop of china took longer than the whole photo). Four
    blocks of colours get their means exactly."""
    shifts, rows = fit_rows
    colors = _spread_blocks(depth)
    result = quantize.reduce_colors(colors.reshape(64, -1, 3), 4, seed=0)
    assert shifts == [3] and rows == []
    means = np.rint(colors.reshape(4, -1, 3).mean(axis=1)).astype(int)
    assert sorted(result.palette.tolist()) == sorted(means.tolist())


@pytest.mark.parametrize("k", [4, 16])
def test_a_tiny_image_of_at_most_k_colours_comes_back_exactly(rng, k):
    """However the fit is routed, an image with no more colours than k is its own palette
    image: every pixel keeps its colour."""
    codes = rng.choice(1 << 24, k, replace=False)
    palette = np.column_stack([codes >> 16, codes >> 8 & 255, codes & 255]).astype(np.uint8)
    image = palette[rng.permutation(np.arange(35) % k)].reshape(7, 5, 3)
    out = quantize.reduce_colors(image, k, seed=0).to_rgb()
    np.testing.assert_array_equal(out, image)


def test_pooled_colours_up_to_8192_are_fitted_on_themselves(fit_rows):
    """fit_palette's colours, pooled from an animation's frames or a batch's images, keep
    the fit on every colour: seeded on cells, an animation's palette changed (the 60-frame
    pan of the animation benchmark grew 1.2 % at 32 colours)."""
    shifts, rows = fit_rows
    palette = fit_palette(_BLOCKS, np.ones(len(_BLOCKS)), 4, seed=0)
    assert shifts == [] and rows == [len(_BLOCKS)]
    assert sorted(palette.tolist()) == sorted((_CORNERS + 5).tolist())


@pytest.mark.parametrize("name, options, still, fits", [
    ("still.png", {"n_colors": 4}, True, 1),
    ("still.png", {"quality": 2}, True, None),  # the quality search's fits
    ("still.gif", {"n_colors": 4}, True, 1),
    ("moving.png", {"n_colors": 4}, False, 1),
    ("moving.png", {"n_colors": 4, "palette": "per-frame"}, False, 2),
    ("moving.png", {"quality": 2}, False, None),
])
def test_only_a_still_images_fit_is_seeded_on_cells(tmp_path, spy, name, options, still,
                                                     fits):
    """reduce_file fits a still's colours (a one-frame GIF's too) with ``seed_on_cells``,
    an animation's (its frames' pooled, or each frame's own) without: an animation keeps
    the fit on every colour, as :func:`fit_palette` gives it."""
    from PIL import Image

    from quantize.reduce import fit as fit_module
    from quantize.reduce import reduce_file

    flags = spy(fit_module, "_fit_centers", lambda *args: args[6])
    frame = _BLOCKS.reshape(44, 121, 3)
    frames = [Image.fromarray(frame), Image.fromarray(np.ascontiguousarray(frame[::-1]))]
    src = tmp_path / name
    if name.startswith("moving"):
        frames[0].save(src, save_all=True, append_images=frames[1:], duration=50)
    else:
        frames[0].save(src)
    reduce_file(src, tmp_path / "out.gif", force=True, **options)
    assert set(flags) == {still}
    assert fits is None or len(flags) == fits


@pytest.mark.parametrize("k, seed", [(64, 0), (64, 1), (256, 0)])
def test_two_heavy_colours_of_one_cell_keep_an_entry_each(k, seed):
    """A screenshot's white and #fafafa backgrounds fall in one summary cell; pooled, they
    became one entry between them (#fefefe), which the exact passes did not split."""
    rng = np.random.default_rng(0)
    others = rng.integers(0, 256, (20_000, 3), dtype=np.uint8)  # summarised: > 8,192
    colors = np.vstack([[[255, 255, 255], [250, 250, 250]], others]).astype(np.uint8)
    counts = np.concatenate([[60_000, 20_000], np.ones(len(others))])
    palette = fit_palette(colors, counts, k, seed=seed)
    entries = {tuple(entry) for entry in palette.tolist()}
    assert {(255, 255, 255), (250, 250, 250)} <= entries


@pytest.mark.parametrize("channels, shift", [(3, 2), (3, 3), (4, 2), (4, 3), (4, 4)])
def test_occupied_cells_counts_the_rows_of_the_cell_summary(rng, channels, shift):
    from quantize.reduce.fit import cell_summary, features_of, occupied_cells

    colors = rng.integers(0, 256, (5000, channels), dtype=np.uint8)
    colors[:, :3] //= 3  # crowd the low cells
    summary, _ = cell_summary(colors, np.ones(len(colors)), features_of(colors, "rgb"), shift)
    assert occupied_cells(colors, shift) == summary.shape[0]


@pytest.mark.parametrize("channels, shift", [(3, 1), (3, 3), (4, 1), (4, 2), (4, 4)])
def test_cell_numbers_are_numpys_multi_index_of_the_levels(rng, channels, shift):
    """A colour's cell is numbered as np.ravel_multi_index numbers its levels, the first
    channel the most significant, up to the largest cell (all four channels 255)."""
    from quantize.reduce.fit import _cell_numbers

    colors = rng.integers(0, 256, (3000, channels), dtype=np.uint8)
    colors[0] = 255
    side = 256 >> shift
    cell, n_cells = _cell_numbers(colors, shift)
    levels = tuple((colors >> shift).T.astype(np.intp))
    assert n_cells == side ** channels
    assert np.array_equal(cell, np.ravel_multi_index(levels, (side,) * channels))
    assert cell[0] == n_cells - 1


@pytest.mark.parametrize("k, rows, single", [(16, 64, False), (300, 4096, True)])
def test_the_summary_has_four_cells_a_colour_and_many_colours_one_seeding(monkeypatch, k,
                                                                          rows, single):
    """40,000 colours in a 32-level cube fill 64 coarse cells: enough for k = 16; k = 300
    gets the 4,096 cells two levels wide (not all 40,000 colours), and one seeding."""
    from quantize.reduce import fit as fit_module

    seen = []

    class Spy(fit_module.MiniBatchKMeans):
        def fit(self, data, sample_weight=None):
            seen.append((data.shape[0], self.n_init))
            return super().fit(data, sample_weight=sample_weight)

    monkeypatch.setattr(fit_module, "MiniBatchKMeans", Spy)
    cube = np.stack(np.meshgrid(*[np.arange(32)] * 3, indexing="ij"), -1).reshape(-1, 3)
    colors = (cube[np.random.default_rng(0).permutation(len(cube))[:40_000]] + 96)
    colors = colors.astype(np.uint8)
    assert colors.shape[0] > fit_module.DIRECT_FIT_MAX
    fit_palette(colors, np.ones(len(colors)), k, seed=0)
    assert seen[0][0] == rows
    assert (seen[0][1] == 1) == single


def test_seedings_are_as_many_as_the_summary_allows_and_fewer_for_many_colours():
    """From 32 to 128 colours a small summary gets 4 seedings and swaps, not 8 seedings;
    a large one (past SWAP_ROWS points) as many seedings as before and no swaps."""
    from quantize.reduce.fit import _seedings, _swap_trials

    ks = (16, 31, 32, 128, 129, 256, 257, 4096)
    assert [_seedings(4_000, k) for k in ks] == [8, 8, 4, 4, 3, 3, 1, 1]
    assert [_swap_trials(4_000, k) for k in ks] == [0, 0, 8, 8, 0, 0, 0, 0]
    assert [_seedings(n, 64) for n in (1_000, 40_000, 200_000)] == [4, 6, 3]
    assert [_swap_trials(n, 64) for n in (16_384, 16_385)] == [8, 0]
    assert [_seedings(n, 16) for n in (1_000, 40_000, 200_000)] == [8, 6, 3]


def test_a_summary_whose_run_compares_seedings_gets_one_run_from_64_colours():
    """49,000 points (the 12 MP benchmark photo's fine cells): a run compares two seedings
    on samples, so from 64 colours one run, below it the two that make its 5 seedings;
    20,000 points: one seeding a run, as many runs as seedings at any k."""
    from quantize.kmeans_run import seedings_per_run
    from quantize.reduce.fit import _runs, _seedings

    assert seedings_per_run(49_000) == 2 and _seedings(49_000, 16) == 5
    assert [_runs(49_000, k) for k in (16, 32, 63, 64, 128, 300)] == [2, 2, 2, 1, 1, 1]
    assert seedings_per_run(20_000) == 1
    assert [_runs(20_000, k) for k in (16, 64, 129)] == [8, 8, 3]


@pytest.mark.parametrize("k, trials", [(16, 0), (32, 8), (128, 8), (129, 0)])
def test_the_summary_fit_tries_swaps_from_32_to_128_colours(monkeypatch, k, trials):
    from quantize.reduce import fit as fit_module

    seen = []

    def spy(data, weights, centers, n, fixed=0):
        seen.append((data.shape[0], weights.dtype, centers.shape, n, fixed))
        return centers

    monkeypatch.setattr(fit_module, "swap_search", spy)
    colors = np.random.default_rng(0).integers(0, 256, (3000, 3), dtype=np.uint8)
    fit_palette(colors, np.ones(len(colors)), k, seed=0)
    assert seen == ([(3000, np.float64, (k, 3), trials, 0)] if trials else [])


def test_fully_transparent_colours_share_one_alpha_0_entry_outside_the_fit():
    """Colours with alpha 0 (whatever RGB they store) are one entry [0, 0, 0, 0], last and
    not counted in n_colors; they were clustered with the others (an entry of alpha 1, or
    a visible entry pulled towards them)."""
    visible = np.array([[255, 0, 0, 255], [0, 0, 255, 255], [0, 255, 0, 128]], np.uint8)
    hidden = np.array([[10, 20, 30, 0], [200, 100, 50, 0], [255, 255, 255, 0]], np.uint8)
    colors = np.vstack([visible, hidden])
    counts = [5, 4, 2, 9, 9, 9]
    palette = fit_palette(colors, counts, 3, seed=0)
    assert palette.tolist() == [[0, 255, 0, 128], [255, 0, 0, 255], [0, 0, 255, 255],
                                [0, 0, 0, 0]]  # the translucent entry first
    for k in (1, 2):
        assert np.array_equal(fit_palette(colors, counts, k, seed=0),
                              np.vstack([fit_palette(visible, counts[:3], k, seed=0),
                                         np.zeros((1, 4), np.uint8)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no visible colour: nothing to warn about
        assert fit_palette(hidden, [1, 2, 3], 4, seed=0).tolist() == [[0, 0, 0, 0]]


def _blob_image(n_colours):
    """Colour ``c`` is 40 apart from every other on a grid, each in 4 pixels at +-1 red."""
    middles = 8 + 40 * np.stack(np.unravel_index(np.arange(n_colours), (7, 7, 7)), axis=1)
    pixels = np.repeat(middles, 4, axis=0)
    pixels[0::4, 0] += 1
    pixels[1::4, 0] -= 1
    return pixels.reshape(-1, 4, 3).astype(np.uint8), middles


def test_a_palette_of_more_than_256_colours_finds_known_clusters_exactly_and_again(monkeypatch):
    from quantize import _kernels

    monkeypatch.setattr(_kernels, "_TREE_MIN_K", 257)  # the k-d trees, on a small image
    image, middles = _blob_image(300)
    first = quantize.reduce_colors(image, 300, seed=4)
    again = quantize.reduce_colors(image, 300, seed=4)
    assert sorted(map(tuple, first.palette.tolist())) == sorted(map(tuple, middles.tolist()))
    np.testing.assert_array_equal(first.palette[first.indices], np.repeat(middles, 4, 0)
                                  .reshape(image.shape))
    np.testing.assert_array_equal(first.palette, again.palette)
    np.testing.assert_array_equal(first.indices, again.indices)


def test_every_entry_of_a_fit_is_drawn():
    """coffee at 150 x 100 (10,972 colours) to 5000: one centre was nearest to no colour,
    listed with a share of 0 and counted in k (4998 entries, 4997 drawn)."""
    from PIL import Image
    from skimage import data

    photo = np.asarray(Image.fromarray(data.coffee()).resize((150, 100)))
    result = quantize.reduce_colors(photo, 5000, seed=0)
    assert (result.shares > 0).all()
    drawn = np.unique(result.to_rgb().reshape(-1, 3), axis=0)
    assert result.k == result.palette.shape[0] == drawn.shape[0] == 4997
    assert np.bincount(result.indices.ravel(), minlength=result.k).min() > 0



def test_spreading_a_palette_for_dithering_takes_one_float64_copy_of_the_features(
        rng, monkeypatch):
    """The entries move by their clusters' RMS radius, a sum over every distinct colour:
    the offsets were made as whole (m, d) float64 arrays, three at once, 680 MB for the
    7.1 M colours of a 12 MP image with soft alpha; now one float64 copy of the features
    (for their mean, made from the colours a chunk at a time while the cached float32
    features are let go) and per-colour vectors. The chunked offsets give the same palette
    as whole ones (here computed whole by a stand-in for the chunked kernel)."""
    import tracemalloc

    from quantize._kernels import nearest
    from quantize.colors import features_of
    from quantize.reduce import fit as fit_module
    from quantize.reduce.fit import Histogram, spread_for_dither

    m = 200_000
    hist = Histogram(rng.integers(0, 256, (m, 4), dtype=np.uint8), rng.integers(1, 5, m), "rgb")
    palette = rng.integers(0, 256, (16, 4), dtype=np.uint8)
    palette[::2, 3] = 255  # translucent entries do not move

    def traced():  # the least of three runs: see memory_support.peak_bytes
        hist.forget_features()
        tracemalloc.start()
        try:
            labels = nearest(hist.features, features_of(palette, "rgb"))  # features cached
            tracemalloc.reset_peak()
            spread = spread_for_dither(palette, hist, labels, 1.0)
            return tracemalloc.get_traced_memory()[1], labels, spread
        finally:
            tracemalloc.stop()

    runs = [traced() for _ in range(3)]
    peak, (_, labels, spread) = min(run[0] for run in runs), runs[0]
    # Bytes a colour: the labels 8, the float64 copy 32 and the counts 8 for the mean, and
    # a chunk of features, without the cached float32 features (16) beside them (64.6
    # before).
    assert peak < 56 * m

    def whole(X, centers, labels, dtype):
        off = X.astype(dtype) - centers.astype(dtype)[labels]
        return np.einsum("ij,ij->i", off, off)

    monkeypatch.setattr(fit_module, "sq_dist_to_labels", whole)
    assert np.array_equal(spread_for_dither(palette, hist, labels, 1.0), spread)
    assert not np.array_equal(spread[::2], palette[::2])
    assert np.array_equal(spread[1::2], palette[1::2])


@pytest.mark.parametrize("cost", [0.05, 0.3, 1.0])
def test_an_expectile_minimises_the_asymmetric_squared_offsets(rng, cost):
    """The expectile is where the squared offsets beyond it plus ``cost`` times those
    short of it are least (found here on a fine grid); at cost 1, the mean. Weights count
    as repeats, and no values give 0."""
    from quantize.reduce.fit import _expectile

    for _ in range(3):
        values = rng.normal(0, 20, 300)
        weights = rng.integers(1, 4, 300)
        found = _expectile(values, weights, cost)
        grid = np.linspace(values.min(), values.max(), 20001)
        off = values[None, :] - grid[:, None]
        loss = (weights * (np.maximum(off, 0) ** 2 + cost * np.minimum(off, 0) ** 2)).sum(axis=1)
        assert found == pytest.approx(grid[loss.argmin()], abs=0.01)
        if cost == 1.0:
            assert found == pytest.approx(np.average(values, weights=weights))
        repeated = _expectile(np.repeat(values, weights), np.ones(int(weights.sum()), int), cost)
        assert repeated == pytest.approx(found, rel=1e-12)
    assert _expectile(np.empty(0), np.empty(0, int), cost) == 0.0


def _expectiles_sorted(values, weights, groups, k, cost):
    """Each group's expectile by another road: the values sorted, the first one past
    which the weighted offsets beyond weigh at most ``cost`` times those short of it ends
    the interval that holds it, where the balance is solved for."""
    out = np.zeros(k)
    if not values.size:
        return out
    span = 2 * np.abs(values).max() + 1
    order = np.argsort(groups * span + values, kind="stable")
    v, w, g = values[order], weights[order], groups[order]
    total = np.bincount(g, weights=w, minlength=k)
    mean = np.bincount(g, weights=w * v, minlength=k) / np.maximum(total, 1e-300)
    ends = np.cumsum(np.bincount(g, minlength=k))[g]
    w_from = np.append(np.cumsum(w[::-1])[::-1], 0.0)
    wv_from = np.append(np.cumsum((w * v)[::-1])[::-1], 0.0)
    w_beyond, wv_beyond = w_from[:-1] - w_from[ends], wv_from[:-1] - wv_from[ends]
    beyond = wv_beyond - v * w_beyond
    past = np.flatnonzero(beyond <= cost * (beyond - total[g] * (mean[g] - v)))
    first = past[np.r_[True, g[past[1:]] != g[past[:-1]]]]
    grp, keep = g[first], 1.0 - cost
    out[grp] = ((keep * wv_beyond[first] + cost * total[grp] * mean[grp])
                / (keep * w_beyond[first] + cost * total[grp]))
    return out


@pytest.mark.parametrize("kind", ["normal", "ties", "ties and signed zeros"])
@pytest.mark.parametrize("cost", [0.05, 0.5, 1.0])
def test_an_expectile_by_newton_steps_is_that_of_sorted_values(rng, kind, cost):
    """Newton's steps from the mean settle where the sorted values put the expectile,
    ties and signed zeros included (to rounding: the sums are taken in other orders)."""
    from quantize.reduce.fit import _expectile

    for _ in range(40):
        n = int(rng.integers(1, 3000))
        if kind == "normal":
            values = rng.normal(0, 20, n)
        else:
            values = rng.integers(-6, 7, n) / 7
            if kind == "ties and signed zeros":
                values[rng.random(n) < 0.2] = -0.0
        weights = rng.integers(1, 50, n)
        expected = _expectiles_sorted(values, weights.astype(float), np.zeros(n, int), 1, cost)
        assert _expectile(values, weights, cost) == pytest.approx(expected[0], rel=1e-9,
                                                                   abs=1e-9)


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_reach_steps_are_the_expectiles_of_the_offsets_along_each_direction(rng, space):
    """The offsets along each chosen entry's direction, taken a cluster and a chunk of its
    colours at a time, and the steps their expectiles (at least 0); entries not chosen
    take none."""
    from quantize._kernels import nearest
    from quantize.reduce.fit import _REACH_COST, Histogram, _reach_steps, features_of

    m = 30_000  # several chunks of chosen colours
    hist = Histogram(rng.integers(0, 256, (m, 3), dtype=np.uint8), rng.integers(1, 9, m), space)
    palette = rng.integers(0, 256, (6, 3), dtype=np.uint8)
    entries = features_of(palette, space).astype(np.float64)
    labels = nearest(hist.features, entries)
    unit = rng.normal(size=(6, 3))
    unit /= np.sqrt((unit ** 2).sum(axis=1))[:, None]
    for chosen in (np.ones(6, bool), np.array([True, False, False, True, True, False])):
        picked = chosen[labels]
        off = hist.features[picked].astype(np.float64) - entries[labels[picked]]
        along = np.einsum("ij,ij->i", off, unit[labels[picked]])
        expected = _expectiles_sorted(along, hist.counts[picked].astype(np.float64),
                                      labels[picked], 6, _REACH_COST)
        found = _reach_steps(hist, entries, labels, unit, chosen)
        assert found.shape == (chosen.sum(),)
        assert np.allclose(found, expected[chosen].clip(min=0.0), rtol=1e-9, atol=1e-9)
        assert (found > 0).any()


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("numbered", ["table", "unique"])
def test_a_cell_summary_leaving_colours_out_is_the_summary_of_the_others(
        rng, monkeypatch, channels, numbered):
    """Colours left out (those that become points of their own) count in no cell, to the
    last bit, whether cells are summed in a table or numbered by np.unique first; a cell
    holding only such colours is not occupied."""
    from quantize.reduce import fit as fit_module
    from quantize.reduce.fit import cell_summary, features_of

    if numbered == "unique":
        monkeypatch.setattr(fit_module, "_CELL_TABLE_MAX", 0)
    colors = rng.integers(0, 200, (5000, channels), dtype=np.uint8)
    colors[0] = 255  # alone in its cell, and left out
    counts = rng.integers(1, 50, 5000)
    features = features_of(colors, "rgb")
    out = rng.random(5000) < 0.1
    out[0] = True
    expected = cell_summary(colors[~out], counts[~out], features[~out], 3)
    got = cell_summary(colors, counts, features, 3, leave_out=out)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    none = cell_summary(colors, counts, features, 3, leave_out=np.zeros(5000, bool))
    whole = cell_summary(colors, counts, features, 3)
    assert all(np.array_equal(a, b) for a, b in zip(none, whole, strict=True))


def test_a_summary_with_colours_apart_copies_no_colours_counts_or_features(rng):
    """The colours that stay points of their own are left out of the cells without copies
    of the others' colours, counts and features (107 MB for a 12 MP image with soft
    alpha): the summary takes about what it takes with none apart."""
    from quantize.reduce.fit import Histogram, _summary

    m = 200_000
    hist = Histogram(rng.integers(0, 256, (m, 4), dtype=np.uint8), rng.integers(1, 5, m), "rgb")
    features = hist.features
    peaks = [peak_bytes(functools.partial(_summary, hist.colors, hist.counts, features, 4, apart),
                        repeats=3) for apart in (np.zeros(m, bool), np.arange(m) % 1000 == 0)]
    assert peaks[1] < peaks[0] + 4 * m  # copies: 28 bytes a colour


def test_a_histogram_without_features_keeps_its_colours_and_lab(rng):
    """Held once the palette is fitted, a histogram drops its features (computed again if
    asked for) and keeps its Lab, if computed, for the metrics."""
    from quantize.reduce.fit import Histogram

    hist = Histogram(rng.integers(0, 256, (50, 4), dtype=np.uint8), np.arange(1, 51), "lab")
    features, lab = hist.features, hist.lab
    light = hist.without_features()
    assert light.colors is hist.colors and light.counts is hist.counts and light.space == "lab"
    assert "features" not in light.__dict__ and light.lab is lab
    assert np.array_equal(light.features, features)
    assert "lab" not in Histogram(hist.colors, hist.counts, "rgb").without_features().__dict__


@pytest.mark.parametrize("space", ["rgb", "lab"])
@pytest.mark.parametrize("channels", [3, 4])
def test_the_mean_feature_for_dithering_is_the_one_product_of_all_features(
        rng, monkeypatch, space, channels):
    """The float64 features for the mean are made a few colours at a time, and the mean
    is the one product of the counts with all of them, to the last bit (a sum in chunks
    would round otherwise); the cached float32 features are let go, and made again to
    the same values when asked for."""
    from quantize.reduce import fit as fit_module
    from quantize.reduce.fit import Histogram

    colors = rng.integers(0, 256, (5000, channels), dtype=np.uint8)
    hist = Histogram(colors, rng.integers(1, 10**6, 5000), space)
    features = hist.features.copy()
    expected = hist.counts @ features.astype(np.float64) / hist.counts.sum()
    monkeypatch.setattr(fit_module, "_MEAN_ROWS", 7)
    assert np.array_equal(fit_module._mean_feature(hist), expected)
    assert "features" not in hist.__dict__
    assert np.array_equal(hist.features, features)


def _series_and_edges(series: int = 55) -> np.ndarray:
    """A chart's line in miniature: 100 white pixels, ``series`` of the series colour
    #1f77b4 and 15 each of three of its anti-aliased edge shades towards white, one row."""
    counts = {(255, 255, 255): 100, (31, 119, 180): series, (60, 140, 190): 15,
              (90, 160, 200): 15, (120, 180, 210): 15}
    return np.concatenate([np.tile(np.array(c, np.uint8), (n, 1))
                           for c, n in counts.items()])[None]


@pytest.mark.parametrize("exact", [False, True])
def test_a_colour_holding_most_of_its_entry_is_that_entry(exact):
    # The series colour holds 55 of its entry's 100 pixels: the entry is that colour, not
    # the mean (57, 139, 190) its shades pull it to, nor (with exact colours) the shade
    # nearest that mean.
    result = quantize.reduce_colors(_series_and_edges(), 2, exact_colors=exact, seed=0)
    assert sorted(result.palette.tolist()) == [[31, 119, 180], [255, 255, 255]]


def test_no_colour_holding_most_of_its_entry_leaves_the_mean():
    # 45 of 90 pixels: no colour holds more than half, the entry is the mean
    # (60.5, 139.5, 190), halves rounded to even.
    image = _series_and_edges(45)
    assert sorted(quantize.reduce_colors(image, 2, seed=0).palette.tolist()) == [
        [60, 140, 190], [255, 255, 255]]


def test_the_held_colour_of_a_fit_around_fixed_colours():
    palette = fit_palette(_series_and_edges()[0], np.ones(200), 3, fixed_colors=["red"],
                          seed=0)
    assert palette[0].tolist() == [255, 0, 0]
    assert sorted(palette[1:].tolist()) == [[31, 119, 180], [255, 255, 255]]
