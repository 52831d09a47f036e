"""quantize.batch.manifest: the record of finished outputs kept in the output folder."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize import batch
from quantize.batch.manifest import (
    OptionsChangedError,
    changed_settings,
    compact_manifest,
    damaged_copy,
    load_manifest,
    output_settings,
    read_manifest,
    record_forced_run,
    record_output,
    record_removed,
)
from quantize.errors import ExitCode, OutputError, OutputExistsError, OwnFileError

from .batch_support import COPY, link_to_sub
from .fs_support import record_filling_up


def test_settings_keep_what_shapes_the_output_as_json(tmp_path):
    options = {"n_colors": 8, "weights": {"xy": 0.5}, "force": True, "max_pixels": 10,
               "palette_in": Path("p.gpl"), "colors": np.array([[1, 2, 3]], np.uint8),
               "seed": np.int64(4), "pair": (1, 2)}
    assert output_settings(options, shared_palette=True) == {
        "colors": [[1, 2, 3]], "n_colors": 8, "pair": [1, 2],
        "palette_in": os.path.abspath("p.gpl"), "palette_in_digest": None,
        "seed": None,  # mapping onto a palette file runs no k-means
        "shared_palette": True, "weights": {"xy": 0.5}}
    assert output_settings({"n_colors": 8, "seed": np.int64(4)})["seed"] == 4
    # the frame limit decides whether a file is read, not what its output holds
    assert output_settings({"n_colors": 8, "max_frames": 600}) == {
        "n_colors": 8, "shared_palette": False}
    # options added later are left out unless given: the settings made before lack them
    assert output_settings({"n_colors": 8, "quality_limit": None, "palette_fitted": False}
                           ) == {"n_colors": 8, "shared_palette": False}
    assert output_settings({"quality": 1.0, "quality_limit": 3.0, "palette_in": None,
                            "palette_fitted": True})["quality_limit"] == 3.0
    assert output_settings({"palette_in": Path("./p.gpl")}) == output_settings(
        {"palette_in": Path("p.gpl")})


def test_settings_change_when_the_palette_file_is_edited(tmp_path):
    palette = tmp_path / "brand.hex"
    palette.write_text("#000000\n#ffffff\n")
    before = output_settings({"palette_in": palette})
    assert before["palette_in_digest"] == hashlib.sha256(palette.read_bytes()).hexdigest()[:16]
    assert output_settings({"palette_in": palette}) == before   # same bytes, same settings
    palette.write_text("#ff0000\n#00ff00\n")
    after = output_settings({"palette_in": palette})
    assert changed_settings(before, after) == (
        {"palette_in_digest": before["palette_in_digest"]},
        {"palette_in_digest": after["palette_in_digest"]})
    assert "palette_in_digest" not in output_settings({"palette_in": None})


def test_the_latest_well_formed_line_of_each_output_wins(tmp_path):
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 8}, {"k": 8, "psnr": None})
    record_output(tmp_path, tmp_path / "sub" / "b.png", {"n_colors": 8}, {"k": 7})
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 4}, {"k": 4})
    entries = read_manifest(tmp_path)
    assert sorted(entries) == ["a.png", "sub/b.png"]
    assert (entries["a.png"].settings, entries["a.png"].record) == ({"n_colors": 4}, {"k": 4})
    assert entries["sub/b.png"].record == {"k": 7}


def _palette(rng, n, alpha=False):
    """A record's palette of ``n`` entries, shares rounded to 6 decimals as jobs round them."""
    shares = rng.dirichlet(np.ones(n))
    return [{"hex": "#" + bytes(rng.integers(0, 256, 3, dtype=np.uint8)).hex(),
             "alpha": int(rng.integers(1, 256)) if alpha else 255,
             "share": round(float(share), 6)} for share in shares]


@pytest.mark.parametrize("n, alpha", [(256, False), (256, True), (1, False)])
def test_a_palette_is_recorded_in_a_third_of_the_bytes_and_reads_back_the_same(tmp_path, n,
                                                                                alpha):
    """A 256-entry palette as a list of objects was some 13 KB of every line (549 KB of
    manifest for 52 icons, three times their bytes): its columns take under a third, and
    read back as the same list, for the reports."""
    rng = np.random.default_rng(n + alpha)
    record = {"k": n, "psnr": 40.5, "palette": _palette(rng, n, alpha), "frames": 1}
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 256}, record)
    (entry,) = read_manifest(tmp_path).values()
    assert entry.record == record and list(entry.record) == list(record)
    assert json.dumps(entry.record["palette"]) == json.dumps(record["palette"])
    line = (tmp_path / ".quantize-batch.jsonl").read_text()
    assert '"hex": "#' not in line and '"palette_packed"' in line
    if n > 1:
        assert len(line) < len(json.dumps(record["palette"])) / 3


