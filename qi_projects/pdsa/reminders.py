"""PDSA reminders (registered in PdsaConfig.ready as reminder sources).

- a cycle whose planned end has passed while it is still only planned: the day after, at 08:00 UK time;
- a cycle whose test ended 7 days ago (its actual end, else its planned end) with its Study not written.

To the cycle's author, if still on the team, and the project leads. Moving the
planned end later makes a new occasion; recording Do (or Study) stops it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import DateField
from django.db.models.functions import Coalesce
from django.urls import reverse

from collaborative.models import Enrolment
from organisations.clock import london, london_date
from organisations.deliveries import CATCH_UP, Due, in_window
from organisations.models import Membership, Role

from .models import PdsaCycle

STUDY_DAYS = 7
FIELDS = ("pk", "organisation_id", "organisation__slug", "created_by_id", "number", "objective", "change_idea__text")


def _recipients(cycles) -> dict[int, list[int]]:
    """Cycle id -> people to tell: its author while on the team, and the organisation's project leads."""
    team: dict[int, dict[int, set]] = {}
    rows = Membership.objects.filter(organisation_id__in={c["organisation_id"] for c in cycles}, user__is_active=True)
    for organisation_id, user_id, role in rows.values_list("organisation_id", "user_id", "role"):
        team.setdefault(organisation_id, {}).setdefault(user_id, set()).add(role)
    people = {}
    for cycle in cycles:
        members = team.get(cycle["organisation_id"], {})
        chosen = {user_id for user_id, roles in members.items() if Role.LEAD in roles}
        if cycle["created_by_id"] in members:
            chosen.add(cycle["created_by_id"])
        people[cycle["pk"]] = sorted(chosen)
    return people


def _enrolled():
    return Enrolment.objects.filter(active=True).values("organisation_id")


def cycles_not_started(now: datetime) -> list[Due]:
    today = london_date(now)
    cycles = list(
        PdsaCycle.objects.filter(
            status=PdsaCycle.Status.PLANNED,
            planned_end__gte=today - CATCH_UP - timedelta(days=2),
            planned_end__lt=today,
            organisation_id__in=_enrolled(),
        ).values(*FIELDS, "planned_end")
    )
    cycles = [c for c in cycles if in_window(london(c["planned_end"] + timedelta(days=1)), now)]
    people = _recipients(cycles)
    found = []
    for c in cycles:
        end = c["planned_end"]
        for user_id in people[c["pk"]]:
            found.append(
                Due(
                    recipient_id=user_id,
                    kind="pdsa_not_started",
                    about=(PdsaCycle, c["pk"]),
                    occasion=f"planned_end:{end}",
                    due_at=london(end + timedelta(days=1)),
                    organisation_id=c["organisation_id"],
                    subject=f"PDSA cycle {c['number']} has not started: {c['objective']}",
                    text=f"Cycle {c['number']} testing “{c['change_idea__text']}” was planned to end on "
                    f"{end:%A} {end.day} {end:%B %Y}, and its Do stage is not recorded. If the test ran, record "
                    "what was done and what happened; if plans changed, move its planned dates.",
                    url=reverse("pdsa:pdsa_detail", kwargs={"org": c["organisation__slug"], "pk": c["pk"]}),
                )
            )
    return found


def studies_overdue(now: datetime) -> list[Due]:
    today = london_date(now)
    ended = Coalesce("actual_end", "planned_end", output_field=DateField())
    cycles = list(
        PdsaCycle.objects.filter(status=PdsaCycle.Status.DOING, organisation_id__in=_enrolled())
        .annotate(ended=ended)
        .filter(
            ended__gte=today - timedelta(days=STUDY_DAYS) - CATCH_UP - timedelta(days=2),
            ended__lte=today - timedelta(days=STUDY_DAYS),
        )
        .values(*FIELDS, "ended")
    )
    cycles = [c for c in cycles if in_window(london(c["ended"] + timedelta(days=STUDY_DAYS)), now)]
    people = _recipients(cycles)
    found = []
    for c in cycles:
        end = c["ended"]
        for user_id in people[c["pk"]]:
            found.append(
                Due(
                    recipient_id=user_id,
                    kind="pdsa_study_overdue",
                    about=(PdsaCycle, c["pk"]),
                    occasion=f"study_after:{end}",
                    due_at=london(end + timedelta(days=STUDY_DAYS)),
                    organisation_id=c["organisation_id"],
                    subject=f"Study overdue for PDSA cycle {c['number']}: {c['objective']}",
                    text=f"Cycle {c['number']} testing “{c['change_idea__text']}” ended on {end:%A} {end.day} "
                    f"{end:%B %Y}, {STUDY_DAYS} days ago, and its Study is not written. Compare what happened "
                    "with the prediction while it is fresh, then decide what to do next.",
                    url=reverse("pdsa:pdsa_detail", kwargs={"org": c["organisation__slug"], "pk": c["pk"]}),
                )
            )
    return found
