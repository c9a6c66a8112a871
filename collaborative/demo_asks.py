"""Demo risks and asks for the sponsor's summary (registered as a `demo_seeds` entry; idempotent)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled

from organisations.models import Membership, Organisation, Role

from .models import TeamAsk

# organisation slug -> (kind, text, days ago raised, answer or "", days ago resolved or None)
ASKS = {
    "northshire": [
        (
            "ask",
            "Two hours a week of protected time for the data champion to keep the monthly figures current.",
            9,
            "",
            None,
        ),
        (
            "ask",
            "A word with the community services director: the evening clinic needs a receptionist after 6pm.",
            20,
            "Agreed. I have asked Jo Patel to meet the team before the next meeting.",
            None,
        ),
        (
            "risk",
            "The locum psychiatrist who runs the Thursday clinic leaves in June; recruitment has not started.",
            14,
            "",
            None,
        ),
        (
            "risk",
            "Interpreting budget for the text reminders in first languages ran out in March.",
            50,
            "Moved £4,000 from the quality budget to cover it to year end.",
            30,
        ),
    ],
    "riverside-vale": [
        (
            "ask",
            "Support to share the referral data with the two community partners (a data sharing agreement).",
            6,
            "",
            None,
        ),
    ],
}


def seed(collaborative) -> None:
    now = timezone.now()
    users = get_user_model().objects
    with scopes_disabled():
        for slug, rows in ASKS.items():
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is None or TeamAsk.objects.filter(organisation=organisation).exists():
                continue
            lead = Membership.objects.filter(organisation=organisation, role=Role.LEAD).select_related("user").first()
            sponsor = users.filter(memberships__organisation=organisation, memberships__role=Role.SPONSOR).first()
            for kind, text, raised_days, answer, resolved_days in rows:
                TeamAsk.objects.create(
                    organisation=organisation,
                    kind=kind,
                    text=text,
                    raised_by=lead.user if lead else None,
                    raised_at=now - timedelta(days=raised_days),
                    answer=answer,
                    answered_by=sponsor if answer else None,
                    answered_at=now - timedelta(days=raised_days - 3) if answer else None,
                    resolved_by=lead.user if lead and resolved_days is not None else None,
                    resolved_at=now - timedelta(days=resolved_days) if resolved_days is not None else None,
                )
