"""Every CSV and XLSX the platform writes goes through here, so that no cell can run as a formula.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or carriage return) as a formula: a measure called
``=HYPERLINK("http://x","y")`` would become a link in whoever opens the export.
As OWASP recommends for CSV injection, such a text cell is prefixed with a
single quote, which spreadsheets show as text. Only text is changed: numbers
stay numbers (a negative number is a number, not a formula). Imports no other
project app, so any app can use it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The cell as written: a text cell that a spreadsheet would run is prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in row]


class CsvWriter:
    """`csv.writer` with every cell made safe first."""

    def __init__(self, file, **fmtparams):
        self._writer = csv.writer(file, **fmtparams)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **fmtparams) -> CsvWriter:
    """A CSV writer onto `file` (an HttpResponse, an open file) that neutralises formulas."""
    return CsvWriter(file, **fmtparams)


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one line of CSV text, made safe: for a StreamingHttpResponse."""
    writer = CsvWriter(_Line())
    for row in rows:
        yield writer.writerow(row)


def xlsx_cell(value: object) -> object:
    """A cell as an XLSX sheet gets it: made safe, and without the control characters XML cannot hold.

    They are dropped before the formula check, which they could otherwise hide
    from, rather than failing the whole export.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)


def xlsx_bytes(sheets: Mapping[str, Iterable[Iterable[object]]]) -> bytes:
    """A workbook with one sheet per entry (title: rows), every cell made safe.

    Written in openpyxl's write-only mode, so a large table streams to the
    file instead of being held as cell objects.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([xlsx_cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
