"""Error classes: fields instead of parsed messages, exit codes defined once."""

from __future__ import annotations

import importlib
import inspect
import pickle

import pytest

from quantize.errors import (
    AdvisedFormats,
    CodeAdviceError,
    ExcludeAdviceError,
    ExitCode,
    FormatAdviceError,
    ImageReadError,
    InputParameterError,
    OutputError,
    OutputExistsError,
    QualityError,
    QuantizeError,
    ResultTooLargeError,
    failure_kind,
)


@pytest.mark.parametrize("cls, code", [
    (ImageReadError, 1), (OutputError, 1), (OutputExistsError, 15),
    (ResultTooLargeError, 98), (QualityError, 99),
])
def test_exit_codes(cls, code):
    assert cls("x").exit_code == code


def test_fields_and_message():
    err = OutputExistsError("output exists", path="out/a.png")
    assert (err.path, err.reason, str(err)) == ("out/a.png", "output exists",
                                                "out/a.png: output exists")
    assert str(QualityError("quality=1: needs more colours")) == "quality=1: needs more colours"
    assert isinstance(err, FileExistsError) and isinstance(ImageReadError("r"), ValueError)


def test_fields_survive_pickling_to_a_worker_and_back():
    err = pickle.loads(pickle.dumps(ImageReadError("not an image", path="b.jpg")))
    assert type(err) is ImageReadError
    assert (err.path, err.reason, str(err)) == ("b.jpg", "not an image", "b.jpg: not an image")


def test_exit_code_values_are_the_documented_ones():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 15, 75, 98, 99, 129, 130, 143]


@pytest.mark.parametrize("suffixes, words", [
    ((".apng",), "--format apng"), ((".png", ".tif"), "--format png or tif"),
    ((".jpg", ".webp", ".tif"), "--format jpg, webp or tif"),
])
def test_advised_formats_named_by_an_option(suffixes, words):
    assert AdvisedFormats("x", suffixes).named_by("--format") == words


def test_advice_names_its_formats_by_an_option_where_it_listed_them():
    tif = AdvisedFormats(".tif, .webp", (".tif", ".webp"))
    quality = QualityError("needs 300 colours", path="a.png", formats=tif,
                           format_advice="an output in RGBA (.tif, .webp) may hold more")
    wide = FormatAdviceError("too wide", format_advice="use .png or .tif instead",
                             formats=AdvisedFormats(".png or .tif", (".png", ".tif")))
    assert quality.advice_naming("--format") == (
        "an output in RGBA (--format tif or webp) may hold more")
    assert wide.advice_naming("--format") == "use --format png or tif instead"
    assert str(wide) == "too wide; use .png or .tif instead"  # the advice itself unchanged
    bare = FormatAdviceError("too wide", format_advice="use fewer colours")
    assert bare.advice_naming("--format") == "use fewer colours"


def test_advice_and_its_formats_survive_pickling():
    png = AdvisedFormats(".png", (".png",))
    for err in (QualityError("needs more", path="a.png", format_advice="use .png", formats=png),
                FormatAdviceError("too wide", format_advice="use .png", formats=png)):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err)
        assert (back.facts, back.format_advice, back.formats, str(back)) == (
            err.facts, err.format_advice, err.formats, str(err))
        assert back.advice_naming("--format") == "use --format png"


@pytest.mark.parametrize("err, line", [
    (CodeAdviceError("has 3 frames", advice="call reduce_file", path="a.gif"),
     "a.gif: has 3 frames; call reduce_file"),
    (CodeAdviceError("has 3 frames"), "has 3 frames"),
    (FormatAdviceError("300 colours, at most 256", format_advice="write .tif",
                       formats=AdvisedFormats(".tif", (".tif",))),
     "300 colours, at most 256; write .tif"),
    (FormatAdviceError("too wide"), "too wide"),
], ids=["code", "code-bare", "format", "format-bare"])
def test_both_advice_errors_keep_their_line_bases_and_parts_across_pickling(err, line):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) == line
    assert (back.facts, back.advice, back.path) == (err.facts, err.advice, err.path)
    for cls in (QuantizeError, ValueError):
        assert isinstance(back, cls)
    assert back.exit_code == ExitCode.USAGE and failure_kind(back) == "bad_parameter"
    assert isinstance(back, InputParameterError) == isinstance(err, CodeAdviceError)


