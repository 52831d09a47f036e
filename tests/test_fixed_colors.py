"""Fixed palette entries: colours a fit keeps, exactly, as its first entries (reduce
--fixed-color, reduce_colors(fixed_colors=...), MiniBatchKMeans(fixed_centers=...)), and
the shared palette of a batch written as a palette file (batch --palette-out)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from quantize import MiniBatchKMeans, reduce_colors
from quantize._kernels import lloyd
from quantize.palette_files import read_palette
from quantize.reduce import fit_palette
from tests.cli_support import run_in_process

MAGENTA = [255, 0, 255]


def _four_colours() -> np.ndarray:
    """4 x 4 image: two reds (200 and 210) above, two blues (200 and 220) below."""
    image = np.zeros((4, 4, 3), np.uint8)
    image[:2, :2] = [200, 0, 0]
    image[:2, 2:] = [210, 0, 0]
    image[2:, :2] = [0, 0, 200]
    image[2:, 2:] = [0, 0, 220]
    return image


def _blobs(rng: np.random.Generator, n: int = 300) -> np.ndarray:
    return np.concatenate([rng.normal(0, 1, (n, 3)), rng.normal(10, 1, (n, 3)),
                           rng.normal(-10, 1, (n, 3))]).astype(np.float32)


# -- the k-means core ---------------------------------------------------------------------


def test_lloyd_keeps_fixed_centres_in_place_and_refills_only_free_empty_ones():
    X = np.array([[0.], [1.], [9.], [10.]])
    # centre 0 is fixed far from every row; centre 2 starts empty
    centers, labels, _ = lloyd(X, None, np.array([[4.], [0.], [100.]]), 10, fixed=1)
    # 9 and 10 first take the fixed centre 4; the empty centre 2 is refilled at 10, the
    # farthest row, and takes them; the fixed centre, left empty, stays at 4
    assert centers[:, 0].tolist() == [4.0, 0.5, 9.5]
    assert labels.tolist() == [1, 1, 2, 2]


def test_swaps_neither_take_nor_split_fixed_centres():
    from quantize.kmeans_run import swap_search

    X = np.array([[0.], [1.], [10.], [11.], [20.], [21.]], np.float32)
    start = np.array([[0.], [1.], [15.5]])
    # the free centre at 1 is taken to split the pair around 15.5; the fixed one at 0 stays
    assert swap_search(X, np.ones(6), start, 4, fixed=1).ravel().tolist() == [0.0, 10.5, 20.5]
    # with both centres on the left fixed, no free centre is left to take
    assert swap_search(X, np.ones(6), start, 4, fixed=2).ravel().tolist() == [0.0, 1.0, 15.5]


@pytest.mark.parametrize("n_init", [1, 3])
@pytest.mark.parametrize("rows", [300, 30_000])  # Lloyd passes alone; the mini-batch phase
def test_fixed_centres_do_not_move_and_their_members_count(n_init, rows):
    rng = np.random.default_rng(0)
    X = _blobs(rng, rows // 3)
    fixed = np.array([[100.0, 100.0, 100.0], [0.25, 0.5, 0.125]])
    km = MiniBatchKMeans(4, fixed_centers=fixed, n_init=n_init, batch_size=256,
                         seed=0).fit(X)
    assert np.array_equal(km.cluster_centers_[:2], fixed)
    # the fixed centre near the blob at 0 takes it; the one far away none
    counts = np.bincount(km.labels_, minlength=4)
    assert counts[0] == 0 and counts[1] == rows // 3
    d = ((X.astype(np.float64) - km.cluster_centers_[km.labels_]) ** 2).sum()
    assert km.inertia_ == pytest.approx(d, rel=1e-5)
    assert km.labels_.tolist() == km.predict(X).tolist()
    again = MiniBatchKMeans(4, fixed_centers=fixed, n_init=n_init, batch_size=256,
                            seed=0).fit(X)
    assert np.array_equal(again.cluster_centers_, km.cluster_centers_)


def test_fixed_centres_equal_a_fit_that_never_moves_them():
    """With the free centres seeded where the plain fit ends, one run with the fixed centre
    equals Lloyd passes that put it back after every step (brute force)."""
    rng = np.random.default_rng(1)
    X = _blobs(rng).astype(np.float64)
    fixed = np.array([[3.0, 3.0, 3.0]])
    km = MiniBatchKMeans(3, fixed_centers=fixed, refine=100, seed=0).fit(X)
    centers = km.cluster_centers_.copy()
    for _ in range(50):  # a fixed point: one more brute-force step moves nothing
        d = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2)
        labels = d.argmin(axis=1)
        new = np.array([X[labels == j].mean(axis=0) if (labels == j).any() else centers[j]
                        for j in range(3)])
        new[0] = fixed[0]
        if np.allclose(new, centers):
            break
        centers = new
    assert np.allclose(centers, km.cluster_centers_, atol=1e-6)


def test_partial_fit_keeps_fixed_centres():
    rng = np.random.default_rng(2)
    fixed = np.array([[0.5, 0.5, 0.5]])
    km = MiniBatchKMeans(3, fixed_centers=fixed, seed=0)
    for _ in range(4):
        km.partial_fit(_blobs(rng, 100))
    assert np.array_equal(km.cluster_centers_[:1], fixed)
    assert sorted(np.round(km.cluster_centers_[1:, 0]).tolist()) == [-10.0, 10.0]


@pytest.mark.parametrize(("params", "match"), [
    ({"fixed_centers": np.zeros((3, 3))}, r"fixed_centers should have shape \(f, 3\) with "
                                          r"1 <= f <= n_clusters=2, got \(3, 3\)"),
    ({"fixed_centers": np.zeros((1, 2))}, r"fixed_centers should have shape \(f, 3\)"),
    ({"fixed_centers": np.zeros((1, 3)), "init": np.zeros((2, 3))},
     "fixed_centers goes with init='k-means"),
])
def test_fixed_centres_refused(params, match):
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=match):
        MiniBatchKMeans(2, seed=0, **params).fit(X)


# -- reduce_colors and fit_palette -----------------------------------------------------


def test_fixed_colour_not_in_the_image_is_entry_0_the_others_the_means():
    image = _four_colours()
    result = reduce_colors(image, 3, fixed_colors=["#ff00ff"], seed=0)
    assert result.palette.tolist() == [MAGENTA, [0, 0, 210], [205, 0, 0]]
    assert result.indices.tolist() == [[2] * 4, [2] * 4, [1] * 4, [1] * 4]
    assert result.shares.tolist() == [0.0, 0.5, 0.5]


def test_pixels_nearest_a_fixed_colour_take_it():
    image = _four_colours()
    result = reduce_colors(image, 3, fixed_colors=[(198, 0, 0)], seed=0)
    assert result.palette[0].tolist() == [198, 0, 0]
    # the darker red (200) is nearer 198 than any mean the two free entries take
    assert (result.indices[:2, :2] == 0).all()


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_fixed_colours_first_in_their_order_on_a_photo(dither):
    from skimage import data

    photo = data.astronaut()[::4, ::4]
    fixed = ["#ff00ff", "black", "white"]
    result = reduce_colors(photo, 16, fixed_colors=fixed, dither=dither, seed=0)
    assert result.palette[:3].tolist() == [MAGENTA, [0, 0, 0], [255, 255, 255]]
    assert result.k == 16
    plain = reduce_colors(photo, 16, dither=dither, seed=0)
    assert result.palette.tolist() != plain.palette.tolist()


def test_fixed_colours_count_in_the_quality_search():
    from skimage import data

    photo = data.coffee()[::8, ::8]
    result = reduce_colors(photo, quality=4.0, fixed_colors=["#ff00ff", "#00ff00"], seed=0)
    assert result.palette[:2].tolist() == [MAGENTA, [0, 255, 0]]
    assert result.delta_e <= 4.0


def test_rgba_image_transparent_entry_comes_after_the_fixed_ones(tmp_path):
    rgba = np.dstack([_four_colours(), np.full((4, 4), 255, np.uint8)])
    rgba[0, 0, 3] = 0
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    done = run_in_process(["reduce", src, "-k", "3", "--fixed-color", "#ff00ff", "-o",
                           tmp_path / "o.png", "--palette-out", tmp_path / "o.gpl", "-q"])
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "o.png") as out:
        assert out.getpalette()[:3] == MAGENTA
        assert out.info["transparency"] == 1  # entry 1 alone is transparent
        assert np.asarray(out)[0, 0] == 1
    listed = read_palette(tmp_path / "o.gpl")
    assert listed[0].tolist()[:3] == MAGENTA and listed[1].tolist() == [0, 0, 0, 0]


def test_fit_palette_keeps_fixed_colours_first():
    colors = np.array([[0, 0, 0], [0, 0, 2], [250, 0, 0], [254, 0, 0]], np.uint8)
    palette = fit_palette(colors, [1, 1, 3, 1], 3, fixed_colors=["white"], seed=0)
    assert palette.tolist() == [[255, 255, 255], [250, 0, 0], [0, 0, 1]]  # 250 holds 3 of 4


TWO = np.array([[10, 200, 30], [240, 240, 10]], np.uint8)  # a green held, a yellow


def test_fewer_colours_than_entries_beside_fixed_ones_are_fitted_not_refused():
    # k = 3 and two fixed colours leave one entry for the two colours: k-means took its
    # 3 centres for more than the 2 rows there are
    fixed = ["#d32f2f", "#ed6c02"]
    palette = fit_palette(TWO, [5, 3], 3, fixed_colors=fixed, seed=0)
    assert palette.tolist() == [[211, 47, 47], [237, 108, 2], [10, 200, 30]]
    image = Image.fromarray(np.repeat(TWO[None], 2, axis=0))
    result = reduce_colors(image, 3, fixed_colors=fixed, seed=0)
    assert result.palette[:2].tolist() == [[211, 47, 47], [237, 108, 2]]
    assert result.palette.shape[0] == 3


def test_a_shared_palette_keeps_the_images_few_colours_beside_the_fixed_ones():
    from quantize.reduce.shared import fit_shared_palette

    options = {"n_colors": 4, "fixed_colors": ["#d32f2f", "#ed6c02"]}
    palette = fit_shared_palette(TWO, np.array([5, 3]), options)
    assert palette.tolist() == [[211, 47, 47], [237, 108, 2], [10, 200, 30], [240, 240, 10]]
    three = fit_shared_palette(TWO, np.array([5, 3]), {**options, "n_colors": 3})
    assert three.tolist() == [[211, 47, 47], [237, 108, 2], [10, 200, 30]]


@pytest.mark.parametrize(("fixed", "match"), [
    (["red", "#f00"], r"fixed_colors='#f00' repeats #ff0000, given before it"),
    (["red", "lime", "blue", "black"], r"fixed_colors=red,lime,blue,black holds 4 colours, "
                                       r"more than n_colors=3"),
    (["#ff00ff80"], r"fixed_colors='#ff00ff80' has alpha, which a fixed entry cannot have"),
    (["nocolour"], r"fixed_colors='nocolour' is not valid"),
])
def test_fixed_colours_refused(fixed, match):
    with pytest.raises(ValueError, match=match):
        reduce_colors(_four_colours(), 3, fixed_colors=fixed)


@pytest.mark.parametrize("written", ["1565c0", "1565C0", "#1565c0", "rgb(21 101 192)",
                                     "rgb(21, 101, 192)", "rgb(21 101 192 / 1)"])
def test_fixed_colours_read_bare_hex_and_css4_space_syntax(written):
    colors = np.array([[0, 0, 0], [250, 0, 0]], np.uint8)
    palette = fit_palette(colors, [1, 1], 3, fixed_colors=[written], seed=0)
    assert palette[0].tolist() == [21, 101, 192]


@pytest.mark.parametrize(("written", "error"), [
    ("rgb(300,0,0)", "fixed_colors='rgb(300,0,0)' is out of range; expected levels 0..255 "
                     "(rgb(r,g,b)), or percentages 0..100%"),
    ("rgb(0 0 256)", "fixed_colors='rgb(0 0 256)' is out of range"),
    # a bare 3-digit number reads as a number, not as #rgb
    ("123", "fixed_colors='123' is not valid; expected a colour name (red, cyan, yellow, ...), "
            "#rrggbb, #rgb, rrggbb, rgb(r,g,b), rgb(r g b) or hsl(h,s%,l%)"),
    ("rgb(21 101 192 / 50%)", "fixed_colors='rgb(21 101 192 / 50%)' has alpha"),
])
def test_fixed_colours_refused_with_the_forms_taken(written, error):
    with pytest.raises(ValueError) as raised:
        reduce_colors(_four_colours(), 3, fixed_colors=[written])
    assert str(raised.value).startswith(error)


def test_fixed_colours_refused_beside_a_given_palette_alone():
    with pytest.raises(ValueError, match=r"^fixed_colors=red goes with a fit, or with "
                       r"n_colors=K beside palette \(entries pinned among those chosen\), not "
                       r"with palette alone"):
        reduce_colors(_four_colours(), fixed_colors=["red"], palette=[[0, 0, 0], [9, 9, 9]])


_INKS = [[200, 0, 0], [0, 0, 210], [255, 0, 0], [0, 0, 0]]  # error red, blue, red, ink


def test_fixed_colours_beside_a_palette_and_n_colors_are_pinned_among_those_chosen():
    # -k 2 of a palette chose the two entries nearest the image, dropping a brand's
    # error red (not in the image) with no way to keep it.
    assert reduce_colors(_four_colours(), 2, palette=_INKS).palette.tolist() == [
        [200, 0, 0], [0, 0, 210]]
    pinned = reduce_colors(_four_colours(), 2, palette=_INKS, fixed_colors=["#ff0000"])
    assert pinned.palette.tolist() == [[0, 0, 210], [255, 0, 0]]  # the best entry beside it
    assert pinned.indices.tolist() == [[1] * 4] * 2 + [[0] * 4] * 2


def test_a_pinned_colour_must_be_an_entry_of_the_palette():
    with pytest.raises(ValueError, match=r"^fixed_colors=#123456 is not an entry of palette; "
                       r"expected colours of the palette, pinned among the n_colors=K chosen"):
        reduce_colors(_four_colours(), 2, palette=_INKS, fixed_colors=["#123456"])


# -- the command line ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".gif", ".bmp"])
def test_reduce_writes_the_fixed_colour_at_index_0(tmp_path, suffix):
    src = tmp_path / "a.png"
    Image.fromarray(_four_colours()).save(src)
    out = tmp_path / f"o{suffix}"
    done = run_in_process(["reduce", src, "-k", "3", "--fixed-color", "#ff00ff",
                           "--fixed-color", "black", "-o", out, "--palette-out",
                           tmp_path / "o.gpl", "--json"])
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["fixed_colors"] == ["#ff00ff", "#000000"]
    with Image.open(out) as image:
        assert image.getpalette()[:6] == [*MAGENTA, 0, 0, 0]
    assert read_palette(tmp_path / "o.gpl")[:2].tolist() == [MAGENTA, [0, 0, 0]]


@pytest.mark.parametrize(("args", "error"), [
    (["--fixed-color", "red", "--palette-in", "p.gpl"],
     "quantize: error: --fixed-color=red goes with a fit, or with -k/--colors=K beside "
     "--palette-in='p.gpl' (entries pinned among those chosen), not with --palette-in='p.gpl' "
     "alone: give the fixed colours as the palette's own entries\n"),
    (["-k", "1", "--fixed-color", "red", "--palette-in", "p.gpl"],
     "quantize: error: a.png: --fixed-color=#ff0000 is not an entry of --palette-in='p.gpl'; "
     "expected colours of the palette, pinned among the -k/--colors=K chosen (add it to the "
     "palette to keep it)\n"),
    (["-k", "2", "--fixed-color", "red", "--fixed-color", "lime", "--fixed-color", "blue"],
     "quantize: error: --fixed-color=red,lime,blue holds 3 colours, more than "
     "-k/--colors=2; expected at most 2\n"),
    (["--fixed-color", "red", "--fixed-color", "#f00"],
     "quantize: error: --fixed-color='#f00' repeats #ff0000, given before it; expected each "
     "colour once\n"),
])
def test_reduce_refuses_bad_fixed_colours_in_one_line(tmp_path, args, error):
    src = tmp_path / "a.png"
    Image.fromarray(_four_colours()).save(src)
    (tmp_path / "p.gpl").write_text("GIMP Palette\n#\n0 0 0\n255 255 255\n")
    done = run_in_process(["reduce", "a.png", "-o", "o.png", *args], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, error)
    assert not (tmp_path / "o.png").exists()


def test_reduce_pins_fixed_colours_among_the_k_entries_of_palette_in(tmp_path):
    Image.fromarray(_four_colours()).save(tmp_path / "a.png")
    (tmp_path / "tokens.css").write_text(":root {\n  --color-red: rgb(200 0 0);\n"
                                         "  --color-blue: #0000d2;\n  --color-error: #ff0000;\n"
                                         "  --ink: #000;\n}\n")
    done = run_in_process(["reduce", "a.png", "--palette-in", "tokens.css", "-k", "2",
                           "--fixed-color", "#ff0000", "-o", "o.png", "--palette-out", "o.css"],
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.css").read_text().splitlines()[2:4] == [
        "  --color-blue: #0000d2; /* 50.00% */", "  --color-error: #ff0000; /* 50.00% */"]


def test_a_size_budget_tries_no_fewer_colours_than_the_fixed_ones(tmp_path):
    from skimage import data

    src = tmp_path / "a.png"
    Image.fromarray(data.astronaut()[::8, ::8]).save(src)
    fixed = ["--fixed-color", "red", "--fixed-color", "lime", "--fixed-color", "blue"]
    done = run_in_process(["reduce", src, "--max-bytes", "100", *fixed, "-o",
                           tmp_path / "o.png"])
    assert done.returncode == 99
    assert "--max-bytes=100: even 3 colours take" in done.stderr
    done = run_in_process(["reduce", src, "--max-bytes", "2KB", *fixed, "-o",
                           tmp_path / "o.png", "--json"])
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert 3 <= record["k"] < 256
    assert [e["hex"] for e in record["palette"][:3]] == ["#ff0000", "#00ff00", "#0000ff"]


def test_palette_command_lists_fixed_colours_first(tmp_path):
    src = tmp_path / "a.png"
    Image.fromarray(_four_colours()).save(src)
    done = run_in_process(["palette", src, "-k", "4", "--fixed-color", "white", "--json"])
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert [e["hex"] for e in record["palette"]][:1] == ["#ffffff"]
    assert record["palette"][0]["share"] == 0.0 and record["fixed_colors"] == ["#ffffff"]


# -- batch: the shared palette -----------------------------------------------------------


def _folder(tmp_path):
    from skimage import data

    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(data.astronaut()[::8, ::8]).save(folder / "a.png")
    chelsea = data.chelsea()[::8, ::8]
    rgba = np.dstack([chelsea, np.full(chelsea.shape[:2], 255, np.uint8)])
    rgba[:4, :4, 3] = 0
    Image.fromarray(rgba).save(folder / "c.png")
    return folder


def test_batch_writes_the_shared_palette_file_with_fixed_colours_first(tmp_path):
    folder, out = _folder(tmp_path), tmp_path / "out"
    args = ["batch", folder, "-o", out, "--mode", "reduce", "-k", "8", "--shared-palette",
            "--fixed-color", "#ff00ff", "--palette-out", "shared.gpl", "-q"]
    done = run_in_process(args)
    assert done.returncode == 0, done.stderr
    listed = read_palette(out / "shared.gpl")
    assert np.array_equal(listed, read_palette(out / "shared-palette.json"))
    # the fixed colour first, then the entry of transparent pixels, then the fitted ones
    assert listed[0].tolist() == [*MAGENTA, 255] and listed[1].tolist() == [0, 0, 0, 0]
    assert listed.shape[0] == 9
    for name in ("a.png", "c.png"):
        with Image.open(out / name) as image:
            assert image.getpalette()[:3] == MAGENTA
    (out / "shared.gpl").unlink()
    again = run_in_process(args)  # reused palette, written again; every file skipped
    assert again.returncode == 0, again.stderr
    assert np.array_equal(read_palette(out / "shared.gpl"), listed)


@pytest.mark.parametrize(("args", "error"), [
    (["--palette-out", "s.gpl"], "--palette-out='s.gpl' writes the shared palette; expected "
                                 "it with --shared-palette"),
    (["--shared-palette", "--palette-out", "sub/s.gpl"],
     "--palette-out='sub/s.gpl' should be a file name, written in OUT_DIR; got a path"),
    (["--shared-palette", "--palette-out", "s.png"], "names an image"),
])
def test_batch_refuses_a_bad_palette_out(tmp_path, args, error):
    folder = _folder(tmp_path)
    done = run_in_process(["batch", folder, "-o", tmp_path / "out", "--mode", "reduce",
                           "-k", "8", *args])
    assert done.returncode == 2 and error in done.stderr
    assert done.stderr.count("\n") == 1


# -- animations: the one palette of all the frames ---------------------------------------


def _animation(tmp_path):
    frames = []
    for shift in range(3):
        image = np.zeros((8, 8, 3), np.uint8)
        image[:, :4] = [200, 30, 30]
        image[:, 4:] = [20, 20, 220]
        image[shift:shift + 2, :] = [30, 200, 30]
        frames.append(Image.fromarray(image))
    src = tmp_path / "a.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return src


def test_an_animation_keeps_fixed_colours_first_in_its_one_palette(tmp_path):
    src = _animation(tmp_path)
    done = run_in_process(["reduce", src, "-k", "4", "--fixed-color", "#ff00ff", "-o",
                           tmp_path / "o.gif", "--palette-out", tmp_path / "o.gpl", "-q"])
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "o.gif") as out:
        assert out.getpalette()[:3] == MAGENTA
        fitted = {tuple(out.getpalette()[i:i + 3]) for i in (3, 6, 9)}
    assert fitted == {(200, 30, 30), (20, 20, 220), (30, 200, 30)}
    assert read_palette(tmp_path / "o.gpl")[0].tolist() == MAGENTA


def test_an_animation_refuses_fixed_colours_with_a_palette_per_frame(tmp_path):
    src = _animation(tmp_path)
    done = run_in_process(["reduce", src, "-k", "4", "--fixed-color", "#ff00ff",
                           "--palette", "per-frame", "-o", tmp_path / "o.gif"])
    assert done.returncode == 2
    assert done.stderr.endswith("--fixed-color=#ff00ff goes with one palette for all the "
                                "frames, not with --palette='per-frame'; expected "
                                "--palette='global'\n")


# -- the names a palette file of fixed colours gives ---------------------------------------

BRAND = "GIMP Palette\nName: brand\n#\n211  47  47\tError red\n237 108   2\tWarning orange\n"
BRAND_NAMES = ["Error red", "Warning orange"]


def _brand(tmp_path):
    (tmp_path / "brand.gpl").write_text(BRAND)
    return tmp_path / "brand.gpl"


def _names(path):
    from quantize.palette_files import read_palette_names

    return list(read_palette_names(path).entries)


@pytest.mark.parametrize("suffix", [".gpl", ".json", ".css", ".ase"])
def test_reduce_keeps_the_names_of_fixed_colours_read_from_a_palette_file(tmp_path, suffix):
    src = tmp_path / "a.png"
    Image.fromarray(_four_colours()).save(src)
    named = tmp_path / f"brand{suffix}"
    from quantize.palette_files import write_palette

    write_palette(named, np.array([[211, 47, 47], [237, 108, 2]], np.uint8),
                  names=BRAND_NAMES)
    done = run_in_process(["reduce", src, "-k", "4", "--fixed-color", named, "-o",
                           tmp_path / "o.png", "--palette-out", tmp_path / "p.gpl", "--json"])
    assert done.returncode == 0, done.stderr
    given = _names(named)  # a .css file's names are its properties': error-red
    assert given[0] in ("Error red", "error-red")
    assert _names(tmp_path / "p.gpl") == [*given, None, None]
    record = json.loads(done.stdout)
    assert [e.get("name") for e in record["palette"]] == [*given, None, None]


def test_reduce_file_keeps_the_names_of_a_fixed_colours_file(tmp_path):
    from quantize.reduce import reduce_file

    src = tmp_path / "a.png"
    Image.fromarray(_four_colours()).save(src)
    record = reduce_file(src, tmp_path / "o.png", n_colors=3, fixed_colors=str(_brand(tmp_path)),
                         palette_out=tmp_path / "p.json")
    assert record["fixed_colors"] == ["#d32f2f", "#ed6c02"]
    assert _names(tmp_path / "p.json") == [*BRAND_NAMES, None]


def test_an_animation_keeps_the_names_of_fixed_colours(tmp_path):
    src = _animation(tmp_path)
    done = run_in_process(["reduce", src, "-k", "5", "--fixed-color", _brand(tmp_path), "-o",
                           tmp_path / "o.gif", "--palette-out", tmp_path / "o.gpl", "-q"])
    assert done.returncode == 0, done.stderr
    assert _names(tmp_path / "o.gpl") == [*BRAND_NAMES, None, None, None]


def test_the_palette_command_keeps_the_names_of_fixed_colours(tmp_path):
    src = tmp_path / "a.png"
    Image.fromarray(_four_colours()).save(src)
    done = run_in_process(["palette", src, "-k", "4", "--fixed-color", _brand(tmp_path), "-o",
                           tmp_path / "p.css", "--json"])
    assert done.returncode == 0, done.stderr
    assert _names(tmp_path / "p.css") == [*(n.lower().replace(" ", "-") for n in BRAND_NAMES),
                                          None, None]
    assert [e.get("name") for e in json.loads(done.stdout)["palette"]] == [*BRAND_NAMES,
                                                                          None, None]


def test_batch_keeps_the_names_of_fixed_colours_in_the_shared_palette_file(tmp_path):
    folder, out = _folder(tmp_path), tmp_path / "out"
    done = run_in_process(["batch", folder, "-o", out, "--mode", "reduce", "-k", "8",
                           "--shared-palette", "--fixed-color", _brand(tmp_path),
                           "--palette-out", "shared.gpl", "-q"])
    assert done.returncode == 0, done.stderr
    # the fixed colours, then the entry of transparent pixels, then the fitted ones
    assert _names(out / "shared.gpl")[:2] == BRAND_NAMES
    assert read_palette(out / "shared.gpl")[:2, :3].tolist() == [[211, 47, 47], [237, 108, 2]]


def test_far_palette_advice_fits_fixed_colours_already_given(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    Image.fromarray(_four_colours()).save(folder / "a.png")
    (tmp_path / "tokens.css").write_text(":root {\n  --ink: #000000;\n  --sun: #ffff00;\n}\n")
    done = run_in_process(["batch", folder, "-o", tmp_path / "out", "--mode", "reduce",
                           "--palette-in", tmp_path / "tokens.css", "-k", "2",
                           "--fixed-color", "000000", "-q"])
    assert done.returncode == 0, done.stderr
    assert "is far from the image's colours" in done.stderr
    assert ("to keep --fixed-color=#000000 exactly and fit the others, give them without "
            "--palette-in=") in done.stderr
    assert "give those as --fixed-color=COLOUR instead" not in done.stderr
