from datetime import date

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from measures import periods as P
from measures.models import DataPoint
from measures.tests.factories import make_measure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_enters_a_month_imports_a_file_with_an_error_then_reads_the_chart(page, cast, browser_login):
    measure = make_measure(cast.org_a)
    with scopes_disabled():
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=cast.org_a,
                measure=measure,
                period_start=date(2024, m, 1),
                stratum="all",
                numerator=20 + m % 3,
                denominator=60,
            )
            for m in range(1, 13)
        )
    month = P.current_start("monthly", timezone.localdate())
    label = P.label("monthly", month)

    browser_login("lead@a.example")
    page.get_by_role("link", name="Measures and data").click()
    page.get_by_role("link", name="Enter data for EIP").click()
    page.get_by_label(f"Numerator, Everyone, {label}").fill("30")
    page.get_by_label(f"Denominator, Everyone, {label}").fill("60")
    page.keyboard.press("Tab")
    expect(page.get_by_role("status").filter(has_text="Saved")).to_have_count(1)
    # The grid shows the groups with data or in the strategy; another is added on request.
    page.get_by_label("Add another group").select_option(label="Black or Black British: Caribbean")
    page.get_by_role("button", name="Add the group").click()
    page.get_by_label(f"Numerator, Black or Black British: Caribbean, {label}").fill("9")
    page.get_by_label(f"Denominator, Black or Black British: Caribbean, {label}").fill("4")
    page.keyboard.press("Tab")
    expect(page.get_by_role("alert").filter(has_text="more than the denominator")).to_be_visible()
    with scopes_disabled():
        assert DataPoint.objects.filter(period_start=month).count() == 1

    page.get_by_role("link", name="See the chart").click()
    page.get_by_role("link", name="All measures").click()
    page.get_by_role("link", name="Import a data file").click()
    bad = (
        "measure_code,period_start,stratum,numerator,denominator,value\n"
        "EIP,2025-01-01,all,22,60,\n"
        "EIP,2025-02-01,all,70,60,\n"
    )
    page.get_by_label("Data file").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="bad.csv was not imported")).to_be_visible()
    report = page.get_by_role("table", name="Problems in bad.csv")
    expect(report.get_by_role("row").nth(1)).to_contain_text("3")
    expect(report).to_contain_text("the numerator (70) is more than the denominator (60)")

    good = bad.replace("70,60", "25,60")
    page.get_by_label("Data file").set_input_files(
        files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_text("Imported good.csv: 2 new")).to_be_visible()

    page.get_by_role("link", name="EIP Started treatment within 2 weeks").click()
    expect(page.locator("[data-chart=spc] svg.main-svg").first).to_be_visible()
    table = page.get_by_role("table", name="The chart's figures")
    expect(table.get_by_role("row").filter(has_text="Feb 2025")).to_contain_text("25")
    expect(
        page.get_by_text("read with NHS England Making Data Count rules, with the November 2023 change")
    ).to_be_visible()
    assert page.console_errors == []
