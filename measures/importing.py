"""Importing measure data from CSV or XLSX: read, check every row, then all or nothing.

The file format is docs/architecture.md section 4: a header row
`measure_code,period_start,stratum,numerator,denominator,value` and one row
per data point. Reading and checking (`read_rows`, `check_rows`) touch no
database; `apply` writes the whole file in one transaction, or nothing.

A file holds at most 50,000 rows of data and, for a workbook, unpacks to at
most 50 MB. Both are checked while the file is read, never after: a workbook's
declared sizes before any of it is parsed, what it really unpacks to as it is
parsed, and rows as they stream past, so a small zip bomb costs nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

MB = 1024 * 1024
MAX_BYTES = 10 * MB  # the file as uploaded
MAX_ROWS = 50_000  # rows of data, after the header
MAX_UNCOMPRESSED = 50 * MB  # what a workbook unpacks to
MAX_PART = 5 * MB  # a workbook part parsed whole (styles, the workbook itself): far more than any real one
MAX_PARTS = 1_000  # files inside a workbook
MAX_CELLS_PER_ROW = 1_000  # a data file has six columns
MAX_CELL_PARTS = 1_000  # XML elements inside one workbook cell (rich text runs)
MAX_REPORTED = 200  # problems listed; the rest are counted
LIMITS = "at most 10 MB, 50,000 rows of data and, for an Excel workbook, 50 MB once unpacked"
MAX_COUNT = 10**15  # far beyond any real count, well inside a 64-bit integer
MAX_VALUE = Decimal(10) ** 12  # the data point's value column holds 18 digits, 6 after the point
VALUE_PLACES = Decimal("0.000001")
COLUMNS = ["measure_code", "period_start", "stratum", "numerator", "denominator", "value"]
XLSX_MAGIC = b"PK\x03\x04"
# A plain number in ASCII digits, with thousands separators already removed. Python's own int() and
# Decimal() also take Arabic-Indic, full-width and other digits, and underscores: we do not.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what the platform's exports prefix with ' (organisations.exports)
WHOLE_ROW = "(whole row)"


class FileRefused(Exception):
    """The file as a whole cannot be read (wrong type, too big, no header)."""


@dataclass(frozen=True)
class RowError:
    row: int  # the row number a person sees in their spreadsheet (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class Record:
    row: int
    measure_code: str
    period_start: date
    stratum: str
    numerator: int | None
    denominator: int | None
    value: Decimal | None


@dataclass
class CheckResult:
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # the first MAX_REPORTED problems
    error_count: int = 0  # every problem, listed or not
    rows: int = 0  # rows checked

    def add(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)

    @property
    def ok(self) -> bool:
        return not self.error_count

    @property
    def unlisted(self) -> int:
        """Problems found beyond the ones listed."""
        return self.error_count - len(self.errors)


# --- Reading ------------------------------------------------------------------


def sniff_kind(name: str, head: bytes) -> str:
    """'csv' or 'xlsx', judged by the content as well as the name; refuse anything else."""
    lower = (name or "").lower()
    if lower.endswith(".xlsx"):
        if not head.startswith(XLSX_MAGIC):
            raise FileRefused("The file is called .xlsx but is not an Excel workbook.")
        return "xlsx"
    if lower.endswith(".csv"):
        if head.startswith(XLSX_MAGIC) or b"\x00" in head:
            raise FileRefused("The file is called .csv but is not a text file.")
        return "csv"
    raise FileRefused("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")


class _Unreadable:
    """A row the file's own format could not give us (a cell over the CSV size limit, thousands of cells)."""

    def __init__(self, message: str):
        self.message = message


