"""Deterministic synthetic load for `make bench` (docs/architecture.md section 5)."""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from collaborative.demo import DEMO_TOTP_SECRET
from collaborative.models import Collaborative, Enrolment, TeamMeeting
from measures import periods as P
from measures.models import DataPoint, Measure
from organisations.models import Assignment, Membership, Organisation, ProgrammeRole, Role
from qi_projects.models import ImprovementProject

ORGS_PER_COACH = 20
MEASURES = [
    # code, value type, dimension, reference, improvement
    ("OM1", "proportion", "ethnicity", "A", "increase"),
    ("OM2", "rate", "ethnicity", "A", "decrease"),
    ("OM3", "proportion", "imd_quintile", "5", "increase"),
    ("PM1", "proportion", "ethnicity", "A", "increase"),
    ("PM2", "value", "imd_quintile", "5", "decrease"),
    ("PM3", "proportion", "ethnicity", "A", "decrease"),
    ("PM4", "rate", "imd_quintile", "5", "increase"),
    ("BM1", "value", "ethnicity", "A", "decrease"),
    ("BM2", "proportion", "imd_quintile", "5", "decrease"),
    ("PM5", "proportion", "ethnicity", "A", "increase"),
]
STRATA = {"ethnicity": ["A", "M", "N", "H", "J"], "imd_quintile": ["1", "2", "3", "4", "5"]}
PASSWORD = "amhe-bench-2026"


class Command(BaseCommand):
    help = "Create N organisations with M months of stratified data (idempotent for the same arguments)."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=100)
        parser.add_argument("--months", type=int, default=36)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, orgs, months, seed, **options):
        # Seeding writes every organisation's rows: a national-level path.
        with scopes_disabled(), transaction.atomic():
            created = seed_bench(orgs, months, seed)
        self.stdout.write(f"Bench data ready: {orgs} organisations, {months} months ({created} new data points).")


