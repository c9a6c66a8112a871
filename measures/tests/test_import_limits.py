"""An import holds at most 50,000 rows and 50 MB unpacked, checked as the file is read; bad input changes nothing.

No test here is timed: a refusal "before parsing" is shown by the parser never
being reached (timing belongs in `make bench`).
"""

import csv
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from openpyxl import Workbook

from measures import importing
from measures.importing import FileRefused, import_file, read_rows
from measures.models import DataPoint
from measures.tests.factories import make_measure

HEADER = "measure_code,period_start,stratum,numerator,denominator,value\n"
SHEET = "xl/worksheets/sheet1.xml"


def nothing_saved() -> bool:
    with scopes_disabled():
        return not DataPoint.objects.exists()


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet(workbook: bytes, sheet_xml: bytes) -> bytes:
    """The same workbook with its first sheet replaced, compressed as hard as zip allows."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            out.writestr(item.filename, sheet_xml if item.filename == SHEET else source.read(item.filename))
    return buffer.getvalue()


def sheet_xml(rows: list[str]) -> bytes:
    head = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    return (head + "".join(rows) + "</sheetData></worksheet>").encode()


def inline_row(number: int, values: list[str], padding: int = 0) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{value}</t></is></c>' for i, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}{" " * padding}</row>'


def test_a_zip_bombed_workbook_is_refused_from_its_declared_size_before_parsing(cast, monkeypatch):
    # 60,000 rows padded to about 1 KB each: some 60 MB of sheet, a few hundred KB once compressed.
    make_measure(cast.org_a)
    rows = [inline_row(1, importing.COLUMNS)]
    rows += [inline_row(n, ["EIP", "2025-01-01", "all", "12", "40", ""], padding=900) for n in range(2, 60_002)]
    bomb = with_sheet(xlsx([importing.COLUMNS]), sheet_xml(rows))
    assert len(bomb) < importing.MAX_BYTES  # small enough to upload
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 50 * 1024 * 1024

    def parsed(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(importing, "_workbook_parts", parsed)
    with scope(organisation=[cast.org_a.pk]), pytest.raises(FileRefused, match="the limit is 50 MB uncompressed"):
        import_file(cast.org_a, "bomb.xlsx", bomb, by=cast.lead)
    assert nothing_saved()


def test_what_a_workbook_really_unpacks_to_is_counted_while_it_is_read(monkeypatch):
    # Beyond the declared sizes, the parts are counted as they are read (a part read twice counts once).
    data = xlsx([importing.COLUMNS] + [["EIP", "2025-01-01", "all", 12, 40, None]] * 3_000)
    archive = importing._BoundedZip(io.BytesIO(data))
    size = archive.getinfo(SHEET).file_size
    archive.read(SHEET)
    archive.read(SHEET)
    assert archive.unpacked == size
    monkeypatch.setattr(importing, "MAX_UNCOMPRESSED", size // 2)
    with pytest.raises(FileRefused, match="50 MB uncompressed"):
        importing._BoundedZip(io.BytesIO(data)).read(SHEET)


def test_a_workbook_part_parsed_whole_may_not_be_huge(cast):
    data = xlsx([importing.COLUMNS])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                body = body.replace(b"</styleSheet>", b" " * (6 * 1024 * 1024) + b"</styleSheet>")
            out.writestr(item.filename, body)
    with pytest.raises(FileRefused, match="xl/styles.xml unpacks to more than 5 MB"):
        read_rows("data.xlsx", buffer.getvalue())


def test_more_than_50000_rows_are_refused_as_they_are_read_and_nothing_changes(cast):
    make_measure(cast.org_a)
    data = (HEADER + "EIP,2025-01-01,all,12,40,\n" * 50_001).encode()
    with scope(organisation=[cast.org_a.pk]), pytest.raises(FileRefused, match="more than 50,000 rows"):
        import_file(cast.org_a, "data.csv", data, by=cast.lead)
    assert nothing_saved()


def test_a_workbook_with_too_many_rows_is_refused_while_it_streams(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    data = xlsx([importing.COLUMNS] + [["OM1", "2025-01-01", "all", 1, 2, None]] * 4)
    rows = read_rows("data.xlsx", data)
    assert [number for number, _ in (next(rows), next(rows), next(rows))] == [2, 3, 4]
    with pytest.raises(FileRefused, match="more than 3 rows"):
        next(rows)


def test_50000_rows_are_read_and_only_the_first_200_problems_listed(cast, tmp_path, capsys):
    make_measure(cast.org_a)
    data = (HEADER + "NOPE,2025-01-01,all,12,40,\n" * 50_000).encode()
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", data, by=cast.lead)
    assert summary is None
    assert result.rows == 50_000 and result.error_count == 50_000
    assert len(result.errors) == 200 and result.unlisted == 49_800
    assert [e.row for e in result.errors[:2]] == [2, 3]
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match="50,000 problems found: nothing was imported"):
        call_command("import_data", "--organisation", "alpha", str(path))
    err = capsys.readouterr().err
    assert err.count("Row ") == 200 and "and 49,800 more problems" in err
    assert nothing_saved()


def test_the_upload_page_lists_200_problems_and_counts_the_rest(client, cast, login):
    make_measure(cast.org_a)
    login(client, cast.lead)
    upload = io.BytesIO((HEADER + "NOPE,2025-01-01,all,12,40,\n" * 1_434).encode())
    upload.name = "bad.csv"
    response = client.post(reverse("measures:data_import", kwargs={"org": "alpha"}), {"file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert "1,434 problems found. Nothing has been changed" in page
    assert page.count("there is no measure with the code") == 200
    assert "and 1,234 more problems" in page
    assert nothing_saved()


def test_a_cell_over_the_csv_field_limit_is_a_row_error_not_a_crash(client, cast, login):
    make_measure(cast.org_a)
    long = "x" * (csv.field_size_limit() + 1)
    data = (HEADER + f'EIP,2025-01-01,all,12,40,\nEIP,2025-02-01,"{long}",12,40,\nEIP,2025-03-01,all,1,2,\n').encode()
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", data, by=cast.lead)
    assert summary is None
    assert [(e.row, e.column) for e in result.errors] == [(3, "(whole row)")]
    assert f"longer than {csv.field_size_limit():,} characters" in result.errors[0].message
    login(client, cast.lead)
    upload = io.BytesIO(data)
    upload.name = "long.csv"
    response = client.post(reverse("measures:data_import", kwargs={"org": "alpha"}), {"file": upload})
    assert response.status_code == 422 and "characters" in response.content.decode()
    assert nothing_saved()


def test_a_row_with_thousands_of_cells_is_refused(cast):
    make_measure(cast.org_a)
    wide_csv = (HEADER + "EIP,2025-01-01,all,12,40," + "," * 2_000 + "\n").encode()
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", wide_csv, by=cast.lead)
    assert summary is None and "2,006 cells" in result.errors[0].message
    wide_sheet = sheet_xml([inline_row(1, importing.COLUMNS), '<row r="2">' + "<c/>" * 1_001 + "</row>"])
    with scope(organisation=[cast.org_a.pk]), pytest.raises(FileRefused, match="Row 2 has more than 1,000 cells"):
        import_file(cast.org_a, "data.xlsx", with_sheet(xlsx([importing.COLUMNS]), wide_sheet), by=cast.lead)
    assert nothing_saved()


def test_a_workbook_is_read_once(monkeypatch):
    from openpyxl.reader import excel

    reads = []
    real = excel.ExcelReader.read_workbook
    monkeypatch.setattr(excel.ExcelReader, "read_workbook", lambda self: reads.append(1) or real(self))
    data = xlsx([importing.COLUMNS, ["OM1", "2025-01-01", "all", 1, 2, None]])
    assert [number for number, _ in read_rows("data.xlsx", data)] == [2]
    assert reads == [1]


def test_a_sheet_without_a_declared_size_is_streamed_like_any_other():
    # openpyxl's load_workbook would read such a sheet whole just to find its size; we never ask it to.
    rows = [inline_row(1, importing.COLUMNS), inline_row(2, ["OM1", "2025-01-01", "all", "1", "2", ""])]
    data = with_sheet(xlsx([importing.COLUMNS]), sheet_xml(rows))
    assert [(n, cells["numerator"]) for n, cells in read_rows("data.xlsx", data)] == [(2, "1")]


def test_the_limits_are_stated_on_the_import_page_and_in_the_command_help(client, cast, login):
    login(client, cast.lead)
    page = client.get(reverse("measures:data_import", kwargs={"org": "alpha"})).content.decode()
    assert "50,000 rows" in page and "50 MB" in page and "10 MB" in page
    from measures.management.commands.import_data import Command

    assert "50,000 rows" in Command.help and "50 MB" in Command.help
