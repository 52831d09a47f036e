"""quantize.batch.plan: discovery, output mapping, overlap checks, the mode's option checker."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from quantize import batch
from quantize.errors import ExitCode, ImageReadError

from .batch_support import BAD, COPY, GOOD, copy_job, make_photo_tree
from .fs_support import symlink_or_skip


@pytest.fixture
def photo_tree(tmp_path):
    return make_photo_tree(tmp_path / "in")


def test_find_images_by_extension_and_pattern(photo_tree):
    flat = batch.find_images(photo_tree)
    assert [p.name for p in flat] == ["astronaut.jpg", "chelsea.png", "empty.jpg", "notes.jpg"]
    deep = batch.find_images(photo_tree, recursive=True)
    assert {p.relative_to(photo_tree).as_posix() for p in deep} == GOOD | BAD
    only = batch.find_images(photo_tree, recursive=True, pattern="sub/*.png")
    assert [p.name for p in only] == ["rocket.png", "truncated.png"]


@pytest.mark.parametrize("pattern, exclude_pattern, found", [
    (["*.png", "sub/*.jpg"], None, ["chelsea.png", "sub/coffee.jpg", "sub/rocket.png",
                                    "sub/truncated.png"]),
    (("*.png",), ["trunc*", "rocket.png"], ["chelsea.png"]),
    (None, "sub/**", ["astronaut.jpg", "chelsea.png", "empty.jpg", "notes.jpg"]),
    (None, ["*.jpg", "*.PNG"], ["chelsea.png", "sub/rocket.png", "sub/truncated.png"]),
    ("**", "*.*", []),
])
def test_find_images_takes_any_pattern_and_leaves_out_the_excluded(photo_tree, pattern,
                                                                   exclude_pattern, found):
    """Several patterns: a file matching any; exclude patterns, matched as patterns are
    (from the end, case-sensitive), leave files out of both selections."""
    chosen = batch.find_images(photo_tree, recursive=True, pattern=pattern,
                               exclude_pattern=exclude_pattern)
    assert [p.relative_to(photo_tree).as_posix() for p in chosen] == found


@pytest.mark.parametrize("pattern, exclude_pattern, found", [
    # a name without a wildcard: a file of that name, and the files under such folders
    (None, "thumbs", ["a/thumbs.png", "thumbsup/v.png", "x.png"]),
    (None, "thumbs/", ["a/thumbs.png", "thumbsup/v.png", "x.png"]),  # folders only
    (None, "a/thumbs", ["a/thumbs.png", "thumbs/t.png", "thumbsup/v.png", "x.png"]),
    (None, "thumb*/", ["a/thumbs.png", "x.png"]),
    (None, "thumb*", ["a/thumbs/u.png", "thumbs/t.png", "thumbsup/v.png", "x.png"]),  # files
    ("thumbs", None, ["a/thumbs/u.png", "b/thumbs", "thumbs/t.png"]),  # --glob as --exclude
    ("thumbs/", None, ["a/thumbs/u.png", "thumbs/t.png"]),
    ("*", "thumbs", ["a/thumbs.png", "thumbsup/v.png", "x.png"]),
])
def test_a_pattern_naming_a_folder_selects_the_files_under_it(tmp_path, pattern,
                                                              exclude_pattern, found):
    """--exclude thumbs, or thumbs/, left out only a file named thumbs (a path drops its
    last slash), not the folder meant: a pattern ending in / names folders, and one without
    a wildcard a file or a folder, for --glob as for --exclude."""
    for name in ("x.png", "thumbs/t.png", "a/thumbs/u.png", "a/thumbs.png", "b/thumbs",
                 "thumbsup/v.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    chosen = batch.find_images(tmp_path, recursive=True, pattern=pattern,
                               exclude_pattern=exclude_pattern)
    assert [p.relative_to(tmp_path).as_posix() for p in chosen] == found


@pytest.mark.parametrize("kwargs, error, match", [
    ({"exclude_pattern": "//"}, ValueError,
     "^exclude_pattern='//' names no file nor folder; expected a pattern such as '\\*.jpg' "
     "or 'thumbs/'$"),
    ({"pattern": ["*.png", ""]}, ValueError,
     "^pattern='' is empty; expected a pattern such as '\\*.jpg'$"),
    ({"exclude_pattern": ""}, ValueError,
     "^exclude_pattern='' is empty; expected a pattern such as '\\*.jpg'$"),
    ({"exclude_pattern": [Path("a.png")]}, TypeError,
     "^exclude_pattern=PosixPath\\('a.png'\\) is a PosixPath; expected a string such as"),
])
def test_find_images_refuses_a_bad_pattern(photo_tree, kwargs, error, match):
    if os.name == "nt" and error is TypeError:
        pytest.skip("a WindowsPath there")
    with pytest.raises(error, match=match):
        batch.find_images(photo_tree, **kwargs)


def test_the_plan_names_the_files_and_folders_the_search_passed_over(tmp_path):
    """A folder's .heic and .svg files and its sub-folders (without recursive) were left
    out without a word: the summary said "2/2 files"."""
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "old.segments").mkdir()  # a folder of quantize's outputs: not one to enter
    (src / "old.segments" / "segments.json").write_text("{}")
    (src / "old.segments" / "labels.png").write_bytes(b"")
    (src / ".cache").mkdir()
    for name in ("a.png", "sub/b.png"):
        Image.new("RGB", (2, 2)).save(src / name)
    for name in ("x.HEIC", "y.svg", "notes", ".hidden.heic", "sub/z.heic"):
        (src / name).write_bytes(b"")
    plan = batch.plan_batch(src, src / "out", COPY)
    assert [p.name for p in plan.passed_over] == ["notes", "x.HEIC", "y.svg"]
    assert plan.not_entered == [src / "sub"]  # not out, old.segments or .cache
    deep = batch.plan_batch(src, tmp_path / "deep", COPY, recursive=True)
    assert [p.relative_to(src).as_posix() for p in deep.passed_over] == [
        "notes", "sub/z.heic", "x.HEIC", "y.svg"]
    assert deep.not_entered == []
    chosen = batch.plan_batch(src, tmp_path / "glob", COPY, pattern="*.png")
    assert (chosen.passed_over, chosen.not_entered) == ([], [src / "sub"])
    # a file an exclude pattern leaves out is not one left out for its extension
    excluded = batch.plan_batch(src, tmp_path / "excluded", COPY, exclude_pattern=["a.*", "y*"])
    assert ([p.name for p in excluded.passed_over], excluded.total) == (["notes", "x.HEIC"], 0)


def test_a_link_to_a_folder_is_no_folder_not_entered(tmp_path):
    """A link to a folder was counted as "1 folder not entered (use -r)", where -r does
    not follow it either (it says so, as a link not followed)."""
    src, other = tmp_path / "in", tmp_path / "other"
    (src / "sub").mkdir(parents=True)
    other.mkdir()
    Image.new("RGB", (2, 2)).save(src / "a.png")
    Image.new("RGB", (2, 2)).save(other / "b.png")
    (src / "linked").symlink_to(other, target_is_directory=True)
    assert batch.plan_batch(src, src / "out", COPY).not_entered == [src / "sub"]


def test_find_images_leaves_out_postscript_which_pillow_would_run_ghostscript_on(tmp_path):
    # A downloaded folder's .eps and .ps files were taken, and reading one ran Ghostscript.
    for name in ("a.png", "b.eps", "c.PS", "d.EPS", "e.mpg"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in batch.find_images(tmp_path)] == ["a.png"]
    assert {".eps", ".ps"} & batch.image_extensions() == set()


def test_find_images_takes_mpo_files(tmp_path):
    """A stereo camera's .MPO photos were not looked at: Pillow opens them as JPEGs, and
    MPO has no opener of its own to be found by."""
    for name in ("a.MPO", "b.mpo", "c.jpg", "d.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in batch.find_images(tmp_path)] == ["a.MPO", "b.mpo", "c.jpg"]


@pytest.mark.parametrize("pattern, expected", [
    ("**/*.jpg", {"astronaut.jpg", "empty.jpg", "notes.jpg", "sub/coffee.jpg",
                  "sub/deep/er/x.jpg"}),
    ("sub/**/*.jpg", {"sub/coffee.jpg", "sub/deep/er/x.jpg"}),
    ("sub/**", {"sub/coffee.jpg", "sub/rocket.png", "sub/truncated.png", "sub/deep/er/x.jpg"}),
    ("**/er/*", {"sub/deep/er/x.jpg"}),
    ("deep/**/x.jpg", {"sub/deep/er/x.jpg"}),
    ("*.jpg", {"astronaut.jpg", "empty.jpg", "notes.jpg", "sub/coffee.jpg",
               "sub/deep/er/x.jpg"}),
    ("sub/*", {"sub/coffee.jpg", "sub/rocket.png", "sub/truncated.png"}),
])
def test_a_glob_pattern_with_double_star_spans_any_number_of_folders(photo_tree, pattern,
                                                                     expected):
    (photo_tree / "sub" / "deep" / "er").mkdir(parents=True)
    (photo_tree / "sub" / "deep" / "er" / "x.jpg").write_bytes(b"")
    found = batch.find_images(photo_tree, recursive=True, pattern=pattern)
    assert {p.relative_to(photo_tree).as_posix() for p in found} == expected


@pytest.mark.parametrize("pattern, expected", [
    ("a[*]b.png", ["a*b.png"]),            # not a?b.png, axb.png
    ("a[?]b.png", ["a?b.png"]),
    ("a[[]1].png", ["a[1].png"]),          # "a[1].png" is a set: it matches a1.png
    ("a[1].png", ["a1.png"]),
    ("**/*[*]*", ["a*b.png", "sub/c*d.png"]),
    ("a*b.png", ["a*b.png", "a?b.png", "axb.png"]),
])
def test_a_glob_matches_a_literal_star_question_mark_or_bracket_written_in_brackets(
        tmp_path, pattern, expected):
    for name in ("a*b.png", "a?b.png", "axb.png", "a[1].png", "a1.png", "sub/c*d.png",
                 "sub/cxd.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = batch.find_images(tmp_path, recursive=True, pattern=pattern)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == expected


def test_find_images_skips_hidden_files_and_the_excluded_folder(photo_tree):
    (photo_tree / ".hidden.jpg").write_bytes(b"")
    (photo_tree / "out").mkdir()
    (photo_tree / "out" / "a.png").write_bytes(b"")
    found = batch.find_images(photo_tree, recursive=True, exclude=photo_tree / "out")
    assert {p.relative_to(photo_tree).as_posix() for p in found} == GOOD | BAD


@pytest.mark.parametrize(("options", "out", "left_out"), [
    ({}, "../out", None), ({"recursive": True}, "../out", None),
    ({"pattern": "*"}, "../out", None), ({"recursive": True, "pattern": "**"}, "../out", None),
    ({"recursive": True, "pattern": "sub/*.png"}, "../out", None),
    ({"recursive": True, "pattern": ["sub/*.png", "*.jpg"], "exclude_pattern": "r*"},
     "../out", None),
    ({"recursive": True, "exclude_pattern": ["sub/**", "a*"]}, "../out", None),
    ({"recursive": True}, "sub", "sub"),  # an output folder inside the input is left out
    ({"recursive": True}, ".", None),  # ... but not the input folder itself
])
def test_would_be_found_agrees_with_the_search_of_plan_batch(photo_tree, options, out,
                                                              left_out):
    (photo_tree / ".hidden.jpg").write_bytes(b"")
    exclude = None if left_out is None else photo_tree / left_out
    found = set(batch.find_images(photo_tree, exclude=exclude, **options))
    every = [p for p in photo_tree.rglob("*") if p.is_file()]
    assert found and len(found) < len(every)
    for path in every:
        assert batch.would_be_found(path, photo_tree, photo_tree / out, **options) == \
            (path in found), path


def test_would_be_found_tells_of_a_file_yet_to_be_written(photo_tree, tmp_path):
    out = tmp_path / "out"
    assert batch.would_be_found(photo_tree / "index.html", photo_tree, out, pattern="*")
    assert not batch.would_be_found(photo_tree / "index.html", photo_tree, out)
    assert batch.would_be_found(photo_tree / "new" / "a.png", photo_tree, out, recursive=True)
    assert not batch.would_be_found(tmp_path / "a.png", photo_tree, out, recursive=True)


def test_would_be_found_takes_a_link_to_a_file_by_its_own_name(photo_tree, tmp_path):
    """The search lists a link to a file by its name, and a page written there replaces the
    link: in/index.html, a link to a page outside, was said not to be found (its target
    was looked at), so --html in/index.html --glob '*' replaced an input; a link outside
    to a file inside was said to be found."""
    out = tmp_path / "out"
    (tmp_path / "else").mkdir()
    (tmp_path / "else" / "page.html").write_text("")
    symlink_or_skip((photo_tree / "index.html"), tmp_path / "else" / "page.html")
    (photo_tree / "gone.html").symlink_to(tmp_path / "else" / "gone.html")
    (tmp_path / "outside.jpg").symlink_to(photo_tree / "astronaut.jpg")
    found = batch.find_images(photo_tree, pattern="*")
    for path in (photo_tree / "index.html", photo_tree / "gone.html"):
        # a link out of the folder is not read as it is, but a file written at its name
        # replaces it, and a rerun would read that
        assert path not in found
        assert batch.would_be_found(path, photo_tree, out, pattern="*"), path
    assert not batch.would_be_found(tmp_path / "outside.jpg", photo_tree, out)
    inner = photo_tree / "out"  # left out of the search, but not a link into it
    inner.mkdir()
    (inner / "a.png").write_bytes(b"")
    (photo_tree / "to-out.png").symlink_to(inner / "a.png")
    assert photo_tree / "to-out.png" in batch.find_images(photo_tree, exclude=inner)
    assert batch.would_be_found(photo_tree / "to-out.png", photo_tree, inner)


def test_plan_mirrors_the_tree_and_rejects_non_images(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    outputs = {j.input.relative_to(photo_tree).as_posix():
               j.output.relative_to(tmp_path / "out").as_posix() for j in plan.jobs}
    assert outputs == {"astronaut.jpg": "astronaut.png", "chelsea.png": "chelsea.png",
                       "sub/coffee.jpg": "sub/coffee.png", "sub/rocket.png": "sub/rocket.png",
                       "sub/truncated.png": "sub/truncated.png"}
    failed = {r.input.name: (r.reason, int(r.exit_code)) for r in plan.settled}
    assert failed == {"empty.jpg": ("file is empty (0 bytes), expected an image", 1),
                      "notes.jpg": ("not an image Pillow can identify", 1)}


def test_existing_outputs_are_settled_as_skipped_unless_forced(photo_tree, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "astronaut.png").write_bytes(b"done before")
    plan = batch.plan_batch(photo_tree, out, COPY)
    assert [(r.input.name, r.status) for r in plan.settled if r.status == "skipped"] == [
        ("astronaut.jpg", "skipped")]
    assert "astronaut.jpg" not in {j.input.name for j in plan.jobs}
    forced = batch.plan_batch(photo_tree, out, COPY, force=True)
    assert "astronaut.jpg" in {j.input.name for j in forced.jobs}


@pytest.mark.parametrize("names, expected", [
    (("a.jpg", "a.png", "b.jpg"), ["a.jpg.png", "a.png.png", "b.png"]),
    # On a case-insensitive output volume (macOS, Windows, a USB stick) Photo.png is photo.png.
    (("Photo.JPG", "photo.png", "b.jpg"), ["Photo.JPG.png", "b.png", "photo.png.png"]),
    # macOS also takes é written as one character (NFC) and as e + accent (NFD) for one name:
    # both were written caf\u00e9.png and cafe\u0301.png, one name there.
    (("caf\u00e9.jpg", "cafe\u0301.png"), sorted(["caf\u00e9.jpg.png", "cafe\u0301.png.png"])),
    # a.jpg.png's (a.jpg.tif's) output a.jpg.png was also a.jpg's name with its extension:
    # refused as one output
    (("a.jpg", "a.png", "a.jpg.png"), ["a.jpg-2.png", "a.jpg.png", "a.png.png"]),
    (("a.jpg", "a.png", "a.jpg.tif"), ["a.jpg-2.png", "a.jpg.png", "a.png.png"]),
])
def test_inputs_sharing_a_stem_keep_their_extension(tmp_path, names, expected):
    src = tmp_path / "in"
    src.mkdir()
    for name in names:
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    assert sorted(j.output.name for j in plan.jobs) == expected


@pytest.mark.parametrize("mode, names, expected", [
    # a.jpg's folder was the folder sub-folder a/ is mirrored to, its region maps among a/'s
    ("seg", ("a.jpg", "a/x.jpg", "b.jpg"), ["a.jpg", "a/x", "b"]),
    ("seg", ("A.jpg", "a/x.jpg"), ["A.jpg", "a/x"]),  # one folder where names ignore case
    # b.jpg's b.png was where the folder b.png/ is mirrored: it failed, "is a folder"
    ("copy", ("b.jpg", "b.png/c.jpg", "a.jpg"), ["a.png", "b.jpg.png", "b.png/c.png"]),
    ("copy", ("b.jpg", "b.png/deep/c.jpg"), ["b.jpg.png", "b.png/deep/c.png"]),
    # The name with the extension was itself a mirrored folder: a.jpg's region maps went
    # into A.JPG/ (one folder with a.jpg/ where names ignore case), b.jpg failed again
    ("seg", ("a.jpg", "a/x.jpg", "A.JPG/y.jpg"), ["A.JPG/y", "a.jpg-2", "a/x"]),
    ("copy", ("b.jpg", "b.png/c.jpg", "b.jpg.png/d.jpg"),
     ["b.jpg-2.png", "b.jpg.png/d.png", "b.png/c.png"]),
    ("copy", ("b.jpg", "b.png/c.jpg", "b.jpg.png/d.jpg", "b.jpg-2.png/e.jpg"),
     ["b.jpg-2.png/e.png", "b.jpg-3.png", "b.jpg.png/d.png", "b.png/c.png"]),
])
def test_an_input_named_as_a_mirrored_sub_folder_keeps_its_extension(tmp_path, mode, names,
                                                                     expected):
    src = tmp_path / "in"
    for name in names:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", SEG_LIKE if mode == "seg" else COPY,
                            recursive=True)
    assert sorted(j.output.relative_to(tmp_path / "out").as_posix()
                  for j in plan.jobs) == expected
    alone = batch.plan_batch(src, tmp_path / "out", COPY)  # no sub-folder mirrored: no clash
    assert sorted(j.output.name for j in alone.jobs) == sorted(
        Path(n).stem + ".png" for n in names if "/" not in n)


@pytest.mark.parametrize("names, outputs", [
    # Kept their extension, a.jpg.png and A.JPG.png were still one file where names ignore
    # case; both were written, the second over the first there.
    (("A.JPG", "a.jpg"), "'{out}/A.JPG.png' and '{out}/a.jpg.png', one file where names "
                         "ignore case (macOS, Windows)"),
    (("SUB/a.jpg", "sub/a.jpg"), "'{out}/SUB/a.jpg.png' and '{out}/sub/a.jpg.png', one file "
                                 "where names ignore case (macOS, Windows)"),
    (("cafe\u0301.jpg", "caf\u00e9.jpg"), "'{out}/cafe\\u0301.jpg.png' and "
     "'{out}/caf\\u00e9.jpg.png', one name in two Unicode forms: one file on macOS"),
])
def test_inputs_whose_outputs_are_one_file_ignoring_case_are_refused(tmp_path, names, outputs):
    """``names``: the first two in the order the inputs are sorted."""
    src = tmp_path / "in"
    for name in names:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(src / name, "PNG")
    first, second = (str(src / n) for n in names[:2])
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, tmp_path / "out", COPY, recursive=True)
    where = f"the same output file as {first}: {outputs.format(out=tmp_path / 'out')}"
    assert str(caught.value) == f"{second}: maps to {where}; rename one of them"
    assert not (tmp_path / "out").exists()


SEG_LIKE = batch.JobMode("seg", copy_job, suffix="", marker="s.json")


@pytest.mark.parametrize("out, recursive, mode", [
    ("in/out", True, COPY),               # inside, excluded from the search
    ("in/out", False, COPY),
    ("in", False, SEG_LIKE),              # folders with a marker are never listed
])
def test_output_dir_inside_input_dir_is_accepted_when_nothing_is_read_back(
        tmp_path, out, recursive, mode):
    src = _overlap_tree(tmp_path)
    plan = batch.plan_batch(src, tmp_path / out, mode, recursive=recursive)
    assert {j.input.name for j in plan.jobs} == ({"a.png", "x.png"} if recursive else {"a.png"})


@pytest.mark.parametrize("out, recursive, mode, what", [
    ("in", False, COPY, "output 'in/a.png' would replace its input"),
    ("in", True, SEG_LIKE, "output 'in/a/s.json'"),  # listed on a rerun
    (".", True, COPY, "output 'in/x.png' would be read as an input"),  # from in/in/x.png
])
def test_output_dir_overlapping_input_dir_is_refused(tmp_path, monkeypatch, out, recursive,
                                                     mode, what):
    """The error says how the folders overlap and which to choose instead; an output folder
    holding the input folder is outside it, which the error advised."""
    _overlap_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(Path("in"), Path(out), mode, recursive=recursive)
    how = ("is input_dir='in' itself", "choose another output folder") if out == "in" else \
        ("holds input_dir='in'", "choose an output folder that does not hold the input folder")
    assert str(caught.value) == (
        f"output_dir={out!r} {how[0]}: outputs would be written among the inputs ({what}); "
        f"{how[1]}, e.g. output_dir='in-out' or output_dir='in/out'")


@pytest.mark.parametrize("edges", [False, True])
def test_a_folder_output_read_as_an_input_is_named_by_an_image_written_in_it(tmp_path, edges):
    """Segment mode into its own input folder, searched recursively: the error named
    in/a/segments.json as the output to be read as an input, a .json no search takes."""
    src = _overlap_tree(tmp_path)
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src, batch.segment_mode(), recursive=True,
                         options={"n_clusters": 2, "edges": edges})
    assert str(caught.value) == _overlap_refusal(
        src, f"output {str(src / 'a' / 'labels.png')!r} would be read as an input",
        "segments")
    assert sorted(p.name for p in src.iterdir()) == ["a.png", "in"]


def _overlap_refusal(src, what, word="reduced"):
    """The error of an output folder that is the input folder ``src``."""
    return (f"output_dir={str(src)!r} is input_dir={str(src)!r} itself: outputs would be "
            f"written among the inputs ({what}); choose another output folder, e.g. "
            f"output_dir={str(src.parent / f'{src.name}-{word}')!r} or "
            f"output_dir={str(src / word)!r}")


def test_the_file_named_read_as_an_input_is_the_one_the_pattern_selects(tmp_path):
    """The check that the outputs would be read as inputs took them as the search takes
    them without a pattern: --glob '*.j*' into the input folder named a.png, which the
    pattern leaves out, and not shared-palette.json, which it takes; segment's, with -r,
    named labels.png, not segments.json."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(src / "a.jpg")
    reduce, options = batch.reduce_mode(), {"n_colors": 2}
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src, reduce, options=options, pattern="*.j*",
                         shared_palette=True)
    assert str(caught.value) == _overlap_refusal(
        src, f"the shared palette {str(src / 'shared-palette.json')!r} would be read as an "
             "input")
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src, reduce, options=options, pattern="*.j*")
    assert str(caught.value) == _overlap_refusal(
        src, f"output {str(src / 'a.png')!r}, which pattern='*.j*' leaves out, but other "
             "patterns, or none, may not")
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src, reduce, options=options, pattern="*")
    assert str(caught.value) == _overlap_refusal(
        src, f"output {str(src / 'a.png')!r} would be read as an input")
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src, batch.segment_mode(), recursive=True, pattern="*.j*",
                         options={"n_clusters": 2})
    assert str(caught.value) == _overlap_refusal(
        src, f"output {str(src / 'a' / 'segments.json')!r} would be read as an input",
        "segments")
    assert [p.name for p in src.iterdir()] == ["a.jpg"]


