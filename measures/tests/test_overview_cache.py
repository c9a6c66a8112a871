from datetime import date

from django.urls import reverse
from django_scopes import scopes_disabled

from measures import series
from measures.models import DataPoint
from measures.tests.factories import make_measure


def test_the_data_overview_reads_each_chart_from_the_cache_until_its_data_changes(client, cast, login, monkeypatch):
    measure = make_measure(cast.org_a, code="EIP")
    with scopes_disabled():
        for month in range(1, 13):
            DataPoint.objects.create(
                organisation=cast.org_a,
                measure=measure,
                period_start=date(2025, month, 1),
                numerator=30,
                denominator=60,
            )
    worked_out = []
    real = series.chart_for
    monkeypatch.setattr(series, "chart_for", lambda *a, **k: worked_out.append(1) or real(*a, **k))
    login(client, cast.lead)
    url = reverse("measures:data_overview", kwargs={"org": "alpha"})
    page = client.get(url).content.decode()
    assert "app-spc-icon" in page and "(Dec 2025)" in page
    client.get(url)
    assert len(worked_out) == 1  # the second view found the chart in the shared cache
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure, period_start=date(2026, 1, 1), numerator=45, denominator=60
        )
    page = client.get(url).content.decode()
    assert len(worked_out) == 2 and "(Jan 2026)" in page
