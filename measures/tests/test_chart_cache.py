from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from measures import series
from measures.models import DataPoint, Measure

from .factories import make_measure


def _months(measure, n, start=date(2024, 1, 1), numerator=30):
    for i in range(n):
        month = date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        DataPoint.objects.create(
            organisation_id=measure.organisation_id,
            measure=measure,
            period_start=month,
            numerator=numerator,
            denominator=60,
        )


def _fresh(measure):
    return Measure.objects.select_related("chart_settings").get(pk=measure.pk)


def test_an_unchanged_chart_is_read_from_the_cache_without_loading_the_points(cast):
    measure = make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        _months(measure, 12)
        first = series.cached_chart(_fresh(measure))
        with CaptureQueriesContext(connection) as queries:
            again = series.cached_chart(_fresh(measure))
        assert first.kind == again.kind == "p"
        assert [q["sql"] for q in queries if '"measures_datapoint"."period_start"' in q["sql"]] == []
        assert again.series.figures == first.series.figures


def test_a_changed_figure_or_a_new_period_reads_a_new_chart(cast):
    measure = make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        _months(measure, 12)
        before = series.cached_chart(_fresh(measure))
        point = DataPoint.objects.filter(measure=measure).order_by("period_start").last()
        point.numerator, point.updated_at = 59, timezone.now() + timedelta(seconds=1)
        point.save()
        edited = series.cached_chart(_fresh(measure))
        assert edited.series.numerators[-1] == 59 != before.series.numerators[-1]
        _months(measure, 1, start=date(2025, 1, 1))
        assert len(series.cached_chart(_fresh(measure)).series.periods) == 13
        point.delete()
        assert series.cached_chart(_fresh(measure)).series.numerators[-2] is None


def test_a_changed_target_reads_a_new_chart(cast):
    measure = make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        _months(measure, 12)
        assert series.cached_chart(_fresh(measure)).assurance is None
        Measure.objects.filter(pk=measure.pk).update(target=90, updated_at=timezone.now())
        assert series.cached_chart(_fresh(measure)).assurance == "consistent_fail"


def test_a_measure_without_data_has_no_chart(cast):
    measure = make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        assert series.cached_chart(_fresh(measure)) is None
        assert series.cached_charts([_fresh(measure)], "ethnicity:B") == {}
