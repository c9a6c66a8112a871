"""The file checks, without a database: every bad row is reported with its row and column."""

import io
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from measures import periods
from measures.importing import FileRefused, check_rows, read_rows

MEASURES = {
    "OM1": SimpleNamespace(dimension="ethnicity", has_fraction=True, is_proportion=True, frequency="monthly"),
    "PM1": SimpleNamespace(dimension="", has_fraction=False, is_proportion=False, frequency="monthly"),
    "Q1": SimpleNamespace(dimension="", has_fraction=True, is_proportion=False, frequency="quarterly"),
}
HEADER = "measure_code,period_start,stratum,numerator,denominator,value\n"


def is_category(dimension, category):
    return dimension == "ethnicity" and category in {"A", "M", "N"}


def check(text: str):
    return check_rows(
        read_rows("data.csv", (HEADER + text).encode()), MEASURES, is_category=is_category, period_ok=periods.problem
    )


def test_good_rows_become_records():
    result = check("OM1,2025-01-01,ethnicity:M,12,40,\nOM1,2025-01-01,all,30,100,\nPM1,2025-01-01,all,,,4.5\n")
    assert result.ok
    assert [(r.row, r.stratum, r.numerator, r.denominator, r.value) for r in result.records] == [
        (2, "ethnicity:M", 12, 40, None),
        (3, "all", 30, 100, None),
        (4, "all", None, None, Decimal("4.5")),
    ]


@pytest.mark.parametrize(
    "row,column,words",
    [
        ("XX9,2025-01-01,all,1,2,", "measure_code", "no measure with the code 'XX9'"),
        ("OM1,2025-01-15,all,1,2,", "period_start", "monthly period starts on the 1st"),
        ("Q1,2025-02-01,all,1,2,", "period_start", "quarterly period starts"),
        ("OM1,01/02/2025,all,1,2,", "period_start", "YYYY-MM-DD"),
        ("OM1,2025-01-01,imd_quintile:1,1,2,", "stratum", "broken down by ethnicity"),
        ("OM1,2025-01-01,ethnicity:Q,1,2,", "stratum", "'Q' is not a group of ethnicity"),
        ("PM1,2025-01-01,ethnicity:M,,,3", "stratum", "not broken down"),
        ("OM1,2025-01-01,all,5,4,", "numerator", "more than the denominator"),
        ("OM1,2025-01-01,all,2.5,4,", "numerator", "whole number"),
        ("OM1,2025-01-01,all,1,0,", "denominator", "more than 0"),
        ("OM1,2025-01-01,all,,4,", "numerator", "missing"),
        ("OM1,2025-01-01,all,1,4,7", "value", "not a value"),
        ("PM1,2025-01-01,all,1,4,", "numerator", "takes a value"),
        ("PM1,2025-01-01,all,,,", "value", "missing"),
        ("PM1,2025-01-01,all,,,lots", "value", "must be a number"),
        ("OM1,2025-01-01,all,١٢,40,", "numerator", "digits 0 to 9"),  # int() and Decimal() read these as 12
        ("OM1,2025-01-01,all,12,٤٠,", "denominator", "digits 0 to 9"),
        ("PM1,2025-01-01,all,,,４.５", "value", "digits 0 to 9"),
        ("OM1,2025-01-01,all,1_2,40,", "numerator", "whole number"),  # Decimal() reads 1_2 as 12
        ("PM1,2025-01-01,all,,,NaN", "value", "must be a number"),
        ("OM1,٢٠٢٥-٠١-٠١,all,1,2,", "period_start", "digits 0 to 9"),
    ],
)
def test_each_kind_of_bad_row_is_named_by_row_and_column(row, column, words):
    result = check(row + "\n")
    assert not result.ok
    assert result.records == []
    assert [(e.row, e.column) for e in result.errors] == [(2, column)]
    assert words in result.errors[0].message


def test_every_bad_row_is_reported_not_just_the_first():
    result = check(
        "OM1,2025-01-01,all,1,2,\nXX,2025-01-01,all,1,2,\nOM1,2025-02-01,all,9,2,\nOM1,2025-03-01,all,1,2,\n"
    )
    assert [e.row for e in result.errors] == [3, 4]


def test_duplicate_rows_in_one_file_are_an_error():
    result = check("OM1,2025-01-01,all,1,2,\nOM1,2025-01-01,all,1,3,\n")
    assert [(e.row, "row 2" in e.message) for e in result.errors] == [(3, True)]


def test_header_must_name_every_column():
    with pytest.raises(FileRefused, match="missing: value"):
        read_rows("data.csv", b"measure_code,period_start,stratum,numerator,denominator\n")


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("data.exe", b"MZ\x90\x00", "Upload a CSV file"),
        ("data.xlsx", b"just text", "not an Excel workbook"),
        ("data.csv", b"PK\x03\x04binary", "not a text file"),
        ("data.csv", b"x" * (10 * 1024 * 1024 + 1), "limit is 10 MB"),
    ],
)
def test_wrong_or_oversized_files_are_refused(name, data, words):
    with pytest.raises(FileRefused, match=words):
        read_rows(name, data)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_real_dates_and_numbers_is_read():
    data = xlsx(
        [
            HEADER.strip().split(","),
            ["OM1", datetime(2025, 1, 1), "ethnicity:M", 12, 40, None],
            ["PM1", date(2025, 2, 1), "all", None, None, 3.25],
        ]
    )
    result = check_rows(read_rows("data.xlsx", data), MEASURES, is_category=is_category, period_ok=periods.problem)
    assert result.ok
    assert [(r.period_start, r.numerator, r.value) for r in result.records] == [
        (date(2025, 1, 1), 12, None),
        (date(2025, 2, 1), None, Decimal("3.25")),
    ]


def test_xlsx_formula_without_a_saved_result_is_reported_not_guessed():
    data = xlsx([HEADER.strip().split(","), ["OM1", datetime(2025, 1, 1), "all", "=6*2", 40, None]])
    result = check_rows(read_rows("data.xlsx", data), MEASURES, is_category=is_category, period_ok=periods.problem)
    assert [(e.row, e.column) for e in result.errors] == [(2, "numerator")]
    assert "=6*2" in result.errors[0].message


def test_numbers_too_large_for_storage_are_row_errors_and_values_are_rounded_to_storage():
    result = check("OM1,2025-01-01,all,1,10000000000000000,\nPM1,2025-01-01,all,,,1e13\n")
    assert [(e.row, e.column) for e in result.errors] == [(2, "denominator"), (3, "value")]
    result = check("PM1,2025-01-01,all,,,1.23456789\n")
    assert result.records[0].value == Decimal("1.234568")
