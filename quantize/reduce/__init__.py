"""Colour reduction: an image to N colours, or to the fewest colours that reach a quality.

The package's modules, in the order data flows through them:

- :mod:`~quantize.reduce.options`: validation of every option, once;
  :func:`check_reduce_options` for drivers (CLI, batch);
- :mod:`~quantize.reduce.fit`: the palette fit, weighted k-means on the
  histogram of distinct colours (cell pooling for many colours, then an exact
  Lloyd step over all of them); :func:`fit_palette`;
- :mod:`~quantize.reduce.quality`: the search for the fewest colours meeting a
  CIEDE2000 target (its mean and tail), built on the fit;
- :mod:`~quantize.reduce.subset`: the best ``n_colors`` entries of a given palette
  for an image's histogram;
- :mod:`~quantize.reduce.image`: :func:`reduce_colors`, image -> histogram ->
  palette -> pixel indices;
- :mod:`~quantize.reduce.result`: :class:`ReduceResult` and its metrics;
- :mod:`~quantize.reduce.records`: a file job's record and output name, which
  the still's job and the animation's (:mod:`quantize.animation.job`) share, and how
  their messages name an output written first to a caller's own file
  (:class:`ShownOutput`);
- :mod:`~quantize.reduce.file_job`: :func:`reduce_file`, file -> file, the job
  behind ``quantize reduce`` and batch (an animation's frames handed to
  :mod:`quantize.animation`, which builds on the modules above);
- :mod:`~quantize.reduce.shared`: one palette for many files (sample, merge,
  fit, map).

Below it: :mod:`quantize.io` and :mod:`quantize.palette_files` (files),
:mod:`quantize.colors` (histograms, colour differences), :mod:`quantize.kmeans`
(the clustering core) and :mod:`quantize.reconstruct.palette` (palette order,
indexed images).

The package is no function: ``quantize.reduce(image, 16)`` raises a ``TypeError`` that
says to call :func:`quantize.reduce_colors` (``quantize.segment``, beside it, is the
function).
"""

import sys
import types
from typing import Any

from .file_job import (
    GIF_ALPHA_THRESHOLD,
    PALETTE_EXTENSIONS,
    RGB_EXTENSIONS,
    AlphaLossWarning,
    check_ext,
    check_indexed_colors,
    check_outputs_given,
    default_output,
    default_output_names,
    default_output_suffix,
    header_format,
    output_kind,
    reduce_file,
    stream_output_suffix,
)
from .fit import DEFAULT_COLORS, ColorCountWarning, FewerColorsWarning, fit_palette
from .image import reduce_colors
from .options import PALETTE_MODES, check_reduce_options
from .records import ShownOutput
from .result import ReduceResult

__all__ = ["DEFAULT_COLORS", "GIF_ALPHA_THRESHOLD", "PALETTE_EXTENSIONS", "PALETTE_MODES",
           "RGB_EXTENSIONS", "AlphaLossWarning", "ColorCountWarning", "FewerColorsWarning",
           "ReduceResult", "ShownOutput",
           "check_ext", "check_indexed_colors", "check_outputs_given", "check_reduce_options",
           "default_output", "default_output_names", "default_output_suffix", "fit_palette",
           "header_format",
           "output_kind", "reduce_colors", "reduce_file", "stream_output_suffix"]


class _Package(types.ModuleType):
    """The package, which, called as the function ``quantize.segment`` beside it is, says
    which function to call, where Python says "'module' object is not callable"."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("quantize.reduce is the colour reduction package, not a function; "
                        "expected quantize.reduce_colors(image, n_colors)")


sys.modules[__name__].__class__ = _Package
