"""Error classes: fields instead of parsed messages, exit codes defined once."""

from __future__ import annotations

import pickle

import pytest

from quantize.errors import (
    AdvisedFormats,
    ExitCode,
    FormatAdviceError,
    ImageReadError,
    OutputError,
    OutputExistsError,
    QualityError,
    ResultTooLargeError,
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
    assert [int(c) for c in ExitCode] == [0, 1, 2, 15, 98, 99, 129, 130, 143]


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
