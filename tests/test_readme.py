"""The manual's (the README's and its reference pages') Python examples run as written, on
tiny stand-ins for the names they leave to the reader (``image``, ``rgb``, ``truth``), the keys
it lists for ``--json`` are the ones written, and its links lead somewhere."""

from __future__ import annotations

import importlib
import io
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app
from quantize.reduce import reduce_file

from .manual_support import (
    MANUAL_FILES,
    README,
    manual_section,
    manual_text,
    option_entries,
    option_summaries,
)


def _python_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", manual_text(), flags=re.S)


def _photo() -> np.ndarray:
    """A 24 x 36 photo stand-in: four flat quadrants plus seeded noise."""
    rng = np.random.default_rng(0)
    image = np.zeros((24, 36, 3), np.int16)
    image[:12, 18:] = [200, 40, 40]
    image[12:, :18] = [40, 160, 60]
    image[12:, 18:] = [230, 220, 90]
    return np.clip(image + rng.integers(-6, 7, image.shape), 0, 255).astype(np.uint8)


def test_the_readme_shows_python_examples():
    names = [re.search(r"^from (\S+) import", code, flags=re.M)[1]
             for code in _python_examples()]
    assert names == ["quantize", "quantize", "quantize", "quantize", "quantize", "quantize",
                     "quantize", "quantize.batch"]


def _overview_done(ns: dict) -> None:
    with Image.open("small.png") as im:
        assert (im.mode, im.size, len(im.getcolors())) == ("P", (451, 300), 16)
    assert ns["regions"].labels.shape == (300, 451)
    assert (ns["pixels"].shape, ns["pixels"].dtype) == ((300, 451, 3), np.uint8)
    assert ns["km"].cluster_centers_.shape == (8, 3)
    fits = ns["fits"]
    fits.save(saved := io.BytesIO())
    assert len(saved.getvalue()) <= 20_000 < len(Path("small.png").read_bytes())
    reduce_file("small.png", "small.k8.webp", n_colors=8)
    assert ns["reply"].getvalue() == Path("small.k8.webp").read_bytes()


def _kmeans_done(ns: dict) -> None:
    assert ns["km"].cluster_centers_.shape == (16, 3)


def _firmware_done(ns: dict) -> None:
    """docs/reduce.md's raw bytes for firmware: one byte a pixel, the palette's R, G, B."""
    frame, pal = Path("frame.bin").read_bytes(), Path("palette.bin").read_bytes()
    assert len(frame) == 64 * 32 and len(pal) == 256 * 3
    drawn = np.frombuffer(pal, np.uint8).reshape(-1, 3)[np.frombuffer(frame, np.uint8)]
    result = ns["result"]
    assert (drawn.reshape(32, 64, 3) == result.palette[result.indices]).all()
    # the palette kept its order, so an index is the RGB332 byte RRRGGGBB of its colour
    assert (result.palette == ns["rgb332"]).all()
    r, g, b = (np.searchsorted(ns["levels"](n), drawn[:, c]) for c, n in enumerate((8, 8, 4)))
    assert (np.frombuffer(frame, np.uint8) == (r << 5) | (g << 2) | b).all()


def _reduce_done(ns: dict) -> None:
    result = ns["result"]
    assert (result.palette.shape, result.indices.shape) == ((16, 3), (24, 36))
    assert (result.alpha, result.transparent_index) == (None, None)
    assert Path("out.gif").is_file()
    with Image.open("out.png") as im:  # result.save: quantize's own encoder, as the command's
        assert (im.mode, im.size, len(im.getcolors())) == ("P", (36, 24), 16)
    ns["fits"].save(saved := io.BytesIO())
    assert len(saved.getvalue()) <= 1500 and ns["fits"].k > 2
    assert ns["record"]["output"] is None
    reduce_file("out.png", "x.gif", n_colors=4)  # the bytes the paths give
    assert ns["reply"].getvalue() == Path("x.gif").read_bytes()


