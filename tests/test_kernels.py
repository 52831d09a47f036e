"""The shared numerical kernels: nearest centre, group sums, Lloyd passes, colour codes, Lab."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import color as skcolor

from quantize import _kernels as kern
from quantize import _threads

from .memory_support import peak_bytes


def test_lab_matches_skimage_on_a_dense_grid_of_all_colours():
    levels = np.unique(np.r_[np.arange(0, 256, 3), 255]).astype(np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    expected = skcolor.rgb2lab(grid.reshape(-1, 1, 3)).reshape(-1, 3)
    assert np.abs(kern.srgb_to_lab(grid) - expected).max() < 1e-3
    assert np.abs(kern.lab_to_srgb(expected).astype(int) - grid).max() == 0


def test_lab_constants_are_skimages():
    assert np.allclose(kern._XYZ_FROM_RGB, skcolor.rgb2xyz(np.eye(3)[None])[0].T)
    assert np.allclose(kern.D65_WHITE,
                       skcolor.xyz_tristimulus_values(illuminant="D65", observer="2"))


def test_lab_keeps_the_layout():
    img = np.zeros((2, 3, 3), np.uint8)
    img[1, 2] = 255
    lab = kern.srgb_to_lab(img)
    assert lab.shape == (2, 3, 3) and lab.dtype == np.float32
    assert lab[1, 2, 0] == pytest.approx(100.0, abs=1e-3) and lab[0, 0, 0] == 0.0


def test_pack_unpack_round_trip(rng):
    colors = rng.integers(0, 256, (1000, 3), dtype=np.uint8)
    codes = kern.pack_rgb(colors)
    assert codes.dtype == np.uint32 and codes.max() < 1 << 24
    assert np.array_equal(kern.unpack_rgb(codes), colors)
    assert kern.pack_rgb(np.array([1, 2, 3], np.uint8)) == 0x010203


def test_pack_rgb_of_an_image_and_of_a_strided_view_is_the_arithmetic_code(rng):
    image = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    for view in (image, image[:, ::3], image[::2, 1:, :]):
        codes = kern.pack_rgb(view)
        rgb = view.astype(np.uint32)
        assert codes.shape == view.shape[:2] and codes.dtype == np.uint32
        assert np.array_equal(codes, rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])


@pytest.mark.parametrize("shape, values", [((0,), 5), ((1,), 5), ((7, 9), 4), ((300, 200), 5000),
                                            ((50_000,), 1 << 24)])
def test_code_rows_are_numpy_uniques_inverse_by_sorting_and_by_table(rng, monkeypatch, shape,
                                                                      values):
    codes = rng.integers(0, values, shape).astype(np.uint32)
    distinct, expected = np.unique(codes, return_inverse=True)
    rows = kern.code_rows(codes, distinct)
    assert rows.dtype == np.int32 and np.array_equal(rows, expected.ravel())
    monkeypatch.setattr(kern, "_ROWS_TABLE_MIN", 0)  # the table, as for a large image
    assert np.array_equal(kern.code_rows(codes, distinct), expected.ravel())


def test_code_rows_of_few_codes_build_no_table(rng, monkeypatch):
    """Zeroing the (2**24,) int32 table's 64 MB costs more than sorting a small image."""
    def no_table(*args):
        raise AssertionError("code_table called")

    monkeypatch.setattr(kern, "code_table", no_table)
    codes = rng.integers(0, 1 << 24, 1 << 18).astype(np.uint32)
    distinct, expected = np.unique(codes, return_inverse=True)
    assert np.array_equal(kern.code_rows(codes, distinct), expected)


@pytest.mark.parametrize("shape, values", [((0,), 5), ((1,), 5), ((7, 9), 4), ((300, 200), 5000),
                                            ((50_000,), 1 << 24), ((4000,), 1 << 32)])
def test_sorted_code_histogram_is_numpy_uniques_values_counts_and_inverse(rng, shape, values):
    """One sort gives what code_histogram and code_rows give, for any code below 2**32
    (RGBA words too)."""
    codes = rng.integers(0, values, shape, dtype=np.uint64).astype(np.uint32)
    distinct, counts, rows = kern.sorted_code_histogram(codes)
    expected, inverse, expected_counts = np.unique(codes, return_inverse=True,
                                                   return_counts=True)
    assert distinct.dtype == np.uint32 and np.array_equal(distinct, expected)
    assert counts.dtype == np.int64 and np.array_equal(counts, expected_counts)
    assert rows.dtype == np.int32 and np.array_equal(rows, inverse.ravel())


def test_sorted_code_histogram_of_a_tiny_list():
    distinct, counts, rows = kern.sorted_code_histogram(np.array([9, 2, 9, 0xFFFFFFFF, 2, 9],
                                                                 np.uint32))
    assert distinct.tolist() == [2, 9, 0xFFFFFFFF]
    assert counts.tolist() == [2, 3, 1] and rows.tolist() == [1, 0, 1, 2, 0, 1]


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_rows_written_a_chunk_of_sorted_keys_at_a_time_are_those_of_the_whole(
        rng, monkeypatch, chunk):
    """Each code's row is written a chunk of sorted keys at a time (one key, three, or
    all at once), the run numbers carried from chunk to chunk: the rows are np.unique's
    inverse whatever the chunk, a run of equal codes crossing chunks included."""
    monkeypatch.setattr(kern, "_SCATTER_KEYS", chunk)
    codes = rng.integers(0, 7, 50, dtype=np.uint64).astype(np.uint32)
    distinct, counts, rows = kern.sorted_code_histogram(codes)
    expected, inverse, expected_counts = np.unique(codes, return_inverse=True,
                                                   return_counts=True)
    assert np.array_equal(distinct, expected) and np.array_equal(counts, expected_counts)
    assert np.array_equal(rows, inverse)


def test_keys_histogram_counts_the_codes_its_fill_writes_and_calls_it_for_none():
    """The codes are written by the caller straight into the keys' high halves; with no
    code to count, the fill is still called (it may write other outputs too)."""
    calls = []

    def fill(high):
        calls.append(high.shape)
        high[:] = [4, 1, 4, 4][:high.size]

    distinct, counts, rows = kern.keys_histogram(4, fill)
    assert (distinct.tolist(), counts.tolist(), rows.tolist()) == ([1, 4], [1, 3], [1, 0, 1, 1])
    distinct, counts, rows = kern.keys_histogram(0, fill, np.uint16)
    assert distinct.dtype == np.uint16 and distinct.size == counts.size == rows.size == 0
    assert calls == [(4,), (0,)]


