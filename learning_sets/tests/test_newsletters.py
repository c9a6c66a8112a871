"""Newsletters: sanitised Markdown, preview, one email per member through Celery, opt-out and unsubscribe."""

import pytest
from django.core import mail
from django.urls import reverse

from conftest import sign_in
from learning_sets import mail as ls_mail
from learning_sets.models import Delivery, Newsletter, Preference
from learning_sets.rendering import render_markdown
from learning_sets.tasks import send_delivery, send_newsletter

from . import factories

HOSTILE = """## Hello

[fine](https://example.org) [bad](javascript:alert(1)) [also bad](JaVaScRiPt:alert(2))
<script>alert(3)</script><style>body{display:none}</style>
<img src=x onerror=alert(4)> <iframe src="https://evil.example"></iframe>
<a href="https://example.org" onclick="steal()">click</a> <div style="position:fixed">overlay</div>
"""


def test_markdown_with_scripts_raw_html_and_javascript_links_is_sanitised():
    html = render_markdown(HOSTILE)
    lowered = html.lower()
    for forbidden in (
        "<script",
        "alert(3)",
        "<style",
        "javascript:",
        "onerror",
        "onclick",
        "<iframe",
        "<img",
        "style=",
    ):
        assert forbidden not in lowered, forbidden
    assert '<a href="https://example.org" rel="noopener noreferrer">fine</a>' in html
    assert "<h3>Hello</h3>" in html  # headings move down a level: the subject is the h1
    assert "overlay" in html  # the text of a removed tag stays


def test_markdown_keeps_lists_emphasis_and_tables():
    html = render_markdown("- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<li><strong>two</strong></li>" in html and "<table>" in html


def test_the_national_team_previews_then_saves_a_draft(client, cast):
    sign_in(client, cast.national)
    url = reverse("learning_sets:newsletter_create")
    preview = client.post(url, {"subject": "News", "body": HOSTILE, "preview": "1"})
    assert preview.status_code == 200
    assert "<script" not in preview.context["preview"]
    assert not Newsletter.objects.exists()
    assert client.post(url, {"subject": "News", "body": "Hello **all**", "save": "1"}).status_code == 302
    newsletter = Newsletter.objects.get()
    page = client.get(reverse("learning_sets:newsletter_detail", args=[newsletter.pk])).content.decode()
    assert "<strong>all</strong>" in page and "Send to every member" in page


def test_a_draft_is_seen_only_by_the_national_team(client, cast):
    draft = factories.newsletter(cast.collaborative)
    sign_in(client, cast.lead)
    assert client.get(reverse("learning_sets:newsletter_detail", args=[draft.pk])).status_code == 404


def test_sending_fans_out_one_email_per_member_and_opted_out_people_get_none(
    client, cast, django_capture_on_commit_callbacks
):
    newsletter = factories.newsletter(cast.collaborative, body="Hello [site](https://example.org) <script>x()</script>")
    Preference.set_newsletters(cast.sponsor.pk, False)
    sign_in(client, cast.national)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("learning_sets:newsletter_send", args=[newsletter.pk])).status_code == 302
    newsletter.refresh_from_db()
    everyone = {
        "lead@a.example",
        "member@a.example",
        "data_champion@a.example",
        "lived_experience@a.example",
        "lead@b.example",
        "national@programme.example",
        "coach@programme.example",
        "expert@programme.example",
    }  # not the sponsor (opted out), the evaluator or people in no collaborative
    assert newsletter.status == "sent" and newsletter.recipient_count == len(everyone)
    assert {m.to[0] for m in mail.outbox} == everyone and len(mail.outbox) == len(everyone)
    assert Delivery.objects.filter(newsletter=newsletter).count() == len(everyone)
    message = mail.outbox[0]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0].content
    assert "<script" not in html and "Stop receiving newsletters" in html
    assert "/newsletters/unsubscribe/" in message.body
    # Sending again, or the task running twice, sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("learning_sets:newsletter_send", args=[newsletter.pk]))
    assert send_newsletter(newsletter.pk) == 0
    assert all(send_delivery(d.pk) is False for d in Delivery.objects.all())
    assert len(mail.outbox) == len(everyone)


def test_a_retried_fan_out_enqueues_what_was_not_sent(cast):
    newsletter = factories.newsletter(cast.collaborative, status=Newsletter.Status.SENDING)
    assert send_newsletter(newsletter.pk) == 9  # the eight above and the sponsor
    sent = len(mail.outbox)
    Newsletter.objects.filter(pk=newsletter.pk).update(status=Newsletter.Status.SENDING)
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(sent_at=None)
    send_newsletter(newsletter.pk)
    assert len(mail.outbox) == sent + 1


def test_someone_who_opts_out_after_sending_began_is_not_sent_it(cast):
    newsletter = factories.newsletter(cast.collaborative, status=Newsletter.Status.SENT)
    delivery = Delivery.objects.create(
        kind="newsletter", user=cast.lead, newsletter=newsletter, key="newsletter:test:lead"
    )
    Preference.set_newsletters(cast.lead.pk, False)
    assert send_delivery(delivery.pk) is False
    assert mail.outbox == []


def test_the_unsubscribe_link_asks_then_unsubscribes_without_signing_in(client, cast):
    url = reverse("learning_sets:unsubscribe", args=[ls_mail.unsubscribe_token(cast.lead.pk)])
    page = client.get(url)
    assert page.status_code == 200 and Preference.wants_newsletters(cast.lead.pk)  # a link scanner changes nothing
    assert client.post(url).status_code == 200
    assert not Preference.wants_newsletters(cast.lead.pk)


def test_one_click_unsubscribe_needs_no_csrf_token(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = reverse("learning_sets:unsubscribe", args=[ls_mail.unsubscribe_token(cast.member.pk)])
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Preference.wants_newsletters(cast.member.pk)


@pytest.mark.parametrize("kind", ["forged", "tampered"])
def test_a_forged_unsubscribe_token_is_refused(client, db, kind):
    token = "forged" if kind == "forged" else ls_mail.unsubscribe_token(1)[:-3] + "abc"
    response = client.post(reverse("learning_sets:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_members_opt_out_and_back_in_on_the_newsletters_page(client, cast):
    sign_in(client, cast.lead)
    url = reverse("learning_sets:newsletter_preferences")
    client.post(url, {"newsletters": "no"})
    assert not Preference.wants_newsletters(cast.lead.pk)
    client.post(url, {"newsletters": "yes"})
    assert Preference.wants_newsletters(cast.lead.pk)


def test_a_sent_newsletter_cannot_be_edited(client, cast):
    sent = factories.newsletter(cast.collaborative, status="sent")
    sign_in(client, cast.national)
    response = client.post(reverse("learning_sets:newsletter_edit", args=[sent.pk]), {"subject": "x", "body": "y"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.subject == "Winter news"


@pytest.mark.parametrize("field, value", [("subject", "x" * 201), ("body", "x" * 20001), ("subject", "")])
def test_a_newsletter_too_long_or_empty_is_refused(client, cast, field, value):
    sign_in(client, cast.national)
    data = {"subject": "News", "body": "Hello", field: value, "save": "1"}
    assert client.post(reverse("learning_sets:newsletter_create"), data).status_code == 422
    assert not Newsletter.objects.exists()
