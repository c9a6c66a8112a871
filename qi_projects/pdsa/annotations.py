"""PDSA cycles marked on measure charts, and the changes adopted that a chart may rebase at
(registered in collaborative.registry by this app's AppConfig)."""

from __future__ import annotations

from django.urls import reverse

from measures.charts import Annotation

from .models import PdsaCycle


def for_measure(measure) -> list[Annotation]:
    """The start of each PDSA cycle linked to `measure`, oldest first, in one query.

    Hovering shows the cycle's objective and, once it is decided, the Act
    decision and next step; until then, the stage it has reached.
    """
    cycles = (
        PdsaCycle.objects.filter(organisation_id=measure.organisation_id, measures=measure)
        .select_related("change_idea")
        .only(
            "number",
            "objective",
            "status",
            "decision",
            "next_step",
            "planned_start",
            "actual_start",
            "change_idea__text",
        )
        .order_by("planned_start", "pk")
    )
    notes = []
    slug = measure.organisation.slug
    for cycle in cycles:
        detail = cycle.outcome if cycle.status == PdsaCycle.Status.COMPLETED else f"In progress: {cycle.outcome}"
        notes.append(
            Annotation(
                on=cycle.start_date,
                label=f"PDSA {cycle.number} ({cycle.change_idea.text}): {cycle.objective}",
                detail=detail[:200],
                kind="pdsa",
                url=reverse("pdsa:pdsa_detail", kwargs={"org": slug, "pk": cycle.pk}),
            )
        )
    notes.sort(key=lambda a: a.on)
    return notes


def adoptions_for(measure) -> list[tuple]:
    """(date, text) of each move to Adopted of a change idea the measure tracks or whose cycles it measures."""
    from django.db.models import Q

    from qi_projects.models import Stage

    from .models import ChangeIdeaMove

    moves = (
        ChangeIdeaMove.objects.filter(organisation_id=measure.organisation_id, to_stage=Stage.ADOPTED)
        .filter(Q(change_idea_id=measure.tracks_id) | Q(change_idea__pdsa_cycles__measures=measure))
        .select_related("change_idea")
        .distinct()
        .order_by("at")
    )
    return [(move.at.date(), move.change_idea.text) for move in moves]