@pytest.mark.parametrize("values, most, before", [(1000, 14, 21), (1 << 32, 26, 37)])
def test_sorting_codes_holds_no_run_number_nor_index_for_every_code(rng, monkeypatch, values,
                                                                    most, before):
    """The positions, the run numbers and the positions cast to intp to index with are
    made a chunk of keys at a time, and the keys let go before the counts: 120 MB beside
    the keys for the 10 M translucent pixels of a 12 MP image with soft alpha. Bytes a
    code at most: keys 8 and rows 4 (few distinct codes); then, all distinct, the rows,
    the distinct codes 4, their starts 8 and counts 8 (``before``: the old peaks)."""
    monkeypatch.setattr(kern, "_SCATTER_KEYS", 1 << 10)
    codes = rng.integers(0, values, 200_000, dtype=np.uint64).astype(np.uint32)
    assert peak_bytes(lambda: kern.sorted_code_histogram(codes), repeats=3) < most * codes.size


@pytest.mark.parametrize("shape, values, dtype", [((0,), 5, np.uint32), ((2, 0), 5, np.uint32),
                                                   ((1,), 5, np.uint32), ((7, 9), 40, np.int64),
                                                   ((300, 200), 5000, np.uint32),
                                                   ((4000,), 1 << 32, np.uint32)])
def test_sorted_search_is_numpys_searchsorted(rng, shape, values, dtype):
    """The place of every needle, of the needles' shape, as np.searchsorted gives it:
    repeated needles, needles before the first and past the last straw, between straws,
    RGBA words with the top bit set."""
    haystack = np.unique(rng.integers(1, values, 60, dtype=np.uint64)).astype(dtype)
    needles = rng.integers(0, values, shape, dtype=np.uint64).astype(dtype)
    got = kern.sorted_search(haystack, needles)
    assert got.shape == needles.shape
    assert np.array_equal(got, np.searchsorted(haystack, needles))


def test_nearest_matches_brute_force_and_breaks_ties_low(rng):
    X = rng.normal(size=(3000, 5)).astype(np.float32)
    C = rng.normal(size=(17, 5))
    d = ((X[:, None, :].astype(np.float64) - C[None]) ** 2).sum(-1)
    labels = kern.nearest(X, C)
    # Where the two nearest centres differ by more than float32 rounding, the
    # answer is the brute-force one; within rounding either is the nearest.
    two = np.sort(d, axis=1)[:, :2]
    clear = two[:, 1] - two[:, 0] > 1e-4 * (1.0 + two[:, 1])
    assert clear.mean() > 0.99
    np.testing.assert_array_equal(labels[clear], d.argmin(1)[clear])
    assert np.allclose(d[np.arange(3000), labels], two[:, 0], rtol=1e-4, atol=1e-4)
    tie = kern.nearest(np.array([[0.0]]), np.array([[1.0], [-1.0]]))
    assert tie.tolist() == [0]


@pytest.mark.parametrize("k", [1, 6])
def test_row_threads_give_the_labels_of_one_thread(rng, monkeypatch, k):
    X = rng.integers(0, 256, size=(kern._PARALLEL_MIN_ROWS + 1001, 3)).astype(np.float32)
    C = rng.uniform(0, 255, size=(k, 3))
    monkeypatch.setattr(_threads, "_count", 1)
    alone = kern.nearest(X, C), kern._nearest_two(X, C.astype(np.float32))
    monkeypatch.setattr(_threads, "_count", 2)
    split = kern.nearest(X, C), kern._nearest_two(X, C.astype(np.float32))
    np.testing.assert_array_equal(split[0], alone[0])
    np.testing.assert_array_equal(split[1][0], alone[1][0])
    np.testing.assert_array_equal(split[1][1], alone[1][1])
    assert np.isinf(split[1][1]).all() == (k == 1)


@pytest.mark.parametrize("k", [3, 16, 40])
def test_nearest_few_are_the_nearest_in_index_order(rng, k):
    X = rng.normal(size=(300, 3)).astype(np.float32)
    C = rng.normal(size=(k, 3)).astype(np.float32)
    few = kern.nearest_few(X, C, 16)
    sq = ((X[:, None, :].astype(np.float64) - C[None]) ** 2).sum(axis=2)
    expected = np.sort(np.argsort(sq, axis=1)[:, :min(k, 16)], axis=1)
    assert few.shape == (300, min(k, 16)) and np.array_equal(few, expected)


@pytest.mark.parametrize("k", [2, 16, 300])
def test_nearest_two_gives_the_two_smallest_expansions(rng, k):
    # Integer colours with repeated centres: exact ties, the second equal to the first.
    X = rng.integers(0, 256, size=(5000, 3)).astype(np.float32)
    C = rng.integers(0, 256, size=(k, 3)).astype(np.float32)
    C[-1] = C[0]
    block = X @ (-2.0 * C.T) + np.einsum("ij,ij->i", C, C)  # the same float32 products
    labels, second = kern._nearest_two(X, C)
    np.testing.assert_array_equal(labels, block.argmin(axis=1))
    assert second.dtype == np.float64
    np.testing.assert_array_equal(second, np.sort(block, axis=1)[:, 1])