@pytest.mark.parametrize("palette", [
    [{"hex": "#ff0000", "alpha": 255, "share": 0.1234567}],     # not 6 decimals
    [{"hex": "#ff0000", "alpha": 255, "share": 0.5, "x": 1}],   # another key
    [{"hex": "red", "alpha": 255, "share": 0.5}],                # not #rrggbb
    "not a list",
])
def test_a_palette_that_would_not_read_back_the_same_is_recorded_as_it_is(tmp_path, palette):
    """Beside one packed (a list of {"hex", "alpha", "share"} of 6-decimal shares), one
    that the columns would not give back to the byte is written as the record has it."""
    good = [{"hex": "#0a0b0c", "alpha": 255, "share": 1.0}]
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 1, "palette": palette})
    record_output(tmp_path, tmp_path / "b.png", {}, {"k": 1, "palette": good})
    entries = read_manifest(tmp_path)
    assert entries["a.png"].record == {"k": 1, "palette": palette}
    assert entries["b.png"].record == {"k": 1, "palette": good}
    lines = [json.loads(line)["record"]
             for line in (tmp_path / ".quantize-batch.jsonl").read_text().splitlines()]
    assert lines == [{"k": 1, "palette": palette},
                     {"k": 1, "palette_packed": {"hex": "0a0b0c", "share": [1000000]}}]


def test_a_palette_recorded_by_an_earlier_version_reads_as_it_was(tmp_path):
    """A line of an earlier version (the list) and one of this version (the columns) of the
    same palette read back alike."""
    palette = [{"hex": "#0a0b0c", "alpha": 255, "share": 1.0}]
    line = {"version": 1, "output": "a.png", "settings": {"n_colors": 4},
            "record": {"k": 1, "palette": palette}}
    (tmp_path / ".quantize-batch.jsonl").write_text(json.dumps(line) + "\n")
    record_output(tmp_path, tmp_path / "b.png", {"n_colors": 4}, {"k": 1, "palette": palette})
    entries = read_manifest(tmp_path)
    assert entries["a.png"].record == entries["b.png"].record == {"k": 1, "palette": palette}
    assert "palette_packed" in (tmp_path / ".quantize-batch.jsonl").read_text().splitlines()[1]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_manifest_that_cannot_be_written_is_named_with_the_output(tmp_path, monkeypatch):
    """A full disk was reported as 'quantize: error: No space left on device', naming no file.
    (The record is opened as /dev/full: a link there is refused, not followed.)"""
    from quantize.batch import manifest

    monkeypatch.setattr(manifest, "_no_link", lambda name, flags: os.open("/dev/full", flags))
    with pytest.raises(OutputError) as info:
        record_output(tmp_path, tmp_path / "sub" / "a.png", {}, {"k": 2})
    assert str(info.value) == (f"{tmp_path / batch.MANIFEST_NAME}: cannot add 'sub/a.png' to "
                               "the record of finished outputs (No space left on device)")


def _disk_full_after(monkeypatch, room: int) -> None:
    """Make the manifest's appends take ``room`` bytes, then fail as on a full disk."""
    left = [room]

    def cut(data: bytes) -> int | None:
        if len(data) <= left[0]:
            left[0] -= len(data)
            return None
        kept, left[0] = left[0], 0
        return kept

    record_filling_up(monkeypatch, cut)


@pytest.mark.parametrize("torn", [False, True])
def test_an_append_a_full_disk_cuts_short_leaves_the_record_as_it_was(tmp_path, monkeypatch,
                                                                       torn):
    """A 200 KB disk filled up mid-line: the record ended in an 858-byte line cut short, the
    next run warned of a line it could not read and kept a damaged copy. The file is now cut
    back to its length before (a torn last line, left by a killed run, stays as it was), and
    the error is one line naming the file and the output."""
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 4}, {"k": 2})
    path = tmp_path / batch.MANIFEST_NAME
    if torn:
        with open(path, "a") as f:
            f.write('{"version": 1, "output": "t.png", "sett')
    before = path.read_bytes()
    _disk_full_after(monkeypatch, 40)
    with pytest.raises(OutputError) as info:
        record_output(tmp_path, tmp_path / "b.png", {"n_colors": 4}, {"k": 3, "psnr": 30.5})
    assert path.read_bytes() == before
    assert str(info.value) == (f"{path}: cannot add 'b.png' to the record of finished "
                               "outputs (No space left on device)")
    assert info.value.os_errno == errno.ENOSPC  # a full disk (failure_kind: disk_full)
    monkeypatch.undo()
    assert load_manifest(tmp_path).n_unread == int(torn)  # no line cut short by this run
    record_output(tmp_path, tmp_path / "b.png", {"n_colors": 4}, {"k": 3})
    assert sorted(read_manifest(tmp_path)) == ["a.png", "b.png"]


def test_a_pending_record_a_full_disk_cuts_short_leaves_the_record_as_it_was(tmp_path,
                                                                            monkeypatch):
    """The lines of several outputs, written at once (pending, removed), are all or none."""
    from quantize.batch.manifest import record_pending

    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})
    path = tmp_path / batch.MANIFEST_NAME
    before = path.read_bytes()
    _disk_full_after(monkeypatch, 150)
    outputs = [(tmp_path / f"{name}.png", f"../in/{name}.png") for name in "bcd"]
    for call in (lambda: record_pending(tmp_path, outputs, {}),
                 lambda: record_removed(tmp_path, *(out for out, _ in outputs))):
        with pytest.raises(OutputError, match="cannot add 'b.png' to the record"):
            call()
        assert path.read_bytes() == before


