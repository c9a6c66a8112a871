"""Importing measure data from CSV or XLSX: read, check every row, then all or nothing.

The file format is docs/architecture.md section 4: a header row
`measure_code,period_start,stratum,numerator,denominator,value` and one row
per data point. Reading and checking (`read_rows`, `check_rows`) touch no
database; `apply` writes the whole file in one transaction, or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

MAX_BYTES = 10 * 1024 * 1024
MAX_COUNT = 10**15  # far beyond any real count, well inside a 64-bit integer
MAX_VALUE = Decimal(10) ** 12  # the data point's value column holds 18 digits, 6 after the point
VALUE_PLACES = Decimal("0.000001")
COLUMNS = ["measure_code", "period_start", "stratum", "numerator", "denominator", "value"]
XLSX_MAGIC = b"PK\x03\x04"


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
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


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


def read_rows(name: str, data: bytes) -> list[tuple[int, dict[str, object]]]:
    """(row number, {column: cell}) for every non-empty row after the header."""
    if len(data) > MAX_BYTES:
        raise FileRefused(f"The file is {len(data) / 1_048_576:.1f} MB; the limit is 10 MB.")
    kind = sniff_kind(name, data[:2048])
    raw = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    if not raw:
        raise FileRefused("The file is empty.")
    header = [str(cell or "").strip().lower() for cell in raw[0][1]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise FileRefused(
            "The header row must name the columns " + ", ".join(COLUMNS) + "; missing: " + ", ".join(missing) + "."
        )
    index = {c: header.index(c) for c in COLUMNS}
    rows = []
    for number, cells in raw[1:]:
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        rows.append((number, {c: (cells[i] if i < len(cells) else None) for c, i in index.items()}))
    return rows


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise FileRefused("The CSV file's text encoding could not be read: save it as UTF-8.") from exc
    return [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]


def _read_xlsx(data: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a broken zip or workbook: say so plainly
        raise FileRefused("The Excel workbook could not be opened; save it again as .xlsx.") from exc
    rows = []
    formula_rows = formulas.worksheets[0].iter_rows(values_only=True)
    for n, (cells, raw) in enumerate(
        zip(values.worksheets[0].iter_rows(values_only=True), formula_rows, strict=False), start=1
    ):
        row = []
        for cell, source in zip(cells, raw, strict=False):
            if cell is None and isinstance(source, str) and source.startswith("="):
                cell = _Unsaved(source)
            row.append(cell)
        rows.append((n, row))
    formulas.close()
    values.close()
    return rows


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
    """
    result = CheckResult()
    seen: dict[tuple[str, date, str], int] = {}
    for number, cells in rows:
        errors_before = len(result.errors)

        def error(column: str, message: str, number=number) -> None:
            result.errors.append(RowError(number, column, message))

        for column, cell in cells.items():
            if isinstance(cell, _Unsaved):
                error(
                    column,
                    f"the formula {cell.formula} has no saved result: open the file in Excel, save it "
                    "and upload it again",
                )
        if len(result.errors) > errors_before:
            continue

        code = _text(cells.get("measure_code"))
        measure = measures.get(code) if code else None
        if not code:
            error("measure_code", "the measure code is missing")
        elif measure is None:
            error("measure_code", f"there is no measure with the code {code!r} in this organisation")

        period = _date(cells.get("period_start"))
        if period is None:
            error("period_start", "give the period's first day as YYYY-MM-DD")
        elif measure is not None:
            problem = period_ok(measure.frequency, period)
            if problem:
                error("period_start", problem)

        stratum = _text(cells.get("stratum")) or ""
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

        numerator = denominator = value = None
        if measure is not None:
            num_cell, den_cell, value_cell = cells.get("numerator"), cells.get("denominator"), cells.get("value")
            if measure.has_fraction:
                if _blank(value_cell) is False:
                    error("value", f"measure {code} takes a numerator and a denominator, not a value")
                numerator = _count(num_cell, "numerator", error)
                denominator = _count(den_cell, "denominator", error)
                if denominator == 0:
                    error("denominator", "the denominator must be more than 0 (leave the row out for a gap)")
                if measure.is_proportion and numerator is not None and denominator and numerator > denominator:
                    error("numerator", f"the numerator ({numerator}) is more than the denominator ({denominator})")
            else:
                if not (_blank(num_cell) and _blank(den_cell)):
                    error("numerator", f"measure {code} takes a value, not a numerator and denominator")
                else:
                    value = _decimal(value_cell, error)

        if len(result.errors) > errors_before:
            continue
        key = (code, period, stratum)
        if key in seen:
            error("stratum", f"the same measure, period and stratum are already on row {seen[key]}")
            continue
        seen[key] = number
        result.records.append(Record(number, code, period, stratum, numerator, denominator, value))
    return result


def _blank(cell) -> bool:
    return cell is None or str(cell).strip() == ""


def _text(cell) -> str | None:
    return None if _blank(cell) else str(cell).strip()


def _date(cell) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) in (10, 19) else None
    except ValueError:
        return None


def _count(cell, column, error) -> int | None:
    if _blank(cell):
        error(column, f"the {column} is missing")
        return None
    try:
        number = Decimal(str(cell).strip().replace(",", ""))
    except InvalidOperation:
        error(column, f"the {column} must be a whole number, not {str(cell)!r}")
        return None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
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
    try:
        number = Decimal(str(cell).strip().replace(",", ""))
    except InvalidOperation:
        error("value", f"the value must be a number, not {str(cell)!r}")
        return None
    if not number.is_finite():
        error("value", "the value must be a number")
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


def check_for(organisation, rows) -> tuple[CheckResult, dict]:
    """Check rows against this organisation's measures (one query)."""
    from qi_projects import equality

    from . import periods
    from .models import Measure

    measures = {m.code: m for m in Measure.objects.filter(organisation=organisation)}
    result = check_rows(rows, measures, is_category=equality.is_category, period_ok=periods.problem)
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
