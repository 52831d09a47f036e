"""quantize.batch.shared: one palette fitted on all images of a reduce plan."""

from __future__ import annotations

import html
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize import batch
from quantize.errors import ImageReadError

from .batch_support import COPY, make_photo_tree


@pytest.fixture
def photo_tree(tmp_path):
    return make_photo_tree(tmp_path / "in")


def _plan(src, out, **kwargs):
    return batch.plan_batch(src, out, batch.reduce_mode(), recursive=True,
                            shared_palette=True, **kwargs)


def test_shared_palette_is_fitted_on_every_readable_image_and_passed_to_every_job(
        photo_tree, tmp_path):
    out = tmp_path / "out"
    plan = _plan(photo_tree, out, options={"n_colors": 6, "seed": 0})
    shared = batch.shared_palette(plan, samples_per_file=2000, jobs=2)
    assert shared.colors.shape == (6, 3) and shared.colors.dtype == np.uint8
    assert shared.n_files == 4                    # the truncated PNG cannot be sampled
    assert shared.path == out / batch.SHARED_PALETTE_NAME
    saved = json.loads(shared.path.read_text())
    assert [c["rgb"] for c in saved["colors"]] == shared.colors.tolist()
    assert len(shared.plan.jobs) == len(plan.jobs)
    for job in shared.plan.jobs:
        assert job.options["palette_in"] == shared.path  # read by the job, named by its file
        assert "n_colors" not in job.options
    assert plan.jobs[0].options["n_colors"] == 6  # the original plan is unchanged


def test_a_rerun_reuses_the_saved_palette_unless_forced(photo_tree, tmp_path):
    out = tmp_path / "out"
    first = batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 5, "seed": 0}),
                                 samples_per_file=2000, jobs=1)
    again = batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 5, "seed": 0}),
                                 samples_per_file=2000, jobs=1)
    assert again.n_files == 0 and np.array_equal(again.colors, first.colors)
    forced = batch.shared_palette(
        _plan(photo_tree, out, options={"n_colors": 3, "seed": 9}, force=True),
        samples_per_file=2000, jobs=1)
    assert forced.n_files == 4 and forced.colors.shape == (3, 3)
    entry = batch.read_manifest(out)[batch.SHARED_PALETTE_NAME]
    assert entry.record == {"files": 4, "k": 3, "bytes_out": forced.path.stat().st_size,
                            "inputs": ["../in/astronaut.jpg", "../in/chelsea.png",
                                       "../in/sub/coffee.jpg", "../in/sub/rocket.png",
                                       "../in/sub/truncated.png"]}
    assert entry.settings["n_colors"] == 3 and entry.settings["shared_palette"] is True


def test_a_palette_fitted_with_other_options_is_refused(photo_tree, tmp_path):
    out = tmp_path / "out"
    batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 8, "seed": 0}),
                         samples_per_file=2000, jobs=1)
    saved = (out / batch.SHARED_PALETTE_NAME).read_bytes()
    with pytest.raises(batch.OptionsChangedError) as err:
        batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 12, "seed": 0}),
                             samples_per_file=2000, jobs=1)
    assert (err.value.count, err.value.before, err.value.now) == (
        1, {"n_colors": 8}, {"n_colors": 12})
    assert (out / batch.SHARED_PALETTE_NAME).read_bytes() == saved


def test_a_palette_without_a_record_is_reused(photo_tree, tmp_path):
    out = tmp_path / "out"
    first = batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 4, "seed": 0}),
                                 samples_per_file=2000, jobs=1)
    (out / batch.MANIFEST_NAME).unlink()          # made before records were kept
    again = batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 6, "seed": 0}),
                                 samples_per_file=2000, jobs=1)
    assert again.n_files == 0 and np.array_equal(again.colors, first.colors)


def test_the_same_seed_gives_the_same_palette(photo_tree, tmp_path):
    palettes = [batch.shared_palette(_plan(photo_tree, tmp_path / name,
                                           options={"n_colors": 4, "seed": 3}),
                                     samples_per_file=1000, jobs=2).colors
                for name in ("a", "b")]
    assert np.array_equal(*palettes)


