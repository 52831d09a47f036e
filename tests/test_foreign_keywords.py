"""A keyword of scikit-learn, scikit-image or Pillow given to one of quantize's public
callables is refused in one line naming quantize's parameter for it, or why it has none;
other unknown keywords keep Python's message; correct calls, signatures, docstrings and pickling are
as they were."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest

import quantize
from quantize._validation import FOREIGN_KEYWORDS, NO_COUNTERPART, foreign_keywords
from quantize.animation import reduce_animation_file
from quantize.kmeans import MiniBatchKMeans, kmeans_plusplus
from quantize.metrics import adjusted_rand_index, boundary_scores, delta_e, psnr
from quantize.reduce import check_reduce_options, reduce_file
from quantize.segment import boundary_map, segment_pixels
from quantize.segment_file import segment_file

# two halves: black, and one red
IMAGE = np.zeros((4, 6, 3), np.uint8)
IMAGE[:, 3:] = [200, 40, 40]

CALLABLES = [quantize.reduce_colors, quantize.segment, boundary_map, segment_pixels,
             MiniBatchKMeans.__init__, kmeans_plusplus, psnr, delta_e, boundary_scores,
             adjusted_rand_index, reduce_file, segment_file]

UNEXPECTED = "got an unexpected keyword argument"


@pytest.mark.parametrize("function, given, line", [
    (quantize.reduce_colors, "random_state",
     f"reduce_colors() {UNEXPECTED} 'random_state'; quantize calls it seed="),
    (quantize.reduce_colors, "n_clusters",
     f"reduce_colors() {UNEXPECTED} 'n_clusters'; quantize calls it n_colors="),
    (quantize.reduce_colors, "colors",
     f"reduce_colors() {UNEXPECTED} 'colors'; quantize calls it n_colors="),
    # a ReduceResult shows its colours as k=8, which reduce_colors(image, k=8) took
    (quantize.reduce_colors, "k", f"reduce_colors() {UNEXPECTED} 'k'; quantize calls it n_colors="),
    (quantize.segment, "k", f"segment() {UNEXPECTED} 'k'; quantize calls it n_clusters="),
    (quantize.segment, "n_segments",
     f"segment() {UNEXPECTED} 'n_segments'; quantize calls it regions="),
    (quantize.segment, "compactness",
     f"segment() {UNEXPECTED} 'compactness'; quantize calls it weights={{'xy': ...}}"),
    (quantize.segment, "n_colors",
     f"segment() {UNEXPECTED} 'n_colors'; quantize calls it n_clusters="),
    (quantize.segment, "colors",
     f"segment() {UNEXPECTED} 'colors'; quantize calls it n_clusters="),
    (quantize.segment, "min_size",
     f"segment() {UNEXPECTED} 'min_size'; quantize calls it min_region="),
    (quantize.segment, "rng", f"segment() {UNEXPECTED} 'rng'; quantize calls it seed="),
    (boundary_map, "random_state",
     f"boundary_map() {UNEXPECTED} 'random_state'; quantize calls it seed="),
    (segment_pixels, "n_segments",
     f"segment_pixels() {UNEXPECTED} 'n_segments'; quantize calls it regions="),
    (MiniBatchKMeans, "random_state",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'random_state'; quantize calls it seed="),
    (MiniBatchKMeans, "n_colors",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'n_colors'; quantize calls it n_clusters="),
    (kmeans_plusplus, "random_state",
     f"kmeans_plusplus() {UNEXPECTED} 'random_state'; quantize calls it seed="),
    (psnr, "image_true", f"psnr() {UNEXPECTED} 'image_true'; quantize calls it reference="),
    (delta_e, "image_test", f"delta_e() {UNEXPECTED} 'image_test'; quantize calls it test="),
    (boundary_scores, "labels_pred",
     f"boundary_scores() {UNEXPECTED} 'labels_pred'; quantize calls it pred="),
    (adjusted_rand_index, "labels_true",
     f"adjusted_rand_index() {UNEXPECTED} 'labels_true'; quantize calls it true="),
    (reduce_file, "random_state",
     f"reduce_file() {UNEXPECTED} 'random_state'; quantize calls it seed="),
    (segment_file, "n_segments",
     f"segment_file() {UNEXPECTED} 'n_segments'; quantize calls it regions="),
])
def test_a_foreign_keyword_is_told_quantize_name_for_it(function, given, line):
    # it was Python's line alone: "reduce_colors() got an unexpected keyword argument
    # 'random_state'"
    with pytest.raises(TypeError) as caught:
        function(**{given: 1})
    assert str(caught.value) == line


@pytest.mark.parametrize("function, given, line", [
    # scikit-learn's k-means settings (Python's line alone: "... argument 'max_iter'")
    (quantize.reduce_colors, "max_iter",
     f"reduce_colors() {UNEXPECTED} 'max_iter'; quantize sets its k-means iterations itself "
     "(MiniBatchKMeans takes max_iter=)"),
    (quantize.segment, "n_init",
     f"segment() {UNEXPECTED} 'n_init'; quantize sets its k-means restarts itself "
     "(MiniBatchKMeans takes n_init=)"),
    (reduce_file, "tol",
     f"reduce_file() {UNEXPECTED} 'tol'; quantize sets when its k-means stops itself "
     "(MiniBatchKMeans takes tol=)"),
    (segment_file, "batch_size",
     f"segment_file() {UNEXPECTED} 'batch_size'; quantize sets its k-means batches itself "
     "(MiniBatchKMeans takes batch_size=)"),
    (quantize.reduce_colors, "init",
     f"reduce_colors() {UNEXPECTED} 'init'; quantize seeds its k-means itself "
     "(MiniBatchKMeans takes init=)"),
    (quantize.reduce_colors, "verbose",
     f"reduce_colors() {UNEXPECTED} 'verbose'; quantize's functions report no progress"),
    (MiniBatchKMeans, "verbose",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'verbose'; quantize's functions report no "
     "progress"),
    # scikit-learn's MiniBatchKMeans, given quantize's (Python's line alone before)
    (MiniBatchKMeans, "reassignment_ratio",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'reassignment_ratio'; quantize moves a centre "
     "given fewer than 1% of the largest centre's points itself, as scikit-learn's default "
     "0.01 does"),
    (MiniBatchKMeans, "init_size",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'init_size'; quantize seeds its k-means on a "
     "sample of max(8192, 3 * batch_size, 10 * n_clusters) rows (MiniBatchKMeans takes "
     "batch_size=)"),
    (MiniBatchKMeans, "compute_labels",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'compute_labels'; quantize's MiniBatchKMeans "
     "always sets labels_ on fit"),
    (MiniBatchKMeans, "algorithm",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'algorithm'; quantize's k-means has no choice "
     "of algorithm: mini-batches, then Lloyd passes with Hamerly's bounds"),
    (MiniBatchKMeans, "copy_x",
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'copy_x'; quantize never writes to the data "
     "given"),
    (quantize.segment, "n_jobs",
     f"segment() {UNEXPECTED} 'n_jobs'; quantize sets its threads itself, as many in every "
     "call: quantize.set_threads(n) sets how many"),
    (reduce_file, "n_threads",
     f"reduce_file() {UNEXPECTED} 'n_threads'; quantize sets its threads itself, as many in "
     "every call: quantize.set_threads(n) sets how many"),
    (quantize.reduce_colors, "copy",
     f"reduce_colors() {UNEXPECTED} 'copy'; quantize never writes to the arrays given"),
    # Pillow's Image.quantize
    (quantize.reduce_colors, "method",
     f"reduce_colors() {UNEXPECTED} 'method'; quantize has one method, k-means"),
    (reduce_file, "kmeans",
     f"reduce_file() {UNEXPECTED} 'kmeans'; quantize always fits by k-means, and sets its "
     "passes itself"),
    # scikit-image's segmentations
    (quantize.segment, "channel_axis",
     f"segment() {UNEXPECTED} 'channel_axis'; quantize takes an array's channels in its last "
     "axis"),
    (boundary_map, "channel_axis",
     f"boundary_map() {UNEXPECTED} 'channel_axis'; quantize takes an array's channels in its "
     "last axis"),
    (quantize.segment, "start_label",
     f"segment() {UNEXPECTED} 'start_label'; quantize's region labels start at 1"),
    (segment_file, "scale",
     f"segment_file() {UNEXPECTED} 'scale'; quantize sizes regions by regions= (how many) "
     "and min_region= (the fewest pixels of one)"),
    (quantize.segment, "sigma",
     f"segment() {UNEXPECTED} 'sigma'; quantize sets its smoothing itself (texture_scales= "
     "are the Gaussian sigmas of its texture features)"),
    (quantize.segment, "convert2lab",
     f"segment() {UNEXPECTED} 'convert2lab'; quantize calls it space='lab'"),
])
def test_a_foreign_keyword_with_no_counterpart_is_told_why(function, given, line):
    with pytest.raises(TypeError) as caught:
        function(**{given: 1})
    assert str(caught.value) == line


def test_region_labels_start_at_1_as_said():
    assert quantize.segment(IMAGE, regions=2, seed=0).labels.min() == 1


@pytest.mark.parametrize("function, kwargs", [
    (quantize.reduce_colors, {"n_segments": 3}),  # reduce_colors has no regions
    (quantize.reduce_colors, {"start_label": 1}),  # nor labels
    (quantize.reduce_colors, {"sigma": 1}),
    (quantize.reduce_colors, {"scale": 1}),
    (quantize.segment, {"method": 1}),  # Pillow's, to reduce
    (segment_file, {"copy": True}),  # given no array
    (quantize.segment, {"colours": 3, "flag": 1}),
    (psnr, {"labels_true": IMAGE}),
])
def test_other_unknown_keywords_keep_python_message(function, kwargs):
    with pytest.raises(TypeError) as ours:
        function(IMAGE, **kwargs)
    with pytest.raises(TypeError) as pythons:
        function.__wrapped__(IMAGE, **kwargs)
    assert str(ours.value) == str(pythons.value)
    assert str(ours.value).startswith(f"{function.__name__}() {UNEXPECTED} ")


@pytest.mark.parametrize("call, line", [
    (lambda: quantize.reduce_colors(IMAGE, n_color=2),
     f"reduce_colors() {UNEXPECTED} 'n_color'; did you mean n_colors=?"),
    (lambda: quantize.segment(IMAGE, region=2),
     f"segment() {UNEXPECTED} 'region'; did you mean regions=?"),
    (lambda: MiniBatchKMeans(n_cluster=2),
     f"MiniBatchKMeans.__init__() {UNEXPECTED} 'n_cluster'; did you mean n_clusters=?"),
    (lambda: MiniBatchKMeans(slf=2), f"MiniBatchKMeans.__init__() {UNEXPECTED} 'slf'"),
])
def test_a_close_misspelling_is_told_the_parameter(call, line):
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value) == line


def test_the_first_unknown_keyword_is_named():
    with pytest.raises(TypeError) as caught:
        quantize.reduce_colors(IMAGE, 2, seed=0, flag=1, random_state=0)
    assert str(caught.value) == f"reduce_colors() {UNEXPECTED} 'flag'"


def test_a_pillow_dither_is_refused_but_none():
    """Pillow's Image.Dither.ORDERED (1) was taken as full error diffusion, and
    FLOYDSTEINBERG (3) refused as "dither=3 should be <= 1"."""
    from PIL import Image

    for member in (Image.Dither.FLOYDSTEINBERG, Image.Dither.ORDERED, Image.Dither.RASTERIZE):
        with pytest.raises(ValueError) as caught:
            quantize.reduce_colors(IMAGE, 2, dither=member)
        assert str(caught.value) == (
            f"dither=Dither.{member.name} is Pillow's; quantize's dither is the strength, 0 to "
            "1, of its Floyd-Steinberg error diffusion (True: 1), or 'ordered' or 'pattern' for "
            "an 8 x 8 Bayer pattern")
    plain = quantize.reduce_colors(IMAGE, 2, dither=Image.Dither.NONE, seed=0)
    assert plain.indices.tolist() == [[0, 0, 0, 1, 1, 1]] * 4


def test_a_type_error_inside_the_function_is_its_own():
    with pytest.raises(TypeError) as ours:
        quantize.reduce_colors(IMAGE, n_colors="2")
    with pytest.raises(TypeError) as plain:
        quantize.reduce_colors.__wrapped__(IMAGE, n_colors="2")
    assert str(ours.value) == str(plain.value) == "n_colors='2' should be an integer, got str"


def test_correct_calls_give_what_they_gave():
    result = quantize.reduce_colors(IMAGE, n_colors=2, seed=0)
    plain = quantize.reduce_colors.__wrapped__(IMAGE, n_colors=2, seed=0)
    assert result.palette.tolist() == plain.palette.tolist() == [[0, 0, 0], [200, 40, 40]]
    assert result.indices.tolist() == plain.indices.tolist() == [[0, 0, 0, 1, 1, 1]] * 4
    labels = quantize.segment(image=IMAGE, regions=2, seed=0).labels
    assert labels.tolist() == quantize.segment.__wrapped__(IMAGE, regions=2, seed=0).labels.tolist()
    assert np.unique(labels[:, :3]).size == np.unique(labels[:, 3:]).size == 1
    assert labels[0, 0] != labels[0, 5]
    X = np.array([[0., 0.], [0., 1.], [10., 10.], [10., 11.]])
    km = MiniBatchKMeans(n_clusters=2, seed=0).fit(X)
    assert sorted(km.cluster_centers_.tolist()) == [[0.0, 0.5], [10.0, 10.5]]
    assert psnr(reference=IMAGE, test=IMAGE) == float("inf")


@pytest.mark.parametrize("function", CALLABLES, ids=lambda f: f.__qualname__)
def test_signature_docstring_and_names_are_the_functions(function):
    wrapped = function.__wrapped__
    assert inspect.signature(function) == inspect.signature(wrapped)
    assert function.__doc__ == wrapped.__doc__  # __init__ has none: the class has it
    assert (function.__name__, function.__qualname__, function.__module__) == (
        wrapped.__name__, wrapped.__qualname__, wrapped.__module__)


def test_the_estimator_keeps_its_signature_and_parameters():
    assert list(inspect.signature(MiniBatchKMeans).parameters) == [
        "n_clusters", "init", "n_init", "batch_size", "max_iter", "tol",
        "max_no_improvement", "refine", "fixed_centers", "seed"]
    assert MiniBatchKMeans(3, seed=1).get_params()["seed"] == 1
    assert repr(MiniBatchKMeans(3, seed=1)) == "MiniBatchKMeans(n_clusters=3, seed=1)"


def test_set_params_tells_quantize_name_for_a_foreign_parameter():
    with pytest.raises(ValueError) as caught:
        MiniBatchKMeans().set_params(random_state=0)
    assert str(caught.value) == (
        "invalid parameter 'random_state' for MiniBatchKMeans (quantize calls it seed=); "
        "valid parameters are n_clusters, init, n_init, batch_size, max_iter, tol, "
        "max_no_improvement, refine, fixed_centers, seed")
    with pytest.raises(ValueError) as caught:
        MiniBatchKMeans().set_params(n_jobs=2)
    assert str(caught.value).startswith(
        "invalid parameter 'n_jobs' for MiniBatchKMeans (quantize sets its threads itself, as "
        "many in every call: quantize.set_threads(n) sets how many); ")


def test_the_estimator_clones_and_pickles():
    base = pytest.importorskip("sklearn.base")
    cloned = base.clone(MiniBatchKMeans(n_clusters=3))
    assert type(cloned) is MiniBatchKMeans and cloned.get_params()["n_clusters"] == 3
    X = np.array([[0., 0.], [0., 1.], [10., 10.], [10., 11.]])
    fitted = MiniBatchKMeans(2, seed=0).fit(X)
    again = pickle.loads(pickle.dumps(fitted))
    assert again.predict(X).tolist() == fitted.predict(X).tolist()
    assert again.get_params() == fitted.get_params()


@pytest.mark.parametrize("function", CALLABLES[:4] + CALLABLES[5:],
                         ids=lambda f: f.__qualname__)
def test_functions_pickle_as_themselves(function):
    assert pickle.loads(pickle.dumps(function)) is function


def test_file_options_name_quantize_name_for_a_foreign_one(tmp_path):
    line = ("unknown reduce option(s) random_state (quantize calls it seed=); expected some of "
            "n_colors, quality, quality_limit, space, dither, exact_colors, palette_in, "
            "palette_fitted, palette_out, seed, force, max_pixels, max_frames, skip_if_larger, "
            "optimize, palette, max_bytes, matte, strip, keep_gps, masks, nodata, fixed_colors, "
            "intent, nearest, transparent_color, stretch, stretch_clip, stretch_curve, "
            "stretch_softening, stretch_range")
    with pytest.raises(TypeError) as caught:
        check_reduce_options(random_state=0)
    assert str(caught.value) == line
    with pytest.raises(TypeError) as caught:  # the animation's entry point takes **options
        reduce_animation_file(tmp_path / "in.gif", tmp_path / "out.gif", random_state=0)
    assert str(caught.value) == line
    assert not (tmp_path / "out.gif").exists()


def test_file_options_say_why_a_foreign_one_has_no_counterpart():
    with pytest.raises(TypeError) as caught:
        check_reduce_options(max_iter=3)
    assert str(caught.value).startswith(
        "unknown reduce option(s) max_iter (quantize sets its k-means iterations itself "
        "(MiniBatchKMeans takes max_iter=)); expected some of n_colors, ")


def test_a_function_taking_any_keyword_is_left_as_it_is():
    def job(path, **options):
        return options

    assert foreign_keywords(job) is job


def test_every_proposed_parameter_is_one_a_public_callable_takes():
    taken = {name for f in CALLABLES for name in inspect.signature(f).parameters}
    proposed = {hint.split("=", 1)[0] for hints in FOREIGN_KEYWORDS.values() for hint in hints}
    assert proposed <= taken
    said_with = {name for _, names in NO_COUNTERPART.values() for name in names}
    assert said_with <= taken
    assert not FOREIGN_KEYWORDS.keys() & NO_COUNTERPART.keys()  # one table says each
