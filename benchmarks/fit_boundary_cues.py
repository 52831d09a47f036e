"""Fit the weights boundary_map gives its border cues, on BSDS500 train's human borders.

Run on demand: ``python benchmarks/fit_boundary_cues.py [--every 2 --offset 0]
[--knots 0.25 0.5 0.75]`` (``--offset`` may name several: ``--every 4 --offset 0 1`` fits
on photos 0, 1, 4, 5, ...); pytest does not collect it. It prints ``_CUE_WEIGHTS``,
``_CUE_KNOTS``, ``_CUE_HINGE_WEIGHTS`` and ``_CUE_BIAS`` for ``quantize/segment.py``; check the
result with ``bench_bsds.py --split train`` on images it was not fitted on before
pasting it in. Only the train split is read.

For each photo, ``quantize.segment._own_size_border_cues`` gives the open map's
border pixels and their cues (those of ``_border_cues``, which ``boundary_map`` calls,
as the map of a photo that is its own working copy shows them). A border
pixel's target is the share of annotators for whom it is the border pixel
nearest to one of their boundary pixels, within the benchmark's tolerance: the
pixels a one-to-one matching could pair. (A plain distance to a boundary also
counts a second border running beside the first, which the matching cannot
pair, and fits a model that ranks such pixels too high.) The model is a
logistic regression on a random quarter of the border pixels, fitted by
Newton's method on the cross-entropy with a small L2 penalty on the
standardised terms; ``boundary_map`` takes the square root of its probability
(and then fades a border pixel beside a stronger one, ``_weaker_beside_stronger``,
which the fit does not see).
Its terms are the cues and, for each cue but the border means, its hinges
``max(0, cue - knot)`` at knots fixed before the fit, the cue's
quantiles ``--knots`` (``KNOT_QUANTILES`` unless given) on the rows fitted on: each
cue's term is piecewise linear.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from bench_bsds import DATA, TOLERANCE, image_ids, load_case

# The knots of each cue's hinges: these quantiles of its fitted-on values, by default.
KNOT_QUANTILES = (0.25, 0.5, 0.75)


def photo_rows(ident: str, rng: np.random.Generator, share: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Cues ``(m, k)`` and targets ``(m,)`` of a random ``share`` of a photo's border pixels."""
    from scipy.spatial import cKDTree

    from quantize.features import check_weights
    from quantize.segment import _own_size_border_cues
    from quantize.texture import lab_planes

    image, truths = load_case(DATA, "train", ident)
    h, w = image.shape[:2]
    where, cues = _own_size_border_cues(lab_planes(image), check_weights(None))
    tree = cKDTree(np.column_stack(np.divmod(where, w)))
    hits = np.zeros(where.shape[0])
    for truth in truths:
        distance, nearest = tree.query(np.argwhere(truth),
                                       distance_upper_bound=TOLERANCE * math.hypot(h, w))
        hit = np.zeros(where.shape[0], bool)
        hit[nearest[np.isfinite(distance)]] = True
        hits += hit
    take = rng.random(where.shape[0]) < share
    return cues[take], hits[take] / len(truths)


def fit_logistic(x: np.ndarray, target: np.ndarray, l2: float = 1e-3, n_iter: int = 25
                 ) -> tuple[np.ndarray, float]:
    """Weights ``(k,)`` and bias of a logistic regression of soft targets in [0, 1] on ``x``."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-12
    z = np.column_stack([(x - mean) / std, np.ones(x.shape[0])])
    penalty = np.diag(np.r_[np.full(x.shape[1], l2), 0.0])
    coef = np.zeros(z.shape[1])
    for _ in range(n_iter):
        p = 1.0 / (1.0 + np.exp(-(z @ coef)))
        gradient = z.T @ (p - target) / z.shape[0] + penalty @ coef
        hessian = (z * (p * (1 - p))[:, None]).T @ z / z.shape[0] + penalty
        step = np.linalg.solve(hessian, gradient)
        coef -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = coef[:-1] / std
    return weights, float(coef[-1] - weights @ mean)


def knots_of(cues: np.ndarray, n_hinged: int, quantiles: tuple[float, ...] = KNOT_QUANTILES
             ) -> np.ndarray:
    """Knots ``(n_hinged, len(quantiles))``: those quantiles of each of the first
    ``n_hinged`` columns of ``cues`` ``(m, k)``."""
    return np.quantile(cues[:, :n_hinged], quantiles, axis=0).T


def main(argv: list[str] | None = None) -> None:
    from quantize.segment import _CUE_WEIGHTS, _hinge_terms

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=2)
    parser.add_argument("--offset", type=int, nargs="+", default=[0],
                        help="indices modulo --every of the photos fitted on")
    parser.add_argument("--share", type=float, default=0.25, help="of each photo's border pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--knots", type=float, nargs="+", default=list(KNOT_QUANTILES),
                        help="quantiles of each cue at which it is hinged")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    if args.every < 1 or not all(0 <= o < args.every for o in args.offset):
        parser.error(f"--every {args.every} --offset {args.offset}: need every >= 1 "
                     "and 0 <= offset < every")
    quantiles = tuple(args.knots)
    if not all(0 < q < 1 for q in quantiles) or any(np.diff(quantiles) <= 0):
        parser.error(f"--knots {args.knots}: need rising quantiles between 0 and 1")
    ids = [ident for i, ident in enumerate(image_ids(DATA, "train"))
           if i % args.every in args.offset]
    rows = [photo_rows(ident, rng, args.share) for ident in ids]
    cues = np.vstack([r[0] for r in rows])
    hinged = [name for name in _CUE_WEIGHTS if not name.startswith("border mean ")]
    knots = knots_of(cues, len(hinged), quantiles)
    weights, bias = fit_logistic(np.hstack([cues, _hinge_terms(cues, knots)]),
                                 np.concatenate([r[1] for r in rows]))
    first = sorted(o + k * args.every for k in range(2) for o in args.offset)
    print(f"# {len(ids)} BSDS500 train photos: {', '.join(map(str, first))}, ...")
    print("_CUE_WEIGHTS = {")
    for name, value in zip(_CUE_WEIGHTS, weights, strict=False):
        print(f"    {name!r}: {value:.4f},")
    print("}")
    hinge_weights = weights[len(_CUE_WEIGHTS):].reshape(knots.shape)
    for table, values in (("_CUE_KNOTS", knots), ("_CUE_HINGE_WEIGHTS", hinge_weights)):
        print(f"{table} = {{")
        for name, row in zip(hinged, values, strict=True):
            print(f"    {name!r}: ({', '.join(f'{v:.4f}' for v in row)}),")
        print("}")
    print(f"_CUE_BIAS = {bias:.4f}")


if __name__ == "__main__":
    main()