def test_past_max_samples_every_file_gives_an_equal_share_of_them(photo_tree, tmp_path):
    # 20,000 pixels of every file were held to the end: 844 MB for 1,600 map tiles, and a
    # zoom level of a million tiles could not be fitted
    options = {"n_colors": 6, "seed": 0}
    capped = batch.shared_palette(_plan(photo_tree, tmp_path / "a", options=options),
                                  samples_per_file=2000, max_samples=3000, jobs=1)
    assert capped.per_file == 600                 # 3000 // 5 inputs (the truncated one too)
    alike = batch.shared_palette(_plan(photo_tree, tmp_path / "b", options=options),
                                 samples_per_file=600, jobs=1)
    assert alike.per_file == 600 and np.array_equal(capped.colors, alike.colors)
    under = batch.shared_palette(_plan(photo_tree, tmp_path / "c", options=options),
                                 samples_per_file=2000, max_samples=10_000, jobs=1)
    assert under.per_file == 2000 and capped.n_files == under.n_files == 4
    with pytest.raises(ValueError, match=r"^max_samples=0 should be >= 1"):
        batch.shared_palette(_plan(photo_tree, tmp_path / "d"), max_samples=0)


def test_the_command_line_says_the_share_of_each_file_past_the_cap(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from quantize.cli import app

    monkeypatch.setattr(batch, "MAX_SAMPLES", 6)   # what the line says
    monkeypatch.setattr("quantize.batch.shared.MAX_SAMPLES", 6)  # what the fit draws
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in "abc":
        Image.fromarray(np.array([[[255, 0, 0], [0, 99, 0]]], np.uint8)).save(src / f"{name}.png")
    result = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "-k", "2", "-j", "1",
                                      "--shared-palette"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("shared palette:"))
    assert re.fullmatch(r"shared palette: 2 colours fitted on 3 files \(2 pixels drawn from "
                        r"each, 6 at most in all\) in \d+\.\d s \(not counted in the summary's "
                        r"time\) -> " + re.escape(str(out / "shared-palette.json")), line), line


def test_shared_palette_needs_a_reduce_plan_with_a_readable_image(photo_tree, tmp_path):
    with pytest.raises(ValueError, match=r"^plan.mode='copy' should be 'reduce': a shared "
                       r"palette is fitted for a reduce plan, made with "
                       r"plan_batch\(..., reduce_mode\(\), shared_palette=True\)$"):
        batch.shared_palette(batch.plan_batch(photo_tree, tmp_path / "o", COPY))
    with pytest.raises(ValueError, match=r"without shared_palette=True; expected "
                       r"plan_batch\(..., shared_palette=True\)"):
        batch.shared_palette(batch.plan_batch(photo_tree, tmp_path / "o", batch.reduce_mode()))
    with pytest.raises(ValueError, match="samples_per_file=0 should be >= 1"):
        batch.shared_palette(_plan(photo_tree, tmp_path / "o"), samples_per_file=0)
    src = tmp_path / "clear"
    src.mkdir()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(src / "a.png")
    with pytest.raises(ImageReadError) as said:
        batch.shared_palette(_plan(src, tmp_path / "o2"), jobs=1)
    assert str(said.value) == (f"{src}: no image could be sampled for the "
                               "shared palette; no image has a visible pixel (each is fully "
                               "transparent)")


def test_no_image_sampled_says_which_file_could_not_be_read_and_why(tmp_path):
    # The error said "no image could be sampled for the shared palette" and no more: an
    # animation whose frames x pixels exceed max_pixels was left out without a word.
    from .animation_support import moving_square, save_animation

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.gif", "b.gif"):
        save_animation(src / name, moving_square(3, 8), duration=40)
    plan = _plan(src, tmp_path / "out", options={"max_pixels": 100})
    with pytest.raises(ImageReadError) as said:
        batch.shared_palette(plan, jobs=1)
    assert str(said.value) == (
        f"{src}: no image could be sampled for the shared palette; "
        f"{src / 'a.gif'}: an animation of 3 frames of 8x8, 192 pixels in all, exceeds "
        "the limit of 100; if the file is trusted, set max_pixels=192 or more (and 1 more)")


def test_a_missing_palette_is_not_fitted_anew_under_outputs_mapped_onto_it(photo_tree,
                                                                           tmp_path):
    from quantize.errors import OutputExistsError

    out = tmp_path / "out"
    options = {"n_colors": 4, "seed": 0}
    shared = batch.shared_palette(_plan(photo_tree, out, options=options,
                                        pattern="astronaut.jpg"), samples_per_file=2000, jobs=1)
    batch.run_batch(shared.plan, jobs=1)
    (out / batch.SHARED_PALETTE_NAME).unlink()
    with pytest.raises(OutputExistsError) as err:
        batch.shared_palette(_plan(photo_tree, out, options=options), samples_per_file=2000,
                             jobs=1)
    assert str(err.value) == (f"{out}: {batch.SHARED_PALETTE_NAME} is missing, while 1 output "
                              "was mapped onto it; a new palette would not match it: use "
                              "force=True to redo every file, or choose another output folder")
    assert not (out / batch.SHARED_PALETTE_NAME).exists()
    forced = batch.shared_palette(_plan(photo_tree, out, options=options, force=True),
                                  samples_per_file=2000, jobs=1)
    assert forced.n_files == 4 and "astronaut.jpg" in {j.input.name for j in forced.plan.jobs}


