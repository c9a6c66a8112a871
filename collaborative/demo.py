"""The demo collaborative: organisations, people and their roles. Idempotent."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django_scopes import scopes_disabled

from organisations.models import Assignment, Membership, Organisation, ProgrammeRole, Role

from .models import Collaborative, Enrolment

DEMO_PASSWORD = "amhe-demo-2026"
# A published secret so that anyone trying the demo can produce codes for the
# programme-staff accounts, which must use MFA (`manage.py demo_totp EMAIL`).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

ORGANISATIONS = [
    ("Northshire Mental Health NHS Foundation Trust", "northshire", Organisation.Kind.MENTAL_HEALTH_TRUST),
    ("Riverside and Vale Partnership NHS Trust", "riverside-vale", Organisation.Kind.MENTAL_HEALTH_TRUST),
    ("Eastmoor Integrated Care Board", "eastmoor-icb", Organisation.Kind.INTEGRATED_CARE_BOARD),
    ("Westbrook Community Mind", "westbrook-mind", Organisation.Kind.VOLUNTARY_SECTOR),
    ("Southfield Mental Health NHS Trust", "southfield", Organisation.Kind.MENTAL_HEALTH_TRUST),
    ("Harbourside Integrated Care Board", "harbourside-icb", Organisation.Kind.INTEGRATED_CARE_BOARD),
]

# Enrolment dates put the six organisations in different phases on 2026-11-25.
ENROLMENT_STARTS = [
    date(2024, 1, 8),
    date(2024, 3, 4),
    date(2024, 9, 2),
    date(2025, 6, 2),
    date(2026, 7, 6),
    date(2026, 9, 7),
]


def demo_accounts() -> list[tuple[str, str]]:
    """(email, what they are) for every demo login, in the order the README lists them."""
    accounts = [
        ("national@demo.example", "national team (MFA)"),
        ("coach1@demo.example", "QI coach, organisations 1-3 (MFA)"),
        ("coach2@demo.example", "QI coach, organisations 4-6 (MFA)"),
        ("evaluator@demo.example", "evaluator (MFA)"),
    ]
    accounts += [(f"lead{n}@demo.example", f"project lead, {ORGANISATIONS[n - 1][0]}") for n in range(1, 7)]
    accounts += [
        ("sponsor1@demo.example", f"executive sponsor, {ORGANISATIONS[0][0]}"),
        ("member1@demo.example", f"team member, {ORGANISATIONS[0][0]}"),
    ]
    return accounts


def _user(email: str, first: str, last: str, *, mfa: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if mfa:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


@transaction.atomic
def seed() -> dict:
    """Create or complete the demo collaborative. Running it again changes nothing."""
    # Seeding writes every organisation's rows: a national-level path.
    with scopes_disabled():
        collaborative, _ = Collaborative.objects.get_or_create(
            slug="amhe-wave-1",
            defaults={"name": "Advancing mental health equality collaborative, wave 1", "start_date": date(2024, 1, 8)},
        )
        organisations = []
        for (name, slug, kind), start in zip(ORGANISATIONS, ENROLMENT_STARTS, strict=True):
            organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
            Enrolment.objects.get_or_create(
                collaborative=collaborative, organisation=organisation, active=True, defaults={"start_date": start}
            )
            organisations.append(organisation)

        national = _user("national@demo.example", "Nadia", "Okafor", mfa=True)
        ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=national, role=Role.NATIONAL)
        evaluator = _user("evaluator@demo.example", "Evan", "Hughes", mfa=True)
        ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=evaluator, role=Role.EVALUATOR)
        coaches = [
            _user("coach1@demo.example", "Priya", "Shah", mfa=True),
            _user("coach2@demo.example", "Tom", "Bennett", mfa=True),
        ]
        for coach in coaches:
            ProgrammeRole.objects.get_or_create(collaborative=collaborative, user=coach, role=Role.COACH)
        for index, organisation in enumerate(organisations):
            Assignment.objects.get_or_create(organisation=organisation, user=coaches[index // 3], role=Role.COACH)
            lead = _user(f"lead{index + 1}@demo.example", "Lead", f"{index + 1}")
            Membership.objects.get_or_create(organisation=organisation, user=lead, role=Role.LEAD)

        sponsor = _user("sponsor1@demo.example", "Sam", "Adeyemi")
        Membership.objects.get_or_create(organisation=organisations[0], user=sponsor, role=Role.SPONSOR)
        member = _user("member1@demo.example", "Morgan", "Lee")
        Membership.objects.get_or_create(organisation=organisations[0], user=member, role=Role.MEMBER)
    return {"collaborative": collaborative, "organisations": organisations}
