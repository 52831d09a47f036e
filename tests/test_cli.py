"""The ``quantize`` command group: --version, usage errors, and what a call imports."""

from __future__ import annotations

import ast
import contextlib
import errno
import importlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, AnyStr

import numpy as np
import pytest
import typer
from PIL import Image, ImageColor
from typer.testing import CliRunner

import quantize
from quantize import batch
from quantize.cli import app, main
from quantize.errors import ExitCode

from .cli_support import run_in_process
from .manual_support import manual_section, manual_text, option_entries

runner = CliRunner()

HEAVY = ("scipy", "skimage", "rich", "dask", "distributed")


def test_version_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"quantize {quantize.__version__}\n"


def test_python_dash_m_runs_the_command_line_under_its_own_name():
    version = subprocess.run([sys.executable, "-m", "quantize", "--version"],
                             capture_output=True, text=True, check=True)
    assert version.stdout == f"quantize {quantize.__version__}\n"
    wrong = subprocess.run([sys.executable, "-m", "quantize", "paint"],
                           capture_output=True, text=True)
    assert wrong.returncode == 2
    assert wrong.stderr == "quantize: error: paint: no such command (see 'quantize --help')\n"
    usage = subprocess.run([sys.executable, "-m", "quantize", "reduce", "--help"],
                           capture_output=True, text=True, check=True)
    assert usage.stdout.startswith("Usage: quantize reduce [OPTIONS]")


def _completion(value: str, **env: str) -> Any:
    """The command run with ``_QUANTIZE_COMPLETE=value`` (and ``env``), as a shell runs it."""
    return runner.invoke(app, [], prog_name="quantize",
                         env={"_QUANTIZE_COMPLETE": value, **env})


@pytest.mark.parametrize(("shell", "line"), [
    ("bash", "complete -o default -F _quantize_completion quantize"),
    ("zsh", "compdef _quantize_completion quantize"),
    ("fish", "complete --command quantize --no-files --arguments ")])
def test_the_completion_script_of_each_shell_is_given_as_click_documents_it(shell, line):
    """``_QUANTIZE_COMPLETE=bash_source quantize`` said "Shell source not supported." and
    exited 1: the app's typer read it as ``source_bash``, and knew no shell. Both orders
    give the shell's script now."""
    for value in (f"{shell}_source", f"source_{shell}"):
        result = _completion(value)
        assert (result.exit_code, result.stderr) == (0, ""), value
        assert any(got.startswith(line) for got in result.stdout.splitlines()), value


@pytest.mark.parametrize(("words", "completed"), [
    ("quantize red", ["reduce"]), ("quantize reduce --sk", ["--skip-if-larger"]),
    ("quantize batch --rec", ["--recursive"]), ("quantize segment --clu", ["--clusters"]),
    ("quantize segment --cla", ["--classes", "--classes-in", "--class-order"])])
def test_the_completion_completes_commands_and_options(words, completed):
    """What the bash script asks for as the user presses Tab (hidden options left out)."""
    result = _completion("complete_bash", COMP_WORDS=words,
                         COMP_CWORD=str(len(words.split()) - 1))
    assert (result.exit_code, result.stdout.split()) == (0, completed)


def _bash_candidates(command: str) -> list[str]:
    """What bash is offered after ``quantize COMMAND -``: the option names, one a line."""
    result = _completion("complete_bash", COMP_WORDS=f"quantize {command} -", COMP_CWORD="2")
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout.splitlines()


@pytest.mark.parametrize("command", ["reduce", "segment", "batch"])
@pytest.mark.parametrize("columns", ["80", "20"])
def test_fish_is_offered_each_option_on_one_line(command, columns):
    """Fish reads a candidate a line. Typer gave it each option's whole help, wrapped at
    the terminal's width, and every wrapped line was a candidate of its own (49 lines
    without a tab after ``quantize reduce -``, such as "RGBA with alpha; an animation's
    frames or a TIFF's pages as the pages of a"). Each is ``name<TAB>description`` now."""
    result = _completion("complete_fish", _TYPER_COMPLETE_ARGS=f"quantize {command} -",
                         _TYPER_COMPLETE_FISH_ACTION="get-args", COLUMNS=columns)
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert all(re.fullmatch(r"-[^\t ]+(\t[^\t]+)?", line) for line in lines), lines
    names = [line.split("\t")[0] for line in lines]
    assert names == _bash_candidates(command)  # one line per option, as bash is offered
    assert len(set(names)) == len(names) > 10
    assert "--help\tShow this message and exit." in lines
    assert all(len(line.split("\t")[-1]) <= 72 for line in lines)


def test_fish_is_offered_the_first_sentence_of_an_option_s_help():
    result = _completion("complete_fish", _TYPER_COMPLETE_ARGS="quantize reduce --ex",
                         _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert result.stdout.splitlines() == [
        "--ext\tName each output INPUT-stem + SUFFIX beside its input.",
        "--exact-colors\tEvery palette colour occurs in the image."]


@pytest.mark.parametrize("command", ["reduce", "segment", "batch"])
def test_zsh_is_offered_each_option_on_one_line(command):
    """Zsh's list of candidates, ``"name":"description"`` each, one a line, with its
    quotes and colons escaped as the zsh script evaluates them."""
    result = _completion("complete_zsh", _TYPER_COMPLETE_ARGS=f"quantize {command} -")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("_arguments '*: :((")
    assert result.stdout.endswith("))'\n")
    lines = result.stdout[len("_arguments '*: :(("):-len("))'\n")].splitlines()
    assert all(re.fullmatch(r'"-[^"\s]+"(:"([^"]|"")+")?', line) for line in lines), lines
    assert [line.split('"')[1] for line in lines] == _bash_candidates(command)
    if command == "reduce":
        assert ('"--space":"Colour space to cluster in\\\\: rgb (default) or lab (CIELAB)."'
                in lines)


@pytest.mark.parametrize("shell", ["powershell", "pwsh"])
@pytest.mark.parametrize("command", ["reduce", "segment", "batch"])
@pytest.mark.parametrize("columns", ["80", "20"])
def test_powershell_is_offered_each_option_on_one_line(shell, command, columns):
    """PowerShell's script splits each line at ``:::`` into a candidate and its tooltip.
    Typer gave it each option's whole help, wrapped at the terminal's width, and every
    wrapped line was a candidate of its own (49 lines without ``:::`` after
    ``quantize reduce -``). Each is ``name:::description`` now."""
    result = _completion(f"complete_{shell}", _TYPER_COMPLETE_ARGS=f"quantize {command} -",
                         _TYPER_COMPLETE_WORD_TO_COMPLETE="-", COLUMNS=columns)
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert all(re.fullmatch(r"-[^: ]+:::[^\n]+", line) for line in lines), lines
    assert [line.split(":::")[0] for line in lines] == _bash_candidates(command)
    assert "--help:::Show this message and exit." in lines
    assert all(len(line.split(":::")[1]) <= 72 for line in lines)


def test_powershell_is_offered_the_first_sentence_of_an_option_s_help():
    result = _completion("complete_powershell", _TYPER_COMPLETE_ARGS="quantize reduce --ex",
                         _TYPER_COMPLETE_WORD_TO_COMPLETE="--ex")
    assert result.stdout.splitlines() == [
        "--ext:::Name each output INPUT-stem + SUFFIX beside its input.",
        "--exact-colors:::Every palette colour occurs in the image."]


def test_bash_is_offered_option_names_only():
    assert _bash_candidates("reduce")[:3] == ["-o", "--output", "--format"]


@pytest.mark.parametrize("env", [{}, {"COMP_WORDS": "quantize red"}, {"COMP_CWORD": "1"},
                                 {"COMP_WORDS": "quantize red", "COMP_CWORD": "x"},
                                 {"COMP_WORDS": "quantize red", "COMP_CWORD": "-1"}])
def test_bash_completion_without_its_words_is_one_line_and_exit_2(env, monkeypatch):
    """``_QUANTIZE_COMPLETE=complete_bash quantize`` without ``COMP_WORDS`` ended in a
    ``KeyError`` traceback (a ``ValueError`` for a ``COMP_CWORD`` not a number)."""
    for name in ("COMP_WORDS", "COMP_CWORD"):
        monkeypatch.delenv(name, raising=False)
    for value in ("complete_bash", "bash_complete"):
        result = _completion(value, **env)
        assert (result.exit_code, result.stdout) == (2, ""), value
        assert result.stderr == (
            "quantize: error: completing for bash needs COMP_WORDS and COMP_CWORD (an index "
            ">= 0), which its completion script sets: "
            'eval "$(_QUANTIZE_COMPLETE=bash_source quantize)"\n')


@pytest.mark.parametrize("value", ["tcsh_source", "bash_install", "bash"])
def test_an_unknown_completion_request_is_one_line_and_exit_2(value):
    result = _completion(value)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"quantize: error: _QUANTIZE_COMPLETE='{value}' is not valid; expected bash_source, "
        "zsh_source, fish_source, powershell_source or pwsh_source (PowerShell), for the "
        "shell's completion script: "
        'eval "$(_QUANTIZE_COMPLETE=bash_source quantize)"\n')


#: Each option whose value is one of a fixed set, with what its value completes to.
_CLOSED_SETS = [
    ("reduce x.png --space", ["rgb", "lab"]), ("segment x.png --space", ["rgb", "lab"]),
    ("batch in --space", ["rgb", "lab"]), ("batch in --mode", ["reduce", "segment"]),
    ("reduce x.png --palette", ["global", "per-frame"]),
    ("batch in --palette", ["global", "per-frame"]),
    ("reduce x.png --format",
     ["png", "apng", "gif", "bmp", "jpg", "jpeg", "webp", "tif", "tiff"])]


@pytest.mark.parametrize(("words", "values"), _CLOSED_SETS)
def test_bash_completes_the_value_of_an_option_with_a_fixed_set(words, values):
    """``quantize reduce x.png --space <TAB>`` completed to nothing (bash then offered the
    folder's files); each such option offers its values, those that start as typed."""
    result = _completion("complete_bash", COMP_WORDS=f"quantize {words} ",
                         COMP_CWORD=str(len(words.split()) + 1))
    assert (result.exit_code, result.stderr, result.stdout.split()) == (0, "", values)
    typed = _completion("complete_bash", COMP_WORDS=f"quantize {words} {values[1][0]}",
                        COMP_CWORD=str(len(words.split()) + 1))
    assert typed.stdout.split() == [v for v in values if v.startswith(values[1][0])]


#: Each option's ``=`` form, as bash splits it at the ``=`` (its COMP_WORDBREAKS), with
#: what it completes to: --dither=LEVEL's names, the weight names with their "=".
_EQUALS_FORMS = [
    (["reduce", "x.png", "--space", "=", ""], ["rgb", "lab"]),
    (["reduce", "x.png", "--space", "=", "l"], ["lab"]),
    (["batch", "in", "--mode", "=", "s"], ["segment"]),
    (["reduce", "x.png", "--dither", "=", ""], ["ordered", "pattern"]),
    (["reduce", "x.png", "--dither", "=", "p"], ["pattern"]),
    (["batch", "in", "--dither", "=", "o"], ["ordered"]),
    (["segment", "x.png", "-w", ""], ["color=", "intensity=", "xy=", "texture="]),
    (["segment", "x.png", "--weight", "=", "t"], ["texture="]),
    (["batch", "in", "-w", "x"], ["xy="])]


@pytest.mark.parametrize(("words", "values"), _EQUALS_FORMS)
def test_bash_completes_an_option_s_equals_form_and_the_weight_names(words, values):
    """``--dither=<TAB>``, ``--space=r<TAB>`` (which bash gives as ``--space = r``) and
    ``-w <TAB>`` completed to nothing while the other closed values were offered."""
    if words[-1] == "" and words[-2] == "=":  # bash's word is the "=" until one is typed
        words = words[:-1]
    result = _completion("complete_bash", COMP_WORDS=" ".join(["quantize", *words]),
                         COMP_CWORD=str(len(words)))
    assert (result.exit_code, result.stderr, result.stdout.split()) == (0, "", values)


@pytest.mark.parametrize(("words", "values"), _EQUALS_FORMS)
def test_fish_zsh_and_powershell_complete_an_option_s_equals_form(words, values):
    """As fish, zsh and PowerShell give it: the option and its ``=`` one word."""
    typed = " ".join(words).replace(" = ", "=")
    args = {"_TYPER_COMPLETE_ARGS": f"quantize {typed}"}
    fish = _completion("complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args", **args)
    assert (fish.exit_code, fish.stdout.splitlines()) == (0, values)
    zsh = _completion("complete_zsh", **args)
    if values[0].endswith("="):  # a weight's name, its value typed next: no space after it
        assert zsh.stdout == "compadd -S '' -- " + " ".join(f"'{v}'" for v in values) + "\n"
    else:
        assert zsh.stdout == ("_arguments '*: :((" + "\n".join(f'"{v}"' for v in values)
                              + "))'\n")
    powershell = _completion("complete_powershell",
                             _TYPER_COMPLETE_WORD_TO_COMPLETE=typed.split(" ")[-1], **args)
    assert powershell.stdout.splitlines() == [f"{v}::: " for v in values]


#: Words typed before a Tab, with whether bash is asked for no space after the candidate
#: (a weight's name, ending in "=", takes its value with no space), and the candidates in
#: full where a test states them.
_BASH_TABS = [("segment x.png -w co", True, ["color="]),
              ("segment x.png --weight = t", True, ["texture="]),
              ("batch in -w", True, ["color=", "intensity=", "xy=", "texture="]),
              ("reduce x.png --pal", False, None), ("reduce x.png --space", False, None),
              ("reduce --pal", False,
               ["--palette-out", "--palette-in", "--palette-fitted", "--palette"])]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_once_its_script_is_loaded_with_no_space_after_a_weight_s_name(
        tmp_path):
    """``eval "$(_QUANTIZE_COMPLETE=bash_source quantize)"``, then Tab after each of
    ``_BASH_TABS``, in one bash as a user's shell runs them. ``-w co<TAB>`` became
    ``-w color= `` and ``-w color= 2`` was then two words: the script asks bash for no space
    (``compopt -o nospace``, here a function recording its arguments, as bash's own works
    only while bash completes) when a candidate ends in "=".

    One bash loads the script once for all of them (one ``quantize`` process a Tab, as in
    a shell), where a bash a case started two."""
    command = tmp_path / "quantize"
    command.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m quantize "$@"\n')
    command.chmod(0o755)
    script = ['eval "$(_QUANTIZE_COMPLETE=bash_source quantize)"',
              "compopt() { printf 'compopt %s %s\\n' \"$1\" \"$2\"; }"]
    for i, (words, _, _) in enumerate(_BASH_TABS):
        typed = words.split(" ")
        if typed[-1] == "-w":  # a new word, empty so far, is the one completed
            tab = f"COMP_WORDS=(quantize {words} ''); COMP_CWORD={len(typed) + 1}"
        else:  # the word typed is the one completed
            tab = f"COMP_WORDS=(quantize {words}); COMP_CWORD={len(typed)}"
        script += [f"echo '@@ {i}'", tab,
                   "_quantize_completion quantize; printf '%s\\n' \"${COMPREPLY[@]}\""]
    done = subprocess.run(["bash", "-c", "\n".join(script) + "\n"], capture_output=True,
                          text=True,
                          env={**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"})
    assert (done.returncode, done.stderr) == (0, "")
    parts = done.stdout.split("@@ ")
    assert parts[0] == "" and [part.split("\n")[0] for part in parts[1:]] == [
        str(i) for i in range(len(_BASH_TABS))], done.stdout
    for part, (words, nospace, candidates) in zip(parts[1:], _BASH_TABS, strict=True):
        lines = [line for line in part.split("\n")[1:] if line]
        assert lines.count("compopt -o nospace") == nospace, (words, lines)
        offered = [line for line in lines if line != "compopt -o nospace"]
        assert offered and all(line.endswith("=") for line in offered) == nospace, (words,
                                                                                    lines)
        if candidates is not None:
            assert offered == candidates, words


@pytest.mark.parametrize(("words", "values"), _CLOSED_SETS)
def test_fish_zsh_and_powershell_complete_the_value_of_an_option_one_a_line(words, values):
    args = {"_TYPER_COMPLETE_ARGS": f"quantize {words} "}
    fish = _completion("complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args", **args)
    assert (fish.exit_code, fish.stdout.splitlines()) == (0, values)
    zsh = _completion("complete_zsh", **args)
    assert zsh.stdout == "_arguments '*: :((" + "\n".join(f'"{v}"' for v in values) + "))'\n"
    powershell = _completion("complete_powershell", **args)
    assert powershell.stdout.splitlines() == [f"{v}::: " for v in values]


@pytest.mark.parametrize("command", ["segment x.png", "batch in"])
def test_the_overlay_colour_completes_to_the_colour_names_pillow_reads(command):
    """``--overlay-color <TAB>`` completed to nothing; it offers the colour names."""
    def bash(typed: str) -> list[str]:
        result = _completion("complete_bash", COMP_WORDS=f"quantize {command} --overlay-color "
                             f"{typed}", COMP_CWORD=str(len(command.split()) + 2))
        assert (result.exit_code, result.stderr) == (0, "")
        return result.stdout.split()

    assert bash("") == sorted(ImageColor.colormap)
    assert bash("cy") == ["cyan"]
    assert bash("re") == ["rebeccapurple", "red"]
    fish = _completion("complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args",
                       _TYPER_COMPLETE_ARGS=f"quantize {command} --overlay-color yellow")
    assert fish.stdout.splitlines() == ["yellow", "yellowgreen"]


@pytest.mark.parametrize("words", ["reduce x.png --palette-in", "reduce x.png -o",
                                   "reduce x.png --palette-out", "batch in --report",
                                   "batch in --html", "segment x.png -o"])
def test_an_option_that_takes_a_file_is_left_to_the_shell_s_file_names(words):
    """No candidates: bash's script (``complete -o default``) and PowerShell then offer
    file names, zsh is told ``_files``, fish is told it takes files (exit 1)."""
    bash = _completion("complete_bash", COMP_WORDS=f"quantize {words} ",
                       COMP_CWORD=str(len(words.split()) + 1))
    assert (bash.exit_code, bash.stdout.strip()) == (0, "")
    zsh = _completion("complete_zsh", _TYPER_COMPLETE_ARGS=f"quantize {words} ")
    assert zsh.stdout == "_files\n"
    fish = _completion("complete_fish", _TYPER_COMPLETE_FISH_ACTION="is-args",
                       _TYPER_COMPLETE_ARGS=f"quantize {words} ")
    assert fish.exit_code == 1


def _unnoted(stderr: AnyStr) -> AnyStr:
    """``stderr`` without its notes of outputs larger than their inputs, which a tiny test
    image's output often is."""
    note = "quantize: note: " if isinstance(stderr, str) else b"quantize: note: "
    return stderr[:0].join(line for line in stderr.splitlines(keepends=True)
                           if not line.startswith(note))


def test_a_stdout_whose_encoding_lacks_a_character_gets_it_by_code_point(tmp_path):
    """In a locale whose encoding has no "Δ" (Latin-1; a Windows code page), the summary
    line of reduce raised UnicodeEncodeError once the file was written (a traceback, exit
    1), batch stopped at the first name holding "漢" (exit 2), and batch --help failed.
    Such characters are written by their code point, as quoted names write them; "é",
    which Latin-1 holds, is written as it is."""
    (tmp_path / "in").mkdir()
    two = np.zeros((4, 4, 3), np.uint8)
    two[:, 2:] = 255
    Image.fromarray(two).save(tmp_path / "in" / "café 漢.png")
    latin1 = {**os.environ, "PYTHONIOENCODING": "latin-1"}

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "quantize", *args], cwd=tmp_path,
                              env=latin1, capture_output=True, timeout=120)

    reduced = run("reduce", "in/café 漢.png", "-k", "2", "-o", "out.png")
    assert (reduced.returncode, _unnoted(reduced.stderr)) == (0, b"")
    assert re.fullmatch(rb"in/caf\xe9 \\u6f22\.png -> out\.png: 2 colours, lossless, "
                        rb"mean \\u0394E2000 0\.00, [0-9.]+ s\n", reduced.stdout), reduced.stdout
    batched = run("batch", "in", "-o", "out", "-k", "2")
    assert batched.returncode == 0, batched.stderr
    assert batched.stdout.startswith(
        b"[1/1] ok      in/caf\xe9 \\u6f22.png -> out/caf\xe9 \\u6f22.png  k=2 ")
    assert (tmp_path / "out" / "café 漢.png").exists()
    helped = run("batch", "--help")
    assert helped.returncode == 0, helped.stderr
    assert b"mean \\u0394E2000 \\u2264 Q" in helped.stdout


