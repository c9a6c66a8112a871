"""PDSA objects for tests, created outside any request scope."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django_scopes import scopes_disabled

from qi_projects.models import Kind
from qi_projects.tests import factories

from ..models import PdsaAttachment, PdsaCycle

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def change_idea(organisation, collaborative=None, text=None):
    """A change idea in a fresh project's change theory (copied from a small programme theory)."""
    with scopes_disabled():
        theory = factories.change_theory(organisation, collaborative)
        ideas = theory.elements.filter(kind=Kind.CHANGE_IDEA, removed_at=None).order_by("position", "pk")
        idea = ideas.first()
        if idea is None:
            secondary = theory.elements.filter(kind=Kind.SECONDARY).first()
            if secondary is None:
                theory.add_element(Kind.PRIMARY, "Easy to reach", by=None, based_on=theory.version)
                primary = theory.added
                theory.add_element(Kind.SECONDARY, "Flexible", "", primary, by=None, based_on=theory.version)
                secondary = theory.added
            theory.add_element(
                Kind.CHANGE_IDEA,
                text or "Evening clinics",
                "",
                secondary,
                by=None,
                based_on=theory.version,
            )
            idea = theory.added
        return idea


def cycle(organisation, idea=None, status="planned", by=None, measures=(), **fields):
    """A cycle at `status`, moved there through the model's own stage methods."""
    today = timezone.localdate()
    with scopes_disabled():
        idea = idea or change_idea(organisation)
        c = PdsaCycle.log(
            change_idea=idea,
            by=by,
            measures=measures,
            objective=fields.pop("objective", "Offer evening appointments for one week"),
            prediction=fields.pop("prediction", "Half the evening slots will be taken by the focus group."),
            planned_start=fields.pop("planned_start", today - timedelta(days=20)),
            planned_end=fields.pop("planned_end", today - timedelta(days=10)),
            **fields,
        )
        if status in ("doing", "studying", "completed"):
            c.record_do(
                actual_start=today - timedelta(days=20),
                actual_end=today - timedelta(days=12),
                what_was_done="Ran four evening clinics.",
                what_happened="11 of 16 slots taken, 7 by the focus group.",
            )
        if status in ("studying", "completed"):
            c.record_study(results="Better than predicted: 44% not 50%.", learning="Evenings suit working people.")
        if status == "completed":
            c.complete(decision=fields.get("decision", "adapt"), next_step="Try two evenings a week")
        return c


def attachment(organisation, cycle_=None, name="whiteboard.png", data=PNG):
    with scopes_disabled():
        cycle_ = cycle_ or cycle(organisation)
        a = PdsaAttachment(organisation=organisation, cycle=cycle_, name=name, kind="png", size=len(data))
        a.file.save(name, ContentFile(data), save=False)
        a.save()
        return a
