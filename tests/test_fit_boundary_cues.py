"""benchmarks/fit_boundary_cues.py: which train photos a fit reads."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from quantize.segment import _CUE_WEIGHTS

from .segment_support import load_benchmark


@pytest.fixture()
def fit(monkeypatch):
    monkeypatch.setitem(sys.modules, "bench_bsds", load_benchmark("bench_bsds"))
    module = load_benchmark("fit_boundary_cues")
    read = []

    def rows(ident, rng, share):  # one border pixel per photo, no data read
        read.append(ident)
        return np.zeros((1, len(_CUE_WEIGHTS))), np.zeros(1)

    monkeypatch.setattr(module, "image_ids", lambda data, split: [f"p{i}" for i in range(10)])
    monkeypatch.setattr(module, "photo_rows", rows)
    monkeypatch.setattr(module, "fit_logistic", lambda x, target: (np.zeros(x.shape[1]), 0.0))
    return module, read


@pytest.mark.parametrize(("args", "expected"), [
    ([], ["p0", "p2", "p4", "p6", "p8"]),
    (["--every", "4", "--offset", "0", "1"], ["p0", "p1", "p4", "p5", "p8", "p9"]),
    (["--every", "4", "--offset", "3"], ["p3", "p7"]),
])
def test_the_photos_fitted_on_are_those_of_the_offsets_modulo_every(fit, capsys, args,
                                                                  expected):
    module, read = fit
    module.main(args)
    assert read == expected
    assert capsys.readouterr().out.startswith(f"# {len(expected)} BSDS500 train photos: ")


def test_knots_are_the_given_quantiles_of_each_hinged_cue(fit, capsys):
    # Cue j of photo pi's one border pixel is i + j: each hinged cue's knots are its
    # quantiles over the photos fitted on, in the order given.
    module, _ = fit
    module.photo_rows = lambda ident, rng, share: (
        int(ident[1:]) + np.arange(len(_CUE_WEIGHTS), dtype=float)[None], np.zeros(1))
    module.main(["--every", "1", "--knots", "0.1", "0.5", "0.9"])
    tables: dict = {}
    exec(capsys.readouterr().out, {}, tables)
    for j, knots in enumerate(tables["_CUE_KNOTS"].values()):
        assert knots == pytest.approx((j + 0.9, j + 4.5, j + 8.1))


@pytest.mark.parametrize("args", [["--every", "4", "--offset", "4"],
                                  ["--every", "0"], ["--offset", "0", "-1"]])
def test_an_offset_outside_every_is_refused_in_one_line(fit, capsys, args):
    module, read = fit
    with pytest.raises(SystemExit) as stop:
        module.main(args)
    assert stop.value.code == 2 and read == []
    assert "need every >= 1 and 0 <= offset < every" in capsys.readouterr().err


@pytest.mark.parametrize("knots", [["0.5", "0.25"], ["0.25", "0.25"], ["0", "0.5"], ["1.2"]])
def test_knots_other_than_rising_quantiles_are_refused_in_one_line(fit, capsys, knots):
    module, read = fit
    with pytest.raises(SystemExit) as stop:
        module.main(["--knots", *knots])
    assert stop.value.code == 2 and read == []
    assert "need rising quantiles between 0 and 1" in capsys.readouterr().err


def test_the_printed_tables_name_every_cue_and_a_knot_per_quantile(fit, capsys):
    # What the fit prints pastes into quantize/segment.py: every cue weighted, and the
    # cues before the border means hinged at one knot per quantile.
    from quantize.segment import _CUE_KNOTS

    module, _ = fit
    module.main([])
    tables: dict = {}
    exec(capsys.readouterr().out, {}, tables)
    assert list(tables["_CUE_WEIGHTS"]) == list(_CUE_WEIGHTS)
    assert list(tables["_CUE_KNOTS"]) == list(_CUE_KNOTS)
    assert list(tables["_CUE_HINGE_WEIGHTS"]) == list(_CUE_KNOTS)
    assert {len(k) for k in tables["_CUE_KNOTS"].values()} == {len(module.KNOT_QUANTILES)}
    assert isinstance(tables["_CUE_BIAS"], float)
