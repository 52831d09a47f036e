"""Shared k-means classes across images (quantize.classes, segment(classes_in=...))."""

from __future__ import annotations

import json

import numpy as np
import pytest

from quantize import segment
from quantize.classes import SharedClasses, read_classes
from quantize.errors import ImageReadError
from quantize.segment import fit_classes

RED, BLUE, GREEN = (200, 30, 30), (30, 30, 200), (40, 180, 40)
FLAT = {"texture": 0}  # colour alone: exact answers on tiny images


def _two_colours(red_rows: slice, shape=(40, 40)) -> np.ndarray:
    img = np.empty(shape + (3,), np.uint8)
    img[:] = BLUE
    img[red_rows] = RED
    return img


@pytest.fixture
def pair():
    # The same two colours in other layouts and proportions: red a quarter of one, the
    # bottom three quarters of the other.
    return _two_colours(slice(0, 10)), _two_colours(slice(10, 40))


def _class_of(result, colour) -> int:
    (c,) = {r["cluster"] for r in result.cluster_stats() if r["mean_color"] == list(
        map(float, colour))}
    return c


def test_a_colour_is_one_class_in_every_image(pair):
    classes = fit_classes(pair, 2, weights=FLAT, seed=0)
    a, b = (segment(img, classes_in=classes, seed=0) for img in pair)
    red = _class_of(a, RED)
    assert _class_of(b, RED) == red and _class_of(a, BLUE) == _class_of(b, BLUE) == 1 - red
    assert np.array_equal(a.cluster_map(), np.where((pair[0] == RED).all(axis=2), red, 1 - red))
    assert np.array_equal(b.cluster_map(), np.where((pair[1] == RED).all(axis=2), red, 1 - red))
    assert np.array_equal(a.centers, classes.centers)


def test_saved_classes_apply_to_a_third_image(pair, tmp_path):
    classes = fit_classes(pair, 2, weights=FLAT, seed=0)
    path = tmp_path / "classes.json"
    classes.save(path)
    third = _two_colours(slice(20, 30))  # red in a band across the middle
    result = segment(third, classes_in=path, seed=0, min_region=0)
    red = _class_of(segment(pair[0], classes_in=classes, seed=0), RED)
    assert _class_of(result, RED) == red
    assert read_classes(path).n_clusters == 2
    assert np.array_equal(read_classes(path).centers, classes.centers)


def test_a_class_absent_from_an_image_keeps_the_others_ids(pair):
    classes = fit_classes([*pair, np.full((40, 40, 3), GREEN, np.uint8)], 3, weights=FLAT,
                          seed=0)
    ids = [_class_of(segment(img, classes_in=classes, seed=0), RED) for img in pair]
    blue = np.full((40, 40, 3), BLUE, np.uint8)
    only = segment(blue, classes_in=classes, seed=0)
    assert ids[0] == ids[1]
    assert [r["cluster"] for r in only.cluster_stats()] == [_class_of(
        segment(pair[0], classes_in=classes, seed=0), BLUE)]


def test_fitting_leaves_the_images_unchanged(pair):
    copies = [img.copy() for img in pair]
    fit_classes(pair, 2, weights=FLAT, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(pair, copies, strict=True))


def test_features_of_every_image_take_the_classes_divisors(pair):
    classes = fit_classes(pair, 2, weights=FLAT, seed=0)
    assert set(classes.divisors) == {"color"}
    assert classes.weights["xy"] == 0.0


def test_cluster_stats_give_each_clusters_fraction_of_the_image():
    img = _two_colours(slice(0, 3), shape=(10, 10))  # 30 red pixels of 100
    stats = segment(img, 2, weights={"xy": 0, "texture": 0}, seed=0, min_region=0
                    ).cluster_stats()
    assert sorted((r["area"], r["fraction"]) for r in stats) == [(30, 0.3), (70, 0.7)]
    exact = segment(_two_colours(slice(0, 1), shape=(3, 3)), 2,
                    weights={"xy": 0, "texture": 0}, seed=0, min_region=0
                    ).cluster_stats(exact=True)
    assert sorted(r["fraction"] for r in exact) == [1 / 3, 2 / 3]


@pytest.mark.parametrize(("call", "match"), [
    (lambda p, c: fit_classes(p, 2, weights={"xy": 0.3}),
     r"weights xy=0\.3 with shared classes: .* expected xy=0"),
    (lambda p, c: fit_classes([], 2), r"images=\[\] : expected at least one image"),
    (lambda p, c: fit_classes(p, 3, weights=FLAT, seed=0),
     r"n_clusters=3 but the images have only 2 distinct feature vectors"),
    (lambda p, c: segment(p[0], 3, classes_in=c),
     r"n_clusters=3 but classes_in holds 2 classes; expected n_clusters=2 or none"),
    (lambda p, c: segment(p[0], classes_in=c, weights={"texture": 1}),
     r"weights=\{'texture': 1\} but classes_in was fitted with .*; expected those weights"),
    (lambda p, c: segment(p[0], classes_in=c, space="rgb"),
     r"space='rgb' but classes_in was fitted in 'lab'"),
    (lambda p, c: segment(p[0], classes_in=c, regions=3),
     r"regions=3 with classes_in: shared classes are k-means clusters; expected regions=None"),
])
def test_wrong_parameters_are_refused(pair, call, match):
    classes = fit_classes(pair, 2, weights=FLAT, seed=0)
    with pytest.raises(ValueError, match=match):
        call(pair, classes)


