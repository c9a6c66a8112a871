"""A data point's period and numbers are bounded the same way in the grid, the import and the API.

The cast's collaborative starts today, so data may reach back to the period
holding the same day five years ago and forward to the current period.
"""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from measures import periods
from measures.importing import import_file
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.models import ApiToken

HEADER = "measure_code,period_start,stratum,numerator,denominator,value\n"


def expected_message(today: date) -> str:
    first = date(today.year - 5, today.month, 1)
    return f"the period must be between {first:%B %Y} and {today:%B %Y}"


def nothing_saved() -> bool:
    with scopes_disabled():
        return not DataPoint.objects.exists()


@pytest.mark.parametrize(
    ("frequency", "started", "today", "first", "last"),
    [
        # monthly: 15 March 2024 -> March 2019, to the current month
        ("monthly", date(2024, 3, 15), date(2026, 12, 2), date(2019, 3, 1), date(2026, 12, 1)),
        # quarterly: 15 March 2024 -> Q1 2019, to Q4 2026
        ("quarterly", date(2024, 3, 15), date(2026, 12, 2), date(2019, 1, 1), date(2026, 10, 1)),
        # weekly: 8 January 2024 (a Monday) -> 8 January 2019 is a Tuesday, so its week starts Monday 7 January
        ("weekly", date(2024, 1, 8), date(2026, 12, 2), date(2019, 1, 7), date(2026, 11, 30)),
        # 29 February has no day five years earlier: 28 February 2019
        ("monthly", date(2024, 2, 29), date(2026, 12, 2), date(2019, 2, 1), date(2026, 12, 1)),
    ],
)
def test_bounds_run_from_five_years_before_the_start_to_the_current_period(frequency, started, today, first, last):
    assert periods.bounds(frequency, started, today) == (first, last)
    assert periods.outside(frequency, first, started, today) is None
    assert periods.outside(frequency, last, started, today) is None
    assert periods.outside(frequency, periods.step(frequency, first, -1), started, today)
    assert periods.outside(frequency, periods.step(frequency, last, 1), started, today)


def test_the_message_names_the_first_and_last_period_in_the_measures_frequency():
    message = periods.outside("monthly", date(2999, 1, 1), date(2025, 1, 6), date(2026, 12, 2))
    assert message.startswith("the period must be between January 2020 and December 2026")
    message = periods.outside("quarterly", date(1, 1, 1), date(2025, 1, 6), date(2026, 12, 2))
    assert message.startswith("the period must be between Q1 2020 and Q4 2026")


@pytest.mark.parametrize("period", ["0001-01-01", "1999-01-01", "2999-01-01"])
def test_import_refuses_periods_outside_the_bounds_and_changes_nothing(cast, period):
    make_measure(cast.org_a)
    data = (HEADER + f"EIP,2025-01-01,all,12,40,\nEIP,{period},all,12,40,\n").encode()
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", data, by=cast.lead)
    assert summary is None
    assert [(e.row, e.column) for e in result.errors] == [(3, "period_start")]
    assert expected_message(timezone.localdate()) in result.errors[0].message
    assert nothing_saved()


def test_the_next_period_is_in_the_future_and_refused(cast):
    make_measure(cast.org_a)
    next_month = periods.step("monthly", periods.current_start("monthly", timezone.localdate()))
    data = (HEADER + f"EIP,{next_month.isoformat()},all,12,40,\n").encode()
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", data, by=cast.lead)
    assert summary is None and "the period must be between" in result.errors[0].message
    assert nothing_saved()


def test_the_bound_follows_the_organisations_collaborative(cast):
    from collaborative.models import Collaborative

    make_measure(cast.org_a)
    Collaborative.objects.filter(pk=cast.collaborative.pk).update(start_date=date(2025, 1, 6))
    ok = (HEADER + "EIP,2020-01-01,all,12,40,\n").encode()
    too_early = (HEADER + "EIP,2019-12-01,all,12,40,\n").encode()
    with scope(organisation=[cast.org_a.pk]):
        assert import_file(cast.org_a, "data.csv", ok, by=cast.lead, dry_run=True)[1] is not None
        result, summary = import_file(cast.org_a, "data.csv", too_early, by=cast.lead)
    assert summary is None
    assert "between January 2020 and" in result.errors[0].message


