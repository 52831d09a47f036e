"""Cross-references in docstrings (``:func:`name```, ``:meth:`Class.name```, ...) name
something that exists, seen from the module they are written in; the layers import as the
package docstring says, and no module imports one that imports it back; Warns sections name
the warnings their functions raise."""

from __future__ import annotations

import ast
import doctest
import importlib
import io
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from .source_support import parsed

PACKAGE = Path(__file__).resolve().parents[1] / "quantize"
ROLE = re.compile(r":(func|meth|attr|class|data|mod|exc|obj):`~?([^`<]+)`")


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":  # running it runs the command line
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _found(obj: object, names: list[str]) -> bool:
    """Whether ``names`` lead from ``obj`` to something: an attribute, or a dataclass field."""
    for i, name in enumerate(names):
        if hasattr(obj, name):
            obj = getattr(obj, name)
        elif name in getattr(obj, "__dataclass_fields__", {}):
            return i == len(names) - 1
        else:
            return False
    return True


def _resolves(target: str, module: ModuleType) -> bool:
    names = target.removesuffix("()").split(".")
    if _found(module, names):
        return True
    for i in range(len(names), 0, -1):  # an absolute name: its longest module prefix
        try:
            base = importlib.import_module(".".join(names[:i]))
        except ImportError:
            continue
        return _found(base, names[i:])
    return False


