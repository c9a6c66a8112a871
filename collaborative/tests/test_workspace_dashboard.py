import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from collaborative import dashboards, phases
from collaborative.models import TeamMeeting
from measures.models import DataPoint
from measures.tests.factories import make_measure
from qi_projects.models import FocusPopulation
from qi_projects.pdsa.tests import factories as pdsa_factories
from qi_projects.tests import factories as qi_factories

from .factories import planned_enrolment


def _in_phase_two(cast):
    enrolment = planned_enrolment(cast.org_a, start=date(2025, 1, 6))
    with scope(organisation=[cast.org_a.pk]):
        first = phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 1, 6))
        for item in phases.GATES[1]:
            phases.tick_item(first, key=item.key, note="Seen at the visit", by=cast.coach)
        phases.pass_gate(first, by=cast.coach, on_date=date(2025, 7, 1))


def _seed(cast, size, batch="a"):
    """`size` measures of 12 months each (with ethnic groups), `size` cycles waiting, `size` meetings."""
    qi_factories.focus_population(cast.org_a, groups=["ethnicity:B"])
    with scopes_disabled():
        idea = pdsa_factories.change_idea(cast.org_a)
        for i in range(size):
            measure = make_measure(cast.org_a, code=f"{batch}{i}")
            for month in range(1, 13):
                for stratum, n in (("all", 30 + month), ("ethnicity:B", 10 + month), ("ethnicity:A", 20)):
                    DataPoint.objects.create(
                        organisation=cast.org_a,
                        measure=measure,
                        period_start=date(2025, month, 1),
                        stratum=stratum,
                        numerator=n,
                        denominator=60,
                    )
            pdsa_factories.cycle(cast.org_a, idea=idea, objective=f"Test {i}")
            TeamMeeting.objects.create(
                organisation=cast.org_a,
                date=timezone.localdate() - timedelta(days=14 * i + 3),
                attendees="Lead",
                created_by=cast.lead,
            )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("size", [2, 6])
def test_the_workspace_query_count_does_not_grow_with_the_data(client, cast, login, size):
    _in_phase_two(cast)
    _seed(cast, 1)
    login(client, cast.lead)
    url = reverse("collaborative:workspace", kwargs={"org": "alpha"})
    client.get(url)  # fill the chart cache
    small = _count(client, url)
    _seed(cast, size, batch="b")
    client.get(url)
    assert _count(client, url) == small <= 20


def test_the_workspace_shows_the_current_phase_gate_not_phase_one(client, cast, login):
    _in_phase_two(cast)
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "Phase 2: Testing and scaling up" in page
    assert "Phase 2 gate" in page and "Changes tested" in page
    assert "Phase 1 gate" not in page


def test_a_cycle_whose_do_is_due_waits_with_its_next_stage_button(client, cast, login):
    cycle = pdsa_factories.cycle(cast.org_a, objective="Evening clinics for a week")
    later = pdsa_factories.cycle(
        cast.org_a,
        planned_start=timezone.localdate() + timedelta(days=5),
        planned_end=timezone.localdate() + timedelta(days=9),
        objective="Not yet due",
    )
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "Evening clinics for a week" in page
    assert reverse("pdsa:pdsa_do", kwargs={"org": "alpha", "pk": cycle.pk}) in page
    assert reverse("pdsa:pdsa_do", kwargs={"org": "alpha", "pk": later.pk}) not in page


def test_measure_tiles_carry_a_sparkline_icons_and_the_latest_value_in_words(client, cast, login):
    _seed(cast, 1)
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert 'class="app-sparkline"' in page and "app-spc-icon" in page
    assert "Latest 70% (December 2025)" in page
    assert "Data runs to December 2025" in page
    assert '<td class="nhsuk-table__cell app-gaps__latest">3.3 percentage points</td>' in page  # 22/60 against 20/60