def test_a_torn_line_is_ignored_and_the_next_entry_starts_a_fresh_line(tmp_path):
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})
    with open(tmp_path / batch.MANIFEST_NAME, "a") as f:
        f.write('{"version": 1, "output": "b.png", "sett')      # killed mid-write
    record_output(tmp_path, tmp_path / "c.png", {}, {"k": 3})
    lines = (tmp_path / batch.MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["output"] == "c.png"
    assert sorted(read_manifest(tmp_path)) == ["a.png", "c.png"]


def test_compacting_keeps_the_latest_entry_of_each_output_in_finishing_order(tmp_path):
    compact_manifest(tmp_path)                                   # no manifest: nothing to do
    assert not (tmp_path / batch.MANIFEST_NAME).exists()
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 8}, {"k": 8})
    record_output(tmp_path, tmp_path / "b.png", {"n_colors": 8}, {"k": 7})
    with open(tmp_path / batch.MANIFEST_NAME, "a") as f:
        f.write('{"version": 1, "output": "c.png", "sett\n')     # torn by a crash
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 4}, {"k": 4})
    before, text = read_manifest(tmp_path), (tmp_path / batch.MANIFEST_NAME).read_bytes()
    copy = compact_manifest(tmp_path)
    lines = [json.loads(line) for line in
             (tmp_path / batch.MANIFEST_NAME).read_text().splitlines()]
    assert [line["output"] for line in lines] == ["b.png", "a.png"]
    assert read_manifest(tmp_path) == before
    # the torn line was dropped only once the file was kept as it was, beside it
    assert copy == tmp_path / (batch.MANIFEST_NAME + ".damaged")
    assert copy.read_bytes() == text
    assert sorted(os.listdir(tmp_path)) == [batch.MANIFEST_NAME, copy.name]  # no temporary
    stamp = (tmp_path / batch.MANIFEST_NAME).stat().st_mtime_ns
    assert compact_manifest(tmp_path) is None                    # nothing to drop: untouched
    assert (tmp_path / batch.MANIFEST_NAME).stat().st_mtime_ns == stamp


def test_compacting_only_superseded_lines_keeps_no_copy(tmp_path):
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 8}, {"k": 8})
    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 4}, {"k": 4})
    assert compact_manifest(tmp_path) is None
    assert os.listdir(tmp_path) == [batch.MANIFEST_NAME]
    assert len((tmp_path / batch.MANIFEST_NAME).read_text().splitlines()) == 1


def test_compacting_a_manifest_of_no_readable_line_keeps_it_whole_first(tmp_path):
    # The run's rewrite emptied it: the record of every output was gone for good.
    junk = b"x{\n" + bytes(range(256))
    (tmp_path / batch.MANIFEST_NAME).write_bytes(junk)
    copy = compact_manifest(tmp_path)
    assert copy.name == ".quantize-batch.jsonl.damaged" and copy.read_bytes() == junk
    assert (tmp_path / batch.MANIFEST_NAME).read_bytes() == b""


def test_a_damaged_copy_never_replaces_an_earlier_one(tmp_path):
    manifest = tmp_path / batch.MANIFEST_NAME
    manifest.write_bytes(b"third\n")
    (tmp_path / ".quantize-batch.jsonl.damaged").write_bytes(b"first\n")
    (tmp_path / ".quantize-batch.jsonl.damaged-2").symlink_to("nowhere")  # a name taken too
    copy = damaged_copy(manifest)
    assert copy == tmp_path / ".quantize-batch.jsonl.damaged-3"
    assert [copy.read_bytes(), (tmp_path / ".quantize-batch.jsonl.damaged").read_bytes(),
            manifest.read_bytes()] == [b"third\n", b"first\n", b"third\n"]
    assert os.readlink(tmp_path / ".quantize-batch.jsonl.damaged-2") == "nowhere"


def test_a_manifest_left_as_it_is_when_no_copy_can_be_kept(tmp_path, monkeypatch):
    def refused(files, **kwargs):
        raise OutputError("cannot write (Read-only file system)", path=tmp_path)

    monkeypatch.setattr(batch.manifest, "write_together", refused)
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})
    with open(tmp_path / batch.MANIFEST_NAME, "a") as f:
        f.write('{"version": 1, "output": "b.png", "sett')
    text = (tmp_path / batch.MANIFEST_NAME).read_bytes()
    with pytest.raises(OutputError):
        compact_manifest(tmp_path)
    assert (tmp_path / batch.MANIFEST_NAME).read_bytes() == text
    assert os.listdir(tmp_path) == [batch.MANIFEST_NAME]


def test_lines_of_another_version_or_shape_are_ignored(tmp_path):
    lines = [{"version": 2, "output": "a.png", "settings": {}, "record": {}},
             {"version": 1, "output": "b.png", "settings": [], "record": {}}, [1, 2]]
    (tmp_path / batch.MANIFEST_NAME).write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert read_manifest(tmp_path) == {}
    assert read_manifest(tmp_path / "none") == {}


_ENTRY = '{"version": 1, "output": "a.png", "settings": {}, "record": {}}\n'


@pytest.mark.parametrize("text, unreadable, n_unread", [
    ("garbage{\n", True, 1), ("\x00\xff junk", True, 1), ("garbage{\n\n[1, 2]\n", True, 2),
    ("", False, 0), ("\n\n", False, 0), (None, False, 0),
    ('{"version": 1, "output": "a.png", "sett', True, 1),   # nothing but a torn line
    (_ENTRY + '{"version": 1, "output": "b.png", "sett', False, 1),  # one torn after an entry
    (_ENTRY.replace('"version": 1', '"version": 2') + "\n" + _ENTRY + "[]\n", False, 2),
])
def test_a_manifest_is_unreadable_when_no_line_of_it_is_an_entry(tmp_path, text, unreadable,
                                                                  n_unread):
    if text is not None:
        (tmp_path / batch.MANIFEST_NAME).write_text(text, encoding="latin-1")
    found = load_manifest(tmp_path)
    assert (found.unreadable, found.n_unread) == (unreadable, n_unread)


