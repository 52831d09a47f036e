"""``max_bytes`` / ``quantize reduce --max-bytes``: the most colours whose file fits a size."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app
from quantize.errors import ExitCode, SizeBudgetError
from quantize.reduce import reduce_colors, reduce_file
from quantize.reduce.budget import check_max_bytes, largest_fitting
from tests.animation_support import save_animation

runner = CliRunner()


def run(*args, **kwargs):
    return runner.invoke(app, ["reduce", *map(str, args)], **kwargs)


@pytest.fixture
def photo(tmp_path, rng):
    """A 24 x 24 gradient with noise: its PNG grows with k, about 300 to 900 bytes."""
    image = np.clip(np.repeat(np.linspace(0, 255, 24), 24).reshape(24, 24, 1)
                    + rng.normal(0, 12, (24, 24, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


@pytest.fixture
def animation(tmp_path, rng):
    """Three 16 x 16 frames of a noisy gradient moving right, as a GIF."""
    base = np.clip(np.repeat(np.linspace(0, 255, 32), 16).reshape(32, 16, 1).swapaxes(0, 1)
                   + rng.normal(0, 12, (16, 32, 3)), 0, 255).astype(np.uint8)
    frames = [base[:, i * 4:i * 4 + 16] for i in range(3)]
    return save_animation(tmp_path / "anim.gif", frames, duration=100, loop=0)


def _sizes(src, folder, suffix, ks):
    """The bytes of ``src`` reduced to each of ``ks`` colours directly (``-k``)."""
    sizes = {}
    for k in ks:
        out = folder / f"direct{k}{suffix}"
        sizes[k] = reduce_file(src, out, n_colors=k)["bytes_out"]
    return sizes


@pytest.mark.parametrize(("given", "expected"), [
    ("1MB", 1_000_000), ("1mb", 1_000_000), ("1MiB", 1_048_576), ("800k", 800_000),
    ("800kB", 800_000), ("800KB", 800_000), ("2KiB", 2048), ("1.5k", 1500), ("123", 123),
    (" 64 B ", 64), (5000, 5000)])
def test_sizes_are_read_in_bytes_with_their_units(given, expected):
    assert check_max_bytes(given) == expected


@pytest.mark.parametrize(("given", "match"), [
    ("1XB", r"max_bytes='1XB' is not valid; expected a size in bytes, a whole number or one "
            r"with a unit, as 800k, 800kB, 1MB \(1,000,000 bytes\) or 1MiB"),
    ("-5k", r"max_bytes='-5k' is not valid"),
    ("k", r"max_bytes='k' is not valid"),
    ("0", r"max_bytes='0' is below 1 byte"),
    ("0.0001k", r"max_bytes='0.0001k' is below 1 byte"),
    (0, r"max_bytes=0 is below 1 byte")])
def test_bad_sizes_are_refused_naming_the_option_and_the_form(given, match):
    with pytest.raises(ValueError, match=match):
        check_max_bytes(given)


@pytest.mark.parametrize("given", [True, 1.5e6, [1000]])
def test_sizes_of_other_types_are_refused(given):
    with pytest.raises(TypeError, match=r"max_bytes=.* is a \w+; expected a size in bytes"):
        check_max_bytes(given)


@pytest.mark.parametrize(("args", "message"), [
    (["--max-bytes", "12XB"], "quantize: error: --max-bytes='12XB' is not valid; expected a "
                              "size in bytes, a whole number or one with a unit, as 800k, "
                              "800kB, 1MB (1,000,000 bytes) or 1MiB (1,048,576 bytes)"),
    (["--max-bytes", "0"], "quantize: error: --max-bytes='0' is below 1 byte;"),
    (["--max-bytes", "5k", "--quality", "3"],
     "quantize: error: --max-bytes='5k' cannot be given with --quality=3: each chooses the "
     "number of colours"),
    (["--max-bytes", "5k", "--palette-in", "PALETTE"],
     "quantize: error: --max-bytes='5k' cannot be given with --palette-in"),
])
def test_the_command_refuses_bad_budgets_in_one_line(photo, tmp_path, args, message):
    (tmp_path / "p.hex").write_text("000000\nffffff\n")
    args = [str(tmp_path / "p.hex") if a == "PALETTE" else a for a in args]
    result = run(photo, *args)
    assert result.exit_code == ExitCode.USAGE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not (tmp_path / "photo.k16.png").exists()


@pytest.mark.parametrize("name", ["--max-size", "--target-size", "--size"])
def test_other_tools_names_of_a_size_point_to_max_bytes(photo, name):
    result = run(photo, name, "5k")
    assert result.exit_code == ExitCode.USAGE
    assert "did you mean --max-bytes?" in result.stderr


def test_the_search_returns_the_largest_k_that_fits_with_the_next_measured_over():
    sizes = {k: 100 * k + (200 if k == 7 else 0) for k in range(2, 33)}  # 7 above 8
    for budget in (650, 850, 1234, 3199):
        k, measured = largest_fitting(sizes.__getitem__, budget, 32)
        assert measured == {n: sizes[n] for n in measured}
        assert sizes[k] <= budget < measured[k + 1]  # the next k was measured over
        assert len(measured) <= 8
    assert largest_fitting(sizes.__getitem__, 3200, 32) == (32, {32: 3200})
    with pytest.raises(SizeBudgetError, match="even 2 colours take 200 bytes"):
        largest_fitting(sizes.__getitem__, 199, 32)


@pytest.mark.parametrize(("suffix", "dither"), [(".png", 0.0), (".gif", 0.0), (".png", 1.0)])
def test_a_still_gets_the_largest_k_whose_file_fits(photo, tmp_path, suffix, dither):
    sizes = {k: reduce_file(photo, tmp_path / f"d{k}{suffix}", n_colors=k,
                            dither=dither)["bytes_out"] for k in range(2, 33)}
    budget = (sizes[2] + sizes[32]) // 2
    out = tmp_path / f"budget{suffix}"
    record = reduce_file(photo, out, n_colors=32, max_bytes=budget, dither=dither)
    k = record["k"]
    assert sizes[k] <= budget < sizes[k + 1]  # the next k, measured, does not fit
    assert max(s for s in sizes.values() if s <= budget) >= sizes[k]
    # the file written is the one -k gives
    assert out.read_bytes() == (tmp_path / f"d{k}{suffix}").read_bytes()
    assert record["max_bytes"] == budget and record["n_colors"] == 32


def test_an_animation_gets_the_largest_k_whose_file_fits(animation, tmp_path):
    sizes = _sizes(animation, tmp_path, ".gif", range(2, 17))
    budget = (sizes[2] + sizes[16]) // 2
    out = tmp_path / "budget.gif"
    record = reduce_file(animation, out, n_colors=16, max_bytes=budget)
    k = record["k"]
    assert sizes[k] <= budget < sizes[k + 1]
    assert out.read_bytes() == (tmp_path / f"direct{k}.gif").read_bytes()


@pytest.mark.parametrize("src", ["photo", "animation"])
def test_nothing_fits_exits_99_naming_the_smallest_size_and_writes_nothing(src, tmp_path,
                                                                         request):
    path = request.getfixturevalue(src)
    smallest = _sizes(path, tmp_path, path.suffix, [2])[2]
    out = tmp_path / f"out{path.suffix}"
    result = run(path, "-k", 16, "--max-bytes", smallest - 1, "-o", out)
    assert result.exit_code == ExitCode.QUALITY == 99
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert (f"--max-bytes={smallest - 1}: even 2 colours take {smallest:,} bytes, the "
            "smallest output reached" in lines[0])
    assert not out.exists()


def test_the_summary_says_the_k_chosen_and_the_budget(photo, tmp_path):
    out = tmp_path / "b.png"
    result = run(photo, "-k", 32, "--max-bytes", "100kB", "-o", out)
    assert result.exit_code == 0, result.stderr
    size = out.stat().st_size
    assert (f"chose k=32 of -k 32 for --max-bytes 100,000 ({size:,} bytes; -k 32 fits: a "
            "larger -k may fit); 32 colours" in result.stdout)


@pytest.fixture
def few_colours(tmp_path):
    """A 12 x 12 image of 5 colours, as a GIF."""
    image = np.repeat(np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                                [255, 255, 255]], np.uint8), 29, axis=0)[:144].reshape(12, 12, 3)
    path = tmp_path / "five.gif"
    Image.fromarray(image).save(path)
    return path


def test_the_image_s_own_colours_are_named_as_the_bound_not_a_k_that_does_not_fit(
        few_colours, tmp_path):
    result = run(few_colours, "-k", 64, "--max-bytes", "1MB", "-o", tmp_path / "o.gif",
                 "--json")
    record = json.loads(result.stdout)
    assert record["k"] == 5 and record["max_bytes_bound"] == "image_colors"
    result = run(few_colours, "-k", 64, "--max-bytes", "1MB", "-o", tmp_path / "o.gif",
                 "--force")
    assert "(" + f"{record['bytes_out']:,} bytes; all 5 colours of the image fit); 5 colours" \
        in result.stdout
    assert "does not fit" not in result.stdout


@pytest.fixture
def clear_rows(rng):
    """A 20 x 20 RGBA image of about 300 colours, its first 4 rows transparent."""
    rgba = np.dstack([rng.integers(0, 256, (20, 20, 3), dtype=np.uint8),
                      np.full((20, 20), 255, np.uint8)])
    rgba[:4, :, 3] = 0
    return rgba


@pytest.mark.parametrize("animated", [False, True])
def test_the_transparent_entry_is_named_as_the_bound(tmp_path, clear_rows, animated):
    src, out = tmp_path / "in.png", tmp_path / ("o.gif" if animated else "o.png")
    frames = [clear_rows, np.roll(clear_rows, 1, axis=1)] if animated else [clear_rows]
    save_animation(src, frames, duration=100, loop=0)
    record = reduce_file(src, out, n_colors=256, max_bytes="1MB")
    assert record["k"] == 255 and record["max_bytes_bound"] == "transparent_entry"
    result = run(src, "-k", 256, "--max-bytes", "1MB", "-o", out, "--force")
    assert "bytes; 255, the most beside the transparent entry); 255 colours" in result.stdout


def test_the_budget_is_named_as_the_bound_only_when_k_plus_1_was_measured_over(photo,
                                                                              tmp_path):
    sizes = _sizes(photo, tmp_path, ".png", range(2, 17))
    budget = (sizes[2] + sizes[16]) // 2
    record = reduce_file(photo, tmp_path / "o.png", n_colors=16, max_bytes=budget)
    assert record["max_bytes_bound"] == "max_bytes" and sizes[record["k"] + 1] > budget
    record = reduce_file(photo, tmp_path / "o.png", n_colors=16, max_bytes="1MB",
                         force=True)
    assert record["k"] == 16 and record["max_bytes_bound"] == "n_colors"


def test_without_k_the_budget_searches_up_to_256_colours(few_colours, photo, tmp_path):
    # as --quality does: -k is then the most allowed, 256 when not given
    direct = _sizes(photo, tmp_path, ".png", [256])[256]
    record = reduce_file(photo, tmp_path / "o.png", max_bytes=direct)
    assert record["n_colors"] == 256 and record["k"] > 16
    assert (tmp_path / "o.png").read_bytes() == (tmp_path / "direct256.png").read_bytes()
    result = run(few_colours, "--max-bytes", "1MB", "-o", tmp_path / "o.gif")
    assert "chose k=5 of -k 256 for --max-bytes 1,000,000" in result.stdout
    assert reduce_file(photo, tmp_path / "q.png")["n_colors"] == 16  # without a budget


@pytest.mark.parametrize(("typed", "unit"), [
    (["--max-bytes", "256", "KB"], "KB"), (["--max-bytes=1.5", "MiB"], "MiB"),
    (["--max-bytes", "2", "kb"], "kb")])
def test_a_unit_typed_apart_from_the_size_is_pointed_to_max_bytes(photo, tmp_path, typed,
                                                                  unit):
    value = typed[-2].partition("=")[2] or typed[-2]
    expected = (f"--max-bytes={value} then '{unit}' read as an input file; write "
                f"--max-bytes {value}{unit}")
    result = run(photo, *typed, "-o", tmp_path / "o.png")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.strip() == f"quantize: error: {expected}"
    result = run_batch(photo.parent, "-o", tmp_path / "out", *typed)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.strip() == f"quantize: error: {expected}"
    assert not (tmp_path / "out").exists()


def test_the_summary_of_a_k_below_the_one_asked_says_the_next_does_not_fit(photo, tmp_path):
    sizes = _sizes(photo, tmp_path, ".png", range(2, 17))
    budget = (sizes[2] + sizes[16]) // 2
    out = tmp_path / "b.png"
    result = run(photo, "-k", 16, "--max-bytes", budget, "-o", out)
    assert result.exit_code == 0, result.stderr
    k = next(k for k in range(2, 17) if (tmp_path / f"direct{k}.png").read_bytes()
             == out.read_bytes())
    assert k < 16 and sizes[k + 1] > budget
    assert (f"chose k={k} of -k 16 for --max-bytes {budget:,} ({sizes[k]:,} bytes; "
            f"k={k + 1} does not fit); {k} colours" in result.stdout)


def test_stdout_carries_the_image_chosen(photo, tmp_path):
    sizes = _sizes(photo, tmp_path, ".png", range(2, 17))
    budget = (sizes[2] + sizes[16]) // 2
    result = run(photo, "-k", 16, "--max-bytes", budget, "-o", "-", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["output"] == "-" and record["max_bytes"] == budget
    assert len(result.stdout_bytes) == record["bytes_out"] <= budget
    assert result.stdout_bytes == (tmp_path / f"direct{record['k']}.png").read_bytes()


def test_a_folder_is_pointed_to_batch_with_max_bytes(tmp_path):
    (tmp_path / "in").mkdir()
    result = run(tmp_path / "in", "-k", 8, "--max-bytes", "1MB")
    assert result.exit_code == ExitCode.FAILED
    assert result.stderr.strip().endswith("-o OUT_DIR -k 8 --max-bytes 1MB")


def run_batch(*args, **kwargs):
    return runner.invoke(app, ["batch", *map(str, args)], **kwargs)


@pytest.fixture
def folder(photo, tmp_path):
    """``photo`` (fits a budget between its 2- and 16-colour sizes) and a noise image that
    even 2 colours do not fit in it, in a folder of their own."""
    src = tmp_path / "in"
    src.mkdir()
    photo.rename(src / "photo.png")
    noise = np.random.default_rng(1).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "noise.png")
    return src


def test_batch_writes_each_file_as_reduce_does_and_fails_one_that_does_not_fit(folder,
                                                                             tmp_path):
    """batch --max-bytes: the file that fits gets reduce's bytes and a line saying the k
    chosen as reduce's says it; the one that does not fails (exit 99, as reduce exits: no
    other file failed), nothing written for it, its row saying why; the budget is
    in every row of the report, and the settings of the outputs: a rerun skips them."""
    sizes = _sizes(folder / "photo.png", tmp_path, ".png", range(2, 17))
    budget = (sizes[2] + sizes[16]) // 2
    (tmp_path / "noise").mkdir()
    smallest = _sizes(folder / "noise.png", tmp_path / "noise", ".png", [2])[2]
    assert smallest > budget
    out, report = tmp_path / "out", tmp_path / "r.json"
    result = run_batch(folder, "-o", out, "-k", 16, "--max-bytes", budget, "-j", 1,
                       "--report", report)
    assert result.exit_code == ExitCode.QUALITY, result.output
    alone = run(folder / "photo.png", "-k", 16, "--max-bytes", budget, "-o",
                tmp_path / "alone.png")
    assert (out / "photo.png").read_bytes() == (tmp_path / "alone.png").read_bytes()
    assert not (out / "noise.png").exists()
    chose = alone.stdout.split(": ", 1)[1].split("); ", 1)[0] + ")"
    assert chose.startswith("chose k=") and "does not fit" in chose
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"[2/2] ok      {folder / 'photo.png'} -> {out / 'photo.png'}")
    assert lines[1].endswith(f"  ({chose})")
    reason = (f"--max-bytes={budget}: even 2 colours take {smallest:,} bytes, the smallest "
              f"output reached, more than the {budget:,} allowed")
    assert lines[0].startswith(f"[1/2] failed  {folder / 'noise.png'}: {reason}")
    rows = {r["input"]: r for r in json.loads(report.read_text())["files"]}
    noise, photo = rows[str(folder / "noise.png")], rows[str(folder / "photo.png")]
    assert (noise["status"], noise["reason"], noise["max_bytes"]) == ("failed", reason, None)
    assert (photo["status"], photo["max_bytes"], photo["n_colors"]) == ("ok", budget, 16)
    assert photo["bytes_out"] <= budget < sizes[photo["k"] + 1]
    again = run_batch(folder, "-o", out, "-k", 16, "--max-bytes", f"{budget}B", "-j", 1)
    assert again.exit_code == ExitCode.QUALITY, again.output
    # the file that did not fit is not tried again (its record says so): skipped first
    assert again.stdout.startswith(f"[1/2] skipped {folder / 'noise.png'}  seconds=")
    assert f"(missed its quality last run ({reason}); --force tries it again)" in again.stdout
    assert f"[2/2] skipped {folder / 'photo.png'}  k={photo['k']} " in again.stdout
    assert "(output exists)" in again.stdout and "chose" not in again.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--max-bytes", "1XB"], "--max-bytes='1XB' is not valid; expected a size in bytes, a "
     "whole number or one with a unit, as 800k, 800kB, 1MB (1,000,000 bytes) or 1MiB "
     "(1,048,576 bytes)"),
    (["--max-bytes", "2k", "--quality", "3"], "--max-bytes='2k' cannot be given with "
     "--quality=3: each chooses the number of colours, the fewest within a colour error or "
     "the most within a size; give one"),
    (["--max-bytes", "2k", "--shared-palette"], "--shared-palette and --max-bytes both "
     "given; expected --shared-palette with -k/--colors"),
    (["--max-bytes", "2k", "--mode", "segment"], "--max-bytes does not apply to --mode "
     "segment; expected it only with --mode reduce"),
])
def test_batch_refuses_a_budget_it_cannot_use_before_any_file(folder, tmp_path, args,
                                                              message):
    result = run_batch(folder, "-o", tmp_path / "out", *args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_another_library_s_warning_in_each_try_is_given_once_after_the_search(
        photo, tmp_path, monkeypatch):
    """A warning of Pillow's or NumPy's, raised as each k is encoded, was given once per k
    tried; it is held with quantize's own and given once, of the k kept, and the process's
    warnings state is as it was."""
    import warnings

    from quantize.reduce import file_job

    tried = []
    encoded = file_job._encoded

    def warning_encoder(result, *args):
        tried.append(result.k)
        warnings.warn("an encoder's warning", RuntimeWarning, stacklevel=1)
        return encoded(result, *args)

    monkeypatch.setattr(file_job, "_encoded", warning_encoder)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        before = (list(warnings.filters), warnings.showwarning)
        reduce_file(photo, tmp_path / "out.png", n_colors=64, max_bytes=600, seed=0)
        after = (list(warnings.filters), warnings.showwarning)
    assert len(tried) > 2
    assert [(w.category, str(w.message)) for w in seen] == [
        (RuntimeWarning, "an encoder's warning")]
    assert after == before


# reduce_colors(max_bytes=...): the command's search on an array, its result saved being
# the command's file.


@pytest.mark.parametrize(("options", "flags"), [
    ({"n_colors": 32}, ["-k", 32]),
    ({}, []),  # up to 256, as the command
    ({"n_colors": 32, "dither": 1.0}, ["-k", 32, "--dither=1"]),
])
def test_reduce_colors_max_bytes_saves_the_command_s_file(photo, tmp_path, options, flags):
    image = np.asarray(Image.open(photo))
    sizes = _sizes(photo, tmp_path, ".png", [2, 32])
    for budget in ((sizes[2] + sizes[32]) // 2, "1MB"):
        out = tmp_path / f"cli{budget}.png"
        assert run(photo, *flags, "--max-bytes", budget, "-o", out).exit_code == 0
        result = reduce_colors(image, max_bytes=budget, seed=0, **options)
        buffer = io.BytesIO()
        result.save(buffer)
        assert buffer.getvalue() == out.read_bytes()
        assert len(buffer.getvalue()) <= check_max_bytes(budget)


def test_reduce_colors_max_bytes_keeps_the_transparent_entry_beside_255(clear_rows, tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(clear_rows).save(src)
    assert run(src, "--max-bytes", "1MB", "-o", tmp_path / "o.png").exit_code == 0
    result = reduce_colors(clear_rows, max_bytes="1MB", seed=0)
    buffer = io.BytesIO()
    result.save(buffer)
    assert (result.k, result.transparent_index) == (255, 255)
    assert buffer.getvalue() == (tmp_path / "o.png").read_bytes()


def test_reduce_colors_max_bytes_out_of_reach_says_it_as_the_command(photo, tmp_path):
    smallest = _sizes(photo, tmp_path, ".png", [2])[2]
    with pytest.raises(SizeBudgetError) as refused:
        reduce_colors(np.asarray(Image.open(photo)), 16, max_bytes=smallest - 1, seed=0)
    assert str(refused.value) == (
        f"max_bytes={smallest - 1}: even 2 colours take {smallest:,} bytes, the smallest "
        f"output reached, more than the {smallest - 1:,} allowed")
    result = run(photo, "-k", 16, "--max-bytes", smallest - 1, "-o", tmp_path / "o.png")
    assert str(refused.value).replace("max_bytes=", "--max-bytes=") in result.stderr


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"max_bytes": "1XB"}, ValueError, r"^max_bytes='1XB' is not valid; expected a size in "),
    ({"max_bytes": 0}, ValueError, r"^max_bytes=0 is below 1 byte; "),
    ({"max_bytes": 1.5}, TypeError, r"^max_bytes=1\.5 is a float; "),
    ({"max_bytes": "2k", "quality": 3}, ValueError,
     r"^max_bytes='2k' cannot be given with quality=3: each chooses the number of colours"),
    ({"max_bytes": 2000, "palette": [[0, 0, 0], [255, 255, 255]]}, ValueError,
     r"^max_bytes=2000 cannot be given with palette=\.\.\.: each says the colours"),
    ({"max_bytes": 2000, "n_colors": 300}, ValueError,
     r"^n_colors=300 with max_bytes: a budget is of the indexed PNG, which holds at most 256 "
     r"colours; expected n_colors <= 256$"),
])
def test_reduce_colors_refuses_bad_budgets_in_one_line_naming_the_parameter(photo, options,
                                                                           error, message):
    with pytest.raises(error, match=message) as refused:
        reduce_colors(np.asarray(Image.open(photo)), **options)
    assert "\n" not in str(refused.value)