@pytest.mark.parametrize("force", [False, True])
def test_an_output_folder_inside_the_tree_holding_photos_no_batch_made_is_refused(tmp_path,
                                                                                  force):
    # in/photos2's own photos were left out of the search without a word, and in/a.png took
    # in/photos2/a.png, another photo, for its output: skipped as of no record, and
    # replaced by it with force.
    src = tmp_path / "in"
    (src / "photos2" / "deeper").mkdir(parents=True)
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    Image.new("RGB", (4, 4), (0, 255, 0)).save(src / "photos2" / "deeper" / "a.png")
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src / "photos2", COPY, recursive=True, force=force)
    assert str(caught.value) == (
        f"output_dir={str(src / 'photos2')!r} lies inside input_dir={str(src)!r} and holds "
        f"images that no batch made, such as {str(src / 'photos2' / 'deeper' / 'a.png')!r}: "
        "the search leaves them out, and outputs of the same name would replace them; choose "
        "an output folder outside the input folder, or an empty one")
    with pytest.raises(ValueError, match="holds images that no batch made"):  # as it selects
        batch.plan_batch(src, src / "photos2", COPY, recursive=True, pattern="deeper/*")


def test_an_output_folder_inside_the_tree_is_accepted_with_no_photo_of_its_own(tmp_path):
    """An earlier batch's folder (the documented rerun), one of other files only, and one
    whose images the search would not take (hidden, or not what ``pattern`` selects)."""
    src = tmp_path / "in"
    (src / "out").mkdir(parents=True)
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    (src / "out" / "notes.txt").write_text("mine")
    Image.new("RGB", (4, 4), (0, 255, 0)).save(src / "out" / ".hidden.png")
    Image.new("RGB", (4, 4), (0, 255, 0)).save(src / "out" / "b.jpg")
    plan = batch.plan_batch(src, src / "out", COPY, recursive=True, pattern="*.png")
    assert [j.input.name for j in plan.jobs] == ["a.png"]
    (src / "out" / "b.jpg").unlink()
    batch.run_batch(batch.plan_batch(src, src / "out", COPY, recursive=True), jobs=1)
    again = batch.plan_batch(src, src / "out", COPY, recursive=True)
    assert [(r.input.name, r.status) for r in again.settled] == [("a.png", "skipped")]


