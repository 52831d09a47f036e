"""quantize.reconstruct.palette: weighted Floyd-Steinberg error diffusion onto a palette."""

from __future__ import annotations

import numpy as np
import pytest

from quantize._kernels import nearest
from quantize.colors import features_of
from quantize.reconstruct import palette as palette_module
from quantize.reconstruct.palette import (
    _BLOCK_PIXELS,
    ShownEntries,
    _band_gradient_runs,
    _band_run_strength,
    diffuse_errors,
    dither_indices,
    gradient_runs,
    indexed_image,
    last_entry_at,
    last_entry_rank,
    run_strength,
)


def test_diffusion_with_zero_strength_is_the_nearest_entry(rng):
    features = rng.uniform(0, 255, (9, 13, 3)).astype(np.float32)
    entries = rng.uniform(0, 255, (5, 3)).astype(np.float32)
    got = diffuse_errors(features, entries, np.zeros((9, 13), np.float32))
    d = ((features[:, :, None, :] - entries) ** 2).sum(axis=3)
    assert np.array_equal(got, d.argmin(axis=2))


def _textbook_diffusion(features: np.ndarray, entries: np.ndarray,
                        fixed: np.ndarray | None = None) -> np.ndarray:
    """Floyd-Steinberg at full strength in raster order, with the same clipping to the
    palette box (the pixels lie inside it); a pixel with an entry in ``fixed`` (-1: none)
    takes it and passes on its error from it."""
    h, w = features.shape[:2]
    work = features.astype(np.float64)
    expected = np.zeros((h, w), int)
    for y, x in np.ndindex(h, w):
        value = np.clip(work[y, x], entries.min(axis=0), entries.max(axis=0))
        i = expected[y, x] = ((entries - value) ** 2).sum(axis=1).argmin()
        if fixed is not None and fixed[y, x] >= 0:
            i = expected[y, x] = fixed[y, x]
        err = value - entries[i]
        for dy, dx, share in ((0, 1, 7), (1, -1, 3), (1, 0, 5), (1, 1, 1)):
            if y + dy < h and 0 <= x + dx < w:
                work[y + dy, x + dx] += err * share / 16
    return expected


_CORNERS = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.float32)


@pytest.mark.parametrize("h, w", [(7, 11), (1, 1), (1, 9), (9, 1), (6, 2), (5, 3), (2, 7)])
def test_full_strength_diffusion_is_floyd_steinberg_in_raster_order(rng, h, w):
    """The sweep along lines x + 2y = t, on any shape (one- and two-pixel-wide included)."""
    features = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    got = diffuse_errors(features, _CORNERS, np.ones((h, w), np.float32))
    assert np.array_equal(got, _textbook_diffusion(features, _CORNERS))


@pytest.mark.parametrize("band_pixels", [1, 2, 5, 12])
@pytest.mark.parametrize("h, w", [(7, 11), (9, 1), (6, 2), (2, 7)])
def test_diffusion_swept_in_bands_of_lines_is_floyd_steinberg_too(rng, monkeypatch, h, w,
                                                                   band_pixels):
    """Bands of a line or a few (the error of the lines after one carried to the next): no
    seam where two bands meet."""
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", band_pixels)
    features = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    got = diffuse_errors(features, _CORNERS, np.ones((h, w), np.float32))
    assert np.array_equal(got, _textbook_diffusion(features, _CORNERS))


@pytest.mark.parametrize("band_pixels", [1, 5, 1 << 18])
@pytest.mark.parametrize("h, w", [(7, 11), (9, 1), (2, 7)])
def test_pixels_with_fixed_entries_take_them_and_pass_on_their_error(rng, monkeypatch, h, w,
                                                                     band_pixels):
    """An animation's pixels kept from the previous frame: each takes its entry, whatever
    its colour and error, and its error from that entry goes on as any pixel's does."""
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", band_pixels)
    features = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    fixed = np.where(rng.random((h, w)) < 0.4, rng.integers(0, 4, (h, w)), -1)
    got = diffuse_errors(features, _CORNERS, np.ones((h, w), np.float32), fixed=fixed)
    assert np.array_equal(got, _textbook_diffusion(features, _CORNERS, fixed))
    assert (got[fixed >= 0] == fixed[fixed >= 0]).all()