@pytest.mark.parametrize("skipped", ["link", "earlier batch"])
def test_a_sub_folder_skipped_unsearched_is_no_output_mapped_onto_a_palette(photo_tree, tmp_path,
                                                                            skipped):
    # The row of a sub-folder skipped unsearched (a link to a folder, an earlier batch's
    # output folder) was counted as an output mapped onto a missing palette: a fresh output
    # folder was refused ("shared-palette.json is missing, while 1 output was mapped onto it").
    from .fs_support import symlink_or_skip

    options = {"n_colors": 4, "seed": 0}
    if skipped == "link":
        symlink_or_skip(photo_tree / "lnk", photo_tree / "sub", to_folder=True)
    else:  # the README's second run beside the first, both inside the input tree
        first = batch.shared_palette(_plan(photo_tree, photo_tree / "out", options=options,
                                           pattern="astronaut.jpg"), samples_per_file=500,
                                     jobs=1)
        batch.run_batch(first.plan, jobs=1)
    out = tmp_path / "out"
    plan = _plan(photo_tree, out, options=options)
    assert [r.input.name for r in plan.settled if batch.is_folder(r.record)] == [
        "lnk" if skipped == "link" else "out"]
    shared = batch.shared_palette(plan, samples_per_file=500, jobs=1)
    assert shared.n_files == 4 and (out / batch.SHARED_PALETTE_NAME).is_file()


def test_a_changed_input_is_redone_onto_the_saved_palette_with_a_warning(photo_tree, tmp_path):
    out = tmp_path / "out"
    options = {"n_colors": 4, "seed": 0}
    first = batch.shared_palette(_plan(photo_tree, out, options=options),
                                 samples_per_file=2000, jobs=1)
    batch.run_batch(first.plan, jobs=1)
    Image.new("RGB", (30, 20), (255, 0, 255)).save(photo_tree / "chelsea.png")  # new colours
    with pytest.warns(UserWarning, match=r"^1 input has changed since shared-palette.json was "
                      r"fitted; redone onto it as it is, .* \(force=True fits a new palette"):
        again = batch.shared_palette(_plan(photo_tree, out, options=options),
                                     samples_per_file=2000, jobs=1)
    assert again.n_files == 0 and np.array_equal(again.colors, first.colors)
    [job] = [j for j in again.plan.jobs if j.redo]
    assert job.input == photo_tree / "chelsea.png" and job.redo == batch.INPUT_CHANGED
    assert job.options["palette_in"] == first.path
    [result] = [r for r in batch.run_batch(again.plan, jobs=1) if r.status == "ok"]
    with Image.open(result.output) as im:
        assert np.reshape(im.getpalette(), (-1, 3)).tolist() == first.colors.tolist()
        assert im.size == (30, 20)


def test_a_new_input_is_mapped_onto_the_saved_palette_with_a_warning(photo_tree, tmp_path):
    out = tmp_path / "out"
    options = {"n_colors": 4, "seed": 0}
    first = batch.shared_palette(_plan(photo_tree, out, options=options),
                                 samples_per_file=500, jobs=1)
    with warnings.catch_warnings():  # no job ran: each input is still one it was fitted on
        warnings.simplefilter("error")
        batch.shared_palette(_plan(photo_tree, out, options=options), samples_per_file=500,
                             jobs=1)
    batch.run_batch(first.plan, jobs=1)
    Image.new("RGB", (30, 20), (255, 0, 255)).save(photo_tree / "sub" / "new.png")
    Image.new("RGB", (30, 20), (0, 255, 0)).save(photo_tree / "new2.png")
    with pytest.warns(batch.InputsChangedWarning, match=r"^2 inputs are new since "
                      r"shared-palette.json was fitted; mapped onto it as it is, .* "
                      r"\(force=True fits a new palette"):
        again = batch.shared_palette(_plan(photo_tree, out, options=options),
                                     samples_per_file=500, jobs=1)
    assert again.n_files == 0 and np.array_equal(again.colors, first.colors)
    (photo_tree / "new2.png").unlink()
    Image.new("RGB", (30, 20), (0, 0, 255)).save(photo_tree / "chelsea.png")  # changed
    with pytest.warns(batch.InputsChangedWarning, match=r"^1 input has changed and 1 input "
                      r"is new since shared-palette.json was fitted; redone and mapped onto"):
        batch.shared_palette(_plan(photo_tree, out, options=options), samples_per_file=500,
                             jobs=1)


