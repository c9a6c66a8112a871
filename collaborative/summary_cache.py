"""The portfolio's and the board's expensive part, kept in the shared cache under a fingerprint of what it reads.

`dashboards.summaries` needs, for every organisation shown, its measures with their
charts' signals, when a figure was last entered, its cycles stuck past their planned
end, its unanswered questions to the coach and its progress score. Worked out for a
hundred organisations that is a thousand signals fetched and unpickled, and the score
worked out for each: most of the board's time. None of it depends on the clock but
through `today` (a cycle is stuck from a day), so it is kept under a key made of:

- per organisation, one row of cheap aggregates (`_per_organisation`): the latest
  `updated_at` and the highest id of its data points and the latest data-point
  revision (a figure entered, changed or cleared: the grid writes a revision when it
  deletes one), the count and latest `updated_at` of its PDSA cycles, the count and
  highest id of its comments, memberships, coach and expert assignments, progress
  score overrides, change-theory elements and improvement projects, and the latest
  `updated_at` and summed version of its change theories (every diagram edit bumps
  both). Each is an index probe or a small aggregate, never a scan of the figures;
- every measure's definition and chart settings, as read (a values list, hashed);
- the projects' aims (the score asks whether there is one) and the change ideas
  counted by stage, as read;
- the mentions sent (count and highest id);
- the day.

A change to any of them reads a new key, so nothing has to remember to invalidate
and no page shows a stale flag; old keys expire. What depends on the hour or the
instant (a period late from its deadline, a learning set two weeks away, a meeting
or a phase overrun) is read live from the enrolments and never cached here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db.models import Count, F, Func, Max, OuterRef, Subquery

from measures.models import DataPoint, DataPointRevision, Measure
from organisations import shared_cache
from organisations.models import Assignment, Membership, Notification, Organisation, Role
from qi_projects.models import ChangeTheory, ChangeTheoryElement, ImprovementProject, Kind
from qi_projects.pdsa.models import Comment, PdsaCycle, ProgressScore

CACHE_SECONDS = 24 * 3600

# What the pages read of a measure, and what its definition digest is made of (measures.series).
MEASURE_FIELDS = (
    "pk",
    "organisation_id",
    "project_id",
    "library_source_id",
    "code",
    "name",
    "kind",
    "frequency",
    "updated_at",
    "target",
    "improvement",
    "value_type",
    "rate_per",
    "unit",
)
SETTINGS_FIELDS = ("chart_type", "rules", "fix_after", "rebase_on", "laney")


@dataclass(frozen=True)
class MeasureBrief:
    """What the portfolio, the board and the flags read of a measure: small to keep and quick to rebuild."""

    pk: int
    organisation_id: int
    project_id: int
    library_source_id: int | None
    code: str
    name: str
    kind: str
    frequency: str


def _latest(model, field, link="organisation", **filters):
    """The highest `field` of the organisation's rows: one probe of an index on (organisation, field)."""
    rows = model.objects.filter(**{link: OuterRef("pk")}, **filters).order_by(f"-{field}").values(field)
    return Subquery(rows[:1])