@pytest.mark.parametrize("k", [8, 15, 16, 24, 31, 32, 64])
def test_argmin_ready_keeps_every_pick_and_tie_of_float32_rows(rng, k):
    # Small integers: many exact ties in a row; rows all equal; and neighbours one float32
    # step apart, which a float64 rounding of the sums would not be asked to keep.
    block = rng.integers(-3, 3, size=(400, k)).astype(np.float32)
    block[::5] = 7.0
    block[1::5] = np.float32(1.0) + np.finfo(np.float32).eps
    block[1::5, k // 2:] = 1.0
    ready = kern._argmin_ready(block)
    assert ready.dtype == (np.float64 if 16 <= k < 32 else np.float32)
    np.testing.assert_array_equal(ready, block)
    picks = np.argmin(ready, axis=1)
    np.testing.assert_array_equal(picks, np.argmin(block, axis=1))
    assert set(picks[::5]) == {0} and set(picks[1::5]) == {k // 2}
    assert ready is block or not np.shares_memory(ready, block)  # the caller's block kept


@pytest.mark.parametrize("k", [16, 24])
def test_nearest_in_float64_gives_the_float32_labels_and_ties(rng, monkeypatch, k):
    # Integer colours and centres with two repeated: rows nearest those are exactly tied
    # and take the lower index.
    X = rng.integers(0, 256, size=(3000, 3)).astype(np.float32)
    C = rng.integers(0, 256, size=(k, 3)).astype(np.float32)
    C[-1], C[k // 2] = C[0], C[1]
    runs = np.stack([C, C[::-1], np.roll(C, 3, axis=0)]).astype(np.float64)

    def labels():
        two = kern._nearest_two(X, C)
        return kern.nearest(X, C), two[0], two[1], kern._nearest_runs(X, runs)

    faster = labels()
    monkeypatch.setattr(kern, "_argmin_ready", lambda block: block)  # float32 argmin
    np.testing.assert_array_equal(faster[1], faster[0])
    for got, expected in zip(faster, labels(), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert (faster[0] == 0).any() and (faster[0] == 1).any()
    assert not np.isin(faster[0], [k - 1, k // 2]).any()
    block = X @ (-2.0 * C.T) + np.einsum("ij,ij->i", C, C)  # the same float32 products
    tied = faster[0] == 0  # as near centre k - 1, its copy
    np.testing.assert_array_equal(faster[2][tied], block[tied, 0])


@pytest.mark.parametrize("k", [1, 2, 16])
def test_second_nearest_gap_is_the_distance_to_the_next_centre_minus_the_nearest(rng, k):
    X = rng.integers(0, 256, size=(2000, 3)).astype(np.float32)
    C = rng.integers(0, 256, size=(k, 3)).astype(np.float32)
    d = ((X[:, None, :].astype(np.float64) - C[None]) ** 2).sum(axis=2)
    labels, gap = kern.second_nearest_gap(X, C)
    np.testing.assert_array_equal(labels, kern.nearest(X, C))
    if k == 1:
        assert np.isinf(gap).all()
    else:
        np.testing.assert_allclose(gap, np.sort(d, axis=1)[:, 1] - d.min(axis=1), atol=1e-3)
    if k > 1:  # a centre given twice: no gap for the rows nearest to it
        C[1] = C[0]
        labels, gap = kern.second_nearest_gap(X, C)
        assert (gap[labels == 0] == 0).all()


def test_by_parts_covers_every_row_once_in_order(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)
    seen = []
    kern.by_parts(kern._PARALLEL_MIN_ROWS + 1, seen.append)
    rows = [i for part in sorted(seen, key=lambda s: s.start)
            for i in range(part.start, part.stop)]
    assert len(seen) == 2
    assert rows == list(range(kern._PARALLEL_MIN_ROWS + 1))


def test_by_parts_runs_few_rows_in_the_caller_without_tasks(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)

    def no_tasks(tasks):
        raise AssertionError("few rows were handed to _threads.run")

    monkeypatch.setattr(_threads, "run", no_tasks)
    seen = []
    kern.by_parts(kern._PARALLEL_MIN_ROWS - 1, seen.append)
    assert seen == [slice(0, kern._PARALLEL_MIN_ROWS - 1)]


def test_labels_sq_dist_are_exact_distances():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 10.0]])
    labels, dist = kern.labels_sq_dist(X, np.array([[0.0, 0.0], [10.0, 11.0]]))
    assert labels.tolist() == [0, 0, 1]
    assert dist.tolist() == [0.0, 25.0, 1.0]


def test_sq_dist_to_a_few_rows():
    X = np.array([[0.0, 0.0], [3.0, 4.0]], np.float32)
    d = kern.sq_dist_to(X, (X * X).sum(1), np.array([[0.0, 0.0], [3.0, 0.0]]))
    assert d.tolist() == [[0.0, 9.0], [25.0, 16.0]]


def test_sq_dist_to_keeps_float32_distances_on_request_with_the_same_values(rng):
    """What ordered dithering compares: the float32 table, not its float64 copy."""
    X = rng.normal(0, 100, (5000, 4)).astype(np.float32)
    C = rng.normal(0, 100, (300, 4))
    x_sq = np.einsum("ij,ij->i", X, X)
    kept = kern.sq_dist_to(X, x_sq, C, as_float64=False)
    copied = kern.sq_dist_to(X, x_sq, C)
    assert kept.dtype == np.float32 and copied.dtype == np.float64
    assert np.array_equal(kept.astype(np.float64), copied)
    assert np.array_equal(kept.argmin(axis=1), copied.argmin(axis=1))


@pytest.mark.parametrize("d", [3, 4, 8])
def test_sq_dist_from_a_few_rows_is_sq_dist_to_transposed(rng, d):
    # Integer colours far from 0: the expansion rounds, and must round alike.
    X = np.round(rng.random((3000, d)) * 255).astype(np.float32)
    x_sq = np.einsum("ij,ij->i", X, X)
    C = X[rng.choice(3000, 24)]
    got = kern.sq_dist_from(C, X, x_sq)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, kern.sq_dist_to(X, x_sq, C).T)


def test_group_sums_weights_equal_repeats(rng):
    X = rng.normal(size=(200, 3))
    labels = rng.integers(0, 4, 200)
    w = rng.integers(0, 4, 200)  # zero weights included: those rows must not count
    totals, sums = kern.group_sums(X, labels, 4, w.astype(float))
    rt, rs = kern.group_sums(np.repeat(X, w, axis=0), np.repeat(labels, w), 4)
    assert np.allclose(totals, rt) and np.allclose(sums, rs)


def test_group_means_of_an_empty_group_are_zero():
    means, totals = kern.group_means(np.array([[2.0], [4.0]]), np.array([0, 0]), 2)
    assert means.ravel().tolist() == [3.0, 0.0] and totals.tolist() == [2.0, 0.0]


def test_lloyd_update_empty_cluster_policies():
    X = np.array([[0.0], [1.0], [10.0]])
    labels = np.array([0, 0, 0])
    centers = np.array([[0.0], [50.0]])
    kept = kern.lloyd_update(X, None, labels, centers, empty="keep")
    moved = kern.lloyd_update(X, None, labels, centers, empty="farthest")
    assert kept.ravel().tolist() == pytest.approx([11 / 3, 50.0])
    assert moved.ravel().tolist() == pytest.approx([11 / 3, 10.0])


def test_lloyd_stops_when_nothing_changes_and_inertia_never_rises(rng):
    X = np.concatenate([rng.normal(0, 1, (300, 2)), rng.normal(8, 1, (300, 2))])
    start = X[[0, 1]]
    inertias, centers = [], start
    for passes in range(1, 6):
        centers, labels, done = kern.lloyd(X, None, start, passes)
        inertias.append(kern.sq_dist_to_labels(X, centers, labels).sum())
    assert all(b <= a + 1e-6 for a, b in zip(inertias, inertias[1:], strict=False))
    centers, labels, done = kern.lloyd(X, None, start, 100)
    assert done < 100
    totals, sums = kern.group_sums(X, labels, 2)
    assert np.allclose(centers, sums / totals[:, None])


def test_lloyd_max_changed_stops_earlier(rng):
    X = rng.normal(size=(2000, 2))
    start = X[:8]
    _, _, strict = kern.lloyd(X, None, start, 100)
    _, _, loose = kern.lloyd(X, None, start, 100, max_changed=0.05)
    assert loose < strict


def plain_lloyd(X, w, centers, max_passes, max_changed=0.0, empty="farthest"):
    """Lloyd passes relabelling every row: what :func:`kern.lloyd` must reproduce."""
    labels, done = kern.nearest(X, centers), 0
    while done < max_passes:
        centers = kern.lloyd_update(X, w, labels, centers, empty)
        new = kern.nearest(X, centers)
        changed = np.count_nonzero(new != labels)
        labels, done = new, done + 1
        if changed <= max_changed * X.shape[0]:
            break
    return centers, labels, done


@pytest.mark.parametrize(("n", "d", "k", "weighted", "empty"), [
    (5000, 3, 16, False, "farthest"),
    (5000, 3, 64, True, "keep"),
    (3000, 8, 8, True, "farthest"),
    (2000, 2, 1, False, "farthest"),
])
def test_lloyd_with_bounds_gives_the_labels_of_plain_passes(monkeypatch, rng, n, d, k,
                                                            weighted, empty):
    monkeypatch.setattr(kern, "_PLAIN_MAX_PAIRS", 0)  # bounds on few rows times centres too
    # Integer colours (many exact duplicates) and weights with real zeros.
    X = np.round(rng.random((n, d)) * 255).astype(np.float32)
    w = rng.integers(0, 4, n).astype(float) if weighted else None
    start = np.vstack([X[:k - 1], [[1000.0] * d]]) if k > 1 else X[:1]  # one far centre
    ref = plain_lloyd(X, w, start.astype(np.float64), 60, empty=empty)
    got = kern.lloyd(X, w, start, 60, empty=empty)
    np.testing.assert_array_equal(got[1], ref[1])
    np.testing.assert_array_equal(got[0], ref[0])
    assert got[2] == ref[2]


@pytest.mark.parametrize("passes", [1, 2, 3, 4])
@pytest.mark.parametrize(("weighted", "max_changed", "tol"), [
    (False, 0.0, 0.0), (True, 1e-3, 0.0), (True, 0.0, 1.0)])
def test_lloyd_in_few_passes_without_bounds_equals_lloyd_with_them(
        monkeypatch, rng, passes, weighted, max_changed, tol):
    X = np.round(rng.random((6000, 3)) * 255).astype(np.float32)
    w = rng.integers(0, 4, 6000).astype(float) if weighted else None
    start = X[rng.choice(6000, 12, replace=False)].astype(np.float64)
    assert passes <= kern._PLAIN_MAX_PASSES  # the default takes the path without bounds
    plain = kern.lloyd(X, w, start, passes, max_changed=max_changed, tol=tol, empty="keep")
    monkeypatch.setattr(kern, "_PLAIN_MAX_PASSES", 0)
    bounded = kern.lloyd(X, w, start, passes, max_changed=max_changed, tol=tol, empty="keep")
    np.testing.assert_array_equal(plain[0], bounded[0])
    np.testing.assert_array_equal(plain[1], bounded[1])
    assert plain[2] == bounded[2]


@pytest.mark.parametrize(("n", "k", "plain"), [(4096, 16, True), (4097, 16, False),
                                                (1024, 64, True), (1025, 64, False)])
def test_lloyd_on_few_rows_times_centres_runs_without_bounds(monkeypatch, rng, n, k, plain):
    """Up to 2**16 rows times centres, many passes without overshoot skip the bounds
    (their set-up costs more than they save there) and end where the bounds would."""
    X = np.round(rng.random((n, 3)) * 255).astype(np.float32)
    w = rng.integers(0, 4, n).astype(float)
    start = X[rng.choice(n, k, replace=False)].astype(np.float64)
    made = []
    monkeypatch.setattr(kern, "_HamerlyBounds",
                        lambda *a, cls=kern._HamerlyBounds: made.append(1) or cls(*a))
    got = kern.lloyd(X, w, start, 100, max_changed=2e-4)
    assert (not made) == plain
    kern.lloyd(X, w, start, 100, max_changed=2e-4, overshoot=1.0)  # overshoot needs bounds
    assert len(made) == 1 + (not plain)
    monkeypatch.setattr(kern, "_PLAIN_MAX_PAIRS", 0)
    bounded = kern.lloyd(X, w, start, 100, max_changed=2e-4)
    for a, b in zip(got, bounded, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("passes", [1, 2, 4, 6, 30, 200])
def test_lloyd_without_labels_needed_gives_the_same_centres(rng, passes):
    X = np.round(rng.random((6000, 3)) * 255).astype(np.float32)
    w = rng.integers(1, 4, 6000).astype(float)
    start = X[rng.choice(6000, 10, replace=False)].astype(np.float64)
    full = kern.lloyd(X, w, start, passes, empty="keep")
    lean = kern.lloyd(X, w, start, passes, empty="keep", labels_needed=False)
    np.testing.assert_array_equal(lean[0], full[0])
    assert lean[2] == full[2]
    assert (full[2] == passes) == (passes < 200)  # 200: the stop rule fires first
    if full[2] == passes:
        assert lean[1] is None  # the last comparison of every row was skipped
    else:
        np.testing.assert_array_equal(lean[1], full[1])


def test_lloyd_overshoot_ends_at_a_fixed_point_in_fewer_passes():
    X = np.arange(1000, dtype=np.float32)[:, None]  # plain passes creep along a ramp
    start = np.array([[0.0], [1.0], [2.0], [3.0]])
    _, _, plain = kern.lloyd(X, None, start, 500)
    centers, labels, passes = kern.lloyd(X, None, start, 500, overshoot=1.0)
    assert passes < plain < 500
    np.testing.assert_array_equal(labels, kern.nearest(X, centers))
    totals, sums = kern.group_sums(X, labels, 4)
    np.testing.assert_array_equal(centers, sums / totals[:, None])


def test_lloyd_overshoot_of_zero_is_plain_lloyd(rng):
    X = np.round(rng.random((3000, 3)) * 255).astype(np.float32)
    w = rng.integers(0, 4, 3000).astype(float)
    start = X[:10].astype(np.float64)
    plain = kern.lloyd(X, w, start, 30, max_changed=1e-3, empty="keep")
    zero = kern.lloyd(X, w, start, 30, max_changed=1e-3, empty="keep", overshoot=0.0)
    np.testing.assert_array_equal(plain[0], zero[0])
    np.testing.assert_array_equal(plain[1], zero[1])


def _overshoot_setup():
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]], dtype=np.float32)
    before = np.array([[0.0], [12.0]])  # the centres that gave the labels
    bounds = kern._HamerlyBounds(X, before)
    groups = kern._Groups(X, None, bounds.labels, 2)
    return X, before, bounds, groups


