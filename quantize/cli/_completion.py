"""Shell completion (``_QUANTIZE_COMPLETE``): typer's shells, each candidate on one line.

Imported only when completion is asked for (``_OneLineErrors._main_shell_completion`` in
:mod:`quantize.cli.common`), as are the typer modules it extends.

Typer gave fish, zsh and PowerShell every option's whole help, wrapped by rich at the
terminal's width (80 columns where there is none): fish and PowerShell took each wrapped line
for a candidate of its own (``RGBA with alpha; an animation's frames or a TIFF's pages as the
pages of a``), and zsh listed whole paragraphs. Here a candidate's description is the start
of its help, as click shortens a command's help (:func:`one_line_help`), on one line whatever
the width; rich is not imported. Bash takes names only, as typer gives them.
"""

import os

from typer._completion_classes import (
    BashComplete,
    FishComplete,
    PowerShellComplete,
    ZshComplete,
    completion_init,
)

try:  # recent typer vendors its own copy of click
    from typer._click.shell_completion import (
        CompletionItem,
        ShellComplete,
        add_completion_class,
    )
    from typer._click.utils import make_default_short_help
except ImportError:  # older typer runs on click itself
    from click.shell_completion import CompletionItem, ShellComplete, add_completion_class
    from click.utils import make_default_short_help

#: The most characters of a candidate's description: its help's first sentence when that
#: is no longer, else its first words and "...".
HELP_LENGTH = 72

# What zsh's ``_arguments '*: :(("name":"description" ...))'`` list, which the zsh script
# evaluates, needs escaped: the quotes that enclose it, the characters the evaluation
# expands, and the colon between a name and its description.
_ZSH_ESCAPES = str.maketrans({'"': '""', "'": "''", "$": "\\$", "`": "\\`", ":": "\\\\:"})


def one_line_help(help: str | None) -> str:
    """The description of a candidate: the first sentence of ``help``, its white space one
    space each, cut to ``HELP_LENGTH`` characters; empty for no help.

    >>> one_line_help("Include sub-folders.\\nAlso their\\tfiles.")
    'Include sub-folders.'
    """
    return make_default_short_help(help, HELP_LENGTH) if help else ""


def typed_whole(args: list[str], incomplete: str) -> tuple[list[str], str]:
    """The words before the one completed, ``args``, and that word, ``incomplete``, with an
    option's ``=`` form whole, as click completes it (``--space=r``: the value of
    ``--space`` starting "r"). Bash splits the word at its ``=``, words of their own (its
    ``COMP_WORDBREAKS``): ``--space = r`` offered nothing, as ``=`` took the value's place.
    ``--dither=``, the flag's level, is completed as the hidden ``--dither-level=`` that
    :class:`~quantize.cli.common.DitherLevelCommand` reads it as.

    >>> typed_whole(["reduce", "--space", "="], "r"), typed_whole(["reduce", "--mode"], "=")
    ((['reduce'], '--space=r'), (['reduce'], '--mode='))
    >>> typed_whole(["segment", "-w", "xy", "="], ""), typed_whole(["reduce"], "--dither=o")
    ((['segment', '-w', 'xy', '='], ''), (['reduce'], '--dither-level=o'))
    """
    if args[-2:-1] and args[-2].startswith("-") and args[-1] == "=":
        args, incomplete = args[:-2], f"{args[-2]}={incomplete}"
    elif args and args[-1].startswith("-") and incomplete == "=":
        args, incomplete = args[:-1], f"{args[-1]}="
    if incomplete.startswith("--dither="):
        incomplete = "--dither-level=" + incomplete[len("--dither="):]
    return args, incomplete


class _WholeWords(ShellComplete):
    """Completion of a word as :func:`typed_whole` gives it, for each shell."""

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        return super().get_completions(*typed_whole(args, incomplete))


