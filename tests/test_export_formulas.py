"""No CSV or XLSX the platform writes can run a formula in the spreadsheet that opens it."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from measures.importing import import_file
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.exports import FORMULA_STARTS, csv_lines, safe_cell, xlsx_bytes
from tests.urlwalk import own_patterns

HYPERLINK = '=HYPERLINK("http://x","y")'
# Every download the platform offers, and who may fetch it.
EXPORTS = {
    "measures:measure_csv": ["lead", "coach"],  # raw for the team, suppressed for the coach
    "measures:import_template": ["lead"],
    "evaluation:export": ["evaluator"],
    "evaluation:interventions_csv": ["evaluator"],
    "evaluation:interventions_xlsx": ["evaluator"],
    "organisations:team_export": ["lead"],
    "learning_sets:registrations_export": ["national"],
    "learning_sets:communications_export": ["national"],
}
# Files people uploaded, handed back byte for byte: theirs, not exports the platform writes.
NOT_EXPORTS = {"pdsa:attachment_download", "learning_sets:material_download", "learning_sets:resource_download"}
# Zips of CSV and XLSX files, checked cell by cell where they are built (evaluation/tests/test_package.py).
PACKAGES = {"evaluation:package_download"}


def cells_of(name: str, body: bytes) -> list[str]:
    if name.endswith("_xlsx"):
        sheets = load_workbook(io.BytesIO(body)).worksheets
        return [str(c) for sheet in sheets for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    return [cell for row in csv.reader(io.StringIO(body.decode())) for cell in row]


def downloads():
    for name, route, _ in own_patterns():
        if route.endswith((".csv", ".xlsx", ".zip")) or "export" in (name or "") or "download" in (name or ""):
            yield name


def unescaped(cell: str) -> bool:
    """A cell a spreadsheet would run: it starts like a formula and is not simply a number."""
    if not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


@pytest.fixture
def hostile(cast):
    """An organisation, a measure and a person whose names are formulas, with data in the measure."""
    from organisations.models import Organisation

    with scopes_disabled():
        Organisation.objects.filter(pk=cast.org_a.pk).update(name="@SUM(1)")
        # The evaluation export shows names only where the national team allows them.
        type(cast.collaborative).objects.filter(pk=cast.collaborative.pk).update(evaluation_names_allowed=True)
        cast.lead.first_name, cast.lead.last_name = "+cmd", "-2+3"
        cast.lead.save()
    measure = make_measure(cast.org_a, code="-EIP", name=HYPERLINK)
    value_measure = make_measure(
        cast.org_a,
        code="GAP",
        name="\tGap\r",
        value_type="value",
        unit="points",
        numerator_definition="",
        denominator_definition="",
    )
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure, period_start=date(2025, 1, 1), numerator=12, denominator=40
        )
        DataPoint.objects.create(
            organisation=cast.org_a, measure=value_measure, period_start=date(2025, 1, 1), value=Decimal("-3.5")
        )
    from learning_sets.models import CaseStudy
    from learning_sets.tests import factories as ls

    learning_set = ls.learning_set(cast.collaborative, title="=cmd|' /C calc'!A0")
    ls.registration(learning_set, cast.lead, organisation=cast.org_a, needs="@wheelchair")
    ls.case_study(
        cast.org_a,
        cast.collaborative,
        status=CaseStudy.Status.APPROVED,
        consent_to_publish=True,
        title=HYPERLINK,
        reviewed_at=__import__("django.utils.timezone", fromlist=["now"]).now(),
    )
    # A programme change idea whose text is a formula, taken up by the organisation (the interventions report).
    from qi_projects.models import Kind, ProgrammeElement
    from qi_projects.pdsa.tests.factories import change_idea

    change_idea(cast.org_a, cast.collaborative)
    with scopes_disabled():
        ProgrammeElement.objects.filter(kind=Kind.CHANGE_IDEA).update(text="+SUM(A1)")
    hostile_set.pk = learning_set.pk
    return measure, value_measure


class hostile_set:  # noqa: N801  (the learning set the hostile fixture made, for its export URL)
    pk = None


def test_every_export_is_covered_here():
    assert set(downloads()) == set(EXPORTS) | NOT_EXPORTS | PACKAGES


def test_no_export_cell_can_run_as_a_formula(client, cast, login, hostile):
    measure, value_measure = hostile
    kwargs = {
        "measures:measure_csv": [{"org": "alpha", "pk": measure.pk}, {"org": "alpha", "pk": value_measure.pk}],
        "measures:import_template": [{"org": "alpha"}],
        "evaluation:export": [{}],
        "evaluation:interventions_csv": [{}],
        "evaluation:interventions_xlsx": [{}],
        "organisations:team_export": [{"org": "alpha"}],
        "learning_sets:registrations_export": [{"pk": hostile_set.pk}],
        "learning_sets:communications_export": [{}],
    }
    seen = []
    for name, roles in EXPORTS.items():
        for role in roles:
            login(client, getattr(cast, role))
            for kw in kwargs[name]:
                response = client.get(reverse(name, kwargs=kw))
                assert response.status_code == 200, (name, role)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                cells = cells_of(name, body)
                assert not [c for c in cells if unescaped(c)], (name, role)
                seen += cells
    # The hostile names were exported, escaped, and numbers stayed numbers.
    assert "'" + HYPERLINK in seen and "'@SUM(1)" in seen and "'-EIP" in seen and "'+cmd -2+3" in seen
    assert "'\tGap\r" in seen
    assert "'@wheelchair" in seen and "'+SUM(A1)" in seen and seen.count("'" + HYPERLINK) >= 2
    assert "-3.500000" in seen or "-3.5" in seen


def test_a_raw_export_imports_back_unchanged_with_its_escaped_codes(client, cast, login, hostile):
    measure, _ = hostile
    login(client, cast.lead)
    data = client.get(reverse("measures:measure_csv", kwargs={"org": "alpha", "pk": measure.pk})).content
    assert b"'-EIP,2025-01-01,all,12,40," in data
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "again.csv", data, by=cast.lead)
    assert result.errors == [] and (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (-1, -1),  # a number stays a number
        (Decimal("-2.5"), Decimal("-2.5")),
        (None, None),
    ],
)
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_csv_lines_escape_every_cell():
    assert list(csv_lines([["=1", -1, "ok"]])) == ["'=1,-1,ok\r\n"]


def test_xlsx_cells_are_text_not_formulas_and_numbers_stay_numbers():
    data = xlsx_bytes({"Data": [["name", "value"], [HYPERLINK, -3.5], ["\x01=SUM(A1)", Decimal("2")]]})
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("'" + HYPERLINK, -3.5)
    assert rows[2] == ("'=SUM(A1)", 2)  # a control character cannot hide a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