class _FramesAdviceError(CodeAdviceError):
    """A subclass a caller may make, which a batch worker sends back."""


def test_a_subclass_of_an_advice_error_comes_back_from_a_worker_as_itself():
    err = _FramesAdviceError("has 3 frames", advice="call reduce_file", path="a.gif")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is _FramesAdviceError
    assert (back.facts, back.advice, back.path) == ("has 3 frames", "call reduce_file",
                                                    "a.gif")


def _kind_cases():
    import errno

    from quantize.batch import FolderInUseError
    from quantize.batch.manifest import OptionsChangedError
    from quantize.errors import InputParameterError, SizeBudgetError, WriteRefusedError

    return [
        (ImageReadError("truncated", path="a.png"), "unreadable_input"),
        (InputParameterError("min_region=0 leaves 300 regions", path="a.png"), "bad_parameter"),
        (ValueError("n_colors=0 should be >= 1"), "bad_parameter"),
        (FormatAdviceError("300 colours", format_advice="write .tif"), "bad_parameter"),
        (OutputError("output folder out is not writable", path="out"), "write_failed"),
        (WriteRefusedError("Read-only file system", errno.EROFS, path="a.png"), "write_failed"),
        (WriteRefusedError("No space left on device", errno.ENOSPC, path="a.png"), "disk_full"),
        (WriteRefusedError("Disk quota exceeded", errno.EDQUOT, path="a.png"), "disk_full"),
        (OutputError("cannot add 'a.png' to the record (No space left on device)",
                     os_errno=errno.ENOSPC), "disk_full"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk_full"),
        (OutputExistsError("output exists", path="a.png"), "output_exists"),
        (OptionsChangedError("out", 2, {"n_colors": 8}, {"n_colors": 16}), "options_changed"),
        (FolderInUseError("another quantize batch is writing here", path="out"),
         "folder_in_use"),
        (QualityError("needs more than 256 colours"), "quality"),
        (SizeBudgetError("max_bytes=100: even 2 colours take 412 bytes"), "quality"),
        (ResultTooLargeError("larger than the input"), "larger"),
        (RuntimeError("a bug"), "other"),
        (OSError(errno.EIO, "Input/output error"), "other"),
    ]


@pytest.mark.parametrize("case", range(18))  # built in the test: errors of this version
def test_each_error_class_has_the_failure_kind_a_script_tests(case):
    """Exit 1 was a corrupt input, a full disk and a read-only output alike, 15 another
    batch in the folder and a change of options alike: a script could tell them apart only
    by the message's prose."""
    from quantize.errors import FAILURE_KINDS, failure_kind

    cases = _kind_cases()
    assert len(cases) == 18
    error, kind = cases[case]
    assert failure_kind(error) == kind and kind in FAILURE_KINDS
    assert failure_kind(pickle.loads(pickle.dumps(error))) == kind  # as a worker sends it


def test_the_record_error_keeps_its_system_error_across_processes():
    import errno

    from quantize.batch import NotRecordedError

    err = pickle.loads(pickle.dumps(NotRecordedError("cannot add 'a.png' (No space left)",
                                                     path="out/r", input="in/a.png",
                                                     os_errno=errno.ENOSPC)))
    assert (type(err), err.os_errno, str(err.input)) == (NotRecordedError, errno.ENOSPC,
                                                         "in/a.png")


def test_another_batch_in_the_folder_exits_apart_from_a_change_of_options():
    """Both were exit 15: one a later run gets past, the other none."""
    from quantize.batch import FolderInUseError
    from quantize.batch.manifest import OptionsChangedError

    assert FolderInUseError("busy", path="out").exit_code == ExitCode.IN_USE == 75
    assert OptionsChangedError("out", 1, {"n_colors": 8}, {"n_colors": 4}).exit_code == 15


def _library_modules():
    import pkgutil

    import quantize

    for info in pkgutil.walk_packages(quantize.__path__, "quantize."):
        if not info.name.startswith("quantize.cli") and info.name != "quantize.__main__":
            yield importlib.import_module(info.name)


def _error_classes():
    """Every exception class the library (not the command line) defines, but interrupts."""
    found = {}
    for module in _library_modules():
        for value in vars(module).values():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and not issubclass(value, (Warning, KeyboardInterrupt))
                    and value.__module__ == module.__name__):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_error_class_of_the_library_is_a_quantize_error():
    classes = _error_classes()
    assert {"quantize.kmeans.NotFittedError", "quantize.kmeans_run.TooFewDistinctError",
            "quantize.errors.FormatAdviceError",
            "quantize.batch.executor_dask.SchedulerLostError"} <= set(classes)
    assert [name for name, cls in classes.items() if not issubclass(cls, QuantizeError)] == []


