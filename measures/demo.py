"""Demo measure data: 30+ months per measure, broken down by group, with real-looking signals.

Deterministic (a fixed seed per organisation and measure). Some organisations
improve after a change part-way through; in the first, the focus group's gap
with the reference group narrows.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from collaborative.models import Enrolment
from qi_projects.demo import PLANS, _at
from qi_projects.models import ChangeTheoryElement, FocusPopulation, ImprovementProject

from . import periods as P
from .models import ChartSettings, DataPoint, Measure, MeasureTemplate

START = date(2024, 1, 1)
IMPROVES = {0, 2, 3}  # organisation indexes whose changes worked
NARROWS = {0}  # ... and whose focus group caught up with the reference group
OTHER_GROUPS = {"ethnicity": ["H", "J"], "imd_quintile": ["3"]}
STOPPED = {1: 3}  # organisation index -> months ago its data stopped coming (the coach's flag)
CONCERN = {2}  # organisations whose first outcome measure's latest point is a special-cause concern
# Plausible sizes: each measure's denominator relative to the default (60 a month for everyone),
# and for rates the level per its `rate_per` (detentions per 100,000 adults a quarter, restraint
# per 1,000 occupied bed days, referrals per 100,000 residents).
SIZES = {"EIP2W": 0.08, "ETHREC": 10.0, "LISTEN": 0.3, "RECOV": 0.8, "MHADET": 7.0, "RESTR": 0.1, "REFRATE": 7.0}
RATE_LEVELS = {"MHADET": 10, "RESTR": 30, "REFRATE": 150}


# --- Measure definitions: the programme's library and each organisation's measurement strategy ---

LIBRARY = [
    dict(
        code="EIP2W",
        name="Started early intervention treatment within 2 weeks of referral",
        kind="outcome",
        value_type="proportion",
        operational_definition="People referred with a first episode of psychosis who started a NICE-recommended "
        "care package within 14 days of referral, by month of referral.",
        numerator_definition="Referrals in the month with treatment started within 14 days",
        denominator_definition="Referrals to early intervention accepted in the month",
        data_source="Mental Health Services Data Set (MHSDS)",
        frequency="monthly",
        improvement="increase",
        dimension="ethnicity",
        reference_category="A",
        guidance="The NHS access standard is 60%; break it down by ethnicity to see the gap.",
    ),
    dict(
        code="MHADET",
        name="Detentions under the Mental Health Act per 100,000 adults",
        kind="outcome",
        value_type="rate",
        rate_per=100000,
        operational_definition="New detentions under sections 2, 3, 4, 135 and 136 of adults resident in the area.",
        numerator_definition="Detentions starting in the quarter",
        denominator_definition="Adult resident population (ONS mid-year estimate)",
        data_source="MHSDS and ONS population estimates",
        frequency="quarterly",
        improvement="decrease",
        dimension="ethnicity",
        reference_category="A",
        guidance="Black people are detained at over three times the rate of White people nationally.",
    ),
    dict(
        code="REFRATE",
        name="Referrals per 100,000 population",
        kind="outcome",
        value_type="rate",
        rate_per=100000,
        operational_definition="Referrals received for residents of the area, per 100,000 residents.",
        numerator_definition="Referrals received in the month",
        denominator_definition="Resident population",
        data_source="Local patient record and ONS population estimates",
        frequency="monthly",
        improvement="increase",
        dimension="imd_quintile",
        reference_category="5",
    ),
    dict(
        code="DNA1",
        name="Missed first appointments",
        kind="process",
        value_type="proportion",
        operational_definition="First appointments offered in the month that the person did not attend, "
        "without cancelling in advance.",
        numerator_definition="First appointments not attended",
        denominator_definition="First appointments offered",
        data_source="Local patient record",
        frequency="monthly",
        improvement="decrease",
        dimension="ethnicity",
        reference_category="A",
    ),
    dict(
        code="ETHREC",
        name="Ethnicity recorded with a valid code",
        kind="process",
        value_type="proportion",
        operational_definition="People on the caseload at the end of the month with an ethnic category other "
        "than Z (not stated) or 99 (not known).",
        numerator_definition="Caseload with a valid ethnic category",
        denominator_definition="Caseload at the end of the month",
        data_source="MHSDS",
        frequency="monthly",
        improvement="increase",
    ),
    dict(
        code="LISTEN",
        name="Felt listened to and understood",
        kind="outcome",
        value_type="proportion",
        operational_definition="Feedback responses answering 'always' or 'mostly' to 'Did you feel listened to "
        "and understood?'.",
        numerator_definition="Responses 'always' or 'mostly'",
        denominator_definition="All responses to the question",
        data_source="Local experience survey",
        frequency="quarterly",
        improvement="increase",
        dimension="ethnicity",
        reference_category="A",
    ),
    dict(
        code="RECOV",
        name="Reliable recovery in talking therapies",
        kind="outcome",
        value_type="proportion",
        operational_definition="Courses of treatment ending in the month with reliable improvement and moving "
        "to recovery, of those that ended above caseness.",
        numerator_definition="Finished courses with reliable recovery",
        denominator_definition="Finished courses that started above caseness",
        data_source="NHS Talking Therapies data set",
        frequency="monthly",
        improvement="increase",
        dimension="imd_quintile",
        reference_category="5",
    ),
    dict(
        code="RESTR",
        name="Restrictive interventions per 1,000 occupied bed days",
        kind="balancing",
        value_type="rate",
        rate_per=1000,
        operational_definition="Physical, chemical and mechanical restraint and seclusion episodes on inpatient "
        "wards, per 1,000 occupied bed days.",
        numerator_definition="Restrictive intervention episodes",
        denominator_definition="Occupied bed days",
        data_source="MHSDS",
        frequency="monthly",
        improvement="decrease",
        dimension="ethnicity",
        reference_category="A",
    ),
]


def seed_definitions(collaborative, organisations) -> None:
    """The programme measure library, and in each demo organisation the measures of its plan
    (qi_projects.demo.PLANS): some from the library, some local. Called after local design."""
    for template in LIBRARY:
        MeasureTemplate.objects.get_or_create(collaborative=collaborative, code=template["code"], defaults=template)
    for organisation, plan in zip(organisations, PLANS, strict=False):
        project = ImprovementProject.objects.filter(organisation=organisation, title=plan["title"]).first()
        if project is None or Measure.objects.filter(project=project).exists():
            continue
        enrolment = Enrolment.objects.filter(collaborative=collaborative, organisation=organisation).first()
        start = enrolment.start_date if enrolment else collaborative.start_date

        def find(text, project=project):
            return ChangeTheoryElement.objects.get(diagram__project=project, text=text, removed_at=None)

        library = {t.code: t for t in MeasureTemplate.objects.filter(collaborative=collaborative)}
        for code, baseline, target in plan["measures"]:
            template = library[code]
            Measure.objects.create(
                organisation=organisation,
                project=project,
                library_source=template,
                baseline=Decimal(baseline),
                target=Decimal(target),
                created_at=_at(start + timedelta(days=80)),
                **template.as_initial(),
            )
        for fields in plan["local_measures"]:
            fields = dict(fields)
            tracks = fields.pop("tracks", None)
            Measure.objects.create(
                organisation=organisation,
                project=project,
                tracks=find(tracks) if tracks else None,
                baseline=Decimal(fields.pop("baseline")),
                target=Decimal(fields.pop("target")),
                created_at=_at(start + timedelta(days=80)),
                **fields,
            )


# --- Measure data ----------------------------------------------------------------------


def seed(organisations) -> None:
    today = timezone.localdate()
    for index, organisation in enumerate(organisations):
        measures = list(Measure.objects.filter(organisation=organisation).order_by("code"))
        if not measures or DataPoint.objects.filter(organisation=organisation).exists():
            continue
        concern = next((m for m in measures if m.kind == "outcome"), None) if index in CONCERN else None
        points = []
        for measure in measures:
            points += _measure_points(index, organisation, measure, today, concern=measure == concern)
        _entered(points, today)
        DataPoint.objects.bulk_create(points, batch_size=2000)


def _entered(points, today) -> None:
    """Each figure entered when its period's data came in: 6 to 13 days after the period ended, as
    teams do, the latest month's a day or two ago at most (so "days since data" reads true)."""
    newest = timezone.now() - timedelta(hours=20)
    for point in points:
        end = P.step(point.measure.frequency, point.period_start) - timedelta(days=1)
        lag = 6 + (point.period_start.toordinal() + point.organisation_id) % 8
        point.updated_at = min(_at(end + timedelta(days=lag), 10), newest)