def test_classes_in_of_the_wrong_type_is_refused(pair):
    with pytest.raises(TypeError, match=r"classes_in=3: expected SharedClasses, a path"):
        segment(pair[0], classes_in=3)


def test_a_file_of_another_kind_is_refused(tmp_path, pair):
    path = tmp_path / "palette.json"
    path.write_text(json.dumps({"colors": ["#ff0000"]}))
    with pytest.raises(ImageReadError, match=r"palette\.json: not a quantize classes file"):
        segment(pair[0], classes_in=path)
    with pytest.raises(ImageReadError, match=r"missing\.json: classes file cannot be read"):
        read_classes(tmp_path / "missing.json")


def test_a_classes_file_of_another_feature_set_is_refused(tmp_path, pair):
    classes = fit_classes(pair, 2, weights=FLAT, seed=0)
    path = tmp_path / "classes.json"
    classes.save(path)
    with pytest.raises(ValueError, match=r"n_clusters=4 but classes file .*classes\.json' "
                                         r"holds 2 classes"):
        segment(pair[0], 4, classes_in=path)
    with pytest.raises(ValueError, match=r"weights=\{'color': 0, 'intensity': 1\} but classes "
                                         r"file"):
        segment(pair[0], classes_in=path, weights={"color": 0, "intensity": 1})
    assert isinstance(read_classes(path), SharedClasses)


