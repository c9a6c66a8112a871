"""Question 2, which interventions made a difference: the programme's change ideas across organisations.

A local change idea adapts a programme one when its `source` is that programme
element (qi_projects: lineage). For each change idea of the collaborative's
programme change theory this gathers, per organisation that took it into its
own change theory: the furthest it went (tested, adopted, spread, abandoned,
from the stage moves and the current stage), how many PDSA cycles tested it,
and each measure linked to it (tracking it, or measuring one of its cycles)
with that measure's sustained-improvement result (`evaluation.evidence`).
Counts of organisations, ideas and cycles are shown as they are (they count no
people); organisations appear under their evaluation labels. A fixed number of
queries whatever the number of organisations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django_scopes import scopes_disabled

from measures.models import Measure
from qi_projects.models import ChangeTheoryElement, Kind, ProgrammeElement, Stage
from qi_projects.pdsa.models import ChangeIdeaMove, PdsaCycle

from . import answers, evidence, pseudonyms, sustained

TESTED = {Stage.TESTING, Stage.ADOPTED, Stage.SPREADING, Stage.SUSTAINED}
ADOPTED = {Stage.ADOPTED, Stage.SPREADING, Stage.SUSTAINED}
SPREAD = {Stage.SPREADING}


@dataclass
class OrganisationUse:
    """One organisation's use of one programme change idea (all its local copies together)."""

    organisation: str
    organisation_id: int
    stages: set = field(default_factory=set)  # every stage its copies reached
    current: set = field(default_factory=set)  # its copies' stages now
    cycles: int = 0
    adopted_on: object = None  # the first move of a copy to Adopted
    measures: list = field(default_factory=list)  # (measure, answers.Verdict, judged from another change)

    @property
    def tested(self) -> bool:
        return bool(self.stages & TESTED) or self.cycles > 0

    @property
    def adopted(self) -> bool:
        return bool(self.stages & ADOPTED)

    @property
    def spread(self) -> bool:
        return bool(self.stages & SPREAD)

    @property
    def abandoned(self) -> bool:
        return bool(self.current) and self.current <= {Stage.ABANDONED}

    @property
    def furthest(self) -> str:
        for flag, label in ((self.spread, "Spread"), (self.adopted, "Adopted"), (self.tested, "Tested")):
            if flag:
                return label + (", then abandoned" if self.abandoned else "")
        return "Abandoned" if self.abandoned else "Not tested yet"

    @property
    def sustained(self) -> bool:
        return any(v.is_sustained for _, v, _ in self.measures)


@dataclass
class IdeaReport:
    element: ProgrammeElement
    driver: str
    uses: list[OrganisationUse]

    def _count(self, flag: str) -> int:
        return sum(getattr(u, flag) for u in self.uses)

    @property
    def counts(self) -> dict:
        return {
            "taken_up": len(self.uses),
            "tested": self._count("tested"),
            "adopted": self._count("adopted"),
            "spread": self._count("spread"),
            "abandoned": self._count("abandoned"),
            "cycles": sum(u.cycles for u in self.uses),
            "sustained": self._count("sustained"),
        }


def _copies(theory, organisation_ids):
    return list(
        ChangeTheoryElement.objects.filter(
            source__diagram=theory, kind=Kind.CHANGE_IDEA, organisation_id__in=organisation_ids, removed_at=None
        ).values_list("pk", "source_id", "organisation_id", "stage")
    )


def _history(idea_ids):
    """idea id -> stages reached, first adopted day; idea id -> cycles (two queries)."""
    reached: dict[int, set] = defaultdict(set)
    adopted_on: dict[int, object] = {}
    moves = ChangeIdeaMove.objects.filter(change_idea_id__in=idea_ids).order_by("at", "pk")
    for idea_id, to_stage, at in moves.values_list("change_idea_id", "to_stage", "at"):
        reached[idea_id].add(to_stage)
        if to_stage == Stage.ADOPTED:
            adopted_on.setdefault(idea_id, at.date())
    cycles = dict(
        PdsaCycle.objects.filter(change_idea_id__in=idea_ids)
        .order_by()
        .values_list("change_idea_id")
        .annotate(n=Count("pk"))
        .values_list("change_idea_id", "n")
    )
    return reached, adopted_on, cycles


