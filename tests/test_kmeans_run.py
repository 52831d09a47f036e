"""One fitting run: the mini-batch step, the stop rule, weighted draws, seeding, a whole run."""

from __future__ import annotations

import numpy as np
import pytest

from quantize import _kernels as kern
from quantize._kernels import lloyd, nearest, sq_dist_to_labels
from quantize.kmeans_run import (
    Convergence,
    WeightedSampler,
    _seed_indices,
    fit_once,
    fit_together,
    mini_batch_step,
    plusplus_indices,
    plusplus_runs,
    raise_too_few_distinct,
    reassign_starving,
    runs_fit_together,
    swap_search,
)


def f32(rows):
    return np.asarray(rows, dtype=np.float32)


def test_mini_batch_step_moves_centres_by_learning_rate_one_over_count():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]])
    counts = np.array([1.0, 3.0, 5.0])
    batch = f32([[1, 0], [2, 0], [11, 0]])
    mean_sq, shift = mini_batch_step(batch, centers, counts)
    # Before the move the squared distances are 1, 4 and 1.
    assert mean_sq == 2.0
    # (0 * 1 + 1 + 2) / 3 and (10 * 3 + 11) / 4; the third centre got no point and stays.
    np.testing.assert_array_equal(centers, [[1.0, 0.0], [10.25, 0.0], [100.0, 100.0]])
    np.testing.assert_array_equal(counts, [3.0, 4.0, 5.0])
    assert shift == 1.0  # the largest squared shift, of the first centre


def test_reassign_starving_moves_a_starving_centre_onto_the_far_row(rng):
    centers = np.array([[0.0], [1.0], [100.0]])
    counts = np.array([100.0, 50.0, 0.5])  # 0.5 < 1% of 100: the third starves
    batch = f32([[0], [1], [50]])  # only 50 is away from every centre
    reassign_starving(batch, centers, counts, rng)
    np.testing.assert_array_equal(centers, [[0.0], [1.0], [50.0]])
    np.testing.assert_array_equal(counts, [100.0, 50.0, 50.0])  # the least of the others


def test_reassign_starving_never_draws_a_row_of_weight_zero(rng):
    centers = np.array([[0.0], [1.0], [100.0]])
    counts = np.array([100.0, 50.0, 0.5])
    reassign_starving(f32([[0], [1], [50]]), centers, counts, rng,
                      np.array([1.0, 1.0, 0.0]))
    # The far row weighs nothing, and the others lie on their centres: nothing moves.
    np.testing.assert_array_equal(centers, [[0.0], [1.0], [100.0]])
    np.testing.assert_array_equal(counts, [100.0, 50.0, 0.5])


def test_convergence_fires_after_patience_steps_without_a_new_best():
    state = Convergence(n=3, batch=2, patience=2)  # alpha 1: the average is the last value
    assert [state.no_improvement(v) for v in (5.0, 4.0, 4.5, 4.6)] == [
        False, False, False, True]


def test_convergence_without_patience_never_fires():
    state = Convergence(n=3, batch=2, patience=None)
    assert not any(state.no_improvement(v) for v in (1.0, 2.0, 3.0, 4.0, 5.0))


def test_convergence_smooths_the_batch_inertia():
    state = Convergence(n=99, batch=10, patience=None)  # alpha = 2 * 10 / 100
    state.no_improvement(10.0)
    state.no_improvement(0.0)
    assert state.ewa == pytest.approx(8.0)


def test_weighted_sampler_draws_in_proportion_to_weight_and_never_zero_weight(rng):
    sampler = WeightedSampler(np.array([0.0, 1.0, 0.0, 3.0]), rng)
    assert not sampler.uniform
    drawn = sampler.draw(4000)
    assert set(np.unique(drawn)) == {1, 3}
    assert np.mean(drawn == 3) == pytest.approx(0.75, abs=0.03)


def test_weighted_sampler_with_equal_weights_draws_uniformly(rng):
    sampler = WeightedSampler(np.full(5, 2.0), rng)
    assert sampler.uniform
    counts = np.bincount(sampler.draw(5000), minlength=5)
    assert counts.shape == (5,) and counts.min() > 900


def test_plusplus_indices_skip_zero_weight_rows(rng):
    X = f32([[0, 0], [5, 5], [10, 10], [15, 15]])
    w = np.array([1.0, 0.0, 1.0, 0.0])
    assert sorted(plusplus_indices(X, 2, w, rng).tolist()) == [0, 2]
    # Only two positions carry weight, so a third centre cannot be placed.
    assert plusplus_indices(X, 3, w, rng) is None