def read_rows(name: str, data: bytes) -> Iterator[tuple[int, dict[str, object]]]:
    """(row number, {column: cell}) for every non-empty row after the header, as the file is read.

    The type, size and header are checked at once (FileRefused); the rows
    stream, and FileRefused interrupts them when the file passes a limit.
    A row that cannot be read at all has the single key WHOLE_ROW.
    """
    if len(data) > MAX_BYTES:
        raise FileRefused(f"The file is {len(data) / MB:.1f} MB; the limit is 10 MB.")
    kind = sniff_kind(name, data[:2048])
    raw = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    first = next(raw, None)
    if first is None:
        raise FileRefused("The file is empty.")
    number, cells = first
    if isinstance(cells, _Unreadable):
        raise FileRefused(f"The header row could not be read: {cells.message}.")
    width = max(cells, default=-1) + 1 if isinstance(cells, dict) else len(cells)
    header = [str(_cell(cells, i) or "").strip().lower() for i in range(width)] if number == 1 else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise FileRefused(
            "The header row must name the columns " + ", ".join(COLUMNS) + "; missing: " + ", ".join(missing) + "."
        )
    return _data_rows(raw, {c: header.index(c) for c in COLUMNS})


def _data_rows(raw, index: dict[str, int]) -> Iterator[tuple[int, dict[str, object]]]:
    count = 0
    for number, cells in raw:
        if not isinstance(cells, _Unreadable):
            if all(_blank(cell) for cell in (cells.values() if isinstance(cells, dict) else cells)):
                continue
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(
                f"The file has more than {MAX_ROWS:,} rows of data; the limit is {MAX_ROWS:,}. "
                "Split it into smaller files."
            )
        if isinstance(cells, _Unreadable):
            yield number, {WHOLE_ROW: cells}
        else:
            yield number, {c: _cell(cells, i) for c, i in index.items()}


def _cell(cells, i: int):
    if isinstance(cells, dict):
        return cells.get(i)
    return cells[i] if i < len(cells) else None


def _csv_rows(data: bytes) -> Iterator[tuple[int, list | _Unreadable]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise FileRefused("The CSV file's text encoding could not be read: save it as UTF-8.") from exc
    reader = csv.reader(io.StringIO(text))
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader starts afresh on the next line
            if "field limit" in str(exc):
                yield number, _Unreadable(f"a cell is longer than {csv.field_size_limit():,} characters")
            else:
                yield number, _Unreadable(f"the row is not valid CSV ({exc})")
            continue
        if len(row) > MAX_CELLS_PER_ROW:
            yield number, _Unreadable(f"the row has {len(row):,} cells; a data file has six columns")
            continue
        yield number, row


# --- Reading a workbook -----------------------------------------------------------

WORKBOOK_BROKEN = "The Excel workbook could not be opened; save it again as .xlsx."
TOO_BIG_UNPACKED = (
    "The workbook unpacks to more than 50 MB; the limit is 50 MB uncompressed. "
    "Save only the data sheet, or save it as CSV."
)


class _BoundedZip(zipfile.ZipFile):
    """A zip whose parts, whoever reads them, stop with FileRefused past the uncompressed limit.

    The declared sizes are checked before anything is parsed; this counts what
    the parts really unpack to as they are parsed (a part read twice counts once).
    """

    def __init__(self, file):
        super().__init__(file)
        self.unpacked = 0
        self._furthest: dict[str, int] = {}

    def open(self, name, mode="r", pwd=None, **kwargs):
        opened = super().open(name, mode, pwd, **kwargs)
        if mode != "r":
            return opened
        return _Counted(opened, self, getattr(name, "filename", name))

    def count(self, name: str, position: int) -> None:
        furthest = self._furthest.get(name, 0)
        if position > furthest:
            self.unpacked += position - furthest
            self._furthest[name] = position
            if self.unpacked > MAX_UNCOMPRESSED:
                raise FileRefused(TOO_BIG_UNPACKED)


class _Counted(io.RawIOBase):
    def __init__(self, raw, archive: _BoundedZip, name: str):
        self._raw, self._archive, self._name, self._position = raw, archive, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self._position += n
        self._archive.count(self._name, self._position)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _open_workbook(data: bytes) -> _BoundedZip:
    """The workbook's zip, refused from its declared sizes before any part is parsed."""
    try:
        archive = _BoundedZip(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise FileRefused(WORKBOOK_BROKEN) from exc
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        archive.close()
        raise FileRefused(f"The workbook holds more than {MAX_PARTS:,} files; save it again as .xlsx.")
    if sum(part.file_size for part in parts) > MAX_UNCOMPRESSED:
        archive.close()
        raise FileRefused(TOO_BIG_UNPACKED)
    for part in parts:
        streamed = part.filename.startswith("xl/worksheets/") or part.filename == "xl/sharedStrings.xml"
        if not streamed and part.file_size > MAX_PART:
            archive.close()
            raise FileRefused(f"The workbook's part {part.filename[:60]} unpacks to more than 5 MB; save it again.")
    return archive


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, dict[int, object] | _Unreadable]]:
    """Rows of the first sheet as {column index: cell}, parsed once, in openpyxl's read-only reader."""
    archive = _open_workbook(data)
    try:
        sheet, strings, book = _workbook_parts(archive, data)
        with archive.open(sheet) as source:
            yield from _sheet_rows(source, strings, book)
    finally:
        archive.close()