def test_a_fixed_entrys_error_reaches_the_pixels_after_it():
    """Grey 100 onto black and white: free, black, white, black; the first pixel held
    white passes on -155, so the next two, darker by it, are black (overwriting the first
    pixel's entry after the diffusion gave white, white, black)."""
    grey = np.full((1, 3, 3), 100, np.uint8)
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    assert dither_indices(grey, palette, given=True).tolist() == [[0, 1, 0]]
    held = dither_indices(grey, palette, given=True, fixed=np.array([[1, -1, -1]]))
    assert held.tolist() == [[1, 0, 0]]


@pytest.mark.parametrize("h, w", [(300, 1), (200, 2), (150, 5), (40, 90)])
def test_tall_narrow_diffusion_in_bands_bounded_by_its_height_is_the_same(rng, monkeypatch,
                                                                         h, w):
    """A tall, narrow image has a pixel or two a line but a row of error per line for
    every one of its h rows: its bands are fewer lines (here 64 * 4 // (h + 1) or 1), and
    each carries and clears its error in a window of rows; the same as one band of every
    line (the float32 sums of many pixels may differ from the float64 textbook's)."""
    features = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    strength = rng.uniform(0, 1, (h, w)).astype(np.float32)
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", 1 << 30)
    whole = diffuse_errors(features, _CORNERS, strength)
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", 64)
    assert np.array_equal(diffuse_errors(features, _CORNERS, strength), whole)


@pytest.mark.parametrize("h", [4000, 16000])
def test_the_error_of_a_tall_narrow_image_takes_memory_of_its_size(rng, monkeypatch, h):
    """The bands were as many lines as hold _SWEEP_PIXELS pixels, with a row of error for
    each of the h rows of each line: a 1x1000 image took 3 GB at the default 2**18, here
    (2**10) a 1x4000 one 49 MB; now the error planes hold at most 4 * 2**10 rows."""
    import tracemalloc

    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", 1 << 10)
    features = rng.uniform(0, 255, (h, 1, 3)).astype(np.float32)
    tracemalloc.start()
    try:
        diffuse_errors(features, _CORNERS, np.ones((h, 1), np.float32))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000


def _band_sizes(pixels: np.ndarray) -> list[int]:
    """How many pixels each call of ``to_features`` got as :func:`diffuse_errors` swept
    ``pixels`` onto the cube's corners at full strength, call by call."""
    sizes = []

    def to_features(p: np.ndarray) -> np.ndarray:
        sizes.append(p.shape[0])
        return p.astype(np.float32)

    h, w = pixels.shape[:2]
    diffuse_errors(pixels, _CORNERS, np.ones((h, w), np.float32), to_features=to_features)
    return sizes


@pytest.mark.parametrize("h, w", [(4000, 1), (16000, 1), (8000, 3)])
def test_a_tall_narrow_image_is_swept_in_bands_as_long_whatever_its_height(rng, monkeypatch,
                                                                           h, w):
    """Bands bounded by the height alone (4 * _SWEEP_PIXELS // (h + 1) lines) were one line
    from 4 * _SWEEP_PIXELS rows, and their number grew as the square of the height (a one-
    pixel-wide 1 MP image took 50 s); the error planes only need the rows a band spans, so
    at 2**10 a band is 87 lines (43 or 44 pixels) of a one-pixel-wide image of any height,
    84 lines (123 or 126 pixels) of a three-pixel-wide one."""
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", 1 << 10)
    pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    sizes = _band_sizes(pixels)
    assert sum(sizes) == h * w
    assert min(sizes[:-1]) >= 40 * w
    assert len(sizes) <= 2 + h * w // (40 * w)


@pytest.mark.parametrize("band_pixels, band_lines", [(1 << 18, 61), (90, 10)])
def test_features_are_made_a_band_of_lines_at_a_time(rng, monkeypatch, band_pixels,
                                                     band_lines):
    """to_features gets the pixels of a band of sweep lines x + 2y = t at once (as many
    lines as hold at most _SWEEP_PIXELS, 9 pixels a line at most here), not one line at a
    time (61 calls here), each pixel once."""
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", band_pixels)
    h, w = 23, 17
    pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    sizes = _band_sizes(pixels)
    expected = [sum(first <= x + 2 * y < first + band_lines for y in range(h) for x in range(w))
                for first in range(0, w + 2 * (h - 1), band_lines)]
    assert sizes == expected
    assert max(sizes) <= band_pixels and sum(sizes) == h * w


