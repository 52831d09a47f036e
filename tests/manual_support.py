"""The manual: the README and the reference pages under docs/, read as one text, in the order
the README lists them, so that a test finds a section wherever it lives."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = ("kmeans", "reduce", "animations", "segment", "batch", "errors", "figures")
MANUAL_FILES = (README, *(ROOT / "docs" / f"{page}.md" for page in PAGES))


def manual_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in MANUAL_FILES)


def manual_section(heading: str) -> str:
    """The manual's text under ``## heading``, up to the next ``## `` heading."""
    return manual_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