#: Bash's completion script: typer's, and no space after a candidate ending in "=" (a
#: weight's ``color=``), whose value is typed next: ``-w color= 2`` was read as two words.
#: ``compopt`` is bash 4's; an older bash keeps the space.
_BASH_SCRIPT = """
%(complete_func)s() {
    local IFS=$'\\n' candidate
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   %(autocomplete_var)s=complete_bash $1 ) )
    for candidate in "${COMPREPLY[@]}"; do
        if [[ $candidate == *= ]]; then
            compopt -o nospace 2>/dev/null
            break
        fi
    done
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""


class _Bash(_WholeWords, BashComplete):
    """Bash's candidates, names only, as typer gives them; its script adds no space after
    a name that ends in "=" (:data:`_BASH_SCRIPT`)."""

    source_template = _BASH_SCRIPT


class _FishOneLine(_WholeWords, FishComplete):
    """Fish's candidates, one a line: ``name<TAB>description``, or ``name``."""

    def format_completion(self, item: CompletionItem) -> str:
        described = one_line_help(item.help)
        return f"{item.value}\t{described}" if described else item.value


class _ZshOneLine(_WholeWords, ZshComplete):
    """Zsh's candidates, one a line: ``"name":"description"``, or ``"name"``; those that
    end in "=" (a weight's ``color=``, its value typed next) added with no space after
    them, names only (:func:`_zsh_open_names`)."""

    def format_completion(self, item: CompletionItem) -> str:
        name = f'"{item.value.translate(_ZSH_ESCAPES)}"'
        described = one_line_help(item.help)
        return f'{name}:"{described.translate(_ZSH_ESCAPES)}"' if described else name

    def complete(self) -> str:
        items = self.get_completions(*self.get_completion_args())
        closed = [self.format_completion(item) for item in items
                  if not item.value.endswith("=")]
        open_ = _zsh_open_names([item.value for item in items if item.value.endswith("=")])
        if not closed:
            return open_ or "_files"
        listed = "_arguments '*: :((" + "\n".join(closed) + "))'"
        return f"{open_}; {listed}" if open_ else listed


def _zsh_open_names(names: list[str]) -> str:
    """The zsh command that adds ``names`` with no space after each (``compadd -S ''``),
    each quoted for the ``eval`` of the zsh script; empty for none.

    >>> print(_zsh_open_names(["color=", "it's="]))
    compadd -S '' -- 'color=' 'it'\\''s='
    >>> _zsh_open_names([])
    ''
    """
    if not names:
        return ""
    return "compadd -S '' -- " + " ".join("'" + name.replace("'", "'\\''") + "'"
                                          for name in names)


class _PowerShellOneLine(_WholeWords, PowerShellComplete):
    """PowerShell's candidates, one a line: ``name:::description``, the description a
    space for no help (the script's ``CompletionResult`` takes no empty tooltip)."""

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.value}:::{one_line_help(item.help) or ' '}"


def register_shells() -> None:
    """Make typer's shells known to click's completion, fish, zsh and PowerShell (also
    named ``pwsh``) with one-line candidates, each completing an option's ``=`` form
    (:func:`typed_whole`)."""
    completion_init()
    add_completion_class(_Bash, _Bash.name)
    add_completion_class(_FishOneLine, _FishOneLine.name)
    add_completion_class(_ZshOneLine, _ZshOneLine.name)
    for name in ("powershell", "pwsh"):
        add_completion_class(_PowerShellOneLine, name)


def missing_words(shell: str, verb: str, complete_var: str, prog_name: str) -> str | None:
    """Why ``{verb}_{shell}`` cannot complete: bash's ``complete`` reads the words from
    ``COMP_WORDS`` and ``COMP_CWORD`` (an index, >= 0), which typer took from the
    environment unchecked (a ``KeyError`` traceback without them). None when it can."""
    if (shell, verb) != ("bash", "complete"):
        return None
    index = os.environ.get("COMP_CWORD", "")
    if "COMP_WORDS" in os.environ and index.isascii() and index.isdigit():
        return None
    return ("completing for bash needs COMP_WORDS and COMP_CWORD (an index >= 0), which its "
            f"completion script sets: eval \"$({complete_var}=bash_source {prog_name})\"")
