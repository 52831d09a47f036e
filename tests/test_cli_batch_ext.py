"""``quantize batch --ext``: output names and formats, reruns, and the summary's bytes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

#: The inputs of :func:`site`, each with its output's name without --ext (a still as
#: .png, an animation in its own format).
DEFAULT_NAMES = {"a.png": "a.png", "B.JPG": "B.png", "c.gif": "c.png", "d.gif": "d.gif",
                 "sub/e.webp": "sub/e.png"}


def _cli(*args: str):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["batch", *map(str, args)])


def _image(seed: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (8, 10, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


@pytest.fixture
def site(tmp_path) -> Path:
    """A PNG, a JPEG (named in upper case), a still GIF, a GIF of 2 frames, and a WebP in a
    sub-folder."""
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    _image(1).save(root / "a.png")
    _image(2).save(root / "B.JPG", format="JPEG")
    _image(3).save(root / "c.gif")
    _image(4).save(root / "d.gif", save_all=True, append_images=[_image(5)], duration=80,
                   loop=0)
    _image(6).save(root / "sub" / "e.webp", lossless=True)
    return root


def _outputs(out: Path) -> dict[str, tuple[str, int]]:
    """Each image file of ``out`` (its manifest left out), by path, with its format and
    frames as Pillow reads them."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            with Image.open(path) as im:
                found[path.relative_to(out).as_posix()] = (im.format,
                                                           getattr(im, "n_frames", 1))
    return found


def _run(site: Path, out: Path, *args: str):
    return _cli(site, "-o", out, "-r", "-k", "4", "-j", "1", *args)


def test_without_ext_the_names_are_as_before(site, tmp_path):
    result = _run(site, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert _outputs(tmp_path / "out") == {
        "a.png": ("PNG", 1), "B.png": ("PNG", 1), "c.png": ("PNG", 1), "d.gif": ("GIF", 2),
        "sub/e.png": ("PNG", 1)}


@pytest.mark.parametrize("ext, fmt", [(".gif", "GIF"), (".png", "PNG"), (".webp", "WEBP"),
                                      (".tif", "TIFF"), (".small.png", "PNG"),
                                      (".GIF", "GIF")])
def test_ext_names_every_output_stem_plus_suffix_in_its_format(site, tmp_path, ext, fmt):
    """Stills and the animation alike, as reduce --ext writes them: the animation keeps
    its 2 frames (as an APNG in a .png, pages in a .tif)."""
    out = tmp_path / "out"
    result = _run(site, out, "--ext", ext)
    assert result.exit_code == 0, result.output
    assert _outputs(out) == {f"{stem}{ext}": (fmt, 2 if stem == "d" else 1)
                             for stem in ("a", "B", "c", "d", "sub/e")}


def test_ext_webp_is_lossless_and_ext_gif_is_indexed(site, tmp_path):
    """The colours written are the 4 of the palette: no lossy coding added others."""
    for ext in (".webp", ".gif"):
        out = tmp_path / ext[1:]
        assert _run(site, out, "--ext", ext).exit_code == 0
        with Image.open(out / f"a{ext}") as im:
            assert len(im.convert("RGB").getcolors()) <= 4


def test_ext_jpg_fails_the_animation_alone_as_reduce_does(site, tmp_path):
    out = tmp_path / "out"
    result = _run(site, out, "--ext", ".jpg")
    assert result.exit_code == 1, result.output
    assert _outputs(out) == {"a.jpg": ("JPEG", 1), "B.jpg": ("JPEG", 1), "c.jpg": ("JPEG", 1),
                             "sub/e.jpg": ("JPEG", 1)}
    assert (f"quantize: error: {site / 'd.gif'}: output='{out / 'd.jpg'}' has an unsupported "
            "extension '.jpg' for an animation; expected one of") in result.stderr


def test_ext_bmp_writes_the_indexed_pngs_indices_and_fails_the_animation(site, tmp_path):
    """Each still as an 8-bit indexed BMP of the indices and colours its .png has; the
    animation fails alone, as with --ext .jpg."""
    out, png = tmp_path / "out", tmp_path / "png"
    result = _run(site, out, "--ext", ".bmp")
    assert result.exit_code == 1, result.output
    assert _outputs(out) == {"a.bmp": ("BMP", 1), "B.bmp": ("BMP", 1), "c.bmp": ("BMP", 1),
                             "sub/e.bmp": ("BMP", 1)}
    assert (f"quantize: error: {site / 'd.gif'}: output='{out / 'd.bmp'}' has an unsupported "
            "extension '.bmp' for an animation; expected one of") in result.stderr
    assert _run(site, png, "--ext", ".png").exit_code == 0
    for stem in ("a", "B", "c", "sub/e"):
        with Image.open(out / f"{stem}.bmp") as bmp, Image.open(png / f"{stem}.png") as im:
            assert bmp.mode == im.mode == "P"
            assert np.array_equal(np.asarray(bmp), np.asarray(im))
            assert bmp.getpalette() == im.getpalette()


def test_ext_same_keeps_a_bmp_a_bmp(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _image(1).save(src / "a.png")
    _image(2).save(src / "b.bmp")
    result = _run(src, out, "--ext", "same")
    assert result.exit_code == 0, result.output
    assert _outputs(out) == {"a.png": ("PNG", 1), "b.bmp": ("BMP", 1)}
    with Image.open(out / "b.bmp") as im:
        assert im.mode == "P" and len(im.getpalette()) == 3 * 4


def test_a_rerun_with_the_same_ext_skips_every_file(site, tmp_path):
    out = tmp_path / "out"
    assert _run(site, out, "--ext", ".gif").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.gif")}
    again = _run(site, out, "--ext", ".gif")
    assert again.exit_code == 0, again.output
    assert "5/5 files: 0 ok, 5 skipped, 0 failed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.gif")} == before