def _focus(measure) -> str | None:
    for population in FocusPopulation.objects.filter(project_id=measure.project_id):
        for stratum in population.groups or []:
            if stratum.startswith(f"{measure.dimension}:"):
                return stratum
    return None


def _measure_points(index, organisation, measure, today, concern=False) -> list[DataPoint]:
    rng = random.Random(f"{organisation.slug}-{measure.code}")
    first = P.current_start(measure.frequency, START)
    stopped = today - timedelta(days=30 * STOPPED.get(index, 0))
    last = P.step(measure.frequency, P.current_start(measure.frequency, stopped), -1)
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
            if concern and i == len(axis) - 1 and stratum == "all":
                lift = -0.6 * better  # the latest month went sharply the wrong way
            points.append(_point(rng, organisation, measure, period, stratum, factor_now, size, lift))
    return points


def _point(rng, organisation, measure, period, stratum, factor, size, lift) -> DataPoint:
    base = DataPoint(organisation=organisation, measure=measure, period_start=period, stratum=stratum, source="demo")
    scale = {"weekly": 0.25, "monthly": 1.0, "quarterly": 3.0}[measure.frequency]
    size *= SIZES.get(measure.code, 1.0)
    if measure.value_type == "proportion":
        p = min(0.97, max(0.03, 0.45 * factor * (1 + lift)))
        n = max(6, int(rng.gauss(60 * size * scale, 6 * size)))
        base.denominator = n
        base.numerator = min(n, max(0, round(rng.gauss(p * n, (p * (1 - p) * n) ** 0.5))))
    elif measure.value_type == "rate":
        per = measure.rate_per or 100_000
        population = int(9_000 * size)
        rate = RATE_LEVELS.get(measure.code, 150) * factor * (1 + lift) * scale / per
        base.denominator = population
        base.numerator = max(0, round(rng.gauss(rate * population, (rate * population) ** 0.5)))
    elif measure.value_is_count:  # people or events: whole numbers, fewer in each group than in everyone
        level = 40 * factor * (1 + lift) * min(1.0, size / 8)
        base.value = max(0, round(rng.gauss(level, level * 0.08)))
    else:
        level = 40 * factor * (1 + lift)
        base.value = round(max(0.0, rng.gauss(level, level * 0.08)), 1)
    return base
