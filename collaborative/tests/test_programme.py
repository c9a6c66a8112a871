from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from collaborative import phases
from collaborative.models import Enrolment, Invoice, PhaseEvent, TeamMeeting, add_months, vat_pence
from collaborative.tests.factories import planned_enrolment


@pytest.mark.parametrize(
    "net,rate,expected",
    [
        (15_000_00, 2000, 3_000_00),  # £15,000 at 20% is £3,000
        (1, 2000, 0),  # 0.2p rounds down
        (3, 2000, 1),  # 0.6p rounds up
        (25, 2000, 5),  # exactly 5p
        (3, 1750, 1),  # 0.525p: half a penny or more rounds up
        (2, 1750, 0),  # 0.35p rounds down
        (12_345_67, 500, 61_728),  # 5% of £12,345.67 is £617.2835
    ],
)
def test_vat_is_whole_pence_rounded_half_up(net, rate, expected):
    assert vat_pence(net, rate) == expected
    assert isinstance(vat_pence(net, rate), int)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_enrolment_plans_three_phases_and_three_invoices(cast):
    enrolment = planned_enrolment(cast.org_a, start=date(2025, 1, 6))
    with scopes_disabled():
        plan = [(p.number, p.planned_start, p.planned_end) for p in enrolment.phases.all()]
        invoices = list(enrolment.invoices.all())
    assert plan == [
        (1, date(2025, 1, 6), date(2025, 7, 5)),
        (2, date(2025, 7, 6), date(2027, 7, 5)),
        (3, date(2027, 7, 6), date(2028, 1, 5)),
    ]
    assert [(i.year, i.scheduled_on, i.due_on) for i in invoices] == [
        (1, date(2025, 1, 6), date(2025, 2, 5)),
        (2, date(2026, 1, 6), date(2026, 2, 5)),
        (3, date(2027, 1, 6), date(2027, 2, 5)),
    ]
    assert {(i.net_pence, i.vat_pence, i.gross_pence) for i in invoices} == {(15_000_00, 3_000_00, 18_000_00)}


def test_phase_one_needs_a_named_lead_and_sponsor(cast):
    enrolment = planned_enrolment(cast.org_a, sponsor=False)
    with scope(organisation=[cast.org_a.pk]), pytest.raises(ValidationError, match="executive sponsor"):
        phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 1, 6))


def test_starting_late_moves_the_whole_plan(cast):
    enrolment = planned_enrolment(cast.org_a, start=date(2025, 1, 6))
    with scope(organisation=[cast.org_a.pk]):
        first = phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 2, 3))
        assert (first.actual_start, first.planned_end) == (date(2025, 2, 3), date(2025, 8, 2))
        assert enrolment.phases.get(number=3).planned_end == date(2028, 2, 2)
        assert PhaseEvent.objects.get(phase=first).kind == "started"


def test_extension_moves_later_phases_and_keeps_the_reason(cast):
    enrolment = planned_enrolment(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        first = phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 1, 6))
        event = phases.adjust_phase(
            first, new_end=date(2025, 9, 5), reason="Community engagement took longer", by=cast.coach
        )
        assert (event.kind, event.old_end, event.new_end) == ("extended", date(2025, 7, 5), date(2025, 9, 5))
        second = enrolment.phases.get(number=2)
        assert (second.planned_start, second.planned_end) == (date(2025, 9, 6), date(2027, 9, 5))
        event = phases.adjust_phase(first, new_end=date(2025, 6, 30), reason="Ready early", by=cast.coach)
        assert event.kind == "shortened"


@pytest.mark.parametrize(
    "new_end,reason,message",
    [
        (date(2024, 12, 1), "Because", "cannot end before it starts"),
        (date(2025, 9, 1), "  ", "Give the reason"),
    ],
)
def test_bad_adjustments_change_nothing(cast, new_end, reason, message):
    enrolment = planned_enrolment(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        first = enrolment.phases.get(number=1)
        with pytest.raises(ValidationError, match=message):
            phases.adjust_phase(first, new_end=new_end, reason=reason, by=cast.coach)
        first.refresh_from_db()
        assert first.planned_end == date(2025, 7, 5)
        assert not PhaseEvent.objects.exists()


def test_gate_needs_every_item_then_starts_the_next_phase(cast):
    enrolment = planned_enrolment(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        first = phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 1, 6))
        with pytest.raises(ValidationError, match="not complete"):
            phases.pass_gate(first, by=cast.coach, on_date=date(2025, 7, 1))
        for status in phases.gate_status(first):
            if not status.done:
                phases.tick_item(first, key=status.item.key, note="Seen at the review", by=cast.coach)
        assert all(s.done for s in phases.gate_status(first))
        second = phases.pass_gate(first, by=cast.coach, on_date=date(2025, 7, 1))
        first.refresh_from_db()
        assert first.actual_end == date(2025, 7, 1)
        assert (second.number, second.actual_start, second.planned_start) == (2, date(2025, 7, 2), date(2025, 7, 2))
        assert PhaseEvent.objects.filter(kind="gate_passed", phase=first).get().evidence["focus_population"]