def test_the_base_and_the_documented_errors_are_the_package_s_own_names():
    import quantize

    assert quantize.QuantizeError is QuantizeError
    for name in ("ImageReadError", "OutputError", "OutputExistsError", "QualityError",
                 "SizeBudgetError", "NotFittedError"):
        assert name in quantize.__all__ and issubclass(getattr(quantize, name), QuantizeError)


def test_the_errors_the_api_raises_are_quantize_errors_with_their_old_bases_too():
    import numpy as np

    import quantize

    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(QuantizeError) as not_fitted:
        quantize.MiniBatchKMeans(3).predict(X)
    with pytest.raises(QuantizeError) as too_few:
        quantize.kmeans_plusplus(X[:3], 5)
    assert isinstance(not_fitted.value, ValueError) and isinstance(not_fitted.value,
                                                                   AttributeError)
    assert isinstance(too_few.value, ValueError) and too_few.value.n_distinct == 3
    assert issubclass(FormatAdviceError, ValueError)


def _new_members():
    from quantize.batch.executor_dask import MissingDependencyError
    from quantize.kmeans import NotFittedError
    from quantize.kmeans_run import TooFewDistinctError

    return [NotFittedError("call fit first"), TooFewDistinctError("n_clusters=5 > 3", 3),
            FormatAdviceError("300 colours, at most 256", format_advice="write .tif"),
            ExcludeAdviceError("ext='same' keeps each input's name, but", "'a/A.JPG'",
                               "a JPEG", ("'*.JPG'",), "or write PNGs (ext='.png')"),
            MissingDependencyError("scheduler=... needs dask.distributed")]


@pytest.mark.parametrize("exc", _new_members(), ids=lambda exc: type(exc).__name__)
def test_the_command_line_says_the_new_members_as_it_did(exc, capsys):
    from quantize.cli.common import CommandFailed, user_errors

    with pytest.raises(CommandFailed) as now, user_errors():
        raise exc
    said = capsys.readouterr().err
    with pytest.raises(CommandFailed) as before, user_errors():
        raise ValueError(str(exc))  # as a ValueError was said
    assert (now.value.exit_code, now.value.kind, said) == (
        before.value.exit_code, before.value.kind, capsys.readouterr().err)
    assert exc.exit_code == ExitCode.USAGE and failure_kind(exc) == "bad_parameter"


def test_a_lost_cluster_carries_the_code_the_command_gives_it():
    from quantize.batch.executor_dask import NoWorkerError

    err = pickle.loads(pickle.dumps(NoWorkerError("no worker for 60 s", ["a.png"])))
    assert (type(err), err.not_done, str(err)) == (NoWorkerError, ["a.png"], "no worker for 60 s")
    assert (err.exit_code, failure_kind(err)) == (ExitCode.IN_USE, "cluster_lost")
