"""Writing outputs whole or not at all, and never over an input.

:func:`check_output_path` refuses, before any work, an output that would replace an input,
exists already (unless forced) or cannot be written; :func:`atomic_write` and
:func:`write_together` write to a temporary file beside the output and move it into place,
so that an interrupted write leaves the old file or none; :func:`lock_file_held` and the
``.part`` names (:func:`stale_parts`) keep two runs from writing the same output.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import os
import random
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from .._sigterm import (
    TAKEN_SIGNALS,
    HeldInterrupts,
    SigtermFromParent,
    SigtermInterrupt,
    StandIn,
    taken_now,
)
from .._validation import check_bool, check_path
from ..errors import (
    AdvisedFormats,
    FormatAdviceError,
    OutputError,
    OutputExistsError,
    OwnFileError,
    WriteRefusedError,
)
from ..names import is_link_loop, landing_path, quoted, resolved_path
from .read import is_stream

__all__ = ["GIF_ALPHA_THRESHOLD", "MAX_PALETTE", "STREAM_OUTPUT", "atomic_write",
           "check_name_length",
           "check_output_folder", "check_output_folder_writable", "check_output_path",
           "check_output_size", "folder_made", "landing", "list_parts_once_from_now",
           "link_to_nothing_words", "lock_file_held", "lock_file_taken", "lock_holder",
           "missing_folders",
           "parts_listed_once", "remove_empty_folders", "remove_stale_parts", "save_pil",
           "shared_landing", "stale_parts", "write_all", "write_together", "written_through"]

#: GIF has binary transparency: pixels and palette entries with alpha below this are
#: written fully transparent, the others opaque (every GIF quantize writes).
GIF_ALPHA_THRESHOLD = 128

#: Entries an indexed (palette) image holds, PNG or GIF: its indices are 8-bit. The
#: limit on the colours of every indexed output, named once for the encoders, the
#: checks and the help.
MAX_PALETTE = 256


_SHORTER_NAME = "choose a shorter output name, or shorten the name of the input it is made from"


def check_output_path(output: str | os.PathLike[str], *,
                      inputs: tuple[str | os.PathLike[str], ...] = (),
                      force: bool = False) -> Path:
    """Refuse an output that would replace an input, exist already, or cannot be written.

    Raises
    ------
    OutputError
        If ``output`` is one of ``inputs``, is a directory or a pipe, device or socket
        (:data:`STREAM_OUTPUT`; ``force`` or not), its name is longer than a file name
        may be (:func:`check_name_length`), its folder (a link's: that of the file it
        leads to) is missing or not writable, or it is a link in a loop of links.
    OutputExistsError
        If ``output`` exists (a link that leads nowhere too) and ``force`` is false.

    A link at ``output`` is written through (:func:`written_through`): its target is
    checked as the input, and its folder as the output's; the link is named.
    TypeError
        If ``output`` is not a path, or ``force`` not a bool (``"no"`` would overwrite).
    """
    out = check_path(output, "output")
    force = check_bool(force, "force")
    check_name_length(out)
    for src in inputs:
        if _same_file(out, Path(src)):
            raise OutputError("output path is the input file; choose another output", path=out)
    if out.is_dir():
        raise OutputError("is a directory, expected an output file name", path=out)
    if is_stream(out):
        raise OutputError(STREAM_OUTPUT, path=out)
    _check_target_folder(out)
    if os.path.lexists(out) and not force:
        raise OutputExistsError(f"{_exists_words(out)}; use force=True to overwrite", path=out)
    return out


def _check_target_folder(out: Path) -> None:
    """:func:`check_output_folder_writable` of the file an output written to ``out`` lands
    in (:func:`written_through`): for a link, the folder of the file it leads to, the link
    named in the message."""
    target = written_through(out)
    if target == out:
        check_output_folder_writable(out)
        return
    try:
        check_output_folder_writable(target)
    except OutputError as exc:
        raise OutputError(f"is a link to {quoted(os.readlink(out))}: {exc.reason}",
                          path=out) from None


def _exists_words(out: Path) -> str:
    """How an existing ``out`` is said in the refusal to overwrite it: a link with where it
    leads, which is what would be written."""
    if not out.is_symlink():
        return "output exists"
    if out.exists():
        return (f"output exists (a link to {quoted(os.readlink(out))}, the file that would "
                "be overwritten)")
    return f"output is {link_to_nothing_words(out)}"


def link_to_nothing_words(path: str | os.PathLike[str]) -> str:
    """How a symbolic link at ``path`` that leads to no file is said: where it leads, and
    through a chain of links, each one on to the last, the name that does not exist (the
    first link's target exists: it is a link). Links as they are written. A link into a
    loop of links is said as an input in one is (:func:`~quantize.io.missing_file`): where
    it leads, and that it leads into a loop, not the chain round it forty times.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     os.symlink(os.path.join("real", "target.png"), os.path.join(folder, "mid"))
    ...     os.symlink("mid", os.path.join(folder, "out.png"))
    ...     print(link_to_nothing_words(os.path.join(folder, "out.png")))
    a link to 'mid', a link to 'real/target.png', which does not exist
    """
    if is_link_loop(path):
        return f"a link to {quoted(os.readlink(path))}, which leads into a link loop"
    here, words = Path(path), []
    for _ in range(_CHAIN_SHOWN):
        if not os.path.islink(here):
            break
        target = os.readlink(here)
        words.append(f"a link to {quoted(target)}")
        here = here.parent / target
    return ", ".join(words) + ", which does not exist"


# The links of a chain named in a message (the system follows 40).
_CHAIN_SHOWN = 40


def write_all(stream: Any, data: bytes) -> None:
    """Write every byte of ``data`` to a binary ``stream`` and flush it.

    A buffered stream returns a short count when the system took only part of
    the bytes; the rest is written again, and an error is raised, not skipped. A
    file object of its own whose ``write`` returns None took them all.

    >>> import io
    >>> out = io.BytesIO(); write_all(out, b"GIF89a"); out.getvalue()
    b'GIF89a'
    """
    view = memoryview(data)
    while view:
        taken = stream.write(view)
        view = view[len(view) if taken is None else taken:]
    stream.flush()


def written_through(path: str | os.PathLike[str]) -> Path:
    """The file an output written to ``path`` replaces: ``path``, or when it is a symbolic
    link (or a chain of them), the file it leads to, which need not exist yet.

    An output is written through a link, the link kept, as a shell's ``>``, ImageMagick or
    an editor's "save" write through one: a link kept in an output's place (into a web
    site's folder, say) goes on leading to the new file.

    Raises
    ------
    OutputError
        If ``path`` is a link in a loop of links, naming it.

    >>> written_through("no/such/photo.png").as_posix()
    'no/such/photo.png'
    """
    given = Path(path)
    if not os.path.islink(given):
        return given
    target = Path(os.path.realpath(given))
    if os.path.islink(target):  # realpath stops at a loop
        raise OutputError(f"is a link in a loop of links ({quoted(os.readlink(given))}), "
                          "expected an output file name", path=given)
    return target


def landing(path: str | os.PathLike[str],
            resolved: dict[str, str] | None = None) -> tuple[Any, ...]:
    """Where a file written to ``path`` lands, as a key that two paths share when they
    land on one file: through links (:func:`written_through`), by the file's device and
    inode where it exists (a hard link, a folder named two ways), else by the path it
    would have (:func:`~quantize.names.landing_path`; ``resolved`` as there). An input,
    read through its links, lands where it is read from.

    >>> landing("no/such/a.png") == landing("no/such/../such/a.png")
    True
    """
    try:
        st = os.stat(path)
    except OSError:  # nothing there yet (a link that leads nowhere: where it leads)
        return ("", landing_path(path, resolved))
    return (st.st_dev, st.st_ino)


def shared_landing(paths: Iterable[str | os.PathLike[str]]) -> dict[int, int]:
    """The outputs of ``paths`` that land on a file an earlier one lands on
    (:func:`landing`): written in turn, the later would replace the earlier, through a
    link at either name. By the place of each in ``paths``, that of the first output
    landing there; empty when every one lands on a file of its own.

    >>> shared_landing(["a.png", "b.png", "./a.png", "b.png"])
    {2: 0, 3: 1}
    """
    first: dict[tuple[Any, ...], int] = {}
    shared = {}
    for index, path in enumerate(paths):
        key = landing(path)
        if key in first:
            shared[index] = first[key]
        else:
            first[key] = index
    return shared


#: Why a pipe, device or socket (a FIFO a reader waits on, ``/dev/null``) is refused as an
#: output, whatever ``force`` says: an output is written beside it and renamed over it,
#: which would replace it with a file, and leave its reader waiting.
STREAM_OUTPUT = ("is a pipe, device or socket, not a regular file; expected an output file "
                 "name (an output is put in place whole, which would replace it)")


def check_output_folder_writable(output: Path) -> None:
    """Refuse an output whose folder is missing, is a file, or cannot be written.

    The folder checks of :func:`check_output_path` alone, for an output whose folder is
    known before the whole of its name is (a number found by the work, said ``<N>``).
    ``output`` is a checked path; its folder is not made.

    Raises
    ------
    OutputError
        Naming ``output``, its folder and what is wrong with it.

    >>> check_output_folder_writable(Path("no/such/folder/photo.k<N>.png"))
    Traceback (most recent call last):
    quantize.errors.OutputError: no/such/folder/photo.k<N>.png: output folder no/such/folder \
does not exist
    """
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        what = "is a file, expected a folder" if folder.exists() else "does not exist"
        raise OutputError(f"output folder {folder} {what}", path=output)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {folder} is not writable", path=output)


def check_name_length(path: str | os.PathLike[str], *, remedy: str = _SHORTER_NAME) -> None:
    """Refuse an output file or folder whose own name is longer than 255 bytes.

    The usual file systems take at most 255 bytes in one name (NAME_MAX): a
    default output name, the input's stem and a suffix, may pass it when the
    input's name is near it, and the system's own error ("File name too long")
    says neither how long the name is nor what to do.

    Raises
    ------
    OutputError
        Naming ``path``, its length in bytes and the ``remedy``: by default, to choose a
        shorter output name or shorten the input's; a caller that names the output
        itself (a batch) says what the user can do instead.

    >>> check_name_length("x" * 252 + ".png")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    quantize.errors.OutputError: xxx...x.png: name too long: 256 bytes, and a file name ...
    """
    name = Path(path).name
    size = len(os.fsencode(name))
    if size > _NAME_MAX:
        raise OutputError(f"name too long: {size} bytes, and a file name may have at most "
                          f"{_NAME_MAX}; {remedy}", path=path)


# The longest side each output format holds: libwebp's, libjpeg's, and GIF's 16-bit fields.
_LONGEST_SIDE = {".webp": ("WebP", 16383), ".jpg": ("JPEG", 65500),
                 ".jpeg": ("JPEG", 65500), ".gif": ("GIF", 65535)}


def check_output_size(suffix: str, size: tuple[int, int], name: str,
                      instead: AdvisedFormats) -> None:
    """Refuse an output format (``suffix``) that cannot hold an image of ``size`` (w, h).

    Checked before any work: the encoders fail only once the image is reduced,
    and with messages that name neither the output nor the limit (a wide GIF
    gave "OverflowError: int too big to convert"; libjpeg printed its own line).
    ``name`` names the output in the message, ``instead`` the formats to advise.

    Raises
    ------
    FormatAdviceError
        A ``ValueError``: if a side of ``size`` is longer than the format holds; its
        advice, to use ``instead``, apart from the facts (a batch, which chooses each
        output's format itself, leaves it out).

    >>> png = AdvisedFormats(".png", (".png",))
    >>> check_output_size(".webp", (16383, 2), "a.webp", png)
    >>> try:
    ...     check_output_size(".webp", (2, 20000), "a.webp", png)
    ... except ValueError as exc:
    ...     print(exc.facts, exc.format_advice, sep="; ")
    a.webp: WebP holds at most 16383 pixels a side, and the image is 2x20000; use .png instead
    """
    fmt, longest = _LONGEST_SIDE.get(suffix.lower(), ("", 0))
    w, h = size
    if longest and max(w, h) > longest:
        raise FormatAdviceError(f"{name}: {fmt} holds at most {longest} pixels a side, and "
                                f"the image is {w}x{h}",
                                format_advice=f"use {instead.words} instead", formats=instead)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return resolved_path(a) == resolved_path(b)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None], *,
                 through_links: bool = True) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A crash or error part-way leaves no partial file at ``path`` (and removes the
    temporary one when Python still runs). A link at ``path`` is written through
    (:func:`written_through`): the temporary file goes beside the file it leads to and
    replaces that one, the link kept; with ``through_links`` false (a file a program keeps
    for itself, which must not land elsewhere), the link itself is replaced.

    Raises
    ------
    OutputError
        If the system refuses the write (a full disk, say), naming ``path``, or if
        ``path`` is a link in a loop of links.
    """
    given = Path(path)
    target = written_through(given) if through_links else given
    tmp = _temporary_beside(target)
    try:
        write(tmp)
        os.chmod(tmp, _output_mode(target))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        _raise_as_output_error(exc, given)
        raise


def write_together(files: Iterable[tuple[str | os.PathLike[str],
                                          bytes | memoryview | Callable[[Path], None]]], *,
                   removed_first: Sequence[str | os.PathLike[str]]
                   | Callable[[], Sequence[str | os.PathLike[str]]] = (),
                   replace: bool = True, through_links: bool = True) -> None:
    """Write several files so that a failure while writing leaves every one as it was.

    Each file's bytes go to a temporary file beside it (as :func:`atomic_write`
    names them) as ``files`` yields them: a generator that makes each file's bytes in
    turn has one file's held at a time, and one that raises leaves the targets untouched.
    In place of its bytes, a file may be given a function that writes it to the path
    it is passed (a stream too long to hold, as :func:`atomic_write` takes).
    Only once all are written is each path of ``removed_first`` deleted and are the
    files renamed into place, in the order given. ``removed_first`` may be a function
    returning those paths, called under the lock below, when which files go depends on
    what the folder holds then. A write the system refuses (a full
    disk) removes the temporary files and leaves the targets untouched. So does a
    failed rename, or an interrupt between the renames: each file it removes or
    replaces is first kept as a hard link (or a copy) beside it, and put back, and the
    files already put in place are removed. Ctrl-C (SIGINT), SIGTERM and SIGHUP are held
    back while the files are renamed or put back (:func:`_signals_held`): one that comes
    stops the renames before the next, has everything put back, and is then acted on
    (KeyboardInterrupt; SIGTERM or SIGHUP ends the process), and a second one cannot stop the
    putting back half-way. One that comes once the last file is in place (while the kept
    files are removed) is acted on as this returns, KeyboardInterrupt raised with every
    new file in place: the caller that needs to know whether they are (to report them)
    holds Ctrl-C back itself, as the command does
    (:func:`~quantize.batch.calls.interrupts_held_once_written`). A process killed
    outright (SIGKILL, a power cut) between the renames has put the first ones in place
    only.

    The removals and renames happen under an exclusive lock on the first file's
    folder (:func:`_folder_lock`), so two processes writing the same set of files
    into one folder do not interleave: the folder ends with one's files or the
    other's, never a mix. With ``replace`` false, a target that exists once the lock
    is held (another process put it there after the caller checked) is refused, and
    nothing is put in place.

    A link at a file's path is written through, the link kept, as :func:`atomic_write`
    writes through one (``through_links``); a path of ``removed_first`` that is such a link
    has the file it leads to removed, and any other link there is removed itself. A
    process killed outright after the removals leaves such a link leading nowhere, kept, as
    it leaves a removed file missing: a reader takes either for the file removed.

    Raises
    ------
    OutputError
        If the system refuses a write (a full disk, say), naming that file.
    OutputExistsError
        With ``replace`` false, if a target exists once every file is written.
    """
    staged: list[tuple[Path, Path]] = []
    through: dict[Path, Path] = {}  # each path given, by the file written there
    try:
        for path, data in files:
            given = Path(path)
            target = written_through(given) if through_links else given
            through[given] = target
            staged.append((_temporary_beside(target), target))
            try:
                if callable(data):
                    data(staged[-1][0])
                else:
                    staged[-1][0].write_bytes(data)
            except OSError as exc:
                _raise_as_output_error(exc, given)
                raise
            del data  # let it go before the next file's bytes are made
        with _folder_lock(next(iter(through)).parent if through else Path(".")):
            if not replace:
                _refuse_existing([*through, *through.values()])
            removed = [through.get(Path(path), Path(path)) for path in (
                removed_first() if callable(removed_first) else removed_first)]
            kept = _keep_old(removed + [target for _, target in staged])
            with _signals_held() as came:
                try:
                    _put_in_place(staged, removed, kept, came)
                finally:  # before a SIGTERM held back ends the process
                    for copy in [*kept.values(), *(tmp for tmp, _ in staged)]:
                        with contextlib.suppress(OSError):
                            copy.unlink()
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


def _put_in_place(staged: list[tuple[Path, Path]], removed: list[Path],
                  kept: dict[Path, Path], came: list[int]) -> None:
    """:func:`write_together`'s removals and renames: delete each of ``removed``, then
    rename each temporary file of ``staged`` (popped as it is put in place) to its target.

    A failed rename, or a signal in ``came`` (held back by :func:`_signals_held`) after
    any of them, undoes them all from the copies in ``kept`` (:func:`_put_back`) and
    raises: OutputError naming the target, or KeyboardInterrupt.
    """
    placed: list[Path] = []
    modes = {target: _output_mode(target) for _, target in staged}  # before any removal
    try:
        for path in removed:
            path.unlink(missing_ok=True)
        while staged or came:
            if came:  # also after the last rename: the files are then put back as well
                raise KeyboardInterrupt
            tmp, target = staged[0]
            try:
                os.chmod(tmp, modes[target])
                os.replace(tmp, target)
            except OSError as exc:
                _raise_as_output_error(exc, target)
                raise
            staged.pop(0)
            placed.append(target)
    except BaseException:
        _put_back(kept, removed, placed)
        raise


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold back Ctrl-C (SIGINT), SIGTERM and SIGHUP while the block runs; yield the list of
    the signals that came, which the block looks at to stop early.

    As the block ends the handlers are put back and a signal that came is acted on: SIGTERM
    (SIGHUP) is sent again, and ends the process as it would have (in the command, which takes it
    as Ctrl-C, KeyboardInterrupt is raised); SIGINT is raised as KeyboardInterrupt (in
    place of another error the block raised). For the few
    milliseconds in which :func:`write_together` renames files and, when stopped, puts the
    old ones back: a second signal is held back too, so that an impatient Ctrl-C (or a pool
    terminating its workers) cannot leave some files renamed and not the others. Only a
    signal left to Python's own handling (SIGINT's ``default_int_handler``, the default
    action of SIGTERM and SIGHUP) or to the command's (:mod:`quantize._sigterm`: SIGTERM
    and SIGHUP taken as Ctrl-C,
    or a worker's SIGTERM, which counts only once its parent abandons it; a SIGTERM
    repeated at once counts as one: :func:`~quantize._sigterm.taken_now`) is held back, and
    only in the main thread: a handler of the caller's, an ignored signal or another thread
    sees it as before.

    Inside :func:`~quantize.batch.calls.interrupts_held_once_written` (a
    :class:`~quantize._sigterm.HeldInterrupts` handler), a block that ends without an error
    has its files in place: that handler holds the signals back from then on (one that
    came here among them), until the file is reported. Inside a block that holds them
    already (:func:`~quantize.batch.calls.interrupts_held`, which lets the work in progress
    finish at a first interrupt), a first one is that block's, and the renames go on; a
    second stops them here, as any signal outside such a block does, rather than raising
    ``KeyboardInterrupt`` half-way through the renames or the putting back.
    """
    held: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, *TAKEN_SIGNALS):
            own = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
            handler = signal.getsignal(signum)
            if handler is own or isinstance(handler, (SigtermInterrupt, SigtermFromParent,
                                                      HeldInterrupts)):
                held[signum] = handler
    came: list[int] = []
    hold = _RenamesHeld(held, came)
    for signum in held:
        signal.signal(signum, hold)
    raised: BaseException | None = None
    try:
        yield came
    except BaseException as exc:
        raised = exc
        raise
    finally:
        for signum, own in held.items():
            signal.signal(signum, own)
        outer = _held_after(held, came, raised)
        for signum in dict.fromkeys(came):  # the command's were taken (taken_now) already
            if signum != signal.SIGINT and not isinstance(held[signum], (SigtermInterrupt,
                                                                         HeldInterrupts)):
                signal.raise_signal(signum)
        if came and not outer and not isinstance(raised, KeyboardInterrupt):
            raise KeyboardInterrupt


class _RenamesHeld(StandIn):
    """:func:`_signals_held`'s handler, standing in for ``own`` (the handlers it found):
    a signal that counts is kept in ``came``, or, the first inside a block that lets the
    work in progress finish, given to that block's :class:`~quantize._sigterm.HeldInterrupts`."""

    def __init__(self, own: dict[int, Any], came: list[int]) -> None:
        self.own = own
        self.came = came

    def __call__(self, signum: int, frame: Any) -> None:
        handler = self.own[signum]
        if not isinstance(handler, HeldInterrupts):
            if taken_now(handler):
                self.came.append(signum)
        elif handler.taken(signum):
            if handler.holding and not handler.caught and not self.came:
                handler.catch(signum)  # the first: the block lets the work finish
            else:
                self.came.append(signum)


def _held_after(held: dict[int, Any], came: list[int], raised: BaseException | None) -> bool:
    """Whether the :class:`~quantize._sigterm.HeldInterrupts` handler among ``held`` holds
    the signals back from now on, as :func:`_signals_held`'s block ended without an error
    (``raised``): it is told to hold, and keeps a signal that ``came`` as its own."""
    outer = next((h for h in held.values() if isinstance(h, HeldInterrupts)), None)
    if outer is None or raised is not None:
        return False
    outer.hold()
    if came and not outer.caught:
        outer.caught.append(came[0])
    return True


def _keep_old(paths: Sequence[Path]) -> dict[Path, Path]:
    """A copy beside each of ``paths`` that exists (:func:`_kept_beside`), by the path it
    keeps. One that cannot be kept (no room, a file the system will not link) is left out:
    if its replacement fails, it stays as the failure leaves it."""
    kept: dict[Path, Path] = {}
    for path in dict.fromkeys(paths):
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        copy = _kept_beside(path)
        if copy is not None:
            kept[path] = copy
    return kept


def _kept_beside(path: Path) -> Path | None:
    """A hard link to ``path`` beside it, named as :func:`_temporary_beside` names its
    files, or where the system links no file there, a copy of its bytes; None when
    neither can be made.

    Linked at a name of its own, not over an empty file made first and removed again:
    that file's making and removal took as long as the link.
    """
    folder, prefix = _part_place(path)
    for _ in range(_LINK_TRIES):
        copy = Path(folder, f"{prefix}{_token()}.part")
        try:
            os.link(path, copy)
            return copy
        except FileExistsError:
            continue
        except OSError:
            break
    try:
        copy = _temporary_beside(path)
    except OutputError:
        return None
    try:
        shutil.copyfile(path, copy)
        shutil.copymode(path, copy)
    except OSError:
        with contextlib.suppress(OSError):
            copy.unlink()
        return None
    return copy


# Names tried for a link before a copy is made instead (mkstemp tries as many names).
_LINK_TRIES = 100
_TOKEN_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_names = random.Random()


def _token() -> str:
    """Eight random characters, as mkstemp puts in a temporary file's name."""
    return "".join(_names.choices(_TOKEN_CHARACTERS, k=8))


def _put_back(kept: dict[Path, Path], removed: list[Path], placed: list[Path]) -> None:
    """Undo :func:`write_together`'s removals and renames after one failed: of the paths
    it ``removed`` or ``placed`` (renamed into), each kept in ``kept`` is put back from its
    copy, and each other one it placed is removed."""
    for path in dict.fromkeys(removed + placed):
        if path in kept:
            with contextlib.suppress(OSError):
                os.replace(kept[path], path)
        elif path in placed:
            with contextlib.suppress(OSError):
                path.unlink()


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder`` (``flock`` on the folder itself).

    Waits while another process holds it. The system lets it go when the process
    ends, however it ends, so a killed run leaves no lock behind, and no lock file
    is left in the folder. Where folders cannot be locked (Windows, or a folder
    that cannot be opened), nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    try:
        fd = os.open(str(folder) or ".", os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks
            pass
        yield
    finally:
        os.close(fd)  # closing the last descriptor lets the lock go


@contextlib.contextmanager
def lock_file_held(path: str | os.PathLike[str]) -> Iterator[bool]:
    """Hold an exclusive advisory lock (``flock``) on the file ``path`` for the block,
    without waiting; yield whether it is held.

    The file is made if needed, this process's id and host written in (for a process
    refused to name the holder: :func:`lock_holder`), and removed as the block ends,
    before the lock is let go. The lock is this process's alone: a process forked from it
    (a worker of the local pool) does not keep the file open. So the system lets it go when
    this process ends, however it ends, and a killed process never keeps another out (the
    file it leaves is locked again by the next). A lock taken on a file that its holder
    removed meanwhile is let go and taken again on the file now there. Nothing is locked
    (False is yielded) where files cannot be locked: on Windows, when the file cannot be
    made (a read-only folder), or on a file system without locks. Anything else at
    ``path`` (a symbolic link, to a file or to nothing, a folder, a pipe, or a file with
    other names: a hard link) is refused, never followed nor written into: opening it
    without following a link failed, and the lock was silently not held.

    Raises
    ------
    BlockingIOError
        If another process holds the lock (its ``filename`` is ``path``).
    OwnFileError
        If ``path`` is not a lock file of its own (see above), naming it and what it is.
    OSError
        If this process's id cannot be written into the file (a full disk); the file is
        removed first.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield False
        return
    fd = _locked_fd(Path(path), fcntl)
    if fd is None:
        yield False
        return
    with _lock_lock:
        if not _fork_hook:
            os.register_at_fork(after_in_child=_close_held_locks)
            _fork_hook.append(True)
        _held_locks.add(fd)
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # first: a process that opens it now finds it gone, and retries
        with _lock_lock:
            _held_locks.discard(fd)
            os.close(fd)  # closing the last descriptor lets the lock go


#: The descriptors of the lock files this process holds (:func:`lock_file_held`), closed in
#: a process forked from it, so that the lock goes with this process.
_held_locks: set[int] = set()
_fork_hook: list[bool] = []  # whether _close_held_locks is registered (once per process)
_lock_lock = threading.Lock()


def _close_held_locks() -> None:
    """In a process just forked: close the descriptors of the locks its parent holds."""
    for fd in _held_locks:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()


def _locked_fd(path: Path, fcntl: Any) -> int | None:
    """A descriptor of ``path`` (made if needed) that holds its exclusive ``flock``, with
    this process's id and host written in; None where it cannot be locked (see
    :func:`lock_file_held`)."""
    import socket

    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError:
            _refuse_not_a_lock_file(path)  # a link (not followed), a folder: not silently
            return None
        try:
            _refuse_not_a_lock_file(path, os.fstat(fd))
        except OwnFileError:
            os.close(fd)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BlockingIOError(errno.EWOULDBLOCK, "locked by another process",
                                  str(path)) from None
        except OSError:  # a file system without locks
            os.close(fd)
            return None
        try:
            held, there = os.fstat(fd), os.stat(path, follow_symlinks=False)
        except FileNotFoundError:  # removed by the process that held it: lock the new one
            os.close(fd)
            continue
        except OSError:
            os.close(fd)
            return None
        if (held.st_dev, held.st_ino) != (there.st_dev, there.st_ino):
            os.close(fd)
            continue
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        except OSError:  # a full disk: the file is this process's, locked, to remove
            with contextlib.suppress(OSError):
                os.unlink(path)
            os.close(fd)
            raise
        return fd


def _refuse_not_a_lock_file(path: Path, st: os.stat_result | None = None) -> None:
    """Refuse what is at ``path`` (or opened there: ``st``) when it is not a file a lock
    may be held on and written into (:func:`lock_file_held`); nothing there is fine.

    Raises
    ------
    OwnFileError
        Naming ``path``, what it is and what to do.
    """
    if st is None:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return
    if stat.S_ISLNK(st.st_mode):
        try:
            what = f"is a symbolic link (to {quoted(os.readlink(path))})"
        except OSError:  # removed since
            what = "is a symbolic link"
    elif stat.S_ISDIR(st.st_mode):
        what = "is a folder"
    elif not stat.S_ISREG(st.st_mode):
        what = "is a pipe, device or socket"
    elif st.st_nlink > 1:
        what = "is a file with another name too (a hard link), which the lock would write into"
    else:
        return
    raise OwnFileError(f"{what}; quantize keeps its lock there itself: remove it", path=path)


def lock_holder(path: str | os.PathLike[str]) -> str:
    """The process that holds the lock file ``path`` (:func:`lock_file_held`), as
    "process PID on HOST"; "" when the file does not say (gone, or being written)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            pid, host = f.read(1000).split()
    except (OSError, ValueError):
        return ""
    return f"process {pid} on {host}" if pid.isdigit() else ""


def lock_file_taken(path: str | os.PathLike[str]) -> bool:
    """Whether a process holds the lock file ``path`` (:func:`lock_file_held`), asked by
    taking a shared lock on it without waiting and letting it go at once: a process that
    locks it in that instant is refused as if it were held. False when there is no such
    file, or it cannot be locked (Windows, a file system without locks)."""
    try:
        import fcntl
    except ImportError:  # Windows
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # a file system without locks
        return False
    finally:
        os.close(fd)  # lets the shared lock go
    return False


def _refuse_existing(targets: Sequence[Path]) -> None:
    """Raise :class:`OutputExistsError` for the first of ``targets`` that exists now."""
    for target in targets:
        if os.path.lexists(target):
            raise OutputExistsError("output exists (another run wrote it while this one "
                                    "worked); use force=True to overwrite", path=target)


def _temporary_beside(target: Path) -> Path:
    """A new empty temporary file beside ``target``, which only its owner may read and
    write (mkstemp's 0600) until it is given the mode of an output (:func:`_output_mode`)
    as it is renamed into place: a mode of the target without write permission would
    refuse the writer.

    Named ``.<target name>.<pid>-<8 random characters>.part`` (:func:`_part_prefix`):
    :func:`stale_parts` leaves it alone while this process runs.
    """
    folder, prefix = _part_place(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
    except OSError as exc:
        shown = target.parent if str(target.parent) else Path(".")
        raise OutputError(f"cannot write in {shown} ({_why_not_written(exc, folder)})",
                          path=target, os_errno=exc.errno) from None
    os.close(fd)
    return Path(tmp_name)


def _why_not_written(exc: OSError, folder: str) -> str:
    """Why no file could be made in ``folder`` (resolved, as :func:`_part_place` gives it):
    the system's words, but for a name too long, which is the folder's path (a temporary
    name is never over 255 bytes, :func:`_part_prefix`): "File name too long" blamed the
    output's name, however short.

    >>> _why_not_written(OSError(errno.ENAMETOOLONG, "File name too long"), "/" + "d" * 4099)
    'its path is too long for the system: 4100 bytes'
    """
    if exc.errno == errno.ENAMETOOLONG:
        return f"its path is too long for the system: {len(os.fsencode(folder))} bytes"
    return str(exc.strerror)


def _part_place(target: Path) -> tuple[str, str]:
    """The folder ``target``'s temporary files go in, as the system finds it, and the
    start of their names, ``.<target name>.<pid>-`` (:func:`_part_prefix`).

    The folder is resolved: mkstemp drops each ".." with the name before it, which after a
    link to a folder ("link/..") leads to another folder, or to none.
    """
    folder = os.path.realpath(target.parent if str(target.parent) else ".")
    return folder, f"{_part_prefix(target.name)}{os.getpid()}-"


def _output_mode(target: Path) -> int:
    """The permission bits of an output written to ``target``: those of the file it
    replaces (a 0640 file overwritten stays 0640, as a file written in place would),
    else those of a new file (0666 less the umask). Set-id and sticky bits are not kept."""
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode) & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _raise_as_output_error(exc: BaseException, target: Path) -> None:
    """Raise the system's refusal to write (a full disk, a quota) as an OutputError naming
    ``target``, not the temporary file; anything else is left to the caller to raise."""
    if isinstance(exc, OSError) and not isinstance(exc, OutputError) and exc.errno:
        raise WriteRefusedError(exc.strerror, exc.errno, path=target) from None


# A temporary file is named <prefix><pid>-<8 random characters>.part, in at most 255
# bytes (NAME_MAX of the usual file systems): the id of the process writing it, so that
# another run into the folder tells a write in progress from a killed one, and
# mkstemp's random characters, so that no two writes share a name.
_NAME_MAX = 255
_PID_DIGITS = 10  # room for any process id (32 bits)
_PART_END = _PID_DIGITS + len("-") + 8 + len(".part")
#: What follows a temporary file's prefix: the writer's process id and mkstemp's random
#: characters (earlier versions wrote the random characters alone).
_PART_TOKEN = re.compile(r"(?:([0-9]{1,10})-)?[a-z0-9_]{8}")
_PART_WRITER = re.compile(r"\.([0-9]{1,10})-[a-z0-9_]{8}\.part\Z")


def _part_prefix(name: str) -> str:
    """``.<name>.``, the start of the temporary files of the output called ``name``.

    When the temporary name would exceed 255 bytes, ``name`` is cut and the
    start of its SHA-256 added, so that every output still has a prefix of its own.

    >>> _part_prefix("a.png")
    '.a.png.'
    >>> len(os.fsencode(_part_prefix("x" * 240 + ".png"))) + 24
    255
    """
    prefix = f".{name}."
    if len(os.fsencode(prefix)) + _PART_END <= _NAME_MAX:
        return prefix
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    cut = name
    while len(os.fsencode(f".{cut}~{digest}.")) + _PART_END > _NAME_MAX:
        cut = cut[:-1]
    return f".{cut}~{digest}."


#: The names of the temporary files in each folder listed so far (by folder), while
#: :func:`parts_listed_once` is in force; None: each call lists the folder again.
_LISTED: contextvars.ContextVar[dict[Path, list[str]] | None] = contextvars.ContextVar(
    "quantize_listed_parts", default=None)


@contextlib.contextmanager
def parts_listed_once() -> Iterator[None]:
    """Within, :func:`stale_parts` lists each folder once and looks its temporary files up
    in that listing afterwards: a folder of 20,000 files took 13 ms to list, for every
    output written into it.

    For a scope in which no writer into these folders can die unnoticed: one job (a
    batch job asks for the temporary files of its output, of the output's written mark,
    then of what the reduce writes), or the worker of one run's pool, whose run starts a
    fresh pool when a worker dies. Whether a listed file is still there, and whether its
    writer still runs, is asked each time. An enclosing scope's listings are kept.
    """
    if _LISTED.get() is not None:
        yield
        return
    token = _LISTED.set({})
    try:
        yield
    finally:
        _LISTED.reset(token)


def list_parts_once_from_now() -> None:
    """:func:`parts_listed_once` for the rest of this thread's work: in the worker
    process of one run's pool, whose jobs run in its main thread."""
    if _LISTED.get() is None:
        _LISTED.set({})


#: Outside :func:`parts_listed_once`, a folder's listing serves the calls of the next
#: few seconds: a Python loop of ``reduce_file`` over a folder of 5,000 files, writing
#: beside them, spent 2 ms a file listing it, and a listing as old as this misses only
#: the temporary files of a run killed since, which a later call clears.
_LISTING_LIFETIME = 5.0
_RECENT: dict[Path, tuple[float, list[str]]] = {}


def _part_names(base: Path, *, recent: bool = False) -> list[str]:
    """The names in the folder ``base`` that a temporary file may have (a dot before,
    ``.part`` after), from the listing :func:`parts_listed_once` keeps if any, else, when
    ``recent``, from one made in the last :data:`_LISTING_LIFETIME` seconds."""
    listed = _LISTED.get()
    if listed is not None and base in listed:
        return listed[base]
    now = time.monotonic()
    if (recent and listed is None and base in _RECENT
            and now - _RECENT[base][0] < _LISTING_LIFETIME):
        return _RECENT[base][1]
    # Names, not Paths: one Path an entry cost 4 times the listing itself.
    names = [n for n in os.listdir(base) if n.endswith(".part") and n.startswith(".")]
    if listed is not None:
        listed[base] = names
    else:
        if len(_RECENT) > _RECENT_FOLDERS:  # a loop over many folders keeps no old ones
            _RECENT.clear()
        _RECENT[base] = (now, names)
    return names


_RECENT_FOLDERS = 64


def stale_parts(folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Temporary files :func:`atomic_write` left in ``folder`` (a killed process's).

    The temporary file of a write still in progress, by a process running on this
    machine (this one among them), is not stale and not listed: two runs into one
    folder leave each other's alone. One whose process has ended is, and so is one
    named without a process id (by an earlier version). Where running processes
    cannot be told (other than POSIX systems), only the last kind is listed.

    Parameters
    ----------
    folder : path
        Where the outputs are written; a missing folder holds none.
    name : str, optional
        Only the temporary files of the output called ``name``; default: all.

    Returns
    -------
    list of Path
        Sorted. No process running on this machine writes them (but one of an earlier
        version would not say so in the names).
    """
    base = Path(folder)
    if not base.is_dir():
        return []
    return _stale_among(base, name, _part_names(base))


def _stale_among(base: Path, name: str | None, names: list[str]) -> list[Path]:
    """:func:`stale_parts` of the folder ``base``, whose temporary files' names are among
    ``names`` (:func:`_part_names`)."""
    if name is None:
        parts = (base / n for n in names)
        return sorted(p for p in parts
                      if not _written_now(_PART_WRITER.search(p.name)) and p.is_file())
    # "<prefix><token>.part", the token as _temporary_beside makes it, without a dot:
    # ".a.png.png.<token>.part" is a write of a.png.png (in progress in another worker,
    # perhaps), not of a.png, and ".a.png.part" no temporary file of ours.
    prefix = _part_prefix(name)
    found = []
    for n in names:
        if not n.startswith(prefix):
            continue
        token = _PART_TOKEN.fullmatch(n[len(prefix):-len(".part")])
        if token and not _written_now(token) and (base / n).is_file():
            found.append(base / n)
    return sorted(found)


def remove_stale_parts(outputs: Iterable[str | os.PathLike[str]]) -> None:
    """Delete the temporary files that a run killed while writing ``outputs`` left beside
    them (:func:`stale_parts`): only those of these names, and not those of a write still
    in progress in a running process, nor one the system will not let go.

    A folder listed in the last few seconds is not listed again (:data:`_LISTING_LIFETIME`):
    a temporary file left meanwhile, by a run killed since, is removed by a later call."""
    for output in outputs:
        path = Path(output)
        if not path.parent.is_dir():
            continue
        names = _part_names(path.parent, recent=True)
        for part in _stale_among(path.parent, path.name, names):
            with contextlib.suppress(OSError):
                part.unlink()


def _written_now(token: re.Match[str] | None) -> bool:
    """Whether the process named in a temporary file's name still runs (may write it)."""
    if token is None or token.group(1) is None:
        return False
    return _running(int(token.group(1)))


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine; True where that cannot be told."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # os.kill(pid, 0) would not test a process there but stop it
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # another user's process
        return True
    try:  # an ended child its parent has not waited for yet (Linux)
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rfind(b")") + 2:][:1] not in (b"Z", b"X")


def check_output_folder(folder: str | os.PathLike[str], name: str = "output_dir") -> Path:
    """``folder`` as a Path, when it is a folder or one can be made there; else raise.

    The nearest existing path of ``folder`` and its parents must be a folder:
    a file, a pipe, device or socket (as an output file's message names them,
    :data:`STREAM_OUTPUT`), or a link that leads nowhere, is in the way.

    >>> check_output_folder("/dev/null/out")
    Traceback (most recent call last):
    ValueError: output_dir='/dev/null/out' lies under '/dev/null', which is a pipe, device or \
socket; expected a folder

    Raises
    ------
    ValueError
        Naming ``name``, ``folder`` and what is in the way.
    """
    dst = check_path(folder, name)
    for path in (dst, *dst.parents):
        if path.exists() and path.is_dir():
            return dst
        if path.exists() or path.is_symlink():
            where = "is" if path == dst else f"lies under {quoted(path)}, which is"
            what = ("a pipe, device or socket" if is_stream(path) else "an existing file"
                    if path.exists()
                    else link_to_nothing_words(path))
            raise ValueError(f"{name}={quoted(dst)} {where} {what}; expected a folder")
    return dst


def missing_folders(folder: str | os.PathLike[str]) -> list[Path]:
    """``folder`` and its parents that do not exist (not even as a link), deepest first.

    What ``Path(folder).mkdir(parents=True)`` would create, so that a job can
    remove them again (:func:`remove_empty_folders`, as :func:`folder_made` does).
    """
    p = Path(folder)
    missing = []
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove those of ``folders`` (deepest first) that hold nothing; leave the others."""
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty, or gone
            folder.rmdir()


@contextlib.contextmanager
def folder_made(folder: str | os.PathLike[str], *, keep: bool = True) -> Iterator[list[Path]]:
    """Make ``folder`` and its missing parents for the block; remove again those it made
    that hold nothing (:func:`remove_empty_folders`) when the block fails or is interrupted,
    and with ``keep`` false, however it ends (a folder made for a check, or for outputs
    that may all fail). A folder that was there before the block is never removed.

    Yields the folders made, deepest first (:func:`missing_folders`; none when ``folder``
    was there).

    Raises
    ------
    OSError
        The system's, if a folder cannot be made; those made before it are removed.
    """
    made = missing_folders(folder)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        yield made
    except BaseException:
        remove_empty_folders(made)
        raise
    if not keep:
        remove_empty_folders(made)


def save_pil(image: Image.Image, path: str | os.PathLike[str], **params: Any) -> None:
    """Save a PIL image atomically, choosing the format from ``path``'s extension.

    A .gif of an image with an alpha channel (RGBA, LA, PA) gets binary
    transparency as every GIF quantize writes: alpha below
    :data:`GIF_ALPHA_THRESHOLD` is transparent, the rest opaque (Pillow alone
    would keep only alpha 0 transparent, or drop the alpha of an LA image). A
    palette image's .gif keeps its palette's order and entries, unless ``optimize``
    is given (Pillow's default drops, under 512 x 512 pixels, the entries no pixel
    takes, and renumbers the rest), and is not interlaced unless ``interlace`` is
    given (Pillow's default interlaces from 16 pixels a side, which costs bytes).

    Raises
    ------
    ValueError
        For an unknown extension, or a .gif of a palette image whose
        transparency gives entries alpha other than 0 and 255 (a PNG tRNS, as
        :meth:`quantize.reduce.ReduceResult.to_image` makes): GIF has one fully
        transparent entry, and Pillow fails on it with an unrelated error. Save
        ``result.to_image(gif=True)`` instead, or a .png.
    """
    fmt = Image.registered_extensions().get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(f"output={quoted(path)} has an unknown image extension; "
                         "expected e.g. .png, .gif, .jpg, .webp, .tif")
    alpha = params.get("transparency", image.info.get("transparency"))
    if fmt == "GIF" and image.mode == "P" and isinstance(alpha, bytes):
        raise ValueError(f"output={quoted(path)}: GIF has one fully transparent palette entry "
                         "and no partial alpha, but the image's transparency gives alpha per "
                         "entry (a PNG tRNS); save ReduceResult.to_image(gif=True) for a GIF, "
                         "or a .png to keep alpha")
    if fmt == "GIF" and image.mode in ("RGBA", "LA", "PA"):
        image = _binary_alpha(image)
    if fmt == "GIF":  # Pillow's default renumbers a small image's palette, unused entries out
        params = {"optimize": False, "interlace": False, **params}
    atomic_write(path, lambda tmp: image.save(tmp, format=fmt, **params))


def _binary_alpha(image: Image.Image) -> Image.Image:
    """``image`` as RGBA with alpha 0 below :data:`GIF_ALPHA_THRESHOLD` and 255 from it."""
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A").point(lambda a: 255 if a >= GIF_ALPHA_THRESHOLD else 0)
    rgba.putalpha(alpha)
    return rgba