def test_an_output_folder_where_an_input_file_is_is_refused(tmp_path):
    """a.jpg and a.png share the stem a, so their folders are a.jpg/ and a.png/: with the
    input folder as output folder, those are the inputs, and each job failed 'exists and
    is not a directory' rather than the plan refusing the folder."""
    src = _overlap_tree(tmp_path)
    Image.new("RGB", (4, 4)).save(src / "a.jpg")
    with pytest.raises(ValueError) as caught:
        batch.plan_batch(src, src, SEG_LIKE)
    assert str(caught.value) == _overlap_refusal(
        src, f"{str(src / 'a.jpg')!r} would have its output folder {str(src / 'a.jpg')!r} "
        "made where an input file is", "out")
    assert sorted(p.name for p in src.iterdir()) == ["a.jpg", "a.png", "in"]


@pytest.mark.parametrize("force", [False, True])
def test_an_output_that_is_a_link_into_the_input_folder_is_not_an_overlap(tmp_path, force):
    """out/a.png, a link to in/a.png: the link's target was taken for the output, and the
    run refused as one whose output would be read as an input. An output is written
    through a link, so that file's job fails (with force or not), the others run."""
    src = _overlap_tree(tmp_path)
    (tmp_path / "out").mkdir()
    symlink_or_skip((tmp_path / "out" / "a.png"), src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", COPY, force=force)
    assert [(r.input, r.status, r.reason, r.exit_code) for r in plan.settled] == [
        (src / "a.png", "failed", f"{tmp_path / 'out' / 'a.png'}: is a link to the input "
         f"{str(src / 'a.png')!r}, which is never overwritten (not even with force=True); "
         "remove the link, or choose another output folder", ExitCode.FAILED)]


def _overlap_tree(tmp_path):
    src = tmp_path / "in"
    (src / "in").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(src / "a.png")
    Image.new("RGB", (4, 4)).save(src / "in" / "x.png")
    return src


def test_plan_refuses_a_file_as_output_dir(photo_tree):
    with pytest.raises(ValueError, match="is an existing file"):
        batch.plan_batch(photo_tree, photo_tree / "notes.jpg", COPY)
    under = photo_tree / "notes.jpg" / "out"
    with pytest.raises(ValueError, match=f"^output_dir='{under}' lies under "
                                         f"'{photo_tree / 'notes.jpg'}', which is an existing "
                                         "file; expected a folder$"):
        batch.plan_batch(photo_tree, under, COPY)


def test_plan_refuses_a_link_to_nothing_as_output_dir(photo_tree, tmp_path):
    out = tmp_path / "out"
    out.symlink_to(tmp_path / "gone" / "out")
    for dst in (out, out / "sub"):
        with pytest.raises(ValueError) as err:
            batch.plan_batch(photo_tree, dst, COPY)
        where = "is" if dst == out else f"lies under {str(out)!r}, which is"
        assert str(err.value) == (f"output_dir={str(dst)!r} {where} a link to "
                                  f"{str(tmp_path / 'gone' / 'out')!r}, which does not exist; "
                                  "expected a folder")


def test_an_input_dir_that_is_missing_or_a_file_cannot_be_read(tmp_path):
    (tmp_path / "a.png").write_bytes(b"an image")
    for name, reason in (("nope", "no such folder"),
                         ("a.png", "is a file, expected a folder of images")):
        with pytest.raises(ImageReadError) as err:
            batch.plan_batch(tmp_path / name, tmp_path / "out", COPY)
        assert (err.value.path, err.value.reason) == (str(tmp_path / name), reason)
        assert isinstance(err.value, ValueError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def _strict_options(**options):
    if set(options) - {"level"}:
        raise TypeError(f"unknown option(s) {sorted(set(options) - {'level'})}")
    return {"level": 1, **options}


def test_the_modes_checker_validates_and_completes_the_options(photo_tree, tmp_path):
    mode = batch.JobMode("strict", copy_job, check_options=_strict_options)
    plan = batch.plan_batch(photo_tree, tmp_path / "out", mode)
    assert plan.options == {"level": 1}
    assert all(j.options == {"level": 1} for j in plan.jobs)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['colour'\]"):
        batch.plan_batch(photo_tree, tmp_path / "out", mode, options={"colour": 3})


def test_reduce_mode_fills_reduces_defaults(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode(),
                            options={"space": "lab"})
    assert plan.options["n_colors"] == 16 and plan.options["space"] == "lab"
    with_quality = batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode(),
                                    options={"quality": 2.0})
    assert with_quality.options.get("n_colors") is None


def test_a_reduce_plan_says_once_that_a_quality_past_20_is_a_colour_difference(photo_tree,
                                                                               tmp_path):
    """plan_batch(..., options={"quality": 80}), a 0-100 score as pngquant's, planned
    without a word, while reduce_colors(quality=80) warns of it."""
    import warnings

    from quantize.reduce.quality import QualityScaleWarning

    with pytest.warns(QualityScaleWarning) as caught:
        batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode(),
                         options={"quality": 80})
    assert [str(w.message) for w in caught] == [
        "quality=80: a bound Q on CIEDE2000 differences (about 1 is just noticeable, 5 "
        "visibly posterised), not pngquant's 0-100 score: their mean <= Q, 99th percentile "
        "<= 5 Q and 99.9th <= 10 Q; above 20, nearly any image meets it with the fewest "
        "colours; for a result close to the original, give 2 or 3"]
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode(),
                         options={"quality": 20})  # at most 20: no word
        batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode())


