"""``quantize palette``: the printed list, palette files (.css, swatch .png), several inputs,
transparency, errors; and the colours equal to ``reduce --palette-out``'s."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app
from quantize.palette_files import read_palette

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [*map(str, args)])


@pytest.fixture
def three(tmp_path):
    """A 4 x 4 image of 3 colours: 9 red, 5 blue, 2 white pixels."""
    image = np.zeros((4, 4, 3), np.uint8)
    image.reshape(-1, 3)[:9] = [200, 30, 30]
    image.reshape(-1, 3)[9:14] = [20, 20, 220]
    image.reshape(-1, 3)[14:] = [255, 255, 255]
    path = tmp_path / "three.png"
    Image.fromarray(image).save(path)
    return path


@pytest.fixture
def photo(tmp_path, rng):
    image = np.clip(np.repeat(np.linspace(0, 255, 32), 32).reshape(32, 32, 1)
                    + rng.normal(0, 12, (32, 32, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


def test_palette_prints_each_colour_by_share_with_hex_share_and_rgb(three):
    result = run("palette", three, "-k", 3)
    assert result.exit_code == 0, result.output
    assert result.stdout == ("#c81e1e 56.2% 200 30 30\n"
                             "#1414dc 31.2% 20 20 220\n"
                             "#ffffff 12.5% 255 255 255\n")
    assert not (three.parent / "three.k3.png").exists()  # no image written


def test_palette_json_has_the_shares_by_size(three):
    result = run("palette", three, "-k", 3, "--json")
    record = json.loads(result.stdout)
    assert [(e["hex"], e["share"]) for e in record["palette"]] == [
        ("#c81e1e", 0.5625), ("#1414dc", 0.3125), ("#ffffff", 0.125)]
    assert (record["k"], record["output"]) == (3, None)


@pytest.mark.parametrize("options", [["-k", "6"], ["-k", "5", "--space", "lab", "--seed", "3"],
                                     ["-k", "4", "--exact-colors"]])
def test_palette_written_is_reduce_palette_out_byte_for_byte(photo, tmp_path, options):
    assert run("reduce", photo, *options, "-o", tmp_path / "r.png",
               "--palette-out", tmp_path / "r.gpl").exit_code == 0
    result = run("palette", photo, *options, "-o", tmp_path / "p.gpl")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p.gpl").read_bytes() == (tmp_path / "r.gpl").read_bytes()


def test_palette_colours_equal_reduce_palette_out_with_alpha(tmp_path, rng):
    from quantize.reduce.palette_job import extract_palette

    image = rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)
    image[:4, :, 3] = 0
    image[4:, :, 3] = np.where(image[4:, :, 3] > 60, 255, 128)
    Image.fromarray(image).save(tmp_path / "a.png")
    assert run("reduce", tmp_path / "a.png", "-k", 8, "-o", tmp_path / "r.png",
               "--palette-out", tmp_path / "r.hex").exit_code == 0
    reduced = read_palette(tmp_path / "r.hex")
    record = extract_palette(tmp_path / "a.png", n_colors=8)
    listed = sorted((int(e["hex"][1:], 16), e["alpha"]) for e in record["palette"])
    fitted = sorted((int(bytes(c[:3]).hex(), 16), int(c[3])) for c in reduced if c[3] > 0)
    assert listed == fitted
    shares = [e["share"] for e in record["palette"]]
    assert shares == sorted(shares, reverse=True)


def test_palette_css_is_custom_properties_by_share(three, tmp_path):
    result = run("palette", three, "-k", 3, "-o", tmp_path / "theme.css")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{three} -> {tmp_path / 'theme.css'}: 3 colours\n"
    assert (tmp_path / "theme.css").read_text() == (
        "/* three: palette by quantize */\n"
        ":root {\n"
        "  --color-1: #c81e1e; /* 56.25% */\n"
        "  --color-2: #1414dc; /* 31.25% */\n"
        "  --color-3: #ffffff; /* 12.50% */\n"
        "}\n")
    assert read_palette(tmp_path / "theme.css").tolist() == [
        [200, 30, 30], [20, 20, 220], [255, 255, 255]]


def test_reduce_palette_out_writes_css(three, tmp_path):
    result = run("reduce", three, "-k", 3, "-o", tmp_path / "r.png",
                 "--palette-out", tmp_path / "r.css")
    assert result.exit_code == 0, result.output
    assert "  --color-1: #c81e1e; /* 56.25% */\n" in (tmp_path / "r.css").read_text()


def test_swatch_png_reads_back_as_the_same_colours(photo, tmp_path):
    result = run("palette", photo, "-k", 7, "-o", tmp_path / "s.png")
    assert result.exit_code == 0, result.output
    printed = run("palette", photo, "-k", 7).stdout.split("\n")[:-1]
    expected = [[int(line[i:i + 2], 16) for i in (1, 3, 5)] for line in printed]
    assert read_palette(tmp_path / "s.png").tolist() == expected
    assert Image.open(tmp_path / "s.png").size == (7 * 64, 64)


def test_several_inputs_print_a_header_each(three, photo):
    result = run("palette", three, photo, "-k", 2)
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert lines[0] == f"==> {three} <=="
    assert lines[3:5] == ["", f"==> {photo} <=="]
    assert len(lines) == 8 and lines[-1] == ""


def test_several_inputs_write_beside_each_with_ext(three, photo):
    result = run("palette", three, photo, "-k", 2, "--ext", ".k2.gpl")
    assert result.exit_code == 0, result.output
    assert read_palette(three.parent / "three.k2.gpl").tolist() == [[210, 71, 71],
                                                                    [20, 20, 220]]
    assert (photo.parent / "photo.k2.gpl").exists()


def test_several_inputs_refuse_one_output(three, photo, tmp_path):
    result = run("palette", three, photo, "-o", tmp_path / "p.gpl")
    assert result.exit_code == 2
    assert "-o names one file but 2 inputs were given; use --ext" in result.stderr


def test_existing_output_refused_without_force(three, tmp_path):
    out = tmp_path / "p.hex"
    out.write_text("kept\n")
    result = run("palette", three, "-o", out)
    assert result.exit_code == 15
    assert result.stderr == f"quantize: error: {out}: output exists; use --force to overwrite\n"
    assert out.read_text() == "kept\n"
    assert run("palette", three, "-k", 1, "-o", out, "--force").exit_code == 0
    assert out.read_text() == "973776\n"  # the mean of the 16 pixels


def test_input_never_overwritten(three):
    """Refused as reduce refuses --palette-out onto its input, a usage error (exit 2), where
    it was the file's failure (exit 1)."""
    result = run("palette", three, "-o", three, "--force")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: {three}: -o/--output={str(three)!r} is the "
                             "input itself, which is never overwritten (not even with "
                             "--force); write the palette to another file\n")


