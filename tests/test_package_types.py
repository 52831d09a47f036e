"""What type checkers see of the names ``quantize`` gives on first use (``__getattr__``)."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

import quantize

INIT = Path(quantize.__file__)


def _typing_time_imports() -> dict[str, str]:
    """``{name: module}`` of the ``from .module import name as name`` under ``TYPE_CHECKING``."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    blocks = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1
    found: dict[str, str] = {}
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1, ast.dump(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} should be imported as itself"
            found[alias.name] = node.module
    return found


def test_every_name_served_on_first_use_is_imported_for_type_checkers_from_its_module():
    served = dict(quantize._WARNING_MODULE)
    served.update(dict.fromkeys(quantize._SEGMENT_NAMES, "segment"))
    assert _typing_time_imports() == served


def _run_time_names() -> set[str]:
    """The names ``__init__.py`` binds as it runs: its top-level imports and assignments."""
    names: set[str] = set()
    for node in ast.parse(INIT.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_every_public_name_is_bound_on_import_or_imported_for_type_checkers():
    unseen = [name for name in quantize.__all__
              if name not in _run_time_names() and name not in _typing_time_imports()]
    assert unseen == []
    assert {"segment", "SegmentResult", "boundary_map"} <= set(_typing_time_imports())


def test_the_readme_example_type_checks_with_the_real_types(tmp_path, monkeypatch):
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install mypy)")
    script = tmp_path / "example.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import quantize
        from quantize import MiniBatchKMeans, reduce_colors, segment

        image = np.zeros((4, 6, 3), np.uint8)
        result = reduce_colors(image, 16, seed=0)
        regions = segment(image)
        reveal_type(regions)
        reveal_type(quantize.boundary_map)
        reveal_type(quantize.RegionCountWarning)
        km = MiniBatchKMeans(8, seed=0).fit(image.reshape(-1, 3) / 255)
    """), encoding="utf-8")
    monkeypatch.setenv("MYPYPATH", str(INIT.parents[1]))  # this checkout's quantize
    out, err, status = api.run([
        str(script), "--follow-imports=silent", "--no-implicit-reexport",
        "--python-executable", sys.executable, "--cache-dir", str(tmp_path / "cache")])
    assert status == 0, out + err
    assert 'Revealed type is "quantize.segment.SegmentResult"' in out
    assert 'Revealed type is "def (image: Any, *, weights:' in out
    assert "-> quantize.segment.RegionCountWarning" in out


def test_type_checkers_do_not_see_the_first_use_getattr():
    """A module ``__getattr__`` a checker sees types every unknown name as its return value
    (``Any``): ``from quantize import reduce_colour`` passed mypy. It is defined only under
    ``if not TYPE_CHECKING``, so a misspelt name is an error."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    assert not [node for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"]
    hidden = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
              and isinstance(node.test.operand, ast.Name)
              and node.test.operand.id == "TYPE_CHECKING"]
    assert [fn.name for block in hidden for fn in block.body
            if isinstance(fn, ast.FunctionDef)] == ["__getattr__"]
    assert quantize.segment is quantize.__getattr__("segment")


def test_calling_the_reduce_package_says_which_function_to_call():
    """quantize.reduce(image, 16) said "'module' object is not callable", beside
    quantize.segment(image), which is the function."""
    import quantize.reduce

    with pytest.raises(TypeError, match=r"^quantize.reduce is the colour reduction package, "
                                        r"not a function; expected "
                                        r"quantize.reduce_colors\(image, n_colors\)$"):
        quantize.reduce([[0]], 16)
    assert quantize.reduce.reduce_colors is quantize.reduce_colors  # a module still


def test_quantize_io_exports_its_documented_api_and_not_the_other_layers_helpers():
    import quantize.io as io

    of_io = {name for name, module in quantize._WARNING_MODULE.items()
             if module.startswith("io.")}
    documented = {"load_image", "LoadedImage", "as_rgba", "DEFAULT_MAX_PIXELS",
                  "DamagedChunkWarning", "DamagedPngEndWarning"}
    assert of_io | documented <= set(io.__all__)
    assert [name for name in io.__all__ if not hasattr(io, name)] == []
    helpers = {"atomic_write", "pillow_limit_lifted", "lock_file_taken", "printable_line"}
    assert helpers & set(io.__all__) == set()
    assert all(hasattr(io, name) for name in helpers)  # still there for the other layers
    names: dict[str, object] = {}
    exec("from quantize.io import *", names)  # noqa: S102
    assert set(names) - {"__builtins__"} == set(io.__all__)