@pytest.mark.parametrize("ascii_env", [
    pytest.param({"PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "LC_ALL": "C", "LANG": "C"},
                 marks=pytest.mark.skipif(sys.platform == "win32", reason="no C locale"),
                 id="LC_ALL=C"),
    pytest.param({"PYTHONIOENCODING": "ascii"}, id="PYTHONIOENCODING=ascii"),
])
def test_an_ascii_stream_gets_every_character_beyond_it_by_code_point(tmp_path, ascii_env):
    """In an ASCII locale click wrapped stdout and stderr in UTF-8 writers, which sent the
    "Δ" of the summary line, the "≤" of batch --help and the "→" of batch's summary line
    raw, as bytes of UTF-8, where docs/errors.md promises ``\\u0394``."""
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save(tmp_path / "a.png")
    env = {**os.environ, **ascii_env}

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "quantize", *args], cwd=tmp_path,
                              env=env, capture_output=True, timeout=120)

    reduced = run("reduce", "a.png", "-k", "2", "-o", "b.png")
    assert reduced.returncode == 0, reduced.stderr
    assert re.fullmatch(rb"a\.png -> b\.png: 2 colours, PSNR [0-9.]+ dB, mean \\u0394E2000 "
                        rb"[0-9.]+, [0-9.]+ s\n", reduced.stdout), reduced.stdout
    refused = run("reduce", "a.png", "--quality", "99")
    assert refused.returncode == 2
    assert b"with a mean \\u0394E2000 of 1.4-2.6" in refused.stderr and refused.stderr.isascii()
    helped = run("batch", "--help")
    assert (helped.returncode, helped.stderr) == (0, b"")
    assert b"mean \\u0394E2000 \\u2264 Q" in helped.stdout and helped.stdout.isascii()
    batched = run("batch", ".", "-o", "out", "-k", "2", "--glob", "a.png")
    assert (batched.returncode, batched.stdout.isascii()) == (0, True), batched.stdout
    assert re.search(rb"; \d+ -> \d+ bytes \(", batched.stdout.splitlines()[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are not locale bytes")
def test_a_quoted_name_in_an_ascii_locale_is_shown_as_the_line_shows_it(tmp_path):
    """In an ASCII locale (PYTHONUTF8=0 LC_ALL=C) Python reads "é" of a name as two
    surrogate escapes: the line showed the name as 'café.png' and quoted the output
    'caf\\xc3\\xa9.tga', as if it held two bytes that are not UTF-8."""
    Image.new("RGB", (4, 4), "red").save(tmp_path / "café.png")
    refused = subprocess.run([sys.executable, "-m", "quantize", "reduce", "café.png", "-o",
                              "café.tga"], cwd=tmp_path, capture_output=True, timeout=120,
                             env={**os.environ, "PYTHONUTF8": "0", "LC_ALL": "C"})
    assert refused.returncode == 2
    assert refused.stderr.decode("ascii") == (  # "\u00e9" by its code point, as quoted
        "quantize: error: -o/--output='caf\\u00e9.tga' has an unsupported extension "
        "'.tga'; expected one of .png, .apng, .gif, .bmp, .jpg, .jpeg, .webp, .tif, .tiff\n")


_GONE_FOLDER_LINE = (
    "quantize: error: .: the current folder no longer exists (removed or moved since the "
    "shell entered it), so no relative path can be read or written; cd to a folder that "
    "exists, or give absolute paths\n")


@pytest.mark.skipif(sys.platform == "win32", reason="a folder in use cannot be removed")
def test_a_current_folder_since_removed_takes_absolute_paths_and_names_itself(tmp_path):
    """A shell left in a folder that was removed (rm -rf, a branch switched): batch with
    absolute paths alone failed with 'quantize: error: No such file or directory' (it made
    every path absolute through os.getcwd, which then fails), and reduce of a relative
    name ended in a traceback. Absolute paths now work, and a relative one is refused in one
    line that says why."""
    (tmp_path / "in").mkdir()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5).save(
        tmp_path / "in" / "a.png")
    start = ("import os, sys\n"
             f"os.mkdir({str(tmp_path / 'gone')!r}); os.chdir({str(tmp_path / 'gone')!r})\n"
             f"os.rmdir({str(tmp_path / 'gone')!r})\n"
             "from quantize.cli import main\n"
             "sys.argv = ['quantize', *sys.argv[1:]]\n"
             "main()\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", start, *args], capture_output=True,
                              text=True, timeout=120)

    absolute = run("batch", str(tmp_path / "in"), "-o", str(tmp_path / "in" / ".." / "out"),
                   "-q", "-k", "2")
    assert (absolute.returncode, absolute.stderr) == (0, "")
    assert (tmp_path / "out" / "a.png").exists()
    for args in (["reduce", "a.png"], ["segment", "a.png"],
                 ["reduce", str(tmp_path / "in" / "a.png"), "-o", "b.png"],
                 ["batch", str(tmp_path / "in"), "-o", "out"],
                 ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out2"),
                  "--report", "r.csv"]):
        relative = run(*args)
        assert (relative.returncode, relative.stderr) == (1, _GONE_FOLDER_LINE), args
    assert sorted(os.listdir(tmp_path)) == ["in", "out"]


def _entry_points() -> list[list[str]]:
    """The ways the command starts: ``python -m quantize``, and the console script beside
    this Python when it is installed."""
    script = Path(sys.executable).with_name("quantize")
    return [[sys.executable, "-m", "quantize"]] + ([[str(script)]] if script.exists() else [])


_ENDINGS = {
    "SIGINT": ("quantize: error: interrupted before any file was processed\n",
               "quantize: error: interrupted; files already reported are done\n"),
    "SIGTERM": ("quantize: error: interrupted by SIGTERM before any file was processed\n",
                "quantize: error: interrupted by SIGTERM; files already reported are done\n"),
    "SIGHUP": ("quantize: error: interrupted by SIGHUP before any file was processed\n",
               "quantize: error: interrupted by SIGHUP; files already reported are done\n"),
}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps")
@pytest.mark.parametrize("start", _entry_points(), ids=["python -m", "script"][:2])
@pytest.mark.parametrize("sent", list(_ENDINGS))
def test_an_interrupt_at_any_moment_is_one_line_and_its_exit_code(tmp_path, start, sent):
    """A Ctrl-C while the command imported NumPy, Pillow and typer (its first 0.3 s) printed
    Python's traceback, and SIGTERM (``timeout``, a job scheduler) ended it with no word and
    -15. Sent once NumPy's library is mapped (the package's imports have begun: what comes
    before is Python's own start-up), then a little later, and while the command waits for
    its stdin (its work): one line, then the end by the signal itself, for a shell's loop to
    stop (its ``$?`` 130; SIGTERM 143; SIGHUP, a terminal closed, which also ended it with no
    word, 129)."""
    import time

    def default_sigint():
        # A test run started in the background by a non-interactive shell ignores SIGINT,
        # and the child would inherit that: the command leaves an ignored SIGINT alone.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if hasattr(signal, "SIGHUP"):  # as under nohup, which ignores it
            signal.signal(signal.SIGHUP, signal.SIG_DFL)

    code, lines = -getattr(signal, sent), _ENDINGS[sent]
    for delay in (0.0, 0.05, 0.15, 1.0):
        read_end, write_end = os.pipe()
        child = subprocess.Popen([*start, "reduce", "-", "-o", str(tmp_path / "out.png")],
                                 stdin=read_end, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        os.close(read_end)
        try:
            deadline = time.monotonic() + 30
            maps = Path(f"/proc/{child.pid}/maps")
            while "_multiarray_umath" not in maps.read_text() and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(delay)
            child.send_signal(getattr(signal, sent))
            _, stderr = child.communicate(timeout=30)
        finally:
            os.close(write_end)
            if child.poll() is None:
                child.kill()
                child.wait()
        assert "Traceback" not in stderr, delay
        assert child.returncode == code, (delay, stderr)
        assert stderr in lines, delay


# The console script, with a finder that sends SIGINT to its own process as the first
# import after the package's start-up module (quantize._start) is looked for: os, sys,
# gc and _signal, which that module may import, are loaded already (signal is not: it
# loads enum and functools, about 5 ms, a window an earlier version left open).
_INTERRUPTED_AFTER_START = """\
import _signal, gc, os, sys


class InterruptOnImport:
    begun = False

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if cls.begun:
            sys.meta_path.remove(cls)
            os.kill(os.getpid(), _signal.SIGINT)
        cls.begun = name == "quantize._start"
        return None


sys.meta_path.insert(0, InterruptOnImport)
from quantize.cli import main
sys.exit(main())
"""


@pytest.mark.skipif(os.name != "posix", reason="ends by the signal where processes do")
def test_an_interrupt_at_the_first_import_after_the_start_is_one_line(tmp_path):
    """A Ctrl-C in the command's first ~0.05 s printed Python's traceback: the package's
    start-up module imported pathlib and quantize.errors (typing) before it took SIGINT.
    Sent as the first other module is looked for, it is the command's line, and the end by
    SIGINT."""
    script = tmp_path / "quantize"  # a console script's name, as the command starts
    script.write_text(_INTERRUPTED_AFTER_START)

    def default_sigint():
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # not ignored, as in a background run

    for _ in range(3):
        child = subprocess.run([sys.executable, str(script), "--version"],
                               capture_output=True, text=True, timeout=60,
                               preexec_fn=default_sigint)
        assert "Traceback" not in child.stderr
        assert (child.returncode, child.stderr) == (-signal.SIGINT, _ENDINGS["SIGINT"][0])


def test_main_called_from_python_dash_c_names_the_program_quantize(tmp_path):
    """Typer named the program after sys.argv[0], "-c": "Usage: -c reduce", "see '-c
    --help'". A script that calls main() keeps its own name."""
    call = "from quantize.cli import main; main()"
    wrong = subprocess.run([sys.executable, "-c", call, "paint"], capture_output=True,
                           text=True)
    assert wrong.returncode == 2
    assert wrong.stderr == "quantize: error: paint: no such command (see 'quantize --help')\n"
    usage = subprocess.run([sys.executable, "-c", call, "reduce", "--help"],
                           capture_output=True, text=True, check=True)
    assert usage.stdout.startswith("Usage: quantize reduce [OPTIONS]")
    script = tmp_path / "run.py"
    script.write_text(call + "\n")
    mine = subprocess.run([sys.executable, str(script), "paint"], capture_output=True,
                          text=True)
    assert mine.stderr == "quantize: error: paint: no such command (see 'run.py --help')\n"


def test_the_command_line_spares_python_its_exit_collections():
    """main() freezes the objects left at the end, keeping the command's exit code."""
    probe = ("import gc, sys\n"
             "sys.argv = ['quantize', 'paint']\n"
             "from quantize.cli import main\n"
             "try:\n    main()\nexcept SystemExit as exc:\n"
             "    print(exc.code, gc.get_freeze_count() > 0)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["2", "True"]


# Installed as sitecustomize: says on stderr when an atexit function runs, when Python takes
# the sys module apart as the process ends, and when a thread of its own ends.
_SHUTDOWN_PROBE = """\
import atexit, os, sys, threading, time


class _Probe:
    def __del__(self, write=os.write):
        write(2, b"taken apart\\n")


sys.quantize_probe = _Probe()
atexit.register(os.write, 2, b"atexit ran\\n")
if os.environ.get("PROBE_THREAD_AFTER"):  # a thread at work until after the output exists
    def _work(path=os.environ["PROBE_THREAD_AFTER"]):
        while not os.path.exists(path):
            time.sleep(0.01)
        time.sleep(0.5)
        os.write(2, b"thread done\\n")

    threading.Thread(target=_work).start()
"""


@pytest.mark.parametrize("start", _entry_points(), ids=["python -m", "script"][:2])
def test_the_command_ends_without_taking_python_apart(tmp_path, start):
    """Its work done, the command ends its process itself: the atexit functions run, its
    lines and exit code are those of the command, and Python does not free every module
    and object first. A thread still at work (not one of quantize's idle ones) is let
    finish, by Python's own exit."""
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5).save(tmp_path / "a.png")
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "sitecustomize.py").write_text(_SHUTDOWN_PROBE)
    here = str(Path(quantize.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "probe"), here])}

    def run(*args, **extra):
        return subprocess.run([*start, *args], cwd=tmp_path, env={**env, **extra},
                              capture_output=True, text=True, timeout=120)

    done = run("reduce", "a.png", "-k", "2", "-o", "b.png")
    assert (done.returncode, _unnoted(done.stderr)) == (0, "atexit ran\n")
    assert done.stdout.startswith("a.png -> b.png: 2 colours, PSNR ")
    assert Image.open(tmp_path / "b.png").mode == "P"
    missing = run("reduce", "none.png")
    assert (missing.returncode, missing.stderr) == (
        ExitCode.FAILED, "quantize: error: none.png: no such file\natexit ran\n")
    waited = run("reduce", "a.png", "-k", "2", "-o", "c.png", "--force",
                 PROBE_THREAD_AFTER=str(tmp_path / "c.png"))
    assert waited.returncode == 0
    assert _unnoted(waited.stderr) == "thread done\natexit ran\ntaken apart\n"


