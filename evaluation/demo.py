"""Demo sustaining work (registered as the "sustainability" demo seed; run by `seed_demo`, idempotent).

Northshire, the demo organisation in phase 3 (since 1 August 2026), has taken the
NHS Sustainability Model self-assessment at the start of the phase and again now,
written its sustainability plan and its reflections. Its measures already show a
sustained improvement on crisis referrals and missed first appointments; "Felt
listened to" is linked here to the lived-experience partners it adopted in
November 2025, which is too recent to judge: a measure that is not (yet) sustained.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django_scopes import scopes_disabled

from measures.models import Measure
from organisations.models import Membership, Organisation, Role
from qi_projects.models import ChangeTheoryElement, ImprovementProject, Kind

from .models import AssessmentRound, PlanChange, SustainabilityAssessment, SustainabilityPlan

SLUG = "northshire"

START_ANSWERS = {
    "benefits": "b",
    "credibility": "b",
    "adaptability": "c",
    "monitoring": "b",
    "involvement": "b",
    "attitudes": "b",
    "senior_leadership": "c",
    "clinical_leadership": "b",
    "fit": "b",
    "infrastructure": "c",
}
END_ANSWERS = {**START_ANSWERS, "monitoring": "a", "adaptability": "b", "senior_leadership": "b", "infrastructure": "b"}

EMBEDDING = {
    "Self-referral and community referral routes": (
        "The self-referral form and the community referral line are in the service's standard operating "
        "procedure and on the trust website; the duty worker rota covers them.",
        "Early intervention service manager",
    ),
    "Evening and weekend appointments": (
        "Two evening clinics a week and one Saturday morning are in the team's job plans from April; "
        "the booking system offers them first to people who asked for them.",
        "Team leader, north locality",
    ),
    "Paid lived-experience partners on the project team": (
        "Two paid partner posts are in the service's budget for next year, with supervision from the "
        "peer support lead.",
        "Peer support lead",
    ),
}

REFLECTIONS = (
    "Starting from the community's own account of why people did not come back made the difference: "
    "the self-referral route came from the community panel, not from us.\n\n"
    "We would start measuring by ethnicity sooner: a year of poor recording delayed every chart.\n\n"
    "What we are proudest of: missed first appointments fell and stayed down, and the gap for Black "
    "African and Caribbean people narrowed with it."
)


def seed(collaborative) -> None:
    with scopes_disabled():
        organisation = Organisation.objects.filter(slug=SLUG).first()
        project = ImprovementProject.objects.filter(organisation=organisation).order_by("created_at", "pk").first()
        if organisation is None or project is None:
            return
        lead = Membership.objects.filter(organisation=organisation, role=Role.LEAD).select_related("user").first()
        by = lead.user if lead else None
        _assessment(
            organisation, project, AssessmentRound.START, START_ANSWERS, datetime(2026, 8, 20, 14, tzinfo=UTC), by
        )
        _assessment(organisation, project, AssessmentRound.END, END_ANSWERS, datetime(2026, 11, 18, 14, tzinfo=UTC), by)
        _plan(organisation, project, by)
        _not_yet_sustained(organisation)


def _assessment(organisation, project, round_, answers, at, by) -> None:
    if SustainabilityAssessment.objects.filter(project=project, round=round_).exists():
        return
    assessment = SustainabilityAssessment(organisation=organisation, project=project, round=round_)
    assessment.record(answers, notes="Scored together at the team meeting, with our lived-experience partners.", by=by)
    SustainabilityAssessment.objects.filter(pk=assessment.pk).update(updated_at=at, scored_at=at)


def _plan(organisation, project, by) -> None:
    plan, created = SustainabilityPlan.objects.get_or_create(
        project=project,
        defaults={
            "organisation": organisation,
            "owners": "Early intervention service manager, with the associate director for community services",
            "watchers": "The data champion, at the monthly quality and equality meeting",
            "handover_to": "the trust's performance and information team",
            "handover_from": date(2027, 2, 1),
            "reflections": REFLECTIONS,
            "updated_by": by,
        },
    )
    if not created:
        return
    codes = ("CRISIS", "DNA1", "EIP2W", "LISTEN")
    plan.watched_measures.set(Measure.objects.filter(project=project, code__in=codes))
    ideas = ChangeTheoryElement.objects.filter(diagram__project=project, kind=Kind.CHANGE_IDEA, removed_at=None)
    for idea in ideas.filter(text__in=EMBEDDING):
        embedding, owner = EMBEDDING[idea.text]
        PlanChange.objects.get_or_create(
            plan=plan,
            change_idea=idea,
            defaults={"organisation": organisation, "embedding": embedding, "owner": owner},
        )


def _not_yet_sustained(organisation) -> None:
    """Link "Felt listened to" to the partners the team adopted in November 2025: too recent to be sustained."""
    idea = ChangeTheoryElement.objects.filter(
        organisation=organisation, text="Paid lived-experience partners on the project team"
    ).first()
    if idea is not None:
        Measure.objects.filter(organisation=organisation, code="LISTEN", tracks=None).update(tracks=idea)
