"""Phase gate items the measure data can answer (called by collaborative.phases)."""

from django.db.models import Count

from .models import DataPoint, Measure

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