def grid_cell_post(period, numerator, denominator):
    return {
        "period": period,
        "stratum": "all",
        f"c|{period}|all|numerator": numerator,
        f"c|{period}|all|denominator": denominator,
    }


@pytest.mark.parametrize("period", ["0001-01-01", "2999-01-01"])
def test_grid_cell_refuses_periods_outside_the_bounds(client, cast, login, period):
    measure = make_measure(cast.org_a)
    login(client, cast.lead)
    url = reverse("measures:grid_cell", kwargs={"org": "alpha", "pk": measure.pk})
    response = client.post(url, grid_cell_post(period, "12", "40"))
    assert response.status_code == 422
    assert expected_message(timezone.localdate()) in response.content.decode()
    assert nothing_saved()


@pytest.mark.parametrize("to", ["0001-01-01", "1999-01-01", "2999-01-01", "9999-12-31"])
def test_grid_never_shows_periods_outside_the_bounds(client, cast, login, to):
    measure = make_measure(cast.org_a)
    login(client, cast.lead)
    url = reverse("measures:measure_grid", kwargs={"org": "alpha", "pk": measure.pk}) + f"?to={to}"
    response = client.get(url)
    assert response.status_code == 200
    today = timezone.localdate()
    first, last = periods.bounds("monthly", today, today)
    shown = [cell["period"] for cell in response.context["grid"][0]["cells"]]
    assert len(shown) == 6 and first <= shown[0] and shown[-1] <= last
    if to < "2000":
        assert shown[0] == first and response.context["earlier"] is None  # no link to periods it cannot take


@pytest.mark.parametrize(
    ("numerator", "words"),
    [
        ("١٢", "digits 0 to 9"),  # Arabic-Indic twelve: int() would read it as 12
        ("１２", "digits 0 to 9"),  # full-width twelve
        ("1_2", "whole number"),  # Decimal() would read it as 12
    ],
)
def test_grid_refuses_numbers_not_in_ascii_digits(client, cast, login, numerator, words):
    measure = make_measure(cast.org_a)
    login(client, cast.lead)
    url = reverse("measures:grid_cell", kwargs={"org": "alpha", "pk": measure.pk})
    response = client.post(url, grid_cell_post("2025-02-01", numerator, "40"))
    assert response.status_code == 422
    assert words in response.content.decode()
    assert nothing_saved()


def test_import_refuses_numbers_and_dates_not_in_ascii_digits(cast):
    make_measure(cast.org_a)
    data = (HEADER + "EIP,2025-01-01,all,١٢,40,\nEIP,٢٠٢٥-٠٢-٠١,all,12,40,\n").encode()
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", data, by=cast.lead)
    assert summary is None
    assert [(e.row, e.column) for e in result.errors] == [(2, "numerator"), (3, "period_start")]
    assert all("digits 0 to 9" in e.message for e in result.errors)
    assert nothing_saved()


def test_api_refuses_periods_outside_the_bounds_and_foreign_digits(client, cast):
    make_measure(cast.org_a)
    _, secret = ApiToken.issue(organisation=cast.org_a, name="Warehouse", created_by=cast.lead)
    points = [
        {"period_start": "2025-01-01", "stratum": "all", "numerator": 12, "denominator": 40},
        {"period_start": "2999-01-01", "stratum": "all", "numerator": 12, "denominator": 40},
        {"period_start": "2025-02-01", "stratum": "all", "numerator": "١٢", "denominator": 40},
    ]
    response = client.put(
        "/api/v1/measures/EIP/data",
        data=json.dumps({"points": points}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "period_start"), (2, "numerator")]
    assert expected_message(timezone.localdate()) in errors[0]["message"]
    assert "digits 0 to 9" in errors[1]["message"]
    assert nothing_saved()
