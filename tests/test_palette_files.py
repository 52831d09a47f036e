"""quantize.palette_files: palettes written to and read from .gpl, .json, .hex, .act, .pal,
.txt."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pytest
from PIL import Image

from quantize.errors import AlphaLossWarning, ImageReadError, OutputError
from quantize.palette_files import (
    PaletteNames,
    TransparentIndexWarning,
    read_named_palette,
    read_palette,
    read_palette_names,
    write_palette,
)

from .reduce_support import COLOURS


def _refusal(tmp_path, monkeypatch, name: str, content: str | bytes) -> str:
    """The message ``read_palette`` refuses ``name`` with, a file of ``content`` (bytes as
    they are, text as ``write_text`` writes it) read by name from its folder."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ImageReadError) as info:
        read_palette(name)
    return str(info.value)


def test_palette_files_carry_alpha(tmp_path):
    palette = np.array([[200, 30, 30, 255], [0, 0, 0, 100]], np.uint8)
    for suffix in (".json", ".hex"):
        path = tmp_path / f"p{suffix}"
        write_palette(path, palette, np.array([0.75, 0.25]))
        assert np.array_equal(read_palette(path), palette)
    assert (tmp_path / "p.hex").read_text() == "c81e1eff\n00000064\n"
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["colors"][1] == {"hex": "#000000", "rgb": [0, 0, 0], "alpha": 100,
                                "share": 0.25}
    write_palette(tmp_path / "opaque.hex", palette[:1])
    assert read_palette(tmp_path / "opaque.hex").shape == (1, 3)


def test_json_palette_holds_hex_rgb_and_share(tmp_path):
    path = tmp_path / "p.json"
    write_palette(path, COLOURS[:2], np.array([0.75, 0.25]))
    doc = json.loads(path.read_text())
    assert doc["colors"][0] == {"hex": "#c81e1e", "rgb": [200, 30, 30], "share": 0.75}


@pytest.mark.parametrize("name, text, match", [
    ("bad.hex", "ff0000\nnot-a-colour\n", "line 2: expected a hex colour"),
    ("bad.gpl", "GIMP Palette\n1 2\n", "line 2: expected 'R G B"),
    ("bad.gpl", "Gimp Palette\n", "line 1: expected 'GIMP Palette', the first line of a GIMP "
                                   "palette, got 'Gimp Palette'$"),
    ("bad.json", "{", "invalid JSON"),
    ("empty.hex", "; comments only\n", "holds no colours"),
])
def test_malformed_palette_files_are_named(tmp_path, name, text, match):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ImageReadError, match=match):
        read_palette(path)


def test_gpl_file_text_and_round_trip(tmp_path):
    path = tmp_path / "p.gpl"
    write_palette(path, COLOURS[:2], np.array([0.75, 0.25]), name="bands")
    assert path.read_text() == ("GIMP Palette\nName: bands\nColumns: 8\n#\n"
                                "200  30  30\t#c81e1e 75.00%\n"
                                " 30 160  40\t#1ea028 25.00%\n")
    assert np.array_equal(read_palette(path), COLOURS[:2])


def test_opaque_alpha_is_dropped_and_unknown_shares_are_null(tmp_path):
    opaque = np.hstack([COLOURS[:2], np.full((2, 1), 255, np.uint8)])
    write_palette(tmp_path / "p.json", opaque)
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc == {"name": "quantize", "colors": [
        {"hex": "#c81e1e", "rgb": [200, 30, 30], "share": None},
        {"hex": "#1ea028", "rgb": [30, 160, 40], "share": None}]}
    assert read_palette(tmp_path / "p.json").shape == (2, 3)


def test_hex_lines_may_omit_the_hash_and_use_capitals(tmp_path):
    path = tmp_path / "p.hex"
    path.write_text("#C81E1E\n1ea028\n\n")
    assert read_palette(path).tolist() == COLOURS[:2].tolist()


@pytest.mark.parametrize("name", [".", "folder", "folder.gpl"])
def test_a_folder_is_refused_as_a_folder_whatever_its_name(tmp_path, monkeypatch, name):
    """write_palette('.') said "has an unknown palette extension '(none)'", and a folder
    named .gpl "cannot write (Is a directory)"; read_palette names a folder as one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).mkdir(exist_ok=True)
    with pytest.raises(OutputError) as err:
        write_palette(name, COLOURS[:2])
    assert str(err.value) == f"{name}: is a directory, expected a palette file name"
    with pytest.raises(ImageReadError) as read:
        read_palette(name)
    assert str(read.value) == f"{name}: is a directory, expected a palette file"


def test_an_unknown_palette_extension_is_named(tmp_path):
    # The parameter is path; the messages named palette_out= (write) and palette_in= (read),
    # reduce_file's options, which a caller of these functions never gave.
    target = tmp_path / "p.csv"
    expected = (f"path={str(target)!r} has an unknown palette extension '.csv'; expected one "
                "of .gpl, .json, .hex, .act, .pal, .txt, .css, .ase")
    with pytest.raises(ValueError) as err:
        write_palette(target, COLOURS[:2])
    assert str(err.value) == expected
    assert not target.exists()
    target.write_text("#c81e1e\n")
    with pytest.raises(ValueError) as err:
        read_palette(target)
    assert str(err.value) == expected + ", or an image .png, .gif, .bmp"  # read as palettes


@pytest.mark.parametrize("name, text", [
    ("p.hex", "c81e1e\r\n1ea028\r\n"),
    ("p.gpl", "GIMP Palette\r\nName: x\r\n200 30 30 red\r\n30 160 40\tgreen\r\n"),
    ("p.json", '["#c81e1e", [30, 160, 40]]'),
])
def test_a_byte_order_mark_is_skipped(tmp_path, name, text):
    # Saved by Windows editors with a UTF-8 BOM, these were refused: ".hex: line 1:
    # expected a hex colour, got '\ufeffc81e1e'", ".gpl: not a GIMP palette".
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_palette(path).tolist() == COLOURS[:2].tolist()


@pytest.mark.parametrize("palette, error, match", [
    (np.array([[0, 0, 300]]), ValueError,
     r"^palette should hold integers 0\.\.255, got values from 0 to 300$"),
    (np.array([[-1, 0, 0]]), ValueError,
     r"^palette should hold integers 0\.\.255, got values from -1 to 0$"),
    # a palette to write is refused as floats, which would not read back, saying what to pass
    (np.array([[0.5, 0.2, 1.0]]), TypeError,
     r"^palette should hold integers 0\.\.255, got dtype float64; for values 0\.\.1 pass "
     r"np\.rint\(palette \* 255\)\.astype\(np\.uint8\), for 0\.\.255 "
     r"np\.rint\(palette\)\.astype\(np\.uint8\)$"),
    (np.zeros((0, 3), np.uint8), ValueError, r"with k >= 1, got \(0, 3\)"),
    (np.arange(6, dtype=np.uint8), ValueError, r"shape \(k, 3\) or \(k, 4\).*got \(6,\)"),
    (np.zeros((2, 5), np.uint8), ValueError, r"got \(2, 5\)"),
])
def test_write_palette_refuses_what_it_would_write_wrongly(tmp_path, palette, error, match):
    """Not wrapped (300 -> 0x2c), reshaped, or written empty: the file would not read back."""
    with pytest.raises(error, match=match):
        write_palette(tmp_path / "p.hex", palette)
    assert not (tmp_path / "p.hex").exists()


def test_write_palette_refuses_shares_of_another_length(tmp_path):
    with pytest.raises(ValueError, match=r"shares should hold one value per palette entry "
                                         r"\(2\), got 1"):
        write_palette(tmp_path / "p.json", COLOURS[:2], np.array([1.0]))
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize(("shares", "error", "match"), [
    # NaN went into the .json file as the bare word NaN, which JSON readers refuse.
    ([0.5, np.nan], ValueError, r"^shares\[1\]=nan should be a fraction in \[0, 1\]$"),
    ([0.5, np.inf], ValueError, r"^shares\[1\]=inf should be a fraction in \[0, 1\]$"),
    ([-0.1, 1.1], ValueError, r"^shares\[0\]=-0\.1 should be a fraction in \[0, 1\]$"),
    ([120, 80], ValueError, r"^shares\[0\]=120\.0 should be a fraction in \[0, 1\]$"),
    (["a", "b"], TypeError, r"^shares should be numbers, the fraction of the pixels of each "
                            r"entry; got dtype <U1$"),
    ([True, False], TypeError, r"^shares should be numbers, .* got dtype bool$"),
])
def test_write_palette_refuses_shares_that_are_not_fractions(tmp_path, shares, error, match):
    for suffix in (".json", ".gpl"):
        with pytest.raises(error, match=match):
            write_palette(tmp_path / f"p{suffix}", COLOURS[:2], shares)
        assert not (tmp_path / f"p{suffix}").exists()
    write_palette(tmp_path / "p.json", COLOURS[:2], np.array([[0.25], [0.75]], np.float32))
    assert [c["share"] for c in json.loads((tmp_path / "p.json").read_text())["colors"]] == [
        0.25, 0.75]


def test_a_gpl_name_with_a_line_break_still_reads_back(tmp_path):
    path = tmp_path / "p.gpl"
    write_palette(path, COLOURS[:2], name="two\nlines")
    assert path.read_text().splitlines()[1] == "Name: two lines"
    assert np.array_equal(read_palette(path), COLOURS[:2])


def test_a_lospec_gpl_gives_its_palette_name_and_no_hex_as_entry_names(tmp_path):
    # Lospec writes the name as a comment and each entry's hex, without '#', as its name,
    # which --palette-out wrote again as "000000 #000000 17.04%".
    path = tmp_path / "pico.gpl"
    path.write_text("GIMP Palette\n#Palette Name: PICO-8\n#Description: A console.\n"
                    "#Colors: 3\n0\t0\t0\t000000\n29\t43\t83\t1D2B53\n"
                    "126 37 83 #7e2553\n1 2 3 Ink\n4 5 6 0a0b0c\n")
    assert read_palette_names(path) == PaletteNames("PICO-8", (None, None, None, "Ink",
                                                               "0a0b0c"))
    path.write_text("GIMP Palette\nName: Mine\n#Palette Name: PICO-8\n0 0 0\n")
    assert read_palette_names(path).name == "Mine"  # GIMP's own header first


@pytest.mark.parametrize("text, match", [
    # A RecursionError traceback, and an unnamed usage error (exit 2) advising
    # sys.set_int_max_str_digits(), before.
    ("[" * 100_000, r"^p\.json: JSON nested too deeply; expected a list of colours or an "
                    r"object with 'colors'$"),
    ("[[" + "1" * 5000 + ", 0, 0]]", r"^p\.json: JSON holds a number too long to read; "
                                     r"expected colour values 0\.\.255$"),
])
def test_json_the_parser_cannot_take_is_a_named_read_error(tmp_path, monkeypatch, text, match):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.json").write_text(text)
    with pytest.raises(ImageReadError, match=match):
        read_palette("p.json")


@pytest.mark.parametrize("data, line", [
    (b"GIMP Palette\nName: x\n255 0 2\xe95 red\n", 3),  # Latin-1 in a colour value
    (b"\xef\xbb\xbf" + b"ff0000\n" * 3000 + b"\x80\n", 3001),  # past the first 8 KiB read
    (b"ff0000\r00ff00\r\x80\r", 3),  # lone CR line ends (old Mac OS): was line 1
])
def test_a_palette_file_that_is_not_utf8_names_its_line(tmp_path, monkeypatch, data, line):
    # Was "cannot read palette file ('utf-8' codec can't decode byte 0xe9 in position
    # 22: invalid continuation byte)": Python's wording, and no line.
    monkeypatch.chdir(tmp_path)
    name = "p.gpl" if data.startswith(b"GIMP") else "p.hex"
    (tmp_path / name).write_bytes(data)
    byte = "e9" if name == "p.gpl" else "80"
    with pytest.raises(ImageReadError, match=rf"^{name}: line {line}: byte 0x{byte} is not "
                                             r"UTF-8 text; expected a palette file saved as "
                                             r"UTF-8$"):
        read_palette(name)


def test_a_gimp_palette_takes_names_and_comments_that_are_not_utf8(tmp_path):
    """As GIMP reads them (Latin-1 names, from palettes of older tools): the whole file
    was refused for a byte in a colour's name."""
    path = tmp_path / "p.gpl"
    path.write_bytes(b"GIMP Palette\nName: caf\xe9\n# cr\xe9\xe9e\n255 0 0 rouge\n"
                     b"0 0 255 bleu fonc\xe9\n")
    assert read_palette(path).tolist() == [[255, 0, 0], [0, 0, 255]]