@pytest.mark.parametrize("output, said", [
    ("sub", "-o/--output='sub' is a folder; expected a file name"),
    ("sub/", "-o/--output='sub/' is a folder; expected a file name"),
    ("nodir/p.css", "-o/--output='nodir/p.css': folder 'nodir' does not exist; expected a "
                    "file name in an existing folder"),
    ("/dev/null", "-o/--output='/dev/null' is a pipe, device or socket, not a regular file; "
                  "expected an output file name (an output is put in place whole, which "
                  "would replace it)"),
])
def test_an_output_no_palette_file_can_be_written_to_is_a_usage_error(
        three, tmp_path, monkeypatch, output, said):
    """Each exited 1, as a failed file, where reduce's -o and --palette-out exit 2 for the
    same mistakes, before any work."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    result = run("palette", three, "-k", 2, "-o", output)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {said}\n")


def test_transparent_pixels_are_no_colour(tmp_path):
    image = np.zeros((2, 4, 4), np.uint8)  # 4 fully transparent black pixels
    image[0] = [200, 30, 30, 255]
    image[1, :2] = [20, 200, 20, 128]
    Image.fromarray(image).save(tmp_path / "t.png")
    result = run("palette", tmp_path / "t.png", "-k", 4)
    assert result.exit_code == 0, result.output
    assert result.stdout == "#c81e1e 66.7% 200 30 30\n#14c81480 33.3% 20 200 20 128\n"


def test_missing_file_is_one_error_line(tmp_path, three):
    result = run("palette", tmp_path / "nope.jpg", three)
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {tmp_path / 'nope.jpg'}: no such file\n"
    assert result.stdout.startswith(f"==> {three} <==\n#c81e1e")  # the others done


@pytest.mark.parametrize("k, said", [("0", "-k/--colors=0 should be >= 1"),
                                     ("300", "-k/--colors=300")])
def test_bad_k_is_a_usage_error_before_any_file(tmp_path, k, said):
    result = run("palette", tmp_path / "nope.jpg", "-k", k)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"quantize: error: {said}")
    assert len(result.stderr.splitlines()) == 1


def test_reduce_output_named_as_a_palette_points_to_palette(three, tmp_path):
    result = run("reduce", three, "-o", tmp_path / "pal.gpl")
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(
        "; to write a palette, use --palette-out or `quantize palette`")