def _workbook_parts(archive: _BoundedZip, data: bytes):
    """The first worksheet's path, the shared strings and the workbook (for dates), read through `archive`.

    openpyxl's own load_workbook would also open every sheet to find its size
    (the whole sheet, when it does not declare one): we take its reader's
    steps up to the sheets and stream the first sheet ourselves.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.archive.close()
        reader.archive = archive  # every part is read through the size-checking zip
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(archive, reader.wb)
        names = set(archive.namelist())
        sheets = [rel for _, rel in reader.parser.find_sheets() if rel.target in names]
        sheet = next((rel.target for rel in sheets if "chartsheet" not in rel.Type), None)
    except FileRefused:
        raise
    except Exception as exc:  # a broken zip or workbook: say so plainly
        raise FileRefused(WORKBOOK_BROKEN) from exc
    if sheet is None:
        raise FileRefused("The workbook has no worksheet.")
    return sheet, reader.shared_strings, reader.wb


def _sheet_rows(source, strings, book) -> Iterator[tuple[int, dict[int, object] | _Unreadable]]:
    """Stream a worksheet's rows, keeping nothing of the XML once a row is read.

    openpyxl's parser turns each cell into a value (shared strings, numbers,
    dates); the walk is ours (`_walk_sheet`) so that a finished element is
    dropped at once and no row or cell can grow without bound.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    parser = WorkSheetParser(
        source,
        strings,
        data_only=True,
        epoch=book.epoch,
        date_formats=getattr(book, "_date_formats", set()),
        timedelta_formats=getattr(book, "_timedelta_formats", set()),
    )
    try:
        yield from _walk_sheet(source, parser)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused("The workbook's first sheet could not be read; save it again as .xlsx.") from exc


def _walk_sheet(source, parser) -> Iterator[tuple[int, dict[int, object]]]:
    """(row number, {column index: cell}) for each row of the sheet, refusing a row of too many cells.

    Every element outside a cell is dropped from its parent as soon as it
    ends, so memory stays flat however long the sheet; a cell is read whole
    by `_read_cell`, which needs its children until it is parsed.
    """
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    row_tag, cell_tag, formula_tag = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("row", "c", "f"))
    events = iter(iterparse(source, events=("start", "end")))
    stack: list = []  # the elements open around the current one
    cells: dict[int, object] = {}
    cell_count = 0
    for event, element in events:
        if event == "end":
            stack.pop()
            if element.tag == row_tag:
                yield parser.row_counter, cells
        elif element.tag == cell_tag:
            cell_count += 1
            if cell_count > MAX_CELLS_PER_ROW:
                raise FileRefused(
                    f"Row {parser.row_counter} has more than {MAX_CELLS_PER_ROW:,} cells; a data file has six columns."
                )
            _read_cell(events, element, parser, formula_tag, cells)  # on to the cell's end: it is finished too
        else:
            if element.tag == row_tag:
                number = element.get("r")
                parser.row_counter = int(number) if number else parser.row_counter + 1
                parser.col_counter = 0
                cells, cell_count = {}, 0
            stack.append(element)
            continue
        if stack:
            del stack[-1][-1]  # the element just finished is its parent's last child: memory stays flat


