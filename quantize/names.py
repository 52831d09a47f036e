"""File names as messages and reports show them, as volumes compare them, and as output
names are made from them.

A file name may hold any character but "/", and, on Linux, bytes that are not UTF-8;
the messages, reports and JSON of quantize show each the same way (:func:`printable`,
:func:`printable_line`, :func:`quoted`, :func:`printable_data`), and an error that refuses
a name's extension says it the same way (:func:`extension_words`), and so does a line
quoting a value (:func:`repr_bytes_shown`); a character that a stream's encoding cannot
hold is written by its code point (:func:`code_point_escapes`).
Names are sorted as a person reads them (:func:`natural_key`), compared as a
case-insensitive volume compares them (:func:`folded_name`, :func:`one_file_names`), and
cut into the stem every default output name is made of (:func:`output_stem`), a 9-patch
image's ``.9.png`` kept as one extension at the end of a PNG output's name
(:func:`output_parts`). A hint that
suggests a command quotes them for a shell to read back (:func:`shell_quoted`). A path is
made absolute as the system finds it, ".." after a link included (:func:`absolute_path`),
or with every link to a folder followed, as the name a file written there has
(:func:`written_path`), and a link of its own name too, as where its bytes land
(:func:`landing_path`), or with every link followed, a loop of links left for the read or
write that meets it to name (:func:`resolved_path`, :func:`is_link_loop`). Two names are
one file, through links too, when the system says so (:func:`same_file`).
:mod:`quantize.io` re-exports all but those six, which only the
commands, ``batch`` and its report use, :func:`extension_words`, which only the option
checks use, :func:`code_point_escapes`, :func:`repr_bytes_shown` and :func:`apart_by_code_point`,
which only the command line uses, and :func:`same_file`.
"""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["absolute_path", "apart_by_code_point", "code_point_escapes", "extension_words",
           "folded_name", "is_link_loop", "landing_path", "natural_key", "one_file_names",
           "output_parts", "output_stem", "printable", "printable_data", "printable_line",
           "quoted", "reduced_name", "repr_bytes_shown", "resolved_path", "same_file",
           "shell_quoted", "written_path"]


def folded_name(path: str | os.PathLike[str]) -> str:
    """``path`` as a volume that ignores case and Unicode normalization compares names.

    Two outputs whose folded names are equal are one file on such a volume (macOS,
    Windows, most USB sticks): ``a.k16.png`` and ``A.k16.png``; and "caf\u00e9" (é as one
    character) and "cafe\u0301" (e and an accent), which macOS takes for one name.

    >>> folded_name("Photos/A.K16.png") == folded_name("photos/a.k16.PNG")
    True
    >>> folded_name("caf\u00e9.png") == folded_name("cafe\u0301.png")
    True
    """
    return unicodedata.normalize("NFC", os.fspath(path)).casefold()


def output_stem(path: str | os.PathLike[str]) -> str:
    """The name of ``path`` without its extension: the stem every default output name is
    made of (reduce's ``<stem>.k16.png``, segment's ``<stem>.segments``, batch's
    ``<stem>.png`` and folder ``<stem>``).

    The extension is the part from the last dot, unless that dot starts the name (a hidden
    file such as ``.png`` has none) or ends it (``scan.`` has none). Python 3.14's
    ``PurePath.stem`` takes a final dot for an extension, as earlier versions did not: the
    rule is kept here so that an output's name does not depend on the Python that runs.

    >>> [output_stem(n) for n in ("photo.final.jpg", "x.tar.gz", "scan", "IMG.JPG", ".png",
    ...                           "scan.", "d/a.png")]
    ['photo.final', 'x.tar', 'scan', 'IMG', '.png', 'scan.', 'a']
    """
    name = Path(path).name
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


# The end of an Android 9-patch image's name: Android reads the stretch marks of its border
# only from a file whose name ends so.
NINE_PATCH = ".9.png"