def test_features_made_a_line_at_a_time_give_the_same_diffusion(rng):
    pixels = rng.integers(0, 256, (23, 17, 3), dtype=np.uint8)
    entries = rng.uniform(0, 510, (6, 3)).astype(np.float32)
    strength = rng.uniform(0, 1, (23, 17)).astype(np.float32)
    whole = diffuse_errors(pixels.astype(np.float32) * 2, entries, strength)
    lines = diffuse_errors(pixels, entries, strength,
                           to_features=lambda p: p.astype(np.float32) * 2)
    assert np.array_equal(lines, whole)


def test_run_strength_is_high_on_bands_and_lower_in_texture():
    indices = np.array([[0, 0, 0, 0, 1, 2, 1, 2],
                        [0, 0, 0, 0, 2, 1, 2, 1],
                        [0, 0, 0, 0, 1, 2, 1, 2]])
    got = run_strength(indices)
    # The band of 0s: runs of 4, each pixel stacked on 1 or 2 others: s = 4 + 1.5 * 4 or 8.
    assert got[0, 0] == pytest.approx(10 / 10.5) and got[1, 0] == pytest.approx(16 / 16.5)
    # The checkerboard: runs of one pixel, nothing stacked: s = 1.
    assert np.allclose(got[:, 4:], 1 / 1.5)
    assert np.all(got[:, :4] > got[:, 4:].max())