def test_a_rerun_with_another_ext_is_refused_without_force(site, tmp_path):
    out = tmp_path / "out"
    assert _run(site, out).exit_code == 0
    made = _outputs(out)
    result = _run(site, out, "--ext", ".gif")
    assert result.exit_code == 15
    # d.gif keeps its name, the same file: the 4 others would be renamed
    assert result.stderr == (f"quantize: error: {out}: 4 outputs were made with "
                             "--ext=(not given), while this run asks for --ext='.gif'; add "
                             "--force to redo them under their new names, which removes the "
                             "earlier outputs, or choose another -o folder to keep both "
                             "sets\n")
    assert _outputs(out) == made
    back = _run(site, out, "--ext", ".webp")
    assert back.exit_code == 15 and "5 outputs were made with" in back.stderr


def test_the_refusal_of_another_k_and_ext_says_force_removes_the_earlier_set(site, tmp_path):
    """Outputs of -k 4 and a rerun with -k 6 under new names: --force would remove the
    -k 4 set (renamed outputs are removed), another -o folder keeps both."""
    out = tmp_path / "out"
    assert _run(site, out).exit_code == 0
    result = _cli(site, "-o", out, "-r", "-k", "6", "-j", "1", "--ext", ".k6.png")
    assert result.exit_code == 15
    assert result.stderr == (f"quantize: error: {out}: 5 outputs were made with "
                             "--ext=(not given), -k/--colors=4, while this run asks for "
                             "--ext='.k6.png', -k/--colors=6; add --force to redo them under "
                             "their new names, which removes the earlier outputs, or choose "
                             "another -o folder to keep both sets\n")
    solo, one = tmp_path / "solo", tmp_path / "one"
    solo.mkdir()
    _image(1).save(solo / "a.png")
    assert _cli(solo, "-o", one, "-k", "4").exit_code == 0
    renamed = _cli(solo, "-o", one, "-k", "4", "--ext", ".gif")
    assert renamed.exit_code == 15
    assert renamed.stderr.endswith("; add --force to redo it under its new name, which removes "
                                   "the earlier output, or choose another -o folder to keep "
                                   "both sets\n")