def output_parts(path: str | os.PathLike[str], suffix: str) -> tuple[str, str]:
    """The stem and the end of the name of an output of ``path`` whose extension is
    ``suffix``: the output is named ``<stem><end>``, or ``<stem><mark><end>`` with a mark
    between (reduce's ``.k16``).

    The stem is :func:`output_stem`'s and the end ``suffix``, but for a 9-patch image
    (a name ending in ``.9.png``, in any case) written as a PNG (``suffix`` ending in
    ``.png``): Android takes a 9-patch only by a name ending in ``.9.png``, so that is
    one extension, and the ``.9`` stays before the output's ``.png``. An output in
    another format is no 9-patch and keeps ``.9`` in its stem.

    >>> output_parts("d/btn.9.png", ".png"), output_parts("btn.9.png", ".small.png")
    (('btn', '.9.png'), ('btn', '.small.9.png'))
    >>> output_parts("btn.9.png", ".gif"), output_parts("a.9.jpg", ".png")
    (('btn.9', '.gif'), ('a.9', '.png'))
    """
    name = Path(path).name
    if not (name.lower().endswith(NINE_PATCH) and len(name) > len(NINE_PATCH)
            and suffix.lower().endswith(".png")):
        return output_stem(name), suffix
    if not suffix.lower().endswith(NINE_PATCH):  # --ext .9.png: already there
        suffix = suffix[:-4] + name[-6:-4] + suffix[-4:]
    return name[:-len(NINE_PATCH)], suffix


def reduced_name(src: Path, n: int | str, suffix: str) -> Path:
    """The output ``reduce`` names for ``src`` when given none: ``<stem>.k<n><suffix>``
    beside it (``n`` the number of colours, or ``"<N>"`` for one not known yet).

    Not ``with_name``, which fails on a name-less path such as ``/`` (refused as a folder
    later).

    >>> reduced_name(Path("d/photo.final.jpg"), 16, ".png").as_posix()
    'd/photo.final.k16.png'
    >>> reduced_name(Path("clip.gif"), "<N>", ".gif").as_posix()
    'clip.k<N>.gif'

    A 9-patch keeps its ``.9.png`` at the end (:func:`output_parts`):

    >>> reduced_name(Path("res/btn_bg.9.png"), 20, ".png").as_posix()
    'res/btn_bg.k20.9.png'
    """
    stem, end = output_parts(src, suffix)
    return src.parent / f"{stem}.k{n}{end}"


def one_file_names(first: str, second: str) -> str:
    """``'first' and 'second'``, two names of one output file, and why they are one file.

    For a message about two outputs that are one file: names whose :func:`folded_name`
    is one are one file where names ignore case; names in two Unicode forms, which look
    alike, are shown by code point; other names (a folder written two ways, through a
    link) are simply one file.

    >>> print(one_file_names("a.k16.png", "A.k16.png"))
    'a.k16.png' and 'A.k16.png', one file where names ignore case (macOS, Windows)
    >>> print(one_file_names("caf\u00e9.png", "cafe\u0301.png"))
    'caf\\u00e9.png' and 'cafe\\u0301.png', one name in two Unicode forms: one file on macOS
    """
    if unicodedata.normalize("NFC", first) == unicodedata.normalize("NFC", second):
        return (f"{quoted(first, by_code_point=True)} and {quoted(second, by_code_point=True)}, "
                "one name in two Unicode forms: one file on macOS")
    why = " where names ignore case (macOS, Windows)" if folded_name(first) == folded_name(
        second) else ""
    return f"{quoted(first)} and {quoted(second)}, one file{why}"


def apart_by_code_point(names: list[str], among: Iterable[str] = (),
                        quote: bool = False) -> list[str]:
    r"""``names`` as a message lists them: each as it is (or :func:`quoted`, with
    ``quote``), but one that looks like another of them or of ``among`` (names the reader
    sees beside them: the same name in another Unicode form, NFC and NFD) quoted by code
    point, as :func:`one_file_names` writes two such names, so that the two are told
    apart. Names that differ to the eye (in case: "Ä.png", "Ä.PNG") stay readable.

    >>> print(", ".join(apart_by_code_point(["a.png", "caf\u00e9.png", "cafe\u0301.png"])))
    a.png, 'caf\u00e9.png', 'cafe\u0301.png'
    >>> print(", ".join(apart_by_code_point(["\u00c4.png", "\u00c4.PNG"], quote=True)))
    'Ä.png', 'Ä.PNG'
    """
    forms: dict[str, set[str]] = {}
    for name in (*names, *among):
        forms.setdefault(unicodedata.normalize("NFC", name), set()).add(name)
    alike = [len(forms[unicodedata.normalize("NFC", name)]) > 1 for name in names]
    return [quoted(name, by_code_point=True) if apart else quoted(name) if quote else name
            for name, apart in zip(names, alike, strict=True)]


def printable(text: str) -> str:
    """``text`` with the bytes of a file name that is not valid UTF-8 written ``\\xXX``.

    Such bytes reach a ``str`` as lone surrogates (``\\udcXX``, Python's
    surrogateescape), which cannot be written as UTF-8 and which JSON parsers
    other than Python's refuse or replace; ``\\xff`` is valid text everywhere and
    still says which byte it was. Every line, report and JSON output that shows
    a file name goes through here (see :func:`printable_data`).

    >>> printable(b"bad\\xffname.png".decode("utf-8", "surrogateescape"))
    'bad\\\\xffname.png'
    """
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no file name decodes to
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return data.decode("utf-8", "backslashreplace")