def test_the_command_collects_no_garbage_while_it_imports():
    """Started as the command (here as ``python -m quantize`` would be), the imports run
    with the collector paused: it walked their objects again and again as they were
    made. main() resumes it, what the imports made frozen; a program that imports
    quantize keeps its collector as it was."""
    probe = ("import atexit, gc, sys\n"
             "sys.argv, sys.orig_argv = ['-m'], [sys.executable, '-m', 'quantize']\n"
             "import quantize\n"
             "paused = not gc.isenabled()\n"
             "sys.argv = ['quantize', '--version']\n"
             "from quantize.cli import main\n"
             "atexit.register(lambda: print(paused, gc.isenabled()))\n"  # the command's end
             "main()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split()[-2:] == ["True", "True"]
    imported = subprocess.run([sys.executable, "-c", "import gc, quantize; print(gc.isenabled())"],
                              capture_output=True, text=True, check=True)
    assert imported.stdout.split() == ["True"]


_OPENBLAS_PROBE = ("import os, sys\n"
                   "sys.argv, sys.orig_argv = ['-m'], [sys.executable, '-m', 'quantize']\n"
                   "import quantize\n"
                   "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset'))\n")


@pytest.mark.parametrize("user_value, seen", [(None, "4"), ("28", "28")])
def test_the_command_has_openblas_threads_sleep_when_idle(user_value, seen):
    """Started as the command, the package sets OpenBLAS's idle-thread timeout to its least
    before NumPy loads (a spinning thread burnt 40-60 ms of CPU a call); a value the user
    set is kept, and a program that imports quantize is left as it was."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if user_value is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = user_value
    done = subprocess.run([sys.executable, "-c", _OPENBLAS_PROBE], env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == [seen]
    imported = subprocess.run(
        [sys.executable, "-c", "import os, quantize; "
         "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset'))"],
        env=env, capture_output=True, text=True, check=True)
    assert imported.stdout.split() == [user_value or "unset"]


_SEEN_BY_NUMPY = (
    "import importlib.abc, os, sys\n"
    "class Watch(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'numpy':\n"
    "            print(os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset'))\n"
    "        return None\n"
    "sys.meta_path.insert(0, Watch())\n"
    "sys.argv, sys.orig_argv = ['-m'], [sys.executable, '-m', 'quantize']\n"
    "import quantize\n")


def test_the_command_sets_the_openblas_timeout_before_numpy_loads():
    """OpenBLAS reads the variable once, as NumPy loads it, so it is set before that."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run([sys.executable, "-c", _SEEN_BY_NUMPY], env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["4"]


def test_the_commands_annotations_are_evaluated_once_on_import():
    """Typer reads each command's parameters from its annotations on every call; left as
    strings (``from __future__ import annotations``), they were compiled and evaluated
    again each time. Every command and the root callback hold objects, not strings."""
    callbacks = [c.callback for c in app.registered_commands]
    callbacks.append(app.registered_callback.callback)
    names = sorted(f.__name__ for f in callbacks)
    assert names == ["_root", "batch", "palette_command", "reduce_command", "segment_command"]
    strings = [(f.__name__, name) for f in callbacks
               for name, hint in f.__annotations__.items() if isinstance(hint, str)]
    assert strings == []


def test_no_arguments_show_help_and_exit_2():
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Usage:" in result.stdout and "reduce" in result.stdout and "batch" in result.stdout


def test_an_unknown_command_is_one_line():
    result = runner.invoke(app, ["paint"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["quantize: error: paint: no such command (see 'quantize --help')"]


@pytest.mark.parametrize("name, line", [
    ("reduc", "reduc: no such command; did you mean reduce? (see 'quantize --help')"),
    ("segmnet", "segmnet: no such command; did you mean segment? (see 'quantize --help')"),
])
def test_an_unknown_command_is_named_with_the_commands_it_may_be_a_typo_of(name, line):
    # The parser said "No such command 'reduc'. Did you mean 'reduce'?", unlike the
    # commands' own "--colours: no such option; did you mean --colors?".
    result = runner.invoke(app, [name, "a.png"])
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


@pytest.mark.parametrize("args, see", [
    (["reduce", "-help"], "quantize reduce"),
    (["segment", "a.png", "-help"], "quantize segment"),
    (["batch", "in", "-o", "out", "-help"], "quantize batch"),
    (["palette", "-help"], "quantize palette"),
    (["-help"], "quantize"),
    (["reduce", "-k", "4", "-help=1"], "quantize reduce"),
])
def test_help_typed_with_one_dash_is_named_as_typed_with_help_proposed(args, see):
    # The parser read -help as -h (the help option) and -e: "-e: no such option", an option
    # the user never typed (palette, of typer's own class: "No such option: -e").
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"quantize: error: -help: no such option; did you mean --help? "
               f"(see '{see} --help')\n")


@pytest.mark.parametrize("args, meant", [
    (["help", "reduce"], "quantize reduce --help"),
    (["help", "batch", "in"], "quantize batch --help"),
    (["help"], "quantize --help"),
    (["help", "paint"], "quantize --help"),
])
def test_help_typed_as_a_command_proposes_the_help_option(args, meant):
    # "quantize help reduce", as git and pip are asked, said "help: no such command" alone.
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: help: no such command; did you mean {meant}? "
           "(see 'quantize --help')\n")


def test_a_file_or_folder_given_for_the_command_is_named_with_the_command_that_takes_it(
        tmp_path, monkeypatch):
    # As pngquant is called, "quantize photo.jpg -k 8" said "no such command" alone.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my photo.jpg").write_bytes(b"not read")
    (tmp_path / "photos").mkdir()
    file = runner.invoke(app, ["my photo.jpg", "-k", "8"])
    assert (file.exit_code, file.stderr) == (
        2, "quantize: error: my photo.jpg: no such command; did you mean quantize reduce "
           "'my photo.jpg' -k 8? (see 'quantize --help')\n")
    folder = runner.invoke(app, ["photos", "-k", "8"])
    assert (folder.exit_code, folder.stderr) == (
        2, "quantize: error: photos: no such command; did you mean quantize batch photos "
           "-o OUT_DIR? (see 'quantize --help')\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my photo.jpg", "photos"]


def _loaded_after(code: str) -> set[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    probe = (f"import sys\n{code}\n"
             f"print(__import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def loaded_after():
    """``_loaded_after``, each probe run once for this module: its answer depends on its
    code alone, so the tests asking the same probe share one fresh interpreter (each
    answer a frozenset, which no test can change)."""
    answers: dict[str, frozenset[str]] = {}

    def probe(code: str) -> frozenset[str]:
        if code not in answers:
            answers[code] = frozenset(_loaded_after(code))
        return answers[code]

    return probe


def _cli(*argv: str) -> str:
    return (f"sys.argv = ['quantize', *{list(argv)!r}]\n"
            "from quantize.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")


@pytest.mark.parametrize("argv", [["--version"], ["reduce", "--help"],
                                  ["batch", "--help"], ["segment", "--help"]])
def test_the_command_line_adds_no_heavy_import_of_its_own(argv, loaded_after):
    """Whatever ``import quantize`` loads, the CLI adds neither rich, dask nor SciPy."""
    base = loaded_after("import quantize")
    assert loaded_after(_cli(*argv)) - base == set()


@pytest.mark.parametrize("argv", [["--version"], ["reduce", "--help"]])
def test_version_and_reduce_help_load_numpy_and_pillow_only(argv, loaded_after):
    assert loaded_after(_cli(*argv)) == set()


def test_import_quantize_loads_no_heavy_module(loaded_after):
    assert loaded_after("import quantize") == set()


def test_reducing_one_file_loads_only_the_batch_modules_it_runs(tmp_path):
    """``quantize reduce`` runs its files as batch calls (calls, executor_local, results),
    and asks whether a batch holds an output's folder (lock); the rest of the batch package
    (planner, manifest, reports, Dask, shared palettes) cost every call about 10 ms to
    import and is left unloaded."""
    Image.new("RGB", (4, 4), "red").save(tmp_path / "a.png")
    probe = (_cli("reduce", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "-q")
             + "\nprint(sorted(m for m in sys.modules if m.startswith('quantize.batch')))")
    done = subprocess.run([sys.executable, "-c", f"import sys\n{probe}"], capture_output=True,
                          text=True, check=True)
    assert (tmp_path / "b.png").is_file()
    assert done.stdout.strip() == str(["quantize.batch", "quantize.batch.calls",
                                       "quantize.batch.executor_local",
                                       "quantize.batch.lock", "quantize.batch.results"])


def test_the_batch_package_gives_every_name_it_lists_on_first_use():
    names = [name for name in dir(batch) if not name.startswith("_")]
    assert set(batch.__all__) <= set(names)
    for name in batch.__all__:
        value = getattr(batch, name)
        if callable(value):
            module = importlib.import_module(value.__module__)
            assert module.__name__.startswith("quantize.batch.")
            assert getattr(module, name) is value
    with pytest.raises(AttributeError, match="^module 'quantize.batch' has no attribute "
                                             "'bogus'$"):
        batch.bogus  # noqa: B018


def test_reducing_a_file_from_the_command_line_loads_no_heavy_module(tmp_path):
    """The whole single-file path: decode, fit, encode, summary line."""
    import numpy as np
    from PIL import Image

    src = tmp_path / "in.png"
    Image.fromarray(np.arange(768, dtype=np.uint16).astype(np.uint8).reshape(16, 16, 3)).save(src)
    out = tmp_path / "out.png"
    assert _loaded_after(_cli("reduce", str(src), "-k", "4", "-o", str(out))) == set()
    assert Image.open(out).mode == "P"


def _modules_after_reduce(folder: Path, image: Any, k: int) -> frozenset[str]:
    """The modules a fresh interpreter has loaded after reducing ``image`` to ``k`` colours
    from the command line, in ``folder`` (the output is checked to be written). The probe
    imports nothing itself: it prints ``sys.modules`` by its ``repr``."""
    src, out = folder / "in.png", folder / "out.png"
    image.save(src)
    code = _cli("reduce", str(src), "-k", str(k), "-o", str(out))
    probe = f"import sys\n{code}\nprint(repr(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert out.exists()
    return frozenset(ast.literal_eval(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def loaded_by_reducing_red(tmp_path_factory):
    """The modules a fresh interpreter has loaded after reducing an 8 x 8 red image to k
    colours from the command line, each k run once for this module: the tests that ask
    whether one module is among them share one interpreter (each answer a frozenset,
    which no test can change)."""
    answers: dict[int, frozenset[str]] = {}

    def loaded(k: int) -> frozenset[str]:
        if k not in answers:
            answers[k] = _modules_after_reduce(tmp_path_factory.mktemp(f"red{k}"),
                                               Image.new("RGB", (8, 8), "red"), k)
        return answers[k]

    return loaded


@pytest.mark.parametrize("module", ["quantize.gif_canvas", "quantize.webp"])
def test_reducing_a_png_does_not_load_the_gif_or_webp_readers(loaded_by_reducing_red, module):
    """quantize.gif_canvas (about 2 ms of imports) draws GIF frames only; quantize.webp
    (about 0.5 ms) reads WebP files only."""
    assert module not in loaded_by_reducing_red(4)


@pytest.mark.parametrize("module", ["concurrent.futures", "queue", "PIL.ImageOps"])
def test_reducing_a_small_upright_png_does_not_load_the_thread_pool_or_pillows_imageops(
        loaded_by_reducing_red, module):
    """The shared thread pool starts for large images only, and the measurements run beside
    the encoding on a plain thread (concurrent.futures and queue: about 1.5 ms of imports);
    PIL.ImageOps turns photos whose EXIF says they are turned, and only those."""
    assert module not in loaded_by_reducing_red(4)


def test_reducing_a_file_without_json_does_not_load_the_json_module(loaded_by_reducing_red):
    """Only --json and palette files use it: its import took about 0.7 ms of every call."""
    assert "json" not in loaded_by_reducing_red(4)


def test_reducing_a_file_does_not_load_numpys_masked_arrays(tmp_path):
    """numpy.ma takes 12-16 ms to import; np.unique(..., axis=0) would load it."""
    pixels = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert "numpy.ma" not in _modules_after_reduce(tmp_path, Image.fromarray(pixels), 16)


def test_reducing_a_file_without_a_colour_profile_does_not_load_pillows_colour_engine(
        loaded_by_reducing_red):
    """PIL.ImageCms (and its LittleCMS module) took 1-2 ms of every call's imports."""
    assert "PIL.ImageCms" not in loaded_by_reducing_red(2)


def test_reducing_a_still_image_does_not_load_the_animation_package(loaded_by_reducing_red):
    """Its modules take 20-35 ms to import, paid by every single-file call and worker."""
    assert "quantize.animation" not in loaded_by_reducing_red(2)


def test_import_quantize_loads_no_scipy_or_skimage(loaded_after):
    # A submodule loaded (scipy.ndimage) has its package in sys.modules too.
    assert loaded_after("import quantize") & {"scipy", "skimage"} == set()


def test_the_command_line_maps_numpy_arrays_on_ordinary_pages(monkeypatch):
    from quantize import cli
    multiarray = pytest.importorskip("numpy._core.multiarray")
    if not hasattr(multiarray, "_set_madvise_hugepage"):
        pytest.skip("this NumPy cannot turn its huge-page advice on or off")
    before = multiarray._set_madvise_hugepage(True)
    try:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        cli._small_pages()
        assert multiarray._set_madvise_hugepage(True) is False  # it was turned off
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")  # the user's choice is kept
        cli._small_pages()
        assert multiarray._set_madvise_hugepage(True) is True
    finally:
        multiarray._set_madvise_hugepage(before)


def _untuned_glibc_env() -> dict[str, str]:
    """This process's environment without the user's malloc tuning (``MALLOC_*``,
    ``GLIBC_TUNABLES``) or NumPy's huge pages, for a child counting its page faults;
    skips the test where the C library is not glibc."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        glibc = None
    if not glibc:
        pytest.skip("not glibc")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env["NUMPY_MADVISE_HUGEPAGE"] = "0"
    return env


_REFAULT = """
import os, resource, sys
import numpy as np
from quantize import cli
cli._keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = np.ones(1 << 26, np.uint8); del block  # 64 MB, over glibc's largest mapping threshold
before = faults()
block = np.ones(1 << 26, np.uint8); del block
print(faults() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
@pytest.mark.parametrize("user_env, reused", [({}, True), ({"MALLOC_ARENA_MAX": "8"}, False)])
def test_the_command_line_reuses_freed_memory_unless_malloc_is_tuned_by_the_user(
        user_env, reused):
    env = _untuned_glibc_env()
    done = subprocess.run([sys.executable, "-c", _REFAULT], env={**env, **user_env},
                          capture_output=True, text=True, check=True)
    pages = int(done.stdout)  # a fresh 64 MB is 16384 pages of 4 kB
    assert (pages < 2000) if reused else (pages > 8000), pages


_REUSED_IN_A_THREAD = """
import resource, threading
import numpy as np
from quantize import cli
cli._keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = np.ones(1 << 25, np.uint8); del block  # 32 MB freed by the main thread
counted = []
def work():
    before = faults()
    block = np.ones(1 << 25, np.uint8); del block  # and made again on another
    counted.append(faults() - before)
thread = threading.Thread(target=work); thread.start(); thread.join()
print(counted[0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_the_command_line_reuses_in_a_thread_the_memory_another_thread_freed():
    """One arena for every thread: the metrics, measured on a thread while the main thread
    encodes, take the memory it freed instead of fresh pages (80 MB at 12 MP)."""
    env = _untuned_glibc_env()
    done = subprocess.run([sys.executable, "-c", _REUSED_IN_A_THREAD], env=env,
                          capture_output=True, text=True, check=True)
    pages = int(done.stdout)  # a fresh 32 MB is 8192 pages of 4 kB
    assert pages < 1000, pages


def _readme_options(command: str) -> set[str]:
    """The flags the manual describes in full for ``command``."""
    return {flag for names, _ in option_entries(command)
            for flag in re.findall(r"(?<![\w-])--?[a-z][a-z-]*", names)}


def _help_options(command: str) -> set[str]:
    params = typer.main.get_command(app).commands[command].params
    flags = {f for p in params if not getattr(p, "hidden", False)
             for f in (*p.opts, *getattr(p, "secondary_opts", ())) if f.startswith("-")}
    return flags - {"--help"}


@pytest.mark.parametrize("command", ["reduce", "segment"])
def test_the_manual_describes_every_option_of_the_help(command):
    assert _readme_options(command) == _help_options(command)


def test_error_lines_name_the_run_options_as_flags():
    from quantize.cli.common import as_flags

    assert as_flags("scheduler='tcp://h:1': cannot connect") == (
        "--scheduler='tcp://h:1': cannot connect")
    assert as_flags("jobs=0 should be >= 1") == "-j/--jobs=0 should be >= 1"


@pytest.mark.parametrize("args, named", [
    (["reduce", ""], "FILE..."),
    (["reduce", "a.png", "-o", ""], "-o/--output"),
    (["reduce", "a.png", "--palette-out", ""], "--palette-out"),
    (["reduce", "a.png", "--palette-in", ""], "--palette-in"),
    (["segment", ""], "INPUT"),
    (["segment", "a.png", "-o", ""], "-o/--output"),
    (["batch", "", "-o", "out"], "INPUT_DIR"),
    (["batch", ".", "-o", ""], "-o/--output"),
    (["batch", ".", "-o", "out", "--palette-in", ""], "--palette-in"),
    (["batch", ".", "-o", "out", "--report", ""], "--report"),
    (["batch", ".", "-o", "out", "--html", ""], "--html"),
])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(args, named, tmp_path,
                                                                  monkeypatch):
    """``-o "$OUT"`` with OUT unset must not spill outputs into the current folder."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("a.png")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"quantize: error: {named} is empty; expected ")
    assert sorted(os.listdir(tmp_path)) == ["a.png"]


def _calls(text: str) -> list[list[str]]:
    """The words of every ``quantize ...`` call in ``text``, from the sub-command on: each
    line is split as a shell would, and a call ends at a pipe or a redirection."""
    calls = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        for at in (i for i, word in enumerate(words[:-1]) if word == "quantize"):
            rest = words[at + 1:]
            end = next((i for i, word in enumerate(rest) if word in {"|", ">", "<"}), None)
            calls.append(rest[:end])
    return calls


def _help_examples(args: list[str]) -> list[list[str]]:
    """The calls under the heading ``Examples:`` of ``quantize ARGS --help``."""
    result = runner.invoke(app, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    parts = re.split(r"\n *Examples:\n", result.stdout, maxsplit=1)
    assert len(parts) == 2, f"quantize {' '.join(args)} --help shows no examples"
    return _calls(re.split(r"\n *\n", parts[1], maxsplit=1)[0])


def _readme_calls() -> list[list[str]]:
    text = manual_text()
    return _calls("\n".join(re.findall(r"```sh\n(.*?)```", text, flags=re.S)))


def _parses(words: list[str]) -> None:
    """Parse ``quantize WORDS`` as the command line would, without running it: an unknown
    command or option, or a value of the wrong type, raises click's usage error."""
    command = typer.main.get_command(app).commands[words[0]]
    command.make_context(f"quantize {words[0]}", list(words[1:]))


@pytest.mark.parametrize("args", [[], ["reduce"], ["segment"], ["batch"]])
def test_every_help_shows_examples_the_command_line_parses(args):
    examples = _help_examples(args)
    assert examples
    if args:
        assert {words[0] for words in examples} == set(args)
    else:  # the group's examples show each command
        assert {words[0] for words in examples} == {"reduce", "segment", "batch"}
    for words in examples:
        _parses(words)


def test_every_readme_command_line_parses():
    calls = _readme_calls()
    assert {words[0] for words in calls} == {"reduce", "segment", "batch", "palette"}
    for words in calls:
        _parses(words)


@pytest.fixture
def stdout_failing(monkeypatch):
    """Make every write to stdout fail with the errno given (stderr still works)."""
    def fail_with(code: int) -> None:
        echo = typer.echo

        def broken(message=None, file=None, nl=True, err=False, color=None):
            if not err:
                raise OSError(code, os.strerror(code))
            echo(message, file=file, nl=nl, err=err, color=color)

        monkeypatch.setattr(typer, "echo", broken)
    return fail_with


@pytest.mark.parametrize("args", [["reduce", "{src}", "-o", "{out}/a.png"],
                                  ["reduce", "{src}", "-o", "{out}/a.png", "--json"],
                                  ["segment", "{src}", "-o", "{out}/seg", "-k", "2"],
                                  ["batch", "{folder}", "-o", "{out}/batch", "-k", "2"]])
@pytest.mark.parametrize(("code", "error"), [
    (errno.ENOSPC, "quantize: error: stdout: cannot write (No space left on device)\n"),
    (errno.EIO, "quantize: error: stdout: cannot write (Input/output error)\n"),
])  # a reader that stopped reading (| head -1): test_a_reader_that_goes_away_...
def test_a_stdout_that_takes_no_lines_ends_the_command_in_one_line(
        tmp_path, stdout_failing, args, code, error):
    """A full stdout (> /dev/full) ended reduce and segment with a traceback."""
    folder = tmp_path / "in"
    folder.mkdir()
    src = folder / "a.png"
    Image.new("RGB", (4, 3), (200, 30, 30)).save(src)
    stdout_failing(code)
    result = runner.invoke(app, [a.format(src=src, out=tmp_path, folder=folder) for a in args])
    assert result.exit_code == 1
    assert not isinstance(result.exception, OSError)
    assert result.stderr.endswith(error) and "Traceback" not in result.stderr
    assert "error" not in result.stderr.replace(error, "")


def _run_with_stdout_closed(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``quantize args`` with a stdout pipe whose reader has already gone (``| head``)."""
    read, write = os.pipe()
    os.close(read)
    here = str(Path(quantize.__file__).resolve().parents[1])  # this copy, whatever the cwd
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    try:
        return subprocess.run([sys.executable, "-m", "quantize", *args], cwd=cwd, env=env,
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)


@pytest.mark.parametrize("args, outputs", [
    (["reduce", "a.png", "b.png", "-k", "2", "-j", "1"], ["a.k2.png", "b.k2.png"]),
    # --min-region 0: the default is more than half of the 4 x 4 image, said in a warning
    (["segment", "a.png", "-k", "2", "--min-region", "0"], ["a.segments/segments.json"]),
    (["batch", "in", "-o", "out", "-k", "2", "-j", "1"], ["out/a.png", "out/b.png"]),
    (["batch", "in", "-o", "out", "-k", "2", "-j", "1", "--json"], ["out/a.png", "out/b.png"]),
])
def test_a_reader_that_goes_away_stops_the_lines_not_the_work(args, outputs, tmp_path):
    """``quantize ... | head -1``: every file is still done, without an error line."""
    from PIL import Image

    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "in/a.png", "in/b.png"):
        image = Image.new("RGB", (4, 4), "red" if "a" in name else "blue")
        image.paste((255, 255, 255), (0, 0, 2, 4))
        image.save(tmp_path / name)
    done = _run_with_stdout_closed(args, tmp_path)
    summary = "2/2 files: 2 ok, 0 skipped, 0 failed in " if "--json" in args else ""
    lines = _unnoted(done.stderr)
    assert done.returncode == 0 and lines.startswith(summary)  # --json: on stderr
    assert len(lines.splitlines()) == (1 if summary else 0)  # no "Exception ignored"
    assert all((tmp_path / name).is_file() for name in outputs)


def test_the_help_of_a_bare_quantize_to_a_reader_gone_ends_without_a_traceback(tmp_path):
    # ``quantize | head -0``: the help raised BrokenPipeError, a traceback and exit 1.
    done = _run_with_stdout_closed([], tmp_path)
    assert (done.returncode, done.stderr) == (2, "")


@pytest.mark.parametrize("args", [["--version"], ["reduce", "--help"], ["-h"]])
def test_the_version_or_help_to_a_reader_gone_ends_quietly_with_exit_0(args, tmp_path):
    # ``quantize --version | head -0`` exited 1 without a word, from the parser's own
    # handling of the broken pipe; a command's lines end quietly with its own exit code.
    done = _run_with_stdout_closed(args, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_help_to_a_full_disk_is_one_error_line(tmp_path):
    # ``quantize --help > /dev/full`` ended in a traceback.
    with open("/dev/full", "w") as full:
        done = _run_with_stderr(["--help"], tmp_path, subprocess.PIPE, stdout=full, text=True)
    assert (done.returncode, done.stderr) == (
        1, "quantize: error: stdout: cannot write (No space left on device)\n")


@pytest.mark.parametrize("stdout, error", [
    ("full", "No space left on device"),  # quantize > /dev/full
    ("closed", "it is closed"),  # quantize >&-
])
def test_the_usage_of_a_bare_quantize_that_stdout_cannot_take_is_one_error_line(
        tmp_path, stdout, error):
    # The usage was lost without a word (exit 2, nothing on stderr), where --help says
    # that stdout cannot take it; the code stays that of the missing command.
    if stdout == "full" and not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    with open("/dev/full" if stdout == "full" else os.devnull, "w") as target:
        options = ({"stdout": target} if stdout == "full"
                   else {"preexec_fn": lambda: os.close(1)})
        done = _run_with_stderr([], tmp_path, subprocess.PIPE, text=True, **options)
    assert (done.returncode, done.stderr) == (
        2, f"quantize: error: stdout: cannot write ({error})\n")


@pytest.mark.parametrize("args, error", [
    (["reduce", "a.png", "--json"], "--json: cannot write to stdout (stdout is closed)"),
    (["segment", "a.png", "-k", "2", "--json"],
     "--json: cannot write to stdout (stdout is closed)"),
    (["batch", "in", "-o", "out", "--json"], "--json: cannot write to stdout (stdout is closed)"),
    (["batch", "in", "-o", "out"],  # a traceback: sys.stdout is None has no isatty()
     "stdout: cannot write (it is closed); -q/--quiet prints nothing there"),
    (["reduce", "a.png", "-o", "-"], "a.png: cannot write the image to stdout (stdout is closed)"),
    (["--version"], "stdout: cannot write (it is closed)"),  # exited 0, the version lost
])
def test_a_closed_stdout_is_refused_before_any_work(args, error, tmp_path):
    """``quantize reduce a.png --json >&-`` exited 0, its JSON lost; now nothing is done."""
    (tmp_path / "in").mkdir()
    for name in ("a.png", "in/a.png"):
        Image.new("RGB", (4, 4), "red").save(tmp_path / name)
    here = str(Path(quantize.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "quantize", *args], cwd=tmp_path, env=env,
                          stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(1))  # as a shell's >&-
    assert (done.returncode, done.stderr) == (1, f"quantize: error: {error}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "in"]


def _run_with_stderr(args: list[str], cwd: Path, stderr: Any, **options: Any
                     ) -> subprocess.CompletedProcess:
    """Run ``quantize args`` in ``cwd`` with the stderr given (and ``subprocess.run``'s
    ``options``), its stdout kept."""
    here = str(Path(quantize.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "quantize", *args], cwd=cwd, env=env,
                          stderr=stderr, timeout=120, **{"stdout": subprocess.PIPE, **options})


def _two_colour_inputs(folder: Path) -> None:
    """a.png and in/a.png, two colours each, in ``folder``: -k 4 warns of them."""
    (folder / "in").mkdir()
    for name in ("a.png", "in/a.png"):
        image = Image.new("RGB", (4, 4), "red")
        image.paste((0, 0, 255), (0, 0, 2, 4))
        image.save(folder / name)


@pytest.mark.parametrize("args, code, outputs", [
    (["reduce", "a.png", "--bogus"], 2, []),
    (["reduce", "a.png", "-k", "4"], 0, ["a.k4.png"]),  # with a warning of 2 colours
    (["batch", "in", "-o", "out", "-k", "4", "-j", "1"], 0, ["out/a.png"]),
])
def test_a_stderr_whose_reader_went_away_leaves_the_work_and_the_exit_code(
        args, code, outputs, tmp_path):
    # ``quantize ... 2>&1 >log | head -0``: the first warning or error line raised
    # BrokenPipeError, which ended every command with exit 1 (a usage error too) and
    # stopped a batch before its files.
    _two_colour_inputs(tmp_path)
    read, write = os.pipe()
    os.close(read)
    try:
        done = _run_with_stderr(args, tmp_path, write)
    finally:
        os.close(write)
    assert done.returncode == code
    assert all((tmp_path / name).is_file() for name in outputs)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == (1 if args[0] != "batch" and code == 0 else 2 if code == 0 else 0)


@pytest.mark.parametrize("args, code, lines, outputs", [
    (["reduce", "bad.png"], 1, 0, []),
    (["reduce", "bad.png", "a.png", "--ext", ".x.png", "-k", "4", "-j", "2"], 1, 1,
     ["a.x.png"]),
    (["reduce", "a.png", "-o", "a.png", "--force"], 2, 0, []),  # its own input
    (["reduce", "a.png", "-k", "100000", "-o", "x.webp"], 2, 0, []),
    (["reduce", "a.png", "-o", "b.png"], 15, 0, []),  # exists
    (["reduce", "c.png", "-k", "2", "--quality", "0", "-o", "q.png"], 99, 0, []),
    (["segment", "bad.png"], 1, 0, []),
    # batch's lines: each file's, the failed one's too, and the summary
    (["batch", "in", "-o", "out", "-k", "4", "-j", "1"], 1, 3, ["out/a.png"]),
])
def test_a_failure_with_stderr_closed_keeps_its_exit_code(tmp_path, args, code, lines,
                                                          outputs):
    """'quantize reduce bad.png 2>&-': the error line has nowhere to go, and is dropped
    without a traceback (which would have nowhere to go either) or a wait; the exit code,
    the files the other inputs gave and their lines on stdout stay as with stderr open."""
    _two_colour_inputs(tmp_path)
    for name in ("bad.png", "in/bad.png"):
        (tmp_path / name).write_bytes(b"not an image\n")
    Image.new("RGB", (4, 4), "green").save(tmp_path / "b.png")
    Image.fromarray(np.array([[[0, 0, 0], [90, 0, 0], [250, 0, 0]]], np.uint8)).save(
        tmp_path / "c.png")
    before = set(tmp_path.rglob("*"))
    done = _run_with_stderr(args, tmp_path, subprocess.DEVNULL,
                            preexec_fn=lambda: os.close(2))  # as a shell's 2>&-
    assert done.returncode == code
    shown = done.stdout.decode().splitlines()
    assert len(shown) == lines and "Traceback" not in done.stdout.decode()
    made = {path.relative_to(tmp_path).as_posix() for path in set(tmp_path.rglob("*")) - before
            if path.is_file() and not path.name.startswith(".")}  # not batch's own record
    assert made == set(outputs)


def test_a_closed_stderr_beside_a_terminal_does_not_stop_a_batch(tmp_path):
    # Stdout on a terminal asked stderr whether it was one too, and a stderr closed from
    # the start (2>&-) is None: AttributeError, exit 1, no file done.
    pty = pytest.importorskip("pty")
    _two_colour_inputs(tmp_path)
    leader, follower = pty.openpty()
    try:
        done = _run_with_stderr(["batch", "in", "-o", "out", "-k", "4", "-j", "1"], tmp_path,
                                subprocess.DEVNULL, stdout=follower,
                                preexec_fn=lambda: os.close(2))  # as a shell's 2>&-
        os.close(follower)  # the terminal's other end: reading it ends with what was written
        try:
            shown = os.read(leader, 4096).decode()
        except OSError:  # nothing was written
            shown = ""
    finally:
        os.close(leader)
    assert done.returncode == 0 and (tmp_path / "out" / "a.png").is_file()
    assert "1/1 files: 1 ok, 0 skipped, 0 failed" in shown


# Writes to descriptor 2 while each output is open, as a C library's message would.
_NOISY_WRITES = """
import contextlib, os, pathlib, sys
from quantize.cli import main

def write_bytes(self, data):
    with self.open("wb") as f:
        with contextlib.suppress(OSError):
            os.write(2, b"a message on stderr\\n")
        return f.write(data)

pathlib.Path.write_bytes = write_bytes
sys.argv = ["quantize", *sys.argv[1:]]
main(prog_name="quantize")
"""


def test_a_closed_stderr_does_not_hand_its_descriptor_to_an_output(tmp_path):
    """With stderr closed (2>&-), the output file was opened as descriptor 2 and a line
    written to stderr meanwhile went into the image. Descriptor 2 is now the null device."""
    Image.new("RGB", (4, 4), "red").save(tmp_path / "a.png")
    here = str(Path(quantize.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _NOISY_WRITES, "reduce", "a.png", "-k", "2",
                           "-o", "b.png"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                          timeout=120, preexec_fn=lambda: os.close(2))  # as a shell's 2>&-
    assert done.returncode == 0
    assert done.stdout.decode().startswith("a.png -> b.png: 1 colour")
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(tmp_path / "b.png") as reduced:
        assert reduced.convert("RGB").getcolors() == [(16, (255, 0, 0))]


def test_a_line_for_a_closed_stdout_is_an_error_not_lost(monkeypatch):
    from quantize.cli.common import _StdoutError, say

    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(_StdoutError) as closed:
        say("a.png -> a.k16.png")
    assert (closed.value.error.errno, closed.value.error.strerror) == (errno.EBADF,
                                                                       "it is closed")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    say("summary", err=True)
    assert sys.stderr.getvalue() == "summary\n"


@pytest.mark.parametrize("args, code, line", [
    (["reduce", "a.png", "-o", "locked/new/a.png"], 2,  # reduce makes no folder: bad usage
     "-o/--output='locked/new/a.png': folder 'locked/new' does not exist; expected a file "
     "name in an existing folder"),
    (["segment", "a.png", "-k", "2", "-o", "locked/new/seg"], 1,
     "a.png: locked/new/seg: output folder locked/new cannot be created (Permission denied)"),
    (["batch", "in", "-o", "locked/new/out", "-j", "1"], 1,
     "locked/new/out: output folder locked/new cannot be created (Permission denied); no "
     "file was processed"),
])
def test_an_output_folder_that_cannot_be_made_is_named_alike_by_every_command(
        args, code, line, tmp_path, monkeypatch):
    """segment and batch said 'cannot create output folder (Permission denied)', naming
    neither the folder at fault nor it as reduce names it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "locked").mkdir()
    for name in ("a.png", "in/a.png"):
        Image.new("RGB", (4, 4), "red").save(tmp_path / name)
    real_mkdir = os.mkdir

    def mkdir(path, *rest, **kwargs):  # a folder the user may not write in, even as root
        if Path(path).parent == Path("locked"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_mkdir(path, *rest, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (code, f"quantize: error: {line}\n")
    assert list((tmp_path / "locked").iterdir()) == []


@pytest.mark.parametrize("folder", ["pal", "pal.gpl"])
@pytest.mark.parametrize("args, line", [
    (["reduce", "a.png", "--palette-in", "{folder}"], "{folder}: is a directory, expected a "
                                                      "palette file"),
    (["batch", "in", "-o", "out", "--palette-in", "{folder}"],
     "{folder}: is a directory, expected a palette file"),
])
def test_a_palette_file_that_is_a_folder_is_named_as_one(args, line, folder, tmp_path,
                                                         monkeypatch):
    """A folder without a palette extension was refused as "--palette-in='pal' has an unknown
    palette extension '(none)'" (exit 2), one named pal.gpl as a folder (exit 1)."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path(folder).mkdir()
    Image.new("RGB", (4, 4), "red").save("a.png")
    result = runner.invoke(app, [a.format(folder=folder) for a in args])
    assert (result.exit_code, result.stderr) == (1, f"quantize: error: "
                                                    f"{line.format(folder=folder)}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.png", "in", folder])


@pytest.mark.parametrize("command", [["reduce", "in/bad.png"], ["segment", "in/bad.png"],
                                     ["batch", "in", "-o", "out"]])
def test_an_unreadable_file_gets_the_same_error_line_from_every_command(command, tmp_path,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/bad.png").write_bytes(b"not an image")
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert result.stderr == "quantize: error: in/bad.png: not an image Pillow can identify\n"


@pytest.mark.parametrize("command, made", [
    (["reduce", "in/cam.mpo", "-o", "out.png"], "out.png"),
    (["segment", "in/cam.mpo", "-o", "out"], "out/segmented.png"),
    (["batch", "in", "-o", "out"], "out/cam.png"),
    (["batch", "in", "-o", "out", "--mode", "segment"], "out/cam/segmented.png"),
])
def test_an_mpo_s_second_view_is_one_warning_line_from_every_command(command, made, tmp_path,
                                                                    monkeypatch):
    """A stereo pair's first view was used and the second dropped without a word (and a
    batch did not look at a .mpo file)."""
    from tests.corpus.generate import MPO_DISPARITY, mpo_file

    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    mpo_file(Path("in/cam.mpo"), [(200, 0, 0), (0, 0, 200)], MPO_DISPARITY, size=(16, 12))
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines().count(
        "quantize: warning: in/cam.mpo: MPO of 2 images: only its first image (16x12) is "
        "read, as viewers show it, and 1 other image (not a preview of it) left out; save "
        "each image as a JPEG of its own to use it") == 1
    with Image.open(made) as im:  # the first view, red
        assert im.size == (16, 12) and im.convert("RGB").getpixel((0, 0))[0] > 150


@pytest.mark.parametrize("args, line", [
    (["reduce", "a.png", "-k", "abc"], "-k/--colors='abc' is not valid; expected an integer"),
    (["segment", "a.png", "-k", "2.5"],
     "-k/--clusters='2.5' is not valid; expected an integer"),
    (["batch", ".", "-o", "out", "-k", "abc"],
     "-k/--colors/--clusters='abc' is not valid; expected an integer"),
    (["reduce", "a.png", "--quality", "x"], "--quality='x' is not valid; expected a number"),
    (["segment", "a.png", "--seed", "1e3"], "--seed='1e3' is not valid; expected an integer"),
    (["batch", ".", "-o", "out", "--jobs", "two"],
     "-j/--jobs='two' is not valid; expected an integer"),
    # a ' in it, which the parser quotes in double quotes: it was said in the parser's words
    (["reduce", "a.png", "-k", "it's"], "-k/--colors=\"it's\" is not valid; expected an "
     "integer"),
])
def test_a_value_that_is_not_a_number_is_refused_as_other_bad_values_are(args, line):
    """Worded as '--seed=-1 should be >= 0' and "--space='x' is not valid; expected ..."."""
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


@pytest.mark.parametrize("args, line", [
    (["reduce", "a.png", "-k", "epd7.hex"], "-k/--colors='epd7.hex' is not valid; expected an "
     "integer; a palette file to map onto goes in --palette-in=..."),
    (["batch", ".", "-o", "out", "-k", "pico-8.png"], "-k/--colors/--clusters='pico-8.png' is "
     "not valid; expected an integer; a palette file to map onto goes in --palette-in=..."),
    (["reduce", "a.png", "-k", "brand"], "-k/--colors='brand' is not valid; expected an "
     "integer; a palette file to map onto goes in --palette-in=..."),  # an existing file
    (["reduce", "a.png", "-k", "brand.txt2"], "-k/--colors='brand.txt2' is not valid; "
     "expected an integer"),
    # segment maps onto no palette
    (["segment", "a.png", "-k", "epd7.hex"],
     "-k/--clusters='epd7.hex' is not valid; expected an integer"),
    (["batch", ".", "-o", "out", "--mode", "segment", "-k", "epd7.hex"],
     "-k/--colors/--clusters='epd7.hex' is not valid; expected an integer"),
    (["batch", ".", "-o", "out", "-k", "epd7.hex", "--mode=segment"],
     "-k/--colors/--clusters='epd7.hex' is not valid; expected an integer"),
    (["batch", ".", "-o", "out", "--mode", "reduce", "-k", "epd7.hex"],
     "-k/--colors/--clusters='epd7.hex' is not valid; expected an integer; a palette file to "
     "map onto goes in --palette-in=..."),
    # a name with a ' in it, which the parser writes in double quotes: it said only
    # '-k/--colors "pal'.hex" is not a valid integer.', in its own words, and no hint
    (["reduce", "a.png", "-k", "pal'.hex"], "-k/--colors=\"pal'.hex\" is not valid; expected "
     "an integer; a palette file to map onto goes in --palette-in=..."),
    (["batch", ".", "-o", "out", "-k", "Bob's.gpl"], "-k/--colors/--clusters=\"Bob's.gpl\" is "
     "not valid; expected an integer; a palette file to map onto goes in --palette-in=..."),
    (["segment", "a.png", "-k", "pal'.hex"],
     "-k/--clusters=\"pal'.hex\" is not valid; expected an integer"),
])
def test_a_palette_file_given_to_k_is_pointed_to_palette_in(tmp_path, monkeypatch, args, line):
    """-k epd7.hex said only "expected an integer", while --palette epd7.hex pointed to
    --palette-in."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brand").write_text("000000\nffffff\n")
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


@pytest.mark.parametrize("command", [["segment", "a.png", "-o", "out"],
                                     ["batch", ".", "-o", "out", "--mode", "segment"]])
@pytest.mark.parametrize("weight, line", [
    # a name in another case is the name (Color=1 is color=1): one that is none, as typed
    ("Colr=1", "-w/--weight name='Colr' is not valid; expected one of 'color', 'intensity', "
               "'xy', 'texture'"),
    ("texture=-1", "-w texture=-1 should be >= 0"),  # as typed, not "-1.0"
    ("xy=-0.50", "-w xy=-0.50 should be >= 0"),
    ("xy=1e400", "-w xy=1e400 should be a finite number"),  # not "inf"
    # too small for a float, yet not 0: refused as 1e-7 is, not read as 0 (the group off)
    ("color=1e-400", "-w color=1e-400 should be 0 or >= 1e-6; with k-means, where weights "
                     "count relative to each other, a smaller one is lost beside a weight of "
                     "1 in the float32 distances (the hierarchy takes the same range)"),
    ("xy=-1e-400", "-w xy=-1e-400 should be >= 0"),
    ("color=nan", "-w color=nan should be a finite number"),
    # Python's float() reads these as 10 and 1: not plain decimal numbers
    ("color=1_0", "-w 'color=1_0' is not valid; expected NAME=NUMBER with NUMBER a plain "
                  "decimal number, e.g. 2, 0.5 or 1e-3"),
    ("xy=\u0661", "-w 'xy=\u0661' is not valid; expected NAME=NUMBER with NUMBER a plain "
                   "decimal number, e.g. 2, 0.5 or 1e-3"),
    ("texture=two", "-w 'texture=two' is not valid; expected NAME=NUMBER with NUMBER a plain "
                    "decimal number, e.g. 2, 0.5 or 1e-3"),
])
def test_a_bad_weight_is_named_as_the_w_option_it_was_given_with(command, weight, line,
                                                                 tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.png").write_bytes(b"never read: the options are refused first")
    result = runner.invoke(app, [*command, "-w", weight])
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")
    assert not Path("out").exists()


@pytest.mark.parametrize("command", [["segment", "a.png", "-o", "out"],
                                     ["batch", ".", "-o", "out", "--mode", "segment"]])
def test_colour_and_color_are_one_weight_given_twice(command, tmp_path, monkeypatch):
    """-w colour=2 is taken for -w color=2 (the documentation spells the word so); the two
    together are refused as one weight given twice, as -w color twice is."""
    monkeypatch.chdir(tmp_path)
    Path("a.png").write_bytes(b"never read: the options are refused first")
    result = runner.invoke(app, [*command, "-w", "colour=2", "-w", "color=1"])
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: -w colour=2 and color=1 are one weight, given twice; expected it "
           "once, as color\n")
    assert not Path("out").exists()


@pytest.mark.parametrize("command", [["reduce", "a.png"], ["batch", ".", "-o", "out"]])
@pytest.mark.parametrize("quality, line", [
    ("-1", "--quality=-1 should be >= 0"),  # as typed, not "-1.0"
    ("1e400", "--quality=1e400 should be a finite number"),  # not "inf"
    ("-1e-400", "--quality=-1e-400 should be >= 0"),  # not read as 0
    ("1_0", "--quality='1_0' is not valid; expected a number"),  # not 10
])
def test_a_bad_quality_is_named_as_it_was_typed(command, quality, line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.png").write_bytes(b"never read: the options are refused first")
    result = runner.invoke(app, [*command, "--quality", quality])
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")
    assert sorted(os.listdir()) == ["a.png"]


_REDUCE, _SEGMENT, _BATCH = ["reduce", "a.png"], ["segment", "a.png"], ["batch", ".", "-o", "out"]


@pytest.mark.parametrize("command, option, name", [
    (_REDUCE, "-k", "-k/--colors"), (_REDUCE, "-j", "-j/--jobs"), (_REDUCE, "--seed", "--seed"),
    (_REDUCE, "--max-pixels", "--max-pixels"),
    (_SEGMENT, "-k", "-k/--clusters"), (_SEGMENT, "--regions", "--regions"),
    (_SEGMENT, "--seed", "--seed"), (_SEGMENT, "--max-pixels", "--max-pixels"),
    (_BATCH, "-k", "-k/--colors/--clusters"),
    ([*_BATCH, "--mode", "segment"], "--regions", "--regions"),  # reduce mode: not its option
    (_BATCH, "-j", "-j/--jobs"),
    (_BATCH, "--seed", "--seed"), (_BATCH, "--max-pixels", "--max-pixels"),
])
# Python's int() reads the first three as 16: "-k 1_6" ran with 16 colours
@pytest.mark.parametrize("value", ["1_6", "\u0661\u0666", "\uff11\uff16", "16.0", "0x10", ""])
def test_an_integer_option_takes_plain_decimal_digits_only(command, option, name, value,
                                                           tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.png").write_bytes(b"never read: the options are refused first")
    result = runner.invoke(app, [*command, option, value])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {name}={value!r} is not valid; expected an integer\n")
    assert sorted(os.listdir()) == ["a.png"]


@pytest.mark.parametrize("command", [_SEGMENT, [*_BATCH, "--mode", "segment"]])
@pytest.mark.parametrize("value", ["1_6", "\u0661\u0666", "\uff11\uff16", "16.0", "0x10", "",
                                   "1_6%", "\u0661%"])
def test_min_region_takes_plain_decimal_digits_only(command, value, tmp_path, monkeypatch):
    """--min-region takes pixels or a percentage (0.1%), each in plain decimal digits; the
    error says both forms."""
    monkeypatch.chdir(tmp_path)
    Path("a.png").write_bytes(b"never read: the options are refused first")
    result = runner.invoke(app, [*command, "--min-region", value])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --min-region={value!r} is not valid; expected a whole number "
        "of pixels (5000) or a percentage of the image's pixels from 0% to 100% (0.1%)\n")
    assert sorted(os.listdir()) == ["a.png"]


@pytest.mark.parametrize("text, value", [("16", 16), ("+16", 16), (" 16 ", 16), ("-1", -1),
                                         ("016", 16), (7, 7)])
def test_an_integer_option_reads_a_sign_spaces_and_leading_zeros_as_int_does(text, value):
    from quantize.cli.common import integer

    assert integer(text) == value and type(integer(text)) is int


def test_a_signed_integer_option_is_the_number_it_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save("a.png")
    result = runner.invoke(app, ["reduce", "a.png", "-k", "+3", "--seed", "+0", "--json"])
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["n_colors"], record["k"], record["seed"]) == (3, 3, 0)
    assert record["output"] == "a.k3.png"


@pytest.mark.parametrize("text", ["2", "-0.5", "+.5", "2.", "1e-3", "1E+2", " 0.25 "])
def test_plain_decimal_weights_are_read_as_typed(text):
    from quantize.cli.segment import parse_weights

    weights = parse_weights([f"color={text}"])
    assert weights == {"color": float(text)} and str(weights["color"]) == text.strip()


def _help(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    return result.stdout


@pytest.mark.parametrize("command", ["reduce", "segment", "batch"])
def test_every_help_names_each_value_and_lists_its_exit_codes_with_interruption(command):
    text = _help(command)
    assert re.findall(r"<(?:int|float|str|path|text)>", text) == []  # a type, not a name
    codes = text.split("Exit codes: ", 1)[1]
    assert "130 interrupted" in " ".join(codes.split())
    assert "Examples:" in text



def _help_as_shown(args: list[str]) -> str:
    """``quantize ARGS --help`` as a terminal of 80 columns or more shows it: click wraps
    help to the terminal's width less 2, at most 78 (its runner would force 80)."""
    result = runner.invoke(app, [*args, "--help"], terminal_width=78)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("args", [[], ["reduce"], ["segment"], ["batch"]])
def test_every_help_line_fits_an_80_column_terminal(args):
    """The examples and exit codes, laid out by hand, ran to 93 columns (``batch``'s
    examples, ``segment -q``'s comment): an 80-column terminal broke them mid-word."""
    text = _help_as_shown(args)
    assert [line for line in text.splitlines() if len(line) > 80] == []


@pytest.mark.parametrize("args", [[], ["reduce"], ["segment"], ["batch"]])
def test_no_help_line_breaks_an_option_name_at_its_hyphen(args):
    """batch --help, wrapped to 78 columns in any terminal of 80 or more, cut its
    description's option name in two: "The palette a --shared-" / "palette run saved"."""
    text = _help_as_shown(args)
    assert [line for line in text.splitlines() if re.search(r"(^|\s)--?\w[\w-]*-$", line)] == []


def _codes_named(passage: str) -> set[int]:
    """The exit codes a passage lists, as ``0 done, 1 ...; 2 ...``: each number that opens
    the passage or follows a comma, semicolon, colon or parenthesis (not ``-k 1`` in an
    example)."""
    return {int(code) for code in re.findall(r"(?:^|[,;:]\s+|\()(\d+)\s", passage)}


def _readme_passage(heading: str, opening: str) -> str:
    """From ``opening`` to the end of its paragraph (or list item) under ``## heading``."""
    passage = manual_section(heading).split(opening, 1)[1]
    return re.split(r"\n\s*\n|\n- ", passage, maxsplit=1)[0].strip()


# The codes each command can end with: segment neither skips a larger result nor has
# a quality target; batch exits 99, as reduce, when the files that failed all missed theirs.
_COMMAND_CODES = {
    "reduce": set(ExitCode),
    "segment": set(ExitCode) - {ExitCode.TOO_LARGE, ExitCode.QUALITY},
    "batch": set(ExitCode),
}


def test_the_readme_exit_code_table_lists_the_codes_the_command_line_returns():
    section = manual_section("What happens with bad input")
    rows = re.findall(r"^\| (\d+) \| .+ \|$", section, flags=re.M)
    assert [int(code) for code in rows] == sorted(ExitCode)


_README_EXIT_CODES = {"reduce": ("Colour reduction", "**Exit codes**"),
                      "batch": ("Batch processing and Dask clusters", "### Exit codes\n\n")}


def _module_passage(command: str) -> str:
    """The exit codes the docstring of ``quantize.cli.COMMAND`` lists."""
    doc = importlib.import_module(f"quantize.cli.{command}").__doc__ or ""
    return re.split(r"exit codes?(?: \(:class:`[^`]*`\))?: ", doc, maxsplit=1,
                    flags=re.I)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("command, where", [
    ("reduce", "--help"), ("segment", "--help"), ("batch", "--help"), ("reduce", "README"),
    ("batch", "README"), ("reduce", "module"), ("segment", "module"), ("batch", "module")])
def test_each_list_of_exit_codes_names_those_its_command_returns(command, where):
    passage = (_help(command).split("Exit codes: ", 1)[1] if where == "--help"
               else _module_passage(command) if where == "module"
               else _readme_passage(*_README_EXIT_CODES[command]))
    assert _codes_named(passage) == _COMMAND_CODES[command]


@pytest.mark.parametrize("command, flags", [
    ("reduce", ["-o, --output FILE", "-k, --colors K", "--quality Q", "--space rgb|lab",
                "--palette-in FILE", "--seed S", "-j, --jobs N", "--max-pixels N"]),
    ("segment", ["-o, --output DIR", "-k, --clusters K", "--regions N", "--space rgb|lab",
                 "-w, --weight NAME=VALUE", "--min-region PX", "--seed S", "--max-pixels N"]),
    ("batch", ["-o, --output OUT_DIR", "-k, --colors, --clusters K", "--regions N",
               "--quality Q", "--space rgb|lab", "--palette-in FILE", "-w, --weight NAME=VALUE",
               "--min-region PX", "--seed S", "--max-pixels N", "-j, --jobs N",
               "--glob PATTERN", "--scheduler ADDRESS", "--report FILE", "--html FILE"]),
])
def test_the_same_value_is_named_alike_in_every_help(command, flags):
    """As the help's own sentences name them ('into OUT_DIR', 'smaller than PX pixels')."""
    lines = [line.strip() for line in _help(command).splitlines()]
    assert [f for f in flags if not any(line.startswith(f + " ") for line in lines)] == []


def test_reduce_and_segment_json_name_the_same_facts_alike(tmp_path, monkeypatch):
    """input, output and seconds: one key each, whichever command printed the object."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    image = Image.new("RGB", (8, 8), "red")
    image.paste((0, 0, 255), (0, 0, 4, 8))
    image.save("a.png")
    reduced = runner.invoke(app, ["reduce", "a.png", "-k", "2", "--json"])
    segmented = runner.invoke(app, ["segment", "a.png", "-k", "2", "--json"])
    assert (reduced.exit_code, segmented.exit_code) == (0, 0)
    one, other = json.loads(reduced.stdout), json.loads(segmented.stdout)
    assert (one["input"], one["output"]) == ("a.png", "a.k2.png")
    assert (other["input"], other["output"], other["outdir"]) == ("a.png", "a.segments",
                                                                 "a.segments")
    assert isinstance(one["seconds"], float) and isinstance(other["seconds"], float)
    saved = json.loads(Path("a.segments/segments.json").read_text())
    assert {k: v for k, v in other.items() if k not in ("seconds", "output")} == {
        k: v for k, v in saved.items()
        if k not in ("cluster_stats", "region_stats", "region_stats_units", "input_path")}
    assert saved["input_path"] == "../a.png"  # the file's only: from the folder it is in


@pytest.mark.parametrize("command", [["reduce", "in/a.png"], ["reduce", "in/a.png", "in/b.png"],
                                     ["batch", "in", "-o", "out"]])
@pytest.mark.parametrize("palette, line", [
    ("nowhere.hex", "nowhere.hex: no such palette file"),
    ("bad.hex", "bad.hex: line 1: expected a hex colour 'rrggbb' or 'rrggbbaa' (or '#rgb', "
                "'#rgba'), got 'zzz'"),
])
def test_a_bad_palette_file_is_named_once_before_any_image_is_read(command, palette, line,
                                                                   tmp_path, monkeypatch):
    """The same line and exit code whether one file, several or a folder was to be mapped."""
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/a.png").write_bytes(b"never read")
    Path("in/b.png").write_bytes(b"never read")
    Path("bad.hex").write_text("zzz\n")
    result = runner.invoke(app, [*command, "--palette-in", palette])
    assert (result.exit_code, result.stderr) == (1, f"quantize: error: {line}\n")
    assert sorted(os.listdir("in")) == ["a.png", "b.png"] and not Path("out").exists()


@pytest.mark.parametrize("args, line", [
    (["reduce"], "FILE... is missing (see 'quantize reduce --help')"),
    (["segment"], "INPUT is missing (see 'quantize segment --help')"),
    (["batch"], "INPUT_DIR is missing (see 'quantize batch --help')"),
    (["batch", "."], "-o/--output is missing (see 'quantize batch --help')"),
    (["batch", ".", "out", "-o", "x"],
     "out: unexpected argument; quantize batch takes one INPUT_DIR (see 'quantize batch --help')"),
    (["batch", ".", "out", "more", "-o", "x"], "out more: unexpected arguments; quantize batch "
     "takes one INPUT_DIR (see 'quantize batch --help')"),
])
def test_a_missing_argument_or_option_is_named_with_where_to_look(args, line):
    # The parser's words started the line: "Missing option '-o' / '--output'", "Got
    # unexpected extra argument(s) (out)"; it now starts with what it is about, as the
    # other errors do.
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


def test_reduce_and_segment_summaries_have_one_shape(tmp_path, monkeypatch):
    """'INPUT -> OUTPUT: what was made, S.SS s', as reduce has always printed it."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    image = Image.new("RGB", (8, 8), "red")
    image.paste((0, 0, 255), (0, 0, 4, 8))
    image.save("a.png")
    reduced = runner.invoke(app, ["reduce", "a.png", "-k", "2"])
    segmented = runner.invoke(app, ["segment", "a.png", "-k", "2"])
    assert re.fullmatch(r"a\.png -> a\.k2\.png: 2 colours, lossless, mean ΔE2000 0\.00, "
                        r"\d+\.\d\d s\n", reduced.stdout)
    assert re.fullmatch(r"a\.png -> a\.segments: 2 regions from 2 clusters, \d+\.\d\d s\n",
                        segmented.stdout)


@pytest.mark.parametrize("args", [["-h"], ["reduce", "-h"], ["segment", "-h"], ["batch", "-h"]])
def test_dash_h_shows_the_help_as_dash_dash_help_does(args):
    short, long = runner.invoke(app, args), runner.invoke(app, [*args[:-1], "--help"])
    assert (short.exit_code, short.stdout) == (0, long.stdout)
    assert short.stdout.startswith("Usage: quantize")


@pytest.mark.parametrize("args, line", [
    (["reduce", "a.png", "-o"], "-o/--output needs a value (see 'quantize reduce --help')"),
    (["segment", "a.png", "-k"], "-k/--clusters needs a value (see 'quantize segment --help')"),
    (["batch", ".", "-o"], "-o/--output needs a value (see 'quantize batch --help')"),
    (["batch", ".", "-o", "out", "--colors"],
     "-k/--colors/--clusters needs a value (see 'quantize batch --help')"),
])
def test_an_option_without_its_value_is_named_as_other_errors_name_it(args, line):
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


@pytest.mark.parametrize("args, line", [
    (["segment", "a.png", "-o", "--edges"], "-o/--output needs a value; --edges is an option "
     "(write ./--edges for a file of that name) (see 'quantize segment --help')"),
    (["batch", "in", "-o", "-r"], "-o/--output needs a value; -r is an option (write ./-r for a "
     "file of that name) (see 'quantize batch --help')"),
    (["reduce", "a.png", "--palette-out", "--json=1"], "--palette-out needs a value; --json=1 "
     "is an option (write ./--json=1 for a file of that name) (see 'quantize reduce --help')"),
    (["reduce", "a.png", "-k", "-o", "x.png"],
     "-k/--colors needs a value; -o is an option (see 'quantize reduce --help')"),
])
def test_an_option_given_as_another_options_value_is_refused(tmp_path, monkeypatch, args, line):
    """The parser took the option for the value: 'segment a.png -o --edges' wrote the folder
    '--edges', without the edge map, and 'batch in -o -r' a folder '-r', not recursing."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_named_as_an_option_is_the_value_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "-r").mkdir()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(tmp_path / "in" / "a.png")
    result = runner.invoke(app, ["batch", "in", "-o", "-r", "-k", "2", "-q"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "-r" / "a.png").is_file()


@pytest.mark.parametrize("args, line", [
    (["segment", "a.png", "--edges=1"], "--edges takes no value (see 'quantize segment --help')"),
    (["segment", "a.png", "--json=yes"], "--json takes no value (see 'quantize segment --help')"),
    (["reduce", "a.png", "--quiet=1"], "-q/--quiet takes no value (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--no-dither=1"],
     "--no-dither takes no value (see 'quantize reduce --help')"),
    (["batch", ".", "-o", "out", "--force=1"],
     "--force takes no value (see 'quantize batch --help')"),
    (["--version=1"], "--version takes no value (see 'quantize --help')"),
    (["--help="], "-h/--help takes no value (see 'quantize --help')"),
    (["segment", "a.png", "--help=1"], "-h/--help takes no value (see 'quantize segment --help')"),
    # gifsicle's --optimize=3: its level 2 is what quantize does without the flag
    (["reduce", "a.gif", "--optimize=3"],
     "--optimize takes no value; it has one level, which tries more ways to store each GIF "
     "frame, as gifsicle's --optimize=3 does (gifsicle's level 2 is what quantize does "
     "without it) (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "--optimize=2"],
     "--optimize takes no value; it has one level, which tries more ways to store each GIF "
     "frame, as gifsicle's --optimize=3 does (gifsicle's level 2 is what quantize does "
     "without it) (see 'quantize batch --help')"),
])
def test_a_flag_given_a_value_is_named_as_taking_none(args, line):
    """'--edges=1' was said to need a value, which it had: a flag takes none."""
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


def _value_options(command: str) -> list[tuple[str, str]]:
    """Every option of ``command`` that takes one value: (the flag to give, its name)."""
    import typer

    params = typer.main.get_command(app).commands[command].params
    return [(p.opts[-1], "/".join(p.opts)) for p in params
            if p.param_type_name == "option" and not p.is_flag and not p.multiple
            and not p.hidden]


@pytest.mark.parametrize("command, flag, name", [
    (command, flag, name) for command in ("reduce", "segment", "batch")
    for flag, name in _value_options(command)])
def test_an_option_that_takes_a_value_given_twice_is_a_usage_error(command, flag, name,
                                                                    tmp_path, monkeypatch):
    """'-k 8 -k 16' reduced to 16 colours without a word: which value was meant cannot be
    told, so every option of every command that takes one value is given once."""
    monkeypatch.chdir(tmp_path)
    needed = ["-o", "out"] if command == "batch" and flag != "--output" else []
    result = runner.invoke(app, [command, "in.png", *needed, flag, "1", flag, "2"])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {name} is given twice; give it once (see 'quantize {command} "
           "--help')\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, line", [
    (["reduce", "a.png", "-k", "8", "--colors=16", "-k4"],
     "-k/--colors is given 3 times; give it once (see 'quantize reduce --help')"),
    (["segment", "a.png", "-k3", "--clusters", "4"],
     "-k/--clusters is given twice; give it once (see 'quantize segment --help')"),
    (["batch", ".", "-o", "out", "-k", "3", "--clusters", "4"],
     "-k/--colors/--clusters is given twice; give it once (see 'quantize batch --help')"),
    (["reduce", "a.png", "--dither=0.5", "--dither=1"],
     "--dither is given twice; give it once (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--dither=0.5", "--no-dither"],  # dithered at 0.5
     "--dither=LEVEL is given with --dither or --no-dither; give one of them "
     "(see 'quantize reduce --help')"),
    (["batch", ".", "-o", "out", "--dither", "--dither=0.2"],
     "--dither=LEVEL is given with --dither or --no-dither; give one of them "
     "(see 'quantize batch --help')"),
])
def test_a_repeated_option_is_named_as_typed_in_every_spelling(args, line, tmp_path,
                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


def test_flags_and_per_item_options_may_repeat(tmp_path, monkeypatch):
    """A flag given twice is given once, the last of --dither and --no-dither counting;
    -w is given once per weight."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("a.png")
    result = runner.invoke(app, ["reduce", "a.png", "-k", "2", "--dither", "--no-dither",
                                 "--force", "--force", "--json", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dither"] == 0.0
    segmented = runner.invoke(app, ["segment", "a.png", "-k", "1", "-w", "texture=0", "-w",
                                    "xy=0", "-q", "-q"])
    assert (segmented.exit_code, segmented.stderr) == (0, "")


def test_the_command_list_shows_each_command_in_whole():
    text = runner.invoke(app, ["--help"], env={"COLUMNS": "80"}).stdout
    listed = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in listed] == ["batch", "palette", "reduce", "segment"]
    assert [line for line in listed if line.endswith("...")] == []


@pytest.mark.parametrize("command", [["segment", "a.png"], ["batch", "."]])
@pytest.mark.parametrize("out, what", [
    ("taken", "is an existing file"),
    # segment said "a.png: taken/x: output folder taken/x cannot be created (Not a
    # directory)", exit 1, and "... (File exists)" under the link
    ("taken/x", "lies under 'taken', which is an existing file"),
    ("gone/x", "lies under 'gone', which is a link to 'nowhere', which does not exist"),
])
def test_an_output_folder_that_is_a_file_is_refused_alike(command, out, what, tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.png").write_bytes(b"never read")
    Path("taken").write_text("keep me")
    Path("gone").symlink_to("nowhere")
    result = runner.invoke(app, [*command, "-o", out])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: -o/--output='{out}' {what}; expected a folder\n")
    assert Path("taken").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "gone", "taken"]


@pytest.mark.parametrize("command", ["reduce", "segment"])
def test_the_manual_names_each_value_as_the_help_does(command):
    written = [names for names, _ in option_entries(command)  # one form of a flag
               if names.startswith("-") and "`" not in names]
    help_lines = [line.strip() for line in _help(command).splitlines()]
    assert [w for w in written if not any(line == w or line.startswith(w + " ")
                                          for line in help_lines)] == []


@pytest.mark.parametrize("command, line", [
    (["reduce", "my photos"], "my photos: is a directory, expected an image file; for every "
                              "image in it: quantize batch 'my photos' -o OUT_DIR"),
    (["segment", "my photos"], "my photos: is a directory, expected an image file; for every "
                               "image in it: quantize batch 'my photos' -o OUT_DIR --mode "
                               "segment"),
])
def test_a_folder_given_as_an_image_points_to_batch(command, line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("my photos").mkdir()
    result = runner.invoke(app, command)
    assert (result.exit_code, result.stderr) == (1, f"quantize: error: {line}\n")
    assert os.listdir(tmp_path) == ["my photos"]


def test_a_pixel_range_warning_gives_no_python_advice_on_the_command_line(tmp_path,
                                                                           monkeypatch):
    """A 32-bit TIFF of 0..200 warned every command's user to run image.convert("L"); the
    command line now says the facts, and Python callers keep the advice."""
    from PIL import Image

    from quantize.io import PixelRangeWarning, load_image

    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.fromarray(np.array([[0, 100, 200]] * 3, np.int32)).save("in/i.tif")
    facts = ("32-bit integer values 0..200 of 65535 come out 0..1 of 255: counts closer than "
             "257 apart become one level")
    reduced = f"{facts}; the output is 8-bit and as dark"
    segmented = (f"{facts}; give --stretch to map the image's own range onto 0..255 before "
                 "segmenting")
    for args, line in ((["reduce", "in/i.tif", "-k", "2", "-q"], reduced),
                       (["segment", "in/i.tif", "-q"], segmented),
                       (["batch", "in", "-o", "out", "-k", "2", "-q"], reduced)):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines()[0] == f"quantize: warning: in/i.tif: {line}", args
    with pytest.warns(PixelRangeWarning) as caught:
        load_image("in/i.tif")
    assert [str(w.message) for w in caught] == [
        f'{facts}; if they are 0..255, convert it to mode "L" first (image.convert("L"), '
        "or the array as uint8), or pass stretch=True, which maps its own range onto 0..255"]


def test_a_number_as_typed_computes_as_a_float_and_travels_with_its_text():
    # It reached a worker process as a plain float: the worker's errors then echoed
    # --quality 1e-400 as 5e-324. It keeps its text there now (a quantize class, which
    # any process that runs quantize has), and is still written to JSON as a float.
    import pickle

    from quantize.cli.common import number

    value = number(" -0.50 ")
    assert (value == -0.5, value * 2, f"{value}", f"{value!r}", f"{value:g}") == (
        True, -1.0, "-0.50", "-0.50", "-0.5")
    assert json.dumps({"q": value}) == '{"q": -0.5}'
    copied = pickle.loads(pickle.dumps(value))  # as it goes to a worker process
    assert (isinstance(copied, float), copied == -0.5, str(copied)) == (True, True, "-0.50")


def _option_help(command: str, flag: str) -> str:
    params = typer.main.get_command(app).commands[command].params
    return next(p.help for p in params if flag in p.opts)


@pytest.mark.parametrize("command", ["reduce", "segment", "batch"])
def test_every_option_has_help(command):
    params = typer.main.get_command(app).commands[command].params
    assert [p.opts for p in params if not getattr(p, "hidden", False) and not p.help] == []


@pytest.mark.parametrize("command", ["reduce", "batch"])
def test_palette_help_names_the_options_per_frame_is_refused_with(tmp_path, monkeypatch,
                                                                   command):
    # The errors said that --palette per-frame takes no --quality or --palette-in; the help
    # did not. Each option the help names is refused with it, and no other such is.
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Image.new("RGB", (4, 3), "red").save("in/a.png")
    Path("p.hex").write_text("ff0000\n0000ff\n")
    named = re.search(r"; not with (.*)\)\.$", _option_help(command, "--palette"))[1]
    assert named == "--quality or --palette-in"
    values = {"--quality": ["3"], "--palette-in": ["p.hex"]}
    inputs = ["in/a.png"] if command == "reduce" else ["in", "-o", "out"]
    for flag in named.split(" or "):
        result = runner.invoke(app, [command, *inputs, "--palette", "per-frame", flag,
                                     *values[flag]])
        assert result.exit_code == 2, (flag, result.output)
        assert result.stderr.startswith("quantize: error: ") and flag in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.png", "in", "p.hex"]


@pytest.mark.parametrize("command, flag, said", [
    # Ranges and defaults the help left out: -k's range in batch, --quality's, --seed's,
    # --regions', a weight's, what --max-pixels counts, reduce -o's default name.
    ("reduce", "-o", "Default: named as --ext says, beside the input (stdout for stdin)."),
    # an animation written as .webp or .tif is refused above 256, which the help left out
    ("reduce", "-k", "1..256 for .png/.gif/.bmp, 1..65536 for a still .jpg/.webp/.tif "
                     "(default 16; at most 256 with --dither, and for an animation or a TIFF's "
                     "pages, which share one palette). In a .png/.gif/.bmp, transparent pixels "
                     "take one more entry, beyond K (-k 15 for 16 entries, one transparent), "
                     "256 at most in all: -k 64 on a GIF with transparency writes 65 entries, "
                     "stored in a 128-entry table, where -k 63 fits 64 (gifsicle's --colors 64 "
                     "counts the transparent entry). With --quality, as with --max-bytes: the "
                     "most colours allowed (default 256)."),
    ("reduce", "--quality", "<= Q, a number from 0 to 20"),
    # a pngquant user's --quality 80 is a score there, a mean ΔE2000 here
    ("reduce", "--quality", "not pngquant's 0-100 score"),
    ("batch", "--quality", "not pngquant's 0-100 score"),
    ("reduce", "--seed", "an integer >= 0"),
    ("reduce", "--max-pixels", "more than N pixels (width x height; an animation file to "
                               "reduce, frames x width x height; with --frames, each file, as "
                               "separate files)"),
    ("segment", "-k", "K k-means clusters, 1..256"),
    ("segment", "--regions", "N >= 1"),
    # 1e-7 is refused ("should be 0 or >= 1e-6"), which "from 0 to 1e6" did not say
    ("segment", "-w", "VALUE 0 or a number from 1e-6 to 1e6"),
    # segment reads one frame of an animation, and counts only its pixels
    ("segment", "--max-pixels", "more than N pixels (width x height; of an animation, its "
                                "first frame, the one segmented)"),
    ("batch", "-k", "reduce: colours per image, 1..256 (default 16; with --quality, as with "
                    "--max-bytes, the most allowed, default 256; transparent pixels take one "
                    "more entry in a .png or .gif, so -k 64 on a GIF with transparency needs a "
                    "128-entry table, -k 63 fits 64); segment: cluster the pixels into K "
                    "k-means clusters, 1..256"),
    ("batch", "--quality", "≤ Q, a number from 0 to 20"),
    ("batch", "--regions", "N >= 1"),
    ("batch", "--palette-in", "(.gpl, .json, .hex, .act, .pal, .txt, .css or .ase, or an "
                              "image of its "
                              "colours: .png, .gif or .bmp; not with --quality or "
                              "--exact-colors; with -k K, each still image is mapped onto the "
                              "best K of its colours); a palette image inside INPUT_DIR is "
                              "skipped"),
    ("reduce", "--palette-in", "or an image of its colours: .png, .gif or .bmp"),
    # refused together, as --palette-in fixes the colours; -k chooses the best of them
    ("reduce", "--palette-in", "instead of fitting one (not with --quality or "
                               "--exact-colors)"),
    ("reduce", "--palette-in", "With -k K, a still image is mapped onto the best K of its "
                               "colours"),
    # as the error without dask says, and pyproject's dask extra requires
    ("batch", "--scheduler", "pip install 'dask[distributed]>=2024.1'"),
    # --mode segment refuses it, as it refuses the other reduce options
    ("batch", "--dither", "reduce: error diffusion onto the palette"),
    ("batch", "-w", "VALUE 0 or a number from 1e-6 to 1e6, defaults as quantize segment "
                    "--help lists them"),
])
def test_each_value_option_says_its_range_and_default(command, flag, said):
    assert said in _option_help(command, flag)


@pytest.mark.parametrize("args, line", [
    (["reduce", "a.png", "b.png", "-j", "0"], "-j/--jobs=0 should be >= 1"),
    (["batch", ".", "-o", "out", "-j", "0"], "-j/--jobs=0 should be >= 1"),
    (["batch", ".", "-o", "out", "-j", "2", "--scheduler", "tcp://x:1"],
     "-j/--jobs=2 and --scheduler='tcp://x:1' both given; expected one of them"),
])
def test_jobs_is_named_in_both_its_forms_as_every_option_is(args, line, tmp_path, monkeypatch):
    # "-j two" was refused as "-j/--jobs='two' ...", but "-j 0" as "--jobs=0 ...".
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {line}\n")


@pytest.mark.parametrize("name", ["-x.png", "-x y.png"])
def test_a_file_whose_name_starts_with_a_dash_is_told_how_to_be_named(tmp_path, monkeypatch,
                                                                         name):
    # "quantize reduce -x.png" said "No such option: -x" and no more.
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(name)
    result = runner.invoke(app, ["reduce", "-k", "2", name])
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: -x: no such option; to name {shlex.quote(name)}, "
                             f"write {shlex.quote('./' + name)} or put -- before it\n")
    assert os.listdir(".") == [name]
    done = runner.invoke(app, ["reduce", "-k", "2", "-q", "--", name])
    assert done.exit_code == 0
    assert sorted(os.listdir(".")) == sorted([name, name[:-4] + ".k2.png"])


@pytest.mark.parametrize("args, named", [
    (["reduce", "--", "-x.png", "-k", "4", "--force"], "-k"),
    (["reduce", "-q", "--", "-x.png", "--dither=0.5"], "--dither=0.5"),
    (["segment", "--", "-x.png", "-o", "out"], "-o"),
])
def test_an_option_given_after_dashes_is_refused_before_any_work(tmp_path, monkeypatch, args,
                                                                  named):
    # After --, "-k" was read as a file: "-k: no such file", "4: no such file", while
    # -x.png was reduced without -k 4 (16 colours), exit 1.
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save("-x.png")
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {named}: no such file; it follows --, after which every "
           f"argument is a file name: give the options before -- (see 'quantize {args[0]} "
           "--help')\n")
    assert os.listdir(".") == ["-x.png"]


def test_a_file_named_as_an_option_is_read_after_dashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save("-k", format="PNG")
    result = runner.invoke(app, ["reduce", "-q", "-k", "2", "--", "-k"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(".")) == ["-k", "-k.k2.png"]


@pytest.mark.parametrize("args, line", [
    (["segment", "-k.png"], "-k/--clusters='.png' is not valid; expected an integer"),
    (["reduce", "-k.png"], "-k/--colors='.png' is not valid; expected an integer"),
    (["segment", "-o.png"], "INPUT is missing"),
])
def test_a_file_named_like_an_option_with_a_value_is_told_how_to_be_named(args, line,
                                                                          tmp_path,
                                                                          monkeypatch):
    # "quantize segment -k.png" read -k with the value ".png", and said so and no more,
    # though -k.png was there: only an unknown option (-x.png) named the file.
    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(args[1], format="PNG")
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {line}; to name {args[1]}, write ./{args[1]} or put -- before "
           "it\n")
    assert os.listdir(".") == [args[1]]


def test_an_unknown_option_that_names_no_file_points_to_the_help(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["reduce", "-x.png"])
    assert result.exit_code == 2
    assert result.stderr == "quantize: error: -x: no such option (see 'quantize reduce --help')\n"


@pytest.mark.parametrize("error, line", [
    (quantize.errors.OutputError("output folder a\nb does not exist", path="x\n.png"),
     "x\\n.png: output folder a\\nb does not exist"),
    (ValueError("a\nb.webp: WebP holds at most 16383 pixels a side"),
     "a\\nb.webp: WebP holds at most 16383 pixels a side"),
])
def test_user_errors_keep_a_reason_naming_a_file_with_a_newline_whole(capsys, error, line):
    # The line ended at the name's newline: "x\n.png: output folder a".
    from quantize.cli.common import user_errors

    with pytest.raises(typer.Exit), user_errors():
        raise error
    assert capsys.readouterr().err == f"quantize: error: {line}\n"


@pytest.mark.parametrize("args, message", [
    (["reduce", "a.png", "--bogus"], "--bogus: no such option (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--colours", "3"],
     "--colours: no such option; did you mean --colors? (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--palete", "x"], "--palete: no such option; did you mean --palette, "
     "--palette-in or --palette-out? (see 'quantize reduce --help')"),
    (["reduce", "a.png", "-x"], "-x: no such option (see 'quantize reduce --help')"),
    (["segment", "a.png", "--weights", "xy=1"],
     "--weights: no such option; did you mean --weight? (see 'quantize segment --help')"),
    (["batch", "in", "-o", "out", "--bogus"],
     "--bogus: no such option (see 'quantize batch --help')"),
    (["--verison"], "--verison: no such option; did you mean --version? (see 'quantize --help')"),
    (["--bogus"], "--bogus: no such option (see 'quantize --help')"),
    # the hidden option that carries --dither=LEVEL is not proposed
    (["batch", "in", "-o", "out", "--dither-levle=1"],
     "--dither-levle: no such option (see 'quantize batch --help')"),
    # another command's name, pngquant's, or a common one, where the command has it
    (["reduce", "a.png", "--clusters", "3"],
     "--clusters: no such option; did you mean --colors? (see 'quantize reduce --help')"),
    (["segment", "a.png", "--colors", "3"],
     "--colors: no such option; did you mean --clusters? (see 'quantize segment --help')"),
    (["reduce", "a.png", "--nofs"],
     "--nofs: no such option; did you mean --no-dither? (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--floyd=0.5"],
     "--floyd: no such option; did you mean --dither? (see 'quantize reduce --help')"),
    # pngquant's --ordered turns its dithering off, as --nofs; ImageMagick's ordered
    # dithering is --dither=ordered; pngquant's --posterize has no counterpart: proposed
    # nothing before
    (["reduce", "a.png", "--ordered"],
     "--ordered: no such option; pngquant's --ordered turns dithering off (quantize's "
     "ordered dithering is --dither=ordered); did you mean --no-dither? (see 'quantize "
     "reduce --help')"),
    (["segment", "a.png", "--ordered"],
     "--ordered: no such option (see 'quantize segment --help')"),
    (["batch", "in", "-o", "out", "--ordered-dither", "o8x8"],
     "--ordered-dither: no such option; quantize's ordered dithering is --dither=ordered "
     "(see 'quantize batch --help')"),
    # ImageMagick's -dither None (read as -d) turns dithering off: not --dither
    (["reduce", "a.png", "-dither", "None"],
     "-dither: no such option; ImageMagick's -dither None is --no-dither, quantize's default "
     "(see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "-dither", "none"],
     "-dither: no such option; ImageMagick's -dither None is --no-dither, quantize's default "
     "(see 'quantize batch --help')"),
    (["reduce", "a.png", "-dither", "FloydSteinberg"],
     "-dither: no such option; did you mean --dither? (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--posterize", "4"],
     "--posterize: no such option; quantize has no setting for colours of fewer bits (reduce "
     "and batch map onto evenly spaced levels given as --palette-in: docs/reduce.md, 'Evenly "
     "spaced levels') (see 'quantize reduce --help')"),
    # ImageMagick's, with one dash (read as -p): its levels are a palette to map onto
    (["reduce", "a.png", "-posterize", "4"],
     "-posterize: no such option; ImageMagick's -posterize N is N evenly spaced levels a "
     "channel: give them as --palette-in (docs/reduce.md, 'Evenly spaced levels') (see "
     "'quantize reduce --help')"),
    (["palette", "a.png", "-posterize", "4"], "-p: no such option (see 'quantize palette "
                                               "--help')"),
    # a palette to map onto: pngquant's and ImageMagick's --map, ImageMagick's -remap (with
    # one dash: read as -r), gifsicle's --use-colormap
    (["reduce", "a.png", "--map", "pal.png"],
     "--map: no such option; did you mean --palette-in? (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "--remap", "pal.png"],
     "--remap: no such option; did you mean --palette-in? (see 'quantize batch --help')"),
    (["reduce", "a.png", "-remap", "pal.png"],
     "-remap: no such option; did you mean --palette-in? (see 'quantize reduce --help')"),
    (["reduce", "a.png", "--use-colormap", "pal.gif"],
     "--use-colormap: no such option; did you mean --palette-in? (see 'quantize reduce "
     "--help')"),
    (["segment", "a.png", "--remap", "pal.png"],
     "--remap: no such option (see 'quantize segment --help')"),
    (["batch", "in", "-o", "out", "--threads", "2"],
     "--threads: no such option; did you mean --jobs? (see 'quantize batch --help')"),
    # pngquant's -f, its short --force, in every command that has --force
    (["reduce", "a.png", "-f"],
     "-f: no such option; did you mean --force? (see 'quantize reduce --help')"),
    (["segment", "a.png", "-f"],
     "-f: no such option; did you mean --force? (see 'quantize segment --help')"),
    (["batch", "in", "-o", "out", "-f"],
     "-f: no such option; did you mean --force? (see 'quantize batch --help')"),
    (["reduce", "a.png", "-qf"],
     "-f: no such option; did you mean --force? (see 'quantize reduce --help')"),
    (["-f"], "-f: no such option (see 'quantize --help')"),
    (["segment", "a.png", "--outdir", "x"],
     "--outdir: no such option; did you mean --output? (see 'quantize segment --help')"),
    (["segment", "a.png", "--threads", "2"],
     "--threads: no such option (see 'quantize segment --help')"),
    # scikit-learn's and scikit-image's keyword names
    (["reduce", "a.png", "--random-state", "3"],
     "--random-state: no such option; did you mean --seed? (see 'quantize reduce --help')"),
    (["segment", "a.png", "--random_state", "3"],
     "--random_state: no such option; did you mean --seed? (see 'quantize segment --help')"),
    (["reduce", "a.png", "--n-clusters", "3"],
     "--n-clusters: no such option; did you mean --colors? (see 'quantize reduce --help')"),
    (["segment", "a.png", "--n_clusters", "3"],
     "--n_clusters: no such option; did you mean --clusters? (see 'quantize segment --help')"),
    (["segment", "a.png", "--n-segments", "30"],
     "--n-segments: no such option; did you mean --regions? (see 'quantize segment --help')"),
    (["segment", "a.png", "--min-size", "30"],
     "--min-size: no such option; did you mean --min-region or --working-size? (see "
     "'quantize segment --help')"),
    (["segment", "a.png", "--compactness", "10"],
     "--compactness: no such option; segment weighs position against colour with --weight "
     "xy=VALUE (see 'quantize segment --help')"),
    # pngquant's --speed is no --seed; the version is the program's, not a command's
    (["reduce", "a.png", "--speed", "1"],
     "--speed: no such option; quantize has no speed setting (see 'quantize reduce --help')"),
    (["segment", "a.png", "--sharpen"],
     "--sharpen: no such option (see 'quantize segment --help')"),
    (["reduce", "--version"], "--version: no such option; the version is 'quantize --version' "
                              "(see 'quantize reduce --help')"),
    # a --verbose was told nothing, though each command says a line per file without it
    (["reduce", "a.png", "-v"],
     "-v: no such option; quantize prints a line per file without it (--json for every "
     "measure, -q for none) (see 'quantize reduce --help')"),
    (["segment", "a.png", "--verbose"],
     "--verbose: no such option; quantize prints a line per file without it (--json for "
     "every measure, -q for none) (see 'quantize segment --help')"),
    (["batch", "in", "-o", "out", "--verbose"],
     "--verbose: no such option; quantize prints a line per file without it (--json for "
     "every measure, -q for none) (see 'quantize batch --help')"),
    (["--verbose"], "--verbose: no such option (see 'quantize --help')"),  # no --json there
    # a short option was proposed nothing: the letter in the other case, or a long option
    # written with one dash (read as short ones up to the unknown letter), is proposed
    (["reduce", "a.png", "-K", "16"],
     "-K: no such option; did you mean -k? (see 'quantize reduce --help')"),
    (["segment", "a.png", "-W", "xy=1"],
     "-W: no such option; did you mean -w? (see 'quantize segment --help')"),
    (["batch", "in", "-O", "out"],
     "-O: no such option; did you mean -o? (see 'quantize batch --help')"),
    # gifsicle's -O3 (read as -O and -3) was proposed -o; its --lossy nothing
    (["reduce", "a.gif", "-O3"],
     "-O: no such option; without an option, quantize stores each GIF frame as gifsicle's "
     "-O2 does (only the part that changed, unchanged pixels in it transparent where that is "
     "smaller); --optimize tries more ways, as -O3 does (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "-O2"],
     "-O: no such option; without an option, quantize stores each GIF frame as gifsicle's "
     "-O2 does (only the part that changed, unchanged pixels in it transparent where that is "
     "smaller); --optimize tries more ways, as -O3 does (see 'quantize batch --help')"),
    # segment writes no GIF, has no --optimize: its -O3 was proposed -o
    (["segment", "a.png", "-O3"],
     "-O: no such option; quantize segment has no optimisation level: its outputs are PNGs "
     "(for a GIF, quantize reduce stores each frame as gifsicle's -O2 does, and --optimize "
     "tries more ways, as -O3 does) (see 'quantize segment --help')"),
    (["segment", "a.png", "-O1", "-o", "out"],
     "-O: no such option; quantize segment has no optimisation level: its outputs are PNGs "
     "(for a GIF, quantize reduce stores each frame as gifsicle's -O2 does, and --optimize "
     "tries more ways, as -O3 does) (see 'quantize segment --help')"),
    # ... and its --optimize, --optimize=3 and -O 3 had not the word of -O3
    (["segment", "a.png", "-O", "3"],
     "-O: no such option; quantize segment has no optimisation level: its outputs are PNGs "
     "(for a GIF, quantize reduce stores each frame as gifsicle's -O2 does, and --optimize "
     "tries more ways, as -O3 does) (see 'quantize segment --help')"),
    (["segment", "a.png", "-O", "2", "-o", "out"],
     "-O: no such option; quantize segment has no optimisation level: its outputs are PNGs "
     "(for a GIF, quantize reduce stores each frame as gifsicle's -O2 does, and --optimize "
     "tries more ways, as -O3 does) (see 'quantize segment --help')"),
    (["segment", "a.png", "--optimize"],
     "--optimize: no such option; quantize segment has no optimisation level: its outputs are PNGs "
     "(for a GIF, quantize reduce stores each frame as gifsicle's -O2 does, and --optimize "
     "tries more ways, as -O3 does) (see 'quantize segment --help')"),
    (["segment", "a.png", "--optimize=3"],
     "--optimize: no such option; quantize segment has no optimisation level: its outputs are PNGs "
     "(for a GIF, quantize reduce stores each frame as gifsicle's -O2 does, and --optimize "
     "tries more ways, as -O3 does) (see 'quantize segment --help')"),
    (["segment", "a.png", "-O", "9"],  # no gifsicle level: -O for -o
     "-O: no such option; did you mean -o? (see 'quantize segment --help')"),
    (["reduce", "a.gif", "-O", "3"],
     "-O: no such option; without an option, quantize stores each GIF frame as gifsicle's "
     "-O2 does (only the part that changed, unchanged pixels in it transparent where that is "
     "smaller); --optimize tries more ways, as -O3 does (see 'quantize reduce --help')"),
    (["segment", "a.png", "-O", "out"],  # -O for -o, with no level
     "-O: no such option; did you mean -o? (see 'quantize segment --help')"),
    (["-O3"], "-O: no such option (see 'quantize --help')"),
    (["reduce", "a.gif", "--lossy=80"],
     "--lossy: no such option; quantize has no lossy LZW coding (gifsicle's --lossy alters "
     "pixels so that LZW packs them tighter); the closest is fewer colours: -k, or --quality, "
     "the mean ΔE2000 allowed (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "--lossy"],
     "--lossy: no such option; quantize has no lossy LZW coding (gifsicle's --lossy alters "
     "pixels so that LZW packs them tighter); the closest is fewer colours: -k, or --quality, "
     "the mean ΔE2000 allowed (see 'quantize batch --help')"),
    (["segment", "a.png", "--lossy"], "--lossy: no such option (see 'quantize segment --help')"),
    # a word of one dash meant as an option is named as typed, not by the letter the parser
    # stopped at ("-c", "-u" of "-quality"); a bundle of short flags names its letter
    (["segment", "a.png", "-clusters", "3"],
     "-clusters: no such option; did you mean --clusters? (see 'quantize segment --help')"),
    (["reduce", "a.png", "-quality=3"],
     "-quality: no such option; did you mean --quality? (see 'quantize reduce --help')"),
    (["reduce", "a.png", "-qx"], "-x: no such option (see 'quantize reduce --help')"),
    (["reduce", "a.png", "-W", "1"], "-W: no such option (see 'quantize reduce --help')"),
    # gifsicle's options of timing and size, which a banner maker reaches for, were told a
    # bare "no such option"
    (["reduce", "a.gif", "--delay", "5"],
     "--delay: no such option; quantize keeps each frame's delay; change it with gifsicle "
     "--delay (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "--loopcount=0"],
     "--loopcount: no such option; quantize keeps the animation's loop count; change it with "
     "gifsicle --loopcount (see 'quantize batch --help')"),
    (["segment", "a.png", "--delay", "5"],  # segment writes no animation
     "--delay: no such option (see 'quantize segment --help')"),
    (["reduce", "a.gif", "--resize-width", "300"],
     "--resize-width: no such option; quantize keeps the image's size; change it with "
     "gifsicle --resize-width (or ImageMagick's -resize) before or after (see 'quantize "
     "reduce --help')"),
    (["batch", "in", "-o", "out", "--resize", "300x200"],
     "--resize: no such option; quantize keeps the image's size; change it with gifsicle "
     "--resize (or ImageMagick's -resize) before or after (see 'quantize batch --help')"),
    (["segment", "a.png", "--scale", "0.5"],
     "--scale: no such option; quantize keeps the image's size; change it with gifsicle "
     "--scale (or ImageMagick's -resize) before or after (see 'quantize segment --help')"),
    (["reduce", "a.gif", "--crop", "0,0+10x10"],
     "--crop: no such option; quantize keeps the whole image; crop it with gifsicle --crop "
     "(or ImageMagick's -crop) before or after (see 'quantize reduce --help')"),
    # the size options of a site's build step, and ImageMagick's written with one dash
    # (read as -r, or -r then -e in batch), were told a bare "no such option"
    (["reduce", "a.png", "--width", "320"],
     "--width: no such option; quantize keeps the image's size; change it with ImageMagick's "
     "-resize (or gifsicle --resize-fit) before or after (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "--max-height=200"],
     "--max-height: no such option; quantize keeps the image's size; change it with "
     "ImageMagick's -resize (or gifsicle --resize-fit) before or after (see 'quantize batch "
     "--help')"),
    (["batch", "in", "-o", "out", "--size", "320x200"],  # or bytes: --max-bytes
     "--size: no such option; quantize keeps the image's size; change it with ImageMagick's "
     "-resize (or gifsicle --resize-fit) before or after; did you mean --max-bytes? (see "
     "'quantize batch --help')"),
    (["reduce", "a.png", "-resize", "320"],
     "-resize: no such option; quantize keeps the image's size; change it with ImageMagick's "
     "-resize before or after (see 'quantize reduce --help')"),
    (["batch", "in", "-o", "out", "-resize", "320"],
     "-resize: no such option; quantize keeps the image's size; change it with ImageMagick's "
     "-resize before or after (see 'quantize batch --help')"),
    (["batch", "in", "-o", "out", "-thumbnail=320"],
     "-thumbnail: no such option; quantize keeps the image's size; change it with "
     "ImageMagick's -thumbnail before or after (see 'quantize batch --help')"),
    (["segment", "a.png", "-crop", "10x10+0+0"],
     "-crop: no such option; quantize keeps the whole image; crop it with gifsicle --crop "
     "(or ImageMagick's -crop) before or after (see 'quantize segment --help')"),
])
def test_an_unknown_option_is_named_with_the_options_it_may_be_a_typo_of(args, message):
    # click said "No such option: --bogus (Possible options: --jobs)": close only by the
    # dashes the two share. Names from elsewhere were proposed nothing (reduce --clusters,
    # segment --colors, pngquant's --nofs).
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")


@pytest.mark.parametrize("args, message", [
    # a long option written with one dash was read as -j and a value glued on: the error
    # named -j's value alone
    (["reduce", "a.png", "-json"],
     "-j/--jobs='son' is not valid; expected an integer; did you mean --json?"),
    (["batch", "in", "-o", "out", "-jobs", "2"],
     "-j/--jobs='obs' is not valid; expected an integer; did you mean --jobs?"),
    (["segment", "a.png", "-kx"], "-k/--clusters='x' is not valid; expected an integer"),
    (["reduce", "a.png", "-k1_6"], "-k/--colors='1_6' is not valid; expected an integer"),
])
def test_a_long_option_read_as_a_short_one_and_its_value_is_proposed(args, message):
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")


_NO_OPTIMIZE = ("quantize: warning: --optimize: no effect on the outputs written: only a PNG, "
                "or a GIF, APNG or WebP animation, is encoded with more effort, and a GIF "
                "or WebP animation is the same bytes as without it unless that stores it "
                "smaller\n")
_NO_PER_FRAME = ("quantize: warning: --palette='per-frame': no effect: every file written is "
                 "a still image (it gives each frame of an animation a palette of its own)\n")


@pytest.mark.parametrize("args, warning", [
    (["reduce", "a.png", "--optimize", "-o", "x.jpg"], _NO_OPTIMIZE),
    (["reduce", "a.png", "b.png", "--optimize", "--ext", ".s.webp", "-j", "1"], _NO_OPTIMIZE),
    (["reduce", "a.png", "--optimize", "-o", "x.gif"], _NO_OPTIMIZE),
    (["reduce", "a.png", "--optimize", "-o", "x.png"], ""),
    (["reduce", "a.png", "b.png", "--palette", "per-frame", "--ext", ".s.gif", "-j", "1"],
     _NO_PER_FRAME),
    (["reduce", "a.png", "--palette", "per-frame", "--optimize", "-o", "x.gif"],
     _NO_OPTIMIZE + _NO_PER_FRAME),
    (["batch", "in", "-o", "out", "--palette", "per-frame", "-j", "1"], _NO_PER_FRAME),
    (["batch", "in", "-o", "out", "--optimize", "-j", "1"], ""),
])
def test_an_option_that_acts_on_no_output_is_said_once(tmp_path, monkeypatch, args, warning):
    # --optimize with -o x.jpg and --palette per-frame on a still were taken without a word.
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    for name in ("a.png", "b.png", "in/a.png", "in/b.png"):
        image = Image.new("RGB", (4, 3), (200, 30, 30) if "a" in name else (0, 90, 200))
        image.paste((255, 255, 255), (0, 0, 2, 3))
        image.save(name)
    result = runner.invoke(app, [*args, "-k", "2", "-q"])
    assert (result.exit_code, result.stderr) == (0, warning)


def test_an_option_is_not_said_idle_when_one_output_took_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # two frames whose second --optimize stores smaller (only unchanged pixels in runs
    # marked transparent): a GIF animation takes it only then
    colours = np.array([[0, 255, 0], [30, 225, 70], [60, 195, 140], [90, 165, 210]], np.uint8)
    frames = [Image.fromarray(colours[np.array(entries)]) for entries in (
        [[3, 0, 2, 1, 0], [0, 1, 2, 0, 3]], [[2, 3, 2, 3, 3], [2, 1, 2, 0, 3]])]
    frames[0].save("a.png")
    frames[0].save("m.gif", save_all=True, append_images=frames[1:], duration=50)
    result = runner.invoke(app, ["reduce", "a.png", "m.gif", "--palette", "per-frame",
                                 "--optimize", "--ext", ".s.gif", "-k", "4", "-j", "1", "-q"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert Image.open("m.s.gif").n_frames == 2


def _two_colour_frames() -> list[Image.Image]:
    frames = [Image.new("RGB", (4, 3), c) for c in ((200, 30, 30), (0, 90, 200))]
    for frame in frames:
        frame.paste((255, 255, 255), (0, 0, 2, 3))
    return frames


@pytest.mark.parametrize("args, error", [
    # the animation's output is not a .gif, which per-frame needs: refused by its job
    (["--ext", ".s.png"], "quantize: error: m.gif: --palette='per-frame' needs a .gif or .tif "
     "output (a colour table for each frame), got '.png'\n"),
    # the animation's output exists (exit 15)
    ([], "quantize: error: m.gif: m.k2.gif: output exists; use --force to overwrite\n"),
])
def test_per_frame_is_not_said_idle_when_an_animation_failed(tmp_path, monkeypatch, args,
                                                              error):
    # "every file written is a still image" followed the animation's error, as if the
    # animation were not there.
    monkeypatch.chdir(tmp_path)
    frames = _two_colour_frames()
    frames[0].save("a.png")
    frames[0].save("m.gif", save_all=True, append_images=frames[1:], duration=50)
    Path("m.k2.gif").write_bytes(b"kept")
    result = runner.invoke(app, ["reduce", "a.png", "m.gif", "--palette", "per-frame",
                                 *args, "-k", "2", "-j", "1", "-q"])
    assert (result.exit_code, result.stderr) == (15 if not args else 2, error)
    assert Path("a.s.png" if args else "a.k2.png").is_file()
    assert Path("m.k2.gif").read_bytes() == b"kept"


def test_batch_says_per_frame_idle_only_when_no_file_was_skipped(tmp_path, monkeypatch):
    # A second run that wrote only a new still said "every file written is a still image",
    # though the animation it skipped (done by the first run) had taken --palette per-frame.
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    frames = _two_colour_frames()
    frames[0].save("in/m.gif", save_all=True, append_images=frames[1:], duration=50)
    args = ["batch", "in", "-o", "out", "--palette", "per-frame", "-k", "2", "-j", "1", "-q"]
    first = runner.invoke(app, args)
    frames[1].save("in/a.png")
    second = runner.invoke(app, args)
    assert [(r.exit_code, r.stderr) for r in (first, second)] == [(0, "")] * 2
    assert sorted(p.name for p in Path("out").glob("[!.]*")) == ["a.png", "m.gif"]
    Path("out/m.gif").unlink()
    Path("in/m.gif").unlink()  # every file given a still, all written: said
    third = runner.invoke(app, [*args, "--force"])
    assert (third.exit_code, third.stderr) == (0, _NO_PER_FRAME)


def _stems_as_in_python_3_14(monkeypatch):
    """Give ``PurePath.stem`` and ``suffix`` Python 3.14's reading of a final dot (``scan.``:
    stem ``scan``, suffix ``.``); earlier versions read no extension there."""
    from pathlib import PurePath

    def split(name: str) -> tuple[str, str]:
        dot = name.rfind(".")
        return (name[:dot], name[dot:]) if dot > 0 else (name, "")

    monkeypatch.setattr(PurePath, "stem", property(lambda p: split(p.name)[0]))
    monkeypatch.setattr(PurePath, "suffix", property(lambda p: split(p.name)[1]))


@pytest.mark.parametrize("python_3_14", [False, True])
def test_every_command_names_its_outputs_after_the_name_without_its_last_extension(
        tmp_path, monkeypatch, python_3_14):
    """Several dots, no extension, an upper-case extension, a .tar.gz-like name and a final
    dot, as the README says, whatever Python runs: 3.14's pathlib reads the final dot of
    'scan.' as an extension, and 'scan..k2.png' became 'scan.k2.png'."""
    names = {"photo.final.jpg": "photo.final", "x.tar.gz": "x.tar", "scan": "scan",
             "IMG.JPG": "IMG", "scan.": "scan."}
    src = tmp_path / "in"
    src.mkdir()
    for name in names:
        Image.new("RGB", (4, 4), "red").save(src / name, "PNG")
    if python_3_14:
        _stems_as_in_python_3_14(monkeypatch)
    result = runner.invoke(app, ["reduce", *map(str, sorted(src.iterdir())), "-k", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in src.glob("*.k2.png")) == sorted(
        f"{stem}.k2.png" for stem in names.values())
    for p in src.glob("*.k2.png"):
        p.unlink()
    plan = batch.plan_batch(src, tmp_path / "out", batch.reduce_mode(), pattern="*")
    assert sorted(j.output.name for j in plan.jobs) == sorted(
        f"{stem}.png" for stem in names.values())
    folders = batch.plan_batch(src, tmp_path / "out", batch.segment_mode(), pattern="*")
    assert sorted(j.output.name for j in folders.jobs) == sorted(names.values())
    segmented = runner.invoke(app, ["segment", str(src / "scan."), "-k", "2", "-q"])
    assert segmented.exit_code == 0, segmented.output
    assert (src / "scan..segments" / "labels.png").is_file()


def _still_and_animation(folder: Path) -> tuple[Path, Path]:
    """A 16 x 16 still of 5 colours, and an animation of it whose second frame changes 70 %
    of the pixels: small enough for every encoder to run fast, and one on which the GIF
    encoder's extra effort changes the bytes."""
    rng = np.random.default_rng(32)
    colours = np.array([[200, 30, 30], [0, 90, 200], [255, 255, 255], [20, 20, 20],
                        [0, 200, 0]], np.uint8)
    first = rng.integers(0, 5, (16, 16))
    second = first.copy()
    changed = rng.random(first.shape) < 0.7
    second[changed] = rng.integers(0, 5, first.shape)[changed]
    still, animation = folder / "still.png", folder / "anim.gif"
    Image.fromarray(colours[first]).save(still)
    Image.fromarray(colours[first]).save(animation, save_all=True, duration=50, loop=0,
                                         append_images=[Image.fromarray(colours[second])])
    return still, animation


@pytest.mark.parametrize("source, suffix", [
    *(("still", s) for s in (".png", ".apng", ".gif", ".jpg", ".webp", ".tif")),
    *(("animation", s) for s in (".gif", ".png", ".webp")),
])
def test_optimize_is_said_idle_only_where_no_encoder_took_it(tmp_path, capsys, source, suffix):
    # The warning restated which formats the encoders optimise; it now reads what each
    # encoder says. An encoder whose bytes change with optimize must say it took it, else
    # the warning would call the option idle on an output it acted on.
    from quantize.cli.common import note_idle_options
    from quantize.reduce import reduce_file

    src = _still_and_animation(tmp_path)[source == "animation"]
    written = {}
    for optimize in (False, True):
        out = tmp_path / f"out-{optimize}{suffix}"
        record = reduce_file(src, out, n_colors=5, optimize=optimize)
        written[optimize] = (out.read_bytes(), record)
    (plain, record), (effort, optimized) = written[False], written[True]
    assert "optimized" not in record and isinstance(optimized["optimized"], bool)
    changed = plain != effort
    note_idle_options([optimized], optimize=True, per_frame=False)
    warned = capsys.readouterr().err
    if changed:
        assert (optimized["optimized"], warned) == (True, "")
    elif not optimized["optimized"]:
        assert warned == _NO_OPTIMIZE


def test_optimize_on_a_gif_banner_it_stores_no_smaller_is_said_idle(tmp_path):
    # A banner of flat colours, a text fading in: --optimize tried more ways for each frame,
    # none smaller, and --json said "optimized": true of the same bytes, without a word.
    frames = []
    for level in (0, 80, 160, 240):
        frame = Image.new("RGB", (24, 8), (20, 60, 140))
        frame.paste((level, level, 255), (4, 2, 20, 6))
        frames.append(frame)
    src = tmp_path / "banner.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=80, loop=0)
    written = {}
    for flag in ([], ["--optimize"]):
        out = tmp_path / f"out{len(flag)}.gif"
        result = runner.invoke(app, ["reduce", str(src), "-k", "4", "-o", str(out), "--json",
                                     *flag])
        written[bool(flag)] = (out.read_bytes(), json.loads(result.stdout), result.stderr)
    (plain, _, _), (effort, record, stderr) = written[False], written[True]
    assert (effort == plain, record["optimized"], stderr) == (True, False, _NO_OPTIMIZE)


@pytest.mark.parametrize("command", ["reduce", "batch"])
def test_optimize_help_and_warning_name_the_outputs_the_encoders_name(command):
    # Each restated the formats: batch's help said "slower PNG encoding" only, while its
    # GIF and APNG animations take --optimize too.
    from quantize.encode import OPTIMIZED_OUTPUTS

    assert OPTIMIZED_OUTPUTS == "a PNG, or a GIF, APNG or WebP animation"
    # (batch's says "the palette of", which click does not wrap at "--palette-in"'s hyphen)
    given = "a --palette-in palette" if command == "reduce" else \
        "the palette of --palette-in or --shared-palette"
    assert _option_help(command, "--optimize").endswith(
        f", of {OPTIMIZED_OUTPUTS} (other formats are written as without it); {given} keeps "
        "its entries and order.")
    assert f"only {OPTIMIZED_OUTPUTS}, is encoded with more effort" in _NO_OPTIMIZE


def _block_animation(folder: Path) -> Path:
    """Two 48 x 48 frames of 4 x 4 blocks in 5 colours, the second shifted one colour: an
    APNG on which zlib's extra effort gives smaller frames (324 bytes against 334). The
    16 x 16 animation above ties, and an APNG keeps its default bytes on a tie."""
    y, x = np.mgrid[0:48, 0:48]
    colours = np.array([[200, 30, 30], [0, 90, 200], [255, 255, 255], [20, 20, 20],
                        [0, 200, 0]], np.uint8)
    frames = [Image.fromarray(colours[(x // 4 + y // 4 * 3 + shift) % 5]) for shift in (0, 1)]
    path = folder / "blocks.gif"
    frames[0].save(path, save_all=True, duration=50, loop=0, append_images=frames[1:])
    return path


def test_the_outputs_optimize_changes_are_those_above(tmp_path):
    # So that the test above is not idle itself: a PNG, an APNG and a GIF animation change.
    from quantize.reduce import reduce_file

    still, animation = _still_and_animation(tmp_path)
    blocks = _block_animation(tmp_path)
    changed = []
    for src, suffix in ((still, ".png"), (blocks, ".png"), (animation, ".gif")):
        sizes = [reduce_file(src, tmp_path / f"{src.stem}-{o}{suffix}", n_colors=5,
                             optimize=o)["bytes_out"] for o in (False, True)]
        data = [(tmp_path / f"{src.stem}-{o}{suffix}").read_bytes() for o in (False, True)]
        changed.append(data[0] != data[1] and sizes[1] <= sizes[0])
    assert changed == [True, True, True]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command, output", [("reduce", "out.png"), ("segment", "out")])
def test_a_stream_that_begins_no_image_is_refused_after_its_head(command, output, tmp_path):
    """'segment /dev/zero -o out' copied the endless stream to a scratch file until the
    disk was full, then said 'cannot read (No space left on device)'."""
    import threading

    from quantize.cli.common import STREAM_HEAD

    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    total, sent = STREAM_HEAD * 9, []

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), open(pipe, "wb") as writer:
            for _ in range(0, total, 1 << 16):
                writer.write(bytes(1 << 16))
                sent.append(1 << 16)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = runner.invoke(app, [command, str(pipe), "-o", str(tmp_path / output)])
    writer.join(timeout=30)
    assert (result.exit_code, result.stderr) == (
        1, f"quantize: error: {pipe}: not an image Pillow can identify (its first 1 MiB begins "
           "no image format it knows; the rest was not read)\n")
    assert sum(sent) < total
    assert sorted(p.name for p in tmp_path.iterdir()) == ["63"]


def test_a_stdin_that_begins_no_image_is_refused_after_its_head(tmp_path):
    """'reduce - < /dev/zero' read stdin into memory until it ran out."""
    from quantize.cli.common import STREAM_HEAD

    result = runner.invoke(app, ["reduce", "-", "-o", str(tmp_path / "out.png")],
                           input=bytes(STREAM_HEAD * 2))
    assert (result.exit_code, result.stderr) == (
        1, "quantize: error: -: not an image Pillow can identify (its first 1 MiB begins no "
           "image format it knows; the rest was not read)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["reduce", "a.png", "-k", "4"], ["segment", "--help"],
                                  ["batch"]])
def test_a_command_named_first_is_built_alone_with_its_own_help(args):
    from quantize.cli import _invoked

    alone = _invoked(args)
    assert [command.name for command in alone.registered_commands] == [args[0]]
    assert len(app.registered_commands) == 4  # the app itself keeps every command
    given = [args[0], "--help"]
    assert runner.invoke(alone, given).stdout == runner.invoke(app, given).stdout


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["reduc", "a.png"],
                                  ["a.png", "reduce"]])
def test_anything_else_is_parsed_with_every_command(args):
    from quantize.cli import _invoked

    assert _invoked(args) is app


def test_main_given_the_arguments_as_a_list_says_it_reads_sys_argv():
    """A caller who took main's one argument for argv got an AttributeError from deep in
    the parser; main names its argument and where the command line comes from."""
    with pytest.raises(TypeError) as caught:
        main(["reduce", "photo.png"])
    assert str(caught.value) == ("prog_name=['reduce', 'photo.png'] should be a str, the "
                                 "program's name shown in usage lines; main reads the command "
                                 "line from sys.argv")


@pytest.mark.parametrize("command", [["reduce", "-o", "out.png"], ["segment", "-o", "out"]])
@pytest.mark.parametrize("given", ["a.png/", "a.png//", "link/"])
def test_a_file_name_followed_by_a_slash_is_refused_as_the_system_refuses_it(
        command, given, tmp_path, monkeypatch):
    """'a.png/', which the system refuses as not a folder ("Not a directory"), was read as
    a.png: the Path of the argument drops the '/'."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), (200, 30, 30)).save("a.png")
    Path("link").symlink_to("a.png")
    result = runner.invoke(app, [command[0], given, *command[1:]])
    named = given.rstrip("/")
    assert (result.exit_code, result.stderr) == (
        1, f"quantize: error: {given}: ends in '/', which names a folder, but '{named}' is a "
           "file; expected an image file, named without the '/'\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "link"]


@pytest.mark.parametrize("command", [
    ["reduce", "s.png"], ["reduce", "s.png", "-o", "out.png"], ["segment", "s.png", "-o", "out"],
    ["reduce", "a.png", "-o", "out.png", "--palette-in", "s.gpl"]])
def test_a_socket_given_as_a_file_is_refused_as_one_before_any_work(command, tmp_path,
                                                                     monkeypatch):
    """A socket was taken for a pipe: 'name the output with -o', then, named, "cannot
    read (No such device or address)"; a --palette-in socket gave the latter."""
    socket = pytest.importorskip("socket")
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), (200, 30, 30)).save("a.png")
    named = command[-1] if command[-2] == "--palette-in" else command[1]
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(named)
        result = runner.invoke(app, command)
    assert (result.exit_code, result.stderr) == (
        1, f"quantize: error: {named}: is a socket, not a regular file, and cannot be read "
           "as one\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.png", named])


def test_a_warning_quoting_a_value_writes_its_bytes_that_are_not_utf8_as_names_are(capsys):
    """A value quoted by its repr wrote the byte 0xff as '\\udcff'; every name writes
    it '\\xff'."""
    from quantize.cli.common import warn

    warn("a.png", f"name={'p' + chr(0xDCFF)!r} is kept as it is")
    assert capsys.readouterr().err == "quantize: warning: a.png: name='p\\xff' is kept as it is\n"


def _examples(help_text: str) -> tuple[list[str], list[str]]:
    """The example commands of a help (a command broken over lines ending in a backslash
    joined again) and their comments, in order."""
    commands, comments, pending = [], [], ""
    for line in help_text[help_text.index("Examples:"):].splitlines():
        text = line.strip()
        if pending:
            pending += " " + text
        elif re.match(r"(cat \S+ \| )?quantize \S", text):
            pending = text
        elif text.startswith("# "):
            comments.append(text)
            continue
        else:
            continue
        if pending.endswith(" \\"):
            pending = pending[:-2]
            continue
        command, _, comment = pending.partition("  # ")
        commands.append(command.rstrip())
        comments += [f"# {comment}"] if comment else []
        pending = ""
    return commands, comments


def _help_at(columns: int, command: list[str]) -> str:
    """``quantize [command] --help`` in a terminal ``columns`` wide (CliRunner's is 80)."""
    done = run_in_process([*command, "--help"], env={**os.environ, "COLUMNS": str(columns)})
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


@pytest.mark.parametrize("command", [[], ["reduce"], ["segment"], ["batch"]])
def test_help_examples_fit_a_narrow_terminal_unbroken(command):
    # At COLUMNS=60 the examples, laid out for 80 columns, ran past the terminal's edge,
    # which broke them mid-word ("... --dither=0.5 -o branded.p" / "ng"); each is now
    # fitted: its comment above it, the command broken between words by a backslash.
    commands, comments = _examples(_help_at(200, command))
    narrow = _help_at(60, command)
    assert len(commands) >= 3
    assert _examples(narrow) == (commands, comments)
    examples = narrow[narrow.index("Examples:"):].split("Exit codes:")[0].splitlines()
    assert max(map(len, examples)) <= 60


@pytest.mark.parametrize("columns", [60, 70])
@pytest.mark.parametrize("command", [[], ["reduce"], ["segment"], ["batch"]])
def test_help_paragraphs_fit_a_narrow_terminal_with_every_word(command, columns):
    # The paragraphs laid out by hand for 80 columns (exit codes, segment's outputs and
    # weights) ran past the edge of a narrower terminal: 23 of segment's lines at 60.
    wide, narrow = _help_at(200, command), _help_at(columns, command)
    assert [line for line in narrow.splitlines() if len(line) > columns] == []
    for heading in ("Exit codes:", "By default regions", "Weights (-w"):
        if heading in wide:
            paragraph = re.split(r"\n\s*\n", wide.split(heading, 1)[1], maxsplit=1)[0]
            assert (narrow.split(heading, 1)[1].split()[:len(paragraph.split())]
                    == paragraph.split())


@pytest.mark.parametrize("command", [[], ["reduce"], ["segment"], ["batch"]])
def test_help_holds_no_control_character(command):
    # segment's help showed three of click's paragraph marks (a backspace each), which
    # followed a paragraph without a blank line: "^H" lines in a pager or a file.
    for columns in (60, 200):
        text = _help_at(columns, command)
        assert [c for c in text if c < " " and c != "\n"] == []


@pytest.mark.parametrize("command", [[], ["reduce"], ["segment"], ["batch"]])
def test_help_fits_a_terminal_narrower_than_50_columns_with_its_examples_whole(command):
    # click laid the help out 50 columns wide in any narrower terminal (53 at 40, with
    # options' texts 10 wide); an option's text now goes under the option there, and an
    # example's comment too long for a line takes two, each a comment.
    commands, comments = _examples(_help_at(200, command))
    narrow = _help_at(40, command)
    assert [line for line in narrow.splitlines() if len(line) > 40] == []
    shown, said = _examples(narrow)
    assert shown == commands
    words = [[word for word in " ".join(lines).split() if word != "#"]
             for lines in (said, comments)]
    assert words[0] == words[1]


def test_an_option_text_goes_under_the_option_in_a_narrow_terminal():
    assert ("  -o, --output OUT_DIR\n"
            "      Folder for the outputs; mirrors\n"
            "      INPUT_DIR's sub-folders.\n") in _help_at(40, ["batch"])


@pytest.mark.parametrize("columns", [40, 80])
@pytest.mark.parametrize("command", [["reduce"], ["segment"], ["batch"]])
def test_no_help_line_breaks_a_word_at_its_hyphen(command, columns):
    """Help was wrapped with textwrap's break_on_hyphens: "--palette-" / "fitted",
    "--min-" / "region", "'dask[d" / "istributed]>=2024.1'" at 40 columns, "relative-" /
    "bpc" and "INPUT_DIR's sub-" / "folders" at 80."""
    import typer.main

    group = typer.main.get_command(app)
    params = (group.commands[command[0]] if command else group).params
    names = [name for p in params for name in (*p.opts, *p.secondary_opts) if "-" in name[2:]]
    text = _help_at(columns, command)
    assert [line for line in text.splitlines() if re.search(r"[\w\['\]]-$", line)] == []
    for name in names:
        for cut in (i for i, char in enumerate(name) if char == "-" and i > 1):
            assert not re.search(re.escape(name[:cut + 1]) + r"\n\s*" + re.escape(name[cut + 1:]),
                                 text), name
    assert "'dask[distributed]>=2024.1'" in text or command != ["batch"]


def test_a_help_table_row_is_rewrapped_under_its_own_text():
    narrow = _help_at(60, ["segment"])
    assert ("    labels.png      16-bit grey: the region 1..R of each\n"
            "                    pixel (labels.tif, 32-bit, in its place\n"
            "                    of more than 65535 regions, with a note)\n"
            "    segmented.png   each region in its mean colour\n") in narrow
    assert ("    xy         pixel position: larger values give more\n"
            "               compact regions\n") in narrow


def test_a_long_help_example_is_broken_between_options_as_a_shell_continuation():
    narrow = _help_at(60, ["reduce"])
    assert ("    # over 256 colours: RGB\n"
            "    quantize reduce photo.jpg -k 1000 -o smooth.webp\n") in narrow
    assert ("    quantize reduce photo.jpg --palette-in brand.hex \\\n"
            "        --dither=0.5 -o branded.png\n") in narrow


def _tiny_photo(folder: Path) -> Path:
    """A 12 x 18 PNG of three colour bands with seeded noise, in ``folder``."""
    image = np.zeros((12, 18, 3), np.float64)
    image[:, :6], image[:, 6:12], image[:, 12:] = (180, 60, 50), (60, 150, 70), (70, 80, 190)
    image += np.random.default_rng(3).normal(0, 12, image.shape)
    folder.mkdir()
    path = folder / "photo.png"
    Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8)).save(path)
    return path


def _written(folder: Path) -> dict[str, bytes]:
    """The bytes of every file under ``folder`` but a batch's manifest, reports and lock."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


#: Each closed-set option of reduce, segment and batch typed in another case, and as its
#: check names it: --format took PNG, but --space LAB was refused.
_WORDS_IN_ANY_CASE = [
    (["reduce", "--space", "LAB"], ["reduce", "--space", "lab"]),
    (["reduce", "--palette", "Per-Frame"], ["reduce", "--palette", "per-frame"]),
    (["reduce", "--dither=Ordered"], ["reduce", "--dither=ordered"]),
    (["reduce", "--dither=PATTERN"], ["reduce", "--dither=pattern"]),
    (["segment", "-k", "3", "--space", "RGB"], ["segment", "-k", "3", "--space", "rgb"]),
    (["segment", "-k", "3", "-w", "Texture=0", "-w", "COLOUR=2"],
     ["segment", "-k", "3", "-w", "texture=0", "-w", "colour=2"]),
    (["batch", "--mode", "Segment", "-k", "3"], ["batch", "--mode", "segment", "-k", "3"]),
    (["batch", "--mode", "segment", "-k", "3", "--space", "Rgb", "-w", "XY=0"],
     ["batch", "--mode", "segment", "-k", "3", "--space", "rgb", "-w", "xy=0"]),
    (["batch", "--space", "LAB", "--palette", "GLOBAL", "--dither=Ordered"],
     ["batch", "--space", "lab", "--palette", "global", "--dither=ordered"]),
    (["batch", "--ext", "SAME"], ["batch", "--ext", "same"]),
]


@pytest.mark.parametrize("typed, named", _WORDS_IN_ANY_CASE)
def test_the_words_of_closed_set_options_are_taken_in_any_case(tmp_path, typed, named):
    photo = _tiny_photo(tmp_path / "in")
    runs, out = {}, tmp_path / "out"  # one folder, which the records name
    for key, args in (("typed", typed), ("named", named)):
        target = photo.parent if args[0] == "batch" else photo
        where = out / "out.png" if args[0] == "reduce" else out
        if args[0] == "reduce":
            out.mkdir()
        result = runner.invoke(app, [args[0], str(target), "-o", str(where), "-q",
                                     "--seed", "1", *args[1:]])
        assert result.exit_code == 0, result.output
        runs[key] = _written(out)
        shutil.rmtree(out)
    assert runs["typed"] == runs["named"] != {}

