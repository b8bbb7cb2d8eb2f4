"""The one CSV writer of the product: every CSV it emits (dashboard downloads, exports, the
import's error list) goes through it, so formulas are neutralised the same way everywhere.

Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (`=HYPERLINK(...)` can leak the sheet). Such text cells get a leading `'`, which
spreadsheets show as plain text; numbers are written as numbers (a negative number stays one).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> int: ...


def cell(value: Any) -> str:
    """One value as CSV text: None is empty, times ISO 8601, formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class CsvWriter:
    """csv.writer with every cell passed through `cell` (all fields quoted, CRLF lines)."""

    def __init__(self, handle: _Writable, *, bom: bool = False) -> None:
        if bom:
            handle.write("\ufeff")  # lets spreadsheet software detect UTF-8
        self._writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def writerow(self, row: Sequence[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def to_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A whole small CSV as a string (dashboard downloads)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