# C0 and C1 control characters and DEL: in a file name, they would break a message's line
# or reach the terminal as a command (ESC). Also the line and paragraph separators, which
# Python's splitlines and some terminals take as line ends, and the invisible marks that
# reorder right-to-left text (U+202E turns "x\u202egnp.exe" into "xexe.png" on screen).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def code_point_escapes(error: UnicodeError) -> tuple[str, int]:
    r"""A codec error handler (:func:`codecs.register_error`) for the text of a line that
    a stream's encoding cannot hold: each such character written by its code point, as
    :func:`quoted` writes one (``\u00e9``, ``\U0001f600``), and a byte of a file name that
    is not UTF-8 (a lone surrogate) as :func:`printable` writes it (``\xff``).

    The command's lines hold characters beyond ASCII (the "Δ" of "mean ΔE2000", the
    names of files), which a stream in a Latin-1 or Windows code page locale cannot encode;
    Python's own ``backslashreplace`` would write "é" as ``\xe9``, which every line
    of quantize keeps for a byte.

    >>> import codecs
    >>> codecs.register_error("example", code_point_escapes)
    >>> "café 漢 \U0001f600 \udcff".encode("ascii", "example").decode("ascii")
    'caf\\u00e9 \\u6f22 \\U0001f600 \\xff'
    """
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_code_point(ch) for ch in error.object[error.start:error.end]), error.end


def _code_point(ch: str) -> str:
    """One character :func:`code_point_escapes` writes: a byte of surrogateescape as the
    byte itself, any other by its code point."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable_line(text: str) -> str:
    r""":func:`printable` ``text``, its control characters escaped as Python writes them.

    For messages and pages that show file names, which may hold any character but "/".
    Backslashes are left as they are (the separators of a Windows path), so a name holding
    the text ``\xff`` is shown as one holding the byte 0xff: the escapes are for reading,
    not for parsing back (see docs/errors.md, *File names*).

    >>> printable_line("bad\nname\x1b[31m.png")
    'bad\\nname\\x1b[31m.png'
    >>> printable_line("x\u202egnp.exe")  # shown as "xexe.png" if left as it is
    'x\\u202egnp.exe'
    """
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], printable(text))


# What a word pasted into a shell cannot hold as it is shown: a byte that is not UTF-8 (a lone
# surrogate) or a character printable_line escapes. A pattern that re compiles on its first
# use, as shlex is imported on it: only hints and errors quote words, and both took about
# 0.5 ms of CPU time of every call.
_NOT_PASTEABLE = "[\ud800-\udfff" + _CONTROL.pattern[1:]


def shell_quoted(word: str) -> str:
    r"""``word`` quoted for a shell, for a message that suggests a command to paste.

    As :func:`shlex.quote` quotes it (``'my photos'``), unless it holds a byte that is not
    UTF-8 or a character :func:`printable_line` escapes (a control character, a line
    break): such a word, shown in plain quotes, would name another file (``'dir\xff'``
    names seven characters), so it is written in bash's ``$'...'`` form, which bash, zsh
    and ksh read back as the name: a byte as ``\xff``, a character as ``\u0085``, a
    backslash and a quote escaped.

    >>> print(shell_quoted("my photos"), shell_quoted("plain"))
    'my photos' plain
    >>> print(shell_quoted(b"dir\xff".decode("utf-8", "surrogateescape")))
    $'dir\xff'
    >>> print(shell_quoted("it's\nnew\\"))
    $'it\'s\x0anew\\'
    """
    import shlex

    if not re.search(_NOT_PASTEABLE, word):
        return shlex.quote(word)
    return "$'" + "".join(_ansi_c(ch) for ch in word) + "'"


def _ansi_c(ch: str) -> str:
    """One character of a word in bash's ``$'...'`` form (see :func:`shell_quoted`)."""
    code = ord(ch)
    if ch in "\\'":
        return "\\" + ch
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte itself
        return f"\\x{code - 0xDC00:02x}"
    if re.fullmatch(_NOT_PASTEABLE, ch):
        return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"
    return ch


# A backslash escape in Python's repr or ascii() of a string, after an even run of
# backslashes (after an odd one, it is a doubled backslash and then plain text).
_REPR_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(x[0-9a-f]{2}|udc[89a-f][0-9a-f])")