def test_ext_png_takes_the_stills_made_without_it_and_refuses_the_animation(site, tmp_path):
    """A still's a.png is the same file with --ext .png or without; the animation, a GIF
    without it, would be an APNG d.png."""
    out = tmp_path / "out"
    assert _run(site, out).exit_code == 0
    result = _run(site, out, "--ext", ".png")
    assert result.exit_code == 15
    assert "1 output was made with --ext=(not given)" in result.stderr
    forced = _run(site, out, "--ext", ".png", "--force")
    assert forced.exit_code == 0, forced.output
    assert _outputs(out)["d.png"] == ("PNG", 2) and not (out / "d.gif").exists()


def test_force_switches_the_names_and_removes_the_earlier_outputs(site, tmp_path):
    out = tmp_path / "out"
    assert _run(site, out).exit_code == 0
    forced = _run(site, out, "--ext", ".gif", "--force")
    assert forced.exit_code == 0, forced.output
    assert _outputs(out) == {"a.gif": ("GIF", 1), "B.gif": ("GIF", 1), "c.gif": ("GIF", 1),
                             "d.gif": ("GIF", 2), "sub/e.gif": ("GIF", 1)}
    assert (f"(removed {out / 'a.png'}, made of this file under another name by an earlier "
            "run)") in forced.stdout
    again = _run(site, out, "--ext", ".gif")  # recorded with the new suffix
    assert again.exit_code == 0 and "0 ok, 5 skipped" in again.stdout
    assert _run(site, out).exit_code == 15  # and back without it is a change again


def test_inputs_sharing_a_stem_keep_their_extension_as_without_ext(tmp_path):
    (tmp_path / "in").mkdir()
    _image(1).save(tmp_path / "in" / "x.png")
    _image(2).save(tmp_path / "in" / "x.jpg")
    result = _run(tmp_path / "in", tmp_path / "out", "--ext", ".gif")
    assert result.exit_code == 0, result.output
    assert _outputs(tmp_path / "out") == {"x.jpg.gif": ("GIF", 1), "x.png.gif": ("GIF", 1)}


@pytest.mark.parametrize("args, error", [
    (["--mode", "segment", "--ext", ".png"],
     "--ext does not apply to --mode segment; expected it only with --mode reduce"),
    (["--ext", ".tga"], "--ext='.tga' is not valid; expected a suffix ending in an image "
     "extension (.png, .apng, .gif, .bmp, .jpg, .jpeg, .webp, .tif, .tiff), e.g. --ext "
     ".k16.png"),
    (["--ext", ".png", "--palette", "per-frame"],
     "--palette='per-frame' needs .gif or .tif outputs (a colour table for each frame), but "
     "--ext='.png' names every output otherwise; expected a suffix ending in .gif, .tif or "
     ".tiff, or none"),
    (["--ext", "small/a.png"], "--ext='small/a.png' holds a '/'; expected a suffix of the "
     "output's name, which is written in OUT_DIR, in the folder that mirrors its input's"),
])
def test_a_bad_ext_is_one_line_exit_2_before_any_work(site, tmp_path, args, error):
    result = _cli(site, "-o", tmp_path / "out", *args)
    assert result.exit_code == 2
    assert result.stderr == f"quantize: error: {error}\n"
    assert not (tmp_path / "out").exists()


def test_ext_read_back_as_an_input_is_refused(site):
    """Outputs written among the inputs are refused, as without --ext."""
    result = _cli(site, "-o", site, "--ext", ".min.png")
    assert result.exit_code == 2
    assert f"(output '{site / 'B.min.png'}' would be read as an input)" in result.stderr


def test_help_names_ext(tmp_path):
    from typer.testing import CliRunner

    from quantize.cli import app

    shown = CliRunner().invoke(app, ["batch", "--help"], env={"COLUMNS": "200"}).output
    shown = " ".join(shown.split())  # the help's own width wraps its lines
    assert "--ext SUFFIX" in shown and "--ext .gif makes every file a GIF" in shown


def _sizes(paths) -> int:
    return sum(Path(p).stat().st_size for p in paths)