def test_every_path_sent_to_a_dask_worker_is_absolute(tmp_path, monkeypatch):
    """The jobs and the shared palette's sampling made paths absolute in two copies of the
    same code; both now go through batch.run.worker_path. The calls run here, in place of
    Dask, after checking what a worker would be sent."""
    from quantize.batch import run as run_module
    from quantize.batch import shared as shared_module

    (tmp_path / "in").mkdir()
    Image.fromarray(np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8)).save(tmp_path / "in"
                                                                            / "a.png")
    (tmp_path / "p.hex").write_text("ff0000\n0000ff\n")
    monkeypatch.chdir(tmp_path)
    sent, run_calls = [], run_module.run_calls

    def locally(calls, settle, *, jobs=None, scheduler=None, **kwargs):
        assert scheduler == "tcp://nowhere:1"
        sent.extend(calls)
        run_calls(calls, settle, jobs=1)

    for module in (run_module, shared_module):  # no cluster to ask about storage
        monkeypatch.setattr(module, "check_shared_storage", lambda plan, scheduler, probe=None:
                            None)
    monkeypatch.setattr(shared_module, "run_calls", locally)
    plan = _plan(Path("in"), Path("out"), options={"n_colors": 2})
    shared = batch.shared_palette(plan, scheduler="tcp://nowhere:1")
    monkeypatch.setattr(run_module, "run_calls", locally)
    mapped = batch.plan_batch(Path("in"), Path("out"), batch.reduce_mode(),
                              options={"palette_in": Path("p.hex")})
    [result] = batch.run_batch(mapped, scheduler="tcp://nowhere:1")
    assert result.status == "ok" and shared.n_files == 1
    sampled, job = sent[0].args[0], sent[1].args[1]
    assert sampled == tmp_path / "in" / "a.png"
    assert (job.input, job.output, job.options["palette_in"]) == (
        tmp_path / "in" / "a.png", tmp_path / "out" / "a.png", tmp_path / "p.hex")


@pytest.mark.parametrize("holey", ["still.png", "clip.gif"])
def test_256_shared_colours_leave_an_entry_for_transparent_pixels(tmp_path, rng, holey):
    # With -k 256 the palette had 256 colours, and every image with transparent pixels
    # (a still with alpha 0, an animation with alpha below 128) failed: "palette_in holds
    # 256 colours, more than ... at most 255 colours".
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(src / "noise.png")
    frames = []
    for _ in range(2 if holey == "clip.gif" else 1):
        rgba = rng.integers(0, 256, (24, 24, 4), dtype=np.uint8)
        rgba[..., 3] = 255
        rgba[:3, :, 3] = 0
        frames.append(Image.fromarray(rgba, "RGBA"))
    frames[0].save(src / holey, save_all=True, append_images=frames[1:], duration=50)
    plan = _plan(src, tmp_path / "out", options={"n_colors": 256, "seed": 0})
    shared = batch.shared_palette(plan, samples_per_file=2000, jobs=1)
    assert shared.colors.shape == (256, 4)  # 255 colours after the transparent entry
    assert shared.colors[0].tolist() == [0, 0, 0, 0]
    results = {r.input.name: r for r in batch.run_batch(shared.plan, jobs=1)}
    assert {name: r.status for name, r in results.items()} == {"noise.png": "ok",
                                                               holey: "ok"}
    assert results[holey].record["k"] == 255
    with Image.open(tmp_path / "out" / holey) as im:  # an animation keeps its format
        assert np.array_equal(np.asarray(im.convert("RGBA"))[:3, :, 3], np.zeros((3, 24)))


def test_256_shared_colours_stay_256_without_transparent_pixels(photo_tree, tmp_path):
    plan = _plan(photo_tree, tmp_path / "out", options={"n_colors": 256, "seed": 0})
    assert batch.shared_palette(plan, samples_per_file=2000, jobs=1).colors.shape == (256, 3)