def test_each_focus_population_has_a_chart_of_its_gap_over_time_with_the_figures_beside_it(client, cast, login):
    _seed(cast, 1)
    with scopes_disabled():
        first = FocusPopulation.objects.get(organisation=cast.org_a)
    qi_factories.focus_population(cast.org_a, first.project, name="Second group", groups=["ethnicity:B", "sex:male"])
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    # month m: (10 + m)/60 against 20/60, so the gap runs from -15 points in January to 3.3 in December
    chart = re.search(r'<svg class="app-gap-chart"[^>]*role="img"[^>]*><title[^>]*>([^<]+)</title>(.*?)</svg>', page)
    assert chart, "no gap chart"
    assert re.fullmatch(
        r"Gap over the last 12 periods: from -15 \(.+2025\) to 3\.3 percentage points \(.+2025\)", chart[1]
    )
    points = re.search(r'<polyline points="([^"]+)"', chart[2])[1].split()
    assert len(points) == 12
    ys = [float(p.split(",")[1]) for p in points]
    assert ys == sorted(ys, reverse=True)  # a widening-then-closing gap drawn upwards as it rises
    assert "stroke-dasharray" in chart[2]  # the no-gap line: the gap crosses zero
    figures = page[page.index("app-gaps__figure-table") :]
    assert '<td class="nhsuk-table__cell">-15.0</td>' in figures or '<td class="nhsuk-table__cell">-15</td>' in figures
    # The second population compares the same two groups: named, not repeated.
    assert page.count('class="app-gap-chart"') == 1
    assert "the comparison is the same as for" in page and "Second group" in page


def test_a_quarterly_or_weekly_tile_names_its_latest_period_as_its_measure_counts_them(client, cast, login):
    """Not "Jul 2026" beside "Q3 2026" in the data status of the same tile."""
    quarterly = make_measure(cast.org_a, code="QTR", frequency="quarterly")
    weekly = make_measure(cast.org_a, code="WKL", frequency="weekly")
    with scopes_disabled():
        for i, quarter in enumerate([date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1)]):
            DataPoint.objects.create(
                organisation=cast.org_a, measure=quarterly, period_start=quarter, numerator=10 + i, denominator=40
            )
        for week in range(6):
            DataPoint.objects.create(
                organisation=cast.org_a,
                measure=weekly,
                period_start=date(2025, 9, 1) + timedelta(weeks=week),
                numerator=5 + week,
                denominator=20,
            )
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "(Q3 2025); over the last 3 periods" in page
    assert "(w/c 06 Oct 2025); over the last 6 periods" in page
    assert "Jul 2025" not in page and "(October 2025)" not in page


def test_each_tile_says_where_its_last_periods_stand(client, cast, login):
    _seed(cast, 1)  # January to December 2025
    with scopes_disabled():
        DataPoint.objects.filter(period_start__in=[date(2025, 10, 1), date(2025, 12, 1)], stratum="all").delete()
        measure = cast.org_a.measures.get()
        statuses = dashboards.data_status(cast.org_a, [measure], date(2026, 1, 20))[measure.pk]
        earlier = dashboards.data_status(cast.org_a, [measure], date(2026, 1, 10))[measure.pk]
    # October is past its deadline (15 November) by more than 28 days, December's was 15 January.
    assert [(s["label"], s["status"]) for s in statuses] == [
        ("Oct 2025", "missing"),
        ("Nov 2025", "submitted"),
        ("Dec 2025", "late"),
    ]
    assert earlier[-1]["status"] == "due"
    login(client, cast.lead)
    page = client.get(reverse("collaborative:workspace", kwargs={"org": "alpha"})).content.decode()
    assert "Data for the last periods:" in page and "nhsuk-tag--red" in page  # today, every recent one is missing


def test_the_measures_tile_is_kept_until_a_new_data_point_changes_it(client, cast, login, monkeypatch):
    _in_phase_two(cast)
    _seed(cast, 1)
    built = []
    real = dashboards._measures_tile
    monkeypatch.setattr(dashboards, "_measures_tile", lambda *a, **k: built.append(1) or real(*a, **k))
    login(client, cast.lead)
    url = reverse("collaborative:workspace", kwargs={"org": "alpha"})
    assert "Latest 70% (December 2025)" in client.get(url).content.decode()
    assert "Latest 70% (December 2025)" in client.get(url).content.decode()
    assert len(built) == 1  # the second view read the whole tile from the shared cache
    with scopes_disabled():
        measure = cast.org_a.measures.get()
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure, period_start=date(2026, 1, 1), numerator=15, denominator=60
        )
    page = client.get(url).content.decode()
    assert len(built) == 2 and "Latest 25% (January 2026)" in page
    assert "Data runs to January 2026" in page
