"""PDSA cycles for `seed_bench`: spread evenly over the bench organisations (called with scopes disabled)."""

from datetime import date, timedelta

from measures.models import Measure
from qi_projects.models import ChangeTheory, ChangeTheoryElement, ImprovementProject, Kind

from .models import PdsaCycle

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
