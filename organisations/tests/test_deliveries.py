"""Deliveries: recorded once, claimed before sending, sent once, retried with backoff, failures kept and shown.

The reminder sources are tested in tests/test_reminders.py; here one due item is
recorded by hand and followed through sending.
"""

import email.policy
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organisations import deliveries
from organisations.deliveries import Due
from organisations.models import Delivery, EmailPreference, Notification, Organisation
from organisations.tasks import send_delivery
from organisations.tests.mailers import Flaky

pytestmark = pytest.mark.django_db


def due(cast, *, kind="meeting", occasion="once", user=None, at=None, **fields):
    user = user or cast.lead
    item = Due(
        recipient_id=user.pk,
        kind=kind,
        about=(Organisation, cast.org_a.pk),
        occasion=occasion,
        due_at=at or timezone.now() - timedelta(minutes=1),
        subject=fields.pop("subject", "No team meeting recorded for 14 days"),
        text=fields.pop("text", "The last team meeting recorded was on Monday 2 November 2026."),
        url=fields.pop("url", reverse("collaborative:meetings", kwargs={"org": cast.org_a.slug})),
        organisation_id=cast.org_a.pk,
        **fields,
    )
    deliveries.record([item])
    return Delivery.objects.get(recipient=user, kind=kind, occasion=occasion)


def use_mailer(settings, backend):
    settings.MAILERS = {"default": {"BACKEND": backend}}


def test_a_due_item_found_again_is_still_one_delivery_and_one_email(cast):
    row = due(cast)
    due(cast)  # the next tick finds the same thing due
    assert Delivery.objects.count() == 1
    assert [r.pk for r in deliveries.deliver(deliveries.ready(timezone.now()))] == [row.pk]
    assert deliveries.deliver(deliveries.ready(timezone.now())) == []
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.emailed, row.attempts, row.claim) == ("sent", True, 1, "")


def test_a_delivery_dispatched_twice_sends_one_email_and_one_notification(cast):
    row = due(cast)
    assert send_delivery.delay(row.pk).get() == "sent"
    assert send_delivery.delay(row.pk).get() == "skipped"  # a duplicated message: already claimed and sent
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(recipient=cast.lead, kind="meeting").count() == 1


def test_a_claim_held_by_another_worker_is_not_taken_until_its_lease_ends(cast, settings):
    row = due(cast)
    Delivery.objects.filter(pk=row.pk).update(status="sending", claim="x" * 32, claimed_at=timezone.now())
    assert deliveries.deliver([row.pk]) == []
    assert row.pk not in deliveries.ready(timezone.now())
    # The worker died: once the lease is over the row is due again and goes once.
    Delivery.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=601))
    assert deliveries.ready(timezone.now()) == [row.pk]
    assert [r.status for r in deliveries.deliver([row.pk])] == ["sent"]
    assert len(mail.outbox) == 1


def test_an_smtp_error_is_recorded_and_retried_after_a_backoff_then_sent_once(cast, settings):
    use_mailer(settings, "organisations.tests.mailers.Flaky")
    Flaky.failures = 1
    row = due(cast)
    [first] = deliveries.deliver([row.pk])
    assert first.status == "pending"
    row.refresh_from_db()
    assert row.attempts == 1 and "SMTPServerDisconnected" in row.last_error
    assert row.not_before > timezone.now() + timedelta(seconds=290)
    assert deliveries.ready(timezone.now()) == []  # waiting out its backoff
    assert send_delivery.delay(row.pk).get() == "sent"  # a retried task does send it, once
    assert deliveries.ready(timezone.now() + timedelta(hours=1)) == []
    assert len(mail.outbox) == 1
    # The in-app notification was recorded on the first try and not again.
    assert Notification.objects.filter(recipient=cast.lead, kind="meeting").count() == 1


def test_a_delivery_that_keeps_failing_is_marked_failed_after_five_tries_and_kept(cast, settings):
    use_mailer(settings, "organisations.tests.mailers.Flaky")
    Flaky.failures = 99
    row = due(cast)
    backoffs = []
    for _ in range(deliveries.MAX_ATTEMPTS):
        Delivery.objects.filter(pk=row.pk).update(not_before=None)  # time passes
        [result] = deliveries.deliver(deliveries.ready(timezone.now()))
        if result.not_before:
            backoffs.append(round((result.not_before - timezone.now()).total_seconds() / 60))
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 5)
    assert backoffs == [5, 15, 60, 240]
    assert deliveries.ready(timezone.now() + timedelta(days=1)) == []
    assert mail.outbox == []
    Flaky.failures = 0