def test_a_file_its_worker_could_not_sample_stops_the_fit(tmp_path, monkeypatch):
    """A Dask worker of another version (or one that died) failed its sample calls, and the
    palette was fitted on the other files without a word; an unreadable file is still
    left out. The calls run here, in place of Dask."""
    from quantize.batch import run as run_module
    from quantize.batch import shared as shared_module
    from quantize.batch.calls import Outcome

    src = tmp_path / "in"
    src.mkdir()
    for name, colour in (("a.png", (255, 0, 0)), ("b.png", (0, 0, 255)), ("c.png", (0, 9, 0))):
        Image.new("RGB", (2, 2), colour).save(src / name)
    (src / "d.png").write_bytes(b"not an image")
    unfit = "the Dask worker tcp://10.0.0.9:1 runs another version of quantize; restart it"
    run_calls = run_module.run_calls

    def on_workers(unfit_names):
        def run(calls, settle, *, jobs=None, scheduler=None, must_see=None, must_see_as=None,
                **watch):
            assert must_see == src / "a.png"  # what a worker that joins later must see
            assert must_see_as == str(src / "a.png")  # and how it is named then
            assert watch == {"worker_timeout": None, "on_workers": None}  # the run's, unset
            def worker(index, outcome):
                name = Path(calls[index].args[0]).name
                settle(index, Outcome.failure(unfit, worker=True) if name in unfit_names
                       else outcome)
            run_calls(calls, worker, jobs=1)
        return run

    monkeypatch.setattr(shared_module, "check_shared_storage", lambda plan, scheduler: None)
    plan = _plan(src, tmp_path / "out", options={"n_colors": 2})
    monkeypatch.setattr(shared_module, "run_calls", on_workers({"b.png", "c.png"}))
    with pytest.raises(batch.WorkerFailedError) as stopped:
        batch.shared_palette(plan, scheduler="tcp://nowhere:1")
    assert (stopped.value.path, stopped.value.reason, stopped.value.exit_code) == (
        str(src / "b.png"), f"not sampled for the shared palette, so none was fitted: {unfit} "
        "(1 more file alike)", 1)
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(shared_module, "run_calls", on_workers(set()))
    shared = batch.shared_palette(plan, scheduler="tcp://nowhere:1")
    assert shared.n_files == 3  # d.png, not an image, is left out of the fit


def test_a_file_a_dask_worker_did_not_find_is_named_as_left_out_of_the_fit(tmp_path,
                                                                         monkeypatch):
    """The palette was fitted without it, and only the count of files fitted on said so.
    The calls run here, in place of Dask: the worker does not find b.png."""
    from quantize.batch import run as run_module
    from quantize.batch import shared as shared_module
    from quantize.batch.calls import Outcome
    from quantize.reduce import ColorCountWarning

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name, colour in (("a.png", (255, 0, 0)), ("b.png", (0, 0, 255))):
        Image.new("RGB", (2, 2), colour).save(src / name)
    run_calls = run_module.run_calls

    def blind_to_b(calls, settle, *, jobs=None, scheduler=None, **kwargs):
        def worker(index, outcome):
            path = calls[index].args[0]
            settle(index, Outcome.failure("no such file", path=str(path))
                   if path.name == "b.png" else outcome)
        run_calls(calls, worker, jobs=1)

    monkeypatch.setattr(shared_module, "check_shared_storage", lambda plan, scheduler: None)
    monkeypatch.setattr(shared_module, "run_calls", blind_to_b)
    with pytest.warns(ColorCountWarning, match="the images together have only 1 distinct"):
        shared = batch.shared_palette(_plan(src, out, options={"n_colors": 2}),
                                      scheduler="tcp://nowhere:1")
    why = ("no such file on the Dask worker, but it is here; the Dask workers must see the "
           "input and output folders at the same paths as this machine (shared storage)")
    assert shared.n_files == 1 and shared.colors.tolist() == [[255, 0, 0]]
    assert shared.left_out == shared.plan.left_out == {src / "b.png": why}
    results = {r.input.name: r for r in batch.run_batch(shared.plan, jobs=1)}
    assert {name: (r.status, r.record.get(batch.LEFT_OUT)) for name, r in results.items()} == {
        "a.png": ("ok", None), "b.png": ("ok", why)}
    assert batch.read_manifest(out)["b.png"].record[batch.LEFT_OUT] == why  # reruns say it