def _read_cell(events, cell, parser, formula_tag: str, cells: dict[int, object]) -> None:
    """Read the cell just started on to its end and keep its value, if it has one, in `cells`.

    The cell's value, formula and text stay attached to it for openpyxl to
    parse; a cell of more than MAX_CELL_PARTS elements (rich text runs) is
    refused rather than held.
    """
    depth = parts = 0  # depth: of the element being read, below the cell
    for event, _ in events:
        if event == "start":
            parts += 1
            if parts > MAX_CELL_PARTS:
                raise FileRefused(f"Row {parser.row_counter} has a cell too complicated to read.")
            depth += 1
        elif depth:
            depth -= 1
        else:
            break  # the cell's own end
    value = parser.parse_cell(cell)
    if value["value"] is None and cell.find(formula_tag) is not None:
        formula = parser.parse_formula(cell)
        value["value"] = _Unsaved(formula if isinstance(formula, str) else "=" + str(formula.text))
    if value["value"] is not None:
        cells[value["column"] - 1] = value["value"]


class _Unsaved:
    """A formula whose result was never saved in the file (written by a program, not Excel)."""

    def __init__(self, formula: str):
        self.formula = formula

    def __str__(self) -> str:
        return self.formula


# --- Checking -----------------------------------------------------------------


def check_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]],
    measures: Mapping[str, object],
    *,
    is_category,
    period_ok,
) -> CheckResult:
    """Check every row against the organisation's measures; report every problem.

    `measures` maps code to an object with `dimension`, `has_fraction`,
    `is_proportion` and `frequency`; `is_category(dimension, category)` and
    `period_ok(frequency, date) -> str | None` come from the caller so this
    module needs no database.

    The period, the stratum and the figures each have their own function,
    called in the order their problems are listed; the loop, run for up to
    MAX_ROWS rows, only finds the measure, calls them and keeps the good rows.
    """
    result = CheckResult()
    seen: dict[tuple[str, date, str], int] = {}
    for number, cells in rows:
        result.rows += 1
        errors_before = result.error_count

        def error(column: str, message: str, number=number) -> None:
            result.add(RowError(number, column, message))

        if _unreadable(cells, error):
            continue
        code = _text(cells.get("measure_code"))
        measure = measures.get(code) if code else None
        if not code:
            error("measure_code", "the measure code is missing")
        elif measure is None:
            error("measure_code", f"there is no measure with the code {code!r} in this organisation")
        period = _check_period(cells.get("period_start"), measure, period_ok, error)
        stratum = _text(cells.get("stratum")) or ""
        _check_stratum(stratum, code, measure, is_category, error)
        if measure is None:  # the figures cannot be judged without it
            numerator = denominator = value = None
        elif measure.has_fraction:
            numerator, denominator, value = _check_fraction(cells, code, measure, error)
        else:
            numerator, denominator, value = _check_value(cells, code, measure, error)
        if result.error_count > errors_before:
            continue
        key = (code, period, stratum)
        if key in seen:
            error("stratum", f"the same measure, period and stratum are already on row {seen[key]}")
            continue
        seen[key] = number
        result.records.append(Record(number, code, period, stratum, numerator, denominator, value))
    return result


def _unreadable(cells: Mapping[str, object], error) -> bool:
    """Report a row we could not read, or one with formulas never worked out: nothing else in it can be judged.

    True when the row has been reported and is to be left there.
    """
    if WHOLE_ROW in cells:
        error(WHOLE_ROW, cells[WHOLE_ROW].message)
        return True
    unsaved = False
    for column, cell in cells.items():
        if isinstance(cell, _Unsaved):
            error(
                column,
                f"the formula {cell.formula} has no saved result: open the file in Excel, save it and upload it again",
            )
            unsaved = True
    return unsaved


def _check_period(cell, measure, period_ok, error) -> date | None:
    """The period's first day, or None (reported); a known measure also judges it against its frequency."""
    period = _date(cell)
    if period is None and _foreign_digits(cell):
        error("period_start", "write the date with the digits 0 to 9, as YYYY-MM-DD")
    elif period is None:
        error("period_start", "give the period's first day as YYYY-MM-DD")
    elif measure is not None:
        problem = period_ok(measure.frequency, period)
        if problem:
            error("period_start", problem)
    return period