def test_plusplus_indices_run_out_on_repeated_rows(rng):
    X = f32([[0, 0], [0, 0], [1, 1]])
    assert plusplus_indices(X, 3, np.ones(3), rng) is None


def test_random_init_draws_rows_in_proportion_to_weight(rng):
    # Row 0 carries 98 % of the weight, as 98 repeats of it would (one-centre seedings).
    X = f32([[0], [1], [2]])
    w = np.array([98.0, 1.0, 1.0])
    draws = [int(_seed_indices(X, w, 1, "random", rng)[0]) for _ in range(300)]
    assert draws.count(0) >= 280
    repeated = np.repeat(X, [98, 1, 1], axis=0)
    draws = [int(_seed_indices(repeated, np.ones(100), 1, "random", rng)[0]) for _ in range(300)]
    assert sum(repeated[i, 0] == 0 for i in draws) >= 280
    assert _seed_indices(X, w, 4, "random", rng) is None  # fewer distinct rows than k


def test_plusplus_runs_choose_what_each_run_would_choose_alone(rng):
    X = (rng.random((2000, 3)) * 255).astype(np.float32)
    w = rng.random(2000)
    seeds = np.random.SeedSequence(6).spawn(6)
    gens = [np.random.default_rng(s) for s in seeds]
    together = plusplus_runs(X, 12, w, gens)
    for s, got, gen in zip(seeds, together, gens, strict=True):
        alone_gen = np.random.default_rng(s)
        alone = plusplus_indices(X, 12, w, alone_gen)
        np.testing.assert_array_equal(got, alone)
        assert gen.random() == alone_gen.random()  # each Generator left as alone


def test_plusplus_runs_on_few_rows_use_one_table_and_choose_as_alone(rng, monkeypatch):
    """120 rows (20 of them copies) for 6 runs of 12 steps: one product fills the table
    of all distances, and every run chooses what it would choose alone."""
    import quantize.kmeans_run as kr

    X = (rng.random((100, 3)) * 255).astype(np.float32)
    X = np.vstack([X, X[:20]])
    w = rng.random(120)
    products = []
    monkeypatch.setattr(kr, "sq_dist_from", lambda C, *a: products.append(len(C))
                        or kern.sq_dist_from(C, *a))
    seeds = np.random.SeedSequence(7).spawn(6)
    gens = [np.random.default_rng(s) for s in seeds]
    given = X.copy(), w.copy()
    together = plusplus_runs(X, 12, w, gens)
    assert products == [120]
    np.testing.assert_array_equal(X, given[0])  # the caller's rows and weights unchanged
    np.testing.assert_array_equal(w, given[1])
    for s, got, gen in zip(seeds, together, gens, strict=True):
        alone_gen = np.random.default_rng(s)
        alone = plusplus_indices(X, 12, w, alone_gen)
        np.testing.assert_array_equal(got, alone)
        assert np.unique(X[got], axis=0).shape[0] == 12  # never a copy of a chosen row
        assert gen.random() == alone_gen.random()  # each Generator left as alone


@pytest.mark.parametrize("copies", [1, 500])  # 4 rows take the table, 2,000 do not
def test_runs_that_run_out_leave_their_generators_as_alone(copies):
    """Runs draw all their steps at once; one that runs out of distinct rows is wound
    back to what it drew step by step, as a later seeding goes on from it."""
    X = np.repeat(f32([[0, 0], [0, 0], [1, 1], [5, 5]]), copies, axis=0)
    w = np.ones(X.shape[0])
    seeds = np.random.SeedSequence(3).spawn(3)
    gens = [np.random.default_rng(s) for s in seeds]
    assert plusplus_runs(X, 4, w, gens) == [None, None, None]
    for s, gen in zip(seeds, gens, strict=True):
        alone_gen = np.random.default_rng(s)
        assert plusplus_indices(X, 4, w, alone_gen) is None
        assert gen.random() == alone_gen.random()


def test_the_table_is_used_on_rows_of_at_most_half_the_candidates_compared_and_256():
    from quantize.kmeans_run import _uses_table

    # 4 runs at k = 64 compare 4 x 63 x 6 = 1,512 candidate rows
    assert _uses_table(1012, 64, 4, 6) and not _uses_table(1013, 64, 4, 6)
    assert _uses_table(496, 16, 8, 4) and not _uses_table(497, 16, 8, 4)
    assert not _uses_table(1537, 1024, 3, 8)  # too many rows for a table