def test_the_command_line_names_each_file_left_out_of_the_fit(tmp_path):
    from typer.testing import CliRunner

    from quantize.cli import app

    src, out, report = tmp_path / "in", tmp_path / "out", tmp_path / "r.json"
    src.mkdir()
    Image.fromarray(np.array([[[255, 0, 0], [0, 99, 0]]], np.uint8)).save(src / "a.png")
    Image.new("RGB", (64, 64), (0, 0, 255)).save(src / "b.png")
    data = (src / "b.png").read_bytes()
    (src / "b.png").write_bytes(data[: len(data) // 2])  # opens, but does not decode
    result = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "-k", "2", "-j", "1",
                                      "--shared-palette", "--report", str(report),
                                      "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 1, result.output
    [row] = [r for r in json.loads(report.read_text())["files"] if r["input"].endswith("b.png")]
    why = row["left_out_of_shared_palette"]
    assert why == row["reason"] and why.startswith("cannot decode image")
    line = next(x for x in result.stdout.splitlines() if x.startswith("shared palette:"))
    assert re.fullmatch(r"shared palette: 2 colours fitted on 1 file \(1 file left out, each "
                        r"said with its file\) in \d+\.\d s \(not counted in the summary's "
                        r"time\) -> " + re.escape(str(out / "shared-palette.json")), line), line
    assert result.stderr.splitlines() == [  # as it happened: left out of the fit, then failed
        f"quantize: warning: {src / 'b.png'}: left out of the shared palette's fit, which the "
        f"other files made: {why}",
        f"quantize: error: {src / 'b.png'}: {why}"]
    assert (f"warning: left out of the shared palette's fit, which the other files made: {why}"
            in html.unescape((tmp_path / "r.html").read_text()))


def test_a_palette_of_one_colour_is_one_colour(tmp_path):
    # "shared palette: 1 colours fitted on 1 file", and "reusing 1 colours"
    from typer.testing import CliRunner

    from quantize.cli import app

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (2, 2), (9, 9, 9)).save(src / "a.png")
    args = ["batch", str(src), "-o", str(out), "-k", "2", "-j", "1", "--shared-palette"]
    first, again = (CliRunner().invoke(app, args) for _ in range(2))
    assert re.fullmatch(r"shared palette: 1 colour fitted on 1 file in \d+\.\d s \(not "
                        r"counted in the summary's time\) -> "
                        + re.escape(str(out / "shared-palette.json")),
                        first.stdout.splitlines()[0]), first.stdout
    assert again.stdout.splitlines()[0] == (f"shared palette: reusing 1 colour from "
                                            f"{out / 'shared-palette.json'}")


def test_a_palette_that_cannot_be_written_leaves_no_output_folder_behind(photo_tree, tmp_path,
                                                                          monkeypatch):
    import quantize.palette_files as palette_files

    def refuse(path, colors):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(palette_files, "write_palette", refuse)
    out = tmp_path / "new" / "out"
    with pytest.raises(OSError, match="No space left"):
        batch.shared_palette(_plan(photo_tree, out, options={"n_colors": 4, "seed": 0}),
                             samples_per_file=500, jobs=1)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("options, message", [
    ({"n_colors": 8, "quality": 3}, "quality=3 cannot be used with a shared palette, which "
                                    "is fitted to n_colors colours (16 by default); expected "
                                    "n_colors"),
    ({"palette_in": "p.hex"}, "palette_in cannot be used with a shared palette, which is "
                              "mapped onto in its place; expected n_colors, or palette_in "
                              "without a shared palette"),
    ({"palette": "per-frame"}, "palette='per-frame' cannot be used with a shared palette, one "
                               "palette for every frame of every image; expected "
                               "palette='global'"),
])
def test_shared_palette_refuses_options_it_would_leave_unused(tmp_path, options, message):
    # quantize batch --shared-palette refuses --quality and --palette-in; from Python the
    # palette was fitted to 16 colours whatever quality said, and a palette_in was
    # replaced by the fitted palette, without a word.
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save(src / "a.png")
    (tmp_path / "p.hex").write_text("000000\nffffff\n")
    options = {k: tmp_path / v if k == "palette_in" else v for k, v in options.items()}
    plan = _plan(src, tmp_path / "out", options=options)
    with pytest.raises(ValueError) as info:
        batch.shared_palette(plan, jobs=1)
    assert str(info.value) == message
    assert not (tmp_path / "out" / batch.SHARED_PALETTE_NAME).exists()


def test_no_saved_palette_is_looked_for_in_the_manifest(tmp_path, monkeypatch):
    from quantize.batch import manifest

    out = tmp_path / "out"
    out.mkdir()
    (out / manifest.MANIFEST_NAME).write_text("")

    def read(*args, **kwargs):
        raise AssertionError("the manifest was read: no palette file is there to remove")

    monkeypatch.setattr(manifest, "load_manifest", read)
    assert batch.remove_unused_palette(out) is None


@pytest.mark.parametrize("ext", [".png", ".gif"])
def test_every_output_of_a_shared_palette_holds_the_same_entries_at_the_same_indices(
        tmp_path, ext):
    # The opaque file had blue at index 0, the one with transparent pixels its
    # transparent entry there and every colour one index higher.
    from typer.testing import CliRunner

    from quantize.cli import app

    folder = tmp_path / "in"
    folder.mkdir()
    opaque = np.array([[[0, 0, 255], [255, 0, 0]], [[0, 0, 255], [0, 255, 0]]], np.uint8)
    Image.fromarray(opaque).save(folder / "a.png")
    clear = np.dstack([opaque, np.full((2, 2), 255, np.uint8)])
    clear[1, 1] = 0
    Image.fromarray(clear, "RGBA").save(folder / "b.png")
    Image.new("RGBA", (2, 2), (0, 0, 0, 0)).save(folder / "c.png")  # an empty map tile
    ran = CliRunner().invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"),
                                   "--shared-palette", "-k", "16", "--ext", ext, "-q"])
    assert ran.exit_code == 0, ran.output
    with (Image.open(tmp_path / "out" / f"a{ext}") as a,
          Image.open(tmp_path / "out" / f"b{ext}") as b,
          Image.open(tmp_path / "out" / f"c{ext}") as c):  # the whole palette, all index 0
        assert a.getpalette() == b.getpalette() == c.getpalette()
        assert c.info["transparency"] == 0 and not np.asarray(c).any()
        assert a.info["transparency"] == b.info["transparency"] == 0
        pal = np.array(a.getpalette()).reshape(-1, 3)
        assert pal[np.asarray(a)].tolist() == opaque.tolist()
        assert np.asarray(a)[:, :].tolist()[0] == np.asarray(b).tolist()[0]
        assert np.asarray(b)[1, 1] == 0


