"""Multi-page TIFF stacks (z-slices, time points): every page segmented, ``--page``, the
batch's page counts, and the advice for a (Z, Y, X) array."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import segment
from quantize.cli import app
from quantize.errors import InputParameterError
from quantize.io import load_image, stack_pages
from quantize.segment_file import segment_file

runner = CliRunner()

#: By colour alone, every pixel kept: the two halves of a page are its two regions.
EXACT = ["-k", "2", "--stretch", "--smooth", "0", "--min-region", "0", "-w", "xy=0",
         "-w", "texture=0"]


def _page(i: int) -> np.ndarray:
    """Page ``i`` (from 0) of the stack: 6x8, 16-bit, dark left of column 2 + 2i."""
    page = np.full((6, 8), 1000, np.uint16)
    page[:, 2 + 2 * i:] = 30000 + 1000 * i
    return page


def _expected_labels(i: int) -> np.ndarray:
    labels = np.ones((6, 8), np.uint16)
    labels[:, 2 + 2 * i:] = 2
    return labels


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A 3-page 16-bit grey TIFF (pages of one size), as a microscope's z-stack."""
    path = tmp_path / "nuc_z.tif"
    first, *rest = (Image.fromarray(_page(i)) for i in range(3))
    first.save(path, save_all=True, append_images=rest)
    return path


def _labels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def test_load_image_reads_each_page_of_a_stack(stack):
    assert stack_pages(stack) == 3
    for page in (1, 2, 3):
        image = load_image(stack, page=page, stretch=True)
        assert image.n_frames == 3
        assert (image.rgb[0, :, 0] > 0).tolist() == [c >= 2 * page for c in range(8)]
        assert image.stretch_range == (1000.0, 29000.0 + 1000 * page)
    with pytest.raises(InputParameterError, match=r"nuc_z\.tif: page=4, but the input is a "
                       r"TIFF of 3 pages; expected a page from 1 to 3$"):
        load_image(stack, page=4)


def test_every_page_of_a_stack_is_segmented_into_a_folder_of_its_own(stack, tmp_path):
    result = runner.invoke(app, ["segment", str(stack), "-o", str(tmp_path / "s"), *EXACT])
    assert result.exit_code == 0, result.output
    assert "only the first page" not in result.output
    assert result.stdout.startswith(f"{stack} -> {tmp_path / 's'}: 3 pages (page-001 to "
                                    "page-003), 6 regions from 2 clusters")
    top = json.loads((tmp_path / "s" / "segments.json").read_text())
    assert (top["pages"], top["page_regions"], top["n_regions"]) == (3, [2, 2, 2], 6)
    assert top["outputs"][0] == "page-001/labels.png"
    assert top["outputs"][-1] == "segments.json"
    assert top["input_path"] == "../nuc_z.tif"
    for i in range(3):
        folder = tmp_path / "s" / f"page-{i + 1:03d}"
        np.testing.assert_array_equal(_labels(folder / "labels.png"), _expected_labels(i))
        record = json.loads((folder / "segments.json").read_text())
        assert (record["page"], record["input_pages"]) == (i + 1, 3)
        assert record["stretch_range"] == [1000.0, 30000.0 + 1000 * i]
        assert record["input_path"] == "../../nuc_z.tif"


def test_the_library_segments_every_page_too(stack, tmp_path):
    record = segment_file(stack, tmp_path / "s", n_clusters=2, stretch=True, smooth=0,
                          min_region=0, weights={"xy": 0, "texture": 0})
    assert (record["pages"], record["page_regions"]) == (3, [2, 2, 2])
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "page-001", "page-002", "page-003", "segments.json"]