def test_the_summary_gives_the_bytes_in_and_out_of_the_files_with_an_output(site, tmp_path):
    out = tmp_path / "out"
    first = _run(site, out)
    assert first.exit_code == 0
    size_in = _sizes(site / name for name in DEFAULT_NAMES)
    size_out = _sizes(out / name for name in DEFAULT_NAMES.values())
    phrase = (f"; {size_in:,} -> {size_out:,} bytes ({size_out / size_in:.1%}) for the 5 "
              "files with an output\n")
    assert first.stdout.splitlines()[-1].startswith("5/5 files: 5 ok, 0 skipped, 0 failed in ")
    assert first.stdout.endswith(phrase)
    again = _run(site, out)  # skipped as done: their outputs are counted as the page counts
    assert again.stdout.endswith(phrase)


def test_the_summary_bytes_leave_out_failed_files(site, tmp_path):
    out = tmp_path / "out"
    result = _run(site, out, "--ext", ".jpg")
    written = ["a.jpg", "B.jpg", "c.jpg", "sub/e.jpg"]
    size_in = _sizes(site / name for name in ("a.png", "B.JPG", "c.gif", "sub/e.webp"))
    assert result.stdout.endswith(f"{size_in:,} -> {_sizes(out / n for n in written):,} bytes "
                                  f"({_sizes(out / n for n in written) / size_in:.1%}) for "
                                  "the 4 files with an output; 4 outputs larger than their "
                                  "inputs (--skip-if-larger skips them)\n")


def test_quiet_stays_silent_and_json_keeps_stdout_for_objects(site, tmp_path):
    quiet = _run(site, tmp_path / "q", "-q")
    assert quiet.exit_code == 0 and quiet.stdout == ""
    report = tmp_path / "r.json"
    as_json = _run(site, tmp_path / "j", "--json", "--report", report)
    assert as_json.exit_code == 0
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(rows) == 5
    assert "for the 5 files with an output" in as_json.stderr
    summary = json.loads(report.read_text())["summary"]
    assert (summary["with_output"], summary["bytes_in"], summary["bytes_out"]) == (
        5, sum(r["bytes_in"] for r in rows), sum(r["bytes_out"] for r in rows))


def test_segment_mode_says_no_bytes(site, tmp_path):
    result = _cli(site, "-o", tmp_path / "out", "--mode", "segment", "-j", "1")
    assert result.exit_code == 0, result.output
    assert "bytes" not in result.stdout.splitlines()[-1]


def test_ext_same_keeps_each_name_and_format_and_refuses_a_jpeg(site, tmp_path):
    out = tmp_path / "out"
    refused = _run(site, out, "--ext", "same")
    assert refused.exit_code == 2 and not out.exists()
    assert refused.stderr == (
        f"quantize: error: --ext='same' keeps each input's name and format, but "
        f"'{site / 'B.JPG'}' is a JPEG, which would be coded anew, lossy (quality 95), most "
        "often larger than it is: leave them out (--exclude='*.JPG'), or write every file as "
        "a PNG (--ext='.png')\n")
    result = _run(site, out, "--ext", "same", "--exclude", "*.JPG")
    assert result.exit_code == 0, result.output
    assert _outputs(out) == {"a.png": ("PNG", 1), "c.gif": ("GIF", 1), "d.gif": ("GIF", 2),
                             "sub/e.webp": ("WEBP", 1)}
    with Image.open(out / "sub" / "e.webp") as im:  # lossless: the palette's colours alone
        assert len(im.convert("RGB").getcolors()) <= 4
    again = _run(site, out, "--ext", "same", "--exclude", "*.JPG")
    assert again.exit_code == 0 and "0 ok, 4 skipped" in again.stdout


