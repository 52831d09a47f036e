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


def test_palette_ase_is_written_and_every_command_reads_it(three, tmp_path):
    # .ase was refused by palette -o, --palette-in, --palette-out and --fixed-color.
    result = run("palette", three, "-k", 3, "-o", tmp_path / "p.ase")
    assert result.exit_code == 0, result.output
    assert read_palette(tmp_path / "p.ase").tolist() == [[200, 30, 30], [20, 20, 220],
                                                         [255, 255, 255]]
    (tmp_path / "brand.gpl").write_text("GIMP Palette\nName: Brand\n200 30 30 Error red\n"
                                        "20 20 220 Brand blue\n255 255 255\n")
    result = run("reduce", three, "--palette-in", tmp_path / "brand.gpl", "-o",
                 tmp_path / "r.png", "--palette-out", tmp_path / "r.ase")
    assert result.exit_code == 0, result.output
    result = run("reduce", three, "--palette-in", tmp_path / "r.ase", "-o",
                 tmp_path / "s.png", "--palette-out", tmp_path / "s.css")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.css").read_text() == (
        "/* Brand: palette by quantize */\n"
        ":root {\n"
        "  --error-red: #c81e1e; /* Error red, 56.25% */\n"
        "  --brand-blue: #1414dc; /* Brand blue, 31.25% */\n"
        "  --color-3: #ffffff; /* 12.50% */\n"
        "}\n")
    result = run("palette", three, "-k", 3, "--fixed-color", tmp_path / "r.ase", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fixed_colors"] == ["#c81e1e", "#1414dc", "#ffffff"]


def test_palette_out_given_to_palette_points_to_output(three, tmp_path):
    # It said only "--palette-out: no such option": reduce's name for the file palette writes
    # with -o.
    result = run("palette", three, "--palette-out", tmp_path / "x.gpl")
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: --palette-out: no such option; did you mean --output? (see "
           "'quantize palette --help')\n")
    assert not (tmp_path / "x.gpl").exists()


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
    # red holds 9 of the 11 pixels of its entry, so is that entry (the mean was 210, 71, 71)
    assert read_palette(three.parent / "three.k2.gpl").tolist() == [[200, 30, 30],
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
    assert out.read_text() == "c81e1e\n"  # red, 9 of the 16 pixels (their mean was 973776)


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


@pytest.mark.parametrize("args, said", [
    (["--colours", "3"], "--colours: no such option; did you mean --colors?"),
    (["-K", "3"], "-K: no such option; did you mean -k?"),
    (["-f"], "-f: no such option; did you mean --force?"),
    (["--nofs"], "--nofs: no such option; quantize palette draws no image, so nothing is "
                 "dithered: its colours are those quantize reduce --palette-out writes "
                 "without --dither"),
    (["--threads", "2"], "--threads: no such option; quantize palette does its files one "
                         "after another, in one process"),
    (["--palette-in", "p.gpl"], "--palette-in: no such option; quantize palette fits a "
                                "palette, and one given is already known (quantize reduce "
                                "--palette-in maps an image onto it)"),
    (["-k", "4", "-k", "5"], "-k/--colors is given twice; give it once"),
])
def test_option_mistakes_are_named_as_reduce_names_them(three, args, said):
    """The parser's own words were "No such option: --colours (Possible options: --colors,
    --exact-colors, --fixed-color)", with no hint for -K, -f, --nofs or --threads, and
    -k given twice used the last value, exit 0."""
    result = run("palette", three, *args)
    assert result.exit_code == 2
    assert result.stderr == f"quantize: error: {said} (see 'quantize palette --help')\n"


def test_too_many_colours_says_why_and_the_command_for_more(tmp_path):
    """It advised "for a still image a .jpg/.webp/.tif output", which palette writes none of."""
    result = run("palette", tmp_path / "nope.jpg", "-k", 300)
    assert result.exit_code == 2
    assert result.stderr == (
        "quantize: error: -k/--colors=300 is more than a palette image holds: at most 256 "
        "colours (the palette is the one fitted for a .png, a palette image); for more "
        "colours, quantize reduce FILE -k 300 -o out.webp --palette-out p.gpl writes them\n")


@pytest.fixture
def anim(tmp_path):
    frames = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    return path


def test_animation_refused_with_the_reduce_command(anim):
    """It named the library's call, mixed with a flag: "reduce_file(input,
    --palette-out=...) fits one palette for all the frames"."""
    result = run("palette", anim, "-k", 4)
    assert result.exit_code == 1  # the file's cause (2, the usage-error code, before)
    assert result.stderr == (
        f"quantize: error: {anim}: has 2 frames (an animation, or pages); a palette is "
        f"extracted from a still image; quantize reduce {anim} --palette-out p.gpl fits one "
        "palette for all the frames (and writes the reduced animation)\n")


def test_tiff_of_pages_exits_as_a_file_that_cannot_be_used(tmp_path):
    """A multi-page TIFF exited 2, the usage-error code, though the file was the cause; the
    other files are still done, and the run exits with the code they share."""
    pages = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue", "green")]
    stack = tmp_path / "stack.tif"
    pages[0].save(stack, save_all=True, append_images=pages[1:])
    still = tmp_path / "still.png"
    Image.new("RGB", (4, 4), "red").save(still)
    result = run("palette", stack, "-k", 2)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"quantize: error: {stack}: has 3 frames (an animation, "
                                    "or pages); a palette is extracted from a still image; ")
    both = run("palette", still, stack, "-k", 2)
    assert both.exit_code == 1
    assert "#ff0000" in both.stdout


def test_library_keeps_its_python_advice_apart(anim, tmp_path):
    import pickle

    from quantize.errors import CodeAdviceError, StillExpectedError
    from quantize.reduce.palette_job import extract_palette

    with pytest.raises(CodeAdviceError) as caught:
        extract_palette(anim)
    assert caught.value.facts == ("has 2 frames (an animation, or pages); a palette is "
                                  "extracted from a still image")
    assert caught.value.advice == ("reduce_file(input, palette_out=...) fits one palette "
                                   "for all the frames")
    assert caught.value.exit_code == 1 and isinstance(caught.value, StillExpectedError)
    assert pickle.loads(pickle.dumps(caught.value)).exit_code == 1
    with pytest.raises(CodeAdviceError, match=r"reduce_file\(input, 'out.webp', "
                                              r"n_colors=300, palette_out='p.gpl'\)"):
        extract_palette(tmp_path / "nope.jpg", n_colors=300)


def _help(*command):
    return " ".join(run(*command, "--help").stdout.split())


@pytest.mark.parametrize("option, said, unsaid", [
    ("--matte", "before the colours are fitted; fully transparent pixels stay so. The colours "
                "are then opaque.", ["every frame", ".gif", ".webp"]),
    ("--fixed-color", "in the order given (listed first whatever their share; entry 0 of "
                      "-o's file is the first), the fitted ones follow; they count in -k. "
                      "Opaque: a colour with alpha is refused. A colour name, #rrggbb, #rgb, "
                      "rrggbb (as Figma copies it), rgb(r,g,b), rgb(r g b) or hsl(h,s%,l%). "
                      "--seed",
     ["--quality", "--palette-out", "--palette-in", "transparent pixels"]),
    ("--max-pixels", "Refuse images of more than N pixels (width x height), a guard",
     ["--frames", "animation"]),
])
def test_palette_help_of_shared_options_is_true_of_palette(option, said, unsaid):
    """--matte, --fixed-color and --max-pixels had reduce's help, naming its options and
    outputs."""
    text = _help("palette")
    about = text[text.index(f" {option} "):]
    about = about[:about.index(" --", len(option) + 2)]
    assert said.removesuffix(" --seed") in about
    assert not [word for word in unsaid if word in about]


def test_batch_max_pixels_help_names_its_modes_not_frames():
    text = _help("batch")
    about = text[text.index(" --max-pixels N ") + 1:]
    assert about.startswith("--max-pixels N Refuse images of more than N pixels (width x "
                            "height; an animation file, in reduce mode, frames x width x "
                            "height; in segment mode, its first frame), a guard")
    assert "--frames" not in about[:about.index(" -h, --help")]


def test_palette_help_lists_quiet_and_every_exit_code():
    text = _help("palette")
    assert "-q, --quiet Print no note and no line per palette file written" in text
    assert ("Exit codes: 0 done, 1 unreadable input or unwritable output, 2 usage error, 15 "
            "output exists (use --force), 129 the terminal closed (SIGHUP), 130 interrupted "
            "(Ctrl-C), 143 stopped by SIGTERM.") in text


def test_quiet_prints_no_line_of_a_file_written_and_is_refused_with_json(three, tmp_path):
    result = run("palette", three, "-k", 3, "-q", "-o", tmp_path / "p.gpl")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert read_palette(tmp_path / "p.gpl").shape == (3, 3)
    printed = run("palette", three, "-k", 3, "--quiet")
    assert printed.stdout == run("palette", three, "-k", 3).stdout  # the colours are the output
    refused = run("palette", three, "-q", "--json")
    assert (refused.exit_code, refused.stderr) == (
        2, "quantize: error: -q/--quiet and --json both given; expected one of them\n")


@pytest.mark.parametrize("columns", [60, 80])
def test_palette_help_examples_fit_the_terminal(columns):
    """Its examples reached 88 characters at any width."""
    result = runner.invoke(app, ["palette", "--help"], terminal_width=columns)
    lines = result.stdout.split("\n")
    examples = lines[lines.index("  Examples:") + 1:]
    examples = examples[:examples.index("")]
    assert len(examples) >= 6 and max(map(len, examples)) <= columns
    assert ("    quantize palette photo.jpg -k 6 -o theme.css  # :root { --color-1: ... }"
            in examples) == (columns == 80)


def test_quiet_leaves_out_the_note_of_a_converted_profile(tmp_path):
    from tests.corpus.generate import linear_rgb_icc

    pixels = np.zeros((4, 4, 3), np.uint8)
    pixels[:, 2:] = (200, 40, 40)
    Image.fromarray(pixels).save(tmp_path / "wide.png", icc_profile=linear_rgb_icc())
    said = run("palette", tmp_path / "wide.png", "-k", 2)
    assert said.stderr.startswith(f"quantize: note: {tmp_path / 'wide.png'}: the input's RGB")
    quiet = run("palette", tmp_path / "wide.png", "-k", 2, "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, said.stdout, "")