def quoted(name: str | os.PathLike[str], by_code_point: bool = False) -> str:
    r"""``name`` in quotes as Python writes a string, its undecodable bytes written ``\xff``.

    For the errors that quote a name: backslashes are doubled, so the byte 0xff
    (``'a\xff.png'``, as every other message shows it) and a backslash followed by
    ``xff`` (``'a\\xff.png'``) are told apart. Python would write the byte as ``\udcff``;
    a character it writes so (a control character such as ``\x85``, a no-break space)
    is written by its code point, ``\u0085``, so that ``\x`` and a value from 80 is
    always a byte.
    ``by_code_point`` writes every character that is not ASCII by its code point, as
    ``ascii()`` does, for two names that look alike in two Unicode forms.

    >>> quoted(b"a\xff.png".decode("utf-8", "surrogateescape"))
    "'a\\xff.png'"
    >>> quoted("a\\xff.png")
    "'a\\\\xff.png'"
    >>> quoted("caf\udcc3\udca9.png")  # "café.png" as Python reads it in an ASCII locale
    "'café.png'"
    >>> quoted("caf\u00e9.png", by_code_point=True)
    "'caf\\u00e9.png'"
    """
    name = _utf8_read(os.fspath(name))
    text = ascii(name) if by_code_point else repr(name)
    return _REPR_ESCAPE.sub(_byte_escape, text)


def _utf8_read(name: str) -> str:
    """``name`` with its bytes read as UTF-8, as :func:`printable` reads them, whatever the
    locale: in an ASCII one (``PYTHONUTF8=0 LC_ALL=C``) Python reads "caf\u00e9" as two
    surrogate escapes, which a quote wrote ``'caf\\xc3\\xa9'`` beside the line's
    ``caf\u00e9``. A byte that is not UTF-8 stays a surrogate escape."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no file name decodes to
        return name


def extension_words(suffix: str, kind: str = "unsupported") -> str:
    """What an error says of a file name's extension ``suffix`` that is refused: the
    extension quoted, or that there is none (rather than quoting an empty one).

    >>> extension_words(".tga"), extension_words("", "unknown palette")
    ("an unsupported extension '.tga'", 'no extension')
    """
    return f"an {kind} extension {quoted(suffix)}" if suffix else "no extension"


# Python's escape of a byte that is not UTF-8 (a lone surrogate) in the repr of a string,
# after an even run of backslashes (after an odd one, it is a doubled backslash and text).
_REPR_BYTE = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


def repr_bytes_shown(line: str) -> str:
    r"""``line`` with each byte that is not UTF-8 in the repr of a value it quotes written as
    :func:`quoted` writes one: ``'\udcff'``, of a mistyped option's value, as ``'\xff'``.

    >>> print(repr_bytes_shown(r"-k/--colors='\udcff' is not valid; a\\udcff.png"))
    -k/--colors='\xff' is not valid; a\\udcff.png
    """
    return _REPR_BYTE.sub(r"\1\\x\2", line)


def _byte_escape(match: re.Match[str]) -> str:
    escape = match[2]
    if escape.startswith("udc"):  # surrogateescape: the byte itself
        escape = "x" + escape[3:]
    elif int(escape[1:], 16) >= 0x80:  # a character, not a byte
        escape = "u00" + escape[1:]
    return f"{match[1]}\\{escape}"


#: A run of ASCII digits, or any one other character: what :func:`natural_key` compares.
_NATURAL_TOKEN = re.compile(r"[0-9]+|.", re.DOTALL)


def natural_key(name: str) -> tuple[tuple[tuple[str] | tuple[str, int], ...], str]:
    """Sort key that orders file names as a person reads them: ``img 9`` before ``img 10``.

    Runs of digits compare as numbers (where a digit would: after ``.`` and ``-``,
    before letters), the rest character by character ignoring case; names that are then
    equal (``IMG.png``, ``img.png``; ``07.png``, ``7.png``) keep their exact order.

    >>> sorted(["img 10.png", "Img 9.png", "img.png", "img 9.png"], key=natural_key)
    ['Img 9.png', 'img 9.png', 'img 10.png', 'img.png']
    """
    # A digit run is ("0", value): it sorts as its first character would among the others,
    # which are one-character tuples and never "0" alone.
    return tuple(("0", int(t)) if t[0] in "0123456789" else (t,)
                 for t in _NATURAL_TOKEN.findall(name.casefold())), name


def printable_data(value: Any) -> Any:
    """``value`` (JSON-able: dicts, lists, strings, numbers) with every string, keys too,
    made :func:`printable`, for a JSON or CSV output.

    >>> printable_data({"input": b"a\\xff.png".decode("utf-8", "surrogateescape"), "k": 2})
    {'input': 'a\\\\xff.png', 'k': 2}
    """
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(k): printable_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_data(v) for v in value]
    return value


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` are one file (through links too, as the system tells);
    False when either cannot be read.

    >>> same_file(".", "./"), same_file(".", "no such file here")
    (True, False)
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def resolved_path(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute with every link followed, as :meth:`pathlib.Path.resolve`
    makes it, except in a loop of links: there the links are followed up to the loop
    (:func:`os.path.realpath`), where ``resolve`` raised ``RuntimeError`` (Python 3.11),
    and the loop is left to the read or write that meets it, which names it in one line.

    >>> resolved_path("/photos/./sub/../a.jpg").as_posix()
    '/photos/a.jpg'
    """
    return Path(os.path.realpath(path))