def test_a_manifest_that_is_a_folder_or_a_dangling_link_is_refused_in_one_line(tmp_path):
    # A dangling link was taken for no manifest: every output of no record, and a run with
    # jobs made a new record at the link's target.
    manifest = tmp_path / batch.MANIFEST_NAME
    manifest.mkdir()
    with pytest.raises(OutputError) as info:
        load_manifest(tmp_path)
    assert str(info.value) == (
        f"{manifest}: cannot read the record of finished outputs (Is a directory); expected "
        "a file: restore it, or move it away to start a new record (its outputs are then of "
        "no record); no file was processed")
    manifest.rmdir()
    manifest.symlink_to(tmp_path / "gone" / "record.jsonl")
    with pytest.raises(OwnFileError) as info:
        load_manifest(tmp_path)
    assert info.value.reason.startswith(
        f"is a symbolic link (to '{tmp_path / 'gone' / 'record.jsonl'}'); quantize keeps its "
        "record of finished outputs there itself")
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize("target", ["elsewhere.jsonl", "gone.jsonl"])
def test_a_link_at_the_records_name_is_refused_for_reads_and_appends(tmp_path, target):
    # Appends went through the link while a rewrite replaced it: one rule now, refused.
    from quantize.batch.manifest import check_appendable

    out = tmp_path / "out"
    out.mkdir()
    if target == "elsewhere.jsonl":
        record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})
        (tmp_path / batch.MANIFEST_NAME).rename(tmp_path / target)
    text = (tmp_path / target).read_bytes() if target == "elsewhere.jsonl" else None
    (out / batch.MANIFEST_NAME).symlink_to(tmp_path / target)
    line = (f"{out / batch.MANIFEST_NAME}: is a symbolic link (to '{tmp_path / target}'); "
            "quantize keeps its record of finished outputs there itself: put the file it "
            "leads to in its place, or remove the link to start a new record; no file was "
            "processed")
    for call in (load_manifest, check_appendable):
        with pytest.raises(OwnFileError) as info:
            call(out)
        assert (str(info.value), info.value.exit_code) == (line, 2)
    with pytest.raises(OutputError, match="cannot add 'b.png' to the record"):
        record_output(out, out / "b.png", {}, {"k": 2})   # not through the link
    assert (out / batch.MANIFEST_NAME).is_symlink()
    if text is None:
        assert not (tmp_path / target).exists()
    else:
        assert (tmp_path / target).read_bytes() == text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_at_the_records_name_is_refused_for_reads_and_appends(tmp_path):
    # Opening it waited for a writer (or a reader) forever: the batch hung.
    from quantize.batch.manifest import check_appendable

    os.mkfifo(tmp_path / batch.MANIFEST_NAME)
    line = (f"{tmp_path / batch.MANIFEST_NAME}: is a pipe, device or socket; quantize keeps "
            "its record of finished outputs there itself: remove it to start a new record; no "
            "file was processed")
    for call in (load_manifest, check_appendable):
        with pytest.raises(OwnFileError) as info:
            call(tmp_path)
        assert (str(info.value), info.value.exit_code) == (line, 2)


def test_a_torn_line_after_entries_leaves_the_manifest_readable(tmp_path):
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})
    record_removed(tmp_path, tmp_path / "a.png")   # read, though it leaves no entry
    with open(tmp_path / batch.MANIFEST_NAME, "a") as f:
        f.write('{"version": 1, "output": "b.png", "sett')      # killed mid-write
    found = load_manifest(tmp_path)
    assert (found.entries, found.unreadable) == ({}, False)