def test_ticking_needs_a_note(cast):
    enrolment = planned_enrolment(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        first = phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 1, 6))
        with pytest.raises(ValidationError, match="Add a note"):
            phases.tick_item(first, key="baseline_data", note="", by=cast.coach)
        with pytest.raises(ValidationError, match="no such item"):
            phases.tick_item(first, key="moon_landing", note="x", by=cast.coach)


def test_board_flags_overrun_missing_meetings_overdue_invoices_and_missing_people(cast):
    today = timezone.localdate()
    a = planned_enrolment(cast.org_a, start=today - timedelta(days=400))
    planned_enrolment(cast.org_b, start=today - timedelta(days=30), sponsor=False)
    with scope(organisation=[cast.org_a.pk, cast.org_b.pk]):
        phases.start_first_phase(a, by=cast.national, on_date=a.start_date)  # 6-month phase: overrunning
        TeamMeeting.objects.create(
            organisation=cast.org_a, date=today - timedelta(days=22), attendees="x", created_by=cast.lead
        )
        Invoice.objects.filter(enrolment=a, year=1).update(issued_on=a.start_date)
        rows = {e.organisation_id: e for e in Enrolment.objects.with_flags(today)}
    from collaborative.dashboards import enrolment_flags

    assert enrolment_flags(rows[cast.org_a.pk], today) == ["overrun", "no_meeting", "overdue_invoice"]
    assert enrolment_flags(rows[cast.org_b.pk], today) == ["no_sponsor"]


def test_enrolling_the_same_organisation_twice_is_refused(client, cast, login):
    login(client, cast.national)
    response = client.post(reverse("collaborative:enrol"), {"organisation": cast.org_a.pk, "start_date": "2026-01-05"})
    assert response.status_code == 422
    assert "already enrolled" in response.content.decode()
    with scopes_disabled():
        assert Enrolment.objects.filter(organisation=cast.org_a).count() == 1


def test_enrolment_date_before_the_collaborative_is_refused(client, cast, login):
    login(client, cast.national)
    response = client.post(
        reverse("collaborative:enrol"), {"new_name": "Gamma Trust", "new_kind": "mh_trust", "start_date": "2000-01-01"}
    )
    assert response.status_code == 422
    assert "cannot be before the collaborative starts" in response.content.decode()


def test_national_team_enrols_a_new_organisation_with_people_and_invitations(
    client, cast, login, django_capture_on_commit_callbacks
):
    from django.core import mail

    login(client, cast.national)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("collaborative:enrol"),
            {
                "new_name": "Gamma Trust",
                "new_kind": "mh_trust",
                "start_date": timezone.localdate().isoformat(),
                "lead_name": "Gail Lead",
                "lead_email": "gail@gamma.example",
                "sponsor_name": "Sid Sponsor",
                "sponsor_email": "sid@gamma.example",
                "coach": cast.coach.pk,
                "experts": [cast.expert.pk],
            },
        )
    assert response.status_code == 302
    with scopes_disabled():
        enrolment = Enrolment.objects.get(organisation__name="Gamma Trust")
        assert enrolment.phases.count() == 3 and enrolment.invoices.count() == 3
        assert set(enrolment.organisation.assignments.values_list("user__email", "role")) == {
            (cast.coach.email, "coach"),
            (cast.expert.email, "expert"),
        }
    assert sorted(m.to[0] for m in mail.outbox) == ["gail@gamma.example", "sid@gamma.example"]


