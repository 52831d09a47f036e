"""Exceptions raised for user-facing failures, each with the CLI exit code it maps to.

Bad parameter values raise plain ``ValueError`` and bad types ``TypeError``
(the CLI reports both as usage errors, exit code 2). The classes below are for
failures tied to files and results.

Exit codes (documented in the README, modelled on pngquant's where they overlap):

====  ==============================================================
0     success
1     an input file could not be read or is not a usable image
2     usage error: a bad option or parameter value
15    the output exists and ``--force`` was not given (as pngquant)
99    ``--quality`` could not be reached (as pngquant)
====  ==============================================================
"""

from __future__ import annotations

__all__ = ["ImageReadError", "OutputError", "OutputExistsError", "QualityError",
           "QuantizeError"]


class QuantizeError(Exception):
    """Base class for quantize's file and result errors."""

    exit_code = 1


class ImageReadError(QuantizeError, ValueError):
    """An input file is missing, unreadable, truncated, too large or not an image."""

    exit_code = 1


class OutputError(QuantizeError, OSError):
    """An output cannot be written (folder missing or unwritable, same path as the input)."""

    exit_code = 1


class OutputExistsError(OutputError, FileExistsError):
    """The output file exists and overwriting was not asked for."""

    exit_code = 15


class QualityError(QuantizeError, ValueError):
    """The requested quality cannot be reached within the allowed number of colours."""

    exit_code = 99