def test_planning_warns_of_a_manifest_with_no_line_readable(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    Image.new("RGB", (2, 2)).save(src / "a.png")
    Image.new("RGB", (2, 2)).save(out / "a.png")
    (out / batch.MANIFEST_NAME).write_text("garbage{\n")
    with pytest.warns(batch.ManifestUnreadableWarning) as caught:
        plan = batch.plan_batch(src, out, COPY)
    assert [str(w.message) for w in caught] == [
        f"{out / batch.MANIFEST_NAME}: no line could be read as a record; its outputs are "
        "treated as of no record (force=True makes them again); the file as it was is kept "
        f"as {out / batch.MANIFEST_NAME}.damaged"]
    assert caught[0].filename == __file__          # the caller's line, not quantize's
    assert [(r.status, r.record) for r in plan.settled] == [("skipped", {})]
    assert (out / ".quantize-batch.jsonl.damaged").read_text() == "garbage{\n"
    assert (out / batch.MANIFEST_NAME).read_text() == ""   # rewritten without it: said once
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch.plan_batch(src, out, COPY)


def _planned_with_a_torn_line(tmp_path):
    """An input folder of a.png and b.png, and an output folder holding both outputs,
    recorded, the record of b.png cut short."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (2, 2)).save(src / name)
        Image.new("RGB", (2, 2)).save(out / name)
    settings = output_settings(COPY.checked_options({}))
    for name in ("a.png", "b.png"):
        record_output(out, out / name, settings, {"k": 1}, source=f"../in/{name}")
    manifest = out / batch.MANIFEST_NAME
    text = manifest.read_bytes()
    manifest.write_bytes(text[:-40])
    return src, out, text[:-40]


def test_planning_warns_of_a_line_cut_short_among_lines_read(tmp_path):
    # It was not said: b.png's output became of no record for good, without a word.
    src, out, text = _planned_with_a_torn_line(tmp_path)
    with pytest.warns(batch.ManifestUnreadableWarning) as caught:
        plan = batch.plan_batch(src, out, COPY)
    assert [str(w.message) for w in caught] == [
        f"{out / batch.MANIFEST_NAME}: 1 line could not be read as a record (cut short, or "
        "written by another version); the output it recorded is treated as of no record "
        f"(force=True makes it again); the file as it was is kept as "
        f"{out / batch.MANIFEST_NAME}.damaged"]
    assert [(r.input.name, r.record) for r in plan.settled] == [
        ("a.png", {"k": 1}), ("b.png", {})]
    assert (out / ".quantize-batch.jsonl.damaged").read_bytes() == text
    assert [json.loads(line)["output"] for line in
            (out / batch.MANIFEST_NAME).read_text().splitlines()] == ["a.png"]


def test_planning_says_a_manifest_it_cannot_copy_aside_is_left_as_it_is(tmp_path, monkeypatch):
    src, out, text = _planned_with_a_torn_line(tmp_path)

    def refused(files, **kwargs):
        raise OutputError(f"cannot write in {out} (Read-only file system)", path=out)

    monkeypatch.setattr(batch.manifest, "write_together", refused)
    with pytest.warns(batch.ManifestUnreadableWarning) as caught:
        batch.plan_batch(src, out, COPY)
    assert str(caught[0].message).endswith(
        "(force=True makes it again); it is left as it is, as it could not be copied aside: "
        f"cannot write in {out} (Read-only file system)")
    assert (out / batch.MANIFEST_NAME).read_bytes() == text
    assert sorted(os.listdir(out)) == [batch.MANIFEST_NAME, "a.png", "b.png"]


def test_the_warning_of_lines_not_read_survives_pickling(tmp_path):
    import pickle

    w = batch.ManifestUnreadableWarning(tmp_path / "m", 3, True, tmp_path / "m.damaged")
    back = pickle.loads(pickle.dumps(w))
    assert (str(back), back.n_unread, back.copy) == (str(w), 3, tmp_path / "m.damaged")
    assert "3 lines could not be read as a record" in str(w)
    assert "the outputs they recorded are treated as of no record" in str(w)


def test_changed_settings_lists_only_the_differences():
    assert changed_settings({"n_colors": 8, "seed": 0, "space": "rgb"},
                            {"n_colors": 8, "seed": 3, "dither": 1.0}) == (
        {"dither": None, "seed": 0, "space": "rgb"}, {"dither": 1.0, "seed": 3, "space": None})


def test_options_changed_is_an_output_exists_error_that_survives_pickling(tmp_path):
    import pickle

    err = OptionsChangedError(tmp_path, 2, {"n_colors": 8}, {"n_colors": 16})
    assert isinstance(err, OutputExistsError) and err.exit_code == ExitCode.EXISTS
    assert str(err) == (f"{tmp_path}: 2 outputs were made with n_colors=8, while this run "
                        "asks for n_colors=16; pass force=True to redo them, or choose "
                        "another output_dir")
    one = OptionsChangedError(tmp_path, 1, {"n_colors": 8}, {"n_colors": 16})
    assert str(one) == (f"{tmp_path}: 1 output was made with n_colors=8, while this run "
                        "asks for n_colors=16; pass force=True to redo it, or choose another "
                        "output_dir")
    one = OptionsChangedError(tmp_path, 1, {"n_colors": 8}, {"n_colors": 16}, unfinished=True)
    assert "stopped before it redid it: pass force=True to finish it" in str(one)
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.count, back.before, back.now) == (str(err), 2, {"n_colors": 8},
                                                             {"n_colors": 16})
    with pytest.raises(OutputExistsError, match="1 output was made with seed=0"):
        raise OptionsChangedError(tmp_path, 1, {"seed": 0}, {"seed": 1})


def test_find_conflict_counts_the_differing_outputs_and_names_the_first(tmp_path,
                                                                        monkeypatch):
    from quantize.batch import manifest

    settings = {"n_colors": 16, "palette": "per-frame"}
    entries = [manifest.Entry({"n_colors": 16, "palette": "per-frame"}, {"frames": 3}),
               manifest.Entry({"n_colors": 8, "palette": "per-frame"}, {"frames": 3}),
               manifest.Entry({"n_colors": 4, "palette": "per-frame"}, {"frames": 3})]
    # found under the name this run gives it, a still: the palette mode does not bear on it
    same_names = [manifest.Entry({"n_colors": 16, "palette": "global"}, {"frames": 1}),
                  manifest.Entry({"n_colors": 16, "palette": "global"}, {"frames": 2})]
    compared = []
    bearing = manifest._as_bearing
    monkeypatch.setattr(manifest, "_as_bearing",
                        lambda *args: compared.append(args[0]) or bearing(*args))
    err = manifest.find_conflict(entries, settings, tmp_path, None, same_names)
    assert (err.count, err.before, err.now) == (3, {"n_colors": 8}, {"n_colors": 16})
    # each output's settings are stripped of those that do not bear on it once, not
    # again for the first that differs
    assert compared == entries + same_names
    assert manifest.find_conflict(entries[:1], settings, tmp_path, None, same_names[:1]) is None


def test_a_file_name_that_is_not_utf8_round_trips(tmp_path):
    name = os.fsdecode(b"caf\xe9.png")                  # Latin-1 bytes: a surrogate escape
    record_output(tmp_path, tmp_path / name, {}, {"output": str(tmp_path / name)})
    [(key, entry)] = read_manifest(tmp_path).items()
    assert key == name and entry.record == {"output": str(tmp_path / name)}


def test_an_input_stamp_holds_size_time_and_digest(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"pixels")
    stamp = batch.manifest.input_stamp(photo)
    assert stamp == {"size": 6, "mtime_ns": photo.stat().st_mtime_ns,
                     "sha256": hashlib.sha256(b"pixels").hexdigest()}
    assert not batch.manifest.input_changed(stamp, photo)


@pytest.mark.parametrize(("content", "shift_ns", "changed"), [
    (b"pixels", 0, False),           # as recorded
    (b"pixels", 5_000_000_000, False),  # touched, copied or restored: same bytes
    (b"PIXELS", 5_000_000_000, True),   # edited in place: same size, other bytes
    (b"PIXELS", 0, False),           # edited keeping size and time: trusted, as make does
    (b"pixels!", 0, True),           # another size
])
def test_an_input_changed_when_its_size_or_its_bytes_at_another_time_differ(
        tmp_path, content, shift_ns, changed):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"pixels")
    stamp = batch.manifest.input_stamp(photo)
    photo.write_bytes(content)
    when = stamp["mtime_ns"] + shift_ns
    os.utime(photo, ns=(when, when))
    assert batch.manifest.input_changed(stamp, photo) is changed
    if not changed:  # what the next run records, so as not to read the file again
        expected = None if shift_ns == 0 else {**stamp, "mtime_ns": when}
        assert batch.manifest.restamp(stamp, photo) == expected


def test_an_entry_without_an_input_stamp_never_counts_as_changed(tmp_path):
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})   # as older versions wrote
    record_output(tmp_path, tmp_path / "b.png", {}, {"k": 3}, {"size": 1, "mtime_ns": 2,
                                                               "sha256": "00"})
    entries = read_manifest(tmp_path)
    assert entries["a.png"].input is None
    assert entries["b.png"].input == {"size": 1, "mtime_ns": 2, "sha256": "00"}
    assert not batch.manifest.input_changed(entries["a.png"].input, tmp_path / "gone.jpg")
    assert batch.manifest.input_changed(entries["b.png"].input, tmp_path / "gone.jpg")


def test_skip_if_larger_does_not_shape_outputs_also_as_recorded_before(tmp_path):
    now = output_settings({"n_colors": 8, "skip_if_larger": True})
    assert now == {"n_colors": 8, "shared_palette": False}
    (tmp_path / "a.png").touch()
    record_output(tmp_path, tmp_path / "a.png", {**now, "skip_if_larger": False}, {"k": 8})
    assert dict(read_manifest(tmp_path)["a.png"].settings) == now


@pytest.mark.parametrize("given", ["real", "link/.."])
def test_the_source_is_the_file_read_and_a_rerun_skips_it(tmp_path, monkeypatch, given):
    """``link/..`` (link -> real/sub) is ``real``: its source was recorded as ``../a.png``,
    the file beside the link, ".." dropped with the link's name."""
    link_to_sub(tmp_path)
    monkeypatch.chdir(tmp_path)
    [made] = batch.run_batch(batch.plan_batch(Path(given), Path("out"), COPY), jobs=1)
    assert made.status == "ok"
    assert read_manifest("out")["a.png"].source == "../real/a.png"
    again = batch.plan_batch(Path(given), Path("out"), COPY)
    assert (again.jobs, [r.status for r in again.settled]) == ([], ["skipped"])


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """An item for each manifest parsed from now on."""
    import quantize.batch.manifest as manifest

    parsed: list[None] = []
    real = manifest._latest_lines

    def counted(*args):
        parsed.append(None)
        return real(*args)

    monkeypatch.setattr(manifest, "_latest_lines", counted)
    return parsed


def _two_images(src: Path) -> None:
    src.mkdir()
    for name, colour in (("a.png", (200, 0, 0)), ("b.png", (0, 0, 200))):
        Image.new("RGB", (4, 4), colour).save(src / name)


def test_a_run_parses_its_manifest_once_before_its_jobs(tmp_path, monkeypatch):
    """A rerun with force finishing a stopped one onto its shared palette parsed the
    manifest five times before its first job: in planning for its entries and again for
    that run, twice for the palette (fitted by that run? with these settings?), and once
    more to compact it."""
    import quantize.batch.run as run_module

    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)

    def plan(**kwargs):
        return batch.plan_batch(src, out, batch.reduce_mode(), shared_palette=True,
                                options={"n_colors": 2, "seed": 0}, **kwargs)

    first = batch.shared_palette(plan(), samples_per_file=100, jobs=1)
    batch.run_batch(first.plan, jobs=1)
    stopped = "0123456789abcdef"  # a run with force that fitted the palette, then stopped
    record_output(out, out / batch.SHARED_PALETTE_NAME, first.plan.settings,
                  {"k": 2, "files": 2}, run=stopped)
    record_forced_run(out, first.plan.settings, stopped)
    parsed = _parses(monkeypatch)
    at_first_job = []
    real_run_calls = run_module.run_calls

    def run_calls(*args, **kwargs):
        at_first_job.append(len(parsed))
        return real_run_calls(*args, **kwargs)

    monkeypatch.setattr(run_module, "run_calls", run_calls)
    forced = plan(force=True)
    assert (forced.run, forced.finishing) == (stopped, True)
    shared = batch.shared_palette(forced, samples_per_file=100, jobs=1)
    assert shared.n_files == 0  # that run's palette, reused
    results = batch.run_batch(shared.plan, jobs=1)
    assert [r.status for r in results] == ["ok", "ok"]
    assert at_first_job == [1]