@pytest.mark.parametrize("name", ["page\fbreak", "red\u2028dark", "next\x85line", "group\x1dsep"])
def test_a_gimp_palette_name_may_hold_what_python_alone_takes_as_a_line_end(tmp_path, name):
    """GIMP ends a line at LF, CRLF or CR only. str.splitlines also ended it at a form feed,
    U+2028, U+0085, ...: the rest of the name was read as a colour line and refused
    ("line 4: expected 'R G B [name]' ..., got 'dark'", of a file of three lines)."""
    path = tmp_path / "p.gpl"
    path.write_bytes(f"GIMP Palette\r\nName: {name}\r\n255 0 0 {name}\r\n0 0 255\r\n"
                     .encode())
    assert read_palette(path).tolist() == [[255, 0, 0], [0, 0, 255]]


@pytest.mark.parametrize("suffix, text, line, bad", [
    (".hex", "ff0000\x0c\n00ff00\nzz\n", 3, "zz"),
    (".txt", "; paint.net Palette File\u2028x\rFFFF0000\rzz\r", 3, "zz"),
    (".pal", "JASC-PAL\r\n0100\r\n2\r\n1 2 3\x0b\r\n1 2\r\n", 5, "1 2"),
])
def test_a_bad_line_is_counted_by_the_files_own_line_ends(tmp_path, monkeypatch, suffix, text,
                                                          line, bad):
    message = _refusal(tmp_path, monkeypatch, "p" + suffix, text.encode())
    assert message.startswith(f"p{suffix}: line {line}: expected")
    assert message.endswith(f"got {bad!r}")


@pytest.mark.parametrize("data, line, byte", [
    (b"GIMP Palette\n255 0 0\nChannels: RGB\xe9\n", 3, "e9"),
])
def test_a_gimp_palette_refuses_bytes_not_utf8_outside_names(tmp_path, data, line, byte):
    path = tmp_path / "p.gpl"
    path.write_bytes(data)
    with pytest.raises(ImageReadError) as info:
        read_palette(path)
    assert str(info.value) == (f"{path}: line {line}: byte 0x{byte} is not UTF-8 text; "
                               "expected a palette file saved as UTF-8")


def test_a_directory_given_as_a_palette_file_is_named(tmp_path, monkeypatch):
    # Was "cannot read palette file ([Errno 21] Is a directory: 'p.gpl')".
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.gpl").mkdir()
    with pytest.raises(ImageReadError, match=r"^p\.gpl: is a directory, expected a palette "
                                             r"file$"):
        read_palette("p.gpl")


def test_a_palette_file_the_system_refuses_is_named_once(tmp_path, monkeypatch):
    """It said 'cannot read palette file ([Errno 36] File name too long: '<the name>')'."""
    monkeypatch.chdir(tmp_path)
    name = "p" * 300 + ".gpl"
    with pytest.raises(ImageReadError) as info:
        read_palette(name)
    assert str(info.value) == f"{name}: cannot read palette file (File name too long)"


def test_a_name_from_a_file_name_that_is_not_utf8_is_written_escaped(tmp_path):
    # The .gpl file failed ("'utf-8' codec can't encode character '\udce9' ...: surrogates
    # not allowed"), taking reduce's output with it, and the .json held "\udce9", which
    # JSON readers other than Python's refuse.
    stem = b"caf\xe9".decode("utf-8", "surrogateescape")
    for suffix in (".gpl", ".json"):
        write_palette(tmp_path / f"p{suffix}", COLOURS[:2], name=stem)
        assert np.array_equal(read_palette(tmp_path / f"p{suffix}"), COLOURS[:2])
    assert (tmp_path / "p.gpl").read_text(encoding="utf-8").splitlines()[1] == r"Name: caf\xe9"
    assert json.loads((tmp_path / "p.json").read_bytes())["name"] == r"caf\xe9"


@pytest.mark.parametrize("name, data, expected", [
    # Was "invalid JSON (Expecting value: line 1 column 1 (char 0))", "not a GIMP palette
    # (first line should be 'GIMP Palette')" and "palette file holds no colours".
    ("p.json", b"", "a .json palette: JSON list of {hex, rgb, alpha, share}"),
    ("p.gpl", b"\xef\xbb\xbf\r\n", "a .gpl palette: GIMP palette"),
    ("p.hex", b" \n\n", "a .hex palette: one rrggbb (or rrggbbaa) hex colour per line"),
])
def test_an_empty_palette_file_says_it_is_empty(tmp_path, monkeypatch, name, data, expected):
    assert _refusal(tmp_path, monkeypatch, name, data) == (
        f"{name}: palette file is empty; expected {expected}")