def _check_stratum(stratum: str, code: str | None, measure, is_category, error) -> None:
    """Report a missing stratum, or one that is not a group of the measure's own dimension."""
    if not stratum:
        error("stratum", "the stratum is missing: use all, or dimension:category such as ethnicity:M")
    elif stratum != "all" and measure is not None:
        dimension, _, category = stratum.partition(":")
        if not measure.dimension:
            error("stratum", f"measure {code} is not broken down by any group: use all")
        elif dimension != measure.dimension:
            error("stratum", f"measure {code} is broken down by {measure.dimension}, not {dimension or '?'}")
        elif not is_category(dimension, category):
            error("stratum", f"{category!r} is not a group of {dimension}")


def _check_fraction(
    cells: Mapping[str, object], code: str | None, measure, error
) -> tuple[int | None, int | None, None]:
    """(numerator, denominator, None): two counts, no value, a proportion's numerator no more than its denominator."""
    if _blank(cells.get("value")) is False:
        error("value", f"measure {code} takes a numerator and a denominator, not a value")
    numerator = _count(cells.get("numerator"), "numerator", error)
    denominator = _count(cells.get("denominator"), "denominator", error)
    if denominator == 0:
        error("denominator", "the denominator must be more than 0 (leave the row out for a gap)")
    if measure.is_proportion and numerator is not None and denominator and numerator > denominator:
        error("numerator", f"the numerator ({numerator}) is more than the denominator ({denominator})")
    return numerator, denominator, None


def _check_value(cells: Mapping[str, object], code: str | None, measure, error) -> tuple[None, None, Decimal | None]:
    """(None, None, value) for a measure of values: a value and no counts, a whole number if it counts people."""
    if not (_blank(cells.get("numerator")) and _blank(cells.get("denominator"))):
        error("numerator", f"measure {code} takes a value, not a numerator and denominator")
        return None, None, None
    value = _decimal(cells.get("value"), error)
    if value is not None and getattr(measure, "value_is_count", False):
        if value < 0 or value != value.to_integral_value():
            error("value", f"measure {code} counts people or events: give a whole number of 0 or more")
    return None, None, value


def _blank(cell) -> bool:
    return cell is None or str(cell).strip() == ""


def _text(cell) -> str | None:
    if _blank(cell):
        return None
    text = str(cell).strip()
    # Our own exports write a text cell that starts like a formula with a ' in front: read it back as it was.
    if text.startswith("'") and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _foreign_digits(cell) -> bool:
    """Digits other than 0-9 (Arabic-Indic, full-width...): Python reads them as numbers, we do not."""
    return isinstance(cell, str) and any(ch.isdigit() and not ch.isascii() for ch in cell)


def _date(cell) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if not text or not text.isascii():
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) in (10, 19) else None
    except ValueError:
        return None


def _number(cell, column, error, wrong: str) -> Decimal | None:
    """The cell as a Decimal when it is a plain number in ASCII digits; otherwise report it and None."""
    if isinstance(cell, (int, float, Decimal)) and not isinstance(cell, bool):
        text = str(cell)
    else:
        text = str(cell).strip().replace(",", "")
    if _foreign_digits(text):
        error(column, f"write the {column} with the digits 0 to 9, not {str(cell).strip()!r}")
        return None
    if not NUMBER.fullmatch(text):
        error(column, f"{wrong}, not {str(cell)!r}")
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        error(column, f"{wrong}, not {str(cell)!r}")
        return None


def _count(cell, column, error) -> int | None:
    if _blank(cell):
        error(column, f"the {column} is missing")
        return None
    number = _number(cell, column, error, f"the {column} must be a whole number")
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        error(column, f"the {column} must be a whole number of 0 or more, not {str(cell).strip()}")
        return None
    if number > MAX_COUNT:
        error(column, f"the {column} is too large to be a count ({str(cell).strip()})")
        return None
    return int(number)


def _decimal(cell, error) -> Decimal | None:
    if _blank(cell):
        error("value", "the value is missing (leave the row out for a gap)")
        return None
    number = _number(cell, "value", error, "the value must be a number")
    if number is None:
        return None
    if abs(number) >= MAX_VALUE:
        error("value", f"the value is too large ({str(cell).strip()}); values must be below a trillion")
        return None
    # Stored with six decimal places: round now so that re-importing the same file changes nothing.
    return number.quantize(VALUE_PLACES)


