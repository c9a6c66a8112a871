"""Series and adoptions for the evaluation pages' tests: monthly data from START, a change adopted on a day."""

from datetime import UTC, date, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from measures import periods as P
from measures.models import DataPoint
from qi_projects.models import Stage
from qi_projects.pdsa.models import ChangeIdeaMove

START = date(2023, 1, 1)


def month(i: int) -> date:
    return P.step("monthly", START, i)


def fill(measure, strata: dict[str, list[tuple[int, int]]]) -> None:
    with scopes_disabled():
        DataPoint.objects.bulk_create(
            DataPoint(
                organisation=measure.organisation,
                measure=measure,
                period_start=month(i),
                stratum=stratum,
                numerator=n,
                denominator=d,
            )
            for stratum, rows in strata.items()
            for i, (n, d) in enumerate(rows)
        )


def move(idea, to_stage: str, on: date, from_stage: str = Stage.TESTING) -> None:
    with scopes_disabled():
        ChangeIdeaMove.objects.create(
            organisation_id=idea.organisation_id,
            change_idea=idea,
            from_stage=from_stage,
            to_stage=to_stage,
            evidence="Three cycles",
            at=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
        )
        type(idea).objects.filter(pk=idea.pk).update(stage=to_stage)


def adopt(idea, on: date) -> None:
    move(idea, Stage.ADOPTED, on)


def shifted(before: int, after: int, n_before: int = 18, n_after: int = 15, d: int = 100) -> list[tuple[int, int]]:
    return [(before, d)] * n_before + [(after, d)] * n_after


def tracked(measure, idea) -> None:
    with scopes_disabled():
        type(measure).objects.filter(pk=measure.pk).update(tracks=idea)
        measure.tracks = idea


def count_queries(client, url, *, cold: bool) -> tuple[int, object]:
    """Queries of one request: `cold` with nothing cached (the first view after new data), else warm."""
    from django.core.cache import cache

    if cold:
        cache.clear()
    client.get(url)  # the first request fills the principal's and the charts' caches
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response