def test_overshoot_undoes_a_trial_that_raises_the_inertia():
    X, before, bounds, groups = _overshoot_setup()
    means = np.array([[1.0], [11.0]])
    # 5 steps past the means puts both centres at 6: worse, so the means are taken.
    got = kern._overshoot(bounds, groups, before, means, 5.0)
    assert got[1] == np.inf
    np.testing.assert_array_equal(got[0], means)
    assert bounds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert groups.totals.tolist() == [3.0, 3.0]
    assert groups.sums.ravel().tolist() == [3.0, 33.0]


def test_overshoot_beyond_every_row_is_not_tried():
    X, before, bounds, groups = _overshoot_setup()
    labels = bounds.labels.copy()
    # A trial at 101 and -89 lies farther from 0 than any row: nothing is done.
    assert kern._overshoot(bounds, groups, before, np.array([[1.0], [11.0]]), 100.0) is None
    np.testing.assert_array_equal(bounds.labels, labels)


def test_hamerly_bounds_hold_after_every_pass(rng):
    X = (rng.normal(size=(4000, 3)) * 50 + 100).astype(np.float32)  # far from 0: rounding
    centers = X[:12].copy()
    bounds = kern._HamerlyBounds(X, centers)
    x_sq = (X.astype(np.float64) ** 2).sum(1)
    a = 2.0 * (3 + 4) * float(np.finfo(np.float32).eps)  # an expansion's rounding per norm
    for step in range(10):
        centers = kern.lloyd_update(X, None, bounds.labels, centers)
        if step == 5:  # beyond every row's norm: the rounding margins widen
            centers[0] = [900.0, -900.0, 900.0]
        before = bounds.labels.copy()
        moved, old = bounds.relabel(centers)
        assert moved.tolist() == np.flatnonzero(bounds.labels != before).tolist()
        assert old.tolist() == before[moved].tolist()
        c32 = centers.astype(np.float32).astype(np.float64)
        d = np.sqrt(((X[:, None, :].astype(np.float64) - c32[None]) ** 2).sum(-1))
        own = d[np.arange(len(X)), bounds.labels]
        d[np.arange(len(X)), bounds.labels] = np.inf
        err = a * (x_sq + (c32 ** 2).sum(1).max())
        assert (bounds.upper >= np.sqrt(own ** 2 + 2 * err) * (1 - 1e-7)).all()
        assert (bounds.lower <= d.min(1) * (1 + 1e-7)).all()
        np.testing.assert_array_equal(bounds.labels, kern.nearest(X, centers))



