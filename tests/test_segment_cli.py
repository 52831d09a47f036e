"""``segment_file`` and ``quantize segment``: outputs, dtypes, agreement with the API, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import boundary_map, segment
from quantize.cli import app
from quantize.errors import OutputExistsError
from quantize.segment_file import EDGES_FILE, OUTPUT_FILES, segment_file

runner = CliRunner()


@pytest.fixture
def photo_path(tmp_path, rng):
    """A 60 x 90 PNG: three colour bands with noise and a textured patch."""
    img = np.zeros((60, 90, 3), dtype=np.float64)
    img[:, :30] = (180, 60, 50)
    img[:, 30:60] = (60, 150, 70)
    img[:, 60:] = (70, 80, 190)
    img[20:40, 65:85] += rng.normal(0, 40, (20, 20, 3))
    img += rng.normal(0, 6, img.shape)
    path = tmp_path / "photo.png"
    Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8)).save(path)
    return path


def read(path):
    with Image.open(path) as im:
        return np.asarray(im)


def test_outputs_exist_with_the_right_types_and_agree_with_the_api(photo_path, tmp_path):
    out = tmp_path / "seg"
    record = segment_file(photo_path, out, n_clusters=4, seed=1)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    api = segment(read(photo_path), 4, seed=1)

    labels = read(out / "labels.png")
    assert labels.dtype == np.uint16
    np.testing.assert_array_equal(labels, api.labels)
    boundaries = read(out / "boundaries.png")
    assert boundaries.dtype == bool
    np.testing.assert_array_equal(boundaries, api.boundaries())
    segmented = read(out / "segmented.png")
    assert segmented.dtype == np.uint8 and segmented.shape == (60, 90, 3)
    np.testing.assert_array_equal(segmented, api.mean_color_image())
    np.testing.assert_array_equal(read(out / "overlay.png"), api.overlay())

    document = json.loads((out / "segments.json").read_text())
    assert document["n_regions"] == api.n_regions == record["n_regions"] == len(
        document["regions"])
    assert sum(r["area"] for r in document["regions"]) == 60 * 90
    assert document["regions"] == api.region_stats()
    assert record["outputs"] == list(OUTPUT_FILES)
    json.dumps(record)  # JSON-able


def test_input_is_never_touched(photo_path, tmp_path):
    before = photo_path.read_bytes()
    mtime = photo_path.stat().st_mtime_ns
    segment_file(photo_path, tmp_path / "seg", n_clusters=3, seed=0)
    assert photo_path.read_bytes() == before
    assert photo_path.stat().st_mtime_ns == mtime


def test_existing_outputs_need_force(photo_path, tmp_path):
    out = tmp_path / "seg"
    segment_file(photo_path, out, n_clusters=3, seed=0)
    (out / "segments.json").write_text("old")
    with pytest.raises(OutputExistsError, match="use --force"):
        segment_file(photo_path, out, n_clusters=3, seed=0)
    assert (out / "segments.json").read_text() == "old"
    segment_file(photo_path, out, n_clusters=3, seed=0, force=True)
    assert json.loads((out / "segments.json").read_text())["n_clusters"] == 3


def test_no_partial_files_are_left(photo_path, tmp_path):
    out = tmp_path / "seg"
    segment_file(photo_path, out, n_clusters=3, seed=0)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_bad_weight_fails_before_reading(tmp_path):
    with pytest.raises(ValueError, match="'color', 'intensity', 'xy', 'texture'"):
        segment_file(tmp_path / "missing.png", tmp_path / "seg", weights={"edges": 1})
    assert not (tmp_path / "seg").exists()


def test_cli_json_matches_the_files(photo_path, tmp_path):
    out = tmp_path / "cli"
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "4", "-o", str(out),
                                 "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["n_regions"] == json.loads((out / "segments.json").read_text())["n_regions"]
    np.testing.assert_array_equal(read(out / "labels.png"),
                                  segment(read(photo_path), 4, seed=1).labels)


def test_cli_default_outdir_and_summary_line(photo_path):
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "3"])
    assert result.exit_code == 0, result.output
    assert (photo_path.parent / "photo.segments" / "segments.json").exists()
    assert "regions from 3 clusters" in result.stdout


def test_cli_weights_are_passed(photo_path, tmp_path):
    out = tmp_path / "w"
    result = runner.invoke(app, ["segment", str(photo_path), "-k", "3", "-o", str(out),
                                 "-w", "texture=0", "-w", "xy=0", "--json"])
    assert result.exit_code == 0, result.output
    weights = json.loads(result.stdout)["weights"]
    assert weights == {"color": 1.0, "intensity": 0.0, "xy": 0.0, "texture": 0.0}


@pytest.mark.parametrize(("args", "match"), [
    (["-w", "edges=1"], "expected one of 'color', 'intensity', 'xy', 'texture'"),
    (["-w", "texture"], "expected NAME=NUMBER"),
    (["-w", "texture=-1"], "weight texture=-1.0 should be >= 0"),
    (["-w", "xy=nan"], "finite"),
    (["-k", "0"], "n_clusters=0 should be >= 1"),
    (["--regions", "0"], "regions=0 should be >= 1"),
    (["--regions", "3", "-k", "3"], "both given"),
    (["--space", "hsv"], "space='hsv' is not valid"),
])
def test_cli_usage_errors(photo_path, tmp_path, args, match):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert match in result.stderr
    assert "Traceback" not in result.output


def test_cli_existing_output_exit_15(photo_path, tmp_path):
    out = tmp_path / "seg"
    args = ["segment", str(photo_path), "-k", "3", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 15
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_cli_unreadable_input_exit_1(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    result = runner.invoke(app, ["segment", str(bad), "-o", str(tmp_path / "seg")])
    assert result.exit_code == 1
    assert "bad.png" in result.stderr


def test_old_import_path_still_works():
    from quantize.segment import OUTPUT_FILES as old_files
    from quantize.segment import segment_file as old_job

    assert old_job is segment_file and old_files == OUTPUT_FILES


def test_edges_png_is_the_16_bit_boundary_map(photo_path, tmp_path):
    out = tmp_path / "e"
    record = segment_file(photo_path, out, edges=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES + (EDGES_FILE,))
    assert record["outputs"][-2:] == [EDGES_FILE, "segments.json"]
    edges = read(out / EDGES_FILE)
    assert edges.dtype == np.uint16 and edges.shape == (60, 90)
    expected = np.rint(boundary_map(read(photo_path)) * 65535).astype(np.uint16)
    np.testing.assert_array_equal(edges, expected)


def test_cli_regions_gives_that_many_regions(photo_path, tmp_path):
    for n in (1, 3, 5):
        out = tmp_path / f"r{n}"
        result = runner.invoke(app, ["segment", str(photo_path), "--regions", str(n),
                                     "-o", str(out), "--json", "--edges"])
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert record["n_regions"] == n and record["regions"] == n
        assert int(read(out / "labels.png").max()) == n
        assert (out / EDGES_FILE).exists()


def test_cli_default_is_the_hierarchy_cut(photo_path, tmp_path):
    result = runner.invoke(app, ["segment", str(photo_path), "-o", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "from the region hierarchy" in result.stdout
    labels = read(tmp_path / "d" / "labels.png")
    np.testing.assert_array_equal(labels, segment(read(photo_path)).labels)