# --- Writing ------------------------------------------------------------------


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def apply(
    organisation,
    records: list[Record],
    measures_by_code: Mapping[str, object],
    *,
    by,
    source: str,
    dry_run: bool = False,
) -> Summary:
    """Create or replace the records' data points in one transaction, with their history.

    Re-applying the same records changes nothing (and writes no history).
    With dry_run, count what would change and write nothing.
    """
    from django.db import transaction
    from django.utils import timezone

    from .models import DataPoint, DataPointRevision, point_payload

    summary = Summary()
    measure_ids = {measures_by_code[r.measure_code].pk for r in records}
    existing = {
        (p.measure_id, p.period_start, p.stratum): p
        for p in DataPoint.objects.filter(organisation=organisation, measure_id__in=measure_ids)
    }
    now = timezone.now()
    creates, updates, revisions = [], [], []
    for record in records:
        measure = measures_by_code[record.measure_code]
        key = (measure.pk, record.period_start, record.stratum)
        new = point_payload(record.numerator, record.denominator, record.value)
        point = existing.get(key)
        if point is None:
            creates.append(
                DataPoint(
                    organisation=organisation,
                    measure=measure,
                    period_start=record.period_start,
                    stratum=record.stratum,
                    numerator=record.numerator,
                    denominator=record.denominator,
                    value=record.value,
                    updated_at=now,
                    updated_by=by,
                    source=source,
                )
            )
            old = None
            summary.created += 1
        else:
            old = point_payload(point.numerator, point.denominator, point.value)
            if _same(old, new):
                summary.unchanged += 1
                continue
            point.numerator, point.denominator, point.value = record.numerator, record.denominator, record.value
            point.updated_at, point.updated_by, point.source = now, by, source
            updates.append(point)
            summary.updated += 1
        revisions.append(
            DataPointRevision(
                organisation=organisation,
                measure=measure,
                period_start=record.period_start,
                stratum=record.stratum,
                old=old,
                new=new,
                source=source,
                at=now,
                by=by,
            )
        )
    if dry_run:
        return summary
    with transaction.atomic():
        DataPoint.objects.bulk_create(creates, batch_size=2000)
        DataPoint.objects.bulk_update(
            updates, ["numerator", "denominator", "value", "updated_at", "updated_by", "source"], batch_size=2000
        )
        DataPointRevision.objects.bulk_create(revisions, batch_size=2000)
    return summary


def _same(old: dict, new: dict) -> bool:
    def norm(payload):
        value = payload["value"]
        return (payload["numerator"], payload["denominator"], None if value is None else Decimal(value).normalize())

    return norm(old) == norm(new)


def collaborative_start(organisation) -> date:
    """When the organisation's collaborative started (the earliest, if it is in several); today if none."""
    from django.db.models import Min
    from django.utils import timezone

    from collaborative.models import Collaborative

    started = Collaborative.objects.filter(enrolments__organisation=organisation, enrolments__active=True).aggregate(
        first=Min("start_date")
    )["first"]
    return started or timezone.localdate()


def check_for(organisation, rows, *, today: date | None = None) -> tuple[CheckResult, dict]:
    """Check rows against this organisation's measures and the periods its data may have.

    The grid, the import and the API all check here: a period must start a
    period of its measure's frequency and lie within `periods.bounds`.
    """
    from django.utils import timezone

    from qi_projects import equality

    from . import periods
    from .models import Measure

    started, today = collaborative_start(organisation), today or timezone.localdate()

    def period_ok(frequency: str, day: date) -> str | None:
        return periods.problem(frequency, day) or periods.outside(frequency, day, started, today)

    measures = {m.code: m for m in Measure.objects.filter(organisation=organisation)}
    result = check_rows(rows, measures, is_category=equality.is_category, period_ok=period_ok)
    return result, measures


def import_file(organisation, name: str, data: bytes, *, by, source: str = "import", dry_run: bool = False):
    """Read, check and (unless dry_run or any row is bad) apply a whole file.

    Returns (CheckResult, Summary | None). Raises FileRefused for files that cannot be read at all.
    """
    rows = read_rows(name, data)
    result, measures = check_for(organisation, rows)
    if not result.ok:
        return result, None
    return result, apply(organisation, result.records, measures, by=by, source=source, dry_run=dry_run)