def test_copies_of_the_chosen_rows_are_zeroed_for_all_runs_as_run_by_run():
    """Runs 0 and 2 chose a row with a copy, run 2's copy with a rounding residue; run 1
    chose a row without copies; run 3 is not among the runs asked about."""
    from quantize.kmeans_run import _zero_at_copies, _zero_at_copies_runs

    X = f32([[1, 2], [5, 5], [1, 2], [9, 0], [5, 5]])
    closest = np.array([[0.0, 41.0, 0.0, 68.0, 41.0],
                        [41.0, 25.0, 41.0, 0.0, 16.0],
                        [41.0, 3e-6, 41.0, 52.0, 0.0],
                        [2e-6, 41.0, 2e-6, 68.0, 41.0]])
    runs, chosen = np.array([0, 1, 2]), np.array([2, 3, 4])
    alone = closest.copy()
    residue = [_zero_at_copies(alone[run], X, row, 1e-3)
               for run, row in zip(runs, chosen, strict=True)]
    together = closest.copy()
    changed = _zero_at_copies_runs(together, runs, chosen, X, 1e-3)
    assert changed.tolist() == [2] and residue == [False, False, True]
    np.testing.assert_array_equal(together, alone)
    assert together[2].tolist() == [41.0, 0.0, 41.0, 52.0, 0.0]
    assert together[3].tolist() == closest[3].tolist()


def test_plusplus_runs_give_none_to_runs_that_run_out(rng):
    X = f32([[0, 0], [0, 0], [1, 1]])
    assert plusplus_runs(X, 3, np.ones(3), rng.spawn(2)) == [None, None]
    one = plusplus_runs(X, 1, np.ones(3), rng.spawn(2))
    assert [idx.shape for idx in one] == [(1,), (1,)]


def params(k, init="k-means++", refine=2):
    return {"k": k, "init": init, "batch_size": 2048, "max_iter": 100, "tol": 0.0,
            "max_no_improvement": 10, "refine": refine}


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_together_is_the_best_of_the_runs_alone(rng, init, weighted):
    X = (rng.normal(size=(3000, 3)) * 40).astype(np.float32)
    w = rng.random(3000) * 3 if weighted else np.ones(3000)
    p = params(10, init)
    assert runs_fit_together(X.shape[0], p)
    seeds = np.random.SeedSequence(5).spawn(5)
    best = fit_together(X, w, p, [np.random.default_rng(s) for s in seeds])
    alone = [fit_once(X, w, p, np.random.default_rng(s)) for s in seeds]
    ref = min(alone, key=lambda run: run.inertia)
    np.testing.assert_array_equal(best.labels, ref.labels)
    np.testing.assert_allclose(best.centers, ref.centers, rtol=1e-12)
    assert best.inertia == pytest.approx(ref.inertia, rel=1e-12)
    assert best.n_iter == ref.n_iter


def test_fit_together_with_zero_weight_and_repeated_rows_matches_runs_alone(rng):
    # Both paths seed on the rows with weight: here three positions for three clusters.
    X = f32([[0, 0], [0, 0], [5, 5], [9, 9], [9, 9]])
    w = np.array([1.0, 2.0, 1.0, 1.0, 0.0])
    seeds = np.random.SeedSequence(3).spawn(3)
    best = fit_together(X, w, params(3), [np.random.default_rng(s) for s in seeds])
    ref = min((fit_once(X, w, params(3), np.random.default_rng(s)) for s in seeds),
              key=lambda run: run.inertia)
    assert best.labels.tolist() == ref.labels.tolist()
    assert len(set(best.labels[:4].tolist())) == 3  # three distinct positions, three clusters
    assert best.inertia == ref.inertia == 0.0


def test_runs_fit_together_only_on_small_data():
    assert runs_fit_together(8192, params(16))
    assert not runs_fit_together(8193, params(16))  # seeded on a sample
    assert not runs_fit_together(100, params(2, init=np.zeros((2, 3))))


