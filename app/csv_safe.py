"""CSV that a spreadsheet opens without running anything: the one writer for every export.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (CSV injection); such text gets a leading ``'``, which
the spreadsheet shows as text. Numbers, dates and ``None`` pass through unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` unless it is text that starts like a formula, which gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(
    out: io.TextIOBase | io.StringIO, rows: Iterable[Iterable[object]], lineterminator: str = "\r\n"
) -> None:
    writer = csv.writer(out, lineterminator=lineterminator)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])


def to_csv(rows: Iterable[Iterable[object]]) -> str:
    """The whole export as one string (RFC 4180 line endings)."""
    out = io.StringIO()
    write_rows(out, rows)
    return out.getvalue()