def _textured(rng: np.random.Generator, grains: tuple[float, ...], h: int = 192,
              w: int = 384) -> np.ndarray:
    """Bands of one greenish colour whose noise has each grain (Gaussian sigma, pixels; 1:
    none), top to bottom: told apart by texture alone. 384 pixels wide, so that the colour
    blur is the same for a taller image."""
    from quantize.texture import smooth

    parts = []
    for grain in grains:
        noise = rng.normal(0, 1, (h // len(grains), w)).astype(np.float32)
        if grain > 1:
            noise = smooth(noise, grain)
            noise /= noise.std()
        parts.append(noise)
    grey = np.concatenate(parts)[..., None]
    return np.clip(120 + 25 * grey * np.array([1.0, 1.1, 0.8]), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def textured_classes():
    rng = np.random.default_rng(0)
    return fit_classes([_textured(rng, (1, 4)), _textured(rng, (4, 1))], 2, seed=0), rng


@pytest.mark.parametrize("grain", [1, 4])
def test_a_pixels_class_does_not_depend_on_the_rest_of_its_image(textured_classes, grain):
    # The same pixels with a bright band below (as a photo with sky in it): their texture
    # features, and so their classes, stay those they had, away from the band (the top 120
    # rows, beyond the texture window's reach). Standardised image by image, 66 % and 73 %
    # of them changed class.
    classes, rng = textured_classes
    image = _textured(rng, (grain,))
    band = np.clip(image[:96] * 1.6 + 30, 0, 255).astype(np.uint8)
    alone = segment(image, classes_in=classes, smooth=0, min_region=0).cluster_map()
    banded = segment(np.vstack([image, band]), classes_in=classes, smooth=0,
                     min_region=0).cluster_map()
    assert np.array_equal(alone[:120], banded[:120])
    assert np.unique(alone).size == 1  # one texture, one class


def test_texture_planes_are_divided_by_spreads_fixed_for_the_set(textured_classes, tmp_path):
    classes, _ = textured_classes
    assert len(classes.texture_spreads) == len(classes.texture_scales) + 2
    assert all(s > 0 for s in classes.texture_spreads)
    path = tmp_path / "classes.json"
    classes.save(path)
    record = json.loads(path.read_text())
    assert record["version"] == 2 and record["texture_spreads"] == list(classes.texture_spreads)
    assert read_classes(path).texture_spreads == classes.texture_spreads
    flat = fit_classes([_two_colours(slice(0, 10))], 2, weights=FLAT, seed=0)
    assert flat.texture_spreads is None


def test_texture_spreads_are_those_of_the_planes_whatever_the_texture_weight():
    rng = np.random.default_rng(1)
    images = [_textured(rng, (1, 4)), _textured(rng, (4, 1))]
    spreads = [fit_classes(images, 2, weights={"texture": w}, seed=0).texture_spreads
               for w in (1, 4)]
    assert spreads[0] == pytest.approx(spreads[1], rel=1e-5)


def test_a_classes_file_of_the_older_version_is_read_or_refused(tmp_path, textured_classes):
    classes, _ = textured_classes
    record = classes.to_json()
    del record["texture_spreads"]
    record["version"] = 1
    path = tmp_path / "shared-classes.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ImageReadError, match=r"shared-classes\.json: classes file of an older "
                       r"quantize, which standardised the texture features image by image.*"
                       r"refit the classes \(batch --shared-classes --force, or fit_classes\)"):
        read_classes(path)
    flat = fit_classes([_two_colours(slice(0, 10))], 2, weights=FLAT, seed=0).to_json()
    flat["version"] = 1  # without texture, its classes hold as they were
    path.write_text(json.dumps(flat))
    assert read_classes(path).n_clusters == 2


# Two colours spanning 0..255 together, and their 12-bit values as a 16-bit scene holds
# them (``16 * level + 1``: 1..4081), which a stretch maps back onto the levels exactly.
FULL_RED, FULL_BLUE = (255, 30, 0), (0, 30, 255)


def _scene(red_rows: slice) -> tuple[np.ndarray, np.ndarray]:
    levels = np.empty((20, 20, 3), np.uint8)
    levels[:] = FULL_BLUE
    levels[red_rows] = FULL_RED
    return levels, levels.astype(np.uint16) * 16 + 1


@pytest.mark.parametrize("clip", [0.0, 0.5])
def test_classes_of_stretched_16_bit_scenes_are_those_of_the_levels_stretched(clip):
    # Unstretched, 1..4081 of 65535 comes out 0..16 of 255: every class near black.
    (a8, a16), (b8, b16) = _scene(slice(0, 5)), _scene(slice(5, 20))
    by_hand = fit_classes([a8, b8], 2, weights=FLAT, seed=0)
    stretched = fit_classes([a16, b16], 2, weights=FLAT, seed=0, stretch=clip == 0,
                            stretch_clip=clip)
    assert sorted(map(tuple, stretched.colors.tolist())) == [FULL_BLUE, FULL_RED]
    assert np.array_equal(stretched.colors, by_hand.colors)
    assert np.allclose(stretched.centers, by_hand.centers)


def test_a_path_is_stretched_as_an_array_is(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    (_, a16), (_, b16) = _scene(slice(0, 5)), _scene(slice(5, 20))
    tifffile.imwrite(tmp_path / "a.tif", a16, photometric="rgb")
    from_file = fit_classes([tmp_path / "a.tif", b16], 2, weights=FLAT, seed=0, stretch=True)
    assert np.array_equal(from_file.colors,
                          fit_classes([a16, b16], 2, weights=FLAT, seed=0, stretch=True).colors)
    assert sorted(map(tuple, from_file.colors.tolist())) == [FULL_BLUE, FULL_RED]


def _three_bands(first: int, second: int) -> np.ndarray:
    """30 x 30: red rows 0..first, green to second, blue below (L* 44, 64 and 22)."""
    img = np.empty((30, 30, 3), np.uint8)
    img[:first], img[first:second], img[second:] = RED, GREEN, BLUE
    return img


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classes_fitted_in_lightness_order_keep_it_in_their_file_and_in_every_image(
        seed, tmp_path):
    """Classes numbered as k-means found them say nothing of what they are; fitted with
    class_order="lightness", the darkest is 0, in the saved file and every image."""
    images = [_three_bands(10, 20), _three_bands(3, 25)]
    classes = fit_classes(images, 3, weights=FLAT, seed=seed, class_order="lightness")
    assert classes.colors.tolist() == [list(BLUE), list(RED), list(GREEN)]
    classes.save(tmp_path / "classes.json")
    saved = read_classes(tmp_path / "classes.json")
    assert np.array_equal(saved.centers, classes.centers)
    for img in images:
        result = segment(img, classes_in=tmp_path / "classes.json", seed=0, min_region=0)
        assert [_class_of(result, c) for c in (BLUE, RED, GREEN)] == [0, 1, 2]


def test_classes_in_with_lightness_order_numbers_a_file_s_classes_by_their_colours(
        tmp_path):
    """A file fitted in k-means's order: each image numbered by the file's colours, the
    same in every image (an image's own means would not be: it need not hold every class)."""
    images = [_three_bands(10, 20), _three_bands(0, 15)]  # the second has no red
    fit_classes(images, 3, weights=FLAT, seed=1).save(tmp_path / "classes.json")
    a, b = (segment(img, classes_in=tmp_path / "classes.json", class_order="lightness",
                    seed=0, min_region=0) for img in images)
    assert [_class_of(a, c) for c in (BLUE, RED, GREEN)] == [0, 1, 2]
    assert [_class_of(b, c) for c in (BLUE, GREEN)] == [0, 2]


def test_classes_in_with_lightness_order_refuses_a_file_without_colours(pair, tmp_path):
    record = fit_classes(pair, 2, weights=FLAT, seed=0).to_json()
    del record["colors"]  # as an earlier version wrote it
    (tmp_path / "old.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="class_order='lightness' but classes_in holds no "
                                         "class colours"):
        segment(pair[0], classes_in=tmp_path / "old.json", class_order="lightness")
