"""quantize._validation: one validator per concept, messages naming parameter, value and bound."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from quantize._validation import (
    check_bool,
    check_choice,
    check_data,
    check_float,
    check_int,
    check_max_pixels,
    check_path,
    check_sample_weight,
    check_seed,
    check_seed_value,
    unit_floats,
)
from quantize.colors import color_histogram
from quantize.encode import encode_indexed_png
from quantize.metrics import adjusted_rand_index, boundary_scores, delta_e, psnr
from quantize.reduce import fit_palette


def test_check_int_accepts_numpy_integers_and_names_both_bounds():
    value = check_int(np.int64(7), "k", minimum=1, maximum=7)
    assert value == 7 and type(value) is int
    with pytest.raises(ValueError, match=r"^k=8 should be <= 7$"):
        check_int(8, "k", maximum=7)
    with pytest.raises(ValueError, match=r"^k=0 should be >= 1$"):
        check_int(0, "k", minimum=1)


@pytest.mark.parametrize("value, kind", [(True, "bool"), (2.0, "float"), ("2", "str")])
def test_check_int_refuses_what_is_not_an_integer(value, kind):
    with pytest.raises(TypeError, match=f"should be an integer, got {kind}$"):
        check_int(value, "k")


def test_check_max_pixels_gives_an_int_or_none():
    assert check_max_pixels(None) is None
    value = check_max_pixels(np.int64(12))
    assert value == 12 and type(value) is int
    assert check_max_pixels(1, "--max-pixels") == 1


@pytest.mark.parametrize("value, name, error, message", [
    (0, "max_pixels", ValueError, "max_pixels=0 should be >= 1"),
    (-5, "--max-pixels", ValueError, "--max-pixels=-5 should be >= 1"),
    (2.5, "max_pixels", TypeError, "max_pixels=2.5 should be an integer, got float"),
    (True, "max_pixels", TypeError, "max_pixels=True should be an integer, got bool"),
    ("9", "max_pixels", TypeError, "max_pixels='9' should be an integer, got str"),
])
def test_check_max_pixels_refuses_in_one_line(value, name, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        check_max_pixels(value, name)


def _max_pixels_callers(path):
    """Each public call that takes ``max_pixels``, as ``f(max_pixels)``, on a tiny image."""
    from quantize import reduce_colors, segment
    from quantize.animation.frames import open_animation, probe_animation
    from quantize.features import build_features
    from quantize.io import as_rgba, load_image, open_input, probe_image
    from quantize.reduce import check_reduce_options
    from quantize.segment_file import check_segment_options

    def entered(opener):
        def call(limit):
            with opener(path, max_pixels=limit):
                pass
        return call

    rgb = np.array([[[0, 0, 0], [0, 0, 0]], [[255, 255, 255], [255, 255, 255]]], np.uint8)
    labels = np.zeros((2, 2), np.int64)
    return {
        "load_image": lambda m: load_image(path, max_pixels=m),
        "probe_image": lambda m: probe_image(path, max_pixels=m),
        "open_input": entered(open_input),
        "probe_animation": lambda m: probe_animation(path, max_pixels=m),
        "open_animation": entered(open_animation),
        "as_rgba": lambda m: as_rgba(rgb, max_pixels=m),
        "build_features": lambda m: build_features(rgb, max_pixels=m),
        "reduce_colors": lambda m: reduce_colors(rgb, 2, max_pixels=m),
        "segment": lambda m: segment(rgb, 2, min_region=0, max_pixels=m),
        "psnr": lambda m: psnr(rgb, rgb, max_pixels=m),
        "delta_e": lambda m: delta_e(rgb, rgb, max_pixels=m),
        "adjusted_rand_index": lambda m: adjusted_rand_index(labels, labels, max_pixels=m),
        "boundary_scores": lambda m: boundary_scores(labels, labels, max_pixels=m),
        "check_reduce_options": lambda m: check_reduce_options(max_pixels=m),
        "check_segment_options": lambda m: check_segment_options(max_pixels=m),
    }


@pytest.mark.parametrize("value, error, message", [
    (0, ValueError, "max_pixels=0 should be >= 1"),
    (np.int64(-1), ValueError, "max_pixels=-1 should be >= 1"),
    (1.0, TypeError, "max_pixels=1.0 should be an integer, got float"),
])
def test_every_max_pixels_is_refused_in_the_same_words(tmp_path, value, error, message):
    path = tmp_path / "tiny.png"
    path.write_bytes(encode_indexed_png(np.zeros((2, 2), np.uint8), np.zeros((1, 3), np.uint8)))
    for call in _max_pixels_callers(path).values():
        with pytest.raises(error, match=f"^{re.escape(message)}$"):
            call(value)
        call(None)  # no limit
        call(4)  # the image's own pixel count is within it


def test_check_float_converts_and_refuses_non_finite_values():
    assert check_float(3, "tol") == 3.0 and type(check_float(3, "tol")) is float
    with pytest.raises(ValueError, match=r"^tol=inf should be a finite number$"):
        check_float(float("inf"), "tol")
    with pytest.raises(ValueError, match=r"^tol=1.5 should be <= 1$"):
        check_float(1.5, "tol", maximum=1)
    with pytest.raises(TypeError, match=r"^tol=False should be a number, got bool$"):
        check_float(False, "tol")


@pytest.mark.parametrize("value", [-0.0, np.float32(-0.0), np.float64(-0.0)])
def test_check_float_gives_a_negative_zero_as_zero(value):
    # -w texture=-0 was recorded as "texture": -0.0 in segments.json and --json.
    checked = check_float(value, "w", minimum=0.0)
    assert (checked, math.copysign(1.0, checked)) == (0.0, 1.0)


@pytest.mark.parametrize("value, shown", [(-1, "-1"), (np.float32(-0.5), "-0.5"),
                                          (np.int64(-2), "-2")])
def test_check_float_names_the_value_as_given(value, shown):
    # An int was named as the float it became: "tol=-1.0 should be >= 0.0".
    with pytest.raises(ValueError, match=f"^tol={shown} should be >= 0$"):
        check_float(value, "tol", minimum=0.0)


@pytest.mark.parametrize("bounds, value, message", [
    ({"maximum": 1e6}, 2e6, "w=2000000.0 should be <= 1e6"),  # was "<= 1000000.0"
    ({"minimum": 0.0}, -1, "w=-1 should be >= 0"),
    ({"minimum": 2.0}, 1, "w=1 should be >= 2"),
    ({"minimum": 0.5}, 0.25, "w=0.25 should be >= 0.5"),
    ({"minimum": 1e-6}, 0, "w=0 should be >= 1e-6"),  # was "1e-06"
    ({"maximum": 1.5e7}, 2e7, "w=20000000.0 should be <= 1.5e7"),
])
def test_check_float_writes_its_bounds_as_the_help_does(bounds, value, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_float(value, "w", **bounds)


def test_check_choice_lists_the_valid_names_in_order():
    assert check_choice("lab", "space", ("rgb", "lab")) == "lab"
    with pytest.raises(ValueError, match=r"^space='hsv' is not valid; expected one of 'rgb', "
                                         r"'lab'$"):
        check_choice("hsv", "space", iter(["rgb", "lab"]))


@pytest.mark.parametrize("value, message", [
    (3, "space=3 should be a str, one of 'rgb', 'lab'; got int"),
    (None, "space=None should be a str, one of 'rgb', 'lab'; got NoneType"),
    (b"lab", "space=b'lab' should be a str, one of 'rgb', 'lab'; got bytes"),
])
def test_check_choice_refuses_a_value_of_another_type_as_a_type_error(value, message):
    # it was a ValueError ("space=None is not valid"), unlike every other validator's type
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        check_choice(value, "space", iter(["rgb", "lab"]))


def test_check_seed_passes_a_generator_through_and_repeats_an_int():
    rng = np.random.default_rng(5)
    assert check_seed(rng) is rng
    assert check_seed(11).integers(1 << 30) == check_seed(11).integers(1 << 30)
    assert isinstance(check_seed(None), np.random.Generator)
    with pytest.raises(TypeError, match="seed=1.5 should be an int, a numpy Generator or "
                                        "None, got float"):
        check_seed(1.5)


@pytest.mark.parametrize("seed", [np.random.SeedSequence(5), np.random.PCG64(5)])
def test_check_seed_refuses_numpys_other_seeds_in_one_line_saying_how_to_pass_them(seed):
    # A SeedSequence was shown by its repr, a message of three lines; a bit generator by
    # its address, and neither said what would do.
    name = type(seed).__name__
    with pytest.raises(TypeError) as info:
        check_seed(seed)
    assert str(info.value) == (f"seed={name}(...) should be an int, a numpy Generator or None, "
                               f"got {name}; pass np.random.default_rng(seed), a Generator")
    assert isinstance(check_seed(np.random.default_rng(seed)), np.random.Generator)


def test_check_data_copies_unless_told_not_to():
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    copied = check_data(X)
    assert copied is not X and not np.shares_memory(copied, X)
    assert check_data(X, copy=False) is X  # float32, C-contiguous: read as it is
    converted = check_data(X.T, copy=False)  # not C-contiguous: a contiguous copy
    assert converted.flags.c_contiguous and np.array_equal(converted, X.T)
    objects = check_data(np.array([[1, 2.5]], dtype=object))
    assert objects.dtype == np.float32 and objects.tolist() == [[1.0, 2.5]]


def test_check_data_refuses_complex_and_sparse_input():
    with pytest.raises(ValueError, match="X has dtype complex128: Complex data not supported"):
        check_data(np.ones((2, 2), complex))
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="X is a csr_matrix: sparse input is not supported"):
        check_data(sparse.csr_matrix(np.eye(2)))


def test_check_data_refuses_none_as_a_type():
    # It was "X should be a 2-D (n, d) array, got shape ()", a ValueError about a shape.
    with pytest.raises(TypeError, match=r"^X should be a numeric \(n, d\) array, got None$"):
        check_data(None)
    with pytest.raises(TypeError, match=r"^init should be a numeric \(n, d\) array, got None$"):
        check_data(None, "init")


def test_a_none_among_numbers_is_named_not_called_nan():
    # object arrays were cast to float, None to NaN: "X[0, 1]=nan is not finite in
    # float32" and "sample_weight[1]=nan should be finite and >= 0"
    with pytest.raises(TypeError, match=r"^X\[0, 1\]=None should be a number$"):
        check_data([[1.0, None], [2.0, 3.0]])
    with pytest.raises(TypeError, match=r"^sample_weight\[1\]=None should be a number$"):
        check_sample_weight([1.0, None], 2)
    assert check_data(np.array([[1, 2.5]], dtype=object)).tolist() == [[1.0, 2.5]]


def test_check_sample_weight_defaults_to_ones_and_copies():
    assert check_sample_weight(None, 3).tolist() == [1.0, 1.0, 1.0]
    w = np.array([1, 2, 3])
    out = check_sample_weight(w, 3)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]
    out[0] = 9
    assert w[0] == 1


def test_check_sample_weight_takes_numbers_in_an_object_array_as_check_data_does():
    w = np.array([1, 2.5, np.float32(3)], dtype=object)
    out = check_sample_weight(w, 3)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.5, 3.0]
    assert check_data(w.reshape(3, 1)).ravel().tolist() == out.tolist()
    with pytest.raises(TypeError, match=r"sample_weight should be a numeric .* got dtype object"):
        check_sample_weight(np.array([1.0, None, "a"], dtype=object), 3)


def test_check_bool_takes_python_and_numpy_bools_only():
    assert check_bool(True, "flag") is True
    assert check_bool(np.bool_(False), "flag") is False
    with pytest.raises(TypeError, match=r"^flag=1 should be a bool, got int$"):
        check_bool(1, "flag")


def _path_takers():
    from quantize.animation import reduce_animation_file
    from quantize.io import load_image
    from quantize.palette_files import read_palette, write_palette
    from quantize.reduce import reduce_file
    from quantize.reduce.shared import sample_colors
    from quantize.segment_file import segment_file

    pal = np.zeros((1, 3), np.uint8)
    return [
        ("path", lambda v: load_image(v)),
        ("path", lambda v: read_palette(v)),
        ("path", lambda v: write_palette(v, pal)),
        ("path", lambda v: sample_colors(v, 4)),
        ("input", lambda v: reduce_file(v)),
        ("output", lambda v: reduce_file(__file__, v)),
        ("palette_out", lambda v: reduce_file(__file__, "o.png", palette_out=v)),
        ("input", lambda v: segment_file(v, "out")),
        ("outdir", lambda v: segment_file(__file__, v)),
        # input_name was taken as anything str() could print: 3 was recorded as "3"
        ("input_name", lambda v: segment_file(__file__, "out", input_name=v)),
        # were pathlib's messages, naming no parameter
        ("input", lambda v: reduce_animation_file(v)),
        ("output", lambda v: reduce_animation_file(__file__, v)),
    ]


@pytest.mark.parametrize("value", [None, 3, b"a.png", np.zeros((2, 2, 3), np.uint8)])
def test_file_functions_name_a_path_parameter_given_no_path(value):
    # They raised pathlib's "expected str, bytes or os.PathLike object, not NoneType",
    # naming no parameter (bytes: "argument should be a str object ...").
    for name, call in _path_takers():
        if value is None and name in ("output", "palette_out", "input_name"):
            continue  # None is their default: no such file
        with pytest.raises(TypeError) as err:
            call(value)
        assert str(err.value) == (f"{name} should be a path (str or os.PathLike), got "
                                  f"{type(value).__name__}")
    assert check_path("a.png", "path") == check_path(Path("a.png"), "path") == Path("a.png")


def test_file_functions_refuse_an_empty_path_rather_than_read_it_as_the_current_folder(
        tmp_path, monkeypatch):
    # pathlib reads "" as ".": load_image("") said ".: is a directory", and
    # segment_file(photo, "") wrote its six files into the current folder.
    monkeypatch.chdir(tmp_path)
    for name, call in _path_takers():
        with pytest.raises(ValueError) as err:
            call("")
        assert str(err.value) == f"{name}='' is empty; expected a path"
    assert list(tmp_path.iterdir()) == []


RAGGED = [[1, 2, 3], [4, 5]]
GREY = np.zeros((2, 3), np.uint8)


@pytest.mark.parametrize(("call", "message"), [
    # X named itself, but as a TypeError carrying NumPy's text
    (lambda: check_data(RAGGED), "X should be a numeric (n, d) array"),
    (lambda: check_sample_weight(RAGGED, 2),
     "sample_weight should be a number or a numeric (n,) array"),
    (lambda: fit_palette([[1, 2, 3]], RAGGED),
     "counts should be a numeric (m,) array, one count per colour"),
    (lambda: psnr(RAGGED, GREY), "reference should be a (..., 3) or (..., 4) array of colours"),
    (lambda: delta_e(GREY, RAGGED), "test should be a (..., 3) or (..., 4) array of colours"),
    (lambda: psnr(GREY, GREY, weights=RAGGED),
     "weights should be an array of shape (2,), one weight per pixel"),
    (lambda: boundary_scores(RAGGED, GREY), "pred should be a 2-D (H, W) integer label map"),
    (lambda: adjusted_rand_index(GREY, RAGGED), "true should be a 2-D (H, W) integer label map"),
    (lambda: color_histogram(RAGGED), "rgb should be an (H, W, 3) or (n, 3) uint8 array"),
    (lambda: color_histogram(np.zeros((2, 3), np.uint8), RAGGED),
     "alpha should be a (2,) uint8 array"),
    (lambda: encode_indexed_png(RAGGED, [[0, 0, 0]]), "indices should be a uint8 array"),
])
def test_rows_of_different_lengths_are_refused_naming_the_parameter(call, message):
    # each was NumPy's "setting an array element with a sequence. The requested array has
    # an inhomogeneous shape after 1 dimensions. ...", naming no parameter
    with pytest.raises(ValueError, match=f"^{re.escape(message)}, got rows of different "
                                         "lengths$"):
        call()


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.intp).reshape(3, 4)[:, ::2],  # strided
    np.arange(6.0)[::-1],  # negative strides
    np.zeros((2, 3), np.uint16).T,
    np.ones((2, 2), bool),
])
def test_read_only_is_a_view_that_cannot_be_made_writable(array):
    """read_only gave a plain view, which setflags(write=True) made writable again."""
    from quantize._validation import read_only

    view = read_only(array)
    assert view.dtype == array.dtype and view.shape == array.shape
    assert view.strides == array.strides and np.shares_memory(view, array)  # no copy
    assert not view.flags.writeable and array.flags.writeable
    with pytest.raises(ValueError, match="^cannot set WRITEABLE flag to True of this array$"):
        view.setflags(write=True)
    array.flat[0] = 1  # the caller's array stays editable
    assert view.flat[0] == 1 and read_only(None) is None


def test_read_only_of_an_array_without_a_buffer_is_a_plain_read_only_view():
    from quantize._validation import read_only

    array = np.array(["2020-01-01"], "datetime64[D]")
    view = read_only(array)
    assert not view.flags.writeable and view.base is array and array.flags.writeable


def test_a_typed_number_keeps_its_text_through_a_pickle():
    # A worker of the reduce pool got a plain float, and its errors echoed 5e-324 for 1e-400.
    import pickle

    from quantize._validation import TypedNumber, shown_number

    value = pickle.loads(pickle.dumps(TypedNumber(5e-324, "1e-400")))
    assert (type(value), float(value), str(value), shown_number(value)) == (
        TypedNumber, 5e-324, "1e-400", "1e-400")


@pytest.mark.parametrize("seed", [0, 7, np.int64(3), None])
def test_check_seed_value_gives_back_what_check_seed_takes(seed):
    assert check_seed_value(seed) is seed
    rng = np.random.default_rng(1)
    assert check_seed_value(rng) is rng
    for bad in (-2, 2.0, "3"):
        with pytest.raises((TypeError, ValueError)) as caught:
            check_seed(bad)
        with pytest.raises(type(caught.value), match=f"^{re.escape(str(caught.value))}$"):
            check_seed_value(bad)


def test_check_data_names_the_parameter_in_its_reshape_advice():
    # the advice named X whatever the parameter was
    with pytest.raises(ValueError) as caught:
        check_data([1.0, 2.0], "points")
    assert str(caught.value) == (
        "points should be a 2-D (n, d) array, got shape (2,); Reshape your data with "
        "points.reshape(-1, 1) for one feature or points.reshape(1, -1) for one sample")


def test_unit_floats_clips_half_a_level_of_8_bits_outside_and_refuses_beyond():
    inside = np.array([0.0, 0.25, 1.0])
    assert unit_floats(inside, "{low} {high}") is inside  # no copy when in range
    edges = np.array([-1 / 510, 0.5, 1 + 1 / 510])
    assert unit_floats(edges, "{low} {high}").tolist() == [0.0, 0.5, 1.0]
    assert edges.tolist() == [-1 / 510, 0.5, 1 + 1 / 510]  # the caller's array untouched
    for beyond, shown in ((np.nextafter(1 + 1 / 510, 2), "0 1.0019607843137257"),
                          (np.nextafter(-1 / 510, -1), "-0.0019607843137254906 0")):
        with pytest.raises(ValueError) as refused:
            unit_floats(np.array([0.0, beyond]), "{low} {high}")
        assert str(refused.value) == shown
    with pytest.raises(ValueError, match="^nan nan$"):
        unit_floats(np.array([np.nan]), "{low} {high}")


@pytest.mark.parametrize("value, error, said", [
    (0, ValueError, "=0 should be >= 1"),
    (np.int64(-1), ValueError, "=-1 should be >= 1"),
    (1.5, TypeError, "=1.5 should be an integer, got float"),
    (True, TypeError, "=True should be an integer, got bool"),
    ("9", TypeError, "='9' should be an integer, got str"),
])
def test_the_pixel_and_frame_limits_are_refused_in_the_same_words(value, error, said):
    from quantize._validation import check_max_frames

    for check, names in ((check_max_pixels, ("max_pixels", "--max-pixels")),
                         (check_max_frames, ("max_frames", "--max-frames"))):
        for name in names:
            with pytest.raises(error) as caught:
                check(value, name)
            assert str(caught.value) == name + said
        with pytest.raises(error) as caught:
            check(value)  # named by default as the library's keyword
        assert str(caught.value) == names[0] + said
        assert check(1) == 1 and check(None) is None


@pytest.mark.parametrize("value, error, said", [
    (0, ValueError, "=0 should be >= 1"),
    (1.0, TypeError, "=1.0 should be an integer, got float"),
    (True, TypeError, "=True should be an integer, got bool"),
])
def test_an_optional_count_is_refused_in_the_words_of_one_validator(tmp_path, value, error,
                                                                    said):
    # write_html_report's threads, segment_file's page and check_cut's regions each kept
    # a copy of "None if x is None else check_int(...)"; they call check_optional_int now
    from quantize._validation import check_optional_int
    from quantize.batch import BatchSummary
    from quantize.report import write_html_report
    from quantize.segment import check_cut
    from quantize.segment_file import segment_file

    assert [check_optional_int(v, "n", minimum=1) for v in (None, 2, np.int64(3))] == [
        None, 2, 3]
    assert check_cut(None, None) == (None, None)
    calls = {"threads": lambda: write_html_report(tmp_path / "r.html", [], BatchSummary(total=0),
                                                  mode="reduce", threads=value),
             "page": lambda: segment_file(tmp_path / "in.png", tmp_path / "out", page=value),
             "regions": lambda: check_cut(None, value)}
    for name, call in calls.items():
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value) == name + said
        with pytest.raises(error) as caught:
            check_optional_int(value, name, minimum=1)
        assert str(caught.value) == name + said