def _linked_measures(idea_ids) -> dict[int, set[int]]:
    """idea id -> ids of the measures that track it or measure one of its cycles (two queries)."""
    linked: dict[int, set[int]] = defaultdict(set)
    for pk, tracks_id in Measure.objects.filter(tracks_id__in=idea_ids).values_list("pk", "tracks_id"):
        linked[tracks_id].add(pk)
    through = PdsaCycle.measures.through.objects.filter(pdsacycle__change_idea_id__in=idea_ids)
    for idea_id, measure_id in through.values_list("pdsacycle__change_idea_id", "measure_id"):
        linked[idea_id].add(measure_id)
    return linked


def _judged(measures, found, linked_ids, adopted_on):
    rows = []
    for measure_id in sorted(linked_ids, key=lambda pk: (measures[pk].code, pk)):
        ev = found.get(measure_id)
        if ev is None:
            continue
        v = answers.verdict(ev.result, ev, ev.shift_period, chart_name=ev.chart_name)
        other_change = ev.change_on is not None and adopted_on is not None and ev.change_on < adopted_on
        rows.append((measures[measure_id], v, other_change))
    return rows


def report(collaborative) -> list[IdeaReport]:
    """Every change idea of the collaborative's programme change theory, with each organisation's use of it."""
    from qi_projects.models import ProgrammeChangeTheory

    labels = pseudonyms.enrolled_labels(collaborative)
    with scopes_disabled():
        theory = ProgrammeChangeTheory.objects.filter(collaborative=collaborative).first()
        if theory is None:
            return []
        elements = list(
            theory.elements.filter(kind=Kind.CHANGE_IDEA, removed_at=None)
            .select_related("parent__parent")
            .order_by("parent__parent__position", "parent__position", "position", "pk")
        )
        organisation_ids = list(answers.enrolled(collaborative).values_list("organisation_id", flat=True))
        copies = _copies(theory, organisation_ids)
        idea_ids = [pk for pk, *_ in copies]
        reached, adopted_on, cycles = _history(idea_ids)
        linked = _linked_measures(idea_ids)
        measure_ids = {pk for ids in linked.values() for pk in ids}
        measures = Measure.objects.filter(pk__in=measure_ids).select_related("chart_settings").in_bulk()
        found = evidence.evidence_for(measures.values())
    uses: dict[tuple[int, int], OrganisationUse] = {}
    for pk, source_id, organisation_id, stage in copies:
        use = uses.setdefault(
            (source_id, organisation_id), OrganisationUse(labels.get(organisation_id, ""), organisation_id)
        )
        use.stages |= reached.get(pk, set()) | {stage}
        use.current.add(stage)
        use.cycles += cycles.get(pk, 0)
        if pk in adopted_on and (use.adopted_on is None or adopted_on[pk] < use.adopted_on):
            use.adopted_on = adopted_on[pk]
        use.measures += _judged(measures, found, linked.get(pk, ()), adopted_on.get(pk))
    result = []
    for element in elements:
        these = sorted((u for (s, _), u in uses.items() if s == element.pk), key=lambda u: u.organisation)
        driver = element.parent.text if element.parent else ""
        result.append(IdeaReport(element, driver, these))
    return result


EXPORT_COLUMNS = [
    "programme_change_idea",
    "secondary_driver",
    "organisation",
    "furthest_stage",
    "tested",
    "adopted",
    "spread",
    "abandoned",
    "first_adopted_on",
    "pdsa_cycles",
    "measure_code",
    "measure_name",
    "sustained_result",
    "judged_from_an_earlier_change",
]


def export_rows(reports: list[IdeaReport]):
    """One row per programme idea, organisation and linked measure (a row without a measure when none)."""
    yield EXPORT_COLUMNS
    yes = {True: "yes", False: "no"}
    for r in reports:
        for u in r.uses:
            head = [r.element.text, r.driver, u.organisation, u.furthest]
            head += [yes[u.tested], yes[u.adopted], yes[u.spread], yes[u.abandoned]]
            head += [u.adopted_on.isoformat() if u.adopted_on else "", u.cycles]
            for measure, v, other in u.measures or [(None, None, False)]:
                if measure is None:
                    yield [*head, "", "", "", ""]
                else:
                    yield [*head, measure.code, measure.name, v.label, yes[other]]


def summary(reports: list[IdeaReport]) -> dict:
    adopted = [r for r in reports if r.counts["adopted"]]
    made_difference = [r for r in reports if r.counts["sustained"]]
    return {
        "ideas": len(reports),
        "adopted": len(adopted),
        "made_difference": len(made_difference),
        "status_sustained": sustained.STATUS_LABELS[sustained.SUSTAINED],
    }