def _segment_done(ns: dict) -> None:
    result, strength = ns["result"], ns["strength"]
    labels = result.labels
    assert (labels.dtype, labels.shape, int(labels.min())) == (np.int32, (24, 36), 1)
    assert result.overlay((0, 255, 0))[result.boundaries()].tolist() == (
        [[0, 255, 0]] * int(result.boundaries().sum()))
    assert [s["label"] for s in result.region_stats()] == list(range(1, result.n_regions + 1))
    assert strength.dtype == np.float32 and 0 <= strength.min() <= strength.max() <= 1


def _features_done(ns: dict) -> None:
    X, spec, labels = ns["X"], ns["spec"], ns["labels"]
    assert X.shape == (24 * 36, len(spec.column_names))
    assert spec.column_names[:6] == ("L*", "a*", "b*", "y (row)", "x (column)",
                                     "texture: share of band 1 (finer than 0.7 px)")
    assert labels.shape == (24, 36) and set(np.unique(labels)) <= {0, 1, 2, 3}


def _classes_done(ns: dict) -> None:
    assert ns["classes"].n_clusters == 4 and Path("classes.json").is_file()
    assert ns["result"].centers.tolist() == ns["classes"].centers.tolist()
    assert sum(c["area"] for c in ns["stats"]) == 24 * 36
    assert abs(sum(c["fraction"] for c in ns["stats"]) - 1) < 1e-5


def _batch_imported(ns: dict) -> None:
    assert all(callable(ns[name]) for name in ("plan_batch", "run_batch", "write_html_report"))


# In the manual's order (checked above): what each example leaves behind.
DONE = [_overview_done, _kmeans_done, _firmware_done, _reduce_done, _segment_done, _features_done,
        _classes_done, _batch_imported]


@pytest.mark.parametrize("code, done", list(zip(_python_examples(), DONE, strict=True)),
                         ids=["overview", "kmeans", "firmware", "reduce", "segment", "features",
                              "classes", "batch"])
