"""Phase gate items the measure data can answer (called by collaborative.phases)."""

from django.db.models import Count, Max

from qi_projects.gates import _day, _design_involvement, _plural
from qi_projects.models import CoproductionEntry

from .models import DataPoint, Kind, Measure

Level = CoproductionEntry.Level

BASELINE_PERIODS = 6


def baseline_data_collected(organisation) -> tuple[bool, str]:
    """Every outcome measure has whole-population data for at least six periods.

    Six is the fewest points for a useful run chart; SPC limits need more, but
    a baseline of six is enough to start testing changes against.
    """
    outcomes = list(Measure.objects.filter(organisation=organisation, kind="outcome").values_list("pk", "code"))
    if not outcomes:
        return False, "No outcome measure is defined yet."
    counts = dict(
        DataPoint.objects.filter(measure_id__in=[pk for pk, _ in outcomes], stratum="all")
        .values_list("measure_id")
        .annotate(n=Count("pk"))
        .values_list("measure_id", "n")
    )
    short = [code for pk, code in outcomes if counts.get(pk, 0) < BASELINE_PERIODS]
    if short:
        return False, f"Fewer than {BASELINE_PERIODS} periods of data for: {', '.join(short)}."
    return True, f"{len(outcomes)} outcome measures with at least {BASELINE_PERIODS} periods of data."


def measurement_strategy_agreed(organisation) -> tuple[bool, str]:
    measures = Measure.objects.filter(organisation=organisation)
    total = measures.count()
    outcome = measures.filter(kind=Kind.OUTCOME, target__isnull=False).exclude(operational_definition="")
    if not total:
        return False, "No measures defined yet"
    if not outcome.exists():
        return False, f"{_plural(total, 'measure')}; no outcome measure with a target yet"
    reviewed = CoproductionEntry.objects.filter(
        organisation=organisation,
        topic=CoproductionEntry.Topic.MEASUREMENT,
        level__in=(Level.CONSULTED, *CoproductionEntry.SHAPING_LEVELS),
    )
    latest = (
        reviewed.aggregate(latest=Max("date"))["latest"]
        or _design_involvement(organisation).aggregate(latest=Max("date"))["latest"]
    )
    if latest is None:
        return False, f"{_plural(total, 'measure')}; not yet reviewed with people with lived experience"
    return True, f"{_plural(total, 'measure')} ({outcome.count()} outcome with a target); reviewed {_day(latest)}"
