"""MiniBatchKMeans under scikit-learn's metadata routing, beside scikit-learn's own estimator."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from quantize import MiniBatchKMeans

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is a dev extra")
from sklearn.base import clone  # noqa: E402
from sklearn.cluster import MiniBatchKMeans as SklearnMiniBatchKMeans  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.metadata_routing import UNCHANGED  # noqa: E402

ROUTING = pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])


@pytest.fixture
def data(rng):
    X = np.vstack([rng.normal(centre, 0.3, (40, 2)) for centre in (0.0, 3.0, 6.0)])
    return X, rng.uniform(0.5, 2.0, X.shape[0])


def _routed(estimator) -> str:
    return str(estimator.get_metadata_routing())


@ROUTING
def test_pipeline_fit_and_score(data, routing):
    X, _ = data
    with sklearn.config_context(enable_metadata_routing=routing):
        pipe = make_pipeline(StandardScaler(), MiniBatchKMeans(3, seed=0)).fit(X)
        score = pipe.score(X)
    assert score == pytest.approx(pipe[-1].score(StandardScaler().fit_transform(X)))


@ROUTING
def test_grid_search_over_a_pipeline_scores_every_fold(data, routing):
    X, _ = data
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(make_pipeline(StandardScaler(), MiniBatchKMeans(seed=0)),
                              {"minibatchkmeans__n_clusters": [2, 3]}, cv=3,
                              error_score="raise").fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and scores[1] > scores[0]


def test_cross_val_score_is_the_same_with_routing_on(data):
    X, _ = data
    off = cross_val_score(MiniBatchKMeans(3, seed=0), X, cv=3)
    with sklearn.config_context(enable_metadata_routing=True):
        on = cross_val_score(MiniBatchKMeans(3, seed=0), X, cv=3)
    assert np.isfinite(off).all() and on.tolist() == off.tolist()


def test_requested_weights_reach_fit_through_grid_search(data):
    X, w = data
    with sklearn.config_context(enable_metadata_routing=True):
        km = MiniBatchKMeans(3, seed=0).set_fit_request(sample_weight=True)
        search = GridSearchCV(km.set_score_request(sample_weight=False),
                              {"n_clusters": [3]}, cv=3).fit(X, sample_weight=w)
    weighted = MiniBatchKMeans(3, seed=0).fit(X, sample_weight=w)
    unweighted = MiniBatchKMeans(3, seed=0).fit(X)
    refit = search.best_estimator_.cluster_centers_
    assert np.array_equal(refit, weighted.cluster_centers_)
    assert not np.allclose(refit, unweighted.cluster_centers_)


def test_weights_not_requested_are_refused_as_scikit_learn_refuses_them(data):
    X, w = data
    with sklearn.config_context(enable_metadata_routing=True):
        for km in (MiniBatchKMeans(3, seed=0), SklearnMiniBatchKMeans(3, random_state=0)):
            search = GridSearchCV(km, {"n_clusters": [3]}, cv=3)
            with pytest.raises(ValueError, match=r"\[sample_weight\] are passed but are not "
                                                 r"explicitly set as requested"):
                search.fit(X, sample_weight=w)


@pytest.mark.parametrize("method", ["fit", "partial_fit", "score"])
@pytest.mark.parametrize("alias", [True, False, None, "weights"])
def test_requests_read_as_those_of_scikit_learns_estimator(method, alias):
    ours, theirs = MiniBatchKMeans(), SklearnMiniBatchKMeans()
    assert _routed(ours) == _routed(theirs)  # with routing off too
    with sklearn.config_context(enable_metadata_routing=True):
        assert getattr(ours, f"set_{method}_request")(sample_weight=alias) is ours
        getattr(theirs, f"set_{method}_request")(sample_weight=alias)
        assert _routed(ours) == _routed(theirs)
        ours.set_fit_request(sample_weight=UNCHANGED)  # leaves every request as it is
        ours.set_partial_fit_request()
        assert _routed(ours) == _routed(theirs)


def test_clone_and_pickle_keep_the_requests():
    with sklearn.config_context(enable_metadata_routing=True):
        km = MiniBatchKMeans(3, seed=0).set_fit_request(sample_weight=True)
        twin = clone(km)
        assert twin is not km and _routed(twin) == _routed(km)
        assert "'fit': {'sample_weight': True}" in _routed(twin)
        twin.set_fit_request(sample_weight=False)  # its own requests, not the original's
        assert "'fit': {'sample_weight': True}" in _routed(km)
        assert _routed(pickle.loads(pickle.dumps(km))) == _routed(km)
    assert "'fit': {'sample_weight': True}" in _routed(clone(km))  # routing off


@pytest.mark.parametrize("method", ["fit", "partial_fit", "score"])
def test_requests_are_refused_while_routing_is_off(method):
    with sklearn.config_context(enable_metadata_routing=False):
        with pytest.raises(RuntimeError, match=rf"^set_{method}_request is only available "
                                               r"when metadata routing is enabled: sklearn\."
                                               r"set_config\(enable_metadata_routing=True\)$"):
            getattr(MiniBatchKMeans(), f"set_{method}_request")(sample_weight=True)
        with pytest.raises(RuntimeError, match="only available when metadata routing"):
            getattr(SklearnMiniBatchKMeans(), f"set_{method}_request")(sample_weight=True)
