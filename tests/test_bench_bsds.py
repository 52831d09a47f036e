"""benchmarks/bench_bsds.py: each worker warms every method up before any is timed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from quantize import _threads

from .segment_support import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_bsds")


def test_a_worker_runs_each_method_once_untimed_before_the_timed_calls(bench, monkeypatch):
    """The first method timed in a worker paid the one-off imports and warm-up: on 4
    images boundary_map took 1.56x felzenszwalb's time, on 20 0.92x."""
    calls = []
    fakes = {name: (lambda image, name=name: calls.append((name, image.shape, image.dtype)),
                    labels) for name, (_, labels) in bench.METHODS.items()}
    monkeypatch.setattr(bench, "METHODS", fakes)
    monkeypatch.setattr(_threads, "_count", _threads.count())  # restored afterwards
    bench._start_worker(["felzenszwalb", "boundary_map"])
    assert calls == [("felzenszwalb", (48, 64, 3), np.uint8),
                     ("boundary_map", (48, 64, 3), np.uint8)]
    assert _threads.count() == 1


def test_every_method_runs_on_the_warm_up_image(bench):
    """A method that failed on it would stop every worker before any image is read."""
    image = bench._warm_up_image()
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 100  # noise: many colours
    shapes = {name: [np.shape(out) for out in run(image)] if labels else np.shape(run(image))
              for name, (run, labels) in bench.METHODS.items()}
    assert shapes == {"boundary_map": (48, 64), "segment (default)": [(48, 64)],
                      "segment k": [(48, 64)] * 4, "felzenszwalb": [(48, 64)] * 3,
                      "slic": [(48, 64)] * 3}


def test_methods_take_short_names_and_refuse_others_naming_the_choices(bench, capsys):
    assert [bench.method_name(n) for n in ("segment", "segment-k", "segment k", "slic")] \
        == ["segment (default)", "segment k", "segment k", "slic"]
    with pytest.raises(SystemExit) as stop:
        bench.main(["--methods", "segments"])
    assert stop.value.code == 2
    assert ("argument --methods: 'segments': expected one of boundary_map, segment, "
            "segment-k, felzenszwalb, slic") in capsys.readouterr().err


def test_a_method_is_timed_by_the_worker_cpu_not_the_wall_clock(bench, monkeypatch):
    """On a shared machine, another job's load must not land on the method running."""
    def sleeping(image):
        time.sleep(0.2)
        return [np.zeros(image.shape[:2], int)]

    monkeypatch.setattr(bench, "load_case", lambda *a: (np.zeros((4, 4, 3), np.uint8), []))
    monkeypatch.setattr(bench, "METHODS", {"slic": (sleeping, ["n_segments=1"])})
    monkeypatch.setattr(bench, "counts", lambda mask, truths: np.zeros(4))
    (_, seconds), = bench.evaluate_image((None, "train", "x", ["slic"], None)).values()
    assert seconds < 0.1  # slept 0.2 s of wall clock, used almost no CPU


def test_counts_are_the_library_counts_of_each_annotator(bench):
    """The benchmark's counts are ``border_match_counts``' (one matcher, in the library):
    a predicted pixel counts once however many annotators match it; the true ones add up."""
    pred = np.zeros((40, 60), bool)
    pred[:, [29, 40]] = True
    truth = np.zeros((40, 60), bool)
    truth[:, 29] = True
    assert bench.counts(pred, [truth, truth]).tolist() == [40, 80, 80, 80]
    assert bench.f_measure(bench.counts(pred, [truth, truth])) == pytest.approx(2 / 3)


def test_boundary_scores_are_the_benchmark_figures_of_one_image(bench, rng):
    """Against annotators' maps drawn one pixel wide, as BSDS500's Boundaries are (thinning
    leaves them as they are), boundary_scores divides the benchmark's counts of the image."""
    from skimage.morphology import thin

    from quantize.metrics import boundary_scores
    from quantize.reconstruct.regions import find_boundaries

    def blocks(size):
        small = rng.integers(0, 4, (60 // size, 80 // size))
        return np.kron(small, np.ones((size, size), int))

    pred = blocks(10)
    truths = [thin(find_boundaries(blocks(size))) for size in (10, 20)]
    assert all((thin(t) == t).all() for t in truths)
    c = bench.counts(bench.label_borders(pred), truths)
    assert c[0] < c[1] and c[2] < c[3]  # some pixels of each side left unmatched
    assert boundary_scores(pred, truths) == (c[0] / c[1], c[2] / c[3],
                                             pytest.approx(bench.f_measure(c)))