def test_raise_too_few_distinct_names_the_count():
    X = f32([[0, 0], [0, 0], [1, 1], [2, 2]])
    w = np.array([1.0, 1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"n_clusters=3 should be <= the number of distinct "
                                         r"points with positive weight \(2\)"):
        raise_too_few_distinct(X, w, 3)


def test_fit_once_from_given_centres_gives_the_weighted_means(rng):
    X = f32([[0, 0], [0, 1], [10, 10], [10, 11]])
    w = np.array([1.0, 1.0, 1.0, 3.0])
    p = {"k": 2, "init": np.array([[0.0, 0.0], [10.0, 10.0]]), "batch_size": 2048,
         "max_iter": 100, "tol": 0.0, "max_no_improvement": 10, "refine": 5}
    run = fit_once(X, w, p, rng)
    np.testing.assert_allclose(run.centers, [[0.0, 0.5], [10.0, 10.75]])
    assert run.labels.tolist() == [0, 0, 1, 1]
    # 2 * 0.5^2 + 0.75^2 + 3 * 0.25^2
    assert run.inertia == pytest.approx(1.25)
    assert run.n_steps == 0  # four rows: no mini-batch phase
    assert p["init"].tolist() == [[0.0, 0.0], [10.0, 10.0]]  # the given centres are copied


# --------------------------------------------------------------------------
# Many centres: seeding compares each candidate with the rows near it (from 257
# centres here, 1,025 by default, so that small inputs take it)
# --------------------------------------------------------------------------


@pytest.fixture
def tree_from_257(monkeypatch):
    from quantize import _kernels

    monkeypatch.setattr(_kernels, "_TREE_MIN_K", 257)


def _grid_clusters(rng, n_clusters, per_cluster):
    """Clusters 10 apart on a grid, ``per_cluster`` integer points at most 1 from each middle."""
    middles = 10 * np.stack(np.unravel_index(np.arange(n_clusters), (10, 10, 10)), axis=1)
    jitter = rng.integers(-1, 2, size=(n_clusters, per_cluster, 3))
    return (middles[:, None, :] + jitter).reshape(-1, 3).astype(np.float32), middles


@pytest.mark.parametrize("k", [256, 300])
def test_plusplus_past_256_centres_compares_candidates_with_near_rows_only(tree_from_257,
                                                                          monkeypatch, rng, k):
    import quantize.kmeans_run as run

    calls = []
    real = run._plusplus_balls
    monkeypatch.setattr(run, "_plusplus_balls", lambda *a: calls.append(a[1]) or real(*a))
    X, _ = _grid_clusters(rng, 400, 3)
    idx = plusplus_indices(X, k, np.ones(X.shape[0]), np.random.default_rng(3))
    assert calls == ([k] if k > 256 else [])
    # Every cluster's points lie within 3 of its middle, 10 from the next: the
    # first k draws each take a new cluster, whichever way.
    assert np.unique(idx // 3).size == k


def test_plusplus_past_256_centres_draws_what_the_dense_steps_draw(tree_from_257, monkeypatch,
                                                                   rng):
    import quantize.kmeans_run as run

    X, _ = _grid_clusters(rng, 1000, 4)
    w = rng.integers(1, 5, size=X.shape[0]).astype(np.float64)
    w[::7] = 0.0
    steps = []
    real = run._ball_step
    monkeypatch.setattr(run, "_ball_step", lambda *a: steps.append(1) or real(*a))
    near = plusplus_indices(X, 600, w, np.random.default_rng(5))
    assert len(steps) > 300  # most steps compared the candidates with near rows only
    monkeypatch.setattr(run, "uses_tree", lambda k, d: False)
    dense = plusplus_indices(X, 600, w, np.random.default_rng(5))
    np.testing.assert_array_equal(near, dense)
    assert (w[near] > 0).all()
    again = run._plusplus_balls(X, 600, w, np.random.default_rng(5))
    np.testing.assert_array_equal(again, near)


def test_plusplus_past_256_centres_runs_out_on_too_few_distinct_rows(tree_from_257, rng):
    X = np.repeat(np.arange(300, dtype=np.float32)[:, None] * [1, 2, 3], 2, axis=0)
    w = np.ones(X.shape[0])
    assert plusplus_indices(X, 301, w, rng) is None
    assert sorted(np.unique(plusplus_indices(X, 300, w, rng) // 2).tolist()) == list(range(300))


def test_runs_skip_candidate_seedings_that_cannot_hold_k(monkeypatch, rng):
    import quantize.kmeans_run as run

    calls = []
    real = run._best_candidate
    monkeypatch.setattr(run, "_best_candidate", lambda *a: calls.append(a[2]) or real(*a))
    monkeypatch.setattr(run, "_CANDIDATE_SAMPLE", 512)
    X, middles = _grid_clusters(rng, 600, 2)  # 1,200 rows: two candidate samples
    p = {"k": 520, "init": "k-means++", "batch_size": 2048, "max_iter": 100, "tol": 0.0,
         "max_no_improvement": 10, "refine": 5}
    fit_once(X, np.ones(X.shape[0]), p, np.random.default_rng(0))
    assert calls == []
    p["k"] = 300
    fit_once(X, np.ones(X.shape[0]), p, np.random.default_rng(0))
    assert calls == [2]


def _inertia(X, w, centers):
    return float(w @ sq_dist_to_labels(X, centers, nearest(X, centers)).astype(np.float64))


def test_swap_search_moves_a_centre_from_a_crowded_pair_to_a_shared_one():
    """Lloyd passes leave centres 0 and 1 on the pair near 0 and 15.5 between the pairs near
    10 and 20; the swap merges the first two (cost 0.5) and splits the third (gain 100)."""
    X = f32([[0], [1], [10], [11], [20], [21]])
    w = np.ones(6)
    stuck = np.array([[0.0], [1.0], [15.5]])
    assert np.array_equal(lloyd(X, w, stuck, 10)[0], stuck)  # a local minimum of Lloyd
    out = swap_search(X, w, stuck, 1)
    assert sorted(out.ravel().tolist()) == [0.5, 10.5, 20.5]
    assert stuck.tolist() == [[0.0], [1.0], [15.5]]  # the caller's centres are not moved
    assert np.array_equal(swap_search(X, w, stuck, 0), stuck)


def test_swap_search_measures_no_gaps_once_its_trials_are_spent(monkeypatch):
    import quantize.kmeans_run as kr

    X = f32([[0], [1], [10], [11], [20], [21]])
    calls = []
    measured = kr.second_nearest_gap
    monkeypatch.setattr(kr, "second_nearest_gap", lambda *a: calls.append(1) or measured(*a))
    out = swap_search(X, np.ones(6), np.array([[0.0], [1.0], [15.5]]), 1)
    assert sorted(out.ravel().tolist()) == [0.5, 10.5, 20.5]  # the one trial was kept
    assert len(calls) == 1  # the gaps of the centres it started from, only


@pytest.mark.parametrize("d", [3, 4])
def test_split_gains_equal_those_of_the_whole_scatter(rng, d):
    """Only the scatter's lower triangle is summed, the part np.linalg.eigh reads: the
    same axes, halves and gains as from the whole symmetric scatter."""
    from quantize.kmeans_run import _split_gains

    X = f32(rng.normal(size=(300, d)) * 30)
    w = rng.integers(1, 9, 300).astype(np.float64)
    centers = X[:5].astype(np.float64)
    labels = nearest(X, centers)
    diff = X - centers[labels].astype(np.float32)
    outer = (diff[:, :, None] * diff[:, None, :]).reshape(-1, d * d)
    _, scatter = kern.group_sums(outer, labels, 5, w)
    axes = np.linalg.eigh(scatter.reshape(5, d, d))[1][:, :, -1]
    side = np.einsum("ij,ij->i", diff, axes[labels].astype(np.float32)) > 0
    totals, sums = kern.group_sums(X, 2 * labels + side, 10, w)
    halves = sums.reshape(5, 2, d) / totals.reshape(5, 2)[:, :, None]
    gains, got = _split_gains(X, w, centers, labels)
    np.testing.assert_array_equal(got, halves)
    np.testing.assert_array_equal(
        gains, totals.reshape(5, 2).prod(axis=1) / totals.reshape(5, 2).sum(axis=1)
        * ((halves[:, 0] - halves[:, 1]) ** 2).sum(axis=1))


def test_swap_search_weights_equal_repeated_rows():
    X = f32([[0, 0], [1, 0], [10, 0], [11, 1], [20, 5], [21, 5]])
    counts = np.array([3, 1, 2, 2, 1, 4])
    stuck = np.array([[0.0, 0.0], [1.0, 0.0], [15.5, 2.75]])
    weighted = swap_search(X, counts.astype(np.float64), stuck, 4)
    repeated = swap_search(np.repeat(X, counts, axis=0), np.ones(counts.sum()), stuck, 4)
    np.testing.assert_allclose(weighted, repeated)
    np.testing.assert_allclose(sorted(weighted[:, 0]), [0.25, 10.5, 20.8])


@pytest.mark.parametrize("d", [3, 4])
def test_swap_search_never_raises_the_inertia(rng, d):
    X = f32(rng.normal(size=(600, d)) * [40, 20, 10, 5][:d] + rng.integers(0, 3, (600, 1)) * 60)
    w = rng.integers(1, 50, 600).astype(np.float64)
    for seed in range(3):
        start = X[np.random.default_rng(seed).choice(600, 12, replace=False)].astype(np.float64)
        settled = lloyd(X, w, start, 100)[0]
        out = swap_search(X, w, settled, 6)
        assert out.shape == (12, d)
        assert _inertia(X, w, out) <= _inertia(X, w, settled)
