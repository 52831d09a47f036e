"""quantize's warnings: one base class, QuantizeWarning, and every class at the top level."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import quantize

from .source_support import parsed


def _warning_classes() -> dict[str, type[Warning]]:
    """Every warning class defined in a module of the package, by name."""
    found: dict[str, type[Warning]] = {}
    for info in pkgutil.walk_packages(quantize.__path__, "quantize."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, Warning)
                    and value.__module__ == info.name):
                assert found.setdefault(name, value) is value, f"two classes named {name}"
    return found


WARNING_CLASSES = _warning_classes()


def test_the_package_has_warning_classes_in_many_modules():
    modules = {cls.__module__ for cls in WARNING_CLASSES.values()}
    assert len(WARNING_CLASSES) >= 35 and len(modules) >= 10


@pytest.mark.parametrize("name", sorted(WARNING_CLASSES))
def test_every_warning_class_is_a_quantize_warning_taken_from_the_top_level(name):
    cls = WARNING_CLASSES[name]
    assert issubclass(cls, quantize.QuantizeWarning) and issubclass(cls, UserWarning)
    if not name.startswith("_"):
        assert getattr(quantize, name) is cls
        assert name in dir(quantize)


def test_the_classes_keep_their_own_bases():
    assert quantize.QuantizeWarning.__bases__ == (UserWarning,)
    assert quantize.StillImageWarning.__bases__ == (quantize.TimingLossWarning,)
    assert quantize.ShortFramesWarning.__bases__ == (quantize.FormatAdviceWarning,)
    assert quantize.TransparentIndexWarning.__bases__ == (quantize.PaletteFormatWarning,)
    assert issubclass(quantize.PixelRangeWarning, quantize.CodeAdviceWarning)
    assert issubclass(quantize.QuantizeDeprecationWarning, DeprecationWarning)


def test_the_segment_modules_warning_is_reached_beside_the_function():
    from quantize.segment import RegionCountWarning

    assert quantize.RegionCountWarning is RegionCountWarning
    assert callable(quantize.segment)  # still the function once its module is loaded


def test_unknown_names_are_still_attribute_errors():
    with pytest.raises(AttributeError, match="^module 'quantize' has no attribute "
                                             "'NoSuchWarning'$"):
        quantize.NoSuchWarning  # noqa: B018


def _recorded(call, *filters) -> list[str]:
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        for each in filters:
            warnings.filterwarnings("ignore", category=each)
        call()
    return [type(w.message).__name__ for w in said]


def _two_colours():
    image = np.zeros((4, 6, 3), np.uint8)
    image[:, 3:] = 200
    return quantize.reduce_colors(image, 4, seed=0)


def _too_many_regions():
    return quantize.segment(np.zeros((20, 20, 3), np.uint8), regions=50)


@pytest.mark.parametrize(("call", "category"), [(_two_colours, "FewerColorsWarning"),
                                                 (_too_many_regions, "RegionCountWarning")])
def test_one_filter_silences_a_real_warning(call, category):
    assert _recorded(call) == [category]
    assert _recorded(call, quantize.QuantizeWarning) == []


def test_the_feature_names_warning_is_one_too():
    km = quantize.MiniBatchKMeans(2, seed=0).fit(np.array([[0.0], [1.0], [5.0], [6.0]]))

    class Frame(np.ndarray):  # the column names scikit-learn reads
        columns = np.array(["a"], dtype=object)

    rows = np.array([[0.0], [5.0]]).view(Frame)
    assert _recorded(lambda: km.predict(rows)) == ["FeatureNamesWarning"]
    assert _recorded(lambda: km.predict(rows), quantize.QuantizeWarning) == []


def test_no_library_warning_is_given_in_a_builtin_category():
    builtin = {name for name, value in vars(builtins).items()
               if inspect.isclass(value) and issubclass(value, Warning)}
    given = []
    for path in Path(quantize.__file__).parent.rglob("*.py"):
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("warnings.warn",
                                                                         "warn_caller"):
                category = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "category"), None)
                if isinstance(category, ast.Name) and category.id in builtin:
                    given.append(f"{path.name}:{node.lineno} {category.id}")
    assert given == []


def test_importing_quantize_loads_no_module_for_its_warnings():
    code = textwrap.dedent("""
        import sys
        import quantize
        assert quantize.QuantizeWarning.__module__ == "quantize.errors"
        print(sorted(m for m in ("quantize.segment", "quantize.animation.job",
                                 "quantize.batch.manifest", "quantize.metrics.segmentation")
                     if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "[]\n"