#: What Windows says of a name it cannot resolve, as of a link loop (ERROR_CANT_RESOLVE_FILENAME).
_WINDOWS_LINK_LOOP = 1921


def is_link_loop(path: str | os.PathLike[str]) -> bool:
    """Whether following ``path`` fails as the system fails a loop of links (Linux
    refuses a chain of more than 40 links as it refuses a loop).

    >>> is_link_loop("."), is_link_loop("no such file here")
    (False, False)
    """
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP or getattr(exc, "winerror", None) == _WINDOWS_LINK_LOOP
    return False


def absolute_path(path: str | os.PathLike[str]) -> str:
    """``path`` made absolute, each ".." taken as the system takes it, no other link followed.

    As :func:`os.path.abspath` does, except after a link to a folder: the system
    takes ".." from the link's target, where abspath drops it with the link's name
    (``link/..``, link pointing to ``real/sub``, is ``real``, not the link's folder).
    A path with no ".." after a link is made absolute exactly as abspath makes it.

    >>> absolute_path("/photos/./sub/../a.jpg")
    '/photos/a.jpg'
    """
    # the text first: parsing every path into parts took 4.4 us a call, 0.75 us without
    if ".." not in os.fspath(path) or ".." not in Path(path).parts:
        return os.path.abspath(path)
    parts = Path(path if os.path.isabs(path) else os.path.join(os.getcwd(), path)).parts
    here = parts[0]
    for part in parts[1:]:
        if part == "..":
            here = os.path.dirname(os.path.realpath(here) if os.path.islink(here) else here)
        elif part != ".":
            here = os.path.join(here, part)
    return os.path.normpath(here)


def written_path(path: str | os.PathLike[str],
                 resolved: dict[str, str] | None = None) -> str:
    """The name a file written to ``path`` has in its folder: ``path`` made absolute with
    every link in the folders it lies in followed, its own name kept, as a search of the
    folder lists it (a link of that name among them).

    The folders it lies in are those the system finds. Two names of one place (an output
    folder named through a link, or by its real path) give one written path. Where its
    bytes land, when its own name is a link, is :func:`landing_path`.
    ``resolved`` keeps the folders resolved so far, for a caller that asks of many files
    in a few folders (each folder is then resolved once).

    >>> written_path("/photos/./sub/../a.jpg")
    '/photos/a.jpg'
    """
    folder, name = os.path.split(absolute_path(path))
    known = {} if resolved is None else resolved
    if folder not in known:
        known[folder] = str(resolved_path(folder))
    return os.path.join(known[folder], name)


def landing_path(path: str | os.PathLike[str],
                 resolved: dict[str, str] | None = None) -> str:
    """Where the bytes of a file written to ``path`` land: its :func:`written_path`, or,
    when that is a symbolic link (or a chain of them), the file it leads to, as quantize
    writes an output through a link (the link kept). ``resolved`` as for
    :func:`written_path`.

    >>> landing_path("/photos/./sub/../a.jpg")
    '/photos/a.jpg'
    """
    written = written_path(path, resolved)
    return os.path.realpath(written) if os.path.islink(written) else written


def found_path(path: str | os.PathLike[str]) -> Path:
    """``path`` with each ".." taken as the system takes it (:func:`absolute_path`), relative
    when given relative: the same place, reached without the folder a ".." steps out of,
    which then need not exist (nor be made) for a file to be written there. ``path`` as a
    Path when it holds no "..".

    >>> found_path("out/new/../index.html").as_posix()
    'out/index.html'
    """
    given = Path(path)
    if ".." not in given.parts:
        return given
    found = Path(absolute_path(given))
    return found if given.is_absolute() else Path(os.path.relpath(found))