def _hamerly_passes(X, centers, passes=8):
    """Bounds and labels after each of ``passes`` relabellings (the sixth at centres
    beyond every row: every row compared again)."""
    bounds = kern._HamerlyBounds(X, centers)
    seen = [(bounds.labels.copy(), bounds.upper.copy(), bounds.lower.copy())]
    for step in range(passes):
        centers = kern.lloyd_update(X, None, bounds.labels, centers)
        if step == 5:
            centers[0] = [900.0, -900.0, 900.0]
        moved, old = bounds.relabel(centers)
        seen.append((bounds.labels.copy(), bounds.upper.copy(), bounds.lower.copy(),
                     moved, old))
    return seen


def test_hamerly_bounds_are_the_same_in_bands_of_any_size(rng, monkeypatch):
    """The bounds are updated a band of rows at a time: bands of 1,000 rows give every
    bound, label and moved row bit for bit as one band of all 5,000 rows."""
    X = (rng.normal(size=(5000, 3)) * 50 + 100).astype(np.float32)
    whole = _hamerly_passes(X, X[:12].astype(np.float64))
    monkeypatch.setattr(kern, "_BOUND_ROWS", 1000)
    banded = _hamerly_passes(X, X[:12].astype(np.float64))
    for a, b in zip(whole, banded, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()


def test_lloyd_with_bounds_on_a_fixed_set_keeps_its_centres():
    """Weighted passes with Hamerly's bounds (70,000 rows, two bands) end on the centres
    they ended on before the bounds were kept in bands, to the bit."""
    rng = np.random.default_rng(32)
    means = np.array([[20.0, 200.0], [90.0, 40.0], [160.0, 120.0], [230.0, 220.0]])
    X = np.round(means[rng.integers(0, 4, 70_000)]
                 + rng.normal(scale=25.0, size=(70_000, 2)), 2).astype(np.float32)
    w = np.random.default_rng(33).integers(1, 4, 70_000).astype(float)
    centers, labels, passes = kern.lloyd(X, w, X[:4].astype(np.float64), 12)
    assert centers.tolist() == [[230.03434501207295, 220.12184841392587],
                                [19.89229682379193, 199.7640822903544],
                                [160.18181102966517, 119.92327282647697],
                                [89.75876003841103, 39.411967232407896]]
    assert np.bincount(labels).tolist() == [17543, 17408, 17564, 17485]
    assert passes == 11


def test_lloyd_with_bounds_holds_no_copy_of_the_rows(rng, monkeypatch):
    """Hamerly's bounds keep four numbers a row (labels, both bounds, squared norms);
    each row's rounding margin is worked out when needed and every other temporary
    covers a band of rows: no copy of the rows, no float64 array a row beside them."""
    X = (rng.random((200_000, 3)) * 255).astype(np.float32)
    start = kern.lloyd(X[::10], None, X[:16].astype(np.float64), 4)[0]
    monkeypatch.setattr(_threads, "_count", 1)  # one band's temporaries at a time
    peak = peak_bytes(lambda: kern.lloyd(X, None, start, 5))
    # 4 x 8 bytes a row are 2.7 times the rows' 12; a copy of every row (as indexing
    # all rows made) and full-length float64 temporaries took the peak past 8 times.
    assert peak < 6 * X.nbytes

def test_lloyd_tol_stops_once_the_centres_settle(rng):
    X = rng.normal(size=(2000, 2))
    start = X[:8]
    _, _, full = kern.lloyd(X, None, start, 100)
    _, _, one = kern.lloyd(X, None, start, 100, tol=1e9)
    c, labels, some = kern.lloyd(X, None, start, 100, tol=1e-3)
    assert one == 1 and 1 < some < full
    # Stopped by tol, the labels are still the nearest centres.
    np.testing.assert_array_equal(labels, kern.nearest(X, c))


@pytest.mark.parametrize(("n", "d", "k", "weighted", "tol"), [
    (3000, 3, 16, False, 0.0),
    (2000, 3, 8, True, 0.0),
    (1500, 2, 5, True, 1e-2),
    (500, 4, 1, False, 0.0),
])
def test_lloyd_runs_equal_lloyd_run_by_run(rng, n, d, k, weighted, tol):
    X = np.round(rng.random((n, d)) * 255).astype(np.float32)
    w = rng.integers(0, 4, n).astype(float) if weighted else None
    starts = np.stack([X[rng.choice(n, k, replace=False)] for _ in range(5)]).astype(float)
    starts[0, -1] = 1000.0  # a centre far from every row: it empties and moves
    given = starts.copy()
    centers, labels, passes = kern.lloyd_runs(X, w, starts, 40, max_changed=1e-3, tol=tol)
    assert passes.min() < passes.max() or k == 1  # the runs stopped at different passes
    np.testing.assert_array_equal(starts, given)  # the caller's centres are not changed
    for run in range(5):
        ref = kern.lloyd(X, w, starts[run], 40, max_changed=1e-3, tol=tol)
        np.testing.assert_array_equal(labels[run], ref[1])
        np.testing.assert_allclose(centers[run], ref[0], rtol=1e-12)
        assert passes[run] == ref[2]


def test_lloyd_runs_from_known_labels_compare_the_rows_once_less(rng, monkeypatch):
    X = np.round(rng.random((2000, 3)) * 255).astype(np.float32)
    w = rng.integers(0, 4, 2000).astype(float)
    starts = np.stack([X[rng.choice(2000, 6, replace=False)] for _ in range(4)]).astype(float)
    centers, labels, _ = kern.lloyd_runs(X, w, starts, 3)
    given = labels.copy()
    calls = []
    counted = kern._nearest_runs
    monkeypatch.setattr(kern, "_nearest_runs", lambda *a: calls.append(1) or counted(*a))
    again = kern.lloyd_runs(X, w, centers, 2)
    compared = len(calls)
    known = kern.lloyd_runs(X, w, centers, 2, labels=labels)
    assert len(calls) - compared == compared - 1  # the first comparison is skipped
    for a, b in zip(again, known, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(labels, given)  # the caller's labels are not changed


def test_lloyd_runs_of_no_pass_keep_no_group_sums(rng, monkeypatch):
    X = np.round(rng.random((50, 3)) * 255).astype(np.float32)
    starts = np.stack([X[:4], X[4:8]]).astype(float)
    labels = kern._nearest_runs(X, starts)

    def no_groups(*args):
        raise AssertionError("group sums kept for no pass")

    monkeypatch.setattr(kern, "_RunGroups", no_groups)
    centers, got, passes = kern.lloyd_runs(X, None, starts, 0, labels=labels)
    np.testing.assert_array_equal(centers, starts)
    np.testing.assert_array_equal(got, labels)
    assert passes.tolist() == [0, 0]


@pytest.mark.parametrize("weighted", [False, True])
def test_run_group_means_equal_lloyd_update_run_by_run(rng, weighted):
    X = (rng.random((700, 3)) * 255).astype(np.float32)
    w = rng.random(700) * 5 if weighted else None
    labels = rng.integers(0, 6, size=(5, 700))
    groups = kern._RunGroups(X, w, labels, 6)
    centers = rng.random((5, 6, 3)) * 255
    for runs in (np.arange(5), np.array([1, 3])):  # all runs, then two still moving
        got = groups.means(runs, labels[runs], centers[runs])
        for i, run in enumerate(runs):
            np.testing.assert_array_equal(got[i], kern.lloyd_update(X, w, labels[run],
                                                                    centers[run]))


def test_run_groups_follow_the_rows_that_move(rng):
    # Integer colours and counts (zeros among them): the kept sums are exact.
    X = np.round(rng.random((500, 3)) * 255).astype(np.float32)
    w = rng.integers(0, 4, 500).astype(float)
    labels = rng.integers(0, 4, size=(3, 500))
    labels[1, :] = 0  # run 1: groups 1-3 empty, then filled
    groups = kern._RunGroups(X, w, labels, 4)
    runs = np.array([1, 2])
    new = labels[runs].copy()
    new[:, :60] = rng.integers(0, 4, size=(2, 60))
    new[1, new[1] == 3] = 2  # run 2: group 3 left empty
    groups.move(runs, labels[runs], new, new != labels[runs])
    labels[runs] = new
    fresh = kern._RunGroups(X, w, labels, 4)
    np.testing.assert_array_equal(groups.members, fresh.members)
    np.testing.assert_array_equal(groups.totals, fresh.totals)
    np.testing.assert_array_equal(groups.sums, fresh.sums)
    assert groups.totals[2 * 4 + 3] == 0.0


@pytest.mark.parametrize("weighted", [False, True])
def test_moved_sums_are_the_sums_entered_less_those_left_bit_for_bit(rng, weighted):
    # one weighted column for both sides, as the two group_sums calls it replaced made
    x = rng.random((300, 3)).astype(np.float32) * 255
    w = rng.random(300) * 5 if weighted else None
    old, new = rng.integers(0, 7, 300), rng.integers(0, 7, 300)
    members, totals, sums = kern._moved_sums(x, w, old, new, 7)
    in_totals, in_sums = kern.group_sums(x, new, 7, w)
    out_totals, out_sums = kern.group_sums(x, old, 7, w)
    np.testing.assert_array_equal(members, np.bincount(new, minlength=7)
                                  - np.bincount(old, minlength=7))
    np.testing.assert_array_equal(totals, in_totals - out_totals)
    np.testing.assert_array_equal(sums, in_sums - out_sums)


def test_lloyd_runs_from_fixed_points_stop_after_one_pass():
    X = np.array([[0.0], [1.0], [9.0], [10.0]])
    starts = np.array([[[0.5], [9.5]], [[9.5], [0.5]]])
    centers, labels, passes = kern.lloyd_runs(X, None, starts, 10)
    assert labels.tolist() == [[0, 0, 1, 1], [1, 1, 0, 0]]
    assert passes.tolist() == [1, 1]
    np.testing.assert_array_equal(centers, starts)
    assert starts[0].ravel().tolist() == [0.5, 9.5]  # the caller's centres are not changed


def test_groups_moved_row_by_row_equal_the_full_sums(rng):
    X = rng.integers(0, 256, (500, 3)).astype(np.float32)  # integer features
    counts = rng.integers(1, 50, 500).astype(np.float64)   # integer weights: exact
    labels = rng.integers(0, 6, 500)
    groups = kern._Groups(X, counts, labels, 6)
    for _ in range(5):
        new = labels.copy()
        rows = rng.choice(500, 60, replace=False)
        new[rows] = rng.integers(0, 6, 60)
        moved = np.flatnonzero(new != labels)
        groups.move(moved, labels[moved], new[moved])
        labels = new
        totals, sums = kern.group_sums(X, labels, 6, counts)
        assert np.array_equal(groups.totals, totals) and np.array_equal(groups.sums, sums)
        assert groups.members.tolist() == np.bincount(labels, minlength=6).tolist()


@pytest.mark.parametrize("weighted", [False, True])
def test_occupied_group_sums_are_the_rows_of_the_whole_table(rng, weighted):
    """The groups with a non-zero total, and their totals and sums to the bit, as
    group_sums gives them in its table of every group."""
    X = rng.random((3000, 4)).astype(np.float32)
    labels = rng.choice(np.array([3, 17, 18, 400, 999]), 3000)
    weights = rng.integers(1, 1000, 3000) if weighted else None
    totals, sums = kern.group_sums(X, labels, 1000, weights)
    groups, got_totals, got_sums = kern.occupied_group_sums(X, labels, 1000, weights)
    assert groups.tolist() == [3, 17, 18, 400, 999]
    assert np.array_equal(got_totals, totals[groups]) and np.array_equal(got_sums, sums[groups])


def test_occupied_group_sums_hold_no_row_for_every_group(rng):
    """Of a million groups (the cells of a 12 MP image with soft alpha), a few occupied:
    no (k, d) float64 table (32 MB there) beside the one column bincount gives."""
    X = rng.random((1000, 4)).astype(np.float32)
    labels = rng.integers(0, 1 << 20, 1000)
    weights = rng.integers(1, 9, 1000)
    peak = peak_bytes(lambda: kern.occupied_group_sums(X, labels, 1 << 20, weights), repeats=3)
    assert peak < 2.5 * 8 * (1 << 20)  # the totals and a column; group_sums: 7 before


def test_a_group_emptied_by_moves_has_exact_zero_sums(rng):
    X = rng.random((40, 2))
    weights = rng.random(40) / 7  # rounding noise would remain without the reset
    labels = np.arange(40) % 4
    groups = kern._Groups(X, weights, labels, 4)
    for part in np.array_split(np.flatnonzero(labels == 3), 3):  # group 3 leaves in 3 moves
        new = labels.copy()
        new[part] = 0
        groups.move(part, labels[part], new[part])
        labels = new
    assert (labels != 3).all()
    assert groups.members[3] == 0 and groups.totals[3] == 0.0 and (groups.sums[3] == 0.0).all()
    totals, sums = kern.group_sums(X, labels, 4, weights)
    assert np.allclose(groups.totals, totals) and np.allclose(groups.sums, sums)
    # lloyd's centres then treat it as empty: kept in place
    centers = np.arange(8, dtype=float).reshape(4, 2)
    kept = kern._means(X, weights, labels, centers, groups.totals, groups.sums, "keep")
    assert kept[3].tolist() == [6.0, 7.0]


@pytest.mark.parametrize("k", [1, 16, 256, 1024, 4096])
@pytest.mark.parametrize("d", [3, 8, 40])
def test_a_chunk_keeps_the_product_small_up_to_4096_centres(k, d):
    rows = kern.chunk_rows(k, d)
    assert kern._CHUNK_MIN_ROWS <= rows <= kern._CHUNK_MAX_ROWS
    if d <= 8:  # colour features: every product stays under the work bound
        assert rows * k * 8 <= kern._CHUNK_WORK


@pytest.mark.parametrize("values", [1 << 20, 7, 1])
def test_next_centre_distance_in_column_blocks_equals_all_pairs(monkeypatch, rng, values):
    """Column blocks of any size give every centre's distance to its nearest other one."""
    monkeypatch.setattr(kern, "_NEXT_CENTRE_VALUES", values)
    centers = rng.random((37, 3)).astype(np.float32)
    c = centers.astype(np.float64)
    sq = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(sq, np.inf)
    assert np.array_equal(kern._next_centre_distance(centers), np.sqrt(sq.min(axis=1)))
    assert kern._next_centre_distance(centers[:1]).tolist() == [np.inf]


# --------------------------------------------------------------------------
# Many centres: the k-d tree (from 257 centres here, 1,025 by default, so that
# small inputs take it)
# --------------------------------------------------------------------------


@pytest.fixture
def tree_from_257(monkeypatch):
    monkeypatch.setattr(kern, "_TREE_MIN_K", 257)


def _spy_tree(spy):
    """The shapes of the k-d trees built (over centres or rows) while the test runs."""
    from scipy import spatial

    return spy(spatial, "cKDTree", lambda data, *args, **kwargs: np.shape(data))


@pytest.mark.parametrize("k", [256, 257])
def test_nearest_searches_a_tree_past_256_centres_only(tree_from_257, spy, rng, k):
    built = _spy_tree(spy)
    X = rng.integers(0, 256, size=(500, 3)).astype(np.float32)
    C = rng.integers(0, 256, size=(k, 3)).astype(np.float32)
    labels = kern.nearest(X, C)
    d = ((X[:, None, :].astype(np.float64) - C[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, d.argmin(axis=1))  # integers: exact, ties to the first
    assert built == ([(k, 3)] if k > 256 else [])
    assert not kern.uses_tree(k, 5)


def test_tree_nearest_gives_ties_to_the_lowest_index_even_past_the_neighbours_it_asks_for(
        tree_from_257):
    # Row 0 is as near 6 centres (more than _TREE_NEIGHBOURS), row 1 as near 2.
    C = np.full((300, 3), 200.0, dtype=np.float32)
    C[:300, 0] += np.arange(300)  # all far from the rows below
    ring = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
    C[[250, 40, 299, 7, 100, 90]] = 10.0 + ring
    C[[180, 60]] = [[50, 50, 49], [50, 50, 51]]
    X = np.array([[10, 10, 10], [50, 50, 50], [11, 10, 10]], dtype=np.float32)
    labels, second = kern._tree_nearest_two(X, C)
    assert labels.tolist() == [7, 60, 250]
    assert second.tolist() == [1.0, 1.0, 2.0]
    assert kern.nearest(X, C).tolist() == [7, 60, 250]


def test_nearest_two_past_256_centres_gives_the_exact_second_distance(tree_from_257, rng):
    X = rng.integers(0, 256, size=(2000, 4)).astype(np.float32)
    C = rng.integers(0, 256, size=(400, 4)).astype(np.float32)
    C[-1] = C[0]  # a centre given twice: no gap for the rows nearest to it
    d = ((X[:, None, :].astype(np.float64) - C[None]) ** 2).sum(axis=2)
    labels, second = kern._nearest_two(X, C)
    np.testing.assert_array_equal(labels, d.argmin(axis=1))
    x_sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    np.testing.assert_array_equal(second + x_sq, np.sort(d, axis=1)[:, 1])


def test_next_centre_distance_past_256_centres_equals_all_pairs(tree_from_257, spy, rng):
    built = _spy_tree(spy)
    centers = rng.random((300, 3)).astype(np.float32)
    centers[5] = centers[9]
    c = centers.astype(np.float64)
    sq = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(sq, np.inf)
    np.testing.assert_allclose(kern._next_centre_distance(centers), np.sqrt(sq.min(axis=1)),
                               rtol=1e-12)
    assert kern._next_centre_distance(centers)[[5, 9]].tolist() == [0.0, 0.0]
    assert built == [(300, 3), (300, 3)]


def test_lloyd_past_256_centres_finds_known_clusters_exactly(tree_from_257, rng):
    # 300 clusters on a grid 10 apart, each of 4 points at +-1 from its middle.
    middles = 10.0 * np.stack(np.unravel_index(np.arange(300), (10, 10, 3)), axis=1)
    offsets = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]], dtype=np.float64)
    X = (middles[:, None, :] + offsets[None]).reshape(-1, 3).astype(np.float32)
    start = middles + rng.uniform(-2, 2, size=middles.shape)
    centers, labels, _ = kern.lloyd(X, None, start, 10)
    np.testing.assert_array_equal(centers, middles)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(300), 4))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_same_pixels_is_every_channel_equal(channels):
    rng = np.random.default_rng(channels)
    a = rng.integers(0, 3, (9, 11, channels), dtype=np.uint8)
    b = a.copy()
    b[rng.random(b.shape) < 0.2] += 1
    same = kern.same_pixels(a, b)
    assert same.dtype == bool and same.shape == (9, 11)
    assert np.array_equal(same, (a == b).all(axis=2))
    assert 0 < same.sum() < same.size
    # a view of three channels of four, as the animation plans pass their frames
    assert np.array_equal(kern.same_pixels(a[..., :3], b[..., :3]),
                          (a[..., :3] == b[..., :3]).all(axis=2))


