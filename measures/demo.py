"""Demo measure data: 30+ months per measure, broken down by group, with real-looking signals.

Deterministic (a fixed seed per organisation and measure). Some organisations
improve after a change part-way through; in the first, the focus group's gap
with the reference group narrows.
"""

import random
from datetime import date

from django.utils import timezone

from qi_projects.models import FocusPopulation

from . import periods as P
from .models import ChartSettings, DataPoint, Measure

START = date(2024, 1, 1)
IMPROVES = {0, 2, 3}  # organisation indexes whose changes worked
NARROWS = {0}  # ... and whose focus group caught up with the reference group
OTHER_GROUPS = {"ethnicity": ["H", "J"], "imd_quintile": ["3"]}


def seed(organisations) -> None:
    today = timezone.localdate()
    for index, organisation in enumerate(organisations):
        measures = list(Measure.objects.filter(organisation=organisation))
        if not measures or DataPoint.objects.filter(organisation=organisation).exists():
            continue
        points = []
        for measure in measures:
            points += _measure_points(index, organisation, measure, today)
        DataPoint.objects.bulk_create(points, batch_size=2000)


def _focus(measure) -> str | None:
    for population in FocusPopulation.objects.filter(project_id=measure.project_id):
        for stratum in population.groups or []:
            if stratum.startswith(f"{measure.dimension}:"):
                return stratum
    return None


def _measure_points(index, organisation, measure, today) -> list[DataPoint]:
    rng = random.Random(f"{organisation.slug}-{measure.code}")
    first = P.current_start(measure.frequency, START)
    last = P.step(measure.frequency, P.current_start(measure.frequency, today), -1)
    axis = P.series(measure.frequency, first, last)
    change_at = int(len(axis) * 0.55)
    if index == 2 and len(axis) >= 20:  # one organisation recalculated its limits at the change
        ChartSettings.objects.get_or_create(
            measure=measure, organisation=organisation, defaults={"rebase_on": [axis[change_at].isoformat()]}
        )
    strata = [("all", 1.0, 8.0)]
    if measure.dimension:
        focus = _focus(measure) or f"{measure.dimension}:{OTHER_GROUPS.get(measure.dimension, ['1'])[0]}"
        reference = f"{measure.dimension}:{measure.reference_category}"
        worse = 0.6 if measure.improvement == "increase" else 1.6  # the focus group starts worse off
        strata += [(focus, worse, 1.2), (reference, 1.0, 4.0)]
        strata += [
            (f"{measure.dimension}:{c}", 0.9, 0.8)
            for c in OTHER_GROUPS.get(measure.dimension, [])
            if f"{measure.dimension}:{c}" not in (focus, reference)
        ]
    better = 1 if measure.improvement != "decrease" else -1
    points = []
    for stratum, factor, size in strata:
        is_focus = stratum not in ("all",) and factor != 1.0 and factor != 0.9
        for i, period in enumerate(axis):
            after = index in IMPROVES and i >= change_at
            lift = 0.18 * better if after else 0.0
            if after and is_focus and index in NARROWS:
                # the gap closes: the focus group moves most of the way towards the reference
                factor_now = factor + (1.0 - factor) * min(1.0, (i - change_at + 1) / 8) * 0.8
            else:
                factor_now = factor
            points.append(_point(rng, organisation, measure, period, stratum, factor_now, size, lift))
    return points


def _point(rng, organisation, measure, period, stratum, factor, size, lift) -> DataPoint:
    base = DataPoint(organisation=organisation, measure=measure, period_start=period, stratum=stratum, source="demo")
    scale = {"weekly": 0.25, "monthly": 1.0, "quarterly": 3.0}[measure.frequency]
    if measure.value_type == "proportion":
        p = min(0.97, max(0.03, 0.45 * factor * (1 + lift)))
        n = max(6, int(rng.gauss(60 * size * scale, 6 * size)))
        base.denominator = n
        base.numerator = min(n, max(0, round(rng.gauss(p * n, (p * (1 - p) * n) ** 0.5))))
    elif measure.value_type == "rate":
        per = measure.rate_per or 100_000
        population = int(9_000 * size)
        rate = 150 * factor * (1 + lift) * scale / per
        base.denominator = population
        base.numerator = max(0, round(rng.gauss(rate * population, (rate * population) ** 0.5)))
    elif measure.value_is_count:  # people or events: whole numbers, fewer in each group than in everyone
        level = 40 * factor * (1 + lift) * min(1.0, size / 8)
        base.value = max(0, round(rng.gauss(level, level * 0.08)))
    else:
        level = 40 * factor * (1 + lift)
        base.value = round(max(0.0, rng.gauss(level, level * 0.08)), 1)
    return base