def test_a_skipped_file_carries_the_record_of_the_run_that_made_it(photo_tree, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "astronaut.png").write_bytes(b"made by this run")
    (out / "chelsea.png").write_bytes(b"made before records were kept")
    settings = {"seed": 1, "shared_palette": False}
    batch.manifest.record_output(out, out / "astronaut.png", settings, {"k": 5, "psnr": 30.5})
    batch.manifest.record_output(out, out / "notes.png", settings, {"k": 9})  # output gone
    plan = batch.plan_batch(photo_tree, out, COPY, options={"seed": 1})
    skipped = {r.input.name: (r.reason, dict(r.record)) for r in plan.settled
               if r.status == "skipped"}
    assert skipped == {
        "astronaut.jpg": ("output exists", {"k": 5, "psnr": 30.5}),
        "chelsea.png": ("output exists; no record of the run that made it", {})}
    assert plan.settings == settings


def test_outputs_made_with_other_options_are_refused_unless_forced(photo_tree, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, seed in (("astronaut.png", 1), ("chelsea.png", 2)):
        (out / name).write_bytes(b"done")
        batch.manifest.record_output(out, out / name, {"seed": seed, "shared_palette": False},
                                     {"k": 0})
    with pytest.raises(batch.OptionsChangedError) as err:
        batch.plan_batch(photo_tree, out, COPY, options={"seed": 1})
    assert (err.value.count, err.value.before, err.value.now) == (1, {"seed": 2}, {"seed": 1})
    with pytest.raises(batch.OptionsChangedError, match="shared_palette=False, while this "
                       "run asks for shared_palette=True"):
        batch.plan_batch(photo_tree, out, COPY, options={"seed": 1}, pattern="astro*",
                         shared_palette=True)
    assert batch.plan_batch(photo_tree, out, COPY, options={"seed": 1},
                            pattern="astro*").settled[0].status == "skipped"
    forced = batch.plan_batch(photo_tree, out, COPY, options={"seed": 3}, force=True)
    assert {j.input.name for j in forced.jobs} == {"astronaut.jpg", "chelsea.png"}


def _unlistable(monkeypatch, *folders):
    """Make os.scandir refuse ``folders`` as it does a folder without read permission."""
    import os

    scandir = os.scandir
    refused = {os.fspath(f) for f in folders}

    def refusing(path="."):
        if os.fspath(path) in refused:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


def test_a_sub_folder_that_cannot_be_listed_is_reported_not_dropped(photo_tree, tmp_path,
                                                                    monkeypatch):
    _unlistable(monkeypatch, photo_tree / "sub")
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    [unlisted] = [r for r in plan.settled if r.input == photo_tree / "sub"]
    assert (unlisted.status, unlisted.output, unlisted.exit_code) == ("failed", None, 1)
    assert unlisted.reason == ("cannot list this folder (Permission denied); the files in it "
                               "were not processed")
    assert unlisted.record == {"folder_not_listed": True}  # a folder: no file of the summary
    assert {j.input.name for j in plan.jobs} == {"astronaut.jpg", "chelsea.png"}
    assert plan.total == 5  # the folder, two images, two files that are not images
    assert plan.n_files == 4  # the folder is counted apart


def test_a_sub_folder_without_permission_is_reported_not_the_batch_stopped(
        photo_tree, tmp_path, monkeypatch):
    """Without permission on a folder, neither can it be listed nor can a name in it be
    looked up: the check for an earlier batch's manifest in it raised PermissionError,
    which stopped the whole batch ("in/sub/.quantize-batch.jsonl: Permission denied")."""
    import os

    locked = os.fspath(photo_tree / "sub")
    _unlistable(monkeypatch, locked)
    stat = os.stat

    def refusing(path, *args, **kwargs):
        if os.path.dirname(os.fspath(path)) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", refusing)
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    [unlisted] = [r for r in plan.settled if r.input == photo_tree / "sub"]
    assert (unlisted.status, unlisted.record) == ("failed", {"folder_not_listed": True})
    assert unlisted.reason == ("cannot list this folder (Permission denied); the files in it "
                               "were not processed")
    assert {j.input.name for j in plan.jobs} == {"astronaut.jpg", "chelsea.png"}


def test_a_sub_folder_that_can_be_listed_but_not_entered_fails_its_files_alone(
        photo_tree, tmp_path, monkeypatch):
    """A folder of mode r-- lists its names, but none can be looked at: the check of
    whether a sub-folder in it is a link raised, which stopped the whole batch; and its
    files' PermissionError escaped the reader's checks."""
    import os

    sub = photo_tree / "sub"
    (sub / "deep").mkdir()
    _unlistable(monkeypatch, sub / "deep")
    stat, lstat = os.stat, os.lstat

    def denied(real):
        def look(path, *args, **kwargs):
            if os.path.dirname(os.fspath(path)) == os.fspath(sub):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real(path, *args, **kwargs)
        return look

    monkeypatch.setattr(os, "stat", denied(stat))
    monkeypatch.setattr(os, "lstat", denied(lstat))
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    rows = {r.input.relative_to(photo_tree).as_posix(): r for r in plan.settled}
    assert rows["sub/deep"].record == {"folder_not_listed": True}
    for name in ("sub/coffee.jpg", "sub/rocket.png", "sub/truncated.png"):
        assert (rows[name].status, rows[name].reason) == (
            "failed", "cannot read the file (Permission denied)")
    assert {j.input.name for j in plan.jobs} == {"astronaut.jpg", "chelsea.png"}


def test_an_input_folder_that_cannot_be_listed_is_an_error(photo_tree, tmp_path, monkeypatch):
    _unlistable(monkeypatch, photo_tree)
    with pytest.raises(PermissionError) as err:
        batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    assert err.value.filename == str(photo_tree)
    with pytest.raises(PermissionError):
        batch.find_images(photo_tree)


def test_a_symbolic_link_to_a_folder_is_not_followed_and_is_reported_skipped(tmp_path):
    """Links to folders were dropped unseen; following them could escape the input folder,
    loop (a link to a parent) or process a folder twice. A link to a file is an input when
    the file is in the input folder (see the test below for one outside it)."""
    root, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    for path in (root / "a.png", elsewhere / "b.png"):
        Image.new("RGB", (2, 2), "red").save(path)
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (root / "sub" / "loop").symlink_to("..", target_is_directory=True)
    (root / "sub" / "c.png").symlink_to(root / "a.png")
    (root / ".hidden").symlink_to(elsewhere, target_is_directory=True)
    assert batch.find_images(root, recursive=True) == [root / "a.png", root / "sub" / "c.png"]
    plan = batch.plan_batch(root, tmp_path / "out", COPY, recursive=True)
    assert sorted(j.input.relative_to(root).as_posix() for j in plan.jobs) == ["a.png",
                                                                               "sub/c.png"]
    assert [(r.input, r.output, r.status, r.exit_code) for r in plan.settled] == [
        (root / "linked", None, "skipped", 0), (root / "sub" / "loop", None, "skipped", 0)]
    assert plan.settled[0].reason == (
        f"symbolic link to a folder ({str(elsewhere)!r}), not followed; the files in it were "
        "not processed (run the batch on its target to process them)")
    flat = batch.plan_batch(root, tmp_path / "out", COPY)  # no sub-folder is searched
    assert flat.settled == [] and [j.input.name for j in flat.jobs] == ["a.png"]


def test_a_link_to_a_file_outside_the_input_folder_is_not_read_and_is_reported_skipped(
        tmp_path):
    """A link planted in a folder of uploads had a file elsewhere read (/etc/passwd, a
    photo of another user's) without a word; as a link to a folder, it is now skipped and
    said, unread. Links within the input folder, through a sub-folder or another link, are
    inputs as before."""
    root, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    for path in (root / "a.png", elsewhere / "b.png"):
        Image.new("RGB", (2, 2), "red").save(path)
    symlink_or_skip(root / "out.png", elsewhere / "b.png")
    (root / "sub" / "up.png").symlink_to("../a.png")  # within: an input
    (root / "via.png").symlink_to(root / "out.png")  # through a link that leads out
    (root / "gone.png").symlink_to(elsewhere / "gone.png")  # leads out, to nothing
    (root / "passwd.png").symlink_to("/etc/passwd")
    (root / "notes.txt").symlink_to("/etc/passwd")  # not taken anyway: left out for its name
    assert batch.find_images(root, recursive=True) == [root / "a.png", root / "sub" / "up.png"]
    plan = batch.plan_batch(root, tmp_path / "out", COPY, recursive=True)
    assert [j.input for j in plan.jobs] == [root / "a.png", root / "sub" / "up.png"]
    assert [(r.input.name, r.output, r.status, r.skipped, r.exit_code)
            for r in plan.settled] == [(name, None, "skipped", "link", 0) for name in
                                       ("gone.png", "out.png", "passwd.png", "via.png")]
    assert plan.settled[2].reason == (
        "symbolic link to a file outside the input folder ('/etc/passwd'), not read; links "
        "are followed only within the input folder (copy the file in to process it)")
    assert plan.n_files == 6 and plan.passed_over == [root / "notes.txt"]


def test_the_output_of_a_link_outside_made_by_an_earlier_version_is_left_alone(tmp_path):
    """An output an earlier version made through such a link is neither unclaimed (its
    input is not known to be gone), nor removed with remove_orphans."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    Image.new("RGB", (2, 2), "red").save(root / "b.png")
    batch.run_batch(batch.plan_batch(root, out, COPY), jobs=1)  # its output on record
    assert (out / "b.png").exists()
    (root / "b.png").rename(tmp_path / "b.png")  # the folder as a version that followed it
    symlink_or_skip(root / "b.png", tmp_path / "b.png")  # left it
    again = batch.plan_batch(root, out, COPY)
    assert again.jobs == [] and again.unclaimed == []
    assert [(r.input, r.skipped) for r in again.settled] == [(root / "b.png", "link")]


def test_the_hidden_files_the_search_would_take_are_counted_apart(tmp_path):
    """..png and .thumb.png were left out without a word; a hidden file the search would
    not take anyway (.DS_Store, .notes.txt) and one in a hidden folder are not counted."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("a.png", "..png", ".thumb.png", "sub/._b.jpg", ".git/c.png"):
        Image.new("RGB", (2, 2), "red").save(root / name, format="PNG")
    for name in (".DS_Store", ".notes.txt"):
        (root / name).write_bytes(b"")
    flat = batch.plan_batch(root, tmp_path / "out", COPY)
    assert [j.input.name for j in flat.jobs] == ["a.png"]
    assert flat.hidden == [root / "..png", root / ".thumb.png"]
    deep = batch.plan_batch(root, tmp_path / "out", COPY, recursive=True)
    assert deep.hidden == [root / "..png", root / ".thumb.png", root / "sub" / "._b.jpg"]
    everything = batch.plan_batch(root, tmp_path / "out", COPY, pattern="*")
    assert [p.name for p in everything.hidden] == ["..png", ".DS_Store", ".notes.txt",
                                                   ".thumb.png"]


def test_a_folder_of_segment_outputs_is_not_searched_and_is_reported_skipped(tmp_path):
    """'quantize segment in/a.png' writes in/a.segments/; a later 'batch in -r' took its
    labels.png, overlay.png, ... for photos and segmented or reduced each of them."""
    from quantize.segment_file import segment_file

    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    Image.new("RGB", (8, 8), "red").save(root / "a.png")
    Image.new("RGB", (8, 8), "blue").save(root / "sub" / "labels.png")  # a photo's name
    segment_file(root / "a.png", root / "a.segments", n_clusters=1)
    (root / "half").mkdir()  # a labels.png without segments.json is a photo like any
    Image.new("RGB", (8, 8), "green").save(root / "half" / "labels.png")
    assert batch.find_images(root, recursive=True) == [
        root / "a.png", root / "half" / "labels.png", root / "sub" / "labels.png"]
    for mode in (COPY, SEG_LIKE):
        plan = batch.plan_batch(root, tmp_path / mode.name, mode, recursive=True)
        assert sorted(j.input.relative_to(root).as_posix() for j in plan.jobs) == [
            "a.png", "half/labels.png", "sub/labels.png"]
        assert [(r.input, r.output, r.status, r.exit_code, r.reason) for r in plan.settled] == [
            (root / "a.segments", None, "skipped", 0, "a folder of quantize segment's outputs "
             "(it holds labels.png and segments.json), not searched: its images are region "
             "maps, not photos")]
    flat = batch.plan_batch(root, tmp_path / "flat", COPY)  # no sub-folder is searched
    assert flat.settled == [] and [j.input.name for j in flat.jobs] == ["a.png"]


def test_a_folder_of_an_earlier_batchs_outputs_is_not_searched_and_is_reported_skipped(
        tmp_path):
    """'batch in -r -o in/small', then 'batch in -r -o in/small64': the second run took
    the first one's results for photos and reduced them again, into in/small64/small/."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    Image.new("RGB", (8, 8), "red").save(root / "a.png")
    Image.new("RGB", (8, 8), "blue").save(root / "sub" / "b.png")
    first = batch.plan_batch(root, root / "small", COPY, recursive=True)
    batch.run_batch(first, jobs=1)
    assert (root / "small" / batch.MANIFEST_NAME).is_file()
    assert (root / "small" / "sub" / "b.png").is_file()
    (root / "kept").mkdir()  # a folder named like no output is searched as any
    Image.new("RGB", (8, 8), "green").save(root / "kept" / "c.png")
    plan = batch.plan_batch(root, root / "small64", COPY, recursive=True)
    assert [j.input.relative_to(root).as_posix() for j in plan.jobs] == [
        "a.png", "kept/c.png", "sub/b.png"]
    assert [(r.input, r.output, r.status, r.exit_code, r.reason) for r in plan.settled] == [
        (root / "small", None, "skipped", 0, "a folder of an earlier quantize batch's outputs "
         "(it holds .quantize-batch.jsonl), not searched: name it as INPUT_DIR to process its "
         "images")]
    again = batch.plan_batch(root, root / "small", COPY, recursive=True)  # its own: left out
    assert [r.input for r in again.settled] == [root / "a.png", root / "sub" / "b.png"]
    assert [j.input for j in again.jobs] == [root / "kept" / "c.png"]
    named = batch.plan_batch(root / "small", tmp_path / "out", COPY, recursive=True)
    assert [j.input.name for j in named.jobs] == ["a.png", "b.png"]  # named: taken


def _open_for_a_reader(fifo, stop) -> None:
    """Let a reader that opened ``fifo`` see its end (so that a test fails, not hangs)."""
    while not stop.is_set():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError:  # no reader yet
            time.sleep(0.01)


def test_a_named_pipe_among_the_inputs_is_skipped_unread_with_its_reason(tmp_path):
    """A FIFO named like an image was opened to sniff it, and planning waited forever."""
    root = tmp_path / "in"
    root.mkdir()
    Image.new("RGB", (2, 2), "red").save(root / "a.png")
    fifo = root / "pipe.png"
    os.mkfifo(fifo)
    stop = threading.Event()
    writer = threading.Thread(target=_open_for_a_reader, args=(fifo, stop), daemon=True)
    writer.start()
    try:
        plan = batch.plan_batch(root, tmp_path / "out", COPY)
    finally:
        stop.set()
        writer.join()
    assert [j.input for j in plan.jobs] == [root / "a.png"]
    assert [(r.input, r.output, r.status, r.reason, r.exit_code) for r in plan.settled] == [
        (fifo, None, "skipped", "a named pipe (FIFO), not a regular file; not read", 0)]


def test_a_file_found_larger_is_planned_again_only_when_something_changed(tmp_path):
    """A file whose result was larger is skipped again, from its record, only while its
    input, the settings and skip_if_larger stay as they were; else it is a job again."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src / "a.png")  # its 4-colour result is larger
    mode, larger = batch.reduce_mode(), {"n_colors": 4, "skip_if_larger": True}
    [first] = batch.run_batch(batch.plan_batch(src, out, mode, options=larger), jobs=1)
    assert (first.status, first.output, first.exit_code) == (
        "skipped", None, ExitCode.TOO_LARGE)
    again = batch.plan_batch(src, out, mode, options=larger)
    assert (again.jobs, again.settled) == ([], [first])
    for options in ({**larger, "n_colors": 3}, {"n_colors": 4}):
        assert [j.input.name for j in batch.plan_batch(src, out, mode, options=options).jobs
                ] == ["a.png"]
    Image.new("RGB", (4, 4), (9, 9, 10)).save(src / "a.png")
    assert [j.input.name for j in batch.plan_batch(src, out, mode, options=larger).jobs
            ] == ["a.png"]


def test_an_input_folder_that_is_a_link_loop_is_not_a_folder(tmp_path):
    """Resolving it raised RuntimeError('Symlink loop from ...'), a traceback."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(ImageReadError) as info:
        batch.plan_batch(tmp_path / "a", tmp_path / "out", COPY)
    assert str(info.value) == (f"{tmp_path / 'a'}: is a link to {str(tmp_path / 'b')!r}, which "
                               "leads into a link loop, never to a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_link_loop_in_the_input_folder_is_said_to_be_one(tmp_path):
    """Each link of the loop, and a link into it, was said to lead "to no file", as a link
    to a file removed is; the other files are planned."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "fine.png")
    (src / "a.png").symlink_to("b.png")
    (src / "b.png").symlink_to("a.png")
    (src / "into.png").symlink_to("a.png")
    (src / "gone.png").symlink_to("moved.png")
    plan = batch.plan_batch(src, tmp_path / "out", batch.reduce_mode())
    assert [j.input.name for j in plan.jobs] == ["fine.png"]
    loop = "which leads into a link loop, never to a file"
    assert {r.input.name: (r.status, r.reason) for r in plan.settled} == {
        "a.png": ("failed", f"is a link to 'b.png', {loop}"),
        "b.png": ("failed", f"is a link to 'a.png', {loop}"),
        "into.png": ("failed", f"is a link to 'a.png', {loop}"),
        "gone.png": ("failed", "is a link to 'moved.png', which leads to no file")}


def test_an_output_name_held_by_a_link_to_nothing_fails_its_file_without_force(tmp_path):
    """The job replaced the link with its output, though reduce and segment refuse to
    without force."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    out = tmp_path / "out"
    [job] = batch.plan_batch(src, out, COPY).jobs
    out.mkdir()
    job.output.symlink_to("nowhere.png")
    plan = batch.plan_batch(src, out, COPY)
    assert plan.jobs == []
    [result] = plan.settled
    assert (result.status, result.reason, result.exit_code) == (
        "failed", "output is a link to 'nowhere.png', which does not exist; use force=True to "
        "overwrite", ExitCode.EXISTS)
    assert [j.output for j in batch.plan_batch(src, out, COPY, force=True).jobs] == [job.output]


def test_an_output_name_too_long_fails_its_file_not_the_plan(tmp_path):
    # a.jpg and a.png keep their extension: a 248-byte stem gives a 256-byte output name.
    # Once the output folder existed, looking it up raised "File name too long" and
    # ended the whole plan, so no other file was done.
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    stem = "s" * 248
    for name in (f"{stem}.jpg", f"{stem}.png", "b.png"):
        Image.new("RGB", (4, 4)).save(src / name, format="PNG")
    plan = batch.plan_batch(src, out, COPY)
    assert [j.input.name for j in plan.jobs] == ["b.png"]
    assert sorted((r.input.name, r.status, r.reason, r.exit_code) for r in plan.settled) == [
        (f"{stem}.{ext}", "failed", f"{out / f'{stem}.{ext}.png'}: name too long: 256 bytes, "
         "and a file name may have at most 255; shorten the name of the input it is made "
         "from: a batch names each output after its input", ExitCode.FAILED)
        for ext in ("jpg", "png")]  # not "choose a shorter output name": batch names them


def test_an_output_path_too_long_for_the_system_fails_its_file_not_the_plan(tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)  # the inputs' paths stay within the 4096 bytes of a path
    src = Path("in")
    deep = src.joinpath(*["d" * 250] * 16)
    deep.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(deep / "a.png")
    Image.new("RGB", (4, 4)).save(src / "b.png")
    out = tmp_path / ("o" * 250)
    out.mkdir()
    plan = batch.plan_batch(src, out, COPY, recursive=True)
    assert [j.input.name for j in plan.jobs] == ["b.png"]
    (failed,) = plan.settled
    target = out.joinpath(*["d" * 250] * 16, "a.png")
    assert (failed.input, failed.status, failed.exit_code) == (deep / "a.png", "failed",
                                                               ExitCode.FAILED)
    assert failed.reason == (f"{target}: path too long for the system "
                             f"({len(os.fsencode(str(target)))} bytes); choose an output folder "
                             "with a shorter path")


def _segment_folder_holding(tmp_path, name):
    """in/a.png, and out/a/ (its segment output folder) holding a file of the user's,
    ``name``, and no segments.json."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    (out / "a").mkdir(parents=True)
    (out / "a" / name).write_bytes(b"mine")
    return src, out


def test_a_folder_holding_a_segment_file_of_no_record_is_not_written_into(tmp_path):
    """out/a/labels.png of the user's: not a finished output, but a job writing there
    would replace it; skipped as an output of no record, and made with force."""
    src, out = _segment_folder_holding(tmp_path, "labels.png")
    plan = batch.plan_batch(src, out, batch.segment_mode())
    assert plan.jobs == []
    assert [(r.input, r.status, r.reason) for r in plan.settled] == [
        (src / "a.png", "skipped", "output exists; no record of the run that made it")]
    forced = batch.plan_batch(src, out, batch.segment_mode(), force=True)
    assert [j.input for j in forced.jobs] == [src / "a.png"]


def test_a_folder_holding_only_other_files_is_written_into(tmp_path):
    """out/a/notes.txt is no file a segment job writes: the job is planned."""
    src, out = _segment_folder_holding(tmp_path, "notes.txt")
    plan = batch.plan_batch(src, out, batch.segment_mode())
    assert [j.input for j in plan.jobs] == [src / "a.png"]


def test_the_plan_names_the_patterns_that_match_no_file(photo_tree, tmp_path):
    """A pattern that took no file (or left none out) was not in the plan at all, so no
    caller could say it; those of files the search did not see (sub-folders, without
    recursive) are among them, and README.txt, of no image extension, is matched."""
    plan = batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode(),
                            pattern=["*.png", "*.JPG", "*.jpg"],
                            exclude_pattern=["sub/*", "/chelsea.png", "README*"])
    assert plan.unmatched == [("pattern", "*.JPG"), ("exclude_pattern", "sub/*"),
                              ("exclude_pattern", "/chelsea.png")]
    assert sorted(job.input.name for job in plan.jobs) == ["astronaut.jpg", "chelsea.png"]
    deep = batch.plan_batch(photo_tree, tmp_path / "out", batch.reduce_mode(), recursive=True,
                            exclude_pattern=["sub/*", "*.txt"])
    assert deep.unmatched == []