@pytest.mark.parametrize("weights", [None, "int64", "float32", "float64"])
def test_weighted_group_sums_are_each_columns_products_summed_in_one_buffer(rng, weights):
    """The same sums as a fresh product a column, to the last bit, without holding two
    columns of products at once (a 12 MP image's 4 M colours: 32 MB more)."""
    n, k = 100_000, 50
    X = rng.random((n, 4), dtype=np.float32) * 255
    labels = rng.integers(0, k, n)
    w = None if weights is None else (rng.random(n) * 9 + 1).astype(weights)
    totals, sums = kern.group_sums(X, labels, k, w)
    for j in range(4):
        col = X[:, j] if w is None else X[:, j] * w
        assert np.array_equal(sums[:, j], np.bincount(labels, weights=col, minlength=k))
    assert np.array_equal(totals, np.bincount(labels, weights=w, minlength=k))
    if w is not None and w.dtype != np.float32:  # float32 products: bincount's copy too
        column = n * 8
        assert peak_bytes(lambda: kern.group_sums(X, labels, k, w), repeats=3) < 1.5 * column


def test_distances_to_labelled_centres_in_float64_convert_the_rows_a_chunk_at_a_time(rng):
    """float32 rows measured in float64 give what their float64 copy gives, to the last
    bit, without that (n, d) copy (123 MB for a 12 MP image's 4 M colours with alpha)."""
    n = 100_000
    X = rng.random((n, 4), dtype=np.float32) * 255
    centers = rng.random((16, 4)) * 255
    labels = rng.integers(0, 16, n)
    got = kern.sq_dist_to_labels(X, centers, labels, np.float64)
    off = X.astype(np.float64) - centers[labels]
    assert got.dtype == np.float64
    assert np.array_equal(got, np.einsum("ij,ij->i", off, off))
    as32 = kern.sq_dist_to_labels(X, centers, labels)  # float32 rows: float32, as before
    off32 = X - centers.astype(np.float32)[labels]
    assert as32.dtype == np.float32 and np.array_equal(as32, np.einsum("ij,ij->i", off32, off32))
    # float64 rows (the k-means core's float64 data): float64, as their dtype asks.
    assert np.array_equal(kern.sq_dist_to_labels(X.astype(np.float64), centers, labels), got)
    peak = peak_bytes(lambda: kern.sq_dist_to_labels(X, centers, labels, np.float64), repeats=3)
    assert peak < 0.5 * X.size * 8  # the distances (n,) and a chunk, no (n, d) copy


@pytest.mark.parametrize("cut", [np.s_[:, :], np.s_[2:7, 3:9], np.s_[::2, 1::3]])
def test_same_pixels_of_rgba_crops_compared_a_word_a_pixel_is_every_channel_equal(cut):
    """RGBA uint8 pixels, also of a crop or a strided view, are compared as 32-bit words:
    each channel of a pixel that differs in one is caught."""
    rng = np.random.default_rng(7)
    a = rng.integers(0, 3, (9, 11, 4), dtype=np.uint8)
    b = a.copy()
    for channel in range(4):  # one pixel differing in each channel alone
        b[2 + 2 * channel, 3 + channel, channel] += 1
    b[rng.random(b.shape) < 0.1] += 1
    expected = (a[cut] == b[cut]).all(axis=2)
    assert np.array_equal(kern.same_pixels(a[cut], b[cut]), expected)
    assert 0 < expected.sum() < expected.size