def test_each_readme_python_example_runs(code, done, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples save small.png and out.gif
    photo = _photo()
    truth = np.ones(photo.shape[:2], np.int32)
    truth[:, 18:] = 2
    # The k-means example draws 100,000 points: a tenth keeps it quick, and the same code.
    code = code.replace("(100_000, 3)", "(10_000, 3)")
    # Not "__main__": the batch example's guarded run is left out, its imports are checked.
    bounds = [np.zeros(truth.shape, bool) for _ in range(2)]  # two annotators' borders
    bounds[0][:, 17] = bounds[1][:, 16] = True
    namespace = {"__name__": "readme_example", "image": photo, "rgb": photo, "truth": truth,
                 "bounds": bounds}
    exec(compile(code, str(README), "exec"), namespace)
    done(namespace)


def _without_asides(text: str) -> str:
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return text


def _manual_json_keys(command: str) -> list[str]:
    """The keys the manual's full description of ``--json`` of ``command`` lists."""
    text = next(text for names, text in option_entries(command) if names == "--json")
    return re.findall(r"`(\w+)`", _without_asides(text))


def _help_json_keys(command: str) -> list[str]:
    """The keys ``quantize COMMAND --help`` lists for ``--json`` (an aside may name one)."""
    params = typer.main.get_command(app).commands[command].params
    text = next(p.help for p in params if "--json" in p.opts).split(": ", 1)[1]
    return re.findall(r"(?:^|, |as )([a-z]+(?:_[a-z]+)*)(?=[,).]| \()", text)


@pytest.mark.parametrize("command", ["reduce", "segment"])
def test_the_json_keys_the_manual_and_the_help_list_are_those_written(command, tmp_path,
                                                                       monkeypatch):
    """With every key written: segment's ``stretch`` is written with --stretch only,
    ``superpixels`` with --superpixels only (not with -k), ``smooth`` and ``working_size``
    with --smooth and --working-size only (with -k only), ``min_region_share`` with a
    --min-region percentage only, ``strip`` and ``keep_gps`` with --strip and
    --keep-gps only, ``classes_in`` with --classes-in only, ``class_order`` with
    --class-order lightness only, ``stretch_clip`` with --stretch-clip only,
    ``stretch_fixed`` with --stretch-range only and ``pixel_size_um`` of a TIFF that states
    its pixels' size."""
    from quantize.segment import fit_classes

    monkeypatch.chdir(tmp_path)
    Image.fromarray(_photo()).save("a.png")
    Image.fromarray(_photo()).save("a.tif", dpi=(2540, 2540))  # pixels of 10 um
    fit_classes([_photo()], 2, seed=0).save("classes.json")
    extras = ([["a.png", "--superpixels", "700", "--stretch", "--min-region", "1%", "--strip",
                "--keep-gps"],
               ["a.png", "-k", "2", "--smooth", "5", "--working-size", "full", "--force",
                "--class-order", "lightness"],
               ["a.png", "--classes-in", "classes.json", "--force"],
               ["a.tif", "--stretch-clip", "0.1", "--force"],
               ["a.tif", "--stretch-range", "0,255", "--force"]]
              if command == "segment" else [["a.png"]])
    written: list[str] = []
    for extra in extras:
        result = CliRunner().invoke(app, [command, "--json", *extra])
        assert result.exit_code == 0, result.output
        written += [key for key in json.loads(result.stdout) if key not in written]
    assert sorted(_manual_json_keys(command)) == sorted(written)
    assert sorted(_help_json_keys(command)) == sorted(written)


_section = manual_section


def _options_of(command: str) -> list[set[str]]:
    """The names of each option ``quantize COMMAND --help`` shows (hidden ones and
    ``--help`` left out), one set per option: ``{"-k", "--colors"}``."""
    params = typer.main.get_command(app).commands[command].params
    return [set(p.opts) | set(p.secondary_opts) for p in params
            if p.param_type_name == "option" and not p.hidden and "--help" not in p.opts]


def _table_options(command: str) -> set[str]:
    """The option names the manual describes in full for ``command``."""
    return {name for names, _ in option_entries(command)
            for name in re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", names)}


@pytest.mark.parametrize("command", ["reduce", "segment", "palette"])
def test_the_manual_describes_every_option_of_the_command(command):
    listed = _table_options(command)
    shown = set().union(*_options_of(command))
    assert sorted(shown - listed) == [], "options the manual leaves out"
    assert sorted(listed - shown) == [], "options in the manual the command lacks"


@pytest.mark.parametrize("command", ["reduce", "segment"])
def test_the_short_option_table_lists_the_options_in_full_in_their_order(command):
    entries = [f"`{names}`".replace("|", "\\|") for names, _ in option_entries(command)]
    assert len(entries) > 10
    assert option_summaries(command) == entries


def test_the_readme_names_every_option_of_batch():
    """batch has no table: its section names each of its options, by one name at least."""
    section = _section("Batch processing and Dask clusters")
    unnamed = [sorted(names) for names in _options_of("batch")
               if not any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", section)
                          for name in names)]
    assert unnamed == []


def _resolve(dotted: str) -> object:
    """The object a dotted name such as ``quantize.reduce.GIF_ALPHA_THRESHOLD`` names, as a
    reader's code reaches it: the longest module it begins with imported, then each name
    taken as an attribute from ``quantize`` on (so ``quantize.segment.working_shape``
    fails: ``quantize.segment`` is the function, which hides the module of that name)."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        found: object = importlib.import_module(parts[0])
        for part in parts[1:]:
            found = getattr(found, part)
        return found
    raise ImportError(dotted)


def test_every_quantize_name_the_manual_gives_exists():
    text = manual_text()
    names = sorted(set(re.findall(r"`(quantize(?:\.[A-Za-z_]\w*)+)", text)))
    assert len(names) > 20
    missing = []
    for name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert missing == []


def test_every_import_the_manual_writes_in_its_text_runs():
    imports = sorted(set(re.findall(r"`(from quantize[\w.]* import [\w, ]+)`",
                                    re.sub(r"\s*\n\s*", " ", manual_text()))))
    assert "from quantize.segment import working_shape" in imports
    for statement in imports:
        exec(statement, {})


def _quick_start_lines() -> list[str]:
    """The commands of the README's Quick start, their comments dropped."""
    section = README.read_text(encoding="utf-8").split("\n## Quick start\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)[1]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines()]


def _stand_ins(folder: Path) -> None:
    """photo.jpg, anim.gif and photos/ for the Quick start's names."""
    photo = np.kron(_photo(), np.ones((2, 2, 1), np.uint8))  # 48 x 72: enough to segment
    Image.fromarray(photo).save(folder / "photo.jpg", quality=95)
    frames = [Image.fromarray(np.roll(photo, 6 * i, axis=1)) for i in range(3)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=50)
    (folder / "photos").mkdir()
    for name in ("a.jpg", "b.jpg"):
        Image.fromarray(photo[:, ::-1]).save(folder / "photos" / name, quality=95)


def test_the_quick_start_commands_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _stand_ins(tmp_path)
    lines = _quick_start_lines()
    assert len(lines) >= 6 and all("quantize " in line for line in lines)
    for line in lines:
        stdin = stdout = None
        if line.startswith("cat "):  # cat FILE | quantize ... > OUT
            cat, line = line.split(" | ", 1)
            stdin = Path(cat.split()[1]).read_bytes()
        if " > " in line:
            line, stdout = line.split(" > ")
        args = []
        for word in line.split()[1:]:
            args += sorted(str(p) for p in tmp_path.glob(word)) if "*" in word else [word]
        result = CliRunner().invoke(app, args, input=stdin)
        assert result.exit_code == 0, (line, result.output)
        if stdout is not None:
            Path(stdout).write_bytes(result.stdout_bytes)
        if "-o" in args and stdout is None:
            assert Path(args[args.index("-o") + 1]).exists(), line
    with Image.open("8.png") as im:
        assert im.mode == "P" and im.size == (72, 48) and len(im.getcolors()) <= 8
    with Image.open("anim32.gif") as im:
        assert im.n_frames == 3
    assert sorted(p.name for p in tmp_path.glob("*.small.png")) == ["photo.small.png"]
    assert (tmp_path / "photo.seg" / "edges.png").is_file()
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["a.png", "b.png"]
    assert (tmp_path / "out" / "index.html").is_file()


def test_the_batch_examples_run_one_after_another_as_the_readme_says(tmp_path, monkeypatch):
    """The README quoted the refusal of ``--shared-palette -k 32`` as '... add --force to
    redo them', which its own example, one output in the way, words 'redo it'."""
    monkeypatch.chdir(tmp_path)
    section = _section("Batch processing and Dask clusters")
    lines = [shlex.split(line, comments=True)[1:]
             for line in re.search(r"```sh\n(.*?)```", section, flags=re.S)[1].splitlines()]
    (tmp_path / "photos" / "a").mkdir(parents=True)
    for name in ("b.jpg", "a/b.jpg"):
        Image.fromarray(_photo()).save(tmp_path / "photos" / name, quality=95)
    results = [CliRunner().invoke(app, args) for args in lines]
    assert [r.exit_code for r in results] == [0, 0, 15, 0, 0]
    quote = " ".join(re.search(r"other options \(`([^`]*)`\)", section)[1].split())
    assert results[2].stderr == f"quantize: error: {quote}\n"
    orphan = "is left in place, in no report: reduced/a/b.png;"
    assert [orphan in r.stderr for r in results[3:]] == [True, False]  # warned once
    assert Path("report.csv").is_file() and Path("reduced/index.html").is_file()


def test_the_web_build_example_runs_on_a_folder_holding_jpegs(tmp_path, monkeypatch):
    """The README's web build, ``--ext same ... --copy-if-larger``, was refused, exit 2, on
    any folder holding a JPEG: it leaves them out, as a pngquant build leaves them alone."""
    monkeypatch.chdir(tmp_path)
    section = _section("Folders, reports and Dask")
    line = next(line for line in re.search(r"```sh\n(.*?)```", section, flags=re.S)[1]
                .splitlines() if "--copy-if-larger" in line)
    (tmp_path / "assets" / "img").mkdir(parents=True)
    Image.fromarray(_photo()).save("assets/hero.jpg", quality=95)
    Image.fromarray(_photo()).save("assets/img/b.jpeg", quality=95)
    Image.fromarray(_photo()[:32, :32]).save("assets/img/logo.png")
    result = CliRunner().invoke(app, shlex.split(line, comments=True)[1:])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to("dist").as_posix() for p in Path("dist").rglob("*.*")
                  if not p.name.startswith(".")) == ["img/logo.png"]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_weights_row_gives_the_regions_segment_makes_of_coffee():
    """The row said 32, 51 and 17 regions of skimage's coffee after the segmentation
    had come to give 31, 48 and 17."""
    data = pytest.importorskip("skimage.data")
    from quantize import segment
    from quantize.io import load_image

    row = _flat(manual_text())
    said = re.search(r"`skimage\.data\.coffee\(\)` in Python: (\d+) regions by default, (\d+) "
                     r"with `color=2, texture=2`, (\d+) with both 0\.5; its JPEG "
                     r"`samples/coffee\.jpg` from the command line: (\d+), (\d+) and (\d+) ", row)
    assert said
    weights = [None, {"color": 2, "texture": 2}, {"color": 0.5, "texture": 0.5}]
    photos = [data.coffee(), load_image(README.parent / "samples" / "coffee.jpg")]
    made = [int(segment(photo, weights=w).labels.max()) for photo in photos for w in weights]
    assert made == [int(n) for n in said.groups()]


# Each table of quoted figures: the run the Set-up's "Where the figures come from" names for it,
# and the run the note beside the table names, as (section, Set-up's words, the note's words).
TABLE_RUNS = [
    ("Colour reduction",
     r"Benchmark table of \*Colour reduction\* is from two runs at commit (\w+)",
     r"\(Two runs at (\w+),"),
    ("Animations", r"that of \*Animations\* from one at (\w+)",
     r"the table is from a run at (\w+),"),
    ("Animations", r"the animation memory table from one run at (\w+)",
     r"\(The table is from one run at (\w+)\."),
    ("Segmentation", r"the time ratios of the border benchmark are from a run at (\w+)",
     r"\*\*Border benchmark\*\* .*? last run at (\w+),"),
]


@pytest.mark.parametrize("heading, in_setup, in_note", TABLE_RUNS,
                         ids=["reduce", "animation", "animation-memory", "border"])
def test_the_figures_page_names_the_run_each_table_says_it_is_from(heading, in_setup, in_note):
    """The Set-up said the animation table was from a run at 18bc318 after the table itself
    came to be from one at 7f98f87."""
    setup = re.search(in_setup, _flat(_section("Where the figures come from")))
    note = re.search(in_note, _flat(_section(heading)))
    assert setup and note
    assert setup[1] == note[1]


def test_every_commit_the_readme_names_is_in_the_history():
    """A figure is traced by the commit its run is named after; a mistyped one leads nowhere."""
    root = README.parent
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    shallow = subprocess.run([git, "rev-parse", "--is-shallow-repository"], cwd=root,
                             capture_output=True, text=True)
    if shallow.returncode != 0 or shallow.stdout.strip() != "false":
        pytest.skip("not the whole history")
    named = sorted({word for word in re.findall(r"(?<![\w#.])[0-9a-f]{7}(?![\w.])",
                                                manual_text())
                    if re.search(r"\d", word) and re.search(r"[a-f]", word)})
    assert len(named) > 10
    found = subprocess.run([git, "cat-file", "--batch-check"], cwd=root, capture_output=True,
                           text=True, input="".join(f"{name}^{{commit}}\n" for name in named))
    missing = [line.split("^")[0] for line in found.stdout.splitlines()
               if line.endswith(" missing")]
    assert missing == []


def _anchors(text: str) -> set[str]:
    """The anchors a renderer gives the headings of ``text``, as GitHub makes them."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
            for heading in re.findall(r"^#{1,4} (.+)$", text, flags=re.M)}


def test_every_page_of_docs_is_in_the_manual():
    pages = {path.name for path in (README.parent / "docs").glob("*.md")}
    assert pages == {path.name for path in MANUAL_FILES[1:]}


def test_every_link_of_the_manual_leads_to_a_file_and_heading_there():
    broken = []
    for page in MANUAL_FILES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"```.*?```", "", text, flags=re.S)):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.is_file() or (
                    anchor and anchor not in _anchors(linked.read_text(encoding="utf-8"))):
                broken.append(f"{page.name}: {target}")
    assert len(broken) == 0, broken