def test_ext_same_names_every_jpeg_extension_found_in_one_refusal(tmp_path):
    """A.JPG, b.jpeg and c.jpg were refused one rerun at a time, each naming its own
    spelling: one line now names them all, and the excludes it gives let the run through."""
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    _image(1).save(src / "a.png")
    for n, name in enumerate(("A.JPG", "b.jpeg", "c.jpg", "sub/d.jpg"), 2):
        _image(n).save(src / name, format="JPEG")
    refused = _run(src, out, "--ext", "same")
    assert (refused.exit_code, refused.stderr) == (2, (
        f"quantize: error: --ext='same' keeps each input's name and format, but "
        f"'{src / 'A.JPG'}' is a JPEG, which would be coded anew, lossy (quality 95), most "
        "often larger than it is (as are 3 other files): leave them out (--exclude='*.JPG' "
        "--exclude='*.jpeg' --exclude='*.jpg'), or write every file as a PNG (--ext='.png')\n"))
    assert not out.exists()
    kept = _run(src, out, "--ext", "same", "--exclude", "*.JPG", "--exclude", "*.jpeg",
                "--exclude", "*.jpg")
    assert kept.exit_code == 0, kept.output
    assert _outputs(out) == {"a.png": ("PNG", 1)}


def test_a_jpeg_larger_as_a_png_is_not_pointed_to_ext_same_which_refuses_it(tmp_path):
    """--copy-if-larger's warning of a JPEG whose .png is larger said "(--ext='same' keeps
    it)", the option that refuses it: it says what that refusal says."""
    src = tmp_path / "in"
    src.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "p.jpg", quality=30)  # its .png is larger
    result = _cli(src, "-o", tmp_path / "out", "-k", "256", "--copy-if-larger")
    line = next(x for x in result.stderr.splitlines() if "p.jpg" in x)
    assert line.endswith("; nothing written; not copied, as '.png' is not the input's format "
                         "'.jpg' (--ext='same' would not keep it either, as it is a JPEG, "
                         "which would be coded anew, lossy (quality 95), most often larger "
                         "than it is: leave it out, --exclude='*.jpg')")


@pytest.mark.parametrize("name, saved, what", [
    ("x.jpg", "PNG", "a PNG named .jpg, which keeping its name would write as a JPEG"),
    ("x.png", "JPEG", "a JPEG named .png, which keeping its name would write as a PNG"),
    ("x.gif", "PNG", "a PNG named .gif, which keeping its name would write as a GIF")])