def _small_folder(folder: Path) -> Path:
    """ramp.png (12 x 8: red to blue across, green down), quads.png (four flat 4 x 4
    quadrants, each with a fixed pattern of -24..+24 levels) and clip.gif (two 8 x 8 frames
    of ramps), opaque."""
    folder.mkdir()
    y, x = np.mgrid[0:8, 0:12]
    ramp = np.dstack([x * 21, y * 30, 255 - x * 21]).astype(np.uint8)
    Image.fromarray(ramp).save(folder / "ramp.png")
    quads = np.zeros((8, 8, 3), np.int64)
    quads[:4, :4], quads[:4, 4:] = (200, 150, 120), (40, 90, 160)
    quads[4:, :4], quads[4:, 4:] = (90, 160, 60), (230, 220, 80)
    y, x = np.mgrid[0:8, 0:8]
    quads += ((x * 7 + y * 13) % 17 - 8)[..., None] * 3
    Image.fromarray(quads.astype(np.uint8)).save(folder / "quads.png")
    grey = (x * 32 + y * 4).astype(np.uint8)
    frames = [Image.fromarray(np.dstack([grey, grey, grey // 2 + 60])),
              Image.fromarray(np.dstack([grey[::-1], grey, grey]))]
    frames[0].save(folder / "clip.gif", save_all=True, append_images=frames[1:], duration=50,
                   loop=0)
    return folder


def _drawn(path: Path, palette: np.ndarray) -> list[list[str]]:
    """Each frame of ``path`` as rows of the ``palette`` index (one digit) of every pixel."""
    from PIL import ImageSequence

    drawn = []
    with Image.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            same = (np.asarray(frame.convert("RGB"))[..., None, :] == palette).all(axis=-1)
            assert same.any(axis=-1).all()
            drawn.append(["".join(map(str, row)) for row in same.argmax(axis=-1)])
    return drawn


_SHARED_4 = [[139, 134, 91], [214, 203, 133], [42, 101, 193], [76, 37, 77]]
# As 65bd0420 drew them, before dithering onto a given palette took the whole error and
# ordered dithering there mixed up to 64 entries: the rules for a palette fitted to the
# image, as the shared one is fitted to the colours of all the files.
_FITTED_INDICES = {
    1.0: {"ramp.png": [["222233333333", "222222000000", "222232000000", "222220300000",
                        "222220000000", "222202000000", "222221010101", "222202101111"]],
          "quads.png": [["01102222", "10102232", "11013222", "01012223", "00001111",
                         "00001111", "00001111", "00000111"]],
          "clip.gif": [["33300011", "33320111", "33300011", "33300111", "33320111",
                        "33000111", "33300111", "33200111"],
                       ["33300111", "33300111", "33300111", "33300111", "33302111",
                        "33300111", "33320111", "33002111"]]},
    "ordered": {"ramp.png": [["223223330303", "222222333003", "222233003030", "222220000000",
                              "222200201010", "222222000100", "222200101001", "222220001111"]],
                "quads.png": [["11003232", "11102222", "01113232", "01002223", "30001111",
                               "00001111", "00001101", "00001111"]],
                "clip.gif": [["33002011", "33330011", "33000111", "33300111", "33001111",
                              "33300011", "33001111", "33300111"],
                             ["33001111", "33300011", "33000111", "33300111", "33001111",
                              "33300111", "33001111", "33320111"]]},
}


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_files_are_dithered_onto_a_shared_palette_as_onto_a_fitted_one(tmp_path, dither):
    # Handed to every job as palette_in, the shared palette was dithered onto as a given
    # one (a device's): on 6 photos, -1.26 dB of blurred PSNR at 1.08x the bytes (k=16).
    src = _small_folder(tmp_path / "in")
    shared = batch.shared_palette(_plan(src, tmp_path / "out",
                                        options={"n_colors": 4, "dither": dither}), jobs=1)
    assert shared.colors.tolist() == _SHARED_4
    results = batch.run_batch(shared.plan, jobs=1)
    assert [r.status for r in results] == ["ok"] * 3
    drawn = {name: _drawn(tmp_path / "out" / name, shared.colors)
             for name in _FITTED_INDICES[dither]}
    assert drawn == _FITTED_INDICES[dither]  # the stills and the animation's frames
    assert all(r.record["palette_fitted"] is True for r in results)  # made so again


# As --palette-in dithers onto a given palette (the whole error; ordered, each colour mixed
# from as many entries as it needs), this palette written to a file.
_GIVEN_RAMP = {
    1.0: ["222232333333", "222220000000", "222220000000", "222220200000", "222220000000",
          "222212000000", "222221010001", "222212101111"],
    "ordered": ["222323331313", "223232333133", "222223131313", "222232313030",
                "222212131010", "222221200100", "221212101010", "222221210101"],
}


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_palette_in_batch_still_dithers_onto_a_given_palette(tmp_path, dither):
    src = _small_folder(tmp_path / "in")
    (tmp_path / "p.hex").write_text("".join(f"{bytes(c).hex()}\n" for c in _SHARED_4))
    plan = batch.plan_batch(src, tmp_path / "out", batch.reduce_mode(),
                            options={"palette_in": tmp_path / "p.hex", "dither": dither})
    assert [r.status for r in batch.run_batch(plan, jobs=1)] == ["ok"] * 3
    assert _drawn(tmp_path / "out" / "ramp.png", np.array(_SHARED_4)) == [_GIVEN_RAMP[dither]]
    assert "palette_fitted" not in plan.settings


def _as_recorded_before(out: Path, limit: bool) -> None:
    """Rewrite the manifest of ``out`` as an earlier version recorded it: no
    ``palette_fitted`` in the jobs' records, and ``quality_limit`` None in the settings
    (``limit``: as the versions since it was added wrote them) or none (before)."""
    manifest = out / ".quantize-batch.jsonl"
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    for line in lines:
        line["settings"].pop("quality_limit", None)
        if limit:
            line["settings"]["quality_limit"] = None
        line.get("record", {}).pop("palette_fitted", None)
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))


@pytest.mark.parametrize("limit", [False, True])
def test_a_folder_recorded_before_palette_fitted_is_not_redone(tmp_path, limit):
    # One recorded before quality_limit (65bd0420) was refused: "3 outputs were made
    # with , while this run asks for ;"
    src, out = _small_folder(tmp_path / "in"), tmp_path / "out"
    options = {"n_colors": 4, "dither": 1.0}
    first = batch.shared_palette(_plan(src, out, options=options), jobs=1)
    batch.run_batch(first.plan, jobs=1)
    _as_recorded_before(out, limit)
    made = {path: path.stat().st_mtime_ns for path in out.glob("*.*") if path.suffix != ".jsonl"}
    again = batch.shared_palette(_plan(src, out, options=options), jobs=1)
    assert again.n_files == 0 and again.plan.jobs == []
    results = batch.run_batch(again.plan, jobs=1)
    assert [r.status for r in results] == ["skipped"] * 3
    assert {path: path.stat().st_mtime_ns for path in made} == made