def _staff(collaborative, n_orgs: int, person) -> tuple:
    """The national team member, the evaluator and one coach per 20 organisations, all with the demo TOTP."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    national = person("national@bench.example")
    ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=national, role=Role.NATIONAL)
    evaluator = person("evaluator@bench.example")
    ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=evaluator, role=Role.EVALUATOR)
    coaches = []
    for c in range((n_orgs + ORGS_PER_COACH - 1) // ORGS_PER_COACH):
        coach = person(f"coach{c + 1}@bench.example")
        ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=coach, role=Role.COACH)
        coaches.append(coach)
    for staff in [national, evaluator, *coaches]:
        if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(staff, DEMO_TOTP_SECRET)
    return national, coaches


def seed_bench(n_orgs: int, months: int, seed: int) -> int:
    rng = random.Random(seed)
    User = get_user_model()
    # Hashed once (hashing per user would dominate the run), with the production hasher even under TESTING,
    # so that `make loadtest` can sign in with the production settings.
    password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(email__endswith="@bench.example").exclude(password__startswith="pbkdf2_sha256$").update(
        password=password
    )
    first = date(2023, 1, 1)
    collaborative, _ = Collaborative.objects.get_or_create(
        slug="bench", defaults={"name": "Benchmark collaborative", "start_date": first}
    )

    def person(email):
        user, made = User.objects.get_or_create(email=email, defaults={"password": password})
        return user

    national, coaches = _staff(collaborative, n_orgs, person)

    created = 0
    axis = P.series("monthly", first, P.step("monthly", first, months - 1))
    for i in range(1, n_orgs + 1):
        org, _ = Organisation.objects.get_or_create(
            slug=f"bench-{i:03d}",
            defaults={"name": f"Bench trust {i:03d}", "region": Organisation.Region.values[i % 7]},
        )
        start = first + timedelta(days=rng.randrange(0, 600))
        enrolment, made = Enrolment.objects.get_or_create(
            collaborative=collaborative,
            organisation=org,
            active=True,
            defaults={
                "start_date": start,
                "lead_name": f"Lead {i}",
                "lead_email": f"lead{i}@bench.example",
                "sponsor_name": f"Sponsor {i}",
                "sponsor_email": f"sponsor{i}@bench.example",
            },
        )
        if made:
            phases = enrolment.plan_phases()
            phases[0].actual_start = start
            phases[0].save()
            enrolment.schedule_invoices()
            TeamMeeting.objects.create(
                organisation=org,
                date=date.today() - timedelta(days=rng.randrange(1, 40)),
                attendees="Team",
                created_by=national,
            )
        lead = person(f"lead{i}@bench.example")
        Membership.objects.get_or_create(organisation=org, user=lead, role=Role.LEAD)
        if i == 1:
            _sponsor(org, person("sponsor1@bench.example"), lead)
        Assignment.objects.get_or_create(organisation=org, user=coaches[(i - 1) // ORGS_PER_COACH], role=Role.COACH)
        project, _ = ImprovementProject.objects.get_or_create(
            organisation=org,
            title="Equal access to early intervention",
            defaults={
                "aim": "Close the access gap by 2027",
                "target_value": 60,
                "target_unit": "%",
                "target_date": date(2027, 3, 31),
            },
        )
        if DataPoint.objects.filter(organisation=org).exists():
            continue
        points = []
        for code, value_type, dimension, reference, improvement in MEASURES:
            measure, _ = Measure.objects.get_or_create(
                organisation=org,
                code=code,
                defaults={
                    "project": project,
                    "name": f"Bench measure {code}",
                    "kind": "outcome" if code[0] == "O" else "process" if code[0] == "P" else "balancing",
                    "value_type": value_type,
                    "operational_definition": "Synthetic",
                    "numerator_definition": "n",
                    "denominator_definition": "d",
                    "unit": "days" if value_type == "value" else "",
                    "rate_per": 1000 if value_type == "rate" else None,
                    "data_source": "Synthetic",
                    "frequency": "monthly",
                    "improvement": improvement,
                    "dimension": dimension,
                    "reference_category": reference,
                },
            )
            for stratum in ["all"] + [f"{dimension}:{c}" for c in STRATA[dimension]]:
                level = rng.uniform(0.2, 0.7)
                for k, period in enumerate(axis):
                    if rng.random() < 0.02:
                        continue  # a few gaps, as real data has
                    shift = 0.08 if k > months * 0.6 else 0.0
                    point = DataPoint(
                        organisation=org, measure=measure, period_start=period, stratum=stratum, source="bench"
                    )
                    if value_type == "value":
                        point.value = round(rng.gauss(30 * (1 + shift), 3), 2)
                    else:
                        n = rng.randrange(40, 400)
                        point.denominator = n
                        point.numerator = min(n, max(0, int(rng.gauss((level + shift) * n, 4))))
                    points.append(point)
        DataPoint.objects.bulk_create(points, batch_size=5000)
        created += len(points)
    seed_extra(rng, n_orgs)
    return created


def _sponsor(org, sponsor, lead) -> None:
    """bench-001's executive sponsor (the sponsor's summary is timed for them) and a few risks and asks."""
    from collaborative.models import TeamAsk

    Membership.objects.get_or_create(organisation=org, user=sponsor, role=Role.SPONSOR)
    if TeamAsk.objects.filter(organisation=org).exists():
        return
    TeamAsk.objects.bulk_create(
        TeamAsk(organisation=org, kind=kind, text=f"Bench {kind} {n}", raised_by=lead)
        for n in range(6)
        for kind in ("risk", "ask")
    )


def seed_extra(rng, n_orgs) -> None:
    """Other apps' bench rows (PDSA cycles, the change ideas' programme lineage, learning sets), when they
    provide a seeding function."""
    try:
        from qi_projects.pdsa.bench import seed as seed_cycles
        from qi_projects.pdsa.bench import seed_lineage
    except ImportError:
        return
    seed_cycles(rng, n_orgs, total=2000)
    collaborative = Collaborative.objects.get(slug="bench")
    seed_lineage(collaborative, get_user_model().objects.get(email="national@bench.example"), n_orgs)
    _seed_learning_sets(n_orgs)


def _seed_learning_sets(n_orgs) -> None:
    from learning_sets.bench import seed as seed_sets

    collaborative = Collaborative.objects.get(slug="bench")
    national = get_user_model().objects.get(email="national@bench.example")
    leads = [
        (m.user, m.organisation_id)
        for m in Membership.objects.filter(organisation__slug__startswith="bench-", role=Role.LEAD).select_related(
            "user"
        )
    ]
    seed_sets(collaborative, national, leads[:n_orgs])