@pytest.mark.parametrize(
    "data,message",
    [
        (
            {"issued_on": "2025-02-01", "due_on": "2025-03-01", "paid_on": "2025-01-15"},
            "cannot be before the issue date",
        ),
        (
            {"issued_on": "", "due_on": "2025-03-01", "paid_on": "2025-01-15"},
            "cannot be paid before it has been issued",
        ),
        ({"issued_on": "2025-02-01", "due_on": "2025-01-01", "paid_on": ""}, "due date cannot be before"),
    ],
)
def test_bad_invoice_dates_get_a_message_and_save_nothing(client, cast, login, data, message):
    enrolment = planned_enrolment(cast.org_a)
    with scopes_disabled():
        invoice = enrolment.invoices.get(year=1)
    login(client, cast.national)
    response = client.post(reverse("collaborative:invoice_edit", kwargs={"org": "alpha", "pk": invoice.pk}), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    with scopes_disabled():
        invoice.refresh_from_db()
    assert invoice.issued_on is None and invoice.paid_on is None


def test_lead_and_sponsor_see_their_fees_but_a_member_does_not(client, cast, login):
    planned_enrolment(cast.org_a)
    for user, expected in ((cast.lead, 200), (cast.sponsor, 200), (cast.member, 403)):
        login(client, user)
        response = client.get(reverse("collaborative:fees", kwargs={"org": "alpha"}))
        assert response.status_code == expected
    login(client, cast.lead)
    assert "£54,000.00" in client.get(reverse("collaborative:fees", kwargs={"org": "alpha"})).content.decode()


def test_team_records_a_meeting_with_actions(client, cast, login):
    login(client, cast.member)
    url = reverse("collaborative:meetings", kwargs={"org": "alpha"})
    response = client.post(
        url,
        {
            "meeting-date": timezone.localdate().isoformat(),
            "meeting-attendees": "Lead\nMember",
            "meeting-notes": "Good",
            "actions-TOTAL_FORMS": "3",
            "actions-INITIAL_FORMS": "0",
            "actions-0-description": "Send the data",
            "actions-0-owner": "Member",
            "actions-0-due_on": "2030-01-01",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        meeting = TeamMeeting.objects.get(organisation=cast.org_a)
        assert [a.description for a in meeting.actions.all()] == ["Send the data"]


def test_meeting_in_the_future_is_refused(client, cast, login):
    login(client, cast.lead)
    url = reverse("collaborative:meetings", kwargs={"org": "alpha"})
    response = client.post(
        url,
        {
            "meeting-date": "2099-01-01",
            "meeting-attendees": "Lead",
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 422
    assert "date is in the future" in response.content.decode()
    with scopes_disabled():
        assert not TeamMeeting.objects.exists()


@pytest.mark.parametrize("role,expected", [("coach", 302), ("expert", 302), ("lead", 403), ("sponsor", 403)])
def test_coaching_log_is_written_by_programme_staff_and_read_by_the_team(client, cast, login, role, expected):
    login(client, getattr(cast, role))
    url = reverse("collaborative:coaching", kwargs={"org": "alpha"})
    response = client.post(url, {"date": timezone.localdate().isoformat(), "attendees": "Lead", "notes": "Went well"})
    assert response.status_code == expected
    login(client, cast.sponsor)
    assert ("Went well" in client.get(url).content.decode()) == (expected == 302)


def test_board_query_count_does_not_grow_with_organisations(client, cast, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from organisations import access
    from organisations.models import Organisation

    login(client, cast.national)
    planned_enrolment(cast.org_a)

    def count():
        access.forget(cast.national)
        client.get(reverse("collaborative:board"))  # warm the chart cache
        access.forget(cast.national)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("collaborative:board"))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    small, _ = count()
    with scopes_disabled():
        for n in range(8):
            org = Organisation.objects.create(name=f"Extra {n}", slug=f"extra-{n}")
            Enrolment.objects.create(collaborative=cast.collaborative, organisation=org, start_date=date(2025, 1, 6))
            planned_enrolment(org)
    large, page = count()
    assert page.count("Extra ") >= 8
    assert large == small


def test_a_refused_tick_or_sign_off_keeps_what_was_typed(client, cast, login):
    enrolment = planned_enrolment(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        phases.start_first_phase(enrolment, by=cast.national, on_date=date(2025, 1, 6))
    login(client, cast.coach)
    response = client.post(
        reverse("collaborative:gate_tick", kwargs={"org": "alpha", "key": "baseline_data"}), {"note": "   "}
    )
    assert response.status_code == 422
    assert "Add a note saying what shows this item is done" in response.content.decode()
    response = client.post(
        reverse("collaborative:gate_pass", kwargs={"org": "alpha"}),
        {"on_date": "2025-06-30", "note": "A carefully written note"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The gate checklist is not complete" in page and "A carefully written note" in page
    with scopes_disabled():
        assert not PhaseEvent.objects.filter(kind="gate_passed").exists()