def test_run_strength_by_bands_equals_the_whole_image(rng):
    """Bands of rows with a row of halo each: no seam where two bands meet."""
    h, w = 3 * (_BLOCK_PIXELS // 64) + 5, 64          # four bands, the last a short one
    indices = rng.integers(0, 3, (h, w)) * rng.integers(0, 2, (h, 1))  # some rows all 0
    assert np.array_equal(run_strength(indices), _band_run_strength(indices))


def test_a_known_nearest_mapping_is_used_as_the_undithered_one(rng):
    """Given the mapping the search would find, the same output; the runs that weight
    the diffusion are those of the mapping given."""
    rgb = rng.integers(0, 256, (12, 17, 3), dtype=np.uint8)
    rgb[:, :6] = 96  # a flat band between entries 1 and 2, nearer 1
    palette = np.array([[0, 0, 0], [90, 100, 100], [110, 100, 100], [255, 255, 255]], np.uint8)
    searched = dither_indices(rgb, palette, 0.0)
    assert (searched[:, :6] == 1).all()
    assert np.array_equal(dither_indices(rgb, palette, nearest_entries=searched),
                          dither_indices(rgb, palette))
    short_runs = searched.copy()
    short_runs[:, 0:6:2] = 2
    assert not np.array_equal(dither_indices(rgb, palette, nearest_entries=short_runs),
                              dither_indices(rgb, palette))


_WHITE_HALF_BLACK_WHITE = np.array([[255, 255, 255, 128], [0, 0, 0, 255], [255, 255, 255, 255]],
                                   np.uint8)


def test_opaque_pixels_take_no_translucent_given_entry_that_looks_no_nearer():
    """Opaque greys 0..255 onto white of alpha 128, black and white: matched by their
    features, 101 of them took the translucent white (grey 128 over black, white over
    white, once the error made it nearest); a given palette keeps them on black and
    white, each grey as near to one of them as to that entry over black and over white,
    which only a fitted palette need not (its mapping is unchanged)."""
    rgb = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    alpha = np.full((1, 256), 255, np.uint8)
    palette = _WHITE_HALF_BLACK_WHITE.copy()
    fitted = dither_indices(rgb, palette, 1.0, alpha=alpha)
    given = dither_indices(rgb, palette, 1.0, alpha=alpha, keep_opaque=True)
    assert np.bincount(fitted[0], minlength=3).tolist() == [101, 102, 53]
    assert np.bincount(given[0], minlength=3).tolist() == [0, 127, 129]
    assert given[0, :81].tolist() == [1] * 81 and given[0, 173:].tolist() == [2] * 83
    assert np.array_equal(palette, _WHITE_HALF_BLACK_WHITE)


def test_an_opaque_pixel_stays_opaque_whatever_alpha_error_it_receives():
    """White of alpha 200 takes opaque white, and its error (-55 in every feature, 7/16 of
    it to the right) brings the opaque grey 180 beside it to alpha 231, nearest white of
    alpha 128 premultiplied; opaque by its own alpha, it takes opaque white, which looks
    as near (grey 156 against 128 over black and 255 over white)."""
    pixels = np.array([[[255, 255, 255, 200], [180, 180, 180, 255]]], np.uint8)
    features = features_of(pixels.reshape(-1, 4), "rgb").reshape(1, 2, 4)
    entries = features_of(_WHITE_HALF_BLACK_WHITE, "rgb")
    strength = np.ones((1, 2), np.float32)
    assert diffuse_errors(features, entries, strength).tolist() == [[2, 0]]
    shown = ShownEntries.of(_WHITE_HALF_BLACK_WHITE, "rgb")
    assert diffuse_errors(features, entries, strength, shown=shown).tolist() == [[2, 2]]


def test_shown_entries_are_only_for_palettes_of_opaque_and_translucent_entries():
    assert ShownEntries.of(_WHITE_HALF_BLACK_WHITE[:, :3], "rgb") is None
    assert ShownEntries.of(_WHITE_HALF_BLACK_WHITE[1:], "rgb") is None
    assert ShownEntries.of(_WHITE_HALF_BLACK_WHITE[:1], "rgb") is None
    shown = ShownEntries.of(_WHITE_HALF_BLACK_WHITE, "lab")
    assert shown.opaque.tolist() == [False, True, True]
    assert shown.full == float(features_of(_WHITE_HALF_BLACK_WHITE[1:2], "lab")[0, 3])
    assert shown.features.shape == (3, 7)


def test_an_indexed_image_of_too_many_entries_names_the_palette():
    """It said 'an indexed image holds at most 256 palette entries, got 257', naming no
    parameter."""
    with pytest.raises(ValueError) as info:
        indexed_image(np.zeros((2, 2), np.uint8), np.zeros((257, 3), np.uint8))
    assert str(info.value) == ("palette should have at most 256 entries, the most an indexed "
                               "image holds, got 257")


def _local_mean_error(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference of the 5 x 5 means of two images (what the eye sees of a dither)."""
    from scipy.ndimage import uniform_filter

    def means(x):
        return uniform_filter(x.astype(np.float64), size=(5, 5, 1))
    return float(np.sqrt(np.mean((means(a) - means(b)) ** 2)))


@pytest.mark.parametrize("k", [6, 8])
def test_a_smooth_gradient_is_dithered_across_its_bands_not_at_their_edges_only(k):
    """A web page's CSS gradient at a few colours: pixels near an entry, most of each
    band, take error too, so the local means follow the gradient (with a pixel within 5
    of an entry taking none, they came within 0.71 / 0.95 of the undithered error)."""
    from quantize import reduce_colors

    h, w = 64, 256
    t = (np.arange(w)[None, :] + np.arange(h)[:, None]) / (w + h - 2)
    start, end = np.array([102, 126, 234]), np.array([118, 75, 162])
    image = np.rint(start + t[..., None] * (end - start)).astype(np.uint8)
    plain = reduce_colors(image, n_colors=k, seed=0)
    dithered = reduce_colors(image, n_colors=k, seed=0, dither=1.0)
    assert (_local_mean_error(dithered.to_rgb(), image)
            < 0.6 * _local_mean_error(plain.to_rgb(), image))


@pytest.mark.parametrize("white", [255, 254])
def test_a_flat_area_in_a_palette_colour_takes_no_error_from_its_neighbours(white):
    """White beside anti-aliased grey text: the white stays white under full dithering,
    and so does a white a level off its entry, whose runs end in the ramp's large step or
    the border, not in a gradient's small one (only exact colours kept clean, 8 pixels
    of the 254 took the light grey entry)."""
    rgb = np.full((24, 40, 3), white, np.uint8)
    rgb[:, :12] = np.arange(12, dtype=np.uint8)[None, :, None] * 9 + 70  # a grey ramp
    palette = np.array([[0, 0, 0], [128, 128, 128], [240, 240, 240], [255, 255, 255]],
                       np.uint8)
    out = dither_indices(rgb, palette, 1.0)
    assert (out[:, 12:] == 3).all() and len(np.unique(out[:, :12])) > 1


def test_a_ramp_keeps_its_column_means_near_its_colours_beside_an_entry():
    """Grey 0..128, a level a column, onto greys 32 apart: the columns 5 to 8 levels from
    an entry average within half a level of their colour. Damped by the run strength,
    they passed on too little error ever to flip and were drawn with the entry (their
    means 1.8 levels nearer it)."""
    h, w = 32, 129
    rgb = np.repeat(np.tile(np.arange(w, dtype=np.uint8), (h, 1))[..., None], 3, axis=2)
    palette = np.repeat(np.arange(0, 129, 32, dtype=np.uint8)[:, None], 3, axis=1)
    drawn = palette[dither_indices(rgb, palette, 1.0)][..., 0].astype(np.float64)
    level = np.arange(w)
    off = level - 32 * np.rint(level / 32)
    beside = (np.abs(off) >= 5) & (np.abs(off) <= 8)
    toward_entry = (drawn[h // 2:].mean(axis=0) - level) * -np.sign(off)
    assert abs(float(toward_entry[beside].mean())) < 0.5


def test_gradient_runs_are_runs_ending_in_small_steps_only():
    """Rows: runs between the border and a step of 1, between 1 and 2 (in a gradient),
    between 2 and 40 and after 40 (not); columns: the last steps by 2 between its rows."""
    pixels = np.array([[[50, 50, 50], [51, 50, 50], [51, 50, 50], [53, 50, 50], [93, 50, 50]],
                       [[50, 50, 50], [51, 50, 50], [51, 50, 50], [53, 50, 50], [93, 50, 52]]],
                      np.uint8)
    assert gradient_runs(pixels).tolist() == [[True, True, True, False, True],
                                              [True, True, True, False, True]]


def test_gradient_runs_by_bands_equal_the_whole_image(rng):
    """Bands of rows, then of columns: the same as each direction over the whole image."""
    h, w = 3 * (_BLOCK_PIXELS // 64) + 5, 64
    pixels = (100 + np.cumsum(rng.integers(0, 2, (h, w, 3)), axis=1) // 5).astype(np.uint8)
    pixels[:, 20:30] = 0
    whole = _band_gradient_runs(pixels) | _band_gradient_runs(pixels.transpose(1, 0, 2)).T
    assert whole.any() and not whole.all()
    assert np.array_equal(gradient_runs(pixels), whole)


def test_a_gradient_a_level_from_its_entries_is_dithered_across_its_bands():
    """Grey 100..104 in bands of 4 onto 100 and 104: the bands of 101 and 103, within 2 of
    an entry, take error too (they took none: all 0 and all 1, the mean 1 level off)."""
    levels = np.repeat([100, 101, 102, 103, 104], 4)
    rgb = np.repeat(np.repeat(levels[None, :, None], 4, axis=0), 3, axis=2).astype(np.uint8)
    palette = np.array([[100, 100, 100], [104, 104, 104]], np.uint8)
    before = rgb.copy()
    got = dither_indices(rgb, palette, 1.0)
    assert got.tolist() == [[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1],
                            [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1],
                            [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1],
                            [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1]]
    assert np.array_equal(rgb, before)


def _soft_alpha_image(rng, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A photo-like image ``(h, w, 3)`` (a ramp plus noise, so that some runs are
    gradients), its alpha ``(h, w)`` (a ramp, a clear border, a translucent box) and a
    palette of 12 RGBA entries."""
    ramp = np.linspace(0, 200, w)[None, :, None] + np.linspace(0, 40, h)[:, None, None]
    rgb = np.clip(ramp + rng.integers(0, 3, (h, w, 3)), 0, 255).astype(np.uint8)
    alpha = np.clip(np.linspace(40, 300, w)[None, :] + np.zeros((h, 1)), 0, 255)
    alpha = alpha.astype(np.uint8)
    alpha[0], alpha[:, -1] = 0, 0
    alpha[h // 3:h // 2, w // 4:w // 2] = 128
    palette = rng.integers(0, 256, (12, 4), dtype=np.uint8)
    palette[:, 3] = np.maximum(palette[:, 3], 1)
    palette[:4, 3] = 255
    return rgb, alpha, palette


def test_gradient_runs_with_alpha_apart_are_those_of_the_stacked_channels(rng, monkeypatch):
    """Alpha given apart is stacked with the colours a band at a time (here a few pixels):
    the same gradients as of the whole (H, W, 4) stack."""
    rgb, alpha, _ = _soft_alpha_image(rng, 19, 23)
    whole = gradient_runs(np.dstack([rgb, alpha]))
    monkeypatch.setattr(palette_module, "_BLOCK_PIXELS", 30)
    assert np.array_equal(gradient_runs(rgb, alpha), whole)
    assert whole.any() and not whole.all()


@pytest.mark.parametrize("sweep_pixels", [8, 1 << 18])
def test_diffusion_with_alpha_apart_is_that_of_the_stacked_channels(rng, monkeypatch,
                                                                    sweep_pixels):
    """Alpha given apart is taken with the colours pixel by pixel as each band of sweep
    lines is gathered (here a band of a few pixels, or the whole image): the same entries
    as for the whole (H, W, 4) stack."""
    rgb, alpha, palette = _soft_alpha_image(rng, 19, 23)
    entries = features_of(palette, "rgb")
    strength = rng.uniform(0, 1, alpha.shape).astype(np.float32)

    def to_features(pixels: np.ndarray) -> np.ndarray:
        return features_of(pixels, "rgb")

    whole = diffuse_errors(np.dstack([rgb, alpha]), entries, strength, to_features=to_features)
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", sweep_pixels)
    got = diffuse_errors(rgb, entries, strength, to_features=to_features, alpha=alpha)
    assert np.array_equal(got, whole)
    assert len(np.unique(got)) > 4


def test_dithering_with_alpha_in_tiny_bands_is_that_of_the_whole_image(rng, monkeypatch):
    """Every step of dither_indices on an image with alpha, made in blocks and bands of a
    few pixels, gives the entries it gives in one band."""
    rgb, alpha, palette = _soft_alpha_image(rng, 19, 23)
    whole = dither_indices(rgb, palette, 1.0, alpha=alpha)
    monkeypatch.setattr(palette_module, "_BLOCK_PIXELS", 7)
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", 8)
    assert np.array_equal(dither_indices(rgb, palette, 1.0, alpha=alpha), whole)


def test_dithering_with_alpha_stacks_no_whole_image_and_lets_its_masks_go(rng, monkeypatch):
    """With alpha, no (H, W, 4) stack of the image (4 bytes a pixel), and the four masks
    (same colour, near colour, gradient, clean: 4 bytes) let go before the diffusion, whose
    strength map (4 bytes) and entries (2) are whole-image: 20.6 bytes a pixel before, with
    the bands small."""
    from .memory_support import peak_bytes

    monkeypatch.setattr(palette_module, "_BLOCK_PIXELS", 1 << 12)
    monkeypatch.setattr(palette_module, "_SWEEP_PIXELS", 1 << 12)
    rgb, alpha, palette = _soft_alpha_image(rng, 300, 400)
    peak = peak_bytes(lambda: dither_indices(rgb, palette, 1.0, alpha=alpha), repeats=3)
    assert peak < 15 * alpha.size


@pytest.mark.parametrize("at, rank", [(0, [1, 2, 3, 0]), (2, [0, 1, 3, 2]), (3, [0, 1, 2, 3])])
def test_the_last_entry_moves_to_its_index_and_the_entries_from_it_follow(at, rank):
    assert last_entry_rank(4, at).tolist() == rank
    palette = np.array([[10, 0, 0], [20, 0, 0], [30, 0, 0], [0, 0, 0]], np.uint8)
    indices = np.array([[0, 1], [2, 3]], np.uint8)
    kept = indices.copy(), palette.copy()
    moved, table = last_entry_at(indices, palette, at)
    assert table[at].tolist() == [0, 0, 0]
    assert np.array_equal(table[moved], palette[indices])  # every pixel shows its colour
    assert moved.dtype == np.uint8 and moved.tolist() == [[rank[0], rank[1]], [rank[2], rank[3]]]
    assert np.array_equal(indices, kept[0]) and np.array_equal(palette, kept[1])


def test_a_given_palettes_diffusion_at_zero_strength_is_the_nearest_entry(rng):
    image = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    palette = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.uint8)
    plain = nearest(image.reshape(-1, 3).astype(np.float32), palette.astype(np.float32))
    out = dither_indices(image, palette, 0.0, given=True)
    assert out.ravel().tolist() == plain.tolist()


def test_a_given_palette_takes_the_whole_error_but_where_a_pixel_is_an_entry():
    """Flat grey 32 onto black and white: every pixel but those that are an entry takes
    the whole error (classic Floyd-Steinberg), so about one pixel in 8 is white (29 of
    256, the first rows and columns warming up); a fitted palette's damping left it all
    black."""
    image = np.full((8, 64, 3), 32, np.uint8)
    image[:, 32:] = 0  # black, an entry: no error taken
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    given = dither_indices(image, palette, 1.0, given=True)
    assert (given[:, 32:] == 0).all()
    assert int(given[:, :32].sum()) == 29
    assert (dither_indices(image, palette, 1.0) == 0).all()


def _tied_pixels(rng, entries: np.ndarray, h: int, w: int) -> np.ndarray:
    """``(h, w, 3)`` float32 whole-number pixels, half of them midway between two random
    ``entries`` (even numbers), equidistant from both."""
    pixels = rng.integers(0, 256, (h * w, 3)).astype(np.float32)
    pairs = rng.integers(0, len(entries), (h * w // 2, 2))
    pixels[::2] = (entries[pairs[:, 0]] + entries[pairs[:, 1]]) / 2
    return pixels.reshape(h, w, 3)


@pytest.mark.parametrize("k", [2, 10, 256])
def test_diffusion_with_its_products_in_chunks_is_the_same(rng, monkeypatch, k):
    """Each sweep line's pixels are compared with the entries chunk_rows rows at a time (a
    line of 2,000 pixels times 256 entries in one product ran on two BLAS threads, 10x the
    CPU on a busy machine): chunks of any size give the same entries as one product, ties
    between equidistant entries included (to the lower index, exact on whole numbers)."""
    entries = rng.integers(0, 128, (k, 3)).astype(np.float32) * 2
    h, w = 30, 50
    pixels = _tied_pixels(rng, entries, h, w)
    strength = rng.uniform(0, 1, (h, w)).astype(np.float32)
    strength[rng.random((h, w)) < 0.5] = 0.0
    monkeypatch.setattr(palette_module, "chunk_rows", lambda k, d: 1 << 30)
    whole = diffuse_errors(pixels, entries, strength)
    plain = diffuse_errors(pixels, entries, np.zeros((h, w), np.float32))
    monkeypatch.setattr(palette_module, "chunk_rows", lambda k, d: 3)
    assert np.array_equal(diffuse_errors(pixels, entries, strength), whole)
    chunked = diffuse_errors(pixels, entries, np.zeros((h, w), np.float32))
    assert np.array_equal(chunked, plain)
    d = ((pixels[:, :, None, :].astype(np.float64) - entries) ** 2).sum(axis=3)
    tied = (d == d.min(axis=2, keepdims=True)).sum(axis=2) > 1
    assert tied.sum() > 20  # ties to break, each to the lower index
    assert np.array_equal(chunked, d.argmin(axis=2))


def test_line_nearest_breaks_ties_low_in_every_chunk():
    entries = np.array([[0, 0, 0], [2, 2, 2], [4, 4, 4]], np.float32)
    value = np.array([[1, 1, 1], [3, 3, 3], [2, 2, 2], [1, 1, 1], [3, 3, 3]], np.float32)
    minus_2e = np.ascontiguousarray(-2 * entries.T)
    e_sq = (entries ** 2).sum(axis=1)
    for step in (1, 2, 5):
        got = palette_module._line_nearest(value, minus_2e, e_sq, step)
        assert got.tolist() == [0, 1, 1, 0, 1]