def test_ext_same_tells_the_format_from_the_header_not_the_name(tmp_path, name, saved, what):
    """A PNG named x.jpg was refused as "a JPEG, ... coded anew", and a JPEG named x.png
    written as a PNG, in the format of neither: the header says what each is."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _image(1).save(src / "ok.png")
    _image(2).save(src / name, format=saved)
    refused = _run(src, out, "--ext", "same")
    assert (refused.exit_code, refused.stderr) == (2, (
        f"quantize: error: --ext='same' keeps each input's name and format, but "
        f"'{src / name}' is {what}, not in its own format: leave it out "
        f"(--exclude='{name}'), or write every file as a PNG (--ext='.png')\n"))
    assert not out.exists()
    kept = _run(src, out, "--ext", "same", "--exclude", name)
    assert kept.exit_code == 0, kept.output
    assert _outputs(out) == {"ok.png": ("PNG", 1)}


def test_an_input_exif_left_out_is_a_note_that_quiet_leaves_out(tmp_path):
    # batch said it as a warning of the file, -q too, where reduce says it as a note that
    # -q leaves out: a fact of the output, no fault. The report keeps it among the warnings.
    (tmp_path / "in").mkdir()
    exif = Image.Exif()
    exif[315] = "A. Artist"
    Image.new("RGB", (3, 2), (200, 40, 40)).save(tmp_path / "in" / "a.jpg", exif=exif.tobytes())
    said = ("a.gif: the input's EXIF (artist, copyright, description, camera, date) is left "
            "out, as a .gif holds none; .png, .webp, .jpg and .tif keep it")
    outcomes = []
    for i, shown in enumerate(([], ["-q"], ["--json"])):
        result = _cli(tmp_path / "in", "-o", tmp_path / f"out{i}", "-k", 2, "--ext", ".gif",
                      "-j", 1, "--report", tmp_path / f"r{i}.json", *shown)
        row = json.loads((tmp_path / f"r{i}.json").read_text())["files"][0]
        lines = [line for line in result.stderr.splitlines() if line.startswith("quantize:")]
        outcomes.append((result.exit_code, lines, row["warnings"]))
    note = [f"quantize: note: {tmp_path / 'in' / 'a.jpg'}: {said}"]
    assert outcomes == [(0, note, [said]), (0, [], [said]), (0, note, [said])]


def _gps_photo(path: Path) -> Path:
    """A JPEG whose EXIF holds an artist and, in its GPS directory, where it was taken."""
    exif = Image.Exif()
    exif[315] = "A. Artist"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 1.5)})
    _image(1).save(path, exif=exif.tobytes())
    return path


def _gps_of(path: Path) -> tuple[str | None, dict]:
    with Image.open(path) as im:
        im.load()
        exif = im.getexif()
        return exif.get(315), dict(exif.get_ifd(0x8825))


def test_batch_leaves_the_gps_location_out_unless_keep_gps_and_records_that(tmp_path):
    """A phone's photo published by a batch kept where it was taken (pngquant keeps no
    EXIF); it is left out now, the artist kept, and --keep-gps, recorded with the outputs,
    keeps it: a rerun without it is a change of options."""
    src = tmp_path / "in"
    src.mkdir()
    _gps_photo(src / "p.jpg")
    plain = _cli(src, "-o", tmp_path / "plain", "-k", "4", "-q")
    kept = _cli(src, "-o", tmp_path / "kept", "-k", "4", "-q", "--keep-gps",
                "--report", tmp_path / "r.json")
    assert (plain.exit_code, kept.exit_code) == (0, 0), plain.output + kept.output
    assert _gps_of(tmp_path / "plain" / "p.png") == ("A. Artist", {})
    assert _gps_of(tmp_path / "kept" / "p.png") == ("A. Artist",
                                                    {1: "N", 2: (52.0, 22.0, 1.5)})
    assert json.loads((tmp_path / "r.json").read_text())["files"][0]["keep_gps"] is True
    again = _cli(src, "-o", tmp_path / "kept", "-k", "4", "-q")
    assert again.exit_code == 15  # a flag left out is said as such, not '=(not given)'
    assert "made with --keep-gps, while this run asks for no --keep-gps;" in again.stderr


@pytest.mark.parametrize("ext, output", [(None, "res/btn.9.png"), (".q.png", "res/btn.q.9.png"),
                                         ("same", "res/btn.9.png"), (".gif", "res/btn.9.gif")])
def test_a_nine_patch_keeps_its_9_png_at_the_end_of_a_png_outputs_name(tmp_path, ext, output):
    """Android takes a 9-patch only by a name ending in .9.png: --ext .q.png wrote
    btn.9.q.png. Named as reduce names it (quantize.names.output_parts)."""
    (tmp_path / "site" / "res").mkdir(parents=True)
    _image(1).save(tmp_path / "site" / "res" / "btn.9.png")
    args = () if ext is None else ("--ext", ext)
    result = _run(tmp_path / "site", tmp_path / "out", *args)
    assert result.exit_code == 0, result.output
    assert list(_outputs(tmp_path / "out")) == [output]


def test_a_rerun_of_a_nine_patch_named_before_with_ext_redoes_it_under_its_name(tmp_path):
    """A batch folder written before the 9-patch naming, with --ext .q.png, holds
    btn.9.q.png: a rerun makes btn.q.9.png and removes the earlier name."""
    (tmp_path / "site").mkdir()
    _image(1).save(tmp_path / "site" / "btn.9.png")
    out = tmp_path / "out"
    assert _run(tmp_path / "site", out, "--ext", ".q.png").exit_code == 0
    (out / "btn.q.9.png").rename(out / "btn.9.q.png")  # as the earlier naming left it
    manifest = out / ".quantize-batch.jsonl"
    manifest.write_text(manifest.read_text().replace("btn.q.9.png", "btn.9.q.png"))
    result = _run(tmp_path / "site", out, "--ext", ".q.png")
    assert result.exit_code == 0, result.output
    assert "(removed" in result.output and "btn.9.q.png" in result.output
    assert list(_outputs(out)) == ["btn.q.9.png"]


def test_batch_segment_keeps_the_exif_and_the_gps_location_only_with_keep_gps(tmp_path):
    """--strip and --keep-gps were refused in segment mode ("does not apply"), and its
    pictures kept no EXIF; they keep it now as reduce mode's outputs do, and --keep-gps is
    recorded with them: a rerun without it is a change of options."""
    src = tmp_path / "in"
    src.mkdir()
    _gps_photo(src / "p.jpg")
    plain = _cli(src, "-o", tmp_path / "plain", "--mode", "segment", "-k", "2", "-q")
    kept = _cli(src, "-o", tmp_path / "kept", "--mode", "segment", "-k", "2", "-q",
                "--keep-gps")
    stripped = _cli(src, "-o", tmp_path / "stripped", "--mode", "segment", "-k", "2", "-q",
                    "--strip")
    assert (plain.exit_code, kept.exit_code, stripped.exit_code) == (0, 0, 0), (
        plain.output + kept.output + stripped.output)
    assert _gps_of(tmp_path / "plain" / "p" / "segmented.png") == ("A. Artist", {})
    assert _gps_of(tmp_path / "kept" / "p" / "overlay.png") == (
        "A. Artist", {1: "N", 2: (52.0, 22.0, 1.5)})
    assert _gps_of(tmp_path / "stripped" / "p" / "segmented.png") == (None, {})
    again = _cli(src, "-o", tmp_path / "kept", "--mode", "segment", "-k", "2", "-q")
    assert again.exit_code == 15
    assert "made with --keep-gps, while this run asks for no --keep-gps;" in again.stderr


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_ext_same_names_a_file_without_an_extension_as_such(tmp_path, fmt):
    """A PNG named 'noext' was said to be written 'in a format quantize does not write', and
    a JPEG so named was to be left out with --exclude='*', which leaves out every file."""
    src = tmp_path / "in"
    src.mkdir()
    _image(1).save(src / "noext", format=fmt)
    _image(2).save(src / "a.png")
    result = _cli(src, "-o", tmp_path / "out", "--ext", "same", "-k", "2", "--glob", "*")
    assert result.exit_code == 2
    assert result.stderr == (
        f"quantize: error: --ext='same' keeps each input's name and format, but "
        f"{str(src / 'noext')!r} is named without an extension, and an output of its name "
        "would have none to pick its format by: leave it out (--exclude='noext'), or write "
        "every file as a PNG (--ext='.png')\n")


def test_a_jpeg_outputs_colours_are_a_note_that_quiet_leaves_out(tmp_path):
    # batch said it as a warning of the file, -q too, where reduce says it as a note (a
    # fact of the output's format, no fault); the report keeps it among the warnings
    (tmp_path / "in").mkdir()
    _image(1).save(tmp_path / "in" / "a.png")
    said = ("a.jpg: a JPEG's compression adds colours of its own: the file holds more than "
            "the 4 colours (and an error the metrics leave out); write .png, .gif, .bmp or "
            ".webp to keep just them")
    outcomes = []
    for i, shown in enumerate(([], ["-q"], ["--json"])):
        result = _cli(tmp_path / "in", "-o", tmp_path / f"out{i}", "-k", 4, "--ext", ".jpg",
                      "-j", 1, "--report", tmp_path / f"r{i}.json", *shown)
        row = json.loads((tmp_path / f"r{i}.json").read_text())["files"][0]
        lines = [line for line in result.stderr.splitlines() if line.startswith("quantize:")]
        outcomes.append((result.exit_code, lines, row["warnings"]))
    note = [f"quantize: note: {tmp_path / 'in' / 'a.png'}: {said}"]
    assert outcomes == [(0, note, [said]), (0, [], [said]), (0, note, [said])]
