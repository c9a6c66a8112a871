from datetime import date

from django_scopes import scopes_disabled

from collaborative.models import Enrolment


def planned_enrolment(organisation, start=date(2025, 1, 6), lead=True, sponsor=True) -> Enrolment:
    """The organisation's active enrolment with its phases and invoices planned."""
    with scopes_disabled():
        enrolment = Enrolment.objects.get(organisation=organisation, active=True)
        if not enrolment.phases.exists():
            enrolment.start_date = start
            if lead:
                enrolment.lead_name, enrolment.lead_email = "Lee Lead", "lee.lead@example.com"
            if sponsor:
                enrolment.sponsor_name, enrolment.sponsor_email = "Sue Sponsor", "sue.sponsor@example.com"
            enrolment.save()
            enrolment.plan_phases()
            enrolment.schedule_invoices()
        return enrolment


def invoice_pk(organisation) -> int:
    with scopes_disabled():
        return planned_enrolment(organisation).invoices.order_by("year").first().pk
