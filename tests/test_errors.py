"""Error classes: fields instead of parsed messages, exit codes defined once."""

from __future__ import annotations

import pickle

import pytest

from quantize.errors import (
    ExitCode,
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
    assert [int(c) for c in ExitCode] == [0, 1, 2, 15, 98, 99, 130, 143]