def test_a_file_larger_than_any_palette_is_not_read_to_its_end(tmp_path, monkeypatch):
    # /dev/zero given as a palette grew memory without limit; a file over the limit is
    # refused after reading the limit's worth (here 1 MiB instead of 64).
    import quantize.palette_files as palette_files

    monkeypatch.setattr(palette_files, "_MAX_BYTES", 1 << 20)
    line = b"ff0000\n"
    big = tmp_path / "big.hex"
    big.write_bytes(line * ((1 << 20) // len(line) + 1))
    with pytest.raises(ImageReadError) as err:
        read_palette(big)
    assert str(err.value) == (f"{big}: larger than 1 MiB; expected a palette file (100,000 "
                              "colours take 0.7 MB as .hex, 9 MB as .json)")
    fits = tmp_path / "ok.hex"
    fits.write_bytes(line * ((1 << 20) // len(line)))
    assert read_palette(fits).shape == ((1 << 20) // len(line), 3)


def test_a_gpl_name_with_control_characters_is_written_escaped(tmp_path):
    # ESC went into the file as it is: 'cat p.gpl' sent it to the terminal.
    path = tmp_path / "p.gpl"
    write_palette(path, COLOURS[:2], name="esc\x1b[31m\tred\u202e")
    assert path.read_text().splitlines()[1] == r"Name: esc\x1b[31m\tred\u202e"
    assert np.array_equal(read_palette(path), COLOURS[:2])
    write_palette(tmp_path / "p.json", COLOURS[:2], name="esc\x1b")  # JSON escapes it itself
    assert json.loads((tmp_path / "p.json").read_text())["name"] == "esc\x1b"


def test_a_gpl_file_with_aseprites_rgba_channels_keeps_its_alpha(tmp_path):
    # Aseprite writes a palette with alpha as GIMP's format plus a "Channels: RGBA" line
    # and a fourth value per colour; it was refused: "line 2: expected 'R G B [name]' with
    # values 0..255, got 'Channels: RGBA'".
    path = tmp_path / "p.gpl"
    path.write_text("GIMP Palette\nChannels: RGBA\n#\n200  30  30 255\tUntitled\n"
                    " 30 160  40 100\tUntitled\n")
    assert read_palette(path).tolist() == [[200, 30, 30, 255], [30, 160, 40, 100]]
    path.write_text("GIMP Palette\nchannels: rgb\n200 30 30 255 is a name\n")
    assert read_palette(path).tolist() == [[200, 30, 30]]


@pytest.mark.parametrize("text, message", [
    ("GIMP Palette\nChannels: RGBA\n200 30 30\tred\n",
     "line 3: expected 'R G B A [name]' with values 0..255, got '200 30 30\\tred'"),
    ("GIMP Palette\nChannels: CMYK\n200 30 30\n",
     "line 2: expected 'Channels: RGB' or 'Channels: RGBA', got 'Channels: CMYK'"),
    ("GIMP Palette\n200 30 30\nChannels: RGBA\n30 160 40 100\n",
     "line 3: 'Channels: RGBA' should come before the first colour"),
])
def test_a_gpl_channels_line_that_does_not_fit_is_named(tmp_path, monkeypatch, text, message):
    assert _refusal(tmp_path, monkeypatch, "p.gpl", text) == f"p.gpl: {message}"


def test_a_gpl_palette_written_with_alpha_warns_that_it_is_lost(tmp_path):
    # GIMP palettes have no alpha: the entries were written opaque without a word, so the
    # file given back with --palette-in drew translucent pixels opaque.
    from quantize.errors import AlphaLossWarning

    path = tmp_path / "p.gpl"
    for alphas, said in (([255, 100], "1 entry of alpha below 255 is written opaque (its "
                                      "alpha noted in its name)"),
                         ([0, 100], "2 entries of alpha below 255 are written opaque "
                                    "(their alpha noted in their names)")):
        palette = np.hstack([COLOURS[:2], np.array(alphas, np.uint8)[:, None]])
        with pytest.warns(AlphaLossWarning) as caught:
            write_palette(path, palette)
        assert [str(w.message) for w in caught] == [
            f"p.gpl: a GIMP palette (.gpl) is written as GIMP reads it, without alpha, so "
            f"{said}; write .json, .hex, .pal, .txt or .css to keep alpha"]
        # GIMP reads it opaque; quantize reads the alpha its names note
        assert read_palette(path)[:, 3].tolist() == alphas
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_palette(path, np.hstack([COLOURS[:2], np.full((2, 1), 255, np.uint8)]))
        write_palette(tmp_path / "p.hex", np.hstack([COLOURS[:2], np.zeros((2, 1), np.uint8)]))


def test_the_alpha_advice_names_every_format_that_keeps_alpha(tmp_path):
    # The advice named .json and .hex only, while .pal (R G B A) and .txt (aarrggbb) keep a
    # translucent entry too; .gpl and .act, which the warnings are about, do not as they
    # are written. The advice to give a palette file alpha left out .gpl, which is read
    # with alpha as Aseprite writes it.
    from quantize.palette_files import PALETTE_ALPHA_HINT, PALETTE_FORMATS

    palette = np.array([[200, 30, 30, 255], [30, 160, 40, 100], [0, 0, 0, 0]], np.uint8)
    kept = []
    for fmt in PALETTE_FORMATS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # alpha lost, an .act's transparent index
            write_palette(tmp_path / f"p{fmt}", palette)
            read = read_palette(tmp_path / f"p{fmt}")
        if read.tolist() == palette.tolist():
            kept.append(fmt)
    # .gpl by the alpha noted in its names, which quantize reads back and GIMP does not
    assert kept == [".gpl", ".json", ".hex", ".pal", ".txt", ".css"]
    assert PALETTE_ALPHA_HINT == ('"alpha" in .json, rrggbbaa in .hex, R G B A in .pal, '
                                  "aarrggbb in .txt, #rrggbbaa in .css, R G B A after a "
                                  "'Channels: RGBA' line in .gpl")
    (tmp_path / "aseprite.gpl").write_text("GIMP Palette\nChannels: RGBA\n200 30 30 255\n"
                                           "30 160 40 100\n0 0 0 0\n")
    assert read_palette(tmp_path / "aseprite.gpl").tolist() == palette.tolist()


def test_act_file_bytes_and_round_trip(tmp_path):
    # Adobe colour table as Photoshop writes it: 256 RGB triples, unused ones zero, then
    # the count and the transparent index (0xffff: none), big-endian.
    path = tmp_path / "p.act"
    write_palette(path, COLOURS[:2], np.array([0.75, 0.25]), name="dropped")
    data = path.read_bytes()
    assert data == bytes([200, 30, 30, 30, 160, 40]) + bytes(762) + b"\x00\x02\xff\xff"
    assert read_palette(path).tolist() == COLOURS[:2].tolist()
    full = np.arange(256 * 3).reshape(256, 3).astype(np.uint8)
    write_palette(path, full)
    assert path.read_bytes() == full.tobytes() + b"\x01\x00\xff\xff"
    assert np.array_equal(read_palette(path), full)
    path.write_bytes(full.tobytes())  # 768 bytes, no count: 256 colours
    assert np.array_equal(read_palette(path), full)


@pytest.mark.parametrize("trailer, transparent", [
    (b"\x00\x00\xff\xff", None),  # a count of 0: not set
    (b"\xff\xff\xff\xff", None),  # 0xffff, as for the transparent index
    (b"\x01\x01\xff\xff", None),  # 257: more than the table holds (Aseprite reads 256)
    (b"\x00\x00\x00\x03", 3),     # not set, and a transparent index among the 256
])
def test_act_file_whose_count_is_not_set_is_read_as_its_256_colours(tmp_path, trailer,
                                                                    transparent):
    """A 772-byte file whose count was 0 or above 256 was refused ("bytes 768-769: expected
    the number of colours, 1..256, got 0"), while Adobe's specification makes the count
    optional and writers that set none put 0 or 0xffff there."""
    table = (np.arange(256 * 3) * 5 % 256).astype(np.uint8).reshape(256, 3)
    path = tmp_path / "p.act"
    path.write_bytes(table.tobytes() + trailer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TransparentIndexWarning)
        read = read_palette(path)
    if transparent is None:
        assert np.array_equal(read, table)
    else:
        assert read.shape == (256, 4) and np.array_equal(read[:, :3], table)
        assert np.flatnonzero(read[:, 3] < 255).tolist() == [transparent]
        assert read[transparent, 3] == 0


@pytest.mark.parametrize("used, warned", [(4, True), (254, True), (255, False), (0, False)])
def test_act_file_of_768_bytes_ending_in_black_leaves_its_black_tail_out(tmp_path, used,
                                                                         warned):
    """A 768-byte table has no count (nor a 772-byte one whose count is 0 or 0xffff). A
    4-colour palette padded with black read as 256 entries, mapped onto as 5 colours: a
    Game Boy's 4 greens gave a black entry the device has not, and 922 pixels of a photo
    on it. Two or more black entries at the end are now the padding of a smaller palette,
    left out with a warning that says so (one black at the end is a colour of a 256-colour
    palette; a table of black alone is one black)."""
    from quantize.palette_files import PaletteReadWarning

    table = np.zeros((256, 3), np.uint8)
    table[:used] = (np.arange(3 * used) % 200 + 20).reshape(used, 3)  # 254: 200 distinct
    path = tmp_path / "four.act"
    path.write_bytes(table.tobytes())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = read_palette(path)
    assert np.array_equal(read, table[:used] if warned else table)
    said = (f"and its last {256 - used} entries are black: read as the unused entries of a "
            f"smaller palette and left out, so it gives {used} entries; if black is a colour "
            "of the palette, write a 772-byte table whose count includes it")
    assert [(w.category, str(w.message)) for w in caught] == ([(
        PaletteReadWarning,
        f"four.act: an Adobe colour table of 768 bytes has no count of the colours used, {said}"
    )] if warned else [])
    path.write_bytes(table.tobytes() + bytes([0, max(used, 1), 0xFF, 0xFF]))  # counted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_palette(path).shape == (max(used, 1), 3)
    path.write_bytes(table.tobytes() + b"\xff\xff\xff\xff")  # a count not set: as 768 bytes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_palette(path).shape == (used if warned else 256, 3)
    assert [str(w.message) for w in caught] == ([
        "four.act: an Adobe colour table of 772 bytes gives no count of the colours used "
        f"(65535), {said}"] if warned else [])


@pytest.mark.parametrize("transparent, read, advice", [
    (b"\xff\xff", [[128, 128, 128], [0, 0, 0], [255, 255, 255]], False),
    # its black marked transparent stays at its index, and draws no black
    (b"\x00\x01", [[128, 128, 128, 255], [0, 0, 0, 0], [255, 255, 255, 255]], True),
    # a transparent entry in the tail goes with it
    (b"\x00\xfe", [[128, 128, 128], [0, 0, 0], [255, 255, 255]], False)])
def test_act_black_tail_after_a_black_colour_is_left_out_too(tmp_path, transparent, read,
                                                             advice):
    """A black among the colours before the tail keeps its index; the tail is left out.
    The advice to write a 772-byte table to keep a black colour was given also for a
    palette whose black is kept (PICO-8's, at index 0): it is given when no black is."""
    from quantize.palette_files import PaletteReadWarning

    table = np.zeros((256, 3), np.uint8)
    table[[0, 2]] = [[128, 128, 128], [255, 255, 255]]
    path = tmp_path / "bw.act"
    path.write_bytes(table.tobytes() + b"\x00\x00" + transparent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_palette(path).tolist() == read
    tail = [str(w.message) for w in caught if w.category is PaletteReadWarning]
    assert tail == ["bw.act: an Adobe colour table of 772 bytes gives no count of the colours "
                    "used (0), and its last 253 entries are black: read as the unused entries "
                    "of a smaller palette and left out, so it gives 3 entries" + (
                        "; if black is a colour of the palette, write a 772-byte table whose "
                        "count includes it" if advice else "")]


@pytest.mark.parametrize("n", [1, 2, 255])
def test_act_file_of_fewer_than_256_triples_is_refused(tmp_path, monkeypatch, n):
    # A file of 3 bytes per colour and fewer than 256 of them was read as the colours it
    # held: a table cut short (765 bytes: 255 colours), or a PNG renamed .act whose size
    # was a multiple of 3, gave colours no tool wrote. Adobe's format is 768 or 772 bytes.
    data = (np.arange(3 * n) * 7 % 256).astype(np.uint8).tobytes()
    assert _refusal(tmp_path, monkeypatch, "p.act", data) == (
        f"p.act: {3 * n} bytes; expected an Adobe colour table (.act) of 768 bytes (256 RGB "
        "triples) or 772 (then the count of colours used and the transparent index)")


def test_act_file_is_read_by_its_name_whatever_it_holds(tmp_path, monkeypatch):
    # Any file named .act is read as a colour table: a PNG given that name (here of a size
    # that is a multiple of 3) is refused by its size, not read as colours.
    png = io.BytesIO()
    Image.new("RGB", (3, 3), (200, 30, 30)).save(png, format="PNG")
    data = png.getvalue()
    data += bytes(-len(data) % 3)
    assert _refusal(tmp_path, monkeypatch, "logo.act", data) == (
        f"logo.act: {len(data)} bytes; expected an Adobe colour table (.act) of 768 bytes "
        "(256 RGB triples) or 772 (then the count of colours used and the transparent index)")


def test_act_file_keeps_one_transparent_entry_and_warns_of_other_alpha(tmp_path):
    from quantize.errors import AlphaLossWarning

    path = tmp_path / "p.act"
    clear = np.array([[200, 30, 30, 255], [0, 0, 0, 0]], np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_palette(path, clear)
    assert path.read_bytes()[-4:] == b"\x00\x02\x00\x01"
    with pytest.warns(TransparentIndexWarning):
        assert read_palette(path).tolist() == clear.tolist()
    faint = np.array([[200, 30, 30, 100], [0, 0, 0, 0], [9, 9, 9, 0]], np.uint8)
    with pytest.warns(AlphaLossWarning) as caught:
        write_palette(path, faint)
    assert [str(w.message) for w in caught] == [
        "p.act: an Adobe colour table (.act) holds no alpha but one fully transparent entry, "
        "so 2 entries of alpha below 255 are written opaque; write .json, .hex, .pal, .txt or "
        ".css to keep alpha"]
    with pytest.warns(TransparentIndexWarning):
        assert read_palette(path).tolist() == [[200, 30, 30, 255], [0, 0, 0, 0], [9, 9, 9, 255]]


def test_act_file_of_a_fully_transparent_images_palette_is_read_back_silently(tmp_path):
    # The palette of an image with no visible pixel is its transparent entry alone; read
    # back, it warned that index 0 may be Aseprite's, with no colour to lose.
    path = tmp_path / "clear.act"
    write_palette(path, np.zeros((1, 4), np.uint8))
    assert path.read_bytes()[-4:] == b"\x00\x01\x00\x00"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_palette(path).tolist() == [[0, 0, 0, 0]]
    write_palette(path, np.array([[200, 30, 30, 0]], np.uint8))  # a colour: still said
    with pytest.warns(TransparentIndexWarning, match="its colour #c81e1e"):
        assert read_palette(path).tolist() == [[200, 30, 30, 0]]


def test_act_file_refuses_more_than_256_colours(tmp_path):
    path = tmp_path / "p.act"
    with pytest.raises(ValueError) as info:
        write_palette(path, np.zeros((257, 3), np.uint8))
    assert str(info.value) == (f"path={str(path)!r}: an Adobe colour table (.act) holds at "
                               "most 256 colours, got a palette of 257; write .gpl, .json, "
                               ".hex, .pal, .txt, .css or .ase")
    assert not path.exists()


@pytest.mark.parametrize("data, message", [
    # The two sizes Adobe's format gives, each said with what it holds.
    (bytes(700), "700 bytes; expected an Adobe colour table (.act) of 768 bytes (256 RGB "
                 "triples) or 772 (then the count of colours used and the transparent "
                 "index)"),
    (bytes(771), "771 bytes; expected an Adobe colour table (.act) of 768 bytes (256 RGB "
                 "triples) or 772 (then the count of colours used and the transparent "
                 "index)"),
    (bytes(775), "775 bytes; expected an Adobe colour table (.act) of 768 bytes (256 RGB "
                 "triples) or 772 (then the count of colours used and the transparent "
                 "index)"),
    (b"", "palette file is empty; expected a .act palette: Adobe colour table, 256 RGB byte "
          "triples, then the count and transparent index"),
])
def test_a_malformed_act_file_is_named(tmp_path, monkeypatch, data, message):
    assert _refusal(tmp_path, monkeypatch, "p.act", data) == f"p.act: {message}"


def test_jasc_pal_file_text_and_round_trip(tmp_path):
    path = tmp_path / "p.pal"
    write_palette(path, COLOURS[:2], np.array([0.75, 0.25]))
    assert path.read_bytes() == b"JASC-PAL\r\n0100\r\n2\r\n200 30 30\r\n30 160 40\r\n"
    assert read_palette(path).tolist() == COLOURS[:2].tolist()
    faint = np.array([[200, 30, 30, 255], [0, 0, 0, 100]], np.uint8)
    write_palette(path, faint)  # alpha as Aseprite writes it: a fourth value
    assert path.read_bytes() == b"JASC-PAL\r\n0100\r\n2\r\n200 30 30 255\r\n0 0 0 100\r\n"
    assert read_palette(path).tolist() == faint.tolist()
    path.write_bytes(b"\xef\xbb\xbfJASC-PAL\n0100\n1\n\n  255 0 0  \n\n")  # LF, BOM, blanks
    assert read_palette(path).tolist() == [[255, 0, 0]]


@pytest.mark.parametrize("data, message", [
    (b"JASC\r\n0100\r\n", "line 1: expected 'JASC-PAL', the first line of a JASC palette, "
                          "got 'JASC'"),
    (b"JASC-PAL\r\n0200\r\n1\r\n0 0 0\r\n", "line 2: expected the version '0100', got '0200'"),
    (b"JASC-PAL\r\n0100\r\n", "line 3: expected the number of colours, got ''"),
    (b"JASC-PAL\r\n0100\r\n2\r\n0 0 0\r\n0 0 256\r\n", "line 5: expected 'R G B' or "
                                                       "'R G B A' with values 0..255, got "
                                                       "'0 0 256'"),
    (b"JASC-PAL\r\n0100\r\n3\r\n0 0 0\r\n1 1 1\r\n", "holds 2 colours, while line 3 says 3"),
    (b"JASC-PAL\r\n0100\r\n2\r\n0 0 0\r\n", "holds 1 colour, while line 3 says 2"),
    (b"RIFF\x10\x00\x00\x00PAL data", "a Microsoft RIFF palette, not a JASC one; expected a "
                                      ".pal file whose first line is 'JASC-PAL' (as Paint "
                                      "Shop Pro, Aseprite and Lospec write)"),
])
def test_a_malformed_pal_file_is_named(tmp_path, monkeypatch, data, message):
    assert _refusal(tmp_path, monkeypatch, "p.pal", data) == f"p.pal: {message}"


@pytest.mark.parametrize("line", ["1_0 0 0", "+10 0 0", "\u0661\u0660 0 0", "10 0 0.5"])
@pytest.mark.parametrize("suffix", [".gpl", ".pal"])
def test_colour_values_are_ascii_digits(tmp_path, monkeypatch, line, suffix):
    # '1_0', '+10' and Arabic-Indic digits were read as 10 (Python's int()), a colour that
    # GIMP reads as 1, 10 or 0: the file is now refused at that line.
    head = "GIMP Palette\r\n" if suffix == ".gpl" else "JASC-PAL\r\n0100\r\n1\r\n"
    refused = _refusal(tmp_path, monkeypatch, f"p{suffix}", (head + line + "\r\n").encode())
    number = head.count("\n") + 1
    form = "'R G B [name]'" if suffix == ".gpl" else "'R G B' or 'R G B A'"
    assert refused == (f"p{suffix}: line {number}: expected {form} with values "
                       f"0..255, got {line!r}")


def test_a_bad_json_colour_is_counted_from_1_and_shown_as_json(tmp_path, monkeypatch):
    # The second colour was called 'colour 1' (counted from 0, while lines count from 1)
    # and shown as Python writes it: {'hex': '#zz0000', 'on': True}.
    refused = _refusal(tmp_path, monkeypatch, "p.json",
                       '{"colors": ["#ff0000", {"hex": "#zz0000", "on": true}]}')
    assert refused == ("p.json: colour 2: expected '#rrggbb' or [r, g, b] (and an "
                       "optional alpha) with values 0..255, got {\"hex\": \"#zz0000\", "
                       "\"on\": true}")
    long = [0, 0, 0, 0, 0] + list(range(100))  # a long entry is cut at 200 characters
    assert _refusal(tmp_path, monkeypatch, "p.json", json.dumps([long])).endswith(
        f"got {json.dumps(long)[:200]}...")
    assert len(json.dumps(long)) > 300


def test_a_json_colour_whose_hex_and_rgb_differ_is_refused(tmp_path, monkeypatch):
    # write_palette gives every colour both; an edit of "rgb" alone was read as the old
    # "hex" without a word, so the palette kept the colour the user had changed.
    write_palette(tmp_path / "p.json", COLOURS[:2])
    doc = json.loads((tmp_path / "p.json").read_text())
    doc["colors"][1]["rgb"] = [0, 0, 255]
    refused = _refusal(tmp_path, monkeypatch, "p.json", json.dumps(doc))
    hex_shown = json.dumps(doc["colors"][1]["hex"])
    assert refused == (f"p.json: colour 2: its hex {hex_shown} and rgb [0, 0, 255] are not "
                       "the same colour; expected them to agree (edit both, or give one)")
    doc["colors"][1]["hex"] = "#0000FF"  # both edited: read, whatever the case
    (tmp_path / "p.json").write_text(json.dumps(doc))
    assert read_palette("p.json").tolist() == [COLOURS[0].tolist(), [0, 0, 255]]
    assert _refusal(tmp_path, monkeypatch, "p.json", '[{"hex": "#ff0000", "rgb": [300, 0, 0]}]'
                    ) == ("p.json: colour 1: expected '#rrggbb' or [r, g, b] (and an optional "
                          'alpha) with values 0..255, got {"hex": "#ff0000", "rgb": [300, 0, 0]}')


@pytest.mark.parametrize("entry, said", [
    ({"hex": "#ff000080", "alpha": 255}, 'hex "#ff000080" and alpha 255 are not the same alpha '
                                         "(128 and 255)"),
    ({"rgb": [255, 0, 0, 128], "alpha": 0}, "rgb [255, 0, 0, 128] and alpha 0 are not the same "
                                            "alpha (128 and 0)"),
    ({"hex": "#ff000080", "rgb": [255, 0, 0, 64]}, 'hex "#ff000080" and rgb [255, 0, 0, 64] are '
                                                   "not the same alpha (128 and 64)"),
    ({"hex": "#ff000080", "rgb": [255, 0, 0], "alpha": 7}, 'hex "#ff000080" and alpha 7 are not '
                                                           "the same alpha (128 and 7)"),
])
def test_a_json_colour_whose_alphas_differ_is_refused(tmp_path, monkeypatch, entry, said):
    # The "alpha" key won over an 8-digit hex or a 4-value rgb without a word: a colour
    # edited to "#ff000080" beside the "alpha": 255 write_palette wrote was read opaque.
    refused = _refusal(tmp_path, monkeypatch, "p.json", json.dumps([[0, 0, 255], entry]))
    assert refused == (f"p.json: colour 2: its {said}; expected them to agree (edit both, or "
                       "give one)")


def test_a_json_colour_whose_alphas_agree_is_read_with_that_alpha(tmp_path):
    # Wherever a colour's alpha is given, once or alike more than once, it is the colour's:
    # a 4-value rgb beside a 6-digit hex was read opaque, its alpha dropped.
    entries = [{"hex": "#ff000080", "alpha": 128}, {"rgb": [255, 0, 0, 128], "alpha": 128},
               {"hex": "#FF000080", "rgb": [255, 0, 0, 128], "alpha": 128},
               {"hex": "#ff0000", "rgb": [255, 0, 0, 128]},
               {"hex": "#ff000080", "rgb": [255, 0, 0]}, {"hex": "#ff0000", "alpha": 128},
               {"rgb": [255, 0, 0], "alpha": 128}, "#ff000080"]
    (tmp_path / "p.json").write_text(json.dumps([[0, 0, 255], *entries]))
    assert read_palette(tmp_path / "p.json").tolist() == [[0, 0, 255, 255]] + [
        [255, 0, 0, 128]] * len(entries)


@pytest.mark.parametrize("suffix", [".gpl", ".json", ".hex", ".pal", ".ACT"])
def test_what_a_palette_format_holds_is_said_by_palette_files(suffix):
    # The .act format's limits were also written out in reduce.options, where a format
    # added here would not be seen; both now ask this module.
    from quantize.palette_files import check_palette_file_holds, transparent_index_note

    name = f"p{suffix}"
    act = suffix == ".ACT"
    assert transparent_index_note(name) == (
        "an Adobe colour table's transparent index, which Aseprite sets to 0 in every file "
        "it writes" if act else None)
    check_palette_file_holds(name, 256, "the palette has 256 colours")
    if not act:
        check_palette_file_holds(name, 70_000, "the palette has 70000 colours")
        return
    with pytest.raises(ValueError) as info:
        check_palette_file_holds(name, 257, "the palette has 257 colours", "palette")
    assert str(info.value) == ("palette='p.ACT' is an Adobe colour table (.act), of at most "
                               "256 colours, but the palette has 257 colours; write the "
                               "palette as .gpl, .json, .hex, .pal, .txt, .css or .ase")


def test_paint_net_txt_file_text_and_round_trip(tmp_path):
    # Paint.NET's palettes (.txt, AARRGGBB) were refused by their extension.
    path = tmp_path / "p.txt"
    write_palette(path, COLOURS[:2], np.array([0.75, 0.25]), name="bands\x1b")
    assert path.read_bytes() == (b"; paint.net Palette File\r\n; Palette Name: bands\\x1b\r\n"
                                 b"; Colors: 2\r\nFFC81E1E\r\nFF1EA028\r\n")
    assert read_palette(path).tolist() == COLOURS[:2].tolist()
    faint = np.array([[200, 30, 30, 255], [0, 0, 0, 100], [9, 9, 9, 0]], np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every alpha is kept: nothing to warn of
        write_palette(path, faint)
    assert path.read_bytes().splitlines()[3:] == [b"FFC81E1E", b"64000000", b"00090909"]
    assert read_palette(path).tolist() == faint.tolist()


def test_paint_net_txt_file_as_lospec_writes_it_is_read(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text(";paint.net Palette File\n;Palette Name: two\n;Colors: 3\nffc81e1e\n\n"
                    "  FF1EA028  ; green\n80000000\n")
    assert read_palette(path).tolist() == [[200, 30, 30, 255], [30, 160, 40, 255],
                                           [0, 0, 0, 128]]


@pytest.mark.parametrize("line, hint", [
    ("c81e1e", ", 6 digits (rrggbb); write 'ffrrggbb' for an opaque colour, or name a file of "
               "rrggbb lines .hex"),
    ("#FFC81E1E", ", which may be #rrggbbaa or #aarrggbb; write 'aarrggbb' without '#'"),
    ("#c81e", ", which may be #rgba or #argb; write 'aarrggbb' without '#'"),
    ("FFC81E1E00", ""), ("FFC81EZZ", ""), ("#c81e1", ""), ("c81", "")])
def test_a_paint_net_line_that_is_not_aarrggbb_is_named(tmp_path, monkeypatch, line, hint):
    # Six digits are not read as opaque: Paint.NET itself would read them as alpha 0.
    refused = _refusal(tmp_path, monkeypatch, "p.txt",
                       f"; paint.net Palette File\nFF000000\n{line}\n")
    assert refused == (f"p.txt: line 3: expected a Paint.NET colour 'aarrggbb' (8 hex "
                       f"digits, alpha first) or GIMP's '#rrggbb' (or '#rgb'), got "
                       f"{line!r}{hint}")


def test_gimp_text_file_palette_export_is_read_as_opaque_colours(tmp_path):
    # GIMP's "Text file" export (#rrggbb lines, named .txt) was refused as a Paint.NET
    # palette: "line 1: expected a Paint.NET colour 'aarrggbb' ..., got '#c81e1e'".
    path = tmp_path / "gimp.txt"
    path.write_text("#c81e1e\n#1EA028\n\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_palette(path).tolist() == COLOURS[:2].tolist()
    path.write_text("; paint.net Palette File\n80000000\n#c81e1e\n")  # each line as it reads
    assert read_palette(path).tolist() == [[0, 0, 0, 128], [200, 30, 30, 255]]


@pytest.mark.parametrize("name, text, levels", [
    # CSS's shorthand, each digit doubled: #f80 is #ff8800, #f808 is #ff880088
    ("p.hex", "#fff\n#F80 ; orange\n#f808\n#000f\n", [[255, 255, 255, 255], [255, 136, 0, 255],
                                                     [255, 136, 0, 136], [0, 0, 0, 255]]),
    ("p.hex", "#fff\n#0a0\n", [[255, 255, 255], [0, 170, 0]]),  # every alpha 255: none
    ("p.txt", "#fff\n#0A0\n", [[255, 255, 255], [0, 170, 0]]),  # with GIMP's #rrggbb lines
    ("p.txt", "; paint.net Palette File\n80000000\n#fff\n", [[0, 0, 0, 128],
                                                               [255, 255, 255, 255]]),
    ("p.json", '{"colors": [{"hex": "#fff"}, {"hex": "#f808"}, "#0a0"]}',
     [[255, 255, 255, 255], [255, 136, 0, 136], [0, 170, 0, 255]]),
    ("p.json", '[{"hex": "#f80", "rgb": [255, 136, 0]}, {"hex": "#f808", "alpha": 136}]',
     [[255, 136, 0, 255], [255, 136, 0, 136]]),
])
def test_css_shorthand_colours_are_read_each_digit_doubled(tmp_path, name, text, levels):
    """A .txt palette of #fff lines was refused ("expected a Paint.NET colour 'aarrggbb'
    ... or GIMP's '#rrggbb', got '#fff'"), and so were such .hex lines and JSON hex
    values; #rgba where the format reads #rrggbbaa (.hex, .json), not in .txt, whose
    8-digit lines are alpha first."""
    path = tmp_path / name
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_palette(path).tolist() == levels


def test_a_json_shorthand_hex_must_agree_with_its_rgb(tmp_path, monkeypatch):
    refused = _refusal(tmp_path, monkeypatch, "p.json", '[{"hex": "#f80", "rgb": [255, 128, 0]}]')
    assert refused == ('p.json: colour 1: its hex "#f80" and rgb [255, 128, 0] are not the '
                       "same colour; expected them to agree (edit both, or give one)")


def test_hex_lines_may_be_written_0x_and_carry_comments_after_a_semicolon(tmp_path):
    path = tmp_path / "p.hex"
    path.write_text("; brand\n0xC81E1E\n0X1ea028 ; green\nc81e1e64;faint red\n")
    assert read_palette(path).tolist() == [[200, 30, 30, 255], [30, 160, 40, 255],
                                           [200, 30, 30, 100]]


@pytest.mark.parametrize("header", ["# PICO-8", "#PICO-8 palette", "#", "# 16 colours",
                                    "#palette: sweetie-16"])
def test_a_hex_header_of_hash_and_a_word_is_a_comment_as_aseprite_reads_it(tmp_path,
                                                                           header):
    # "# PICO-8", a header Aseprite and Lospec write and accept (Aseprite skips a line
    # without six hex digits), was refused: "comments start with ';'".
    path = tmp_path / "p.hex"
    path.write_text(f"{header}\n000000\n#1d2b53\n{header}\n#7e2553 ; purple\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_palette(path).tolist() == [[0, 0, 0], [29, 43, 83], [126, 37, 83]]


@pytest.mark.parametrize("line, hint", [
    ("0xffc81e1e", ", which may be 0xAARRGGBB (alpha first, as code writes colours) or "
                   "rrggbbaa; write 'rrggbbaa' without '0x'"),
    ("#c81e1e brand", ": comments start with ';', or '#' and a space"),
    ("// brand colours", ": comments start with ';'"),
    ("#c81e1", ""), ("c81", ""), ("c81e", ""), ("c81e1e red", ""), ("0xc81e", ""),
    ("0xc81", ""),
    ("GIMP Palette", ", which begins a GIMP palette: name the file .gpl")])
def test_a_hex_line_that_is_no_colour_is_named_with_advice(tmp_path, monkeypatch, line, hint):
    # Lospec's .hex is bare rrggbb lines; what else is read has one reading. An 8-digit 0x
    # number may be alpha first, a '#' line is a colour, a name after a colour is no comment.
    refused = _refusal(tmp_path, monkeypatch, "p.hex", f"c81e1e\n{line}\n")
    assert refused == (f"p.hex: line 2: expected a hex colour 'rrggbb' or 'rrggbbaa' (or "
                       f"'#rgb', '#rgba'), got {line!r}{hint}")


@pytest.mark.parametrize("header", ["; paint.net Palette File", ";PAINT.NET PALETTE FILE"])
def test_a_paint_net_palette_named_hex_is_refused_not_misread(tmp_path, monkeypatch, header):
    # Its lines FFRRGGBB were read as rrggbbaa: every entry red 255, its blue as alpha.
    refused = _refusal(tmp_path, monkeypatch, "p.hex", f"{header}\n; Colors: 1\nFF1EA028\n")
    assert refused == ("p.hex: line 1: a Paint.NET palette, whose colours are aarrggbb "
                       "(alpha first), while a .hex file's are rrggbbaa; name it .txt "
                       "to read it as Paint.NET's")
    (tmp_path / "p.hex").write_text("; my colours\n1ea02880\n")  # rrggbbaa, as written here
    assert read_palette("p.hex").tolist() == [[30, 160, 40, 128]]


def test_a_paint_net_palette_named_hex_without_its_header_is_warned(tmp_path, monkeypatch):
    # Its lines FFRRGGBB were read as rrggbbaa without a word: every entry red 255, its
    # blue as alpha, so a reduce drew the image in translucent reds.
    from quantize.palette_files import PaletteFormatWarning

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.hex").write_text("FFC81E1E\nFF1EA028\nff000000\n")
    with pytest.warns(PaletteFormatWarning) as caught:
        colors = read_palette("p.hex")
    assert [str(w.message) for w in caught] == [
        "p.hex: every colour is 8 hex digits beginning ff, as in a Paint.NET palette "
        "(aarrggbb, alpha first), and is read as rrggbbaa: red 255, its last two digits as "
        "alpha; if it is a Paint.NET palette, name it .txt"]
    assert colors.tolist() == [[255, 200, 30, 30], [255, 30, 160, 40], [255, 0, 0, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing tells these from rrggbbaa
        for text in ("ffc81eff\nff1ea0ff\n",    # one alpha: as likely reds, all opaque
                     "ffc81e1e\n",              # one colour
                     "ffc81e1e\nc81e1eff\n",    # not every first byte ff
                     "ffc81e\nff1ea028\n",     # not every line 8 digits
                     "#ffffff00\n#ffffff55\n#ffffffaa\n#ffffffff\n",  # '#': no Paint.NET line
                     "ffffff00\n#ffffffff\n",  # one line with '#'
                     "#fff0\n#fff8\n#ffff\n"):  # CSS's #rgba, 4 digits
            (tmp_path / "q.hex").write_text(text)
            read_palette("q.hex")


@pytest.mark.parametrize("text, read", [
    ("FFFF0000\nFF00FF00\n", [[255, 255, 0, 0], [255, 0, 255, 0]]),
    ("ff00ff00\n", [[255, 0, 255, 0]]),  # one colour: as rrggbbaa, no palette to map onto
])
def test_a_headerless_paint_net_palette_read_as_transparent_entries_is_warned(
        tmp_path, monkeypatch, text, read):
    # Lines FFRRGGBB whose blue is 00 read as rrggbbaa of alpha 0: every entry fully
    # transparent, refused by reduce with no word of why.
    from quantize.palette_files import PaletteFormatWarning

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.hex").write_text(text)
    with pytest.warns(PaletteFormatWarning) as caught:
        colors = read_palette("p.hex")
    assert [str(w.message) for w in caught] == [
        "p.hex: every colour is 8 hex digits beginning ff, as in a Paint.NET palette "
        "(aarrggbb, alpha first), and is read as rrggbbaa: red 255 and alpha 0, so every "
        "entry is fully transparent; if it is a Paint.NET palette, name it .txt"]
    assert colors.tolist() == read


def test_a_paint_net_palette_of_more_colours_than_paint_net_reads_is_warned(tmp_path):
    # Paint.NET reads 96 colours of a palette file and leaves out the rest without a word.
    from quantize.palette_files import PaletteFormatWarning

    palette = np.arange(97 * 3, dtype=np.uint8).reshape(97, 3)
    with pytest.warns(PaletteFormatWarning) as caught:
        write_palette(tmp_path / "p.txt", palette)
    assert [str(w.message) for w in caught] == [
        "p.txt: Paint.NET reads the first 96 colours of a palette file, and this one has 97: "
        "all are written, but Paint.NET leaves out the last 1"]
    assert read_palette(tmp_path / "p.txt").tolist() == palette.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_palette(tmp_path / "p.txt", palette[:96])
        write_palette(tmp_path / "p.gpl", palette)  # other formats read them all


@pytest.mark.parametrize("name, text", [
    ("p.hex", "c81e1eff\n1ea028ff\n"),
    ("p.pal", "JASC-PAL\n0100\n2\n200 30 30 255\n30 160 40 255\n"),
    ("p.json", '[{"hex": "#c81e1e", "alpha": 255}, [30, 160, 40, 255]]'),
    ("p.gpl", "GIMP Palette\nChannels: RGBA\n200 30 30 255\n30 160 40 255\n"),
    ("p.txt", "FFC81E1E\nFF1EA028\n"),
])
def test_a_palette_file_whose_every_alpha_is_255_reads_without_alpha(tmp_path, name, text):
    # read_palette promises (k, 4) only when the file has alpha; every format but .txt gave
    # a column of 255 for opaque entries written with alpha, which write_palette never writes.
    (tmp_path / name).write_text(text)
    assert read_palette(tmp_path / name).tolist() == COLOURS[:2].tolist()
    (tmp_path / name).write_text(text.replace("255", "254").replace("ff\n", "fe\n")
                                 .replace("FFC8", "FEC8"))
    assert read_palette(tmp_path / name)[:, 3].tolist() == [254, 254 if name != "p.txt" else 255]


@pytest.mark.parametrize("name", [None, 5, b"brand"])
def test_a_palette_name_that_is_not_a_str_is_refused(tmp_path, name):
    # None was written into the file as the palette's name "None", b"brand" as "b'brand'".
    with pytest.raises(TypeError) as info:
        write_palette(tmp_path / "p.gpl", COLOURS[:2], name=name)
    assert str(info.value) == (f"name={name!r} should be a str, the palette's name, got "
                               f"{type(name).__name__}")
    assert not (tmp_path / "p.gpl").exists()


@pytest.mark.parametrize("name, text", [
    ("p.hex", "[" + ",".join(['"#c81e1e"'] * 3000) + "]\n"),  # a minified .json named .hex
    ("p.gpl", "GIMP Palette\n" + "200 x " * 3000 + "\n"),
    ("p.pal", "JASC-PAL\n0100\n1\n" + "200 30 " * 3000 + "\n"),
    ("p.txt", "FF" * 15000 + "\n"),
])
def test_a_long_bad_line_is_quoted_cut_at_200_characters(tmp_path, monkeypatch, name, text):
    # The whole line was quoted: an error of 30 kB, as one line on the terminal.
    message = _refusal(tmp_path, monkeypatch, name, text)
    quote = message[message.index(", got ") + 6:]
    assert len(quote) == 2 + 200 + 3 and quote.endswith("'...")
    assert quote[1:-4] == text.splitlines()[-1].strip()[:200]


@pytest.mark.parametrize("name, text, expected", [
    ("p.gpl", "JASC-PAL\n0100\n1\n0 0 0\n", "expected 'GIMP Palette', the first line of a "
                                             "GIMP palette, got 'JASC-PAL', which begins a "
                                             "JASC palette: name the file .pal"),
    ("p.gpl", "; Paint.NET Palette File\nFF000000\n", "got '; Paint.NET Palette File', which "
                                                     "begins a Paint.NET palette: name the "
                                                     "file .txt"),
    ("p.pal", "GIMP Palette\n0 0 0\n", "expected 'JASC-PAL', the first line of a JASC "
                                       "palette, got 'GIMP Palette', which begins a GIMP "
                                       "palette: name the file .gpl"),
    ("p.hex", "JASC-PAL\n0100\n1\n0 0 0\n", "expected a hex colour 'rrggbb' or 'rrggbbaa' "
                                             "(or '#rgb', '#rgba'), got 'JASC-PAL', which "
                                             "begins a JASC palette: name the file .pal"),
    ("p.txt", "GIMP Palette\n0 0 0\n", "got 'GIMP Palette', which begins a GIMP palette: "
                                       "name the file .gpl"),
    # GIMP reads a first line by its beginning: the hint did not name such a file's format
    ("p.hex", "GIMP Palette v2\n0 0 0\n", "got 'GIMP Palette v2', which begins a GIMP "
                                          "palette: name the file .gpl"),
])
def test_a_palette_of_another_format_says_which_and_its_extension(tmp_path, monkeypatch, name,
                                                                   text, expected):
    # Was "p.gpl: not a GIMP palette (first line should be 'GIMP Palette')", naming neither
    # the line nor what it held; a .pal file said what it held, a .hex or .txt file not which
    # format that began.
    message = _refusal(tmp_path, monkeypatch, name, text)
    assert message.startswith(f"{name}: line 1: ") and message.endswith(expected)


@pytest.mark.parametrize("name", ["p.gpl", "p.hex", "p.json", "p.pal", "p.txt"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_palette_file_is_named_as_utf16(tmp_path, monkeypatch, name, encoding):
    # Was "line 1: byte 0xff is not UTF-8 text", which did not say what the file was.
    data = "GIMP Palette\r\n255 0 0\r\n".encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    bom = "ff fe" if encoding == "utf-16" else "fe ff"
    assert _refusal(tmp_path, monkeypatch, name, data) == (
        f"{name}: line 1: saved as UTF-16 (it begins with UTF-16's byte order mark, {bom}); "
        "expected a palette file saved as UTF-8")


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_invalid_json_names_its_line_first_as_the_other_formats_do(tmp_path, monkeypatch, end):
    # Was "invalid JSON (Expecting ',' delimiter: line 1 column 30 (char 29))" for a file
    # with CR line ends, whose bad line is the fourth: Python's JSON reader counts LF only.
    text = end.join(['{', ' "colors": [', '  "#ff0000"', '  "#0000ff"', ' ]', '}', ''])
    assert _refusal(tmp_path, monkeypatch, "p.json", text.encode()) == (
        "p.json: line 4: invalid JSON (Expecting ',' delimiter at column 3); expected a list "
        "of colours or an object with 'colors'")


def test_act_transparent_index_is_said_when_read_as_the_command_line_says_it(tmp_path):
    """Aseprite marks index 0 of every .act transparent: read_palette gave it alpha 0 and
    reduce_colors then left its colour out without a word (a dark blue pixel here went to
    the blue entry, not to black), while quantize reduce --palette-in warned of it."""
    from quantize import reduce_colors
    from quantize.palette_files import PaletteFormatWarning

    path = tmp_path / "p.act"
    path.write_bytes(bytes([0, 0, 0, 200, 30, 30, 0, 0, 255]) + bytes(759) + b"\x00\x03\x00\x00")
    with pytest.warns(TransparentIndexWarning) as caught:
        palette = read_palette(path)
    assert issubclass(TransparentIndexWarning, PaletteFormatWarning)
    assert [str(w.message) for w in caught] == [
        "p.act marks index 0 transparent (an Adobe colour table's transparent index, which "
        "Aseprite sets to 0 in every file it writes), so it is read with alpha 0, and "
        "reduce_colors maps no pixel onto its colour #000000: fully transparent pixels get an "
        "entry of their own; to map onto it, set palette[0, 3] = 255"]
    assert caught[0].filename == __file__
    with warnings.catch_warnings():  # for a caller that says it once it has mapped
        warnings.simplefilter("error")
        assert np.array_equal(read_palette(path, warn_transparent_index=False), palette)
    with pytest.raises(TypeError, match="^warn_transparent_index='no' should be a bool"):
        read_palette(path, warn_transparent_index="no")
    image = np.array([[[0, 0, 100], [200, 30, 30]]], np.uint8)
    assert reduce_colors(image, palette=palette).to_rgb().tolist() == [
        [[0, 0, 255], [200, 30, 30]]]
    palette[0, 3] = 255  # as the warning says: the colour is mapped onto
    assert reduce_colors(image, palette=palette).to_rgb().tolist() == [
        [[0, 0, 0], [200, 30, 30]]]
    path.write_bytes(path.read_bytes()[:-2] + b"\xff\xff")  # no transparent index: no word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_palette(path).shape == (3, 3)


@pytest.mark.parametrize("first", ["GIMP Palette v2", "GIMP Palette (exported)",
                                   "GIMP Palette\t# caf\xe9"])
def test_a_gpl_first_line_is_read_as_gimp_reads_it_by_its_beginning(tmp_path, first):
    # GIMP takes any first line that begins "GIMP Palette"; such a file was refused:
    # "line 1: expected 'GIMP Palette', the first line of a GIMP palette, got 'GIMP Palette v2'".
    path = tmp_path / "p.gpl"
    path.write_bytes(first.encode("latin-1") + b"\nName: x\nColumns: 4\n200 30 30 red\n")
    assert read_palette(path).tolist() == [[200, 30, 30]]


@pytest.mark.parametrize("first", ["Gimp Palette", "GIMP  Palette", "GIMPPalette", "GIMP Pal"])
def test_a_gpl_first_line_gimp_refuses_is_refused(tmp_path, monkeypatch, first):
    assert _refusal(tmp_path, monkeypatch, "p.gpl", f"{first}\n200 30 30\n") == (
        f"p.gpl: line 1: expected 'GIMP Palette', the first line of a GIMP palette, got "
        f"{first!r}")


@pytest.mark.parametrize("line", ["columns: 16", "name: Brand", "Colours: 8"])
def test_a_gpl_header_line_gimp_does_not_take_is_refused_saying_how_gimp_writes_them(
        tmp_path, monkeypatch, line):
    # GIMP takes 'Name: ' and 'Columns: ' as written and reads any other such line as a
    # colour ('columns: 16' as 0 16 0, with a message that blue is missing): the error
    # named the line but not why a header was not one.
    assert _refusal(tmp_path, monkeypatch, "p.gpl", f"GIMP Palette\nName: x\n{line}\n0 0 0\n") == (
        f"p.gpl: line 3: expected 'R G B [name]' with values 0..255, got {line!r}, which GIMP "
        "reads as a colour: its header lines are written 'Name: ...' and 'Columns: N'")


def test_a_gpl_name_ending_alpha_n_gives_that_entry_its_alpha(tmp_path):
    # write_palette notes a translucent entry's alpha in its name, which GIMP shows; it was
    # read back opaque, so a palette file's transparent entry came back black
    path = tmp_path / "p.gpl"
    with pytest.warns(UserWarning, match="without alpha"):
        write_palette(path, np.array([[0, 0, 0, 0], [200, 30, 30, 255], [9, 9, 9, 128]],
                                     np.uint8))
    assert "Channels" not in path.read_text()
    assert read_palette(path).tolist() == [[0, 0, 0, 0], [200, 30, 30, 255], [9, 9, 9, 128]]
    path.write_text("GIMP Palette\n200 30 30\tred alpha 7\n1 2 3\talphabet\n4 5 6 alpha 300\n")
    assert read_palette(path).tolist() == [[200, 30, 30, 7], [1, 2, 3, 255], [4, 5, 6, 255]]


@pytest.mark.parametrize("line, fix", [
    ("#c81e28 Warm red", "'200 30 40 Warm red'"),
    ("  #C81E28   Warm red  ", "'200 30 40 Warm red'"),
    ("#c81e2880 Warm red", "'200 30 40 Warm red alpha 128'"),
])
def test_a_gpl_colour_typed_as_hex_is_refused_naming_its_line(tmp_path, monkeypatch, line,
                                                              fix):
    """GIMP reads a line that begins '#' as a comment: '#c81e28 Warm red' was left out
    without a word (3 entries of 4; with black alone after it, an image came out all
    black). '# my inks', '#' alone and a hex colour without a name stay comments."""
    comments = "# my inks\n#\n#c81e28\n#decade\n"
    path = tmp_path / "p.gpl"
    path.write_text(f"GIMP Palette\nName: x\n{comments}0 0 0 Black\n")
    assert read_palette(path).tolist() == [[0, 0, 0]]
    text = f"GIMP Palette\nName: x\n245 240 228 paper\n{line}\n0 0 0 Black\n"
    assert _refusal(tmp_path, monkeypatch, "p.gpl", text) == (
        f"p.gpl: line 4: '{line.strip()}' is a colour written as hex, which GIMP reads as a "
        f"comment and leaves out; write it as {fix}")


def test_a_gpl_colour_typed_as_hex_after_an_rgba_channels_line_is_shown_with_its_alpha(
        tmp_path, monkeypatch):
    text = "GIMP Palette\nChannels: RGBA\n#c81e28 Warm red\n"
    assert _refusal(tmp_path, monkeypatch, "p.gpl", text).endswith(
        "write it as '200 30 40 255 Warm red'")


def test_entry_names_are_written_before_the_hex_and_read_back_without_it(tmp_path):
    """A palette's entry names went nowhere: write_palette took none, and read_palette gave
    none. Written before the hex and share in a .gpl (after the R G B, as GIMP writes
    names), as "name" in .json; read back without what quantize adds."""
    palette = np.array([[200, 30, 40, 255], [10, 70, 160, 255], [0, 0, 0, 0]], np.uint8)
    shares = np.array([0.75, 0.25, 0.0])
    names = ["Warm Red", "Reflex\tBlue\n", None]
    gpl, as_json = tmp_path / "p.gpl", tmp_path / "p.json"
    for path in (gpl, as_json):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AlphaLossWarning)
            write_palette(path, palette, shares, name="My inks", names=names)
        assert read_palette_names(path)[:2] == (  # .gpl's Columns: 8 read too
            "My inks", ("Warm Red", "Reflex Blue", None))
        assert np.array_equal(read_palette(path), palette)
    assert gpl.read_text().splitlines()[4:] == [
        "200  30  40\tWarm Red #c81e28 75.00%", " 10  70 160\tReflex Blue #0a46a0 25.00%",
        "  0   0   0\t#000000 0.00% alpha 0"]
    assert json.loads(as_json.read_text())["colors"][0] == {
        "hex": "#c81e28", "rgb": [200, 30, 40], "alpha": 255, "name": "Warm Red",
        "share": 0.75}


@pytest.mark.parametrize("name, text, names", [
    ("p.gpl", "GIMP Palette\nName: My inks\n#\n255 255 255\tPaper white\n20 20 20\n",
     PaletteNames("My inks", ("Paper white", None))),
    ("p.gpl", "GIMP Palette\n1 2 3\t#010203 50.00%\n", PaletteNames(None, ())),
    ("p.json", '{"name": "inks", "colors": [{"hex": "#ff0000", "name": "Red"}, "#00ff00"]}',
     PaletteNames("inks", ("Red", None))),
    ("p.txt", "; paint.net Palette File\n; Palette Name: inks\nFFFF0000\n",
     PaletteNames("inks", ())),
    ("p.hex", "ff0000\n", PaletteNames(None, ())),
    ("p.gpl", "GIMP Palette\nName: inks\nColumns: 4\n1 2 3 Ink\n",
     PaletteNames("inks", ("Ink",), 4)),
])
def test_read_palette_names_gives_the_names_a_format_holds(tmp_path, name, text, names):
    path = tmp_path / name
    path.write_text(text)
    assert read_palette_names(path) == names


# -- .css: design tokens, their names and colour syntax -----------------------------------


_TOKENS = """:root {
  --color-error: #d32f2f;
  --color-brand-rgb: rgb(21 101 192);
  --radius: 4px; /* no colour: skipped */
  --color-ok: rgba(56, 142, 60, 0.5);
  --shadow: var(--color-error);
  --ink: Black;
  --accent: hsl(0 100% 50%);
}
"""


def test_css_tokens_give_their_colours_and_names(tmp_path):
    # Only hex values were read (rgb(21 101 192) skipped without a word), and no name.
    path = tmp_path / "tokens.css"
    path.write_text(_TOKENS)
    assert read_palette(path).tolist() == [[211, 47, 47, 255], [21, 101, 192, 255],
                                           [56, 142, 60, 128], [0, 0, 0, 255],
                                           [255, 0, 0, 255]]
    assert read_palette_names(path) == PaletteNames(None, (
        "color-error", "color-brand-rgb", "color-ok", "ink", "accent"))


def test_css_written_from_named_entries_names_its_properties(tmp_path):
    # Named entries were written --color-1, --color-2, ..., their names in comments alone.
    path = tmp_path / "tok.css"
    write_palette(path, COLOURS[:4], np.array([0.5, 0.25, 0.25, 0.0]), name="brand",
                  names=["Error red", "color-error", None, "Error red"])
    assert path.read_text() == (
        "/* brand: palette by quantize */\n"
        ":root {\n"
        "  --error-red: #c81e1e; /* Error red, 50.00% */\n"
        "  --color-error: #1ea028; /* 25.00% */\n"
        f"  --color-3: #{COLOURS[2].tobytes().hex()}; /* 25.00% */\n"
        f"  --error-red-2: #{COLOURS[3].tobytes().hex()}; /* Error red, 0.00% */\n"
        "}\n")
    assert read_palette_names(path) == PaletteNames("brand", (
        "error-red", "color-error", None, "error-red-2"))
    assert np.array_equal(read_palette(path), COLOURS[:4])


@pytest.mark.parametrize("value, said", [
    ("#12", "expected a hex colour '#rrggbb' or '#rrggbbaa' (or '#rgb', '#rgba'), got '#12'"),
    ("rgb(300 0 0)", "expected 'rgb(r g b)' or 'rgb(r, g, b)' with levels 0..255 (or "
                     "'hsl(h s% l%)', an alpha after '/'), got 'rgb(300 0 0)'"),
    ("oklch(62% 0.2 250)", "'oklch(62% 0.2 250)' is not read (not sRGB levels); expected "
                           "'#rrggbb', 'rgb(r g b)' or 'hsl(h s% l%)'"),
])
def test_a_css_colour_that_is_not_read_names_its_line(tmp_path, monkeypatch, value, said):
    refused = _refusal(tmp_path, monkeypatch, "t.css",
                       f":root {{\n  --a: #fff;\n  --b: {value};\n}}\n")
    assert refused == f"t.css: line 3: --b: {said}"


# -- .ase: Adobe Swatch Exchange ----------------------------------------------------------


def _ase_name(text: str) -> bytes:
    data = text.encode("utf-16-be") + b"\0\0"
    return (len(data) // 2).to_bytes(2, "big") + data


def _ase_block(kind: int, body: bytes) -> bytes:
    return kind.to_bytes(2, "big") + len(body).to_bytes(4, "big") + body


def _ase_color(name: str, model: bytes, *values: float, kind: int = 2) -> bytes:
    import struct

    return _ase_block(0x0001, _ase_name(name) + model
                      + struct.pack(f">{len(values)}f", *values) + kind.to_bytes(2, "big"))


def _ase_file(*blocks: bytes) -> bytes:
    return b"ASEF\x00\x01\x00\x00" + len(blocks).to_bytes(4, "big") + b"".join(blocks)


def test_ase_built_by_hand_gives_its_rgb_and_gray_swatches_and_their_names(tmp_path):
    # .ase was refused for --palette-in, --palette-out, --fixed-color and palette -o.
    path = tmp_path / "brand.ase"
    path.write_bytes(_ase_file(
        _ase_block(0xC001, _ase_name("Brand")),
        _ase_color("Error red", b"RGB ", 211 / 255, 47 / 255, 47 / 255, kind=1),  # spot
        _ase_color("#1565c0", b"RGB ", 21 / 255, 101 / 255, 192 / 255),  # its own hex
        _ase_block(0xC002, b""),
        _ase_color("50% grey", b"Gray", 0.5, kind=0)))  # global, outside the group
    colors, names = read_named_palette(path)
    assert colors.tolist() == [[211, 47, 47], [21, 101, 192], [128, 128, 128]]
    assert names == PaletteNames("Brand", ("Error red", None, "50% grey"))
    assert read_palette_names(path) == names


def test_ase_round_trip_keeps_colours_and_names_and_warns_of_alpha(tmp_path):
    path = tmp_path / "p.ase"
    write_palette(path, COLOURS[:3], name="inks", names=["Warm red", None, "Grün"])
    data = path.read_bytes()
    # the head, 5 blocks: the group, three colours, the group's end; the first colour
    assert data[:12] == b"ASEF\x00\x01\x00\x00\x00\x00\x00\x05"
    assert _ase_color("Warm red", b"RGB ", 200 / 255, 30 / 255, 30 / 255) in data
    assert read_named_palette(path)[1] == PaletteNames("inks", ("Warm red", None, "Grün"))
    assert np.array_equal(read_palette(path), COLOURS[:3])
    with pytest.warns(AlphaLossWarning, match=r"^p\.ase: an Adobe Swatch Exchange file "
                      r"\(\.ase\) holds no alpha, so 1 entry of alpha below 255 is written "
                      r"opaque; write \.json, \.hex, \.pal, \.txt or \.css to keep alpha$"):
        write_palette(path, np.array([[1, 2, 3, 255], [4, 5, 6, 0]], np.uint8))
    assert read_palette(path).tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("content, said", [
    (_ase_file(_ase_color("Cyan ink", b"CMYK", 1, 0, 0, 0)),
     "swatch 1 ('Cyan ink', byte 12): a CMYK colour, which is not read (its sRGB levels "
     "depend on the colour profile of the tool that wrote it); export the swatches as RGB"),
    (_ase_file(_ase_color("a", b"RGB ", 0, 0, 0), _ase_color("Sky", b"LAB ", 80, -10, -30)),
     "swatch 2 ('Sky', byte 42): a LAB colour, which is not read (its sRGB levels depend on "
     "the colour profile of the tool that wrote it); export the swatches as RGB"),
    (_ase_file(_ase_color("hot", b"RGB ", 1.5, 0, 0)),
     "swatch 1 ('hot', byte 12): values 1.5, 0, 0; expected values 0..1"),
    (_ase_file(_ase_color("a", b"RGB ", 0, 0, 0))[:-4],
     "byte 12: a block of 24 bytes, past the end of the file (38 bytes); expected a whole "
     ".ase file"),
    (b"GIMP Palette\n0 0 0\n", "bytes 0-3: b'GIMP'; expected 'ASEF', the signature of an "
                              "Adobe Swatch Exchange file (.ase)"),
    (b"ASEF\x00\x02\x00\x00\x00\x00\x00\x00", "bytes 4-7: 00 02 00 00; expected 00 01 00 00, "
                                              "the version 1.0 of an Adobe Swatch Exchange file"),
    (_ase_file(_ase_block(0xC001, _ase_name("empty")), _ase_block(0xC002, b"")),
     "palette file holds no colours"),
])
def test_an_ase_file_that_is_not_read_is_named_with_what_was_expected(tmp_path, monkeypatch,
                                                                      content, said):
    assert _refusal(tmp_path, monkeypatch, "p.ase", content) == f"p.ase: {said}"


def test_a_gpl_written_again_keeps_its_columns(tmp_path):
    # A GIMP palette of Columns: 4, mapped onto and written as --palette-out, came out with
    # Columns: 8.
    from quantize.reduce import reduce_file

    (tmp_path / "brand.gpl").write_text("GIMP Palette\nName: Brand\nColumns: 4\n#\n"
                                        "200 30 30 Error red\n20 160 40 Go green\n")
    Image.fromarray(COLOURS[:2].reshape(1, 2, 3)).save(tmp_path / "a.png")
    reduce_file(tmp_path / "a.png", tmp_path / "o.png", palette_in=tmp_path / "brand.gpl",
                palette_out=tmp_path / "o.gpl")
    assert (tmp_path / "o.gpl").read_text().splitlines()[:3] == [
        "GIMP Palette", "Name: Brand", "Columns: 4"]
    write_palette(tmp_path / "w.gpl", COLOURS[:2], columns=16)
    assert read_palette_names(tmp_path / "w.gpl").columns == 16
    with pytest.raises(ValueError, match=r"^columns=300 should be <= 256"):
        write_palette(tmp_path / "w.gpl", COLOURS[:2], columns=300)