def test_a_folder_of_segment_outputs_says_how_many_photos_it_leaves_unprocessed(tmp_path):
    """'segment in/2024/IMG_1.png -o in/2024' wrote segment's outputs among the photos; a
    later 'batch in -r' skipped the folder as one of segment's outputs, saying nothing of
    IMG_1.png, IMG_2.png and the sub-folder's IMG_3.png, none of them processed."""
    from quantize.segment_file import segment_file

    root = tmp_path / "in"
    folder = root / "2024"
    (folder / "deep").mkdir(parents=True)
    for path in (folder / "IMG_1.png", folder / "IMG_2.png", folder / "deep" / "IMG_3.png"):
        Image.new("RGB", (8, 8), "red").save(path)
    (folder / "notes.txt").write_text("not an image")
    segment_file(folder / "IMG_1.png", tmp_path / "seg", n_clusters=1)
    for path in (tmp_path / "seg").iterdir():
        path.rename(folder / path.name)
    plan = batch.plan_batch(root, tmp_path / "out", COPY, recursive=True)
    assert [(r.input, r.reason) for r in plan.settled] == [(
        folder, "a folder of quantize segment's outputs (it holds labels.png and "
        "segments.json), not searched: its images are region maps, not photos; 3 image "
        "files in it that segment did not write were not processed either (move segment's "
        "outputs out of it to have them processed)")]
