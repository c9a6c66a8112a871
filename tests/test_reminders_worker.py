"""Delivery through a real Celery worker and beat, a real Redis broker and a real SMTP server (aiosmtpd).

Each test starts its own redis-server on a free port (never the machine's Redis on 6379),
its own SMTP server, and worker and beat processes of this project against the test
database. Beat ticks every 2 seconds here (REMINDER_TICK_SECONDS); a claim's lease is
3 seconds and an unacknowledged message returns to the queue after 5, so that a killed
worker's task is redelivered within the test.
"""

import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from organisations.models import Delivery, Notification, Organisation
from tests.brokers import queued_through
from tests.services import Process, RedisServer, SmtpServer, app_env, celery, wait_for, worker_args

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def broker(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def processes(tmp_path, smtp, broker):
    """Start worker and beat processes on demand; every one is stopped at the end of the test."""
    started = []
    env = app_env(
        REDIS_URL=broker.url,
        EMAIL_URL=smtp.url,
        REMINDER_TICK_SECONDS="2",
        REMINDER_CLAIM_SECONDS="3",
        CELERY_VISIBILITY_TIMEOUT="5",
    )

    def start(kind: str, name: str = "w1") -> Process:
        if kind == "worker":
            process = Process(worker_args(name), env, tmp_path / f"{name}.log")
            started.append(process.start(ready="ready."))
        else:
            args = celery("beat", "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO")
            process = Process(args + ["--pidfile", str(tmp_path / "beat.pid")], env, tmp_path / "beat.log")
            started.append(process.start(ready="beat: Starting"))
        return process

    yield start
    for process in started:
        process.stop()


def assert_each_once(smtp):
    """Every email the server accepted is one delivery, sent once (whatever else was due today:
    a Monday's digest, the 1st's summary)."""
    emailed = sorted(Delivery.objects.filter(emailed=True).values_list("subject", flat=True))
    assert smtp.mailbox.subjects() == emailed


def mention(cast, text="Priya mentioned you on cycle 1"):
    """A mention the comment made in-app a moment ago: the tick emails it."""
    return Notification.objects.create(
        recipient=cast.lead,
        organisation=cast.org_a,
        kind="mention",
        about_type=ContentType.objects.get_for_model(Organisation),
        about_id=cast.org_a.pk,
        text=text,
        detail="@lead@a.example have a look",
        url="/orgs/alpha/",
        created_at=timezone.now() - timedelta(seconds=30),
    )


def test_beat_ticks_the_worker_sends_each_due_reminder_once_through_smtp(cast, smtp, processes):
    mention(cast, "First mention")
    other = Notification.objects.create(
        recipient=cast.member,
        organisation=cast.org_a,
        kind="mention",
        about_type=ContentType.objects.get_for_model(Organisation),
        about_id=cast.org_b.pk,
        text="Second mention",
        url="/orgs/alpha/",
        created_at=timezone.now() - timedelta(seconds=30),
    )
    processes("worker")
    beat = processes("beat")
    wanted = {"First mention", "Second mention"}
    wait_for(lambda: wanted <= set(smtp.mailbox.subjects()), 60, "both emails through SMTP")
    # Several more ticks: nothing goes twice.
    wait_for(lambda: beat.text().count("collaborative.tasks.send_due_reminders") >= 4, 30, "more ticks")
    assert_each_once(smtp)
    sent = Delivery.objects.filter(status="sent", emailed=True, kind="mention")
    assert sorted(sent.values_list("recipient__email", flat=True)) == [cast.lead.email, other.recipient.email]
    message = next(m for m in smtp.mailbox.messages if m["Subject"] == "First mention")
    assert message["List-Unsubscribe"].startswith("<http")
    assert message.is_multipart() and {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html"}


def test_a_worker_killed_mid_send_leads_to_exactly_one_email_after_redelivery(cast, smtp, broker, processes):
    from organisations import deliveries, reminders
    from organisations.tasks import send_delivery

    mention(cast, "Sent once after a crash")
    deliveries.record(reminders.mentions(timezone.now()))  # what the tick records for it
    row = Delivery.objects.get()
    with queued_through(broker.url):
        assert deliveries.enqueue([row.pk]) == 1  # and the one task it queues
    smtp.mailbox.hold()
    first = processes("worker", "w1")
    assert smtp.mailbox.arrived.wait(60), first.text()  # the worker is in the middle of sending
    row.refresh_from_db()
    assert row.status == "sending"
    first.kill()  # SIGKILL mid-task: the message was never acknowledged (acks_late)
    smtp.mailbox.release()  # the server never accepted that message
    time.sleep(6)  # past the visibility timeout (5 s) and the claim's lease (3 s)
    processes("worker", "w2")  # the broker redelivers the task to the new worker
    wait_for(lambda: "Sent once after a crash" in smtp.mailbox.subjects(), 60, "the email after redelivery")
    # The server accepts the message a moment before the worker records it as sent.
    wait_for(lambda: Delivery.objects.filter(pk=row.pk, status="sent").exists(), 30, "the delivery recorded as sent")
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    # And again, for good measure: the task sent twice more sends nothing.
    with queued_through(broker.url):
        send_delivery.delay(row.pk)
        send_delivery.delay(row.pk)
    time.sleep(3)
    assert smtp.mailbox.subjects().count("Sent once after a crash") == 1
    assert_each_once(smtp)


def test_with_redis_stopped_pages_work_and_the_reminder_goes_once_redis_is_back(client, cast, smtp, broker, processes):
    processes("worker")
    processes("beat")
    failed = Delivery.objects.create(
        recipient=cast.lead,
        organisation=cast.org_a,
        kind="meeting",
        about_type=ContentType.objects.get_for_model(Organisation),
        about_id=cast.org_a.pk,
        occasion="before the outage",
        due_at=timezone.now() - timedelta(hours=1),
        subject="No team meeting recorded for 14 days",
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    broker.stop()
    dead_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker.url}}
    with queued_through(broker.url), override_settings(CACHES=dead_cache):
        sign_in(client, cast.national)
        page = client.get(reverse("organisations:deliveries"))
        assert page.status_code == 200 and b"No team meeting recorded" in page.content
        response = client.post(reverse("organisations:delivery_retry", kwargs={"pk": failed.pk}), follow=True)
        assert response.status_code == 200
        assert b"The queue cannot be reached just now" in response.content
        mention(cast, "Mentioned while Redis was down")
        workspace = client.get(reverse("collaborative:workspace", kwargs={"org": cast.org_a.slug}))
        assert workspace.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "pending"  # kept in the database, waiting
    wanted = {"Mentioned while Redis was down", "No team meeting recorded for 14 days"}
    assert not wanted & set(smtp.mailbox.subjects())
    broker.start()  # the same port: worker and beat reconnect
    wait_for(lambda: wanted <= set(smtp.mailbox.subjects()), 90, "both emails once Redis is back")
    time.sleep(5)  # a few more ticks
    assert_each_once(smtp)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