def test_a_refused_address_fails_at_once(cast, settings):
    use_mailer(settings, "organisations.tests.mailers.Refusing")
    row = due(cast)
    deliveries.deliver([row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error


def test_a_mail_server_that_is_down_leaves_every_row_waiting(cast, settings):
    use_mailer(settings, "organisations.tests.mailers.Down")
    rows = [due(cast, occasion=str(n)) for n in range(3)]
    deliveries.deliver([r.pk for r in rows])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert all("Connection refused" in r.last_error for r in Delivery.objects.all())


def test_the_email_has_html_and_text_its_links_and_a_list_unsubscribe_header(cast):
    cast.lead.first_name = "Lee"
    cast.lead.save()
    row = due(cast, subject="Data due today: 1 measure", text="Tees, Esk & Wear's figures 'due'")
    deliveries.deliver([row.pk])
    [message] = mail.outbox
    assert message.subject == "Data due today: 1 measure"
    assert message.to == [cast.lead.email]
    assert "Hello Lee" in message.body
    assert "Tees, Esk & Wear's figures 'due'" in message.body  # plain text is not HTML-escaped
    assert "http://127.0.0.1:8000/orgs/alpha/meetings/" in message.body
    assert "http://127.0.0.1:8000/notifications/email/" in message.body
    html = message.alternatives[0].content
    assert message.alternatives[0].mimetype == "text/html"
    assert "Tees, Esk &amp; Wear&#x27;s" in html
    assert 'href="http://127.0.0.1:8000/orgs/alpha/meetings/"' in html
    assert 'href="http://127.0.0.1:8000/notifications/email/"' in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/notifications/unsubscribe/") and unsubscribe.endswith(">")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"] == f"<delivery-{row.pk}@127.0.0.1>"
    # On the wire (as the SMTP backend writes it) the long URL stays one readable header line.
    wire = message.message(policy=email.policy.SMTP).as_bytes()
    assert b"\r\nList-Unsubscribe: <http://127.0.0.1:8000/notifications/unsubscribe/" in wire
    assert b"=?utf-8?" not in wire


def test_a_digest_lists_its_items_with_their_links(cast):
    items = ({"title": "Alpha Trust", "url": "/orgs/alpha/", "lines": ["Flagged: Phase overrunning"]},)
    row = due(cast, kind="weekly_digest", user=cast.coach, subject="Weekly digest: 1 organisation", items=items)
    deliveries.deliver([row.pk])
    [message] = mail.outbox
    assert message.subject.startswith("Weekly digest")
    assert "* Alpha Trust\n  Flagged: Phase overrunning\n  http://127.0.0.1:8000/orgs/alpha/" in message.body
    assert 'href="http://127.0.0.1:8000/orgs/alpha/"' in message.alternatives[0].content
    notice = Notification.objects.get(recipient=cast.coach, kind="weekly_digest")
    assert "Alpha Trust – Flagged: Phase overrunning" in notice.detail


def test_a_kind_turned_off_comes_in_app_only_from_the_next_delivery(cast):
    first = due(cast, occasion="1")
    deliveries.deliver([first.pk])
    assert len(mail.outbox) == 1
    second = due(cast, occasion="2")  # recorded while email was still on
    EmailPreference.objects.create(user=cast.lead, kind="meeting", by_email=False)
    deliveries.deliver([second.pk])
    assert len(mail.outbox) == 1
    second.refresh_from_db()
    assert (second.status, second.emailed) == ("sent", False)
    assert Notification.objects.filter(recipient=cast.lead, kind="meeting").count() == 2
    # Other kinds, and other people, still come by email.
    other = due(cast, kind="invitation")
    also = due(cast, user=cast.data_champion)
    deliveries.deliver([other.pk, also.pk])
    assert sorted(m.to[0] for m in mail.outbox[1:]) == [cast.data_champion.email, cast.lead.email]


def test_the_preferences_page_offers_the_kinds_of_the_role_and_saves_them(client, cast, login):
    login(client, cast.lead)
    page = client.get(reverse("organisations:preferences"))
    assert page.status_code == 200
    labels = [label for _, label in page.context["form"].fields["by_email"].choices]
    assert "Data due and late" in labels and "Mentions" in labels
    assert "Weekly digest" not in labels and "Invoices due and overdue" not in labels
    assert 'class="nhsuk-checkboxes__input"' in page.content.decode()
    kept = [k for k in deliveries.kinds_for(cast.lead) if k != "data_due"]
    response = client.post(reverse("organisations:preferences"), {"by_email": kept})
    assert response.status_code == 302
    assert deliveries.emails_off([cast.lead.pk]) == {(cast.lead.pk, "data_due")}
    response = client.post(reverse("organisations:preferences"), {"by_email": ["data_due", "no-such-kind"]})
    assert response.status_code == 422  # nothing changed on bad input
    assert deliveries.emails_off([cast.lead.pk]) == {(cast.lead.pk, "data_due")}


def test_a_coach_may_turn_the_weekly_digest_off(client, cast, login):
    login(client, cast.coach)
    kinds = deliveries.kinds_for(cast.coach)
    assert "weekly_digest" in kinds
    client.post(reverse("organisations:preferences"), {"by_email": [k for k in kinds if k != "weekly_digest"]})
    row = due(cast, kind="weekly_digest", user=cast.coach)
    deliveries.deliver([row.pk])
    assert mail.outbox == []


def test_one_click_unsubscribe_stops_that_kind_without_signing_in(client, cast):
    row = due(cast, kind="data_due")
    deliveries.deliver([row.pk])
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:8000", "")
    page = client.get(link)
    assert page.status_code == 200 and b"Stop these emails" in page.content
    assert deliveries.emails_off([cast.lead.pk]) == set()  # a GET (a link scanner) changes nothing
    response = client.post(link, {"List-Unsubscribe": "One-Click"})  # what a mail program sends, no CSRF token
    assert response.status_code == 200 and b"Emails stopped" in response.content
    assert deliveries.emails_off([cast.lead.pk]) == {(cast.lead.pk, "data_due")}
    assert client.get(link[:-5] + "xxxx/").status_code == 400


def test_with_the_broker_down_queueing_fails_quietly_and_the_rows_wait(cast):
    from tests.brokers import queued_through

    row = due(cast)
    with queued_through("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        assert deliveries.enqueue([row.pk]) == 0
    row.refresh_from_db()
    assert (row.status, row.queued_at) == ("pending", None)
    assert deliveries.ready(timezone.now()) == [row.pk]


def test_the_national_team_sees_failures_and_sends_one_again(client, cast, login, settings):
    use_mailer(settings, "organisations.tests.mailers.Refusing")
    row = due(cast)
    deliveries.deliver([row.pk])
    login(client, cast.national)
    page = client.get(reverse("organisations:deliveries") + "?status=failed")
    assert page.status_code == 200
    text = page.content.decode()
    assert "No team meeting recorded for 14 days" in text and "550" in text and "Send again" in text
    use_mailer(settings, "django.core.mail.backends.locmem.EmailBackend")
    response = client.post(reverse("organisations:delivery_retry", kwargs={"pk": row.pk}))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(mail.outbox) == 1
    # Nothing to retry once sent.
    assert client.post(reverse("organisations:delivery_retry", kwargs={"pk": row.pk})).status_code == 409
    assert len(mail.outbox) == 1


def test_the_deliveries_page_shows_only_the_national_teams_own_organisations(client, cast, login):
    from organisations.models import User

    stranger = User.objects.create_user("stranger@elsewhere.example", "x")
    own = due(cast)
    other_org = Organisation.objects.create(name="Gamma Trust", slug="gamma")
    Delivery.objects.create(
        recipient=stranger,
        organisation=other_org,
        kind="meeting",
        about_type=own.about_type,
        about_id=other_org.pk,
        occasion="x",
        due_at=timezone.now(),
        subject="Not yours",
    )
    login(client, cast.national)
    text = client.get(reverse("organisations:deliveries")).content.decode()
    assert own.subject in text and "Not yours" not in text
    foreign = Delivery.objects.get(subject="Not yours")
    assert client.get(reverse("organisations:delivery_retry", kwargs={"pk": foreign.pk})).status_code == 404


def test_a_batch_never_sends_past_half_its_claims_lease(cast, settings):
    settings.REMINDER_CLAIM_SECONDS = 0  # a server so slow that no time is left
    rows = [due(cast, occasion=str(n)) for n in range(2)]
    deliveries.deliver([r.pk for r in rows])
    assert mail.outbox == []
    assert {(r.status, r.last_error[:9]) for r in Delivery.objects.all()} == {("pending", "Not tried")}
