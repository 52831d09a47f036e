"""The HTML report of a batch run: one static, self-contained page.

- ``page``: :func:`write_html_report` lays out one row per file (thumbnails
  before and after, palette swatches, metrics, failures with their reason);
- ``thumbnails``: embedded thumbnails and palette shares read from images;
- ``assets``: the fixed style sheet, script that sorts and filters the rows, and page skeleton.

Pillow and NumPy only.
"""

from .page import check_html_path, read_palette_shares, write_html_report

__all__ = ["check_html_path", "read_palette_shares", "write_html_report"]
