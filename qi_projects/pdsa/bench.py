"""PDSA cycles for `seed_bench`: spread evenly over the bench organisations (called with scopes disabled)."""

from collections import defaultdict
from datetime import date, timedelta

from measures.models import Measure
from qi_projects.models import ChangeTheory, ChangeTheoryElement, ImprovementProject, Kind

from .models import ChangeIdeaMove, PdsaCycle

IDEAS_PER_ORG = 4
STATUSES = ["completed", "completed", "completed", "studying", "doing", "planned"]
DECISIONS = ["adapt", "adopt", "abandon"]


def seed(rng, n_orgs: int, total: int = 2000) -> None:
    per_org = max(1, total // max(n_orgs, 1))
    for i in range(1, n_orgs + 1):
        project = ImprovementProject.objects.filter(organisation__slug=f"bench-{i:03d}").first()
        if project is None or PdsaCycle.objects.filter(project=project).exists():
            continue
        organisation = project.organisation
        theory, _ = ChangeTheory.objects.get_or_create(
            project=project, defaults={"organisation": organisation, "aim": project.aim}
        )
        primary = ChangeTheoryElement.objects.create(
            organisation=organisation, diagram=theory, kind=Kind.PRIMARY, text="Services people trust"
        )
        secondary = ChangeTheoryElement.objects.create(
            organisation=organisation, diagram=theory, kind=Kind.SECONDARY, parent=primary, text="Culturally safe care"
        )
        ideas = [
            ChangeTheoryElement.objects.create(
                organisation=organisation,
                diagram=theory,
                kind=Kind.CHANGE_IDEA,
                parent=secondary,
                text=f"Change idea {n + 1}",
                position=n,
                stage="testing",
            )
            for n in range(IDEAS_PER_ORG)
        ]
        measure = Measure.objects.filter(organisation=organisation, code="OM1").first()
        cycles = []
        for k in range(per_org):
            idea = ideas[k % IDEAS_PER_ORG]
            number = k // IDEAS_PER_ORG + 1
            start = date(2024, 1, 1) + timedelta(days=30 * k + rng.randrange(0, 20))
            status = STATUSES[rng.randrange(len(STATUSES))]
            cycle = PdsaCycle(
                organisation=organisation,
                project=project,
                change_idea=idea,
                number=number,
                status=status,
                objective=f"Test {idea.text.lower()}, cycle {number}",
                prediction="More people will attend.",
                planned_start=start,
                planned_end=start + timedelta(days=14),
            )
            if status != "planned":
                cycle.actual_start, cycle.actual_end = start, start + timedelta(days=14)
                cycle.what_happened = "Attendance rose."
            if status == "completed":
                cycle.decision = DECISIONS[rng.randrange(len(DECISIONS))]
            cycles.append(cycle)
        PdsaCycle.objects.bulk_create(cycles)
        if measure is not None:
            through = PdsaCycle.measures.through
            through.objects.bulk_create([through(pdsacycle_id=c.pk, measure_id=measure.pk) for c in cycles])


# --- Programme lineage: the bench ideas adapted from a programme change theory, with their lifecycles ---------

PROGRAMME_AIM = "Close the gaps in access, experience and outcomes for the groups each organisation focuses on."
PROGRAMME_PRIMARY, PROGRAMME_SECONDARY = "Services people trust", "Culturally safe care"
PROGRAMME_IDEAS = [
    "Evening and weekend clinics",
    "Text reminders in the person's language",
    "Peer support workers at first contact",
    "Outreach with faith and voluntary groups",
    "Interpreters booked with every appointment",
    "Culturally adapted talking therapy",
]


def seed_programme(collaborative, national):
    """The bench collaborative's programme change theory: one primary and one secondary driver, six ideas."""
    from qi_projects.models import ProgrammeChangeTheory

    theory = ProgrammeChangeTheory.for_collaborative(collaborative)
    if theory.version:
        return theory
    theory.set_aim(PROGRAMME_AIM, by=national, based_on=0)
    theory.add_element(Kind.PRIMARY, PROGRAMME_PRIMARY, by=national, based_on=theory.version)
    primary = theory.added
    theory.add_element(Kind.SECONDARY, PROGRAMME_SECONDARY, "", primary, by=national, based_on=theory.version)
    secondary = theory.added
    for text in PROGRAMME_IDEAS:
        theory.add_element(Kind.CHANGE_IDEA, text, "", secondary, by=national, based_on=theory.version)
    return theory


def seed_lineage(collaborative, national, n_orgs: int) -> None:
    """Link each bench organisation's drivers and ideas to the programme's and move its ideas through their
    lifecycle as their cycles decided, once (an organisation whose change theory is based on the programme's
    is done). Deterministic: what each organisation gets depends only on its number and its cycles."""
    programme = seed_programme(collaborative, national)
    elements = {(e.kind, e.text): e for e in programme.elements.filter(removed_at=None)}
    ideas = [elements[(Kind.CHANGE_IDEA, text)] for text in PROGRAMME_IDEAS]
    theories = ChangeTheory.objects.filter(
        organisation__slug__in=[f"bench-{i:03d}" for i in range(1, n_orgs + 1)], based_on=None
    ).select_related("organisation")
    for theory in theories:
        i = int(theory.organisation.slug.removeprefix("bench-"))
        _link(theory, i, elements, ideas)
        ChangeTheory.objects.filter(pk=theory.pk).update(based_on=programme)


def _link(theory, i: int, programme: dict, ideas: list) -> None:
    local = list(theory.elements.filter(removed_at=None).order_by("kind", "position", "pk"))
    changed = []
    for element in local:
        if element.kind != Kind.CHANGE_IDEA:
            source = programme.get((element.kind, element.text))
            if source is not None:
                element.source = source
                changed.append(element)
    local_ideas = sorted((e for e in local if e.kind == Kind.CHANGE_IDEA), key=lambda e: (e.position, e.pk))
    for n, element in enumerate(local_ideas):
        if n == 3 and i % 3 == 0:
            element.text = "Drop-in sessions at the community hub"  # the organisation's own idea
        else:
            element.source = ideas[(i + n) % len(ideas)]
            element.adapted = n == 1  # one idea a team reworded for its own service
            element.text = element.source.text + (", with our lived-experience partners" if element.adapted else "")
        changed.append(element)
    cycles = defaultdict(list)
    for cycle in PdsaCycle.objects.filter(change_idea__in=local_ideas).order_by("planned_start", "number", "pk"):
        cycles[cycle.change_idea_id].append(cycle)
    moves = []
    for n, element in enumerate(local_ideas):
        moves += _lifecycle(element, cycles[element.pk], spread=n == 0 and i % 4 == 0)
    type(local[0]).objects.bulk_update(changed, ["source", "adapted", "text", "stage", "stage_changed_at"])
    ChangeIdeaMove.objects.bulk_create(moves)
    if local_ideas:
        Measure.objects.filter(organisation_id=theory.organisation_id, code="PM1", tracks=None).update(
            tracks=local_ideas[0]
        )


def _when(day: date):
    from datetime import datetime, time

    from django.utils import timezone

    return min(timezone.make_aware(datetime.combine(day, time(16))), timezone.now())


def _lifecycle(idea, cycles: list, spread: bool) -> list:
    """The moves its cycles justify: tested from the first cycle, adopted at the first adopt decision (then
    spread two months on for some), abandoned when every decision was to abandon. Sets the idea's stage."""
    from qi_projects.models import Stage

    if not cycles:
        return []
    path = [(Stage.IDEA, Stage.TESTING, cycles[0].planned_start, "Cycle 1 started.")]
    decided = [c for c in cycles if c.status == "completed"]
    adopted = next((c for c in decided if c.decision == "adopt"), None)
    if adopted is not None:
        path.append((Stage.TESTING, Stage.ADOPTED, adopted.actual_end, f"Cycle {adopted.number} met its prediction."))
        if spread:
            path.append((Stage.ADOPTED, Stage.SPREADING, adopted.actual_end + timedelta(days=60), "Spreading."))
    elif decided and all(c.decision == "abandon" for c in decided):
        path.append((Stage.TESTING, Stage.ABANDONED, decided[-1].actual_end, "Abandoned after its cycles."))
    idea.stage, idea.stage_changed_at = path[-1][1], _when(path[-1][2])
    return [
        ChangeIdeaMove(
            organisation_id=idea.organisation_id,
            change_idea=idea,
            from_stage=source,
            to_stage=target,
            evidence=evidence,
            at=_when(day),
        )
        for source, target, day, evidence in path
    ]