def test_planning_parses_the_manifest_once_also_to_refuse_changed_settings(tmp_path,
                                                                         monkeypatch):
    """The refusal says that a run with force and these settings stopped: that was a
    third parse."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for seed, name in enumerate(("a.png", "b.png")):  # more colours than -k: k-means runs
        noise = np.random.default_rng(seed).integers(0, 256, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(noise).save(src / name)
    done = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 2})
    batch.run_batch(done, jobs=1)
    wanted = batch.plan_batch(src, tmp_path / "elsewhere", batch.reduce_mode(),
                              options={"n_colors": 3}).settings
    record_forced_run(out, wanted, "0123456789abcdef")
    parsed = _parses(monkeypatch)
    with pytest.raises(OptionsChangedError) as info:
        batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 3})
    assert (info.value.count, info.value.unfinished, len(parsed)) == (2, True, 1)


def test_remove_unclaimed_uses_the_entries_planning_read(tmp_path, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    _two_images(src)
    batch.run_batch(batch.plan_batch(src, out, COPY), jobs=1)
    (src / "b.png").unlink()
    plan = batch.plan_batch(src, out, COPY)
    parsed = _parses(monkeypatch)
    assert batch.remove_unclaimed(plan) == ([out / "b.png"], {})
    assert parsed == [] and sorted(os.listdir(out)) == [batch.MANIFEST_NAME, "a.png"]


def test_the_compaction_a_run_starts_with_keeps_what_was_added_since_planning(tmp_path):
    """The manifest as planning read it is rewritten only while the file is as read: a
    line added since (by another run into the folder) is kept."""
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 2})
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 3})  # a line to drop
    found = batch.manifest.load_manifest(tmp_path)
    compact_manifest(tmp_path, found)
    assert len((tmp_path / batch.MANIFEST_NAME).read_text().splitlines()) == 1
    record_output(tmp_path, tmp_path / "a.png", {}, {"k": 4})
    found = batch.manifest.load_manifest(tmp_path)
    record_output(tmp_path, tmp_path / "b.png", {}, {"k": 5})  # after it was read
    compact_manifest(tmp_path, found)
    lines = (tmp_path / batch.MANIFEST_NAME).read_text().splitlines()
    assert [json.loads(line)["record"]["k"] for line in lines] == [4, 5]


def test_entries_recorded_together_read_back_as_recorded_one_by_one(tmp_path):
    from quantize.batch.manifest import Entry, record_entries

    one, together = tmp_path / "one", tmp_path / "together"
    settings = {"n_colors": 4}
    entries = [(Path("a.png"), Entry(settings, {"k": 4}, {"size": 1}, "../in/a.jpg")),
               (Path("b.png"), Entry(settings, {}, None, "../in/b.jpg", unclaimed=True,
                                     pending=True)),
               (Path("a.png"), Entry(settings, {"k": 3}, {"size": 2}, "../in/a.jpg",
                                     unclaimed=True, run="r1"))]
    for folder in (one, together):
        folder.mkdir()
    for output, entry in entries:
        if entry.pending:
            batch.manifest.record_pending(one, [(one / output, entry.source)], entry.settings,
                                          entry.unclaimed)
        else:
            batch.manifest.record_output(one, one / output, entry.settings, entry.record,
                                         entry.input, entry.source, entry.unclaimed, entry.run)
    record_entries(together, [(together / output, entry) for output, entry in entries])
    name = batch.MANIFEST_NAME
    assert (together / name).read_bytes() == (one / name).read_bytes()
    assert batch.read_manifest(together, pending=True) == {"a.png": entries[2][1],
                                                           "b.png": entries[1][1]}


def _lines(folder: Path) -> list[str]:
    return (folder / batch.MANIFEST_NAME).read_text().splitlines()


def test_a_manifest_with_no_line_to_drop_is_read_without_its_lines_and_left_as_it_is(tmp_path):
    settings = {"n_colors": 8, "dither": 1, "space": "rgb"}
    for name in ("a.png", "b.png"):
        record_output(tmp_path, tmp_path / name, settings, {"k": 8, "palette": []},
                      input={"size": 3, "mtime_ns": 4, "sha256": "ab"})
    before = os.stat(tmp_path / batch.MANIFEST_NAME)
    found = load_manifest(tmp_path)
    assert (found.kept, found.n_lines, sorted(found.entries)) == (None, 2, ["a.png", "b.png"])
    assert compact_manifest(tmp_path, found) is None
    after = os.stat(tmp_path / batch.MANIFEST_NAME)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    record_output(tmp_path, tmp_path / "a.png", settings, {"k": 4})  # supersedes a line
    found = load_manifest(tmp_path)
    assert found.kept == tuple(_lines(tmp_path)[1:])
    compact_manifest(tmp_path, found)
    assert len(_lines(tmp_path)) == 2


def test_entries_of_alike_settings_share_them_and_are_written_back_as_they_were(tmp_path):
    alike = {"n_colors": 8, "dither": 1, "space": "rgb"}
    given = [alike, dict(alike), {**alike, "dither": 1.0}, {**alike, "dither": True},
             {**alike, "weights": [1, 2]}, {**alike, "weights": [1, 2]}]
    for i, settings in enumerate(given):
        record_output(tmp_path, tmp_path / f"{i}.png", settings, {"k": 8, "psnr": 30.0},
                      input={"size": i, "mtime_ns": 4, "sha256": "ab"})
    written = _lines(tmp_path)
    entries = load_manifest(tmp_path).entries
    assert entries["0.png"].settings is entries["1.png"].settings
    assert len({id(entries[f"{i}.png"].settings) for i in range(len(given))}) == 5
    assert [entries[f"{i}.png"].settings for i in range(len(given))] == given
    assert [type(entries[f"{i}.png"].settings["dither"]) for i in range(4)] == [
        int, int, float, bool]
    (tmp_path / batch.MANIFEST_NAME).unlink()
    batch.manifest.record_entries(tmp_path, [(tmp_path / key, entry)
                                             for key, entry in entries.items()])
    assert _lines(tmp_path) == written


def test_reading_a_manifest_pauses_the_collector_and_leaves_it_as_it_was(tmp_path,
                                                                           monkeypatch):
    import gc

    record_output(tmp_path, tmp_path / "a.png", {"n_colors": 8}, {"k": 8})
    collecting = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda text: collecting.append(gc.isenabled())
                        or real(text))
    assert gc.isenabled()
    assert set(load_manifest(tmp_path).entries) == {"a.png"}
    assert (collecting, gc.isenabled()) == ([False], True)
    gc.disable()
    try:
        load_manifest(tmp_path)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_ext_bears_on_an_output_only_under_another_name():
    """An output found under the name a run gives it is in the format that name says,
    whatever ext named it; one under another name was made with other options."""
    from quantize.batch.manifest import Entry, made_alike

    still = Entry({"n_colors": 8}, {"frames": 1})
    assert made_alike(still, {"n_colors": 8, "ext": ".png"}, same_name=True)
    assert not made_alike(still, {"n_colors": 8, "ext": ".png"})
    animation = Entry({"n_colors": 8, "ext": ".gif"}, {"frames": 3})
    assert made_alike(animation, {"n_colors": 8}, same_name=True)
    assert not made_alike(animation, {"n_colors": 8, "ext": ".webp"})


@pytest.mark.parametrize("count, unfinished, fix", [
    (2, False, "pass force=True to redo them under their new names, which removes the "
               "earlier outputs, or choose another output_dir to keep both sets"),
    (1, False, "pass force=True to redo it under its new name, which removes the earlier "
               "output, or choose another output_dir to keep both sets"),
    (1, True, "a run with force=True and these settings stopped before it redid it: pass "
              "force=True to finish it (the outputs it made are not redone), or choose "
              "another output_dir to keep both sets")])
def test_options_changed_of_renamed_outputs_says_force_removes_the_earlier_ones(
        tmp_path, count, unfinished, fix):
    """Outputs of another ext are renamed: force removes each earlier one once its new one is
    made, as the command line said ("which removes the earlier outputs"); the library's
    message said only to redo them with force=True."""
    err = OptionsChangedError(tmp_path, count, {"ext": ".png"}, {"ext": ".gif"}, unfinished)
    outputs = "1 output was" if count == 1 else "2 outputs were"
    assert str(err) == (f"{tmp_path}: {outputs} made with ext='.png', while this run asks for "
                        f"ext='.gif'; {fix}")


@pytest.mark.parametrize("recorded, asked", [({"seed": None}, {}), ({}, {"seed": None})])
def test_options_changed_says_a_setting_null_on_one_side_and_missing_on_the_other(
        tmp_path, recorded, asked):
    """The settings differ (one holds the key, the other not) but both read None: the
    error said "made with , while this run asks for ;"."""
    from quantize.batch import manifest

    entries = [manifest.Entry({"n_colors": 8, **recorded}, {"k": 8, "psnr": 30.5})]
    err = manifest.find_conflict(entries, {"n_colors": 8, **asked}, tmp_path, None)
    before, now = ("seed=None", "seed missing") if recorded else ("seed missing", "seed=None")
    assert str(err) == (f"{tmp_path}: 1 output was made with {before}, while this run asks "
                        f"for {now}; pass force=True to redo it, or choose another "
                        "output_dir")
    assert changed_settings({"n_colors": 8, **recorded}, {"n_colors": 8, **asked}) == (
        err.before, err.now)
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.before, back.now) == (str(err), err.before, err.now)
    assert manifest.MISSING in (*back.before.values(), *back.now.values())