def test_page_segments_one_page_into_the_folder_itself(stack, tmp_path):
    out = tmp_path / "p2"
    result = runner.invoke(app, ["segment", str(stack), "-o", str(out), "--page", "2", *EXACT,
                                 "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["page"], record["input_pages"], record["n_regions"]) == (2, 3, 2)
    np.testing.assert_array_equal(_labels(out / "labels.png"), _expected_labels(1))
    assert not (out / "page-001").exists()
    result = runner.invoke(app, ["segment", str(stack), "-o", str(out), "--page", "2", *EXACT,
                                 "--force"])
    assert ": page 2 of 3, 2 regions from 2 clusters" in result.stdout


def test_each_page_of_a_stack_gets_the_regions_it_gets_segmented_alone(tmp_path):
    """The pages shared one random Generator: page 2 of a stack came out otherwise than
    page 2 saved alone (k-means started from the state page 1 left)."""
    rng = np.random.default_rng(5)
    pages = [np.clip(rng.normal(8000, 3000, (24, 24)), 0, 65535).astype(np.uint16)
             for _ in range(2)]
    Image.fromarray(pages[0]).save(tmp_path / "z.tif", save_all=True,
                                   append_images=[Image.fromarray(pages[1])])
    Image.fromarray(pages[1]).save(tmp_path / "alone.tif")
    options = {"n_clusters": 5, "stretch": True, "smooth": 0, "min_region": 0}
    segment_file(tmp_path / "z.tif", tmp_path / "s", **options)
    segment_file(tmp_path / "alone.tif", tmp_path / "a", **options)
    np.testing.assert_array_equal(_labels(tmp_path / "s" / "page-002" / "labels.png"),
                                  _labels(tmp_path / "a" / "labels.png"))


@pytest.mark.parametrize(("args", "said"), [
    (["--page", "4"], "nuc_z.tif: --page=4, but the input is a TIFF of 3 pages; expected a "
                      "page from 1 to 3"),
    (["--page", "0"], "--page=0 should be >= 1"),
])
def test_a_page_the_stack_does_not_have_is_refused(stack, tmp_path, args, said):
    result = runner.invoke(app, ["segment", str(stack), "-o", str(tmp_path / "s"), *args])
    assert result.exit_code == 2
    assert result.output.strip().endswith(said)
    assert not (tmp_path / "s").exists()


def test_a_page_above_one_of_a_still_is_refused(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 3)).save(path)
    with pytest.raises(InputParameterError, match=r"page=2, but the input is a PNG of one "
                       r"image; expected a page from 1 to 1$"):
        load_image(path, page=2)


def test_batch_counts_the_pages_of_a_stack(stack, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    stack.rename(folder / "nuc_z.tif")
    Image.fromarray(_page(0).astype(np.uint8)).save(folder / "still.png")
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode",
                                 "segment", *EXACT, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "2/2 files (4 pages): 2 ok, 0 skipped, 0 failed" in result.stdout
    assert "n_regions=6 pages=3 " in result.stdout
    rows = {Path(row["input"]).name: row for row in json.loads(report.read_text())["files"]}
    assert (rows["nuc_z.tif"]["pages"], rows["still.png"]["pages"]) == (3, None)
    for i in range(3):
        np.testing.assert_array_equal(
            _labels(tmp_path / "out" / "nuc_z" / f"page-{i + 1:03d}" / "labels.png"),
            _expected_labels(i))
    again = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode",
                                "segment", *EXACT])
    assert "2/2 files (4 pages): 0 ok, 2 skipped, 0 failed" in again.stdout


@pytest.mark.parametrize(("shape", "dtype", "said"), [
    ((5, 6, 8), np.uint16, r"got \(5, 6, 8\); a stack of 5 planes \(z-slices, time points\) "
                           r"is read one plane at a time: pass image\[i\]$"),
    ((3, 6, 8), np.uint16, r"got \(3, 6, 8\); for channels first, pass "
                           r"np\.moveaxis\(image, 0, -1\); a stack of 3 planes"),
    ((4, 6, 8, 3), np.uint8, r"got \(4, 6, 8, 3\); a stack of 4 planes"),
])
def test_a_stack_of_planes_is_refused_with_advice_to_pass_each(shape, dtype, said):
    with pytest.raises(ValueError, match=said):
        segment(np.zeros(shape, dtype), n_clusters=2)