def _broken(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    path = Path(module.__file__ or "")
    text = path.read_text(encoding="utf-8")
    return [f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for m in ROLE.finditer(text) if not _resolves(m.group(2).strip(), module)]


@pytest.mark.parametrize("module_name", _module_names())
def test_docstring_cross_references_name_what_exists(module_name):
    # :attr:`check_options` in batch/plan.py, :attr:`redone` in batch/results.py and
    # :meth:`pairs` in reduce/result.py named members without their class, and
    # :func:`reduce_mode` in batch/plan.py a function of another module.
    assert _broken(module_name) == []


def _layers() -> list[str]:
    """The layers in the order of the package docstring's pipeline list."""
    doc = importlib.import_module("quantize").__doc__ or ""
    pipeline = doc.split("\nio -> features", 1)[1].split("\n", 1)[1]
    return re.findall(r"^    (\w+)  ", pipeline, flags=re.M)


def _layer(parts: tuple[str, ...]) -> str:
    return "segment" if parts[0] == "segment_file" else parts[0]  # one layer, two modules


def _imported_at_load(path: Path) -> set[tuple[str, ...]]:
    """The quantize modules ``path`` imports at module level (not inside a function)."""
    own = path.relative_to(PACKAGE).with_suffix("").parts
    package = own[:-1]
    found = set()
    for node in parsed(path).body:
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[:len(package) - (node.level - 1)]
            found.add((*base, *node.module.split(".")) if node.module else base)
        elif (node.module or "").startswith("quantize."):
            found.add(tuple(node.module.split(".")[1:]))
    return {parts for parts in found if parts}


SHARED_LAYERS = {"_kernels", "_validation", "_threads", "errors", "names", "png", "gif_canvas",
                 "webp", "_start", "_sigterm"}


def test_each_layer_imports_only_the_layers_above_it_as_the_package_docstring_says():
    order = {name: i for i, name in enumerate(_layers())}
    assert list(order)[:3] == ["io", "encode", "palette_files"] and "cli" in order
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = path.relative_to(PACKAGE).with_suffix("").parts
        if _layer(own) not in order:
            continue
        for parts in _imported_at_load(path):
            if parts[0] in SHARED_LAYERS or _layer(parts) == _layer(own):
                continue
            if order.get(_layer(parts), len(order)) > order[_layer(own)]:
                wrong.append(f"{'/'.join(own)} imports {'.'.join(parts)}")
    assert wrong == []


def _module_of(parts: tuple[str, ...]) -> tuple[str, ...] | None:
    """``parts`` (a module's dotted path below quantize) as the file it names, with
    ``__init__`` for a package; None when no such file is in the package."""
    if (PACKAGE.joinpath(*parts) / "__init__.py").is_file():
        return (*parts, "__init__")
    if PACKAGE.joinpath(*parts).with_suffix(".py").is_file():
        return parts
    return None


def _imports_anywhere(path: Path) -> set[tuple[str, ...]]:
    """The quantize modules ``path`` imports, at module level or inside a function, as
    files (:func:`_module_of`): a name taken (``from . import x``) may be a module itself.
    Imports inside a module's ``__getattr__`` (an old import path kept working) are left
    out: they run only when that old path is used; so are those under ``if TYPE_CHECKING:``,
    which never run."""
    own = path.relative_to(PACKAGE).with_suffix("").parts
    package = own[:-1]
    tree = parsed(path)
    shimmed = {id(node) for shim in tree.body
               if (isinstance(shim, ast.FunctionDef) and shim.name == "__getattr__")
               or (isinstance(shim, ast.If) and isinstance(shim.test, ast.Name)
                   and shim.test.id == "TYPE_CHECKING")
               for node in ast.walk(shim)}
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in shimmed:
            continue
        if node.level:
            base = package[:len(package) - (node.level - 1)]
            module = (*base, *node.module.split(".")) if node.module else base
        elif (node.module or "").startswith("quantize."):
            module = tuple(node.module.split(".")[1:])
        else:
            continue
        for alias in node.names:  # a name may be a module of its own
            target = _module_of((*module, alias.name)) or _module_of(module)
            if target is not None:
                found.add(target)
    return found


def test_no_modules_import_each_other_even_inside_functions():
    # io imported the animation package (for a warning class), which builds on io; the
    # animation modules imported the still's file job, which hands animations to them; the
    # batch's run and shared-palette modules imported each other; and the command modules
    # took the app from the command line's package, which imported them to register them.
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        own = path.relative_to(PACKAGE).with_suffix("").parts
        graph[own] = _imports_anywhere(path) - {own}
    assert ("cli", "common") in graph[("cli", "__init__")]  # the walk reads the imports
    reached = {module: _reached(graph, module) for module in graph}
    circles = sorted(f"{'/'.join(a)} -> {'/'.join(b)} -> ... -> {'/'.join(a)}"
                     for a in graph for b in graph[a] if a in reached.get(b, ()))
    assert circles == []


def _reached(graph: dict[tuple[str, ...], set[tuple[str, ...]]],
             start: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The modules ``start`` imports, and those they import, and so on."""
    seen, todo = set(), [start]
    while todo:
        for module in graph.get(todo.pop(), ()):
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return seen


def _warns_section(func: object) -> str:
    """The text of a numpydoc docstring's Warns section ("" when it has none)."""
    doc = getattr(func, "__doc__", None) or ""
    if "\n    Warns\n    -----\n" not in doc:
        return ""
    section = doc.split("\n    Warns\n    -----\n", 1)[1]
    return re.split(r"\n\n    \w+\n    -+\n", section, maxsplit=1)[0]


def _dim_uint16() -> np.ndarray:
    """A uint16 array of 8-bit values, which reads as 16-bit counts: near black."""
    return np.repeat(np.arange(144, dtype=np.uint16).reshape(12, 12, 1), 3, axis=2)


def _float_gray_below_zero() -> Image.Image:
    """A float grayscale PIL image with a negative pixel, which reads as black."""
    values = np.linspace(0, 1, 144, dtype=np.float32).reshape(12, 12)
    values[0, 0] = -1.0
    return Image.fromarray(values)  # mode "F"


@pytest.mark.filterwarnings("ignore::quantize.reduce.ColorCountWarning")  # 2 colours, near black
@pytest.mark.filterwarnings("ignore::quantize.segment.RegionCountWarning")  # near black: 1 region
@pytest.mark.parametrize("name", ["reduce_colors", "segment", "boundary_map"])
@pytest.mark.parametrize("make_image", [_dim_uint16, _float_gray_below_zero])
def test_a_public_function_that_raises_pixel_range_warning_names_it_under_warns(name,
                                                                               make_image):
    # reduce_colors and segment raised it (from as_rgba) without a word of it under Warns,
    # and boundary_map had no Warns section
    import quantize
    from quantize.io import PixelRangeWarning

    func = getattr(quantize, name)
    with pytest.warns(PixelRangeWarning) as caught:
        func(make_image(), seed=0)
    assert [w.filename for w in caught if w.category is PixelRangeWarning] == [__file__]
    assert "quantize.io.PixelRangeWarning" in _warns_section(func)


@pytest.mark.filterwarnings("ignore::quantize.reduce.ColorCountWarning")  # one colour
@pytest.mark.filterwarnings("ignore::quantize.segment.ClusterCountWarning")
@pytest.mark.parametrize("name", ["reduce_colors", "segment", "boundary_map"])
def test_a_public_function_that_raises_pixel_list_warning_names_it_under_warns(name):
    import quantize
    from quantize.io import PixelListWarning

    func = getattr(quantize, name)
    with pytest.warns(PixelListWarning) as caught:
        func(np.zeros((192, 3), np.uint8), seed=0)
    assert [w.filename for w in caught if w.category is PixelListWarning] == [__file__]
    assert "quantize.io.PixelListWarning" in _warns_section(func)


def _two_frame_gif() -> Image.Image:
    """A PIL image of a 2-frame animated GIF, opened at its first frame."""
    frames = [Image.new("RGB", (8, 6), c) for c in ((200, 0, 0), (0, 0, 200))]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    return Image.open(data)


@pytest.mark.filterwarnings("ignore::quantize.reduce.ColorCountWarning")  # one colour
@pytest.mark.filterwarnings("ignore::quantize.segment.ClusterCountWarning")
@pytest.mark.parametrize("name", ["reduce_colors", "segment", "boundary_map"])
def test_a_public_function_that_raises_first_frame_warning_names_it_under_warns(name):
    # boundary_map raised it for an animation without a word of it under Warns
    import quantize
    from quantize.animation import FirstFrameWarning

    func = getattr(quantize, name)
    with pytest.warns(FirstFrameWarning):
        func(_two_frame_gif(), seed=0)
    assert "quantize.animation.FirstFrameWarning" in _warns_section(func)


#: The public API a user reaches from the package docstring and the README: every name in
#: quantize.__all__ (with its methods), and the file, metric and palette-file functions.
_PUBLIC_API = (["quantize"] + [f"quantize.{name}" for name in
                               ("MiniBatchKMeans", "ReduceResult", "SegmentResult",
                                "boundary_map", "kmeans_plusplus", "reduce_colors", "segment")]
               + ["quantize.io.load_image", "quantize.reduce.reduce_file",
                  "quantize.segment_file.segment_file", "quantize.metrics.adjusted_rand_index",
                  "quantize.metrics.boundary_scores", "quantize.metrics.border_match_counts",
                  "quantize.metrics.delta_e", "quantize.metrics.psnr",
                  "quantize.palette_files.read_palette", "quantize.palette_files.write_palette",
                  "quantize.palette_files.palette_file_bytes"])


def _public_examples() -> list[doctest.DocTest]:
    finder, found, seen = doctest.DocTestFinder(), [], set()
    for dotted in _PUBLIC_API:
        module_name, _, name = dotted.rpartition(".")
        if not module_name:
            obj = importlib.import_module(dotted)
        else:
            obj = getattr(importlib.import_module(module_name), name)
        for test in finder.find(obj, dotted, module=False, globs={}):
            if test.examples and test.name not in seen:
                seen.add(test.name)
                found.append(test)
    return found


@pytest.mark.parametrize("test", _public_examples(), ids=lambda test: test.name)
def test_a_public_example_runs_as_written_in_a_fresh_interpreter(test, tmp_path, monkeypatch):
    """The examples of the public API ran in their module's namespace only (doctest's):
    copied into a fresh interpreter, they failed on the names the module had imported
    (np, os, Image) or defined (segment, reduce_colors)."""
    monkeypatch.chdir(tmp_path)
    test.globs = {}  # what a fresh interpreter holds
    said: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    outcome = runner.run(test, out=said.append)
    assert outcome.failed == 0, "".join(said)