def _count(model, link="organisation", **filters):
    rows = (
        model.objects.filter(**{link: OuterRef("pk")}, **filters)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Subquery(rows[:1])


def _sum(model, field, link="organisation"):
    rows = (
        model.objects.filter(**{link: OuterRef("pk")}).order_by().annotate(v=Func(F(field), function="SUM")).values("v")
    )
    return Subquery(rows[:1])


def _per_organisation(ids) -> list[tuple]:
    staff = {"role__in": [Role.COACH, Role.EXPERT]}
    theory = "project__organisation"
    element = "diagram__project__organisation"
    return list(
        Organisation.objects.filter(pk__in=ids)
        .annotate(
            fp_dp_at=_latest(DataPoint, "updated_at"),
            fp_dp_id=_latest(DataPoint, "id"),
            fp_rev_at=_latest(DataPointRevision, "at"),
            fp_cycles=_count(PdsaCycle),
            fp_cycle_at=_latest(PdsaCycle, "updated_at"),
            fp_comments=_count(Comment),
            fp_comment_id=_latest(Comment, "id"),
            fp_members=_count(Membership),
            fp_member_id=_latest(Membership, "id"),
            fp_staff=_count(Assignment, **staff),
            fp_staff_id=_latest(Assignment, "id", **staff),
            fp_overrides=_count(ProgressScore),
            fp_override_id=_latest(ProgressScore, "id"),
            fp_elements=_count(ChangeTheoryElement, link=element),
            fp_element_id=_latest(ChangeTheoryElement, "id", link=element),
            fp_projects=_count(ImprovementProject),
            fp_project_id=_latest(ImprovementProject, "id"),
            fp_theory_at=_latest(ChangeTheory, "updated_at", link=theory),
            fp_theory_versions=_sum(ChangeTheory, "version", link=theory),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "fp_dp_at",
            "fp_dp_id",
            "fp_rev_at",
            "fp_cycles",
            "fp_cycle_at",
            "fp_comments",
            "fp_comment_id",
            "fp_members",
            "fp_member_id",
            "fp_staff",
            "fp_staff_id",
            "fp_overrides",
            "fp_override_id",
            "fp_elements",
            "fp_element_id",
            "fp_projects",
            "fp_project_id",
            "fp_theory_at",
            "fp_theory_versions",
        )
    )


def _measure_rows(ids) -> list[tuple]:
    fields = [*MEASURE_FIELDS, *(f"chart_settings__{f}" for f in SETTINGS_FIELDS)]
    return list(Measure.objects.filter(organisation_id__in=ids).order_by("kind", "code", "pk").values_list(*fields))


def briefs(measure_rows) -> dict[int, list[MeasureBrief]]:
    """organisation id -> its measures, in the pages' order, from `_measure_rows`."""
    by_org: dict[int, list[MeasureBrief]] = {}
    n = len(MEASURE_FIELDS)
    for row in measure_rows:
        values = dict(zip(MEASURE_FIELDS, row[:n], strict=True))
        brief = MeasureBrief(**{k: values[k] for k in MeasureBrief.__dataclass_fields__})
        by_org.setdefault(brief.organisation_id, []).append(brief)
    return by_org


def _aims_and_stages(ids) -> tuple[list, list]:
    aims = list(
        ImprovementProject.objects.filter(organisation_id__in=ids)
        .order_by("pk")
        .values_list("pk", "organisation_id", "created_at", "aim")
    )
    stages = list(
        ChangeTheoryElement.objects.filter(
            kind=Kind.CHANGE_IDEA, removed_at=None, diagram__project__organisation_id__in=ids
        )
        .order_by("diagram__project_id", "stage")
        .values_list("diagram__project_id", "stage")
        .annotate(n=Count("pk"))
    )
    return aims, stages


def _mentions() -> tuple:
    found = Notification.objects.filter(kind="mention").aggregate(n=Count("pk"), last=Max("pk"))
    return found["n"], found["last"]


def fingerprint(ids, today) -> tuple[str, dict[int, list[MeasureBrief]]]:
    """The key the organisations' summaries are kept under, and their measures as read for it. Five queries."""
    ids = sorted(ids)
    measure_rows = _measure_rows(ids)
    parts = (
        tuple(ids),
        today.isoformat(),
        tuple(_per_organisation(ids)),
        tuple(measure_rows),
        _aims_and_stages(ids),
        _mentions(),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"summaries:{digest}", briefs(measure_rows)


def cached(key: str, build):
    """The summaries' cached part under `key`, or `build()` kept there (a cache outage only means building it)."""
    found = shared_cache.get(key)
    if found is not None:
        return found
    value = build()
    shared_cache.set(key, value, CACHE_SECONDS)
    return value
