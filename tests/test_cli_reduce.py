"""``quantize reduce`` through typer's CliRunner: outputs, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app

runner = CliRunner()


@pytest.fixture
def photo(tmp_path, rng):
    image = np.clip(np.repeat(np.linspace(0, 255, 32), 32).reshape(32, 32, 1)
                    + rng.normal(0, 8, (32, 32, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


def run(*args):
    return runner.invoke(app, ["reduce", *map(str, args)])


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("quantize: error: ")
    return lines[0]


def test_reduce_writes_the_default_output_and_prints_one_line(photo):
    result = run(photo, "-k", 8)
    assert result.exit_code == 0, result.output
    out = photo.with_name("photo.k8.png")
    assert out.exists() and Image.open(out).mode == "P"
    line, = result.stdout.strip().splitlines()
    assert f"-> {out}: 8 colours, PSNR" in line and "mean ΔE2000" in line


def test_json_prints_one_object(photo, tmp_path):
    result = run(photo, "-o", tmp_path / "o.gif", "-k", 4, "--space", "lab", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == {"input", "output", "k", "space", "psnr", "delta_e", "seconds",
                           "bytes_in", "bytes_out", "frames", "palette"}
    assert record["k"] == 4 and record["space"] == "lab"
    assert record["output"] == str(tmp_path / "o.gif")


def test_quality_prints_the_chosen_k(photo, tmp_path):
    result = run(photo, "-o", tmp_path / "q.png", "--quality", 6, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["delta_e"] <= 6 and 1 <= record["k"] <= 256
    plain = run(photo, "-o", tmp_path / "q2.png", "--quality", 6)
    assert f"chose k={record['k']} for mean ΔE2000 <= 6" in plain.stdout


@pytest.mark.parametrize("args, code, match", [
    (["missing.png"], 1, "missing.png: no such file"),
    (["-k", "1"], 2, "n_colors=1 should be >= 2"),
    (["-k", "300"], 2, "n_colors=300 is more than a palette image holds"),
    (["--space", "hsv"], 2, "space='hsv' is not valid"),
    (["-o", "out.bmp"], 2, "unsupported extension '.bmp'"),
    (["-k", "2", "--quality", "0.01"], 99, "quality=0.01: mean CIEDE2000 <= 0.01 needs more"),
    (["--palette-in", "p.hex", "-k", "4"], 2, "--palette-in fixes the colours"),
    (["--palette-in", "missing.gpl"], 1, "missing.gpl: no such palette file"),
])
def test_errors_are_one_line_with_their_exit_code(photo, tmp_path, monkeypatch, args, code,
                                                  match):
    monkeypatch.chdir(tmp_path)
    argv = args if args[0] == "missing.png" else [photo, *args]
    result = run(*argv)
    assert result.exit_code == code
    assert match in one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]  # nothing written


def test_a_non_image_is_refused(tmp_path):
    src = tmp_path / "notes.png"
    src.write_text("hello")
    result = run(src)
    assert result.exit_code == 1
    assert "not an image" in one_error_line(result)


def test_existing_output_needs_force(photo, tmp_path):
    out = tmp_path / "o.png"
    assert run(photo, "-o", out).exit_code == 0
    first = out.read_bytes()
    again = run(photo, "-o", out, "--seed", 1)
    assert again.exit_code == 15
    assert "output exists; use --force" in one_error_line(again)
    assert out.read_bytes() == first
    assert run(photo, "-o", out, "--force").exit_code == 0


def test_palette_out_then_palette_in(photo, tmp_path):
    pal = tmp_path / "p.gpl"
    assert run(photo, "-o", tmp_path / "a.png", "-k", 5, "--palette-out", pal).exit_code == 0
    assert pal.read_text().startswith("GIMP Palette")
    result = run(photo, "-o", tmp_path / "b.png", "--palette-in", pal, "--dither", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["k"] == 5
    used = np.unique(np.asarray(Image.open(tmp_path / "b.png").convert("RGB")).reshape(-1, 3),
                     axis=0)
    with Image.open(tmp_path / "a.png") as a:
        palette = np.asarray(a.getpalette()[:15]).reshape(5, 3)
    assert set(map(tuple, used.tolist())) <= set(map(tuple, palette.tolist()))


def test_few_colours_warn_on_stderr(tmp_path):
    src = tmp_path / "two.png"
    Image.fromarray(np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)).save(src)
    result = run(src, "-k", 8, "-o", tmp_path / "o.png")
    assert result.exit_code == 0
    assert "quantize: warning: n_colors=8 but the image has only 2 distinct colours" in \
        result.stderr
    assert "lossless" in result.stdout


def test_help_shows_examples_and_exit_codes():
    result = runner.invoke(app, ["reduce", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "quantize reduce photo.jpg --quality 3" in text and "15 output exists" in text
