"""The manual: the README and the reference pages under docs/, read as one text, in the order
the README lists them, so that a test finds a section wherever it lives."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = ("kmeans", "reduce", "palette", "animations", "segment", "batch", "errors", "figures")
MANUAL_FILES = (README, *(ROOT / "docs" / f"{page}.md" for page in PAGES))


def manual_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in MANUAL_FILES)


def manual_section(heading: str) -> str:
    """The manual's text under ``## heading``, up to the next ``## `` heading."""
    return manual_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def option_entries(command: str) -> list[tuple[str, str]]:
    """``(names, text)`` of each option the manual describes in full for ``command`` (``reduce``
    or ``segment``), in its order: ``("-k, --colors K", "Number of colours, ...")``."""
    section = manual_section(f"The options of `{command}`, in full")
    return re.findall(r"^### `(.+?)`\n\n(.+?)(?=\n\n### |\n*\Z)", section, flags=re.M | re.S)


def option_summaries(command: str) -> list[str]:
    """The names in the first cells of the short option table of ``command``, in its order."""
    heading = {"reduce": "Colour reduction", "segment": "Segmentation"}[command]
    return re.findall(r"^\| \[(.+?)\]\(#[\w-]+\) \| ", manual_section(heading), flags=re.M)
